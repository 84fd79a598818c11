/* SPDX-License-Identifier: MIT */
/* test_workers.c: workers that prove themselves, through the engine without a socket. A worker key
 * registers only with a quote of the chain's platform, for this chain and this very key, whose
 * measurement is on the worker-runtime allowlist; only the operator it named adds it to a pool; it
 * computes only with at least k * sqrt(P) bonded and P at least the minimum score; its heartbeats
 * answer the current slot's challenge exactly once, and what they claim counts at most 1.2 x P;
 * WorkerRemove frees it once nothing is bonded or unbonding. A worker key that holds nothing has
 * its first transaction taken only if that is its WorkerRegister; an epoch's answers are summed,
 * a past epoch's answer is refused, and a sample of zero never queues. Every block is audited. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine/engine.h"
#include "ledger/compute.h"
#include "ledger/hex.h"
#include "ledger/stakes.h"
#include "tests/lib/engine_fixture.h"

#define G_TIME 3000000u
#define EPOCH 600u
#define SLOT 100u
#define OWNER 0
#define OTHER 1
#define W 0            /* th_worker_key(W) */
#define TOKEN "000000000000000000"

static eng *e;

static void setup(void)
{
    char genesis[2048];
    snprintf(genesis, sizeof genesis,
             "{\"chainId\":77,\"time\":%u,\"epochSecs\":%u,\"compute\":{\"heartbeatSecs\":%u},"
             "\"accounts\":[{\"address\":\"%s\",\"balance\":\"100000" TOKEN "\"},{\"address\":\"%s\",\"balance\":\"100000" TOKEN "\"}],"
             "\"staking\":{\"minContribution\":\"1\",\"unbondingSecs\":1000},%s}",
             G_TIME, EPOCH, SLOT, th_dev_text(OWNER), th_dev_text(OTHER), th_worker_genesis());
    th_open_engine(&e, "workers", genesis);
    th_expect_tx_ok(e, OWNER, "PoolCreate", "{\"commissionPpm\":\"100000\",\"capacity\":\"100000" TOKEN "\"}");
    th_expect_tx_ok(e, OWNER, "Contribute", "{\"pool\":\"1\",\"amount\":\"50000" TOKEN "\"}");
}

static void teardown(void)
{
    th_close_engine(e);
}

TestSuite(engine_workers, .init = setup, .fini = teardown);

/* Submits a WorkerRegister of worker i in a block of its own with this quote and benchmark (o is
 * cleared first, as by the heartbeat below). */
static void register_with(unsigned i, const char *quote, unsigned op, const char *iterations, th_outcome *o)
{
    uint8_t key[32], addr[20];
    uint64_t nonce = 0;
    th_outcome_clear(o);
    th_worker_key(key, i);
    th_worker_address(addr, i);
    cr_assert_eq(ledger_nonce_get(eng_ledger(e), addr, &nonce), ST_OK, "nonce");
    int rc = th_submit_signed(e, key, nonce, "WorkerRegister", o,
                              "{\"quote\":\"%s\",\"operator\":\"%s\",\"iterations\":\"%s\",\"micros\":\"1000000\"}", quote,
                              th_dev_text(op), iterations);
    if (rc == ST_OK)
        th_block(e);
    else
        o->status = rc;
}

/* The worker's WorkerHeartbeat for (epoch, slot) with this challenge, in a block of its own. */
static void heartbeat_with(unsigned i, uint64_t epoch, uint64_t slot, const uint8_t challenge[32], uint64_t iterations,
                           th_outcome *o)
{
    uint8_t key[32], addr[20];
    char hex[67];
    uint64_t nonce = 0;
    th_outcome_clear(o);
    th_worker_key(key, i);
    th_worker_address(addr, i);
    cr_assert_eq(ledger_nonce_get(eng_ledger(e), addr, &nonce), ST_OK, "nonce");
    ledger_hex_encode(hex, challenge, 32);
    cr_assert_eq(th_submit_signed(e, key, nonce, "WorkerHeartbeat", o,
                                  "{\"epoch\":\"%llu\",\"slot\":\"%llu\",\"challenge\":\"%s\",\"iterations\":\"%llu\","
                                  "\"micros\":\"1000000\"}",
                                  (unsigned long long)epoch, (unsigned long long)slot, hex, (unsigned long long)iterations),
                 ST_OK, "heartbeat queued: %s", th_last_err());
    th_block(e);
}

/* Answers the current slot's challenge with `iterations` per second; expects success. */
static void answer(unsigned i, uint64_t iterations)
{
    uint8_t addr[20];
    eng_challenge c;
    th_outcome o = { 0 };
    th_worker_address(addr, i);
    cr_assert_eq(eng_challenge_now(e, addr, &c), ST_OK, "challenge");
    heartbeat_with(i, c.epoch, c.slot, c.challenge, iterations, &o);
    th_expect_ok(&o, "WorkerHeartbeat");
    th_outcome_clear(&o);
}

/* The heartbeat score recorded for worker i in (epoch, slot); 0 if none. */
static uint32_t recorded(unsigned i, uint64_t epoch, uint64_t slot)
{
    uint8_t addr[20];
    uint32_t scores[EPOCH / SLOT];
    th_worker_address(addr, i);
    cr_assert_eq(ledger_heartbeat_slots(eng_ledger(e), addr, epoch, scores, EPOCH / SLOT), ST_OK, "slots");
    return scores[slot];
}

/* Registers worker W (score 100: min stake 1000 tokens), adds it to pool 1 and bonds 1000 tokens. */
static void computing_worker(void)
{
    th_register_worker(e, W, OWNER, 100);
    th_expect_tx_ok(e, OWNER, "WorkerAdd", "{\"pool\":\"1\",\"worker\":\"%s\"}", th_worker_text(W));
    th_expect_tx_ok(e, OWNER, "WorkerBond", "{\"pool\":\"1\",\"worker\":\"%s\",\"amount\":\"1000" TOKEN "\"}", th_worker_text(W));
}

Test(engine_workers, a_registration_records_the_benchmark_score_and_attested_level)
{
    uint8_t key[32], addr[20];
    char quote[2 * 172 + 3];
    th_outcome o = { 0 };
    th_worker_key(key, 5);
    th_worker_quote_hex(quote, key, 77, 4, NULL);
    register_with(5, quote, OWNER, "1234567", &o);
    th_expect_ok(&o, "WorkerRegister");
    cr_assert(strstr(o.events, "\"score\":1234") && strstr(o.events, "\"confLevel\":4"), "events: %s", o.events);
    ledger_worker_reg reg;
    th_worker_address(addr, 5);
    cr_assert_eq(ledger_worker_reg_get(eng_ledger(e), addr, &reg), ST_OK, "registered");
    cr_assert_eq(reg.score, 1234, "P = floor(iterations / 1000) per second");
    cr_assert_eq(reg.conf_level, 4, "the level the platform attested");
    th_outcome_clear(&o);
}

Test(engine_workers, a_quote_that_does_not_bind_this_key_platform_chain_and_runtime_is_refused)
{
    uint8_t key[32], other[32], measurement[32];
    char quote[2 * 172 + 3];
    th_outcome o = { 0 };
    th_worker_key(key, 6);
    th_worker_key(other, 7);
    /* another key's quote */
    th_worker_quote_hex(quote, other, 77, 1, NULL);
    register_with(6, quote, OWNER, "100000", &o);
    cr_assert_eq(o.status, ST_UNAUTHORIZED, "another key: %s", th_last_err());
    cr_assert(strstr(th_last_err(), "another key"), "%s", th_last_err());
    /* another chain */
    th_worker_quote_hex(quote, key, 78, 1, NULL);
    register_with(6, quote, OWNER, "100000", &o);
    cr_assert_eq(o.status, ST_INVALID, "another chain");
    cr_assert(strstr(th_last_err(), "chain 78"), "%s", th_last_err());
    /* a runtime that is not on the allowlist: admitted (the quote is sound), refused in the block */
    memset(measurement, 0x99, sizeof measurement);
    th_worker_quote_hex(quote, key, 77, 1, measurement);
    register_with(6, quote, OWNER, "100000", &o);
    th_expect_failed(&o, "is not on the allowlist", "an unknown runtime");
    th_outcome_clear(&o);
}

Test(engine_workers, only_the_operator_it_named_adds_a_registered_worker)
{
    th_expect_tx_fails(e, OWNER, "WorkerAdd", "is not registered", "{\"pool\":\"1\",\"worker\":\"%s\"}", th_worker_text(W));
    th_register_worker(e, W, OTHER, 100);
    th_expect_tx_fails(e, OWNER, "WorkerAdd", "registered to serve", "{\"pool\":\"1\",\"worker\":\"%s\"}", th_worker_text(W));
    th_register_worker(e, W, OWNER, 100);
    th_expect_tx_ok(e, OWNER, "WorkerAdd", "{\"pool\":\"1\",\"worker\":\"%s\"}", th_worker_text(W));
}

Test(engine_workers, a_worker_computes_only_with_the_minimum_stake_and_score)
{
    th_register_worker(e, W, OWNER, 100);
    th_expect_tx_ok(e, OWNER, "WorkerAdd", "{\"pool\":\"1\",\"worker\":\"%s\"}", th_worker_text(W));
    /* k * sqrt(100) = 100 tokens * 10 = 1000 tokens */
    th_expect_tx_fails(e, OWNER, "WorkerBond", "below the minimum stake of 1000" TOKEN,
                       "{\"pool\":\"1\",\"worker\":\"%s\",\"amount\":\"999999999999999999999\"}", th_worker_text(W));
    th_expect_tx_ok(e, OWNER, "WorkerBond", "{\"pool\":\"1\",\"worker\":\"%s\",\"amount\":\"1000" TOKEN "\"}", th_worker_text(W));
    th_expect_tx_fails(e, OWNER, "WorkerUnbond", "below the minimum stake",
                       "{\"pool\":\"1\",\"worker\":\"%s\",\"amount\":\"1\"}", th_worker_text(W));
    /* a score below minWorkerScore (50) never computes, whatever its stake */
    th_register_worker(e, 1, OWNER, 49);
    th_expect_tx_ok(e, OWNER, "WorkerAdd", "{\"pool\":\"1\",\"worker\":\"%s\"}", th_worker_text(1));
    th_expect_tx_fails(e, OWNER, "WorkerBond", "below the 50 a worker needs",
                       "{\"pool\":\"1\",\"worker\":\"%s\",\"amount\":\"5000" TOKEN "\"}", th_worker_text(1));
}

Test(engine_workers, too_much_stake_for_the_value_promise_cap_cannot_start)
{
    th_register_worker(e, W, OWNER, 100);
    th_expect_tx_ok(e, OWNER, "WorkerAdd", "{\"pool\":\"1\",\"worker\":\"%s\"}", th_worker_text(W));
    /* Ve = 1.3 * (S + 0.3 * 100) > 30000 once S > 23046.15 tokens */
    th_expect_tx_fails(e, OWNER, "WorkerBond", "above vMax",
                       "{\"pool\":\"1\",\"worker\":\"%s\",\"amount\":\"23047" TOKEN "\"}", th_worker_text(W));
    th_expect_tx_ok(e, OWNER, "WorkerBond", "{\"pool\":\"1\",\"worker\":\"%s\",\"amount\":\"23046" TOKEN "\"}", th_worker_text(W));
}

Test(engine_workers, a_heartbeat_answers_the_current_challenge_once_and_counts_at_most_1_2_p)
{
    uint8_t addr[20], wrong[32];
    eng_challenge c;
    th_outcome o = { 0 };
    computing_worker();
    th_worker_address(addr, W);
    cr_assert_eq(eng_challenge_now(e, addr, &c), ST_OK, "challenge");
    memcpy(wrong, c.challenge, 32);
    wrong[0] ^= 1;
    heartbeat_with(W, c.epoch, c.slot, wrong, 100000, &o);
    th_expect_failed(&o, "not this slot's challenge", "a wrong challenge");
    heartbeat_with(W, c.epoch, c.slot + 1, c.challenge, 100000, &o);
    th_expect_failed(&o, "but the current slot is", "another slot");
    /* claims 1,000,000 iterations per second (P 1000): counts as floor(1.2 * 100) = 120 */
    heartbeat_with(W, c.epoch, c.slot, c.challenge, 1000000, &o);
    th_expect_ok(&o, "the slot's heartbeat");
    cr_assert(strstr(o.events, "\"performance\":120") && strstr(o.events, "\"measured\":1000"), "events: %s", o.events);
    cr_assert_eq(recorded(W, c.epoch, c.slot), 120, "recorded at the cap");
    heartbeat_with(W, c.epoch, c.slot, c.challenge, 100000, &o);
    th_expect_failed(&o, "already answered", "a second answer");
    /* the next slot has another challenge; a slower sample counts as measured */
    th_advance(e, SLOT);
    eng_challenge next;
    cr_assert_eq(eng_challenge_now(e, addr, &next), ST_OK, "next challenge");
    cr_assert_eq(next.slot, c.slot + 1, "the next slot");
    cr_assert(memcmp(next.challenge, c.challenge, 32) != 0, "a new challenge");
    answer(W, 90000);
    cr_assert_eq(recorded(W, next.epoch, next.slot), 90, "as measured");
    th_outcome_clear(&o);
}

Test(engine_workers, a_challenge_depends_on_the_block_before_the_slot_and_not_on_blocks_within_it)
{
    uint8_t addr[20];
    eng_challenge before, after;
    computing_worker();
    th_worker_address(addr, W);
    th_advance(e, SLOT);
    cr_assert_eq(eng_challenge_now(e, addr, &before), ST_OK, "challenge");
    /* blocks made within the slot do not move it */
    th_expect_tx_ok(e, OWNER, "Transfer", "{\"to\":\"%s\",\"amount\":\"1\"}", th_dev_text(OTHER));
    th_expect_tx_ok(e, OWNER, "Transfer", "{\"to\":\"%s\",\"amount\":\"1\"}", th_dev_text(OTHER));
    cr_assert_eq(eng_challenge_now(e, addr, &after), ST_OK, "challenge");
    cr_assert_arr_eq(before.challenge, after.challenge, 32, "the same challenge all through the slot");
    answer(W, 100000);
}

Test(engine_workers, a_worker_without_stake_does_not_heartbeat)
{
    uint8_t addr[20];
    eng_challenge c;
    th_outcome o = { 0 };
    th_register_worker(e, W, OWNER, 100);
    th_worker_address(addr, W);
    cr_assert_eq(eng_challenge_now(e, addr, &c), ST_OK, "challenge");
    heartbeat_with(W, c.epoch, c.slot, c.challenge, 100000, &o);
    th_expect_failed(&o, "not a worker in a pool", "not in a pool");
    th_expect_tx_ok(e, OWNER, "WorkerAdd", "{\"pool\":\"1\",\"worker\":\"%s\"}", th_worker_text(W));
    heartbeat_with(W, c.epoch, c.slot, c.challenge, 100000, &o);
    th_expect_failed(&o, "no stake bonded", "not bonded");
    th_outcome_clear(&o);
}

Test(engine_workers, remove_frees_a_worker_once_nothing_is_bonded_or_unbonding)
{
    computing_worker();
    th_expect_tx_fails(e, OWNER, "WorkerRemove", "still has stake bonded", "{\"pool\":\"1\",\"worker\":\"%s\"}", th_worker_text(W));
    th_expect_tx_ok(e, OWNER, "WorkerUnbond", "{\"pool\":\"1\",\"worker\":\"%s\",\"amount\":\"1000" TOKEN "\"}", th_worker_text(W));
    th_expect_tx_fails(e, OWNER, "WorkerRemove", "is released at", "{\"pool\":\"1\",\"worker\":\"%s\"}", th_worker_text(W));
    th_advance(e, 1000);
    th_expect_tx_ok(e, OWNER, "WorkerRemove", "{\"pool\":\"1\",\"worker\":\"%s\"}", th_worker_text(W));
    /* free again: it may register for another operator */
    th_register_worker(e, W, OTHER, 100);
}

Test(engine_workers, a_worker_key_that_holds_nothing_is_admitted_once_registered)
{
    uint8_t addr[20];
    uint64_t nonce = 1;
    eng_challenge c;
    th_outcome o = { 0 };
    th_worker_address(addr, W);
    cr_assert_eq(eng_challenge_now(e, addr, &c), ST_OK, "challenge");
    /* its first transaction is not a WorkerRegister: refused when its block reaches it, not stored */
    heartbeat_with(W, c.epoch, c.slot, c.challenge, 100000, &o);
    cr_assert_eq(o.status, ST_INSUFFICIENT, "unregistered and without funds: refused, not stored: %s", o.errmsg);
    cr_assert(strstr(o.errmsg, "holds nothing in the ledger") != NULL, "says why: %s", o.errmsg);
    cr_assert_eq(ledger_nonce_get(eng_ledger(e), addr, &nonce), ST_OK, "nonce");
    cr_assert_eq(nonce, 0, "a refused transaction consumes no nonce");
    /* its WorkerRegister is taken without standing; then the worker computes and heartbeats */
    computing_worker();
    answer(W, 100000);
    th_expect_balance(e, ledger_user_account(LEDGER_FREE, addr), "0", "the worker key still holds nothing");
    th_outcome_clear(&o);
}

/* How many slots worker addr answered in epoch, and the sum of what they counted for. */
static void summary(const uint8_t addr[20], uint64_t epoch, uint64_t *slots, uint64_t *sum)
{
    uint32_t scores[EPOCH / SLOT];
    cr_assert_eq(ledger_heartbeat_slots(eng_ledger(e), addr, epoch, scores, EPOCH / SLOT), ST_OK, "slots");
    *slots = *sum = 0;
    for (unsigned i = 0; i < EPOCH / SLOT; i++) {
        *slots += scores[i] > 0;
        *sum += scores[i];
    }
}

Test(engine_workers, heartbeats_count_slots_of_the_current_epoch_only)
{
    uint8_t addr[20];
    uint64_t slots = 0, sum = 0;
    eng_challenge first, second, old;
    th_outcome o = { 0 };
    computing_worker();
    th_worker_address(addr, W);
    cr_assert_eq(eng_challenge_now(e, addr, &first), ST_OK, "challenge");
    answer(W, 100000);
    th_advance(e, SLOT);
    cr_assert_eq(eng_challenge_now(e, addr, &second), ST_OK, "challenge");
    cr_assert_eq(second.epoch, first.epoch, "the next slot of the same epoch");
    answer(W, 110000);
    summary(addr, first.epoch, &slots, &sum);
    cr_assert_eq(slots, 2, "two slots of six");
    cr_assert_eq(sum, 210, "scores summed (100 + 110)");
    /* a later epoch refuses an answer for the last one, and takes its own */
    th_advance(e, EPOCH);
    old = second;
    heartbeat_with(W, old.epoch, old.slot, old.challenge, 100000, &o);
    th_expect_failed(&o, "but the current slot is", "a stale epoch");
    answer(W, 70000);
    cr_assert_eq(eng_challenge_now(e, addr, &old), ST_OK, "challenge");
    cr_assert_eq(old.epoch, first.epoch + 1, "the next epoch");
    summary(addr, old.epoch, &slots, &sum);
    cr_assert(slots == 1 && sum == 70, "one slot of the new epoch: %llu slots, sum %llu", (unsigned long long)slots,
              (unsigned long long)sum);
    summary(addr, first.epoch, &slots, &sum);
    cr_assert(slots == 2 && sum == 210, "the last epoch's slots stay put");
    th_outcome_clear(&o);
}

Test(engine_workers, a_heartbeat_without_a_measured_sample_is_refused_before_queuing)
{
    uint8_t key[32], addr[20];
    char hex[67];
    uint64_t nonce = 0, after = 0;
    eng_challenge c;
    th_outcome o = { 0 };
    computing_worker();
    th_worker_key(key, W);
    th_worker_address(addr, W);
    cr_assert_eq(eng_challenge_now(e, addr, &c), ST_OK, "challenge");
    cr_assert_eq(ledger_nonce_get(eng_ledger(e), addr, &nonce), ST_OK, "nonce");
    ledger_hex_encode(hex, c.challenge, 32);
    static const char *const samples[][2] = { { "0", "1000000" }, { "100000", "0" } };
    for (size_t i = 0; i < 2; i++) {
        int rc = th_submit_signed(e, key, nonce, "WorkerHeartbeat", &o,
                                  "{\"epoch\":\"%llu\",\"slot\":\"%llu\",\"challenge\":\"%s\",\"iterations\":\"%s\","
                                  "\"micros\":\"%s\"}",
                                  (unsigned long long)c.epoch, (unsigned long long)c.slot, hex, samples[i][0], samples[i][1]);
        cr_assert_eq(rc, ST_INVALID, "sample %zu is refused before queuing", i);
        cr_assert(strstr(th_last_err(), "greater than zero"), "says why: %s", th_last_err());
    }
    th_block(e);
    cr_assert_eq(ledger_nonce_get(eng_ledger(e), addr, &after), ST_OK, "nonce");
    cr_assert_eq(after, nonce, "nothing was queued, so no nonce was consumed");
    answer(W, 100000);   /* and the slot is still open */
    th_outcome_clear(&o);
}
