/* SPDX-License-Identifier: MIT */
/* rules.h: the rules of governance (docs/API.md "Governance"): Propose, Vote, Ballot, SecretBallot,
 * ProposalCancel, ProposalExecute, Delegate and Undelegate, the clock's moves of proposals, the lock that keeps
 * conviction-locked stake in place, and an address's voting power. They work on a narrow context,
 * gov_apply: the ledger and the governance store inside the open block, the governance parameters,
 * the block's height and time, and the receipt they write events and failures into.
 * Layer: governance (engine -> governance -> ledger). It includes nothing from engine/ or node/: the
 * engine's governed chain parameters are handed in as a lookup, and a parameter change an execution
 * makes is handed back for the engine to apply to the values in force. Not thread-safe. */
#ifndef GOVERNANCE_RULES_H
#define GOVERNANCE_RULES_H

#include <gmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "governance/gov_store.h"
#include "ledger/ledger.h"
#include "ledger/receipt.h"

#define GOV_PARAM_NAME_MAX 64

/* The engine's chain parameters as a `param` payload needs them. Returns: true when name is one a
 * proposal may change, with *min and *max its inclusive bounds as decimal text (static); false
 * otherwise. */
typedef bool (*gov_param_lookup_fn)(const char *name, const char **min, const char **max);

/* What an executed `param` payload changed. Governance stores the row; the engine applies the value
 * to the parameters in force once the execution is kept. Init/clear pair (clear accepts a zeroed
 * struct). */
typedef struct gov_param_change {
    bool set;                       /* a parameter changed: name and value hold it */
    char name[GOV_PARAM_NAME_MAX];  /* e.g. "staking.unbondingSecs" */
    mpz_t value;                    /* within the parameter's bounds */
} gov_param_change;

void gov_param_change_init(gov_param_change *c) NONNULL(1);
void gov_param_change_clear(gov_param_change *c);

/* What a rule works with while one transaction applies inside a block. Every field is borrowed. */
typedef struct gov_apply {
    ledger *l;                      /* inside the block's transaction and the item's savepoint */
    gov_store *s;                   /* governance rows on l */
    const gov_params *params;       /* the governance parameters in force (tracks, lock period, ...) */
    gov_param_lookup_fn param_lookup;   /* the governed chain parameters (a `param` payload) */
    uint64_t height;                /* the open block's height */
    uint64_t time;                  /* the open block's time, seconds */
    ledger_receipt *r;              /* the applying transaction's events and reason of a failure */
} gov_apply;

/* The members of a signed Propose: UTF-8 bytes, not NUL-terminated (borrowed). */
typedef struct gov_propose_msg {
    const uint8_t *track, *title, *body, *payload;
    size_t track_len, title_len, body_len, payload_len;
} gov_propose_msg;

/* Stateless checks before a transaction is queued: the members alone (and, for a Propose, the
 * tracks and governed parameters in force then; they are checked again when it applies).
 * Returns: ST_OK, or ST_INVALID with a one-line reason naming the member in err.
 * In: to (gov_check_delegate) may be NULL for a member that could not be read; a support or
 * conviction that could not be read is passed out of range. */
int gov_check_propose(const gov_params *params, gov_param_lookup_fn param_lookup, char *err, size_t errlen,
                      const gov_propose_msg *m) WARN_UNUSED NONNULL(1, 2, 3, 5);
int gov_check_vote(char *err, size_t errlen, uint64_t support, uint64_t conviction) WARN_UNUSED NONNULL(1);
int gov_check_ballot(char *err, size_t errlen, size_t choice_len, uint64_t conviction) WARN_UNUSED NONNULL(1);
/* A SecretBallot's ciphertext is 62 + 256·k bytes, k = 1..8 (ledger_ballot_len_ok). */
int gov_check_secret_ballot(char *err, size_t errlen, size_t ciphertext_len, uint64_t conviction) WARN_UNUSED NONNULL(1);
int gov_check_delegate(char *err, size_t errlen, const uint8_t delegator[20], const uint8_t *to, uint64_t conviction)
    WARN_UNUSED NONNULL(1, 3);

/* The rules of the signed types, applied inside the item's savepoint.
 * Returns: ST_OK; a failure of the transaction with its reason in a->r->err (its writes are then
 * rolled back by the caller's savepoint); or ST_DB/ST_NOMEM, which are fatal to the block.
 * gov_execute: Out: change, initialized by the caller, set when a `param` payload applied; the
 * caller applies it to the values in force when ST_OK (a payload that fails is a Failed proposal
 * and ST_OK, with nothing of it kept). */
int gov_propose(gov_apply *a, const uint8_t proposer[20], const gov_propose_msg *m) WARN_UNUSED NONNULL(1, 2, 3);
int gov_cast_vote(gov_apply *a, const uint8_t voter[20], uint64_t proposal, uint64_t support, uint64_t conviction)
    WARN_UNUSED NONNULL(1, 2);
/* Ballot: a vote on a poll (docs/POLLS.md). choice: choice_len bytes of the JSON text Snapshot writes
 * for the poll's system; a ballot the system cannot count fails with "choice: ..." and changes
 * nothing; a later ballot replaces the voter's earlier one. Power, delegation and locks as Vote. */
int gov_cast_ballot(gov_apply *a, const uint8_t voter[20], uint64_t proposal, const uint8_t *choice, size_t choice_len,
                    uint64_t conviction) WARN_UNUSED NONNULL(1, 2, 4);
/* SecretBallot: a vote on a secret poll (docs/API.md "Secret polls"): the ciphertext (len bytes, a
 * length ledger_ballot_len_ok accepts) is stored as it is, never read: the enclave opens it at
 * the count. Power, delegation, replacement and locks as Ballot. */
int gov_cast_secret_ballot(gov_apply *a, const uint8_t voter[20], uint64_t proposal, const uint8_t *ciphertext, size_t len,
                           uint64_t conviction) WARN_UNUSED NONNULL(1, 2, 4);
/* An enclave's count of a secret poll, as its signed report says it (docs/SECRET_BALLOTS.md), with
 * the enclave that signed it: the engine has checked the signature, that the signer is a registered
 * enclave whose measurement is allowlisted, and the chain. Every field is borrowed. */
typedef struct gov_secret_count {
    uint64_t proposal;
    unsigned n_choices;
    const uint8_t *ballots_hash;    /* 32 bytes */
    uint32_t count, valid, invalid;
    const uint8_t *total_power;     /* 32 bytes, big-endian */
    const uint8_t (*scores)[32];    /* n_choices words, big-endian, in choice order */
    const uint8_t *enclave;         /* 20 bytes: the report's signer */
    const uint8_t *measurement;     /* 32 bytes: the report's */
    const uint8_t *report;          /* the report's bytes */
    size_t report_len;
    const uint8_t *signature;       /* 65 bytes */
} gov_secret_count;

/* SecretPollCount: applies an enclave's count to its secret poll. Checked first: the proposal is a
 * secret poll and Counting; nChoices is its number of choices; ballotsHash is the one fixed at its
 * close; count is its number of standing ballots (valid + invalid) and totalPower the sum of their
 * weights. Then its scores are stored, the report kept, PollCounted {..., secret: true, valid,
 * invalid, enclave, ballotsHash} emitted, and the poll is Succeeded or Defeated by its turnout as an
 * open poll is. Returns as the rules (a count that does not fit fails with its reason). */
int gov_secret_count_apply(gov_apply *a, const gov_secret_count *c) WARN_UNUSED NONNULL(1, 2);
int gov_cancel(gov_apply *a, const uint8_t signer[20], uint64_t proposal) WARN_UNUSED NONNULL(1, 2);
int gov_execute(gov_apply *a, gov_param_change *change, uint64_t proposal) WARN_UNUSED NONNULL(1, 2);
int gov_delegate(gov_apply *a, const uint8_t delegator[20], const uint8_t to[20], uint64_t conviction)
    WARN_UNUSED NONNULL(1, 2, 3);
int gov_undelegate(gov_apply *a, const uint8_t delegator[20]) WARN_UNUSED NONNULL(1, 2);

/* The Tick part: moves every proposal whose next change is due at a->time on as far as the clock
 * allows (Pending -> Active -> Queued or Defeated, Queued -> Expired). Returns as the rules above. */
int gov_tick(gov_apply *a) WARN_UNUSED NONNULL(1);

/* The Withdraw hook: staker's stake locked by its conviction votes and undelegations stays.
 * leaving: the value the withdrawal takes out. Returns: ST_OK; ST_CONFLICT with a->r->err
 * ("... locked by governance until T", or locked while delegating with conviction); ST_LIMIT
 * (see LEDGER_MAX_POOLS_PER_STAKER) or ST_DB. */
int gov_check_withdraw(gov_apply *a, const uint8_t staker[20], const mpz_t leaving) WARN_UNUSED NONNULL(1, 2, 3);

/* Voting power of address as of the end of block height.
 * Out: own (its staked value), delegated (the staked value of those delegating to it then, before
 * any of them overrides it on a proposal by voting directly) and delegated_weight (that value times
 * each delegator's conviction, as a vote of the delegate carries it), initialized by the caller.
 * Returns: ST_OK, ST_NOMEM, ST_LIMIT (see LEDGER_MAX_POOLS_PER_STAKER) or ST_DB (outputs then
 * unspecified). Reads only: callable outside a block. */
int gov_power_at(ledger *l, gov_store *s, const uint8_t address[20], uint64_t height, mpz_t own, mpz_t delegated,
                 mpz_t delegated_weight) WARN_UNUSED NONNULL(1, 2, 3, 5, 6, 7);

#endif
