/* SPDX-License-Identifier: MIT */
/* bench_apply.c: what applying a block costs the event loop, apart from HTTP, JSON-RPC and the
 * signature checks: signed transfers (ten dev accounts paying each other) and vote changes (the ten
 * dev accounts changing their votes on one proposal), each 2,000 in blocks of 100 through an engine
 * in process, signed and decoded before the clock starts. It prints the CPU microseconds a
 * transaction of eng_flush, and is meant to be run under callgrind, which counts the instructions of
 * the block producer alone whatever the machine's load (the figures docs/PERFORMANCE.md quotes):
 *   valgrind --tool=callgrind --toggle-collect=eng_apply_block ./bench/bench_apply */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bench/benchlib.h"
#include "engine/genesis.h"
#include "ledger/hex.h"
#include "ledger/sig.h"

#define BLOCK 100
#define BLOCKS 20

static uint8_t keys[ENG_DEV_ACCOUNTS][32];
static uint64_t nonces[ENG_DEV_ACCOUNTS];

/* Signs type with message members (JSON text, without the nonce) from dev account who. */
static void sign(ledger_tx *tx, unsigned who, const char *type, const char *members)
{
    char err[256], nonce[24];
    cJSON *msg = cJSON_Parse(members);
    snprintf(nonce, sizeof nonce, "%llu", (unsigned long long)nonces[who]++);
    if (!msg || !cJSON_AddStringToObject(msg, "nonce", nonce)
        || ledger_tx_build_signed(tx, err, sizeof err, type, msg, keys[who], ENG_DEV_CHAIN_ID) != ST_OK)
        bench_die("sign");
    cJSON_Delete(msg);
}

/* Submits tx (taken) with its stored text rendered, as tx_send's verification threads do. */
static void submit(eng *e, ledger_tx *tx, bench_tally *t)
{
    char err[256], *body = eng_tx_body(tx);
    if (!body || eng_submit_body(e, err, sizeof err, tx, &body, bench_tally_done, t) != ST_OK)
        bench_die(err);
}

/* One set-up transaction applied in a block of its own. */
static void setup_tx(eng *e, unsigned who, const char *type, const char *members)
{
    ledger_tx tx;
    bench_tally t = { 0 };
    sign(&tx, who, type, members);
    submit(e, &tx, &t);
    if (eng_flush(e) != ST_OK || t.ok != 1)
        bench_die(type);
}

/* Applies txs (BLOCKS * BLOCK, taken) in blocks of BLOCK. Returns: CPU microseconds a transaction. */
static double apply_all(eng *e, ledger_tx *txs, const char *what)
{
    bench_tally t = { 0 };
    double cpu = bench_cpu();
    for (size_t b = 0; b < BLOCKS; b++) {
        for (size_t k = b * BLOCK; k < (b + 1) * BLOCK; k++)
            submit(e, &txs[k], &t);
        if (eng_flush(e) != ST_OK)
            bench_die("flush");
    }
    cpu = bench_cpu() - cpu;
    if (t.ok != BLOCKS * BLOCK) {
        fprintf(stderr, "bench_apply: %s: %zu of %d succeeded: %s\n", what, t.ok, BLOCKS * BLOCK, t.first_error);
        exit(1);
    }
    return cpu * 1e6 / (BLOCKS * BLOCK);
}

int main(void)
{
    char dir[] = "/tmp/conclave-bench-XXXXXX", path[64], to[LEDGER_ADDR_STRLEN], members[160];
    if (!mkdtemp(dir))
        bench_die("mkdtemp");
    snprintf(path, sizeof path, "%s/conclave.db", dir);
    char *genesis = eng_genesis_dev_json(NULL, NULL, NULL);
    double open_s;
    eng *e = bench_eng_open(path, genesis, &open_s);
    uint8_t addrs[ENG_DEV_ACCOUNTS][20];
    for (unsigned i = 0; i < ENG_DEV_ACCOUNTS; i++) {
        eng_dev_key(keys[i], i);
        if (ledger_sig_address(addrs[i], keys[i]) != ST_OK)
            bench_die("address");
    }
    ledger_tx *txs = calloc(BLOCKS * BLOCK, sizeof *txs);
    if (!genesis || !txs)
        bench_die("out of memory");

    for (size_t k = 0; k < BLOCKS * BLOCK; k++) {
        unsigned from = (unsigned)(k % ENG_DEV_ACCOUNTS);
        ledger_addr_format(to, addrs[(from + 1) % ENG_DEV_ACCOUNTS]);
        snprintf(members, sizeof members, "{\"to\":\"%s\",\"amount\":\"1\"}", to);
        sign(&txs[k], from, "Transfer", members);
    }
    double transfer_us = apply_all(e, txs, "transfers");

    /* a pool, every dev account's stake in it, a proposal on the treasury track, its voting delay */
    setup_tx(e, 0, "PoolCreate", "{\"commissionPpm\":\"0\",\"capacity\":\"1000000000000000000000000000000\"}");
    for (unsigned i = 0; i < ENG_DEV_ACCOUNTS; i++)
        setup_tx(e, i, "Contribute", "{\"pool\":\"1\",\"amount\":\"1000000000000000000000\"}");
    setup_tx(e, 0, "Propose",
             "{\"track\":\"treasury\",\"title\":\"bench\",\"body\":\"what it does and why, in a few sentences\","
             "\"payload\":\"0x\"}");
    uint64_t now;
    if (eng_advance_time(e, 3600, &now) != ST_OK)
        bench_die("advance");
    for (size_t k = 0; k < BLOCKS * BLOCK; k++) {
        snprintf(members, sizeof members, "{\"proposal\":\"1\",\"support\":\"%zu\",\"conviction\":\"%zu\"}",
                 k / ENG_DEV_ACCOUNTS % 3, k / (3 * ENG_DEV_ACCOUNTS) % 7);
        sign(&txs[k], (unsigned)(k % ENG_DEV_ACCOUNTS), "Vote", members);
    }
    double vote_us = apply_all(e, txs, "votes");

    eng_close(e);
    bench_remove_dir(dir);
    free(txs);
    free(genesis);
    bench_print_machine();
    printf("%-52s %14s\n", "applying blocks of 100 in process (no HTTP, no recovery)", "CPU us a tx");
    printf("%-52s %14.1f\n", "signed transfers", transfer_us);
    printf("%-52s %14.1f\n", "vote changes", vote_us);
    printf("(for instruction counts, whatever the load: valgrind --tool=callgrind "
           "--toggle-collect=eng_apply_block ./bench/bench_apply)\n");
    return 0;
}
