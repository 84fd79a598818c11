/* SPDX-License-Identifier: MIT */
/* http.c: the request handling of the RPC server, over the connections of conn.c:
 * - POST / carries JSON-RPC (Content-Type: application/json only); a body over max_body gets a
 *   JSON-RPC error with 413 (over RPC_BODY_HARD_CAP times it, evhttp's own 413 before the body is
 *   read); a large body is parsed through the application's offload (and every body while one is),
 *   its calls run on the loop once it is, and what they leave of its tree is deleted there; a request whose calls are deferred or whose body is being
 *   parsed stays with its connection until the last call is finished (the dispatcher calls back
 *   on_exchange_finished);
 * - GET / serves the application's page, under a Content-Security-Policy naming its script and
 *   style by hash;
 * - GET /health answers {"status":"ok"}, to a connection past the caps too;
 * - GET /metrics the application's lines, the server's counters and latencies (metrics.c);
 * - GET /events opens a server-sent event stream (stream.c);
 * - OPTIONS / and /events answer CORS preflights (cors.c), whose origins' answers to POST / and
 *   GET /events are tagged; a cross-origin request is never authorized for admin methods.
 * A Host header must name the node by address or as localhost (DNS rebinding). Only rpc/ touches
 * evhttp. */
#define _GNU_SOURCE /* explicit_bzero, strncasecmp, memmem */
#include "rpc/rpc_int.h"

#include <assert.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>
#include <fcntl.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define MAX_HEADERS_SIZE 8192 /* bytes of request line and headers */
#define REPLY_KEEP_MAX (64u << 10) /* bytes: a reply buffer grown past this is freed once its reply is sent */

void rpc_limits_default(rpc_limits *l)
{
    l->max_body = 1u << 20;
    l->max_batch = 100;
    l->max_connections = 256;
    l->max_client_connections = 32;
    l->timeout_secs = 30;
    l->max_streams = 64;
    l->stream_memory = 4u << 20;
    l->streams_memory = 32u << 20;
}

/* Returns: the Date header of a reply sent now, formatted as evhttp formats it (which it does at
 * every reply without one: a gmtime and a printf), but once a second. */
static const char *http_date(rpc_server *s)
{
    time_t now = time(NULL);
    if (now != s->date_at) {
        struct tm tm;
        gmtime_r(&now, &tm);
        evutil_date_rfc1123(s->date, sizeof s->date, &tm);
        s->date_at = now;
    }
    return s->date;
}

struct event_base *rpc_base_new(void)
{
    struct event_config *cfg = event_config_new();
    if (!cfg)
        return NULL;
    if (event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST) != 0) {
        event_config_free(cfg);
        return NULL;
    }
    struct event_base *base = event_base_new_with_config(cfg);
    event_config_free(cfg);
    return base;
}

static void send_body(struct evhttp_request *req, int http, const char *reason, const char *body, size_t len,
                      bool close)
{
    struct evkeyvalq *headers = evhttp_request_get_output_headers(req);
    evhttp_add_header(headers, "Content-Type", "application/json");
    if (close)
        evhttp_add_header(headers, "Connection", "close");
    if (len && evbuffer_add(evhttp_request_get_output_buffer(req), body, len) != 0)
        http = 500, reason = "Internal Server Error";
    evhttp_send_reply(req, http, reason, NULL);
}

/* Answers a failure of the HTTP exchange itself. allow: the Allow header for 405, or NULL. */
static void send_fault(struct evhttp_request *req, enum rpc_fault f, const char *allow)
{
    int http, code;
    const char *reason, *message;
    rpc_fault_describe(f, &http, &reason, &code, &message);
    cJSON *reply = rpc_reply_new(NULL, "error", rpc_error_object(code, message, NULL));
    char *text = reply ? cJSON_PrintUnformatted(reply) : NULL;
    if (allow)
        evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", allow);
    send_body(req, http, reason, text, text ? strlen(text) : 0, f == RPC_FAULT_BUSY || f == RPC_FAULT_CLIENT_BUSY);
    cJSON_free(text);
    cJSON_Delete(reply);
}

/* Answers the calls of a finished exchange, printed into the server's reply buffer and copied into
 * the reply once. */
static void send_exchange(struct evhttp_request *req, rpc_exchange *ex)
{
    rpc_server *s = ex->server;
    bool any;
    json_text_reset(&s->reply);
    if (rpc_exchange_print(ex, &s->reply, &any) != RPC_OK)
        send_fault(req, RPC_FAULT_NOMEM, NULL);
    else if (!any)
        evhttp_send_reply(req, 204, "No Content", NULL);
    else {
        evhttp_add_header(evhttp_request_get_output_headers(req), "Date", http_date(s));
        send_body(req, 200, "OK", s->reply.data, s->reply.len, false);
    }
    json_text_release(&s->reply, REPLY_KEEP_MAX);
}

static void unlink_waiting(rpc_server *s, struct rpc_waiting *w)
{
    if (w->prev)
        w->prev->next = w->next;
    else
        s->waiting = w->next;
    if (w->next)
        w->next->prev = w->prev;
}

/* Makes w the one request of conn waiting for its answer (its deferred calls, or its parse). */
static void add_waiting(rpc_server *s, struct rpc_waiting *w, struct rpc_conn *conn, struct evhttp_request *req)
{
    w->req = req;
    w->conn = conn;
    conn->waiting = w;
    w->next = s->waiting;
    if (s->waiting)
        s->waiting->prev = w;
    s->waiting = w;
}

/* Ends w's wait: its connection, if still open, gets timeout_secs for its next request. Frees w.
 * Returns: the request to answer, or NULL when its client left. */
static struct evhttp_request *end_waiting(rpc_server *s, struct rpc_waiting *w)
{
    struct evhttp_request *req = w->req;
    unlink_waiting(s, w);
    if (w->conn) {
        w->conn->waiting = NULL;
        rpc_conn_deadline_start(w->conn);
    }
    free(w);
    return req;
}

/* The exchange's rpc_finished_fn: its last deferred call was finished. */
static void on_exchange_finished(rpc_exchange *ex, void *ctx)
{
    struct evhttp_request *req = end_waiting(ex->server, ctx);
    if (req)
        send_exchange(req, ex);
    rpc_exchange_free(ex);
}

/* Returns: whether req is without a Host header (not from a browser) or its Host is allowed. */
static bool host_ok(const rpc_server *s, struct evhttp_request *req)
{
    const char *host = evhttp_find_header(evhttp_request_get_input_headers(req), "Host");
    return !host || rpc_host_allowed(s, host);
}

/* Returns: whether req's Content-Type is application/json (with parameters or not). A browser
 * sends another site's form or text/plain POST without asking first; application/json only after a
 * preflight, which only the origins of --rpc-cors pass, so a call cannot come from elsewhere. */
static bool json_content(struct evhttp_request *req)
{
    static const char json[] = "application/json";
    const char *ct = evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type");
    if (!ct)
        return false;
    ct += strspn(ct, " \t");
    size_t n = sizeof json - 1;
    return strncasecmp(ct, json, n) == 0 && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ' || ct[n] == '\t');
}

/* Returns: whether want (wlen > 0 bytes) and got are equal, in time independent of want's bytes. */
static bool token_equal(const char *want, size_t wlen, const char *got, size_t glen)
{
    unsigned char diff = wlen != glen;
    for (size_t i = 0; i < glen; i++)
        diff |= (unsigned char)(got[i] ^ want[i % wlen]);
    return diff == 0;
}

/* Returns: whether req carries "Authorization: Bearer <the admin token>" and is not cross-origin:
 * a page of another site never reaches admin methods, even one listed for CORS. */
static bool authorized(const rpc_server *s, const struct rpc_conn *conn, struct evhttp_request *req)
{
    if (rpc_cors_cross_origin(conn, req))
        return false;
    const char *h = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
    if (!s->token || !h || strncasecmp(h, "Bearer ", 7) != 0)
        return false;
    for (h += 7; *h == ' '; h++)
        ;
    return token_equal(s->token, s->token_len, h, strlen(h));
}

/* A body parsed through the server's offload, with what its calls need once it is. */
struct parse_job {
    rpc_server *server;
    struct rpc_waiting *waiting;     /* the request's, registered until its calls are answered */
    char *body;                      /* len bytes, freed once parsed */
    size_t len;
    bool authorized;
    struct rpc_parsed parsed;
};

/* The parse, on whatever thread offload runs it: touches only the job. */
static void parse_work(void *arg)
{
    struct parse_job *j = arg;
    rpc_body_parse(&j->parsed, j->body, j->len);
    free(j->body);
    j->body = NULL;
}

/* What the calls left of a parsed body (the envelopes of a batch's calls: about ten allocations
 * a call), deleted where it was parsed instead of on the loop. */
static void parse_leftovers_work(void *arg)
{
    struct parse_job *j = arg;
    cJSON_Delete(j->parsed.tree);
    j->parsed.tree = NULL;
}

static void parse_job_free(void *arg)
{
    free(arg);
}

/* Frees j, its tree through the server's offload (inline when offload queues nothing). */
static void parse_job_release(rpc_server *s, struct parse_job *j)
{
    if (j->parsed.tree && s->offload(s->offload_ctx, parse_leftovers_work, parse_job_free, j) == RPC_OK)
        return;
    cJSON_Delete(j->parsed.tree);
    free(j);
}

/* On the loop, in the order the requests came: runs the parsed body's calls. */
static void parse_done(void *arg)
{
    struct parse_job *j = arg;
    rpc_server *s = j->server;
    struct rpc_waiting *w = j->waiting;
    rpc_exchange *ex = NULL;
    s->parsing--;
    int rc = rpc_exchange_start(s, &j->parsed, j->authorized, on_exchange_finished, w, &ex);
    parse_job_release(s, j);
    if (rc != RPC_OK) {
        struct evhttp_request *req = end_waiting(s, w);
        if (req)
            send_fault(req, RPC_FAULT_NOMEM, NULL);
    } else if (ex->pending) {
        w->ex = ex;
    } else {
        on_exchange_finished(ex, w);
    }
}

/* Hands body (len bytes, taken) to the server's offload to be parsed, req waiting on w (taken) for
 * its answer; when offload queues nothing, req is answered out of memory. */
static void offload_parse(rpc_server *s, struct rpc_conn *conn, struct evhttp_request *req, char *body, size_t len,
                          struct rpc_waiting *w)
{
    struct parse_job *j = malloc(sizeof *j);
    if (j) {
        *j = (struct parse_job){ .server = s, .waiting = w, .body = body, .len = len,
                                 .authorized = authorized(s, conn, req) };
        add_waiting(s, w, conn, req);
        if (s->offload(s->offload_ctx, parse_work, parse_done, j) == RPC_OK) {
            s->parsing++;
            return;
        }
        unlink_waiting(s, w);
        conn->waiting = NULL;
        free(j);
    }
    free(body);
    free(w);
    send_fault(req, RPC_FAULT_NOMEM, NULL);
}

static void serve_rpc(rpc_server *s, struct rpc_conn *conn, struct evhttp_request *req)
{
    if (!json_content(req)) {
        send_fault(req, RPC_FAULT_MEDIA_TYPE, NULL);
        return;
    }
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in); /* evhttp refused longer ones than the hard cap */
    if (len > s->limits.max_body) {
        send_fault(req, RPC_FAULT_TOO_LARGE, NULL);
        return;
    }
    char *body = malloc(len + 1);
    struct rpc_waiting *w = calloc(1, sizeof *w); /* made before the calls run, which may defer */
    rpc_exchange *ex = NULL;
    if (!body || !w || evbuffer_remove(in, body, len) != (int)len) {
        free(body);
        free(w);
        send_fault(req, RPC_FAULT_NOMEM, NULL);
        return;
    }
    body[len] = '\0';
    /* while a body is parsed elsewhere, later ones follow it there, so that calls keep arrival order */
    if (s->offload
        && (len >= s->offload_min_body || s->parsing > 0 || (s->offload_held && s->offload_held(s->offload_held_ctx)))) {
        offload_parse(s, conn, req, body, len, w);
        return;
    }
    int rc = rpc_exchange_run(s, body, len, authorized(s, conn, req), on_exchange_finished, w, &ex);
    free(body);
    if (rc != RPC_OK) {
        free(w);
        send_fault(req, RPC_FAULT_NOMEM, NULL);
    } else if (ex->pending) {
        w->ex = ex;
        add_waiting(s, w, conn, req);
    } else {
        free(w);
        send_exchange(req, ex);
        rpc_exchange_free(ex);
    }
}

/* GET /: the page, which may talk only to this node and run only its own inline script and style. */
static void send_page(rpc_server *s, struct evhttp_request *req)
{
    struct evkeyvalq *headers = evhttp_request_get_output_headers(req);
    evhttp_add_header(headers, "Content-Type", "text/html; charset=utf-8");
    evhttp_add_header(headers, "Content-Security-Policy", s->page_csp);
    evhttp_add_header(headers, "X-Content-Type-Options", "nosniff");
    if (evbuffer_add_reference(evhttp_request_get_output_buffer(req), s->page, s->page_len, NULL, NULL) != 0)
        evhttp_send_reply(req, 500, "Internal Server Error", NULL);
    else
        evhttp_send_reply(req, 200, "OK", NULL);
}

/* Writes the CSP source for the contents of the first <tag>...</tag> of html (len bytes) into out
 * (CSP_SOURCE_SIZE bytes): 'sha256-<base64 of their SHA-256>', or 'none' when there is none. */
#define CSP_SOURCE_SIZE (sizeof "'sha256-'" + 44)
static void csp_source(char out[CSP_SOURCE_SIZE], const char *html, size_t len, const char *tag)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char open[16], close[16];
    snprintf(open, sizeof open, "<%s>", tag);
    snprintf(close, sizeof close, "</%s>", tag);
    const char *start = memmem(html, len, open, strlen(open));
    const char *end = start ? memmem(start, len - (size_t)(start - html), close, strlen(close)) : NULL;
    if (!end) {
        strcpy(out, "'none'");
        return;
    }
    start += strlen(open);
    uint8_t digest[33] = { 0 }; /* one zero byte past the 32 pads the last group of three */
    struct sha256_ctx sha;
    sha256_init(&sha);
    sha256_update(&sha, (size_t)(end - start), (const uint8_t *)start);
    sha256_digest(&sha, SHA256_DIGEST_SIZE, digest);
    char *o = out + sprintf(out, "'sha256-");
    for (int i = 0; i < 33; i += 3) {
        uint32_t v = (uint32_t)digest[i] << 16 | (uint32_t)digest[i + 1] << 8 | digest[i + 2];
        *o++ = b64[v >> 18 & 63];
        *o++ = b64[v >> 12 & 63];
        *o++ = i + 1 < 32 ? b64[v >> 6 & 63] : '=';
        *o++ = i + 2 < 32 ? b64[v & 63] : '=';
    }
    strcpy(o, "'");
}

void rpc_server_set_page(rpc_server *s, const char *html, size_t len)
{
    char script[CSP_SOURCE_SIZE], style[CSP_SOURCE_SIZE];
    csp_source(script, html, len, "script");
    csp_source(style, html, len, "style");
    s->page = html;
    s->page_len = len;
    snprintf(s->page_csp, sizeof s->page_csp,
             "default-src 'none'; script-src %s; style-src %s; connect-src 'self'; img-src 'self'; base-uri 'none'; "
             "form-action 'none'; frame-ancestors 'none'",
             script, style);
}

/* A reply was written in full: the connection has timeout_secs for its next request. */
static void on_reply_sent(struct evhttp_request *req, void *arg)
{
    (void)req;
    rpc_conn_deadline_start(arg);
}

/* GET /health, for a connection past the caps too. */
static void send_health(struct evhttp_request *req, bool close)
{
    static const char health[] = "{\"status\":\"ok\"}";
    send_body(req, 200, "OK", health, sizeof health - 1, close);
}

/* GET /events: the stream; 503 when the connection is busy or the streams are at their cap, 400
 * for a query it does not take. */
static void serve_stream(rpc_server *s, struct rpc_conn *conn, struct evhttp_request *req)
{
    enum rpc_stream_open rc = rpc_stream_open(s, conn, req);
    if (rc == RPC_STREAM_BUSY)
        send_fault(req, RPC_FAULT_BUSY, NULL);
    else if (rc == RPC_STREAM_BAD_QUERY)
        send_fault(req, RPC_FAULT_QUERY, NULL);
}

/* OPTIONS on a path that takes method: a CORS preflight, or 405 for any other OPTIONS. */
static void serve_options(struct evhttp_request *req, const char *method, bool tagged, const char *allow)
{
    enum rpc_fault fault;
    if (!evhttp_find_header(evhttp_request_get_input_headers(req), "Access-Control-Request-Method"))
        send_fault(req, RPC_FAULT_METHOD, allow);
    else if (!rpc_cors_preflight(req, method, tagged, &fault))
        send_fault(req, fault, NULL);
    else
        evhttp_send_reply(req, 204, "No Content", NULL);
}

static void on_request(struct evhttp_request *req, void *arg)
{
    rpc_server *s = arg;
    struct rpc_conn *conn = rpc_conn_of(s, req);
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
    enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
    bool health = path && strcmp(path, "/health") == 0;
    bool root = path && strcmp(path, "/") == 0, events = path && strcmp(path, "/events") == 0;
    s->http_requests++;
    if (!conn) {
        send_fault(req, RPC_FAULT_BUSY, NULL);
        return;
    }
    event_del(conn->deadline);
    evhttp_request_set_on_complete_cb(req, on_reply_sent, conn);
    bool tagged = (root || events) && rpc_cors_tag(s, conn, req);
    if (!host_ok(s, req))
        send_fault(req, RPC_FAULT_HOST, NULL);
    else if (!conn->admitted && health && cmd == EVHTTP_REQ_GET)
        send_health(req, true);
    else if (!conn->admitted)
        send_fault(req, s->n_conns < s->limits.max_connections ? RPC_FAULT_CLIENT_BUSY : RPC_FAULT_BUSY, NULL);
    else if (root && cmd == EVHTTP_REQ_POST)
        serve_rpc(s, conn, req);
    else if (root && cmd == EVHTTP_REQ_GET && s->page)
        send_page(s, req);
    else if (root && cmd == EVHTTP_REQ_OPTIONS)
        serve_options(req, "POST", tagged, s->page ? "GET, POST" : "POST");
    else if (root)
        send_fault(req, RPC_FAULT_METHOD, s->page ? "GET, POST" : "POST");
    else if (health && cmd == EVHTTP_REQ_GET)
        send_health(req, false);
    else if (health)
        send_fault(req, RPC_FAULT_METHOD, "GET");
    else if (path && strcmp(path, "/metrics") == 0 && cmd == EVHTTP_REQ_GET)
        rpc_metrics_send(s, req);
    else if (path && strcmp(path, "/metrics") == 0)
        send_fault(req, RPC_FAULT_METHOD, "GET");
    else if (events && cmd == EVHTTP_REQ_GET)
        serve_stream(s, conn, req);
    else if (events && cmd == EVHTTP_REQ_OPTIONS)
        serve_options(req, "GET", tagged, "GET");
    else if (events)
        send_fault(req, RPC_FAULT_METHOD, "GET");
    else
        send_fault(req, RPC_FAULT_PATH, NULL);
    /* the reply, once given, must be read within the deadline too; a stream and a deferred reply
     * have none */
    if (conn->stream != req && conn->waiting == NULL)
        rpc_conn_deadline_start(conn);
}

void rpc_server_set_metrics(rpc_server *s, rpc_metrics_fn fn)
{
    s->metrics = fn;
}

void rpc_server_set_errors(rpc_server *s, rpc_errors_fn fn)
{
    s->errors = fn;
}

bool rpc_offload_done_stateless(rpc_job_fn done, void *job)
{
    const struct parse_job *j = job;
    if (done == parse_job_free)
        return true;
    return done == parse_done && (j->parsed.text != RPC_BODY_OK || !j->parsed.tree || rpc_calls_stateless(j->server, j->parsed.tree));
}

void rpc_server_set_offload_hold(rpc_server *s, bool (*held)(void *ctx), void *ctx)
{
    s->offload_held = held;
    s->offload_held_ctx = ctx;
}

void rpc_server_set_offload(rpc_server *s, rpc_offload_fn fn, void *ctx, size_t min_body)
{
    s->offload = fn;
    s->offload_ctx = ctx;
    s->offload_min_body = min_body;
}

void rpc_server_set_name(rpc_server *s, const char *name)
{
    snprintf(s->name, sizeof s->name, "%s", name);
}

rpc_server *rpc_server_new(struct event_base *base, const rpc_method *methods, size_t n_methods,
                           void *app, const rpc_limits *limits, const char *token, bool dev)
{
    assert(rpc_table_valid(methods, n_methods));
    rpc_server *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->reserve_fd = -1;
    strcpy(s->name, "rpc");
    s->base = base;
    s->methods = methods;
    s->n_methods = n_methods;
    if (!(s->latency = calloc(n_methods ? n_methods : 1, sizeof *s->latency))) {
        free(s);
        return NULL;
    }
    s->app = app;
    s->dev = dev;
    if (limits)
        s->limits = *limits;
    else
        rpc_limits_default(&s->limits);
    if (token && *token) {
        s->token_len = strlen(token);
        if (!(s->token = malloc(s->token_len + 1)))
            goto fail;
        memcpy(s->token, token, s->token_len + 1);
    }
    /* held for the moment accept() finds no descriptor left (without it, such a client waits) */
    s->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (!(s->http = evhttp_new(base)))
        goto fail;
    evhttp_set_timeout(s->http, (int)s->limits.timeout_secs);
    evhttp_set_max_headers_size(s->http, MAX_HEADERS_SIZE);
    /* evhttp reads bodies up to the hard cap so that one over max_body still gets a JSON-RPC answer */
    size_t hard_cap = s->limits.max_body <= SIZE_MAX / RPC_BODY_HARD_CAP ? s->limits.max_body * RPC_BODY_HARD_CAP : SIZE_MAX;
    evhttp_set_max_body_size(s->http, hard_cap > (size_t)EV_SSIZE_MAX ? EV_SSIZE_MAX : (ev_ssize_t)hard_cap);
    evhttp_set_allowed_methods(s->http, EVHTTP_REQ_POST | EVHTTP_REQ_GET | EVHTTP_REQ_OPTIONS);
    evhttp_set_gencb(s->http, on_request, s);
    evhttp_set_bevcb(s->http, rpc_conn_new_bufferevent, s);
    if (!(s->adopt = event_new(base, -1, 0, rpc_conn_adopt, s)))
        goto fail;
    if (!(s->flush = event_new(base, -1, 0, rpc_streams_flush, s)))
        goto fail;
    struct timeval every = { .tv_sec = RPC_KEEPALIVE_SECS };
    if (!(s->keepalive = event_new(base, -1, EV_PERSIST, rpc_streams_keepalive, s)) || event_add(s->keepalive, &every) != 0)
        goto fail;
    return s;
fail:
    rpc_server_free(s);
    return NULL;
}

void rpc_server_free(rpc_server *s)
{
    if (!s)
        return;
    if (s->keepalive)
        event_free(s->keepalive);
    if (s->flush)
        event_free(s->flush);
    rpc_streams_free(s);
    /* closing the connections runs on_conn_close, which detaches the waiting exchanges */
    if (s->http)
        evhttp_free(s->http);
    while (s->unadopted) {
        struct rpc_conn *c = s->unadopted;
        s->unadopted = c->next;
        bufferevent_decref(c->bev);
        free(c);
    }
    if (s->adopt)
        event_free(s->adopt);
    rpc_listeners_forget(s);
    if (s->reserve_fd >= 0)
        close(s->reserve_fd);
    while (s->waiting) {
        struct rpc_waiting *w = s->waiting;
        unlink_waiting(s, w);
        rpc_exchange_free(w->ex);
        free(w);
    }
    json_text_clear(&s->reply);
    if (s->token) {
        explicit_bzero(s->token, s->token_len);
        free(s->token);
    }
    free(s->latency);
    free(s);
}
