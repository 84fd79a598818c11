/* SPDX-License-Identifier: MIT */
/* test_reads.c: the dashboards' read queries (ledger/reads.c) and the stored transactions' (chain.c):
 * their answers on a small ledger, and that every statement they prepare seeks an index, with no
 * table scan and no temporary B-tree for an ORDER BY, by SQLite's own EXPLAIN QUERY PLAN: so each
 * read costs the same with a million rows as with ten. The statements are found in the connection's cache, not written out a second time. */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include "ledger/amount.h"
#include "ledger/reads.h"
#include "ledger/sqlstore.h"
#include "tests/lib/testhelp.h"

static ledger *l;

static void setup(void)
{
    th_open_ledger(&l, "reads");
}

static void teardown(void)
{
    th_close_ledger(l);
}

TestSuite(ledger_reads, .init = setup, .fini = teardown);

static const uint8_t alice[20] = { 0xa1 }, bob[20] = { 0xb0 };

/* Block height with one transaction (index 0) by sender moving amount from debit to credit. */
static void block_with(uint64_t height, const uint8_t *sender, ledger_account debit, ledger_account credit,
                       const char *amount)
{
    uint8_t txhash[32] = { (uint8_t)height, 1 };
    mpz_t v;
    mpz_init(v);
    cr_assert_eq(ledger_amount_parse(v, amount, strlen(amount)), ST_OK, "amount %s", amount);
    cr_assert_eq(ledger_block_begin(l, height), ST_OK, "begin");
    cr_assert_eq(ledger_tx_begin(l, txhash), ST_OK, "tx begin");
    cr_assert_eq(ledger_transfer(l, &debit, &credit, v, "test"), ST_OK, "transfer");
    cr_assert_eq(ledger_tx_end(l, true), ST_OK, "tx end");
    ledger_txrec r = { .height = height, .index = 0, .has_sender = sender != NULL, .type = "Test", .body = "{}",
                       .success = true, .events = "[]" };
    memcpy(r.hash, txhash, 32);
    if (sender)
        memcpy(r.sender, sender, 20);
    cr_assert_eq(ledger_txrec_put(l, &r), ST_OK, "record");
    ledger_block b = { .height = height, .time = height, .tx_count = 1 };
    b.hash[0] = (uint8_t)height;
    b.hash[1] = 0xbb;
    cr_assert_eq(ledger_block_put(l, &b), ST_OK, "block");
    cr_assert_eq(ledger_block_commit(l), ST_OK, "commit");
    mpz_clear(v);
}

/* Blocks 1..4: a mint to the treasury, a mint to alice, alice pays bob (sent by alice), the treasury
 * pays bob (a system transaction). */
static void small_chain(void)
{
    ledger_account issuance = ledger_system_account(LEDGER_ISSUANCE), treasury = ledger_system_account(LEDGER_TREASURY);
    block_with(1, NULL, issuance, treasury, "1000");
    block_with(2, NULL, issuance, ledger_user_account(LEDGER_FREE, alice), "50");
    block_with(3, alice, ledger_user_account(LEDGER_FREE, alice), ledger_user_account(LEDGER_FREE, bob), "20");
    block_with(4, NULL, treasury, ledger_user_account(LEDGER_FREE, bob), "300");
}

static void expect_balance_at(int kind, uint64_t height, long want)
{
    mpz_t v;
    mpz_init(v);
    cr_assert_eq(ledger_system_balance_at(l, kind, height, v), ST_OK, "balance of %d at %llu", kind,
                 (unsigned long long)height);
    cr_assert_eq(mpz_cmp_si(v, want), 0, "kind %d at height %llu: %ld", kind, (unsigned long long)height, want);
    mpz_clear(v);
}

Test(ledger_reads, system_balances_at_past_heights_undo_later_transfers)
{
    small_chain();
    expect_balance_at(LEDGER_TREASURY, 0, 0);
    expect_balance_at(LEDGER_TREASURY, 1, 1000);
    expect_balance_at(LEDGER_TREASURY, 3, 1000);
    expect_balance_at(LEDGER_TREASURY, 4, 700);
    expect_balance_at(LEDGER_TREASURY, 99, 700);
    expect_balance_at(LEDGER_ISSUANCE, 1, -1000);
    expect_balance_at(LEDGER_ISSUANCE, 4, -1050);
    expect_balance_at(LEDGER_FEES, 4, 0);
}

Test(ledger_reads, history_merges_sent_and_received_newest_first_and_pages)
{
    small_chain();
    ledger_position page[LEDGER_HISTORY_MAX];
    unsigned n;
    bool more;
    cr_assert_eq(ledger_history_page(l, bob, false, 0, 0, 10, page, &n, &more), ST_OK, "bob's history");
    cr_assert(n == 2 && !more, "two transactions reached bob");
    cr_assert(page[0].height == 4 && page[1].height == 3, "newest first");
    cr_assert_eq(ledger_history_page(l, alice, false, 0, 0, 1, page, &n, &more), ST_OK, "alice's first page");
    cr_assert(n == 1 && more && page[0].height == 3, "what alice sent, then more");
    cr_assert_eq(ledger_history_page(l, alice, true, 3, 0, 1, page, &n, &more), ST_OK, "alice's second page");
    cr_assert(n == 1 && !more && page[0].height == 2, "the mint to alice, and no more");
    cr_assert_eq(ledger_history_page(l, alice, true, 2, 0, 5, page, &n, &more), ST_OK, "past the end");
    cr_assert(n == 0 && !more, "nothing before the mint");
}

/* Whether a statement's plan reads a whole table or sorts in a temporary B-tree; out: the plan. */
static bool plan_scans(sqlite3 *db, const char *sql, char *plan, size_t cap)
{
    char *eqp = sqlite3_mprintf("EXPLAIN QUERY PLAN %s", sql);
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(db, eqp, -1, &st, NULL), SQLITE_OK, "explain %s: %s", sql, sqlite3_errmsg(db));
    bool scans = false;
    size_t used = 0;
    plan[0] = '\0';
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *detail = (const char *)sqlite3_column_text(st, 3);
        used += (size_t)snprintf(plan + used, used < cap ? cap - used : 0, "%s; ", detail);
        if ((strncmp(detail, "SCAN ", 5) == 0 && strcmp(detail, "SCAN CONSTANT ROW") != 0) || strstr(detail, "TEMP B-TREE"))
            scans = true;
    }
    sqlite3_finalize(st);
    sqlite3_free(eqp);
    return scans;
}

static int count_events(void *arg, const char *events)
{
    cr_assert_str_eq(events, "[]", "the recorded events");
    ++*(unsigned *)arg;
    return ST_OK;
}

/* Each read statement (known by a fragment of its SQL) and the index walk its plan must hold: a seek on
 * the index's leading columns, then a walk bounded by the page. Without ANALYZE, SQLite plans the same
 * with ten rows as with a million. */
static const struct expected_plan {
    const char *sql_fragment, *walk, *second_walk;
} expected[] = {
    { "FROM vote_locks", "PRIMARY KEY (voter=? AND proposal>? AND proposal<?)", NULL },
    { "FROM transactions WHERE sender", "transactions_by_sender_position (sender=? AND position<?)", NULL },
    { "t.debit", "transfers_by_debit (debit=? AND rowid<?)", "sqlite_autoindex_transactions_1 (hash=?)" },
    { "t.credit", "transfers_by_credit (credit=? AND rowid<?)", "sqlite_autoindex_transactions_1 (hash=?)" },
    { "FROM transactions WHERE hash", "sqlite_autoindex_transactions_1 (hash=?)", NULL },
    { "FROM transactions WHERE position BETWEEN ?1 AND ?2 ORDER BY", "INTEGER PRIMARY KEY (rowid>? AND rowid<?)", NULL },
    { "u256_sum", "transfers_by_credit (credit=? AND rowid>?)", "transfers_by_debit (debit=? AND rowid>?)" },
    { "FROM settlements", "INTEGER PRIMARY KEY (rowid<?)", NULL },
    { "FROM transfers WHERE id > coalesce((SELECT transfers_end", "INTEGER PRIMARY KEY (rowid>?)",
      "SEARCH blocks USING INTEGER PRIMARY KEY (rowid<?)" },
    { "SELECT events FROM transactions", "INTEGER PRIMARY KEY (rowid>? AND rowid<?)", NULL },
    { "FROM accounts WHERE kind", "sqlite_autoindex_accounts_1 (kind=? AND owner=? AND pool=?)", NULL },
};

Test(ledger_reads, every_statement_of_the_reads_seeks_an_index)
{
    small_chain();
    sqlite3 *db = ledger_sqlite(l);
    /* the statements cached before the reads run are the writers' */
    enum { MAX = 256 };
    sqlite3_stmt *before[MAX];
    unsigned n_before = 0;
    for (sqlite3_stmt *st = sqlite3_next_stmt(db, NULL); st; st = sqlite3_next_stmt(db, st)) {
        cr_assert_lt(n_before, MAX, "room");
        before[n_before++] = st;
    }
    mpz_t v;
    mpz_init(v);
    uint64_t ids[10];
    ledger_position page[10];
    unsigned n;
    bool more;
    cr_assert_eq(ledger_system_balance_at(l, LEDGER_TREASURY, 1, v), ST_OK, "supply at a height");
    cr_assert_eq(ledger_settlement_page(l, true, 5, 10, ids, &n, &more), ST_OK, "epochs");
    cr_assert_eq(ledger_votes_by_page(l, alice, true, 5, 10, ids, &n, &more), ST_OK, "votes by");
    cr_assert_eq(ledger_history_page(l, alice, true, 4, 0, 10, page, &n, &more), ST_OK, "history");
    cr_assert_eq(ledger_block_events_of(l, 3, "Test", count_events, &n), ST_OK, "a block's events of a type");
    ledger_txrec *recs, rec;
    size_t n_recs;
    cr_assert_eq(ledger_txrec_list_block(l, 3, &recs, &n_recs), ST_OK, "a block's transactions");
    cr_assert(n_recs == 1 && recs[0].height == 3 && recs[0].index == 0, "block 3's one transaction");
    ledger_txrec_clear(&recs[0]);
    free(recs);
    const uint8_t hash[32] = { 3, 1 };
    cr_assert_eq(ledger_txrec_get(l, hash, &rec), ST_OK, "a transaction by hash");
    cr_assert(rec.height == 3 && rec.index == 0, "at its position");
    ledger_txrec_clear(&rec);
    mpz_clear(v);
    unsigned checked = 0;
    for (sqlite3_stmt *st = sqlite3_next_stmt(db, NULL); st; st = sqlite3_next_stmt(db, st)) {
        bool old = false;
        for (unsigned i = 0; i < n_before; i++)
            old = old || before[i] == st;
        if (old)
            continue;
        char plan[2048];
        const char *sql = sqlite3_sql(st);
        cr_assert(!plan_scans(db, sql, plan, sizeof plan), "%s\n  plan: %s", sql, plan);
        const struct expected_plan *e = NULL;
        for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++)
            if (strstr(sql, expected[i].sql_fragment))
                e = &expected[i];
        cr_assert(e, "a read statement with a known plan: %s", sql);
        cr_assert(strstr(plan, e->walk) && (!e->second_walk || strstr(plan, e->second_walk)), "%s\n  plan: %s\n  wants: %s",
                  sql, plan, e->walk);
        checked++;
    }
    cr_assert_eq(checked, sizeof expected / sizeof expected[0], "each read statement was checked (%u)", checked);
}
