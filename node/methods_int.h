/* SPDX-License-Identifier: MIT */
/* methods_int.h: what the method files the node/m_ files share: their entries for the table, and helpers
 * that read typed params with precise errors and write hashes, addresses and receipts.
 * Not an API: only the node method files include it. */
#ifndef NODE_METHODS_INT_H
#define NODE_METHODS_INT_H

#include <gmp.h>
#include <stdbool.h>
#include <stdint.h>
#include "engine/engine.h"
#include "governance/gov.h"
#include "rpc/rpc.h"

extern const rpc_method node_m_node_info, node_m_tx_send, node_m_ledger_get_account, node_m_ledger_get_block,
    node_m_ledger_get_transaction, node_m_ledger_audit, node_m_admin_advance_time, node_m_admin_mint,
    node_m_admin_reward_pool, node_m_admin_slash_worker, node_m_staking_get_pool, node_m_staking_get_position,
    node_m_staking_get_withdraw_queue, node_m_staking_get_worker, node_m_staking_list_workers, node_m_staking_get_challenge,
    node_m_staking_list_delegators,
    node_m_staking_list_pools, node_m_staking_list_slashes, node_m_settlement_get_epoch, node_m_enclave_get_attestation,
    node_m_admin_tamper_next_report, node_m_gov_list_tracks, node_m_gov_list_proposals, node_m_gov_get_proposal, node_m_gov_get_results,
    node_m_gov_get_tally, node_m_gov_get_votes, node_m_gov_get_vote, node_m_gov_voting_power, node_m_gov_get_delegation,
    node_m_gov_get_locks, node_m_gov_get_params, node_m_compute_get_channel, node_m_compute_list_channels;
/* secret polls (issue 13) */
extern const rpc_method node_m_gov_get_secret_ballots;
/* the reads of dashboards (issue 14) */
extern const rpc_method node_m_ledger_get_supply, node_m_ledger_get_account_history, node_m_ledger_get_events,
    node_m_settlement_list_epochs, node_m_gov_list_votes_by, node_m_staking_get_pool_rewards;

/* A method entry's .param_docs written in the entry itself: NODE_PARAM_DOCS("a pool id",
 * NODE_DOC_LIMIT) is the NULL-terminated array of those descriptions, one per name of .params in
 * the same order (a compound literal: at file scope it is static, as the entry is). */
#define NODE_PARAM_DOCS(...) ((const char *const[]){ __VA_ARGS__, NULL })
/* The descriptions of the paging params of list methods: the cursor (the "next" of the page
 * before: an id, or an address) and the limit. */
#define NODE_DOC_NEXT RPC_PARAM_OPTIONAL "the \"next\" of the previous page"
#define NODE_DOC_NEXT_ADDRESS RPC_PARAM_OPTIONAL "an address, the \"next\" of the previous page"
#define NODE_DOC_LIMIT RPC_PARAM_OPTIONAL "1 to 100 rows, default 20"

/* The engine behind a call. */
eng *node_engine(struct rpc_ctx *ctx);

/* Typed params. Each returns ST_OK, or ST_INVALID after setting a message that names the param
 * (e.g. "params.address: expected a 0x-prefixed 20-byte address"); node_param_amount returns
 * ST_OVERFLOW for an amount of 2^256 or more. A missing optional param leaves *present false (where
 * given) and returns ST_OK. */
int node_param_address(struct rpc_ctx *ctx, const cJSON *params, const char *name, uint8_t out[20]);
int node_param_amount(struct rpc_ctx *ctx, const cJSON *params, const char *name, mpz_t out);
int node_param_u64(struct rpc_ctx *ctx, const cJSON *params, const char *name, bool *present, uint64_t *out);
int node_param_hash(struct rpc_ctx *ctx, const cJSON *params, const char *name, bool *present, uint8_t out[32]);

/* Pages: "limit" (1 to NODE_LIMIT_MAX, default NODE_LIMIT_DEFAULT) and an optional u64 "cursor"
 * (0, from the start, when not given). */
#define NODE_LIMIT_DEFAULT 20u
#define NODE_LIMIT_MAX 100u
int node_param_limit(struct rpc_ctx *ctx, const cJSON *params, unsigned *limit);
int node_param_cursor(struct rpc_ctx *ctx, const cJSON *params, uint64_t *cursor);
/* Returns: rc, the outcome of reading the row what (e.g. "pool") id, after setting the message "no
 * <what> <id>" for ST_NOTFOUND or "cannot read <what> <id>" for another failure. */
int node_row_error(struct rpc_ctx *ctx, int rc, const char *what, uint64_t id);
/* Whether an optional param is given: absent and JSON null both mean "not given". */
bool node_given(const cJSON *params, const char *name);

/* The node_add_ functions that take a key keep it by reference, not a copy (cJSON's "CS" keys: one
 * allocation less a member): key must outlive obj, as a string literal does. */
/* Adds "key": item (taken; deleted on failure, and a NULL item, a failed allocation, fails). */
bool node_add_item(cJSON *obj, const char *key, cJSON *item);
/* Adds "key": a number / a canonical decimal string (false for a value outside 0..2^256-1) / a new
 * object appended to an array / "next": last when more rows follow, else null. false (NULL) on OOM. */
bool node_add_u64(cJSON *obj, const char *key, uint64_t v);
bool node_add_amount(cJSON *obj, const char *key, const mpz_t v);
cJSON *node_append_object(cJSON *arr);
bool node_add_next(cJSON *obj, bool more, uint64_t last);
/* node_add_next for a page whose cursor is an address. */
bool node_add_next_address(cJSON *obj, bool more, const uint8_t last[20]);
/* Adds "key": "0x…" hex / EIP-55 address / a JSON value parsed from text. false on OOM. */
bool node_add_hex(cJSON *obj, const char *key, const uint8_t *bytes, size_t len);
bool node_add_address(cJSON *obj, const char *key, const uint8_t addr[20]);
bool node_add_json(cJSON *obj, const char *key, const char *json_text);
/* Fills o with vote v as gov_getVote shows it (m_gov.c). false on OOM. */
bool node_add_vote(cJSON *o, const gov_vote *v);

/* The common tail of a method: returns rc, handing out to *result on ST_OK (a NULL out is then
 * ST_NOMEM) and deleting it otherwise. out: consumed. */
int node_result(int rc, cJSON *out, cJSON **result);

/* A page of rows listed by id: {member: one object per id, "next": the last id or null}.
 * fill(cookie, obj, id) reads row id and writes its members into obj, returning a status.
 * Returns node_result of the page: ST_OK with *result, or the first failure. */
int node_id_page(cJSON **result, const char *member, const uint64_t *ids, unsigned n, bool more,
                 int (*fill)(void *cookie, cJSON *obj, uint64_t id), void *cookie);

/* The receipt object {hash, block, index, status, error?, events}, to be printed only. NULL on OOM.
 * The events are the engine's own text (cJSON printed), copied in as a raw item and never parsed
 * again; block and index are rpc_printed_number's raw integers. */
cJSON *node_receipt_json(const eng_receipt *r);
/* The result tx_send answers with a receipt: for a success, a raw item holding the text that
 * printing node_receipt_json's object gives, made in one pass; else that object. NULL on OOM. */
cJSON *node_receipt_result(const eng_receipt *r);
/* An eng_done_fn that finishes the rpc_deferred given as cookie with the receipt or the refusal. */
void node_finish_with_receipt(void *cookie, int status, const char *errmsg, cJSON *errdata, const eng_receipt *r);

#endif
