/* SPDX-License-Identifier: MIT */
/* fuzz_rpc.c: the JSON-RPC 2.0 envelope and dispatcher (rpc/dispatch.c, rpc/errors.c) on untrusted
 * request bodies: single calls, batches, notifications, params by position and by name, admin and
 * dev methods, errors with data, over a small method table (fuzz_rpc_methods drives conclaved's own).
 * The first byte's low bit says whether the admin token was presented. Invariant: every answer is
 * JSON, an object or a non-empty array. */
#include "fuzz/fuzz.h"

#include <cjson/cJSON.h>
#include <event2/event.h>
#include <string.h>
#include "rpc/rpc.h"

static int m_echo(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    *result = cJSON_Duplicate(params, true);
    return *result ? RPC_OK : RPC_NOMEM;
}

/* Fails with params.status (any int) and params.message, with data. */
static int m_fail(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(params, "status");
    const cJSON *message = cJSON_GetObjectItemCaseSensitive(params, "message");
    int st = cJSON_IsNumber(status) && status->valuedouble >= -1000 && status->valuedouble <= 1000
                 ? (int)status->valuedouble : RPC_INVALID;
    cJSON *data = cJSON_Duplicate(params, true);
    if (cJSON_IsString(message))
        return rpc_error(ctx, st, data, "%s", message->valuestring);
    return rpc_error(ctx, st, data, NULL);
}

static int m_flag(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    *result = cJSON_CreateBool(ctx->authorized);
    return *result ? RPC_OK : RPC_NOMEM;
}

/* Tries to defer, which rpc_handle_body refuses. */
static int m_pending(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    FUZZ_CHECK(rpc_defer(ctx) == NULL);
    return RPC_PENDING;
}

static const char *const echo_params[] = { "value", "other", NULL };
static const char *const fail_params[] = { "status", "message", NULL };

static const rpc_method table[] = {
    { .name = "admin_flag", .flags = RPC_ADMIN, .fn = m_flag },
    { .name = "dev_flag", .flags = RPC_DEV, .fn = m_flag },
    { .name = "echo", .params = echo_params, .fn = m_echo },
    { .name = "fail", .params = fail_params, .fn = m_fail },
    { .name = "pending", .fn = m_pending },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct event_base *base;
    static rpc_server *server;
    if (!server) {
        rpc_limits limits;
        rpc_limits_default(&limits);
        limits.max_batch = 8;
        base = event_base_new();
        FUZZ_CHECK(base != NULL);
        server = rpc_server_new(base, table, sizeof table / sizeof table[0], NULL, &limits, "token", true);
        FUZZ_CHECK(server != NULL);
    }
    if (size < 1)
        return 0;

    char *resp = rpc_handle_body(server, (const char *)data + 1, size - 1, data[0] & 1);
    if (resp) {
        cJSON *json = cJSON_Parse(resp);
        FUZZ_CHECK(json != NULL);
        FUZZ_CHECK(cJSON_IsObject(json) || (cJSON_IsArray(json) && cJSON_GetArraySize(json) > 0));
        cJSON_Delete(json);
        free(resp);
    }
    return 0;
}
