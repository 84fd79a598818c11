/* SPDX-License-Identifier: MIT */
/* bench_gov.c: `make bench`, last part: what governance costs, against a real conclaved --dev.
 * Signed Vote transactions per second through JSON-RPC, with their signatures checked and their
 * tallies updated (the ten dev accounts stake, one proposes, then they vote and change their votes,
 * every one a full signed Vote: one call per request from several connections, and batches of 100).
 * Then the time of gov_getTally and gov_getProposal on a proposal with 10 votes beside one with
 * 1,000,000: the tally is kept in the proposal's row, so the two must cost the same. The million
 * votes are written straight into the stopped node's votes table (rows as the engine writes them,
 * the proposal's tally set to their sum) because signing and applying them would take minutes;
 * then the node is started again on that data directory. Every timed transaction is signed before
 * its clock starts. */
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bench/benchlib.h"
#include "engine/genesis.h"
#include "ledger/tx.h"
#include "rpc/client.h"

#define CONNECTIONS 8               /* at most ENG_DEV_ACCOUNTS: one voter a connection */
#define PER_CONNECTION 1000
#define BATCH 100
#define BATCHES 100
#define MANY_VOTES 1000000
#define QUICK_MANY_VOTES 100000     /* --quick */
#define READS 2000                  /* timed calls of each read method */
#define STAKE "1000000000000000000000" /* 1,000 tokens a dev account */

/* A JSON-RPC tx_send call of type signed by dev account dev, message members given as JSON text
 * (without the nonce). Caller frees (cJSON_free). */
static char *signed_call(const char *type, const char *members, unsigned dev, uint64_t nonce, unsigned id)
{
    uint8_t key[32];
    char text[512], err[256];
    snprintf(text, sizeof text, "%.*s%s\"nonce\":\"%llu\"}", (int)strlen(members) - 1, members,
             strcmp(members, "{}") ? "," : "", (unsigned long long)nonce);
    cJSON *msg = cJSON_Parse(text);
    ledger_tx tx;
    eng_dev_key(key, dev);
    if (!msg || ledger_tx_build_signed(&tx, err, sizeof err, type, msg, key, ENG_DEV_CHAIN_ID) != ST_OK)
        bench_die("signing");
    memset(key, 0, sizeof key);
    cJSON_Delete(msg);
    char *out = bench_tx_call(&tx, id);
    ledger_tx_clear(&tx);
    return out;
}

/* Posts body; dies unless `want` receipts in the answer succeeded. */
static void post_ok(rpc_client *c, const char *body, size_t want, const char *what)
{
    int status;
    char *resp = NULL;
    if (rpc_client_post(c, "/", body, strlen(body), &status, &resp) != ST_OK || bench_count_success(resp) != want) {
        fprintf(stderr, "bench: %s: %s\n", what, resp ? resp : "(no answer)");
        bench_die(what);
    }
    free(resp);
}

static void sign_post(rpc_client *c, const char *type, const char *members, unsigned dev, uint64_t nonce)
{
    char *body = signed_call(type, members, dev, nonce, 1);
    post_ok(c, body, 1, type);
    cJSON_free(body);
}

/* The admin cookie of a node's data directory. */
static void read_cookie(char *out, size_t cap, const char *datadir)
{
    char path[128];
    snprintf(path, sizeof path, "%s/.cookie", datadir);
    FILE *f = fopen(path, "r");
    if (!f || !fgets(out, (int)cap, f))
        bench_die("cookie");
    fclose(f);
    out[strcspn(out, "\r\n")] = 0;
}

static void advance(const bench_node *n, unsigned secs)
{
    char token[256], body[128];
    read_cookie(token, sizeof token, n->datadir);
    rpc_client *c = rpc_client_new(n->url, token, 60);
    snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"admin_advanceTime\",\"params\":{\"seconds\":%u}}", secs);
    int status;
    char *resp = NULL;
    if (!c || rpc_client_post(c, "/", body, strlen(body), &status, &resp) != ST_OK || !strstr(resp, "\"result\""))
        bench_die("admin_advanceTime");
    free(resp);
    rpc_client_free(c);
}

/* Pool 1 by dev 0; every dev account stakes 1,000 tokens; dev 0 proposes twice (proposals 1 and
 * 2 on the treasury track); the clock passes the voting delay. Nonces after it: dev 0 at 3 + the
 * others at 1 (dev 0 used 0 for the pool, 1 to stake, 2 and 3 to propose). */
static void setup(const bench_node *n)
{
    rpc_client *c = rpc_client_new(n->url, NULL, 60);
    if (!c)
        bench_die("client");
    sign_post(c, "PoolCreate", "{\"commissionPpm\":\"0\",\"capacity\":\"" STAKE "000\"}", 0, 0);
    for (unsigned d = 0; d < ENG_DEV_ACCOUNTS; d++)
        sign_post(c, "Contribute", "{\"pool\":\"1\",\"amount\":\"" STAKE "\"}", d, d == 0 ? 1 : 0);
    for (uint64_t k = 0; k < 2; k++)
        sign_post(c, "Propose", "{\"track\":\"treasury\",\"title\":\"bench\",\"body\":\"\",\"payload\":\"0x\"}", 0, 2 + k);
    rpc_client_free(c);
    advance(n, 3600);
}

static uint64_t next_nonce(unsigned dev)
{
    return dev == 0 ? 4 : 1;
}

/* Vote k of a dev account on proposal 1: the side and conviction change with k. */
static char *vote_call(unsigned dev, uint64_t k, unsigned id)
{
    char members[96];
    snprintf(members, sizeof members, "{\"proposal\":\"1\",\"support\":\"%u\",\"conviction\":\"%u\"}", (unsigned)(k % 3),
             (unsigned)(k % 7));
    return signed_call("Vote", members, dev, next_nonce(dev) + k, id);
}

/* The k-th vote of dev account dev in a run; the batched run comes after the single one, so its
 * votes start after those the single run's voters sent (ctx: whether it is the batched run). */
static char *make_vote(void *ctx, unsigned dev, uint64_t k, unsigned id)
{
    bool batched = *(const bool *)ctx;
    return vote_call(dev, k + (batched && dev < CONNECTIONS ? PER_CONNECTION : 0), id);
}

/* Writes `votes` votes on proposal 2 straight into the stopped node's database: voter i is the
 * big-endian i in 20 bytes, every vote "for" with conviction 1 and a power of 1,000 base units;
 * the proposal's tally and turnout become their sum, as the engine would have left them. */
static double write_votes(const bench_node *n, size_t votes)
{
    char path[128], total[32];
    snprintf(path, sizeof path, "%s/conclave.db", n->datadir);
    sqlite3 *db;
    sqlite3_stmt *st;
    double t0 = bench_now();
    if (sqlite3_open(path, &db) != SQLITE_OK || sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK
        || sqlite3_prepare_v2(db,
                              "INSERT INTO votes (proposal, voter, support, conviction, power, weight) "
                              "VALUES (2, ?, 1, 1, '1000', '1000')",
                              -1, &st, NULL) != SQLITE_OK)
        bench_die("open the node's database");
    uint8_t voter[20] = { 0 };
    for (size_t i = 0; i < votes; i++) {
        for (int b = 0; b < 8; b++)
            voter[19 - b] = (uint8_t)(i >> (8 * b));
        voter[0] = 0xbe; /* away from the dev accounts' addresses */
        sqlite3_bind_blob(st, 1, voter, 20, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            bench_die("insert a vote");
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    snprintf(total, sizeof total, "%zu000", votes);
    char sql[256];
    snprintf(sql, sizeof sql, "UPDATE proposals SET for_weight = '%s', turnout = '%s' WHERE id = 2; COMMIT", total, total);
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        bench_die("set the tally");
    sqlite3_close(db);
    return bench_now() - t0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median microseconds of READS calls of method on proposal id over one connection. */
static double median_call_us(const bench_node *n, const char *method, unsigned id)
{
    char body[160];
    snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"%s\",\"params\":{\"id\":%u}}", method, id);
    rpc_client *c = rpc_client_new(n->url, NULL, 60);
    double *t = malloc(READS * sizeof *t);
    if (!c || !t)
        bench_die("client");
    for (size_t i = 0; i < READS; i++) {
        int status;
        char *resp = NULL;
        double t0 = bench_now();
        if (rpc_client_post(c, "/", body, strlen(body), &status, &resp) != ST_OK || !strstr(resp, "\"result\""))
            bench_die(method);
        t[i] = (bench_now() - t0) * 1e6;
        free(resp);
    }
    qsort(t, READS, sizeof *t, cmp_double);
    double median = t[READS / 2];
    free(t);
    rpc_client_free(c);
    return median;
}

int main(int argc, char **argv)
{
    const char *daemon = "./conclaved";
    size_t many = MANY_VOTES;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0)
            many = QUICK_MANY_VOTES;
        else
            daemon = argv[i];
    }
    signal(SIGPIPE, SIG_IGN);
    char host[512];
    bench_machine(host, sizeof host);

    bench_node n;
    bench_node_start(&n, daemon);
    setup(&n);
    size_t ok_single = 0, ok_batched = 0;
    bool batched_run = false;
    double single = bench_rpc_single(n.url, CONNECTIONS, PER_CONNECTION, make_vote, &batched_run, &ok_single);
    batched_run = true;
    double batched = bench_rpc_batched(n.url, BATCHES, BATCH, make_vote, &batched_run, &ok_batched);
    /* proposal 1 now holds the ten dev accounts' votes; proposal 2 none until the million */
    bench_node_halt(&n);
    double write_s = write_votes(&n, many);
    bench_node_restart(&n, daemon);
    double tally_few = median_call_us(&n, "gov_getTally", 1), tally_many = median_call_us(&n, "gov_getTally", 2);
    double get_few = median_call_us(&n, "gov_getProposal", 1), get_many = median_call_us(&n, "gov_getProposal", 2);
    bench_node_stop(&n);

    printf("machine: %s\n\n", host);
    printf("%-52s %14s\n", "governance through JSON-RPC (conclaved --dev)", "per second");
    char label[96];
    snprintf(label, sizeof label, "Vote via tx_send, %d connections x 1 call", CONNECTIONS);
    printf("%-52s %14.0f\n", label, single);
    snprintf(label, sizeof label, "Vote via tx_send, batches of %d, 1 connection", BATCH);
    printf("%-52s %14.0f\n", label, batched);
    char many_head[32];
    snprintf(many_head, sizeof many_head, "%zu votes", many);
    printf("\n%-40s %14s %14s %9s\n", "reading a proposal, median us per call", "10 votes", many_head, "ratio");
    printf("%-40s %14.1f %14.1f %8.2fx\n", "gov_getTally", tally_few, tally_many, tally_many / tally_few);
    printf("%-40s %14.1f %14.1f %8.2fx\n", "gov_getProposal", get_few, get_many, get_many / get_few);
    if (tally_many / tally_few >= 10.0)
        printf("NOTE: gov_getTally costs %.0fx more with %zu votes: not O(1)\n", tally_many / tally_few, many);
    printf("\n%zu of %d single and %zu of %d batched votes succeeded (each a signed Vote, most of them vote\n"
           "changes by the ten dev accounts); the %zu votes were written into the stopped node's database\n"
           "in %.1f s, then the node was started again on it.\n",
           ok_single, CONNECTIONS * PER_CONNECTION, ok_batched, BATCH * BATCHES, many, write_s);
    return ok_single == CONNECTIONS * PER_CONNECTION && ok_batched == BATCH * BATCHES ? 0 : 1;
}
