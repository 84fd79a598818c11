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

static double bench_single(const char *daemon, size_t *ok)
{
    bench_node n;
    bench_node_start(&n, daemon);
    bench_worker workers[CONNECTIONS];
    for (unsigned w = 0; w < CONNECTIONS; w++) {
        workers[w] = (bench_worker){ .url = n.url, .bodies = calloc(PER_CONNECTION, sizeof(char *)), .n = PER_CONNECTION };
        if (!workers[w].bodies)
            bench_die("out of memory");
        for (size_t i = 0; i < PER_CONNECTION; i++)
            workers[w].bodies[i] = signed_call(w, i, (unsigned)i, NULL);
    }
    double rate = (double)(CONNECTIONS * PER_CONNECTION) / bench_post_parallel(workers, CONNECTIONS);
    for (unsigned w = 0; w < CONNECTIONS; w++) {
        *ok += workers[w].ok;
        for (size_t i = 0; i < PER_CONNECTION; i++)
            cJSON_free(workers[w].bodies[i]);
        free(workers[w].bodies);
    }
    bench_node_stop(&n);
    return rate;
}

static double bench_batched(const char *daemon, size_t *ok)
{
    bench_node n;
    bench_node_start(&n, daemon);
    char *calls[BATCH];
    bench_worker w = { .url = n.url, .bodies = calloc(BATCHES, sizeof(char *)), .n = BATCHES };
    if (!w.bodies)
        bench_die("out of memory");
    for (size_t b = 0; b < BATCHES; b++) {
        for (size_t i = 0; i < BATCH; i++)
            calls[i] = signed_call((unsigned)(i % ENG_DEV_ACCOUNTS), b * (BATCH / ENG_DEV_ACCOUNTS) + i / ENG_DEV_ACCOUNTS,
                                   (unsigned)i, NULL);
        w.bodies[b] = bench_batch(calls, BATCH);
        for (size_t i = 0; i < BATCH; i++)
            cJSON_free(calls[i]);
    }
    double rate = (double)(BATCH * BATCHES) / bench_post_parallel(&w, 1);
    *ok += w.ok;
    for (size_t b = 0; b < BATCHES; b++)
        free(w.bodies[b]);
    free(w.bodies);
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
    char host[512];
    bench_machine(host, sizeof host);
    double recover = bench_recover();
    size_t ok_single = 0, ok_batched = 0;
    double single = bench_single(daemon, &ok_single);
    double batched = bench_batched(daemon, &ok_batched);
    printf("machine: %s\n\n", host);
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
