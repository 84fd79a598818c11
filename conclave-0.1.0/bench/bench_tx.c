/* SPDX-License-Identifier: MIT */
/* bench_tx.c: `make bench`: signed transfers per second through JSON-RPC against a real conclaved
 * (one call per request from 8 and from 64 keep-alive connections, and batches of 100 per
 * request), beside raw secp256k1 recoveries per second measured in the same run, and their ratio.
 * Connection c signs with its own account: dev account c for c < 10, else a key of the bench's
 * (sha256 of "conclave bench key c"), funded by dev 0 in one batch before the clock starts. Prints
 * a table with the machine, and for each run the CPU time the node's event-loop thread spent per
 * transfer (from /proc: steadier than the rates on a loaded machine). Every transaction is signed
 * before the clock starts. */
#include <errno.h>
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
#define BATCHES 100

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

/* Nanoseconds the main thread of process pid (conclaved's event loop) has run, from
 * /proc/PID/task/PID/schedstat; 0 when it cannot be read. */
static double loop_cpu_ns(pid_t pid)
{
    char path[64];
    double ns = 0;
    snprintf(path, sizeof path, "/proc/%d/task/%d/schedstat", (int)pid, (int)pid);
    FILE *f = fopen(path, "r");
    if (f) {
        if (fscanf(f, "%lf", &ns) != 1)
            ns = 0;
        fclose(f);
    }
    return ns;
}

/* Transfers/s on a fresh node: single calls from `connections` connections (after funding the
 * accounts beyond the dev ones), or batches (connections 0). Out: *loop_us the event loop's CPU
 * microseconds per successful transfer while the clock ran. */
static double transfer_rate(const char *daemon, unsigned connections, size_t per_connection, size_t *ok,
                            double *loop_us)
{
    bench_node n;
    struct run r = { .connections = connections ? connections : ENG_DEV_ACCOUNTS };
    bench_node_start(&n, daemon);
    if (connections > ENG_DEV_ACCOUNTS) {
        size_t funded = 0, extra = connections - ENG_DEV_ACCOUNTS;
        bench_rpc_batched(n.url, 1, extra, make_funding, NULL, &funded);
        if (funded != extra)
            bench_die("funding the bench's accounts");
        r.first_nonce0 = extra;
    }
    double cpu0 = loop_cpu_ns(n.pid);
    double rate = connections ? bench_rpc_single(n.url, connections, per_connection, make_transfer, &r, ok)
                              : bench_rpc_batched(n.url, BATCHES, BATCH, make_transfer, &r, ok);
    *loop_us = *ok ? (loop_cpu_ns(n.pid) - cpu0) / 1e3 / (double)*ok : 0;
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

int main(int argc, char **argv)
{
    const char *daemon = argc > 1 ? argv[1] : "./conclaved";
    signal(SIGPIPE, SIG_IGN);
    double recover = bench_recover();
    size_t ok_single = 0, ok_wide = 0, ok_batched = 0;
    double single_us, wide_us, batched_us;
    double single = transfer_rate(daemon, CONNECTIONS, PER_CONNECTION, &ok_single, &single_us);
    double wide = transfer_rate(daemon, WIDE_CONNECTIONS, WIDE_PER_CONNECTION, &ok_wide, &wide_us);
    double batched = transfer_rate(daemon, 0, 0, &ok_batched, &batched_us);
    bench_print_machine();
    printf("%-52s %14s %12s %14s\n", "benchmark", "per second", "vs recover", "loop us/tx");
    printf("%-52s %14.0f %11.2fx\n", "secp256k1 recoveries (raw, one core)", recover, 1.0);
    char label[80];
    snprintf(label, sizeof label, "transfers via tx_send, %d connections x 1 call", CONNECTIONS);
    printf("%-52s %14.0f %11.2fx %14.1f\n", label, single, single / recover, single_us);
    snprintf(label, sizeof label, "transfers via tx_send, %d connections x 1 call", WIDE_CONNECTIONS);
    printf("%-52s %14.0f %11.2fx %14.1f\n", label, wide, wide / recover, wide_us);
    snprintf(label, sizeof label, "transfers via tx_send, batches of %d, 1 connection", BATCH);
    printf("%-52s %14.0f %11.2fx %14.1f\n", label, batched, batched / recover, batched_us);
    snprintf(label, sizeof label, "transfers via tx_send, %d conns x 1 call", CONNECTIONS);
    bench_row(label, single, "tx/s", "secp256k1 recoveries, one core", recover, "-");
    snprintf(label, sizeof label, "transfers via tx_send, %d conns x 1 call", WIDE_CONNECTIONS);
    bench_row(label, wide, "tx/s", "secp256k1 recoveries, one core", recover, ">= 0.35x");
    snprintf(label, sizeof label, "transfers via tx_send, batches of %d", BATCH);
    bench_row(label, batched, "tx/s", "secp256k1 recoveries, one core", recover, ">= 0.75x");
    /* the loop's CPU a transfer beside one recovery's: what the loop thread costs whatever the load */
    snprintf(label, sizeof label, "event loop CPU a transfer, batches of %d", BATCH);
    bench_row(label, batched_us, "us", "one secp256k1 recovery, one core", 1e6 / recover, "-");
    snprintf(label, sizeof label, "event loop CPU a transfer, %d conns x 1 call", WIDE_CONNECTIONS);
    bench_row(label, wide_us, "us", "one secp256k1 recovery, one core", 1e6 / recover, "-");
    printf("\n%zu of %d and %zu of %d single, %zu of %d batched transfers succeeded\n", ok_single,
           CONNECTIONS * PER_CONNECTION, ok_wide, WIDE_CONNECTIONS * WIDE_PER_CONNECTION, ok_batched, BATCH * BATCHES);
    return ok_single == CONNECTIONS * PER_CONNECTION && ok_wide == WIDE_CONNECTIONS * WIDE_PER_CONNECTION
                   && ok_batched == BATCH * BATCHES
               ? 0
               : 1;
}
