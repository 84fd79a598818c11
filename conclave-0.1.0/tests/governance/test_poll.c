/* SPDX-License-Identifier: MIT */
/* test_poll.c: the counting systems of governance/poll.h. Ballots are read as Snapshot writes them
 * and refused with a precise message when their system cannot count them; every system is counted
 * by hand on small polls (ties, eliminations, fractional weights, a replaced ballot); and generated
 * polls are recounted by models written from snapshot.js's per-voter rules, not from the tallies:
 * copeland from every ordered pair of choices in exact rationals, ranked-choice by rebuilding the
 * ballots round after round as snapshot.js does, weighted in exact rationals and quadratic in long
 * double, with powers from 1 wei to past 10^36. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "governance/poll.h"

#define E18 "000000000000000000"

/* ---- reading ballots ---- */

static gov_ballot ballot;

static void setup(void)
{
    gov_ballot_init(&ballot);
}

static void teardown(void)
{
    gov_ballot_clear(&ballot);
}

TestSuite(poll, .init = setup, .fini = teardown);

static int parse(enum gov_poll_system system, unsigned n, const char *text, char *err, size_t errlen)
{
    return gov_ballot_parse(&ballot, err, errlen, system, n, text, strlen(text));
}

static void expect_ok(enum gov_poll_system system, unsigned n, const char *text, const char *want_choices)
{
    char err[160] = "", got[200] = "";
    cr_assert_eq(parse(system, n, text, err, sizeof err), ST_OK, "%s %s: %s", gov_poll_system_name(system), text, err);
    for (unsigned k = 0; k < ballot.n; k++)
        snprintf(got + strlen(got), sizeof got - strlen(got), "%s%u", k ? "," : "", ballot.choice[k] + 1u);
    cr_assert_str_eq(got, want_choices, "%s %s: the choices read", gov_poll_system_name(system), text);
}

static void expect_refused(enum gov_poll_system system, unsigned n, const char *text, const char *want)
{
    char err[160] = "";
    cr_assert_eq(parse(system, n, text, err, sizeof err), ST_INVALID, "%s %s is refused", gov_poll_system_name(system), text);
    cr_assert_str_eq(err, want, "%s %s: the reason", gov_poll_system_name(system), text);
}

/* Expects each of the count texts refused, all with the same reason want. */
static void expect_all_refused(enum gov_poll_system system, unsigned n, const char *const *texts, size_t count,
                               const char *want)
{
    for (size_t i = 0; i < count; i++)
        expect_refused(system, n, texts[i], want);
}

Test(poll, systems_are_named_as_snapshot_names_them)
{
    static const char *const names[] = { "basic", "single-choice", "approval", "quadratic", "ranked-choice", "weighted", "copeland" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        enum gov_poll_system s;
        cr_assert_eq(gov_poll_system_parse(&s, names[i]), ST_OK, "%s", names[i]);
        cr_assert_str_eq(gov_poll_system_name(s), names[i], "round trip");
    }
    enum gov_poll_system s = GOV_POLL_APPROVAL;
    cr_assert_eq(gov_poll_system_parse(&s, "borda"), ST_INVALID, "not a system");
    cr_assert_eq(s, GOV_POLL_APPROVAL, "unchanged");
}

Test(poll, single_choice_takes_one_choice_number)
{
    expect_ok(GOV_POLL_SINGLE_CHOICE, 4, "2", "2");
    expect_ok(GOV_POLL_SINGLE_CHOICE, 4, " 4\n", "4");
    expect_ok(GOV_POLL_BASIC, 3, "3", "3");
    static const char *const malformed[] = { "", "-1", "2.0", "2e0", "02", "\"2\"", "[2]", "2 3", "1234567890" };
    expect_all_refused(GOV_POLL_SINGLE_CHOICE, 4, malformed, sizeof malformed / sizeof malformed[0],
                       "choice: a single-choice ballot is a choice number such as 2");
    expect_refused(GOV_POLL_BASIC, 4, "1", "choice: a basic poll of 4 choices cannot be voted");
}

Test(poll, approval_takes_distinct_choice_numbers_and_may_approve_none)
{
    expect_ok(GOV_POLL_APPROVAL, 4, "[1,3]", "1,3");
    expect_ok(GOV_POLL_APPROVAL, 4, "[ 4 , 1 ]", "4,1");
    expect_ok(GOV_POLL_APPROVAL, 4, "[]", "");
    static const char *const malformed[] = { "[1,]", "[,1]", "[1 3]", "1", "{\"1\":1}", "[1]]", "[[1]]", "[1.5]" };
    expect_all_refused(GOV_POLL_APPROVAL, 4, malformed, sizeof malformed / sizeof malformed[0],
                       "choice: an approval ballot is an array of choice numbers such as [1,3]");
}

Test(poll, rankings_list_every_choice_once)
{
    expect_ok(GOV_POLL_RANKED_CHOICE, 3, "[2,3,1]", "2,3,1");
    expect_ok(GOV_POLL_COPELAND, 3, "[3,1,2]", "3,1,2");
    expect_refused(GOV_POLL_RANKED_CHOICE, 3, "[2,3]", "choice: a ranking lists all 3 choices, this one 2");
    expect_refused(GOV_POLL_COPELAND, 3, "[]", "choice: a ranking lists all 3 choices, this one 0");
    expect_refused(GOV_POLL_RANKED_CHOICE, 3, "{\"1\":1}",
                   "choice: a ranked-choice ballot is an array of every choice number, most preferred first, such as [2,1,3]");
}

/* Every system that reads choice numbers refuses one out of range, or one given twice, naming it. */
Test(poll, choices_out_of_range_or_repeated_are_refused_by_every_system)
{
    static const struct {
        enum gov_poll_system system;
        unsigned n;
        const char *text, *want;
    } cases[] = {
        { GOV_POLL_SINGLE_CHOICE, 4, "5", "choice: choice 5 is not one of the 4 choices" },
        { GOV_POLL_SINGLE_CHOICE, 4, "0", "choice: choice 0 is not one of the 4 choices" },
        { GOV_POLL_APPROVAL, 4, "[1,5]", "choice: choice 5 is not one of the 4 choices" },
        { GOV_POLL_COPELAND, 3, "[1,2,3,4]", "choice: choice 4 is not one of the 3 choices" },
        { GOV_POLL_WEIGHTED, 4, "{\"7\":1}", "choice: choice 7 is not one of the 4 choices" },
        { GOV_POLL_APPROVAL, 4, "[1,3,1]", "choice: choice 1 appears twice" },
        { GOV_POLL_RANKED_CHOICE, 3, "[2,2,1]", "choice: choice 2 appears twice" },
        { GOV_POLL_WEIGHTED, 4, "{\"1\":1,\"1\":2}", "choice: choice 1 appears twice" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_refused(cases[i].system, cases[i].n, cases[i].text, cases[i].want);
}

Test(poll, weights_are_exact_decimals_by_choice_number)
{
    expect_ok(GOV_POLL_WEIGHTED, 4, "{\"1\":2,\"3\":1}", "1,3");
    char text[80];
    cr_assert_str_eq(mpz_get_str(text, 10, ballot.weight[0]), "2" E18, "2 x 10^18");
    expect_ok(GOV_POLL_QUADRATIC, 4, "{ \"4\" : 0.000000000000000001 , \"2\":0 }", "4,2");
    cr_assert_str_eq(mpz_get_str(text, 10, ballot.weight[0]), "1", "the smallest weight");
    cr_assert_str_eq(mpz_get_str(text, 10, ballot.weight[1]), "0", "a zero weight beside a positive one");
    expect_ok(GOV_POLL_WEIGHTED, 4, "{\"2\":1.5}", "2");
    cr_assert_str_eq(mpz_get_str(text, 10, ballot.weight[0]), "1500000000000000000", "1.5 x 10^18");
    expect_refused(GOV_POLL_WEIGHTED, 4, "{}", "choice: give at least one choice a weight above 0");
    expect_refused(GOV_POLL_QUADRATIC, 4, "{\"1\":0,\"2\":0.0}", "choice: give at least one choice a weight above 0");
    static const char *const malformed[] = { "{\"1\":-1}", "{\"01\":1}", "{\"1\":1e2}", "{\"1\":0.0000000000000000001}",
                                             "{1:1}", "{\"1\":\"1\"}", "{\"1\":1,}", "[1]", "{\"1\":.5}", "{\"1\":1.}",
                                             "{\"1\":01}", "{\"a\":1}" };
    expect_all_refused(GOV_POLL_WEIGHTED, 4, malformed, sizeof malformed / sizeof malformed[0],
                       "choice: a weighted ballot is an object of weights by choice number such as {\"1\":2,\"3\":0.5}");
}

/* ---- counting by hand ---- */

struct vote {
    const char *choice;
    const char *power;
};

/* Counts votes (each replacing nothing) with the system's tally, or its runoff for ranked-choice,
 * and compares the scores with want (decimal base units, one per choice). */
static void expect_scores(enum gov_poll_system system, unsigned n, const struct vote *votes, size_t count,
                          const char *const *want, unsigned want_winner)
{
    char err[160];
    mpz_t scores[GOV_POLL_MAX_CHOICES];
    for (unsigned i = 0; i < n; i++)
        mpz_init(scores[i]);
    gov_ballot *ballots = calloc(count + 1, sizeof *ballots);
    __mpz_struct *powers = calloc(count + 1, sizeof *powers);
    cr_assert(ballots && powers, "memory");
    for (size_t v = 0; v < count; v++) {
        gov_ballot_init(&ballots[v]);
        cr_assert_eq(gov_ballot_parse(&ballots[v], err, sizeof err, system, n, votes[v].choice, strlen(votes[v].choice)), ST_OK,
                     "%s: %s", votes[v].choice, err);
        mpz_init_set_str(&powers[v], votes[v].power, 10);
    }
    if (system == GOV_POLL_RANKED_CHOICE) {
        cr_assert_eq(gov_poll_count_ranked(scores, n, ballots, powers, count), ST_OK, "runoff");
    } else {
        gov_poll_tally t;
        cr_assert_eq(gov_poll_tally_init(&t, system, n), ST_OK, "tally");
        for (size_t v = 0; v < count; v++)
            cr_assert_eq(gov_poll_tally_add(&t, &ballots[v], &powers[v], 1), ST_OK, "add %s", votes[v].choice);
        gov_poll_tally_scores(scores, &t);
        gov_poll_tally_clear(&t);
    }
    for (unsigned i = 0; i < n; i++) {
        char text[100];
        cr_assert_str_eq(mpz_get_str(text, 10, scores[i]), want[i], "%s: the score of choice %u", gov_poll_system_name(system), i + 1);
    }
    cr_assert_eq(gov_poll_winner((const mpz_t *)scores, n), want_winner, "%s: the winner", gov_poll_system_name(system));
    for (size_t v = 0; v < count; v++) {
        gov_ballot_clear(&ballots[v]);
        mpz_clear(&powers[v]);
    }
    free(ballots);
    free(powers);
    for (unsigned i = 0; i < n; i++)
        mpz_clear(scores[i]);
}

Test(poll, single_choice_and_approval_add_whole_powers)
{
    static const struct vote single[] = { { "1", "5" }, { "3", "7" }, { "1", "2" } };
    expect_scores(GOV_POLL_SINGLE_CHOICE, 3, single, 3, (const char *const[]){ "7", "0", "7" }, 0); /* a tie: the lower */
    static const struct vote approval[] = { { "[1,3]", "5" }, { "[3]", "7" }, { "[]", "100" }, { "[2,1,3]", "1" } };
    expect_scores(GOV_POLL_APPROVAL, 3, approval, 4, (const char *const[]){ "6", "1", "13" }, 2);
}

Test(poll, weighted_splits_each_power_by_its_weights_rounding_down)
{
    /* 3 x 2/3 = 2 and 3 x 1/3 = 1; 10 x 0.5/0.75 = 6.67 -> 6 and 10 x 0.25/0.75 = 3.33 -> 3 */
    static const struct vote votes[] = { { "{\"1\":2,\"3\":1}", "3" }, { "{\"1\":0.5,\"2\":0.25}", "10" } };
    expect_scores(GOV_POLL_WEIGHTED, 3, votes, 2, (const char *const[]){ "8", "3", "1" }, 0);
    /* one wei split three ways is lost to the rounding; 1 token three ways loses 1 wei */
    static const struct vote thirds[] = { { "{\"1\":1,\"2\":1,\"3\":1}", "1" }, { "{\"1\":1,\"2\":1,\"3\":1}", "1" E18 } };
    expect_scores(GOV_POLL_WEIGHTED, 3, thirds, 2,
                  (const char *const[]){ "333333333333333333", "333333333333333333", "333333333333333333" }, 0);
}

Test(poll, quadratic_squares_the_summed_roots_and_shares_out_the_power)
{
    /* roots 2 and 3: squares 4 and 9 of 13 */
    static const struct vote apart[] = { { "{\"1\":1}", "4" }, { "{\"2\":5}", "9" } };
    expect_scores(GOV_POLL_QUADRATIC, 2, apart, 2, (const char *const[]){ "4", "9" }, 1);
    /* many small voters beat one large one: 4 voters of 1 token (roots 4) against one of 9 (root 3):
     * squares 16 and 9 of 25, over the 13 tokens: 8.32 and 4.68 */
    static const struct vote many[] = { { "{\"1\":1}", "1" E18 }, { "{\"1\":1}", "1" E18 }, { "{\"1\":1}", "1" E18 },
                                        { "{\"1\":1}", "1" E18 }, { "{\"2\":1}", "9" E18 } };
    expect_scores(GOV_POLL_QUADRATIC, 2, many, 5, (const char *const[]){ "8320000000000000000", "4680000000000000000" }, 0);
    /* a split ballot: 8 as 1:1 gives roots 2 and 2 */
    static const struct vote split[] = { { "{\"1\":1,\"2\":1}", "8" } };
    expect_scores(GOV_POLL_QUADRATIC, 2, split, 1, (const char *const[]){ "4", "4" }, 0);
}

Test(poll, ranked_choice_runs_off_the_last_choice_until_a_majority_or_two_are_left)
{
    /* round 1: 4, 3, 2 of 9, no majority: choice 3 leaves; round 2: 4 and 5, two are left */
    static const struct vote runoff[] = { { "[1,2,3]", "4" }, { "[2,3,1]", "3" }, { "[3,2,1]", "2" } };
    expect_scores(GOV_POLL_RANKED_CHOICE, 3, runoff, 3, (const char *const[]){ "4", "5", "0" }, 1);
    /* a majority in round 1 ends it with all three */
    static const struct vote majority[] = { { "[1,2,3]", "5" }, { "[2,3,1]", "3" }, { "[3,2,1]", "1" } };
    expect_scores(GOV_POLL_RANKED_CHOICE, 3, majority, 3, (const char *const[]){ "5", "3", "1" }, 0);
    /* exactly half is no majority; of the two last with 2 each, choice 2 (the lower) leaves */
    static const struct vote ties[] = { { "[1,2,3,4]", "4" }, { "[2,4,1,3]", "2" }, { "[3,4,2,1]", "2" } };
    /* round 1: 4, 2, 2, 0: choice 4 leaves (least); round 2: 4, 2, 2: choice 2 leaves; round 3: its
     * voters go to 1 (their next after 4, which left): 6 and 2 */
    expect_scores(GOV_POLL_RANKED_CHOICE, 4, ties, 3, (const char *const[]){ "6", "0", "2", "0" }, 0);
    /* no ballot: no scores */
    expect_scores(GOV_POLL_RANKED_CHOICE, 3, NULL, 0, (const char *const[]){ "0", "0", "0" }, 0);
}

Test(poll, copeland_counts_pairwise_wins_with_average_support_as_the_tie_break)
{
    /* 2 tokens rank 1 > 2 > 3, 1 token 2 > 3 > 1: 1 beats 2 and 3, 2 beats 3. Points (snapshot.js:
     * 2 a win, 1 a tie, + supp / (2 (n-1) T)): 4 + 4/12, 2 + 4/12, 0 + 1/12, sum 27/4; shared out
     * over 3 tokens: 52/27, 28/27 and 1/27 tokens, rounded down */
    static const struct vote votes[] = { { "[1,2,3]", "2" E18 }, { "[2,3,1]", "1" E18 } };
    expect_scores(GOV_POLL_COPELAND, 3, votes, 2,
                  (const char *const[]){ "1925925925925925925", "1037037037037037037", "37037037037037037" }, 0);
    /* a perfect cycle: every pair ties on points, average support decides nothing either; equal */
    static const struct vote cycle[] = { { "[1,2,3]", "1" }, { "[2,3,1]", "1" }, { "[3,1,2]", "1" } };
    expect_scores(GOV_POLL_COPELAND, 3, cycle, 3, (const char *const[]){ "1", "1", "1" }, 0);
}

Test(poll, a_ballot_taken_out_leaves_the_tally_as_if_never_added)
{
    char err[160];
    gov_poll_tally t;
    mpz_t power, scores[3];
    mpz_init_set_str(power, "7" E18, 10);
    for (unsigned i = 0; i < 3; i++)
        mpz_init(scores[i]);
    cr_assert_eq(gov_poll_tally_init(&t, GOV_POLL_COPELAND, 3), ST_OK, "tally");
    cr_assert_eq(parse(GOV_POLL_COPELAND, 3, "[3,1,2]", err, sizeof err), ST_OK, "%s", err);
    cr_assert_eq(gov_poll_tally_add(&t, &ballot, power, -1), ST_INVALID, "nothing to take out yet");
    cr_assert_eq(gov_poll_tally_add(&t, &ballot, power, 1), ST_OK, "add");
    cr_assert_eq(gov_poll_tally_add(&t, &ballot, power, -1), ST_OK, "take out");
    cr_assert_eq(t.ballots, 0, "no ballot");
    cr_assert_eq(mpz_sgn(t.power), 0, "no power");
    for (unsigned i = 0; i < 9; i++)
        cr_assert_eq(mpz_sgn(t.pair[i]), 0, "pair %u back to 0", i);
    gov_poll_tally_clear(&t);
    cr_assert_eq(gov_poll_tally_init(&t, GOV_POLL_SINGLE_CHOICE, 3), ST_OK, "tally");
    cr_assert_eq(gov_poll_tally_add(&t, &ballot, power, 1), ST_INVALID, "a ranking is not a single-choice ballot");
    cr_assert_eq(gov_poll_tally_init(&(gov_poll_tally){ 0 }, GOV_POLL_RANKED_CHOICE, 3), ST_INVALID, "no ranked tally");
    gov_poll_tally_clear(&t);
    for (unsigned i = 0; i < 3; i++)
        mpz_clear(scores[i]);
    mpz_clear(power);
}

/* ---- models ---- */

static uint64_t lcg = 0x2545f4914f6cdd1dull;

static unsigned rnd(unsigned n)
{
    lcg = lcg * 6364136223846793005ull + 1442695040888963407ull;
    return (unsigned)((lcg >> 33) % n);
}

/* A power from 1 wei to a few times 10^36, with repeats so that ties happen. */
static void random_power(mpz_t p)
{
    static const char *const fixed[] = { "1", "2", "1" E18, "3" E18, "1000000" E18 E18 };
    if (rnd(3) == 0) {
        mpz_set_str(p, fixed[rnd(5)], 10);
        return;
    }
    mpz_set_ui(p, 1u + rnd(1000));
    for (unsigned d = rnd(4); d > 0; d--)
        mpz_mul_ui(p, p, 1000000000u + rnd(1000));
}

static void random_ranking(gov_ballot *b, unsigned n)
{
    b->n = n;
    for (unsigned i = 0; i < n; i++)
        b->choice[i] = (uint8_t)i;
    for (unsigned i = n - 1; i > 0; i--) {
        unsigned j = rnd(i + 1);
        uint8_t c = b->choice[i];
        b->choice[i] = b->choice[j];
        b->choice[j] = c;
    }
    /* some ballots alike, for ties */
    if (rnd(4) == 0)
        for (unsigned i = 0; i < n; i++)
            b->choice[i] = (uint8_t)i;
}

/* snapshot.js's Copeland in exact rationals: every ordered pair (i, j) scores as the loop of
 * getScores does, then average support, then the share of the total. */
static void copeland_model(mpz_t *scores, unsigned n, const gov_ballot *b, const __mpz_struct *power, size_t count)
{
    mpq_t s[GOV_POLL_MAX_CHOICES], sum, x, total;
    mpz_t cmp[GOV_POLL_MAX_CHOICES][GOV_POLL_MAX_CHOICES], support[GOV_POLL_MAX_CHOICES];
    mpq_inits(sum, x, total, NULL);
    for (unsigned i = 0; i < n; i++) {
        mpq_init(s[i]);
        mpz_init(support[i]);
        for (unsigned j = 0; j < n; j++)
            mpz_init(cmp[i][j]);
    }
    for (size_t v = 0; v < count; v++) {
        mpq_set_z(x, &power[v]);
        mpq_add(total, total, x);
        for (unsigned r = 0; r < n; r++)
            for (unsigned q = r + 1; q < n; q++) {
                mpz_add(cmp[b[v].choice[r]][b[v].choice[q]], cmp[b[v].choice[r]][b[v].choice[q]], &power[v]);
                mpz_sub(cmp[b[v].choice[q]][b[v].choice[r]], cmp[b[v].choice[q]][b[v].choice[r]], &power[v]);
                mpz_add(support[b[v].choice[r]], support[b[v].choice[r]], &power[v]);
            }
    }
    mpq_t half, one;
    mpq_inits(half, one, NULL);
    mpq_set_ui(half, 1, 2);
    mpq_set_ui(one, 1, 1);
    for (unsigned i = 0; i < n; i++)
        for (unsigned j = 0; j < n; j++) {
            if (i == j)
                continue;
            int c = mpz_sgn(cmp[i][j]);
            if (c > 0)
                mpq_add(s[i], s[i], one);
            else if (c < 0)
                mpq_add(s[j], s[j], one);
            else {
                mpq_add(s[i], s[i], half);
                mpq_add(s[j], s[j], half);
            }
        }
    for (unsigned i = 0; i < n && mpq_sgn(total) > 0; i++) {
        mpq_set_z(x, support[i]);
        mpq_div(x, x, total);
        mpq_set_ui(one, 1, n - 1);
        mpq_mul(x, x, one);
        mpq_mul(x, x, half);
        mpq_add(s[i], s[i], x);
    }
    for (unsigned i = 0; i < n; i++)
        mpq_add(sum, sum, s[i]);
    for (unsigned i = 0; i < n; i++) {
        mpq_div(x, s[i], sum);
        mpq_mul(x, x, total);
        mpz_fdiv_q(scores[i], mpq_numref(x), mpq_denref(x));
    }
    for (unsigned i = 0; i < n; i++) {
        mpq_clear(s[i]);
        mpz_clear(support[i]);
        for (unsigned j = 0; j < n; j++)
            mpz_clear(cmp[i][j]);
    }
    mpq_clears(sum, x, total, half, one, NULL);
}

/* snapshot.js's irv(): each round rebuilds the ballots without the choice that left, counts first
 * choices over the candidates left in any ballot, and ends on a majority or fewer than 3. */
static void irv_model(mpz_t *scores, unsigned n, const gov_ballot *b, const __mpz_struct *power, size_t count)
{
    int (*lists)[GOV_POLL_MAX_CHOICES] = calloc(count + 1, sizeof *lists);
    unsigned *len = calloc(count + 1, sizeof *len);
    cr_assert(lists && len, "memory");
    for (size_t v = 0; v < count; v++) {
        len[v] = n;
        for (unsigned k = 0; k < n; k++)
            lists[v][k] = b[v].choice[k];
    }
    mpz_t total, twice;
    mpz_inits(total, twice, NULL);
    for (;;) {
        bool candidate[GOV_POLL_MAX_CHOICES] = { false };
        unsigned candidates = 0;
        mpz_set_ui(total, 0);
        for (unsigned i = 0; i < n; i++)
            mpz_set_ui(scores[i], 0);
        for (size_t v = 0; v < count; v++) {
            if (len[v] == 0)
                continue;
            for (unsigned k = 0; k < len[v]; k++)
                if (!candidate[lists[v][k]]) {
                    candidate[lists[v][k]] = true;
                    candidates++;
                }
            mpz_add(scores[lists[v][0]], scores[lists[v][0]], &power[v]);
            mpz_add(total, total, &power[v]);
        }
        int top = -1, bottom = -1;
        for (unsigned i = 0; i < n; i++) {
            if (!candidate[i])
                continue;
            if (top < 0 || mpz_cmp(scores[i], scores[top]) > 0)
                top = (int)i;
            if (bottom < 0 || mpz_cmp(scores[i], scores[bottom]) < 0)
                bottom = (int)i;
        }
        if (top >= 0)
            mpz_mul_ui(twice, scores[top], 2);
        if (top < 0 || mpz_cmp(twice, total) > 0 || candidates < 3)
            break;
        for (size_t v = 0; v < count; v++) {
            unsigned w = 0;
            for (unsigned k = 0; k < len[v]; k++)
                if (lists[v][k] != bottom)
                    lists[v][w++] = lists[v][k];
            len[v] = w;
        }
    }
    mpz_clears(total, twice, NULL);
    free(lists);
    free(len);
}

static void expect_same(const mpz_t *got, const mpz_t *want, unsigned n, const char *what, int round)
{
    for (unsigned i = 0; i < n; i++)
        if (mpz_cmp(got[i], want[i]) != 0) {
            char a[120], b[120];
            cr_assert_fail("%s, poll %d: choice %u: %s, the model %s", what, round, i + 1, mpz_get_str(a, 10, got[i]),
                    mpz_get_str(b, 10, want[i]));
        }
}

Test(poll, generated_rankings_are_the_models_of_copeland_and_the_runoff, .timeout = 60)
{
    for (int round = 0; round < 300; round++) {
        unsigned n = 2 + rnd(round < 250 ? 5 : GOV_POLL_MAX_CHOICES - 1);
        size_t count = rnd(round < 250 ? 12 : 60);
        gov_ballot *b = calloc(count + 1, sizeof *b);
        __mpz_struct *power = calloc(count + 1, sizeof *power);
        mpz_t got[GOV_POLL_MAX_CHOICES], want[GOV_POLL_MAX_CHOICES];
        cr_assert(b && power, "memory");
        for (unsigned i = 0; i < n; i++)
            mpz_inits(got[i], want[i], NULL);
        gov_poll_tally t;
        cr_assert_eq(gov_poll_tally_init(&t, GOV_POLL_COPELAND, n), ST_OK, "tally");
        for (size_t v = 0; v < count; v++) {
            gov_ballot_init(&b[v]);
            mpz_init(&power[v]);
            random_ranking(&b[v], n);
            random_power(&power[v]);
            cr_assert_eq(gov_poll_tally_add(&t, &b[v], &power[v], 1), ST_OK, "add");
        }
        gov_poll_tally_scores(got, &t);
        copeland_model(want, n, b, power, count);
        expect_same((const mpz_t *)got, (const mpz_t *)want, n, "copeland", round);
        cr_assert_eq(gov_poll_count_ranked(got, n, b, power, count), ST_OK, "runoff");
        irv_model(want, n, b, power, count);
        expect_same((const mpz_t *)got, (const mpz_t *)want, n, "ranked-choice", round);
        gov_poll_tally_clear(&t);
        for (size_t v = 0; v < count; v++) {
            gov_ballot_clear(&b[v]);
            mpz_clear(&power[v]);
        }
        for (unsigned i = 0; i < n; i++)
            mpz_clears(got[i], want[i], NULL);
        free(b);
        free(power);
    }
}

/* Weighted against exact rationals (sum of power x w / W: each score at most that and less than it
 * by fewer base units than there are ballots), quadratic against long double (snapshot.js's
 * formula in floating point: the same to 12 significant digits), on generated weight ballots. */
Test(poll, generated_weights_are_the_models_of_weighted_and_quadratic, .timeout = 60)
{
    for (int round = 0; round < 200; round++) {
        unsigned n = 2 + rnd(6);
        size_t count = 1 + rnd(20);
        gov_poll_tally wt, qt;
        cr_assert_eq(gov_poll_tally_init(&wt, GOV_POLL_WEIGHTED, n), ST_OK, "weighted");
        cr_assert_eq(gov_poll_tally_init(&qt, GOV_POLL_QUADRATIC, n), ST_OK, "quadratic");
        mpq_t exact[GOV_POLL_MAX_CHOICES], x, share;
        long double roots[GOV_POLL_MAX_CHOICES] = { 0 }, total_ld = 0;
        mpz_t got[GOV_POLL_MAX_CHOICES], power;
        mpz_init(power);
        mpq_inits(x, share, NULL);
        for (unsigned i = 0; i < n; i++) {
            mpq_init(exact[i]);
            mpz_init(got[i]);
        }
        for (size_t v = 0; v < count; v++) {
            char text[400] = "{", err[160];
            unsigned ws[GOV_POLL_MAX_CHOICES] = { 0 }, wsum = 0;
            for (unsigned i = 0; i < n; i++)
                if (rnd(2) || (i == n - 1 && wsum == 0)) {
                    ws[i] = rnd(4) == 0 ? 0 : 1 + rnd(400);
                    if (i == n - 1 && wsum == 0 && ws[i] == 0)
                        ws[i] = 3;
                    wsum += ws[i];
                    snprintf(text + strlen(text), sizeof text - strlen(text), "%s\"%u\":%u.%02u", strlen(text) > 1 ? "," : "",
                             i + 1, ws[i] / 100, ws[i] % 100);
                }
            strcat(text, "}");
            cr_assert_eq(parse(GOV_POLL_WEIGHTED, n, text, err, sizeof err), ST_OK, "%s: %s", text, err);
            random_power(power);
            cr_assert_eq(gov_poll_tally_add(&wt, &ballot, power, 1), ST_OK, "weighted add");
            cr_assert_eq(gov_poll_tally_add(&qt, &ballot, power, 1), ST_OK, "quadratic add");
            long double p = (long double)mpz_get_d(power);
            total_ld += p;
            for (unsigned i = 0; i < n; i++) {
                mpq_set_ui(x, ws[i], wsum);
                mpq_set_z(share, power);
                mpq_mul(x, x, share);
                mpq_add(exact[i], exact[i], x);
                roots[i] += sqrtl(p * ws[i] / wsum);
            }
        }
        gov_poll_tally_scores(got, &wt);
        for (unsigned i = 0; i < n; i++) {
            mpq_set_z(x, got[i]);
            mpq_sub(x, exact[i], x);
            mpq_set_ui(share, (unsigned long)count, 1);
            cr_assert(mpq_sgn(x) >= 0 && mpq_cmp(x, share) < 0,
                      "weighted, poll %d, choice %u: below the exact share by less than a base unit a ballot", round, i + 1);
        }
        gov_poll_tally_scores(got, &qt);
        long double qsum = 0;
        for (unsigned i = 0; i < n; i++)
            qsum += roots[i] * roots[i];
        for (unsigned i = 0; i < n; i++) {
            long double want = qsum > 0 ? roots[i] * roots[i] / qsum * total_ld : 0;
            long double have = (long double)mpz_get_d(got[i]);
            cr_assert(fabsl(have - want) <= want * 1e-12L + 2, "quadratic, poll %d, choice %u: %Lg vs %Lg", round, i + 1, have, want);
        }
        for (unsigned i = 0; i < n; i++) {
            mpq_clear(exact[i]);
            mpz_clear(got[i]);
        }
        mpq_clears(x, share, NULL);
        mpz_clear(power);
        gov_poll_tally_clear(&wt);
        gov_poll_tally_clear(&qt);
    }
}
