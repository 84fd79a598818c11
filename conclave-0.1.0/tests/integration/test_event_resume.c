/* SPDX-License-Identifier: MIT */
/* test_event_resume.c: the ids of GET /events on a real conclaved --dev, and what they are for: a
 * stream dropped mid-way and reopened with Last-Event-ID (or ?lastEventId) gets exactly the events
 * a stream that stayed open got after that id, no duplicate and none missing; an id it cannot
 * resume from gets a resume-error event; the query string filters by area, type and address, and
 * one it does not take is refused. Streams are read over raw loopback sockets, their chunked
 * encoding undone; every read waits on poll with a deadline, nothing sleeps. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <ctype.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "tests/lib/node.h"

#define STREAM_BUF (1u << 17)
#define MAX_FRAMES 256

static th_node *const node = &th_suite_node;

TestSuite(integration_event_resume, .init = th_suite_node_start, .fini = th_suite_node_stop, .timeout = 90);

/* An open GET /events and what has been read from it (raw, chunked). */
struct stream {
    int fd;
    char buf[STREAM_BUF];
    size_t len;
};

/* Opens GET target (path and query) with the extra header lines headers (each ending in \r\n). */
static void stream_open(struct stream *s, const char *target, const char *headers)
{
    s->len = 0;
    s->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cr_assert_geq(s->fd, 0, "socket");
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)node->port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(connect(s->fd, (struct sockaddr *)&a, sizeof a), 0, "connect");
    char req[512];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\n", target, headers);
    cr_assert_eq(write(s->fd, req, (size_t)n), n, "send the request");
}

/* Reads until text appears after offset from (10 s at most), or, with text NULL, until the
 * connection closes. Returns where text starts. */
static const char *stream_wait(struct stream *s, size_t from, const char *text)
{
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        s->buf[s->len] = 0;
        const char *at = text ? strstr(s->buf + from, text) : NULL;
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
        if (n == 0 && !text)
            return NULL;
        cr_assert_gt(n, 0, "the stream stays open while waiting for \"%s\"", text);
        s->len += (size_t)n;
    }
}

/* One event of a stream: "id: ...\nevent: ...\ndata: ..." as sent. */
struct frames {
    char *text[MAX_FRAMES];
    size_t n;
};

/* Undoes the chunked encoding of what s read after its headers, and splits it into its events
 * (comment-only blocks left out). Release with frames_free. */
static void frames_parse(const struct stream *s, struct frames *f)
{
    const char *p = strstr(s->buf, "\r\n\r\n");
    cr_assert_not_null(p, "headers read");
    p += 4;
    const char *end = s->buf + s->len;
    char *body = malloc(s->len + 1);
    size_t blen = 0;
    while (p < end) {
        char *after;
        unsigned long size = strtoul(p, &after, 16);
        if (after[0] != '\r' || after + 2 + size > end)
            break;
        memcpy(body + blen, after + 2, size);
        blen += size;
        p = after + 2 + size + 2;
    }
    body[blen] = '\0';
    f->n = 0;
    for (char *q = body; *q;) {
        char *stop = strstr(q, "\n\n");
        if (!stop)
            break;
        *stop = '\0';
        if (q[0] != ':') {
            cr_assert_lt(f->n, MAX_FRAMES, "frames fit");
            f->text[f->n++] = strdup(q);
        }
        q = stop + 2;
    }
    free(body);
}

static void frames_free(struct frames *f)
{
    for (size_t i = 0; i < f->n; i++)
        free(f->text[i]);
    f->n = 0;
}

/* The id of frame text ("" if none), into out (32 bytes). */
static void frame_id(char out[32], const char *frame)
{
    out[0] = '\0';
    if (strncmp(frame, "id: ", 4) == 0)
        sscanf(frame + 4, "%31[0-9-]", out);
}

/* Sends a transfer from dev account 0 and returns the block it went into. */
static unsigned transfer(unsigned to, const char *amount)
{
    cJSON *resp = th_send(node, 0, "Transfer", "{\"to\":\"%s\",\"amount\":\"%s\"}", th_addr(to), amount);
    const cJSON *block = cJSON_GetObjectItemCaseSensitive(th_result(resp), "block");
    cr_assert(cJSON_IsNumber(block), "a receipt: %s", cJSON_PrintUnformatted(resp));
    unsigned h = (unsigned)block->valuedouble;
    cJSON_Delete(resp);
    return h;
}

/* Waits on s for the Transfer event of the given amount. */
static void wait_amount(struct stream *s, const char *amount)
{
    char want[64];
    snprintf(want, sizeof want, "\"amount\":\"%s\"", amount);
    stream_wait(s, 0, want);
    stream_wait(s, (size_t)(strstr(s->buf, want) - s->buf), "\n\n");
}

/* Asserts that resumed holds exactly the frames of whole after the one whose id is after_id, up to
 * its last. */
static void assert_same_after(const struct stream *whole, const struct stream *resumed, const char *after_id)
{
    struct frames w, r;
    frames_parse(whole, &w);
    frames_parse(resumed, &r);
    size_t start = w.n;
    char id[32];
    for (size_t i = 0; i < w.n; i++) {
        frame_id(id, w.text[i]);
        if (strcmp(id, after_id) == 0)
            start = i + 1;
    }
    cr_assert_lt(start, w.n, "the stream that stayed open went past %s", after_id);
    cr_assert_eq(r.n, w.n - start, "the resumed stream got %zu events, the open one %zu after %s", r.n, w.n - start,
                 after_id);
    for (size_t i = 0; i < r.n; i++)
        cr_assert_str_eq(r.text[i], w.text[start + i], "event %zu after %s is the same", i, after_id);
    for (size_t i = 1; i < r.n; i++) {
        char a[32], b[32];
        frame_id(a, r.text[i - 1]);
        frame_id(b, r.text[i]);
        unsigned long long ah, ap, bh, bp;
        cr_assert(sscanf(a, "%llu-%llu", &ah, &ap) == 2 && sscanf(b, "%llu-%llu", &bh, &bp) == 2, "ids %s %s", a, b);
        cr_assert(bh > ah || (bh == ah && bp > ap), "ids increase: %s then %s", a, b);
    }
    frames_free(&w);
    frames_free(&r);
}

Test(integration_event_resume, a_dropped_stream_resumes_with_exactly_the_events_it_missed)
{
    static struct stream whole, dropped, by_header, by_query;
    stream_open(&whole, "/events", "");
    stream_wait(&whole, 0, "retry:");
    stream_open(&dropped, "/events", "");
    stream_wait(&dropped, 0, "retry:");

    unsigned first = transfer(1, "11");
    wait_amount(&dropped, "11");
    struct frames got;
    frames_parse(&dropped, &got);
    cr_assert_geq(got.n, 2, "the block and its transfer");
    char last[32], want[32];
    frame_id(last, got.text[got.n - 1]);
    snprintf(want, sizeof want, "%u-1", first);
    cr_assert_str_eq(last, want, "the transfer is the first event after its block's");
    frame_id(last, got.text[got.n - 2]);
    snprintf(want, sizeof want, "%u-0", first);
    cr_assert_str_eq(last, want, "the block event is position 0");
    frames_free(&got);
    close(dropped.fd);

    /* missed: two more blocks, one with a staking event */
    transfer(2, "12");
    th_send_done(node, 0, "PoolCreate", "{\"commissionPpm\":\"0\",\"capacity\":\"1000000000000000000000000\"}");

    char header[64], target[64];
    snprintf(header, sizeof header, "Last-Event-ID: %u-0\r\n", first);
    stream_open(&by_header, "/events", header);
    snprintf(target, sizeof target, "/events?lastEventId=%u-0", first);
    stream_open(&by_query, target, "");
    stream_wait(&by_header, 0, "retry:");
    stream_wait(&by_query, 0, "retry:");
    /* and one live after the reconnection */
    transfer(3, "13");
    wait_amount(&whole, "13");
    wait_amount(&by_header, "13");
    wait_amount(&by_query, "13");
    snprintf(want, sizeof want, "%u-0", first);
    assert_same_after(&whole, &by_header, want);
    assert_same_after(&whole, &by_query, want);
    cr_assert(strstr(by_header.buf, "\"amount\":\"11\"") && strstr(by_header.buf, "\"amount\":\"12\"")
                  && strstr(by_header.buf, "PoolCreated"),
              "the missed events: %s", by_header.buf);
    close(whole.fd);
    close(by_header.fd);
    close(by_query.fd);
}

Test(integration_event_resume, an_id_it_cannot_resume_from_gets_a_resume_error_event)
{
    static struct stream s;
    static const char *const bad[] = { "Last-Event-ID: nonsense\r\n", "Last-Event-ID: 999999-0\r\n",
                                       "Last-Event-ID: 1-\r\n" };
    static const char *const why[] = { "is not an event id", "is past the head block", "is not an event id" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        stream_open(&s, "/events", bad[i]);
        const char *at = stream_wait(&s, 0, "event: resume-error\ndata: {");
        stream_wait(&s, 0, "}\n\n");
        cr_assert(strstr(at, why[i]), "%s: says why: %s", bad[i], at);
        /* and the stream goes on live */
        char amount[16];
        snprintf(amount, sizeof amount, "%zu", 20 + i);
        transfer(1, amount);
        wait_amount(&s, amount);
        close(s.fd);
    }
}

Test(integration_event_resume, the_query_filters_by_area_type_and_address)
{
    static struct stream by_address, by_type, both;
    char target[128], lower[43];
    snprintf(lower, sizeof lower, "%s", th_addr(1));
    for (char *p = lower; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    snprintf(target, sizeof target, "/events?area=ledger&address=%s", th_addr(1));
    stream_open(&by_address, target, "");
    stream_open(&by_type, "/events?type=PoolCreated,ProposalCreated", "");
    snprintf(target, sizeof target, "/events?area=staking,governance&address=%s", lower);
    stream_open(&both, target, "");
    stream_wait(&by_address, 0, "retry:");
    stream_wait(&by_type, 0, "retry:");
    stream_wait(&both, 0, "retry:");

    transfer(2, "31");
    th_send_done(node, 0, "PoolCreate", "{\"commissionPpm\":\"0\",\"capacity\":\"1000000000000000000000000\"}");
    transfer(1, "32");
    th_send_done(node, 0, "Contribute", "{\"pool\":\"1\",\"amount\":\"200000000000000000000\"}");
    th_send_done(node, 0, "Propose", "{\"track\":\"treasury\",\"title\":\"t\",\"body\":\"b\",\"payload\":\"0x\"}");

    wait_amount(&by_address, "32");
    cr_assert_null(strstr(by_address.buf, "\"amount\":\"31\""), "not another address's transfer: %s", by_address.buf);
    cr_assert_null(strstr(by_address.buf, "event: block"), "blocks have no address: %s", by_address.buf);
    cr_assert_null(strstr(by_address.buf, "event: staking"), "nor another area: %s", by_address.buf);

    stream_wait(&by_type, 0, "event: governance\ndata: {\"type\":\"ProposalCreated\"");
    cr_assert(strstr(by_type.buf, "event: staking\ndata: {\"type\":\"PoolCreated\""), "%s", by_type.buf);
    cr_assert_null(strstr(by_type.buf, "\"type\":\"Transfer\""), "no other type: %s", by_type.buf);
    cr_assert_null(strstr(by_type.buf, "event: block"), "blocks have no type: %s", by_type.buf);

    /* dev account 1 is in none of the staking or governance events */
    close(by_type.fd);
    stream_open(&by_type, "/events?area=block", "");
    stream_wait(&by_type, 0, "retry:");
    transfer(1, "33");
    stream_wait(&by_type, 0, "event: block");
    cr_assert_null(strstr(both.buf, "id:"), "nothing for an address in no event of those areas: %s", both.buf);
    close(by_address.fd);
    close(by_type.fd);
    close(both.fd);
}

Test(integration_event_resume, a_query_it_does_not_take_is_refused)
{
    static struct stream s;
    static const char *const bad[] = { "/events?foo=1", "/events?address=0x12", "/events?area=", "/events?area=a,,b",
                                       "/events?type=a&type=b", "/events?area=a%20b" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        stream_open(&s, bad[i], "Connection: close\r\n");
        stream_wait(&s, 0, NULL);
        cr_assert(strstr(s.buf, "400 Bad Request") && strstr(s.buf, "GET /events takes area and type"), "%s: %s",
                  bad[i], s.buf);
        close(s.fd);
    }
}
