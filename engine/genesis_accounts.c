/* SPDX-License-Identifier: MIT */
/* genesis_accounts.c: a genesis document's "accounts" array, read and written as text. cJSON cannot
 * stream, and its tree of 1,000,000 accounts (three items and four strings an entry) took hundreds of
 * MB before one value was checked; no maintained C library in our dependencies streams JSON either.
 * So this small purpose-built scanner cuts the array out of the document and reads it entry by entry,
 * and each entry is checked and written in canonical form to a sink: the keccak-256 that names the
 * genesis, block 0's body (eng_genesis_parse), or the chunks block 0 stores (genesis_store.c). No
 * array of the accounts is made, and a first start keeps no canonical copy of them either (the
 * document's own text is read again): 20 bytes an account are held for the duplicate check while
 * the document is checked. Each pass over a borrowed text tells its owner as it passes each MiB
 * (eng_genesis.release), so conclaved holds about a MiB of a mapped genesis file at a time. cJSON still parses the rest of the document, which is small. An entry's
 * strings may hold no escapes (an address or an amount never needs one); otherwise the scanner reads
 * what cJSON reads. */
#include "engine/genesis_int.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ledger/amount.h"
#include "ledger/hash.h"
#include "ledger/hex.h"

/* A read position in a text, never past its end, and who is told as it moves on. */
typedef struct cursor {
    const char *p;
    const char *end;
    eng_genesis_release_fn release; /* NULL, or told each time the cursor is ENG_GENESIS_RELEASE_STEP bytes
                                     * past where it last told (a pass over a borrowed text) */
    void *release_arg;
    const char *told;               /* where release was last told of, or the start */
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

/* Where nothing behind the cursor is read again in this pass: tells c->release so once the cursor is
 * ENG_GENESIS_RELEASE_STEP bytes past where it last told. */
static void pass_behind(cursor *c)
{
    if (c->release && (size_t)(c->p - c->told) >= ENG_GENESIS_RELEASE_STEP)
        c->release(c->release_arg, c->told = c->p);
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
        pass_behind(c);
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
                              size_t len, eng_genesis_release_fn release, void *release_arg)
{
    cursor c = { json, json + len, release, release_arg, json };
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

/* One entry {"address", "balance"} into address and balance (initialised). i is its index, for errors. */
static int scan_entry(uint8_t address[20], mpz_t balance, char *err, size_t errlen, cursor *c, size_t i)
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
                if (ledger_addr_parse(address, text) != ST_OK)
                    return fail(err, errlen, "genesis: accounts[%zu].address must be a 0x-prefixed 20-byte address", i);
                has_address = true;
            } else {
                if (!is_string || ledger_amount_parse(balance, value, value_len) != ST_OK)
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

/* eng_genesis_read_accounts, telling release(release_arg, p) (NULL: none) each time the walk has
 * passed another ENG_GENESIS_RELEASE_STEP bytes, between two entries: it reads nothing before p again. */
static int read_accounts(size_t *n, char *err, size_t errlen, const char *start, const char *end,
                         eng_genesis_account_fn each, void *arg, eng_genesis_release_fn release, void *release_arg)
{
    cursor c = { start, end, release, release_arg, start };
    uint8_t address[20];
    mpz_t balance;
    *n = 0;
    if (!take(&c, '['))
        return fail(err, errlen, "genesis: %s must be an array", "accounts");
    if (take(&c, ']'))
        return ST_OK;
    mpz_init(balance);
    int rc;
    do {
        if ((rc = scan_entry(address, balance, err, errlen, &c, *n)) != ST_OK
            || (rc = each(arg, address, balance, *n)) != ST_OK)
            goto out;
        ++*n;
        pass_behind(&c);
    } while (take(&c, ','));
    if (!take(&c, ']'))
        rc = fail(err, errlen, "genesis: accounts is not a well-formed array after entry %zu", *n - 1);
out:
    mpz_clear(balance);
    return rc;
}

int eng_genesis_read_accounts(size_t *n, char *err, size_t errlen, const char *start, const char *end,
                              eng_genesis_account_fn each, void *arg)
{
    return read_accounts(n, err, errlen, start, end, each, arg, NULL, NULL);
}

/* The canonical text as it is written: where its bytes go, and while a document is checked the
 * addresses seen and the supply so far. */
typedef struct canonical_writer {
    ledger_keccak *hash;            /* NULL, or given every byte */
    eng_genesis_sink put;           /* NULL, or given every byte */
    void *put_arg;
    eng_genesis_account_fn each;    /* NULL, or called for each account once its entry is written */
    void *each_arg;
    bool check;                     /* note the addresses and the supply */
    uint8_t (*addresses)[20];       /* one per account written, for the duplicate check */
    size_t n_addresses, cap_addresses;
    mpz_t supply;                   /* treasury plus the balances so far */
    bool supply_overflows;          /* the supply reached 2^256 */
} canonical_writer;

/* Hands n bytes on. Returns: ST_OK, or what the sink returned. */
static int emit(canonical_writer *w, const char *bytes, size_t n)
{
    if (w->hash)
        ledger_keccak_update(w->hash, bytes, n);
    return w->put ? w->put(w->put_arg, bytes, n) : ST_OK;
}

/* eng_genesis_account_fn: writes one entry as cJSON_PrintUnformatted would, notes its address and
 * balance when checking, and hands the account to w->each. */
static int write_entry(void *arg, const uint8_t address[20], const mpz_t balance, size_t index)
{
    canonical_writer *w = arg;
    char entry[LEDGER_ADDR_STRLEN + LEDGER_AMOUNT_STRLEN + 32], addr[LEDGER_ADDR_STRLEN], amount[LEDGER_AMOUNT_STRLEN];
    ledger_addr_format(addr, address);
    ledger_amount_format(amount, balance);
    int n = snprintf(entry, sizeof entry, "%s{\"address\":\"%s\",\"balance\":\"%s\"}", index ? "," : "", addr, amount);
    if (n <= 0 || (size_t)n >= sizeof entry)
        return ST_NOMEM;
    int rc = emit(w, entry, (size_t)n);
    if (rc != ST_OK)
        return rc;
    if (w->check) {
        if (w->n_addresses == w->cap_addresses) {
            size_t grown = w->cap_addresses ? w->cap_addresses * 2 : 1024;
            uint8_t (*more)[20] = realloc(w->addresses, grown * sizeof *more);
            if (!more)
                return ST_NOMEM;
            w->addresses = more;
            w->cap_addresses = grown;
        }
        memcpy(w->addresses[w->n_addresses++], address, 20);
        w->supply_overflows = w->supply_overflows || ledger_amount_add(w->supply, w->supply, balance) != ST_OK;
    }
    return w->each ? w->each(w->each_arg, address, balance, index) : ST_OK;
}

static int compare_addresses(const void *x, const void *y)
{
    return memcmp(x, y, 20);
}

/* Sorts the addresses so a repeated one is found in O(n log n). */
static int find_duplicate(canonical_writer *w, char *err, size_t errlen)
{
    if (w->n_addresses < 2)
        return ST_OK;   /* also keeps a NULL array (no accounts) away from qsort */
    qsort(w->addresses, w->n_addresses, sizeof *w->addresses, compare_addresses);
    for (size_t i = 1; i < w->n_addresses; i++)
        if (memcmp(w->addresses[i - 1], w->addresses[i], 20) == 0) {
            char text[LEDGER_ADDR_STRLEN];
            ledger_addr_format(text, w->addresses[i]);
            return fail(err, errlen, "genesis: address %s is listed twice", text);
        }
    return ST_OK;
}

/* Writes g's canonical text through w: g->params (which begins with ENG_GENESIS_CANONICAL_HEAD "],")
 * with the accounts of the array text [start, end) written into its empty array (start NULL: none).
 * When w->check, then also refuses an address listed twice and a supply reaching 2^256.
 * Returns: ST_OK; ST_INVALID with err; ST_NOMEM; else what w's sink or w->each returned.
 * Out: *n, the accounts written. */
static int write_canonical(size_t *n, char *err, size_t errlen, const eng_genesis *g, const char *start,
                           const char *end, canonical_writer *w)
{
    static const char canonical_head[] = ENG_GENESIS_CANONICAL_HEAD;
    size_t canonical_head_len = sizeof canonical_head - 1, params_len = strlen(g->params);
    assert(params_len >= canonical_head_len && memcmp(g->params, canonical_head, canonical_head_len) == 0);
    *n = 0;
    int rc = emit(w, canonical_head, canonical_head_len);
    if (rc == ST_OK && start)
        rc = read_accounts(n, err, errlen, start, end, write_entry, w, g->release, g->release_arg);
    if (rc == ST_OK && w->check && (rc = find_duplicate(w, err, errlen)) == ST_OK && w->supply_overflows)
        rc = fail(err, errlen, "genesis: %s", "the total supply reaches 2^256");
    if (rc == ST_OK)
        rc = emit(w, g->params + canonical_head_len, params_len - canonical_head_len);
    return rc;
}

/* Block 0's body as it is written (eng_genesis_check_accounts keeping the text). */
typedef struct body_text {
    char *text;
    size_t used, cap;               /* bytes of text written, allocated */
} body_text;

/* eng_genesis_sink: appends n bytes to the text (NUL-terminated after them). Returns: ST_OK, ST_NOMEM. */
static int put_text(void *arg, const char *bytes, size_t n)
{
    body_text *b = arg;
    if (b->used + n + 1 > b->cap) {
        size_t grown = (b->cap + n + 1) * 2;
        char *more = realloc(b->text, grown);
        if (!more)
            return ST_NOMEM;
        b->text = more;
        b->cap = grown;
    }
    memcpy(b->text + b->used, bytes, n);
    b->used += n;
    b->text[b->used] = '\0';
    return ST_OK;
}

int eng_genesis_check_accounts(eng_genesis *g, char *err, size_t errlen, const char *start, const char *end,
                               bool keep_text)
{
    static const char head[] = ENG_GENESIS_BODY_HEAD, empty[] = "[]";
    size_t head_len = sizeof head - 1;
    /* a canonical entry is never longer than the entry it is read from: one allocation */
    body_text b = { .cap = head_len + strlen(g->params) + (start ? (size_t)(end - start) : 0) + 2 };
    ledger_keccak hash;
    canonical_writer w = { .hash = &hash, .put = keep_text ? put_text : NULL, .put_arg = &b, .check = true };
    int rc = ST_NOMEM;
    g->body = NULL;
    g->canonical = NULL;
    g->accounts = g->accounts_end = NULL;
    g->canonical_len = g->n_accounts = 0;
    mpz_init_set(w.supply, g->treasury);
    ledger_keccak_init(&hash);
    if (keep_text && (!(b.text = malloc(b.cap)) || put_text(&b, head, head_len) != ST_OK))
        goto out;
    if ((rc = write_canonical(&g->n_accounts, err, errlen, g, start, end, &w)) != ST_OK)
        goto out;
    if (keep_text && (rc = put_text(&b, "}", 1)) != ST_OK)
        goto out;
    ledger_keccak_final(&hash, g->hash);
    if (keep_text) {
        /* the canonical text is {"accounts":[ then the entries, then the params from their "]," on */
        static const char canonical_head[] = ENG_GENESIS_CANONICAL_HEAD;
        size_t tail_len = strlen(g->params) - (sizeof canonical_head - 1);
        g->body = b.text;
        g->canonical = b.text + head_len;
        g->canonical_len = b.used - head_len - 1;
        g->accounts = g->canonical + sizeof canonical_head - 2;
        g->accounts_end = g->canonical + g->canonical_len - tail_len + 1;
        b.text = NULL;
    } else {
        g->accounts = start ? start : empty;
        g->accounts_end = start ? end : empty + 2;
    }
    rc = ST_OK;
out:
    if (rc != ST_OK)
        g->n_accounts = 0;
    free(b.text);
    free(w.addresses);
    mpz_clear(w.supply);
    return rc;
}

int eng_genesis_write(const eng_genesis *g, ledger_keccak *hash, eng_genesis_sink put, void *put_arg,
                      eng_genesis_account_fn each, void *each_arg)
{
    char err[160];
    size_t n;
    if (!g->accounts)
        return ST_INVALID;
    canonical_writer w = { .hash = hash, .put = put, .put_arg = put_arg, .each = each, .each_arg = each_arg };
    return write_canonical(&n, err, sizeof err, g, g->accounts, g->accounts_end, &w);
}

int eng_genesis_each_account(const eng_genesis *g, eng_genesis_account_fn each, void *arg)
{
    return eng_genesis_write(g, NULL, NULL, NULL, each, arg);
}
