/* SPDX-License-Identifier: MIT */
/* http_load.c: the benches' load generator (see http_load.h). Each thread owns an epoll instance
 * and its share of the connections. A connection is a small state machine: it writes its request
 * (the head's fixed part, formatted once a run, then the request's "Content-Length" digits, laid
 * out before the clock starts, then the body, in one sendmsg), then reads until its answer is whole
 * (the head up to the blank line, then as many bytes as its Content-Length says), counts it and
 * writes the next. Level-triggered epoll: a connection is watched for input all the time and for
 * output only while a request did not fit in the socket's buffer. A thread wakes at least once a
 * second to check the others' failures and its connections' timeouts. */
#include "bench/http_load.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "ledger/status.h"

#define MAX_HEAD 65536          /* an answer's head larger than this fails the run */
#define FIRST_BUFFER 16384
#define EVENTS 64

/* A request's own part of the head: its Content-Length digits and the blank line. */
struct request {
    size_t body_len;
    char tail[28];
    size_t tail_len;
};

struct conn {
    int fd;
    unsigned index;             /* in the caller's conns[] */
    http_load_conn *spec;
    struct request *reqs;       /* spec->n */
    size_t next;                /* the request in flight */
    size_t sent;                /* its bytes written so far */
    bool want_out;              /* watched for output: the request did not fit */
    bool done;                  /* every answer read */
    char *buf;                  /* the answer so far, NUL-terminated once whole */
    size_t cap, len;
    size_t head_len;            /* 0 until the head is whole */
    size_t answer_len;          /* head and body, once the head is whole */
    struct timespec last;       /* the last progress (CLOCK_MONOTONIC_COARSE) */
};

/* What the threads of a run share. */
struct run {
    char prefix[384];           /* "POST path HTTP/1.1 ... Content-Length: " */
    size_t prefix_len;
    unsigned timeout_secs;
    size_t (*successes)(const char *answer);
    atomic_bool failed;
    int status;                 /* the first failure's */
    pthread_mutex_t err_lock;
    char *err;
    size_t errcap;
};

struct worker {
    struct run *run;
    struct conn *conns;         /* this thread's: every threads-th of the run's */
    size_t n;
    double cpu_s;
    int rc;
    pthread_t thread;
};

/* Records the run's first failure (its status and message) and tells every thread to stop;
 * returns status. */
static int fail(struct run *r, int status, const char *fmt, ...) PRINTF_LIKE(3, 4);
static int fail(struct run *r, int status, const char *fmt, ...)
{
    pthread_mutex_lock(&r->err_lock);
    if (!atomic_load(&r->failed)) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->err, r->errcap, fmt, ap);
        va_end(ap);
        r->status = status;
        atomic_store(&r->failed, true);
    }
    pthread_mutex_unlock(&r->err_lock);
    return status;
}

static double seconds(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Splits "http://A.B.C.D:PORT/PATH" into the address, the Host header's value and the path. */
static int parse_url(const char *url, struct sockaddr_in *sa, char *host, size_t host_cap, const char **path)
{
    static const char scheme[] = "http://";
    if (strncmp(url, scheme, sizeof scheme - 1) != 0)
        return -1;
    const char *h = url + sizeof scheme - 1, *colon = strchr(h, ':');
    if (!colon || (size_t)(colon - h) >= 16)
        return -1;
    char ip[16];
    memcpy(ip, h, (size_t)(colon - h));
    ip[colon - h] = '\0';
    char *end;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (end == colon + 1 || port == 0 || port > 65535 || (*end && *end != '/'))
        return -1;
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, ip, &sa->sin_addr) != 1)
        return -1;
    if ((size_t)snprintf(host, host_cap, "%.*s", (int)(end - h), h) >= host_cap)
        return -1;
    *path = *end ? end : "/";
    return 0;
}

/* A blocking connect, then the socket made non-blocking with Nagle's algorithm off. */
static int open_conn(const struct sockaddr_in *sa)
{
    int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int flags;
    if (connect(fd, (const struct sockaddr *)sa, sizeof *sa) != 0
        || setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0 || (flags = fcntl(fd, F_GETFL)) < 0
        || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int watch(struct run *r, int ep, struct conn *c, bool out)
{
    struct epoll_event ev = { .events = EPOLLIN | (out ? EPOLLOUT : 0), .data.ptr = c };
    if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) != 0)
        return fail(r, ST_IO, "connection %u: epoll_ctl: %s", c->index, strerror(errno));
    c->want_out = out;
    return 0;
}

/* Writes what is left of the request in flight; watches for output while some of it is left. */
static int send_request(struct run *r, int ep, struct conn *c)
{
    struct request *q = &c->reqs[c->next];
    struct iovec iov[3] = { { r->prefix, r->prefix_len },
                            { q->tail, q->tail_len },
                            { c->spec->bodies[c->next], q->body_len } };
    size_t total = r->prefix_len + q->tail_len + q->body_len;
    while (c->sent < total) {
        struct iovec *v = iov;
        int nv = 3;
        for (size_t skip = c->sent; skip;) {
            if (skip >= v->iov_len) {
                skip -= v->iov_len;
                v++, nv--;
            } else {
                v->iov_base = (char *)v->iov_base + skip;
                v->iov_len -= skip;
                skip = 0;
            }
        }
        struct msghdr msg = { .msg_iov = v, .msg_iovlen = (size_t)nv };
        ssize_t w = sendmsg(c->fd, &msg, MSG_NOSIGNAL); /* a closed connection fails the run, not the process */
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return c->want_out ? 0 : watch(r, ep, c, true);
        if (w < 0)
            return fail(r, ST_IO, "connection %u, request %zu: write: %s", c->index, c->next, strerror(errno));
        c->sent += (size_t)w;
        iov[0] = (struct iovec){ r->prefix, r->prefix_len };
        iov[1] = (struct iovec){ q->tail, q->tail_len };
        iov[2] = (struct iovec){ c->spec->bodies[c->next], q->body_len };
    }
    return c->want_out ? watch(r, ep, c, false) : 0;
}

/* The value of header name (lower case, with its colon) in head's lines, or NULL. */
static const char *header(const char *head, size_t head_len, const char *name)
{
    size_t name_len = strlen(name);
    const char *end = head + head_len;
    for (const char *line = memchr(head, '\n', head_len); line && line + 1 < end;
         line = memchr(line + 1, '\n', (size_t)(end - line - 1))) {
        line++;
        if ((size_t)(end - line) > name_len && strncasecmp(line, name, name_len) == 0) {
            const char *v = line + name_len;
            while (*v == ' ' || *v == '\t')
                v++;
            return v;
        }
    }
    return NULL;
}

/* Checks a whole head (buf[0..head_len), ending with the blank line) and sets answer_len. */
static int read_head(struct run *r, struct conn *c)
{
    static const char ok[] = "HTTP/1.1 200 ";
    if (strncmp(c->buf, ok, sizeof ok - 1) != 0)
        return fail(r, ST_IO, "connection %u, request %zu: the answer is not HTTP/1.1 200: %.*s", c->index, c->next,
                    (int)strcspn(c->buf, "\r\n"), c->buf);
    if (header(c->buf, c->head_len, "transfer-encoding:"))
        return fail(r, ST_IO, "connection %u, request %zu: a Transfer-Encoding answer (only Content-Length is read)", c->index,
                    c->next);
    const char *close_hdr = header(c->buf, c->head_len, "connection:");
    if (close_hdr && strncasecmp(close_hdr, "close", 5) == 0 && c->next + 1 < c->spec->n)
        return fail(r, ST_IO, "connection %u, request %zu: the server closes the connection (Connection: close)", c->index,
                    c->next);
    const char *length = header(c->buf, c->head_len, "content-length:");
    char *end;
    unsigned long long body_len = length ? strtoull(length, &end, 10) : 0;
    if (!length || end == length || (*end != '\r' && *end != '\n' && *end != ' '))
        return fail(r, ST_IO, "connection %u, request %zu: an answer without a Content-Length", c->index, c->next);
    if (body_len > (1ull << 31))
        return fail(r, ST_IO, "connection %u, request %zu: an answer of %llu bytes", c->index, c->next, body_len);
    c->answer_len = c->head_len + (size_t)body_len;
    if (c->answer_len + 1 > c->cap) {
        char *b = realloc(c->buf, c->answer_len + 1);
        if (!b)
            return fail(r, ST_NOMEM, "out of memory");
        c->buf = b;
        c->cap = c->answer_len + 1;
    }
    return 0;
}

/* Counts a whole answer and sends the next request, if any. */
static int answered(struct run *r, int ep, struct conn *c)
{
    char *body = c->buf + c->head_len;
    c->buf[c->answer_len] = '\0';
    c->spec->ok += c->spec->expect ? strstr(body, c->spec->expect) != NULL : r->successes(body);
    c->len = c->head_len = c->answer_len = 0;
    c->sent = 0;
    if (++c->next == c->spec->n) {
        c->done = true;
        return 0;
    }
    return send_request(r, ep, c);
}

/* Reads what the server sent until the answer is whole or the socket is empty. */
static int receive(struct run *r, int ep, struct conn *c)
{
    for (;;) {
        if (c->cap - c->len < FIRST_BUFFER / 4 && !c->head_len) {
            if (c->cap >= MAX_HEAD)
                return fail(r, ST_IO, "connection %u, request %zu: an answer's head over %d bytes", c->index, c->next,
                            MAX_HEAD);
            char *b = realloc(c->buf, c->cap * 2);
            if (!b)
                return fail(r, ST_NOMEM, "out of memory");
            c->buf = b;
            c->cap *= 2;
        }
        size_t room = (c->head_len ? c->answer_len : c->cap - 1) - c->len;
        ssize_t got = read(c->fd, c->buf + c->len, room ? room : 1);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        if (got < 0)
            return fail(r, ST_IO, "connection %u, request %zu: read: %s", c->index, c->next, strerror(errno));
        if (got == 0)
            return fail(r, ST_IO, "connection %u: the server closed it %s request %zu's answer", c->index,
                        c->len ? "in the middle of" : "before", c->next);
        if (c->done || c->sent == 0)
            return fail(r, ST_IO, "connection %u: bytes from the server before a request", c->index);
        c->len += (size_t)got;
        clock_gettime(CLOCK_MONOTONIC_COARSE, &c->last);
        if (!c->head_len) {
            c->buf[c->len] = '\0';
            char *blank = strstr(c->buf, "\r\n\r\n");
            if (!blank)
                continue;
            c->head_len = (size_t)(blank - c->buf) + 4;
            if (read_head(r, c) != 0)
                return -1;
        }
        if (c->len > c->answer_len)
            return fail(r, ST_IO, "connection %u, request %zu: bytes beyond the answer's Content-Length", c->index, c->next);
        if (c->len == c->answer_len)
            return answered(r, ep, c);
    }
}

/* Fails the run if a connection still waiting heard nothing for the timeout. */
static int check_timeouts(struct run *r, struct worker *w, const struct timespec *now)
{
    for (size_t i = 0; i < w->n; i++) {
        const struct conn *c = &w->conns[i];
        if (!c->done && now->tv_sec - c->last.tv_sec > (time_t)r->timeout_secs)
            return fail(r, ST_IO, "connection %u, request %zu: no answer for %u s", c->index, c->next, r->timeout_secs);
    }
    return 0;
}

static void *drive(void *arg)
{
    struct worker *w = arg;
    struct run *r = w->run;
    double cpu0 = seconds(CLOCK_THREAD_CPUTIME_ID);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    size_t left = w->n;
    struct timespec now, checked;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
    checked = now;
    if (ep < 0)
        w->rc = fail(r, ST_IO, "epoll_create1: %s", strerror(errno));
    for (size_t i = 0; i < w->n && !w->rc; i++) {
        struct conn *c = &w->conns[i];
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
        c->last = now;
        if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) != 0)
            w->rc = fail(r, ST_IO, "epoll_ctl: %s", strerror(errno));
        else if (c->spec->n == 0)
            c->done = true, left--;
        else
            w->rc = send_request(r, ep, c);
    }
    while (!w->rc && left && !atomic_load(&r->failed)) {
        struct epoll_event events[EVENTS];
        int n = epoll_wait(ep, events, EVENTS, 1000);
        if (n < 0 && errno != EINTR) {
            w->rc = fail(r, ST_IO, "epoll_wait: %s", strerror(errno));
            break;
        }
        for (int i = 0; i < n && !w->rc; i++) {
            struct conn *c = events[i].data.ptr;
            if (c->done)
                continue;
            if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
                w->rc = receive(r, ep, c);
            else if (events[i].events & EPOLLOUT)
                w->rc = send_request(r, ep, c);
            /* a finished connection is no longer watched: the server may close it when idle */
            if (!w->rc && c->done) {
                left--;
                epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
            }
        }
        clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
        if (!w->rc && now.tv_sec != checked.tv_sec) {
            checked = now;
            w->rc = check_timeouts(r, w, &now);
        }
    }
    if (!w->rc && atomic_load(&r->failed))
        w->rc = -1;
    if (ep >= 0)
        close(ep);
    w->cpu_s = seconds(CLOCK_THREAD_CPUTIME_ID) - cpu0;
    return NULL;
}

/* Lays out every request of conns[0..count) and opens their connections; c[i] is conns[i]'s. */
static int prepare(struct run *r, const struct sockaddr_in *sa, http_load_conn *conns, unsigned count, struct conn *c)
{
    for (unsigned i = 0; i < count; i++) {
        c[i] = (struct conn){ .fd = -1, .index = i, .spec = &conns[i], .cap = FIRST_BUFFER };
        conns[i].ok = 0;
        if (!(c[i].reqs = calloc(conns[i].n ? conns[i].n : 1, sizeof *c[i].reqs)) || !(c[i].buf = malloc(c[i].cap)))
            return fail(r, ST_NOMEM, "out of memory");
        for (size_t k = 0; k < conns[i].n; k++) {
            struct request *q = &c[i].reqs[k];
            q->body_len = strlen(conns[i].bodies[k]);
            q->tail_len = (size_t)snprintf(q->tail, sizeof q->tail, "%zu\r\n\r\n", q->body_len);
        }
        if ((c[i].fd = open_conn(sa)) < 0)
            return fail(r, ST_IO, "connection %u: connect: %s", i, strerror(errno));
    }
    return 0;
}

int http_load_run(const char *url, http_load_conn *conns, unsigned count, unsigned threads, unsigned timeout_secs,
                  size_t (*successes)(const char *answer), http_load_stats *stats, char *err, size_t errcap)
{
    struct run r = { .timeout_secs = timeout_secs, .successes = successes, .err = err, .errcap = errcap };
    struct sockaddr_in sa;
    char host[64];
    const char *path;
    struct conn *c = calloc(count ? count : 1, sizeof *c);
    struct conn *ordered = NULL;
    struct worker w[2] = { 0 };
    unsigned spawned = 0;
    double t0;
    int rc = ST_IO;
    *stats = (http_load_stats){ 0 };
    atomic_init(&r.failed, false);
    pthread_mutex_init(&r.err_lock, NULL);
    if (errcap)
        err[0] = '\0';
    if (threads < 1 || threads > 2) {
        fail(&r, ST_INVALID, "1 or 2 threads, not %u", threads);
        goto out;
    }
    if (!c) {
        fail(&r, ST_NOMEM, "out of memory");
        goto out;
    }
    for (unsigned i = 0; i < count; i++)
        c[i].fd = -1;
    if (parse_url(url, &sa, host, sizeof host, &path) != 0) {
        fail(&r, ST_INVALID, "not an http://A.B.C.D:PORT/ URL: %s", url);
        goto out;
    }
    int len = snprintf(r.prefix, sizeof r.prefix,
                       "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: ", path, host);
    if (len < 0 || (size_t)len >= sizeof r.prefix) {
        fail(&r, ST_INVALID, "a path too long: %s", path);
        goto out;
    }
    r.prefix_len = (size_t)len;
    if (prepare(&r, &sa, conns, count, c) != 0)
        goto out;
    /* thread t drives connections t, t + threads, ...: gather them so each thread's are adjacent */
    if (!(ordered = calloc(count ? count : 1, sizeof *ordered))) {
        fail(&r, ST_NOMEM, "out of memory");
        goto out;
    }
    for (unsigned t = 0, k = 0; t < threads; t++) {
        w[t] = (struct worker){ .run = &r, .conns = ordered + k };
        for (unsigned i = t; i < count; i += threads, k++)
            ordered[k] = c[i], w[t].n++;
    }
    free(c);
    c = ordered;
    t0 = seconds(CLOCK_MONOTONIC);
    for (unsigned t = 1; t < threads; t++, spawned++)
        if (pthread_create(&w[t].thread, NULL, drive, &w[t]) != 0) {
            fail(&r, ST_IO, "pthread_create");
            break;
        }
    drive(&w[0]);
    for (unsigned t = 1; t <= spawned; t++)
        pthread_join(w[t].thread, NULL);
    stats->wall_s = seconds(CLOCK_MONOTONIC) - t0;
    for (unsigned t = 0; t < threads; t++)
        stats->cpu_s += w[t].cpu_s;
    rc = ST_OK;
out:
    if (atomic_load(&r.failed))
        rc = r.status;
    for (unsigned i = 0; c && i < count; i++) {
        if (c[i].fd >= 0)
            close(c[i].fd);
        free(c[i].reqs);
        free(c[i].buf);
    }
    free(c);
    pthread_mutex_destroy(&r.err_lock);
    return rc;
}
