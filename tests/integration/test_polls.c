/* SPDX-License-Identifier: MIT */
/* test_polls.c: polls on a real conclaved --dev through JSON-RPC with the manual clock: a poll of
 * each of Snapshot's seven systems on the dev chain's signal track, ballots from several dev
 * accounts (a replaced ballot, a delegate carrying its delegator's power and that delegator's own
 * ballot overriding it), gov_getResults while open and after the close against scores computed by
 * hand in base units, the states the close leaves (Succeeded by the quorum, Defeated without it),
 * ballots the system cannot count refused with their reason and no change, and an address's votes
 * (gov_listVotesBy) showing a ballot by its choice beside a vote by its side.
 * Stakes: devs 1, 2, 3, 4 hold 100, 200, 300, 400 tokens in pool 1 (total power 1000: the signal
 * track's 10% quorum is 100); dev 4 delegates to dev 1 with conviction 1, so dev 1's ballot at
 * conviction 1 weighs 100 + 400 = 500, dev 2's 200 and dev 3's at conviction 2 weighs 600. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/lib/node.h"
#include "tests/lib/testhelp.h"

#define TOKEN "000000000000000000"
#define HOUR 3600
#define DAY 86400

static th_node *const node = &th_suite_node;

TestSuite(integration_polls, .init = th_suite_node_start, .fini = th_suite_node_stop, .timeout = 120);

static void stake_and_delegate(void)
{
    static const char *const stakes[] = { "100", "200", "300", "400" };
    th_stake(node, 1, stakes, 4);
    th_send_done(node, 4, "Delegate", "{\"to\":\"%s\",\"conviction\":\"1\"}", th_addr(1));
}

/* A poll of system with choices (the inside of a JSON array) by dev 1 on the signal track. */
static unsigned propose_poll(const char *system, const char *choices)
{
    char payload[512];
    snprintf(payload, sizeof payload, "{\"kind\":\"poll\",\"system\":\"%s\",\"choices\":[%s]}", system, choices);
    return th_propose(node, 1, "signal", payload);
}

/* The choice as the inside of a JSON string. */
static const char *escaped(const char *choice)
{
    static char out[256];
    size_t k = 0;
    for (; *choice && k + 2 < sizeof out; choice++) {
        if (*choice == '"')
            out[k++] = '\\';
        out[k++] = *choice;
    }
    out[k] = 0;
    return out;
}

static void ballot(unsigned who, unsigned id, const char *choice, unsigned conviction)
{
    cJSON *events = th_send_ok(node, who, "Ballot", "{\"proposal\":\"%u\",\"choice\":\"%s\",\"conviction\":\"%u\"}", id,
                               escaped(choice), conviction);
    const cJSON *ev = cJSON_GetArrayItem(events, 0);
    cr_assert(strncmp(th_str(ev, "type"), "Ballot", 6) == 0, "a Ballot event: %s", cJSON_PrintUnformatted(events));
    cr_assert_str_eq(th_str(ev, "choice"), choice, "the event carries the choice text");
    cJSON_Delete(events);
}

static void ballot_refused(unsigned who, unsigned id, const char *choice, const char *reason)
{
    cJSON *resp = th_send(node, who, "Ballot", "{\"proposal\":\"%u\",\"choice\":\"%s\",\"conviction\":\"1\"}", id, escaped(choice));
    const cJSON *r = th_result(resp);
    cr_assert_str_eq(th_str(r, "status"), "failed", "refused: %s", cJSON_PrintUnformatted(resp));
    cr_assert(strstr(th_str(r, "error"), reason), "reason \"%s\" in %s", reason, th_str(r, "error"));
    cJSON_Delete(resp);
}

/* gov_getResults of id: its scores (space-separated base units), scoresTotal, ballots, state,
 * winner (0: null) and whether final. */
static void expect_results(unsigned id, const char *scores, const char *total, unsigned ballots, const char *state,
                           unsigned winner, bool final)
{
    cJSON *resp = th_callf(node, "gov_getResults", "{\"id\":%u}", id);
    const cJSON *r = th_result(resp);
    char *text = cJSON_PrintUnformatted(r);
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(r, "scores"), *item;
    char got[1024] = "";
    cJSON_ArrayForEach(item, s) {
        cr_assert(cJSON_IsString(item), "scores are decimal strings: %s", text);
        if (*got)
            strcat(got, " ");
        strcat(got, item->valuestring);
    }
    cr_assert_str_eq(got, scores, "scores of poll %u: %s", id, text);
    cr_assert_eq(th_count(r, "choices"), th_count(r, "scores"), "a score per choice: %s", text);
    cr_assert_str_eq(th_str(r, "scoresTotal"), total, "scoresTotal of poll %u", id);
    cr_assert_eq(th_num(r, "validVotes"), ballots, "validVotes of poll %u: %s", id, text);
    cr_assert_eq(th_num(r, "totalVotes"), ballots, "totalVotes of poll %u", id);
    cr_assert_str_eq(th_str(r, "state"), state, "state of poll %u", id);
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(r, "winner");
    cr_assert(winner ? cJSON_IsNumber(w) && w->valuedouble == winner : cJSON_IsNull(w), "winner of poll %u: %s", id, text);
    cr_assert_eq(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "final")), final, "final of poll %u", id);
    cJSON_free(text);
    cJSON_Delete(resp);
}

Test(integration_polls, a_poll_of_each_system_counts_its_ballots_exactly_and_publishes_its_scores_at_the_close)
{
    stake_and_delegate();
    unsigned single = propose_poll("single-choice", "\"A\",\"B\",\"C\"");
    unsigned basic = propose_poll("basic", "\"For\",\"Against\",\"Abstain\"");
    unsigned approval = propose_poll("approval", "\"A\",\"B\",\"C\"");
    unsigned ranked = propose_poll("ranked-choice", "\"A\",\"B\",\"C\"");
    unsigned weighted = propose_poll("weighted", "\"A\",\"B\",\"C\"");
    unsigned quadratic = propose_poll("quadratic", "\"A\",\"B\",\"C\"");
    unsigned copeland = propose_poll("copeland", "\"A\",\"B\",\"C\"");
    unsigned unvoted = propose_poll("approval", "\"A\",\"B\"");
    unsigned canceled = propose_poll("weighted", "\"A\",\"B\"");
    th_send_done(node, 1, "ProposalCancel", "{\"proposal\":\"%u\"}", canceled);
    expect_results(canceled, "0 0", "0", 0, "Canceled", 0, true);
    th_node_advance(node, HOUR);

    ballot(1, single, "1", 1);
    ballot(2, single, "2", 1);
    ballot(3, single, "2", 2);
    ballot(2, single, "3", 1);          /* replaced: dev 2's 200 leaves B for C */
    expect_results(single, "500" TOKEN " 600" TOKEN " 200" TOKEN, "1300" TOKEN, 3, "Active", 2, false);

    ballot(1, basic, "1", 1);
    ballot(2, basic, "2", 1);
    ballot(3, basic, "3", 2);

    ballot(1, approval, "[1,2]", 1);
    ballot(2, approval, "[]", 1);       /* approves none: in the power, in no score */
    ballot(3, approval, "[3,2]", 2);
    expect_results(approval, "500" TOKEN " 1100" TOKEN " 600" TOKEN, "1300" TOKEN, 3, "Active", 2, false);
    ballot(4, approval, "[3]", 1);      /* dev 4 overrides its delegation: its 400 leaves dev 1's ballot */
    expect_results(approval, "100" TOKEN " 700" TOKEN " 1000" TOKEN, "1300" TOKEN, 4, "Active", 3, false);

    /* round 1: 500, 200, 600 of 1300, none above half: B leaves, its 200 goes to C: 800 > 650 */
    ballot(1, ranked, "[1,2,3]", 1);
    ballot(2, ranked, "[2,3,1]", 1);
    ballot(3, ranked, "[3,2,1]", 2);
    expect_results(ranked, "500" TOKEN " 0 800" TOKEN, "1300" TOKEN, 3, "Active", 3, false);

    /* each part floored: dev 2's 200 tokens in thirds leave 2 base units out */
    ballot(1, weighted, "{\"1\":1,\"2\":1}", 1);
    ballot(2, weighted, "{\"1\":1,\"2\":1,\"3\":1}", 1);
    ballot(3, weighted, "{\"1\":1,\"2\":2}", 2);

    ballot(1, quadratic, "{\"1\":1}", 1);
    ballot(2, quadratic, "{\"2\":1}", 1);
    ballot(3, quadratic, "{\"1\":1,\"3\":1}", 2);

    /* a cycle: A beats B 1100:200, B beats C 700:600, C beats A 800:500; 2 points each, so the
     * average support decides */
    ballot(1, copeland, "[1,2,3]", 1);
    ballot(2, copeland, "[2,3,1]", 1);
    ballot(3, copeland, "[3,1,2]", 2);

    th_node_advance(node, 3 * DAY);
    expect_results(single, "500" TOKEN " 600" TOKEN " 200" TOKEN, "1300" TOKEN, 3, "Succeeded", 2, true);
    expect_results(basic, "500" TOKEN " 200" TOKEN " 600" TOKEN, "1300" TOKEN, 3, "Succeeded", 3, true);
    expect_results(approval, "100" TOKEN " 700" TOKEN " 1000" TOKEN, "1300" TOKEN, 4, "Succeeded", 3, true);
    expect_results(ranked, "500" TOKEN " 0 800" TOKEN, "1300" TOKEN, 3, "Succeeded", 3, true);
    expect_results(weighted, "516666666666666666666 716666666666666666666 66666666666666666666", "1300" TOKEN, 3,
                   "Succeeded", 2, true);
    expect_results(quadratic, "986686087162352472544 125325565135059010982 187988347702588516473", "1300" TOKEN, 3,
                   "Succeeded", 1, true);
    expect_results(copeland, "444444444444444444444 418518518518518518518 437037037037037037037", "1300" TOKEN, 3,
                   "Succeeded", 1, true);
    expect_results(unvoted, "0 0", "0", 0, "Defeated", 0, true);
    cJSON *resp = th_callf(node, "gov_getProposal", "{\"id\":%u}", unvoted);
    cr_assert_str_eq(th_str(th_result(resp), "reason"), "quorum not reached", "the unvoted poll missed its quorum");
    cJSON_Delete(resp);
    /* closed: a ballot now changes nothing */
    ballot_refused(2, single, "1", "votes are taken only while it is Active");
    expect_results(single, "500" TOKEN " 600" TOKEN " 200" TOKEN, "1300" TOKEN, 3, "Succeeded", 2, true);
}

Test(integration_polls, ballots_a_system_cannot_count_are_refused_with_their_reason_and_change_nothing)
{
    stake_and_delegate();
    unsigned single = propose_poll("single-choice", "\"A\",\"B\",\"C\"");
    unsigned ranked = propose_poll("ranked-choice", "\"A\",\"B\",\"C\"");
    unsigned weighted = propose_poll("weighted", "\"A\",\"B\"");
    unsigned text = 0;
    {
        cJSON *events = th_send_ok(node, 1, "Propose", "{\"track\":\"signal\",\"title\":\"Text\",\"body\":\"\",\"payload\":\"0x\"}");
        text = (unsigned)th_num(cJSON_GetArrayItem(events, cJSON_GetArraySize(events) - 1), "proposal");
        cJSON_Delete(events);
    }
    th_node_advance(node, HOUR);
    ballot(2, single, "2", 1);
    ballot(2, ranked, "[1,2,3]", 1);
    ballot_refused(3, single, "0", "choice: choice 0 is not one of the 3 choices");
    ballot_refused(3, single, "\"2\"", "choice: a single-choice ballot is a choice number such as 2");
    ballot_refused(2, ranked, "[1,2]", "choice: a ranking lists all 3 choices, this one 2");
    ballot_refused(2, ranked, "[3,3,1]", "choice: choice 3 appears twice");
    ballot_refused(3, weighted, "{\"1\":0,\"2\":0}", "choice: give at least one choice a weight above 0");
    ballot_refused(3, weighted, "{\"1\":1e2}", "choice: a weighted ballot is an object of weights");
    ballot_refused(3, text, "1", "is not a poll: cast a Vote");
    ballot_refused(5, single, "1", "no voting power");
    cJSON *resp = th_send(node, 3, "Vote", "{\"proposal\":\"%u\",\"support\":\"1\",\"conviction\":\"1\"}", single);
    cr_assert(strstr(th_str(th_result(resp), "error"), "is a poll: cast a Ballot"), "a Vote on a poll is refused");
    cJSON_Delete(resp);
    /* dev 2's ballots stand as they were; the refused ones left no trace */
    expect_results(single, "0 200" TOKEN " 0", "200" TOKEN, 1, "Active", 2, false);
    expect_results(ranked, "200" TOKEN " 0 0", "200" TOKEN, 1, "Active", 1, false);
    expect_results(weighted, "0 0", "0", 0, "Active", 0, false);
    resp = th_callf(node, "gov_getVote", "{\"id\":%u,\"voter\":\"%s\"}", single, th_addr(2));
    cr_assert_str_eq(th_str(th_result(resp), "choice"), "2", "the ballot's choice text is kept");
    cJSON_Delete(resp);
    resp = th_callf(node, "gov_getResults", "{\"id\":%u}", text);
    cr_assert_eq(th_error_code(resp), -32602, "a text proposal has no results");
    cJSON_Delete(resp);
    resp = th_callf(node, "gov_getResults", "{\"id\":99}");
    cr_assert_eq(th_error_code(resp), -32003, "no proposal 99");
    cJSON_Delete(resp);
    /* at submit: an empty choice and conviction 7 never reach a block */
    resp = th_send(node, 2, "Ballot", "{\"proposal\":\"%u\",\"choice\":\"\",\"conviction\":\"1\"}", single);
    cr_assert_eq(th_error_code(resp), -32602, "an empty choice is bad params");
    cJSON_Delete(resp);
    resp = th_send(node, 2, "Ballot", "{\"proposal\":\"%u\",\"choice\":\"1\",\"conviction\":\"7\"}", single);
    cr_assert_eq(th_error_code(resp), -32602, "conviction 7 is bad params");
    cJSON_Delete(resp);
    expect_results(single, "0 200" TOKEN " 0", "200" TOKEN, 1, "Active", 2, false);
}

Test(integration_polls, an_address_s_votes_list_a_ballot_by_its_choice_and_a_vote_by_its_side)
{
    stake_and_delegate();
    unsigned poll = propose_poll("approval", "\"A\",\"B\",\"C\"");
    cJSON *events = th_send_ok(node, 3, "Propose", "{\"track\":\"treasury\",\"title\":\"T\",\"body\":\"B\",\"payload\":\"0x\"}");
    unsigned text = (unsigned)th_num(cJSON_GetArrayItem(events, cJSON_GetArraySize(events) - 1), "proposal");
    cJSON_Delete(events);
    th_node_advance(node, HOUR);
    ballot(2, poll, "[1,3]", 1);
    th_send_done(node, 2, "Vote", "{\"proposal\":\"%u\",\"support\":\"1\",\"conviction\":\"1\"}", text);
    cJSON *resp = th_callf(node, "gov_listVotesBy", "{\"voter\":\"%s\"}", th_addr(2));
    const cJSON *votes = cJSON_GetObjectItemCaseSensitive(th_result(resp), "votes");
    cr_assert_eq(cJSON_GetArraySize(votes), 2, "a ballot and a vote: %s", cJSON_PrintUnformatted(votes));
    const cJSON *vote = cJSON_GetArrayItem(votes, 0), *cast = cJSON_GetArrayItem(votes, 1);
    cr_assert_eq(th_num(vote, "proposal"), text, "the newer proposal first");
    cr_assert_str_eq(th_str(vote, "support"), "for", "the vote by its side");
    cr_assert_null(cJSON_GetObjectItemCaseSensitive(vote, "choice"), "a vote has no choice");
    cr_assert_eq(th_num(cast, "proposal"), poll, "then the poll");
    cr_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(cast, "support")), "a ballot takes no side, not \"against\": %s",
              cJSON_PrintUnformatted(cast));
    cr_assert_str_eq(th_str(cast, "choice"), "[1,3]", "the ballot by its choice");
    /* the same rows as gov_getVote shows them */
    cJSON *one = th_callf(node, "gov_getVote", "{\"id\":%u,\"voter\":\"%s\"}", poll, th_addr(2));
    char *listed = cJSON_PrintUnformatted(cast), *single = cJSON_PrintUnformatted(th_result(one));
    cr_assert_str_eq(listed, single, "gov_listVotesBy and gov_getVote agree");
    cJSON_free(listed);
    cJSON_free(single);
    cJSON_Delete(one);
    cJSON_Delete(resp);
}
