/* SPDX-License-Identifier: MIT */
/* engine_int.h: the engine's insides shared by the engine .c files: the handle, a queued item and its
 * outcome, and the table of transaction handlers. Not an API: only engine .c files include it. */
#ifndef ENGINE_ENGINE_INT_H
#define ENGINE_ENGINE_INT_H

#include <pthread.h>
#include <time.h>
#include "enclave/economics.h"
#include "enclave/enclave.h"
#include "enclave/settle.h"
#include "engine/engine.h"
#include "engine/genesis.h"
#include "governance/gov_store.h"
#include "ledger/receipt.h"
#include "ledger/stakes.h"

/* One queued transaction: a signed one from a user, or a system one (genesis, dev mint). */
typedef struct eng_item {
    bool is_system;
    ledger_tx tx;                   /* signed: the decoded transaction (owned) */
    char *tx_body;                  /* signed: its stored text rendered before it was queued
                                     * (eng_tx_body; owned, cJSON_free), or NULL */
    char *sys_type;                 /* system: "Genesis" or "Mint" (owned) */
    char *sys_body;                 /* system: canonical JSON {"type","message"} (owned) */
    bool whole_or_none;             /* system: a failure loses the whole block instead of a failed
                                     * receipt (block 0's Genesis: a ledger holds a genesis or none) */
    eng_done_fn done;
    void *cookie;
    struct eng_item *next;
    /* outcome, filled by the block producer */
    int status;                     /* ST_OK: in a block; otherwise refused */
    char errmsg[256];
    cJSON *errdata;
    uint8_t hash[32];
    uint64_t height;
    uint32_t index;
    bool success;
    char *error;                    /* failed receipt's reason (owned) */
    char *events;                   /* JSON array text (owned) */
} eng_item;

/* Someone waiting for the settlements in progress (eng_when_settled). */
typedef struct eng_settle_waiter {
    eng_settled_fn fn;
    void *cookie;
    struct eng_settle_waiter *next;
} eng_settle_waiter;

/* The epoch asked of the enclave and not yet in a block. */
typedef struct eng_settle_request {
    bool in_flight;                 /* the enclave has the inputs and has not answered */
    uint64_t epoch;
    uint8_t *inputs;                /* the serialized inputs sent (owned), until the report is taken */
    size_t inputs_len;
    uint64_t deadline_ms;           /* monotonic milliseconds: the enclave is given up on after */
    struct timespec sent_at;        /* CLOCK_MONOTONIC time the inputs went to the enclave */
    struct event *ev;               /* watches the enclave's socket while in flight (with a loop) */
    eng_item *ready;                /* the Settlement item once the report is in (owned) */
    eng_settle_waiter *waiters;     /* told once nothing is in flight or ready */
} eng_settle_request;

/* A secret poll whose last count was refused (by the enclave, or by its SecretPollCount's checks). */
typedef struct eng_count_backoff {
    uint64_t proposal;              /* 0: a free entry */
    uint64_t retry_at;              /* node clock seconds: not asked again before */
    unsigned refusals;              /* in a row */
} eng_count_backoff;

#define ENG_COUNT_BACKOFFS 64       /* polls remembered in back-off; a new one past that takes the
                                     * entry due soonest, whose poll is then asked again sooner */

/* The secret poll being counted by the enclave (engine/enclave_link.c), or whose count waits for
 * its block, and the polls in back-off, which others pass. */
typedef struct eng_count_request {
    bool in_flight;                 /* a frame of the count is out, or its answer is awaited */
    bool held;                      /* the SecretPollCount item waits for its block */
    uint64_t proposal;
    enc_count_job *job;             /* while in flight (owned) */
    uint64_t deadline_ms;           /* monotonic milliseconds: the enclave is given up on after */
    struct event *ev;               /* watches the enclave's socket while in flight (with a loop) */
    eng_count_backoff backoff[ENG_COUNT_BACKOFFS];
} eng_count_request;

/* Blocks made durable off the loop (engine/durability.c). */
typedef struct eng_durability {
    bool on;                        /* COMMITs do not sync; the thread below does */
    int wal_fd;                     /* the write-ahead log, for ledger_sync_wal */
    int wake[2];                    /* the thread writes a byte to wake[1] after each sync */
    struct event *wake_ev;          /* reads wake[0] on the loop */
    struct event *quiet_ev;         /* quiet_ms after the last answered block (with a checkpointer) */
    pthread_t thread;               /* syncs */
    pthread_t checkpoint_thread;    /* checkpoints, while checkpointer is set */
    pthread_mutex_t mu;
    pthread_cond_t cv, checkpoint_cv;
    ledger_checkpointer *checkpointer;  /* the checkpoints' own connection (NULL: commits checkpoint) */
    bool checkpoint_wanted;         /* under mu: the checkpoints' thread has one to run */
    uint64_t requested, synced;     /* block sequence numbers, under mu */
    int sync_errno;                 /* under mu: set once a sync failed */
    bool stop;                      /* under mu */
    bool checkpoint_asked;          /* under mu: the loop writes nothing until the thread has
                                     * checkpointed the whole log, which then starts again */
    bool paused;                    /* loop only: blocks wait for that checkpoint */
    unsigned log_limit;             /* loop only: frames in the log at which blocks pause for it */
    unsigned pause_at, frames_seen; /* loop only: the next pause's frames; the last count seen */
    unsigned checkpointed_at;       /* loop only: the count when the last checkpoint was asked */
    uint64_t committed;             /* blocks committed and held so far (loop only) */
    struct eng_held *head, *tail;   /* held blocks, oldest first (loop only) */
} eng_durability;

/* The block being produced (engine.c): with a feeder it stays open across turns of the loop, and
 * the transactions queued meanwhile join it. */
typedef struct eng_building {
    bool open;
    int rc;                         /* ST_OK, or the failure that loses the block */
    ledger_block b;                 /* height, parent and time; tx_count so far */
    eng_item *items, *tail;         /* every item of the block, in order */
    eng_item *tick, *settlement;    /* its system items, if any (at its head) */
    size_t n;                       /* the items on the list */
    bool guarded;                   /* a savepoint a transaction */
    bool close_soon;                /* eng_close_block_soon */
    uint64_t now;                   /* the time it was opened for (eng_block_time) */
    struct timespec started;
} eng_building;

struct eng {
    ledger *ledger;
    eng_genesis genesis;
    bool genesis_parsed;            /* genesis holds GMP values to clear */
    bool genesis_whole_body;        /* a new block 0's Genesis carries the whole document (eng_config) */
    eng_clock clock;
    bool dev;
    eng_block_fn block_fn;          /* eng_set_block_listener */
    bool (*block_wanted)(void *ctx);
    void *block_ctx;
    size_t max_queue, max_block_txs;
    unsigned log_limit, quiet_ms;   /* eng_config's */
    eng_item *queue_head, *queue_tail;
    size_t queued;
    eng_feeder feeder;              /* eng_set_feeder (all NULL: none) */
    eng_building building;          /* the block being produced */
    struct event *produce_ev;       /* cuts a block at the end of the loop iteration */
    struct event *idle_ev;          /* each second: makes a block if time-driven work is due */
    struct event *read_end_ev;      /* ends the turn's shared read transaction (eng_read_begin) */
    bool read_end_due;              /* read_end_ev is active for this turn */
    struct event_base *base;        /* the loop of eng_attach; NULL: settlements are awaited in place */
    enc_host *enclave;              /* the running enclave, or NULL */
    char *enclave_path;             /* how to start it again (NULL: settlement is off) */
    char *platform_secret_path;
    char *sealed_dir;
    char *handover_path;            /* --handover-enclave: a build that holds the chain's ballot key (or NULL) */
    bool handover_wanted;           /* the running enclave lacks the chain's ballot key and no handover worked */
    uint64_t enclave_retry_at;      /* monotonic seconds: no restart before */
    uint8_t enclave_address[20];    /* the running enclave's key address */
    bool enclave_unlisted;          /* its measurement was off the allowlist: admitted once governance adds it */
    uint8_t enclave_measurement[32]; /* the running enclave's measurement and quote, for that admission */
    uint8_t enclave_quote[ENC_QUOTE_LEN];
    size_t enclave_quote_len;
    eng_item *enclave_items;        /* EnclaveAllow/EnclaveRegister made for the producer to queue (owned) */
    bool tamper_next_report;        /* dev test hook: flip a byte of the next report (settlement or count) */
    bool tamper_next_inputs;        /* dev test hook: send the next inputs a byte short */
    eng_settle_request settle;      /* the settlement being computed, or waiting for its block */
    eng_count_request count;        /* the secret poll being counted, one exchange with settle at a time */
    eng_durability durability;      /* with a loop: receipts wait for their block's sync */
    eng_stats stats;                /* counters for eng_stats_get */
    unsigned guarded_blocks;        /* blocks still to be applied guarded after one was redone */
    /* eng_tick_due's memo: nothing was due at tick_memo_time, on the state as it still is (every
     * block since held only timeless transactions); so nothing is due at any time up to it */
    bool tick_memo;
    uint64_t tick_memo_time;
    gov_store *gov;                 /* governance rows (owned; freed before the ledger closes) */
    struct json_text events_text;   /* the memory each transaction's events are written into */
    enc_econ_params econ;           /* the genesis rewards' economics as economics.h takes them */
};

/* What a handler works with while applying one transaction inside a block. */
typedef struct eng_apply {
    eng *e;
    eng_item *item;
    uint64_t height;                /* block height */
    uint64_t time;                  /* block time */
    ledger_receipt r;               /* the events the handler appends and the reason of a failure */
} eng_apply;

typedef struct eng_handler {
    const char *type;
    bool system;                    /* written by the node itself, never by a signer */
    bool dev;                       /* a system type that admin methods of a --dev node may submit */
    /* stateless checks before queuing: ST_OK or ST_INVALID with err */
    int (*check)(eng *e, const ledger_tx *tx, char *err, size_t errlen);
    /* applies inside the block's savepoint: ST_OK, a failure with a->r.err, or ST_DB (fatal) */
    int (*apply)(eng_apply *a);
    /* applying it, successful or not, never changes what eng_tick_due finds (no unbonding, slash,
     * epoch, channel or proposal is written): the due checks' memo survives its blocks */
    bool timeless;
} eng_handler;

/* Returns: the handler of a signed (system=false) or system type, or NULL if not enabled. */
const eng_handler *eng_handler_find(const char *type, bool system);
/* Whether the handler table is sorted by type name with no name twice, as eng_handler_find needs
 * (for the tests). */
bool eng_handlers_sorted(void);
/* Whether a part of the Tick's time-driven work (engine/apply.c: staking, compute, governance) is
 * due at now: the producer then puts a Tick first in the block. Each part is due from a time on
 * (what is due at a time stays due later, until a block changes it), so once nothing was due at a
 * time the answer is kept in memory for every time up to it, until a block holds an item that is
 * not timeless (eng_tick_forget): the producer asks twice a block and the manual clock rarely moves. */
bool eng_tick_due(eng *e, uint64_t now);
/* Forgets eng_tick_due's memo unless every item is a timeless signed transaction: called before
 * the items are applied as a block. */
void eng_tick_forget(eng *e, const eng_item *items);
/* Staking: checks and handlers of the signed types (engine/staking_tx.c), the internal entry points
 * (engine/staking.c: a reward paid into a pool from an account; a slash of a worker's bonded stake
 * in ppm), and the block-start tick with the test of whether one is due at time now
 * (engine/staking_tick.c). */
int eng_check_commission(eng *e, const ledger_tx *tx, char *err, size_t errlen);
/* The type's amount member ("amount", else "deposit", else "shares") is a positive u256, and a
 * Contribute's at least staking.minContribution (also the check of ChannelOpen and ChannelTopUp). */
int eng_check_positive_amount(eng *e, const ledger_tx *tx, char *err, size_t errlen);
int eng_apply_pool_create(eng_apply *a);
int eng_apply_pool_set_commission(eng_apply *a);
/* Pool settings (engine/pool_settings.c). */
int eng_check_pool_capacity(eng *e, const ledger_tx *tx, char *err, size_t errlen);
int eng_check_pool_description(eng *e, const ledger_tx *tx, char *err, size_t errlen);
int eng_apply_pool_set_capacity(eng_apply *a);
int eng_apply_pool_set_description(eng_apply *a);
int eng_apply_pool_allow_contributor(eng_apply *a);
int eng_apply_pool_disallow_contributor(eng_apply *a);
int eng_apply_worker_add(eng_apply *a);
int eng_apply_worker_remove(eng_apply *a);
int eng_apply_worker_bond(eng_apply *a);
int eng_apply_worker_unbond(eng_apply *a);
int eng_apply_contribute(eng_apply *a);
int eng_apply_withdraw(eng_apply *a);
int eng_apply_claim(eng_apply *a);
int eng_staking_tick(eng_apply *a);
int eng_staking_reward(eng_apply *a, uint64_t pool, const ledger_account *from, const mpz_t amount);
int eng_staking_slash(eng_apply *a, const uint8_t worker[20], uint32_t ppm);
/* An offence of a worker (reason: "uptime", "admin"): a slash of ppm, recorded, and applied at once
 * or deferred by staking.slashDeferSecs so that governance can cancel it (Tick applies it when due). */
int eng_staking_offence(eng_apply *a, const uint8_t worker[20], uint32_t ppm, const char *reason);
bool eng_staking_due(eng *e, uint64_t now);
/* The epoch that was current at the last epoch close: every earlier one is closed (0 before the
 * first close). Returns: ST_OK or ST_DB. */
int eng_staking_last_epoch(eng *e, uint64_t *epoch);

/* Compute (engine/compute.c): heartbeats, payment channels and vouchers, and the tick part that
 * returns the deposits of channels whose challenge period is over. */
int eng_apply_channel_open(eng_apply *a);
int eng_apply_channel_top_up(eng_apply *a);
int eng_apply_channel_close(eng_apply *a);
int eng_apply_voucher_redeem(eng_apply *a);
bool eng_compute_due(eng *e, uint64_t now);
int eng_compute_tick(eng_apply *a);

/* Workers (engine/workers.c): registration of attested worker runtimes, the slots' challenges and
 * the heartbeats that answer them, and the stake a worker needs to compute. */
#define ENG_SCORE_ITERATIONS 1000   /* a point of score: 1000 keccak-256 iterations per second */
/* floor(iterations * 10^6 / micros / ENG_SCORE_ITERATIONS), at most UINT32_MAX; 0 if micros is 0. */
uint32_t eng_worker_score(uint64_t iterations, uint64_t micros);
/* The epoch and heartbeat slot of time t. */
void eng_worker_slot(const eng *e, uint64_t t, uint64_t *epoch, uint64_t *slot) NONNULL(1, 3, 4);
/* A worker's challenge for a slot with that slot's seed. */
void eng_worker_challenge(uint8_t out[32], const eng *e, const uint8_t worker[20], uint64_t epoch, uint64_t slot,
                          const uint8_t seed[32]) NONNULL(1, 2, 3, 6);
/* At the start of a block of time `time` whose parent is head (NULL for the first block): records
 * head's hash as the seed of the block's slot unless the slot has one. Returns: ST_OK or ST_DB. */
int eng_worker_seed_update(eng *e, const ledger_block *head, uint64_t time) NONNULL(1);
/* The epoch, slot and seed of the slot of time t (t at or after the head's time).
 * Returns: ST_OK or ST_DB. */
int eng_worker_seed(eng *e, uint64_t t, uint64_t *epoch, uint64_t *slot, uint8_t seed[32]) NONNULL(1, 3, 4, 5);
int eng_check_worker_register(eng *e, const ledger_tx *tx, char *err, size_t errlen);
int eng_apply_worker_register(eng_apply *a);
int eng_check_worker_heartbeat(eng *e, const ledger_tx *tx, char *err, size_t errlen);
int eng_apply_worker_heartbeat(eng_apply *a);
/* Whether w may compute with `bonded` (in the receipt if not): P at least minWorkerScore, bonded at
 * least the minimum stake, and, when it starts, an initial V within vMax. */
int eng_worker_check_stake(eng_apply *a, const ledger_worker *w, const mpz_t bonded, bool starting);
/* The economics parameters in force. */
static inline const enc_econ_params *eng_econ(const eng *e)
{
    return &e->econ;
}

/* The genesis document kept for replay (engine/genesis_store.c), in chunks of meta so no statement
 * binds the whole text. put writes g's canonical text from its accounts text (eng_genesis_write),
 * calling each(arg, ...) (NULL: none) for each account as its entry is written: ST_OK; ST_INVALID
 * when g holds no accounts text or the text written is not the one g->hash names (a borrowed text
 * changed since it was parsed); ST_NOMEM; ST_DB; else what each returned. get: ST_OK with *text
 * (caller frees; an older data directory's whole meta "genesis" too), ST_NOTFOUND, ST_INVALID
 * (chunks missing), ST_NOMEM, ST_DB. */
int eng_genesis_document_put(ledger *l, const eng_genesis *g, eng_genesis_account_fn each, void *arg)
    WARN_UNUSED NONNULL(1, 2);
int eng_genesis_document_get(ledger *l, char **text) WARN_UNUSED NONNULL(1, 2);

/* Settlement (engine/settlement.c): the next epoch to settle, whether it is due at now, its inputs
 * as the ledger says them, and the system transactions that allowlist and register an enclave,
 * record its ballot key (EnclaveBallotKey: its signature must recover to the registered enclave)
 * and apply a report. */
int eng_settlement_next(eng *e, uint64_t *epoch);
bool eng_settlement_due(eng *e, uint64_t now);
int eng_settlement_inputs(eng *e, uint64_t epoch, enc_settle_input *in);
int eng_apply_enclave_allow(eng_apply *a);
int eng_apply_enclave_register(eng_apply *a);
int eng_apply_enclave_ballot_key(eng_apply *a);
int eng_apply_settlement(eng_apply *a);
/* The enclave supervisor (engine/enclave_link.c) hands the enclave's report to the producer as a
 * "Settlement" system item. The enclave is asked without blocking the loop: eng_settlement_poke,
 * after each block, admits an enclave that started unlisted once its measurement is allowlisted
 * (registers it and records its ballot key, which may block as a start does) and sends it the
 * inputs of a due epoch (the loop watches for the answer, SETTLE_TIMEOUT_SECS at most), and
 * eng_settlement_take, before each block, hands over the report's
 * item if its inputs are still the ledger's (else it is dropped and asked again). Without a loop
 * (eng_attach not called) take asks and awaits the enclave itself. take's item is the caller's
 * (eng_item_free); NULL: none now. eng_enclave_shutdown stops the enclave and drops the request. */
/* Whether the enclave is registered and its measurement is on the allowlist now: only then is it
 * asked to settle (a report of a removed measurement would be refused in the block), and only then
 * does an unsettled epoch hold the chain's time (eng_block_time). */
bool eng_enclave_may_settle(eng *e);
/* The time of the next block: the clock's, except while settlement is on and the oldest unsettled
 * epoch has ended: then its end (the next epoch's start), so that however far the clock jumped
 * (a node down for a day, admin_advanceTime), each epoch is settled on its own state, in order,
 * before the releases and unbondings due later apply, as on a node that ran through that time. */
uint64_t eng_block_time(eng *e);
eng_item *eng_settlement_take(eng *e, uint64_t now);
void eng_settlement_poke(eng *e, uint64_t now);
/* Starts the enclave (the paths are copied for restarts) and registers it: the body of
 * eng_enclave_configure. The system items that allowlist and register an enclave, made by
 * eng_enclave_start, take and poke, are held until the producer takes them with
 * eng_enclave_take_items (a list linked by next, in order; the caller's; NULL: none) and queues
 * them. */
int eng_enclave_start(eng *e, const char *enclave_path, const char *platform_secret_path, const char *sealed_dir);
eng_item *eng_enclave_take_items(eng *e);
/* Holds the system item it (NULL: out of memory) for the producer (eng_enclave_take_items); its
 * answer is only logged, as `what` failed. Returns: ST_OK or ST_NOMEM. */
int eng_enclave_hold(eng *e, eng_item *it, char *what);
/* The chain's ballot key for the running enclave (engine/ballot_key.c), of measurement, allowlisted
 * (the caller checked), registered or about to be: it asks the enclave for its key, hands it the
 * chain's first if it has another (setting e->handover_wanted when no holder could), keeps a copy of
 * its program when it holds the chain's key, and holds the EnclaveBallotKey item unless the ledger
 * has that key recorded for it already. Returns: ST_OK (also when the enclave gave no usable key or
 * no handover was possible: logged, and secret polls wait); otherwise the enclave did not answer or
 * the ledger failed. */
int eng_ballot_key_fetch(eng *e, const uint8_t measurement[32], bool registered);
void eng_enclave_shutdown(eng *e);
/* Governance (engine/gov_adapters.c, adapters over the rules of governance/rules.h): the signed
 * Propose, Vote, Ballot, SecretBallot, ProposalCancel, ProposalExecute, Delegate and Undelegate,
 * the tick part that moves proposals on by the clock and whether one is due at now, the Withdraw
 * hook that keeps conviction-locked stake in place (leaving: the value the withdrawal takes out;
 * fails a->r.err "... locked by governance until T"), and the governed parameters stored by
 * executed proposals applied over the genesis at open. */
int eng_check_propose(eng *e, const ledger_tx *tx, char *err, size_t errlen);
int eng_check_vote(eng *e, const ledger_tx *tx, char *err, size_t errlen);
int eng_apply_propose(eng_apply *a);
int eng_apply_vote(eng_apply *a);
int eng_check_ballot(eng *e, const ledger_tx *tx, char *err, size_t errlen);
int eng_apply_ballot(eng_apply *a);
int eng_check_secret_ballot(eng *e, const ledger_tx *tx, char *err, size_t errlen);
int eng_apply_secret_ballot(eng_apply *a);
int eng_apply_proposal_cancel(eng_apply *a);
int eng_apply_proposal_execute(eng_apply *a);
bool eng_gov_due(eng *e, uint64_t now);
int eng_gov_tick(eng_apply *a);
int eng_gov_check_withdraw(eng_apply *a, const uint8_t staker[20], const mpz_t leaving);
int eng_gov_load_params(eng *e);
/* After a block that did not commit: the governed parameters again as the genesis and the stored
 * changes say (an execution in the lost block may have set one in memory). */
int eng_gov_reload_params(eng *e);
int eng_check_delegate(eng *e, const ledger_tx *tx, char *err, size_t errlen);
int eng_apply_delegate(eng_apply *a);
int eng_apply_undelegate(eng_apply *a);
/* SecretPollCount (system): an enclave's signed count of a secret poll (report || signature). The
 * report must parse, be signed by a registered enclave whose measurement is allowlisted and is the
 * report's, and be for this chain; governance checks the rest (gov_secret_count_apply). */
int eng_apply_secret_poll_count(eng_apply *a);
/* Whether a secret poll waits for a count the running (or restartable) enclave could be asked for
 * now: the idle timer then makes the producer poke the supervisor. */
bool eng_count_wanted(eng *e);

/* Applies items (a NULL-terminated list in order) as one block at time (raised to the parent's time
 * if earlier), filling each item's outcome. A block is written only if at least one item applied.
 * Returns: ST_OK, or ST_DB/ST_NOMEM (then every item carries that status). */
int eng_apply_block(eng *e, eng_item *items, uint64_t time);
/* System transactions (engine/system.c): the node's own transactions to and from their stored text.
 * Encoders: a Tick, an EnclaveRegister of a quote, an EnclaveBallotKey of an enclave's ballot key and
 * its signature, and the Settlement of an epoch's inputs and report, as items; NULL on OOM (the bytes are borrowed).
 * Decoders of an item's text (sys_body): ST_OK with the outs set, or ST_INVALID when a member is
 * missing or malformed. The buffers of register and settlement are the caller's (free()) whatever
 * the result; NULL when absent. */
eng_item *eng_system_tick(void);
eng_item *eng_system_enclave_register(const uint8_t *quote, size_t len);
eng_item *eng_system_enclave_ballot_key(const uint8_t enclave[20], const uint8_t key[33], const uint8_t sig[65]);
eng_item *eng_system_secret_poll_count(uint64_t proposal, const uint8_t *report, size_t report_len);
eng_item *eng_system_settlement(uint64_t epoch, const uint8_t *inputs, size_t inputs_len, const uint8_t *report,
                                size_t report_len);
int eng_system_decode_mint(const char *text, uint8_t to[20], mpz_t amount);
int eng_system_decode_pool_reward(const char *text, uint64_t *pool, mpz_t amount);
int eng_system_decode_worker_slash(const char *text, uint8_t worker[20], uint32_t *ppm);
int eng_system_decode_enclave_allow(const char *text, uint8_t measurement[32]);
int eng_system_decode_enclave_register(const char *text, uint8_t **quote, size_t *len);
int eng_system_decode_enclave_ballot_key(const char *text, uint8_t enclave[20], uint8_t key[33], uint8_t sig[65]);
int eng_system_decode_secret_poll_count(const char *text, uint64_t *proposal, uint8_t **report, size_t *report_len);
int eng_system_decode_settlement(const char *text, uint64_t *epoch, uint8_t **inputs, size_t *inputs_len,
                                 uint8_t **report, size_t *report_len);

/* The engine's counters in the ledger's meta table (engine/item.c): the decimal number stored under
 * key, 0 when none is. Returns: ST_OK or ST_DB. */
int eng_meta_u64(eng *e, const char *key, uint64_t *value);
/* A signed transaction's amount member that must be above zero (engine/item.c), for the checks
 * before queuing: read into value. Returns: ST_OK; ST_INVALID with err "message.M: must be
 * greater than zero"; or the getter's status. */
int eng_check_positive(const ledger_tx *tx, const char *member, mpz_t value, char *err, size_t errlen);

/* Items (engine/item.c). Frees an item and everything it owns. Accepts NULL. */
void eng_item_free(eng_item *it);
/* Makes a system item; body is canonical JSON {"type": type, "message": message}; message is
 * borrowed. Returns NULL on OOM. */
eng_item *eng_item_system(const char *type, const cJSON *message);

/* Durability (engine/durability.c). start (from eng_attach): defers each COMMIT's sync to a thread
 * of its own when the database is WAL (else leaves every COMMIT syncing); ST_OK, ST_NOMEM, ST_IO or
 * ST_DB. hold: keeps a committed block's items until a sync covers it, then eng_deliver_block;
 * ST_NOMEM (the caller then syncs and delivers at once). stop: waits for the last sync, delivers
 * what it covered and ends the thread; accepts a node where it never started. */
int eng_durability_start(eng *e);
int eng_durability_hold(eng *e, eng_item *items, eng_item *tick, eng_item *settlement);
/* Whether the next block must wait: the write-ahead log has grown past its limit, and blocks pause
 * (the loop goes on reading and verifying) while the thread checkpoints the whole log, so that the
 * next block starts it again from its beginning; the loop's producer runs again once it is done. */
bool eng_durability_paused(eng *e);
/* Whether a committed block waits for its sync (its receipts are not out yet). */
bool eng_durability_syncing(const eng *e);
void eng_durability_stop(eng *e);
/* Sends out what a block did (engine.c): the listener hears of it when committed, each item's done
 * callback gets its receipt or its refusal, and the block's Tick and Settlement items (logged when
 * they failed) and every item are freed. */
void eng_deliver_block(eng *e, eng_item *items, eng_item *tick, eng_item *settlement, bool committed);

/* Returns: the seconds from start (CLOCK_MONOTONIC) to now. */
double eng_seconds_since(const struct timespec *start) NONNULL(1);
/* Counts one duration of secs seconds into t. */
void eng_timing_observe(eng_timing *t, double secs) NONNULL(1);

#endif
