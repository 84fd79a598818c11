/* SPDX-License-Identifier: MIT */
/* pool_settings.c: storage of what a pool's owner sets beside commission and capacity (schema 009):
 * its description and its contributor allowlist. Rows only: the rules are in engine/staking_tx.c. */
#include "ledger/ledger_int.h"

#include "ledger/stakes.h"

int ledger_pool_description_get(ledger *l, uint64_t pool, char **text)
{
    static const char sql[] = "SELECT description FROM pools WHERE id = ?1";
    return ledger_step_text(ledger_query(l, STMT_POOL_DESC_GET, sql, LEDGER_VALUES(ledger_val_int(pool))), text);
}

int ledger_pool_description_set(ledger *l, uint64_t pool, const char *text)
{
    ARG_CHECK(l->in_block);
    static const char sql[] = "UPDATE pools SET description = ?2 WHERE id = ?1";
    sqlite3_stmt *st = ledger_query(l, STMT_POOL_DESC_SET, sql, LEDGER_VALUES(ledger_val_int(pool),
        ledger_val_text(text)));
    return ledger_step_done(st);
}

/* The statement id with the allowlist entry (pool, address) bound to ?1, ?2. */
static sqlite3_stmt *entry_query(ledger *l, enum ledger_stmt_id id, const char *sql, uint64_t pool,
                                 const uint8_t address[LEDGER_ADDR_LEN])
{
    return ledger_query(l, id, sql, LEDGER_VALUES(ledger_val_int(pool), ledger_val_addr(address)));
}

int ledger_pool_contributor_add(ledger *l, uint64_t pool, const uint8_t address[LEDGER_ADDR_LEN])
{
    ARG_CHECK(l->in_block);
    static const char sql[] = "INSERT INTO pool_contributors(pool, address) VALUES(?1, ?2) ON CONFLICT DO NOTHING";
    return ledger_step_done(entry_query(l, STMT_POOL_CONTRIB_ADD, sql, pool, address));
}

int ledger_pool_contributor_remove(ledger *l, uint64_t pool, const uint8_t address[LEDGER_ADDR_LEN])
{
    ARG_CHECK(l->in_block);
    static const char sql[] = "DELETE FROM pool_contributors WHERE pool = ?1 AND address = ?2";
    return ledger_step_done(entry_query(l, STMT_POOL_CONTRIB_REMOVE, sql, pool, address));
}

int ledger_pool_contributor_count(ledger *l, uint64_t pool, unsigned *n)
{
    static const char sql[] = "SELECT count(*) FROM pool_contributors WHERE pool = ?1";
    sqlite3_stmt *st = ledger_query(l, STMT_POOL_CONTRIB_COUNT, sql, LEDGER_VALUES(ledger_val_int(pool)));
    uint64_t count = 0;
    int rc = ledger_step_u64(st, &count);
    *n = (unsigned)count;
    return rc;
}

int ledger_pool_contributor_has(ledger *l, uint64_t pool, const uint8_t address[LEDGER_ADDR_LEN], bool *has)
{
    static const char sql[] = "SELECT 1 FROM pool_contributors WHERE pool = ?1 AND address = ?2";
    return ledger_step_exists(entry_query(l, STMT_POOL_CONTRIB_HAS, sql, pool, address), has);
}

int ledger_pool_contributor_list(ledger *l, uint64_t pool, uint8_t (*out)[LEDGER_ADDR_LEN], unsigned cap, unsigned *n)
{
    static const char sql[] = "SELECT address FROM pool_contributors WHERE pool = ?1 ORDER BY address LIMIT ?2";
    sqlite3_stmt *st = ledger_query(l, STMT_POOL_CONTRIB_LIST, sql, LEDGER_VALUES(ledger_val_int(pool)));
    return ledger_read_rows(st, 2, out, LEDGER_ADDR_LEN, cap, ledger_read_address, NULL, n, NULL);
}
