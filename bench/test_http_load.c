/* SPDX-License-Identifier: MIT */
/* test_http_load.c: the benches' load generator (bench/http_load.h) against a scripted server on a
 * loopback port: a thread that accepts the client's connections and answers each request in the
 * way the test asks (a 200 with a Content-Length, small or of a megabyte; another status; a chunked
 * answer; none at all; a closed connection). The client must count what the answers hold, post
 * every body in order with its head, and end every other case with an error, never a hang. */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "bench/http_load.h"
#include "ledger/status.h"

enum answer { OK_WHOLE, OK_SPLIT, STATUS_500, CHUNKED, NO_LENGTH, CLOSE, SILENT };

#define MAX_CONNS 4
#define BIG_ANSWER (1 << 20)

struct server {
    int listen_fd;
    unsigned conns;
    enum answer answer;
    char url[64];
    pthread_t thread;
    char *received[MAX_CONNS];  /* each connection's request bodies, one after another */
    size_t received_len[MAX_CONNS];
    unsigned requests[MAX_CONNS];
    bool heads_ok;              /* every request's head was the expected one */
};

static const char answer_body[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"status\":\"success\"}}";

static bool read_full(int fd, char *buf, size_t n)
{
    for (size_t got = 0; got < n;) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r <= 0)
            return false;
        got += (size_t)r;
    }
    return true;
}

static bool write_n(int fd, const char *buf, size_t n)
{
    for (size_t put = 0; put < n;) {
        ssize_t w = write(fd, buf + put, n - put);
        if (w <= 0)
            return false;
        put += (size_t)w;
    }
    return true;
}

static void write_all(int fd, const char *text)
{
    cr_assert(write_n(fd, text, strlen(text)));
}

/* Reads one request (its head a byte at a time, then its body); false once the client closed. */
static bool read_request(struct server *s, unsigned i, int fd)
{
    char head[1024];
    size_t len = 0;
    while (len < 4 || memcmp(head + len - 4, "\r\n\r\n", 4) != 0) {
        if (len == sizeof head - 1 || read(fd, head + len, 1) != 1)
            return false;
        len++;
    }
    head[len] = '\0';
    const char *cl = strstr(head, "\r\nContent-Length: ");
    size_t body_len = cl ? strtoul(cl + 18, NULL, 10) : 0;
    char want[200];
    int host_len = (int)(strrchr(s->url, '/') - s->url) - (int)strlen("http://");
    snprintf(want, sizeof want,
             "POST / HTTP/1.1\r\nHost: %.*s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n", host_len,
             s->url + strlen("http://"), body_len);
    if (strcmp(head, want) != 0)
        s->heads_ok = false;
    s->received[i] = realloc(s->received[i], s->received_len[i] + body_len + 1);
    cr_assert_not_null(s->received[i]);
    if (!read_full(fd, s->received[i] + s->received_len[i], body_len))
        return false;
    s->received_len[i] += body_len;
    s->received[i][s->received_len[i]] = '\0';
    s->requests[i]++;
    return true;
}

static void answer(const struct server *s, int fd)
{
    char text[512];
    switch (s->answer) {
    case OK_WHOLE:
        snprintf(text, sizeof text, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                 strlen(answer_body), answer_body);
        write_all(fd, text);
        break;
    case OK_SPLIT: /* a head in a write of its own, then a body of a megabyte: many reads */
        snprintf(text, sizeof text, "HTTP/1.1 200 OK\r\ncontent-length: %zu\r\n\r\n", (size_t)BIG_ANSWER);
        write_all(fd, text);
        char *big = malloc(BIG_ANSWER);
        cr_assert_not_null(big);
        memset(big, ' ', BIG_ANSWER);
        memcpy(big, "{\"result\":1", 11);
        big[BIG_ANSWER - 1] = '}';
        cr_assert(write_n(fd, big, BIG_ANSWER));
        free(big);
        break;
    case STATUS_500:
        write_all(fd, "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 2\r\n\r\n{}");
        break;
    case CHUNKED:
        write_all(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n");
        break;
    case NO_LENGTH:
        write_all(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{}");
        break;
    case CLOSE:
    case SILENT:
        break;
    }
}

/* Accepts the client's connections (it opens them all before its first request), then answers
 * whichever has a request until the client has closed them all. */
static void *serve(void *arg)
{
    struct server *s = arg;
    struct pollfd p[MAX_CONNS];
    for (unsigned i = 0; i < s->conns; i++) {
        cr_assert_geq(p[i].fd = accept(s->listen_fd, NULL, NULL), 0);
        p[i].events = POLLIN;
    }
    for (unsigned open = s->conns; open;) {
        cr_assert_gt(poll(p, s->conns, -1), 0);
        for (unsigned i = 0; i < s->conns; i++) {
            if (p[i].fd < 0 || !p[i].revents)
                continue;
            if (read_request(s, i, p[i].fd) && s->answer != CLOSE) {
                answer(s, p[i].fd);
                continue;
            }
            close(p[i].fd);
            p[i].fd = -1;
            open--;
        }
    }
    return NULL;
}

static void server_start(struct server *s, unsigned conns, enum answer a)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof sa;
    *s = (struct server){ .conns = conns, .answer = a, .heads_ok = true };
    cr_assert_geq(s->listen_fd = socket(AF_INET, SOCK_STREAM, 0), 0);
    cr_assert_eq(bind(s->listen_fd, (struct sockaddr *)&sa, sizeof sa), 0);
    cr_assert_eq(listen(s->listen_fd, 16), 0);
    cr_assert_eq(getsockname(s->listen_fd, (struct sockaddr *)&sa, &len), 0);
    snprintf(s->url, sizeof s->url, "http://127.0.0.1:%u/", ntohs(sa.sin_port));
    cr_assert_eq(pthread_create(&s->thread, NULL, serve, s), 0);
}

/* Waits for the server to have served every connection to its end. */
static void server_stop(struct server *s)
{
    pthread_join(s->thread, NULL);
    close(s->listen_fd);
}

static void server_free(struct server *s)
{
    for (unsigned i = 0; i < MAX_CONNS; i++)
        free(s->received[i]);
}

static size_t successes(const char *answer)
{
    return strstr(answer, "\"status\":\"success\"") != NULL;
}

/* Runs the client over conns connections of n bodies each ("[c,k]", and one body of big bytes at
 * the end when big > 0) against server s; returns http_load_run's status. */
static int run(struct server *s, unsigned conns, size_t n, size_t big, unsigned threads, const char *expect,
               http_load_conn *c, char *err, size_t errcap)
{
    static char *bodies[MAX_CONNS][8];
    http_load_stats stats;
    cr_assert_leq(n, 7);
    for (unsigned i = 0; i < conns; i++) {
        for (size_t k = 0; k < n; k++) {
            cr_assert_not_null(bodies[i][k] = malloc(32));
            snprintf(bodies[i][k], 32, "[%u,%zu]", i, k);
        }
        if (big) {
            cr_assert_not_null(bodies[i][n] = malloc(big + 1));
            memset(bodies[i][n], 'x', big);
            bodies[i][n][big] = '\0';
        }
        c[i] = (http_load_conn){ .bodies = bodies[i], .n = n + (big > 0), .expect = expect };
    }
    int rc = http_load_run(s->url, c, conns, threads, 1, successes, &stats, err, errcap);
    if (rc == ST_OK) {
        cr_expect_gt(stats.wall_s, 0);
        cr_expect_geq(stats.cpu_s, 0);
    }
    for (unsigned i = 0; i < conns; i++)
        for (size_t k = 0; k < c[i].n; k++)
            free(bodies[i][k]);
    return rc;
}

Test(http_load, posts_every_body_in_order_and_counts_the_answers)
{
    struct server s;
    http_load_conn c[1];
    char err[256];
    server_start(&s, 1, OK_WHOLE);
    cr_assert_eq(run(&s, 1, 5, 0, 1, NULL, c, err, sizeof err), ST_OK, "%s", err);
    server_stop(&s);
    cr_expect_eq(c[0].ok, 5);
    cr_expect_eq(s.requests[0], 5);
    cr_expect_str_eq(s.received[0], "[0,0][0,1][0,2][0,3][0,4]");
    cr_expect(s.heads_ok, "a request's head was not POST / HTTP/1.1, Host, Content-Type, Content-Length");
    server_free(&s);
}

Test(http_load, answers_and_requests_larger_than_the_socket_buffers)
{
    struct server s;
    http_load_conn c[1];
    char err[256];
    server_start(&s, 1, OK_SPLIT);
    cr_assert_eq(run(&s, 1, 2, 4 << 20, 1, "\"result\"", c, err, sizeof err), ST_OK, "%s", err);
    server_stop(&s);
    cr_expect_eq(c[0].ok, 3);
    cr_expect_eq(s.requests[0], 3);
    cr_expect_eq(s.received_len[0], strlen("[0,0][0,1]") + (4 << 20));
    cr_expect(s.heads_ok);
    server_free(&s);
}

Test(http_load, several_connections_on_two_threads)
{
    struct server s;
    http_load_conn c[MAX_CONNS];
    char err[256];
    server_start(&s, MAX_CONNS, OK_WHOLE);
    cr_assert_eq(run(&s, MAX_CONNS, 3, 0, 2, NULL, c, err, sizeof err), ST_OK, "%s", err);
    server_stop(&s);
    for (unsigned i = 0; i < MAX_CONNS; i++) {
        char want[32];
        snprintf(want, sizeof want, "[%u,0][%u,1][%u,2]", i, i, i);
        cr_expect_eq(c[i].ok, 3);
        cr_expect_str_eq(s.received[i], want);
    }
    cr_expect(s.heads_ok);
    server_free(&s);
}

Test(http_load, an_expect_not_in_the_answer_is_not_counted)
{
    struct server s;
    http_load_conn c[1];
    char err[256];
    server_start(&s, 1, OK_WHOLE);
    cr_assert_eq(run(&s, 1, 2, 0, 1, "\"error\"", c, err, sizeof err), ST_OK, "%s", err);
    server_stop(&s);
    cr_expect_eq(c[0].ok, 0);
    server_free(&s);
}

/* Runs one connection of two requests against a server answering a, and expects an error holding
 * what. */
static void expect_failure(enum answer a, const char *what)
{
    struct server s;
    http_load_conn c[1];
    char err[256];
    server_start(&s, 1, a);
    cr_assert_eq(run(&s, 1, 2, 0, 1, NULL, c, err, sizeof err), ST_IO);
    server_stop(&s);
    server_free(&s);
    cr_expect(strstr(err, what) != NULL, "error \"%s\" should say \"%s\"", err, what);
}

Test(http_load, a_status_other_than_200_fails)
{
    expect_failure(STATUS_500, "not HTTP/1.1 200: HTTP/1.1 500 Internal Server Error");
}

Test(http_load, a_chunked_answer_fails)
{
    expect_failure(CHUNKED, "Transfer-Encoding");
}

Test(http_load, an_answer_without_content_length_fails)
{
    expect_failure(NO_LENGTH, "without a Content-Length");
}

Test(http_load, a_connection_the_server_closes_fails)
{
    expect_failure(CLOSE, "the server closed it before request 0's answer");
}

Test(http_load, a_silent_server_fails_after_the_timeout, .timeout = 10)
{
    expect_failure(SILENT, "request 0: no answer for 1 s");
}

Test(http_load, bad_arguments_and_a_refused_connection_fail)
{
    http_load_conn c = { .bodies = NULL, .n = 0 };
    http_load_stats stats;
    char err[256];
    cr_expect_eq(http_load_run("http://localhost:80/", &c, 1, 1, 1, successes, &stats, err, sizeof err), ST_INVALID);
    cr_expect(strstr(err, "not an http://A.B.C.D:PORT/ URL") != NULL, "%s", err);
    cr_expect_eq(http_load_run("http://127.0.0.1:1/", &c, 1, 3, 1, successes, &stats, err, sizeof err), ST_INVALID);
    cr_expect(strstr(err, "1 or 2 threads") != NULL, "%s", err);
    cr_expect_eq(http_load_run("http://127.0.0.1:1/", &c, 1, 1, 1, successes, &stats, err, sizeof err), ST_IO);
    cr_expect(strstr(err, "connection 0: connect: Connection refused") != NULL, "%s", err);
}
