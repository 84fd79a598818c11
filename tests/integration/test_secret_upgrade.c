/* SPDX-License-Identifier: MIT */
/* test_secret_upgrade.c: a secret poll outlives an enclave upgrade, on a real conclaved --dev with
 * real conclave-enclave processes. The built enclave (A) holds the chain's ballot key; ballots are
 * sealed to it; governance allowlists a new build (B: a copy of A with one byte appended, the same
 * code with another measurement); the poll closes while the node runs without an enclave and waits
 * in Counting; the node is restarted with B. Either the node hands the chain's key from the copy of
 * A it kept to B, which counts the poll exactly and is recorded with the same ballot key, or (the
 * kept copy removed) no build that holds the key can be run: nothing is recorded, the poll waits,
 * a --handover-enclave build that does not hold it changes nothing, and one that does ends the wait.
 * After the upgrade enclave_getAttestation still gives A by its address, and conclave verify-poll
 * checks a poll A counted before the upgrade against A, and the upgraded one against B.
 * Stakes: devs 1, 2, 3, 4 hold 100, 200, 300, 400 tokens; every ballot has conviction 1. */
#define _GNU_SOURCE /* memmem */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "enclave/platform.h"
#include "ledger/ballot_box.h"
#include "ledger/hex.h"
#include "tests/lib/node.h"
#include "tests/lib/testhelp.h"

#define TOKEN "000000000000000000"
#define HOUR 3600
#define DAY 86400
#define CHAIN 31337
#define KEY_HEX (2 * LEDGER_BALLOT_KEY_LEN + 3)
#define ENCLAVE_A TEST_BUILDDIR "/conclave-enclave"

static th_node node;
static char dir[] = "/tmp/conclave-upgrade-XXXXXX";
static char log_path[160], enclave_b[160], enclave_c[160], measurement_b[67];
static const char *options[8];

static void setup(void)
{
    memset(&node, 0, sizeof node);
    cr_assert_not_null(mkdtemp(dir), "a temporary directory");
    snprintf(log_path, sizeof log_path, "%s/node.log", dir);
    snprintf(enclave_b, sizeof enclave_b, "%s/conclave-enclave-b", dir);
    snprintf(enclave_c, sizeof enclave_c, "%s/conclave-enclave-c", dir);
    th_enclave_changed_copy(enclave_b, "\n");
    th_enclave_changed_copy(enclave_c, "\n\n");
    uint8_t m[32];
    cr_assert_eq(enc_measure_file(m, enclave_b), ST_OK, "measure B");
    ledger_hex_encode(measurement_b, m, 32);
    th_node_start_logged(&node, log_path);
}

static void teardown(void)
{
    th_node_cleanup(&node);
    th_rmtree(dir);
}

TestSuite(integration_secret_upgrade, .init = setup, .fini = teardown, .timeout = 240);

/* Restarts the node with the options given (NULL-terminated, at most 7), logging to log_path. */
static void restart(const char *first, ...)
{
    va_list ap;
    size_t n = 0;
    va_start(ap, first);
    for (const char *o = first; o; o = va_arg(ap, const char *)) {
        cr_assert_lt(n, 7, "at most 7 options");
        options[n++] = o;
    }
    va_end(ap);
    options[n] = NULL;
    th_node_stop(&node, SIGTERM);
    node.options = options;
    th_node_restart_logged(&node, log_path);
}

/* Whether the node's log (since its last start) holds text. */
static bool logged(const char *text)
{
    size_t len = 0;
    char *log = th_read_file(log_path, &len);
    bool found = memmem(log, len, text, strlen(text)) != NULL;
    free(log);
    return found;
}

/* enclave_getAttestation's result (caller deletes the response). */
static cJSON *attestation(void)
{
    return th_call(&node, "enclave_getAttestation", NULL);
}

/* The ballot key enclave_getAttestation gives, once its signature recovers to the attested enclave.
 * Out: key, enclave (0x-hex text of the key, the enclave's address text). */
static void ballot_key(uint8_t key[LEDGER_BALLOT_KEY_LEN], char key_hex[KEY_HEX], char enclave[LEDGER_ADDR_STRLEN])
{
    cJSON *resp = attestation();
    const cJSON *r = th_result(resp);
    uint8_t addr[20];
    th_attested_ballot_key(r, key, addr);
    snprintf(key_hex, KEY_HEX, "%s", th_str(r, "ballotKey"));
    snprintf(enclave, LEDGER_ADDR_STRLEN, "%s", th_str(r, "enclave"));
    cJSON_Delete(resp);
}

/* Seals text to key for dev `who` on proposal id and casts it as who's SecretBallot. */
static void cast(unsigned who, unsigned id, const uint8_t key[LEDGER_BALLOT_KEY_LEN], const char *text)
{
    char *hex = th_seal_ballot(who, id, key, text);
    th_send_done(&node, who, "SecretBallot", "{\"proposal\":\"%u\",\"ciphertext\":\"%s\",\"conviction\":\"1\"}", id, hex);
    free(hex);
}

/* A proposal's state, and its "counting" text into counting ("" when it has none). */
static void expect_proposal(unsigned id, const char *state, const char *counting)
{
    cJSON *resp = th_callf(&node, "gov_getProposal", "{\"id\":%u}", id);
    const cJSON *p = th_result(resp);
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(p, "counting");
    cr_assert_str_eq(th_str(p, "state"), state, "proposal %u's state", id);
    cr_assert_str_eq(cJSON_IsString(c) ? c->valuestring : "", counting, "proposal %u's counting", id);
    cJSON_Delete(resp);
}

/* Asserts that n EnclaveBallotKey events were recorded, each with the ballot key key_hex. Returns the
 * response (caller deletes) for more checks. */
static cJSON *expect_key_events(int n, const char *key_hex)
{
    cJSON *resp = th_callf(&node, "ledger_getEvents", "{\"type\":\"EnclaveBallotKey\",\"fromHeight\":0}");
    const cJSON *events = cJSON_GetObjectItemCaseSensitive(th_result(resp), "events");
    cr_assert_eq(cJSON_GetArraySize(events), n, "%d EnclaveBallotKey events", n);
    for (int i = 0; i < n; i++)
        cr_assert_str_eq(th_str(cJSON_GetArrayItem(events, i), "ballotKey"), key_hex, "event %d records the chain's key: %s", i,
                         cJSON_PrintUnformatted(events));
    return resp;
}

static void stake(void)
{
    static const char *const stakes[] = { "100", "200", "300", "400" };
    th_stake(&node, 1, stakes, 4);
}

/* A secret approval poll by dev 1 (choices A, B, C). Returns its id. */
static unsigned secret_poll(void)
{
    return th_propose(&node, 1, "signal", "{\"kind\":\"poll\",\"system\":\"approval\",\"choices\":[\"A\",\"B\",\"C\"],\"secret\":true}");
}

/* Governance's proposal to allowlist B, voted for, and a secret approval poll with its ballots sealed
 * to A's key (after stake()). Out: key_hex, enclave_a, *upgrade (the proposal). Returns the poll's id. */
static unsigned ballots_cast_and_the_upgrade_voted(char key_hex[KEY_HEX], char enclave_a[LEDGER_ADDR_STRLEN],
                                                   unsigned *upgrade_out)
{
    char allow[160];
    snprintf(allow, sizeof allow, "{\"kind\":\"enclaveAllow\",\"measurement\":\"%s\"}", measurement_b);
    unsigned upgrade = th_propose(&node, 4, "enclave", allow);
    unsigned id = secret_poll();
    th_node_advance(&node, HOUR);

    uint8_t key[LEDGER_BALLOT_KEY_LEN];
    ballot_key(key, key_hex, enclave_a);
    th_send_done(&node, 3, "Vote", "{\"proposal\":\"%u\",\"support\":\"1\",\"conviction\":\"1\"}", upgrade);
    th_send_done(&node, 4, "Vote", "{\"proposal\":\"%u\",\"support\":\"1\",\"conviction\":\"1\"}", upgrade);
    cast(1, id, key, "[1,2]");
    cast(2, id, key, "[1]");
    cast(2, id, key, "[2]");      /* the re-vote: only it counts */
    cast(3, id, key, "[2,3]");
    cast(4, id, key, "[3]");
    *upgrade_out = upgrade;
    return id;
}

/* The common part (after stake()): governance's allowlisting of B, a secret approval poll with its ballots
 * sealed to A's key, and the close while the node runs without an enclave. Out: key_hex, enclave_a.
 * Returns the poll's id. */
static unsigned ballots_cast_and_closed_without_an_enclave(char key_hex[KEY_HEX], char enclave_a[LEDGER_ADDR_STRLEN])
{
    unsigned upgrade = 0, id = ballots_cast_and_the_upgrade_voted(key_hex, enclave_a, &upgrade);

    /* the close, with no enclave running: the poll waits in Counting */
    restart("--no-enclave", NULL);
    th_node_advance(&node, 3 * DAY);
    expect_proposal(id, "Counting", "waiting for an allowlisted enclave");
    th_node_advance(&node, DAY);
    th_send_done(&node, 0, "ProposalExecute", "{\"proposal\":\"%u\"}", upgrade);
    expect_proposal(id, "Counting", "waiting for an allowlisted enclave");
    cJSON_Delete(expect_key_events(1, key_hex));
    return id;
}

/* The poll counted exactly, by the enclave enclave_b_addr: A 100, B 600, C 700 (approval). */
static void expect_counted(unsigned id, const char *enclave_b_addr)
{
    cJSON *resp = th_callf(&node, "gov_getResults", "{\"id\":%u}", id);
    const cJSON *r = th_result(resp);
    char *text = cJSON_PrintUnformatted(r);
    cr_assert_str_eq(th_str(r, "state"), "Succeeded", "counted: %s", text);
    const cJSON *scores = cJSON_GetObjectItemCaseSensitive(r, "scores");
    cr_assert_eq(cJSON_GetArraySize(scores), 3, "a score per choice: %s", text);
    /* dev 1 approves A and B (100), dev 2 B (200), dev 3 B and C (300), dev 4 C (400) */
    cr_assert_str_eq(cJSON_GetArrayItem(scores, 0)->valuestring, "100" TOKEN, "A: %s", text);
    cr_assert_str_eq(cJSON_GetArrayItem(scores, 1)->valuestring, "600" TOKEN, "B: %s", text);
    cr_assert_str_eq(cJSON_GetArrayItem(scores, 2)->valuestring, "700" TOKEN, "C: %s", text);
    cr_assert_eq(th_num(r, "validVotes"), 4, "every ballot valid: %s", text);
    cr_assert_eq(th_num(r, "invalidVotes"), 0, "none invalid: %s", text);
    cr_assert_str_eq(th_str(r, "scoresTotal"), "1000" TOKEN, "the turnout: %s", text);
    cr_assert_eq(th_num(r, "winner"), 3, "C wins: %s", text);
    cr_assert_str_eq(th_str(r, "enclave"), enclave_b_addr, "counted by the new enclave: %s", text);
    cJSON_free(text);
    cJSON_Delete(resp);
}

/* The newest enclave is B's build: its address into addr; its ballot key as expected (NULL: none). */
static void expect_attested_b(char addr[LEDGER_ADDR_STRLEN], const char *key_hex)
{
    cJSON *resp = attestation();
    const cJSON *r = th_result(resp);
    cr_assert_str_eq(th_str(r, "measurement"), measurement_b, "the newest enclave is B");
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "allowlisted")), "allowlisted by governance");
    snprintf(addr, LEDGER_ADDR_STRLEN, "%s", th_str(r, "enclave"));
    if (key_hex)
        cr_assert_str_eq(th_str(r, "ballotKey"), key_hex, "the chain's ballot key, unchanged");
    else
        cr_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(r, "ballotKey")), "no ballot key published for B");
    cJSON_Delete(resp);
}

/* conclave verify-poll ID against the node, with its data directory's platform. Returns its exit code. */
static int verify_poll(unsigned id)
{
    char id_text[16];
    snprintf(id_text, sizeof id_text, "%u", id);
    const char *argv[] = { TEST_BUILDDIR "/conclave", "--rpc", node.url, "verify-poll", id_text, "--datadir", node.datadir, NULL };
    return th_run(argv);
}

Test(integration_secret_upgrade, the_new_build_gets_the_chains_key_from_the_kept_old_one_and_counts_the_poll)
{
    char key_hex[KEY_HEX], enclave_a[LEDGER_ADDR_STRLEN], key_after[KEY_HEX], enclave_b_addr[LEDGER_ADDR_STRLEN];
    stake();
    /* a poll A counts before the upgrade */
    unsigned early = secret_poll();
    th_node_advance(&node, HOUR);
    uint8_t early_key[LEDGER_BALLOT_KEY_LEN];
    char early_key_hex[KEY_HEX], early_enclave[LEDGER_ADDR_STRLEN];
    ballot_key(early_key, early_key_hex, early_enclave);
    cast(3, early, early_key, "[1]");
    th_node_advance(&node, 3 * DAY);
    expect_proposal(early, "Succeeded", "");

    unsigned id = ballots_cast_and_closed_without_an_enclave(key_hex, enclave_a);
    char kept[256];
    snprintf(kept, sizeof kept, "%s/enclave/holders", node.datadir);
    struct stat st;
    cr_assert_eq(stat(kept, &st), 0, "the node kept a copy of the build that holds the chain's key in %s", kept);

    restart("--enclave", enclave_b, NULL);
    th_node_advance(&node, 1); /* answers once the epochs are settled and the poll counted */
    cr_assert(logged("the enclave got the chain's ballot key by a handover from"), "the handover is logged");
    expect_attested_b(enclave_b_addr, key_hex);
    cr_assert_str_neq(enclave_b_addr, enclave_a, "another enclave");
    uint8_t key[LEDGER_BALLOT_KEY_LEN];
    ballot_key(key, key_after, enclave_b_addr);
    cr_assert_str_eq(key_after, key_hex, "the key B vouches for is the chain's");
    expect_counted(id, enclave_b_addr);
    cJSON *resp = expect_key_events(2, key_hex);
    const cJSON *second = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(th_result(resp), "events"), 1);
    cr_assert_str_eq(th_str(second, "enclave"), enclave_b_addr, "recorded for B");
    cJSON_Delete(resp);

    /* A's attestation stays readable by its address, and verify-poll checks each poll against the
     * enclave that counted it */
    resp = th_callf(&node, "enclave_getAttestation", "{\"address\":\"%s\"}", enclave_a);
    const cJSON *a = th_result(resp);
    cr_assert_str_eq(th_str(a, "enclave"), enclave_a, "A by its address");
    cr_assert_str_eq(th_str(a, "ballotKey"), key_hex, "with the chain's key");
    cr_assert_str_neq(th_str(a, "measurement"), measurement_b, "A's measurement");
    uint8_t sig[LEDGER_BALLOT_KEY_SIG_LEN], signer[20], addr[20];
    cr_assert_eq(ledger_hex_decode_exact(sig, sizeof sig, th_str(a, "ballotKeySignature")), ST_OK, "A's signature");
    cr_assert_eq(ledger_ballot_key_signer(signer, CHAIN, key, sig), ST_OK, "recovers");
    cr_assert_eq(ledger_addr_parse(addr, enclave_a), ST_OK, "A's address");
    cr_assert_eq(memcmp(signer, addr, 20), 0, "to A");
    cJSON_Delete(resp);
    resp = th_callf(&node, "enclave_getAttestation", "{\"address\":\"0x000000000000000000000000000000000000dEaD\"}");
    cr_assert_eq(th_error_code(resp), -32003, "an unknown enclave");
    cr_assert_str_eq(th_str(cJSON_GetObjectItemCaseSensitive(resp, "error"), "message"),
                     "no enclave 0x000000000000000000000000000000000000dEaD is registered", "says so");
    cJSON_Delete(resp);
    resp = th_callf(&node, "enclave_getAttestation", "{\"address\":\"0x1234\"}");
    cr_assert_eq(th_error_code(resp), -32602, "a malformed address");
    cJSON_Delete(resp);
    cr_assert_eq(verify_poll(early), 0, "the poll A counted verifies against A after the upgrade");
    cr_assert_eq(verify_poll(id), 0, "the poll B counted verifies against B");

    /* B keeps the key across its restarts (the sealed file the host wrote): nothing new to record */
    restart("--enclave", enclave_b, NULL);
    th_node_advance(&node, 1);
    cr_assert_not(logged("handover"), "no handover the second time");
    cJSON_Delete(expect_key_events(2, key_hex));
}

Test(integration_secret_upgrade, with_no_build_that_holds_the_key_nothing_is_recorded_and_the_poll_waits)
{
    char key_hex[KEY_HEX], enclave_a[LEDGER_ADDR_STRLEN], enclave_b_addr[LEDGER_ADDR_STRLEN];
    stake();
    unsigned id = ballots_cast_and_closed_without_an_enclave(key_hex, enclave_a);
    char kept[256];
    snprintf(kept, sizeof kept, "%s/enclave/holders", node.datadir);
    th_rmtree(kept);

    restart("--enclave", enclave_b, NULL);
    th_node_advance(&node, 1);
    cr_assert(logged("no enclave build that holds it could be run"), "the node says why the poll waits");
    expect_proposal(id, "Counting", "waiting for the ballot key's handover");
    expect_attested_b(enclave_b_addr, NULL);
    cJSON_Delete(expect_key_events(1, key_hex));

    /* a build named by hand that does not hold the key changes nothing */
    restart("--enclave", enclave_b, "--handover-enclave", enclave_c, NULL);
    th_node_advance(&node, 1);
    cr_assert(logged("it does not hold the chain's ballot key"), "the node says why C cannot hand it over");
    expect_proposal(id, "Counting", "waiting for the ballot key's handover");
    cJSON_Delete(expect_key_events(1, key_hex));

    /* the old build named by hand hands it over */
    restart("--enclave", enclave_b, "--handover-enclave", ENCLAVE_A, NULL);
    th_node_advance(&node, 1);
    cr_assert(logged("the enclave got the chain's ballot key by a handover from " ENCLAVE_A), "the handover is logged");
    expect_attested_b(enclave_b_addr, key_hex);
    expect_counted(id, enclave_b_addr);
    cJSON_Delete(expect_key_events(2, key_hex));
}

/* The latest settled epoch (settlement_listEpochs), and the enclave that settled it into enclave. */
static double latest_settled(char enclave[LEDGER_ADDR_STRLEN])
{
    cJSON *resp = th_callf(&node, "settlement_listEpochs", "{\"limit\":1}");
    const cJSON *latest = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(th_result(resp), "epochs"), 0);
    cr_assert_not_null(latest, "an epoch is settled");
    double epoch = th_num(latest, "epoch");
    snprintf(enclave, LEDGER_ADDR_STRLEN, "%s", th_str(latest, "enclave"));
    cJSON_Delete(resp);
    return epoch;
}

Test(integration_secret_upgrade, a_build_allowlisted_while_it_runs_is_admitted_without_a_restart)
{
    char key_hex[KEY_HEX], enclave_a[LEDGER_ADDR_STRLEN], enclave_b_addr[LEDGER_ADDR_STRLEN], settler[LEDGER_ADDR_STRLEN];
    stake();
    unsigned upgrade = 0, id = ballots_cast_and_the_upgrade_voted(key_hex, enclave_a, &upgrade);

    /* B runs before governance allowlists it: it settles and counts nothing */
    restart("--enclave", enclave_b, NULL);
    cr_assert(logged("is not on the allowlist; it settles nothing until governance adds its measurement"),
              "the node says B waits for governance");
    double before = latest_settled(settler);
    cr_assert_str_eq(settler, enclave_a, "A settled the epochs so far");
    th_node_advance(&node, 3 * DAY);
    expect_proposal(id, "Counting", "waiting for an allowlisted enclave");
    th_node_advance(&node, DAY);
    cr_assert_eq(latest_settled(settler), before, "no epoch settled while B was not allowlisted");

    /* the block that allowlists B admits it: registered, the chain's key handed over from the kept
     * copy of A and recorded, the waiting epochs settled and the poll counted, with no restart */
    th_send_done(&node, 0, "ProposalExecute", "{\"proposal\":\"%u\"}", upgrade);
    th_node_advance(&node, HOUR); /* a block after the registration's, and the answer once all is done */
    cr_assert(logged("is on the allowlist now; admitting it"), "the admission is logged");
    cr_assert(logged("the enclave got the chain's ballot key by a handover from"), "the handover is logged");
    expect_attested_b(enclave_b_addr, key_hex);
    cr_assert_str_neq(enclave_b_addr, enclave_a, "another enclave");
    expect_counted(id, enclave_b_addr);
    cJSON_Delete(expect_key_events(2, key_hex));
    cr_assert_geq(latest_settled(settler), before + 4 * 24, "the epochs that waited are settled");
    cr_assert_str_eq(settler, enclave_b_addr, "by B");
}
