/* SPDX-License-Identifier: MIT */
/* test_gov.c: governance driven through the engine with the manual clock, on a small genesis
 * whose numbers are hand-computed: three stakers in one pool (power 1000, 2000, 3000; total 6000),
 * tracks with short periods. Every path of a proposal end to end (executed spend and parameter
 * change, defeated by quorum, by approval, a tie, canceled with the burn, expired, a failing
 * payload), the conviction table, a changed vote, stake moved after the snapshot, conviction locks
 * against Withdraw, delegation (carried power with each delegator's conviction, overrides before and
 * after the delegate votes, snapshots, no chains, delegation locks), deferred slashes canceled by a
 * slashCancel proposal or applied when due, a new enclave build that settles only once governance
 * allowlists it, and refused or failed input. Every block is followed by ledger_audit. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "engine/engine.h"
#include "enclave/platform.h"
#include "engine/genesis.h"
#include "engine/governance.h"
#include "governance/rules.h"
#include "governance/gov.h"
#include "governance/gov_store.h"
#include "ledger/amount.h"
#include "ledger/compute.h"
#include "ledger/hex.h"
#include "ledger/sig.h"
#include "ledger/stakes.h"
#include "tests/lib/engine_fixture.h"
#include "tests/lib/testhelp.h"

#define G_TIME 1000000u            /* genesis time, seconds */
#define USERS 6                    /* dev accounts 0..5, 1,000,000 base units each */
#define DELAY 10u                  /* votingDelaySecs of every track */
#define PERIOD 100u                /* votingPeriodSecs */
#define ENACT 10u                  /* enactmentDelaySecs */
#define GRACE 500u                 /* executionGraceSecs */
#define LOCK 1000u                 /* lockPeriodSecs */
#define SLASH_DEFER 300u           /* slashDeferSecs: longer than a proposal takes to execute */
#define WORKER 0                   /* the slashed worker: th_worker_key(WORKER) */
#define WORKER_SCORE 100           /* its benchmark score */

static eng *e;

static char *make_genesis(const char *enclave, const char *big);

static void setup(void)
{
    char *genesis = make_genesis(NULL, NULL);
    th_open_engine(&e, "gov", genesis);
    free(genesis);
}

static void teardown(void)
{
    th_close_engine(e);
}

TestSuite(governance_gov, .init = setup, .fini = teardown);

/* ---- driving the engine ---- */

/* Moves the clock; eng_advance_time does the work the new time makes due. */
static void advance(uint64_t secs)
{
    th_advance(e, secs);
}

/* ---- reading the state ---- */

/* Hex of a payload JSON text for the Propose `bytes` member. */
static const char *hex_of(const char *text)
{
    static char buf[2][1024];
    static int which;
    char *out = buf[which ^= 1];
    size_t n = strlen(text);
    cr_assert(2 + 2 * n < sizeof buf[0], "payload fits");
    ledger_hex_encode(out, (const uint8_t *)text, n);
    if (n == 0)
        strcpy(out, "0x");
    return out;
}

/* The test genesis; enclave: an "enclave" object's JSON, or NULL for th_worker_genesis() (the test
 * platform and worker runtime, so th_worker keys register); big: the balance of devs 4 and 5 (NULL:
 * 1000000 like the others). The minimum stake and score of a worker are 0: the slashes below are
 * about governance and pool mechanics, on bonds of a few base units. */
static char *make_genesis(const char *enclave, const char *big)
{
    char accounts[1024] = "";
    size_t off = 0;
    for (unsigned i = 0; i < USERS; i++)
        off += (size_t)snprintf(accounts + off, sizeof accounts - off, "%s{\"address\":\"%s\",\"balance\":\"%s\"}",
                                i ? "," : "", th_dev_text(i), i >= 4 && big ? big : "1000000");
    char *text = malloc(4096);
    cr_assert_not_null(text, "genesis buffer");
#define TRACK(name, dep, thr, q, appr, cap, pl)                                                                      \
    "{\"name\":\"" name "\",\"deposit\":\"" dep "\",\"threshold\":\"" thr "\",\"votingDelaySecs\":10,"                \
    "\"votingPeriodSecs\":100,\"enactmentDelaySecs\":10,\"quorumPpm\":" q ",\"approvalPpm\":" appr ",\"spendCap\":\"" \
    cap "\",\"payloads\":" pl "}"
    snprintf(text, 4096,
             "{\"chainId\":4242,\"time\":%u,\"treasury\":\"1000000000\",\"accounts\":[%s],%s%s%s"
             "\"staking\":{\"minContribution\":\"10\",\"minWithdrawal\":\"5\",\"unbondingSecs\":50,\"slashDeferSecs\":%u,"
             "\"minStakePerRootScore\":\"0\",\"minWorkerScore\":0},"
             "\"governance\":{\"lockPeriodSecs\":%u,\"executionGraceSecs\":%u,\"cancelBurnPpm\":100000,\"tracks\":["
             TRACK("root", "1000", "100", "200000", "500000", "0", "[\"text\",\"param\",\"spend\",\"enclave\",\"slash\"]") ","
             TRACK("treasury", "100", "100", "200000", "500000", "5000", "[\"text\",\"spend\"]") ","
             TRACK("big", "5000000", "1", "200000", "500000", "0", "[\"text\"]") ","
             "{\"name\":\"spam\",\"deposit\":\"100\",\"threshold\":\"1\",\"votingDelaySecs\":10,\"votingPeriodSecs\":100,"
             "\"enactmentDelaySecs\":10,\"quorumPpm\":200000,\"approvalPpm\":500000,\"noQuorumBurnPpm\":250000},"
             "{\"name\":\"open\",\"deposit\":\"100\",\"threshold\":\"0\",\"votingDelaySecs\":10,\"votingPeriodSecs\":100,"
             "\"enactmentDelaySecs\":10,\"quorumPpm\":200000,\"approvalPpm\":500000,\"noQuorumBurnPpm\":250000}]}}",
             G_TIME, accounts, enclave ? "\"enclave\":" : "", enclave ? enclave : th_worker_genesis(), ",", SLASH_DEFER, LOCK,
             GRACE);
#undef TRACK
    return text;
}

/* Pool 1 by dev 0, then dev i (0..2) stakes amounts[i] where it is not NULL (one share per unit). */
static void stake_in_pool_1(const char *const amounts[3])
{
    th_outcome create = { 0 }, o[3] = { 0 };
    th_queue(e, 0, "PoolCreate", &create, "{\"commissionPpm\":\"0\",\"capacity\":\"1000000000\"}");
    th_block(e);
    th_expect_ok(&create, "PoolCreate");
    th_outcome_clear(&create);
    for (unsigned i = 0; i < 3; i++)
        if (amounts[i])
            th_queue(e, i, "Contribute", &o[i], "{\"pool\":\"1\",\"amount\":\"%s\"}", amounts[i]);
    th_block(e);
    for (unsigned i = 0; i < 3; i++)
        if (amounts[i]) {
            th_expect_ok(&o[i], "staking set-up");
            th_outcome_clear(&o[i]);
        }
}

/* Pool 1 by dev 0; devs 0, 1, 2 stake 1000, 2000, 3000. */
static void stake_all(void)
{
    stake_in_pool_1((const char *const[]){ "1000", "2000", "3000" });
}

/* Proposes from who on track with payload text; returns the proposal id (from the event). */
static uint64_t propose(unsigned who, const char *track, const char *payload)
{
    th_outcome o = { 0 };
    th_queue(e, who, "Propose", &o, "{\"track\":\"%s\",\"title\":\"t\",\"body\":\"b\",\"payload\":\"%s\"}", track, hex_of(payload));
    th_block(e);
    th_expect_ok(&o, "Propose");
    cJSON *ev = cJSON_Parse(o.events);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(ev, cJSON_GetArraySize(ev) - 1), "proposal");
    cr_assert(cJSON_IsNumber(id), "ProposalCreated event in %s", o.events);
    uint64_t n = (uint64_t)id->valuedouble;
    cJSON_Delete(ev);
    free(o.events);
    return n;
}

/* stake_all, then a text proposal by dev 0 on the treasury track, open for votes. Returns its id. */
static uint64_t treasury_vote_open(void)
{
    stake_all();
    uint64_t id = propose(0, "treasury", "");
    advance(DELAY);
    return id;
}

static void vote(unsigned who, uint64_t id, unsigned support, unsigned conviction)
{
    th_expect_tx_ok(e, who, "Vote", "{\"proposal\":\"%llu\",\"support\":\"%u\",\"conviction\":\"%u\"}",
                    (unsigned long long)id, support, conviction);
}

static void execute(unsigned who, uint64_t id)
{
    th_expect_tx_ok(e, who, "ProposalExecute", "{\"proposal\":\"%llu\"}", (unsigned long long)id);
}

/* The stored proposal (fresh store handle on the engine's ledger). */
static void read_proposal(uint64_t id, gov_proposal *p)
{
    gov_store *s;
    cr_assert_eq(gov_store_new(&s, eng_ledger(e)), ST_OK, "store");
    gov_proposal_init(p);
    cr_assert_eq(gov_proposal_get(s, id, p), ST_OK, "proposal %llu", (unsigned long long)id);
    gov_store_free(s);
}

static void expect_state(uint64_t id, gov_state st)
{
    gov_proposal p;
    read_proposal(id, &p);
    cr_assert_eq(p.state, st, "proposal %llu is %s, expected %s", (unsigned long long)id, gov_state_name(p.state),
                 gov_state_name(st));
    gov_proposal_clear(&p);
}

/* Proposal id is in state st (expect_state) with the reason `reason`: all of it if whole, else a
 * reason that holds it. */
static void expect_ended(uint64_t id, gov_state st, const char *reason, bool whole)
{
    gov_proposal p;
    expect_state(id, st);
    read_proposal(id, &p);
    cr_assert(p.reason && (whole ? strcmp(p.reason, reason) == 0 : strstr(p.reason, reason) != NULL),
              "proposal %llu's reason: %s, expected %s", (unsigned long long)id, p.reason ? p.reason : "(none)",
              reason);
    gov_proposal_clear(&p);
}

static void expect_treasury(const char *v)
{
    th_expect_balance(e, ledger_system_account(LEDGER_TREASURY), v, "treasury");
}

static void expect_escrow(unsigned who, const char *v)
{
    uint8_t addr[20];
    th_dev_bytes(addr, who);
    th_expect_balance(e, ledger_user_account(LEDGER_ESCROW, addr), v, "escrow");
}

/* ---- the paths of a proposal ---- */

Test(governance_gov, spend_executes_exactly_once)
{
    stake_all();
    char payload[256];
    snprintf(payload, sizeof payload, "{\"kind\":\"spend\",\"to\":\"%s\",\"amount\":\"500\"}", th_dev_text(5));
    uint64_t id = propose(0, "treasury", payload);
    expect_escrow(0, "100");
    th_expect_user(e, LEDGER_FREE, 0, "998900");
    gov_proposal p;
    read_proposal(id, &p);
    th_expect_mpz(p.total_power, "6000", "total power at the snapshot");
    cr_assert_eq(p.vote_end, p.vote_start + PERIOD, "voting period");
    gov_proposal_clear(&p);
    th_expect_tx_fails(e, 1, "Vote", "is Pending", "{\"proposal\":\"%llu\",\"support\":\"1\",\"conviction\":\"0\"}",
                    (unsigned long long)id);
    advance(DELAY);
    expect_state(id, GOV_ACTIVE);
    vote(2, id, 1, 1);
    th_expect_tx_fails(e, 3, "ProposalExecute", "is Active", "{\"proposal\":\"%llu\"}", (unsigned long long)id);
    advance(PERIOD);
    expect_state(id, GOV_QUEUED);
    th_expect_tx_fails(e, 3, "ProposalExecute", "from", "{\"proposal\":\"%llu\"}", (unsigned long long)id);
    advance(ENACT);
    execute(3, id);
    expect_state(id, GOV_EXECUTED);
    th_expect_user(e, LEDGER_FREE, 5, "1000500");
    expect_treasury("999999500");
    expect_escrow(0, "0");
    th_expect_user(e, LEDGER_FREE, 0, "999000");
    th_expect_tx_fails(e, 3, "ProposalExecute", "is Executed", "{\"proposal\":\"%llu\"}", (unsigned long long)id);
    th_expect_user(e, LEDGER_FREE, 5, "1000500");
    expect_treasury("999999500");
    /* the whole life of the proposal replays to the same chain */
    th_replay(&e);
}

/* A root proposal of payload by dev 0, which devs 2 and 1 vote for with conviction, taken through
 * its voting period and enactment delay: passed and waiting for its execution. Returns its id. */
static uint64_t pass_root(const char *payload, unsigned conviction)
{
    uint64_t id = propose(0, "root", payload);
    advance(DELAY);
    vote(2, id, 1, conviction);
    vote(1, id, 1, conviction);
    advance(PERIOD + ENACT);
    return id;
}

/* A root proposal raising staking.minContribution to 1000, passed and waiting for its execution. */
static uint64_t pass_min_contribution_1000(void)
{
    return pass_root("{\"kind\":\"param\",\"name\":\"staking.minContribution\",\"value\":\"1000\"}", 0);
}

Test(governance_gov, param_change_is_in_force_at_once_and_after_restart)
{
    stake_all();
    th_outcome o = { 0 };
    cr_assert_eq(th_submit(e, 3, "Contribute", &o, "{\"pool\":\"1\",\"amount\":\"500\"}"), ST_OK, "500 passes the minimum of 10");
    th_block(e);
    th_expect_ok(&o, "Contribute 500");
    free(o.events);
    uint64_t id = pass_min_contribution_1000();
    execute(4, id);
    th_outcome o2 = { 0 };
    cr_assert_eq(th_submit(e, 3, "Contribute", &o2, "{\"pool\":\"1\",\"amount\":\"500\"}"), ST_INVALID, "refused now");
    cr_assert(strstr(th_last_err(), "minimum contribution of 1000"), "reason: %s", th_last_err());
    /* a restart reads the stored parameter over the genesis */
    th_reopen_engine(&e);
    cr_assert_eq(th_submit(e, 3, "Contribute", &o2, "{\"pool\":\"1\",\"amount\":\"500\"}"), ST_INVALID, "refused after restart");
}

/* Linked with --wrap=ledger_block_commit: the next block's commit fails (its transaction rolled
 * back) when set, as a full disk would make it. */
static bool fail_next_commit;
int __real_ledger_block_commit(ledger *l);
int __wrap_ledger_block_commit(ledger *l);
int __wrap_ledger_block_commit(ledger *l)
{
    if (!fail_next_commit)
        return __real_ledger_block_commit(l);
    fail_next_commit = false;
    ledger_block_abort(l);
    return ST_DB;
}

Test(governance_gov, a_param_change_in_a_lost_block_is_not_in_force)
{
    stake_all();
    uint64_t id = pass_min_contribution_1000();
    th_outcome o = { 0 };
    th_queue(e, 4, "ProposalExecute", &o, "{\"proposal\":\"%llu\"}", (unsigned long long)id);
    fail_next_commit = true;
    cr_assert_eq(eng_flush(e), ST_DB, "the block is lost");
    th_forget_queued();
    cr_assert_eq(o.calls, 1, "answered");
    cr_assert_eq(o.status, ST_DB, "with the block's failure");
    expect_state(id, GOV_QUEUED);
    th_outcome c = { 0 };
    cr_assert_eq(th_submit(e, 3, "Contribute", &c, "{\"pool\":\"1\",\"amount\":\"500\"}"), ST_OK, "the old minimum of 10 holds");
    th_block(e);
    th_expect_ok(&c, "Contribute 500");
    free(c.events);
    execute(4, id);
    cr_assert_eq(th_submit(e, 3, "Contribute", &c, "{\"pool\":\"1\",\"amount\":\"500\"}"), ST_INVALID, "now refused");
    free(o.events);
}

Test(governance_gov, a_param_change_binds_the_transactions_after_it_in_its_own_block)
{
    stake_all();
    uint64_t id = pass_min_contribution_1000();
    /* admitted under the old minimum of 10, applied after the execution in the same block */
    th_outcome x = { 0 }, c = { 0 };
    th_queue(e, 4, "ProposalExecute", &x, "{\"proposal\":\"%llu\"}", (unsigned long long)id);
    cr_assert_eq(th_submit(e, 3, "Contribute", &c, "{\"pool\":\"1\",\"amount\":\"500\"}"), ST_OK, "admitted under the old minimum");
    th_block(e);
    th_expect_ok(&x, "ProposalExecute");
    cr_assert_eq(x.height, c.height, "one block");
    cr_assert(!c.success, "the Contribute fails under the minimum now in force");
    cr_assert(strstr(c.error, "below the minimum contribution of 1000"), "reason: %s", c.error);
    free(x.events);
    free(c.events);
}

/* A block of signed transactions is first applied without a savepoint per transaction; one that
 * fails sends the block back to be applied again with them. The second attempt must start from the
 * parameters in force before the block, not from those an execution in the first set: here the
 * Contribute, applied before the execution, passes the old minimum of 10 in both attempts. */
Test(governance_gov, a_block_applied_again_starts_from_the_parameters_before_it)
{
    stake_all();
    uint64_t id = pass_min_contribution_1000();
    eng_stats before, after;
    eng_stats_get(e, &before);
    th_outcome c = { 0 }, x = { 0 }, t = { 0 };
    cr_assert_eq(th_submit(e, 3, "Contribute", &c, "{\"pool\":\"1\",\"amount\":\"500\"}"), ST_OK, "admitted");
    th_queue(e, 4, "ProposalExecute", &x, "{\"proposal\":\"%llu\"}", (unsigned long long)id);
    th_queue(e, 5, "Transfer", &t, "{\"to\":\"%s\",\"amount\":\"1000000000\"}", th_dev_text(0));
    th_block(e);
    eng_stats_get(e, &after);
    cr_assert_eq(after.blocks_redone, before.blocks_redone + 1, "the failing transfer made the block go again");
    cr_assert(c.height == x.height && x.height == t.height, "one block");
    th_expect_ok(&c, "Contribute 500, applied before the execution");
    th_expect_ok(&x, "ProposalExecute");
    th_expect_failed(&t, "insufficient", "the overdraft");
    th_outcome c2 = { 0 };
    cr_assert_eq(th_submit(e, 3, "Contribute", &c2, "{\"pool\":\"1\",\"amount\":\"500\"}"), ST_INVALID,
                 "the new minimum is in force after the block");
    th_outcome_clear(&c);
    th_outcome_clear(&x);
    th_outcome_clear(&t);
    th_replay(&e);
}

Test(governance_gov, defeated_by_quorum_returns_the_deposit)
{
    uint64_t id = treasury_vote_open();
    vote(0, id, 1, 6);             /* 1000 of 6000 < 20%, however strong the conviction */
    advance(PERIOD);
    expect_ended(id, GOV_DEFEATED, "quorum not reached", true);
    expect_escrow(0, "0");
    th_expect_user(e, LEDGER_FREE, 0, "999000");
}

Test(governance_gov, a_track_may_burn_part_of_the_deposit_when_the_quorum_is_missed)
{
    stake_all();
    uint64_t id = propose(0, "spam", "");
    advance(DELAY);
    vote(0, id, 1, 6);             /* 1000 of 6000 < 20% */
    advance(PERIOD);
    expect_state(id, GOV_DEFEATED);
    expect_escrow(0, "0");
    th_expect_user(e, LEDGER_FREE, 0, "998975"); /* 999000 - 100 + 75: a quarter of the deposit burned */
    /* defeated on approval, with the quorum met: the whole deposit comes back */
    id = propose(0, "spam", "");
    advance(DELAY);
    vote(2, id, 0, 1);             /* 3000 against */
    advance(PERIOD);
    expect_state(id, GOV_DEFEATED);
    th_expect_user(e, LEDGER_FREE, 0, "998975");
}

Test(governance_gov, the_quorum_is_the_ceiling_of_its_share_of_the_total_power_and_at_least_one)
{
    static const struct { const char *total; unsigned ppm; const char *quorum; } cases[] = {
        { "6000", 200000, "1200" }, { "6001", 200000, "1201" }, { "6004", 200000, "1201" }, { "5", 200000, "1" },
        { "0", 200000, "1" },       { "6000", 0, "1" },         { "6000", 1000000, "6000" },
    };
    gov_track t;
    memset(&t, 0, sizeof t);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gov_proposal p;
        gov_proposal_init(&p);
        mpz_t q;
        mpz_init(q);
        cr_assert_eq(mpz_set_str(p.total_power, cases[i].total, 10), 0, "total");
        t.quorum_ppm = cases[i].ppm;
        gov_quorum(q, &p, &t);
        th_expect_mpz(q, cases[i].quorum, "quorum");
        /* reached exactly at the quorum, not one below */
        bool quorum, approval;
        mpz_set(p.turnout, q);
        gov_tally_check(&p, &t, &quorum, &approval);
        cr_assert(quorum, "turnout %s reaches the quorum of %s", cases[i].quorum, cases[i].total);
        mpz_sub_ui(p.turnout, q, 1);
        gov_tally_check(&p, &t, &quorum, &approval);
        cr_assert(!quorum, "one below the quorum of %s misses it", cases[i].total);
        mpz_clear(q);
        gov_proposal_clear(&p);
    }
}

Test(governance_gov, with_no_stake_at_the_snapshot_the_quorum_is_one_and_missed_with_its_burn)
{
    uint64_t id = propose(5, "open", "");  /* nothing staked anywhere: total power 0 */
    gov_proposal p;
    read_proposal(id, &p);
    th_expect_mpz(p.total_power, "0", "total power");
    mpz_t q;
    mpz_init(q);
    gov_quorum(q, &p, gov_track_find(eng_gov_params(e), "open"));
    th_expect_mpz(q, "1", "a vote is needed even then");
    mpz_clear(q);
    gov_proposal_clear(&p);
    advance(DELAY);
    th_expect_tx_fails(e, 5, "Vote", "no voting power", "{\"proposal\":\"%llu\",\"support\":\"1\",\"conviction\":\"1\"}",
                    (unsigned long long)id);
    advance(PERIOD);
    expect_ended(id, GOV_DEFEATED, "quorum not reached", true);
    th_expect_user(e, LEDGER_FREE, 5, "999975"); /* the quorum was missed: a quarter of the deposit burned */
}

Test(governance_gov, defeated_by_approval)
{
    uint64_t id = treasury_vote_open();
    vote(0, id, 1, 1);             /* for 1000 */
    vote(1, id, 0, 1);             /* against 2000 */
    advance(PERIOD);
    expect_ended(id, GOV_DEFEATED, "approval not reached", true);
}

Test(governance_gov, a_tie_fails)
{
    uint64_t id = treasury_vote_open();
    vote(0, id, 1, 2);             /* for 1000 * 2 = 2000 */
    vote(1, id, 0, 1);             /* against 2000 * 1 = 2000 */
    advance(PERIOD);
    expect_state(id, GOV_DEFEATED);
}

Test(governance_gov, cancel_while_pending_burns_part_of_the_deposit)
{
    stake_all();
    uint64_t id = propose(0, "treasury", "");
    th_expect_tx_fails(e, 1, "ProposalCancel", "only the proposer", "{\"proposal\":\"%llu\"}", (unsigned long long)id);
    th_outcome o = { 0 };
    th_queue(e, 0, "ProposalCancel", &o, "{\"proposal\":\"%llu\"}", (unsigned long long)id);
    th_block(e);
    th_expect_ok(&o, "cancel");
    cr_assert(strstr(o.events, "\"burned\":\"10\"") && strstr(o.events, "\"returned\":\"90\""), "events %s", o.events);
    free(o.events);
    expect_state(id, GOV_CANCELED);
    expect_escrow(0, "0");
    th_expect_user(e, LEDGER_FREE, 0, "998990");
    advance(DELAY);
    expect_state(id, GOV_CANCELED);
    th_expect_tx_fails(e, 0, "ProposalCancel", "only a Pending", "{\"proposal\":\"%llu\"}", (unsigned long long)id);
}

Test(governance_gov, a_queued_proposal_expires_after_the_grace)
{
    uint64_t id = treasury_vote_open();
    vote(2, id, 1, 0);
    advance(PERIOD + ENACT + GRACE);
    expect_state(id, GOV_EXPIRED);
    expect_escrow(0, "0");
    th_expect_tx_fails(e, 3, "ProposalExecute", "is Expired", "{\"proposal\":\"%llu\"}", (unsigned long long)id);
}

Test(governance_gov, a_failing_payload_leaves_the_proposal_failed_and_nothing_applied)
{
    stake_all();
    /* root has no cap: more than the treasury holds */
    char payload[256];
    snprintf(payload, sizeof payload, "{\"kind\":\"spend\",\"to\":\"%s\",\"amount\":\"2000000000\"}", th_dev_text(5));
    uint64_t id = pass_root(payload, 0);
    execute(4, id);
    expect_ended(id, GOV_FAILED, "treasury holds less", false);
    expect_treasury("1000000000");
    th_expect_user(e, LEDGER_FREE, 5, "1000000");
    expect_escrow(0, "0");
}

/* ---- votes ---- */

Test(governance_gov, conviction_table)
{
    static const char *const expected[] = { "123", "1234", "2468", "3702", "4936", "6170", "7404" };
    static const unsigned periods[] = { 0, 1, 2, 4, 8, 16, 32 };
    mpz_t power, w;
    mpz_init_set_ui(power, 1234);
    mpz_init(w);
    for (unsigned c = 0; c <= 6; c++) {
        gov_weight(w, power, c);
        th_expect_mpz(w, expected[c], "weight");
        cr_assert_eq(gov_lock_periods(c), periods[c], "lock periods of conviction %u", c);
    }
    mpz_clears(power, w, NULL);
}

Test(governance_gov, a_changed_vote_corrects_the_tally)
{
    uint64_t id = treasury_vote_open();
    vote(1, id, 1, 3);             /* for 6000 */
    vote(2, id, 2, 0);             /* abstain 300 */
    vote(1, id, 0, 0);             /* now against 200 */
    gov_proposal p;
    read_proposal(id, &p);
    th_expect_mpz(p.for_weight, "0", "for");
    th_expect_mpz(p.against_weight, "200", "against");
    th_expect_mpz(p.abstain_weight, "300", "abstain");
    th_expect_mpz(p.turnout, "5000", "turnout counts each voter once");
    gov_proposal_clear(&p);
}

Test(governance_gov, stake_moved_after_the_snapshot_does_not_count)
{
    stake_all();
    uint64_t id = propose(0, "treasury", "");
    th_expect_tx_ok(e, 3, "Contribute", "{\"pool\":\"1\",\"amount\":\"5000\"}");  /* late stake */
    advance(DELAY);
    th_expect_tx_fails(e, 3, "Vote", "no voting power", "{\"proposal\":\"%llu\",\"support\":\"1\",\"conviction\":\"1\"}",
                    (unsigned long long)id);
}

Test(governance_gov, locked_stake_cannot_be_withdrawn_until_the_lock_ends)
{
    uint64_t id = treasury_vote_open();
    vote(1, id, 1, 2);             /* locks 2000 until vote_end + 2 * LOCK */
    gov_proposal p;
    read_proposal(id, &p);
    uint64_t until = p.vote_end + 2 * LOCK;
    gov_proposal_clear(&p);
    char reason[64];
    snprintf(reason, sizeof reason, "locked by governance until %llu", (unsigned long long)until);
    th_expect_tx_fails(e, 1, "Withdraw", reason, "{\"pool\":\"1\",\"shares\":\"10\"}");
    /* dev 2 voted with no conviction: free to leave */
    vote(2, id, 1, 0);
    th_expect_tx_ok(e, 2, "Withdraw", "{\"pool\":\"1\",\"shares\":\"100\"}");  /* unlocked withdraw */
    /* one second before the lock ends it still binds */
    uint64_t now = eng_now(e);
    advance(until - 1 - now);
    th_expect_tx_fails(e, 1, "Withdraw", reason, "{\"pool\":\"1\",\"shares\":\"2000\"}");
    now = eng_now(e);
    advance(until - now);
    th_expect_tx_ok(e, 1, "Withdraw", "{\"pool\":\"1\",\"shares\":\"2000\"}");  /* withdraw after the lock */
}

/* The binding lock of dev who now: its amount, and until when (0 when none). */
static uint64_t lock_of(unsigned who, const char *amount)
{
    gov_store *s;
    cr_assert_eq(gov_store_new(&s, eng_ledger(e)), ST_OK, "store");
    uint8_t addr[20];
    th_dev_bytes(addr, who);
    mpz_t locked;
    mpz_init(locked);
    uint64_t until = 0;
    cr_assert_eq(gov_lock_max(s, addr, eng_now(e), locked, &until), ST_OK, "locks");
    th_expect_mpz(locked, amount, "locked");
    mpz_clear(locked);
    gov_store_free(s);
    return until;
}

Test(governance_gov, a_changed_vote_takes_the_lock_of_the_vote_that_stands)
{
    stake_all();
    uint64_t id = propose(0, "treasury", "");
    gov_proposal p;
    read_proposal(id, &p);
    uint64_t end = p.vote_end;
    gov_proposal_clear(&p);
    advance(DELAY);
    vote(1, id, 1, 2);
    cr_assert_eq(lock_of(1, "2000"), end + 2 * LOCK, "2x locks two periods");
    vote(1, id, 1, 1);
    cr_assert_eq(lock_of(1, "2000"), end + LOCK, "changed to 1x: one period");
    vote(1, id, 0, 0);
    cr_assert_eq(lock_of(1, "0"), 0, "changed to conviction 0: nothing locked");
    th_expect_tx_ok(e, 1, "Withdraw", "{\"pool\":\"1\",\"shares\":\"500\"}");  /* withdraw once the standing vote locks nothing */
    vote(1, id, 0, 3);             /* the power of the snapshot, 2000, locked again for 4 periods */
    cr_assert_eq(lock_of(1, "2000"), end + 4 * LOCK, "changed to 3x");
    read_proposal(id, &p);
    th_expect_mpz(p.against_weight, "6000", "against: the snapshot's 2000 at 3x");
    gov_proposal_clear(&p);
}

/* ---- delegation ---- */

static void delegate(unsigned who, unsigned to, unsigned conviction)
{
    th_expect_tx_ok(e, who, "Delegate", "{\"to\":\"%s\",\"conviction\":\"%u\"}", th_dev_text(to), conviction);
}

static void expect_tally(uint64_t id, const char *for_w, const char *against_w, const char *abstain_w, const char *turnout)
{
    gov_proposal p;
    read_proposal(id, &p);
    th_expect_mpz(p.for_weight, for_w, "for");
    th_expect_mpz(p.against_weight, against_w, "against");
    th_expect_mpz(p.abstain_weight, abstain_w, "abstain");
    th_expect_mpz(p.turnout, turnout, "turnout");
    gov_proposal_clear(&p);
}

static void expect_carried(uint64_t id, unsigned who, const char *power, const char *weight)
{
    gov_store *s;
    cr_assert_eq(gov_store_new(&s, eng_ledger(e)), ST_OK, "store");
    uint8_t addr[20];
    th_dev_bytes(addr, who);
    gov_vote v;
    gov_vote_init(&v);
    cr_assert_eq(gov_vote_get(s, id, addr, &v), ST_OK, "vote of dev %u", who);
    th_expect_mpz(v.delegated_power, power, "delegated power");
    th_expect_mpz(v.delegated_weight, weight, "delegated weight");
    gov_vote_clear(&v);
    gov_store_free(s);
}

Test(governance_gov, a_delegate_carries_each_delegators_conviction_and_a_direct_vote_overrides_it)
{
    stake_all();
    delegate(1, 0, 2);             /* 2000 at 2x */
    delegate(2, 0, 0);             /* 3000 at 0.1x */
    uint64_t id = propose(0, "treasury", "");
    advance(DELAY);
    vote(0, id, 1, 1);             /* own 1000 + 4000 + 300 */
    expect_tally(id, "5300", "0", "0", "6000");
    expect_carried(id, 0, "5000", "4300");
    vote(1, id, 0, 1);             /* dev 1 overrides: its 4000 leaves dev 0's vote at once */
    expect_tally(id, "1300", "2000", "0", "6000");
    expect_carried(id, 0, "3000", "300");
    vote(1, id, 0, 3);             /* a changed direct vote does not override twice */
    expect_tally(id, "1300", "6000", "0", "6000");
    vote(0, id, 2, 0);             /* the delegate changes its vote: 100 own + 300 carried */
    expect_tally(id, "0", "6000", "400", "6000");
    expect_carried(id, 0, "3000", "300");
}

Test(governance_gov, an_override_before_the_delegate_votes_is_not_carried)
{
    stake_all();
    delegate(1, 0, 2);
    delegate(2, 0, 0);
    uint64_t id = propose(0, "treasury", "");
    advance(DELAY);
    vote(1, id, 0, 0);             /* against 200 */
    vote(0, id, 1, 1);             /* 1000 + (4300 - 4000) */
    expect_tally(id, "1300", "200", "0", "6000");
    expect_carried(id, 0, "3000", "300");
}

Test(governance_gov, a_delegate_without_stake_votes_with_what_it_carries)
{
    stake_all();
    delegate(2, 3, 3);
    uint64_t id = propose(0, "treasury", "");
    advance(DELAY);
    vote(3, id, 1, 6);             /* no own power: its conviction weighs nothing, dev 2's 3x does */
    expect_tally(id, "9000", "0", "0", "3000");
    expect_carried(id, 3, "3000", "9000");
}

Test(governance_gov, delegation_follows_the_snapshot)
{
    stake_all();
    delegate(1, 0, 1);
    th_expect_tx_ok(e, 1, "Contribute", "{\"pool\":\"1\",\"amount\":\"500\"}");  /* carried too */
    uint64_t id = propose(0, "treasury", "");
    /* after the snapshot: dev 2 delegates and dev 1 leaves; neither changes this proposal */
    delegate(2, 0, 1);
    th_expect_tx_ok(e, 1, "Undelegate", "{}");
    advance(DELAY);
    vote(0, id, 1, 1);
    expect_tally(id, "3500", "0", "0", "3500");
    expect_carried(id, 0, "2500", "2500");
    vote(2, id, 0, 1);             /* dev 2 delegated nothing at the snapshot: no override */
    expect_tally(id, "3500", "3000", "0", "6500");
    /* a new proposal sees dev 2 delegating and dev 1 not */
    uint64_t id2 = propose(0, "treasury", "");
    advance(DELAY);
    vote(0, id2, 1, 1);
    expect_carried(id2, 0, "3000", "3000");
}

/* Dev who's voting power at proposal id's snapshot, as gov_votingPower reads it. */
static void expect_power(uint64_t id, unsigned who, const char *own, const char *delegated, const char *weight)
{
    gov_proposal p;
    read_proposal(id, &p);
    uint8_t addr[20];
    th_dev_bytes(addr, who);
    mpz_t o, d, w;
    mpz_inits(o, d, w, NULL);
    cr_assert_eq(gov_power_at(eng_ledger(e), eng_gov_store(e), addr, p.snapshot, o, d, w), ST_OK, "power");
    th_expect_mpz(o, own, "own power");
    th_expect_mpz(d, delegated, "delegated power");
    th_expect_mpz(w, weight, "delegated weight");
    mpz_clears(o, d, w, NULL);
    gov_proposal_clear(&p);
}

Test(governance_gov, a_delegate_carries_each_delegators_own_floored_weight_so_an_override_can_tie)
{
    stake_in_pool_1((const char *const[]){ NULL, "16", "18" });
    delegate(1, 3, 0);
    delegate(2, 3, 0);
    uint64_t id = propose(1, "spam", "");
    /* floor(16/10) + floor(18/10) = 2, not floor(34/10) = 3 */
    expect_power(id, 3, "0", "34", "2");
    advance(DELAY);
    vote(3, id, 1, 1);
    expect_tally(id, "2", "0", "0", "34");
    expect_carried(id, 3, "34", "2");
    vote(2, id, 0, 0);             /* dev 2 overrides: 1 against the 1 dev 3 still carries */
    expect_tally(id, "1", "1", "0", "34");
    expect_carried(id, 3, "16", "1");
    advance(PERIOD);
    expect_ended(id, GOV_DEFEATED, "approval not reached", true);  /* a tie fails */
}

Test(governance_gov, in_a_slashed_pool_a_delegate_carries_what_its_delegators_would_vote_with)
{
    th_outcome o[6] = { 0 };
    th_register_worker(e, WORKER, 0, WORKER_SCORE);
    th_queue(e, 0, "PoolCreate", &o[0], "{\"commissionPpm\":\"0\",\"capacity\":\"1000000000\"}");
    th_block(e);
    th_queue(e, 0, "WorkerAdd", &o[1], "{\"pool\":\"1\",\"worker\":\"%s\"}", th_worker_text(WORKER));
    th_queue(e, 1, "Contribute", &o[2], "{\"pool\":\"1\",\"amount\":\"1001\"}");
    th_queue(e, 2, "Contribute", &o[3], "{\"pool\":\"1\",\"amount\":\"999\"}");
    th_block(e);
    th_queue(e, 0, "WorkerBond", &o[4], "{\"pool\":\"1\",\"worker\":\"%s\",\"amount\":\"2000\"}", th_worker_text(WORKER));
    th_block(e);
    cJSON *msg = cJSON_CreateObject();
    cJSON_AddStringToObject(msg, "worker", th_worker_text(WORKER));
    cJSON_AddNumberToObject(msg, "ppm", 333500);
    cr_assert_eq(eng_submit_system(e, "WorkerSlash", msg, th_on_done, &o[5]), ST_OK, "WorkerSlash queued");
    cJSON_Delete(msg);
    th_block(e);
    advance(SLASH_DEFER);          /* 667 of the 2000 burned: 1333 stake for 2000 shares */
    for (int i = 0; i < 6; i++) {
        th_expect_ok(&o[i], "set-up");
        free(o[i].events);
    }
    th_expect_balance(e, ledger_pool_account(LEDGER_POOL_STAKE, 1), "1333", "pool 1 stake");
    delegate(1, 3, 1);
    delegate(2, 3, 1);
    uint64_t id = propose(1, "spam", "");
    /* floor(1001 * 1333 / 2000) = 667 and floor(999 * 1333 / 2000) = 665: 1332, not floor(1333) */
    expect_power(id, 1, "667", "0", "0");
    expect_power(id, 2, "665", "0", "0");
    expect_power(id, 3, "0", "1332", "1332");
    advance(DELAY);
    vote(3, id, 1, 1);
    expect_tally(id, "1332", "0", "0", "1332");
    vote(1, id, 0, 1);
    expect_tally(id, "665", "667", "0", "1332");
    expect_carried(id, 3, "665", "665");
}

Test(governance_gov, delegation_chains_and_bad_delegations_are_refused)
{
    stake_all();
    delegate(1, 0, 1);
    th_expect_tx_fails(e, 0, "Delegate", "no delegation chains", "{\"to\":\"%s\",\"conviction\":\"1\"}", th_dev_text(2));
    th_expect_tx_fails(e, 2, "Delegate", "no delegation chains", "{\"to\":\"%s\",\"conviction\":\"1\"}", th_dev_text(1));
    th_expect_tx_fails(e, 1, "Delegate", "already delegating", "{\"to\":\"%s\",\"conviction\":\"1\"}", th_dev_text(2));
    th_expect_tx_fails(e, 2, "Undelegate", "not delegating", "{}");
    th_outcome o = { 0 };
    char msg[128];
    snprintf(msg, sizeof msg, "{\"to\":\"%s\",\"conviction\":\"1\"}", th_dev_text(2));
    cr_assert_eq(th_submit(e, 2, "Delegate", &o, "%s", msg), ST_INVALID, "self-delegation refused");
    cr_assert(strstr(th_last_err(), "another address") != NULL, "reason: %s", th_last_err());
    snprintf(msg, sizeof msg, "{\"to\":\"%s\",\"conviction\":\"7\"}", th_dev_text(0));
    cr_assert_eq(th_submit(e, 2, "Delegate", &o, "%s", msg), ST_INVALID, "conviction 7 refused");
    cr_assert_eq(o.calls, 0, "nothing queued");
}

Test(governance_gov, a_delegation_with_conviction_locks_the_stake_until_after_undelegate)
{
    stake_all();
    delegate(1, 0, 2);
    th_expect_tx_fails(e, 1, "Withdraw", "locked while delegating with conviction 2", "{\"pool\":\"1\",\"shares\":\"10\"}");
    th_outcome o = { 0 };
    th_queue(e, 1, "Undelegate", &o, "{}");
    th_block(e);
    th_expect_ok(&o, "Undelegate");
    cr_assert(strstr(o.events, "\"lockedUntil\"") != NULL, "the lock in the event: %s", o.events);
    free(o.events);
    uint64_t until = eng_now(e) + 2 * LOCK;
    char reason[64];
    snprintf(reason, sizeof reason, "locked by governance until %llu", (unsigned long long)until);
    th_expect_tx_fails(e, 1, "Withdraw", reason, "{\"pool\":\"1\",\"shares\":\"10\"}");
    advance(until - eng_now(e));
    th_expect_tx_ok(e, 1, "Withdraw", "{\"pool\":\"1\",\"shares\":\"2000\"}");  /* withdraw after the lock */
    /* conviction 0 locks nothing */
    delegate(2, 0, 0);
    th_expect_tx_ok(e, 2, "Withdraw", "{\"pool\":\"1\",\"shares\":\"100\"}");  /* withdraw while delegating without conviction */
}

/* ---- deferred slashes ---- */

/* th_worker_key(WORKER) (registered to serve dev 0 and added to pool 1 by the first call) gets 1000
 * more bonded; then a WorkerSlash of 50% is deferred. */
static void slash_worker_deferred(bool first)
{
    th_outcome o[2] = { 0 };
    if (first) {
        th_register_worker(e, WORKER, 0, WORKER_SCORE);
        th_queue(e, 0, "WorkerAdd", &o[0], "{\"pool\":\"1\",\"worker\":\"%s\"}", th_worker_text(WORKER));
    }
    th_queue(e, 0, "WorkerBond", &o[1], "{\"pool\":\"1\",\"worker\":\"%s\",\"amount\":\"1000\"}", th_worker_text(WORKER));
    th_block(e);
    if (first)
        th_expect_ok(&o[0], "WorkerAdd");
    th_expect_ok(&o[1], "WorkerBond");
    free(o[0].events);
    free(o[1].events);
    th_outcome s = { 0 };
    cJSON *msg = cJSON_CreateObject();
    cJSON_AddStringToObject(msg, "worker", th_worker_text(WORKER));
    cJSON_AddNumberToObject(msg, "ppm", 500000);
    cr_assert_eq(eng_submit_system(e, "WorkerSlash", msg, th_on_done, &s), ST_OK, "WorkerSlash queued");
    cJSON_Delete(msg);
    th_block(e);
    th_expect_ok(&s, "WorkerSlash");
    cr_assert(strstr(s.events, "\"SlashDeferred\"") && !strstr(s.events, "\"WorkerSlashed\""), "deferred: %s", s.events);
    free(s.events);
}

static void expect_pool_stake(const char *v)
{
    th_expect_balance(e, ledger_pool_account(LEDGER_POOL_STAKE, 1), v, "pool 1 stake");
}

static void expect_slash_state(uint64_t id, int state)
{
    ledger_slash sl;
    cr_assert_eq(ledger_slash_get(eng_ledger(e), id, &sl), ST_OK, "slash %llu", (unsigned long long)id);
    cr_assert_eq(sl.state, state, "slash %llu state %d, expected %d", (unsigned long long)id, sl.state, state);
}

Test(governance_gov, a_deferred_slash_applies_when_due_unless_governance_cancels_it)
{
    stake_all();
    slash_worker_deferred(true);   /* slash 1 */
    uint64_t id = pass_root("{\"kind\":\"slashCancel\",\"slash\":1}", 1);
    expect_state(id, GOV_QUEUED);
    execute(3, id);
    expect_state(id, GOV_EXECUTED);
    expect_slash_state(1, LEDGER_SLASH_CANCELED);
    advance(SLASH_DEFER);
    expect_pool_stake("6000");     /* nothing burned */
    /* a slash nobody cancels applies when due: half of the 2000 bonded */
    slash_worker_deferred(false);  /* slash 2, on 2000 bonded */
    expect_pool_stake("6000");
    advance(SLASH_DEFER - 1);
    expect_pool_stake("6000");
    advance(1);
    expect_pool_stake("5000");     /* 6000 - 1000 */
    expect_slash_state(2, LEDGER_SLASH_APPLIED);
    /* too late to cancel it, and no slash 9 */
    th_outcome o = { 0 };
    th_queue(e, 0, "Propose", &o, "{\"track\":\"root\",\"title\":\"t\",\"body\":\"b\",\"payload\":\"%s\"}",
          hex_of("{\"kind\":\"slashCancel\",\"slash\":2}"));
    th_block(e);
    th_expect_failed(&o, "slash 2 was already applied", "cancel an applied slash");
    free(o.events);
    o = (th_outcome){ 0 };
    th_queue(e, 0, "Propose", &o, "{\"track\":\"root\",\"title\":\"t\",\"body\":\"b\",\"payload\":\"%s\"}",
          hex_of("{\"kind\":\"slashCancel\",\"slash\":9}"));
    th_block(e);
    th_expect_failed(&o, "no slash 9", "cancel an unknown slash");
    free(o.events);
}

Test(governance_gov, a_cancel_that_executes_after_the_slash_applied_fails)
{
    stake_all();
    slash_worker_deferred(true);
    uint64_t id = propose(0, "root", "{\"kind\":\"slashCancel\",\"slash\":1}");
    advance(DELAY);
    vote(2, id, 1, 1);
    advance(SLASH_DEFER);          /* past the vote and the slash's due time */
    expect_slash_state(1, LEDGER_SLASH_APPLIED);
    th_expect_tx_ok(e, 3, "ProposalExecute", "{\"proposal\":\"%llu\"}", (unsigned long long)id);  /* execute */
    expect_ended(id, GOV_FAILED, "already applied", false);
}

/* ---- a new enclave build through governance ---- */

#define ENCLAVE_BIN TEST_BUILDDIR "/conclave-enclave"
#define EPOCH 3600u                /* the default epochSecs */

/* Opens the engine anew on the same database (a restart) and starts the enclave program at bin. */
static void restart_with_enclave(const char *bin, const char *secret, const char *sealed)
{
    th_reopen_engine(&e);
    cr_assert_eq(eng_enclave_configure(e, bin, secret, sealed), ST_OK, "start the enclave %s", bin);
    th_block(e);
}

Test(governance_gov, an_allowlisted_new_enclave_build_registers_and_settles)
{
    char secret[160], sealed[160], copy[160], enclave[256], m1_hex[67], m2_hex[67], platform_hex[LEDGER_ADDR_STRLEN];
    snprintf(secret, sizeof secret, "%s/platform.secret", th_dir());
    snprintf(sealed, sizeof sealed, "%s/sealed", th_dir());
    snprintf(copy, sizeof copy, "%s/conclave-enclave-next", th_dir());
    cr_assert_eq(mkdir(sealed, 0700), 0, "sealed dir");
    uint8_t sec[ENC_PLATFORM_SECRET_LEN], platform[20], m1[32], m2[32], reg[20], reg_m[32];
    cr_assert_eq(enc_platform_secret_ensure(secret), ST_OK, "platform secret");
    cr_assert_eq(enc_platform_secret_read(sec, secret), ST_OK, "read it");
    cr_assert_eq(enc_platform_attestation_address(platform, sec), ST_OK, "platform address");
    cr_assert_eq(enc_measure_file(m1, ENCLAVE_BIN), ST_OK, "measure the build");
    th_enclave_changed_copy(copy, "\n");
    cr_assert_eq(enc_measure_file(m2, copy), ST_OK, "measure the new build");
    ledger_hex_encode(m1_hex, m1, 32);
    ledger_hex_encode(m2_hex, m2, 32);
    ledger_addr_format(platform_hex, platform);
    /* a chain that trusts this platform and the first build only */
    snprintf(enclave, sizeof enclave, "{\"platform\":\"%s\",\"measurements\":[\"%s\"]}", platform_hex, m1_hex);
    char *genesis = make_genesis(enclave, NULL);
    th_new_chain(&e, genesis);
    free(genesis);
    restart_with_enclave(copy, secret, sealed);
    cr_assert_eq(ledger_enclave_latest(eng_ledger(e), reg), ST_NOTFOUND, "the new build is not registered");

    stake_all();
    char payload[128];
    snprintf(payload, sizeof payload, "{\"kind\":\"enclaveAllow\",\"measurement\":\"%s\"}", m2_hex);
    uint64_t id = pass_root(payload, 1);
    execute(3, id);
    bool allowed = false;
    cr_assert_eq(ledger_allowlist_has(eng_ledger(e), LEDGER_RUNTIME_ENCLAVE, m2, &allowed), ST_OK, "allowlist");
    cr_assert(allowed, "governance allowed the new measurement");

    /* the running new build is admitted after that block, with no restart: it registers and
     * settles the epoch */
    advance(EPOCH);
    th_block(e);
    ledger_settlement st;
    memset(&st, 0, sizeof st);
    cr_assert_eq(ledger_enclave_latest(eng_ledger(e), reg), ST_OK, "registered");
    cr_assert_eq(ledger_enclave_get(eng_ledger(e), reg, reg_m, NULL, NULL, NULL), ST_OK, "its record");
    cr_assert_arr_eq(reg_m, m2, 32, "with the new measurement");
    th_block(e);
    cr_assert_eq(ledger_settlement_get(eng_ledger(e), 0, &st), ST_OK, "epoch 0 settled");
    cr_assert_arr_eq(st.enclave, reg, 20, "signed by the new enclave");
    ledger_settlement_clear(&st);
}

/* ---- bad input ---- */

/* 2^254: the balance of devs 4 and 5 on a chain where six times a stake passes 2^256 */
#define BIG "28948022309329048855892746252171976963317496166410141009864396001978282409984"
#define TWO_255 "57896044618658097711785492504343953926634992332820282019728792003956564819968"

/* A new chain where devs 4 and 5 hold 2^254 and dev 5 stakes all but 10^6 of it in pool 1: power
 * P = 2^254 - 10^6, so 4P < 2^256 <= 5P. */
static void big_chain(void)
{
    char *genesis = make_genesis(NULL, BIG);
    th_new_chain(&e, genesis);
    free(genesis);
    th_outcome o[2] = { 0 };
    th_queue(e, 5, "PoolCreate", &o[0], "{\"commissionPpm\":\"0\",\"capacity\":\"" TWO_255 "\"}");
    th_block(e);
    th_queue(e, 5, "Contribute", &o[1], "{\"pool\":\"1\",\"amount\":\"28948022309329048855892746252171976963317496166410141009864396001978281409984\"}");
    th_block(e);
    for (int i = 0; i < 2; i++) {
        th_expect_ok(&o[i], "set-up");
        free(o[i].events);
    }
}

Test(governance_gov, a_vote_whose_weight_would_take_the_tally_past_2_256_fails_without_stopping_the_node)
{
    big_chain();
    uint64_t id = propose(5, "root", "");
    advance(DELAY);
    for (unsigned c = 5; c <= 6; c++)
        th_expect_tx_fails(e, 5, "Vote", "the for tally of proposal 1 would reach 2^256",
                        "{\"proposal\":\"%llu\",\"support\":\"1\",\"conviction\":\"%u\"}", (unsigned long long)id, c);
    expect_tally(id, "0", "0", "0", "0");
    vote(5, id, 1, 4);
    expect_tally(id, "115792089237316195423570985008687907853269984665640564039457584007913125639936", "0", "0",
                 "28948022309329048855892746252171976963317496166410141009864396001978281409984");
    /* a change that would overflow fails too, and leaves the vote as it stood */
    th_expect_tx_fails(e, 5, "Vote", "the for tally of proposal 1 would reach 2^256",
                    "{\"proposal\":\"%llu\",\"support\":\"1\",\"conviction\":\"6\"}", (unsigned long long)id);
    th_expect_tx_fails(e, 5, "Vote", "the against tally of proposal 1 would reach 2^256",
                    "{\"proposal\":\"%llu\",\"support\":\"0\",\"conviction\":\"6\"}", (unsigned long long)id);
    expect_tally(id, "115792089237316195423570985008687907853269984665640564039457584007913125639936", "0", "0",
                 "28948022309329048855892746252171976963317496166410141009864396001978281409984");
    vote(5, id, 0, 1);
    expect_tally(id, "0", "28948022309329048855892746252171976963317496166410141009864396001978281409984", "0",
                 "28948022309329048855892746252171976963317496166410141009864396001978281409984");
}

Test(governance_gov, overrides_whose_weights_pass_2_256_are_counted_exactly)
{
    big_chain();
    th_expect_tx_ok(e, 4, "Contribute", "{\"pool\":\"1\",\"amount\":\"28948022309329048855892746252171976963317496166410141009864396001978281409984\"}");  /* dev 4 stakes P too */
    delegate(4, 0, 6);             /* 12P, far past 2^256, is what dev 0 would carry */
    delegate(5, 0, 6);
    uint64_t id = propose(5, "root", "");
    advance(DELAY);
    th_expect_tx_fails(e, 0, "Vote", "the for tally of proposal 1 would reach 2^256",
                    "{\"proposal\":\"%llu\",\"support\":\"1\",\"conviction\":\"1\"}", (unsigned long long)id);
    /* each votes itself: the overrides, 6P then 12P of weight, leave dev 0 nothing to carry */
    vote(5, id, 1, 1);
    vote(4, id, 0, 1);
    expect_tally(id, "28948022309329048855892746252171976963317496166410141009864396001978281409984",
                 "28948022309329048855892746252171976963317496166410141009864396001978281409984", "0",
                 "57896044618658097711785492504343953926634992332820282019728792003956562819968");
    th_expect_tx_fails(e, 0, "Vote", "no voting power", "{\"proposal\":\"%llu\",\"support\":\"0\",\"conviction\":\"1\"}",
                    (unsigned long long)id);
}

Test(governance_gov, bad_input_is_refused_or_fails_with_a_clear_reason)
{
    stake_all();
    th_outcome o = { 0 };
    char payload[256];
    snprintf(payload, sizeof payload, "{\"kind\":\"spend\",\"to\":\"%s\",\"amount\":\"5001\"}", th_dev_text(5));
    static const struct { const char *track, *payload, *error; } refused[] = {
        { "treasury", "{\"kind\":", "not a JSON object" },
        { "treasury", "{\"kind\":\"nuke\"}", "payload.kind" },
        { "treasury", "{\"kind\":\"param\",\"name\":\"rewards.feePpm\",\"value\":1}", "does not take param" },
        { "root", "{\"kind\":\"param\",\"name\":\"staking.maxWorkersPerPool\",\"value\":1}", "not a governed parameter" },
        { "root", "{\"kind\":\"param\",\"name\":\"rewards.feePpm\",\"value\":2000000}", "between 0 and 1000000" },
        { "nowhere", "", "no such track" },
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        cr_assert_eq(th_submit(e, 0, "Propose", &o, "{\"track\":\"%s\",\"title\":\"t\",\"body\":\"\",\"payload\":\"%s\"}",
                            refused[i].track, hex_of(refused[i].payload)), ST_INVALID, "refused: %s", refused[i].payload);
        cr_assert(strstr(th_last_err(), refused[i].error), "'%s' mentions '%s'", th_last_err(), refused[i].error);
    }
    cr_assert_eq(th_submit(e, 0, "Propose", &o, "{\"track\":\"treasury\",\"title\":\"t\",\"body\":\"\",\"payload\":\"%s\"}",
                        hex_of(payload)), ST_INVALID, "spend above the cap");
    cr_assert(strstr(th_last_err(), "spend cap of 5000"), "%s", th_last_err());
    cr_assert_eq(th_submit(e, 1, "Vote", &o, "{\"proposal\":\"1\",\"support\":\"3\",\"conviction\":\"0\"}"), ST_INVALID, "support 3");
    cr_assert(strstr(th_last_err(), "message.support"), "%s", th_last_err());
    cr_assert_eq(th_submit(e, 1, "Vote", &o, "{\"proposal\":\"1\",\"support\":\"1\",\"conviction\":\"7\"}"), ST_INVALID, "conviction 7");
    cr_assert(strstr(th_last_err(), "message.conviction"), "%s", th_last_err());
    th_expect_tx_fails(e, 1, "Vote", "no proposal 9", "{\"proposal\":\"9\",\"support\":\"1\",\"conviction\":\"0\"}");
    th_expect_tx_fails(e, 4, "Propose", "below the treasury track's threshold of 100",
                    "{\"track\":\"treasury\",\"title\":\"t\",\"body\":\"\",\"payload\":\"0x\"}");
    th_expect_tx_fails(e, 0, "Propose", "insufficient free balance for the big track's deposit of 5000000",
                    "{\"track\":\"big\",\"title\":\"t\",\"body\":\"\",\"payload\":\"0x\"}");
    th_expect_user(e, LEDGER_FREE, 0, "999000");
    expect_escrow(0, "0");
    uint64_t id = propose(0, "treasury", "");
    advance(DELAY + PERIOD);
    th_expect_tx_fails(e, 1, "Vote", "is Defeated", "{\"proposal\":\"%llu\",\"support\":\"1\",\"conviction\":\"0\"}",
                    (unsigned long long)id);
}
