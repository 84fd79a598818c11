/* SPDX-License-Identifier: MIT */
/* test_tx_order.c: conclaved verifies signed transactions on worker threads (--verify-threads) and
 * still applies them in the order they arrived: a batch of 100 transfers from one sender with
 * consecutive nonces all succeed, each after the one before it in the chain; so do interleaved
 * senders; a bad signature in the middle of a batch is refused alone while the rest land; a
 * client that leaves before its batch is verified harms nothing and the node still stops cleanly;
 * batches from many connections at once, with a batch of reads among them, land in order and the
 * reads see whole batches; reads that come while blocks stay open for the transfers on their way
 * wait for them to close and see whole batches, each batch in one block; a block waiting for calls
 * that are all refused still closes; and --verify-threads refuses what is not 1 to 256. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "tests/lib/node.h"
#include "tests/lib/testhelp.h"

#define BATCH 100
#define SINK 9                       /* the dev account every transfer pays */

static th_node node;

static void teardown(void)
{
    th_node_cleanup(&node);
}

/* Starts the node with threads verification threads. */
static void start_with_threads(const char *threads)
{
    static const char *options[4];
    memset(&node, 0, sizeof node);
    options[0] = "--no-enclave";
    options[1] = "--verify-threads";
    options[2] = threads;
    options[3] = NULL;
    node.options = options;
    th_node_start(&node, false);
}

/* POSTs a batch of n tx_send calls whose params are given (each freed) and returns the parsed
 * array of answers, asserting there are n. */
static cJSON *post_batch(char **params, unsigned n)
{
    size_t cap = 1 << 20, len = 0;
    char *body = malloc(cap);
    cr_assert_not_null(body, "memory for the batch");
    len += (size_t)snprintf(body + len, cap - len, "[");
    for (unsigned i = 0; i < n; i++) {
        len += (size_t)snprintf(body + len, cap - len, "%s{\"jsonrpc\":\"2.0\",\"id\":%u,\"method\":\"tx_send\","
                                "\"params\":%s}", i ? "," : "", i, params[i]);
        free(params[i]);
    }
    snprintf(body + len, cap - len, "]");
    int status;
    char *text = th_post(&node, body, &status);
    cJSON *resp = cJSON_Parse(text);
    cr_assert_eq(cJSON_GetArraySize(resp), (int)n, "%u answers: %.300s", n, text);
    free(text);
    free(body);
    return resp;
}

/* The answer with id i (a batch may be answered in any order; conclaved keeps request order). */
static const cJSON *answer(const cJSON *resp, unsigned i)
{
    const cJSON *a = cJSON_GetArrayItem(resp, (int)i);
    cr_assert_eq(cJSON_GetObjectItemCaseSensitive(a, "id")->valuedouble, i, "answer %u in its place", i);
    return a;
}

/* Asserts that every answer but those in skip (NULL-free list, n_skip long) is a success, and that
 * their receipts stand in the chain in the batch's order: (block, index) strictly increasing. */
static void expect_in_order(const cJSON *resp, unsigned n, const unsigned *skip, unsigned n_skip)
{
    double last_block = -1, last_index = -1;
    for (unsigned i = 0; i < n; i++) {
        bool skipped = false;
        for (unsigned s = 0; s < n_skip; s++)
            skipped |= skip[s] == i;
        if (skipped)
            continue;
        const cJSON *r = th_result(answer(resp, i));
        cr_assert_str_eq(th_str(r, "status"), "success", "transfer %u succeeded", i);
        double block = th_num(r, "block"), index = th_num(r, "index");
        cr_assert(block > last_block || (block == last_block && index > last_index),
                  "transfer %u (block %.0f index %.0f) comes after the one before it (block %.0f index %.0f)", i,
                  block, index, last_block, last_index);
        last_block = block;
        last_index = index;
    }
}

static char *balance_of(unsigned who)
{
    cJSON *resp = th_callf(&node, "ledger_getAccount", "{\"address\":\"%s\"}", th_addr(who));
    char *text = strdup(th_str(th_result(resp), "free"));
    cJSON_Delete(resp);
    return text;
}

ParameterizedTestParameters(integration_tx_order, one_sender_keeps_nonce_order)
{
    static unsigned threads[] = { 1, 2, 8 };
    return cr_make_param_array(unsigned, threads, sizeof threads / sizeof threads[0]);
}

ParameterizedTest(unsigned *threads, integration_tx_order, one_sender_keeps_nonce_order, .fini = teardown,
                  .timeout = 120)
{
    char count[16];
    snprintf(count, sizeof count, "%u", *threads);
    start_with_threads(count);
    char *before = balance_of(SINK);
    char *params[BATCH];
    for (unsigned i = 0; i < BATCH; i++)
        params[i] = th_transfer_params(0, SINK, "1", i, 31337);
    cJSON *resp = post_batch(params, BATCH);
    expect_in_order(resp, BATCH, NULL, 0);
    cJSON_Delete(resp);
    cr_assert_eq(th_nonce(&node, 0), BATCH, "the sender's nonce moved past the whole batch");
    char *after = balance_of(SINK);
    cr_assert_str_neq(after, before, "the transfers landed");
    free(before);
    free(after);
}

Test(integration_tx_order, interleaved_senders_keep_each_ones_order, .fini = teardown, .timeout = 120)
{
    start_with_threads("4");
    char *params[BATCH];
    for (unsigned i = 0; i < BATCH; i++)
        params[i] = th_transfer_params(i % 4, SINK, "1", i / 4, 31337);
    cJSON *resp = post_batch(params, BATCH);
    expect_in_order(resp, BATCH, NULL, 0);
    cJSON_Delete(resp);
    for (unsigned who = 0; who < 4; who++)
        cr_assert_eq(th_nonce(&node, who), BATCH / 4, "dev account %u sent its quarter", who);
}

/* Replaces the "signature" of params (freed) with sig, and adds "from" when from is not NULL. */
static char *resign(char *params, const char *sig, const char *from)
{
    cJSON *p = cJSON_Parse(params);
    if (sig)
        cJSON_ReplaceItemInObject(p, "signature", cJSON_CreateString(sig));
    if (from)
        cJSON_AddStringToObject(p, "from", from);
    char *text = cJSON_PrintUnformatted(p);
    cJSON_Delete(p);
    free(params);
    return text;
}

/* A 65-byte signature whose r is 0 (v 27), as 0x-hex: refused as out of range. */
#define ZERO_R_LEN 133
static void zero_r_signature(char out[ZERO_R_LEN])
{
    memset(out, '0', ZERO_R_LEN - 1);
    out[1] = 'x';
    out[ZERO_R_LEN - 1] = '\0';
    memcpy(out + 130, "1b", 2);
}

Test(integration_tx_order, a_bad_signature_mid_batch_is_refused_alone, .fini = teardown, .timeout = 120)
{
    start_with_threads("2");
    char zero_r[ZERO_R_LEN];
    zero_r_signature(zero_r);
    const unsigned bad[] = { 30, 60 };
    char *params[BATCH];
    for (unsigned i = 0, n = 0; i < BATCH; i++) {
        if (i == bad[0])
            params[i] = resign(th_transfer_params(5, SINK, "1", 0, 31337), zero_r, NULL);
        else if (i == bad[1]) /* signed by 5, claimed as 6's */
            params[i] = resign(th_transfer_params(5, SINK, "1", 0, 31337), NULL, th_addr(6));
        else {
            params[i] = th_transfer_params(n % 4, SINK, "1", n / 4, 31337);
            n++;
        }
    }
    cJSON *resp = post_batch(params, BATCH);
    expect_in_order(resp, BATCH, bad, 2);
    const cJSON *zero = answer(resp, bad[0]), *claimed = answer(resp, bad[1]);
    cr_assert_eq(th_error_code(zero), -32002, "a signature with r = 0 is a signature error");
    cr_assert(strstr(th_str(cJSON_GetObjectItemCaseSensitive(zero, "error"), "message"), "r is out of range"),
              "the reason is kept");
    cr_assert_eq(th_error_code(claimed), -32002, "a signer other than the one claimed is a signature error");
    cr_assert(strstr(th_str(cJSON_GetObjectItemCaseSensitive(claimed, "error"), "message"), "not by"),
              "it names both addresses");
    cJSON_Delete(resp);
    cr_assert_eq(th_nonce(&node, 5), 0, "the refused sender's nonce did not move");
    for (unsigned who = 0; who < 4; who++)
        cr_assert_eq(th_nonce(&node, who), (BATCH - 2) / 4 + (who < (BATCH - 2) % 4), "dev account %u", who);
}

Test(integration_tx_order, verify_threads_takes_1_to_256)
{
    static const char *const bad[] = { "0", "257", "2x", "-1", "" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *argv[] = { TEST_BUILDDIR "/conclaved", "--dev", "--verify-threads", bad[i], NULL };
        cr_assert_eq(th_run(argv), 2, "'%s' is a usage error", bad[i]);
    }
}

/* Sends body as one POST on a new loopback connection. Returns: the connection. */
static int post_on_new_connection(const char *body)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)node.port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert_geq(fd, 0, "socket");
    cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0, "connect");
    char head[256];
    int len = snprintf(head, sizeof head, "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                       "Content-Length: %zu\r\n\r\n", strlen(body));
    cr_assert_eq(write(fd, head, (size_t)len), len, "request head sent");
    cr_assert_eq(write(fd, body, strlen(body)), (ssize_t)strlen(body), "request body sent");
    return fd;
}

/* Sends body as one POST on a new loopback connection and closes it without reading the answer. */
static void post_and_leave(const char *body)
{
    close(post_on_new_connection(body));
}

/* Reads one HTTP answer with a Content-Length from fd (then closed). Returns: its parsed body. */
static cJSON *read_answer(int fd)
{
    size_t cap = 1 << 20, len = 0;
    char *buf = malloc(cap + 1);
    cr_assert_not_null(buf, "memory for the answer");
    const char *body = NULL;
    size_t want = 0;
    while (!body || len < (size_t)(body - buf) + want) {
        cr_assert_lt(len, cap, "the answer fits");
        ssize_t r = read(fd, buf + len, cap - len);
        cr_assert_gt(r, 0, "the answer comes whole");
        len += (size_t)r;
        buf[len] = '\0';
        const char *end = body ? NULL : strstr(buf, "\r\n\r\n");
        if (end) {
            const char *cl = strstr(buf, "Content-Length:");
            cr_assert(cl && cl < end, "a Content-Length: %.200s", buf);
            want = strtoul(cl + 15, NULL, 10);
            body = end + 4;
        }
    }
    close(fd);
    cJSON *answer = cJSON_ParseWithLength(body, want);
    cr_assert_not_null(answer, "an answer in JSON: %.200s", body);
    free(buf);
    return answer;
}

/* A batch body of n calls: ledger_getAccount of dev account 0 when reads, else transfers to SINK
 * from dev account `from` with nonces first, first + 1, ... */
static char *batch_body(bool reads, unsigned from, unsigned first, unsigned n)
{
    size_t cap = 1 << 20, len = 0;
    char *body = malloc(cap);
    cr_assert_not_null(body, "memory for the batch");
    len += (size_t)snprintf(body + len, cap - len, "[");
    for (unsigned i = 0; i < n; i++) {
        char *params = reads ? NULL : th_transfer_params(from, SINK, "1", first + i, 31337);
        len += (size_t)snprintf(body + len, cap - len, "%s{\"jsonrpc\":\"2.0\",\"id\":%u,\"method\":\"%s\",\"params\":",
                                i ? "," : "", i, reads ? "ledger_getAccount" : "tx_send");
        if (reads)
            len += (size_t)snprintf(body + len, cap - len, "{\"address\":\"%s\"}}", th_addr(0));
        else
            len += (size_t)snprintf(body + len, cap - len, "%s}", params);
        free(params);
    }
    snprintf(body + len, cap - len, "]");
    return body;
}

#define SENDERS 6
#define ROUNDS 4
#define PER_BATCH 50

/* Batches from several connections at once, each read in while the blocks of the others are being
 * applied (a block takes the calls verified meanwhile), with batches of reads among them: every
 * transfer lands in its sender's order, every read answers with a whole block's state (the nonce
 * of dev account 0 at a multiple of PER_BATCH: its batch applied whole or not at all). */
Test(integration_tx_order, batches_from_many_connections_with_reads_among_them_land_in_order, .fini = teardown,
     .timeout = 120)
{
    start_with_threads("2");
    for (unsigned round = 0; round < ROUNDS; round++) {
        int fds[SENDERS + 1];
        for (unsigned who = 0; who < SENDERS; who++) {
            char *body = batch_body(false, who, round * PER_BATCH, PER_BATCH);
            fds[who] = post_on_new_connection(body);
            free(body);
            if (who == SENDERS / 2) {
                body = batch_body(true, 0, 0, PER_BATCH);
                fds[SENDERS] = post_on_new_connection(body);
                free(body);
            }
        }
        for (unsigned who = 0; who < SENDERS; who++) {
            cJSON *resp = read_answer(fds[who]);
            cr_assert_eq(cJSON_GetArraySize(resp), PER_BATCH, "sender %u: every call answered", who);
            expect_in_order(resp, PER_BATCH, NULL, 0);
            cJSON_Delete(resp);
        }
        cJSON *reads = read_answer(fds[SENDERS]);
        cr_assert_eq(cJSON_GetArraySize(reads), PER_BATCH, "every read answered");
        double seen = th_num(th_result(answer(reads, 0)), "nonce");
        for (unsigned i = 0; i < PER_BATCH; i++)
            cr_assert_eq(th_num(th_result(answer(reads, i)), "nonce"), seen, "the batch's reads saw one state");
        cr_assert(seen == round * PER_BATCH || seen == (round + 1) * PER_BATCH,
                  "round %u: the reads saw account 0's batch whole or not at all (nonce %.0f)", round, seen);
        cJSON_Delete(reads);
    }
    for (unsigned who = 0; who < SENDERS; who++)
        cr_assert_eq(th_nonce(&node, who), ROUNDS * PER_BATCH, "dev account %u sent every batch", who);
    cr_assert_eq(th_node_stop(&node, SIGTERM), 0, "the node stops cleanly");
}

#define OPEN_SENDERS 8
#define OPEN_ROUNDS 16
#define MAX_READS 400
#define OPEN_BATCH 50 /* under the 100 results the pool hands back a turn: a read can follow a batch in one */

/* Whether an answer waits to be read on each of the n connections. */
static bool all_readable(const int *fds, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        struct pollfd p = { .fd = fds[i], .events = POLLIN };
        if (poll(&p, 1, 0) != 1)
            return false;
    }
    return true;
}

/* Checks (and deletes) the answers of the reads of each sender's account: each nonce a multiple of
 * a batch, round's batch applied whole or not at all. */
static void expect_whole_batches(cJSON *resp, unsigned round)
{
    for (unsigned who = 0; who < OPEN_SENDERS; who++) {
        double nonce = th_num(th_result(answer(resp, who)), "nonce");
        cr_assert(nonce == round * OPEN_BATCH || nonce == (round + 1) * OPEN_BATCH,
                  "round %u: dev account %u's batch whole or not at all (nonce %.0f)", round, who, nonce);
    }
    cJSON_Delete(resp);
}

/* Batches of OPEN_BATCH transfers from OPEN_SENDERS connections at once keep blocks open across turns of
 * the loop (a block stays open while transactions are on their way to it), while reads come on
 * other connections, one behind each batch and then one after the other until every transfer is
 * answered: no read
 * fails or sees an open block (each sender's nonce is a multiple of OPEN_BATCH: its batch applied
 * whole or not at all), and each batch's transfers are answered in one block. */
Test(integration_tx_order, reads_while_blocks_stay_open_see_whole_batches_and_each_batch_is_one_block,
     .fini = teardown, .timeout = 120)
{
    start_with_threads("2");
    char *reads = malloc(4096);
    cr_assert_not_null(reads, "memory");
    size_t len = (size_t)snprintf(reads, 4096, "[");
    for (unsigned who = 0; who < OPEN_SENDERS; who++)
        len += (size_t)snprintf(reads + len, 4096 - len, "%s{\"jsonrpc\":\"2.0\",\"id\":%u,\"method\":"
                                "\"ledger_getAccount\",\"params\":{\"address\":\"%s\"}}", who ? "," : "", who, th_addr(who));
    snprintf(reads + len, 4096 - len, "]");
    unsigned total_reads = 0;
    for (unsigned round = 0; round < OPEN_ROUNDS; round++) {
        int fds[OPEN_SENDERS];
        char *bodies[OPEN_SENDERS];
        for (unsigned who = 0; who < OPEN_SENDERS; who++) /* signed before any is sent: they arrive together */
            bodies[who] = batch_body(false, who, round * OPEN_BATCH, OPEN_BATCH);
        /* a read right behind each batch: it reaches the pool while the block holding the batch
         * before is open, with this batch's transfers coming behind it */
        for (unsigned who = 0; who < OPEN_SENDERS; who++, total_reads++) {
            fds[who] = post_on_new_connection(bodies[who]);
            free(bodies[who]);
            expect_whole_batches(read_answer(post_on_new_connection(reads)), round);
        }
        for (unsigned n = 0; n < MAX_READS && !all_readable(fds, OPEN_SENDERS); n++, total_reads++)
            expect_whole_batches(read_answer(post_on_new_connection(reads)), round);
        for (unsigned who = 0; who < OPEN_SENDERS; who++) {
            cJSON *resp = read_answer(fds[who]);
            cr_assert_eq(cJSON_GetArraySize(resp), OPEN_BATCH, "sender %u: every call answered", who);
            expect_in_order(resp, OPEN_BATCH, NULL, 0);
            double block = th_num(th_result(answer(resp, 0)), "block");
            for (unsigned i = 1; i < OPEN_BATCH; i++)
                cr_assert_eq(th_num(th_result(answer(resp, i)), "block"), block, "sender %u: its batch in one block", who);
            cJSON_Delete(resp);
        }
    }
    free(reads);
    cr_assert_gt(total_reads, 0, "reads came while the transfers were in flight");
    for (unsigned who = 0; who < OPEN_SENDERS; who++)
        cr_assert_eq(th_nonce(&node, who), OPEN_ROUNDS * OPEN_BATCH, "dev account %u sent every batch", who);
    cr_assert_eq(th_node_stop(&node, SIGTERM), 0, "the node stops cleanly");
}

Test(integration_tx_order, a_client_gone_before_its_batch_is_verified_harms_nothing, .fini = teardown, .timeout = 120)
{
    start_with_threads("2");
    size_t cap = 1 << 20, len = 0;
    char *body = malloc(cap);
    cr_assert_not_null(body, "memory for the batch");
    len += (size_t)snprintf(body + len, cap - len, "[");
    for (unsigned i = 0; i < BATCH; i++) {
        char *params = th_transfer_params(0, SINK, "1", i, 31337);
        len += (size_t)snprintf(body + len, cap - len, "%s{\"jsonrpc\":\"2.0\",\"id\":%u,\"method\":\"tx_send\","
                                "\"params\":%s}", i ? "," : "", i, params);
        free(params);
    }
    snprintf(body + len, cap - len, "]");
    post_and_leave(body);
    free(body);
    /* a transfer of another sender's, answered once durable, after the batch if the batch was read */
    char *params = th_transfer_params(1, SINK, "1", 0, 31337);
    cJSON *resp = th_call(&node, "tx_send", params);
    free(params);
    cr_assert_str_eq(th_str(th_result(resp), "status"), "success", "the node still serves");
    cJSON_Delete(resp);
    uint64_t nonce = th_nonce(&node, 0);
    cr_assert(nonce == 0 || nonce == BATCH, "the abandoned batch applied whole or not at all (nonce %llu)",
              (unsigned long long)nonce);
    cr_assert_eq(th_node_stop(&node, SIGTERM), 0, "the node stops cleanly, its threads joined");
}

#define REFUSED 50

/* A transfer, and a batch of calls whose signatures are all bad read in the same turn: the block
 * opened for the transfer waits for the batch's calls, which are all refused; it must still close
 * (nothing else will come to wake it), and the transfer be answered. */
Test(integration_tx_order, a_block_waiting_for_calls_that_are_all_refused_still_closes, .fini = teardown,
     .timeout = 120)
{
    start_with_threads("2");
    char zero_r[ZERO_R_LEN];
    zero_r_signature(zero_r);
    char single[2048];
    char *params = th_transfer_params(0, SINK, "1", 0, 31337);
    snprintf(single, sizeof single, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tx_send\",\"params\":%s}", params);
    free(params);
    size_t cap = 1 << 20, len = 0;
    char *refused = malloc(cap);
    cr_assert_not_null(refused, "memory for the batch");
    len += (size_t)snprintf(refused + len, cap - len, "[");
    for (unsigned i = 0; i < REFUSED; i++) {
        params = resign(th_transfer_params(1, SINK, "1", i, 31337), zero_r, NULL);
        len += (size_t)snprintf(refused + len, cap - len, "%s{\"jsonrpc\":\"2.0\",\"id\":%u,\"method\":\"tx_send\","
                                "\"params\":%s}", i ? "," : "", i, params);
        free(params);
    }
    snprintf(refused + len, cap - len, "]");
    int transfer = post_on_new_connection(single), batch = post_on_new_connection(refused);
    free(refused);
    struct pollfd p = { .fd = transfer, .events = POLLIN };
    cr_assert_eq(poll(&p, 1, 10000), 1, "the transfer is answered within 10 s");
    cJSON *answer_of_transfer = read_answer(transfer);
    cr_assert_str_eq(th_str(th_result(answer_of_transfer), "status"), "success", "the transfer landed");
    cJSON_Delete(answer_of_transfer);
    cJSON *answers = read_answer(batch);
    for (unsigned i = 0; i < REFUSED; i++)
        cr_assert_eq(th_error_code(answer(answers, i)), -32002, "call %u refused for its signature", i);
    cJSON_Delete(answers);
    cr_assert_eq(th_nonce(&node, 1), 0, "the refused sender's nonce did not move");
}
