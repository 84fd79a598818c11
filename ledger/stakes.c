/* SPDX-License-Identifier: MIT */
/* stakes.c: rows of the staking state (see stakes.h), and an address's staked value at a height
 * read from its checkpoints. Every value is exact: amounts, shares and the accumulator are decimal
 * text read into and written from GMP integers. */
#include "ledger/ledger_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ledger/stakes.h"

/* ---- pools ---- */

#define POOL_COLUMNS "id, owner, commission_ppm, pending_commission_ppm, pending_commission_at, capacity, shares, " \
                     "bonded, unbonding, acc, acc_rem, stake, created_height"

/* A row of POOL_COLUMNS; the pending commission is NULL when no raise is waiting. */
static const ledger_column pool_columns[] = {
    LEDGER_COLUMN(INT, ledger_pool, id), LEDGER_COLUMN(BYTES_OR_ZERO, ledger_pool, owner),
    LEDGER_COLUMN(INT, ledger_pool, commission_ppm),
    LEDGER_COLUMN_OPT(INT, ledger_pool, pending_commission_ppm, commission_pending),
    LEDGER_COLUMN_OPT(INT, ledger_pool, pending_commission_at, commission_pending),
    LEDGER_COLUMN(MPZ, ledger_pool, capacity), LEDGER_COLUMN(MPZ, ledger_pool, shares),
    LEDGER_COLUMN(MPZ, ledger_pool, bonded), LEDGER_COLUMN(MPZ, ledger_pool, unbonding),
    LEDGER_COLUMN(MPZ, ledger_pool, acc), LEDGER_COLUMN(MPZ, ledger_pool, acc_rem),
    LEDGER_COLUMN(MPZ, ledger_pool, stake), LEDGER_COLUMN(INT, ledger_pool, created_height), LEDGER_COLUMNS_END
};

void ledger_pool_init(ledger_pool *p)
{
    ledger_columns_init(p, sizeof *p, pool_columns);
}

void ledger_pool_clear(ledger_pool *p)
{
    ledger_columns_clear(p, pool_columns);
}

int ledger_pool_insert(ledger *l, ledger_pool *p)
{
    ARG_CHECK(l->in_block);
    static const char sql[] = "INSERT INTO pools(" POOL_COLUMNS ") VALUES((SELECT coalesce(max(id), 0) + 1 FROM pools), "
                              "?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) RETURNING id";
    return ledger_write_columns(ledger_stmt(l, STMT_POOL_INSERT, sql), p, pool_columns, &p->id);
}

int ledger_pool_get(ledger *l, uint64_t id, ledger_pool *p)
{
    static const char sql[] = "SELECT " POOL_COLUMNS " FROM pools WHERE id = ?1";
    sqlite3_stmt *st = ledger_query(l, STMT_POOL_GET, sql, LEDGER_VALUES(ledger_val_int(id)));
    return ledger_read_row(st, p, ledger_read_columns, pool_columns);
}

int ledger_pool_update(ledger *l, const ledger_pool *p)
{
    ARG_CHECK(l->in_block);
    static const char sql[] = "UPDATE pools SET owner = ?2, commission_ppm = ?3, pending_commission_ppm = ?4, "
                              "pending_commission_at = ?5, capacity = ?6, shares = ?7, bonded = ?8, unbonding = ?9, "
                              "acc = ?10, acc_rem = ?11, stake = ?12, created_height = ?13 WHERE id = ?1";
    return ledger_write_columns(ledger_stmt(l, STMT_POOL_UPDATE, sql), p, pool_columns, NULL);
}

int ledger_pool_list(ledger *l, bool by_stake, uint64_t cursor, unsigned limit, uint64_t *ids, unsigned *n, bool *more)
{
    /* canonical decimals order numerically by (length, text) */
    static const char by_id_sql[] = "SELECT id FROM pools WHERE id > ?1 ORDER BY id LIMIT ?2";
    static const char by_stake_sql[] =
        "SELECT id FROM pools WHERE ?1 = 0 OR (length(stake), stake, -id) < "
        "(SELECT length(stake), stake, -id FROM pools WHERE id = ?1) "
        "ORDER BY length(stake) DESC, stake DESC, id LIMIT ?2";
    sqlite3_stmt *st = ledger_query(l, by_stake ? STMT_POOL_LIST_STAKE : STMT_POOL_LIST_ID,
                                    by_stake ? by_stake_sql : by_id_sql, LEDGER_VALUES(ledger_val_int(cursor)));
    return ledger_read_ids(st, 2, limit, ids, n, more);
}

/* ---- stakes and checkpoints ---- */

/* A stake row's address, shares, debt (its pool is the query's). */
static const ledger_column stake_columns[] = {
    LEDGER_COLUMN(BYTES_OR_ZERO, ledger_stake, address), LEDGER_COLUMN(MPZ, ledger_stake, shares),
    LEDGER_COLUMN(MPZ, ledger_stake, debt), LEDGER_COLUMNS_END
};

void ledger_stake_init(ledger_stake *s)
{
    ledger_columns_init(s, sizeof *s, stake_columns);
}

void ledger_stake_clear(ledger_stake *s)
{
    ledger_columns_clear(s, stake_columns);
}

int ledger_stake_get(ledger *l, uint64_t pool, const uint8_t address[LEDGER_ADDR_LEN], ledger_stake *s)
{
    static const char sql[] = "SELECT shares, debt FROM stakes WHERE pool = ?1 AND address = ?2";
    s->pool = pool;
    memcpy(s->address, address, LEDGER_ADDR_LEN);
    sqlite3_stmt *st = ledger_query(l, STMT_STAKE_GET, sql, LEDGER_VALUES(ledger_val_int(pool), ledger_val_addr(address)));
    return ledger_step_mpzs(st, s->shares, s->debt, NULL);
}

int ledger_stake_put(ledger *l, const ledger_stake *s)
{
    ARG_CHECK(l->in_block);
    static const char put_sql[] = "INSERT INTO stakes(pool, address, shares, debt) VALUES(?1, ?2, ?3, ?4) "
                                  "ON CONFLICT(pool, address) DO UPDATE SET shares = excluded.shares, debt = excluded.debt";
    static const char delete_sql[] = "DELETE FROM stakes WHERE pool = ?1 AND address = ?2";
    static const char checkpoint_sql[] =
        "INSERT INTO stake_checkpoints(address, pool, height, shares) VALUES(?1, ?2, ?3, ?4) "
        "ON CONFLICT(address, pool, height) DO UPDATE SET shares = excluded.shares";
    bool empty = mpz_sgn(s->shares) == 0 && mpz_sgn(s->debt) == 0;
    sqlite3_stmt *st = ledger_query(l, empty ? STMT_STAKE_DELETE : STMT_STAKE_PUT, empty ? delete_sql : put_sql,
                                    LEDGER_VALUES(ledger_val_int(s->pool), ledger_val_addr(s->address)));
    int rc = ledger_step_bound(st, empty ? ST_OK : ledger_bind_mpzs(st, 3, s->shares, s->debt, NULL));
    if (rc != ST_OK)
        return rc;
    st = ledger_query(l, STMT_STAKE_CHECKPOINT, checkpoint_sql,
                      LEDGER_VALUES(ledger_val_addr(s->address), ledger_val_int(s->pool), ledger_val_int(l->height)));
    return ledger_step_bound(st, ledger_bind_mpz(st, 4, s->shares));
}

/* A row of address, shares, debt of the pool *ctx. */
static int read_stake(sqlite3_stmt *st, void *row, const void *ctx)
{
    ((ledger_stake *)row)->pool = *(const uint64_t *)ctx;
    return ledger_read_columns(st, row, stake_columns);
}

int ledger_stake_list(ledger *l, uint64_t pool, const uint8_t *cursor, unsigned limit, ledger_stake *out,
                      unsigned *n, bool *more)
{
    static const char sql[] = "SELECT address, shares, debt FROM stakes WHERE pool = ?1 AND address > ?2 "
                              "ORDER BY address LIMIT ?3";
    sqlite3_stmt *st = ledger_query(l, STMT_STAKE_LIST, sql, LEDGER_VALUES(ledger_val_int(pool),
        ledger_val_cursor(cursor)));
    return ledger_read_rows(st, 3, out, sizeof *out, limit, read_stake, &pool, n, more);
}

int ledger_stake_pools_of(ledger *l, const uint8_t address[LEDGER_ADDR_LEN], uint64_t *ids, unsigned cap, unsigned *n)
{
    static const char sql[] = "SELECT DISTINCT pool FROM stake_checkpoints WHERE address = ?1 ORDER BY pool LIMIT ?2";
    sqlite3_stmt *st = ledger_query(l, STMT_STAKE_POOLS_OF, sql, LEDGER_VALUES(ledger_val_addr(address)));
    bool more;
    int rc = ledger_read_ids(st, 2, cap, ids, n, &more);
    return rc == ST_OK && more ? ST_LIMIT : rc;
}

int ledger_pool_checkpoint(ledger *l, const ledger_pool *p)
{
    ARG_CHECK(l->in_block);
    static const char sql[] = "INSERT INTO pool_checkpoints(pool, height, stake, shares) VALUES(?1, ?2, ?3, ?4) "
                              "ON CONFLICT(pool, height) DO UPDATE SET stake = excluded.stake, shares = excluded.shares";
    sqlite3_stmt *st = ledger_query(l, STMT_POOL_CHECKPOINT, sql, LEDGER_VALUES(ledger_val_int(p->id),
        ledger_val_int(l->height)));
    return ledger_step_bound(st, ledger_bind_mpzs(st, 3, p->stake, p->shares, NULL));
}

int ledger_pool_at(ledger *l, uint64_t pool, uint64_t height, mpz_t pool_stake, mpz_t pool_shares)
{
    static const char sql[] = "SELECT stake, shares FROM pool_checkpoints WHERE pool = ?1 AND height <= ?2 "
                              "ORDER BY height DESC LIMIT 1";
    mpz_set_ui(pool_stake, 0);
    mpz_set_ui(pool_shares, 0);
    sqlite3_stmt *st = ledger_query(l, STMT_POOL_AT, sql, LEDGER_VALUES(ledger_val_int(pool), ledger_val_int(height)));
    return ledger_step_mpzs(st, pool_stake, pool_shares, NULL);
}

int ledger_stake_at(ledger *l, uint64_t pool, const uint8_t address[LEDGER_ADDR_LEN], uint64_t height, mpz_t shares,
                    mpz_t pool_stake, mpz_t pool_shares)
{
    static const char sql[] = "SELECT shares FROM stake_checkpoints WHERE address = ?1 AND pool = ?2 "
                              "AND height <= ?3 ORDER BY height DESC LIMIT 1";
    mpz_set_ui(shares, 0);
    sqlite3_stmt *st = ledger_query(l, STMT_STAKE_AT, sql, LEDGER_VALUES(ledger_val_addr(address), ledger_val_int(pool),
        ledger_val_int(height)));
    int rc = ledger_step_mpzs(st, shares, NULL);
    return rc == ST_OK ? ledger_pool_at(l, pool, height, pool_stake, pool_shares) : rc;
}

/* A pool's checkpoint at height, from the memo when height is below the open block's: such a
 * checkpoint can no longer change (ledger_pool_checkpoint writes at the open block's height), and
 * every voter of a block asks for the same one, its proposal's snapshot. */
static int pool_at_memo(ledger *l, uint64_t pool, uint64_t height, mpz_t stake, mpz_t shares)
{
    bool fixed = l->in_block && height < l->height;
    struct ledger_pool_memo *m = &l->pool_memo[pool % LEDGER_POOL_MEMO_SLOTS];
    if (fixed && m->used && m->pool == pool && m->height == height) {
        mpz_set(stake, m->stake);
        mpz_set(shares, m->shares);
        return ST_OK;
    }
    int rc = ledger_pool_at(l, pool, height, stake, shares);
    if (rc == ST_OK && fixed) {
        if (!m->inited)
            mpz_inits(m->stake, m->shares, NULL);
        m->inited = m->used = true;
        m->pool = pool;
        m->height = height;
        mpz_set(m->stake, stake);
        mpz_set(m->shares, shares);
    }
    return rc;
}

void ledger_pool_memo_clear(ledger *l)
{
    for (unsigned i = 0; i < LEDGER_POOL_MEMO_SLOTS; i++)
        if (l->pool_memo[i].inited)
            mpz_clears(l->pool_memo[i].stake, l->pool_memo[i].shares, NULL);
    memset(l->pool_memo, 0, sizeof l->pool_memo);
}

/* What ledger_stake_value_at's rows add up: the value so far, the pools seen, and room for a row's
 * numbers. */
struct value_at {
    ledger *l;
    uint64_t height;
    mpz_ptr out;
    unsigned pools;
    mpz_t shares, stake, total;
};

/* One pool's row: its id and the staker's shares at the height (NULL: none yet); its value is
 * shares * the pool's stake / the pool's shares then, floored. */
static int add_pool_value(sqlite3_stmt *st, void *ctx)
{
    struct value_at *v = ctx;
    if (++v->pools > LEDGER_MAX_POOLS_PER_STAKER)
        return ST_LIMIT;
    if (sqlite3_column_type(st, 1) == SQLITE_NULL)
        return ST_OK;
    int rc = ledger_column_mpz(st, 1, v->shares);
    if (rc == ST_OK)
        rc = pool_at_memo(v->l, (uint64_t)sqlite3_column_int64(st, 0), v->height, v->stake, v->total);
    if (rc == ST_OK && mpz_sgn(v->total) > 0) {
        mpz_mul(v->shares, v->shares, v->stake);
        mpz_fdiv_q(v->shares, v->shares, v->total);
        mpz_add(v->out, v->out, v->shares);
    }
    return rc;
}

int ledger_stake_value_at(ledger *l, const uint8_t address[LEDGER_ADDR_LEN], uint64_t height, mpz_t out)
{
    /* one statement (a vote's power reads it for each voter): each pool the address ever staked
     * in, with its shares at the height */
    static const char sql[] =
        "SELECT k.pool, (SELECT shares FROM stake_checkpoints WHERE address = ?1 AND pool = k.pool AND height <= ?2"
        " ORDER BY height DESC LIMIT 1)"
        " FROM (SELECT DISTINCT pool FROM stake_checkpoints WHERE address = ?1 ORDER BY pool LIMIT ?3) AS k";
    struct value_at v = { .l = l, .height = height, .out = out };
    mpz_set_ui(out, 0);
    mpz_inits(v.shares, v.stake, v.total, NULL);
    sqlite3_stmt *st = ledger_query(l, STMT_STAKE_VALUE_AT, sql, LEDGER_VALUES(ledger_val_addr(address),
        ledger_val_int(height), ledger_val_int(LEDGER_MAX_POOLS_PER_STAKER + 1)));
    int rc = ledger_each_row(st, add_pool_value, &v);
    mpz_clears(v.shares, v.stake, v.total, NULL);
    return rc;
}

/* ---- the withdraw queue ---- */

/* A row of WD_COLUMNS. */
static const ledger_column withdrawal_columns[] = {
    LEDGER_COLUMN(INT, ledger_withdrawal, pool), LEDGER_COLUMN(BYTES_OR_ZERO, ledger_withdrawal, address),
    LEDGER_COLUMN(MPZ, ledger_withdrawal, shares), LEDGER_COLUMN(INT, ledger_withdrawal, since),
    LEDGER_COLUMN(INT, ledger_withdrawal, seq), LEDGER_COLUMNS_END
};

void ledger_withdrawal_init(ledger_withdrawal *w)
{
    ledger_columns_init(w, sizeof *w, withdrawal_columns);
}

void ledger_withdrawal_clear(ledger_withdrawal *w)
{
    ledger_columns_clear(w, withdrawal_columns);
}


#define WD_COLUMNS "pool, address, shares, since, seq"

int ledger_withdrawal_get(ledger *l, uint64_t pool, const uint8_t address[LEDGER_ADDR_LEN], ledger_withdrawal *w)
{
    static const char sql[] = "SELECT " WD_COLUMNS " FROM withdrawals WHERE pool = ?1 AND address = ?2";
    sqlite3_stmt *st = ledger_query(l, STMT_WD_GET, sql, LEDGER_VALUES(ledger_val_int(pool), ledger_val_addr(address)));
    return ledger_read_row(st, w, ledger_read_columns, withdrawal_columns);
}

int ledger_withdrawal_head(ledger *l, uint64_t pool, ledger_withdrawal *w)
{
    static const char sql[] = "SELECT " WD_COLUMNS " FROM withdrawals WHERE pool = ?1 ORDER BY seq LIMIT 1";
    sqlite3_stmt *st = ledger_query(l, STMT_WD_HEAD, sql, LEDGER_VALUES(ledger_val_int(pool)));
    return ledger_read_row(st, w, ledger_read_columns, withdrawal_columns);
}

int ledger_withdrawal_put(ledger *l, const ledger_withdrawal *w)
{
    ARG_CHECK(l->in_block);
    static const char sql[] = "INSERT INTO withdrawals(" WD_COLUMNS ") VALUES(?1, ?2, ?3, ?4, ?5) "
                              "ON CONFLICT(pool, address) DO UPDATE SET shares = excluded.shares, "
                              "since = excluded.since, seq = excluded.seq";
    return ledger_write_columns(ledger_stmt(l, STMT_WD_PUT, sql), w, withdrawal_columns, NULL);
}

int ledger_withdrawal_delete(ledger *l, uint64_t pool, const uint8_t address[LEDGER_ADDR_LEN])
{
    ARG_CHECK(l->in_block);
    static const char sql[] = "DELETE FROM withdrawals WHERE pool = ?1 AND address = ?2";
    sqlite3_stmt *st = ledger_query(l, STMT_WD_DELETE, sql, LEDGER_VALUES(ledger_val_int(pool),
        ledger_val_addr(address)));
    return ledger_step_done(st);
}

int ledger_withdrawal_next_seq(ledger *l, uint64_t pool, uint64_t *seq)
{
    static const char sql[] = "SELECT coalesce(max(seq), 0) + 1 FROM withdrawals WHERE pool = ?1";
    return ledger_step_u64(ledger_query(l, STMT_WD_SEQ, sql, LEDGER_VALUES(ledger_val_int(pool))), seq);
}

int ledger_withdrawal_list(ledger *l, uint64_t pool, uint64_t cursor, unsigned limit, ledger_withdrawal *out,
                           unsigned *n, bool *more)
{
    static const char sql[] = "SELECT " WD_COLUMNS " FROM withdrawals WHERE pool = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3";
    sqlite3_stmt *st = ledger_query(l, STMT_WD_LIST, sql, LEDGER_VALUES(ledger_val_int(pool), ledger_val_int(cursor)));
    return ledger_read_rows(st, 3, out, sizeof *out, limit, ledger_read_columns, withdrawal_columns, n, more);
}

int ledger_withdrawal_overdue_pools(ledger *l, uint64_t t, uint64_t after, uint64_t *ids, unsigned cap, unsigned *n)
{
    static const char sql[] = "SELECT DISTINCT pool FROM withdrawals WHERE since < ?1 AND pool > ?3 ORDER BY pool LIMIT ?2";
    sqlite3_stmt *st = ledger_query(l, STMT_WD_OVERDUE, sql, LEDGER_VALUES(ledger_val_int(t), ledger_val_null(),
        ledger_val_int(after)));
    return ledger_read_ids(st, 2, cap, ids, n, NULL);
}

int ledger_withdrawal_total(ledger *l, uint64_t pool, mpz_t shares)
{
    static const char sql[] = "SELECT u256_sum(shares) FROM withdrawals WHERE pool = ?1";
    return ledger_step_mpzs(ledger_query(l, STMT_WD_TOTAL, sql, LEDGER_VALUES(ledger_val_int(pool))), shares, NULL);
}

/* ---- workers ---- */

#define WORKER_COLUMNS "address, pool, bonded, conf_level, score, value, started, judged_from"

/* A worker row (WORKER_COLUMNS). */
static const ledger_column worker_columns[] = {
    LEDGER_COLUMN(BYTES_OR_ZERO, ledger_worker, address), LEDGER_COLUMN(INT, ledger_worker, pool),
    LEDGER_COLUMN(MPZ, ledger_worker, bonded), LEDGER_COLUMN(INT, ledger_worker, conf_level),
    LEDGER_COLUMN(INT, ledger_worker, score), LEDGER_COLUMN(MPZ, ledger_worker, value),
    LEDGER_COLUMN(BOOL, ledger_worker, started), LEDGER_COLUMN(INT, ledger_worker, judged_from), LEDGER_COLUMNS_END
};

void ledger_worker_init(ledger_worker *w)
{
    ledger_columns_init(w, sizeof *w, worker_columns);
}

void ledger_worker_clear(ledger_worker *w)
{
    ledger_columns_clear(w, worker_columns);
}

/* Up to cap worker rows of a query whose LIMIT is ?2. */
static int read_workers(sqlite3_stmt *st, ledger_worker *out, unsigned cap, unsigned *n)
{
    return ledger_read_rows(st, 2, out, sizeof *out, cap, ledger_read_columns, worker_columns, n, NULL);
}

int ledger_worker_get(ledger *l, const uint8_t address[LEDGER_ADDR_LEN], ledger_worker *w)
{
    static const char sql[] = "SELECT " WORKER_COLUMNS " FROM workers WHERE address = ?1";
    sqlite3_stmt *st = ledger_query(l, STMT_WORKER_GET, sql, LEDGER_VALUES(ledger_val_addr(address)));
    return ledger_read_row(st, w, ledger_read_columns, worker_columns);
}

int ledger_worker_put(ledger *l, const ledger_worker *w)
{
    ARG_CHECK(l->in_block);
    static const char sql[] = "INSERT INTO workers(" WORKER_COLUMNS ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
                              "ON CONFLICT(address) DO UPDATE SET pool = excluded.pool, bonded = excluded.bonded, "
                              "conf_level = excluded.conf_level, score = excluded.score, value = excluded.value, "
                              "started = excluded.started, judged_from = excluded.judged_from";
    sqlite3_stmt *st = ledger_query(l, STMT_WORKER_PUT, sql, LEDGER_VALUES(ledger_val_addr(w->address),
        ledger_val_int(w->pool), ledger_val_null(), ledger_val_int(w->conf_level ? w->conf_level : 1),
        ledger_val_int(w->score), ledger_val_null(), ledger_val_int(w->started), ledger_val_int(w->judged_from)));
    int rc = ledger_bind_mpz(st, 3, w->bonded);
    return ledger_step_bound(st, rc == ST_OK ? ledger_bind_mpz(st, 6, w->value) : rc);
}

int ledger_worker_remove(ledger *l, const uint8_t address[LEDGER_ADDR_LEN])
{
    ARG_CHECK(l->in_block);
    static const char sql[] = "DELETE FROM workers WHERE address = ?1";
    return ledger_step_done(ledger_query(l, STMT_WORKER_REMOVE, sql, LEDGER_VALUES(ledger_val_addr(address))));
}

int ledger_worker_count(ledger *l, uint64_t pool, unsigned *n)
{
    static const char sql[] = "SELECT count(*) FROM workers WHERE pool = ?1";
    sqlite3_stmt *st = ledger_query(l, STMT_WORKER_COUNT, sql, LEDGER_VALUES(ledger_val_int(pool)));
    uint64_t count;
    int rc = ledger_step_u64(st, &count);
    if (rc == ST_OK)
        *n = (unsigned)count;
    return rc;
}

int ledger_worker_list(ledger *l, uint64_t pool, ledger_worker *out, unsigned cap, unsigned *n)
{
    static const char sql[] = "SELECT " WORKER_COLUMNS " FROM workers WHERE pool = ?1 "
                              "ORDER BY address LIMIT ?2";
    return read_workers(ledger_query(l, STMT_WORKER_LIST, sql, LEDGER_VALUES(ledger_val_int(pool))), out, cap, n);
}

int ledger_worker_all(ledger *l, const uint8_t *after, ledger_worker *out, unsigned cap, unsigned *n)
{
    static const char sql[] = "SELECT " WORKER_COLUMNS " FROM workers WHERE address > ?1 "
                              "ORDER BY address LIMIT ?2";
    return read_workers(ledger_query(l, STMT_WORKER_ALL, sql, LEDGER_VALUES(ledger_val_cursor(after))), out, cap, n);
}

/* ---- unbonding stake ---- */

int ledger_unbonding_insert(ledger *l, ledger_unbonding *u)
{
    ARG_CHECK(l->in_block);
    static const char sql[] = "INSERT INTO unbondings(pool, worker, amount, release_at) VALUES(?1, ?2, ?3, ?4) "
                              "RETURNING id";
    sqlite3_stmt *st = ledger_query(l, STMT_UNB_INSERT, sql, LEDGER_VALUES(ledger_val_int(u->pool),
        ledger_val_addr(u->worker), ledger_val_null(), ledger_val_int(u->release_at)));
    return ledger_insert_bound(st, ledger_bind_mpz(st, 3, u->amount), &u->id);
}

int ledger_unbonding_delete(ledger *l, uint64_t id)
{
    ARG_CHECK(l->in_block);
    static const char sql[] = "DELETE FROM unbondings WHERE id = ?1";
    return ledger_step_done(ledger_query(l, STMT_UNB_DELETE, sql, LEDGER_VALUES(ledger_val_int(id))));
}

/* An unbonding row: id, pool, worker, amount, release_at. */
static const ledger_column unbonding_columns[] = {
    LEDGER_COLUMN(INT, ledger_unbonding, id), LEDGER_COLUMN(INT, ledger_unbonding, pool),
    LEDGER_COLUMN(BYTES_OR_ZERO, ledger_unbonding, worker), LEDGER_COLUMN(MPZ, ledger_unbonding, amount),
    LEDGER_COLUMN(INT, ledger_unbonding, release_at), LEDGER_COLUMNS_END
};

void ledger_unbonding_init(ledger_unbonding *u)
{
    ledger_columns_init(u, sizeof *u, unbonding_columns);
}

void ledger_unbonding_clear(ledger_unbonding *u)
{
    ledger_columns_clear(u, unbonding_columns);
}

/* Up to cap unbonding rows of a query whose LIMIT is ?2. */
static int read_unbondings(sqlite3_stmt *st, ledger_unbonding *out, unsigned cap, unsigned *n)
{
    return ledger_read_rows(st, 2, out, sizeof *out, cap, ledger_read_columns, unbonding_columns, n, NULL);
}

int ledger_unbonding_due(ledger *l, uint64_t t, ledger_unbonding *out, unsigned cap, unsigned *n)
{
    static const char sql[] = "SELECT id, pool, worker, amount, release_at FROM unbondings WHERE release_at <= ?1 "
                              "ORDER BY release_at, id LIMIT ?2";
    return read_unbondings(ledger_query(l, STMT_UNB_DUE, sql, LEDGER_VALUES(ledger_val_int(t))), out, cap, n);
}

int ledger_unbonding_of_pool(ledger *l, uint64_t pool, ledger_unbonding *out, unsigned cap, unsigned *n)
{
    static const char sql[] = "SELECT id, pool, worker, amount, release_at FROM unbondings WHERE pool = ?1 "
                              "ORDER BY release_at, id LIMIT ?2";
    return read_unbondings(ledger_query(l, STMT_UNB_POOL, sql, LEDGER_VALUES(ledger_val_int(pool))), out, cap, n);
}

int ledger_unbonding_of_worker(ledger *l, const uint8_t worker[LEDGER_ADDR_LEN], uint64_t after, ledger_unbonding *out,
                               unsigned cap, unsigned *n)
{
    static const char sql[] = "SELECT id, pool, worker, amount, release_at FROM unbondings WHERE worker = ?1 "
                              "AND id > ?3 ORDER BY id LIMIT ?2";
    sqlite3_stmt *st = ledger_query(l, STMT_UNB_WORKER, sql, LEDGER_VALUES(ledger_val_addr(worker), ledger_val_null(),
        ledger_val_int(after)));
    return read_unbondings(st, out, cap, n);
}

int ledger_unbonding_set_amount(ledger *l, uint64_t id, const mpz_t amount)
{
    ARG_CHECK(l->in_block);
    static const char sql[] = "UPDATE unbondings SET amount = ?2 WHERE id = ?1";
    sqlite3_stmt *st = ledger_query(l, STMT_UNB_SET, sql, LEDGER_VALUES(ledger_val_int(id)));
    return ledger_step_bound(st, ledger_bind_mpz(st, 2, amount));
}

/* ---- deferred slashes ---- */

#define SLASH_COLUMNS "id, worker, pool, ppm, reason, created, due, state, proposal"

/* A row of SLASH_COLUMNS. */
static const ledger_column slash_columns[] = {
    LEDGER_COLUMN(INT, ledger_slash, id), LEDGER_COLUMN(BYTES_OR_ZERO, ledger_slash, worker),
    LEDGER_COLUMN(INT, ledger_slash, pool), LEDGER_COLUMN(INT, ledger_slash, ppm),
    LEDGER_COLUMN(SKIP, ledger_slash, reason), LEDGER_COLUMN(INT, ledger_slash, created),
    LEDGER_COLUMN(INT, ledger_slash, due), LEDGER_COLUMN(INT, ledger_slash, state),
    LEDGER_COLUMN(INT, ledger_slash, proposal), LEDGER_COLUMNS_END
};

static int read_slash(sqlite3_stmt *st, void *row, const void *ctx)
{
    (void)ctx;
    ledger_slash *s = row;
    memset(s, 0, sizeof *s);
    const unsigned char *reason = sqlite3_column_text(st, 4);
    snprintf(s->reason, sizeof s->reason, "%s", reason ? (const char *)reason : "");
    return ledger_read_columns(st, row, slash_columns);
}

/* Up to limit slash rows of a query whose LIMIT is ?2. */
static int read_slashes(sqlite3_stmt *st, ledger_slash *out, unsigned cap, unsigned *n, bool *more)
{
    return ledger_read_rows(st, 2, out, sizeof *out, cap, read_slash, NULL, n, more);
}

int ledger_slash_insert(ledger *l, ledger_slash *s)
{
    ARG_CHECK(l->in_block);
    static const char sql[] = "INSERT INTO slashes (worker, pool, ppm, reason, created, due, state)"
                              " VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0) RETURNING id";
    sqlite3_stmt *st = ledger_query(l, STMT_SLASH_INSERT, sql, LEDGER_VALUES(ledger_val_addr(s->worker),
        ledger_val_int(s->pool), ledger_val_int(s->ppm), ledger_val_text(s->reason), ledger_val_int(s->created),
        ledger_val_int(s->due)));
    s->state = LEDGER_SLASH_PENDING;
    s->proposal = 0;
    return ledger_step_returning_id(st, &s->id);
}

int ledger_slash_get(ledger *l, uint64_t id, ledger_slash *s)
{
    static const char sql[] = "SELECT " SLASH_COLUMNS " FROM slashes WHERE id = ?1";
    sqlite3_stmt *st = ledger_query(l, STMT_SLASH_GET, sql, LEDGER_VALUES(ledger_val_int(id)));
    return ledger_read_row(st, s, read_slash, NULL);
}

int ledger_slash_set_state(ledger *l, uint64_t id, int state, uint64_t proposal)
{
    ARG_CHECK(l->in_block);
    static const char sql[] = "UPDATE slashes SET state = ?2, proposal = ?3 WHERE id = ?1";
    sqlite3_stmt *st = ledger_query(l, STMT_SLASH_SET, sql, LEDGER_VALUES(ledger_val_int(id), ledger_val_int(state),
        proposal ? ledger_val_int(proposal) : ledger_val_null()));
    return ledger_step_done(st);
}

int ledger_slash_due(ledger *l, uint64_t t, ledger_slash *out, unsigned cap, unsigned *n)
{
    static const char sql[] = "SELECT " SLASH_COLUMNS " FROM slashes WHERE state = 0 AND due <= ?1 ORDER BY due, id LIMIT ?2";
    return read_slashes(ledger_query(l, STMT_SLASH_DUE, sql, LEDGER_VALUES(ledger_val_int(t))), out, cap, n, NULL);
}

int ledger_slash_list(ledger *l, int state, uint64_t cursor, unsigned limit, ledger_slash *out, unsigned *n, bool *more)
{
    static const char all_sql[] = "SELECT " SLASH_COLUMNS " FROM slashes WHERE id < ?1 ORDER BY id DESC LIMIT ?2";
    static const char state_sql[] =
        "SELECT " SLASH_COLUMNS " FROM slashes WHERE id < ?1 AND state = ?3 ORDER BY id DESC LIMIT ?2";
    bool by_state = state >= 0;
    sqlite3_stmt *st = ledger_query(l, by_state ? STMT_SLASH_LIST_STATE : STMT_SLASH_LIST, by_state ? state_sql : all_sql,
        LEDGER_VALUES(ledger_val_int(cursor ? (sqlite3_int64)cursor : INT64_MAX), ledger_val_null(),
                      by_state ? ledger_val_int(state) : ledger_val_null()));
    return read_slashes(st, out, limit, n, more);
}
