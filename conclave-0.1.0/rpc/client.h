/* SPDX-License-Identifier: MIT */
/* client.h: a small blocking JSON-RPC client over HTTP/1.1 (libevent's evhttp client), for the CLI,
 * the integration tests and the benchmarks. One client keeps one connection to one URL. Not
 * thread-safe; one client per thread. Layer: rpc. */
#ifndef RPC_CLIENT_H
#define RPC_CLIENT_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include "rpc/status.h"

typedef struct rpc_client rpc_client;

/* url: "http://HOST:PORT[/PATH]" (rpc_client_call posts to PATH, "/" by default). token: bearer
 * token sent with every request, or NULL (copied). timeout_secs: how long a request may wait for
 * the connection, for sending and for its answer; 0 for no limit. Returns: the client, or NULL on a
 * bad URL or out of memory. */
rpc_client *rpc_client_new(const char *url, const char *token, unsigned timeout_secs);
void rpc_client_free(rpc_client *c);

/* POSTs body and waits for the answer; the connection is kept alive and reopened when the server
 * closed it. Returns: RPC_OK (any HTTP status), RPC_IO (no connection, or it broke), RPC_LIMIT (no
 * answer within the timeout: the server may still act on the request), RPC_NOMEM.
 * Out: *http_status; *response the body, NUL-terminated (caller frees with free()); 0 and NULL on
 * failure. */
int rpc_client_post(rpc_client *c, const char *path, const char *body, size_t len, int *http_status,
                    char **response) RPC_WARN_UNUSED RPC_NONNULL(1, 2, 3, 5, 6);
/* GETs path. Same contract as rpc_client_post. */
int rpc_client_get(rpc_client *c, const char *path, int *http_status, char **response)
    RPC_WARN_UNUSED RPC_NONNULL(1, 2, 3, 4);

/* Calls method with params (borrowed; may be NULL) and waits. Ids count up from 1 per client.
 * Returns: RPC_OK with *result the "result" member (caller owns; cJSON_Delete); or, for a JSON-RPC
 * error, RPC_INVALID with *error the "error" object (caller owns); RPC_IO on transport failure or an
 * answer that is not a JSON-RPC response to this call (e.g. evhttp's own 413 page); RPC_LIMIT when
 * the timeout passed without an answer; RPC_NOMEM. Exactly one of *result / *error is set on RPC_OK /
 * RPC_INVALID, neither otherwise. */
int rpc_client_call(rpc_client *c, const char *method, const cJSON *params, cJSON **result, cJSON **error)
    RPC_WARN_UNUSED RPC_NONNULL(1, 2, 4, 5);

#endif
