/* SPDX-License-Identifier: MIT */
/* books.c: double-entry bookkeeping: accounts created on first use, transfers that debit one
 * account and credit another in exact u256 arithmetic (TigerBeetle's model), balances. Every
 * transfer is a row in `transfers`, so each account's totals can be re-derived and audited. Within a
 * block the totals are kept in memory and written at its commit (account_memo.c), but for accounts
 * first used once that memory is full, whose totals are written at each transfer; nonces: nonces.c. */
#include "ledger/ledger_int.h"

#include <string.h>
#include "ledger/amount.h"

ledger_account ledger_user_account(int kind, const uint8_t owner[LEDGER_ADDR_LEN])
{
    ledger_account a = { .kind = kind };
    memcpy(a.owner, owner, LEDGER_ADDR_LEN);
    return a;
}

ledger_account ledger_pool_account(int kind, uint64_t pool)
{
    return (ledger_account){ .kind = kind, .pool = pool };
}

ledger_account ledger_system_account(int kind)
{
    return (ledger_account){ .kind = kind };
}

/* Where account_find puts the account's row. */
struct account_row {
    int64_t id;
    mpz_ptr debits;
    mpz_ptr credits;
};

/* A row of id, debits, credits: the totals are canonical amounts. */
static int read_account(sqlite3_stmt *st, void *row, const void *ctx)
{
    (void)ctx;
    struct account_row *a = row;
    a->id = sqlite3_column_int64(st, 0);
    if (ledger_amount_parse(a->debits, (const char *)sqlite3_column_text(st, 1), (size_t)sqlite3_column_bytes(st, 1))
            != ST_OK
        || ledger_amount_parse(a->credits, (const char *)sqlite3_column_text(st, 2),
                               (size_t)sqlite3_column_bytes(st, 2)) != ST_OK)
        return ST_DB;
    return ST_OK;
}

/* The statement id with the account's key (kind, owner, pool) bound to ?1, ?2, ?3. */
static sqlite3_stmt *account_query(ledger *l, enum ledger_stmt_id id, const char *sql, const ledger_account *a)
{
    return ledger_query(l, id, sql,
                        LEDGER_VALUES(ledger_val_int(a->kind), ledger_val_addr(a->owner), ledger_val_int(a->pool)));
}

/* Reads the account's id and totals. ST_OK, ST_NOTFOUND (no transfer has touched it yet) or ST_DB. */
static int account_find(ledger *l, const ledger_account *a, struct account_row *row)
{
    static const char sql[] = "SELECT id, debits, credits FROM accounts WHERE kind = ?1 AND owner = ?2 AND pool = ?3";
    return ledger_read_row(account_query(l, STMT_ACCOUNT_FIND, sql, a), row, read_account, NULL);
}

/* The account's row in the open block's memo (account_memo.c), read from the database, or created
 * there, on the block's first use of it. Reads first: most accounts exist, and an upsert would
 * rewrite the row and its index entry every time. Once the memo is full, an account it does not
 * hold is read into *through instead (its totals initialised by the caller), for the caller to
 * write back at once (ledger_memo_put). Out: *out, the memo's row (borrowed until the block ends)
 * or through. Returns: ST_OK; ST_NOMEM; ST_DB. */
static int account_load(ledger *l, const ledger_account *a, ledger_memo_row *through, ledger_memo_row **out)
{
    static const char insert_sql[] = "INSERT INTO accounts(kind, owner, pool) VALUES(?1, ?2, ?3) RETURNING id";
    if ((*out = ledger_memo_find(l, a)))
        return ST_OK;
    struct account_row row = { 0, through->debits, through->credits };
    int rc = account_find(l, a, &row);
    bool created = rc == ST_NOTFOUND;
    if (created) {
        uint64_t new_id = 0;
        rc = ledger_step_returning_id(account_query(l, STMT_ACCOUNT_INSERT, insert_sql, a), &new_id);
        row.id = (int64_t)new_id;
        mpz_set_ui(through->debits, 0);
        mpz_set_ui(through->credits, 0);
    }
    if (rc != ST_OK)
        return rc;
    if (!ledger_memo_full(l))
        return ledger_memo_add(l, a, row.id, through->debits, through->credits, created, out);
    through->key = *a;
    through->id = row.id;
    *out = through;
    return ST_OK;
}

int ledger_transfer(ledger *l, const ledger_account *debit, const ledger_account *credit,
                    const mpz_t amount, const char *code)
{
    ARG_CHECK(l->in_block && l->in_tx);
    if (mpz_sgn(amount) <= 0 || !ledger_amount_fits(amount))
        return ST_INVALID;
    if (memcmp(debit, credit, sizeof *debit) == 0)
        return ST_INVALID;
    ledger_memo_row *d, *c, through_d, through_c;
    mpz_t debits, credits;
    mpz_inits(debits, credits, through_d.debits, through_d.credits, through_c.debits, through_c.credits, NULL);
    int rc = account_load(l, debit, &through_d, &d);
    if (rc == ST_OK)
        rc = account_load(l, credit, &through_c, &c);
    if (rc != ST_OK)
        goto out;
    /* the debit side's new debits; its balance credits - debits must stay >= 0 (but issuance) */
    if ((rc = ledger_amount_add(debits, d->debits, amount)) != ST_OK)
        goto out;
    if (debit->kind != LEDGER_ISSUANCE && mpz_cmp(debits, d->credits) > 0) {
        rc = ST_INSUFFICIENT;
        goto out;
    }
    if ((rc = ledger_amount_add(credits, c->credits, amount)) != ST_OK)
        goto out;
    static const char insert_sql[] =
        "INSERT INTO transfers(height, tx, debit, credit, amount, code) VALUES(?1, ?2, ?3, ?4, ?5, ?6)";
    char buf[LEDGER_AMOUNT_STRLEN];
    ledger_amount_format(buf, amount);
    sqlite3_stmt *st = ledger_query(l, STMT_TRANSFER_INSERT, insert_sql, LEDGER_VALUES(ledger_val_int(l->height),
        ledger_val_hash(l->txhash), ledger_val_int(d->id), ledger_val_int(c->id), ledger_val_text(buf), ledger_val_text(code)));
    if ((rc = ledger_step_done(st)) != ST_OK || (d != &through_d && (rc = ledger_memo_change(l, d)) != ST_OK)
        || (c != &through_c && (rc = ledger_memo_change(l, c)) != ST_OK))
        goto out;
    l->block_moved = true;
    /* the totals reach the database at the block's commit (ledger_memo_write), or now for an
     * account the full memo does not hold */
    mpz_set(d->debits, debits);
    mpz_set(c->credits, credits);
    if (d == &through_d)
        rc = ledger_memo_put(l, d);
    if (rc == ST_OK && c == &through_c)
        rc = ledger_memo_put(l, c);
out:
    mpz_clears(debits, credits, through_d.debits, through_d.credits, through_c.debits, through_c.credits, NULL);
    return rc;
}

int ledger_balance(ledger *l, const ledger_account *a, mpz_t balance)
{
    const ledger_memo_row *kept = ledger_memo_find(l, a);
    if (kept) {
        mpz_sub(balance, kept->credits, kept->debits);
        return ST_OK;
    }
    mpz_t debits;
    mpz_init(debits);
    struct account_row row = { 0, debits, balance };
    int rc = account_find(l, a, &row);
    if (rc == ST_OK)
        mpz_sub(balance, balance, debits);
    else if (rc == ST_NOTFOUND) {
        mpz_set_ui(balance, 0);
        rc = ST_OK;
    }
    mpz_clear(debits);
    return rc;
}

int ledger_user_balances(ledger *l, const uint8_t address[LEDGER_ADDR_LEN], uint64_t *nonce, mpz_t balances[3])
{
    static const int kinds[3] = { LEDGER_FREE, LEDGER_ESCROW, LEDGER_CLAIMABLE };
    _Static_assert(LEDGER_FREE == 1 && LEDGER_ESCROW == 2 && LEDGER_CLAIMABLE == 3, "the kinds the SQL names");
    if (l->in_block) {
        /* the block's memos hold what the database does not have yet */
        int rc = ledger_nonce_get(l, address, nonce);
        for (int i = 0; i < 3 && rc == ST_OK; i++) {
            ledger_account a = ledger_user_account(kinds[i], address);
            rc = ledger_balance(l, &a, balances[i]);
        }
        return rc;
    }
    /* one seek each (an IN list would build an ephemeral table at every run) */
    static const char sql[] =
        "SELECT 1, debits, credits, NULL FROM accounts WHERE kind = 1 AND owner = ?1 AND pool = 0 UNION ALL "
        "SELECT 2, debits, credits, NULL FROM accounts WHERE kind = 2 AND owner = ?1 AND pool = 0 UNION ALL "
        "SELECT 3, debits, credits, NULL FROM accounts WHERE kind = 3 AND owner = ?1 AND pool = 0 UNION ALL "
        "SELECT 0, NULL, NULL, (SELECT nonce + 1 FROM transactions WHERE sender = ?1 ORDER BY position DESC LIMIT 1)";
    sqlite3_stmt *st = ledger_query(l, STMT_USER_BALANCES, sql, LEDGER_VALUES(ledger_val_addr(address)));
    if (!st)
        return ST_DB;
    *nonce = 0;
    for (int i = 0; i < 3; i++)
        mpz_set_ui(balances[i], 0);
    mpz_t debits;
    mpz_init(debits);
    int rc = ST_OK, step;
    while (rc == ST_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        int kind = sqlite3_column_int(st, 0);
        if (kind == 0) {
            *nonce = (uint64_t)sqlite3_column_int64(st, 3);
            continue;
        }
        struct account_row row = { 0, debits, balances[kind - 1] }; /* its id: the kind, unused */
        if ((rc = read_account(st, &row, NULL)) == ST_OK)
            mpz_sub(balances[kind - 1], balances[kind - 1], debits);
    }
    if (rc == ST_OK && step != SQLITE_DONE)
        rc = ST_DB;
    sqlite3_reset(st);
    mpz_clear(debits);
    return rc;
}

/* What ledger_accounts_each passes along to each account row. */
struct account_visit {
    ledger_account_fn fn;
    void *arg;
};

static int visit_account(sqlite3_stmt *st, void *ctx)
{
    const struct account_visit *v = ctx;
    ledger_account a = { .kind = sqlite3_column_int(st, 0), .pool = (uint64_t)sqlite3_column_int64(st, 2) };
    ledger_column_fixed(st, 1, a.owner, LEDGER_ADDR_LEN);
    return v->fn(v->arg, &a, (const char *)sqlite3_column_text(st, 3), (const char *)sqlite3_column_text(st, 4));
}

int ledger_accounts_each(ledger *l, ledger_account_fn fn, void *arg)
{
    static const char sql[] = "SELECT kind, owner, pool, debits, credits FROM accounts "
                              "WHERE debits != '0' OR credits != '0' ORDER BY kind, owner, pool";
    sqlite3_stmt *st = ledger_query(l, STMT_ACCOUNTS_EACH, sql, NULL);
    struct account_visit v = { fn, arg };
    return ledger_each_row(st, visit_account, &v);
}
