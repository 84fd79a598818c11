/* SPDX-License-Identifier: MIT */
/* gov_store.c: the SQL of governance (schemas 005, 011 and 013): proposals, votes and ballots, locks,
 * delegations with their checkpoints, overrides, governed parameters, polls (open and secret). Statements are
 * prepared once per store through the ledger's statement cache (ledger_stmt_prepare) into slots the
 * store owns; values are always bound, and rows are stepped and read by the ledger's row helpers.
 * It shares the ledger's one connection (ledger/sqlstore.h), so governance rows commit with the
 * block; within a block the proposals it read stay in memory, a vote's tally is written once at
 * the commit, and the last proposal's poll kind is kept (issue 12). Tallies and amounts are canonical decimal text, read and written through
 * GMP. */
#define _GNU_SOURCE /* twalk_r, tdestroy */
#include "governance/gov_store.h"

#include <search.h>
#include <stdlib.h>
#include <string.h>
#include "ledger/sqlstore.h"

enum gov_stmt_id {
    G_PROP_INSERT, G_PROP_GET, G_PROP_TALLY, G_PROP_UPDATE, G_PROP_DUE, G_PROP_ANY_DUE,
    G_PROP_LIST, G_VOTE_GET, G_VOTE_PUT, G_VOTE_UPDATE, G_VOTE_LIST, G_LOCK_PUT, G_LOCK_EACH, G_TOTAL_AT, G_PARAM_PUT, G_PARAM_EACH,
    G_DELEG_GET, G_DELEG_AT, G_DELEG_PUT, G_DELEG_DEL, G_DELEG_CHECKPOINT, G_DELEG_HAS, G_DELEG_LIST,
    G_DELEG_AT_LIST, G_OVERRIDE_GET, G_OVERRIDE_PUT, G_LOCK_SET,
    G_POLL_INSERT, G_POLL_GET, G_POLL_KIND, G_POLL_PUT, G_POLL_SCORES, G_POLL_HASH, G_COUNT_PUT, G_COUNT_GET, G_COUNTING_AFTER,
    G_STMT_COUNT
};

struct gov_store {
    ledger *l;
    sqlite3_stmt *stmts[G_STMT_COUNT];
    /* the open block's proposals (below, "the open block's proposals") */
    void *memo;                     /* tsearch tree of struct prop_memo */
    struct prop_undo *undo;         /* oldest first */
    size_t n_undo, cap_undo, inner_mark;
    uint64_t serial, tx_serial, next_serial;
    bool broken;                    /* a rollback could not be followed: the block must not commit */
    struct {                        /* gov_poll_kind's last answer; forgotten at a poll's insert, */
        bool known;                 /* a rollback and the block's end */
        uint64_t proposal;
        bool is_poll, secret;
    } last_kind;
};

static int memo_write(void *ctx);
static void memo_forget(void *ctx);
static void memo_savepoint(void *ctx, bool inner);
static void memo_savepoint_end(void *ctx, bool inner, bool keep);
static void forget_memo(gov_store *s);

int gov_store_new(gov_store **out, ledger *l)
{
    *out = calloc(1, sizeof **out);
    if (!*out)
        return ST_NOMEM;
    (*out)->l = l;
    ledger_block_cache hooks = { .write = memo_write, .forget = memo_forget, .savepoint = memo_savepoint,
                                 .savepoint_end = memo_savepoint_end, .ctx = *out };
    int rc = ledger_add_block_cache(l, &hooks);
    if (rc != ST_OK) {
        free(*out);
        *out = NULL;
    }
    return rc;
}

void gov_store_free(gov_store *s)
{
    if (!s)
        return;
    ledger_remove_block_cache(s->l, s);
    forget_memo(s);
    free(s->undo);
    for (int i = 0; i < G_STMT_COUNT; i++)
        sqlite3_finalize(s->stmts[i]);
    free(s);
}

/* The statement id of the store with values (NULL: none) bound to ?1, ?2, ...; NULL on error. */
static sqlite3_stmt *stmt(gov_store *s, enum gov_stmt_id id, const char *sql, const ledger_value *values)
{
    return ledger_stmt_bind(s->l, &s->stmts[id], sql, values);
}


/* ---- proposals ---- */

int gov_proposal_insert(gov_store *s, gov_proposal *p)
{
    static const char sql[] =
        "INSERT INTO proposals (proposer, track, title, body, payload, deposit, state, snapshot, total_power, created,"
        " vote_start, vote_end, eta, expires, next_change)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15) RETURNING id";
    sqlite3_stmt *st = stmt(s, G_PROP_INSERT, sql, LEDGER_VALUES(ledger_val_addr(p->proposer),
        ledger_val_text(p->track), ledger_val_text(p->title), ledger_val_text(p->body),
        ledger_val_text(p->payload ? p->payload : ""), ledger_val_null(), ledger_val_int((int)p->state),
        ledger_val_int(p->snapshot), ledger_val_null(), ledger_val_int(p->created), ledger_val_int(p->vote_start),
        ledger_val_int(p->vote_end), ledger_val_int(p->eta), ledger_val_int(p->expires),
        p->has_next_change ? ledger_val_int(p->next_change) : ledger_val_null()));
    int rc = ledger_bind_mpz(st, 6, p->deposit);
    if (rc == ST_OK)
        rc = ledger_bind_mpz(st, 9, p->total_power);
    return ledger_insert_bound(st, rc, &p->id);
}

/* A proposal row (the columns of gov_proposal_get) of the id *ctx. */
static int read_proposal(sqlite3_stmt *st, void *row, const void *ctx)
{
    gov_proposal *p = row;
    if (!ledger_column_fixed(st, 0, p->proposer, LEDGER_ADDR_LEN))
        return ST_DB;
    p->id = *(const uint64_t *)ctx;
    p->track = ledger_column_strdup(st, 1);
    p->title = ledger_column_strdup(st, 2);
    p->body = ledger_column_strdup(st, 3);
    p->payload = ledger_column_strdup(st, 4);
    p->state = (gov_state)sqlite3_column_int(st, 6);
    p->snapshot = (uint64_t)sqlite3_column_int64(st, 7);
    p->created = (uint64_t)sqlite3_column_int64(st, 9);
    p->vote_start = (uint64_t)sqlite3_column_int64(st, 10);
    p->vote_end = (uint64_t)sqlite3_column_int64(st, 11);
    p->eta = (uint64_t)sqlite3_column_int64(st, 12);
    p->expires = (uint64_t)sqlite3_column_int64(st, 13);
    p->has_next_change = sqlite3_column_type(st, 18) != SQLITE_NULL;
    p->next_change = (uint64_t)sqlite3_column_int64(st, 18);
    p->reason = sqlite3_column_type(st, 19) == SQLITE_NULL ? NULL : ledger_column_strdup(st, 19);
    if (!p->track || !p->title || !p->body || !p->payload)
        return ST_NOMEM;
    if (ledger_column_mpz(st, 5, p->deposit) != ST_OK || ledger_column_mpz(st, 8, p->total_power) != ST_OK)
        return ST_DB;
    return ledger_column_mpzs(st, 14, p->for_weight, p->against_weight, p->abstain_weight, p->turnout, NULL);
}

/* ---- the open block's proposals ----
 * Within a block, a proposal read once stays in memory (a tree by id), and an update that changes
 * only its tally (weights and turnout: a vote) is kept there and written once at the block's
 * commit, through the ledger's block-cache hooks. An update that changes what SQL reads within a
 * block (state, next_change, reason: gov_proposal_due's columns) is written at once. An undo log
 * keeps savepoints exact: a proposal's mutable fields before its first change under a savepoint,
 * and the proposals first read under it are dropped when it rolls back (their row may go too). */

struct prop_memo {
    gov_proposal p;
    bool dirty;                     /* the tally differs from the row: written at the commit */
    uint64_t serial;                /* the savepoint it was last saved under */
    uint64_t loaded;                /* the savepoint it was read under */
};

/* A proposal's mutable fields before the first change under one savepoint. */
struct prop_undo {
    struct prop_memo *m;
    gov_state state;
    bool has_next_change, dirty;
    uint64_t next_change, serial;
    char *reason;                   /* owned */
    mpz_t for_weight, against_weight, abstain_weight, turnout;
};

static int compare_ids(const void *a, const void *b)
{
    uint64_t x = ((const struct prop_memo *)a)->p.id, y = ((const struct prop_memo *)b)->p.id;
    return (x > y) - (x < y);
}

static void free_memo(void *node)
{
    struct prop_memo *m = node;
    gov_proposal_clear(&m->p);
    free(m);
}

static struct prop_memo *memo_find(gov_store *s, uint64_t id)
{
    struct prop_memo key = { .p.id = id };
    void *found = tfind(&key, &s->memo, compare_ids);
    return found ? *(struct prop_memo **)found : NULL;
}

/* Copies the mutable fields of from into to. Returns: ST_OK or ST_NOMEM. */
static int copy_mutable(gov_proposal *to, const gov_proposal *from)
{
    char *reason = from->reason ? strdup(from->reason) : NULL;
    if (from->reason && !reason)
        return ST_NOMEM;
    free(to->reason);
    to->reason = reason;
    to->state = from->state;
    to->has_next_change = from->has_next_change;
    to->next_change = from->next_change;
    mpz_set(to->for_weight, from->for_weight);
    mpz_set(to->against_weight, from->against_weight);
    mpz_set(to->abstain_weight, from->abstain_weight);
    mpz_set(to->turnout, from->turnout);
    return ST_OK;
}

/* A whole copy of from into to (initialized, without strings). Returns: ST_OK or ST_NOMEM. */
static int copy_proposal(gov_proposal *to, const gov_proposal *from)
{
    to->id = from->id;
    memcpy(to->proposer, from->proposer, 20);
    to->track = strdup(from->track);
    to->title = strdup(from->title);
    to->body = strdup(from->body);
    to->payload = strdup(from->payload);
    mpz_set(to->deposit, from->deposit);
    to->snapshot = from->snapshot;
    mpz_set(to->total_power, from->total_power);
    to->created = from->created;
    to->vote_start = from->vote_start;
    to->vote_end = from->vote_end;
    to->eta = from->eta;
    to->expires = from->expires;
    if (!to->track || !to->title || !to->body || !to->payload)
        return ST_NOMEM;
    return copy_mutable(to, from);
}

/* Records m's mutable fields before its first change under the open savepoint. */
static int save_for_undo(gov_store *s, struct prop_memo *m)
{
    if (m->serial == s->serial)
        return ST_OK;
    if (s->n_undo == s->cap_undo) {
        size_t cap = s->cap_undo ? 2 * s->cap_undo : 16;
        struct prop_undo *u = realloc(s->undo, cap * sizeof *u);
        if (!u)
            return ST_NOMEM;
        s->undo = u;
        s->cap_undo = cap;
    }
    struct prop_undo *u = &s->undo[s->n_undo];
    u->reason = m->p.reason ? strdup(m->p.reason) : NULL;
    if (m->p.reason && !u->reason)
        return ST_NOMEM;
    s->n_undo++;
    u->m = m;
    u->state = m->p.state;
    u->has_next_change = m->p.has_next_change;
    u->next_change = m->p.next_change;
    u->dirty = m->dirty;
    u->serial = m->serial;
    mpz_init_set(u->for_weight, m->p.for_weight);
    mpz_init_set(u->against_weight, m->p.against_weight);
    mpz_init_set(u->abstain_weight, m->p.abstain_weight);
    mpz_init_set(u->turnout, m->p.turnout);
    m->serial = s->serial;
    return ST_OK;
}

static void drop_undo(struct prop_undo *u)
{
    free(u->reason);
    mpz_clears(u->for_weight, u->against_weight, u->abstain_weight, u->turnout, NULL);
}

/* Walks the tree collecting the proposals read under savepoint `since` or later, to be dropped. */
struct prop_drop {
    uint64_t since;
    struct prop_memo **list;
    size_t n, cap;
    bool nomem;
};

static void collect_loaded(const void *node, VISIT which, void *closure)
{
    struct prop_drop *d = closure;
    struct prop_memo *m = *(struct prop_memo *const *)node;
    if ((which != postorder && which != leaf) || m->loaded < d->since || d->nomem)
        return;
    if (d->n == d->cap) {
        size_t cap = d->cap ? 2 * d->cap : 8;
        struct prop_memo **list = realloc(d->list, cap * sizeof *list);
        if (!list) {
            d->nomem = true;
            return;
        }
        d->list = list;
        d->cap = cap;
    }
    d->list[d->n++] = m;
}

static void forget_memo(gov_store *s)
{
    for (size_t i = 0; i < s->n_undo; i++)
        drop_undo(&s->undo[i]);
    s->n_undo = 0;
    tdestroy(s->memo, free_memo);
    s->memo = NULL;
    s->serial = s->tx_serial = 0;
}

/* Rolls the memo back to savepoint `serial` (whose undo records start at `mark`). */
static void roll_back(gov_store *s, size_t mark, uint64_t serial)
{
    while (s->n_undo > mark) {
        struct prop_undo *u = &s->undo[--s->n_undo];
        struct prop_memo *m = u->m;
        m->p.state = u->state;
        m->p.has_next_change = u->has_next_change;
        m->p.next_change = u->next_change;
        free(m->p.reason);
        m->p.reason = u->reason;
        u->reason = NULL;
        mpz_swap(m->p.for_weight, u->for_weight);
        mpz_swap(m->p.against_weight, u->against_weight);
        mpz_swap(m->p.abstain_weight, u->abstain_weight);
        mpz_swap(m->p.turnout, u->turnout);
        m->dirty = u->dirty;
        m->serial = u->serial;
        drop_undo(u);
    }
    struct prop_drop d = { .since = serial };
    twalk_r(s->memo, collect_loaded, &d);
    if (d.nomem) {
        /* cannot tell which to drop: write nothing more from memory, read everything again. The
         * dirty tallies of kept transactions would be lost, so the block must not commit. */
        s->broken = true;
    }
    for (size_t i = 0; i < d.n; i++) {
        tdelete(d.list[i], &s->memo, compare_ids);
        free_memo(d.list[i]);
    }
    free(d.list);
}

static void memo_savepoint(void *ctx, bool inner)
{
    gov_store *s = ctx;
    if (inner) {
        s->tx_serial = s->serial;
        s->inner_mark = s->n_undo;
    } else {
        for (size_t i = 0; i < s->n_undo; i++)
            drop_undo(&s->undo[i]);
        s->n_undo = 0;
    }
    s->serial = ++s->next_serial;
}

static void memo_savepoint_end(void *ctx, bool inner, bool keep)
{
    gov_store *s = ctx;
    if (!keep) {
        roll_back(s, inner ? s->inner_mark : 0, s->serial);
        s->last_kind.known = false;
    }
    if (inner) {
        s->serial = s->tx_serial;
    } else {
        for (size_t i = 0; i < s->n_undo; i++)
            drop_undo(&s->undo[i]);
        s->n_undo = 0;
        s->serial = 0;
    }
}

static int write_row(gov_store *s, const gov_proposal *p)
{
    static const char sql[] =
        "UPDATE proposals SET state = ?1, for_weight = ?2, against_weight = ?3, abstain_weight = ?4, turnout = ?5,"
        " next_change = ?6, reason = ?7 WHERE id = ?8";
    sqlite3_stmt *st = stmt(s, G_PROP_UPDATE, sql, LEDGER_VALUES(ledger_val_int((int)p->state), ledger_val_null(),
        ledger_val_null(), ledger_val_null(), ledger_val_null(),
        p->has_next_change ? ledger_val_int(p->next_change) : ledger_val_null(),
        p->reason ? ledger_val_text(p->reason) : ledger_val_null(), ledger_val_int(p->id)));
    return ledger_step_bound(st, ledger_bind_mpzs(st, 2, p->for_weight, p->against_weight, p->abstain_weight,
                                                  p->turnout, NULL));
}

/* What write_dirty carries along the walk. */
struct prop_write {
    gov_store *s;
    int rc;
};

static void write_dirty(const void *node, VISIT which, void *closure)
{
    struct prop_write *w = closure;
    const struct prop_memo *m = *(struct prop_memo *const *)node;
    if (w->rc == ST_OK && (which == postorder || which == leaf) && m->dirty)
        w->rc = write_row(w->s, &m->p);
}

static int memo_write(void *ctx)
{
    gov_store *s = ctx;
    if (s->broken)
        return ST_NOMEM;
    struct prop_write w = { s, ST_OK };
    twalk_r(s->memo, write_dirty, &w);
    return w.rc;
}

static void memo_forget(void *ctx)
{
    gov_store *s = ctx;
    forget_memo(s);
    s->broken = false;
    s->last_kind.known = false;
}

int gov_proposal_get(gov_store *s, uint64_t id, gov_proposal *p)
{
    static const char sql[] =
        "SELECT proposer, track, title, body, payload, deposit, state, snapshot, total_power, created, vote_start,"
        " vote_end, eta, expires, for_weight, against_weight, abstain_weight, turnout, next_change, reason"
        " FROM proposals WHERE id = ?1";
    bool in_block = ledger_in_block(s->l) && !s->broken;
    struct prop_memo *m = in_block ? memo_find(s, id) : NULL;
    if (m)
        return copy_proposal(p, &m->p);
    int rc = ledger_read_row(stmt(s, G_PROP_GET, sql, LEDGER_VALUES(ledger_val_int(id))), p, read_proposal, &id);
    if (rc != ST_OK || !in_block)
        return rc;
    /* kept for the rest of the block; without memory for that, it is only read again */
    if (!(m = calloc(1, sizeof *m)))
        return ST_OK;
    gov_proposal_init(&m->p);
    m->loaded = m->serial = s->serial;
    if (copy_proposal(&m->p, p) != ST_OK || !tsearch(m, &s->memo, compare_ids))
        free_memo(m);
    return ST_OK;
}

/* A proposal's tally row (the columns of gov_proposal_tally_get) of the id *ctx. */
static int read_tally(sqlite3_stmt *st, void *row, const void *ctx)
{
    gov_proposal *p = row;
    p->id = *(const uint64_t *)ctx;
    if (!(p->track = ledger_column_strdup(st, 0)))
        return ST_NOMEM;
    p->state = (gov_state)sqlite3_column_int(st, 1);
    if (ledger_column_mpz(st, 2, p->total_power) != ST_OK)
        return ST_DB;
    return ledger_column_mpzs(st, 3, p->for_weight, p->against_weight, p->abstain_weight, p->turnout, NULL);
}

int gov_proposal_tally_get(gov_store *s, uint64_t id, gov_proposal *p)
{
    static const char sql[] = "SELECT track, state, total_power, for_weight, against_weight, abstain_weight, turnout"
                              " FROM proposals WHERE id = ?1";
    /* within a block the kept proposals hold tallies the rows do not have yet */
    if (ledger_in_block(s->l))
        return gov_proposal_get(s, id, p);
    return ledger_read_row(stmt(s, G_PROP_TALLY, sql, LEDGER_VALUES(ledger_val_int(id))), p, read_tally, &id);
}

int gov_proposal_update(gov_store *s, const gov_proposal *p)
{
    struct prop_memo *m = ledger_in_block(s->l) && !s->broken ? memo_find(s, p->id) : NULL;
    if (!m)
        return write_row(s, p);
    bool tally_only = m->p.state == p->state && m->p.has_next_change == p->has_next_change
                      && (!p->has_next_change || m->p.next_change == p->next_change)
                      && ((!m->p.reason && !p->reason) || (m->p.reason && p->reason && strcmp(m->p.reason, p->reason) == 0));
    int rc = save_for_undo(s, m);
    if (rc == ST_OK && !tally_only)
        rc = write_row(s, p);
    if (rc == ST_OK)
        rc = copy_mutable(&m->p, p);
    if (rc == ST_OK)
        m->dirty = tally_only; /* else the row was just written whole */
    return rc;
}

int gov_proposal_due(gov_store *s, uint64_t now, uint64_t *ids, unsigned cap, unsigned *n)
{
    static const char sql[] =
        "SELECT id FROM proposals WHERE next_change IS NOT NULL AND next_change <= ?1 ORDER BY next_change, id LIMIT ?2";
    *n = 0;
    return ledger_read_ids(stmt(s, G_PROP_DUE, sql, LEDGER_VALUES(ledger_val_int(now))), 2, cap, ids, n, NULL);
}

bool gov_proposal_any_due(gov_store *s, uint64_t now)
{
    static const char sql[] = "SELECT 1 FROM proposals WHERE next_change IS NOT NULL AND next_change <= ?1 LIMIT 1";
    bool due;
    return ledger_step_exists(stmt(s, G_PROP_ANY_DUE, sql, LEDGER_VALUES(ledger_val_int(now))), &due) == ST_OK && due;
}

int gov_proposal_list(gov_store *s, int state, const char *track, uint64_t cursor, unsigned limit, uint64_t *ids,
                      unsigned *n, bool *more)
{
    static const char sql[] = "SELECT id FROM proposals WHERE id < ?1 AND (?2 < 0 OR state = ?2)"
                              " AND (?3 IS NULL OR track = ?3) ORDER BY id DESC LIMIT ?4";
    sqlite3_stmt *st = stmt(s, G_PROP_LIST, sql, LEDGER_VALUES(ledger_val_int(cursor ? (sqlite3_int64)cursor : INT64_MAX),
        ledger_val_int(state), track ? ledger_val_text(track) : ledger_val_null()));
    return ledger_read_ids(st, 4, limit, ids, n, more);
}

/* ---- votes ---- */

#define VOTE_COLUMNS "support, conviction, power, weight, delegated_power, delegated_weight, choice, ciphertext"

/* A row of voter and VOTE_COLUMNS on the proposal *ctx (a row read before into v gives up its choice). */
static int read_vote(sqlite3_stmt *st, void *row, const void *ctx)
{
    static const ledger_column columns[] = {
        LEDGER_COLUMN(BYTES, gov_vote, voter), LEDGER_COLUMN(INT, gov_vote, support),
        LEDGER_COLUMN(INT, gov_vote, conviction), LEDGER_COLUMN(MPZ, gov_vote, power),
        LEDGER_COLUMN(MPZ, gov_vote, weight), LEDGER_COLUMN(MPZ, gov_vote, delegated_power),
        LEDGER_COLUMN(MPZ, gov_vote, delegated_weight), LEDGER_COLUMNS_END
    };
    gov_vote *v = row;
    v->proposal = *(const uint64_t *)ctx;
    free(v->choice);
    v->choice = NULL;
    free(v->ciphertext);
    v->ciphertext = NULL;
    v->ciphertext_len = 0;
    if (sqlite3_column_type(st, 7) != SQLITE_NULL && !(v->choice = ledger_column_strdup(st, 7)))
        return ST_NOMEM;
    if (sqlite3_column_type(st, 8) != SQLITE_NULL) {
        int len = sqlite3_column_bytes(st, 8);
        const void *blob = sqlite3_column_blob(st, 8);
        if (len <= 0 || !blob)
            return ST_DB;
        if (!(v->ciphertext = malloc((size_t)len)))
            return ST_NOMEM;
        memcpy(v->ciphertext, blob, (size_t)len);
        v->ciphertext_len = (size_t)len;
    }
    return ledger_read_columns(st, row, columns);
}

int gov_vote_list(gov_store *s, uint64_t proposal, const uint8_t *cursor, unsigned limit, gov_vote *out, unsigned *n,
                  bool *more)
{
    static const char sql[] = "SELECT voter, " VOTE_COLUMNS " FROM votes WHERE proposal = ?1 AND voter > ?2"
                              " ORDER BY voter LIMIT ?3";
    *n = 0;
    *more = false;
    sqlite3_stmt *st = stmt(s, G_VOTE_LIST, sql, LEDGER_VALUES(ledger_val_int(proposal), ledger_val_cursor(cursor)));
    return ledger_read_rows(st, 3, out, sizeof *out, limit, read_vote, &proposal, n, more);
}

int gov_vote_get(gov_store *s, uint64_t proposal, const uint8_t voter[LEDGER_ADDR_LEN], gov_vote *v)
{
    static const char sql[] = "SELECT voter, " VOTE_COLUMNS " FROM votes WHERE proposal = ?1 AND voter = ?2";
    sqlite3_stmt *st = stmt(s, G_VOTE_GET, sql, LEDGER_VALUES(ledger_val_int(proposal), ledger_val_addr(voter)));
    return ledger_read_row(st, v, read_vote, &proposal);
}

/* Runs sql (statement id) with v's ten columns bound as ?1 to ?10, in the votes table's order.
 * Out: *rows, when not NULL and it ran, the rows it changed. */
static int write_vote(gov_store *s, enum gov_stmt_id id, const char *sql, const gov_vote *v, int *rows)
{
    sqlite3_stmt *st = stmt(s, id, sql, LEDGER_VALUES(ledger_val_int(v->proposal), ledger_val_addr(v->voter),
        ledger_val_int(v->support), ledger_val_int(v->conviction), ledger_val_null(), ledger_val_null(),
        ledger_val_null(), ledger_val_null(), v->choice ? ledger_val_text(v->choice) : ledger_val_null(),
        v->ciphertext ? ledger_val_blob(v->ciphertext, v->ciphertext_len) : ledger_val_null()));
    int rc = ledger_step_bound(st, ledger_bind_mpzs(st, 5, v->power, v->weight, v->delegated_power,
                                                    v->delegated_weight, NULL));
    if (rc == ST_OK && rows)
        *rows = sqlite3_changes(sqlite3_db_handle(st));
    return rc;
}

int gov_vote_put(gov_store *s, const gov_vote *v)
{
    /* a vote put over one already there is updated in place (INSERT OR REPLACE would delete the row
     * and insert it again) */
    static const char sql[] =
        "INSERT INTO votes (proposal, voter, support, conviction, power, weight, delegated_power, delegated_weight,"
        " choice, ciphertext) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
        " ON CONFLICT (proposal, voter) DO UPDATE SET support = excluded.support, conviction = excluded.conviction,"
        " power = excluded.power, weight = excluded.weight, delegated_power = excluded.delegated_power,"
        " delegated_weight = excluded.delegated_weight, choice = excluded.choice, ciphertext = excluded.ciphertext";
    return write_vote(s, G_VOTE_PUT, sql, v, NULL);
}

int gov_vote_update(gov_store *s, const gov_vote *v)
{
    static const char sql[] =
        "UPDATE votes SET support = ?3, conviction = ?4, power = ?5, weight = ?6, delegated_power = ?7,"
        " delegated_weight = ?8, choice = ?9, ciphertext = ?10 WHERE proposal = ?1 AND voter = ?2";
    int rows = 0, rc = write_vote(s, G_VOTE_UPDATE, sql, v, &rows);
    return rc == ST_OK && rows != 1 ? ST_DB : rc;
}

/* ---- polls ---- */

int gov_poll_insert(gov_store *s, uint64_t proposal, unsigned system, unsigned n, const char *tally, bool secret)
{
    static const char sql[] = "INSERT INTO polls (proposal, system, choices, tally, secret) VALUES (?1, ?2, ?3, ?4, ?5)";
    s->last_kind.known = false;
    return ledger_step_done(stmt(s, G_POLL_INSERT, sql, LEDGER_VALUES(ledger_val_int(proposal), ledger_val_int(system),
        ledger_val_int(n), tally ? ledger_val_text(tally) : ledger_val_null(), ledger_val_int(secret))));
}

/* A polls row into the gov_poll_row *row. */
static int read_poll(sqlite3_stmt *st, void *row, const void *ctx)
{
    gov_poll_row *r = row;
    (void)ctx;
    r->system = (unsigned)sqlite3_column_int(st, 0);
    r->n = (unsigned)sqlite3_column_int(st, 1);
    r->ballots = (uint64_t)sqlite3_column_int64(st, 4);
    r->secret = sqlite3_column_int(st, 6) != 0;
    r->has_ballots_hash = sqlite3_column_type(st, 7) != SQLITE_NULL;
    if (r->has_ballots_hash && !ledger_column_fixed(st, 7, r->ballots_hash, sizeof r->ballots_hash))
        return ST_DB;
    if ((sqlite3_column_type(st, 2) != SQLITE_NULL && !(r->tally = ledger_column_strdup(st, 2)))
        || (sqlite3_column_type(st, 5) != SQLITE_NULL && !(r->scores = ledger_column_strdup(st, 5))))
        return ST_NOMEM;
    return ledger_column_mpz(st, 3, r->power);
}

int gov_poll_get(gov_store *s, uint64_t proposal, gov_poll_row *r)
{
    static const char sql[] =
        "SELECT system, choices, tally, power, ballots, scores, secret, ballots_hash FROM polls WHERE proposal = ?1";
    return ledger_read_row(stmt(s, G_POLL_GET, sql, LEDGER_VALUES(ledger_val_int(proposal))), r, read_poll, NULL);
}

int gov_poll_kind(gov_store *s, uint64_t proposal, bool *is_poll, bool *secret)
{
    /* every vote of a block asks of its proposal, most often the same one */
    if (!s->last_kind.known || s->last_kind.proposal != proposal) {
        static const char sql[] = "SELECT secret FROM polls WHERE proposal = ?1";
        int64_t secret_column = 0;
        int rc = ledger_step_i64(stmt(s, G_POLL_KIND, sql, LEDGER_VALUES(ledger_val_int(proposal))), &secret_column);
        if (rc != ST_OK && rc != ST_NOTFOUND)
            return rc;
        s->last_kind.is_poll = rc == ST_OK;
        s->last_kind.secret = secret_column != 0;
        s->last_kind.proposal = proposal;
        s->last_kind.known = true;
    }
    *is_poll = s->last_kind.is_poll;
    *secret = s->last_kind.secret;
    return ST_OK;
}

int gov_poll_put(gov_store *s, uint64_t proposal, const char *tally, const mpz_t power, uint64_t ballots)
{
    static const char sql[] = "UPDATE polls SET tally = ?1, power = ?2, ballots = ?3 WHERE proposal = ?4";
    sqlite3_stmt *st = stmt(s, G_POLL_PUT, sql, LEDGER_VALUES(tally ? ledger_val_text(tally) : ledger_val_null(),
        ledger_val_null(), ledger_val_int((sqlite3_int64)ballots), ledger_val_int(proposal)));
    return ledger_step_bound(st, ledger_bind_mpz(st, 2, power));
}

int gov_poll_set_scores(gov_store *s, uint64_t proposal, const char *scores)
{
    static const char sql[] = "UPDATE polls SET scores = ?1 WHERE proposal = ?2";
    return ledger_step_done(stmt(s, G_POLL_SCORES, sql, LEDGER_VALUES(ledger_val_text(scores), ledger_val_int(proposal))));
}

int gov_poll_set_ballots_hash(gov_store *s, uint64_t proposal, const uint8_t hash[32])
{
    static const char sql[] = "UPDATE polls SET ballots_hash = ?1 WHERE proposal = ?2";
    return ledger_step_done(stmt(s, G_POLL_HASH, sql, LEDGER_VALUES(ledger_val_hash(hash), ledger_val_int(proposal))));
}

void gov_poll_row_init(gov_poll_row *r)
{
    memset(r, 0, sizeof *r);
    mpz_init(r->power);
}

void gov_poll_row_clear(gov_poll_row *r)
{
    if (!r || !r->power->_mp_d)
        return;
    free(r->tally);
    free(r->scores);
    mpz_clear(r->power);
    memset(r, 0, sizeof *r);
}

/* ---- secret counts ---- */

int gov_secret_count_put(gov_store *s, uint64_t proposal, const uint8_t enclave[LEDGER_ADDR_LEN], const uint8_t measurement[32],
                         const uint8_t *report, size_t report_len, const uint8_t signature[65], uint64_t height)
{
    static const char sql[] = "INSERT INTO secret_counts (proposal, enclave, measurement, report, signature, height)"
                              " VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
    sqlite3_stmt *st = stmt(s, G_COUNT_PUT, sql, LEDGER_VALUES(ledger_val_int(proposal), ledger_val_addr(enclave),
        ledger_val_hash(measurement), ledger_val_blob(report, report_len), ledger_val_blob(signature, 65),
        ledger_val_int(height)));
    return ledger_step_unique(st);
}

static int read_secret_count(sqlite3_stmt *st, void *row, const void *ctx)
{
    (void)ctx;
    gov_secret_count_row *r = row;
    if (!ledger_column_fixed(st, 0, r->enclave, LEDGER_ADDR_LEN) || !ledger_column_fixed(st, 1, r->measurement, 32)
        || !ledger_column_fixed(st, 3, r->signature, 65))
        return ST_DB;
    int len = sqlite3_column_bytes(st, 2);
    const void *blob = sqlite3_column_blob(st, 2);
    if (len <= 0 || !blob)
        return ST_DB;
    if (!(r->report = malloc((size_t)len)))
        return ST_NOMEM;
    memcpy(r->report, blob, (size_t)len);
    r->report_len = (size_t)len;
    r->height = (uint64_t)sqlite3_column_int64(st, 4);
    return ST_OK;
}

int gov_secret_count_get(gov_store *s, uint64_t proposal, gov_secret_count_row *r)
{
    static const char sql[] = "SELECT enclave, measurement, report, signature, height FROM secret_counts WHERE proposal = ?1";
    return ledger_read_row(stmt(s, G_COUNT_GET, sql, LEDGER_VALUES(ledger_val_int(proposal))), r, read_secret_count, NULL);
}

void gov_secret_count_row_clear(gov_secret_count_row *r)
{
    if (!r)
        return;
    free(r->report);
    memset(r, 0, sizeof *r);
}

int gov_counting_after(gov_store *s, uint64_t after, uint64_t *id)
{
    static const char sql[] = "SELECT id FROM proposals WHERE state = ?1 AND id > ?2 ORDER BY id LIMIT ?3";
    unsigned n = 0;
    int rc = ledger_read_ids(stmt(s, G_COUNTING_AFTER, sql, LEDGER_VALUES(ledger_val_int(GOV_COUNTING), ledger_val_int(after))),
                             3, 1, id, &n, NULL);
    return rc == ST_OK && n == 0 ? ST_NOTFOUND : rc;
}

/* ---- locks ---- */

/* Runs the lock write sql (statement id) with voter, proposal, amount, until bound to ?1 ... ?4. */
static int lock_write(gov_store *s, enum gov_stmt_id id, const char *sql, const uint8_t voter[LEDGER_ADDR_LEN],
                      uint64_t proposal, const mpz_t amount, uint64_t until)
{
    sqlite3_stmt *st = stmt(s, id, sql, LEDGER_VALUES(ledger_val_addr(voter), ledger_val_int(proposal), ledger_val_null(),
                                                      ledger_val_int(until)));
    return ledger_step_bound(st, ledger_bind_mpz(st, 3, amount));
}

int gov_lock_put(gov_store *s, const uint8_t voter[LEDGER_ADDR_LEN], uint64_t proposal, const mpz_t amount,
                 uint64_t until)
{
    static const char sql[] =
        "INSERT INTO vote_locks (voter, proposal, amount, until) VALUES (?1, ?2, ?3, ?4)"
        " ON CONFLICT (voter, proposal) DO UPDATE"
        " SET amount = CASE WHEN u256_cmp(excluded.amount, amount) > 0 THEN excluded.amount ELSE amount END,"
        " until = MAX(until, excluded.until)";
    return lock_write(s, G_LOCK_PUT, sql, voter, proposal, amount, until);
}

int gov_lock_set(gov_store *s, const uint8_t voter[LEDGER_ADDR_LEN], uint64_t proposal, const mpz_t amount,
                 uint64_t until)
{
    static const char sql[] = "INSERT OR REPLACE INTO vote_locks (voter, proposal, amount, until)"
                              " VALUES (?1, ?2, ?3, ?4)";
    return lock_write(s, G_LOCK_SET, sql, voter, proposal, amount, mpz_sgn(amount) ? until : 0);
}

/* What gov_lock_each passes along to each lock row. */
struct lock_visit {
    int (*fn)(void *ctx, uint64_t proposal, const mpz_t amount, uint64_t until);
    void *ctx;
    mpz_t amount;
};

static int visit_lock(sqlite3_stmt *st, void *ctx)
{
    struct lock_visit *v = ctx;
    int rc = ledger_column_mpz(st, 1, v->amount);
    return rc == ST_OK ? v->fn(v->ctx, (uint64_t)sqlite3_column_int64(st, 0), v->amount,
                               (uint64_t)sqlite3_column_int64(st, 2)) : rc;
}

int gov_lock_each(gov_store *s, const uint8_t voter[LEDGER_ADDR_LEN], uint64_t now,
                  int (*fn)(void *ctx, uint64_t proposal, const mpz_t amount, uint64_t until), void *ctx)
{
    static const char sql[] =
        "SELECT proposal, amount, until FROM vote_locks WHERE voter = ?1 AND until > ?2 ORDER BY until DESC, proposal";
    sqlite3_stmt *st = stmt(s, G_LOCK_EACH, sql, LEDGER_VALUES(ledger_val_addr(voter), ledger_val_int(now)));
    struct lock_visit v = { .fn = fn, .ctx = ctx };
    mpz_init(v.amount);
    int rc = ledger_each_row(st, visit_lock, &v);
    mpz_clear(v.amount);
    return rc;
}

struct lock_max {
    mpz_ptr amount;
    uint64_t *until;
};

static int take_max(void *ctx, uint64_t proposal, const mpz_t amount, uint64_t until)
{
    struct lock_max *m = ctx;
    (void)proposal;
    int c = mpz_cmp(amount, m->amount);
    if (c > 0 || (c == 0 && until > *m->until)) {
        mpz_set(m->amount, amount);
        *m->until = until;
    }
    return ST_OK;
}

int gov_lock_max(gov_store *s, const uint8_t voter[LEDGER_ADDR_LEN], uint64_t now, mpz_t amount, uint64_t *until)
{
    /* a voter holds few locks (one per proposal voted on): compared exactly in C */
    struct lock_max m = { amount, until };
    mpz_set_ui(amount, 0);
    *until = 0;
    return gov_lock_each(s, voter, now, take_max, &m);
}

/* ---- delegations ---- */

/* A row of delegator, delegate, conviction, since; a checkpoint of an undelegation names no delegate
 * and reads as ST_NOTFOUND. */
static int read_delegation(sqlite3_stmt *st, void *row, const void *ctx)
{
    (void)ctx;
    static const ledger_column columns[] = {
        LEDGER_COLUMN(BYTES, gov_delegation, delegator), LEDGER_COLUMN(BYTES, gov_delegation, delegate),
        LEDGER_COLUMN(INT, gov_delegation, conviction), LEDGER_COLUMN(INT, gov_delegation, since), LEDGER_COLUMNS_END
    };
    if (sqlite3_column_type(st, 1) == SQLITE_NULL)
        return ST_NOTFOUND;
    return ledger_read_columns(st, row, columns);
}

int gov_delegation_get(gov_store *s, const uint8_t delegator[LEDGER_ADDR_LEN], gov_delegation *d)
{
    static const char sql[] = "SELECT delegator, delegate, conviction, since FROM delegations WHERE delegator = ?1";
    sqlite3_stmt *st = stmt(s, G_DELEG_GET, sql, LEDGER_VALUES(ledger_val_addr(delegator)));
    return ledger_read_row(st, d, read_delegation, NULL);
}

int gov_delegation_at(gov_store *s, const uint8_t delegator[LEDGER_ADDR_LEN], uint64_t height, gov_delegation *d)
{
    static const char sql[] = "SELECT delegator, delegate, conviction, height FROM delegation_checkpoints"
                              " WHERE delegator = ?1 AND height <= ?2 ORDER BY height DESC LIMIT 1";
    sqlite3_stmt *st = stmt(s, G_DELEG_AT, sql, LEDGER_VALUES(ledger_val_addr(delegator), ledger_val_int(height)));
    return ledger_read_row(st, d, read_delegation, NULL);
}

/* Records the delegation of delegator from height on (delegate NULL: none). */
static int delegation_checkpoint(gov_store *s, const uint8_t delegator[LEDGER_ADDR_LEN], uint64_t height,
                                 const uint8_t *delegate, unsigned conviction)
{
    static const char sql[] = "INSERT OR REPLACE INTO delegation_checkpoints (delegator, height, delegate, conviction)"
                              " VALUES (?1, ?2, ?3, ?4)";
    sqlite3_stmt *st = stmt(s, G_DELEG_CHECKPOINT, sql, LEDGER_VALUES(ledger_val_addr(delegator), ledger_val_int(height),
        delegate ? ledger_val_addr(delegate) : ledger_val_null(), ledger_val_int(conviction)));
    return ledger_step_done(st);
}

int gov_delegation_put(gov_store *s, const gov_delegation *d)
{
    static const char sql[] = "INSERT OR REPLACE INTO delegations (delegator, delegate, conviction, since)"
                              " VALUES (?1, ?2, ?3, ?4)";
    sqlite3_stmt *st = stmt(s, G_DELEG_PUT, sql, LEDGER_VALUES(ledger_val_addr(d->delegator),
        ledger_val_addr(d->delegate), ledger_val_int(d->conviction), ledger_val_int(d->since)));
    int rc = ledger_step_done(st);
    return rc == ST_OK ? delegation_checkpoint(s, d->delegator, d->since, d->delegate, d->conviction) : rc;
}

int gov_delegation_remove(gov_store *s, const uint8_t delegator[LEDGER_ADDR_LEN], uint64_t height)
{
    static const char sql[] = "DELETE FROM delegations WHERE delegator = ?1";
    sqlite3_stmt *st = stmt(s, G_DELEG_DEL, sql, LEDGER_VALUES(ledger_val_addr(delegator)));
    int rc = ledger_step_done(st);
    return rc == ST_OK ? delegation_checkpoint(s, delegator, height, NULL, 0) : rc;
}

int gov_has_delegators(gov_store *s, const uint8_t address[LEDGER_ADDR_LEN], bool *has)
{
    static const char sql[] = "SELECT 1 FROM delegations WHERE delegate = ?1 LIMIT 1";
    return ledger_step_exists(stmt(s, G_DELEG_HAS, sql, LEDGER_VALUES(ledger_val_addr(address))), has);
}

int gov_delegators_list(gov_store *s, const uint8_t delegate[LEDGER_ADDR_LEN], const uint8_t *cursor, unsigned limit,
                        gov_delegation *out, unsigned *n, bool *more)
{
    static const char sql[] = "SELECT delegator, delegate, conviction, since FROM delegations"
                              " WHERE delegate = ?1 AND delegator > ?2 ORDER BY delegator LIMIT ?3";
    *n = 0;
    *more = false;
    sqlite3_stmt *st = stmt(s, G_DELEG_LIST, sql, LEDGER_VALUES(ledger_val_addr(delegate), ledger_val_cursor(cursor)));
    return ledger_read_rows(st, 3, out, sizeof *out, limit, read_delegation, NULL, n, more);
}

int gov_delegators_at(gov_store *s, const uint8_t delegate[LEDGER_ADDR_LEN], uint64_t height, const uint8_t *cursor,
                      unsigned limit, gov_delegation *out, unsigned *n, bool *more)
{
    /* a delegator counts when its latest checkpoint at or below height names the delegate; the
     * index on (delegate, delegator, height) walks the delegate's rows in address order */
    static const char sql[] =
        "SELECT c.delegator, c.delegate, c.conviction, c.height FROM delegation_checkpoints c"
        " WHERE c.delegate = ?1 AND c.height <= ?2 AND c.delegator > ?3 AND NOT EXISTS (SELECT 1 FROM"
        " delegation_checkpoints l WHERE l.delegator = c.delegator AND l.height > c.height AND l.height <= ?2)"
        " ORDER BY c.delegator LIMIT ?4";
    *n = 0;
    *more = false;
    sqlite3_stmt *st = stmt(s, G_DELEG_AT_LIST, sql, LEDGER_VALUES(ledger_val_addr(delegate), ledger_val_int(height),
        ledger_val_cursor(cursor)));
    return ledger_read_rows(st, 4, out, sizeof *out, limit, read_delegation, NULL, n, more);
}

/* ---- overrides ---- */

int gov_override_get(gov_store *s, uint64_t proposal, const uint8_t delegate[LEDGER_ADDR_LEN], mpz_t power,
                     mpz_t weight)
{
    static const char sql[] = "SELECT power, weight FROM gov_overrides WHERE proposal = ?1 AND delegate = ?2";
    mpz_set_ui(power, 0);
    mpz_set_ui(weight, 0);
    sqlite3_stmt *st = stmt(s, G_OVERRIDE_GET, sql, LEDGER_VALUES(ledger_val_int(proposal), ledger_val_addr(delegate)));
    return ledger_step_mpzs(st, power, weight, NULL);
}

int gov_override_put(gov_store *s, uint64_t proposal, const uint8_t delegate[LEDGER_ADDR_LEN], const mpz_t power,
                     const mpz_t weight)
{
    /* plain decimal text, not u256: six times a stake near 2^256 may pass it, and these sums are
     * only ever taken off a delegate's, never shown */
    static const char sql[] = "INSERT OR REPLACE INTO gov_overrides (proposal, delegate, power, weight)"
                              " VALUES (?1, ?2, ?3, ?4)";
    sqlite3_stmt *st = stmt(s, G_OVERRIDE_PUT, sql, LEDGER_VALUES(ledger_val_int(proposal), ledger_val_addr(delegate)));
    return ledger_step_bound(st, ledger_bind_mpzs(st, 3, power, weight, NULL));
}

/* ---- total power ---- */

int gov_total_stake_at(gov_store *s, uint64_t height, mpz_t out)
{
    static const char sql[] =
        "SELECT u256_sum(c.stake) FROM pool_checkpoints c"
        " WHERE c.height = (SELECT MAX(height) FROM pool_checkpoints WHERE pool = c.pool AND height <= ?1)";
    mpz_set_ui(out, 0);
    sqlite3_stmt *st = stmt(s, G_TOTAL_AT, sql, LEDGER_VALUES(ledger_val_int(height)));
    /* u256_sum yields "0" over no rows */
    return ledger_step_mpzs(st, out, NULL);
}

/* ---- parameters ---- */

int gov_param_put(gov_store *s, const char *name, const char *value, uint64_t height, uint64_t proposal)
{
    static const char sql[] = "INSERT OR REPLACE INTO gov_params (name, value, height, proposal)"
                              " VALUES (?1, ?2, ?3, ?4)";
    sqlite3_stmt *st = stmt(s, G_PARAM_PUT, sql, LEDGER_VALUES(ledger_val_text(name), ledger_val_text(value),
        ledger_val_int(height), ledger_val_int(proposal)));
    return ledger_step_done(st);
}

/* What gov_param_each passes along to each parameter row. */
struct param_visit {
    int (*fn)(void *ctx, const char *name, const char *value);
    void *ctx;
};

static int visit_param(sqlite3_stmt *st, void *ctx)
{
    const struct param_visit *v = ctx;
    return v->fn(v->ctx, (const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1));
}

int gov_param_each(gov_store *s, int (*fn)(void *ctx, const char *name, const char *value), void *ctx)
{
    static const char sql[] = "SELECT name, value FROM gov_params ORDER BY name";
    sqlite3_stmt *st = stmt(s, G_PARAM_EACH, sql, NULL);
    struct param_visit v = { fn, ctx };
    return ledger_each_row(st, visit_param, &v);
}

/* ---- nested savepoint ---- */

int gov_savepoint_begin(gov_store *s)
{
    return ledger_inner_begin(s->l);
}

int gov_savepoint_end(gov_store *s, bool keep)
{
    return ledger_inner_end(s->l, keep);
}
