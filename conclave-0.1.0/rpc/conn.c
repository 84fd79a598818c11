/* SPDX-License-Identifier: MIT */
/* conn.c: the server's sockets and connections, below the request handling of http.c:
 * - listening: rpc_server_listen binds "HOST:PORT"; when accept() fails (out of descriptors),
 *   accepting pauses for ACCEPT_PAUSE_MS, a reserve descriptor lets the waiting client be closed
 *   rather than left waiting, and standard error hears of it once per ACCEPT_REPORT_SECS;
 * - accounting: every accepted connection is counted from its acceptance to its close callback;
 *   within max_connections and max_client_connections it is admitted, past them it may still ask
 *   GET /health (the newest HEALTH_SLOTS of them);
 * - deadlines: each connection has timeout_secs to send a whole request;
 * - addresses: which Host headers name this node (DNS rebinding), and which addresses are loopback.
 * When a connection closes, its deferred exchange is detached (finishing it later is safe) and its
 * event stream uncounted. */
#include "rpc/rpc_int.h"

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HEALTH_SLOTS 16 /* connections past the caps that may still ask GET /health, then close */
#define ACCEPT_PAUSE_MS 100 /* accepting stops this long after accept() failed (out of descriptors) */
#define ACCEPT_REPORT_SECS 10 /* at most one line on standard error in this time about failed accepts */

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

/* (Re)starts the time the connection has to send its next request in full. */
void rpc_conn_deadline_start(struct rpc_conn *conn)
{
    struct timeval t = { .tv_sec = conn->server->limits.timeout_secs };
    event_add(conn->deadline, &t);
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
 * bufferevent with rpc_conn_new_bufferevent and passes the connection as that bufferevent's callback
 * argument (http.c, evhttp_get_request_connection and evhttp_start_read_). Runs in the same turn
 * of the loop as the accept, before the connection can be read. */
void rpc_conn_adopt(evutil_socket_t fd, short what, void *arg)
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
        rpc_conn_deadline_start(c);
    }
    s->unadopted = NULL;
}

/* evhttp's bufferevent for each accepted connection: noted, to be adopted by rpc_conn_adopt. */
struct bufferevent *rpc_conn_new_bufferevent(struct event_base *base, void *arg)
{
    rpc_server *s = arg;
    struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    struct rpc_conn *c = bev ? calloc(1, sizeof *c) : NULL;
    if (!c)
        return bev; /* out of memory: not adopted, its first request is refused */
    c->server = s;
    c->bev = bev;
    /* kept until rpc_conn_adopt, so that it can tell whether evhttp let go of it already */
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
struct rpc_conn *rpc_conn_of(rpc_server *s, struct evhttp_request *req)
{
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    for (struct rpc_conn *c = s->conns; c; c = c->next)
        if (c->evcon == evcon)
            return c;
    return NULL;
}

bool rpc_conn_loopback(const struct rpc_conn *c)
{
    return is_loopback(&c->peer);
}

/* Returns: whether host, a Host header (a name or an IP literal, IPv6 bracketed, maybe with a
 * port), names this node by something a DNS answer cannot make point elsewhere: localhost, a
 * loopback address, or an address the server listens on (any IP literal when it listens on a
 * wildcard address). A page from another site that had its name resolve to this node (DNS
 * rebinding) sends that name, and is refused. */
bool rpc_host_allowed(const rpc_server *s, const char *host)
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

void rpc_listeners_forget(rpc_server *s)
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
