/* SPDX-License-Identifier: MIT */
/* test_secret_polls.c: secret polls on a real conclaved --dev through JSON-RPC with the manual
 * clock, before any count: the secret payload flag, SecretBallots with the power, conviction,
 * lock and delegation rules of a Ballot (a re-vote replaces, a delegator's own ballot overrides),
 * events that carry the ciphertext's hash and never a choice, gov_getResults that hides the scores
 * but shows the turnout, gov_getSecretBallots (paged, with the ballots hash computed here by hand),
 * every refusal with its reason and no change, and the close on a node without an enclave:
 * Counting, ProposalCounting, and the poll waiting for one; and the ballot key enclave_getAttestation
 * shows. The ciphertexts are opaque bytes of the right lengths: the node
 * never reads them. Stakes: devs 1, 2, 3, 4 hold 100, 200, 300, 400 tokens in pool 1. */
#include <criterion/criterion.h>
#include <gmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ledger/amount.h"
#include "ledger/ballot_box.h"
#include "ledger/hash.h"
#include "ledger/hex.h"
#include "tests/lib/node.h"
#include "tests/lib/testhelp.h"

#define TOKEN "000000000000000000"
#define HOUR 3600
#define DAY 86400
#define CT_MAX (62 + 256 * 8)

static th_node *const node = &th_suite_node;

TestSuite(integration_secret_polls, .init = th_suite_node_start, .fini = th_suite_node_stop, .timeout = 120);

static void stake(void)
{
    static const char *const stakes[] = { "100", "200", "300", "400" };
    th_stake(node, 1, stakes, 4);
}

/* A proposal on the signal track by dev 1 with payload (JSON text, "" for a text proposal). */
static unsigned propose(const char *payload)
{
    return th_propose(node, 1, "signal", payload);
}

/* A ciphertext of len bytes whose content seed picks (the node never reads it): 0x01 first, as
 * the format's version. Out: ct; hex its 0x-hex (2 + 2 len + 1 bytes). */
static void ciphertext(uint8_t *ct, char *hex, size_t len, unsigned seed)
{
    ct[0] = 1;
    for (size_t i = 1; i < len; i++)
        ct[i] = (uint8_t)(seed * 131 + i * 31 + (i >> 8));
    ledger_hex_encode(hex, ct, len);
}

/* What a voter's standing secret ballot should be: its ciphertext and weight (own + delegated). */
typedef struct expected_ballot {
    unsigned who;
    uint8_t ct[CT_MAX];
    size_t len;
    const char *weight;             /* base units */
} expected_ballot;

/* Casts a SecretBallot by b->who with a new ciphertext of b->len bytes (seed), which b keeps.
 * Returns its events (caller deletes); asserts the event's type and that it holds no choice. */
static cJSON *secret_ballot(expected_ballot *b, unsigned id, unsigned conviction, unsigned seed, const char *type)
{
    char hex[2 * CT_MAX + 3];
    ciphertext(b->ct, hex, b->len, seed);
    cJSON *events = th_send_ok(node, b->who, "SecretBallot", "{\"proposal\":\"%u\",\"ciphertext\":\"%s\",\"conviction\":\"%u\"}",
                               id, hex, conviction);
    const cJSON *ev = cJSON_GetArrayItem(events, 0);
    char *text = cJSON_PrintUnformatted(events);
    cr_assert_str_eq(th_str(ev, "type"), type, "the event: %s", text);
    cr_assert_null(cJSON_GetObjectItemCaseSensitive(ev, "choice"), "no choice in the event: %s", text);
    uint8_t hash[32];
    char hash_hex[67];
    ledger_sha256(hash, b->ct, b->len);
    ledger_hex_encode(hash_hex, hash, 32);
    cr_assert_str_eq(th_str(ev, "ciphertextHash"), hash_hex, "the event names the ciphertext by its sha256: %s", text);
    cr_assert_str_eq(th_str(ev, "voter"), th_addr(b->who), "voter");
    cJSON_free(text);
    return events;
}

/* The failed receipt of a transaction, with reason in its error; the nonce is consumed. */
static void expect_failed(cJSON *resp, const char *reason)
{
    const cJSON *r = th_result(resp);
    char *text = cJSON_PrintUnformatted(resp);
    cr_assert_str_eq(th_str(r, "status"), "failed", "refused: %s", text);
    cr_assert(strstr(th_str(r, "error"), reason), "reason \"%s\" in %s", reason, text);
    cJSON_free(text);
    cJSON_Delete(resp);
}

/* A -32602 refusal before it applies, with reason in its message. */
static void expect_invalid(cJSON *resp, const char *reason)
{
    char *text = cJSON_PrintUnformatted(resp);
    cr_assert_eq(th_error_code(resp), -32602, "refused before it applies: %s", text);
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(resp, "error");
    cr_assert(strstr(th_str(err, "message"), reason), "reason \"%s\" in %s", reason, text);
    cJSON_free(text);
    cJSON_Delete(resp);
}

/* The ballots hash of ballots (in voter address order), computed as docs/API.md says. */
static void ballots_hash(char out[67], expected_ballot *const *ballots, unsigned n)
{
    uint8_t buf[(20 + 32 + 32) * 8], *p = buf;
    cr_assert_leq(n, 8, "few ballots");
    mpz_t w;
    mpz_init(w);
    for (unsigned i = 0; i < n; i++) {
        cr_assert_eq(ledger_addr_parse(p, th_addr(ballots[i]->who)), ST_OK, "address");
        cr_assert_eq(mpz_set_str(w, ballots[i]->weight, 10), 0, "weight");
        ledger_amount_to_word(p + 20, w);
        ledger_sha256(p + 52, ballots[i]->ct, ballots[i]->len);
        p += 84;
    }
    mpz_clear(w);
    uint8_t hash[32];
    ledger_sha256(hash, buf, (size_t)(p - buf));
    ledger_hex_encode(out, hash, 32);
}

/* Sorts ballots by voter address (as the node orders them). */
static void by_address(expected_ballot **ballots, unsigned n)
{
    for (unsigned i = 1; i < n; i++)
        for (unsigned j = i; j > 0; j--) {
            uint8_t a[20], b[20];
            cr_assert_eq(ledger_addr_parse(a, th_addr(ballots[j - 1]->who)), ST_OK, "address");
            cr_assert_eq(ledger_addr_parse(b, th_addr(ballots[j]->who)), ST_OK, "address");
            if (memcmp(a, b, 20) <= 0)
                break;
            expected_ballot *t = ballots[j];
            ballots[j] = ballots[j - 1];
            ballots[j - 1] = t;
        }
}

/* gov_getSecretBallots of id, read two at a time, against ballots (voter order) and hash. */
static void expect_secret_ballots(unsigned id, expected_ballot *const *ballots, unsigned n, const char *hash)
{
    char cursor[64] = "";
    unsigned seen = 0;
    for (;;) {
        cJSON *resp = *cursor ? th_callf(node, "gov_getSecretBallots", "{\"id\":%u,\"limit\":2,\"cursor\":\"%s\"}", id, cursor)
                              : th_callf(node, "gov_getSecretBallots", "{\"id\":%u,\"limit\":2}", id);
        const cJSON *r = th_result(resp), *b;
        char *text = cJSON_PrintUnformatted(r);
        cr_assert_eq(th_num(r, "proposal"), id, "proposal: %s", text);
        cr_assert_str_eq(th_str(r, "ballotsHash"), hash, "ballotsHash: %s", text);
        cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(r, "ballots")) {
            cr_assert_lt(seen, n, "no more ballots than cast: %s", text);
            char hex[2 * CT_MAX + 3];
            ledger_hex_encode(hex, ballots[seen]->ct, ballots[seen]->len);
            cr_assert_str_eq(th_str(b, "voter"), th_addr(ballots[seen]->who), "voter order: %s", text);
            cr_assert_str_eq(th_str(b, "ciphertext"), hex, "the standing ciphertext of dev %u", ballots[seen]->who);
            mpz_t w, dw;
            mpz_init_set_str(w, th_str(b, "weight"), 10);
            mpz_init_set_str(dw, th_str(b, "delegatedWeight"), 10);
            mpz_add(w, w, dw);
            char *sum = mpz_get_str(NULL, 10, w);
            cr_assert_str_eq(sum, ballots[seen]->weight, "weight + delegatedWeight of dev %u", ballots[seen]->who);
            free(sum);
            mpz_clears(w, dw, NULL);
            seen++;
        }
        const cJSON *next = cJSON_GetObjectItemCaseSensitive(r, "next");
        bool more = cJSON_IsString(next);
        if (more)
            snprintf(cursor, sizeof cursor, "%s", next->valuestring);
        cJSON_free(text);
        cJSON_Delete(resp);
        if (!more)
            break;
    }
    cr_assert_eq(seen, n, "every standing ballot listed once");
}

/* gov_getResults of a secret poll not counted yet: scores hidden, the turnout's parts public. */
static void expect_hidden_results(unsigned id, const char *state, const char *total, unsigned ballots)
{
    cJSON *resp = th_callf(node, "gov_getResults", "{\"id\":%u}", id);
    const cJSON *r = th_result(resp);
    char *text = cJSON_PrintUnformatted(r);
    cr_assert_str_eq(th_str(r, "state"), state, "state: %s", text);
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "secret")), "secret: %s", text);
    cr_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(r, "scores")), "no scores before the count: %s", text);
    cr_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(r, "winner")), "no winner: %s", text);
    cr_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(r, "validVotes")), "validity unknown: %s", text);
    cr_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(r, "invalidVotes")), "validity unknown: %s", text);
    cr_assert_eq(th_num(r, "totalVotes"), ballots, "the standing ballots: %s", text);
    cr_assert_str_eq(th_str(r, "scoresTotal"), total, "their power: %s", text);
    cr_assert(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(r, "final")), "not final: %s", text);
    cJSON_free(text);
    cJSON_Delete(resp);
}

static void expect_turnout(unsigned id, const char *turnout)
{
    cJSON *resp = th_callf(node, "gov_getTally", "{\"id\":%u}", id);
    const cJSON *tally = cJSON_GetObjectItemCaseSensitive(th_result(resp), "tally");
    cr_assert_str_eq(th_str(tally, "turnout"), turnout, "the turnout is public");
    cr_assert_str_eq(th_str(tally, "for"), "0", "a poll's for stays 0");
    cJSON_Delete(resp);
}

Test(integration_secret_polls, secret_ballots_count_power_as_ballots_do_and_the_close_waits_for_an_enclave)
{
    /* a node without an enclave: the poll waits at its close */
    static const char *const no_enclave[] = { "--no-enclave", NULL };
    th_node_cleanup(node);
    node->options = no_enclave;
    th_node_start(node, false);
    stake();
    th_send_done(node, 4, "Delegate", "{\"to\":\"%s\",\"conviction\":\"1\"}", th_addr(1));
    unsigned id = propose("{\"kind\":\"poll\",\"system\":\"single-choice\",\"choices\":[\"A\",\"B\",\"C\"],\"secret\":true}");
    cJSON *resp = th_callf(node, "gov_getProposal", "{\"id\":%u}", id);
    const cJSON *payload = cJSON_GetObjectItemCaseSensitive(th_result(resp), "payload");
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(payload, "secret")), "the payload says secret");
    cJSON_Delete(resp);
    th_node_advance(node, HOUR);

    /* dev 1 carries dev 4 (400 at conviction 1): 100 + 400; dev 2 at conviction 0: 20; dev 3 at
     * conviction 2: 600 and a lock of 2 periods after voteEnd */
    expected_ballot d1 = { .who = 1, .len = 62 + 256, .weight = "500" TOKEN };
    expected_ballot d2 = { .who = 2, .len = 62 + 256 * 2, .weight = "20" TOKEN };
    expected_ballot d3 = { .who = 3, .len = CT_MAX, .weight = "600" TOKEN };
    expected_ballot d4 = { .who = 4, .len = 62 + 256, .weight = "400" TOKEN };
    cJSON_Delete(secret_ballot(&d1, id, 1, 1, "SecretBallotCast"));
    cJSON_Delete(secret_ballot(&d2, id, 0, 2, "SecretBallotCast"));
    cJSON *events = secret_ballot(&d3, id, 2, 3, "SecretBallotCast");
    const cJSON *ev = cJSON_GetArrayItem(events, 0);
    cr_assert_str_eq(th_str(ev, "weight"), "600" TOKEN, "conviction 2 doubles the power");
    cr_assert(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(ev, "lockedUntil")), "conviction locks as a Ballot's");
    cJSON_Delete(events);
    expect_hidden_results(id, "Active", "1120" TOKEN, 3);
    expect_turnout(id, "1000" TOKEN);

    /* a re-vote replaces the ballot and counts the same power */
    cJSON_Delete(secret_ballot(&d1, id, 1, 11, "SecretBallotChanged"));
    expect_hidden_results(id, "Active", "1120" TOKEN, 3);
    /* dev 4's own ballot overrides its delegation: its power leaves dev 1's */
    events = secret_ballot(&d4, id, 1, 4, "SecretBallotCast");
    cr_assert_str_eq(th_str(cJSON_GetArrayItem(events, 0), "overrides"), th_addr(1), "dev 4 overrides its delegate");
    cJSON_Delete(events);
    d1.weight = "100" TOKEN;
    expect_hidden_results(id, "Active", "1120" TOKEN, 4);
    expect_turnout(id, "1000" TOKEN);

    expected_ballot *order[] = { &d1, &d2, &d3, &d4 };
    by_address(order, 4);
    char hash[67];
    ballots_hash(hash, order, 4);
    expect_secret_ballots(id, order, 4, hash);

    /* the votes list shows neither side nor choice for a secret ballot */
    resp = th_callf(node, "gov_getVote", "{\"id\":%u,\"voter\":\"%s\"}", id, th_addr(3));
    cr_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(th_result(resp), "choice")), "no choice in gov_getVote");
    cr_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(th_result(resp), "support")), "no side in gov_getVote");
    cJSON_Delete(resp);

    /* at voteEnd the poll is Counting: its ballots are fixed by their hash */
    th_node_advance(node, 3 * DAY);
    resp = th_callf(node, "ledger_getEvents", "{\"type\":\"ProposalCounting\",\"fromHeight\":1}");
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(th_result(resp), "events");
    cr_assert_eq(cJSON_GetArraySize(list), 1, "one ProposalCounting");
    ev = cJSON_GetArrayItem(list, 0);
    cr_assert_eq(th_num(ev, "proposal"), id, "of the poll");
    cr_assert_eq(th_num(ev, "ballots"), 4, "its standing ballots");
    cr_assert_str_eq(th_str(ev, "turnout"), "1000" TOKEN, "its turnout");
    cr_assert_str_eq(th_str(ev, "ballotsHash"), hash, "its ballots hash");
    cr_assert_str_eq(th_str(ev, "area"), "governance", "a governance event");
    cJSON_Delete(resp);
    resp = th_callf(node, "gov_getProposal", "{\"id\":%u}", id);
    const cJSON *p = th_result(resp);
    cr_assert_str_eq(th_str(p, "state"), "Counting", "Counting");
    cr_assert_str_eq(th_str(p, "counting"), "waiting for an allowlisted enclave", "the proposal says why");
    cr_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(p, "nextChange")), "the clock does not move it on");
    cJSON_Delete(resp);
    expect_hidden_results(id, "Counting", "1120" TOKEN, 4);
    expect_secret_ballots(id, order, 4, hash);
    resp = th_callf(node, "gov_listProposals", "{\"state\":\"counting\"}");
    cr_assert_eq(th_count(th_result(resp), "proposals"), 1, "listed by its state");
    cJSON_Delete(resp);

    char hex[2 * CT_MAX + 3];
    uint8_t ct[CT_MAX];
    ciphertext(ct, hex, 318, 9);
    expect_failed(th_send(node, 2, "SecretBallot", "{\"proposal\":\"%u\",\"ciphertext\":\"%s\",\"conviction\":\"1\"}", id, hex),
                  "is Counting: votes are taken only while it is Active");
    expect_secret_ballots(id, order, 4, hash);
}

Test(integration_secret_polls, wrong_ballots_are_refused_with_their_reason_and_change_nothing)
{
    stake();
    unsigned secret = propose("{\"kind\":\"poll\",\"system\":\"approval\",\"choices\":[\"A\",\"B\"],\"secret\":true}");
    unsigned open = propose("{\"kind\":\"poll\",\"system\":\"approval\",\"choices\":[\"A\",\"B\"],\"secret\":false}");
    unsigned text = propose("");
    expect_invalid(th_send(node, 1, "Propose", "{\"track\":\"signal\",\"title\":\"t\",\"body\":\"b\",\"payload\":\"%s\"}",
                           th_hex_text("{\"kind\":\"poll\",\"system\":\"approval\",\"choices\":[\"A\",\"B\"],\"secret\":1}")),
                   "payload.secret: true or false");
    th_node_advance(node, HOUR);

    enum { TOO_LONG = 62 + 256 * 9 };
    static uint8_t ct[TOO_LONG];
    static char hex[2 * TOO_LONG + 3];
    static const size_t bad_lengths[] = { 1, 61, 62, 63, 317, 319, 62 + 256 * 8 + 1, TOO_LONG };
    expect_invalid(th_send(node, 2, "SecretBallot", "{\"proposal\":\"%u\",\"ciphertext\":\"0x\",\"conviction\":\"1\"}", secret),
                   "message.ciphertext: 62 + 256\u00b7k bytes, k from 1 to 8");
    for (size_t i = 0; i < sizeof bad_lengths / sizeof bad_lengths[0]; i++) {
        ciphertext(ct, hex, bad_lengths[i], 5);
        expect_invalid(th_send(node, 2, "SecretBallot", "{\"proposal\":\"%u\",\"ciphertext\":\"%s\",\"conviction\":\"1\"}", secret, hex),
                       "message.ciphertext: 62 + 256\u00b7k bytes, k from 1 to 8");
    }
    ciphertext(ct, hex, 318, 5);
    expect_invalid(th_send(node, 2, "SecretBallot", "{\"proposal\":\"%u\",\"ciphertext\":\"%s\",\"conviction\":\"7\"}", secret, hex),
                   "message.conviction: 0 to 6");
    cr_assert_eq(th_nonce(node, 2), 1, "refused before it applies: no nonce consumed");

    expect_failed(th_send(node, 2, "Ballot", "{\"proposal\":\"%u\",\"choice\":\"[1]\",\"conviction\":\"1\"}", secret),
                  "proposal 1 is a secret poll: cast a SecretBallot");
    expect_failed(th_send(node, 2, "Vote", "{\"proposal\":\"%u\",\"support\":\"1\",\"conviction\":\"1\"}", secret),
                  "proposal 1 is a secret poll: cast a SecretBallot");
    expect_failed(th_send(node, 2, "SecretBallot", "{\"proposal\":\"%u\",\"ciphertext\":\"%s\",\"conviction\":\"1\"}", open, hex),
                  "proposal 2 is not a secret poll");
    expect_failed(th_send(node, 2, "SecretBallot", "{\"proposal\":\"%u\",\"ciphertext\":\"%s\",\"conviction\":\"1\"}", text, hex),
                  "proposal 3 is not a secret poll");
    expect_failed(th_send(node, 2, "SecretBallot", "{\"proposal\":\"9\",\"ciphertext\":\"%s\",\"conviction\":\"1\"}", hex),
                  "no proposal 9");
    expect_failed(th_send(node, 5, "SecretBallot", "{\"proposal\":\"%u\",\"ciphertext\":\"%s\",\"conviction\":\"1\"}", secret, hex),
                  "no voting power");
    cr_assert_eq(th_nonce(node, 2), 6, "failed receipts consume the nonce");
    expect_hidden_results(secret, "Active", "0", 0);
    expect_turnout(secret, "0");

    cJSON *resp = th_callf(node, "gov_getSecretBallots", "{\"id\":%u}", open);
    expect_invalid(resp, "params.id: proposal 2 is not a secret poll");
    resp = th_callf(node, "gov_getSecretBallots", "{\"id\":%u}", text);
    expect_invalid(resp, "params.id: proposal 3 is not a secret poll");
    resp = th_callf(node, "gov_getSecretBallots", "{\"id\":99}");
    cr_assert_eq(th_error_code(resp), -32003, "an unknown proposal");
    cJSON_Delete(resp);
    resp = th_callf(node, "gov_getResults", "{\"id\":%u}", open);
    cr_assert(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(th_result(resp), "secret")), "an open poll says secret false");
    cJSON_Delete(resp);
}

Test(integration_secret_polls, the_attestation_shows_the_enclaves_ballot_key_signed_by_its_identity)
{
    cJSON *resp = th_call(node, "enclave_getAttestation", NULL);
    const cJSON *r = th_result(resp);
    char *text = cJSON_PrintUnformatted(r);
    uint8_t key[LEDGER_BALLOT_KEY_LEN], sig[LEDGER_BALLOT_KEY_SIG_LEN], signer[20], enclave[20];
    cr_assert_eq(ledger_hex_decode_exact(key, sizeof key, th_str(r, "ballotKey")), ST_OK, "a 33-byte ballot key: %s", text);
    cr_assert(key[0] == 2 || key[0] == 3, "compressed: %s", text);
    cr_assert_eq(ledger_hex_decode_exact(sig, sizeof sig, th_str(r, "ballotKeySignature")), ST_OK, "a 65-byte signature: %s", text);
    cr_assert_eq(ledger_addr_parse(enclave, th_str(r, "enclave")), ST_OK, "the enclave's address");
    cr_assert_eq(ledger_ballot_key_signer(signer, 31337, key, sig), ST_OK, "the signature recovers: %s", text);
    cr_assert_eq(memcmp(signer, enclave, 20), 0, "to the enclave: %s", text);
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "allowlisted")), "allowlisted: %s", text);
    cJSON_free(text);
    cJSON_Delete(resp);
    resp = th_callf(node, "ledger_getEvents", "{\"type\":\"EnclaveBallotKey\",\"fromHeight\":0}");
    const cJSON *events = cJSON_GetObjectItemCaseSensitive(th_result(resp), "events");
    cr_assert_eq(cJSON_GetArraySize(events), 1, "recorded once, in a block");
    cr_assert_str_eq(th_str(cJSON_GetArrayItem(events, 0), "area"), "settlement", "a settlement event");
    cJSON_Delete(resp);

    /* a restart of the same enclave finds its key recorded: no second event */
    th_node_stop(node, SIGTERM);
    th_node_start(node, true);
    th_send_done(node, 0, "PoolCreate", "{\"commissionPpm\":\"0\",\"capacity\":\"1\"}");
    resp = th_callf(node, "ledger_getEvents", "{\"type\":\"EnclaveBallotKey\",\"fromHeight\":0}");
    cr_assert_eq(th_count(th_result(resp), "events"), 1, "the key is recorded once");
    cJSON_Delete(resp);
}
