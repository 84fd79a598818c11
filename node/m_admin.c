/* SPDX-License-Identifier: MIT */
/* m_admin.c: admin_* methods of a development node (cookie token required): move the manual clock,
 * mint tokens, pay a pool a reward from the treasury, slash a worker. They exist only with --dev. */
#include "node/methods_int.h"

#include <stdlib.h>
#include "ledger/amount.h"

/* The answer of admin_advanceTime: the new time, once the epochs it made due are settled. */
typedef struct advance_answer {
    rpc_deferred *d;
    uint64_t now;
} advance_answer;

static cJSON *time_result(uint64_t now)
{
    cJSON *out = cJSON_CreateObject();
    if (out && !cJSON_AddNumberToObject(out, "time", (double)now)) {
        cJSON_Delete(out);
        out = NULL;
    }
    return out;
}

static void answer_advance(void *cookie)
{
    advance_answer *a = cookie;
    cJSON *out = time_result(a->now);
    rpc_deferred_finish(a->d, out ? ST_OK : ST_NOMEM, out, NULL, NULL);
    free(a);
}

static int admin_advance_time(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    uint64_t secs, now;
    int rc = node_param_u64(ctx, params, "seconds", NULL, &secs);
    if (rc != ST_OK)
        return rc;
    rc = eng_advance_time(node_engine(ctx), secs, &now);
    if (rc == ST_DISABLED)
        return rpc_error(ctx, rc, NULL, "the node runs on the wall clock; start it with --clock manual");
    if (rc == ST_OVERFLOW)
        return rpc_error(ctx, ST_INVALID, NULL, "params.seconds: the clock would pass 2^63");
    if (rc != ST_OK)
        return rpc_error(ctx, rc, NULL, "cannot save the clock");
    /* the enclave settles the epochs the new time closed while the loop serves everyone else */
    advance_answer *a = malloc(sizeof *a);
    rpc_deferred *d = a ? rpc_defer(ctx) : NULL;
    if (d) {
        a->d = d;
        a->now = now;
        if (eng_when_settled(node_engine(ctx), answer_advance, a) != ST_OK) {
            free(a);
            rpc_deferred_finish(d, ST_NOMEM, NULL, NULL, NULL);
        }
        return RPC_PENDING;
    }
    free(a);
    *result = time_result(now);
    return *result ? ST_OK : ST_NOMEM;
}

/* Queues a dev system transaction and answers with its receipt. msg is consumed. */
static int submit_system(struct rpc_ctx *ctx, const char *type, cJSON *msg)
{
    if (!msg)
        return ST_NOMEM;
    rpc_deferred *d = rpc_defer(ctx);
    if (!d) {
        cJSON_Delete(msg);
        return ST_NOMEM;
    }
    int rc = eng_submit_system(node_engine(ctx), type, msg, node_finish_with_receipt, d);
    cJSON_Delete(msg);
    if (rc != ST_OK)
        rpc_deferred_finish(d, rc, NULL, NULL, rc == ST_LIMIT ? "the node is busy; try again shortly" : st_str(rc));
    return RPC_PENDING;
}

/* Reads a positive amount param into its canonical text. */
static int positive_amount(struct rpc_ctx *ctx, const cJSON *params, char text[LEDGER_AMOUNT_STRLEN])
{
    mpz_t amount;
    mpz_init(amount);
    int rc = node_param_amount(ctx, params, "amount", amount);
    if (rc == ST_OK && mpz_sgn(amount) == 0)
        rc = rpc_error(ctx, ST_INVALID, NULL, "params.amount: must be greater than zero");
    if (rc == ST_OK)
        ledger_amount_format(text, amount);
    mpz_clear(amount);
    return rc;
}

static int admin_mint(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    uint8_t to[20];
    char amount[LEDGER_AMOUNT_STRLEN];
    int rc = node_param_address(ctx, params, "to", to);
    if (rc == ST_OK)
        rc = positive_amount(ctx, params, amount);
    if (rc != ST_OK)
        return rc;
    cJSON *msg = cJSON_CreateObject();
    if (msg && (!node_add_address(msg, "to", to) || !cJSON_AddStringToObject(msg, "amount", amount))) {
        cJSON_Delete(msg);
        msg = NULL;
    }
    return submit_system(ctx, "Mint", msg);
}

static int admin_reward_pool(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    uint64_t pool;
    char amount[LEDGER_AMOUNT_STRLEN];
    int rc = node_param_u64(ctx, params, "pool", NULL, &pool);
    if (rc == ST_OK)
        rc = positive_amount(ctx, params, amount);
    if (rc != ST_OK)
        return rc;
    cJSON *msg = cJSON_CreateObject();
    if (msg && (!cJSON_AddNumberToObject(msg, "pool", (double)pool) || !cJSON_AddStringToObject(msg, "amount", amount))) {
        cJSON_Delete(msg);
        msg = NULL;
    }
    return submit_system(ctx, "PoolReward", msg);
}

static int admin_slash_worker(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    uint8_t worker[20];
    uint64_t ppm;
    int rc = node_param_address(ctx, params, "worker", worker);
    if (rc == ST_OK)
        rc = node_param_u64(ctx, params, "ppm", NULL, &ppm);
    if (rc == ST_OK && (ppm == 0 || ppm > 1000000))
        rc = rpc_error(ctx, ST_INVALID, NULL, "params.ppm: the part to slash, 1 to 1000000 parts per million");
    if (rc != ST_OK)
        return rc;
    cJSON *msg = cJSON_CreateObject();
    if (msg && (!node_add_address(msg, "worker", worker) || !cJSON_AddNumberToObject(msg, "ppm", (double)ppm))) {
        cJSON_Delete(msg);
        msg = NULL;
    }
    return submit_system(ctx, "WorkerSlash", msg);
}

static const char *const advance_params[] = { "seconds", NULL };
static const char *const mint_params[] = { "to", "amount", NULL };
const rpc_method node_m_admin_advance_time = {
    .name = "admin_advanceTime", .params = advance_params, .flags = RPC_ADMIN | RPC_DEV, .fn = admin_advance_time,
    .summary = "Moves the manual clock forward and does the work it makes due (dev, admin)",
    .result = "{time}: the node clock after the advance",
    .param_docs = NODE_PARAM_DOCS("seconds to advance")
};
const rpc_method node_m_admin_mint = {
    .name = "admin_mint", .params = mint_params, .flags = RPC_ADMIN | RPC_DEV, .fn = admin_mint,
    .summary = "Mints tokens to an address's free balance (dev, admin)",
    .result = "the receipt",
    .param_docs = NODE_PARAM_DOCS("the address credited",
                                  "an amount: a decimal string of base units, > 0")
};
static const char *const reward_params[] = { "pool", "amount", NULL };
static const char *const slash_params[] = { "worker", "ppm", NULL };
const rpc_method node_m_admin_reward_pool = {
    .name = "admin_rewardPool", .params = reward_params, .flags = RPC_ADMIN | RPC_DEV, .fn = admin_reward_pool,
    .summary = "Pays a reward to a pool out of the treasury (dev, admin)",
    .result = "the receipt",
    .param_docs = NODE_PARAM_DOCS("a pool id",
                                  "an amount: a decimal string of base units, > 0")
};
const rpc_method node_m_admin_slash_worker = {
    .name = "admin_slashWorker", .params = slash_params, .flags = RPC_ADMIN | RPC_DEV, .fn = admin_slash_worker,
    .summary = "Burns a part of a worker's bonded and unbonding stake (dev, admin)",
    .result = "the receipt",
    .param_docs = NODE_PARAM_DOCS("the worker's address",
                                  "parts per million, 1 to 1000000")
};
