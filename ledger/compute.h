/* SPDX-License-Identifier: MIT */
/* compute.h: storage of what compute providers and their clients write (schema 003): heartbeats by
 * worker, epoch and slot, and client -> worker payment channels. Rows only: the rules live in
 * engine/compute.c. Writes must happen inside a block. Layer: ledger. */
#ifndef LEDGER_COMPUTE_H
#define LEDGER_COMPUTE_H

#include <gmp.h>
#include <stdbool.h>
#include <stdint.h>
#include "ledger/ledger.h"
#include "ledger/status.h"

typedef struct ledger_channel {
    uint64_t id;
    uint8_t client[LEDGER_ADDR_LEN];
    uint8_t worker[LEDGER_ADDR_LEN];
    mpz_t deposit;                    /* escrow still held for the channel */
    mpz_t redeemed;                   /* highest cumulative voucher redeemed */
    mpz_t paid;                       /* settled out of the deposit */
    bool closing;                     /* the client closed it; close_at is set */
    uint64_t close_at;                /* end of the challenge period, seconds */
    bool closed;                      /* deposit returned; nothing more happens */
    uint64_t opened_height;
} ledger_channel;

void ledger_channel_init(ledger_channel *c);
void ledger_channel_clear(ledger_channel *c);
/* insert assigns c->id (1, 2, ...). get: ST_NOTFOUND if absent. */
int ledger_channel_insert(ledger *l, ledger_channel *c) WARN_UNUSED NONNULL(1, 2);
int ledger_channel_get(ledger *l, uint64_t id, ledger_channel *c) WARN_UNUSED NONNULL(1, 3);
int ledger_channel_update(ledger *l, const ledger_channel *c) WARN_UNUSED NONNULL(1, 2);
/* Up to cap ids of open channels closing at or before t whose vouchers are all paid. */
int ledger_channel_due(ledger *l, uint64_t t, uint64_t *ids, unsigned cap, unsigned *n) WARN_UNUSED NONNULL(1, 3, 5);
/* A page of channel ids after cursor (exclusive), by id, up to limit: those of a client, of a
 * worker (address), or of the workers a pool holds now (pool). *more: whether others follow. */
enum ledger_channel_filter { LEDGER_CHANNELS_OF_CLIENT = 0, LEDGER_CHANNELS_OF_WORKER = 1, LEDGER_CHANNELS_OF_POOL = 2 };
int ledger_channel_page(ledger *l, enum ledger_channel_filter by, const uint8_t *address, uint64_t pool, uint64_t cursor,
                        unsigned limit, uint64_t *ids, unsigned *n, bool *more) WARN_UNUSED NONNULL(1, 7, 8, 9);

/* Records a heartbeat. Returns: ST_OK; ST_CONFLICT if the worker already has one in that slot. */
int ledger_heartbeat_put(ledger *l, const uint8_t worker[LEDGER_ADDR_LEN], uint64_t epoch, uint64_t slot,
                         uint32_t score) WARN_UNUSED NONNULL(1, 2);
/* A worker's heartbeats in an epoch: scores[slot] for every slot below n_slots (0 where it sent
 * none; a heartbeat's score is at least 1). */
int ledger_heartbeat_slots(ledger *l, const uint8_t worker[LEDGER_ADDR_LEN], uint64_t epoch, uint32_t *scores,
                           uint64_t n_slots) WARN_UNUSED NONNULL(1, 2, 4);
/* One recorded heartbeat. */
typedef struct ledger_heartbeat {
    uint64_t epoch;
    uint64_t slot;
    uint32_t score;                   /* the instant performance it counted for */
} ledger_heartbeat;
/* A worker's newest heartbeats, up to cap, newest first. Out: *n. */
int ledger_heartbeat_recent(ledger *l, const uint8_t worker[LEDGER_ADDR_LEN], ledger_heartbeat *out, unsigned cap,
                            unsigned *n) WARN_UNUSED NONNULL(1, 2, 3, 5);
/* Up to cap ids above after of open channels that owe their worker something (redeemed > paid). */
int ledger_channel_owing(ledger *l, uint64_t after, uint64_t *ids, unsigned cap, unsigned *n) WARN_UNUSED NONNULL(1, 3, 5);

/* The two allowlists of measurements: the settlement enclaves and the worker runtimes. */
enum ledger_runtime { LEDGER_RUNTIME_ENCLAVE = 0, LEDGER_RUNTIME_WORKER = 1 };
int ledger_allowlist_add(ledger *l, enum ledger_runtime list, const uint8_t measurement[LEDGER_HASH_LEN])
    WARN_UNUSED NONNULL(1, 3);
int ledger_allowlist_remove(ledger *l, enum ledger_runtime list, const uint8_t measurement[LEDGER_HASH_LEN])
    WARN_UNUSED NONNULL(1, 3);
int ledger_allowlist_has(ledger *l, enum ledger_runtime list, const uint8_t measurement[LEDGER_HASH_LEN], bool *has)
    WARN_UNUSED NONNULL(1, 3, 4);

/* A worker runtime's registration (schema 009). */
typedef struct ledger_worker_reg {
    uint8_t address[LEDGER_ADDR_LEN];   /* its sealed key's */
    uint8_t operator_[LEDGER_ADDR_LEN]; /* the pool owner it agreed to serve */
    uint8_t measurement[LEDGER_HASH_LEN];
    uint32_t score;                     /* benchmark P */
    uint8_t conf_level;                 /* 1..5 */
    uint64_t height;                    /* of the block that registered it last */
} ledger_worker_reg;

/* put: inserts or replaces the registration of r->address, with its quote. get: ST_NOTFOUND if
 * the address never registered. */
int ledger_worker_reg_put(ledger *l, const ledger_worker_reg *r, const uint8_t *quote, size_t quote_len)
    WARN_UNUSED NONNULL(1, 2, 3);
int ledger_worker_reg_get(ledger *l, const uint8_t address[LEDGER_ADDR_LEN], ledger_worker_reg *r)
    WARN_UNUSED NONNULL(1, 2, 3);

/* Registered enclaves, by the address of their key. get: ST_NOTFOUND if not registered; out
 * params may be NULL; *quote (caller frees) and *quote_len. latest: the newest registration. */
int ledger_enclave_put(ledger *l, const uint8_t address[LEDGER_ADDR_LEN], const uint8_t measurement[LEDGER_HASH_LEN],
                       const uint8_t *quote, size_t quote_len) WARN_UNUSED NONNULL(1, 2, 3, 4);
int ledger_enclave_get(ledger *l, const uint8_t address[LEDGER_ADDR_LEN], uint8_t *measurement, uint8_t **quote,
                       size_t *quote_len, uint64_t *height) WARN_UNUSED NONNULL(1, 2);
int ledger_enclave_latest(ledger *l, uint8_t address[LEDGER_ADDR_LEN]) WARN_UNUSED NONNULL(1, 2);
/* A registered enclave's ballot key (33 bytes, compressed) and its identity's signature over it
 * (65, docs/SECRET_BALLOTS.md), checked by the caller. set: ST_NOTFOUND if the enclave is not
 * registered. get: ST_NOTFOUND if it is not registered or has no ballot key recorded. */
int ledger_enclave_set_ballot_key(ledger *l, const uint8_t address[LEDGER_ADDR_LEN], const uint8_t key[33],
                                  const uint8_t sig[65]) WARN_UNUSED NONNULL(1, 2, 3, 4);
int ledger_enclave_ballot_key(ledger *l, const uint8_t address[LEDGER_ADDR_LEN], uint8_t key[33], uint8_t sig[65])
    WARN_UNUSED NONNULL(1, 2, 3, 4);
/* The chain's ballot key: the one recorded first, with the earliest registered enclave that holds it
 * (EnclaveBallotKey records no other key once one is recorded: docs/SECRET_BALLOTS.md). Returns:
 * ST_OK; ST_NOTFOUND while no enclave's key is recorded; ST_DB. Out: key; holder (may be NULL). */
int ledger_chain_ballot_key(ledger *l, uint8_t key[33], uint8_t *holder) WARN_UNUSED NONNULL(1, 2);

/* One settled epoch. Blobs are owned by the struct; release with ledger_settlement_clear. */
typedef struct ledger_settlement {
    uint64_t epoch;
    uint64_t height;                  /* the block that applied it */
    uint8_t enclave[LEDGER_ADDR_LEN];              /* the signer */
    uint8_t input_hash[LEDGER_HASH_LEN];
    uint8_t *inputs;                  /* canonical inputs (enclave/settle.h) */
    size_t inputs_len;
    uint8_t *report;                  /* canonical signed report */
    size_t report_len;
} ledger_settlement;

/* put: ST_CONFLICT if the epoch is settled already (the primary key makes it exactly once). */
int ledger_settlement_put(ledger *l, const ledger_settlement *s) WARN_UNUSED NONNULL(1, 2);
int ledger_settlement_get(ledger *l, uint64_t epoch, ledger_settlement *s) WARN_UNUSED NONNULL(1, 3);
void ledger_settlement_clear(ledger_settlement *s);

#endif
