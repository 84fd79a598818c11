/* SPDX-License-Identifier: MIT */
/* test_gov_model.c: a seeded random walk of 3,000 governance steps (contributions to and withdrawals
 * from three pools, slashes that take their share price below 1, delegations and undelegations with
 * every conviction, votes and vote changes on several proposals at once, new proposals, clock moves)
 * by the ten dev accounts, one block a step. After every block each proposal's tally and turnout,
 * kept incrementally by the engine (votes, changes, overrides before and after a delegate votes),
 * must equal a recount from scratch by the documented per-account rule: each account's power at the
 * snapshot is the sum over pools of floor(its shares * pool stake / pool shares), from the staking
 * checkpoints; its weight is that power times its conviction (floor(power / 10) for conviction 0),
 * floored on its own; a delegate carries the sum of each delegator's own power and own weight (with
 * the delegator's conviction) in force at the snapshot, less the delegators who voted themselves.
 * Each stored vote and each voter's gov_power_at must say the same. The model follows the
 * receipts for what happened (a refused or failed step changes nothing); it recounts, never replays
 * increments. Odd amounts and slashes leave remainders, so a floor taken on a sum shows. Each pool's
 * worker is a th_worker key registered to serve dev 0 before the walk. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine/engine.h"
#include "engine/genesis.h"
#include "governance/gov.h"
#include "governance/gov_store.h"
#include "engine/governance.h"
#include "governance/rules.h"
#include "ledger/hex.h"
#include "ledger/stakes.h"
#include "tests/lib/engine_fixture.h"
#include "tests/lib/testhelp.h"

#define STEPS 3000
#define DEFAULT_SEED 20261204u     /* override with GOV_MODEL_SEED=n */
#define NU 10                      /* dev accounts; 0 owns the pools and proposes */
#define NP 3                       /* pools 1..NP, each with one worker: th_worker_key(pool - 1) */
#define WORKER_SCORE 100           /* each worker's benchmark score */
#define MAX_PROPOSALS 64
#define MAX_BLOCKS 8192
#define G_TIME 1000000u
#define DELAY 10u
#define PERIOD 300u
#define LOCK 50u

static eng *e;
static char addr_text[NU][LEDGER_ADDR_STRLEN];
static uint8_t addr[NU][20];

/* The model: delegations after each block, by height (stake is read from the staking checkpoints). */
struct state {
    uint64_t height;
    int deleg_to[NU];              /* -1: none */
    unsigned deleg_conv[NU];
};
static struct state hist[MAX_BLOCKS];
static unsigned n_hist;
static struct state now_state;

struct mvote {
    bool voted;
    unsigned support, conviction;
};
static struct {
    uint64_t id, snapshot;
    uint64_t power[NU];            /* each account's own power at the snapshot, by the per-account rule */
    struct mvote votes[NU];
} props[MAX_PROPOSALS];
static uint8_t worker[NP][20];
static unsigned n_props;

static char *make_genesis(void)
{
    char accounts[2048] = "";
    size_t off = 0;
    for (unsigned i = 0; i < NU; i++)
        off += (size_t)snprintf(accounts + off, sizeof accounts - off, "%s{\"address\":\"%s\",\"balance\":\"1000000000\"}",
                                i ? "," : "", addr_text[i]);
    char *text = malloc(4096);
    cr_assert_not_null(text);
    /* the workers' minimum stake and score are 0: the walk bonds a few base units, for the slashes */
    snprintf(text, 4096,
             "{\"chainId\":4243,\"time\":%u,\"treasury\":\"1000\",\"accounts\":[%s],%s,"
             "\"staking\":{\"minContribution\":\"1\",\"minWithdrawal\":\"1\",\"slashDeferSecs\":0,"
             "\"minStakePerRootScore\":\"0\",\"minWorkerScore\":0},"
             "\"governance\":{\"lockPeriodSecs\":%u,\"executionGraceSecs\":100,\"cancelBurnPpm\":0,\"tracks\":["
             "{\"name\":\"t\",\"deposit\":\"1\",\"threshold\":\"1\",\"votingDelaySecs\":%u,\"votingPeriodSecs\":%u,"
             "\"enactmentDelaySecs\":10,\"quorumPpm\":1,\"approvalPpm\":500000,\"spendCap\":\"0\",\"payloads\":[\"text\"]}]}}",
             G_TIME, accounts, th_worker_genesis(), LOCK, DELAY, PERIOD);
    return text;
}

static void setup(void)
{
    for (unsigned i = 0; i < NU; i++) {
        th_dev_bytes(addr[i], i);
        ledger_addr_format(addr_text[i], addr[i]);
    }
    for (unsigned p = 0; p < NP; p++)
        th_worker_address(worker[p], p);
    char *genesis = make_genesis();
    th_open_engine(&e, "govmodel", genesis);
    free(genesis);
}

static void teardown(void)
{
    th_close_engine(e);
}

TestSuite(governance_model, .init = setup, .fini = teardown, .timeout = 300);

/* ---- driving the engine ---- */

static void record(void)
{
    now_state.height = th_head_height(e);
    if (n_hist && hist[n_hist - 1].height == now_state.height)
        hist[n_hist - 1] = now_state;
    else {
        cr_assert_lt(n_hist, MAX_BLOCKS, "history fits");
        hist[n_hist++] = now_state;
    }
}

/* ---- the per-account rule ---- */

static uint64_t mpz_u64(const mpz_t v)
{
    cr_assert(mpz_fits_ulong_p(v), "fits 64 bits");
    return mpz_get_ui(v);
}

/* Each account's own power at the end of block height: over the pools, floor(shares * stake /
 * total shares), as the staking checkpoints of that height say. Every staker is one of the NU
 * accounts, so their shares must add up to each pool's total. */
static void powers_at(uint64_t height, uint64_t power[NU])
{
    mpz_t shares, stake, total, value, sum;
    mpz_inits(shares, stake, total, value, sum, NULL);
    memset(power, 0, NU * sizeof power[0]);
    for (uint64_t pool = 1; pool <= NP; pool++) {
        mpz_set_ui(sum, 0);
        for (unsigned a = 0; a < NU; a++) {
            cr_assert_eq(ledger_stake_at(eng_ledger(e), pool, addr[a], height, shares, stake, total), ST_OK, "stake at");
            mpz_add(sum, sum, shares);
            if (mpz_sgn(total) == 0)
                continue;
            mpz_mul(value, shares, stake);
            mpz_fdiv_q(value, value, total);
            power[a] += mpz_u64(value);
        }
        cr_assert_eq(mpz_cmp(sum, total), 0, "pool %llu: the accounts hold every share", (unsigned long long)pool);
    }
    mpz_clears(shares, stake, total, value, sum, NULL);
}

/* ---- driving the engine ---- */

/* Applies what is queued as one block and checks the single answer. Returns whether it succeeded. */
static bool finish(th_outcome *o, const char *type)
{
    th_block(e);
    cr_assert_eq(o->calls, 1, "%s answered", type);
    bool ok = o->status == ST_OK && o->success;
    if (ok && strcmp(type, "Propose") == 0) {
        cJSON *ev = cJSON_Parse(o->events);
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(ev, cJSON_GetArraySize(ev) - 1), "proposal");
        cr_assert(cJSON_IsNumber(id));
        cr_assert_lt(n_props, MAX_PROPOSALS);
        memset(&props[n_props], 0, sizeof props[n_props]);
        props[n_props].id = (uint64_t)id->valuedouble;
        props[n_props].snapshot = th_head_height(e) - 1;
        powers_at(props[n_props].snapshot, props[n_props].power);
        n_props++;
        cJSON_Delete(ev);
    }
    th_outcome_clear(o);
    return ok;
}

/* Signs and applies one transaction in a block of its own. Returns whether it succeeded. */
PRINTF_LIKE(3, 4)
static bool run(unsigned who, const char *type, const char *fmt, ...)
{
    TH_FORMAT(text, 512, fmt);
    th_outcome o = { 0 };
    return th_submit(e, who, type, &o, "%s", text) == ST_OK && finish(&o, type);
}

/* A slash of ppm of what pool's worker has bonded, in a block of its own. */
static bool slash(unsigned pool, unsigned ppm)
{
    char text[LEDGER_ADDR_STRLEN];
    ledger_addr_format(text, worker[pool - 1]);
    th_outcome o = { 0 };
    th_system_tx(e, "WorkerSlash", &o, "{\"worker\":\"%s\",\"ppm\":%u}", text, ppm);
    return finish(&o, "WorkerSlash");
}

static void read_pool(unsigned pool, ledger_pool *p)
{
    ledger_pool_init(p);
    cr_assert_eq(ledger_pool_get(eng_ledger(e), pool, p), ST_OK, "pool %u", pool);
}

/* ---- the recount ---- */

static const struct state *at(uint64_t height)
{
    const struct state *s = NULL;
    for (unsigned i = 0; i < n_hist && hist[i].height <= height; i++)
        s = &hist[i];
    cr_assert_not_null(s, "a state at height %llu", (unsigned long long)height);
    return s;
}

static uint64_t weight(uint64_t power, unsigned conviction)
{
    return conviction == 0 ? power / 10 : power * conviction;
}

/* What v carries on proposal p by the rule: each delegator's own power and own weight at the
 * snapshot; with overrides, less those who voted themselves. */
static void carried(unsigned p, unsigned v, bool overrides, uint64_t *power, uint64_t *w)
{
    const struct state *s = at(props[p].snapshot);
    *power = *w = 0;
    for (unsigned d = 0; d < NU; d++) {
        if (s->deleg_to[d] != (int)v || (overrides && props[p].votes[d].voted))
            continue;
        *power += props[p].power[d];
        *w += weight(props[p].power[d], s->deleg_conv[d]);
    }
}

static void expect_u64(const mpz_t v, uint64_t want, unsigned step, const char *what, uint64_t id, unsigned voter)
{
    cr_assert_eq(mpz_u64(v), want, "step %u proposal %llu voter %u: %s %llu, the rule gives %llu", step,
                 (unsigned long long)id, voter, what, (unsigned long long)mpz_u64(v), (unsigned long long)want);
}

static void check_tallies(unsigned step)
{
    gov_store *gs;
    cr_assert_eq(gov_store_new(&gs, eng_ledger(e)), ST_OK);
    for (unsigned p = 0; p < n_props; p++) {
        uint64_t side[3] = { 0 }, turnout = 0;
        gov_proposal gp;
        gov_proposal_init(&gp);
        cr_assert_eq(gov_proposal_get(gs, props[p].id, &gp), ST_OK);
        for (unsigned v = 0; v < NU; v++) {
            const struct mvote *mv = &props[p].votes[v];
            if (!mv->voted)
                continue;
            uint64_t own = props[p].power[v], cp, cw;
            carried(p, v, true, &cp, &cw);
            side[mv->support] += weight(own, mv->conviction) + cw;
            turnout += own + cp;
            if (gp.state != GOV_ACTIVE)
                continue;
            /* while votes come in, each stored vote says what the rule gives its voter */
            gov_vote sv;
            gov_vote_init(&sv);
            cr_assert_eq(gov_vote_get(gs, props[p].id, addr[v], &sv), ST_OK, "vote of %u", v);
            cr_assert_eq(sv.support, mv->support, "support");
            cr_assert_eq(sv.conviction, mv->conviction, "conviction");
            expect_u64(sv.power, own, step, "power", props[p].id, v);
            expect_u64(sv.weight, weight(own, mv->conviction), step, "weight", props[p].id, v);
            expect_u64(sv.delegated_power, cp, step, "delegated power", props[p].id, v);
            expect_u64(sv.delegated_weight, cw, step, "delegated weight", props[p].id, v);
            gov_vote_clear(&sv);
        }
        expect_u64(gp.against_weight, side[0], step, "against", gp.id, NU);
        expect_u64(gp.for_weight, side[1], step, "for", gp.id, NU);
        expect_u64(gp.abstain_weight, side[2], step, "abstain", gp.id, NU);
        expect_u64(gp.turnout, turnout, step, "turnout", gp.id, NU);
        gov_proposal_clear(&gp);
    }
    gov_store_free(gs);
}

/* A voter's power at a proposal's snapshot as gov_power_at (gov_votingPower) reports it. */
static void check_power(unsigned step, unsigned p, unsigned v)
{
    mpz_t own, delegated, dw;
    mpz_inits(own, delegated, dw, NULL);
    cr_assert_eq(gov_power_at(eng_ledger(e), eng_gov_store(e), addr[v], props[p].snapshot, own, delegated, dw), ST_OK);
    uint64_t cp, cw;
    carried(p, v, false, &cp, &cw);
    expect_u64(own, props[p].power[v], step, "own power", props[p].id, v);
    expect_u64(delegated, cp, step, "delegated", props[p].id, v);
    expect_u64(dw, cw, step, "delegatedWeight", props[p].id, v);
    mpz_clears(own, delegated, dw, NULL);
}

/* Proposals open for votes now. */
static unsigned active(unsigned *out)
{
    gov_store *gs;
    cr_assert_eq(gov_store_new(&gs, eng_ledger(e)), ST_OK);
    unsigned n = 0;
    for (unsigned p = 0; p < n_props; p++) {
        gov_proposal gp;
        gov_proposal_init(&gp);
        cr_assert_eq(gov_proposal_get(gs, props[p].id, &gp), ST_OK);
        if (gp.state == GOV_ACTIVE && eng_now(e) < gp.vote_end)
            out[n++] = p;
        gov_proposal_clear(&gp);
    }
    gov_store_free(gs);
    return n;
}

/* An amount with a remainder: small, or around a power of ten give or take a few units. */
static uint64_t odd_amount(void)
{
    static const uint64_t tens[] = { 10, 100, 1000, 10000, 100000 };
    return rand() % 2 ? 1 + (uint64_t)rand() % 5000 : tens[rand() % 5] + (uint64_t)(rand() % 19);
}

Test(governance_model, incremental_tallies_equal_a_per_account_recount_after_every_block)
{
    const char *seed_env = getenv("GOV_MODEL_SEED");
    unsigned seed = seed_env ? (unsigned)strtoul(seed_env, NULL, 10) : DEFAULT_SEED;
    srand(seed);
    for (unsigned i = 0; i < NU; i++)
        now_state.deleg_to[i] = -1;
    record();
    for (unsigned p = 0; p < NP; p++) {
        char w[43];
        ledger_addr_format(w, worker[p]);
        th_register_worker(e, p, 0, WORKER_SCORE);   /* a block of its own: no delegation yet */
        cr_assert(run(0, "PoolCreate", "{\"commissionPpm\":\"0\",\"capacity\":\"100000000000\"}"));
        cr_assert(run(0, "WorkerAdd", "{\"pool\":\"%u\",\"worker\":\"%s\"}", p + 1, w));
    }
    cr_assert(run(0, "Contribute", "{\"pool\":\"1\",\"amount\":\"1000\"}"));
    record();
    unsigned counts[8] = { 0 };
    for (unsigned step = 0; step < STEPS; step++) {
        unsigned r = (unsigned)rand() % 100, u = 1 + (unsigned)rand() % (NU - 1), open[MAX_PROPOSALS];
        unsigned pool = 1 + (unsigned)rand() % NP;
        if (r < 20) {
            if (run(u, "Contribute", "{\"pool\":\"%u\",\"amount\":\"%llu\"}", pool, (unsigned long long)odd_amount()))
                counts[0]++;
        } else if (r < 28) {
            ledger_stake st;
            ledger_stake_init(&st);
            cr_assert_eq(ledger_stake_get(eng_ledger(e), pool, addr[u], &st), ST_OK);
            uint64_t have = mpz_u64(st.shares);
            ledger_stake_clear(&st);
            if (have && run(u, "Withdraw", "{\"pool\":\"%u\",\"shares\":\"%llu\"}", pool,
                            (unsigned long long)(1 + (uint64_t)rand() % have)))
                counts[1]++;
        } else if (r < 31) {
            /* the owner bonds part of the free stake, then the worker loses part of what it holds */
            ledger_pool lp;
            read_pool(pool, &lp);
            mpz_t free_stake;
            mpz_init(free_stake);
            mpz_sub(free_stake, lp.stake, lp.bonded);
            mpz_sub(free_stake, free_stake, lp.unbonding);
            uint64_t avail = mpz_u64(free_stake);
            mpz_clear(free_stake);
            ledger_pool_clear(&lp);
            char w[43];
            ledger_addr_format(w, worker[pool - 1]);
            if (avail)
                run(0, "WorkerBond", "{\"pool\":\"%u\",\"worker\":\"%s\",\"amount\":\"%llu\"}", pool, w,
                    (unsigned long long)(1 + (uint64_t)rand() % avail));
            if (slash(pool, 1 + (unsigned)rand() % 300000))
                counts[2]++;
        } else if (r < 42) {
            unsigned to = (unsigned)rand() % NU, conv = (unsigned)rand() % 7;
            if (to != u && run(u, "Delegate", "{\"to\":\"%s\",\"conviction\":\"%u\"}", addr_text[to], conv)) {
                now_state.deleg_to[u] = (int)to;
                now_state.deleg_conv[u] = conv;
                counts[3]++;
            }
        } else if (r < 50) {
            if (run(u, "Undelegate", "{}")) {
                now_state.deleg_to[u] = -1;
                counts[4]++;
            }
        } else if (r < 86) {
            unsigned n = active(open), voter = (unsigned)rand() % NU;
            if (n) {
                unsigned p = open[(unsigned)rand() % n], support = (unsigned)rand() % 3, conv = (unsigned)rand() % 7;
                if (run(voter, "Vote", "{\"proposal\":\"%llu\",\"support\":\"%u\",\"conviction\":\"%u\"}",
                        (unsigned long long)props[p].id, support, conv)) {
                    props[p].votes[voter] = (struct mvote){ .voted = true, .support = support, .conviction = conv };
                    check_power(step, p, voter);
                    counts[5]++;
                }
            }
        } else if (r < 90 && n_props < MAX_PROPOSALS) {
            if (run(0, "Propose", "{\"track\":\"t\",\"title\":\"p\",\"body\":\"\",\"payload\":\"0x\"}"))
                counts[6]++;
        } else {
            uint64_t t;
            cr_assert_eq(eng_advance_time(e, 1 + (uint64_t)rand() % 40, &t), ST_OK);
            counts[7]++;
        }
        record();
        check_tallies(step);
    }
    ledger_pool lp;
    read_pool(1, &lp);
    char *stake = mpz_get_str(NULL, 10, lp.stake), *shares = mpz_get_str(NULL, 10, lp.shares);
    cr_log_info("seed %u: %u contributions, %u withdrawals, %u slashes, %u delegations, %u undelegations, %u votes, %u "
                "proposals, %u clock moves; pool 1 holds %s for %s shares", seed, counts[0], counts[1], counts[2], counts[3],
                counts[4], counts[5], counts[6], counts[7], stake, shares);
    free(stake);
    free(shares);
    ledger_pool_clear(&lp);
    cr_assert_gt(counts[5], 300, "enough votes to mean something");
    cr_assert_gt(counts[3], 50, "and delegations");
    cr_assert_gt(counts[2], 30, "and slashes");
}
