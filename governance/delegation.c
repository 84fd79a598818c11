/* SPDX-License-Identifier: MIT */
/* delegation.c: delegation of voting power (docs/API.md "Governance"): Delegate(to, conviction) and
 * Undelegate, without chains (a delegate never delegates; a delegator has no delegators), and the
 * voting power of an address at a height: its own staked value, and what its delegators held then.
 * Voting power is floored per account (OpenGov's Conviction::votes): a delegate carries the sum of
 * each delegator's own power at the snapshot, which is exactly what that delegator would vote with
 * itself, and the sum of each one's own weight, so a delegator's override takes off exactly what it
 * added. The delegators in force at a height are read from their checkpoints, a page at a time. A
 * delegation with conviction locks the delegator's stake while it lasts and for the conviction's
 * lock periods after Undelegate. */
#include "governance/rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ledger/hex.h"
#include "ledger/stakes.h"

#define DELEGATORS_PAGE 128

int gov_power_at(ledger *l, gov_store *s, const uint8_t address[20], uint64_t height, mpz_t own, mpz_t delegated,
                 mpz_t delegated_weight)
{
    /* on the stack (7 KiB): every vote reads a power, and glibc's malloc and free of a block this
     * size cost ~2.7k instructions */
    gov_delegation page[DELEGATORS_PAGE];
    mpz_t power, weight;
    mpz_inits(power, weight, NULL);
    mpz_set_ui(delegated, 0);
    mpz_set_ui(delegated_weight, 0);
    uint8_t cursor[20];
    unsigned n = 0;
    bool more = false, first = true;
    int rc = ledger_stake_value_at(l, address, height, own);
    while (rc == ST_OK && (first || more)) {
        rc = gov_delegators_at(s, address, height, first ? NULL : cursor, DELEGATORS_PAGE, page, &n, &more);
        for (unsigned i = 0; i < n && rc == ST_OK; i++) {
            /* each delegator's own power and weight, floored as its own vote would be */
            rc = ledger_stake_value_at(l, page[i].delegator, height, power);
            mpz_add(delegated, delegated, power);
            gov_weight(weight, power, page[i].conviction);
            mpz_add(delegated_weight, delegated_weight, weight);
        }
        if (n)
            memcpy(cursor, page[n - 1].delegator, 20);
        first = false;
    }
    mpz_clears(power, weight, NULL);
    return rc;
}

int gov_check_delegate(char *err, size_t errlen, const uint8_t delegator[20], const uint8_t *to, uint64_t conviction)
{
    if (conviction > GOV_MAX_CONVICTION) {
        snprintf(err, errlen, "message.conviction: 0 to 6");
        return ST_INVALID;
    }
    if (!to || memcmp(to, delegator, 20) == 0) {
        snprintf(err, errlen, "message.to: another address than the signer's");
        return ST_INVALID;
    }
    return ST_OK;
}

int gov_delegate(gov_apply *a, const uint8_t delegator[20], const uint8_t to[20], uint64_t conviction)
{
    gov_delegation d = { .since = a->height }, have;
    bool has = false;
    int rc;
    if (conviction > GOV_MAX_CONVICTION || memcmp(to, delegator, 20) == 0)
        return ledger_fail(a->r, ST_INVALID, "conviction 0..6 and another address than the signer's");
    memcpy(d.delegate, to, 20);
    memcpy(d.delegator, delegator, 20);
    d.conviction = (uint8_t)conviction;
    char who[43];
    if ((rc = gov_delegation_get(a->s, delegator, &have)) != ST_NOTFOUND) {
        ledger_addr_format(who, have.delegate);
        return rc != ST_OK ? rc : ledger_fail(a->r, ST_CONFLICT, "already delegating to %s: Undelegate first", who);
    }
    if ((rc = gov_delegation_get(a->s, d.delegate, &have)) != ST_NOTFOUND) {
        ledger_addr_format(who, have.delegate);
        return rc != ST_OK ? rc : ledger_fail(a->r, ST_CONFLICT, "the delegate delegates to %s itself: no delegation chains", who);
    }
    if ((rc = gov_has_delegators(a->s, delegator, &has)) != ST_OK)
        return rc;
    if (has)
        return ledger_fail(a->r, ST_CONFLICT, "others delegate to the signer: no delegation chains");
    if ((rc = gov_delegation_put(a->s, &d)) != ST_OK)
        return rc;
    ledger_ev *ev = ledger_event(a->r, "Delegated");
    if (!ev || !ledger_event_address(ev, "delegator", d.delegator) || !ledger_event_address(ev, "to", d.delegate)
        || !ledger_event_number(ev, "conviction", d.conviction))
        return ST_NOMEM;
    return ST_OK;
}

int gov_undelegate(gov_apply *a, const uint8_t delegator[20])
{
    gov_delegation d;
    int rc = gov_delegation_get(a->s, delegator, &d);
    if (rc == ST_NOTFOUND)
        return ledger_fail(a->r, rc, "not delegating");
    if (rc != ST_OK || (rc = gov_delegation_remove(a->s, delegator, a->height)) != ST_OK)
        return rc;
    /* the conviction's lock runs from now: the stake stays as long as a vote of that conviction would */
    uint64_t until = 0;
    mpz_t power;
    mpz_init(power);
    if (d.conviction > 0 && (rc = ledger_stake_value_at(a->l, delegator, a->height, power)) == ST_OK && mpz_sgn(power) > 0) {
        until = a->time + (uint64_t)gov_lock_periods(d.conviction) * a->params->lock_period;
        rc = gov_lock_put(a->s, delegator, 0, power, until);
    }
    ledger_ev *ev = rc == ST_OK ? ledger_event(a->r, "Undelegated") : NULL;
    if (rc == ST_OK && (!ev || !ledger_event_address(ev, "delegator", d.delegator) || !ledger_event_address(ev, "from", d.delegate)
                        || (until && (!ledger_event_amount(ev, "locked", power)
                                          || !ledger_event_number(ev, "lockedUntil", (double)until)))))
        rc = ST_NOMEM;
    mpz_clear(power);
    return rc;
}
