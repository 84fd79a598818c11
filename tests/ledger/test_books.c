/* SPDX-License-Identifier: MIT */
/* test_books.c: the durable ledger below the engine: migrations and the version guard, exact
 * double-entry transfers with their refusals (also several in one block across rolled-back
 * transactions and savepoints, and transactions without savepoints of their own), nonces kept for
 * the block and read from each sender's last stored transaction (schema 019 moved them there from a
 * table of their own), an address's nonce and balances in one statement, read
 * transactions kept for the reads that follow until released or the next write, the u256 SQL
 * functions, and the audit catching a tampered balance, transfer, block or nonce. */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include "ledger/amount.h"
#include "ledger/hash.h"
#include "ledger/ledger.h"
#include "ledger/reads.h"
#include "ledger/sqlstore.h"
#include "tests/lib/testhelp.h"

static ledger *l;

static void setup(void)
{
    th_open_ledger(&l, "books");
}

static void teardown(void)
{
    th_close_ledger(l);
}

TestSuite(ledger_books, .init = setup, .fini = teardown);

static const uint8_t alice[20] = { 0xa1 }, bob[20] = { 0xb0 };

/* One block at height with one transaction moving each (debit, credit, amount) in order. */
static int block_with(uint64_t height, const ledger_account *debit, const ledger_account *credit, const char *amount)
{
    uint8_t txhash[32] = { (uint8_t)height, 1 };
    mpz_t v;
    mpz_init(v);
    cr_assert_eq(ledger_amount_parse(v, amount, strlen(amount)), ST_OK, "amount %s", amount);
    cr_assert_eq(ledger_block_begin(l, height), ST_OK, "begin");
    cr_assert_eq(ledger_tx_begin(l, txhash), ST_OK, "tx begin");
    int rc = ledger_transfer(l, debit, credit, v, "test");
    cr_assert_eq(ledger_tx_end(l, rc == ST_OK), ST_OK, "tx end");
    ledger_txrec rec = { .index = 0, .type = "Test", .body = "{}", .success = rc == ST_OK, .events = "[]" };
    memcpy(rec.hash, txhash, 32);
    cr_assert_eq(ledger_txrec_put(l, &rec), ST_OK, "txrec");
    ledger_block b = { .height = height, .time = 1000 + height, .tx_count = 1 }, parent;
    if (height > 0) {
        cr_assert_eq(ledger_block_get(l, height - 1, &parent), ST_OK, "parent");
        memcpy(b.parent, parent.hash, 32);
    }
    ledger_sha256(b.tx_root, txhash, 32);
    ledger_block_hash(&b);
    cr_assert_eq(ledger_block_put(l, &b), ST_OK, "block");
    cr_assert_eq(ledger_block_commit(l), ST_OK, "commit");
    mpz_clear(v);
    return rc;
}

static char *balance_of(const ledger_account *a)
{
    mpz_t v;
    mpz_init(v);
    cr_assert_eq(ledger_balance(l, a, v), ST_OK, "balance");
    char *text = mpz_get_str(NULL, 10, v);
    mpz_clear(v);
    return text;
}

static bool audit_check(const char *name)
{
    ledger_audit_report r;
    cr_assert_eq(ledger_audit(l, &r), ST_OK, "audit runs");
    for (unsigned i = 0; i < r.n_checks; i++)
        if (strcmp(r.checks[i].name, name) == 0)
            return r.checks[i].ok;
    cr_assert_fail("no audit check %s", name);
    return false;
}

static void tamper(const char *sql)
{
    sqlite3 *db;
    cr_assert_eq(sqlite3_open(th_ledger_path(), &db), SQLITE_OK, "open for tampering");
    cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK, "tamper: %s", sqlite3_errmsg(db));
    sqlite3_close(db);
}

Test(ledger_books, mint_and_transfer_are_exact_and_audited)
{
    ledger_account issuance = ledger_system_account(LEDGER_ISSUANCE), a = ledger_user_account(LEDGER_FREE, alice),
                   b = ledger_user_account(LEDGER_FREE, bob);
    cr_assert_eq(block_with(0, &issuance, &a, "115792089237316195423570985008687907853269984665640564039457584007913129639935"),
                 ST_OK, "mint 2^256-1");
    cr_assert_eq(block_with(1, &a, &b, "1"), ST_OK, "transfer 1");
    char *ta = balance_of(&a), *tb = balance_of(&b), *ti = balance_of(&issuance);
    cr_assert_str_eq(ta, "115792089237316195423570985008687907853269984665640564039457584007913129639934", "alice");
    cr_assert_str_eq(tb, "1", "bob");
    cr_assert_str_eq(ti, "-115792089237316195423570985008687907853269984665640564039457584007913129639935",
                     "issuance is minus the supply");
    free(ta), free(tb), free(ti);
    ledger_audit_report r;
    cr_assert_eq(ledger_audit(l, &r), ST_OK, "audit");
    cr_assert(r.ok, "audit holds");
    cr_assert_eq(r.height, 1, "audited up to block 1");
    cr_assert_eq(r.n_checks, 8, "eight checks");
}

/* Block 0: 10 minted to alice. */
static void mint_ten_to_alice(void)
{
    ledger_account issuance = ledger_system_account(LEDGER_ISSUANCE), a = ledger_user_account(LEDGER_FREE, alice);
    cr_assert_eq(block_with(0, &issuance, &a, "10"), ST_OK, "mint");
}

/* An empty block at height with nothing in it but what the caller did after begin. */
static void put_block(uint64_t height)
{
    ledger_block b = { .height = height, .time = 1000 + height }, parent;
    if (height > 0) {
        cr_assert_eq(ledger_block_get(l, height - 1, &parent), ST_OK, "parent");
        memcpy(b.parent, parent.hash, 32);
    }
    ledger_block_hash(&b);
    cr_assert_eq(ledger_block_put(l, &b), ST_OK, "block");
}

/* One transfer of amount inside the open transaction. */
static int move(const ledger_account *debit, const ledger_account *credit, const char *amount)
{
    mpz_t v;
    mpz_init_set_str(v, amount, 10);
    int rc = ledger_transfer(l, debit, credit, v, "test");
    mpz_clear(v);
    return rc;
}

static void expect_balance(const ledger_account *a, const char *want, const char *what)
{
    char *have = balance_of(a);
    cr_assert_str_eq(have, want, "%s: %s, expected %s", what, have, want);
    free(have);
}

/* The block keeps the accounts it has used in memory and writes them at its commit
 * (account_memo.c): a transaction rolled back, whole or to its inner savepoint, must leave the next
 * transfer of the same block reading the totals from before it, and an account created by the
 * rolled-back part must go with it (its id may be taken by the next new account); otherwise the
 * block writes totals that its transfers do not add up to. */
Test(ledger_books, transfers_after_a_rollback_in_the_same_block_start_from_what_was_kept)
{
    static const uint8_t carol_addr[20] = { 0xc0 }, dave_addr[20] = { 0xd0 };
    ledger_account a = ledger_user_account(LEDGER_FREE, alice), b = ledger_user_account(LEDGER_FREE, bob),
                   carol = ledger_user_account(LEDGER_FREE, carol_addr), dave = ledger_user_account(LEDGER_FREE, dave_addr);
    mint_ten_to_alice();
    uint8_t h1[32] = { 1, 1 }, h2[32] = { 1, 2 }, h3[32] = { 1, 3 };
    cr_assert_eq(ledger_block_begin(l, 1), ST_OK, "begin");
    cr_assert_eq(ledger_tx_begin(l, h1), ST_OK, "tx 1");
    cr_assert_eq(move(&a, &b, "3"), ST_OK, "alice pays bob 3");
    cr_assert_eq(ledger_tx_end(l, true), ST_OK, "tx 1 kept");
    cr_assert_eq(ledger_tx_begin(l, h2), ST_OK, "tx 2");
    cr_assert_eq(move(&a, &b, "4"), ST_OK, "alice pays bob 4");
    cr_assert_eq(move(&b, &a, "7"), ST_OK, "bob pays alice 7");
    cr_assert_eq(move(&a, &carol, "1"), ST_OK, "alice pays carol, a new account, 1");
    expect_balance(&carol, "1", "carol inside tx 2");
    cr_assert_eq(ledger_tx_end(l, false), ST_OK, "tx 2 rolled back");
    expect_balance(&a, "7", "alice after the rollback");
    expect_balance(&carol, "0", "carol's account is gone with tx 2");
    cr_assert_eq(ledger_tx_begin(l, h3), ST_OK, "tx 3");
    cr_assert_eq(move(&a, &b, "8"), ST_INSUFFICIENT, "alice holds 7, not 8");
    cr_assert_eq(ledger_inner_begin(l), ST_OK, "inner savepoint");
    cr_assert_eq(move(&a, &b, "5"), ST_OK, "alice pays bob 5 inside");
    cr_assert_eq(ledger_inner_end(l, false), ST_OK, "inner rolled back");
    cr_assert_eq(move(&a, &dave, "2"), ST_OK, "alice pays dave, a new account (maybe carol's old id), 2");
    cr_assert_eq(move(&a, &carol, "1"), ST_OK, "alice pays carol 1 again, now kept");
    cr_assert_eq(move(&a, &b, "4"), ST_OK, "alice pays bob all she holds");
    cr_assert_eq(move(&a, &b, "1"), ST_INSUFFICIENT, "and then holds nothing");
    cr_assert_eq(ledger_tx_end(l, true), ST_OK, "tx 3 kept");
    put_block(1);
    cr_assert_eq(ledger_block_commit(l), ST_OK, "commit");
    expect_balance(&a, "0", "alice");
    expect_balance(&b, "7", "bob");
    expect_balance(&carol, "1", "carol");
    expect_balance(&dave, "2", "dave");
    cr_assert(audit_check("accounts_match_transfers"), "every account's totals are the sum of its transfers");
}

/* The first transaction of a block is the first to use the block's memory of accounts: rolled
 * back, its transfers must leave no trace there either. */
Test(ledger_books, the_first_transaction_of_a_block_rolled_back_leaves_no_totals)
{
    ledger_account a = ledger_user_account(LEDGER_FREE, alice), b = ledger_user_account(LEDGER_FREE, bob);
    mint_ten_to_alice();
    uint8_t h1[32] = { 2, 1 };
    cr_assert_eq(ledger_block_begin(l, 1), ST_OK, "begin");
    cr_assert_eq(ledger_tx_begin(l, h1), ST_OK, "tx 1");
    cr_assert_eq(move(&a, &b, "3"), ST_OK, "alice pays bob 3");
    cr_assert_eq(ledger_tx_end(l, false), ST_OK, "tx 1 rolled back");
    expect_balance(&a, "10", "alice after the rollback");
    put_block(1);
    cr_assert_eq(ledger_block_commit(l), ST_OK, "commit");
    expect_balance(&a, "10", "alice");
    expect_balance(&b, "0", "bob");
    cr_assert(audit_check("accounts_match_transfers"), "every account's totals are the sum of its transfers");
}

/* The transfers of the block stamped with transaction hash h. */
static int transfers_of(const uint8_t h[32])
{
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(ledger_sqlite(l), "SELECT count(*) FROM transfers WHERE tx = ?1", -1, &st, NULL),
                 SQLITE_OK, "prepare");
    sqlite3_bind_blob(st, 1, h, 32, SQLITE_STATIC);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "count");
    int n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return n;
}

/* Transactions without savepoints of their own (ledger_tx_begin_unguarded) write straight into the
 * block, stamped with their hash, beside guarded ones rolled back and inner savepoints rolled back
 * inside them; they cannot be rolled back alone, and a block aborted after them leaves nothing. */
Test(ledger_books, unguarded_transactions_write_into_the_block_and_only_a_block_abort_undoes_them)
{
    static const uint8_t carol_addr[20] = { 0xc0 };
    ledger_account a = ledger_user_account(LEDGER_FREE, alice), b = ledger_user_account(LEDGER_FREE, bob),
                   carol = ledger_user_account(LEDGER_FREE, carol_addr);
    mint_ten_to_alice();
    uint8_t h1[32] = { 3, 1 }, h2[32] = { 3, 2 }, h3[32] = { 3, 3 }, h4[32] = { 3, 4 };
    cr_assert_eq(ledger_block_begin(l, 1), ST_OK, "begin");
    cr_assert_eq(ledger_tx_begin_unguarded(l, h1), ST_OK, "tx 1, unguarded");
    cr_assert_eq(move(&a, &b, "3"), ST_OK, "alice pays bob 3");
    cr_assert_eq(move(&a, &carol, "1"), ST_OK, "alice pays carol, a new account, 1");
    cr_assert_eq(ledger_tx_end(l, false), ST_INVALID, "an unguarded transaction cannot be rolled back");
    cr_assert_eq(ledger_tx_end(l, true), ST_OK, "tx 1 kept");
    cr_assert_eq(ledger_tx_begin(l, h2), ST_OK, "tx 2, guarded");
    cr_assert_eq(move(&a, &b, "4"), ST_OK, "alice pays bob 4");
    cr_assert_eq(ledger_tx_end(l, false), ST_OK, "tx 2 rolled back");
    expect_balance(&a, "6", "alice after tx 2");
    cr_assert_eq(ledger_tx_begin_unguarded(l, h3), ST_OK, "tx 3, unguarded");
    cr_assert_eq(ledger_inner_begin(l), ST_OK, "inner savepoint");
    cr_assert_eq(move(&a, &b, "5"), ST_OK, "alice pays bob 5 inside");
    cr_assert_eq(move(&b, &carol, "1"), ST_OK, "bob pays carol 1 inside");
    cr_assert_eq(ledger_inner_end(l, false), ST_OK, "inner rolled back");
    cr_assert_eq(move(&a, &carol, "2"), ST_OK, "alice pays carol 2");
    cr_assert_eq(ledger_tx_end(l, true), ST_OK, "tx 3 kept");
    put_block(1);
    cr_assert_eq(ledger_block_commit(l), ST_OK, "commit");
    expect_balance(&a, "4", "alice");
    expect_balance(&b, "3", "bob");
    expect_balance(&carol, "3", "carol");
    cr_assert(transfers_of(h1) == 2 && transfers_of(h2) == 0 && transfers_of(h3) == 1, "transfers stamped by hash");
    cr_assert(audit_check("accounts_match_transfers"), "every account's totals are the sum of its transfers");
    cr_assert_eq(ledger_block_begin(l, 2), ST_OK, "begin");
    cr_assert_eq(ledger_tx_begin_unguarded(l, h4), ST_OK, "tx 4, unguarded");
    cr_assert_eq(move(&a, &b, "4"), ST_OK, "alice pays bob all she holds");
    ledger_block_abort(l);
    expect_balance(&a, "4", "alice after the aborted block");
    expect_balance(&b, "3", "bob after the aborted block");
    cr_assert_eq(transfers_of(h4), 0, "nothing of the aborted block");
    cr_assert(audit_check("accounts_match_transfers"), "still exact");
}

/* The block's memory of accounts holds 65,536 rows (LEDGER_MEMO_MAX_ROWS, ledger_int.h); past them
 * an account's totals are written to the database at each transfer. */
#define MEMO_ROWS 65536

/* The account of user number i (i + 1 big-endian in the address's last four bytes). */
static ledger_account numbered(uint32_t i)
{
    uint8_t owner[20] = { 0x5e };
    i++;
    for (int b = 0; b < 4; b++)
        owner[19 - b] = (uint8_t)(i >> (8 * b));
    return ledger_user_account(LEDGER_FREE, owner);
}

/* Pays 1 from payer to each of the accounts numbered [from, to). */
static void pay_one_each(const ledger_account *payer, uint32_t from, uint32_t to)
{
    for (uint32_t i = from; i < to; i++) {
        ledger_account a = numbered(i);
        cr_assert_eq(move(payer, &a, "1"), ST_OK, "pay account %u", i);
    }
}

/* A block that uses more accounts than its memory holds: those past the bound are written through,
 * and rollbacks (whole transactions and inner savepoints) stay exact for both kinds, including a
 * memo that a rollback emptied in part and that takes accounts again. Fails without the write-
 * through if the bound drops rows, and with a write-through that a rollback does not undo. */
Test(ledger_books, a_block_past_its_memory_of_accounts_stays_exact_through_rollbacks, .timeout = 120)
{
    ledger_account issuance = ledger_system_account(LEDGER_ISSUANCE), a = ledger_user_account(LEDGER_FREE, alice),
                   b = ledger_user_account(LEDGER_FREE, bob);
    cr_assert_eq(block_with(0, &issuance, &a, "1000000"), ST_OK, "mint");
    uint8_t h1[32] = { 3, 1 }, h2[32] = { 3, 2 }, h3[32] = { 3, 3 }, h4[32] = { 3, 4 };
    uint32_t kept = MEMO_ROWS - 200, past = MEMO_ROWS + 300;
    cr_assert_eq(ledger_block_begin(l, 1), ST_OK, "begin");
    /* tx 1: alice and `kept` accounts fill the memo but for 199 rows */
    cr_assert_eq(ledger_tx_begin(l, h1), ST_OK, "tx 1");
    pay_one_each(&a, 0, kept);
    cr_assert_eq(ledger_tx_end(l, true), ST_OK, "tx 1 kept");
    /* tx 2, rolled back: 500 new accounts, the last 301 past the bound, and bob (past it too) paid by one of them */
    ledger_account last = numbered(past - 1);
    cr_assert_eq(ledger_tx_begin(l, h2), ST_OK, "tx 2");
    pay_one_each(&a, kept, past);
    cr_assert_eq(move(&last, &b, "1"), ST_OK, "an account past the bound pays bob");
    cr_assert_eq(move(&last, &b, "1"), ST_INSUFFICIENT, "and holds nothing more");
    expect_balance(&b, "1", "bob inside tx 2");
    expect_balance(&last, "0", "the last account inside tx 2");
    cr_assert_eq(ledger_tx_end(l, false), ST_OK, "tx 2 rolled back");
    expect_balance(&b, "0", "bob after the rollback");
    expect_balance(&last, "0", "the last account is gone with tx 2");
    /* tx 3: the memo has room again; the same accounts come back, now kept */
    cr_assert_eq(ledger_tx_begin(l, h3), ST_OK, "tx 3");
    pay_one_each(&a, kept, past);
    cr_assert_eq(move(&last, &b, "1"), ST_OK, "the last account pays bob 1");
    cr_assert_eq(ledger_tx_end(l, true), ST_OK, "tx 3 kept");
    /* tx 4: an inner savepoint rolled back over accounts past the bound, then a payment kept */
    ledger_account first_past = numbered(past - 2);
    cr_assert_eq(ledger_tx_begin(l, h4), ST_OK, "tx 4");
    cr_assert_eq(ledger_inner_begin(l), ST_OK, "inner");
    cr_assert_eq(move(&a, &first_past, "50"), ST_OK, "alice pays 50 inside");
    cr_assert_eq(move(&first_past, &b, "51"), ST_OK, "which pays bob 51");
    expect_balance(&b, "52", "bob inside the inner savepoint");
    cr_assert_eq(ledger_inner_end(l, false), ST_OK, "inner rolled back");
    expect_balance(&b, "1", "bob after the inner rollback");
    expect_balance(&first_past, "1", "the account after the inner rollback");
    cr_assert_eq(move(&first_past, &b, "1"), ST_OK, "it pays bob its 1");
    cr_assert_eq(ledger_tx_end(l, true), ST_OK, "tx 4 kept");
    put_block(1);
    cr_assert_eq(ledger_block_commit(l), ST_OK, "commit");
    char want[32];
    snprintf(want, sizeof want, "%u", 1000000 - past);
    expect_balance(&a, want, "alice");
    expect_balance(&b, "2", "bob");
    expect_balance(&last, "0", "the last account");
    expect_balance(&first_past, "0", "the one before it");
    ledger_account some = numbered(past - 3), early = numbered(7);
    expect_balance(&some, "1", "an account past the bound");
    expect_balance(&early, "1", "an account in the memo");
    cr_assert(audit_check("accounts_match_transfers"), "every account's totals are the sum of its transfers");
    cr_assert(audit_check("debits_equal_credits"), "debits equal credits");
}

Test(ledger_books, refuses_overdraft_overflow_zero_and_self_transfer)
{
    ledger_account issuance = ledger_system_account(LEDGER_ISSUANCE), a = ledger_user_account(LEDGER_FREE, alice),
                   b = ledger_user_account(LEDGER_FREE, bob);
    mint_ten_to_alice();
    cr_assert_eq(block_with(1, &a, &b, "11"), ST_INSUFFICIENT, "overdraft refused");
    cr_assert_eq(block_with(2, &a, &a, "1"), ST_INVALID, "self transfer refused");
    cr_assert_eq(block_with(3, &a, &b, "0"), ST_INVALID, "zero refused");
    /* total issuance can never reach 2^256: 10 + (2^256 - 11) is the most */
    cr_assert_eq(block_with(4, &issuance, &b,
                            "115792089237316195423570985008687907853269984665640564039457584007913129639925"),
                 ST_OK, "bob near the top");
    cr_assert_eq(block_with(5, &issuance, &a, "1"), ST_OVERFLOW, "minting past 2^256 refused");
    char *ta = balance_of(&a);
    cr_assert_str_eq(ta, "10", "alice untouched by the refusals");
    free(ta);
    cr_assert(audit_check("debits_equal_credits"), "books balance");
}

/* A tampering of the books after block 0 (mint_ten_to_alice), and the audit checks it must fail. */
static const struct tampering {
    const char *sql;
    struct {
        const char *check;           /* NULL: no more */
        const char *why;
    } fails[2];
} tamperings[] = {
    { "UPDATE accounts SET credits = '11' WHERE credits = '10'",
      { { "debits_equal_credits", "sums differ" },
        { "accounts_match_transfers", "account no longer matches its transfers" } } },
    { "UPDATE accounts SET debits = '12' WHERE credits = '10'", { { "no_negative_balance", "negative balance found" } } },
    { "PRAGMA foreign_keys=OFF; DELETE FROM transactions",
      { { "hash_chain", "a missing transaction breaks its block's tx_root" } } },
    { "INSERT INTO transactions(position, hash, type, body, status, events) VALUES(7 * 4294967296, x'77', 'Test', '{}', 1, '[]')",
      { { "hash_chain", "a transaction outside the blocks" } } },
    { "INSERT INTO transfers(height, tx, debit, credit, amount, code) VALUES(0, x'77', 999, 998, '0', 'test')",
      { { "accounts_match_transfers", "a transfer between accounts that do not exist" } } },
    { "INSERT INTO transfers(height, tx, debit, credit, amount, code) SELECT 7, x'77', debit, credit, '0', code FROM transfers",
      { { "hash_chain", "a transfer after the newest block" } } },
    { "UPDATE transfers SET height = 5", { { "hash_chain", "a transfer in block 0's range at another height" } } },
    { "UPDATE blocks SET transfers_end = 0", { { "hash_chain", "a block that does not end its transfers" } } },
    { "INSERT INTO votes(proposal, voter, support, conviction, power, weight) VALUES(1, x'aa', 1, 0, '1', '1')",
      { { "votes_match_their_locks", "a vote without its lock row" } } },
    { "INSERT INTO vote_locks(voter, proposal, amount, until) VALUES(x'aa', 1, '0', 0)",
      { { "votes_match_their_locks", "a lock row of no vote" } } },
};

TH_TABLE_PARAMETERS(ledger_books, audit_detects_a_tampered_balance_or_transaction, tamperings)

ParameterizedTest(int *i, ledger_books, audit_detects_a_tampered_balance_or_transaction)
{
    const struct tampering *t = &tamperings[*i];
    mint_ten_to_alice();
    tamper(t->sql);
    for (size_t k = 0; k < 2 && t->fails[k].check; k++)
        cr_assert(!audit_check(t->fails[k].check), "%s: %s (%s)", t->fails[k].check, t->fails[k].why, t->sql);
}

Test(ledger_books, audit_detects_a_broken_hash_chain)
{
    ledger_account a = ledger_user_account(LEDGER_FREE, alice), b = ledger_user_account(LEDGER_FREE, bob);
    mint_ten_to_alice();
    cr_assert_eq(block_with(1, &a, &b, "3"), ST_OK, "transfer");
    cr_assert_eq(block_with(2, &a, &b, "3"), ST_OK, "transfer");
    cr_assert(audit_check("hash_chain"), "chain intact");
    tamper("UPDATE blocks SET time = time + 1 WHERE height = 1");
    cr_assert(!audit_check("hash_chain"), "a changed header breaks the chain");
}

Test(ledger_books, sql_functions_are_exact)
{
    ledger_close(l);
    l = NULL;
    sqlite3 *db;
    cr_assert_eq(sqlite3_open(th_ledger_path(), &db), SQLITE_OK, "open");
    sqlite3_close(db);
    char err[256] = "";
    cr_assert_eq(ledger_open(&l, err, sizeof err, th_ledger_path()), ST_OK, "reopen: %s", err);
    ledger_account issuance = ledger_system_account(LEDGER_ISSUANCE), a = ledger_user_account(LEDGER_FREE, alice),
                   b = ledger_user_account(LEDGER_FREE, bob);
    /* two balances whose sum exceeds 2^53 and 2^64 by far: a double or int64 sum would round */
    cr_assert_eq(block_with(0, &issuance, &a, "100000000000000000000000000000000000001"), ST_OK, "mint a");
    cr_assert_eq(block_with(1, &issuance, &b, "900000000000000000000000000000000000002"), ST_OK, "mint b");
    cr_assert(audit_check("supply_equals_issuance"), "exact supply");
}

Test(ledger_books, refuses_a_database_from_a_newer_version)
{
    ledger_close(l);
    l = NULL;
    char pragma[64];
    snprintf(pragma, sizeof pragma, "PRAGMA user_version = %u", ledger_schema_version() + 1);
    tamper(pragma);
    char err[256] = "";
    ledger *x = NULL;
    cr_assert_eq(ledger_open(&x, err, sizeof err, th_ledger_path()), ST_VERSION, "newer database refused");
    cr_assert(strstr(err, "newer") != NULL, "says why: %s", err);
    cr_assert_null(x, "no handle");
    snprintf(pragma, sizeof pragma, "PRAGMA user_version = %u", ledger_schema_version());
    tamper(pragma);
    cr_assert_eq(ledger_open(&l, err, sizeof err, th_ledger_path()), ST_OK, "current version opens: %s", err);
}

/* Reads one text value of the database at path. */
static char *read_text(const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_open(th_ledger_path(), &db), SQLITE_OK, "open for reading");
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "prepare %s: %s", sql, sqlite3_errmsg(db));
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "a row for %s", sql);
    char *text = strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return text;
}

/* Asserts that the one text value sql reads from the database at path is want. */
static void expect_text(const char *sql, const char *want, const char *what)
{
    char *v = read_text(sql);
    cr_assert_str_eq(v, want, "%s", what);
    free(v);
}

/* A block's row is written after its transactions and transfers. Once their heights referenced it
 * with a deferred foreign key, and inserting the block looked its children up, by an index on each
 * child's height or by scanning the whole table at every block (which made rewards 13x slower with
 * 100,000 delegators when schema 010 first dropped transfers_by_height). Schemas 016 and 017 took
 * those keys away; a child of blocks added again must come with its index. */
Test(ledger_books, the_children_of_a_block_are_indexed_by_height)
{
    char *unindexed = read_text(
        "SELECT count(*) FROM sqlite_schema m, pragma_foreign_key_list(m.name) fk WHERE m.type = 'table'"
        " AND fk.\"table\" = 'blocks' AND NOT EXISTS (SELECT 1 FROM pragma_index_list(m.name) il,"
        " pragma_index_info(il.name) ii WHERE ii.seqno = 0 AND ii.name = fk.\"from\")");
    cr_assert_str_eq(unindexed, "0", "every child has an index that starts with its height");
    free(unindexed);
}

/* Nor a transfer to its block: a block that moved value commits only with its row. */
Test(ledger_books, a_block_with_transfers_commits_only_with_its_row)
{
    ledger_account issuance = ledger_system_account(LEDGER_ISSUANCE), a = ledger_user_account(LEDGER_FREE, alice);
    uint8_t txhash[32] = { 9 };
    cr_assert_eq(ledger_block_begin(l, 0), ST_OK, "begin");
    cr_assert_eq(ledger_tx_begin(l, txhash), ST_OK, "tx begin");
    cr_assert_eq(move(&issuance, &a, "5"), ST_OK, "mint");
    cr_assert_eq(ledger_tx_end(l, true), ST_OK, "tx end");
    cr_assert_eq(ledger_block_commit(l), ST_INVALID, "no commit without the block's row");
    put_block(0);
    cr_assert_eq(ledger_block_commit(l), ST_OK, "commit with it");
    cr_assert(audit_check("accounts_match_transfers"), "the transfer's accounts exist");
}

/* No foreign key ties a stored transaction to its block: the ledger refuses a block row that does
 * not count its transactions, a transaction after the row, and a commit of transactions without it. */
Test(ledger_books, a_block_with_transactions_commits_only_with_its_row_counting_them)
{
    uint8_t txhash[32] = { 9 };
    cr_assert_eq(ledger_block_begin(l, UINT64_C(1) << 31), ST_INVALID, "no height past a stored key's 2^31 - 1");
    cr_assert_eq(ledger_block_begin(l, 0), ST_OK, "begin");
    ledger_txrec rec = { .index = 0, .type = "Test", .body = "{}", .success = true, .events = "[]" };
    memcpy(rec.hash, txhash, 32);
    cr_assert_eq(ledger_txrec_put(l, &rec), ST_OK, "txrec");
    cr_assert_eq(ledger_block_commit(l), ST_INVALID, "no commit without the block's row");
    ledger_block b = { .height = 0, .time = 1000, .tx_count = 0 };
    ledger_sha256(b.tx_root, txhash, 32);
    ledger_block_hash(&b);
    cr_assert_eq(ledger_block_put(l, &b), ST_INVALID, "no row that counts none");
    cr_assert_eq(ledger_block_commit(l), ST_INVALID, "so still no commit");
    b.tx_count = 1;
    ledger_block_hash(&b);
    cr_assert_eq(ledger_block_put(l, &b), ST_OK, "the row counting it");
    rec.hash[0] = 10;
    rec.index = 1;
    cr_assert_eq(ledger_txrec_put(l, &rec), ST_INVALID, "no transaction after the row");
    cr_assert_eq(ledger_block_commit(l), ST_OK, "commit");
    cr_assert(audit_check("hash_chain"), "the block and its one transaction");
}

/* The nonce of address as the database holds it (one more than its last stored transaction's),
 * read on a connection of its own. */
static char *stored_nonce(const uint8_t address[20])
{
    char sql[200], hex[41];
    for (int i = 0; i < 20; i++)
        snprintf(hex + 2 * i, 3, "%02x", address[i]);
    snprintf(sql, sizeof sql, "SELECT coalesce((SELECT nonce + 1 FROM transactions WHERE sender = x'%s' ORDER BY"
             " position DESC LIMIT 1), 0)", hex);
    return read_text(sql);
}

static void expect_nonce(const uint8_t address[20], uint64_t want, const char *stored, const char *what)
{
    uint64_t n = 99;
    cr_assert_eq(ledger_nonce_get(l, address, &n), ST_OK, "%s: nonce read", what);
    cr_assert_eq(n, want, "%s: the ledger says %llu, expected %llu", what, (unsigned long long)n,
                 (unsigned long long)want);
    char *text = stored_nonce(address);
    cr_assert_str_eq(text, stored, "%s: the database holds %s, expected %s", what, text, stored);
    free(text);
}

/* The transactions the open block stored through sent(), for its row. */
static uint8_t sent_hashes[8 * 32];
static uint32_t sent_count;

/* A transaction of sender that consumes its next nonce, as the engine applies one: the bump, then
 * the transaction stored with the nonce it consumed. */
static void sent(const uint8_t sender[20])
{
    uint64_t nonce;
    cr_assert_lt(sent_count, 8, "room for the block's hashes");
    cr_assert_eq(ledger_nonce_get(l, sender, &nonce), ST_OK, "nonce read");
    cr_assert_eq(ledger_nonce_bump(l, sender), ST_OK, "bump");
    ledger_txrec rec = { .index = sent_count, .has_sender = true, .nonce = nonce, .type = "Test", .body = "{}",
                         .success = true, .events = "[]" };
    memcpy(rec.sender, sender, 20);
    rec.hash[0] = 0x5e;
    rec.hash[1] = sender[0];
    rec.hash[2] = (uint8_t)nonce;
    cr_assert_eq(ledger_txrec_put(l, &rec), ST_OK, "txrec");
    memcpy(sent_hashes + 32 * sent_count++, rec.hash, 32);
}

/* The open block's row, counting what sent() stored in it. */
static void put_sent_block(uint64_t height)
{
    ledger_block b = { .height = height, .time = 1000 + height, .tx_count = sent_count }, parent;
    if (height > 0) {
        cr_assert_eq(ledger_block_get(l, height - 1, &parent), ST_OK, "parent");
        memcpy(b.parent, parent.hash, 32);
    }
    ledger_sha256(b.tx_root, sent_hashes, 32 * (size_t)sent_count);
    ledger_block_hash(&b);
    cr_assert_eq(ledger_block_put(l, &b), ST_OK, "block");
    sent_count = 0;
}

Test(ledger_books, nonces_bumped_in_a_block_are_seen_at_once_and_kept_by_their_transactions)
{
    uint8_t txhash[32] = { 7 };
    cr_assert_eq(ledger_block_begin(l, 0), ST_OK, "begin");
    sent(alice);
    sent(alice);
    sent(bob);
    expect_nonce(alice, 2, "0", "two in the open block");
    /* a transaction rolled back after the bump leaves it: the engine bumps outside the savepoint */
    cr_assert_eq(ledger_tx_begin(l, txhash), ST_OK, "tx begin");
    cr_assert_eq(ledger_tx_end(l, false), ST_OK, "tx rolled back");
    expect_nonce(alice, 2, "0", "after a rolled-back transaction");
    put_sent_block(0);
    cr_assert_eq(ledger_block_commit(l), ST_OK, "commit");
    expect_nonce(alice, 2, "2", "committed");
    expect_nonce(bob, 1, "1", "committed");

    cr_assert_eq(ledger_block_begin(l, 1), ST_OK, "begin");
    sent(alice);
    expect_nonce(alice, 3, "2", "a bump over a stored nonce");
    ledger_block_abort(l);
    sent_count = 0;
    expect_nonce(alice, 2, "2", "the aborted block's transaction and bump are gone");

    cr_assert_eq(ledger_block_begin(l, 1), ST_OK, "begin");
    expect_nonce(alice, 2, "2", "a new block starts from the database");
    sent(alice);
    put_sent_block(1);
    cr_assert_eq(ledger_block_commit(l), ST_OK, "commit");
    expect_nonce(alice, 3, "3", "the next block's transaction");
    expect_nonce(bob, 1, "1", "untouched");
}

/* Block 0 of three transactions: first sends one, then second, then first again. */
static void block_0_sent_by(const uint8_t first[20], const uint8_t second[20])
{
    cr_assert_eq(ledger_block_begin(l, 0), ST_OK, "begin");
    sent(first);
    sent(second);
    sent(first);
    put_sent_block(0);
    cr_assert_eq(ledger_block_commit(l), ST_OK, "commit");
}

/* Nothing but the transactions keeps a nonce: an address's next is one more than its last stored
 * transaction's, whatever others sent between, and a bump whose transaction was not stored (only
 * the engine's own failure could leave one) keeps nothing. */
Test(ledger_books, a_nonce_comes_from_the_senders_last_stored_transaction)
{
    static const uint8_t carol[20] = { 0xc0 };
    block_0_sent_by(bob, alice);
    expect_nonce(bob, 2, "2", "two sent, one of alice's between them");
    expect_nonce(alice, 1, "1", "one sent");
    expect_nonce(carol, 0, "0", "none sent");
    cr_assert_eq(ledger_block_begin(l, 1), ST_OK, "begin");
    expect_nonce(carol, 0, "0", "a new address read in a block");
    cr_assert_eq(ledger_nonce_bump(l, carol), ST_OK, "bump");
    expect_nonce(carol, 1, "0", "the read then bumped nonce");
    put_block(1);
    cr_assert_eq(ledger_block_commit(l), ST_OK, "commit");
    expect_nonce(carol, 0, "0", "no transaction stored: nothing kept");
}

/* The audit's nonces_in_order: each sender's transactions numbered from 0 in chain order. */
Test(ledger_books, audit_detects_a_tampered_nonce)
{
    block_0_sent_by(alice, bob);
    cr_assert(audit_check("nonces_in_order"), "0 and 1 from alice, 0 from bob");
    tamper("UPDATE transactions SET nonce = 2 WHERE nonce = 1");
    cr_assert(!audit_check("nonces_in_order"), "a skipped nonce");
    tamper("UPDATE transactions SET nonce = NULL WHERE nonce = 2");
    cr_assert(!audit_check("nonces_in_order"), "a sender's transaction without its nonce");
}

/* SQL that rebuilds the transactions table as schema 001 made it (keyed by hash, with UNIQUE(height,
 * idx) and the deferred foreign key on height), rows kept, without its index on the sender. */
#define TRANSACTIONS_AS_OF_001                                                                               \
    "CREATE TABLE transactions_001 (hash BLOB PRIMARY KEY, height INTEGER NOT NULL REFERENCES blocks(height)" \
    " DEFERRABLE INITIALLY DEFERRED, idx INTEGER NOT NULL, sender BLOB, type TEXT NOT NULL, body TEXT NOT NULL," \
    " status INTEGER NOT NULL, error TEXT, events TEXT NOT NULL, UNIQUE (height, idx)) STRICT;"               \
    "INSERT INTO transactions_001 SELECT hash, position >> 32, position & 4294967295, sender, type, body,"     \
    " status, error, events FROM transactions;"                                                              \
    "DROP TABLE transactions; ALTER TABLE transactions_001 RENAME TO transactions;"

/* SQL that rebuilds the transfers table as schemas 001 and 010 left it (foreign keys on height,
 * debit and credit; indexes by height, debit and credit), rows kept, and the blocks without the
 * transfers_end of schema 018. */
#define TRANSFERS_AS_OF_010                                                                                     \
    "CREATE TABLE transfers_010 (id INTEGER PRIMARY KEY, height INTEGER NOT NULL REFERENCES blocks(height)"     \
    " DEFERRABLE INITIALLY DEFERRED, tx BLOB NOT NULL, debit INTEGER NOT NULL REFERENCES accounts(id),"         \
    " credit INTEGER NOT NULL REFERENCES accounts(id), amount TEXT NOT NULL, code TEXT NOT NULL) STRICT;"       \
    "INSERT INTO transfers_010 SELECT * FROM transfers; DROP TABLE transfers;"                                  \
    "ALTER TABLE transfers_010 RENAME TO transfers; CREATE INDEX transfers_by_height ON transfers(height);"      \
    "CREATE INDEX transfers_by_debit ON transfers(debit); CREATE INDEX transfers_by_credit ON transfers(credit);" \
    "ALTER TABLE blocks DROP COLUMN transfers_end;"

/* SQL that makes the nonces table of schemas 001 to 018. */
#define NONCES_AS_OF_001 "CREATE TABLE nonces (address BLOB PRIMARY KEY, nonce INTEGER NOT NULL) STRICT, WITHOUT ROWID;"

/* The locks as schema 005 made them, before 020 moved them into vote_locks. */
#define LOCKS_AS_OF_005                                                                                    \
    "DROP TABLE vote_locks; CREATE TABLE gov_locks (voter BLOB NOT NULL, proposal INTEGER NOT NULL,"       \
    " amount TEXT NOT NULL, until INTEGER NOT NULL, PRIMARY KEY (voter, proposal)) STRICT, WITHOUT ROWID;"
#define VOTES_BY_VOTER_AS_OF_012 "CREATE INDEX votes_by_voter ON votes(voter, proposal);"

/* Block 0 with three transactions, the second sent by alice, and its row. */
static void block_of_three(void)
{
    uint8_t hashes[3 * 32] = { 0 };
    cr_assert_eq(ledger_block_begin(l, 0), ST_OK, "begin");
    for (uint8_t i = 0; i < 3; i++) {
        ledger_txrec rec = { .index = i, .has_sender = i == 1, .type = "Test", .body = "{}", .success = true,
                             .events = "[]" };
        rec.hash[0] = 0x70 + i;
        memcpy(rec.sender, alice, 20);
        memcpy(hashes + 32 * i, rec.hash, 32);
        cr_assert_eq(ledger_txrec_put(l, &rec), ST_OK, "transaction %u", i);
    }
    ledger_block b = { .height = 0, .time = 1000, .tx_count = 3 };
    ledger_sha256(b.tx_root, hashes, sizeof hashes);
    ledger_block_hash(&b);
    cr_assert_eq(ledger_block_put(l, &b), ST_OK, "block");
    cr_assert_eq(ledger_block_commit(l), ST_OK, "commit");
}

/* Schema 016 keys the transactions by position, 017 drops the transfers' foreign keys and 018 ends
 * each block's transfers in its row: a database of version 15 is rebuilt with every transaction
 * kept, at its height and index, still found by hash, by block and by sender, and every transfer
 * with its id, still walked by account and by height. */
Test(ledger_books, migrations_16_to_18_rebuild_the_transactions_and_the_transfers)
{
    ledger_account issuance = ledger_system_account(LEDGER_ISSUANCE), a = ledger_user_account(LEDGER_FREE, alice);
    block_of_three();
    cr_assert_eq(block_with(1, &issuance, &a, "5"), ST_OK, "block 1 mints to alice");
    ledger_close(l);
    l = NULL;
    tamper(TRANSACTIONS_AS_OF_001 "CREATE INDEX transactions_by_sender_position ON transactions(sender, height, idx);"
           TRANSFERS_AS_OF_010 NONCES_AS_OF_001 LOCKS_AS_OF_005 VOTES_BY_VOTER_AS_OF_012 "PRAGMA user_version = 15");
    char err[256] = "";
    cr_assert_eq(ledger_open(&l, err, sizeof err, th_ledger_path()), ST_OK, "migrates: %s", err);
    ledger_txrec *recs;
    size_t n;
    cr_assert_eq(ledger_txrec_list_block(l, 0, &recs, &n), ST_OK, "block 0's transactions");
    cr_assert_eq(n, 3, "all three kept");
    for (uint32_t i = 0; i < 3; i++) {
        cr_assert(recs[i].height == 0 && recs[i].index == i && recs[i].hash[0] == 0x70 + i, "transaction %u in place", i);
        cr_assert_eq(recs[i].has_sender, i == 1, "transaction %u's sender", i);
        ledger_txrec_clear(&recs[i]);
    }
    free(recs);
    ledger_txrec rec;
    const uint8_t block1_tx[32] = { 1, 1 };
    cr_assert_eq(ledger_txrec_get(l, block1_tx, &rec), ST_OK, "block 1's transaction by hash");
    cr_assert(rec.height == 1 && rec.index == 0 && rec.success, "at height 1, index 0");
    ledger_txrec_clear(&rec);
    ledger_position page[4];
    unsigned got;
    bool more;
    cr_assert_eq(ledger_history_page(l, alice, false, 0, 0, 4, page, &got, &more), ST_OK, "alice's history");
    cr_assert(got == 2 && page[0].height == 1 && page[1].height == 0 && page[1].index == 1, "sent at 0/1, minted to at 1/0");
    cr_assert(audit_check("hash_chain"), "the chain still holds over the rebuilt tables");
    cr_assert(audit_check("accounts_match_transfers") && audit_check("debits_equal_credits"), "and the books");
    expect_text("SELECT count(*) FROM pragma_foreign_key_list('transfers')", "0", "the transfers without foreign keys");
    expect_text("SELECT group_concat(transfers_end) FROM blocks", "0,1", "each block's last transfer id (schema 018)");
    mpz_t issued;
    mpz_init(issued);
    cr_assert_eq(ledger_system_balance_at(l, LEDGER_ISSUANCE, 0, issued), ST_OK, "issuance at block 0");
    cr_assert_eq(mpz_sgn(issued), 0, "nothing minted by block 0");
    cr_assert_eq(ledger_system_balance_at(l, LEDGER_ISSUANCE, 1, issued), ST_OK, "issuance at block 1");
    cr_assert_eq(mpz_cmp_si(issued, -5), 0, "5 minted at block 1");
    mpz_clear(issued);
    expect_text("SELECT group_concat(name, ' ') FROM pragma_index_list('transactions') ORDER BY name", "transactions_by_sender_position sqlite_autoindex_transactions_1", "the hash's and the sender's");
}

/* Schema 019 reads a sender's next nonce from its last transaction: a database of version 18 (the
 * nonces table; transactions without their nonce, whose bodies carry it) gets each transaction's
 * nonce from its body and loses the table, and every sender's next nonce stays what it was. */
Test(ledger_books, migration_19_moves_the_nonces_into_the_senders_transactions)
{
    static const char *const bodies[3] = { "{\"type\":\"T\",\"message\":{\"to\":\"0x01\",\"nonce\":\"0\"},\"signature\":\"0x\"}",
                                           "{\"type\":\"T\",\"message\":{\"nonce\":\"0\"},\"signature\":\"0x\"}",
                                           "{\"type\":\"T\",\"message\":{\"nonce\":\"1\",\"to\":\"0x02\"},\"signature\":\"0x\"}" };
    static const uint8_t *const senders[3] = { alice, bob, alice };
    uint8_t hashes[3 * 32] = { 0 };
    cr_assert_eq(ledger_block_begin(l, 0), ST_OK, "begin");
    for (uint32_t i = 0; i < 3; i++) {
        ledger_txrec rec = { .index = i, .has_sender = true, .type = "T", .body = strdup(bodies[i]), .success = true,
                             .events = "[]" };
        cr_assert_not_null(rec.body, "memory");
        rec.hash[0] = (uint8_t)(0x90 + i);
        memcpy(rec.sender, senders[i], 20);
        memcpy(hashes + 32 * i, rec.hash, 32);
        cr_assert_eq(ledger_txrec_put(l, &rec), ST_OK, "transaction %u", i);
        free(rec.body);
    }
    ledger_block b = { .height = 0, .time = 1000, .tx_count = 3 };
    ledger_sha256(b.tx_root, hashes, sizeof hashes);
    ledger_block_hash(&b);
    cr_assert_eq(ledger_block_put(l, &b), ST_OK, "block");
    cr_assert_eq(ledger_block_commit(l), ST_OK, "commit");
    ledger_close(l);
    l = NULL;
    tamper("DROP INDEX transactions_by_sender_position; ALTER TABLE transactions DROP COLUMN nonce;"
           "CREATE INDEX transactions_by_sender_position ON transactions(sender, position);" NONCES_AS_OF_001
           "INSERT INTO nonces VALUES(x'a100000000000000000000000000000000000000', 2),"
           " (x'b000000000000000000000000000000000000000', 1);" LOCKS_AS_OF_005 VOTES_BY_VOTER_AS_OF_012
           "PRAGMA user_version = 18");
    char err[256] = "";
    cr_assert_eq(ledger_open(&l, err, sizeof err, th_ledger_path()), ST_OK, "migrates: %s", err);
    expect_nonce(alice, 2, "2", "alice's two transactions");
    expect_nonce(bob, 1, "1", "bob's one");
    expect_text("SELECT group_concat(nonce) FROM (SELECT nonce FROM transactions ORDER BY position)", "0,0,1",
                "each transaction's nonce from its body");
    expect_text("SELECT count(*) FROM sqlite_schema WHERE name = 'nonces'", "0", "the nonces table is gone");
    expect_text("SELECT group_concat(name) FROM pragma_index_info('transactions_by_sender_position')",
                "sender,position,nonce", "the sender's index carries the nonce");
}

#define ALICE_HEX "a100000000000000000000000000000000000000"

/* Schema 020 moves the locks into vote_locks, a row for each vote keyed by voter: a database of
 * version 19 (gov_locks; the votes_by_voter index) keeps each vote's lock, gains a row that locks
 * nothing for a vote without one, keeps an undelegation's lock (proposal 0), and still lists the
 * voter's votes. */
Test(ledger_books, migration_20_moves_the_locks_beside_each_vote)
{
    ledger_close(l);
    l = NULL;
    tamper(LOCKS_AS_OF_005 VOTES_BY_VOTER_AS_OF_012
           "INSERT INTO votes(proposal, voter, support, conviction, power, weight)"
           " VALUES(1, x'" ALICE_HEX "', 1, 2, '5', '10'), (2, x'" ALICE_HEX "', 0, 0, '5', '0');"
           "INSERT INTO gov_locks VALUES(x'" ALICE_HEX "', 1, '5', 100), (x'" ALICE_HEX "', 0, '7', 200);"
           "PRAGMA user_version = 19");
    char err[256] = "";
    cr_assert_eq(ledger_open(&l, err, sizeof err, th_ledger_path()), ST_OK, "migrates: %s", err);
    expect_text("SELECT group_concat(proposal || ':' || amount || ':' || until, ' ') FROM vote_locks", "0:7:200 1:5:100 2:0:0",
                "the undelegation's lock, the vote's lock, and a row for the vote that locks nothing");
    expect_text("SELECT count(*) FROM sqlite_schema WHERE name IN ('gov_locks', 'votes_by_voter')", "0",
                "the table and the index are gone");
    uint64_t proposals[4];
    unsigned n = 0;
    bool more = true;
    cr_assert_eq(ledger_votes_by_page(l, alice, false, 0, 4, proposals, &n, &more), ST_OK, "alice's votes");
    cr_assert(n == 2 && proposals[0] == 2 && proposals[1] == 1 && !more, "both votes, newest first, not the lock (%u)", n);
    cr_assert(audit_check("votes_match_their_locks"), "every vote with its row");
}

Test(ledger_books, migration_8_rescales_the_reward_accumulator_by_10_to_the_42)
{
    ledger_close(l);
    l = NULL;
    /* a database as version 7 left it (without what migrations 9 to 15 changed): acc,
     * acc_rem and debt scaled by 10^36 */
    tamper(TRANSFERS_AS_OF_010
           "INSERT INTO pools(id, owner, commission_ppm, capacity, shares, acc, acc_rem, stake, created_height) "
           "VALUES(1, x'01', 0, '100', '30', '333', '10', '30', 1), (2, x'02', 0, '100', '0', '0', '0', '0', 1);"
           "INSERT INTO stakes(pool, address, shares, debt) VALUES(1, x'0a', '10', '3330'), (1, x'0b', '20', '0');"
           "DROP TABLE worker_allowlist; DROP TABLE worker_registrations; ALTER TABLE workers DROP COLUMN score;"
           "ALTER TABLE workers DROP COLUMN value; ALTER TABLE workers DROP COLUMN started;"
           "ALTER TABLE workers DROP COLUMN judged_from; ALTER TABLE pools DROP COLUMN description;"
           "DROP TABLE pool_contributors; CREATE INDEX transfers_by_tx ON transfers(tx);"
           LOCKS_AS_OF_005 TRANSACTIONS_AS_OF_001 "CREATE INDEX transactions_by_sender ON transactions(sender);"
           "DROP INDEX proposals_by_state; DROP TABLE secret_counts; ALTER TABLE enclaves DROP COLUMN ballot_key;"
           "ALTER TABLE enclaves DROP COLUMN ballot_key_sig; ALTER TABLE votes DROP COLUMN ciphertext; DROP TABLE polls; ALTER TABLE votes DROP COLUMN choice;"
           NONCES_AS_OF_001 "PRAGMA user_version = 7");
    char err[256] = "";
    cr_assert_eq(ledger_open(&l, err, sizeof err, th_ledger_path()), ST_OK, "migrates: %s", err);
    const char *zeros = "000000000000000000000000000000000000000000";
    char expected[64];
    snprintf(expected, sizeof expected, "333%s", zeros);
    expect_text("SELECT acc FROM pools WHERE id = 1", expected, "acc times 10^42");
    snprintf(expected, sizeof expected, "10%s", zeros);
    expect_text("SELECT acc_rem FROM pools WHERE id = 1", expected, "the carried remainder times 10^42");
    snprintf(expected, sizeof expected, "3330%s", zeros);
    expect_text("SELECT debt FROM stakes WHERE address = x'0a'", expected, "debt times 10^42");
    expect_text("SELECT acc || '/' || acc_rem FROM pools WHERE id = 2", "0/0", "zero stays the canonical 0");
    expect_text("SELECT debt FROM stakes WHERE address = x'0b'", "0", "a zero debt stays 0");
}

/* Amounts bind as their canonical decimal text: zero as "0" (bound without GMP), and a value after
 * a zero in the same statement. */
Test(ledger_books, amounts_bind_as_canonical_decimal_text)
{
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(ledger_sqlite(l), "SELECT ?1 || '/' || typeof(?1) || '/' || ?2", -1, &st, NULL),
                 SQLITE_OK, "prepare");
    mpz_t zero, max;
    mpz_init(zero);
    mpz_init_set_str(max, "115792089237316195423570985008687907853269984665640564039457584007913129639935", 10);
    cr_assert_eq(ledger_bind_mpzs(st, 1, zero, max, NULL), ST_OK, "bind");
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "step");
    cr_assert_str_eq((const char *)sqlite3_column_text(st, 0),
                     "0/text/115792089237316195423570985008687907853269984665640564039457584007913129639935", "as text");
    sqlite3_reset(st);
    cr_assert_eq(ledger_bind_mpzs(st, 1, max, zero, NULL), ST_OK, "bind again, the other way");
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "step");
    cr_assert_str_eq((const char *)sqlite3_column_text(st, 0),
                     "115792089237316195423570985008687907853269984665640564039457584007913129639935/text/0", "swapped");
    sqlite3_finalize(st);
    mpz_clears(zero, max, NULL);
}

Test(ledger_books, meta_values_round_trip)
{
    char *v = NULL;
    cr_assert_eq(ledger_meta_get(l, "absent", &v), ST_NOTFOUND, "absent key");
    cr_assert_eq(ledger_meta_set(l, "k", "one"), ST_OK, "set");
    cr_assert_eq(ledger_meta_set(l, "k", "two"), ST_OK, "overwrite");
    cr_assert_eq(ledger_meta_get(l, "k", &v), ST_OK, "get");
    cr_assert_str_eq(v, "two", "latest value");
    free(v);
}

/* Asserts that ledger_user_balances says what ledger_nonce_get and ledger_balance say of address. */
static void expect_user_balances(const uint8_t address[20], const char *what)
{
    static const int kinds[3] = { LEDGER_FREE, LEDGER_ESCROW, LEDGER_CLAIMABLE };
    uint64_t nonce = 99, want_nonce = 98;
    mpz_t b[3];
    mpz_inits(b[0], b[1], b[2], NULL);
    mpz_set_ui(b[1], 12345); /* stale values must not survive */
    cr_assert_eq(ledger_user_balances(l, address, &nonce, b), ST_OK, "%s: user balances", what);
    cr_assert_eq(ledger_nonce_get(l, address, &want_nonce), ST_OK);
    cr_assert_eq(nonce, want_nonce, "%s: nonce %llu, expected %llu", what, (unsigned long long)nonce,
                 (unsigned long long)want_nonce);
    for (int i = 0; i < 3; i++) {
        ledger_account a = ledger_user_account(kinds[i], address);
        char *want = balance_of(&a), *have = mpz_get_str(NULL, 10, b[i]);
        cr_assert_str_eq(have, want, "%s: balance of kind %d is %s, expected %s", what, kinds[i], have, want);
        free(want);
        free(have);
    }
    mpz_clears(b[0], b[1], b[2], NULL);
}

Test(ledger_books, user_balances_in_one_statement_match_the_nonce_and_each_balance)
{
    static const uint8_t carol[20] = { 0xca };
    ledger_account issuance = ledger_system_account(LEDGER_ISSUANCE), treasury = ledger_system_account(LEDGER_TREASURY);
    ledger_account a_free = ledger_user_account(LEDGER_FREE, alice), a_escrow = ledger_user_account(LEDGER_ESCROW, alice);
    ledger_account a_claim = ledger_user_account(LEDGER_CLAIMABLE, alice), b_free = ledger_user_account(LEDGER_FREE, bob);
    ledger_account pool_stake = ledger_pool_account(LEDGER_POOL_STAKE, 1);
    expect_user_balances(alice, "an address never seen");
    cr_assert_eq(block_with(0, &issuance, &a_free, "1000000000000000000000"), ST_OK);
    cr_assert_eq(block_with(1, &a_free, &a_escrow, "250"), ST_OK);
    cr_assert_eq(block_with(2, &issuance, &a_claim, "7"), ST_OK);
    cr_assert_eq(block_with(3, &a_free, &b_free, "1"), ST_OK);
    cr_assert_eq(block_with(4, &a_free, &pool_stake, "2"), ST_OK);
    cr_assert_eq(block_with(5, &issuance, &treasury, "3"), ST_OK);
    cr_assert_eq(ledger_block_begin(l, 6), ST_OK);
    sent(alice);
    sent(alice);
    put_sent_block(6);
    cr_assert_eq(ledger_block_commit(l), ST_OK);
    expect_user_balances(alice, "all three accounts and a nonce");
    expect_user_balances(bob, "a free balance only, no nonce");
    expect_user_balances(carol, "nothing");
    /* inside a block, the block's memos count too */
    uint8_t txhash[32] = { 9 };
    cr_assert_eq(ledger_block_begin(l, 7), ST_OK);
    cr_assert_eq(ledger_nonce_bump(l, alice), ST_OK);
    cr_assert_eq(ledger_tx_begin(l, txhash), ST_OK);
    cr_assert_eq(move(&a_escrow, &a_free, "50"), ST_OK);
    cr_assert_eq(move(&issuance, &a_claim, "1"), ST_OK);
    cr_assert_eq(ledger_tx_end(l, true), ST_OK);
    uint64_t nonce;
    mpz_t b[3];
    mpz_inits(b[0], b[1], b[2], NULL);
    cr_assert_eq(ledger_user_balances(l, alice, &nonce, b), ST_OK);
    cr_assert_eq(nonce, 3);
    cr_assert_eq(mpz_cmp_ui(b[1], 200), 0, "escrow in the open block");
    cr_assert_eq(mpz_cmp_ui(b[2], 8), 0, "claimable in the open block");
    mpz_clears(b[0], b[1], b[2], NULL);
    expect_user_balances(alice, "in the open block");
    ledger_block_abort(l);
    expect_user_balances(alice, "after the block's abort");
}

/* Whether the ledger's connection is inside a transaction. */
static bool in_transaction(void)
{
    return sqlite3_get_autocommit(ledger_sqlite(l)) == 0;
}

Test(ledger_books, a_kept_read_transaction_lasts_until_released_or_the_next_write)
{
    mint_ten_to_alice();
    cr_assert_eq(ledger_read_begin(l), ST_OK);
    ledger_read_keep(l);
    ledger_read_end(l);
    cr_assert(in_transaction(), "kept past its end");
    cr_assert(!ledger_reading(l), "with no read in it");
    cr_assert_eq(ledger_read_begin(l), ST_OK, "a read joins it");
    ledger_account alice_free = ledger_user_account(LEDGER_FREE, alice);
    expect_balance(&alice_free, "10", "read in the kept transaction");
    ledger_read_end(l);
    cr_assert(in_transaction(), "still kept");
    ledger_read_release(l);
    cr_assert(!in_transaction(), "released");

    /* a write outside a block closes it first, and commits on its own */
    cr_assert_eq(ledger_read_begin(l), ST_OK);
    ledger_read_keep(l);
    ledger_read_end(l);
    cr_assert_eq(ledger_meta_set(l, "kept", "written"), ST_OK, "a write");
    cr_assert(!in_transaction(), "the write closed the kept transaction and committed");
    expect_text("SELECT value FROM meta WHERE key = 'kept'", "written", "another connection sees the write at once");
    ledger_read_release(l); /* nothing left to release */
    cr_assert(!in_transaction());

    /* so does ledger_exec, and a block's begin */
    cr_assert_eq(ledger_read_begin(l), ST_OK);
    ledger_read_keep(l);
    ledger_read_end(l);
    cr_assert_eq(ledger_exec(l, "PRAGMA wal_autocheckpoint=1000"), ST_OK);
    cr_assert(!in_transaction(), "ledger_exec closed it");
    cr_assert_eq(ledger_read_begin(l), ST_OK);
    ledger_read_keep(l);
    ledger_read_end(l);
    ledger_account a = ledger_user_account(LEDGER_FREE, alice), b = ledger_user_account(LEDGER_FREE, bob);
    cr_assert_eq(block_with(1, &a, &b, "4"), ST_OK, "a block after a kept read");
    cr_assert(!in_transaction(), "the block committed: nothing left open");
    expect_text("SELECT credits FROM accounts WHERE owner = x'b000000000000000000000000000000000000000'", "4", "the block is in the database");
    /* keeping ends with the release: a read after it closes at its end */
    ledger_read_release(l);
    cr_assert_eq(ledger_read_begin(l), ST_OK);
    ledger_read_end(l);
    cr_assert(!in_transaction(), "not kept once released");
}
