/* SPDX-License-Identifier: MIT */
/* nonces.c: account nonces. A sender's next nonce is one more than the nonce of its last stored
 * transaction (the sender's index carries it: schema 019), so nothing but the transaction is
 * written for it. Within the block being built they are kept in memory: a block of a hundred
 * transactions from a few senders reads each sender's nonce once. The memo is a search tree
 * (tsearch: O(log n) whatever the addresses, so no chosen set of senders can slow it), emptied at
 * the block's commit or abort, so a read outside a block always comes from the database. */
#define _GNU_SOURCE /* tdestroy */
#include "ledger/ledger_int.h"

#include <search.h>
#include <stdlib.h>
#include <string.h>

/* A sender's next nonce as the open block has made it. */
struct ledger_nonce_entry {
    uint8_t address[LEDGER_ADDR_LEN];
    uint64_t next;
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

/* The next nonce the stored transactions leave (0 for an address that never sent one). */
static int stored_nonce(ledger *l, const uint8_t address[LEDGER_ADDR_LEN], uint64_t *nonce)
{
    /* the sender's index holds (sender, position, nonce): its last entry, without the table */
    static const char sql[] = "SELECT nonce FROM transactions WHERE sender = ?1 ORDER BY position DESC LIMIT 1";
    int64_t last = -1;
    int rc = ledger_step_i64(ledger_query(l, STMT_NONCE_GET, sql, LEDGER_VALUES(ledger_val_addr(address))), &last);
    if (rc == ST_NOTFOUND) {
        *nonce = 0;
        return ST_OK;
    }
    if (rc == ST_OK && last < 0)
        rc = ST_DB; /* a sender's transaction stored without its nonce */
    *nonce = (uint64_t)last + 1;
    return rc;
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
    if (rc == ST_OK)
        e->next++;
    return rc;
}

void ledger_nonces_forget(ledger *l)
{
    tdestroy(l->nonce_memo, free);
    l->nonce_memo = NULL;
}
