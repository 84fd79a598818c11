/* SPDX-License-Identifier: MIT */
/* test_gov.c: governance on a real conclaved --dev through JSON-RPC with the manual clock: every
 * path of a proposal (executed spend and parameter change, defeated by quorum, by approval and by
 * a tie, failed, canceled with its burn, expired), tallies by hand with conviction and delegation
 * (a delegate carrying its delegator's conviction, a direct vote overriding it), the conviction
 * table with its locks, the gov_* read methods (tracks, lists and pages, tally, votes, power,
 * delegation, locks, parameters), conviction and delegation locks against Withdraw, and bad input
 * refused with clear errors and no change. The dev chain's tracks (engine/genesis.c): a voting
 * delay of one hour, then 3 days of voting (7 on root), one day of enactment delay, 14 days of
 * grace; deposits of 100 (treasury) and 1,000 (root) tokens; lock period 7 days. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/lib/node.h"
#include "tests/lib/testhelp.h"

#define TOKEN "000000000000000000" /* append to whole tokens for base units */
#define HOUR 3600
#define DAY 86400

static th_node node;
static char addr[10][43];

static void setup(void)
{
    memset(&node, 0, sizeof node);
    th_node_start(&node, false);
    for (unsigned i = 0; i < 10; i++)
        th_dev_address(addr[i], i);
}

static void teardown(void)
{
    th_node_cleanup(&node);
}

TestSuite(integration_gov, .init = setup, .fini = teardown, .timeout = 90);

/* Pool 1 by dev 0; devs 0, 1, 2 stake 100, 200, 300 tokens (total power 600 tokens). */
static void stake_all(void)
{
    static const char *const stakes[] = { "100", "200", "300" };
    th_stake(&node, 0, stakes, 3);
}

static void vote(unsigned who, unsigned id, unsigned support, unsigned conviction)
{
    cJSON_Delete(th_send_ok(&node, who, "Vote", "{\"proposal\":\"%u\",\"support\":\"%u\",\"conviction\":\"%u\"}", id, support,
                            conviction));
}

static cJSON *proposal(unsigned id)
{
    return th_callf(&node, "gov_getProposal", "{\"id\":%u}", id);
}

static void expect_state(unsigned id, const char *state)
{
    cJSON *resp = proposal(id);
    cr_assert_str_eq(th_str(th_result(resp), "state"), state, "proposal %u: %s", id, cJSON_PrintUnformatted(resp));
    cJSON_Delete(resp);
}

/* Asserts gov_getTally's weights and turnout (whole tokens). */
static void expect_tally(unsigned id, const char *for_w, const char *against_w, const char *abstain_w, const char *turnout)
{
    cJSON *resp = th_callf(&node, "gov_getTally", "{\"id\":%u}", id);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(th_result(resp), "tally");
    char want[4][64];
    const char *given[4] = { for_w, against_w, abstain_w, turnout }, *keys[4] = { "for", "against", "abstain", "turnout" };
    for (int i = 0; i < 4; i++) {
        snprintf(want[i], sizeof want[i], "%s%s", given[i], strcmp(given[i], "0") ? TOKEN : "");
        cr_assert_str_eq(th_str(t, keys[i]), want[i], "%s of proposal %u: %s", keys[i], id, cJSON_PrintUnformatted(t));
    }
    cJSON_Delete(resp);
}

/* Asserts gov_getTally's quorumReached and approvalReached. */
static void expect_flags(unsigned id, bool quorum, bool approval)
{
    cJSON *resp = th_callf(&node, "gov_getTally", "{\"id\":%u}", id);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(th_result(resp), "tally");
    cr_assert_eq(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "quorumReached")), quorum, "quorum of %u: %s", id,
                 cJSON_PrintUnformatted(t));
    cr_assert_eq(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "approvalReached")), approval, "approval of %u: %s", id,
                 cJSON_PrintUnformatted(t));
    cJSON_Delete(resp);
}

static void expect_reason(unsigned id, const char *reason)
{
    cJSON *resp = proposal(id);
    cr_assert_str_eq(th_str(th_result(resp), "reason"), reason, "why %u ended: %s", id, cJSON_PrintUnformatted(resp));
    cJSON_Delete(resp);
}

static double vote_end_of(unsigned id)
{
    cJSON *resp = proposal(id);
    double t = th_num(cJSON_GetObjectItemCaseSensitive(th_result(resp), "timeline"), "voteEnd");
    cJSON_Delete(resp);
    return t;
}

static char *free_of(unsigned who)
{
    cJSON *resp = th_callf(&node, "ledger_getAccount", "{\"address\":\"%s\"}", addr[who]);
    char *v = strdup(th_str(th_result(resp), "free"));
    cJSON_Delete(resp);
    return v;
}

/* A signed transaction that gets a failed receipt whose reason contains reason. */
static void expect_failed_receipt(cJSON *resp, const char *reason)
{
    const cJSON *r = th_result(resp);
    cr_assert_str_eq(th_str(r, "status"), "failed", "failed: %s", cJSON_PrintUnformatted(resp));
    cr_assert(strstr(th_str(r, "error"), reason), "reason \"%s\" in %s", reason, th_str(r, "error"));
    cJSON_Delete(resp);
}

Test(integration_gov, a_treasury_spend_runs_its_whole_course_and_executes_once)
{
    stake_all();
    char payload[160];
    snprintf(payload, sizeof payload, "{\"kind\":\"spend\",\"to\":\"%s\",\"amount\":\"7" TOKEN "\"}", addr[5]);
    char *before = free_of(5);
    unsigned id = th_propose(&node, 0, "treasury", payload);
    cJSON *resp = proposal(id);
    const cJSON *p = th_result(resp);
    cr_assert_str_eq(th_str(p, "state"), "Pending", "pending");
    cr_assert_str_eq(th_str(p, "proposer"), addr[0], "proposer");
    cr_assert_str_eq(th_str(p, "deposit"), "100" TOKEN, "the treasury track's deposit");
    cr_assert_str_eq(th_str(cJSON_GetObjectItemCaseSensitive(p, "payload"), "kind"), "spend", "payload back as JSON");
    const cJSON *tl = cJSON_GetObjectItemCaseSensitive(p, "timeline");
    double created = th_num(tl, "created");
    cr_assert_eq(th_num(tl, "voteStart"), created + HOUR, "voting delay");
    cr_assert_eq(th_num(tl, "voteEnd"), created + HOUR + 3 * DAY, "voting period");
    cr_assert_eq(th_num(tl, "eta"), created + HOUR + 4 * DAY, "enactment delay");
    cr_assert_str_eq(th_str(cJSON_GetObjectItemCaseSensitive(p, "tally"), "totalPower"), "600" TOKEN, "power at the snapshot");
    cr_assert_str_eq(th_str(cJSON_GetObjectItemCaseSensitive(p, "tally"), "quorum"), "60" TOKEN, "10% of it");
    cJSON_Delete(resp);

    expect_failed_receipt(th_send(&node, 1, "Vote", "{\"proposal\":\"%u\",\"support\":\"1\",\"conviction\":\"1\"}", id),
                          "votes are taken only while it is Active");
    th_node_advance(&node, HOUR);
    expect_state(id, "Active");
    vote(1, id, 1, 1);             /* for 200 */
    vote(2, id, 0, 0);             /* against 30 (0.1x of 300) */
    vote(0, id, 2, 6);             /* abstain 600 (6x of 100) */
    expect_tally(id, "200", "30", "600", "600");
    vote(2, id, 1, 0);             /* changed: for 230 */
    expect_tally(id, "230", "0", "600", "600");

    resp = th_callf(&node, "gov_getVotes", "{\"id\":%u,\"limit\":2}", id);
    const cJSON *r = th_result(resp);
    cr_assert_eq(th_count(r, "votes"), 2, "a page of two");
    char next[43];
    snprintf(next, sizeof next, "%s", th_str(r, "next"));
    cJSON_Delete(resp);
    resp = th_callf(&node, "gov_getVotes", "{\"id\":%u,\"cursor\":\"%s\"}", id, next);
    cr_assert_eq(th_count(th_result(resp), "votes"), 1, "and the third");
    cr_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(th_result(resp), "next")), "the end");
    cJSON_Delete(resp);
    resp = th_callf(&node, "gov_getVote", "{\"id\":%u,\"voter\":\"%s\"}", id, addr[2]);
    r = th_result(resp);
    cr_assert_str_eq(th_str(r, "support"), "for", "the changed vote");
    cr_assert_str_eq(th_str(r, "weight"), "30" TOKEN, "0.1x");
    cJSON_Delete(resp);
    resp = th_callf(&node, "gov_getVote", "{\"id\":%u,\"voter\":\"%s\"}", id, addr[7]);
    cr_assert(cJSON_IsNull(th_result(resp)), "no vote: null");
    cJSON_Delete(resp);

    th_node_advance(&node, 3 * DAY);
    expect_state(id, "Queued");
    expect_failed_receipt(th_send(&node, 3, "ProposalExecute", "{\"proposal\":\"%u\"}", id), "can be executed only");
    th_node_advance(&node, DAY);
    cJSON *events = th_send_ok(&node, 3, "ProposalExecute", "{\"proposal\":\"%u\"}", id);
    char *text = cJSON_PrintUnformatted(events);
    cr_assert(text && strstr(text, "\"TreasurySpend\""), "the spend: %s", text);
    cJSON_free(text);
    cJSON_Delete(events);
    expect_state(id, "Executed");
    char *after = free_of(5), want[80];
    cr_assert_eq(strlen(before), 25, "dev 5 holds 1,000,000 tokens: %s", before);
    snprintf(want, sizeof want, "1000007" TOKEN);
    cr_assert_str_eq(after, want, "exactly 7 tokens more");
    expect_failed_receipt(th_send(&node, 3, "ProposalExecute", "{\"proposal\":\"%u\"}", id), "is Executed");
    expect_failed_receipt(th_send(&node, 1, "Vote", "{\"proposal\":\"%u\",\"support\":\"0\",\"conviction\":\"0\"}", id),
                          "is Executed: votes are taken only while it is Active");
    free(after);
    free(before);

    resp = th_call(&node, "gov_listProposals", "{\"state\":\"Executed\"}");
    cr_assert_eq(th_count(th_result(resp), "proposals"), 1, "one executed proposal");
    cJSON_Delete(resp);
    resp = th_call(&node, "gov_listProposals", "{\"state\":\"Active\"}");
    cr_assert_eq(th_count(th_result(resp), "proposals"), 0, "none active");
    cJSON_Delete(resp);
}

Test(integration_gov, a_parameter_change_is_in_force_once_executed)
{
    stake_all();
    unsigned id = th_propose(&node, 0, "params", "{\"kind\":\"param\",\"name\":\"staking.minContribution\",\"value\":\"5" TOKEN "\"}");
    th_node_advance(&node, HOUR);
    vote(2, id, 1, 1);
    th_node_advance(&node, 3 * DAY + DAY);
    cJSON_Delete(th_send_ok(&node, 4, "ProposalExecute", "{\"proposal\":\"%u\"}", id));
    cJSON *resp = th_call(&node, "gov_getParams", NULL);
    const cJSON *item;
    bool seen = false;
    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(th_result(resp), "params"))
        if (strcmp(th_str(item, "name"), "staking.minContribution") == 0) {
            cr_assert_str_eq(th_str(item, "value"), "5" TOKEN, "the new value");
            seen = true;
        }
    cr_assert(seen, "listed");
    cJSON_Delete(resp);
    resp = th_send(&node, 4, "Contribute", "{\"pool\":\"1\",\"amount\":\"4" TOKEN "\"}");
    cr_assert_eq(th_error_code(resp), -32602, "below the new minimum");
    char *text = cJSON_PrintUnformatted(resp);
    cr_assert(text && strstr(text, "minimum contribution of 5" TOKEN), "says so: %s", text);
    cJSON_free(text);
    cJSON_Delete(resp);
}

Test(integration_gov, defeated_canceled_and_expired_proposals)
{
    stake_all();
    /* defeated: 5 tokens of 600 vote, short of the 10% quorum */
    cJSON_Delete(th_send_ok(&node, 3, "Contribute", "{\"pool\":\"1\",\"amount\":\"5" TOKEN "\"}"));
    unsigned defeated = th_propose(&node, 0, "treasury", "");
    /* canceled while Pending: 10% of the deposit burned */
    char *before = free_of(1);
    unsigned canceled = th_propose(&node, 1, "treasury", "");
    cJSON_Delete(th_send_ok(&node, 1, "ProposalCancel", "{\"proposal\":\"%u\"}", canceled));
    char *after = free_of(1);
    cr_assert_str_eq(before, "999800" TOKEN, "1,000,000 less the 200 staked");
    cr_assert_str_eq(after, "999790" TOKEN, "10 of the 100 tokens of deposit burned, 90 back");
    free(before);
    free(after);
    expect_state(canceled, "Canceled");
    unsigned expired = th_propose(&node, 2, "treasury", "");
    th_node_advance(&node, HOUR);
    vote(3, defeated, 1, 1);
    vote(2, expired, 1, 1);
    th_node_advance(&node, 3 * DAY);
    expect_state(defeated, "Defeated");
    cJSON *resp = proposal(defeated);
    cr_assert_str_eq(th_str(th_result(resp), "reason"), "quorum not reached", "why");
    cJSON_Delete(resp);
    expect_state(expired, "Queued");
    th_node_advance(&node, DAY + 14 * DAY);
    expect_state(expired, "Expired");
    resp = th_call(&node, "gov_listProposals", "{\"track\":\"treasury\",\"limit\":2}");
    const cJSON *r = th_result(resp);
    cr_assert_eq(th_count(r, "proposals"), 2, "a page");
    cr_assert_eq(th_num(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(r, "proposals"), 0), "id"), expired, "newest first");
    cr_assert_eq(th_num(r, "next"), canceled, "next page after the second");
    cJSON_Delete(resp);
}

Test(integration_gov, a_delegate_votes_with_its_delegators_power_until_one_votes_itself)
{
    stake_all();
    cJSON_Delete(th_send_ok(&node, 1, "Delegate", "{\"to\":\"%s\",\"conviction\":\"2\"}", addr[0]));
    cJSON *resp = th_callf(&node, "gov_getDelegation", "{\"address\":\"%s\"}", addr[0]);
    const cJSON *r = th_result(resp);
    cr_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(r, "delegation")), "dev 0 delegates nothing");
    cr_assert_eq(th_count(r, "delegators"), 1, "one delegator");
    cr_assert_str_eq(th_str(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(r, "delegators"), 0), "address"), addr[1], "dev 1");
    cJSON_Delete(resp);
    resp = th_callf(&node, "gov_getDelegation", "{\"address\":\"%s\"}", addr[1]);
    cr_assert_str_eq(th_str(cJSON_GetObjectItemCaseSensitive(th_result(resp), "delegation"), "to"), addr[0], "to dev 0");
    cJSON_Delete(resp);
    resp = th_callf(&node, "gov_votingPower", "{\"address\":\"%s\"}", addr[0]);
    r = th_result(resp);
    cr_assert_str_eq(th_str(r, "own"), "100" TOKEN, "own");
    cr_assert_str_eq(th_str(r, "delegated"), "200" TOKEN, "delegated");
    cr_assert_str_eq(th_str(r, "delegatedWeight"), "400" TOKEN, "at 2x");
    cJSON_Delete(resp);

    unsigned id = th_propose(&node, 0, "treasury", "");
    th_node_advance(&node, HOUR);
    vote(0, id, 1, 1);             /* 100 + 400 */
    expect_tally(id, "500", "0", "0", "300");
    vote(1, id, 0, 1);             /* dev 1 overrides: 400 leave the for side, 200 against */
    expect_tally(id, "100", "200", "0", "300");
    resp = th_callf(&node, "gov_getVote", "{\"id\":%u,\"voter\":\"%s\"}", id, addr[0]);
    cr_assert_str_eq(th_str(th_result(resp), "delegatedPower"), "0", "nothing carried any more");
    cJSON_Delete(resp);
    resp = th_callf(&node, "gov_votingPower", "{\"address\":\"%s\",\"proposal\":%u}", addr[2], id);
    cr_assert_str_eq(th_str(th_result(resp), "total"), "300" TOKEN, "dev 2 at the snapshot");
    cJSON_Delete(resp);
}

Test(integration_gov, stake_moved_after_the_snapshot_does_not_count)
{
    stake_all();
    unsigned id = th_propose(&node, 0, "treasury", "");
    cJSON_Delete(th_send_ok(&node, 3, "Contribute", "{\"pool\":\"1\",\"amount\":\"500" TOKEN "\"}"));
    cJSON_Delete(th_send_ok(&node, 2, "Withdraw", "{\"pool\":\"1\",\"shares\":\"300" TOKEN "\"}"));
    cJSON *resp = th_callf(&node, "gov_votingPower", "{\"address\":\"%s\",\"proposal\":%u}", addr[3], id);
    cr_assert_str_eq(th_str(th_result(resp), "total"), "0", "dev 3 staked after the snapshot");
    cJSON_Delete(resp);
    th_node_advance(&node, HOUR);
    expect_failed_receipt(th_send(&node, 3, "Vote", "{\"proposal\":\"%u\",\"support\":\"1\",\"conviction\":\"1\"}", id),
                          "no voting power");
    vote(2, id, 1, 1);             /* dev 2 left the pool after the snapshot: it still votes its 300 */
    expect_tally(id, "300", "0", "0", "300");
}

Test(integration_gov, a_conviction_vote_locks_the_stake_and_shows_until_when)
{
    stake_all();
    unsigned id = th_propose(&node, 0, "treasury", "");
    th_node_advance(&node, HOUR);
    vote(1, id, 1, 2);
    cJSON *resp = proposal(id);
    double vote_end = th_num(cJSON_GetObjectItemCaseSensitive(th_result(resp), "timeline"), "voteEnd");
    cJSON_Delete(resp);
    resp = th_callf(&node, "gov_getLocks", "{\"address\":\"%s\"}", addr[1]);
    const cJSON *r = th_result(resp);
    cr_assert_eq(th_count(r, "locks"), 1, "one lock");
    const cJSON *lock = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(r, "locks"), 0);
    cr_assert_eq(th_num(lock, "proposal"), id, "by the vote");
    cr_assert_str_eq(th_str(lock, "amount"), "200" TOKEN, "the voting power");
    cr_assert_eq(th_num(lock, "until"), vote_end + 2 * 7 * DAY, "two lock periods after the vote");
    cr_assert_str_eq(th_str(r, "locked"), "200" TOKEN, "binding");
    char reason[80];
    snprintf(reason, sizeof reason, "locked by governance until %.0f", vote_end + 2 * 7 * DAY);
    cJSON_Delete(resp);
    expect_failed_receipt(th_send(&node, 1, "Withdraw", "{\"pool\":\"1\",\"shares\":\"1" TOKEN "\"}"), reason);
}

Test(integration_gov, bad_input_is_refused_with_clear_errors)
{
    stake_all();
    cJSON *resp = th_call(&node, "gov_getProposal", "{\"id\":99}");
    cr_assert_eq(th_error_code(resp), -32003, "unknown proposal");
    cJSON_Delete(resp);
    resp = th_call(&node, "gov_listProposals", "{\"state\":\"Sleeping\"}");
    cr_assert_eq(th_error_code(resp), -32602, "no such state");
    cJSON_Delete(resp);
    resp = th_call(&node, "gov_votingPower", "{\"address\":\"0x12\"}");
    cr_assert_eq(th_error_code(resp), -32602, "bad address");
    cJSON_Delete(resp);
    resp = th_callf(&node, "gov_votingPower", "{\"address\":\"%s\",\"height\":99999999}", addr[0]);
    cr_assert_eq(th_error_code(resp), -32602, "a height beyond the head: not known yet");
    cJSON_Delete(resp);
    uint64_t nonce = th_nonce(&node, 1);
    resp = th_send(&node, 1, "Vote", "{\"proposal\":\"1\",\"support\":\"3\",\"conviction\":\"1\"}");
    cr_assert_eq(th_error_code(resp), -32602, "support 3");
    cJSON_Delete(resp);
    resp = th_send(&node, 1, "Vote", "{\"proposal\":\"1\",\"support\":\"1\",\"conviction\":\"7\"}");
    cr_assert_eq(th_error_code(resp), -32602, "conviction 7");
    cJSON_Delete(resp);
    resp = th_send(&node, 0, "Propose", "{\"track\":\"treasury\",\"title\":\"t\",\"body\":\"b\",\"payload\":\"%s\"}",
                   th_hex_text("{\"kind\":\"spend\",\"to\":\"0x0000000000000000000000000000000000000001\",\"amount\":\"1000001" TOKEN "\"}"));
    cr_assert_eq(th_error_code(resp), -32602, "a spend above the cap");
    cJSON_Delete(resp);
    resp = th_send(&node, 0, "Propose", "{\"track\":\"params\",\"title\":\"t\",\"body\":\"b\",\"payload\":\"%s\"}",
                   th_hex_text("{\"kind\":\"param\",\"name\":\"rewards.feePpm\",\"value\":\"1000001\"}"));
    cr_assert_eq(th_error_code(resp), -32602, "a parameter out of bounds");
    cJSON_Delete(resp);
    cr_assert_eq(th_nonce(&node, 1), nonce, "refused transactions consume no nonce");
    expect_failed_receipt(th_send(&node, 4, "Propose", "{\"track\":\"treasury\",\"title\":\"t\",\"body\":\"b\",\"payload\":\"0x\"}"),
                          "below the treasury track's threshold");
    expect_failed_receipt(th_send(&node, 1, "Vote", "{\"proposal\":\"42\",\"support\":\"1\",\"conviction\":\"1\"}"),
                          "no proposal 42");
    resp = th_call(&node, "gov_listProposals", NULL);
    cr_assert_eq(th_count(th_result(resp), "proposals"), 0, "nothing was created");
    cJSON_Delete(resp);
}

Test(integration_gov, defeated_by_approval_and_by_a_tie_with_the_deposit_back)
{
    stake_all();
    char *before = free_of(0);
    unsigned against = th_propose(&node, 0, "treasury", ""), tie = th_propose(&node, 0, "treasury", ""), twothirds = th_propose(&node, 0, "root", "");
    th_node_advance(&node, HOUR);
    vote(1, against, 1, 1);        /* for 200 */
    vote(2, against, 0, 1);        /* against 300: 200 / 500 is not above 50% */
    expect_tally(against, "200", "300", "0", "500");
    expect_flags(against, true, false);
    vote(1, tie, 1, 1);            /* for 200 */
    vote(0, tie, 0, 2);            /* against 200 (2x of 100): a tie fails */
    expect_tally(tie, "200", "200", "0", "300");
    expect_flags(tie, true, false);
    vote(1, twothirds, 1, 1);      /* root: for 200 */
    vote(0, twothirds, 0, 1);      /* against 100: 200 / 300 = 66.66666% is below 666667 ppm */
    expect_flags(twothirds, true, false);
    vote(2, tie, 2, 6);            /* abstain 1800 counts for the quorum only */
    expect_tally(tie, "200", "200", "1800", "600");
    expect_flags(tie, true, false);
    th_node_advance(&node, 3 * DAY);
    expect_state(against, "Defeated");
    expect_reason(against, "approval not reached");
    expect_state(tie, "Defeated");
    expect_reason(tie, "approval not reached");
    expect_state(twothirds, "Active");   /* root votes for 7 days */
    expect_failed_receipt(th_send(&node, 2, "Vote", "{\"proposal\":\"%u\",\"support\":\"1\",\"conviction\":\"1\"}", against),
                          "is Defeated: votes are taken only while it is Active");
    expect_tally(against, "200", "300", "0", "500");
    th_node_advance(&node, 4 * DAY);
    expect_state(twothirds, "Defeated");
    expect_reason(twothirds, "approval not reached");
    char *after = free_of(0);
    cr_assert_str_eq(after, before, "every deposit back: %s, was %s", after, before);
    free(after);
    free(before);
    cJSON *resp = th_call(&node, "gov_listProposals", "{\"state\":\"defeated\"}");
    cr_assert_eq(th_count(th_result(resp), "proposals"), 3, "three defeated (a state in any case)");
    cJSON_Delete(resp);
}

Test(integration_gov, a_payload_that_cannot_run_fails_changes_nothing_and_returns_the_deposit)
{
    stake_all();
    char *before = free_of(0);
    unsigned id = th_propose(&node, 0, "enclave",
                          "{\"kind\":\"enclaveRemove\",\"measurement\":\"0x0101010101010101010101010101010101010101010101010101010101010101\"}");
    th_node_advance(&node, HOUR);
    vote(2, id, 1, 1);
    th_node_advance(&node, 3 * DAY);
    expect_state(id, "Queued");
    th_node_advance(&node, DAY);
    cJSON *events = th_send_ok(&node, 4, "ProposalExecute", "{\"proposal\":\"%u\"}", id);
    char *text = cJSON_PrintUnformatted(events);
    cr_assert(strstr(text, "\"ProposalFailed\""), "failed: %s", text);
    cr_assert(!strstr(text, "\"EnclaveRemoved\""), "none of the payload's events stay: %s", text);
    cJSON_free(text);
    cJSON_Delete(events);
    expect_state(id, "Failed");
    expect_reason(id, "the measurement is not on the allowlist");
    char *after = free_of(0);
    cr_assert_str_eq(after, before, "the deposit is returned");
    free(after);
    free(before);
    expect_failed_receipt(th_send(&node, 4, "ProposalExecute", "{\"proposal\":\"%u\"}", id), "is Failed");
}

Test(integration_gov, the_conviction_table_weights_and_locks)
{
    static const char *const weight[] = { "30", "300", "600", "900", "1200", "1500", "1800" };
    static const unsigned periods[] = { 0, 1, 2, 4, 8, 16, 32 };
    stake_all();
    cJSON *resp = th_call(&node, "gov_listTracks", NULL);
    cr_assert_eq(th_num(th_result(resp), "lockPeriod"), 7 * DAY, "the dev chain's lock period");
    cJSON_Delete(resp);
    unsigned id = th_propose(&node, 0, "treasury", "");
    th_node_advance(&node, HOUR);
    double end = vote_end_of(id);
    for (unsigned c = 0; c <= 6; c++) {
        vote(2, id, 1, c);         /* dev 2's 300, changed each time */
        expect_tally(id, weight[c], "0", "0", "300");
        resp = th_callf(&node, "gov_getVote", "{\"id\":%u,\"voter\":\"%s\"}", id, addr[2]);
        const cJSON *v = th_result(resp);
        char want[64];
        snprintf(want, sizeof want, "%s" TOKEN, weight[c]);
        cr_assert_str_eq(th_str(v, "weight"), want, "conviction %u", c);
        cr_assert_eq(th_num(v, "conviction"), c, "conviction %u recorded", c);
        cr_assert_str_eq(th_str(v, "power"), "300" TOKEN, "the power does not change");
        cJSON_Delete(resp);
        resp = th_callf(&node, "gov_getLocks", "{\"address\":\"%s\"}", addr[2]);
        const cJSON *r = th_result(resp);
        if (c == 0) {
            cr_assert_eq(th_count(r, "locks"), 0, "conviction 0 locks nothing");
            cr_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(r, "lockedUntil")), "no binding lock");
        } else {
            cr_assert_eq(th_count(r, "locks"), 1, "one lock for the proposal");
            cr_assert_eq(th_num(r, "lockedUntil"), end + periods[c] * 7.0 * DAY, "conviction %u: %u lock periods after the vote",
                         c, periods[c]);
            cr_assert_str_eq(th_str(r, "locked"), "300" TOKEN, "the voting power is locked");
        }
        cJSON_Delete(resp);
    }
    /* the lock is the standing vote's: a lower conviction afterwards lowers it, 0 removes it */
    vote(2, id, 1, 1);
    expect_tally(id, "300", "0", "0", "300");
    resp = th_callf(&node, "gov_getLocks", "{\"address\":\"%s\"}", addr[2]);
    cr_assert_eq(th_num(th_result(resp), "lockedUntil"), end + 7.0 * DAY, "one lock period now");
    cJSON_Delete(resp);
    vote(2, id, 1, 0);
    resp = th_callf(&node, "gov_getLocks", "{\"address\":\"%s\"}", addr[2]);
    cr_assert_eq(th_count(th_result(resp), "locks"), 0, "conviction 0 standing: no lock");
    cr_assert_str_eq(th_str(th_result(resp), "locked"), "0", "nothing locked");
    cJSON_Delete(resp);
    cJSON_Delete(th_send_ok(&node, 2, "Withdraw", "{\"pool\":\"1\",\"shares\":\"300" TOKEN "\"}"));
    resp = th_callf(&node, "gov_getVotes", "{\"id\":%u}", id);
    cr_assert_eq(th_count(th_result(resp), "votes"), 1, "a changed vote stays one vote");
    cJSON_Delete(resp);
}

Test(integration_gov, a_delegation_with_conviction_locks_while_it_lasts_and_after)
{
    stake_all();
    cJSON_Delete(th_send_ok(&node, 1, "Delegate", "{\"to\":\"%s\",\"conviction\":\"2\"}", addr[0]));
    cJSON *resp = th_callf(&node, "gov_getLocks", "{\"address\":\"%s\"}", addr[1]);
    const cJSON *dl = cJSON_GetObjectItemCaseSensitive(th_result(resp), "delegationLock");
    cr_assert(cJSON_IsObject(dl), "a delegation lock: %s", cJSON_PrintUnformatted(resp));
    cr_assert_str_eq(th_str(dl, "to"), addr[0], "to dev 0");
    cr_assert_eq(th_num(dl, "conviction"), 2, "conviction 2");
    cr_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(dl, "until")), "no end date while delegating");
    cr_assert_str_eq(th_str(dl, "note"), "while delegating", "says so");
    cr_assert_eq(th_num(dl, "lockPeriodsAfterUndelegate"), 2, "two lock periods after Undelegate");
    cJSON_Delete(resp);
    expect_failed_receipt(th_send(&node, 1, "Withdraw", "{\"pool\":\"1\",\"shares\":\"1" TOKEN "\"}"),
                          "stake is locked while delegating with conviction 2");

    cJSON_Delete(th_send_ok(&node, 1, "Undelegate", "{}"));
    resp = th_callf(&node, "gov_getLocks", "{\"address\":\"%s\"}", addr[1]);
    const cJSON *r = th_result(resp);
    cr_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(r, "delegationLock")), "the delegation is over");
    cr_assert_eq(th_count(r, "locks"), 1, "an undelegation lock");
    const cJSON *lock = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(r, "locks"), 0);
    cr_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(lock, "proposal")), "of no proposal");
    cr_assert_str_eq(th_str(lock, "reason"), "undelegation", "why");
    cr_assert_str_eq(th_str(lock, "amount"), "200" TOKEN, "the whole stake");
    double until = th_num(lock, "until");
    cr_assert_eq(until, th_num(r, "now") + 2 * 7 * DAY, "two lock periods from now");
    cJSON_Delete(resp);
    char reason[80];
    snprintf(reason, sizeof reason, "locked by governance until %.0f", until);
    expect_failed_receipt(th_send(&node, 1, "Withdraw", "{\"pool\":\"1\",\"shares\":\"1" TOKEN "\"}"), reason);
    th_node_advance(&node, 2 * 7 * DAY);
    resp = th_callf(&node, "gov_getLocks", "{\"address\":\"%s\"}", addr[1]);
    cr_assert_eq(th_count(th_result(resp), "locks"), 0, "the lock has run out");
    cJSON_Delete(resp);
    cJSON_Delete(th_send_ok(&node, 1, "Withdraw", "{\"pool\":\"1\",\"shares\":\"1" TOKEN "\"}"));
}

Test(integration_gov, proposing_without_the_deposit_fails_and_changes_nothing)
{
    stake_all();
    /* dev 1 keeps 200 staked (above the threshold) and 50 free tokens (below the deposit of 100) */
    cJSON_Delete(th_send_ok(&node, 1, "Transfer", "{\"to\":\"%s\",\"amount\":\"999750" TOKEN "\"}", addr[9]));
    char *before = free_of(1);
    cr_assert_str_eq(before, "50" TOKEN, "50 tokens free");
    expect_failed_receipt(th_send(&node, 1, "Propose", "{\"track\":\"treasury\",\"title\":\"t\",\"body\":\"b\",\"payload\":\"0x\"}"),
                          "insufficient free balance for the treasury track's deposit of 100" TOKEN);
    char *after = free_of(1);
    cr_assert_str_eq(after, before, "nothing reserved");
    free(after);
    free(before);
    cJSON *resp = th_call(&node, "gov_listProposals", NULL);
    cr_assert_eq(th_count(th_result(resp), "proposals"), 0, "nothing was created");
    cJSON_Delete(resp);
}

Test(integration_gov, the_read_methods_refuse_bad_params)
{
    stake_all();
    unsigned id = th_propose(&node, 0, "treasury", "");
    static const struct {
        const char *method, *params;
        int code;
    } cases[] = {
        { "gov_getTally", "{\"id\":99}", -32003 },
        { "gov_getVotes", "{\"id\":99}", -32003 },
        { "gov_getVote", "{\"id\":99,\"voter\":\"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266\"}", -32003 },
        { "gov_votingPower", "{\"address\":\"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266\",\"proposal\":99}", -32003 },
        { "gov_votingPower", "{\"address\":\"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266\",\"proposal\":1,\"height\":1}", -32602 },
        { "gov_getProposal", "{\"id\":\"one\"}", -32602 },
        { "gov_getProposal", "{}", -32602 },
        { "gov_listProposals", "{\"track\":\"moon\"}", -32602 },
        { "gov_listProposals", "{\"limit\":0}", -32602 },
        { "gov_listProposals", "{\"limit\":101}", -32602 },
        { "gov_getVotes", "{\"id\":1,\"cursor\":\"0x12\"}", -32602 },
        { "gov_getDelegation", "{\"address\":\"nobody\"}", -32602 },
        { "gov_getLocks", "{}", -32602 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cJSON *resp = th_call(&node, cases[i].method, cases[i].params);
        cr_assert_eq(th_error_code(resp), cases[i].code, "%s %s: %s", cases[i].method, cases[i].params,
                     cJSON_PrintUnformatted(resp));
        cJSON_Delete(resp);
    }
    cJSON *resp = th_callf(&node, "gov_getProposal", "[%u]", id);
    cr_assert_eq(th_num(th_result(resp), "id"), id, "params by position");
    cJSON_Delete(resp);
}

Test(integration_gov, a_delegate_changing_its_vote_moves_what_it_carries_and_an_early_override_is_never_carried)
{
    stake_all();
    cJSON_Delete(th_send_ok(&node, 1, "Delegate", "{\"to\":\"%s\",\"conviction\":\"2\"}", addr[0]));  /* 200 at 2x */
    cJSON_Delete(th_send_ok(&node, 2, "Delegate", "{\"to\":\"%s\",\"conviction\":\"0\"}", addr[0]));  /* 300 at 0.1x */
    cJSON *resp = th_callf(&node, "gov_votingPower", "{\"address\":\"%s\"}", addr[0]);
    const cJSON *r = th_result(resp);
    cr_assert_str_eq(th_str(r, "delegated"), "500" TOKEN, "both delegators");
    cr_assert_str_eq(th_str(r, "delegatedWeight"), "430" TOKEN, "400 + 30");
    cr_assert_str_eq(th_str(r, "total"), "600" TOKEN, "own and delegated");
    cJSON_Delete(resp);
    resp = th_callf(&node, "gov_getDelegation", "{\"address\":\"%s\",\"limit\":1}", addr[0]);
    r = th_result(resp);
    cr_assert_eq(th_count(r, "delegators"), 1, "a page of one");
    char next[43];
    snprintf(next, sizeof next, "%s", th_str(r, "next"));
    cJSON_Delete(resp);
    resp = th_callf(&node, "gov_getDelegation", "{\"address\":\"%s\",\"cursor\":\"%s\"}", addr[0], next);
    cr_assert_eq(th_count(th_result(resp), "delegators"), 1, "and the other");
    cr_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(th_result(resp), "next")), "the end");
    cJSON_Delete(resp);

    unsigned id = th_propose(&node, 0, "treasury", "");
    th_node_advance(&node, HOUR);
    vote(2, id, 0, 1);             /* dev 2 first, directly: against 300 */
    expect_tally(id, "0", "300", "0", "300");
    vote(0, id, 1, 1);             /* dev 0: own 100 and dev 1's 400; dev 2 voted itself, so is not carried */
    expect_tally(id, "500", "300", "0", "600");
    resp = th_callf(&node, "gov_getVote", "{\"id\":%u,\"voter\":\"%s\"}", id, addr[0]);
    r = th_result(resp);
    cr_assert_str_eq(th_str(r, "delegatedPower"), "200" TOKEN, "dev 1's stake only");
    cr_assert_str_eq(th_str(r, "delegatedWeight"), "400" TOKEN, "at dev 1's conviction");
    cr_assert_str_eq(th_str(r, "totalWeight"), "500" TOKEN, "own and carried");
    cJSON_Delete(resp);
    vote(0, id, 2, 3);             /* changed: abstain, own 300 (3x) and still dev 1's 400 */
    expect_tally(id, "0", "300", "700", "600");
    vote(1, id, 1, 0);             /* dev 1 overrides: its 400 leave the abstain side, 20 for */
    expect_tally(id, "20", "300", "300", "600");
    expect_flags(id, true, false);  /* 20 / 320 */
    resp = th_callf(&node, "gov_getVote", "{\"id\":%u,\"voter\":\"%s\"}", id, addr[0]);
    cr_assert_str_eq(th_str(th_result(resp), "delegatedWeight"), "0", "dev 0 carries nothing now");
    cJSON_Delete(resp);
    vote(0, id, 1, 6);             /* dev 0 alone now: for 600 */
    expect_tally(id, "620", "300", "0", "600");
    expect_flags(id, true, true);
    th_node_advance(&node, 3 * DAY);
    expect_state(id, "Queued");
}

/* The repro of issue 8: two delegators whose tenths both leave a remainder. A floor taken on their
 * sum gave the delegate 2000000000000000001 of weight, so after one of them overrode, the delegate
 * still carried one unit more than the other's and an exact tie passed. */
Test(integration_gov, a_delegate_carries_each_delegators_own_floored_weight_and_a_tie_after_an_override_fails)
{
    cJSON_Delete(th_send_ok(&node, 0, "PoolCreate", "{\"commissionPpm\":\"0\",\"capacity\":\"1000000" TOKEN "\"}"));
    cJSON_Delete(th_send_ok(&node, 0, "Contribute", "{\"pool\":\"1\",\"amount\":\"100" TOKEN "\"}"));
    cJSON_Delete(th_send_ok(&node, 1, "Contribute", "{\"pool\":\"1\",\"amount\":\"10000000000000000006\"}"));
    cJSON_Delete(th_send_ok(&node, 2, "Contribute", "{\"pool\":\"1\",\"amount\":\"10000000000000000008\"}"));
    cJSON_Delete(th_send_ok(&node, 1, "Delegate", "{\"to\":\"%s\",\"conviction\":\"0\"}", addr[3]));
    cJSON_Delete(th_send_ok(&node, 2, "Delegate", "{\"to\":\"%s\",\"conviction\":\"0\"}", addr[3]));
    unsigned id = th_propose(&node, 0, "treasury", "");
    cJSON *resp = th_callf(&node, "gov_votingPower", "{\"address\":\"%s\",\"proposal\":%u}", addr[3], id);
    const cJSON *r = th_result(resp);
    cr_assert_str_eq(th_str(r, "delegated"), "20000000000000000014", "both delegators' power");
    cr_assert_str_eq(th_str(r, "delegatedWeight"), "2000000000000000000", "each one's tenth, floored on its own");
    cJSON_Delete(resp);
    th_node_advance(&node, HOUR);
    vote(3, id, 1, 1);
    vote(2, id, 0, 0);             /* dev 2 overrides at 0.1x */
    resp = th_callf(&node, "gov_getVote", "{\"id\":%u,\"voter\":\"%s\"}", id, addr[3]);
    r = th_result(resp);
    cr_assert_str_eq(th_str(r, "delegatedPower"), "10000000000000000006", "dev 1's power only");
    cr_assert_str_eq(th_str(r, "delegatedWeight"), "1000000000000000000", "dev 1's own tenth");
    cJSON_Delete(resp);
    resp = th_callf(&node, "gov_getTally", "{\"id\":%u}", id);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(th_result(resp), "tally");
    cr_assert_str_eq(th_str(t, "for"), "1000000000000000000", "for: %s", cJSON_PrintUnformatted(t));
    cr_assert_str_eq(th_str(t, "against"), "1000000000000000000", "against: %s", cJSON_PrintUnformatted(t));
    cr_assert_str_eq(th_str(t, "turnout"), "20000000000000000014", "turnout: %s", cJSON_PrintUnformatted(t));
    cJSON_Delete(resp);
    expect_flags(id, true, false);
    th_node_advance(&node, 3 * DAY);
    expect_state(id, "Defeated");
    expect_reason(id, "approval not reached");
}

/* The epoch's settlement: whether settlement_getEpoch answers it (else -32003, not settled). */
static bool epoch_settled(unsigned epoch)
{
    cJSON *resp = th_callf(&node, "settlement_getEpoch", "{\"epoch\":%u}", epoch);
    bool settled = cJSON_GetObjectItemCaseSensitive(resp, "error") == NULL;
    if (!settled)
        cr_assert_eq(th_error_code(resp), -32003, "epoch %u: %s", epoch, cJSON_PrintUnformatted(resp));
    cJSON_Delete(resp);
    return settled;
}

/* enclave_getAttestation's allowlisted, and its measurement into measurement (0x-hex). */
static bool enclave_allowlisted(char measurement[67])
{
    cJSON *resp = th_call(&node, "enclave_getAttestation", "{}");
    const cJSON *r = th_result(resp);
    snprintf(measurement, 67, "%s", th_str(r, "measurement"));
    bool allowlisted = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "allowlisted"));
    cJSON_Delete(resp);
    return allowlisted;
}

/* Proposes an enclave allowlist change (kind: "enclaveAllow" or "enclaveRemove") of measurement on
 * the enclave track, passes it with the votes of dev accounts 1 and 2, and moves the clock past its
 * timelock, so it is Queued and can run; returns its id. */
static unsigned pass_enclave_change(const char *kind, const char *measurement)
{
    char payload[160];
    snprintf(payload, sizeof payload, "{\"kind\":\"%s\",\"measurement\":\"%s\"}", kind, measurement);
    unsigned id = th_propose(&node, 0, "enclave", payload);
    th_node_advance(&node, HOUR);
    vote(1, id, 1, 1);
    vote(2, id, 1, 1);
    th_node_advance(&node, 3 * DAY + DAY);
    return id;
}

Test(integration_gov, an_enclave_measurement_removed_by_governance_settles_nothing_until_it_is_added_back)
{
    char measurement[67];
    cr_assert(enclave_allowlisted(measurement), "a new dev chain allowlists the enclave build it runs");
    stake_all();
    unsigned id = pass_enclave_change("enclaveRemove", measurement);
    cr_assert(epoch_settled(96), "every epoch that ended before the removal (the last is 96) is settled");
    cJSON_Delete(th_send_ok(&node, 3, "ProposalExecute", "{\"proposal\":\"%u\"}", id));
    cr_assert_not(enclave_allowlisted(measurement), "the measurement is off the allowlist at once");
    th_node_advance(&node, HOUR);
    cr_assert_not(epoch_settled(97), "the removed enclave settles nothing: epoch 97 waits");

    th_node_stop(&node, SIGTERM);
    th_node_start(&node, true);
    cr_assert_not(enclave_allowlisted(measurement), "a restart of the dev node does not put it back");
    th_node_advance(&node, HOUR);
    cr_assert_not(epoch_settled(97), "epoch 97 still waits");
    cr_assert_not(epoch_settled(98), "and so does epoch 98");

    /* governance adds it back: the enclave that runs settles the waiting epochs, no restart */
    id = pass_enclave_change("enclaveAllow", measurement);
    cr_assert_not(epoch_settled(98), "epoch 98 waits until the measurement is back");
    cJSON_Delete(th_send_ok(&node, 3, "ProposalExecute", "{\"proposal\":\"%u\"}", id));
    cr_assert(enclave_allowlisted(measurement), "the measurement is on the allowlist again");
    th_node_advance(&node, HOUR);
    cr_assert(epoch_settled(97) && epoch_settled(98), "the running enclave settles the epochs that waited");
}
