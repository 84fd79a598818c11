/* SPDX-License-Identifier: MIT */
/* reads.c: the dashboards' read-only queries (reads.h). Each seeks an index and walks at most a page:
 * a past balance walks back from the head over one account's later transfers; an address's history
 * merges seven walks that each stop after limit + 1 transactions. Transfer ids grow with (height,
 * index in block), as rows are only ever appended in the order transactions apply, so an id bound
 * stands in for a position bound on the transfers' own indexes. */
#include "ledger/reads.h"

#include <stdlib.h>
#include <string.h>
#include "ledger/ledger_int.h"

/* Out: *first the id of the first transfer of a block after height, *any whether there is one: the
 * first after the transfers_end of the newest block at or below height (0 without one). */
static int first_transfer_after(ledger *l, uint64_t height, bool *any, uint64_t *first)
{
    static const char sql[] = "SELECT id FROM transfers WHERE id > coalesce((SELECT transfers_end FROM blocks"
                              " WHERE height <= ?1 ORDER BY height DESC LIMIT 1), 0) ORDER BY id LIMIT 1";
    int64_t id = 0;
    int rc = ledger_step_i64(ledger_query(l, STMT_READ_FIRST_AFTER, sql,
                                          LEDGER_VALUES(ledger_val_int((sqlite3_int64)height))), &id);
    *any = rc == ST_OK;
    *first = (uint64_t)id;
    return rc == ST_NOTFOUND ? ST_OK : rc;
}

int ledger_system_balance_at(ledger *l, int kind, uint64_t height, mpz_t balance)
{
    ARG_CHECK(kind == LEDGER_TREASURY || kind == LEDGER_ISSUANCE || kind == LEDGER_FEES);
    ARG_CHECK(height <= INT64_MAX);
    ledger_account a = ledger_system_account(kind);
    int rc = ledger_balance(l, &a, balance);
    bool any = false;
    uint64_t first = 0;
    if (rc == ST_OK)
        rc = first_transfer_after(l, height, &any, &first);
    if (rc != ST_OK || !any)
        return rc;
    static const char sql[] =
        "SELECT (SELECT u256_sum(amount) FROM transfers WHERE credit = a.id AND id >= ?3),"
        " (SELECT u256_sum(amount) FROM transfers WHERE debit = a.id AND id >= ?3)"
        " FROM accounts a WHERE kind = ?1 AND owner = ?2 AND pool = 0";
    mpz_t credits, debits;
    mpz_inits(credits, debits, NULL);
    rc = ledger_step_mpzs(ledger_query(l, STMT_READ_SYSTEM_MOVES, sql,
                                       LEDGER_VALUES(ledger_val_int(kind), ledger_val_addr(a.owner),
                                                     ledger_val_int((sqlite3_int64)first))),
                          credits, debits, NULL);
    if (rc == ST_OK) {
        mpz_sub(balance, balance, credits);
        mpz_add(balance, balance, debits);
    }
    mpz_clears(credits, debits, NULL);
    return rc;
}

/* A u64 bound as an SQL integer: values past INT64_MAX (no row reaches them) clamp to it. */
static ledger_value bound_value(bool has, uint64_t v)
{
    return ledger_val_int(has && v < INT64_MAX ? (sqlite3_int64)v : INT64_MAX);
}

int ledger_settlement_page(ledger *l, bool has_before, uint64_t before, unsigned limit, uint64_t *epochs, unsigned *n,
                           bool *more)
{
    static const char sql[] = "SELECT epoch FROM settlements WHERE epoch < ?1 ORDER BY epoch DESC LIMIT ?2";
    sqlite3_stmt *st = ledger_query(l, STMT_READ_EPOCHS, sql, LEDGER_VALUES(bound_value(has_before, before)));
    return ledger_read_ids(st, 2, limit, epochs, n, more);
}

int ledger_votes_by_page(ledger *l, const uint8_t voter[LEDGER_ADDR_LEN], bool has_before, uint64_t before,
                         unsigned limit, uint64_t *proposals, unsigned *n, bool *more)
{
    static const char sql[] =
        "SELECT proposal FROM vote_locks WHERE voter = ?1 AND proposal < ?2 AND proposal > 0"
        " ORDER BY proposal DESC LIMIT ?3";
    sqlite3_stmt *st =
        ledger_query(l, STMT_READ_VOTES_BY, sql, LEDGER_VALUES(ledger_val_addr(voter), bound_value(has_before, before)));
    return ledger_read_ids(st, 3, limit, proposals, n, more);
}

/* ledger_each_row's visit for ledger_block_events_of: the events column to the caller's fn. */
struct events_visit {
    int (*fn)(void *arg, const char *events);
    void *arg;
};

static int visit_events(sqlite3_stmt *st, void *ctx)
{
    const struct events_visit *v = ctx;
    const char *events = (const char *)sqlite3_column_text(st, 0);
    return events ? v->fn(v->arg, events) : ST_DB;
}

int ledger_block_events_of(ledger *l, uint64_t height, const char *type, int (*fn)(void *arg, const char *events), void *arg)
{
    static const char sql[] = "SELECT events FROM transactions WHERE position BETWEEN ?1 AND ?2 AND type = ?3 AND status = 1"
                              " ORDER BY position";
    struct events_visit v = { fn, arg };
    if (height > LEDGER_POSITION_HEIGHT_MAX)
        return ST_OK;
    sqlite3_stmt *st = ledger_query(l, STMT_READ_BLOCK_EVENTS, sql,
        LEDGER_VALUES(ledger_val_int(ledger_position_key(height, 0)), ledger_val_int(ledger_position_key(height, UINT32_MAX)),
                      ledger_val_text(type)));
    return ledger_each_row(st, visit_events, &v);
}

/* ---- an address's history ---- */

/* The positions gathered from the walks, before they are merged. */
struct gathered {
    ledger_position *items;
    unsigned n, cap;
};

static bool before_cursor(uint64_t height, uint32_t index, bool has_before, uint64_t bh, uint32_t bi)
{
    return !has_before || height < bh || (height == bh && index < bi);
}

/* Walks st (rows: height, index, hash; newest first), keeping up to want distinct transactions
 * before the cursor. Resets st. */
static int walk(sqlite3_stmt *st, struct gathered *g, unsigned want, bool has_before, uint64_t bh, uint32_t bi)
{
    if (!st)
        return ST_DB;
    unsigned kept = 0;
    const uint8_t *last = NULL;
    int step;
    while (kept < want && (step = sqlite3_step(st)) == SQLITE_ROW) {
        ledger_position p = { (uint64_t)sqlite3_column_int64(st, 0), (uint32_t)sqlite3_column_int64(st, 1), { 0 } };
        const void *hash = sqlite3_column_blob(st, 2);
        if (!hash || sqlite3_column_bytes(st, 2) != LEDGER_HASH_LEN || g->n == g->cap) {
            sqlite3_reset(st);
            return ST_DB;
        }
        memcpy(p.hash, hash, LEDGER_HASH_LEN);
        if (!before_cursor(p.height, p.index, has_before, bh, bi) || (last && memcmp(last, p.hash, LEDGER_HASH_LEN) == 0))
            continue;
        g->items[g->n] = p;
        last = g->items[g->n].hash;
        g->n++;
        kept++;
    }
    bool failed = kept < want && step != SQLITE_DONE;
    sqlite3_reset(st);
    return failed ? ST_DB : ST_OK;
}

/* Out: *id the ledger account id of address's account of kind, *exists whether it has one. */
static int account_id(ledger *l, int kind, const uint8_t address[LEDGER_ADDR_LEN], bool *exists, sqlite3_int64 *id)
{
    static const char sql[] = "SELECT id FROM accounts WHERE kind = ?1 AND owner = ?2 AND pool = 0";
    int64_t found = 0;
    int rc = ledger_step_i64(ledger_query(l, STMT_READ_ACCOUNT_ID, sql,
                                          LEDGER_VALUES(ledger_val_int(kind), ledger_val_addr(address))), &found);
    *exists = rc == ST_OK;
    *id = found;
    return rc == ST_NOTFOUND ? ST_OK : rc;
}

static int position_cmp_newest_first(const void *a, const void *b)
{
    const ledger_position *x = a, *y = b;
    if (x->height != y->height)
        return x->height < y->height ? 1 : -1;
    return x->index < y->index ? 1 : x->index > y->index ? -1 : 0;
}

int ledger_history_page(ledger *l, const uint8_t address[LEDGER_ADDR_LEN], bool has_before, uint64_t before_height,
                        uint32_t before_index, unsigned limit, ledger_position *out, unsigned *n, bool *more)
{
    ARG_CHECK(limit >= 1 && limit <= LEDGER_HISTORY_MAX);
    static const int kinds[] = { LEDGER_FREE, LEDGER_ESCROW, LEDGER_CLAIMABLE };
    static const char sent_sql[] = "SELECT position >> 32, position & 4294967295, hash FROM transactions"
                                   " WHERE sender = ?1 AND position < ?2 ORDER BY position DESC";
    static const char debited_sql[] = "SELECT t.height, x.position & 4294967295, t.tx FROM transfers t"
                                      " JOIN transactions x ON x.hash = t.tx WHERE t.debit = ?1 AND t.id < ?2 ORDER BY t.id DESC";
    static const char credited_sql[] = "SELECT t.height, x.position & 4294967295, t.tx FROM transfers t"
                                       " JOIN transactions x ON x.hash = t.tx WHERE t.credit = ?1 AND t.id < ?2 ORDER BY t.id DESC";
    *n = 0;
    *more = false;
    unsigned want = limit + 1;
    struct gathered g = { calloc(7 * (size_t)want, sizeof(ledger_position)), 0, 7 * want };
    if (!g.items)
        return ST_NOMEM;
    /* the sender walk bounds itself by position; a cursor past the highest height lets every row through */
    ledger_value below = ledger_val_int(has_before && before_height <= LEDGER_POSITION_HEIGHT_MAX
                                        ? ledger_position_key(before_height, before_index) : INT64_MAX);
    int rc = walk(ledger_query(l, STMT_READ_SENT, sent_sql, LEDGER_VALUES(ledger_val_addr(address), below)), &g, want,
                  has_before, before_height, before_index);
    /* transfers: every id below the first transfer of a block after the cursor's */
    bool later = false;
    uint64_t first_later = 0;
    if (rc == ST_OK && has_before)
        rc = first_transfer_after(l, before_height, &later, &first_later);
    ledger_value id_bound = ledger_val_int(later && first_later < INT64_MAX ? (sqlite3_int64)first_later : INT64_MAX);
    for (size_t k = 0; rc == ST_OK && k < sizeof kinds / sizeof kinds[0]; k++) {
        bool exists;
        sqlite3_int64 id;
        if ((rc = account_id(l, kinds[k], address, &exists, &id)) != ST_OK || !exists)
            continue;
        rc = walk(ledger_query(l, STMT_READ_DEBITED, debited_sql, LEDGER_VALUES(ledger_val_int(id), id_bound)), &g, want,
                  has_before, before_height, before_index);
        if (rc == ST_OK)
            rc = walk(ledger_query(l, STMT_READ_CREDITED, credited_sql, LEDGER_VALUES(ledger_val_int(id), id_bound)), &g,
                      want, has_before, before_height, before_index);
    }
    if (rc == ST_OK) {
        qsort(g.items, g.n, sizeof *g.items, position_cmp_newest_first);
        for (unsigned i = 0; i < g.n; i++) {
            if (*n && position_cmp_newest_first(&out[*n - 1], &g.items[i]) == 0)
                continue;
            if (*n == limit) {
                *more = true;
                break;
            }
            out[(*n)++] = g.items[i];
        }
    }
    free(g.items);
    return rc;
}
