/* SPDX-License-Identifier: MIT */
/* chain.c: blocks and their hash chain, and the stored transactions with their receipts.
 * A block's hash is sha256(height u64be || time u64be || parent || tx_root), and tx_root is
 * sha256 of its transaction hashes in order, so changing any stored transaction or block breaks
 * the chain (ledger_audit checks it). */
#include "ledger/ledger_int.h"

#include <stdlib.h>
#include <string.h>
#include "ledger/hash.h"

static void put_u64be(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

void ledger_block_hash(ledger_block *b)
{
    uint8_t header[8 + 8 + 32 + 32];
    put_u64be(header, b->height);
    put_u64be(header + 8, b->time);
    memcpy(header + 16, b->parent, 32);
    memcpy(header + 48, b->tx_root, 32);
    ledger_sha256(b->hash, header, sizeof header);
}

int ledger_block_put(ledger *l, const ledger_block *b)
{
    ARG_CHECK(l->in_block && b->height == l->height);
    static const char sql[] = "INSERT INTO blocks(height, hash, parent, time, tx_root, tx_count) "
                              "VALUES(?1, ?2, ?3, ?4, ?5, ?6)";
    sqlite3_stmt *st = ledger_stmt(l, STMT_BLOCK_PUT, sql);
    if (!st)
        return ST_DB;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)b->height);
    sqlite3_bind_blob(st, 2, b->hash, 32, SQLITE_STATIC);
    sqlite3_bind_blob(st, 3, b->parent, 32, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)b->time);
    sqlite3_bind_blob(st, 5, b->tx_root, 32, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, b->tx_count);
    int rc = sqlite3_step(st) == SQLITE_DONE ? ST_OK : ST_DB;
    sqlite3_reset(st);
    return rc;
}

static int read_block(sqlite3_stmt *st, ledger_block *b)
{
    int step = sqlite3_step(st), rc;
    if (step == SQLITE_DONE)
        rc = ST_NOTFOUND;
    else if (step != SQLITE_ROW)
        rc = ST_DB;
    else if (sqlite3_column_bytes(st, 1) != 32 || sqlite3_column_bytes(st, 2) != 32
             || sqlite3_column_bytes(st, 4) != 32)
        rc = ST_DB;
    else {
        b->height = (uint64_t)sqlite3_column_int64(st, 0);
        memcpy(b->hash, sqlite3_column_blob(st, 1), 32);
        memcpy(b->parent, sqlite3_column_blob(st, 2), 32);
        b->time = (uint64_t)sqlite3_column_int64(st, 3);
        memcpy(b->tx_root, sqlite3_column_blob(st, 4), 32);
        b->tx_count = (uint32_t)sqlite3_column_int64(st, 5);
        rc = ST_OK;
    }
    sqlite3_reset(st);
    return rc;
}

#define BLOCK_COLUMNS "SELECT height, hash, parent, time, tx_root, tx_count FROM blocks "

int ledger_block_get(ledger *l, uint64_t height, ledger_block *b)
{
    static const char sql[] = BLOCK_COLUMNS "WHERE height = ?1";
    sqlite3_stmt *st = ledger_stmt(l, STMT_BLOCK_GET, sql);
    if (!st)
        return ST_DB;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)height);
    return read_block(st, b);
}

int ledger_block_get_by_hash(ledger *l, const uint8_t hash[32], ledger_block *b)
{
    static const char sql[] = BLOCK_COLUMNS "WHERE hash = ?1";
    sqlite3_stmt *st = ledger_stmt(l, STMT_BLOCK_BY_HASH, sql);
    if (!st)
        return ST_DB;
    sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
    return read_block(st, b);
}

int ledger_block_head(ledger *l, ledger_block *b)
{
    static const char sql[] = BLOCK_COLUMNS "ORDER BY height DESC LIMIT 1";
    sqlite3_stmt *st = ledger_stmt(l, STMT_BLOCK_HEAD, sql);
    if (!st)
        return ST_DB;
    return read_block(st, b);
}

int ledger_txrec_put(ledger *l, const ledger_txrec *r)
{
    ARG_CHECK(l->in_block && !l->in_tx);
    static const char sql[] = "INSERT INTO transactions(hash, height, idx, sender, type, body, status, error, events) "
                              "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
    sqlite3_stmt *st = ledger_stmt(l, STMT_TXREC_PUT, sql);
    if (!st)
        return ST_DB;
    sqlite3_bind_blob(st, 1, r->hash, 32, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)l->height);
    sqlite3_bind_int64(st, 3, r->index);
    if (r->has_sender)
        sqlite3_bind_blob(st, 4, r->sender, 20, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, r->type, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, r->body, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 7, r->success);
    if (r->error)
        sqlite3_bind_text(st, 8, r->error, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 9, r->events ? r->events : "[]", -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    sqlite3_reset(st);
    if (step == SQLITE_CONSTRAINT)
        return ST_CONFLICT;
    return step == SQLITE_DONE ? ST_OK : ST_DB;
}

static char *column_strdup(sqlite3_stmt *st, int col)
{
    const unsigned char *s = sqlite3_column_text(st, col);
    return s ? strdup((const char *)s) : NULL;
}

static int read_txrec(sqlite3_stmt *st, ledger_txrec *r)
{
    memset(r, 0, sizeof *r);
    if (sqlite3_column_bytes(st, 0) != 32)
        return ST_DB;
    memcpy(r->hash, sqlite3_column_blob(st, 0), 32);
    r->height = (uint64_t)sqlite3_column_int64(st, 1);
    r->index = (uint32_t)sqlite3_column_int64(st, 2);
    if (sqlite3_column_bytes(st, 3) == 20) {
        r->has_sender = true;
        memcpy(r->sender, sqlite3_column_blob(st, 3), 20);
    }
    const unsigned char *type = sqlite3_column_text(st, 4);
    if (!type || (size_t)sqlite3_column_bytes(st, 4) > LEDGER_TX_TYPE_MAX)
        return ST_DB;
    memcpy(r->type, type, (size_t)sqlite3_column_bytes(st, 4) + 1);
    r->body = column_strdup(st, 5);
    r->success = sqlite3_column_int(st, 6) != 0;
    r->error = column_strdup(st, 7);
    r->events = column_strdup(st, 8);
    if (!r->body || !r->events || (!r->error && sqlite3_column_type(st, 7) != SQLITE_NULL)) {
        ledger_txrec_clear(r);
        return ST_NOMEM;
    }
    return ST_OK;
}

#define TXREC_COLUMNS "SELECT hash, height, idx, sender, type, body, status, error, events FROM transactions "

int ledger_txrec_get(ledger *l, const uint8_t hash[32], ledger_txrec *r)
{
    static const char sql[] = TXREC_COLUMNS "WHERE hash = ?1";
    sqlite3_stmt *st = ledger_stmt(l, STMT_TXREC_GET, sql);
    if (!st)
        return ST_DB;
    sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
    int step = sqlite3_step(st), rc;
    if (step == SQLITE_ROW)
        rc = read_txrec(st, r);
    else
        rc = step == SQLITE_DONE ? ST_NOTFOUND : ST_DB;
    sqlite3_reset(st);
    return rc;
}

int ledger_txrec_list_block(ledger *l, uint64_t height, ledger_txrec **recs, size_t *n)
{
    static const char sql[] = TXREC_COLUMNS "WHERE height = ?1 ORDER BY idx";
    *recs = NULL;
    *n = 0;
    sqlite3_stmt *st = ledger_stmt(l, STMT_TXREC_BLOCK, sql);
    if (!st)
        return ST_DB;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)height);
    size_t cap = 0;
    int rc = ST_OK, step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            ledger_txrec *grown = realloc(*recs, cap * sizeof **recs);
            if (!grown) {
                rc = ST_NOMEM;
                break;
            }
            *recs = grown;
        }
        if ((rc = read_txrec(st, &(*recs)[*n])) != ST_OK)
            break;
        (*n)++;
    }
    if (rc == ST_OK && step != SQLITE_DONE)
        rc = ST_DB;
    sqlite3_reset(st);
    if (rc != ST_OK) {
        for (size_t i = 0; i < *n; i++)
            ledger_txrec_clear(&(*recs)[i]);
        free(*recs);
        *recs = NULL;
        *n = 0;
    }
    return rc;
}

void ledger_txrec_clear(ledger_txrec *r)
{
    if (!r)
        return;
    free(r->body);
    free(r->error);
    free(r->events);
    memset(r, 0, sizeof *r);
}
