/* SPDX-License-Identifier: MIT */
/* methods.c: the one sorted table of conclaved's JSON-RPC methods (searched with bsearch by the
 * dispatcher). Entries live next to their handlers in the node/m_ files. */
#include "node/methods.h"

#include "node/methods_int.h"

const rpc_method *rpc_methods(size_t *n)
{
    /* sorted by name (strcmp order) */
    static rpc_method table[30];
    static size_t count;
    if (!count) {
        const rpc_method *entries[] = {
            &rpc_m_admin_advance_time,         &rpc_m_admin_mint,
            &rpc_m_admin_reward_pool,          &rpc_m_admin_slash_worker,
            &rpc_m_admin_tamper_next_report,   &rpc_m_enclave_get_attestation,
            &rpc_m_gov_get_delegation,         &rpc_m_gov_get_locks,
            &rpc_m_gov_get_params,             &rpc_m_gov_get_proposal,
            &rpc_m_gov_get_tally,              &rpc_m_gov_get_vote,
            &rpc_m_gov_get_votes,              &rpc_m_gov_list_proposals,
            &rpc_m_gov_list_tracks,            &rpc_m_gov_voting_power,
            &rpc_m_ledger_audit,               &rpc_m_ledger_get_account,
            &rpc_m_ledger_get_block,           &rpc_m_ledger_get_transaction,
            &rpc_m_node_info,                  &rpc_m_settlement_get_epoch,
            &rpc_m_staking_get_pool,
            &rpc_m_staking_get_position,       &rpc_m_staking_get_withdraw_queue,
            &rpc_m_staking_get_worker,         &rpc_m_staking_list_delegators,
            &rpc_m_staking_list_pools,         &rpc_m_staking_list_slashes,
            &rpc_m_tx_send,
        };
        _Static_assert(sizeof entries / sizeof entries[0] <= sizeof table / sizeof table[0], "table too small");
        for (count = 0; count < sizeof entries / sizeof entries[0]; count++)
            table[count] = *entries[count];
    }
    *n = count;
    return table;
}
