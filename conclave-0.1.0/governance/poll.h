/* SPDX-License-Identifier: MIT */
/* poll.h: how a poll counts: the ballot of each counting system, read from the JSON text Snapshot
 * writes for it (snapshot.js: `2`, `[1,3]`, `{"1":2,"3":1}`), and its scores, computed exactly in
 * base units where Snapshot computes in floating point. Systems: single-choice, approval, quadratic,
 * ranked-choice (instant runoff), weighted, copeland, and basic (single-choice over For, Against,
 * Abstain). The semantics and every rounding are written down in docs/POLLS.md.
 *
 * Incremental: every system but ranked-choice keeps a tally that a ballot adds to or is taken from
 * (a later ballot replaces an earlier one: take the old, add the new) at a cost bounded by the
 * number of choices, and its scores are read from the tally alone, whatever the number of ballots.
 * Ranked-choice's runoff needs every ballot: gov_poll_count_ranked counts them in O(ballots x
 * choices).
 *
 * Pure: GMP and ledger/status.h only (no SQLite, no cJSON), so that the enclave can count secret
 * ballots with the same code. Layer: governance. */
#ifndef GOVERNANCE_POLL_H
#define GOVERNANCE_POLL_H

#include <gmp.h>
#include <stddef.h>
#include <stdint.h>
#include "ledger/status.h"

#define GOV_POLL_MIN_CHOICES 2
#define GOV_POLL_MAX_CHOICES 32
#define GOV_POLL_CHOICE_MAX 64          /* bytes of a choice's name */
#define GOV_POLL_WEIGHT_DECIMALS 18     /* weights carry at most this many decimals */
#define GOV_POLL_BALLOT_TEXT_MAX 2048   /* bytes of a ballot's JSON text */

enum gov_poll_system {
    GOV_POLL_BASIC = 1,             /* single-choice over exactly "For", "Against", "Abstain" */
    GOV_POLL_SINGLE_CHOICE,
    GOV_POLL_APPROVAL,
    GOV_POLL_QUADRATIC,
    GOV_POLL_RANKED_CHOICE,
    GOV_POLL_WEIGHTED,
    GOV_POLL_COPELAND
};

/* The system named name (as Snapshot names it: "single-choice", "ranked-choice", ...).
 * Returns: ST_OK, or ST_INVALID for another name (*out unchanged). */
int gov_poll_system_parse(enum gov_poll_system *out, const char *name) WARN_UNUSED NONNULL(1, 2);
/* Snapshot's name of a system; "?" for a value outside the enum. */
const char *gov_poll_system_name(enum gov_poll_system system);

/* One ballot, as its system reads it. Choices are 0-based here (1-based in the JSON text). */
typedef struct gov_ballot {
    unsigned n;                                 /* entries of choice[] */
    uint8_t choice[GOV_POLL_MAX_CHOICES];       /* single/basic: the one choice; approval: the
                                                 * approved ones as written; ranked-choice, copeland:
                                                 * every choice, most preferred first; weighted,
                                                 * quadratic: the choices given a weight, as written */
    mpz_t weight[GOV_POLL_MAX_CHOICES];         /* weighted, quadratic: choice[k]'s weight x 10^18 */
} gov_ballot;

void gov_ballot_init(gov_ballot *b) NONNULL(1);
void gov_ballot_clear(gov_ballot *b) NONNULL(1);

/* Reads the ballot text (len bytes, JSON as Snapshot writes the choice of system) for a poll of
 * n_choices choices. What each system takes:
 *   single-choice, basic: a whole number from 1 to n_choices;
 *   approval: an array of distinct whole numbers from 1 to n_choices (empty: approves none);
 *   ranked-choice, copeland: an array holding each of 1..n_choices exactly once, best first;
 *   weighted, quadratic: an object whose keys are distinct choice numbers written "1".."n" and
 *     whose values are numbers >= 0 with at most 18 decimals and no exponent, at least one > 0.
 * Whole numbers are written without sign, fraction, exponent or leading zeros; whitespace is as
 * JSON allows. Returns: ST_OK; ST_INVALID with a message in err ("choice 5 is not one of the 4
 * choices", "choice 2 appears twice", ...) and b unusable until the next parse.
 * In: system, n_choices (GOV_POLL_MIN_CHOICES..GOV_POLL_MAX_CHOICES). */
int gov_ballot_parse(gov_ballot *b, char *err, size_t errlen, enum gov_poll_system system, unsigned n_choices,
                     const char *text, size_t len) WARN_UNUSED NONNULL(1, 2, 6);

/* The running tally of a poll of any system but ranked-choice. */
typedef struct gov_poll_tally {
    enum gov_poll_system system;
    unsigned n;                                 /* choices */
    mpz_t acc[GOV_POLL_MAX_CHOICES];            /* single/basic/approval/weighted: base units per
                                                 * choice; quadratic: the sum of the roots r (x 10^18) */
    mpz_t *pair;                                /* copeland: n x n, pair[i*n+j] = power that ranks
                                                 * choice i above choice j (owned); else NULL */
    mpz_t power;                                /* the power of the ballots in the tally */
    uint64_t ballots;                           /* how many ballots are in it */
} gov_poll_tally;

/* Init an empty tally for a poll of system with n choices. Returns: ST_OK; ST_INVALID for
 * ranked-choice (it has no tally) or n out of range; ST_NOMEM (then t needs no clear). */
int gov_poll_tally_init(gov_poll_tally *t, enum gov_poll_system system, unsigned n) WARN_UNUSED NONNULL(1);
void gov_poll_tally_clear(gov_poll_tally *t);
/* Adds a ballot read for the tally's system and size with its power (>= 0, base units), or takes
 * it out again when sign < 0 (it must have been added with the same power). Returns: ST_OK;
 * ST_INVALID for a ballot of another shape, a negative power, or taking out more than was added. */
int gov_poll_tally_add(gov_poll_tally *t, const gov_ballot *b, const mpz_t power, int sign) WARN_UNUSED NONNULL(1, 2, 3);
/* The scores, one per choice in choice order, in base units (see docs/POLLS.md for each
 * system's rounding). Out: scores[0..n-1] (initialized by the caller). */
void gov_poll_tally_scores(mpz_t *scores, const gov_poll_tally *t) NONNULL(1, 2);

/* Ranked-choice: Snapshot's instant runoff over count ballots (each a full ranking of n choices)
 * with their powers (powers[v] the v-th ballot's, an array of count GMP integers). Each round
 * gives every ballot's power to its most preferred choice still in the race; it stops when one
 * choice has more than half of the power, or fewer than three choices are left; otherwise the
 * choice with the least power leaves (of equals, the lowest-numbered).
 * Out: scores[0..n-1] (initialized by the caller): the last round's power of each choice, 0 for
 * those that left. Returns: ST_OK; ST_INVALID for a ballot that is not a full ranking of n or a
 * negative power; ST_NOMEM. */
int gov_poll_count_ranked(mpz_t *scores, unsigned n, const gov_ballot *ballots, mpz_srcptr powers, size_t count)
    WARN_UNUSED NONNULL(1);
/* The same count over rankings held compactly: rankings[v*n .. v*n+n-1] is the v-th ballot's ranking
 * (0-based choices, most preferred first), n bytes a ballot instead of a gov_ballot's. Returns as
 * gov_poll_count_ranked. */
int gov_poll_count_rankings(mpz_t *scores, unsigned n, const uint8_t *rankings, mpz_srcptr powers, size_t count)
    WARN_UNUSED NONNULL(1);

/* The winning choice (0-based): the highest score; of equal scores, the lowest-numbered choice. */
unsigned gov_poll_winner(const mpz_t *scores, unsigned n) NONNULL(1);

#endif
