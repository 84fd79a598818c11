/* SPDX-License-Identifier: MIT */
/* governance.h: the read side of governance for the RPC methods and tools: the tracks and lock
 * period in force, the store to read proposals, votes, delegations and locks from, an address's
 * voting power at a height (its own staked value and what its delegators give it), and the
 * governed parameters with their bounds and current values. The rules are engine/governance.c
 * (see DESIGN "Governance"). Layer: engine (rpc and cli build on it). Single-threaded, like eng. */
#ifndef ENGINE_GOVERNANCE_H
#define ENGINE_GOVERNANCE_H

#include <gmp.h>
#include "engine/engine.h"
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

/* The unit of a governed parameter's value, so that whatever shows one (the CLI's rendering of
 * ParameterChanged, a dashboard) shows it in its unit rather than guessing. */
enum eng_param_unit {
    ENG_UNIT_UNKNOWN = 0,   /* not a governed parameter of this version */
    ENG_UNIT_AMOUNT,        /* token base units (10^18 per token) */
    ENG_UNIT_SECONDS,       /* a duration in seconds */
    ENG_UNIT_PPM,           /* parts per million */
    ENG_UNIT_COUNT          /* a plain number */
};

/* Returns: the unit of the governed parameter called name ("staking.unbondingSecs"), or
 * ENG_UNIT_UNKNOWN for any other name. Pure: needs no node. */
enum eng_param_unit eng_param_unit(const char *name) NONNULL(1);

/* The governed parameters, by name: how many there are, and the i-th (i < count) with its
 * inclusive bounds (decimal, static) and the value in force now. Returns ST_OK, or ST_INVALID for
 * i out of range. Out: value (initialized by the caller). */
unsigned eng_gov_param_count(void);
int eng_gov_param_get(const eng *e, unsigned i, const char **name, const char **min, const char **max, mpz_t value)
    WARN_UNUSED NONNULL(1, 3, 4, 5, 6);

#endif
