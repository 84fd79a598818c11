/* SPDX-License-Identifier: MIT */
/* sqlstore.h: what a module that keeps its own rows in the ledger's database needs (the ledger's
 * own files and the governance store files, the only places SQL may live): the connection, the
 * statement cache, statements run without results, exact GMP values bound and read as decimal text,
 * statements prepared with a list of values bound, the row helpers (rows.c) that step, read and
 * reset, and the column lists that read, write, init and clear a row struct. A statement that failed to prepare is NULL: every helper here that binds or steps one
 * returns ST_DB for it (as sqlite3_reset accepts NULL), so a query reads as one expression.
 * Layer: ledger. */
#ifndef LEDGER_SQLSTORE_H
#define LEDGER_SQLSTORE_H

#include <gmp.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ledger/ledger.h"

/* The ledger's connection. Borrowed; valid until ledger_close. Writes belong inside a block. */
sqlite3 *ledger_sqlite(ledger *l) NONNULL(1);
/* Runs a statement without results (BEGIN, SAVEPOINT ...), after closing a kept read transaction
 * (ledger_read_keep). Returns ST_OK or ST_DB. */
int ledger_exec(ledger *l, const char *sql);
/* Binds v's decimal text to parameter idx; reads a decimal text column into v. ST_OK, ST_NOMEM, ST_DB. */
int ledger_bind_mpz(sqlite3_stmt *st, int idx, const mpz_t v);
int ledger_column_mpz(sqlite3_stmt *st, int col, mpz_t v);
/* Returns *slot reset and unbound, preparing sql into it (persistent) on the first call; the owner
 * of slot finalizes it. NULL on error (logged). Every cached statement goes through here, and one
 * that writes closes a kept read transaction first (ledger_read_keep). */
sqlite3_stmt *ledger_stmt_prepare(ledger *l, sqlite3_stmt **slot, const char *sql) NONNULL(1, 2, 3);

/* One value to bind to a parameter: an integer, a blob or text (borrowed until the statement is
 * reset), or NULL. Built by the ledger_val_* functions; a list of them by LEDGER_VALUES. */
typedef struct ledger_value {
    enum ledger_value_kind { LEDGER_VALUE_END, LEDGER_VALUE_INT, LEDGER_VALUE_BLOB, LEDGER_VALUE_TEXT,
                             LEDGER_VALUE_NULL } kind;
    sqlite3_int64 i;
    const void *p;
    int len;
} ledger_value;

static inline ledger_value ledger_val_int(sqlite3_int64 v)
{
    return (ledger_value){ LEDGER_VALUE_INT, v, NULL, 0 };
}
static inline ledger_value ledger_val_blob(const void *p, size_t len)
{
    return (ledger_value){ LEDGER_VALUE_BLOB, 0, p, (int)len };
}
static inline ledger_value ledger_val_addr(const uint8_t *addr)
{
    return ledger_val_blob(addr, LEDGER_ADDR_LEN);
}
static inline ledger_value ledger_val_hash(const uint8_t *hash)
{
    return ledger_val_blob(hash, LEDGER_HASH_LEN);
}
static inline ledger_value ledger_val_text(const char *text)
{
    return (ledger_value){ LEDGER_VALUE_TEXT, 0, text, -1 };
}
static inline ledger_value ledger_val_null(void)
{
    return (ledger_value){ LEDGER_VALUE_NULL, 0, NULL, 0 };
}
/* An address cursor of a paged query: NULL (from the start) is the empty blob, below every address,
 * and a real cursor excludes itself. */
static inline ledger_value ledger_val_cursor(const uint8_t *cursor)
{
    static const uint8_t none[1];
    return cursor ? ledger_val_addr(cursor) : ledger_val_blob(none, 0);
}
/* The values to bind to ?1, ?2, ... in order, as an array that ends itself. */
#define LEDGER_VALUES(...) ((const ledger_value[]){ __VA_ARGS__, { LEDGER_VALUE_END, 0, NULL, 0 } })

/* Returns *slot prepared as ledger_stmt_prepare does, with values (NULL: none) bound to ?1, ?2, ...;
 * NULL on error (logged). */
sqlite3_stmt *ledger_stmt_bind(ledger *l, sqlite3_stmt **slot, const char *sql, const ledger_value *values)
    NONNULL(1, 2, 3);

/* ---- rows.c: the steps around a query that every row-keeping module shares ---- */

/* Steps a query of at most one row. ST_OK: a row to read, then the caller resets; ST_NOTFOUND or
 * ST_DB: already reset. */
int ledger_step_row(sqlite3_stmt *st);
/* Steps a query of at most one row and copies its first column, text, into *out (caller owns it;
 * release with free). ST_OK, ST_NOTFOUND, ST_NOMEM (also for a NULL column) or ST_DB; resets. */
int ledger_step_text(sqlite3_stmt *st, char **out);
/* Steps a query of one row and reads its first column. ST_OK with *out, or ST_DB; resets. */
int ledger_step_u64(sqlite3_stmt *st, uint64_t *out);
/* Steps a query of at most one row and reads its first column as an integer. ST_OK with *out,
 * ST_NOTFOUND (no row: *out unchanged) or ST_DB; resets. */
int ledger_step_i64(sqlite3_stmt *st, int64_t *out);
/* Reads one row into row (ctx: what the caller passes through). ST_OK, or a failure that stops the
 * read. */
typedef int (*ledger_row_reader)(sqlite3_stmt *st, void *row, const void *ctx);
/* Reads up to limit rows with read into rows (an array of limit items of size bytes). It binds
 * limit + 1 to limit_param, the query's LIMIT parameter: the row beyond the page sets *more (more
 * may be NULL). Resets. Out: *n the rows read. Returns ST_OK, read's failure, or ST_DB. */
int ledger_read_rows(sqlite3_stmt *st, int limit_param, void *rows, size_t size, unsigned limit,
                     ledger_row_reader read, const void *ctx, unsigned *n, bool *more);
/* Steps a write statement to completion and resets it. ST_OK or ST_DB. */
int ledger_step_done(sqlite3_stmt *st);
/* Steps an INSERT ... RETURNING id to completion and resets it. ST_OK with *id, or ST_DB. */
int ledger_step_returning_id(sqlite3_stmt *st, uint64_t *id);
/* Reads up to limit ids (the first column) as ledger_read_rows does (limit_param: the query's LIMIT
 * parameter). ST_OK or ST_DB. */
int ledger_read_ids(sqlite3_stmt *st, int limit_param, unsigned limit, uint64_t *ids, unsigned *n, bool *more);
/* A write whose parameters were bound with the result bind_rc: a failed binding resets the
 * statement and is returned, else the write is stepped (ledger_step_done) or, for an INSERT ...
 * RETURNING id, stepped with *id (ledger_step_returning_id). */
int ledger_step_bound(sqlite3_stmt *st, int bind_rc);
int ledger_insert_bound(sqlite3_stmt *st, int bind_rc, uint64_t *id);
/* Steps a write to completion and resets: ST_OK, ST_CONFLICT when it breaks a constraint (the row
 * is there already), or ST_DB. */
int ledger_step_unique(sqlite3_stmt *st) WARN_UNUSED;
/* A copy of text column col, NULL for NULL or out of memory. Caller owns it; release with free. */
char *ledger_column_strdup(sqlite3_stmt *st, int col);
/* Steps a query of at most one row and reads it with read into row. Resets. Returns ST_OK,
 * ST_NOTFOUND (row untouched), read's failure, or ST_DB. */
int ledger_read_row(sqlite3_stmt *st, void *row, ledger_row_reader read, const void *ctx) WARN_UNUSED;
/* Calls visit on every row of the query, stopping at its first failure. Resets. Returns ST_OK,
 * visit's failure, or ST_DB. */
int ledger_each_row(sqlite3_stmt *st, int (*visit)(sqlite3_stmt *st, void *ctx), void *ctx) WARN_UNUSED;
/* Steps a query: *has whether it yields a row. Resets. ST_OK or ST_DB. */
int ledger_step_exists(sqlite3_stmt *st, bool *has) WARN_UNUSED;
/* Steps a query of at most one row and reads its columns 0, 1, ... as decimal text into the
 * NULL-terminated list of values; no row sets them to zero. Resets. ST_OK or ST_DB. */
int ledger_step_mpzs(sqlite3_stmt *st, ...) WARN_UNUSED NULL_TERMINATED;
/* Binds the NULL-terminated list of values to the parameters idx, idx + 1, ... (as ledger_bind_mpz).
 * Returns ST_OK or the first failure. */
int ledger_bind_mpzs(sqlite3_stmt *st, int idx, ...) WARN_UNUSED NULL_TERMINATED;
/* Reads the columns col, col + 1, ... into the NULL-terminated list of values (as
 * ledger_column_mpz). Returns ST_OK or ST_DB. */
int ledger_column_mpzs(sqlite3_stmt *st, int col, ...) WARN_UNUSED NULL_TERMINATED;
/* Copies column col into out when it holds exactly len bytes, else zeroes out. Returns whether it
 * held them. */
bool ledger_column_fixed(sqlite3_stmt *st, int col, uint8_t *out, size_t len);

/* ---- rows.c: a row struct described once, by its column list ---- */

/* One column of a row struct that ledger_read_columns reads and ledger_write_columns binds (the
 * i-th of a list is column i and parameter i + 1): what it holds and where in the struct it goes.
 * Build them with LEDGER_COLUMN, or LEDGER_COLUMN_OPT for a column that is NULL when the struct's
 * bool flag is false; a list ends with LEDGER_COLUMNS_END. */
typedef struct ledger_column {
    enum ledger_column_kind {
        LEDGER_COL_END,
        LEDGER_COL_INT,           /* an integer field of 1, 4 or 8 bytes (narrowed as it is read) */
        LEDGER_COL_BOOL,          /* a bool: the column is not 0 */
        LEDGER_COL_BYTES,         /* a byte array (address, hash): a blob of exactly its size, else ST_DB */
        LEDGER_COL_BYTES_OR_ZERO, /* the same, but a blob of another size reads as zeroes */
        LEDGER_COL_MPZ,           /* decimal text into an initialized mpz_t, else ST_DB */
        LEDGER_COL_SKIP           /* read and bound by the caller */
    } kind;
    size_t offset;
    size_t size;                  /* of the field: one that does not fit the kind is ST_INVALID */
    bool optional;                /* NULL when the bool at flag is false */
    size_t flag;
} ledger_column;
#define LEDGER_COLUMN(kind, type, field) \
    { LEDGER_COL_##kind, offsetof(type, field), sizeof(((type *)0)->field), false, 0 }
#define LEDGER_COLUMN_OPT(kind, type, field, flag) \
    { LEDGER_COL_##kind, offsetof(type, field), sizeof(((type *)0)->field), true, offsetof(type, flag) }
#define LEDGER_COLUMNS_END { LEDGER_COL_END, 0, 0, false, 0 }
/* A ledger_row_reader of a row struct whose columns ctx lists (const ledger_column *). Returns ST_OK,
 * ST_DB for a fixed-size column of another size or an amount column that is not decimal, or
 * ST_INVALID (ARG_CHECK) for a field whose size does not fit its kind. */
int ledger_read_columns(sqlite3_stmt *st, void *row, const void *ctx);
/* Zeroes the row struct of size bytes and initializes the amounts (MPZ columns) that columns lists;
 * ledger_columns_clear clears them. For a struct whose column list names every amount it holds. */
void ledger_columns_init(void *row, size_t size, const ledger_column *columns);
void ledger_columns_clear(void *row, const ledger_column *columns);
/* Binds the fields of row that columns lists to the parameters ?1, ?2, ... (a SKIP column stays
 * NULL), then steps the write: with *id for an INSERT ... RETURNING id, or to its end when
 * id is NULL. Resets. Returns ST_OK, ST_INVALID as ledger_read_columns, a binding's failure, or ST_DB. */
int ledger_write_columns(sqlite3_stmt *st, const void *row, const ledger_column *columns, uint64_t *id);
/* A ledger_row_reader of a row whose column 0 is an address: row is a uint8_t[LEDGER_ADDR_LEN].
 * ST_OK, or ST_DB when the column holds no address. */
int ledger_read_address(sqlite3_stmt *st, void *row, const void *ctx);
#endif
