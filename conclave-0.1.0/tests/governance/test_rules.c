/* SPDX-License-Identifier: MIT */
/* test_rules.c: governance's rules below the engine, on a ledger of their own: the tally rule kept
 * one vote at a time (added and taken off exactly, 2^256 reported), the stateless checks naming the
 * member they refuse, and Delegate/Undelegate applied through a bare gov_apply, with no engine. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include "governance/gov.h"
#include "governance/gov_store.h"
#include "governance/rules.h"
#include "ledger/ledger.h"
#include "ledger/receipt.h"
#include "tests/lib/testhelp.h"

static ledger *l;
static gov_store *s;
static gov_params params;

static void setup(void)
{
    th_open_ledger(&l, "rules");
    cr_assert_eq(gov_store_new(&s, l), ST_OK, "store");
    gov_params_init(&params);
    params.lock_period = 1000;
}

static void teardown(void)
{
    gov_params_clear(&params);
    gov_store_free(s);
    th_close_ledger(l);
}

TestSuite(governance_rules, .init = setup, .fini = teardown);

static const uint8_t alice[20] = { 0xa1 }, bob[20] = { 0xb0 };

static void expect_mpz(const mpz_t v, const char *want, const char *what)
{
    char *got = mpz_get_str(NULL, 10, v);
    cr_assert_str_eq(got, want, "%s: %s, expected %s", what, got, want);
    free(got);
}

Test(governance_rules, a_vote_added_then_taken_off_leaves_the_tallies_as_they_were)
{
    gov_proposal p;
    gov_proposal_init(&p);
    gov_vote v;
    gov_vote_init(&v);
    v.support = 1;
    mpz_set_ui(v.power, 100);
    mpz_set_ui(v.weight, 300);
    mpz_set_ui(v.delegated_power, 7);
    mpz_set_ui(v.delegated_weight, 21);
    cr_assert(gov_tally_add(&p, &v), "a small vote fits");
    expect_mpz(p.for_weight, "321", "for: weight and delegated weight");
    expect_mpz(p.turnout, "107", "turnout: power and delegated power");
    expect_mpz(p.against_weight, "0", "against untouched");
    gov_tally_sub(&p, &v);
    expect_mpz(p.for_weight, "0", "for after the vote came off");
    expect_mpz(p.turnout, "0", "turnout after the vote came off");
    gov_vote_clear(&v);
    gov_proposal_clear(&p);
}

Test(governance_rules, a_tally_reaching_2_256_is_reported)
{
    gov_proposal p;
    gov_proposal_init(&p);
    gov_vote v;
    gov_vote_init(&v);
    v.support = 0;
    mpz_ui_pow_ui(v.weight, 2, 256);
    mpz_sub_ui(v.weight, v.weight, 1);
    cr_assert(gov_tally_add(&p, &v), "2^256 - 1 fits");
    mpz_set_ui(v.weight, 1);
    cr_assert(!gov_tally_add(&p, &v), "one more reaches 2^256");
    gov_vote_clear(&v);
    gov_proposal_clear(&p);
}

Test(governance_rules, the_stateless_checks_name_the_member_they_refuse)
{
    char err[128] = "";
    cr_assert_eq(gov_check_vote(err, sizeof err, 1, 6), ST_OK, "support 1, conviction 6");
    cr_assert_eq(gov_check_vote(err, sizeof err, 3, 0), ST_INVALID, "support 3");
    cr_assert(strstr(err, "message.support"), "named: %s", err);
    cr_assert_eq(gov_check_vote(err, sizeof err, 0, 7), ST_INVALID, "conviction 7");
    cr_assert(strstr(err, "message.conviction"), "named: %s", err);
    cr_assert_eq(gov_check_delegate(err, sizeof err, alice, bob, 2), ST_OK, "to another");
    cr_assert_eq(gov_check_delegate(err, sizeof err, alice, alice, 2), ST_INVALID, "to itself");
    cr_assert(strstr(err, "message.to"), "named: %s", err);
    cr_assert_eq(gov_check_delegate(err, sizeof err, alice, NULL, 2), ST_INVALID, "an unreadable to");
    cr_assert(strstr(err, "message.to"), "named: %s", err);
}

Test(governance_rules, delegation_applies_through_a_bare_context_without_the_engine)
{
    ledger_receipt r = { .events = cJSON_CreateArray() };
    cr_assert_not_null(r.events, "events");
    gov_apply a = { .l = l, .s = s, .params = &params, .height = 1, .time = 5000, .r = &r };
    uint8_t txhash[32] = { 1 };
    cr_assert_eq(ledger_block_begin(l, 1), ST_OK, "begin");
    cr_assert_eq(ledger_tx_begin(l, txhash), ST_OK, "tx begin");
    cr_assert_eq(gov_delegate(&a, alice, bob, 2), ST_OK, "delegate: %s", r.err);
    const cJSON *ev = cJSON_GetArrayItem(r.events, 0);
    cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(ev, "type")->valuestring, "Delegated", "its event");
    gov_delegation d;
    cr_assert_eq(gov_delegation_get(s, alice, &d), ST_OK, "stored");
    cr_assert(memcmp(d.delegate, bob, 20) == 0 && d.conviction == 2, "to bob with conviction 2");
    cr_assert_eq(gov_delegate(&a, alice, bob, 1), ST_CONFLICT, "twice");
    cr_assert(strstr(r.err, "already delegating"), "reason: %s", r.err);
    cr_assert_eq(gov_delegate(&a, bob, alice, 1), ST_CONFLICT, "a chain");
    cr_assert_eq(gov_undelegate(&a, alice), ST_OK, "undelegate: %s", r.err);
    ev = cJSON_GetArrayItem(r.events, 1);
    cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(ev, "type")->valuestring, "Undelegated", "its event");
    cr_assert_null(cJSON_GetObjectItemCaseSensitive(ev, "lockedUntil"), "nothing staked: nothing locked");
    cr_assert_eq(gov_delegation_get(s, alice, &d), ST_NOTFOUND, "gone");
    cr_assert_eq(ledger_tx_end(l, false), ST_OK, "tx end");
    ledger_block_abort(l);
    cJSON_Delete(r.events);
}
