/* SPDX-License-Identifier: MIT */
/* account_memo.c: the account rows of the open block, kept in memory and written once at its
 * COMMIT (issue 12: hot accounts written once a block). A sender, a pool or the fees account that
 * moves a hundred times in a block is read once and written once. The rows live in a search tree
 * (tsearch: O(log n) whatever the keys). Savepoints stay exact through an undo log: the first
 * change of a row under a savepoint records its totals before, and a row created under it is
 * recorded as new, so rolling the savepoint back restores the totals and drops rows whose INSERT
 * the database undid. Invariant: the database plus the dirty rows is the state of the block. At
 * most LEDGER_MEMO_MAX_ROWS rows: past them books.c writes an account's totals through. */
#define _GNU_SOURCE /* twalk_r, tdestroy */
#include "ledger/ledger_int.h"

#include <search.h>
#include <stdlib.h>
#include <string.h>
#include "ledger/amount.h"

/* What a row was before the first change under one savepoint. */
struct account_undo {
    ledger_memo_row *row;
    bool created;                   /* the row was created under the savepoint: rolling back drops it */
    bool dirty;
    uint64_t serial;                /* the row's serial before */
    mpz_t debits, credits;
};

static int compare_rows(const void *a, const void *b)
{
    const ledger_account *x = &((const ledger_memo_row *)a)->key, *y = &((const ledger_memo_row *)b)->key;
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    if (x->pool != y->pool)
        return x->pool < y->pool ? -1 : 1;
    return memcmp(x->owner, y->owner, LEDGER_ADDR_LEN);
}

static void free_row(void *node)
{
    ledger_memo_row *r = node;
    mpz_clears(r->debits, r->credits, NULL);
    free(r);
}

ledger_memo_row *ledger_memo_find(ledger *l, const ledger_account *a)
{
    ledger_memo_row key = { .key = *a };
    void *found = tfind(&key, &l->accounts.root, compare_rows);
    return found ? *(ledger_memo_row **)found : NULL;
}

/* Appends an undo record for row. Returns: ST_OK or ST_NOMEM. */
static int push_undo(struct ledger_account_memo *m, ledger_memo_row *row, bool created)
{
    if (m->n_undo == m->cap_undo) {
        size_t cap = m->cap_undo ? 2 * m->cap_undo : 64;
        struct account_undo *u = realloc(m->undo, cap * sizeof *u);
        if (!u)
            return ST_NOMEM;
        m->undo = u;
        m->cap_undo = cap;
    }
    struct account_undo *u = &m->undo[m->n_undo++];
    u->row = row;
    u->created = created;
    u->dirty = row->dirty;
    u->serial = row->serial;
    mpz_init_set(u->debits, row->debits);
    mpz_init_set(u->credits, row->credits);
    row->serial = m->serial;
    return ST_OK;
}

int ledger_memo_add(ledger *l, const ledger_account *a, int64_t id, const mpz_t debits, const mpz_t credits,
                    bool created, ledger_memo_row **out)
{
    struct ledger_account_memo *m = &l->accounts;
    ledger_memo_row *row = m->n_rows < LEDGER_MEMO_MAX_ROWS ? malloc(sizeof *row) : NULL;
    if (!row)
        return ST_NOMEM;
    row->key = *a;
    row->id = id;
    row->dirty = false;
    row->serial = 0;
    mpz_init_set(row->debits, debits);
    mpz_init_set(row->credits, credits);
    if (!tsearch(row, &m->root, compare_rows) || (created && push_undo(m, row, true) != ST_OK)) {
        /* out of memory: without its undo record, the row could outlive a rollback of its INSERT */
        tdelete(row, &m->root, compare_rows);
        free_row(row);
        return ST_NOMEM;
    }
    m->n_rows++;
    *out = row;
    return ST_OK;
}

int ledger_memo_change(ledger *l, ledger_memo_row *row)
{
    struct ledger_account_memo *m = &l->accounts;
    if (row->serial != m->serial && push_undo(m, row, false) != ST_OK)
        return ST_NOMEM;
    row->dirty = true;
    return ST_OK;
}

/* Undoes the records from the newest down to index `down_to`, newest first. */
static void roll_back(struct ledger_account_memo *m, size_t down_to)
{
    while (m->n_undo > down_to) {
        struct account_undo *u = &m->undo[--m->n_undo];
        if (u->created) {
            tdelete(u->row, &m->root, compare_rows);
            free_row(u->row);
            m->n_rows--;
        } else {
            mpz_swap(u->row->debits, u->debits);
            mpz_swap(u->row->credits, u->credits);
            u->row->dirty = u->dirty;
            u->row->serial = u->serial;
        }
        mpz_clears(u->debits, u->credits, NULL);
    }
}

static void clear_undo(struct ledger_account_memo *m)
{
    for (size_t i = 0; i < m->n_undo; i++)
        mpz_clears(m->undo[i].debits, m->undo[i].credits, NULL);
    m->n_undo = 0;
}

void ledger_memo_savepoint(ledger *l, bool inner)
{
    struct ledger_account_memo *m = &l->accounts;
    if (inner) {
        m->tx_serial = m->serial;
        m->inner_mark = m->n_undo;
    } else {
        clear_undo(m);
    }
    m->serial = ++m->next_serial;
}

void ledger_memo_savepoint_end(ledger *l, bool inner, bool keep)
{
    struct ledger_account_memo *m = &l->accounts;
    if (!keep)
        roll_back(m, inner ? m->inner_mark : 0);
    if (inner) {
        m->serial = m->tx_serial;
    } else {
        clear_undo(m);
        m->serial = 0;
    }
}

/* What write_row carries along the walk: the ledger, and the first failure. */
struct memo_write {
    ledger *l;
    int rc;
};

bool ledger_memo_full(const ledger *l)
{
    return l->accounts.n_rows >= LEDGER_MEMO_MAX_ROWS;
}

int ledger_memo_put(ledger *l, const ledger_memo_row *row)
{
    static const char sql[] = "UPDATE accounts SET debits = ?1, credits = ?2 WHERE id = ?3";
    char debits[LEDGER_AMOUNT_STRLEN], credits[LEDGER_AMOUNT_STRLEN];
    ledger_amount_format(debits, row->debits);
    ledger_amount_format(credits, row->credits);
    return ledger_step_done(ledger_query(l, STMT_ACCOUNT_PUT, sql,
                                         LEDGER_VALUES(ledger_val_text(debits), ledger_val_text(credits), ledger_val_int(row->id))));
}

static void write_row(const void *node, VISIT which, void *closure)
{
    struct memo_write *w = closure;
    const ledger_memo_row *r = *(ledger_memo_row *const *)node;
    if (w->rc != ST_OK || (which != postorder && which != leaf) || !r->dirty)
        return;
    w->rc = ledger_memo_put(w->l, r);
}

int ledger_memo_write(ledger *l)
{
    struct memo_write w = { l, ST_OK };
    twalk_r(l->accounts.root, write_row, &w);
    return w.rc;
}

void ledger_memo_forget(ledger *l)
{
    struct ledger_account_memo *m = &l->accounts;
    clear_undo(m);
    free(m->undo);
    m->undo = NULL;
    m->cap_undo = m->inner_mark = 0;
    tdestroy(m->root, free_row);
    m->root = NULL;
    m->n_rows = 0;
    m->serial = m->tx_serial = 0; /* next_serial goes on: a number is never reused */
}
