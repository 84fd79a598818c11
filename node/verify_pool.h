/* SPDX-License-Identifier: MIT */
/* verify_pool.h: a pool of worker threads that runs CPU-bound work (a signed transaction's decoding,
 * EIP-712 digest and signature recovery) off the event loop, and hands each result back to the loop
 * in the order the work was submitted, so what the loop does with the results keeps arrival order.
 * The jobs submitted during one turn of the loop (one HTTP request's batch, say), or by one done
 * callback (an offloaded request's calls), are handed back together, once every one of them and of
 * the jobs submitted before them has run its work. A turn of the loop takes back about 100 results
 * (whole groups), the rest at the next turns, so that a backlog comes back in slices with the loop's
 * other work between them. The workers run at nice 19: below the loop, whose work they wait for.
 * Layer: node (conclaved); uses libevent and pthreads only. */
#ifndef NODE_VERIFY_POOL_H
#define NODE_VERIFY_POOL_H

#include <event2/event.h>
#include <stdbool.h>
#include "ledger/status.h"

typedef struct verify_pool verify_pool;

/* What a job does: work(arg) on a worker thread (it must touch only arg and thread-safe code), then
 * done(arg) on the loop thread, which releases arg. */
typedef void (*verify_pool_work_fn)(void *arg);
typedef void (*verify_pool_done_fn)(void *arg);

/* The default number of threads: the online CPUs, at least 1. */
unsigned verify_pool_default_threads(void);

/* Starts threads workers (1 to VERIFY_POOL_MAX_THREADS) whose results come back on base's loop;
 * pinned: each worker is pinned to one CPU, the i-th to the i-th the process may use (around again
 * past the last), so that the kernel cannot stack them on one CPU while another idles (on a machine
 * other busy processes share, a worker pinned to a busy CPU holds back the results behind its job).
 * Returns: the pool, or NULL when out of memory or when a thread or the wake-up descriptor cannot be
 * made (nothing is left running then). */
#define VERIFY_POOL_MAX_THREADS 256u
verify_pool *verify_pool_new(struct event_base *base, unsigned threads, bool pinned) NONNULL(1);

/* Queues a job. Loop thread only. arg is owned by the job until done(arg) has run.
 * Returns: ST_OK, or ST_NOMEM (nothing queued: arg is still the caller's). */
int verify_pool_submit(verify_pool *p, verify_pool_work_fn work, verify_pool_done_fn done, void *arg)
    WARN_UNUSED NONNULL(1, 2, 3);

/* Sets the gate (NULL: none, the default): a worked job's done runs only once gate(ctx, done, arg)
 * says it may; the first it holds back holds every later one too, until verify_pool_resume. ran(ctx)
 * (if not NULL) runs after each turn's dones, when at least one ran. Loop thread only;
 * verify_pool_free runs every done whatever the gate. */
typedef bool (*verify_pool_gate_fn)(void *ctx, verify_pool_done_fn done, void *arg);
void verify_pool_set_gate(verify_pool *p, verify_pool_gate_fn gate, void (*ran)(void *ctx), void *ctx) NONNULL(1);

/* Asks the loop to run, at its next turn, the dones the gate held back that it may now let through. */
void verify_pool_resume(verify_pool *p) NONNULL(1);

/* The jobs submitted and not yet done. Loop thread only. */
unsigned long verify_pool_pending(const verify_pool *p) NONNULL(1);

/* Finishes every queued job (its work, then its done, in order, on the calling thread, which must
 * be the loop's, the loop not running), joins the threads and frees the pool. Accepts NULL. */
void verify_pool_free(verify_pool *p);

#endif
