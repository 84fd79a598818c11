/* SPDX-License-Identifier: MIT */
/* ballots.h: a poll's results as the chain keeps them (docs/POLLS.md, docs/API.md "Polls"): the
 * scores of each choice in base units, the power and number of the standing ballots, and whether
 * they were counted at the close or are the running result; and a secret poll's ballots hash. The Ballot rule itself is in
 * governance/rules.h beside Vote. Layer: governance (engine -> governance -> ledger). */
#ifndef GOVERNANCE_BALLOTS_H
#define GOVERNANCE_BALLOTS_H

#include <gmp.h>
#include <stdbool.h>
#include <stdint.h>
#include "governance/gov_store.h"
#include "governance/poll.h"

typedef struct gov_poll_results {
    enum gov_poll_system system;
    unsigned n;                                 /* choices */
    mpz_t scores[GOV_POLL_MAX_CHOICES];         /* base units, in choice order; scores[n..] are 0 */
    mpz_t power;                                /* the power of the standing ballots, base units */
    uint64_t ballots;                           /* how many ballots stand */
    bool counted;                               /* counted at the close; else the running result */
    bool secret;                                /* a secret poll: scores are 0 until counted */
} gov_poll_results;

/* Init/clear pair (clear accepts a zeroed struct). */
void gov_poll_results_init(gov_poll_results *r) NONNULL(1);
void gov_poll_results_clear(gov_poll_results *r);

/* The results of poll proposal: the scores counted at its close, or while it is open the running
 * result: read from the tally alone for every system but ranked-choice, whose instant runoff counts
 * every standing ballot (O(ballots x choices)). A secret poll has no running result: its scores
 * stay 0 (counted false) until the enclave's count lands.
 * Returns: ST_OK; ST_NOTFOUND when proposal is not a poll; ST_NOMEM; ST_DB (r then unspecified).
 * Reads only: callable outside a block. */
int gov_poll_results_get(gov_store *s, uint64_t proposal, gov_poll_results *r) WARN_UNUSED NONNULL(1, 3);

/* The ballots hash of secret poll proposal over its standing ballots: sha256 of, for each in voter
 * address order, voter (20) || weight + delegated weight (32 bytes big-endian) || sha256(ciphertext)
 * (32); what the enclave's count report must name. O(ballots).
 * Out: hash, *count the number of ballots. Returns: ST_OK; ST_DB (a ballot without a ciphertext or
 * an unreadable row); ST_NOMEM. Reads only: callable outside a block. */
int gov_secret_ballots_hash(gov_store *s, uint64_t proposal, uint8_t hash[32], uint64_t *count) WARN_UNUSED NONNULL(1, 3, 4);

/* The winning choice (0-based) of r: gov_poll_winner's (the highest score, of equals the
 * lowest-numbered); -1 while no ballot stands. */
int gov_poll_results_winner(const gov_poll_results *r) NONNULL(1);

#endif
