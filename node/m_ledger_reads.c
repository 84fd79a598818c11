/* SPDX-License-Identifier: MIT */
/* m_ledger_reads.c: the ledger reads of dashboards: the system balances and the total supply at the
 * head or at a past height; an address's history, newest first; and an eth_getLogs-style filter over
 * the receipt events of a bounded range of blocks. Positions in the chain are written "H:I" (block
 * height, index of the transaction in it) and an event's "H:I:E" (E its index in the receipt): a
 * page's "next" is the position of its last row, and the next page starts strictly after it. */
#include "node/methods_int.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ledger/hex.h"
#include "ledger/ledger.h"
#include "ledger/reads.h"
#include "node/methods.h"

/* The widest span of blocks ledger_getEvents takes, and the transactions one call reads before it
 * stops at the end of a block: the node answers every call from one thread, so a filter that
 * matches little must not hold it for a whole span of full blocks. */
#define EVENTS_MAX_SPAN 1000u
#define EVENTS_MAX_READ 1000u

/* Adds "key": v as a decimal string with a sign when negative. */
static bool add_signed(cJSON *obj, const char *key, const mpz_t v)
{
    char *text = mpz_get_str(NULL, 10, v);
    bool ok = text && cJSON_AddStringToObject(obj, key, text) != NULL;
    free(text);
    return ok;
}

/* Out: *head the height of the newest block. */
static int head_height(ledger *l, uint64_t *head)
{
    ledger_block b;
    int rc = ledger_block_head(l, &b);
    if (rc == ST_OK)
        *head = b.height;
    return rc;
}

/* An optional height param at most the head's; absent: the head. */
static int param_height(struct rpc_ctx *ctx, const cJSON *params, const char *name, uint64_t head, uint64_t *height)
{
    bool present = false;
    int rc = node_param_u64(ctx, params, name, &present, height);
    if (rc == ST_OK && !present)
        *height = head;
    if (rc == ST_OK && *height > head)
        return rpc_error(ctx, ST_NOTFOUND, NULL, "params.%s: no block %" PRIu64 " (the head is %" PRIu64 ")", name, *height,
                         head);
    return rc;
}

static int get_supply(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    ledger *l = eng_ledger(node_engine(ctx));
    uint64_t head, height;
    int rc = head_height(l, &head);
    if (rc == ST_OK)
        rc = param_height(ctx, params, "height", head, &height);
    if (rc != ST_OK)
        return rc;
    mpz_t treasury, fees, issuance, supply;
    mpz_inits(treasury, fees, issuance, supply, NULL);
    cJSON *out = NULL;
    if ((rc = ledger_system_balance_at(l, LEDGER_TREASURY, height, treasury)) == ST_OK
        && (rc = ledger_system_balance_at(l, LEDGER_FEES, height, fees)) == ST_OK
        && (rc = ledger_system_balance_at(l, LEDGER_ISSUANCE, height, issuance)) == ST_OK) {
        mpz_neg(supply, issuance);
        if (!(out = cJSON_CreateObject()) || !node_add_u64(out, "height", height) || !node_add_amount(out, "treasury", treasury)
            || !node_add_amount(out, "fees", fees) || !add_signed(out, "issuance", issuance)
            || !node_add_amount(out, "totalSupply", supply))
            rc = ST_NOMEM;
    }
    mpz_clears(treasury, fees, issuance, supply, NULL);
    return node_result(rc, out, result);
}

/* Reads an optional position cursor "N:N" or "N:N:N" (parts numbers, each below 2^63) into v. */
static int param_position(struct rpc_ctx *ctx, const cJSON *params, const char *name, unsigned parts, bool *present,
                          uint64_t v[3])
{
    *present = node_given(params, name);
    if (!*present)
        return ST_OK;
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(params, name);
    const char *p = cJSON_IsString(item) ? item->valuestring : "";
    for (unsigned i = 0; i < parts; i++) {
        char *end;
        if (!isdigit((unsigned char)*p) || (p[0] == '0' && isdigit((unsigned char)p[1])))
            goto bad;
        unsigned long long x = strtoull(p, &end, 10);
        if (x > INT64_MAX || *end != (i + 1 < parts ? ':' : '\0'))
            goto bad;
        v[i] = x;
        p = end + (i + 1 < parts);
    }
    return ST_OK;
bad:
    return rpc_error(ctx, ST_INVALID, NULL, "params.%s: expected the \"next\" of the previous page (%s)", name,
                     parts == 2 ? "\"HEIGHT:INDEX\"" : "\"HEIGHT:INDEX:EVENT\"");
}

/* Adds "next": "H:I" or "H:I:E" (parts numbers of v), or null when more is false. */
static bool add_position(cJSON *obj, const char *key, bool set, unsigned parts, const uint64_t v[3])
{
    char text[64];
    if (!set)
        return cJSON_AddNullToObject(obj, key) != NULL;
    if (parts == 2)
        snprintf(text, sizeof text, "%" PRIu64 ":%" PRIu64, v[0], v[1]);
    else
        snprintf(text, sizeof text, "%" PRIu64 ":%" PRIu64 ":%" PRIu64, v[0], v[1], v[2]);
    return cJSON_AddStringToObject(obj, key, text) != NULL;
}

/* Appends transaction r to arr as ledger_getAccountHistory shows it. */
static bool add_history_entry(cJSON *arr, const ledger_txrec *r)
{
    cJSON *o = node_append_object(arr);
    return o && node_add_hex(o, "hash", r->hash, 32) && node_add_u64(o, "block", r->height)
           && node_add_u64(o, "index", r->index)
           && (r->has_sender ? node_add_address(o, "sender", r->sender) : cJSON_AddNullToObject(o, "sender") != NULL)
           && cJSON_AddStringToObject(o, "type", r->type)
           && cJSON_AddStringToObject(o, "status", r->success ? "success" : "failed")
           && (!r->error || cJSON_AddStringToObject(o, "error", r->error)) && node_add_json(o, "events", r->events);
}

static int get_account_history(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    ledger *l = eng_ledger(node_engine(ctx));
    uint8_t address[20];
    uint64_t cursor[3] = { 0 };
    bool has_cursor, more = false;
    unsigned limit, n = 0;
    int rc = node_param_address(ctx, params, "address", address);
    if (rc == ST_OK)
        rc = param_position(ctx, params, "cursor", 2, &has_cursor, cursor);
    if (rc == ST_OK)
        rc = node_param_limit(ctx, params, &limit);
    if (rc != ST_OK)
        return rc;
    if (cursor[1] > UINT32_MAX)
        cursor[1] = UINT32_MAX;
    ledger_position page[LEDGER_HISTORY_MAX];
    _Static_assert(NODE_LIMIT_MAX <= LEDGER_HISTORY_MAX, "a page fits");
    rc = ledger_history_page(l, address, has_cursor, cursor[0], (uint32_t)cursor[1], limit, page, &n, &more);
    cJSON *out = NULL, *arr = NULL;
    if (rc == ST_OK && (!(out = cJSON_CreateObject()) || !node_add_address(out, "address", address)
                        || !(arr = cJSON_AddArrayToObject(out, "transactions"))))
        rc = ST_NOMEM;
    for (unsigned i = 0; rc == ST_OK && i < n; i++) {
        ledger_txrec r;
        if ((rc = ledger_txrec_get(l, page[i].hash, &r)) != ST_OK)
            break;
        if (!add_history_entry(arr, &r))
            rc = ST_NOMEM;
        ledger_txrec_clear(&r);
    }
    uint64_t last[3] = { n ? page[n - 1].height : 0, n ? page[n - 1].index : 0, 0 };
    if (rc == ST_OK && !add_position(out, "next", more, 2, last))
        rc = ST_NOMEM;
    return node_result(rc, out, result);
}

/* ---- ledger_getEvents ---- */

/* What an event must match (NULL/false: anything). */
struct event_filter {
    const char *area, *type;
    bool by_address;
    uint8_t address[20];
};

/* Whether event ev names the filter's address in one of its string members. */
static bool names_address(const cJSON *ev, const uint8_t address[20])
{
    const cJSON *m;
    cJSON_ArrayForEach(m, ev)
    {
        uint8_t a[20];
        if (cJSON_IsString(m) && strlen(m->valuestring) == 42 && ledger_hex_decode_exact(a, 20, m->valuestring) == ST_OK
            && memcmp(a, address, 20) == 0)
            return true;
    }
    return false;
}

static bool event_matches(const cJSON *ev, const struct event_filter *f)
{
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(ev, "type");
    if (!cJSON_IsString(type))
        return false;
    return (!f->type || strcmp(type->valuestring, f->type) == 0)
           && (!f->area || strcmp(node_event_area(type->valuestring), f->area) == 0)
           && (!f->by_address || names_address(ev, f->address));
}

/* Appends a copy of event ev at position pos of transaction r to arr, with id, height, tx, index,
 * logIndex and area. */
static bool add_event(cJSON *arr, const cJSON *ev, const ledger_txrec *r, const uint64_t pos[3])
{
    cJSON *copy = cJSON_Duplicate(ev, true);
    if (!copy || !cJSON_AddItemToArray(arr, copy)) {
        cJSON_Delete(copy);
        return false;
    }
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(ev, "type");
    return add_position(copy, "id", true, 3, pos) && node_add_u64(copy, "height", r->height)
           && node_add_hex(copy, "tx", r->hash, 32) && node_add_u64(copy, "index", r->index)
           && node_add_u64(copy, "logIndex", pos[2])
           && cJSON_AddStringToObject(copy, "area", node_event_area(type->valuestring));
}

static int param_filter(struct rpc_ctx *ctx, const cJSON *params, struct event_filter *f)
{
    static const char *const areas[] = { "ledger", "staking", "compute", "settlement", "governance" };
    memset(f, 0, sizeof *f);
    if (node_given(params, "area")) {
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(params, "area");
        for (size_t i = 0; i < sizeof areas / sizeof areas[0]; i++)
            if (cJSON_IsString(a) && strcmp(a->valuestring, areas[i]) == 0)
                f->area = areas[i];
        if (!f->area)
            return rpc_error(ctx, ST_INVALID, NULL,
                             "params.area: expected \"ledger\", \"staking\", \"compute\", \"settlement\" or \"governance\"");
    }
    if (node_given(params, "type")) {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(params, "type");
        if (!cJSON_IsString(t) || !*t->valuestring)
            return rpc_error(ctx, ST_INVALID, NULL, "params.type: expected an event type such as \"Transfer\"");
        f->type = t->valuestring;
    }
    f->by_address = node_given(params, "address");
    return f->by_address ? node_param_address(ctx, params, "address", f->address) : ST_OK;
}

/* Reads the events of blocks from..to after the cursor position (when has_cursor) that match f into
 * arr, up to limit, reading blocks until one more matches (*more, with last the position of the last
 * one added) or, past EVENTS_MAX_READ transactions, until the end of a block before to (*more, with
 * last the position just past that block's last transaction: its index and its number of events). */
static int collect_events(ledger *l, uint64_t from, uint64_t to, bool has_cursor, const uint64_t cursor[3],
                          const struct event_filter *f, unsigned limit, cJSON *arr, bool *more, uint64_t last[3])
{
    unsigned n = 0;
    size_t read = 0;
    int rc = ST_OK;
    for (uint64_t h = has_cursor && cursor[0] > from ? cursor[0] : from; rc == ST_OK && h <= to && !*more; h++) {
        ledger_txrec *recs = NULL;
        size_t count = 0;
        if ((rc = ledger_txrec_list_block(l, h, &recs, &count)) != ST_OK)
            break;
        for (size_t i = 0; i < count && rc == ST_OK && !*more; i++) {
            cJSON *events = cJSON_Parse(recs[i].events), *ev;
            if (!events) {
                rc = ST_NOMEM;
                break;
            }
            uint64_t e = 0;
            cJSON_ArrayForEach(ev, events)
            {
                uint64_t pos[3] = { h, recs[i].index, e++ };
                bool after = !has_cursor || pos[0] > cursor[0] || (pos[0] == cursor[0] && (pos[1] > cursor[1]
                                                                   || (pos[1] == cursor[1] && pos[2] > cursor[2])));
                if (!after || !event_matches(ev, f))
                    continue;
                if (n == limit) {
                    *more = true;
                    break;
                }
                if (!add_event(arr, ev, &recs[i], pos)) {
                    rc = ST_NOMEM;
                    break;
                }
                memcpy(last, pos, sizeof pos);
                n++;
            }
            cJSON_Delete(events);
            /* the cursor's block was counted by the call that stopped in it: each call moves on */
            if (rc == ST_OK && !*more && i + 1 == count && (read += has_cursor && h == cursor[0] ? 0 : count) >= EVENTS_MAX_READ
                && h < to) {
                uint64_t past[3] = { h, recs[i].index, e };
                memcpy(last, past, sizeof past);
                *more = true;
            }
        }
        for (size_t i = 0; i < count; i++)
            ledger_txrec_clear(&recs[i]);
        free(recs);
    }
    return rc;
}

static int get_events(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    ledger *l = eng_ledger(node_engine(ctx));
    struct event_filter f;
    uint64_t head, from, to, cursor[3] = { 0 }, last[3] = { 0 };
    bool has_from, has_to, has_cursor, more = false;
    unsigned limit;
    int rc = head_height(l, &head);
    if (rc == ST_OK)
        rc = node_param_u64(ctx, params, "toHeight", &has_to, &to);
    if (rc == ST_OK)
        rc = node_param_u64(ctx, params, "fromHeight", &has_from, &from);
    if (rc == ST_OK)
        rc = param_filter(ctx, params, &f);
    if (rc == ST_OK)
        rc = param_position(ctx, params, "cursor", 3, &has_cursor, cursor);
    if (rc == ST_OK)
        rc = node_param_limit(ctx, params, &limit);
    if (rc != ST_OK)
        return rc;
    if (!has_to)
        to = head;
    if (!has_from)
        from = to;
    if (from > to)
        return rpc_error(ctx, ST_INVALID, NULL, "params: fromHeight %" PRIu64 " is after toHeight %" PRIu64, from, to);
    if (to - from >= EVENTS_MAX_SPAN)
        return rpc_error(ctx, ST_INVALID, NULL, "params: fromHeight %" PRIu64 " to toHeight %" PRIu64
                         " spans %" PRIu64 " blocks, at most %u", from, to, to - from + 1, EVENTS_MAX_SPAN);
    if (to > head)
        return rpc_error(ctx, ST_NOTFOUND, NULL, "params.toHeight: no block %" PRIu64 " (the head is %" PRIu64 ")", to,
                         head);
    cJSON *out = cJSON_CreateObject(), *arr = NULL;
    if (!out || !node_add_u64(out, "fromHeight", from) || !node_add_u64(out, "toHeight", to)
        || !(arr = cJSON_AddArrayToObject(out, "events")))
        rc = ST_NOMEM;
    if (rc == ST_OK)
        rc = collect_events(l, from, to, has_cursor, cursor, &f, limit, arr, &more, last);
    if (rc == ST_OK && !add_position(out, "next", more, 3, last))
        rc = ST_NOMEM;
    return node_result(rc, out, result);
}

static const char *const supply_params[] = { "height", NULL };
const rpc_method node_m_ledger_get_supply = {
    .name = "ledger_getSupply", .params = supply_params, .fn = get_supply,
    .summary = "The treasury, fees and issuance balances and the total supply, at the head or at the end of a block",
    .param_docs = NODE_PARAM_DOCS(RPC_PARAM_OPTIONAL "a block height (default: the head)"),
    .result = "{height, treasury, fees, issuance (signed: minted less burned, negated), totalSupply}"
};
static const char *const history_params[] = { "address", "cursor", "limit", NULL };
const rpc_method node_m_ledger_get_account_history = {
    .name = "ledger_getAccountHistory", .params = history_params, .fn = get_account_history,
    .summary = "The transactions an address sent or that moved its balances, newest first",
    .param_docs = NODE_PARAM_DOCS("a 0x-prefixed 20-byte address",
                                  RPC_PARAM_OPTIONAL "\"HEIGHT:INDEX\", the \"next\" of the previous page",
                                  RPC_PARAM_OPTIONAL "1 to 100 transactions, default 20"),
    .result = "{address, transactions: [{hash, block, index, sender, type, status, error?, events}], next}"
};
static const char *const events_params[] = { "fromHeight", "toHeight", "area", "type", "address", "cursor", "limit", NULL };
const rpc_method node_m_ledger_get_events = {
    .name = "ledger_getEvents", .params = events_params, .fn = get_events,
    .summary = "Receipt events of a range of blocks filtered by area, type and address, oldest first",
    .param_docs = NODE_PARAM_DOCS(RPC_PARAM_OPTIONAL "the first block (default: toHeight)",
                                  RPC_PARAM_OPTIONAL "the last block (default: the head); at most 1000 blocks in all",
                                  RPC_PARAM_OPTIONAL "\"ledger\", \"staking\", \"compute\", \"settlement\" or \"governance\"",
                                  RPC_PARAM_OPTIONAL "an event type, e.g. \"Transfer\"",
                                  RPC_PARAM_OPTIONAL "an address some member of the event names",
                                  RPC_PARAM_OPTIONAL "\"HEIGHT:INDEX:EVENT\", the \"next\" of the previous page",
                                  RPC_PARAM_OPTIONAL "1 to 100 events, default 20"),
    .result = "{fromHeight, toHeight, events: [event with id, height, tx, index, logIndex, area], next}"
};
