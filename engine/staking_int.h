/* SPDX-License-Identifier: MIT */
/* staking_int.h: the helpers that the staking files (staking.c, staking_tx.c, staking_tick.c,
 * pool_settings.c)
 * share while applying a transaction inside a block. Not an API: only those files include it. */
#ifndef ENGINE_STAKING_INT_H
#define ENGINE_STAKING_INT_H

#include "engine/engine_int.h"
#include "engine/staking.h"
#include "ledger/amount.h"

/* Formats v into buf. Returns: buf. */
char *eng_staking_amount_text(char buf[LEDGER_AMOUNT_STRLEN], const mpz_t v);
/* Loads a pool, applying a commission raise whose notice has passed (fails a->r.err "no pool N"). */
int eng_staking_load_pool(eng_apply *a, uint64_t id, ledger_pool *p);
/* ST_OK if the transaction's signer owns p; else fails a->r.err "only the owner of pool N (0x…)". */
int eng_staking_require_owner(eng_apply *a, const ledger_pool *p);
/* Stores a pool, and its checkpoint when checkpoint is set. */
int eng_staking_save_pool(eng_apply *a, const ledger_pool *p, bool checkpoint);
/* Moves amount between two accounts (nothing for zero); fails a->r.err "insufficient balance". */
int eng_staking_move(eng_apply *a, const ledger_account *from, const ledger_account *to, const mpz_t amount,
                     const char *code);
/* Appends an event of type naming pool. Returns: the event, or NULL on OOM. */
ledger_ev *eng_staking_pool_event(eng_apply *a, const char *type, uint64_t pool);
/* Pays a staker's pending rewards into its claimable balance and resets its debt. */
int eng_staking_settle(eng_apply *a, const ledger_pool *p, ledger_stake *s);
/* Changes a staker's shares by delta (settling first) and stores the row with its checkpoint. */
int eng_staking_change_shares(eng_apply *a, ledger_pool *p, const uint8_t address[20], const mpz_t delta, bool add);
/* Pays the withdraw queue, first in first out, from the pool's free stake. */
int eng_staking_fill_queue(eng_apply *a, ledger_pool *p);
/* ST_OK if who may contribute to p (its owner, or anyone while its allowlist is empty, or a listed
 * address); else fails a->r.err (engine/pool_settings.c). */
int eng_staking_may_contribute(eng_apply *a, const ledger_pool *p, const uint8_t who[20]);
/* Moves amount of a worker's bonded stake into the cooldown; used by WorkerUnbond and the tick. */
int eng_staking_unbond(eng_apply *a, ledger_pool *p, ledger_worker *w, const mpz_t amount, bool forced);

#endif
