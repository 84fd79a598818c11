/* SPDX-License-Identifier: MIT */
/* rpc_int.h: what the server files of rpc/ share and nobody else sees: the server's body, one
 * exchange (a request body with its calls, answered once every deferred call is finished), and the
 * helpers of dispatch.c, errors.c and http.c. Everything here runs on the loop thread. */
#ifndef RPC_RPC_INT_H
#define RPC_RPC_INT_H

#include <time.h>
#include "rpc/rpc.h"

struct evhttp;
struct evhttp_request;
struct rpc_conn;
struct rpc_listener;
struct rpc_waiting;

struct rpc_server {
    struct event_base *base;
    struct evhttp *http;
    const rpc_method *methods;       /* sorted by name; borrowed */
    size_t n_methods;
    void *app;
    rpc_limits limits;
    char *token;                     /* admin bearer token, NUL-terminated; NULL for none */
    size_t token_len;                /* bytes, > 0 when token is set */
    bool dev;
    struct rpc_conn *conns;          /* open connections (http.c) */
    unsigned n_conns;                /* of those, admitted within the caps */
    unsigned n_health_only;          /* of those, past the caps: GET /health only */
    struct rpc_conn *unadopted;      /* accepted in this turn of the loop, not yet in conns */
    struct event *adopt;             /* takes them in, made active by an accept */
    uint64_t deadlines_missed;       /* connections closed for not sending a request in time */
    struct rpc_listener *listeners;  /* the sockets it listens on (http.c) */
    int reserve_fd;                  /* a descriptor given up when accept() runs out of them, or -1 */
    uint64_t accept_errors;          /* times accept() failed */
    struct timespec accept_reported_at; /* CLOCK_MONOTONIC time of the last report of one; 0 for none */
    struct rpc_waiting *waiting;     /* exchanges with deferred calls outstanding (http.c) */
    rpc_metrics_fn metrics;          /* the application's metrics, or NULL */
    rpc_errors_fn errors;            /* the application's failure statuses, or NULL */
    char name[32];                   /* the application's name, "rpc" by default (rpc_server_set_name) */
    uint64_t http_requests;          /* every HTTP request answered or dispatched */
    uint64_t rpc_calls;              /* JSON-RPC calls dispatched (batch members one by one) */
    uint64_t rpc_errors;             /* of those, answered with an error */
    unsigned n_streams;              /* open GET /events streams */
    uint64_t streams_dropped;        /* streams closed for falling behind */
    struct event *keepalive;         /* comment lines to idle streams */
    struct evbuffer *outbox;         /* events published during this turn of the loop */
    struct event *flush;             /* sends the outbox to the streams, made active by a publish */
    const char *page;                /* GET /, or NULL (borrowed) */
    size_t page_len;
    char page_csp[320];              /* its Content-Security-Policy: the hashes of its script and style */
};

/* One call of an exchange; also the token rpc_defer() hands out. */
struct rpc_deferred {
    struct rpc_exchange *ex;
    cJSON *id;                       /* the request's id, moved out of the request; NULL if absent/invalid */
    cJSON *response;                 /* the response object once answered; NULL for a notification */
    bool notify;                     /* a valid call without id: its answer is dropped */
    bool deferred;                   /* rpc_defer() ran: only rpc_deferred_finish() answers it */
    bool answered;
};

typedef struct rpc_exchange rpc_exchange;

/* Answers an exchange whose last deferred call was just finished, and frees it (the transport's). */
typedef void (*rpc_finished_fn)(rpc_exchange *ex, void *ctx);

struct rpc_exchange {
    rpc_server *server;
    bool authorized;                 /* the bearer token was presented */
    bool batch;                      /* the reply is an array */
    bool running;                    /* rpc_exchange_run is still calling handlers */
    bool lost;                       /* a response could not be built (out of memory) */
    unsigned pending;                /* deferred calls not finished yet */
    size_t n_calls;                  /* >= 1 */
    struct rpc_deferred *calls;
    rpc_finished_fn finished;        /* called once the last deferred call is finished; NULL: calls
                                      * cannot be deferred (rpc_handle_body) */
    void *finished_ctx;
};

/* dispatch.c */

/* Parses body and runs every call in it (parse, validate, authorize, execute), in order. finished
 * (with ctx) answers the exchange once its last deferred call is finished after this returns; NULL
 * when calls cannot be deferred.
 * Returns: RPC_OK with *out the exchange (release with rpc_exchange_free unless (*out)->pending says
 * deferred calls are outstanding: then finished releases it), RPC_NOMEM (*out NULL). */
int rpc_exchange_run(rpc_server *s, const char *body, size_t len, bool authorized, rpc_finished_fn finished,
                     void *ctx, rpc_exchange **out) RPC_WARN_UNUSED RPC_NONNULL(1, 2, 7);
/* Prints the responses of a finished exchange, moving them out of it.
 * Returns: RPC_OK with *text the JSON (release with cJSON_free) and *len its length, or *text NULL when
 * nothing is to be answered (notifications only); RPC_NOMEM (*text NULL). */
int rpc_exchange_encode(rpc_exchange *ex, char **text, size_t *len) RPC_WARN_UNUSED RPC_NONNULL(1, 2, 3);
/* Frees the exchange and whatever it still holds. Accepts NULL. */
void rpc_exchange_free(rpc_exchange *ex);
/* Returns: whether a method table is sorted by name, without duplicates, and every entry has a name,
 * a handler and at most RPC_MAX_PARAMS params. */
bool rpc_table_valid(const rpc_method *methods, size_t n);
/* Builds {"jsonrpc":"2.0","id":id,key:value}. Takes id (NULL means JSON null) and value (NULL: the
 * allocation that made it failed). Returns: the response, NULL on out of memory (both freed). */
cJSON *rpc_reply_new(cJSON *id, const char *key, cJSON *value);

/* errors.c */

/* Builds {"code","message"[,"data"]}; message is copied, data taken (may be NULL).
 * Returns: the object, NULL on out of memory (data freed). */
cJSON *rpc_error_object(int code, const char *message, cJSON *data);

/* Failures of the HTTP exchange itself, answered without dispatch. A body over max_body (up to
 * RPC_BODY_HARD_CAP times it) is read and refused with a JSON-RPC error and 413; a longer one
 * evhttp refuses with its own 413 before reading it. */
#define RPC_BODY_HARD_CAP 4
enum rpc_fault {
    RPC_FAULT_TOO_LARGE,             /* a body over max_body */
    RPC_FAULT_PATH,                  /* no such path */
    RPC_FAULT_METHOD,                /* an HTTP method the path does not take */
    RPC_FAULT_BUSY,                  /* over the connection cap */
    RPC_FAULT_CLIENT_BUSY,           /* over the cap of connections from one address */
    RPC_FAULT_HOST,                  /* a Host header that does not name this node */
    RPC_FAULT_MEDIA_TYPE,            /* a JSON-RPC POST without Content-Type: application/json */
    RPC_FAULT_NOMEM                  /* no reply could be built */
};
/* Out: *http the HTTP status, *reason its phrase, *code and *message the JSON-RPC error. */
void rpc_fault_describe(enum rpc_fault f, int *http, const char **reason, int *code, const char **message)
    RPC_NONNULL(2, 3, 4, 5);

#endif
