/* SPDX-License-Identifier: MIT */
/* test_settle.c: epoch settlement: hand-computed epochs with exact base units (the arithmetic is
 * worked in the comments), the share formula recomputed step by step, decay, slashes, channels,
 * the canonical codecs (round trips, truncations, flipped bytes, non-canonical forms), the host's
 * checks against tampered reports, signatures, misuse, allocation failures (the binary links with
 * --wrap=malloc,--wrap=realloc), and the real conclave-enclave answering SETTLE_REQ. Every
 * computed report must also pass enc_settle_report_check. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <secp256k1.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "enclave/enclave.h"
#include "enclave/settle.h"
#include "ledger/amount.h"
#include "ledger/sig.h"
#include "tests/lib/testhelp.h"

#define E18 "000000000000000000"  /* append to whole tokens: base units */
#define BIN TEST_BUILDDIR "/conclave-enclave"
#define WAIT_MS 10000

/* --- allocation failure injection --- */
void *__real_malloc(size_t n);
void *__wrap_malloc(size_t n);
void *__real_realloc(void *p, size_t n);
void *__wrap_realloc(void *p, size_t n);
static int countdown;  /* > 0: the countdown-th allocation from now fails */

static bool inject(void)
{
    return countdown > 0 && --countdown == 0;
}

void *__wrap_malloc(size_t n)
{
    return inject() ? NULL : __real_malloc(n);
}

void *__wrap_realloc(void *p, size_t n)
{
    return inject() ? NULL : __real_realloc(p, n);
}

/* --- fixture: one input and one report per test --- */
static enc_settle_input in;
static enc_settle_report rep;
static secp256k1_context *ctx;
static char dir[] = "/tmp/conclave-settle-XXXXXX";
static bool have_dir;

static void setup(void)
{
    enc_settle_input_init(&in);
    enc_settle_report_init(&rep);
    ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    cr_assert_not_null(ctx, "a secp256k1 context");
}

static void teardown(void)
{
    enc_settle_input_clear(&in);
    enc_settle_report_clear(&rep);
    secp256k1_context_destroy(ctx);
    if (have_dir)
        th_rmtree(dir);
}

TestSuite(enclave_settle, .init = setup, .fini = teardown, .timeout = 120);

static void amount(mpz_t v, const char *dec)
{
    cr_assert_eq(ledger_amount_parse(v, dec, strlen(dec)), ST_OK, "test amount %s", dec);
}

static void assert_amount(const mpz_t v, const char *want, const char *what)
{
    char got[LEDGER_AMOUNT_STRLEN];
    cr_assert(ledger_amount_fits(v), "%s: in range", what);
    ledger_amount_format(got, v);
    cr_assert_str_eq(got, want, "%s: %s, not %s", what, want, got);
}

/* The parameters of every epoch here unless a test changes them: 1000 tokens an epoch, decay 25%
 * every 180 days (epoch 5 runs from t=1000 s, so no cut yet), treasury 20%, Re 1.5, k 2 tokens per
 * point, confidence 1, 1, 1, 0.8, 0.7, uptime threshold 50%, slash 10%, fee 2.5%. */
static void base_params(void)
{
    static const uint32_t conf[ENC_CONF_LEVELS] = { 1000000, 1000000, 1000000, 800000, 700000 };
    in.chain_id = 31337;
    in.epoch = 5;
    in.genesis_time = 0;
    in.epoch_start = 1000;
    in.epoch_end = 1100;
    amount(in.params.budget_per_epoch, "1000" E18);
    in.params.decay_period = 180 * 86400;
    in.params.decay_ppm = 250000;
    in.params.treasury_ppm = 200000;
    in.params.re_ppm = 1500000;
    in.params.rig_k_ppm = 2000000;
    memcpy(in.params.conf_ppm, conf, sizeof conf);
    in.params.uptime_threshold_ppm = 500000;
    in.params.slash_ppm = 100000;
    in.params.fee_ppm = 25000;
}

/* A worker whose address is 20 bytes of a. */
static enc_worker_in *add_worker(uint8_t a, uint64_t pool, const char *stake, uint32_t score, uint8_t level,
                                 uint32_t uptime)
{
    enc_worker_in *w = enc_settle_input_add_worker(&in);
    cr_assert_not_null(w, "a worker");
    memset(w->address, a, 20);
    w->pool = pool;
    amount(w->stake, stake);
    w->score = score;
    w->conf_level = level;
    w->uptime_ppm = uptime;
    return w;
}

/* A channel whose client's address is 20 bytes of client. */
static void add_channel(uint64_t id, uint8_t client, uint64_t pool, const char *owed, const char *escrow)
{
    enc_channel_in *c = enc_settle_input_add_channel(&in);
    cr_assert_not_null(c, "a channel");
    c->channel = id;
    memset(c->client, client, 20);
    c->pool = pool;
    amount(c->owed, owed);
    amount(c->escrow, escrow);
}

/* Computes rep from in; every computed report must pass the host's checks. */
static void settle(void)
{
    char err[160];
    int rc = enc_settle_compute(&rep, &in);
    cr_assert_eq(rc, ST_OK, "the epoch settles: %s", st_str(rc));
    rc = enc_settle_report_check(err, sizeof err, &rep, &in);
    cr_assert_eq(rc, ST_OK, "the report passes the check: %s", err);
    cr_assert_str_eq(err, "", "no complaint");
    cr_assert_eq(rep.chain_id, in.chain_id, "the chain");
    cr_assert_eq(rep.epoch, in.epoch, "the epoch");
}

static void expect_op(size_t i, uint8_t kind, uint64_t pool, uint64_t channel, uint8_t addr, const char *amt,
                      uint32_t ppm)
{
    uint8_t a[20];
    char what[32];
    const enc_op *op;
    cr_assert_lt(i, rep.n_ops, "operation %zu exists (%zu in all)", i, rep.n_ops);
    op = &rep.ops[i];
    memset(a, addr, 20);
    snprintf(what, sizeof what, "operation %zu", i);
    cr_assert_eq(op->kind, kind, "%s: kind %u, not %u", what, kind, op->kind);
    cr_assert_eq(op->pool, pool, "%s: pool", what);
    cr_assert_eq(op->channel, channel, "%s: channel", what);
    cr_assert_arr_eq(op->address, a, 20, "%s: address", what);
    assert_amount(op->amount, amt, what);
    cr_assert_eq(op->ppm, ppm, "%s: ppm", what);
}

/* (a) One worker, no decay (t = 1000 s is inside the first 180-day period).
 *   budget   = 1000 tokens                     = 1000000000000000000000
 *   treasury = floor(10^21 * 200000 / 10^6)    =  200000000000000000000
 *   W        = 10^21 - 2 * 10^20                =  800000000000000000000
 *   the only worker holds all the weight: payout = floor(W * w / w) = W, to its pool 7. */
Test(enclave_settle, one_worker_gets_all_but_the_treasury_part)
{
    base_params();
    add_worker(0x11, 7, "6" E18, 5, 1, 1000000);
    settle();
    cr_assert_eq(rep.n_ops, 2, "TREASURY and one POOL_EMISSION");
    expect_op(0, ENC_OP_TREASURY, 0, 0, 0, "200000000000000000000", 0);
    expect_op(1, ENC_OP_POOL_EMISSION, 7, 0, 0, "800000000000000000000", 0);
    assert_amount(rep.budget, "1000000000000000000000", "the budget");
    assert_amount(rep.compute_paid, "0", "no compute");
    assert_amount(rep.fees, "0", "no fees");
}

/* (b) Three workers in two pools; Re = 1.5, k = 2 (rigKPpm 2000000); scale 10^12 as in settle.h.
 * A (0x11.., pool 1): S = 6 tokens, P = 5, level 1 (conf 10^6), uptime 10^6
 *   factor = floor(500000 * 1000000 / 10^6) + 10^6          = 1500000
 *   V = 1500000 * (6*10^18 * 10^6 + 2000000 * 5 * 10^18)     = 1.5*10^6 * 16*10^24 = 24*10^30
 *   C = 2 * 5 * 1000000 * 10^24                               = 10*10^30
 *   share = isqrt((24^2 + 10^2) * 10^60) = 26*10^30 (10-24-26); weight = 26*10^36
 * B (0x22.., pool 2): S = 1 token, P = 7, level 4 (conf 800000), uptime 900000
 *   factor = floor(500000 * 800000 / 10^6) + 10^6            = 1400000
 *   V = 1400000 * (10^18 * 10^6 + 2000000 * 7 * 10^18)      = 1.4*10^6 * 15*10^24 = 21*10^30
 *   C = 2 * 7 * 800000 * 10^24                                = 11.2*10^30
 *   share = 1.4 * 17 * 10^30 = 23.8*10^30 (8-15-17 times 1.4); weight = 23.8*10^30 * 900000 = 21.42*10^36
 * C (0x33.., pool 1): S = 10 tokens, P = 0, level 5 (conf 700000), uptime 950000
 *   factor = 350000 + 10^6 = 1350000; V = 1350000 * 10^25 = 13.5*10^30; C = 0
 *   share = 13.5*10^30; weight = 13.5*10^30 * 950000 = 12.825*10^36
 * sum(weight) = 60.245*10^36; the weights are as 26000 : 21420 : 12825 = 5200 : 4284 : 2565 (/ 12049).
 * budget = 1000 tokens + 7 = 1000000000000000000007
 *   treasury = floor(budget * 0.2) = 200000000000000000001 (1.4 floored); W = 800000000000000000006
 *   A: W * 5200 = 4160000000000000000031200; / 12049 = 345256867789858079511 remainder 3161
 *   B: W * 4284 = 3427200000000000000025704; / 12049 = 284438542617644617812 remainder 8916
 *   C: W * 2565 = 2052000000000000000015390; / 12049 = 170304589592497302681 remainder 12021
 *   paid = 800000000000000000004: the remainder 2 goes to the treasury: 200000000000000000003
 *   pool 1 = A + C = 515561457382355382192; pool 2 = B = 284438542617644617812
 *   check: 200000000000000000003 + 515561457382355382192 + 284438542617644617812 = budget. */
static void three_workers(void)
{
    base_params();
    amount(in.params.budget_per_epoch, "1000000000000000000007");
    add_worker(0x11, 1, "6" E18, 5, 1, 1000000);
    add_worker(0x22, 2, "1" E18, 7, 4, 900000);
    add_worker(0x33, 1, "10" E18, 0, 5, 950000);
}

Test(enclave_settle, three_workers_share_by_weight_and_the_remainder_goes_to_the_treasury)
{
    mpz_t sum;
    three_workers();
    settle();
    cr_assert_eq(rep.n_ops, 3, "TREASURY and two POOL_EMISSIONs");
    expect_op(0, ENC_OP_TREASURY, 0, 0, 0, "200000000000000000003", 0);
    expect_op(1, ENC_OP_POOL_EMISSION, 1, 0, 0, "515561457382355382192", 0);
    expect_op(2, ENC_OP_POOL_EMISSION, 2, 0, 0, "284438542617644617812", 0);
    mpz_init(sum);
    for (size_t i = 0; i < rep.n_ops; i++)
        mpz_add(sum, sum, rep.ops[i].amount);
    cr_assert_eq(mpz_cmp(sum, rep.budget), 0, "budget == TREASURY + sum(POOL_EMISSION)");
    assert_amount(rep.budget, "1000000000000000000007", "the budget");
    mpz_clear(sum);
}

Test(enclave_settle, the_shares_are_the_hand_computed_ones)
{
    static const char *want[] = { "26000000000000000000000000000000", "23800000000000000000000000000000",
                                  "13500000000000000000000000000000" };
    mpz_t share;
    three_workers();
    mpz_init(share);
    for (size_t i = 0; i < 3; i++) {
        cr_assert_eq(enc_settle_worker_share(share, &in.params, &in.workers[i]), ST_OK, "share %zu", i);
        assert_amount(share, want[i], "a worker's share");
    }
    mpz_clear(share);
}

/* The formula once more, step by step, for a worker whose V^2 + C^2 is no square: the floor of the
 * square root is checked by share^2 <= V^2 + C^2 < (share + 1)^2, independently of mpz_sqrt. */
Test(enclave_settle, a_share_recomputed_step_by_step_is_the_floored_root)
{
    enc_worker_in *w;
    mpz_t factor, v, c, t, sum, share, next;
    base_params();
    in.params.rig_k_ppm = 1234567;
    w = add_worker(0x44, 3, "123456789012345678901", 17, 4, 1000000);
    mpz_inits(factor, v, c, t, sum, share, next, NULL);
    /* factor = floor((1500000 - 10^6) * 800000 / 10^6) + 10^6 = 1400000 */
    mpz_set_ui(factor, 1400000);
    /* V = factor * (S * 10^6 + k * P * 10^18) */
    mpz_set_str(t, "1000000000000000000", 10);
    mpz_mul_ui(t, t, 1234567UL * 17UL);
    mpz_mul_ui(v, w->stake, 1000000);
    mpz_add(v, v, t);
    mpz_mul(v, v, factor);
    /* C = 2 * P * conf * 10^24 */
    mpz_set_str(c, "1000000000000000000000000", 10);
    mpz_mul_ui(c, c, 2UL * 17UL * 800000UL);
    mpz_mul(v, v, v);
    mpz_mul(c, c, c);
    mpz_add(sum, v, c);
    cr_assert_eq(mpz_perfect_square_p(sum), 0, "not a perfect square: the floor matters");
    cr_assert_eq(enc_settle_worker_share(share, &in.params, w), ST_OK, "the share");
    mpz_mul(t, share, share);
    cr_assert_leq(mpz_cmp(t, sum), 0, "share^2 <= V^2 + C^2");
    mpz_add_ui(next, share, 1);
    mpz_mul(next, next, next);
    cr_assert_gt(mpz_cmp(next, sum), 0, "(share + 1)^2 > V^2 + C^2");
    mpz_clears(factor, v, c, t, sum, share, next, NULL);
}

/* (c) Decay: periods of 100 s from genesis t=1000; decayPpm 250000 cuts a quarter each time.
 * budgetPerEpoch = 1000 tokens + 2 = 1000000000000000000002
 *   t=1000..1099: no cut                         1000000000000000000002
 *   t=1100..1199: floor(B * 3/4)  = floor(750000000000000000001.5) = 750000000000000000001
 *   t=1250 (two whole periods): floor(750000000000000000001 * 3/4) = floor(562500000000000000000.75)
 *                                = 562500000000000000000
 *   (one floor over both cuts would give floor(B * 9/16) = 562500000000000000001: the cuts floor
 *   one by one.) With no workers, all of it is the TREASURY operation. */
Test(enclave_settle, the_budget_decays_once_per_whole_period_each_cut_floored)
{
    static const struct { uint64_t start; const char *budget; } cases[] = {
        { 1000, "1000000000000000000002" }, { 1099, "1000000000000000000002" },
        { 1100, "750000000000000000001" }, { 1199, "750000000000000000001" },
        { 1250, "562500000000000000000" },
    };
    mpz_t b;
    base_params();
    amount(in.params.budget_per_epoch, "1000000000000000000002");
    in.genesis_time = 1000;
    in.params.decay_period = 100;
    mpz_init(b);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        in.epoch_start = cases[i].start;
        in.epoch_end = cases[i].start + 10;
        cr_assert_eq(enc_settle_budget(b, &in), ST_OK, "the budget at t=%llu", (unsigned long long)cases[i].start);
        assert_amount(b, cases[i].budget, "the decayed budget");
        settle();
        assert_amount(rep.budget, cases[i].budget, "the report's budget");
        cr_assert_eq(rep.n_ops, 1, "no workers: one operation");
        expect_op(0, ENC_OP_TREASURY, 0, 0, 0, cases[i].budget, 0);
    }
    in.params.decay_period = 0;
    cr_assert_eq(enc_settle_budget(b, &in), ST_OK, "decay period 0");
    assert_amount(b, "1000000000000000000002", "decay period 0 never cuts");
    in.params.decay_period = 100;
    in.params.decay_ppm = 1000000;
    settle();
    assert_amount(rep.budget, "0", "a 100% cut leaves nothing");
    cr_assert_eq(rep.n_ops, 0, "and no operations (zero amounts are left out)");
    in.epoch_start = UINT64_MAX - 1;
    in.epoch_end = UINT64_MAX;
    in.params.decay_period = 1;
    in.params.decay_ppm = 500000;
    settle();
    assert_amount(rep.budget, "0", "halving on and on ends at zero, and the loop stops there");
    mpz_clear(b);
}

/* (d) Uptime threshold 500000. A (0x11.., pool 1) as in (b), uptime 10^6: weight 26*10^36.
 * F (0x55.., pool 3): A's twin at exactly the threshold, uptime 500000: weight 13*10^36 (paid).
 * E (0x44.., pool 2): uptime 499999, just below: no payout, SLASH 100000 ppm.
 *   W = 800000000000000000000 split 2 : 1:
 *   A: floor(8*10^20 * 2/3) = 533333333333333333333; F: floor(8*10^20 / 3) = 266666666666666666666
 *   remainder 1: TREASURY 200000000000000000001. Pool 2 gets nothing: no operation for it. */
Test(enclave_settle, a_worker_below_the_uptime_threshold_gets_nothing_and_is_slashed)
{
    base_params();
    add_worker(0x11, 1, "6" E18, 5, 1, 1000000);
    add_worker(0x44, 2, "50" E18, 99, 1, 499999);
    add_worker(0x55, 3, "6" E18, 5, 1, 500000);
    settle();
    cr_assert_eq(rep.n_ops, 4, "TREASURY, two POOL_EMISSIONs, one SLASH");
    expect_op(0, ENC_OP_TREASURY, 0, 0, 0, "200000000000000000001", 0);
    expect_op(1, ENC_OP_POOL_EMISSION, 1, 0, 0, "533333333333333333333", 0);
    expect_op(2, ENC_OP_POOL_EMISSION, 3, 0, 0, "266666666666666666666", 0);
    expect_op(3, ENC_OP_SLASH, 0, 0, 0x44, "0", 100000);
    in.params.slash_ppm = 0;
    settle();
    cr_assert_eq(rep.n_ops, 3, "with slashPpm 0 no SLASH is written");
}

/* (e) Channels, fee 25000 ppm (2.5%), with A (pool 1) earning and E (0x44..) slashed:
 *   ch 3  (client 0xc3.., pool 1): owed 39, escrow 39: pay 39; fee floor(0.975) = 0: payment 39 only
 *   ch 5  (0xc5.., pool 2): owed 100 < escrow 1000: pay 100; fee floor(2.5) = 2; payment 98
 *   ch 9  (0xc9.., pool 1): owed 5000 > escrow 300: capped, pay 300; fee floor(7.5) = 7; payment 293
 *   ch 12 (0xcc.., pool 2): owed 0: nothing
 *   ch 20 (0xd0.., pool 3): owed 1 token, escrow 1 token + 5: pay 10^18; fee 25000000000000000;
 *         payment 975000000000000000
 *   computePaid = 39 + 100 + 300 + 10^18 = 1000000000000000439; fees = 2 + 7 + 25*10^15 = 25000000000000009
 * Order: TREASURY, POOL_EMISSION, then by channel (payment before fee), then SLASH. */
static void channels_epoch(void)
{
    base_params();
    add_worker(0x11, 1, "6" E18, 5, 1, 1000000);
    add_worker(0x44, 2, "50" E18, 99, 1, 100000);
    add_channel(3, 0xc3, 1, "39", "39");
    add_channel(5, 0xc5, 2, "100", "1000");
    add_channel(9, 0xc9, 1, "5000", "300");
    add_channel(12, 0xcc, 2, "0", "77");
    add_channel(20, 0xd0, 3, "1" E18, "1000000000000000005");
}

Test(enclave_settle, channels_pay_what_they_owe_capped_by_escrow_less_a_floored_fee)
{
    channels_epoch();
    settle();
    cr_assert_eq(rep.n_ops, 10, "ten operations");
    expect_op(0, ENC_OP_TREASURY, 0, 0, 0, "200000000000000000000", 0);
    expect_op(1, ENC_OP_POOL_EMISSION, 1, 0, 0, "800000000000000000000", 0);
    expect_op(2, ENC_OP_COMPUTE_PAYMENT, 1, 3, 0xc3, "39", 0);
    expect_op(3, ENC_OP_COMPUTE_PAYMENT, 2, 5, 0xc5, "98", 0);
    expect_op(4, ENC_OP_FEE, 0, 5, 0xc5, "2", 0);
    expect_op(5, ENC_OP_COMPUTE_PAYMENT, 1, 9, 0xc9, "293", 0);
    expect_op(6, ENC_OP_FEE, 0, 9, 0xc9, "7", 0);
    expect_op(7, ENC_OP_COMPUTE_PAYMENT, 3, 20, 0xd0, "975000000000000000", 0);
    expect_op(8, ENC_OP_FEE, 0, 20, 0xd0, "25000000000000000", 0);
    expect_op(9, ENC_OP_SLASH, 0, 0, 0x44, "0", 100000);
    assert_amount(rep.compute_paid, "1000000000000000439", "computePaid");
    assert_amount(rep.fees, "25000000000000009", "fees");
}

/* A 100% fee leaves the payment at zero: only the FEE operation is written. */
Test(enclave_settle, a_whole_fee_leaves_out_the_zero_payment)
{
    base_params();
    in.params.fee_ppm = 1000000;
    add_channel(5, 0xc5, 2, "100", "1000");
    settle();
    cr_assert_eq(rep.n_ops, 2, "TREASURY and FEE");
    expect_op(1, ENC_OP_FEE, 0, 5, 0xc5, "100", 0);
    assert_amount(rep.compute_paid, "100", "computePaid");
    assert_amount(rep.fees, "100", "fees");
}

/* (f) No weight anywhere: Z (0x11..) has no stake and no score (V = C = 0), E (0x44..) is below
 * the threshold (slashPpm 0 here, so not slashed). budget = 1000 tokens + 1:
 *   treasury = floor(200000000000000000000.2) = 200000000000000000000; W = 800000000000000000001
 *   nobody has weight: all of W goes to the treasury: TREASURY = 1000000000000000000001, alone. */
Test(enclave_settle, without_weight_everything_goes_to_the_treasury)
{
    base_params();
    in.params.slash_ppm = 0;
    amount(in.params.budget_per_epoch, "1000000000000000000001");
    add_worker(0x11, 1, "0", 0, 1, 1000000);
    add_worker(0x44, 2, "50" E18, 99, 1, 100000);
    settle();
    cr_assert_eq(rep.n_ops, 1, "one operation");
    expect_op(0, ENC_OP_TREASURY, 0, 0, 0, "1000000000000000000001", 0);
    enc_settle_input_clear(&in);
    enc_settle_input_init(&in);
    base_params();
    settle();
    cr_assert_eq(rep.n_ops, 1, "no workers at all: one operation");
    expect_op(0, ENC_OP_TREASURY, 0, 0, 0, "1000" E18, 0);
}

/* --- (g) codecs --- */

/* Offsets in the canonical inputs (settle.h): the fixed part is 144 bytes, workers 69, channels 100. */
#define OFF_VERSION 7
#define OFF_END 32
#define OFF_TREASURY 92
#define OFF_RE 96
#define OFF_CONF 104
#define OFF_FEE 132
#define OFF_N_WORKERS 136
#define OFF_W(i) (140 + 69 * (i))
#define OFF_N_CHANNELS OFF_W(3)  /* with three workers */
#define OFF_C(i) (OFF_W(3) + 4 + 100 * (i))

/* The codec epoch: (b)'s three workers and two channels. */
static void codec_epoch(void)
{
    three_workers();
    add_channel(3, 0xc3, 1, "39", "39");
    add_channel(5, 0xc5, 2, "100", "1000");
}

static uint8_t *input_bytes(size_t *len)
{
    uint8_t *buf;
    int rc = enc_settle_input_serialize(&buf, len, &in);
    cr_assert_eq(rc, ST_OK, "the inputs serialize: %s", st_str(rc));
    return buf;
}

static uint8_t *report_bytes(size_t *len, const enc_settle_report *r)
{
    uint8_t *buf;
    int rc = enc_settle_report_serialize(&buf, len, r);
    cr_assert_eq(rc, ST_OK, "the report serializes: %s", st_str(rc));
    return buf;
}

/* Signs rep with the key 0x01..0x01 and returns its address. */
static void sign_rep(uint8_t addr[20])
{
    uint8_t key[32];
    memset(key, 1, sizeof key);
    cr_assert_eq(enc_settle_report_sign(ctx, &rep, key), ST_OK, "signed");
    cr_assert_eq(ledger_sig_address(addr, key), ST_OK, "the key's address");
}

Test(enclave_settle, inputs_round_trip_byte_for_byte)
{
    enc_settle_input back;
    uint8_t *a, *b, h1[32], h2[32];
    size_t la, lb;
    codec_epoch();
    a = input_bytes(&la);
    cr_assert_eq(la, 144 + 3 * 69 + 2 * 100, "144 fixed bytes, 69 a worker, 100 a channel");
    cr_assert_arr_eq(a, "CSETIN1\x01", 8, "the magic and the version");
    enc_settle_input_init(&back);
    cr_assert_eq(enc_settle_input_parse(&back, a, la), ST_OK, "they parse");
    cr_assert_eq(enc_settle_input_serialize(&b, &lb, &back), ST_OK, "and serialize again");
    cr_assert_eq(lb, la, "to the same length");
    cr_assert_arr_eq(b, a, la, "and the same bytes");
    cr_assert_eq(enc_settle_input_hash(h1, &in), ST_OK, "hash");
    cr_assert_eq(enc_settle_input_hash(h2, &back), ST_OK, "hash of the copy");
    cr_assert_arr_eq(h1, h2, 32, "the same hash");
    cr_assert_eq(back.n_workers, 3, "three workers");
    cr_assert_eq(back.workers[1].uptime_ppm, 900000, "B's uptime");
    cr_assert_eq(mpz_cmp(back.channels[1].escrow, in.channels[1].escrow), 0, "an escrow");
    enc_settle_input_clear(&back);
    free(a);
    free(b);
}

Test(enclave_settle, every_truncated_or_extended_input_is_refused)
{
    enc_settle_input back;
    uint8_t *a, *longer;
    size_t la;
    codec_epoch();
    a = input_bytes(&la);
    enc_settle_input_init(&back);
    for (size_t n = 0; n < la; n++)
        cr_assert_eq(enc_settle_input_parse(&back, a, n), ST_INVALID, "%zu of %zu bytes refused", n, la);
    longer = malloc(la + 1);
    cr_assert_not_null(longer, "memory");
    memcpy(longer, a, la);
    longer[la] = 0;
    cr_assert_eq(enc_settle_input_parse(&back, longer, la + 1), ST_INVALID, "a trailing byte refused");
    cr_assert_eq(back.n_workers, 0, "the target is untouched by failures");
    enc_settle_input_clear(&back);
    free(longer);
    free(a);
}

Test(enclave_settle, a_flipped_input_byte_is_refused_or_changes_the_hash)
{
    enc_settle_input back;
    uint8_t *a, *b, h0[32], h[32];
    size_t la, lb, accepted = 0;
    codec_epoch();
    a = input_bytes(&la);
    cr_assert_eq(enc_settle_input_hash(h0, &in), ST_OK, "hash");
    enc_settle_input_init(&back);
    for (size_t i = 0; i < la; i++) {
        for (unsigned mask = 0x01; mask <= 0x80; mask <<= 7) {
            a[i] ^= (uint8_t)mask;
            if (enc_settle_input_parse(&back, a, la) == ST_OK) {
                accepted++;
                cr_assert_eq(enc_settle_input_hash(h, &back), ST_OK, "hash");
                cr_assert(memcmp(h, h0, 32) != 0, "byte %zu ^ 0x%02x: another hash", i, mask);
                cr_assert_eq(enc_settle_input_serialize(&b, &lb, &back), ST_OK, "serialize");
                cr_assert(lb == la && memcmp(b, a, la) == 0, "byte %zu: the parsed form is these bytes", i);
                free(b);
            }
            a[i] ^= (uint8_t)mask;
        }
    }
    cr_assert_gt(accepted, 0, "some flips are still canonical inputs (amounts, ids)");
    enc_settle_input_clear(&back);
    free(a);
}

/* Byte patches that make the canonical inputs non-canonical. */
static const struct patch {
    const char *what;
    size_t off;
    size_t n;
    uint8_t bytes[4];
} patches[] = {
    { "another magic", 0, 1, { 'X' } },
    { "version 2", OFF_VERSION, 1, { 2 } },
    { "epoch_end before epoch_start", OFF_END + 4, 4, { 0, 0, 0, 0 } },
    { "treasuryPpm above 10^6", OFF_TREASURY, 4, { 0x00, 0x0f, 0x42, 0x41 } },
    { "rePpm below 10^6", OFF_RE, 4, { 0x00, 0x0f, 0x42, 0x3f } },
    { "confPpm above 10^6", OFF_CONF + 8, 4, { 0x00, 0x0f, 0x42, 0x41 } },
    { "feePpm above 10^6", OFF_FEE, 4, { 0x00, 0x0f, 0x42, 0x41 } },
    { "level 0", OFF_W(0) + 64, 1, { 0 } },
    { "level 6", OFF_W(1) + 64, 1, { 6 } },
    { "uptime 10^6 + 1", OFF_W(2) + 65, 4, { 0x00, 0x0f, 0x42, 0x41 } },
    { "workers unsorted", OFF_W(1), 1, { 0x01 } },
    { "channels unsorted", OFF_C(1) + 7, 1, { 2 } },
    { "a channel repeated", OFF_C(1) + 7, 1, { 3 } },
    { "one worker too many", OFF_N_WORKERS + 3, 1, { 4 } },
    { "a count beyond the bytes", OFF_N_CHANNELS, 4, { 0xff, 0xff, 0xff, 0xff } },
    { "one channel too few", OFF_N_CHANNELS + 3, 1, { 1 } },
};

TH_TABLE_PARAMETERS(enclave_settle, non_canonical_input_bytes_are_refused, patches)

ParameterizedTest(int *i, enclave_settle, non_canonical_input_bytes_are_refused)
{
    const struct patch *p = &patches[*i];
    enc_settle_input back;
    uint8_t *a;
    size_t la;
    codec_epoch();
    a = input_bytes(&la);
    enc_settle_input_init(&back);
    cr_assert_eq(enc_settle_input_parse(&back, a, la), ST_OK, "the unpatched bytes parse");
    memcpy(a + p->off, p->bytes, p->n);
    cr_assert_eq(enc_settle_input_parse(&back, a, la), ST_INVALID, "%s: refused", p->what);
    enc_settle_input_clear(&back);
    free(a);
}

Test(enclave_settle, a_repeated_worker_address_is_refused)
{
    enc_settle_input back;
    uint8_t *a;
    size_t la;
    codec_epoch();
    a = input_bytes(&la);
    memcpy(a + OFF_W(1), a + OFF_W(0), 20);
    enc_settle_input_init(&back);
    cr_assert_eq(enc_settle_input_parse(&back, a, la), ST_INVALID, "the same worker twice");
    enc_settle_input_clear(&back);
    free(a);
}

/* The same rules on inputs built in memory: serialize, hash, budget and compute refuse them. */
Test(enclave_settle, non_canonical_inputs_in_memory_are_refused_everywhere)
{
    static const char *what[] = {
        "level 0", "level 6", "uptime 10^6 + 1", "workers unsorted", "a worker repeated",
        "a channel repeated", "an amount of 2^256", "genesis after the epoch's start", "slashPpm above 10^6",
    };
    uint8_t *buf, h[32];
    size_t len;
    mpz_t b;
    mpz_init(b);
    for (size_t k = 0; k < sizeof what / sizeof what[0]; k++) {
        enc_worker_in *w;
        enc_settle_input_clear(&in);
        enc_settle_input_init(&in);
        codec_epoch();
        cr_assert_eq(enc_settle_input_hash(h, &in), ST_OK, "%s: canonical before", what[k]);
        w = &in.workers[1];
        switch (k) {
        case 0: w->conf_level = 0; break;
        case 1: w->conf_level = 6; break;
        case 2: w->uptime_ppm = 1000001; break;
        case 3: w->address[0] = 0x01; break;
        case 4: memcpy(w->address, in.workers[0].address, 20); break;
        case 5: in.channels[1].channel = in.channels[0].channel; break;
        case 6: mpz_setbit(w->stake, 256); break;
        case 7: in.genesis_time = in.epoch_start + 1; break;
        default: in.params.slash_ppm = 1000001; break;
        }
        cr_assert_eq(enc_settle_input_serialize(&buf, &len, &in), ST_INVALID, "%s: serialize refuses", what[k]);
        cr_assert_eq(enc_settle_input_hash(h, &in), ST_INVALID, "%s: hash refuses", what[k]);
        cr_assert_eq(enc_settle_budget(b, &in), ST_INVALID, "%s: budget refuses", what[k]);
        cr_assert_eq(enc_settle_compute(&rep, &in), ST_INVALID, "%s: compute refuses", what[k]);
    }
    mpz_clear(b);
}

Test(enclave_settle, reports_round_trip_byte_for_byte)
{
    enc_settle_report back;
    uint8_t *a, *b, addr[20];
    size_t la, lb;
    channels_epoch();
    settle();
    sign_rep(addr);
    a = report_bytes(&la, &rep);
    cr_assert_eq(la, 156 + 10 * 73 + 65, "156 fixed bytes, 73 an operation, the 65-byte signature");
    cr_assert_arr_eq(a, "CSETRP1\x01", 8, "the magic and the version");
    enc_settle_report_init(&back);
    cr_assert_eq(enc_settle_report_parse(&back, a, la), ST_OK, "it parses");
    b = report_bytes(&lb, &back);
    cr_assert(lb == la && memcmp(a, b, la) == 0, "and serializes to the same bytes");
    cr_assert_eq(enc_settle_report_verify(&back, addr), ST_OK, "the parsed copy verifies");
    enc_settle_report_clear(&back);
    free(a);
    free(b);
}

Test(enclave_settle, every_truncated_extended_or_flipped_report_is_refused_or_fails_verification)
{
    enc_settle_report back;
    uint8_t *a, *b, addr[20], d0[32], d[32];
    size_t la;
    channels_epoch();
    settle();
    sign_rep(addr);
    cr_assert_eq(enc_settle_report_digest(d0, &rep), ST_OK, "digest");
    a = report_bytes(&la, &rep);
    enc_settle_report_init(&back);
    for (size_t n = 0; n < la; n++)
        cr_assert_eq(enc_settle_report_parse(&back, a, n), ST_INVALID, "%zu of %zu bytes refused", n, la);
    b = malloc(la + 1);
    cr_assert_not_null(b, "memory");
    memcpy(b, a, la);
    b[la] = 0;
    cr_assert_eq(enc_settle_report_parse(&back, b, la + 1), ST_INVALID, "a trailing byte refused");
    free(b);
    for (size_t i = 0; i < la; i++) {
        a[i] ^= 0x01;
        if (enc_settle_report_parse(&back, a, la) == ST_OK) {
            cr_assert_neq(enc_settle_report_verify(&back, addr), ST_OK, "byte %zu flipped: no longer verifies", i);
            cr_assert_eq(enc_settle_report_digest(d, &back), ST_OK, "digest");
            cr_assert(i >= la - 65 || memcmp(d, d0, 32) != 0, "byte %zu flipped: another digest", i);
        }
        a[i] ^= 0x01;
    }
    enc_settle_report_clear(&back);
    free(a);
}

/* Defects of channels_epoch()'s report, each made twice: in memory (serialize must refuse it) and
 * in the canonical bytes (parse must refuse them). Operation i starts at byte 156 + 73 * i; within
 * it: kind +0, pool +1, channel +9, address +17, amount +37, ppm +69. */
static const struct report_defect {
    const char *what;
    size_t op;      /* the operation changed */
    size_t at;      /* the byte changed within it */
    uint8_t byte;   /* its new value */
} report_defects[] = {
    { "operations out of order (channel 5 made 2, after 3)", 3, 9 + 7, 2 },
    { "a zero amount (39 made 0)", 2, 37 + 31, 0 },
    { "a field its kind does not use (a pool on a FEE)", 4, 1 + 7, 2 },
    { "an unknown kind", 9, 0, 6 },
    { "a slash with an amount", 9, 37 + 31, 1 },
    { "a payment twice (channel 5's FEE made a payment)", 4, 0, ENC_OP_COMPUTE_PAYMENT },
};

static void apply_defect(enc_settle_report *r, int k)
{
    enc_op *op = &r->ops[report_defects[k].op];
    switch (k) {
    case 0: op->channel = 2; break;
    case 1: mpz_set_ui(op->amount, 0); break;
    case 2: op->pool = 2; break;
    case 3: op->kind = 6; break;
    case 4: mpz_set_ui(op->amount, 1); break;
    default: op->kind = ENC_OP_COMPUTE_PAYMENT; break;
    }
}

TH_TABLE_PARAMETERS(enclave_settle, non_canonical_reports_are_refused_both_ways, report_defects)

ParameterizedTest(int *i, enclave_settle, non_canonical_reports_are_refused_both_ways)
{
    const struct report_defect *d = &report_defects[*i];
    enc_settle_report back;
    uint8_t *a, *b;
    size_t la, lb;
    channels_epoch();
    settle();
    a = report_bytes(&la, &rep);
    enc_settle_report_init(&back);
    cr_assert_eq(enc_settle_report_parse(&back, a, la), ST_OK, "the canonical bytes parse");
    apply_defect(&back, *i);
    cr_assert_eq(enc_settle_report_serialize(&b, &lb, &back), ST_INVALID, "%s: not serialized", d->what);
    a[156 + 73 * d->op + d->at] = d->byte;
    cr_assert_eq(enc_settle_report_parse(&back, a, la), ST_INVALID, "%s: not parsed", d->what);
    enc_settle_report_clear(&back);
    free(a);
}

/* --- (h) the host's checks --- */

static void add_one(mpz_t v)
{
    mpz_add_ui(v, v, 1);
}

static void sub_one(mpz_t v)
{
    mpz_sub_ui(v, v, 1);
}

/* Tampering with channels_epoch()'s report (operations as listed in its test). */
static const struct tamper {
    const char *what;
    const char *says;
} tampers[] = {
    { "a pool's amount + 1", "TREASURY + sum(POOL_EMISSION)" },
    { "the budget + 1", "TREASURY + sum(POOL_EMISSION)" },
    { "the budget and the treasury + 1", "decayed budget" },
    { "computePaid + 1", "computePaid" },
    { "fees + 1", "fees is not" },
    { "an unknown pool", "pool 99" },
    { "a pool whose only worker is below the threshold", "pool 2" },
    { "an over-cap channel", "pays more than it owes or holds" },
    { "an under-paid channel", "pays less" },
    { "a fee not floored", "the fee" },
    { "an unknown channel", "channel 21 is not in the inputs" },
    { "another client", "client or pool" },
    { "another pool on a payment", "client or pool" },
    { "another input hash", "input hash" },
    { "another chain", "another chain" },
    { "another epoch", "another chain or epoch" },
    { "an unknown worker slashed", "slashes a worker" },
    { "another slash ppm", "slashes a worker" },
    { "a slash left out", "1 workers are below the uptime threshold but 0 are slashed" },
    { "operations swapped", "canonical order" },
    { "treasury moved to the pool", "the treasury gets less" },
};

static void tamper(int k)
{
    enc_op *ops = rep.ops;
    switch (k) {
    case 0: add_one(ops[1].amount); break;
    case 1: add_one(rep.budget); break;
    case 2: add_one(rep.budget); add_one(ops[0].amount); break;
    case 3: add_one(rep.compute_paid); break;
    case 4: add_one(rep.fees); break;
    case 5: ops[1].pool = 99; break;
    case 6: ops[1].pool = 2; break;
    case 7: add_one(ops[5].amount); add_one(rep.compute_paid); break;
    case 8: sub_one(ops[5].amount); sub_one(rep.compute_paid); break;
    case 9: add_one(ops[5].amount); sub_one(ops[6].amount); sub_one(rep.fees); break;
    case 10: ops[7].channel = 21; ops[8].channel = 21; break;
    case 11: ops[2].address[0] ^= 1; break;
    case 12: ops[2].pool = 2; break;
    case 13: rep.input_hash[5] ^= 1; break;
    case 14: rep.chain_id++; break;
    case 15: rep.epoch++; break;
    case 16: ops[9].address[19] = 0x45; break;
    case 17: ops[9].ppm = 5; break;
    case 18: mpz_clear(ops[9].amount); rep.n_ops--; break;
    case 19: { enc_op t = ops[3]; ops[3] = ops[2]; ops[2] = t; } break;
    default: mpz_sub_ui(ops[0].amount, ops[0].amount, 1000); mpz_add_ui(ops[1].amount, ops[1].amount, 1000); break;
    }
}

TH_TABLE_PARAMETERS(enclave_settle, the_check_catches_a_tampered_report, tampers)

ParameterizedTest(int *i, enclave_settle, the_check_catches_a_tampered_report)
{
    char err[160];
    channels_epoch();
    settle();
    tamper(*i);
    cr_assert_eq(enc_settle_report_check(err, sizeof err, &rep, &in), ST_INVALID, "%s: caught", tampers[*i].what);
    cr_assert_not_null(strstr(err, tampers[*i].says), "%s: '%s' says '%s'", tampers[*i].what, err, tampers[*i].says);
}

Test(enclave_settle, the_check_refuses_non_canonical_inputs_and_truncates_its_message)
{
    char err[8];
    channels_epoch();
    settle();
    in.workers[0].conf_level = 9;
    cr_assert_eq(enc_settle_report_check(err, sizeof err, &rep, &in), ST_INVALID, "refused");
    cr_assert_str_eq(err, "the inp", "the message cut to its buffer");
    cr_assert_eq(enc_settle_report_check(err, 0, &rep, &in), ST_INVALID, "no buffer at all is fine");
}

/* --- signatures --- */

Test(enclave_settle, a_signed_report_verifies_against_its_key_only)
{
    uint8_t addr[20], other[20], digest[32], sig[65], key[32];
    three_workers();
    settle();
    sign_rep(addr);
    cr_assert_eq(enc_settle_report_verify(&rep, addr), ST_OK, "verifies against the signer");
    memset(key, 1, sizeof key);
    cr_assert_eq(enc_settle_report_digest(digest, &rep), ST_OK, "digest");
    cr_assert_eq(ledger_sig_sign(sig, digest, key), ST_OK, "ledger's signer");
    cr_assert_arr_eq(rep.signature, sig, 65, "the same RFC 6979 signature as ledger_sig_sign");
    memcpy(other, addr, 20);
    other[0] ^= 1;
    cr_assert_eq(enc_settle_report_verify(&rep, other), ST_CRYPTO, "not against another address");
    add_one(rep.ops[0].amount);
    cr_assert_eq(enc_settle_report_verify(&rep, addr), ST_CRYPTO, "not once an amount changed");
    sub_one(rep.ops[0].amount);
    rep.signature[64] ^= 1;
    cr_assert_eq(enc_settle_report_verify(&rep, addr), ST_CRYPTO, "not with another recovery id");
    memset(key, 0, sizeof key);
    cr_assert_eq(enc_settle_report_sign(ctx, &rep, key), ST_CRYPTO, "a zero key cannot sign");
}

/* --- misuse and memory --- */

/* libcore is built without DEBUG: ARG_CHECK logs the caller bug and returns ST_INVALID. */
Test(enclave_settle, misuse_is_refused)
{
    uint8_t *buf, h[32];
    size_t len;
    char err[64];
    mpz_t share;
    enc_worker_in w;
    base_params();
    in.n_workers = 1;  /* a count without its array */
    cr_assert_eq(enc_settle_input_serialize(&buf, &len, &in), ST_INVALID, "serialize");
    cr_assert_eq(enc_settle_input_hash(h, &in), ST_INVALID, "hash");
    cr_assert_eq(enc_settle_compute(&rep, &in), ST_INVALID, "compute");
    cr_assert_eq(enc_settle_report_check(err, sizeof err, &rep, &in), ST_INVALID, "check");
    in.n_workers = 0;
    rep.n_ops = 2;
    cr_assert_eq(enc_settle_report_serialize(&buf, &len, &rep), ST_INVALID, "a report without its operations");
    rep.n_ops = 0;
    mpz_init(share);
    memset(&w, 0, sizeof w);
    mpz_init(w.stake);
    cr_assert_eq(enc_settle_worker_share(share, &in.params, &w), ST_INVALID, "a share of level 0");
    mpz_clear(w.stake);
    mpz_clear(share);
    enc_settle_input_clear(NULL);
    enc_settle_report_clear(NULL);
}

/* Runs op with the k-th allocation failing, k = 1, 2, ... until it succeeds: each failure must be
 * ST_NOMEM. Returns the number of allocations op makes. */
static int each_allocation_fails(int (*op)(void), const char *what)
{
    for (int k = 1; k < 1000; k++) {
        int rc;
        countdown = k;
        rc = op();
        if (countdown > 0) {
            countdown = 0;
            cr_assert_eq(rc, ST_OK, "%s: succeeds with enough memory: %s", what, st_str(rc));
            return k - 1;
        }
        cr_assert_eq(rc, ST_NOMEM, "%s: allocation %d failing is ST_NOMEM, not %s", what, k, st_str(rc));
    }
    cr_assert_fail("%s: never succeeds", what);
    return 0;
}

static uint8_t *oom_buf;
static size_t oom_len;

static int op_input_serialize(void)
{
    uint8_t *b;
    size_t n;
    int rc = enc_settle_input_serialize(&b, &n, &in);
    if (rc == ST_OK)
        free(b);
    return rc;
}

static int op_input_parse(void)
{
    return enc_settle_input_parse(&in, oom_buf, oom_len);
}

static int op_compute(void)
{
    return enc_settle_compute(&rep, &in);
}

static int op_report_parse(void)
{
    return enc_settle_report_parse(&rep, oom_buf, oom_len);
}

static int op_report_check(void)
{
    char err[64];
    return enc_settle_report_check(err, sizeof err, &rep, &in);
}

static int op_add_worker(void)
{
    size_t n = in.n_workers;
    enc_worker_in *w = enc_settle_input_add_worker(&in);
    cr_assert_eq(in.n_workers, w ? n + 1 : n, "the count moves only with a new worker");
    if (w)
        memset(w->address, 0xee, 20);
    return w ? ST_OK : ST_NOMEM;
}

Test(enclave_settle, allocation_failures_are_reported_and_leave_the_targets_unchanged)
{
    uint8_t *before;
    size_t before_len;
    channels_epoch();
    cr_assert_geq(each_allocation_fails(op_input_serialize, "serialize the inputs"), 1, "it allocates");
    cr_assert_geq(each_allocation_fails(op_compute, "compute"), 3, "ops, payouts, the input hash, pools");
    cr_assert_eq(rep.n_ops, 10, "the report is complete");
    cr_assert_eq(each_allocation_fails(op_report_check, "check"), 2, "the input hash, the earning pools");
    oom_buf = report_bytes(&oom_len, &rep);
    enc_settle_report_clear(&rep);
    enc_settle_report_init(&rep);
    cr_assert_eq(each_allocation_fails(op_report_parse, "parse a report"), 1, "the operations");
    before = report_bytes(&before_len, &rep);
    cr_assert(before_len == oom_len && memcmp(before, oom_buf, oom_len) == 0, "the parsed report is whole");
    free(before);
    free(oom_buf);
    oom_buf = input_bytes(&oom_len);
    cr_assert_geq(each_allocation_fails(op_input_parse, "parse inputs"), 2, "workers and channels");
    before = input_bytes(&before_len);
    cr_assert(before_len == oom_len && memcmp(before, oom_buf, oom_len) == 0, "the parsed inputs are whole");
    free(before);
    free(oom_buf);
    cr_assert_eq(each_allocation_fails(op_add_worker, "add a worker"), 1, "one realloc");
    cr_assert_eq(in.n_workers, 3, "one more worker");
}

/* --- (i) the real enclave --- */

static enc_host *start_enclave(uint8_t enclave_addr[20])
{
    uint8_t platform_addr[20], quote[ENC_QUOTE_LEN];
    char secret_path[128], sealed_dir[128];
    enc_host *h = NULL;
    enc_quote q;
    size_t len;
    int rc;
    cr_assert_not_null(mkdtemp(dir), "a temporary directory");
    have_dir = true;
    th_enclave_platform(dir, secret_path, sealed_dir, platform_addr);
    rc = enc_host_start(&h, BIN, secret_path, sealed_dir);
    cr_assert_eq(rc, ST_OK, "the enclave starts: %s", st_str(rc));
    cr_assert_eq(enc_host_attest(h, in.chain_id, quote, &len), ST_OK, "a quote");
    cr_assert_eq(enc_quote_verify(&q, quote, len, platform_addr), ST_OK, "that verifies");
    ledger_sig_pubkey_address(enclave_addr, q.enclave_pub);
    return h;
}

/* Sends the inputs as SETTLE_REQ; expects SETTLE_RESP, parses it into rep and checks it. */
static void enclave_settles(enc_host *h, const uint8_t enclave_addr[20])
{
    enc_settle_report mine;
    uint8_t *req, *resp, *local, type;
    size_t req_len, resp_len, local_len;
    char err[160];
    int rc;

    req = input_bytes(&req_len);
    rc = enc_host_call(h, ENC_MSG_SETTLE_REQ, req, req_len, &type, &resp, &resp_len, WAIT_MS);
    cr_assert_eq(rc, ST_OK, "the call: %s", st_str(rc));
    cr_assert_eq(type, ENC_MSG_SETTLE_RESP, "SETTLE_RESP, not %u (%s)", type, type == ENC_MSG_ERROR ? (char *)resp : "");
    cr_assert_eq(enc_settle_report_parse(&rep, resp, resp_len), ST_OK, "the report parses");
    cr_assert_eq(enc_settle_report_verify(&rep, enclave_addr), ST_OK, "signed by the attested enclave key");
    rc = enc_settle_report_check(err, sizeof err, &rep, &in);
    cr_assert_eq(rc, ST_OK, "it passes the check: %s", err);
    enc_settle_report_init(&mine);
    cr_assert_eq(enc_settle_compute(&mine, &in), ST_OK, "computed here");
    memcpy(mine.signature, rep.signature, 65);
    local = report_bytes(&local_len, &mine);
    cr_assert(local_len == resp_len && memcmp(local, resp, resp_len) == 0,
              "the enclave's report is ours byte for byte, signature apart");
    enc_settle_report_clear(&mine);
    enc_host_resp_free(resp);
    free(req);
    free(local);
}

static void expect_error(enc_host *h, const uint8_t *req, size_t len, const char *what)
{
    uint8_t *resp, type;
    size_t resp_len;
    cr_assert_eq(enc_host_call(h, ENC_MSG_SETTLE_REQ, req, len, &type, &resp, &resp_len, WAIT_MS), ST_OK,
                 "%s: an answer", what);
    cr_assert_eq(type, ENC_MSG_ERROR, "%s: ERROR, not %u", what, type);
    cr_assert_not_null(strstr((char *)resp, "SETTLE_REQ: the inputs do not parse"), "%s: says %s", what, (char *)resp);
    enc_host_resp_free(resp);
    cr_assert_eq(enc_host_ping(h), ST_OK, "%s: the enclave lives on", what);
}

Test(enclave_settle, the_enclave_settles_signs_and_refuses_malformed_requests)
{
    uint8_t addr[20], *req;
    size_t len;
    enc_host *h;
    int ws;
    channels_epoch();
    h = start_enclave(addr);
    enclave_settles(h, addr);
    req = input_bytes(&len);
    expect_error(h, NULL, 0, "an empty request");
    expect_error(h, req, len - 1, "a truncated request");
    req[OFF_W(0) + 64] = 0;
    expect_error(h, req, len, "a worker of level 0");
    free(req);
    enclave_settles(h, addr);
    cr_assert_eq(enc_host_stop(h, &ws), ST_OK, "it stops by itself");
    cr_assert(WIFEXITED(ws) && WEXITSTATUS(ws) == 0, "with status 0 (0x%x): never killed by its filter", ws);
}

/* Thousands of workers and channels: large allocations (mmap, mremap, munmap) under the filter. */
Test(enclave_settle, the_enclave_settles_a_large_epoch)
{
    uint8_t addr[20];
    enc_host *h;
    int ws;
    base_params();
    for (uint32_t i = 0; i < 3000; i++) {
        enc_worker_in *w = enc_settle_input_add_worker(&in);
        enc_channel_in *c = enc_settle_input_add_channel(&in);
        cr_assert(w && c, "memory");
        w->address[16] = (uint8_t)(i >> 24);
        w->address[17] = (uint8_t)(i >> 16);
        w->address[18] = (uint8_t)(i >> 8);
        w->address[19] = (uint8_t)i;
        w->pool = i % 37;
        mpz_set_ui(w->stake, (i * 7919u) % 1000000u);
        mpz_mul_ui(w->stake, w->stake, 1000000000000000UL);
        w->score = i % 1000;
        w->conf_level = (uint8_t)(1 + i % 5);
        w->uptime_ppm = (i * 104729u) % 1000001u;
        c->channel = 2ull * i + 1;
        c->client[0] = (uint8_t)i;
        c->pool = i % 41;
        mpz_set_ui(c->owed, (i * 48271u) % 100000u);
        mpz_set_ui(c->escrow, (i * 16807u) % 100000u);
    }
    h = start_enclave(addr);
    enclave_settles(h, addr);
    cr_assert_gt(rep.n_ops, 3000, "a long report");
    cr_assert_eq(enc_host_stop(h, &ws), ST_OK, "it stops by itself");
    cr_assert(WIFEXITED(ws) && WEXITSTATUS(ws) == 0, "with status 0 (0x%x)", ws);
}
