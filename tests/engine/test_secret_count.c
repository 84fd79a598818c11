/* SPDX-License-Identifier: MIT */
/* test_secret_count.c: the engine's count of secret polls with the real conclave-enclave and the
 * manual clock (engine/enclave_link.c), without a loop, so each count is made at a known point: a
 * count whose report waits for its block is "being counted" while the poll closed with it is
 * "queued"; a count refused (the dev hook flips a byte of its report, so its SecretPollCount fails)
 * puts its poll in back-off on the node's clock (5 s, then 10 s after a second refusal in a row)
 * and the next poll is counted meanwhile; once the back-off is over the poll is counted. Stakes:
 * devs 1 and 2 hold 100 and 300 tokens; every ballot has conviction 1. */
#include <criterion/criterion.h>
#include <secp256k1.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "enclave/platform.h"
#include "engine/engine.h"
#include "engine/governance.h"
#include "governance/gov_store.h"
#include "ledger/ballot_box.h"
#include "ledger/compute.h"
#include "ledger/hex.h"
#include "tests/lib/engine_fixture.h"
#include "tests/lib/testhelp.h"

#define ENCLAVE_BIN TEST_BUILDDIR "/conclave-enclave"
#define CHAIN 77
#define TOKEN "000000000000000000"
#define HOUR 3600
#define DAY 86400

static char shared[64], secret[128], sealed[128];
static eng *e;

static void setup(void)
{
    uint8_t platform[20], m[32];
    char platform_hex[LEDGER_ADDR_STRLEN], m_hex[67], genesis[1024];
    th_temp_dir(shared, sizeof shared, "secret-count");
    th_enclave_platform(shared, secret, sealed, platform);
    cr_assert_eq(enc_measure_file(m, ENCLAVE_BIN), ST_OK, "measure the enclave");
    ledger_addr_format(platform_hex, platform);
    ledger_hex_encode(m_hex, m, 32);
    /* epochs longer than the test: no settlement report takes the tamper hook */
    snprintf(genesis, sizeof genesis,
             "{\"chainId\":%d,\"time\":7200000,\"epochSecs\":2592000,\"staking\":{\"minContribution\":\"1\"},"
             "\"accounts\":[{\"address\":\"%s\",\"balance\":\"1000" TOKEN "\"},{\"address\":\"%s\",\"balance\":\"1000" TOKEN "\"},"
             "{\"address\":\"%s\",\"balance\":\"1000" TOKEN "\"}],"
             "\"enclave\":{\"platform\":\"%s\",\"measurements\":[\"%s\"]}}",
             CHAIN, th_dev_text(0), th_dev_text(1), th_dev_text(2), platform_hex, m_hex);
    th_open_engine(&e, "secret-count", genesis);
    cr_assert_eq(eng_enclave_configure(e, ENCLAVE_BIN, secret, sealed), ST_OK, "the enclave starts");
    th_block(e);
}

static void teardown(void)
{
    th_close_engine(e);
    th_rmtree(shared);
}

TestSuite(engine_secret_count, .init = setup, .fini = teardown, .timeout = 120);

/* A secret single-choice poll of two choices by dev 1. Returns its id. */
static uint64_t secret_poll(void)
{
    static const char payload[] = "{\"kind\":\"poll\",\"system\":\"single-choice\",\"choices\":[\"A\",\"B\"],\"secret\":true}";
    char hex[2 * sizeof payload + 3];
    ledger_hex_encode(hex, (const uint8_t *)payload, sizeof payload - 1);
    th_outcome o = { 0 };
    th_queue(e, 1, "Propose", &o, "{\"track\":\"signal\",\"title\":\"Secret\",\"body\":\"Which?\",\"payload\":\"%s\"}", hex);
    th_block(e);
    th_expect_ok(&o, "Propose");
    const char *at = strstr(o.events, "\"proposal\":");
    cr_assert_not_null(at, "ProposalCreated names the proposal: %s", o.events);
    uint64_t id = strtoull(at + strlen("\"proposal\":"), NULL, 10);
    th_outcome_clear(&o);
    return id;
}

/* Seals text to the chain's ballot key for dev who on proposal id and casts it. */
static void cast(unsigned who, uint64_t id, const char *text)
{
    static secp256k1_context *ctx;
    if (!ctx)
        ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    uint8_t key[LEDGER_BALLOT_KEY_LEN], voter[20], eph[32], iv[LEDGER_BALLOT_IV_LEN], sealed_ballot[LEDGER_BALLOT_MAX_LEN];
    size_t len = 0;
    cr_assert_eq(ledger_chain_ballot_key(eng_ledger(e), key, NULL), ST_OK, "the chain's ballot key");
    th_dev_bytes(voter, who);
    memset(eph, 0x40 + (int)who + (int)id, sizeof eph);
    memset(iv, (int)who, sizeof iv);
    cr_assert_eq(ledger_ballot_seal(ctx, sealed_ballot, sizeof sealed_ballot, &len, key, CHAIN, id, voter, text,
                                    strlen(text), eph, iv), ST_OK, "sealed");
    char *hex = ledger_hex_encode_alloc(sealed_ballot, len);
    th_expect_tx_ok(e, who, "SecretBallot", "{\"proposal\":\"%llu\",\"ciphertext\":\"%s\",\"conviction\":\"1\"}",
                    (unsigned long long)id, hex);
    free(hex);
}

static void expect_state(uint64_t id, eng_count_state want, const char *what)
{
    gov_proposal p;
    gov_proposal_init(&p);
    cr_assert_eq(gov_proposal_get(eng_gov_store(e), id, &p), ST_OK, "proposal %llu", (unsigned long long)id);
    cr_assert_eq(p.state, GOV_COUNTING, "proposal %llu is Counting (%s)", (unsigned long long)id, what);
    gov_proposal_clear(&p);
    cr_assert_eq(eng_count_state_of(e, id, NULL), want, "proposal %llu: %s", (unsigned long long)id, what);
}

/* The poll was counted: its state is final and its scores are "a b" in base units (the stored text). */
static void expect_counted(uint64_t id, const char *scores)
{
    gov_proposal p;
    gov_poll_row row;
    gov_proposal_init(&p);
    gov_poll_row_init(&row);
    cr_assert_eq(gov_proposal_get(eng_gov_store(e), id, &p), ST_OK, "proposal");
    cr_assert_eq(p.state, GOV_SUCCEEDED, "poll %llu counted and settled", (unsigned long long)id);
    cr_assert_eq(gov_poll_get(eng_gov_store(e), id, &row), ST_OK, "its poll row");
    cr_assert_not_null(row.scores, "scores stored");
    cr_assert_str_eq(row.scores, scores, "poll %llu's scores: %s", (unsigned long long)id, row.scores);
    gov_poll_row_clear(&row);
    gov_proposal_clear(&p);
}

Test(engine_secret_count, a_refused_count_waits_in_back_off_on_the_nodes_clock_and_the_next_poll_is_counted)
{
    th_expect_tx_ok(e, 0, "PoolCreate", "{\"commissionPpm\":\"0\",\"capacity\":\"1000" TOKEN "\"}");
    th_expect_tx_ok(e, 1, "Contribute", "{\"pool\":\"1\",\"amount\":\"100" TOKEN "\"}");
    th_expect_tx_ok(e, 2, "Contribute", "{\"pool\":\"1\",\"amount\":\"300" TOKEN "\"}");
    uint64_t first = secret_poll(), second = secret_poll();
    th_advance(e, HOUR);
    cast(1, first, "1");
    cast(2, first, "2");
    cast(1, second, "2");

    /* the close: the first poll's count is made at once and its report, tampered with, waits for
     * the next block; the second waits behind it */
    cr_assert_eq(eng_tamper_next_report(e, false), ST_OK, "the dev hook");
    th_advance(e, 3 * DAY);
    expect_state(first, ENG_COUNT_BEING_COUNTED, "its report waits for its block");
    expect_state(second, ENG_COUNT_QUEUED, "behind the first");

    /* the tampered count fails in its block: the first poll waits 5 s, the second is counted */
    th_block(e);
    expect_counted(second, "0 100" TOKEN);
    expect_state(first, ENG_COUNT_RETRY, "refused once");
    uint64_t retry_at = 0, now = 0;
    cr_assert_eq(eng_count_state_of(e, first, &retry_at), ENG_COUNT_RETRY, "in back-off");
    cr_assert_eq(eng_advance_time(e, 0, &now), ST_OK, "the clock");
    cr_assert_eq(retry_at, now + 5, "asked again 5 s later on the node's clock");

    /* a second refusal in a row: 10 s */
    cr_assert_eq(eng_tamper_next_report(e, false), ST_OK, "the dev hook again");
    cr_assert_not(th_advance(e, 4), "nothing to do 4 s later");
    expect_state(first, ENG_COUNT_RETRY, "still in back-off");
    th_advance(e, 1);
    expect_state(first, ENG_COUNT_BEING_COUNTED, "asked again once the back-off is over");
    th_block(e);
    cr_assert_eq(eng_count_state_of(e, first, &retry_at), ENG_COUNT_RETRY, "refused again");
    cr_assert_eq(eng_advance_time(e, 0, &now), ST_OK, "the clock");
    cr_assert_eq(retry_at, now + 10, "twice as long after a second refusal in a row");

    cr_assert_not(th_advance(e, 9), "nothing to do 9 s later");
    th_advance(e, 1);
    expect_state(first, ENG_COUNT_BEING_COUNTED, "asked again");
    th_block(e);
    expect_counted(first, "100" TOKEN " 300" TOKEN);
}
