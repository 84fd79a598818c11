/* SPDX-License-Identifier: MIT */
/* rational.h: for the tests that recount enclave/economics.h by hand, the passage between its
 * fixed-point numbers (a fixed x means x / 10^ENC_ECON_SCALE_DIGITS) and exact GMP rationals. A
 * model steps in mpq_t and truncates only where the documented rule truncates, with th_fixed_floor. */
#ifndef TESTS_RATIONAL_H
#define TESTS_RATIONAL_H

#include <gmp.h>

/* Sets q to the exact value of the fixed f: f / 10^ENC_ECON_SCALE_DIGITS, canonicalized.
 * Out: q (initialized by the caller). In: f. */
void th_q_of_fixed(mpq_t q, const mpz_t f);
/* Sets f to the fixed floor(q * 10^ENC_ECON_SCALE_DIGITS): q truncated towards minus infinity.
 * Out: f (initialized by the caller). In: q. */
void th_fixed_floor(mpz_t f, const mpq_t q);
/* One step of a working worker's V as the documented per-step rule of economics.h says, exactly:
 * dv = m ((rho - 1) v + cost), then v = min(v + dv, v_max). Out: dv. In/Out: v. In: rho1 = rho - 1,
 * cost (per step), m, v_max. v and dv must be distinct from each other and from the inputs. */
void th_step_up(mpq_t v, mpq_t dv, const mpq_t rho1, const mpq_t cost, const mpq_t m, const mpq_t v_max);

#endif
