/* SPDX-License-Identifier: MIT */
/* test_bench.c: the worker's workload and score: the keccak-256 chain against values computed
 * independently (ethers' keccak256), a timed run's shape (whole batches, at least one, its last value
 * the chain's) and the score formula at its edges, exact up to 64-bit inputs. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdint.h>
#include <string.h>
#include "ledger/hex.h"
#include "tests/lib/testhelp.h"
#include "worker/bench.h"

struct chain_vector {
    uint64_t steps;
    const char *want;  /* x_steps of a zero seed, 0x-hex */
};

static const struct chain_vector chain_vectors[] = {
    { 0, "0x0000000000000000000000000000000000000000000000000000000000000000" },
    { 1, "0x290decd9548b62a8d60345a988386fc84ba6bc95484008f6362f93160ef3e563" },
    { 2, "0x510e4e770828ddbf7f7b00ab00a9f6adaf81c0dc9cc85f1f8249c256942d61d9" },
    { 3, "0x356e5a2cc1eba076e650ac7473fccc37952b46bc2e419a200cec0c451dce2336" },
    { 1024, "0x240c5c04b7a2c9fdc22dfa70d0d5d04e676a545547847d20ff58ed0f830d7d0e" },
};

TH_TABLE_PARAMETERS(worker_bench, the_chain_matches_keccak256_computed_elsewhere, chain_vectors)

/* Parameterized over indices (the tables' string pointers do not survive Criterion's re-exec). */
ParameterizedTest(int *i, worker_bench, the_chain_matches_keccak256_computed_elsewhere)
{
    const struct chain_vector *v = &chain_vectors[*i];
    uint8_t x[32] = { 0 }, want[32];
    cr_assert_eq(ledger_hex_decode_exact(want, 32, v->want), ST_OK, "vector");
    wrk_bench_chain(x, v->steps);
    cr_assert_arr_eq(x, want, 32, "x_%llu of a zero seed", (unsigned long long)v->steps);
}

Test(worker_bench, the_chain_continues_where_it_stopped)
{
    uint8_t a[32] = { 0 }, b[32] = { 0 };
    wrk_bench_chain(a, 1000);
    wrk_bench_chain(a, 24);
    wrk_bench_chain(b, 1024);
    cr_assert_arr_eq(a, b, 32, "1000 then 24 steps are 1024 steps");
}

Test(worker_bench, the_seed_of_the_start_benchmark_is_sha256_of_its_name)
{
    /* x_2048 of seed sha256("conclave-bench-v1"), from ethers */
    uint8_t x[32], want[32];
    cr_assert_eq(ledger_hex_decode_exact(x, 32, "0x00f851b2c762ca98499dfd83a621e137931a9c2b3657a3a95bbe388a7e0518ed"),
                 ST_OK, "seed");
    cr_assert_eq(ledger_hex_decode_exact(want, 32, "0xe2827ea54406d6b8562e6a96567b98a9b9d61c7970063c53ec1ce6da0ae72837"),
                 ST_OK, "x_2048");
    wrk_bench_chain(x, 2048);
    cr_assert_arr_eq(x, want, 32, "x_2048");
}

Test(worker_bench, a_zero_duration_runs_exactly_one_batch)
{
    uint8_t seed[32] = { 0 }, want[32];
    wrk_bench b;
    cr_assert_eq(ledger_hex_decode_exact(want, 32, chain_vectors[4].want), ST_OK, "vector");
    cr_assert_eq(wrk_bench_run(&b, seed, 0), ST_OK, "runs");
    cr_assert_eq(b.iterations, WRK_BENCH_BATCH, "one batch");
    cr_assert_geq(b.micros, 1, "micros >= 1");
    cr_assert_arr_eq(b.x, want, 32, "x_1024");
}

Test(worker_bench, a_timed_run_does_whole_batches_for_at_least_its_duration)
{
    uint8_t seed[32], x[32];
    wrk_bench b;
    memset(seed, 0x5a, sizeof seed);
    cr_assert_eq(wrk_bench_run(&b, seed, 30), ST_OK, "runs");
    cr_assert_gt(b.iterations, 0, "some iterations");
    cr_assert_eq(b.iterations % WRK_BENCH_BATCH, 0, "a multiple of %d: %llu", WRK_BENCH_BATCH,
                 (unsigned long long)b.iterations);
    cr_assert_geq(b.micros, 30000, "at least the duration: %llu us", (unsigned long long)b.micros);
    memcpy(x, seed, sizeof x);
    wrk_bench_chain(x, b.iterations);
    cr_assert_arr_eq(b.x, x, 32, "its last value is x_iterations of the seed");
}

struct score_vector {
    uint64_t iterations, micros;
    int rc;
    uint64_t want;
};

static const struct score_vector score_vectors[] = {
    { 1900000, 1000000, ST_OK, 1900 },            /* this machine's order: 1.9 M/s is 1900 */
    { 1999, 1000000, ST_OK, 1 },                  /* floors */
    { 999, 1000000, ST_OK, 0 },
    { 1, 1, ST_OK, 1000 },                        /* one per microsecond */
    { 3, 7, ST_OK, 428 },                         /* floor(floor(3e6 / 7) / 1000) = 428 */
    { 2048, 1000, ST_OK, 2048 },
    { 0, 1, ST_OK, 0 },
    { 1024, 0, ST_INVALID, 0 },                   /* no time is no measurement */
    { UINT64_MAX, UINT64_MAX, ST_OK, 1000 },      /* iterations * 10^6 needs 84 bits */
    { UINT64_MAX, 1000000, ST_OK, UINT64_MAX / 1000 },
    { UINT64_MAX, 1000, ST_OK, UINT64_MAX },      /* the largest score there is */
    { UINT64_MAX, 999, ST_OVERFLOW, 0 },
    { UINT64_MAX, 1, ST_OVERFLOW, 0 },
    { UINT64_MAX / 1000 + 1, 1, ST_OVERFLOW, 0 },
    { UINT64_MAX / 1000, 1, ST_OK, UINT64_MAX / 1000 * 1000 },
};

TH_TABLE_PARAMETERS(worker_bench, the_score_is_thousands_of_iterations_per_second, score_vectors)

ParameterizedTest(int *i, worker_bench, the_score_is_thousands_of_iterations_per_second)
{
    const struct score_vector *v = &score_vectors[*i];
    uint64_t p = 777;
    int rc = wrk_bench_score(&p, v->iterations, v->micros);
    cr_assert_eq(rc, v->rc, "status of %llu iterations in %llu us: %s", (unsigned long long)v->iterations,
                 (unsigned long long)v->micros, st_str(rc));
    cr_assert_eq(p, rc == ST_OK ? v->want : 777, "score of %llu iterations in %llu us: %llu",
                 (unsigned long long)v->iterations, (unsigned long long)v->micros, (unsigned long long)p);
}
