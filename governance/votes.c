/* SPDX-License-Identifier: MIT */
/* votes.c: Vote, Ballot (a poll's vote: ballots.c keeps its tally) and SecretBallot (a secret poll's:
 * a ciphertext only the enclave opens), and the Withdraw hook that keeps conviction-locked stake in
 * place (rules.h; docs/API.md "Governance", "Polls", "Secret polls").
 *
 * A vote counts the voter's own power at the proposal's snapshot, weighted by its conviction c
 * (gov_weight: floor(power / 10) for c = 0, power * c for 1..6, the floor taken per account,
 * never on a sum), plus what its delegators in force then give it (delegation.c: each one's own
 * power and own weight). The tallies are exact and kept one vote at a time (gov_tally_add/sub in
 * gov.c, which also holds the quorum and approval test): a changed vote comes off and goes on again
 * with the power it first counted, and a delegator's first direct vote overrides its delegation for
 * that proposal by taking exactly what it added off its delegate's vote, at once or when the
 * delegate votes later (an override row). So a changed vote and an override cost O(1); a voter's
 * first vote reads its delegators at the snapshot, O(delegators). A conviction c > 0 locks the
 * voter's own power until vote_end + 2^(c-1) lock periods; the lock is the standing vote's. */
#include "governance/rules_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ledger/amount.h"
#include "ledger/ballot_box.h"
#include "ledger/hash.h"
#include "ledger/hex.h"
#include "ledger/stakes.h"

int gov_check_vote(char *err, size_t errlen, uint64_t support, uint64_t conviction)
{
    if (support > 2) {
        snprintf(err, errlen, "message.support: 0 (against), 1 (for) or 2 (abstain)");
        return ST_INVALID;
    }
    if (conviction > GOV_MAX_CONVICTION) {
        snprintf(err, errlen, "message.conviction: 0 to 6");
        return ST_INVALID;
    }
    return ST_OK;
}

static const char *const sides[] = { "against", "for", "abstain" };

/* A vote's weights come off (sign < 0) or go on (sign > 0) p's tallies: a Vote's on its side and
 * the turnout (gov.c), a ballot's on its poll's tally and the turnout (ballots.c). Returns: ST_OK,
 * ST_OVERFLOW (a tally would reach 2^256), or gov_ballot_count's failures. */
static int tally_change(gov_apply *a, gov_proposal *p, const gov_vote *v, int sign)
{
    if (v->choice || v->ciphertext)
        return gov_ballot_count(a, p, v, sign);
    if (sign < 0) {
        gov_tally_sub(p, v);
        return ST_OK;
    }
    return gov_tally_add(p, v) ? ST_OK : ST_OVERFLOW;
}

/* A delegator's first direct vote on p: what its delegation at the snapshot gave its delegate comes
 * off the delegate's vote (if it voted) and is remembered for the delegate's later votes. Out:
 * *delegate set to the delegate's address (NULL when the voter delegated nothing then). */
static int override_delegation(gov_apply *a, gov_proposal *p, const gov_vote *v, uint8_t delegate[20], bool *overrode)
{
    gov_delegation d;
    *overrode = false;
    int rc = gov_delegation_at(a->s, v->voter, p->snapshot, &d);
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
    rc = gov_override_get(a->s, p->id, d.delegate, op, ow);
    mpz_add(op, op, v->power);
    mpz_add(ow, ow, weight);
    if (rc == ST_OK)
        rc = gov_override_put(a->s, p->id, d.delegate, op, ow);
    if (rc == ST_OK && (rc = gov_vote_get(a->s, p->id, d.delegate, &dv)) == ST_OK
        && (rc = tally_change(a, p, &dv, -1)) == ST_OK) {
        /* the delegate carried exactly this delegator's own power and weight among its sums */
        mpz_sub(dv.delegated_power, dv.delegated_power, v->power);
        mpz_sub(dv.delegated_weight, dv.delegated_weight, weight);
        /* never short and never past 2^256 (less than it held): a ledger that says otherwise fails
         * this vote instead of stopping the node */
        if (mpz_sgn(dv.delegated_power) < 0 || mpz_sgn(dv.delegated_weight) < 0
            || (rc = tally_change(a, p, &dv, 1)) == ST_OVERFLOW)
            rc = ledger_fail(a->r, ST_CONFLICT, "the delegate's carried power on proposal %llu does not hold this vote's",
                             (unsigned long long)p->id);
        else if (rc == ST_OK)
            rc = gov_vote_update(a->s, &dv);
    } else if (rc == ST_NOTFOUND) {
        rc = ST_OK;
    }
    gov_vote_clear(&dv);
    mpz_clears(weight, op, ow, NULL);
    return rc;
}

int gov_check_ballot(char *err, size_t errlen, size_t choice_len, uint64_t conviction)
{
    if (choice_len == 0 || choice_len > GOV_POLL_BALLOT_TEXT_MAX) {
        snprintf(err, errlen, "message.choice: 1 to %d bytes of JSON text", GOV_POLL_BALLOT_TEXT_MAX);
        return ST_INVALID;
    }
    if (conviction > GOV_MAX_CONVICTION) {
        snprintf(err, errlen, "message.conviction: 0 to 6");
        return ST_INVALID;
    }
    return ST_OK;
}

int gov_check_secret_ballot(char *err, size_t errlen, size_t ciphertext_len, uint64_t conviction)
{
    if (!ledger_ballot_len_ok(ciphertext_len)) {
        snprintf(err, errlen, "message.ciphertext: 62 + 256\u00b7k bytes, k from 1 to 8");
        return ST_INVALID;
    }
    if (conviction > GOV_MAX_CONVICTION) {
        snprintf(err, errlen, "message.conviction: 0 to 6");
        return ST_INVALID;
    }
    return ST_OK;
}

/* What is cast: a Vote's side, a Ballot's choice (len bytes of JSON text) or a SecretBallot's
 * ciphertext (len bytes). */
typedef struct cast_msg {
    enum { CAST_VOTE, CAST_BALLOT, CAST_SECRET } kind;
    uint64_t support;               /* CAST_VOTE */
    const uint8_t *data;            /* CAST_BALLOT, CAST_SECRET (borrowed) */
    size_t len;
} cast_msg;

/* Whether m's members are in range (they were checked before it was queued: this is the rules'
 * own guard). */
static bool cast_in_range(const cast_msg *m, uint64_t conviction)
{
    if (conviction > GOV_MAX_CONVICTION)
        return false;
    if (m->kind == CAST_VOTE)
        return m->support <= 2;
    if (m->kind == CAST_BALLOT)
        return m->len > 0 && m->len <= GOV_POLL_BALLOT_TEXT_MAX;
    return ledger_ballot_len_ok(m->len);
}

/* The proposal takes what m casts: a poll only ballots its system can count (into b, whose choice
 * text v keeps), a secret poll only SecretBallots (whose ciphertext v keeps), and other proposals
 * only Votes. Returns: ST_OK; a failure in the receipt; ST_DB, ST_NOMEM. */
static int cast_fits(gov_apply *a, uint64_t id, const cast_msg *m, gov_ballot *b, gov_vote *v)
{
    int rc = ST_OK;
    if (m->kind == CAST_BALLOT) {
        if ((rc = gov_poll_read_ballot(a, id, b, (const char *)m->data, m->len)) != ST_OK)
            return rc;
        return (v->choice = strndup((const char *)m->data, m->len)) ? ST_OK : ST_NOMEM;
    }
    enum gov_poll_kind kind = gov_poll_kind_of(a, id, &rc);
    if (rc != ST_OK)
        return rc;
    if (m->kind == CAST_SECRET) {
        if (kind != GOV_SECRET_POLL)
            return ledger_fail(a->r, ST_CONFLICT, "proposal %llu is not a secret poll", (unsigned long long)id);
        if (!(v->ciphertext = malloc(m->len)))
            return ST_NOMEM;
        memcpy(v->ciphertext, m->data, m->len);
        v->ciphertext_len = m->len;
        return ST_OK;
    }
    if (kind == GOV_SECRET_POLL)
        return ledger_fail(a->r, ST_CONFLICT, "proposal %llu is a secret poll: cast a SecretBallot", (unsigned long long)id);
    if (kind == GOV_OPEN_POLL)
        return ledger_fail(a->r, ST_CONFLICT, "proposal %llu is a poll: cast a Ballot", (unsigned long long)id);
    return ST_OK;
}

/* The event of a cast: VoteCast/VoteChanged with the side, BallotCast/BallotChanged with the
 * choice, SecretBallotCast/SecretBallotChanged with only the ciphertext's sha256, never a choice. */
static int cast_event(gov_apply *a, const cast_msg *m, const gov_vote *v, bool changed, uint64_t until, bool overrode,
                      const uint8_t delegate[20])
{
    static const char *const types[3][2] = { { "VoteCast", "VoteChanged" }, { "BallotCast", "BallotChanged" },
                                             { "SecretBallotCast", "SecretBallotChanged" } };
    char hex[67];
    if (m->kind == CAST_SECRET) {
        uint8_t hash[32];
        ledger_sha256(hash, v->ciphertext, v->ciphertext_len);
        ledger_hex_encode(hex, hash, 32);
    }
    ledger_ev *ev = gov_proposal_event(a, types[m->kind][changed], v->proposal);
    bool ok = ev && ledger_event_address(ev, "voter", v->voter)
              && (m->kind == CAST_VOTE ? ledger_event_string(ev, "support", sides[v->support])
                  : m->kind == CAST_BALLOT ? ledger_event_string(ev, "choice", v->choice) : true)
              && ledger_event_number(ev, "conviction", v->conviction) && ledger_event_amount(ev, "power", v->power)
              && ledger_event_amount(ev, "weight", v->weight) && ledger_event_amount(ev, "delegatedPower", v->delegated_power)
              && ledger_event_amount(ev, "delegatedWeight", v->delegated_weight)
              && (!until || ledger_event_number(ev, "lockedUntil", (double)until))
              && (!overrode || ledger_event_address(ev, "overrides", delegate))
              && (m->kind != CAST_SECRET || ledger_event_string(ev, "ciphertextHash", hex));
    return ok ? ST_OK : ST_NOMEM;
}

/* Vote, Ballot and SecretBallot alike: the power, delegation, replacement, override and lock are the
 * same; a Vote goes on the side's tally, a ballot on its poll's. */
static int cast(gov_apply *a, const uint8_t voter[20], uint64_t id, uint64_t conviction, const cast_msg *m)
{
    gov_proposal p;
    gov_proposal_init(&p);
    gov_vote v, old;
    gov_vote_init(&v);
    gov_vote_init(&old);
    mpz_t op, ow, locked;
    mpz_inits(op, ow, locked, NULL);
    uint8_t delegate[20];
    bool overrode = false;
    gov_ballot b;
    gov_ballot_init(&b);
    int rc = ST_OK;
    if (!cast_in_range(m, conviction))
        rc = ledger_fail(a->r, ST_INVALID,
                         m->kind == CAST_BALLOT ? "a choice of 1 to %d bytes and conviction 0..6"
                         : m->kind == CAST_SECRET ? "a ciphertext of 62 + 256\u00b7k bytes (k from 1 to 8) and conviction 0..6"
                         : "support 0..2 and conviction 0..6",
                         GOV_POLL_BALLOT_TEXT_MAX);
    if (rc == ST_OK)
        rc = gov_load_proposal(a, id, &p);
    if (rc != ST_OK)
        goto out;
    if (p.state != GOV_ACTIVE || a->time < p.vote_start || a->time >= p.vote_end) {
        rc = ledger_fail(a->r, ST_CONFLICT, "proposal %llu is %s: votes are taken only while it is Active (%llu to %llu)",
                         (unsigned long long)id, gov_state_name(p.state), (unsigned long long)p.vote_start,
                         (unsigned long long)p.vote_end);
        goto out;
    }
    if ((rc = cast_fits(a, id, m, &b, &v)) != ST_OK)
        goto out;
    v.proposal = id;
    memcpy(v.voter, voter, 20);
    v.support = m->kind == CAST_VOTE ? (uint8_t)m->support : 0;
    v.conviction = (uint8_t)conviction;
    /* a changed vote replaces the old one: its weight and power come off the tallies first, and
     * what it counted at the snapshot (less overrides since) is what the new one counts */
    rc = gov_vote_get(a->s, id, voter, &old);
    bool changed = rc == ST_OK;
    if (changed) {
        mpz_set(v.power, old.power);
        mpz_set(v.delegated_power, old.delegated_power);
        mpz_set(v.delegated_weight, old.delegated_weight);
        if ((rc = tally_change(a, &p, &old, -1)) != ST_OK)
            goto out;
    } else if (rc == ST_NOTFOUND) {
        /* an override row of this voter is written only by a delegator with power at the snapshot,
         * whose power the voter then carries: with none carried there is none to read */
        if ((rc = gov_power_at(a->l, a->s, voter, p.snapshot, v.power, v.delegated_power, v.delegated_weight)) != ST_OK
            || (mpz_sgn(v.delegated_power) > 0 && (rc = gov_override_get(a->s, id, voter, op, ow)) != ST_OK))
            goto out;
        /* delegators who voted themselves are not carried */
        mpz_sub(v.delegated_power, v.delegated_power, op);
        mpz_sub(v.delegated_weight, v.delegated_weight, ow);
        if (mpz_sgn(v.power) == 0 && mpz_sgn(v.delegated_power) == 0) {
            rc = ledger_fail(a->r, ST_UNAUTHORIZED, "no voting power: nothing staked or delegated at the snapshot (height %llu)",
                             (unsigned long long)p.snapshot);
            goto out;
        }
        if ((rc = override_delegation(a, &p, &v, delegate, &overrode)) != ST_OK)
            goto out;
    } else {
        goto out;
    }
    gov_weight(v.weight, v.power, v.conviction);
    /* the tally holds this vote's weights and power: if it fits, they do */
    if ((rc = tally_change(a, &p, &v, 1)) == ST_OVERFLOW) {
        rc = ledger_fail(a->r, ST_OVERFLOW, "the %s tally of proposal %llu would reach 2^256",
                         m->kind == CAST_VOTE ? sides[v.support] : "poll's", (unsigned long long)id);
        goto out;
    }
    if (rc != ST_OK)
        goto out;
    if ((rc = changed ? gov_vote_update(a->s, &v) : gov_vote_put(a->s, &v)) != ST_OK
        || (rc = gov_proposal_update(a->s, &p)) != ST_OK)
        goto out;
    /* the lock is the standing vote's (OpenGov replaces a replaced vote's lock while the poll is
     * ongoing, and a vote changes only while Active): conviction 0 or no own power locks nothing */
    uint64_t until = 0;
    if (v.conviction > 0 && mpz_sgn(v.power) > 0) {
        until = p.vote_end + (uint64_t)gov_lock_periods(v.conviction) * a->params->lock_period;
        mpz_set(locked, v.power);
    }
    if ((rc = gov_lock_set(a->s, voter, id, locked, until)) != ST_OK)
        goto out;
    rc = cast_event(a, m, &v, changed, until, overrode, delegate);
out:
    gov_ballot_clear(&b);
    mpz_clears(op, ow, locked, NULL);
    gov_vote_clear(&old);
    gov_vote_clear(&v);
    gov_proposal_clear(&p);
    return rc;
}

int gov_cast_vote(gov_apply *a, const uint8_t voter[20], uint64_t id, uint64_t support, uint64_t conviction)
{
    const cast_msg m = { .kind = CAST_VOTE, .support = support };
    return cast(a, voter, id, conviction, &m);
}

int gov_cast_ballot(gov_apply *a, const uint8_t voter[20], uint64_t id, const uint8_t *choice, size_t len, uint64_t conviction)
{
    const cast_msg m = { .kind = CAST_BALLOT, .data = choice, .len = len };
    return cast(a, voter, id, conviction, &m);
}

int gov_cast_secret_ballot(gov_apply *a, const uint8_t voter[20], uint64_t id, const uint8_t *ciphertext, size_t len,
                           uint64_t conviction)
{
    const cast_msg m = { .kind = CAST_SECRET, .data = ciphertext, .len = len };
    return cast(a, voter, id, conviction, &m);
}

/* ---- locks ---- */

int gov_check_withdraw(gov_apply *a, const uint8_t staker[20], const mpz_t leaving)
{
    gov_delegation d;
    int rc = gov_delegation_get(a->s, staker, &d);
    if (rc == ST_OK && d.conviction > 0)
        return ledger_fail(a->r, ST_CONFLICT, "stake is locked while delegating with conviction %u (after Undelegate it stays for %u lock periods)",
                           d.conviction, gov_lock_periods(d.conviction));
    if (rc != ST_OK && rc != ST_NOTFOUND)
        return rc;
    mpz_t locked, staked;
    mpz_inits(locked, staked, NULL);
    uint64_t until = 0;
    rc = gov_lock_max(a->s, staker, a->time, locked, &until);
    if (rc == ST_OK && mpz_sgn(locked) > 0 && (rc = ledger_stake_value_at(a->l, staker, a->height, staked)) == ST_OK) {
        mpz_sub(staked, staked, leaving);
        if (mpz_cmp(staked, locked) < 0) {
            char t1[LEDGER_AMOUNT_STRLEN];
            ledger_amount_format(t1, locked);
            rc = ledger_fail(a->r, ST_CONFLICT, "%s of stake is locked by governance until %llu", t1, (unsigned long long)until);
        }
    }
    mpz_clears(locked, staked, NULL);
    return rc;
}
