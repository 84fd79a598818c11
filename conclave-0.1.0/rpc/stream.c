/* SPDX-License-Identifier: MIT */
/* stream.c: GET /events, a server-sent event stream: a chunked reply that stays open. Every event
 * has an id "SEQ-POS", published in increasing order; a stream may filter by event name (area), type
 * and address (its query string), and resume after the id in Last-Event-ID (or ?lastEventId) from
 * what the application replays, then never sends an event at or before the last one it sent. What
 * is published in one turn of the loop goes out as one chunk; a client that reads too slowly is dropped
 * before its unsent output holds more than limits.stream_memory of memory (as libevent allocates
 * it, not as payload), or all streams more than limits.streams_memory; a comment line every
 * RPC_KEEPALIVE_SECS keeps idle streams alive through proxies. */
#include "rpc/rpc_int.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* What one of libevent's buffer chains costs beyond twice its data: its smallest allocation
 * (MIN_BUFFER_SIZE in libevent 2.1's buffer.c), plus its header and the allocator's own. */
#define MIN_CHAIN_ALLOC 1024
#define CHAIN_OVERHEAD (MIN_CHAIN_ALLOC + 128)

/* Copies a query value of comma-separated names (letters, digits, '_' and '-') into out (size
 * bytes). Returns: whether it is one and fits. */
static bool names_parse(char *out, size_t size, const char *value)
{
    size_t len = strlen(value);
    if (len == 0 || len >= size || value[0] == ',' || value[len - 1] == ',' || strstr(value, ",,"))
        return false;
    for (const char *p = value; *p; p++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-,", *p))
            return false;
    memcpy(out, value, len + 1);
    return true;
}

/* Returns: whether value is "SEQ-POS" (two decimal numbers below 2^64); Out: *seq, *pos. */
static bool id_parse(const char *value, uint64_t *seq, uint64_t *pos)
{
    char *end;
    if (*value < '0' || *value > '9')
        return false;
    errno = 0;
    unsigned long long a = strtoull(value, &end, 10);
    if (errno || *end != '-' || end[1] < '0' || end[1] > '9')
        return false;
    unsigned long long b = strtoull(end + 1, &end, 10);
    if (errno || *end)
        return false;
    *seq = a;
    *pos = b;
    return true;
}

/* Reads req's query into f. Out: *resume_from the Last-Event-ID header, else the lastEventId
 * parameter, else NULL (borrowed from req or from query, which the caller clears).
 * Returns: whether every parameter is known, given once and well formed. */
static bool query_parse(struct evhttp_request *req, struct evkeyvalq *query, struct rpc_stream_filter *f,
                        const char **resume_from)
{
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *text = uri ? evhttp_uri_get_query(uri) : NULL;
    *resume_from = evhttp_find_header(evhttp_request_get_input_headers(req), "Last-Event-ID");
    if (!text || !*text)
        return true;
    if (evhttp_parse_query_str(text, query) != 0)
        return false;
    bool seen_id = false;
    for (const struct evkeyval *kv = query->tqh_first; kv; kv = kv->next.tqe_next) {
        if (strcmp(kv->key, "area") == 0 && !f->areas[0]) {
            if (!names_parse(f->areas, sizeof f->areas, kv->value))
                return false;
        } else if (strcmp(kv->key, "type") == 0 && !f->types[0]) {
            if (!names_parse(f->types, sizeof f->types, kv->value))
                return false;
        } else if (strcmp(kv->key, "address") == 0 && !f->address[0]) {
            if (strlen(kv->value) != 42 || kv->value[0] != '0' || (kv->value[1] | 0x20) != 'x'
                || strspn(kv->value + 2, "0123456789abcdefABCDEF") != 40)
                return false;
            for (int i = 0; i < 42; i++)
                f->address[i] = (char)(kv->value[i] | (kv->value[i] >= 'A' && kv->value[i] <= 'Z' ? 0x20 : 0));
            f->address[42] = '\0';
        } else if (strcmp(kv->key, "lastEventId") == 0 && !seen_id) {
            seen_id = true;
            if (!*resume_from)
                *resume_from = kv->value;
        } else {
            return false;
        }
    }
    return true;
}

/* Returns: whether name is one of list's comma-separated names. */
static bool name_listed(const char *list, const char *name)
{
    size_t len = strlen(name);
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, ",");
        if (n == len && strncmp(p, name, n) == 0)
            return true;
        p += n + (p[n] == ',');
    }
    return false;
}

/* Returns: whether the stream with filter f takes ev: every filter given matches it. */
static bool filter_takes(const struct rpc_stream_filter *f, const rpc_event *ev)
{
    if (f->areas[0] && !name_listed(f->areas, ev->name))
        return false;
    if (f->types[0] && (!ev->type || !name_listed(f->types, ev->type)))
        return false;
    if (f->address[0] && (!ev->addresses || !strstr(ev->addresses, f->address)))
        return false;
    return true;
}

/* Whether ev comes after the last event the stream sent. */
static bool after_cursor(const struct rpc_stream_filter *f, const rpc_event *ev)
{
    return !f->sent_any || ev->seq > f->seq || (ev->seq == f->seq && ev->pos > f->pos);
}

/* Adds ev's frame to buf: "id: SEQ-POS\nevent: NAME\ndata: DATA\n\n". Returns: whether it did. */
static bool frame_add(struct evbuffer *buf, const rpc_event *ev)
{
    return evbuffer_add_printf(buf, "id: %" PRIu64 "-%" PRIu64 "\nevent: %s\ndata: %s\n\n", ev->seq, ev->pos,
                               ev->name, ev->data) >= 0;
}

/* Where a replay writes: the stream's first chunk, bounded by limit bytes. */
struct replay_sink {
    struct evbuffer *chunk;
    struct rpc_stream_filter *filter;
    size_t limit;
    bool over;                       /* the events passed limit (or memory ran out): none is sent */
};

static bool replay_emit(void *arg, const rpc_event *ev)
{
    struct replay_sink *sink = arg;
    if (sink->over || !after_cursor(sink->filter, ev))
        return !sink->over;
    sink->filter->sent_any = true;
    sink->filter->seq = ev->seq;
    sink->filter->pos = ev->pos;
    if (filter_takes(sink->filter, ev) && (!frame_add(sink->chunk, ev) || evbuffer_get_length(sink->chunk) > sink->limit))
        sink->over = true;
    return !sink->over;
}

/* Adds to chunk the events after the id text, or an "resume-error" event saying why there are none. */
static void resume(rpc_server *s, struct rpc_stream_filter *f, const char *id, struct evbuffer *chunk)
{
    char why[256] = "";
    uint64_t seq, pos;
    size_t start = evbuffer_get_length(chunk);
    struct replay_sink sink = { .chunk = chunk, .filter = f, .limit = start + s->limits.stream_memory / 2 };
    if (!id_parse(id, &seq, &pos))
        snprintf(why, sizeof why, "Last-Event-ID is not an event id (HEIGHT-POSITION)");
    else if (!s->replay)
        snprintf(why, sizeof why, "this server keeps no events to resume from");
    else {
        f->sent_any = true;
        f->seq = seq;
        f->pos = pos;
        if (s->replay(s->app, seq, pos, replay_emit, &sink, why, sizeof why) == RPC_OK && sink.over)
            snprintf(why, sizeof why, "the events since %" PRIu64 "-%" PRIu64 " are over %zu bytes: read them over "
                     "JSON-RPC", seq, pos, s->limits.stream_memory / 2);
        else if (!why[0])
            return;
    }
    evbuffer_drain(chunk, evbuffer_get_length(chunk) - start);
    f->sent_any = false;
    cJSON *o = cJSON_CreateObject();
    char *text = NULL;
    if (o && cJSON_AddStringToObject(o, "lastEventId", id) && cJSON_AddStringToObject(o, "message", why))
        text = cJSON_PrintUnformatted(o);
    if (text)
        evbuffer_add_printf(chunk, "event: resume-error\ndata: %s\n\n", text);
    cJSON_free(text);
    cJSON_Delete(o);
}

enum rpc_stream_open rpc_stream_open(rpc_server *s, struct rpc_conn *conn, struct evhttp_request *req)
{
    if (conn->stream || conn->waiting || s->n_streams >= s->limits.max_streams)
        return RPC_STREAM_BUSY;
    struct evkeyvalq query = { 0 };
    struct rpc_stream_filter f = { 0 };
    const char *resume_from;
    bool ok = query_parse(req, &query, &f, &resume_from);
    if (!ok) {
        evhttp_clear_headers(&query);
        return RPC_STREAM_BAD_QUERY;
    }
    struct evkeyvalq *headers = evhttp_request_get_output_headers(req);
    evhttp_add_header(headers, "Content-Type", "text/event-stream");
    evhttp_add_header(headers, "Cache-Control", "no-cache");
    evhttp_add_header(headers, "X-Accel-Buffering", "no");
    evhttp_send_reply_start(req, 200, "OK");
    struct evbuffer *chunk = evbuffer_new();
    if (chunk && evbuffer_add_printf(chunk, ": %s events\nretry: 3000\n\n", s->name) >= 0) {
        if (resume_from)
            resume(s, &f, resume_from, chunk);
        evhttp_send_reply_chunk(req, chunk);
    }
    evbuffer_free(chunk);
    evhttp_clear_headers(&query);
    conn->filter = f;
    conn->stream = req;
    s->n_streams++;
    return RPC_STREAM_OPEN;
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

/* One published event waiting in the outbox, its strings after it in the same allocation. */
struct rpc_outbox_event {
    rpc_event ev;
    size_t frame_len;                /* bytes of its frame */
    struct rpc_outbox_event *next;
};

static void outbox_clear(rpc_server *s)
{
    while (s->outbox) {
        struct rpc_outbox_event *o = s->outbox;
        s->outbox = o->next;
        free(o);
    }
    s->outbox_tail = NULL;
    s->outbox_bytes = 0;
}

/* Sends what was published during this turn of the loop as one chunk per stream, of the events its
 * filter takes after the last one it sent: a block's events share one allocation instead of one
 * chain of at least MIN_CHAIN_ALLOC bytes each. */
void rpc_streams_flush(evutil_socket_t fd, short what, void *arg)
{
    rpc_server *s = arg;
    (void)fd;
    (void)what;
    if (s->n_streams && s->outbox)
        drop_streams_behind(s, 2 * CHAIN_OVERHEAD + 2 * s->outbox_bytes);
    for (struct rpc_conn *c = s->conns, *next; c && s->outbox; c = next) {
        next = c->next;
        if (!c->stream)
            continue;
        struct evbuffer *chunk = evbuffer_new();
        bool ok = chunk != NULL;
        for (const struct rpc_outbox_event *o = s->outbox; ok && o; o = o->next) {
            if (!after_cursor(&c->filter, &o->ev))
                continue;
            c->filter.sent_any = true;
            c->filter.seq = o->ev.seq;
            c->filter.pos = o->ev.pos;
            if (filter_takes(&c->filter, &o->ev))
                ok = frame_add(chunk, &o->ev);
        }
        if (!ok)
            drop_stream(s, c);
        else if (evbuffer_get_length(chunk))
            evhttp_send_reply_chunk(c->stream, chunk);
        evbuffer_free(chunk);
    }
    outbox_clear(s);
}

/* Copies text (may be NULL) to *at and moves *at past it. Returns: the copy, or NULL. */
static const char *copy_string(char **at, const char *text)
{
    if (!text)
        return NULL;
    size_t n = strlen(text) + 1;
    char *copy = memcpy(*at, text, n);
    *at += n;
    return copy;
}

void rpc_server_publish(rpc_server *s, const rpc_event *ev)
{
    if (!s->n_streams)
        return;
    size_t name = strlen(ev->name) + 1, data = strlen(ev->data) + 1;
    size_t type = ev->type ? strlen(ev->type) + 1 : 0, addresses = ev->addresses ? strlen(ev->addresses) + 1 : 0;
    struct rpc_outbox_event *o = malloc(sizeof *o + name + data + type + addresses);
    if (!o)
        return;
    char *at = (char *)(o + 1);
    o->ev = (rpc_event){ .seq = ev->seq, .pos = ev->pos };
    o->ev.name = copy_string(&at, ev->name);
    o->ev.data = copy_string(&at, ev->data);
    o->ev.type = copy_string(&at, ev->type);
    o->ev.addresses = copy_string(&at, ev->addresses);
    o->frame_len = name + data + 60; /* "id: SEQ-POS\nevent: \ndata: \n\n" */
    o->next = NULL;
    if (s->outbox_tail)
        s->outbox_tail->next = o;
    else
        s->outbox = o;
    s->outbox_tail = o;
    s->outbox_bytes += o->frame_len;
    event_active(s->flush, 0, 0);
}

void rpc_server_set_replay(rpc_server *s, rpc_replay_fn fn)
{
    s->replay = fn;
}

void rpc_streams_free(rpc_server *s)
{
    outbox_clear(s);
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
