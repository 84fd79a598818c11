/* SPDX-License-Identifier: MIT */
/* test_quote.c: quotes: byte for byte against an independent signature (ethers, RFC 6979), the
 * fields a verified quote yields, every flipped byte refused, the wrong platform refused, wrong
 * lengths and versions. The platform is simulated from a fixed secret and measurement. */
#include <criterion/criterion.h>
#include <secp256k1.h>
#include <string.h>
#include "enclave/platform.h"
#include "enclave/quote.h"
#include "tests/lib/testhelp.h"

/* Secret 0x00..0x1f; measurement 0xaa * 32; enclave key 1 (the generator); chainId 31337. The
 * attestation address and the signature come from Python's hmac (HKDF) and ethers' SigningKey. */
#define PLATFORM_ADDR "0x216d5129E3AAaB000c2dBBE7f7732E2ca0DF11B5"
#define G_PUB "0x79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798" \
              "483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8"
#define QUOTE_SIG "0x75fa3e0ee78a0d1d2e7f013e02f41912427fb5020b38540a820069588d96f841" \
                  "03e9e6e1952d152a8a167cd640d64da9b6370641f0a6447fd82fc00848f5e6481b"
#define QUOTE_DIGEST "0xe424a5af0c5097669aff010379735b82f2f656dae1c6c18ca093ef5e4a976957"

static secp256k1_context *ctx;

static void setup(void)
{
    ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
}

static void teardown(void)
{
    secp256k1_context_destroy(ctx);
}

TestSuite(enclave_quote, .init = setup, .fini = teardown);

static void fixed_platform(enc_platform *p)
{
    uint8_t secret[32], measurement[32];
    for (int i = 0; i < 32; i++)
        secret[i] = (uint8_t)i;
    memset(measurement, 0xaa, sizeof measurement);
    enc_platform_init(p, secret, measurement);
}

static void platform_addr(uint8_t addr[20], const enc_platform *p)
{
    cr_assert_eq(enc_platform_attestation_address(addr, p->secret), ST_OK, "the platform has an address");
}

/* The fixed quote, made by the platform. */
static void make_quote(uint8_t quote[ENC_QUOTE_LEN], enc_platform *p)
{
    uint8_t pub[64];
    fixed_platform(p);
    th_hex(pub, 64, G_PUB);
    cr_assert_eq(enc_platform_quote(ctx, quote, p, pub, 31337), ST_OK, "the platform signs a quote");
}

Test(enclave_quote, matches_an_independent_signature_byte_for_byte)
{
    enc_platform p;
    enc_quote q;
    uint8_t quote[ENC_QUOTE_LEN], addr[20], sig[65], digest[32], want_digest[32];
    make_quote(quote, &p);
    platform_addr(addr, &p);
    th_assert_addr(addr, PLATFORM_ADDR, "HKDF(secret, info \"conclave-platform-attestation-v1\") as Python computes it");
    cr_assert_eq(enc_quote_parse(&q, quote, sizeof quote), ST_OK, "the quote parses");
    enc_quote_digest(digest, &q);
    th_hex(want_digest, 32, QUOTE_DIGEST);
    cr_assert_arr_eq(digest, want_digest, 32, "sha256(\"conclave-quote-v1\" || body)");
    th_hex(sig, 65, QUOTE_SIG);
    cr_assert_arr_eq(quote + ENC_QUOTE_BODY_LEN, sig, 65, "the signature is ethers' RFC 6979 signature");
    cr_assert_eq(quote[0], 1, "version 1");
    enc_platform_clear(&p);
}

Test(enclave_quote, a_verified_quote_yields_its_fields)
{
    enc_platform p;
    enc_quote q, again;
    uint8_t quote[ENC_QUOTE_LEN], ser[ENC_QUOTE_MAX_LEN], addr[20], pub[64], meas[32];
    make_quote(quote, &p);
    platform_addr(addr, &p);
    cr_assert_eq(enc_quote_verify(&q, quote, sizeof quote, addr), ST_OK, "the quote verifies");
    th_hex(pub, 64, G_PUB);
    memset(meas, 0xaa, sizeof meas);
    cr_assert_eq(q.version, ENC_QUOTE_VERSION, "version");
    cr_assert_arr_eq(q.measurement, meas, 32, "measurement");
    cr_assert_arr_eq(q.enclave_pub, pub, 64, "enclave public key");
    cr_assert_eq(q.chain_id, 31337, "chainId");
    enc_quote_serialize(ser, &q);
    cr_assert_arr_eq(ser, quote, ENC_QUOTE_LEN, "serializing the fields gives the same bytes");
    cr_assert_eq(enc_quote_len(&q), ENC_QUOTE_LEN, "a version 1 quote's length");
    cr_assert_eq(enc_quote_parse(&again, ser, ENC_QUOTE_LEN), ST_OK, "and they parse again");
    cr_assert_eq(again.kind, ENC_QUOTE_ENCLAVE, "a version 1 quote is an enclave's");
    cr_assert_eq(again.conf_level, 1, "at level 1");
    cr_assert_eq(again.chain_id, 31337, "with the same chainId");
}

Test(enclave_quote, every_flipped_byte_fails)
{
    static const uint8_t masks[] = { 0x01, 0x80, 0xff };
    enc_platform p;
    uint8_t quote[ENC_QUOTE_LEN], addr[20];
    make_quote(quote, &p);
    platform_addr(addr, &p);
    for (size_t i = 0; i < ENC_QUOTE_LEN; i++) {
        for (size_t m = 0; m < sizeof masks; m++) {
            uint8_t bad[ENC_QUOTE_LEN];
            enc_quote q;
            int rc;
            memcpy(bad, quote, sizeof bad);
            bad[i] ^= masks[m];
            memset(&q, 0x55, sizeof q);
            rc = enc_quote_verify(&q, bad, sizeof bad, addr);
            cr_assert_neq(rc, ST_OK, "byte %zu ^ 0x%02x is refused", i, masks[m]);
            cr_assert_eq(rc, i == 0 ? ST_VERSION : ST_CRYPTO, "byte %zu: %s", i, st_str(rc));
            cr_assert_eq(q.version, 0x55, "byte %zu: the fields are untouched", i);
        }
    }
}

Test(enclave_quote, another_platform_is_refused)
{
    enc_platform p, other;
    uint8_t quote[ENC_QUOTE_LEN], addr[20], secret[32], meas[32];
    enc_quote q;
    make_quote(quote, &p);
    memcpy(secret, p.secret, 32);
    secret[31] ^= 1;
    memset(meas, 0xaa, sizeof meas);
    enc_platform_init(&other, secret, meas);
    platform_addr(addr, &other);
    cr_assert_eq(enc_quote_verify(&q, quote, sizeof quote, addr), ST_CRYPTO,
                 "a quote of one platform does not verify against another's address");
}

Test(enclave_quote, wrong_lengths_and_versions_are_refused)
{
    enc_platform p;
    uint8_t quote[ENC_QUOTE_LEN + 1], addr[20];
    enc_quote q;
    make_quote(quote, &p);
    platform_addr(addr, &p);
    quote[ENC_QUOTE_LEN] = 0;
    cr_assert_eq(enc_quote_verify(&q, quote, ENC_QUOTE_LEN - 1, addr), ST_INVALID, "one byte short");
    cr_assert_eq(enc_quote_verify(&q, quote, ENC_QUOTE_LEN + 1, addr), ST_INVALID, "one byte long");
    cr_assert_eq(enc_quote_parse(&q, quote, 0), ST_INVALID, "empty");
    quote[0] = 3;
    cr_assert_eq(enc_quote_parse(&q, quote, ENC_QUOTE_LEN), ST_VERSION, "version 3 is not ours");
    quote[0] = 2;
    cr_assert_eq(enc_quote_parse(&q, quote, ENC_QUOTE_LEN), ST_INVALID, "version 2 has another length");
}

/* A worker runtime's quote at level 4, made by the fixed platform. */
static void make_worker_quote(uint8_t quote[ENC_QUOTE_V2_LEN], enc_platform *p)
{
    uint8_t pub[64];
    fixed_platform(p);
    p->conf_level = 4;
    th_hex(pub, 64, G_PUB);
    cr_assert_eq(enc_platform_quote_worker(ctx, quote, p, pub, 31337), ST_OK, "the platform signs a worker quote");
}

Test(enclave_quote, a_worker_quote_carries_its_kind_and_attested_level)
{
    enc_platform p;
    enc_quote q;
    uint8_t quote[ENC_QUOTE_V2_LEN], ser[ENC_QUOTE_MAX_LEN], addr[20], pub[64];
    make_worker_quote(quote, &p);
    platform_addr(addr, &p);
    cr_assert_eq(enc_quote_verify(&q, quote, sizeof quote, addr), ST_OK, "it verifies");
    th_hex(pub, 64, G_PUB);
    cr_assert_eq(q.version, 2, "version 2");
    cr_assert_eq(q.kind, ENC_QUOTE_WORKER, "a worker's");
    cr_assert_eq(q.conf_level, 4, "the platform's level");
    cr_assert_arr_eq(q.enclave_pub, pub, 64, "its key");
    cr_assert_eq(q.chain_id, 31337, "its chain");
    cr_assert_eq(enc_quote_len(&q), ENC_QUOTE_V2_LEN, "172 bytes");
    enc_quote_serialize(ser, &q);
    cr_assert_arr_eq(ser, quote, ENC_QUOTE_V2_LEN, "the same bytes again");
}

Test(enclave_quote, every_flipped_byte_of_a_worker_quote_fails)
{
    enc_platform p;
    uint8_t quote[ENC_QUOTE_V2_LEN], addr[20];
    make_worker_quote(quote, &p);
    platform_addr(addr, &p);
    for (size_t i = 0; i < ENC_QUOTE_V2_LEN; i++) {
        uint8_t bad[ENC_QUOTE_V2_LEN];
        enc_quote q;
        memcpy(bad, quote, sizeof bad);
        bad[i] ^= 0x01;
        int rc = enc_quote_verify(&q, bad, sizeof bad, addr);
        /* the version byte gives 3, the kind byte 3, the level byte 5: a level the platform did not sign */
        int want = i == 0 ? ST_VERSION : i == 1 ? ST_INVALID : ST_CRYPTO;
        cr_assert_eq(rc, want, "byte %zu: %s", i, st_str(rc));
    }
    quote[2] = 0;
    enc_quote q;
    cr_assert_eq(enc_quote_parse(&q, quote, sizeof quote), ST_INVALID, "level 0");
    quote[2] = 6;
    cr_assert_eq(enc_quote_parse(&q, quote, sizeof quote), ST_INVALID, "level 6");
}
