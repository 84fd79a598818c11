/* SPDX-License-Identifier: MIT */
/* http_load.h: the benches' load generator, which should cost the machine as little as it can so
 * that a bench measures the server rather than its client (both share the same cores). One or two
 * threads drive N keep-alive HTTP/1.1 connections to an IPv4 loopback server with epoll,
 * non-blocking sockets and TCP_NODELAY, as wrk and h2load do. Each connection posts its own bodies
 * in order, one request in flight at a time (no pipelining: each waits for its answer); every
 * request is laid out before the clock starts and the answer is read by its status line and
 * Content-Length alone. Anything else (a status other than 200, no Content-Length, a chunked answer,
 * a connection the server closes, bytes beyond the answer, a server silent for the timeout) ends
 * the run with an error, never a hang. Benchmarks only; it sits beside bench/benchlib.h and uses
 * nothing of the project but its status codes. */
#ifndef BENCH_HTTP_LOAD_H
#define BENCH_HTTP_LOAD_H

#include <stddef.h>
#include "ledger/status.h"

/* One connection's requests and what its answers held. */
typedef struct http_load_conn {
    char *const *bodies;        /* borrowed: the JSON bodies, posted in this order */
    size_t n;
    const char *expect;         /* NULL: ok += successes(answer); else ok counts the answers holding expect */
    size_t ok;                  /* out */
} http_load_conn;

/* What a run measured. */
typedef struct http_load_stats {
    double wall_s;              /* from the first request sent to the last answer read */
    double cpu_s;               /* the load threads' own CPU over the same span (user and system) */
} http_load_stats;

/* Posts each connection's bodies with POST url over conns[0..count) keep-alive connections, driven
 * by `threads` threads (1 or 2; connection i by thread i % threads; the first is the caller's).
 * url is "http://A.B.C.D:PORT/PATH" (an IPv4 literal; PATH may be empty). successes(answer) gives
 * the successes an answer holds (its body, NUL-terminated) for connections without expect. A connection
 * whose server sends nothing for timeout_secs fails the run. Every connection is opened before the
 * clock starts and closed before this returns.
 * Returns ST_OK; ST_INVALID for a url or a thread count it does not take, ST_NOMEM, or ST_IO for a
 * run that failed (a connection refused, an answer it does not take, a timeout), each with a
 * message in err[0..errcap) (then conns[].ok and *stats are partial). */
WARN_UNUSED int http_load_run(const char *url, http_load_conn *conns, unsigned count, unsigned threads, unsigned timeout_secs,
                  size_t (*successes)(const char *answer), http_load_stats *stats, char *err, size_t errcap);

#endif
