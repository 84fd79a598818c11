/* SPDX-License-Identifier: MIT */
/* test_staking.c: stake pools driven through the engine without a socket, on a small genesis of
 * our own so every number is hand-computed and exact: share pricing on contribution, rewards with
 * commission and the carried accumulator remainder, claims, the withdraw queue (immediate, queued,
 * partial, FIFO, merge), forced unbonding after the grace period (and across more than one page of
 * overdue pools), slashing of bonded and unbonding stake and while a request waits, the commission
 * notice, refused and failed inputs, and voting power at past heights. Workers are th_worker keys
 * registered to serve the pool owner before they are added, and the minimum stake and score are off
 * (pool mechanics, not worker economics: test_workers.c). Every block is followed by ledger_audit. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "engine/engine.h"
#include "engine/genesis.h"
#include "engine/staking.h"
#include "ledger/amount.h"
#include "ledger/hex.h"
#include "ledger/sig.h"
#include "ledger/stakes.h"
#include "tests/lib/engine_fixture.h"
#include "tests/lib/testhelp.h"

/* The chain's parameters; the tests below are computed from these. */
#define G_TIME 1000000u            /* genesis time, seconds */
#define EPOCH 1000u                /* epochSecs */
#define NOTICE 100u                /* commissionNoticeSecs */
#define UNBONDING 50u              /* unbondingSecs */
#define GRACE 300u                 /* withdrawGraceSecs */
#define USERS 6                    /* dev accounts 0..5, 1,000,000 base units each */

static eng *e;

/* Worker slots 0..WORKERS-1 are th_worker keys, registered (WorkerRegister) before they are added:
 * slot i is the key whose address is the i-th smallest of th_worker_address(0..WORKERS-1), so
 * worker i sorts before worker i+1 as the tests below rely on (forced unbonding goes in address
 * order). */
#define WORKERS 4
#define WORKER_SCORE 100            /* each worker's benchmark score P */

static unsigned worker_key_index(unsigned slot)
{
    uint8_t addr[WORKERS][20];
    unsigned order[WORKERS];
    cr_assert_lt(slot, WORKERS, "worker slot %u", slot);
    for (unsigned i = 0; i < WORKERS; i++) {
        th_worker_address(addr[i], i);
        order[i] = i;
    }
    for (unsigned i = 1; i < WORKERS; i++)   /* insertion sort by address */
        for (unsigned j = i; j > 0 && memcmp(addr[order[j - 1]], addr[order[j]], 20) > 0; j--) {
            unsigned t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    return order[slot];
}

static void worker_address(uint8_t addr[20], unsigned i)
{
    th_worker_address(addr, worker_key_index(i));
}

static const char *worker_text(unsigned i)
{
    static char text[WORKERS][LEDGER_ADDR_STRLEN];
    uint8_t addr[20];
    worker_address(addr, i);
    ledger_addr_format(text[i], addr);
    return text[i];
}

/* Worker i's address in lower-case hex, not its EIP-55 text (input accepts any case). */
static const char *worker_lower(unsigned i)
{
    static char text[WORKERS][LEDGER_ADDR_STRLEN];
    uint8_t addr[20];
    worker_address(addr, i);
    ledger_hex_encode(text[i], addr, 20);
    return text[i];
}

/* Registers worker i to serve dev account op (a block of its own). */
static void register_worker(unsigned i, unsigned op)
{
    th_register_worker(e, worker_key_index(i), op, WORKER_SCORE);
}

static char *make_genesis(void)
{
    char accounts[1024] = "";
    size_t off = 0;
    for (unsigned i = 0; i < USERS; i++)
        off += (size_t)snprintf(accounts + off, sizeof accounts - off, "%s{\"address\":\"%s\",\"balance\":\"1000000\"}",
                                i ? "," : "", th_dev_text(i));
    char *text = malloc(2048);
    cr_assert_not_null(text, "genesis buffer");
    /* These tests are about pool mechanics, not worker economics: with minStakePerRootScore 0 and
     * minWorkerScore 0, bonds of a few base units stay legal. */
    snprintf(text, 2048,
             "{\"chainId\":4242,\"time\":%u,\"treasury\":\"1000000000\",\"accounts\":[%s],\"epochSecs\":%u,"
             "\"staking\":{\"minContribution\":\"10\",\"minWithdrawal\":\"5\",\"commissionNoticeSecs\":%u,"
             "\"maxWorkersPerPool\":2,\"unbondingSecs\":%u,\"withdrawGraceSecs\":%u,"
             "\"minStakePerRootScore\":\"0\",\"minWorkerScore\":0,\"slashDeferSecs\":0},%s}",
             G_TIME, accounts, EPOCH, NOTICE, UNBONDING, GRACE, th_worker_genesis());
    return text;
}

static void setup(void)
{
    char *genesis = make_genesis();
    th_open_engine(&e, "staking", genesis);
    free(genesis);
}

static void teardown(void)
{
    th_close_engine(e);
}

TestSuite(engine_staking, .init = setup, .fini = teardown);

/* ---- driving the engine ---- */

/* Whether the last advance made a block: eng_advance_time does the work the new time makes due. */
static bool advance_made_block;

static void advance(uint64_t secs)
{
    advance_made_block = th_advance(e, secs);
}

/* A tiny mint in a block of its own: a block with no staking call. */
static void mint_block(void)
{
    th_outcome o = { 0 };
    th_system_tx(e, "Mint", &o, "{\"to\":\"%s\",\"amount\":\"1\"}", th_dev_text(5));
    th_block(e);
    cr_assert(o.success, "mint applied");
    free(o.events);
}

/* A flush with nothing queued: it makes a block, holding only the Tick, exactly when time-driven
 * work (stake to release, an epoch to close) is due. Returns whether it made one. */
/* Whether due work made a block by itself: at the last advance, or now with nothing queued. */
static bool idle_block(void)
{
    bool made = advance_made_block;
    advance_made_block = false;
    uint64_t before = th_head_height(e);
    th_block(e);
    return made || th_head_height(e) == before + 1;
}

/* ---- reading the state ---- */

static void expect_pool_account(int kind, uint64_t pool, const char *expected)
{
    char what[64];
    snprintf(what, sizeof what, "%s account of pool %llu", kind == LEDGER_POOL_STAKE ? "stake" : "rewards",
             (unsigned long long)pool);
    th_expect_balance(e, ledger_pool_account(kind, pool), expected, what);
}

/* The pool row's stake, shares, bonded and unbonding, and its stake account equal to stake. */
static void expect_pool(uint64_t id, const char *stake, const char *shares, const char *bonded, const char *unbonding)
{
    ledger_pool p;
    ledger_pool_init(&p);
    cr_assert_eq(ledger_pool_get(eng_ledger(e), id, &p), ST_OK, "pool %llu", (unsigned long long)id);
    th_expect_mpz(p.stake, stake, "pool stake");
    th_expect_mpz(p.shares, shares, "pool shares");
    th_expect_mpz(p.bonded, bonded, "pool bonded");
    th_expect_mpz(p.unbonding, unbonding, "pool unbonding");
    ledger_pool_clear(&p);
    expect_pool_account(LEDGER_POOL_STAKE, id, stake);
}

static void expect_acc(uint64_t id, const char *acc, const char *rem)
{
    ledger_pool p;
    ledger_pool_init(&p);
    cr_assert_eq(ledger_pool_get(eng_ledger(e), id, &p), ST_OK, "pool");
    th_expect_mpz(p.acc, acc, "accumulator");
    th_expect_mpz(p.acc_rem, rem, "carried remainder");
    ledger_pool_clear(&p);
}

static void expect_shares(uint64_t pool, unsigned who, const char *shares)
{
    uint8_t addr[20];
    th_dev_bytes(addr, who);
    ledger_stake s;
    ledger_stake_init(&s);
    cr_assert_eq(ledger_stake_get(eng_ledger(e), pool, addr, &s), ST_OK, "stake");
    char what[64];
    snprintf(what, sizeof what, "shares of dev %u in pool %llu", who, (unsigned long long)pool);
    th_expect_mpz(s.shares, shares, what);
    ledger_stake_clear(&s);
}

/* The pending reward of dev account who in pool. */
static void pending_of(uint64_t pool, unsigned who, mpz_t out)
{
    uint8_t addr[20];
    th_dev_bytes(addr, who);
    ledger_pool p;
    ledger_stake s;
    ledger_pool_init(&p);
    ledger_stake_init(&s);
    cr_assert_eq(ledger_pool_get(eng_ledger(e), pool, &p), ST_OK, "pool");
    cr_assert_eq(ledger_stake_get(eng_ledger(e), pool, addr, &s), ST_OK, "stake");
    eng_staking_pending(out, &p, &s);
    ledger_stake_clear(&s);
    ledger_pool_clear(&p);
}

static void expect_pending(uint64_t pool, unsigned who, const char *pending)
{
    mpz_t v;
    mpz_init(v);
    pending_of(pool, who, v);
    char what[64];
    snprintf(what, sizeof what, "pending reward of dev %u in pool %llu", who, (unsigned long long)pool);
    th_expect_mpz(v, pending, what);
    mpz_clear(v);
}

/* The withdraw queue of pool, head first: n requests of dev accounts who[i] for shares[i]. */
static void expect_queue(uint64_t pool, unsigned n, const unsigned *who, const char *const *shares)
{
    ledger_withdrawal w[8];
    for (unsigned i = 0; i < 8; i++)
        ledger_withdrawal_init(&w[i]);
    unsigned got = 0;
    bool more = false;
    cr_assert_eq(ledger_withdrawal_list(eng_ledger(e), pool, 0, 8, w, &got, &more), ST_OK, "queue");
    cr_assert_eq(got, n, "queue of pool %llu holds %u requests, not %u", (unsigned long long)pool, n, got);
    for (unsigned i = 0; i < n; i++) {
        uint8_t addr[20];
        th_dev_bytes(addr, who[i]);
        cr_assert(memcmp(w[i].address, addr, 20) == 0, "request %u is dev %u's", i, who[i]);
        th_expect_mpz(w[i].shares, shares[i], "queued shares");
    }
    for (unsigned i = 0; i < 8; i++)
        ledger_withdrawal_clear(&w[i]);
}

/* The value of field key of the nth (0-based) event of type in a JSON array of events, as text
 * (numbers as integers, booleans as true/false); fails the test if absent. */
static void expect_event(const char *events, const char *type, int nth, const char *key, const char *value)
{
    cJSON *arr = cJSON_Parse(events ? events : "");
    cr_assert_not_null(arr, "events parse: %s", events ? events : "(null)");
    const cJSON *ev;
    const cJSON *found = NULL;
    int seen = 0;
    cJSON_ArrayForEach(ev, arr) {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(ev, "type");
        if (cJSON_IsString(t) && strcmp(t->valuestring, type) == 0 && seen++ == nth) {
            found = ev;
            break;
        }
    }
    cr_assert_not_null(found, "event %s #%d in %s", type, nth, events);
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(found, key);
    cr_assert_not_null(f, "event %s has %s: %s", type, key, events);
    char text[128];
    if (cJSON_IsString(f))
        snprintf(text, sizeof text, "%s", f->valuestring);
    else if (cJSON_IsNumber(f))
        snprintf(text, sizeof text, "%.0f", f->valuedouble);
    else
        snprintf(text, sizeof text, "%s", cJSON_IsTrue(f) ? "true" : "false");
    cr_assert_str_eq(text, value, "event %s #%d field %s in %s", type, nth, key, events);
    cJSON_Delete(arr);
}

/* The nth WithdrawalPaid event of events pays dev staker (-1: not checked) shares for amount and
 * leaves sharesStillQueued queued (each NULL: not checked). */
static void expect_paid(const char *events, int nth, int staker, const char *shares, const char *amount,
                        const char *still_queued)
{
    if (staker >= 0)
        expect_event(events, "WithdrawalPaid", nth, "staker", th_dev_text((unsigned)staker));
    if (shares)
        expect_event(events, "WithdrawalPaid", nth, "shares", shares);
    if (amount)
        expect_event(events, "WithdrawalPaid", nth, "amount", amount);
    if (still_queued)
        expect_event(events, "WithdrawalPaid", nth, "sharesStillQueued", still_queued);
}

/* The WorkerSlashed event of events burns amount, fromBonded of it from the bonded stake and
 * fromUnbonding from the stake still unbonding (each NULL: not checked). */
static void expect_slashed(const char *events, const char *amount, const char *from_bonded, const char *from_unbonding)
{
    if (amount)
        expect_event(events, "WorkerSlashed", 0, "amount", amount);
    if (from_bonded)
        expect_event(events, "WorkerSlashed", 0, "fromBonded", from_bonded);
    if (from_unbonding)
        expect_event(events, "WorkerSlashed", 0, "fromUnbonding", from_unbonding);
}

static int count_events(const char *events, const char *type)
{
    cJSON *arr = cJSON_Parse(events);
    cr_assert_not_null(arr, "events parse");
    const cJSON *ev;
    int n = 0;
    cJSON_ArrayForEach(ev, arr) {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(ev, "type");
        n += cJSON_IsString(t) && strcmp(t->valuestring, type) == 0;
    }
    cJSON_Delete(arr);
    return n;
}

/* The events of the Tick at the start of block height (caller frees), or NULL if it has none. */
static char *tick_events(uint64_t height)
{
    ledger_txrec *recs = NULL;
    size_t n = 0;
    cr_assert_eq(ledger_txrec_list_block(eng_ledger(e), height, &recs, &n), ST_OK, "block transactions");
    char *events = NULL;
    if (n > 0 && strcmp(recs[0].type, "Tick") == 0) {
        cr_assert(recs[0].success, "the tick succeeded: %s", recs[0].error ? recs[0].error : "");
        events = strdup(recs[0].events);
    }
    for (size_t i = 0; i < n; i++)
        ledger_txrec_clear(&recs[i]);
    free(recs);
    return events;
}

/* Advances the clock by secs, after which what (due work, an epoch close) must make a block by
 * itself, starting with a tick. Returns the tick's events (caller frees). */
static char *tick_after(uint64_t secs, const char *what)
{
    advance(secs);
    cr_assert(idle_block(), "%s makes a block by itself", what);
    char *ev = tick_events(th_head_height(e));
    cr_assert_not_null(ev, "%s: the block starts with a tick", what);
    return ev;
}

static void expect_power(unsigned who, uint64_t height, const char *expected)
{
    uint8_t addr[20];
    th_dev_bytes(addr, who);
    mpz_t v;
    mpz_init(v);
    cr_assert_eq(ledger_stake_value_at(eng_ledger(e), addr, height, v), ST_OK, "power");
    char what[64];
    snprintf(what, sizeof what, "voting power of dev %u at height %llu", who, (unsigned long long)height);
    th_expect_mpz(v, expected, what);
    mpz_clear(v);
}

/* Pool 1 owned by dev 0 with commission ppm and capacity, and workers (0..n-1) registered to serve
 * dev 0 (a block each), then the pool created and the workers added in reverse address order, all
 * in one block. */
static void make_pool(unsigned ppm, const char *capacity, unsigned workers)
{
    th_outcome c = { 0 }, w[2] = { 0 };
    for (unsigned i = 0; i < workers; i++)
        register_worker(i, 0);
    th_queue(e, 0, "PoolCreate", &c, "{\"commissionPpm\":\"%u\",\"capacity\":\"%s\"}", ppm, capacity);
    for (unsigned i = workers; i-- > 0;)
        th_queue(e, 0, "WorkerAdd", &w[i], "{\"pool\":\"1\",\"worker\":\"%s\"}", worker_text(i));
    th_block(e);
    th_expect_ok(&c, "PoolCreate");
    expect_event(c.events, "PoolCreated", 0, "pool", "1");
    expect_event(c.events, "PoolCreated", 0, "owner", th_dev_text(0));
    for (unsigned i = 0; i < workers; i++) {
        th_expect_ok(&w[i], "WorkerAdd");
        free(w[i].events);
    }
    free(c.events);
}

/* One signed transaction in a block of its own that must succeed; returns its events (caller frees). */
PRINTF_LIKE(3, 4)
static char *run_ok(unsigned who, const char *type, const char *fmt, ...)
{
    TH_FORMAT(text, 512, fmt);
    th_outcome o = { 0 };
    th_queue(e, who, type, &o, "%s", text);
    th_block(e);
    th_expect_ok(&o, type);
    return o.events;
}

PRINTF_LIKE(2, 3)
static char *system_ok(const char *type, const char *fmt, ...)
{
    TH_FORMAT(text, 512, fmt);
    th_outcome o = { 0 };
    th_system_tx(e, type, &o, "%s", text);
    th_block(e);
    th_expect_ok(&o, type);
    return o.events;
}

/* Drops the events of a run_ok or system_ok whose success is all that matters there. */
#define OK(call) free(call)

/* Pool 1 (no commission, one worker) where dev 1 and dev 2 stake 100 each and all 200 are bonded
 * to worker 0: nothing is free to pay a withdrawal. */
static void make_fully_bonded_pool(void)
{
    make_pool(0, "1000000", 1);
    OK(run_ok(1, "Contribute", "{\"pool\":\"1\",\"amount\":\"100\"}"));
    OK(run_ok(2, "Contribute", "{\"pool\":\"1\",\"amount\":\"100\"}"));
    OK(run_ok(0, "WorkerBond", "{\"pool\":\"1\",\"worker\":\"%s\",\"amount\":\"200\"}", worker_text(0)));
}

/* Dev 0 unbonds amount of worker 0's stake in pool 1; once the unbonding period has passed, the
 * release makes a block by itself. Returns its tick's events (caller frees). */
static char *unbond_and_release(const char *amount)
{
    OK(run_ok(0, "WorkerUnbond", "{\"pool\":\"1\",\"worker\":\"%s\",\"amount\":\"%s\"}", worker_text(0), amount));
    return tick_after(UNBONDING, "the release");
}

/* ---- contributions ---- */

Test(engine_staking, contribution_into_an_empty_pool_mints_one_share_per_base_unit)
{
    make_pool(0, "1000000", 0);
    expect_pool(1, "0", "0", "0", "0");
    char *ev = run_ok(1, "Contribute", "{\"pool\":\"1\",\"amount\":\"100\"}");
    expect_event(ev, "Contributed", 0, "staker", th_dev_text(1));
    expect_event(ev, "Contributed", 0, "amount", "100");
    expect_event(ev, "Contributed", 0, "shares", "100");
    free(ev);
    th_expect_user(e, LEDGER_FREE, 1, "999900");
    expect_shares(1, 1, "100");
    expect_pool(1, "100", "100", "0", "0");
    expect_pending(1, 1, "0");
}

Test(engine_staking, a_reward_leaves_the_price_alone_and_a_slash_lowers_it)
{
    make_pool(0, "1000000", 1);
    OK(run_ok(1, "Contribute", "{\"pool\":\"1\",\"amount\":\"100\"}"));
    OK(run_ok(0, "WorkerBond", "{\"pool\":\"1\",\"worker\":\"%s\",\"amount\":\"60\"}", worker_text(0)));
    /* rewards are not compounded: T stays 100, so 50 buys floor(50*100/100) = 50 shares */
    OK(system_ok("PoolReward", "{\"pool\":1,\"amount\":\"30\"}"));
    expect_pool(1, "100", "100", "60", "0");
    expect_pending(1, 1, "30");
    char *ev = run_ok(2, "Contribute", "{\"pool\":\"1\",\"amount\":\"50\"}");
    expect_event(ev, "Contributed", 0, "shares", "50");
    free(ev);
    expect_pending(1, 1, "30");
    expect_pending(1, 2, "0");
    expect_pool(1, "150", "150", "60", "0");
    /* slash half of the 60 bonded: T = 120, S = 150; 70 buys floor(70*150/120) = floor(87.5) = 87 */
    ev = system_ok("WorkerSlash", "{\"worker\":\"%s\",\"ppm\":500000}", worker_text(0));
    expect_event(ev, "WorkerSlashed", 0, "worker", worker_text(0));
    expect_event(ev, "WorkerSlashed", 0, "amount", "30");
    free(ev);
    expect_pool(1, "120", "150", "30", "0");
    ev = run_ok(3, "Contribute", "{\"pool\":\"1\",\"amount\":\"70\"}");
    expect_event(ev, "Contributed", 0, "shares", "87");
    free(ev);
    expect_pool(1, "190", "237", "30", "0");
    expect_shares(1, 1, "100");
    expect_shares(1, 2, "50");
    expect_shares(1, 3, "87");
    th_expect_user(e, LEDGER_FREE, 3, "999930");
    /* the slash burned 30: supply fell by it, the stakers lost it pro rata through the price */
    mpz_t v, shares;
    mpz_inits(v, shares, NULL);
    ledger_pool p;
    ledger_pool_init(&p);
    cr_assert_eq(ledger_pool_get(eng_ledger(e), 1, &p), ST_OK, "pool");
    mpz_set_ui(shares, 100);
    eng_staking_value(v, shares, &p);
    th_expect_mpz(v, "80", "100 shares are worth floor(100*190/237) = 80");
    ledger_pool_clear(&p);
    mpz_clears(v, shares, NULL);
}

/* ---- rewards ---- */

Test(engine_staking, reward_remainder_is_carried_until_it_is_paid_out)
{
    make_pool(100000, "1000000", 0);  /* 10% commission */
    th_outcome c[3] = { 0 };
    for (unsigned i = 0; i < 3; i++)
        th_queue(e, 1 + i, "Contribute", &c[i], "{\"pool\":\"1\",\"amount\":\"10\"}");
    th_block(e);
    for (unsigned i = 0; i < 3; i++) {
        th_expect_ok(&c[i], "Contribute");
        free(c[i].events);
    }
    expect_pool(1, "30", "30", "0", "0");
    /* 11 paid: commission floor(11*0.1) = 1, 10 for S = 30 shares: 10*10^78 = 30*q + 10 */
    char *ev = system_ok("PoolReward", "{\"pool\":1,\"amount\":\"11\"}");
    expect_event(ev, "PoolRewarded", 0, "amount", "11");
    expect_event(ev, "PoolRewarded", 0, "commission", "1");
    free(ev);
    expect_acc(1, "333333333333333333333333333333333333333333333333333333333333333333333333333333", "10");
    for (unsigned i = 1; i <= 3; i++)
        expect_pending(1, i, "3");     /* floor(10/3) each; 1 stays in the rewards account */
    expect_pool_account(LEDGER_POOL_REWARDS, 1, "10");
    th_expect_user(e, LEDGER_CLAIMABLE, 0, "1");
    /* again: (10*10^78 + 10) / 30 has the same quotient and remainder 20 */
    OK(system_ok("PoolReward", "{\"pool\":1,\"amount\":\"11\"}"));
    expect_acc(1, "666666666666666666666666666666666666666666666666666666666666666666666666666666", "20");
    for (unsigned i = 1; i <= 3; i++)
        expect_pending(1, i, "6");
    expect_pool_account(LEDGER_POOL_REWARDS, 1, "20");
    /* the third: (10*10^78 + 20) / 30 = q + 1 with nothing left, so acc = 10^78 exactly */
    OK(system_ok("PoolReward", "{\"pool\":1,\"amount\":\"11\"}"));
    expect_acc(1, "1000000000000000000000000000000000000000000000000000000000000000000000000000000", "0");
    for (unsigned i = 1; i <= 3; i++)
        expect_pending(1, i, "10");    /* 30 paid in for the stakers, 30 pending: no dust */
    expect_pool_account(LEDGER_POOL_REWARDS, 1, "30");
    th_expect_user(e, LEDGER_CLAIMABLE, 0, "3");
    ledger_account treasury = ledger_system_account(LEDGER_TREASURY);
    th_expect_balance(e, treasury, "999999967", "the treasury paid 33");
}

Test(engine_staking, reward_is_shared_pro_rata_and_rounded_down)
{
    make_pool(0, "1000000", 0);
    OK(run_ok(1, "Contribute", "{\"pool\":\"1\",\"amount\":\"10\"}"));
    OK(run_ok(2, "Contribute", "{\"pool\":\"1\",\"amount\":\"20\"}"));
    OK(run_ok(3, "Contribute", "{\"pool\":\"1\",\"amount\":\"40\"}"));
    /* 10 over 70 shares: acc = floor(10^79/70), remainder 10; 1.43, 2.86, 5.71 rounded down */
    OK(system_ok("PoolReward", "{\"pool\":1,\"amount\":\"10\"}"));
    expect_acc(1, "142857142857142857142857142857142857142857142857142857142857142857142857142857", "10");
    expect_pending(1, 1, "1");
    expect_pending(1, 2, "2");
    expect_pending(1, 3, "5");
    expect_pool_account(LEDGER_POOL_REWARDS, 1, "10");
}

Test(engine_staking, a_pool_without_stakers_pays_the_whole_reward_to_its_owner)
{
    make_pool(100000, "1000000", 0);
    char *ev = system_ok("PoolReward", "{\"pool\":1,\"amount\":\"7\"}");
    expect_event(ev, "PoolRewarded", 0, "commission", "7");
    free(ev);
    th_expect_user(e, LEDGER_CLAIMABLE, 0, "7");
    expect_pool_account(LEDGER_POOL_REWARDS, 1, "0");
    expect_acc(1, "0", "0");
}

/* ---- claims ---- */

Test(engine_staking, claim_moves_pending_and_claimable_to_free)
{
    make_pool(0, "1000000", 0);
    OK(run_ok(1, "Contribute", "{\"pool\":\"1\",\"amount\":\"10\"}"));
    OK(system_ok("PoolReward", "{\"pool\":1,\"amount\":\"7\"}"));
    expect_pending(1, 1, "7");
    /* a second contribution settles the 7 into claimable first */
    OK(run_ok(1, "Contribute", "{\"pool\":\"1\",\"amount\":\"10\"}"));
    expect_pending(1, 1, "0");
    th_expect_user(e, LEDGER_CLAIMABLE, 1, "7");
    expect_shares(1, 1, "20");
    OK(system_ok("PoolReward", "{\"pool\":1,\"amount\":\"4\"}"));
    expect_pending(1, 1, "4");
    th_expect_user(e, LEDGER_FREE, 1, "999980");
    char *ev = run_ok(1, "Claim", "{\"pool\":\"1\"}");
    expect_event(ev, "Claimed", 0, "staker", th_dev_text(1));
    expect_event(ev, "Claimed", 0, "amount", "11");
    free(ev);
    th_expect_user(e, LEDGER_FREE, 1, "999991");
    th_expect_user(e, LEDGER_CLAIMABLE, 1, "0");
    expect_pending(1, 1, "0");
    expect_pool_account(LEDGER_POOL_REWARDS, 1, "0");
}

Test(engine_staking, claim_with_nothing_fails_and_consumes_only_the_nonce)
{
    make_pool(0, "1000000", 0);
    OK(run_ok(1, "Contribute", "{\"pool\":\"1\",\"amount\":\"10\"}"));
    th_outcome staker = { 0 }, stranger = { 0 };
    th_queue(e, 1, "Claim", &staker, "{\"pool\":\"1\"}");
    th_queue(e, 2, "Claim", &stranger, "{\"pool\":\"1\"}");
    th_block(e);
    th_expect_failed(&staker, "nothing to claim", "a staker with no reward");
    th_expect_failed(&stranger, "nothing to claim", "someone with no stake");
    cr_assert_eq(th_nonce_of(e, 1), 2, "the staker's nonce is consumed");
    cr_assert_eq(th_nonce_of(e, 2), 1, "the stranger's nonce is consumed");
    th_expect_user(e, LEDGER_FREE, 1, "999990");
    th_expect_user(e, LEDGER_FREE, 2, "1000000");
    expect_shares(1, 1, "10");
    free(staker.events);
    free(stranger.events);
}

/* ---- withdrawals ---- */

Test(engine_staking, withdrawal_is_paid_at_once_from_free_stake)
{
    make_pool(0, "1000000", 0);
    OK(run_ok(1, "Contribute", "{\"pool\":\"1\",\"amount\":\"100\"}"));
    char *ev = run_ok(1, "Withdraw", "{\"pool\":\"1\",\"shares\":\"40\"}");
    expect_event(ev, "WithdrawalQueued", 0, "shares", "40");
    expect_paid(ev, 0, 1, "40", "40", "0");
    free(ev);
    expect_queue(1, 0, NULL, NULL);
    expect_shares(1, 1, "60");
    expect_pool(1, "60", "60", "0", "0");
    th_expect_user(e, LEDGER_FREE, 1, "999940");
    /* the whole position may be below the minimum withdrawal; it is paid and the row is gone */
    OK(run_ok(1, "Withdraw", "{\"pool\":\"1\",\"shares\":\"60\"}"));
    expect_shares(1, 1, "0");
    expect_pool(1, "0", "0", "0", "0");
    th_expect_user(e, LEDGER_FREE, 1, "1000000");
}

Test(engine_staking, queued_withdrawals_are_paid_first_in_first_out_from_released_stake)
{
    make_fully_bonded_pool();
    th_outcome w1 = { 0 }, w2 = { 0 };
    th_queue(e, 1, "Withdraw", &w1, "{\"pool\":\"1\",\"shares\":\"60\"}");
    th_queue(e, 2, "Withdraw", &w2, "{\"pool\":\"1\",\"shares\":\"50\"}");
    th_block(e);
    th_expect_ok(&w1, "withdraw 1");
    th_expect_ok(&w2, "withdraw 2");
    cr_assert_eq(count_events(w1.events, "WithdrawalPaid"), 0, "nothing free: queued");
    expect_event(w2.events, "WithdrawalQueued", 0, "sharesQueued", "50");
    free(w1.events);
    free(w2.events);
    expect_queue(1, 2, (unsigned[]){ 1, 2 }, (const char *[]){ "60", "50" });
    th_expect_user(e, LEDGER_FREE, 1, "999900");

    char *ev = run_ok(0, "WorkerUnbond", "{\"pool\":\"1\",\"worker\":\"%s\",\"amount\":\"80\"}", worker_text(0));
    expect_event(ev, "WorkerUnbonded", 0, "amount", "80");
    expect_event(ev, "WorkerUnbonded", 0, "forced", "false");
    char release[24];
    snprintf(release, sizeof release, "%u", G_TIME + UNBONDING);
    expect_event(ev, "WorkerUnbonded", 0, "releaseAt", release);
    free(ev);
    expect_pool(1, "200", "200", "120", "80");
    advance(UNBONDING - 1);
    cr_assert(!idle_block(), "nothing is due a second early: no block");
    expect_queue(1, 2, (unsigned[]){ 1, 2 }, (const char *[]){ "60", "50" });
    /* released: 80 free pays dev 1's 60 in full, then 20 of dev 2's 50 */
    ev = tick_after(1, "due work");
    expect_event(ev, "StakeReleased", 0, "amount", "80");
    expect_paid(ev, 0, 1, NULL, "60", "0");
    expect_paid(ev, 1, 2, "20", "20", "30");
    free(ev);
    expect_queue(1, 1, (unsigned[]){ 2 }, (const char *[]){ "30" });
    expect_pool(1, "120", "120", "120", "0");
    th_expect_user(e, LEDGER_FREE, 1, "999960");
    th_expect_user(e, LEDGER_FREE, 2, "999920");
    expect_shares(1, 1, "40");
    expect_shares(1, 2, "80");

    /* dev 1 queues behind dev 2; dev 2 then adds to its request, which moves it to the back */
    OK(run_ok(1, "Withdraw", "{\"pool\":\"1\",\"shares\":\"10\"}"));
    expect_queue(1, 2, (unsigned[]){ 2, 1 }, (const char *[]){ "30", "10" });
    ev = run_ok(2, "Withdraw", "{\"pool\":\"1\",\"shares\":\"20\"}");
    expect_event(ev, "WithdrawalQueued", 0, "shares", "20");
    expect_event(ev, "WithdrawalQueued", 0, "sharesQueued", "50");
    free(ev);
    expect_queue(1, 2, (unsigned[]){ 1, 2 }, (const char *[]){ "10", "50" });
    /* 30 released: dev 1's 10 first, then 20 of dev 2's 50 */
    ev = unbond_and_release("30");
    expect_paid(ev, 0, 1, NULL, "10", NULL);
    expect_paid(ev, 1, 2, NULL, "20", "30");
    free(ev);
    expect_queue(1, 1, (unsigned[]){ 2 }, (const char *[]){ "30" });
    expect_pool(1, "90", "90", "90", "0");
    expect_shares(1, 1, "30");
    expect_shares(1, 2, "60");
    th_expect_user(e, LEDGER_FREE, 1, "999970");
    th_expect_user(e, LEDGER_FREE, 2, "999940");
}

Test(engine_staking, a_contribution_pays_the_queue_from_its_own_stake)
{
    make_pool(0, "1000000", 1);
    OK(run_ok(1, "Contribute", "{\"pool\":\"1\",\"amount\":\"100\"}"));
    OK(run_ok(0, "WorkerBond", "{\"pool\":\"1\",\"worker\":\"%s\",\"amount\":\"100\"}", worker_text(0)));
    OK(run_ok(1, "Withdraw", "{\"pool\":\"1\",\"shares\":\"30\"}"));
    char *ev = run_ok(2, "Contribute", "{\"pool\":\"1\",\"amount\":\"50\"}");
    expect_event(ev, "Contributed", 0, "shares", "50");
    expect_paid(ev, 0, 1, NULL, "30", NULL);
    free(ev);
    expect_queue(1, 0, NULL, NULL);
    expect_pool(1, "120", "120", "100", "0");
    th_expect_user(e, LEDGER_FREE, 1, "999930");
}

Test(engine_staking, overdue_queue_forces_the_workers_to_unbond_at_an_epoch_close)
{
    make_pool(0, "1000000", 2);
    OK(run_ok(1, "Contribute", "{\"pool\":\"1\",\"amount\":\"100\"}"));
    th_outcome b0 = { 0 }, b1 = { 0 };
    th_queue(e, 0, "WorkerBond", &b1, "{\"pool\":\"1\",\"worker\":\"%s\",\"amount\":\"60\"}", worker_text(1));
    th_queue(e, 0, "WorkerBond", &b0, "{\"pool\":\"1\",\"worker\":\"%s\",\"amount\":\"40\"}", worker_text(0));
    th_block(e);
    th_expect_ok(&b0, "bond 0");
    th_expect_ok(&b1, "bond 1");
    free(b0.events);
    free(b1.events);
    advance(900);
    OK(run_ok(1, "Withdraw", "{\"pool\":\"1\",\"shares\":\"70\"}"));
    expect_queue(1, 1, (unsigned[]){ 1 }, (const char *[]){ "70" });

    /* epoch 0 closes at +1000; the request is 100 s old, within the 300 s grace: nothing forced */
    char *ev = tick_after(100, "an epoch close");
    expect_event(ev, "EpochClosed", 0, "epoch", "0");
    cr_assert_eq(count_events(ev, "WorkerUnbonded"), 0, "not overdue yet: %s", ev);
    free(ev);
    expect_pool(1, "100", "100", "100", "0");

    /* a later block inside epoch 1 has no tick although the request is now overdue */
    advance(300);
    mint_block();
    cr_assert_null(tick_events(th_head_height(e)), "no tick between epoch closes");

    /* epoch 1 closes at +2000: 70 needed, taken from the workers in address order */
    ev = tick_after(700, "due work");
    char release[24];
    snprintf(release, sizeof release, "%u", G_TIME + 2 * EPOCH + UNBONDING);
    expect_event(ev, "WorkerUnbonded", 0, "worker", worker_text(0));
    expect_event(ev, "WorkerUnbonded", 0, "amount", "40");
    expect_event(ev, "WorkerUnbonded", 0, "forced", "true");
    expect_event(ev, "WorkerUnbonded", 0, "releaseAt", release);
    expect_event(ev, "WorkerUnbonded", 1, "worker", worker_text(1));
    expect_event(ev, "WorkerUnbonded", 1, "amount", "30");
    expect_event(ev, "WorkerUnbonded", 1, "forced", "true");
    expect_event(ev, "EpochClosed", 0, "epoch", "1");
    free(ev);
    expect_pool(1, "100", "100", "30", "70");

    /* released after the cooldown: the queue is paid with no call at all (a Tick-only block) */
    ev = tick_after(UNBONDING, "due work");
    cr_assert_eq(count_events(ev, "StakeReleased"), 2, "both unbondings released");
    expect_paid(ev, 0, -1, NULL, "40", "30");
    expect_paid(ev, 1, -1, NULL, "30", "0");
    free(ev);
    expect_queue(1, 0, NULL, NULL);
    expect_pool(1, "30", "30", "30", "0");
    expect_shares(1, 1, "30");
    th_expect_user(e, LEDGER_FREE, 1, "999970");
}

Test(engine_staking, a_request_filled_after_a_slash_is_paid_at_the_lower_price)
{
    make_fully_bonded_pool();
    OK(run_ok(1, "Withdraw", "{\"pool\":\"1\",\"shares\":\"100\"}"));
    /* floor(200 * 0.333333) = 66 burned: T = 134, S = 200 */
    char *ev = system_ok("WorkerSlash", "{\"worker\":\"%s\",\"ppm\":333333}", worker_text(0));
    expect_slashed(ev, "66", NULL, NULL);
    free(ev);
    expect_pool(1, "134", "200", "134", "0");
    expect_queue(1, 1, (unsigned[]){ 1 }, (const char *[]){ "100" });
    /* 50 released: the request is worth floor(100*134/200) = 67 > 50, so it buys
     * floor(50*200/134) = 74 shares for floor(74*134/200) = 49 */
    ev = unbond_and_release("50");
    expect_paid(ev, 0, -1, "74", "49", "26");
    free(ev);
    expect_pool(1, "85", "126", "84", "0");
    expect_queue(1, 1, (unsigned[]){ 1 }, (const char *[]){ "26" });
    /* the rest: 26 shares at floor(26*85/126) = 17 */
    ev = unbond_and_release("84");
    expect_paid(ev, 0, -1, "26", "17", NULL);
    free(ev);
    expect_queue(1, 0, NULL, NULL);
    expect_pool(1, "68", "100", "0", "0");
    expect_shares(1, 1, "0");
    expect_shares(1, 2, "100");
    /* 49 + 17 = 66 for 100 shares; the 1 lost to rounding stays with dev 2's 100 shares */
    th_expect_user(e, LEDGER_FREE, 1, "999966");
}

Test(engine_staking, a_slash_also_burns_the_workers_stake_still_unbonding)
{
    make_pool(0, "1000000", 1);
    OK(run_ok(1, "Contribute", "{\"pool\":\"1\",\"amount\":\"100\"}"));
    OK(run_ok(0, "WorkerBond", "{\"pool\":\"1\",\"worker\":\"%s\",\"amount\":\"100\"}", worker_text(0)));
    OK(run_ok(0, "WorkerUnbond", "{\"pool\":\"1\",\"worker\":\"%s\",\"amount\":\"40\"}", worker_text(0)));
    advance(10);
    OK(run_ok(0, "WorkerUnbond", "{\"pool\":\"1\",\"worker\":\"%s\",\"amount\":\"21\"}", worker_text(0)));
    expect_pool(1, "100", "100", "39", "61");
    /* 25%, each part floored: bonded floor(9.75) = 9, unbonding floor(10) + floor(5.25) = 15 */
    char *ev = system_ok("WorkerSlash", "{\"worker\":\"%s\",\"ppm\":250000}", worker_text(0));
    expect_slashed(ev, "24", "9", "15");
    free(ev);
    expect_pool(1, "76", "100", "30", "46");
    ledger_unbonding u[4];
    for (unsigned i = 0; i < 4; i++)
        ledger_unbonding_init(&u[i]);
    unsigned n = 0;
    cr_assert_eq(ledger_unbonding_of_pool(eng_ledger(e), 1, u, 4, &n), ST_OK, "unbondings");
    cr_assert_eq(n, 2, "both entries still cooling down");
    th_expect_mpz(u[0].amount, "30", "the first entry after the slash");
    th_expect_mpz(u[1].amount, "16", "the second entry after the slash");
    cr_assert(u[0].release_at == G_TIME + UNBONDING && u[1].release_at == G_TIME + 10 + UNBONDING, "release times kept");
    /* all of it: the entries burn to zero and are gone, so nothing is released later */
    ev = system_ok("WorkerSlash", "{\"worker\":\"%s\",\"ppm\":1000000}", worker_text(0));
    expect_slashed(ev, "76", NULL, "46");
    free(ev);
    expect_pool(1, "0", "100", "0", "0");
    cr_assert_eq(ledger_unbonding_of_pool(eng_ledger(e), 1, u, 4, &n), ST_OK, "unbondings");
    cr_assert_eq(n, 0, "no entry left");
    for (unsigned i = 0; i < 4; i++)
        ledger_unbonding_clear(&u[i]);
    advance(UNBONDING + 10);
    cr_assert(!idle_block(), "nothing is left to release");
    th_expect_balance(e, ledger_system_account(LEDGER_TREASURY), "1000000000", "rewards untouched");
}

/* Stake split into more unbonding entries than one read of them (256) is slashed all the same:
 * the owner cannot shield a large unbonding behind 256 dust entries. */
Test(engine_staking, a_slash_reaches_every_unbonding_entry_of_the_worker)
{
    enum { DUST = 256 };
    static th_outcome o[DUST + 1];
    make_pool(0, "1000000", 1);
    OK(run_ok(1, "Contribute", "{\"pool\":\"1\",\"amount\":\"1000\"}"));
    OK(run_ok(0, "WorkerBond", "{\"pool\":\"1\",\"worker\":\"%s\",\"amount\":\"1000\"}", worker_text(0)));
    for (unsigned i = 0; i <= DUST; i++)
        th_queue(e, 0, "WorkerUnbond", &o[i], "{\"pool\":\"1\",\"worker\":\"%s\",\"amount\":\"%s\"}", worker_text(0),
              i < DUST ? "1" : "100");
    th_block(e);
    for (unsigned i = 0; i <= DUST; i++) {
        th_expect_ok(&o[i], "unbond");
        free(o[i].events);
    }
    expect_pool(1, "1000", "1000", "644", "356");
    char *ev = system_ok("WorkerSlash", "{\"worker\":\"%s\",\"ppm\":1000000}", worker_text(0));
    expect_slashed(ev, "1000", "644", "356");
    free(ev);
    expect_pool(1, "0", "1000", "0", "0");
}

/* More overdue pools than one page of the tick's query (256): every one is forced. */
Test(engine_staking, every_overdue_pool_is_forced_beyond_the_first_page)
{
    enum { POOLS = 260 };
    static th_outcome o[POOLS];
    char worker[POOLS][LEDGER_ADDR_STRLEN];
    /* pool i's worker is th_worker_key(i), registered to serve dev 0; all register in one block */
    for (unsigned i = 0; i < POOLS; i++) {
        uint8_t key[32];
        char quote[2 * 172 + 3];
        th_worker_key(key, i);
        th_worker_quote_hex(quote, key, eng_chain_id(e), 1, NULL);
        cr_assert_eq(th_submit_signed(e, key, 0, "WorkerRegister", &o[i],
                                      "{\"quote\":\"%s\",\"operator\":\"%s\",\"iterations\":\"%u\",\"micros\":\"1000000\"}",
                                      quote, th_dev_text(0), WORKER_SCORE * 1000u),
                     ST_OK, "WorkerRegister %u queued: %s", i, th_last_err());
        snprintf(worker[i], sizeof worker[i], "%s", th_worker_text(i));
    }
    th_block(e);
    for (unsigned i = 0; i < POOLS; i++) {
        th_expect_ok(&o[i], "WorkerRegister");
        free(o[i].events);
    }
    for (unsigned step = 0; step < 5; step++) {
        memset(o, 0, sizeof o);
        for (unsigned i = 0; i < POOLS; i++) {
            unsigned pool = i + 1;
            switch (step) {
            case 0: th_queue(e, 0, "PoolCreate", &o[i], "{\"commissionPpm\":\"0\",\"capacity\":\"1000\"}"); break;
            case 1: th_queue(e, 0, "WorkerAdd", &o[i], "{\"pool\":\"%u\",\"worker\":\"%s\"}", pool, worker[i]); break;
            case 2: th_queue(e, 1, "Contribute", &o[i], "{\"pool\":\"%u\",\"amount\":\"10\"}", pool); break;
            case 3:
                th_queue(e, 0, "WorkerBond", &o[i], "{\"pool\":\"%u\",\"worker\":\"%s\",\"amount\":\"10\"}", pool, worker[i]);
                break;
            default: th_queue(e, 1, "Withdraw", &o[i], "{\"pool\":\"%u\",\"shares\":\"10\"}", pool); break;
            }
        }
        th_block(e);
        for (unsigned i = 0; i < POOLS; i++) {
            th_expect_ok(&o[i], "setup");
            free(o[i].events);
        }
    }
    expect_queue(POOLS, 1, (unsigned[]){ 1 }, (const char *[]){ "10" });
    char *ev = tick_after(EPOCH, "an epoch close");
    cr_assert_eq(count_events(ev, "WorkerUnbonded"), POOLS, "every overdue pool forced");
    free(ev);
    expect_pool(1, "10", "10", "0", "10");
    expect_pool(POOLS, "10", "10", "0", "10");
}

/* ---- commission ---- */

Test(engine_staking, a_commission_raise_waits_for_its_notice_and_a_cut_is_immediate)
{
    make_pool(100000, "1000000", 0);
    OK(run_ok(1, "Contribute", "{\"pool\":\"1\",\"amount\":\"100\"}"));
    char *ev = run_ok(0, "PoolSetCommission", "{\"pool\":\"1\",\"commissionPpm\":\"300000\"}");
    char at[24];
    snprintf(at, sizeof at, "%u", G_TIME + NOTICE);
    expect_event(ev, "CommissionChanged", 0, "commissionPpm", "300000");
    expect_event(ev, "CommissionChanged", 0, "effectiveAt", at);
    free(ev);
    ledger_pool p;
    ledger_pool_init(&p);
    cr_assert_eq(ledger_pool_get(eng_ledger(e), 1, &p), ST_OK, "pool");
    cr_assert(p.commission_pending && p.pending_commission_ppm == 300000, "the raise is pending");
    cr_assert_eq(eng_staking_commission_at(&p, G_TIME + NOTICE - 1), 100000, "old rate before the notice");
    cr_assert_eq(eng_staking_commission_at(&p, G_TIME + NOTICE), 300000, "new rate once it has passed");
    ledger_pool_clear(&p);

    advance(NOTICE - 1);
    ev = system_ok("PoolReward", "{\"pool\":1,\"amount\":\"1000\"}");
    expect_event(ev, "PoolRewarded", 0, "commission", "100");
    free(ev);
    th_expect_user(e, LEDGER_CLAIMABLE, 0, "100");
    expect_pending(1, 1, "900");
    advance(1);
    ev = system_ok("PoolReward", "{\"pool\":1,\"amount\":\"1000\"}");
    expect_event(ev, "PoolRewarded", 0, "commission", "300");
    free(ev);
    th_expect_user(e, LEDGER_CLAIMABLE, 0, "400");
    expect_pending(1, 1, "1600");

    /* a cut applies in the same block; it also cancels a raise still waiting */
    OK(run_ok(0, "PoolSetCommission", "{\"pool\":\"1\",\"commissionPpm\":\"900000\"}"));
    th_outcome cut = { 0 }, reward = { 0 };
    th_queue(e, 0, "PoolSetCommission", &cut, "{\"pool\":\"1\",\"commissionPpm\":\"50000\"}");
    th_system_tx(e, "PoolReward", &reward, "{\"pool\":1,\"amount\":\"1000\"}");
    th_block(e);
    th_expect_ok(&cut, "cut");
    snprintf(at, sizeof at, "%llu", (unsigned long long)eng_now(e));
    expect_event(cut.events, "CommissionChanged", 0, "effectiveAt", at);
    th_expect_ok(&reward, "reward");
    expect_event(reward.events, "PoolRewarded", 0, "commission", "50");
    free(cut.events);
    free(reward.events);
    advance(NOTICE);
    ev = system_ok("PoolReward", "{\"pool\":1,\"amount\":\"1000\"}");
    expect_event(ev, "PoolRewarded", 0, "commission", "50");
    free(ev);
    th_expect_user(e, LEDGER_CLAIMABLE, 0, "500");
    expect_pending(1, 1, "3500");
}

/* ---- refused and failed input ---- */

Test(engine_staking, stateless_checks_refuse_before_queuing_and_consume_nothing)
{
    make_pool(0, "1000000", 1);
    uint64_t height = th_head_height(e), nonce = th_nonce_of(e, 1);
    th_outcome o = { 0 };
    static const struct {
        unsigned who;
        const char *type, *msg, *reason;
    } cases[] = {
        { 1, "Contribute", "{\"pool\":\"1\",\"amount\":\"0\"}", "message.amount: must be greater than zero" },
        { 1, "Contribute", "{\"pool\":\"1\",\"amount\":\"9\"}", "message.amount: below the minimum contribution of 10" },
        { 1, "Withdraw", "{\"pool\":\"1\",\"shares\":\"0\"}", "message.shares: must be greater than zero" },
        { 0, "WorkerBond", "{\"pool\":\"1\",\"worker\":\"0xa011111111111111111111111111111111111111\",\"amount\":\"0\"}",
          "message.amount: must be greater than zero" },
        { 0, "PoolCreate", "{\"commissionPpm\":\"1000001\",\"capacity\":\"10\"}", "message.commissionPpm: at most 1000000" },
        { 0, "PoolCreate", "{\"commissionPpm\":\"0\",\"capacity\":\"0\"}", "message.capacity: must be greater than zero" },
        { 0, "PoolSetCommission", "{\"pool\":\"1\",\"commissionPpm\":\"1000001\"}", "message.commissionPpm: at most 1000000" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cr_assert_eq(th_submit(e, cases[i].who, cases[i].type, &o, "%s", cases[i].msg), ST_INVALID, "case %zu refused", i);
        cr_assert(strstr(th_last_err(), cases[i].reason) != NULL, "case %zu: \"%s\" in \"%s\"", i, cases[i].reason, th_last_err());
    }
    cr_assert_eq(eng_flush(e), ST_OK, "flush");
    cr_assert_eq(o.calls, 0, "nothing was queued");
    cr_assert_eq(th_head_height(e), height, "no block");
    cr_assert_eq(th_nonce_of(e, 1), nonce, "no nonce consumed");
    th_expect_user(e, LEDGER_FREE, 1, "1000000");
}

/* One transaction that must fail in its block with reason, consuming only its signer's nonce. In
 * msg, "@" stands for the address of worker slot `worker` (written in lower case). */
struct failing {
    unsigned who;
    const char *type;
    const char *msg;
    unsigned worker;
    const char *reason;
};

/* msg with each "@" replaced by worker i's lower-case address. */
static void fill_worker(char *out, size_t cap, const char *msg, unsigned i)
{
    size_t n = 0;
    for (const char *c = msg; *c; c++) {
        const char *piece = *c == '@' ? worker_lower(i) : (char[]){ *c, 0 };
        size_t len = strlen(piece);
        cr_assert_lt(n + len, cap, "message fits");
        memcpy(out + n, piece, len);
        n += len;
    }
    out[n] = 0;
}

Test(engine_staking, failed_transactions_consume_their_nonce_and_change_nothing_else)
{
    /* pool 1 (dev 0, capacity 150, workers 0 and 1 = the cap of 2) and pool 2 (dev 3, worker 2);
     * worker 3 registered to serve dev 0 but never added, so only the cap refuses it */
    make_pool(0, "150", 2);
    register_worker(2, 3);
    register_worker(3, 0);
    OK(run_ok(3, "PoolCreate", "{\"commissionPpm\":\"0\",\"capacity\":\"1000\"}"));
    OK(run_ok(3, "WorkerAdd", "{\"pool\":\"2\",\"worker\":\"%s\"}", worker_text(2)));
    OK(run_ok(1, "Contribute", "{\"pool\":\"1\",\"amount\":\"100\"}"));
    OK(run_ok(0, "WorkerBond", "{\"pool\":\"1\",\"worker\":\"%s\",\"amount\":\"30\"}", worker_text(0)));
    char owner[128];
    snprintf(owner, sizeof owner, "only the owner of pool 1 (%s) may do this", th_dev_text(0));
    /* workers 0, 2 and 3 (3 was never added); any case of hex is accepted on input */
    static const struct failing cases[] = {
        { 1, "Withdraw", "{\"pool\":\"1\",\"shares\":\"101\"}", 0, "only 100 shares can be withdrawn (100 held, 0 already queued)" },
        { 1, "Withdraw", "{\"pool\":\"1\",\"shares\":\"4\"}", 0, "a withdrawal worth 4 is below the minimum of 5" },
        { 2, "Withdraw", "{\"pool\":\"1\",\"shares\":\"10\"}", 0, "only 0 shares can be withdrawn" },
        { 1, "Contribute", "{\"pool\":\"9\",\"amount\":\"10\"}", 0, "no pool 9" },
        { 2, "Contribute", "{\"pool\":\"1\",\"amount\":\"60\"}", 0, "pool 1 takes at most 50 more (capacity 150)" },
        { 1, "Claim", "{\"pool\":\"9\"}", 0, "no pool 9" },
        { 1, "WorkerAdd", "{\"pool\":\"1\",\"worker\":\"@\"}", 3, NULL },
        { 1, "PoolSetCommission", "{\"pool\":\"1\",\"commissionPpm\":\"1\"}", 0, NULL },
        { 0, "WorkerBond", "{\"pool\":\"1\",\"worker\":\"@\",\"amount\":\"10\"}", 3, "is not in pool 1" },
        { 0, "WorkerAdd", "{\"pool\":\"1\",\"worker\":\"@\"}", 2, "the worker already belongs to pool 2" },
        { 0, "WorkerAdd", "{\"pool\":\"1\",\"worker\":\"@\"}", 3, "pool 1 has 2 workers, the most a pool may have" },
        { 0, "WorkerBond", "{\"pool\":\"1\",\"worker\":\"@\",\"amount\":\"71\"}", 0, "the pool has 70 free stake" },
        { 0, "WorkerUnbond", "{\"pool\":\"1\",\"worker\":\"@\",\"amount\":\"31\"}", 0, "the worker has 30 bonded" },
        { 3, "WorkerBond", "{\"pool\":\"2\",\"worker\":\"@\",\"amount\":\"10\"}", 2, "the pool has 0 free stake" },
    };
    enum { N_CASES = sizeof cases / sizeof cases[0] };
    th_outcome o[N_CASES] = { 0 };
    uint64_t nonces[USERS];
    for (unsigned i = 0; i < USERS; i++)
        nonces[i] = th_nonce_of(e, i);
    unsigned used[USERS] = { 0 };
    for (unsigned i = 0; i < N_CASES; i++) {
        char msg[256];
        fill_worker(msg, sizeof msg, cases[i].msg, cases[i].worker);
        th_queue(e, cases[i].who, cases[i].type, &o[i], "%s", msg);
        used[cases[i].who]++;
    }
    th_outcome slash = { 0 }, reward = { 0 };
    th_system_tx(e, "WorkerSlash", &slash, "{\"worker\":\"%s\",\"ppm\":1000}", worker_lower(3));
    th_system_tx(e, "PoolReward", &reward, "{\"pool\":9,\"amount\":\"5\"}");
    th_block(e);
    for (unsigned i = 0; i < N_CASES; i++)
        th_expect_failed(&o[i], cases[i].reason ? cases[i].reason : owner, cases[i].type);
    th_expect_failed(&slash, "no such worker", "slash of an unknown worker");
    th_expect_failed(&reward, "no pool 9", "reward to an unknown pool");
    for (unsigned i = 0; i < USERS; i++)
        cr_assert_eq(th_nonce_of(e, i), nonces[i] + used[i], "dev %u consumed one nonce per failed transaction", i);
    th_expect_user(e, LEDGER_FREE, 1, "999900");
    th_expect_user(e, LEDGER_FREE, 2, "1000000");
    expect_shares(1, 1, "100");
    expect_pool(1, "100", "100", "30", "0");
    expect_pool(2, "0", "0", "0", "0");
    expect_queue(1, 0, NULL, NULL);
    th_expect_balance(e, ledger_system_account(LEDGER_TREASURY), "1000000000", "the treasury paid nothing");
    ledger_pool p;
    ledger_pool_init(&p);
    cr_assert_eq(ledger_pool_get(eng_ledger(e), 1, &p), ST_OK, "pool");
    cr_assert(p.commission_ppm == 0 && !p.commission_pending, "commission unchanged");
    ledger_pool_clear(&p);
    unsigned count = 0;
    cr_assert_eq(ledger_worker_count(eng_ledger(e), 1, &count), ST_OK, "workers");
    cr_assert_eq(count, 2, "no worker added");
    for (unsigned i = 0; i < N_CASES; i++)
        free(o[i].events);
    free(slash.events);
    free(reward.events);
}

/* ---- voting power ---- */

Test(engine_staking, voting_power_at_past_heights_is_exact_and_stays_put)
{
    make_pool(0, "1000000", 1);
    OK(run_ok(3, "PoolCreate", "{\"commissionPpm\":\"0\",\"capacity\":\"1000\"}"));
    uint64_t h0 = th_head_height(e);
    OK(run_ok(1, "Contribute", "{\"pool\":\"1\",\"amount\":\"100\"}"));
    uint64_t h1 = th_head_height(e);
    OK(run_ok(2, "Contribute", "{\"pool\":\"1\",\"amount\":\"50\"}"));
    OK(system_ok("PoolReward", "{\"pool\":1,\"amount\":\"1000\"}"));
    uint64_t h2 = th_head_height(e);
    OK(run_ok(0, "WorkerBond", "{\"pool\":\"1\",\"worker\":\"%s\",\"amount\":\"100\"}", worker_text(0)));
    OK(system_ok("WorkerSlash", "{\"worker\":\"%s\",\"ppm\":500000}", worker_text(0)));
    uint64_t h3 = th_head_height(e);    /* T = 100, S = 150 */
    OK(run_ok(1, "Withdraw", "{\"pool\":\"1\",\"shares\":\"30\"}"));
    uint64_t h4 = th_head_height(e);    /* 30 shares paid floor(30*100/150) = 20: T = 80, S = 120 */
    OK(run_ok(1, "Contribute", "{\"pool\":\"2\",\"amount\":\"25\"}"));
    uint64_t h5 = th_head_height(e);
    /* later changes that must not move the past */
    OK(run_ok(2, "Withdraw", "{\"pool\":\"1\",\"shares\":\"50\"}"));
    OK(system_ok("WorkerSlash", "{\"worker\":\"%s\",\"ppm\":500000}", worker_text(0)));
    OK(run_ok(1, "Contribute", "{\"pool\":\"1\",\"amount\":\"500\"}"));

    expect_power(1, h0, "0");
    expect_power(1, h1, "100");
    expect_power(2, h1, "0");
    expect_power(1, h2, "100");
    expect_power(2, h2, "50");
    expect_power(1, h3, "66");      /* floor(100*100/150) */
    expect_power(2, h3, "33");      /* floor(50*100/150) */
    expect_power(1, h4, "46");      /* floor(70*80/120) */
    expect_power(2, h4, "33");      /* floor(50*80/120) */
    expect_power(1, h5, "71");      /* 46 + 25 in pool 2 */
    expect_power(4, h5, "0");
    expect_power(1, h1 - 1, "0");
    /* inside a block the pools' past checkpoints come from a memo: the same figures, whichever
     * height was asked before */
    ledger *l = eng_ledger(e);
    cr_assert_eq(ledger_block_begin(l, th_head_height(e) + 1), ST_OK, "a block");
    for (int round = 0; round < 2; round++) {
        expect_power(1, h3, "66");
        expect_power(2, h3, "33");
        expect_power(1, h4, "46");
        expect_power(2, h4, "33");
        expect_power(1, h5, "71");
        expect_power(1, h1, "100");
    }
    ledger_block_abort(l);
}

/* A chain whose genesis time is 0 and whose epochs are shorter than the grace period: a request
 * made at time 0 must not count as overdue before withdrawGraceSecs have passed. */
Test(engine_staking, a_request_not_older_than_the_grace_is_not_overdue_near_time_zero)
{
    th_close_engine(e);
    char text[2048];
    snprintf(text, sizeof text,
             "{\"chainId\":4243,\"time\":0,\"accounts\":[{\"address\":\"%s\",\"balance\":\"1000\"}],\"epochSecs\":100,"
             "\"staking\":{\"minContribution\":\"10\",\"minWithdrawal\":\"5\",\"unbondingSecs\":50,\"withdrawGraceSecs\":%u,"
             "\"minStakePerRootScore\":\"0\",\"minWorkerScore\":0,\"slashDeferSecs\":0},%s}",
             th_dev_text(0), GRACE, th_worker_genesis());
    th_open_engine(&e, "staking-zero", text);
    make_pool(0, "1000", 1);
    OK(run_ok(0, "Contribute", "{\"pool\":\"1\",\"amount\":\"100\"}"));
    OK(run_ok(0, "WorkerBond", "{\"pool\":\"1\",\"worker\":\"%s\",\"amount\":\"100\"}", worker_text(0)));
    OK(run_ok(0, "Withdraw", "{\"pool\":\"1\",\"shares\":\"50\"}"));
    cr_assert_eq(eng_now(e), 0, "the request was made at time 0");
    /* epoch 0 closes at t = 100: the request is 100 s old, well within the 300 s grace */
    char *ev = tick_after(100, "an epoch close");
    cr_assert_eq(count_events(ev, "WorkerUnbonded"), 0, "forced after 100 s of a %u s grace: %s", GRACE, ev);
    free(ev);
    expect_pool(1, "100", "100", "100", "0");
    /* at t = 300 it is exactly as old as the grace, not older: not yet overdue */
    ev = tick_after(200, "an epoch close");
    cr_assert_eq(count_events(ev, "WorkerUnbonded"), 0, "forced at exactly the %u s grace: %s", GRACE, ev);
    free(ev);
    /* at t = 400 it is older than the grace: forced */
    ev = tick_after(100, "due work");
    expect_event(ev, "WorkerUnbonded", 0, "forced", "true");
    expect_event(ev, "WorkerUnbonded", 0, "amount", "50");
    free(ev);
}

/* ---- deep slashes: share totals far past 10^36 ---- */

/* Bonds all of pool 1's free stake to worker 0 and slashes the worker by ppm. */
static void bond_all_and_slash(unsigned ppm)
{
    ledger_pool p;
    ledger_pool_init(&p);
    mpz_t free_stake;
    mpz_init(free_stake);
    cr_assert_eq(ledger_pool_get(eng_ledger(e), 1, &p), ST_OK, "pool");
    eng_staking_free(free_stake, &p);
    if (mpz_sgn(free_stake) > 0) {
        char text[LEDGER_AMOUNT_STRLEN];
        ledger_amount_format(text, free_stake);
        OK(run_ok(0, "WorkerBond", "{\"pool\":\"1\",\"worker\":\"%s\",\"amount\":\"%s\"}", worker_text(0), text));
    }
    OK(system_ok("WorkerSlash", "{\"worker\":\"%s\",\"ppm\":%u}", worker_text(0), ppm));
    mpz_clear(free_stake);
    ledger_pool_clear(&p);
}

static void read_pool_shares(mpz_t out)
{
    ledger_pool p;
    ledger_pool_init(&p);
    cr_assert_eq(ledger_pool_get(eng_ledger(e), 1, &p), ST_OK, "pool");
    mpz_set(out, p.shares);
    ledger_pool_clear(&p);
}

static void read_stake_shares(unsigned who, mpz_t out)
{
    uint8_t addr[20];
    th_dev_bytes(addr, who);
    ledger_stake s;
    ledger_stake_init(&s);
    cr_assert_eq(ledger_stake_get(eng_ledger(e), 1, addr, &s), ST_OK, "stake");
    mpz_set(out, s.shares);
    ledger_stake_clear(&s);
}

Test(engine_staking, a_contribution_whose_shares_would_pass_2_256_fails_and_the_node_goes_on)
{
    make_pool(0, "1000000000000000000000000000000000000000", 1);
    OK(system_ok("Mint", "{\"to\":\"%s\",\"amount\":\"1000000000000000000000000000000\"}", th_dev_text(2)));
    OK(run_ok(1, "Contribute", "{\"pool\":\"1\",\"amount\":\"10\"}"));
    mpz_t before, after;
    mpz_inits(before, after, NULL);
    /* each round prices a share a million times lower; 10^24 then buys ever more shares */
    th_outcome c = { 0 };
    unsigned round;
    for (round = 0; round < 30; round++) {
        bond_all_and_slash(999999);
        read_pool_shares(before);
        free(c.events);
        memset(&c, 0, sizeof c);
        th_queue(e, 2, "Contribute", &c, "{\"pool\":\"1\",\"amount\":\"1000000000000000000000000\"}");
        th_block(e);
        if (!c.success)
            break;
    }
    cr_assert_lt(round, 30, "the share total reaches 2^256 within 30 rounds");
    cr_assert(strstr(c.error, "share price has collapsed") && strstr(c.error, "2^256"), "reason: %s", c.error);
    read_pool_shares(after);
    cr_assert_eq(mpz_cmp(before, after), 0, "the failed contribution minted nothing");
    cr_assert_gt(mpz_sizeinbase(after, 10), 70, "the pool holds more than 10^69 shares");
    /* the node goes on: a smaller contribution still fits and is priced pro rata */
    OK(run_ok(3, "Contribute", "{\"pool\":\"1\",\"amount\":\"10\"}"));
    th_expect_audit_ok(e);
    free(c.events);
    mpz_clears(before, after, NULL);
}

/* A pool slashed to zero stake: its shares are worth nothing, so every request is paid at once at
 * zero (those queued when the slash lands included), its stakers can leave, and once the last one
 * has left it starts again at one base unit a share. */
Test(engine_staking, a_pool_slashed_to_zero_stake_pays_withdrawals_at_zero_and_starts_again_empty)
{
    make_pool(0, "1000000", 1);
    OK(run_ok(1, "Contribute", "{\"pool\":\"1\",\"amount\":\"100\"}"));
    OK(run_ok(2, "Contribute", "{\"pool\":\"1\",\"amount\":\"50\"}"));
    OK(run_ok(0, "WorkerBond", "{\"pool\":\"1\",\"worker\":\"%s\",\"amount\":\"150\"}", worker_text(0)));
    char *ev = run_ok(1, "Withdraw", "{\"pool\":\"1\",\"shares\":\"100\"}");
    expect_event(ev, "WithdrawalQueued", 0, "sharesQueued", "100");
    free(ev);
    expect_queue(1, 1, (unsigned[]){ 1 }, (const char *[]){ "100" });
    ev = system_ok("WorkerSlash", "{\"worker\":\"%s\",\"ppm\":1000000}", worker_text(0));
    expect_slashed(ev, "150", NULL, NULL);
    expect_paid(ev, 0, 1, "100", "0", NULL);
    free(ev);
    expect_queue(1, 0, NULL, NULL);
    expect_shares(1, 1, "0");
    expect_pool(1, "0", "50", "0", "0");
    th_outcome c = { 0 };
    th_queue(e, 3, "Contribute", &c, "{\"pool\":\"1\",\"amount\":\"10\"}");
    th_block(e);
    cr_assert(!c.success && strstr(c.error, "slashed to zero stake"), "refused while shares are left: %s", c.error);
    free(c.events);
    ev = run_ok(2, "Withdraw", "{\"pool\":\"1\",\"shares\":\"50\"}");
    expect_paid(ev, 0, -1, NULL, "0", NULL);
    free(ev);
    expect_pool(1, "0", "0", "0", "0");
    th_expect_user(e, LEDGER_FREE, 1, "999900");
    th_expect_user(e, LEDGER_FREE, 2, "999950");
    ev = run_ok(3, "Contribute", "{\"pool\":\"1\",\"amount\":\"10\"}");
    expect_event(ev, "Contributed", 0, "shares", "10");
    free(ev);
    th_expect_audit_ok(e);
}

/* What stakers 1 and 2 are owed for a reward of rest (no commission) by the shares they hold now:
 * rest * shares_i / S, added exactly to owed[]. */
static void owe(mpq_t owed[3], const char *rest)
{
    mpz_t total, held;
    mpz_inits(total, held, NULL);
    read_pool_shares(total);
    for (unsigned who = 1; who <= 2; who++) {
        read_stake_shares(who, held);
        mpq_t part;
        mpq_init(part);
        mpz_set_str(mpq_numref(part), rest, 10);
        mpz_mul(mpq_numref(part), mpq_numref(part), held);
        mpz_set(mpq_denref(part), total);
        mpq_canonicalize(part);
        mpq_add(owed[who], owed[who], part);
        mpq_clear(part);
    }
    mpz_clears(total, held, NULL);
}

/* What staker who has been credited: its claimable balance plus its pending reward in pool 1. */
static void credited(unsigned who, mpz_t out)
{
    pending_of(1, who, out);
    uint8_t addr[20];
    th_dev_bytes(addr, who);
    mpz_t claimable;
    mpz_init(claimable);
    ledger_account a = ledger_user_account(LEDGER_CLAIMABLE, addr);
    cr_assert_eq(ledger_balance(eng_ledger(e), &a, claimable), ST_OK, "claimable");
    mpz_add(out, out, claimable);
    mpz_clear(claimable);
}

/* owed - rewards <= credited <= owed + rewards: the documented bound of one base unit per reward. */
static void expect_within_bound(unsigned who, const mpq_t owed, unsigned rewards)
{
    mpz_t got, floor_owed, slack;
    mpz_inits(got, floor_owed, slack, NULL);
    credited(who, got);
    mpz_fdiv_q(floor_owed, mpq_numref(owed), mpq_denref(owed));
    mpz_sub(slack, got, floor_owed);
    char g[LEDGER_AMOUNT_STRLEN], o[LEDGER_AMOUNT_STRLEN];
    ledger_amount_format(g, got);
    ledger_amount_format(o, floor_owed);
    cr_assert(mpz_cmp_si(slack, (long)rewards) <= 0 && mpz_cmp_si(slack, -(long)rewards) >= 0,
              "dev %u was credited %s for an entitlement of %s (bound: %u units either way)", who, g, o, rewards);
    mpz_clears(got, floor_owed, slack, NULL);
}

Test(engine_staking, rewards_reach_the_shares_that_earned_them_however_far_the_price_fell)
{
    make_pool(0, "1000000000000000000000000000000000000000", 1);
    mpq_t owed[3];
    for (unsigned i = 0; i < 3; i++)
        mpq_init(owed[i]);
    unsigned rewards = 0;
    OK(run_ok(1, "Contribute", "{\"pool\":\"1\",\"amount\":\"10\"}"));
    /* ten rounds take the total past 10^50 shares, far beyond the old scale of 10^36 */
    for (unsigned round = 0; round < 10; round++) {
        bond_all_and_slash(999999);
        OK(run_ok(2, "Contribute", "{\"pool\":\"1\",\"amount\":\"100000\"}"));
        owe(owed, "1000");
        OK(system_ok("PoolReward", "{\"pool\":1,\"amount\":\"1000\"}"));
        rewards++;
    }
    mpz_t total;
    mpz_init(total);
    read_pool_shares(total);
    cr_assert_gt(mpz_sizeinbase(total, 10), 50, "more than 10^50 shares");
    owe(owed, "1000000");
    OK(system_ok("PoolReward", "{\"pool\":1,\"amount\":\"1000000\"}"));
    rewards++;
    expect_within_bound(1, owed[1], rewards);
    expect_within_bound(2, owed[2], rewards);
    /* staker 2 leaves: its queued shares are paid once the worker's stake is released */
    mpz_t held;
    mpz_init(held);
    read_stake_shares(2, held);
    char text[LEDGER_AMOUNT_STRLEN];
    ledger_amount_format(text, held);
    OK(run_ok(2, "Withdraw", "{\"pool\":\"1\",\"shares\":\"%s\"}", text));
    ledger_pool p;
    ledger_pool_init(&p);
    cr_assert_eq(ledger_pool_get(eng_ledger(e), 1, &p), ST_OK, "pool");
    ledger_amount_format(text, p.bonded);
    ledger_pool_clear(&p);
    OK(run_ok(0, "WorkerUnbond", "{\"pool\":\"1\",\"worker\":\"%s\",\"amount\":\"%s\"}", worker_text(0), text));
    advance(UNBONDING);
    read_stake_shares(2, held);
    cr_assert_eq(mpz_sgn(held), 0, "staker 2 holds no shares after the queue is paid");
    /* the next reward is staker 1's alone, and nothing more reaches it */
    owe(owed, "1000");
    OK(system_ok("PoolReward", "{\"pool\":1,\"amount\":\"1000\"}"));
    rewards++;
    expect_within_bound(1, owed[1], rewards);
    expect_within_bound(2, owed[2], rewards);
    th_expect_audit_ok(e);
    mpz_clears(total, held, NULL);
    for (unsigned i = 0; i < 3; i++)
        mpq_clear(owed[i]);
}

/* Blocks of transfers only between the due checks: the engine keeps "nothing due" in memory
 * (eng_tick_due) across them, and the release still comes in the first block at its time. */
static void transfer_block(void)
{
    th_outcome o = { 0 };
    th_queue(e, 3, "Transfer", &o, "{\"to\":\"%s\",\"amount\":\"1\"}", th_dev_text(4));
    uint64_t before = th_head_height(e);
    th_block(e);
    th_expect_ok(&o, "transfer");
    free(o.events);
    char *ev = tick_events(before + 1);
    cr_assert_null(ev, "a block of a transfer with nothing due has no tick: %s", ev ? ev : "");
}

Test(engine_staking, a_release_comes_at_its_time_after_blocks_of_transfers_only)
{
    make_fully_bonded_pool();
    OK(run_ok(0, "WorkerUnbond", "{\"pool\":\"1\",\"worker\":\"%s\",\"amount\":\"80\"}", worker_text(0)));
    transfer_block();
    advance(UNBONDING - 1);
    cr_assert(!idle_block(), "nothing is due a second early: no block");
    transfer_block();
    transfer_block();
    char *ev = tick_after(1, "the release after blocks of transfers");
    expect_event(ev, "StakeReleased", 0, "amount", "80");
    free(ev);
    transfer_block();
}

Test(engine_staking, a_release_comes_at_its_time_after_a_restart)
{
    make_fully_bonded_pool();
    OK(run_ok(0, "WorkerUnbond", "{\"pool\":\"1\",\"worker\":\"%s\",\"amount\":\"80\"}", worker_text(0)));
    advance(UNBONDING - 1);
    transfer_block();
    th_reopen_engine(&e);
    transfer_block();
    char *ev = tick_after(1, "the release after a restart");
    expect_event(ev, "StakeReleased", 0, "amount", "80");
    free(ev);
}

Test(engine_staking, an_unbonding_made_after_blocks_of_transfers_is_released_at_its_time)
{
    make_fully_bonded_pool();
    advance(UNBONDING);
    transfer_block(); /* nothing due at this time: kept in memory */
    OK(run_ok(0, "WorkerUnbond", "{\"pool\":\"1\",\"worker\":\"%s\",\"amount\":\"80\"}", worker_text(0)));
    transfer_block();
    advance(UNBONDING - 1);
    transfer_block();
    char *ev = tick_after(1, "a release made after the memo");
    expect_event(ev, "StakeReleased", 0, "amount", "80");
    free(ev);
}

Test(engine_staking, an_unbonding_due_at_once_is_released_in_the_next_block_of_transfers)
{
    /* with no unbonding period, the WorkerUnbond's block makes work due at the very time at which
     * a block of transfers found none: what was kept in memory is forgotten */
    char *genesis = make_genesis(), *period = strstr(genesis, "\"unbondingSecs\":50,");
    cr_assert_not_null(period, "the genesis names the unbonding period");
    memcpy(period, "\"unbondingSecs\":0, ", strlen("\"unbondingSecs\":50,"));
    th_new_chain(&e, genesis);
    free(genesis);
    make_fully_bonded_pool();
    transfer_block();
    OK(run_ok(0, "WorkerUnbond", "{\"pool\":\"1\",\"worker\":\"%s\",\"amount\":\"80\"}", worker_text(0)));
    th_outcome o = { 0 };
    th_queue(e, 3, "Transfer", &o, "{\"to\":\"%s\",\"amount\":\"1\"}", th_dev_text(4));
    th_block(e);
    th_expect_ok(&o, "transfer");
    free(o.events);
    char *ev = tick_events(th_head_height(e));
    cr_assert_not_null(ev, "the block of the transfer starts with a tick");
    expect_event(ev, "StakeReleased", 0, "amount", "80");
    free(ev);
}
