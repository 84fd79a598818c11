/* SPDX-License-Identifier: MIT */
/* ballots.c: polls on the chain (ballots.h; docs/POLLS.md). A poll proposal gets a row (schema 011)
 * that holds its running tally as text; each Ballot (votes.c) goes on it with its power, the
 * voter's conviction weight plus what its delegators give it, and comes off again when the voter
 * replaces it or a delegator overrides it, at a cost bounded by the number of choices. Ranked-choice
 * keeps no tally: its instant runoff reads every standing ballot, at the close or on request. At the
 * close the scores are counted once and stored: the results never change after. */
#include "governance/ballots.h"
#include "governance/rules_int.h"

#include <stdlib.h>
#include <string.h>
#include "ledger/amount.h"
#include "ledger/ballot_box.h"

#define BALLOTS_PAGE 256

void gov_poll_results_init(gov_poll_results *r)
{
    memset(r, 0, sizeof *r);
    for (unsigned i = 0; i < GOV_POLL_MAX_CHOICES; i++)
        mpz_init(r->scores[i]);
    mpz_init(r->power);
}

void gov_poll_results_clear(gov_poll_results *r)
{
    if (!r || !r->power->_mp_d)
        return;
    for (unsigned i = 0; i < GOV_POLL_MAX_CHOICES; i++)
        mpz_clear(r->scores[i]);
    mpz_clear(r->power);
    memset(r, 0, sizeof *r);
}

int gov_poll_results_winner(const gov_poll_results *r)
{
    return r->ballots ? (int)gov_poll_winner(r->scores, r->n) : -1;
}

/* ---- the stored text: decimals separated by single spaces ---- */

/* a[0..na-1] then b[0..nb-1] as text. Returns: owned text (free), or NULL on OOM. */
static char *numbers_text(const mpz_t *a, unsigned na, const mpz_t *b, unsigned nb)
{
    size_t size = 1;
    for (unsigned i = 0; i < na; i++)
        size += mpz_sizeinbase(a[i], 10) + 2;
    for (unsigned i = 0; i < nb; i++)
        size += mpz_sizeinbase(b[i], 10) + 2;
    char *text = malloc(size), *p = text;
    if (!text)
        return NULL;
    for (unsigned i = 0; i < na + nb; i++) {
        if (i)
            *p++ = ' ';
        mpz_get_str(p, 10, i < na ? a[i] : b[i - na]);
        p += strlen(p);
    }
    *p = '\0';
    return text;
}

/* Reads exactly na + nb decimals of text into a[] then b[].
 * Returns: ST_OK, ST_DB (another text), ST_NOMEM. */
static int numbers_read(mpz_t *a, unsigned na, mpz_t *b, unsigned nb, const char *text)
{
    char *copy = strdup(text), *save = NULL, *tok;
    if (!copy)
        return ST_NOMEM;
    unsigned i = 0;
    int rc = ST_OK;
    for (tok = strtok_r(copy, " ", &save); tok && rc == ST_OK; tok = strtok_r(NULL, " ", &save), i++)
        if (i >= na + nb || mpz_set_str(i < na ? a[i] : b[i - na], tok, 10) != 0)
            rc = ST_DB;
    free(copy);
    return rc == ST_OK && i == na + nb ? ST_OK : ST_DB;
}

/* The tally of row (not ranked-choice) into t, which this inits (clear it on ST_OK). */
static int tally_load(gov_poll_tally *t, const gov_poll_row *row)
{
    int rc = gov_poll_tally_init(t, (enum gov_poll_system)row->system, row->n);
    if (rc != ST_OK)
        return rc == ST_INVALID ? ST_DB : rc;
    rc = row->tally ? numbers_read(t->acc, row->n, t->pair, t->pair ? row->n * row->n : 0, row->tally) : ST_DB;
    mpz_set(t->power, row->power);
    t->ballots = row->ballots;
    if (rc != ST_OK)
        gov_poll_tally_clear(t);
    return rc;
}

static char *tally_text(const gov_poll_tally *t)
{
    return numbers_text(t->acc, t->n, (const mpz_t *)t->pair, t->pair ? t->n * t->n : 0);
}

/* ---- inside a block ---- */

int gov_poll_open(gov_apply *a, uint64_t proposal, enum gov_poll_system system, unsigned n, bool secret)
{
    /* a secret poll's ballots cannot be read before the enclave counts them: no running tally */
    if (secret || system == GOV_POLL_RANKED_CHOICE)
        return gov_poll_insert(a->s, proposal, system, n, NULL, secret);
    gov_poll_tally t;
    int rc = gov_poll_tally_init(&t, system, n);
    if (rc != ST_OK)
        return rc == ST_NOMEM ? rc : ledger_fail(a->r, rc, "payload: a %s poll of %u choices", gov_poll_system_name(system), n);
    char *text = tally_text(&t);
    rc = text ? gov_poll_insert(a->s, proposal, system, n, text, false) : ST_NOMEM;
    free(text);
    gov_poll_tally_clear(&t);
    return rc;
}

int gov_poll_read_ballot(gov_apply *a, uint64_t proposal, gov_ballot *b, const char *choice, size_t len)
{
    gov_poll_row row;
    gov_poll_row_init(&row);
    char err[160];
    int rc = gov_poll_get(a->s, proposal, &row);
    if (rc == ST_NOTFOUND)
        rc = ledger_fail(a->r, ST_CONFLICT, "proposal %llu is not a poll: cast a Vote", (unsigned long long)proposal);
    else if (rc == ST_OK && row.secret)
        rc = ledger_fail(a->r, ST_CONFLICT, "proposal %llu is a secret poll: cast a SecretBallot", (unsigned long long)proposal);
    else if (rc == ST_OK && gov_ballot_parse(b, err, sizeof err, (enum gov_poll_system)row.system, row.n, choice, len) != ST_OK)
        rc = ledger_fail(a->r, ST_INVALID, "%s", err);
    gov_poll_row_clear(&row);
    return rc;
}

enum gov_poll_kind gov_poll_kind_of(gov_apply *a, uint64_t proposal, int *rc)
{
    bool is_poll = false, secret = false;
    *rc = gov_poll_kind(a->s, proposal, &is_poll, &secret);
    return !is_poll ? GOV_NOT_POLL : secret ? GOV_SECRET_POLL : GOV_OPEN_POLL;
}

int gov_ballot_count(gov_apply *a, gov_proposal *p, const gov_vote *v, int sign)
{
    gov_poll_row row;
    gov_poll_row_init(&row);
    gov_ballot b;
    gov_ballot_init(&b);
    gov_poll_tally t;
    bool has_tally = false;
    mpz_t power, raw;
    mpz_inits(power, raw, NULL);
    char *text = NULL, err[128];
    /* the ballot's power is its conviction weight and its delegators'; the turnout its raw power */
    mpz_add(power, v->weight, v->delegated_weight);
    mpz_add(raw, v->power, v->delegated_power);
    int rc = gov_poll_get(a->s, p->id, &row);
    if (rc != ST_OK)
        goto out;
    /* a stored ballot was read before it was stored: one that is not read again, or a tally that does
     * not hold it, is a ledger out of step with itself, which fails this transaction, not the node;
     * a secret poll holds only ciphertexts, whose length was checked before they were stored */
    if (row.secret != (v->ciphertext != NULL)) {
        rc = ledger_fail(a->r, ST_CONFLICT, "a stored ballot on poll %llu is not of its kind", (unsigned long long)p->id);
        goto out;
    }
    if (!row.secret && (!v->choice || gov_ballot_parse(&b, err, sizeof err, (enum gov_poll_system)row.system, row.n, v->choice,
                                       strlen(v->choice)) != ST_OK)) {
        rc = ledger_fail(a->r, ST_CONFLICT, "a stored ballot on poll %llu cannot be read again", (unsigned long long)p->id);
        goto out;
    }
    if (!row.secret && row.system != GOV_POLL_RANKED_CHOICE) {
        if ((rc = tally_load(&t, &row)) != ST_OK)
            goto out;
        has_tally = true;
        if (gov_poll_tally_add(&t, &b, power, sign) != ST_OK) {
            rc = ledger_fail(a->r, ST_CONFLICT, "the tally of poll %llu does not hold this ballot", (unsigned long long)p->id);
            goto out;
        }
        mpz_set(row.power, t.power);
        row.ballots = t.ballots;
        if (!(text = tally_text(&t))) {
            rc = ST_NOMEM;
            goto out;
        }
    } else if (sign > 0) {
        mpz_add(row.power, row.power, power);
        row.ballots++;
    } else if (row.ballots == 0 || mpz_cmp(row.power, power) < 0) {
        rc = ledger_fail(a->r, ST_CONFLICT, "the tally of poll %llu does not hold this ballot", (unsigned long long)p->id);
        goto out;
    } else {
        mpz_sub(row.power, row.power, power);
        row.ballots--;
    }
    if (sign > 0)
        mpz_add(p->turnout, p->turnout, raw);
    else
        mpz_sub(p->turnout, p->turnout, raw);
    if (mpz_sgn(p->turnout) < 0) {
        rc = ledger_fail(a->r, ST_CONFLICT, "the turnout of poll %llu does not hold this ballot", (unsigned long long)p->id);
        goto out;
    }
    /* the raw power of the ballots, like a Vote's turnout, stays below 2^256 */
    if (!ledger_amount_fits(p->turnout) || !ledger_amount_fits(row.power)) {
        rc = ST_OVERFLOW;
        goto out;
    }
    rc = gov_poll_put(a->s, p->id, text, row.power, row.ballots);
out:
    free(text);
    if (has_tally)
        gov_poll_tally_clear(&t);
    mpz_clears(power, raw, NULL);
    gov_ballot_clear(&b);
    gov_poll_row_clear(&row);
    return rc;
}

/* ---- counting ---- */

/* Ranked-choice's instant runoff over every standing ballot of proposal (n choices), read a page
 * at a time into n bytes and one power each. Out: scores. */
static int count_ranked(gov_store *s, uint64_t proposal, unsigned n, mpz_t *scores)
{
    gov_vote *page = malloc(BALLOTS_PAGE * sizeof *page);
    uint8_t *rankings = NULL;
    mpz_t *powers = NULL;
    size_t count = 0, cap = 0;
    uint8_t cursor[20];
    unsigned got = 0;
    bool more = true, first = true;
    char err[128];
    gov_ballot b;
    gov_ballot_init(&b);
    int rc = page ? ST_OK : ST_NOMEM;
    for (unsigned i = 0; page && i < BALLOTS_PAGE; i++)
        gov_vote_init(&page[i]);
    while (rc == ST_OK && more) {
        rc = gov_vote_list(s, proposal, first ? NULL : cursor, BALLOTS_PAGE, page, &got, &more);
        first = false;
        if (rc == ST_OK && count + got > cap) {
            size_t grown = cap ? cap * 2 : BALLOTS_PAGE;
            uint8_t *nr = realloc(rankings, grown * n);
            if (nr)
                rankings = nr;
            mpz_t *np = nr ? realloc(powers, grown * sizeof *np) : NULL;
            if (np)
                powers = np;
            if (!nr || !np)
                rc = ST_NOMEM;
            for (size_t i = cap; rc == ST_OK && i < grown; i++)
                mpz_init(powers[i]);
            if (rc == ST_OK)
                cap = grown;
        }
        for (unsigned i = 0; i < got && rc == ST_OK; i++, count++) {
            if (!page[i].choice || gov_ballot_parse(&b, err, sizeof err, GOV_POLL_RANKED_CHOICE, n, page[i].choice,
                                                    strlen(page[i].choice)) != ST_OK)
                rc = ST_DB;
            else
                memcpy(rankings + count * n, b.choice, n);
            mpz_add(powers[count], page[i].weight, page[i].delegated_weight);
        }
        if (got)
            memcpy(cursor, page[got - 1].voter, 20);
    }
    if (rc == ST_OK)
        rc = gov_poll_count_rankings(scores, n, rankings, count ? powers[0] : NULL, count);
    for (size_t i = 0; i < cap; i++)
        mpz_clear(powers[i]);
    free(rankings);
    free(powers);
    gov_ballot_clear(&b);
    for (unsigned i = 0; page && i < BALLOTS_PAGE; i++)
        gov_vote_clear(&page[i]);
    free(page);
    return rc;
}

int gov_poll_results_get(gov_store *s, uint64_t proposal, gov_poll_results *r)
{
    gov_poll_row row;
    gov_poll_row_init(&row);
    gov_poll_tally t;
    int rc = gov_poll_get(s, proposal, &row);
    if (rc != ST_OK)
        goto out;
    r->system = (enum gov_poll_system)row.system;
    r->n = row.n;
    r->ballots = row.ballots;
    r->counted = row.scores != NULL;
    r->secret = row.secret;
    mpz_set(r->power, row.power);
    for (unsigned i = 0; i < GOV_POLL_MAX_CHOICES; i++)
        mpz_set_ui(r->scores[i], 0);
    if (row.scores)
        rc = numbers_read(r->scores, row.n, NULL, 0, row.scores);
    else if (row.secret)
        ; /* nobody but the enclave can count it */
    else if (row.system == GOV_POLL_RANKED_CHOICE)
        rc = count_ranked(s, proposal, row.n, r->scores);
    else if ((rc = tally_load(&t, &row)) == ST_OK) {
        gov_poll_tally_scores(r->scores, &t);
        gov_poll_tally_clear(&t);
    }
out:
    gov_poll_row_clear(&row);
    return rc;
}

/* ---- secret polls ---- */

int gov_secret_ballots_hash(gov_store *s, uint64_t proposal, uint8_t hash[32], uint64_t *count)
{
    gov_vote *page = malloc(BALLOTS_PAGE * sizeof *page);
    uint8_t cursor[20], weight_be[32];
    unsigned got = 0;
    bool more = true, first = true;
    ledger_ballots_hash h;
    ledger_ballots_hash_init(&h);
    mpz_t weight;
    mpz_init(weight);
    *count = 0;
    int rc = page ? ST_OK : ST_NOMEM;
    for (unsigned i = 0; page && i < BALLOTS_PAGE; i++)
        gov_vote_init(&page[i]);
    while (rc == ST_OK && more) {
        rc = gov_vote_list(s, proposal, first ? NULL : cursor, BALLOTS_PAGE, page, &got, &more);
        first = false;
        for (unsigned i = 0; i < got && rc == ST_OK; i++) {
            /* the poll's power, which holds this weight, stays below 2^256 */
            mpz_add(weight, page[i].weight, page[i].delegated_weight);
            if (!page[i].ciphertext || !ledger_amount_fits(weight)) {
                rc = ST_DB;
                break;
            }
            ledger_amount_to_word(weight_be, weight);
            ledger_ballots_hash_add(&h, page[i].voter, weight_be, page[i].ciphertext, page[i].ciphertext_len);
            ++*count;
        }
        if (got)
            memcpy(cursor, page[got - 1].voter, 20);
    }
    ledger_ballots_hash_final(&h, hash);
    mpz_clear(weight);
    for (unsigned i = 0; page && i < BALLOTS_PAGE; i++)
        gov_vote_clear(&page[i]);
    free(page);
    return rc;
}

int gov_poll_close(gov_apply *a, uint64_t proposal, gov_poll_results *r)
{
    int rc = gov_poll_results_get(a->s, proposal, r);
    if (rc != ST_OK || r->counted)
        return rc;
    char *text = numbers_text(r->scores, r->n, NULL, 0);
    rc = text ? gov_poll_set_scores(a->s, proposal, text) : ST_NOMEM;
    free(text);
    r->counted = rc == ST_OK;
    return rc;
}
