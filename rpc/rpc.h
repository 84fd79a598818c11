/* SPDX-License-Identifier: MIT */
/* rpc.h: the JSON-RPC 2.0 server over libevent's evhttp. POST / carries single calls, batches and
 * notifications (Content-Type: application/json; a body that is UTF-8 without NUL characters);
 * GET /health answers "ok"; GET /metrics serves Prometheus text (with a latency histogram per
 * method); GET /events streams what the application publishes as server-sent events, with ids, a
 * filter in its query string and a resume from Last-Event-ID; GET / serves the application's page;
 * OPTIONS answers the CORS preflights of the origins the application lists. Every request must
 * name the node in its Host header by address or as localhost. Methods come from a sorted
 * table given at creation; each handler gets its params as an object (positional params are mapped
 * to names by the method's .params list) and answers through *result, or returns RPC_PENDING after
 * rpc_defer() to answer later from the event loop. The server answers rpc.discover (RPC_DISCOVER)
 * itself, from the table. A failing handler returns a status of the application's, which the
 * application maps to a JSON-RPC error (rpc_server_set_errors).
 * Single-threaded: every call happens on the loop thread. Layer: rpc, a transport library that
 * knows nothing of the application above it. */
#ifndef RPC_RPC_H
#define RPC_RPC_H

#include <cjson/cJSON.h>
#include <event2/event.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "rpc/status.h"

typedef struct rpc_server rpc_server;
typedef struct rpc_deferred rpc_deferred;
struct rpc_ctx;

/* A handler. params is always an object (possibly empty), borrowed. Returns RPC_OK, with *result the
 * result tree, which the dispatcher owns from then on; RPC_PENDING after rpc_defer(); or a failure
 * status of the application's, for which the handler may set a message and data with rpc_error():
 * the application's rpc_errors_fn maps the status to the code. */
typedef int (*rpc_fn)(struct rpc_ctx *ctx, const cJSON *params, cJSON **result);

enum {
    RPC_ADMIN = 1u << 0,     /* needs the cookie token (Authorization: Bearer) */
    RPC_DEV = 1u << 1,       /* exists only when the server was made with dev methods on */
    RPC_STATELESS = 1u << 2  /* the handler reads and writes none of the application's state before
                              * it answers or defers (tx_send): its calls may run while the
                              * application is in the middle of a change (rpc_offload_done_stateless) */
};

/* The JSON-RPC error codes the server itself answers with: the protocol's own, then two of the
 * server-error range (-32000 to -32099) for its refusals. The application picks the rest of that
 * range for its own failures (rpc_errors_fn). */
enum rpc_code {
    RPC_PARSE_ERROR = -32700,
    RPC_INVALID_REQUEST = -32600,
    RPC_METHOD_NOT_FOUND = -32601,
    RPC_INVALID_PARAMS = -32602,
    RPC_INTERNAL_ERROR = -32603,
    RPC_E_UNAUTHORIZED = -32004,     /* an admin method without the bearer token */
    RPC_E_LIMIT = -32007             /* over a connection cap */
};

/* Returns: the generic message of one of the server's codes ("invalid params", "unauthorized", ...;
 * "internal error" for any other code). */
const char *rpc_code_message(int code);

/* The application's map from a failure status (what handlers return, and rpc_deferred_finish takes)
 * to its JSON-RPC error code, with *message set to the code's generic text (a constant). */
typedef int (*rpc_errors_fn)(int status, const char **message);

/* How the description (in .param_docs) of a param that a call may leave out begins:
 * RPC_PARAM_OPTIONAL "1 to 100 rows, default 20". rpc.discover marks such a param "required": false
 * and every other one "required": true (a param without a description too). */
#define RPC_PARAM_OPTIONAL "optional: "

/* The most names a method's .params list may hold. */
#define RPC_MAX_PARAMS 64

typedef struct rpc_method {
    const char *name;                /* "ledger_getAccount" */
    const char *const *params;       /* NULL-terminated names in positional order (at most
                                      * RPC_MAX_PARAMS); NULL for a method without params */
    unsigned flags;                  /* RPC_ADMIN | RPC_DEV */
    rpc_fn fn;
    /* What rpc.discover's OpenRPC document says of it (NULL: said as ""): */
    const char *summary;             /* one line: what the method does */
    const char *const *param_docs;   /* one description per name of .params, in the same order
                                      * (NULL-terminated as well), or NULL */
    const char *result;              /* what the result holds */
} rpc_method;

/* The method every server answers itself, with no params: an OpenRPC 1.2.6 document
 * (https://spec.open-rpc.org) of the methods of its table that it serves (RPC_DEV ones only on a
 * dev server; RPC_ADMIN ones marked "x-admin": true), each with its summary, its params in
 * positional order (paramStructure "either", each "required" unless its description begins with
 * RPC_PARAM_OPTIONAL) and its result, from the rpc_method entries: the table
 * is the only list. Its info.title is the server's name (rpc_server_set_name), info.version the
 * package's. A table may not hold a method of that name (rpc_server_new asserts it). */
#define RPC_DISCOVER "rpc.discover"

/* What a handler sees of its call. */
struct rpc_ctx {
    void *app;                       /* the application's handle given to rpc_server_new */
    rpc_server *server;
    bool authorized;                 /* the request carried the admin bearer token */
    /* error detail for a failing return; owned by the dispatcher */
    char errmsg[256];
    cJSON *errdata;
    /* internal: the call this context belongs to, and its params while the dispatcher owns them */
    void *call;
    cJSON *params;
};

typedef struct rpc_limits {
    size_t max_body;                 /* bytes, default 1 MiB */
    unsigned max_batch;              /* calls per batch, default 100 */
    unsigned max_connections;        /* open connections, default 256 */
    unsigned max_client_connections; /* open connections from one IP address, default 32 */
    unsigned timeout_secs;           /* seconds to send a whole request (and to read a reply, and of
                                      * silence while reading or writing), default 30 */
    unsigned max_streams;            /* open GET /events streams, default 64 */
    size_t stream_memory;            /* bytes of memory one stream's unsent output may hold, default 4 MiB */
    size_t streams_memory;           /* bytes all streams' unsent output may hold together, default 32 MiB */
} rpc_limits;

/* Fills the defaults. */
void rpc_limits_default(rpc_limits *l) RPC_NONNULL(1);

/* Returns: a new event base for a server (release with event_base_free), NULL on failure. On
 * epoll it batches each turn's changes to the watched sockets (libevent's changelist): evhttp
 * switches every keep-alive connection from reading to writing and back at each request, which
 * is then one epoll_ctl each way instead of two. That is safe as long as no socket the loop
 * watches is duplicated (dup) in the process: the loop's sockets are only ever inherited for the
 * moment between a fork and the child's close of them. */
struct event_base *rpc_base_new(void);

/* Creates a server on base with the method table (sorted by name, borrowed for the server's life).
 * limits: copied; NULL for the defaults. token: the admin bearer token (copied), or NULL or "" for
 * none (then admin methods always fail). dev: whether RPC_DEV methods exist.
 * Returns: the server, NULL on out of memory. */
rpc_server *rpc_server_new(struct event_base *base, const rpc_method *methods, size_t n_methods,
                           void *app, const rpc_limits *limits, const char *token, bool dev) RPC_NONNULL(1);
/* Binds and listens on "HOST:PORT" (port 0 picks a free one; an empty HOST means 127.0.0.1; an
 * IPv6 HOST may be bracketed). May be called again to listen on more addresses.
 * Returns: RPC_OK, RPC_INVALID (bad address), RPC_IO (bind failed), RPC_NOMEM.
 * Out: *bound_port (may be NULL) the port, untouched on failure. */
int rpc_server_listen(rpc_server *s, const char *hostport, unsigned *bound_port) RPC_WARN_UNUSED RPC_NONNULL(1, 2);
/* Whether "HOST:PORT", as rpc_server_listen takes it, names this machine only: every address HOST
 * resolves to is in 127.0.0.0/8 or is ::1. Returns: RPC_OK, RPC_INVALID (bad address, or HOST does not
 * resolve). Out: *loopback, untouched on failure. */
int rpc_address_loopback(const char *hostport, bool *loopback) RPC_WARN_UNUSED RPC_NONNULL(1, 2);
/* The application's part of GET /metrics: Prometheus text exposition lines (the server frees the
 * result with free(); NULL on out of memory). The server appends its own counters. */
typedef char *(*rpc_metrics_fn)(void *app);
void rpc_server_set_metrics(rpc_server *s, rpc_metrics_fn fn) RPC_NONNULL(1, 2);
/* Sets the map of the handlers' failure statuses; without it each is RPC_INTERNAL_ERROR. */
void rpc_server_set_errors(rpc_server *s, rpc_errors_fn fn) RPC_NONNULL(1, 2);
/* Sets the application's name (at most 31 bytes, letters, digits and '_'; "rpc" by default): the
 * prefix of the server's own GET /metrics counters (NAME_http_requests_total, ...) and the word in
 * the comment that opens each GET /events stream (": NAME events"). */
void rpc_server_set_name(rpc_server *s, const char *name) RPC_NONNULL(1, 2);

/* Lets pages of other sites call POST / and GET /events (CORS): origins is a comma-separated list
 * of "http[s]://HOST[:PORT]" (no path, no spaces; HOST letters, digits, '.' and '-', or a bracketed
 * IPv6 address), or "*" for any origin, together under RPC_CORS_MAX bytes. A cross-origin request (one
 * whose Origin is not "http://" and its Host header) from a listed origin is answered with
 * Access-Control-Allow-Origin naming it, and its preflight (OPTIONS) with the methods and headers
 * allowed; one from any other origin gets no CORS header, and its preflight 403. Whatever the list,
 * a cross-origin request is never authorized for RPC_ADMIN methods, token or not.
 * Returns: RPC_OK, RPC_INVALID (a malformed list; nothing changed). */
int rpc_server_set_cors(rpc_server *s, const char *origins) RPC_WARN_UNUSED RPC_NONNULL(1, 2);
/* Returns: whether origins is a list rpc_server_set_cors takes. */
bool rpc_cors_list_valid(const char *origins) RPC_NONNULL(1);
#define RPC_CORS_MAX 1024 /* bytes of a CORS origin list, its NUL included */

/* Serves html (len bytes, borrowed for the server's life) at GET /; without it GET / is 405. Its
 * Content-Security-Policy lets it run only the first <script> and apply only the first <style> of
 * html (by their SHA-256), and talk only to this node: no inline style attribute, event handler
 * or other script runs. */
void rpc_server_set_page(rpc_server *s, const char *html, size_t len) RPC_NONNULL(1, 2);

/* An event for the GET /events streams. Ids are ordered: the application publishes events in
 * increasing (seq, pos). */
typedef struct rpc_event {
    const char *name;                /* the event's name ("block", "governance", ...): what a stream's
                                      * area= takes */
    uint64_t seq, pos;               /* its id, written "SEQ-POS" */
    const char *data;                /* one line of JSON */
    const char *type;                /* what a stream's type= takes, or NULL (then a type= drops it) */
    const char *addresses;           /* "0x" and 40 lowercase hex digits each, comma-separated, that a
                                      * stream's address= takes; NULL (then an address= drops it) */
} rpc_event;

/* Sends "id: <seq>-<pos>\nevent: <name>\ndata: <data>\n\n" (ev and its strings copied) to every
 * open GET /events stream whose filters (its query's area=, type= and address=, each optional) all
 * take it and that has not been sent an event at or after this id, from the loop once the current
 * callback has returned: what is published in one turn goes out as one chunk. A stream whose
 * unsent output would hold more than limits.stream_memory bytes of memory is closed instead, and
 * while all streams together would hold more than limits.streams_memory, the one holding the
 * most; the client reconnects with Last-Event-ID. At most limits.max_streams streams; one more is
 * answered 503. */
void rpc_server_publish(rpc_server *s, const rpc_event *ev) RPC_NONNULL(1, 2);

/* Where the application's replay writes each past event (ev borrowed for the call). Returns:
 * whether to go on (false once the stream's replay is over its bound: the replay stops). */
typedef bool (*rpc_event_sink)(void *sink, const rpc_event *ev);
/* The application's events after id (seq, pos), for a stream opened with Last-Event-ID: calls
 * emit(sink, ev) for each, in increasing order, until it returns false. Returns: RPC_OK (stopped
 * or not); anything else, with msg (msg_size bytes) saying why (out of the window it keeps, say),
 * for a "resume-error" event instead. */
typedef int (*rpc_replay_fn)(void *app, uint64_t seq, uint64_t pos, rpc_event_sink emit, void *sink, char *msg,
                             size_t msg_size);
/* Sets the replay; without it a Last-Event-ID gets a resume-error event. */
void rpc_server_set_replay(rpc_server *s, rpc_replay_fn fn) RPC_NONNULL(1, 2);
/* Whether a GET /events stream is open (so publishing reaches someone). */
bool rpc_server_has_streams(const rpc_server *s) RPC_NONNULL(1);

/* Parsing large bodies off the loop, and deleting there what their calls left of the parsed tree
 * (queued after the calls). A job's work runs on any thread and touches only the job; its
 * done runs on the loop thread afterwards. offload(ctx, work, done, job) queues the job and must run
 * the dones in the order their jobs were queued, never inside offload itself (a worker pool that
 * hands results back to the loop in order). Returns: RPC_OK, or anything else when it queued nothing
 * (the request is then answered out of memory: parsing it on the loop could overtake bodies still
 * queued). */
typedef void (*rpc_job_fn)(void *job);
typedef int (*rpc_offload_fn)(void *ctx, rpc_job_fn work, rpc_job_fn done, void *job);
/* Has the server parse a JSON-RPC body of min_body bytes or more through offload (with ctx), and any
 * body at all while such a parse is outstanding, so that the calls of every request still run in
 * the order the requests arrived; smaller bodies are parsed on the loop, which costs them less than
 * the hand-off. The calls themselves run on the loop. fn NULL: every body on the loop. Jobs queued
 * must be done before rpc_server_free (conclaved frees its pool first). */
void rpc_server_set_offload(rpc_server *s, rpc_offload_fn fn, void *ctx, size_t min_body) RPC_NONNULL(1);
/* While held(ctx) says so, every body is parsed through the offload, whatever its size, so that
 * its calls run in arrival order behind the offloaded work (conclaved's verification pool holds
 * them while a block is open). held NULL: bodies go by size alone. */
void rpc_server_set_offload_hold(rpc_server *s, bool (*held)(void *ctx), void *ctx) RPC_NONNULL(1);
/* Whether the done of a job this server gave its offload, once the job's work has run, touches none
 * of the application's state: the deletion of a parsed tree, or the calls of a parsed body that are
 * each refused before they run or name an RPC_STATELESS method. Loop thread only. */
bool rpc_offload_done_stateless(rpc_job_fn done, void *job) RPC_NONNULL(1, 2);

/* Frees the server and closes its connections. Outstanding deferred calls are dropped without reply
 * and their tokens freed: finish them before (as engine shutdown does), never after. Accepts NULL. */
void rpc_server_free(rpc_server *s);

/* Sets the error message (printf-style) and, optionally, data (ownership passes) for a failing
 * return. Returns status, so a handler can write `return rpc_error(ctx, status, NULL, "...")`. */
int rpc_error(struct rpc_ctx *ctx, int status, cJSON *data, const char *fmt, ...) RPC_PRINTF_LIKE(4, 5) RPC_NONNULL(1);

/* Takes the call's params object (the handler's `params`) from the dispatcher, which then does not
 * delete it: the caller owns it (cJSON_Delete), and may change it or hand it to another thread. For
 * a handler that keeps its params past its return, instead of copying them. Handler only, once.
 * Returns: the object, or NULL when taken already. */
cJSON *rpc_take_params(struct rpc_ctx *ctx) RPC_NONNULL(1);

/* Marks the call as answered later. The handler then returns RPC_PENDING; once deferred, the call
 * is answered only by rpc_deferred_finish (the handler's return value and *result are dropped), which
 * may run before the handler returns. Calling it twice returns the same token.
 * Returns: the token to finish it with, valid until finished; NULL when the call cannot be deferred
 * (rpc_handle_body). */
rpc_deferred *rpc_defer(struct rpc_ctx *ctx) RPC_NONNULL(1);
/* Finishes a deferred call, exactly once: status RPC_OK with result (ownership passes; NULL means
 * JSON null), or a failure with message (copied; NULL for the generic text) and data (ownership
 * passes). The HTTP reply goes out when every deferred call of its request is finished. Safe if the
 * client went away meanwhile. Must run on the loop thread. */
void rpc_deferred_finish(rpc_deferred *d, int status, cJSON *result, cJSON *errdata, const char *errmsg)
    RPC_NONNULL(1);

/* A number for a result that is only printed: the text cJSON would print for v, as a raw item when v
 * is an integer of magnitude below 10^15 (whose text cJSON_Print makes with a printf and a scanf
 * round trip, a few thousand instructions a number), else a cJSON number. A raw item is not
 * cJSON_IsNumber: use it only in trees that are printed, not read.
 * Returns: the item (the caller owns it), or NULL when out of memory. */
cJSON *rpc_printed_number(double v);

/* Drives the dispatcher without a socket (for tests): handles one request body and returns the
 * response body (caller frees with free(); NULL for a notification-only request or on out of
 * memory). authorized says whether the bearer token was presented. Deferred calls are not supported
 * here: rpc_defer returns NULL. */
char *rpc_handle_body(rpc_server *s, const char *body, size_t len, bool authorized) RPC_NONNULL(1, 2);

#endif
