/* SPDX-License-Identifier: MIT */
/* delegation.c: delegation of voting power (DESIGN "Governance"): Delegate(to, conviction) and
 * Undelegate, without chains (a delegate never delegates; a delegator has no delegators), and the
 * voting power of an address at a height: its own staked value, and what its delegators held then.
 * A delegate's delegators are never scanned: their shares are kept summed per (delegate, pool,
 * conviction) and checkpointed by height as they change (the staking hook below), so a vote reads
 * one value per pool and conviction. Each sum is valued at the pool's price of the snapshot and
 * floored once, so it is never less than the delegators' own floored values, and an override can
 * take each of them off without going below zero. A delegation with conviction locks the
 * delegator's stake while it lasts and for the conviction's lock periods after Undelegate. */
#include "engine/engine_int.h"
#include "engine/governance.h"
#include "engine/staking.h"

#include <stdlib.h>
#include <string.h>
#include "ledger/hex.h"
#include "ledger/stakes.h"

/* What a delegate's delegators hold, summed per conviction over pools at a height. */
typedef struct delegated_sum {
    eng *e;
    uint64_t height;
    mpz_t by_conviction[GOV_MAX_CONVICTION + 1];
    mpz_t stake, shares, value;
} delegated_sum;

static int add_delegated(void *ctx, uint64_t pool, unsigned conviction, const mpz_t shares)
{
    delegated_sum *d = ctx;
    int rc = ledger_pool_at(d->e->ledger, pool, d->height, d->stake, d->shares);
    if (rc != ST_OK || mpz_sgn(d->shares) == 0 || conviction > GOV_MAX_CONVICTION)
        return rc;
    /* floor per pool, as a staker's own value: the sum is never below its delegators' own values */
    mpz_mul(d->value, shares, d->stake);
    mpz_fdiv_q(d->value, d->value, d->shares);
    mpz_add(d->by_conviction[conviction], d->by_conviction[conviction], d->value);
    return ST_OK;
}

int eng_gov_power_at(eng *e, const uint8_t address[20], uint64_t height, mpz_t own, mpz_t delegated, mpz_t delegated_weight)
{
    delegated_sum d = { .e = e, .height = height };
    for (unsigned c = 0; c <= GOV_MAX_CONVICTION; c++)
        mpz_init(d.by_conviction[c]);
    mpz_inits(d.stake, d.shares, d.value, NULL);
    mpz_set_ui(delegated, 0);
    mpz_set_ui(delegated_weight, 0);
    int rc = eng_staking_power_at(e, address, height, own);
    if (rc == ST_OK)
        rc = gov_delegated_each(e->gov, address, height, add_delegated, &d);
    for (unsigned c = 0; c <= GOV_MAX_CONVICTION && rc == ST_OK; c++) {
        /* the conviction is applied to each class's sum: an override takes off at most as much */
        mpz_add(delegated, delegated, d.by_conviction[c]);
        gov_weight(d.value, d.by_conviction[c], c);
        mpz_add(delegated_weight, delegated_weight, d.value);
    }
    for (unsigned c = 0; c <= GOV_MAX_CONVICTION; c++)
        mpz_clear(d.by_conviction[c]);
    mpz_clears(d.stake, d.shares, d.value, NULL);
    return rc;
}

/* Moves every share the delegator holds now into (add) or out of a delegate's delegated shares. */
static int move_delegated(eng_apply *a, const gov_delegation *d, bool add)
{
    enum { MAX_POOLS = 4096 };
    uint64_t *ids = malloc(MAX_POOLS * sizeof *ids);
    unsigned n = 0;
    if (!ids)
        return ST_NOMEM;
    ledger_stake st;
    ledger_stake_init(&st);
    int rc = ledger_stake_pools_of(a->e->ledger, d->delegator, ids, MAX_POOLS, &n);
    for (unsigned i = 0; i < n && rc == ST_OK; i++) {
        rc = ledger_stake_get(a->e->ledger, ids[i], d->delegator, &st);
        if (rc == ST_OK && mpz_sgn(st.shares) > 0) {
            if (!add)
                mpz_neg(st.shares, st.shares);
            rc = gov_delegated_add(a->e->gov, d->delegate, ids[i], d->conviction, st.shares, a->height);
        }
    }
    ledger_stake_clear(&st);
    free(ids);
    return rc;
}

int eng_gov_shares_changed(eng_apply *a, uint64_t pool, const uint8_t staker[20], const mpz_t delta)
{
    gov_delegation d;
    int rc = gov_delegation_get(a->e->gov, staker, &d);
    if (rc == ST_NOTFOUND)
        return ST_OK;
    return rc == ST_OK ? gov_delegated_add(a->e->gov, d.delegate, pool, d.conviction, delta, a->height) : rc;
}

int eng_check_delegate(eng *e, const ledger_tx *tx, char *err, size_t errlen)
{
    (void)e;
    uint8_t to[20];
    uint64_t conviction;
    if (ledger_tx_get_u64(tx, "conviction", &conviction) != ST_OK || conviction > GOV_MAX_CONVICTION) {
        snprintf(err, errlen, "message.conviction: 0 to 6");
        return ST_INVALID;
    }
    if (ledger_tx_get_address(tx, "to", to) != ST_OK || memcmp(to, tx->signer, 20) == 0) {
        snprintf(err, errlen, "message.to: another address than the signer's");
        return ST_INVALID;
    }
    return ST_OK;
}

int eng_apply_delegate(eng_apply *a)
{
    const ledger_tx *tx = &a->item->tx;
    gov_delegation d = { .since = a->height }, have;
    uint64_t conviction;
    bool has = false;
    int rc = ledger_tx_get_address(tx, "to", d.delegate);
    if (rc == ST_OK)
        rc = ledger_tx_get_u64(tx, "conviction", &conviction);
    if (rc == ST_OK && (conviction > GOV_MAX_CONVICTION || memcmp(d.delegate, tx->signer, 20) == 0))
        return eng_fail(a, ST_INVALID, "conviction 0..6 and another address than the signer's");
    if (rc != ST_OK)
        return rc;
    memcpy(d.delegator, tx->signer, 20);
    d.conviction = (uint8_t)conviction;
    char who[43];
    if ((rc = gov_delegation_get(a->e->gov, tx->signer, &have)) != ST_NOTFOUND) {
        ledger_addr_format(who, have.delegate);
        return rc != ST_OK ? rc : eng_fail(a, ST_CONFLICT, "already delegating to %s: Undelegate first", who);
    }
    if ((rc = gov_delegation_get(a->e->gov, d.delegate, &have)) != ST_NOTFOUND) {
        ledger_addr_format(who, have.delegate);
        return rc != ST_OK ? rc : eng_fail(a, ST_CONFLICT, "the delegate delegates to %s itself: no delegation chains", who);
    }
    if ((rc = gov_has_delegators(a->e->gov, tx->signer, &has)) != ST_OK)
        return rc;
    if (has)
        return eng_fail(a, ST_CONFLICT, "others delegate to the signer: no delegation chains");
    if ((rc = gov_delegation_put(a->e->gov, &d)) != ST_OK || (rc = move_delegated(a, &d, true)) != ST_OK)
        return rc;
    cJSON *ev = eng_event(a, "Delegated");
    if (!ev || !eng_event_address(ev, "delegator", d.delegator) || !eng_event_address(ev, "to", d.delegate)
        || !cJSON_AddNumberToObject(ev, "conviction", d.conviction))
        return ST_NOMEM;
    return ST_OK;
}

int eng_apply_undelegate(eng_apply *a)
{
    const ledger_tx *tx = &a->item->tx;
    gov_delegation d;
    int rc = gov_delegation_get(a->e->gov, tx->signer, &d);
    if (rc == ST_NOTFOUND)
        return eng_fail(a, rc, "not delegating");
    if (rc != ST_OK || (rc = move_delegated(a, &d, false)) != ST_OK
        || (rc = gov_delegation_remove(a->e->gov, tx->signer, a->height)) != ST_OK)
        return rc;
    /* the conviction's lock runs from now: the stake stays as long as a vote of that conviction would */
    uint64_t until = 0;
    mpz_t power;
    mpz_init(power);
    if (d.conviction > 0 && (rc = eng_staking_power_at(a->e, tx->signer, a->height, power)) == ST_OK && mpz_sgn(power) > 0) {
        until = a->time + (uint64_t)gov_lock_periods(d.conviction) * a->e->genesis.governance.lock_period;
        rc = gov_lock_put(a->e->gov, tx->signer, 0, power, until);
    }
    cJSON *ev = rc == ST_OK ? eng_event(a, "Undelegated") : NULL;
    if (rc == ST_OK && (!ev || !eng_event_address(ev, "delegator", d.delegator) || !eng_event_address(ev, "from", d.delegate)
                        || (until && (!eng_event_amount(ev, "locked", power)
                                      || !cJSON_AddNumberToObject(ev, "lockedUntil", (double)until)))))
        rc = ST_NOMEM;
    mpz_clear(power);
    return rc;
}
