/* SPDX-License-Identifier: MIT */
/* engine_fixture.h: an engine in a temporary data directory, driven without a socket as the engine
 * tests drive it: the development accounts sign transactions (nonces counted across a block in the
 * making), system transactions, one block at a time with the ledger audited after each, the manual
 * clock, and the expectations every such test states (a receipt succeeded or failed for a reason,
 * a balance is exactly so). One engine per test process (Criterion runs each test in its own). */
#ifndef TESTS_ENGINE_FIXTURE_H
#define TESTS_ENGINE_FIXTURE_H

#include <gmp.h>
#include <stdbool.h>
#include <stdint.h>
#include "engine/engine.h"
#include "ledger/ledger.h"

/* What the engine answered to one submitted item. */
typedef struct th_outcome {
    int calls;                     /* how many times it was answered (once, or a bug) */
    int status;                    /* ST_OK once applied in a block (maybe as failed), else the refusal */
    bool success;
    uint64_t height;
    char error[256];               /* a failed receipt's reason */
    char *events;                  /* the receipt's events (JSON array text), owned; free() it */
    char errmsg[256];              /* a refusal's message ("" when applied) */
    char *errdata;                 /* a refusal's data (JSON text) or NULL, owned; free() it */
} th_outcome;

/* Frees what o owns (events, errdata) and zeroes it for reuse. */
void th_outcome_clear(th_outcome *o);

/* The eng_done_fn that fills a th_outcome (cookie). */
void th_on_done(void *cookie, int status, const char *errmsg, cJSON *errdata, const eng_receipt *r);

/* Development account i (0..9): its address, and its EIP-55 text (valid until the next call for i). */
void th_dev_bytes(uint8_t addr[20], unsigned i);
const char *th_dev_text(unsigned i);

/* Opens an engine (manual clock, dev) on a new data directory (th_temp_dir) with the
 * given genesis (copied). th_reopen_engine closes it and opens the same directory again, as a
 * restart does; th_close_engine closes it (e may be NULL: closed already) and removes the
 * directory. */
void th_open_engine(eng **e, const char *tag, const char *genesis);
/* th_open_engine with limits' max_queue, max_block_txs and log_limit (also at each reopen). */
void th_open_engine_tuned(eng **e, const char *tag, const char *genesis, const eng_config *limits);
void th_reopen_engine(eng **e);
void th_close_engine(eng *e);
/* Closes the engine, deletes its database and opens a new chain with genesis in the same directory. */
void th_new_chain(eng **e, const char *genesis);
/* Closes the engine (*e becomes NULL) and replays its database into memory, which must run and
 * rebuild the same chain. Returns the replay's report. */
eng_replay_report th_replay(eng **e);
/* The data directory and the database of the engine opened last. */
const char *th_dir(void);
const char *th_db_path(void);

/* The next nonce of dev account who in the ledger (not counting what is queued). */
uint64_t th_nonce_of(eng *e, unsigned who);
/* Signs a transaction of type from dev account who with the message given as JSON (the nonce is
 * added, counting what who has queued since the last block) and submits it. Returns eng_submit's
 * status; its error text is th_last_err(). */
int th_submit(eng *e, unsigned who, const char *type, th_outcome *o, const char *fmt, ...) PRINTF_LIKE(5, 6);
const char *th_last_err(void);
/* Signs a transaction of type with any key and the given nonce (nothing counted) and submits it:
 * the message as a cJSON object (borrowed; its "nonce" member is added) or as JSON text. Returns
 * eng_submit's status; its error text is th_last_err(). */
int th_submit_msg(eng *e, const uint8_t key[32], uint64_t nonce, const char *type, cJSON *msg, th_outcome *o);
int th_submit_signed(eng *e, const uint8_t key[32], uint64_t nonce, const char *type, th_outcome *o, const char *fmt,
                     ...) PRINTF_LIKE(6, 7);
/* th_submit that must be queued. */
void th_queue(eng *e, unsigned who, const char *type, th_outcome *o, const char *fmt, ...) PRINTF_LIKE(5, 6);
/* A dev system transaction (Mint, PoolReward, WorkerSlash) that must be queued. */
void th_system_tx(eng *e, const char *type, th_outcome *o, const char *fmt, ...) PRINTF_LIKE(4, 5);
/* Applies everything queued as one block, then audits the ledger. */
void th_block(eng *e);
/* After a flush that failed: nothing queued reached the ledger, so nonces count from it again. */
void th_forget_queued(void);
void th_expect_audit_ok(eng *e);
uint64_t th_head_height(eng *e);
/* Moves the manual clock; returns whether the work the new time made due made a block. */
bool th_advance(eng *e, uint64_t secs);

/* Workers. A test chain that registers workers names the test platform and the test worker
 * runtime in its genesis: splice th_worker_genesis() (the "enclave" member, no braces around it)
 * into its object. A worker's key is th_worker_key(i) (any i: keys apart from the dev accounts'). */
const char *th_worker_genesis(void);
void th_worker_key(uint8_t key[32], unsigned i);
void th_worker_address(uint8_t addr[20], unsigned i);
const char *th_worker_text(unsigned i);
/* A version-2 worker quote of the test platform for key's public key on chain_id, at confidence
 * level `level`, measuring `measurement` (NULL: the test worker runtime). Out: quote as 0x hex. */
void th_worker_quote_hex(char hex[2 * 172 + 3], const uint8_t key[32], uint64_t chain_id, unsigned level,
                         const uint8_t *measurement);
/* As th_worker_quote_hex at level 1 for the test worker runtime, by the platform of secret. */
void th_worker_quote_hex_by(char hex[2 * 172 + 3], const uint8_t key[32], uint64_t chain_id,
                            const uint8_t secret[32]);
/* Registers worker i (WorkerRegister with its quote, at level 1) to serve dev account `op`, with
 * benchmark score `score`, in a block of its own; asserts that it succeeded. _on: with a quote of
 * the platform whose secret is in the file secret_path (the chain must name that platform and the
 * test worker runtime, th_worker_runtime_hex()). */
void th_register_worker(eng *e, unsigned i, unsigned op, uint32_t score);
void th_register_worker_on(eng *e, unsigned i, unsigned op, uint32_t score, const char *secret_path);
/* The test worker runtime's measurement, 0x and 64 hex digits. */
const char *th_worker_runtime_hex(void);

/* The outcome was answered once, applied and succeeded / failed with reason in its error and no
 * events. */
void th_expect_ok(const th_outcome *o, const char *what);
void th_expect_failed(const th_outcome *o, const char *reason, const char *what);
/* A transaction of dev account who (th_queue) in a block of its own that must succeed / fail with
 * reason. */
void th_expect_tx_ok(eng *e, unsigned who, const char *type, const char *fmt, ...) PRINTF_LIKE(4, 5);
void th_expect_tx_fails(eng *e, unsigned who, const char *type, const char *reason, const char *fmt, ...)
    PRINTF_LIKE(5, 6);
/* v, an account's balance, a dev account's balance of kind (LEDGER_FREE, ...) is exactly expected. */
void th_expect_mpz(const mpz_t v, const char *expected, const char *what);
void th_expect_balance(eng *e, ledger_account a, const char *expected, const char *what);
void th_expect_user(eng *e, int kind, unsigned who, const char *expected);

#endif
