/* SPDX-License-Identifier: MIT */
/* test_count_unit.c: the enclave's count (enclave/count.h) and the host's count job in process,
 * without the enclave program: calls out of order refused and the count dropped, and every
 * allocation failing in turn (this binary links with --wrap=malloc,--wrap=realloc,--wrap=calloc):
 * each step then answers ST_NOMEM or succeeds, nothing crashes, and once no allocation fails the
 * count is the one made without failures. */
#include <criterion/criterion.h>
#include <secp256k1.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "enclave/count.h"
#include "enclave/enclave.h"
#include "governance/poll.h"
#include "ledger/ballot_box.h"
#include "tests/lib/testhelp.h"

#define CHAIN 5
#define PROPOSAL 6
enum { NB = 12 };

static secp256k1_context *ctx;
static uint8_t secret[32], key[33];
static uint8_t chunk[NB * (ENC_COUNT_BALLOT_FIXED + LEDGER_BALLOT_MAX_LEN)];
static size_t chunk_len;
static enc_count_header header;

/* NB ranked-choice ballots of 3 choices, one of them invalid, in one chunk. */
static void setup(void)
{
    static const char *const texts[] = { "[1,2,3]", "[2,3,1]", "[3,1,2]", "[1,3,2]" };
    ledger_ballots_hash hash;
    ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    memset(secret, 0x3c, sizeof secret);
    cr_assert_eq(ledger_ballot_key(ctx, key, secret), ST_OK, "a ballot key");
    ledger_ballots_hash_init(&hash);
    chunk_len = 0;
    for (int v = 0; v < NB; v++) {
        uint8_t voter[20], weight[32] = { 0 }, eph[32], iv[12], ct[LEDGER_BALLOT_MAX_LEN];
        size_t len;
        const char *text = v == 7 ? "[1,1,2]" : texts[v % 4];
        memset(voter, v + 1, 20);
        weight[31] = (uint8_t)(v + 1);
        memset(eph, v + 9, 32);
        memset(iv, v, 12);
        cr_assert_eq(ledger_ballot_seal(ctx, ct, sizeof ct, &len, key, CHAIN, PROPOSAL, voter, text, strlen(text), eph,
                                        iv), ST_OK, "seal");
        cr_assert_eq(enc_count_ballot_put(chunk, sizeof chunk, &chunk_len, voter, weight, ct, len), ST_OK, "put");
        ledger_ballots_hash_add(&hash, voter, weight, ct, len);
    }
    header = (enc_count_header){ .chain_id = CHAIN, .proposal = PROPOSAL, .system = GOV_POLL_RANKED_CHOICE,
                                 .n_choices = 3, .n_ballots = NB };
    ledger_ballots_hash_final(&hash, header.ballots_hash);
}

static void teardown(void)
{
    secp256k1_context_destroy(ctx);
}

TestSuite(enclave_count_unit, .init = setup, .fini = teardown);

static const uint8_t measurement[32] = { 9 };

Test(enclave_count_unit, refuses_calls_out_of_order)
{
    enc_count *c = enc_count_new();
    enc_count_report r;
    char why[128];
    enc_count_header bad = header;

    cr_assert_not_null(c, "a count");
    cr_assert(!enc_count_active(c) && enc_count_received(c) == 0, "idle");
    cr_assert_eq(enc_count_chunk(c, why, sizeof why, ctx, secret, chunk, chunk_len), ST_CONFLICT, "no chunk first");
    cr_assert_str_eq(why, "no count has begun", "why");
    cr_assert_eq(enc_count_finish(c, &r, why, sizeof why, measurement), ST_CONFLICT, "no finish first");
    bad.n_choices = 1;
    bad.system = GOV_POLL_APPROVAL;
    cr_assert_eq(enc_count_begin(c, &bad), ST_INVALID, "one choice is refused");
    cr_assert(!enc_count_active(c), "and c is idle");
    cr_assert_eq(enc_count_begin(c, &header), ST_OK, "begins");
    cr_assert_eq(enc_count_finish(c, &r, why, sizeof why, measurement), ST_CONFLICT, "not complete");
    cr_assert_str_eq(why, "no complete count", "why");
    cr_assert_eq(enc_count_begin(c, &header), ST_OK, "begins again");
    cr_assert_eq(enc_count_chunk(c, why, sizeof why, ctx, secret, chunk, chunk_len), ST_OK, "every ballot");
    cr_assert(enc_count_complete(c) && enc_count_received(c) == NB, "complete");
    enc_count_drop(c);
    cr_assert(!enc_count_active(c), "dropped");
    cr_assert_eq(enc_count_finish(c, &r, why, sizeof why, measurement), ST_CONFLICT, "nothing to finish");
    enc_count_free(c);
    enc_count_free(NULL);
}

/* One whole count; every step may fail with ST_NOMEM only. Returns: true if it got a report. */
static bool try_count(enc_count_report *r)
{
    char why[128];
    enc_count *c = enc_count_new();
    bool ok = false;
    int rc;
    if (!c)
        return false;
    rc = enc_count_begin(c, &header);
    if (rc == ST_OK)
        rc = enc_count_chunk(c, why, sizeof why, ctx, secret, chunk, chunk_len);
    if (rc == ST_OK)
        rc = enc_count_finish(c, r, why, sizeof why, measurement);
    cr_assert(rc == ST_OK || rc == ST_NOMEM, "a step fails only for memory: %s", st_str(rc));
    ok = rc == ST_OK;
    enc_count_free(c);
    return ok;
}

/* Fails each allocation of a count of system in turn. */
static void sweep(enum gov_poll_system system)
{
    enc_count_report want, got;
    header.system = (uint8_t)system;
    th_alloc_fail_at(0);
    cr_assert(try_count(&want), "the count without failures");
    cr_assert(want.valid == NB - 1 && want.invalid == 1, "eleven valid ballots, one invalid");
    int fail_at = 1;
    for (;; fail_at++) {
        th_alloc_fail_at(fail_at);
        bool ok = try_count(&got);
        bool injected = th_alloc_failed();
        th_alloc_fail_at(0);
        if (!injected) {
            cr_assert(ok, "with no failure left to inject it counts");
            break;
        }
        if (ok)
            cr_assert(memcmp(&got, &want, sizeof got) == 0, "a count that survived failure %d is the same", fail_at);
    }
    cr_assert_gt(fail_at, 2, "several allocations were failed (%d)", fail_at);
}

Test(enclave_count_unit, ranked_choice_survives_every_allocation_failing_in_turn)
{
    sweep(GOV_POLL_RANKED_CHOICE);
}

Test(enclave_count_unit, copeland_survives_every_allocation_failing_in_turn)
{
    sweep(GOV_POLL_COPELAND);
}

Test(enclave_count_unit, the_job_survives_every_allocation_failing_in_turn)
{
    for (int fail_at = 1;; fail_at++) {
        enc_count_job *j;
        bool injected;
        int rc = ST_OK;
        size_t off = 0;
        th_alloc_fail_at(fail_at);
        j = enc_count_job_new(&header);
        while (j && rc == ST_OK && off < chunk_len) {
            size_t len = (size_t)chunk[off + 52] << 8 | chunk[off + 53];
            rc = enc_count_job_add(j, chunk + off, chunk + off + 20, chunk + off + ENC_COUNT_BALLOT_FIXED, len);
            off += ENC_COUNT_BALLOT_FIXED + len;
        }
        injected = th_alloc_failed();
        th_alloc_fail_at(0);
        cr_assert(rc == ST_OK || rc == ST_NOMEM, "adding fails only for memory: %s", st_str(rc));
        if (j && rc == ST_OK) {
            uint8_t type;
            const uint8_t *payload;
            size_t len;
            cr_assert_eq(enc_count_job_next(j, &type, &payload, &len), ST_OK, "the header");
            cr_assert_eq(type, ENC_MSG_COUNT_BEGIN, "first");
        }
        enc_count_job_free(j);
        if (!injected)
            break;
    }
}
