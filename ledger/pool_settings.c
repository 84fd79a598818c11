/* SPDX-License-Identifier: MIT */
/* pool_settings.c: storage of what a pool's owner sets beside commission and capacity (schema 009):
 * its description and its contributor allowlist. Rows only: the rules are in engine/staking_tx.c. */
#include "ledger/ledger_int.h"

#include <stdlib.h>
#include <string.h>
#include "ledger/stakes.h"

int ledger_pool_description_get(ledger *l, uint64_t pool, char **text)
{
    static const char sql[] = "SELECT description FROM pools WHERE id = ?1";
    sqlite3_stmt *st = ledger_stmt(l, STMT_POOL_DESC_GET, sql);
    if (!st)
        return ST_DB;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)pool);
    int rc = ledger_step_row(st);
    if (rc != ST_OK)
        return rc;
    *text = ledger_column_strdup(st, 0);
    sqlite3_reset(st);
    return *text ? ST_OK : ST_NOMEM;
}

int ledger_pool_description_set(ledger *l, uint64_t pool, const char *text)
{
    ARG_CHECK(l->in_block);
    static const char sql[] = "UPDATE pools SET description = ?2 WHERE id = ?1";
    sqlite3_stmt *st = ledger_stmt(l, STMT_POOL_DESC_SET, sql);
    if (!st)
        return ST_DB;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)pool);
    sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
    return ledger_step_done(st);
}

/* Binds (pool, address) to ?1, ?2 of st. */
static void bind_entry(sqlite3_stmt *st, uint64_t pool, const uint8_t address[LEDGER_ADDR_LEN])
{
    sqlite3_bind_int64(st, 1, (sqlite3_int64)pool);
    sqlite3_bind_blob(st, 2, address, LEDGER_ADDR_LEN, SQLITE_STATIC);
}

int ledger_pool_contributor_add(ledger *l, uint64_t pool, const uint8_t address[LEDGER_ADDR_LEN])
{
    ARG_CHECK(l->in_block);
    static const char sql[] = "INSERT INTO pool_contributors(pool, address) VALUES(?1, ?2) ON CONFLICT DO NOTHING";
    sqlite3_stmt *st = ledger_stmt(l, STMT_POOL_CONTRIB_ADD, sql);
    if (!st)
        return ST_DB;
    bind_entry(st, pool, address);
    return ledger_step_done(st);
}

int ledger_pool_contributor_remove(ledger *l, uint64_t pool, const uint8_t address[LEDGER_ADDR_LEN])
{
    ARG_CHECK(l->in_block);
    static const char sql[] = "DELETE FROM pool_contributors WHERE pool = ?1 AND address = ?2";
    sqlite3_stmt *st = ledger_stmt(l, STMT_POOL_CONTRIB_REMOVE, sql);
    if (!st)
        return ST_DB;
    bind_entry(st, pool, address);
    return ledger_step_done(st);
}

int ledger_pool_contributor_count(ledger *l, uint64_t pool, unsigned *n)
{
    static const char sql[] = "SELECT count(*) FROM pool_contributors WHERE pool = ?1";
    sqlite3_stmt *st = ledger_stmt(l, STMT_POOL_CONTRIB_COUNT, sql);
    if (!st)
        return ST_DB;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)pool);
    uint64_t count = 0;
    int rc = ledger_step_u64(st, &count);
    *n = (unsigned)count;
    return rc;
}

int ledger_pool_contributor_has(ledger *l, uint64_t pool, const uint8_t address[LEDGER_ADDR_LEN], bool *has)
{
    static const char sql[] = "SELECT 1 FROM pool_contributors WHERE pool = ?1 AND address = ?2";
    sqlite3_stmt *st = ledger_stmt(l, STMT_POOL_CONTRIB_HAS, sql);
    if (!st)
        return ST_DB;
    bind_entry(st, pool, address);
    return ledger_step_exists(st, has);
}

/* An allowlist row: its address. */
static int read_address(sqlite3_stmt *st, void *row, const void *ctx)
{
    (void)ctx;
    if (sqlite3_column_bytes(st, 0) != LEDGER_ADDR_LEN)
        return ST_DB;
    memcpy(row, sqlite3_column_blob(st, 0), LEDGER_ADDR_LEN);
    return ST_OK;
}

int ledger_pool_contributor_list(ledger *l, uint64_t pool, uint8_t (*out)[LEDGER_ADDR_LEN], unsigned cap, unsigned *n)
{
    static const char sql[] = "SELECT address FROM pool_contributors WHERE pool = ?1 ORDER BY address LIMIT ?2";
    sqlite3_stmt *st = ledger_stmt(l, STMT_POOL_CONTRIB_LIST, sql);
    if (!st)
        return ST_DB;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)pool);
    return ledger_read_rows(st, 2, out, LEDGER_ADDR_LEN, cap, read_address, NULL, n, NULL);
}
