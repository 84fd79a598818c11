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
    uint8_t header[8 + 8 + LEDGER_HASH_LEN + LEDGER_HASH_LEN];
    put_u64be(header, b->height);
    put_u64be(header + 8, b->time);
    memcpy(header + 16, b->parent, LEDGER_HASH_LEN);
    memcpy(header + 16 + LEDGER_HASH_LEN, b->tx_root, LEDGER_HASH_LEN);
    ledger_sha256(b->hash, header, sizeof header);
}

int ledger_block_put(ledger *l, const ledger_block *b)
{
    ARG_CHECK(l->in_block && b->height == l->height && b->tx_count == l->block_txrecs && !l->block_row_put);
    /* transfers_end: the newest transfer id, the block's last (ids grow with height; schema 018) */
    static const char sql[] = "INSERT INTO blocks(height, hash, parent, time, tx_root, tx_count, transfers_end) "
                              "VALUES(?1, ?2, ?3, ?4, ?5, ?6, (SELECT coalesce(max(id), 0) FROM transfers))";
    sqlite3_stmt *st = ledger_query(l, STMT_BLOCK_PUT, sql, LEDGER_VALUES(ledger_val_int(b->height),
        ledger_val_hash(b->hash), ledger_val_hash(b->parent), ledger_val_int(b->time), ledger_val_hash(b->tx_root),
        ledger_val_int(b->tx_count)));
    int rc = ledger_step_done(st);
    l->block_row_put = rc == ST_OK;
    return rc;
}

/* A row of BLOCK_COLUMNS. */
static const ledger_column block_columns[] = {
    LEDGER_COLUMN(INT, ledger_block, height), LEDGER_COLUMN(BYTES, ledger_block, hash),
    LEDGER_COLUMN(BYTES, ledger_block, parent), LEDGER_COLUMN(INT, ledger_block, time),
    LEDGER_COLUMN(BYTES, ledger_block, tx_root), LEDGER_COLUMN(INT, ledger_block, tx_count), LEDGER_COLUMNS_END
};

#define BLOCK_COLUMNS "SELECT height, hash, parent, time, tx_root, tx_count FROM blocks "

int ledger_block_get(ledger *l, uint64_t height, ledger_block *b)
{
    static const char sql[] = BLOCK_COLUMNS "WHERE height = ?1";
    sqlite3_stmt *st = ledger_query(l, STMT_BLOCK_GET, sql, LEDGER_VALUES(ledger_val_int(height)));
    return ledger_read_row(st, b, ledger_read_columns, block_columns);
}

int ledger_block_get_by_hash(ledger *l, const uint8_t hash[LEDGER_HASH_LEN], ledger_block *b)
{
    static const char sql[] = BLOCK_COLUMNS "WHERE hash = ?1";
    sqlite3_stmt *st = ledger_query(l, STMT_BLOCK_BY_HASH, sql, LEDGER_VALUES(ledger_val_hash(hash)));
    return ledger_read_row(st, b, ledger_read_columns, block_columns);
}

int ledger_block_head(ledger *l, ledger_block *b)
{
    static const char sql[] = BLOCK_COLUMNS "ORDER BY height DESC LIMIT 1";
    return ledger_read_row(ledger_query(l, STMT_BLOCK_HEAD, sql, NULL), b, ledger_read_columns, block_columns);
}

int ledger_txrec_put(ledger *l, const ledger_txrec *r)
{
    ARG_CHECK(l->in_block && !l->in_tx && !l->block_row_put);
    ARG_CHECK(r->nonce <= INT64_MAX);
    static const char sql[] = "INSERT INTO transactions(position, hash, sender, type, body, status, error, events, nonce) "
                              "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
    sqlite3_stmt *st = ledger_query(l, STMT_TXREC_PUT, sql, LEDGER_VALUES(ledger_val_int(ledger_position_key(l->height,
        r->index)), ledger_val_hash(r->hash), r->has_sender ? ledger_val_addr(r->sender) : ledger_val_null(),
        ledger_val_text(r->type), ledger_val_text(r->body), ledger_val_int(r->success),
        r->error ? ledger_val_text(r->error) : ledger_val_null(), ledger_val_text(r->events ? r->events : "[]"),
        r->has_sender ? ledger_val_int((int64_t)r->nonce) : ledger_val_null()));
    int rc = ledger_step_unique(st);
    if (rc == ST_OK)
        l->block_txrecs++;
    return rc;
}

static int read_txrec(sqlite3_stmt *st, void *row, const void *ctx)
{
    (void)ctx;
    ledger_txrec *r = row;
    memset(r, 0, sizeof *r);
    if (!ledger_column_fixed(st, 0, r->hash, LEDGER_HASH_LEN))
        return ST_DB;
    r->height = (uint64_t)sqlite3_column_int64(st, 1);
    r->index = (uint32_t)sqlite3_column_int64(st, 2);
    r->has_sender = ledger_column_fixed(st, 3, r->sender, LEDGER_ADDR_LEN);
    const unsigned char *type = sqlite3_column_text(st, 4);
    if (!type || (size_t)sqlite3_column_bytes(st, 4) > LEDGER_TX_TYPE_MAX)
        return ST_DB;
    memcpy(r->type, type, (size_t)sqlite3_column_bytes(st, 4) + 1);
    r->body = ledger_column_strdup(st, 5);
    r->success = sqlite3_column_int(st, 6) != 0;
    r->error = ledger_column_strdup(st, 7);
    r->events = ledger_column_strdup(st, 8);
    if (!r->body || !r->events || (!r->error && sqlite3_column_type(st, 7) != SQLITE_NULL)) {
        ledger_txrec_clear(r);
        return ST_NOMEM;
    }
    return ST_OK;
}

/* A stored transaction's height and index are its key's halves (ledger_position_key). */
#define TXREC_COLUMNS "SELECT hash, position >> 32, position & 4294967295, sender, type, body, status, error, events " \
                      "FROM transactions "

int ledger_txrec_get(ledger *l, const uint8_t hash[LEDGER_HASH_LEN], ledger_txrec *r)
{
    static const char sql[] = TXREC_COLUMNS "WHERE hash = ?1";
    sqlite3_stmt *st = ledger_query(l, STMT_TXREC_GET, sql, LEDGER_VALUES(ledger_val_hash(hash)));
    return ledger_read_row(st, r, read_txrec, NULL);
}

/* The records ledger_txrec_list_block has read so far, in an array it grows. */
struct txrec_array {
    ledger_txrec *recs;
    size_t n, cap;
};

static int append_txrec(sqlite3_stmt *st, void *ctx)
{
    struct txrec_array *a = ctx;
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 8;
        ledger_txrec *grown = realloc(a->recs, cap * sizeof *grown);
        if (!grown)
            return ST_NOMEM;
        a->recs = grown;
        a->cap = cap;
    }
    int rc = read_txrec(st, &a->recs[a->n], NULL);
    if (rc == ST_OK)
        a->n++;
    return rc;
}

int ledger_txrec_list_block(ledger *l, uint64_t height, ledger_txrec **recs, size_t *n)
{
    static const char sql[] = TXREC_COLUMNS "WHERE position BETWEEN ?1 AND ?2 ORDER BY position";
    *recs = NULL;
    *n = 0;
    if (height > LEDGER_POSITION_HEIGHT_MAX)
        return ST_OK;
    sqlite3_stmt *st = ledger_query(l, STMT_TXREC_BLOCK, sql, LEDGER_VALUES(ledger_val_int(ledger_position_key(height, 0)),
        ledger_val_int(ledger_position_key(height, UINT32_MAX))));
    struct txrec_array a = { 0 };
    int rc = ledger_each_row(st, append_txrec, &a);
    if (rc != ST_OK) {
        for (size_t i = 0; i < a.n; i++)
            ledger_txrec_clear(&a.recs[i]);
        free(a.recs);
        return rc;
    }
    *recs = a.recs;
    *n = a.n;
    return ST_OK;
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
