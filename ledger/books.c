/* SPDX-License-Identifier: MIT */
/* books.c: double-entry bookkeeping: accounts created on first use, transfers that debit one
 * account and credit another in exact u256 arithmetic (TigerBeetle's model), balances, nonces.
 * Every transfer is a row in `transfers`, so each account's totals can be re-derived and audited. */
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

/* Finds or creates the account; out: id and current totals. Reads first: most accounts exist, and
 * an upsert would rewrite the row and its index entry every time. */
static int account_load(ledger *l, const ledger_account *a, int64_t *id, mpz_t debits, mpz_t credits)
{
    static const char insert_sql[] = "INSERT INTO accounts(kind, owner, pool) VALUES(?1, ?2, ?3) RETURNING id";
    struct account_row row = { 0, debits, credits };
    int rc = account_find(l, a, &row);
    *id = row.id;
    if (rc != ST_NOTFOUND)
        return rc;
    uint64_t new_id = 0;
    rc = ledger_step_returning_id(account_query(l, STMT_ACCOUNT_INSERT, insert_sql, a), &new_id);
    *id = (int64_t)new_id;
    mpz_set_ui(debits, 0);
    mpz_set_ui(credits, 0);
    return rc;
}

static int account_store(ledger *l, enum ledger_stmt_id id_stmt, const char *sql, int64_t id, const mpz_t value)
{
    char buf[LEDGER_AMOUNT_STRLEN];
    ledger_amount_format(buf, value);
    return ledger_step_done(ledger_query(l, id_stmt, sql, LEDGER_VALUES(ledger_val_text(buf), ledger_val_int(id))));
}

int ledger_transfer(ledger *l, const ledger_account *debit, const ledger_account *credit,
                    const mpz_t amount, const char *code)
{
    ARG_CHECK(l->in_block && l->in_tx);
    if (mpz_sgn(amount) <= 0 || !ledger_amount_fits(amount))
        return ST_INVALID;
    if (memcmp(debit, credit, sizeof *debit) == 0)
        return ST_INVALID;
    int64_t did, cid;
    mpz_t dd, dc, cd, cc;
    mpz_inits(dd, dc, cd, cc, NULL);
    int rc = account_load(l, debit, &did, dd, dc);
    if (rc == ST_OK)
        rc = account_load(l, credit, &cid, cd, cc);
    if (rc != ST_OK)
        goto out;
    /* the debit side's new debits; its balance credits - debits must stay >= 0 (but issuance) */
    if ((rc = ledger_amount_add(dd, dd, amount)) != ST_OK)
        goto out;
    if (debit->kind != LEDGER_ISSUANCE && mpz_cmp(dd, dc) > 0) {
        rc = ST_INSUFFICIENT;
        goto out;
    }
    if ((rc = ledger_amount_add(cc, cc, amount)) != ST_OK)
        goto out;
    static const char debit_sql[] = "UPDATE accounts SET debits = ?1 WHERE id = ?2";
    static const char credit_sql[] = "UPDATE accounts SET credits = ?1 WHERE id = ?2";
    if ((rc = account_store(l, STMT_ACCOUNT_DEBIT, debit_sql, did, dd)) != ST_OK
        || (rc = account_store(l, STMT_ACCOUNT_CREDIT, credit_sql, cid, cc)) != ST_OK)
        goto out;
    static const char insert_sql[] =
        "INSERT INTO transfers(height, tx, debit, credit, amount, code) VALUES(?1, ?2, ?3, ?4, ?5, ?6)";
    char buf[LEDGER_AMOUNT_STRLEN];
    ledger_amount_format(buf, amount);
    sqlite3_stmt *st = ledger_query(l, STMT_TRANSFER_INSERT, insert_sql, LEDGER_VALUES(ledger_val_int(l->height),
        ledger_val_hash(l->txhash), ledger_val_int(did), ledger_val_int(cid), ledger_val_text(buf), ledger_val_text(code)));
    rc = ledger_step_done(st);
out:
    mpz_clears(dd, dc, cd, cc, NULL);
    return rc;
}

int ledger_balance(ledger *l, const ledger_account *a, mpz_t balance)
{
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

int ledger_nonce_get(ledger *l, const uint8_t address[LEDGER_ADDR_LEN], uint64_t *nonce)
{
    static const char sql[] = "SELECT coalesce((SELECT nonce FROM nonces WHERE address = ?1), 0)";
    return ledger_step_u64(ledger_query(l, STMT_NONCE_GET, sql, LEDGER_VALUES(ledger_val_addr(address))), nonce);
}

int ledger_nonce_bump(ledger *l, const uint8_t address[LEDGER_ADDR_LEN])
{
    ARG_CHECK(l->in_block);
    static const char sql[] = "INSERT INTO nonces(address, nonce) VALUES(?1, 1) "
                              "ON CONFLICT(address) DO UPDATE SET nonce = nonce + 1";
    return ledger_step_done(ledger_query(l, STMT_NONCE_BUMP, sql, LEDGER_VALUES(ledger_val_addr(address))));
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
