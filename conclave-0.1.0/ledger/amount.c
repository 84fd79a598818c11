/* SPDX-License-Identifier: MIT */
/* amount.c: u256 token amounts on GMP (see amount.h). The text form is checked byte by byte before
 * GMP sees it, because mpz_set_str is lenient (it skips white space and accepts leading zeros).
 * Invariant: every value this module returns is in [0, 2^256); arithmetic that would leave the
 * range fails and leaves the result untouched. mpz is variable-time: public quantities only. */
#include "ledger/amount.h"

#include <assert.h>
#include <string.h>

#define MAX_DIGITS (LEDGER_AMOUNT_STRLEN - 1)

/* Returns: true if the len bytes at s are all ASCII digits. */
static bool all_digits(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

/* Checks the canonical form; ST_OVERFLOW already for more digits than 2^256-1 has. */
static int check_canonical(const char *s, size_t len)
{
    if (len == 0 || !all_digits(s, len) || (len > 1 && s[0] == '0'))
        return ST_INVALID;
    if (len > MAX_DIGITS)
        return ST_OVERFLOW;
    return ST_OK;
}

int ledger_amount_parse(mpz_t out, const char *s, size_t len)
{
    char buf[LEDGER_AMOUNT_STRLEN];
    mpz_t v;
    int rc = check_canonical(s, len);
    if (rc != ST_OK)
        return rc;
    memcpy(buf, s, len);
    buf[len] = '\0';
    mpz_init(v);
    if (mpz_set_str(v, buf, 10) != 0)
        rc = ST_INVALID;
    else if (!ledger_amount_fits(v))
        rc = ST_OVERFLOW;
    else
        mpz_set(out, v);
    mpz_clear(v);
    return rc;
}

void ledger_amount_format(char buf[LEDGER_AMOUNT_STRLEN], const mpz_t v)
{
    /* mpz_get_str may need one byte more than the digits, so go through a roomier buffer. */
    char tmp[LEDGER_AMOUNT_STRLEN + 2];
    assert(ledger_amount_fits(v));
    mpz_get_str(tmp, 10, v);
    memcpy(buf, tmp, strlen(tmp) + 1);
}

bool ledger_amount_fits(const mpz_t v)
{
    return mpz_sgn(v) >= 0 && mpz_sizeinbase(v, 2) <= 256;
}

int ledger_amount_add(mpz_t r, const mpz_t a, const mpz_t b)
{
    mpz_t sum;
    int rc = ST_OK;
    ARG_CHECK(ledger_amount_fits(a) && ledger_amount_fits(b));
    mpz_init(sum);
    mpz_add(sum, a, b);
    if (ledger_amount_fits(sum))
        mpz_set(r, sum);
    else
        rc = ST_OVERFLOW;
    mpz_clear(sum);
    return rc;
}

int ledger_amount_sub(mpz_t r, const mpz_t a, const mpz_t b)
{
    ARG_CHECK(ledger_amount_fits(a) && ledger_amount_fits(b));
    if (mpz_cmp(a, b) < 0)
        return ST_INSUFFICIENT;
    mpz_sub(r, a, b);
    return ST_OK;
}

void ledger_amount_to_word(uint8_t out[32], const mpz_t v)
{
    size_t count = 0;
    uint8_t tmp[32];
    assert(ledger_amount_fits(v));
    mpz_export(tmp, &count, 1, 1, 1, 0, v);
    memset(out, 0, 32 - count);
    memcpy(out + 32 - count, tmp, count);
}

void ledger_amount_from_word(mpz_t out, const uint8_t in[32])
{
    mpz_import(out, 32, 1, 1, 1, 0, in);
}

int ledger_amount_parse_human(mpz_t out, const char *s, unsigned decimals)
{
    char whole[LEDGER_AMOUNT_STRLEN];
    const char *dot = strchr(s, '.');
    size_t wlen = dot ? (size_t)(dot - s) : strlen(s);
    size_t flen = dot ? strlen(dot + 1) : 0;
    mpz_t v, frac, scale;
    int rc;

    ARG_CHECK(decimals <= MAX_DIGITS);
    if (dot && (flen == 0 || flen > decimals || !all_digits(dot + 1, flen)))
        return ST_INVALID;
    rc = check_canonical(s, wlen);
    if (rc != ST_OK)
        return rc;
    memcpy(whole, s, wlen);
    whole[wlen] = '\0';

    mpz_init(v);
    mpz_init(frac);
    mpz_init(scale);
    if (mpz_set_str(v, whole, 10) != 0 || (dot && mpz_set_str(frac, dot + 1, 10) != 0)) {
        rc = ST_INVALID;
        goto out;
    }
    /* v = whole * 10^decimals + frac * 10^(decimals - flen) */
    mpz_ui_pow_ui(scale, 10, decimals - flen);
    mpz_mul(frac, frac, scale);
    mpz_ui_pow_ui(scale, 10, decimals);
    mpz_mul(v, v, scale);
    mpz_add(v, v, frac);
    if (!ledger_amount_fits(v)) {
        rc = ST_OVERFLOW;
        goto out;
    }
    mpz_set(out, v);
out:
    mpz_clear(scale);
    mpz_clear(frac);
    mpz_clear(v);
    return rc;
}

void ledger_amount_format_human(char buf[LEDGER_AMOUNT_STRLEN + 2], const mpz_t v, unsigned decimals)
{
    char digits[LEDGER_AMOUNT_STRLEN];
    size_t n, whole, end;

    assert(decimals <= MAX_DIGITS);
    ledger_amount_format(digits, v);
    n = strlen(digits);
    if (n > decimals) {
        whole = n - decimals;
        memcpy(buf, digits, whole);
        end = whole;
        buf[end++] = '.';
        memcpy(buf + end, digits + whole, decimals);
    } else {
        buf[0] = '0';
        buf[1] = '.';
        end = 2;
        memset(buf + end, '0', decimals - n);
        memcpy(buf + end + decimals - n, digits, n);
    }
    end += decimals;
    /* Cut trailing zeros of the fraction (the point stops the scan), then a bare point. */
    while (buf[end - 1] == '0')
        end--;
    if (buf[end - 1] == '.')
        end--;
    buf[end] = '\0';
}
