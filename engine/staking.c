/* SPDX-License-Identifier: MIT */
/* staking.c: the model of stake pools (see staking.h), the helpers that the staking transactions
 * (staking_tx.c) and the staking tick (staking_tick.c) share inside a block, and the entry points
 * of rewards, slashes and offences that the settlement and the dev system types use.
 * Every rounding favours the pool (the stakers who stay): shares minted and amounts paid are
 * floored; the reward remainder is carried, never lost; the slash amount is floored. */
#include "engine/engine_int.h"
#include "engine/staking.h"
#include "engine/staking_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ledger/amount.h"
#include "ledger/hex.h"

const eng_staking_params *eng_staking_params_of(const eng *e)
{
    return &e->genesis.staking;
}

static void acc_scale(mpz_t out)
{
    mpz_ui_pow_ui(out, 10, LEDGER_ACC_SCALE_DIGITS);
}

uint32_t eng_staking_commission_at(const ledger_pool *p, uint64_t now)
{
    return p->commission_pending && now >= p->pending_commission_at ? p->pending_commission_ppm : p->commission_ppm;
}

void eng_staking_free(mpz_t out, const ledger_pool *p)
{
    mpz_sub(out, p->stake, p->bonded);
    mpz_sub(out, out, p->unbonding);
}

void eng_staking_value(mpz_t out, const mpz_t shares, const ledger_pool *p)
{
    if (mpz_sgn(p->shares) == 0) {
        mpz_set_ui(out, 0);
        return;
    }
    mpz_mul(out, shares, p->stake);
    mpz_fdiv_q(out, out, p->shares);
}

void eng_staking_pending(mpz_t out, const ledger_pool *p, const ledger_stake *s)
{
    mpz_t scale;
    mpz_init(scale);
    acc_scale(scale);
    mpz_mul(out, s->shares, p->acc);
    mpz_sub(out, out, s->debt);
    mpz_fdiv_q(out, out, scale);
    mpz_clear(scale);
}

/* ---- helpers inside a block ---- */

char *eng_staking_amount_text(char buf[LEDGER_AMOUNT_STRLEN], const mpz_t v)
{
    ledger_amount_format(buf, v);
    return buf;
}

/* Loads a pool, applying a commission raise whose notice has passed. */
int eng_staking_load_pool(eng_apply *a, uint64_t id, ledger_pool *p)
{
    int rc = ledger_pool_get(a->e->ledger, id, p);
    if (rc == ST_NOTFOUND)
        return ledger_fail(&a->r, rc, "no pool %llu", (unsigned long long)id);
    if (rc == ST_OK && p->commission_pending && a->time >= p->pending_commission_at) {
        p->commission_ppm = p->pending_commission_ppm;
        p->commission_pending = false;
    }
    return rc;
}

int eng_staking_save_pool(eng_apply *a, const ledger_pool *p, bool checkpoint)
{
    int rc = ledger_pool_update(a->e->ledger, p);
    if (rc == ST_OK && checkpoint)
        rc = ledger_pool_checkpoint(a->e->ledger, p);
    return rc;
}

int eng_staking_move(eng_apply *a, const ledger_account *from, const ledger_account *to, const mpz_t amount, const char *code)
{
    if (mpz_sgn(amount) == 0)
        return ST_OK;
    int rc = ledger_transfer(a->e->ledger, from, to, amount, code);
    if (rc == ST_INSUFFICIENT) {
        char need[LEDGER_AMOUNT_STRLEN];
        return ledger_fail(&a->r, rc, "insufficient balance: %s needed", eng_staking_amount_text(need, amount));
    }
    return rc;
}

ledger_ev *eng_staking_pool_event(eng_apply *a, const char *type, uint64_t pool)
{
    size_t mark = ledger_events_mark(&a->r);
    ledger_ev *ev = ledger_event(&a->r, type);
    if (ev && !ledger_event_number(ev, "pool", (double)pool)) {
        ledger_events_truncate(&a->r, mark);
        return NULL;
    }
    return ev;
}

/* Pays a staker's pending rewards into its claimable balance and resets its debt. */
int eng_staking_settle(eng_apply *a, const ledger_pool *p, ledger_stake *s)
{
    mpz_t pending;
    mpz_init(pending);
    eng_staking_pending(pending, p, s);
    ledger_account from = ledger_pool_account(LEDGER_POOL_REWARDS, p->id),
                   to = ledger_user_account(LEDGER_CLAIMABLE, s->address);
    int rc = eng_staking_move(a, &from, &to, pending, "reward");
    mpz_mul(s->debt, s->shares, p->acc);
    mpz_clear(pending);
    return rc;
}

/* Changes a staker's shares by delta (settling first) and stores the row with its checkpoint. */
int eng_staking_change_shares(eng_apply *a, ledger_pool *p, const uint8_t address[20], const mpz_t delta, bool add)
{
    ledger_stake s;
    ledger_stake_init(&s);
    int rc = ledger_stake_get(a->e->ledger, p->id, address, &s);
    if (rc == ST_OK)
        rc = eng_staking_settle(a, p, &s);
    if (rc == ST_OK) {
        if (add) {
            mpz_add(s.shares, s.shares, delta);
            mpz_add(p->shares, p->shares, delta);
        } else {
            mpz_sub(s.shares, s.shares, delta);
            mpz_sub(p->shares, p->shares, delta);
        }
        mpz_mul(s.debt, s.shares, p->acc);
        rc = ledger_stake_put(a->e->ledger, &s);
    }
    ledger_stake_clear(&s);
    return rc;
}

/* Pays the withdraw queue, first in first out, from the pool's free stake: each request at the
 * price of the moment it is paid; a request larger than the free stake is paid in part. */
int eng_staking_fill_queue(eng_apply *a, ledger_pool *p)
{
    ledger_withdrawal w;
    ledger_withdrawal_init(&w);
    mpz_t free_stake, part, pay;
    mpz_inits(free_stake, part, pay, NULL);
    int rc = ST_OK;
    while (rc == ST_OK) {
        eng_staking_free(free_stake, p);
        /* a pool slashed to zero stake pays its queue at the shares' worth, zero, so its stakers can leave */
        bool worthless = mpz_sgn(p->stake) == 0;
        if (mpz_sgn(p->shares) == 0 || (mpz_sgn(free_stake) <= 0 && !worthless))
            break;
        rc = ledger_withdrawal_head(a->e->ledger, p->id, &w);
        if (rc == ST_NOTFOUND) {
            rc = ST_OK;
            break;
        }
        if (rc != ST_OK)
            break;
        eng_staking_value(pay, w.shares, p);
        bool whole = mpz_cmp(pay, free_stake) <= 0;
        if (whole) {
            mpz_set(part, w.shares);
        } else {
            /* the most shares the free stake pays for, priced down */
            mpz_mul(part, free_stake, p->shares);
            mpz_fdiv_q(part, part, p->stake);
            if (mpz_sgn(part) == 0)
                break;
            eng_staking_value(pay, part, p);
        }
        ledger_account from = ledger_pool_account(LEDGER_POOL_STAKE, p->id),
                       to = ledger_user_account(LEDGER_FREE, w.address);
        if ((rc = eng_staking_change_shares(a, p, w.address, part, false)) != ST_OK || (rc = eng_staking_move(a, &from, &to, pay, "withdraw")) != ST_OK)
            break;
        mpz_sub(p->stake, p->stake, pay);
        mpz_sub(w.shares, w.shares, part);
        rc = whole ? ledger_withdrawal_delete(a->e->ledger, p->id, w.address) : ledger_withdrawal_put(a->e->ledger, &w);
        ledger_ev *ev = eng_staking_pool_event(a, "WithdrawalPaid", p->id);
        if (!ev || !ledger_event_address(ev, "staker", w.address) || !ledger_event_amount(ev, "shares", part)
            || !ledger_event_amount(ev, "amount", pay) || !ledger_event_amount(ev, "sharesStillQueued", w.shares))
            rc = ST_NOMEM;
        if (!whole)
            break;
    }
    mpz_clears(free_stake, part, pay, NULL);
    ledger_withdrawal_clear(&w);
    return rc;
}

/* Moves amount of a worker's bonded stake into the cooldown; used by WorkerUnbond and the tick. */
int eng_staking_require_owner(eng_apply *a, const ledger_pool *p)
{
    if (memcmp(p->owner, a->item->tx.signer, 20) == 0)
        return ST_OK;
    char owner[LEDGER_ADDR_STRLEN];
    ledger_addr_format(owner, p->owner);
    return ledger_fail(&a->r, ST_UNAUTHORIZED, "only the owner of pool %llu (%s) may do this", (unsigned long long)p->id, owner);
}

int eng_staking_unbond(eng_apply *a, ledger_pool *p, ledger_worker *w, const mpz_t amount, bool forced)
{
    ledger_unbonding u;
    ledger_unbonding_init(&u);
    u.pool = p->id;
    memcpy(u.worker, w->address, 20);
    mpz_set(u.amount, amount);
    u.release_at = a->time + a->e->genesis.staking.unbonding_period;
    mpz_sub(w->bonded, w->bonded, amount);
    mpz_sub(p->bonded, p->bonded, amount);
    mpz_add(p->unbonding, p->unbonding, amount);
    if (mpz_sgn(w->bonded) == 0) {
        /* it stops computing: a later bond starts it again from a new initial V */
        w->started = false;
        mpz_set_ui(w->value, 0);
    }
    int rc = ledger_unbonding_insert(a->e->ledger, &u);
    if (rc == ST_OK)
        rc = ledger_worker_put(a->e->ledger, w);
    ledger_ev *ev = rc == ST_OK ? eng_staking_pool_event(a, "WorkerUnbonded", p->id) : NULL;
    if (rc == ST_OK && (!ev || !ledger_event_address(ev, "worker", w->address) || !ledger_event_amount(ev, "amount", amount)
                        || !ledger_event_number(ev, "releaseAt", (double)u.release_at)
                        || !ledger_event_bool(ev, "forced", forced)))
        rc = ST_NOMEM;
    ledger_unbonding_clear(&u);
    return rc;
}

/* ---- internal entry points ---- */

int eng_staking_reward(eng_apply *a, uint64_t pool, const ledger_account *from, const mpz_t amount)
{
    ledger_pool p;
    ledger_pool_init(&p);
    mpz_t commission, rest, num, scale;
    mpz_inits(commission, rest, num, scale, NULL);
    int rc = eng_staking_load_pool(a, pool, &p);
    if (rc != ST_OK)
        goto out;
    mpz_mul_ui(commission, amount, p.commission_ppm);
    mpz_fdiv_q_ui(commission, commission, LEDGER_PPM);
    if (mpz_sgn(p.shares) == 0)
        mpz_set(commission, amount); /* no stakers: the owner takes it all */
    mpz_sub(rest, amount, commission);
    ledger_account owner = ledger_user_account(LEDGER_CLAIMABLE, p.owner), rewards = ledger_pool_account(LEDGER_POOL_REWARDS, pool);
    if ((rc = eng_staking_move(a, from, &owner, commission, "commission")) != ST_OK || (rc = eng_staking_move(a, from, &rewards, rest, "reward")) != ST_OK)
        goto out;
    if (mpz_sgn(p.shares) > 0) {
        /* acc += (rest * 10^36 + carried) / S; the new remainder is carried to the next reward */
        acc_scale(scale);
        mpz_mul(num, rest, scale);
        mpz_add(num, num, p.acc_rem);
        mpz_fdiv_qr(num, p.acc_rem, num, p.shares);
        mpz_add(p.acc, p.acc, num);
    }
    if ((rc = eng_staking_save_pool(a, &p, false)) != ST_OK)
        goto out;
    ledger_ev *ev = eng_staking_pool_event(a, "PoolRewarded", pool);
    if (!ev || !ledger_event_amount(ev, "amount", amount) || !ledger_event_amount(ev, "commission", commission))
        rc = ST_NOMEM;
out:
    mpz_clears(commission, rest, num, scale, NULL);
    ledger_pool_clear(&p);
    return rc;
}

/* Burns ppm of a worker's bonded stake and of its stake still unbonding (leaving does not escape a
 * slash, unlike in Phala and Cosmos where unbonding stake is spared or only partly). */
int eng_staking_slash(eng_apply *a, const uint8_t worker[20], uint32_t ppm)
{
    enum { MAX_ENTRIES = 256 };
    ledger_pool p;
    ledger_worker w;
    ledger_pool_init(&p);
    ledger_worker_init(&w);
    ledger_unbonding *entries = calloc(MAX_ENTRIES, sizeof *entries);
    unsigned n = 0;
    mpz_t bonded_cut, unbonding_cut, cut, total;
    mpz_inits(bonded_cut, unbonding_cut, cut, total, NULL);
    if (ppm > LEDGER_PPM)
        ppm = LEDGER_PPM;
    int rc = entries ? ledger_worker_get(a->e->ledger, worker, &w) : ST_NOMEM;
    if (rc == ST_NOTFOUND)
        rc = ledger_fail(&a->r, rc, "no such worker");
    if (rc == ST_OK)
        rc = eng_staking_load_pool(a, w.pool, &p);
    if (rc != ST_OK)
        goto out;
    for (unsigned i = 0; i < MAX_ENTRIES; i++)
        ledger_unbonding_init(&entries[i]);
    mpz_mul_ui(bonded_cut, w.bonded, ppm);
    mpz_fdiv_q_ui(bonded_cut, bonded_cut, LEDGER_PPM);
    mpz_sub(w.bonded, w.bonded, bonded_cut);
    mpz_sub(p.bonded, p.bonded, bonded_cut);
    /* every entry, page by page (each is cut and floored on its own, so the order is free) */
    uint64_t after = 0;
    do {
        rc = ledger_unbonding_of_worker(a->e->ledger, worker, after, entries, MAX_ENTRIES, &n);
        for (unsigned i = 0; i < n && rc == ST_OK; i++) {
            after = entries[i].id;
            mpz_mul_ui(cut, entries[i].amount, ppm);
            mpz_fdiv_q_ui(cut, cut, LEDGER_PPM);
            if (mpz_sgn(cut) == 0)
                continue;
            mpz_sub(entries[i].amount, entries[i].amount, cut);
            mpz_sub(p.unbonding, p.unbonding, cut);
            mpz_add(unbonding_cut, unbonding_cut, cut);
            rc = mpz_sgn(entries[i].amount) ? ledger_unbonding_set_amount(a->e->ledger, entries[i].id, entries[i].amount)
                                            : ledger_unbonding_delete(a->e->ledger, entries[i].id);
        }
    } while (rc == ST_OK && n == MAX_ENTRIES);
    for (unsigned i = 0; i < MAX_ENTRIES; i++)
        ledger_unbonding_clear(&entries[i]);
    if (rc != ST_OK)
        goto out;
    mpz_add(total, bonded_cut, unbonding_cut);
    ledger_account stake = ledger_pool_account(LEDGER_POOL_STAKE, p.id), burn = ledger_system_account(LEDGER_ISSUANCE);
    if ((rc = eng_staking_move(a, &stake, &burn, total, "slash")) != ST_OK)
        goto out;
    mpz_sub(p.stake, p.stake, total);
    rc = ledger_worker_put(a->e->ledger, &w);
    ledger_ev *ev = rc == ST_OK ? eng_staking_pool_event(a, "WorkerSlashed", p.id) : NULL;
    if (rc == ST_OK && (!ev || !ledger_event_address(ev, "worker", worker) || !ledger_event_amount(ev, "amount", total)
                        || !ledger_event_amount(ev, "fromBonded", bonded_cut)
                        || !ledger_event_amount(ev, "fromUnbonding", unbonding_cut)))
        rc = ST_NOMEM;
    /* a slash to zero stake leaves the queued shares worthless: they are paid, at zero, at once */
    if (rc == ST_OK && (rc = eng_staking_fill_queue(a, &p)) == ST_OK)
        rc = eng_staking_save_pool(a, &p, true);
out:
    mpz_clears(bonded_cut, unbonding_cut, cut, total, NULL);
    free(entries);
    ledger_worker_clear(&w);
    ledger_pool_clear(&p);
    return rc;
}

int eng_staking_offence(eng_apply *a, const uint8_t worker[20], uint32_t ppm, const char *reason)
{
    ledger_worker w;
    ledger_worker_init(&w);
    uint64_t defer = a->e->genesis.staking.slash_defer;
    ledger_slash s = { .ppm = ppm > LEDGER_PPM ? LEDGER_PPM : ppm, .created = a->time, .due = a->time + defer };
    memcpy(s.worker, worker, 20);
    snprintf(s.reason, sizeof s.reason, "%s", reason);
    int rc = ledger_worker_get(a->e->ledger, worker, &w);
    if (rc == ST_NOTFOUND)
        rc = ledger_fail(&a->r, rc, "no such worker");
    if (rc == ST_OK) {
        s.pool = w.pool;
        rc = ledger_slash_insert(a->e->ledger, &s);
    }
    /* every slash is on record; without a deferral it applies in this transaction */
    if (rc == ST_OK && defer == 0) {
        if ((rc = eng_staking_slash(a, worker, s.ppm)) == ST_OK)
            rc = ledger_slash_set_state(a->e->ledger, s.id, LEDGER_SLASH_APPLIED, 0);
        goto out;
    }
    ledger_ev *ev = rc == ST_OK ? eng_staking_pool_event(a, "SlashDeferred", s.pool) : NULL;
    if (rc == ST_OK && (!ev || !ledger_event_number(ev, "slash", (double)s.id) || !ledger_event_address(ev, "worker", worker)
                        || !ledger_event_number(ev, "ppm", s.ppm) || !ledger_event_string(ev, "reason", s.reason)
                        || !ledger_event_number(ev, "due", (double)s.due)))
        rc = ST_NOMEM;
out:
    ledger_worker_clear(&w);
    return rc;
}
