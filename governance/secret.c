/* SPDX-License-Identifier: MIT */
/* secret.c: the count of a secret poll lands (rules.h gov_secret_count_apply; docs/API.md "Secret
 * polls"). The enclave counted the ballots the poll's close fixed; this side holds the report to
 * what the ledger knows without the ballot key: the same poll, the same number of choices, the same
 * ballots (their hash, their number and their summed weight). Only then are the scores stored
 * (as an open poll's, once) and the poll settled by its turnout; a count that does not fit changes
 * nothing and the poll stays Counting, to be asked again. */
#include "governance/rules_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ledger/amount.h"
#include "ledger/hex.h"

/* The PollCounted event of a secret poll: as an open poll's, with the count's own members. */
static int counted_event(gov_apply *a, const gov_poll_row *row, const gov_secret_count *c, mpz_t *scores,
                         const mpz_t total)
{
    ledger_ev *ev = gov_proposal_event(a, "PollCounted", c->proposal);
    char hash[67];
    ledger_hex_encode(hash, c->ballots_hash, 32);
    int winner = c->valid ? (int)gov_poll_winner((const mpz_t *)scores, row->n) : -1;
    if (!ev || !ledger_event_string(ev, "system", gov_poll_system_name((enum gov_poll_system)row->system))
        || !ledger_event_amounts(ev, "scores", (const mpz_t *)scores, row->n)
        || !ledger_event_amount(ev, "scoresTotal", total) || !ledger_event_number(ev, "ballots", c->count)
        || !(winner < 0 ? ledger_event_null(ev, "winner") : ledger_event_number(ev, "winner", winner + 1))
        || !ledger_event_bool(ev, "secret", true) || !ledger_event_number(ev, "valid", c->valid)
        || !ledger_event_number(ev, "invalid", c->invalid) || !ledger_event_address(ev, "enclave", c->enclave)
        || !ledger_event_string(ev, "ballotsHash", hash))
        return ST_NOMEM;
    return ST_OK;
}

/* The scores as the stored text: decimals separated by single spaces. NULL on OOM. */
static char *scores_text(mpz_t *scores, unsigned n)
{
    size_t size = 1;
    for (unsigned i = 0; i < n; i++)
        size += mpz_sizeinbase(scores[i], 10) + 2;
    char *text = malloc(size), *p = text;
    for (unsigned i = 0; text && i < n; i++) {
        if (i)
            *p++ = ' ';
        mpz_get_str(p, 10, scores[i]);
        p += strlen(p);
    }
    if (text)
        *p = '\0';
    return text;
}

int gov_secret_count_apply(gov_apply *a, const gov_secret_count *c)
{
    gov_proposal p;
    gov_proposal_init(&p);
    gov_poll_row row;
    gov_poll_row_init(&row);
    mpz_t total, scores[GOV_POLL_MAX_CHOICES];
    mpz_init(total);
    for (unsigned i = 0; i < GOV_POLL_MAX_CHOICES; i++)
        mpz_init(scores[i]);
    char *text = NULL;
    unsigned long long id = (unsigned long long)c->proposal;
    int rc = gov_load_proposal(a, c->proposal, &p);
    if (rc != ST_OK)
        goto out;
    if ((rc = gov_poll_get(a->s, c->proposal, &row)) == ST_NOTFOUND || (rc == ST_OK && !row.secret)) {
        rc = ledger_fail(a->r, ST_CONFLICT, "proposal %llu is not a secret poll", id);
        goto out;
    }
    if (rc != ST_OK)
        goto out;
    if (p.state != GOV_COUNTING || !row.has_ballots_hash) {
        rc = ledger_fail(a->r, ST_CONFLICT, "proposal %llu is %s: only a Counting poll takes a count", id, gov_state_name(p.state));
        goto out;
    }
    ledger_amount_from_word(total, c->total_power);
    rc = ST_CONFLICT;
    if (c->n_choices != row.n)
        ledger_fail(a->r, rc, "the count has %u choices, poll %llu has %u", c->n_choices, id, row.n);
    else if (memcmp(c->ballots_hash, row.ballots_hash, 32) != 0)
        ledger_fail(a->r, rc, "the count's ballotsHash is not the one poll %llu fixed at its close", id);
    else if (c->valid + (uint64_t)c->invalid != c->count || c->count != row.ballots)
        ledger_fail(a->r, rc, "the count covers %u ballots (%u valid, %u invalid); poll %llu has %llu", c->count, c->valid,
                    c->invalid, id, (unsigned long long)row.ballots);
    else if (mpz_cmp(total, row.power) != 0)
        ledger_fail(a->r, rc, "the count's totalPower is not the summed weight of poll %llu's ballots", id);
    else
        rc = ST_OK;
    if (rc != ST_OK)
        goto out;
    for (unsigned i = 0; i < row.n; i++)
        ledger_amount_from_word(scores[i], c->scores[i]);
    if (!(text = scores_text(scores, row.n))) {
        rc = ST_NOMEM;
        goto out;
    }
    if ((rc = gov_poll_set_scores(a->s, c->proposal, text)) != ST_OK || (rc = gov_secret_count_put(a->s, c->proposal, c->enclave, c->measurement, c->report, c->report_len,
                                           c->signature, a->height)) != ST_OK
        || (rc = counted_event(a, &row, c, scores, total)) != ST_OK || (rc = gov_poll_outcome(a, &p)) != ST_OK)
        goto out;
    rc = gov_proposal_update(a->s, &p);
out:
    free(text);
    for (unsigned i = 0; i < GOV_POLL_MAX_CHOICES; i++)
        mpz_clear(scores[i]);
    mpz_clear(total);
    gov_poll_row_clear(&row);
    gov_proposal_clear(&p);
    return rc;
}
