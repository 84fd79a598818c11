/* SPDX-License-Identifier: MIT */
/* commands.c: the order in which `conclave --help` lists the commands. Each command and its help
 * live in the file of its area (cmd_node.c, cmd_staking.c, cmd_compute.c, cmd_gov.c), which exports its entry;
 * every command returns an enum cli_exit: node refusals and failed receipts are 1, usage errors 2,
 * an unreachable node 3. */
#include "cli/cli.h"

extern const cli_command cli_cmd_keygen;
extern const cli_command cli_cmd_address;
extern const cli_command cli_cmd_info;
extern const cli_command cli_cmd_account;
extern const cli_command cli_cmd_transfer;
extern const cli_command cli_cmd_pool_create;
extern const cli_command cli_cmd_pool_info;
extern const cli_command cli_cmd_pool_list;
extern const cli_command cli_cmd_pool_commission;
extern const cli_command cli_cmd_pool_capacity;
extern const cli_command cli_cmd_pool_describe;
extern const cli_command cli_cmd_pool_allow;
extern const cli_command cli_cmd_pool_disallow;
extern const cli_command cli_cmd_pool_add_worker;
extern const cli_command cli_cmd_pool_bond;
extern const cli_command cli_cmd_pool_unbond;
extern const cli_command cli_cmd_pool_remove_worker;
extern const cli_command cli_cmd_worker_status;
extern const cli_command cli_cmd_worker_list;
extern const cli_command cli_cmd_channel_open;
extern const cli_command cli_cmd_channel_top_up;
extern const cli_command cli_cmd_channel_close;
extern const cli_command cli_cmd_voucher_sign;
extern const cli_command cli_cmd_voucher_redeem;
extern const cli_command cli_cmd_stake_contribute;
extern const cli_command cli_cmd_stake_withdraw;
extern const cli_command cli_cmd_stake_claim;
extern const cli_command cli_cmd_stake_position;
extern const cli_command cli_cmd_gov_propose;
extern const cli_command cli_cmd_gov_vote;
extern const cli_command cli_cmd_gov_delegate;
extern const cli_command cli_cmd_gov_undelegate;
extern const cli_command cli_cmd_gov_cancel;
extern const cli_command cli_cmd_gov_execute;
extern const cli_command cli_cmd_gov_proposals;
extern const cli_command cli_cmd_gov_proposal;
extern const cli_command cli_cmd_gov_power;
extern const cli_command cli_cmd_block;
extern const cli_command cli_cmd_tx;
extern const cli_command cli_cmd_audit;
extern const cli_command cli_cmd_verify_epoch;
extern const cli_command cli_cmd_replay;
extern const cli_command cli_cmd_mint;
extern const cli_command cli_cmd_advance_time;
extern const cli_command cli_cmd_admin_reward_pool;
extern const cli_command cli_cmd_admin_slash_worker;

static const cli_command *const commands[] = {
    &cli_cmd_keygen,
    &cli_cmd_address,
    &cli_cmd_info,
    &cli_cmd_account,
    &cli_cmd_transfer,
    &cli_cmd_pool_create,
    &cli_cmd_pool_info,
    &cli_cmd_pool_list,
    &cli_cmd_pool_commission,
    &cli_cmd_pool_capacity,
    &cli_cmd_pool_describe,
    &cli_cmd_pool_allow,
    &cli_cmd_pool_disallow,
    &cli_cmd_pool_add_worker,
    &cli_cmd_pool_bond,
    &cli_cmd_pool_unbond,
    &cli_cmd_pool_remove_worker,
    &cli_cmd_worker_status,
    &cli_cmd_worker_list,
    &cli_cmd_channel_open,
    &cli_cmd_channel_top_up,
    &cli_cmd_channel_close,
    &cli_cmd_voucher_sign,
    &cli_cmd_voucher_redeem,
    &cli_cmd_stake_contribute,
    &cli_cmd_stake_withdraw,
    &cli_cmd_stake_claim,
    &cli_cmd_stake_position,
    &cli_cmd_gov_propose,
    &cli_cmd_gov_vote,
    &cli_cmd_gov_delegate,
    &cli_cmd_gov_undelegate,
    &cli_cmd_gov_cancel,
    &cli_cmd_gov_execute,
    &cli_cmd_gov_proposals,
    &cli_cmd_gov_proposal,
    &cli_cmd_gov_power,
    &cli_cmd_block,
    &cli_cmd_tx,
    &cli_cmd_audit,
    &cli_cmd_verify_epoch,
    &cli_cmd_replay,
    &cli_cmd_mint,
    &cli_cmd_advance_time,
    &cli_cmd_admin_reward_pool,
    &cli_cmd_admin_slash_worker,
};

const cli_command *const *cli_commands(size_t *n)
{
    *n = sizeof commands / sizeof commands[0];
    return commands;
}
