/* SPDX-License-Identifier: MIT */
/* poll.c: the counting systems of polls (poll.h). A ballot's JSON text is read by a small scanner
 * of its own rather than cJSON: the enclave, which counts secret ballots, links no JSON library,
 * and weights must be read as exact decimals, never as doubles. The tallies hold integers only:
 * each system's rounding happens per ballot (weighted, quadratic) or once when the scores are read
 * (quadratic, copeland), as docs/POLLS.md says. */
#include "governance/poll.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const system_names[] = {
    [GOV_POLL_BASIC] = "basic",
    [GOV_POLL_SINGLE_CHOICE] = "single-choice",
    [GOV_POLL_APPROVAL] = "approval",
    [GOV_POLL_QUADRATIC] = "quadratic",
    [GOV_POLL_RANKED_CHOICE] = "ranked-choice",
    [GOV_POLL_WEIGHTED] = "weighted",
    [GOV_POLL_COPELAND] = "copeland",
};
#define N_SYSTEMS (sizeof system_names / sizeof system_names[0])

int gov_poll_system_parse(enum gov_poll_system *out, const char *name)
{
    for (size_t i = 1; i < N_SYSTEMS; i++)
        if (strcmp(name, system_names[i]) == 0) {
            *out = (enum gov_poll_system)i;
            return ST_OK;
        }
    return ST_INVALID;
}

const char *gov_poll_system_name(enum gov_poll_system system)
{
    return (unsigned)system >= 1 && (unsigned)system < N_SYSTEMS ? system_names[system] : "?";
}

/* ---- reading a ballot ---- */

typedef struct scanner {
    const char *p, *end;
} scanner;

static void skip_ws(scanner *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

static bool take(scanner *s, char c)
{
    skip_ws(s);
    if (s->p < s->end && *s->p == c) {
        s->p++;
        return true;
    }
    return false;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* A whole number as JSON writes it (no sign, fraction, exponent or leading zero), at most 9
 * digits. */
static bool whole(scanner *s, unsigned long *v)
{
    skip_ws(s);
    const char *start = s->p;
    *v = 0;
    while (s->p < s->end && is_digit(*s->p) && s->p - start < 10)
        *v = *v * 10 + (unsigned long)(*s->p++ - '0');
    size_t digits = (size_t)(s->p - start);
    if (digits == 0 || digits > 9 || (digits > 1 && *start == '0'))
        return false;
    return s->p == s->end || (!is_digit(*s->p) && *s->p != '.' && *s->p != 'e' && *s->p != 'E');
}

/* A weight: a JSON number >= 0 without exponent, at most 60 whole digits and
 * GOV_POLL_WEIGHT_DECIMALS decimals. Out: w, the weight x 10^GOV_POLL_WEIGHT_DECIMALS. */
static bool weight(scanner *s, mpz_t w)
{
    char digits[60 + GOV_POLL_WEIGHT_DECIMALS + 1];
    size_t n = 0, decimals = 0;
    skip_ws(s);
    const char *start = s->p;
    while (s->p < s->end && is_digit(*s->p) && n < 60)
        digits[n++] = *s->p++;
    if (n == 0 || (n > 1 && *start == '0'))
        return false;
    if (s->p < s->end && *s->p == '.') {
        s->p++;
        while (s->p < s->end && is_digit(*s->p) && decimals < GOV_POLL_WEIGHT_DECIMALS)
            digits[n + decimals++] = *s->p++;
        if (decimals == 0)
            return false;
    }
    if (s->p < s->end && (is_digit(*s->p) || *s->p == '.' || *s->p == 'e' || *s->p == 'E'))
        return false;
    while (decimals < GOV_POLL_WEIGHT_DECIMALS)
        digits[n + decimals++] = '0';
    digits[n + decimals] = '\0';
    return mpz_set_str(w, digits, 10) == 0;
}

static const char *expected_form(enum gov_poll_system system)
{
    switch (system) {
    case GOV_POLL_BASIC:
    case GOV_POLL_SINGLE_CHOICE: return "a choice number such as 2";
    case GOV_POLL_APPROVAL: return "an array of choice numbers such as [1,3]";
    case GOV_POLL_RANKED_CHOICE:
    case GOV_POLL_COPELAND: return "an array of every choice number, most preferred first, such as [2,1,3]";
    case GOV_POLL_QUADRATIC:
    case GOV_POLL_WEIGHTED: break;
    }
    return "an object of weights by choice number such as {\"1\":2,\"3\":0.5}";
}

/* Records choice number v (1-based) as the ballot's next entry. */
static int add_choice(gov_ballot *b, char *err, size_t errlen, unsigned long v, unsigned n_choices)
{
    if (v < 1 || v > n_choices) {
        snprintf(err, errlen, "choice: choice %lu is not one of the %u choices", v, n_choices);
        return ST_INVALID;
    }
    for (unsigned k = 0; k < b->n; k++)
        if (b->choice[k] == v - 1) {
            snprintf(err, errlen, "choice: choice %lu appears twice", v);
            return ST_INVALID;
        }
    b->choice[b->n++] = (uint8_t)(v - 1);
    return ST_OK;
}

static int parse_list(gov_ballot *b, char *err, size_t errlen, scanner *s, unsigned n_choices)
{
    unsigned long v;
    if (!take(s, '['))
        return ST_CONFLICT;
    if (take(s, ']'))
        return ST_OK;
    do {
        if (!whole(s, &v))
            return ST_CONFLICT;
        int rc = add_choice(b, err, errlen, v, n_choices);
        if (rc != ST_OK)
            return rc;
    } while (take(s, ','));
    return take(s, ']') ? ST_OK : ST_CONFLICT;
}

static int parse_weights(gov_ballot *b, char *err, size_t errlen, scanner *s, unsigned n_choices)
{
    unsigned long v;
    bool positive = false;
    if (!take(s, '{'))
        return ST_CONFLICT;
    if (!take(s, '}')) {
        do {
            if (!take(s, '"') || !whole(s, &v) || !take(s, '"') || !take(s, ':'))
                return ST_CONFLICT;
            int rc = add_choice(b, err, errlen, v, n_choices);
            if (rc != ST_OK)
                return rc;
            if (!weight(s, b->weight[b->n - 1]))
                return ST_CONFLICT;
            positive = positive || mpz_sgn(b->weight[b->n - 1]) > 0;
        } while (take(s, ','));
        if (!take(s, '}'))
            return ST_CONFLICT;
    }
    if (!positive) {
        snprintf(err, errlen, "choice: give at least one choice a weight above 0");
        return ST_INVALID;
    }
    return ST_OK;
}

void gov_ballot_init(gov_ballot *b)
{
    b->n = 0;
    for (unsigned k = 0; k < GOV_POLL_MAX_CHOICES; k++)
        mpz_init(b->weight[k]);
}

void gov_ballot_clear(gov_ballot *b)
{
    for (unsigned k = 0; k < GOV_POLL_MAX_CHOICES; k++)
        mpz_clear(b->weight[k]);
    b->n = 0;
}

int gov_ballot_parse(gov_ballot *b, char *err, size_t errlen, enum gov_poll_system system, unsigned n_choices,
                     const char *text, size_t len)
{
    scanner s = { text, text + len };
    unsigned long v;
    int rc;

    b->n = 0;
    if (n_choices < GOV_POLL_MIN_CHOICES || n_choices > GOV_POLL_MAX_CHOICES
        || (system == GOV_POLL_BASIC && n_choices != 3)) {
        snprintf(err, errlen, "choice: a %s poll of %u choices cannot be voted", gov_poll_system_name(system), n_choices);
        return ST_INVALID;
    }
    if (len > GOV_POLL_BALLOT_TEXT_MAX) {
        snprintf(err, errlen, "choice: longer than %d bytes", GOV_POLL_BALLOT_TEXT_MAX);
        return ST_INVALID;
    }
    switch (system) {
    case GOV_POLL_BASIC:
    case GOV_POLL_SINGLE_CHOICE:
        rc = whole(&s, &v) ? add_choice(b, err, errlen, v, n_choices) : ST_CONFLICT;
        break;
    case GOV_POLL_APPROVAL:
    case GOV_POLL_RANKED_CHOICE:
    case GOV_POLL_COPELAND:
        rc = parse_list(b, err, errlen, &s, n_choices);
        if (rc == ST_OK && system != GOV_POLL_APPROVAL && b->n != n_choices) {
            snprintf(err, errlen, "choice: a ranking lists all %u choices, this one %u", n_choices, b->n);
            rc = ST_INVALID;
        }
        break;
    case GOV_POLL_WEIGHTED:
    case GOV_POLL_QUADRATIC:
        rc = parse_weights(b, err, errlen, &s, n_choices);
        break;
    default:
        snprintf(err, errlen, "choice: no such counting system");
        return ST_INVALID;
    }
    skip_ws(&s);
    if (rc == ST_CONFLICT || (rc == ST_OK && s.p != s.end)) {
        const char *name = gov_poll_system_name(system);
        snprintf(err, errlen, "choice: %s %s ballot is %s", strchr("aeiou", name[0]) ? "an" : "a", name, expected_form(system));
        rc = ST_INVALID;
    }
    return rc;
}

/* ---- tallies ---- */

int gov_poll_tally_init(gov_poll_tally *t, enum gov_poll_system system, unsigned n)
{
    if (n < GOV_POLL_MIN_CHOICES || n > GOV_POLL_MAX_CHOICES || system == GOV_POLL_RANKED_CHOICE
        || (unsigned)system < 1 || (unsigned)system >= N_SYSTEMS)
        return ST_INVALID;
    t->pair = NULL;
    if (system == GOV_POLL_COPELAND) {
        if (!(t->pair = malloc((size_t)n * n * sizeof *t->pair)))
            return ST_NOMEM;
        for (unsigned i = 0; i < n * n; i++)
            mpz_init(t->pair[i]);
    }
    t->system = system;
    t->n = n;
    for (unsigned i = 0; i < GOV_POLL_MAX_CHOICES; i++)
        mpz_init(t->acc[i]);
    mpz_init(t->power);
    t->ballots = 0;
    return ST_OK;
}

void gov_poll_tally_clear(gov_poll_tally *t)
{
    if (!t)
        return;
    if (t->pair) {
        for (unsigned i = 0; i < t->n * t->n; i++)
            mpz_clear(t->pair[i]);
        free(t->pair);
        t->pair = NULL;
    }
    for (unsigned i = 0; i < GOV_POLL_MAX_CHOICES; i++)
        mpz_clear(t->acc[i]);
    mpz_clear(t->power);
}

/* Whether b is a ballot the tally's system could have read for its n choices. */
static bool fits(const gov_poll_tally *t, const gov_ballot *b)
{
    bool seen[GOV_POLL_MAX_CHOICES] = { false };
    if (b->n > t->n)
        return false;
    for (unsigned k = 0; k < b->n; k++) {
        if (b->choice[k] >= t->n || seen[b->choice[k]])
            return false;
        seen[b->choice[k]] = true;
    }
    switch (t->system) {
    case GOV_POLL_BASIC:
    case GOV_POLL_SINGLE_CHOICE: return b->n == 1;
    case GOV_POLL_COPELAND: return b->n == t->n;
    case GOV_POLL_WEIGHTED:
    case GOV_POLL_QUADRATIC:
        for (unsigned k = 0; k < b->n; k++)
            if (mpz_sgn(b->weight[k]) > 0)
                return true;
        return false;
    case GOV_POLL_APPROVAL:
    case GOV_POLL_RANKED_CHOICE: break;
    }
    return true;
}

/* What the ballot adds to acc[choice[k]]: its power split by its weights, floor(power * w / W)
 * (weighted), or the root floor(sqrt(power * w * 10^36 / W)) (quadratic). */
static void weighted_parts(mpz_t *part, const gov_ballot *b, const mpz_t power, bool roots)
{
    mpz_t total, scale;
    mpz_inits(total, scale, NULL);
    mpz_ui_pow_ui(scale, 10, 36);
    for (unsigned k = 0; k < b->n; k++)
        mpz_add(total, total, b->weight[k]);
    for (unsigned k = 0; k < b->n; k++) {
        mpz_mul(part[k], power, b->weight[k]);
        if (roots)
            mpz_mul(part[k], part[k], scale);
        mpz_fdiv_q(part[k], part[k], total);
        if (roots)
            mpz_sqrt(part[k], part[k]);
    }
    mpz_clears(total, scale, NULL);
}

int gov_poll_tally_add(gov_poll_tally *t, const gov_ballot *b, const mpz_t power, int sign)
{
    if (!fits(t, b) || mpz_sgn(power) < 0 || (sign < 0 && (t->ballots == 0 || mpz_cmp(power, t->power) > 0)))
        return ST_INVALID;
    mpz_t part[GOV_POLL_MAX_CHOICES];
    for (unsigned k = 0; k < b->n; k++)
        mpz_init_set(part[k], power);
    if (t->system == GOV_POLL_WEIGHTED || t->system == GOV_POLL_QUADRATIC)
        weighted_parts(part, b, power, t->system == GOV_POLL_QUADRATIC);
    int rc = ST_OK;
    if (sign < 0) {
        /* nothing may go below zero: check every part before taking any */
        for (unsigned k = 0; k < b->n && rc == ST_OK; k++)
            if (t->system != GOV_POLL_COPELAND && mpz_cmp(t->acc[b->choice[k]], part[k]) < 0)
                rc = ST_INVALID;
        for (unsigned a = 0; t->pair && a < b->n && rc == ST_OK; a++)
            for (unsigned z = a + 1; z < b->n && rc == ST_OK; z++)
                if (mpz_cmp(t->pair[b->choice[a] * t->n + b->choice[z]], power) < 0)
                    rc = ST_INVALID;
    }
    if (rc == ST_OK) {
        void (*op)(mpz_ptr, mpz_srcptr, mpz_srcptr) = sign < 0 ? mpz_sub : mpz_add;
        if (t->pair) {
            for (unsigned a = 0; a < b->n; a++)
                for (unsigned z = a + 1; z < b->n; z++)
                    op(t->pair[b->choice[a] * t->n + b->choice[z]], t->pair[b->choice[a] * t->n + b->choice[z]], power);
        } else {
            for (unsigned k = 0; k < b->n; k++)
                op(t->acc[b->choice[k]], t->acc[b->choice[k]], part[k]);
        }
        op(t->power, t->power, power);
        t->ballots = sign < 0 ? t->ballots - 1 : t->ballots + 1;
    }
    for (unsigned k = 0; k < b->n; k++)
        mpz_clear(part[k]);
    return rc;
}

/* scores[i] = floor(total * weight[i] / sum(weight)), all 0 when the sum is 0. */
static void share_out(mpz_t *scores, const mpz_t *weight, unsigned n, const mpz_t total)
{
    mpz_t sum;
    mpz_init(sum);
    for (unsigned i = 0; i < n; i++)
        mpz_add(sum, sum, weight[i]);
    for (unsigned i = 0; i < n; i++) {
        mpz_set_ui(scores[i], 0);
        if (mpz_sgn(sum) > 0) {
            mpz_mul(scores[i], total, weight[i]);
            mpz_fdiv_q(scores[i], scores[i], sum);
        }
    }
    mpz_clear(sum);
}

/* Copeland as snapshot.js counts it: 2 points a pairwise win, 1 a tie, plus half the choice's
 * average support, supp / ((n - 1) * T), and the points shared out over the power T. Scaled by
 * 2 (n - 1) T to stay whole: points_i = V_i * 2 (n - 1) T + supp_i. */
static void copeland_scores(mpz_t *scores, const gov_poll_tally *t)
{
    unsigned n = t->n;
    mpz_t points[GOV_POLL_MAX_CHOICES], scale, support;
    mpz_inits(scale, support, NULL);
    mpz_mul_ui(scale, t->power, 2u * (n - 1));
    for (unsigned i = 0; i < n; i++) {
        unsigned long victories = 0;
        mpz_set_ui(support, 0);
        for (unsigned j = 0; j < n; j++) {
            if (j == i)
                continue;
            int c = mpz_cmp(t->pair[i * n + j], t->pair[j * n + i]);
            victories += c > 0 ? 2 : c == 0 ? 1 : 0;
            mpz_add(support, support, t->pair[i * n + j]);
        }
        mpz_init(points[i]);
        mpz_mul_ui(points[i], scale, victories);
        mpz_add(points[i], points[i], support);
    }
    share_out(scores, (const mpz_t *)points, n, t->power);
    for (unsigned i = 0; i < n; i++)
        mpz_clear(points[i]);
    mpz_clears(scale, support, NULL);
}

void gov_poll_tally_scores(mpz_t *scores, const gov_poll_tally *t)
{
    switch (t->system) {
    case GOV_POLL_QUADRATIC: {
        /* the squares of the summed roots, shared out over the power of the ballots */
        mpz_t square[GOV_POLL_MAX_CHOICES];
        for (unsigned i = 0; i < t->n; i++) {
            mpz_init(square[i]);
            mpz_mul(square[i], t->acc[i], t->acc[i]);
        }
        share_out(scores, (const mpz_t *)square, t->n, t->power);
        for (unsigned i = 0; i < t->n; i++)
            mpz_clear(square[i]);
        break;
    }
    case GOV_POLL_COPELAND: copeland_scores(scores, t); break;
    case GOV_POLL_BASIC:
    case GOV_POLL_SINGLE_CHOICE:
    case GOV_POLL_APPROVAL:
    case GOV_POLL_RANKED_CHOICE:
    case GOV_POLL_WEIGHTED:
        for (unsigned i = 0; i < t->n; i++)
            mpz_set(scores[i], t->acc[i]);
        break;
    }
}

/* ---- ranked choice ---- */

int gov_poll_count_rankings(mpz_t *scores, unsigned n, const uint8_t *rankings, mpz_srcptr powers, size_t count)
{
    if (n < GOV_POLL_MIN_CHOICES || n > GOV_POLL_MAX_CHOICES || (count > 0 && (!rankings || !powers)))
        return ST_INVALID;
    for (size_t v = 0; v < count; v++) {
        bool seen[GOV_POLL_MAX_CHOICES] = { false };
        const uint8_t *rank = rankings + v * n;
        if (mpz_sgn(&powers[v]) < 0)
            return ST_INVALID;
        for (unsigned k = 0; k < n; k++) {
            if (rank[k] >= n || seen[rank[k]])
                return ST_INVALID;
            seen[rank[k]] = true;
        }
    }
    unsigned char *top = calloc(count ? count : 1, 1); /* each ballot's first choice still in the race */
    if (!top)
        return ST_NOMEM;
    bool out[GOV_POLL_MAX_CHOICES] = { false };
    unsigned left = count ? n : 0; /* no ballot: no choice is in the race (snapshot.js) */
    mpz_t total, twice;
    mpz_inits(total, twice, NULL);
    for (size_t v = 0; v < count; v++)
        mpz_add(total, total, &powers[v]);
    for (;;) {
        for (unsigned i = 0; i < n; i++)
            mpz_set_ui(scores[i], 0);
        for (size_t v = 0; v < count; v++) {
            const uint8_t *rank = rankings + v * n;
            while (out[rank[top[v]]])
                top[v]++;
            mpz_add(scores[rank[top[v]]], scores[rank[top[v]]], &powers[v]);
        }
        if (left < 3)
            break;
        unsigned best = gov_poll_winner((const mpz_t *)scores, n), last = n;
        mpz_mul_2exp(twice, scores[best], 1);
        if (mpz_cmp(twice, total) > 0)
            break;
        for (unsigned i = 0; i < n; i++)
            if (!out[i] && (last == n || mpz_cmp(scores[i], scores[last]) < 0))
                last = i;
        out[last] = true;
        left--;
    }
    mpz_clears(total, twice, NULL);
    free(top);
    return ST_OK;
}

int gov_poll_count_ranked(mpz_t *scores, unsigned n, const gov_ballot *ballots, mpz_srcptr powers, size_t count)
{
    if (n < GOV_POLL_MIN_CHOICES || n > GOV_POLL_MAX_CHOICES || (count > 0 && (!ballots || !powers)))
        return ST_INVALID;
    uint8_t *rankings = malloc(count ? count * n : 1);
    if (!rankings)
        return ST_NOMEM;
    int rc = ST_OK;
    for (size_t v = 0; v < count && rc == ST_OK; v++) {
        if (ballots[v].n != n)
            rc = ST_INVALID;
        else
            memcpy(rankings + v * n, ballots[v].choice, n);
    }
    if (rc == ST_OK)
        rc = gov_poll_count_rankings(scores, n, rankings, powers, count);
    free(rankings);
    return rc;
}

unsigned gov_poll_winner(const mpz_t *scores, unsigned n)
{
    unsigned best = 0;
    for (unsigned i = 1; i < n; i++)
        if (mpz_cmp(scores[i], scores[best]) > 0)
            best = i;
    return best;
}
