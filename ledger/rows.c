/* SPDX-License-Identifier: MIT */
/* rows.c: the steps every row-keeping module repeats around a prepared statement: one row or
 * none, one integer or decimal, whether a row exists, a page of rows or ids with a "more" flag,
 * every row through a callback, runs of decimal values bound or read, and a write stepped to its
 * end (returning its id, refused as a conflict, or after a binding that may have failed); and a
 * row struct read, written, initialized and cleared from its column list. Each resets the
 * statement before it returns, except ledger_step_row on a row, and each takes the NULL of a
 * statement that failed to prepare as a failure, ST_DB (see sqlstore.h). */
#include "ledger/sqlstore.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* sqlite3_step, or SQLITE_MISUSE for a statement that failed to prepare (NULL). */
static int step_once(sqlite3_stmt *st)
{
    return st ? sqlite3_step(st) : SQLITE_MISUSE;
}

int ledger_step_row(sqlite3_stmt *st)
{
    int step = step_once(st);
    if (step == SQLITE_ROW)
        return ST_OK;
    sqlite3_reset(st);
    return step == SQLITE_DONE ? ST_NOTFOUND : ST_DB;
}

int ledger_step_text(sqlite3_stmt *st, char **out)
{
    int rc = ledger_step_row(st);
    if (rc != ST_OK)
        return rc;
    *out = ledger_column_strdup(st, 0);
    sqlite3_reset(st);
    return *out ? ST_OK : ST_NOMEM;
}

int ledger_step_u64(sqlite3_stmt *st, uint64_t *out)
{
    int rc = step_once(st) == SQLITE_ROW ? ST_OK : ST_DB;
    if (rc == ST_OK)
        *out = (uint64_t)sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return rc;
}

int ledger_step_i64(sqlite3_stmt *st, int64_t *out)
{
    int rc = ledger_step_row(st);
    if (rc == ST_OK) {
        *out = sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
    }
    return rc;
}

int ledger_read_rows(sqlite3_stmt *st, int limit_param, void *rows, size_t size, unsigned limit, ledger_row_reader read,
                     const void *ctx, unsigned *n, bool *more)
{
    int step, rc = ST_OK;
    *n = 0;
    if (more)
        *more = false;
    /* one row past the page tells whether more follow */
    if (st)
        sqlite3_bind_int64(st, limit_param, (sqlite3_int64)limit + 1);
    while ((step = step_once(st)) == SQLITE_ROW) {
        if (*n == limit) {
            if (more)
                *more = true;
            break;
        }
        if ((rc = read(st, (char *)rows + (size_t)*n * size, ctx)) != ST_OK)
            break;
        (*n)++;
    }
    if (rc == ST_OK && step != SQLITE_ROW && step != SQLITE_DONE)
        rc = ST_DB;
    sqlite3_reset(st);
    return rc;
}

int ledger_step_done(sqlite3_stmt *st)
{
    int step = step_once(st);
    sqlite3_reset(st);
    return step == SQLITE_DONE ? ST_OK : ST_DB;
}

int ledger_step_returning_id(sqlite3_stmt *st, uint64_t *id)
{
    int rc = step_once(st) == SQLITE_ROW ? ST_OK : ST_DB;
    if (rc == ST_OK)
        *id = (uint64_t)sqlite3_column_int64(st, 0);
    while (rc == ST_OK && step_once(st) == SQLITE_ROW)
        ;
    sqlite3_reset(st);
    return rc;
}

static int read_id(sqlite3_stmt *st, void *row, const void *ctx)
{
    (void)ctx;
    *(uint64_t *)row = (uint64_t)sqlite3_column_int64(st, 0);
    return ST_OK;
}

int ledger_read_ids(sqlite3_stmt *st, int limit_param, unsigned limit, uint64_t *ids, unsigned *n, bool *more)
{
    return ledger_read_rows(st, limit_param, ids, sizeof *ids, limit, read_id, NULL, n, more);
}

int ledger_step_bound(sqlite3_stmt *st, int bind_rc)
{
    if (bind_rc != ST_OK) {
        sqlite3_reset(st);
        return bind_rc;
    }
    return ledger_step_done(st);
}

int ledger_insert_bound(sqlite3_stmt *st, int bind_rc, uint64_t *id)
{
    if (bind_rc != ST_OK) {
        sqlite3_reset(st);
        return bind_rc;
    }
    return ledger_step_returning_id(st, id);
}

int ledger_read_row(sqlite3_stmt *st, void *row, ledger_row_reader read, const void *ctx)
{
    int rc = ledger_step_row(st);
    if (rc == ST_OK) {
        rc = read(st, row, ctx);
        sqlite3_reset(st);
    }
    return rc;
}

int ledger_each_row(sqlite3_stmt *st, int (*visit)(sqlite3_stmt *st, void *ctx), void *ctx)
{
    int rc = ST_OK, step;
    while (rc == ST_OK && (step = step_once(st)) == SQLITE_ROW)
        rc = visit(st, ctx);
    if (rc == ST_OK && step != SQLITE_DONE)
        rc = ST_DB;
    sqlite3_reset(st);
    return rc;
}

int ledger_step_exists(sqlite3_stmt *st, bool *has)
{
    int step = step_once(st);
    sqlite3_reset(st);
    *has = step == SQLITE_ROW;
    return step == SQLITE_ROW || step == SQLITE_DONE ? ST_OK : ST_DB;
}

/* Reads the columns col, col + 1, ... into the NULL-terminated values of ap. ST_OK or ST_DB. */
static int column_mpz_list(sqlite3_stmt *st, int col, va_list ap)
{
    int rc = ST_OK;
    for (mpz_ptr v; rc == ST_OK && (v = va_arg(ap, mpz_ptr)); col++)
        rc = ledger_column_mpz(st, col, v);
    return rc;
}

int ledger_step_mpzs(sqlite3_stmt *st, ...)
{
    int rc = ledger_step_row(st);
    va_list ap;
    va_start(ap, st);
    if (rc == ST_OK) {
        rc = column_mpz_list(st, 0, ap);
        sqlite3_reset(st);
    } else if (rc == ST_NOTFOUND) {
        for (mpz_ptr v; (v = va_arg(ap, mpz_ptr));)
            mpz_set_ui(v, 0);
        rc = ST_OK;
    }
    va_end(ap);
    return rc;
}

int ledger_bind_mpzs(sqlite3_stmt *st, int idx, ...)
{
    va_list ap;
    va_start(ap, idx);
    int rc = ST_OK;
    for (mpz_srcptr v; rc == ST_OK && (v = va_arg(ap, mpz_srcptr)); idx++)
        rc = ledger_bind_mpz(st, idx, v);
    va_end(ap);
    return rc;
}

int ledger_column_mpzs(sqlite3_stmt *st, int col, ...)
{
    va_list ap;
    va_start(ap, col);
    int rc = column_mpz_list(st, col, ap);
    va_end(ap);
    return rc;
}

bool ledger_column_fixed(sqlite3_stmt *st, int col, uint8_t *out, size_t len)
{
    bool held = (size_t)sqlite3_column_bytes(st, col) == len;
    if (held)
        memcpy(out, sqlite3_column_blob(st, col), len);
    else
        memset(out, 0, len);
    return held;
}

/* Whether a field of size bytes can hold a column of kind. */
static bool column_fits(enum ledger_column_kind kind, size_t size)
{
    switch (kind) {
    case LEDGER_COL_INT:
        return size == sizeof(uint8_t) || size == sizeof(uint32_t) || size == sizeof(uint64_t);
    case LEDGER_COL_BOOL:
        return size == sizeof(bool);
    case LEDGER_COL_BYTES:
    case LEDGER_COL_BYTES_OR_ZERO:
        return size > 0;
    case LEDGER_COL_MPZ:
        return size == sizeof(mpz_t);
    case LEDGER_COL_SKIP:
    case LEDGER_COL_END:
        break;
    }
    return true;
}

/* Stores v in the unsigned integer field of size bytes (1, 4 or 8), narrowed; reads it back. */
static void set_int(void *field, size_t size, sqlite3_int64 v)
{
    if (size == sizeof(uint64_t))
        *(uint64_t *)field = (uint64_t)v;
    else if (size == sizeof(uint32_t))
        *(uint32_t *)field = (uint32_t)v;
    else
        *(uint8_t *)field = (uint8_t)v;
}

static sqlite3_int64 get_int(const void *field, size_t size)
{
    if (size == sizeof(uint64_t))
        return (sqlite3_int64)*(const uint64_t *)field;
    return size == sizeof(uint32_t) ? *(const uint32_t *)field : *(const uint8_t *)field;
}

int ledger_read_columns(sqlite3_stmt *st, void *row, const void *ctx)
{
    const ledger_column *c = ctx;
    bool ok = true;
    for (int col = 0; c[col].kind != LEDGER_COL_END; col++) {
        ARG_CHECK(column_fits(c[col].kind, c[col].size));
        void *field = (char *)row + c[col].offset;
        if (c[col].optional)
            *(bool *)((char *)row + c[col].flag) = sqlite3_column_type(st, col) != SQLITE_NULL;
        switch (c[col].kind) {
        case LEDGER_COL_INT:
            set_int(field, c[col].size, sqlite3_column_int64(st, col));
            break;
        case LEDGER_COL_BOOL:
            *(bool *)field = sqlite3_column_int(st, col) != 0;
            break;
        case LEDGER_COL_BYTES:
            ok = ledger_column_fixed(st, col, field, c[col].size) && ok;
            break;
        case LEDGER_COL_BYTES_OR_ZERO:
            ledger_column_fixed(st, col, field, c[col].size);
            break;
        case LEDGER_COL_MPZ:
            ok = ledger_column_mpz(st, col, field) == ST_OK && ok;
            break;
        case LEDGER_COL_SKIP:
        case LEDGER_COL_END:
            break;
        }
    }
    return ok ? ST_OK : ST_DB;
}

void ledger_columns_init(void *row, size_t size, const ledger_column *columns)
{
    memset(row, 0, size);
    for (const ledger_column *c = columns; c->kind != LEDGER_COL_END; c++)
        if (c->kind == LEDGER_COL_MPZ)
            mpz_init((mpz_ptr)((char *)row + c->offset));
}

void ledger_columns_clear(void *row, const ledger_column *columns)
{
    for (const ledger_column *c = columns; c->kind != LEDGER_COL_END; c++)
        if (c->kind == LEDGER_COL_MPZ)
            mpz_clear((mpz_ptr)((char *)row + c->offset));
}

/* Binds the field that column c describes to parameter idx. ST_OK, or ledger_bind_mpz's failure. */
static int bind_field(sqlite3_stmt *st, int idx, const ledger_column *c, const void *field)
{
    switch (c->kind) {
    case LEDGER_COL_INT:
        sqlite3_bind_int64(st, idx, get_int(field, c->size));
        break;
    case LEDGER_COL_BOOL:
        sqlite3_bind_int(st, idx, *(const bool *)field);
        break;
    case LEDGER_COL_BYTES:
    case LEDGER_COL_BYTES_OR_ZERO:
        sqlite3_bind_blob(st, idx, field, (int)c->size, SQLITE_STATIC);
        break;
    case LEDGER_COL_MPZ:
        return ledger_bind_mpz(st, idx, field);
    case LEDGER_COL_SKIP:
    case LEDGER_COL_END:
        break;
    }
    return ST_OK;
}

int ledger_write_columns(sqlite3_stmt *st, const void *row, const ledger_column *columns, uint64_t *id)
{
    const ledger_column *c = columns;
    int rc = st ? ST_OK : ST_DB;
    for (int col = 0; rc == ST_OK && c[col].kind != LEDGER_COL_END; col++) {
        ARG_CHECK(column_fits(c[col].kind, c[col].size));
        if (!c[col].optional || *(const bool *)((const char *)row + c[col].flag))
            rc = bind_field(st, col + 1, &c[col], (const char *)row + c[col].offset);
    }
    return id ? ledger_insert_bound(st, rc, id) : ledger_step_bound(st, rc);
}

int ledger_read_address(sqlite3_stmt *st, void *row, const void *ctx)
{
    (void)ctx;
    return ledger_column_fixed(st, 0, row, LEDGER_ADDR_LEN) ? ST_OK : ST_DB;
}

int ledger_step_unique(sqlite3_stmt *st)
{
    int step = step_once(st);
    sqlite3_reset(st);
    if ((step & 0xff) == SQLITE_CONSTRAINT)
        return ST_CONFLICT;
    return step == SQLITE_DONE ? ST_OK : ST_DB;
}

char *ledger_column_strdup(sqlite3_stmt *st, int col)
{
    const unsigned char *text = sqlite3_column_text(st, col);
    return text ? strdup((const char *)text) : NULL;
}
