/* SPDX-License-Identifier: MIT */
/* economics.c: Phala's worker economics in mpz fixed point (see economics.h for the formulas and
 * the rounding rule). Every result is floor(exact) of its formula over the rationals: one-step
 * formulas divide once at the end; the n-step closed forms bound the exact value from below and
 * above by powers by squaring at 2^-W and fall back to exact integers when the two bounds do not
 * truncate alike. No floating point, no loop over steps. */
#include "enclave/economics.h"

#include <stdbool.h>

#define W 384u  /* fractional bits of the interval arithmetic */

static void set_one(mpz_t one)
{
    mpz_ui_pow_ui(one, 10, ENC_ECON_SCALE_DIGITS);
}

/* r = x, for any uint64_t whatever the width of unsigned long. */
static void set_u64(mpz_t r, uint64_t x)
{
    mpz_set_ui(r, (unsigned long)(x >> 32));
    mpz_mul_2exp(r, r, 32);
    mpz_add_ui(r, r, (unsigned long)(x & 0xffffffffu));
}

void enc_econ_params_init(enc_econ_params *p)
{
    mpz_t one, yr;

    mpz_inits(one, yr, p->rho, p->slash_rate, p->budget_per_step, p->v_max, p->cost_k, p->cost_b,
              p->treasury_ratio, p->rig_k, p->rig_b, p->re, p->k, NULL);
    set_one(one);
    mpz_set_ui(yr, 365u * 86400u);
    p->step_seconds = 12;
    mpz_set_str(p->rho, "1000000666600231", 10);
    mpz_ui_pow_ui(yr, 10, ENC_ECON_SCALE_DIGITS - 15);
    mpz_mul(p->rho, p->rho, yr);                       /* 1.000000666600231 */
    mpz_fdiv_q_ui(p->slash_rate, one, 300000u);        /* 0.001 * 12 / 3600 */
    mpz_mul_ui(p->budget_per_step, one, 100);
    mpz_mul_ui(p->v_max, one, 30000);
    mpz_set_ui(yr, 365u * 86400u);
    mpz_mul_ui(yr, yr, 10000000u);
    mpz_mul_ui(p->cost_k, one, 415625u * 12u);          /* 0.0415625 * 12 / yr */
    mpz_fdiv_q(p->cost_k, p->cost_k, yr);
    mpz_divexact_ui(yr, yr, 100u);
    mpz_mul_ui(p->cost_b, one, 8859375u * 12u);         /* 88.59375 * 12 / yr */
    mpz_fdiv_q(p->cost_b, p->cost_b, yr);
    mpz_fdiv_q_ui(p->treasury_ratio, one, 5);
    p->heartbeat_window = 10;
    mpz_mul_ui(p->rig_k, one, 3);
    mpz_divexact_ui(p->rig_k, p->rig_k, 10);
    mpz_set_ui(p->rig_b, 0);
    mpz_mul_ui(p->re, one, 13);
    mpz_divexact_ui(p->re, p->re, 10);
    mpz_mul_ui(p->k, one, 100);
    p->min_init_p = 50;
    mpz_clears(one, yr, NULL);
}

void enc_econ_params_clear(enc_econ_params *p)
{
    if (!p)
        return;
    mpz_clears(p->rho, p->slash_rate, p->budget_per_step, p->v_max, p->cost_k, p->cost_b,
               p->treasury_ratio, p->rig_k, p->rig_b, p->re, p->k, NULL);
}

/* Base units have 18 decimals, fixed 36: a factor 10^18, applied as 10^9 twice (truncations
 * toward zero compose). */
void enc_econ_from_amount(mpz_t fx, const mpz_t amount)
{
    mpz_mul_ui(fx, amount, 1000000000u);
    mpz_mul_ui(fx, fx, 1000000000u);
}

void enc_econ_to_amount(mpz_t amount, const mpz_t fx)
{
    mpz_tdiv_q_ui(amount, fx, 1000000000u);
    mpz_tdiv_q_ui(amount, amount, 1000000000u);
}

int enc_econ_confidence(mpz_t conf, unsigned level)
{
    unsigned tenths;

    switch (level) {
    case 1: case 2: case 3: tenths = 10; break;
    case 4: tenths = 8; break;
    case 5: tenths = 7; break;
    default: return ST_INVALID;
    }
    set_one(conf);
    mpz_mul_ui(conf, conf, tenths);
    mpz_divexact_ui(conf, conf, 10);
    return ST_OK;
}

int enc_econ_min_stake(mpz_t min, const mpz_t k, uint32_t score)
{
    mpz_t x, r;

    if (mpz_sgn(k) < 0)
        return ST_INVALID;
    mpz_inits(x, r, NULL);
    /* ceil(k * sqrt(P)) = ceil(sqrt(k^2 * P)), exactly */
    mpz_mul(x, k, k);
    mpz_mul_ui(x, x, score);
    mpz_sqrtrem(min, r, x);
    if (mpz_sgn(r) > 0)
        mpz_add_ui(min, min, 1);
    mpz_clears(x, r, NULL);
    return ST_OK;
}

int enc_econ_initial_v(mpz_t ve, const enc_econ_params *p, const mpz_t stake, uint32_t score, unsigned level)
{
    mpz_t conf, one, f, c;
    int rc;

    mpz_init(conf);
    rc = enc_econ_confidence(conf, level);
    if (rc != ST_OK || mpz_sgn(stake) < 0 || mpz_sgn(p->rig_k) < 0 || mpz_sgn(p->rig_b) < 0) {
        mpz_clear(conf);
        return ST_INVALID;
    }
    mpz_inits(one, f, c, NULL);
    set_one(one);
    if (mpz_cmp(p->re, one) < 0) {
        rc = ST_INVALID;
        goto out;
    }
    /* floor(((re - 1) * conf + 1) * (S + rig_k * P + rig_b)), with the factor scaled by one^2 */
    mpz_sub(f, p->re, one);
    mpz_mul(f, f, conf);
    mpz_addmul(f, one, one);
    mpz_mul_ui(c, p->rig_k, score);
    mpz_add(c, c, p->rig_b);
    mpz_add(c, c, stake);
    mpz_mul(f, f, c);
    mpz_mul(one, one, one);
    mpz_fdiv_q(ve, f, one);
out:
    mpz_clears(conf, one, f, c, NULL);
    return rc;
}

int enc_econ_check_start(const enc_econ_params *p, const mpz_t stake, uint32_t score, const mpz_t ve)
{
    mpz_t min;
    int rc;

    if (score < p->min_init_p)
        return ST_LIMIT;
    mpz_init(min);
    rc = enc_econ_min_stake(min, p->k, score);
    if (rc == ST_OK && mpz_cmp(stake, min) < 0)
        rc = ST_INSUFFICIENT;
    if (rc == ST_OK && mpz_cmp(ve, p->v_max) > 0)
        rc = ST_LIMIT;
    mpz_clear(min);
    return rc;
}

int enc_econ_multiplier(mpz_t m, const mpz_t p_instant, uint32_t score)
{
    mpz_t cap;

    if (mpz_sgn(p_instant) < 0)
        return ST_INVALID;
    if (score == 0) {
        set_one(m);
        return ST_OK;
    }
    mpz_init(cap);
    set_one(cap);
    mpz_mul_ui(cap, cap, 12u * (unsigned long)score);
    mpz_divexact_ui(cap, cap, 10);                    /* 1.2 * P */
    if (mpz_cmp(p_instant, cap) < 0)
        mpz_set(cap, p_instant);
    mpz_fdiv_q_ui(m, cap, score);
    mpz_clear(cap);
    return ST_OK;
}

/* --- powers by squaring in interval arithmetic at 2^-W --- */

static void mulr(mpz_t r, const mpz_t x, const mpz_t y, bool up)
{
    mpz_mul(r, x, y);
    if (up)
        mpz_cdiv_q_2exp(r, r, W);
    else
        mpz_fdiv_q_2exp(r, r, W);
}

/* pw = a^t and, if s is not NULL, s = sum_{i<t} a^i, all at 2^-W, every product rounded down (or
 * up if up): from nonnegative bounds of a, bounds of the exact results. */
static void pow_pair(mpz_t pw, mpz_t s, const mpz_t a, uint64_t t, bool up, mpz_t tmp)
{
    int i = 63;

    mpz_set_ui(pw, 1);
    mpz_mul_2exp(pw, pw, W);
    if (s)
        mpz_set_ui(s, 0);
    while (i >= 0 && !((t >> i) & 1))
        i--;
    for (; i >= 0; i--) {
        if (s) {
            mulr(tmp, pw, s, up);                     /* S_2t = S_t + a^t S_t */
            mpz_add(s, s, tmp);
        }
        mulr(pw, pw, pw, up);
        if ((t >> i) & 1) {
            if (s) {
                mulr(s, s, a, up);                    /* S_t+1 = 1 + a S_t */
                mpz_set_ui(tmp, 1);
                mpz_mul_2exp(tmp, tmp, W);
                mpz_add(s, s, tmp);
            }
            mulr(pw, pw, a, up);
        }
    }
}

/* --- n idle steps --- */

/* The closed form of the idle steps: a = A / one^2, b = B / one^2, V_0 = v0 / one, and their
 * bounds at 2^-W. */
typedef struct growth {
    mpz_t one, one2;                 /* 10^36, 10^72 */
    mpz_t A, dl, B, v0;              /* dl = A - one^2 = (a - 1) one^2 */
    mpz_t alo, ahi, blo, bhi, vlo, vhi;
} growth;

static void growth_init(growth *g, const enc_econ_params *p, const mpz_t m, uint32_t score, const mpz_t v0)
{
    mpz_inits(g->one, g->one2, g->A, g->dl, g->B, g->v0, g->alo, g->ahi, g->blo, g->bhi, g->vlo, g->vhi, NULL);
    set_one(g->one);
    mpz_mul(g->one2, g->one, g->one);
    mpz_sub(g->dl, p->rho, g->one);
    mpz_mul(g->dl, g->dl, m);
    mpz_add(g->A, g->one2, g->dl);
    mpz_mul_ui(g->B, p->cost_k, score);
    mpz_add(g->B, g->B, p->cost_b);
    mpz_mul(g->B, g->B, m);
    mpz_set(g->v0, v0);
    mpz_mul_2exp(g->alo, g->A, W);
    mpz_cdiv_q(g->ahi, g->alo, g->one2);
    mpz_fdiv_q(g->alo, g->alo, g->one2);
    mpz_mul_2exp(g->blo, g->B, W);
    mpz_cdiv_q(g->bhi, g->blo, g->one2);
    mpz_fdiv_q(g->blo, g->blo, g->one2);
    mpz_mul_2exp(g->vlo, v0, W);
    mpz_cdiv_q(g->vhi, g->vlo, g->one);
    mpz_fdiv_q(g->vlo, g->vlo, g->one);
}

static void growth_clear(growth *g)
{
    mpz_clears(g->one, g->one2, g->A, g->dl, g->B, g->v0, g->alo, g->ahi, g->blo, g->bhi, g->vlo, g->vhi, NULL);
}

/* f = floor(num / den + add / one^2). */
static void floor_sum(mpz_t f, const mpz_t num, const mpz_t den, const mpz_t add, const mpz_t one2)
{
    mpz_t x, y;
    mpz_inits(x, y, NULL);
    mpz_mul(x, num, one2);
    mpz_addmul(x, add, den);
    mpz_mul(y, den, one2);
    mpz_fdiv_q(f, x, y);
    mpz_clears(x, y, NULL);
}

/* floor(one * V_t + add / one^2), V_t the uncapped closed form after t steps: lo and hi bound it
 * (both hold it once the bounds agree, or after the exact recomputation, allowed up to
 * ENC_ECON_EXACT_STEPS steps; far beyond v_max they may stay apart, which only the cap search
 * sees, and it needs no more than which side of v_max they are on). */
static void growth_eval(mpz_t lo, mpz_t hi, const growth *g, uint64_t t, const mpz_t add)
{
    mpz_t pw, s, tmp, num, den;

    mpz_inits(pw, s, tmp, num, den, NULL);
    if (mpz_sgn(g->dl) == 0) {
        /* a = 1: one * V_t = v0 + t B / one, exact */
        set_u64(num, t);
        mpz_mul(num, num, g->B);
        mpz_addmul(num, g->v0, g->one);
        floor_sum(lo, num, g->one, add, g->one2);
        mpz_set(hi, lo);
        goto out;
    }
    mpz_mul_2exp(den, g->one2, W);
    for (int up = 0; up <= 1; up++) {
        pow_pair(pw, s, up ? g->ahi : g->alo, t, up, tmp);
        mulr(num, pw, up ? g->vhi : g->vlo, up);
        mulr(pw, s, up ? g->bhi : g->blo, up);
        mpz_add(num, num, pw);
        mpz_mul(num, num, g->one);
        mpz_mul(num, num, g->one2);
        mpz_mul_2exp(pw, add, W);
        mpz_add(num, num, pw);
        mpz_fdiv_q(up ? hi : lo, num, den);
    }
    if (mpz_cmp(lo, hi) == 0 || t > ENC_ECON_EXACT_STEPS)
        goto out;
    /* one * V_t = (A^t v0 dl + one B (A^t - one^2t)) / (one^2t dl) */
    mpz_pow_ui(pw, g->A, (unsigned long)t);
    mpz_pow_ui(den, g->one2, (unsigned long)t);
    mpz_mul(num, pw, g->v0);
    mpz_mul(num, num, g->dl);
    mpz_sub(pw, pw, den);
    mpz_mul(pw, pw, g->B);
    mpz_addmul(num, pw, g->one);
    mpz_mul(den, den, g->dl);
    floor_sum(lo, num, den, add, g->one2);
    mpz_set(hi, lo);
out:
    mpz_clears(pw, s, tmp, num, den, NULL);
}

/* floor(one * V_t + add / one^2) into f. Returns: ST_OK, or ST_LIMIT if undecided. */
static int growth_value(mpz_t f, const growth *g, uint64_t t, const mpz_t add)
{
    mpz_t hi;
    int rc;

    mpz_init(hi);
    growth_eval(f, hi, g, t, add);
    rc = mpz_cmp(f, hi) == 0 ? ST_OK : ST_LIMIT;
    mpz_clear(hi);
    return rc;
}

/* Whether the uncapped V_t reaches v_max; if not, f = floor(one * V_t).
 * Returns: ST_OK, or ST_LIMIT if undecided. */
static int reaches(bool *yes, mpz_t f, const growth *g, uint64_t t, const mpz_t vmax, const mpz_t zero)
{
    mpz_t hi;
    int rc = ST_OK;

    mpz_init(hi);
    growth_eval(f, hi, g, t, zero);
    *yes = mpz_cmp(f, vmax) >= 0;
    if (!*yes && mpz_cmp(f, hi) != 0)
        rc = ST_LIMIT;
    mpz_clear(hi);
    return rc;
}

int enc_econ_evolve_idle(mpz_t v, mpz_t d, const enc_econ_params *p, const mpz_t m, uint32_t score, uint64_t n)
{
    growth g;
    mpz_t f, zero, add;
    uint64_t lo = 0, hi = n, t;
    bool yes = false;
    int rc = ST_OK;

    if (mpz_sgn(v) < 0 || mpz_sgn(d) < 0 || mpz_sgn(m) < 0 || mpz_sgn(p->cost_k) < 0 || mpz_sgn(p->cost_b) < 0
        || mpz_sgn(p->v_max) < 0)
        return ST_INVALID;
    mpz_inits(f, zero, add, NULL);
    set_one(f);
    mpz_mul_ui(add, f, 12);
    mpz_divexact_ui(add, add, 10);
    if (mpz_cmp(m, add) > 0 || mpz_cmp(p->rho, f) < 0) {
        rc = ST_INVALID;
        goto done;
    }
    mpz_mul_2exp(add, f, 1);
    if (mpz_cmp(p->rho, add) > 0) {
        rc = ST_INVALID;
        goto done;
    }
    if (n == 0)
        goto done;
    growth_init(&g, p, m, score, v);
    if (mpz_sgn(v) == 0 && mpz_sgn(g.B) == 0)
        goto out;                     /* V stays 0 and nothing accrues (v_max >= 0 caps nothing) */
    /* a^n < 2^(1.5 n (a - 1)): evaluate at n at once if that is small, else double t from 1 (each
     * evaluation then squares at most the last one, which was below v_max) */
    set_u64(add, n);
    mpz_mul(add, add, g.dl);
    mpz_mul_2exp(f, g.one2, 10);
    if (mpz_cmp(add, f) <= 0) {
        rc = reaches(&yes, f, &g, n, p->v_max, zero);
    } else {
        for (t = 1;; t = t > n / 2 ? n : 2 * t) {
            rc = reaches(&yes, f, &g, t, p->v_max, zero);
            if (rc != ST_OK || yes || t == n)
                break;
            lo = t;
        }
        hi = t;
    }
    if (rc != ST_OK)
        goto out;
    if (!yes) {
        /* never capped: D accrues V_n - V_0 */
        mpz_sub(d, d, v);
        mpz_add(d, d, f);
        mpz_set(v, f);
        goto out;
    }
    while (hi - lo > 1) {
        t = lo + (hi - lo) / 2;
        rc = reaches(&yes, f, &g, t, p->v_max, zero);
        if (rc != ST_OK)
            goto out;
        if (yes)
            hi = t;
        else
            lo = t;
    }
    /* capped from step hi on: D accrues V'_hi - V_0, then (a - 1) v_max + b per step */
    set_u64(add, n - hi);
    mpz_mul(f, g.dl, p->v_max);
    mpz_addmul(f, g.B, g.one);
    mpz_mul(add, add, f);
    rc = growth_value(f, &g, hi, add);
    if (rc != ST_OK)
        goto out;
    mpz_sub(d, d, v);
    mpz_add(d, d, f);
    mpz_set(v, p->v_max);
out:
    growth_clear(&g);
done:
    mpz_clears(f, zero, add, NULL);
    return rc;
}

int enc_econ_evolve_unresponsive(mpz_t v, mpz_t d, const enc_econ_params *p, uint64_t n)
{
    mpz_t one, q, qb, pw, tmp, f, f2;
    int rc = ST_OK;

    if (mpz_sgn(v) < 0 || mpz_sgn(d) < 0 || mpz_sgn(p->slash_rate) < 0)
        return ST_INVALID;
    mpz_inits(one, q, qb, pw, tmp, f, f2, NULL);
    set_one(one);
    if (mpz_cmp(p->slash_rate, one) > 0) {
        rc = ST_INVALID;
        goto out;
    }
    if (n == 0)
        goto out;
    mpz_sub(q, one, p->slash_rate);
    /* one * V_n = v q^n / one^n, bounded at 2^-W */
    for (int up = 0; up <= 1; up++) {
        mpz_mul_2exp(qb, q, W);
        if (up)
            mpz_cdiv_q(qb, qb, one);
        else
            mpz_fdiv_q(qb, qb, one);
        pow_pair(pw, NULL, qb, n, up, tmp);
        mpz_mul(pw, pw, v);
        mpz_fdiv_q_2exp(up ? f2 : f, pw, W);
    }
    if (mpz_cmp(f, f2) != 0) {
        if (n > ENC_ECON_EXACT_STEPS) {
            rc = ST_LIMIT;
            goto out;
        }
        mpz_pow_ui(pw, q, (unsigned long)n);
        mpz_mul(pw, pw, v);
        mpz_pow_ui(tmp, one, (unsigned long)n);
        mpz_fdiv_q(f, pw, tmp);
    }
    mpz_set(v, f);
    mpz_set_ui(d, 0);
out:
    mpz_clears(one, q, qb, pw, tmp, f, f2, NULL);
    return rc;
}

/* --- share and payout --- */

int enc_econ_share(mpz_t share, const mpz_t v, const mpz_t p_instant, const mpz_t conf)
{
    mpz_t one, x, c;

    if (mpz_sgn(v) < 0 || mpz_sgn(p_instant) < 0 || mpz_sgn(conf) < 0)
        return ST_INVALID;
    mpz_inits(one, x, c, NULL);
    set_one(one);
    /* x = (v one)^2 + (2 p conf)^2 in units of 10^-144, so sqrt(x) / one^2 is the share; kept to
     * 2^-32 as Phala's square root keeps it: floor(sqrt(x 2^64) / one^2) / 2^32, which is exact in
     * units of 10^-36 because 2^32 divides 10^36 */
    mpz_mul(x, v, one);
    mpz_mul(x, x, x);
    mpz_mul(c, p_instant, conf);
    mpz_mul_2exp(c, c, 1);
    mpz_addmul(x, c, c);
    mpz_mul_2exp(x, x, 64);
    mpz_sqrt(x, x);
    mpz_fdiv_q(x, x, one);
    mpz_fdiv_q(x, x, one);
    mpz_mul(x, x, one);
    mpz_fdiv_q_2exp(share, x, 32);
    mpz_clears(one, x, c, NULL);
    return ST_OK;
}

int enc_econ_payout(mpz_t payout, mpz_t treasury, mpz_t v, mpz_t d, const enc_econ_params *p,
                    const mpz_t share, const mpz_t sum_share, uint64_t steps)
{
    mpz_t one, b, t;

    if (mpz_sgn(v) < 0 || mpz_sgn(d) < 0 || mpz_sgn(share) < 0 || mpz_sgn(sum_share) < 0
        || mpz_sgn(p->budget_per_step) < 0 || mpz_sgn(p->treasury_ratio) < 0)
        return ST_INVALID;
    mpz_inits(one, b, t, NULL);
    set_one(one);
    if (mpz_cmp(p->treasury_ratio, one) > 0) {
        mpz_clears(one, b, t, NULL);
        return ST_INVALID;
    }
    mpz_set_ui(payout, 0);
    mpz_set_ui(treasury, 0);
    if (mpz_sgn(sum_share) > 0 && mpz_sgn(share) > 0 && mpz_sgn(d) > 0 && steps > 0) {
        set_u64(b, steps);
        mpz_mul(b, b, share);
        mpz_mul(b, b, p->budget_per_step);
        mpz_fdiv_q(b, b, sum_share);
        mpz_mul(t, b, p->treasury_ratio);
        mpz_fdiv_q(treasury, t, one);
        mpz_sub(payout, b, treasury);
        /* V -= min(D, payout), never below 0 */
        mpz_set(t, mpz_cmp(d, payout) < 0 ? d : payout);
        if (mpz_cmp(t, v) > 0)
            mpz_set(t, v);
        mpz_sub(v, v, t);
        mpz_set_ui(d, 0);
    }
    mpz_clears(one, b, t, NULL);
    return ST_OK;
}
