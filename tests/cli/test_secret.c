/* SPDX-License-Identifier: MIT */
/* test_secret.c: the client side of secret ballots without a node (cli/secret.h): the platform pin
 * (an address, or a data directory's platform.secret), the checks of an enclave_getAttestation
 * answer made here from a test platform (each way it can be wrong fails the right check and
 * nothing else passes for it), a choice read for its poll's system before it is sealed, sealing
 * with fresh randomness that the enclave's ledger_ballot_open reads back, the check list, and the
 * ballotsHash, count and total power recomputed from published ballots (in voter order whatever
 * the node's, doubled, malformed and overflowing lists refused), and a published count checked
 * against its signed report and the ballots (each way the node could misstate it fails the right
 * check, and signed scores its system cannot give fail too). */
#include <criterion/criterion.h>
#include <secp256k1.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "cli/secret.h"
#include "enclave/count_report.h"
#include "enclave/platform.h"
#include "ledger/amount.h"
#include "ledger/hash.h"
#include "ledger/hex.h"
#include "ledger/sig.h"
#include "tests/lib/testhelp.h"

#define CHAIN 31337
#define IDENTITY_SECRET "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
#define OTHER_SECRET "0x0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define BALLOT_SECRET "0x2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a2a"
#define VOTER "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"

static char dir[128];
static uint8_t platform[20];
static secp256k1_context *ctx;

static void setup(void)
{
    char secret_path[128], sealed_dir[128];
    th_temp_dir(dir, sizeof dir, "cli-secret");
    th_enclave_platform(dir, secret_path, sealed_dir, platform);
    ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    cr_assert_not_null(ctx, "a secp256k1 context");
}

static void teardown(void)
{
    secp256k1_context_destroy(ctx);
    th_rmtree(dir);
}

TestSuite(cli_secret, .init = setup, .fini = teardown);

static void set_hex(cJSON *o, const char *key, const uint8_t *bytes, size_t n)
{
    char *text = malloc(2 * n + 3);
    cr_assert_not_null(text, "memory for hex");
    ledger_hex_encode(text, bytes, n);
    cJSON_DeleteItemFromObjectCaseSensitive(o, key);
    cr_assert_not_null(cJSON_AddStringToObject(o, key, text), "member %s added", key);
    free(text);
}

/* An enclave_getAttestation answer as the node gives it: the enclave of identity_hex quoted by the
 * test platform for chain quote_chain, its ballot key vouched for by signer_hex for CHAIN. */
static cJSON *attestation(const char *identity_hex, uint64_t quote_chain, const char *signer_hex)
{
    uint8_t secret[ENC_PLATFORM_SECRET_LEN], measurement[32], identity[32], signer[32], ballot[32];
    uint8_t pub[65], quote[ENC_QUOTE_LEN], key[LEDGER_BALLOT_KEY_LEN], digest[32], sig[65], addr[20];
    char path[160], addr_text[LEDGER_ADDR_STRLEN];
    size_t publen = sizeof pub;
    secp256k1_pubkey pk;
    enc_platform p;
    snprintf(path, sizeof path, "%s/platform.secret", dir);
    cr_assert_eq(enc_platform_secret_read(secret, path), ST_OK, "the test platform's secret reads");
    memset(measurement, 0x5a, sizeof measurement);
    enc_platform_init(&p, secret, measurement);
    th_hex(identity, 32, identity_hex);
    th_hex(signer, 32, signer_hex);
    th_hex(ballot, 32, BALLOT_SECRET);
    cr_assert(secp256k1_ec_pubkey_create(ctx, &pk, identity)
              && secp256k1_ec_pubkey_serialize(ctx, pub, &publen, &pk, SECP256K1_EC_UNCOMPRESSED), "the identity's key");
    cr_assert_eq(enc_platform_quote(ctx, quote, &p, pub + 1, quote_chain), ST_OK, "the platform quotes the enclave");
    enc_platform_clear(&p);
    cr_assert_eq(ledger_ballot_key(ctx, key, ballot), ST_OK, "the ballot key");
    ledger_ballot_key_digest(digest, CHAIN, key);
    cr_assert_eq(ledger_sig_sign(sig, digest, signer), ST_OK, "the ballot key's signature");
    ledger_sig_pubkey_address(addr, pub + 1);
    ledger_addr_format(addr_text, addr);
    cJSON *att = cJSON_CreateObject();
    cr_assert_not_null(att, "an object");
    cr_assert_not_null(cJSON_AddStringToObject(att, "enclave", addr_text), "enclave");
    set_hex(att, "measurement", measurement, 32);
    set_hex(att, "quote", quote, sizeof quote);
    set_hex(att, "ballotKey", key, sizeof key);
    set_hex(att, "ballotKeySignature", sig, sizeof sig);
    cr_assert_not_null(cJSON_AddTrueToObject(att, "allowlisted"), "allowlisted");
    return att;
}

/* Runs cli_attestation_check on att; asserts the verdict of each of its three checks. */
static void expect_checks(const cJSON *att, const uint8_t pin[20], bool quote, bool key, bool listed)
{
    cli_checklist l = { 0 };
    cli_enclave e;
    bool all = cli_attestation_check(&l, &e, att, CHAIN, pin);
    cr_assert_eq(l.n, 3, "three checks: quote, ballot key, allowlist (got %zu)", l.n);
    cr_assert_str_eq(l.item[0].name, "quote", "the first check is the quote's");
    cr_assert_eq(l.item[0].ok, quote, "quote: %s", l.item[0].detail);
    cr_assert_eq(l.item[1].ok, key, "ballot key: %s", l.item[1].detail);
    cr_assert_eq(l.item[2].ok, listed, "allowlist: %s", l.item[2].detail);
    cr_assert_eq(all, quote && key && listed, "the verdict is all three");
    cr_assert_eq(cli_checklist_ok(&l), all, "the list agrees");
}

Test(cli_secret, a_genuine_attestation_passes_and_yields_the_enclave_and_its_ballot_key)
{
    cJSON *att = attestation(IDENTITY_SECRET, CHAIN, IDENTITY_SECRET);
    cli_checklist l = { 0 };
    cli_enclave e;
    uint8_t key[LEDGER_BALLOT_KEY_LEN], ballot[32];
    cr_assert(cli_attestation_check(&l, &e, att, CHAIN, platform), "passes: %s", l.item[0].detail);
    th_hex(ballot, 32, BALLOT_SECRET);
    cr_assert_eq(ledger_ballot_key(ctx, key, ballot), ST_OK, "the ballot key");
    cr_assert_arr_eq(e.ballot_key, key, sizeof key, "the ballot key is the attested one");
    th_assert_addr(e.address, th_str(att, "enclave"), "the enclave's address");
    cr_assert(strstr(l.item[0].detail, "chain 31337"), "the detail names the chain: %s", l.item[0].detail);
    cJSON_Delete(att);
}

Test(cli_secret, a_quote_of_another_platform_fails_and_the_key_is_not_trusted)
{
    cJSON *att = attestation(IDENTITY_SECRET, CHAIN, IDENTITY_SECRET);
    uint8_t other[20];
    memcpy(other, platform, 20);
    other[0] ^= 1;
    expect_checks(att, other, false, false, true);
    cJSON_Delete(att);
}

Test(cli_secret, a_quote_for_another_chain_fails)
{
    cJSON *att = attestation(IDENTITY_SECRET, 1, IDENTITY_SECRET);
    expect_checks(att, platform, false, false, true);
    cJSON_Delete(att);
}

Test(cli_secret, a_node_naming_another_enclave_or_measurement_than_the_quote_fails)
{
    cJSON *att = attestation(IDENTITY_SECRET, CHAIN, IDENTITY_SECRET);
    uint8_t m[32];
    memset(m, 0x5b, sizeof m);
    set_hex(att, "measurement", m, sizeof m);
    expect_checks(att, platform, false, false, true);
    cJSON_Delete(att);
    att = attestation(IDENTITY_SECRET, CHAIN, IDENTITY_SECRET);
    cJSON_ReplaceItemInObjectCaseSensitive(att, "enclave", cJSON_CreateString(VOTER));
    expect_checks(att, platform, false, false, true);
    cJSON_Delete(att);
}

Test(cli_secret, a_ballot_key_not_signed_by_the_attested_enclave_fails)
{
    cJSON *att = attestation(IDENTITY_SECRET, CHAIN, OTHER_SECRET);
    expect_checks(att, platform, true, false, true);
    cJSON_Delete(att);
}

Test(cli_secret, a_missing_or_malformed_ballot_key_fails)
{
    cJSON *att = attestation(IDENTITY_SECRET, CHAIN, IDENTITY_SECRET);
    cJSON_DeleteItemFromObjectCaseSensitive(att, "ballotKey");
    expect_checks(att, platform, true, false, true);
    cJSON_Delete(att);
    att = attestation(IDENTITY_SECRET, CHAIN, IDENTITY_SECRET);
    cJSON_ReplaceItemInObjectCaseSensitive(att, "ballotKeySignature", cJSON_CreateString("0x1234"));
    expect_checks(att, platform, true, false, true);
    cJSON_Delete(att);
}

Test(cli_secret, an_enclave_off_the_allowlist_fails)
{
    cJSON *att = attestation(IDENTITY_SECRET, CHAIN, IDENTITY_SECRET);
    cJSON_ReplaceItemInObjectCaseSensitive(att, "allowlisted", cJSON_CreateFalse());
    expect_checks(att, platform, true, true, false);
    cJSON_Delete(att);
}

Test(cli_secret, an_answer_without_a_quote_fails_every_check_it_needs)
{
    cJSON *att = attestation(IDENTITY_SECRET, CHAIN, IDENTITY_SECRET);
    cJSON_DeleteItemFromObjectCaseSensitive(att, "quote");
    expect_checks(att, platform, false, false, true);
    cJSON_Delete(att);
}

Test(cli_secret, a_sealed_ballot_opens_in_the_enclave_to_its_choice)
{
    uint8_t ballot[32], key[LEDGER_BALLOT_KEY_LEN], voter[20], sealed[LEDGER_BALLOT_MAX_LEN];
    char err[256], *hex = NULL, *again = NULL, text[LEDGER_BALLOT_TEXT_MAX + 1];
    size_t len, text_len;
    th_hex(ballot, 32, BALLOT_SECRET);
    cr_assert_eq(ledger_ballot_key(ctx, key, ballot), ST_OK, "the ballot key");
    cr_assert_eq(ledger_addr_parse(voter, VOTER), ST_OK, "the voter");
    cr_assert_eq(cli_ballot_seal(&hex, err, sizeof err, key, CHAIN, 7, voter, "[2,1,3]"), ST_OK, "sealed: %s", err);
    cr_assert_eq(ledger_hex_decode(sealed, sizeof sealed, &len, hex, strlen(hex)), ST_OK, "0x-hex");
    cr_assert_eq(len, LEDGER_BALLOT_MIN_LEN, "a short choice seals to 318 bytes, got %zu", len);
    cr_assert_eq(ledger_ballot_open(ctx, text, &text_len, ballot, CHAIN, 7, voter, sealed, len), ST_OK, "it opens");
    cr_assert_str_eq(text, "[2,1,3]", "to its choice");
    cr_assert_eq(ledger_ballot_open(ctx, text, &text_len, ballot, CHAIN, 8, voter, sealed, len), ST_CRYPTO,
                 "not as a ballot on another proposal");
    cr_assert_eq(cli_ballot_seal(&again, err, sizeof err, key, CHAIN, 7, voter, "[2,1,3]"), ST_OK, "sealed again");
    cr_assert_str_neq(hex, again, "a fresh ephemeral key and iv every time");
    free(again);
    free(hex);
}

Test(cli_secret, a_choice_that_cannot_be_sealed_is_refused)
{
    uint8_t key[LEDGER_BALLOT_KEY_LEN], voter[20] = { 1 }, ballot[32];
    char err[256], *hex = (char *)"untouched", long_text[LEDGER_BALLOT_TEXT_MAX + 2];
    th_hex(ballot, 32, BALLOT_SECRET);
    cr_assert_eq(ledger_ballot_key(ctx, key, ballot), ST_OK, "the ballot key");
    cr_assert_eq(cli_ballot_seal(&hex, err, sizeof err, key, CHAIN, 7, voter, ""), ST_INVALID, "an empty choice");
    cr_assert_null(hex, "no text on failure");
    memset(long_text, '1', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    cr_assert_eq(cli_ballot_seal(&hex, err, sizeof err, key, CHAIN, 7, voter, long_text), ST_INVALID, "2049 bytes");
    cr_assert(strstr(err, "2048"), "the reason gives the bound: %s", err);
    long_text[LEDGER_BALLOT_TEXT_MAX] = '\0';
    cr_assert_eq(cli_ballot_seal(&hex, err, sizeof err, key, CHAIN, 7, voter, long_text), ST_OK, "2048 bytes seal");
    free(hex);
    memset(key, 0xff, sizeof key);
    cr_assert_eq(cli_ballot_seal(&hex, err, sizeof err, key, CHAIN, 7, voter, "1"), ST_CRYPTO, "a key that is no point");
    cr_assert_null(hex, "no text on failure");
}

Test(cli_secret, the_platform_pin_is_an_address_or_a_data_directory_secret)
{
    uint8_t addr[20], want[20];
    char err[512];
    cr_assert_eq(ledger_addr_parse(want, VOTER), ST_OK, "an address");
    cr_assert_eq(cli_platform_pin(addr, err, sizeof err, VOTER, NULL), ST_OK, "an address word");
    cr_assert_arr_eq(addr, want, 20, "is the pin");
    cr_assert_eq(cli_platform_pin(addr, err, sizeof err, "0x12", NULL), ST_INVALID, "a bad word");
    cr_assert(strstr(err, "--platform '0x12'"), "quoted: %s", err);
    cr_assert_eq(cli_platform_pin(addr, err, sizeof err, NULL, NULL), ST_INVALID, "neither");
    cr_assert(strstr(err, "--platform ADDRESS") && strstr(err, "--datadir"), "says what to give: %s", err);
    cr_assert_eq(cli_platform_pin(addr, err, sizeof err, NULL, dir), ST_OK, "a data directory: %s", err);
    cr_assert_arr_eq(addr, platform, 20, "gives its platform's attestation address");
    cr_assert_eq(cli_platform_pin(addr, err, sizeof err, NULL, "/nonexistent-conclave"), ST_NOTFOUND, "no secret there");
    cr_assert(strstr(err, "/nonexistent-conclave/platform.secret"), "names the file: %s", err);
}

Test(cli_secret, a_check_list_that_overflows_fails)
{
    cli_checklist l = { 0 };
    cr_assert_not(cli_checklist_ok(&l), "an empty list proves nothing");
    for (int i = 0; i < CLI_CHECKS_MAX; i++)
        cli_check_add(&l, "step", true, "%d", i);
    cr_assert(cli_checklist_ok(&l), "every check passed");
    cr_assert_null(cli_checklist_failure(&l), "no failure");
    cli_check_add(&l, "one too many", true, "ok");
    cr_assert_not(cli_checklist_ok(&l), "a check that did not fit counts as failed");
    cli_checklist m = { 0 };
    cli_check_add(&m, "first", true, "fine");
    cli_check_add(&m, "second", false, "broken %s", "here");
    cr_assert_str_eq(cli_checklist_failure(&m)->detail, "broken here", "the first failure is found");
}

/* A published ballot {voter, weight, delegatedWeight, ciphertext} as gov_getSecretBallots gives it. */
static cJSON *published(const char *voter, const char *weight, const char *delegated, const char *ciphertext)
{
    cJSON *b = cJSON_CreateObject();
    cr_assert(b && cJSON_AddStringToObject(b, "voter", voter) && cJSON_AddStringToObject(b, "weight", weight)
                  && cJSON_AddStringToObject(b, "delegatedWeight", delegated)
                  && cJSON_AddStringToObject(b, "ciphertext", ciphertext), "a published ballot");
    return b;
}

/* The ballotsHash of docs/SECRET_BALLOTS.md written out: sha256 over voter || weight || sha256(ciphertext)
 * of each of n ballots, given already in voter order. */
static void hash_by_hand(uint8_t out[32], const char *const voters[], const char *const weights[],
                         const char *const ciphertexts[], int n)
{
    uint8_t buf[4 * 84], sealed[LEDGER_BALLOT_MAX_LEN];
    size_t len;
    mpz_t w;
    mpz_init(w);
    cr_assert(n <= 4, "at most four");
    for (int k = 0; k < n; k++) {
        cr_assert_eq(ledger_addr_parse(buf + 84 * k, voters[k]), ST_OK, "a voter");
        cr_assert_eq(ledger_amount_parse(w, weights[k], strlen(weights[k])), ST_OK, "a weight");
        ledger_amount_to_word(buf + 84 * k + 20, w);
        cr_assert_eq(ledger_hex_decode(sealed, sizeof sealed, &len, ciphertexts[k], strlen(ciphertexts[k])), ST_OK, "hex");
        ledger_sha256(buf + 84 * k + 52, sealed, len);
    }
    ledger_sha256(out, buf, 84 * (size_t)n);
    mpz_clear(w);
}

Test(cli_secret, the_ballots_hash_is_recomputed_in_voter_order_from_weight_and_delegated_weight)
{
    char *text = th_read_file(TEST_SRCDIR "/tests/vectors/ballot_box.json", NULL);
    cr_assert_not_null(text, "tests/vectors/ballot_box.json is readable");
    cJSON *vectors = cJSON_Parse(text), *list = cJSON_CreateArray();
    const cJSON *sealed = th_get(vectors, "ballots");
    /* three of the vectors' ballots, their voters in ascending order: 0x7099..., 0x9965..., 0xf39f... */
    const char *const voters[] = { "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc",
                                   "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266" };
    const char *const weights[] = { "1000000000000000005", "7", "300000000000000000000" };
    const char *const cts[] = { th_str(cJSON_GetArrayItem(sealed, 1), "ciphertext"), th_str(cJSON_GetArrayItem(sealed, 2), "ciphertext"),
                                th_str(cJSON_GetArrayItem(sealed, 0), "ciphertext") };
    /* listed out of order, each weight split into its own part and the part delegated to it */
    cJSON_AddItemToArray(list, published(voters[2], "299999999999999999999", "1", cts[2]));
    cJSON_AddItemToArray(list, published(voters[0], "5", "1000000000000000000", cts[0]));
    cJSON_AddItemToArray(list, published(voters[1], "7", "0", cts[1]));
    uint8_t hash[32], want[32], total[32], want_total[32];
    uint64_t count;
    char err[256];
    cr_assert_eq(cli_ballots_recompute(hash, &count, total, err, sizeof err, list), ST_OK, "recomputed: %s", err);
    hash_by_hand(want, voters, weights, cts, 3);
    cr_assert_arr_eq(hash, want, 32, "the hash of the ballots in voter order");
    cr_assert_eq(count, 3, "the count");
    mpz_t sum;
    mpz_init_set_str(sum, "301000000000000000012", 10);
    ledger_amount_to_word(want_total, sum);
    mpz_clear(sum);
    cr_assert_arr_eq(total, want_total, 32, "the total power is the sum of the weights");
    cJSON_Delete(list);
    cJSON_Delete(vectors);
    free(text);
}

Test(cli_secret, no_ballots_hash_to_the_sha256_of_nothing)
{
    cJSON *list = cJSON_CreateArray();
    uint8_t hash[32], want[32], total[32], zero[32] = { 0 };
    uint64_t count = 9;
    char err[256];
    cr_assert_eq(cli_ballots_recompute(hash, &count, total, err, sizeof err, list), ST_OK, "an empty list: %s", err);
    th_hex(want, 32, "0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    cr_assert_arr_eq(hash, want, 32, "sha256 of nothing");
    cr_assert_eq(count, 0, "no ballots");
    cr_assert_arr_eq(total, zero, 32, "no power");
    cJSON_Delete(list);
}

Test(cli_secret, a_malformed_or_doubled_ballot_list_is_refused_with_the_voter_named)
{
    uint8_t hash[32], total[32];
    uint64_t count;
    char err[256];
    cJSON *list = cJSON_CreateArray();
    cJSON_AddItemToArray(list, published(VOTER, "1", "0", "0x01"));
    cJSON_AddItemToArray(list, published(VOTER, "2", "0", "0x02"));
    cr_assert_eq(cli_ballots_recompute(hash, &count, total, err, sizeof err, list), ST_INVALID, "a voter twice");
    cr_assert(strstr(err, VOTER) && strstr(err, "two ballots"), "named: %s", err);
    cJSON_Delete(list);
    list = cJSON_CreateArray();
    cJSON_AddItemToArray(list, published(VOTER, "1", "0", "0xzz"));
    cr_assert_eq(cli_ballots_recompute(hash, &count, total, err, sizeof err, list), ST_INVALID, "a ciphertext not hex");
    cr_assert(strstr(err, VOTER), "named: %s", err);
    cJSON_Delete(list);
    list = cJSON_CreateArray();
    cJSON_AddItemToArray(list, published(VOTER, "-1", "0", "0x01"));
    cr_assert_eq(cli_ballots_recompute(hash, &count, total, err, sizeof err, list), ST_INVALID, "a weight not canonical");
    cJSON_Delete(list);
    list = cJSON_CreateArray();
    cJSON_AddItemToArray(list, published("0x12", "1", "0", "0x01"));
    cr_assert_eq(cli_ballots_recompute(hash, &count, total, err, sizeof err, list), ST_INVALID, "no voter address");
    cJSON_Delete(list);
    list = cJSON_CreateObject();
    cr_assert_eq(cli_ballots_recompute(hash, &count, total, err, sizeof err, list), ST_INVALID, "not a list");
    cJSON_Delete(list);
}

Test(cli_secret, weights_that_reach_two_to_the_256_overflow)
{
    static const char max[] = "115792089237316195423570985008687907853269984665640564039457584007913129639935";
    uint8_t hash[32], total[32];
    uint64_t count;
    char err[256];
    cJSON *list = cJSON_CreateArray();
    cJSON_AddItemToArray(list, published(VOTER, max, "1", "0x01"));
    cr_assert_eq(cli_ballots_recompute(hash, &count, total, err, sizeof err, list), ST_OVERFLOW, "one weight: %s", err);
    cJSON_Delete(list);
    list = cJSON_CreateArray();
    cJSON_AddItemToArray(list, published(VOTER, max, "0", "0x01"));
    cJSON_AddItemToArray(list, published("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", "1", "0", "0x01"));
    cr_assert_eq(cli_ballots_recompute(hash, &count, total, err, sizeof err, list), ST_OVERFLOW, "the total: %s", err);
    cJSON_Delete(list);
}

/* ---- a counted secret poll: its report, its results and its ballots, made here ---- */

static const char *const poll_voters[] = { "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
                                           "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc",
                                           "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266" };

/* The published ballots of the poll: three, weights 100, 250 and 7 tokens' worth of base units
 * (the second with 50 delegated), arbitrary ciphertexts. */
static cJSON *poll_ballots(int n)
{
    static const char *const own[] = { "100", "200", "7" }, *const lent[] = { "0", "50", "0" };
    static const char *const cts[] = { "0x01aa", "0x01bb", "0x01cc" };
    cJSON *list = cJSON_CreateArray();
    for (int k = 0; k < n; k++)
        cJSON_AddItemToArray(list, published(poll_voters[k], own[k], lent[k], cts[k]));
    return list;
}

/* A report of poll 4 of system on CHAIN with 3 choices over the three ballots (valid of them valid,
 * the rest invalid), with scores (base units), signed by signer_hex; and the gov_getResults answer
 * that publishes it, naming enclave_hex's address. */
static cJSON *count_results(uint64_t proposal, const char *signer_hex, const char *enclave_hex, const char *system,
                            const unsigned scores[3], uint32_t valid)
{
    enc_count_report r;
    uint8_t key[32], addr[20], body[ENC_COUNT_REPORT_MAX];
    uint64_t count;
    char err[256], addr_text[LEDGER_ADDR_STRLEN], score[16];
    cJSON *ballots = poll_ballots(3);
    memset(&r, 0, sizeof r);
    cr_assert_eq(cli_ballots_recompute(r.ballots_hash, &count, r.total_power, err, sizeof err, ballots), ST_OK, "%s", err);
    cJSON_Delete(ballots);
    r.chain_id = CHAIN;
    r.proposal = proposal;
    r.count = 3;
    r.valid = valid;
    r.invalid = 3 - valid;
    r.n_choices = 3;
    for (int i = 0; i < 3; i++) { /* scores below 2^16 */
        r.scores[i][30] = (uint8_t)(scores[i] >> 8);
        r.scores[i][31] = (uint8_t)scores[i];
    }
    memset(r.measurement, 0x5a, 32);
    th_hex(key, 32, signer_hex);
    cr_assert_eq(enc_count_report_sign(ctx, &r, key), ST_OK, "the report is signed");
    th_hex(key, 32, enclave_hex);
    cr_assert_eq(ledger_sig_address(addr, key), ST_OK, "the enclave's address");
    ledger_addr_format(addr_text, addr);
    enc_count_report_body(body, &r);

    cJSON *res = cJSON_CreateObject(), *choices = cJSON_AddArrayToObject(res, "choices");
    cJSON *list = cJSON_AddArrayToObject(res, "scores");
    cr_assert(res && choices && list && cJSON_AddTrueToObject(res, "secret") && cJSON_AddNumberToObject(res, "proposal", 4)
                  && cJSON_AddStringToObject(res, "scoresTotal", "357") && cJSON_AddNumberToObject(res, "totalVotes", 3)
                  && cJSON_AddNumberToObject(res, "validVotes", valid) && cJSON_AddNumberToObject(res, "invalidVotes", 3 - valid)
                  && cJSON_AddStringToObject(res, "system", system)
                  && cJSON_AddStringToObject(res, "enclave", addr_text), "the results");
    for (int i = 0; i < 3; i++) {
        snprintf(score, sizeof score, "%u", scores[i]);
        cJSON_AddItemToArray(choices, cJSON_CreateString(i == 0 ? "A" : i == 1 ? "B" : "C"));
        cJSON_AddItemToArray(list, cJSON_CreateString(score));
    }
    set_hex(res, "measurement", r.measurement, 32);
    set_hex(res, "ballotsHash", r.ballots_hash, 32);
    set_hex(res, "report", body, enc_count_report_len(&r));
    set_hex(res, "signature", r.signature, sizeof r.signature);
    return res;
}

/* count_results of a single-choice poll: 2 valid ballots, scores 250, 100, 0. */
static cJSON *counted_results(uint64_t proposal, const char *signer_hex, const char *enclave_hex)
{
    static const unsigned scores[] = { 250, 100, 0 };
    return count_results(proposal, signer_hex, enclave_hex, "single-choice", scores, 2);
}

/* Runs cli_count_check of results against the first n published ballots; asserts each verdict of
 * its five checks: report, ballots, members, scores, signature. */
static void expect_count(const cJSON *results, int n, bool report, bool ballots, bool members, bool scores, bool signature)
{
    cli_checklist l = { 0 };
    cli_count_claim claim;
    uint8_t hash[32], total[32];
    uint64_t count;
    char err[256];
    cJSON *list = poll_ballots(n);
    cr_assert_eq(cli_ballots_recompute(hash, &count, total, err, sizeof err, list), ST_OK, "%s", err);
    cJSON_Delete(list);
    bool all = cli_count_check(&l, &claim, results, CHAIN, 4, hash, count, total);
    cr_assert_eq(l.n, 5, "five checks (got %zu)", l.n);
    const bool want[] = { report, ballots, members, scores, signature };
    for (int i = 0; i < 5; i++)
        cr_assert_eq(l.item[i].ok, want[i], "%s: %s", l.item[i].name, l.item[i].detail);
    cr_assert_eq(all, report && ballots && members && scores && signature, "the verdict is all five");
}

Test(cli_secret, a_published_count_of_the_published_ballots_checks_out)
{
    cJSON *res = counted_results(4, IDENTITY_SECRET, IDENTITY_SECRET);
    cli_checklist l = { 0 };
    cli_count_claim claim;
    uint8_t hash[32], total[32], want[20], m[32];
    uint64_t count;
    char err[256];
    cJSON *list = poll_ballots(3);
    cr_assert_eq(cli_ballots_recompute(hash, &count, total, err, sizeof err, list), ST_OK, "%s", err);
    cr_assert(cli_count_check(&l, &claim, res, CHAIN, 4, hash, count, total), "it checks out: %s",
              cli_checklist_failure(&l) ? cli_checklist_failure(&l)->detail : "");
    cr_assert_eq(ledger_addr_parse(want, th_str(res, "enclave")), ST_OK, "the enclave");
    cr_assert_arr_eq(claim.enclave, want, 20, "the claim names the signing enclave");
    memset(m, 0x5a, 32);
    cr_assert_arr_eq(claim.measurement, m, 32, "and the report's measurement");
    cJSON_Delete(list);
    cJSON_Delete(res);
}

Test(cli_secret, a_count_of_other_ballots_than_the_published_fails)
{
    cJSON *res = counted_results(4, IDENTITY_SECRET, IDENTITY_SECRET);
    expect_count(res, 2, true, false, true, true, true); /* a ballot the node did not publish was counted */
    cJSON_Delete(res);
}

Test(cli_secret, results_that_misstate_the_report_fail)
{
    cJSON *res = counted_results(4, IDENTITY_SECRET, IDENTITY_SECRET);
    cJSON_ReplaceItemInArray(cJSON_GetObjectItemCaseSensitive(res, "scores"), 1, cJSON_CreateString("101"));
    expect_count(res, 3, true, true, false, true, true);
    cJSON_Delete(res);
    res = counted_results(4, IDENTITY_SECRET, IDENTITY_SECRET);
    cJSON_ReplaceItemInObjectCaseSensitive(res, "invalidVotes", cJSON_CreateNumber(0));
    expect_count(res, 3, true, true, false, true, true);
    cJSON_Delete(res);
    res = counted_results(4, IDENTITY_SECRET, IDENTITY_SECRET);
    cJSON_ReplaceItemInObjectCaseSensitive(res, "scoresTotal", cJSON_CreateString("358"));
    expect_count(res, 3, true, false, true, true, true);
    cJSON_Delete(res);
}

Test(cli_secret, a_report_signed_by_another_key_or_altered_fails_its_signature)
{
    cJSON *res = counted_results(4, OTHER_SECRET, IDENTITY_SECRET);
    expect_count(res, 3, true, true, true, true, false);
    cJSON_Delete(res);
    res = counted_results(4, IDENTITY_SECRET, IDENTITY_SECRET);
    /* the node raises score 3 (to 7: still possible) in both the report and the results: the
     * signature no longer holds */
    char *report = strdup(th_str(res, "report"));
    size_t at = strlen("0x") + 2 * (ENC_COUNT_REPORT_FIXED - 32 + 2 * 32 + 31);
    report[at + 1] = '7';
    cJSON_ReplaceItemInObjectCaseSensitive(res, "report", cJSON_CreateString(report));
    cJSON_ReplaceItemInArray(cJSON_GetObjectItemCaseSensitive(res, "scores"), 2, cJSON_CreateString("7"));
    expect_count(res, 3, true, true, true, true, false);
    free(report);
    cJSON_Delete(res);
}

Test(cli_secret, a_report_of_another_poll_or_none_fails_and_nothing_else_passes)
{
    cJSON *res = counted_results(5, IDENTITY_SECRET, IDENTITY_SECRET);
    expect_count(res, 3, false, false, false, false, false);
    cJSON_Delete(res);
    res = counted_results(4, IDENTITY_SECRET, IDENTITY_SECRET);
    cJSON_DeleteItemFromObjectCaseSensitive(res, "report");
    expect_count(res, 3, false, false, false, false, false);
    cJSON_Delete(res);
}

Test(cli_secret, scores_impossible_for_the_system_fail_even_when_signed)
{
    static const unsigned over[] = { 250, 100, 8 }, each[] = { 357, 357, 0 }, some[] = { 0, 1, 0 }, none[] = { 0, 0, 0 };
    cJSON *res = count_results(4, IDENTITY_SECRET, IDENTITY_SECRET, "single-choice", over, 2);
    expect_count(res, 3, true, true, true, false, true); /* 358 of 357 */
    cJSON_Delete(res);
    res = count_results(4, IDENTITY_SECRET, IDENTITY_SECRET, "approval", each, 2);
    expect_count(res, 3, true, true, true, true, true); /* approval: every ballot may approve A and B */
    cJSON_Delete(res);
    res = count_results(4, IDENTITY_SECRET, IDENTITY_SECRET, "weighted", each, 2);
    expect_count(res, 3, true, true, true, false, true);
    cJSON_Delete(res);
    res = count_results(4, IDENTITY_SECRET, IDENTITY_SECRET, "copeland", some, 0);
    expect_count(res, 3, true, true, true, false, true); /* no valid ballot, yet a point */
    cJSON_Delete(res);
    res = count_results(4, IDENTITY_SECRET, IDENTITY_SECRET, "copeland", none, 0);
    expect_count(res, 3, true, true, true, true, true);
    cJSON_Delete(res);
}

/* gov_getResults' system and choices for a poll of n choices. */
static cJSON *poll_of(const char *system, int n)
{
    cJSON *res = cJSON_CreateObject(), *choices = cJSON_AddArrayToObject(res, "choices");
    cr_assert(choices && cJSON_AddStringToObject(res, "system", system), "results");
    for (int i = 0; i < n; i++)
        cJSON_AddItemToArray(choices, cJSON_CreateString("x"));
    return res;
}

Test(cli_secret, a_choice_is_read_as_the_enclave_will_before_it_is_sealed)
{
    static const struct {
        const char *system;
        int n;
        const char *choice;
        int rc;
        const char *reason;
    } cases[] = {
        { "single-choice", 3, "2", ST_OK, NULL },
        { "single-choice", 3, "7", ST_INVALID, "choice 7 is not one of the 3 choices" },
        { "single-choice", 3, "[1]", ST_INVALID, "single-choice" },
        { "approval", 3, "[1,3]", ST_OK, NULL },
        { "approval", 3, "[1,1]", ST_INVALID, "twice" },
        { "ranked-choice", 4, "[2,1,3,4]", ST_OK, NULL },
        { "ranked-choice", 4, "[2,1]", ST_INVALID, "all 4 choices" },
        { "weighted", 3, "{\"1\":2,\"3\":0.5}", ST_OK, NULL },
        { "quadratic", 3, "{\"1\":0}", ST_INVALID, "above 0" },
        { "plurality", 3, "1", ST_INVALID, "no counting system" },
        { "single-choice", 1, "1", ST_INVALID, "2 to 32 choices" },
    };
    char err[256];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cJSON *res = poll_of(cases[i].system, cases[i].n);
        err[0] = '\0';
        cr_assert_eq(cli_choice_check(err, sizeof err, res, cases[i].choice), cases[i].rc, "%s %s: %s", cases[i].system,
                     cases[i].choice, err);
        cr_assert(!cases[i].reason || strstr(err, cases[i].reason), "%s %s: the reason '%s' names '%s'", cases[i].system,
                  cases[i].choice, err, cases[i].reason);
        cJSON_Delete(res);
    }
}
