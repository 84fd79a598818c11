/* SPDX-License-Identifier: MIT */
/* test_read_methods.c: conclaved's read methods (node/methods.c) run inside one ledger read
 * transaction that ends before the call is answered, failing calls included; on a loop, the reads
 * of one turn share one transaction, which ends with the turn or before a block: the binary is
 * linked with --wrap=ledger_user_balances and --wrap=ledger_pool_get, which note whether the ledger
 * was in a read transaction when a handler read through them. */
#include <criterion/criterion.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include "engine/engine.h"
#include "engine/genesis.h"
#include <sqlite3.h>
#include "ledger/ledger.h"
#include "ledger/sqlstore.h"
#include "ledger/stakes.h"
#include "node/methods.h"
#include "tests/lib/engine_fixture.h"

static eng *e;
static struct event_base *base;
static rpc_server *server;
/* what the wrappers saw: reads made, and reads made inside a read transaction */
static unsigned reads, reads_in_transaction;

int __real_ledger_user_balances(ledger *l, const uint8_t address[20], uint64_t *nonce, mpz_t balances[3]);
int __wrap_ledger_user_balances(ledger *l, const uint8_t address[20], uint64_t *nonce, mpz_t balances[3]);
int __real_ledger_pool_get(ledger *l, uint64_t id, ledger_pool *p);
int __wrap_ledger_pool_get(ledger *l, uint64_t id, ledger_pool *p);

int __wrap_ledger_user_balances(ledger *l, const uint8_t address[20], uint64_t *nonce, mpz_t balances[3])
{
    reads++;
    reads_in_transaction += ledger_reading(l);
    return __real_ledger_user_balances(l, address, nonce, balances);
}

int __wrap_ledger_pool_get(ledger *l, uint64_t id, ledger_pool *p)
{
    reads++;
    reads_in_transaction += ledger_reading(l);
    return __real_ledger_pool_get(l, id, p);
}

static void setup(void)
{
    char *genesis = eng_genesis_dev_json(NULL, NULL, NULL);
    cr_assert_not_null(genesis, "dev genesis");
    th_open_engine(&e, "readmethods", genesis);
    free(genesis);
    size_t n;
    const rpc_method *methods = node_methods(&n);
    base = event_base_new();
    cr_assert_not_null(base, "event base");
    server = rpc_server_new(base, methods, n, e, NULL, NULL, true);
    cr_assert_not_null(server, "server");
    rpc_server_set_errors(server, node_rpc_error);
}

static void teardown(void)
{
    rpc_server_free(server);
    th_close_engine(e); /* before the loop its events are on */
    event_base_free(base);
}

TestSuite(node_read_methods, .init = setup, .fini = teardown);

/* Whether the engine's connection holds nothing between calls: no transaction open and no statement
 * left mid-result (either would keep a read lock on the write-ahead log into the next loop turn). */
static bool connection_idle(void)
{
    sqlite3 *db = ledger_sqlite(eng_ledger(e));
    for (sqlite3_stmt *st = sqlite3_next_stmt(db, NULL); st; st = sqlite3_next_stmt(db, st))
        if (sqlite3_stmt_busy(st))
            return false;
    return sqlite3_get_autocommit(db) != 0 && !ledger_reading(eng_ledger(e));
}

/* Calls method with params (JSON text) and returns the response (caller frees). */
static char *call(const char *method, const char *params)
{
    char body[512];
    snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"%s\",\"params\":%s}", method, params);
    char *resp = rpc_handle_body(server, body, strlen(body), false);
    cr_assert_not_null(resp, "%s answers", method);
    return resp;
}

Test(node_read_methods, ledger_get_account_reads_every_balance_in_one_read_transaction)
{
    char params[96];
    snprintf(params, sizeof params, "{\"address\":\"%s\"}", th_dev_text(0));
    char *resp = call("ledger_getAccount", params);
    cr_assert(strstr(resp, "\"result\"") && strstr(resp, "\"free\""), "an account: %s", resp);
    cr_assert_eq(reads, 1, "the nonce and the free, escrow and claimable balances read at once (%u reads)", reads);
    cr_assert_eq(reads_in_transaction, reads, "the balances read inside the read transaction (%u of %u)",
                 reads_in_transaction, reads);
    cr_assert(connection_idle(), "no read transaction or statement left open once answered");
    free(resp);
}

Test(node_read_methods, a_failing_read_also_ends_its_read_transaction)
{
    char *resp = call("staking_getPool", "{\"pool\":99}");
    cr_assert(strstr(resp, "-32003"), "an unknown pool is not found: %s", resp);
    cr_assert_eq(reads, 1, "the pool was looked up");
    cr_assert_eq(reads_in_transaction, 1, "inside the read transaction");
    cr_assert(connection_idle(), "no read transaction or statement left open after the error");
    free(resp);
}

Test(node_read_methods, a_block_applies_between_two_reads_and_the_second_sees_all_of_it)
{
    char params[96];
    snprintf(params, sizeof params, "{\"address\":\"%s\"}", th_dev_text(9));
    char *before = call("ledger_getAccount", params);
    th_outcome o = { 0 };
    th_queue(e, 0, "Transfer", &o, "{\"to\":\"%s\",\"amount\":\"5\"}", th_dev_text(9));
    th_block(e);
    cr_assert(o.success, "the transfer is applied");
    char *after = call("ledger_getAccount", params);
    cr_assert(strstr(before, "\"nonce\":0") && strstr(after, "\"nonce\":0"), "dev 9 sent nothing: %s", after);
    cr_assert_str_neq(before, after, "the second read sees the block: %s", after);
    cr_assert(connection_idle(), "no read transaction or statement open between the reads");
    th_outcome_clear(&o);
    free(before);
    free(after);
}

/* ---- on a loop: the reads of one turn share one read transaction ---- */

static unsigned begins; /* read transactions begun on the engine's connection (a block's: BEGIN IMMEDIATE) */

static int count_begins(unsigned type, void *ctx, void *stmt, void *sql)
{
    (void)type;
    (void)ctx;
    (void)sql;
    begins += strcmp(sqlite3_sql(stmt), "BEGIN") == 0;
    return 0;
}

static void setup_on_loop(void)
{
    setup();
    cr_assert_eq(eng_attach(e, base), ST_OK, "attach");
    sqlite3_trace_v2(ledger_sqlite(eng_ledger(e)), SQLITE_TRACE_STMT, count_begins, NULL);
}

/* Runs what the loop has due now: the end of the turn. */
static void end_turn(void)
{
    cr_assert_neq(event_base_loop(base, EVLOOP_NONBLOCK), -1, "the loop runs");
}

TestSuite(node_turn_reads, .init = setup_on_loop, .fini = teardown);

Test(node_turn_reads, the_reads_of_a_turn_share_one_transaction_closed_at_its_end)
{
    char params[96];
    snprintf(params, sizeof params, "{\"address\":\"%s\"}", th_dev_text(0));
    char *first = call("ledger_getAccount", params), *second = call("ledger_getAccount", params);
    char *pool = call("staking_getPool", "{\"pool\":99}");
    cr_assert_str_eq(first, second, "the same state");
    cr_assert_eq(begins, 1, "one read transaction for the turn's three reads (%u)", begins);
    cr_assert_eq(reads_in_transaction, reads, "each read inside it");
    cr_assert(!connection_idle(), "kept open until the turn ends");
    end_turn();
    cr_assert(connection_idle(), "closed at the end of the turn");
    free(call("ledger_getAccount", params));
    cr_assert_eq(begins, 2, "the next turn's read opens its own");
    end_turn();
    cr_assert(connection_idle(), "closed again");
    free(first);
    free(second);
    free(pool);
}

Test(node_turn_reads, a_block_within_the_turn_closes_it_first_and_the_next_read_sees_the_block)
{
    static th_outcome o; /* answered once the block is synced, by the loop or at the close */
    char params[96];
    snprintf(params, sizeof params, "{\"address\":\"%s\"}", th_dev_text(9));
    char *before = call("ledger_getAccount", params);
    th_queue(e, 0, "Transfer", &o, "{\"to\":\"%s\",\"amount\":\"5\"}", th_dev_text(9));
    cr_assert_eq(eng_flush(e), ST_OK, "a block in the same turn");
    char *after = call("ledger_getAccount", params);
    cr_assert_str_neq(before, after, "the read after the block sees it: %s", after);
    cr_assert_eq(begins, 2, "the block ended the first read's transaction; the second read opened another");
    end_turn();
    cr_assert(connection_idle(), "nothing open after the turn");
    free(before);
    free(after);
}
