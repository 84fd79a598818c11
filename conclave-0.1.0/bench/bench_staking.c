/* SPDX-License-Identifier: MIT */
/* bench_staking.c: `make bench`, second part: what staking costs. In process, on the engine with a
 * ledger in a temporary directory: reward distribution (PoolReward) and claims (Claim) in a pool of
 * 10 delegators beside one of 100,000, per operation and as a ratio; both must stay O(1) in the
 * number of delegators (F1-style accumulator), so the ratio should stay near 1. Then signed
 * Contribute transactions per second through JSON-RPC against a real conclaved --dev (one call per
 * request from several connections, and batches of 100). Every timed transaction is signed before
 * its clock starts; prints a table with the machine and the peak memory of the in-process part. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include "bench/benchlib.h"
#include "engine/engine.h"
#include "engine/genesis.h"
#include "ledger/hash.h"
#include "ledger/hex.h"
#include "ledger/sig.h"
#include "ledger/tx.h"
#include "rpc/client.h"

#define SMALL_POOL 10
#define LARGE_POOL 100000
#define QUICK_LARGE_POOL 20000     /* --quick: a smaller large pool, for a fast look */
#define SETUP_BLOCK 10000          /* Contribute transactions per block while staking the pool */
#define REWARDS 200
#define REWARDS_PER_BLOCK 10
#define CLAIMS 200
#define CLAIMS_PER_BLOCK 10        /* each claim block follows an untimed reward block */
#define BENCH_CHAIN_ID 4242
#define BENCH_GENESIS_TIME 1767225600
#define BENCH_POOL 1               /* the first pool a fresh ledger creates */
#define ONE_TOKEN "1000000000000000000"
#define DELEGATOR_BALANCE "2000000000000000000"
#define TREASURY "1000000000000000000000000000000"    /* 10^30: pays every reward */
#define CAPACITY "1000000000000000000000000000000000" /* takes every contribution */
#define COMMISSION_PPM "100000"    /* 10% to the owner */

#define CONNECTIONS 8
#define PER_CONNECTION 1000
#define BATCH 100
#define BATCHES 100

/* What one in-process pool measured. */
struct pool_run {
    size_t delegators;
    double addresses_s;         /* deriving the delegators' addresses */
    double open_s;              /* eng_open: parsing and applying the genesis */
    double sign_s, apply_s;     /* staking every delegator: signing, then the engine */
    double reward_us, reward_cpu_us;
    double claim_us, claim_cpu_us;
    size_t rewards_ok, claims_ok;
    long open_rss_kb;           /* peak resident set of this process once the genesis is applied */
    long maxrss_kb;             /* peak resident set of this process after the run */
};

/* Deterministic test keys: sha256("bench-" || i) for delegator i, sha256("bench-owner"). */
static void delegator_key(uint8_t key[32], size_t i)
{
    char seed[32];
    int len = snprintf(seed, sizeof seed, "bench-%zu", i);
    ledger_sha256(key, seed, (size_t)len);
}

static void owner_key(uint8_t key[32])
{
    ledger_sha256(key, "bench-owner", strlen("bench-owner"));
}

static cJSON *message(const char *type, uint64_t nonce)
{
    char text[24];
    cJSON *msg = cJSON_CreateObject();
    if (!msg)
        bench_die("out of memory");
    snprintf(text, sizeof text, "%llu", (unsigned long long)nonce);
    cJSON_AddStringToObject(msg, "nonce", text);
    if (strcmp(type, "PoolCreate") == 0) {
        cJSON_AddStringToObject(msg, "commissionPpm", COMMISSION_PPM);
        cJSON_AddStringToObject(msg, "capacity", CAPACITY);
        return msg;
    }
    snprintf(text, sizeof text, "%d", BENCH_POOL);
    cJSON_AddStringToObject(msg, "pool", text);
    if (strcmp(type, "Contribute") == 0)
        cJSON_AddStringToObject(msg, "amount", ONE_TOKEN);
    return msg;
}

/* Signs a PoolCreate, Contribute (one token) or Claim on BENCH_POOL. Out: tx (ledger_tx_clear). */
static void sign(ledger_tx *tx, const char *type, uint64_t nonce, const uint8_t key[32], uint64_t chain_id)
{
    char err[256];
    cJSON *msg = message(type, nonce);
    if (ledger_tx_build_signed(tx, err, sizeof err, type, msg, key, chain_id) != ST_OK)
        bench_die(err);
    cJSON_Delete(msg);
}

/* ---- in process: reward and claim cost against the number of delegators ---- */

static void submit(eng *e, ledger_tx *tx, bench_tally *t)
{
    char err[256];
    if (eng_submit(e, err, sizeof err, tx, bench_tally_done, t) != ST_OK)
        bench_die(err);
}

static void flush(eng *e)
{
    if (eng_flush(e) != ST_OK)
        bench_die("a block could not be written");
}

static void expect_all(const bench_tally *t, size_t want, const char *what)
{
    if (t->ok == want)
        return;
    fprintf(stderr, "bench_staking: %zu of %zu %s succeeded (%zu failed, %zu refused): %s\n", t->ok, want, what,
            t->failed, t->refused, t->first_error);
    exit(1);
}

static void add_account(cJSON *accounts, const uint8_t addr[20], const char *balance)
{
    char text[LEDGER_ADDR_STRLEN];
    ledger_addr_format(text, addr);
    cJSON *entry = cJSON_CreateObject();
    if (!entry || !cJSON_AddItemToArray(accounts, entry) || !cJSON_AddStringToObject(entry, "address", text)
        || !cJSON_AddStringToObject(entry, "balance", balance))
        bench_die("out of memory");
}

/* A genesis funding the owner and n delegators. Caller frees with cJSON_free. */
static char *genesis_json(size_t n, double *addresses_s)
{
    cJSON *root = cJSON_CreateObject(), *accounts = cJSON_CreateArray();
    if (!root || !accounts || !cJSON_AddItemToObject(root, "accounts", accounts))
        bench_die("out of memory");
    cJSON_AddNumberToObject(root, "chainId", BENCH_CHAIN_ID);
    cJSON_AddNumberToObject(root, "time", BENCH_GENESIS_TIME);
    cJSON_AddStringToObject(root, "treasury", TREASURY);
    uint8_t key[32], addr[20];
    owner_key(key);
    if (ledger_sig_address(addr, key) != ST_OK)
        bench_die("owner address");
    add_account(accounts, addr, DELEGATOR_BALANCE);
    double t0 = bench_now();
    for (size_t i = 0; i < n; i++) {
        delegator_key(key, i);
        if (ledger_sig_address(addr, key) != ST_OK)
            bench_die("delegator address");
        add_account(accounts, addr, DELEGATOR_BALANCE);
    }
    *addresses_s = bench_now() - t0;
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!text)
        bench_die("out of memory");
    return text;
}

/* Makes a pool of n delegators, each staking one token (blocks of SETUP_BLOCK). */
static eng *pool_setup(struct pool_run *r, const char *db_path)
{
    char *genesis = genesis_json(r->delegators, &r->addresses_s);
    eng *e = bench_eng_open(db_path, genesis, &r->open_s);
    r->open_rss_kb = bench_maxrss_kb(RUSAGE_SELF);
    cJSON_free(genesis);

    uint8_t key[32];
    ledger_tx tx;
    bench_tally created = { 0 }, staked = { 0 };
    owner_key(key);
    sign(&tx, "PoolCreate", 0, key, BENCH_CHAIN_ID);
    submit(e, &tx, &created);
    flush(e);
    expect_all(&created, 1, "PoolCreate");

    for (size_t done = 0; done < r->delegators;) {
        size_t end = done + SETUP_BLOCK < r->delegators ? done + SETUP_BLOCK : r->delegators;
        double t1 = bench_now();
        for (size_t i = done; i < end; i++) {
            delegator_key(key, i);
            sign(&tx, "Contribute", 0, key, BENCH_CHAIN_ID);
            submit(e, &tx, &staked);
        }
        double t2 = bench_now();
        flush(e);
        r->sign_s += t2 - t1;
        r->apply_s += bench_now() - t2;
        done = end;
        if (r->delegators >= SETUP_BLOCK)
            fprintf(stderr, "bench_staking: %zu of %zu delegators staked (signing %.1f s, engine %.1f s)\n", done,
                    r->delegators, r->sign_s, r->apply_s);
    }
    memset(key, 0, sizeof key);
    expect_all(&staked, r->delegators, "Contribute");
    return e;
}

/* Claim k of CLAIMS: a spread of distinct delegators in a large pool; in a small one each delegator
 * once per block, its nonce counting up. */
static void claimer(size_t delegators, size_t k, size_t *who, uint64_t *nonce)
{
    if (delegators >= CLAIMS) {
        *who = k * (delegators / CLAIMS);
        *nonce = 1;
    } else {
        *who = k % delegators;
        *nonce = 1 + k / delegators;
    }
}

static void submit_reward(eng *e, const cJSON *msg, bench_tally *t)
{
    if (eng_submit_system(e, "PoolReward", msg, bench_tally_done, t) != ST_OK)
        bench_die("PoolReward refused");
}

static void run_pool(struct pool_run *r)
{
    char dir[64], db_path[128];
    snprintf(dir, sizeof dir, "/tmp/conclave-bench-XXXXXX");
    if (!mkdtemp(dir))
        bench_die("mkdtemp");
    snprintf(db_path, sizeof db_path, "%s/conclave.db", dir);
    eng *e = pool_setup(r, db_path);

    cJSON *reward = cJSON_CreateObject();
    if (!reward || !cJSON_AddNumberToObject(reward, "pool", BENCH_POOL) || !cJSON_AddStringToObject(reward, "amount", ONE_TOKEN))
        bench_die("out of memory");

    /* rewards: REWARDS_PER_BLOCK per block */
    bench_tally rewarded = { 0 };
    double w0 = bench_now(), c0 = bench_cpu();
    for (size_t i = 0; i < REWARDS; i++) {
        submit_reward(e, reward, &rewarded);
        if ((i + 1) % REWARDS_PER_BLOCK == 0 || i + 1 == REWARDS)
            flush(e);
    }
    r->reward_us = (bench_now() - w0) * 1e6 / REWARDS;
    r->reward_cpu_us = (bench_cpu() - c0) * 1e6 / REWARDS;
    r->rewards_ok = rewarded.ok;
    expect_all(&rewarded, REWARDS, "PoolReward");

    /* claims, signed first; each block of claims follows an untimed reward, so there is always
     * something to claim even for a delegator that claims again */
    ledger_tx *claims = calloc(CLAIMS, sizeof *claims);
    if (!claims)
        bench_die("out of memory");
    for (size_t k = 0; k < CLAIMS; k++) {
        uint8_t key[32];
        size_t who;
        uint64_t nonce;
        claimer(r->delegators, k, &who, &nonce);
        delegator_key(key, who);
        sign(&claims[k], "Claim", nonce, key, BENCH_CHAIN_ID);
        memset(key, 0, sizeof key);
    }
    bench_tally claimed = { 0 }, untimed = { 0 };
    double wall = 0, cpu = 0;
    for (size_t k = 0; k < CLAIMS; k += CLAIMS_PER_BLOCK) {
        submit_reward(e, reward, &untimed);
        flush(e);
        double w1 = bench_now(), c1 = bench_cpu();
        for (size_t j = k; j < k + CLAIMS_PER_BLOCK && j < CLAIMS; j++)
            submit(e, &claims[j], &claimed);
        flush(e);
        wall += bench_now() - w1;
        cpu += bench_cpu() - c1;
    }
    r->claim_us = wall * 1e6 / CLAIMS;
    r->claim_cpu_us = cpu * 1e6 / CLAIMS;
    r->claims_ok = claimed.ok;
    expect_all(&untimed, (CLAIMS + CLAIMS_PER_BLOCK - 1) / CLAIMS_PER_BLOCK, "untimed PoolReward");
    expect_all(&claimed, CLAIMS, "Claim");
    for (size_t k = 0; k < CLAIMS; k++)
        ledger_tx_clear(&claims[k]);
    free(claims);
    cJSON_Delete(reward);
    r->maxrss_kb = bench_maxrss_kb(RUSAGE_SELF);
    eng_close(e);
    bench_remove_dir(dir);
}

/* ---- through JSON-RPC: Contribute transactions per second ---- */

/* A JSON-RPC tx_send call for type signed by dev account `dev`. Caller frees (cJSON_free). */
static char *signed_call(const char *type, unsigned dev, uint64_t nonce, unsigned id)
{
    uint8_t key[32];
    ledger_tx tx;
    eng_dev_key(key, dev);
    sign(&tx, type, nonce, key, ENG_DEV_CHAIN_ID);
    memset(key, 0, sizeof key);
    char *text = bench_tx_call(&tx, id);
    ledger_tx_clear(&tx);
    return text;
}

/* The first pool of a fresh dev node, created by dev account 0 with its nonce 0. */
static void create_pool(const char *url)
{
    char *body = signed_call("PoolCreate", 0, 0, 1);
    rpc_client *c = rpc_client_new(url, NULL, 60);
    int status;
    char *resp = NULL;
    if (!c || rpc_client_post(c, "/", body, strlen(body), &status, &resp) != ST_OK || bench_count_success(resp) != 1)
        bench_die("PoolCreate through tx_send failed");
    free(resp);
    rpc_client_free(c);
    cJSON_free(body);
}

/* Dev account 0 created the pool with nonce 0; its contributions start at 1. */
static uint64_t first_nonce(unsigned dev)
{
    return dev == 0 ? 1 : 0;
}

static char *make_contribute(void *ctx, unsigned dev, uint64_t k, unsigned id)
{
    (void)ctx;
    return signed_call("Contribute", dev, first_nonce(dev) + k, id);
}

/* Contribute/s on a fresh node with its pool, single calls (batched false) or batches. */
static double contribute_rate(const char *daemon, bool batched, size_t *ok)
{
    bench_node n;
    bench_node_start(&n, daemon);
    create_pool(n.url);
    double rate = batched ? bench_rpc_batched(n.url, BATCHES, BATCH, make_contribute, NULL, ok)
                          : bench_rpc_single(n.url, CONNECTIONS, PER_CONNECTION, make_contribute, NULL, ok);
    bench_node_stop(&n);
    return rate;
}

/* ---- report ---- */

static void row(const char *label, double small, double large)
{
    printf("%-40s %18.1f %18.1f %9.2fx\n", label, small, large, large / small);
}

int main(int argc, char **argv)
{
    bool quick;
    const char *daemon = bench_args(argc, argv, &quick);
    size_t large = quick ? QUICK_LARGE_POOL : LARGE_POOL;

    struct pool_run small_run = { .delegators = SMALL_POOL }, large_run = { .delegators = large };
    run_pool(&small_run);
    double t0 = bench_now();
    run_pool(&large_run);
    double large_s = bench_now() - t0;
    size_t ok_single = 0, ok_batched = 0;
    double single = contribute_rate(daemon, false, &ok_single);
    double batched = contribute_rate(daemon, true, &ok_batched);

    bench_print_machine();
    char small_head[32], large_head[32];
    snprintf(small_head, sizeof small_head, "%zu delegators", small_run.delegators);
    snprintf(large_head, sizeof large_head, "%zu delegators", large_run.delegators);
    printf("%-40s %18s %18s %10s\n", "staking in process, us per operation", small_head, large_head, "ratio");
    char label[80];
    snprintf(label, sizeof label, "PoolReward, %d per block (wall)", REWARDS_PER_BLOCK);
    row(label, small_run.reward_us, large_run.reward_us);
    row("PoolReward (CPU)", small_run.reward_cpu_us, large_run.reward_cpu_us);
    snprintf(label, sizeof label, "Claim, %d per block (wall)", CLAIMS_PER_BLOCK);
    row(label, small_run.claim_us, large_run.claim_us);
    row("Claim (CPU)", small_run.claim_cpu_us, large_run.claim_cpu_us);
    printf("%-40s %18.1f %18.1f\n", "peak memory (ru_maxrss), MiB", (double)small_run.maxrss_kb / 1024.0,
           (double)large_run.maxrss_kb / 1024.0);
    double worst = large_run.reward_us / small_run.reward_us;
    if (large_run.claim_us / small_run.claim_us > worst)
        worst = large_run.claim_us / small_run.claim_us;
    if (worst >= 10.0)
        printf("NOTE: a reward or claim costs %.0fx more with %zu delegators than with %zu: not O(1)\n", worst,
               large_run.delegators, small_run.delegators);
    printf("\nsetup of %zu delegators: %.1f s in all; addresses %.1f s, genesis (eng_open) %.1f s\n"
           "  (peak memory by then %.1f MiB), signing %zu Contribute %.1f s, engine %.1f s\n"
           "  (%.0f Contribute/s, blocks of %d)\n",
           large_run.delegators, large_s, large_run.addresses_s, large_run.open_s, (double)large_run.open_rss_kb / 1024.0,
           large_run.delegators, large_run.sign_s, large_run.apply_s,
           (double)large_run.delegators / large_run.apply_s, SETUP_BLOCK);

    printf("\n%-52s %14s\n", "staking through JSON-RPC (conclaved --dev)", "per second");
    snprintf(label, sizeof label, "Contribute via tx_send, %d connections x 1 call", CONNECTIONS);
    printf("%-52s %14.0f\n", label, single);
    snprintf(label, sizeof label, "Contribute via tx_send, batches of %d, 1 connection", BATCH);
    printf("%-52s %14.0f\n", label, batched);
    char limit[64];
    snprintf(limit, sizeof limit, "the same at %zu delegators", small_run.delegators);
    snprintf(label, sizeof label, "PoolReward at %zu delegators", large_run.delegators);
    bench_row(label, large_run.reward_us, "us", limit, small_run.reward_us, "O(1): ~1x");
    snprintf(label, sizeof label, "Claim at %zu delegators", large_run.delegators);
    bench_row(label, large_run.claim_us, "us", limit, small_run.claim_us, "O(1): ~1x");
    snprintf(label, sizeof label, "Contribute via tx_send, %d conns x 1 call", CONNECTIONS);
    bench_row(label, single, "tx/s", NULL, 0, "-");
    snprintf(label, sizeof label, "Contribute via tx_send, batches of %d", BATCH);
    bench_row(label, batched, "tx/s", NULL, 0, "-");
    printf("\n%zu of %d single and %zu of %d batched contributions succeeded; %zu+%zu rewards, %zu+%zu claims\n",
           ok_single, CONNECTIONS * PER_CONNECTION, ok_batched, BATCH * BATCHES, small_run.rewards_ok,
           large_run.rewards_ok, small_run.claims_ok, large_run.claims_ok);
    return ok_single == CONNECTIONS * PER_CONNECTION && ok_batched == BATCH * BATCHES ? 0 : 1;
}
