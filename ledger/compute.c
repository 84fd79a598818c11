/* SPDX-License-Identifier: MIT */
/* compute.c: rows of heartbeats and payment channels (see compute.h). */
#include "ledger/ledger_int.h"

#include <string.h>
#include "ledger/compute.h"

void ledger_channel_init(ledger_channel *c)
{
    memset(c, 0, sizeof *c);
    mpz_inits(c->deposit, c->redeemed, c->paid, NULL);
}

void ledger_channel_clear(ledger_channel *c)
{
    mpz_clears(c->deposit, c->redeemed, c->paid, NULL);
}

#define CHANNEL_COLUMNS "id, client, worker, deposit, redeemed, paid, close_at, closed, opened_height"

static int bind_channel(sqlite3_stmt *st, const ledger_channel *c)
{
    sqlite3_bind_int64(st, 1, (sqlite3_int64)c->id);
    sqlite3_bind_blob(st, 2, c->client, 20, SQLITE_STATIC);
    sqlite3_bind_blob(st, 3, c->worker, 20, SQLITE_STATIC);
    if (ledger_bind_mpz(st, 4, c->deposit) != ST_OK || ledger_bind_mpz(st, 5, c->redeemed) != ST_OK
        || ledger_bind_mpz(st, 6, c->paid) != ST_OK)
        return ST_NOMEM;
    if (c->closing)
        sqlite3_bind_int64(st, 7, (sqlite3_int64)c->close_at);
    else
        sqlite3_bind_null(st, 7);
    sqlite3_bind_int(st, 8, c->closed);
    sqlite3_bind_int64(st, 9, (sqlite3_int64)c->opened_height);
    return ST_OK;
}

int ledger_channel_insert(ledger *l, ledger_channel *c)
{
    ARG_CHECK(l->in_block);
    static const char sql[] = "INSERT INTO channels(" CHANNEL_COLUMNS ") VALUES((SELECT coalesce(max(id), 0) + 1 "
                              "FROM channels), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING id";
    sqlite3_stmt *st = ledger_stmt(l, STMT_CHANNEL_INSERT, sql);
    if (!st)
        return ST_DB;
    int rc = bind_channel(st, c);
    if (rc == ST_OK)
        rc = sqlite3_step(st) == SQLITE_ROW ? ST_OK : ST_DB;
    if (rc == ST_OK)
        c->id = (uint64_t)sqlite3_column_int64(st, 0);
    while (rc == ST_OK && sqlite3_step(st) == SQLITE_ROW)
        ;
    sqlite3_reset(st);
    return rc;
}

int ledger_channel_get(ledger *l, uint64_t id, ledger_channel *c)
{
    static const char sql[] = "SELECT " CHANNEL_COLUMNS " FROM channels WHERE id = ?1";
    sqlite3_stmt *st = ledger_stmt(l, STMT_CHANNEL_GET, sql);
    if (!st)
        return ST_DB;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
    int step = sqlite3_step(st), rc = ST_OK;
    if (step == SQLITE_DONE)
        rc = ST_NOTFOUND;
    else if (step != SQLITE_ROW || sqlite3_column_bytes(st, 1) != 20 || sqlite3_column_bytes(st, 2) != 20)
        rc = ST_DB;
    else {
        c->id = (uint64_t)sqlite3_column_int64(st, 0);
        memcpy(c->client, sqlite3_column_blob(st, 1), 20);
        memcpy(c->worker, sqlite3_column_blob(st, 2), 20);
        if (ledger_column_mpz(st, 3, c->deposit) != ST_OK || ledger_column_mpz(st, 4, c->redeemed) != ST_OK
            || ledger_column_mpz(st, 5, c->paid) != ST_OK)
            rc = ST_DB;
        c->closing = sqlite3_column_type(st, 6) != SQLITE_NULL;
        c->close_at = (uint64_t)sqlite3_column_int64(st, 6);
        c->closed = sqlite3_column_int(st, 7) != 0;
        c->opened_height = (uint64_t)sqlite3_column_int64(st, 8);
    }
    sqlite3_reset(st);
    return rc;
}

int ledger_channel_update(ledger *l, const ledger_channel *c)
{
    ARG_CHECK(l->in_block);
    static const char sql[] = "UPDATE channels SET client = ?2, worker = ?3, deposit = ?4, redeemed = ?5, paid = ?6, "
                              "close_at = ?7, closed = ?8, opened_height = ?9 WHERE id = ?1";
    sqlite3_stmt *st = ledger_stmt(l, STMT_CHANNEL_UPDATE, sql);
    if (!st)
        return ST_DB;
    int rc = bind_channel(st, c);
    if (rc != ST_OK) {
        sqlite3_reset(st);
        return rc;
    }
    return ledger_step_done(st);
}

/* Reads up to limit ids from a one-column query; one more row sets *more. */
static int read_channel_ids(sqlite3_stmt *st, unsigned limit, uint64_t *ids, unsigned *n, bool *more)
{
    int step, rc = ST_OK;
    *n = 0;
    *more = false;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == limit) {
            *more = true;
            break;
        }
        ids[(*n)++] = (uint64_t)sqlite3_column_int64(st, 0);
    }
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        rc = ST_DB;
    sqlite3_reset(st);
    return rc;
}

int ledger_channel_due(ledger *l, uint64_t t, uint64_t *ids, unsigned cap, unsigned *n)
{
    static const char sql[] = "SELECT id FROM channels WHERE closed = 0 AND close_at <= ?1 AND redeemed = paid "
                              "ORDER BY id LIMIT ?2";
    sqlite3_stmt *st = ledger_stmt(l, STMT_CHANNEL_DUE, sql);
    if (!st)
        return ST_DB;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)t);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)cap + 1);
    bool more;
    return read_channel_ids(st, cap, ids, n, &more);
}

int ledger_channel_list(ledger *l, const uint8_t address[20], uint64_t cursor, unsigned limit, uint64_t *ids,
                        unsigned *n, bool *more)
{
    static const char sql[] = "SELECT id FROM channels WHERE (client = ?1 OR worker = ?1) AND id > ?2 "
                              "ORDER BY id LIMIT ?3";
    sqlite3_stmt *st = ledger_stmt(l, STMT_CHANNEL_LIST, sql);
    if (!st)
        return ST_DB;
    sqlite3_bind_blob(st, 1, address, 20, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)cursor);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)limit + 1);
    return read_channel_ids(st, limit, ids, n, more);
}

int ledger_heartbeat_put(ledger *l, const uint8_t worker[20], uint64_t epoch, uint64_t slot, uint32_t score)
{
    ARG_CHECK(l->in_block);
    static const char sql[] = "INSERT INTO heartbeats(worker, epoch, slot, score) VALUES(?1, ?2, ?3, ?4) "
                              "ON CONFLICT DO NOTHING";
    sqlite3_stmt *st = ledger_stmt(l, STMT_HEARTBEAT_PUT, sql);
    if (!st)
        return ST_DB;
    sqlite3_bind_blob(st, 1, worker, 20, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)epoch);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)slot);
    sqlite3_bind_int64(st, 4, score);
    int rc = ledger_step_done(st);
    if (rc == ST_OK && sqlite3_changes(l->db) == 0)
        rc = ST_CONFLICT;
    return rc;
}

int ledger_heartbeat_summary(ledger *l, const uint8_t worker[20], uint64_t epoch, uint64_t *slots, uint64_t *score_sum)
{
    static const char sql[] = "SELECT count(*), coalesce(sum(score), 0) FROM heartbeats WHERE worker = ?1 AND epoch = ?2";
    sqlite3_stmt *st = ledger_stmt(l, STMT_HEARTBEAT_SUMMARY, sql);
    if (!st)
        return ST_DB;
    sqlite3_bind_blob(st, 1, worker, 20, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)epoch);
    int rc = sqlite3_step(st) == SQLITE_ROW ? ST_OK : ST_DB;
    if (rc == ST_OK) {
        *slots = (uint64_t)sqlite3_column_int64(st, 0);
        *score_sum = (uint64_t)sqlite3_column_int64(st, 1);
    }
    sqlite3_reset(st);
    return rc;
}
