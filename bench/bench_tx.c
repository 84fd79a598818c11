/* SPDX-License-Identifier: MIT */
/* bench_tx.c: `make bench`: signed transfers per second through JSON-RPC against a real conclaved
 * (one call per request from several connections, and batches of 100 per request), beside raw
 * secp256k1 recoveries per second measured in the same run, and their ratio. Prints a table with
 * the machine. Every transaction is signed before the clock starts. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bench/benchlib.h"
#include "engine/genesis.h"
#include "ledger/hex.h"
#include "ledger/sig.h"
#include "ledger/tx.h"
#include "rpc/client.h"

#define CONNECTIONS 8
#define PER_CONNECTION 1000
#define BATCH 100
#define BATCHES 100

/* A JSON-RPC call (text; cJSON_free) for a Transfer of 1 base unit from dev account `from` with `nonce`. */
static char *signed_call(unsigned from, uint64_t nonce, unsigned id, ledger_tx *keep)
{
    uint8_t key[32], to[20];
    char to_text[LEDGER_ADDR_STRLEN], nonce_text[24], err[256];
    eng_dev_key(key, (from + 1) % ENG_DEV_ACCOUNTS);
    if (ledger_sig_address(to, key) != ST_OK)
        bench_die("address");
    eng_dev_key(key, from);
    ledger_addr_format(to_text, to);
    snprintf(nonce_text, sizeof nonce_text, "%llu", (unsigned long long)nonce);
    cJSON *msg = cJSON_CreateObject();
    cJSON_AddStringToObject(msg, "to", to_text);
    cJSON_AddStringToObject(msg, "amount", "1");
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

static char *make_transfer(void *ctx, unsigned dev, uint64_t k, unsigned id)
{
    (void)ctx;
    return signed_call(dev, k, id, NULL);
}

/* Transfers/s on a fresh node, single calls (batched false) or batches. */
static double transfer_rate(const char *daemon, bool batched, size_t *ok)
{
    bench_node n;
    bench_node_start(&n, daemon);
    double rate = batched ? bench_rpc_batched(n.url, BATCHES, BATCH, make_transfer, NULL, ok)
                          : bench_rpc_single(n.url, CONNECTIONS, PER_CONNECTION, make_transfer, NULL, ok);
    bench_node_stop(&n);
    return rate;
}

static double bench_recover(void)
{
    enum { N = 20000 };
    ledger_tx tx;
    char *call = signed_call(0, 0, 0, &tx);
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
    size_t ok_single = 0, ok_batched = 0;
    double single = transfer_rate(daemon, false, &ok_single);
    double batched = transfer_rate(daemon, true, &ok_batched);
    bench_print_machine();
    printf("%-52s %14s %12s\n", "benchmark", "per second", "vs recover");
    printf("%-52s %14.0f %11.2fx\n", "secp256k1 recoveries (raw, one core)", recover, 1.0);
    char label[80];
    snprintf(label, sizeof label, "transfers via tx_send, %d connections x 1 call", CONNECTIONS);
    printf("%-52s %14.0f %11.2fx\n", label, single, single / recover);
    snprintf(label, sizeof label, "transfers via tx_send, batches of %d, 1 connection", BATCH);
    printf("%-52s %14.0f %11.2fx\n", label, batched, batched / recover);
    printf("\n%zu of %d single and %zu of %d batched transfers succeeded\n", ok_single, CONNECTIONS * PER_CONNECTION,
           ok_batched, BATCH * BATCHES);
    return ok_single == CONNECTIONS * PER_CONNECTION && ok_batched == BATCH * BATCHES ? 0 : 1;
}
