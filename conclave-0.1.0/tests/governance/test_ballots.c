/* SPDX-License-Identifier: MIT */
/* test_ballots.c: polls through the engine with the manual clock, on a small genesis whose numbers
 * are hand-computed: three stakers in one pool (power 1000, 2000, 3000 base units; total 6000), a
 * "poll" track that takes polls (quorum 20%: 1200) and a "plain" one that does not. The poll payload
 * and its refusals, ballots of each system counted exactly (a replaced ballot taken out, a delegate
 * carrying its delegators' conviction weight and a delegator's own ballot overriding it), the
 * running and closing results (Succeeded or Defeated by the quorum, scores stored once), and
 * ballots a system cannot count refused with their reason and no change. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine/engine.h"
#include "engine/governance.h"
#include "governance/ballots.h"
#include "governance/gov_store.h"
#include "ledger/hex.h"
#include "tests/lib/engine_fixture.h"

#define G_TIME 1000000u
#define DELAY 10u
#define PERIOD 100u

static eng *e;

static void setup(void)
{
    char accounts[1024] = "", genesis[4096];
    size_t off = 0;
    for (unsigned i = 0; i < 4; i++)
        off += (size_t)snprintf(accounts + off, sizeof accounts - off, "%s{\"address\":\"%s\",\"balance\":\"1000000\"}",
                                i ? "," : "", th_dev_text(i));
    snprintf(genesis, sizeof genesis,
             "{\"chainId\":4242,\"time\":%u,\"treasury\":\"1000000000\",\"accounts\":[%s],"
             "\"staking\":{\"minContribution\":\"10\",\"minWithdrawal\":\"5\"},"
             "\"governance\":{\"lockPeriodSecs\":1000,\"tracks\":["
             "{\"name\":\"poll\",\"deposit\":\"100\",\"threshold\":\"1\",\"votingDelaySecs\":%u,\"votingPeriodSecs\":%u,"
             "\"enactmentDelaySecs\":10,\"quorumPpm\":200000,\"approvalPpm\":500000,\"payloads\":[\"text\",\"poll\"]},"
             "{\"name\":\"plain\",\"deposit\":\"100\",\"threshold\":\"1\",\"votingDelaySecs\":%u,\"votingPeriodSecs\":%u,"
             "\"enactmentDelaySecs\":10,\"quorumPpm\":200000,\"approvalPpm\":500000,\"payloads\":[\"text\"]}]}}",
             G_TIME, accounts, DELAY, PERIOD, DELAY, PERIOD);
    th_open_engine(&e, "ballots", genesis);
    th_outcome create = { 0 }, o[3] = { 0 };
    th_queue(e, 0, "PoolCreate", &create, "{\"commissionPpm\":\"0\",\"capacity\":\"1000000000\"}");
    th_block(e);
    th_expect_ok(&create, "PoolCreate");
    th_outcome_clear(&create);
    static const char *const stakes[] = { "1000", "2000", "3000" };
    for (unsigned i = 0; i < 3; i++)
        th_queue(e, i, "Contribute", &o[i], "{\"pool\":\"1\",\"amount\":\"%s\"}", stakes[i]);
    th_block(e);
    for (unsigned i = 0; i < 3; i++) {
        th_expect_ok(&o[i], "stake");
        th_outcome_clear(&o[i]);
    }
}

static void teardown(void)
{
    th_close_engine(e);
}

TestSuite(governance_ballots, .init = setup, .fini = teardown);

static const char *hex_of(const char *text)
{
    static char out[2048];
    cr_assert(2 + 2 * strlen(text) < sizeof out, "payload fits");
    ledger_hex_encode(out, (const uint8_t *)text, strlen(text));
    return out;
}

/* A poll of system with choices (a JSON array's inside) on the poll track by dev 0, open for
 * ballots. Returns its id. */
static uint64_t open_poll(const char *system, const char *choices)
{
    char payload[512];
    snprintf(payload, sizeof payload, "{\"kind\":\"poll\",\"system\":\"%s\",\"choices\":[%s]}", system, choices);
    th_outcome o = { 0 };
    th_queue(e, 0, "Propose", &o, "{\"track\":\"poll\",\"title\":\"t\",\"body\":\"b\",\"payload\":\"%s\"}", hex_of(payload));
    th_block(e);
    th_expect_ok(&o, "Propose");
    cJSON *ev = cJSON_Parse(o.events);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(ev, cJSON_GetArraySize(ev) - 1), "proposal");
    cr_assert(cJSON_IsNumber(id), "ProposalCreated in %s", o.events);
    uint64_t n = (uint64_t)id->valuedouble;
    cJSON_Delete(ev);
    th_outcome_clear(&o);
    th_advance(e, DELAY);
    return n;
}

/* The choice text as a JSON string member (quotes escaped). */
static const char *quoted(const char *choice)
{
    static char out[512];
    size_t k = 0;
    for (const char *c = choice; *c && k + 2 < sizeof out; c++) {
        if (*c == '"')
            out[k++] = '\\';
        out[k++] = *c;
    }
    out[k] = 0;
    return out;
}

static void ballot(unsigned who, uint64_t id, const char *choice, unsigned conviction)
{
    th_expect_tx_ok(e, who, "Ballot", "{\"proposal\":\"%llu\",\"choice\":\"%s\",\"conviction\":\"%u\"}",
                    (unsigned long long)id, quoted(choice), conviction);
}

static void ballot_fails(unsigned who, uint64_t id, const char *choice, const char *reason)
{
    th_expect_tx_fails(e, who, "Ballot", reason, "{\"proposal\":\"%llu\",\"choice\":\"%s\",\"conviction\":\"1\"}",
                       (unsigned long long)id, quoted(choice));
}

/* The poll's results are exactly scores (space-separated), power and ballots; counted: counted at
 * the close. */
static void expect_results(uint64_t id, const char *scores, const char *power, uint64_t ballots, bool counted)
{
    gov_store *s;
    cr_assert_eq(gov_store_new(&s, eng_ledger(e)), ST_OK, "store");
    gov_poll_results r;
    gov_poll_results_init(&r);
    cr_assert_eq(gov_poll_results_get(s, id, &r), ST_OK, "results of %llu", (unsigned long long)id);
    char got[1024] = "";
    size_t off = 0;
    for (unsigned i = 0; i < r.n; i++) {
        off += (size_t)snprintf(got + off, sizeof got - off, "%s", i ? " " : "");
        mpz_get_str(got + off, 10, r.scores[i]);
        off += strlen(got + off);
    }
    cr_assert_str_eq(got, scores, "scores of poll %llu", (unsigned long long)id);
    th_expect_mpz(r.power, power, "power of the ballots");
    cr_assert_eq(r.ballots, ballots, "ballots: %llu", (unsigned long long)r.ballots);
    cr_assert_eq(r.counted, counted, "counted at the close: %d", r.counted);
    gov_poll_results_clear(&r);
    gov_store_free(s);
}

static void expect_turnout_and_state(uint64_t id, const char *turnout, gov_state st)
{
    gov_store *s;
    cr_assert_eq(gov_store_new(&s, eng_ledger(e)), ST_OK, "store");
    gov_proposal p;
    gov_proposal_init(&p);
    cr_assert_eq(gov_proposal_get(s, id, &p), ST_OK, "proposal");
    th_expect_mpz(p.turnout, turnout, "turnout");
    th_expect_mpz(p.for_weight, "0", "a poll keeps no for tally");
    th_expect_mpz(p.against_weight, "0", "a poll keeps no against tally");
    cr_assert_eq(p.state, st, "state %s, expected %s", gov_state_name(p.state), gov_state_name(st));
    gov_proposal_clear(&p);
    gov_store_free(s);
}

static int winner_of(uint64_t id)
{
    gov_store *s;
    cr_assert_eq(gov_store_new(&s, eng_ledger(e)), ST_OK, "store");
    gov_poll_results r;
    gov_poll_results_init(&r);
    cr_assert_eq(gov_poll_results_get(s, id, &r), ST_OK, "results");
    int w = gov_poll_results_winner(&r);
    gov_poll_results_clear(&r);
    gov_store_free(s);
    return w;
}

Test(governance_ballots, a_poll_payload_is_checked_and_only_a_track_that_takes_polls_takes_it)
{
    static const struct { const char *track, *payload, *reason; } bad[] = {
        { "plain", "{\"kind\":\"poll\",\"system\":\"approval\",\"choices\":[\"a\",\"b\"]}", "track plain does not take poll payloads" },
        { "poll", "{\"kind\":\"poll\",\"system\":\"borda\",\"choices\":[\"a\",\"b\"]}", "payload.system" },
        { "poll", "{\"kind\":\"poll\",\"system\":\"approval\",\"choices\":[\"a\"]}", "payload.choices: an array of 2 to 32 strings" },
        { "poll", "{\"kind\":\"poll\",\"system\":\"approval\",\"choices\":[\"a\",\"\"]}", "payload.choices[1]: a string of 1 to 64" },
        { "poll", "{\"kind\":\"poll\",\"system\":\"approval\",\"choices\":[\"a\",2]}", "payload.choices[1]" },
        { "poll", "{\"kind\":\"poll\",\"system\":\"basic\",\"choices\":[\"Yes\",\"No\",\"Abstain\"]}", "basic poll's choices are exactly" },
        { "poll", "{\"kind\":\"poll\",\"system\":\"approval\"}", "payload.choices" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        th_outcome o = { 0 };
        int rc = th_submit(e, 0, "Propose", &o, "{\"track\":\"%s\",\"title\":\"t\",\"body\":\"b\",\"payload\":\"%s\"}",
                           bad[i].track, hex_of(bad[i].payload));
        cr_assert_eq(rc, ST_INVALID, "payload %zu refused at submit", i);
        cr_assert(strstr(th_last_err(), bad[i].reason), "payload %zu: %s", i, th_last_err());
        th_outcome_clear(&o);
    }
    char many[512] = "";
    for (unsigned i = 0; i < 33; i++)
        strcat(many, i ? ",\"c\"" : "\"c\"");
    char payload[600];
    snprintf(payload, sizeof payload, "{\"kind\":\"poll\",\"system\":\"approval\",\"choices\":[%s]}", many);
    th_outcome o = { 0 };
    cr_assert_eq(th_submit(e, 0, "Propose", &o, "{\"track\":\"poll\",\"title\":\"t\",\"body\":\"b\",\"payload\":\"%s\"}", hex_of(payload)),
                 ST_INVALID, "33 choices refused");
    th_outcome_clear(&o);
    uint64_t id = open_poll("basic", "\"For\",\"Against\",\"Abstain\"");
    expect_results(id, "0 0 0", "0", 0, false);
}

Test(governance_ballots, single_choice_ballots_count_their_conviction_weight_and_a_later_ballot_replaces_the_earlier)
{
    uint64_t id = open_poll("single-choice", "\"a\",\"b\",\"c\"");
    ballot(0, id, "2", 1);          /* 1000 */
    ballot(1, id, "1", 2);          /* 4000 */
    ballot(2, id, "2", 0);          /* 300: conviction 0 is a tenth */
    expect_results(id, "4000 1300 0", "5300", 3, false);
    expect_turnout_and_state(id, "6000", GOV_ACTIVE);
    ballot(0, id, "3", 3);          /* replaced: its 1000 leaves choice 2, 3000 goes to choice 3 */
    expect_results(id, "4000 300 3000", "7300", 3, false);
    expect_turnout_and_state(id, "6000", GOV_ACTIVE);
    th_advance(e, PERIOD);
    expect_turnout_and_state(id, "6000", GOV_SUCCEEDED);
    expect_results(id, "4000 300 3000", "7300", 3, true);
    cr_assert_eq(winner_of(id), 0, "choice 1 wins");
    uint8_t addr[20];
    th_dev_bytes(addr, 0);
    th_expect_balance(e, ledger_user_account(LEDGER_ESCROW, addr), "0", "the deposit is returned");
    th_expect_tx_fails(e, 1, "Ballot", "is Succeeded", "{\"proposal\":\"%llu\",\"choice\":\"1\",\"conviction\":\"1\"}",
                       (unsigned long long)id);
    expect_results(id, "4000 300 3000", "7300", 3, true);
}

Test(governance_ballots, a_delegate_carries_its_delegators_weight_and_a_delegators_own_ballot_overrides_it)
{
    th_expect_tx_ok(e, 1, "Delegate", "{\"to\":\"%s\",\"conviction\":\"2\"}", th_dev_text(0));   /* 2000 at 2x */
    th_expect_tx_ok(e, 2, "Delegate", "{\"to\":\"%s\",\"conviction\":\"0\"}", th_dev_text(0));   /* 3000 at 0.1x */
    uint64_t id = open_poll("approval", "\"a\",\"b\",\"c\"");
    ballot(0, id, "[1,3]", 1);      /* 1000 own + 4000 + 300 carried */
    expect_results(id, "5300 0 5300", "5300", 1, false);
    ballot(1, id, "[2]", 1);        /* dev 1's 4000 leaves dev 0's ballot; its own counts 2000 */
    expect_results(id, "1300 2000 1300", "3300", 2, false);
    expect_turnout_and_state(id, "6000", GOV_ACTIVE);
    ballot(0, id, "[]", 1);         /* approves none: counted in the power, in no score */
    expect_results(id, "0 2000 0", "3300", 2, false);
    ballot(1, id, "[1,2,3]", 1);    /* a changed direct ballot does not override twice */
    expect_results(id, "2000 2000 2000", "3300", 2, false);
    expect_turnout_and_state(id, "6000", GOV_ACTIVE);
}

Test(governance_ballots, ranked_choice_eliminates_the_weakest_and_stops_at_two_with_the_tie_to_the_lowest_numbered)
{
    uint64_t id = open_poll("ranked-choice", "\"a\",\"b\",\"c\"");
    ballot(0, id, "[1,2,3]", 1);
    ballot(1, id, "[2,1,3]", 1);
    ballot(2, id, "[3,1,2]", 1);
    /* round 1: 1000 2000 3000, none above half of 6000: choice 1 leaves, its 1000 goes to 2 */
    expect_results(id, "0 3000 3000", "6000", 3, false);
    th_advance(e, PERIOD);
    expect_results(id, "0 3000 3000", "6000", 3, true);
    cr_assert_eq(winner_of(id), 1, "of equal scores the lowest-numbered, choice 2, wins");
    expect_turnout_and_state(id, "6000", GOV_SUCCEEDED);
}

Test(governance_ballots, weighted_quadratic_and_copeland_are_counted_exactly)
{
    uint64_t w = open_poll("weighted", "\"a\",\"b\"");
    uint64_t q = open_poll("quadratic", "\"a\",\"b\"");
    uint64_t c = open_poll("copeland", "\"a\",\"b\",\"c\"");
    ballot(0, w, "{\"1\":1,\"2\":3}", 1);     /* floor(1000/4), floor(3000/4) */
    ballot(1, w, "{\"2\":0.5}", 1);
    expect_results(w, "250 2750", "3000", 2, false);
    ballot(0, q, "{\"1\":1}", 1);
    ballot(1, q, "{\"2\":1}", 1);
    ballot(2, q, "{\"1\":1,\"2\":3}", 1);
    /* roots floor(sqrt(b w_i 10^36 / W)) summed per choice, squared, shared out over T = 6000 */
    expect_results(q, "1744 4255", "6000", 3, false);
    ballot(0, c, "[1,2,3]", 1);
    ballot(1, c, "[2,3,1]", 1);
    ballot(2, c, "[3,1,2]", 1);
    /* 1 beats 2 (4000:2000), 3 beats 1 (5000:1000), 2 ties 3 (3000:3000): points 2, 1, 3 plus
     * support 5000, 5000, 8000 over 4 x 6000, shared out over 6000 */
    expect_results(c, "1962 1074 2962", "6000", 3, false);
    cr_assert_eq(winner_of(c), 2, "choice 3 wins the copeland poll");
}

Test(governance_ballots, a_poll_without_its_quorum_is_defeated_with_its_scores)
{
    uint64_t id = open_poll("single-choice", "\"a\",\"b\"");
    ballot(0, id, "1", 6);          /* turnout 1000 < 1200, whatever its conviction */
    th_advance(e, PERIOD);
    expect_turnout_and_state(id, "1000", GOV_DEFEATED);
    expect_results(id, "6000 0", "6000", 1, true);
    uint64_t none = open_poll("approval", "\"a\",\"b\"");
    th_advance(e, PERIOD);
    expect_turnout_and_state(none, "0", GOV_DEFEATED);
    expect_results(none, "0 0", "0", 0, true);
    cr_assert_eq(winner_of(none), -1, "no ballot, no winner");
}

Test(governance_ballots, a_ballot_its_system_cannot_count_is_refused_and_changes_nothing)
{
    uint64_t single = open_poll("single-choice", "\"a\",\"b\",\"c\"");
    uint64_t approval = open_poll("approval", "\"a\",\"b\",\"c\"");
    uint64_t ranked = open_poll("ranked-choice", "\"a\",\"b\",\"c\"");
    uint64_t weighted = open_poll("weighted", "\"a\",\"b\",\"c\"");
    ballot(0, single, "1", 1);
    ballot(0, ranked, "[3,2,1]", 1);
    ballot_fails(0, single, "4", "choice: choice 4 is not one of the 3 choices");
    ballot_fails(0, single, "[1]", "choice: a single-choice ballot is a choice number such as 2");
    ballot_fails(0, single, "2.0", "choice: a single-choice ballot is a choice number");
    ballot_fails(1, approval, "[1,1]", "choice: choice 1 appears twice");
    ballot_fails(1, ranked, "[1,2]", "choice: a ranking lists all 3 choices, this one 2");
    ballot_fails(0, ranked, "[1,2,2]", "choice: choice 2 appears twice");
    ballot_fails(1, weighted, "{\"1\":0}", "choice: give at least one choice a weight above 0");
    ballot_fails(1, weighted, "{\"1\":1,\"1\":2}", "appears twice");
    ballot_fails(1, weighted, "{\"4\":1}", "choice: choice 4 is not one of the 3 choices");
    ballot_fails(3, single, "1", "no voting power");
    expect_results(single, "1000 0 0", "1000", 1, false);
    expect_results(approval, "0 0 0", "0", 0, false);
    expect_results(ranked, "0 0 1000", "1000", 1, false);
    expect_results(weighted, "0 0 0", "0", 0, false);
    expect_turnout_and_state(single, "1000", GOV_ACTIVE);
    /* a poll takes only ballots, and another proposal only votes */
    th_expect_tx_fails(e, 1, "Vote", "is a poll: cast a Ballot", "{\"proposal\":\"%llu\",\"support\":\"1\",\"conviction\":\"1\"}",
                       (unsigned long long)single);
    th_outcome o = { 0 };
    th_queue(e, 0, "Propose", &o, "{\"track\":\"plain\",\"title\":\"t\",\"body\":\"b\",\"payload\":\"0x\"}");
    th_block(e);
    th_expect_ok(&o, "a text proposal");
    th_outcome_clear(&o);
    th_advance(e, DELAY);
    ballot_fails(1, 5, "1", "proposal 5 is not a poll: cast a Vote");
    ballot_fails(1, 99, "1", "no proposal 99");
    /* stateless: an empty choice or conviction 7 never reaches a block */
    cr_assert_eq(th_submit(e, 1, "Ballot", &o, "{\"proposal\":\"1\",\"choice\":\"\",\"conviction\":\"1\"}"), ST_INVALID, "empty");
    cr_assert(strstr(th_last_err(), "message.choice: 1 to 2048 bytes"), "%s", th_last_err());
    th_outcome_clear(&o);
    cr_assert_eq(th_submit(e, 1, "Ballot", &o, "{\"proposal\":\"1\",\"choice\":\"1\",\"conviction\":\"7\"}"), ST_INVALID, "conv");
    cr_assert(strstr(th_last_err(), "message.conviction: 0 to 6"), "%s", th_last_err());
    th_outcome_clear(&o);
    expect_results(single, "1000 0 0", "1000", 1, false);
}

Test(governance_ballots, an_override_retallies_the_delegates_ranked_and_copeland_ballots)
{
    th_expect_tx_ok(e, 1, "Delegate", "{\"to\":\"%s\",\"conviction\":\"2\"}", th_dev_text(0));   /* 2000 at 2x */
    uint64_t ranked = open_poll("ranked-choice", "\"a\",\"b\",\"c\"");
    uint64_t copeland = open_poll("copeland", "\"a\",\"b\",\"c\"");
    ballot(0, ranked, "[1,2,3]", 1);    /* 1000 own + 4000 carried */
    ballot(2, ranked, "[3,1,2]", 1);
    expect_results(ranked, "5000 0 3000", "8000", 2, false);   /* 5000 of 8000 wins the first round */
    ballot(1, ranked, "[2,3,1]", 1);    /* dev 1's 4000 leaves dev 0's ballot, its own 2000 counts */
    /* 1000, 2000, 3000 of 6000: choice 1 leaves, its 1000 goes to 2: 3000 and 3000 */
    expect_results(ranked, "0 3000 3000", "6000", 3, false);
    ballot(0, copeland, "[1,2,3]", 1);
    ballot(2, copeland, "[3,1,2]", 1);
    ballot(1, copeland, "[2,3,1]", 1);
    /* the pair sums lost dev 1's 4000 with dev 0's ranking: as the cycle counted without delegation */
    expect_results(copeland, "1962 1074 2962", "6000", 3, false);
    expect_turnout_and_state(copeland, "6000", GOV_ACTIVE);
    th_advance(e, PERIOD);
    expect_results(ranked, "0 3000 3000", "6000", 3, true);
    expect_results(copeland, "1962 1074 2962", "6000", 3, true);
}
