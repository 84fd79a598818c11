/* SPDX-License-Identifier: MIT */
/* methods.c: the one sorted table of conclaved's JSON-RPC methods (searched with bsearch by the
 * dispatcher). Entries live next to their handlers in the node/m_ files. Every method that only
 * reads runs inside one ledger read transaction (eng_read_begin), shared by the reads of the same
 * turn of the loop and closed at its end or before a block is applied: one consistent state (never
 * half a block: no handler runs while a block is open, the verification pool holding every call but
 * tx_send back until it closes), one WAL read
 * lock for the turn's reads instead of one per statement, and nothing held across loop turns. */
#include "node/methods.h"

#include "node/methods_int.h"

/* Runs fn inside a read transaction of the call's ledger (the turn's, eng_read_begin). */
static int in_read_transaction(struct rpc_ctx *ctx, const cJSON *params, cJSON **result, rpc_fn fn)
{
    eng *e = node_engine(ctx);
    if (eng_read_begin(e) != ST_OK)
        return rpc_error(ctx, ST_DB, NULL, "cannot open a read transaction");
    int rc = fn(ctx, params, result);
    eng_read_end(e);
    return rc;
}

/* A read method's entry with its handler wrapped in in_read_transaction. */
#define READ_METHOD(entry)                                                                   \
    static int entry##_read(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)        \
    {                                                                                        \
        return in_read_transaction(ctx, params, result, entry.fn);                           \
    }
READ_METHOD(node_m_compute_get_channel)
READ_METHOD(node_m_staking_get_pool_rewards)
READ_METHOD(node_m_settlement_list_epochs)
READ_METHOD(node_m_ledger_get_supply)
READ_METHOD(node_m_ledger_get_events)
READ_METHOD(node_m_ledger_get_account_history)
READ_METHOD(node_m_gov_list_votes_by)
READ_METHOD(node_m_compute_list_channels)
READ_METHOD(node_m_enclave_get_attestation)
READ_METHOD(node_m_gov_get_delegation)
READ_METHOD(node_m_gov_get_locks)
READ_METHOD(node_m_gov_get_params)
READ_METHOD(node_m_gov_get_proposal)
READ_METHOD(node_m_gov_get_results)
READ_METHOD(node_m_gov_get_secret_ballots)
READ_METHOD(node_m_gov_get_tally)
READ_METHOD(node_m_gov_get_vote)
READ_METHOD(node_m_gov_get_votes)
READ_METHOD(node_m_gov_list_proposals)
READ_METHOD(node_m_gov_list_tracks)
READ_METHOD(node_m_gov_voting_power)
READ_METHOD(node_m_ledger_audit)
READ_METHOD(node_m_ledger_get_account)
READ_METHOD(node_m_ledger_get_block)
READ_METHOD(node_m_ledger_get_transaction)
READ_METHOD(node_m_node_info)
READ_METHOD(node_m_settlement_get_epoch)
READ_METHOD(node_m_staking_get_challenge)
READ_METHOD(node_m_staking_get_pool)
READ_METHOD(node_m_staking_get_position)
READ_METHOD(node_m_staking_get_withdraw_queue)
READ_METHOD(node_m_staking_get_worker)
READ_METHOD(node_m_staking_list_delegators)
READ_METHOD(node_m_staking_list_pools)
READ_METHOD(node_m_staking_list_slashes)
READ_METHOD(node_m_staking_list_workers)
#undef READ_METHOD

const rpc_method *node_methods(size_t *n)
{
    /* sorted by name (strcmp order) */
    static rpc_method table[96];
    static size_t count;
    if (!count) {
        /* each entry, with the handler to run it by: its own (writes, deferred calls) or wrapped */
#define WRITE(entry) { &entry, entry.fn }
#define READ(entry) { &entry, entry##_read }
        const struct {
            const rpc_method *entry;
            rpc_fn fn;
        } entries[] = {
            WRITE(node_m_admin_advance_time),       WRITE(node_m_admin_mint),
            WRITE(node_m_admin_reward_pool),        WRITE(node_m_admin_slash_worker),
            WRITE(node_m_admin_tamper_next_report), READ(node_m_compute_get_channel),
            READ(node_m_compute_list_channels),     READ(node_m_enclave_get_attestation),
            READ(node_m_gov_get_delegation),        READ(node_m_gov_get_locks),
            READ(node_m_gov_get_params),            READ(node_m_gov_get_proposal),
            READ(node_m_gov_get_results),           READ(node_m_gov_get_secret_ballots),
            READ(node_m_gov_get_tally),             READ(node_m_gov_get_vote),
            READ(node_m_gov_get_votes),             READ(node_m_gov_list_proposals),
            READ(node_m_gov_list_tracks),           READ(node_m_gov_list_votes_by),
            READ(node_m_gov_voting_power),
            READ(node_m_ledger_audit),              READ(node_m_ledger_get_account),
            READ(node_m_ledger_get_account_history),
            READ(node_m_ledger_get_block),          READ(node_m_ledger_get_events),
            READ(node_m_ledger_get_supply),         READ(node_m_ledger_get_transaction),
            READ(node_m_node_info),                 READ(node_m_settlement_get_epoch),
            READ(node_m_settlement_list_epochs),
            READ(node_m_staking_get_challenge),     READ(node_m_staking_get_pool),
            READ(node_m_staking_get_pool_rewards),
            READ(node_m_staking_get_position),      READ(node_m_staking_get_withdraw_queue),
            READ(node_m_staking_get_worker),        READ(node_m_staking_list_delegators),
            READ(node_m_staking_list_pools),        READ(node_m_staking_list_slashes),
            READ(node_m_staking_list_workers),
            WRITE(node_m_tx_send),
        };
#undef WRITE
#undef READ
        _Static_assert(sizeof entries / sizeof entries[0] <= sizeof table / sizeof table[0], "table too small");
        for (count = 0; count < sizeof entries / sizeof entries[0]; count++) {
            table[count] = *entries[count].entry;
            table[count].fn = entries[count].fn;
        }
    }
    *n = count;
    return table;
}
