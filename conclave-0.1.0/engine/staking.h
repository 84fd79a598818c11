/* SPDX-License-Identifier: MIT */
/* staking.h: the rules of stake pools (Phala StakePool/BasePool with Cosmos F1-style rewards),
 * as read by the RPC layer, and the two internal entry points the epoch settlement uses.
 *
 * A pool's stake T is the balance of its ledger stake account; its shares S price it. Contributing
 * a mints floor(a*S/T) shares (a for an empty pool); a withdrawal of s shares pays floor(s*T/S).
 * Both round in favour of the pool: the shares that stay are never worth less. Rewards are not
 * compounded: after the owner's commission they raise an accumulator acc (rewards per share,
 * scaled by 10^78) with the division remainder carried to the next reward, so distribution and
 * claims cost O(1) whatever the number of stakers; a staker's pending reward is
 * floor((shares*acc - debt) / 10^78), which can never add up to more than was paid in. The scale
 * is above 2^256 and so above any total of shares: the carried remainder is worth less than one
 * base unit, and no staker is credited more than its pro-rata share plus one unit per reward,
 * however far slashes took the share price. Shares are u256: a contribution that would take a
 * pool's total past 2^256 fails.
 * Slashing burns bonded stake: every staker loses pro rata through T/S with no per-staker write.
 * Layer: engine. */
#ifndef ENGINE_STAKING_H
#define ENGINE_STAKING_H

#include <gmp.h>
#include <stdint.h>
#include "engine/engine.h"
#include "engine/genesis.h"
#include "ledger/stakes.h"

/* The staking parameters of the chain. Borrowed; valid until eng_close. */
const eng_staking_params *eng_staking_params_of(const eng *e) NONNULL(1);
/* The commission in force at time now (a raise applies once its notice has passed). */
uint32_t eng_staking_commission_at(const ledger_pool *p, uint64_t now) NONNULL(1);
/* Stake not bonded and not unbonding: what withdrawals and bonds can use. */
void eng_staking_free(mpz_t out, const ledger_pool *p) NONNULL(1, 2);
/* floor(shares * T / S): what shares are worth now (0 for an empty pool). */
void eng_staking_value(mpz_t out, const mpz_t shares, const ledger_pool *p) NONNULL(1, 2, 3);
/* A staker's unclaimed rewards in a pool. */
void eng_staking_pending(mpz_t out, const ledger_pool *p, const ledger_stake *s) NONNULL(1, 2, 3);

#endif
