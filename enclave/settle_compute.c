/* SPDX-License-Identifier: MIT */
/* settle_compute.c: epoch settlement's reward formula (see settle.h): the decayed budget, each
 * worker's share, and the report's operations, in mpz integers (no floating point anywhere).
 * It runs in conclaved and the CLI and inside conclave-enclave, whose seccomp filter allows only
 * read/write on its socket and memory calls: so it uses no library function that may make another
 * system call (no qsort: glibc's may call sysinfo). */
#include "enclave/settle_int.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "ledger/amount.h"

static const uint8_t zero_addr[20];

/* --- the formula --- */

/* The decayed budget of a canonical input. One cut per whole period from genesis to epoch_start;
 * the loop stops once the budget is zero, and each cut lowers a positive budget by at least one. */
void enc_settle_decayed_budget(mpz_t b, const enc_settle_input *in)
{
    const enc_reward_params *p = &in->params;
    uint64_t periods;

    mpz_set(b, p->budget_per_epoch);
    if (p->decay_period == 0 || p->decay_ppm == 0)
        return;
    periods = (in->epoch_start - in->genesis_time) / p->decay_period;
    for (; periods > 0 && mpz_sgn(b) > 0; periods--) {
        mpz_mul_ui(b, b, LEDGER_PPM - p->decay_ppm);
        mpz_tdiv_q_ui(b, b, LEDGER_PPM);
    }
}

int enc_settle_budget(mpz_t budget, const enc_settle_input *in)
{
    ARG_CHECK(INPUT_ARRAYS_OK(in));
    if (!enc_settle_input_ok(in))
        return ST_INVALID;
    enc_settle_decayed_budget(budget, in);
    return ST_OK;
}

int enc_settle_worker_share(mpz_t share, const enc_reward_params *p, const enc_worker_in *w)
{
    mpz_t f, v, c, t;
    unsigned long conf;

    ARG_CHECK(w->conf_level >= 1 && w->conf_level <= ENC_CONF_LEVELS && p->re_ppm >= LEDGER_PPM);
    conf = p->conf_ppm[w->conf_level - 1];
    mpz_inits(f, v, c, t, NULL);
    /* factor = floor((rePpm - 10^6) * conf / 10^6) + 10^6 */
    mpz_set_ui(f, p->re_ppm - LEDGER_PPM);
    mpz_mul_ui(f, f, conf);
    mpz_tdiv_q_ui(f, f, LEDGER_PPM);
    mpz_add_ui(f, f, LEDGER_PPM);
    /* V = factor * (S * 10^6 + rigKPpm * P * 10^18) */
    mpz_ui_pow_ui(t, 10, 18);
    mpz_mul_ui(t, t, p->rig_k_ppm);
    mpz_mul_ui(t, t, w->score);
    mpz_mul_ui(v, w->stake, LEDGER_PPM);
    mpz_add(v, v, t);
    mpz_mul(v, v, f);
    /* C = 2 * P * conf * 10^24 */
    mpz_ui_pow_ui(c, 10, 24);
    mpz_mul_ui(c, c, 2);
    mpz_mul_ui(c, c, w->score);
    mpz_mul_ui(c, c, conf);
    /* share = isqrt(V^2 + C^2) */
    mpz_mul(v, v, v);
    mpz_mul(c, c, c);
    mpz_add(v, v, c);
    mpz_sqrt(share, v);
    mpz_clears(f, v, c, t, NULL);
    return ST_OK;
}

static bool pool_ref_less(const enc_settle_pool_ref *x, const enc_settle_pool_ref *y)
{
    return x->pool != y->pool ? x->pool < y->pool : x->worker < y->worker;
}

/* Moves a[i] down the max-heap a[0..n). */
static void sift_down(enc_settle_pool_ref *a, size_t i, size_t n)
{
    for (size_t child; (child = 2 * i + 1) < n; i = child) {
        enc_settle_pool_ref t;
        if (child + 1 < n && pool_ref_less(&a[child], &a[child + 1]))
            child++;
        if (!pool_ref_less(&a[i], &a[child]))
            return;
        t = a[i];
        a[i] = a[child];
        a[child] = t;
    }
}

/* Heapsort, in place and without allocating. Not qsort: glibc's qsort may call sysinfo(2) to size
 * a buffer, which the enclave's seccomp filter punishes with SIGSYS. */
void enc_settle_sort_pool_refs(enc_settle_pool_ref *a, size_t n)
{
    for (size_t i = n / 2; i-- > 0;)
        sift_down(a, i, n);
    for (size_t end = n; end-- > 1;) {
        enc_settle_pool_ref t = a[0];
        a[0] = a[end];
        a[end] = t;
        sift_down(a, 0, end);
    }
}

/* Appends an operation to r's ops (allocated for the most operations an input can give).
 * In: amount, or NULL for a zero amount (SLASH). */
static void push_op(enc_settle_report *r, uint8_t kind, uint64_t pool, uint64_t channel,
                    const uint8_t address[20], const mpz_t amount, uint32_t ppm)
{
    enc_op *op = &r->ops[r->n_ops++];
    op->kind = kind;
    op->pool = pool;
    op->channel = channel;
    memcpy(op->address, address, 20);
    if (amount)
        mpz_init_set(op->amount, amount);
    else
        mpz_init(op->amount);
    op->ppm = ppm;
}

/* The emission: payouts in pay[] (one per worker, set to floor(W * weight / sum(weight))), then
 * the TREASURY and POOL_EMISSION operations. */
static int emit(enc_settle_report *r, mpz_t *pay, const enc_settle_input *in)
{
    const enc_reward_params *p = &in->params;
    mpz_t treasury, w_budget, total, paid, x;
    enc_settle_pool_ref *refs = NULL;
    size_t n = in->n_workers;
    int rc = ST_OK;

    mpz_inits(treasury, w_budget, total, paid, x, NULL);
    mpz_mul_ui(treasury, r->budget, p->treasury_ppm);
    mpz_tdiv_q_ui(treasury, treasury, LEDGER_PPM);
    mpz_sub(w_budget, r->budget, treasury);
    for (size_t i = 0; i < n; i++) {
        const enc_worker_in *w = &in->workers[i];
        if (w->uptime_ppm < p->uptime_threshold_ppm)
            continue;
        rc = enc_settle_worker_share(pay[i], p, w);
        if (rc != ST_OK)
            goto out;
        mpz_mul_ui(pay[i], pay[i], w->uptime_ppm);
        mpz_add(total, total, pay[i]);
    }
    /* With no weight at all every pay[i] is still 0 and all of W stays with the treasury. */
    for (size_t i = 0; i < n && mpz_sgn(total) > 0; i++) {
        mpz_mul(pay[i], pay[i], w_budget);
        mpz_tdiv_q(pay[i], pay[i], total);
        mpz_add(paid, paid, pay[i]);
    }
    mpz_sub(x, w_budget, paid);
    mpz_add(x, x, treasury);
    if (mpz_sgn(x) > 0)
        push_op(r, ENC_OP_TREASURY, 0, 0, zero_addr, x, 0);
    if (n == 0)
        goto out;
    refs = malloc(n * sizeof *refs);
    if (!refs) {
        rc = ST_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        refs[i] = (enc_settle_pool_ref){ in->workers[i].pool, i };
    enc_settle_sort_pool_refs(refs, n);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        mpz_set_ui(x, 0);
        for (; j < n && refs[j].pool == refs[i].pool; j++)
            mpz_add(x, x, pay[refs[j].worker]);
        if (mpz_sgn(x) > 0)
            push_op(r, ENC_OP_POOL_EMISSION, refs[i].pool, 0, zero_addr, x, 0);
        i = j;
    }
out:
    free(refs);
    mpz_clears(treasury, w_budget, total, paid, x, NULL);
    return rc;
}

/* The compute payments of the channels and the slashes, in their canonical order. */
static int pay_channels_and_slash(enc_settle_report *r, const enc_settle_input *in)
{
    const enc_reward_params *p = &in->params;
    mpz_t pay, fee;
    int rc = ST_OK;

    mpz_inits(pay, fee, NULL);
    for (size_t i = 0; i < in->n_channels; i++) {
        const enc_channel_in *c = &in->channels[i];
        mpz_set(pay, mpz_cmp(c->owed, c->escrow) < 0 ? c->owed : c->escrow);
        mpz_mul_ui(fee, pay, p->fee_ppm);
        mpz_tdiv_q_ui(fee, fee, LEDGER_PPM);
        mpz_add(r->compute_paid, r->compute_paid, pay);
        mpz_add(r->fees, r->fees, fee);
        mpz_sub(pay, pay, fee);
        if (mpz_sgn(pay) > 0)
            push_op(r, ENC_OP_COMPUTE_PAYMENT, c->pool, c->channel, c->client, pay, 0);
        if (mpz_sgn(fee) > 0)
            push_op(r, ENC_OP_FEE, 0, c->channel, c->client, fee, 0);
    }
    if (!ledger_amount_fits(r->compute_paid))
        rc = ST_INVALID;
    for (size_t i = 0; rc == ST_OK && p->slash_ppm > 0 && i < in->n_workers; i++)
        if (in->workers[i].uptime_ppm < p->uptime_threshold_ppm)
            push_op(r, ENC_OP_SLASH, 0, 0, in->workers[i].address, NULL, p->slash_ppm);
    mpz_clears(pay, fee, NULL);
    return rc;
}

int enc_settle_compute(enc_settle_report *r, const enc_settle_input *in)
{
    enc_settle_report t;
    mpz_t *pay = NULL;
    size_t n = in->n_workers, n_pay = 0;
    int rc;

    ARG_CHECK(INPUT_ARRAYS_OK(in));
    if (!enc_settle_input_ok(in))
        return ST_INVALID;
    /* At most: TREASURY, one POOL_EMISSION and one SLASH per worker, two per channel. */
    if (n > (SIZE_MAX / sizeof(enc_op) - 1) / 2 || in->n_channels > (SIZE_MAX / sizeof(enc_op) - 1 - 2 * n) / 2)
        return ST_NOMEM;
    enc_settle_report_init(&t);
    t.ops = malloc((1 + 2 * n + 2 * in->n_channels) * sizeof *t.ops);
    pay = n ? malloc(n * sizeof *pay) : NULL;
    if (!t.ops || (n && !pay)) {
        rc = ST_NOMEM;
        goto out;
    }
    for (; n_pay < n; n_pay++)
        mpz_init(pay[n_pay]);
    t.chain_id = in->chain_id;
    t.epoch = in->epoch;
    rc = enc_settle_input_hash(t.input_hash, in);
    if (rc != ST_OK)
        goto out;
    enc_settle_decayed_budget(t.budget, in);
    rc = emit(&t, pay, in);
    if (rc == ST_OK)
        rc = pay_channels_and_slash(&t, in);
out:
    for (size_t i = 0; i < n_pay; i++)
        mpz_clear(pay[i]);
    free(pay);
    if (rc == ST_OK) {
        enc_settle_report_clear(r);
        *r = t;
    } else {
        enc_settle_report_clear(&t);
    }
    return rc;
}

