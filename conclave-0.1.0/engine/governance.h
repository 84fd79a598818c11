/* SPDX-License-Identifier: MIT */
/* governance.h: the engine's read side of governance for the RPC methods and tools: the tracks and
 * lock period in force, the store to read proposals, votes, delegations and locks from, and the
 * value in force of a chain parameter (the rows of engine/params.h; governance changes those marked
 * governed). The rules, and an address's voting power (gov_power_at), are governance/rules.h; the
 * engine's adapters to them are engine/gov_adapters.c (see docs/API.md "Governance").
 * Layer: engine (node and cli build on it). Single-threaded, like eng. */
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

/* The value in force of parameter p: the genesis's, or the last executed change's. Out: v
 * (initialized by the caller). */
void eng_param_value(const eng *e, const eng_param *p, mpz_t v) NONNULL(1, 2, 3);

#endif
