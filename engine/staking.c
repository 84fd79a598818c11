/* SPDX-License-Identifier: MIT */
/* staking.c: the transactions of stake pools (PoolCreate, PoolSetCommission, WorkerAdd,
 * WorkerBond, WorkerUnbond, Contribute, Withdraw, Claim), the reward and slash entry points, and the
 * block-start tick that releases unbonded stake, pays the withdraw queue from it and, at each epoch
 * close, makes the workers of pools with overdue withdrawals unbond. See staking.h for the model.
 * Every rounding favours the pool (the stakers who stay): shares minted and amounts paid are
 * floored; the reward remainder is carried, never lost; the slash amount is floored. */
#include "engine/engine_int.h"
#include "engine/staking.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ledger/amount.h"
#include "ledger/hex.h"

#define TICK_BATCH 64

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

static char *amount_text(char buf[LEDGER_AMOUNT_STRLEN], const mpz_t v)
{
    ledger_amount_format(buf, v);
    return buf;
}

/* Loads a pool, applying a commission raise whose notice has passed. */
static int load_pool(eng_apply *a, uint64_t id, ledger_pool *p)
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

static int save_pool(eng_apply *a, const ledger_pool *p, bool checkpoint)
{
    int rc = ledger_pool_update(a->e->ledger, p);
    if (rc == ST_OK && checkpoint)
        rc = ledger_pool_checkpoint(a->e->ledger, p);
    return rc;
}

static int require_owner(eng_apply *a, const ledger_pool *p)
{
    if (memcmp(p->owner, a->item->tx.signer, 20) == 0)
        return ST_OK;
    char owner[LEDGER_ADDR_STRLEN];
    ledger_addr_format(owner, p->owner);
    return ledger_fail(&a->r, ST_UNAUTHORIZED, "only the owner of pool %llu (%s) may do this", (unsigned long long)p->id, owner);
}

static int move(eng_apply *a, const ledger_account *from, const ledger_account *to, const mpz_t amount, const char *code)
{
    if (mpz_sgn(amount) == 0)
        return ST_OK;
    int rc = ledger_transfer(a->e->ledger, from, to, amount, code);
    if (rc == ST_INSUFFICIENT) {
        char need[LEDGER_AMOUNT_STRLEN];
        return ledger_fail(&a->r, rc, "insufficient balance: %s needed", amount_text(need, amount));
    }
    return rc;
}

static cJSON *pool_event(eng_apply *a, const char *type, uint64_t pool)
{
    cJSON *ev = ledger_event(&a->r, type);
    if (ev && !cJSON_AddNumberToObject(ev, "pool", (double)pool)) {
        cJSON_DeleteItemFromArray(a->r.events, cJSON_GetArraySize(a->r.events) - 1);
        return NULL;
    }
    return ev;
}

/* Pays a staker's pending rewards into its claimable balance and resets its debt. */
static int settle(eng_apply *a, const ledger_pool *p, ledger_stake *s)
{
    mpz_t pending;
    mpz_init(pending);
    eng_staking_pending(pending, p, s);
    ledger_account from = ledger_pool_account(LEDGER_POOL_REWARDS, p->id),
                   to = ledger_user_account(LEDGER_CLAIMABLE, s->address);
    int rc = move(a, &from, &to, pending, "reward");
    mpz_mul(s->debt, s->shares, p->acc);
    mpz_clear(pending);
    return rc;
}

/* Changes a staker's shares by delta (settling first) and stores the row with its checkpoint. */
static int change_shares(eng_apply *a, ledger_pool *p, const uint8_t address[20], const mpz_t delta, bool add)
{
    ledger_stake s;
    ledger_stake_init(&s);
    int rc = ledger_stake_get(a->e->ledger, p->id, address, &s);
    if (rc == ST_OK)
        rc = settle(a, p, &s);
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
static int fill_queue(eng_apply *a, ledger_pool *p)
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
        if ((rc = change_shares(a, p, w.address, part, false)) != ST_OK || (rc = move(a, &from, &to, pay, "withdraw")) != ST_OK)
            break;
        mpz_sub(p->stake, p->stake, pay);
        mpz_sub(w.shares, w.shares, part);
        rc = whole ? ledger_withdrawal_delete(a->e->ledger, p->id, w.address) : ledger_withdrawal_put(a->e->ledger, &w);
        cJSON *ev = pool_event(a, "WithdrawalPaid", p->id);
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
    const char *member = ledger_eip712_member_index(tx->type, "amount") >= 0 ? "amount" : "shares";
    mpz_t v;
    mpz_init(v);
    int rc = ledger_tx_get_amount(tx, member, v);
    if (rc == ST_OK && mpz_sgn(v) == 0) {
        snprintf(err, errlen, "message.%s: must be greater than zero", member);
        rc = ST_INVALID;
    } else if (rc == ST_OK && strcmp(tx->type->name, "Contribute") == 0
               && mpz_cmp(v, e->genesis.staking.min_contribution) < 0) {
        char min[LEDGER_AMOUNT_STRLEN];
        snprintf(err, errlen, "message.amount: below the minimum contribution of %s",
                 amount_text(min, e->genesis.staking.min_contribution));
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
    cJSON *ev = rc == ST_OK ? pool_event(a, "PoolCreated", p.id) : NULL;
    if (rc == ST_OK && (!ev || !ledger_event_address(ev, "owner", p.owner)
                        || !cJSON_AddNumberToObject(ev, "commissionPpm", p.commission_ppm)
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
        rc = load_pool(a, id, &p);
    if (rc == ST_OK)
        rc = require_owner(a, &p);
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
        rc = save_pool(a, &p, false);
    }
    cJSON *ev = rc == ST_OK ? pool_event(a, "CommissionChanged", p.id) : NULL;
    if (rc == ST_OK && (!ev || !cJSON_AddNumberToObject(ev, "commissionPpm", (double)ppm)
                        || !cJSON_AddNumberToObject(ev, "effectiveAt", (double)effective)))
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
        rc = load_pool(a, id, p);
    if (rc == ST_OK)
        rc = require_owner(a, p);
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
        rc = load_pool(a, id, &p);
    if (rc == ST_OK)
        rc = require_owner(a, &p);
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
    w.pool = id;
    rc = ledger_worker_put(a->e->ledger, &w);
    cJSON *ev = rc == ST_OK ? pool_event(a, "WorkerAdded", id) : NULL;
    if (rc == ST_OK && (!ev || !ledger_event_address(ev, "worker", w.address)))
        rc = ST_NOMEM;
out:
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
        rc = ledger_fail(&a->r, ST_INSUFFICIENT, "the pool has %s free stake", amount_text(have, free_stake));
        goto out;
    }
    mpz_add(w.bonded, w.bonded, amount);
    mpz_add(p.bonded, p.bonded, amount);
    if ((rc = ledger_worker_put(a->e->ledger, &w)) == ST_OK)
        rc = save_pool(a, &p, false);
    cJSON *ev = rc == ST_OK ? pool_event(a, "WorkerBonded", p.id) : NULL;
    if (rc == ST_OK && (!ev || !ledger_event_address(ev, "worker", w.address) || !ledger_event_amount(ev, "amount", amount)))
        rc = ST_NOMEM;
out:
    mpz_clears(amount, free_stake, NULL);
    ledger_worker_clear(&w);
    ledger_pool_clear(&p);
    return rc;
}

/* Moves amount of a worker's bonded stake into the cooldown; used by WorkerUnbond and the tick. */
static int unbond(eng_apply *a, ledger_pool *p, ledger_worker *w, const mpz_t amount, bool forced)
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
    int rc = ledger_unbonding_insert(a->e->ledger, &u);
    if (rc == ST_OK)
        rc = ledger_worker_put(a->e->ledger, w);
    cJSON *ev = rc == ST_OK ? pool_event(a, "WorkerUnbonded", p->id) : NULL;
    if (rc == ST_OK && (!ev || !ledger_event_address(ev, "worker", w->address) || !ledger_event_amount(ev, "amount", amount)
                        || !cJSON_AddNumberToObject(ev, "releaseAt", (double)u.release_at)
                        || !cJSON_AddBoolToObject(ev, "forced", forced)))
        rc = ST_NOMEM;
    ledger_unbonding_clear(&u);
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
        rc = ledger_fail(&a->r, ST_INSUFFICIENT, "the worker has %s bonded", amount_text(have, w.bonded));
    }
    if (rc == ST_OK)
        rc = unbond(a, &p, &w, amount, false);
    if (rc == ST_OK)
        rc = save_pool(a, &p, false);
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
        rc = load_pool(a, id, &p);
    if (rc != ST_OK)
        goto out;
    /* the minimum in force now: a parameter change earlier in this block binds this transaction */
    if (mpz_cmp(amount, a->e->genesis.staking.min_contribution) < 0) {
        rc = ledger_fail(&a->r, ST_INVALID, "below the minimum contribution of %s", amount_text(t1, a->e->genesis.staking.min_contribution));
        goto out;
    }
    mpz_add(after, p.stake, amount);
    if (mpz_cmp(after, p.capacity) > 0) {
        mpz_sub(after, p.capacity, p.stake);
        if (mpz_sgn(after) < 0)
            mpz_set_ui(after, 0);
        rc = ledger_fail(&a->r, ST_LIMIT, "pool %llu takes at most %s more (capacity %s)", (unsigned long long)id,
                         amount_text(t1, after), amount_text(t2, p.capacity));
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
    if ((rc = move(a, &from, &to, amount, "contribute")) != ST_OK)
        goto out;
    if ((rc = change_shares(a, &p, tx->signer, shares, true)) != ST_OK)
        goto out;
    mpz_add(p.stake, p.stake, amount);
    cJSON *ev = pool_event(a, "Contributed", id);
    if (!ev || !ledger_event_address(ev, "staker", tx->signer) || !ledger_event_amount(ev, "amount", amount)
        || !ledger_event_amount(ev, "shares", shares)) {
        rc = ST_NOMEM;
        goto out;
    }
    if ((rc = fill_queue(a, &p)) == ST_OK)
        rc = save_pool(a, &p, true);
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
        rc = load_pool(a, id, &p);
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
                         amount_text(t1, available), amount_text(t2, s.shares), amount_text(t3, w.shares));
        goto out;
    }
    eng_staking_value(value, shares, &p);
    if (mpz_cmp(shares, available) != 0 && mpz_cmp(value, a->e->genesis.staking.min_withdrawal) < 0) {
        rc = ledger_fail(&a->r, ST_INVALID, "a withdrawal worth %s is below the minimum of %s (withdraw all to leave)",
                         amount_text(t1, value), amount_text(t2, a->e->genesis.staking.min_withdrawal));
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
    cJSON *ev = pool_event(a, "WithdrawalQueued", id);
    if (!ev || !ledger_event_address(ev, "staker", tx->signer) || !ledger_event_amount(ev, "shares", shares)
        || !ledger_event_amount(ev, "sharesQueued", w.shares)) {
        rc = ST_NOMEM;
        goto out;
    }
    if ((rc = fill_queue(a, &p)) == ST_OK)
        rc = save_pool(a, &p, true);
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
        rc = load_pool(a, id, &p);
    if (rc == ST_OK)
        rc = ledger_stake_get(a->e->ledger, id, tx->signer, &s);
    if (rc == ST_OK && mpz_sgn(s.shares) > 0 && (rc = settle(a, &p, &s)) == ST_OK)
        rc = ledger_stake_put(a->e->ledger, &s);
    if (rc == ST_OK)
        rc = ledger_balance(a->e->ledger, &from, claimable);
    if (rc == ST_OK && mpz_sgn(claimable) == 0)
        rc = ledger_fail(&a->r, ST_INVALID, "nothing to claim");
    if (rc == ST_OK)
        rc = move(a, &from, &to, claimable, "claim");
    cJSON *ev = rc == ST_OK ? pool_event(a, "Claimed", id) : NULL;
    if (rc == ST_OK && (!ev || !ledger_event_address(ev, "staker", tx->signer) || !ledger_event_amount(ev, "amount", claimable)))
        rc = ST_NOMEM;
    mpz_clear(claimable);
    ledger_stake_clear(&s);
    ledger_pool_clear(&p);
    return rc;
}

/* ---- internal entry points ---- */

int eng_staking_reward(eng_apply *a, uint64_t pool, const ledger_account *from, const mpz_t amount)
{
    ledger_pool p;
    ledger_pool_init(&p);
    mpz_t commission, rest, num, scale;
    mpz_inits(commission, rest, num, scale, NULL);
    int rc = load_pool(a, pool, &p);
    if (rc != ST_OK)
        goto out;
    mpz_mul_ui(commission, amount, p.commission_ppm);
    mpz_fdiv_q_ui(commission, commission, LEDGER_PPM);
    if (mpz_sgn(p.shares) == 0)
        mpz_set(commission, amount); /* no stakers: the owner takes it all */
    mpz_sub(rest, amount, commission);
    ledger_account owner = ledger_user_account(LEDGER_CLAIMABLE, p.owner), rewards = ledger_pool_account(LEDGER_POOL_REWARDS, pool);
    if ((rc = move(a, from, &owner, commission, "commission")) != ST_OK || (rc = move(a, from, &rewards, rest, "reward")) != ST_OK)
        goto out;
    if (mpz_sgn(p.shares) > 0) {
        /* acc += (rest * 10^36 + carried) / S; the new remainder is carried to the next reward */
        acc_scale(scale);
        mpz_mul(num, rest, scale);
        mpz_add(num, num, p.acc_rem);
        mpz_fdiv_qr(num, p.acc_rem, num, p.shares);
        mpz_add(p.acc, p.acc, num);
    }
    if ((rc = save_pool(a, &p, false)) != ST_OK)
        goto out;
    cJSON *ev = pool_event(a, "PoolRewarded", pool);
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
        rc = load_pool(a, w.pool, &p);
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
    if ((rc = move(a, &stake, &burn, total, "slash")) != ST_OK)
        goto out;
    mpz_sub(p.stake, p.stake, total);
    rc = ledger_worker_put(a->e->ledger, &w);
    cJSON *ev = rc == ST_OK ? pool_event(a, "WorkerSlashed", p.id) : NULL;
    if (rc == ST_OK && (!ev || !ledger_event_address(ev, "worker", worker) || !ledger_event_amount(ev, "amount", total)
                        || !ledger_event_amount(ev, "fromBonded", bonded_cut)
                        || !ledger_event_amount(ev, "fromUnbonding", unbonding_cut)))
        rc = ST_NOMEM;
    /* a slash to zero stake leaves the queued shares worthless: they are paid, at zero, at once */
    if (rc == ST_OK && (rc = fill_queue(a, &p)) == ST_OK)
        rc = save_pool(a, &p, true);
out:
    mpz_clears(bonded_cut, unbonding_cut, cut, total, NULL);
    free(entries);
    ledger_worker_clear(&w);
    ledger_pool_clear(&p);
    return rc;
}

/* ---- the block-start tick ---- */

int eng_staking_last_epoch(eng *e, uint64_t *epoch)
{
    char *text = NULL;
    int rc = ledger_meta_get(e->ledger, "staking.epoch", &text);
    *epoch = rc == ST_OK ? strtoull(text, NULL, 10) : 0;
    free(text);
    return rc == ST_NOTFOUND ? ST_OK : rc;
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
    cJSON *ev = rc == ST_OK ? pool_event(a, "SlashDeferred", s.pool) : NULL;
    if (rc == ST_OK && (!ev || !cJSON_AddNumberToObject(ev, "slash", (double)s.id) || !ledger_event_address(ev, "worker", worker)
                        || !cJSON_AddNumberToObject(ev, "ppm", s.ppm) || !cJSON_AddStringToObject(ev, "reason", s.reason)
                        || !cJSON_AddNumberToObject(ev, "due", (double)s.due)))
        rc = ST_NOMEM;
out:
    ledger_worker_clear(&w);
    return rc;
}

/* Applies every deferred slash whose time has come (a canceled one is no longer pending). */
static int apply_due_slashes(eng_apply *a)
{
    ledger_slash due[TICK_BATCH];
    unsigned n = 0;
    int rc;
    do {
        rc = ledger_slash_due(a->e->ledger, a->time, due, TICK_BATCH, &n);
        for (unsigned i = 0; i < n && rc == ST_OK; i++) {
            if ((rc = eng_staking_slash(a, due[i].worker, due[i].ppm)) != ST_OK
                || (rc = ledger_slash_set_state(a->e->ledger, due[i].id, LEDGER_SLASH_APPLIED, 0)) != ST_OK)
                break;
            cJSON *ev = pool_event(a, "SlashApplied", due[i].pool);
            if (!ev || !cJSON_AddNumberToObject(ev, "slash", (double)due[i].id))
                rc = ST_NOMEM;
        }
    } while (rc == ST_OK && n == TICK_BATCH);
    return rc;
}

bool eng_staking_due(eng *e, uint64_t now)
{
    ledger_unbonding u;
    ledger_unbonding_init(&u);
    ledger_slash s;
    unsigned n = 0, m = 0;
    uint64_t epoch = 0;
    bool due = (ledger_unbonding_due(e->ledger, now, &u, 1, &n) == ST_OK && n > 0)
               || (ledger_slash_due(e->ledger, now, &s, 1, &m) == ST_OK && m > 0)
               || (eng_staking_last_epoch(e, &epoch) == ST_OK && eng_clock_epoch(&e->clock, now) > epoch);
    ledger_unbonding_clear(&u);
    return due;
}

/* Releases every unbonding whose cooldown has passed and pays the pools' queues from it. */
static int release_unbonded(eng_apply *a)
{
    ledger_unbonding due[TICK_BATCH];
    for (unsigned i = 0; i < TICK_BATCH; i++)
        ledger_unbonding_init(&due[i]);
    ledger_pool p;
    ledger_pool_init(&p);
    unsigned n = 0;
    int rc;
    do {
        rc = ledger_unbonding_due(a->e->ledger, a->time, due, TICK_BATCH, &n);
        for (unsigned i = 0; i < n && rc == ST_OK; i++) {
            if ((rc = load_pool(a, due[i].pool, &p)) != ST_OK)
                break;
            mpz_sub(p.unbonding, p.unbonding, due[i].amount);
            if ((rc = ledger_unbonding_delete(a->e->ledger, due[i].id)) != ST_OK)
                break;
            cJSON *ev = pool_event(a, "StakeReleased", p.id);
            if (!ev || !ledger_event_address(ev, "worker", due[i].worker) || !ledger_event_amount(ev, "amount", due[i].amount)) {
                rc = ST_NOMEM;
                break;
            }
            if ((rc = fill_queue(a, &p)) == ST_OK)
                rc = save_pool(a, &p, true);
        }
    } while (rc == ST_OK && n == TICK_BATCH);
    ledger_pool_clear(&p);
    for (unsigned i = 0; i < TICK_BATCH; i++)
        ledger_unbonding_clear(&due[i]);
    return rc;
}

/* For a pool whose queue waited past the grace period: unbond from its workers (in address order)
 * what the queue still needs beyond the free and the already unbonding stake. */
static int force_unbond(eng_apply *a, uint64_t pool)
{
    enum { MAX_WORKERS = 1024 };
    ledger_pool p;
    ledger_pool_init(&p);
    ledger_worker *workers = calloc(MAX_WORKERS, sizeof *workers);
    unsigned n = 0;
    mpz_t queued, need, coming, take;
    mpz_inits(queued, need, coming, take, NULL);
    int rc = workers ? load_pool(a, pool, &p) : ST_NOMEM;
    if (rc == ST_OK)
        rc = ledger_withdrawal_total(a->e->ledger, pool, queued);
    if (rc != ST_OK)
        goto out;
    eng_staking_value(need, queued, &p);
    eng_staking_free(coming, &p);
    mpz_add(coming, coming, p.unbonding);
    mpz_sub(need, need, coming);
    if (mpz_sgn(need) <= 0)
        goto out;
    for (unsigned i = 0; i < MAX_WORKERS; i++)
        ledger_worker_init(&workers[i]);
    rc = ledger_worker_list(a->e->ledger, pool, workers, MAX_WORKERS, &n);
    for (unsigned i = 0; i < n && rc == ST_OK && mpz_sgn(need) > 0; i++) {
        if (mpz_sgn(workers[i].bonded) == 0)
            continue;
        mpz_set(take, mpz_cmp(workers[i].bonded, need) < 0 ? workers[i].bonded : need);
        rc = unbond(a, &p, &workers[i], take, true);
        mpz_sub(need, need, take);
    }
    if (rc == ST_OK)
        rc = save_pool(a, &p, false);
    for (unsigned i = 0; i < MAX_WORKERS; i++)
        ledger_worker_clear(&workers[i]);
out:
    mpz_clears(queued, need, coming, take, NULL);
    free(workers);
    ledger_pool_clear(&p);
    return rc;
}

int eng_staking_tick(eng_apply *a)
{
    eng *e = a->e;
    /* slashes first: stake whose cooldown ends in the same block does not escape one */
    int rc = apply_due_slashes(a);
    if (rc == ST_OK)
        rc = release_unbonded(a);
    uint64_t last, now_epoch = eng_clock_epoch(&e->clock, a->time);
    if (rc == ST_OK)
        rc = eng_staking_last_epoch(e, &last);
    if (rc != ST_OK || now_epoch <= last)
        return rc;
    enum { PAGE = 256 };
    uint64_t ids[PAGE], after = 0;
    unsigned n = 0;
    /* overdue: a request strictly older than the grace (none before the grace has elapsed once) */
    while (rc == ST_OK && a->time >= e->genesis.staking.withdraw_grace) {
        rc = ledger_withdrawal_overdue_pools(e->ledger, a->time - e->genesis.staking.withdraw_grace, after, ids, PAGE, &n);
        for (unsigned i = 0; i < n && rc == ST_OK; i++)
            rc = force_unbond(a, ids[i]);
        if (n < PAGE)
            break;
        after = ids[n - 1];
    }
    char text[24];
    snprintf(text, sizeof text, "%llu", (unsigned long long)now_epoch);
    cJSON *ev = rc == ST_OK ? ledger_event(&a->r, "EpochClosed") : NULL;
    if (rc == ST_OK && (!ev || !cJSON_AddNumberToObject(ev, "epoch", (double)(now_epoch - 1))))
        rc = ST_NOMEM;
    return rc == ST_OK ? ledger_meta_set(e->ledger, "staking.epoch", text) : rc;
}
