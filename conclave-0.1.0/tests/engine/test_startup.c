/* SPDX-License-Identifier: MIT */
/* test_startup.c: opening the engine is all or nothing. A refused open (no genesis for a new
 * database, or a genesis other than the stored one) ends cleanly and writes nothing; a database left
 * with its schema but no genesis (a start killed between the two) opens as a new one; the genesis
 * block and the stored genesis are written together. And a block such as a refused open used to
 * write (a Tick applied under the refused genesis) is caught by the audit and by replay. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "engine/engine.h"
#include "engine/genesis.h"
#include "ledger/ledger.h"
#include "ledger/hash.h"
#include "ledger/hex.h"
#include "tests/lib/testhelp.h"

static char dir[64], db_path[128];
static char *dev_genesis;

static void setup(void)
{
    th_temp_dir(dir, sizeof dir, "startup");
    snprintf(db_path, sizeof db_path, "%s/conclave.db", dir);
    dev_genesis = eng_genesis_dev_json(NULL, NULL, NULL);
    cr_assert_not_null(dev_genesis, "dev genesis");
}

static void teardown(void)
{
    free(dev_genesis);
    th_rmtree(dir);
}

TestSuite(engine_startup, .init = setup, .fini = teardown);

/* Opens the engine on db_path with genesis (NULL: none given); returns eng_open's status. */
static int try_open(eng **out, char *err, size_t errlen, const char *genesis)
{
    eng_config cfg = { .db_path = db_path, .genesis_json = genesis, .clock_mode = ENG_CLOCK_MANUAL, .dev = true };
    return eng_open(out, err, errlen, &cfg);
}

/* Opens the engine on a new dev chain; the caller closes it. */
static eng *open_new_dev_chain(void)
{
    eng *e = NULL;
    char err[256] = "";
    cr_assert_eq(try_open(&e, err, sizeof err, dev_genesis), ST_OK, "new chain: %s", err);
    return e;
}

/* A new dev chain, closed, with the foreign Tick of th_append_foreign_tick after its genesis. */
static void make_a_chain_with_a_foreign_tick(void)
{
    eng_close(open_new_dev_chain());
    th_append_foreign_tick(db_path);
}

/* The newest block of the database at db_path, read without the engine. */
static ledger_block head_block(void)
{
    ledger *l = NULL;
    char err[256] = "";
    cr_assert_eq(ledger_open_readonly(&l, err, sizeof err, db_path), ST_OK, "open: %s", err);
    ledger_block b;
    cr_assert_eq(ledger_block_head(l, &b), ST_OK, "a newest block");
    ledger_close(l);
    return b;
}

Test(engine_startup, a_new_database_without_a_genesis_is_refused_and_not_created)
{
    eng *e = NULL;
    char err[256] = "";
    cr_assert_eq(try_open(&e, err, sizeof err, NULL), ST_INVALID, "refused without a genesis");
    cr_assert(strstr(err, "needs a genesis") != NULL, "says why: %s", err);
    cr_assert_null(e, "no engine");
    cr_assert_neq(access(db_path, F_OK), 0, "no database file left behind");
}

Test(engine_startup, a_genesis_other_than_the_stored_one_writes_no_block)
{
    eng_close(open_new_dev_chain());
    ledger_block before = head_block();
    /* hourly epochs from time 0: under this genesis, thousands of epochs would be due to close */
    eng *e = NULL;
    char err[256] = "";
    cr_assert_eq(try_open(&e, err, sizeof err, "{\"chainId\":5,\"time\":0}"), ST_INVALID, "refused");
    cr_assert(strstr(err, "different genesis") != NULL, "says why: %s", err);
    cr_assert_null(e, "no engine");
    ledger_block after = head_block();
    cr_assert_eq(after.height, before.height, "no block written by the refused open");
    cr_assert_eq(memcmp(after.hash, before.hash, 32), 0, "the newest block is the same");
}

Test(engine_startup, a_database_with_a_schema_but_no_genesis_opens_as_new)
{
    ledger *l = NULL;
    char err[256] = "";
    cr_assert_eq(ledger_open(&l, err, sizeof err, db_path), ST_OK, "schema only: %s", err);
    ledger_close(l);
    eng *e = NULL;
    cr_assert_eq(try_open(&e, err, sizeof err, NULL), ST_INVALID, "still needs a genesis");
    cr_assert_null(e, "no engine");
    cr_assert_eq(try_open(&e, err, sizeof err, dev_genesis), ST_OK, "opens as new: %s", err);
    cr_assert_eq(eng_chain_id(e), ENG_DEV_CHAIN_ID, "the given genesis");
    eng_close(e);
    cr_assert_eq(head_block().height, 0, "the genesis block");
}

Test(engine_startup, the_default_genesis_applies_to_a_new_database_only)
{
    eng *e = NULL;
    char err[256] = "";
    eng_config cfg = { .db_path = db_path, .default_genesis_json = dev_genesis, .clock_mode = ENG_CLOCK_MANUAL };
    cr_assert_eq(eng_open(&e, err, sizeof err, &cfg), ST_OK, "new chain from the default: %s", err);
    eng_close(e);
    /* an existing chain keeps its own genesis whatever the default now says */
    cfg.default_genesis_json = "{\"chainId\":5,\"time\":0}";
    e = NULL;
    cr_assert_eq(eng_open(&e, err, sizeof err, &cfg), ST_OK, "existing chain: %s", err);
    cr_assert_eq(eng_chain_id(e), ENG_DEV_CHAIN_ID, "the stored genesis, not the default");
    eng_close(e);
    cr_assert_eq(head_block().height, 0, "nothing more written");
}

Test(engine_startup, the_genesis_block_and_the_stored_genesis_come_together)
{
    eng_close(open_new_dev_chain());
    ledger *l = NULL;
    char err[256] = "";
    cr_assert_eq(ledger_open_readonly(&l, err, sizeof err, db_path), ST_OK, "open: %s", err);
    char *stored = NULL, *params = NULL;
    cr_assert_eq(ledger_meta_get(l, "genesis.document.0", &stored), ST_OK, "genesis stored (one chunk)");
    cr_assert_eq(ledger_meta_get(l, "genesis.params", &params), ST_OK, "its parameters stored");
    ledger_txrec *recs = NULL;
    size_t n = 0;
    cr_assert_eq(ledger_txrec_list_block(l, 0, &recs, &n), ST_OK, "block 0");
    cr_assert_eq(n, 1, "one transaction in block 0");
    cr_assert_str_eq(recs[0].type, "Genesis", "the Genesis transaction");
    cJSON *body = cJSON_Parse(recs[0].body);
    const cJSON *message = cJSON_GetObjectItemCaseSensitive(body, "message");
    uint8_t hash[32];
    char hex[67];
    ledger_keccak256(hash, stored, strlen(stored));
    ledger_hex_encode(hex, hash, 32);
    cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(message, "hash")->valuestring, hex,
                     "block 0 commits to the stored genesis by its keccak-256");
    char *printed = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(message, "params"));
    cr_assert_str_eq(printed, params, "and carries its parameters");
    cJSON_free(printed);
    cJSON_Delete(body);
    free(params);
    ledger_txrec_clear(&recs[0]);
    free(recs);
    free(stored);
    ledger_close(l);
}

/* The check named name of an audit report (fails the test if absent). */
static bool audit_check_ok(const ledger_audit_report *r, const char *name)
{
    for (unsigned i = 0; i < r->n_checks; i++)
        if (strcmp(r->checks[i].name, name) == 0)
            return r->checks[i].ok;
    cr_assert_fail("no audit check %s", name);
    return false;
}

Test(engine_startup, the_audit_holds_on_a_chain_that_closed_epochs)
{
    eng *e = open_new_dev_chain();
    uint64_t now;
    cr_assert_eq(eng_advance_time(e, 3 * 3600 + 5, &now), ST_OK, "three epochs pass");
    ledger_audit_report r;
    cr_assert_eq(eng_audit(e, &r), ST_OK, "audit runs");
    cr_assert(audit_check_ok(&r, "follows_genesis"), "follows its genesis");
    cr_assert(r.ok, "audit ok");
    eng_close(e);
}

Test(engine_startup, the_audit_catches_a_block_that_does_not_follow_the_genesis)
{
    make_a_chain_with_a_foreign_tick();
    eng *e = NULL;
    char err[256] = "";
    cr_assert_eq(try_open(&e, err, sizeof err, dev_genesis), ST_OK, "reopen: %s", err);
    ledger_audit_report r;
    cr_assert_eq(eng_audit(e, &r), ST_OK, "audit runs");
    cr_assert(audit_check_ok(&r, "hash_chain"), "the hash chain itself is sound");
    cr_assert_not(audit_check_ok(&r, "follows_genesis"), "the foreign epoch close is caught");
    cr_assert_not(r.ok, "audit fails");
    eng_close(e);
}

Test(engine_startup, replay_catches_a_block_that_does_not_follow_the_genesis)
{
    make_a_chain_with_a_foreign_tick();
    eng_replay_report r;
    char err[256] = "";
    cr_assert_eq(eng_replay(&r, err, sizeof err, db_path, ":memory:"), ST_OK, "replay runs: %s", err);
    cr_assert_not(r.ok, "replay differs");
    cr_assert(strstr(r.detail, "block 1 transaction 0 (Tick)") != NULL, "names the block: %s", r.detail);
}
