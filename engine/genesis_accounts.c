/* SPDX-License-Identifier: MIT */
/* genesis_accounts.c: a genesis document's "accounts" array, read and written as text. cJSON cannot
 * stream, and its tree of 1,000,000 accounts (three items and four strings an entry) took hundreds of
 * MB before one value was checked; no maintained C library in our dependencies streams JSON either.
 * So this small purpose-built scanner cuts the array out of the document and reads it entry by entry
 * into eng_genesis_account values, and the canonical accounts text is written straight into one
 * buffer; cJSON still parses the rest of the document, which is small. An entry's strings may hold no
 * escapes (an address or an amount never needs one); otherwise the scanner reads what cJSON reads. */
#include "engine/genesis_int.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ledger/amount.h"
#include "ledger/hex.h"

/* A read position in a text, never past its end. */
typedef struct cursor {
    const char *p;
    const char *end;
} cursor;

PRINTF_LIKE(3, 4) static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return ST_INVALID;
}

/* cJSON's whitespace: every byte up to the space. */
static void skip_space(cursor *c)
{
    while (c->p < c->end && (unsigned char)*c->p <= ' ')
        c->p++;
}

/* Whether the next byte, after whitespace, is ch; if so the cursor moves past it. */
static bool take(cursor *c, char ch)
{
    skip_space(c);
    if (c->p >= c->end || *c->p != ch)
        return false;
    c->p++;
    return true;
}

/* At an opening quote: moves past the closing one. Out: *escaped, whether the string holds a
 * backslash. Returns: false when the text ends first. */
static bool skip_string(cursor *c, bool *escaped)
{
    *escaped = false;
    for (c->p++; c->p < c->end; c->p++) {
        if (*c->p == '"') {
            c->p++;
            return true;
        }
        if (*c->p == '\\') {
            *escaped = true;
            c->p++;
        }
    }
    return false;
}

/* Moves past one JSON value of any kind: a string, a nested object or array, or a literal. Its
 * well-formedness is left to cJSON. Returns: false when the text ends first. */
static bool skip_value(cursor *c)
{
    bool escaped;
    skip_space(c);
    if (c->p >= c->end)
        return false;
    if (*c->p == '"')
        return skip_string(c, &escaped);
    if (*c->p != '{' && *c->p != '[') {
        while (c->p < c->end && (unsigned char)*c->p > ' ' && !strchr(",}]", *c->p))
            c->p++;
        return true;
    }
    size_t depth = 0;
    while (c->p < c->end) {
        char ch = *c->p;
        if (ch == '"') {
            if (!skip_string(c, &escaped))
                return false;
            continue;
        }
        c->p++;
        if (ch == '{' || ch == '[')
            depth++;
        else if ((ch == '}' || ch == ']') && --depth == 0)
            return true;
    }
    return false;
}

int eng_genesis_find_accounts(const char **start, const char **end, char *err, size_t errlen, const char *json,
                              size_t len)
{
    cursor c = { json, json + len };
    *start = *end = NULL;
    if (!take(&c, '{'))
        return ST_OK;
    do {
        skip_space(&c);
        const char *key = c.p + 1;
        bool escaped;
        if (c.p >= c.end || *c.p != '"' || !skip_string(&c, &escaped))
            return ST_OK;
        bool is_accounts = !escaped && c.p - 1 - key == 8 && memcmp(key, "accounts", 8) == 0;
        if (!take(&c, ':'))
            return ST_OK;
        skip_space(&c);
        const char *value = c.p;
        /* the text ends inside the value: not JSON, and no cJSON tree of a truncated million accounts */
        if (!skip_value(&c))
            return fail(err, errlen, "genesis: %s", "not a JSON object");
        if (is_accounts && *start)
            return fail(err, errlen, "genesis: %s is listed twice", "\"accounts\"");
        if (is_accounts) {
            *start = value;
            *end = c.p;
        }
    } while (take(&c, ','));
    return ST_OK;
}

/* Reads a string with no escapes. Out: *text and *n, its bytes between the quotes. */
static bool read_plain_string(cursor *c, const char **text, size_t *n)
{
    bool escaped;
    skip_space(c);
    if (c->p >= c->end || *c->p != '"')
        return false;
    *text = c->p + 1;
    if (!skip_string(c, &escaped) || escaped)
        return false;
    *n = (size_t)(c->p - 1 - *text);
    return true;
}

/* One entry {"address", "balance"} into a (initialised). i is its index, for errors. */
static int scan_entry(eng_genesis_account *a, char *err, size_t errlen, cursor *c, size_t i)
{
    bool has_address = false, has_balance = false;
    if (!take(c, '{'))
        return fail(err, errlen, "genesis: accounts[%zu] must be an object", i);
    if (!take(c, '}')) {
        do {
            const char *key, *value;
            size_t key_len, value_len;
            if (!read_plain_string(c, &key, &key_len) || !take(c, ':'))
                return fail(err, errlen, "genesis: accounts[%zu] is not a well-formed object", i);
            bool is_address = key_len == 7 && memcmp(key, "address", 7) == 0;
            bool is_balance = key_len == 7 && memcmp(key, "balance", 7) == 0;
            if (!is_address && !is_balance)
                return fail(err, errlen, "genesis: unknown key \"accounts[].%.*s\"", (int)(key_len < 64 ? key_len : 64),
                            key);
            if (is_address ? has_address : has_balance)
                return fail(err, errlen, "genesis: accounts[%zu].%.7s is listed twice", i, key);
            bool is_string = read_plain_string(c, &value, &value_len);
            if (is_address) {
                char text[LEDGER_ADDR_STRLEN];
                if (!is_string || value_len >= sizeof text)
                    return fail(err, errlen, "genesis: accounts[%zu].address must be a 0x-prefixed 20-byte address", i);
                memcpy(text, value, value_len);
                text[value_len] = '\0';
                if (ledger_addr_parse(a->address, text) != ST_OK)
                    return fail(err, errlen, "genesis: accounts[%zu].address must be a 0x-prefixed 20-byte address", i);
                has_address = true;
            } else {
                if (!is_string || ledger_amount_parse(a->balance, value, value_len) != ST_OK)
                    return fail(err, errlen, "genesis: accounts[%zu].balance must be a canonical decimal amount", i);
                has_balance = true;
            }
        } while (take(c, ','));
        if (!take(c, '}'))
            return fail(err, errlen, "genesis: accounts[%zu] is not a well-formed object", i);
    }
    if (!has_address)
        return fail(err, errlen, "genesis: accounts[%zu].address must be a 0x-prefixed 20-byte address", i);
    if (!has_balance)
        return fail(err, errlen, "genesis: accounts[%zu].balance must be a canonical decimal amount", i);
    return ST_OK;
}

int eng_genesis_scan_accounts(eng_genesis *g, char *err, size_t errlen, const char *start, const char *end)
{
    cursor c = { start, end };
    size_t cap = 0;
    if (!take(&c, '['))
        return fail(err, errlen, "genesis: %s must be an array", "accounts");
    if (take(&c, ']'))
        return ST_OK;
    do {
        if (g->n_accounts == cap) {
            size_t grown = cap ? cap * 2 : 1024;
            eng_genesis_account *more = realloc(g->accounts, grown * sizeof *more);
            if (!more)
                return ST_NOMEM;
            g->accounts = more;
            cap = grown;
        }
        eng_genesis_account *a = &g->accounts[g->n_accounts];
        mpz_init(a->balance);
        g->n_accounts++;
        int rc = scan_entry(a, err, errlen, &c, g->n_accounts - 1);
        if (rc != ST_OK)
            return rc;
    } while (take(&c, ','));
    if (!take(&c, ']'))
        return fail(err, errlen, "genesis: accounts is not a well-formed array after entry %zu", g->n_accounts - 1);
    return ST_OK;
}

/* Appends n bytes to the buffer *buf of *used bytes and *cap capacity. Returns: false on OOM. */
static bool put(char **buf, size_t *used, size_t *cap, const char *bytes, size_t n)
{
    if (*used + n + 1 > *cap) {
        size_t grown = (*cap + n + 1) * 2;
        char *more = realloc(*buf, grown);
        if (!more)
            return false;
        *buf = more;
        *cap = grown;
    }
    memcpy(*buf + *used, bytes, n);
    *used += n;
    (*buf)[*used] = '\0';
    return true;
}

int eng_genesis_join_canonical(char **out, const eng_genesis *g, const char *params)
{
    static const char head[] = ENG_GENESIS_CANONICAL_HEAD;
    size_t head_len = sizeof head - 1, params_len = strlen(params);
    /* about 85 bytes an entry of a typical balance: one allocation in the common case */
    size_t used = 0, cap = head_len + params_len + g->n_accounts * 96 + 1;
    char *buf = malloc(cap);
    *out = NULL;
    if (!buf)
        return ST_NOMEM;
    assert(params_len >= head_len && memcmp(params, head, head_len) == 0);
    bool ok = put(&buf, &used, &cap, head, head_len);
    for (size_t i = 0; i < g->n_accounts && ok; i++) {
        char entry[LEDGER_ADDR_STRLEN + LEDGER_AMOUNT_STRLEN + 32], addr[LEDGER_ADDR_STRLEN], amount[LEDGER_AMOUNT_STRLEN];
        ledger_addr_format(addr, g->accounts[i].address);
        ledger_amount_format(amount, g->accounts[i].balance);
        int n = snprintf(entry, sizeof entry, "%s{\"address\":\"%s\",\"balance\":\"%s\"}", i ? "," : "", addr, amount);
        ok = n > 0 && (size_t)n < sizeof entry && put(&buf, &used, &cap, entry, (size_t)n);
    }
    ok = ok && put(&buf, &used, &cap, params + head_len, params_len - head_len);
    if (!ok) {
        free(buf);
        return ST_NOMEM;
    }
    *out = buf;
    return ST_OK;
}
