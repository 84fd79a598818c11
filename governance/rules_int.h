/* SPDX-License-Identifier: MIT */
/* rules_int.h: helpers shared by the rule files of governance/ (proposals.c's used by votes.c too;
 * ballots.c's, the poll's stored tally, used by proposals.c and votes.c). Not an API: only
 * governance .c files include it. */
#ifndef GOVERNANCE_RULES_INT_H
#define GOVERNANCE_RULES_INT_H

#include "governance/ballots.h"
#include "governance/poll.h"
#include "governance/rules.h"

/* Appends a proposal's event {"type": type, "proposal": id} to the receipt.
 * Returns: the event to fill (owned by the receipt), or NULL on OOM. */
ledger_ev *gov_proposal_event(gov_apply *a, const char *type, uint64_t id) NONNULL(1, 2);
/* Reads proposal id into p (initialized by the caller).
 * Returns: ST_OK; ST_NOTFOUND with "no proposal N" in the receipt; ST_DB. */
int gov_load_proposal(gov_apply *a, uint64_t id, gov_proposal *p) WARN_UNUSED NONNULL(1, 3);

/* Makes the row of poll proposal (system, n choices) with its empty tally (a secret poll keeps
 * none). Returns as the rules. */
int gov_poll_open(gov_apply *a, uint64_t proposal, enum gov_poll_system system, unsigned n, bool secret)
    WARN_UNUSED NONNULL(1);
enum gov_poll_kind { GOV_NOT_POLL, GOV_OPEN_POLL, GOV_SECRET_POLL };
/* What kind of proposal proposal is. Out: *rc ST_OK, or ST_DB / ST_NOMEM (then GOV_NOT_POLL). */
enum gov_poll_kind gov_poll_kind_of(gov_apply *a, uint64_t proposal, int *rc) NONNULL(1, 3);
/* Reads a ballot's choice text (len bytes) for open poll proposal into b (initialized by the
 * caller). Returns: ST_OK; a failure in the receipt: ST_CONFLICT "... is not a poll" or "... is a
 * secret poll", ST_INVALID "choice: ..." (gov_ballot_parse's reason); ST_DB. */
int gov_poll_read_ballot(gov_apply *a, uint64_t proposal, gov_ballot *b, const char *choice, size_t len)
    WARN_UNUSED NONNULL(1, 3, 4);
/* Puts ballot v (v->choice set; for a secret poll v->ciphertext) on the tally of poll p (sign > 0)
 * with the power v->weight + v->delegated_weight, or takes it off (sign < 0), and its raw power
 * v->power + v->delegated_power on or off p->turnout (p is the caller's to store). A secret poll's
 * tally is only its ballots' power and number. Returns: ST_OK; ST_OVERFLOW
 * (nothing in the receipt) when the turnout would reach 2^256; a failure ST_CONFLICT when the
 * stored tally does not hold the ballot; ST_DB, ST_NOMEM. */
int gov_ballot_count(gov_apply *a, gov_proposal *p, const gov_vote *v, int sign) WARN_UNUSED NONNULL(1, 2, 3);
/* Settles a poll whose scores are published: Succeeded (final, the deposit returned) when its
 * turnout reaches the track's quorum, else Defeated ("quorum not reached", the track's burn) as any
 * proposal that misses it; its events. p is the caller's to store. Returns as the rules. */
int gov_poll_outcome(gov_apply *a, gov_proposal *p) WARN_UNUSED NONNULL(1, 2);
/* Counts poll proposal at its close and stores the scores (once: a poll counted before reads them).
 * Out: r (initialized by the caller). Returns: ST_OK; ST_NOTFOUND when proposal is not a poll;
 * ST_DB, ST_NOMEM. */
int gov_poll_close(gov_apply *a, uint64_t proposal, gov_poll_results *r) WARN_UNUSED NONNULL(1, 3);

#endif
