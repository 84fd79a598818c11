/* SPDX-License-Identifier: MIT */
/* benchlib.h: what the benchmarks share: clocks, peak memory, the machine line of their tables,
 * temporary directories, and a real conclaved --dev on a free loopback port, started and stopped by
 * its PID with bounded waits. Benchmarks only; nothing here is timed by a test. */
#ifndef BENCH_BENCHLIB_H
#define BENCH_BENCHLIB_H

#include <stddef.h>
#include <sys/types.h>

typedef struct bench_node {
    pid_t pid;
    char datadir[64];
    char url[64];
} bench_node;

/* Prints "bench: what" to stderr and exits 1. */
void bench_die(const char *what) __attribute__((noreturn));
/* Monotonic wall seconds, and this process's CPU seconds. */
double bench_now(void);
double bench_cpu(void);
/* Peak resident memory in KiB of RUSAGE_SELF or RUSAGE_CHILDREN. */
long bench_maxrss_kb(int who);
/* "host (Linux x86_64), CPU model, N cores" into out. */
void bench_machine(char *out, size_t len);
/* rm -rf of a temporary directory the benchmark made. */
void bench_remove_dir(const char *dir);
/* Starts daemon --dev on a new temporary data directory and 127.0.0.1:0; waits (20 s at most) for
 * its "listening on" line. Stops it with SIGTERM (SIGKILL after 20 s) and removes the directory. */
void bench_node_start(bench_node *n, const char *daemon);
void bench_node_stop(bench_node *n);
/* Stops the node as bench_node_stop does but keeps its data directory; restart runs daemon --dev
 * again on it. */
void bench_node_halt(bench_node *n);
void bench_node_restart(bench_node *n, const char *daemon);

#endif
