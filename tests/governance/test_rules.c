/* SPDX-License-Identifier: MIT */
/* test_rules.c: governance's rules below the engine, on a ledger of their own: the tally rule kept
 * one vote at a time (added and taken off exactly, 2^256 reported), the store keeping a block's
 * proposals and its last poll kind in memory exactly across savepoints, the stateless checks naming
 * the member they refuse, Delegate/Undelegate applied through a bare gov_apply, with no engine, and
 * a delegate's power summed over more delegators than a page. */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include "governance/gov.h"
#include "governance/gov_store.h"
#include "governance/rules.h"
#include "ledger/hash.h"
#include "ledger/ledger.h"
#include "ledger/receipt.h"
#include "ledger/sqlstore.h"
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

/* Commits the open block as height (an empty block row after the one before). */
static void commit_block(uint64_t height)
{
    ledger_block b = { .height = height, .time = 1000 + height }, parent;
    if (height > 0) {
        cr_assert_eq(ledger_block_get(l, height - 1, &parent), ST_OK, "parent");
        memcpy(b.parent, parent.hash, 32);
    }
    ledger_block_hash(&b);
    cr_assert_eq(ledger_block_put(l, &b), ST_OK, "block");
    cr_assert_eq(ledger_block_commit(l), ST_OK, "commit");
}

/* Opens transaction n of the open block. */
static void tx(uint8_t n)
{
    uint8_t h[32] = { 0x70, n };
    cr_assert_eq(ledger_tx_begin(l, h), ST_OK, "tx %u", n);
}

static uint64_t insert_proposal(const char *title)
{
    gov_proposal p;
    gov_proposal_init(&p);
    p.track = strdup("root");
    p.title = strdup(title);
    p.body = strdup("");
    p.payload = strdup("");
    p.state = GOV_ACTIVE;
    mpz_set_ui(p.total_power, 1000);
    cr_assert_eq(gov_proposal_insert(s, &p), ST_OK, "insert %s", title);
    uint64_t id = p.id;
    gov_proposal_clear(&p);
    return id;
}

/* Reads proposal id and checks its title and for-weight, and that its tally alone
 * (gov_proposal_tally_get) reads the same tally, state and track. */
static void expect_proposal(uint64_t id, const char *title, const char *for_weight, const char *what)
{
    gov_proposal p, t;
    gov_proposal_init(&p);
    gov_proposal_init(&t);
    cr_assert_eq(gov_proposal_get(s, id, &p), ST_OK, "%s: proposal %llu read", what, (unsigned long long)id);
    cr_assert_str_eq(p.title, title, "%s: title", what);
    expect_mpz(p.for_weight, for_weight, what);
    cr_assert_eq(gov_proposal_tally_get(s, id, &t), ST_OK, "%s: tally of %llu read", what, (unsigned long long)id);
    cr_assert(t.id == id && t.state == p.state && strcmp(t.track, p.track) == 0, "%s: the tally's proposal", what);
    cr_assert(mpz_cmp(t.for_weight, p.for_weight) == 0 && mpz_cmp(t.against_weight, p.against_weight) == 0
                  && mpz_cmp(t.abstain_weight, p.abstain_weight) == 0 && mpz_cmp(t.turnout, p.turnout) == 0
                  && mpz_cmp(t.total_power, p.total_power) == 0,
              "%s: the tally alone reads what the whole proposal holds", what);
    gov_proposal_clear(&t);
    gov_proposal_clear(&p);
}

/* Reads proposal id, sets its for-weight (and state, next_change when state >= 0) and updates it. */
static void update_proposal(uint64_t id, unsigned long for_weight, int state, uint64_t next_change)
{
    gov_proposal p;
    gov_proposal_init(&p);
    cr_assert_eq(gov_proposal_get(s, id, &p), ST_OK, "proposal %llu read", (unsigned long long)id);
    mpz_set_ui(p.for_weight, for_weight);
    /* the other weights differ from it and from each other, so a column read for another shows */
    mpz_set_ui(p.against_weight, 2 * for_weight + 1);
    mpz_set_ui(p.abstain_weight, 3 * for_weight + 2);
    mpz_set_ui(p.turnout, 6 * for_weight + 3);
    if (state >= 0) {
        p.state = (gov_state)state;
        p.has_next_change = true;
        p.next_change = next_change;
    }
    cr_assert_eq(gov_proposal_update(s, &p), ST_OK, "proposal %llu updated", (unsigned long long)id);
    gov_proposal_clear(&p);
}

/* for_weight of proposal id as the database file holds it (committed), on a connection of its own. */
static char *stored_for_weight(uint64_t id)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_open(th_ledger_path(), &db), SQLITE_OK, "open for reading");
    cr_assert_eq(sqlite3_prepare_v2(db, "SELECT for_weight FROM proposals WHERE id = ?1", -1, &st, NULL), SQLITE_OK,
                 "prepare");
    sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "proposal %llu stored", (unsigned long long)id);
    char *text = strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return text;
}

/* Within a block the store keeps the proposals it read in memory and their tallies too, written at
 * the commit (gov_store.c): a rolled-back transaction or inner savepoint must take its tally
 * changes with it, a state change must reach SQL at once (gov_proposal_due reads it within the
 * block), and a proposal whose insert was rolled back must not be read from memory afterwards. */
Test(governance_rules, a_block_keeps_its_proposals_in_memory_exactly_across_savepoints)
{
    cr_assert_eq(ledger_block_begin(l, 0), ST_OK, "block 0");
    tx(1);
    uint64_t id = insert_proposal("first");
    cr_assert_eq(ledger_tx_end(l, true), ST_OK, "kept");
    commit_block(0);

    cr_assert_eq(ledger_block_begin(l, 1), ST_OK, "block 1");
    tx(2);
    update_proposal(id, 10, -1, 0);
    cr_assert_eq(ledger_tx_end(l, true), ST_OK, "tx 2 kept");
    expect_proposal(id, "first", "10", "tx 2's tally");
    tx(3);
    update_proposal(id, 15, -1, 0);
    expect_proposal(id, "first", "15", "tx 3's tally inside it");
    cr_assert_eq(ledger_tx_end(l, false), ST_OK, "tx 3 rolled back");
    expect_proposal(id, "first", "10", "tx 3's tally is gone");
    tx(4);
    cr_assert_eq(ledger_inner_begin(l), ST_OK, "inner");
    update_proposal(id, 99, -1, 0);
    cr_assert_eq(ledger_inner_end(l, false), ST_OK, "inner rolled back");
    expect_proposal(id, "first", "10", "the inner savepoint's tally is gone");
    uint64_t due[4];
    unsigned n = 9;
    update_proposal(id, 12, GOV_SUCCEEDED, 5);
    cr_assert_eq(gov_proposal_due(s, 5, due, 4, &n), ST_OK, "due");
    cr_assert(n == 1 && due[0] == id, "the state change is in SQL at once: %u due", n);
    cr_assert_eq(ledger_tx_end(l, true), ST_OK, "tx 4 kept");
    tx(5);
    uint64_t gone = insert_proposal("rolled back");
    expect_proposal(gone, "rolled back", "0", "read inside its transaction");
    cr_assert_eq(ledger_tx_end(l, false), ST_OK, "tx 5 rolled back");
    tx(6);
    uint64_t next = insert_proposal("after");
    expect_proposal(next, "after", "0", "a new proposal, maybe with the rolled-back one's id");
    update_proposal(id, 13, -1, 0);
    cr_assert_eq(ledger_tx_end(l, true), ST_OK, "tx 6 kept");
    char *before = stored_for_weight(id);
    cr_assert_str_eq(before, "0", "before the commit the file holds block 0's tally");
    free(before);
    commit_block(1);
    char *after = stored_for_weight(id);
    cr_assert_str_eq(after, "13", "the commit writes the block's tally");
    free(after);
    expect_proposal(id, "first", "13", "read after the block");
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
    ledger_receipt r = { 0 };
    gov_apply a = { .l = l, .s = s, .params = &params, .height = 1, .time = 5000, .r = &r };
    uint8_t txhash[32] = { 1 };
    cr_assert_eq(ledger_block_begin(l, 1), ST_OK, "begin");
    cr_assert_eq(ledger_tx_begin(l, txhash), ST_OK, "tx begin");
    cr_assert_eq(gov_delegate(&a, alice, bob, 2), ST_OK, "delegate: %s", r.err);
    gov_delegation d;
    cr_assert_eq(gov_delegation_get(s, alice, &d), ST_OK, "stored");
    cr_assert(memcmp(d.delegate, bob, 20) == 0 && d.conviction == 2, "to bob with conviction 2");
    cr_assert_eq(gov_delegate(&a, alice, bob, 1), ST_CONFLICT, "twice");
    cr_assert(strstr(r.err, "already delegating"), "reason: %s", r.err);
    cr_assert_eq(gov_delegate(&a, bob, alice, 1), ST_CONFLICT, "a chain");
    cr_assert_eq(gov_undelegate(&a, alice), ST_OK, "undelegate: %s", r.err);
    char *text = ledger_events_take(&r);
    cJSON *events = cJSON_Parse(text);
    free(text);
    const cJSON *ev = cJSON_GetArrayItem(events, 0);
    cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(ev, "type")->valuestring, "Delegated", "its event");
    ev = cJSON_GetArrayItem(events, 1);
    cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(ev, "type")->valuestring, "Undelegated", "its event");
    cr_assert_null(cJSON_GetObjectItemCaseSensitive(ev, "lockedUntil"), "nothing staked: nothing locked");
    cr_assert_eq(gov_delegation_get(s, alice, &d), ST_NOTFOUND, "gone");
    cr_assert_eq(ledger_tx_end(l, false), ST_OK, "tx end");
    ledger_block_abort(l);
    cJSON_Delete(events);
    ledger_receipt_clear(&r);
}

/* A delegate's power sums its delegators a page at a time (gov_power_at reads 128 at once, into a
 * page on its stack): 300 delegators, each with 10 staked at the snapshot, carry 3,000 power and
 * 300 weight (conviction 0: a tenth each). */
Test(governance_rules, a_delegate_carries_delegators_past_a_page)
{
    enum { DELEGATORS = 300 };
    sqlite3 *db = ledger_sqlite(l);
    cr_assert_eq(ledger_block_begin(l, 0), ST_OK, "begin");
    cr_assert_eq(sqlite3_exec(db, "INSERT INTO pool_checkpoints(pool, height, stake, shares) VALUES(1, 0, '1000', '1000')",
                              NULL, NULL, NULL), SQLITE_OK, "the pool at block 0: %s", sqlite3_errmsg(db));
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(db, "INSERT INTO stake_checkpoints(address, pool, height, shares) VALUES(?1, 1, 0, '10')",
                                    -1, &st, NULL), SQLITE_OK, "prepare");
    for (unsigned i = 0; i < DELEGATORS; i++) {
        gov_delegation d = { .delegator = { 0xd0, (uint8_t)(i >> 8), (uint8_t)i }, .conviction = 0, .since = 0 };
        memcpy(d.delegate, bob, 20);
        cr_assert_eq(gov_delegation_put(s, &d), ST_OK, "delegator %u", i);
        sqlite3_bind_blob(st, 1, d.delegator, 20, SQLITE_STATIC);
        cr_assert_eq(sqlite3_step(st), SQLITE_DONE, "delegator %u's stake", i);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    commit_block(0);
    mpz_t own, delegated, weight;
    mpz_inits(own, delegated, weight, NULL);
    cr_assert_eq(gov_power_at(l, s, bob, 0, own, delegated, weight), ST_OK, "bob's power");
    expect_mpz(own, "0", "bob stakes nothing himself");
    expect_mpz(delegated, "3000", "every delegator's 10");
    expect_mpz(weight, "300", "every delegator's 1");
    mpz_clears(own, delegated, weight, NULL);
}

static void expect_kind(uint64_t id, bool is_poll, bool secret, const char *what)
{
    bool p = !is_poll, sec = !secret;
    cr_assert_eq(gov_poll_kind(s, id, &p, &sec), ST_OK, "%s: kind read", what);
    cr_assert(p == is_poll && sec == secret, "%s: poll %d secret %d, expected %d %d", what, p, sec, is_poll, secret);
}

/* gov_poll_kind keeps its last answer for the votes of a block that follow: a poll inserted after it,
 * or a poll's insert rolled back with its savepoint or its block, changes the answer at once. */
Test(governance_rules, a_poll_kind_kept_for_the_block_follows_inserts_and_rollbacks)
{
    cr_assert_eq(ledger_block_begin(l, 0), ST_OK, "begin");
    tx(1);
    uint64_t a = insert_proposal("a"), b = insert_proposal("b");
    expect_kind(a, false, false, "a proposal without its poll");
    cr_assert_eq(gov_poll_insert(s, a, 0, 2, "[]", true), ST_OK, "a's secret poll");
    expect_kind(a, true, true, "a, once its poll is in");
    cr_assert_eq(ledger_tx_end(l, true), ST_OK, "kept");
    tx(2);
    expect_kind(b, false, false, "b before its poll");
    cr_assert_eq(gov_poll_insert(s, b, 0, 2, "[]", false), ST_OK, "b's open poll");
    expect_kind(b, true, false, "b, an open poll");
    cr_assert_eq(ledger_tx_end(l, false), ST_OK, "rolled back");
    expect_kind(b, false, false, "b, its poll rolled back");
    expect_kind(a, true, true, "a still a secret poll");
    commit_block(0);
    expect_kind(a, true, true, "a after the commit");
    cr_assert_eq(ledger_block_begin(l, 1), ST_OK, "begin");
    cr_assert_eq(gov_poll_insert(s, b, 0, 2, "[]", false), ST_OK, "b's open poll again");
    expect_kind(b, true, false, "b, an open poll again");
    ledger_block_abort(l);
    expect_kind(b, false, false, "b, its block aborted");
}
