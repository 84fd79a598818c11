/* SPDX-License-Identifier: MIT */
/* test_economics.c: Phala's worker economics (enclave/economics.c): Phala's Gatekeeper test vectors
 * (gk.rs check_tokenomic_numerics and should_payout_at_v_max, with gk.rs test_params), the closed
 * forms against an independent model that steps one by one in exact rationals (mpq), the V_max cap,
 * Ve and the minimum stake, extremes (P = 0, V = 0, 10^9 and 2^64 - 1 steps) and misuse. There is
 * no allocation-failure test: the module allocates only through GMP, whose policy is to abort. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "enclave/economics.h"

#define ONE_DIGITS ENC_ECON_SCALE_DIGITS

/* r = the decimal "123.456" as a fixed (exact: at most 36 fraction digits). */
static void fxs(mpz_t r, const char *dec)
{
    char buf[160];
    const char *dot = strchr(dec, '.');
    size_t whole = dot ? (size_t)(dot - dec) : strlen(dec);
    size_t frac = dot ? strlen(dot + 1) : 0;

    cr_assert(whole + ONE_DIGITS < sizeof buf && frac <= ONE_DIGITS, "test decimal %s too long", dec);
    memcpy(buf, dec, whole);
    if (frac)
        memcpy(buf + whole, dot + 1, frac);
    memset(buf + whole + frac, '0', ONE_DIGITS - frac);
    buf[whole + ONE_DIGITS] = '\0';
    cr_assert(mpz_set_str(r, buf, 10) == 0, "bad test decimal %s", dec);
}

/* The fixed x as a decimal with all its 36 fraction digits. */
static const char *fmt(const mpz_t x)
{
    static char out[4][200];
    static int k;
    char digits[200];
    char *o = out[k++ % 4];
    size_t n;

    mpz_get_str(digits, 10, x);
    n = strlen(digits);
    if (n <= ONE_DIGITS) {
        snprintf(o, 200, "0.%0*d%s", (int)(ONE_DIGITS - n), 0, digits);
        if (n == ONE_DIGITS)
            snprintf(o, 200, "0.%s", digits);
    } else {
        snprintf(o, 200, "%.*s.%s", (int)(n - ONE_DIGITS), digits, digits + n - ONE_DIGITS);
    }
    return o;
}

/* Number of leading significant digits on which x and the decimal ref agree: the largest s with
 * |x - ref| * 10^s <= ref (relative error at most 10^-s). */
static int agree(const mpz_t x, const char *ref)
{
    mpz_t r, e, t;
    int s = 0;

    mpz_inits(r, e, t, NULL);
    fxs(r, ref);
    mpz_sub(e, x, r);
    mpz_abs(e, e);
    mpz_set(t, e);
    while (s < 80) {
        mpz_mul_ui(t, t, 10);
        if (mpz_cmp(t, r) > 0)
            break;
        s++;
    }
    mpz_clears(r, e, t, NULL);
    return s;
}

/* r = the decimal dec as Phala holds it: fixed_macro's U64F64, the nearest multiple of 2^-64
 * (ties do not occur here), then truncated to our 10^-36. */
static void u64f64(mpz_t r, const char *dec)
{
    mpz_t one, half;

    mpz_inits(one, half, NULL);
    mpz_ui_pow_ui(one, 10, ONE_DIGITS);
    mpz_fdiv_q_2exp(half, one, 1);
    fxs(r, dec);
    mpz_mul_2exp(r, r, 64);
    mpz_add(r, r, half);
    mpz_fdiv_q(r, r, one);              /* the U64F64 bits */
    mpz_mul(r, r, one);
    mpz_fdiv_q_2exp(r, r, 64);
    mpz_clears(one, half, NULL);
}

/* x truncated to a multiple of 2^-32: Phala's square root (crate fixed-sqrt: the integer square root
 * of the U64F64 bits, shifted left by 32) keeps only 32 fraction bits of a share. */
static void sqrt_resolution(mpz_t x)
{
    mpz_t one;

    mpz_init(one);
    mpz_ui_pow_ui(one, 10, ONE_DIGITS);
    mpz_mul_2exp(x, x, 32);
    mpz_fdiv_q(x, x, one);
    mpz_mul(x, x, one);
    mpz_fdiv_q_2exp(x, x, 32);
    mpz_clear(one);
}

/* Phala's gk.rs test_params as the Gatekeeper holds them (U64F64). Its rho is 1.000000666600231
 * rounded to 2^-64, which alone moves (rho - 1) * V by up to 3000 * 2^-65 ~ 8e-17 a block: with
 * the decimal itself the vectors agree only to 18 digits. slash_rate, cost_k and cost_b were
 * computed in f64, so they differ from the exact formulas from the 15th digit on. */
static void phala_test_params(enc_econ_params *p)
{
    enc_econ_params_init(p);
    u64f64(p->rho, "1.000000666600231");
    u64f64(p->slash_rate, "0.0000033333333333333240063");
    u64f64(p->cost_k, "0.000000015815258751856933056");
    u64f64(p->cost_b, "0.000033711472602739674283");
    u64f64(p->treasury_ratio, "0.2");
}

/* --- Phala's Gatekeeper vectors --- */

/* check_tokenomic_numerics: P = 100, V0 = 3000, confidence level 2, budget 100 per 12 s block.
 * Block 2 starts the worker (p_instant = p_bench = 100) and runs one idle step; 7200 idle blocks;
 * block 7203 sends the challenge (idle again); block 7204 takes the heartbeat: p_instant =
 * 110 * 7200 * 12 / 6 iterations over 86424 s times 6, sum_share taken at the block's start (with
 * p = 100), the worker's share with the new p, budget over 7204 - 2 = 7202 blocks. Then a challenge
 * that is never answered: 11 idle blocks (with m = p_instant / 100) and 300 unresponsive ones.
 * Phala truncates to 2^-64 at every operation of every block, so its V runs below the exact one:
 * by ~2e-16 after 7201 blocks (a few 2^-64 truncations a block), so V agrees to 19-24 significant
 * digits. Its square root keeps only 2^-32 (see sqrt_resolution): with exact shares the payout
 * agrees to 13 digits, with the shares cut to 2^-32 to 20 (the rest: U64F64 truncations). */
Test(enclave_economics, reproduces_phala_check_tokenomic_numerics)
{
    enc_econ_params p;
    mpz_t v, d, m, p100, pi, conf, sum, share, pay, tr, x;

    phala_test_params(&p);
    mpz_inits(v, d, m, p100, pi, conf, sum, share, pay, tr, x, NULL);
    fxs(v, "3000");
    fxs(p100, "100");
    cr_assert_eq(enc_econ_confidence(conf, 2), ST_OK, "level 2");
    cr_assert_eq(enc_econ_multiplier(m, p100, 100), ST_OK, "m");
    fxs(x, "1");
    cr_assert(mpz_cmp(m, x) == 0, "p_instant = p_bench gives m = 1: %s", fmt(m));

    cr_assert_eq(enc_econ_evolve_idle(v, d, &p, m, 100, 1), ST_OK, "start block");
    cr_assert_geq(agree(v, "3000.00203509369147797934"), 21, "after the start block V = %s", fmt(v));

    cr_assert_eq(enc_econ_evolve_idle(v, d, &p, m, 100, 7200), ST_OK, "one day");
    cr_assert_geq(agree(v, "3014.6899337932040476463"), 19, "after 7200 blocks V = %s", fmt(v));

    cr_assert_eq(enc_econ_share(sum, v, p100, conf), ST_OK, "sum_share");  /* block 7203 starts */
    cr_assert_eq(enc_econ_evolve_idle(v, d, &p, m, 100, 1), ST_OK, "challenge block");
    cr_assert_eq(enc_econ_share(sum, v, p100, conf), ST_OK, "sum_share at 7204's start");
    fxs(x, "1");
    mpz_mul_ui(pi, x, 110u * 7200u * 12u / 6u * 6u);
    mpz_fdiv_q_ui(pi, pi, 86424u);
    cr_assert_geq(agree(pi, "109.96945292974173840575"), 19, "p_instant = %s", fmt(pi));
    cr_assert_eq(enc_econ_share(share, v, pi, conf), ST_OK, "share");
    mpz_set(x, v);
    mpz_set(m, d);
    cr_assert_eq(enc_econ_payout(pay, tr, x, m, &p, share, sum, 7202), ST_OK, "payout");
    /* exact shares: share / sum_share differs from Phala's by its 2^-32 square roots (relative
     * 2^-32 / 3014 ~ 8e-14), so 13 digits; with the shares cut to Phala's resolution, 20 */
    cr_assert_geq(agree(pay, "576424.184820453732333905"), 13, "payout %s", fmt(pay));
    cr_assert_geq(agree(tr, "144106.0462051134330737112"), 13, "treasury %s", fmt(tr));
    sqrt_resolution(share);
    sqrt_resolution(sum);
    cr_assert_eq(enc_econ_payout(pay, tr, v, d, &p, share, sum, 7202), ST_OK, "payout");
    cr_assert_geq(agree(pay, "576424.184820453732333905"), 20, "payout %s", fmt(pay));
    cr_assert_geq(agree(tr, "144106.0462051134330737112"), 20, "treasury %s", fmt(tr));
    fxs(x, "3000");
    cr_assert(mpz_cmp(v, x) == 0, "the payout deducts exactly what accrued: V = %s", fmt(v));
    cr_assert(mpz_sgn(d) == 0, "D is reset");

    cr_assert_eq(enc_econ_multiplier(m, pi, 100), ST_OK, "m after the heartbeat");
    cr_assert_eq(enc_econ_evolve_idle(v, d, &p, m, 100, 11), ST_OK, "heartbeat window");
    cr_assert_eq(enc_econ_evolve_unresponsive(v, d, &p, 300), ST_OK, "one hour unresponsive");
    cr_assert(mpz_sgn(d) == 0, "nothing accrues while unresponsive");
    cr_assert_geq(agree(v, "2997.0260877851113935014"), 20, "after 1 h + 10 blocks V = %s", fmt(v));

    mpz_clears(v, d, m, p100, pi, conf, sum, share, pay, tr, x, NULL);
    enc_econ_params_clear(&p);
}

/* should_payout_at_v_max: V0 = V_max = 30000, P = 3000: V stays capped for the start block, 7200
 * blocks and the challenge block while D accrues 7202 uncapped increments; the heartbeat's payout
 * (worth far more) deducts all of D. Phala: V = 29855.38985958385856094607; its payout agrees to
 * 16 digits with exact shares (share ~ 30000: 2^-32 is relative 8e-15), 19 with 2^-32 ones. */
Test(enclave_economics, reproduces_phala_should_payout_at_v_max)
{
    enc_econ_params p;
    mpz_t v, d, m, pb, pi, conf, sum, share, pay, tr;

    phala_test_params(&p);
    mpz_inits(v, d, m, pb, pi, conf, sum, share, pay, tr, NULL);
    fxs(v, "30000");
    fxs(pb, "3000");
    cr_assert_eq(enc_econ_confidence(conf, 2), ST_OK, "level 2");
    cr_assert_eq(enc_econ_multiplier(m, pb, 3000), ST_OK, "m");
    cr_assert_eq(enc_econ_evolve_idle(v, d, &p, m, 3000, 7202), ST_OK, "one day at V_max");
    cr_assert(mpz_cmp(v, p.v_max) == 0, "V stays at V_max: %s", fmt(v));
    cr_assert_geq(agree(d, "144.61014041614143905393"), 20, "D = %s", fmt(d));
    cr_assert_eq(enc_econ_share(sum, v, pb, conf), ST_OK, "sum_share");
    fxs(pi, "6000000");                  /* 10^6 iterations over 86424 s, times 6 */
    mpz_fdiv_q_ui(pi, pi, 86424u);
    cr_assert_eq(enc_econ_share(share, v, pi, conf), ST_OK, "share");
    cr_assert_eq(enc_econ_payout(pay, tr, v, d, &p, share, sum, 7202), ST_OK, "payout");
    cr_assert_geq(agree(v, "29855.38985958385856094607"), 20, "V = %s", fmt(v));
    cr_assert(mpz_sgn(d) == 0, "D is reset");
    cr_assert_geq(agree(pay, "564977.41335989500435977944"), 16, "payout %s (exact shares)", fmt(pay));
    sqrt_resolution(share);
    sqrt_resolution(sum);
    mpz_set_ui(d, 1);
    cr_assert_eq(enc_econ_payout(pay, tr, v, d, &p, share, sum, 7202), ST_OK, "payout");
    cr_assert_geq(agree(pay, "564977.41335989500435977944"), 19, "payout %s (2^-32 shares)", fmt(pay));
    mpz_clears(v, d, m, pb, pi, conf, sum, share, pay, tr, NULL);
    enc_econ_params_clear(&p);
}

/* --- the closed forms against a model stepping one by one in exact rationals --- */

static void q_of(mpq_t q, const mpz_t fx)
{
    mpz_t one;
    mpz_init(one);
    mpz_ui_pow_ui(one, 10, ONE_DIGITS);
    mpq_set_num(q, fx);
    mpq_set_den(q, one);
    mpq_canonicalize(q);
    mpz_clear(one);
}

static void floor_fx(mpz_t r, const mpq_t q)
{
    mpz_ui_pow_ui(r, 10, ONE_DIGITS);
    mpz_mul(r, r, mpq_numref(q));
    mpz_fdiv_q(r, r, mpq_denref(q));
}

typedef struct idle_case {
    const char *v0, *m, *rho, *v_max;
    uint32_t score;
    unsigned steps;                  /* the model runs this many; closed forms checked at each n <= 50,
                                        at 100 and 300 and at the last */
} idle_case;

static const idle_case idle_cases[] = {
    { "3000", "1", NULL, NULL, 100, 300 },                       /* Phala's defaults */
    { "2999.5", "1.0997", NULL, NULL, 100, 300 },                /* m above 1 */
    { "29999.9", "1", NULL, NULL, 3000, 300 },                   /* reaches V_max at step 5 */
    { "40000", "1", NULL, NULL, 100, 60 },                       /* starts above V_max */
    { "0", "1", NULL, NULL, 100, 60 },                           /* V = 0: grows by the cost */
    { "0", "0", NULL, NULL, 100, 60 },                           /* m = 0: nothing moves */
    { "1000", "0.5", "1", "1000.01", 500, 300 },                 /* rho = 1: linear, then capped */
    { "0.000001", "1.2", "1.5", NULL, 0, 120 },                  /* fast growth, capped at step 52 */
    { "0.000000000000000000000000000001", "1.2", "2", NULL, 10, 2000 }, /* a^n beyond 2^1500 */
};

static bool checked_at(unsigned n, unsigned last)
{
    return n <= 50 || n == 100 || n == 300 || n == last;
}

Test(enclave_economics, idle_closed_form_equals_exact_stepping)
{
    enc_econ_params p;
    mpz_t v, d, m, d0, mv, md;
    mpq_t V, D, dv, t, rho1, mq, c, vmax;

    mpz_inits(v, d, m, d0, mv, md, NULL);
    mpq_inits(V, D, dv, t, rho1, mq, c, vmax, NULL);
    for (size_t i = 0; i < sizeof idle_cases / sizeof idle_cases[0]; i++) {
        const idle_case *k = &idle_cases[i];
        enc_econ_params_init(&p);
        if (k->rho)
            fxs(p.rho, k->rho);
        if (k->v_max)
            fxs(p.v_max, k->v_max);
        fxs(m, k->m);
        fxs(d0, "5");
        fxs(v, k->v0);
        q_of(V, v);
        mpq_set_ui(D, 0, 1);
        q_of(rho1, p.rho);
        mpq_set_ui(t, 1, 1);
        mpq_sub(rho1, rho1, t);
        q_of(mq, m);
        mpz_mul_ui(mv, p.cost_k, k->score);
        mpz_add(mv, mv, p.cost_b);
        q_of(c, mv);
        q_of(vmax, p.v_max);
        for (unsigned n = 1; n <= k->steps; n++) {
            mpq_mul(dv, rho1, V);            /* dV = m ((rho - 1) V + cost) */
            mpq_add(dv, dv, c);
            mpq_mul(dv, dv, mq);
            mpq_add(V, V, dv);
            if (mpq_cmp(V, vmax) > 0)
                mpq_set(V, vmax);
            mpq_add(D, D, dv);
            if (!checked_at(n, k->steps))
                continue;
            fxs(v, k->v0);
            mpz_set(d, d0);
            cr_assert_eq(enc_econ_evolve_idle(v, d, &p, m, k->score, n), ST_OK, "case %zu, n %u", i, n);
            floor_fx(mv, V);
            floor_fx(md, D);
            mpz_add(md, md, d0);
            cr_assert(mpz_cmp(v, mv) == 0, "case %zu, n %u: V %s, model %s", i, n, fmt(v), fmt(mv));
            cr_assert(mpz_cmp(d, md) == 0, "case %zu, n %u: D %s, model %s", i, n, fmt(d), fmt(md));
        }
        enc_econ_params_clear(&p);
    }
    mpq_clears(V, D, dv, t, rho1, mq, c, vmax, NULL);
    mpz_clears(v, d, m, d0, mv, md, NULL);
}

Test(enclave_economics, unresponsive_closed_form_equals_exact_stepping)
{
    static const char *const rates[] = { NULL, "0.5", "0.001", "1", "0" };
    enc_econ_params p;
    mpz_t v, d, mv;
    mpq_t V, q;

    mpz_inits(v, d, mv, NULL);
    mpq_inits(V, q, NULL);
    for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++) {
        enc_econ_params_init(&p);
        if (rates[i])
            fxs(p.slash_rate, rates[i]);
        fxs(v, "3072");
        q_of(V, v);
        q_of(q, p.slash_rate);
        mpq_set_ui(V, 1, 1);
        mpq_sub(q, V, q);                    /* 1 - slash */
        q_of(V, v);
        for (unsigned n = 1; n <= 300; n++) {
            mpq_mul(V, V, q);
            if (!checked_at(n, 300))
                continue;
            fxs(v, "3072");
            mpz_set_ui(d, 7);
            cr_assert_eq(enc_econ_evolve_unresponsive(v, d, &p, n), ST_OK, "rate %zu, n %u", i, n);
            floor_fx(mv, V);
            cr_assert(mpz_cmp(v, mv) == 0, "rate %zu, n %u: V %s, model %s", i, n, fmt(v), fmt(mv));
            cr_assert(mpz_sgn(d) == 0, "D is dropped");
        }
        enc_econ_params_clear(&p);
    }
    mpq_clears(V, q, NULL);
    mpz_clears(v, d, mv, NULL);
}
