/* SPDX-License-Identifier: MIT */
/* settle_check.c: the host's checks of an enclave's settlement report against the epoch's inputs
 * (enc_settle_report_check, see settle.h), run by conclaved before it applies a report and by
 * `conclave verify-epoch`: first the checks that need no math (each failure named), then the whole
 * report recomputed, since the workers' new values V can be checked no other way. The enclave program never needs them, so it does not link this file. */
#include "enclave/settle_int.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ledger/amount.h"

/* --- the host's checks --- */

static int fail(char *err, size_t errlen, const char *fmt, ...) PRINTF_LIKE(3, 4);

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return ST_INVALID;
}

static int channel_cmp(const void *key, const void *elem)
{
    uint64_t a = *(const uint64_t *)key, b = ((const enc_channel_in *)elem)->channel;
    return a < b ? -1 : a > b;
}

static int pool_ref_cmp(const void *key, const void *elem)
{
    uint64_t a = *(const uint64_t *)key, b = ((const enc_settle_pool_ref *)elem)->pool;
    return a < b ? -1 : a > b;
}

/* The workers' pools (a pool may earn only through a worker of the inputs), sorted.
 * Returns: ST_OK or ST_NOMEM. Out: *out (caller frees; NULL when *n is 0), *n. */
static int earning_pools(enc_settle_pool_ref **out, size_t *n, const enc_settle_input *in)
{
    enc_settle_pool_ref *refs = NULL;
    size_t k = 0;

    if (in->n_workers) {
        refs = malloc(in->n_workers * sizeof *refs);
        if (!refs)
            return ST_NOMEM;
    }
    for (size_t i = 0; i < in->n_workers; i++)
        refs[k++] = (enc_settle_pool_ref){ in->workers[i].pool, i };
    enc_settle_sort_pool_refs(refs, k);
    *out = refs;
    *n = k;
    return ST_OK;
}

/* Checks one channel's COMPUTE_PAYMENT and FEE (either may be absent), given as cp and fee. */
static int check_channel(char *err, size_t errlen, const enc_settle_input *in, const enc_op *op,
                         const mpz_t cp, const mpz_t fee)
{
    const enc_channel_in *c = bsearch(&op->channel, in->channels, in->n_channels, sizeof *c, channel_cmp);
    mpz_t pay, want;
    int rc = ST_OK;

    if (!c)
        return fail(err, errlen, "channel %llu is not in the inputs", (unsigned long long)op->channel);
    if (memcmp(op->address, c->client, 20) != 0 || (op->kind == ENC_OP_COMPUTE_PAYMENT && op->pool != c->pool))
        return fail(err, errlen, "channel %llu: the client or pool differs from the inputs",
                    (unsigned long long)op->channel);
    mpz_inits(pay, want, NULL);
    mpz_add(pay, cp, fee);
    mpz_set(want, mpz_cmp(c->owed, c->escrow) < 0 ? c->owed : c->escrow);
    if (mpz_cmp(pay, want) > 0)
        rc = fail(err, errlen, "channel %llu pays more than it owes or holds", (unsigned long long)op->channel);
    else if (mpz_cmp(pay, want) < 0)
        rc = fail(err, errlen, "channel %llu pays less than min(owed, escrow)", (unsigned long long)op->channel);
    mpz_mul_ui(want, pay, in->params.fee_ppm);
    mpz_tdiv_q_ui(want, want, LEDGER_PPM);
    if (rc == ST_OK && mpz_cmp(want, fee) != 0)
        rc = fail(err, errlen, "channel %llu: the fee is not floor(pay * feePpm / 10^6)",
                  (unsigned long long)op->channel);
    mpz_clears(pay, want, NULL);
    return rc;
}

/* Checks each operation against the inputs and adds it into the sums. */
static int check_ops(char *err, size_t errlen, const enc_settle_report *r, const enc_settle_input *in,
                     mpz_t emitted, mpz_t paid, mpz_t fees)
{
    enc_settle_pool_ref *earning;
    mpz_t cp, fee, zero;
    size_t values = 0, n_earning;
    int rc = earning_pools(&earning, &n_earning, in);

    if (rc != ST_OK) {
        snprintf(err, errlen, "cannot list the earning pools: %s", st_str(rc));
        return rc;
    }
    mpz_inits(cp, fee, zero, NULL);
    for (size_t i = 0; rc == ST_OK && i < r->n_ops; i++) {
        const enc_op *op = &r->ops[i];
        switch (op->kind) {
        case ENC_OP_TREASURY:
            mpz_add(emitted, emitted, op->amount);
            break;
        case ENC_OP_POOL_EMISSION:
            mpz_add(emitted, emitted, op->amount);
            if (!bsearch(&op->pool, earning, n_earning, sizeof *earning, pool_ref_cmp))
                rc = fail(err, errlen, "pool %llu has no worker in the inputs",
                          (unsigned long long)op->pool);
            break;
        case ENC_OP_COMPUTE_PAYMENT:
        case ENC_OP_FEE:
            /* A channel's payment and fee are adjacent (canonical order): check them as a pair. */
            mpz_set(cp, op->kind == ENC_OP_COMPUTE_PAYMENT ? op->amount : zero);
            mpz_set(fee, op->kind == ENC_OP_FEE ? op->amount : zero);
            if (op->kind == ENC_OP_COMPUTE_PAYMENT && i + 1 < r->n_ops && r->ops[i + 1].kind == ENC_OP_FEE
                && r->ops[i + 1].channel == op->channel) {
                if (memcmp(r->ops[i + 1].address, op->address, 20) != 0) {
                    rc = fail(err, errlen, "channel %llu: two clients", (unsigned long long)op->channel);
                    break;
                }
                mpz_set(fee, r->ops[++i].amount);
            }
            mpz_add(paid, paid, cp);
            mpz_add(paid, paid, fee);
            mpz_add(fees, fees, fee);
            rc = check_channel(err, errlen, in, op, cp, fee);
            break;
        default: /* ENC_OP_WORKER_VALUE (ops_defect admits no other kind): one per worker, in order */
            if (values >= in->n_workers || memcmp(op->address, in->workers[values].address, 20) != 0)
                rc = fail(err, errlen, "operation %zu: WORKER_VALUE is not for the inputs' next worker", i);
            values++;
            break;
        }
    }
    if (rc == ST_OK && values != in->n_workers)
        rc = fail(err, errlen, "%zu workers in the inputs but %zu WORKER_VALUE operations", in->n_workers, values);
    mpz_clears(cp, fee, zero, NULL);
    free(earning);
    return rc;
}

/* Recomputes the report of in and requires r's operations and totals to be the same. */
static int same_as_recomputed(char *err, size_t errlen, const enc_settle_report *r, const enc_settle_input *in)
{
    enc_settle_report own;
    int rc;

    enc_settle_report_init(&own);
    rc = enc_settle_compute(&own, in);
    if (rc != ST_OK) {
        snprintf(err, errlen, "cannot recompute the report: %s", st_str(rc));
        enc_settle_report_clear(&own);
        return rc;
    }
    for (size_t i = 0; rc == ST_OK && i < r->n_ops; i++) {
        const enc_op *a = &r->ops[i], *b = i < own.n_ops ? &own.ops[i] : NULL;
        if (!b || a->kind != b->kind || a->pool != b->pool || a->channel != b->channel
            || memcmp(a->address, b->address, 20) != 0 || mpz_cmp(a->amount, b->amount) != 0)
            rc = fail(err, errlen, "operation %zu differs from the recomputed report%s", i,
                      a->kind == ENC_OP_WORKER_VALUE ? " (a worker's new V)" : "");
    }
    if (rc == ST_OK && (r->n_ops != own.n_ops || mpz_cmp(r->budget, own.budget) != 0
                        || mpz_cmp(r->compute_paid, own.compute_paid) != 0 || mpz_cmp(r->fees, own.fees) != 0))
        rc = fail(err, errlen, "the report differs from the recomputed one");
    enc_settle_report_clear(&own);
    return rc;
}

int enc_settle_report_check(char *err, size_t errlen, const enc_settle_report *r, const enc_settle_input *in)
{
    uint8_t hash[32];
    const char *d;
    mpz_t budget, emitted, paid, fees;
    size_t at;
    int rc;

    if (errlen)
        err[0] = '\0';
    ARG_CHECK(INPUT_ARRAYS_OK(in) && REPORT_OPS_OK(r));
    if (!enc_settle_input_ok(in))
        return fail(err, errlen, "the inputs are not canonical");
    if (r->chain_id != in->chain_id || r->epoch != in->epoch)
        return fail(err, errlen, "the report is for another chain or epoch");
    rc = enc_settle_input_hash(hash, in);
    if (rc != ST_OK) {  /* only ST_NOMEM: the inputs are canonical */
        snprintf(err, errlen, "cannot hash the inputs: %s", st_str(rc));
        return rc;
    }
    if (memcmp(hash, r->input_hash, 32) != 0)
        return fail(err, errlen, "the input hash differs");
    d = enc_settle_ops_defect(&at, r);
    if (d)
        return fail(err, errlen, "operation %zu: %s", at, d);
    mpz_inits(budget, emitted, paid, fees, NULL);
    rc = check_ops(err, errlen, r, in, emitted, paid, fees);
    enc_settle_decayed_budget(budget, in);
    if (rc == ST_OK && mpz_cmp(emitted, r->budget) != 0)
        rc = fail(err, errlen, "the budget is not TREASURY + sum(POOL_EMISSION)");
    else if (rc == ST_OK && mpz_cmp(r->budget, budget) != 0)
        rc = fail(err, errlen, "the budget is not the epoch's decayed budget");
    else if (rc == ST_OK && mpz_cmp(paid, r->compute_paid) != 0)
        rc = fail(err, errlen, "computePaid is not sum(COMPUTE_PAYMENT) + sum(FEE)");
    else if (rc == ST_OK && mpz_cmp(fees, r->fees) != 0)
        rc = fail(err, errlen, "fees is not sum(FEE)");
    if (rc == ST_OK) {
        bool has_treasury = r->n_ops > 0 && r->ops[0].kind == ENC_OP_TREASURY;
        mpz_mul_ui(budget, budget, in->params.treasury_ppm);
        mpz_tdiv_q_ui(budget, budget, LEDGER_PPM);
        if (has_treasury ? mpz_cmp(r->ops[0].amount, budget) < 0 : mpz_sgn(budget) > 0)
            rc = fail(err, errlen, "the treasury gets less than its part of the budget");
    }
    mpz_clears(budget, emitted, paid, fees, NULL);
    return rc == ST_OK ? same_as_recomputed(err, errlen, r, in) : rc;
}
