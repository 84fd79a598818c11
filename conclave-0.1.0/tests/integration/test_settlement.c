/* SPDX-License-Identifier: MIT */
/* test_settlement.c: epoch settlement on a real conclaved --dev and its enclave: workers' heartbeats
 * become an emission, a treasury part and a slash whose every base unit is recomputed here from the
 * stored inputs (by hand with GMP and with enc_settle_compute) and found in the balances; a payment
 * channel's redeemed voucher is paid once with its fee; a tampered report fails and pays nothing;
 * a killed enclave or daemon loses no epoch and settles none twice; `conclave verify-epoch` and
 * `conclave replay` agree. Everything waits on the node's answers: no sleeps, bounded loops. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <gmp.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "enclave/settle.h"
#include "engine/genesis.h"
#include "ledger/compute.h"
#include "ledger/hex.h"
#include "ledger/ledger.h"
#include "tests/lib/node.h"
#include "tests/lib/testhelp.h"

#define TOKEN "000000000000000000"    /* append to whole tokens for base units */
#define EPOCH_SECS 3600               /* the dev chain's epoch */
#define SLOT_SECS 600                 /* and its heartbeat slot: 6 slots an epoch */
#define BUDGET "30000000000000000000000" /* rewards.budgetPerEpoch of the dev chain: 30000 tokens */
#define THREE_BUDGETS "90000000000000000000000"
#define GENESIS_TREASURY "10000000000000000000000000"
#define CHALLENGE_SECS 86400
#define MAX_EPOCHS 64
#define PPM 1000000u

static th_node *const node = &th_suite_node;

TestSuite(integration_settlement, .init = th_suite_node_start, .fini = th_suite_node_stop, .timeout = 120);

/* ---- JSON-RPC ---- */

static void expect_audit_ok(void)
{
    cJSON *resp = th_call(node, "ledger_audit", NULL);
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(th_result(resp), "ok")), "audit: %s",
              cJSON_PrintUnformatted(resp));
    cJSON_Delete(resp);
}

/* settlement_getEpoch's response (caller deletes). */
static cJSON *get_epoch(uint64_t epoch)
{
    return th_callf(node, "settlement_getEpoch", "{\"epoch\":%llu}", (unsigned long long)epoch);
}

static void expect_not_settled(uint64_t epoch)
{
    cJSON *resp = get_epoch(epoch);
    cr_assert_eq(th_error_code(resp), -32003, "epoch %llu is not settled: %s", (unsigned long long)epoch,
                 cJSON_PrintUnformatted(resp));
    cJSON_Delete(resp);
}

static void expect_verified(const cJSON *r)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(r, "verified");
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v, "ok")), "verified.ok: %s", cJSON_PrintUnformatted(v));
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v, "inputs")), "inputs verified");
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v, "signature")), "signature verified");
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v, "conservation")), "conservation verified");
}

/* Epoch n's stored report is verified. */
static void expect_epoch_verified(unsigned n)
{
    cJSON *resp = get_epoch(n);
    expect_verified(th_result(resp));
    cJSON_Delete(resp);
}

/* Stops the node with SIGTERM: it must exit cleanly. */
static void stop_cleanly(void)
{
    int status = th_node_stop(node, SIGTERM);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "clean exit on SIGTERM");
}

/* The amount of the first operation of kind in a settlement_getEpoch result ("0" if none). */
static const char *op_amount(const cJSON *r, const char *kind)
{
    const cJSON *op;
    cJSON_ArrayForEach(op, cJSON_GetObjectItemCaseSensitive(r, "operations"))
        if (strcmp(th_str(op, "kind"), kind) == 0)
            return th_str(op, "amount");
    return "0";
}

static void expect_cli(int want, const char *const argv[], const char *what)
{
    cr_assert_eq(th_run(argv), want, "%s exits %d", what, want);
}

static void expect_verify_epoch_cli(uint64_t epoch)
{
    char text[24];
    snprintf(text, sizeof text, "%llu", (unsigned long long)epoch);
    const char *argv[] = { TEST_BUILDDIR "/conclave", "--rpc", node->url, "verify-epoch", text, NULL };
    expect_cli(0, argv, "conclave verify-epoch");
}

/* ---- the ledger, read beside the node ---- */

/* Balance of a as a decimal string. */
static void balance(char out[80], ledger_account a)
{
    ledger *l = th_node_ledger(node);
    mpz_t v;
    mpz_init(v);
    cr_assert_eq(ledger_balance(l, &a, v), ST_OK, "balance of kind %d", a.kind);
    cr_assert_lt(mpz_sizeinbase(v, 10), 79, "fits");
    mpz_get_str(out, 10, v);
    mpz_clear(v);
    ledger_close(l);
}

static ledger_account treasury_account(void)
{
    return ledger_system_account(LEDGER_TREASURY);
}

static ledger_account user_account(int kind, unsigned who)
{
    uint8_t addr[20];
    cr_assert_eq(ledger_addr_parse(addr, th_addr(who)), ST_OK, "address");
    return ledger_user_account(kind, addr);
}

/* Asserts after - before == delta (decimal strings). */
static void expect_delta(const char *before, const char *after, const char *delta, const char *what)
{
    mpz_t a, b, d;
    mpz_inits(a, b, d, NULL);
    mpz_set_str(b, before, 10);
    mpz_set_str(a, after, 10);
    mpz_set_str(d, delta, 10);
    mpz_sub(a, a, b);
    cr_assert_eq(mpz_cmp(a, d), 0, "%s moved by %s (from %s to %s)", what, delta, before, after);
    mpz_clears(a, b, d, NULL);
}

struct settlement_txs {
    unsigned settled[MAX_EPOCHS];     /* successful Settlement transactions per epoch */
    unsigned failed;                  /* failed ones */
    uint64_t first_failed_block;      /* 0 if none */
    char first_failed_hash[67];       /* "" if none */
};

/* Scans every block of the chain for Settlement system transactions. */
static void scan_settlements(struct settlement_txs *s)
{
    memset(s, 0, sizeof *s);
    ledger *l = th_node_ledger(node);
    ledger_block head;
    cr_assert_eq(ledger_block_head(l, &head), ST_OK, "head");
    for (uint64_t h = 0; h <= head.height; h++) {
        ledger_txrec *recs = NULL;
        size_t n = 0;
        cr_assert_eq(ledger_txrec_list_block(l, h, &recs, &n), ST_OK, "block %llu", (unsigned long long)h);
        for (size_t i = 0; i < n; i++) {
            if (strcmp(recs[i].type, "Settlement") == 0) {
                cJSON *body = cJSON_Parse(recs[i].body);
                const cJSON *e = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(body, "message"), "epoch");
                cr_assert(cJSON_IsNumber(e) && e->valuedouble < MAX_EPOCHS, "epoch of %s", recs[i].body);
                if (recs[i].success) {
                    s->settled[(int)e->valuedouble]++;
                } else if (s->failed++ == 0) {
                    s->first_failed_block = h;
                    ledger_hex_encode(s->first_failed_hash, recs[i].hash, 32);
                }
                cJSON_Delete(body);
            }
            ledger_txrec_clear(&recs[i]);
        }
        free(recs);
    }
    ledger_close(l);
}

/* Each epoch below n settled by exactly one transaction, none from n on. */
static void expect_settled_once(const struct settlement_txs *s, unsigned n)
{
    for (unsigned e = 0; e < MAX_EPOCHS; e++)
        cr_assert_eq(s->settled[e], e < n ? 1u : 0u, "epoch %u settled %u times", e, s->settled[e]);
}

/* ---- the formula, recomputed ---- */

static uint8_t *hex_blob(const char *hex, size_t *len)
{
    size_t cap = strlen(hex) / 2 + 1;
    uint8_t *buf = malloc(cap);
    cr_assert_not_null(buf, "memory");
    cr_assert_eq(ledger_hex_decode(buf, cap, len, hex, strlen(hex)), ST_OK, "hex");
    return buf;
}

struct want_op {
    const char *kind;
    uint64_t id;                      /* pool (poolEmission) or channel (computePayment, fee) */
    char who[LEDGER_ADDR_STRLEN];     /* client or worker, "" if none */
    char amount[80];                  /* base units; a fixed V for a workerValue */
};

static void want_amount(struct want_op *op, const char *kind, uint64_t id, const uint8_t *who, const mpz_t amount)
{
    memset(op, 0, sizeof *op);
    op->kind = kind;
    op->id = id;
    if (who)
        ledger_addr_format(op->who, who);
    mpz_get_str(op->amount, 10, amount);
}

/* Recomputes a settled epoch from its stored inputs twice, by hand with GMP following the formula of
 * enclave/settle.h and with enc_settle_compute, and compares both with the node's operations and
 * the enclave's signed report, byte for byte. */
static void expect_formula(const cJSON *r)
{
    size_t in_len = 0, rep_len = 0, mine_len = 0;
    uint8_t *inputs = hex_blob(th_str(r, "inputs"), &in_len), *report = hex_blob(th_str(r, "report"), &rep_len), *mine = NULL;
    enc_settle_input in;
    enc_settle_report theirs, ours;
    enc_settle_input_init(&in);
    enc_settle_report_init(&theirs);
    enc_settle_report_init(&ours);
    cr_assert_eq(enc_settle_input_parse(&in, inputs, in_len), ST_OK, "stored inputs parse");
    cr_assert_eq(enc_settle_report_parse(&theirs, report, rep_len), ST_OK, "stored report parses");
    cr_assert_eq(enc_settle_compute(&ours, &in), ST_OK, "compute");
    memcpy(ours.signature, theirs.signature, 65);
    cr_assert_eq(enc_settle_report_serialize(&mine, &mine_len, &ours), ST_OK, "serialize");
    cr_assert(mine_len == rep_len && memcmp(mine, report, rep_len) == 0, "the recomputed report is the enclave's");

    const enc_reward_params *p = &in.params;
    mpz_t budget, treasury, w_budget, sum, c, t, paid, pay, fee;
    mpz_inits(budget, treasury, w_budget, sum, c, t, paid, pay, fee, NULL);
    mpz_t *weight = calloc(in.n_workers + 1, sizeof *weight), *payout = calloc(in.n_workers + 1, sizeof *payout);
    struct want_op *want = calloc(2 * in.n_workers + 2 * in.n_channels + 1, sizeof *want);
    cr_assert(weight && payout && want, "memory");
    /* budget, cut by decayPpm once per whole decay period since genesis */
    mpz_set(budget, p->budget_per_epoch);
    uint64_t cuts = p->decay_period ? (in.epoch_start - in.genesis_time) / p->decay_period : 0;
    cr_assert_lt(cuts, 1000, "a test chain is young");
    for (uint64_t k = 0; k < cuts && mpz_sgn(budget) > 0; k++) {
        mpz_mul_ui(budget, budget, PPM - p->decay_ppm);
        mpz_fdiv_q_ui(budget, budget, PPM);
    }
    mpz_mul_ui(treasury, budget, p->treasury_ppm);
    mpz_fdiv_q_ui(treasury, treasury, PPM);
    mpz_sub(w_budget, budget, treasury);
    /* each worker's weight (share x answered steps) and V - D after the epoch: the economics per
     * worker are recounted step by step in tests/enclave/test_settle_model.c */
    mpz_t *value = calloc(in.n_workers + 1, sizeof *value);
    cr_assert_not_null(value, "memory");
    for (size_t i = 0; i < in.n_workers; i++) {
        mpz_init(weight[i]);
        mpz_init(payout[i]);
        mpz_init(value[i]);
        cr_assert_eq(enc_settle_worker_weight(value[i], c, weight[i], &in, i), ST_OK, "worker %zu", i);
        mpz_set(payout[i], c);                     /* D, until the payout is known */
        mpz_add(sum, sum, weight[i]);
    }
    /* payout_i = floor(W * weight_i / sum); the remainder to the treasury */
    for (size_t i = 0; i < in.n_workers; i++) {
        mpz_set(c, payout[i]);                     /* D */
        mpz_set_ui(payout[i], 0);
        if (mpz_sgn(sum) > 0) {
            mpz_mul(payout[i], w_budget, weight[i]);
            mpz_fdiv_q(payout[i], payout[i], sum);
        }
        mpz_add(paid, paid, payout[i]);
        /* V -= min(D, payout * 10^18), never below 0 */
        mpz_ui_pow_ui(t, 10, 18);
        mpz_mul(t, t, payout[i]);
        if (mpz_cmp(c, t) < 0)
            mpz_set(t, c);
        if (mpz_cmp(t, value[i]) > 0)
            mpz_set(t, value[i]);
        mpz_sub(value[i], value[i], t);
    }
    mpz_sub(t, w_budget, paid);                    /* the remainder */
    mpz_add(t, treasury, t);
    size_t n = 0;
    want_amount(&want[n++], "treasury", 0, NULL, t);
    /* the pools in id order, each the sum of its workers' payouts */
    uint64_t last_pool = 0;
    for (;;) {
        uint64_t next = UINT64_MAX;
        for (size_t i = 0; i < in.n_workers; i++)
            if (in.workers[i].pool > last_pool && in.workers[i].pool < next && mpz_sgn(payout[i]) > 0)
                next = in.workers[i].pool;
        if (next == UINT64_MAX)
            break;
        mpz_set_ui(t, 0);
        for (size_t i = 0; i < in.n_workers; i++)
            if (in.workers[i].pool == next)
                mpz_add(t, t, payout[i]);
        want_amount(&want[n++], "poolEmission", next, NULL, t);
        last_pool = next;
    }
    /* channels: pay = min(owed, escrow), fee = floor(pay * feePpm / 10^6), the pool pay - fee */
    mpz_t compute_paid, fees;
    mpz_inits(compute_paid, fees, NULL);
    for (size_t i = 0; i < in.n_channels; i++) {
        const enc_channel_in *ch = &in.channels[i];
        mpz_set(pay, mpz_cmp(ch->owed, ch->escrow) < 0 ? ch->owed : ch->escrow);
        mpz_mul_ui(fee, pay, p->fee_ppm);
        mpz_fdiv_q_ui(fee, fee, PPM);
        mpz_add(compute_paid, compute_paid, pay);
        mpz_add(fees, fees, fee);
        mpz_sub(pay, pay, fee);
        if (mpz_sgn(pay) > 0)
            want_amount(&want[n++], "computePayment", ch->channel, ch->client, pay);
        if (mpz_sgn(fee) > 0)
            want_amount(&want[n++], "fee", ch->channel, ch->client, fee);
    }
    /* every worker's new V, by address */
    for (size_t i = 0; i < in.n_workers; i++) {
        memset(&want[n], 0, sizeof want[n]);
        want[n].kind = "workerValue";
        ledger_addr_format(want[n].who, in.workers[i].address);
        mpz_get_str(want[n++].amount, 10, value[i]);
    }
    /* the node's view of the report is exactly that */
    char text[80];
    mpz_get_str(text, 10, budget);
    cr_assert_str_eq(th_str(r, "emitted"), text, "emitted = the epoch's budget");
    mpz_get_str(text, 10, compute_paid);
    cr_assert_str_eq(th_str(r, "computePaid"), text, "computePaid");
    mpz_get_str(text, 10, fees);
    cr_assert_str_eq(th_str(r, "fees"), text, "fees");
    const cJSON *ops = cJSON_GetObjectItemCaseSensitive(r, "operations");
    cr_assert_eq((size_t)cJSON_GetArraySize(ops), n, "%zu operations: %s", n, cJSON_PrintUnformatted(ops));
    for (size_t i = 0; i < n; i++) {
        const cJSON *op = cJSON_GetArrayItem(ops, (int)i);
        cr_assert_str_eq(th_str(op, "kind"), want[i].kind, "operation %zu", i);
        if (strcmp(want[i].kind, "workerValue") == 0) {
            cr_assert_str_eq(th_str(op, "worker"), want[i].who, "the worker of operation %zu", i);
            cr_assert_str_eq(th_str(op, "value"), want[i].amount, "its new V");
            continue;
        }
        cr_assert_str_eq(th_str(op, "amount"), want[i].amount, "operation %zu (%s) amount", i, want[i].kind);
        if (strcmp(want[i].kind, "poolEmission") == 0)
            cr_assert_eq(th_num(op, "pool"), (double)want[i].id, "pool of operation %zu", i);
        if (strcmp(want[i].kind, "computePayment") == 0 || strcmp(want[i].kind, "fee") == 0) {
            cr_assert_eq(th_num(op, "channel"), (double)want[i].id, "channel of operation %zu", i);
            cr_assert_str_eq(th_str(op, "client"), want[i].who, "client of operation %zu", i);
        }
    }
    for (size_t i = 0; i < in.n_workers; i++) {
        mpz_clear(weight[i]);
        mpz_clear(payout[i]);
        mpz_clear(value[i]);
    }
    free(value);
    free(weight);
    free(payout);
    free(want);
    mpz_clears(compute_paid, fees, NULL);
    mpz_clears(budget, treasury, w_budget, sum, c, t, paid, pay, fee, NULL);
    free(mine);
    free(report);
    free(inputs);
    enc_settle_report_clear(&ours);
    enc_settle_report_clear(&theirs);
    enc_settle_input_clear(&in);
}

/* ---- scenarios ---- */

/* Pool `pool` of dev `owner` (commission 10%) with dev 1's stake; pools are made in id order. */
static void make_pool_of(unsigned owner, const char *stake_tokens)
{
    cJSON *events = th_send_ok(node, owner, "PoolCreate", "{\"commissionPpm\":\"100000\",\"capacity\":\"1000000" TOKEN "\"}");
    unsigned pool = (unsigned)th_num(cJSON_GetArrayItem(events, 0), "pool");
    cJSON_Delete(events);
    th_send_done(node, 1, "Contribute", "{\"pool\":\"%u\",\"amount\":\"%s" TOKEN "\"}", pool, stake_tokens);
}

/* Pool 1 of dev 0. */
static void make_pool(const char *stake_tokens)
{
    make_pool_of(0, stake_tokens);
}

/* Dev `w` registered as a worker of score 100 serving dev `owner`, added to owner's pool `pool` and
 * bonded with bond_tokens (none when NULL). */
static void add_worker_to(unsigned owner, unsigned pool, unsigned w, const char *bond_tokens)
{
    th_node_register_worker(node, w, owner, 100);
    th_send_done(node, owner, "WorkerAdd", "{\"pool\":\"%u\",\"worker\":\"%s\"}", pool, th_addr(w));
    if (bond_tokens)
        th_send_done(node, owner, "WorkerBond", "{\"pool\":\"%u\",\"worker\":\"%s\",\"amount\":\"%s" TOKEN "\"}", pool,
                     th_addr(w), bond_tokens);
}

/* A worker of pool 1 (dev 0's). */
static void add_worker(unsigned w, const char *bond_tokens)
{
    add_worker_to(0, 1, w, bond_tokens);
}

/* The stored inputs of a settled epoch. Release with enc_settle_input_clear. */
static void stored_inputs(enc_settle_input *in, const cJSON *r)
{
    size_t len = 0;
    uint8_t *bytes = hex_blob(th_str(r, "inputs"), &len);
    enc_settle_input_init(in);
    cr_assert_eq(enc_settle_input_parse(in, bytes, len), ST_OK, "stored inputs parse");
    free(bytes);
}

/* Asserts a worker's inputs: its stake in whole tokens, score 100, level 1, not started (so the
 * settlement starts it at Ve), judged from slot 0, and its performance in each of the 6 slots. */
static void expect_worker_input(const enc_worker_in *w, unsigned dev, const char *stake, const uint32_t perf[6])
{
    char who[LEDGER_ADDR_STRLEN], amount[80];
    ledger_addr_format(who, w->address);
    cr_assert_str_eq(who, th_addr(dev), "the worker");
    cr_assert_str_eq(mpz_get_str(amount, 10, w->stake), stake, "dev %u's bonded stake", dev);
    cr_assert(w->score == 100 && w->conf_level == 1 && !w->started && w->first_slot == 0,
              "dev %u: P %u, level %u, started %d, first slot %u", dev, w->score, w->conf_level, w->started, w->first_slot);
    cr_assert_eq(w->n_perf, 6, "six slots");
    for (unsigned s = 0; s < 6; s++)
        cr_assert_eq(w->perf[s], perf[s], "dev %u's performance in slot %u", dev, s);
}

static void expect_bonded(unsigned w, const char *want)
{
    cJSON *resp = th_callf(node, "staking_getWorker", "{\"worker\":\"%s\"}", th_addr(w));
    cr_assert_str_eq(th_str(th_result(resp), "bonded"), want, "bond of dev %u", w);
    cJSON_Delete(resp);
}

/* Two workers of score 100 with their minimum stake, 1000 tokens, in pools of their own: dev 8
 * answers all six slots as measured, dev 9 only the first two, claiming twice its benchmark (counted
 * as 1.2 x). Settlement v2 (docs/SETTLEMENT.md) pays by share x answered steps, so dev 8's pool
 * gets about three times dev 9's; its payout covers what V accrued, so its V is back to
 * Ve = 1.3 x (1000 + 0.3 x 100) = 1339 tokens exactly; dev 9's V decayed while it did not answer.
 * Downtime costs V, not stake. The per-worker rule itself is recounted step by step in
 * tests/enclave/test_settle_model.c; here the node must store what the heartbeats proved, and its
 * balances must move by the report that the formula gives for those inputs. */
Test(integration_settlement, answered_challenges_settle_into_treasury_and_emission_to_the_base_unit)
{
    make_pool_of(0, "1000");
    make_pool_of(2, "1000");
    add_worker_to(0, 1, 8, "1000");
    add_worker_to(2, 2, 9, "1000");
    /* a fresh dev node's clock is at the genesis time: slot 0 of epoch 0 */
    cJSON *genesis = th_call(node, "ledger_getBlock", "{\"height\":0}");
    cr_assert_eq(th_node_time(node), (uint64_t)th_num(th_result(genesis), "time"), "the clock starts at the genesis");
    cJSON_Delete(genesis);
    for (unsigned slot = 0; slot < EPOCH_SECS / SLOT_SECS; slot++) {
        cr_assert_eq(th_node_heartbeat(node, 8, 100000), 100, "dev 8 as measured");
        if (slot < 2)
            cr_assert_eq(th_node_heartbeat(node, 9, 200000), 120, "dev 9's claim of 2 P counts as 1.2 P");
        if (slot + 1 < EPOCH_SECS / SLOT_SECS)
            th_node_advance(node, SLOT_SECS);
    }
    expect_not_settled(0);
    char treasury0[80], rewards0[80], claimable0[80], treasury1[80], rewards1[80], claimable1[80];
    balance(treasury0, treasury_account());
    balance(rewards0, ledger_pool_account(LEDGER_POOL_REWARDS, 1));
    balance(claimable0, user_account(LEDGER_CLAIMABLE, 0));

    th_node_advance(node, SLOT_SECS); /* the end of epoch 0 */
    cJSON *resp = get_epoch(0);
    const cJSON *r = th_result(resp);
    expect_verified(r);
    enc_settle_input in;
    stored_inputs(&in, r);
    cr_assert_eq(in.n_workers, 2, "two workers");
    /* inputs are sorted by address: dev 8's is 0x2361..., dev 9's 0xa0Ee... */
    static const uint32_t all_six[6] = { 100, 100, 100, 100, 100, 100 }, first_two[6] = { 120, 120, 0, 0, 0, 0 };
    expect_worker_input(&in.workers[0], 8, "1000" TOKEN, all_six);
    expect_worker_input(&in.workers[1], 9, "1000" TOKEN, first_two);
    enc_settle_input_clear(&in);
    expect_formula(r);

    /* by hand: the budget, 20% to the treasury with the remainder, the rest to the two pools */
    const cJSON *ops = cJSON_GetObjectItemCaseSensitive(r, "operations");
    cr_assert_eq(cJSON_GetArraySize(ops), 5, "treasury, two emissions, two values: %s", cJSON_PrintUnformatted(ops));
    cr_assert_str_eq(th_str(r, "emitted"), BUDGET, "one budget");
    const cJSON *emission1 = cJSON_GetArrayItem(ops, 1), *emission2 = cJSON_GetArrayItem(ops, 2);
    cr_assert(th_num(emission1, "pool") == 1 && th_num(emission2, "pool") == 2, "to pools 1 and 2");
    mpz_t treasury, pay1, pay2, sum, t;
    mpz_init_set_str(treasury, op_amount(r, "treasury"), 10);
    mpz_init_set_str(pay1, th_str(emission1, "amount"), 10);
    mpz_init_set_str(pay2, th_str(emission2, "amount"), 10);
    mpz_init(sum);
    mpz_init_set_str(t, "6000" TOKEN, 10);
    cr_assert_geq(mpz_cmp(treasury, t), 0, "at least 20%% of 30000 tokens");
    mpz_add_ui(t, t, 2);
    cr_assert_lt(mpz_cmp(treasury, t), 0, "plus a remainder under one base unit per worker");
    mpz_add(sum, treasury, pay1);
    mpz_add(sum, sum, pay2);
    char text[80];
    cr_assert_str_eq(mpz_get_str(text, 10, sum), BUDGET, "the operations add up to the budget");
    /* three times the answered steps at nearly the same share */
    mpz_mul_ui(t, pay2, 29);
    mpz_mul_ui(sum, pay1, 10);
    cr_assert_gt(mpz_cmp(sum, t), 0, "dev 8's pool gets more than 2.9 x dev 9's: %s vs %s", th_str(emission1, "amount"),
                 th_str(emission2, "amount"));
    mpz_mul_ui(t, pay2, 31);
    cr_assert_lt(mpz_cmp(sum, t), 0, "and less than 3.1 x");
    const cJSON *value8 = cJSON_GetArrayItem(ops, 3), *value9 = cJSON_GetArrayItem(ops, 4);
    cr_assert_str_eq(th_str(value8, "worker"), th_addr(8), "dev 8's V first");
    cr_assert_str_eq(th_str(value8, "value"), "1339" TOKEN TOKEN, "paid what it accrued: back to Ve, 1339 tokens");
    cr_assert_str_eq(th_str(value9, "worker"), th_addr(9), "then dev 9's");
    mpz_set_str(t, th_str(value9, "value"), 10);
    mpz_set_str(sum, "1339" TOKEN TOKEN, 10);
    cr_assert_lt(mpz_cmp(t, sum), 0, "dev 9's V decayed below Ve while it did not answer");

    /* the balances moved exactly as the operations say: pool 1's owner takes 10% commission */
    balance(treasury1, treasury_account());
    balance(rewards1, ledger_pool_account(LEDGER_POOL_REWARDS, 1));
    balance(claimable1, user_account(LEDGER_CLAIMABLE, 0));
    expect_delta(treasury0, treasury1, op_amount(r, "treasury"), "the treasury");
    mpz_fdiv_q_ui(t, pay1, 10);
    expect_delta(claimable0, claimable1, mpz_get_str(text, 10, t), "the owner's claimable (10%% commission)");
    mpz_sub(t, pay1, t);
    expect_delta(rewards0, rewards1, mpz_get_str(text, 10, t), "pool 1's rewards (the emission less the commission)");
    mpz_clears(treasury, pay1, pay2, sum, t, NULL);
    expect_bonded(8, "1000" TOKEN);
    expect_bonded(9, "1000" TOKEN);
    cJSON_Delete(resp);
    expect_audit_ok();
    expect_verify_epoch_cli(0);
    struct settlement_txs s;
    scan_settlements(&s);
    expect_settled_once(&s, 1);
    cr_assert_eq(s.failed, 0, "no failed settlement");
}

/* The balances a compute payment moves: client 3's escrow, the fees, pool 1's rewards, the owner's
 * claimable commission and the treasury. */
struct payment_books {
    char escrow[80], fees[80], rewards[80], claimable[80], treasury[80];
};

static void read_payment_books(struct payment_books *b)
{
    balance(b->escrow, user_account(LEDGER_ESCROW, 3));
    balance(b->fees, ledger_system_account(LEDGER_FEES));
    balance(b->rewards, ledger_pool_account(LEDGER_POOL_REWARDS, 1));
    balance(b->claimable, user_account(LEDGER_CLAIMABLE, 0));
    balance(b->treasury, treasury_account());
}

Test(integration_settlement, a_redeemed_voucher_is_paid_once_with_its_fee_and_the_rest_returns_at_close)
{
    make_pool("100");
    add_worker(8, NULL);
    th_send_done(node, 3, "ChannelOpen", "{\"worker\":\"%s\",\"deposit\":\"100" TOKEN "\"}", th_addr(8));
    char sig[133];
    th_voucher_sig(sig, 3, 1, "30" TOKEN);
    th_send_done(node, 8, "VoucherRedeem", "{\"channel\":\"1\",\"cumulative\":\"30" TOKEN "\",\"voucherSig\":\"%s\"}",
                 sig);
    struct payment_books before, after;
    read_payment_books(&before);
    cr_assert_str_eq(before.escrow, "100" TOKEN, "the deposit is in escrow");

    th_node_advance(node, EPOCH_SECS);
    cJSON *resp = get_epoch(0);
    const cJSON *r = th_result(resp);
    expect_verified(r);
    expect_formula(r);
    /* pay = min(30, 100) tokens; fee = floor(pay * 5%) = 1.5 tokens; the pool 28.5 tokens */
    cr_assert_str_eq(th_str(r, "computePaid"), "30" TOKEN, "pay");
    cr_assert_str_eq(op_amount(r, "computePayment"), "28500000000000000000", "pay - fee to the pool");
    cr_assert_str_eq(op_amount(r, "fee"), "1500000000000000000", "fee");
    cr_assert_str_eq(op_amount(r, "treasury"), BUDGET, "no worker has weight: all of the budget to the treasury");
    read_payment_books(&after);
    cr_assert_str_eq(after.escrow, "70" TOKEN, "the client's escrow is down by exactly pay");
    expect_delta(before.fees, after.fees, "1500000000000000000", "the fees account");
    expect_delta(before.claimable, after.claimable, "2850000000000000000", "the owner's commission (10%% of 28.5)");
    expect_delta(before.rewards, after.rewards, "25650000000000000000", "pool 1's rewards (28.5 less the commission)");
    expect_delta(before.treasury, after.treasury, BUDGET, "the treasury");
    cJSON_Delete(resp);
    ledger *l = th_node_ledger(node);
    ledger_channel c;
    ledger_channel_init(&c);
    cr_assert_eq(ledger_channel_get(l, 1, &c), ST_OK, "channel 1");
    char paid[80], redeemed[80];
    mpz_get_str(paid, 10, c.paid);
    mpz_get_str(redeemed, 10, c.redeemed);
    cr_assert_str_eq(paid, "30" TOKEN, "the channel is paid what was redeemed");
    cr_assert_str_eq(redeemed, "30" TOKEN, "redeemed");
    ledger_channel_clear(&c);
    ledger_close(l);

    /* the same voucher again: refused, and the next epoch pays nothing for the channel */
    cJSON *again = th_send(node, 8, "VoucherRedeem",
                           "{\"channel\":\"1\",\"cumulative\":\"30" TOKEN "\",\"voucherSig\":\"%s\"}", sig);
    cr_assert_str_eq(th_str(th_result(again), "status"), "failed", "a second redeem fails");
    cr_assert(strstr(th_str(th_result(again), "error"), "already redeemed"), "%s", th_str(th_result(again), "error"));
    cJSON_Delete(again);
    th_node_advance(node, EPOCH_SECS);
    resp = get_epoch(1);
    cr_assert_str_eq(th_str(th_result(resp), "computePaid"), "0", "epoch 1 pays the channel nothing");
    cJSON_Delete(resp);
    balance(after.escrow, user_account(LEDGER_ESCROW, 3));
    cr_assert_str_eq(after.escrow, "70" TOKEN, "the escrow is unchanged");

    /* close: after the challenge period the rest comes back */
    th_send_done(node, 3, "ChannelClose", "{\"channel\":\"1\"}");
    th_node_advance(node, CHALLENGE_SECS);
    balance(after.escrow, user_account(LEDGER_ESCROW, 3));
    cr_assert_str_eq(after.escrow, "0", "nothing left in escrow");
    cJSON *acct = th_callf(node, "ledger_getAccount", "{\"address\":\"%s\"}", th_addr(3));
    cr_assert_str_eq(th_str(th_result(acct), "free"), "999970" TOKEN, "the client got its 70 tokens back");
    cJSON_Delete(acct);
    l = th_node_ledger(node);
    ledger_channel_init(&c);
    cr_assert_eq(ledger_channel_get(l, 1, &c), ST_OK, "channel 1");
    cr_assert(c.closed, "closed");
    ledger_channel_clear(&c);
    ledger_close(l);
    expect_audit_ok();
    expect_verify_epoch_cli(0);
}

Test(integration_settlement, a_tampered_report_fails_pays_nothing_and_the_epoch_settles_once)
{
    char treasury0[80], treasury1[80], treasury2[80];
    balance(treasury0, treasury_account());
    th_node_advance(node, EPOCH_SECS);
    expect_epoch_verified(0);
    balance(treasury1, treasury_account());
    expect_delta(treasury0, treasury1, BUDGET, "the treasury after epoch 0");

    cJSON *resp = th_call(node, "admin_tamperNextReport", NULL);
    cr_assert(cJSON_IsTrue(th_result(resp)), "armed");
    cJSON_Delete(resp);
    expect_not_settled(1);
    th_node_advance(node, EPOCH_SECS);
    struct settlement_txs s;
    scan_settlements(&s);
    cr_assert_eq(s.failed, 1, "one Settlement failed");
    resp = th_callf(node, "ledger_getTransaction", "{\"hash\":\"%s\"}", s.first_failed_hash);
    const cJSON *tx = th_result(resp);
    cr_assert_str_eq(th_str(tx, "type"), "Settlement", "a Settlement");
    cr_assert_str_eq(th_str(tx, "status"), "failed", "failed");
    const char *why = th_str(tx, "error");
    cr_assert(strstr(why, "report") || strstr(why, "signature"), "the error says why: %s", why);
    cr_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(tx, "sender")), "a system transaction");
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(tx, "events")), 0, "it did nothing");
    cJSON_Delete(resp);
    /* admin_advanceTime does all due work before answering: the epoch, still due after the failed
     * attempt, is asked of the enclave again in the next block and settles there, once */
    resp = get_epoch(1);
    const cJSON *r = th_result(resp);
    expect_verified(r);
    cr_assert_gt(th_num(r, "block"), (double)s.first_failed_block, "settled after the failed attempt");
    cJSON_Delete(resp);
    expect_settled_once(&s, 2);
    balance(treasury2, treasury_account());
    expect_delta(treasury1, treasury2, BUDGET, "the treasury: one budget for epoch 1, nothing for the tampered report");

    th_node_advance(node, EPOCH_SECS);
    scan_settlements(&s);
    expect_settled_once(&s, 3);
    cr_assert_eq(s.failed, 1, "no new failure");
    balance(treasury2, treasury_account());
    expect_delta(treasury0, treasury2, THREE_BUDGETS, "three budgets for three epochs");
    expect_audit_ok();
    expect_verify_epoch_cli(1);
}

/* Sums the TREASURY operations of epochs 0..n-1 onto the genesis treasury. */
static void expected_treasury(char out[80], unsigned n)
{
    mpz_t t, op;
    mpz_init_set_str(t, GENESIS_TREASURY, 10);
    mpz_init(op);
    for (unsigned e = 0; e < n; e++) {
        cJSON *resp = get_epoch(e);
        const cJSON *r = th_result(resp);
        expect_verified(r);
        mpz_set_str(op, op_amount(r, "treasury"), 10);
        mpz_add(t, t, op);
        cJSON_Delete(resp);
    }
    mpz_get_str(out, 10, t);
    mpz_clears(t, op, NULL);
}

Test(integration_settlement, a_killed_enclave_or_daemon_loses_no_epoch_and_settles_none_twice)
{
    char treasury[80], want[80];
    th_node_advance(node, EPOCH_SECS);
    expected_treasury(want, 1);
    balance(treasury, treasury_account());
    cr_assert_str_eq(treasury, want, "epoch 0 settled by the first enclave");

    /* kill -9 the enclave: the node keeps serving and the epoch waits (or settles if the engine's
     * 5 s restart backoff has passed meanwhile) */
    pid_t enclave = th_node_child_pid(node);
    cr_assert_gt(enclave, 0, "the node runs its enclave");
    cr_assert_eq(kill(enclave, SIGKILL), 0, "kill the enclave");
    cr_assert(th_wait_gone(enclave), "the enclave died");
    th_node_advance(node, EPOCH_SECS);
    uint64_t t = th_node_time(node);
    cr_assert_gt(t, 0, "the node still answers");
    expect_audit_ok();
    cJSON *resp = get_epoch(1);
    bool waited = cJSON_GetObjectItemCaseSensitive(resp, "error") != NULL;
    if (waited)
        cr_assert_eq(th_error_code(resp), -32003, "epoch 1 waits for an enclave");
    cJSON_Delete(resp);

    /* a restart starts a fresh enclave; the next bit of work settles the pending epoch once */
    stop_cleanly();
    th_node_start(node, true);
    pid_t fresh = th_node_child_pid(node);
    cr_assert(fresh > 0 && fresh != enclave, "a fresh enclave");
    cr_assert_eq(th_node_time(node), t, "the manual clock survived the restart");
    th_node_advance(node, 0);
    expect_epoch_verified(1);
    struct settlement_txs s;
    scan_settlements(&s);
    expect_settled_once(&s, 2);

    /* kill -9 the daemon right after a settlement */
    th_node_advance(node, EPOCH_SECS);
    expect_epoch_verified(2);
    enclave = th_node_child_pid(node);
    int status = th_node_stop(node, SIGKILL);
    cr_assert(WIFSIGNALED(status), "killed");
    cr_assert(th_wait_gone(enclave), "the orphaned enclave exits once its host is gone");
    th_node_start(node, true);
    th_node_advance(node, 0);
    scan_settlements(&s);
    expect_settled_once(&s, 3);
    cr_assert_eq(s.failed, 0, "no failed settlement");
    expected_treasury(want, 3);
    balance(treasury, treasury_account());
    cr_assert_str_eq(treasury, want, "the treasury: genesis + the settled epochs' treasury operations");
    expect_audit_ok();
    expect_verify_epoch_cli(2);

    /* replay re-applies the stored reports without an enclave */
    stop_cleanly();
    const char *argv[] = { TEST_BUILDDIR "/conclave", "--datadir", node->datadir, "replay", NULL };
    expect_cli(0, argv, "conclave replay");
}

/* ---- a stopped enclave stops nothing else ---- */

#define ANSWER_MS 20000               /* bound of every wait for an answer */

/* Sends an admin JSON-RPC call on a connection of its own and returns the socket without waiting
 * for the answer (the server closes the connection after it). */
static int call_in_background(const char *method, const char *params)
{
    char body[256], req[1024];
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)node->port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_geq(fd, 0, "socket");
    cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0, "connect to the node");
    int body_len = snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"%s\",\"params\":%s}", method, params);
    int len = snprintf(req, sizeof req,
                       "POST / HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nContent-Type: application/json\r\n"
                       "Authorization: Bearer %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
                       node->port, node->token, body_len, body);
    cr_assert_eq(write(fd, req, (size_t)len), (ssize_t)len, "send %s", method);
    return fd;
}

/* Whether the answer on fd has begun to arrive (within timeout_ms). */
static bool answer_arrived(int fd, int timeout_ms)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    return poll(&p, 1, timeout_ms) == 1;
}

/* Reads the answer on fd to the end (bounded) and closes fd; returns its JSON body (caller deletes). */
static cJSON *background_answer(int fd)
{
    static char buf[65536];
    size_t got = 0;
    for (;;) {
        cr_assert(answer_arrived(fd, ANSWER_MS), "the answer comes");
        ssize_t r = read(fd, buf + got, sizeof buf - 1 - got);
        cr_assert_geq(r, 0, "read the answer");
        if (r == 0)
            break;
        got += (size_t)r;
        cr_assert_lt(got, sizeof buf - 1, "the answer fits");
    }
    close(fd);
    buf[got] = '\0';
    const char *json = strstr(buf, "\r\n\r\n");
    cr_assert_not_null(json, "an HTTP answer: %s", buf);
    cJSON *resp = cJSON_Parse(json + 4);
    cr_assert_not_null(resp, "a JSON body: %s", json + 4);
    return resp;
}

/* While the settlement waits for the stopped enclave, the node reads, accepts and commits. */
static void expect_served_while_pending(int advance_fd, uint64_t epoch)
{
    cr_assert(th_node_time(node) > 0, "node_info is answered");
    expect_not_settled(epoch);
    cJSON *acct = th_callf(node, "ledger_getAccount", "{\"address\":\"%s\"}", th_addr(1));
    cr_assert_not_null(cJSON_GetObjectItemCaseSensitive(th_result(acct), "free"), "an account is read");
    cJSON_Delete(acct);
    th_send_done(node, 1, "Transfer", "{\"to\":\"%s\",\"amount\":\"1\"}", th_addr(2));
    cr_assert(!answer_arrived(advance_fd, 0), "all that while, admin_advanceTime still waits for the enclave");
}

/* An enclave that refuses an epoch's inputs (sent a byte short by the dev hook) is stopped like a
 * failed one: admin_advanceTime answers at once instead of waiting for a report that cannot come,
 * nothing is paid, and the next enclave settles the epoch once. */
Test(integration_settlement, an_enclave_that_refuses_an_epoch_is_stopped_and_the_next_one_settles_it)
{
    char treasury[80], want[80];
    pid_t enclave = th_node_child_pid(node);
    cr_assert_gt(enclave, 0, "the node runs its enclave");
    cJSON *resp = th_call(node, "admin_tamperNextReport", "{\"part\":\"inputs\"}");
    cr_assert(cJSON_IsTrue(th_result(resp)), "the hook is set");
    cJSON_Delete(resp);
    th_node_advance(node, EPOCH_SECS);
    cr_assert(th_wait_gone(enclave), "the refusing enclave was stopped");
    /* unless the engine's 5 s restart backoff has passed meanwhile, the epoch waits unpaid */
    resp = get_epoch(0);
    if (cJSON_GetObjectItemCaseSensitive(resp, "error")) {
        cr_assert_eq(th_error_code(resp), -32003, "epoch 0 waits for an enclave");
        expected_treasury(want, 0);
        balance(treasury, treasury_account());
        cr_assert_str_eq(treasury, want, "nothing paid");
    }
    cJSON_Delete(resp);
    expect_audit_ok();

    stop_cleanly();
    th_node_start(node, true);
    th_node_advance(node, 0);
    expect_epoch_verified(0);
    expected_treasury(want, 1);
    balance(treasury, treasury_account());
    cr_assert_str_eq(treasury, want, "the next enclave settled epoch 0");
    struct settlement_txs s;
    scan_settlements(&s);
    expect_settled_once(&s, 1);
    cr_assert_eq(s.failed, 0, "no failed settlement");

    resp = th_call(node, "admin_tamperNextReport", "{\"part\":\"everything\"}");
    cr_assert_eq(th_error_code(resp), -32602, "an unknown part");
    cJSON_Delete(resp);
}

Test(integration_settlement, a_stopped_enclave_holds_its_epoch_but_not_the_node)
{
    pid_t enclave = th_node_child_pid(node);
    cr_assert_gt(enclave, 0, "the node runs its enclave");
    cr_assert_eq(kill(enclave, SIGSTOP), 0, "stop the enclave");
    int fd = call_in_background("admin_advanceTime", "{\"seconds\":3600}");
    expect_served_while_pending(fd, 0);

    /* the enclave wakes up: the epoch settles after the transfer's block, and the advance is answered */
    cr_assert_eq(kill(enclave, SIGCONT), 0, "continue the enclave");
    cJSON *resp = background_answer(fd);
    cr_assert_not_null(cJSON_GetObjectItemCaseSensitive(resp, "result"), "advanced: %s", cJSON_PrintUnformatted(resp));
    cJSON_Delete(resp);
    expect_epoch_verified(0);

    /* stopped again, then killed while the epoch waits: the settlement fails cleanly and the epoch
     * waits for the next enclave */
    cr_assert_eq(kill(enclave, SIGSTOP), 0, "stop the enclave again");
    fd = call_in_background("admin_advanceTime", "{\"seconds\":3600}");
    expect_served_while_pending(fd, 1);
    cr_assert_eq(kill(enclave, SIGKILL), 0, "kill the enclave");
    resp = background_answer(fd);
    cr_assert_not_null(cJSON_GetObjectItemCaseSensitive(resp, "result"), "advanced: %s", cJSON_PrintUnformatted(resp));
    cJSON_Delete(resp);
    expect_not_settled(1);
    expect_audit_ok();
    stop_cleanly();
    th_node_start(node, true);
    th_node_advance(node, 0);
    expect_epoch_verified(1);
    struct settlement_txs s;
    scan_settlements(&s);
    expect_settled_once(&s, 2);
    cr_assert_eq(s.failed, 0, "no failed settlement");

    /* kill -9 of the daemon takes a stopped enclave with it */
    enclave = th_node_child_pid(node);
    cr_assert_eq(kill(enclave, SIGSTOP), 0, "stop the new enclave");
    int status = th_node_stop(node, SIGKILL);
    cr_assert(WIFSIGNALED(status), "killed");
    cr_assert(th_wait_gone(enclave), "the stopped enclave died with its daemon");
}

Test(integration_settlement, a_report_for_inputs_that_changed_meanwhile_is_asked_again_not_applied)
{
    make_pool("2000");
    add_worker(8, "1000");   /* the minimum stake of score 100: 100 tokens x sqrt(100) */
    pid_t enclave = th_node_child_pid(node);
    cr_assert_eq(kill(enclave, SIGSTOP), 0, "stop the enclave");
    int fd = call_in_background("admin_advanceTime", "{\"seconds\":3600}");
    expect_served_while_pending(fd, 0);
    /* the enclave has epoch 0's inputs; a bond changes them before it answers */
    th_send_done(node, 0, "WorkerBond", "{\"pool\":\"1\",\"worker\":\"%s\",\"amount\":\"100" TOKEN "\"}", th_addr(8));
    cr_assert_eq(kill(enclave, SIGCONT), 0, "continue the enclave");
    cJSON *resp = background_answer(fd);
    cr_assert_not_null(cJSON_GetObjectItemCaseSensitive(resp, "result"), "advanced: %s", cJSON_PrintUnformatted(resp));
    cJSON_Delete(resp);

    resp = get_epoch(0);
    const cJSON *r = th_result(resp);
    expect_verified(r);
    size_t len = 0;
    uint8_t *inputs = hex_blob(th_str(r, "inputs"), &len);
    enc_settle_input in;
    enc_settle_input_init(&in);
    cr_assert_eq(enc_settle_input_parse(&in, inputs, len), ST_OK, "stored inputs parse");
    cr_assert_eq(in.n_workers, 1, "one worker");
    char stake[80];
    mpz_get_str(stake, 10, in.workers[0].stake);
    cr_assert_str_eq(stake, "1100" TOKEN, "settled on the bond as it was when the Settlement applied");
    enc_settle_input_clear(&in);
    free(inputs);
    cJSON_Delete(resp);
    struct settlement_txs s;
    scan_settlements(&s);
    expect_settled_once(&s, 1);
    cr_assert_eq(s.failed, 0, "the out-of-date report never reached the chain");
    expect_audit_ok();
}
