/* SPDX-License-Identifier: MIT */
/* benchlib.h: what the benchmarks share: clocks, peak memory, the machine line of their tables,
 * temporary directories, an engine opened in process, a real conclaved --dev on a free loopback
 * port, started and stopped by its PID with bounded waits, the JSON-RPC side: signed calls,
 * batches, parallel posting, and the rows of the summary table `make bench` ends with. Benchmarks only; nothing here is timed by a test. */
#ifndef BENCH_BENCHLIB_H
#define BENCH_BENCHLIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "engine/engine.h"
#include "ledger/tx.h"

typedef struct bench_node {
    pid_t pid;
    char datadir[64];
    char url[64];
} bench_node;

/* The command line of a benchmark of a node, [--quick] [DAEMON]: sets *quick and returns DAEMON
 * (default ./conclaved). Also ignores SIGPIPE, so a node that goes away fails a call instead. */
const char *bench_args(int argc, char **argv, bool *quick);

/* The outcomes of transactions submitted in process, counted by bench_tally_done. */
typedef struct bench_tally {
    size_t ok;                  /* in a block, successful */
    size_t failed;              /* in a block, failed receipt */
    size_t refused;             /* never in a block */
    char first_error[256];      /* the first refusal's or failure's message */
} bench_tally;
/* An eng_done_fn whose cookie is a bench_tally. */
void bench_tally_done(void *cookie, int status, const char *errmsg, cJSON *errdata, const eng_receipt *r);

/* Prints "bench: what" to stderr and exits 1. */
void bench_die(const char *what) __attribute__((noreturn));
/* Monotonic wall seconds, and this process's CPU seconds. */
double bench_now(void);
double bench_cpu(void);
/* Peak resident memory in KiB of RUSAGE_SELF or RUSAGE_CHILDREN. */
long bench_maxrss_kb(int who);
/* Adds one row to the table `make bench` prints at its end: figure (a short name, no tab or
 * newline), its value in unit, the limit it is compared with (limit_name, its value measured in the
 * same run in the same unit; NULL and 0 for none), and the target ("-" for none), e.g.
 * bench_row("ledger_getAccount, 8 conns", 21000, "req/s", "bare evhttp responder", 26000, ">= 0.7x").
 * Appends a tab-separated line to the file named by the environment variable BENCH_TABLE (which the
 * bench target sets); without it, does nothing. */
void bench_row(const char *figure, double value, const char *unit, const char *limit_name, double limit,
               const char *target);
/* secp256k1 public key recoveries per second on this thread (ledger_sig_recover, 20,000 of them):
 * the limit of signed transactions, measured in the same run as they are. */
double bench_recover_rate(void);
/* Prints the machine line of a table, "machine: host (Linux x86_64), CPU model, N cores", and a
 * blank line to stdout. */
void bench_print_machine(void);
/* Opens a --dev engine on a manual clock on the database db_path with genesis_json (borrowed);
 * dies on failure. Out: *open_s the wall seconds eng_open took (parsing and applying the genesis).
 * Release with eng_close. */
eng *bench_eng_open(const char *db_path, const char *genesis_json, double *open_s);
/* rm -rf of a temporary directory the benchmark made. */
void bench_remove_dir(const char *dir);
/* Starts daemon --dev on a new temporary data directory and 127.0.0.1:0, admitting 64 connections
 * from one address (--rpc-connections-per-address); waits (20 s at most) for
 * its "listening on" line. Stops it with SIGTERM (SIGKILL after 20 s) and removes the directory. */
void bench_node_start(bench_node *n, const char *daemon);
void bench_node_stop(bench_node *n);
/* Stops the node as bench_node_stop does but keeps its data directory; restart runs daemon --dev
 * again on it. */
void bench_node_halt(bench_node *n);
void bench_node_restart(bench_node *n, const char *daemon);
/* The two halves of bench_node_start, for a node whose data directory is prepared first (its
 * platform secret, to name in a genesis): bench_node_dir makes the new temporary directory;
 * bench_node_launch starts daemon --dev on it as bench_node_restart does, with --genesis FILE
 * unless genesis is NULL. */
void bench_node_dir(bench_node *n);
void bench_node_launch(bench_node *n, const char *daemon, const char *genesis);
/* The admin token of a running node: its data directory's .cookie, without the newline. Dies if
 * it cannot be read. */
void bench_node_cookie(const bench_node *n, char *out, size_t cap);
/* Moves a running node's manual clock on by seconds (admin_advanceTime, which answers once the
 * work the new time made due is done: settlements, a secret poll's count; 600 s at most). Dies
 * unless it answers with a result. */
void bench_node_advance(const bench_node *n, uint64_t seconds);

/* The text of a JSON-RPC tx_send call {"jsonrpc", "id", "method", "params": tx} (release with
 * cJSON_free), and "[call,call,...]" of n calls (release with free). Die on out of memory. */
char *bench_tx_call(const ledger_tx *tx, unsigned id);
char *bench_batch(char *const *calls, size_t n);
/* The receipts with "status":"success" in a response. */
size_t bench_count_success(const char *resp);

/* One connection's requests, posted in order; ok counts the successful receipts of the answers,
 * or, when expect is set, the answers that hold the text expect. */
typedef struct bench_worker {
    char **bodies;
    size_t n;
    size_t ok;
    const char *expect;         /* NULL: count successful receipts */
} bench_worker;
/* Posts each worker's bodies to url over a keep-alive connection of its own, one request in flight
 * a connection, with the load generator of bench/http_load.h (one thread for all the connections;
 * BENCH_CLIENT_THREADS=2 for two). Dies if an answer is not an HTTP 200 with a Content-Length, a
 * connection is closed, or one waits 60 s for an answer. Returns the wall seconds it took. */
double bench_post_parallel(const char *url, bench_worker *workers, unsigned count);
/* The CPU seconds the load generator's threads spent in the last bench_post_parallel, which
 * bench_rpc_single and bench_rpc_batched* call once the calls are made. */
double bench_post_cpu(void);

/* The text (release with cJSON_free) of the tx_send call of the k-th transaction (k = 0, 1, ...)
 * that dev account dev sends in a run; id is the call's JSON-RPC id. */
typedef char *(*bench_call_fn)(void *ctx, unsigned dev, uint64_t k, unsigned id);
/* Signed transactions per second through url, every call made (signed) before the clock starts:
 * single: `connections` connections (dev account c on connection c) post per_connection calls one by
 * one; batched: one connection posts `batches` batches of `batch` calls, call i of batch b being dev
 * account i % 10's (b * batch / 10 + i / 10)-th. Out: *ok += the successful receipts. */
double bench_rpc_single(const char *url, unsigned connections, size_t per_connection, bench_call_fn make, void *ctx,
                        size_t *ok);
double bench_rpc_batched(const char *url, size_t batches, size_t batch, bench_call_fn make, void *ctx, size_t *ok);
/* Batched as above from `connections` connections at once, each posting `batches` batches (one at
 * a time: so up to `connections` batches are in flight), connection c's call i of its batch b being
 * "dev" c * 10 + i % 10's (b * batch / 10 + i / 10)-th; so each sender's calls go, in order, over
 * one connection. */
double bench_rpc_batched_on(const char *url, unsigned connections, size_t batches, size_t batch, bench_call_fn make,
                            void *ctx, size_t *ok);

/* Where a run's CPU went, in nanoseconds: a node's threads by role (the event loop, the threads
 * named "verify", the one named "durability", the others) and the client's threads. */
enum bench_role { BENCH_LOOP, BENCH_VERIFY, BENCH_SYNC, BENCH_OTHER, BENCH_CLIENT, BENCH_ROLES };
/* Adds the CPU nanoseconds so far of each thread of process pid (its /proc/PID/task/TID/schedstat
 * and comm) to ns[role]; BENCH_CLIENT is left alone. */
void bench_node_cpu_ns(pid_t pid, double ns[BENCH_ROLES]);
/* us[role] = the CPU microseconds a successful item each role spent between before and after
 * (0 for a role whose count fell: a thread that ended takes its CPU with it; all 0 when ok is 0). */
void bench_cpu_per_item(double us[BENCH_ROLES], const double before[BENCH_ROLES], const double after[BENCH_ROLES],
                        size_t ok);
/* The heading of a table of runs (title over the rate, its ratio to the recoveries, the CPU a
 * transaction by role and in all, and the rate two cores would allow at that CPU), and one run's
 * row: label, rate, rate / recover, us[role], their total and 2 / total against recover. */
void bench_print_runs_head(const char *title, const char *unit);
void bench_print_run(const char *label, double rate, double recover, const double us[BENCH_ROLES]);

#endif
