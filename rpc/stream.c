/* SPDX-License-Identifier: MIT */
/* stream.c: GET /events, a server-sent event stream: a chunked reply that stays open. What is
 * published in one turn of the loop goes out as one chunk; a client that reads too slowly is dropped
 * before its unsent output holds more than limits.stream_memory of memory (as libevent allocates
 * it, not as payload), or all streams more than limits.streams_memory; a comment line every
 * RPC_KEEPALIVE_SECS keeps idle streams alive through proxies. */
#include "rpc/rpc_int.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

/* What one of libevent's buffer chains costs beyond twice its data: its smallest allocation
 * (MIN_BUFFER_SIZE in libevent 2.1's buffer.c), plus its header and the allocator's own. */
#define MIN_CHAIN_ALLOC 1024
#define CHAIN_OVERHEAD (MIN_CHAIN_ALLOC + 128)

bool rpc_stream_open(rpc_server *s, struct rpc_conn *conn, struct evhttp_request *req)
{
    if (conn->stream || conn->waiting || s->n_streams >= s->limits.max_streams)
        return false;
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
    return true;
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
void rpc_streams_flush(evutil_socket_t fd, short what, void *arg)
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

void rpc_streams_keepalive(evutil_socket_t fd, short what, void *arg)
{
    static const char ping[] = ": keepalive\n\n";
    rpc_server *s = arg;
    (void)fd;
    (void)what;
    if (s->n_streams)
        broadcast(s, ping, sizeof ping - 1);
}
