/* SPDX-License-Identifier: MIT */
/* client.h: a small blocking JSON-RPC client over HTTP/1.1 (libevent's evhttp client), for the CLI,
 * the integration tests and the benchmarks. One client keeps one connection to one URL. Not
 * thread-safe; one client per thread. Layer: rpc. */
#ifndef RPC_CLIENT_H
#define RPC_CLIENT_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include "ledger/status.h"

typedef struct rpc_client rpc_client;

/* url: "http://HOST:PORT[/]". token: bearer token for admin calls, or NULL (copied).
 * timeout_secs: per request. Returns: the client, or NULL on a bad URL or out of memory. */
rpc_client *rpc_client_new(const char *url, const char *token, unsigned timeout_secs);
void rpc_client_free(rpc_client *c);

/* POSTs body and waits for the answer. Returns: ST_OK (any HTTP status), ST_IO (no connection,
 * timeout). Out: *http_status; *response the body, NUL-terminated (caller frees with free()). */
int rpc_client_post(rpc_client *c, const char *path, const char *body, size_t len, int *http_status,
                    char **response) WARN_UNUSED NONNULL(1, 2, 3, 5, 6);
/* GETs path. Same contract as rpc_client_post. */
int rpc_client_get(rpc_client *c, const char *path, int *http_status, char **response)
    WARN_UNUSED NONNULL(1, 2, 3, 4);

/* Calls method with params (borrowed; may be NULL) and waits.
 * Returns: ST_OK with *result the "result" member (caller owns; cJSON_Delete); or, for a JSON-RPC
 * error, ST_INVALID with *error the "error" object (caller owns); ST_IO on transport failure.
 * Exactly one of *result / *error is set on ST_OK / ST_INVALID. */
int rpc_client_call(rpc_client *c, const char *method, const cJSON *params, cJSON **result, cJSON **error)
    WARN_UNUSED NONNULL(1, 2, 4, 5);

#endif
