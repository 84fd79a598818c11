/* SPDX-License-Identifier: MIT */
/* governance.h: the read side of governance for the RPC methods and tools: the tracks and lock
 * period in force, the store to read proposals, votes, delegations and locks from, an address's
 * voting power at a height (its own staked value and what its delegators give it), and the value
 * in force of a chain parameter (the rows of engine/params.h; governance changes those marked
 * governed). The rules are engine/governance.c
 * (see DESIGN "Governance"). Layer: engine (rpc and cli build on it). Single-threaded, like eng. */
#ifndef ENGINE_GOVERNANCE_H
#define ENGINE_GOVERNANCE_H

#include <gmp.h>
#include "engine/engine.h"
#include "engine/params.h"
#include "governance/gov_store.h"

/* The governance parameters in force (genesis). Borrowed; valid until eng_close. */
const gov_params *eng_gov_params(const eng *e) NONNULL(1);
/* The governance store, for reads. Borrowed; valid until eng_close. */
gov_store *eng_gov_store(eng *e) NONNULL(1);

/* Voting power of address as of the end of block height.
 * Out: own (its staked value), delegated (the staked value of those delegating to it then,
 * before any of them overrides it on a proposal by voting directly) and delegated_weight (that
 * value times each delegator's conviction, as a vote of the delegate carries it).
 * Returns: ST_OK, ST_NOMEM or ST_DB (outputs then unspecified). */
int eng_gov_power_at(eng *e, const uint8_t address[20], uint64_t height, mpz_t own, mpz_t delegated,
                     mpz_t delegated_weight) WARN_UNUSED NONNULL(1, 2, 4, 5, 6);

/* The value in force of parameter p: the genesis's, or the last executed change's. Out: v
 * (initialized by the caller). */
void eng_param_value(const eng *e, const eng_param *p, mpz_t v) NONNULL(1, 2, 3);

#endif
