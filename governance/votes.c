/* SPDX-License-Identifier: MIT */
/* votes.c: Vote (power at the snapshot times conviction, tallies kept incrementally, conviction
 * locks; a delegate's vote carries what governance/delegation.c gives it, and a delegator's direct
 * vote overrides that for the one proposal, in O(1)), and the Withdraw hook that keeps
 * conviction-locked stake in place. */
#include "engine/engine_int.h"
#include "engine/governance.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>
#include "ledger/amount.h"
#include "ledger/stakes.h"

int eng_check_vote(eng *e, const ledger_tx *tx, char *err, size_t errlen)
{
    uint64_t support, conviction;
    if (ledger_tx_get_u64(tx, "support", &support) != ST_OK || support > 2) {
        snprintf(err, errlen, "message.support: 0 (against), 1 (for) or 2 (abstain)");
        return ST_INVALID;
    }
    if (ledger_tx_get_u64(tx, "conviction", &conviction) != ST_OK || conviction > GOV_MAX_CONVICTION) {
        snprintf(err, errlen, "message.conviction: 0 to 6");
        return ST_INVALID;
    }
    return ST_OK;
}

static const char *const sides[] = { "against", "for", "abstain" };

static mpz_ptr tally_of(gov_proposal *p, unsigned support)
{
    return support == 1 ? p->for_weight : support == 0 ? p->against_weight : p->abstain_weight;
}

/* A delegator's first direct vote on p: what its delegation at the snapshot gave its delegate comes
 * off the delegate's vote (if it voted) and is remembered for the delegate's later votes. Out:
 * *delegate set to the delegate's address (NULL when the voter delegated nothing then). */
static int override_delegation(eng_apply *a, gov_proposal *p, const gov_vote *v, uint8_t delegate[20], bool *overrode)
{
    gov_delegation d;
    *overrode = false;
    int rc = gov_delegation_at(a->e->gov, v->voter, p->snapshot, &d);
    if (rc == ST_NOTFOUND || (rc == ST_OK && mpz_sgn(v->power) == 0))
        return ST_OK;
    if (rc != ST_OK)
        return rc;
    memcpy(delegate, d.delegate, 20);
    *overrode = true;
    mpz_t weight, op, ow;
    mpz_inits(weight, op, ow, NULL);
    gov_weight(weight, v->power, d.conviction);
    gov_vote dv;
    gov_vote_init(&dv);
    rc = gov_override_get(a->e->gov, p->id, d.delegate, op, ow);
    mpz_add(op, op, v->power);
    mpz_add(ow, ow, weight);
    if (rc == ST_OK)
        rc = gov_override_put(a->e->gov, p->id, d.delegate, op, ow);
    if (rc == ST_OK && (rc = gov_vote_get(a->e->gov, p->id, d.delegate, &dv)) == ST_OK) {
        /* the delegate carried exactly this delegator's own power and weight among its sums */
        mpz_sub(dv.delegated_power, dv.delegated_power, v->power);
        mpz_sub(dv.delegated_weight, dv.delegated_weight, weight);
        assert(mpz_sgn(dv.delegated_power) >= 0 && mpz_sgn(dv.delegated_weight) >= 0);
        mpz_sub(tally_of(p, dv.support), tally_of(p, dv.support), weight);
        mpz_sub(p->turnout, p->turnout, v->power);
        rc = gov_vote_put(a->e->gov, &dv);
    } else if (rc == ST_NOTFOUND) {
        rc = ST_OK;
    }
    gov_vote_clear(&dv);
    mpz_clears(weight, op, ow, NULL);
    return rc;
}

int eng_apply_vote(eng_apply *a)
{
    const ledger_tx *tx = &a->item->tx;
    uint64_t id, support, conviction;
    gov_proposal p;
    gov_proposal_init(&p);
    gov_vote v, old;
    gov_vote_init(&v);
    gov_vote_init(&old);
    mpz_t op, ow, locked;
    mpz_inits(op, ow, locked, NULL);
    uint8_t delegate[20];
    bool overrode = false;
    int rc = ledger_tx_get_u64(tx, "proposal", &id);
    if (rc == ST_OK)
        rc = ledger_tx_get_u64(tx, "support", &support);
    if (rc == ST_OK)
        rc = ledger_tx_get_u64(tx, "conviction", &conviction);
    if (rc == ST_OK && (support > 2 || conviction > GOV_MAX_CONVICTION))
        rc = ledger_fail(&a->r, ST_INVALID, "support 0..2 and conviction 0..6");
    if (rc == ST_OK)
        rc = gov_load_proposal(a, id, &p);
    if (rc != ST_OK)
        goto out;
    if (p.state != GOV_ACTIVE || a->time < p.vote_start || a->time >= p.vote_end) {
        rc = ledger_fail(&a->r, ST_CONFLICT, "proposal %llu is %s: votes are taken only while it is Active (%llu to %llu)",
                      (unsigned long long)id, gov_state_name(p.state), (unsigned long long)p.vote_start,
                      (unsigned long long)p.vote_end);
        goto out;
    }
    v.proposal = id;
    memcpy(v.voter, tx->signer, 20);
    v.support = (uint8_t)support;
    v.conviction = (uint8_t)conviction;
    /* a changed vote replaces the old one: its weight and power come off the tallies first, and
     * what it counted at the snapshot (less overrides since) is what the new one counts */
    rc = gov_vote_get(a->e->gov, id, tx->signer, &old);
    bool changed = rc == ST_OK;
    if (changed) {
        mpz_set(v.power, old.power);
        mpz_set(v.delegated_power, old.delegated_power);
        mpz_set(v.delegated_weight, old.delegated_weight);
        mpz_sub(tally_of(&p, old.support), tally_of(&p, old.support), old.weight);
        mpz_sub(tally_of(&p, old.support), tally_of(&p, old.support), old.delegated_weight);
        mpz_sub(p.turnout, p.turnout, old.power);
        mpz_sub(p.turnout, p.turnout, old.delegated_power);
    } else if (rc == ST_NOTFOUND) {
        if ((rc = eng_gov_power_at(a->e, tx->signer, p.snapshot, v.power, v.delegated_power, v.delegated_weight)) != ST_OK
            || (rc = gov_override_get(a->e->gov, id, tx->signer, op, ow)) != ST_OK)
            goto out;
        /* delegators who voted themselves are not carried */
        mpz_sub(v.delegated_power, v.delegated_power, op);
        mpz_sub(v.delegated_weight, v.delegated_weight, ow);
        if (mpz_sgn(v.power) == 0 && mpz_sgn(v.delegated_power) == 0) {
            rc = ledger_fail(&a->r, ST_UNAUTHORIZED, "no voting power: nothing staked or delegated at the snapshot (height %llu)",
                          (unsigned long long)p.snapshot);
            goto out;
        }
        if ((rc = override_delegation(a, &p, &v, delegate, &overrode)) != ST_OK)
            goto out;
    } else {
        goto out;
    }
    gov_weight(v.weight, v.power, v.conviction);
    mpz_add(tally_of(&p, v.support), tally_of(&p, v.support), v.weight);
    mpz_add(tally_of(&p, v.support), tally_of(&p, v.support), v.delegated_weight);
    mpz_add(p.turnout, p.turnout, v.power);
    mpz_add(p.turnout, p.turnout, v.delegated_power);
    /* the tally holds this vote's weights and power: if it fits, they do */
    if (!ledger_amount_fits(tally_of(&p, v.support)) || !ledger_amount_fits(p.turnout)) {
        rc = ledger_fail(&a->r, ST_OVERFLOW, "the %s tally of proposal %llu would reach 2^256", sides[v.support], (unsigned long long)id);
        goto out;
    }
    if ((rc = gov_vote_put(a->e->gov, &v)) != ST_OK || (rc = gov_proposal_update(a->e->gov, &p)) != ST_OK)
        goto out;
    /* the lock is the standing vote's (OpenGov replaces a replaced vote's lock while the poll is
     * ongoing, and a vote changes only while Active): conviction 0 or no own power locks nothing */
    uint64_t until = 0;
    if (v.conviction > 0 && mpz_sgn(v.power) > 0) {
        until = p.vote_end + (uint64_t)gov_lock_periods(v.conviction) * a->e->genesis.governance.lock_period;
        mpz_set(locked, v.power);
    }
    if ((rc = gov_lock_set(a->e->gov, tx->signer, id, locked, until)) != ST_OK)
        goto out;
    cJSON *ev = gov_proposal_event(a, changed ? "VoteChanged" : "VoteCast", id);
    if (!ev || !ledger_event_address(ev, "voter", v.voter) || !cJSON_AddStringToObject(ev, "support", sides[v.support])
        || !cJSON_AddNumberToObject(ev, "conviction", v.conviction) || !ledger_event_amount(ev, "power", v.power)
        || !ledger_event_amount(ev, "weight", v.weight) || !ledger_event_amount(ev, "delegatedPower", v.delegated_power)
        || !ledger_event_amount(ev, "delegatedWeight", v.delegated_weight)
        || (until && !cJSON_AddNumberToObject(ev, "lockedUntil", (double)until))
        || (overrode && !ledger_event_address(ev, "overrides", delegate)))
        rc = ST_NOMEM;
out:
    mpz_clears(op, ow, locked, NULL);
    gov_vote_clear(&old);
    gov_vote_clear(&v);
    gov_proposal_clear(&p);
    return rc;
}

/* ---- locks ---- */

int eng_gov_check_withdraw(eng_apply *a, const uint8_t staker[20], const mpz_t leaving)
{
    gov_delegation d;
    int rc = gov_delegation_get(a->e->gov, staker, &d);
    if (rc == ST_OK && d.conviction > 0)
        return ledger_fail(&a->r, ST_CONFLICT, "stake is locked while delegating with conviction %u (after Undelegate it stays for %u lock periods)",
                        d.conviction, gov_lock_periods(d.conviction));
    if (rc != ST_OK && rc != ST_NOTFOUND)
        return rc;
    mpz_t locked, staked;
    mpz_inits(locked, staked, NULL);
    uint64_t until = 0;
    rc = gov_lock_max(a->e->gov, staker, a->time, locked, &until);
    if (rc == ST_OK && mpz_sgn(locked) > 0 && (rc = ledger_stake_value_at(a->e->ledger, staker, a->height, staked)) == ST_OK) {
        mpz_sub(staked, staked, leaving);
        if (mpz_cmp(staked, locked) < 0) {
            char t1[LEDGER_AMOUNT_STRLEN];
            ledger_amount_format(t1, locked);
            rc = ledger_fail(&a->r, ST_CONFLICT, "%s of stake is locked by governance until %llu", t1, (unsigned long long)until);
        }
    }
    mpz_clears(locked, staked, NULL);
    return rc;
}
