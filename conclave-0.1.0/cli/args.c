/* SPDX-License-Identifier: MIT */
/* args.c: turns the words of a command line into amounts, addresses, hashes, numbers and proposal
 * payloads and bodies, refusing
 * anything malformed with a reason a person can act on, before the node is ever contacted (so a
 * typo is exit 2, never a signed transaction). Amounts stay exact: human amounts are parsed as
 * decimal text, never through floating point. */
#include "cli/cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
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

/* Builds the payload object of the one payload option given (w->json excluded). */
static int payload_object(cJSON *obj, char *err, size_t errlen, const cli_payload_words *w, bool raw)
{
    char text[LEDGER_AMOUNT_STRLEN];
    bool ok = true;
    if (w->spend_to) {
        uint8_t to[20];
        mpz_t amount;
        mpz_init(amount);
        int rc = cli_arg_address(to, err, errlen, w->spend_to);
        if (rc == ST_OK)
            rc = cli_arg_amount(amount, err, errlen, w->spend_amount, raw);
        if (rc == ST_OK && mpz_sgn(amount) == 0) {
            snprintf(err, errlen, "bad --spend amount '%s': a spend moves more than nothing", w->spend_amount);
            rc = ST_INVALID;
        }
        if (rc == ST_OK) {
            char addr[LEDGER_ADDR_STRLEN];
            ledger_addr_format(addr, to);
            ledger_amount_format(text, amount);
            ok = cJSON_AddStringToObject(obj, "kind", "spend") && cJSON_AddStringToObject(obj, "to", addr)
                 && cJSON_AddStringToObject(obj, "amount", text);
        }
        mpz_clear(amount);
        if (rc != ST_OK)
            return rc;
    } else if (w->param_name) {
        size_t n = strlen(w->param_value);
        bool digits = n > 0 && (n == 1 || w->param_value[0] != '0');
        for (size_t i = 0; digits && i < n; i++)
            digits = w->param_value[i] >= '0' && w->param_value[i] <= '9';
        if (!*w->param_name) {
            snprintf(err, errlen, "bad --param: a parameter name is needed (the node's gov_getParams lists them)");
            return ST_INVALID;
        }
        if (!digits || n >= LEDGER_AMOUNT_STRLEN) {
            snprintf(err, errlen, "bad --param value '%s': expected a whole number as gov_getParams shows it "
                                  "(base units, seconds or ppm)", w->param_value);
            return ST_INVALID;
        }
        ok = cJSON_AddStringToObject(obj, "kind", "param") && cJSON_AddStringToObject(obj, "name", w->param_name)
             && cJSON_AddStringToObject(obj, "value", w->param_value);
    } else {
        const char *word = w->allow_enclave ? w->allow_enclave : w->remove_enclave;
        uint8_t m[32];
        if (cli_arg_hash(m, err, errlen, word) != ST_OK) {
            snprintf(err, errlen, "bad measurement '%s': expected 0x and 64 hex digits", word);
            return ST_INVALID;
        }
        ledger_hex_encode(text, m, sizeof m);
        ok = cJSON_AddStringToObject(obj, "kind", w->allow_enclave ? "enclaveAllow" : "enclaveRemove")
             && cJSON_AddStringToObject(obj, "measurement", text);
    }
    return ok ? ST_OK : ST_NOMEM;
}

int cli_arg_payload(char **text, char *err, size_t errlen, const cli_payload_words *w, bool raw)
{
    unsigned given = (w->json != NULL) + (w->spend_to != NULL) + (w->param_name != NULL) + (w->allow_enclave != NULL)
                     + (w->remove_enclave != NULL);
    cJSON *obj = NULL;
    int rc = ST_OK;
    if (given == 0) {
        *text = NULL;
        return ST_OK;
    }
    if (given > 1) {
        snprintf(err, errlen, "give one payload: --payload, --spend, --param, --allow-enclave or --remove-enclave");
        return ST_INVALID;
    }
    if (w->json) {
        obj = cJSON_Parse(w->json);
        if (!cJSON_IsObject(obj) || !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(obj, "kind"))) {
            snprintf(err, errlen, "bad --payload: a JSON object with a \"kind\" is needed (see conclave help gov propose)");
            rc = ST_INVALID;
        }
    } else {
        obj = cJSON_CreateObject();
        rc = obj ? payload_object(obj, err, errlen, w, raw) : ST_NOMEM;
    }
    char *out = rc == ST_OK ? cJSON_PrintUnformatted(obj) : NULL;
    if (rc == ST_OK && !out)
        rc = ST_NOMEM;
    cJSON_Delete(obj);
    if (rc == ST_OK)
        *text = out;
    return rc;
}

int cli_arg_body_file(char **text, char *err, size_t errlen, const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    int rc = ST_OK;
    if (!f) {
        snprintf(err, errlen, "cannot read the body file '%s': %s", path, strerror(errno));
        return ST_IO;
    }
    if (!(buf = malloc(CLI_BODY_MAX + 2))) {
        rc = ST_NOMEM;
        goto out;
    }
    size_t n = fread(buf, 1, CLI_BODY_MAX + 1, f);
    if (ferror(f)) {
        snprintf(err, errlen, "cannot read the body file '%s'", path);
        rc = ST_IO;
    } else if (n > CLI_BODY_MAX) {
        snprintf(err, errlen, "the body file '%s' is longer than %d bytes, the most a proposal's body may be", path,
                 CLI_BODY_MAX);
        rc = ST_INVALID;
    } else if (memchr(buf, 0, n)) {
        snprintf(err, errlen, "the body file '%s' is not text: it holds a NUL byte", path);
        rc = ST_INVALID;
    }
    if (rc == ST_OK) {
        buf[n] = 0;
        *text = buf;
        buf = NULL;
    }
out:
    free(buf);
    fclose(f);
    return rc;
}
