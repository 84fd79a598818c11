/* SPDX-License-Identifier: MIT */
/* gov.c: the pure parts of governance: init/clear of its records, state names, track lookup, the
 * tally rule (the tallies kept one vote at a time, the quorum and the approval test), and the
 * conviction table (OpenGov: 0 = 0.1x with no lock; 1..6 = 1x..6x locked 1,2,4,8,16,32 periods). */
#include "governance/gov.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "ledger/amount.h"

void gov_params_init(gov_params *p)
{
    memset(p, 0, sizeof *p);
    for (unsigned i = 0; i < GOV_MAX_TRACKS; i++)
        mpz_inits(p->tracks[i].deposit, p->tracks[i].threshold, p->tracks[i].spend_cap, NULL);
}

void gov_params_clear(gov_params *p)
{
    if (!p || !p->tracks[0].deposit->_mp_d)
        return;
    for (unsigned i = 0; i < GOV_MAX_TRACKS; i++)
        mpz_clears(p->tracks[i].deposit, p->tracks[i].threshold, p->tracks[i].spend_cap, NULL);
    memset(p, 0, sizeof *p);
}

void gov_proposal_init(gov_proposal *p)
{
    memset(p, 0, sizeof *p);
    mpz_inits(p->deposit, p->total_power, p->for_weight, p->against_weight, p->abstain_weight, p->turnout, NULL);
}

void gov_proposal_clear(gov_proposal *p)
{
    if (!p || !p->deposit->_mp_d)
        return;
    free(p->track);
    free(p->title);
    free(p->body);
    free(p->payload);
    free(p->reason);
    mpz_clears(p->deposit, p->total_power, p->for_weight, p->against_weight, p->abstain_weight, p->turnout, NULL);
    memset(p, 0, sizeof *p);
}

void gov_vote_init(gov_vote *v)
{
    memset(v, 0, sizeof *v);
    mpz_inits(v->power, v->weight, v->delegated_power, v->delegated_weight, NULL);
}

void gov_vote_clear(gov_vote *v)
{
    if (!v || !v->power->_mp_d)
        return;
    free(v->choice);
    free(v->ciphertext);
    mpz_clears(v->power, v->weight, v->delegated_power, v->delegated_weight, NULL);
    memset(v, 0, sizeof *v);
}

const char *gov_state_name(gov_state s)
{
    static const char *const names[] = { "Pending", "Active", "Defeated", "Succeeded", "Queued",
                                         "Executed", "Expired", "Failed", "Canceled", "Counting" };
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "Unknown";
}

int gov_state_parse(const char *name, gov_state *out)
{
    for (gov_state st = GOV_PENDING; st <= GOV_COUNTING; st++)
        if (strcasecmp(name, gov_state_name(st)) == 0) {
            *out = st;
            return ST_OK;
        }
    return ST_INVALID;
}

/* The side's tally: 1 for, 0 against, 2 abstain. */
static mpz_ptr tally_of(gov_proposal *p, unsigned support)
{
    return support == 1 ? p->for_weight : support == 0 ? p->against_weight : p->abstain_weight;
}

/* Adds (add) or subtracts the vote's weights to its side and its powers to the turnout. */
static void tally_move(gov_proposal *p, const gov_vote *v, void (*add)(mpz_ptr r, mpz_srcptr a, mpz_srcptr b))
{
    mpz_ptr side = tally_of(p, v->support);
    add(side, side, v->weight);
    add(side, side, v->delegated_weight);
    add(p->turnout, p->turnout, v->power);
    add(p->turnout, p->turnout, v->delegated_power);
}

bool gov_tally_add(gov_proposal *p, const gov_vote *v)
{
    tally_move(p, v, mpz_add);
    return ledger_amount_fits(tally_of(p, v->support)) && ledger_amount_fits(p->turnout);
}

void gov_tally_sub(gov_proposal *p, const gov_vote *v)
{
    tally_move(p, v, mpz_sub);
}

void gov_quorum(mpz_t out, const gov_proposal *p, const gov_track *t)
{
    mpz_mul_ui(out, p->total_power, t->quorum_ppm);
    mpz_cdiv_q_ui(out, out, 1000000);
    if (mpz_sgn(out) == 0)
        mpz_set_ui(out, 1);
}

void gov_tally_check(const gov_proposal *p, const gov_track *t, bool *quorum, bool *approval)
{
    mpz_t lhs, rhs;
    mpz_inits(lhs, rhs, NULL);
    gov_quorum(lhs, p, t);
    *quorum = mpz_cmp(p->turnout, lhs) >= 0;
    mpz_mul_ui(lhs, p->for_weight, 1000000);
    mpz_add(rhs, p->for_weight, p->against_weight);
    mpz_mul_ui(rhs, rhs, t->approval_ppm);
    *approval = mpz_cmp(lhs, rhs) > 0;
    mpz_clears(lhs, rhs, NULL);
}

const gov_track *gov_track_find(const gov_params *p, const char *name)
{
    for (unsigned i = 0; i < p->n_tracks; i++)
        if (strcmp(p->tracks[i].name, name) == 0)
            return &p->tracks[i];
    return NULL;
}

unsigned gov_lock_periods(unsigned conviction)
{
    return conviction == 0 || conviction > GOV_MAX_CONVICTION ? 0 : 1u << (conviction - 1);
}

void gov_weight(mpz_t out, const mpz_t power, unsigned conviction)
{
    if (conviction == 0)
        mpz_fdiv_q_ui(out, power, 10);
    else
        mpz_mul_ui(out, power, conviction);
}
