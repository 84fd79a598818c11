/* SPDX-License-Identifier: MIT */
/* bench.c: the keccak-256 chain workload and its score (see bench.h). Only the batch loop reads
 * the clock; the chain itself is a plain loop of ledger_keccak256 on 32 bytes, the same hashing the
 * node uses, so a worker cannot speed it up with a private variant without also getting the values
 * wrong. */
#include "worker/bench.h"

#include <string.h>
#include <time.h>
#include "ledger/hash.h"

void wrk_bench_chain(uint8_t x[32], uint64_t n)
{
    uint8_t next[32];
    for (uint64_t i = 0; i < n; i++) {
        ledger_keccak256(next, x, 32);
        memcpy(x, next, 32);
    }
}

/* Microseconds of CLOCK_MONOTONIC. Returns: ST_OK or ST_IO. */
static int now_micros(uint64_t *out)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return ST_IO;
    *out = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
    return ST_OK;
}

int wrk_bench_run(wrk_bench *out, const uint8_t seed[32], uint64_t duration_ms)
{
    uint64_t start, now, limit;
    int rc = now_micros(&start);
    if (rc != ST_OK)
        return rc;
    limit = duration_ms > UINT64_MAX / 1000u ? UINT64_MAX : duration_ms * 1000u;
    memcpy(out->x, seed, 32);
    out->iterations = 0;
    do {
        wrk_bench_chain(out->x, WRK_BENCH_BATCH);
        out->iterations += WRK_BENCH_BATCH;
        if ((rc = now_micros(&now)) != ST_OK)
            return rc;
    } while (now - start < limit);
    out->micros = now - start > 0 ? now - start : 1;
    return ST_OK;
}

int wrk_bench_score(uint64_t *score, uint64_t iterations, uint64_t micros)
{
    unsigned __int128 p;
    if (micros == 0)
        return ST_INVALID;
    /* floor(floor(a / b) / c) = floor(a / (b * c)) for positive integers; b * c < 2^74 */
    p = (unsigned __int128)iterations * 1000000u / ((unsigned __int128)micros * 1000u);
    if (p > UINT64_MAX)
        return ST_OVERFLOW;
    *score = (uint64_t)p;
    return ST_OK;
}
