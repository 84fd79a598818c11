/* SPDX-License-Identifier: MIT */
/* settle_compute.c: epoch settlement's reward formula (see settle.h): the decayed budget, each
 * worker's value promise V through the epoch's slots (one closed-form evolution of economics.c per
 * run of answered or unanswered slots, never a loop over steps), its share and payout, and the
 * report's operations, in mpz integers (no floating point anywhere).
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

/* What the formula needs for every worker of one input: the economics and some scratch numbers. */
typedef struct calc {
    const enc_settle_input *in;
    enc_econ_params econ;
    uint64_t slots;                  /* n_slots */
    mpz_t one;                       /* 10^36 */
    mpz_t conf, pf, m;               /* scratch: confidence, p_epoch as a fixed, multiplier */
} calc;

static void calc_init(calc *c, const enc_settle_input *in)
{
    c->in = in;
    c->slots = enc_settle_slot_count(in);
    enc_settle_econ_params(&c->econ, &in->params);
    mpz_inits(c->one, c->conf, c->pf, c->m, NULL);
    mpz_ui_pow_ui(c->one, 10, ENC_ECON_SCALE_DIGITS);
}

static void calc_clear(calc *c)
{
    enc_econ_params_clear(&c->econ);
    mpz_clears(c->one, c->conf, c->pf, c->m, NULL);
}

/* r = x, whatever the width of unsigned long. */
static void set_u64(mpz_t r, uint64_t x)
{
    mpz_set_ui(r, (unsigned long)(x >> 32));
    mpz_mul_2exp(r, r, 32);
    mpz_add_ui(r, r, (unsigned long)(x & 0xffffffffu));
}

/* steps(s): floor(length of slot s / step_seconds). s < n_slots, so the slot starts before
 * epoch_end and nothing overflows. */
static uint64_t slot_steps(const enc_settle_input *in, uint64_t s)
{
    uint64_t left = in->epoch_end - in->epoch_start - s * in->slot_seconds;
    return (left < in->slot_seconds ? left : in->slot_seconds) / in->params.step_seconds;
}

/* Worker w of a canonical input through the epoch: v = its V at the end, d = its deductible,
 * weight = share x answered steps (the formula in settle.h, line by line). v, d and weight may be
 * changed on failure. Returns: ST_OK, or ST_LIMIT from the economics. */
static int worker_weight(calc *c, mpz_t v, mpz_t d, mpz_t weight, const enc_worker_in *w)
{
    uint64_t answered = 0, sum = 0, answered_steps = 0;
    int rc;

    mpz_set_ui(d, 0);
    mpz_set_ui(weight, 0);
    if ((rc = enc_econ_confidence(c->conf, w->conf_level)) != ST_OK)
        return rc;
    if (w->started) {
        mpz_set(v, w->v);
    } else {
        enc_econ_from_amount(c->pf, w->stake);
        if ((rc = enc_econ_initial_v(v, &c->econ, c->pf, w->score, w->conf_level)) != ST_OK)
            return rc;
        if (mpz_cmp(v, c->econ.v_max) > 0)
            mpz_set(v, c->econ.v_max);
    }
    for (uint64_t s = w->first_slot; s < c->slots; s++)
        if (w->perf[s] > 0) {
            answered++;
            sum += w->perf[s];              /* at most 2^16 values below 2^32: no overflow */
            answered_steps += slot_steps(c->in, s);
        }
    /* p_epoch = floor(sum / answered), a whole number below 2^32, then as a fixed; m from it */
    mpz_mul_ui(c->pf, c->one, answered ? (unsigned long)(sum / answered) : 0ul);
    if ((rc = enc_econ_multiplier(c->m, c->pf, w->score)) != ST_OK)
        return rc;
    /* maximal runs of answered and unanswered slots, in order: one evolution per run */
    for (uint64_t s = w->first_slot; s < c->slots && rc == ST_OK;) {
        bool up = w->perf[s] > 0;
        uint64_t steps = 0;
        for (; s < c->slots && (w->perf[s] > 0) == up; s++)
            steps += slot_steps(c->in, s);
        rc = up ? enc_econ_evolve_idle(v, d, &c->econ, c->m, w->score, steps)
                : enc_econ_evolve_unresponsive(v, d, &c->econ, steps);
    }
    if (rc == ST_OK && answered && (rc = enc_econ_share(weight, v, c->pf, c->conf)) == ST_OK) {
        set_u64(c->m, answered_steps);          /* m is no longer needed: reused for the steps */
        mpz_mul(weight, weight, c->m);
    }
    return rc;
}

int enc_settle_worker_weight(mpz_t v, mpz_t d, mpz_t weight, const enc_settle_input *in, size_t i)
{
    calc c;
    mpz_t tv, td, tw;
    int rc;

    ARG_CHECK(INPUT_ARRAYS_OK(in));
    if (!enc_settle_input_ok(in) || i >= in->n_workers)
        return ST_INVALID;
    calc_init(&c, in);
    mpz_inits(tv, td, tw, NULL);
    rc = worker_weight(&c, tv, td, tw, &in->workers[i]);
    if (rc == ST_OK) {
        mpz_swap(v, tv);
        mpz_swap(d, td);
        mpz_swap(weight, tw);
    }
    mpz_clears(tv, td, tw, NULL);
    calc_clear(&c);
    return rc;
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

/* Appends an operation to r's ops (allocated for the most operations an input can give). */
static void push_op(enc_settle_report *r, uint8_t kind, uint64_t pool, uint64_t channel,
                    const uint8_t address[20], const mpz_t amount)
{
    enc_op *op = &r->ops[r->n_ops++];
    op->kind = kind;
    op->pool = pool;
    op->channel = channel;
    memcpy(op->address, address, 20);
    mpz_init_set(op->amount, amount);
}

/* Per worker: its V, its deductible D, then its weight and its payout (in pay). */
typedef struct worker_calc {
    mpz_t v, d, pay;
} worker_calc;

/* The emission: each worker's weight and payout floor(W * weight / sum(weight)) (wc[i]), its new
 * V = V - min(D, payout as a fixed), never below 0; then the TREASURY and POOL_EMISSION
 * operations. Returns: ST_OK, ST_NOMEM, ST_LIMIT. */
static int emit(enc_settle_report *r, worker_calc *wc, const enc_settle_input *in)
{
    const enc_reward_params *p = &in->params;
    mpz_t treasury, w_budget, total, paid, x;
    enc_settle_pool_ref *refs = NULL;
    size_t n = in->n_workers;
    calc c;
    int rc = ST_OK;

    calc_init(&c, in);
    mpz_inits(treasury, w_budget, total, paid, x, NULL);
    mpz_mul_ui(treasury, r->budget, p->treasury_ppm);
    mpz_tdiv_q_ui(treasury, treasury, LEDGER_PPM);
    mpz_sub(w_budget, r->budget, treasury);
    for (size_t i = 0; i < n && rc == ST_OK; i++) {
        rc = worker_weight(&c, wc[i].v, wc[i].d, wc[i].pay, &in->workers[i]);
        mpz_add(total, total, wc[i].pay);
    }
    if (rc != ST_OK)
        goto out;
    /* With no weight at all every payout is 0 and all of W stays with the treasury. */
    for (size_t i = 0; i < n; i++) {
        if (mpz_sgn(total) > 0) {
            mpz_mul(wc[i].pay, wc[i].pay, w_budget);
            mpz_tdiv_q(wc[i].pay, wc[i].pay, total);
        } else {
            mpz_set_ui(wc[i].pay, 0);
        }
        mpz_add(paid, paid, wc[i].pay);
        /* V -= min(D, payout as a fixed), never below 0; D is dropped */
        enc_econ_from_amount(x, wc[i].pay);
        if (mpz_cmp(wc[i].d, x) < 0)
            mpz_set(x, wc[i].d);
        if (mpz_cmp(x, wc[i].v) > 0)
            mpz_set(x, wc[i].v);
        mpz_sub(wc[i].v, wc[i].v, x);
    }
    mpz_sub(x, w_budget, paid);
    mpz_add(x, x, treasury);
    if (mpz_sgn(x) > 0)
        push_op(r, ENC_OP_TREASURY, 0, 0, zero_addr, x);
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
            mpz_add(x, x, wc[refs[j].worker].pay);
        if (mpz_sgn(x) > 0)
            push_op(r, ENC_OP_POOL_EMISSION, refs[i].pool, 0, zero_addr, x);
        i = j;
    }
out:
    free(refs);
    mpz_clears(treasury, w_budget, total, paid, x, NULL);
    calc_clear(&c);
    return rc;
}

/* The compute payments of the channels, then every worker's new V, in their canonical order. */
static int pay_channels_and_value(enc_settle_report *r, const worker_calc *wc, const enc_settle_input *in)
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
            push_op(r, ENC_OP_COMPUTE_PAYMENT, c->pool, c->channel, c->client, pay);
        if (mpz_sgn(fee) > 0)
            push_op(r, ENC_OP_FEE, 0, c->channel, c->client, fee);
    }
    if (!ledger_amount_fits(r->compute_paid))
        rc = ST_INVALID;
    /* V only falls from a value below 2^256 (v_max caps a start), so it fits the word */
    for (size_t i = 0; rc == ST_OK && i < in->n_workers; i++)
        push_op(r, ENC_OP_WORKER_VALUE, 0, 0, in->workers[i].address, wc[i].v);
    mpz_clears(pay, fee, NULL);
    return rc;
}

int enc_settle_compute(enc_settle_report *r, const enc_settle_input *in)
{
    enc_settle_report t;
    worker_calc *wc = NULL;
    size_t n = in->n_workers, n_wc = 0;
    int rc;

    ARG_CHECK(INPUT_ARRAYS_OK(in));
    if (!enc_settle_input_ok(in))
        return ST_INVALID;
    /* At most: TREASURY, one POOL_EMISSION and one WORKER_VALUE per worker, two per channel. */
    if (n > (SIZE_MAX / sizeof(enc_op) - 1) / 2 || in->n_channels > (SIZE_MAX / sizeof(enc_op) - 1 - 2 * n) / 2)
        return ST_NOMEM;
    enc_settle_report_init(&t);
    t.ops = malloc((1 + 2 * n + 2 * in->n_channels) * sizeof *t.ops);
    wc = n ? malloc(n * sizeof *wc) : NULL;
    if (!t.ops || (n && !wc)) {
        rc = ST_NOMEM;
        goto out;
    }
    for (; n_wc < n; n_wc++)
        mpz_inits(wc[n_wc].v, wc[n_wc].d, wc[n_wc].pay, NULL);
    t.chain_id = in->chain_id;
    t.epoch = in->epoch;
    rc = enc_settle_input_hash(t.input_hash, in);
    if (rc != ST_OK)
        goto out;
    enc_settle_decayed_budget(t.budget, in);
    rc = emit(&t, wc, in);
    if (rc == ST_OK)
        rc = pay_channels_and_value(&t, wc, in);
out:
    for (size_t i = 0; i < n_wc; i++)
        mpz_clears(wc[i].v, wc[i].d, wc[i].pay, NULL);
    free(wc);
    if (rc == ST_OK) {
        enc_settle_report_clear(r);
        *r = t;
    } else {
        enc_settle_report_clear(&t);
    }
    return rc;
}
