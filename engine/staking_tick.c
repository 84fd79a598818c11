/* SPDX-License-Identifier: MIT */
/* staking_tick.c: the staking part of the block-start tick: deferred slashes whose time has come,
 * unbonded stake released after its cooldown and the withdraw queues paid from it, and, at each
 * epoch close, the workers of pools with overdue withdrawals made to unbond. */
#include "engine/engine_int.h"
#include "engine/staking.h"
#include "engine/staking_int.h"

#include <stdio.h>
#include <stdlib.h>
#include "ledger/amount.h"

#define TICK_BATCH 64

int eng_staking_last_epoch(eng *e, uint64_t *epoch)
{
    return eng_meta_u64(e, "staking.epoch", epoch);
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
            ledger_ev *ev = eng_staking_pool_event(a, "SlashApplied", due[i].pool);
            if (!ev || !ledger_event_number(ev, "slash", (double)due[i].id))
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
            if ((rc = eng_staking_load_pool(a, due[i].pool, &p)) != ST_OK)
                break;
            mpz_sub(p.unbonding, p.unbonding, due[i].amount);
            if ((rc = ledger_unbonding_delete(a->e->ledger, due[i].id)) != ST_OK)
                break;
            ledger_ev *ev = eng_staking_pool_event(a, "StakeReleased", p.id);
            if (!ev || !ledger_event_address(ev, "worker", due[i].worker) || !ledger_event_amount(ev, "amount", due[i].amount)) {
                rc = ST_NOMEM;
                break;
            }
            if ((rc = eng_staking_fill_queue(a, &p)) == ST_OK)
                rc = eng_staking_save_pool(a, &p, true);
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
    int rc = workers ? eng_staking_load_pool(a, pool, &p) : ST_NOMEM;
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
        rc = eng_staking_unbond(a, &p, &workers[i], take, true);
        mpz_sub(need, need, take);
    }
    if (rc == ST_OK)
        rc = eng_staking_save_pool(a, &p, false);
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
    ledger_ev *ev = rc == ST_OK ? ledger_event(&a->r, "EpochClosed") : NULL;
    if (rc == ST_OK && (!ev || !ledger_event_number(ev, "epoch", (double)(now_epoch - 1))))
        rc = ST_NOMEM;
    return rc == ST_OK ? ledger_meta_set(e->ledger, "staking.epoch", text) : rc;
}
