/* SPDX-License-Identifier: MIT */
/* test_staking_model.c: seeded random walks of staking operations (contribute, withdraw, claim,
 * reward, slash, bond, unbond, worker add, commission change, mint, clock moves) over 3 pools and 8
 * stakers, in blocks of a few operations, checked after every block against an exact GMP model
 * written from the documented rules (docs/API.md "Staking", staking.h, genesis.h), not from
 * staking.c: each outcome (and the reason of each failed contribution), share, stake, bonded and
 * unbonding amount (a slash burns both), the queues and unbondings, balances and nonces, the Tick at
 * a block's start (alone in a block when a flush finds only due work), ledger_audit, conservation of
 * rewards, voting power at every past height, and a replay of the log. The first walk is ordinary
 * use; the second takes pools to the extremes: slashes of 99.9999 % and 100 % of everything bonded,
 * contributions after them until share totals pass 10^36 and reach 2^256 (where the model predicts
 * the "share price has collapsed" failure to the unit), pools slashed to zero stake, 1-wei and
 * 10^45 rewards, amounts minted up to 10^40. The workers are th_worker keys that register in the
 * first block, each naming the one owner that may add it; the minimum stake and score are off (pool
 * mechanics), and the model predicts the vMax rule on a bond that starts a worker (may_start): the
 * extreme walk mostly starts a worker with 1 token and tops it up.
 *
 * The reward bound, from the documented rules alone. A staker's entitlement E is the exact sum over
 * rewards of R * shares it held / S (R the reward after commission); what it was credited, C, is
 * claimed + claimable + pending, less its exact commission as an owner. docs/API.md bounds
 *     C - E  <=  r                         r: the rewards paid while it held shares
 *     E - C  <   n + h + r  (or E = C)     n: its settlements, h: the pools it holds shares in now
 * (each settlement and the pending read floor away less than one base unit), and per pool the
 * rewards account less the pending rewards of its stakers is at most the sum over stakers of r:
 * one base unit per staker per reward. A share price never rises above 1 base unit: both roundings
 * favour the pool, yet from a price of at most 1 neither can take it past 1, so the model checks
 * T <= S as well. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine/engine.h"
#include "engine/genesis.h"
#include "engine/staking.h"
#include "ledger/amount.h"
#include "ledger/hex.h"
#include "ledger/sig.h"
#include "ledger/stakes.h"
#include "tests/lib/engine_fixture.h"

#define N_OPS 7000
#define N_EXTREME_OPS 3000
#define DEFAULT_SEED 20260101u     /* override with STAKING_MODEL_SEED=n */

#define NP 3                       /* pools 1..3, owned by dev 0, 1, 2 */
#define NU 10                      /* dev accounts; 2..9 stake (2 also owns pool 3) */
#define FIRST_STAKER 2             /* pool 1 takes only dev 2..4 */
#define NW 9                       /* candidate workers (th_worker_key(0..8)); 6 start in pools */
#define WORKER_SCORE 100u          /* each worker's registered benchmark score P */

/* the genesis; the model reads the same numbers */
#define G_TIME 1000000u
#define EPOCH 1000u
#define NOTICE 500u
#define UNBONDING 300u
#define GRACE 1500u
#define MAX_WORKERS 3u
#define MIN_CONTRIBUTION 10u
#define MIN_WITHDRAWAL 3u
#define PPM 1000000u
#define USER_BALANCE "1000000000000"
#define TREASURY "1000000000000000000000000000000000000000000000000000000000000"   /* 10^60: room for 10^45 rewards */

/* ---- the engine under test ---- */

static eng *e;

/* ---- the model ---- */

struct mpool {
    bool exists;
    unsigned owner;
    uint32_t ppm, pend_ppm;
    bool pend;
    uint64_t pend_at;
    mpz_t cap, T, S, bonded, unbonding;
    mpz_t shares[NU], queued[NU];
    uint64_t since[NU];
    unsigned q[NU], qlen;          /* the withdraw queue, head first */
    mpq_t ent[NU];                 /* exact reward entitlement */
    unsigned settles[NU];          /* settlements (each may floor away < 1 base unit) */
    unsigned long rewarded[NU];    /* rewards paid while it held shares (each may credit 1 unit over) */
};

struct mworker {
    uint8_t addr[20];
    unsigned operator_;            /* the dev account it registered to serve: only it adds the worker */
    unsigned pool;                 /* 0: not added */
    mpz_t bonded;
};

struct munb {
    unsigned pool, worker;
    mpz_t amount;
    uint64_t release;
};

struct muser {
    uint8_t key[32], addr[20];
    uint64_t nonce;
    mpz_t free, claimed, commission;
};

static struct {
    struct mpool pool[NP + 1];     /* 1-based */
    struct mworker worker[NW];
    unsigned worder[NW];           /* workers in address order */
    struct munb unb[512];          /* unbondings, in insertion order */
    unsigned n_unb;
    struct muser user[NU];
    uint64_t now, last_epoch;
    mpz_t paid;                    /* rewards paid in, commission included */
    mpz_t max_shares;              /* largest S a reward was shared over */
    mpz_t max_ratio;               /* largest floor(S / T) of a pool with stake: 1 / the lowest price */
} m;

static uint64_t seed, rng;

/* how often the interesting paths ran, printed at the end */
static struct {
    unsigned long partial_fills, whole_fills, releases, forced_unbonds, slashed_entries, emptied_pools, raises_applied;
    unsigned long deep_slashes, collapsed, zero_stake, paid_at_zero, over_capacity, short_balance, rewards_past_10_36;
} cov;

static uint64_t rnd(void)
{
    /* splitmix64 */
    uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t below(uint64_t n)
{
    return n ? rnd() % n : 0;
}

/* 1 + a number below 10^digits, digits in 1..6: spread over magnitudes */
static uint64_t some_amount(void)
{
    static const uint64_t pow10[] = { 1, 10, 100, 1000, 10000, 100000, 1000000 };
    return 1 + below(pow10[1 + below(6)]);
}

/* A number below n (n > 0), from 64 bits more than n has. */
static void random_below(mpz_t out, const mpz_t n)
{
    mpz_t r;
    mpz_init(r);
    for (size_t bits = 0; bits < mpz_sizeinbase(n, 2) + 64; bits += 32) {
        mpz_mul_2exp(r, r, 32);
        mpz_add_ui(r, r, (unsigned long)(rnd() >> 32));
    }
    mpz_mod(out, r, n);
    mpz_clear(r);
}

/* 1 + a number below 10^digits */
static void random_digits(mpz_t out, unsigned digits)
{
    mpz_ui_pow_ui(out, 10, digits);
    random_below(out, out);
    mpz_add_ui(out, out, 1);
}

/* 2^256 - 1, the most any amount or share total can be */
static void u256_max(mpz_t out)
{
    mpz_ui_pow_ui(out, 2, 256);
    mpz_sub_ui(out, out, 1);
}

/* Calls z on every integer of the model and q on every rational: the one list that model_init
 * inits and model_clear clears. */
static void model_numbers(void (*z)(mpz_ptr), void (*q)(mpq_ptr))
{
    for (unsigned p = 0; p <= NP; p++) {
        struct mpool *P = &m.pool[p];
        z(P->cap);
        z(P->T);
        z(P->S);
        z(P->bonded);
        z(P->unbonding);
        for (unsigned u = 0; u < NU; u++) {
            z(P->shares[u]);
            z(P->queued[u]);
            q(P->ent[u]);
        }
    }
    for (unsigned w = 0; w < NW; w++)
        z(m.worker[w].bonded);
    for (unsigned i = 0; i < 512; i++)
        z(m.unb[i].amount);
    for (unsigned u = 0; u < NU; u++) {
        z(m.user[u].free);
        z(m.user[u].claimed);
        z(m.user[u].commission);
    }
    z(m.paid);
    z(m.max_shares);
    z(m.max_ratio);
}

static void model_init(void)
{
    memset(&m, 0, sizeof m);
    model_numbers(mpz_init, mpq_init);
    for (unsigned w = 0; w < NW; w++) {
        /* worker w is th_worker_key(w); 0..5 start in pools 1..3 (two each) and serve their owners,
         * 6..8 serve dev 0, 1 and 2, so a WorkerAdd of them succeeds only from that owner. The
         * addresses come in no particular order: worder sorts them. */
        th_worker_address(m.worker[w].addr, w);
        m.worker[w].operator_ = w < 2 * NP ? w / 2 : w - 2 * NP;
        m.worder[w] = w;
    }
    for (unsigned i = 1; i < NW; i++)
        for (unsigned j = i; j > 0 && memcmp(m.worker[m.worder[j - 1]].addr, m.worker[m.worder[j]].addr, 20) > 0; j--) {
            unsigned t = m.worder[j];
            m.worder[j] = m.worder[j - 1];
            m.worder[j - 1] = t;
        }
    for (unsigned u = 0; u < NU; u++) {
        eng_dev_key(m.user[u].key, u);
        cr_assert_eq(ledger_sig_address(m.user[u].addr, m.user[u].key), ST_OK, "dev address");
        mpz_set_str(m.user[u].free, USER_BALANCE, 10);
    }
    m.now = G_TIME;
}

static void model_clear(void)
{
    model_numbers(mpz_clear, mpq_clear);
}

static bool pool_ok(unsigned p)
{
    return p >= 1 && p <= NP && m.pool[p].exists;
}

static void free_stake(mpz_t out, const struct mpool *P)
{
    mpz_sub(out, P->T, P->bonded);
    mpz_sub(out, out, P->unbonding);
}

/* A raise whose notice has passed is in force. */
static uint32_t commission_now(struct mpool *P)
{
    if (P->pend && m.now >= P->pend_at) {
        P->ppm = P->pend_ppm;
        P->pend = false;
        cov.raises_applied++;
    }
    return P->ppm;
}

static void queue_remove(struct mpool *P, unsigned u)
{
    for (unsigned i = 0; i < P->qlen; i++)
        if (P->q[i] == u) {
            memmove(&P->q[i], &P->q[i + 1], (P->qlen - i - 1) * sizeof P->q[0]);
            P->qlen--;
            return;
        }
}

/* Pays the queue head first from free stake, each at the price of the moment; a request larger
 * than the free stake gets the most whole shares the free stake pays for, then paying stops. In a
 * pool with shares and no stake at all every request is paid at once, at its worth: zero. */
static void fill(struct mpool *P)
{
    mpz_t fr, pay, part;
    mpz_inits(fr, pay, part, NULL);
    for (;;) {
        free_stake(fr, P);
        if (mpz_sgn(P->S) == 0 || P->qlen == 0 || (mpz_sgn(fr) <= 0 && mpz_sgn(P->T) != 0))
            break;
        unsigned u = P->q[0];
        mpz_mul(pay, P->queued[u], P->T);
        mpz_fdiv_q(pay, pay, P->S);
        bool whole = mpz_cmp(pay, fr) <= 0;
        if (whole) {
            mpz_set(part, P->queued[u]);
        } else {
            mpz_mul(part, fr, P->S);
            mpz_fdiv_q(part, part, P->T);
            if (mpz_sgn(part) == 0)
                break;
            mpz_mul(pay, part, P->T);
            mpz_fdiv_q(pay, pay, P->S);
        }
        P->settles[u]++;
        cov.paid_at_zero += mpz_sgn(P->T) == 0;
        mpz_sub(P->shares[u], P->shares[u], part);
        mpz_sub(P->S, P->S, part);
        mpz_sub(P->T, P->T, pay);
        mpz_sub(P->queued[u], P->queued[u], part);
        mpz_add(m.user[u].free, m.user[u].free, pay);
        cov.partial_fills += !whole;
        cov.whole_fills += whole;
        cov.emptied_pools += mpz_sgn(P->S) == 0;
        if (!whole)
            break;
        queue_remove(P, u);
    }
    mpz_clears(fr, pay, part, NULL);
}

static void unbond(unsigned p, unsigned w, const mpz_t amount)
{
    struct mpool *P = &m.pool[p];
    cr_assert_lt(m.n_unb, 512, "model unbonding table");
    struct munb *u = &m.unb[m.n_unb++];
    u->pool = p;
    u->worker = w;
    mpz_set(u->amount, amount);
    u->release = m.now + UNBONDING;
    mpz_sub(m.worker[w].bonded, m.worker[w].bonded, amount);
    mpz_sub(P->bonded, P->bonded, amount);
    mpz_add(P->unbonding, P->unbonding, amount);
}

/* What the queue still needs beyond free and unbonding stake is unbonded from the pool's workers
 * in address order. */
static void force_unbond(unsigned p)
{
    struct mpool *P = &m.pool[p];
    mpz_t need, total, take;
    mpz_inits(need, total, take, NULL);
    for (unsigned i = 0; i < P->qlen; i++)
        mpz_add(total, total, P->queued[P->q[i]]);
    if (mpz_sgn(P->S) > 0) {
        mpz_mul(need, total, P->T);
        mpz_fdiv_q(need, need, P->S);
    }
    mpz_sub(need, need, P->T);
    mpz_add(need, need, P->bonded);       /* less free + unbonding = T - bonded */
    for (unsigned i = 0; i < NW && mpz_sgn(need) > 0; i++) {
        unsigned w = m.worder[i];
        if (m.worker[w].pool != p || mpz_sgn(m.worker[w].bonded) == 0)
            continue;
        mpz_set(take, mpz_cmp(m.worker[w].bonded, need) < 0 ? m.worker[w].bonded : need);
        unbond(p, w, take);
        mpz_sub(need, need, take);
        cov.forced_unbonds++;
    }
    mpz_clears(need, total, take, NULL);
}

/* Removes unbonding entry i, keeping the others in insertion order. */
static void unb_remove(unsigned i)
{
    for (; i + 1 < m.n_unb; i++) {
        m.unb[i].pool = m.unb[i + 1].pool;
        m.unb[i].worker = m.unb[i + 1].worker;
        m.unb[i].release = m.unb[i + 1].release;
        mpz_swap(m.unb[i].amount, m.unb[i + 1].amount);
    }
    m.n_unb--;
}

/* Whether a block made now starts with a Tick: stake to release or an epoch to close. */
static bool tick_due(void)
{
    for (unsigned i = 0; i < m.n_unb; i++)
        if (m.unb[i].release <= m.now)
            return true;
    return (m.now - G_TIME) / EPOCH > m.last_epoch;
}

/* The start of a block: release what is due (by release time, then age) paying the queues, then at
 * an epoch close force the pools whose queue holds a request strictly older than the grace. */
static void tick(void)
{
    for (;;) {
        unsigned best = m.n_unb;
        for (unsigned i = 0; i < m.n_unb; i++)
            if (m.unb[i].release <= m.now && (best == m.n_unb || m.unb[i].release < m.unb[best].release))
                best = i;
        if (best == m.n_unb)
            break;
        struct mpool *P = &m.pool[m.unb[best].pool];
        mpz_sub(P->unbonding, P->unbonding, m.unb[best].amount);
        unb_remove(best);
        cov.releases++;
        fill(P);
    }
    uint64_t epoch = (m.now - G_TIME) / EPOCH;
    if (epoch <= m.last_epoch)
        return;
    for (unsigned p = 1; p <= NP && m.now >= GRACE; p++) {
        bool overdue = false;
        for (unsigned i = 0; i < m.pool[p].qlen; i++)
            overdue |= m.pool[p].since[m.pool[p].q[i]] < m.now - GRACE;
        if (overdue)
            force_unbond(p);
    }
    m.last_epoch = epoch;
}

/* ---- operations: the model decides the expected outcome ---- */

enum kind { K_CREATE, K_CONTRIBUTE, K_WITHDRAW, K_CLAIM, K_REWARD, K_SLASH, K_BOND, K_UNBOND, K_ADD, K_COMMISSION,
            K_MINT, K_ADVANCE, K_KINDS };
static const char *const kind_name[K_KINDS] = { "PoolCreate", "Contribute", "Withdraw", "Claim", "PoolReward",
                                                "WorkerSlash", "WorkerBond", "WorkerUnbond", "WorkerAdd",
                                                "PoolSetCommission", "Mint", "advance" };

enum { EXPECT_FAIL = 0, EXPECT_OK = 1, EXPECT_CLAIM = 2 };

struct op {
    enum kind kind;
    unsigned user, pool;
    int expect;
    const char *reason;            /* part of the error a failure must give, when the model knows it */
    bool had_shares;               /* a claim settles only with shares */
    unsigned long index;
    th_outcome o;
};

static struct op ops[32];
static unsigned n_ops;
static bool block_open, tick_expected;
static unsigned long stats[K_KINDS][3];   /* succeeded, failed, refused before queuing */
static unsigned long idle_blocks;          /* Tick-only blocks made by a flush with nothing queued */

static mpz_t *power;               /* [block][user] */
static uint64_t *power_height;
static size_t n_power, cap_power;

/* The checks in the documented order; *reason gets the failure's error. */
static bool contribute(unsigned u, unsigned p, const mpz_t a, const char **reason)
{
    if (!pool_ok(p)) {
        *reason = "no pool";
        return false;
    }
    struct mpool *P = &m.pool[p];
    mpz_t sh, total;
    mpz_inits(sh, total, NULL);
    bool ok = false;
    mpz_add(sh, P->T, a);
    if (mpz_cmp(sh, P->cap) > 0) {
        *reason = "takes at most";
        cov.over_capacity++;
        goto out;
    }
    if (mpz_sgn(P->S) == 0) {
        mpz_set(sh, a);
    } else if (mpz_sgn(P->T) == 0) {
        *reason = "was slashed to zero stake; it takes no contributions";
        cov.zero_stake++;
        goto out;
    } else {
        mpz_mul(sh, a, P->S);
        mpz_fdiv_q(sh, sh, P->T);
        if (mpz_sgn(sh) == 0) {
            *reason = "the amount buys no whole share at the pool's price";
            goto out;
        }
    }
    /* floor(a * S / T) + S > 2^256 - 1 */
    u256_max(total);
    mpz_sub(total, total, P->S);
    if (mpz_cmp(sh, total) > 0) {
        *reason = "share price has collapsed: the shares this buys would take its total past 2^256";
        cov.collapsed++;
        goto out;
    }
    if (mpz_cmp(m.user[u].free, a) < 0) {
        *reason = "insufficient balance";
        cov.short_balance++;
        goto out;
    }
    P->settles[u]++;
    mpz_add(P->shares[u], P->shares[u], sh);
    mpz_add(P->S, P->S, sh);
    mpz_add(P->T, P->T, a);
    mpz_sub(m.user[u].free, m.user[u].free, a);
    fill(P);
    ok = true;
out:
    mpz_clears(sh, total, NULL);
    return ok;
}

static bool withdraw(unsigned u, unsigned p, const mpz_t s)
{
    if (!pool_ok(p))
        return false;
    struct mpool *P = &m.pool[p];
    mpz_t avail, value;
    mpz_inits(avail, value, NULL);
    bool ok = false;
    mpz_sub(avail, P->shares[u], P->queued[u]);
    if (mpz_cmp(s, avail) > 0)
        goto out;
    if (mpz_sgn(P->S) > 0) {
        mpz_mul(value, s, P->T);
        mpz_fdiv_q(value, value, P->S);
    }
    if (mpz_cmp(s, avail) != 0 && mpz_cmp_ui(value, MIN_WITHDRAWAL) < 0)
        goto out;
    mpz_add(P->queued[u], P->queued[u], s);
    P->since[u] = m.now;
    queue_remove(P, u);
    P->q[P->qlen++] = u;
    fill(P);
    ok = true;
out:
    mpz_clears(avail, value, NULL);
    return ok;
}

static bool reward(unsigned p, const mpz_t amount)
{
    if (!pool_ok(p))
        return false;
    struct mpool *P = &m.pool[p];
    mpz_t commission, rest;
    mpz_inits(commission, rest, NULL);
    mpz_mul_ui(commission, amount, commission_now(P));
    mpz_fdiv_q_ui(commission, commission, PPM);
    if (mpz_sgn(P->S) == 0)
        mpz_set(commission, amount);
    mpz_sub(rest, amount, commission);
    mpz_add(m.user[P->owner].commission, m.user[P->owner].commission, commission);
    mpz_add(m.paid, m.paid, amount);
    if (mpz_sgn(P->S) > 0) {
        mpq_t part;
        mpq_init(part);
        for (unsigned u = 0; u < NU; u++) {
            if (mpz_sgn(P->shares[u]) == 0)
                continue;
            mpz_mul(mpq_numref(part), rest, P->shares[u]);
            mpz_set(mpq_denref(part), P->S);
            mpq_canonicalize(part);
            mpq_add(P->ent[u], P->ent[u], part);
            P->rewarded[u]++;
        }
        mpq_clear(part);
        if (mpz_cmp(P->S, m.max_shares) > 0)
            mpz_set(m.max_shares, P->S);
        cov.rewards_past_10_36 += mpz_sizeinbase(P->S, 10) > 37;
    }
    mpz_clears(commission, rest, NULL);
    return true;
}

/* ppm (at most 100%) of the worker's bonded stake and of each of its unbonding entries, each
 * floored; an entry burned to zero is gone. */
static bool slash(unsigned w, uint32_t ppm)
{
    struct mworker *W = &m.worker[w];
    if (W->pool == 0)
        return false;
    struct mpool *P = &m.pool[W->pool];
    if (ppm > PPM)
        ppm = PPM;
    mpz_t cut;
    mpz_init(cut);
    mpz_mul_ui(cut, W->bonded, ppm);
    mpz_fdiv_q_ui(cut, cut, PPM);
    mpz_sub(W->bonded, W->bonded, cut);
    mpz_sub(P->bonded, P->bonded, cut);
    mpz_sub(P->T, P->T, cut);
    unsigned entries = 0;
    for (unsigned i = 0; i < m.n_unb;) {
        if (m.unb[i].worker != w) {
            i++;
            continue;
        }
        entries++;
        cov.slashed_entries++;
        mpz_mul_ui(cut, m.unb[i].amount, ppm);
        mpz_fdiv_q_ui(cut, cut, PPM);
        mpz_sub(m.unb[i].amount, m.unb[i].amount, cut);
        mpz_sub(P->unbonding, P->unbonding, cut);
        mpz_sub(P->T, P->T, cut);
        if (mpz_sgn(m.unb[i].amount) == 0)
            unb_remove(i);
        else
            i++;
    }
    cr_assert_lt(entries, 256, "the engine cuts at most 256 entries of a worker");
    mpz_clear(cut);
    fill(P);
    return true;
}

static bool owned_worker(unsigned signer, unsigned p, unsigned w)
{
    return pool_ok(p) && m.pool[p].owner == signer && m.worker[w].pool == p;
}

/* Whether a bond of amount may start a worker (one with nothing bonded): its initial value promise
 * Ve = 1.3 * (S + 0.3 P) tokens may not exceed vMax, 30000 tokens, i.e. 13 * (10 S + 3 P tokens)
 * <= 3000000 tokens. (The engine's defaults, at confidence level 1; the minimum stake and score are
 * 0 on this chain. vMax is to become the genesis key "rewards.vMax": then read it from there.) */
static bool may_start(const mpz_t amount)
{
    mpz_t lhs, rhs, token;
    mpz_inits(lhs, rhs, token, NULL);
    mpz_ui_pow_ui(token, 10, 18);
    mpz_mul_ui(lhs, amount, 10);
    mpz_addmul_ui(lhs, token, 3 * WORKER_SCORE);
    mpz_mul_ui(lhs, lhs, 13);
    mpz_mul_ui(rhs, token, 3000000);
    bool ok = mpz_cmp(lhs, rhs) <= 0;
    mpz_clears(lhs, rhs, token, NULL);
    return ok;
}

static bool bond(unsigned signer, unsigned p, unsigned w, const mpz_t amount)
{
    if (!owned_worker(signer, p, w))
        return false;
    if (mpz_sgn(m.worker[w].bonded) == 0 && !may_start(amount))
        return false;
    mpz_t fr;
    mpz_init(fr);
    free_stake(fr, &m.pool[p]);
    bool ok = mpz_cmp(amount, fr) <= 0;
    if (ok) {
        mpz_add(m.worker[w].bonded, m.worker[w].bonded, amount);
        mpz_add(m.pool[p].bonded, m.pool[p].bonded, amount);
    }
    mpz_clear(fr);
    return ok;
}

static bool unbond_tx(unsigned signer, unsigned p, unsigned w, const mpz_t amount)
{
    if (!owned_worker(signer, p, w) || mpz_cmp(amount, m.worker[w].bonded) > 0)
        return false;
    unbond(p, w, amount);
    return true;
}

static bool add_worker(unsigned signer, unsigned p, unsigned w)
{
    if (!pool_ok(p) || m.pool[p].owner != signer || m.worker[w].pool != 0 || m.worker[w].operator_ != signer)
        return false;
    unsigned count = 0;
    for (unsigned i = 0; i < NW; i++)
        count += m.worker[i].pool == p;
    if (count >= MAX_WORKERS)
        return false;
    m.worker[w].pool = p;
    return true;
}

static bool set_commission(unsigned signer, unsigned p, uint32_t ppm)
{
    if (!pool_ok(p) || m.pool[p].owner != signer)
        return false;
    struct mpool *P = &m.pool[p];
    if (ppm <= commission_now(P)) {
        P->ppm = ppm;
        P->pend = false;
    } else {
        P->pend = true;
        P->pend_ppm = ppm;
        P->pend_at = m.now + NOTICE;
    }
    return true;
}

/* ---- submitting ---- */

/* The model's block opens with the first queued item: the Tick runs before it. */
static void open_block(void)
{
    if (!block_open) {
        block_open = true;
        tick_expected = tick_due();
        tick();
    }
}

static struct op *new_op(enum kind kind, unsigned user, unsigned pool, unsigned long index)
{
    cr_assert_lt(n_ops, sizeof ops / sizeof ops[0], "ops per block");
    struct op *op = &ops[n_ops];
    memset(op, 0, sizeof *op);
    op->kind = kind;
    op->user = user;
    op->pool = pool;
    op->index = index;
    return op;
}

static void add_amount(cJSON *msg, const char *key, const mpz_t v)
{
    char text[LEDGER_AMOUNT_STRLEN];
    ledger_amount_format(text, v);
    cr_assert_not_null(cJSON_AddStringToObject(msg, key, text), "message");
}

static void add_u64(cJSON *msg, const char *key, uint64_t v)
{
    char text[24];
    snprintf(text, sizeof text, "%llu", (unsigned long long)v);
    cr_assert_not_null(cJSON_AddStringToObject(msg, key, text), "message");
}

static void add_worker_member(cJSON *msg, unsigned w)
{
    char text[LEDGER_ADDR_STRLEN];
    ledger_addr_format(text, m.worker[w].addr);
    cr_assert_not_null(cJSON_AddStringToObject(msg, "worker", text), "message");
}

/* Signs msg (consumed) as user u and submits it. refused: the stateless checks must refuse it
 * (ST_INVALID, nothing queued, no nonce used); otherwise the model's block opens, apply() decides
 * the expected outcome and the transaction is queued. */
static void submit(struct op *op, const char *type, cJSON *msg, bool refused)
{
    struct muser *U = &m.user[op->user];
    int rc = th_submit_msg(e, U->key, U->nonce, type, msg, &op->o);
    cJSON_Delete(msg);
    if (refused) {
        cr_assert_eq(rc, ST_INVALID, "op %lu %s refused before queuing", op->index, type);
        cr_assert(th_last_err()[0] != 0, "op %lu: the refusal says why", op->index);
        stats[op->kind][2]++;
        return;
    }
    cr_assert_eq(rc, ST_OK, "op %lu %s queued: %s", op->index, type, th_last_err());
    U->nonce++;
    n_ops++;
}

static void submit_system(struct op *op, const char *type, cJSON *msg)
{
    cr_assert_eq(eng_submit_system(e, type, msg, th_on_done, &op->o), ST_OK, "op %lu %s queued", op->index, type);
    cJSON_Delete(msg);
    n_ops++;
}

/* ---- checking the engine against the model ---- */

static void expect_mpz_eq(const mpz_t got, const mpz_t want, const char *what, unsigned a, unsigned b)
{
    if (mpz_cmp(got, want) != 0) {
        char *g = mpz_get_str(NULL, 10, got), *w = mpz_get_str(NULL, 10, want);
        cr_assert_fail("%s (%u, %u): engine %s, model %s (after %zu blocks, seed %llu)", what, a, b, g, w, n_power,
                       (unsigned long long)seed);
    }
}

static void balance(mpz_t out, ledger_account a)
{
    cr_assert_eq(ledger_balance(eng_ledger(e), &a, out), ST_OK, "balance");
}

static void claimed_amount(mpz_t out, const char *events)
{
    cJSON *arr = cJSON_Parse(events);
    cr_assert_not_null(arr, "events");
    const cJSON *ev;
    bool found = false;
    cJSON_ArrayForEach(ev, arr) {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(ev, "type"), *a = cJSON_GetObjectItemCaseSensitive(ev, "amount");
        if (cJSON_IsString(t) && strcmp(t->valuestring, "Claimed") == 0 && cJSON_IsString(a)) {
            cr_assert_eq(mpz_set_str(out, a->valuestring, 10), 0, "claimed amount");
            found = true;
        }
    }
    cr_assert(found, "a claim emits Claimed: %s", events);
    cJSON_Delete(arr);
}

static void check_outcomes(void)
{
    mpz_t amount;
    mpz_init(amount);
    for (unsigned i = 0; i < n_ops; i++) {
        struct op *op = &ops[i];
        cr_assert_eq(op->o.calls, 1, "op %lu answered once", op->index);
        cr_assert_eq(op->o.status, ST_OK, "op %lu %s in a block: %s", op->index, kind_name[op->kind], op->o.errmsg);
        if (op->expect == EXPECT_CLAIM) {
            if (op->o.success) {
                claimed_amount(amount, op->o.events);
                mpz_add(m.user[op->user].claimed, m.user[op->user].claimed, amount);
                mpz_add(m.user[op->user].free, m.user[op->user].free, amount);
                if (op->had_shares)
                    m.pool[op->pool].settles[op->user]++;
            } else {
                cr_assert(strstr(op->o.error, "nothing to claim"), "op %lu claim failed: %s", op->index, op->o.error);
            }
        } else {
            cr_assert_eq(op->o.success, op->expect == EXPECT_OK, "op %lu %s by dev %u on pool %u: engine %s (%s), model %s",
                         op->index, kind_name[op->kind], op->user, op->pool, op->o.success ? "succeeded" : "failed",
                         op->o.error, op->expect == EXPECT_OK ? "succeeds" : "fails");
            cr_assert(op->o.success || !op->reason || strstr(op->o.error, op->reason),
                      "op %lu %s by dev %u on pool %u failed with \"%s\", the model expects \"%s\"", op->index,
                      kind_name[op->kind], op->user, op->pool, op->o.error, op->reason);
        }
        stats[op->kind][op->o.success ? 0 : 1]++;
        th_outcome_clear(&op->o);
    }
    mpz_clear(amount);
}

static void check_pool(unsigned p, mpz_t pending[NU])
{
    struct mpool *P = &m.pool[p];
    ledger *l = eng_ledger(e);
    ledger_pool row;
    ledger_pool_init(&row);
    cr_assert_eq(ledger_pool_get(l, p, &row), ST_OK, "pool %u", p);
    expect_mpz_eq(row.stake, P->T, "pool stake", p, 0);
    expect_mpz_eq(row.shares, P->S, "pool shares", p, 0);
    expect_mpz_eq(row.bonded, P->bonded, "pool bonded", p, 0);
    expect_mpz_eq(row.unbonding, P->unbonding, "pool unbonding", p, 0);
    expect_mpz_eq(row.capacity, P->cap, "pool capacity", p, 0);
    cr_assert(memcmp(row.owner, m.user[P->owner].addr, 20) == 0, "pool owner");
    cr_assert_eq(eng_staking_commission_at(&row, m.now), commission_now(P), "commission of pool %u", p);
    mpz_t v;
    mpz_init(v);
    balance(v, ledger_pool_account(LEDGER_POOL_STAKE, p));
    expect_mpz_eq(v, P->T, "stake account", p, 0);
    cr_assert(mpz_cmp(P->T, P->S) <= 0, "pool %u: a share is never worth more than one base unit", p);
    if (mpz_sgn(P->T) > 0) {
        mpz_fdiv_q(v, P->S, P->T);
        if (mpz_cmp(v, m.max_ratio) > 0)
            mpz_set(m.max_ratio, v);
    }

    unsigned holders = 0;
    ledger_stake s;
    ledger_stake_init(&s);
    for (unsigned u = 0; u < NU; u++) {
        cr_assert_eq(ledger_stake_get(l, p, m.user[u].addr, &s), ST_OK, "stake");
        expect_mpz_eq(s.shares, P->shares[u], "shares", p, u);
        eng_staking_pending(pending[u], &row, &s);
        cr_assert(mpz_sgn(pending[u]) >= 0, "pending is never negative");
        holders += mpz_sgn(P->shares[u]) > 0;
    }
    ledger_stake_clear(&s);
    ledger_stake list[NU + 1];
    for (unsigned i = 0; i <= NU; i++)
        ledger_stake_init(&list[i]);
    unsigned n = 0;
    bool more = false;
    cr_assert_eq(ledger_stake_list(l, p, NULL, NU + 1, list, &n, &more), ST_OK, "stakers");
    cr_assert_eq(n, holders, "pool %u has a row for each holder and no other", p);
    for (unsigned i = 0; i <= NU; i++)
        ledger_stake_clear(&list[i]);

    ledger_withdrawal w[NU + 1];
    for (unsigned i = 0; i <= NU; i++)
        ledger_withdrawal_init(&w[i]);
    cr_assert_eq(ledger_withdrawal_list(l, p, 0, NU + 1, w, &n, &more), ST_OK, "queue");
    cr_assert_eq(n, P->qlen, "queue length of pool %u", p);
    for (unsigned i = 0; i < n; i++) {
        unsigned u = P->q[i];
        cr_assert(memcmp(w[i].address, m.user[u].addr, 20) == 0, "queue position %u of pool %u is dev %u's", i, p, u);
        expect_mpz_eq(w[i].shares, P->queued[u], "queued shares", p, u);
        cr_assert_eq(w[i].since, P->since[u], "request time");
    }
    for (unsigned i = 0; i <= NU; i++)
        ledger_withdrawal_clear(&w[i]);

    enum { CAP = 64 };
    ledger_unbonding unb[CAP];
    for (unsigned i = 0; i < CAP; i++)
        ledger_unbonding_init(&unb[i]);
    cr_assert_eq(ledger_unbonding_of_pool(l, p, unb, CAP, &n), ST_OK, "unbondings");
    cr_assert_lt(n, CAP, "unbondings fit");
    /* the model's entries of this pool, by release time then age (a stable sort of insertion order) */
    unsigned idx[512], k = 0;
    for (unsigned i = 0; i < m.n_unb; i++) {
        if (m.unb[i].pool != p)
            continue;
        unsigned j = k++;
        for (; j > 0 && m.unb[idx[j - 1]].release > m.unb[i].release; j--)
            idx[j] = idx[j - 1];
        idx[j] = i;
    }
    for (unsigned j = 0; j < k && j < n; j++) {
        const struct munb *u = &m.unb[idx[j]];
        expect_mpz_eq(unb[j].amount, u->amount, "unbonding amount", p, j);
        cr_assert_eq(unb[j].release_at, u->release, "release time");
        cr_assert(memcmp(unb[j].worker, m.worker[u->worker].addr, 20) == 0, "unbonding worker");
    }
    cr_assert_eq(k, n, "unbondings of pool %u", p);
    for (unsigned i = 0; i < CAP; i++)
        ledger_unbonding_clear(&unb[i]);
    mpz_clear(v);
    ledger_pool_clear(&row);
}

/* Fails the test: pool p's rewards account keeps more than the bound allows beyond the pending rewards. */
static void fail_undistributed(unsigned p, const mpz_t kept, unsigned long pairs)
{
    char *text = NULL;
    cr_assert_neq(gmp_asprintf(&text, "pool %u keeps %Zd undistributed, more than one base unit per staker per reward "
                               "(%lu) (after %zu blocks, seed %llu)", p, kept, pairs, n_power, (unsigned long long)seed),
                  -1, "message");
    cr_assert_fail("%s", text);
}

/* Fails the test: dev u was credited outside the documented bound around its entitlement. */
static void fail_credit(unsigned u, const char *how, const mpz_t credited, const mpq_t entitled, unsigned long units)
{
    char *text = NULL;
    cr_assert_neq(gmp_asprintf(&text, "dev %u was credited %Zd, %s its entitlement %Qd (%lu base units) "
                               "(after %zu blocks, seed %llu)", u, credited, how, entitled, units, n_power,
                               (unsigned long long)seed),
                  -1, "message");
    cr_assert_fail("%s", text);
}

static void check_state(void)
{
    ledger *l = eng_ledger(e);
    mpz_t pending[NP + 1][NU], v, received, sum, rewards_held;
    for (unsigned p = 0; p <= NP; p++)
        for (unsigned u = 0; u < NU; u++)
            mpz_init(pending[p][u]);
    mpz_inits(v, received, sum, rewards_held, NULL);
    for (unsigned p = 1; p <= NP; p++) {
        check_pool(p, pending[p]);
        balance(v, ledger_pool_account(LEDGER_POOL_REWARDS, p));
        mpz_add(rewards_held, rewards_held, v);
        unsigned long pairs = 0;
        for (unsigned u = 0; u < NU; u++) {
            mpz_sub(v, v, pending[p][u]);
            pairs += m.pool[p].rewarded[u];
        }
        cr_assert(mpz_sgn(v) >= 0, "pool %u's rewards account covers every pending reward", p);
        /* what stays undistributed: at most one base unit per staker per reward it held shares for */
        if (mpz_cmp_ui(v, pairs) > 0)
            fail_undistributed(p, v, pairs);
    }

    ledger_worker w;
    ledger_worker_init(&w);
    for (unsigned i = 0; i < NW; i++) {
        int rc = ledger_worker_get(l, m.worker[i].addr, &w);
        if (m.worker[i].pool == 0) {
            cr_assert_eq(rc, ST_NOTFOUND, "worker %u was never added", i);
            continue;
        }
        cr_assert_eq(rc, ST_OK, "worker %u", i);
        cr_assert_eq(w.pool, m.worker[i].pool, "worker %u's pool", i);
        expect_mpz_eq(w.bonded, m.worker[i].bonded, "worker bonded", i, 0);
    }
    ledger_worker_clear(&w);

    /* the documented bound on what each staker was credited (see the top of the file) */
    mpq_t E, gap;
    mpq_inits(E, gap, NULL);
    for (unsigned u = 0; u < NU; u++) {
        struct muser *U = &m.user[u];
        uint64_t nonce;
        cr_assert_eq(ledger_nonce_get(l, U->addr, &nonce), ST_OK, "nonce");
        cr_assert_eq(nonce, U->nonce, "nonce of dev %u", u);
        balance(v, ledger_user_account(LEDGER_FREE, U->addr));
        expect_mpz_eq(v, U->free, "free balance", u, 0);
        balance(v, ledger_user_account(LEDGER_CLAIMABLE, U->addr));
        mpz_add(sum, sum, v);
        mpz_add(sum, sum, U->claimed);
        /* credited as a staker: claimed + claimable + pending, less the owner's exact commission */
        mpz_add(received, U->claimed, v);
        mpq_set_ui(E, 0, 1);
        unsigned long over = 0, under = 0;
        for (unsigned p = 1; p <= NP; p++) {
            const struct mpool *P = &m.pool[p];
            mpz_add(received, received, pending[p][u]);
            mpq_add(E, E, P->ent[u]);
            over += P->rewarded[u];
            under += P->settles[u] + (mpz_sgn(P->shares[u]) > 0) + P->rewarded[u];
        }
        mpz_sub(received, received, U->commission);
        cr_assert(mpz_sgn(received) >= 0, "dev %u received its commission at least", u);
        /* C - E <= r */
        mpq_set_z(gap, received);
        mpq_sub(gap, gap, E);
        if (mpq_cmp_ui(gap, over, 1) > 0)
            fail_credit(u, "more than one base unit per reward over", received, E, over);
        /* E - C < n + h + r, or E = C */
        mpq_neg(gap, gap);
        if (mpq_sgn(gap) > 0 && mpq_cmp_ui(gap, under, 1) >= 0)
            fail_credit(u, "not less than one base unit per settlement and reward short of", received, E, under);
    }
    mpq_clears(E, gap, NULL);

    /* conservation: every reward paid in is claimed, claimable or still in a pool's rewards account */
    mpz_add(sum, sum, rewards_held);
    expect_mpz_eq(sum, m.paid, "claims + claimable + rewards held vs rewards paid", 0, 0);
    balance(v, ledger_system_account(LEDGER_TREASURY));
    mpz_add(v, v, m.paid);
    mpz_set_str(sum, TREASURY, 10);
    expect_mpz_eq(v, sum, "treasury + rewards paid", 0, 0);

    for (unsigned p = 0; p <= NP; p++)
        for (unsigned u = 0; u < NU; u++)
            mpz_clear(pending[p][u]);
    mpz_clears(v, received, sum, rewards_held, NULL);
}

/* Remembers each user's voting power at the block just written, as the model values it. */
static void snapshot_power(void)
{
    if (n_power == cap_power) {
        cap_power = cap_power ? 2 * cap_power : 1024;
        power = realloc(power, cap_power * NU * sizeof *power);
        power_height = realloc(power_height, cap_power * sizeof *power_height);
        cr_assert(power && power_height, "memory");
    }
    ledger_block head;
    cr_assert_eq(ledger_block_head(eng_ledger(e), &head), ST_OK, "head");
    power_height[n_power] = head.height;
    mpz_t v;
    mpz_init(v);
    for (unsigned u = 0; u < NU; u++) {
        mpz_ptr total = power[n_power * NU + u];
        mpz_init(total);
        for (unsigned p = 1; p <= NP; p++) {
            if (mpz_sgn(m.pool[p].S) == 0)
                continue;
            mpz_mul(v, m.pool[p].shares[u], m.pool[p].T);
            mpz_fdiv_q(v, v, m.pool[p].S);
            mpz_add(total, total, v);
        }
    }
    mpz_clear(v);
    n_power++;
}

/* The newest block is at height and starts with a Tick exactly when the model expects one. */
static void check_block(uint64_t height)
{
    ledger_block head;
    cr_assert_eq(ledger_block_head(eng_ledger(e), &head), ST_OK, "head");
    cr_assert_eq(head.height, height, "one block per flush");
    ledger_txrec *recs = NULL;
    size_t n = 0;
    cr_assert_eq(ledger_txrec_list_block(eng_ledger(e), height, &recs, &n), ST_OK, "block transactions");
    bool tick_found = n > 0 && strcmp(recs[0].type, "Tick") == 0;
    cr_assert_eq(tick_found, tick_expected, "block %llu %s a tick", (unsigned long long)height,
                 tick_expected ? "lacks" : "has an unexpected");
    if (tick_found)
        cr_assert(recs[0].success, "the tick succeeded: %s", recs[0].error ? recs[0].error : "");
    for (size_t i = 0; i < n; i++)
        ledger_txrec_clear(&recs[i]);
    free(recs);
}

static uint64_t next_height = 1;

static void end_block(void)
{
    if (n_ops == 0)
        return;
    cr_assert_eq(eng_flush(e), ST_OK, "flush");
    check_block(next_height++);
    th_expect_audit_ok(e);
    check_outcomes();
    n_ops = 0;
    block_open = false;
    check_state();
    snapshot_power();
}

/* With nothing queued, a block holding only the Tick was made exactly when work was due: by
 * eng_advance_time (flush false), which does what the new time makes due, or by a flush. */
static void expect_idle_block(bool flush)
{
    tick_expected = tick_due();
    if (flush)
        cr_assert_eq(eng_flush(e), ST_OK, "flush");
    if (!tick_expected) {
        ledger_block head;
        cr_assert_eq(ledger_block_head(eng_ledger(e), &head), ST_OK, "head");
        cr_assert_eq(head.height, next_height - 1, "no block when nothing is due");
        return;
    }
    tick();
    check_block(next_height++);
    th_expect_audit_ok(e);
    check_state();
    snapshot_power();
    idle_blocks++;
}

/* ---- generating operations ---- */

static unsigned some_pool(void)
{
    return below(50) == 0 ? NP + 1 : 1 + (unsigned)below(NP);    /* now and then one that does not exist */
}

static unsigned some_staker(void)
{
    return FIRST_STAKER + (unsigned)below(NU - FIRST_STAKER);
}

static unsigned owner_or_not(unsigned p)
{
    return p <= NP && below(10) ? m.pool[p].owner : (unsigned)below(NU);
}

/* A worker of pool p when it has one, mostly; any worker otherwise. */
static unsigned worker_of(unsigned p)
{
    unsigned mine[NW], n = 0;
    for (unsigned w = 0; w < NW; w++)
        if (m.worker[w].pool == p)
            mine[n++] = w;
    return n && below(8) ? mine[below(n)] : (unsigned)below(NW);
}

static void random_up_to(mpz_t out, const mpz_t max)
{
    random_below(out, max);
    mpz_add_ui(out, out, 1);
}

/* Queues a contribution of a (refused before queuing below the minimum). */
static void queue_contribute(unsigned long index, unsigned u, unsigned p, const mpz_t a)
{
    struct op *op = new_op(K_CONTRIBUTE, u, p, index);
    cJSON *msg = cJSON_CreateObject();
    add_u64(msg, "pool", p);
    add_amount(msg, "amount", a);
    bool refused = mpz_cmp_ui(a, MIN_CONTRIBUTION) < 0;
    if (!refused) {
        open_block();
        op->expect = contribute(u, p, a, &op->reason);
    }
    submit(op, "Contribute", msg, refused);
}

static void op_contribute(unsigned long index)
{
    unsigned u = some_staker(), p = some_pool();
    if (p == 1 && u >= FIRST_STAKER + 3)
        p = 2 + (unsigned)below(2);          /* pool 1 has three stakers at most, so it empties now and then */
    mpz_t a;
    mpz_init(a);
    uint64_t r = below(100);
    mpz_set_ui(a, r < 2 ? 0 : r < 4 ? 1 + below(MIN_CONTRIBUTION - 1) : MIN_CONTRIBUTION - 1 + some_amount());
    queue_contribute(index, u, p, a);
    mpz_clear(a);
}

static void op_withdraw(unsigned long index)
{
    unsigned u = some_staker(), p = some_pool();
    /* mostly a pool the staker is in */
    for (unsigned tries = 0; tries < 4 && !(p <= NP && mpz_sgn(m.pool[p].shares[u]) > 0); tries++)
        p = 1 + (unsigned)below(NP);
    struct op *op = new_op(K_WITHDRAW, u, p, index);
    mpz_t s, avail;
    mpz_inits(s, avail, NULL);
    if (p <= NP)
        mpz_sub(avail, m.pool[p].shares[u], m.pool[p].queued[u]);
    uint64_t r = below(100);
    if (r < 3)
        mpz_set_ui(s, 0);
    else if (r < 10)
        mpz_add_ui(s, avail, 1 + below(10));
    else if (r < 45 && mpz_sgn(avail) > 0)
        mpz_set(s, avail);                       /* the whole position */
    else if (r < 55 || mpz_sgn(avail) == 0)
        mpz_set_ui(s, 1 + below(6));
    else
        random_up_to(s, avail);
    cJSON *msg = cJSON_CreateObject();
    add_u64(msg, "pool", p);
    add_amount(msg, "shares", s);
    bool refused = mpz_sgn(s) == 0;
    if (!refused) {
        open_block();
        op->expect = withdraw(u, p, s);
    }
    submit(op, "Withdraw", msg, refused);
    mpz_clears(s, avail, NULL);
}

static void op_claim(unsigned long index)
{
    unsigned u = (unsigned)below(NU), p = some_pool();
    struct op *op = new_op(K_CLAIM, u, p, index);
    cJSON *msg = cJSON_CreateObject();
    add_u64(msg, "pool", p);
    open_block();
    op->expect = pool_ok(p) ? EXPECT_CLAIM : EXPECT_FAIL;
    op->had_shares = pool_ok(p) && mpz_sgn(m.pool[p].shares[u]) > 0;
    submit(op, "Claim", msg, false);
}

static void queue_reward(unsigned long index, unsigned p, const mpz_t a)
{
    struct op *op = new_op(K_REWARD, 0, p, index);
    cJSON *msg = cJSON_CreateObject();
    cJSON_AddNumberToObject(msg, "pool", p);
    add_amount(msg, "amount", a);
    open_block();
    op->expect = reward(p, a);
    submit_system(op, "PoolReward", msg);
}

static void op_reward(unsigned long index)
{
    mpz_t a;
    mpz_init_set_ui(a, some_amount());
    queue_reward(index, some_pool(), a);
    mpz_clear(a);
}

static void queue_slash(unsigned long index, unsigned w, uint32_t ppm)
{
    struct op *op = new_op(K_SLASH, 0, m.worker[w].pool, index);
    cJSON *msg = cJSON_CreateObject();
    add_worker_member(msg, w);
    cJSON_AddNumberToObject(msg, "ppm", ppm);
    open_block();
    op->expect = slash(w, ppm);
    submit_system(op, "WorkerSlash", msg);
}

static void op_slash(unsigned long index)
{
    unsigned w = (unsigned)below(NW);
    queue_slash(index, w, below(100) < 3 ? PPM + (uint32_t)below(2) * 500000u : (uint32_t)below(300001));
}

/* Queues a bond (or an unbond) of a (refused before queuing when 0). */
static void queue_bond(unsigned long index, unsigned signer, unsigned p, unsigned w, const mpz_t a, bool unbonding)
{
    struct op *op = new_op(unbonding ? K_UNBOND : K_BOND, signer, p, index);
    cJSON *msg = cJSON_CreateObject();
    add_u64(msg, "pool", p);
    add_worker_member(msg, w);
    add_amount(msg, "amount", a);
    bool refused = mpz_sgn(a) == 0;
    if (!refused) {
        open_block();
        op->expect = unbonding ? unbond_tx(signer, p, w, a) : bond(signer, p, w, a);
    }
    submit(op, unbonding ? "WorkerUnbond" : "WorkerBond", msg, refused);
}

/* A bond of a that could not start worker w (nothing bonded, a over the vMax rule) goes as two: 1
 * token that starts it, then the rest as a top-up, which the rule does not limit. Otherwise one. */
static void queue_bond_in_two(unsigned long index, unsigned signer, unsigned p, unsigned w, const mpz_t a)
{
    mpz_t token, rest;
    mpz_inits(token, rest, NULL);
    mpz_ui_pow_ui(token, 10, 18);
    if (mpz_sgn(m.worker[w].bonded) == 0 && !may_start(a)) {
        mpz_sub(rest, a, token);
        queue_bond(index, signer, p, w, token, false);
        queue_bond(index, signer, p, w, rest, false);
    } else {
        queue_bond(index, signer, p, w, a, false);
    }
    mpz_clears(token, rest, NULL);
}

static void op_bond_or_unbond(unsigned long index, bool unbonding)
{
    unsigned p = some_pool(), signer = owner_or_not(p), w = worker_of(p);
    mpz_t a, have;
    mpz_inits(a, have, NULL);
    if (p <= NP) {
        if (unbonding)
            mpz_set(have, m.worker[w].bonded);
        else
            free_stake(have, &m.pool[p]);
    }
    uint64_t r = below(100);
    if (r < 4)
        mpz_set_ui(a, 0);
    else if (r < 12 || mpz_sgn(have) <= 0)
        mpz_add_ui(a, have, 1 + below(1000));
    else if (r < 30)
        mpz_set(a, have);
    else
        random_up_to(a, have);
    if (mpz_sgn(a) < 0)
        mpz_set_ui(a, 1);
    /* the extreme walk's large bonds: mostly start the worker first, now and then meet the rule */
    if (!unbonding && mpz_sgn(m.worker[w].bonded) == 0 && !may_start(a) && below(4) != 0)
        queue_bond_in_two(index, signer, p, w, a);
    else
        queue_bond(index, signer, p, w, a, unbonding);
    mpz_clears(a, have, NULL);
}

static void op_bond(unsigned long index)
{
    op_bond_or_unbond(index, false);
}

static void op_unbond(unsigned long index)
{
    op_bond_or_unbond(index, true);
}

static void op_add(unsigned long index)
{
    unsigned p = some_pool(), signer = owner_or_not(p), w = (unsigned)below(NW);
    struct op *op = new_op(K_ADD, signer, p, index);
    cJSON *msg = cJSON_CreateObject();
    add_u64(msg, "pool", p);
    add_worker_member(msg, w);
    open_block();
    op->expect = add_worker(signer, p, w);
    submit(op, "WorkerAdd", msg, false);
}

static void op_commission(unsigned long index)
{
    unsigned p = some_pool(), signer = owner_or_not(p);
    uint32_t ppm = below(100) < 5 ? PPM + 1 + (uint32_t)below(1000) : (uint32_t)below(300001);
    struct op *op = new_op(K_COMMISSION, signer, p, index);
    cJSON *msg = cJSON_CreateObject();
    add_u64(msg, "pool", p);
    add_u64(msg, "commissionPpm", ppm);
    bool refused = ppm > PPM;
    if (!refused) {
        open_block();
        op->expect = set_commission(signer, p, ppm);
    }
    submit(op, "PoolSetCommission", msg, refused);
}

static void op_advance(unsigned long index)
{
    (void)index;
    end_block();
    uint64_t r = below(100), secs = r < 70 ? 1 + below(400) : r < 95 ? 400 + below(800) : 1500 + below(1500), now;
    cr_assert_eq(eng_advance_time(e, secs, &now), ST_OK, "advance");
    m.now += secs;
    cr_assert_eq(now, m.now, "clock");
    stats[K_ADVANCE][0]++;
    expect_idle_block(false);
    if (below(3) == 0)
        expect_idle_block(true);
}

/* ---- the extremes ---- */

/* Mints amount to dev u (the dev chain's admin_mint). */
static void queue_mint(unsigned long index, unsigned u, const mpz_t amount)
{
    struct op *op = new_op(K_MINT, u, 0, index);
    char addr[LEDGER_ADDR_STRLEN];
    ledger_addr_format(addr, m.user[u].addr);
    cJSON *msg = cJSON_CreateObject();
    cr_assert_not_null(cJSON_AddStringToObject(msg, "to", addr), "message");
    add_amount(msg, "amount", amount);
    open_block();
    mpz_add(m.user[u].free, m.user[u].free, amount);
    op->expect = EXPECT_OK;
    submit_system(op, "Mint", msg);
}

/* A contribution of 10 up to 10^40, or, in a pool with stake, the most that keeps its shares within
 * 2^256 (the largest a with floor(a * S / T) <= 2^256 - 1 - S, i.e. ceil((2^256 - S) * T / S) - 1)
 * or one base unit more; minted first unless the balance is to fall short now and then. */
static void ex_contribute(unsigned long index)
{
    unsigned u = some_staker(), p = 1 + (unsigned)below(NP);
    const struct mpool *P = &m.pool[p];
    mpz_t a, limit;
    mpz_inits(a, limit, NULL);
    mpz_ui_pow_ui(limit, 10, 40);
    uint64_t r = below(100);
    if (r < 30 && mpz_sgn(P->S) > 0 && mpz_sgn(P->T) > 0) {
        u256_max(a);
        mpz_sub(a, a, P->S);
        mpz_add_ui(a, a, 1);
        mpz_mul(a, a, P->T);
        mpz_cdiv_q(a, a, P->S);
        mpz_sub_ui(a, a, 1);
        mpz_add_ui(a, a, below(2));
    }
    if (mpz_sgn(a) == 0 || mpz_cmp(a, limit) > 0)
        random_digits(a, r < 65 ? 1 + (unsigned)below(40) : 1 + (unsigned)below(7));
    if (mpz_cmp_ui(a, MIN_CONTRIBUTION) < 0)
        mpz_add_ui(a, a, MIN_CONTRIBUTION);
    if (mpz_cmp(m.user[u].free, a) < 0 && below(20)) {
        mpz_sub(limit, a, m.user[u].free);
        queue_mint(index, u, limit);
    }
    queue_contribute(index, u, p, a);
    mpz_clears(a, limit, NULL);
}

/* 1 base unit, up to 10^9, or 10^20 to 10^45 */
static void ex_reward(unsigned long index)
{
    mpz_t a;
    mpz_init(a);
    uint64_t r = below(100);
    if (r < 30)
        mpz_set_ui(a, 1);
    else if (r < 55)
        random_digits(a, 20 + (unsigned)below(26));
    else
        random_digits(a, 1 + (unsigned)below(9));
    queue_reward(index, 1 + (unsigned)below(NP), a);
    mpz_clear(a);
}

/* The owner bonds all of pool p's free stake to one of its workers, then each of them is slashed by
 * ppm: at 1000000 the pool is left without stake (its unbonding stake burns too). */
static void deep_slash(unsigned long index, unsigned p, uint32_t ppm)
{
    unsigned mine[NW], n = 0;
    for (unsigned w = 0; w < NW; w++)
        if (m.worker[w].pool == p)
            mine[n++] = w;
    if (n == 0)
        return;
    open_block();
    mpz_t fr;
    mpz_init(fr);
    free_stake(fr, &m.pool[p]);
    if (mpz_sgn(fr) > 0)
        queue_bond_in_two(index, m.pool[p].owner, p, mine[below(n)], fr);
    for (unsigned i = 0; i < n; i++)
        queue_slash(index, mine[i], ppm);
    cov.deep_slashes++;
    mpz_clear(fr);
}

/* Pools 1 and 3 take 99.9999 % slashes of everything bonded; now and then a worker loses all it
 * has bonded and unbonding, when its pool keeps free stake (pool 2 is left without stake once). */
static void ex_slash(unsigned long index)
{
    unsigned w = (unsigned)below(NW), p = m.worker[w].pool;
    mpz_t fr;
    mpz_init(fr);
    if (p)
        free_stake(fr, &m.pool[p]);
    if (below(5) == 0 && mpz_sgn(fr) > 0)
        queue_slash(index, w, PPM);
    else
        deep_slash(index, below(2) ? 1 : 3, PPM - 1);
    mpz_clear(fr);
}

/* ---- the walks ---- */

struct weight {
    void (*op)(unsigned long index);
    unsigned weight;               /* out of 100 */
};

/* Runs operations first..last picked by weight, in blocks of 2 to 12 (an advance ends one). */
static void walk(const struct weight *mix, unsigned long first, unsigned long last)
{
    unsigned target = 2 + (unsigned)below(11);
    for (unsigned long i = first; i <= last; i++) {
        unsigned r = (unsigned)below(100), k = 0;
        while (r >= mix[k].weight)
            r -= mix[k++].weight;
        mix[k].op(i);
        if (n_ops >= target) {
            end_block();
            target = 2 + (unsigned)below(11);
        }
    }
    end_block();
}

/* Every worker registers (WorkerRegister, signed by its own key, which holds nothing) to serve its
 * operator, all in the first block: nothing in the model changes. */
static void register_workers(void)
{
    th_outcome o[NW];
    memset(o, 0, sizeof o);
    open_block();
    for (unsigned w = 0; w < NW; w++) {
        uint8_t key[32];
        char quote[2 * 172 + 3], op[LEDGER_ADDR_STRLEN];
        th_worker_key(key, w);
        th_worker_quote_hex(quote, key, eng_chain_id(e), 1, NULL);
        ledger_addr_format(op, m.user[m.worker[w].operator_].addr);
        cr_assert_eq(th_submit_signed(e, key, 0, "WorkerRegister", &o[w],
                                      "{\"quote\":\"%s\",\"operator\":\"%s\",\"iterations\":\"%u\",\"micros\":\"1000000\"}",
                                      quote, op, WORKER_SCORE * 1000u),
                     ST_OK, "WorkerRegister %u queued: %s", w, th_last_err());
    }
    cr_assert_eq(eng_flush(e), ST_OK, "flush");
    check_block(next_height++);
    th_expect_audit_ok(e);
    for (unsigned w = 0; w < NW; w++) {
        th_expect_ok(&o[w], "WorkerRegister");
        th_outcome_clear(&o[w]);
    }
    block_open = false;
    snapshot_power();   /* check_state needs the pools: the next block makes them and checks all */
}

/* The workers registered (a block), then pools 1..3 (owners dev 0, 1, 2) with capacity caps[i] and
 * their commission, and two workers each. */
static void create_pools(const char *const caps[NP])
{
    static const uint32_t ppm[NP] = { 50000, 100000, 0 };
    register_workers();
    open_block();
    for (unsigned i = 0; i < NP; i++) {
        unsigned p = i + 1;
        struct op *op = new_op(K_CREATE, i, p, 0);
        cJSON *msg = cJSON_CreateObject();
        add_u64(msg, "commissionPpm", ppm[i]);
        cJSON_AddStringToObject(msg, "capacity", caps[i]);
        m.pool[p].exists = true;
        m.pool[p].owner = i;
        m.pool[p].ppm = ppm[i];
        mpz_set_str(m.pool[p].cap, caps[i], 10);
        op->expect = EXPECT_OK;
        submit(op, "PoolCreate", msg, false);
    }
    for (unsigned w = 0; w < 2 * NP; w++) {
        unsigned p = 1 + w / 2;
        struct op *op = new_op(K_ADD, p - 1, p, 0);
        cJSON *msg = cJSON_CreateObject();
        add_u64(msg, "pool", p);
        add_worker_member(msg, w);
        op->expect = add_worker(p - 1, p, w);
        cr_assert(op->expect, "setup worker");
        submit(op, "WorkerAdd", msg, false);
    }
    end_block();
}

/* Voting power at every block, read after all that followed it; the whole log, Tick-only blocks
 * included, replays to the same blocks and balances; then what the walk went through. */
static void finish(const char *name)
{
    mpz_t v;
    mpz_init(v);
    for (size_t b = 0; b < n_power; b++)
        for (unsigned u = 0; u < NU; u++) {
            cr_assert_eq(ledger_stake_value_at(eng_ledger(e), m.user[u].addr, power_height[b], v), ST_OK, "power");
            if (mpz_cmp(v, power[b * NU + u]) != 0) {
                char *text = NULL;
                cr_assert_neq(gmp_asprintf(&text, "voting power of dev %u at height %llu: engine %Zd, model %Zd", u,
                                           (unsigned long long)power_height[b], v, power[b * NU + u]),
                              -1, "message");
                cr_assert_fail("%s", text);
            }
        }
    mpz_clear(v);

    eng_replay_report report = th_replay(&e);
    cr_assert_eq(report.blocks, next_height, "every block replayed");

    fprintf(stderr, "%s: %zu blocks, time +%llu s\n", name, n_power, (unsigned long long)(m.now - G_TIME));
    for (unsigned k = 0; k < K_KINDS; k++)
        fprintf(stderr, "  %-18s %6lu ok %6lu failed %6lu refused\n", kind_name[k], stats[k][0], stats[k][1], stats[k][2]);
    fprintf(stderr, "  %lu Tick-only blocks from idle flushes; %lu releases, %lu forced unbonds, %lu unbonding entries "
            "slashed; queue paid %lu whole, %lu in part; pools emptied %lu times; %lu commission raises took effect\n",
            idle_blocks, cov.releases, cov.forced_unbonds, cov.slashed_entries, cov.whole_fills, cov.partial_fills,
            cov.emptied_pools, cov.raises_applied);
    gmp_fprintf(stderr, "  %lu deep slashes; contributions failed: %lu collapsed price, %lu zero stake, %lu over "
                "capacity, %lu short balance; %lu withdrawals paid at zero; %lu rewards shared over more than 10^36 shares, the "
                "largest over %Zd; lowest price 1/%Zd\n",
                cov.deep_slashes, cov.collapsed, cov.zero_stake, cov.over_capacity,
                cov.short_balance, cov.paid_at_zero, cov.rewards_past_10_36, m.max_shares, m.max_ratio);
}

static void start(const char *name, unsigned long count)
{
    const char *env = getenv("STAKING_MODEL_SEED");
    seed = env ? strtoull(env, NULL, 10) : DEFAULT_SEED;
    rng = seed;
    fprintf(stderr, "%s: seed %llu (set STAKING_MODEL_SEED to replay another), %lu operations\n", name,
            (unsigned long long)seed, count);
}

/* ---- the fixture ---- */

static void setup(void)
{
    model_init();
    char accounts[2048] = "";
    size_t off = 0;
    for (unsigned u = 0; u < NU; u++) {
        char addr[LEDGER_ADDR_STRLEN];
        ledger_addr_format(addr, m.user[u].addr);
        off += (size_t)snprintf(accounts + off, sizeof accounts - off, "%s{\"address\":\"%s\",\"balance\":\"%s\"}",
                                u ? "," : "", addr, USER_BALANCE);
    }
    /* pool mechanics, not worker economics: minStakePerRootScore 0 and minWorkerScore 0 keep bonds
     * of a few base units legal (the vMax rule stays: may_start) */
    char genesis[4096];
    snprintf(genesis, sizeof genesis,
             "{\"chainId\":4244,\"time\":%u,\"treasury\":\"%s\",\"accounts\":[%s],\"epochSecs\":%u,"
             "\"staking\":{\"minContribution\":\"%u\",\"minWithdrawal\":\"%u\",\"commissionNoticeSecs\":%u,"
             "\"maxWorkersPerPool\":%u,\"unbondingSecs\":%u,\"withdrawGraceSecs\":%u,"
             "\"minStakePerRootScore\":\"0\",\"minWorkerScore\":0,\"slashDeferSecs\":0},%s}",
             G_TIME, TREASURY, accounts, EPOCH, MIN_CONTRIBUTION, MIN_WITHDRAWAL, NOTICE, MAX_WORKERS, UNBONDING, GRACE,
             th_worker_genesis());
    th_open_engine(&e, "model", genesis);
}

static void teardown(void)
{
    th_close_engine(e);
    for (size_t i = 0; i < n_power * NU; i++)
        mpz_clear(power[i]);
    free(power);
    free(power_height);
    model_clear();
}

TestSuite(engine_staking_model, .init = setup, .fini = teardown);

Test(engine_staking_model, random_operations_agree_with_an_exact_model)
{
    static const char *const caps[NP] = { "3000000", "20000000", "1000000000" };
    static const struct weight mix[] = {
        { op_contribute, 24 }, { op_withdraw, 18 }, { op_claim, 8 }, { op_reward, 12 }, { op_slash, 4 }, { op_bond, 12 },
        { op_unbond, 8 }, { op_add, 2 }, { op_commission, 3 }, { op_advance, 9 },
    };
    start("staking model", N_OPS);
    create_pools(caps);
    walk(mix, 1, N_OPS);
    finish("staking model");
}

/* Share totals far past 10^36 up to 2^256, prices down to 1/2^256, a pool slashed to zero stake
 * halfway through (pool 2), 1-wei and 10^45 rewards: the documented bound still holds to the unit. */
Test(engine_staking_model, the_bound_holds_through_deep_slashes_and_collapsed_prices)
{
    static const char *const caps[NP] = {
        "115792089237316195423570985008687907853269984665640564039457584007913129639935",
        "1000000000000000000000000000000000000000",
        "115792089237316195423570985008687907853269984665640564039457584007913129639935",
    };
    static const struct weight mix[] = {
        { ex_contribute, 24 }, { op_withdraw, 20 }, { op_claim, 7 }, { ex_reward, 14 }, { ex_slash, 4 }, { op_bond, 8 },
        { op_unbond, 6 }, { op_add, 2 }, { op_commission, 3 }, { op_advance, 12 },
    };
    start("staking model, extremes", N_EXTREME_OPS);
    create_pools(caps);
    walk(mix, 1, N_EXTREME_OPS / 2 - 1);
    deep_slash(N_EXTREME_OPS / 2, 2, PPM);
    walk(mix, N_EXTREME_OPS / 2 + 1, N_EXTREME_OPS);
    finish("staking model, extremes");
    mpz_t floor;
    mpz_init(floor);
    mpz_ui_pow_ui(floor, 10, 60);
    cr_assert_gt(mpz_cmp(m.max_shares, floor), 0, "rewards were shared over more than 10^60 shares");
    cr_assert_gt(mpz_cmp(m.max_ratio, floor), 0, "a share was priced below 10^-60");
    cr_assert_gt(cov.collapsed, 0, "a contribution failed at 2^256 shares");
    cr_assert_gt(cov.zero_stake, 0, "a pool without stake refused a contribution");
    cr_assert_gt(cov.paid_at_zero, 0, "a pool without stake paid a withdrawal at zero");
    mpz_clear(floor);
}
