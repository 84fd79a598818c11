/* SPDX-License-Identifier: MIT */
/* test_methods.c: the JSON-RPC handlers that test_dispatch and test_http both serve. */
#include "tests/rpc/test_methods.h"

#include "ledger/status.h"

int test_m_add(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(params, "a");
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(params, "b");
    if (!cJSON_IsNumber(a) || !cJSON_IsNumber(b))
        return rpc_error(ctx, ST_INVALID, NULL, "params.a, params.b: numbers required");
    *result = cJSON_CreateNumber(a->valuedouble + b->valuedouble);
    return *result ? ST_OK : ST_NOMEM;
}

int test_m_echo(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    (void)ctx;
    *result = cJSON_Duplicate(params, true);
    return *result ? ST_OK : ST_NOMEM;
}
