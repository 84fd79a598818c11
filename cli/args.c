/* SPDX-License-Identifier: MIT */
/* args.c: turns the words of a command line into amounts, addresses, hashes and numbers, refusing
 * anything malformed with a reason a person can act on, before the node is ever contacted (so a
 * typo is exit 2, never a signed transaction). Amounts stay exact: human amounts are parsed as
 * decimal text, never through floating point. */
#include "cli/cli.h"

#include <string.h>
#include "ledger/amount.h"
#include "ledger/hex.h"

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return n > 0;
}

/* Why a human (or with raw, base-unit) amount word is malformed; NULL if it is not obviously so. */
static const char *amount_defect(const char *w, bool raw)
{
    const char *dot = strchr(w, '.');
    if (!*w)
        return "empty";
    if (w[0] == '-')
        return "negative amounts are not allowed";
    if (dot && raw)
        return "--raw takes a whole number of base units";
    if (dot && strchr(dot + 1, '.'))
        return "more than one decimal point";
    if (dot && all_digits(dot + 1, strlen(dot + 1)) && strlen(dot + 1) > LEDGER_AMOUNT_DECIMALS)
        return "too many decimals (at most 18)";
    if (w[0] == '0' && w[1] >= '0' && w[1] <= '9')
        return "leading zeros are not allowed";
    return NULL;
}

int cli_arg_amount(mpz_t out, char *err, size_t errlen, const char *word, bool raw)
{
    const char *why = amount_defect(word, raw);
    int rc = ST_INVALID;
    if (!why) {
        rc = raw ? ledger_amount_parse(out, word, strlen(word))
                 : ledger_amount_parse_human(out, word, LEDGER_AMOUNT_DECIMALS);
        if (rc == ST_OVERFLOW)
            why = "too large (an amount is below 2^256 base units)";
        else if (rc != ST_OK)
            why = raw ? "expected a whole number of base units, like 1500000000000000000"
                      : "expected a number of tokens, like 1, 0.5 or 1.5";
    }
    if (why)
        snprintf(err, errlen, "bad amount '%s': %s", word, why);
    return rc;
}

int cli_arg_address(uint8_t out[20], char *err, size_t errlen, const char *word)
{
    uint8_t a[20];
    char canon[LEDGER_ADDR_STRLEN];
    bool upper = false, lower = false;

    if (strlen(word) != 42 || ledger_addr_parse(a, word) != ST_OK) {
        snprintf(err, errlen, "bad address '%s': expected 0x and 40 hex digits", word);
        return ST_INVALID;
    }
    for (const char *p = word + 2; *p; p++) {
        upper = upper || (*p >= 'A' && *p <= 'F');
        lower = lower || (*p >= 'a' && *p <= 'f');
    }
    ledger_addr_format(canon, a);
    if (upper && lower && strcmp(canon + 2, word + 2) != 0) {
        snprintf(err, errlen, "bad address '%s': mixed case that is not its EIP-55 checksum (a typo?)", word);
        return ST_INVALID;
    }
    memcpy(out, a, sizeof a);
    return ST_OK;
}

int cli_arg_hash(uint8_t out[32], char *err, size_t errlen, const char *word)
{
    if (strlen(word) != 66 || ledger_hex_decode_exact(out, 32, word) != ST_OK) {
        snprintf(err, errlen, "bad hash '%s': expected 0x and 64 hex digits", word);
        return ST_INVALID;
    }
    return ST_OK;
}

int cli_arg_uint(uint64_t *out, char *err, size_t errlen, const char *word, const char *what)
{
    size_t n = strlen(word);
    uint64_t v = 0;
    bool ok = all_digits(word, n) && (n == 1 || word[0] != '0') && n <= 16;
    for (size_t i = 0; ok && i < n; i++)
        v = v * 10 + (uint64_t)(word[i] - '0');
    if (!ok || v > CLI_JSON_INT_MAX) {
        snprintf(err, errlen, "bad %s '%s': expected a whole number from 0 to 2^53-1", what, word);
        return ST_INVALID;
    }
    *out = v;
    return ST_OK;
}

int cli_arg_dev_key(unsigned *out, char *err, size_t errlen, const char *word)
{
    if (word[0] < '0' || word[0] > '9' || word[1] != '\0') {
        snprintf(err, errlen, "bad --dev-key '%s': expected a development account index from 0 to 9", word);
        return ST_INVALID;
    }
    *out = (unsigned)(word[0] - '0');
    return ST_OK;
}

int cli_arg_block(cJSON **params, char *err, size_t errlen, const char *word)
{
    uint8_t hash[32];
    uint64_t height = 0;
    cJSON *p = NULL;
    bool is_hash = strncmp(word, "0x", 2) == 0 || strncmp(word, "0X", 2) == 0;

    if (is_hash && cli_arg_hash(hash, err, errlen, word) != ST_OK)
        return ST_INVALID;
    if (!is_hash && strcmp(word, "latest") != 0 && cli_arg_uint(&height, err, errlen, word, "block") != ST_OK) {
        snprintf(err, errlen, "bad block '%s': expected a height, \"latest\" or a 0x block hash", word);
        return ST_INVALID;
    }
    p = cJSON_CreateObject();
    if (!p)
        return ST_NOMEM;
    bool ok;
    if (is_hash)
        ok = cJSON_AddStringToObject(p, "hash", word) != NULL;
    else if (strcmp(word, "latest") == 0)
        ok = cJSON_AddStringToObject(p, "height", "latest") != NULL;
    else
        ok = cJSON_AddNumberToObject(p, "height", (double)height) != NULL;
    if (!ok) {
        cJSON_Delete(p);
        return ST_NOMEM;
    }
    *params = p;
    return ST_OK;
}
