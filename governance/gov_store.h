/* SPDX-License-Identifier: MIT */
/* gov_store.h: storage of governance (schemas 005, 011 and 013): proposals, votes and ballots, conviction
 * locks, governed parameters, polls' tallies and scores, plus the total staked value at a height
 * (for a proposal's total power) and a nested savepoint for executing a payload. Rows only: the
 * rules are governance/rules.h. Writes happen inside a block's transaction (ledger_tx_begin).
 * Layer: governance. Not thread-safe. */
#ifndef GOVERNANCE_GOV_STORE_H
#define GOVERNANCE_GOV_STORE_H

#include "governance/gov.h"
#include "ledger/ledger.h"

typedef struct gov_store gov_store;

/* Makes a store on l (borrowed: l must outlive it; free the store before ledger_close), registered
 * with l as a block cache (ledger_add_block_cache) for the proposals it keeps during a block. Only
 * one store of a ledger may update proposals within a block: another would not see its memory.
 * Returns: ST_OK with *out; ST_NOMEM; ST_LIMIT (the ledger has its most block caches); ST_INVALID
 * inside a block. *out is NULL on failure. */
int gov_store_new(gov_store **out, ledger *l) WARN_UNUSED NONNULL(1, 2);
/* Finalizes the cached statements. Accepts NULL. */
void gov_store_free(gov_store *s);

/* Proposals. insert assigns p->id (1, 2, ...); get: ST_NOTFOUND if absent (p keeps its init state);
 * update writes state, tallies, next_change and reason. Within a block a proposal read is kept in
 * memory until the block ends, and an update that changes only its tallies (a vote) stays there
 * until the block's commit writes it: SQL over the tally columns does not see it before then
 * (state, next_change and reason are written at once). Savepoints rolled back undo both. */
int gov_proposal_insert(gov_store *s, gov_proposal *p) WARN_UNUSED NONNULL(1, 2);
int gov_proposal_get(gov_store *s, uint64_t id, gov_proposal *p) WARN_UNUSED NONNULL(1, 3);
/* What gov_proposal_get reads of a proposal's tally, and only that: id, track, state, total_power and
 * the for, against, abstain and turnout weights (the other fields keep their init state). Outside a
 * block it reads seven columns instead of twenty, for gov_getTally. Returns: as gov_proposal_get. */
int gov_proposal_tally_get(gov_store *s, uint64_t id, gov_proposal *p) WARN_UNUSED NONNULL(1, 3);
int gov_proposal_update(gov_store *s, const gov_proposal *p) WARN_UNUSED NONNULL(1, 2);
/* Up to cap ids of proposals with next_change <= now, soonest first. */
int gov_proposal_due(gov_store *s, uint64_t now, uint64_t *ids, unsigned cap, unsigned *n) WARN_UNUSED NONNULL(1, 3, 5);
/* Whether any proposal has next_change <= now (false on a database error). */
bool gov_proposal_any_due(gov_store *s, uint64_t now) NONNULL(1);

/* Up to limit proposal ids below cursor (0 = from the newest), newest first, only in state (if
 * state >= 0) and on track (if not NULL). Out: ids[*n]; *more whether further ones follow. */
int gov_proposal_list(gov_store *s, int state, const char *track, uint64_t cursor, unsigned limit, uint64_t *ids,
                      unsigned *n, bool *more) WARN_UNUSED NONNULL(1, 6, 7, 8);

/* A voter's vote or ballot (v->choice set: a ballot; v->ciphertext set: a secret ballot; a choice
 * or ciphertext v held before is freed): ST_NOTFOUND
 * if none. put inserts or replaces; update rewrites a vote known to be there (gov_vote_get found it:
 * one B-tree seek less than put's failed insert; ST_DB if it is not there). list: up to limit votes of a
 * proposal after the voter cursor (NULL = from the start), by voter; out[] initialized by the caller. */
int gov_vote_get(gov_store *s, uint64_t proposal, const uint8_t voter[LEDGER_ADDR_LEN], gov_vote *v)
    WARN_UNUSED NONNULL(1, 3, 4);
int gov_vote_put(gov_store *s, const gov_vote *v) WARN_UNUSED NONNULL(1, 2);
int gov_vote_update(gov_store *s, const gov_vote *v) WARN_UNUSED NONNULL(1, 2);
int gov_vote_list(gov_store *s, uint64_t proposal, const uint8_t *cursor, unsigned limit, gov_vote *out, unsigned *n,
                  bool *more) WARN_UNUSED NONNULL(1, 5, 6, 7);

/* A poll's row (schema 011). Init/clear pair; clear accepts a zeroed struct. */
typedef struct gov_poll_row {
    unsigned system;                /* enum gov_poll_system */
    unsigned n;                     /* choices */
    char *tally;                    /* the running tally as text (owned); NULL for ranked-choice */
    mpz_t power;                    /* the power of the standing ballots, base units */
    uint64_t ballots;               /* how many ballots stand */
    char *scores;                   /* the scores counted at the close as text (owned); NULL before */
    bool secret;                    /* a secret poll: its ballots are SecretBallots, it keeps no tally */
    bool has_ballots_hash;          /* a secret poll's ballots were fixed at its close */
    uint8_t ballots_hash[32];       /* their hash (docs/API.md "Secret polls"), when has_ballots_hash */
} gov_poll_row;

void gov_poll_row_init(gov_poll_row *r) NONNULL(1);
void gov_poll_row_clear(gov_poll_row *r);
/* Polls. insert: a new poll of proposal with its empty tally (NULL: none), secret or open; get:
 * ST_NOTFOUND when proposal is not a poll (r unchanged); put: the running tally, power and ballot
 * count; set_scores: the scores counted at the close; set_ballots_hash: a secret poll's ballots
 * hash, fixed at its close. */
int gov_poll_insert(gov_store *s, uint64_t proposal, unsigned system, unsigned n, const char *tally, bool secret)
    WARN_UNUSED NONNULL(1);
int gov_poll_get(gov_store *s, uint64_t proposal, gov_poll_row *r) WARN_UNUSED NONNULL(1, 3);
/* Whether proposal is a poll, and a secret one. The last answer is kept until a poll is inserted, a
 * savepoint or block rolls back, or the block ends. Returns: ST_OK; ST_DB (outs unchanged). */
int gov_poll_kind(gov_store *s, uint64_t proposal, bool *is_poll, bool *secret) WARN_UNUSED NONNULL(1, 3, 4);
int gov_poll_put(gov_store *s, uint64_t proposal, const char *tally, const mpz_t power, uint64_t ballots)
    WARN_UNUSED NONNULL(1, 4);
int gov_poll_set_scores(gov_store *s, uint64_t proposal, const char *scores) WARN_UNUSED NONNULL(1, 3);
int gov_poll_set_ballots_hash(gov_store *s, uint64_t proposal, const uint8_t hash[32]) WARN_UNUSED NONNULL(1, 3);

/* A secret poll's count as it landed (schema 014): the enclave that signed it, its measurement, the
 * report's bytes and signature, the block. Blobs owned; init/clear pair (clear accepts a zeroed
 * struct). */
typedef struct gov_secret_count_row {
    uint8_t enclave[LEDGER_ADDR_LEN];
    uint8_t measurement[32];
    uint8_t *report;                /* the report's bytes (owned) */
    size_t report_len;
    uint8_t signature[65];          /* r || s || v */
    uint64_t height;
} gov_secret_count_row;

void gov_secret_count_row_clear(gov_secret_count_row *r);
/* put: records the count of proposal (the fields of the row; once: ST_CONFLICT if it has one); get: ST_NOTFOUND if none
 * (r untouched). */
int gov_secret_count_put(gov_store *s, uint64_t proposal, const uint8_t enclave[LEDGER_ADDR_LEN], const uint8_t measurement[32],
                         const uint8_t *report, size_t report_len, const uint8_t signature[65], uint64_t height)
    WARN_UNUSED NONNULL(1, 3, 4, 5, 7);
int gov_secret_count_get(gov_store *s, uint64_t proposal, gov_secret_count_row *r) WARN_UNUSED NONNULL(1, 3);
/* The oldest proposal in state Counting (a secret poll waiting for its count) whose id is above
 * after (0: the oldest of all), by an index seek: ST_OK with *id, or ST_NOTFOUND when none waits. */
int gov_counting_after(gov_store *s, uint64_t after, uint64_t *id) WARN_UNUSED NONNULL(1, 3);

/* Delegations. get: the current one of delegator (ST_NOTFOUND if none); at: the one in force at
 * the end of block height (ST_NOTFOUND if none then). put records d as the current one from
 * height d->since (replacing any), remove ends it at height; both checkpoint the change.
 * has_delegators: whether anyone delegates to address now. */
int gov_delegation_get(gov_store *s, const uint8_t delegator[LEDGER_ADDR_LEN], gov_delegation *d)
    WARN_UNUSED NONNULL(1, 2, 3);
int gov_delegation_at(gov_store *s, const uint8_t delegator[LEDGER_ADDR_LEN], uint64_t height, gov_delegation *d)
    WARN_UNUSED NONNULL(1, 2, 4);
int gov_delegation_put(gov_store *s, const gov_delegation *d) WARN_UNUSED NONNULL(1, 2);
int gov_delegation_remove(gov_store *s, const uint8_t delegator[LEDGER_ADDR_LEN], uint64_t height)
    WARN_UNUSED NONNULL(1, 2);
int gov_has_delegators(gov_store *s, const uint8_t address[LEDGER_ADDR_LEN], bool *has) WARN_UNUSED NONNULL(1, 2, 3);
/* Up to limit current delegators of delegate after the address cursor (NULL = from the start), by
 * address. Out: out[*n]; *more whether further ones follow. */
int gov_delegators_list(gov_store *s, const uint8_t delegate[LEDGER_ADDR_LEN], const uint8_t *cursor, unsigned limit,
                        gov_delegation *out, unsigned *n, bool *more) WARN_UNUSED NONNULL(1, 2, 5, 6, 7);

/* Up to limit delegators of delegate in force at the end of block height (each with its conviction
 * then; since: the height it was made at), after the address cursor (NULL = from the start), by
 * address. Out: out[*n]; *more whether further ones follow. */
int gov_delegators_at(gov_store *s, const uint8_t delegate[LEDGER_ADDR_LEN], uint64_t height, const uint8_t *cursor,
                      unsigned limit, gov_delegation *out, unsigned *n, bool *more) WARN_UNUSED NONNULL(1, 2, 6, 7, 8);

/* Overrides: the power and weight taken off delegate's votes on proposal by its delegators who
 * voted directly. get: zero when none; put sets them (the weight may pass 2^256). */
int gov_override_get(gov_store *s, uint64_t proposal, const uint8_t delegate[LEDGER_ADDR_LEN], mpz_t power,
                     mpz_t weight) WARN_UNUSED NONNULL(1, 3, 4, 5);
int gov_override_put(gov_store *s, uint64_t proposal, const uint8_t delegate[LEDGER_ADDR_LEN], const mpz_t power,
                     const mpz_t weight) WARN_UNUSED NONNULL(1, 3, 4, 5);

/* Locks: put raises (never lowers) the lock of voter for proposal (0: an undelegation's) to amount
 * until `until`; set writes a vote's, which is the standing vote's, amount 0 locking nothing (its
 * row lists the vote under its voter, ledger_votes_by_page: every vote sets its lock).
 * max: the largest amount locked at now (until > now) and its until; 0 and 0 when none. */
int gov_lock_put(gov_store *s, const uint8_t voter[LEDGER_ADDR_LEN], uint64_t proposal, const mpz_t amount,
                 uint64_t until) WARN_UNUSED NONNULL(1, 2, 4);
int gov_lock_set(gov_store *s, const uint8_t voter[LEDGER_ADDR_LEN], uint64_t proposal, const mpz_t amount,
                 uint64_t until) WARN_UNUSED NONNULL(1, 2, 4);
int gov_lock_max(gov_store *s, const uint8_t voter[LEDGER_ADDR_LEN], uint64_t now, mpz_t amount, uint64_t *until)
    WARN_UNUSED NONNULL(1, 2, 4, 5);
/* Calls fn for each lock of voter still in force at now (until > now), latest until first.
 * proposal 0 is the lock an Undelegate with conviction leaves. Stops at a non-OK from fn. */
int gov_lock_each(gov_store *s, const uint8_t voter[LEDGER_ADDR_LEN], uint64_t now,
                  int (*fn)(void *ctx, uint64_t proposal, const mpz_t amount, uint64_t until), void *ctx)
    WARN_UNUSED NONNULL(1, 2, 4);

/* Sum over pools of their checkpointed stake at the end of block height. */
int gov_total_stake_at(gov_store *s, uint64_t height, mpz_t out) WARN_UNUSED NONNULL(1, 3);

/* Governed parameters: put records name = value (canonical decimal) changed by proposal at the
 * open block; each calls fn(ctx, name, value) for every stored one, by name, stopping at a non-OK. */
int gov_param_put(gov_store *s, const char *name, const char *value, uint64_t height, uint64_t proposal)
    WARN_UNUSED NONNULL(1, 2, 3);
int gov_param_each(gov_store *s, int (*fn)(void *ctx, const char *name, const char *value), void *ctx)
    WARN_UNUSED NONNULL(1, 2);

/* A savepoint nested in the transaction's: end(keep=false) undoes every write since begin. */
int gov_savepoint_begin(gov_store *s) WARN_UNUSED NONNULL(1);
int gov_savepoint_end(gov_store *s, bool keep) WARN_UNUSED NONNULL(1);

#endif
