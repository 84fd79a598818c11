/* SPDX-License-Identifier: MIT */
/* test_amount.c: u256 amounts: strict canonical parsing, checked arithmetic at the 2^256 edge,
 * 32-byte words, and exact human amounts with 18 decimals. */
#include <criterion/criterion.h>
#include "tests/lib/testhelp.h"
#include <criterion/parameterized.h>
#include <string.h>
#include "ledger/amount.h"

/* Criterion runs each parameter in a fresh process where pointers into this binary's static data
 * are not valid, so parameters are indices (in cr_malloc'd memory) into the file's case tables. */
#define MAX_U256 "115792089237316195423570985008687907853269984665640564039457584007913129639935"
#define TWO_256 "115792089237316195423570985008687907853269984665640564039457584007913129639936"

/* Sets x from a decimal literal the test trusts. */
static void set(mpz_t x, const char *dec)
{
    cr_assert_eq(mpz_set_str(x, dec, 10), 0, "test literal %s must parse", dec);
}

/* Parses c->text as base units, or (human) as tokens with decimals: it must give c->rc and leave
 * the output alone. */
static void expect_refused(const th_text_case *c, bool human)
{
    mpz_t x;
    mpz_init_set_ui(x, 7);
    int rc = human ? ledger_amount_parse_human(x, c->text, LEDGER_AMOUNT_DECIMALS)
                   : ledger_amount_parse(x, c->text, strlen(c->text));
    cr_assert_eq(rc, c->rc, "%s(\"%s\") must give %s", human ? "parse_human" : "parse", c->text, st_str(c->rc));
    cr_assert_eq(mpz_cmp_ui(x, 7), 0, "a failed parse of \"%s\" must leave the output alone", c->text);
    mpz_clear(x);
}

static const th_text_case refuses_non_canonical_text_cases[] = {
    { "", ST_INVALID }, { "01", ST_INVALID }, { "00", ST_INVALID }, { "-1", ST_INVALID },
    { "+1", ST_INVALID }, { "1.0", ST_INVALID }, { "1e3", ST_INVALID }, { " 1", ST_INVALID },
    { "1 ", ST_INVALID }, { "0x10", ST_INVALID }, { "1_000", ST_INVALID }, { "\xd9\xa1", ST_INVALID },
    { "1\xc2\xb2", ST_INVALID }, { TWO_256, ST_OVERFLOW }, { MAX_U256 "0", ST_OVERFLOW },
    { "999999999999999999999999999999999999999999999999999999999999999999999999999999", ST_OVERFLOW },
};

TH_TABLE_PARAMETERS(ledger_amount, refuses_non_canonical_text, refuses_non_canonical_text_cases)

ParameterizedTest(int *i, ledger_amount, refuses_non_canonical_text)
{
    expect_refused(&refuses_non_canonical_text_cases[*i], false);
}

static const char *const accepts_canonical_text_cases[] = {
    "0", "1", "9", "10", "1000000000000000000", "18446744073709551616", MAX_U256,
};

TH_TABLE_PARAMETERS(ledger_amount, accepts_canonical_text_and_formats_it_back, accepts_canonical_text_cases)

ParameterizedTest(int *i, ledger_amount, accepts_canonical_text_and_formats_it_back)
{
    const char *const *text = &accepts_canonical_text_cases[*i];
    char buf[LEDGER_AMOUNT_STRLEN];
    mpz_t x;
    mpz_init(x);
    cr_assert_eq(ledger_amount_parse(x, *text, strlen(*text)), ST_OK, "\"%s\" is canonical", *text);
    cr_assert(ledger_amount_fits(x), "a parsed amount fits in 256 bits");
    ledger_amount_format(buf, x);
    cr_assert_str_eq(buf, *text, "formatting gives back the canonical text");
    mpz_clear(x);
}

Test(ledger_amount, parses_only_the_given_length)
{
    mpz_t x;
    mpz_init(x);
    cr_assert_eq(ledger_amount_parse(x, "12x", 2), ST_OK, "the first two bytes are canonical");
    cr_assert_eq(mpz_cmp_ui(x, 12), 0, "the value is 12");
    mpz_clear(x);
}

Test(ledger_amount, adds_up_to_the_largest_value_and_refuses_to_overflow)
{
    mpz_t a, b, r;
    mpz_inits(a, b, r, NULL);
    set(a, "115792089237316195423570985008687907853269984665640564039457584007913129639934");
    mpz_set_ui(b, 1);
    cr_assert_eq(ledger_amount_add(r, a, b), ST_OK, "2^256-2 + 1 fits");
    cr_assert_eq(mpz_cmp(r, a), 1, "the sum grew");
    cr_assert_eq(ledger_amount_add(r, r, b), ST_OVERFLOW, "2^256-1 + 1 overflows");
    set(a, MAX_U256);
    cr_assert_eq(mpz_cmp(r, a), 0, "r is unchanged after the overflow");
    mpz_clears(a, b, r, NULL);
}

Test(ledger_amount, subtracts_and_refuses_to_underflow)
{
    mpz_t a, b, r;
    mpz_init_set_ui(a, 1);
    mpz_init_set_ui(b, 2);
    mpz_init_set_ui(r, 42);
    cr_assert_eq(ledger_amount_sub(r, a, b), ST_INSUFFICIENT, "1 - 2 underflows");
    cr_assert_eq(mpz_cmp_ui(r, 42), 0, "r is unchanged after the underflow");
    cr_assert_eq(ledger_amount_sub(b, b, a), ST_OK, "2 - 1 is fine, even in place");
    cr_assert_eq(mpz_cmp_ui(b, 1), 0, "2 - 1 = 1");
    cr_assert_eq(ledger_amount_sub(r, a, a), ST_OK, "1 - 1 is fine");
    cr_assert_eq(mpz_sgn(r), 0, "1 - 1 = 0");
    mpz_clears(a, b, r, NULL);
}

Test(ledger_amount, refuses_arithmetic_on_values_out_of_range_as_a_caller_bug)
{
    mpz_t a, b, r;
    mpz_init_set_si(a, -1);
    mpz_init_set_ui(b, 1);
    mpz_init(r);
    cr_assert_eq(ledger_amount_add(r, a, b), ST_INVALID, "a negative addend is a caller bug");
    mpz_ui_pow_ui(a, 2, 256);
    cr_assert_eq(ledger_amount_sub(r, a, b), ST_INVALID, "a minuend of 2^256 is a caller bug");
    mpz_clears(a, b, r, NULL);
}

Test(ledger_amount, round_trips_through_a_big_endian_word)
{
    static const uint8_t one_eth[32] = { [24] = 0x0d, 0xe0, 0xb6, 0xb3, 0xa7, 0x64, 0x00, 0x00 };
    uint8_t word[32], ones[32];
    mpz_t x, y;
    mpz_inits(x, y, NULL);
    set(x, "1000000000000000000");
    ledger_amount_to_word(word, x);
    cr_assert_arr_eq(word, one_eth, 32, "10^18 is 0x0de0b6b3a7640000 right-aligned");
    set(x, MAX_U256);
    ledger_amount_to_word(word, x);
    memset(ones, 0xff, sizeof ones);
    cr_assert_arr_eq(word, ones, 32, "2^256-1 is all ones");
    ledger_amount_from_word(y, word);
    cr_assert_eq(mpz_cmp(x, y), 0, "the word reads back as 2^256-1");
    mpz_set_ui(x, 0);
    ledger_amount_to_word(word, x);
    memset(ones, 0, sizeof ones);
    cr_assert_arr_eq(word, ones, 32, "zero is all zero bytes");
    mpz_clears(x, y, NULL);
}

struct human_case {
    const char *text;
    const char *base_units;
};

/* Each text parses to exactly its base units, and the base units print as exactly that text. */
static const struct human_case human_amounts_cases[] = {
    { "1.5", "1500000000000000000" },
    { "1", "1000000000000000000" },
    { "0", "0" },
    { "1000", "1000000000000000000000" },
    { "0.000000000000000001", "1" },
    { "0.1", "100000000000000000" },
    { "10.01", "10010000000000000000" },
    { "123456789.123456789123456789", "123456789123456789123456789" },
    { "115792089237316195423570985008687907853269984665640564039457.584007913129639935", MAX_U256 },
};

TH_TABLE_PARAMETERS(ledger_amount, parses_and_formats_human_amounts_exactly, human_amounts_cases)

ParameterizedTest(int *i, ledger_amount, parses_and_formats_human_amounts_exactly)
{
    const struct human_case *c = &human_amounts_cases[*i];
    char buf[LEDGER_AMOUNT_STRLEN + 2];
    mpz_t x, want;
    mpz_inits(x, want, NULL);
    set(want, c->base_units);
    cr_assert_eq(ledger_amount_parse_human(x, c->text, LEDGER_AMOUNT_DECIMALS), ST_OK, "\"%s\" is a human amount",
                 c->text);
    cr_assert_eq(mpz_cmp(x, want), 0, "\"%s\" is %s base units", c->text, c->base_units);
    ledger_amount_format_human(buf, want, LEDGER_AMOUNT_DECIMALS);
    cr_assert_str_eq(buf, c->text, "%s base units print as %s", c->base_units, c->text);
    mpz_clears(x, want, NULL);
}

static const th_text_case refuses_bad_human_amounts_cases[] = {
    { "", ST_INVALID }, { ".5", ST_INVALID }, { "1.", ST_INVALID }, { "-1", ST_INVALID },
    { "+1", ST_INVALID }, { "1e3", ST_INVALID }, { " 1", ST_INVALID }, { "1.5 ", ST_INVALID },
    { "01.5", ST_INVALID }, { "1.5.0", ST_INVALID }, { "1,5", ST_INVALID },
    { "0.0000000000000000001", ST_INVALID }, { "1.1234567890123456789", ST_INVALID },
    { "115792089237316195423570985008687907853269984665640564039457.584007913129639936", ST_OVERFLOW },
    { "1000000000000000000000000000000000000000000000000000000000000000000000", ST_OVERFLOW },
};

TH_TABLE_PARAMETERS(ledger_amount, refuses_bad_human_amounts, refuses_bad_human_amounts_cases)

ParameterizedTest(int *i, ledger_amount, refuses_bad_human_amounts)
{
    expect_refused(&refuses_bad_human_amounts_cases[*i], true);
}

Test(ledger_amount, parses_human_amounts_to_their_decimals)
{
    char buf[LEDGER_AMOUNT_STRLEN + 2];
    mpz_t x;
    mpz_init(x);
    cr_assert_eq(ledger_amount_parse_human(x, "1.500000000000000000", LEDGER_AMOUNT_DECIMALS), ST_OK,
                 "trailing zeros up to the decimals");
    cr_assert_str_eq(mpz_get_str(buf, 10, x), "1500000000000000000", "1.500000000000000000 is 1.5 x 10^18");
    cr_assert_eq(ledger_amount_parse_human(x, "12", 0), ST_OK, "whole numbers need no decimals");
    cr_assert_eq(mpz_cmp_ui(x, 12), 0, "12 with 0 decimals is 12");
    cr_assert_eq(ledger_amount_parse_human(x, "1.5", 0), ST_INVALID, "no fraction allowed with 0 decimals");
    cr_assert_eq(ledger_amount_parse_human(x, "2.25", 2), ST_OK, "two decimals");
    cr_assert_eq(mpz_cmp_ui(x, 225), 0, "2.25 with 2 decimals is 225");
    cr_assert_eq(ledger_amount_parse_human(x, "1", 1000), ST_INVALID, "absurd decimals are a caller bug");
    mpz_clear(x);
}

