/* SPDX-License-Identifier: MIT */
/* fuzz_settle.c: the enclave's settlement parsers (enclave/settle.c): the inputs that conclaved
 * sends in a SETTLE_REQ (parsed inside the enclave) and the report the enclave answers (parsed by
 * the host). The first byte picks which; the rest is the canonical binary form (version 2).
 * Invariants: the parsers are strict, so what parses serializes back to exactly its input; inputs
 * that parse are settled, unless their compute payments add up to 2^256 or more (documented as
 * ST_INVALID) or an evolution is undecidable (ST_LIMIT, no case known: reported); the report
 * conserves the budget, has one WORKER_VALUE per worker, and passes the host's check against them. */
#include "fuzz/fuzz.h"

#include <stdbool.h>
#include <string.h>
#include "enclave/settle.h"
#include "ledger/amount.h"

/* Whether the channels' payments, each min(owed, escrow), add up to less than 2^256. */
static bool payments_fit(const enc_settle_input *in)
{
    mpz_t sum;
    mpz_init(sum);
    for (size_t i = 0; i < in->n_channels; i++) {
        const enc_channel_in *c = &in->channels[i];
        mpz_add(sum, sum, mpz_cmp(c->owed, c->escrow) < 0 ? c->owed : c->escrow);
    }
    bool fits = ledger_amount_fits(sum);
    mpz_clear(sum);
    return fits;
}

static void inputs(const uint8_t *data, size_t size)
{
    enc_settle_input in;
    enc_settle_report r;
    uint8_t *out = NULL, hash[32];
    size_t len = 0;
    char err[256];

    enc_settle_input_init(&in);
    enc_settle_report_init(&r);
    if (enc_settle_input_parse(&in, data, size) == ST_OK) {
        FUZZ_CHECK(enc_settle_input_serialize(&out, &len, &in) == ST_OK);
        FUZZ_CHECK(len == size && memcmp(out, data, size) == 0);
        FUZZ_CHECK(enc_settle_input_hash(hash, &in) == ST_OK);
        int rc = enc_settle_compute(&r, &in);
        /* the one documented refusal of canonical inputs: compute payments of 2^256 or more */
        if (rc == ST_LIMIT)
            fprintf(stderr, "fuzz_settle: an evolution economics.h cannot decide (ST_LIMIT)\n");
        if (payments_fit(&in))
            FUZZ_CHECK(rc == ST_OK || rc == ST_NOMEM || rc == ST_LIMIT);
        else
            FUZZ_CHECK(rc == ST_INVALID);
        if (rc == ST_OK) {
            mpz_t sum;
            size_t values = 0;
            mpz_init(sum);
            for (size_t i = 0; i < r.n_ops; i++) {
                if (r.ops[i].kind == ENC_OP_TREASURY || r.ops[i].kind == ENC_OP_POOL_EMISSION)
                    mpz_add(sum, sum, r.ops[i].amount);
                values += r.ops[i].kind == ENC_OP_WORKER_VALUE;
            }
            FUZZ_CHECK(mpz_cmp(sum, r.budget) == 0);
            FUZZ_CHECK(values == in.n_workers);
            mpz_clear(sum);
            rc = enc_settle_report_check(err, sizeof err, &r, &in);
            if (rc != ST_OK)
                fprintf(stderr, "fuzz_settle: the report fails its check: %s\n", err);
            FUZZ_CHECK(rc == ST_OK);
        }
    }
    free(out);
    enc_settle_report_clear(&r);
    enc_settle_input_clear(&in);
}

static void report(const uint8_t *data, size_t size)
{
    enc_settle_report r;
    uint8_t *out = NULL, digest[32];
    size_t len = 0;

    enc_settle_report_init(&r);
    if (enc_settle_report_parse(&r, data, size) == ST_OK) {
        FUZZ_CHECK(enc_settle_report_serialize(&out, &len, &r) == ST_OK);
        FUZZ_CHECK(len == size && memcmp(out, data, size) == 0);
        FUZZ_CHECK(enc_settle_report_digest(digest, &r) == ST_OK);
    }
    free(out);
    enc_settle_report_clear(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (data[0] & 1)
        report(data + 1, size - 1);
    else
        inputs(data + 1, size - 1);
    return 0;
}
