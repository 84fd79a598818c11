/* SPDX-License-Identifier: MIT */
/* tx.c: the JSON form of signed transactions (see tx.h). Parsing is strict at this trust boundary:
 * exactly the members the type declares, each value in its one canonical text form, so two
 * different JSON documents never yield the same transaction by accident of leniency. Every failure
 * leaves a one-line reason naming the offending member and a cleared tx. The domain separator for
 * the last chain id used is cached under a mutex, since a node serves one chain. */
#include "ledger/tx.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ledger/amount.h"
#include "ledger/hash.h"
#include "ledger/hex.h"
#include "ledger/sig.h"

#define SIG_HEX_LEN (2 + 2 * 65)
#define MAX_JSON_INT 9007199254740992.0   /* 2^53: JSON numbers stay exact below it */
#define MAX_SHOWN 64                      /* longest client-supplied name echoed in errors */

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...) PRINTF_LIKE(4, 5);

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return rc;
}

/* A client-supplied name, if it is short printable ASCII that keeps the error one line. */
static const char *shown(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (n >= MAX_SHOWN || s[n] < 0x20 || s[n] > 0x7e || s[n] == '"' || s[n] == '\\')
            return "?";
    return s;
}

static void domain_separator(uint8_t out[32], uint64_t chain_id)
{
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    static bool cached;
    static uint64_t cached_chain;
    static uint8_t cached_sep[32];

    pthread_mutex_lock(&lock);
    if (!cached || cached_chain != chain_id) {
        ledger_eip712_domain_separator(cached_sep, "Conclave", "1", chain_id);
        cached_chain = chain_id;
        cached = true;
    }
    memcpy(out, cached_sep, 32);
    pthread_mutex_unlock(&lock);
}

/* Why a text value of member m failed to parse with status rc. */
static int value_error(char *err, size_t errlen, int rc, const ledger_eip712_member *m)
{
    unsigned size;
    const char *name = m->name;
    if (rc == ST_NOMEM)
        return fail(err, errlen, rc, "message.%s: out of memory", name);
    switch (ledger_eip712_type_kind(m->type, &size)) {
    case LEDGER_EIP712_UINT:
        if (rc == ST_OVERFLOW)
            return fail(err, errlen, rc, "message.%s: out of range for %s", name, m->type);
        return fail(err, errlen, rc, "message.%s: not a canonical decimal %s", name,
                    size == 256 ? "amount" : "integer");
    case LEDGER_EIP712_ADDRESS:
        return fail(err, errlen, rc, "message.%s: not an address (0x and 40 hex digits)", name);
    case LEDGER_EIP712_BOOL:
        return fail(err, errlen, rc, "message.%s: not \"true\" or \"false\"", name);
    case LEDGER_EIP712_FIXED_BYTES:
        return fail(err, errlen, rc, "message.%s: not 0x and %u hex digits", name, 2 * size);
    case LEDGER_EIP712_STRING:
        return fail(err, errlen, rc, "message.%s: not valid UTF-8 without NUL", name);
    case LEDGER_EIP712_BYTES:
        return fail(err, errlen, rc, "message.%s: not 0x and an even number of hex digits", name);
    case LEDGER_EIP712_UNKNOWN:
        break;
    }
    return fail(err, errlen, rc, "message.%s: unsupported type %s", name, m->type);
}

/* Parses one member value: a string in the canonical text form, or for uints of at most 64 bits
 * also a JSON number that is an exact integer in [0, 2^53). A string, the usual form, goes straight
 * to the value's parser, which classifies the member's type itself. */
static int parse_member(ledger_eip712_value *v, char *err, size_t errlen, const ledger_eip712_member *m,
                        const cJSON *item)
{
    unsigned bits;
    bool small_uint;
    int rc;

    if (cJSON_IsString(item)) {
        /* cJSON keeps no length: a JSON string with \u0000 inside arrives here cut at it, and only the
         * JSON text shows the rest, so that text must be refused where it is parsed (rpc/). Given its
         * whole length, value_parse refuses a NUL in a value of any kind. */
        rc = ledger_eip712_value_parse(v, m->type, item->valuestring, strlen(item->valuestring));
        if (rc != ST_OK)
            return value_error(err, errlen, rc, m);
        return ST_OK;
    }
    small_uint = ledger_eip712_type_kind(m->type, &bits) == LEDGER_EIP712_UINT && bits <= 64;
    if (!small_uint || !cJSON_IsNumber(item))
        return fail(err, errlen, ST_INVALID, "message.%s: not a %s", m->name,
                    small_uint ? "decimal string or integer" : "string");
    double d = item->valuedouble;
    if (!(d >= 0 && d < MAX_JSON_INT && (double)(uint64_t)d == d))
        return fail(err, errlen, ST_INVALID, "message.%s: not an exact integer in [0, 2^53)", m->name);
    rc = ledger_eip712_value_set_u64(v, m->type, (uint64_t)d);
    if (rc != ST_OK)
        return value_error(err, errlen, rc, m);
    return ST_OK;
}

/* Fills tx->v from the message object of type tx->type: every member once, nothing else. */
static int parse_message(ledger_tx *tx, char *err, size_t errlen, const cJSON *msg)
{
    const ledger_eip712_type *t = tx->type;
    bool seen[LEDGER_EIP712_MAX_MEMBERS] = { false };
    const cJSON *item;
    int rc;

    if (!cJSON_IsObject(msg))
        return fail(err, errlen, ST_INVALID, "message: not an object");
    cJSON_ArrayForEach(item, msg) {
        int i = ledger_eip712_member_index(t, item->string);
        if (i < 0)
            return fail(err, errlen, ST_INVALID, "message.%s: unexpected member for %s", shown(item->string),
                        t->name);
        if (seen[i])
            return fail(err, errlen, ST_INVALID, "message.%s: duplicate member", t->members[i].name);
        seen[i] = true;
        rc = parse_member(&tx->v[i], err, errlen, &t->members[i], item);
        if (rc != ST_OK)
            return rc;
    }
    for (unsigned i = 0; i < t->n_members; i++)
        if (!seen[i])
            return fail(err, errlen, ST_INVALID, "message.%s: missing", t->members[i].name);
    return ST_OK;
}

void ledger_tx_digest(uint8_t out[32], const ledger_eip712_type *type, const ledger_eip712_value *values,
                      uint64_t chain_id)
{
    uint8_t domain[32], sh[32];
    const uint8_t *type_hash = ledger_tx_type_hash(type);
    if (type_hash)
        ledger_eip712_struct_hash_with(sh, type_hash, type, values);
    else
        ledger_eip712_struct_hash(sh, type, values);
    domain_separator(domain, chain_id);
    ledger_eip712_digest(out, domain, sh);
}

static void compute_digest(ledger_tx *tx, uint64_t chain_id)
{
    ledger_tx_digest(tx->digest, tx->type, tx->v, chain_id);
}

/* With digest and sig set: recovers the signer and derives the id. v = 0/1 is the same signature
 * as v = 27/28 (and s is low), so v is rewritten as 27/28 first: one signed intent has one id,
 * whichever way a wallet wrote v, and a third party cannot file it under another. */
static int seal(ledger_tx *tx, char *err, size_t errlen)
{
    uint8_t buf[32 + 65];
    const char *defect = ledger_sig_defect(tx->sig);
    if (defect)
        return fail(err, errlen, ST_CRYPTO, "signature: %s", defect);
    if (tx->sig[64] < 27)
        tx->sig[64] += 27;
    if (ledger_sig_recover(tx->signer, tx->digest, tx->sig) != ST_OK)
        return fail(err, errlen, ST_CRYPTO, "signature: no public key recovers from it");
    ledger_addr_format(tx->signer_text, tx->signer);
    memcpy(buf, tx->digest, 32);
    memcpy(buf + 32, tx->sig, 65);
    ledger_keccak256(tx->hash, buf, sizeof buf);
    return ST_OK;
}

static int find_type(ledger_tx *tx, char *err, size_t errlen, const char *name)
{
    tx->type = ledger_tx_type_find(name);
    if (!tx->type)
        return fail(err, errlen, ST_DISABLED, "type: unknown transaction type \"%s\"", shown(name));
    return ST_OK;
}

/* The body of ledger_tx_parse; the caller clears tx on failure. */
static int parse_tx(ledger_tx *tx, char *err, size_t errlen, const cJSON *json, uint64_t chain_id)
{
    const cJSON *type = NULL, *msg = NULL, *sig = NULL, *item;
    size_t n;
    int rc;

    if (!cJSON_IsObject(json))
        return fail(err, errlen, ST_INVALID, "transaction: not a JSON object");
    cJSON_ArrayForEach(item, json) {
        const cJSON **slot = strcmp(item->string, "type") == 0 ? &type
                           : strcmp(item->string, "message") == 0 ? &msg
                           : strcmp(item->string, "signature") == 0 ? &sig : NULL;
        if (!slot)
            return fail(err, errlen, ST_INVALID, "%s: unexpected member", shown(item->string));
        if (*slot)
            return fail(err, errlen, ST_INVALID, "%s: duplicate member", item->string);
        *slot = item;
    }
    if (!type || !msg || !sig)
        return fail(err, errlen, ST_INVALID, "%s: missing", !type ? "type" : !msg ? "message" : "signature");
    if (!cJSON_IsString(type))
        return fail(err, errlen, ST_INVALID, "type: not a string");
    rc = find_type(tx, err, errlen, type->valuestring);
    if (rc == ST_OK)
        rc = parse_message(tx, err, errlen, msg);
    if (rc != ST_OK)
        return rc;
    if (!cJSON_IsString(sig) || strlen(sig->valuestring) != SIG_HEX_LEN
        || ledger_hex_decode(tx->sig, sizeof tx->sig, &n, sig->valuestring, SIG_HEX_LEN) != ST_OK)
        return fail(err, errlen, ST_CRYPTO, "signature: not 0x and 130 hex digits");
    compute_digest(tx, chain_id);
    return seal(tx, err, errlen);
}

int ledger_tx_parse(ledger_tx *tx, char *err, size_t errlen, const cJSON *json, uint64_t chain_id)
{
    int rc;
    ARG_CHECK(errlen > 0);
    memset(tx, 0, sizeof *tx);
    err[0] = '\0';
    rc = parse_tx(tx, err, errlen, json, chain_id);
    if (rc != ST_OK)
        ledger_tx_clear(tx);
    return rc;
}

int ledger_tx_build_signed(ledger_tx *tx, char *err, size_t errlen, const char *type_name,
                           const cJSON *message, const uint8_t key[32], uint64_t chain_id)
{
    int rc;
    ARG_CHECK(errlen > 0);
    memset(tx, 0, sizeof *tx);
    err[0] = '\0';
    rc = find_type(tx, err, errlen, type_name);
    if (rc == ST_OK)
        rc = parse_message(tx, err, errlen, message);
    if (rc == ST_OK) {
        compute_digest(tx, chain_id);
        if (ledger_sig_sign(tx->sig, tx->digest, key) != ST_OK)
            rc = fail(err, errlen, ST_CRYPTO, "key: not a valid secret key");
    }
    if (rc == ST_OK)
        rc = seal(tx, err, errlen);
    if (rc != ST_OK)
        ledger_tx_clear(tx);
    return rc;
}

cJSON *ledger_tx_message_to_json(const ledger_tx *tx)
{
    const ledger_eip712_type *t = tx->type;
    cJSON *m = cJSON_CreateObject();
    if (!m)
        return NULL;
    for (unsigned i = 0; i < t->n_members; i++) {
        char *s = ledger_eip712_value_format(&tx->v[i], t->members[i].type);
        cJSON *added = s ? cJSON_AddStringToObject(m, t->members[i].name, s) : NULL;
        free(s);
        if (!added) {
            cJSON_Delete(m);
            return NULL;
        }
    }
    return m;
}

cJSON *ledger_tx_to_json(const ledger_tx *tx)
{
    char sig[SIG_HEX_LEN + 1];
    cJSON *o = cJSON_CreateObject(), *m = NULL;

    if (!o)
        return NULL;
    if (!cJSON_AddStringToObject(o, "type", tx->type->name))
        goto fail;
    m = ledger_tx_message_to_json(tx);
    if (!m || !cJSON_AddItemToObject(o, "message", m))
        goto fail;
    m = NULL;    /* owned by o now */
    ledger_hex_encode(sig, tx->sig, sizeof tx->sig);
    if (!cJSON_AddStringToObject(o, "signature", sig))
        goto fail;
    return o;
fail:
    cJSON_Delete(m);
    cJSON_Delete(o);
    return NULL;
}

/* A growing text: first in the caller's buffer (a transaction's text is a few hundred bytes, so
 * most never touch the heap until the one copy that is returned), then libc's allocator; nomem
 * once a growth failed. */
struct text {
    char *p;
    size_t len, cap;
    bool on_heap, nomem;
};

/* Moves t to a heap buffer of at least need bytes. */
static void grow(struct text *t, size_t need)
{
    size_t cap = t->cap;
    while (cap < need)
        cap *= 2;
    char *p = t->on_heap ? realloc(t->p, cap) : malloc(cap);
    if (!p) {
        t->nomem = true;
        return;
    }
    if (!t->on_heap)
        memcpy(p, t->p, t->len);
    t->p = p;
    t->cap = cap;
    t->on_heap = true;
}

static void put_n(struct text *t, const char *s, size_t n)
{
    if (!t->nomem && t->len + n > t->cap)
        grow(t, t->len + n);
    if (t->nomem)
        return;
    memcpy(t->p + t->len, s, n);
    t->len += n;
}

static void put_s(struct text *t, const char *s)
{
    put_n(t, s, strlen(s));
}

/* Appends member value v of type `type` as ledger_tx_to_json's string prints (quoted). */
static void put_value(struct text *t, const ledger_eip712_value *v, const char *type)
{
    static const uint8_t zero[24];
    unsigned size;
    char small[2 * 32 + 4], *text = NULL; /* a quote, then the longest hex: bytes32 */
    switch (ledger_eip712_type_kind(type, &size)) {
    case LEDGER_EIP712_UINT:
        if (memcmp(v->word, zero, sizeof zero) == 0) {
            /* below 2^64 (a nonce, most amounts): the digits without GMP */
            uint64_t u = 0;
            for (unsigned i = 24; i < 32; i++)
                u = u << 8 | v->word[i];
            char *p = small + sizeof small;
            *--p = '"';
            do
                *--p = (char)('0' + u % 10);
            while ((u /= 10) > 0);
            *--p = '"';
            put_n(t, p, (size_t)(small + sizeof small - p));
            return;
        }
        break;
    case LEDGER_EIP712_ADDRESS:
        small[0] = '"';
        ledger_addr_format(small + 1, v->word + 12);
        put_s(t, small);
        put_n(t, "\"", 1);
        return;
    case LEDGER_EIP712_FIXED_BYTES:
        small[0] = '"';
        ledger_hex_encode(small + 1, v->word, size);
        put_s(t, small);
        put_n(t, "\"", 1);
        return;
    case LEDGER_EIP712_STRING: {
        /* escaped as cJSON escapes it: the text must be what cJSON would print */
        char *copy = strndup((const char *)v->data, v->len);
        cJSON *item = copy ? cJSON_CreateString(copy) : NULL;
        char *printed = item ? cJSON_PrintUnformatted(item) : NULL;
        if (printed)
            put_s(t, printed);
        else
            t->nomem = true;
        cJSON_free(printed);
        cJSON_Delete(item);
        free(copy);
        return;
    }
    case LEDGER_EIP712_BOOL:
    case LEDGER_EIP712_BYTES:
    case LEDGER_EIP712_UNKNOWN:
        break;
    }
    if (!(text = ledger_eip712_value_format(v, type))) {
        t->nomem = true;
        return;
    }
    put_n(t, "\"", 1);
    put_s(t, text);
    put_n(t, "\"", 1);
    free(text);
}

char *ledger_tx_serialize(const ledger_tx *tx)
{
    const ledger_eip712_type *ty = tx->type;
    char sig[SIG_HEX_LEN + 1], first[512];
    struct text t = { .p = first, .cap = sizeof first };
    put_s(&t, "{\"type\":\"");
    put_s(&t, ty->name);
    put_s(&t, "\",\"message\":{");
    for (unsigned i = 0; i < ty->n_members; i++) {
        put_s(&t, i ? ",\"" : "\"");
        put_s(&t, ty->members[i].name);
        put_s(&t, "\":");
        put_value(&t, &tx->v[i], ty->members[i].type);
    }
    ledger_hex_encode(sig, tx->sig, sizeof tx->sig);
    put_s(&t, "},\"signature\":\"");
    put_s(&t, sig);
    put_s(&t, "\"}");
    char *out = t.nomem ? NULL : cJSON_malloc(t.len + 1);
    if (out) {
        memcpy(out, t.p, t.len);
        out[t.len] = '\0';
    }
    if (t.on_heap)
        free(t.p);
    return out;
}

/* The value of member name and its kind (UNKNOWN if tx has no such member). */
static const ledger_eip712_value *member(const ledger_tx *tx, const char *name, ledger_eip712_kind *kind,
                                         unsigned *size)
{
    int i = tx->type ? ledger_eip712_member_index(tx->type, name) : -1;
    if (i < 0) {
        *kind = LEDGER_EIP712_UNKNOWN;
        return NULL;
    }
    *kind = ledger_eip712_type_kind(tx->type->members[i].type, size);
    return &tx->v[i];
}

int ledger_tx_get_u64(const ledger_tx *tx, const char *name, uint64_t *out)
{
    ledger_eip712_kind kind;
    unsigned bits;
    const ledger_eip712_value *v = member(tx, name, &kind, &bits);
    uint64_t x = 0;
    if (kind != LEDGER_EIP712_UINT || bits > 64)
        return ST_INVALID;
    for (unsigned i = 24; i < 32; i++)
        x = x << 8 | v->word[i];
    *out = x;
    return ST_OK;
}

int ledger_tx_get_amount(const ledger_tx *tx, const char *name, mpz_t out)
{
    ledger_eip712_kind kind;
    unsigned bits;
    const ledger_eip712_value *v = member(tx, name, &kind, &bits);
    if (kind != LEDGER_EIP712_UINT)
        return ST_INVALID;
    ledger_amount_from_word(out, v->word);
    return ST_OK;
}

int ledger_tx_get_address(const ledger_tx *tx, const char *name, uint8_t out[20])
{
    ledger_eip712_kind kind;
    unsigned size;
    const ledger_eip712_value *v = member(tx, name, &kind, &size);
    if (kind != LEDGER_EIP712_ADDRESS)
        return ST_INVALID;
    memcpy(out, v->word + 12, 20);
    return ST_OK;
}

int ledger_tx_get_bytes32(const ledger_tx *tx, const char *name, uint8_t out[32])
{
    ledger_eip712_kind kind;
    unsigned size;
    const ledger_eip712_value *v = member(tx, name, &kind, &size);
    if (kind != LEDGER_EIP712_FIXED_BYTES || size != 32)
        return ST_INVALID;
    memcpy(out, v->word, 32);
    return ST_OK;
}

int ledger_tx_get_bytes(const ledger_tx *tx, const char *name, const uint8_t **data, size_t *len)
{
    ledger_eip712_kind kind;
    unsigned size;
    const ledger_eip712_value *v = member(tx, name, &kind, &size);
    if (kind != LEDGER_EIP712_STRING && kind != LEDGER_EIP712_BYTES)
        return ST_INVALID;
    *data = v->data;
    *len = v->len;
    return ST_OK;
}

void ledger_tx_clear(ledger_tx *tx)
{
    if (!tx)
        return;
    for (unsigned i = 0; i < LEDGER_EIP712_MAX_MEMBERS; i++)
        ledger_eip712_value_clear(&tx->v[i]);
    memset(tx, 0, sizeof *tx);
}
