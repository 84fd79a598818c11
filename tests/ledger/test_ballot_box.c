/* SPDX-License-Identifier: MIT */
/* test_ballot_box.c: sealed secret ballots against tests/vectors/ballot_box.json (made by an
 * independent Python implementation, ballot_box.py), round trips at every padded size, every
 * tampered byte and every changed associated-data part refused, the padding and length rules (with
 * plaintexts sealed raw by this file's own ECDH + HKDF + GCM, since ledger_ballot_seal will not make
 * malformed ones), the ballots' list hash, and the ballot key's signature digest. */
#include <criterion/criterion.h>
#include <nettle/gcm.h>
#include <nettle/hkdf.h>
#include <nettle/hmac.h>
#include <secp256k1.h>
#include <secp256k1_ecdh.h>
#include <stdlib.h>
#include <string.h>
#include "ledger/ballot_box.h"
#include "ledger/hash.h"
#include "ledger/sig.h"
#include "tests/lib/testhelp.h"

static secp256k1_context *ctx;
static cJSON *vectors;

static void setup(void)
{
    char *text = th_read_file(TEST_SRCDIR "/tests/vectors/ballot_box.json", NULL);
    cr_assert(text, "tests/vectors/ballot_box.json is readable");
    vectors = cJSON_Parse(text);
    free(text);
    cr_assert(vectors, "ballot_box.json parses");
    ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    cr_assert(ctx, "a secp256k1 context");
}

static void teardown(void)
{
    cJSON_Delete(vectors);
    secp256k1_context_destroy(ctx);
}

TestSuite(ledger_ballot_box, .init = setup, .fini = teardown);

static const uint8_t voter_a[20] = { 0xf3, 0x9f, 0xd6, 0xe5, 0x1a, 0xad, 0x88, 0xf6, 0xf4, 0xce,
                                     0x6a, 0xb8, 0x82, 0x72, 0x79, 0xcf, 0xff, 0xb9, 0x22, 0x66 };

/* The vectors' ballot secret and key. */
static void ballot_keys(uint8_t secret[32], uint8_t key[LEDGER_BALLOT_KEY_LEN])
{
    th_hex(secret, 32, th_str(vectors, "ballotSecret"));
    th_hex(key, LEDGER_BALLOT_KEY_LEN, th_str(vectors, "ballotKey"));
}

/* Decodes a 0x-hex member of any length into a new buffer; caller frees. */
static uint8_t *hex_member(const cJSON *o, const char *name, size_t *len)
{
    const char *hex = th_str(o, name);
    *len = (strlen(hex) - 2) / 2;
    uint8_t *out = malloc(*len ? *len : 1);
    cr_assert(out, "memory for %s", name);
    th_hex(out, *len, hex);
    return out;
}

static size_t n_vectors(void)
{
    char *text = th_read_file(TEST_SRCDIR "/tests/vectors/ballot_box.json", NULL);
    cJSON *v = cJSON_Parse(text);
    size_t n = (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(v, "ballots"));
    cJSON_Delete(v);
    free(text);
    return n;
}

ParameterizedTestParameters(ledger_ballot_box, seals_and_opens_each_vector)
{
    return th_indices(n_vectors());
}

ParameterizedTest(int *i, ledger_ballot_box, seals_and_opens_each_vector)
{
    const cJSON *b = cJSON_GetArrayItem(th_get(vectors, "ballots"), *i);
    uint8_t secret[32], key[LEDGER_BALLOT_KEY_LEN], voter[20], eph[32], iv[12], ad[LEDGER_BALLOT_AD_LEN];
    uint8_t out[LEDGER_BALLOT_MAX_LEN];
    char text[LEDGER_BALLOT_TEXT_MAX + 1];
    size_t want_len, out_len = 0, text_len = 0, ad_len;
    uint64_t chain = (uint64_t)th_get(b, "chainId")->valuedouble, proposal = (uint64_t)th_get(b, "proposal")->valuedouble;
    const char *plain = th_str(b, "text");
    uint8_t *want = hex_member(b, "ciphertext", &want_len), *want_ad = hex_member(b, "ad", &ad_len);

    ballot_keys(secret, key);
    th_hex(voter, 20, th_str(b, "voter"));
    th_hex(eph, 32, th_str(b, "ephemeralSecret"));
    th_hex(iv, 12, th_str(b, "iv"));
    ledger_ballot_ad(ad, chain, proposal, voter);
    cr_assert(ad_len == sizeof ad && memcmp(ad, want_ad, sizeof ad) == 0, "%s: the associated data", th_str(b, "name"));
    cr_assert(ledger_ballot_len_ok(want_len), "%s: the vector's length %zu is valid", th_str(b, "name"), want_len);
    cr_assert_eq(ledger_ballot_sealed_len(strlen(plain)), want_len, "%s: the sealed length", th_str(b, "name"));
    cr_assert_eq(ledger_ballot_seal(ctx, out, sizeof out, &out_len, key, chain, proposal, voter, plain, strlen(plain),
                                    eph, iv), ST_OK, "%s: seals", th_str(b, "name"));
    cr_assert(out_len == want_len && memcmp(out, want, want_len) == 0, "%s: the ciphertext is the vector's",
              th_str(b, "name"));
    cr_assert_eq(ledger_ballot_open(ctx, text, &text_len, secret, chain, proposal, voter, want, want_len), ST_OK,
                 "%s: opens", th_str(b, "name"));
    cr_assert(text_len == strlen(plain) && strcmp(text, plain) == 0, "%s: the text comes back", th_str(b, "name"));
    free(want);
    free(want_ad);
}

Test(ledger_ballot_box, round_trips_every_text_length_to_its_padded_size)
{
    static const size_t lengths[] = { 1, 2, 255, 256, 257, 511, 512, 513, 1024, 1500, 2047, 2048 };
    uint8_t secret[32], key[LEDGER_BALLOT_KEY_LEN], eph[32], iv[12], out[LEDGER_BALLOT_MAX_LEN];
    char plain[LEDGER_BALLOT_TEXT_MAX], text[LEDGER_BALLOT_TEXT_MAX + 1];

    ballot_keys(secret, key);
    memset(eph, 0x31, sizeof eph);
    memset(iv, 0x07, sizeof iv);
    for (size_t k = 0; k < sizeof lengths / sizeof lengths[0]; k++) {
        size_t n = lengths[k], out_len = 0, text_len = 0;
        for (size_t j = 0; j < n; j++)
            plain[j] = (char)('a' + (j * 7 + k) % 26);
        cr_assert_eq(ledger_ballot_seal(ctx, out, sizeof out, &out_len, key, 5, 6, voter_a, plain, n, eph, iv), ST_OK,
                     "a %zu-byte text seals", n);
        cr_assert_eq(out_len, 62 + (n + 255) / 256 * 256, "a %zu-byte text seals to %zu bytes", n, out_len);
        cr_assert_eq(ledger_ballot_open(ctx, text, &text_len, secret, 5, 6, voter_a, out, out_len), ST_OK,
                     "a %zu-byte text opens", n);
        cr_assert(text_len == n && memcmp(text, plain, n) == 0 && text[n] == 0, "a %zu-byte text comes back", n);
    }
}

/* The first vector, with its context. */
typedef struct sealed {
    uint8_t secret[32], key[LEDGER_BALLOT_KEY_LEN], voter[20];
    uint64_t chain, proposal;
    uint8_t *bytes;
    size_t len;
} sealed;

static void first_vector(sealed *s)
{
    const cJSON *b = cJSON_GetArrayItem(th_get(vectors, "ballots"), 0);
    ballot_keys(s->secret, s->key);
    th_hex(s->voter, 20, th_str(b, "voter"));
    s->chain = (uint64_t)th_get(b, "chainId")->valuedouble;
    s->proposal = (uint64_t)th_get(b, "proposal")->valuedouble;
    s->bytes = hex_member(b, "ciphertext", &s->len);
}

/* Opens and asserts status want, and that the output is wiped on failure. */
static void expect_open(const sealed *s, const uint8_t *secret, uint64_t chain, uint64_t proposal,
                        const uint8_t voter[20], const uint8_t *bytes, size_t len, int want, const char *what)
{
    char text[LEDGER_BALLOT_TEXT_MAX + 1];
    size_t text_len = 99;
    static const char zero[LEDGER_BALLOT_TEXT_MAX + 1];
    (void)s;
    memset(text, 'x', sizeof text);
    int rc = ledger_ballot_open(ctx, text, &text_len, secret, chain, proposal, voter, bytes, len);
    cr_assert_eq(rc, want, "%s: open gives %s, not %s", what, st_str(want), st_str(rc));
    if (want != ST_OK)
        cr_assert(text_len == 0 && memcmp(text, zero, sizeof text) == 0, "%s: nothing of the text is left", what);
}

Test(ledger_ballot_box, refuses_every_tampered_byte)
{
    sealed s;
    first_vector(&s);
    expect_open(&s, s.secret, s.chain, s.proposal, s.voter, s.bytes, s.len, ST_OK, "untouched");
    for (size_t i = 0; i < s.len; i++) {
        for (unsigned bit = 0; bit < 8; bit += 7) {
            char what[64];
            s.bytes[i] ^= (uint8_t)(1u << bit);
            snprintf(what, sizeof what, "byte %zu bit %u flipped", i, bit);
            /* the version byte is refused as such; a changed E is another point or none at all */
            char text[LEDGER_BALLOT_TEXT_MAX + 1];
            size_t text_len;
            int rc = ledger_ballot_open(ctx, text, &text_len, s.secret, s.chain, s.proposal, s.voter, s.bytes, s.len);
            cr_assert(i == 0 ? rc == ST_INVALID : rc == ST_CRYPTO, "%s: refused (%s)", what, st_str(rc));
            cr_assert_eq(text_len, 0, "%s: no text", what);
            s.bytes[i] ^= (uint8_t)(1u << bit);
        }
    }
    free(s.bytes);
}

Test(ledger_ballot_box, refuses_another_chain_proposal_voter_or_key)
{
    sealed s;
    uint8_t other_voter[20], other_secret[32];
    first_vector(&s);
    memcpy(other_voter, s.voter, 20);
    other_voter[19] ^= 1;
    memcpy(other_secret, s.secret, 32);
    other_secret[31] ^= 1;
    expect_open(&s, s.secret, s.chain + 1, s.proposal, s.voter, s.bytes, s.len, ST_CRYPTO, "another chain");
    expect_open(&s, s.secret, s.chain, s.proposal + 1, s.voter, s.bytes, s.len, ST_CRYPTO, "another proposal");
    expect_open(&s, s.secret, s.chain, s.proposal, other_voter, s.bytes, s.len, ST_CRYPTO, "another voter");
    expect_open(&s, other_secret, s.chain, s.proposal, s.voter, s.bytes, s.len, ST_CRYPTO, "another ballot key");
    expect_open(&s, s.secret, s.chain, s.proposal, s.voter, s.bytes, s.len, ST_OK, "the right ones");
    free(s.bytes);
}

/* Opens with a ballot key given (ledger_ballot_open_keyed) and asserts status want, the text on
 * success and that the output is wiped on failure. */
static void expect_open_keyed(const sealed *s, const uint8_t key[LEDGER_BALLOT_KEY_LEN], int want, const char *what)
{
    char text[LEDGER_BALLOT_TEXT_MAX + 1];
    size_t text_len = 99;
    static const char zero[LEDGER_BALLOT_TEXT_MAX + 1];
    const char *plain = th_str(cJSON_GetArrayItem(th_get(vectors, "ballots"), 0), "text");
    memset(text, 'x', sizeof text);
    int rc = ledger_ballot_open_keyed(ctx, text, &text_len, s->secret, key, s->chain, s->proposal, s->voter, s->bytes, s->len);
    cr_assert_eq(rc, want, "%s: open gives %s, not %s", what, st_str(want), st_str(rc));
    if (want == ST_OK)
        cr_assert(text_len == strlen(plain) && strcmp(text, plain) == 0, "%s: the text comes back", what);
    else
        cr_assert(text_len == 0 && memcmp(text, zero, sizeof text) == 0, "%s: nothing of the text is left", what);
}

Test(ledger_ballot_box, opens_with_the_secrets_own_key_given_and_no_other)
{
    sealed s;
    uint8_t made[LEDGER_BALLOT_KEY_LEN], other[LEDGER_BALLOT_KEY_LEN], other_secret[32];
    first_vector(&s);
    cr_assert_eq(ledger_ballot_key(ctx, made, s.secret), ST_OK, "the key of the secret");
    cr_assert_eq(memcmp(made, s.key, sizeof made), 0, "is the vectors' ballot key");
    expect_open_keyed(&s, s.key, ST_OK, "the secret's own key");
    memcpy(other_secret, s.secret, 32);
    other_secret[31] ^= 1;
    cr_assert_eq(ledger_ballot_key(ctx, other, other_secret), ST_OK, "another key");
    expect_open_keyed(&s, other, ST_CRYPTO, "another secret's key");
    memcpy(other, s.key, sizeof other);
    other[0] ^= 0x02 ^ 0x03;    /* the negated point: valid, another key */
    expect_open_keyed(&s, other, ST_CRYPTO, "the key's negation");
    memset(other, 0, sizeof other);
    expect_open_keyed(&s, other, ST_CRYPTO, "no key at all");
    free(s.bytes);
}

/* --- Raw sealing of any padded bytes, for the padding rules (an implementation of the format from
 * docs/SECRET_BALLOTS.md, separate from ballot_box.c's) --- */

static int raw_x(unsigned char *out, const unsigned char *x, const unsigned char *y, void *data)
{
    (void)y;
    (void)data;
    memcpy(out, x, 32);
    return 1;
}

static void raw_mac_update(void *c, size_t len, const uint8_t *data) { hmac_sha256_update(c, len, data); }
static void raw_mac_digest(void *c, size_t len, uint8_t *out) { hmac_sha256_digest(c, len, out); }

/* Seals padded (n bytes, any content) for voter_a on chain 1, proposal 2. Returns the length. */
static size_t raw_seal(uint8_t *out, const uint8_t key_ser[33], const uint8_t *padded, size_t n)
{
    uint8_t eph[32], shared[32], salt[66], prk[32], aes[32], ad[LEDGER_BALLOT_AD_LEN];
    secp256k1_pubkey kp, ep;
    size_t elen = 33;
    struct hmac_sha256_ctx mac;
    struct gcm_aes256_ctx gcm;

    memset(eph, 0x44, sizeof eph);
    cr_assert(secp256k1_ec_pubkey_parse(ctx, &kp, key_ser, 33) && secp256k1_ec_pubkey_create(ctx, &ep, eph),
              "raw keys");
    out[0] = 1;
    secp256k1_ec_pubkey_serialize(ctx, out + 1, &elen, &ep, SECP256K1_EC_COMPRESSED);
    memset(out + 34, 0x55, 12);
    cr_assert(secp256k1_ecdh(ctx, shared, &kp, eph, raw_x, NULL), "raw ECDH");
    memcpy(salt, out + 1, 33);
    memcpy(salt + 33, key_ser, 33);
    hmac_sha256_set_key(&mac, sizeof salt, salt);
    hkdf_extract(&mac, raw_mac_update, raw_mac_digest, 32, 32, shared, prk);
    hmac_sha256_set_key(&mac, 32, prk);
    hkdf_expand(&mac, raw_mac_update, raw_mac_digest, 32, 18, (const uint8_t *)"conclave ballot v1", 32, aes);
    ledger_ballot_ad(ad, 1, 2, voter_a);
    gcm_aes256_set_key(&gcm, aes);
    gcm_aes256_set_iv(&gcm, 12, out + 34);
    gcm_aes256_update(&gcm, sizeof ad, ad);
    gcm_aes256_encrypt(&gcm, n, out + 46, padded);
    gcm_aes256_digest(&gcm, 16, out + 46 + n);
    return 62 + n;
}

typedef struct padding_case {
    const char *name;
    size_t n;            /* padded bytes */
    const char *text;    /* at the start; the rest zeros unless stray is set */
    size_t stray;        /* if nonzero: a non-zero byte at this offset */
    int rc;
    size_t text_len;     /* on ST_OK */
} padding_case;

static const padding_case padding_cases[] = {
    { "one block, text then zeros", 256, "2", 0, ST_OK, 1 },
    { "two blocks for a short text (over-padded: accepted)", 512, "[1,2]", 0, ST_OK, 5 },
    { "a non-zero byte after the NUL", 256, "2", 100, ST_INVALID, 0 },
    { "a non-zero last byte after the NUL", 2048, "2", 2047, ST_INVALID, 0 },
    { "no text: all zeros", 256, "", 0, ST_INVALID, 0 },
    { "a NUL at the start and text after it", 256, "", 1, ST_INVALID, 0 },
};

TH_TABLE_PARAMETERS(ledger_ballot_box, applies_the_padding_rules, padding_cases)

ParameterizedTest(int *i, ledger_ballot_box, applies_the_padding_rules)
{
    const padding_case *c = &padding_cases[*i];
    uint8_t secret[32], key[33], padded[LEDGER_BALLOT_TEXT_MAX], out[LEDGER_BALLOT_MAX_LEN];
    char text[LEDGER_BALLOT_TEXT_MAX + 1];
    size_t text_len = 0, len;

    ballot_keys(secret, key);
    memset(padded, 0, sizeof padded);
    memcpy(padded, c->text, strlen(c->text));
    if (c->stray)
        padded[c->stray] = '1';
    len = raw_seal(out, key, padded, c->n);
    int rc = ledger_ballot_open(ctx, text, &text_len, secret, 1, 2, voter_a, out, len);
    cr_assert_eq(rc, c->rc, "%s: %s, not %s", c->name, st_str(c->rc), st_str(rc));
    cr_assert_eq(text_len, c->text_len, "%s: the text's length", c->name);
    if (rc == ST_OK)
        cr_assert_str_eq(text, c->text, "%s: the text", c->name);
}

Test(ledger_ballot_box, a_full_block_without_nul_is_all_text)
{
    uint8_t secret[32], key[33], padded[256], out[LEDGER_BALLOT_MAX_LEN];
    char text[LEDGER_BALLOT_TEXT_MAX + 1];
    size_t text_len = 0;

    ballot_keys(secret, key);
    memset(padded, ' ', sizeof padded);
    padded[0] = '[';
    padded[254] = '1';
    padded[255] = ']';
    size_t len = raw_seal(out, key, padded, sizeof padded);
    cr_assert_eq(ledger_ballot_open(ctx, text, &text_len, secret, 1, 2, voter_a, out, len), ST_OK, "opens");
    cr_assert(text_len == 256 && memcmp(text, padded, 256) == 0 && text[256] == 0, "all 256 bytes are the text");
}

Test(ledger_ballot_box, accepts_only_62_plus_256k_bytes)
{
    for (size_t len = 0; len < 2500; len++) {
        bool want = len >= 318 && len <= 2110 && (len - 62) % 256 == 0;
        cr_assert_eq(ledger_ballot_len_ok(len), want, "length %zu is %s", len, want ? "valid" : "refused");
    }
}

Test(ledger_ballot_box, refuses_bad_lengths_and_versions_before_any_crypto)
{
    sealed s;
    uint8_t big[LEDGER_BALLOT_MAX_LEN + 256];
    first_vector(&s);
    expect_open(&s, s.secret, s.chain, s.proposal, s.voter, s.bytes, s.len - 1, ST_INVALID, "one byte short");
    expect_open(&s, s.secret, s.chain, s.proposal, s.voter, s.bytes, 62, ST_INVALID, "no text block");
    memset(big, 0, sizeof big);
    memcpy(big, s.bytes, s.len);
    expect_open(&s, s.secret, s.chain, s.proposal, s.voter, big, s.len + 1, ST_INVALID, "one byte long");
    expect_open(&s, s.secret, s.chain, s.proposal, s.voter, big, sizeof big, ST_INVALID, "nine blocks");
    s.bytes[0] = 2;
    expect_open(&s, s.secret, s.chain, s.proposal, s.voter, s.bytes, s.len, ST_INVALID, "version 2");
    s.bytes[0] = 1;
    s.bytes[1] = 0x04;  /* E not compressed */
    expect_open(&s, s.secret, s.chain, s.proposal, s.voter, s.bytes, s.len, ST_CRYPTO, "E not compressed");
    free(s.bytes);
}

Test(ledger_ballot_box, seal_refuses_bad_texts_keys_and_short_buffers)
{
    uint8_t secret[32], key[33], bad_key[33], eph[32], iv[12], out[LEDGER_BALLOT_MAX_LEN];
    char long_text[LEDGER_BALLOT_TEXT_MAX + 1];
    static const uint8_t zero_secret[32];
    size_t out_len = 7;

    ballot_keys(secret, key);
    memset(eph, 0x21, sizeof eph);
    memset(iv, 0, sizeof iv);
    memset(long_text, '1', sizeof long_text);
    cr_assert_eq(ledger_ballot_seal(ctx, out, sizeof out, &out_len, key, 1, 2, voter_a, "", 0, eph, iv), ST_INVALID,
                 "an empty text is refused");
    cr_assert_eq(ledger_ballot_seal(ctx, out, sizeof out, &out_len, key, 1, 2, voter_a, long_text, 2049, eph, iv),
                 ST_INVALID, "2049 bytes are refused");
    cr_assert_eq(ledger_ballot_seal(ctx, out, sizeof out, &out_len, key, 1, 2, voter_a, "1\0" "2", 3, eph, iv),
                 ST_INVALID, "a NUL inside the text is refused");
    cr_assert_eq(ledger_ballot_seal(ctx, out, 317, &out_len, key, 1, 2, voter_a, "1", 1, eph, iv), ST_LIMIT,
                 "a 317-byte buffer is too short");
    cr_assert_eq(ledger_ballot_seal(ctx, out, 2109, &out_len, key, 1, 2, voter_a, long_text, 2048, eph, iv), ST_LIMIT,
                 "a 2109-byte buffer is too short for 2048 bytes of text");
    memcpy(bad_key, key, 33);
    bad_key[0] = 0x04;
    cr_assert_eq(ledger_ballot_seal(ctx, out, sizeof out, &out_len, bad_key, 1, 2, voter_a, "1", 1, eph, iv),
                 ST_CRYPTO, "a key that is not compressed is refused");
    memset(bad_key + 1, 0xff, 32);  /* x >= p: no point */
    bad_key[0] = 0x02;
    cr_assert_eq(ledger_ballot_seal(ctx, out, sizeof out, &out_len, bad_key, 1, 2, voter_a, "1", 1, eph, iv),
                 ST_CRYPTO, "x beyond the field is refused");
    cr_assert_eq(ledger_ballot_seal(ctx, out, sizeof out, &out_len, key, 1, 2, voter_a, "1", 1, zero_secret, iv),
                 ST_CRYPTO, "a zero ephemeral secret is refused");
    cr_assert_eq(out_len, 7, "nothing sealed: the length is untouched");
    cr_assert_eq(ledger_ballot_seal(ctx, out, 318, &out_len, key, 1, 2, voter_a, "1", 1, eph, iv), ST_OK,
                 "318 bytes are enough for one block");
    cr_assert_eq(out_len, 318, "one block");
}

Test(ledger_ballot_box, derives_the_vectors_ballot_key)
{
    uint8_t secret[32], key[33], made[33];
    static const uint8_t zero[32];
    ballot_keys(secret, key);
    cr_assert_eq(ledger_ballot_key(ctx, made, secret), ST_OK, "the key of the secret");
    cr_assert(memcmp(made, key, 33) == 0, "is the vector's ballot key");
    cr_assert_eq(ledger_ballot_key(ctx, made, zero), ST_CRYPTO, "a zero secret has no key");
}

Test(ledger_ballot_box, hashes_the_ballot_list_as_the_vector)
{
    const cJSON *bh = th_get(vectors, "ballotsHash");
    uint8_t want[32], got[32], again[32], voter[20], weight[32], d[32];
    ledger_ballots_hash h, h2;
    int k = 0;
    const cJSON *idx;

    th_hex(want, 32, th_str(bh, "hash"));
    ledger_ballots_hash_init(&h);
    ledger_ballots_hash_init(&h2);
    cJSON_ArrayForEach(idx, th_get(bh, "ballots")) {
        const cJSON *b = cJSON_GetArrayItem(th_get(vectors, "ballots"), idx->valueint);
        size_t len;
        uint8_t *ct = hex_member(b, "ciphertext", &len);
        th_hex(voter, 20, th_str(b, "voter"));
        th_hex(weight, 32, cJSON_GetArrayItem(th_get(bh, "weights"), k++)->valuestring);
        ledger_ballots_hash_add(&h, voter, weight, ct, len);
        ledger_sha256(d, ct, len);
        ledger_ballots_hash_add_digest(&h2, voter, weight, d);
        free(ct);
    }
    ledger_ballots_hash_final(&h, got);
    cr_assert(memcmp(got, want, 32) == 0, "ballotsHash is the vector's");
    ledger_ballots_hash_final(&h, again);
    cr_assert(memcmp(again, want, 32) == 0, "final leaves the hash as it was");
    ledger_ballots_hash_final(&h2, got);
    cr_assert(memcmp(got, want, 32) == 0, "adding the ciphertexts' digests gives the same hash");
    ledger_ballots_hash_init(&h);
    ledger_ballots_hash_final(&h, got);
    ledger_sha256(want, "", 0);
    cr_assert(memcmp(got, want, 32) == 0, "no ballots: sha256 of nothing");
}

Test(ledger_ballot_box, the_key_signature_covers_label_chain_and_key)
{
    static const char label[] = "conclave ballot key v1";
    uint8_t secret[32], key[33], msg[sizeof label - 1 + 8 + 33], want[32], digest[32], sig[65], signer[20], addr[20];
    uint8_t identity[32];

    ballot_keys(secret, key);
    memcpy(msg, label, sizeof label - 1);
    memcpy(msg + sizeof label - 1, "\0\0\0\0\0\0\x7a\x69", 8);  /* 31337 */
    memcpy(msg + sizeof label - 1 + 8, key, 33);
    ledger_keccak256(want, msg, sizeof msg);
    ledger_ballot_key_digest(digest, 31337, key);
    cr_assert(memcmp(digest, want, 32) == 0, "the digest is keccak256(label || chainId || key)");

    memset(identity, 0x5a, sizeof identity);
    uint8_t sig2[65];
    cr_assert_eq(ledger_ballot_key_sign(ctx, sig, 31337, key, identity), ST_OK, "signs");
    cr_assert_eq(ledger_sig_sign(sig2, digest, identity), ST_OK, "signs the digest");
    cr_assert(memcmp(sig, sig2, 65) == 0, "the same signature as signing the digest (RFC 6979)");
    cr_assert(sig[64] == 27 || sig[64] == 28, "v is 27 or 28");
    cr_assert_eq(ledger_sig_address(addr, identity), ST_OK, "the identity's address");
    cr_assert_eq(ledger_ballot_key_signer(signer, 31337, key, sig), ST_OK, "recovers");
    cr_assert(memcmp(signer, addr, 20) == 0, "to the identity");
    cr_assert_eq(ledger_ballot_key_signer(signer, 31338, key, sig), ST_OK, "another chain recovers too");
    cr_assert(memcmp(signer, addr, 20) != 0, "but to someone else");
    sig[32] |= 0x80;  /* high s */
    cr_assert_eq(ledger_ballot_key_signer(signer, 31337, key, sig), ST_CRYPTO, "a high-s signature is refused");
}

Test(ledger_ballot_box, the_box_binds_its_label_and_associated_data)
{
    uint8_t secret[32], key[33], e_pub[33], ct[32], tag[16], plain[32], back[32], eph[32], iv[12];
    static const uint8_t ad[] = "some associated data";

    ballot_keys(secret, key);
    memset(plain, 0x5c, sizeof plain);
    memset(eph, 0x66, sizeof eph);
    memset(iv, 0, sizeof iv);
    cr_assert_eq(ledger_box_seal(ctx, e_pub, ct, tag, key, "label one", ad, sizeof ad, plain, sizeof plain, eph, iv),
                 ST_OK, "seals");
    cr_assert_eq(ledger_box_open(ctx, back, secret, "label one", ad, sizeof ad, e_pub, iv, ct, sizeof ct, tag), ST_OK,
                 "opens");
    cr_assert_arr_eq(back, plain, sizeof plain, "the same bytes");
    cr_assert_eq(ledger_box_open(ctx, back, secret, "label two", ad, sizeof ad, e_pub, iv, ct, sizeof ct, tag),
                 ST_CRYPTO, "another label does not open");
    cr_assert_eq(ledger_box_open(ctx, back, secret, "label one", ad, sizeof ad - 1, e_pub, iv, ct, sizeof ct, tag),
                 ST_CRYPTO, "other associated data does not open");
    static const uint8_t zero[32];
    cr_assert_arr_eq(back, zero, sizeof back, "and leaves nothing");
    cr_assert_eq(ledger_box_open(ctx, back, secret, "label one", NULL, 0, e_pub, iv, ct, sizeof ct, tag), ST_CRYPTO,
                 "no associated data does not open");
}
