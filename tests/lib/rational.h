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

#endif
