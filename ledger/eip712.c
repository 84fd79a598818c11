/* SPDX-License-Identifier: MIT */
/* eip712.c: a table-driven EIP-712 encoder (see eip712.h). A type is a name and a member list;
 * encodeType, typeHash, encodeData and hashStruct are all derived from it, so adding a signed type
 * never adds hashing code. Only atomic and dynamic (string, bytes) members exist: no arrays or
 * nested structs. Values are validated when parsed, so encoding cannot fail. */
#include "ledger/eip712.h"

#include <assert.h>
#include <gmp.h>
#include <stdlib.h>
#include <string.h>
#include "ledger/amount.h"
#include "ledger/hash.h"
#include "ledger/hex.h"

/* The domain type of Conclave's transactions. */
static const ledger_eip712_type domain_type = {
    "EIP712Domain", { { "name", "string" }, { "version", "string" }, { "chainId", "uint256" } }, 3
};

/* Parses the decimal width after a type prefix ("64" of "uint64"): canonical, in [lo, hi]. */
static bool parse_width(const char *s, unsigned lo, unsigned hi, unsigned *out)
{
    unsigned w = 0;
    if (*s == '\0' || *s == '0')
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || w > hi)
            return false;
        w = w * 10 + (unsigned)(*s - '0');
    }
    if (w < lo || w > hi)
        return false;
    *out = w;
    return true;
}

ledger_eip712_kind ledger_eip712_type_kind(const char *type, unsigned *size)
{
    unsigned w = 0;
    ledger_eip712_kind k = LEDGER_EIP712_UNKNOWN;
    if (strncmp(type, "uint", 4) == 0) {
        if (parse_width(type + 4, 8, 256, &w) && w % 8 == 0)
            k = LEDGER_EIP712_UINT;
    } else if (strcmp(type, "bytes") == 0) {
        k = LEDGER_EIP712_BYTES;
    } else if (strncmp(type, "bytes", 5) == 0) {
        if (parse_width(type + 5, 1, 32, &w))
            k = LEDGER_EIP712_FIXED_BYTES;
    } else if (strcmp(type, "address") == 0) {
        k = LEDGER_EIP712_ADDRESS;
    } else if (strcmp(type, "bool") == 0) {
        k = LEDGER_EIP712_BOOL;
    } else if (strcmp(type, "string") == 0) {
        k = LEDGER_EIP712_STRING;
    }
    if (size)
        *size = k == LEDGER_EIP712_UNKNOWN ? 0 : w;
    return k;
}

/* Returns: true if s[0..len) is well-formed UTF-8 (RFC 3629: shortest form, no surrogates,
 * at most U+10FFFF) without NUL bytes, which C strings downstream could not carry. */
static bool valid_utf8(const uint8_t *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint8_t c = s[i];
        size_t n;
        uint32_t cp, min;
        if (c == 0)
            return false;
        if (c < 0x80) {
            i++;
            continue;
        }
        if ((c & 0xe0) == 0xc0) {
            n = 1; cp = c & 0x1f; min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
            n = 2; cp = c & 0x0f; min = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
            n = 3; cp = c & 0x07; min = 0x10000;
        } else {
            return false;
        }
        if (len - i <= n)
            return false;
        for (size_t j = 1; j <= n; j++) {
            if ((s[i + j] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + j] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += n + 1;
    }
    return true;
}

/* Writes x as a big-endian 32-byte word. */
static void word_from_u64(uint8_t word[32], uint64_t x)
{
    memset(word, 0, 24);
    for (unsigned i = 0; i < 8; i++)
        word[31 - i] = (uint8_t)(x >> (8 * i));
}

/* Parses a canonical decimal of at most 19 digits (below 10^19 < 2^64) without GMP.
 * Returns: true with *x its value; false if text is not such a decimal. */
static bool parse_short_decimal(uint64_t *x, const char *text, size_t len)
{
    uint64_t v = 0;
    if (len == 0 || len > 19 || (len > 1 && text[0] == '0'))
        return false;
    for (size_t i = 0; i < len; i++) {
        if (text[i] < '0' || text[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(text[i] - '0');
    }
    *x = v;
    return true;
}

/* Parses a canonical decimal below 2^bits into a big-endian word. Nonces, ids and most amounts are
 * short: those skip GMP's string parse and its allocations; the rest, and every malformed text,
 * take ledger_amount_parse, so the outcome is the same either way. */
static int parse_uint(uint8_t word[32], unsigned bits, const char *text, size_t len)
{
    mpz_t x;
    uint64_t small;
    int rc;
    if (parse_short_decimal(&small, text, len)) {
        if (bits < 64 && small >> bits != 0)
            return ST_OVERFLOW;
        word_from_u64(word, small);
        return ST_OK;
    }
    mpz_init(x);
    rc = ledger_amount_parse(x, text, len);
    if (rc == ST_OK && mpz_sizeinbase(x, 2) > bits)
        rc = ST_OVERFLOW;
    if (rc == ST_OK)
        ledger_amount_to_word(word, x);
    mpz_clear(x);
    return rc;
}

/* Copies len bytes into a fresh NUL-terminated buffer owned by v. */
static int take_copy(ledger_eip712_value *v, const void *data, size_t len)
{
    v->data = malloc(len + 1);
    if (!v->data)
        return ST_NOMEM;
    memcpy(v->data, data, len);
    v->data[len] = 0;
    v->len = len;
    return ST_OK;
}

int ledger_eip712_value_parse(ledger_eip712_value *v, const char *type, const char *text, size_t len)
{
    unsigned size;
    size_t n;
    int rc;
    uint8_t *buf;

    ARG_CHECK(v->data == NULL);
    switch (ledger_eip712_type_kind(type, &size)) {
    case LEDGER_EIP712_UINT:
        return parse_uint(v->word, size, text, len);
    case LEDGER_EIP712_ADDRESS:
        if (len != 42)
            return ST_INVALID;
        memset(v->word, 0, 12);
        return ledger_hex_decode(v->word + 12, 20, &n, text, len);
    case LEDGER_EIP712_BOOL:
        memset(v->word, 0, 32);
        if (len == 4 && memcmp(text, "true", 4) == 0)
            v->word[31] = 1;
        else if (!(len == 5 && memcmp(text, "false", 5) == 0))
            return ST_INVALID;
        return ST_OK;
    case LEDGER_EIP712_FIXED_BYTES:
        if (len != 2 + 2 * (size_t)size)
            return ST_INVALID;
        memset(v->word, 0, 32);
        return ledger_hex_decode(v->word, size, &n, text, len);
    case LEDGER_EIP712_STRING:
        if (!valid_utf8((const uint8_t *)text, len))
            return ST_INVALID;
        memset(v->word, 0, 32);
        return take_copy(v, text, len);
    case LEDGER_EIP712_BYTES:
        if (len < 2 || len % 2 != 0)
            return ST_INVALID;
        buf = malloc(len / 2);
        if (!buf)
            return ST_NOMEM;
        rc = ledger_hex_decode(buf, len / 2, &n, text, len);
        if (rc == ST_OK)
            rc = take_copy(v, buf, n);
        free(buf);
        if (rc == ST_OK)
            memset(v->word, 0, 32);
        return rc;
    case LEDGER_EIP712_UNKNOWN:
        break;
    }
    return ST_INVALID;
}

int ledger_eip712_value_set_u64(ledger_eip712_value *v, const char *type, uint64_t x)
{
    unsigned bits;
    ARG_CHECK(v->data == NULL);
    if (ledger_eip712_type_kind(type, &bits) != LEDGER_EIP712_UINT)
        return ST_INVALID;
    if (bits < 64 && x >> bits != 0)
        return ST_OVERFLOW;
    word_from_u64(v->word, x);
    return ST_OK;
}

void ledger_eip712_value_clear(ledger_eip712_value *v)
{
    if (!v)
        return;
    free(v->data);
    memset(v, 0, sizeof *v);
}

/* A malloc'd 0x-hex string of len bytes. */
static char *hex_dup(const uint8_t *data, size_t len)
{
    char *s = malloc(2 * len + 3);
    if (s)
        ledger_hex_encode(s, data, len);
    return s;
}

char *ledger_eip712_value_format(const ledger_eip712_value *v, const char *type)
{
    char buf[LEDGER_AMOUNT_STRLEN];
    unsigned size;
    mpz_t x;

    switch (ledger_eip712_type_kind(type, &size)) {
    case LEDGER_EIP712_UINT:
        mpz_init(x);
        ledger_amount_from_word(x, v->word);
        ledger_amount_format(buf, x);
        mpz_clear(x);
        return strdup(buf);
    case LEDGER_EIP712_ADDRESS:
        ledger_addr_format(buf, v->word + 12);
        return strdup(buf);
    case LEDGER_EIP712_BOOL:
        return strdup(v->word[31] ? "true" : "false");
    case LEDGER_EIP712_FIXED_BYTES:
        return hex_dup(v->word, size);
    case LEDGER_EIP712_STRING:
        return strndup((const char *)v->data, v->len);
    case LEDGER_EIP712_BYTES:
        return hex_dup(v->data, v->len);
    case LEDGER_EIP712_UNKNOWN:
        break;
    }
    assert(!"value_format: unsupported type");
    return NULL;
}

/* Output of emit_type: either a bounded buffer or a hash. */
struct type_sink {
    char *buf;          /* NULL when hashing */
    size_t cap, used;   /* bytes; used may pass cap, which means truncation */
    ledger_keccak *k;
};

static void put(struct type_sink *o, const char *s)
{
    size_t n = strlen(s);
    if (!o->buf) {
        ledger_keccak_update(o->k, s, n);
        return;
    }
    if (o->used + n < o->cap)
        memcpy(o->buf + o->used, s, n);
    o->used += n;
}

/* Writes "Name(type name,...)": the one definition of encodeType. */
static void emit_type(struct type_sink *o, const ledger_eip712_type *t)
{
    put(o, t->name);
    put(o, "(");
    for (unsigned i = 0; i < t->n_members; i++) {
        if (i > 0)
            put(o, ",");
        put(o, t->members[i].type);
        put(o, " ");
        put(o, t->members[i].name);
    }
    put(o, ")");
}

int ledger_eip712_encode_type(char *buf, size_t cap, const ledger_eip712_type *t)
{
    struct type_sink o = { buf, cap, 0, NULL };
    ARG_CHECK(cap > 0);
    emit_type(&o, t);
    if (o.used >= cap) {
        buf[0] = '\0';
        return ST_LIMIT;
    }
    buf[o.used] = '\0';
    return ST_OK;
}

void ledger_eip712_type_hash(uint8_t out[32], const ledger_eip712_type *t)
{
    ledger_keccak k;
    struct type_sink o = { NULL, 0, 0, &k };
    ledger_keccak_init(&k);
    emit_type(&o, t);
    ledger_keccak_final(&k, out);
}

/* encodeData after its first word, the typeHash, which the caller has written. */
static void encode_members(uint8_t out[32 * (LEDGER_EIP712_MAX_MEMBERS + 1)], const ledger_eip712_type *t,
                           const ledger_eip712_value *v)
{
    assert(t->n_members <= LEDGER_EIP712_MAX_MEMBERS);
    for (unsigned i = 0; i < t->n_members; i++) {
        uint8_t *w = out + 32 * (i + 1);
        switch (ledger_eip712_type_kind(t->members[i].type, NULL)) {
        case LEDGER_EIP712_STRING:
        case LEDGER_EIP712_BYTES:
            ledger_keccak256(w, v[i].data, v[i].len);
            break;
        case LEDGER_EIP712_UNKNOWN:
            assert(!"encode_data: unsupported member type");
            break;
        case LEDGER_EIP712_UINT:
        case LEDGER_EIP712_ADDRESS:
        case LEDGER_EIP712_BOOL:
        case LEDGER_EIP712_FIXED_BYTES:
            memcpy(w, v[i].word, 32);
            break;
        }
    }
}

void ledger_eip712_encode_data(uint8_t out[32 * (LEDGER_EIP712_MAX_MEMBERS + 1)], const ledger_eip712_type *t,
                               const ledger_eip712_value *v)
{
    ledger_eip712_type_hash(out, t);
    encode_members(out, t, v);
}

void ledger_eip712_struct_hash(uint8_t out[32], const ledger_eip712_type *t, const ledger_eip712_value *v)
{
    uint8_t enc[32 * (LEDGER_EIP712_MAX_MEMBERS + 1)];
    ledger_eip712_encode_data(enc, t, v);
    ledger_keccak256(out, enc, 32 * (t->n_members + 1));
}

void ledger_eip712_struct_hash_with(uint8_t out[32], const uint8_t type_hash[32], const ledger_eip712_type *t,
                                    const ledger_eip712_value *v)
{
    uint8_t enc[32 * (LEDGER_EIP712_MAX_MEMBERS + 1)];
    memcpy(enc, type_hash, 32);
    encode_members(enc, t, v);
    ledger_keccak256(out, enc, 32 * (t->n_members + 1));
}

void ledger_eip712_domain_separator(uint8_t out[32], const char *name, const char *version, uint64_t chain_id)
{
    /* encodeData of domain_type, with the string members hashed here from the caller's text. */
    uint8_t enc[32 * 4] = { 0 };
    ledger_eip712_type_hash(enc, &domain_type);
    ledger_keccak256(enc + 32, name, strlen(name));
    ledger_keccak256(enc + 64, version, strlen(version));
    for (unsigned i = 0; i < 8; i++)
        enc[127 - i] = (uint8_t)(chain_id >> (8 * i));
    ledger_keccak256(out, enc, sizeof enc);
}

void ledger_eip712_digest(uint8_t out[32], const uint8_t domain[32], const uint8_t struct_hash[32])
{
    uint8_t buf[66] = { 0x19, 0x01 };
    memcpy(buf + 2, domain, 32);
    memcpy(buf + 34, struct_hash, 32);
    ledger_keccak256(out, buf, sizeof buf);
}

int ledger_eip712_member_index(const ledger_eip712_type *t, const char *name)
{
    for (unsigned i = 0; i < t->n_members; i++)
        if (strcmp(t->members[i].name, name) == 0)
            return (int)i;
    return -1;
}
