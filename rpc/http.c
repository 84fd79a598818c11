/* SPDX-License-Identifier: MIT */
/* http.c: the HTTP side of the RPC server, and the only code that touches evhttp. POST / carries
 * JSON-RPC (Content-Type: application/json only), GET / the application's page (when set, under a
 * Content-Security-Policy naming its script and style by hash), GET /health answers
 * {"status":"ok"}, GET /events is a server-sent event stream (a chunked reply that stays open: what
 * is published in one turn of the loop is one chunk; a client that reads too slowly is dropped
 * before its unsent output holds more than limits.stream_memory of memory (as libevent allocates
 * it, not as payload), or all streams more than limits.streams_memory, and a comment line every
 * KEEPALIVE_SECS keeps idle streams alive through proxies). A Host header must name the node by
 * address or as localhost (DNS rebinding). Every accepted connection is counted from its acceptance
 * to its close callback: within max_connections and max_client_connections it is served, past them
 * it may still ask GET /health (the newest HEALTH_SLOTS of them), and each has timeout_secs to send
 * a whole request. When accept() fails (out of descriptors), accepting pauses for ACCEPT_PAUSE_MS,
 * a reserve descriptor lets the waiting client be closed rather than left waiting, and standard
 * error hears of it once per ACCEPT_REPORT_SECS. A body over max_body gets a JSON-RPC error with 413
 * (over RPC_BODY_HARD_CAP times it, evhttp's own 413 before the body is read). A request whose
 * calls are deferred stays with its connection until the last one is finished; the close callback
 * detaches it, so finishing after the client left is safe. */
#define _GNU_SOURCE /* explicit_bzero, strncasecmp, memmem */
#include "rpc/rpc_int.h"

#include <assert.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_HEADERS_SIZE 8192 /* bytes of request line and headers */
/* What one of libevent's buffer chains costs beyond twice its data: its smallest allocation
 * (MIN_BUFFER_SIZE in libevent 2.1's buffer.c), plus its header and the allocator's own. */
#define MIN_CHAIN_ALLOC 1024
#define CHAIN_OVERHEAD (MIN_CHAIN_ALLOC + 128)
#define KEEPALIVE_SECS 15
#define HEALTH_SLOTS 16 /* connections past the caps that may still ask GET /health, then close */
#define ACCEPT_PAUSE_MS 100 /* accepting stops this long after accept() failed (out of descriptors) */
#define ACCEPT_REPORT_SECS 10 /* at most one line on standard error in this time about failed accepts */

/* An exchange with deferred calls outstanding, and where its answer goes. */
struct rpc_waiting {
    rpc_exchange *ex;
    struct evhttp_request *req;      /* the request to answer; NULL once the client is gone */
    struct rpc_conn *conn;           /* its connection; NULL once closed */
    struct rpc_waiting *prev, *next; /* in server->waiting */
};

/* A socket the server listens on. */
struct rpc_listener {
    rpc_server *server;
    struct evconnlistener *lev;      /* evhttp's; freed with the evhttp */
    struct sockaddr_storage addr;    /* the address it is bound to */
    struct event *resume;            /* accepts again after a pause */
    struct rpc_listener *next;       /* in server->listeners */
    struct rpc_listener *next_all;   /* in all_listeners */
};

/* Every listener of the process: evconnlistener's error callback gets evhttp's argument, not ours,
 * so it finds its listener here. Changed only by rpc_server_listen and rpc_server_free, which run
 * while no server's loop runs or on its thread (rpc.h). */
static struct rpc_listener *all_listeners;

/* An accepted connection, known from its acceptance until its close callback. */
struct rpc_conn {
    rpc_server *server;
    struct bufferevent *bev;         /* made by new_bufferevent; identifies it until adopted */
    struct evhttp_connection *evcon; /* NULL until adopted */
    struct sockaddr_storage peer;    /* the client's address (its port ignored) */
    bool admitted;                   /* counted against the caps; if not, it may only ask GET /health */
    struct event *deadline;          /* closes it when a request is not read in timeout_secs */
    struct rpc_waiting *waiting;     /* the exchange waiting for deferred calls on it, or NULL */
    struct evhttp_request *stream;   /* its GET /events reply, open until the client leaves */
    struct rpc_conn *prev, *next;    /* in server->conns; next also in server->unadopted */
};

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

/* (Re)starts the time the connection has to send its next request in full. */
static void deadline_start(struct rpc_conn *conn)
{
    struct timeval t = { .tv_sec = conn->server->limits.timeout_secs };
    event_add(conn->deadline, &t);
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

/* Answers the calls of a finished exchange. */
static void send_exchange(struct evhttp_request *req, rpc_exchange *ex)
{
    char *text;
    size_t len;
    if (rpc_exchange_encode(ex, &text, &len) != RPC_OK)
        send_fault(req, RPC_FAULT_NOMEM, NULL);
    else if (!text)
        evhttp_send_reply(req, 204, "No Content", NULL);
    else
        send_body(req, 200, "OK", text, len, false);
    cJSON_free(text);
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

/* The exchange's rpc_finished_fn: its last deferred call was finished. */
static void on_exchange_finished(rpc_exchange *ex, void *ctx)
{
    struct rpc_waiting *w = ctx;
    unlink_waiting(ex->server, w);
    if (w->conn) {
        w->conn->waiting = NULL;
        deadline_start(w->conn);
    }
    if (w->req)
        send_exchange(w->req, ex);
    rpc_exchange_free(ex);
    free(w);
}

/* A request the user still holds (an unfinished stream or deferred reply) when its client leaves is
 * detached from its connection by evhttp (libevent 2.1, evhttp_connection_incoming_fail) and left
 * for the user to free; one still attached (the server closed the connection) evhttp frees itself. */
static void free_if_detached(struct evhttp_request *req)
{
    if (req && !evhttp_request_get_connection(req))
        evhttp_request_free(req);
}

static void on_conn_close(struct evhttp_connection *evcon, void *arg)
{
    struct rpc_conn *conn = arg;
    rpc_server *s = conn->server;
    (void)evcon;
    if (conn->waiting) {
        /* the exchange lives on until finished, without its request */
        free_if_detached(conn->waiting->req);
        conn->waiting->req = NULL;
        conn->waiting->conn = NULL;
    }
    if (conn->stream) {
        free_if_detached(conn->stream);
        s->n_streams--;
    }
    if (conn->deadline)
        event_free(conn->deadline);
    if (conn->prev)
        conn->prev->next = conn->next;
    else
        s->conns = conn->next;
    if (conn->next)
        conn->next->prev = conn->prev;
    if (conn->admitted)
        s->n_conns--;
    else
        s->n_health_only--;
    free(conn);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
    struct rpc_conn *conn = arg;
    (void)fd;
    (void)what;
    conn->server->deadlines_missed++;
    evhttp_connection_free(conn->evcon); /* its close callback frees conn */
}

/* Returns: whether a and b are the same IP address. */
static bool same_address(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family)
        return false;
    if (a->ss_family == AF_INET)
        return memcmp(&((const struct sockaddr_in *)a)->sin_addr, &((const struct sockaddr_in *)b)->sin_addr,
                      sizeof(struct in_addr)) == 0;
    if (a->ss_family == AF_INET6)
        return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr, &((const struct sockaddr_in6 *)b)->sin6_addr,
                      sizeof(struct in6_addr)) == 0;
    return false;
}

/* Returns: whether a is in 127.0.0.0/8 or is ::1 (or ::ffff:127.x.y.z). */
static bool is_loopback(const struct sockaddr_storage *a)
{
    if (a->ss_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)a)->sin_addr.s_addr) >> 24) == 127;
    if (a->ss_family != AF_INET6)
        return false;
    const struct in6_addr *v6 = &((const struct sockaddr_in6 *)a)->sin6_addr;
    return IN6_IS_ADDR_LOOPBACK(v6) || (IN6_IS_ADDR_V4MAPPED(v6) && v6->s6_addr[12] == 127);
}

/* Returns: whether a is 0.0.0.0 or ::, every address of the machine. */
static bool is_wildcard(const struct sockaddr_storage *a)
{
    if (a->ss_family == AF_INET)
        return ((const struct sockaddr_in *)a)->sin_addr.s_addr == htonl(INADDR_ANY);
    return a->ss_family == AF_INET6 && IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)a)->sin6_addr);
}

/* Returns: how many admitted connections come from conn's address. */
static unsigned client_connections(const rpc_server *s, const struct rpc_conn *conn)
{
    unsigned n = 0;
    for (const struct rpc_conn *c = s->conns; c; c = c->next)
        n += c->admitted && same_address(&c->peer, &conn->peer);
    return n;
}

/* Counts a new connection: admitted within the caps, else one of the HEALTH_SLOTS that may still
 * ask GET /health, closing the oldest of those when all are taken, so that idle connections past
 * the caps cannot keep a health check out either. */
static void admit(rpc_server *s, struct rpc_conn *conn)
{
    if (s->n_conns < s->limits.max_connections && client_connections(s, conn) < s->limits.max_client_connections) {
        conn->admitted = true;
        s->n_conns++;
        return;
    }
    if (s->n_health_only >= HEALTH_SLOTS) {
        struct rpc_conn *oldest = NULL; /* conns runs from the newest */
        for (struct rpc_conn *c = s->conns; c; c = c->next)
            if (!c->admitted)
                oldest = c;
        evhttp_connection_free(oldest->evcon); /* its close callback uncounts it */
    }
    s->n_health_only++;
}

/* Takes the connections accepted since the last call into the server's books, once evhttp has set
 * each up: libevent 2.1 has no callback for a new connection, but it makes each connection's
 * bufferevent with new_bufferevent and passes the connection as that bufferevent's callback
 * argument (http.c, evhttp_get_request_connection and evhttp_start_read_). Runs in the same turn
 * of the loop as the accept, before the connection can be read. */
static void on_adopt(evutil_socket_t fd, short what, void *arg)
{
    rpc_server *s = arg;
    (void)fd;
    (void)what;
    struct rpc_conn *next;
    for (struct rpc_conn *c = s->unadopted; c; c = next) {
        next = c->next;
        bufferevent_event_cb eventcb = NULL;
        void *evcon = NULL;
        bufferevent_getcb(c->bev, NULL, NULL, &eventcb, &evcon);
        /* evhttp freed it already when its callbacks are gone (it failed to set the connection up) */
        bool gone = !eventcb || !evcon;
        bufferevent_decref(c->bev);
        if (gone) {
            free(c);
            continue;
        }
        socklen_t len = sizeof c->peer;
        if (getpeername(bufferevent_getfd(c->bev), (struct sockaddr *)&c->peer, &len) != 0)
            memset(&c->peer, 0, sizeof c->peer);
        c->evcon = evcon;
        admit(s, c);
        c->prev = NULL;
        c->next = s->conns;
        if (s->conns)
            s->conns->prev = c;
        s->conns = c;
        evhttp_connection_set_closecb(c->evcon, on_conn_close, c);
        if (!(c->deadline = evtimer_new(s->base, on_deadline, c))) {
            evhttp_connection_free(c->evcon);
            continue;
        }
        deadline_start(c);
    }
    s->unadopted = NULL;
}

/* evhttp's bufferevent for each accepted connection: noted, to be adopted by on_adopt. */
static struct bufferevent *new_bufferevent(struct event_base *base, void *arg)
{
    rpc_server *s = arg;
    struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    struct rpc_conn *c = bev ? calloc(1, sizeof *c) : NULL;
    if (!c)
        return bev; /* out of memory: not adopted, its first request is refused */
    c->server = s;
    c->bev = bev;
    /* kept until on_adopt, so that it can tell whether evhttp let go of it already */
    bufferevent_incref(bev);
    struct rpc_conn **tail = &s->unadopted; /* in the order of acceptance, the order of admission */
    while (*tail)
        tail = &(*tail)->next;
    *tail = c;
    event_active(s->adopt, 0, 0);
    return bev;
}

/* Returns: the record of req's connection, or NULL if it was not adopted (out of memory). Linear in
 * the open connections, which the caps bound. */
static struct rpc_conn *conn_of(rpc_server *s, struct evhttp_request *req)
{
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    for (struct rpc_conn *c = s->conns; c; c = c->next)
        if (c->evcon == evcon)
            return c;
    return NULL;
}

/* Returns: whether host, a Host header (a name or an IP literal, IPv6 bracketed, maybe with a
 * port), names this node by something a DNS answer cannot make point elsewhere: localhost, a
 * loopback address, or an address the server listens on (any IP literal when it listens on a
 * wildcard address). A page from another site that had its name resolve to this node (DNS
 * rebinding) sends that name, and is refused. */
static bool host_allowed(const rpc_server *s, const char *host)
{
    const char *end, *after;
    if (host[0] == '[') {
        host++;
        if (!(end = strchr(host, ']')))
            return false;
        after = end + 1;
    } else {
        end = host + strcspn(host, ":");
        after = end;
    }
    if (*after && (*after != ':' || after[1 + strspn(after + 1, "0123456789")] != '\0'))
        return false;
    char name[INET6_ADDRSTRLEN + 16];
    size_t len = (size_t)(end - host);
    if (len >= sizeof name)
        return false;
    memcpy(name, host, len);
    name[len] = '\0';
    if (strcasecmp(name, "localhost") == 0)
        return true;
    struct sockaddr_storage a = { 0 };
    if (inet_pton(AF_INET, name, &((struct sockaddr_in *)&a)->sin_addr) == 1)
        a.ss_family = AF_INET;
    else if (inet_pton(AF_INET6, name, &((struct sockaddr_in6 *)&a)->sin6_addr) == 1)
        a.ss_family = AF_INET6;
    else
        return false;
    if (is_loopback(&a))
        return true;
    for (const struct rpc_listener *l = s->listeners; l; l = l->next)
        if (is_wildcard(&l->addr) || same_address(&l->addr, &a))
            return true;
    return false;
}

/* Returns: whether req is without a Host header (not from a browser) or its Host is allowed. */
static bool host_ok(const rpc_server *s, struct evhttp_request *req)
{
    const char *host = evhttp_find_header(evhttp_request_get_input_headers(req), "Host");
    return !host || host_allowed(s, host);
}

/* Returns: whether req's Content-Type is application/json (with parameters or not). A browser
 * sends another site's form or text/plain POST without asking first; only a page of this node may
 * send application/json here (the CORS rule), so a call cannot come from elsewhere. */
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

/* Returns: whether req carries "Authorization: Bearer <the admin token>". */
static bool authorized(const rpc_server *s, struct evhttp_request *req)
{
    const char *h = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
    if (!s->token || !h || strncasecmp(h, "Bearer ", 7) != 0)
        return false;
    for (h += 7; *h == ' '; h++)
        ;
    return token_equal(s->token, s->token_len, h, strlen(h));
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
    int rc = rpc_exchange_run(s, body, len, authorized(s, req), on_exchange_finished, w, &ex);
    free(body);
    if (rc != RPC_OK) {
        free(w);
        send_fault(req, RPC_FAULT_NOMEM, NULL);
    } else if (ex->pending) {
        w->ex = ex;
        w->req = req;
        w->conn = conn;
        conn->waiting = w;
        w->next = s->waiting;
        if (s->waiting)
            s->waiting->prev = w;
        s->waiting = w;
    } else {
        free(w);
        send_exchange(req, ex);
        rpc_exchange_free(ex);
    }
}

/* GET /events: the stream's headers, then it stays open for rpc_server_publish. */
static void open_stream(rpc_server *s, struct rpc_conn *conn, struct evhttp_request *req)
{
    if (conn->stream || conn->waiting || s->n_streams >= s->limits.max_streams) {
        send_fault(req, RPC_FAULT_BUSY, NULL);
        return;
    }
    struct evkeyvalq *headers = evhttp_request_get_output_headers(req);
    evhttp_add_header(headers, "Content-Type", "text/event-stream");
    evhttp_add_header(headers, "Cache-Control", "no-cache");
    evhttp_add_header(headers, "X-Accel-Buffering", "no");
    evhttp_send_reply_start(req, 200, "OK");
    struct evbuffer *chunk = evbuffer_new();
    if (chunk && evbuffer_add_printf(chunk, ": %s events\nretry: 3000\n\n", s->name) >= 0)
        evhttp_send_reply_chunk(req, chunk);
    evbuffer_free(chunk);
    conn->stream = req;
    s->n_streams++;
}

/* Returns: an upper bound of the memory buf holds, from libevent's rule for its chains: each chain
 * is one allocation of at least MIN_CHAIN_ALLOC bytes, and at most twice its data plus its header
 * (the next power of two above both). A partly written first chain also holds what was written. */
static size_t held_memory(struct evbuffer *buf)
{
    int chains = evbuffer_peek(buf, -1, NULL, NULL, 0);
    return (size_t)(chains > 0 ? chains : 0) * CHAIN_OVERHEAD + 2 * evbuffer_get_length(buf);
}

static size_t stream_memory(const struct rpc_conn *c)
{
    return held_memory(bufferevent_get_output(evhttp_connection_get_bufferevent(c->evcon)));
}

static void drop_stream(rpc_server *s, struct rpc_conn *c)
{
    s->streams_dropped++;
    evhttp_connection_free(c->evcon); /* its close callback frees c */
}

/* Drops the streams that would pass their own memory limit with cost bytes more, then, while all of
 * them together would pass theirs, the one holding the most. */
static void drop_streams_behind(rpc_server *s, size_t cost)
{
    for (struct rpc_conn *c = s->conns, *next; c; c = next) {
        next = c->next;
        if (c->stream && stream_memory(c) + cost > s->limits.stream_memory)
            drop_stream(s, c);
    }
    for (;;) {
        size_t total = 0, most = 0;
        struct rpc_conn *largest = NULL;
        for (struct rpc_conn *c = s->conns; c; c = c->next) {
            if (!c->stream)
                continue;
            size_t held = stream_memory(c);
            total += held + cost;
            if (!largest || held > most)
                largest = c, most = held;
        }
        if (!largest || total <= s->limits.streams_memory)
            return;
        drop_stream(s, largest);
    }
}

/* Writes text (len bytes) to every event stream as one chunk, after dropping the streams too far
 * behind to take it. */
static void broadcast(rpc_server *s, const char *text, size_t len)
{
    /* the chunk's data chain, and the chain its size line may need */
    drop_streams_behind(s, 2 * CHAIN_OVERHEAD + 2 * len);
    for (struct rpc_conn *c = s->conns, *next; c; c = next) {
        next = c->next;
        if (!c->stream)
            continue;
        struct evbuffer *chunk = evbuffer_new();
        if (!chunk || evbuffer_add(chunk, text, len) != 0)
            drop_stream(s, c);
        else
            evhttp_send_reply_chunk(c->stream, chunk);
        evbuffer_free(chunk);
    }
}

bool rpc_server_has_streams(const rpc_server *s)
{
    return s->n_streams > 0;
}

/* Sends what was published during this turn of the loop as one chunk per stream: a block's events
 * share one allocation instead of one chain of at least MIN_CHAIN_ALLOC bytes each. */
static void on_flush(evutil_socket_t fd, short what, void *arg)
{
    rpc_server *s = arg;
    (void)fd;
    (void)what;
    size_t len = evbuffer_get_length(s->outbox);
    const char *text = (const char *)evbuffer_pullup(s->outbox, -1);
    if (text && s->n_streams)
        broadcast(s, text, len);
    evbuffer_drain(s->outbox, len);
}

void rpc_server_publish(rpc_server *s, const char *event, const char *data)
{
    if (!s->n_streams)
        return;
    if (evbuffer_add_printf(s->outbox, "event: %s\ndata: %s\n\n", event, data) < 0)
        return;
    event_active(s->flush, 0, 0);
}

static void on_keepalive(evutil_socket_t fd, short what, void *arg)
{
    static const char ping[] = ": keepalive\n\n";
    rpc_server *s = arg;
    (void)fd;
    (void)what;
    if (s->n_streams)
        broadcast(s, ping, sizeof ping - 1);
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

/* GET /metrics: the application's lines, then the server's counters (Prometheus text format), each
 * named with the application's name in front. */
static void send_metrics(rpc_server *s, struct evhttp_request *req)
{
    const struct {
        const char *name, *type, *help;
        unsigned long long value;
    } counters[] = {
        { "http_requests_total", "counter", "HTTP requests served.", s->http_requests },
        { "rpc_calls_total", "counter", "JSON-RPC calls dispatched.", s->rpc_calls },
        { "rpc_errors_total", "counter", "JSON-RPC calls answered with an error.", s->rpc_errors },
        { "http_request_timeouts_total", "counter", "Connections closed for not sending a whole request in time.",
          s->deadlines_missed },
        { "http_accept_errors_total", "counter", "Times accept() failed (out of file descriptors, most likely).",
          s->accept_errors },
        { "rpc_connections", "gauge", "Open connections within the connection caps.", s->n_conns },
        { "event_streams", "gauge", "Open GET /events streams.", s->n_streams },
        { "event_streams_dropped_total", "counter", "Event streams closed for falling behind.", s->streams_dropped },
    };
    char *app = s->metrics ? s->metrics(s->app) : NULL;
    struct evbuffer *out = evhttp_request_get_output_buffer(req);
    int rc = evbuffer_add_printf(out, "%s", app ? app : "");
    for (size_t i = 0; rc >= 0 && i < sizeof counters / sizeof counters[0]; i++)
        rc = evbuffer_add_printf(out, "# HELP %s_%s %s\n# TYPE %s_%s %s\n%s_%s %llu\n", s->name, counters[i].name,
                                 counters[i].help, s->name, counters[i].name, counters[i].type, s->name,
                                 counters[i].name, counters[i].value);
    free(app);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "text/plain; version=0.0.4");
    if (rc < 0)
        evhttp_send_reply(req, 500, "Internal Server Error", NULL);
    else
        evhttp_send_reply(req, 200, "OK", NULL);
}

/* A reply was written in full: the connection has timeout_secs for its next request. */
static void on_reply_sent(struct evhttp_request *req, void *arg)
{
    (void)req;
    deadline_start(arg);
}

/* GET /health, for a connection past the caps too. */
static void send_health(struct evhttp_request *req, bool close)
{
    static const char health[] = "{\"status\":\"ok\"}";
    send_body(req, 200, "OK", health, sizeof health - 1, close);
}

static void on_request(struct evhttp_request *req, void *arg)
{
    rpc_server *s = arg;
    struct rpc_conn *conn = conn_of(s, req);
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
    enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
    bool health = path && strcmp(path, "/health") == 0;
    s->http_requests++;
    if (!conn) {
        send_fault(req, RPC_FAULT_BUSY, NULL);
        return;
    }
    event_del(conn->deadline);
    evhttp_request_set_on_complete_cb(req, on_reply_sent, conn);
    if (!host_ok(s, req))
        send_fault(req, RPC_FAULT_HOST, NULL);
    else if (!conn->admitted && health && cmd == EVHTTP_REQ_GET)
        send_health(req, true);
    else if (!conn->admitted)
        send_fault(req, s->n_conns < s->limits.max_connections ? RPC_FAULT_CLIENT_BUSY : RPC_FAULT_BUSY, NULL);
    else if (path && strcmp(path, "/") == 0 && cmd == EVHTTP_REQ_POST)
        serve_rpc(s, conn, req);
    else if (path && strcmp(path, "/") == 0 && cmd == EVHTTP_REQ_GET && s->page)
        send_page(s, req);
    else if (path && strcmp(path, "/") == 0)
        send_fault(req, RPC_FAULT_METHOD, s->page ? "GET, POST" : "POST");
    else if (health && cmd == EVHTTP_REQ_GET)
        send_health(req, false);
    else if (health)
        send_fault(req, RPC_FAULT_METHOD, "GET");
    else if (path && strcmp(path, "/metrics") == 0 && cmd == EVHTTP_REQ_GET)
        send_metrics(s, req);
    else if (path && strcmp(path, "/metrics") == 0)
        send_fault(req, RPC_FAULT_METHOD, "GET");
    else if (path && strcmp(path, "/events") == 0 && cmd == EVHTTP_REQ_GET)
        open_stream(s, conn, req);
    else if (path && strcmp(path, "/events") == 0)
        send_fault(req, RPC_FAULT_METHOD, "GET");
    else
        send_fault(req, RPC_FAULT_PATH, NULL);
    /* the reply, once given, must be read within the deadline too; a stream and a deferred reply
     * have none */
    if (conn->stream != req && conn->waiting == NULL)
        deadline_start(conn);
}

void rpc_server_set_metrics(rpc_server *s, rpc_metrics_fn fn)
{
    s->metrics = fn;
}

void rpc_server_set_errors(rpc_server *s, rpc_errors_fn fn)
{
    s->errors = fn;
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
    evhttp_set_allowed_methods(s->http, EVHTTP_REQ_POST | EVHTTP_REQ_GET);
    evhttp_set_gencb(s->http, on_request, s);
    evhttp_set_bevcb(s->http, new_bufferevent, s);
    if (!(s->adopt = event_new(base, -1, 0, on_adopt, s)))
        goto fail;
    if (!(s->outbox = evbuffer_new()) || !(s->flush = event_new(base, -1, 0, on_flush, s)))
        goto fail;
    struct timeval every = { .tv_sec = KEEPALIVE_SECS };
    if (!(s->keepalive = event_new(base, -1, EV_PERSIST, on_keepalive, s)) || event_add(s->keepalive, &every) != 0)
        goto fail;
    return s;
fail:
    rpc_server_free(s);
    return NULL;
}

static void on_resume(evutil_socket_t fd, short what, void *arg)
{
    struct rpc_listener *l = arg;
    (void)fd;
    (void)what;
    evconnlistener_enable(l->lev);
}

/* Says on standard error that accept() failed with err, at most once every ACCEPT_REPORT_SECS. */
static void report_accept_error(rpc_server *s, int err)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (s->accept_reported_at.tv_sec && now.tv_sec - s->accept_reported_at.tv_sec < ACCEPT_REPORT_SECS)
        return;
    fprintf(stderr, "rpc: cannot accept connections: %s (%llu failures in all); new connections wait %d ms at a "
            "time\n", strerror(err), (unsigned long long)s->accept_errors, ACCEPT_PAUSE_MS);
    s->accept_reported_at = now;
}

/* accept() failed (libevent retries at once, and forever, unless told otherwise): stop accepting on
 * this socket for ACCEPT_PAUSE_MS. Out of descriptors, the reserve one lets the client waiting
 * first be accepted and closed at once rather than left waiting. */
static void on_accept_error(struct evconnlistener *lev, void *evhttp_arg)
{
    int err = EVUTIL_SOCKET_ERROR();
    (void)evhttp_arg;
    struct rpc_listener *l = all_listeners;
    while (l && l->lev != lev)
        l = l->next_all;
    if (!l)
        return;
    rpc_server *s = l->server;
    evconnlistener_disable(lev);
    if ((err == EMFILE || err == ENFILE) && s->reserve_fd >= 0) {
        close(s->reserve_fd);
        int fd = accept(evconnlistener_get_fd(lev), NULL, NULL);
        if (fd >= 0)
            close(fd);
        s->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    }
    s->accept_errors++;
    report_accept_error(s, err);
    struct timeval pause = { .tv_usec = ACCEPT_PAUSE_MS * 1000 };
    event_add(l->resume, &pause);
}

/* Watches a new listening socket for accept errors. Returns: RPC_OK, RPC_NOMEM. */
static int watch_listener(rpc_server *s, struct evhttp_bound_socket *bound, const struct sockaddr_storage *addr)
{
    struct rpc_listener *l = calloc(1, sizeof *l);
    if (!l || !(l->resume = evtimer_new(s->base, on_resume, l))) {
        free(l);
        return RPC_NOMEM;
    }
    l->server = s;
    l->lev = evhttp_bound_socket_get_listener(bound);
    l->addr = *addr;
    evconnlistener_set_error_cb(l->lev, on_accept_error);
    l->next = s->listeners;
    s->listeners = l;
    l->next_all = all_listeners;
    all_listeners = l;
    return RPC_OK;
}

static void forget_listeners(rpc_server *s)
{
    while (s->listeners) {
        struct rpc_listener *l = s->listeners;
        s->listeners = l->next;
        struct rpc_listener **p = &all_listeners;
        while (*p != l)
            p = &(*p)->next_all;
        *p = l->next_all;
        event_free(l->resume);
        free(l);
    }
}

/* Splits "HOST:PORT" (HOST maybe bracketed, empty for 127.0.0.1). Returns: RPC_OK, RPC_INVALID.
 * Out: host (NUL-terminated, brackets removed), *port. */
static int parse_hostport(const char *hostport, char host[256], uint16_t *port)
{
    const char *colon = strrchr(hostport, ':'), *h = hostport;
    if (!colon)
        return RPC_INVALID;
    size_t hlen = (size_t)(colon - hostport);
    if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']') {
        h++;
        hlen -= 2;
    }
    if (hlen >= 256)
        return RPC_INVALID;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    if (!hlen)
        strcpy(host, "127.0.0.1");
    const char *p = colon + 1;
    unsigned long n = 0;
    size_t digits = strspn(p, "0123456789");
    if (digits == 0 || digits > 5 || p[digits] != '\0' || (n = strtoul(p, NULL, 10)) > 65535)
        return RPC_INVALID;
    *port = (uint16_t)n;
    return RPC_OK;
}

int rpc_address_loopback(const char *hostport, bool *loopback)
{
    char host[256];
    uint16_t port;
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res = NULL;
    if (parse_hostport(hostport, host, &port) != RPC_OK || getaddrinfo(host, NULL, &hints, &res) != 0)
        return RPC_INVALID;
    *loopback = true;
    for (const struct addrinfo *a = res; a; a = a->ai_next) {
        struct sockaddr_storage ss = { 0 };
        memcpy(&ss, a->ai_addr, a->ai_addrlen < sizeof ss ? a->ai_addrlen : sizeof ss);
        *loopback = *loopback && is_loopback(&ss);
    }
    freeaddrinfo(res);
    return RPC_OK;
}

int rpc_server_listen(rpc_server *s, const char *hostport, unsigned *bound_port)
{
    char host[256];
    uint16_t port;
    if (parse_hostport(hostport, host, &port) != RPC_OK)
        return RPC_INVALID;
    struct evhttp_bound_socket *bound =
        evhttp_bind_socket_with_handle(s->http, host, port);
    if (!bound)
        return RPC_IO;
    /* accepted sockets inherit it on Linux: replies leave at once, never behind Nagle */
    int one = 1;
    setsockopt(evhttp_bound_socket_get_fd(bound), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_storage ss;
    socklen_t sslen = sizeof ss;
    if (getsockname(evhttp_bound_socket_get_fd(bound), (struct sockaddr *)&ss, &sslen) != 0) {
        evhttp_del_accept_socket(s->http, bound);
        return RPC_IO;
    }
    if (watch_listener(s, bound, &ss) != RPC_OK) {
        evhttp_del_accept_socket(s->http, bound);
        return RPC_NOMEM;
    }
    if (bound_port)
        *bound_port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                               : ntohs(((struct sockaddr_in *)&ss)->sin_port);
    return RPC_OK;
}

void rpc_server_free(rpc_server *s)
{
    if (!s)
        return;
    if (s->keepalive)
        event_free(s->keepalive);
    if (s->flush)
        event_free(s->flush);
    if (s->outbox)
        evbuffer_free(s->outbox);
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
    forget_listeners(s);
    if (s->reserve_fd >= 0)
        close(s->reserve_fd);
    while (s->waiting) {
        struct rpc_waiting *w = s->waiting;
        unlink_waiting(s, w);
        rpc_exchange_free(w->ex);
        free(w);
    }
    if (s->token) {
        explicit_bzero(s->token, s->token_len);
        free(s->token);
    }
    free(s);
}
