/* SPDX-License-Identifier: MIT */
/* ledger.h: the durable ledger on SQLite: migrations, double-entry accounts and transfers, nonces,
 * blocks with their hash chain, stored transactions and receipts, and the audit of the invariants.
 * Layer: ledger (the lowest; engine and governance build on it).
 *
 * Writes happen inside a block: ledger_block_begin() opens one SQLite transaction (BEGIN
 * IMMEDIATE), every transfer of every transaction of the block goes into it, and
 * ledger_block_commit() makes it durable with one fsync (group commit), or, after
 * ledger_defer_sync(), commits at once and leaves the fsync to the caller's ledger_sync_wal() on
 * another thread, so the next block is built while the disk works. Inside a block each
 * transaction runs under a savepoint (ledger_tx_begin/_end) so a failing one changes nothing, or,
 * in a block its caller applies again should one fail, without one (ledger_tx_begin_unguarded).
 * Not thread-safe: one ledger handle per thread. */
#ifndef LEDGER_LEDGER_H
#define LEDGER_LEDGER_H

#include <gmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ledger/status.h"

typedef struct ledger ledger;

/* Byte sizes of an account address and of a hash (sha256, keccak-256, a block's or a tx's). */
#define LEDGER_ADDR_LEN 20
#define LEDGER_HASH_LEN 32

/* Ledger account kinds (the `kind` column). */
enum ledger_kind {
    LEDGER_FREE = 1,            /* a user's spendable balance */
    LEDGER_ESCROW = 2,          /* a user's deposits held for payment channels */
    LEDGER_CLAIMABLE = 3,       /* a user's earned, not yet claimed */
    LEDGER_POOL_STAKE = 4,      /* a pool's stake */
    LEDGER_POOL_REWARDS = 5,    /* a pool's undistributed delegator rewards */
    LEDGER_POOL_COMMISSION = 6, /* a pool's owner commission */
    LEDGER_TREASURY = 7,
    LEDGER_ISSUANCE = 8,        /* minting debits it, burning credits it: -balance == supply */
    LEDGER_FEES = 9
};

/* Names a ledger account. owner is the user's address for kinds 1-3, zero otherwise; pool is the
 * pool id for kinds 4-6, zero otherwise. Copyable. */
typedef struct ledger_account {
    int kind;
    uint8_t owner[LEDGER_ADDR_LEN];
    uint64_t pool;
} ledger_account;

/* Helpers that fill a ledger_account. */
ledger_account ledger_user_account(int kind, const uint8_t owner[LEDGER_ADDR_LEN]);
ledger_account ledger_pool_account(int kind, uint64_t pool);
ledger_account ledger_system_account(int kind);

typedef struct ledger_block {
    uint64_t height;
    uint8_t hash[LEDGER_HASH_LEN];
    uint8_t parent[LEDGER_HASH_LEN];
    uint64_t time;              /* seconds since the Unix epoch */
    uint8_t tx_root[LEDGER_HASH_LEN];        /* sha256 of the concatenated transaction hashes */
    uint32_t tx_count;
} ledger_block;

/* The longest transaction type name ("ChannelSettle", "Settlement", ...) a record holds. */
#define LEDGER_TX_TYPE_MAX 31

/* One stored transaction with its receipt. Strings are owned; release with ledger_txrec_clear. */
typedef struct ledger_txrec {
    uint8_t hash[LEDGER_HASH_LEN];
    uint64_t height;
    uint32_t index;             /* position in the block */
    bool has_sender;
    uint8_t sender[LEDGER_ADDR_LEN];
    uint64_t nonce;             /* the sender's nonce it consumed, when has_sender (stored, not read back) */
    char type[LEDGER_TX_TYPE_MAX + 1];
    char *body;                 /* canonical JSON of the transaction */
    bool success;
    char *error;                /* NULL on success */
    char *events;               /* JSON array */
} ledger_txrec;

#define LEDGER_AUDIT_MAX_CHECKS 12
typedef struct ledger_audit_report {
    bool ok;
    uint64_t height;
    unsigned n_checks;
    struct {
        const char *name;       /* static */
        bool ok;
        char detail[256];
    } checks[LEDGER_AUDIT_MAX_CHECKS];
} ledger_audit_report;

/* Opens (creating if needed) the database at path (":memory:" allowed), sets WAL, synchronous=FULL
 * and foreign keys, registers the u256 SQL functions and applies pending migrations.
 * Returns: ST_OK; ST_VERSION if the database is from a newer version; ST_DB otherwise; err says why.
 * Out: *out the handle (release with ledger_close), NULL on failure. */
int ledger_open(ledger **out, char *err, size_t errlen, const char *path) WARN_UNUSED NONNULL(1, 2, 4);
/* Opens an existing database read-only (for replay and inspection): nothing is migrated or written.
 * Returns: ST_OK; ST_VERSION (newer), ST_CONFLICT (older: needs migrating), ST_DB; err says why. */
int ledger_open_readonly(ledger **out, char *err, size_t errlen, const char *path) WARN_UNUSED NONNULL(1, 2, 4);
/* Closes the handle. Accepts NULL. */
void ledger_close(ledger *l);
/* The schema version this build writes. */
unsigned ledger_schema_version(void);

/* Node metadata. get: ST_OK with *value (caller frees), ST_NOTFOUND, ST_DB. */
int ledger_meta_get(ledger *l, const char *key, char **value) WARN_UNUSED NONNULL(1, 2, 3);
int ledger_meta_set(ledger *l, const char *key, const char *value) WARN_UNUSED NONNULL(1, 2, 3);
/* Sets key to the len bytes of text at value (no NUL needed; len below 2^31). ST_OK, ST_DB. */
int ledger_meta_set_len(ledger *l, const char *key, const char *value, size_t len) WARN_UNUSED NONNULL(1, 2, 3);

/* From now on a block's COMMIT does not wait for the disk (WAL with synchronous=NORMAL: the commit
 * is atomic, visible to reads at once, and survives the process dying, but not yet a power loss):
 * it is durable once a ledger_sync_wal(*wal_fd) that started after it has returned. Checkpoints
 * still sync the WAL and the database. Out: *wal_fd, the write-ahead log opened read-only (the
 * caller closes it). Returns: ST_OK; ST_INVALID if the database is not in WAL mode (":memory:"),
 * then nothing changed; ST_IO if the log cannot be opened; ST_DB. */
int ledger_defer_sync(ledger *l, int *wal_fd) WARN_UNUSED NONNULL(1, 2);
/* Makes every commit before the call durable (fdatasync of the log). Thread-safe: touches no
 * SQLite state. Returns: ST_OK, or ST_IO with errno set. */
int ledger_sync_wal(int wal_fd) WARN_UNUSED;

/* Checkpoints off the commit path: a second connection to l's database, for one other thread,
 * that copies the write-ahead log into the database (PASSIVE: it never waits for the writer or a
 * reader, and copies what it can), while l's own commits stop checkpointing (wal_autocheckpoint=0).
 * open: ST_OK with *out; ST_DB (l unchanged). close (accepts NULL) gives l its automatic
 * checkpoints back, so call it from l's thread once the other is done. */
typedef struct ledger_checkpointer ledger_checkpointer;
int ledger_checkpointer_open(ledger *l, ledger_checkpointer **out) WARN_UNUSED NONNULL(1, 2);
/* Returns: ST_OK; ST_DB. Out: *frames_left, frames of the log not yet in the database (may be
 * NULL). */
int ledger_checkpoint(ledger_checkpointer *c, int *frames_left) WARN_UNUSED NONNULL(1);
void ledger_checkpointer_close(ledger *l, ledger_checkpointer *c) NONNULL(1);
/* The frames (pages) l's write-ahead log holds after l's last COMMIT, while a checkpointer is open
 * (else 0). The log starts again from its beginning, and the count falls, at the first COMMIT after
 * a checkpoint that copied the whole log into the database (SQLite restarts it only then, and only
 * while no other connection reads from it): under a steady stream of blocks that moment may never
 * come by itself, so the caller makes it (engine/durability.c). */
unsigned ledger_wal_frames(const ledger *l) NONNULL(1);

/* Block transaction. begin: BEGIN IMMEDIATE; commit: COMMIT (durable on return unless
 * ledger_defer_sync was called); abort: ROLLBACK.
 * height is the block being built: every transfer and transaction written is stamped with it; at
 * most 2^31 - 1 (a transaction's stored key holds it). commit refuses a block that stored
 * transactions (ledger_txrec_put) or transfers (ledger_transfer) without its row (ledger_block_put):
 * ST_INVALID, the block still open. */
int ledger_block_begin(ledger *l, uint64_t height) WARN_UNUSED NONNULL(1);
int ledger_block_commit(ledger *l) WARN_UNUSED NONNULL(1);
void ledger_block_abort(ledger *l);

/* A read transaction outside a block, so many reads see one state (a block is either wholly in it
 * or not at all) and share one WAL read lock instead of taking one per statement. Calls nest: only
 * the outermost begin opens the transaction and its matching end closes it. Every begin that
 * returned ST_OK needs its end before control returns to the event loop: an open read transaction
 * pins the write-ahead log (no checkpoint can pass it), and ledger_block_begin refuses to run inside
 * one (ST_INVALID).
 * begin: ST_OK; ST_INVALID inside a block; ST_DB (nothing opened). An end without its begin is a
 * caller bug: logged, and nothing changes. */
int ledger_read_begin(ledger *l) WARN_UNUSED NONNULL(1);
void ledger_read_end(ledger *l) NONNULL(1);
/* Keeps the read transaction open past the end that would close it, so that the reads that follow
 * share it, until ledger_read_release, or until the connection writes: ledger_block_begin, a
 * statement that writes (the cache's statements are checked as they are handed out) or ledger_exec
 * close it first, so nothing ever writes inside it. With one writer, this connection, a kept
 * transaction always sees the latest commit. Whoever keeps it releases it before control returns to
 * the event loop (the engine: at the end of the loop's turn, eng_read_begin). */
void ledger_read_keep(ledger *l) NONNULL(1);
/* Stops keeping the read transaction, and closes it if no read is open in it. */
void ledger_read_release(ledger *l) NONNULL(1);
/* Whether a read transaction is open. */
bool ledger_reading(const ledger *l) NONNULL(1);
/* Whether a block is open (between ledger_block_begin and its commit or abort). */
bool ledger_in_block(const ledger *l) NONNULL(1);

/* What a layer above the ledger keeps in memory for the open block and writes at its commit (the
 * governance store's proposal tallies), told of every savepoint and of the block's end so that it
 * stays exact: write runs before the COMMIT (a failure aborts the block), forget after the commit
 * and at an abort, savepoint when a transaction's savepoint (inner: ledger_inner_begin's) begins,
 * savepoint_end when it is released (keep) or rolled back. */
typedef struct ledger_block_cache {
    int (*write)(void *ctx);
    void (*forget)(void *ctx);
    void (*savepoint)(void *ctx, bool inner);
    void (*savepoint_end)(void *ctx, bool inner, bool keep);
    void *ctx;                      /* borrowed until ledger_remove_block_cache */
} ledger_block_cache;
#define LEDGER_MAX_BLOCK_CACHES 4
/* Registers c (copied). Returns: ST_OK; ST_LIMIT with LEDGER_MAX_BLOCK_CACHES registered already;
 * ST_INVALID inside a block. */
int ledger_add_block_cache(ledger *l, const ledger_block_cache *c) WARN_UNUSED NONNULL(1, 2);
/* Unregisters the cache whose ctx is ctx (nothing if none). */
void ledger_remove_block_cache(ledger *l, const void *ctx) NONNULL(1);

/* Savepoint around one transaction inside a block; txhash stamps its transfers.
 * ledger_tx_end(l, keep): keep=true releases, false rolls the transaction's writes back.
 * ledger_tx_begin_unguarded: the same without the savepoint (its SAVEPOINT and RELEASE, and the
 * copy of every page the transaction is the first to change since the last one, some 18k
 * instructions a transfer): the transaction's writes go straight into the block, so they cannot be
 * rolled back alone: ledger_tx_end(l, false) after it is a caller bug (ST_INVALID), and a failing
 * transaction must abort the whole block (ledger_block_abort). Inner savepoints work inside it; the
 * block caches are told of none at the transaction's level. */
int ledger_tx_begin(ledger *l, const uint8_t txhash[LEDGER_HASH_LEN]) WARN_UNUSED NONNULL(1, 2);
int ledger_tx_begin_unguarded(ledger *l, const uint8_t txhash[LEDGER_HASH_LEN]) WARN_UNUSED NONNULL(1, 2);
int ledger_tx_end(ledger *l, bool keep) WARN_UNUSED NONNULL(1);
/* A savepoint nested in the open transaction (one at a time), kept or rolled back by
 * ledger_inner_end: a part of a transaction that may fail without failing it (a proposal's payload).
 * Returns: ST_OK or ST_DB (ST_INVALID outside a transaction). */
int ledger_inner_begin(ledger *l) WARN_UNUSED NONNULL(1);
int ledger_inner_end(ledger *l, bool keep) WARN_UNUSED NONNULL(1);

/* Moves amount from debit to credit (inside a block and a transaction). The debit side must keep a
 * balance >= 0 unless it is the issuance account. amount 0 is refused.
 * Returns: ST_OK; ST_INSUFFICIENT; ST_OVERFLOW; ST_INVALID; ST_DB. Nothing changes on failure. */
int ledger_transfer(ledger *l, const ledger_account *debit, const ledger_account *credit,
                    const mpz_t amount, const char *code) WARN_UNUSED NONNULL(1, 2, 3, 4, 5);
/* Out: balance (credits - debits) of an account; 0 for one never used. For issuance it is <= 0.
 * Inside a block it includes the block's transfers so far: their totals are kept in memory and
 * written to the accounts table at ledger_block_commit (those of accounts a block first uses after
 * its 65,536th are written at each transfer, so a block's memory stays bounded), so only this
 * function (not SQL over that table) sees them all before then. */
int ledger_balance(ledger *l, const ledger_account *a, mpz_t balance) WARN_UNUSED NONNULL(1, 2, 3);

/* The next nonce expected from address: one more than the nonce of its last stored transaction
 * (ledger_txrec_put's), 0 for a new one; and its increment (inside a block). Within a block the
 * nonces read or bumped are kept in memory (a block that aborts loses them with the rest), and the
 * transaction stored with each consumed nonce is what keeps it; ledger_nonce_get sees them. A bump
 * is not undone by ledger_tx_end(l, false): bump outside the transaction's savepoint, and store
 * the transaction with the nonce it consumed. Returns: ST_OK; ST_NOMEM; ST_DB. */
int ledger_nonce_get(ledger *l, const uint8_t address[LEDGER_ADDR_LEN], uint64_t *nonce) WARN_UNUSED NONNULL(1, 2, 3);
int ledger_nonce_bump(ledger *l, const uint8_t address[LEDGER_ADDR_LEN]) WARN_UNUSED NONNULL(1, 2);

/* An address's next nonce and the balances of its free, escrow and claimable accounts, as
 * ledger_nonce_get and ledger_balance give them, but outside a block in one statement (three seeks
 * of the accounts' key and one of the sender's index, one step of SQLite's machine instead of four).
 * Returns: ST_OK; ST_DB. Out: *nonce; balances[0..3) (initialized by the caller) in the order
 * LEDGER_FREE, LEDGER_ESCROW, LEDGER_CLAIMABLE. */
int ledger_user_balances(ledger *l, const uint8_t address[LEDGER_ADDR_LEN], uint64_t *nonce, mpz_t balances[3])
    WARN_UNUSED NONNULL(1, 2, 3, 4);

/* Stores a transaction record (height taken from the open block; with a sender, the nonce it
 * consumed, up to 2^63 - 1, from which ledger_nonce_get reads the sender's next). */
int ledger_txrec_put(ledger *l, const ledger_txrec *r) WARN_UNUSED NONNULL(1, 2);
/* Reads a transaction by hash. ST_NOTFOUND if absent. Out: r (release with ledger_txrec_clear). */
int ledger_txrec_get(ledger *l, const uint8_t hash[LEDGER_HASH_LEN], ledger_txrec *r) WARN_UNUSED NONNULL(1, 2, 3);
/* Reads the transactions of block height in order. Out: *recs (array of *n; release each with
 * ledger_txrec_clear, then free the array). */
int ledger_txrec_list_block(ledger *l, uint64_t height, ledger_txrec **recs, size_t *n) WARN_UNUSED NONNULL(1, 3, 4);
void ledger_txrec_clear(ledger_txrec *r);

/* Computes hash from height, parent, time and tx_root. */
void ledger_block_hash(ledger_block *b) NONNULL(1);
/* Stores the block header of the open block. ST_INVALID unless b->tx_count is the number of
 * transactions the block stored. */
int ledger_block_put(ledger *l, const ledger_block *b) WARN_UNUSED NONNULL(1, 2);
/* Reads a block by height / by hash / the newest. ST_NOTFOUND if absent (or no block yet). */
int ledger_block_get(ledger *l, uint64_t height, ledger_block *b) WARN_UNUSED NONNULL(1, 3);
int ledger_block_get_by_hash(ledger *l, const uint8_t hash[LEDGER_HASH_LEN], ledger_block *b)
    WARN_UNUSED NONNULL(1, 2, 3);
int ledger_block_head(ledger *l, ledger_block *b) WARN_UNUSED NONNULL(1, 2);

/* Visits every account with a nonzero debit or credit, in id order, with its balance (for replay
 * and reports). fn returns ST_OK to go on; anything else stops and is returned. */
typedef int (*ledger_account_fn)(void *arg, const ledger_account *a, const char *debits, const char *credits);
int ledger_accounts_each(ledger *l, ledger_account_fn fn, void *arg) WARN_UNUSED NONNULL(1, 2);

/* Checks every invariant: debits == credits (accounts and transfers), no negative balance but
 * issuance, supply == -issuance, every account equals the sum of its transfers, pools agree with
 * their accounts, workers and unbondings, the hash chain.
 * Returns: ST_OK (report->ok says whether it held) or ST_DB. */
int ledger_audit(ledger *l, ledger_audit_report *report) WARN_UNUSED NONNULL(1, 2);
/* Appends a check (name: static; detail printf-style) to report, which fails with it when !ok.
 * A report already holding LEDGER_AUDIT_MAX_CHECKS checks ignores it. */
void ledger_audit_add_check(ledger_audit_report *r, const char *name, bool ok, const char *fmt, ...)
    PRINTF_LIKE(4, 5) NONNULL(1, 2, 4);

#endif
