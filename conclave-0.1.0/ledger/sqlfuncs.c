/* SPDX-License-Identifier: MIT */
/* sqlfuncs.c: exact u256 arithmetic inside SQL, on GMP: u256_add(a,b), u256_sub(a,b) (an error on
 * underflow), u256_cmp(a,b) (-1, 0, 1) and the aggregate u256_sum(x). Arguments are canonical
 * decimal strings; anything else is an SQL error, so a report can never silently round. */
#include "ledger/ledger_int.h"

#include <stdlib.h>
#include <string.h>
#include "ledger/amount.h"

static int arg_amount(sqlite3_context *ctx, sqlite3_value *v, mpz_t out)
{
    const char *s = (const char *)sqlite3_value_text(v);
    if (!s || ledger_amount_parse(out, s, (size_t)sqlite3_value_bytes(v)) != ST_OK) {
        sqlite3_result_error(ctx, "u256: argument is not a canonical amount", -1);
        return ST_INVALID;
    }
    return ST_OK;
}

static void result_amount(sqlite3_context *ctx, const mpz_t v)
{
    char buf[LEDGER_AMOUNT_STRLEN];
    ledger_amount_format(buf, v);
    sqlite3_result_text(ctx, buf, -1, SQLITE_TRANSIENT);
}

/* u256_add and u256_sub: op on two amounts, or the error that names the failure. */
static void arith(sqlite3_context *ctx, sqlite3_value **argv, int (*op)(mpz_t r, const mpz_t a, const mpz_t b),
                  const char *error)
{
    mpz_t a, b;
    mpz_inits(a, b, NULL);
    if (arg_amount(ctx, argv[0], a) == ST_OK && arg_amount(ctx, argv[1], b) == ST_OK) {
        if (op(a, a, b) == ST_OK)
            result_amount(ctx, a);
        else
            sqlite3_result_error(ctx, error, -1);
    }
    mpz_clears(a, b, NULL);
}

static void fn_add(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    arith(ctx, argv, ledger_amount_add, "u256_add: overflow");
}

static void fn_sub(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    arith(ctx, argv, ledger_amount_sub, "u256_sub: underflow");
}

static void fn_cmp(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    mpz_t a, b;
    mpz_inits(a, b, NULL);
    if (arg_amount(ctx, argv[0], a) == ST_OK && arg_amount(ctx, argv[1], b) == ST_OK) {
        int c = mpz_cmp(a, b);
        sqlite3_result_int(ctx, c < 0 ? -1 : c > 0);
    }
    mpz_clears(a, b, NULL);
}

/* The aggregate keeps an unbounded mpz so a sum of many u256 values is exact; the result is the
 * decimal string of the sum (which may exceed 2^256 only if the books are already broken). */
struct sum_state {
    bool init;
    bool failed;
    mpz_t total;
};

static void sum_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    struct sum_state *s = sqlite3_aggregate_context(ctx, sizeof *s);
    if (!s) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    if (!s->init) {
        mpz_init(s->total);
        s->init = true;
    }
    if (s->failed || sqlite3_value_type(argv[0]) == SQLITE_NULL)
        return;
    mpz_t v;
    mpz_init(v);
    if (arg_amount(ctx, argv[0], v) == ST_OK)
        mpz_add(s->total, s->total, v);
    else
        s->failed = true;
    mpz_clear(v);
}

static void sum_final(sqlite3_context *ctx)
{
    struct sum_state *s = sqlite3_aggregate_context(ctx, 0);
    if (!s || !s->init) {
        sqlite3_result_text(ctx, "0", 1, SQLITE_STATIC);
        return;
    }
    if (s->failed)
        sqlite3_result_error(ctx, "u256_sum: an argument is not a canonical amount", -1);
    else {
        char *text = mpz_get_str(NULL, 10, s->total);
        sqlite3_result_text(ctx, text, -1, SQLITE_TRANSIENT);
        free(text);
    }
    mpz_clear(s->total);
}

int ledger_sql_functions_register(sqlite3 *db)
{
    int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
    if (sqlite3_create_function_v2(db, "u256_add", 2, flags, NULL, fn_add, NULL, NULL, NULL) != SQLITE_OK
        || sqlite3_create_function_v2(db, "u256_sub", 2, flags, NULL, fn_sub, NULL, NULL, NULL) != SQLITE_OK
        || sqlite3_create_function_v2(db, "u256_cmp", 2, flags, NULL, fn_cmp, NULL, NULL, NULL) != SQLITE_OK
        || sqlite3_create_function_v2(db, "u256_sum", 1, flags, NULL, NULL, sum_step, sum_final, NULL) != SQLITE_OK)
        return ST_DB;
    return ST_OK;
}
