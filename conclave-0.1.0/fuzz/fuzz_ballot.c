/* SPDX-License-Identifier: MIT */
/* fuzz_ballot.c: a poll ballot's JSON text from an untrusted voter (governance/poll.c). The first
 * byte picks the counting system (its value mod 7) and the number of choices (2 + its value / 7
 * mod 31); the rest is the ballot. Invariants: a ballot is read or refused with a message, never
 * half-read; a ballot read holds distinct choices in range, as many as its system wants; it adds to
 * a tally of its system and taking it out again leaves the tally empty; a ranking is counted by
 * the runoff. */
#include "fuzz/fuzz.h"

#include <stdbool.h>
#include <string.h>
#include "governance/poll.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    enum gov_poll_system system = (enum gov_poll_system)(1 + data[0] % 7);
    unsigned n = 2 + (data[0] / 7u) % (GOV_POLL_MAX_CHOICES - 1);
    char err[160] = "";
    gov_ballot b;
    gov_ballot_init(&b);
    int rc = gov_ballot_parse(&b, err, sizeof err, system, n, (const char *)data + 1, size - 1);
    FUZZ_CHECK(rc == ST_OK || (rc == ST_INVALID && strncmp(err, "choice: ", 8) == 0));
    if (rc == ST_OK) {
        bool seen[GOV_POLL_MAX_CHOICES] = { false };
        FUZZ_CHECK(b.n <= n);
        for (unsigned k = 0; k < b.n; k++) {
            FUZZ_CHECK(b.choice[k] < n && !seen[b.choice[k]]);
            seen[b.choice[k]] = true;
        }
        if (system == GOV_POLL_BASIC || system == GOV_POLL_SINGLE_CHOICE)
            FUZZ_CHECK(b.n == 1);
        if (system == GOV_POLL_RANKED_CHOICE || system == GOV_POLL_COPELAND)
            FUZZ_CHECK(b.n == n);
        mpz_t power, scores[GOV_POLL_MAX_CHOICES];
        mpz_init_set_str(power, "1000000000000000000", 10);
        for (unsigned i = 0; i < n; i++)
            mpz_init(scores[i]);
        if (system == GOV_POLL_RANKED_CHOICE) {
            FUZZ_CHECK(gov_poll_count_ranked(scores, n, &b, power, 1) == ST_OK);
            FUZZ_CHECK(mpz_cmp(scores[b.choice[0]], power) == 0);
        } else {
            gov_poll_tally t;
            FUZZ_CHECK(gov_poll_tally_init(&t, system, n) == ST_OK);
            FUZZ_CHECK(gov_poll_tally_add(&t, &b, power, 1) == ST_OK);
            gov_poll_tally_scores(scores, &t);
            FUZZ_CHECK(gov_poll_tally_add(&t, &b, power, -1) == ST_OK);
            FUZZ_CHECK(t.ballots == 0 && mpz_sgn(t.power) == 0);
            for (unsigned i = 0; i < n; i++)
                FUZZ_CHECK(mpz_sgn(t.acc[i]) == 0);
            gov_poll_tally_clear(&t);
        }
        for (unsigned i = 0; i < n; i++)
            mpz_clear(scores[i]);
        mpz_clear(power);
    }
    gov_ballot_clear(&b);
    return 0;
}
