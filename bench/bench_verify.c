/* SPDX-License-Identifier: MIT */
/* bench_verify.c: what a verification thread spends on one tx_send besides the signature recovery:
 * 2,000 Votes and 2,000 Transfers from as many distinct keys, signed before the clock starts and
 * rendered as a client sends them (batches of 100 calls), then each batch body parsed as the
 * server's offload does (rpc_body_parse) and each call's params decoded, verified and rendered as
 * node/m_tx.c's verify does (ledger_tx_parse, eng_tx_body). It prints the CPU microseconds a tx
 * beside one bare ledger_sig_recover; under callgrind it counts instructions whatever the load:
 *   valgrind --tool=callgrind --toggle-collect=verify_batches ./bench/bench_verify [votes|transfers]
 * and secp256k1_ecdsa_recover's inclusive count, subtracted, leaves the cost outside the recovery. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bench/benchlib.h"
#include "engine/genesis.h"
#include "ledger/hash.h"
#include "ledger/hex.h"
#include "ledger/sig.h"
#include "rpc/rpc_int.h"

#define N_TXS 2000
#define BATCH 100
#define N_BATCHES (N_TXS / BATCH)

/* The key of signer i: distinct signers, as the daemon's voters are. */
static void key_of(uint8_t key[32], size_t i)
{
    char seed[48];
    snprintf(seed, sizeof seed, "conclave bench_verify key %zu", i);
    ledger_sha256(key, seed, strlen(seed));
}

/* A tx_send call (text; cJSON_free) of type with message members (JSON text) signed by signer i. */
static char *signed_call(const char *type, const char *members, size_t i)
{
    char err[256];
    uint8_t key[32];
    ledger_tx tx;
    cJSON *msg = cJSON_Parse(members);
    key_of(key, i);
    if (!msg || ledger_tx_build_signed(&tx, err, sizeof err, type, msg, key, ENG_DEV_CHAIN_ID) != ST_OK)
        bench_die("sign");
    cJSON_Delete(msg);
    char *call = bench_tx_call(&tx, (unsigned)(i % BATCH));
    ledger_tx_clear(&tx);
    return call;
}

/* The members of the k-th call of a kind: a vote on proposal 1, or a transfer to the next signer. */
static void members_of(char *out, size_t cap, bool vote, size_t k)
{
    if (vote) {
        snprintf(out, cap, "{\"proposal\":\"1\",\"support\":\"%zu\",\"conviction\":\"%zu\",\"nonce\":\"1\"}",
                 k % 3, k % 7);
        return;
    }
    uint8_t key[32], to[20];
    char to_text[LEDGER_ADDR_STRLEN];
    key_of(key, k + 1);
    if (ledger_sig_address(to, key) != ST_OK)
        bench_die("address");
    ledger_addr_format(to_text, to);
    snprintf(out, cap, "{\"to\":\"%s\",\"amount\":\"1000000000000000000\",\"nonce\":\"%zu\"}", to_text, k % 1000);
}

/* N_BATCHES batch bodies (free) of N_TXS calls of one kind, signers first..first+N_TXS-1. */
static char **make_bodies(bool vote, size_t first)
{
    char **bodies = calloc(N_BATCHES, sizeof *bodies), *calls[BATCH], members[160];
    if (!bodies)
        bench_die("out of memory");
    for (size_t b = 0; b < N_BATCHES; b++) {
        for (size_t i = 0; i < BATCH; i++) {
            size_t k = b * BATCH + i;
            members_of(members, sizeof members, vote, first + k);
            calls[i] = signed_call(vote ? "Vote" : "Transfer", members, first + k);
        }
        bodies[b] = bench_batch(calls, BATCH);
        for (size_t i = 0; i < BATCH; i++)
            cJSON_free(calls[i]);
    }
    return bodies;
}

/* One call's verification as m_tx.c's verify runs it: parse, then the stored text. */
static void verify_call(cJSON *call)
{
    char err[256];
    ledger_tx tx;
    cJSON *params = cJSON_DetachItemFromObjectCaseSensitive(call, "params");
    if (!params || ledger_tx_parse(&tx, err, sizeof err, params, ENG_DEV_CHAIN_ID) != ST_OK)
        bench_die("verify");
    cJSON_Delete(params);
    char *text = eng_tx_body(&tx);
    if (!text)
        bench_die("out of memory");
    cJSON_free(text);
    ledger_tx_clear(&tx);
}

/* Parses and verifies every call of the batch bodies. Not inlined: callgrind toggles on it. */
__attribute__((noinline)) static void verify_batches(char *const *bodies)
{
    for (size_t b = 0; b < N_BATCHES; b++) {
        struct rpc_parsed parsed;
        cJSON *call;
        rpc_body_parse(&parsed, bodies[b], strlen(bodies[b]));
        if (!parsed.tree || cJSON_GetArraySize(parsed.tree) != BATCH)
            bench_die("body");
        cJSON_ArrayForEach(call, parsed.tree)
            verify_call(call);
        cJSON_Delete(parsed.tree);
    }
}

/* Returns: CPU microseconds a tx of verify_batches over bodies. */
static double time_batches(char *const *bodies)
{
    double cpu = bench_cpu();
    verify_batches(bodies);
    return (bench_cpu() - cpu) * 1e6 / N_TXS;
}

static void free_bodies(char **bodies)
{
    for (size_t b = 0; b < N_BATCHES; b++)
        free(bodies[b]);
    free(bodies);
}

/* Prints one kind's row: CPU us a tx, and that less one recovery. */
static void print_row(const char *kind, double us, double recover_us)
{
    printf("%-60s %12.1f %12.1f\n", kind, us, us - recover_us);
}

int main(int argc, char **argv)
{
    const char *only = argc > 1 ? argv[1] : "";
    bool votes = strcmp(only, "transfers") != 0, transfers = strcmp(only, "votes") != 0;
    if (!votes && !transfers)
        bench_die("usage: bench_verify [votes|transfers]");
    char **vote_bodies = votes ? make_bodies(true, 0) : NULL;
    char **transfer_bodies = transfers ? make_bodies(false, N_TXS) : NULL;
    double vote_us = votes ? time_batches(vote_bodies) : 0;
    double transfer_us = transfers ? time_batches(transfer_bodies) : 0;
    double recover_us = 1e6 / bench_recover_rate();
    bench_print_machine();
    printf("%-60s %12s %12s\n", "a tx_send's verification (batches of 100, in process)", "CPU us a tx",
           "less recover");
    if (votes)
        print_row("Vote", vote_us, recover_us);
    if (transfers)
        print_row("Transfer", transfer_us, recover_us);
    printf("%-60s %12.1f\n", "one ledger_sig_recover", recover_us);
    printf("(instructions, whatever the load: valgrind --tool=callgrind --toggle-collect=verify_batches "
           "./bench/bench_verify [votes|transfers])\n");
    if (votes)
        free_bodies(vote_bodies);
    if (transfers)
        free_bodies(transfer_bodies);
    return 0;
}
