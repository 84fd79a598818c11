/* SPDX-License-Identifier: MIT */
/* m_compute.c: the compute_* methods, the read side of payment channels: one channel, and the
 * channels of a client, of a worker or of a pool's workers, paged by id with an exclusive cursor
 * (the last id of a page is its "next", null once nothing follows). Amounts are decimal strings. */
#include "node/methods_int.h"

#include <string.h>
#include "ledger/compute.h"
#include "ledger/hex.h"
#include "ledger/stakes.h"

/* Fills obj with channel c as compute_getChannel shows it. */
static int channel_json(cJSON *obj, ledger *l, const ledger_channel *c)
{
    ledger_worker w;
    ledger_worker_init(&w);
    int rc = ledger_worker_get(l, c->worker, &w);
    bool in_pool = rc == ST_OK;
    if (rc == ST_NOTFOUND)
        rc = ST_OK;
    mpz_t owed;
    mpz_init(owed);
    mpz_sub(owed, c->redeemed, c->paid);
    if (rc == ST_OK
        && (!node_add_u64(obj, "channel", c->id) || !node_add_address(obj, "client", c->client)
            || !node_add_address(obj, "worker", c->worker)
            || !(in_pool ? node_add_u64(obj, "pool", w.pool) : cJSON_AddNullToObject(obj, "pool") != NULL)
            || !node_add_amount(obj, "deposit", c->deposit) || !node_add_amount(obj, "redeemed", c->redeemed)
            || !node_add_amount(obj, "paid", c->paid) || !node_add_amount(obj, "owed", owed)
            || !cJSON_AddStringToObject(obj, "state", c->closed ? "closed" : c->closing ? "closing" : "open")
            || !(c->closing ? node_add_u64(obj, "closeAt", c->close_at) : cJSON_AddNullToObject(obj, "closeAt") != NULL)
            || !node_add_u64(obj, "openedHeight", c->opened_height)))
        rc = ST_NOMEM;
    mpz_clear(owed);
    ledger_worker_clear(&w);
    return rc;
}

static int get_channel(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    ledger *l = eng_ledger(node_engine(ctx));
    uint64_t id;
    bool present;
    int rc = node_param_u64(ctx, params, "channel", &present, &id);
    if (rc != ST_OK)
        return rc;
    if (!present)
        return rpc_error(ctx, ST_INVALID, NULL, "params.channel: a channel id is needed");
    ledger_channel c;
    ledger_channel_init(&c);
    cJSON *out = NULL;
    rc = ledger_channel_get(l, id, &c);
    if (rc == ST_NOTFOUND)
        rc = rpc_error(ctx, rc, NULL, "no channel %llu", (unsigned long long)id);
    else if (rc == ST_OK)
        rc = (out = cJSON_CreateObject()) ? channel_json(out, l, &c) : ST_NOMEM;
    ledger_channel_clear(&c);
    return node_result(rc, out, result);
}

/* node_id_page's fill for channels; cookie: the ledger. */
static int fill_channel(void *cookie, cJSON *obj, uint64_t id)
{
    ledger_channel c;
    ledger_channel_init(&c);
    int rc = ledger_channel_get(cookie, id, &c);
    if (rc == ST_OK)
        rc = channel_json(obj, cookie, &c);
    ledger_channel_clear(&c);
    return rc;
}

/* Which channels params names: exactly one of client, worker (addresses) or pool. */
static int param_filter(struct rpc_ctx *ctx, const cJSON *params, enum ledger_channel_filter *by, uint8_t address[20],
                        uint64_t *pool)
{
    static const char *const names[] = { "client", "worker", "pool" };
    int given = -1;
    for (int i = 0; i < 3; i++) {
        if (!node_given(params, names[i]))
            continue;
        if (given >= 0)
            return rpc_error(ctx, ST_INVALID, NULL, "params: name one of client, worker or pool, not %s and %s",
                             names[given], names[i]);
        given = i;
    }
    if (given < 0)
        return rpc_error(ctx, ST_INVALID, NULL, "params: one of client, worker or pool is needed");
    *by = (enum ledger_channel_filter)given;
    if (given == LEDGER_CHANNELS_OF_POOL) {
        bool present;
        return node_param_u64(ctx, params, "pool", &present, pool);
    }
    return node_param_address(ctx, params, names[given], address);
}

static int list_channels(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    ledger *l = eng_ledger(node_engine(ctx));
    enum ledger_channel_filter by = LEDGER_CHANNELS_OF_CLIENT;
    uint8_t address[20] = { 0 };
    uint64_t pool = 0, cursor, ids[NODE_LIMIT_MAX];
    unsigned limit, n = 0;
    bool more = false;
    int rc = param_filter(ctx, params, &by, address, &pool);
    if (rc == ST_OK)
        rc = node_param_cursor(ctx, params, &cursor);
    if (rc == ST_OK)
        rc = node_param_limit(ctx, params, &limit);
    if (rc != ST_OK)
        return rc;
    if ((rc = ledger_channel_page(l, by, address, pool, cursor, limit, ids, &n, &more)) != ST_OK)
        return rc;
    return node_id_page(result, "channels", ids, n, more, fill_channel, l);
}

static const char *const channel_params[] = { "channel", NULL };
static const char *const list_params[] = { "client", "worker", "pool", "cursor", "limit", NULL };
const rpc_method node_m_compute_get_channel = {
    .name = "compute_getChannel", .params = channel_params, .fn = get_channel,
    .summary = "One payment channel",
    .result = "{channel, client, worker, pool, deposit, redeemed, paid, owed, state, closeAt, openedHeight}",
    .param_docs = NODE_PARAM_DOCS("a channel id")
};
const rpc_method node_m_compute_list_channels = {
    .name = "compute_listChannels", .params = list_params, .fn = list_channels,
    .summary = "Payment channels of a client, a worker or a pool's workers, by id",
    .result = "{channels: [channel objects], next}",
    .param_docs = NODE_PARAM_DOCS(RPC_PARAM_OPTIONAL "a client address (exactly one of client, worker and pool is given)",
                                  RPC_PARAM_OPTIONAL "a worker address (exactly one of client, worker and pool is given)",
                                  RPC_PARAM_OPTIONAL "a pool id (exactly one of client, worker and pool is given)",
                                  NODE_DOC_NEXT,
                                  NODE_DOC_LIMIT)
};
