/* SPDX-License-Identifier: MIT */
/* rational.c: fixed-point numbers of enclave/economics.h as exact rationals and back (see rational.h). */
#include "tests/lib/rational.h"

#include "enclave/economics.h"

void th_q_of_fixed(mpq_t q, const mpz_t f)
{
    mpz_t one;
    mpz_init(one);
    mpz_ui_pow_ui(one, 10, ENC_ECON_SCALE_DIGITS);
    mpq_set_num(q, f);
    mpq_set_den(q, one);
    mpq_canonicalize(q);
    mpz_clear(one);
}

void th_fixed_floor(mpz_t f, const mpq_t q)
{
    mpz_t t;
    mpz_init(t);
    mpz_ui_pow_ui(t, 10, ENC_ECON_SCALE_DIGITS);
    mpz_mul(t, t, mpq_numref(q));
    mpz_fdiv_q(f, t, mpq_denref(q));
    mpz_clear(t);
}

void th_step_up(mpq_t v, mpq_t dv, const mpq_t rho1, const mpq_t cost, const mpq_t m, const mpq_t v_max)
{
    mpq_mul(dv, rho1, v);
    mpq_add(dv, dv, cost);
    mpq_mul(dv, dv, m);
    mpq_add(v, v, dv);
    if (mpq_cmp(v, v_max) > 0)
        mpq_set(v, v_max);
}
