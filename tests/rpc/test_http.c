/* SPDX-License-Identifier: MIT */
/* test_http.c: the RPC server and the blocking client end to end over 127.0.0.1 on an ephemeral
 * port. The server's loop runs in a second thread on its own event_base; the test thread reaches it
 * only through sockets and a command pipe, so no libevent object crosses threads (no
 * evthread_use_pthreads needed). Every wait is bounded: client timeouts, timed condition waits and
 * counted retries, never sleeps. */
#define _GNU_SOURCE /* strptime, timegm */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <malloc.h>
#include <poll.h>
#include <stdatomic.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include "rpc/client.h"
#include "ledger/status.h"
#include "node/methods.h"
#include "rpc/rpc.h"
#include "tests/lib/rpc_loop.h"
#include "tests/rpc/test_methods.h"

#define TOKEN "s3cret-token"
#define TIMEOUT_SECS 5               /* client timeout, and the bound of every other wait */
#define MAX_HELD 4
#define PUBLISH_EVENTS 1000          /* events of one 'p' command */
#define OFFLOAD_MIN_BODY 1024        /* bytes from which hold_parse gets a body */

static struct {
    th_rpc_loop loop;                /* the server, its loop thread and its command pipe */
    char url[64];
    rpc_deferred *held[MAX_HELD];    /* "hold" calls waiting for the 'f' command; loop thread only */
    unsigned n_held;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    unsigned held_total;             /* "hold" calls deferred so far; under mu */
    unsigned published;              /* 'p' commands carried out so far; under mu */
    unsigned replays_set;            /* 'r' commands carried out so far; under mu */
    unsigned replayed;               /* events the replay emitted; loop thread, then under mu */
    struct held_job {
        rpc_job_fn work, done;
        void *job;
    } jobs[MAX_HELD];                /* jobs handed to hold_parse, until the 'o' command */
    unsigned n_jobs;                 /* loop thread only */
    bool refusing;                   /* hold_parse queues nothing (the 'x' command); loop thread only */
    unsigned jobs_total;             /* jobs handed to hold_parse so far; under mu */
    unsigned jobs_done;              /* of those, run and finished; under mu */
    unsigned offloads_set;           /* 'O' commands carried out so far; under mu */
    unsigned counted;                /* "count" calls run so far; loop thread only */
} srv = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

/* Methods. */

static int m_admin_secret(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    *result = cJSON_CreateString("granted");
    return *result ? ST_OK : ST_NOMEM;
}

/* Defers until the test sends the 'f' command. */
static int m_hold(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    if (srv.n_held == MAX_HELD)
        return rpc_error(ctx, ST_LIMIT, NULL, "too many held calls");
    rpc_deferred *d = rpc_defer(ctx);
    if (!d)
        return ST_NOMEM;
    srv.held[srv.n_held++] = d;
    pthread_mutex_lock(&srv.mu);
    srv.held_total++;
    pthread_cond_broadcast(&srv.cv);
    pthread_mutex_unlock(&srv.mu);
    return RPC_PENDING;
}

struct later {
    rpc_deferred *d;
    cJSON *value;
};

static void later_fire(evutil_socket_t fd, short what, void *arg)
{
    struct later *l = arg;
    rpc_deferred_finish(l->d, ST_OK, l->value, NULL, NULL);
    free(l);
}

/* Defers, and answers params.value from a zero-timeout event of the loop. */
static int m_later(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    static const struct timeval now = { 0, 0 };
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, "value");
    struct later *l = malloc(sizeof *l);
    cJSON *value = v ? cJSON_Duplicate(v, true) : cJSON_CreateNull();
    if (!l || !value || event_base_once(srv.loop.base, -1, EV_TIMEOUT, later_fire, l, &now) != 0) {
        free(l);
        cJSON_Delete(value);
        return ST_NOMEM;
    }
    /* the event runs on a later turn of the loop, after this handler has returned */
    l->value = value;
    l->d = rpc_defer(ctx);
    return RPC_PENDING;
}

/* Defers and finishes before returning, as tx_send does when the engine refuses at once. */
static int m_quick(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    rpc_deferred *d = rpc_defer(ctx);
    if (!d)
        return ST_NOMEM;
    rpc_deferred_finish(d, ST_OK, cJSON_CreateString("quick"), NULL, NULL);
    return RPC_PENDING;
}

/* Answers how many "count" calls ran before it; params.pad (ignored) makes a body large. */
static int m_count(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    *result = cJSON_CreateNumber(srv.counted++);
    return *result ? ST_OK : ST_NOMEM;
}

/* Bumps a count under srv.mu and wakes the test thread's wait_count. */
static void count_up(unsigned *count)
{
    pthread_mutex_lock(&srv.mu);
    (*count)++;
    pthread_cond_broadcast(&srv.cv);
    pthread_mutex_unlock(&srv.mu);
}

/* The server's offload (set by the 'O' command): holds each job (a body's parse, what its calls
 * left of the tree) until the 'o' command, which then runs them in the order they came, as the
 * verification pool does. */
static int hold_parse(void *ctx, rpc_job_fn work, rpc_job_fn done, void *job)
{
    (void)ctx;
    if (srv.n_jobs == MAX_HELD || srv.refusing)
        return RPC_NOMEM;
    srv.jobs[srv.n_jobs++] = (struct held_job){ work, done, job };
    count_up(&srv.jobs_total);
    return RPC_OK;
}

/* Runs the held jobs, and those their dones queue, until none is held; with refuse, the offload
 * queues nothing meanwhile. */
static void run_held_jobs(bool refuse)
{
    srv.refusing = refuse;
    while (srv.n_jobs > 0) {
        struct held_job jobs[MAX_HELD];
        unsigned n = srv.n_jobs;
        memcpy(jobs, srv.jobs, n * sizeof *jobs);
        srv.n_jobs = 0;
        for (unsigned i = 0; i < n; i++) {
            jobs[i].work(jobs[i].job);
            jobs[i].done(jobs[i].job);
            count_up(&srv.jobs_done);
        }
    }
    srv.refusing = false;
}

static const char *const add_params[] = { "a", "b", NULL };
static const char *const pad_params[] = { "pad", NULL };
static const char *const value_params[] = { "value", NULL };

static const rpc_method table[] = {
    { .name = "add", .params = add_params, .fn = test_m_add },
    { .name = "admin_secret", .flags = RPC_ADMIN, .fn = m_admin_secret },
    { .name = "count", .params = pad_params, .fn = m_count },
    { .name = "echo", .params = value_params, .fn = test_m_echo },
    { .name = "hold", .fn = m_hold },
    { .name = "later", .params = value_params, .fn = m_later },
    { .name = "quick", .fn = m_quick },
};

/* The server thread. */

#define REPLAY_EVENTS 5000           /* events after 7-0 that replay has, of about 1 KiB each */

/* The server's replay: events 7-1 .. 7-REPLAY_EVENTS, every other one a Transfer; 99-0 is unknown. */
static int replay(void *app, uint64_t seq, uint64_t pos, rpc_event_sink emit, void *sink, char *msg, size_t msg_size)
{
    static char data[1024];
    (void)app;
    if (seq != 7) {
        snprintf(msg, msg_size, "test: no event %llu-%llu", (unsigned long long)seq, (unsigned long long)pos);
        return ST_NOTFOUND;
    }
    memset(data, 'x', sizeof data - 3);
    memcpy(data, "\"", 1);
    memcpy(data + sizeof data - 3, "\"", 2);
    bool more = true;
    for (uint64_t p = pos + 1; more && p <= REPLAY_EVENTS; p++) {
        rpc_event ev = { .name = "ledger", .seq = 7, .pos = p, .data = data, .type = p % 2 ? "Transfer" : "Mint" };
        more = emit(sink, &ev);
        pthread_mutex_lock(&srv.mu);
        srv.replayed++;
        pthread_mutex_unlock(&srv.mu);
    }
    return ST_OK;
}

/* The loop's commands: 'p' publishes PUBLISH_EVENTS events, 'f' finishes the held calls, 'O' sets
 * hold_parse as the server's offload and 'o' runs the jobs it holds ('x' too, the offload refusing
 * the jobs queued meanwhile). */
static void on_command(char c)
{
    if (c == 'p') {
        /* as a block does: many small events in one turn of the loop */
        for (int i = 0; i < PUBLISH_EVENTS; i++) {
            rpc_event ev = { .name = "ledger", .seq = srv.published + 1, .pos = (uint64_t)i, .type = "Transfer",
                             .data = "{\"type\":\"Transfer\",\"amount\":\"5\",\"height\":1}" };
            rpc_server_publish(srv.loop.server, &ev);
        }
        pthread_mutex_lock(&srv.mu);
        srv.published++;
        pthread_cond_broadcast(&srv.cv);
        pthread_mutex_unlock(&srv.mu);
    } else if (c == 'r') {
        rpc_server_set_replay(srv.loop.server, replay);
        pthread_mutex_lock(&srv.mu);
        srv.replays_set++;
        pthread_cond_broadcast(&srv.cv);
        pthread_mutex_unlock(&srv.mu);
    } else if (c == 'O') {
        rpc_server_set_offload(srv.loop.server, hold_parse, NULL, OFFLOAD_MIN_BODY);
        count_up(&srv.offloads_set);
    } else if (c == 'o' || c == 'x') {
        run_held_jobs(c == 'x');
    } else if (c == 'f') {
        for (unsigned i = 0; i < srv.n_held; i++)
            rpc_deferred_finish(srv.held[i], ST_OK, cJSON_CreateString("released"), NULL, NULL);
        srv.n_held = 0;
    }
}

static void start_with(const rpc_limits *limits)
{
    srv.loop.on_command = on_command;
    th_rpc_loop_start(&srv.loop, table, sizeof table / sizeof table[0], limits, TOKEN, "conclave", node_rpc_error);
    snprintf(srv.url, sizeof srv.url, "http://127.0.0.1:%u/", srv.loop.port);
}

static void start_default(void)
{
    start_with(NULL);
}

/* Bytes libevent holds allocated, counted by the allocator given to event_set_mem_functions. */
static atomic_size_t libevent_bytes, libevent_peak;

static void count_more(size_t n)
{
    size_t now = libevent_bytes += n, peak = libevent_peak;
    while (now > peak && !atomic_compare_exchange_weak(&libevent_peak, &peak, now))
        ;
}

static void *counted_malloc(size_t n)
{
    void *p = malloc(n);
    if (p)
        count_more(malloc_usable_size(p));
    return p;
}

static void *counted_realloc(void *p, size_t n)
{
    size_t old = p ? malloc_usable_size(p) : 0;
    void *q = realloc(p, n);
    if (q) {
        libevent_bytes -= old;
        count_more(malloc_usable_size(q));
    }
    return q;
}

static void counted_free(void *p)
{
    if (p)
        libevent_bytes -= malloc_usable_size(p);
    free(p);
}

/* The default server, with libevent's memory counted (each test runs in a fresh process, so the
 * allocator is set before libevent allocates anything). */
static void start_counted(void)
{
    event_set_mem_functions(counted_malloc, counted_realloc, counted_free);
    start_with(NULL);
}

/* Counted, with small memory limits for event streams. */
static void start_counted_streams(void)
{
    rpc_limits limits;
    rpc_limits_default(&limits);
    limits.stream_memory = 512u << 10;
    limits.streams_memory = 1u << 20;
    event_set_mem_functions(counted_malloc, counted_realloc, counted_free);
    start_with(&limits);
}

static void start_small(void)
{
    rpc_limits limits;
    rpc_limits_default(&limits);
    limits.max_body = 4096;
    limits.max_connections = 1;
    start_with(&limits);
}

static void command(char c)
{
    th_rpc_loop_command(&srv.loop, c);
}

/* Stops the loop, then frees the server with whatever is still outstanding. */
static void stop_server(void)
{
    th_rpc_loop_stop(&srv.loop);
}

/* Helpers of the test thread. */

static rpc_client *client(const char *token)
{
    rpc_client *c = rpc_client_new(srv.url, token, TIMEOUT_SECS);
    cr_assert_not_null(c, "rpc_client_new(%s) failed", srv.url);
    return c;
}

/* GETs path (body NULL) or POSTs body to it, which must be answered with HTTP status want; returns
 * the response body (caller frees). */
static char *http(rpc_client *c, const char *path, const char *body, int want)
{
    int status;
    char *text;
    int rc = body ? rpc_client_post(c, path, body, strlen(body), &status, &text)
                  : rpc_client_get(c, path, &status, &text);
    cr_assert_eq(rc, ST_OK, "%s %s: no answer (status %d)", body ? "POST" : "GET", path, rc);
    cr_assert_eq(status, want, "%s %s: HTTP %d, expected %d", body ? "POST" : "GET", path, status, want);
    return text;
}

/* Calls method with params given as JSON text; returns the result (caller deletes). */
static cJSON *call_ok(rpc_client *c, const char *method, const char *params_json)
{
    cJSON *params = params_json ? cJSON_Parse(params_json) : NULL, *result, *error;
    int rc = rpc_client_call(c, method, params, &result, &error);
    cJSON_Delete(params);
    cr_assert_eq(rc, ST_OK, "%s: status %d, error %s", method, rc, error ? cJSON_PrintUnformatted(error) : "-");
    return result;
}

/* Calls method and checks it fails with code. */
static void call_fails(rpc_client *c, const char *method, int code)
{
    cJSON *result, *error;
    int rc = rpc_client_call(c, method, NULL, &result, &error);
    cr_assert_eq(rc, ST_INVALID, "%s: expected a JSON-RPC error, got status %d", method, rc);
    cr_assert_null(result, "no result with an error");
    const cJSON *got = cJSON_GetObjectItemCaseSensitive(error, "code");
    cr_assert(cJSON_IsNumber(got) && got->valueint == code, "%s: expected code %d", method, code);
    cJSON_Delete(error);
}

static void expect_add(rpc_client *c)
{
    cJSON *r = call_ok(c, "add", "[20,22]");
    cr_assert(cJSON_IsNumber(r) && r->valuedouble == 42, "20 + 22 must be 42");
    cJSON_Delete(r);
}

/* Checks that text is a JSON-RPC error with id null and code. */
static void expect_error_body(const char *text, int code)
{
    cJSON *r = cJSON_Parse(text);
    cr_assert_not_null(r, "the body is not JSON: %s", text);
    const cJSON *got = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r, "error"), "code");
    cr_assert(cJSON_IsNumber(got) && got->valueint == code, "expected code %d in %s", code, text);
    cr_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(r, "id")), "id must be null in %s", text);
    cJSON_Delete(r);
}

/* Connects a raw socket to the server from source (an address of 127/8; NULL: the system's choice),
 * its reads timing out after TIMEOUT_SECS. Returns: the socket. */
static int raw_connect_from(const char *source)
{
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)srv.loop.port) };
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert_geq(fd, 0, "socket failed");
    if (source) {
        struct sockaddr_in from = { .sin_family = AF_INET };
        cr_assert_eq(inet_pton(AF_INET, source, &from.sin_addr), 1, "source %s", source);
        cr_assert_eq(bind(fd, (struct sockaddr *)&from, sizeof from), 0, "bind to %s", source);
    }
    cr_assert_eq(connect(fd, (struct sockaddr *)&addr, sizeof addr), 0, "cannot connect to the server");
    struct timeval tv = { TIMEOUT_SECS, 0 };
    cr_assert_eq(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0, "SO_RCVTIMEO failed");
    return fd;
}

/* Connects a raw socket from 127.0.0.1 to the server (reads time out after TIMEOUT_SECS). */
static int raw_connect(void)
{
    return raw_connect_from(NULL);
}

/* Connects a raw socket and sends a POST / of body without reading anything. Returns: the socket. */
static int raw_post(const char *body)
{
    int fd = raw_connect();
    char *req;
    int n = asprintf(&req,
                     "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\n\r\n%s", strlen(body), body);
    cr_assert_geq(n, 0, "asprintf failed");
    cr_assert_eq(write(fd, req, (size_t)n), n, "cannot send the request");
    free(req);
    return fd;
}

/* Reads from fd into buf (size bytes) until text has arrived. Returns: whether it did before the
 * peer closed or TIMEOUT_SECS passed without data. */
static bool read_until(int fd, char *buf, size_t size, const char *text)
{
    size_t n = 0;
    buf[0] = '\0';
    while (!strstr(buf, text) && n < size - 1) {
        ssize_t got = read(fd, buf + n, size - 1 - n);
        if (got <= 0)
            return false;
        n += (size_t)got;
        buf[n] = '\0';
    }
    return strstr(buf, text) != NULL;
}

/* The value of a server counter in GET /metrics. */
static unsigned long long metric(rpc_client *c, const char *name)
{
    char *text = http(c, "/metrics", NULL, 200), line[128];
    snprintf(line, sizeof line, "\n%s ", name);
    const char *at = strstr(text, line);
    cr_assert_not_null(at, "%s in %s", name, text);
    unsigned long long v = strtoull(at + strlen(line), NULL, 10);
    free(text);
    return v;
}

/* Waits (a bounded number of GET /metrics) until the server counts no open event stream. */
static void wait_no_streams(rpc_client *c)
{
    unsigned long long open = 1;
    for (int i = 0; i < 1000 && open; i++)
        open = metric(c, "conclave_event_streams");
    cr_assert_eq(open, 0, "the server saw every stream close");
}

/* Waits until the server's count (under srv.mu) reaches n; what names it in the failure. */
static void wait_count(const unsigned *count, unsigned n, const char *what)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += TIMEOUT_SECS;
    pthread_mutex_lock(&srv.mu);
    int rc = 0;
    while (*count < n && rc == 0)
        rc = pthread_cond_timedwait(&srv.cv, &srv.mu, &deadline);
    unsigned got = *count;
    pthread_mutex_unlock(&srv.mu);
    cr_assert_geq(got, n, "the server counted %u %s, expected %u", got, what, n);
}

/* Waits until n "hold" calls have been deferred in all. */
static void wait_held(unsigned n)
{
    wait_count(&srv.held_total, n, "deferred hold calls");
}

Test(rpc_http, single_call_is_answered, .init = start_default, .fini = stop_server, .timeout = 30)
{
    rpc_client *c = client(NULL);
    expect_add(c);
    cJSON *r = call_ok(c, "add", "{\"a\":1,\"b\":2}");
    cr_assert_eq(r->valuedouble, 3, "named params work over HTTP too");
    cJSON_Delete(r);
    rpc_client_free(c);
}

/* Asserts that the reply in text carries one Date header, of RFC 1123's form (as evhttp writes it)
 * and within two seconds of now. */
static void expect_one_date(const char *text)
{
    const char *date = strstr(text, "\r\nDate: ");
    cr_assert_not_null(date, "a Date header: %s", text);
    cr_assert_null(strstr(date + 1, "\r\nDate: "), "only one: %s", text);
    struct tm tm = { 0 };
    const char *end = strptime(date + 8, "%a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
    cr_assert(end && end == strstr(date + 2, "\r\n") + 2, "RFC 1123's form: %.40s", date + 2);
    time_t when = timegm(&tm), now = time(NULL);
    cr_assert(when <= now && now - when <= 2, "the time of the reply (%lld, now %lld)", (long long)when,
              (long long)now);
}

Test(rpc_http, replies_carry_one_date_header_of_the_time_they_are_sent, .init = start_default, .fini = stop_server,
     .timeout = 30)
{
    static const char call[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"add\",\"params\":[1,2]}";
    char buf[2048], req[512];
    int fd = raw_post(call);
    cr_assert(read_until(fd, buf, sizeof buf, "\"result\":3}"), "answered: %s", buf);
    expect_one_date(buf);
    /* the next reply on the same connection, a second later or not, has its own */
    int n = snprintf(req, sizeof req,
                     "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\n\r\n%s", strlen(call), call);
    cr_assert_eq(write(fd, req, (size_t)n), n);
    cr_assert(read_until(fd, buf, sizeof buf, "\"result\":3}"), "answered again: %s", buf);
    expect_one_date(buf);
    close(fd);
}

Test(rpc_http, batch_with_deferred_calls_answers_in_order, .init = start_default, .fini = stop_server,
     .timeout = 30)
{
    const char *body = "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"later\",\"params\":[41]},"
                       "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"echo\",\"params\":[\"e\"]},"
                       "{\"jsonrpc\":\"2.0\",\"method\":\"later\",\"params\":[0]},"
                       "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"quick\"},"
                       "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"add\",\"params\":[1,2]}]";
    rpc_client *c = client(NULL);
    char *text = http(c, "/", body, 200);
    cJSON *r = cJSON_Parse(text);
    cr_assert(cJSON_IsArray(r) && cJSON_GetArraySize(r) == 4, "four answers expected: %s", text);
    const char *want[] = { "41", "{\"value\":\"e\"}", "\"quick\"", "3" };
    for (int i = 0; i < 4; i++) {
        const cJSON *item = cJSON_GetArrayItem(r, i);
        cr_assert_eq(cJSON_GetObjectItemCaseSensitive(item, "id")->valueint, i + 1, "answer %d out of order", i);
        char *res = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(item, "result"));
        cr_assert_str_eq(res, want[i], "answer %d: %s", i, text);
        cJSON_free(res);
    }
    cJSON_Delete(r);
    free(text);
    rpc_client_free(c);
}

Test(rpc_http, deferred_call_is_answered_from_the_loop, .init = start_default, .fini = stop_server, .timeout = 30)
{
    rpc_client *c = client(NULL);
    cJSON *r = call_ok(c, "later", "{\"value\":{\"deep\":[1,2]}}");
    char *text = cJSON_PrintUnformatted(r);
    cr_assert_str_eq(text, "{\"deep\":[1,2]}", "the deferred result arrives intact");
    cJSON_free(text);
    cJSON_Delete(r);
    rpc_client_free(c);
}

Test(rpc_http, held_call_is_answered_when_finished, .init = start_default, .fini = stop_server, .timeout = 30)
{
    int fd = raw_post("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"hold\"}");
    wait_held(1);
    command('f');
    char buf[1024];
    size_t n = 0;
    for (int reads = 0; reads < 64 && n < sizeof buf - 1; reads++) {
        ssize_t got = read(fd, buf + n, sizeof buf - 1 - n);
        if (got <= 0)
            break;
        n += (size_t)got;
        buf[n] = '\0';
        if (strstr(buf, "released"))
            break;
    }
    buf[n] = '\0';
    cr_assert(strstr(buf, "HTTP/1.1 200") && strstr(buf, "\"result\":\"released\""), "got: %s", buf);
    cr_assert(strstr(buf, "Content-Type: application/json"), "responses are JSON: %s", buf);
    close(fd);
}

/* The second thread of the timeout test: once the first hold call is held, a client with a 1 s
 * timeout calls hold too and gives up; then both calls are released. */
static void *impatient_caller(void *arg)
{
    int *rc = arg;
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += TIMEOUT_SECS;
    pthread_mutex_lock(&srv.mu);
    int wait_rc = 0;
    while (srv.held_total < 1 && wait_rc == 0)
        wait_rc = pthread_cond_timedwait(&srv.cv, &srv.mu, &deadline);
    pthread_mutex_unlock(&srv.mu);
    rpc_client *c = rpc_client_new(srv.url, NULL, 1);
    cJSON *result = NULL, *error = NULL;
    *rc = c ? rpc_client_call(c, "hold", NULL, &result, &error) : ST_NOMEM;
    if (result || error)
        *rc = -1;
    cJSON_Delete(result);
    cJSON_Delete(error);
    rpc_client_free(c);
    char f = 'f';
    if (write(srv.loop.cmd[1], &f, 1) != 1)
        *rc = -2;
    return NULL;
}

Test(rpc_http, a_call_past_its_timeout_is_st_limit_and_timeout_0_waits, .init = start_default, .fini = stop_server,
     .timeout = 30)
{
    int impatient_rc = ST_OK;
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, impatient_caller, &impatient_rc), 0, "cannot start the second caller");
    rpc_client *c = rpc_client_new(srv.url, NULL, 0);
    cr_assert_not_null(c, "a client without a time limit");
    cJSON *r = call_ok(c, "hold", NULL);
    cr_assert(cJSON_IsString(r) && strcmp(r->valuestring, "released") == 0, "answered once released");
    cJSON_Delete(r);
    pthread_join(t, NULL);
    cr_assert_eq(impatient_rc, ST_LIMIT, "the caller with a 1 s timeout got ST_LIMIT (not ST_IO), nothing else, "
                 "while the one without a limit waited on: %d", impatient_rc);
    expect_add(c);
    rpc_client_free(c);
}

Test(rpc_http, finishing_after_the_client_left_is_safe, .init = start_default, .fini = stop_server, .timeout = 30)
{
    int fd = raw_post("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"hold\"},{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"hold\"}]");
    wait_held(2);
    close(fd);
    command('f');
    rpc_client *c = client(NULL);
    expect_add(c);
    rpc_client_free(c);
}

/* Returns: the jobs handed to hold_parse so far. */
static unsigned jobs_total(void)
{
    pthread_mutex_lock(&srv.mu);
    unsigned n = srv.jobs_total;
    pthread_mutex_unlock(&srv.mu);
    return n;
}

/* The default server with hold_parse as its offload. */
static void start_offloaded(void)
{
    start_default();
    command('O');
    wait_count(&srv.offloads_set, 1, "offloads set");
}

/* A batch of n "count" calls with ids from first, padded past OFFLOAD_MIN_BODY. Caller frees. */
static char *count_batch(unsigned first, unsigned n)
{
    char *body = NULL;
    size_t size;
    FILE *f = open_memstream(&body, &size);
    cr_assert_not_null(f, "open_memstream");
    fputc('[', f);
    for (unsigned i = 0; i < n; i++)
        fprintf(f, "%s{\"jsonrpc\":\"2.0\",\"id\":%u,\"method\":\"count\",\"params\":{\"pad\":\"%064d\"}}",
                i ? "," : "", first + i, 0);
    fputc(']', f);
    fclose(f);
    cr_assert_gt(strlen(body), OFFLOAD_MIN_BODY, "the batch is large");
    return body;
}

/* Checks an HTTP reply (headers and body) to n "count" calls with ids from first_id: each answered
 * with the count from first_count on, in order. */
static void expect_counts(const char *reply, unsigned first_id, unsigned first_count, unsigned n)
{
    const char *body = strstr(reply, "\r\n\r\n");
    cr_assert_not_null(body, "a body in %s", reply);
    cJSON *r = cJSON_Parse(body + 4);
    cr_assert_not_null(r, "JSON in %s", body);
    cr_assert_eq(cJSON_IsArray(r) ? (unsigned)cJSON_GetArraySize(r) : 1, n, "%u answers in %s", n, body);
    for (unsigned i = 0; i < n; i++) {
        const cJSON *a = cJSON_IsArray(r) ? cJSON_GetArrayItem(r, (int)i) : r;
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(a, "id");
        const cJSON *result = cJSON_GetObjectItemCaseSensitive(a, "result");
        cr_assert(cJSON_IsNumber(id) && id->valueint == (int)(first_id + i), "id %u at %u in %s", first_id + i, i, body);
        cr_assert(cJSON_IsNumber(result) && result->valueint == (int)(first_count + i), "count %u for id %u in %s",
                  first_count + i, first_id + i, body);
    }
    cJSON_Delete(r);
}

Test(rpc_http, large_bodies_are_parsed_through_the_offload_and_calls_keep_arrival_order, .init = start_offloaded,
     .fini = stop_server, .timeout = 30)
{
    char *batch = count_batch(0, 20), buf[8192];
    int large = raw_post(batch);
    wait_count(&srv.jobs_total, 1, "bodies offloaded");
    /* a small body that comes while the large one is being parsed must not overtake it */
    int small = raw_post("{\"jsonrpc\":\"2.0\",\"id\":99,\"method\":\"count\"}");
    wait_count(&srv.jobs_total, 2, "bodies offloaded");
    command('o');
    cr_assert(read_until(large, buf, sizeof buf, "]"), "the batch is answered: %s", buf);
    expect_counts(buf, 0, 0, 20);
    cr_assert(read_until(small, buf, sizeof buf, "}"), "the small body is answered: %s", buf);
    expect_counts(buf, 99, 20, 1);
    /* with nothing outstanding, a small body is parsed (and its tree deleted) on the loop */
    unsigned offloaded = jobs_total();
    rpc_client *c = client(NULL);
    cJSON *r = call_ok(c, "count", NULL);
    cr_assert(cJSON_IsNumber(r) && r->valueint == 21, "the next count");
    cr_assert_eq(jobs_total(), offloaded, "the small body alone was not offloaded");
    cJSON_Delete(r);
    rpc_client_free(c);
    close(large);
    close(small);
    free(batch);
}

Test(rpc_http, what_the_calls_leave_of_an_offloaded_body_is_deleted_through_the_offload_after_them,
     .init = start_offloaded, .fini = stop_server, .timeout = 30)
{
    char *batch = count_batch(0, 20), buf[8192];
    int fd = raw_post(batch);
    wait_count(&srv.jobs_total, 1, "bodies offloaded");
    command('o');
    cr_assert(read_until(fd, buf, sizeof buf, "]"), "the batch is answered: %s", buf);
    expect_counts(buf, 0, 0, 20);
    wait_count(&srv.jobs_done, 2, "the parse, then the leftovers' deletion");
    cr_assert_eq(jobs_total(), 2, "one job for the parse, one for the leftovers");
    close(fd);
    free(batch);
}

Test(rpc_http, leftovers_the_offload_cannot_queue_are_deleted_on_the_loop, .init = start_offloaded,
     .fini = stop_server, .timeout = 30)
{
    char *batch = count_batch(0, 20), buf[8192];
    int fd = raw_post(batch);
    wait_count(&srv.jobs_total, 1, "bodies offloaded");
    command('x');
    cr_assert(read_until(fd, buf, sizeof buf, "]"), "the batch is answered: %s", buf);
    expect_counts(buf, 0, 0, 20);
    wait_count(&srv.jobs_done, 1, "the parse");
    cr_assert_eq(jobs_total(), 1, "the leftovers were not queued");
    close(fd);
    free(batch);
}

Test(rpc_http, a_large_malformed_body_gets_the_parse_error_through_the_offload, .init = start_offloaded,
     .fini = stop_server, .timeout = 30)
{
    char *batch = count_batch(0, 20), buf[8192];
    batch[strlen(batch) - 1] = ' '; /* the batch's closing bracket */
    int fd = raw_post(batch);
    wait_count(&srv.jobs_total, 1, "bodies offloaded");
    command('o');
    cr_assert(read_until(fd, buf, sizeof buf, "}}"), "the body is answered: %s", buf);
    cr_assert_not_null(strstr(buf, "HTTP/1.1 200"), "a JSON-RPC error is HTTP 200: %s", buf);
    expect_error_body(strstr(buf, "\r\n\r\n") + 4, RPC_PARSE_ERROR);
    close(fd);
    free(batch);
}

Test(rpc_http, a_body_parsed_after_its_client_left_still_runs_its_calls, .init = start_offloaded, .fini = stop_server,
     .timeout = 30)
{
    char *batch = count_batch(0, 20);
    int fd = raw_post(batch);
    wait_count(&srv.jobs_total, 1, "bodies offloaded");
    close(fd);
    command('o');
    wait_count(&srv.jobs_done, 1, "bodies parsed");
    rpc_client *c = client(NULL);
    cJSON *r = call_ok(c, "count", NULL);
    cr_assert(cJSON_IsNumber(r) && r->valueint == 20, "the batch's 20 calls ran before");
    cJSON_Delete(r);
    rpc_client_free(c);
    free(batch);
}

Test(rpc_http, a_body_the_offload_cannot_queue_is_answered_out_of_memory_and_the_rest_go_on,
     .init = start_offloaded, .fini = stop_server, .timeout = 30)
{
    char *batch = count_batch(0, 20), buf[8192];
    int fds[MAX_HELD + 1];
    for (unsigned i = 0; i < MAX_HELD; i++) {
        fds[i] = raw_post(batch);
        wait_count(&srv.jobs_total, i + 1, "bodies offloaded");
    }
    fds[MAX_HELD] = raw_post(batch); /* hold_parse holds no more */
    cr_assert(read_until(fds[MAX_HELD], buf, sizeof buf, "}}"), "the refused body is answered: %s", buf);
    cr_assert_not_null(strstr(buf, "HTTP/1.1 500"), "out of memory: %s", buf);
    expect_error_body(strstr(buf, "\r\n\r\n") + 4, RPC_INTERNAL_ERROR);
    command('o');
    for (unsigned i = 0; i < MAX_HELD; i++) {
        cr_assert(read_until(fds[i], buf, sizeof buf, "]"), "batch %u is answered: %s", i, buf);
        expect_counts(buf, 0, 20 * i, 20);
        close(fds[i]);
    }
    close(fds[MAX_HELD]);
    free(batch);
}

Test(rpc_http, freeing_the_server_drops_outstanding_deferred_calls, .init = start_default, .fini = stop_server,
     .timeout = 30)
{
    int fd = raw_post("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"hold\"}");
    wait_held(1);
    stop_server();
    char c;
    cr_assert_leq(read(fd, &c, 1), 0, "the dropped call gets no answer, only the close");
    close(fd);
}

Test(rpc_http, health_answers_ok, .init = start_default, .fini = stop_server, .timeout = 30)
{
    rpc_client *c = client(NULL);
    char *text = http(c, "/health", NULL, 200);
    cr_assert_str_eq(text, "{\"status\":\"ok\"}", "GET /health body");
    free(text);
    free(http(c, "/health", "{}", 405));
    rpc_client_free(c);
}

Test(rpc_http, oversized_body_gets_413_and_the_server_carries_on, .init = start_small, .fini = stop_server,
     .timeout = 30)
{
    size_t len = 8192;
    char *body = malloc(len);
    cr_assert_not_null(body, "malloc failed");
    memset(body, ' ', len);
    body[0] = '[';
    body[len - 1] = ']';
    rpc_client *c = client(NULL);
    int status;
    char *text;
    cr_assert_eq(rpc_client_post(c, "/", body, len, &status, &text), ST_OK, "the oversized request gets an answer");
    cr_assert_eq(status, 413, "HTTP status %d, expected 413", status);
    cr_assert(strstr(text, "\"code\":-32600") && strstr(text, "over the size limit"), "a JSON-RPC error: %s", text);
    free(text);
    free(body);
    expect_add(c);
    rpc_client_free(c);
}

Test(rpc_http, a_body_past_four_times_the_limit_gets_413_before_it_is_sent, .init = start_default,
     .fini = stop_server, .timeout = 30)
{
    /* headers announcing 4 MiB + 1 bytes, then nothing: the answer must not wait for the body */
    static const char req[] = "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                              "Content-Length: 4194305\r\n\r\n";
    char buf[1024];
    int fd = raw_connect();
    cr_assert_eq(write(fd, req, sizeof req - 1), (ssize_t)sizeof req - 1, "send the headers");
    cr_assert(read_until(fd, buf, sizeof buf, "\r\n\r\n"), "an answer before the body: %s", buf);
    cr_assert(strncmp(buf, "HTTP/1.1 413", 12) == 0 && strstr(buf, "Connection: close"), "413, closing: %s", buf);
    close(fd);
    rpc_client *c = client(NULL);
    expect_add(c);
    rpc_client_free(c);
}

Test(rpc_http, wrong_http_method_or_path_is_refused, .init = start_default, .fini = stop_server, .timeout = 30)
{
    rpc_client *c = client(NULL);
    char *text = http(c, "/", NULL, 405);
    expect_error_body(text, RPC_INVALID_REQUEST);
    free(text);
    text = http(c, "/nope", "{}", 404);
    expect_error_body(text, RPC_INVALID_REQUEST);
    free(text);
    expect_add(c);
    rpc_client_free(c);
}

Test(rpc_http, admin_call_needs_the_bearer_token, .init = start_default, .fini = stop_server, .timeout = 30)
{
    rpc_client *anonymous = client(NULL), *wrong = client("s3cret-tokeN"), *shorter = client("s3cret"),
               *admin = client(TOKEN);
    call_fails(anonymous, "admin_secret", RPC_E_UNAUTHORIZED);
    call_fails(wrong, "admin_secret", RPC_E_UNAUTHORIZED);
    call_fails(shorter, "admin_secret", RPC_E_UNAUTHORIZED);
    cJSON *r = call_ok(admin, "admin_secret", NULL);
    cr_assert_str_eq(r->valuestring, "granted", "the token opens admin methods");
    cJSON_Delete(r);
    rpc_client_free(anonymous);
    rpc_client_free(wrong);
    rpc_client_free(shorter);
    rpc_client_free(admin);
}

Test(rpc_http, notification_only_request_gets_204, .init = start_default, .fini = stop_server, .timeout = 30)
{
    const char *body = "[{\"jsonrpc\":\"2.0\",\"method\":\"echo\"},{\"jsonrpc\":\"2.0\",\"method\":\"later\"}]";
    rpc_client *c = client(NULL);
    char *text = http(c, "/", body, 204);
    cr_assert_str_eq(text, "", "204 has no body");
    free(text);
    rpc_client_free(c);
}

Test(rpc_http, connection_cap_refuses_with_503_but_answers_health, .init = start_small, .fini = stop_server,
     .timeout = 30)
{
    rpc_client *a = client(NULL), *b = client(NULL);
    /* a keeps one connection alive across calls, so it stays within the cap of 1 */
    for (int i = 0; i < 3; i++)
        expect_add(a);
    free(http(b, "/health", NULL, 200));  /* past the cap */
    char *text = http(b, "/", "{}", 503);   /* the refusal is an answer */
    expect_error_body(text, RPC_E_LIMIT);
    free(text);
    call_fails(b, "add", RPC_E_LIMIT);
    rpc_client_free(a);
    /* the server notices a's close at its own pace: retry, boundedly */
    bool served = false;
    for (int i = 0; i < 100 && !served; i++) {
        cJSON *params = cJSON_Parse("[1,2]"), *result = NULL, *error = NULL;
        served = rpc_client_call(b, "add", params, &result, &error) == ST_OK;
        cJSON_Delete(params);
        cJSON_Delete(result);
        cJSON_Delete(error);
    }
    cr_assert(served, "a freed slot must be given to the next connection");
    rpc_client_free(b);
}

/* Caps of 2 connections, 2 from one address, and 2 s to send a request. */
static void start_tight(void)
{
    rpc_limits limits;
    rpc_limits_default(&limits);
    limits.max_connections = 3;
    limits.max_client_connections = 2;
    limits.timeout_secs = 2;
    start_with(&limits);
}

/* POSTs add [1,2] on fd and reads the answer into buf. */
static void raw_add(int fd, char *buf, size_t size)
{
    static const char body[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"add\",\"params\":[1,2]}";
    char req[256];
    int n = snprintf(req, sizeof req, "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\n\r\n%s", sizeof body - 1, body);
    cr_assert_eq(write(fd, req, (size_t)n), n, "send add");
    read_until(fd, buf, size, "}");
}

Test(rpc_http, idle_connections_count_against_the_caps_per_address_too, .init = start_tight, .fini = stop_server,
     .timeout = 30)
{
    char buf[1024];
    /* two connections from 127.0.0.1 that never send anything fill that address's share */
    int idle1 = raw_connect_from("127.0.0.1"), idle2 = raw_connect_from("127.0.0.1");
    int third = raw_connect_from("127.0.0.1");
    raw_add(third, buf, sizeof buf);
    cr_assert(strstr(buf, "HTTP/1.1 503") && strstr(buf, "\"code\":-32007") && strstr(buf, "from this address"),
              "a third connection from the same address is refused: %s", buf);
    close(third);
    /* another address still gets the last place */
    int other = raw_connect_from("127.0.0.2");
    raw_add(other, buf, sizeof buf);
    cr_assert(strstr(buf, "HTTP/1.1 200") && strstr(buf, "\"result\":3"), "127.0.0.2 is served: %s", buf);
    /* now all 3 places are taken: a fourth address gets 503, but its GET /health is answered */
    int fourth = raw_connect_from("127.0.0.3");
    raw_add(fourth, buf, sizeof buf);
    cr_assert(strstr(buf, "HTTP/1.1 503") && strstr(buf, "too many connections"), "over the cap: %s", buf);
    close(fourth);
    fourth = raw_connect_from("127.0.0.3");
    static const char health[] = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    cr_assert_eq(write(fourth, health, sizeof health - 1), (ssize_t)sizeof health - 1, "send GET /health");
    read_until(fourth, buf, sizeof buf, "}");
    cr_assert(strstr(buf, "HTTP/1.1 200") && strstr(buf, "{\"status\":\"ok\"}"), "health past the cap: %s", buf);
    close(fourth);
    close(other);
    close(idle1);
    close(idle2);
}

Test(rpc_http, a_request_sent_byte_by_byte_is_cut_off_at_the_deadline, .init = start_tight, .fini = stop_server,
     .timeout = 30)
{
    static const char slow[] = "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    int fd = raw_connect_from("127.0.0.1");
    bool closed = false;
    /* a byte every 500 ms, well within the 2 s of silence evhttp allows; at most 8 s */
    for (size_t i = 0; i < 16 && !closed; i++) {
        cr_assert_eq(write(fd, &slow[i], 1), 1, "send byte %zu", i);
        struct pollfd p = { .fd = fd, .events = POLLIN };
        char c;
        closed = poll(&p, 1, 500) == 1 && read(fd, &c, 1) <= 0;
    }
    clock_gettime(CLOCK_MONOTONIC, &now);
    double secs = (double)(now.tv_sec - start.tv_sec) + (double)(now.tv_nsec - start.tv_nsec) / 1e9;
    cr_assert(closed, "the server closed the trickling connection (after %.1f s)", secs);
    cr_assert(secs >= 1.9 && secs < 4, "closed at the 2 s deadline, after %.1f s", secs);
    close(fd);
    /* the server carries on */
    rpc_client *c = client(NULL);
    expect_add(c);
    rpc_client_free(c);
}

Test(rpc_http, listen_rejects_bad_addresses, .init = start_default, .fini = stop_server, .timeout = 30)
{
    unsigned port = 12345;
    char taken[64];
    cr_assert_eq(rpc_server_listen(srv.loop.server, "127.0.0.1", &port), ST_INVALID, "no port");
    cr_assert_eq(rpc_server_listen(srv.loop.server, "127.0.0.1:", &port), ST_INVALID, "empty port");
    cr_assert_eq(rpc_server_listen(srv.loop.server, "127.0.0.1:65536", &port), ST_INVALID, "port too large");
    cr_assert_eq(rpc_server_listen(srv.loop.server, "127.0.0.1:80x", &port), ST_INVALID, "junk after the port");
    snprintf(taken, sizeof taken, "127.0.0.1:%u", srv.loop.port);
    cr_assert_eq(rpc_server_listen(srv.loop.server, taken, &port), ST_IO, "the port is taken");
    cr_assert_eq(port, 12345, "*bound_port is untouched on failure");
}

Test(rpc_http, client_rejects_bad_urls_and_reports_no_server, .timeout = 30)
{
    cr_assert_null(rpc_client_new("ftp://127.0.0.1:1/", NULL, 1), "only http");
    cr_assert_null(rpc_client_new("not a url", NULL, 1), "garbage");
    cr_assert_null(rpc_client_new("http:///path", NULL, 1), "no host");
    /* a port nobody listens on: bind one, learn it, close it */
    struct sockaddr_in addr = { .sin_family = AF_INET };
    socklen_t len = sizeof addr;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert(fd >= 0 && bind(fd, (struct sockaddr *)&addr, sizeof addr) == 0 &&
              getsockname(fd, (struct sockaddr *)&addr, &len) == 0, "cannot find a free port");
    close(fd);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u", (unsigned)ntohs(addr.sin_port));
    rpc_client *c = rpc_client_new(url, NULL, TIMEOUT_SECS);
    cr_assert_not_null(c, "a URL without path is fine");
    cJSON *result, *error;
    cr_assert_eq(rpc_client_call(c, "add", NULL, &result, &error), ST_IO, "no server: ST_IO");
    cr_assert(!result && !error, "nothing is returned on ST_IO");
    rpc_client_free(c);
}

Test(rpc_http, an_event_stream_closed_by_its_client_leaves_nothing_allocated, .init = start_counted,
     .fini = stop_server, .timeout = 60)
{
    enum { CYCLES = 300 };
    static const char get[] = "GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    char buf[512];
    rpc_client *c = client(NULL);
    wait_no_streams(c);
    size_t before = libevent_bytes;
    for (int i = 0; i < CYCLES; i++) {
        int fd = raw_connect();
        cr_assert_eq(write(fd, get, sizeof get - 1), (ssize_t)sizeof get - 1, "send GET /events");
        cr_assert(read_until(fd, buf, sizeof buf, "retry:"), "stream %d opened: %s", i, buf);
        close(fd);
    }
    wait_no_streams(c);
    size_t after = libevent_bytes;
    cr_assert_lt(after, before + CYCLES * 64, "libevent holds %zu bytes more after %d streams opened and closed "
                 "(%zu per stream)", after - before, CYCLES, (after - before) / CYCLES);
    rpc_client_free(c);
}

/* Waits until n 'p' commands have been carried out in all. */
static void wait_published(unsigned n)
{
    wait_count(&srv.published, n, "publishes");
}

Test(rpc_http, stalled_event_readers_hold_no_more_memory_than_the_limits, .init = start_counted_streams,
     .fini = stop_server, .timeout = 60)
{
    enum { READERS = 4 };
    static const char get[] = "GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    char buf[512];
    int fds[READERS];
    rpc_client *c = client(NULL);
    metric(c, "conclave_event_streams");
    size_t before = libevent_bytes;
    for (int i = 0; i < READERS; i++) {
        /* a small receive window, then never read past the headers */
        struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)srv.loop.port) };
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        int small = 4096;
        fds[i] = socket(AF_INET, SOCK_STREAM, 0);
        cr_assert(fds[i] >= 0 && setsockopt(fds[i], SOL_SOCKET, SO_RCVBUF, &small, sizeof small) == 0,
                  "a socket with a small receive buffer");
        cr_assert_eq(connect(fds[i], (struct sockaddr *)&addr, sizeof addr), 0, "connect");
        struct timeval tv = { TIMEOUT_SECS, 0 };
        setsockopt(fds[i], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        cr_assert_eq(write(fds[i], get, sizeof get - 1), (ssize_t)sizeof get - 1, "send GET /events");
        cr_assert(read_until(fds[i], buf, sizeof buf, "retry:"), "stream %d opened: %s", i, buf);
    }
    libevent_peak = libevent_bytes;
    /* 60 bytes an event: 200 blocks of 1000 events are 12 MB for each reader */
    unsigned blocks = 0;
    for (; blocks < 200 && metric(c, "conclave_event_streams") > 0; blocks++) {
        command('p');
        wait_published(blocks + 1);
    }
    cr_assert_eq(metric(c, "conclave_event_streams"), 0, "every stalled reader was dropped (after %u blocks)", blocks);
    cr_assert_eq(metric(c, "conclave_event_streams_dropped_total"), READERS, "each counted as dropped");
    size_t grew = libevent_peak - before;
    cr_assert_leq(grew, (1u << 20) + (256u << 10), "libevent held at most the 1 MiB of all streams (and the "
                  "batch being sent): %zu bytes", grew);
    for (int i = 0; i < READERS; i++)
        close(fds[i]);
    rpc_client_free(c);
}

/* Sends a raw request (text) on a new connection; reads the answer into buf up to its first "}". */
static void raw_exchange(const char *text, char *buf, size_t size)
{
    int fd = raw_connect();
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text), "send the request");
    read_until(fd, buf, size, "}");
    close(fd);
}

/* A POST / of add [1,2] with the given extra header lines (each ending in \r\n). */
static void post_add_with(const char *headers, char *buf, size_t size)
{
    static const char body[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"add\",\"params\":[1,2]}";
    char req[512];
    snprintf(req, sizeof req, "POST / HTTP/1.1\r\n%sContent-Length: %zu\r\n\r\n%s", headers, sizeof body - 1, body);
    raw_exchange(req, buf, size);
}

Test(rpc_http, json_rpc_takes_only_content_type_application_json, .init = start_default, .fini = stop_server,
     .timeout = 30)
{
    static const struct {
        const char *headers;
        bool served;
    } cases[] = {
        { "Host: 127.0.0.1\r\n", false },
        { "Host: 127.0.0.1\r\nContent-Type: text/plain\r\n", false },
        { "Host: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n", false },
        { "Host: 127.0.0.1\r\nContent-Type: application/jsonx\r\n", false },
        { "Host: 127.0.0.1\r\nContent-Type: application/json\r\n", true },
        { "Host: 127.0.0.1\r\nContent-Type: Application/JSON; charset=utf-8\r\n", true },
    };
    char buf[1024];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        post_add_with(cases[i].headers, buf, sizeof buf);
        if (cases[i].served)
            cr_assert(strstr(buf, "HTTP/1.1 200") && strstr(buf, "\"result\":3"), "%s: served: %s", cases[i].headers, buf);
        else
            cr_assert(strstr(buf, "HTTP/1.1 415") && strstr(buf, "\"code\":-32600") && strstr(buf, "application/json"),
                      "%s: refused with 415: %s", cases[i].headers, buf);
    }
}

Test(rpc_http, a_host_header_that_does_not_name_the_node_is_refused, .init = start_default, .fini = stop_server,
     .timeout = 30)
{
    char ok[4][64];
    snprintf(ok[0], sizeof ok[0], "Host: 127.0.0.1:%u\r\n", srv.loop.port);
    snprintf(ok[1], sizeof ok[1], "Host: localhost:%u\r\n", srv.loop.port);
    snprintf(ok[2], sizeof ok[2], "Host: [::1]:%u\r\n", srv.loop.port);
    snprintf(ok[3], sizeof ok[3], "Host: LOCALHOST\r\n");
    static const char *const refused[] = {
        "Host: attacker.example:8645\r\n", "Host: 127.0.0.1.attacker.example\r\n", "Host: 10.1.2.3\r\n",
        "Host: localhost:80x\r\n", "Host: [::1\r\n", "Host: \r\n",
    };
    char headers[320], buf[1024];
    for (size_t i = 0; i < 4; i++) {
        snprintf(headers, sizeof headers, "%sContent-Type: application/json\r\n", ok[i]);
        post_add_with(headers, buf, sizeof buf);
        cr_assert(strstr(buf, "HTTP/1.1 200") && strstr(buf, "\"result\":3"), "%s: served: %s", ok[i], buf);
    }
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        snprintf(headers, sizeof headers, "%sContent-Type: application/json\r\n", refused[i]);
        post_add_with(headers, buf, sizeof buf);
        cr_assert(strstr(buf, "HTTP/1.1 403") && strstr(buf, "\"code\":-32600") && strstr(buf, "Host"),
                  "%s: refused with 403: %s", refused[i], buf);
    }
    /* the page and the event stream too */
    raw_exchange("GET /events HTTP/1.1\r\nHost: attacker.example\r\n\r\n", buf, sizeof buf);
    cr_assert(strstr(buf, "HTTP/1.1 403"), "GET /events from a rebound name: %s", buf);
    /* without Host (HTTP/1.0, never a browser) it is served */
    post_add_with("Content-Type: application/json\r\n", buf, sizeof buf);
    cr_assert(strstr(buf, "\"result\":3"), "no Host: served: %s", buf);
}

Test(rpc_http, loopback_addresses_are_told_apart, .timeout = 30)
{
    static const struct {
        const char *hostport;
        bool loopback;
    } cases[] = {
        { "127.0.0.1:0", true }, { ":8645", true }, { "127.9.8.7:1", true }, { "[::1]:1", true },
        { "localhost:1", true }, { "0.0.0.0:8645", false }, { "[::]:8645", false }, { "10.1.2.3:80", false },
        { "[::ffff:127.0.0.1]:1", true }, { "[::ffff:10.0.0.1]:1", false },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bool loopback = !cases[i].loopback;
        cr_assert_eq(rpc_address_loopback(cases[i].hostport, &loopback), ST_OK, "%s parses", cases[i].hostport);
        cr_assert_eq(loopback, cases[i].loopback, "%s is %sloopback", cases[i].hostport, cases[i].loopback ? "" : "not ");
    }
    bool loopback = true;
    cr_assert_eq(rpc_address_loopback("127.0.0.1", &loopback), ST_INVALID, "no port");
    cr_assert_eq(rpc_address_loopback("no-such-host.invalid:1", &loopback), ST_INVALID, "does not resolve");
}

static const char page[] = "<!DOCTYPE html><style>p{}</style><p>hi<script>alert(1)</script>";

static void start_with_page(void)
{
    start_with(NULL);
    rpc_server_set_page(srv.loop.server, page, sizeof page - 1);
}

Test(rpc_http, the_page_may_run_only_its_own_script_and_style, .init = start_with_page, .fini = stop_server,
     .timeout = 30)
{
    char buf[2048];
    raw_exchange("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", buf, sizeof buf);
    const char *csp = strstr(buf, "Content-Security-Policy: ");
    cr_assert_not_null(csp, "a policy: %s", buf);
    cr_assert(strstr(csp, "script-src 'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI=';"),
              "the script by its SHA-256 (of \"alert(1)\"): %s", buf);
    cr_assert(strstr(csp, "style-src 'sha256-gG2yISYereRMiG2lMXrbiUgi0Ubw9p7QCeWcroOvy9Y=';"),
              "the style by its SHA-256 (of \"p{}\"): %s", buf);
    cr_assert(strstr(csp, "default-src 'none'") && strstr(csp, "connect-src 'self'"), "nothing else: %s", buf);
    cr_assert_null(strstr(buf, "unsafe-inline"), "no inline code but those: %s", buf);
}

Test(rpc_http, idle_connections_past_the_caps_cannot_keep_a_health_check_out, .init = start_tight,
     .fini = stop_server, .timeout = 30)
{
    enum { HEALTH_SLOTS = 16 };
    static const char health[] = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    char buf[1024];
    /* the 3 places, then every slot kept for health checks, all idle */
    int idle[3 + HEALTH_SLOTS];
    idle[0] = raw_connect_from("127.0.0.1");
    idle[1] = raw_connect_from("127.0.0.1");
    idle[2] = raw_connect_from("127.0.0.2");
    for (int i = 3; i < 3 + HEALTH_SLOTS; i++)
        idle[i] = raw_connect_from("127.0.0.3");
    int fd = raw_connect_from("127.0.0.4");
    cr_assert_eq(write(fd, health, sizeof health - 1), (ssize_t)sizeof health - 1, "send GET /health");
    read_until(fd, buf, sizeof buf, "}");
    cr_assert(strstr(buf, "HTTP/1.1 200") && strstr(buf, "{\"status\":\"ok\"}"), "health answered: %s", buf);
    close(fd);
    for (int i = 0; i < 3 + HEALTH_SLOTS; i++)
        close(idle[i]);
}

/* Opens GET target with the extra header lines headers and reads until text. */
static int stream_until(const char *target, const char *headers, char *buf, size_t size, const char *text)
{
    char req[256];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\n", target, headers);
    int fd = raw_connect();
    cr_assert_eq(write(fd, req, (size_t)n), n, "send GET %s", target);
    cr_assert(read_until(fd, buf, size, text), "%s: \"%s\" arrives; got: %s", target, text, buf);
    return fd;
}

Test(rpc_http, a_resumed_stream_gets_the_replay_through_its_filter_within_half_its_memory, .init = start_default,
     .fini = stop_server, .timeout = 30)
{
    static char buf[1 << 16];
    command('r');
    wait_count(&srv.replays_set, 1, "replays set");

    int fd = stream_until("/events?type=Transfer", "Last-Event-ID: 7-4990\r\n", buf, sizeof buf, "id: 7-4999\n");
    close(fd);
    cr_assert(strstr(buf, "id: 7-4991\nevent: ledger\ndata: \"xxx"), "the first Transfer after the id: %s", buf);
    for (int p = 4991; p <= 4999; p++) {
        char id[32];
        snprintf(id, sizeof id, "id: 7-%d\n", p);
        cr_assert_eq(strstr(buf, id) != NULL, p % 2 == 1, "7-%d is sent only if it is a Transfer", p);
    }

    fd = stream_until("/events?lastEventId=99-0", "", buf, sizeof buf, "}\n\n");
    close(fd);
    cr_assert(strstr(buf, "event: resume-error\ndata: {\"lastEventId\":\"99-0\",\"message\":\"test: no event 99-0\"}"),
              "the replay's refusal, as a resume-error: %s", buf);

    pthread_mutex_lock(&srv.mu);
    srv.replayed = 0;
    pthread_mutex_unlock(&srv.mu);
    fd = stream_until("/events", "Last-Event-ID: 7-0\r\n", buf, sizeof buf, "}\n\n");
    close(fd);
    cr_assert(strstr(buf, "event: resume-error\ndata: {\"lastEventId\":\"7-0\",\"message\":\"the events since 7-0 are "
                          "over 2097152 bytes: read them over JSON-RPC\"}"),
              "5 MB of events are too many to resume: %s", buf);
    cr_assert_null(strstr(buf, "id: 7-"), "and none of them is sent: %s", buf);
    pthread_mutex_lock(&srv.mu);
    unsigned replayed = srv.replayed;
    pthread_mutex_unlock(&srv.mu);
    cr_assert_lt(replayed, 2100, "the replay stopped once past 2 MiB (%u events of 1 KiB)", replayed);
}
