/* SPDX-License-Identifier: MIT */
/* nonces.c: account nonces, kept in memory for the block being built and written once at its
 * commit. A block of a hundred transactions from a few senders reads each sender's nonce once and
 * writes it once, instead of one read and one upsert per transaction. The memo is a search tree
 * (tsearch: O(log n) whatever the addresses, so no chosen set of senders can slow it); it holds
 * the nonces the open block read or bumped (a sender's first transaction in a block is read by its
 * admission and then bumped: one SELECT), writes only the bumped ones, and is emptied at its commit
 * or abort, so a read outside a block always comes from the database. */
#define _GNU_SOURCE /* twalk_r, tdestroy */
#include "ledger/ledger_int.h"

#include <search.h>
#include <stdlib.h>
#include <string.h>

/* A sender's next nonce as the open block has made it. */
struct ledger_nonce_entry {
    uint8_t address[LEDGER_ADDR_LEN];
    uint64_t next;
    bool bumped;                    /* next differs from the stored nonce: written at the commit */
};

static int compare_entries(const void *a, const void *b)
{
    return memcmp(((const struct ledger_nonce_entry *)a)->address, ((const struct ledger_nonce_entry *)b)->address,
                  LEDGER_ADDR_LEN);
}

/* The memo's entry of address, or NULL. */
static struct ledger_nonce_entry *memo_find(ledger *l, const uint8_t address[LEDGER_ADDR_LEN])
{
    struct ledger_nonce_entry key;
    memcpy(key.address, address, LEDGER_ADDR_LEN);
    void *found = tfind(&key, &l->nonce_memo, compare_entries);
    return found ? *(struct ledger_nonce_entry **)found : NULL;
}

/* The nonce stored in the database (0 for an address never seen). */
static int stored_nonce(ledger *l, const uint8_t address[LEDGER_ADDR_LEN], uint64_t *nonce)
{
    /* no row is nonce 0: read so, without coalesce's subquery (~0.4k instructions a miss) */
    static const char sql[] = "SELECT nonce FROM nonces WHERE address = ?1";
    int64_t stored = 0;
    int rc = ledger_step_i64(ledger_query(l, STMT_NONCE_GET, sql, LEDGER_VALUES(ledger_val_addr(address))), &stored);
    *nonce = (uint64_t)stored;
    return rc == ST_NOTFOUND ? ST_OK : rc;
}

/* The memo's entry of address in the open block, read from the database at its first use. */
static int memo_entry(ledger *l, const uint8_t address[LEDGER_ADDR_LEN], struct ledger_nonce_entry **out)
{
    struct ledger_nonce_entry *e = memo_find(l, address);
    if (e) {
        *out = e;
        return ST_OK;
    }
    if (!(e = calloc(1, sizeof *e)))
        return ST_NOMEM;
    memcpy(e->address, address, LEDGER_ADDR_LEN);
    int rc = stored_nonce(l, address, &e->next);
    if (rc == ST_OK && !tsearch(e, &l->nonce_memo, compare_entries))
        rc = ST_NOMEM;
    if (rc != ST_OK) {
        free(e);
        return rc;
    }
    *out = e;
    return ST_OK;
}

int ledger_nonce_get(ledger *l, const uint8_t address[LEDGER_ADDR_LEN], uint64_t *nonce)
{
    if (!l->in_block)
        return stored_nonce(l, address, nonce);
    struct ledger_nonce_entry *e;
    int rc = memo_entry(l, address, &e);
    if (rc == ST_OK)
        *nonce = e->next;
    return rc;
}

int ledger_nonce_bump(ledger *l, const uint8_t address[LEDGER_ADDR_LEN])
{
    ARG_CHECK(l->in_block);
    struct ledger_nonce_entry *e;
    int rc = memo_entry(l, address, &e);
    if (rc == ST_OK) {
        e->next++;
        e->bumped = true;
    }
    return rc;
}

/* What write_entry carries along the walk: the ledger, and the first failure. */
struct nonce_write {
    ledger *l;
    int rc;
};

static void write_entry(const void *node, VISIT which, void *closure)
{
    struct nonce_write *w = closure;
    const struct ledger_nonce_entry *e = *(struct ledger_nonce_entry *const *)node;
    if (w->rc != ST_OK || (which != postorder && which != leaf) || !e->bumped)
        return;
    /* a replace: the table has no other index and no trigger or foreign key on it, so SQLite
     * overwrites the row in place, cheaper than an upsert's insert that fails first */
    static const char sql[] = "INSERT OR REPLACE INTO nonces(address, nonce) VALUES(?1, ?2)";
    w->rc = ledger_step_done(ledger_query(w->l, STMT_NONCE_PUT, sql,
                                          LEDGER_VALUES(ledger_val_addr(e->address), ledger_val_int((int64_t)e->next))));
}

int ledger_nonces_write(ledger *l)
{
    struct nonce_write w = { l, ST_OK };
    twalk_r(l->nonce_memo, write_entry, &w);
    return w.rc;
}

void ledger_nonces_forget(ledger *l)
{
    tdestroy(l->nonce_memo, free);
    l->nonce_memo = NULL;
}
