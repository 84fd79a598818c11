/* SPDX-License-Identifier: MIT */
/* errors.c: the one place that maps the server's own failures to what a client sees: a JSON-RPC
 * error code of the server's to its generic message, and a transport failure to its HTTP status (the
 * application maps its own failure statuses, rpc_server_set_errors). Every JSON-RPC response,
 * error or not, travels with HTTP 200; only failures of the HTTP exchange itself (unknown path,
 * wrong HTTP method, connection cap, a reply that cannot be built) carry another status. */
#include "rpc/rpc_int.h"

const char *rpc_code_message(int code)
{
    switch (code) {
    case RPC_PARSE_ERROR: return "parse error";
    case RPC_INVALID_REQUEST: return "invalid request";
    case RPC_METHOD_NOT_FOUND: return "method not found";
    case RPC_INVALID_PARAMS: return "invalid params";
    case RPC_E_UNAUTHORIZED: return "unauthorized";
    case RPC_E_LIMIT: return "limit exceeded";
    default: return "internal error";
    }
}

cJSON *rpc_error_object(int code, const char *message, cJSON *data)
{
    cJSON *err = cJSON_CreateObject();
    if (!err || !cJSON_AddNumberToObject(err, "code", code) || !cJSON_AddStringToObject(err, "message", message))
        goto fail;
    if (data && !cJSON_AddItemToObject(err, "data", data))
        goto fail;
    return err;
fail:
    cJSON_Delete(data);
    cJSON_Delete(err);
    return NULL;
}

static const struct {
    int http;
    const char *reason;
    int code;
    const char *message;
} faults[] = {
    [RPC_FAULT_TOO_LARGE] = { 413, "Payload Too Large", RPC_INVALID_REQUEST, "the request body is over the size limit" },
    [RPC_FAULT_PATH] = { 404, "Not Found", RPC_INVALID_REQUEST, "no such path: JSON-RPC is served at POST /" },
    [RPC_FAULT_METHOD] = { 405, "Method Not Allowed", RPC_INVALID_REQUEST, "HTTP method not allowed here" },
    [RPC_FAULT_BUSY] = { 503, "Service Unavailable", RPC_E_LIMIT, "too many connections" },
    [RPC_FAULT_CLIENT_BUSY] = { 503, "Service Unavailable", RPC_E_LIMIT, "too many connections from this address" },
    [RPC_FAULT_HOST] = { 403, "Forbidden", RPC_INVALID_REQUEST,
                         "the Host header must name this node by its address or as localhost" },
    [RPC_FAULT_MEDIA_TYPE] = { 415, "Unsupported Media Type", RPC_INVALID_REQUEST,
                               "JSON-RPC takes Content-Type: application/json" },
    [RPC_FAULT_QUERY] = { 400, "Bad Request", RPC_INVALID_REQUEST,
                          "GET /events takes area and type (names separated by commas), address (0x and 40 hex "
                          "digits) and lastEventId, each at most once" },
    [RPC_FAULT_ORIGIN] = { 403, "Forbidden", RPC_INVALID_REQUEST,
                           "this Origin may not call the node: it is not in conclaved --rpc-cors" },
    [RPC_FAULT_CORS_REQUEST] = { 403, "Forbidden", RPC_INVALID_REQUEST,
                                 "a cross-origin request may only POST / or GET /events, setting no header "
                                 "but Content-Type and Last-Event-ID" },
    [RPC_FAULT_NOMEM] = { 500, "Internal Server Error", RPC_INTERNAL_ERROR, "out of memory" },
};

void rpc_fault_describe(enum rpc_fault f, int *http, const char **reason, int *code, const char **message)
{
    *http = faults[f].http;
    *reason = faults[f].reason;
    *code = faults[f].code;
    *message = faults[f].message;
}
