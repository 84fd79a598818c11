/* SPDX-License-Identifier: MIT */
/* test_staking.c: the staking_* methods of a real conclaved, after signed staking transactions:
 * the pool object (share price, commission raise and its notice), pool lists paged by id and by
 * stake, positions with values, rewards and queued withdrawals, delegators paged by address, the
 * withdraw queue, a worker's unbondings, and every bad param (-32602) or unknown pool (-32003).
 * The engine's rules themselves are tested in tests/engine; here the numbers only need to be
 * exact and to come out of the RPC layer as the API says. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine/genesis.h"
#include "tests/lib/node.h"
#include "tests/lib/testhelp.h"

#define TOKEN "000000000000000000" /* append to whole tokens for base units */
#define WEEK 604800                /* the dev chain's commission notice and unbonding period */

static th_node *const node = &th_suite_node;

TestSuite(integration_staking, .init = th_suite_node_start, .fini = th_suite_node_stop, .timeout = 60);

static bool is_null(const cJSON *obj, const char *key)
{
    return cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(obj, key));
}

static const cJSON *item(const cJSON *obj, const char *array, int i)
{
    const cJSON *v = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(obj, array), i);
    cr_assert_not_null(v, "%s[%d] in %s", array, i, cJSON_PrintUnformatted(obj));
    return v;
}

/* An admin call answered with a successful receipt. */
static void admin(const char *method, const char *params)
{
    cJSON *resp = th_call(node, method, params);
    const cJSON *r = th_result(resp);
    if (cJSON_GetObjectItemCaseSensitive(r, "status"))
        cr_assert_str_eq(th_str(r, "status"), "success", "%s: %s", method, cJSON_PrintUnformatted(resp));
    cJSON_Delete(resp);
}

/* Slashes dev account worker's stake by ppm (admin_slashWorker, an admin call). */
static void slash(unsigned worker, unsigned ppm)
{
    char params[96];
    snprintf(params, sizeof params, "{\"worker\":\"%s\",\"ppm\":%u}", th_addr(worker), ppm);
    admin("admin_slashWorker", params);
}

static void create_pool(unsigned owner, const char *commission, const char *capacity_tokens)
{
    th_send_done(node, owner, "PoolCreate", "{\"commissionPpm\":\"%s\",\"capacity\":\"%s" TOKEN "\"}", commission,
                 capacity_tokens);
}

static void contribute(unsigned who, unsigned pool, const char *tokens)
{
    th_send_done(node, who, "Contribute", "{\"pool\":\"%u\",\"amount\":\"%s" TOKEN "\"}", pool, tokens);
}

/* Opens pool 1 of dev account 0 (no commission, room for 1,000,000 tokens) with dev account 1's
 * contribution of tokens. */
static void open_pool(const char *tokens)
{
    create_pool(0, "0", "1000000");
    contribute(1, 1, tokens);
}

/* Registers dev account w as a worker of score 100 (minimum stake 1000 tokens), adds it to pool
 * (owned by owner) and bonds tokens to it. */
static void bond_worker(unsigned owner, unsigned pool, unsigned w, const char *tokens)
{
    const char *addr = th_addr(w);
    th_node_register_worker(node, w, owner, 100);
    th_send_done(node, owner, "WorkerAdd", "{\"pool\":\"%u\",\"worker\":\"%s\"}", pool, addr);
    th_send_done(node, owner, "WorkerBond", "{\"pool\":\"%u\",\"worker\":\"%s\",\"amount\":\"%s" TOKEN "\"}", pool,
                 addr, tokens);
}

/* Asserts that worker (an address) has want bonded (staking_getWorker). */
static void expect_bonded(const char *worker, const char *want, const char *what)
{
    cJSON *resp = th_callf(node, "staking_getWorker", "{\"worker\":\"%s\"}", worker);
    cr_assert_str_eq(th_str(th_result(resp), "bonded"), want, "%s", what);
    cJSON_Delete(resp);
}

/* Asserts that staking_listSlashes lists want slashes in state. */
static void expect_slash_count(const char *state, int want, const char *what)
{
    cJSON *resp = th_callf(node, "staking_listSlashes", "{\"state\":\"%s\"}", state);
    cr_assert_eq(th_count(th_result(resp), "slashes"), want, "%s", what);
    cJSON_Delete(resp);
}

/* Asserts the ids of a staking_listPools page and its next cursor (0: null). */
static void expect_page(const char *params, const unsigned *ids, int n, unsigned next)
{
    cJSON *resp = th_call(node, "staking_listPools", params);
    const cJSON *r = th_result(resp);
    cr_assert_eq(th_count(r, "pools"), n, "%d pools for %s: %s", n, params, cJSON_PrintUnformatted(r));
    for (int i = 0; i < n; i++)
        cr_assert_eq(th_num(item(r, "pools", i), "id"), ids[i], "pool %d of the page for %s", i, params);
    if (next)
        cr_assert_eq(th_num(r, "next"), next, "next of %s", params);
    else
        cr_assert(is_null(r, "next"), "no next for %s", params);
    cJSON_Delete(resp);
}

Test(integration_staking, get_pool_describes_a_new_pool_and_a_commission_raise)
{
    create_pool(0, "100000", "1000000");
    cJSON *resp = th_call(node, "staking_getPool", "[1]");
    const cJSON *p = th_result(resp);
    const char *owner = th_addr(0);
    cr_assert_eq(th_num(p, "id"), 1, "id");
    cr_assert_str_eq(th_str(p, "owner"), owner, "owner");
    cr_assert_eq(th_num(p, "commissionPpm"), 100000, "commission");
    cr_assert(is_null(p, "pendingCommission"), "no raise");
    cr_assert_str_eq(th_str(p, "capacity"), "1000000" TOKEN, "capacity");
    cr_assert_str_eq(th_str(p, "stake"), "0", "stake");
    cr_assert_str_eq(th_str(p, "shares"), "0", "shares");
    cr_assert_str_eq(th_str(p, "sharePrice"), "1000000000000000000", "an empty pool's price");
    cr_assert_eq(th_num(p, "workers"), 0, "workers");
    cr_assert_str_eq(th_str(p, "queuedShares"), "0", "queue");
    cJSON *info = th_call(node, "node_info", NULL);
    double head = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(info, "result"), "height")->valuedouble;
    cJSON_Delete(info);
    cr_assert_eq(th_num(p, "createdHeight"), head, "created in the newest block");
    cJSON_Delete(resp);

    th_send_done(node, 0, "PoolSetCommission", "{\"pool\":\"1\",\"commissionPpm\":\"250000\"}");
    resp = th_call(node, "staking_getPool", "{\"pool\":1}");
    p = th_result(resp);
    cr_assert_eq(th_num(p, "commissionPpm"), 100000, "a raise waits for its notice");
    const cJSON *pending = cJSON_GetObjectItemCaseSensitive(p, "pendingCommission");
    cr_assert_eq(th_num(pending, "commissionPpm"), 250000, "the raise");
    double effective = th_num(pending, "effectiveAt");
    cJSON_Delete(resp);
    resp = th_call(node, "node_info", NULL);
    cr_assert_eq(effective, th_num(th_result(resp), "time") + WEEK, "a week of notice");
    cJSON_Delete(resp);

    admin("admin_advanceTime", "{\"seconds\":604800}");
    resp = th_call(node, "staking_getPool", "{\"pool\":1}");
    p = th_result(resp);
    cr_assert_eq(th_num(p, "commissionPpm"), 250000, "in force once the notice has passed");
    cr_assert(is_null(p, "pendingCommission"), "nothing pending any more");
    cJSON_Delete(resp);
}

Test(integration_staking, list_pools_pages_by_id_and_by_stake)
{
    /* stakes: pool 1: 10, 2: 50, 3: 30, 4: 50, 5: 0 */
    const char *stakes[] = { "10", "50", "30", "50" };
    for (unsigned i = 1; i <= 5; i++)
        create_pool(0, "0", "1000");
    for (unsigned i = 1; i <= 4; i++)
        contribute(5, i, stakes[i - 1]);

    expect_page("{\"limit\":2}", (const unsigned[]){ 1, 2 }, 2, 2);
    expect_page("{\"limit\":2,\"cursor\":2}", (const unsigned[]){ 3, 4 }, 2, 4);
    expect_page("{\"limit\":2,\"cursor\":4}", (const unsigned[]){ 5 }, 1, 0);
    expect_page("{}", (const unsigned[]){ 1, 2, 3, 4, 5 }, 5, 0);
    expect_page("[null, 3, \"id\"]", (const unsigned[]){ 1, 2, 3 }, 3, 3);

    /* largest stake first; equal stakes by id */
    expect_page("{\"sort\":\"stake\",\"limit\":2}", (const unsigned[]){ 2, 4 }, 2, 4);
    expect_page("{\"sort\":\"stake\",\"limit\":2,\"cursor\":4}", (const unsigned[]){ 3, 1 }, 2, 1);
    expect_page("{\"sort\":\"stake\",\"limit\":2,\"cursor\":1}", (const unsigned[]){ 5 }, 1, 0);

    cJSON *resp = th_call(node, "staking_listPools", "{\"sort\":\"stake\",\"limit\":1}");
    const cJSON *p = item(th_result(resp), "pools", 0);
    cr_assert_str_eq(th_str(p, "stake"), "50" TOKEN, "a listed pool is the full pool object");
    cr_assert_str_eq(th_str(p, "freeStake"), "50" TOKEN, "with its free stake");
    cJSON_Delete(resp);
}

Test(integration_staking, get_position_values_shares_rewards_and_the_queue)
{
    const char *a1 = th_addr(1), *a2 = th_addr(2);
    create_pool(0, "100000", "1000000");
    open_pool("100");
    contribute(2, 1, "300");
    contribute(1, 2, "5");
    admin("admin_rewardPool", "{\"pool\":1,\"amount\":\"40" TOKEN "\"}");

    cJSON *resp = th_callf(node, "staking_getPosition", "{\"address\":\"%s\"}", a1);
    const cJSON *r = th_result(resp);
    cr_assert_str_eq(th_str(r, "address"), a1, "address");
    cr_assert_eq(th_count(r, "positions"), 2, "two pools");
    const cJSON *p = item(r, "positions", 0);
    cr_assert_eq(th_num(p, "pool"), 1, "pool 1 first");
    cr_assert_str_eq(th_str(p, "shares"), "100" TOKEN, "shares at one unit each");
    cr_assert_str_eq(th_str(p, "value"), "100" TOKEN, "value");
    cr_assert_str_eq(th_str(p, "pendingRewards"), "9" TOKEN, "a quarter of the 36 left after 10%% commission");
    cr_assert_str_eq(th_str(p, "queuedShares"), "0", "nothing queued");
    cr_assert_null(cJSON_GetObjectItemCaseSensitive(p, "queuedSince"), "queuedSince only with a request");
    cr_assert_str_eq(th_str(item(r, "positions", 1), "value"), "5" TOKEN, "pool 2");
    cr_assert_str_eq(th_str(r, "claimable"), "0", "nothing settled yet");
    cJSON_Delete(resp);

    resp = th_callf(node, "staking_getPosition", "[\"%s\", 1]", a2);
    r = th_result(resp);
    cr_assert_eq(th_count(r, "positions"), 1, "only the pool asked for");
    cr_assert_str_eq(th_str(item(r, "positions", 0), "pendingRewards"), "27" TOKEN, "three quarters of 36");
    cJSON_Delete(resp);

    const char *owner = th_addr(0);
    resp = th_callf(node, "staking_getPosition", "{\"address\":\"%s\"}", owner);
    r = th_result(resp);
    cr_assert_eq(th_count(r, "positions"), 0, "the owner stakes nothing");
    cr_assert_str_eq(th_str(r, "claimable"), "4" TOKEN, "the owner's commission is claimable");
    cJSON_Delete(resp);

    /* dev 1 leaves pool 2 entirely: the pool is no longer listed; a queued request in pool 1 is */
    th_send_done(node, 1, "Withdraw", "{\"pool\":\"2\",\"shares\":\"5" TOKEN "\"}");
    /* dev 3 brings pool 1 to 1000 tokens, all bonded to a worker (its minimum stake), so a
     * withdrawal waits in the queue; dev 3 came after the reward and shares none of it */
    contribute(3, 1, "600");
    bond_worker(0, 1, 9, "1000");
    th_send_done(node, 1, "Withdraw", "{\"pool\":\"1\",\"shares\":\"40" TOKEN "\"}");
    resp = th_callf(node, "staking_getPosition", "{\"address\":\"%s\"}", a1);
    r = th_result(resp);
    cr_assert_eq(th_count(r, "positions"), 1, "an emptied position is skipped: %s", cJSON_PrintUnformatted(r));
    p = item(r, "positions", 0);
    cr_assert_eq(th_num(p, "pool"), 1, "pool 1");
    cr_assert_str_eq(th_str(p, "shares"), "100" TOKEN, "queued shares are still held");
    cr_assert_str_eq(th_str(p, "queuedShares"), "40" TOKEN, "queued");
    cr_assert_str_eq(th_str(p, "queuedValue"), "40" TOKEN, "queued value");
    cr_assert_not_null(cJSON_GetObjectItemCaseSensitive(p, "queuedSince"), "since");
    cr_assert_str_eq(th_str(p, "pendingRewards"), "9" TOKEN, "a request that waits settles nothing");
    cr_assert_str_eq(th_str(r, "claimable"), "0", "pool 2 had no rewards to settle");
    cJSON_Delete(resp);
}

Test(integration_staking, list_delegators_pages_by_address)
{
    char a[4][43];
    for (unsigned i = 1; i <= 3; i++)
        th_dev_address(a[i], i);
    create_pool(0, "100000", "1000000");
    contribute(1, 1, "100");
    contribute(2, 1, "200");
    contribute(3, 1, "300");
    admin("admin_rewardPool", "{\"pool\":1,\"amount\":\"60" TOKEN "\"}");

    /* by address bytes: dev 2 (0x3C44...), dev 1 (0x7099...), dev 3 (0x90F7...) */
    cJSON *resp = th_call(node, "staking_listDelegators", "{\"pool\":1,\"limit\":2}");
    const cJSON *r = th_result(resp);
    cr_assert_eq(th_count(r, "delegators"), 2, "a page of two");
    cr_assert_str_eq(th_str(item(r, "delegators", 0), "address"), a[2], "dev 2 first");
    cr_assert_str_eq(th_str(item(r, "delegators", 0), "shares"), "200" TOKEN, "its shares");
    cr_assert_str_eq(th_str(item(r, "delegators", 0), "value"), "200" TOKEN, "its value");
    cr_assert_str_eq(th_str(item(r, "delegators", 0), "pendingRewards"), "18" TOKEN, "2/6 of 54");
    cr_assert_str_eq(th_str(item(r, "delegators", 1), "address"), a[1], "dev 1 second");
    cr_assert_str_eq(th_str(r, "next"), a[1], "next is the last address of the page");
    cJSON_Delete(resp);

    resp = th_callf(node, "staking_listDelegators", "[1, \"%s\", 2]", a[1]);
    r = th_result(resp);
    cr_assert_eq(th_count(r, "delegators"), 1, "the last page");
    cr_assert_str_eq(th_str(item(r, "delegators", 0), "address"), a[3], "dev 3");
    cr_assert_str_eq(th_str(item(r, "delegators", 0), "pendingRewards"), "27" TOKEN, "3/6 of 54");
    cr_assert(is_null(r, "next"), "no next");
    cJSON_Delete(resp);
}

Test(integration_staking, get_withdraw_queue_lists_requests_in_order)
{
    const char *a1 = th_addr(1), *a2 = th_addr(2);
    open_pool("1000");
    contribute(2, 1, "3000");
    bond_worker(0, 1, 9, "3900");
    /* 100 free: dev 2's request is paid 100 at once and waits for 500; dev 1's waits behind it */
    th_send_done(node, 2, "Withdraw", "{\"pool\":\"1\",\"shares\":\"600" TOKEN "\"}");
    th_send_done(node, 1, "Withdraw", "{\"pool\":\"1\",\"shares\":\"200" TOKEN "\"}");

    cJSON *resp = th_call(node, "staking_getWithdrawQueue", "{\"pool\":1}");
    const cJSON *r = th_result(resp);
    cr_assert_eq(th_num(r, "pool"), 1, "pool");
    cr_assert_str_eq(th_str(r, "freeStake"), "0", "the free stake went to the head");
    cr_assert_eq(th_count(r, "requests"), 2, "two requests");
    const cJSON *q0 = item(r, "requests", 0), *q1 = item(r, "requests", 1);
    cr_assert_str_eq(th_str(q0, "address"), a2, "first come first");
    cr_assert_str_eq(th_str(q0, "shares"), "500" TOKEN, "paid in part");
    cr_assert_str_eq(th_str(q0, "value"), "500" TOKEN, "its value");
    cr_assert_str_eq(th_str(q1, "address"), a1, "then dev 1");
    cr_assert_str_eq(th_str(q1, "shares"), "200" TOKEN, "whole");
    cr_assert_lt(th_num(q0, "position"), th_num(q1, "position"), "positions increase along the queue");
    cr_assert_geq(th_num(q1, "since"), th_num(q0, "since"), "since");
    cr_assert(is_null(r, "next"), "one page");
    double first = th_num(q0, "position");
    cJSON_Delete(resp);

    resp = th_call(node, "staking_getWithdrawQueue", "[1, null, 1]");
    r = th_result(resp);
    cr_assert_eq(th_count(r, "requests"), 1, "limit 1");
    cr_assert_eq(th_num(r, "next"), first, "next is the position of the last request");
    cJSON_Delete(resp);
    resp = th_callf(node, "staking_getWithdrawQueue", "{\"pool\":1,\"cursor\":%.0f,\"limit\":1}", first);
    r = th_result(resp);
    cr_assert_str_eq(th_str(item(r, "requests", 0), "address"), a1, "the second page");
    cr_assert(is_null(r, "next"), "the end");
    cJSON_Delete(resp);

    resp = th_call(node, "staking_getPool", "{\"pool\":1}");
    cr_assert_str_eq(th_str(th_result(resp), "queuedShares"), "700" TOKEN, "the pool counts the queue");
    cr_assert_str_eq(th_str(th_result(resp), "queuedValue"), "700" TOKEN, "and its value");
    cJSON_Delete(resp);
}

Test(integration_staking, get_worker_shows_its_bond_and_only_its_unbondings)
{
    const char *w8 = th_addr(8), *w9 = th_addr(9);
    open_pool("10000");
    bond_worker(0, 1, 8, "3000");
    bond_worker(0, 1, 9, "5000");
    th_send_done(node, 0, "WorkerUnbond", "{\"pool\":\"1\",\"worker\":\"%s\",\"amount\":\"1000" TOKEN "\"}", w9);
    th_send_done(node, 0, "WorkerUnbond", "{\"pool\":\"1\",\"worker\":\"%s\",\"amount\":\"500" TOKEN "\"}", w8);
    th_send_done(node, 0, "WorkerUnbond", "{\"pool\":\"1\",\"worker\":\"%s\",\"amount\":\"700" TOKEN "\"}", w9);

    cJSON *resp = th_callf(node, "staking_getWorker", "{\"worker\":\"%s\"}", w9);
    const cJSON *r = th_result(resp);
    cr_assert_str_eq(th_str(r, "worker"), w9, "worker");
    cr_assert_eq(th_num(r, "pool"), 1, "pool");
    cr_assert_str_eq(th_str(r, "bonded"), "3300" TOKEN, "5000 - 1000 - 700");
    cr_assert_eq(th_count(r, "unbonding"), 2, "its two unbondings, not the other worker's");
    cr_assert_str_eq(th_str(item(r, "unbonding", 0), "amount"), "1000" TOKEN, "the first");
    cr_assert_str_eq(th_str(item(r, "unbonding", 1), "amount"), "700" TOKEN, "the second");
    double release = th_num(item(r, "unbonding", 0), "releaseAt");
    cJSON_Delete(resp);
    resp = th_call(node, "node_info", NULL);
    cr_assert_eq(release, th_num(th_result(resp), "time") + WEEK, "released after the unbonding period");
    cJSON_Delete(resp);

    resp = th_call(node, "staking_getPool", "{\"pool\":1}");
    r = th_result(resp);
    cr_assert_str_eq(th_str(r, "bonded"), "5800" TOKEN, "2500 + 3300");
    cr_assert_str_eq(th_str(r, "unbonding"), "2200" TOKEN, "1000 + 500 + 700");
    cr_assert_str_eq(th_str(r, "freeStake"), "2000" TOKEN, "10000 - 5800 - 2200");
    cr_assert_eq(th_num(r, "workers"), 2, "two workers");
    cJSON_Delete(resp);
}

Test(integration_staking, list_slashes_records_a_slash_pending_then_applied)
{
    const char *w8 = th_addr(8);
    open_pool("10000");
    bond_worker(0, 1, 8, "4000");
    slash(8, 250000);
    /* the dev chain defers a slash by staking.slashDeferSecs, 7 days, so governance may cancel it */
    cJSON *resp = th_call(node, "staking_listSlashes", "{\"state\":\"pending\"}");
    const cJSON *r = th_result(resp);
    cr_assert_eq(th_count(r, "slashes"), 1, "one slash waits");
    const cJSON *s = item(r, "slashes", 0);
    cr_assert_eq(th_num(s, "id"), 1, "id");
    cr_assert_str_eq(th_str(s, "worker"), w8, "worker");
    cr_assert_eq(th_num(s, "pool"), 1, "pool");
    cr_assert_eq(th_num(s, "ppm"), 250000, "ppm");
    cr_assert_str_eq(th_str(s, "reason"), "admin", "reason");
    cr_assert_eq(th_num(s, "due"), th_num(s, "created") + WEEK, "due after the deferral");
    cr_assert(is_null(s, "canceledBy"), "not canceled");
    cr_assert(is_null(r, "next"), "one page");
    cJSON_Delete(resp);
    expect_bonded(w8, "4000" TOKEN, "nothing burned yet");
    admin("admin_advanceTime", "{\"seconds\":604800}");
    expect_slash_count("applied", 1, "applied when due");
    expect_slash_count("pending", 0, "none pending");
    expect_bonded(w8, "3000" TOKEN, "4000 less a quarter");
    resp = th_call(node, "staking_listSlashes", "{\"state\":\"late\"}");
    cr_assert_eq(th_num(cJSON_GetObjectItemCaseSensitive(resp, "error"), "code"), -32602, "bad state");
    cJSON_Delete(resp);
}

/* The slash of admin_slashWorker, as docs/API.md gives it: fromBonded = floor(bonded * ppm / 10^6),
 * fromUnbonding the sum over the worker's unbonding entries of floor(entry * ppm / 10^6), amount
 * their sum. The entries are chosen so that flooring their sum instead would give one unit more. */
Test(integration_staking, admin_slash_worker_burns_the_bonded_and_each_unbonding_part_when_due)
{
    const char *w8 = th_addr(8);
    open_pool("1100");
    bond_worker(0, 1, 8, "1100");
    /* the slash is recorded now and applies when its 7-day deferral ends; the unbondings come one
     * second later, so they are still cooling down (released a second after) when it applies */
    cJSON *resp = th_callf(node, "admin_slashWorker", "{\"worker\":\"%s\",\"ppm\":333333}", w8);
    cr_assert_str_eq(th_str(th_result(resp), "status"), "success", "the slash: %s", cJSON_PrintUnformatted(resp));
    cJSON_Delete(resp);
    admin("admin_advanceTime", "{\"seconds\":1}");
    th_send_done(node, 0, "WorkerUnbond", "{\"pool\":\"1\",\"worker\":\"%s\",\"amount\":\"40000000000000000003\"}", w8);
    th_send_done(node, 0, "WorkerUnbond", "{\"pool\":\"1\",\"worker\":\"%s\",\"amount\":\"21000000000000000001\"}", w8);
    admin("admin_advanceTime", "{\"seconds\":604799}");

    /* bonded when it applied: 1100 tokens - 40000000000000000003 - 21000000000000000001
     * = 1038999999999999999996; fromBonded = floor(that * 333333 / 10^6) = 346332986999999999998;
     * each entry loses floor(entry * 333333 / 10^6) on its own (flooring their sum would take one
     * unit more): 13333321000000000000 and 6999992000000000000 */
    resp = th_callf(node, "staking_getWorker", "{\"worker\":\"%s\"}", w8);
    const cJSON *r = th_result(resp);
    cr_assert_str_eq(th_str(r, "bonded"), "692667012999999999998", "the bond less its part");
    cr_assert_str_eq(th_str(item(r, "unbonding", 0), "amount"), "26666680000000000003", "the first entry less its part");
    cr_assert_str_eq(th_str(item(r, "unbonding", 1), "amount"), "14000007000000000001", "the second entry less its part");
    cJSON_Delete(resp);
    expect_slash_count("applied", 1, "applied when due");
    resp = th_call(node, "staking_getPool", "{\"pool\":1}");
    cr_assert_str_eq(th_str(th_result(resp), "stake"), "733333700000000000002",
                     "1100 tokens less 346332986999999999998 + 20333313000000000000 burned");
    cJSON_Delete(resp);
}

struct bad_call {
    const char *method;
    const char *params;
    int code;
    const char *message; /* a part of the error message */
};

static const struct bad_call bad_calls[] = {
    { "staking_getPool", "{}", -32602, "params.pool: required" },
    { "staking_getPool", "{\"pool\":-1}", -32602, "params.pool" },
    { "staking_getPool", "{\"pool\":1,\"owner\":1}", -32602, "unknown param" },
    { "staking_getPool", "{\"pool\":99}", -32003, "no pool 99" },
    { "staking_listPools", "{\"limit\":0}", -32602, "params.limit: expected 1 to 100" },
    { "staking_listPools", "{\"limit\":101}", -32602, "params.limit" },
    { "staking_listPools", "{\"sort\":\"size\"}", -32602, "params.sort" },
    { "staking_listPools", "{\"cursor\":\"abc\"}", -32602, "params.cursor" },
    { "staking_listPools", "{\"sort\":\"stake\",\"cursor\":99}", -32602, "params.cursor: no pool 99" },
    { "staking_getPosition", "{}", -32602, "params.address: required" },
    { "staking_getPosition", "{\"address\":\"0x12\"}", -32602, "params.address" },
    { "staking_getPosition", "{\"address\":\"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266\",\"pool\":99}", -32003,
      "no pool 99" },
    { "staking_listDelegators", "{\"pool\":99}", -32003, "no pool 99" },
    { "staking_listDelegators", "{\"pool\":1,\"cursor\":5}", -32602, "params.cursor" },
    { "staking_listDelegators", "{\"pool\":1,\"limit\":1000}", -32602, "params.limit" },
    { "staking_getWithdrawQueue", "{\"pool\":99}", -32003, "no pool 99" },
    { "staking_getWithdrawQueue", "{\"pool\":1,\"cursor\":1.5}", -32602, "params.cursor" },
    { "staking_getWorker", "{\"worker\":\"0x0000000000000000000000000000000000000001\"}", -32003, "no worker" },
    { "staking_getWorker", "{\"worker\":true}", -32602, "params.worker" },
};

TH_TABLE_PARAMETERS(integration_staking, bad_params_and_unknown_pools_are_refused, bad_calls)

ParameterizedTest(int *i, integration_staking, bad_params_and_unknown_pools_are_refused)
{
    const struct bad_call *c = &bad_calls[*i];
    create_pool(0, "0", "1000");
    cJSON *resp = th_call(node, c->method, c->params);
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(resp, "error");
    cr_assert_not_null(e, "%s %s: an error, got %s", c->method, c->params, cJSON_PrintUnformatted(resp));
    cr_assert_eq(th_num(e, "code"), c->code, "%s %s: code", c->method, c->params);
    cr_assert(strstr(th_str(e, "message"), c->message), "%s %s: message '%s' names '%s'", c->method, c->params,
              th_str(e, "message"), c->message);
    cJSON_Delete(resp);
}

/* The repro: ten rounds of bonding everything and slashing 99.9999 %, each followed by a
 * contribution of 1,000 tokens, take the share total towards 2^256. The contribution that would
 * pass it fails with its reason and the node goes on; sharePriceDecimal keeps the price that
 * sharePrice has long floored to 0. */
Test(integration_staking, a_collapsed_share_price_fails_the_contribution_and_the_node_goes_on)
{
    const char *w8 = th_addr(8);
    open_pool("1000");
    /* slashes without the dev chain's 7-day deferral, as governance may set it */
    th_node_pass_param(node, 1, "staking.slashDeferSecs", "0");
    th_node_register_worker(node, 8, 0, 100);
    th_send_done(node, 0, "WorkerAdd", "{\"pool\":\"1\",\"worker\":\"%s\"}", w8);
    /* each round bonds the free stake (1000 tokens, the worker's minimum), burns all but a millionth
     * of the pool's stake, and buys a million times the shares there were: from 10^21 shares, the
     * tenth contribution would take them to about 10^81 > 2^256 */
    cJSON *failed = NULL;
    for (int round = 0; round < 10 && !failed; round++) {
        cJSON *pool = th_call(node, "staking_getPool", "{\"pool\":1}");
        th_send_done(node, 0, "WorkerBond", "{\"pool\":\"1\",\"worker\":\"%s\",\"amount\":\"%s\"}", w8,
                     th_str(th_result(pool), "freeStake"));
        cJSON_Delete(pool);
        slash(8, 999999);
        cJSON *resp = th_send(node, 2, "Contribute", "{\"pool\":\"1\",\"amount\":\"1000" TOKEN "\"}");
        if (strcmp(th_str(th_result(resp), "status"), "success") != 0)
            failed = resp;
        else
            cJSON_Delete(resp);
    }
    cr_assert_not_null(failed, "a contribution within ten rounds would take the shares past 2^256");
    cr_assert_str_eq(th_str(th_result(failed), "status"), "failed", "a failed receipt");
    cr_assert_str_eq(th_str(th_result(failed), "error"),
                     "pool 1's share price has collapsed: the shares this buys would take its total past 2^256",
                     "reason");
    cJSON_Delete(failed);
    cJSON *resp = th_call(node, "staking_getPool", "{\"pool\":1}");
    const cJSON *p = th_result(resp);
    cr_assert_str_eq(th_str(p, "sharePrice"), "0", "floored to nothing per 10^18 shares");
    const char *price = th_str(p, "sharePriceDecimal");
    cr_assert(strncmp(price, "0.0000000000000000000000000000000000000000000", 45) == 0 && strlen(price) > 60,
              "a price far below 10^-40 with its digits: %s", price);
    cJSON_Delete(resp);
    /* the node goes on */
    create_pool(3, "0", "1000");
    contribute(3, 2, "1");
    resp = th_call(node, "ledger_audit", "{}");
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(th_result(resp), "ok")), "audit: %s",
              cJSON_PrintUnformatted(resp));
    cJSON_Delete(resp);
}

Test(integration_staking, share_price_decimal_is_stake_over_shares_to_18_significant_digits)
{
    create_pool(0, "0", "1000000");
    cJSON *resp = th_call(node, "staking_getPool", "{\"pool\":1}");
    cr_assert_str_eq(th_str(th_result(resp), "sharePriceDecimal"), "1", "a pool without shares");
    cJSON_Delete(resp);
    contribute(1, 1, "3000");
    bond_worker(0, 1, 8, "3000");
    /* a third burned, once the slash's 7-day deferral has passed: 2000 tokens for 3000 tokens' worth
     * of shares (the worker answers no slot, so the epochs meanwhile pay it nothing) */
    slash(8, 333333);
    admin("admin_advanceTime", "{\"seconds\":604800}");
    resp = th_call(node, "staking_getPool", "{\"pool\":1}");
    const cJSON *p = th_result(resp);
    cr_assert_str_eq(th_str(p, "stake"), "2000001000000000000000", "3000 tokens less floor(3000 tokens * 333333 / 10^6)");
    cr_assert_str_eq(th_str(p, "sharePriceDecimal"), "0.666667", "2000001/3000000 exactly");
    cr_assert_str_eq(th_str(p, "sharePrice"), "666667000000000000", "per 10^18 shares");
    cJSON_Delete(resp);
    slash(8, 500000);
    admin("admin_advanceTime", "{\"seconds\":604800}");
    resp = th_call(node, "staking_getPool", "{\"pool\":1}");
    /* 1000000500000000000000 / 3000000000000000000000 = 0.3333335 */
    cr_assert_str_eq(th_str(th_result(resp), "sharePriceDecimal"), "0.3333335", "exact when it ends");
    cJSON_Delete(resp);
}
