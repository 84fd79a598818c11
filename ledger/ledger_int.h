/* SPDX-License-Identifier: MIT */
/* ledger_int.h: the body of the ledger handle and the prepared-statement cache shared by the
 * ledger's .c files. Not an API: only the ledger .c files include it. */
#ifndef LEDGER_LEDGER_INT_H
#define LEDGER_LEDGER_INT_H

#include <gmp.h>
#include <sqlite3.h>
#include "ledger/ledger.h"
#include "ledger/sqlstore.h"

/* One slot per cached statement; each is prepared on first use next to the function that runs it. */
enum ledger_stmt_id {
    STMT_META_GET, STMT_META_SET, STMT_JOURNAL_MODE,
    STMT_BLOCK_BEGIN, STMT_COMMIT, STMT_READ_BEGIN, STMT_TX_SAVEPOINT, STMT_TX_ROLLBACK, STMT_TX_RELEASE,
    STMT_INNER_SAVEPOINT, STMT_INNER_ROLLBACK, STMT_INNER_RELEASE,
    STMT_ACCOUNT_INSERT, STMT_ACCOUNT_FIND, STMT_ACCOUNT_PUT, STMT_TRANSFER_INSERT,
    STMT_ACCOUNTS_EACH,
    STMT_NONCE_GET, STMT_USER_BALANCES,
    STMT_TXREC_PUT, STMT_TXREC_GET, STMT_TXREC_BLOCK,
    STMT_BLOCK_PUT, STMT_BLOCK_GET, STMT_BLOCK_BY_HASH, STMT_BLOCK_HEAD,
    STMT_POOL_INSERT, STMT_POOL_GET, STMT_POOL_UPDATE, STMT_POOL_LIST_ID, STMT_POOL_LIST_STAKE,
    STMT_STAKE_GET, STMT_STAKE_PUT, STMT_STAKE_DELETE, STMT_STAKE_LIST, STMT_STAKE_POOLS_OF, STMT_STAKE_CHECKPOINT,
    STMT_STAKE_AT, STMT_POOL_CHECKPOINT, STMT_POOL_AT, STMT_STAKE_VALUE_AT,
    STMT_WD_GET, STMT_WD_PUT, STMT_WD_DELETE, STMT_WD_HEAD, STMT_WD_SEQ, STMT_WD_LIST, STMT_WD_TOTAL, STMT_WD_OVERDUE,
    STMT_WORKER_GET, STMT_WORKER_PUT, STMT_WORKER_REMOVE, STMT_WORKER_COUNT, STMT_WORKER_LIST, STMT_WORKER_ALL,
    STMT_UNB_INSERT, STMT_UNB_DELETE, STMT_UNB_DUE, STMT_UNB_POOL, STMT_UNB_WORKER, STMT_UNB_SET,
    STMT_CHANNEL_INSERT, STMT_CHANNEL_GET, STMT_CHANNEL_UPDATE, STMT_CHANNEL_DUE, STMT_CHANNEL_LIST, STMT_CHANNEL_LIST_WORKER, STMT_CHANNEL_LIST_POOL,
    STMT_HEARTBEAT_PUT, STMT_HEARTBEAT_SLOTS, STMT_HEARTBEAT_RECENT, STMT_CHANNEL_OWING,
    STMT_ALLOW_ADD, STMT_ALLOW_REMOVE, STMT_ALLOW_HAS, STMT_WALLOW_ADD, STMT_WALLOW_REMOVE, STMT_WALLOW_HAS,
    STMT_WREG_PUT, STMT_WREG_GET,
    STMT_POOL_DESC_GET, STMT_POOL_DESC_SET, STMT_POOL_CONTRIB_ADD, STMT_POOL_CONTRIB_REMOVE, STMT_POOL_CONTRIB_COUNT,
    STMT_POOL_CONTRIB_HAS, STMT_POOL_CONTRIB_LIST, STMT_ENCLAVE_PUT, STMT_ENCLAVE_GET, STMT_ENCLAVE_LATEST,
    STMT_ENCLAVE_SET_BALLOT_KEY, STMT_ENCLAVE_BALLOT_KEY, STMT_CHAIN_BALLOT_KEY,
    STMT_SETTLEMENT_PUT, STMT_SETTLEMENT_GET,
    STMT_SLASH_INSERT, STMT_SLASH_GET, STMT_SLASH_SET, STMT_SLASH_DUE, STMT_SLASH_LIST, STMT_SLASH_LIST_STATE,
    STMT_READ_FIRST_AFTER, STMT_READ_SYSTEM_MOVES, STMT_READ_EPOCHS, STMT_READ_VOTES_BY, STMT_READ_ACCOUNT_ID,
    STMT_READ_SENT, STMT_READ_DEBITED, STMT_READ_CREDITED, STMT_READ_BLOCK_EVENTS,
    STMT_COUNT
};

#define LEDGER_POOL_MEMO_SLOTS 16  /* one a pool id modulo 16 */
struct ledger {
    sqlite3 *db;
    sqlite3_stmt *stmts[STMT_COUNT];
    uint64_t height;            /* block being built; valid while in_block */
    bool in_block;
    uint32_t block_txrecs;      /* transactions the open block stored (ledger_txrec_put) */
    bool block_moved;           /* the open block wrote a transfer (ledger_transfer) */
    bool block_row_put;         /* the open block's row is written (ledger_block_put) */
    bool in_tx;
    bool tx_guarded;            /* the open transaction has its savepoint (ledger_tx_begin) */
    unsigned read_depth;        /* open ledger_read_begin calls; the transaction is open while > 0 */
    bool read_keep;             /* ledger_read_keep: the last ledger_read_end leaves it open */
    bool read_kept;             /* it is open with no read in it (read_depth 0), until released */
    unsigned wal_frames;        /* frames in the write-ahead log after the last commit (while a
                                 * checkpointer works for this connection) */
    uint8_t txhash[LEDGER_HASH_LEN];         /* transaction being applied; stamps transfers */
    void *nonce_memo;           /* tsearch root: the nonces the open block read or bumped (nonces.c) */
    struct ledger_account_memo {    /* the open block's account rows (account_memo.c) */
        void *root;                 /* tsearch tree of ledger_memo_row */
        size_t n_rows;              /* rows in root: at most LEDGER_MEMO_MAX_ROWS */
        struct account_undo *undo;  /* oldest first */
        size_t n_undo, cap_undo;
        size_t inner_mark;          /* n_undo when the inner savepoint began */
        uint64_t serial;            /* the open savepoint's number (0: none) */
        uint64_t tx_serial;         /* the transaction's savepoint, while an inner one is open */
        uint64_t next_serial;
    } accounts;
    ledger_block_cache caches[LEDGER_MAX_BLOCK_CACHES];    /* ledger_add_block_cache */
    unsigned n_caches;
    struct ledger_pool_memo {       /* pool checkpoints read below the open block's height (stakes.c) */
        bool used, inited;
        uint64_t pool, height;
        mpz_t stake, shares;
    } pool_memo[LEDGER_POOL_MEMO_SLOTS];
};

/* A stored transaction's key: its height times 2^32 plus its index in the block, so that a block's
 * transactions are one key range and each new one is appended (schema 016). Heights go up to
 * LEDGER_POSITION_HEIGHT_MAX (2^31 - 1: 68 years of a block a second); ledger_block_begin refuses more. */
#define LEDGER_POSITION_HEIGHT_MAX ((UINT64_C(1) << 31) - 1)
static inline int64_t ledger_position_key(uint64_t height, uint32_t index)
{
    return (int64_t)(height << 32 | index);
}

/* Returns the cached statement id, preparing sql on first use; reset and unbound. NULL on error
 * (logged). */
sqlite3_stmt *ledger_stmt(ledger *l, enum ledger_stmt_id id, const char *sql);
/* The same with values (NULL: none) bound to ?1, ?2, ... (ledger_stmt_bind). */
sqlite3_stmt *ledger_query(ledger *l, enum ledger_stmt_id id, const char *sql, const ledger_value *values);
/* Releases the memo of pool checkpoints (at close). */
void ledger_pool_memo_clear(ledger *l);
/* Empties the memo of the block's nonces (at its commit or abort, and at close). */
void ledger_nonces_forget(ledger *l);
/* The open block's account rows (account_memo.c): read once a block, changed in memory, written at
 * its COMMIT. A row is borrowed until ledger_memo_forget; rows a rollback undoes the INSERT of go
 * at once. The memo holds at most LEDGER_MEMO_MAX_ROWS rows: an account a block first uses once it
 * is full is read and written in the database at each transfer instead (books.c), which is exact
 * too, since an account the memo does not hold is what the database holds and a rolled-back
 * savepoint undoes its writes. Without the bound, block 0 of a million genesis accounts kept them
 * all: some 200 MB with their undo records. */
#define LEDGER_MEMO_MAX_ROWS 65536
typedef struct ledger_memo_row {
    ledger_account key;
    int64_t id;                     /* the row's id in accounts */
    mpz_t debits, credits;          /* the totals as the block has made them */
    bool dirty;                     /* changed since read: written at the commit */
    uint64_t serial;                /* the savepoint it was last saved under (undo log) */
} ledger_memo_row;
/* The row of a, or NULL when the block has not used it. */
ledger_memo_row *ledger_memo_find(ledger *l, const ledger_account *a);
/* Adds a's row with its totals (created: its INSERT was made in the open savepoint).
 * Returns: ST_OK with *out; ST_NOMEM (nothing added; also when the memo is full). */
int ledger_memo_add(ledger *l, const ledger_account *a, int64_t id, const mpz_t debits, const mpz_t credits,
                    bool created, ledger_memo_row **out);
/* Call before changing a row's totals: records them for a rollback and marks the row dirty.
 * Returns: ST_OK or ST_NOMEM (nothing changed). */
int ledger_memo_change(ledger *l, ledger_memo_row *row);
/* A savepoint begins (inner: nested in the transaction's) or ends, kept or rolled back. */
void ledger_memo_savepoint(ledger *l, bool inner);
void ledger_memo_savepoint_end(ledger *l, bool inner, bool keep);
/* Whether the memo holds LEDGER_MEMO_MAX_ROWS rows (ledger_memo_add takes no more). */
bool ledger_memo_full(const ledger *l);
/* Writes one row's totals to the accounts table. Returns: ST_OK or ST_DB. */
int ledger_memo_put(ledger *l, const ledger_memo_row *row);
/* Writes the dirty rows (before the block's COMMIT). Returns: ST_OK or ST_DB. */
int ledger_memo_write(ledger *l);
/* Drops every row (after the commit, at an abort, at close). */
void ledger_memo_forget(ledger *l);
/* Registers u256_add, u256_sub, u256_cmp and the aggregate u256_sum on db. */
int ledger_sql_functions_register(sqlite3 *db);

#endif
