/* SPDX-License-Identifier: MIT */
/* bench_reads.c: `make bench`: reads over keep-alive HTTP against the speed of HTTP itself. A bare
 * evhttp responder (a thread of this program, its own event loop, one fixed JSON-RPC-shaped answer
 * and no parsing) and a real conclaved --dev on a free loopback port are each driven by the same
 * client: CONNECTIONS keep-alive connections, one call at a time each (no pipelining, as the other
 * benches post), all driven by one thread with epoll (bench/http_load.h). Figures: requests per
 * second of the responder, of ledger_getAccount and of gov_getTally on a proposal with five votes,
 * each with its ratio to the responder, the server's own CPU time per request (less sensitive to
 * the machine's load) and the client's; the best of ROUNDS rounds, interleaved so that a load spike
 * hits all three alike. The client runs on the same two cores as the server it drives. */
#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "bench/benchlib.h"
#include "engine/genesis.h"
#include "ledger/hex.h"
#include "ledger/sig.h"
#include "ledger/tx.h"
#include "rpc/client.h"

#define CONNECTIONS 8
#define PER_CONNECTION 2500         /* requests per connection and round */
#define ROUNDS 3
#define VOTES 5                     /* dev accounts 0..4 vote on the proposal */
#define STAKE "1000000000000000000000"               /* 1,000 tokens a voter */
#define CAPACITY "1000000000000000000000000000000"
#define VOTING_DELAY 3600           /* the treasury track's in the dev genesis */

/* ---- the bare responder: what evhttp costs with nothing behind it ---- */

static const char bare_answer[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"address\":"
                                  "\"0x0000000000000000000000000000000000000001\",\"free\":\"1000\",\"nonce\":0}}";

static void bare_reply(struct evhttp_request *req, void *arg)
{
    (void)arg;
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
    evbuffer_add_reference(evhttp_request_get_output_buffer(req), bare_answer, sizeof bare_answer - 1, NULL, NULL);
    evhttp_send_reply(req, 200, "OK", NULL);
}

struct bare {
    struct event_base *base;
    struct evhttp *http;
    struct event *stop;         /* readable end of stop_pipe: the loop thread's cue to end */
    int stop_pipe[2];
    pthread_t thread;
    char url[64];
};

/* The base is not made thread-safe, so another thread stops it through a pipe. */
static void bare_on_stop(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    event_base_loopbreak(arg);
}

static void *bare_loop(void *arg)
{
    event_base_dispatch(((struct bare *)arg)->base);
    return NULL;
}

/* Starts the responder on 127.0.0.1 and a free port, in a thread of its own. */
static void bare_start(struct bare *b)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    struct evhttp_bound_socket *sock;
    if (!(b->base = event_base_new()) || !(b->http = evhttp_new(b->base))
        || !(sock = evhttp_bind_socket_with_handle(b->http, "127.0.0.1", 0))
        || getsockname(evhttp_bound_socket_get_fd(sock), (struct sockaddr *)&sa, &len) != 0 || pipe(b->stop_pipe) != 0
        || !(b->stop = event_new(b->base, b->stop_pipe[0], EV_READ, bare_on_stop, b->base)) || event_add(b->stop, NULL) != 0)
        bench_die("bare responder");
    evhttp_set_gencb(b->http, bare_reply, NULL);
    snprintf(b->url, sizeof b->url, "http://127.0.0.1:%u/", ntohs(sa.sin_port));
    if (pthread_create(&b->thread, NULL, bare_loop, b) != 0)
        bench_die("pthread_create");
}

static void bare_stop(struct bare *b)
{
    if (write(b->stop_pipe[1], "", 1) != 1)
        bench_die("stopping the bare responder");
    pthread_join(b->thread, NULL);
    event_free(b->stop);
    close(b->stop_pipe[0]);
    close(b->stop_pipe[1]);
    evhttp_free(b->http);
    event_base_free(b->base);
}

/* ---- the node: a proposal with a few votes ---- */

/* Posts body and dies unless every one of want calls succeeded. */
static void post_ok(rpc_client *c, const char *body, size_t want, const char *what)
{
    int status;
    char *resp = NULL;
    if (rpc_client_post(c, "/", body, strlen(body), &status, &resp) != ST_OK || bench_count_success(resp) != want) {
        fprintf(stderr, "bench_reads: %s: %.400s\n", what, resp ? resp : "(no answer)");
        bench_die(what);
    }
    free(resp);
}

/* A tx_send call of dev account dev: type with message members as JSON text (without the nonce). */
static char *dev_call(const char *type, const char *members, unsigned dev, uint64_t nonce)
{
    char text[512], err[256];
    uint8_t key[32];
    snprintf(text, sizeof text, "%.*s,\"nonce\":\"%llu\"}", (int)strlen(members) - 1, members, (unsigned long long)nonce);
    cJSON *msg = cJSON_Parse(text);
    ledger_tx tx;
    eng_dev_key(key, dev);
    if (!msg || ledger_tx_build_signed(&tx, err, sizeof err, type, msg, key, ENG_DEV_CHAIN_ID) != ST_OK)
        bench_die("signing");
    memset(key, 0, sizeof key);
    cJSON_Delete(msg);
    char *out = bench_tx_call(&tx, dev);
    ledger_tx_clear(&tx);
    return out;
}

/* Posts the calls[0..n) as one batch, each must succeed, and frees them. */
static void post_batch_ok(rpc_client *c, char **calls, size_t n, const char *what)
{
    char *body = bench_batch(calls, n);
    post_ok(c, body, n, what);
    free(body);
    for (size_t i = 0; i < n; i++)
        cJSON_free(calls[i]);
}

/* Pool 1 by dev 0 (nonce 0); devs 0..VOTES-1 stake in it (dev 0: nonce 1); dev 0 proposes on the
 * treasury track (nonce 2: proposal 1); the clock passes the voting delay; devs 0..VOTES-1 vote
 * for it (dev 0: nonce 3, the others 1). */
static void setup(const bench_node *n)
{
    rpc_client *c = rpc_client_new(n->url, NULL, 60);
    char *calls[VOTES];
    if (!c)
        bench_die("client");
    calls[0] = dev_call("PoolCreate", "{\"commissionPpm\":\"0\",\"capacity\":\"" CAPACITY "\"}", 0, 0);
    post_batch_ok(c, calls, 1, "PoolCreate");
    for (unsigned d = 0; d < VOTES; d++)
        calls[d] = dev_call("Contribute", "{\"pool\":\"1\",\"amount\":\"" STAKE "\"}", d, d == 0 ? 1 : 0);
    post_batch_ok(c, calls, VOTES, "Contribute");
    calls[0] = dev_call("Propose", "{\"track\":\"treasury\",\"title\":\"bench\",\"body\":\"\",\"payload\":\"0x\"}", 0, 2);
    post_batch_ok(c, calls, 1, "Propose");
    rpc_client_free(c);
    bench_node_advance(n, VOTING_DELAY);
    if (!(c = rpc_client_new(n->url, NULL, 60)))
        bench_die("client");
    for (unsigned d = 0; d < VOTES; d++)
        calls[d] = dev_call("Vote", "{\"proposal\":\"1\",\"support\":\"1\",\"conviction\":\"1\"}", d, d == 0 ? 3 : 1);
    post_batch_ok(c, calls, VOTES, "Vote");
    rpc_client_free(c);
}

/* ---- the load ---- */

/* CPU seconds the bare responder's loop thread has used. */
static double bare_cpu(const void *arg)
{
    const struct bare *b = arg;
    clockid_t clock;
    struct timespec ts;
    if (pthread_getcpuclockid(b->thread, &clock) != 0 || clock_gettime(clock, &ts) != 0)
        bench_die("the bare responder's CPU clock");
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds (user and system) the node's process has used, from /proc/PID/stat. */
static double node_cpu(const void *arg)
{
    const bench_node *n = arg;
    char path[64], text[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)n->pid);
    FILE *f = fopen(path, "r");
    size_t len = f ? fread(text, 1, sizeof text - 1, f) : 0;
    if (f)
        fclose(f);
    text[len] = 0;
    /* the fields after the command's closing parenthesis: state is field 3, utime 14, stime 15 */
    const char *p = strrchr(text, ')');
    unsigned long long utime, stime;
    if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2)
        bench_die("the node's CPU time");
    return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

/* What one round measured of one server. */
typedef struct reads {
    double rate;                /* requests per second */
    double cpu_us;              /* the server's CPU microseconds per request */
    double client_us;           /* the client's */
} reads;

/* Posts body PER_CONNECTION times on each of CONNECTIONS connections to url; dies unless every
 * answer holds expect. server_cpu(server) reads the server's CPU seconds. Keeps the best rate and the
 * lowest CPU costs of the rounds in *best. */
static void measure(reads *best, const char *url, const char *body, const char *expect,
                    double (*server_cpu)(const void *), const void *server)
{
    bench_worker w[CONNECTIONS];
    char **bodies = malloc(PER_CONNECTION * sizeof *bodies), *copy = strdup(body);
    if (!bodies || !copy)
        bench_die("out of memory");
    for (size_t i = 0; i < PER_CONNECTION; i++)
        bodies[i] = copy;
    for (unsigned c = 0; c < CONNECTIONS; c++)
        w[c] = (bench_worker){ .bodies = bodies, .n = PER_CONNECTION, .expect = expect };
    double cpu0 = server_cpu(server);
    double s = bench_post_parallel(url, w, CONNECTIONS);
    double cpu = server_cpu(server) - cpu0;
    for (unsigned c = 0; c < CONNECTIONS; c++)
        if (w[c].ok != PER_CONNECTION) {
            fprintf(stderr, "bench_reads: %zu of %d answers to %.100s held %s\n", w[c].ok, PER_CONNECTION, body, expect);
            bench_die("a read failed");
        }
    free(copy);
    free(bodies);
    double rate = CONNECTIONS * PER_CONNECTION / s, cpu_us = cpu * 1e6 / (CONNECTIONS * PER_CONNECTION);
    if (rate > best->rate)
        best->rate = rate;
    if (best->cpu_us == 0 || cpu_us < best->cpu_us)
        best->cpu_us = cpu_us;
    double client_us = bench_post_cpu() * 1e6 / (CONNECTIONS * PER_CONNECTION);
    if (best->client_us == 0 || client_us < best->client_us)
        best->client_us = client_us;
}

static void print_line(const char *label, const reads *r, const reads *bare)
{
    printf("%-44s %10.0f %8.2fx %12.1f %8.2fx %12.1f\n", label, r->rate, r->rate / bare->rate, r->cpu_us,
           r->cpu_us / bare->cpu_us, r->client_us);
}

int main(int argc, char **argv)
{
    bool quick;
    const char *daemon = bench_args(argc, argv, &quick);
    struct bare bare;
    bench_node n;
    bare_start(&bare);
    bench_node_start(&n, daemon);
    setup(&n);
    uint8_t key[32], addr[20];
    char account[LEDGER_ADDR_STRLEN], get_account[256];
    eng_dev_key(key, 1);
    if (ledger_sig_address(addr, key) != ST_OK)
        bench_die("dev address");
    ledger_addr_format(account, addr);
    snprintf(get_account, sizeof get_account,
             "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ledger_getAccount\",\"params\":{\"address\":\"%s\"}}", account);
    const char get_tally[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"gov_getTally\",\"params\":{\"id\":1}}";
    reads bare_r = { 0 }, account_r = { 0 }, tally_r = { 0 };
    for (int r = 0; r < (quick ? 1 : ROUNDS); r++) {
        measure(&bare_r, bare.url, get_account, "\"result\"", bare_cpu, &bare);
        measure(&account_r, n.url, get_account, "\"result\"", node_cpu, &n);
        measure(&tally_r, n.url, get_tally, "\"tally\"", node_cpu, &n);
    }
    bench_node_stop(&n);
    bare_stop(&bare);
    bench_print_machine();
    printf("%-44s %10s %9s %12s %9s %12s\n", "reads over keep-alive HTTP", "req/s", "vs bare", "server us/req", "vs bare",
           "client us/req");
    print_line("bare evhttp responder (fixed answer)", &bare_r, &bare_r);
    print_line("ledger_getAccount", &account_r, &bare_r);
    print_line("gov_getTally, a proposal with 5 votes", &tally_r, &bare_r);
    printf("\n%d keep-alive connections, one call at a time each (no pipelining), %d calls a connection;\n"
           "best of %d interleaved rounds. The client (bench/http_load.c: one thread, epoll) shares the\n"
           "machine's two cores with the server it drives (one loop thread for either), so req/s carries\n"
           "the machine's load; server us/req is the server's own CPU time (the responder's thread, the\n"
           "node's whole process, at the kernel's tick resolution) per request, client us/req the\n"
           "client's threads'.\n",
           CONNECTIONS, PER_CONNECTION, quick ? 1 : ROUNDS);
    char figure[80];
    snprintf(figure, sizeof figure, "bare evhttp responder, %d conns", CONNECTIONS);
    bench_row(figure, bare_r.rate, "req/s", NULL, 0, "-");
    snprintf(figure, sizeof figure, "ledger_getAccount, %d conns", CONNECTIONS);
    bench_row(figure, account_r.rate, "req/s", "bare evhttp responder", bare_r.rate, ">= 0.7x");
    snprintf(figure, sizeof figure, "gov_getTally (5 votes), %d conns", CONNECTIONS);
    bench_row(figure, tally_r.rate, "req/s", "bare evhttp responder", bare_r.rate, ">= 0.7x");
    bench_row("ledger_getAccount, node CPU per request", account_r.cpu_us, "us", "bare responder's CPU per request",
              bare_r.cpu_us, "-");
    bench_row("gov_getTally, node CPU per request", tally_r.cpu_us, "us", "bare responder's CPU per request",
              bare_r.cpu_us, "-");
    return 0;
}
