/* SPDX-License-Identifier: MIT */
/* test_events.c: GET /events of a real conclaved --dev, read over a raw loopback socket as a
 * dashboard would: the stream's headers, a "block" event for each block with its transactions, the
 * receipt events under their area ("ledger" for a Transfer, "staking", "governance" for a
 * proposal and a poll's ballot), a wrong method refused, and the cap on open streams (opened from four loopback
 * addresses, within the cap of connections from one). Reads wait on poll with a
 * deadline; nothing sleeps. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "tests/lib/node.h"

#define MAX_STREAMS 64            /* rpc_limits_default */
#define STREAM_BUF (1u << 16)

static th_node *const node = &th_suite_node;

TestSuite(integration_events, .init = th_suite_node_start, .fini = th_suite_node_stop, .timeout = 60);

/* An open HTTP connection and what has been read from it. */
struct stream {
    int fd;
    char buf[STREAM_BUF];
    size_t len;
};

/* Opens a connection from 127.0.0.<host> (the node takes at most 32 from one address). */
static void stream_open_from(struct stream *s, const char *method, unsigned host)
{
    s->len = 0;
    s->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cr_assert_geq(s->fd, 0, "socket");
    struct sockaddr_in from = { .sin_family = AF_INET };
    from.sin_addr.s_addr = htonl(INADDR_LOOPBACK + host - 1);
    cr_assert_eq(bind(s->fd, (struct sockaddr *)&from, sizeof from), 0, "bind to 127.0.0.%u", host);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)node->port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(connect(s->fd, (struct sockaddr *)&a, sizeof a), 0, "connect");
    char req[128];
    int n = snprintf(req, sizeof req, "%s /events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n", method);
    cr_assert_eq(write(s->fd, req, (size_t)n), n, "send the request");
}

static void stream_open(struct stream *s, const char *method)
{
    stream_open_from(s, method, 1);
}

/* Reads until text appears after offset from (10 s at most). Returns where it starts. */
static const char *stream_wait(struct stream *s, size_t from, const char *text)
{
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        s->buf[s->len] = 0;
        const char *at = strstr(s->buf + from, text);
        if (at)
            return at;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long left = 10000 - ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000);
        cr_assert_gt(left, 0, "\"%s\" on the stream in time; got: %s", text, s->buf + from);
        struct pollfd p = { .fd = s->fd, .events = POLLIN };
        cr_assert_geq(poll(&p, 1, (int)left), 0, "poll");
        if (!p.revents)
            continue;
        cr_assert_lt(s->len, STREAM_BUF - 1, "stream buffer full");
        ssize_t n = read(s->fd, s->buf + s->len, STREAM_BUF - 1 - s->len);
        cr_assert_gt(n, 0, "the stream stays open while waiting for \"%s\"", text);
        s->len += (size_t)n;
    }
}

static void send_tx(const char *type, const char *message, unsigned key, uint64_t nonce)
{
    char *params = th_sign_params(type, message, key, nonce);
    cJSON *resp = th_call(node, "tx_send", params);
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(resp, "result"), "status");
    cr_assert(cJSON_IsString(status) && strcmp(status->valuestring, "success") == 0, "%s: %s", type,
              cJSON_PrintUnformatted(resp));
    cJSON_Delete(resp);
    free(params);
}

Test(integration_events, blocks_and_their_events_stream_by_area)
{
    struct stream s;
    stream_open(&s, "GET");
    stream_wait(&s, 0, "\r\n\r\n");
    cr_assert(strstr(s.buf, "200 OK") && strstr(s.buf, "Content-Type: text/event-stream"), "headers: %s", s.buf);
    size_t mark = s.len;

    char *params = th_transfer_params(0, 1, "5", 0, 31337);
    cJSON *resp = th_call(node, "tx_send", params);
    free(params);
    const cJSON *block = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(resp, "result"), "block");
    cr_assert(cJSON_IsNumber(block), "a receipt: %s", cJSON_PrintUnformatted(resp));
    char want[64];
    snprintf(want, sizeof want, "event: block\ndata: {\"height\":%d,", (int)block->valuedouble);
    cJSON_Delete(resp);
    const char *at = stream_wait(&s, mark, want);
    cr_assert(strstr(at, "\"type\":\"Transfer\",\"success\":true"), "its transaction: %s", at);
    at = stream_wait(&s, mark, "event: ledger\ndata: {\"type\":\"Transfer\"");
    cr_assert(strstr(at, "\"amount\":\"5\""), "the transfer's event: %s", at);

    mark = s.len;
    send_tx("PoolCreate", "{\"commissionPpm\":\"0\",\"capacity\":\"1000000000000000000000000\"}", 0, 1);
    send_tx("Contribute", "{\"pool\":\"1\",\"amount\":\"200000000000000000000\"}", 0, 2);
    stream_wait(&s, mark, "event: staking\ndata: {\"type\":\"PoolCreated\"");
    stream_wait(&s, mark, "event: staking\ndata: {\"type\":\"Contributed\"");
    send_tx("Propose", "{\"track\":\"treasury\",\"title\":\"t\",\"body\":\"b\",\"payload\":\"0x\"}", 0, 3);
    at = stream_wait(&s, mark, "event: governance\ndata: {\"type\":\"ProposalCreated\"");
    cr_assert(strstr(at, "\"proposal\":1"), "the proposal's event: %s", at);
    /* a poll's ballot is governance's too: {"kind":"poll","system":"approval","choices":["a","b"]} */
    send_tx("Propose", "{\"track\":\"signal\",\"title\":\"p\",\"body\":\"\",\"payload\":\"0x7b226b696e64223a22706f6c6c222c2273797374656d223a"
            "22617070726f76616c222c2263686f69636573223a5b2261222c2262225d7d\"}", 0, 4);
    th_node_advance(node, 3600);
    mark = s.len;
    send_tx("Ballot", "{\"proposal\":\"2\",\"choice\":\"[2]\",\"conviction\":\"1\"}", 0, 5);
    at = stream_wait(&s, mark, "event: governance\ndata: {\"type\":\"BallotCast\"");
    cr_assert(strstr(at, "\"choice\":\"[2]\""), "the ballot's event: %s", at);
    close(s.fd);
}

Test(integration_events, a_wrong_method_and_too_many_streams_are_refused)
{
    struct stream post;
    stream_open(&post, "POST");
    stream_wait(&post, 0, "405 Method Not Allowed");
    close(post.fd);

    static struct stream open[MAX_STREAMS + 1];
    for (unsigned i = 0; i < MAX_STREAMS; i++) {
        stream_open_from(&open[i], "GET", 1 + i % 4);
        stream_wait(&open[i], 0, "text/event-stream");
    }
    stream_open(&open[MAX_STREAMS], "GET");
    stream_wait(&open[MAX_STREAMS], 0, "503 Service Unavailable");
    close(open[MAX_STREAMS].fd);
    /* a closed stream frees its place */
    close(open[0].fd);
    for (unsigned tries = 0;; tries++) {
        cr_assert_lt(tries, 100, "a place frees up");
        stream_open(&open[0], "GET");
        stream_wait(&open[0], 0, "\r\n\r\n");
        bool ok = strstr(open[0].buf, "text/event-stream") != NULL;
        close(open[0].fd);
        if (ok)
            break;
    }
    for (unsigned i = 1; i < MAX_STREAMS; i++)
        close(open[i].fd);
}
