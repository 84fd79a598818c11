/* SPDX-License-Identifier: MIT */
/* test_settle_model.c: the settlement formula of enclave/settle.h recounted independently of the
 * implementation: each worker's V is evolved one 12 s step at a time in exact rationals (mpq), as
 * the documented per-step rule says, truncated only where the rule truncates (at the end of each run
 * of answered or unanswered slots), and the payouts, the treasury and the new values follow by hand.
 * The report of enc_settle_compute must be exactly that, operation by operation, for: a mixed epoch,
 * a 1-wei budget, one worker against many, exact ties, a worker that answers no slot, a worker
 * judged from the middle of the epoch, stakes at the edge of v_max, slots that do not hold a whole
 * number of steps, and a few hundred generated epochs. Conservation (TREASURY + sum(POOL_EMISSION)
 * = budget) is checked on every one, and the worked example of docs/SETTLEMENT.md is pinned here. */
#include <criterion/criterion.h>
#include <gmp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "enclave/economics.h"
#include "enclave/settle.h"
#include "ledger/amount.h"
#include "tests/lib/rational.h"
#include "tests/lib/testhelp.h"

#define E18 "000000000000000000"  /* append to whole tokens: base units */
#define E36 E18 E18               /* append to whole numbers: fixed */

static enc_settle_input in;
static enc_settle_report rep;

/* 720 s in six slots of 120 s, ten 12 s steps each; Phala's economics; 1000 tokens, 20% to the
 * treasury, no decay yet. Every test starts from it (setup). */
static void base(void)
{
    th_settle_base(&in, 3, 7200, 50000);
}

static void setup(void)
{
    enc_settle_input_init(&in);
    enc_settle_report_init(&rep);
    base();
}

static void teardown(void)
{
    enc_settle_input_clear(&in);
    enc_settle_report_clear(&rep);
}

TestSuite(enclave_settle_model, .init = setup, .fini = teardown, .timeout = 120);

/* --- the model --- */

/* What the model says of one worker. */
typedef struct model_worker {
    mpz_t v;                         /* fixed: V at the end, before the payout */
    mpz_t d;                         /* fixed: D */
    mpz_t weight;                    /* fixed x steps */
    mpz_t pay;                       /* base units */
    mpz_t v_new;                     /* fixed: V after the payout */
} model_worker;

/* The confidence score of a level, as Phala's table says: 1, 2, 3 -> 1; 4 -> 4/5; 5 -> 7/10. */
static void confidence(mpq_t c, unsigned level)
{
    mpq_set_ui(c, level <= 3 ? 1 : level == 4 ? 4 : 7, level <= 3 ? 1 : level == 4 ? 5 : 10);
}

static uint64_t steps_of_slot(uint64_t s)
{
    uint64_t start = in.epoch_start + s * in.slot_seconds;
    uint64_t end = in.epoch_end - start < in.slot_seconds ? in.epoch_end : start + in.slot_seconds;
    return (end - start) / in.params.step_seconds;
}

/* Worker w through the epoch, one step at a time (settle.h's formula; economics.h's per-step rules). */
static void model_one(model_worker *m, const enc_worker_in *w)
{
    const enc_reward_params *p = &in.params;
    uint64_t n_slots = enc_settle_slot_count(&in), answered = 0, sum = 0, answered_steps = 0;
    mpq_t conf, vq, dv, t, rho1, ck, cb, vmax, slash, mq, sum_dv;
    mpz_t z, p_fixed;
    mpq_inits(conf, vq, dv, t, rho1, ck, cb, vmax, slash, mq, sum_dv, NULL);
    mpz_inits(z, p_fixed, NULL);
    confidence(conf, w->conf_level);
    th_q_of_fixed(rho1, p->rho);
    mpq_set_ui(t, 1, 1);
    mpq_sub(rho1, rho1, t);
    th_q_of_fixed(ck, p->cost_k);
    mpq_set_ui(t, w->score, 1);
    mpq_mul(ck, ck, t);
    th_q_of_fixed(cb, p->cost_b);
    mpq_add(ck, ck, cb);                         /* the cost per step: cost_k * P + cost_b */
    th_q_of_fixed(vmax, p->v_max);
    th_q_of_fixed(slash, p->slash_rate);
    /* V: Ve = ((re - 1) * conf + 1) * (S + rig_k * P + rig_b), truncated, capped */
    if (w->started) {
        mpz_set(m->v, w->v);
    } else {
        th_q_of_fixed(vq, p->re);
        mpq_set_ui(t, 1, 1);
        mpq_sub(vq, vq, t);
        mpq_mul(vq, vq, conf);
        mpq_add(vq, vq, t);
        mpz_ui_pow_ui(z, 10, 18);
        mpq_set_num(t, w->stake);
        mpq_set_den(t, z);
        mpq_canonicalize(t);                     /* S in tokens */
        th_q_of_fixed(dv, p->rig_k);
        mpq_set_ui(cb, w->score, 1);
        mpq_mul(dv, dv, cb);
        mpq_add(t, t, dv);
        th_q_of_fixed(dv, p->rig_b);
        mpq_add(t, t, dv);
        mpq_mul(vq, vq, t);
        th_fixed_floor(m->v, vq);
        if (mpz_cmp(m->v, p->v_max) > 0)
            mpz_set(m->v, p->v_max);
    }
    mpz_set_ui(m->d, 0);
    for (uint64_t s = w->first_slot; s < n_slots; s++)
        if (w->perf[s]) {
            answered++;
            sum += w->perf[s];
            answered_steps += steps_of_slot(s);
        }
    uint64_t p_epoch = answered ? sum / answered : 0;
    /* m = min(p, 1.2 P) / P, truncated to a fixed */
    mpq_set_ui(mq, p_epoch, 1);
    mpq_set_ui(t, 6 * (unsigned long)w->score, 5);
    if (mpq_cmp(mq, t) > 0)
        mpq_set(mq, t);
    mpq_set_ui(t, w->score, 1);
    mpq_div(mq, mq, t);
    th_fixed_floor(z, mq);
    th_q_of_fixed(mq, z);
    /* the runs, each step on its own, truncated at each run's end */
    for (uint64_t s = w->first_slot; s < n_slots;) {
        bool up = w->perf[s] > 0;
        uint64_t steps = 0;
        for (; s < n_slots && (w->perf[s] > 0) == up; s++)
            steps += steps_of_slot(s);
        th_q_of_fixed(vq, m->v);
        mpq_set_ui(sum_dv, 0, 1);
        for (uint64_t k = 0; k < steps; k++) {
            if (up) {
                th_step_up(vq, dv, rho1, ck, mq, vmax);  /* D += dV */
                mpq_add(sum_dv, sum_dv, dv);
            } else {
                mpq_mul(dv, vq, slash);          /* V -= V * slash_rate */
                mpq_sub(vq, vq, dv);
            }
        }
        th_fixed_floor(m->v, vq);
        if (up) {
            th_fixed_floor(z, sum_dv);
            mpz_add(m->d, m->d, z);
        } else if (steps > 0) {
            mpz_set_ui(m->d, 0);
        }
    }
    /* share = sqrt(V^2 + (2 p conf)^2) cut to 2^-32: floor(sqrt(y)) = isqrt(floor(y)) for y >= 0 */
    mpz_set_ui(m->weight, 0);
    if (answered) {
        th_q_of_fixed(vq, m->v);
        mpq_mul(vq, vq, vq);
        mpq_set_ui(t, 2 * p_epoch, 1);
        mpq_mul(t, t, conf);
        mpq_mul(t, t, t);
        mpq_add(vq, vq, t);
        mpz_mul_2exp(z, mpq_numref(vq), 64);
        mpz_fdiv_q(z, z, mpq_denref(vq));
        mpz_sqrt(z, z);                          /* floor(share * 2^32) */
        mpz_ui_pow_ui(p_fixed, 10, ENC_ECON_SCALE_DIGITS);
        cr_assert(mpz_divisible_2exp_p(p_fixed, 32), "2^32 divides 10^36");
        mpz_fdiv_q_2exp(p_fixed, p_fixed, 32);
        mpz_mul(z, z, p_fixed);                  /* as a fixed, exactly */
        mpz_mul_ui(m->weight, z, answered_steps);
    }
    mpq_clears(conf, vq, dv, t, rho1, ck, cb, vmax, slash, mq, sum_dv, NULL);
    mpz_clears(z, p_fixed, NULL);
}

/* The whole epoch by the model: every worker, then the payouts and the new values. Returns the
 * model's TREASURY amount in treasury_op. */
static model_worker *model(mpz_t treasury_op)
{
    const enc_reward_params *p = &in.params;
    size_t n = in.n_workers;
    model_worker *m = calloc(n + 1, sizeof *m);
    mpz_t budget, w_budget, total, paid, x;
    cr_assert_not_null(m, "memory");
    mpz_inits(budget, w_budget, total, paid, x, NULL);
    /* budget: the tests here stay inside the first decay period, or say otherwise */
    cr_assert_eq(enc_settle_budget(budget, &in), ST_OK, "the budget");
    if (p->decay_period == 0 || in.epoch_start - in.genesis_time < p->decay_period)
        cr_assert_eq(mpz_cmp(budget, p->budget_per_epoch), 0, "no decay yet");
    mpz_mul_ui(treasury_op, budget, p->treasury_ppm);
    mpz_fdiv_q_ui(treasury_op, treasury_op, 1000000);
    mpz_sub(w_budget, budget, treasury_op);
    for (size_t i = 0; i < n; i++) {
        mpz_inits(m[i].v, m[i].d, m[i].weight, m[i].pay, m[i].v_new, NULL);
        model_one(&m[i], &in.workers[i]);
        mpz_add(total, total, m[i].weight);
    }
    for (size_t i = 0; i < n; i++) {
        if (mpz_sgn(total) > 0) {
            mpz_mul(m[i].pay, w_budget, m[i].weight);
            mpz_fdiv_q(m[i].pay, m[i].pay, total);
        }
        mpz_add(paid, paid, m[i].pay);
        /* V - min(D, payout as a fixed), at least 0 */
        mpz_ui_pow_ui(x, 10, 18);
        mpz_mul(x, x, m[i].pay);
        if (mpz_cmp(m[i].d, x) < 0)
            mpz_set(x, m[i].d);
        mpz_sub(m[i].v_new, m[i].v, x);
        if (mpz_sgn(m[i].v_new) < 0)
            mpz_set_ui(m[i].v_new, 0);
    }
    mpz_add(treasury_op, treasury_op, w_budget);
    mpz_sub(treasury_op, treasury_op, paid);
    mpz_clears(budget, w_budget, total, paid, x, NULL);
    return m;
}

static void model_free(model_worker *m)
{
    for (size_t i = 0; i < in.n_workers; i++)
        mpz_clears(m[i].v, m[i].d, m[i].weight, m[i].pay, m[i].v_new, NULL);
    free(m);
}

/* Computes the report and compares it with the model, operation by operation; checks conservation
 * and the host's check. Returns the model (release with model_free). */
static model_worker *settle_and_compare(void)
{
    char err[200];
    mpz_t treasury, sum, v, d, weight;
    model_worker *m;
    size_t k = 0;
    int rc = enc_settle_compute(&rep, &in);
    cr_assert_eq(rc, ST_OK, "the epoch settles: %s", st_str(rc));
    rc = enc_settle_report_check(err, sizeof err, &rep, &in);
    cr_assert_eq(rc, ST_OK, "the report passes the check: %s", err);
    mpz_inits(treasury, sum, v, d, weight, NULL);
    m = model(treasury);
    /* each worker's part, before the payouts */
    for (size_t i = 0; i < in.n_workers; i++) {
        cr_assert_eq(enc_settle_worker_weight(v, d, weight, &in, i), ST_OK, "worker %zu", i);
        cr_assert_eq(mpz_cmp(v, m[i].v), 0, "worker %zu: V as the model steps it (%s vs %s)", i,
                     mpz_get_str(NULL, 10, v), mpz_get_str(NULL, 10, m[i].v));
        cr_assert_eq(mpz_cmp(d, m[i].d), 0, "worker %zu: D as the model accrues it", i);
        cr_assert_eq(mpz_cmp(weight, m[i].weight), 0, "worker %zu: the weight", i);
    }
    /* TREASURY */
    if (mpz_sgn(treasury) > 0) {
        cr_assert_eq(rep.ops[k].kind, ENC_OP_TREASURY, "TREASURY first");
        cr_assert_eq(mpz_cmp(rep.ops[k].amount, treasury), 0, "the treasury's part and the remainder");
        mpz_add(sum, sum, rep.ops[k++].amount);
    }
    /* POOL_EMISSION by pool: the pools in order, each the sum of its workers' payouts */
    for (uint64_t last = 0, first = 1;;) {
        uint64_t next = UINT64_MAX;
        bool found = false;
        for (size_t i = 0; i < in.n_workers; i++) {
            uint64_t pool = in.workers[i].pool;
            if ((first || pool > last) && pool <= next && mpz_sgn(m[i].pay) > 0) {
                next = pool;
                found = true;
            }
        }
        if (!found)
            break;
        mpz_set_ui(v, 0);
        for (size_t i = 0; i < in.n_workers; i++)
            if (in.workers[i].pool == next)
                mpz_add(v, v, m[i].pay);
        cr_assert_lt(k, rep.n_ops, "a POOL_EMISSION for pool %llu", (unsigned long long)next);
        cr_assert_eq(rep.ops[k].kind, ENC_OP_POOL_EMISSION, "POOL_EMISSION");
        cr_assert_eq(rep.ops[k].pool, next, "pool %llu", (unsigned long long)next);
        cr_assert_eq(mpz_cmp(rep.ops[k].amount, v), 0, "pool %llu: its workers' payouts", (unsigned long long)next);
        mpz_add(sum, sum, rep.ops[k++].amount);
        last = next;
        first = 0;
        if (next == UINT64_MAX)
            break;
    }
    cr_assert_eq(mpz_cmp(sum, rep.budget), 0, "conservation: TREASURY + sum(POOL_EMISSION) = budget");
    /* no channels here: then every worker's new V */
    cr_assert_eq(rep.n_ops, k + in.n_workers, "then one WORKER_VALUE per worker");
    for (size_t i = 0; i < in.n_workers; i++, k++) {
        cr_assert_eq(rep.ops[k].kind, ENC_OP_WORKER_VALUE, "WORKER_VALUE");
        cr_assert_arr_eq(rep.ops[k].address, in.workers[i].address, 20, "worker %zu", i);
        cr_assert_eq(mpz_cmp(rep.ops[k].amount, m[i].v_new), 0, "worker %zu: V - min(D, payout)", i);
    }
    mpz_clears(treasury, sum, v, d, weight, NULL);
    return m;
}

/* --- the epochs --- */

/* A worker: address 20 bytes of a; perf[s] = p[s] (the six slots). */
static enc_worker_in *worker(uint8_t a, uint64_t pool, const char *stake, uint32_t score, uint8_t level,
                             const uint32_t p[6])
{
    enc_worker_in *w = enc_settle_input_add_worker(&in);
    cr_assert_not_null(w, "a worker");
    memset(w->address, a, 20);
    w->pool = pool;
    cr_assert_eq(mpz_set_str(w->stake, stake, 10), 0, "stake");
    w->score = score;
    w->conf_level = level;
    for (size_t s = 0; s < w->n_perf && s < 6; s++)
        w->perf[s] = p[s];
    return w;
}

static void set_fixed(mpz_t f, const char *dec)
{
    cr_assert_eq(mpz_set_str(f, dec, 10), 0, "a fixed");
}

/* A worker that ran in an earlier epoch (started), with V = v (fixed) at the start of this one. */
static enc_worker_in *started_worker(uint8_t a, uint64_t pool, const char *stake, uint32_t score, uint8_t level,
                                     const uint32_t p[6], const char *v)
{
    enc_worker_in *w = worker(a, pool, stake, score, level, p);
    w->started = true;
    set_fixed(w->v, v);
    return w;
}

Test(enclave_settle_model, a_mixed_epoch_is_the_model_step_by_step)
{
    static const uint32_t a[6] = { 100, 104, 110, 120, 97, 101 };
    static const uint32_t b[6] = { 2100, 0, 2400, 2400, 0, 1900 };
    static const uint32_t c[6] = { 0, 0, 60, 72, 0, 50 };
    static const uint32_t d[6] = { 1, 1, 1, 1, 1, 1 };
    enc_worker_in *w;
    worker(0x11, 1, "1000" E18, 100, 1, a);
    started_worker(0x22, 2, "4000" E18, 2000, 4, b, "5000" E36);
    w = worker(0x33, 1, "500" E18, 60, 5, c);
    w->first_slot = 2;
    w = worker(0x44, 3, "1", 1, 2, d);
    w->started = true;
    model_free(settle_and_compare());
}

Test(enclave_settle_model, a_one_wei_budget_goes_to_one_worker_or_to_the_treasury)
{
    static const uint32_t p[6] = { 100, 100, 100, 100, 100, 100 };
    model_worker *m;
    mpz_set_ui(in.params.budget_per_epoch, 1);
    worker(0x11, 4, "1000" E18, 100, 1, p);
    m = settle_and_compare();
    cr_assert_eq(mpz_cmp_ui(m[0].pay, 1), 0, "the lone worker gets the wei (the treasury's part is 0)");
    model_free(m);
    worker(0x22, 5, "1000" E18, 100, 1, p);
    m = settle_and_compare();
    cr_assert(mpz_sgn(m[0].pay) == 0 && mpz_sgn(m[1].pay) == 0, "two equal workers: half a wei each, floored");
    cr_assert_eq(rep.ops[0].kind, ENC_OP_TREASURY, "the treasury");
    cr_assert_eq(mpz_cmp_ui(rep.ops[0].amount, 1), 0, "gets the wei");
    model_free(m);
}

Test(enclave_settle_model, one_worker_against_many)
{
    static const uint32_t p[6] = { 500, 520, 480, 600, 500, 510 };
    model_worker *m;
    worker(0x01, 1, "3000" E18, 500, 1, p);
    m = settle_and_compare();
    cr_assert_eq(mpz_cmp_ui(rep.ops[0].amount, 0), 1, "the treasury");
    model_free(m);
    for (uint8_t i = 2; i <= 12; i++) {
        uint32_t q[6];
        for (int s = 0; s < 6; s++)
            q[s] = (uint32_t)(50 * i + 7 * s);
        char stake[64];
        snprintf(stake, sizeof stake, "%u" E18, 1000u + 137u * i);
        worker(i, i % 4, stake, 50u * i, (uint8_t)(1 + i % 5), q);
    }
    model_free(settle_and_compare());
}

/* Three equal workers in three pools: equal payouts, floor(W / 3) each, the remainder to the
 * treasury: W = 800 tokens + 2 (budget 1000 tokens + 2; treasury floor(0.2 * budget) = 200 tokens). */
Test(enclave_settle_model, equal_workers_get_equal_payouts_and_the_remainder_goes_to_the_treasury)
{
    static const uint32_t p[6] = { 300, 300, 0, 300, 330, 300 };
    model_worker *m;
    mpz_set_str(in.params.budget_per_epoch, "1000000000000000000002", 10);
    worker(0x11, 3, "2000" E18, 300, 2, p);
    worker(0x22, 1, "2000" E18, 300, 2, p);
    worker(0x33, 2, "2000" E18, 300, 2, p);
    m = settle_and_compare();
    cr_assert(mpz_cmp(m[0].pay, m[1].pay) == 0 && mpz_cmp(m[1].pay, m[2].pay) == 0, "equal payouts");
    cr_assert_eq(mpz_cmp_ui(rep.ops[0].amount, 0), 1, "a TREASURY");
    char text[80];
    mpz_get_str(text, 10, m[0].pay);
    cr_assert_str_eq(text, "266666666666666666667", "floor(800000000000000000002 / 3)");
    mpz_get_str(text, 10, rep.ops[0].amount);
    cr_assert_str_eq(text, "200000000000000000001", "200 tokens and the remainder 1");
    for (int i = 1; i <= 3; i++)
        cr_assert_eq(mpz_cmp(rep.ops[i].amount, m[0].pay), 0, "pool %d: one payout", i);
    model_free(m);
}

Test(enclave_settle_model, a_worker_that_answers_no_slot_decays_and_gets_nothing)
{
    static const uint32_t none[6] = { 0 };
    static const uint32_t p[6] = { 100, 100, 100, 100, 100, 100 };
    enc_worker_in *w;
    model_worker *m;
    w = started_worker(0x11, 1, "1000" E18, 100, 1, none, "1300" E36);
    worker(0x22, 2, "1000" E18, 100, 1, p);
    m = settle_and_compare();
    cr_assert_eq(mpz_sgn(m[0].pay), 0, "nothing for the silent worker");
    cr_assert_lt(mpz_cmp(m[0].v_new, w->v), 0, "its V decayed");
    cr_assert_eq(mpz_sgn(m[0].d), 0, "no deductible");
    /* V (1 - 1/300000)^60 truncated: 1300 * (299999/300000)^60 = 1299.74... */
    cr_assert_eq(rep.n_ops, 4, "TREASURY, pool 2, two WORKER_VALUEs");
    cr_assert_eq(rep.ops[1].pool, 2, "only the other worker's pool is paid");
    model_free(m);
}

Test(enclave_settle_model, a_worker_judged_from_the_middle_of_the_epoch)
{
    static const uint32_t p[6] = { 0, 0, 0, 250, 260, 240 };
    static const uint32_t q[6] = { 250, 250, 250, 250, 250, 250 };
    model_worker *m;
    enc_worker_in *w = worker(0x11, 1, "2500" E18, 250, 3, p);
    w->first_slot = 3;
    worker(0x22, 2, "2500" E18, 250, 3, q);
    m = settle_and_compare();
    cr_assert_gt(mpz_sgn(m[0].pay), 0, "paid for its three slots");
    cr_assert_lt(mpz_cmp(m[0].pay, m[1].pay), 0, "less than a twin judged all epoch");
    model_free(m);
    /* judged from after the last slot: no evolution at all, V stays Ve */
    w = &in.workers[0];
    w->first_slot = 6;
    memset(w->perf, 0, 6 * sizeof *w->perf);
    m = settle_and_compare();
    cr_assert_eq(mpz_sgn(m[0].weight), 0, "no weight");
    model_free(m);
}

/* re 1.5: Ve = 1.5 * (S + 0.3 * 1000) = 30000 = v_max exactly for S = 19700 tokens; one wei more is
 * above and is capped, 1.5 wei below is below until its first step. At the cap V stays there and D
 * accrues (rho - 1) v_max + cost a step. */
Test(enclave_settle_model, stakes_at_the_edge_of_v_max)
{
    static const uint32_t p[6] = { 1000, 1000, 1000, 1000, 1000, 1000 };
    model_worker *m;
    set_fixed(in.params.re, "1500000000000000000000000000000000000");
    worker(0x11, 1, "19700" E18, 1000, 1, p);
    worker(0x22, 2, "19700000000000000000001", 1000, 1, p);
    worker(0x33, 3, "19699999999999999999999", 1000, 1, p);
    m = settle_and_compare();
    cr_assert_eq(mpz_cmp(m[0].v, in.params.v_max), 0, "Ve = v_max: V stays at the cap");
    cr_assert_eq(mpz_cmp(m[1].v, in.params.v_max), 0, "Ve above v_max: capped");
    cr_assert_eq(mpz_cmp(m[2].v, in.params.v_max), 0, "a wei below: it grows into the cap in its first step");
    cr_assert_eq(mpz_cmp(m[0].pay, m[1].pay), 0, "the capped ones earn alike");
    model_free(m);
}

/* Slots that do not hold whole steps: 700 s in slots of 120 s (the last 100 s), steps of 25 s:
 * 4 steps a slot (20 s lost), the last 4. */
Test(enclave_settle_model, slots_that_do_not_hold_whole_steps)
{
    static const uint32_t p[6] = { 90, 0, 95, 100, 0, 80 };
    static const uint32_t q[6] = { 0, 90, 90, 0, 90, 90 };
    model_worker *m;
    in.epoch_end = in.epoch_start + 700;
    in.params.step_seconds = 25;
    worker(0x11, 1, "800" E18, 90, 4, p);
    worker(0x22, 2, "900" E18, 90, 5, q);
    model_free(settle_and_compare());
    in.params.step_seconds = 200;  /* a step longer than a slot: no step at all, no weight */
    m = settle_and_compare();
    cr_assert(mpz_sgn(m[0].weight) == 0 && mpz_sgn(m[1].weight) == 0, "no steps, no weight");
    cr_assert_eq(mpz_cmp(rep.ops[0].amount, rep.budget), 0, "all of it to the treasury");
    model_free(m);
}

/* A few hundred generated epochs (a fixed linear congruential sequence): random budgets, treasury
 * parts, stakes, scores, levels, starts, values and answers, in slots of three 12 s steps. */
static uint64_t lcg_state = 0x9e3779b97f4a7c15u;

static uint64_t rnd(uint64_t n)
{
    lcg_state = lcg_state * 6364136223846793005u + 1442695040888963407u;
    return (lcg_state >> 17) % n;
}

Test(enclave_settle_model, generated_epochs_are_the_model_and_conserve_the_budget)
{
    for (int round = 0; round < 300; round++) {
        enc_settle_input_clear(&in);
        enc_settle_input_init(&in);
        base();
        in.slot_seconds = 36;
        in.epoch_end = in.epoch_start + 36 * 5 + rnd(36);
        mpz_set_ui(in.params.budget_per_epoch, rnd(1000000));
        mpz_mul_2exp(in.params.budget_per_epoch, in.params.budget_per_epoch, (mp_bitcnt_t)rnd(180));
        in.params.treasury_ppm = (uint32_t)rnd(1000001);
        if (rnd(4) == 0)
            set_fixed(in.params.rho, "1" E36);   /* linear growth */
        size_t n = 1 + rnd(7);
        for (size_t i = 0; i < n; i++) {
            uint32_t p[6] = { 0 };
            char stake[80];
            uint32_t score = 1 + (uint32_t)rnd(3000);
            for (int s = 0; s < 6; s++)
                p[s] = rnd(3) ? 1 + (uint32_t)rnd(6 * score / 5) : 0;
            snprintf(stake, sizeof stake, "%llu%012llu", (unsigned long long)rnd(40000), (unsigned long long)rnd(1000000000000));
            enc_worker_in *w = worker((uint8_t)(16 * i + rnd(16)), rnd(4), stake, score, (uint8_t)(1 + rnd(5)), p);
            if (rnd(2)) {
                w->started = true;
                mpz_set_ui(w->v, rnd(30000));
                mpz_mul(w->v, w->v, in.params.rig_k);       /* 0.3 * x tokens, some fixed */
                mpz_add_ui(w->v, w->v, rnd(1000000));
            }
            w->first_slot = (uint32_t)rnd(w->n_perf + 1);
            for (uint32_t s = 0; s < w->first_slot; s++)
                w->perf[s] = 0;
        }
        model_free(settle_and_compare());
    }
}

/* The worked example of docs/SETTLEMENT.md, number for number: the dev chain's parameters (epoch 0,
 * 3600 s in six 600 s slots of 50 steps, 30000 tokens, 20% to the treasury) and three workers. */
static void expect_fixed(const mpz_t v, const char *want, const char *what)
{
    char *got = mpz_get_str(NULL, 10, v);
    cr_assert_str_eq(got, want, "%s: %s, not %s", what, want, got);
    free(got);
}

Test(enclave_settle_model, the_worked_example_of_the_settlement_doc)
{
    static const uint32_t pa[6] = { 1100, 1000, 1200, 1100, 1000, 1200 };
    static const uint32_t pb[6] = { 2000, 2000, 2000, 2000, 0, 0 };
    static const uint32_t pc[6] = { 0, 0, 500, 0, 500, 500 };
    enc_worker_in *w;
    model_worker *m;
    in.chain_id = 31337;
    in.epoch = 0;
    in.genesis_time = in.epoch_start = 1767225600;
    in.epoch_end = in.epoch_start + 3600;
    in.slot_seconds = 600;
    mpz_set_str(in.params.budget_per_epoch, "30000" E18, 10);
    in.params.decay_period = 15552000;
    in.params.decay_ppm = 250000;
    in.params.treasury_ppm = 200000;
    in.params.fee_ppm = 50000;
    worker(0x11, 1, "5000" E18, 1000, 1, pa);
    started_worker(0x22, 2, "10000" E18, 2000, 4, pb, "15000" E36);
    w = worker(0x33, 2, "2000" E18, 500, 5, pc);
    w->first_slot = 2;
    m = settle_and_compare();
    /* A: Ve = 1.3 * (5000 + 0.3 * 1000) = 6890; m = 1.1; 300 answered steps */
    expect_fixed(m[0].v, "6891532160719540820195207432118378187946", "A's V at the end");
    expect_fixed(m[0].d, "1532160719540820195207432118378187946", "A's D");
    expect_fixed(m[0].weight, "2170250998617592267692089080810546875000000", "A's weight: 7234.169995... x 300");
    expect_fixed(m[0].pay, "9233057229640860684894", "A's payout");
    expect_fixed(m[0].v_new, "6890" E36, "A's new V: V - D, its Ve again");
    /* B: V = 15000; 200 answered steps, then 100 unanswered (which zero D) */
    expect_fixed(m[1].v, "14997013156623914876784157374880406802850", "B's V at the end");
    expect_fixed(m[1].d, "0", "B's D");
    expect_fixed(m[1].weight, "3066922911453433334827423095703125000000000", "B's weight: 15334.614... x 200");
    expect_fixed(m[1].pay, "13047833996336712423105", "B's payout");
    expect_fixed(m[1].v_new, "14997013156623914876784157374880406802850", "B's new V");
    /* C: Ve = (0.3 * 0.7 + 1) * (2000 + 150) = 2601.5; judged from slot 2: 50 answered, 50 not, 100 */
    expect_fixed(m[2].v, "2601332788543745903746055969816695024264", "C's V at the end");
    expect_fixed(m[2].d, "177560836621456274812927444826368571", "C's D (its last run's)");
    expect_fixed(m[2].weight, "404080408120632637292146682739257812500000", "C's weight: 2693.869... x 150");
    expect_fixed(m[2].pay, "1719108774022426892000", "C's payout");
    expect_fixed(m[2].v_new, "2601155227707124447471243042371868655693", "C's new V");
    cr_assert_eq(rep.n_ops, 6, "TREASURY, two pools, three values");
    expect_fixed(rep.ops[0].amount, "6000000000000000000001", "TREASURY: 6000 tokens and the 1-wei remainder");
    expect_fixed(rep.ops[1].amount, "9233057229640860684894", "pool 1: A");
    expect_fixed(rep.ops[2].amount, "14766942770359139315105", "pool 2: B + C");
    model_free(m);
}
