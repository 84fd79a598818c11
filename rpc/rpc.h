/* SPDX-License-Identifier: MIT */
/* rpc.h: the JSON-RPC 2.0 server over libevent's evhttp. POST / carries single calls, batches and
 * notifications; GET /health answers "ok". Methods come from a sorted table given at creation; each
 * handler gets its params as an object (positional params are mapped to names by the method's
 * .params list) and answers through *result, or returns ST_PENDING after rpc_defer() to answer
 * later from the event loop (tx_send waits for its block that way). Single-threaded: every call
 * happens on the loop thread. Layer: rpc (above engine). */
#ifndef RPC_RPC_H
#define RPC_RPC_H

#include <cjson/cJSON.h>
#include <event2/event.h>
#include <stdbool.h>
#include <stddef.h>
#include "ledger/status.h"

typedef struct rpc_server rpc_server;
typedef struct rpc_deferred rpc_deferred;
struct rpc_ctx;

/* A handler. params is always an object (possibly empty), borrowed. On ST_OK *result holds the
 * result tree, which the dispatcher owns from then on. On failure the handler may set a message and
 * data with rpc_error(); the status selects the code (rpc/errors.c). */
typedef int (*rpc_fn)(struct rpc_ctx *ctx, const cJSON *params, cJSON **result);

enum {
    RPC_ADMIN = 1u << 0,     /* needs the cookie token (Authorization: Bearer) */
    RPC_DEV = 1u << 1        /* exists only when the server was made with dev methods on */
};

typedef struct rpc_method {
    const char *name;                /* "ledger_getAccount" */
    const char *const *params;       /* NULL-terminated names in positional order */
    unsigned flags;                  /* RPC_ADMIN | RPC_DEV */
    rpc_fn fn;
} rpc_method;

/* What a handler sees of its call. */
struct rpc_ctx {
    void *app;                       /* the application's handle given to rpc_server_new */
    rpc_server *server;
    /* error detail for a failing return; owned by the dispatcher */
    char errmsg[256];
    cJSON *errdata;
    /* internal: the call this context belongs to */
    void *call;
};

typedef struct rpc_limits {
    size_t max_body;                 /* bytes, default 1 MiB */
    unsigned max_batch;              /* calls per batch, default 100 */
    unsigned max_connections;        /* open connections, default 256 */
    unsigned timeout_secs;           /* header/read/write timeout, default 30 */
} rpc_limits;

/* Fills the defaults. */
void rpc_limits_default(rpc_limits *l) NONNULL(1);

/* Creates a server on base with the method table (sorted by name, borrowed for the server's life).
 * token: the admin bearer token (copied), or NULL for none (then admin methods always fail).
 * dev: whether RPC_DEV methods exist. Returns: the server, NULL on out of memory. */
rpc_server *rpc_server_new(struct event_base *base, const rpc_method *methods, size_t n_methods,
                           void *app, const rpc_limits *limits, const char *token, bool dev);
/* Binds and listens on "HOST:PORT" (port 0 picks a free one).
 * Returns: ST_OK, ST_INVALID (bad address), ST_IO (bind failed). Out: *bound_port the port. */
int rpc_server_listen(rpc_server *s, const char *hostport, unsigned *bound_port) WARN_UNUSED NONNULL(1, 2);
/* Frees the server; outstanding deferred calls are dropped without reply. Accepts NULL. */
void rpc_server_free(rpc_server *s);

/* Sets the error message (printf-style) and, optionally, data (ownership passes) for a failing
 * return. Returns status, so a handler can write `return rpc_error(ctx, ST_INVALID, NULL, "...")`. */
int rpc_error(struct rpc_ctx *ctx, int status, cJSON *data, const char *fmt, ...) PRINTF_LIKE(4, 5);

/* Marks the call as answered later. The handler then returns ST_PENDING. Returns the token to
 * finish it with, NULL on out of memory. */
rpc_deferred *rpc_defer(struct rpc_ctx *ctx) NONNULL(1);
/* Finishes a deferred call: status ST_OK with result (ownership passes), or a failure with message
 * and data (ownership passes). Safe if the client went away meanwhile. Must run on the loop thread. */
void rpc_deferred_finish(rpc_deferred *d, int status, cJSON *result, cJSON *errdata, const char *errmsg);

/* Drives the dispatcher without a socket (for tests): handles one request body and returns the
 * response body (caller frees with free(); NULL for a notification-only request). authorized says
 * whether the bearer token was presented. Deferred calls are not supported here. */
char *rpc_handle_body(rpc_server *s, const char *body, size_t len, bool authorized) NONNULL(1, 2);

/* Maps a status to its JSON-RPC error code (rpc/errors.c). */
int rpc_status_code(int status);

#endif
