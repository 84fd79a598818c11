/* SPDX-License-Identifier: MIT */
/* test_hash.c: keccak-256 against every keccak vector of tests/vectors/eip712.json (including the
 * 135/136/137-byte inputs around the 136-byte rate), streaming in odd pieces, and SHA-256. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include "ledger/hash.h"
#include "ledger/hex.h"
#include "tests/lib/testhelp.h"

/* Decodes 0x-hex of any length into a malloc'd buffer. */
static uint8_t *unhex(const char *hex, size_t *len)
{
    size_t cap = strlen(hex) / 2 + 1;
    uint8_t *buf = malloc(cap);
    cr_assert_not_null(buf, "out of memory in the test");
    cr_assert_eq(ledger_hex_decode(buf, cap, len, hex, strlen(hex)), ST_OK, "vector hex %s decodes", hex);
    return buf;
}

static void assert_digest(const uint8_t got[32], const char *want, const char *what)
{
    char hex[67];
    ledger_hex_encode(hex, got, 32);
    cr_assert_str_eq(hex, want, "%s", what);
}

/* Hashes every vector of keccak256.<group>, as its UTF-8 text (which its input_hex must spell) or as
 * its raw bytes, and checks the digest. Returns how many ran. */
static int check_keccak256_vectors(const char *group, bool utf8)
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(th_vectors(), "keccak256"),
                                                         group);
    const cJSON *v;
    int count = 0;
    cJSON_ArrayForEach(v, list) {
        uint8_t h[32];
        size_t len;
        const char *hex = th_str(v, "input_hex");
        uint8_t *raw = unhex(hex, &len);
        if (utf8) {
            const char *text = th_str(v, "input_utf8");
            cr_assert_eq(len, strlen(text), "input_hex and input_utf8 agree on the length of \"%s\"", text);
            cr_assert_eq(memcmp(raw, text, len), 0, "input_hex is the UTF-8 of \"%s\"", text);
            ledger_keccak256(h, text, strlen(text));
            assert_digest(h, th_str(v, "keccak256"), text);
        } else {
            ledger_keccak256(h, raw, len);
            assert_digest(h, th_str(v, "keccak256"), hex);
        }
        free(raw);
        count++;
    }
    return count;
}

Test(ledger_hash, keccak256_matches_every_utf8_vector)
{
    cr_assert_eq(check_keccak256_vectors("utf8_strings", true), 13, "all 13 utf8 vectors ran");
}

Test(ledger_hash, keccak256_matches_every_raw_vector)
{
    cr_assert_eq(check_keccak256_vectors("raw_bytes", false), 3, "all 3 raw vectors ran");
}

Test(ledger_hash, keccak256_derives_the_vector_keys_and_hashes_their_public_keys)
{
    const cJSON *v;
    cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(th_vectors(), "keys")) {
        uint8_t h[32], pub[65];
        const char *label = th_str(v, "label");
        ledger_keccak256(h, label, strlen(label));
        assert_digest(h, th_str(v, "private_key"), "private_key = keccak256(label)");
        th_hex(pub, 65, th_str(v, "public_key_uncompressed"));
        ledger_keccak256(h, pub + 1, 64);
        assert_digest(h, th_str(v, "keccak256_of_public_key_xy"), "keccak256 of the public key X||Y");
    }
}

Test(ledger_hash, keccak256_streams_in_any_split)
{
    uint8_t data[400], one[32], parts[32];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 7 + 1);
    ledger_keccak256(one, data, sizeof data);
    for (size_t step = 1; step <= 137; step += 17) {
        ledger_keccak k;
        ledger_keccak_init(&k);
        for (size_t off = 0; off < sizeof data; off += step)
            ledger_keccak_update(&k, data + off, off + step > sizeof data ? sizeof data - off : step);
        ledger_keccak_final(&k, parts);
        cr_assert_arr_eq(parts, one, 32, "feeding %zu bytes at a time gives the one-shot digest", step);
    }
}

Test(ledger_hash, keccak_context_is_reusable_after_final)
{
    uint8_t a[32], b[32];
    ledger_keccak k;
    ledger_keccak_init(&k);
    ledger_keccak_update(&k, "abc", 3);
    ledger_keccak_final(&k, a);
    ledger_keccak_update(&k, "abc", 3);
    ledger_keccak_final(&k, b);
    cr_assert_arr_eq(a, b, 32, "final leaves a fresh context");
}

Test(ledger_hash, sha256_matches_fips_vectors)
{
    uint8_t h[32];
    ledger_sha256(h, "", 0);
    assert_digest(h, "0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "sha256 of empty");
    ledger_sha256(h, "abc", 3);
    assert_digest(h, "0xba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "sha256 of abc");
}
