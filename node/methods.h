/* SPDX-License-Identifier: MIT */
/* methods.h: conclaved's JSON-RPC method table (node/methods.c), built from one file of methods per
 * area (the node/m_ files), its block events (node/events.c) and its dashboard page. The server's app
 * handle is the engine (eng *). Layer: node (conclaved, above engine and rpc). */
#ifndef NODE_METHODS_H
#define NODE_METHODS_H

#include <stddef.h>
#include <stdint.h>
#include "engine/engine.h"
#include "ledger/status.h"
#include "node/verify_pool.h"
#include "rpc/rpc.h"

/* conclaved's JSON-RPC error codes, in the server-error range beside rpc.h's own (RPC_E_UNAUTHORIZED
 * for ST_UNAUTHORIZED, RPC_E_LIMIT for ST_LIMIT); ST_INVALID is RPC_INVALID_PARAMS, and any status
 * not listed RPC_INTERNAL_ERROR. */
enum node_code {
    NODE_E_NONCE = -32001,           /* ST_NONCE */
    NODE_E_SIGNATURE = -32002,       /* ST_CRYPTO */
    NODE_E_NOT_FOUND = -32003,       /* ST_NOTFOUND */
    NODE_E_INSUFFICIENT = -32005,    /* ST_INSUFFICIENT */
    NODE_E_CONFLICT = -32006,        /* ST_CONFLICT */
    NODE_E_DISABLED = -32008,        /* ST_DISABLED */
    NODE_E_OVERFLOW = -32009         /* ST_OVERFLOW */
};

/* Maps a status to its JSON-RPC error code and generic message (an rpc_errors_fn; node/errors.c). */
int node_rpc_error(int status, const char **message);

/* conclaved's lines of GET /metrics (an rpc_metrics_fn; app is the engine). */
char *node_metrics_text(void *app);

/* Lets tx_send verify transactions on pool's threads (borrowed until set back to NULL, which must
 * happen before the pool is freed); NULL, the default, verifies them on the loop thread. With a
 * pool, a block stays open while calls are on their way to it (eng_set_feeder), and the pool holds
 * back the dones of other calls until it closes (verify_pool_set_gate). */
void node_tx_set_verify_pool(eng *engine, verify_pool *pool) NONNULL(1);
/* An rpc_offload_fn (ctx: a verify_pool) that parses request bodies of NODE_OFFLOAD_MIN_BODY bytes
 * or more on the verification threads, whose results come back in order: a batch of 100 signed
 * calls spends the loop ~15k instructions a call in cJSON's parse, a single call's body is cheaper
 * to parse than to hand over. */
#define NODE_OFFLOAD_MIN_BODY 4096
int node_offload_to_pool(void *ctx, rpc_job_fn work, rpc_job_fn done, void *job);

/* The sorted table of every method. Out: *n its length. */
const rpc_method *node_methods(size_t *n);

/* The dashboard (node/dashboard.html, compiled in). */
extern const char node_dashboard_page[];
extern const size_t node_dashboard_page_len;

/* The area of an event type ("ledger", "staking", "compute", "settlement" or "governance"; "ledger"
 * for a type of no other area): the name GET /events gives its events, and ledger_getEvents' area. */
const char *node_event_area(const char *type) NONNULL(1);

/* Publishes a block as the engine's listener gives it (engine.h eng_block_fn): one "block" event
 * {height, hash, time, transactions}, then one event per receipt event, named by its area
 * ("ledger", "staking", "compute", "settlement", "governance"), its data the event with "height"
 * and "tx" added, its type the event's and its addresses those its members hold (node/events.c).
 * Event ids are HEIGHT-POSITION: 0 the block event, then the receipt events from 1 in order. */
void node_events_publish_block(rpc_server *s, const cJSON *block) NONNULL(1, 2);

/* How many blocks below the head a Last-Event-ID may be for its stream to be replayed what followed. */
#define NODE_EVENTS_WINDOW 1024
/* The events after HEIGHT-POSITION (seq, pos), from the stored blocks (an rpc_replay_fn; app is the
 * engine): those of block seq from position pos + 1 on, then every later block's up to the head,
 * until emit returns false.
 * Returns: ST_OK; ST_NOTFOUND when seq is past the head or more than NODE_EVENTS_WINDOW blocks
 * below it; ST_DB or ST_NOMEM; with msg saying why on failure. */
int node_events_replay(void *app, uint64_t seq, uint64_t pos, rpc_event_sink emit, void *sink, char *msg,
                       size_t msg_size);

#endif
