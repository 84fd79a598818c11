/* SPDX-License-Identifier: MIT */
/* test_crash.c: a bounded crash test. A real conclaved --dev on a free loopback port is killed with
 * SIGKILL (by the PID this test started) at random moments: during the start-up of a new data
 * directory, during the start-up of the chain under test, and under signed load from three senders
 * while another moves the manual clock an epoch at a time (so epochs close and settle through the
 * enclave). Every start after a kill must come up; at the end every acknowledged transaction is
 * stored, one more epoch settles and verifies, ledger_audit holds and replay matches. Waits are polls bounded in time, never sleeps; the
 * kill moments come from a seed printed in the log (CONCLAVE_CRASH_SEED replays one). */
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "engine/engine.h"
#include "engine/genesis.h"
#include "ledger/hex.h"
#include "ledger/sig.h"
#include "ledger/tx.h"
#include "rpc/client.h"
#include "tests/lib/node.h"
#include "tests/lib/testhelp.h"

#define MAX_ROUNDS 60
#define ROUNDS_BUDGET_MS 12000  /* no new round starts after this */
#define START_MS 20000          /* the most a start may take before the test fails */
#define STARTUP_KILL_MS 160     /* start-up kills land in [0, this) ms; a start takes about 100-150 */
#define LOAD_KILL_MS 400        /* load kills land within this many ms of the load starting */
#define SENDERS 3               /* dev accounts 1..3 send Transfers to dev account 4 */
#define MAX_ACKS 20000

static unsigned short rng[3];
static uint8_t (*acked)[32];    /* hashes of the acknowledged transactions */
static size_t n_acked;
static char chain_dir[64];

static long random_below(long n)
{
    return nrand48(rng) % n;
}

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* A conclaved this test started, and its stdout, read until it says where it listens. */
struct daemon {
    pid_t pid;
    int out;
    char buf[512];
    size_t len;
    unsigned port;
};

static void spawn(struct daemon *d, const char *datadir)
{
    int out;
    pid_t pid = th_spawn_conclaved(datadir, NULL, &out);
    *d = (struct daemon){ .pid = pid, .out = out };
}

/* Reads the daemon's stdout for up to ms milliseconds. Returns whether it is listening (then
 * d->port is set). Fails the test if it exits first. */
static bool wait_listening(struct daemon *d, double ms)
{
    static const char mark[] = "listening on http://127.0.0.1:";
    double deadline = now_ms() + ms;
    while (!d->port) {
        double left = deadline - now_ms();
        struct pollfd p = { .fd = d->out, .events = POLLIN };
        int ready = left > 0 ? poll(&p, 1, (int)left) : 0;
        if (ready == 0)
            return false;
        cr_assert(ready == 1 || errno == EINTR, "poll");
        ssize_t got = read(d->out, d->buf + d->len, sizeof d->buf - 1 - d->len);
        cr_assert_gt(got, 0, "conclaved (pid %d) exited during its start-up: a data directory it cannot start on",
                     (int)d->pid);
        d->len += (size_t)got;
        d->buf[d->len] = '\0';
        char *line = strstr(d->buf, mark);
        if (line && strchr(line, '\n'))
            d->port = (unsigned)strtoul(line + strlen(mark), NULL, 10);
    }
    return true;
}

static void kill_daemon(struct daemon *d)
{
    int status;
    cr_assert_eq(kill(d->pid, SIGKILL), 0, "kill -9 %d", (int)d->pid);
    cr_assert_eq(waitpid(d->pid, &status, 0), d->pid, "reaped");
    close(d->out);
    d->pid = 0;
}

/* In a loader process: the next nonce of dev account who, or exits. */
static uint64_t fetch_nonce(rpc_client *c, unsigned who)
{
    char addr[LEDGER_ADDR_STRLEN];
    th_dev_address(addr, who);
    cJSON *params = cJSON_CreateObject(), *result = NULL, *error = NULL;
    cJSON_AddStringToObject(params, "address", addr);
    int rc = rpc_client_call(c, "ledger_getAccount", params, &result, &error);
    cJSON_Delete(params);
    const cJSON *nonce = cJSON_GetObjectItemCaseSensitive(result, "nonce");
    if (rc != ST_OK || !cJSON_IsNumber(nonce))
        _exit(rc == ST_IO || rc == ST_LIMIT ? 0 : 3);
    uint64_t n = (uint64_t)nonce->valuedouble;
    cJSON_Delete(result);
    return n;
}

/* A loader process: dev account who sends 1-unit Transfers one after another and writes the hash
 * of each acknowledged one to ack_fd; with advance_clock, every fourth call moves the clock one
 * epoch instead. Exits 0 when the node goes away, 3 on an answer it did not expect. */
static _Noreturn void load(unsigned port, const char *token, unsigned who, bool advance_clock, int ack_fd)
{
    char url[64], err[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%u", port);
    rpc_client *c = rpc_client_new(url, token, 30);
    if (!c)
        _exit(3);
    uint64_t nonce = fetch_nonce(c, who);
    for (unsigned i = 0;; i++) {
        cJSON *result = NULL, *error = NULL;
        int rc;
        if (advance_clock && i % 4 == 3) {
            cJSON *params = cJSON_CreateObject();
            cJSON_AddNumberToObject(params, "seconds", 3600);
            rc = rpc_client_call(c, "admin_advanceTime", params, &result, &error);
            cJSON_Delete(params);
        } else {
            ledger_tx tx;
            if (th_transfer_tx(&tx, who, SENDERS + 1, "1", nonce, ENG_DEV_CHAIN_ID, err, sizeof err) != ST_OK)
                _exit(3);
            cJSON *params = ledger_tx_to_json(&tx);
            rc = rpc_client_call(c, "tx_send", params, &result, &error);
            cJSON_Delete(params);
            if (rc == ST_OK && cJSON_IsString(cJSON_GetObjectItemCaseSensitive(result, "status"))) {
                if (write(ack_fd, tx.hash, 32) != 32)
                    _exit(3);
                nonce++;
            }
            ledger_tx_clear(&tx);
        }
        cJSON_Delete(result);
        cJSON_Delete(error);
        if (rc == ST_IO || rc == ST_LIMIT)
            _exit(0);
        if (rc != ST_OK)
            _exit(3);
    }
}

/* Takes the hashes the loaders wrote, until they all closed the pipe. */
static void drain_acks(int fd)
{
    uint8_t buf[32 * 64];
    size_t have = 0;
    ssize_t got;
    while ((got = read(fd, buf + have, sizeof buf - have)) > 0 || (got < 0 && errno == EINTR)) {
        if (got < 0)
            continue;
        have += (size_t)got;
        size_t whole = have - have % 32;
        cr_assert_leq(n_acked + whole / 32, MAX_ACKS, "acknowledgements within bounds");
        memcpy(acked[n_acked], buf, whole);
        n_acked += whole / 32;
        memmove(buf, buf + whole, have - whole);
        have -= whole;
    }
    cr_assert_eq(have, 0, "whole hashes only");
}

/* A round under load: the chain's node is started, loaders send to it, and it is killed after a
 * random number of acknowledgements or a random time, whichever comes first. */
static void round_under_load(void)
{
    struct daemon d;
    spawn(&d, chain_dir);
    cr_assert(wait_listening(&d, START_MS), "conclaved starts on the chain after the kills");
    char path[128];
    snprintf(path, sizeof path, "%s/.cookie", chain_dir);
    char *token = th_read_file(path, NULL);
    cr_assert_not_null(token, "cookie");
    int acks[2];
    cr_assert_eq(pipe(acks), 0, "pipe");
    pid_t loaders[SENDERS];
    for (unsigned i = 0; i < SENDERS; i++) {
        loaders[i] = fork();
        cr_assert_geq(loaders[i], 0, "fork");
        if (loaders[i] == 0) {
            close(acks[0]);
            close(d.out);
            load(d.port, token, i + 1, i == 0, acks[1]);
        }
    }
    free(token);
    close(acks[1]);
    /* the kill: after a random count of acknowledgements or a random time, whichever is first */
    long want = 1 + random_below(40), seen = 0;
    double deadline = now_ms() + 20 + (double)random_below(LOAD_KILL_MS);
    uint8_t hash[32];
    size_t have = 0;
    while (seen < want && now_ms() < deadline) {
        double left = deadline - now_ms();
        struct pollfd p = { .fd = acks[0], .events = POLLIN };
        if (left <= 0 || poll(&p, 1, (int)left + 1) != 1)
            continue;
        ssize_t got = read(acks[0], hash + have, sizeof hash - have);
        cr_assert_gt(got, 0, "the loaders run until the kill");
        have += (size_t)got;
        cr_assert_leq(n_acked, MAX_ACKS - 1, "acknowledgements within bounds");
        if (have == 32) {
            memcpy(acked[n_acked++], hash, 32);
            have = 0;
            seen++;
        }
    }
    kill_daemon(&d);
    for (unsigned i = 0; i < SENDERS; i++) {
        int status;
        cr_assert_eq(waitpid(loaders[i], &status, 0), loaders[i], "loader reaped");
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "loader %u met only the kill (status %d)", i, status);
    }
    cr_assert_eq(have, 0, "whole hashes only");
    drain_acks(acks[0]);
    close(acks[0]);
}

/* A start-up round on datadir: killed at a random moment of its start (or just after it). */
static void round_killed_starting(const char *datadir)
{
    struct daemon d;
    spawn(&d, datadir);
    wait_listening(&d, (double)random_below(STARTUP_KILL_MS));
    kill_daemon(&d);
}

/* A new data directory killed while starting, then started again: it must come up. */
static void round_new_directory(void)
{
    char dir[64] = "/tmp/conclave-crash-new-XXXXXX";
    cr_assert_not_null(mkdtemp(dir), "temp data directory");
    round_killed_starting(dir);
    struct daemon d;
    spawn(&d, dir);
    cr_assert(wait_listening(&d, START_MS), "a new data directory starts after a kill during its first start");
    kill_daemon(&d);
    th_rmtree(dir);
}

/* Starts the chain once more and checks it: every acknowledged transaction stored, the audit. */
static void check_running_chain(void)
{
    struct daemon d;
    spawn(&d, chain_dir);
    cr_assert(wait_listening(&d, START_MS), "conclaved starts on the chain after the kills");
    char url[64], path[128], err[256] = "";
    snprintf(url, sizeof url, "http://127.0.0.1:%u", d.port);
    snprintf(path, sizeof path, "%s/.cookie", chain_dir);
    char *token = th_read_file(path, NULL);
    cr_assert_not_null(token, "cookie");
    rpc_client *c = rpc_client_new(url, token, 30);
    free(token);
    cr_assert_not_null(c, "client");
    /* one more epoch, so at least one is settled through the enclave after all the kills */
    cJSON *params = cJSON_CreateObject(), *result = NULL, *error = NULL;
    cJSON_AddNumberToObject(params, "seconds", 3600);
    cr_assert_eq(rpc_client_call(c, "admin_advanceTime", params, &result, &error), ST_OK, "the clock moves");
    cJSON_Delete(result);
    cJSON_DeleteItemFromObject(params, "seconds");
    cJSON_AddNumberToObject(params, "epoch", 0);
    cr_assert_eq(rpc_client_call(c, "settlement_getEpoch", params, &result, &error), ST_OK, "epoch 0 is settled");
    const cJSON *verified = cJSON_GetObjectItemCaseSensitive(result, "verified");
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(verified, "ok")), "its settlement verifies: %s",
              cJSON_PrintUnformatted(result));
    cJSON_Delete(result);
    cJSON_Delete(params);
    cr_assert_eq(rpc_client_call(c, "ledger_audit", NULL, &result, &error), ST_OK, "ledger_audit answers");
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(result, "ok")), "audit: %s", cJSON_PrintUnformatted(result));
    cJSON_Delete(result);
    rpc_client_free(c);
    snprintf(path, sizeof path, "%s/conclave.db", chain_dir);
    ledger *l = NULL;
    cr_assert_eq(ledger_open_readonly(&l, err, sizeof err, path), ST_OK, "open %s: %s", path, err);
    for (size_t i = 0; i < n_acked; i++) {
        ledger_txrec r;
        char hex[67];
        ledger_hex_encode(hex, acked[i], 32);
        cr_assert_eq(ledger_txrec_get(l, acked[i], &r), ST_OK, "acknowledged transaction %s is stored", hex);
        ledger_txrec_clear(&r);
    }
    ledger_close(l);
    cr_assert_eq(kill(d.pid, SIGTERM), 0, "SIGTERM");
    int status;
    cr_assert_eq(waitpid(d.pid, &status, 0), d.pid, "reaped");
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "clean stop");
    close(d.out);
}

static void setup(void)
{
    const char *seed_text = getenv("CONCLAVE_CRASH_SEED");
    unsigned long seed = seed_text ? strtoul(seed_text, NULL, 10) : (unsigned long)time(NULL) ^ (unsigned long)getpid();
    fprintf(stderr, "test_crash: seed %lu (CONCLAVE_CRASH_SEED=%lu replays these kill moments)\n", seed, seed);
    rng[0] = (unsigned short)seed;
    rng[1] = (unsigned short)(seed >> 16);
    rng[2] = (unsigned short)(seed >> 32);
    acked = calloc(MAX_ACKS, sizeof *acked);
    cr_assert_not_null(acked, "acknowledgements");
    snprintf(chain_dir, sizeof chain_dir, "/tmp/conclave-crash-XXXXXX");
    cr_assert_not_null(mkdtemp(chain_dir), "temp data directory");
}

static void teardown(void)
{
    free(acked);
    th_rmtree(chain_dir);
}

TestSuite(integration_crash, .init = setup, .fini = teardown, .timeout = 60);

Test(integration_crash, kills_at_random_moments_lose_nothing_acknowledged)
{
    double start = now_ms();
    unsigned rounds = 0, load_rounds = 0;
    while (rounds < MAX_ROUNDS && now_ms() - start < ROUNDS_BUDGET_MS) {
        switch (rounds % 3) {
        case 0: round_new_directory(); break;
        case 1: round_killed_starting(chain_dir); break;
        default: round_under_load(); load_rounds++; break;
        }
        rounds++;
    }
    fprintf(stderr, "test_crash: %u rounds (%u under load), %zu transactions acknowledged, %.1f s\n", rounds,
            load_rounds, n_acked, (now_ms() - start) / 1e3);
    cr_assert_geq(load_rounds, 2, "at least two rounds under load within the budget");
    cr_assert_gt(n_acked, 0, "transactions were acknowledged");
    check_running_chain();
    eng_replay_report r;
    char path[128], err[256] = "";
    snprintf(path, sizeof path, "%s/conclave.db", chain_dir);
    cr_assert_eq(eng_replay(&r, err, sizeof err, path, ":memory:"), ST_OK, "replay runs: %s", err);
    cr_assert(r.ok, "replay matches: %s", r.detail);
}
