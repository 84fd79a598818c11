/* SPDX-License-Identifier: MIT */
/* test_sig.c: secp256k1 signatures: key addresses from the vectors, RFC 6979 signing byte for byte
 * over every vector digest, recovery, and the EIP-2 refusals (high s, r or s zero or >= n, bad v). */
#include <criterion/criterion.h>
#include <string.h>
#include "ledger/hex.h"
#include "ledger/sig.h"
#include "tests/lib/testhelp.h"

#define N_HEX "0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"

/* The first Transfer vector signed by key 0: digest, signature and signer. */
static void sample(uint8_t digest[32], uint8_t sig[65], const char **signer)
{
    const cJSON *v = cJSON_GetArrayItem(th_get(th_vectors(), "signatures"), 2);
    th_hex(digest, 32, th_str(v, "digest"));
    th_hex(sig, 65, th_str(th_get(v, "signature"), "serialized"));
    *signer = th_str(v, "signer");
}

Test(ledger_sig, derives_the_address_of_every_vector_key)
{
    static const char *groups[] = { "keys", "well_known_keys" };
    for (size_t g = 0; g < 2; g++) {
        const cJSON *k;
        cJSON_ArrayForEach(k, th_get(th_vectors(), groups[g])) {
            uint8_t key[32], pub[65], addr[20];
            th_hex(key, 32, th_str(k, "private_key"));
            cr_assert_eq(ledger_sig_address(addr, key), ST_OK, "%s is a valid key", th_str(k, "label"));
            th_assert_addr(addr, th_str(k, "address"), "address of the secret key");
            th_hex(pub, 65, th_str(k, "public_key_uncompressed"));
            ledger_sig_pubkey_address(addr, pub + 1);
            th_assert_addr(addr, th_str(k, "address"), "address of the public key");
        }
    }
}

Test(ledger_sig, signs_every_vector_digest_byte_for_byte_and_recovers_the_signer)
{
    const cJSON *keys = th_get(th_vectors(), "keys"), *v;
    int count = 0;
    cJSON_ArrayForEach(v, th_get(th_vectors(), "signatures")) {
        uint8_t key[32], digest[32], sig[65], want[65], addr[20];
        const cJSON *k = cJSON_GetArrayItem(keys, th_get(v, "signer_key_index")->valueint);
        th_hex(key, 32, th_str(k, "private_key"));
        th_hex(digest, 32, th_str(v, "digest"));
        th_hex(want, 65, th_str(th_get(v, "signature"), "serialized"));
        cr_assert_eq(ledger_sig_sign(sig, digest, key), ST_OK, "signing vector %d", count);
        cr_assert_arr_eq(sig, want, 65, "vector %d: RFC 6979 signature matches ethers byte for byte", count);
        cr_assert_eq(ledger_sig_recover(addr, digest, sig), ST_OK, "vector %d recovers", count);
        th_assert_addr(addr, th_str(v, "signer"), "the recovered signer is the vector's");
        count++;
    }
    cr_assert_eq(count, 25, "all 25 signature vectors ran");
}

Test(ledger_sig, accepts_v_as_0_or_1)
{
    uint8_t digest[32], sig[65], addr[20];
    const char *signer;
    sample(digest, sig, &signer);
    sig[64] -= 27;
    cr_assert_eq(ledger_sig_recover(addr, digest, sig), ST_OK, "v = %d is accepted", sig[64]);
    th_assert_addr(addr, signer, "v = 0/1 recovers the same signer");
}

Test(ledger_sig, refuses_the_high_s_vector)
{
    const cJSON *nc = cJSON_GetArrayItem(th_get(th_vectors(), "negative_cases"), 1);
    uint8_t digest[32], sig[65], addr[20];
    cr_assert_str_eq(th_str(nc, "name"), "high_s_signature", "the second negative case is high s");
    th_hex(digest, 32, th_str(nc, "presented_digest"));
    th_hex(sig, 65, th_str(th_get(nc, "original_signature"), "serialized"));
    cr_assert_eq(ledger_sig_recover(addr, digest, sig), ST_OK, "the original low-s signature is fine");
    th_assert_addr(addr, th_str(nc, "claimed_signer"), "and recovers the claimed signer");
    th_hex(sig, 65, th_str(th_get(nc, "signature"), "serialized"));
    memset(addr, 0xaa, sizeof addr);
    cr_assert_eq(ledger_sig_recover(addr, digest, sig), ST_CRYPTO, "s > n/2 is refused");
    cr_assert_str_eq(ledger_sig_defect(sig), "s is not canonical (high s)", "the defect names high s");
    for (size_t i = 0; i < 20; i++)
        cr_assert_eq(addr[i], 0xaa, "addr is untouched on failure");
}

Test(ledger_sig, refuses_r_or_s_out_of_range_and_bad_v)
{
    uint8_t digest[32], good[65], sig[65], addr[20], n[32];
    const char *signer;
    sample(digest, good, &signer);
    th_hex(n, 32, N_HEX);
    struct { unsigned off; const uint8_t *word; uint8_t v; const char *what; } cases[] = {
        { 0, NULL, 0, "r = 0" }, { 0, n, 0, "r = n" }, { 32, NULL, 0, "s = 0" }, { 32, n, 0, "s = n" },
        { 64, NULL, 29, "v = 29" }, { 64, NULL, 2, "v = 2" }, { 64, NULL, 26, "v = 26" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memcpy(sig, good, 65);
        if (cases[i].off == 64)
            sig[64] = cases[i].v;
        else if (cases[i].word)
            memcpy(sig + cases[i].off, cases[i].word, 32);
        else
            memset(sig + cases[i].off, 0, 32);
        cr_assert_eq(ledger_sig_recover(addr, digest, sig), ST_CRYPTO, "%s is refused", cases[i].what);
        cr_assert_not_null(ledger_sig_defect(sig), "%s is a defect", cases[i].what);
    }
    cr_assert_null(ledger_sig_defect(good), "the vector signature has no defect");
}

Test(ledger_sig, recovers_another_address_from_a_changed_digest)
{
    uint8_t digest[32], sig[65], addr[20];
    char s[LEDGER_ADDR_STRLEN];
    const char *signer;
    sample(digest, sig, &signer);
    digest[0] ^= 1;
    cr_assert_eq(ledger_sig_recover(addr, digest, sig), ST_OK, "some key recovers from a changed digest");
    ledger_addr_format(s, addr);
    cr_assert_str_neq(s, signer, "but never the signer");
}

Test(ledger_sig, refuses_invalid_secret_keys)
{
    uint8_t key[32] = { 0 }, digest[32] = { 1 }, sig[65], addr[20];
    cr_assert_eq(ledger_sig_sign(sig, digest, key), ST_CRYPTO, "the zero key cannot sign");
    cr_assert_eq(ledger_sig_address(addr, key), ST_CRYPTO, "the zero key has no address");
    th_hex(key, 32, N_HEX);
    cr_assert_eq(ledger_sig_sign(sig, digest, key), ST_CRYPTO, "key = n cannot sign");
    cr_assert_eq(ledger_sig_address(addr, key), ST_CRYPTO, "key = n has no address");
}
