/* SPDX-License-Identifier: MIT */
/* test_secret.c: a secret poll's count as it lands (gov_secret_count_apply), on a ledger of its own
 * through a bare gov_apply: a Counting poll with two stored ciphertexts, and counts that do not fit
 * it refused one check at a time with their reason and nothing changed (another number of choices,
 * another ballots hash, another number of ballots, valid + invalid short of the count, another
 * total power, a poll that is not Counting, an open poll); then the count that fits stores its
 * scores and report once, emits PollCounted with its secret members and settles the poll. And the
 * oldest Counting poll, and the next one after a given id, are found by an index seek. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include "governance/ballots.h"
#include "governance/gov.h"
#include "governance/gov_store.h"
#include "governance/rules.h"
#include "ledger/amount.h"
#include "ledger/ledger.h"
#include "ledger/receipt.h"
#include "ledger/sqlstore.h"
#include "tests/lib/testhelp.h"

static ledger *l;
static gov_store *s;
static gov_params params;
static ledger_receipt r;
static gov_apply a;

static const uint8_t alice[20] = { 0xa1 }, bob[20] = { 0xb0 }, enclave[20] = { 0xe0 };
static uint8_t hash[32];
static uint8_t report_bytes[190], signature[65], measurement[32] = { 0x33 };

/* A proposal in state, on a track "signal" that takes polls; its poll (system, 2 choices, secret)
 * with alice's 30 and bob's 70 standing as ciphertexts of 318 bytes, fixed by their hash. */
static uint64_t make_poll(gov_state state, bool secret)
{
    gov_proposal p;
    gov_proposal_init(&p);
    p.track = strdup("signal");
    p.title = strdup("t");
    p.body = strdup("b");
    p.payload = strdup("{\"kind\":\"poll\",\"system\":\"single-choice\",\"choices\":[\"A\",\"B\"],\"secret\":true}");
    p.state = state;
    mpz_set_ui(p.turnout, 100);
    cr_assert_eq(gov_proposal_insert(s, &p), ST_OK, "proposal");
    cr_assert_eq(gov_proposal_update(s, &p), ST_OK, "its state and turnout");
    uint64_t id = p.id;
    cr_assert_eq(gov_poll_insert(s, id, GOV_POLL_SINGLE_CHOICE, 2, NULL, secret), ST_OK, "poll");
    static uint8_t ct[318];
    const uint8_t *voters[] = { alice, bob };
    static const unsigned long weights[] = { 30, 70 };
    for (unsigned i = 0; i < 2; i++) {
        gov_vote v;
        gov_vote_init(&v);
        v.proposal = id;
        memcpy(v.voter, voters[i], 20);
        mpz_set_ui(v.power, weights[i]);
        mpz_set_ui(v.weight, weights[i]);
        memset(ct, (int)(i + 1), sizeof ct);
        v.ciphertext = malloc(sizeof ct);
        memcpy(v.ciphertext, ct, sizeof ct);
        v.ciphertext_len = sizeof ct;
        cr_assert_eq(gov_vote_put(s, &v), ST_OK, "ballot");
        gov_vote_clear(&v);
    }
    mpz_t power;
    mpz_init_set_ui(power, 100);
    cr_assert_eq(gov_poll_put(s, id, NULL, power, 2), ST_OK, "the poll's power");
    mpz_clear(power);
    uint64_t n = 0;
    cr_assert_eq(gov_secret_ballots_hash(s, id, hash, &n), ST_OK, "hash");
    cr_assert_eq(n, 2, "two ballots");
    cr_assert_eq(gov_poll_set_ballots_hash(s, id, hash), ST_OK, "fixed");
    gov_proposal_clear(&p);
    return id;
}

static void setup(void)
{
    th_open_ledger(&l, "secret");
    cr_assert_eq(gov_store_new(&s, l), ST_OK, "store");
    gov_params_init(&params);
    snprintf(params.tracks[0].name, sizeof params.tracks[0].name, "signal");
    params.tracks[0].quorum_ppm = 100000;
    params.tracks[0].payloads = GOV_PAYLOAD_POLL;
    params.n_tracks = 1;
    r = (ledger_receipt){ 0 };
    a = (gov_apply){ .l = l, .s = s, .params = &params, .height = 1, .time = 5000, .r = &r };
    uint8_t txhash[32] = { 1 };
    cr_assert_eq(ledger_block_begin(l, 1), ST_OK, "begin");
    cr_assert_eq(ledger_tx_begin(l, txhash), ST_OK, "tx begin");
}

static void teardown(void)
{
    cr_assert_eq(ledger_tx_end(l, false), ST_OK, "tx end");
    ledger_block_abort(l);
    ledger_receipt_clear(&r);
    gov_params_clear(&params);
    gov_store_free(s);
    th_close_ledger(l);
}

TestSuite(governance_secret, .init = setup, .fini = teardown);

/* A count of poll id that fits it: 2 choices, its hash, 2 ballots (1 valid, 1 invalid), total 100,
 * scores 0 and 30. */
static void fitting(gov_secret_count *c, uint64_t id, uint8_t total[32], uint8_t scores[2][32])
{
    mpz_t v;
    mpz_init_set_ui(v, 100);
    ledger_amount_to_word(total, v);
    mpz_set_ui(v, 0);
    ledger_amount_to_word(scores[0], v);
    mpz_set_ui(v, 30);
    ledger_amount_to_word(scores[1], v);
    mpz_clear(v);
    *c = (gov_secret_count){ .proposal = id, .n_choices = 2, .ballots_hash = hash, .count = 2, .valid = 1, .invalid = 1,
                             .total_power = total, .scores = (const uint8_t(*)[32])scores, .enclave = enclave,
                             .measurement = measurement, .report = report_bytes, .report_len = sizeof report_bytes,
                             .signature = signature };
}

/* The count c is refused with reason, and the poll is still Counting without scores. */
static void expect_refused(const gov_secret_count *c, const char *reason)
{
    r.err[0] = 0;
    cr_assert_neq(gov_secret_count_apply(&a, c), ST_OK, "refused: %s", reason);
    cr_assert(strstr(r.err, reason), "reason \"%s\" in \"%s\"", reason, r.err);
    gov_poll_results res;
    gov_poll_results_init(&res);
    /* (an unknown proposal has no results, and this test's open poll no tally to read) */
    int rc = gov_poll_results_get(s, c->proposal, &res);
    cr_assert(rc != ST_OK || !res.counted, "no scores stored");
    gov_poll_results_clear(&res);
    gov_secret_count_row row = { 0 };
    cr_assert_eq(gov_secret_count_get(s, c->proposal, &row), ST_NOTFOUND, "no count kept");
    cr_assert_eq(ledger_events_mark(&r), 0, "no event");
}

Test(governance_secret, a_count_that_does_not_fit_its_poll_is_refused_and_the_one_that_fits_lands)
{
    uint64_t id = make_poll(GOV_COUNTING, true);
    uint8_t total[32], scores[2][32];
    gov_secret_count c;
    fitting(&c, id, total, scores);

    gov_secret_count bad = c;
    bad.n_choices = 3;
    expect_refused(&bad, "the count has 3 choices, poll 1 has 2");
    uint8_t other[32];
    memcpy(other, hash, 32);
    other[0] ^= 1;
    bad = c;
    bad.ballots_hash = other;
    expect_refused(&bad, "the count's ballotsHash is not the one poll 1 fixed at its close");
    bad = c;
    bad.count = 3;
    bad.valid = 2;
    expect_refused(&bad, "the count covers 3 ballots (2 valid, 1 invalid); poll 1 has 2");
    bad = c;
    bad.invalid = 0;
    expect_refused(&bad, "the count covers 2 ballots (1 valid, 0 invalid)");
    uint8_t more[32];
    memcpy(more, total, 32);
    more[31] ^= 1;
    bad = c;
    bad.total_power = more;
    expect_refused(&bad, "the count's totalPower is not the summed weight of poll 1's ballots");
    bad = c;
    bad.proposal = 9;
    expect_refused(&bad, "no proposal 9");

    cr_assert_eq(gov_secret_count_apply(&a, &c), ST_OK, "the fitting count lands: %s", r.err);
    gov_proposal p;
    gov_proposal_init(&p);
    cr_assert_eq(gov_proposal_get(s, id, &p), ST_OK, "proposal");
    cr_assert_eq(p.state, GOV_SUCCEEDED, "settled by its turnout (100 of quorum 1)");
    gov_proposal_clear(&p);
    gov_poll_results res;
    gov_poll_results_init(&res);
    cr_assert_eq(gov_poll_results_get(s, id, &res), ST_OK, "results");
    cr_assert(res.counted && res.secret, "counted");
    cr_assert_eq(mpz_cmp_ui(res.scores[1], 30), 0, "B's score stored");
    gov_poll_results_clear(&res);
    gov_secret_count_row row = { 0 };
    cr_assert_eq(gov_secret_count_get(s, id, &row), ST_OK, "the count kept");
    cr_assert(row.report_len == sizeof report_bytes && !memcmp(row.enclave, enclave, 20), "as it landed");
    gov_secret_count_row_clear(&row);
    char *text = ledger_events_take(&r);
    cJSON *events = cJSON_Parse(text);
    free(text);
    const cJSON *ev = cJSON_GetArrayItem(events, 0);
    cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(ev, "type")->valuestring, "PollCounted", "PollCounted first");
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ev, "secret")), "secret");
    cr_assert_eq(cJSON_GetObjectItemCaseSensitive(ev, "invalid")->valuedouble, 1, "one invalid");
    cr_assert_eq(cJSON_GetObjectItemCaseSensitive(ev, "winner")->valuedouble, 2, "B wins");
    cJSON_Delete(events);

    r.err[0] = 0;
    cr_assert_neq(gov_secret_count_apply(&a, &c), ST_OK, "a second count");
    cr_assert(strstr(r.err, "is Succeeded: only a Counting poll takes a count"), "refused: %s", r.err);
}

Test(governance_secret, only_a_counting_secret_poll_takes_a_count)
{
    uint8_t total[32], scores[2][32];
    gov_secret_count c;
    fitting(&c, make_poll(GOV_ACTIVE, true), total, scores);
    expect_refused(&c, "proposal 1 is Active: only a Counting poll takes a count");
    fitting(&c, make_poll(GOV_COUNTING, false), total, scores);
    expect_refused(&c, "proposal 2 is not a secret poll");
}

/* gov_vote_update rewrites a vote that is there (a changed vote's path) and fails with ST_DB,
 * writing nothing, on one that is not. */
Test(governance_secret, a_vote_update_rewrites_a_stored_vote_only)
{
    uint64_t id = make_poll(GOV_ACTIVE, true);
    gov_vote v, got;
    gov_vote_init(&v);
    gov_vote_init(&got);
    cr_assert_eq(gov_vote_get(s, id, alice, &v), ST_OK, "alice's ballot");
    v.conviction = 3;
    mpz_set_ui(v.weight, 120);
    cr_assert_eq(gov_vote_update(s, &v), ST_OK, "rewritten");
    cr_assert_eq(gov_vote_get(s, id, alice, &got), ST_OK, "read again");
    cr_assert_eq(got.conviction, 3, "its conviction");
    cr_assert_eq(mpz_cmp_ui(got.weight, 120), 0, "its weight");
    cr_assert_eq(got.ciphertext_len, v.ciphertext_len, "its ciphertext kept");
    memcpy(v.voter, enclave, 20);
    cr_assert_eq(gov_vote_update(s, &v), ST_DB, "no vote of that voter to rewrite");
    cr_assert_eq(gov_vote_get(s, id, enclave, &got), ST_NOTFOUND, "and none was written");
    gov_vote_clear(&got);
    gov_vote_clear(&v);
}

/* The oldest Counting poll, which the engine asks for once a second while an enclave runs, is found
 * by an index seek (schema 015's proposals_by_state), not by reading every proposal; checked with
 * SQLite's EXPLAIN QUERY PLAN on the statement gov_counting_first left in the cache. */
Test(governance_secret, the_oldest_counting_poll_and_the_next_are_found_by_an_index)
{
    uint64_t id = 0;
    make_poll(GOV_ACTIVE, true);
    uint64_t counting = make_poll(GOV_COUNTING, true);
    make_poll(GOV_ACTIVE, true);
    uint64_t later = make_poll(GOV_COUNTING, true);
    cr_assert_eq(gov_counting_after(s, 0, &id), ST_OK, "a Counting poll");
    cr_assert_eq(id, counting, "the oldest Counting one");
    cr_assert_eq(gov_counting_after(s, counting, &id), ST_OK, "one after it");
    cr_assert_eq(id, later, "the next Counting one");
    cr_assert_eq(gov_counting_after(s, later, &id), ST_NOTFOUND, "none after the last");
    sqlite3 *db = ledger_sqlite(l);
    const char *sql = NULL;
    for (sqlite3_stmt *st = sqlite3_next_stmt(db, NULL); st && !sql; st = sqlite3_next_stmt(db, st))
        if (strstr(sqlite3_sql(st), "FROM proposals WHERE state = ?1"))
            sql = sqlite3_sql(st);
    cr_assert(sql, "gov_counting_after's statement is cached");
    char *eqp = sqlite3_mprintf("EXPLAIN QUERY PLAN %s", sql);
    sqlite3_stmt *plan;
    cr_assert_eq(sqlite3_prepare_v2(db, eqp, -1, &plan, NULL), SQLITE_OK, "explain");
    bool seeks = false, scans = false;
    while (sqlite3_step(plan) == SQLITE_ROW) {
        const char *detail = (const char *)sqlite3_column_text(plan, 3);
        seeks = seeks || strstr(detail, "USING COVERING INDEX proposals_by_state (state=? AND id>?)");
        scans = scans || strncmp(detail, "SCAN ", 5) == 0 || strstr(detail, "TEMP B-TREE");
    }
    sqlite3_finalize(plan);
    sqlite3_free(eqp);
    cr_assert(seeks && !scans, "a seek on proposals_by_state, no scan and no sort");
}
