/* SPDX-License-Identifier: MIT */
/* staking_tx.c: the signed transactions of stake pools: their stateless checks, PoolCreate and
 * PoolSetCommission, the workers' WorkerAdd, WorkerBond and WorkerUnbond, and the stakers'
 * Contribute, Withdraw (into the pool's withdraw queue) and Claim. The model and the shared block
 * helpers are in staking.c. */
#include "engine/engine_int.h"
#include "engine/staking.h"
#include "engine/staking_int.h"

#include <stdio.h>
#include <string.h>
#include "ledger/amount.h"
#include "ledger/compute.h"
#include "ledger/hex.h"

/* ---- signed transactions ---- */

int eng_check_commission(eng *e, const ledger_tx *tx, char *err, size_t errlen)
{
    uint64_t ppm;
    if (ledger_tx_get_u64(tx, "commissionPpm", &ppm) != ST_OK || ppm > LEDGER_PPM) {
        snprintf(err, errlen, "message.commissionPpm: at most 1000000 (100%%)");
        return ST_INVALID;
    }
    mpz_t capacity;
    mpz_init(capacity);
    int rc = ST_OK;
    if (ledger_tx_get_amount(tx, "capacity", capacity) == ST_OK && mpz_sgn(capacity) == 0) {
        snprintf(err, errlen, "message.capacity: must be greater than zero");
        rc = ST_INVALID;
    }
    mpz_clear(capacity);
    return rc;
}

int eng_check_positive_amount(eng *e, const ledger_tx *tx, char *err, size_t errlen)
{
    const char *member = ledger_eip712_member_index(tx->type, "amount") >= 0    ? "amount"
                         : ledger_eip712_member_index(tx->type, "deposit") >= 0 ? "deposit"
                                                                                 : "shares";
    mpz_t v;
    mpz_init(v);
    int rc = eng_check_positive(tx, member, v, err, errlen);
    if (rc == ST_OK && strcmp(tx->type->name, "Contribute") == 0
               && mpz_cmp(v, e->genesis.staking.min_contribution) < 0) {
        char min[LEDGER_AMOUNT_STRLEN];
        snprintf(err, errlen, "message.amount: below the minimum contribution of %s",
                 eng_staking_amount_text(min, e->genesis.staking.min_contribution));
        rc = ST_INVALID;
    }
    mpz_clear(v);
    return rc;
}

int eng_apply_pool_create(eng_apply *a)
{
    const ledger_tx *tx = &a->item->tx;
    ledger_pool p;
    ledger_pool_init(&p);
    uint64_t ppm = 0;
    int rc = ledger_tx_get_u64(tx, "commissionPpm", &ppm);
    if (rc == ST_OK)
        rc = ledger_tx_get_amount(tx, "capacity", p.capacity);
    if (rc == ST_OK) {
        memcpy(p.owner, tx->signer, 20);
        p.commission_ppm = (uint32_t)ppm;
        p.created_height = a->height;
        rc = ledger_pool_insert(a->e->ledger, &p);
    }
    if (rc == ST_OK)
        rc = ledger_pool_checkpoint(a->e->ledger, &p);
    ledger_ev *ev = rc == ST_OK ? eng_staking_pool_event(a, "PoolCreated", p.id) : NULL;
    if (rc == ST_OK && (!ev || !ledger_event_address(ev, "owner", p.owner)
                        || !ledger_event_number(ev, "commissionPpm", p.commission_ppm)
                        || !ledger_event_amount(ev, "capacity", p.capacity)))
        rc = ST_NOMEM;
    ledger_pool_clear(&p);
    return rc;
}

int eng_apply_pool_set_commission(eng_apply *a)
{
    const ledger_tx *tx = &a->item->tx;
    uint64_t id, ppm;
    ledger_pool p;
    ledger_pool_init(&p);
    int rc = ledger_tx_get_u64(tx, "pool", &id);
    if (rc == ST_OK)
        rc = ledger_tx_get_u64(tx, "commissionPpm", &ppm);
    if (rc == ST_OK)
        rc = eng_staking_load_pool(a, id, &p);
    if (rc == ST_OK)
        rc = eng_staking_require_owner(a, &p);
    uint64_t effective = a->time;
    if (rc == ST_OK) {
        if (ppm <= p.commission_ppm) {
            /* lowering is immediate and cancels a pending raise */
            p.commission_ppm = (uint32_t)ppm;
            p.commission_pending = false;
        } else {
            effective = a->time + a->e->genesis.staking.commission_notice;
            p.commission_pending = true;
            p.pending_commission_ppm = (uint32_t)ppm;
            p.pending_commission_at = effective;
        }
        rc = eng_staking_save_pool(a, &p, false);
    }
    ledger_ev *ev = rc == ST_OK ? eng_staking_pool_event(a, "CommissionChanged", p.id) : NULL;
    if (rc == ST_OK && (!ev || !ledger_event_number(ev, "commissionPpm", (double)ppm)
                        || !ledger_event_number(ev, "effectiveAt", (double)effective)))
        rc = ST_NOMEM;
    ledger_pool_clear(&p);
    return rc;
}

/* Loads the pool named by the tx (checking ownership) and the worker, which must be in it. */
static int load_owned_worker(eng_apply *a, ledger_pool *p, ledger_worker *w)
{
    const ledger_tx *tx = &a->item->tx;
    uint64_t id;
    uint8_t addr[20];
    int rc = ledger_tx_get_u64(tx, "pool", &id);
    if (rc == ST_OK)
        rc = ledger_tx_get_address(tx, "worker", addr);
    if (rc == ST_OK)
        rc = eng_staking_load_pool(a, id, p);
    if (rc == ST_OK)
        rc = eng_staking_require_owner(a, p);
    if (rc != ST_OK)
        return rc;
    rc = ledger_worker_get(a->e->ledger, addr, w);
    if (rc == ST_OK && w->pool != p->id)
        rc = ST_NOTFOUND;
    if (rc == ST_NOTFOUND) {
        char text[LEDGER_ADDR_STRLEN];
        ledger_addr_format(text, addr);
        return ledger_fail(&a->r, rc, "worker %s is not in pool %llu", text, (unsigned long long)id);
    }
    return rc;
}

int eng_apply_worker_add(eng_apply *a)
{
    const ledger_tx *tx = &a->item->tx;
    uint64_t id;
    ledger_pool p;
    ledger_worker w;
    ledger_pool_init(&p);
    ledger_worker_init(&w);
    unsigned count = 0;
    int rc = ledger_tx_get_u64(tx, "pool", &id);
    if (rc == ST_OK)
        rc = ledger_tx_get_address(tx, "worker", w.address);
    if (rc == ST_OK)
        rc = eng_staking_load_pool(a, id, &p);
    if (rc == ST_OK)
        rc = eng_staking_require_owner(a, &p);
    if (rc != ST_OK)
        goto out;
    ledger_worker existing;
    ledger_worker_init(&existing);
    rc = ledger_worker_get(a->e->ledger, w.address, &existing);
    uint64_t other = existing.pool;
    ledger_worker_clear(&existing);
    if (rc == ST_OK) {
        rc = ledger_fail(&a->r, ST_CONFLICT, "the worker already belongs to pool %llu", (unsigned long long)other);
        goto out;
    }
    if (rc != ST_NOTFOUND || (rc = ledger_worker_count(a->e->ledger, id, &count)) != ST_OK)
        goto out;
    if (count >= a->e->genesis.staking.max_workers) {
        rc = ledger_fail(&a->r, ST_LIMIT, "pool %llu has %u workers, the most a pool may have", (unsigned long long)id, count);
        goto out;
    }
    ledger_worker_reg reg;
    if ((rc = ledger_worker_reg_get(a->e->ledger, w.address, &reg)) == ST_NOTFOUND) {
        rc = ledger_fail(&a->r, rc, "the worker is not registered: a conclave-worker registers its key first (WorkerRegister)");
        goto out;
    }
    if (rc != ST_OK)
        goto out;
    if (memcmp(reg.operator_, a->item->tx.signer, 20) != 0) {
        char op[LEDGER_ADDR_STRLEN];
        ledger_addr_format(op, reg.operator_);
        rc = ledger_fail(&a->r, ST_UNAUTHORIZED, "the worker registered to serve %s, not the signer", op);
        goto out;
    }
    bool allowed = false;
    if ((rc = ledger_allowlist_has(a->e->ledger, LEDGER_RUNTIME_WORKER, reg.measurement, &allowed)) != ST_OK)
        goto out;
    if (!allowed) {
        rc = ledger_fail(&a->r, ST_UNAUTHORIZED, "the worker's runtime is no longer on the allowlist");
        goto out;
    }
    w.score = reg.score;
    w.conf_level = reg.conf_level;
    w.pool = id;
    rc = ledger_worker_put(a->e->ledger, &w);
    ledger_ev *ev = rc == ST_OK ? eng_staking_pool_event(a, "WorkerAdded", id) : NULL;
    if (rc == ST_OK && (!ev || !ledger_event_address(ev, "worker", w.address)))
        rc = ST_NOMEM;
out:
    ledger_worker_clear(&w);
    ledger_pool_clear(&p);
    return rc;
}

int eng_apply_worker_remove(eng_apply *a)
{
    ledger_pool p;
    ledger_worker w;
    ledger_unbonding u;
    ledger_pool_init(&p);
    ledger_worker_init(&w);
    ledger_unbonding_init(&u);
    unsigned pending = 0;
    int rc = load_owned_worker(a, &p, &w);
    if (rc == ST_OK && mpz_sgn(w.bonded) > 0)
        rc = ledger_fail(&a->r, ST_CONFLICT, "the worker still has stake bonded: unbond it first");
    if (rc == ST_OK && (rc = ledger_unbonding_of_worker(a->e->ledger, w.address, 0, &u, 1, &pending)) == ST_OK && pending > 0)
        rc = ledger_fail(&a->r, ST_CONFLICT, "the worker's unbonded stake is released at %llu: remove it after that",
                         (unsigned long long)u.release_at);
    if (rc == ST_OK)
        rc = ledger_worker_remove(a->e->ledger, w.address);
    ledger_ev *ev = rc == ST_OK ? eng_staking_pool_event(a, "WorkerRemoved", p.id) : NULL;
    if (rc == ST_OK && (!ev || !ledger_event_address(ev, "worker", w.address)))
        rc = ST_NOMEM;
    ledger_unbonding_clear(&u);
    ledger_worker_clear(&w);
    ledger_pool_clear(&p);
    return rc;
}

int eng_apply_worker_bond(eng_apply *a)
{
    ledger_pool p;
    ledger_worker w;
    ledger_pool_init(&p);
    ledger_worker_init(&w);
    mpz_t amount, free_stake;
    mpz_inits(amount, free_stake, NULL);
    int rc = ledger_tx_get_amount(&a->item->tx, "amount", amount);
    if (rc == ST_OK)
        rc = load_owned_worker(a, &p, &w);
    if (rc != ST_OK)
        goto out;
    eng_staking_free(free_stake, &p);
    if (mpz_cmp(amount, free_stake) > 0) {
        char have[LEDGER_AMOUNT_STRLEN];
        rc = ledger_fail(&a->r, ST_INSUFFICIENT, "the pool has %s free stake", eng_staking_amount_text(have, free_stake));
        goto out;
    }
    mpz_add(free_stake, w.bonded, amount);
    bool starting = mpz_sgn(w.bonded) == 0;
    if ((rc = eng_worker_check_stake(a, &w, free_stake, starting)) != ST_OK)
        goto out;
    if (starting) {
        w.judged_from = a->time;
        w.started = false;
        mpz_set_ui(w.value, 0);
    }
    mpz_set(w.bonded, free_stake);
    mpz_add(p.bonded, p.bonded, amount);
    if ((rc = ledger_worker_put(a->e->ledger, &w)) == ST_OK)
        rc = eng_staking_save_pool(a, &p, false);
    ledger_ev *ev = rc == ST_OK ? eng_staking_pool_event(a, "WorkerBonded", p.id) : NULL;
    if (rc == ST_OK && (!ev || !ledger_event_address(ev, "worker", w.address) || !ledger_event_amount(ev, "amount", amount)))
        rc = ST_NOMEM;
out:
    mpz_clears(amount, free_stake, NULL);
    ledger_worker_clear(&w);
    ledger_pool_clear(&p);
    return rc;
}

int eng_apply_worker_unbond(eng_apply *a)
{
    ledger_pool p;
    ledger_worker w;
    ledger_pool_init(&p);
    ledger_worker_init(&w);
    mpz_t amount;
    mpz_init(amount);
    int rc = ledger_tx_get_amount(&a->item->tx, "amount", amount);
    if (rc == ST_OK)
        rc = load_owned_worker(a, &p, &w);
    if (rc == ST_OK && mpz_cmp(amount, w.bonded) > 0) {
        char have[LEDGER_AMOUNT_STRLEN];
        rc = ledger_fail(&a->r, ST_INSUFFICIENT, "the worker has %s bonded", eng_staking_amount_text(have, w.bonded));
    }
    if (rc == ST_OK && mpz_cmp(amount, w.bonded) < 0) {
        mpz_t left, min;
        mpz_inits(left, min, NULL);
        mpz_sub(left, w.bonded, amount);
        if ((rc = eng_worker_min_stake(a->e, w.score, min)) == ST_OK && mpz_cmp(left, min) < 0) {
            char l[LEDGER_AMOUNT_STRLEN], m[LEDGER_AMOUNT_STRLEN];
            rc = ledger_fail(&a->r, ST_INSUFFICIENT, "it would leave %s bonded, below the minimum stake of %s: unbond all of it to stop the worker",
                             eng_staking_amount_text(l, left), eng_staking_amount_text(m, min));
        }
        mpz_clears(left, min, NULL);
    }
    if (rc == ST_OK)
        rc = eng_staking_unbond(a, &p, &w, amount, false);
    if (rc == ST_OK)
        rc = eng_staking_save_pool(a, &p, false);
    mpz_clear(amount);
    ledger_worker_clear(&w);
    ledger_pool_clear(&p);
    return rc;
}

int eng_apply_contribute(eng_apply *a)
{
    const ledger_tx *tx = &a->item->tx;
    uint64_t id;
    ledger_pool p;
    ledger_pool_init(&p);
    mpz_t amount, shares, after;
    mpz_inits(amount, shares, after, NULL);
    char t1[LEDGER_AMOUNT_STRLEN], t2[LEDGER_AMOUNT_STRLEN];
    int rc = ledger_tx_get_u64(tx, "pool", &id);
    if (rc == ST_OK)
        rc = ledger_tx_get_amount(tx, "amount", amount);
    if (rc == ST_OK)
        rc = eng_staking_load_pool(a, id, &p);
    if (rc == ST_OK)
        rc = eng_staking_may_contribute(a, &p, tx->signer);
    if (rc != ST_OK)
        goto out;
    /* the minimum in force now: a parameter change earlier in this block binds this transaction */
    if (mpz_cmp(amount, a->e->genesis.staking.min_contribution) < 0) {
        rc = ledger_fail(&a->r, ST_INVALID, "below the minimum contribution of %s", eng_staking_amount_text(t1, a->e->genesis.staking.min_contribution));
        goto out;
    }
    mpz_add(after, p.stake, amount);
    if (mpz_cmp(after, p.capacity) > 0) {
        mpz_sub(after, p.capacity, p.stake);
        if (mpz_sgn(after) < 0)
            mpz_set_ui(after, 0);
        rc = ledger_fail(&a->r, ST_LIMIT, "pool %llu takes at most %s more (capacity %s)", (unsigned long long)id,
                         eng_staking_amount_text(t1, after), eng_staking_amount_text(t2, p.capacity));
        goto out;
    }
    if (mpz_sgn(p.shares) == 0) {
        mpz_set(shares, amount); /* an empty pool prices a share at one base unit */
    } else if (mpz_sgn(p.stake) == 0) {
        rc = ledger_fail(&a->r, ST_CONFLICT, "pool %llu was slashed to zero stake; it takes no contributions", (unsigned long long)id);
        goto out;
    } else {
        mpz_mul(shares, amount, p.shares);
        mpz_fdiv_q(shares, shares, p.stake);
        if (mpz_sgn(shares) == 0) {
            rc = ledger_fail(&a->r, ST_INVALID, "the amount buys no whole share at the pool's price");
            goto out;
        }
    }
    /* slashed deep enough, a pool prices a share so low that its total could pass 2^256 */
    mpz_add(after, p.shares, shares);
    if (!ledger_amount_fits(after)) {
        rc = ledger_fail(&a->r, ST_OVERFLOW, "pool %llu's share price has collapsed: the shares this buys would take its total past 2^256",
                         (unsigned long long)id);
        goto out;
    }
    ledger_account from = ledger_user_account(LEDGER_FREE, tx->signer), to = ledger_pool_account(LEDGER_POOL_STAKE, id);
    if ((rc = eng_staking_move(a, &from, &to, amount, "contribute")) != ST_OK)
        goto out;
    if ((rc = eng_staking_change_shares(a, &p, tx->signer, shares, true)) != ST_OK)
        goto out;
    mpz_add(p.stake, p.stake, amount);
    ledger_ev *ev = eng_staking_pool_event(a, "Contributed", id);
    if (!ev || !ledger_event_address(ev, "staker", tx->signer) || !ledger_event_amount(ev, "amount", amount)
        || !ledger_event_amount(ev, "shares", shares)) {
        rc = ST_NOMEM;
        goto out;
    }
    if ((rc = eng_staking_fill_queue(a, &p)) == ST_OK)
        rc = eng_staking_save_pool(a, &p, true);
out:
    mpz_clears(amount, shares, after, NULL);
    ledger_pool_clear(&p);
    return rc;
}

int eng_apply_withdraw(eng_apply *a)
{
    const ledger_tx *tx = &a->item->tx;
    uint64_t id, seq;
    ledger_pool p;
    ledger_stake s;
    ledger_withdrawal w;
    ledger_pool_init(&p);
    ledger_stake_init(&s);
    ledger_withdrawal_init(&w);
    mpz_t shares, available, value;
    mpz_inits(shares, available, value, NULL);
    char t1[LEDGER_AMOUNT_STRLEN], t2[LEDGER_AMOUNT_STRLEN], t3[LEDGER_AMOUNT_STRLEN];
    int rc = ledger_tx_get_u64(tx, "pool", &id);
    if (rc == ST_OK)
        rc = ledger_tx_get_amount(tx, "shares", shares);
    if (rc == ST_OK)
        rc = eng_staking_load_pool(a, id, &p);
    if (rc == ST_OK)
        rc = ledger_stake_get(a->e->ledger, id, tx->signer, &s);
    if (rc != ST_OK)
        goto out;
    rc = ledger_withdrawal_get(a->e->ledger, id, tx->signer, &w);
    if (rc == ST_NOTFOUND) {
        w.pool = id;
        memcpy(w.address, tx->signer, 20);
        rc = ST_OK;
    } else if (rc != ST_OK) {
        goto out;
    }
    mpz_sub(available, s.shares, w.shares);
    if (mpz_cmp(shares, available) > 0) {
        rc = ledger_fail(&a->r, ST_INSUFFICIENT, "only %s shares can be withdrawn (%s held, %s already queued)",
                         eng_staking_amount_text(t1, available), eng_staking_amount_text(t2, s.shares), eng_staking_amount_text(t3, w.shares));
        goto out;
    }
    eng_staking_value(value, shares, &p);
    if (mpz_cmp(shares, available) != 0 && mpz_cmp(value, a->e->genesis.staking.min_withdrawal) < 0) {
        rc = ledger_fail(&a->r, ST_INVALID, "a withdrawal worth %s is below the minimum of %s (withdraw all to leave)",
                         eng_staking_amount_text(t1, value), eng_staking_amount_text(t2, a->e->genesis.staking.min_withdrawal));
        goto out;
    }
    /* stake locked by conviction votes stays: what leaves is everything queued in this pool */
    mpz_add(available, w.shares, shares);
    eng_staking_value(available, available, &p);
    if ((rc = eng_gov_check_withdraw(a, tx->signer, available)) != ST_OK)
        goto out;
    /* one request per staker: a new one merges into it and goes to the back of the queue */
    if ((rc = ledger_withdrawal_next_seq(a->e->ledger, id, &seq)) != ST_OK)
        goto out;
    mpz_add(w.shares, w.shares, shares);
    w.seq = seq;
    w.since = a->time;
    if ((rc = ledger_withdrawal_put(a->e->ledger, &w)) != ST_OK)
        goto out;
    ledger_ev *ev = eng_staking_pool_event(a, "WithdrawalQueued", id);
    if (!ev || !ledger_event_address(ev, "staker", tx->signer) || !ledger_event_amount(ev, "shares", shares)
        || !ledger_event_amount(ev, "sharesQueued", w.shares)) {
        rc = ST_NOMEM;
        goto out;
    }
    if ((rc = eng_staking_fill_queue(a, &p)) == ST_OK)
        rc = eng_staking_save_pool(a, &p, true);
out:
    mpz_clears(shares, available, value, NULL);
    ledger_withdrawal_clear(&w);
    ledger_stake_clear(&s);
    ledger_pool_clear(&p);
    return rc;
}

int eng_apply_claim(eng_apply *a)
{
    const ledger_tx *tx = &a->item->tx;
    uint64_t id;
    ledger_pool p;
    ledger_stake s;
    ledger_pool_init(&p);
    ledger_stake_init(&s);
    mpz_t claimable;
    mpz_init(claimable);
    ledger_account from = ledger_user_account(LEDGER_CLAIMABLE, tx->signer), to = ledger_user_account(LEDGER_FREE, tx->signer);
    int rc = ledger_tx_get_u64(tx, "pool", &id);
    if (rc == ST_OK)
        rc = eng_staking_load_pool(a, id, &p);
    if (rc == ST_OK)
        rc = ledger_stake_get(a->e->ledger, id, tx->signer, &s);
    if (rc == ST_OK && mpz_sgn(s.shares) > 0 && (rc = eng_staking_settle(a, &p, &s)) == ST_OK)
        rc = ledger_stake_put(a->e->ledger, &s);
    if (rc == ST_OK)
        rc = ledger_balance(a->e->ledger, &from, claimable);
    if (rc == ST_OK && mpz_sgn(claimable) == 0)
        rc = ledger_fail(&a->r, ST_INVALID, "nothing to claim");
    if (rc == ST_OK)
        rc = eng_staking_move(a, &from, &to, claimable, "claim");
    ledger_ev *ev = rc == ST_OK ? eng_staking_pool_event(a, "Claimed", id) : NULL;
    if (rc == ST_OK && (!ev || !ledger_event_address(ev, "staker", tx->signer) || !ledger_event_amount(ev, "amount", claimable)))
        rc = ST_NOMEM;
    mpz_clear(claimable);
    ledger_stake_clear(&s);
    ledger_pool_clear(&p);
    return rc;
}
