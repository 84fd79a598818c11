/* SPDX-License-Identifier: MIT */
/* test_worker.c: a real conclave-worker against a real conclaved --dev: it registers itself with its
 * quote and benchmark, the operator (dev 0) makes a pool, adds and bonds it, and the worker answers
 * each heartbeat slot once as the test moves the node's manual clock slot by slot; a worker on a
 * platform the chain does not know is refused with a clear error; a worker whose node restarts
 * logs the outage once and carries on by itself; a worker moves to another operator only while
 * no pool holds it; and the program's usage and start-up failures exit 2 and 1. The worker's standard error is a pipe the test reads line by line
 * with poll() and a deadline: every wait is an event or a bounded loop, never a sleep. Processes are
 * stopped by PID. */
#define _GNU_SOURCE /* pipe2 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "engine/genesis.h"
#include "ledger/hex.h"
#include "tests/lib/node.h"
#include "tests/lib/testhelp.h"

#define TOKEN "000000000000000000"
#define WAIT_MS 30000
#define OUT_CAP 65536

static th_node *const node = &th_suite_node;

/* A running conclave-worker and what it wrote so far. */
typedef struct worker_proc {
    pid_t pid;               /* 0 when not running */
    int err_fd;              /* read end of its standard error */
    char out[OUT_CAP];       /* what it wrote and no line has consumed yet */
    size_t len;
    unsigned beats;          /* heartbeat lines seen */
    unsigned refusals;       /* lines saying something was refused */
    unsigned outages;        /* "node unreachable" lines */
} worker_proc;

static worker_proc worker_a, worker_b;
static char work_dir[128];

static void suite_init(void)
{
    th_suite_node_start();
    th_temp_dir(work_dir, sizeof work_dir, "worker");
}

static void stop_hard(worker_proc *w)
{
    if (w->pid > 0) {
        kill(w->pid, SIGKILL);
        waitpid(w->pid, NULL, 0);
        w->pid = 0;
    }
    if (w->err_fd > 0)
        close(w->err_fd);
    w->err_fd = 0;
}

static void suite_fini(void)
{
    stop_hard(&worker_a);
    stop_hard(&worker_b);
    th_suite_node_stop();
    if (work_dir[0])
        th_rmtree(work_dir);
}

TestSuite(integration_worker, .init = suite_init, .fini = suite_fini, .timeout = 180);

/* Starts conclave-worker with the platform secret at secret_path (NULL: the node's own platform, so
 * the chain knows it), for operator dev `operator_dev`, with the sealed directory sealed_name (kept
 * between runs: the same name is the same worker key), short durations and a 20 ms poll. */
static void worker_start_for(worker_proc *w, const char *secret_path, const char *sealed_name, unsigned operator_dev)
{
    char sealed[192], node_secret[192];
    int fds[2];
    snprintf(node_secret, sizeof node_secret, "%s/platform.secret", node->datadir);
    if (!secret_path)
        secret_path = node_secret;
    snprintf(sealed, sizeof sealed, "%s/%s", work_dir, sealed_name);
    cr_assert(mkdir(sealed, 0700) == 0 || errno == EEXIST, "sealed directory");
    cr_assert_eq(pipe2(fds, O_CLOEXEC), 0, "pipe");
    memset(w, 0, sizeof *w);
    w->pid = fork();
    cr_assert_geq(w->pid, 0, "fork");
    if (w->pid == 0) {
        dup2(fds[1], STDERR_FILENO);
        const char *argv[] = { TEST_BUILDDIR "/conclave-worker", "--node", node->url, "--operator", th_addr(operator_dev),
                               "--platform-secret", secret_path, "--sealed-dir", sealed, "--bench-ms", "200",
                               "--sample-ms", "20", "--poll-ms", "20", NULL };
        th_exec(argv[0], argv);
    }
    close(fds[1]);
    w->err_fd = fds[0];
}


static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for the next line of the worker's standard error that holds needle (lines before it are
 * passed over), at most WAIT_MS. Out: line the whole line, NUL-terminated. Aborts the test if none
 * comes or the worker ends first. */
static void wait_line(worker_proc *w, const char *needle, char *line, size_t cap)
{
    long long deadline = now_ms() + WAIT_MS;
    for (;;) {
        char *nl;
        while ((nl = memchr(w->out, '\n', w->len)) != NULL) {
            size_t n = (size_t)(nl - w->out);
            *nl = '\0';
            bool hit = strstr(w->out, needle) != NULL;
            fprintf(stderr, "[worker %d] %s\n", (int)w->pid, w->out);
            w->beats += strstr(w->out, "conclave-worker: heartbeat epoch") != NULL;
            w->refusals += strstr(w->out, "refused") != NULL;
            w->outages += strstr(w->out, "node unreachable") != NULL;
            if (hit) {
                size_t k = n < cap ? n : cap - 1;
                memcpy(line, w->out, k);
                line[k] = '\0';
            }
            memmove(w->out, nl + 1, w->len - n - 1);
            w->len -= n + 1;
            if (hit)
                return;
        }
        long long left = deadline - now_ms();
        cr_assert_gt(left, 0, "the worker did not log \"%s\" within %d ms", needle, WAIT_MS);
        struct pollfd p = { .fd = w->err_fd, .events = POLLIN };
        int ready = poll(&p, 1, (int)left);
        cr_assert_geq(ready, 0, "poll");
        if (ready == 0)
            continue;
        cr_assert_lt(w->len, sizeof w->out - 1, "the worker's lines fit");
        ssize_t got = read(w->err_fd, w->out + w->len, sizeof w->out - 1 - w->len);
        cr_assert_gt(got, 0, "the worker ended before logging \"%s\"", needle);
        w->len += (size_t)got;
    }
}

/* Stops the worker with SIGTERM, reads its lines up to its last, and waits (bounded, on a pidfd) for
 * it: it must exit 0. */
static void worker_stop(worker_proc *w)
{
    char line[512];
    int pidfd = (int)syscall(SYS_pidfd_open, w->pid, 0), status = 0;
    cr_assert_geq(pidfd, 0, "pidfd_open");
    cr_assert_eq(kill(w->pid, SIGTERM), 0, "kill");
    wait_line(w, "conclave-worker: stopping", line, sizeof line);
    struct pollfd p = { .fd = pidfd, .events = POLLIN };
    cr_assert_eq(poll(&p, 1, WAIT_MS), 1, "conclave-worker did not exit within %d ms of SIGTERM", WAIT_MS);
    close(pidfd);
    cr_assert_eq(waitpid(w->pid, &status, 0), w->pid, "reaped");
    w->pid = 0;
    close(w->err_fd);
    w->err_fd = 0;
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "conclave-worker exits 0 on SIGTERM (status %d)", status);
}

/* The worker's address and score from its start line "worker 0x... measurement 0x... level L score P". */
static void start_line(worker_proc *w, char addr[LEDGER_ADDR_STRLEN], unsigned long long *score)
{
    char line[512];
    wait_line(w, "measurement 0x", line, sizeof line);
    const char *a = strstr(line, "worker 0x"), *s = strstr(line, " score ");
    cr_assert(a && s, "a start line: %s", line);
    snprintf(addr, LEDGER_ADDR_STRLEN, "%.42s", a + strlen("worker "));
    *score = strtoull(s + strlen(" score "), NULL, 10);
}

/* worker_start_for operator dev 0, then its start line. Out: addr, the worker's address. Returns
 * its benchmark score. */
static unsigned long long worker_start(worker_proc *w, const char *secret_path, const char *sealed_name,
                                       char addr[LEDGER_ADDR_STRLEN])
{
    unsigned long long score;
    worker_start_for(w, secret_path, sealed_name, 0);
    start_line(w, addr, &score);
    return score;
}

/* staking_getChallenge for worker (caller deletes the response). */
static cJSON *challenge_of(const char *worker)
{
    return th_callf(node, "staking_getChallenge", "{\"worker\":\"%s\"}", worker);
}

static unsigned long long isqrt(unsigned long long x)
{
    unsigned long long r = 0;
    while ((r + 1) * (r + 1) <= x)
        r++;
    return r;
}

Test(integration_worker, registers_then_answers_each_slot_once_as_the_clock_moves)
{
    char addr[LEDGER_ADDR_STRLEN], line[512], want[96];
    unsigned long long score = worker_start(&worker_a, NULL, "a", addr);
    cr_assert_gt(score, 0, "a score");
    wait_line(&worker_a, "registered for operator", line, sizeof line);
    wait_line(&worker_a, "registered, in no pool yet", line, sizeof line);

    cJSON *resp = challenge_of(addr);
    const cJSON *r = th_result(resp);
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "registered")), "registered: %s", cJSON_PrintUnformatted(r));
    cr_assert_str_eq(th_str(r, "operator"), th_addr(0), "to its operator");
    cr_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(r, "pool")), "in no pool yet");
    cJSON_Delete(resp);

    /* The operator's pool, the worker added and bonded above the minimum stake 100 * sqrt(P) */
    th_send_done(node, 0, "PoolCreate", "{\"commissionPpm\":\"100000\",\"capacity\":\"1000000" TOKEN "\"}");
    th_send_done(node, 1, "Contribute", "{\"pool\":\"1\",\"amount\":\"100000" TOKEN "\"}");
    th_send_done(node, 0, "WorkerAdd", "{\"pool\":\"1\",\"worker\":\"%s\"}", addr);
    /* in the pool without stake, it does not compute: it waits for the bond without answering */
    wait_line(&worker_a, "in pool 1, no stake bonded yet", line, sizeof line);
    th_send_done(node, 0, "WorkerBond", "{\"pool\":\"1\",\"worker\":\"%s\",\"amount\":\"%llu" TOKEN "\"}", addr,
                 100 * (isqrt(score) + 1));
    wait_line(&worker_a, "in pool 1", line, sizeof line);

    /* Slot by slot: each slot gets one heartbeat, which the node records as answered */
    for (unsigned i = 0; i < 3; i++) {
        resp = challenge_of(addr);
        r = th_result(resp);
        unsigned long long epoch = (unsigned long long)th_num(r, "epoch"), slot = (unsigned long long)th_num(r, "slot");
        unsigned long long slot_end = (unsigned long long)th_num(r, "slotEnd");
        cJSON_Delete(resp);
        snprintf(want, sizeof want, "heartbeat epoch %llu slot %llu:", epoch, slot);
        wait_line(&worker_a, want, line, sizeof line);
        resp = challenge_of(addr);
        r = th_result(resp);
        cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "answered")), "slot %llu answered: %s", slot,
                  cJSON_PrintUnformatted(r));
        cr_assert_eq((unsigned long long)th_num(r, "slot"), slot, "still that slot");
        cJSON_Delete(resp);
        if (i == 2)
            break;  /* the last slot stays open: no heartbeat may follow */
        th_node_advance_to(node, slot_end);
    }
    /* no slot was answered twice: as many heartbeat lines as slots, up to the stop */
    worker_stop(&worker_a);
    cr_assert_eq(worker_a.beats, 3, "one heartbeat per slot, %u logged", worker_a.beats);
    cr_assert_eq(worker_a.refusals, 0, "nothing refused");
}

/* Waits for the worker's heartbeat of the current slot, moving the clock to the next slot first
 * if this one is answered already. */
static void expect_next_heartbeat(worker_proc *w, const char *addr)
{
    char want[96], line[512];
    cJSON *resp = challenge_of(addr);
    const cJSON *r = th_result(resp);
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "answered"))) {
        unsigned long long slot_end = (unsigned long long)th_num(r, "slotEnd");
        th_node_advance_to(node, slot_end);
        cJSON_Delete(resp);
        resp = challenge_of(addr);
        r = th_result(resp);
    }
    snprintf(want, sizeof want, "heartbeat epoch %llu slot %llu:", (unsigned long long)th_num(r, "epoch"),
             (unsigned long long)th_num(r, "slot"));
    cJSON_Delete(resp);
    wait_line(w, want, line, sizeof line);
}

Test(integration_worker, reconnects_by_itself_after_a_node_restart)
{
    char addr[LEDGER_ADDR_STRLEN], line[512];
    unsigned long long score = worker_start(&worker_a, NULL, "a", addr);
    wait_line(&worker_a, "registered for operator", line, sizeof line);
    th_send_done(node, 0, "PoolCreate", "{\"commissionPpm\":\"100000\",\"capacity\":\"1000000" TOKEN "\"}");
    th_send_done(node, 1, "Contribute", "{\"pool\":\"1\",\"amount\":\"100000" TOKEN "\"}");
    th_send_done(node, 0, "WorkerAdd", "{\"pool\":\"1\",\"worker\":\"%s\"}", addr);
    th_send_done(node, 0, "WorkerBond", "{\"pool\":\"1\",\"worker\":\"%s\",\"amount\":\"%llu" TOKEN "\"}", addr,
                 100 * (isqrt(score) + 1));
    expect_next_heartbeat(&worker_a, addr);

    int status = th_node_stop(node, SIGTERM);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the node stops cleanly");
    wait_line(&worker_a, "node unreachable: ", line, sizeof line);
    th_node_restart_same_port(node);
    wait_line(&worker_a, "node reachable again", line, sizeof line);
    expect_next_heartbeat(&worker_a, addr);
    worker_stop(&worker_a);
    cr_assert_eq(worker_a.refusals, 0, "nothing refused");
    cr_assert_eq(worker_a.outages, 1, "one \"unreachable\" line for the whole outage, however many polls it lasted");
}

Test(integration_worker, moves_to_another_operator_only_when_no_pool_holds_it)
{
    char addr[LEDGER_ADDR_STRLEN], line[512];
    unsigned long long score;
    /* first for dev 1, then, restarted with the same sealed key, for dev 0: it registers again */
    worker_start_for(&worker_a, NULL, "a", 1);
    start_line(&worker_a, addr, &score);
    wait_line(&worker_a, "registered for operator", line, sizeof line);
    cr_assert(strstr(line, th_addr(1)) != NULL, "for dev 1: %s", line);
    worker_stop(&worker_a);
    worker_start_for(&worker_a, NULL, "a", 0);
    wait_line(&worker_a, "registered for operator", line, sizeof line);
    cr_assert(strstr(line, th_addr(0)) != NULL, "now for dev 0: %s", line);
    cJSON *resp = challenge_of(addr);
    cr_assert_str_eq(th_str(th_result(resp), "operator"), th_addr(0), "the node agrees");
    cJSON_Delete(resp);

    /* in dev 0's pool, a run for dev 2 does not register over it: it says who must remove it */
    th_send_done(node, 0, "PoolCreate", "{\"commissionPpm\":\"100000\",\"capacity\":\"1000000" TOKEN "\"}");
    th_send_done(node, 0, "WorkerAdd", "{\"pool\":\"1\",\"worker\":\"%s\"}", addr);
    wait_line(&worker_a, "in pool 1", line, sizeof line);
    worker_stop(&worker_a);
    worker_start_for(&worker_a, NULL, "a", 2);
    wait_line(&worker_a, "WorkerRemove", line, sizeof line);
    cr_assert(strstr(line, th_addr(0)) && strstr(line, th_addr(2)), "names both operators: %s", line);
    resp = challenge_of(addr);
    cr_assert_str_eq(th_str(th_result(resp), "operator"), th_addr(0), "still dev 0's");
    cJSON_Delete(resp);
    worker_stop(&worker_a);
    cr_assert_eq(worker_a.refusals, 0, "nothing sent to be refused");
}

Test(integration_worker, a_platform_the_chain_does_not_know_is_refused_clearly)
{
    char secret[192], addr[LEDGER_ADDR_STRLEN], line[512];
    uint8_t key[32];
    snprintf(secret, sizeof secret, "%s/other.secret", work_dir);
    int fd = open(secret, O_WRONLY | O_CREAT | O_EXCL, 0600);
    cr_assert_geq(fd, 0, "a second platform secret");
    for (unsigned i = 0; i < sizeof key; i++)
        key[i] = (uint8_t)(0xa5 ^ i);
    cr_assert_eq(write(fd, key, sizeof key), (ssize_t)sizeof key, "written");
    close(fd);
    worker_start(&worker_b, secret, "b", addr);
    wait_line(&worker_b, "WorkerRegister refused:", line, sizeof line);
    cr_assert(strstr(line, "platform") || strstr(line, "quote"), "the refusal names the quote or platform: %s", line);
    cJSON *resp = challenge_of(addr);
    cr_assert(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(th_result(resp), "registered")), "not registered");
    cJSON_Delete(resp);
    worker_stop(&worker_b);
}

Test(integration_worker, usage_errors_exit_2_and_start_up_failures_exit_1)
{
    char missing[192];
    snprintf(missing, sizeof missing, "%s/no-such.secret", work_dir);
    const char *no_operator[] = { TEST_BUILDDIR "/conclave-worker", "--node", node->url, "--platform-secret",
                                  missing, NULL };
    cr_assert_eq(th_run(no_operator), 2, "no --operator is a usage error");
    const char *bad_poll[] = { TEST_BUILDDIR "/conclave-worker", "--node", node->url, "--operator", th_addr(0),
                               "--platform-secret", missing, "--poll-ms", "soon", NULL };
    cr_assert_eq(th_run(bad_poll), 2, "a bad --poll-ms is a usage error");
    const char *bad_url[] = { TEST_BUILDDIR "/conclave-worker", "--node", "ftp://127.0.0.1:1", "--operator", th_addr(0),
                              "--platform-secret", missing, NULL };
    cr_assert_eq(th_run(bad_url), 2, "a --node that is not http://HOST:PORT is a usage error");
    const char *no_secret[] = { TEST_BUILDDIR "/conclave-worker", "--node", node->url, "--operator", th_addr(0),
                                "--platform-secret", missing, "--sealed-dir", work_dir, NULL };
    cr_assert_eq(th_run(no_secret), 1, "a missing platform secret fails start-up");
    const char *help[] = { TEST_BUILDDIR "/conclave-worker", "--help", NULL };
    cr_assert_eq(th_run(help), 0, "--help");
}

/* The pool id of a PoolCreated event in events (th_send_ok's answer). */
static unsigned created_pool(cJSON *events)
{
    const cJSON *ev;
    unsigned id = 0;
    cJSON_ArrayForEach(ev, events)
        if (strcmp(th_str(ev, "type"), "PoolCreated") == 0)
            id = (unsigned)th_num(ev, "pool");
    cJSON_Delete(events);
    cr_assert_gt(id, 0, "a PoolCreated event");
    return id;
}

/* The amount of the poolEmission of pool in a settlement_getEpoch result, in base units (0: none). */
static double emission_of(const cJSON *epoch, unsigned pool)
{
    const cJSON *op;
    cJSON_ArrayForEach(op, cJSON_GetObjectItemCaseSensitive(epoch, "operations"))
        if (strcmp(th_str(op, "kind"), "poolEmission") == 0 && (unsigned)th_num(op, "pool") == pool)
            return strtod(th_str(op, "amount"), NULL);
    return 0;
}

/* The attack of issue 11 fails. A real conclave-worker (A, 5000 tokens bonded, more than its minimum
 * 100 x sqrt(P) unless the machine is fast, then 100 x (sqrt(P) + 1)) and
 * two dev-key workers of benchmark score 100 with 1000 tokens each (the minimum): B claims ten times
 * its benchmark in every slot, C what it measured. A worker with no stake cannot answer, and one
 * below the minimum stake cannot be bonded. Over one epoch: B's claim counts as 1.2 P, so it earns
 * under 1% more than C; A, with more stake and a higher score, earns several times C. */
Test(integration_worker, an_epoch_pays_by_proven_benchmark_and_stake_whatever_the_heartbeats_claim)
{
    char a_addr[LEDGER_ADDR_STRLEN], line[512], want[96];
    unsigned long long score = worker_start(&worker_a, NULL, "pay", a_addr);
    wait_line(&worker_a, "registered, in no pool yet", line, sizeof line);
    unsigned pools[4];
    for (unsigned i = 0; i < 4; i++) {
        pools[i] = created_pool(th_send_ok(node, 0, "PoolCreate", "{\"commissionPpm\":\"0\",\"capacity\":\"1000000" TOKEN "\"}"));
        th_send_done(node, 1, "Contribute", "{\"pool\":\"%u\",\"amount\":\"30000" TOKEN "\"}", pools[i]);
    }
    th_send_done(node, 0, "WorkerAdd", "{\"pool\":\"%u\",\"worker\":\"%s\"}", pools[0], a_addr);
    /* A's stake: 5000 tokens, or its minimum if higher (a fast machine), so that its value promise
     * (Ve = 1.3 x (S + 0.3 P) >= 6500 tokens) is several times C's (1339) whatever the benchmark
     * measured on a loaded machine */
    unsigned long long a_tokens = 100 * (isqrt(score) + 1) > 5000 ? 100 * (isqrt(score) + 1) : 5000;
    th_send_done(node, 0, "WorkerBond", "{\"pool\":\"%u\",\"worker\":\"%s\",\"amount\":\"%llu" TOKEN "\"}", pools[0], a_addr,
                 a_tokens);
    for (unsigned w = 5; w <= 7; w++) {
        th_node_register_worker(node, w, 0, 100);
        th_send_done(node, 0, "WorkerAdd", "{\"pool\":\"%u\",\"worker\":\"%s\"}", pools[w - 4], th_addr(w));
    }
    th_send_done(node, 0, "WorkerBond", "{\"pool\":\"%u\",\"worker\":\"%s\",\"amount\":\"1000" TOKEN "\"}", pools[1],
                 th_addr(5));
    th_send_done(node, 0, "WorkerBond", "{\"pool\":\"%u\",\"worker\":\"%s\",\"amount\":\"1000" TOKEN "\"}", pools[2],
                 th_addr(6));
    /* D (dev 7): with no stake it does not compute; below k * sqrt(P) it cannot be bonded */
    cJSON *resp = th_send(node, 7, "WorkerHeartbeat", "{\"epoch\":\"0\",\"slot\":\"0\",\"challenge\":\"0x%064d\","
                                                      "\"iterations\":\"100000000\",\"micros\":\"1000000\"}", 0);
    cr_assert(strstr(th_str(th_result(resp), "error"), "no stake bonded"), "%s", cJSON_PrintUnformatted(resp));
    cJSON_Delete(resp);
    resp = th_send(node, 0, "WorkerBond", "{\"pool\":\"%u\",\"worker\":\"%s\",\"amount\":\"999" TOKEN "\"}", pools[3],
                   th_addr(7));
    cr_assert(strstr(th_str(th_result(resp), "error"), "below the minimum stake of 1000" TOKEN), "%s", cJSON_PrintUnformatted(resp));
    cJSON_Delete(resp);

    /* to the next epoch's start, then its six slots: each worker answers each slot once */
    unsigned long long now = th_node_time(node), genesis = 1767225600ull;
    unsigned long long epoch = (now - genesis) / 3600 + 1;
    th_node_advance(node, genesis + epoch * 3600 - now);
    for (unsigned slot = 0; slot < 6; slot++) {
        cr_assert_eq(th_node_heartbeat(node, 5, 1000000ull), 120, "B claims 1000000 iterations/s, 10x its benchmark: counts 1.2 x 100");
        cr_assert_eq(th_node_heartbeat(node, 6, 100000ull), 100, "C as measured");
        snprintf(want, sizeof want, "heartbeat epoch %llu slot %u:", epoch, slot);
        wait_line(&worker_a, want, line, sizeof line);
        th_node_advance(node, 600);
    }
    resp = th_callf(node, "settlement_getEpoch", "{\"epoch\":%llu}", epoch);
    const cJSON *settled = th_result(resp);
    double a = emission_of(settled, pools[0]), b = emission_of(settled, pools[1]), c = emission_of(settled, pools[2]),
           d = emission_of(settled, pools[3]);
    fprintf(stderr, "epoch %llu paid: A (score %llu, %llu tokens) %.0f, B (claims 10x) %.0f, C %.0f, D %.0f base units\n",
            epoch, score, a_tokens, a, b, c, d);
    cr_assert(b > c && b < c * 1.01, "a claim beyond 1.2 P gains less than 1%%: B %.0f, C %.0f", b, c);
    cr_assert(a > 3 * c, "stake and a proven benchmark weigh: A %.0f, C %.0f", a, c);
    cr_assert_eq(d, 0, "a worker without stake earns nothing");
    cJSON_Delete(resp);
    worker_stop(&worker_a);
}
