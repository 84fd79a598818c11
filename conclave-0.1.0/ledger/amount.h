/* SPDX-License-Identifier: MIT */
/* amount.h: u256 token amounts on GMP. Layer: ledger (pure; the enclave uses it too).
 * An amount is a non-negative integer below 2^256 in base units (18 decimals). Its only text form is
 * the canonical decimal string: ASCII digits, no sign, no leading zero (but "0"), no spaces or
 * exponent. Arithmetic is checked: overflow and underflow are errors, never wraps. */
#ifndef LEDGER_AMOUNT_H
#define LEDGER_AMOUNT_H

#include <gmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ledger/status.h"

#define LEDGER_AMOUNT_STRLEN 79     /* 78 digits of 2^256-1 plus NUL */
#define LEDGER_PPM 1000000u         /* parts per million: every rate, share and threshold of the chain */
#define LEDGER_AMOUNT_DECIMALS 18

/* Parses a canonical decimal string of len bytes (not NUL-terminated necessarily).
 * Returns: ST_OK; ST_INVALID if not canonical; ST_OVERFLOW if >= 2^256.
 * Out: out (initialized by the caller) holds the value; unchanged on failure. */
int ledger_amount_parse(mpz_t out, const char *s, size_t len) WARN_UNUSED NONNULL(1, 2);

/* Writes the canonical decimal form of v (0 <= v < 2^256) into buf. */
void ledger_amount_format(char buf[LEDGER_AMOUNT_STRLEN], const mpz_t v) NONNULL(1, 2);

/* Returns: true if 0 <= v < 2^256. */
bool ledger_amount_fits(const mpz_t v) NONNULL(1);

/* r = a + b. Returns: ST_OK, or ST_OVERFLOW (r unchanged) if the sum reaches 2^256. r may alias. */
int ledger_amount_add(mpz_t r, const mpz_t a, const mpz_t b) WARN_UNUSED NONNULL(1, 2, 3);

/* r = a - b. Returns: ST_OK, or ST_INSUFFICIENT (r unchanged) if b > a. r may alias. */
int ledger_amount_sub(mpz_t r, const mpz_t a, const mpz_t b) WARN_UNUSED NONNULL(1, 2, 3);

/* Big-endian 32-byte word of v, for EIP-712 and hashing. v must fit. */
void ledger_amount_to_word(uint8_t out[32], const mpz_t v) NONNULL(1, 2);
void ledger_amount_from_word(mpz_t out, const uint8_t in[32]) NONNULL(1, 2);

/* Parses a human amount in whole tokens with up to `decimals` fraction digits ("1", "1.5",
 * "0.000000000000000001") exactly into base units. Rejects signs, exponents, spaces, empty parts,
 * too many fraction digits. Returns: ST_OK, ST_INVALID or ST_OVERFLOW. */
int ledger_amount_parse_human(mpz_t out, const char *s, unsigned decimals) WARN_UNUSED NONNULL(1, 2);

/* Formats base units as a human amount: "1.5", "0", "1000" (trailing zeros of the fraction cut). */
void ledger_amount_format_human(char buf[LEDGER_AMOUNT_STRLEN + 2], const mpz_t v, unsigned decimals)
    NONNULL(1, 2);

#endif
