/* SPDX-License-Identifier: MIT */
/* metrics.c: GET /metrics in the Prometheus text format: the application's lines, the server's
 * counters, and a histogram of the time each method takes to answer (NAME_rpc_request_seconds,
 * labelled by method), from the moment its handler is called to its answer (a deferred call's
 * included), for the methods called at least once since the server started. */
#include "rpc/rpc_int.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdlib.h>

static const double bounds[RPC_LATENCY_BUCKETS] = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                    0.1,    0.25,  0.5,    1,     2.5,  5,    10 };

void rpc_latency_observe(rpc_server *s, const rpc_method *m, const struct timespec *started)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double secs = (double)(now.tv_sec - started->tv_sec) + (double)(now.tv_nsec - started->tv_nsec) / 1e9;
    struct rpc_latency *l = &s->latency[m - s->methods];
    size_t i = 0;
    while (i < RPC_LATENCY_BUCKETS && secs > bounds[i])
        i++;
    l->bucket[i]++;
    l->count++;
    l->sum += secs;
}

/* Adds the latency histograms to out. Returns: evbuffer_add_printf's last result (< 0 on failure). */
static int add_latencies(const rpc_server *s, struct evbuffer *out)
{
    int rc = evbuffer_add_printf(out,
                                 "# HELP %s_rpc_request_seconds Time from a JSON-RPC call's handler being called to "
                                 "its answer, by method.\n# TYPE %s_rpc_request_seconds histogram\n",
                                 s->name, s->name);
    for (size_t m = 0; rc >= 0 && m < s->n_methods; m++) {
        const struct rpc_latency *l = &s->latency[m];
        const char *name = s->methods[m].name;
        if (!l->count)
            continue;
        uint64_t below = 0;
        for (size_t i = 0; rc >= 0 && i < RPC_LATENCY_BUCKETS; i++) {
            below += l->bucket[i];
            rc = evbuffer_add_printf(out, "%s_rpc_request_seconds_bucket{method=\"%s\",le=\"%g\"} %llu\n", s->name,
                                     name, bounds[i], (unsigned long long)below);
        }
        if (rc >= 0)
            rc = evbuffer_add_printf(out,
                                     "%s_rpc_request_seconds_bucket{method=\"%s\",le=\"+Inf\"} %llu\n"
                                     "%s_rpc_request_seconds_sum{method=\"%s\"} %.9f\n"
                                     "%s_rpc_request_seconds_count{method=\"%s\"} %llu\n",
                                     s->name, name, (unsigned long long)l->count, s->name, name, l->sum, s->name, name,
                                     (unsigned long long)l->count);
    }
    return rc;
}

void rpc_metrics_send(rpc_server *s, struct evhttp_request *req)
{
    const struct {
        const char *name, *type, *help;
        unsigned long long value;
    } counters[] = {
        { "http_requests_total", "counter", "HTTP requests served.", s->http_requests },
        { "rpc_calls_total", "counter", "JSON-RPC calls dispatched.", s->rpc_calls },
        { "rpc_errors_total", "counter", "JSON-RPC calls answered with an error.", s->rpc_errors },
        { "http_request_timeouts_total", "counter", "Connections closed for not sending a whole request in time.",
          s->deadlines_missed },
        { "http_accept_errors_total", "counter", "Times accept() failed (out of file descriptors, most likely).",
          s->accept_errors },
        { "rpc_connections", "gauge", "Open connections within the connection caps.", s->n_conns },
        { "event_streams", "gauge", "Open GET /events streams.", s->n_streams },
        { "event_streams_dropped_total", "counter", "Event streams closed for falling behind.", s->streams_dropped },
    };
    char *app = s->metrics ? s->metrics(s->app) : NULL;
    struct evbuffer *out = evhttp_request_get_output_buffer(req);
    int rc = evbuffer_add_printf(out, "%s", app ? app : "");
    for (size_t i = 0; rc >= 0 && i < sizeof counters / sizeof counters[0]; i++)
        rc = evbuffer_add_printf(out, "# HELP %s_%s %s\n# TYPE %s_%s %s\n%s_%s %llu\n", s->name, counters[i].name,
                                 counters[i].help, s->name, counters[i].name, counters[i].type, s->name,
                                 counters[i].name, counters[i].value);
    if (rc >= 0)
        rc = add_latencies(s, out);
    free(app);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "text/plain; version=0.0.4");
    if (rc < 0)
        evhttp_send_reply(req, 500, "Internal Server Error", NULL);
    else
        evhttp_send_reply(req, 200, "OK", NULL);
}
