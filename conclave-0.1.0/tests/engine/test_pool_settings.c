/* SPDX-License-Identifier: MIT */
/* test_pool_settings.c: what a pool's owner sets besides its commission, through the engine
 * without a socket: its capacity (never below the stake it holds), a description, and a
 * contributor allowlist of at most 100 addresses that, once not empty, admits only the listed
 * addresses and the owner. Only the owner changes any of it. Every block is audited. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine/engine.h"
#include "engine/genesis.h"
#include "ledger/hex.h"
#include "ledger/stakes.h"
#include "tests/lib/engine_fixture.h"

#define OWNER 0
#define ALICE 1
#define BOB 2
#define TOKEN "000000000000000000"

static eng *e;

static void setup(void)
{
    char genesis[1024];
    snprintf(genesis, sizeof genesis,
             "{\"chainId\":77,\"time\":4000000,\"accounts\":[{\"address\":\"%s\",\"balance\":\"1000" TOKEN "\"},"
             "{\"address\":\"%s\",\"balance\":\"1000" TOKEN "\"},{\"address\":\"%s\",\"balance\":\"1000" TOKEN "\"}]}",
             th_dev_text(OWNER), th_dev_text(ALICE), th_dev_text(BOB));
    th_open_engine(&e, "pool-settings", genesis);
    th_expect_tx_ok(e, OWNER, "PoolCreate", "{\"commissionPpm\":\"0\",\"capacity\":\"500" TOKEN "\"}");
}

static void teardown(void)
{
    th_close_engine(e);
}

TestSuite(engine_pool_settings, .init = setup, .fini = teardown);

static void expect_capacity(const char *want)
{
    ledger_pool p;
    ledger_pool_init(&p);
    cr_assert_eq(ledger_pool_get(eng_ledger(e), 1, &p), ST_OK, "pool 1");
    char *have = mpz_get_str(NULL, 10, p.capacity);
    cr_assert_str_eq(have, want, "capacity");
    free(have);
    ledger_pool_clear(&p);
}

Test(engine_pool_settings, capacity_changes_but_never_below_the_stake_held)
{
    th_expect_tx_ok(e, ALICE, "Contribute", "{\"pool\":\"1\",\"amount\":\"300" TOKEN "\"}");
    th_expect_tx_fails(e, OWNER, "PoolSetCapacity", "its capacity cannot go below that",
                       "{\"pool\":\"1\",\"capacity\":\"299999999999999999999\"}");
    th_expect_tx_ok(e, OWNER, "PoolSetCapacity", "{\"pool\":\"1\",\"capacity\":\"300" TOKEN "\"}");
    expect_capacity("300" TOKEN);
    th_expect_tx_fails(e, BOB, "Contribute", "takes at most 0 more", "{\"pool\":\"1\",\"amount\":\"1" TOKEN "\"}");
    th_expect_tx_ok(e, OWNER, "PoolSetCapacity", "{\"pool\":\"1\",\"capacity\":\"900" TOKEN "\"}");
    th_expect_tx_ok(e, BOB, "Contribute", "{\"pool\":\"1\",\"amount\":\"1" TOKEN "\"}");
    th_expect_tx_fails(e, ALICE, "PoolSetCapacity", "only the owner of pool 1", "{\"pool\":\"1\",\"capacity\":\"1000" TOKEN "\"}");
    th_outcome o = { 0 };
    cr_assert_eq(th_submit(e, OWNER, "PoolSetCapacity", &o, "{\"pool\":\"1\",\"capacity\":\"0\"}"), ST_INVALID,
                 "a capacity of zero is refused before it is queued");
    th_outcome_clear(&o);
}

/* The owner's PoolSetDescription of pool 1 with text, queued. Returns the submission status. */
static int send_description(const char *text, th_outcome *o)
{
    uint8_t key[32];
    eng_dev_key(key, OWNER);
    cJSON *m = cJSON_CreateObject();
    cr_assert(m && cJSON_AddStringToObject(m, "pool", "1") && cJSON_AddStringToObject(m, "description", text), "message");
    int rc = th_submit_msg(e, key, th_nonce_of(e, OWNER), "PoolSetDescription", m, o);
    cJSON_Delete(m);
    return rc;
}

Test(engine_pool_settings, the_description_is_the_owners_and_bounded)
{
    char *text = NULL;
    th_expect_tx_ok(e, OWNER, "PoolSetDescription", "{\"pool\":\"1\",\"description\":\"GPU farm, Zurich \\u00e9\"}");
    cr_assert_eq(ledger_pool_description_get(eng_ledger(e), 1, &text), ST_OK, "read it");
    cr_assert_str_eq(text, "GPU farm, Zurich \xc3\xa9", "stored as sent");
    free(text);
    th_expect_tx_fails(e, ALICE, "PoolSetDescription", "only the owner", "{\"pool\":\"1\",\"description\":\"mine\"}");
    /* the description is longer than the fixture's JSON text: sent as a message object */
    char long_text[LEDGER_POOL_DESCRIPTION_MAX + 2];
    memset(long_text, 'x', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    th_outcome o = { 0 };
    cr_assert_eq(send_description(long_text, &o), ST_INVALID, "1025 bytes are refused");
    cr_assert(strstr(th_last_err(), "at most 1024 bytes"), "%s", th_last_err());
    long_text[LEDGER_POOL_DESCRIPTION_MAX] = '\0';
    cr_assert_eq(send_description(long_text, &o), ST_OK, "1024 bytes are taken");
    th_block(e);
    th_expect_ok(&o, "1024 bytes");
    th_outcome_clear(&o);
}

Test(engine_pool_settings, an_allowlist_admits_only_its_addresses_and_the_owner)
{
    th_expect_tx_ok(e, BOB, "Contribute", "{\"pool\":\"1\",\"amount\":\"1" TOKEN "\"}");
    th_expect_tx_ok(e, OWNER, "PoolAllowContributor", "{\"pool\":\"1\",\"contributor\":\"%s\"}", th_dev_text(ALICE));
    th_expect_tx_ok(e, ALICE, "Contribute", "{\"pool\":\"1\",\"amount\":\"1" TOKEN "\"}");
    th_expect_tx_fails(e, BOB, "Contribute", "only from its owner and its allowlist", "{\"pool\":\"1\",\"amount\":\"1" TOKEN "\"}");
    th_expect_tx_ok(e, OWNER, "Contribute", "{\"pool\":\"1\",\"amount\":\"1" TOKEN "\"}");
    /* a staker already in keeps its shares and may withdraw */
    th_expect_tx_ok(e, BOB, "Withdraw", "{\"pool\":\"1\",\"shares\":\"1" TOKEN "\"}");
    th_expect_tx_fails(e, OWNER, "PoolAllowContributor", "already on pool 1's contributor allowlist",
                       "{\"pool\":\"1\",\"contributor\":\"%s\"}", th_dev_text(ALICE));
    th_expect_tx_fails(e, ALICE, "PoolAllowContributor", "only the owner", "{\"pool\":\"1\",\"contributor\":\"%s\"}",
                       th_dev_text(BOB));
    /* emptied, the pool is open to anyone again */
    th_expect_tx_ok(e, OWNER, "PoolDisallowContributor", "{\"pool\":\"1\",\"contributor\":\"%s\"}", th_dev_text(ALICE));
    th_expect_tx_fails(e, OWNER, "PoolDisallowContributor", "is not on pool 1's contributor allowlist",
                       "{\"pool\":\"1\",\"contributor\":\"%s\"}", th_dev_text(ALICE));
    th_expect_tx_ok(e, BOB, "Contribute", "{\"pool\":\"1\",\"amount\":\"1" TOKEN "\"}");
}

Test(engine_pool_settings, an_allowlist_holds_at_most_100_addresses)
{
    for (unsigned i = 0; i < LEDGER_POOL_CONTRIBUTORS_MAX; i++)
        th_expect_tx_ok(e, OWNER, "PoolAllowContributor", "{\"pool\":\"1\",\"contributor\":\"0x%040x\"}", i + 1);
    unsigned n = 0;
    cr_assert_eq(ledger_pool_contributor_count(eng_ledger(e), 1, &n), ST_OK, "count");
    cr_assert_eq(n, 100, "100 listed");
    th_expect_tx_fails(e, OWNER, "PoolAllowContributor", "holds 100 addresses, the most it may",
                       "{\"pool\":\"1\",\"contributor\":\"%s\"}", th_dev_text(ALICE));
}
