/* SPDX-License-Identifier: MIT */
/* m_util.c: typed param readers with precise errors (pages too), and JSON writers for numbers,
 * amounts, pages, hashes, addresses and receipts, shared by the method files. */
#include "node/methods_int.h"

#include <stdlib.h>
#include <string.h>
#include "ledger/amount.h"
#include "ledger/hex.h"

eng *node_engine(struct rpc_ctx *ctx)
{
    return ctx->app;
}

bool node_given(const cJSON *params, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(params, name);
    return item && !cJSON_IsNull(item);
}

int node_param_limit(struct rpc_ctx *ctx, const cJSON *params, unsigned *limit)
{
    uint64_t v = NODE_LIMIT_DEFAULT;
    int rc = node_given(params, "limit") ? node_param_u64(ctx, params, "limit", NULL, &v) : ST_OK;
    if (rc == ST_OK && (v < 1 || v > NODE_LIMIT_MAX))
        return rpc_error(ctx, ST_INVALID, NULL, "params.limit: expected 1 to %u", NODE_LIMIT_MAX);
    *limit = (unsigned)v;
    return rc;
}

int node_param_cursor(struct rpc_ctx *ctx, const cJSON *params, uint64_t *cursor)
{
    *cursor = 0;
    return node_given(params, "cursor") ? node_param_u64(ctx, params, "cursor", NULL, cursor) : ST_OK;
}

bool node_add_item(cJSON *obj, const char *key, cJSON *item)
{
    if (item && cJSON_AddItemToObjectCS(obj, key, item))
        return true;
    cJSON_Delete(item);
    return false;
}

bool node_add_u64(cJSON *obj, const char *key, uint64_t v)
{
    return node_add_item(obj, key, cJSON_CreateNumber((double)v));
}

bool node_add_amount(cJSON *obj, const char *key, const mpz_t v)
{
    char text[LEDGER_AMOUNT_STRLEN];
    if (!ledger_amount_fits(v))
        return false;
    ledger_amount_format(text, v);
    return node_add_item(obj, key, cJSON_CreateString(text));
}

cJSON *node_append_object(cJSON *arr)
{
    cJSON *o = cJSON_CreateObject();
    if (o && !cJSON_AddItemToArray(arr, o)) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

bool node_add_next(cJSON *obj, bool more, uint64_t last)
{
    return more ? node_add_u64(obj, "next", last) : cJSON_AddNullToObject(obj, "next") != NULL;
}

bool node_add_next_address(cJSON *obj, bool more, const uint8_t last[20])
{
    return more ? node_add_address(obj, "next", last) : cJSON_AddNullToObject(obj, "next") != NULL;
}

int node_result(int rc, cJSON *out, cJSON **result)
{
    if (rc == ST_OK && !out)
        rc = ST_NOMEM;
    if (rc != ST_OK) {
        cJSON_Delete(out);
        return rc;
    }
    *result = out;
    return ST_OK;
}

int node_id_page(cJSON **result, const char *member, const uint64_t *ids, unsigned n, bool more,
                 int (*fill)(void *cookie, cJSON *obj, uint64_t id), void *cookie)
{
    cJSON *out = cJSON_CreateObject(), *arr = out ? cJSON_AddArrayToObject(out, member) : NULL;
    int rc = arr ? ST_OK : ST_NOMEM;
    for (unsigned i = 0; i < n && rc == ST_OK; i++) {
        cJSON *o = node_append_object(arr);
        rc = o ? fill(cookie, o, ids[i]) : ST_NOMEM;
    }
    if (rc == ST_OK && !node_add_next(out, more, n ? ids[n - 1] : 0))
        rc = ST_NOMEM;
    return node_result(rc, out, result);
}

int node_param_address(struct rpc_ctx *ctx, const cJSON *params, const char *name, uint8_t out[20])
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(params, name);
    if (!item)
        return rpc_error(ctx, ST_INVALID, NULL, "params.%s: required", name);
    if (!cJSON_IsString(item) || ledger_addr_parse(out, item->valuestring) != ST_OK)
        return rpc_error(ctx, ST_INVALID, NULL, "params.%s: expected a 0x-prefixed 20-byte address", name);
    return ST_OK;
}

int node_param_amount(struct rpc_ctx *ctx, const cJSON *params, const char *name, mpz_t out)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(params, name);
    if (!item)
        return rpc_error(ctx, ST_INVALID, NULL, "params.%s: required", name);
    if (!cJSON_IsString(item))
        return rpc_error(ctx, ST_INVALID, NULL, "params.%s: expected a decimal string of base units", name);
    int rc = ledger_amount_parse(out, item->valuestring, strlen(item->valuestring));
    if (rc == ST_OVERFLOW)
        return rpc_error(ctx, ST_OVERFLOW, NULL, "params.%s: amount is 2^256 or more", name);
    if (rc != ST_OK)
        return rpc_error(ctx, ST_INVALID, NULL,
                         "params.%s: not a canonical decimal amount (digits only, no sign, no leading zeros)", name);
    return ST_OK;
}

int node_row_error(struct rpc_ctx *ctx, int rc, const char *what, uint64_t id)
{
    if (rc == ST_NOTFOUND)
        return rpc_error(ctx, rc, NULL, "no %s %llu", what, (unsigned long long)id);
    if (rc != ST_OK)
        return rpc_error(ctx, rc, NULL, "cannot read %s %llu", what, (unsigned long long)id);
    return ST_OK;
}

/* Finds params.name: *item, NULL when an optional one (present given) is absent, which *present says.
 * Returns: ST_OK, or ST_INVALID when a required one is absent. */
static int find_param(struct rpc_ctx *ctx, const cJSON *params, const char *name, bool *present, const cJSON **item)
{
    *item = cJSON_GetObjectItemCaseSensitive(params, name);
    if (present)
        *present = *item != NULL;
    if (!*item && !present)
        return rpc_error(ctx, ST_INVALID, NULL, "params.%s: required", name);
    return ST_OK;
}

int node_param_u64(struct rpc_ctx *ctx, const cJSON *params, const char *name, bool *present, uint64_t *out)
{
    const cJSON *item;
    int rc = find_param(ctx, params, name, present, &item);
    if (rc != ST_OK || !item)
        return rc;
    if (cJSON_IsNumber(item) && item->valuedouble >= 0 && item->valuedouble <= 9007199254740991.0
        && item->valuedouble == (double)(uint64_t)item->valuedouble) {
        *out = (uint64_t)item->valuedouble;
        return ST_OK;
    }
    if (cJSON_IsString(item)) {
        mpz_t v;
        mpz_init(v);
        rc = ledger_amount_parse(v, item->valuestring, strlen(item->valuestring));
        bool ok = rc == ST_OK && mpz_sizeinbase(v, 2) <= 64;
        if (ok)
            *out = (uint64_t)mpz_get_ui(v);
        mpz_clear(v);
        if (ok)
            return ST_OK;
    }
    return rpc_error(ctx, ST_INVALID, NULL, "params.%s: expected a non-negative integer below 2^64", name);
}

int node_param_hash(struct rpc_ctx *ctx, const cJSON *params, const char *name, bool *present, uint8_t out[32])
{
    const cJSON *item;
    int rc = find_param(ctx, params, name, present, &item);
    if (rc != ST_OK || !item)
        return rc;
    if (!cJSON_IsString(item) || ledger_hex_decode_exact(out, 32, item->valuestring) != ST_OK)
        return rpc_error(ctx, ST_INVALID, NULL, "params.%s: expected a 0x-prefixed 32-byte hash", name);
    return ST_OK;
}

bool node_add_hex(cJSON *obj, const char *key, const uint8_t *bytes, size_t len)
{
    char small[2 * 64 + 3], *text = len <= 64 ? small : ledger_hex_encode_alloc(bytes, len);
    if (!text)
        return false;
    if (text == small)
        ledger_hex_encode(text, bytes, len);
    bool ok = node_add_item(obj, key, cJSON_CreateString(text));
    if (text != small)
        free(text);
    return ok;
}

bool node_add_address(cJSON *obj, const char *key, const uint8_t addr[20])
{
    char text[LEDGER_ADDR_STRLEN];
    ledger_addr_format(text, addr);
    return node_add_item(obj, key, cJSON_CreateString(text));
}

bool node_add_json(cJSON *obj, const char *key, const char *json_text)
{
    cJSON *value = cJSON_Parse(json_text);
    if (!value)
        return false;
    if (!cJSON_AddItemToObject(obj, key, value)) {
        cJSON_Delete(value);
        return false;
    }
    return true;
}

/* Adds key: v as rpc_printed_number makes it. Returns false on OOM. */
static bool add_printed_number(cJSON *obj, const char *key, double v)
{
    cJSON *item = rpc_printed_number(v);
    if (item && !cJSON_AddItemToObject(obj, key, item)) {
        cJSON_Delete(item);
        return false;
    }
    return item != NULL;
}

/* A receipt is only printed (tx_send's answer), so its numbers are rpc_printed_number's. */
cJSON *node_receipt_json(const eng_receipt *r)
{
    cJSON *out = cJSON_CreateObject();
    if (!out || !node_add_hex(out, "hash", r->hash, 32) || !add_printed_number(out, "block", (double)r->height)
        || !add_printed_number(out, "index", r->index)
        || !cJSON_AddStringToObject(out, "status", r->success ? "success" : "failed")
        || (r->error && !cJSON_AddStringToObject(out, "error", r->error))
        || !cJSON_AddRawToObject(out, "events", r->events ? r->events : "[]")) {
        cJSON_Delete(out);
        return NULL;
    }
    return out;
}

/* Writes n bytes at o. Returns: the end of them. */
static char *put_bytes(char *o, const char *bytes, size_t n)
{
    memcpy(o, bytes, n);
    return o + n;
}

/* Writes v's decimal digits at o. Returns: the end of them. */
static char *put_digits(char *o, uint64_t v)
{
    char digits[20], *p = digits + sizeof digits;
    do
        *--p = (char)('0' + v % 10);
    while ((v /= 10) > 0);
    return put_bytes(o, p, (size_t)(digits + sizeof digits - p));
}

/* A successful receipt's text, written in one pass into one allocation, held by a raw item: what
 * printing node_receipt_json's object gives, without its seven items, their keys and its walk. */
static cJSON *receipt_raw(const eng_receipt *r)
{
    static const char head[] = "{\"hash\":\"", block[] = "\",\"block\":", index[] = ",\"index\":",
                      tail[] = ",\"status\":\"success\",\"events\":";
    const char *events = r->events ? r->events : "[]";
    size_t n_events = strlen(events);
    char *text = cJSON_malloc(sizeof head + 66 + sizeof block + 20 + sizeof index + 20 + sizeof tail + n_events + 2);
    cJSON *item = text ? cJSON_CreateNull() : NULL;
    if (!item) {
        cJSON_free(text);
        return NULL;
    }
    char *o = text;
    o = put_bytes(o, head, sizeof head - 1);
    ledger_hex_encode(o, r->hash, 32);
    o += 66;
    o = put_bytes(o, block, sizeof block - 1);
    o = put_digits(o, r->height);
    o = put_bytes(o, index, sizeof index - 1);
    o = put_digits(o, r->index);
    o = put_bytes(o, tail, sizeof tail - 1);
    o = put_bytes(o, events, n_events);
    memcpy(o, "}", 2);
    item->type = cJSON_Raw; /* as cJSON_CreateRaw makes it, but owning text instead of a copy */
    item->valuestring = text;
    return item;
}

cJSON *node_receipt_result(const eng_receipt *r)
{
    /* a failure's message needs cJSON's escaping, and a height from 10^15 up its number format */
    if (r->success && !r->error && r->height < UINT64_C(1000000000000000))
        return receipt_raw(r);
    return node_receipt_json(r);
}

void node_finish_with_receipt(void *cookie, int status, const char *errmsg, cJSON *errdata, const eng_receipt *r)
{
    rpc_deferred *d = cookie;
    if (status != ST_OK) {
        rpc_deferred_finish(d, status, NULL, errdata, errmsg);
        return;
    }
    cJSON *result = node_receipt_result(r);
    rpc_deferred_finish(d, result ? ST_OK : ST_NOMEM, result, NULL, result ? NULL : "out of memory");
}
