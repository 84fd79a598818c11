/* SPDX-License-Identifier: MIT */
/* rpc_int.h: what the server files of rpc/ share and nobody else sees: the server's body, one
 * exchange (a request body with its calls, answered once every deferred call is finished), one
 * connection, and the helpers of dispatch.c, errors.c, conn.c, stream.c, cors.c and metrics.c.
 * Calls run one way: http.c → conn.c, stream.c, cors.c, metrics.c, dispatch.c; dispatch.c →
 * metrics.c, errors.c; the dispatcher answers a deferred exchange through the callback http.c
 * gives it. Everything here runs on the loop thread but rpc_body_parse, which the application's
 * offload may run on another (http.c). */
#ifndef RPC_RPC_INT_H
#define RPC_RPC_INT_H

#include <sys/socket.h>
#include <stdint.h>
#include <time.h>
#include "json/json_text.h"
#include "rpc/rpc.h"

struct bufferevent;
struct evhttp;
struct evhttp_connection;
struct evhttp_request;
struct rpc_listener;

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
    struct rpc_latency *latency;     /* one per method, in the table's order (metrics.c) */
    rpc_errors_fn errors;            /* the application's failure statuses, or NULL */
    char name[32];                   /* the application's name, "rpc" by default (rpc_server_set_name) */
    uint64_t http_requests;          /* every HTTP request answered or dispatched */
    uint64_t rpc_calls;              /* JSON-RPC calls dispatched (batch members one by one) */
    uint64_t rpc_errors;             /* of those, answered with an error */
    unsigned n_streams;              /* open GET /events streams */
    uint64_t streams_dropped;        /* streams closed for falling behind */
    struct event *keepalive;         /* comment lines to idle streams */
    struct rpc_outbox_event *outbox; /* events published during this turn of the loop (stream.c) */
    struct rpc_outbox_event *outbox_tail;
    size_t outbox_bytes;             /* what their frames take, about */
    rpc_replay_fn replay;            /* the application's past events, or NULL */
    struct event *flush;             /* sends the outbox to the streams, made active by a publish */
    const char *page;                /* GET /, or NULL (borrowed) */
    size_t page_len;
    char page_csp[320];              /* its Content-Security-Policy: the hashes of its script and style */
    char cors[RPC_CORS_MAX];         /* the CORS origins, comma-separated; "" for none (cors.c) */
    struct json_text reply;          /* the text of the reply being sent, kept for the next (http.c) */
    time_t date_at;                  /* the second date was formatted for (http.c) */
    char date[40];                   /* a reply's Date header then */
    rpc_offload_fn offload;          /* where large bodies are parsed, or NULL (http.c) */
    void *offload_ctx;
    size_t offload_min_body;         /* bytes from which a body is parsed there */
    unsigned parsing;                /* bodies handed to offload and not yet done */
    bool (*offload_held)(void *ctx); /* rpc_server_set_offload_hold */
    void *offload_held_ctx;
};

/* How long one method's calls took (metrics.c): how many fell in each bucket (not cumulatively), the
 * last above every bound. */
#define RPC_LATENCY_BUCKETS 14
struct rpc_latency {
    uint64_t bucket[RPC_LATENCY_BUCKETS + 1];
    uint64_t count;
    double sum;                      /* seconds */
};

/* One call of an exchange; also the token rpc_defer() hands out. */
struct rpc_deferred {
    struct rpc_exchange *ex;
    cJSON *id;                       /* the request's id, moved out of the request; NULL if absent/invalid */
    cJSON *value;                    /* once answered: the result (NULL for JSON null), or the error
                                      * object when error is set; NULL for a notification */
    bool error;                      /* value is an error object */
    bool notify;                     /* a valid call without id: its answer is dropped */
    bool deferred;                   /* rpc_defer() ran: only rpc_deferred_finish() answers it */
    bool answered;
    const rpc_method *method;        /* once its handler is called, for its latency; else NULL */
    struct timespec started;         /* CLOCK_MONOTONIC time its handler was called */
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

/* What a body's text holds that cJSON would take without a word: bytes that are not UTF-8 (which
 * responses would echo in ids, methods and param names), and NUL characters, which end a C string
 * early: "0x…\u0000junk" would read as an address and "latest\u0000x" as a height. */
enum rpc_body_text {
    RPC_BODY_OK,
    RPC_BODY_NOT_UTF8,               /* not UTF-8 (RFC 3629: no overlong forms, surrogates or > U+10FFFF) */
    RPC_BODY_RAW_NUL,                /* a NUL byte, which JSON never holds unescaped */
    RPC_BODY_ESCAPED_NUL             /* a string holding \u0000 */
};

/* A request body parsed, before any of its calls runs. */
struct rpc_parsed {
    enum rpc_body_text text;
    cJSON *tree;                     /* when text is RPC_BODY_OK, the one JSON value the body holds,
                                      * or NULL (malformed, or more than whitespace after it) */
};

/* Checks body's text (len bytes) and parses it. Touches nothing but its arguments: any thread may
 * run it. Out: *out, whose tree the caller owns (and deletes, after rpc_exchange_start). */
void rpc_body_parse(struct rpc_parsed *out, const char *body, size_t len) RPC_NONNULL(1, 2);
/* Runs every call of a parsed body (validate, authorize, execute), in order, as rpc_exchange_run
 * does after its parse. The calls take what they keep out of parsed->tree (ids, params); the rest
 * stays the caller's to delete, on any thread, whatever this returns. Returns and Out: as
 * rpc_exchange_run's. */
/* Whether every call of a parsed body's tree that names a method of s names an RPC_STATELESS one. */
bool rpc_calls_stateless(const rpc_server *s, const cJSON *tree) RPC_NONNULL(1, 2);
int rpc_exchange_start(rpc_server *s, struct rpc_parsed *parsed, bool authorized, rpc_finished_fn finished,
                       void *ctx, rpc_exchange **out) RPC_WARN_UNUSED RPC_NONNULL(1, 2, 6);

/* Parses body and runs every call in it (parse, validate, authorize, execute), in order. finished
 * (with ctx) answers the exchange once its last deferred call is finished after this returns; NULL
 * when calls cannot be deferred.
 * Returns: RPC_OK with *out the exchange (release with rpc_exchange_free unless (*out)->pending says
 * deferred calls are outstanding: then finished releases it), RPC_NOMEM (*out NULL). */
int rpc_exchange_run(rpc_server *s, const char *body, size_t len, bool authorized, rpc_finished_fn finished,
                     void *ctx, rpc_exchange **out) RPC_WARN_UNUSED RPC_NONNULL(1, 2, 7);
/* Prints the responses of a finished exchange after what out holds (json/json_text.h: byte for byte
 * what cJSON_PrintUnformatted would print of the response objects).
 * Returns: RPC_OK, with *any false when nothing is to be answered (notifications only);
 * RPC_NOMEM (out failed, or a response could not be built). */
int rpc_exchange_print(const rpc_exchange *ex, struct json_text *out, bool *any) RPC_WARN_UNUSED RPC_NONNULL(1, 2, 3);
/* Frees the exchange and whatever it still holds. Accepts NULL. */
void rpc_exchange_free(rpc_exchange *ex);
/* Returns: whether a method table is sorted by name, without duplicates, and every entry has a name
 * other than RPC_DISCOVER, a handler, at most RPC_MAX_PARAMS params and, when it has param_docs,
 * one for each param. */
bool rpc_table_valid(const rpc_method *methods, size_t n);

/* discover.c */

/* Returns: the OpenRPC document rpc.discover answers (see RPC_DISCOVER in rpc.h), NULL on out of
 * memory. Caller owns it. */
cJSON *rpc_discover_document(const rpc_server *s) RPC_NONNULL(1);
/* Builds {"jsonrpc":"2.0","id":id,key:value}. Takes id (NULL means JSON null) and value (NULL: the
 * allocation that made it failed). Returns: the response, NULL on out of memory (both freed). */
cJSON *rpc_reply_new(cJSON *id, const char *key, cJSON *value);

/* errors.c */

/* Builds {"code","message"[,"data"]}; message is copied, data taken (may be NULL).
 * Returns: the object, NULL on out of memory (data freed). */
cJSON *rpc_error_object(int code, const char *message, cJSON *data);

/* conn.c */

/* What a GET /events stream takes (its query string), and the last event it was sent. */
struct rpc_stream_filter {
    char areas[128];                 /* event names, comma-separated; "" for any */
    char types[256];                 /* event types, comma-separated; "" for any */
    char address[43];                /* 0x and 40 lowercase hex digits; "" for any */
    bool sent_any;                   /* whether seq, pos hold the id of an event sent (or passed over) */
    uint64_t seq, pos;
};

/* An accepted connection, known from its acceptance until its close callback. */
struct rpc_conn {
    rpc_server *server;
    struct bufferevent *bev;         /* made by rpc_conn_new_bufferevent; identifies it until adopted */
    struct evhttp_connection *evcon; /* NULL until adopted */
    struct sockaddr_storage peer;    /* the client's address (its port ignored) */
    bool admitted;                   /* counted against the caps; if not, it may only ask GET /health */
    struct event *deadline;          /* closes it when a request is not read in timeout_secs */
    struct rpc_waiting *waiting;     /* the exchange waiting for deferred calls on it, or NULL */
    struct evhttp_request *stream;   /* its GET /events reply, open until the client leaves */
    struct rpc_stream_filter filter; /* that stream's */
    struct rpc_conn *prev, *next;    /* in server->conns; next also in server->unadopted */
};

/* An exchange with deferred calls outstanding, and where its answer goes (made by http.c; the close
 * of its connection detaches it). */
struct rpc_waiting {
    rpc_exchange *ex;
    struct evhttp_request *req;      /* the request to answer; NULL once the client is gone */
    struct rpc_conn *conn;           /* its connection; NULL once closed */
    struct rpc_waiting *prev, *next; /* in server->waiting */
};

/* (Re)starts the time the connection has to send its next request in full. */
void rpc_conn_deadline_start(struct rpc_conn *conn) RPC_NONNULL(1);
/* evhttp's bufferevent callback (evhttp_set_bevcb, arg the server): notes each accepted connection. */
struct bufferevent *rpc_conn_new_bufferevent(struct event_base *base, void *arg);
/* The event (arg the server) that takes the connections accepted in this turn into the books. */
void rpc_conn_adopt(evutil_socket_t fd, short what, void *arg);
/* Returns: the record of req's connection, or NULL if it was not adopted (out of memory). */
struct rpc_conn *rpc_conn_of(rpc_server *s, struct evhttp_request *req) RPC_NONNULL(1, 2);
/* Returns: whether the client of c connects from a loopback address (127.0.0.0/8, ::1). */
bool rpc_conn_loopback(const struct rpc_conn *c) RPC_NONNULL(1);
/* Returns: whether a Host header names this node: localhost, a loopback address, or an address the
 * server listens on. */
bool rpc_host_allowed(const rpc_server *s, const char *host) RPC_NONNULL(1, 2);
/* Forgets the server's listening sockets (evhttp frees the sockets themselves). */
void rpc_listeners_forget(rpc_server *s) RPC_NONNULL(1);

/* stream.c */

#define RPC_KEEPALIVE_SECS 15        /* a comment line to idle streams this often */
enum rpc_stream_open {
    RPC_STREAM_OPEN,                 /* the stream is open */
    RPC_STREAM_BUSY,                 /* the connection is busy or the streams are at their cap */
    RPC_STREAM_BAD_QUERY             /* an unknown, repeated or malformed query parameter */
};
/* GET /events on conn: sends the stream's headers, the events after its Last-Event-ID (or a
 * resume-error event), and keeps req open for rpc_server_publish.
 * Returns: RPC_STREAM_OPEN, or why not, without answering. */
enum rpc_stream_open rpc_stream_open(rpc_server *s, struct rpc_conn *conn, struct evhttp_request *req)
    RPC_NONNULL(1, 2, 3);
/* Frees the events waiting to be sent. */
void rpc_streams_free(rpc_server *s) RPC_NONNULL(1);
/* The events (arg the server) that send the outbox, and the keepalive comment, to every stream. */
void rpc_streams_flush(evutil_socket_t fd, short what, void *arg);
void rpc_streams_keepalive(evutil_socket_t fd, short what, void *arg);

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
    RPC_FAULT_QUERY,                 /* a GET /events query string it does not take */
    RPC_FAULT_ORIGIN,                /* a preflight from an Origin not in the CORS list */
    RPC_FAULT_CORS_REQUEST,          /* a preflight for another method or header than CORS allows */
    RPC_FAULT_NOMEM                  /* no reply could be built */
};
/* Out: *http the HTTP status, *reason its phrase, *code and *message the JSON-RPC error. */
void rpc_fault_describe(enum rpc_fault f, int *http, const char **reason, int *code, const char **message)
    RPC_NONNULL(2, 3, 4, 5);

/* cors.c */

/* Returns: whether origin is the origin of a page the node served itself: "http://" followed by
 * host (the Host header; NULL: none), or, when forwarded_proto or forwarded_host is given (a reverse
 * proxy's X-Forwarded-Proto and X-Forwarded-Host, NULL: absent), forwarded_proto (else "http"; only
 * "http" or "https") then "://" then forwarded_host (else host). Scheme and host compare without
 * regard to case. */
bool rpc_cors_same_origin(const char *origin, const char *host, const char *forwarded_proto,
                          const char *forwarded_host) RPC_NONNULL(1);
/* Returns: whether req (on connection c) carries an Origin that is not its own (rpc_cors_same_origin);
 * the X-Forwarded-Proto and X-Forwarded-Host headers count only from a loopback client, the reverse
 * proxy in front of the node, and are ignored from any other. */
bool rpc_cors_cross_origin(const struct rpc_conn *c, struct evhttp_request *req) RPC_NONNULL(1, 2);
/* With CORS origins set, adds "Vary: Origin" to req's answer and, for a cross-origin request from a
 * listed origin, "Access-Control-Allow-Origin: <its origin>". Returns: whether it added the latter. */
bool rpc_cors_tag(const rpc_server *s, const struct rpc_conn *c, struct evhttp_request *req) RPC_NONNULL(1, 2, 3);
/* Checks a preflight (an OPTIONS with Access-Control-Request-Method) for a path that takes method
 * ("POST" or "GET"); tagged is what rpc_cors_tag returned for it. Returns: true after adding the
 * Access-Control-Allow-Methods, -Headers and -Max-Age headers; false with *fault the refusal. */
bool rpc_cors_preflight(struct evhttp_request *req, const char *method, bool tagged, enum rpc_fault *fault)
    RPC_NONNULL(1, 2, 4);

/* metrics.c */

/* Counts a call of m (in the server's table) whose handler was called at started and is answered now. */
void rpc_latency_observe(rpc_server *s, const rpc_method *m, const struct timespec *started) RPC_NONNULL(1, 2, 3);
/* GET /metrics: the application's lines, the server's counters and the latency histograms. */
void rpc_metrics_send(rpc_server *s, struct evhttp_request *req) RPC_NONNULL(1, 2);

#endif
