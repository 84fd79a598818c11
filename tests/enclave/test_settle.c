/* SPDX-License-Identifier: MIT */
/* test_settle.c: epoch settlement's structure: the report's operations and their order, decay,
 * channels (hand-computed in base units), the workers' new values, the canonical codecs of version 2
 * (round trips, truncations, flipped bytes, non-canonical forms), the host's checks against tampered
 * reports, signatures, misuse, allocation failures (the binary links with
 * --wrap=malloc,--wrap=realloc,--wrap=calloc), and the real conclave-enclave answering SETTLE_REQ. Every computed
 * report must also pass enc_settle_report_check. The economics of the payouts and values are
 * recounted independently in test_settle_model.c. */
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
 * every 180 days (epoch 5 runs from t=1000 s, so no cut yet), treasury 20%, fee 2.5%; 720 s in
 * six heartbeat slots of 120 s, ten 12 s steps each; the economics Phala's (enc_econ_params_init). */
static void base_params(void)
{
    th_settle_base(&in, 5, 1000, 25000);
}

/* A worker whose address is 20 bytes of a, not started, answering every slot at its score. */
static enc_worker_in *add_worker(uint8_t a, uint64_t pool, const char *stake, uint32_t score, uint8_t level)
{
    enc_worker_in *w = enc_settle_input_add_worker(&in);
    cr_assert_not_null(w, "a worker");
    cr_assert_eq(w->n_perf, enc_settle_slot_count(&in), "one value per slot");
    memset(w->address, a, 20);
    w->pool = pool;
    amount(w->stake, stake);
    w->score = score;
    w->conf_level = level;
    for (size_t s = 0; s < w->n_perf; s++)
        w->perf[s] = score;
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

/* amt NULL: any amount (a WORKER_VALUE checked elsewhere). */
static void expect_op(size_t i, uint8_t kind, uint64_t pool, uint64_t channel, uint8_t addr, const char *amt)
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
    if (amt)
        assert_amount(op->amount, amt, what);
}

/* The new V of worker i (the WORKER_VALUE operations close the report, one per worker in order). */
static const enc_op *value_op(size_t i)
{
    cr_assert_geq(rep.n_ops, in.n_workers, "a WORKER_VALUE per worker");
    const enc_op *op = &rep.ops[rep.n_ops - in.n_workers + i];
    cr_assert_eq(op->kind, ENC_OP_WORKER_VALUE, "WORKER_VALUE");
    cr_assert_arr_eq(op->address, in.workers[i].address, 20, "worker %zu's", i);
    return op;
}

/* (a) One worker, no decay (t = 1000 s is inside the first 180-day period).
 *   budget   = 1000 tokens                     = 1000000000000000000000
 *   treasury = floor(10^21 * 200000 / 10^6)    =  200000000000000000000
 *   W        = 10^21 - 2 * 10^20                =  800000000000000000000
 *   the only worker holds all the weight: payout = floor(W * w / w) = W, to its pool 7; then its
 *   new V, which started at Ve = 1.3 * (6 + 0.3 * 5) = 9.75 tokens and grew, less the deductible. */
Test(enclave_settle, one_worker_gets_all_but_the_treasury_part)
{
    mpz_t ve, v, d, weight;
    base_params();
    add_worker(0x11, 7, "6" E18, 5, 1);
    settle();
    cr_assert_eq(rep.n_ops, 3, "TREASURY, one POOL_EMISSION, one WORKER_VALUE");
    expect_op(0, ENC_OP_TREASURY, 0, 0, 0, "200000000000000000000");
    expect_op(1, ENC_OP_POOL_EMISSION, 7, 0, 0, "800000000000000000000");
    expect_op(2, ENC_OP_WORKER_VALUE, 0, 0, 0x11, NULL);
    assert_amount(rep.budget, "1000000000000000000000", "the budget");
    assert_amount(rep.compute_paid, "0", "no compute");
    assert_amount(rep.fees, "0", "no fees");
    mpz_inits(ve, v, d, weight, NULL);
    mpz_set_str(ve, "9750000000000000000000000000000000000", 10);
    cr_assert_eq(enc_settle_worker_weight(v, d, weight, &in, 0), ST_OK, "the worker's part");
    cr_assert_gt(mpz_cmp(v, ve), 0, "V grew from Ve over 60 answered steps");
    cr_assert_gt(mpz_sgn(d), 0, "and so did D");
    cr_assert_gt(mpz_sgn(weight), 0, "it has weight");
    /* 800 tokens cover D: V falls by all of D */
    mpz_sub(v, v, d);
    cr_assert_eq(mpz_cmp(rep.ops[2].amount, v), 0, "the new V is V - D");
    mpz_clears(ve, v, d, weight, NULL);
}

/* (b) Decay: periods of 100 s from genesis t=1000; decayPpm 250000 cuts a quarter each time.
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
        expect_op(0, ENC_OP_TREASURY, 0, 0, 0, cases[i].budget);
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

/* (c) Channels, fee 25000 ppm (2.5%), with A (0x11.., pool 1) earning and E (0x44.., pool 2)
 * answering no slot (no weight, no payout; its V decays):
 *   ch 3  (client 0xc3.., pool 1): owed 39, escrow 39: pay 39; fee floor(0.975) = 0: payment 39 only
 *   ch 5  (0xc5.., pool 2): owed 100 < escrow 1000: pay 100; fee floor(2.5) = 2; payment 98
 *   ch 9  (0xc9.., pool 1): owed 5000 > escrow 300: capped, pay 300; fee floor(7.5) = 7; payment 293
 *   ch 12 (0xcc.., pool 2): owed 0: nothing
 *   ch 20 (0xd0.., pool 3): owed 1 token, escrow 1 token + 5: pay 10^18; fee 25000000000000000;
 *         payment 975000000000000000
 *   computePaid = 39 + 100 + 300 + 10^18 = 1000000000000000439; fees = 2 + 7 + 25*10^15 = 25000000000000009
 * Order: TREASURY, POOL_EMISSION, then by channel (payment before fee), then WORKER_VALUE by
 * worker. */
static void channels_epoch(void)
{
    base_params();
    add_worker(0x11, 1, "6" E18, 5, 1);
    enc_worker_in *e = add_worker(0x44, 2, "50" E18, 99, 1);
    memset(e->perf, 0, e->n_perf * sizeof *e->perf);
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
    cr_assert_eq(rep.n_ops, 11, "eleven operations");
    expect_op(0, ENC_OP_TREASURY, 0, 0, 0, "200000000000000000000");
    expect_op(1, ENC_OP_POOL_EMISSION, 1, 0, 0, "800000000000000000000");
    expect_op(2, ENC_OP_COMPUTE_PAYMENT, 1, 3, 0xc3, "39");
    expect_op(3, ENC_OP_COMPUTE_PAYMENT, 2, 5, 0xc5, "98");
    expect_op(4, ENC_OP_FEE, 0, 5, 0xc5, "2");
    expect_op(5, ENC_OP_COMPUTE_PAYMENT, 1, 9, 0xc9, "293");
    expect_op(6, ENC_OP_FEE, 0, 9, 0xc9, "7");
    expect_op(7, ENC_OP_COMPUTE_PAYMENT, 3, 20, 0xd0, "975000000000000000");
    expect_op(8, ENC_OP_FEE, 0, 20, 0xd0, "25000000000000000");
    expect_op(9, ENC_OP_WORKER_VALUE, 0, 0, 0x11, NULL);
    expect_op(10, ENC_OP_WORKER_VALUE, 0, 0, 0x44, NULL);
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
    expect_op(1, ENC_OP_FEE, 0, 5, 0xc5, "100");
    assert_amount(rep.compute_paid, "100", "computePaid");
    assert_amount(rep.fees, "100", "fees");
}

/* (d) No weight anywhere: Z (0x11..) answers no slot, L (0x44..) is judged from after the last
 * slot (first_slot = n_slots). budget = 1000 tokens + 1:
 *   treasury = floor(200000000000000000000.2) = 200000000000000000000; W = 800000000000000000001
 *   nobody has weight: all of W goes to the treasury: TREASURY = 1000000000000000000001, then the
 *   two WORKER_VALUEs: Z's Ve decayed over 60 unanswered steps, L's Ve untouched. */
Test(enclave_settle, without_weight_everything_goes_to_the_treasury)
{
    enc_worker_in *z, *l;
    mpz_t ve, d, weight;
    base_params();
    amount(in.params.budget_per_epoch, "1000000000000000000001");
    z = add_worker(0x11, 1, "10" E18, 100, 1);
    memset(z->perf, 0, z->n_perf * sizeof *z->perf);
    l = add_worker(0x44, 2, "50" E18, 99, 1);
    l->first_slot = (uint32_t)l->n_perf;
    memset(l->perf, 0, l->n_perf * sizeof *l->perf);
    settle();
    cr_assert_eq(rep.n_ops, 3, "TREASURY and two WORKER_VALUEs");
    expect_op(0, ENC_OP_TREASURY, 0, 0, 0, "1000000000000000000001");
    /* Ve = 1.3 * (10 + 0.3 * 100) = 52 tokens; 60 steps at 1 - 1/300000 each */
    mpz_inits(ve, d, weight, NULL);
    mpz_set_str(ve, "52000000000000000000000000000000000000", 10);
    cr_assert_lt(mpz_cmp(value_op(0)->amount, ve), 0, "Z's V decayed below its Ve");
    mpz_sub(d, ve, value_op(0)->amount);
    mpz_mul_ui(d, d, 300000 / 60 - 1);
    cr_assert_lt(mpz_cmp(d, ve), 0, "by less than 60/300000 of it");
    /* L: Ve = 1.3 * (50 + 29.7) = 103.61 tokens, as it was */
    mpz_set_str(ve, "103610000000000000000000000000000000000", 10);
    cr_assert_eq(mpz_cmp(value_op(1)->amount, ve), 0, "L's V is its Ve: not judged yet");
    cr_assert_eq(enc_settle_worker_weight(ve, d, weight, &in, 1), ST_OK, "L's part");
    cr_assert_eq(mpz_sgn(weight), 0, "no weight");
    mpz_clears(ve, d, weight, NULL);
    enc_settle_input_clear(&in);
    enc_settle_input_init(&in);
    base_params();
    settle();
    cr_assert_eq(rep.n_ops, 1, "no workers at all: one operation");
    expect_op(0, ENC_OP_TREASURY, 0, 0, 0, "1000" E18);
}

/* (e) A started worker keeps its V as given (no Ve), a zero V included: with the whole budget
 * and no deductible left over it reports V - D. */
Test(enclave_settle, a_started_worker_evolves_from_its_own_value)
{
    enc_worker_in *w;
    mpz_t v, d, weight;
    base_params();
    w = add_worker(0x11, 1, "1000" E18, 100, 1);
    w->started = true;
    mpz_set_ui(w->v, 0);
    mpz_inits(v, d, weight, NULL);
    cr_assert_eq(enc_settle_worker_weight(v, d, weight, &in, 0), ST_OK, "its part");
    /* from V = 0 only the costs accrue: dV = m * (cost_k * P + cost_b) per step, m = 1 */
    cr_assert_gt(mpz_sgn(v), 0, "V grew by the costs alone");
    cr_assert_eq(mpz_cmp(v, d), 0, "and D is all of it");
    settle();
    cr_assert_eq(mpz_sgn(value_op(0)->amount), 0, "the payout covers D: V is 0 again");
    mpz_clears(v, d, weight, NULL);
}

/* (f) The reward parameters start as Phala's economics, and enc_settle_econ_params hands them to
 * economics.h as they are (with the two fields settlement does not use at 0). */
Test(enclave_settle, reward_parameters_start_as_phalas_and_convert_to_the_economics)
{
    enc_reward_params p;
    enc_econ_params phala, e;
    enc_reward_params_init(&p);
    enc_econ_params_init(&phala);
    cr_assert_eq(mpz_sgn(p.budget_per_epoch), 0, "no budget");
    cr_assert(p.decay_ppm == 0 && p.treasury_ppm == 0 && p.fee_ppm == 0, "no cuts");
    cr_assert_eq(p.step_seconds, phala.step_seconds, "12 s steps");
    cr_assert(mpz_cmp(p.rho, phala.rho) == 0 && mpz_cmp(p.slash_rate, phala.slash_rate) == 0
              && mpz_cmp(p.v_max, phala.v_max) == 0 && mpz_cmp(p.cost_k, phala.cost_k) == 0
              && mpz_cmp(p.cost_b, phala.cost_b) == 0 && mpz_cmp(p.rig_k, phala.rig_k) == 0
              && mpz_cmp(p.rig_b, phala.rig_b) == 0 && mpz_cmp(p.re, phala.re) == 0, "Phala's economics");
    mpz_add_ui(p.rho, p.rho, 1);
    mpz_add_ui(p.re, p.re, 2);
    p.step_seconds = 6;
    enc_settle_econ_params(&e, &p);
    cr_assert(mpz_cmp(e.rho, p.rho) == 0 && mpz_cmp(e.re, p.re) == 0 && e.step_seconds == 6, "the parameters as given");
    cr_assert(mpz_sgn(e.budget_per_step) == 0 && mpz_sgn(e.treasury_ratio) == 0, "the unused two at 0");
    enc_econ_params_clear(&e);
    enc_econ_params_clear(&phala);
    enc_reward_params_clear(&p);
    enc_reward_params_clear(NULL);
}

/* --- (g) codecs --- */

/* Offsets in the canonical inputs (settle.h): the fixed part is 376 bytes; a worker 102 + 4 a slot
 * (126 with six slots), a channel 100. */
#define OFF_VERSION 7
#define OFF_END 32
#define OFF_TREASURY 92
#define OFF_FEE 96
#define OFF_SLOT 100
#define OFF_STEP 108
#define OFF_FIXED(i) (112 + 32 * (i))  /* rho slash_rate v_max cost_k cost_b rig_k rig_b re */
#define OFF_N_WORKERS 368
#define WLEN 126
#define OFF_W(i) (372 + WLEN * (i))
#define W_SCORE 60
#define W_LEVEL 64
#define W_STARTED 65
#define W_V 66
#define W_FIRST 98
#define W_P(s) (102 + 4 * (s))
#define OFF_N_CHANNELS OFF_W(3)  /* with three workers */
#define OFF_C(i) (OFF_W(3) + 4 + 100 * (i))

/* The codec epoch: three workers (one started, one judged from slot 2, one missing slots) and two
 * channels. */
static void codec_epoch(void)
{
    enc_worker_in *w;
    base_params();
    add_worker(0x11, 1, "6" E18, 5, 1);
    w = add_worker(0x22, 2, "1" E18, 7, 4);
    w->started = true;
    mpz_set_str(w->v, "21000000000000000000000000000000000000", 10);
    w->perf[3] = 0;
    w = add_worker(0x33, 1, "10" E18, 3, 5);
    w->first_slot = 2;
    w->perf[0] = w->perf[1] = 0;
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

/* codec_epoch()'s inputs, serialized (caller frees). */
static uint8_t *codec_bytes(size_t *len)
{
    codec_epoch();
    return input_bytes(len);
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
    a = codec_bytes(&la);
    cr_assert_eq(la, 376 + 3 * WLEN + 2 * 100, "376 fixed bytes, 126 a worker of six slots, 100 a channel");
    cr_assert_arr_eq(a, "CSETIN2\x02", 8, "the magic and the version");
    enc_settle_input_init(&back);
    cr_assert_eq(enc_settle_input_parse(&back, a, la), ST_OK, "they parse");
    cr_assert_eq(enc_settle_input_serialize(&b, &lb, &back), ST_OK, "and serialize again");
    cr_assert_eq(lb, la, "to the same length");
    cr_assert_arr_eq(b, a, la, "and the same bytes");
    cr_assert_eq(enc_settle_input_hash(h1, &in), ST_OK, "hash");
    cr_assert_eq(enc_settle_input_hash(h2, &back), ST_OK, "hash of the copy");
    cr_assert_arr_eq(h1, h2, 32, "the same hash");
    cr_assert_eq(back.n_workers, 3, "three workers");
    cr_assert_eq(back.slot_seconds, 120, "the slot");
    cr_assert_eq(back.params.step_seconds, 12, "the step");
    cr_assert_eq(mpz_cmp(back.params.rho, in.params.rho), 0, "rho");
    cr_assert(back.workers[1].started && !back.workers[0].started, "started");
    cr_assert_eq(mpz_cmp(back.workers[1].v, in.workers[1].v), 0, "B's V");
    cr_assert_eq(back.workers[1].perf[3], 0, "B's missed slot");
    cr_assert_eq(back.workers[1].perf[4], 7, "B's answered slot");
    cr_assert_eq(back.workers[2].first_slot, 2, "C's first slot");
    cr_assert_eq(mpz_cmp(back.channels[1].escrow, in.channels[1].escrow), 0, "an escrow");
    enc_settle_input_clear(&back);
    free(a);
    free(b);
}

/* A parser of an encoding into target (an enc_settle_input or an enc_settle_report). */
typedef int (*parse_fn)(void *target, const uint8_t *buf, size_t len);

static int parse_input(void *target, const uint8_t *buf, size_t len)
{
    return enc_settle_input_parse(target, buf, len);
}

static int parse_report(void *target, const uint8_t *buf, size_t len)
{
    return enc_settle_report_parse(target, buf, len);
}

/* parse refuses every proper prefix of the encoding a (la bytes) and a with one byte more. */
static void expect_only_whole_parses(parse_fn parse, void *target, const uint8_t *a, size_t la)
{
    for (size_t n = 0; n < la; n++)
        cr_assert_eq(parse(target, a, n), ST_INVALID, "%zu of %zu bytes refused", n, la);
    uint8_t *longer = malloc(la + 1);
    cr_assert_not_null(longer, "memory");
    memcpy(longer, a, la);
    longer[la] = 0;
    cr_assert_eq(parse(target, longer, la + 1), ST_INVALID, "a trailing byte refused");
    free(longer);
}

Test(enclave_settle, every_truncated_or_extended_input_is_refused)
{
    enc_settle_input back;
    uint8_t *a;
    size_t la;
    a = codec_bytes(&la);
    enc_settle_input_init(&back);
    expect_only_whole_parses(parse_input, &back, a, la);
    cr_assert_eq(back.n_workers, 0, "the target is untouched by failures");
    enc_settle_input_clear(&back);
    free(a);
}

Test(enclave_settle, a_flipped_input_byte_is_refused_or_changes_the_hash)
{
    enc_settle_input back;
    uint8_t *a, *b, h0[32], h[32];
    size_t la, lb, accepted = 0;
    a = codec_bytes(&la);
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
    uint8_t bytes[32];
} patches[] = {
    { "another magic", 0, 1, { 'X' } },
    { "the version-1 magic", 6, 1, { '1' } },
    { "version 1", OFF_VERSION, 1, { 1 } },
    { "epoch_end before epoch_start", OFF_END + 4, 4, { 0, 0, 0, 0 } },
    { "treasuryPpm above 10^6", OFF_TREASURY, 4, { 0x00, 0x0f, 0x42, 0x41 } },
    { "feePpm above 10^6", OFF_FEE, 4, { 0x00, 0x0f, 0x42, 0x41 } },
    { "slot_seconds 0", OFF_SLOT + 7, 1, { 0 } },
    { "another slot length (another slot count)", OFF_SLOT + 7, 1, { 100 } },
    { "step_seconds 0", OFF_STEP + 3, 1, { 0 } },
    { "rho 0, below 1", OFF_FIXED(0), 32, { 0 } },
    { "rho above 2", OFF_FIXED(0), 1, { 0x01 } },
    { "slash_rate above 1", OFF_FIXED(1), 1, { 0x01 } },
    { "re 0, below 1", OFF_FIXED(7), 32, { 0 } },
    { "score 0", OFF_W(0) + W_SCORE + 3, 1, { 0 } },
    { "level 0", OFF_W(0) + W_LEVEL, 1, { 0 } },
    { "level 6", OFF_W(1) + W_LEVEL, 1, { 6 } },
    { "started 2", OFF_W(1) + W_STARTED, 1, { 2 } },
    { "a V but not started", OFF_W(0) + W_V + 31, 1, { 1 } },
    { "first_slot above n_slots", OFF_W(2) + W_FIRST + 3, 1, { 7 } },
    { "a performance before first_slot", OFF_W(2) + W_P(1) + 3, 1, { 1 } },
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
    a = codec_bytes(&la);
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
    a = codec_bytes(&la);
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
        "level 0", "level 6", "score 0", "workers unsorted", "a worker repeated", "a channel repeated",
        "an amount of 2^256", "genesis after the epoch's start", "feePpm above 10^6", "a V but not started",
        "first_slot above n_slots", "a performance before first_slot", "too few performance values",
        "slot_seconds 0", "step_seconds 0", "too many slots", "a negative rho", "rho above 2",
        "slash_rate above 1", "re below 1", "a negative v_max", "a negative V",
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
        case 2: w->score = 0; break;
        case 3: w->address[0] = 0x01; break;
        case 4: memcpy(w->address, in.workers[0].address, 20); break;
        case 5: in.channels[1].channel = in.channels[0].channel; break;
        case 6: mpz_setbit(w->stake, 256); break;
        case 7: in.genesis_time = in.epoch_start + 1; break;
        case 8: in.params.fee_ppm = 1000001; break;
        case 9: mpz_set_ui(in.workers[0].v, 1); break;
        case 10: in.workers[2].first_slot = 7; break;
        case 11: in.workers[2].perf[1] = 1; break;
        case 12: w->n_perf--; break;
        case 13: in.slot_seconds = 0; break;
        case 14: in.params.step_seconds = 0; break;
        case 15: in.slot_seconds = 1; in.epoch_end = in.epoch_start + ENC_SETTLE_MAX_SLOTS + 1; break;
        case 16: mpz_neg(in.params.rho, in.params.rho); break;
        case 17: mpz_mul_ui(in.params.rho, in.params.rho, 3); break;
        case 18: mpz_mul_ui(in.params.slash_rate, in.params.slash_rate, 400000); break;
        case 19: mpz_set_ui(in.params.re, 1); break;
        case 20: mpz_neg(in.params.v_max, in.params.v_max); break;
        default: mpz_neg(w->v, w->v); break;
        }
        cr_assert_eq(enc_settle_input_serialize(&buf, &len, &in), ST_INVALID, "%s: serialize refuses", what[k]);
        cr_assert_eq(enc_settle_input_hash(h, &in), ST_INVALID, "%s: hash refuses", what[k]);
        cr_assert_eq(enc_settle_budget(b, &in), ST_INVALID, "%s: budget refuses", what[k]);
        cr_assert_eq(enc_settle_compute(&rep, &in), ST_INVALID, "%s: compute refuses", what[k]);
        cr_assert_eq(enc_settle_worker_weight(b, b, b, &in, 0), ST_INVALID, "%s: a worker's part refuses", what[k]);
        if (k == 12)
            w->n_perf++;  /* its array is still whole: released by the teardown */
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
    cr_assert_eq(la, 156 + 11 * 69 + 65, "156 fixed bytes, 69 an operation, the 65-byte signature");
    cr_assert_arr_eq(a, "CSETRP2\x02", 8, "the magic and the version");
    enc_settle_report_init(&back);
    cr_assert_eq(enc_settle_report_parse(&back, a, la), ST_OK, "it parses");
    b = report_bytes(&lb, &back);
    cr_assert(lb == la && memcmp(a, b, la) == 0, "and serializes to the same bytes");
    cr_assert_eq(enc_settle_report_verify(&back, addr), ST_OK, "the parsed copy verifies");
    cr_assert_eq(mpz_cmp(back.ops[9].amount, rep.ops[9].amount), 0, "a worker's V");
    enc_settle_report_clear(&back);
    free(a);
    free(b);
}

Test(enclave_settle, every_truncated_extended_or_flipped_report_is_refused_or_fails_verification)
{
    enc_settle_report back;
    uint8_t *a, addr[20], d0[32], d[32];
    size_t la;
    channels_epoch();
    settle();
    sign_rep(addr);
    cr_assert_eq(enc_settle_report_digest(d0, &rep), ST_OK, "digest");
    a = report_bytes(&la, &rep);
    enc_settle_report_init(&back);
    expect_only_whole_parses(parse_report, &back, a, la);
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
 * in the canonical bytes (parse must refuse them). Operation i starts at byte 156 + 69 * i; within
 * it: kind +0, pool +1, channel +9, address +17, amount +37. */
static const struct report_defect {
    const char *what;
    size_t op;      /* the operation changed */
    size_t at;      /* the byte changed within it */
    uint8_t byte;   /* its new value */
} report_defects[] = {
    { "operations out of order (channel 5 made 2, after 3)", 3, 9 + 7, 2 },
    { "a zero amount (39 made 0)", 2, 37 + 31, 0 },
    { "a field its kind does not use (a pool on a FEE)", 4, 1 + 7, 2 },
    { "the retired kind 5 (SLASH)", 9, 0, 5 },
    { "an unknown kind", 9, 0, 7 },
    { "a pool on a WORKER_VALUE", 9, 1 + 7, 1 },
    { "a channel on a WORKER_VALUE", 10, 9 + 7, 1 },
    { "WORKER_VALUEs out of order", 10, 17, 0x10 },
    { "a payment twice (channel 5's FEE made a payment)", 4, 0, ENC_OP_COMPUTE_PAYMENT },
};

static void apply_defect(enc_settle_report *r, int k)
{
    enc_op *op = &r->ops[report_defects[k].op];
    switch (k) {
    case 0: op->channel = 2; break;
    case 1: mpz_set_ui(op->amount, 0); break;
    case 2: op->pool = 2; break;
    case 3: op->kind = 5; break;
    case 4: op->kind = 7; break;
    case 5: op->pool = 1; break;
    case 6: op->channel = 1; break;
    case 7: op->address[0] = 0x10; break;
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
    a[156 + 69 * d->op + d->at] = d->byte;
    cr_assert_eq(enc_settle_report_parse(&back, a, la), ST_INVALID, "%s: not parsed", d->what);
    enc_settle_report_clear(&back);
    free(a);
}

Test(enclave_settle, a_zero_worker_value_is_canonical)
{
    enc_settle_report back;
    uint8_t *a;
    size_t la;
    channels_epoch();
    settle();
    mpz_set_ui(rep.ops[9].amount, 0);
    a = report_bytes(&la, &rep);
    enc_settle_report_init(&back);
    cr_assert_eq(enc_settle_report_parse(&back, a, la), ST_OK, "a V of 0 parses");
    cr_assert_eq(mpz_sgn(back.ops[9].amount), 0, "and stays 0");
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

/* Tampering with channels_epoch()'s report (operations as listed in its test: 0 TREASURY, 1 pool 1,
 * 2..8 the channels, 9 and 10 the WORKER_VALUEs of A and E). */
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
    { "the emission moved to the pool of a worker without weight", "operation 1 differs from the recomputed report" },
    { "an over-cap channel", "pays more than it owes or holds" },
    { "an under-paid channel", "pays less" },
    { "a fee not floored", "the fee" },
    { "an unknown channel", "channel 21 is not in the inputs" },
    { "another client", "client or pool" },
    { "another pool on a payment", "client or pool" },
    { "another input hash", "input hash" },
    { "another chain", "another chain" },
    { "another epoch", "another chain or epoch" },
    { "a worker's V + 1", "operation 9 differs from the recomputed report (a worker's new V)" },
    { "a worker's V - 1", "operation 10 differs from the recomputed report (a worker's new V)" },
    { "a WORKER_VALUE for an unknown worker", "operation 10: WORKER_VALUE is not for the inputs' next worker" },
    { "a WORKER_VALUE left out", "2 workers in the inputs but 1 WORKER_VALUE operations" },
    { "operations swapped", "canonical order" },
    { "treasury moved to the pool", "the treasury gets less" },
    { "remainder moved from the treasury to the pool", "operation 0 differs from the recomputed report" },
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
    case 16: add_one(ops[9].amount); break;
    case 17: sub_one(ops[10].amount); break;
    case 18: ops[10].address[19] = 0x45; break;
    case 19: mpz_clear(ops[10].amount); rep.n_ops--; break;
    case 20: { enc_op t = ops[3]; ops[3] = ops[2]; ops[2] = t; } break;
    case 21: mpz_sub_ui(ops[0].amount, ops[0].amount, 1000); mpz_add_ui(ops[1].amount, ops[1].amount, 1000); break;
    default: mpz_add_ui(ops[0].amount, ops[0].amount, 1); mpz_sub_ui(ops[1].amount, ops[1].amount, 1); break;
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
    codec_epoch();
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
    mpz_t v;
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
    mpz_init(v);
    cr_assert_eq(enc_settle_worker_weight(v, v, v, &in, 0), ST_INVALID, "a worker past the last");
    mpz_clear(v);
    enc_settle_input_clear(NULL);
    enc_settle_report_clear(NULL);
}

/* Runs op with the k-th allocation failing, k = 1, 2, ... until it succeeds: each failure must be
 * ST_NOMEM. Returns the number of allocations op makes. */
static int each_allocation_fails(int (*op)(void), const char *what)
{
    for (int k = 1; k < 1000; k++) {
        int rc;
        th_alloc_fail_at(k);
        rc = op();
        if (!th_alloc_failed()) {
            th_alloc_fail_at(0);
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
    cr_assert_geq(each_allocation_fails(op_compute, "compute"), 4, "ops, workers, the input hash, pools");
    cr_assert_eq(rep.n_ops, 11, "the report is complete");
    cr_assert_geq(each_allocation_fails(op_report_check, "check"), 6, "the input hash, the pools, the recomputation");
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
    int allocs = each_allocation_fails(op_add_worker, "add a worker");
    cr_assert_eq(allocs, 2, "its performance values, one realloc: %d", allocs);
    cr_assert_eq(in.n_workers, 3, "one more worker");
}

/* --- (i) the real enclave --- */

static enc_host *start_enclave(uint8_t enclave_addr[20])
{
    uint8_t platform_addr[20];
    char secret_path[128], sealed_dir[128];
    cr_assert_not_null(mkdtemp(dir), "a temporary directory");
    have_dir = true;
    th_enclave_platform(dir, secret_path, sealed_dir, platform_addr);
    enc_host *h = th_enclave_start(BIN, secret_path, sealed_dir);
    th_enclave_quoted(h, in.chain_id, platform_addr, enclave_addr, NULL);
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
    channels_epoch();
    h = start_enclave(addr);
    enclave_settles(h, addr);
    req = input_bytes(&len);
    expect_error(h, NULL, 0, "an empty request");
    expect_error(h, req, len - 1, "a truncated request");
    req[OFF_W(0) + W_LEVEL] = 0;
    expect_error(h, req, len, "a worker of level 0");
    req[OFF_W(0) + W_LEVEL] = 1;
    req[OFF_VERSION] = 1;
    expect_error(h, req, len, "version 1");
    free(req);
    enclave_settles(h, addr);
    th_enclave_stop_cleanly(h);
}

/* Thousands of workers and channels: large allocations (mmap, mremap, munmap) under the filter. */
Test(enclave_settle, the_enclave_settles_a_large_epoch)
{
    uint8_t addr[20];
    enc_host *h;
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
        w->score = 1 + i % 1000;
        w->conf_level = (uint8_t)(1 + i % 5);
        w->first_slot = i % 4;
        for (uint32_t s = w->first_slot; s < w->n_perf; s++)
            w->perf[s] = (i * 104729u + s) % 3 ? w->score + s : 0;
        c->channel = 2ull * i + 1;
        c->client[0] = (uint8_t)i;
        c->pool = i % 41;
        mpz_set_ui(c->owed, (i * 48271u) % 100000u);
        mpz_set_ui(c->escrow, (i * 16807u) % 100000u);
    }
    h = start_enclave(addr);
    enclave_settles(h, addr);
    cr_assert_gt(rep.n_ops, 3000, "a long report");
    th_enclave_stop_cleanly(h);
}
