/* SPDX-License-Identifier: MIT */
/* test_event_replay.c: node_events_replay, what a GET /events stream that reconnects with
 * Last-Event-ID is sent, driven on an engine without a socket: the events after an id, with their
 * ids, names, types and addresses; the edge of the window of NODE_EVENTS_WINDOW blocks below the
 * head, and an id past the head, refused with a message. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "engine/genesis.h"
#include "node/methods.h"
#include "tests/lib/engine_fixture.h"

static eng *e;

static void setup(void)
{
    char *genesis = eng_genesis_dev_json(NULL, NULL, NULL);
    cr_assert_not_null(genesis, "dev genesis");
    th_open_engine(&e, "replay", genesis);
    free(genesis);
}

static void teardown(void)
{
    th_close_engine(e);
}

TestSuite(node_event_replay, .init = setup, .fini = teardown, .timeout = 120);

#define MAX_SEEN 64

/* What a replay emitted. */
struct seen {
    size_t n;
    struct {
        uint64_t seq, pos;
        char name[32], type[32], addresses[128];
    } ev[MAX_SEEN];
};

static bool collect(void *sink, const rpc_event *ev)
{
    struct seen *s = sink;
    cr_assert_lt(s->n, MAX_SEEN, "the events fit");
    s->ev[s->n].seq = ev->seq;
    s->ev[s->n].pos = ev->pos;
    snprintf(s->ev[s->n].name, sizeof s->ev[s->n].name, "%s", ev->name);
    snprintf(s->ev[s->n].type, sizeof s->ev[s->n].type, "%s", ev->type ? ev->type : "");
    snprintf(s->ev[s->n].addresses, sizeof s->ev[s->n].addresses, "%s", ev->addresses ? ev->addresses : "");
    s->n++;
    return true;
}

/* A replay's events counted, and the last id. */
struct count {
    size_t n;
    size_t stop_after;               /* the sink says stop at this many */
    uint64_t last_seq, last_pos;
};

static bool count_events(void *sink, const rpc_event *ev)
{
    struct count *c = sink;
    cr_assert(c->n == 0 || ev->seq > c->last_seq || (ev->seq == c->last_seq && ev->pos > c->last_pos), "ids increase");
    c->n++;
    c->last_seq = ev->seq;
    c->last_pos = ev->pos;
    return c->n < c->stop_after;
}

/* Makes n blocks of one transfer each from dev account 0 to 1. Returns the head's height. */
static uint64_t transfer_blocks(unsigned n)
{
    th_outcome o = { 0 };
    for (unsigned i = 0; i < n; i++) {
        th_queue(e, 0, "Transfer", &o, "{\"to\":\"%s\",\"amount\":\"1\"}", th_dev_text(1));
        cr_assert_eq(eng_flush(e), ST_OK, "block %u", i);
        th_forget_queued();
        cr_assert(o.success, "transfer %u: %s", i, o.error);
        th_outcome_clear(&o);
    }
    ledger_block head;
    cr_assert_eq(ledger_block_head(eng_ledger(e), &head), ST_OK, "head");
    return head.height;
}

/* The lowercase text of dev account i's address. */
static void lower_address(char out[43], unsigned i)
{
    snprintf(out, 43, "%s", th_dev_text(i));
    for (char *p = out; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
}

Test(node_event_replay, replays_the_events_after_an_id_with_their_ids_names_and_addresses)
{
    uint64_t head = transfer_blocks(3);
    static struct seen s;
    char msg[256] = "";
    cr_assert_eq(node_events_replay(e, head - 2, 0, collect, &s, msg, sizeof msg), ST_OK, "replay: %s", msg);
    /* block head-2's transfer, then the block and transfer of each of the two after it */
    cr_assert_eq(s.n, 5, "five events after %llu-0, got %zu", (unsigned long long)(head - 2), s.n);
    cr_assert(s.ev[0].seq == head - 2 && s.ev[0].pos == 1, "first the transfer of that block");
    for (size_t i = 1; i < 5; i += 2) {
        uint64_t h = head - 2 + (i + 1) / 2;
        cr_assert(s.ev[i].seq == h && s.ev[i].pos == 0 && strcmp(s.ev[i].name, "block") == 0, "block %llu first",
                  (unsigned long long)h);
        cr_assert_str_empty(s.ev[i].type, "a block event has no type");
        cr_assert(s.ev[i + 1].seq == h && s.ev[i + 1].pos == 1, "then its transfer");
    }
    char from[43], to[43], both[90];
    lower_address(from, 0);
    lower_address(to, 1);
    snprintf(both, sizeof both, "%s,%s", from, to);
    cr_assert_str_eq(s.ev[4].name, "ledger", "a transfer's area");
    cr_assert_str_eq(s.ev[4].type, "Transfer", "its type");
    cr_assert_str_eq(s.ev[4].addresses, both, "the addresses it names, lowercase: %s, not %s", s.ev[4].addresses, both);

    s.n = 0;
    cr_assert_eq(node_events_replay(e, head, 1, collect, &s, msg, sizeof msg), ST_OK, "replay: %s", msg);
    cr_assert_eq(s.n, 0, "nothing after the head's last event");
    cr_assert_eq(node_events_replay(e, head + 1, 0, collect, &s, msg, sizeof msg), ST_NOTFOUND, "past the head");
    cr_assert(strstr(msg, "is past the head block"), "says why: %s", msg);
    cr_assert_eq(s.n, 0, "and emits nothing");
}

Test(node_event_replay, replays_from_up_to_the_window_below_the_head_and_no_further)
{
    uint64_t head = transfer_blocks(NODE_EVENTS_WINDOW + 2);
    static struct seen s;
    char msg[256] = "";
    cr_assert_eq(node_events_replay(e, head - NODE_EVENTS_WINDOW - 1, 0, collect, &s, msg, sizeof msg), ST_NOTFOUND,
                 "one block past the window");
    cr_assert(strstr(msg, "more than 1024 blocks below the head"), "says why: %s", msg);
    cr_assert_eq(s.n, 0, "and emits nothing");
    /* the window's edge: block head - NODE_EVENTS_WINDOW's transfer, then each later block's two */
    static struct count c = { .stop_after = SIZE_MAX };
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cr_assert_eq(node_events_replay(e, head - NODE_EVENTS_WINDOW, 0, count_events, &c, msg, sizeof msg), ST_OK,
                 "at the edge: %s", msg);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    cr_log_info("replayed %zu events of %d blocks in %.1f ms", c.n, NODE_EVENTS_WINDOW,
                (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
    cr_assert_eq(c.n, 1 + 2 * NODE_EVENTS_WINDOW, "every event after the id, got %zu", c.n);
    cr_assert(c.last_seq == head && c.last_pos == 1, "up to the head's transfer");
    /* a sink that says stop is sent no more */
    c = (struct count){ .stop_after = 5 };
    cr_assert_eq(node_events_replay(e, head - NODE_EVENTS_WINDOW, 0, count_events, &c, msg, sizeof msg), ST_OK,
                 "stopped: %s", msg);
    cr_assert_eq(c.n, 5, "the replay stops when the sink says so, got %zu", c.n);
}
