/* SPDX-License-Identifier: MIT */
/* bench_tx.c: `make bench`: signed transfers per second through JSON-RPC against a real conclaved
 * (one call per request from 8 and from 64 keep-alive connections; batches of 100 calls a request
 * from one connection, so one batch in flight at a time, and from 4 connections at once, so up to 4
 * batches in flight, each waiting for its answer before posting its next), beside raw secp256k1
 * recoveries per second on one core measured in the same run (the best of five measurements, one
 * before each run and one after the last, since the load of a shared machine moves any one), and
 * their ratio. Every call waits for its receipt,
 * which comes once its block is durable. Each sender's transactions go over one connection, in
 * nonce order: connection c of a single-call run signs with account c, connection c of a batched
 * run with accounts 10c..10c+9; account a is dev account a for a < 10, else a key of the bench's
 * (sha256 of "conclave bench key a"), funded by dev 0 in one batch before the clock starts. Every
 * transaction is signed before the clock starts. For each run the table also shows where the CPU
 * went, in microseconds a transfer (from /proc/PID/task/TID/schedstat: steadier than the rates on a
 * loaded machine): the node's event-loop thread, its verification threads, its durability thread,
 * its other threads, and the client's threads; and the rate the two cores would allow at that much
 * CPU a transfer if nothing else ran and no core ever waited (2 / total, against the recoveries);
 * and under each row the transfers a block (group commit: how many calls each block and its sync
 * took). `bench_tx --only single|wide|batched|piped [DAEMON]` runs one of the four runs alone (e.g.
 * with DAEMON a wrapper that runs conclaved under callgrind or strace) and prints its row. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bench/benchlib.h"
#include "engine/genesis.h"
#include "ledger/hash.h"
#include "ledger/hex.h"
#include "ledger/sig.h"
#include "ledger/tx.h"
#include "rpc/client.h"

#define CONNECTIONS 8
#define WIDE_CONNECTIONS 64 /* the bench's nodes admit 64 from one address (benchlib.c) */
#define PER_CONNECTION 1000
#define WIDE_PER_CONNECTION 250
#define BATCH 100
#define BATCHES 100 /* in all, whatever the connections */
#define BATCH_CONNECTIONS 4

/* The signing key of connection c. */
static void key_of(uint8_t key[32], unsigned c)
{
    char seed[48];
    if (c < ENG_DEV_ACCOUNTS) {
        eng_dev_key(key, c);
        return;
    }
    snprintf(seed, sizeof seed, "conclave bench key %u", c);
    ledger_sha256(key, seed, strlen(seed));
}

/* A JSON-RPC call (text; cJSON_free) for a Transfer of amount from account `from` (key_of) to
 * account `to` with `nonce`. */
static char *signed_call(unsigned from, unsigned to, const char *amount, uint64_t nonce, unsigned id, ledger_tx *keep)
{
    uint8_t key[32], to_addr[20];
    char to_text[LEDGER_ADDR_STRLEN], nonce_text[24], err[256];
    key_of(key, to);
    if (ledger_sig_address(to_addr, key) != ST_OK)
        bench_die("address");
    key_of(key, from);
    ledger_addr_format(to_text, to_addr);
    snprintf(nonce_text, sizeof nonce_text, "%llu", (unsigned long long)nonce);
    cJSON *msg = cJSON_CreateObject();
    cJSON_AddStringToObject(msg, "to", to_text);
    cJSON_AddStringToObject(msg, "amount", amount);
    cJSON_AddStringToObject(msg, "nonce", nonce_text);
    ledger_tx tx;
    if (ledger_tx_build_signed(&tx, err, sizeof err, "Transfer", msg, key, ENG_DEV_CHAIN_ID) != ST_OK)
        bench_die(err);
    cJSON_Delete(msg);
    char *text = bench_tx_call(&tx, id);
    if (keep)
        *keep = tx;
    else
        ledger_tx_clear(&tx);
    return text;
}

/* How many connections a run has and where connection 0's nonces start (after the funding). */
struct run {
    unsigned connections;
    uint64_t first_nonce0;
};

static char *make_transfer(void *ctx, unsigned c, uint64_t k, unsigned id)
{
    const struct run *r = ctx;
    return signed_call(c, (c + 1) % r->connections, "1", (c == 0 ? r->first_nonce0 : 0) + k, id, NULL);
}

/* The funding batch: call i (bench_rpc_batched's dev i % 10, k i / 10) sends dev 0's i-th transfer,
 * 1000 tokens to account 10 + i. */
static char *make_funding(void *ctx, unsigned dev, uint64_t k, unsigned id)
{
    unsigned i = (unsigned)k * 10 + dev;
    return signed_call(0, ENG_DEV_ACCOUNTS + i, "1000000000000000000000", i, id, NULL);
}

/* The height of the node's newest block. */
static double head_height(const char *url)
{
    rpc_client *c = rpc_client_new(url, NULL, 60);
    cJSON *params = cJSON_CreateObject(), *result = NULL, *error = NULL;
    cJSON_AddStringToObject(params, "height", "latest");
    if (!c || !params || rpc_client_call(c, "ledger_getBlock", params, &result, &error) != RPC_OK)
        bench_die("ledger_getBlock");
    const cJSON *height = cJSON_GetObjectItemCaseSensitive(result, "height");
    double h = cJSON_IsString(height) ? strtod(height->valuestring, NULL) : cJSON_GetNumberValue(height);
    cJSON_Delete(result);
    cJSON_Delete(params);
    rpc_client_free(c);
    return h;
}

/* Transfers/s on a fresh node: single calls from `connections` connections, or (batch_connections
 * > 0) batches of BATCH from batch_connections connections, BATCHES in all, with 10 senders a
 * connection; the accounts beyond the dev ones are funded first. Out: us[role], the CPU
 * microseconds per successful transfer each role spent while the clock ran; *per_block, the
 * successful transfers a block made while it ran. */
static double transfer_rate(const char *daemon, unsigned connections, size_t per_connection, unsigned batch_connections,
                            size_t *ok, double us[BENCH_ROLES], double *per_block)
{
    bench_node n;
    struct run r = { .connections = batch_connections ? batch_connections * ENG_DEV_ACCOUNTS : connections };
    bench_node_start(&n, daemon);
    if (r.connections > ENG_DEV_ACCOUNTS) {
        size_t funded = 0, extra = r.connections - ENG_DEV_ACCOUNTS;
        bench_rpc_batched(n.url, 1, extra, make_funding, NULL, &funded);
        if (funded != extra)
            bench_die("funding the bench's accounts");
        r.first_nonce0 = extra;
    }
    double before[BENCH_ROLES] = { 0 }, after[BENCH_ROLES] = { 0 };
    double first_height = head_height(n.url);
    bench_node_cpu_ns(n.pid, before);
    double rate = batch_connections
                      ? bench_rpc_batched_on(n.url, batch_connections, BATCHES / batch_connections, BATCH, make_transfer,
                                             &r, ok)
                      : bench_rpc_single(n.url, connections, per_connection, make_transfer, &r, ok);
    bench_node_cpu_ns(n.pid, after);
    after[BENCH_CLIENT] = bench_post_cpu() * 1e9;
    bench_cpu_per_item(us, before, after, *ok);
    double blocks = head_height(n.url) - first_height;
    *per_block = blocks > 0 ? (double)*ok / blocks : 0;
    bench_node_stop(&n);
    return rate;
}

static double bench_recover(void)
{
    enum { N = 20000 };
    ledger_tx tx;
    char *call = signed_call(0, 1, "1", 0, 0, &tx);
    cJSON_free(call);
    uint8_t addr[20];
    double t0 = bench_now();
    for (int i = 0; i < N; i++)
        if (ledger_sig_recover(addr, tx.digest, tx.sig) != ST_OK)
            bench_die("recover");
    double rate = N / (bench_now() - t0);
    ledger_tx_clear(&tx);
    return rate;
}

/* The four runs: single calls from 8 and 64 connections, batches from 1 and 4 connections. */
enum run_kind { RUN_SINGLE, RUN_WIDE, RUN_BATCHED, RUN_PIPED, RUNS };
static const char *const run_names[RUNS] = { "single", "wide", "batched", "piped" };

/* One run of kind k. Out: *ok, us, *per_block as transfer_rate's; label, its row's label. */
static double run_kind_rate(const char *daemon, enum run_kind k, size_t *ok, double us[BENCH_ROLES], double *per_block,
                            char *label, size_t cap)
{
    switch (k) {
    case RUN_SINGLE:
        snprintf(label, cap, "%d connections x 1 call", CONNECTIONS);
        return transfer_rate(daemon, CONNECTIONS, PER_CONNECTION, 0, ok, us, per_block);
    case RUN_WIDE:
        snprintf(label, cap, "%d connections x 1 call", WIDE_CONNECTIONS);
        return transfer_rate(daemon, WIDE_CONNECTIONS, WIDE_PER_CONNECTION, 0, ok, us, per_block);
    case RUN_BATCHED:
        snprintf(label, cap, "batches of %d, 1 connection", BATCH);
        return transfer_rate(daemon, 0, 0, 1, ok, us, per_block);
    case RUN_PIPED:
    case RUNS:
        break;
    }
    snprintf(label, cap, "batches of %d, %d connections", BATCH, BATCH_CONNECTIONS);
    return transfer_rate(daemon, 0, 0, BATCH_CONNECTIONS, ok, us, per_block);
}

/* Prints a run's row and, under it, the transfers a block. */
static void print_run(const char *label, double rate, double recover, const double us[BENCH_ROLES], double per_block)
{
    bench_print_run(label, rate, recover, us);
    printf("%-48s %8.1f\n", "  transfers a block", per_block);
}

/* `--only KIND`: that run alone, its row printed, nothing added to the summary table. */
static int run_only(const char *daemon, const char *kind)
{
    enum run_kind k = 0;
    while (k < RUNS && strcmp(run_names[k], kind) != 0)
        k++;
    if (k == RUNS) {
        fprintf(stderr, "bench_tx: --only takes single, wide, batched or piped, not %s\n", kind);
        return 2;
    }
    size_t ok = 0;
    double us[BENCH_ROLES], per_block, recover = bench_recover();
    char label[80];
    double rate = run_kind_rate(daemon, k, &ok, us, &per_block, label, sizeof label);
    bench_print_runs_head("transfers via tx_send", "transfer");
    printf("%-48s %8.0f %6.2fx\n", "secp256k1 recoveries (raw, one core)", recover, 1.0);
    print_run(label, rate, recover, us, per_block);
    printf("\n%zu transfers succeeded\n", ok);
    return ok > 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    if (argc > 2 && strcmp(argv[1], "--only") == 0)
        return run_only(argc > 3 ? argv[3] : "./conclaved", argv[2]);
    const char *daemon = argc > 1 ? argv[1] : "./conclaved";
    /* the recoveries are measured before each run and after the last, and the best rate is the
     * limit: on a shared machine a single measurement moves with the load */
    double recover = bench_recover();
    size_t ok[RUNS] = { 0 };
    double us[RUNS][BENCH_ROLES], per_block[RUNS], rate[RUNS];
    char labels[RUNS][80];
    for (enum run_kind k = 0; k < RUNS; k++) {
        rate[k] = run_kind_rate(daemon, k, &ok[k], us[k], &per_block[k], labels[k], sizeof labels[k]);
        recover = fmax(recover, bench_recover());
    }
    bench_print_machine();
    bench_print_runs_head("transfers via tx_send", "transfer");
    printf("%-48s %8.0f %6.2fx\n", "secp256k1 recoveries (raw, one core, best of 5)", recover, 1.0);
    for (enum run_kind k = 0; k < RUNS; k++)
        print_run(labels[k], rate[k], recover, us[k], per_block[k]);
    double single = rate[RUN_SINGLE], wide = rate[RUN_WIDE], batched = rate[RUN_BATCHED], piped = rate[RUN_PIPED];
    const double *wide_us = us[RUN_WIDE], *piped_us = us[RUN_PIPED];
    size_t ok_single = ok[RUN_SINGLE], ok_wide = ok[RUN_WIDE], ok_batched = ok[RUN_BATCHED], ok_piped = ok[RUN_PIPED];
    char label[80];
    snprintf(label, sizeof label, "transfers via tx_send, %d conns x 1 call", CONNECTIONS);
    bench_row(label, single, "tx/s", "secp256k1 recoveries, one core", recover, "-");
    snprintf(label, sizeof label, "transfers via tx_send, %d conns x 1 call", WIDE_CONNECTIONS);
    bench_row(label, wide, "tx/s", "secp256k1 recoveries, one core", recover, ">= 0.35x");
    snprintf(label, sizeof label, "transfers via tx_send, batches of %d, 1 conn", BATCH);
    bench_row(label, batched, "tx/s", "secp256k1 recoveries, one core", recover, "-");
    snprintf(label, sizeof label, "transfers, batches of %d, %d conns at once", BATCH, BATCH_CONNECTIONS);
    bench_row(label, piped, "tx/s", "secp256k1 recoveries, one core", recover, ">= 0.75x");
    double piped_total = 0;
    for (int i = 0; i < BENCH_ROLES; i++)
        piped_total += piped_us[i];
    snprintf(label, sizeof label, "CPU a transfer, all threads, batches, %d conns", BATCH_CONNECTIONS);
    bench_row(label, piped_total, "us", "one secp256k1 recovery, one core", 1e6 / recover, "-");
    /* the loop's CPU a transfer beside one recovery's: what the loop thread costs whatever the load */
    snprintf(label, sizeof label, "event loop CPU a transfer, batches, %d conns", BATCH_CONNECTIONS);
    bench_row(label, piped_us[BENCH_LOOP], "us", "one secp256k1 recovery, one core", 1e6 / recover, "-");
    snprintf(label, sizeof label, "event loop CPU a transfer, %d conns x 1 call", WIDE_CONNECTIONS);
    bench_row(label, wide_us[BENCH_LOOP], "us", "one secp256k1 recovery, one core", 1e6 / recover, "-");
    printf("\n%zu of %d and %zu of %d single, %zu of %d batched transfers succeeded\n", ok_single,
           CONNECTIONS * PER_CONNECTION, ok_wide, WIDE_CONNECTIONS * WIDE_PER_CONNECTION, ok_batched + ok_piped,
           2 * BATCH * BATCHES);
    return ok_single == CONNECTIONS * PER_CONNECTION && ok_wide == WIDE_CONNECTIONS * WIDE_PER_CONNECTION
                   && ok_batched == BATCH * BATCHES && ok_piped == BATCH * BATCHES
               ? 0
               : 1;
}
