/* SPDX-License-Identifier: MIT */
/* test_secret_count.c: a whole secret poll on a real conclaved --dev with its real conclave-enclave:
 * ballots sealed here with ledger/ballot_box to the ballot key enclave_getAttestation gives (checked
 * against the enclave's identity first), a re-vote of which only the last counts, a ballot that does
 * not decrypt (sealed for another proposal) and one whose choice the system cannot count (both
 * counted invalid, in the turnout only), the close, the enclave's count landing as SecretPollCount,
 * the exact totals computed by hand, and the report's signature recovered to the enclave. Then
 * everything the node and the enclave wrote (their standard error, every file of the data
 * directory: the SQLite database and its WAL included), every RPC answer this test received and the
 * GET /events stream are searched for each ballot's plaintext choice: none is found.
 * Stakes: devs 1, 2, 3, 4 hold 100, 200, 300, 400 tokens; every ballot has conviction 1. */
#define _GNU_SOURCE /* memmem */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "enclave/count_report.h"
#include "ledger/ballot_box.h"
#include "ledger/hex.h"
#include "tests/lib/node.h"
#include "tests/lib/testhelp.h"

#define TOKEN "000000000000000000"
#define HOUR 3600
#define DAY 86400
#define CHAIN 31337
#define STREAM_CAP (1u << 20)

static th_node node;
static char stderr_path[256];
static char *answers;           /* every RPC answer received, one after another */
static size_t answers_len, answers_cap;

static void setup(void)
{
    memset(&node, 0, sizeof node);
    snprintf(stderr_path, sizeof stderr_path, "/tmp/conclave-it-log-XXXXXX");
    int fd = mkstemp(stderr_path);
    cr_assert_geq(fd, 0, "a log file");
    close(fd);
    th_node_start_logged(&node, stderr_path);
}

static void teardown(void)
{
    th_node_cleanup(&node);
    unlink(stderr_path);
    free(answers);
    answers = NULL;
    answers_len = answers_cap = 0;
}

TestSuite(integration_secret_count, .init = setup, .fini = teardown, .timeout = 180);

/* Keeps a response's text among the answers searched at the end; returns the response. */
static cJSON *kept(cJSON *resp)
{
    char *text = cJSON_PrintUnformatted(resp);
    size_t n = strlen(text);
    if (answers_len + n + 2 > answers_cap) {
        answers_cap = (answers_len + n + 2) * 2;
        answers = realloc(answers, answers_cap);
        cr_assert_not_null(answers, "memory for the answers");
    }
    memcpy(answers + answers_len, text, n);
    answers_len += n;
    answers[answers_len++] = '\n';
    answers[answers_len] = 0;
    cJSON_free(text);
    return resp;
}

/* The ballot key, once its signature recovers to the attested enclave. Out: key, enclave. */
static void ballot_key(uint8_t key[LEDGER_BALLOT_KEY_LEN], uint8_t enclave[20])
{
    cJSON *resp = kept(th_call(&node, "enclave_getAttestation", NULL));
    th_attested_ballot_key(th_result(resp), key, enclave);
    cJSON_Delete(resp);
}

/* Seals text for voter dev `who` on proposal `sealed_for` with fresh randomness, and casts it as
 * who's SecretBallot on proposal id. */
static void cast(unsigned who, unsigned id, unsigned sealed_for, const uint8_t key[LEDGER_BALLOT_KEY_LEN], const char *text)
{
    char *hex = th_seal_ballot(who, sealed_for, key, text);
    cJSON *resp = kept(th_send(&node, who, "SecretBallot", "{\"proposal\":\"%u\",\"ciphertext\":\"%s\",\"conviction\":\"1\"}",
                               id, hex));
    cr_assert_str_eq(th_str(th_result(resp), "status"), "success", "dev %u's SecretBallot lands", who);
    free(hex);
    cJSON_Delete(resp);
}

/* Opens GET /events on the node. Returns the socket. */
static int events_open(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)node.port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert(fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0, "connect to /events");
    static const char req[] = "GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n";
    cr_assert_eq(write(fd, req, sizeof req - 1), (ssize_t)(sizeof req - 1), "send the request");
    return fd;
}

/* Reads the stream into buf (STREAM_CAP) until text appears (10 s at most). Returns its length. */
static size_t events_until(int fd, char *buf, size_t len, const char *text)
{
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        buf[len] = 0;
        if (strstr(buf, text))
            return len;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long left = 10000 - ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000);
        cr_assert_gt(left, 0, "\"%s\" on the event stream in time", text);
        struct pollfd p = { .fd = fd, .events = POLLIN };
        cr_assert_geq(poll(&p, 1, (int)left), 0, "poll");
        if (!p.revents)
            continue;
        cr_assert_lt(len, STREAM_CAP - 1, "stream buffer full");
        ssize_t n = read(fd, buf + len, STREAM_CAP - 1 - len);
        cr_assert_gt(n, 0, "the stream stays open");
        len += (size_t)n;
    }
}

/* Whether needle (n bytes) occurs in the len bytes at hay. */
static bool holds(const void *hay, size_t len, const char *needle)
{
    return memmem(hay, len, needle, strlen(needle)) != NULL;
}

/* Asserts that no file under dir (recursively) holds any of needles (NULL-terminated). Returns how
 * many files were read. */
static unsigned files_without(const char *dir, const char *const *needles)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "open %s", dir);
    unsigned files = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        struct stat st;
        cr_assert_eq(stat(path, &st), 0, "stat %s", path);
        if (S_ISDIR(st.st_mode)) {
            files += files_without(path, needles);
            continue;
        }
        size_t len = 0;
        char *data = th_read_file(path, &len);
        for (const char *const *n = needles; *n; n++)
            cr_assert(!holds(data, len, *n), "%s holds the plaintext %s", path, *n);
        free(data);
        files++;
    }
    closedir(d);
    return files;
}

Test(integration_secret_count, the_enclave_counts_a_secret_poll_exactly_and_no_choice_is_written_anywhere)
{
    static char stream[STREAM_CAP];
    int events = events_open();
    size_t stream_len = events_until(events, stream, 0, "\r\n\r\n");
    static const char *const stakes[] = { "100", "200", "300", "400" };
    th_stake(&node, 1, stakes, 4);
    const char *payload = "{\"kind\":\"poll\",\"system\":\"weighted\",\"choices\":[\"A\",\"B\",\"C\"],\"secret\":true}";
    unsigned id = th_propose(&node, 1, "signal", payload);
    th_node_advance(&node, HOUR);

    uint8_t key[LEDGER_BALLOT_KEY_LEN], enclave[20];
    ballot_key(key, enclave);
    /* the distinctive choices, searched for at the end */
    static const char *const plaintexts[] = { "0.111222333", "0.123456789", "0.876543211", "0.555555555", "0.987654321", NULL };
    cast(1, id, id, key, "{\"1\":0.111222333,\"3\":0.987654321}");
    cast(1, id, id, key, "{\"1\":0.123456789,\"2\":0.876543211}");      /* the re-vote: only it counts */
    cast(2, id, id + 1, key, "{\"2\":0.987654321}");                      /* sealed for another proposal */
    cast(3, id, id, key, "{\"4\":0.555555555}");                          /* choice 4 of 3: uncountable */
    cast(4, id, id, key, "{\"3\":0.555555555}");

    /* the close: Counting, and the enclave's count lands before admin_advanceTime answers */
    th_node_advance(&node, 3 * DAY);
    cJSON *resp = kept(th_callf(&node, "gov_getResults", "{\"id\":%u}", id));
    const cJSON *r = th_result(resp);
    char *text = cJSON_PrintUnformatted(r);
    cr_assert_str_eq(th_str(r, "state"), "Succeeded", "counted and settled by its turnout: %s", text);
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "final")), "final: %s", text);
    const cJSON *scores = cJSON_GetObjectItemCaseSensitive(r, "scores");
    cr_assert_eq(cJSON_GetArraySize(scores), 3, "a score per choice: %s", text);
    /* dev 1's 100 split 0.123456789 : 0.876543211 (sum 1), dev 4's 400 all to C */
    cr_assert_str_eq(cJSON_GetArrayItem(scores, 0)->valuestring, "12345678900000000000", "A: %s", text);
    cr_assert_str_eq(cJSON_GetArrayItem(scores, 1)->valuestring, "87654321100000000000", "B: %s", text);
    cr_assert_str_eq(cJSON_GetArrayItem(scores, 2)->valuestring, "400" TOKEN, "C: %s", text);
    cr_assert_eq(th_num(r, "validVotes"), 2, "dev 1's and dev 4's: %s", text);
    cr_assert_eq(th_num(r, "invalidVotes"), 2, "dev 2's and dev 3's: %s", text);
    cr_assert_eq(th_num(r, "totalVotes"), 4, "four standing ballots: %s", text);
    cr_assert_str_eq(th_str(r, "scoresTotal"), "1000" TOKEN, "every ballot's weight, invalid ones too: %s", text);
    cr_assert_eq(th_num(r, "winner"), 3, "C wins: %s", text);
    char enclave_text[LEDGER_ADDR_STRLEN];
    ledger_addr_format(enclave_text, enclave);
    cr_assert_str_eq(th_str(r, "enclave"), enclave_text, "counted by the attested enclave: %s", text);

    /* the report's bytes are what the members say, and its signature recovers to the enclave */
    uint8_t *report = NULL, *payload_bytes = NULL, signer[20], sig[65];
    size_t report_len = 0;
    cr_assert_not_null(report = ledger_hex_decode_alloc(th_str(r, "report"), &report_len), "the report's bytes");
    cr_assert_eq(ledger_hex_decode_exact(sig, 65, th_str(r, "signature")), ST_OK, "the signature");
    cr_assert_not_null(payload_bytes = malloc(report_len + 65), "memory");
    memcpy(payload_bytes, report, report_len);
    memcpy(payload_bytes + report_len, sig, 65);
    enc_count_report rep;
    const char *why = NULL;
    cr_assert_eq(enc_count_report_parse(&rep, &why, payload_bytes, report_len + 65), ST_OK, "the report parses: %s", why);
    cr_assert_eq(enc_count_report_signer(signer, &rep), ST_OK, "the signature recovers");
    cr_assert_eq(memcmp(signer, enclave, 20), 0, "to the enclave");
    cr_assert_eq(rep.proposal, id, "the report names the poll");
    cr_assert_eq(rep.chain_id, CHAIN, "and the chain");
    cr_assert(rep.count == 4 && rep.valid == 2 && rep.invalid == 2, "its counts");
    char hash[67];
    ledger_hex_encode(hash, rep.ballots_hash, 32);
    cr_assert_str_eq(th_str(r, "ballotsHash"), hash, "its ballots hash");
    cJSON *sb = kept(th_callf(&node, "gov_getSecretBallots", "{\"id\":%u}", id));
    cr_assert_str_eq(th_str(th_result(sb), "ballotsHash"), hash, "the ballots gov_getSecretBallots lists");
    cJSON_Delete(sb);
    free(payload_bytes);
    free(report);
    cJSON_free(text);
    cJSON_Delete(resp);

    resp = kept(th_callf(&node, "ledger_getEvents", "{\"type\":\"PollCounted\",\"fromHeight\":1}"));
    const cJSON *ev = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(th_result(resp), "events"), 0);
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ev, "secret")), "PollCounted says secret");
    cr_assert_eq(th_num(ev, "valid"), 2, "valid");
    cr_assert_eq(th_num(ev, "invalid"), 2, "invalid");
    cJSON_Delete(resp);
    cJSON_Delete(kept(th_callf(&node, "ledger_getEvents", "{\"fromHeight\":0,\"limit\":100}")));
    cJSON_Delete(kept(th_callf(&node, "gov_getProposal", "{\"id\":%u}", id)));
    cJSON_Delete(kept(th_callf(&node, "gov_getVotes", "{\"id\":%u}", id)));
    stream_len = events_until(events, stream, stream_len, "PollCounted");

    /* nothing anyone can read holds a choice: answers, stream, files (database and WAL), stderr */
    for (const char *const *n = plaintexts; *n; n++) {
        cr_assert(!holds(answers, answers_len, *n), "an RPC answer holds the plaintext %s", *n);
        cr_assert(!holds(stream, stream_len, *n), "the event stream holds the plaintext %s", *n);
    }
    cr_assert_geq(files_without(node.datadir, plaintexts), 2, "the data directory's files were read");
    th_node_stop(&node, SIGTERM);
    files_without(node.datadir, plaintexts);
    size_t len = 0;
    char *log = th_read_file(stderr_path, &len);
    cr_assert(holds(log, len, "conclave-enclave"), "the enclave's standard error is in the log");
    for (const char *const *n = plaintexts; *n; n++)
        cr_assert(!holds(log, len, *n), "the node's or enclave's standard error holds the plaintext %s", *n);
    free(log);
    close(events);
}

Test(integration_secret_count, a_count_that_fails_its_checks_changes_nothing_and_is_asked_again)
{
    static char stream[STREAM_CAP];
    int events = events_open();
    size_t stream_len = events_until(events, stream, 0, "\r\n\r\n");
    static const char *const stake[] = { "100" };
    th_stake(&node, 1, stake, 1);
    th_node_advance(&node, 10); /* the close is then no epoch's end, whose report would take the tamper */
    const char *payload = "{\"kind\":\"poll\",\"system\":\"single-choice\",\"choices\":[\"A\",\"B\"],\"secret\":true}";
    unsigned id = th_propose(&node, 1, "signal", payload);
    th_node_advance(&node, HOUR);
    uint8_t key[LEDGER_BALLOT_KEY_LEN], enclave[20];
    ballot_key(key, enclave);
    cast(1, id, id, key, "2");

    /* the epochs before the close are settled first; then the first count's report is tampered
     * with on its way: its SecretPollCount fails */
    cJSON *resp = th_callf(&node, "gov_getProposal", "{\"id\":%u}", id);
    uint64_t vote_end = (uint64_t)th_num(cJSON_GetObjectItemCaseSensitive(th_result(resp), "timeline"), "voteEnd");
    cJSON_Delete(resp);
    th_node_advance_to(&node, vote_end - 1);
    cJSON_Delete(th_call(&node, "admin_tamperNextReport", NULL));
    th_node_advance_to(&node, vote_end);
    resp = th_callf(&node, "gov_getProposal", "{\"id\":%u}", id);
    cr_assert_str_eq(th_str(th_result(resp), "state"), "Counting", "the failed count changed nothing");
    cr_assert_str_eq(th_str(th_result(resp), "counting"), "waiting to be counted again after a refused count",
                     "the poll says it waits for its retry");
    cJSON_Delete(resp);
    resp = th_callf(&node, "gov_getResults", "{\"id\":%u}", id);
    cr_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(th_result(resp), "scores")), "no scores stored");
    cJSON_Delete(resp);
    size_t len = 0;
    char *log = th_read_file(stderr_path, &len);
    char expected[160];
    snprintf(expected, sizeof expected, "counting a secret poll (proposal %u) failed: the count report is not signed by a "
             "registered enclave; it is asked again in 5 s", id);
    cr_assert(holds(log, len, expected), "the node logs why the count failed: %s", log);
    free(log);

    /* asked again 5 s later on the node's clock: not before */
    th_node_advance(&node, 4);
    resp = th_callf(&node, "gov_getProposal", "{\"id\":%u}", id);
    cr_assert_str_eq(th_str(th_result(resp), "counting"), "waiting to be counted again after a refused count",
                     "still waiting 4 s later");
    cJSON_Delete(resp);
    th_node_advance(&node, 1);
    events_until(events, stream, stream_len, "PollCounted");
    resp = th_callf(&node, "gov_getResults", "{\"id\":%u}", id);
    const cJSON *r = th_result(resp);
    cr_assert_str_eq(th_str(r, "state"), "Succeeded", "counted at the second try");
    cr_assert_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(r, "scores"), 1)->valuestring, "100" TOKEN, "B");
    cr_assert_eq(th_num(r, "validVotes"), 1, "one valid ballot");
    cJSON_Delete(resp);
    close(events);
}
