/* SPDX-License-Identifier: MIT */
/* bench.h: the worker's defined workload and the score the node derives from it. Layer: worker
 * (pure; uses ledger's hashing only). The workload is a keccak-256 chain: x_0 = a 32-byte seed,
 * x_{i+1} = keccak256(x_i). It runs in batches of WRK_BENCH_BATCH iterations and reads
 * CLOCK_MONOTONIC after each batch, so a run's iteration count is always a whole number of batches
 * and the clock costs nothing next to the hashing. The node scores a measurement as
 * P = floor(iterations * 10^6 / micros / 1000): thousands of iterations per second. */
#ifndef WORKER_BENCH_H
#define WORKER_BENCH_H

#include <stdint.h>
#include "ledger/status.h"

#define WRK_BENCH_BATCH 1024

/* One measured run. A plain value: copy it freely. */
typedef struct wrk_bench {
    uint64_t iterations;  /* chain steps done: a positive multiple of WRK_BENCH_BATCH */
    uint64_t micros;      /* elapsed time of those steps, microseconds, >= 1 */
    uint8_t x[32];        /* the last value of the chain, x_iterations */
} wrk_bench;

/* Advances the chain n steps in place: x becomes keccak256 applied n times to x. */
void wrk_bench_chain(uint8_t x[32], uint64_t n) NONNULL(1);

/* Runs the chain from seed in batches of WRK_BENCH_BATCH until at least duration_ms milliseconds
 * of CLOCK_MONOTONIC have passed (always at least one batch, also for duration_ms 0).
 * Returns: ST_OK, or ST_IO if the clock cannot be read (out unspecified).
 * Out: out the iterations, the elapsed microseconds and the chain's last value. In: seed. */
int wrk_bench_run(wrk_bench *out, const uint8_t seed[32], uint64_t duration_ms) WARN_UNUSED NONNULL(1, 2);

/* The score the node computes of a measurement: floor(iterations * 10^6 / micros / 1000), exact
 * for every uint64 input (128-bit arithmetic).
 * Returns: ST_OK; ST_INVALID if micros is 0; ST_OVERFLOW if the score does not fit in 64 bits
 * (only a claimed speed above 1.8 * 10^22 iterations per second does that).
 * Out: *score on ST_OK (unchanged otherwise). */
int wrk_bench_score(uint64_t *score, uint64_t iterations, uint64_t micros) WARN_UNUSED NONNULL(1);

#endif
