/* SPDX-License-Identifier: MIT */
/* gov.h: governance's records: the tracks and parameters a chain's genesis fixes, the proposal and
 * vote records, the states a proposal moves through, and the tally rule (the tallies kept one vote
 * at a time, the quorum, the approval test). The rules (Propose, Vote, cancel, execute, delegation,
 * the clock-driven transitions) are governance/rules.h; rows are kept by gov_store.h.
 * Layer: governance (engine -> governance -> ledger). Amounts are exact (GMP), times in seconds. */
#ifndef GOVERNANCE_GOV_H
#define GOVERNANCE_GOV_H

#include <gmp.h>
#include <stdbool.h>
#include <stdint.h>
#include "ledger/status.h"

#define GOV_MAX_TRACKS 16
#define GOV_TRACK_NAME_MAX 32
#define GOV_MAX_CONVICTION 6

/* Payload kinds a track may allow (bit mask). */
enum gov_payload_kind {
    GOV_PAYLOAD_TEXT = 1,
    GOV_PAYLOAD_PARAM = 2,
    GOV_PAYLOAD_SPEND = 4,
    GOV_PAYLOAD_ENCLAVE = 8,
    GOV_PAYLOAD_SLASH = 16,         /* cancel a deferred slash */
    GOV_PAYLOAD_POLL = 32           /* a poll: counted by one of Snapshot's systems, executes nothing */
};

typedef struct gov_track {
    char name[GOV_TRACK_NAME_MAX];
    mpz_t deposit;                  /* reserved from the proposer (free -> escrow), base units */
    mpz_t threshold;                /* voting power needed at the snapshot to propose */
    uint64_t voting_delay;          /* seconds from Propose to the vote's start */
    uint64_t voting_period;         /* seconds the vote is open */
    uint64_t enactment_delay;       /* seconds from the vote's end to the earliest execution */
    uint32_t quorum_ppm;            /* turnout (raw power) needed, of the total power at the snapshot */
    uint32_t approval_ppm;          /* for/(for+against) must exceed this */
    uint32_t no_quorum_burn_ppm;    /* part of the deposit burned when the vote misses the quorum
                                     * (a spam deterrent, as Cosmos' burn_vote_quorum); 0 = returned */
    mpz_t spend_cap;                /* largest spend payload; 0 = no cap */
    unsigned payloads;              /* enum gov_payload_kind mask */
} gov_track;

/* The genesis "governance" object. */
typedef struct gov_params {
    uint64_t lock_period;           /* "lockPeriodSecs": conviction c locks for 2^(c-1) of these [7 days] */
    uint64_t execution_grace;       /* "executionGraceSecs": a Queued proposal expires after eta + this [14 days] */
    uint32_t cancel_burn_ppm;       /* "cancelBurnPpm": part of the deposit burned on cancel [100000] */
    gov_track tracks[GOV_MAX_TRACKS];
    unsigned n_tracks;
} gov_params;

typedef enum gov_state {
    GOV_PENDING = 0,
    GOV_ACTIVE,
    GOV_DEFEATED,
    GOV_SUCCEEDED,
    GOV_QUEUED,
    GOV_EXECUTED,
    GOV_EXPIRED,
    GOV_FAILED,
    GOV_CANCELED,
    GOV_COUNTING                    /* a secret poll after voteEnd, until an enclave's count lands */
} gov_state;

typedef struct gov_proposal {
    uint64_t id;
    uint8_t proposer[20];
    char *track, *title, *body, *payload;   /* owned; payload is the JSON text ("" = text) */
    mpz_t deposit;
    gov_state state;
    uint64_t snapshot;              /* block height whose end fixes voting power */
    mpz_t total_power;              /* total staked value at the snapshot */
    uint64_t created, vote_start, vote_end, eta, expires;   /* seconds */
    mpz_t for_weight, against_weight, abstain_weight;       /* conviction-weighted tallies */
    mpz_t turnout;                  /* raw power of every vote, for the quorum */
    bool has_next_change;
    uint64_t next_change;           /* when the clock moves it on (seconds); none when final */
    char *reason;                   /* why it was defeated or failed (owned; may be NULL) */
} gov_proposal;

typedef struct gov_vote {
    uint64_t proposal;
    uint8_t voter[20];
    uint8_t support;                /* 0 against, 1 for, 2 abstain */
    uint8_t conviction;             /* 0..6 */
    mpz_t power;                    /* own staked value at the snapshot */
    mpz_t weight;                   /* power/10 for conviction 0, power*conviction otherwise */
    mpz_t delegated_power;          /* carried for delegators at the snapshot, less their overrides */
    mpz_t delegated_weight;         /* the same with each delegator's own conviction */
    char *choice;                   /* a Ballot's choice, Snapshot's JSON text (owned); NULL for a Vote */
    uint8_t *ciphertext;            /* a SecretBallot's encrypted choice (owned); NULL otherwise */
    size_t ciphertext_len;          /* bytes of ciphertext */
} gov_vote;

/* A delegation of voting power (no chains: a delegate never delegates, a delegator has no
 * delegators). since: the block height it was made at. */
typedef struct gov_delegation {
    uint8_t delegator[20];
    uint8_t delegate[20];
    uint8_t conviction;             /* 0..6, as a vote's */
    uint64_t since;
} gov_delegation;

/* Init/clear pairs (init zeroes every field). Clear accepts a zeroed struct. */
void gov_params_init(gov_params *p) NONNULL(1);
void gov_params_clear(gov_params *p);
void gov_proposal_init(gov_proposal *p) NONNULL(1);
void gov_proposal_clear(gov_proposal *p);
void gov_vote_init(gov_vote *v) NONNULL(1);
void gov_vote_clear(gov_vote *v);

/* The state's name ("Pending", "Active", ...), static; and the state of a name (any case):
 * ST_OK, or ST_INVALID for no such state. */
const char *gov_state_name(gov_state s);
int gov_state_parse(const char *name, gov_state *out) WARN_UNUSED NONNULL(1, 2);
/* The tallies of p, kept one vote at a time: add puts v's weights (weight + delegated_weight) on its
 * side and its raw power (power + delegated_power) on the turnout; sub takes them off again.
 * Returns (add): whether that side's tally and the turnout are still below 2^256. */
bool gov_tally_add(gov_proposal *p, const gov_vote *v) NONNULL(1, 2);
void gov_tally_sub(gov_proposal *p, const gov_vote *v) NONNULL(1, 2);
/* The turnout p needs on track t: max(ceil(total_power * quorum_ppm / 10^6), 1), so a vote nobody
 * cast never reaches it, not even on a proposal whose snapshot holds no stake. */
void gov_quorum(mpz_t out, const gov_proposal *p, const gov_track *t) NONNULL(1, 2, 3);
/* How the votes on p stand against track t: quorum when the raw turnout is at least gov_quorum;
 * approval when convicted for / (for + against) exceeds approval_ppm (so a tie fails). */
void gov_tally_check(const gov_proposal *p, const gov_track *t, bool *quorum, bool *approval) NONNULL(1, 2, 3, 4);
/* The track named name, or NULL. Borrowed from p. */
const gov_track *gov_track_find(const gov_params *p, const char *name) NONNULL(1, 2);
/* Lock periods of conviction c (1, 2, 4, ..., 32 for c = 1..6; 0 for c = 0). */
unsigned gov_lock_periods(unsigned conviction);
/* weight = floor(power/10) for conviction 0, power*conviction for 1..6. */
void gov_weight(mpz_t out, const mpz_t power, unsigned conviction) NONNULL(1, 2);

#endif
