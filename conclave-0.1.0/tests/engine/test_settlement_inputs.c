/* SPDX-License-Identifier: MIT */
/* test_settlement_inputs.c: the engine's side of settlement version 2 (engine/settlement.c): the
 * inputs of an epoch read from the ledger (every bonded, registered worker with its score, level,
 * V and the performance of the slots it is judged in; the genesis economics; the heartbeat slot),
 * written here straight into the ledger so that the test does not depend on the transactions that
 * register, bond and heartbeat. The inputs must be canonical and settle. Reaches into
 * engine/engine_int.h for eng_settlement_inputs, which has no public form. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "enclave/settle.h"
#include "engine/engine_int.h"
#include "ledger/amount.h"
#include "ledger/compute.h"
#include "ledger/stakes.h"
#include "tests/lib/engine_fixture.h"

#define G_TIME 3000000u
#define EPOCH 600u
#define SLOT 100u  /* six slots an epoch */

static eng *e;

static void setup(void)
{
    char genesis[512];
    snprintf(genesis, sizeof genesis,
             "{\"chainId\":77,\"time\":%u,\"epochSecs\":%u,\"compute\":{\"heartbeatSecs\":%u},"
             "\"rewards\":{\"stepSecs\":10,\"vMax\":\"20000.5\",\"re\":\"1.25\"}}",
             G_TIME, EPOCH, SLOT);
    th_open_engine(&e, "settlement_inputs", genesis);
}

static void teardown(void)
{
    th_close_engine(e);
}

TestSuite(engine_settlement_inputs, .init = setup, .fini = teardown);

/* A worker row: address 20 bytes of a, in pool, with bonded tokens, score, level, started/value
 * (a decimal fixed) and judged_from (seconds after the genesis). */
static void put_worker(uint8_t a, uint64_t pool, unsigned bonded, uint32_t score, uint8_t level, const char *value,
                       uint64_t judged_after)
{
    ledger_worker w;
    ledger_worker_init(&w);
    memset(w.address, a, 20);
    w.pool = pool;
    mpz_set_ui(w.bonded, bonded);
    mpz_mul_ui(w.bonded, w.bonded, 1000000000u);
    mpz_mul_ui(w.bonded, w.bonded, 1000000000u);
    w.score = score;
    w.conf_level = level;
    w.started = value != NULL;
    if (value)
        cr_assert_eq(mpz_set_str(w.value, value, 10), 0, "a value");
    w.judged_from = G_TIME + judged_after;
    cr_assert_eq(ledger_worker_put(eng_ledger(e), &w), ST_OK, "worker %02x", a);
    ledger_worker_clear(&w);
}

static void beat(uint8_t a, uint64_t epoch, uint64_t slot, uint32_t score)
{
    uint8_t addr[20];
    memset(addr, a, 20);
    cr_assert_eq(ledger_heartbeat_put(eng_ledger(e), addr, epoch, slot, score), ST_OK, "a heartbeat");
}

Test(engine_settlement_inputs, bonded_registered_workers_with_their_judged_slots)
{
    ledger *l = eng_ledger(e);
    ledger_pool p;
    enc_settle_input in;
    enc_settle_report r;
    ledger_pool_init(&p);
    cr_assert_eq(ledger_block_begin(l, th_head_height(e) + 1), ST_OK, "a block");
    memset(p.owner, 0xaa, 20);
    mpz_set_ui(p.capacity, 1);
    mpz_mul_2exp(p.capacity, p.capacity, 100);
    cr_assert_eq(ledger_pool_insert(l, &p), ST_OK, "pool");
    /* 0x11: judged all along, answers slots 0, 2 and 5 of epoch 0, and slot 1 of epoch 1 */
    put_worker(0x11, p.id, 5000, 1000, 1, NULL, 0);
    beat(0x11, 0, 0, 1100);
    beat(0x11, 0, 2, 900);
    beat(0x11, 0, 5, 1200);
    beat(0x11, 1, 1, 1000);
    /* 0x22: started, judged from 250 s: from slot 3 (its heartbeat in slot 1 does not count) */
    put_worker(0x22, p.id, 100, 200, 4, "1234567890123456789012345678901234567890", 250);
    beat(0x22, 0, 1, 210);
    beat(0x22, 0, 3, 220);
    beat(0x22, 0, 4, 230);
    /* 0x33: no bond: left out, heartbeats or not */
    put_worker(0x33, p.id, 0, 100, 1, NULL, 0);
    beat(0x33, 0, 0, 100);
    /* 0x44: bonded but with no registration's score: left out */
    put_worker(0x44, p.id, 10, 0, 1, NULL, 0);
    /* 0x55: judged from after the epoch: first_slot = n_slots, nothing counts */
    put_worker(0x55, p.id, 10, 50, 5, NULL, EPOCH + 10);
    beat(0x55, 0, 5, 60);
    /* 0x66: judged from exactly slot 2's start */
    put_worker(0x66, p.id, 20, 60, 2, NULL, 200);
    beat(0x66, 0, 2, 70);
    cr_assert_eq(ledger_block_commit(l), ST_OK, "commit");

    enc_settle_input_init(&in);
    enc_settle_report_init(&r);
    cr_assert_eq(eng_settlement_inputs(e, 0, &in), ST_OK, "the inputs of epoch 0");
    cr_assert_eq(in.epoch_start, G_TIME, "epoch 0 starts at the genesis");
    cr_assert_eq(in.epoch_end, G_TIME + EPOCH, "and lasts epochSecs");
    cr_assert_eq(in.slot_seconds, SLOT, "the slot is heartbeatSecs");
    cr_assert_eq(enc_settle_slot_count(&in), 6, "six slots");
    cr_assert_eq(in.params.step_seconds, 10, "stepSecs");
    cr_assert_eq(mpz_cmp(in.params.v_max, e->genesis.rewards.v_max), 0, "vMax from the genesis");
    cr_assert_eq(mpz_cmp(in.params.re, e->genesis.rewards.re), 0, "re from the genesis");
    cr_assert_eq(mpz_cmp(in.params.rho, e->genesis.rewards.rho), 0, "rho");
    cr_assert_eq(mpz_cmp(in.params.budget_per_epoch, e->genesis.rewards.budget_per_epoch), 0, "the budget");
    cr_assert_eq(in.n_workers, 4, "0x11, 0x22, 0x55, 0x66: the unbonded and the unregistered are left out");
    static const uint8_t addr[4] = { 0x11, 0x22, 0x55, 0x66 };
    static const uint32_t first[4] = { 0, 3, 6, 2 };
    static const uint32_t perf[4][6] = {
        { 1100, 0, 900, 0, 0, 1200 }, { 0, 0, 0, 220, 230, 0 }, { 0, 0, 0, 0, 0, 0 }, { 0, 0, 70, 0, 0, 0 },
    };
    for (size_t i = 0; i < 4; i++) {
        const enc_worker_in *w = &in.workers[i];
        cr_assert_eq(w->address[0], addr[i], "worker %zu by address", i);
        cr_assert_eq(w->pool, p.id, "its pool");
        cr_assert_eq(w->first_slot, first[i], "worker %02x: first_slot %u, not %u", addr[i], first[i], w->first_slot);
        cr_assert_eq(w->n_perf, 6, "six values");
        cr_assert_arr_eq(w->perf, perf[i], sizeof perf[i], "worker %02x: its slots of epoch 0", addr[i]);
    }
    cr_assert_eq(in.workers[0].score, 1000, "the score");
    cr_assert_eq(in.workers[1].conf_level, 4, "the level");
    cr_assert(in.workers[1].started && !in.workers[0].started, "started");
    char *v = mpz_get_str(NULL, 10, in.workers[1].v);
    cr_assert_str_eq(v, "1234567890123456789012345678901234567890", "V as stored");
    free(v);
    cr_assert_eq(mpz_sgn(in.workers[0].v), 0, "no V before the start");
    v = mpz_get_str(NULL, 10, in.workers[0].stake);
    cr_assert_str_eq(v, "5000000000000000000000", "the bonded stake, base units");
    free(v);
    cr_assert_eq(enc_settle_compute(&r, &in), ST_OK, "the inputs are canonical and settle");
    cr_assert_eq(r.ops[r.n_ops - 4].kind, ENC_OP_WORKER_VALUE, "a WORKER_VALUE for each");
    enc_settle_report_clear(&r);
    enc_settle_input_clear(&in);

    /* epoch 1: only 0x11's slot 1 */
    enc_settle_input_init(&in);
    cr_assert_eq(eng_settlement_inputs(e, 1, &in), ST_OK, "the inputs of epoch 1");
    cr_assert_eq(in.workers[0].perf[1], 1000, "epoch 1's heartbeat");
    cr_assert_eq(in.workers[0].perf[0], 0, "and nothing of epoch 0");
    cr_assert_eq(in.workers[1].first_slot, 0, "0x22 is judged from before epoch 1");
    cr_assert_eq(in.workers[2].first_slot, 1, "0x55 from 610 s: slot 1 of epoch 1 (610 -> ceil(10 / 100))");
    enc_settle_input_clear(&in);
    ledger_pool_clear(&p);
}
