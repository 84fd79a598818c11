/* SPDX-License-Identifier: MIT */
/* node.h: conclave-worker's side of the JSON-RPC protocol with conclaved: the chain id, the slot's
 * challenge and the worker's own registration (staking_getChallenge), and signed transactions
 * (ledger_getAccount for the nonce, then tx_send, checked by its receipt). Layer: worker (over
 * rpc/client and ledger's transaction encoding). One wrk_node per process; not thread-safe.
 * Every call sorts its failure into one of three statuses, because the caller reacts to each
 * differently: ST_IO, the node could not be reached (retry later, it may be restarting); ST_CONFLICT,
 * the node answered and refused (a JSON-RPC error or a failed receipt: log its reason); ST_INVALID,
 * the node answered something this worker does not understand. The reason is written to err. */
#ifndef WORKER_NODE_H
#define WORKER_NODE_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ledger/status.h"

typedef struct wrk_node wrk_node;

/* What staking_getChallenge says of the current slot and of this worker. A plain value. */
typedef struct wrk_challenge {
    uint64_t epoch;
    uint32_t slot;
    uint8_t challenge[32];     /* the slot's challenge: the workload's seed */
    uint64_t slot_start;       /* seconds of the chain's clock */
    uint64_t slot_end;
    bool registered;           /* the worker is registered */
    bool has_operator;         /* operator is set (the node said null otherwise) */
    uint8_t operator_addr[20]; /* the operator it is registered to */
    bool in_pool;              /* pool is set */
    uint64_t pool;             /* the pool it works for */
    bool bonded;               /* stake is bonded to it, so it computes (true if the node does not say) */
    bool answered;             /* this slot already has its heartbeat */
} wrk_challenge;

/* Makes a client of the node at url ("http://HOST:PORT"); nothing is sent yet. timeout_secs bounds
 * every call (a tx_send waits for its block). Returns: the node, or NULL on a bad URL or out of
 * memory. Caller owns; release with wrk_node_free. */
wrk_node *wrk_node_new(const char *url, unsigned timeout_secs) NONNULL(1);
/* Accepts NULL. */
void wrk_node_free(wrk_node *n);

/* The chain's id (node_info's chainId).
 * Returns: ST_OK, ST_IO, ST_CONFLICT, ST_INVALID, ST_NOMEM as above. Out: *chain_id on ST_OK;
 * err the reason otherwise. */
int wrk_node_chain_id(wrk_node *n, uint64_t *chain_id, char *err, size_t errlen) WARN_UNUSED NONNULL(1, 2, 3);

/* The current slot and the worker's standing (staking_getChallenge).
 * Returns: as wrk_node_chain_id. Out: out on ST_OK; err the reason otherwise. In: worker its address. */
int wrk_node_challenge(wrk_node *n, wrk_challenge *out, char *err, size_t errlen, const uint8_t worker[20])
    WARN_UNUSED NONNULL(1, 2, 3, 5);

/* Signs and sends a transaction of type type_name: reads the sender's nonce (ledger_getAccount),
 * adds it to msg, signs with key under chain_id, sends it with "from" and waits for the receipt.
 * Returns: ST_OK if the receipt's status is success; ST_CONFLICT if the node refused it or its
 * receipt failed (err: the node's error); ST_IO, ST_INVALID, ST_NOMEM as above; or a status of
 * ledger_tx_build_signed (ST_INVALID, ST_DISABLED, ...) if msg cannot be signed as type_name: the
 * worker's own mistake, not sent.
 * Out: err the reason on failure. In: msg the message without its nonce (borrowed; a "nonce" member
 * is added or replaced); key the sender's secret key (borrowed, not kept); from its address. */
int wrk_node_send(wrk_node *n, char *err, size_t errlen, const char *type_name, cJSON *msg, const uint8_t key[32],
                  const uint8_t from[20], uint64_t chain_id) WARN_UNUSED NONNULL(1, 2, 4, 5, 6, 7);

#endif
