/* SPDX-License-Identifier: MIT */
/* test_count_report.c: the count report's byte form (docs/SECRET_BALLOTS.md): the layout byte by
 * byte, a round trip through sign, serialize, parse and signer, every malformed form refused, any
 * changed byte recovering to another signer; and the COUNT_BEGIN header's bounds. */
#include <criterion/criterion.h>
#include <secp256k1.h>
#include <string.h>
#include "enclave/count_report.h"
#include "ledger/hash.h"
#include "ledger/sig.h"
#include "tests/lib/testhelp.h"

static const uint8_t identity[32] = { [0] = 0x42, [31] = 0x07 };

/* A report of 3 choices with recognizable members, signed. */
static void sample(enc_count_report *r, secp256k1_context *ctx)
{
    memset(r, 0, sizeof *r);
    r->chain_id = 31337;
    r->proposal = 0x0102030405060708ull;
    memset(r->ballots_hash, 0xab, 32);
    r->count = 5;
    r->valid = 3;
    r->invalid = 2;
    r->total_power[31] = 99;
    r->n_choices = 3;
    r->scores[0][31] = 40;
    r->scores[1][30] = 1;
    r->scores[2][0] = 0x80;
    memset(r->measurement, 0xcd, 32);
    cr_assert_eq(enc_count_report_sign(ctx, r, identity), ST_OK, "signs");
}

Test(enclave_count_report, lays_out_the_bytes_as_documented)
{
    secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    enc_count_report r;
    uint8_t out[ENC_COUNT_REPORT_MAX + 65], want_digest[32], digest[32], msg[22 + 222];
    size_t len = 0;

    sample(&r, ctx);
    cr_assert_eq(enc_count_report_len(&r), 126 + 96, "126 + 32 per choice");
    cr_assert_eq(enc_count_report_serialize(out, sizeof out, &len, &r), ST_OK, "serializes");
    cr_assert_eq(len, 222 + 65, "with the signature");
    cr_assert_eq(out[0], 1, "version 1");
    cr_assert(out[7] == 0x7a && out[8] == 0x69, "chainId 31337 big-endian");
    cr_assert(out[9] == 1 && out[16] == 8, "proposal big-endian");
    cr_assert_eq(out[17], 0xab, "ballotsHash at 17");
    cr_assert(out[52] == 5 && out[56] == 3 && out[60] == 2, "count, valid, invalid at 49, 53, 57");
    cr_assert_eq(out[92], 99, "totalPower at 61");
    cr_assert_eq(out[93], 3, "nChoices at 93");
    cr_assert(out[94 + 31] == 40 && out[126 + 30] == 1 && out[158] == 0x80, "the scores from 94");
    cr_assert_eq(out[190], 0xcd, "the measurement after them");
    cr_assert_arr_eq(out + 222, r.signature, 65, "then the signature");
    memcpy(msg, "conclave poll count v1", 22);
    memcpy(msg + 22, out, 222);
    ledger_keccak256(want_digest, msg, sizeof msg);
    enc_count_report_digest(digest, &r);
    cr_assert_arr_eq(digest, want_digest, 32, "the digest is keccak256(label || report)");
    secp256k1_context_destroy(ctx);
}

Test(enclave_count_report, round_trips_and_recovers_its_signer)
{
    secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    enc_count_report r, back;
    uint8_t out[ENC_COUNT_REPORT_MAX + 65], addr[20], signer[20];
    size_t len = 0;
    const char *why = NULL;

    sample(&r, ctx);
    cr_assert_eq(enc_count_report_serialize(out, sizeof out, &len, &r), ST_OK, "serializes");
    cr_assert_eq(enc_count_report_serialize(out, len - 1, &len, &r), ST_LIMIT, "not into a buffer too small");
    cr_assert_eq(enc_count_report_parse(&back, &why, out, len), ST_OK, "parses");
    cr_assert(memcmp(&back, &r, sizeof r) == 0, "to the same report");
    cr_assert_eq(ledger_sig_address(addr, identity), ST_OK, "the identity's address");
    cr_assert_eq(enc_count_report_signer(signer, &back), ST_OK, "recovers");
    cr_assert_arr_eq(signer, addr, 20, "to the identity");
    for (size_t i = 0; i < len - 65; i++) {
        out[i] ^= 0x01;
        if (enc_count_report_parse(&back, &why, out, len) == ST_OK && enc_count_report_signer(signer, &back) == ST_OK)
            cr_assert(memcmp(signer, addr, 20) != 0, "byte %zu changed: another signer", i);
        out[i] ^= 0x01;
    }
    secp256k1_context_destroy(ctx);
}

Test(enclave_count_report, refuses_malformed_reports)
{
    secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    enc_count_report r, back;
    uint8_t out[ENC_COUNT_REPORT_MAX + 65 + 1];
    size_t len = 0;
    const char *why = NULL;

    sample(&r, ctx);
    cr_assert_eq(enc_count_report_serialize(out, sizeof out, &len, &r), ST_OK, "serializes");
    cr_assert_eq(enc_count_report_parse(&back, &why, out, 100), ST_INVALID, "too short");
    cr_assert_eq(enc_count_report_parse(&back, &why, out, len - 1), ST_INVALID, "one byte short");
    cr_assert_str_eq(why, "the report's length does not match its number of choices", "why");
    cr_assert_eq(enc_count_report_parse(&back, &why, out, len + 1), ST_INVALID, "one byte long");
    out[0] = 2;
    cr_assert_eq(enc_count_report_parse(&back, &why, out, len), ST_INVALID, "version 2");
    out[0] = 1;
    out[93] = 1;
    cr_assert_eq(enc_count_report_parse(&back, &why, out, len), ST_INVALID, "one choice");
    out[93] = 33;
    cr_assert_eq(enc_count_report_parse(&back, &why, out, len), ST_INVALID, "33 choices");
    out[93] = 3;
    out[56] = 4;
    cr_assert_eq(enc_count_report_parse(&back, &why, out, len), ST_INVALID, "valid + invalid is not count");
    cr_assert_str_eq(why, "the report's valid and invalid ballots do not add up to its count", "why");
    secp256k1_context_destroy(ctx);
}

Test(enclave_count_report, header_bounds)
{
    enc_count_header h = { .chain_id = 1, .proposal = 2, .system = 7, .n_choices = 32, .n_ballots = ENC_COUNT_MAX_BALLOTS };
    enc_count_header back;
    uint8_t buf[ENC_COUNT_HEADER_LEN];
    const char *why = NULL;

    enc_count_header_serialize(buf, &h);
    cr_assert_eq(enc_count_header_parse(&back, &why, buf, sizeof buf), ST_OK, "the largest count parses");
    cr_assert(back.chain_id == 1 && back.proposal == 2 && back.system == 7 && back.n_choices == 32
              && back.n_ballots == ENC_COUNT_MAX_BALLOTS && memcmp(back.ballots_hash, h.ballots_hash, 32) == 0,
              "to itself");
    buf[21] = 1;  /* one ballot more */
    cr_assert_eq(enc_count_header_parse(&back, &why, buf, sizeof buf), ST_INVALID, "one ballot too many");
    h.system = 1;
    h.n_choices = 3;
    h.n_ballots = 0;
    enc_count_header_serialize(buf, &h);
    cr_assert_eq(enc_count_header_parse(&back, &why, buf, sizeof buf), ST_OK, "basic with 3 choices");
    buf[16] = 0;
    cr_assert_eq(enc_count_header_parse(&back, &why, buf, sizeof buf), ST_INVALID, "system 0");
    buf[16] = 2;
    buf[17] = 1;
    cr_assert_eq(enc_count_header_parse(&back, &why, buf, sizeof buf), ST_INVALID, "one choice");
}
