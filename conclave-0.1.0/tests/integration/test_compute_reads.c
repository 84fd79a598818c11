/* SPDX-License-Identifier: MIT */
/* test_compute_reads.c: what a compute provider and a dashboard read from a real conclaved --dev
 * over JSON-RPC: a worker's state as it moves (Registered, Ready, Computing, Unresponsive,
 * CoolingDown) with its registration, minimum stake and uptime; a pool's workers; payment channels
 * one by one and by client, worker and pool, paged; a pool's description and contributor allowlist;
 * and the precise errors of bad parameters. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine/genesis.h"
#include "ledger/hex.h"
#include "tests/lib/node.h"
#include "tests/lib/testhelp.h"

#define TOKEN "000000000000000000"
#define WORKER 5
#define CLIENT 3

static th_node *const node = &th_suite_node;

TestSuite(integration_compute_reads, .init = th_suite_node_start, .fini = th_suite_node_stop, .timeout = 60);

/* staking_getWorker's state of dev `who`. */
static void expect_state(unsigned who, const char *state)
{
    cJSON *resp = th_callf(node, "staking_getWorker", "{\"worker\":\"%s\"}", th_addr(who));
    cr_assert_str_eq(th_str(th_result(resp), "state"), state, "%s", cJSON_PrintUnformatted(resp));
    cJSON_Delete(resp);
}

/* Pool 1 of dev 0 with 5000 tokens of dev 1, and dev WORKER registered (score 100) and added. */
static void pool_with_worker(void)
{
    th_send_done(node, 0, "PoolCreate", "{\"commissionPpm\":\"100000\",\"capacity\":\"1000000" TOKEN "\"}");
    th_send_done(node, 1, "Contribute", "{\"pool\":\"1\",\"amount\":\"5000" TOKEN "\"}");
    th_node_register_worker(node, WORKER, 0, 100);
    th_send_done(node, 0, "WorkerAdd", "{\"pool\":\"1\",\"worker\":\"%s\"}", th_addr(WORKER));
}

Test(integration_compute_reads, a_worker_shows_its_registration_and_state_as_it_moves)
{
    cJSON *resp = th_callf(node, "staking_getWorker", "{\"worker\":\"%s\"}", th_addr(WORKER));
    cr_assert_eq(th_error_code(resp), -32003, "never registered: %s", cJSON_PrintUnformatted(resp));
    cJSON_Delete(resp);
    th_node_register_worker(node, WORKER, 0, 100);
    resp = th_callf(node, "staking_getWorker", "{\"worker\":\"%s\"}", th_addr(WORKER));
    const cJSON *w = th_result(resp);
    cr_assert_str_eq(th_str(w, "state"), "Registered", "in no pool");
    cr_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(w, "pool")), "no pool");
    const cJSON *reg = cJSON_GetObjectItemCaseSensitive(w, "registration");
    cr_assert_str_eq(th_str(reg, "operator"), th_addr(0), "its operator");
    cr_assert_eq(th_num(reg, "score"), 100, "its benchmark");
    cr_assert_eq(th_num(reg, "confLevel"), 1, "the dev platform's level");
    cr_assert_str_eq(th_str(w, "minStake"), "1000" TOKEN, "100 tokens x sqrt(100)");
    cJSON_Delete(resp);

    th_send_done(node, 0, "PoolCreate", "{\"commissionPpm\":\"100000\",\"capacity\":\"1000000" TOKEN "\"}");
    th_send_done(node, 1, "Contribute", "{\"pool\":\"1\",\"amount\":\"5000" TOKEN "\"}");
    th_send_done(node, 0, "WorkerAdd", "{\"pool\":\"1\",\"worker\":\"%s\"}", th_addr(WORKER));
    expect_state(WORKER, "Ready");
    th_send_done(node, 0, "WorkerBond", "{\"pool\":\"1\",\"worker\":\"%s\",\"amount\":\"1000" TOKEN "\"}",
                 th_addr(WORKER));
    expect_state(WORKER, "Computing");   /* no slot has ended since its bond */
    th_node_advance(node, 600);
    expect_state(WORKER, "Unresponsive"); /* the slot after its bond ended unanswered */
    cr_assert_eq(th_node_heartbeat(node, WORKER, 100000), 100, "its benchmark, as measured");
    expect_state(WORKER, "Computing");
    resp = th_callf(node, "staking_getWorker", "{\"worker\":\"%s\"}", th_addr(WORKER));
    w = th_result(resp);
    const cJSON *beats = cJSON_GetObjectItemCaseSensitive(w, "heartbeats");
    cr_assert_eq(cJSON_GetArraySize(beats), 1, "one heartbeat");
    cr_assert_eq(th_num(cJSON_GetArrayItem(beats, 0), "performance"), 100, "as measured");
    const cJSON *up = cJSON_GetObjectItemCaseSensitive(w, "uptime");
    cr_assert(th_num(up, "answered") == 1 && th_num(up, "due") >= 1, "uptime %s", cJSON_PrintUnformatted(up));
    cJSON_Delete(resp);
    resp = th_callf(node, "staking_listWorkers", "{\"pool\":1}");
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(th_result(resp), "workers");
    cr_assert_eq(cJSON_GetArraySize(list), 1, "one worker");
    cr_assert_str_eq(th_str(cJSON_GetArrayItem(list, 0), "worker"), th_addr(WORKER), "it");
    cJSON_Delete(resp);
    th_send_done(node, 0, "WorkerUnbond", "{\"pool\":\"1\",\"worker\":\"%s\",\"amount\":\"1000" TOKEN "\"}",
                 th_addr(WORKER));
    expect_state(WORKER, "CoolingDown");
}

Test(integration_compute_reads, channels_read_one_by_one_and_by_client_worker_and_pool)
{
    pool_with_worker();
    for (unsigned i = 0; i < 3; i++)
        th_send_done(node, CLIENT, "ChannelOpen", "{\"worker\":\"%s\",\"deposit\":\"%u" TOKEN "\"}", th_addr(WORKER),
                     10 * (i + 1));
    char sig[133];
    th_voucher_sig(sig, CLIENT, 2, "5" TOKEN);
    /* the worker's pool owner redeems for it */
    th_send_done(node, 0, "VoucherRedeem", "{\"channel\":\"2\",\"cumulative\":\"5" TOKEN "\",\"voucherSig\":\"%s\"}",
                 sig);
    th_send_done(node, CLIENT, "ChannelClose", "{\"channel\":\"3\"}");

    cJSON *resp = th_callf(node, "compute_getChannel", "{\"channel\":2}");
    const cJSON *c = th_result(resp);
    cr_assert_str_eq(th_str(c, "client"), th_addr(CLIENT), "client");
    cr_assert_str_eq(th_str(c, "worker"), th_addr(WORKER), "worker");
    cr_assert_eq(th_num(c, "pool"), 1, "its worker's pool");
    cr_assert_str_eq(th_str(c, "deposit"), "20" TOKEN, "deposit");
    cr_assert_str_eq(th_str(c, "redeemed"), "5" TOKEN, "redeemed");
    cr_assert_str_eq(th_str(c, "owed"), "5" TOKEN, "owed until the settlement");
    cr_assert_str_eq(th_str(c, "state"), "open", "open");
    cJSON_Delete(resp);
    resp = th_callf(node, "compute_getChannel", "{\"channel\":3}");
    cr_assert_str_eq(th_str(th_result(resp), "state"), "closing", "closing");
    cr_assert_gt(th_num(th_result(resp), "closeAt"), 0, "with its end");
    cJSON_Delete(resp);
    resp = th_callf(node, "compute_getChannel", "{\"channel\":9}");
    cr_assert_eq(th_error_code(resp), -32003, "no channel 9");
    cJSON_Delete(resp);

    const char *const filters[] = { "client", "worker" };
    for (unsigned f = 0; f < 2; f++) {
        char params[128];
        snprintf(params, sizeof params, "{\"%s\":\"%s\",\"limit\":2}", filters[f], th_addr(f == 0 ? CLIENT : WORKER));
        resp = th_call(node, "compute_listChannels", params);
        const cJSON *r = th_result(resp);
        cr_assert_eq(th_count(r, "channels"), 2, "a page of two: %s", cJSON_PrintUnformatted(r));
        cr_assert_eq(th_num(r, "next"), 2, "then from 2");
        cJSON_Delete(resp);
    }
    resp = th_call(node, "compute_listChannels", "{\"pool\":1,\"cursor\":2}");
    cr_assert_eq(th_count(th_result(resp), "channels"), 1, "channel 3 after 2");
    cr_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(th_result(resp), "next")), "nothing follows");
    cJSON_Delete(resp);
    resp = th_callf(node, "compute_listChannels", "{\"client\":\"%s\"}", th_addr(WORKER));
    cr_assert_eq(th_count(th_result(resp), "channels"), 0, "the worker is no client");
    cJSON_Delete(resp);
    resp = th_call(node, "compute_listChannels", "{}");
    cr_assert_eq(th_error_code(resp), -32602, "a filter is needed");
    cJSON_Delete(resp);
    resp = th_callf(node, "compute_listChannels", "{\"client\":\"%s\",\"pool\":1}", th_addr(CLIENT));
    cr_assert_eq(th_error_code(resp), -32602, "one filter only");
    cJSON_Delete(resp);
}

Test(integration_compute_reads, a_pool_shows_its_description_and_allowlist)
{
    th_send_done(node, 0, "PoolCreate", "{\"commissionPpm\":\"100000\",\"capacity\":\"1000000" TOKEN "\"}");
    th_send_done(node, 0, "PoolSetDescription", "{\"pool\":\"1\",\"description\":\"GPU farm\"}");
    th_send_done(node, 0, "PoolAllowContributor", "{\"pool\":\"1\",\"contributor\":\"%s\"}", th_addr(2));
    th_send_done(node, 0, "PoolAllowContributor", "{\"pool\":\"1\",\"contributor\":\"%s\"}", th_addr(1));
    cJSON *resp = th_call(node, "staking_getPool", "{\"pool\":1}");
    const cJSON *p = th_result(resp);
    cr_assert_str_eq(th_str(p, "description"), "GPU farm", "description");
    cr_assert_eq(th_num(p, "allowlisted"), 2, "two listed");
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(p, "contributors");
    cr_assert_eq(cJSON_GetArraySize(list), 2, "both");
    cr_assert(strcmp(cJSON_GetArrayItem(list, 0)->valuestring, cJSON_GetArrayItem(list, 1)->valuestring) < 0, "in address order");
    cJSON_Delete(resp);
    resp = th_send(node, 3, "Contribute", "{\"pool\":\"1\",\"amount\":\"1" TOKEN "\"}");
    cr_assert(strstr(th_str(th_result(resp), "error"), "only from its owner and its allowlist"), "%s", cJSON_PrintUnformatted(resp));
    cJSON_Delete(resp);
}
