/* SPDX-License-Identifier: MIT */
/* test_count.c: secret poll counts by the real conclave-enclave (docs/SECRET_BALLOTS.md). Ballots
 * are sealed to the enclave's ballot key, sent with enc_host_count, and the signed report is
 * parsed, its signer checked against the quoted identity and its members against the ballots:
 * hand-counted polls (single-choice, approval, ranked-choice with an elimination, weighted with
 * fractions), invalid ballots (one that does not open, one its system cannot count, one for another
 * voter) in the turnout and in no score, every system against the open polls' tally on generated
 * ballots, every protocol refusal (the enclave answering on afterwards), and a count whose stderr
 * and every answer are searched for the ballots' plaintexts, which are never there. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <gmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "enclave/enclave.h"
#include "governance/poll.h"
#include "ledger/ballot_box.h"
#include "ledger/hash.h"
#include "ledger/sig.h"
#include "tests/lib/testhelp.h"

#define BIN TEST_BUILDDIR "/conclave-enclave"
#define CHAIN 31337
#define TOKEN "000000000000000000"  /* 10^18 as decimal zeros */

static char dir[] = "/tmp/conclave-count-XXXXXX";
static char secret_path[128], sealed_dir[128];
static uint8_t platform_addr[20];
static enc_host *host;
static uint8_t ballot_key[33], enclave_addr[20], measurement[32];
static secp256k1_context *ctx;
static unsigned seed = 1;

/* Starts the enclave with its stderr on stderr_fd (-1: ours) and learns its keys. */
static void start_enclave(int stderr_fd)
{
    uint8_t sig[65], signer[20];
    int saved = -1;

    if (stderr_fd >= 0) {
        fflush(stderr);
        saved = dup(STDERR_FILENO);
        dup2(stderr_fd, STDERR_FILENO);
    }
    host = th_enclave_start(BIN, secret_path, sealed_dir);
    if (saved >= 0) {
        dup2(saved, STDERR_FILENO);
        close(saved);
    }
    th_enclave_quoted(host, CHAIN, platform_addr, enclave_addr, measurement);
    cr_assert_eq(enc_host_ballot_key(host, CHAIN, ballot_key, sig), ST_OK, "the ballot key");
    cr_assert_eq(ledger_ballot_key_signer(signer, CHAIN, ballot_key, sig), ST_OK, "signed");
    cr_assert_arr_eq(signer, enclave_addr, 20, "by the enclave");
}

static void setup(void)
{
    cr_assert_not_null(mkdtemp(dir), "a temporary directory");
    th_enclave_platform(dir, secret_path, sealed_dir, platform_addr);
    ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
}

static void teardown(void)
{
    if (host) {
        th_enclave_stop_cleanly(host);
        host = NULL;
    }
    secp256k1_context_destroy(ctx);
    th_rmtree(dir);
}

TestSuite(enclave_count, .init = setup, .fini = teardown, .timeout = 240);

/* One ballot of a test poll. */
typedef struct tballot {
    uint8_t voter;          /* the voter's address is 20 bytes of this value */
    const char *weight;     /* decimal base units */
    const char *text;       /* the choice; NULL: junk bytes that do not open */
    uint64_t seal_chain;    /* 0: CHAIN; else sealed for this chain (so it does not open) */
    uint8_t seal_voter;     /* 0: voter; else sealed for this voter */
} tballot;

static void seal_for(uint8_t *out, size_t *len, uint64_t chain, uint64_t proposal, const uint8_t voter[20],
                     const char *text)
{
    uint8_t eph[32], iv[12];
    for (size_t i = 0; i < 32; i++)
        eph[i] = (uint8_t)rand_r(&seed);
    for (size_t i = 0; i < 12; i++)
        iv[i] = (uint8_t)rand_r(&seed);
    eph[0] = 0x01;  /* below the group order */
    cr_assert_eq(ledger_ballot_seal(ctx, out, LEDGER_BALLOT_MAX_LEN, len, ballot_key, chain, proposal, voter, text,
                                    strlen(text), eph, iv), ST_OK, "seal %s", text);
}

static void weight_bytes(uint8_t out[32], const char *dec)
{
    mpz_t w;
    size_t n = 0;
    uint8_t tmp[32];
    mpz_init_set_str(w, dec, 10);
    memset(out, 0, 32);
    mpz_export(tmp, &n, 1, 1, 1, 0, w);
    memcpy(out + 32 - n, tmp, n);
    mpz_clear(w);
}

/* Counts ballots (given in ascending voter order) of a poll of system with n choices; checks the
 * report's signature and its members against the ballots, and returns it. */
static void count(enc_count_report *r, enum gov_poll_system system, unsigned n, uint64_t proposal, const tballot *b,
                  size_t nb)
{
    enc_count_header h = { .chain_id = CHAIN, .proposal = proposal, .system = (uint8_t)system,
                           .n_choices = (uint8_t)n, .n_ballots = (uint32_t)nb };
    ledger_ballots_hash hash;
    enc_count_job *job;
    mpz_t total, w;
    uint8_t total_bytes[32], signer[20];
    const uint8_t *rep;
    const char *why = "";
    char err[256];
    size_t rep_len;

    ledger_ballots_hash_init(&hash);
    mpz_inits(total, w, NULL);
    uint8_t (*cts)[LEDGER_BALLOT_MAX_LEN] = malloc(nb ? nb * sizeof *cts : 1);
    size_t *lens = calloc(nb ? nb : 1, sizeof *lens);
    for (size_t i = 0; i < nb; i++) {
        uint8_t voter[20], for_voter[20], weight[32];
        memset(voter, b[i].voter, 20);
        memset(for_voter, b[i].seal_voter ? b[i].seal_voter : b[i].voter, 20);
        if (b[i].text) {
            seal_for(cts[i], &lens[i], b[i].seal_chain ? b[i].seal_chain : CHAIN, proposal, for_voter, b[i].text);
        } else {
            lens[i] = 318;
            for (size_t k = 0; k < lens[i]; k++)
                cts[i][k] = (uint8_t)rand_r(&seed);
            cts[i][0] = 1;
        }
        weight_bytes(weight, b[i].weight);
        ledger_ballots_hash_add(&hash, voter, weight, cts[i], lens[i]);
        mpz_set_str(w, b[i].weight, 10);
        mpz_add(total, total, w);
    }
    ledger_ballots_hash_final(&hash, h.ballots_hash);
    job = enc_count_job_new(&h);
    cr_assert_not_null(job, "a job");
    for (size_t i = 0; i < nb; i++) {
        uint8_t voter[20], weight[32];
        memset(voter, b[i].voter, 20);
        weight_bytes(weight, b[i].weight);
        cr_assert_eq(enc_count_job_add(job, voter, weight, cts[i], lens[i]), ST_OK, "add ballot %zu", i);
    }
    int rc = enc_host_count(host, job, err, sizeof err, 10000);
    cr_assert_eq(rc, ST_OK, "the enclave counts: %s (%s)", st_str(rc), err);
    rep = enc_count_job_report(job, &rep_len);
    cr_assert_eq(enc_count_report_parse(r, &why, rep, rep_len), ST_OK, "the report parses: %s", why);
    cr_assert_eq(enc_count_report_signer(signer, r), ST_OK, "its signature recovers");
    cr_assert_arr_eq(signer, enclave_addr, 20, "to the enclave");
    cr_assert_eq(r->chain_id, CHAIN, "the chain");
    cr_assert_eq(r->proposal, proposal, "the proposal");
    cr_assert_arr_eq(r->ballots_hash, h.ballots_hash, 32, "the ballots' hash");
    cr_assert_eq(r->count, nb, "every ballot counted");
    cr_assert_eq(r->n_choices, n, "the choices");
    cr_assert_arr_eq(r->measurement, measurement, 32, "the enclave's measurement");
    weight_bytes(total_bytes, mpz_get_str(err, 10, total));
    cr_assert_arr_eq(r->total_power, total_bytes, 32, "the total power is every ballot's weight");
    enc_count_job_free(job);
    free(cts);
    free(lens);
    mpz_clears(total, w, NULL);
}

static void expect_scores(const enc_count_report *r, const char *const *want, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        uint8_t w[32];
        weight_bytes(w, want[i]);
        cr_assert(memcmp(r->scores[i], w, 32) == 0, "choice %u scores %s", i + 1, want[i]);
    }
}

Test(enclave_count, single_choice_by_hand_with_invalid_ballots)
{
    static const tballot b[] = {
        { 0x11, "10" TOKEN, "1", 0, 0 },
        { 0x22, "5" TOKEN, "2", 0, 0 },
        { 0x33, "3" TOKEN, "1", 0, 0 },
        { 0x44, "7" TOKEN, NULL, 0, 0 },        /* junk: does not open */
        { 0x55, "2" TOKEN, "5", 0, 0 },         /* opens; choice 5 of 3: does not parse */
        { 0x66, "1" TOKEN, "2", 1, 0 },         /* sealed for chain 1 */
        { 0x77, "4" TOKEN, "2", 0, 0x78 },      /* sealed for another voter */
    };
    static const char *const want[] = { "13" TOKEN, "5" TOKEN, "0" };
    enc_count_report r;
    start_enclave(-1);
    count(&r, GOV_POLL_SINGLE_CHOICE, 3, 7, b, sizeof b / sizeof b[0]);
    cr_assert_eq(r.valid, 3, "three valid ballots");
    cr_assert_eq(r.invalid, 4, "four invalid ones");
    expect_scores(&r, want, 3);
}

Test(enclave_count, approval_by_hand)
{
    static const tballot b[] = {
        { 0x01, "4", "[1,2]", 0, 0 },
        { 0x02, "6", "[3, 2]", 0, 0 },
        { 0x03, "1", "[]", 0, 0 },
        { 0x04, "9", "[1,1]", 0, 0 },   /* a choice twice: invalid */
    };
    static const char *const want[] = { "4", "10", "6" };
    enc_count_report r;
    start_enclave(-1);
    count(&r, GOV_POLL_APPROVAL, 3, 8, b, sizeof b / sizeof b[0]);
    cr_assert_eq(r.valid, 3, "valid");
    cr_assert_eq(r.invalid, 1, "invalid");
    expect_scores(&r, want, 3);
}

Test(enclave_count, ranked_choice_by_hand_with_an_elimination)
{
    /* Round 1: 1 has 5, 2 has 4, 3 has 3 of 12: no majority, 3 leaves. Round 2: 3's ballot goes to
     * 2: 1 has 5, 2 has 7 > 6: 2 wins. The invalid ballot's 100 is in no round. */
    static const tballot b[] = {
        { 0x01, "5", "[1,2,3]", 0, 0 },
        { 0x02, "4", "[2,1,3]", 0, 0 },
        { 0x03, "3", "[3,2,1]", 0, 0 },
        { 0x04, "100", "[1,2]", 0, 0 },  /* not a full ranking: invalid */
    };
    static const char *const want[] = { "5", "7", "0" };
    enc_count_report r;
    start_enclave(-1);
    count(&r, GOV_POLL_RANKED_CHOICE, 3, 9, b, sizeof b / sizeof b[0]);
    cr_assert_eq(r.valid, 3, "valid");
    cr_assert_eq(r.invalid, 1, "invalid");
    expect_scores(&r, want, 3);
}

Test(enclave_count, weighted_by_hand_with_fractions)
{
    /* 10 tokens split 1:3 gives 2.5 and 7.5; 4 tokens all to 2; 3 base units split 0.5:0.5:0.5
     * gives floor(1) each. */
    static const tballot b[] = {
        { 0x01, "10" TOKEN, "{\"1\":1,\"2\":3}", 0, 0 },
        { 0x02, "4" TOKEN, "{\"2\": 0.25}", 0, 0 },
        { 0x03, "3", "{\"1\":0.5,\"2\":0.5,\"3\":0.5}", 0, 0 },
        { 0x04, "8", "{\"1\":0}", 0, 0 },  /* no weight above 0: invalid */
    };
    static const char *const want[] = { "2500000000000000001", "11500000000000000001", "1" };
    enc_count_report r;
    start_enclave(-1);
    count(&r, GOV_POLL_WEIGHTED, 3, 10, b, sizeof b / sizeof b[0]);
    cr_assert_eq(r.valid, 3, "valid");
    cr_assert_eq(r.invalid, 1, "invalid");
    expect_scores(&r, want, 3);
}

Test(enclave_count, no_ballots_gives_an_empty_report)
{
    static const char *const want[] = { "0", "0", "0", "0" };
    enc_count_report r;
    start_enclave(-1);
    count(&r, GOV_POLL_RANKED_CHOICE, 4, 11, NULL, 0);
    cr_assert(r.valid == 0 && r.invalid == 0, "nothing counted");
    expect_scores(&r, want, 4);
}

/* A random valid ballot text of system with n choices, written into text. */
static void random_text(char *text, size_t cap, enum gov_poll_system system, unsigned n)
{
    uint8_t perm[GOV_POLL_MAX_CHOICES];
    size_t off = 0;
    for (unsigned i = 0; i < n; i++)
        perm[i] = (uint8_t)i;
    for (unsigned i = n - 1; i > 0; i--) {
        unsigned k = (unsigned)rand_r(&seed) % (i + 1);
        uint8_t t = perm[i];
        perm[i] = perm[k];
        perm[k] = t;
    }
    switch (system) {
    case GOV_POLL_BASIC:
    case GOV_POLL_SINGLE_CHOICE:
        snprintf(text, cap, "%u", perm[0] + 1);
        return;
    case GOV_POLL_APPROVAL: {
        unsigned m = (unsigned)rand_r(&seed) % (n + 1);
        off += (size_t)snprintf(text + off, cap - off, "[");
        for (unsigned i = 0; i < m; i++)
            off += (size_t)snprintf(text + off, cap - off, "%s%u", i ? "," : "", perm[i] + 1);
        snprintf(text + off, cap - off, "]");
        return;
    }
    case GOV_POLL_RANKED_CHOICE:
    case GOV_POLL_COPELAND:
        off += (size_t)snprintf(text + off, cap - off, "[");
        for (unsigned i = 0; i < n; i++)
            off += (size_t)snprintf(text + off, cap - off, "%s%u", i ? "," : "", perm[i] + 1);
        snprintf(text + off, cap - off, "]");
        return;
    case GOV_POLL_WEIGHTED:
    case GOV_POLL_QUADRATIC: {
        unsigned m = 1 + (unsigned)rand_r(&seed) % n;
        off += (size_t)snprintf(text + off, cap - off, "{");
        for (unsigned i = 0; i < m; i++)
            off += (size_t)snprintf(text + off, cap - off, "%s\"%u\":%u.%u", i ? "," : "", perm[i] + 1,
                                    1 + (unsigned)rand_r(&seed) % 9, (unsigned)rand_r(&seed) % 1000);
        snprintf(text + off, cap - off, "}");
        return;
    }
    }
}

/* Every system, on 40 generated ballots with some invalid, gives the scores the open polls' code
 * gives the valid ones. */
ParameterizedTestParameters(enclave_count, every_system_counts_as_the_open_polls_code)
{
    return th_indices(7);
}

ParameterizedTest(int *i, enclave_count, every_system_counts_as_the_open_polls_code)
{
    enum gov_poll_system system = (enum gov_poll_system)(*i + 1);
    unsigned n = system == GOV_POLL_BASIC ? 3 : 5;
    enum { NB = 40 };
    static char texts[NB][256], weights[NB][32];
    tballot b[NB];
    gov_ballot parsed[NB];
    mpz_t powers[NB], scores[GOV_POLL_MAX_CHOICES];
    size_t n_valid = 0;
    enc_count_report r;
    char err[128];

    seed = (unsigned)*i + 100;
    for (int v = 0; v < NB; v++) {
        random_text(texts[v], sizeof texts[v], system, n);
        if (v % 9 == 4)
            snprintf(texts[v], sizeof texts[v], "\"not a ballot\"");
        snprintf(weights[v], sizeof weights[v], "%u%06u", 1 + (unsigned)rand_r(&seed) % 1000,
                 (unsigned)rand_r(&seed) % 1000000);
        b[v] = (tballot){ .voter = (uint8_t)(v + 1), .weight = weights[v], .text = v % 13 == 6 ? NULL : texts[v] };
    }
    start_enclave(-1);
    count(&r, system, n, 20 + (uint64_t)*i, b, NB);

    for (unsigned k = 0; k < n; k++)
        mpz_init(scores[k]);
    for (int v = 0; v < NB; v++) {
        gov_ballot_init(&parsed[n_valid]);
        if (b[v].text && gov_ballot_parse(&parsed[n_valid], err, sizeof err, system, n, b[v].text,
                                          strlen(b[v].text)) == ST_OK) {
            mpz_init_set_str(powers[n_valid], b[v].weight, 10);
            n_valid++;
        } else {
            gov_ballot_clear(&parsed[n_valid]);
        }
    }
    cr_assert_eq(r.valid, n_valid, "%s: the valid ballots", gov_poll_system_name(system));
    cr_assert_eq(r.invalid, NB - n_valid, "%s: the invalid ballots", gov_poll_system_name(system));
    if (system == GOV_POLL_RANKED_CHOICE) {
        __mpz_struct pw[NB];
        for (size_t v = 0; v < n_valid; v++)
            pw[v] = powers[v][0];
        cr_assert_eq(gov_poll_count_ranked(scores, n, parsed, pw, n_valid), ST_OK, "the open count");
    } else {
        gov_poll_tally t;
        cr_assert_eq(gov_poll_tally_init(&t, system, n), ST_OK, "a tally");
        for (size_t v = 0; v < n_valid; v++)
            cr_assert_eq(gov_poll_tally_add(&t, &parsed[v], powers[v], 1), ST_OK, "add");
        gov_poll_tally_scores(scores, &t);
        gov_poll_tally_clear(&t);
    }
    for (unsigned k = 0; k < n; k++) {
        char dec[100];
        uint8_t want[32];
        weight_bytes(want, mpz_get_str(dec, 10, scores[k]));
        cr_assert(memcmp(r.scores[k], want, 32) == 0, "%s: choice %u scores %s", gov_poll_system_name(system),
                  k + 1, dec);
        mpz_clear(scores[k]);
    }
    for (size_t v = 0; v < n_valid; v++) {
        gov_ballot_clear(&parsed[v]);
        mpz_clear(powers[v]);
    }
}

/* --- Refusals --- */

/* Sends a frame and expects ERROR with text starting want. */
static void expect_error(uint8_t type, const uint8_t *payload, size_t len, const char *want)
{
    uint8_t rtype, *resp = NULL;
    size_t rlen;
    cr_assert_eq(enc_host_call(host, type, payload, len, &rtype, &resp, &rlen, 10000), ST_OK, "an answer");
    cr_assert_eq(rtype, ENC_MSG_ERROR, "ERROR (%s), not type %u", want, rtype);
    cr_assert(strncmp((char *)resp, want, strlen(want)) == 0, "'%s' begins '%s'", (char *)resp, want);
    enc_host_resp_free(resp);
}

static void expect_ack(uint8_t type, const uint8_t *payload, size_t len, uint32_t received)
{
    uint8_t rtype, *resp = NULL;
    size_t rlen;
    cr_assert_eq(enc_host_call(host, type, payload, len, &rtype, &resp, &rlen, 10000), ST_OK, "an answer");
    cr_assert_eq(rtype, ENC_MSG_COUNT_ACK, "COUNT_ACK, not type %u (%s)", rtype, rtype == ENC_MSG_ERROR ? (char *)resp : "");
    cr_assert(rlen == 4 && resp[3] == received && resp[0] == 0, "%u received", received);
    enc_host_resp_free(resp);
}

/* A header for n ballots of single-choice with 3 choices, and ballots 1..n's bytes in chunk. */
static void refusal_poll(uint8_t hdr[ENC_COUNT_HEADER_LEN], uint8_t *chunk, size_t *chunk_len, const uint8_t *voters,
                         size_t n, uint32_t announced, bool good_hash)
{
    enc_count_header h = { .chain_id = CHAIN, .proposal = 3, .system = GOV_POLL_SINGLE_CHOICE, .n_choices = 3,
                           .n_ballots = announced };
    ledger_ballots_hash hash;
    ledger_ballots_hash_init(&hash);
    *chunk_len = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t voter[20], weight[32] = { 0 }, ct[LEDGER_BALLOT_MAX_LEN];
        size_t len;
        memset(voter, voters[i], 20);
        weight[31] = 1;
        seal_for(ct, &len, CHAIN, 3, voter, "1");
        cr_assert_eq(enc_count_ballot_put(chunk, 8192, chunk_len, voter, weight, ct, len), ST_OK, "put");
        ledger_ballots_hash_add(&hash, voter, weight, ct, len);
    }
    ledger_ballots_hash_final(&hash, h.ballots_hash);
    if (!good_hash)
        h.ballots_hash[0] ^= 1;
    enc_count_header_serialize(hdr, &h);
}

Test(enclave_count, refuses_inconsistent_counts_and_answers_on)
{
    static const uint8_t ordered[] = { 1, 2, 3 }, backwards[] = { 2, 1 }, twice[] = { 1, 1 };
    uint8_t hdr[ENC_COUNT_HEADER_LEN], chunk[8192];
    size_t len;
    enc_count_report r;
    static const tballot one[] = { { 0x09, "1", "2", 0, 0 } };

    start_enclave(-1);
    refusal_poll(hdr, chunk, &len, ordered, 3, 3, true);
    expect_error(ENC_MSG_COUNT_CHUNK, chunk, len, "COUNT_CHUNK: no count has begun");
    expect_error(ENC_MSG_COUNT_BEGIN, hdr, sizeof hdr - 1, "COUNT_BEGIN: the header is not 54 bytes");
    hdr[16] = 8;
    expect_error(ENC_MSG_COUNT_BEGIN, hdr, sizeof hdr, "COUNT_BEGIN: unknown counting system");
    hdr[16] = GOV_POLL_BASIC;
    hdr[17] = 4;
    expect_error(ENC_MSG_COUNT_BEGIN, hdr, sizeof hdr, "COUNT_BEGIN: the number of choices");
    hdr[16] = GOV_POLL_SINGLE_CHOICE;
    hdr[17] = 33;
    expect_error(ENC_MSG_COUNT_BEGIN, hdr, sizeof hdr, "COUNT_BEGIN: the number of choices");
    hdr[17] = 3;
    hdr[18] = 0xff;
    expect_error(ENC_MSG_COUNT_BEGIN, hdr, sizeof hdr, "COUNT_BEGIN: more ballots than one count takes");

    /* more ballots than announced */
    refusal_poll(hdr, chunk, &len, ordered, 3, 2, true);
    expect_ack(ENC_MSG_COUNT_BEGIN, hdr, sizeof hdr, 0);
    expect_error(ENC_MSG_COUNT_CHUNK, chunk, len, "COUNT_CHUNK: ballot 3 is more than the 2 announced");
    expect_error(ENC_MSG_COUNT_CHUNK, chunk, len, "COUNT_CHUNK: no count has begun");  /* it was dropped */

    /* out of order, then twice */
    refusal_poll(hdr, chunk, &len, backwards, 2, 2, true);
    expect_ack(ENC_MSG_COUNT_BEGIN, hdr, sizeof hdr, 0);
    expect_error(ENC_MSG_COUNT_CHUNK, chunk, len, "COUNT_CHUNK: the voter of ballot 2 is not above");
    refusal_poll(hdr, chunk, &len, twice, 2, 2, true);
    expect_ack(ENC_MSG_COUNT_BEGIN, hdr, sizeof hdr, 0);
    expect_error(ENC_MSG_COUNT_CHUNK, chunk, len, "COUNT_CHUNK: the voter of ballot 2 is not above");

    /* a chunk that ends inside a ballot, and an empty one */
    refusal_poll(hdr, chunk, &len, ordered, 3, 3, true);
    expect_ack(ENC_MSG_COUNT_BEGIN, hdr, sizeof hdr, 0);
    expect_error(ENC_MSG_COUNT_CHUNK, chunk, len - 1, "COUNT_CHUNK: ballot 3 ends past the chunk");
    expect_ack(ENC_MSG_COUNT_BEGIN, hdr, sizeof hdr, 0);
    expect_error(ENC_MSG_COUNT_CHUNK, chunk, 0, "COUNT_CHUNK: an empty chunk");

    /* the ballots in two chunks, acknowledged, then a hash that does not match */
    refusal_poll(hdr, chunk, &len, ordered, 3, 3, false);
    expect_ack(ENC_MSG_COUNT_BEGIN, hdr, sizeof hdr, 0);
    size_t first = ENC_COUNT_BALLOT_FIXED + ((size_t)chunk[52] << 8 | chunk[53]);
    expect_ack(ENC_MSG_COUNT_CHUNK, chunk, first, 1);
    expect_error(ENC_MSG_COUNT_CHUNK, chunk + first, len - first,
                 "COUNT: the ballots do not match the announced ballotsHash");

    /* a new COUNT_BEGIN drops an unfinished count; the enclave counts on */
    refusal_poll(hdr, chunk, &len, ordered, 3, 3, true);
    expect_ack(ENC_MSG_COUNT_BEGIN, hdr, sizeof hdr, 0);
    count(&r, GOV_POLL_SINGLE_CHOICE, 3, 12, one, 1);
    cr_assert_eq(r.valid, 1, "a later count works");
}

Test(enclave_count, the_job_refuses_misuse)
{
    enc_count_header h = { .chain_id = CHAIN, .proposal = 1, .system = GOV_POLL_SINGLE_CHOICE, .n_choices = 2,
                           .n_ballots = 1 };
    uint8_t voter[20] = { 1 }, weight[32] = { 0 }, type;
    const uint8_t *payload;
    size_t len;
    char why[128];
    enc_count_job *j = enc_count_job_new(&h);

    cr_assert_eq(enc_count_job_next(j, &type, &payload, &len), ST_CONFLICT, "not every ballot added");
    cr_assert_eq(enc_count_job_add(j, voter, weight, (const uint8_t *)"x", 70000), ST_INVALID, "over 65535 bytes");
    cr_assert_eq(enc_count_job_add(j, voter, weight, (const uint8_t *)"x", 1), ST_OK, "one ballot");
    cr_assert_eq(enc_count_job_add(j, voter, weight, (const uint8_t *)"x", 1), ST_LIMIT, "more than announced");
    cr_assert_eq(enc_count_job_answer(j, why, sizeof why, ENC_MSG_COUNT_ACK, NULL, 0), ST_INVALID, "nothing sent");
    cr_assert_eq(enc_count_job_next(j, &type, &payload, &len), ST_OK, "COUNT_BEGIN");
    cr_assert(type == ENC_MSG_COUNT_BEGIN && len == ENC_COUNT_HEADER_LEN, "the header");
    cr_assert_eq(enc_count_job_next(j, &type, &payload, &len), ST_PENDING, "awaiting the answer");
    cr_assert_eq(enc_count_job_answer(j, why, sizeof why, ENC_MSG_COUNT_ACK, (const uint8_t *)"\0\0\0\0", 4),
                 ST_PENDING, "acknowledged");
    cr_assert_eq(enc_count_job_next(j, &type, &payload, &len), ST_OK, "the chunk");
    cr_assert(type == ENC_MSG_COUNT_CHUNK && len == ENC_COUNT_BALLOT_FIXED + 1, "one ballot in it");
    cr_assert_eq(enc_count_job_answer(j, why, sizeof why, ENC_MSG_COUNT_ACK, (const uint8_t *)"\0\0\0\1", 4),
                 ST_INVALID, "an ACK where the report was due");
    cr_assert(strstr(why, "message type 10") != NULL, "says so: %s", why);
    cr_assert_eq(enc_count_job_next(j, &type, &payload, &len), ST_NOTFOUND, "the job is over");
    enc_count_job_free(j);
}

Test(enclave_count, chunks_stay_under_the_target)
{
    enum { NB = 5000 };
    enc_count_header h = { .chain_id = CHAIN, .proposal = 1, .system = GOV_POLL_SINGLE_CHOICE, .n_choices = 2,
                           .n_ballots = NB };
    static uint8_t ct[LEDGER_BALLOT_MAX_LEN];
    uint8_t voter[20] = { 0 }, weight[32] = { 0 }, type;
    const uint8_t *payload;
    size_t len, frames = 0, ballots = 0;
    char why[64];
    enc_count_job *j = enc_count_job_new(&h);
    for (int v = 0; v < NB; v++) {
        voter[18] = (uint8_t)(v >> 8);
        voter[19] = (uint8_t)v;
        cr_assert_eq(enc_count_job_add(j, voter, weight, ct, sizeof ct), ST_OK, "add");
    }
    while (enc_count_job_next(j, &type, &payload, &len) == ST_OK) {
        uint8_t ack[4];
        frames++;
        cr_assert_leq(len, ENC_COUNT_CHUNK_TARGET, "frame %zu is %zu bytes", frames, len);
        if (type == ENC_MSG_COUNT_CHUNK)
            ballots += len / (ENC_COUNT_BALLOT_FIXED + sizeof ct);
        if (ballots == NB)
            break;
        ack[0] = (uint8_t)(ballots >> 24), ack[1] = (uint8_t)(ballots >> 16), ack[2] = (uint8_t)(ballots >> 8);
        ack[3] = (uint8_t)ballots;
        cr_assert_eq(enc_count_job_answer(j, why, sizeof why, ENC_MSG_COUNT_ACK, ack, 4), ST_PENDING, "ack");
    }
    cr_assert_eq(ballots, NB, "every ballot in a chunk");
    cr_assert_gt(frames, 10, "in several chunks (%zu frames)", frames);
    enc_count_job_free(j);
}

/* --- Nothing decrypted leaves the enclave --- */

static bool contains(const uint8_t *hay, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    for (size_t i = 0; m <= n && i <= n - m; i++)
        if (memcmp(hay + i, needle, m) == 0)
            return true;
    return false;
}

Test(enclave_count, no_plaintext_in_its_stderr_or_its_answers)
{
    /* distinctive texts: weights no other output has, and a text that parses for no system */
    static const char *const secrets[] = {
        "{\"1\":0.314159265,\"2\":2.718281828}",
        "{\"2\":1.414213562}",
        "[\"SECRET-MARKER-7f3a\"]",
        "{\"3\":0.577215664,\"1\":9.869604401}",
    };
    static const char *const needles[] = { "314159265", "718281828", "414213562", "SECRET-MARKER",
                                            "577215664", "869604401" };
    tballot b[4];
    enc_count_report r;
    char log_path[256], err[256];
    size_t log_len;
    int fd;

    snprintf(log_path, sizeof log_path, "%s/enclave.stderr", dir);
    fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    cr_assert_geq(fd, 0, "a file for the enclave's stderr");
    start_enclave(fd);
    close(fd);
    for (int i = 0; i < 4; i++)
        b[i] = (tballot){ .voter = (uint8_t)(0x30 + i), .weight = "1000", .text = secrets[i] };
    count(&r, GOV_POLL_WEIGHTED, 3, 13, b, 4);
    cr_assert(r.valid == 3 && r.invalid == 1, "three valid, one invalid");

    /* the report's bytes, and the answers of a failed count (hash mismatch) */
    {
        uint8_t rep[ENC_COUNT_REPORT_MAX + 65];
        size_t len;
        cr_assert_eq(enc_count_report_serialize(rep, sizeof rep, &len, &r), ST_OK, "the report's bytes");
        for (size_t k = 0; k < sizeof needles / sizeof needles[0]; k++)
            cr_assert(!contains(rep, len, needles[k]), "the report has no %s", needles[k]);
    }
    {
        enc_count_header h = { .chain_id = CHAIN, .proposal = 13, .system = GOV_POLL_WEIGHTED, .n_choices = 3,
                               .n_ballots = 1 };
        uint8_t voter[20], weight[32] = { 0 }, ct[LEDGER_BALLOT_MAX_LEN];
        size_t len;
        memset(voter, 0x30, 20);
        seal_for(ct, &len, CHAIN, 13, voter, secrets[0]);
        enc_count_job *j = enc_count_job_new(&h);
        cr_assert_eq(enc_count_job_add(j, voter, weight, ct, len), ST_OK, "add");
        cr_assert_eq(enc_host_count(host, j, err, sizeof err, 10000), ST_INVALID, "refused: the hash is zero");
        for (size_t k = 0; k < sizeof needles / sizeof needles[0]; k++)
            cr_assert(!contains((const uint8_t *)err, strlen(err), needles[k]), "the error has no %s", needles[k]);
        enc_count_job_free(j);
    }
    {
        int ws;
        cr_assert_eq(enc_host_stop(host, &ws), ST_OK, "stops");
        host = NULL;
    }
    char *log = th_read_file(log_path, &log_len);
    cr_assert_not_null(log, "the enclave's stderr");
    cr_assert(contains((const uint8_t *)log, log_len, "conclave-enclave: sealed a new identity"),
              "the file did capture its stderr");
    for (size_t k = 0; k < sizeof needles / sizeof needles[0]; k++)
        cr_assert(!contains((const uint8_t *)log, log_len, needles[k]), "its stderr has no %s", needles[k]);
    free(log);
}
