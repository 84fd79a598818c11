/* SPDX-License-Identifier: MIT */
/* rows.c: the steps every row-keeping module repeats around a prepared statement: one row or
 * none, one integer, a page of rows with a "more" flag, and a write whose binding may have failed.
 * Each resets the statement before it returns, except ledger_step_row on a row (see sqlstore.h). */
#include "ledger/sqlstore.h"

int ledger_step_row(sqlite3_stmt *st)
{
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        return ST_OK;
    sqlite3_reset(st);
    return step == SQLITE_DONE ? ST_NOTFOUND : ST_DB;
}

int ledger_step_u64(sqlite3_stmt *st, uint64_t *out)
{
    int rc = sqlite3_step(st) == SQLITE_ROW ? ST_OK : ST_DB;
    if (rc == ST_OK)
        *out = (uint64_t)sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return rc;
}

int ledger_read_rows(sqlite3_stmt *st, void *rows, size_t size, unsigned limit, ledger_row_reader read,
                     const void *ctx, unsigned *n, bool *more)
{
    int step, rc = ST_OK;
    *n = 0;
    if (more)
        *more = false;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
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
