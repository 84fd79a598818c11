/* SPDX-License-Identifier: MIT */
/* m_admin.c: admin_* methods of a development node (cookie token required): move the manual clock,
 * mint tokens. Both exist only with --dev. */
#include "rpc/methods_int.h"

#include "ledger/amount.h"

static int admin_advance_time(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    uint64_t secs, now;
    int rc = rpc_param_u64(ctx, params, "seconds", NULL, &secs);
    if (rc != ST_OK)
        return rc;
    rc = eng_advance_time(rpc_engine(ctx), secs, &now);
    if (rc == ST_DISABLED)
        return rpc_error(ctx, rc, NULL, "the node runs on the wall clock; start it with --clock manual");
    if (rc == ST_OVERFLOW)
        return rpc_error(ctx, ST_INVALID, NULL, "params.seconds: the clock would pass 2^63");
    if (rc != ST_OK)
        return rpc_error(ctx, rc, NULL, "cannot save the clock");
    cJSON *out = cJSON_CreateObject();
    if (!out || !cJSON_AddNumberToObject(out, "time", (double)now)) {
        cJSON_Delete(out);
        return ST_NOMEM;
    }
    *result = out;
    return ST_OK;
}

static int admin_mint(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    uint8_t to[20];
    mpz_t amount;
    mpz_init(amount);
    int rc = rpc_param_address(ctx, params, "to", to);
    if (rc == ST_OK)
        rc = rpc_param_amount(ctx, params, "amount", amount);
    if (rc == ST_OK && mpz_sgn(amount) == 0)
        rc = rpc_error(ctx, ST_INVALID, NULL, "params.amount: must be greater than zero");
    if (rc != ST_OK) {
        mpz_clear(amount);
        return rc;
    }
    rpc_deferred *d = rpc_defer(ctx);
    if (!d) {
        mpz_clear(amount);
        return ST_NOMEM;
    }
    rc = eng_mint(rpc_engine(ctx), to, amount, rpc_finish_with_receipt, d);
    mpz_clear(amount);
    if (rc != ST_OK)
        rpc_deferred_finish(d, rc, NULL, NULL, rc == ST_LIMIT ? "the node is busy; try again shortly" : st_str(rc));
    return ST_PENDING;
}

static const char *const advance_params[] = { "seconds", NULL };
static const char *const mint_params[] = { "to", "amount", NULL };
const rpc_method rpc_m_admin_advance_time = { .name = "admin_advanceTime", .params = advance_params,
                                              .flags = RPC_ADMIN | RPC_DEV, .fn = admin_advance_time };
const rpc_method rpc_m_admin_mint = { .name = "admin_mint", .params = mint_params, .flags = RPC_ADMIN | RPC_DEV,
                                      .fn = admin_mint };
