/* SPDX-License-Identifier: MIT */
/* m_staking.c: staking_* methods, the read side of stake pools: a pool and the pool list (by id or
 * by stake), a staker's positions, a pool's delegators and withdraw queue, the deferred slashes
 * (the workers are in m_workers.c). Values are
 * computed with the engine's own rules (engine/staking.h) so what a client reads is what a
 * withdrawal or a claim would pay now. Lists page with an exclusive cursor: the last row of a page
 * is its "next", null once nothing follows. Amounts and shares are canonical decimal strings. */
#include "node/methods_int.h"

#include <stdlib.h>
#include <string.h>
#include "engine/staking.h"
#include "ledger/amount.h"
#include "ledger/hex.h"
#include "ledger/stakes.h"

#define SHARE_PRICE_UNIT_DIGITS 18 /* sharePrice is base units per 10^18 shares */
#define SHARE_PRICE_DIGITS 18      /* significant digits of sharePriceDecimal */
#define SHARE_PRICE_TEXT_MAX 400   /* a price between 2^-256 and 2^256 in plain decimal */

/* Reads the pool named by param "pool"; an unknown pool is -32003. Out: p (initialized by caller). */
static int param_pool(struct rpc_ctx *ctx, const cJSON *params, ledger_pool *p)
{
    uint64_t id;
    int rc = node_param_u64(ctx, params, "pool", NULL, &id);
    if (rc != ST_OK)
        return rc;
    return node_row_error(ctx, ledger_pool_get(eng_ledger(node_engine(ctx)), id, p), "pool", id);
}

/* floor(stake * 10^18 / shares), or 10^18 for a pool without shares (its first share costs one
 * unit). Returns: false if it does not fit u256 (a stake above 10^59 on a few shares). */
static bool share_price(mpz_t out, const ledger_pool *p)
{
    mpz_ui_pow_ui(out, 10, SHARE_PRICE_UNIT_DIGITS);
    if (mpz_sgn(p->shares) == 0)
        return true;
    mpz_mul(out, out, p->stake);
    mpz_fdiv_q(out, out, p->shares);
    return ledger_amount_fits(out);
}

/* "sharePriceDecimal": stake / shares in base units per share, truncated to 18 significant digits,
 * as a plain decimal ("1", "0.5", "0.000000000000000000000000000000000000000000000001"), so a
 * dashboard keeps the price however far slashes took it. "1" for a pool without shares, "0" for
 * one without stake. */
static bool add_share_price_decimal(cJSON *obj, const ledger_pool *p)
{
    if (mpz_sgn(p->shares) == 0 || mpz_sgn(p->stake) == 0)
        return cJSON_AddStringToObject(obj, "sharePriceDecimal", mpz_sgn(p->shares) == 0 ? "1" : "0") != NULL;
    mpz_t m, low, high, num, pow10;
    mpz_inits(m, low, high, num, pow10, NULL);
    mpz_ui_pow_ui(low, 10, SHARE_PRICE_DIGITS - 1);
    mpz_ui_pow_ui(high, 10, SHARE_PRICE_DIGITS);
    /* m = floor(stake * 10^k / shares) with exactly 18 digits: price = m * 10^-k, truncated */
    long k = (long)SHARE_PRICE_DIGITS - ((long)mpz_sizeinbase(p->stake, 10) - (long)mpz_sizeinbase(p->shares, 10));
    for (;;) {
        mpz_ui_pow_ui(pow10, 10, (unsigned long)labs(k));
        if (k >= 0) {
            mpz_mul(num, p->stake, pow10);
            mpz_fdiv_q(m, num, p->shares);
        } else {
            mpz_mul(num, p->shares, pow10);
            mpz_fdiv_q(m, p->stake, num);
        }
        if (mpz_cmp(m, high) >= 0)
            k--;
        else if (mpz_cmp(m, low) < 0)
            k++;
        else
            break;
    }
    /* the digits of m, left-padded with zeros to k + 1, with the point k digits from the right */
    char text[SHARE_PRICE_TEXT_MAX];
    size_t pad = k + 1 > SHARE_PRICE_DIGITS ? (size_t)k + 1 - SHARE_PRICE_DIGITS : 0;
    memset(text, '0', pad);
    mpz_get_str(text + pad, 10, m);
    size_t len = pad + SHARE_PRICE_DIGITS;
    if (k <= 0) {
        memset(text + len, '0', (size_t)-k);
        text[len + (size_t)-k] = '\0';
    } else {
        size_t point = len - (size_t)k;
        memmove(text + point + 1, text + point, (size_t)k + 1);
        text[point] = '.';
        len++;
        while (text[len - 1] == '0')
            text[--len] = '\0';
        if (text[len - 1] == '.')
            text[--len] = '\0';
    }
    mpz_clears(m, low, high, num, pow10, NULL);
    return cJSON_AddStringToObject(obj, "sharePriceDecimal", text) != NULL;
}

/* "pendingCommission": a raise still in its notice period at time now, else null. */
static bool add_pending_commission(cJSON *obj, const ledger_pool *p, uint64_t now)
{
    if (!p->commission_pending || now >= p->pending_commission_at)
        return cJSON_AddNullToObject(obj, "pendingCommission") != NULL;
    cJSON *pc = cJSON_AddObjectToObject(obj, "pendingCommission");
    return pc && node_add_u64(pc, "commissionPpm", p->pending_commission_ppm)
           && node_add_u64(pc, "effectiveAt", p->pending_commission_at);
}

/* Adds the owner's settings: description and the size of the contributor allowlist. */
static int add_settings(cJSON *obj, ledger *l, const ledger_pool *p)
{
    char *description = NULL;
    unsigned listed = 0;
    int rc = ledger_pool_description_get(l, p->id, &description);
    if (rc == ST_OK)
        rc = ledger_pool_contributor_count(l, p->id, &listed);
    if (rc == ST_OK && (!cJSON_AddStringToObject(obj, "description", description) || !node_add_u64(obj, "allowlisted", listed)))
        rc = ST_NOMEM;
    free(description);
    return rc;
}

/* Fills obj with the pool object. Returns: ST_OK, ST_DB, ST_NOMEM. */
static int fill_pool(cJSON *obj, ledger *l, uint64_t now, const ledger_pool *p)
{
    unsigned workers = 0;
    mpz_t queued, queued_value, free_stake, price;
    mpz_inits(queued, queued_value, free_stake, price, NULL);
    int rc = ledger_worker_count(l, p->id, &workers);
    if (rc == ST_OK)
        rc = add_settings(obj, l, p);
    if (rc == ST_OK)
        rc = ledger_withdrawal_total(l, p->id, queued);
    if (rc == ST_OK) {
        eng_staking_value(queued_value, queued, p);
        eng_staking_free(free_stake, p);
        bool price_fits = share_price(price, p);
        if (!node_add_u64(obj, "id", p->id) || !node_add_address(obj, "owner", p->owner)
            || !node_add_u64(obj, "commissionPpm", eng_staking_commission_at(p, now))
            || !add_pending_commission(obj, p, now) || !node_add_amount(obj, "capacity", p->capacity)
            || !node_add_amount(obj, "stake", p->stake) || !node_add_amount(obj, "freeStake", free_stake)
            || !node_add_amount(obj, "bonded", p->bonded) || !node_add_amount(obj, "unbonding", p->unbonding)
            || !node_add_amount(obj, "shares", p->shares)
            || !(price_fits ? node_add_amount(obj, "sharePrice", price) : cJSON_AddNullToObject(obj, "sharePrice") != NULL)
            || !add_share_price_decimal(obj, p)
            || !node_add_u64(obj, "workers", workers) || !node_add_amount(obj, "queuedShares", queued)
            || !node_add_amount(obj, "queuedValue", queued_value) || !node_add_u64(obj, "createdHeight", p->created_height))
            rc = ST_NOMEM;
    }
    mpz_clears(queued, queued_value, free_stake, price, NULL);
    return rc;
}

/* Adds shares, value and pendingRewards of a staker's row. */
static bool add_stake(cJSON *obj, const ledger_pool *p, const ledger_stake *s)
{
    mpz_t value, pending;
    mpz_inits(value, pending, NULL);
    eng_staking_value(value, s->shares, p);
    eng_staking_pending(pending, p, s);
    bool ok = node_add_amount(obj, "shares", s->shares) && node_add_amount(obj, "value", value)
              && node_add_amount(obj, "pendingRewards", pending);
    mpz_clears(value, pending, NULL);
    return ok;
}

/* ---- methods ---- */

static int get_pool(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    eng *e = node_engine(ctx);
    ledger_pool p;
    ledger_pool_init(&p);
    cJSON *out = NULL;
    int rc = param_pool(ctx, params, &p);
    if (rc == ST_OK)
        rc = (out = cJSON_CreateObject()) ? fill_pool(out, eng_ledger(e), eng_now(e), &p) : ST_NOMEM;
    /* the contributor allowlist in full (at most LEDGER_POOL_CONTRIBUTORS_MAX addresses) */
    uint8_t listed[LEDGER_POOL_CONTRIBUTORS_MAX][LEDGER_ADDR_LEN];
    unsigned n = 0;
    cJSON *arr = NULL;
    if (rc == ST_OK)
        rc = ledger_pool_contributor_list(eng_ledger(e), p.id, listed, LEDGER_POOL_CONTRIBUTORS_MAX, &n);
    if (rc == ST_OK && !(arr = cJSON_AddArrayToObject(out, "contributors")))
        rc = ST_NOMEM;
    for (unsigned i = 0; i < n && rc == ST_OK; i++) {
        char text[LEDGER_ADDR_STRLEN];
        ledger_addr_format(text, listed[i]);
        if (!cJSON_AddItemToArray(arr, cJSON_CreateString(text)))
            rc = ST_NOMEM;
    }
    ledger_pool_clear(&p);
    return node_result(rc, out, result);
}

/* node_id_page's fill for pools; cookie: the engine. */
static int fill_pool_row(void *cookie, cJSON *obj, uint64_t id)
{
    ledger_pool p;
    ledger_pool_init(&p);
    int rc = ledger_pool_get(eng_ledger(cookie), id, &p);
    if (rc == ST_OK)
        rc = fill_pool(obj, eng_ledger(cookie), eng_now(cookie), &p);
    ledger_pool_clear(&p);
    return rc;
}

static int list_pools(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    eng *e = node_engine(ctx);
    ledger *l = eng_ledger(e);
    uint64_t cursor, ids[NODE_LIMIT_MAX];
    unsigned limit, n = 0;
    bool by_stake = false, more = false;
    int rc = node_param_cursor(ctx, params, &cursor);
    if (rc == ST_OK)
        rc = node_param_limit(ctx, params, &limit);
    if (rc != ST_OK)
        return rc;
    if (node_given(params, "sort")) {
        const cJSON *sort = cJSON_GetObjectItemCaseSensitive(params, "sort");
        by_stake = cJSON_IsString(sort) && strcmp(sort->valuestring, "stake") == 0;
        if (!by_stake && !(cJSON_IsString(sort) && strcmp(sort->valuestring, "id") == 0))
            return rpc_error(ctx, ST_INVALID, NULL, "params.sort: expected \"id\" or \"stake\"");
    }
    if (by_stake && cursor != 0) {
        /* the stake order is anchored on the cursor's row */
        ledger_pool c;
        ledger_pool_init(&c);
        rc = ledger_pool_get(l, cursor, &c);
        ledger_pool_clear(&c);
        if (rc == ST_NOTFOUND)
            return rpc_error(ctx, ST_INVALID, NULL, "params.cursor: no pool %llu", (unsigned long long)cursor);
        if (rc != ST_OK)
            return rc;
    }
    if ((rc = ledger_pool_list(l, by_stake, cursor, limit, ids, &n, &more)) != ST_OK)
        return rc;
    return node_id_page(result, "pools", ids, n, more, fill_pool_row, e);
}

/* Appends address's position in pool id to positions, unless it holds neither shares nor a request. */
static int add_position(cJSON *positions, ledger *l, uint64_t id, const uint8_t address[20])
{
    ledger_pool p;
    ledger_stake s;
    ledger_withdrawal w;
    ledger_pool_init(&p);
    ledger_stake_init(&s);
    ledger_withdrawal_init(&w);
    mpz_t queued_value;
    mpz_init(queued_value);
    bool queued = false;
    int rc = ledger_pool_get(l, id, &p);
    if (rc == ST_OK)
        rc = ledger_stake_get(l, id, address, &s);
    if (rc == ST_OK) {
        rc = ledger_withdrawal_get(l, id, address, &w);
        queued = rc == ST_OK;
        if (rc == ST_NOTFOUND)
            rc = ST_OK;
    }
    if (rc != ST_OK || (!queued && mpz_sgn(s.shares) == 0))
        goto out;
    eng_staking_value(queued_value, w.shares, &p);
    cJSON *obj = node_append_object(positions);
    if (!obj || !node_add_u64(obj, "pool", id) || !add_stake(obj, &p, &s) || !node_add_amount(obj, "queuedShares", w.shares)
        || !node_add_amount(obj, "queuedValue", queued_value) || (queued && !node_add_u64(obj, "queuedSince", w.since)))
        rc = ST_NOMEM;
out:
    mpz_clear(queued_value);
    ledger_withdrawal_clear(&w);
    ledger_stake_clear(&s);
    ledger_pool_clear(&p);
    return rc;
}

/* Every pool address ever held shares in. Out: *ids (caller frees with free()), *n. */
static int pools_of(ledger *l, const uint8_t address[20], uint64_t **ids, unsigned *n)
{
    unsigned cap = 64;
    int rc;
    *ids = NULL;
    do {
        cap *= 2;
        uint64_t *grown = realloc(*ids, cap * sizeof **ids);
        if (!grown)
            return ST_NOMEM;
        *ids = grown;
        rc = ledger_stake_pools_of(l, address, *ids, cap, n);
    } while (rc == ST_LIMIT);
    return rc;
}

static int get_position(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    ledger *l = eng_ledger(node_engine(ctx));
    uint8_t address[20];
    uint64_t *ids = NULL, one = 0;
    unsigned n = 0;
    int rc = node_param_address(ctx, params, "address", address);
    if (rc != ST_OK)
        return rc;
    if (node_given(params, "pool")) {
        ledger_pool p;
        ledger_pool_init(&p);
        rc = param_pool(ctx, params, &p);
        one = p.id;
        ledger_pool_clear(&p);
        if (rc != ST_OK)
            return rc;
        n = 1;
    } else if ((rc = pools_of(l, address, &ids, &n)) != ST_OK) {
        free(ids);
        return rc;
    }
    ledger_account claimable = ledger_user_account(LEDGER_CLAIMABLE, address);
    mpz_t balance;
    mpz_init(balance);
    cJSON *out = cJSON_CreateObject(), *positions = NULL;
    rc = ST_NOMEM;
    if (out && node_add_address(out, "address", address) && (positions = cJSON_AddArrayToObject(out, "positions")))
        rc = ST_OK;
    for (unsigned i = 0; i < n && rc == ST_OK; i++)
        rc = add_position(positions, l, ids ? ids[i] : one, address);
    if (rc == ST_OK)
        rc = ledger_balance(l, &claimable, balance);
    if (rc == ST_OK && !node_add_amount(out, "claimable", balance))
        rc = ST_NOMEM;
    mpz_clear(balance);
    free(ids);
    return node_result(rc, out, result);
}

static int list_delegators(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    ledger *l = eng_ledger(node_engine(ctx));
    ledger_pool p;
    ledger_stake rows[NODE_LIMIT_MAX];
    uint8_t cursor[20];
    bool has_cursor = node_given(params, "cursor"), more = false;
    unsigned limit = 0, n = 0;
    cJSON *out = NULL, *list = NULL;
    ledger_pool_init(&p);
    for (unsigned i = 0; i < NODE_LIMIT_MAX; i++)
        ledger_stake_init(&rows[i]);
    int rc = param_pool(ctx, params, &p);
    if (rc == ST_OK && has_cursor)
        rc = node_param_address(ctx, params, "cursor", cursor);
    if (rc == ST_OK)
        rc = node_param_limit(ctx, params, &limit);
    if (rc == ST_OK)
        rc = ledger_stake_list(l, p.id, has_cursor ? cursor : NULL, limit, rows, &n, &more);
    if (rc != ST_OK)
        goto out;
    rc = ST_NOMEM;
    if (!(out = cJSON_CreateObject()) || !(list = cJSON_AddArrayToObject(out, "delegators")))
        goto out;
    for (unsigned i = 0; i < n; i++) {
        cJSON *obj = node_append_object(list);
        if (!obj || !node_add_address(obj, "address", rows[i].address) || !add_stake(obj, &p, &rows[i]))
            goto out;
    }
    rc = node_add_next_address(out, more, rows[n ? n - 1 : 0].address) ? ST_OK : ST_NOMEM;
out:
    for (unsigned i = 0; i < NODE_LIMIT_MAX; i++)
        ledger_stake_clear(&rows[i]);
    ledger_pool_clear(&p);
    return node_result(rc, out, result);
}

static int get_withdraw_queue(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    ledger *l = eng_ledger(node_engine(ctx));
    ledger_pool p;
    ledger_withdrawal rows[NODE_LIMIT_MAX];
    uint64_t cursor = 0;
    unsigned limit = 0, n = 0;
    bool more = false;
    cJSON *out = NULL, *list = NULL;
    mpz_t v;
    mpz_init(v);
    ledger_pool_init(&p);
    for (unsigned i = 0; i < NODE_LIMIT_MAX; i++)
        ledger_withdrawal_init(&rows[i]);
    int rc = param_pool(ctx, params, &p);
    if (rc == ST_OK)
        rc = node_param_cursor(ctx, params, &cursor);
    if (rc == ST_OK)
        rc = node_param_limit(ctx, params, &limit);
    if (rc == ST_OK)
        rc = ledger_withdrawal_list(l, p.id, cursor, limit, rows, &n, &more);
    if (rc != ST_OK)
        goto out;
    rc = ST_NOMEM;
    eng_staking_free(v, &p);
    if (!(out = cJSON_CreateObject()) || !node_add_u64(out, "pool", p.id) || !node_add_amount(out, "freeStake", v)
        || !(list = cJSON_AddArrayToObject(out, "requests")))
        goto out;
    for (unsigned i = 0; i < n; i++) {
        cJSON *obj = node_append_object(list);
        eng_staking_value(v, rows[i].shares, &p);
        if (!obj || !node_add_u64(obj, "position", rows[i].seq) || !node_add_address(obj, "address", rows[i].address)
            || !node_add_amount(obj, "shares", rows[i].shares) || !node_add_amount(obj, "value", v)
            || !node_add_u64(obj, "since", rows[i].since))
            goto out;
    }
    rc = node_add_next(out, more, n ? rows[n - 1].seq : 0) ? ST_OK : ST_NOMEM;
out:
    for (unsigned i = 0; i < NODE_LIMIT_MAX; i++)
        ledger_withdrawal_clear(&rows[i]);
    ledger_pool_clear(&p);
    mpz_clear(v);
    return node_result(rc, out, result);
}

static const char *const slash_states[] = { "pending", "applied", "canceled" };

/* Deferred slashes, newest first, optionally of one state. */
static int list_slashes(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    ledger *l = eng_ledger(node_engine(ctx));
    int state = -1;
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(params, "state");
    if (node_given(params, "state")) {
        for (int i = 0; i < 3 && cJSON_IsString(st); i++)
            if (strcmp(st->valuestring, slash_states[i]) == 0)
                state = i;
        if (state < 0)
            return rpc_error(ctx, ST_INVALID, NULL, "params.state: expected pending, applied or canceled");
    }
    uint64_t cursor;
    unsigned limit, n = 0;
    bool more = false;
    int rc = node_param_cursor(ctx, params, &cursor);
    if (rc == ST_OK)
        rc = node_param_limit(ctx, params, &limit);
    if (rc != ST_OK)
        return rc;
    ledger_slash rows[NODE_LIMIT_MAX];
    if ((rc = ledger_slash_list(l, state, cursor, limit, rows, &n, &more)) != ST_OK)
        return rpc_error(ctx, rc, NULL, "cannot read the slashes");
    cJSON *out = cJSON_CreateObject(), *arr = out ? cJSON_AddArrayToObject(out, "slashes") : NULL;
    rc = arr ? ST_OK : ST_NOMEM;
    for (unsigned i = 0; i < n && rc == ST_OK; i++) {
        cJSON *o = node_append_object(arr);
        if (!o || !node_add_u64(o, "id", rows[i].id) || !node_add_address(o, "worker", rows[i].worker)
            || !node_add_u64(o, "pool", rows[i].pool) || !node_add_u64(o, "ppm", rows[i].ppm)
            || !cJSON_AddStringToObject(o, "reason", rows[i].reason) || !node_add_u64(o, "created", rows[i].created)
            || !node_add_u64(o, "due", rows[i].due) || !cJSON_AddStringToObject(o, "state", slash_states[rows[i].state % 3])
            || !(rows[i].proposal ? node_add_u64(o, "canceledBy", rows[i].proposal) : cJSON_AddNullToObject(o, "canceledBy") != NULL))
            rc = ST_NOMEM;
    }
    if (rc == ST_OK && !node_add_next(out, more, n ? rows[n - 1].id : 0))
        rc = ST_NOMEM;
    return node_result(rc, out, result);
}

static const char *const pool_params[] = { "pool", NULL };
static const char *const list_pools_params[] = { "cursor", "limit", "sort", NULL };
static const char *const position_params[] = { "address", "pool", NULL };
static const char *const pool_page_params[] = { "pool", "cursor", "limit", NULL };
static const char *const slash_params[] = { "state", "cursor", "limit", NULL };
const rpc_method node_m_staking_get_pool = {
    .name = "staking_getPool", .params = pool_params, .fn = get_pool,
    .summary = "One stake pool",
    .result = "the pool object",
    .param_docs = NODE_PARAM_DOCS("a pool id")
};
const rpc_method node_m_staking_list_pools = {
    .name = "staking_listPools", .params = list_pools_params, .fn = list_pools,
    .summary = "Stake pools, by id or by stake",
    .result = "{pools: [pool objects], next}",
    .param_docs = NODE_PARAM_DOCS(NODE_DOC_NEXT, NODE_DOC_LIMIT, RPC_PARAM_OPTIONAL "\"id\" (default) or \"stake\"")
};
const rpc_method node_m_staking_get_position = {
    .name = "staking_getPosition", .params = position_params, .fn = get_position,
    .summary = "An address's positions in every pool (or one) with pending rewards",
    .result = "{address, positions: [...]}",
    .param_docs = NODE_PARAM_DOCS("a 0x-prefixed address", RPC_PARAM_OPTIONAL "one pool id")
};
const rpc_method node_m_staking_list_delegators = {
    .name = "staking_listDelegators", .params = pool_page_params, .fn = list_delegators,
    .summary = "A pool's stakers by address",
    .result = "{delegators: [{address, shares, value, pendingRewards}], next}",
    .param_docs = NODE_PARAM_DOCS("a pool id", NODE_DOC_NEXT_ADDRESS, NODE_DOC_LIMIT)
};
const rpc_method node_m_staking_get_withdraw_queue = {
    .name = "staking_getWithdrawQueue", .params = pool_page_params, .fn = get_withdraw_queue,
    .summary = "A pool's FIFO withdraw queue",
    .result = "{pool, freeStake, requests: [...], next}",
    .param_docs = NODE_PARAM_DOCS("a pool id", NODE_DOC_NEXT, NODE_DOC_LIMIT)
};
const rpc_method node_m_staking_list_slashes = {
    .name = "staking_listSlashes", .params = slash_params, .fn = list_slashes,
    .summary = "Slashes of workers, newest first",
    .result = "{slashes: [...], next}",
    .param_docs = NODE_PARAM_DOCS(RPC_PARAM_OPTIONAL "\"pending\", \"applied\" or \"canceled\"",
                                  NODE_DOC_NEXT,
                                  NODE_DOC_LIMIT)
};
