/* SPDX-License-Identifier: MIT */
/* test_args.c: the CLI's checks of command-line words: exact human and raw amounts, addresses
 * with the EIP-55 guard, hashes, integers, dev key indices, block selectors, proposal payloads
 * from gov propose's options and bodies from a file; every refusal gives a reason and leaves the
 * output alone; out of memory is reported, not crashed on. */
#include <criterion/criterion.h>
#include "tests/lib/testhelp.h"
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli/cli.h"
#include "ledger/amount.h"

#define MAX_U256 "115792089237316195423570985008687907853269984665640564039457584007913129639935"
#define DEV0_ADDR "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
#define HASH "0xfed0f8afeb5c7526bcce436dc91574964764d418239117e2c1cff2da86b6cc9f"

struct amount_case {
    const char *word;
    bool raw;
    const char *base_units;     /* expected value, or NULL if refused */
    int rc;
    const char *reason;         /* a part of the expected reason */
};

static const struct amount_case amount_cases[] = {
    { "1", false, "1000000000000000000", ST_OK, NULL },
    { "1.5", false, "1500000000000000000", ST_OK, NULL },
    { "0.5", false, "500000000000000000", ST_OK, NULL },
    { "0", false, "0", ST_OK, NULL },
    { "1000000", false, "1000000000000000000000000", ST_OK, NULL },
    { "0.000000000000000001", false, "1", ST_OK, NULL },
    { "123456789.123456789123456789", false, "123456789123456789123456789", ST_OK, NULL },
    { "1500000000000000000", true, "1500000000000000000", ST_OK, NULL },
    { MAX_U256, true, MAX_U256, ST_OK, NULL },
    { "1.2.3", false, NULL, ST_INVALID, "more than one decimal point" },
    { "-1", false, NULL, ST_INVALID, "negative" },
    { "-1", true, NULL, ST_INVALID, "negative" },
    { "1.0000000000000000001", false, NULL, ST_INVALID, "too many decimals" },
    { "", false, NULL, ST_INVALID, "empty" },
    { "01", false, NULL, ST_INVALID, "leading zeros" },
    { "007", true, NULL, ST_INVALID, "leading zeros" },
    { "1.5", true, NULL, ST_INVALID, "whole number of base units" },
    { ".5", false, NULL, ST_INVALID, "like 1, 0.5 or 1.5" },
    { "1.", false, NULL, ST_INVALID, "like 1, 0.5 or 1.5" },
    { "1e18", false, NULL, ST_INVALID, "like 1, 0.5 or 1.5" },
    { "+1", false, NULL, ST_INVALID, "like 1, 0.5 or 1.5" },
    { " 1", false, NULL, ST_INVALID, "like 1, 0.5 or 1.5" },
    { "1,5", false, NULL, ST_INVALID, "like 1, 0.5 or 1.5" },
    { "0x10", true, NULL, ST_INVALID, "whole number of base units" },
    { MAX_U256, false, NULL, ST_OVERFLOW, "too large" },
    { "115792089237316195423570985008687907853269984665640564039457584007913129639936", true, NULL,
      ST_OVERFLOW, "too large" },
};

TH_TABLE_PARAMETERS(cli_args, parses_amounts_exactly_or_says_why_not, amount_cases)

ParameterizedTest(int *i, cli_args, parses_amounts_exactly_or_says_why_not)
{
    const struct amount_case *c = &amount_cases[*i];
    char err[256] = "";
    mpz_t v;
    mpz_init_set_ui(v, 77);
    int rc = cli_arg_amount(v, err, sizeof err, c->word, c->raw);
    cr_assert_eq(rc, c->rc, "amount '%s' (raw %d) must give %s, not %s", c->word, c->raw, st_str(c->rc), st_str(rc));
    if (c->base_units) {
        char text[LEDGER_AMOUNT_STRLEN];
        ledger_amount_format(text, v);
        cr_assert_str_eq(text, c->base_units, "amount '%s' must be exactly %s base units", c->word, c->base_units);
    } else {
        cr_assert_eq(mpz_cmp_ui(v, 77), 0, "a refused amount must leave the output alone");
        cr_assert(strstr(err, c->reason) != NULL, "the reason for '%s' must mention \"%s\": %s", c->word,
                  c->reason, err);
        cr_assert(strstr(err, "bad amount") == err, "the reason must start with \"bad amount\": %s", err);
    }
    mpz_clear(v);
}

struct word_case {
    const char *word;
    int rc;
};

static const struct word_case address_cases[] = {
    { DEV0_ADDR, ST_OK },
    { "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266", ST_OK },
    { "0xF39FD6E51AAD88F6F4CE6AB8827279CFFFB92266", ST_OK },
    { "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92267", ST_INVALID }, /* checksum of a different address */
    { "0xF39fd6e51aad88F6F4ce6aB8827279cffFb92266", ST_INVALID }, /* one letter's case flipped */
    { "0xf39fd6e51aad88f6f4ce6ab8827279cfffb9226", ST_INVALID },
    { "0xf39fd6e51aad88f6f4ce6ab8827279cfffb922660", ST_INVALID },
    { "f39fd6e51aad88f6f4ce6ab8827279cfffb92266", ST_INVALID },
    { "0xg39fd6e51aad88f6f4ce6ab8827279cfffb92266", ST_INVALID },
    { "", ST_INVALID },
};

TH_TABLE_PARAMETERS(cli_args, accepts_addresses_and_guards_the_checksum, address_cases)

ParameterizedTest(int *i, cli_args, accepts_addresses_and_guards_the_checksum)
{
    const struct word_case *c = &address_cases[*i];
    uint8_t a[20], untouched[20];
    char err[256] = "";
    memset(a, 0x5A, sizeof a);
    memset(untouched, 0x5A, sizeof untouched);
    cr_assert_eq(cli_arg_address(a, err, sizeof err, c->word), c->rc, "address '%s' must give %s", c->word,
                 st_str(c->rc));
    if (c->rc == ST_OK) {
        cr_assert_eq(a[0], 0xf3, "address '%s' must decode", c->word);
        cr_assert_eq(a[19], 0x66, "address '%s' must decode", c->word);
    } else {
        cr_assert_arr_eq(a, untouched, 20, "a refused address must leave the output alone");
        cr_assert(strstr(err, "bad address") == err, "the reason must start with \"bad address\": %s", err);
    }
}

Test(cli_args, parses_hashes)
{
    uint8_t h[32];
    char err[256] = "";
    cr_assert_eq(cli_arg_hash(h, err, sizeof err, HASH), ST_OK, "a 0x 64-hex hash must parse");
    cr_assert_eq(h[0], 0xfe, "the hash must decode");
    cr_assert_eq(cli_arg_hash(h, err, sizeof err, HASH "00"), ST_INVALID, "a longer word must be refused");
    cr_assert_eq(cli_arg_hash(h, err, sizeof err, "0x1234"), ST_INVALID, "a shorter word must be refused");
    cr_assert_eq(cli_arg_hash(h, err, sizeof err, HASH + 2), ST_INVALID, "a hash needs its 0x");
    cr_assert(strstr(err, "bad hash") == err, "the reason must start with \"bad hash\": %s", err);
}

static const struct word_case uint_cases[] = {
    { "0", ST_OK },  { "42", ST_OK },         { "9007199254740991", ST_OK }, { "9007199254740992", ST_INVALID },
    { "", ST_INVALID }, { "-1", ST_INVALID }, { "01", ST_INVALID },        { "1a", ST_INVALID },
    { "1.0", ST_INVALID }, { "99999999999999999999", ST_INVALID },
};

TH_TABLE_PARAMETERS(cli_args, parses_whole_numbers_below_2_53, uint_cases)

ParameterizedTest(int *i, cli_args, parses_whole_numbers_below_2_53)
{
    const struct word_case *c = &uint_cases[*i];
    uint64_t v = 77;
    char err[256] = "";
    cr_assert_eq(cli_arg_uint(&v, err, sizeof err, c->word, "seconds"), c->rc, "'%s' must give %s", c->word,
                 st_str(c->rc));
    if (c->rc == ST_OK) {
        cr_assert_eq(v, strtoull(c->word, NULL, 10), "'%s' must keep its value", c->word);
    } else {
        cr_assert_eq(v, 77, "a refused number must leave the output alone");
        cr_assert(strstr(err, "bad seconds") == err, "the reason must name what was expected: %s", err);
    }
}

Test(cli_args, takes_dev_key_indices_0_to_9)
{
    unsigned idx = 99;
    char err[256] = "";
    cr_assert_eq(cli_arg_dev_key(&idx, err, sizeof err, "0"), ST_OK, "0 must be a dev key index");
    cr_assert_eq(idx, 0, "index 0");
    cr_assert_eq(cli_arg_dev_key(&idx, err, sizeof err, "9"), ST_OK, "9 must be a dev key index");
    cr_assert_eq(idx, 9, "index 9");
    const char *bad[] = { "10", "-1", "", "a", "1 " };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        cr_assert_eq(cli_arg_dev_key(&idx, err, sizeof err, bad[k]), ST_INVALID, "'%s' must be refused", bad[k]);
        cr_assert_eq(idx, 9, "a refused index must leave the output alone");
    }
}

/* Runs cli_arg_block on word and returns the params as compact JSON (caller frees), or NULL. */
static char *block_params(const char *word, int *rc)
{
    cJSON *p = NULL;
    char err[256] = "";
    *rc = cli_arg_block(&p, err, sizeof err, word);
    if (*rc != ST_OK) {
        cr_assert_null(p, "no params on failure");
        cr_assert(strstr(err, "bad") == err, "the reason must say what is bad: %s", err);
        return NULL;
    }
    char *s = cJSON_PrintUnformatted(p);
    cJSON_Delete(p);
    return s;
}

Test(cli_args, selects_blocks_by_height_latest_or_hash)
{
    int rc;
    char *s = block_params("latest", &rc);
    cr_assert_str_eq(s, "{\"height\":\"latest\"}", "latest must select the head");
    cJSON_free(s);
    s = block_params("7", &rc);
    cr_assert_str_eq(s, "{\"height\":7}", "a number must select a height");
    cJSON_free(s);
    s = block_params(HASH, &rc);
    cr_assert_str_eq(s, "{\"hash\":\"" HASH "\"}", "a hash must select by hash");
    cJSON_free(s);
    const char *bad[] = { "abc", "0x12", "-1", "", "Latest", "1.5" };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        cr_assert_null(block_params(bad[k], &rc), "'%s' must be refused", bad[k]);
        cr_assert_eq(rc, ST_INVALID, "'%s' must be ST_INVALID", bad[k]);
    }
}

/* A cJSON allocator that fails from the fail_at-th allocation on. */
static int allocations, fail_at;

static void *failing_malloc(size_t n)
{
    return allocations++ >= fail_at ? NULL : malloc(n);
}

Test(cli_args, reports_out_of_memory_when_building_block_params)
{
    cJSON_Hooks hooks = { .malloc_fn = failing_malloc, .free_fn = free };
    cJSON_InitHooks(&hooks);
    bool succeeded = false;
    for (fail_at = 0; fail_at < 16 && !succeeded; fail_at++) {
        cJSON *p = NULL;
        char err[256] = "";
        allocations = 0;
        int rc = cli_arg_block(&p, err, sizeof err, "latest");
        cr_assert(rc == ST_OK || rc == ST_NOMEM, "failing allocation %d must give ST_NOMEM, not %s", fail_at,
                  st_str(rc));
        if (rc == ST_NOMEM)
            cr_assert_null(p, "no params after ST_NOMEM");
        succeeded = rc == ST_OK;
        cJSON_Delete(p);
    }
    cJSON_InitHooks(NULL);
    cr_assert(succeeded, "with enough memory the params must be built");
}

#define MEAS "0xabababababababababababababababababababababababababababababababab"

struct payload_case {
    cli_payload_words w;
    bool raw;
    const char *json;           /* the expected payload text; NULL for a text proposal or a refusal */
    int rc;
    const char *reason;         /* a part of the expected reason */
};

static const struct payload_case payload_cases[] = {
    { { 0 }, false, NULL, ST_OK, NULL },
    { { .spend_to = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266", .spend_amount = "1.5" }, false,
      "{\"kind\":\"spend\",\"to\":\"" DEV0_ADDR "\",\"amount\":\"1500000000000000000\"}", ST_OK, NULL },
    { { .spend_to = DEV0_ADDR, .spend_amount = "15" }, true, "{\"kind\":\"spend\",\"to\":\"" DEV0_ADDR "\",\"amount\":\"15\"}",
      ST_OK, NULL },
    { { .param_name = "staking.minContribution", .param_value = "5000000000000000000" }, false,
      "{\"kind\":\"param\",\"name\":\"staking.minContribution\",\"value\":\"5000000000000000000\"}", ST_OK, NULL },
    { { .param_name = "rewards.feePpm", .param_value = "0" }, false,
      "{\"kind\":\"param\",\"name\":\"rewards.feePpm\",\"value\":\"0\"}", ST_OK, NULL },
    { { .allow_enclave = MEAS }, false, "{\"kind\":\"enclaveAllow\",\"measurement\":\"" MEAS "\"}", ST_OK, NULL },
    { { .remove_enclave = MEAS }, false, "{\"kind\":\"enclaveRemove\",\"measurement\":\"" MEAS "\"}", ST_OK, NULL },
    { { .json = " { \"kind\" : \"slashCancel\", \"slash\" : 3 } " }, false, "{\"kind\":\"slashCancel\",\"slash\":3}", ST_OK,
      NULL },
    { { .json = "[1]" }, false, NULL, ST_INVALID, "bad --payload" },
    { { .json = "{\"kind\":1}" }, false, NULL, ST_INVALID, "bad --payload" },
    { { .json = "{" }, false, NULL, ST_INVALID, "bad --payload" },
    { { .spend_to = "0x12", .spend_amount = "1" }, false, NULL, ST_INVALID, "bad address '0x12'" },
    { { .spend_to = DEV0_ADDR, .spend_amount = "0" }, false, NULL, ST_INVALID, "a spend moves more than nothing" },
    { { .spend_to = DEV0_ADDR, .spend_amount = "1.5" }, true, NULL, ST_INVALID, "bad amount '1.5'" },
    { { .spend_to = DEV0_ADDR, .spend_amount = "-1" }, false, NULL, ST_INVALID, "negative" },
    { { .param_name = "x", .param_value = "01" }, false, NULL, ST_INVALID, "bad --param value '01'" },
    { { .param_name = "x", .param_value = "1.5" }, false, NULL, ST_INVALID, "bad --param value '1.5'" },
    { { .param_name = "x", .param_value = "" }, false, NULL, ST_INVALID, "bad --param value ''" },
    { { .param_name = "", .param_value = "1" }, false, NULL, ST_INVALID, "a parameter name is needed" },
    { { .allow_enclave = "0x12" }, false, NULL, ST_INVALID, "bad measurement '0x12'" },
    { { .remove_enclave = MEAS "ab" }, false, NULL, ST_INVALID, "bad measurement" },
    { { .json = "{\"kind\":\"text\"}", .allow_enclave = MEAS }, false, NULL, ST_INVALID, "give one payload" },
    { { .spend_to = DEV0_ADDR, .spend_amount = "1", .param_name = "x", .param_value = "1" }, false, NULL, ST_INVALID,
      "give one payload" },
};

TH_TABLE_PARAMETERS(cli_args, builds_payloads_from_the_propose_options, payload_cases)

ParameterizedTest(int *i, cli_args, builds_payloads_from_the_propose_options)
{
    const struct payload_case *c = &payload_cases[*i];
    char err[256] = "", untouched[] = "untouched", *text = untouched;
    int rc = cli_arg_payload(&text, err, sizeof err, &c->w, c->raw);
    cr_assert_eq(rc, c->rc, "case %d must give %s, not %s (%s)", *i, st_str(c->rc), st_str(rc), err);
    if (rc != ST_OK) {
        cr_assert_eq(text, untouched, "a refused payload must leave the output alone");
        cr_assert(strstr(err, c->reason) != NULL, "the reason of case %d must mention \"%s\": %s", *i, c->reason, err);
    } else if (!c->json) {
        cr_assert_null(text, "no payload option: a text proposal");
    } else {
        cr_assert_str_eq(text, c->json, "case %d: the payload's JSON", *i);
        cJSON_free(text);
    }
}

Test(cli_args, reports_out_of_memory_when_building_a_payload)
{
    cJSON_Hooks hooks = { .malloc_fn = failing_malloc, .free_fn = free };
    const cli_payload_words w = { .spend_to = DEV0_ADDR, .spend_amount = "2" };
    bool succeeded = false;
    cJSON_InitHooks(&hooks);
    for (fail_at = 0; fail_at < 32 && !succeeded; fail_at++) {
        char err[256] = "", *text = NULL;
        allocations = 0;
        int rc = cli_arg_payload(&text, err, sizeof err, &w, false);
        cr_assert(rc == ST_OK || rc == ST_NOMEM, "failing allocation %d must give ST_NOMEM, not %s", fail_at, st_str(rc));
        succeeded = rc == ST_OK;
        cr_assert(succeeded ? text != NULL : text == NULL, "a payload exactly when it succeeds");
        cJSON_free(text);
    }
    cJSON_InitHooks(NULL);
    cr_assert(succeeded, "with enough memory the payload must be built");
}

/* Writes len bytes of data into a new temporary file; returns its path (static buffer). */
static const char *temp_file(const void *data, size_t len)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/test_args_XXXXXX");
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0, "a temporary file");
    cr_assert_eq(write(fd, data, len), (ssize_t)len, "written");
    close(fd);
    return path;
}

Test(cli_args, reads_a_body_file_of_at_most_16_kib_of_text)
{
    char err[256] = "", *text = NULL;
    const char *path = temp_file("Why.\nBecause.\n", 14);
    cr_assert_eq(cli_arg_body_file(&text, err, sizeof err, path), ST_OK, "a text file: %s", err);
    cr_assert_str_eq(text, "Why.\nBecause.\n", "read as it is");
    free(text);
    unlink(path);

    static char big[CLI_BODY_MAX + 1];
    memset(big, 'a', sizeof big);
    path = temp_file(big, CLI_BODY_MAX);
    cr_assert_eq(cli_arg_body_file(&text, err, sizeof err, path), ST_OK, "16384 bytes are the most: %s", err);
    cr_assert_eq(strlen(text), CLI_BODY_MAX, "all of them");
    free(text);
    unlink(path);

    text = NULL;
    path = temp_file(big, CLI_BODY_MAX + 1);
    cr_assert_eq(cli_arg_body_file(&text, err, sizeof err, path), ST_INVALID, "one byte more is refused");
    cr_assert(strstr(err, "longer than 16384 bytes"), "says why: %s", err);
    cr_assert_null(text, "no output on failure");
    unlink(path);

    path = temp_file("a\0b", 3);
    cr_assert_eq(cli_arg_body_file(&text, err, sizeof err, path), ST_INVALID, "a NUL byte is refused");
    cr_assert(strstr(err, "NUL"), "says why: %s", err);
    unlink(path);

    cr_assert_eq(cli_arg_body_file(&text, err, sizeof err, "/nonexistent/body"), ST_IO, "a missing file");
    cr_assert(strstr(err, "cannot read the body file '/nonexistent/body'"), "names it: %s", err);
    cr_assert_null(text, "no output on failure");
}
