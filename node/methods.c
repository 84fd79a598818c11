/* SPDX-License-Identifier: MIT */
/* methods.c: the one sorted table of conclaved's JSON-RPC methods (searched with bsearch by the
 * dispatcher). Entries live next to their handlers in the node/m_ files. */
#include "node/methods.h"

#include "node/methods_int.h"

const rpc_method *node_methods(size_t *n)
{
    /* sorted by name (strcmp order) */
    static rpc_method table[64];
    static size_t count;
    if (!count) {
        const rpc_method *entries[] = {
            &node_m_admin_advance_time,         &node_m_admin_mint,
            &node_m_admin_reward_pool,          &node_m_admin_slash_worker,
            &node_m_admin_tamper_next_report,   &node_m_compute_get_channel,
            &node_m_compute_list_channels,      &node_m_enclave_get_attestation,
            &node_m_gov_get_delegation,         &node_m_gov_get_locks,
            &node_m_gov_get_params,             &node_m_gov_get_proposal,
            &node_m_gov_get_results,            &node_m_gov_get_tally,              &node_m_gov_get_vote,
            &node_m_gov_get_votes,              &node_m_gov_list_proposals,
            &node_m_gov_list_tracks,            &node_m_gov_voting_power,
            &node_m_ledger_audit,               &node_m_ledger_get_account,
            &node_m_ledger_get_block,           &node_m_ledger_get_transaction,
            &node_m_node_info,                  &node_m_settlement_get_epoch,
            &node_m_staking_get_challenge,      &node_m_staking_get_pool,
            &node_m_staking_get_position,       &node_m_staking_get_withdraw_queue,
            &node_m_staking_get_worker,         &node_m_staking_list_delegators,
            &node_m_staking_list_pools,         &node_m_staking_list_slashes,
            &node_m_staking_list_workers,
            &node_m_tx_send,
        };
        _Static_assert(sizeof entries / sizeof entries[0] <= sizeof table / sizeof table[0], "table too small");
        for (count = 0; count < sizeof entries / sizeof entries[0]; count++)
            table[count] = *entries[count];
    }
    *n = count;
    return table;
}
