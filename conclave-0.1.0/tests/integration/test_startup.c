/* SPDX-License-Identifier: MIT */
/* test_startup.c: conclaved's start-up on the real binary. A start refused for want of a genesis
 * exits with status 1 (it once died of SIGFPE) and leaves no file behind; a start refused for another
 * genesis writes no block; a data directory whose start was killed after the schema, before the
 * genesis, starts again with --dev; ledger_audit over JSON-RPC catches a block that does not follow
 * the chain's own genesis; a second conclaved on a running node's data directory is refused;
 * --rpc-connections-per-address sets how many connections one address may hold. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "ledger/ledger.h"
#include "tests/lib/node.h"
#include "tests/lib/testhelp.h"

static th_node node;

static void setup(void)
{
    memset(&node, 0, sizeof node);
}

static void teardown(void)
{
    th_node_cleanup(&node);
}

TestSuite(integration_startup, .init = setup, .fini = teardown, .timeout = 60);

/* Runs conclaved (no enclave, any free port) on node.datadir with genesis_file (NULL: none).
 * Returns its exit code, -1 if a signal ended it. */
static int run_node(const char *genesis_file)
{
    const char *argv[] = { TEST_BUILDDIR "/conclaved", "--datadir", node.datadir, "--no-enclave", "--rpc-bind",
                           "127.0.0.1:0", genesis_file ? "--genesis" : NULL, genesis_file, NULL };
    return th_run(argv);
}

static void in_datadir(char *out, size_t len, const char *name)
{
    snprintf(out, len, "%s/%s", node.datadir, name);
}

/* The newest block of the stopped node's ledger. */
static ledger_block head_block(void)
{
    ledger *l = th_node_ledger(&node);
    ledger_block b;
    cr_assert_eq(ledger_block_head(l, &b), ST_OK, "a newest block");
    ledger_close(l);
    return b;
}

Test(integration_startup, a_start_without_a_genesis_exits_cleanly_and_writes_nothing)
{
    snprintf(node.datadir, sizeof node.datadir, "/tmp/conclave-it-XXXXXX");
    cr_assert_not_null(mkdtemp(node.datadir), "temp data directory");
    cr_assert_eq(run_node(NULL), 1, "exit status 1, not a signal");
    char path[192];
    in_datadir(path, sizeof path, "conclave.db");
    cr_assert_neq(access(path, F_OK), 0, "no database created");
    in_datadir(path, sizeof path, ".cookie");
    cr_assert_neq(access(path, F_OK), 0, "no cookie written");
}

Test(integration_startup, a_start_refused_for_another_genesis_writes_no_block)
{
    th_node_start(&node, false);
    th_node_stop(&node, SIGTERM);
    ledger_block before = head_block();
    /* hourly epochs from 1970: under this genesis, the wall clock would have every epoch due */
    char genesis_file[192];
    in_datadir(genesis_file, sizeof genesis_file, "other-genesis.json");
    FILE *f = fopen(genesis_file, "w");
    cr_assert_not_null(f, "genesis file");
    fputs("{\"chainId\":5,\"time\":0}", f);
    cr_assert_eq(fclose(f), 0, "genesis file written");
    cr_assert_eq(run_node(genesis_file), 1, "refused with exit status 1");
    ledger_block after = head_block();
    cr_assert_eq(after.height, before.height, "no block written by the refused start");
    cr_assert_eq(memcmp(after.hash, before.hash, 32), 0, "the same newest block");
}

Test(integration_startup, a_data_directory_with_a_schema_but_no_genesis_starts_with_dev)
{
    snprintf(node.datadir, sizeof node.datadir, "/tmp/conclave-it-XXXXXX");
    cr_assert_not_null(mkdtemp(node.datadir), "temp data directory");
    char path[192], err[256] = "";
    in_datadir(path, sizeof path, "conclave.db");
    ledger *l = NULL;
    cr_assert_eq(ledger_open(&l, err, sizeof err, path), ST_OK, "the schema, as a killed start left it: %s", err);
    ledger_close(l);
    th_node_start(&node, true);
    cJSON *resp = th_call(&node, "node_info", NULL);
    cr_assert_eq(th_num(th_result(resp), "chainId"), 31337, "the dev chain");
    cJSON_Delete(resp);
}

Test(integration_startup, ledger_audit_catches_a_block_that_does_not_follow_the_genesis)
{
    th_node_start(&node, false);
    th_node_stop(&node, SIGTERM);
    char path[192];
    in_datadir(path, sizeof path, "conclave.db");
    th_append_foreign_tick(path);
    th_node_start(&node, true);
    cJSON *resp = th_call(&node, "ledger_audit", NULL);
    const cJSON *result = th_result(resp);
    cr_assert(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(result, "ok")), "audit fails: %s",
              cJSON_PrintUnformatted(resp));
    bool named = false;
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(result, "checks"))
        if (strcmp(th_str(c, "name"), "follows_genesis") == 0)
            named = cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(c, "ok"));
    cr_assert(named, "follows_genesis fails: %s", cJSON_PrintUnformatted(resp));
    cJSON_Delete(resp);
}

Test(integration_startup, a_second_conclaved_on_a_running_nodes_data_directory_is_refused)
{
    th_node_start(&node, false);
    char err_path[192];
    in_datadir(err_path, sizeof err_path, "second.err");
    const char *argv[] = { TEST_BUILDDIR "/conclaved", "--dev", "--datadir", node.datadir, "--no-enclave",
                           "--rpc-bind", "127.0.0.1:0", NULL };
    pid_t pid = fork();
    cr_assert_geq(pid, 0, "fork");
    if (pid == 0) {
        int fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0 || dup2(fd, STDERR_FILENO) < 0)
            _exit(126);
        th_exec(argv[0], argv);
    }
    int status = 0;
    cr_assert_eq(waitpid(pid, &status, 0), pid, "reaped");
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 1, "the second node exits with status 1");
    size_t len = 0;
    char *text = th_read_file(err_path, &len);
    cr_assert(strstr(text, "is in use by another conclaved") != NULL, "it says why: %s", text);
    free(text);
    cJSON *resp = th_call(&node, "node_info", "{}");
    th_result(resp);
    cJSON_Delete(resp);
}

/* Opens a connection to the node and posts node_info on it, leaving it open. Out: *fd. Returns the
 * HTTP status of the answer. */
static int post_and_keep(int *fd)
{
    static const char body[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"node_info\"}";
    char req[256], resp[512];
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)node.port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    *fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert_geq(*fd, 0, "socket");
    cr_assert_eq(connect(*fd, (struct sockaddr *)&a, sizeof a), 0, "connect");
    int len = snprintf(req, sizeof req, "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                       "Content-Length: %zu\r\n\r\n%s", strlen(body), body);
    cr_assert_eq(write(*fd, req, (size_t)len), len, "request sent");
    struct pollfd p = { .fd = *fd, .events = POLLIN };
    cr_assert_eq(poll(&p, 1, 20000), 1, "an answer within 20 s");
    ssize_t got = read(*fd, resp, sizeof resp - 1);
    cr_assert_gt(got, 12, "a status line");
    resp[got] = '\0';
    return atoi(resp + 9);
}

Test(integration_startup, rpc_connections_per_address_sets_how_many_one_address_may_hold)
{
    static const char *const two[] = { "--no-enclave", "--rpc-connections-per-address", "2", NULL };
    node.options = two;
    th_node_start(&node, false);
    int fds[3];
    cr_assert_eq(post_and_keep(&fds[0]), 200, "the first connection");
    cr_assert_eq(post_and_keep(&fds[1]), 200, "the second");
    cr_assert_eq(post_and_keep(&fds[2]), 503, "a third from the same address is over the limit");
    for (int i = 0; i < 3; i++)
        close(fds[i]);
    static const char *const bad[] = { "0", "257", "2x", "-1" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *argv[] = { TEST_BUILDDIR "/conclaved", "--dev", "--rpc-connections-per-address", bad[i], NULL };
        cr_assert_eq(th_run(argv), 2, "'%s' is a usage error", bad[i]);
    }
}
