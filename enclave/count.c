/* SPDX-License-Identifier: MIT */
/* count.c: the enclave's count of a secret poll (see count.h). Each ballot is opened into a stack
 * buffer, parsed, added to the tally (or, for ranked-choice, its ranking kept), and the buffer and
 * the parsed choices are wiped before the next ballot. Why a ballot is invalid is never kept: the
 * parser's message (which names choices) goes to a local buffer that is wiped unread. Weights are
 * public (they are on the ledger), so GMP holds them; choices are never in an mpz but a weighted or
 * quadratic ballot's weights, whose limbs GMP frees without wiping, inside the enclave only. */
#include "enclave/count.h"

#include <gmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "governance/poll.h"
#include "ledger/ballot_box.h"

_Static_assert(ENC_COUNT_MAX_CHOICES == GOV_POLL_MAX_CHOICES, "the report holds every choice's score");

struct enc_count {
    bool active;                 /* begun and not finished or dropped */
    enc_count_header h;
    uint32_t received, valid, invalid;
    uint8_t last_voter[20];      /* the voter of ballot received-1 */
    ledger_ballots_hash hash;
    mpz_t total;                 /* every ballot's weight */
    mpz_t weight;                /* scratch: the ballot's weight */
    bool has_tally;
    gov_poll_tally tally;        /* every system but ranked-choice */
    uint8_t *rankings;           /* ranked-choice: n_ranked rankings of n_choices bytes */
    __mpz_struct *powers;        /* ranked-choice: their weights (n_ranked initialized) */
    size_t n_ranked, cap_ranked;
};

enc_count *enc_count_new(void)
{
    enc_count *c = calloc(1, sizeof *c);
    if (c) {
        mpz_init(c->total);
        mpz_init(c->weight);
    }
    return c;
}

void enc_count_drop(enc_count *c)
{
    if (c->has_tally)
        gov_poll_tally_clear(&c->tally);
    c->has_tally = false;
    for (size_t i = 0; i < c->n_ranked; i++)
        mpz_clear(&c->powers[i]);
    if (c->rankings)
        explicit_bzero(c->rankings, c->cap_ranked * c->h.n_choices);
    free(c->rankings);
    free(c->powers);
    c->rankings = NULL;
    c->powers = NULL;
    c->n_ranked = c->cap_ranked = 0;
    c->active = false;
}

void enc_count_free(enc_count *c)
{
    if (!c)
        return;
    enc_count_drop(c);
    mpz_clear(c->total);
    mpz_clear(c->weight);
    free(c);
}

int enc_count_begin(enc_count *c, const enc_count_header *h)
{
    enc_count_drop(c);
    c->h = *h;
    c->received = c->valid = c->invalid = 0;
    memset(c->last_voter, 0, sizeof c->last_voter);
    ledger_ballots_hash_init(&c->hash);
    mpz_set_ui(c->total, 0);
    if (h->system != GOV_POLL_RANKED_CHOICE) {
        int rc = gov_poll_tally_init(&c->tally, (enum gov_poll_system)h->system, h->n_choices);
        if (rc != ST_OK)
            return rc == ST_INVALID ? ST_INVALID : ST_NOMEM;
        c->has_tally = true;
    }
    c->active = true;
    return ST_OK;
}

bool enc_count_active(const enc_count *c)
{
    return c->active;
}

uint32_t enc_count_received(const enc_count *c)
{
    return c->active ? c->received : 0;
}

bool enc_count_complete(const enc_count *c)
{
    return c->active && c->received == c->h.n_ballots;
}

/* Keeps a ranked-choice ballot's ranking and weight. Returns: ST_OK or ST_NOMEM. */
static int keep_ranking(enc_count *c, const gov_ballot *b)
{
    if (c->n_ranked == c->cap_ranked) {
        size_t cap = c->cap_ranked ? 2 * c->cap_ranked : 1024;
        if (cap > c->h.n_ballots)
            cap = c->h.n_ballots;
        uint8_t *r = malloc(cap * c->h.n_choices);
        __mpz_struct *p = realloc(c->powers, cap * sizeof *p);
        if (p)
            c->powers = p;
        if (!r || !p) {
            free(r);
            return ST_NOMEM;
        }
        if (c->rankings) {
            memcpy(r, c->rankings, c->n_ranked * c->h.n_choices);
            explicit_bzero(c->rankings, c->cap_ranked * c->h.n_choices);
            free(c->rankings);
        }
        c->rankings = r;
        c->cap_ranked = cap;
    }
    memcpy(c->rankings + c->n_ranked * c->h.n_choices, b->choice, c->h.n_choices);
    mpz_init_set(&c->powers[c->n_ranked], c->weight);
    c->n_ranked++;
    return ST_OK;
}

/* Opens, reads and counts one ballot whose weight is in c->weight. Returns: ST_OK (valid or
 * invalid, both counted) or ST_NOMEM. */
static int count_one(enc_count *c, const secp256k1_context *ctx, const uint8_t ballot_secret[32],
                     const uint8_t ballot_key[LEDGER_BALLOT_KEY_LEN], const uint8_t voter[20], const uint8_t *ct, size_t len)
{
    char text[LEDGER_BALLOT_TEXT_MAX + 1], err[128];
    size_t text_len = 0;
    gov_ballot b;
    int rc = ST_OK;
    bool valid;

    gov_ballot_init(&b);
    valid = ledger_ballot_open_keyed(ctx, text, &text_len, ballot_secret, ballot_key, c->h.chain_id, c->h.proposal, voter,
                                     ct, len) == ST_OK
            && gov_ballot_parse(&b, err, sizeof err, (enum gov_poll_system)c->h.system, c->h.n_choices, text,
                                text_len) == ST_OK;
    explicit_bzero(text, sizeof text);
    explicit_bzero(err, sizeof err);
    if (valid) {
        if (c->has_tally)
            rc = gov_poll_tally_add(&c->tally, &b, c->weight, 1);  /* a ballot its own parser read: ST_OK */
        else
            rc = keep_ranking(c, &b);
        c->valid++;
    } else {
        c->invalid++;
    }
    explicit_bzero(b.choice, sizeof b.choice);
    gov_ballot_clear(&b);
    return rc;
}

int enc_count_chunk(enc_count *c, char *why, size_t whylen, const secp256k1_context *ctx,
                    const uint8_t ballot_secret[32], const uint8_t *buf, size_t len)
{
    uint8_t ballot_key[LEDGER_BALLOT_KEY_LEN];
    size_t off = 0;
    int rc = ST_OK;

    why[0] = '\0';
    if (!c->active) {
        snprintf(why, whylen, "no count has begun");
        return ST_CONFLICT;
    }
    if (len == 0) {
        snprintf(why, whylen, "an empty chunk");
        rc = ST_INVALID;
    }
    /* made once a chunk, not once a ballot; an invalid secret leaves it zero, and no ballot opens */
    if (ledger_ballot_key(ctx, ballot_key, ballot_secret) != ST_OK)
        memset(ballot_key, 0, sizeof ballot_key);
    while (rc == ST_OK && off < len) {
        const uint8_t *voter = buf + off, *weight = buf + off + 20;
        size_t ct_len;
        uint32_t pos = c->received + 1;
        if (len - off < ENC_COUNT_BALLOT_FIXED
            || len - off - ENC_COUNT_BALLOT_FIXED < (ct_len = (size_t)buf[off + 52] << 8 | buf[off + 53])) {
            snprintf(why, whylen, "ballot %u ends past the chunk", pos);
            rc = ST_INVALID;
        } else if (c->received == c->h.n_ballots) {
            snprintf(why, whylen, "ballot %u is more than the %u announced", pos, c->h.n_ballots);
            rc = ST_INVALID;
        } else if (c->received > 0 && memcmp(voter, c->last_voter, 20) <= 0) {
            snprintf(why, whylen, "the voter of ballot %u is not above the one before it", pos);
            rc = ST_INVALID;
        } else {
            const uint8_t *ct = buf + off + ENC_COUNT_BALLOT_FIXED;
            mpz_import(c->weight, 32, 1, 1, 1, 0, weight);
            mpz_add(c->total, c->total, c->weight);
            ledger_ballots_hash_add(&c->hash, voter, weight, ct, ct_len);
            rc = count_one(c, ctx, ballot_secret, ballot_key, voter, ct, ct_len);
            if (rc != ST_OK)
                snprintf(why, whylen, "ballot %u cannot be kept: %s", pos, st_str(rc));
            memcpy(c->last_voter, voter, 20);
            c->received++;
            off += ENC_COUNT_BALLOT_FIXED + ct_len;
        }
    }
    if (rc != ST_OK)
        enc_count_drop(c);
    return rc;
}

/* Writes v as 32 big-endian bytes. Returns: false if it does not fit. */
static bool export32(uint8_t out[32], const mpz_t v)
{
    size_t n = 0;
    if (mpz_sgn(v) < 0 || mpz_sizeinbase(v, 2) > 256)
        return false;
    memset(out, 0, 32);
    if (mpz_sgn(v) > 0) {
        uint8_t tmp[32];
        mpz_export(tmp, &n, 1, 1, 1, 0, v);
        memcpy(out + 32 - n, tmp, n);
    }
    return true;
}

int enc_count_finish(enc_count *c, enc_count_report *r, char *why, size_t whylen, const uint8_t measurement[32])
{
    mpz_t scores[GOV_POLL_MAX_CHOICES];
    uint8_t hash[32];
    unsigned n = c->h.n_choices;
    int rc = ST_OK;

    why[0] = '\0';
    if (!enc_count_complete(c)) {
        snprintf(why, whylen, "no complete count");
        return ST_CONFLICT;
    }
    ledger_ballots_hash_final(&c->hash, hash);
    if (memcmp(hash, c->h.ballots_hash, 32) != 0) {
        snprintf(why, whylen, "the ballots do not match the announced ballotsHash");
        enc_count_drop(c);
        return ST_INVALID;
    }
    for (unsigned i = 0; i < n; i++)
        mpz_init(scores[i]);
    if (c->has_tally)
        gov_poll_tally_scores(scores, &c->tally);
    else if ((rc = gov_poll_count_rankings(scores, n, c->rankings, c->powers, c->n_ranked)) != ST_OK)
        snprintf(why, whylen, "the ranked-choice count failed: %s", st_str(rc));
    if (rc == ST_OK) {
        memset(r, 0, sizeof *r);
        r->chain_id = c->h.chain_id;
        r->proposal = c->h.proposal;
        memcpy(r->ballots_hash, hash, 32);
        r->count = c->received;
        r->valid = c->valid;
        r->invalid = c->invalid;
        r->n_choices = (uint8_t)n;
        memcpy(r->measurement, measurement, 32);
        bool fits = export32(r->total_power, c->total);
        for (unsigned i = 0; fits && i < n; i++)
            fits = export32(r->scores[i], scores[i]);
        if (!fits) {
            snprintf(why, whylen, "the total power or a score does not fit in 256 bits");
            rc = ST_INVALID;
        }
    }
    for (unsigned i = 0; i < n; i++)
        mpz_clear(scores[i]);
    enc_count_drop(c);
    return rc;
}
