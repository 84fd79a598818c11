/* SPDX-License-Identifier: MIT */
/* bench_gov.c: `make bench`, last part: what governance costs, against a real conclaved --dev.
 * Signed Vote transactions per second through JSON-RPC, signatures checked and tallies updated:
 * 17,600 distinct voters (keys sha256("bench-voter-" || i), funded with admin_mint, each staking one
 * token before the proposal's snapshot) vote once each, one call per request from several
 * connections, and in batches of 100 from 16 connections at once (each posting its next batch once
 * its last is answered: up to 16 in flight; a vote's block costs the loop about twice a transfer's,
 * and 4 in flight, bench_tx's, leave the cores idle while a block is applied and synced: see
 * docs/PERFORMANCE.md); then the batched voters change their votes. Then gov_getTally
 * (and gov_getProposal, gov_getVotes) on a proposal with 10 votes beside one with 1,000,000: the
 * tally is kept in the proposal's row, so they must cost the same. Signing and staking a million
 * voters would take minutes, so 999,990 of those votes are written with gov_vote_put into the stopped
 * node's ledger, rows and tally as the engine writes a conviction-0 vote, and the node is started
 * again on it. Every timed transaction is signed before its clock starts. Each timed run's row also
 * shows the CPU a vote of the node's loop, verification and durability threads and of the client, as
 * bench_tx's rows do (benchlib's bench_node_cpu_ns). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bench/benchlib.h"
#include "engine/genesis.h"
#include "governance/gov.h"
#include "governance/gov_store.h"
#include "ledger/hash.h"
#include "ledger/hex.h"
#include "ledger/ledger.h"
#include "ledger/sig.h"
#include "ledger/tx.h"
#include "rpc/client.h"

#define CONNECTIONS 8
#define PER_CONNECTION 1000
#define BATCH 100                   /* also the most calls a JSON-RPC batch may hold */
#define BATCHES 96                  /* in all, over BATCH_CONNECTIONS connections at once */
#define BATCH_CONNECTIONS 16        /* up to 16 batches in flight */
#define QUICK_BATCHES 32            /* --votes-only --quick */
#define VOTERS (CONNECTIONS * PER_CONNECTION + BATCH * BATCHES)   /* one vote each, then changes */
#define FEW_VOTES ENG_DEV_ACCOUNTS  /* real votes on each read proposal: the ten dev accounts' */
#define MANY_VOTES 1000000
#define QUICK_MANY_VOTES 100000     /* --quick */
#define READS 2000                  /* timed calls of each read method on each proposal */
#define ONE_TOKEN "1000000000000000000"
#define DEV_STAKE "1000000000000000000000"           /* 1,000 tokens a dev account */
#define CAPACITY "1000000000000000000000000000000"   /* takes every contribution */
#define PROPOSAL_TIMED 1            /* the voters' votes */
#define PROPOSAL_FEW 2              /* the dev accounts' 10 votes */
#define PROPOSAL_MANY 3             /* the dev accounts' 10 votes and the written ones */
#define VOTING_DELAY 3600           /* the treasury track's in the dev genesis */

/* Deterministic test keys of the voters: sha256("bench-voter-" || i). */
static void voter_key(uint8_t key[32], size_t i)
{
    char seed[40];
    int len = snprintf(seed, sizeof seed, "bench-voter-%zu", i);
    ledger_sha256(key, seed, (size_t)len);
}

/* A JSON-RPC tx_send call of type signed with key, message members given as JSON text (without
 * the nonce). Caller frees (cJSON_free). */
static char *signed_call(const char *type, const char *members, const uint8_t key[32], uint64_t nonce, unsigned id)
{
    char text[512], err[256];
    snprintf(text, sizeof text, "%.*s%s\"nonce\":\"%llu\"}", (int)strlen(members) - 1, members,
             strcmp(members, "{}") ? "," : "", (unsigned long long)nonce);
    cJSON *msg = cJSON_Parse(text);
    ledger_tx tx;
    if (!msg || ledger_tx_build_signed(&tx, err, sizeof err, type, msg, key, ENG_DEV_CHAIN_ID) != ST_OK)
        bench_die("signing");
    cJSON_Delete(msg);
    char *out = bench_tx_call(&tx, id);
    ledger_tx_clear(&tx);
    return out;
}

static char *dev_call(const char *type, const char *members, unsigned dev, uint64_t nonce, unsigned id)
{
    uint8_t key[32];
    eng_dev_key(key, dev);
    char *out = signed_call(type, members, key, nonce, id);
    memset(key, 0, sizeof key);
    return out;
}

static char *vote_members(char out[96], unsigned proposal, unsigned support, unsigned conviction)
{
    snprintf(out, 96, "{\"proposal\":\"%u\",\"support\":\"%u\",\"conviction\":\"%u\"}", proposal, support, conviction);
    return out;
}

/* Posts body; dies unless `want` receipts in the answer succeeded. */
static void post_ok(rpc_client *c, const char *body, size_t want, const char *what)
{
    int status;
    char *resp = NULL;
    if (rpc_client_post(c, "/", body, strlen(body), &status, &resp) != ST_OK || bench_count_success(resp) != want) {
        fprintf(stderr, "bench_gov: %s: %.400s\n", what, resp ? resp : "(no answer)");
        bench_die(what);
    }
    free(resp);
}

/* Posts calls[0..n) in batches of BATCH and frees them (cJSON_free); every one must succeed. */
static void post_all_ok(rpc_client *c, char **calls, size_t n, const char *what)
{
    for (size_t i = 0; i < n; i += BATCH) {
        size_t len = n - i < BATCH ? n - i : BATCH;
        char *body = bench_batch(calls + i, len);
        post_ok(c, body, len, what);
        free(body);
    }
    for (size_t i = 0; i < n; i++)
        cJSON_free(calls[i]);
}

static rpc_client *admin_client(const bench_node *n)
{
    char token[256];
    bench_node_cookie(n, token, sizeof token);
    rpc_client *c = rpc_client_new(n->url, token, 60);
    if (!c)
        bench_die("client");
    return c;
}

/* An admin call's text (cJSON_free): method with params (consumed). */
static char *admin_call(const char *method, cJSON *params, unsigned id)
{
    cJSON *call = cJSON_CreateObject();
    if (!call || !params || !cJSON_AddItemToObject(call, "params", params))
        bench_die("out of memory");
    cJSON_AddStringToObject(call, "jsonrpc", "2.0");
    cJSON_AddNumberToObject(call, "id", id);
    cJSON_AddStringToObject(call, "method", method);
    char *text = cJSON_PrintUnformatted(call);
    cJSON_Delete(call);
    if (!text)
        bench_die("out of memory");
    return text;
}

/* Voters first_voter..end-1 each get one token by admin_mint and stake it in pool 1 (Contribute,
 * nonce 0). */
static void fund_voters(const bench_node *n, size_t first_voter, size_t end)
{
    char **calls = calloc(BATCH, sizeof *calls);
    rpc_client *admin = admin_client(n), *c = rpc_client_new(n->url, NULL, 60);
    if (!calls || !c)
        bench_die("out of memory");
    for (size_t first = first_voter; first < end; first += BATCH) {
        uint8_t key[32], addr[20];
        char text[LEDGER_ADDR_STRLEN];
        for (size_t i = 0; i < BATCH; i++) {
            voter_key(key, first + i);
            if (ledger_sig_address(addr, key) != ST_OK)
                bench_die("voter address");
            ledger_addr_format(text, addr);
            cJSON *params = cJSON_CreateObject();
            if (!params || !cJSON_AddStringToObject(params, "to", text) || !cJSON_AddStringToObject(params, "amount", ONE_TOKEN))
                bench_die("out of memory");
            calls[i] = admin_call("admin_mint", params, (unsigned)i);
        }
        post_all_ok(admin, calls, BATCH, "admin_mint");
        for (size_t i = 0; i < BATCH; i++) {
            voter_key(key, first + i);
            calls[i] = signed_call("Contribute", "{\"pool\":\"1\",\"amount\":\"" ONE_TOKEN "\"}", key, 0, (unsigned)i);
        }
        memset(key, 0, sizeof key);
        post_all_ok(c, calls, BATCH, "Contribute");
    }
    rpc_client_free(c);
    rpc_client_free(admin);
    free(calls);
}

/* Pool 1 by dev 0 (nonce 0); every dev account stakes 1,000 tokens (dev 0: nonce 1), every voter
 * one; dev 0 proposes three times on the treasury track (nonces 2, 3, 4: proposals 1 to 3), which
 * fixes the snapshot; the clock passes the voting delay; the ten dev accounts vote on proposals 2
 * and 3 (dev 0: nonces 5 and 6, the others 1 and 2). Only voters first_voter..end-1 are funded. */
static void setup(const bench_node *n, size_t first_voter, size_t end)
{
    rpc_client *c = rpc_client_new(n->url, NULL, 60);
    char *calls[2 * ENG_DEV_ACCOUNTS];
    char members[96];
    if (!c)
        bench_die("client");
    calls[0] = dev_call("PoolCreate", "{\"commissionPpm\":\"0\",\"capacity\":\"" CAPACITY "\"}", 0, 0, 1);
    post_all_ok(c, calls, 1, "PoolCreate");
    for (unsigned d = 0; d < ENG_DEV_ACCOUNTS; d++)
        calls[d] = dev_call("Contribute", "{\"pool\":\"1\",\"amount\":\"" DEV_STAKE "\"}", d, d == 0 ? 1 : 0, d);
    post_all_ok(c, calls, ENG_DEV_ACCOUNTS, "Contribute");
    /* funding the voters takes long on a busy machine: a connection left idle meanwhile would pass
     * the server's idle timeout (30 s) and be closed under the next call, so it is opened again */
    rpc_client_free(c);
    fund_voters(n, first_voter, end);
    if (!(c = rpc_client_new(n->url, NULL, 60)))
        bench_die("client");
    for (unsigned k = 0; k < 3; k++)
        calls[k] = dev_call("Propose", "{\"track\":\"treasury\",\"title\":\"bench\",\"body\":\"\",\"payload\":\"0x\"}", 0,
                            2 + k, k);
    post_all_ok(c, calls, 3, "Propose");
    bench_node_advance(n, VOTING_DELAY);
    for (unsigned d = 0; d < ENG_DEV_ACCOUNTS; d++)
        for (unsigned k = 0; k < 2; k++)
            calls[2 * d + k] = dev_call("Vote", vote_members(members, PROPOSAL_FEW + k, 1, 1), d, (d == 0 ? 5 : 1) + k,
                                        2 * d + k);
    post_all_ok(c, calls, 2 * ENG_DEV_ACCOUNTS, "Vote");
    rpc_client_free(c);
}

/* Which timed run a call maker feeds. */
enum run { RUN_SINGLE, RUN_BATCHED, RUN_CHANGES };

/* The k-th call of "dev" (connection, or a tenth of a batch of a connection: see
 * bench_rpc_batched_on) in a run, as a voter's vote on proposal 1: voters 0..7,999 one call each on
 * the connections, voters 8,000..17,999 in the batches, which vote (nonce 1) and then change their
 * side and conviction (nonce 2). */
static char *make_vote(void *ctx, unsigned dev, uint64_t k, unsigned id)
{
    enum run run = *(const enum run *)ctx;
    size_t voter = run == RUN_SINGLE ? (size_t)dev * PER_CONNECTION + k
                                     : CONNECTIONS * PER_CONNECTION + k * ENG_DEV_ACCOUNTS * BATCH_CONNECTIONS + dev;
    unsigned change = run == RUN_CHANGES;
    char members[96];
    uint8_t key[32];
    voter_key(key, voter);
    char *out = signed_call("Vote",
                            vote_members(members, PROPOSAL_TIMED, (unsigned)((voter + change) % 3),
                                         (unsigned)((voter + 3 * change) % (GOV_MAX_CONVICTION + 1))),
                            key, 1 + change, id);
    memset(key, 0, sizeof key);
    return out;
}

/* Writes `votes` votes on proposal 3 into the stopped node's ledger through gov_store, in one
 * transaction: voter i is 0xbe followed by the big-endian i, every vote "for" with conviction 0 (its
 * row in vote_locks locking nothing) and a power of one token; the proposal's tally and turnout
 * grow by them as the engine's Vote does. */
static double write_votes(const bench_node *n, size_t votes)
{
    char path[128], err[256] = "";
    snprintf(path, sizeof path, "%s/conclave.db", n->datadir);
    ledger *l = NULL;
    gov_store *s = NULL;
    gov_vote v;
    gov_proposal p;
    ledger_block head;
    mpz_t zero; /* a conviction-0 vote locks nothing */
    mpz_init(zero);
    gov_vote_init(&v);
    gov_proposal_init(&p);
    double t0 = bench_now();
    if (ledger_open(&l, err, sizeof err, path) != ST_OK || gov_store_new(&s, l) != ST_OK
        || ledger_block_head(l, &head) != ST_OK || ledger_block_begin(l, head.height + 1) != ST_OK
        || gov_proposal_get(s, PROPOSAL_MANY, &p) != ST_OK) {
        fprintf(stderr, "bench_gov: %s\n", err);
        bench_die("open the node's ledger");
    }
    v.proposal = PROPOSAL_MANY;
    v.support = 1;
    v.conviction = 0;
    mpz_set_str(v.power, ONE_TOKEN, 10);
    gov_weight(v.weight, v.power, v.conviction);
    v.voter[0] = 0xbe; /* away from the dev accounts' and the voters' addresses */
    for (size_t i = 0; i < votes; i++) {
        for (int b = 0; b < 8; b++)
            v.voter[19 - b] = (uint8_t)(i >> (8 * b));
        if (gov_vote_put(s, &v) != ST_OK || gov_lock_set(s, v.voter, PROPOSAL_MANY, zero, 0) != ST_OK)
            bench_die("gov_vote_put");
        mpz_add(p.for_weight, p.for_weight, v.weight);
        mpz_add(p.turnout, p.turnout, v.power);
    }
    if (gov_proposal_update(s, &p) != ST_OK || ledger_block_commit(l) != ST_OK)
        bench_die("write the tally");
    double took = bench_now() - t0;
    gov_proposal_clear(&p);
    gov_vote_clear(&v);
    mpz_clear(zero);
    gov_store_free(s);
    ledger_close(l);
    return took;
}

/* The answer of one call of method with params (JSON text) to n; dies without a result. */
static cJSON *call_result(const bench_node *n, const char *method, const char *params)
{
    char body[256];
    snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"%s\",\"params\":%s}", method, params);
    rpc_client *c = rpc_client_new(n->url, NULL, 60);
    int status;
    char *resp = NULL;
    if (!c || rpc_client_post(c, "/", body, strlen(body), &status, &resp) != ST_OK)
        bench_die(method);
    cJSON *root = cJSON_Parse(resp);
    free(resp);
    rpc_client_free(c);
    if (!cJSON_GetObjectItem(root, "result"))
        bench_die(method);
    return root;
}

/* turnout of proposal 3 - turnout of proposal 2, in tokens, as gov_getTally reads them. */
static double turnout_difference(const bench_node *n)
{
    mpz_t few, many;
    mpz_inits(few, many, NULL);
    for (unsigned id = PROPOSAL_FEW; id <= PROPOSAL_MANY; id++) {
        char params[32];
        snprintf(params, sizeof params, "{\"id\":%u}", id);
        cJSON *root = call_result(n, "gov_getTally", params);
        const cJSON *tally = cJSON_GetObjectItem(cJSON_GetObjectItem(root, "result"), "tally");
        const char *turnout = cJSON_GetStringValue(cJSON_GetObjectItem(tally, "turnout"));
        if (!turnout || mpz_set_str(id == PROPOSAL_FEW ? few : many, turnout, 10) != 0)
            bench_die("gov_getTally: no turnout");
        cJSON_Delete(root);
    }
    mpz_sub(many, many, few);
    mpz_tdiv_q_ui(many, many, 1000000000000000000ul);
    double tokens = mpz_get_d(many);
    mpz_clears(few, many, NULL);
    return tokens;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median microseconds of READS calls of method on each of two proposals, params_few and
 * params_many (JSON text), alternating on one connection: measured one after the other, the second
 * set ran 4x slower whatever it read (a client and a node woken on different cores of this VM pay
 * the wake-up of an idle core: the first connection's calls happened to run on one), so that an
 * O(1) read looked linear. */
static void median_calls_us(const bench_node *n, const char *method, const char *params_few, const char *params_many,
                            double *few, double *many)
{
    char body[2][256];
    snprintf(body[0], sizeof body[0], "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"%s\",\"params\":%s}", method, params_few);
    snprintf(body[1], sizeof body[1], "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"%s\",\"params\":%s}", method, params_many);
    rpc_client *c = rpc_client_new(n->url, NULL, 60);
    double *t[2] = { malloc(READS * sizeof *t[0]), malloc(READS * sizeof *t[1]) };
    if (!c || !t[0] || !t[1])
        bench_die("client");
    for (size_t i = 0; i < 2 * READS; i++) {
        int status;
        char *resp = NULL;
        const char *b = body[i % 2];
        double t0 = bench_now();
        if (rpc_client_post(c, "/", b, strlen(b), &status, &resp) != ST_OK || !strstr(resp, "\"result\""))
            bench_die(method);
        t[i % 2][i / 2] = (bench_now() - t0) * 1e6;
        free(resp);
    }
    for (int k = 0; k < 2; k++)
        qsort(t[k], READS, sizeof *t[k], cmp_double);
    *few = t[0][READS / 2];
    *many = t[1][READS / 2];
    free(t[0]);
    free(t[1]);
    rpc_client_free(c);
}

/* Times method on proposals 2 and 3 (params {"id":N} and then more_params) and prints their row. */
static double read_row(const bench_node *n, const char *method, const char *more_params, const char *label,
                       size_t many_votes)
{
    char params_few[96], params_many[96];
    double few, many;
    snprintf(params_few, sizeof params_few, "{\"id\":%u%s}", PROPOSAL_FEW, more_params);
    snprintf(params_many, sizeof params_many, "{\"id\":%u%s}", PROPOSAL_MANY, more_params);
    median_calls_us(n, method, params_few, params_many, &few, &many);
    printf("%-40s %14.1f %14.1f %8.2fx\n", label, few, many, many / few);
    char figure[96];
    snprintf(figure, sizeof figure, "%s, median at %zu votes", label, many_votes);
    bench_row(figure, many, "us", "the same with 10 votes", few, "O(1): ~1x");
    return many / few;
}

/* Under BENCH_CALLGRIND=1, with the node run in valgrind --tool=callgrind (a wrapper script as
 * docs/PERFORMANCE.md shows), zeroes its counts before a timed run and dumps them after it, so the
 * dumps hold the timed runs alone. */
static void callgrind_control(const bench_node *n, const char *what)
{
    const char *on = getenv("BENCH_CALLGRIND");
    char cmd[128];
    if (!on || strcmp(on, "1") != 0)
        return;
    snprintf(cmd, sizeof cmd, "callgrind_control %s %d >/dev/null", what, (int)n->pid);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_gov: %s failed\n", cmd);
}

/* One timed run on n: votes per second; out: *ok the successful ones, us[role] the CPU
 * microseconds a successful vote each role spent. */
static double timed_run(const bench_node *n, enum run which, size_t batches, size_t *ok, double us[BENCH_ROLES])
{
    static const char *const dumps[] = { "--dump=single", "--dump=first-votes", "--dump=changes" };
    double before[BENCH_ROLES] = { 0 }, after[BENCH_ROLES] = { 0 };
    enum run run = which;
    *ok = 0;
    callgrind_control(n, "--zero");
    bench_node_cpu_ns(n->pid, before);
    double rate = which == RUN_SINGLE ? bench_rpc_single(n->url, CONNECTIONS, PER_CONNECTION, make_vote, &run, ok)
                                      : bench_rpc_batched_on(n->url, BATCH_CONNECTIONS, batches / BATCH_CONNECTIONS,
                                                             BATCH, make_vote, &run, ok);
    bench_node_cpu_ns(n->pid, after);
    after[BENCH_CLIENT] = bench_post_cpu() * 1e9;
    callgrind_control(n, dumps[which]);
    bench_cpu_per_item(us, before, after, *ok);
    return rate;
}

/* bench_gov [--quick] [--votes-only] [DAEMON]. --votes-only: only the batched voters are funded
 * and only the two batched runs are made (first votes, then changes), for a profiler; with --quick
 * as well, QUICK_BATCHES batches instead of BATCHES. Otherwise --quick writes QUICK_MANY_VOTES votes. */
int main(int argc, char **argv)
{
    bool quick, votes_only = false;
    int kept = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--votes-only") == 0)
            votes_only = true;
        else
            argv[kept++] = argv[i];
    }
    const char *daemon = bench_args(kept, argv, &quick);
    size_t many = quick ? QUICK_MANY_VOTES : MANY_VOTES;
    size_t batches = votes_only && quick ? QUICK_BATCHES : BATCHES;

    bench_node n;
    bench_node_start(&n, daemon);
    double t0 = bench_now();
    setup(&n, votes_only ? CONNECTIONS * PER_CONNECTION : 0, CONNECTIONS * PER_CONNECTION + batches * BATCH);
    double setup_s = bench_now() - t0;
    size_t ok_single = 0, ok_batched = 0, ok_changes = 0;
    double single_us[BENCH_ROLES] = { 0 }, batched_us[BENCH_ROLES], changes_us[BENCH_ROLES];
    double single = votes_only ? 0 : timed_run(&n, RUN_SINGLE, 0, &ok_single, single_us);
    double batched = timed_run(&n, RUN_BATCHED, batches, &ok_batched, batched_us);
    double changes = timed_run(&n, RUN_CHANGES, batches, &ok_changes, changes_us);
    double recover = bench_recover_rate();
    bench_print_machine();
    bench_print_runs_head("Vote via tx_send (conclaved --dev)", "vote");
    printf("%-48s %8.0f %6.2fx\n", "secp256k1 recoveries (raw, one core)", recover, 1.0);
    char label[96];
    if (!votes_only) {
        snprintf(label, sizeof label, "votes, %d connections x 1 call", CONNECTIONS);
        bench_print_run(label, single, recover, single_us);
    }
    snprintf(label, sizeof label, "first votes, batches of %d, %d connections", BATCH, BATCH_CONNECTIONS);
    bench_print_run(label, batched, recover, batched_us);
    snprintf(label, sizeof label, "vote changes, batches of %d, %d connections", BATCH, BATCH_CONNECTIONS);
    bench_print_run(label, changes, recover, changes_us);
    size_t want = batches * BATCH;
    if (votes_only) {
        bench_node_stop(&n);
        printf("\n%zu of %zu batched votes and %zu of %zu changes succeeded (%.1f s of setup)\n", ok_batched, want,
               ok_changes, want, setup_s);
        return ok_batched == want && ok_changes == want ? 0 : 1;
    }
    snprintf(label, sizeof label, "Vote via tx_send, %d conns x 1 call", CONNECTIONS);
    bench_row(label, single, "tx/s", "secp256k1 recoveries, one core", recover, "-");
    snprintf(label, sizeof label, "Vote via tx_send, batches of %d, %d conns at once", BATCH, BATCH_CONNECTIONS);
    bench_row(label, batched, "tx/s", "secp256k1 recoveries, one core", recover, ">= 0.75x");
    snprintf(label, sizeof label, "Vote changes, batches of %d, %d conns at once", BATCH, BATCH_CONNECTIONS);
    bench_row(label, changes, "tx/s", "secp256k1 recoveries, one core", recover, ">= 0.75x");

    bench_node_halt(&n);
    size_t written = many - FEW_VOTES;
    double write_s = write_votes(&n, written);
    bench_node_restart(&n, daemon);
    double counted = turnout_difference(&n);

    char many_head[32];
    snprintf(many_head, sizeof many_head, "%zu votes", many);
    printf("\n%-40s %14s %14s %9s\n", "reading a proposal, median us per call", "10 votes", many_head, "ratio");
    double worst = read_row(&n, "gov_getTally", "", "gov_getTally", many);
    read_row(&n, "gov_getProposal", "", "gov_getProposal", many);
    read_row(&n, "gov_getVotes", ",\"limit\":20", "gov_getVotes, first page of 20", many);
    bench_node_stop(&n);
    if (worst >= 10.0)
        printf("NOTE: gov_getTally costs %.0fx more with %zu votes: not O(1)\n", worst, many);
    if (counted != (double)written)
        printf("NOTE: gov_getTally counted %.0f tokens of the %zu written votes\n", counted, written);
    printf("(%zu votes: the ten dev accounts' signed through tx_send, %zu written with gov_vote_put into\n"
           " the stopped node's ledger in %.1f s, tally raised as the engine's Vote does; gov_getTally then\n"
           " showed %.0f tokens more turnout than on the 10-vote proposal)\n",
           many, written, write_s, counted);

    printf("\n%zu of %d single, %zu of %d batched votes and %zu of %d changes succeeded, each a\n"
           "signed Vote of its own voter: %d voters, each given one token with admin_mint and staking it\n"
           "before the snapshot (%.1f s of setup); %d reads of each method on each proposal.\n",
           ok_single, CONNECTIONS * PER_CONNECTION, ok_batched, BATCH * BATCHES, ok_changes, BATCH * BATCHES, VOTERS,
           setup_s, READS);
    return ok_single == CONNECTIONS * PER_CONNECTION && ok_batched == BATCH * BATCHES && ok_changes == BATCH * BATCHES
                   && counted == (double)written
               ? 0
               : 1;
}
