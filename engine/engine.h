/* SPDX-License-Identifier: MIT */
/* engine.h: the state machine of conclaved. It opens the ledger (applying the genesis on a new one),
 * queues submitted transactions and applies them in blocks with group commit: every transaction
 * queued while a block is open goes into the next block, which is one SQLite transaction; the
 * submitters are answered only after that commit (a block is durable before its receipts go out).
 * A transaction whose nonce is not its sender's next is refused and consumes nothing, and so is a
 * sender's first transaction (nonce 0) unless the sender holds a free balance or is a worker
 * registered in a pool; one that fails while applying gets a failed receipt, consumes its nonce and
 * changes nothing else.
 * Layer: engine (above governance and ledger; rpc and cli build on it). Single-threaded: every call
 * on the thread that runs the event loop given to eng_attach. */
#ifndef ENGINE_ENGINE_H
#define ENGINE_ENGINE_H

#include <cjson/cJSON.h>
#include <event2/event.h>
#include <gmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "engine/clock.h"
#include "ledger/ledger.h"
#include "ledger/status.h"
#include "ledger/tx.h"

typedef struct eng eng;

typedef struct eng_config {
    const char *db_path;            /* SQLite file, or ":memory:" */
    const char *genesis_json;       /* genesis text: a new database takes it, an existing one must
                                     * hold the same; NULL: none given */
    const char *default_genesis_json; /* taken by a new database when genesis_json is NULL, never
                                     * checked against a stored one (conclaved --dev's genesis) */
    void (*genesis_read)(void *arg); /* NULL, or called at most once during eng_open as soon as the
                                     * engine reads genesis_json no more (a first start once block 0
                                     * has minted its accounts and stored it, a restart once it is
                                     * compared), so the caller may free its text */
    void *genesis_read_arg;
    void (*genesis_release)(void *arg, size_t offset); /* NULL, or called (with genesis_read_arg) as the
                                     * engine is done, for now, with genesis_json's bytes before offset:
                                     * a MiB at a time as each pass over them reads them (a first start:
                                     * its length, the check of the document, its SHA-256; then, once
                                     * parsed, offset its length; then block 0's walk of the accounts;
                                     * a restart: its length and SHA-256, and the check when those bytes
                                     * are not the first start's). The caller may release their memory
                                     * (conclaved drops its file mapping's pages), but they must read the
                                     * same again until genesis_read */
    bool genesis_whole_body;        /* a new chain's block 0 carries the whole genesis document in its
                                     * Genesis transaction, as conclaved did before it carried the
                                     * hash and parameters: eng_replay of such a chain sets it */
    enum eng_clock_mode clock_mode;
    bool dev;                       /* dev-only operations (mint, manual time) allowed */
    size_t max_queue;               /* queued transactions before ST_LIMIT; 0 = 50,000 */
    size_t max_block_txs;           /* transactions per block; 0 = 10,000 */
    unsigned log_limit;             /* with a loop: the write-ahead log's frames (pages) at which
                                     * blocks pause for a checkpoint that starts it again; 0 = 65,536
                                     * (256 MiB of 4 KiB pages) */
    unsigned quiet_ms;              /* with a loop: once no block has been answered for this long
                                     * and none is on its way, a log of at least log_limit / 64
                                     * frames is checkpointed, so that the next block starts it
                                     * again rather than a burst pausing at log_limit; 0 = 50 */
} eng_config;

/* The outcome of an applied transaction, borrowed for the duration of the callback. */
typedef struct eng_receipt {
    const uint8_t *hash;            /* 32 bytes */
    uint64_t height;                /* the block it is in */
    uint32_t index;                 /* position in the block */
    bool success;
    const char *error;              /* NULL on success */
    const char *events;             /* JSON array text */
} eng_receipt;

/* Called once per submission after its block is durable (status ST_OK, receipt set) or when it was
 * refused (status says why: ST_NONCE, ST_INSUFFICIENT for a first transaction from an address that
 * holds nothing, ST_DB for a lost block; errmsg a sentence, errdata extra detail or NULL: ownership
 * passes). */
typedef void (*eng_done_fn)(void *cookie, int status, const char *errmsg, cJSON *errdata,
                            const eng_receipt *receipt);

/* Opens the engine. A database without a stored genesis is new (also one whose schema was made by
 * a start killed before its genesis block): it gets the genesis block, which stores the genesis in
 * the same SQLite transaction, so a database holds a complete genesis or none. A refused open
 * writes no block, and creates no database file when no genesis at all is given for a new one.
 * Returns: ST_OK; ST_INVALID (no genesis for a new database, a bad genesis, a genesis different
 * from the stored one, or blocks without a stored genesis); ST_VERSION; ST_DB; err says why.
 * Out: *out (release with eng_close), NULL on failure. */
int eng_open(eng **out, char *err, size_t errlen, const eng_config *cfg) WARN_UNUSED NONNULL(1, 2, 4);
/* Applies whatever is queued (with the time-driven work that is due), then closes; with nothing
 * queued it writes nothing. Accepts NULL. */
void eng_close(eng *e);
/* Produces blocks on base: when a submission arrives, a block is cut at the end of the current
 * loop iteration, so everything that arrived together commits together; time-driven work (stake
 * released after its cooldown, an epoch close) makes a block too, checked each second and after
 * each move of the manual clock. An epoch's settlement is asked of the enclave on base too: the
 * loop watches the enclave's socket and goes on serving while it computes. Without eng_attach the
 * engine waits for the enclave's answer itself (tests, tools). */
int eng_attach(eng *e, struct event_base *base) WARN_UNUSED NONNULL(1, 2);

uint64_t eng_chain_id(const eng *e) NONNULL(1);
bool eng_is_dev(const eng *e) NONNULL(1);
uint64_t eng_now(const eng *e) NONNULL(1);
/* The ledger, for reads. Borrowed; valid until eng_close. Never write through it. */
ledger *eng_ledger(eng *e) NONNULL(1);
/* A read of the ledger by a read request, inside a read transaction (ledger_read_begin) that, on a
 * loop (eng_attach), every read of the same turn of the loop shares: it is kept open past
 * eng_read_end (ledger_read_keep) and closed at the end of the turn, by an event the turn's first
 * read makes active (so it runs after the callbacks already due), or before the engine next
 * writes (a block), whichever comes first; it is never held across turns. Without a loop each read
 * has a transaction of its own. Returns: ST_OK; ST_DB (nothing opened). Every eng_read_begin that
 * returned ST_OK needs its eng_read_end before its callback returns. */
int eng_read_begin(eng *e) WARN_UNUSED NONNULL(1);
void eng_read_end(eng *e) NONNULL(1);

/* A worker's challenge for the heartbeat slot of the node's clock now (engine/workers.c has the
 * rule): the epoch, the slot, its start and end (exclusive; an epoch's last slot may be shorter)
 * and the 32 bytes a WorkerHeartbeat must carry. */
typedef struct eng_challenge {
    uint64_t epoch, slot, slot_start, slot_end;
    uint8_t challenge[32];
} eng_challenge;
/* Returns: ST_OK or ST_DB. */
int eng_challenge_now(eng *e, const uint8_t worker[20], eng_challenge *out) WARN_UNUSED NONNULL(1, 2, 3);
/* The minimum stake k * sqrt(P) of a benchmark score P (k: staking.minStakePerRootScore, base units),
 * rounded up to a base unit. Returns: ST_OK. Out: min (initialized by the caller). */
int eng_worker_min_stake(eng *e, uint32_t score, mpz_t min) WARN_UNUSED NONNULL(1, 3);

/* Checks a parsed transaction without state (type enabled, fields sane) and queues it; tx is moved
 * (cleared) on ST_OK. Returns: ST_OK (done will be called); ST_DISABLED (type not enabled);
 * ST_INVALID (a field is out of range; err says which); ST_LIMIT (queue full). */
int eng_submit(eng *e, char *err, size_t errlen, ledger_tx *tx, eng_done_fn done, void *cookie)
    WARN_UNUSED NONNULL(1, 2, 4, 5);
/* The canonical JSON text a signed transaction is stored as in its block. A pure function of tx,
 * safe to call from any thread (unlike the rest of this API), so that it can be rendered beside
 * the signature's recovery instead of on the loop. Returns: the text (caller owns; cJSON_free), or
 * NULL on out of memory. */
char *eng_tx_body(const ledger_tx *tx) NONNULL(1);
/* eng_submit with the stored text already rendered (by eng_tx_body on this tx): *body is moved
 * (set to NULL) on ST_OK, like tx, and stays the caller's otherwise; a NULL *body is rendered when
 * the transaction is applied. Returns: as eng_submit. */
int eng_submit_body(eng *e, char *err, size_t errlen, ledger_tx *tx, char **body, eng_done_fn done, void *cookie)
    WARN_UNUSED NONNULL(1, 2, 4, 5, 6);
/* Dev only: queues a system transaction that stands in for what epoch settlement and governance
 * do: "Mint" {"to", "amount"} (issued to a free balance), "PoolReward" {"pool", "amount"} (paid to a
 * pool from the treasury), "WorkerSlash" {"worker", "ppm"} (burns that part of its bonded stake).
 * message is borrowed; the caller has checked its members. Returns: ST_OK; ST_DISABLED if not
 * dev; ST_INVALID for another type; ST_LIMIT. */
int eng_submit_system(eng *e, const char *type, const cJSON *message, eng_done_fn done, void *cookie)
    WARN_UNUSED NONNULL(1, 2, 3, 4);
/* Settles epochs and counts secret polls through the conclave-enclave at enclave_path, started now
 * (and again after a crash) with the platform secret file and the directory of its sealed key;
 * registers it in the ledger, with its ballot key, once its quote verifies and its measurement is
 * allowlisted (in genesis or by governance).
 * Returns: ST_OK, or why the enclave could not start (the node runs on; epochs wait for it). */
int eng_enclave_configure(eng *e, const char *enclave_path, const char *platform_secret_path, const char *sealed_dir)
    WARN_UNUSED NONNULL(1, 2, 3, 4);
/* Names an enclave program that holds the chain's ballot key (--handover-enclave), tried first when a
 * newly started enclave build lacks it (docs/SECRET_BALLOTS.md); NULL: none (only the copies the node
 * keeps in sealed_dir/holders). Call before eng_enclave_configure. The path is copied.
 * Returns: ST_OK or ST_NOMEM. */
int eng_enclave_set_handover(eng *e, const char *holder_path) WARN_UNUSED NONNULL(1);
/* Called by eng_when_settled. */
typedef void (*eng_settled_fn)(void *cookie);
/* Calls fn(cookie) once no epoch is being settled: at once if the enclave is computing none and no
 * report waits for its block, else when the last of the due epochs is in a block or the enclave
 * failed (then the epochs wait for a new enclave); and, likewise, once no secret poll is being
 * counted or could be by the running enclave (a failed or refused count waits for its retry). The loop serves everything else meanwhile.
 * eng_close drops the waiters without calling them.
 * Returns: ST_OK; ST_NOMEM (fn will not be called). */
int eng_when_settled(eng *e, eng_settled_fn fn, void *cookie) WARN_UNUSED NONNULL(1, 2);
/* What a secret poll in Counting waits for (gov_getProposal's "counting", docs/API.md), in this
 * order: its count is in flight or its report waits for the next block; no registered, allowlisted
 * enclave runs; the running enclave lacks the chain's ballot key and no handover could be made
 * (docs/SECRET_BALLOTS.md); it has no ballot key recorded (yet); its last count was refused and it
 * waits in back-off; or an enclave that can count it will, after the count or settlement it is busy
 * with and older polls. */
typedef enum eng_count_state {
    ENG_COUNT_BEING_COUNTED,
    ENG_COUNT_NO_ENCLAVE,
    ENG_COUNT_HANDOVER,
    ENG_COUNT_NO_KEY,
    ENG_COUNT_RETRY,
    ENG_COUNT_QUEUED,
} eng_count_state;
/* Returns: the state of proposal, which the caller knows is Counting. Out: *retry_at (node clock
 * seconds; may be NULL) for ENG_COUNT_RETRY: when it is asked again. */
eng_count_state eng_count_state_of(eng *e, uint64_t proposal, uint64_t *retry_at) NONNULL(1);
/* Dev only test hooks: the next report (an epoch's settlement or a secret poll's count) gets one
 * byte flipped on its way from the enclave, so a test can see it refused (inputs false); or the next inputs go to the enclave a byte short,
 * so a test can see the enclave refuse them (inputs true). Returns: ST_OK or ST_DISABLED. */
int eng_tamper_next_report(eng *e, bool inputs) WARN_UNUSED NONNULL(1);
/* Dev only: moves the manual clock forward. Returns: ST_OK; ST_DISABLED; ST_OVERFLOW.
 * Out: *now the new time. */
int eng_advance_time(eng *e, uint64_t secs, uint64_t *now) WARN_UNUSED NONNULL(1, 3);
/* Applies everything queued now, in as many blocks as needed, and any time-driven work that is due
 * (a block with only that if nothing is queued). Returns: ST_OK or ST_DB. */
int eng_flush(eng *e) WARN_UNUSED NONNULL(1);

/* Counters since the node started, for GET /metrics. */
/* A histogram of durations: how many fell at or below each of eng_timing_bounds (each bucket
 * counted once, not cumulatively), above the last, their count and their sum in seconds. */
#define ENG_TIMING_BUCKETS 14
extern const double eng_timing_bounds[ENG_TIMING_BUCKETS]; /* seconds, increasing */
typedef struct eng_timing {
    uint64_t bucket[ENG_TIMING_BUCKETS + 1]; /* [i]: in (bounds[i-1], bounds[i]]; the last: above all */
    uint64_t count;
    double sum;                     /* seconds */
} eng_timing;

typedef struct eng_stats {
    uint64_t blocks;                /* blocks committed */
    uint64_t transactions;          /* transactions in them, system ones included */
    uint64_t failed;                /* of those, with a failed receipt */
    uint64_t refused;               /* submissions refused at block time (nonce, a first transaction
                                     * from an address that holds nothing) or by a failed block */
    uint64_t blocks_redone;         /* blocks applied again, one savepoint a transaction, because a
                                     * transaction failed in the first attempt without them */
    size_t queued;                  /* waiting for the next block now */
    bool enclave_running;           /* an enclave process answers */
    uint64_t next_epoch;            /* the next epoch to settle */
    eng_timing block_commit;        /* each committed block, from its first item applied to its COMMIT
                                     * returned (without the sync off the loop) */
    eng_timing settlement;          /* each report the enclave sent, from the inputs sent to it */
} eng_stats;

void eng_stats_get(eng *e, eng_stats *out) NONNULL(1, 2);

/* Called after each block is durable with the block and its transactions, as a JSON object
 * {"height", "hash", "time", "transactions": [{"hash", "type", "success", "events": [...]}]}
 * (borrowed for the call), when wanted(ctx) says someone listens (the object is built only then).
 * Set one listener (fn NULL to remove); the block's answers go out after it. */
typedef void (*eng_block_fn)(void *ctx, const cJSON *block);
void eng_set_block_listener(eng *e, eng_block_fn fn, bool (*wanted)(void *ctx), void *ctx) NONNULL(1);

/* A source of signed transactions still on their way to eng_submit (conclaved's verification
 * pool). With one set, the block producer keeps a block open across turns of the loop while
 * pending(ctx) says transactions are coming, and the signed transactions submitted meanwhile join
 * it; it closes once it has applied everything that came, or is full, or eng_close_block_soon asks,
 * or when the blocks before it are durable (and answered) and it holds at least as many
 * transactions as are still coming (it is then synced while those are applied in the next block). While a block is open nothing but the
 * producer may read or write the ledger: the loop's other callbacks only submit (conclaved holds
 * other calls back until it closes). closed(ctx) runs after each close. Blocks replayed or made at
 * genesis stay as they are. NULL removes the feeder (an open block closes first). */
typedef struct eng_feeder {
    size_t (*pending)(void *ctx);
    void (*closed)(void *ctx);
    void *ctx;
} eng_feeder;
void eng_set_feeder(eng *e, const eng_feeder *feeder) NONNULL(1);

/* Whether a block is open (eng_set_feeder). */
bool eng_block_open(const eng *e) NONNULL(1);

/* Something waits for the open block to close (a read): it closes at the producer's next step. */
void eng_close_block_soon(eng *e) NONNULL(1);

/* What the feeder's pending(ctx) says may have changed: an open block looks again, at the
 * producer's next step, whether it closes (it would otherwise wait for a submission or a sync). */
void eng_feeder_moved(eng *e) NONNULL(1);

/* The audit of a running chain: ledger_audit's checks, then "follows_genesis": block 0 is the
 * stored genesis (its one Genesis transaction carries that document, at its time) and no epoch was
 * closed past the epoch of the newest block's time (as a block applied under another genesis would
 * close). eng_replay checks every block against the genesis in full.
 * Returns: ST_OK (report->ok says whether every check held), ST_NOMEM or ST_DB. */
int eng_audit(eng *e, ledger_audit_report *report) WARN_UNUSED NONNULL(1, 2);

typedef struct eng_replay_report {
    uint64_t blocks;                /* blocks replayed, genesis included */
    uint64_t transactions;
    uint64_t accounts;              /* accounts compared */
    bool ok;
    char detail[256];               /* the first difference, if any */
} eng_replay_report;

/* Rebuilds a fresh ledger at dst_path (":memory:" allowed; must not exist) from the genesis and
 * transactions stored in src_path, checking every block hash and receipt (status, error and
 * events: a block applied under another genesis differs there), then every account balance.
 * Returns: ST_OK (report->ok says whether they matched) or a failure with err. */
int eng_replay(eng_replay_report *report, char *err, size_t errlen, const char *src_path, const char *dst_path)
    WARN_UNUSED NONNULL(1, 2, 4, 5);

#endif
