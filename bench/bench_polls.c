/* SPDX-License-Identifier: MIT */
/* bench_polls.c: `make bench`, the polls part. First, signed Ballots per second through JSON-RPC on
 * a real conclaved --dev, per system: the ten dev accounts, staked before the polls' snapshot, cast
 * ballots on a poll of each system in batches of 100 (each ballot after a dev account's first
 * replaces its last: the old one leaves the tally, the new one enters it, the costlier path). Then
 * what counting a poll costs at its close, beside
 * snapshot.js counting the same ballots (@snapshot-labs/snapshot.js's own scoring classes, run by
 * Node.js from bench/polls_snapshot.cjs in the same run). 100,000 ballots (10,000 with --quick) of
 * random rankings of 5 choices, powers of 1 to 1,000 tokens, are written as ballot rows into a
 * ledger of its own, as the engine writes them. Ranked-choice is counted at the close from every
 * row (read, parsed, instant runoff: gov_poll_results_get). Copeland is tallied per ballot, so its
 * close reads one row; its count from scratch (every ballot parsed and added to a fresh tally) is
 * timed too. The scores must agree with snapshot.js's to its floating-point precision.
 * Usage: bench_polls [--quick] [DAEMON] [SCRIPT.cjs] (./conclaved, bench/polls_snapshot.cjs). */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bench/benchlib.h"
#include "engine/genesis.h"
#include "governance/ballots.h"
#include "governance/gov_store.h"
#include "governance/poll.h"
#include "ledger/hex.h"
#include "ledger/ledger.h"
#include "ledger/tx.h"
#include "rpc/client.h"

#define CHOICES 5
#define BALLOTS 100000
#define QUICK_BALLOTS 10000
#define RUNS 3                      /* each count timed this many times, the best kept */
#define ONE_TOKEN "1000000000000000000"
#define RPC_BATCH 100               /* calls in a JSON-RPC batch, ten of each dev account */
#define RPC_BATCHES 20              /* per system (2 with --quick) */
#define DEV_STAKE "1000000000000000000000"
#define SIGNAL_DELAY 3600           /* the signal track's voting delay in the dev genesis */

static const char *const systems[] = { "single-choice", "approval", "quadratic", "ranked-choice", "weighted", "copeland",
                                       "basic" };
#define SYSTEMS (sizeof systems / sizeof systems[0])

/* The tx_send call (cJSON_free) of type signed by dev account dev at nonce, members as JSON text
 * without the nonce. */
static char *dev_call(const char *type, const char *members, unsigned dev, uint64_t nonce, unsigned id)
{
    char text[512], err[256];
    snprintf(text, sizeof text, "%.*s,\"nonce\":\"%llu\"}", (int)strlen(members) - 1, members, (unsigned long long)nonce);
    cJSON *msg = cJSON_Parse(text);
    uint8_t key[32];
    eng_dev_key(key, dev);
    ledger_tx tx;
    if (!msg || ledger_tx_build_signed(&tx, err, sizeof err, type, msg, key, ENG_DEV_CHAIN_ID) != ST_OK)
        bench_die("signing");
    memset(key, 0, sizeof key);
    cJSON_Delete(msg);
    char *out = bench_tx_call(&tx, id);
    ledger_tx_clear(&tx);
    return out;
}

/* Posts calls[0..n) as one batch and frees them; every receipt must succeed. */
static void post_ok(const char *url, char **calls, size_t n, const char *what)
{
    rpc_client *c = rpc_client_new(url, NULL, 60);
    char *body = bench_batch(calls, n), *resp = NULL;
    int status;
    if (!c || rpc_client_post(c, "/", body, strlen(body), &status, &resp) != ST_OK || bench_count_success(resp) != n) {
        fprintf(stderr, "bench_polls: %s: %.400s\n", what, resp ? resp : "(no answer)");
        bench_die(what);
    }
    free(resp);
    free(body);
    rpc_client_free(c);
    for (size_t i = 0; i < n; i++)
        cJSON_free(calls[i]);
}

/* What make_ballot needs: the system's poll and each dev account's next nonce. */
typedef struct ballot_run {
    unsigned system;                /* index in systems[] */
    uint64_t poll;
    uint64_t nonce[ENG_DEV_ACCOUNTS];
} ballot_run;

/* The k-th ballot of dev account dev on the run's poll: a choice that changes with k. */
static char *make_ballot(void *ctx, unsigned dev, uint64_t k, unsigned id)
{
    const ballot_run *r = ctx;
    static const char *const rankings[] = { "[1,2,3,4,5]", "[5,4,3,2,1]", "[2,4,1,5,3]", "[3,1,5,2,4]" };
    char choice[64], members[160];
    unsigned v = (unsigned)(k + dev);
    const char *system = systems[r->system];
    if (strcmp(system, "single-choice") == 0 || strcmp(system, "basic") == 0)
        snprintf(choice, sizeof choice, "%u", 1 + v % (strcmp(system, "basic") == 0 ? 3 : 5));
    else if (strcmp(system, "approval") == 0)
        snprintf(choice, sizeof choice, "[%u,%u]", 1 + v % 5, 1 + (v + 2) % 5);
    else if (strcmp(system, "ranked-choice") == 0 || strcmp(system, "copeland") == 0)
        snprintf(choice, sizeof choice, "%s", rankings[v % 4]);
    else
        snprintf(choice, sizeof choice, "{\\\"%u\\\":%u,\\\"%u\\\":0.5}", 1 + v % 5, 1 + v % 3, 1 + (v + 1) % 5);
    snprintf(members, sizeof members, "{\"proposal\":\"%llu\",\"choice\":\"%s\",\"conviction\":\"1\"}",
             (unsigned long long)r->poll, choice);
    return dev_call("Ballot", members, dev, r->nonce[dev] + k, id);
}

/* Starts a node; pool 1 by dev 0 with every dev account's 1,000 tokens staked; a poll of each
 * system on the signal track by dev 0 (proposals 1..SYSTEMS); the voting delay passed. Then times
 * the ballots of each system. Out: rate[i], ballots per second of systems[i]. */
static void time_ballots(const char *daemon, size_t batches, double rate[SYSTEMS])
{
    bench_node n;
    bench_node_start(&n, daemon);
    char *calls[ENG_DEV_ACCOUNTS];
    calls[0] = dev_call("PoolCreate", "{\"commissionPpm\":\"0\",\"capacity\":\"1000000000000000000000000000\"}", 0, 0, 0);
    post_ok(n.url, calls, 1, "PoolCreate");
    for (unsigned d = 0; d < ENG_DEV_ACCOUNTS; d++)
        calls[d] = dev_call("Contribute", "{\"pool\":\"1\",\"amount\":\"" DEV_STAKE "\"}", d, d == 0 ? 1 : 0, d);
    post_ok(n.url, calls, ENG_DEV_ACCOUNTS, "Contribute");
    char *proposals[SYSTEMS];
    for (unsigned i = 0; i < SYSTEMS; i++) {
        char payload[160], hex[400], members[512];
        snprintf(payload, sizeof payload, "{\"kind\":\"poll\",\"system\":\"%s\",\"choices\":%s}", systems[i],
                 strcmp(systems[i], "basic") == 0 ? "[\"For\",\"Against\",\"Abstain\"]" : "[\"a\",\"b\",\"c\",\"d\",\"e\"]");
        ledger_hex_encode(hex, (const uint8_t *)payload, strlen(payload));
        snprintf(members, sizeof members, "{\"track\":\"signal\",\"title\":\"bench\",\"body\":\"\",\"payload\":\"%s\"}", hex);
        proposals[i] = dev_call("Propose", members, 0, 2 + i, i);
    }
    post_ok(n.url, proposals, SYSTEMS, "Propose");
    bench_node_advance(&n, SIGNAL_DELAY);
    ballot_run r = { 0 };
    for (unsigned d = 0; d < ENG_DEV_ACCOUNTS; d++)
        r.nonce[d] = d == 0 ? 2 + SYSTEMS : 1;
    for (unsigned i = 0; i < SYSTEMS; i++) {
        size_t ok = 0;
        r.system = i;
        r.poll = 1 + i;
        rate[i] = bench_rpc_batched(n.url, batches, RPC_BATCH, make_ballot, &r, &ok);
        if (ok != batches * RPC_BATCH)
            bench_die("a timed ballot failed");
        for (unsigned d = 0; d < ENG_DEV_ACCOUNTS; d++)
            r.nonce[d] += batches * RPC_BATCH / ENG_DEV_ACCOUNTS;
    }
    bench_node_stop(&n);
}

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint64_t next_random(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* A proposal row for a poll of system (the rows the engine's Propose writes that a count reads). */
static uint64_t insert_poll(gov_store *s, enum gov_poll_system system)
{
    gov_proposal p;
    gov_proposal_init(&p);
    p.track = strdup("signal");
    p.title = strdup("bench");
    p.body = strdup("");
    p.payload = strdup("");
    p.state = GOV_ACTIVE;
    if (!p.track || !p.title || !p.body || !p.payload || gov_proposal_insert(s, &p) != ST_OK)
        bench_die("insert a proposal");
    char *text = NULL;
    /* copeland's empty tally: its CHOICES sums and CHOICES^2 pair sums, all 0 */
    size_t zeros = system == GOV_POLL_COPELAND ? CHOICES + CHOICES * CHOICES : 0;
    if (zeros && !(text = calloc(2 * zeros, 1)))
        bench_die("memory");
    for (size_t i = 0; i < zeros; i++)
        memcpy(text + 2 * i, i + 1 < zeros ? "0 " : "0", i + 1 < zeros ? 2 : 1);
    if (gov_poll_insert(s, p.id, system, CHOICES, text, false) != ST_OK)
        bench_die("insert a poll");
    free(text);
    uint64_t id = p.id;
    gov_proposal_clear(&p);
    return id;
}

/* A random ranking of the choices, as Snapshot writes it ("[3,1,5,2,4]"). */
static void random_ranking(char *out, size_t cap)
{
    unsigned r[CHOICES];
    for (unsigned i = 0; i < CHOICES; i++)
        r[i] = i + 1;
    for (unsigned i = CHOICES - 1; i > 0; i--) {
        unsigned j = (unsigned)(next_random() % (i + 1)), x = r[i];
        r[i] = r[j];
        r[j] = x;
    }
    size_t off = (size_t)snprintf(out, cap, "[");
    for (unsigned i = 0; i < CHOICES; i++)
        off += (size_t)snprintf(out + off, cap - off, "%s%u", i ? "," : "", r[i]);
    snprintf(out + off, cap - off, "]");
}

/* The scores of poll id counted at the close (gov_poll_results_get), the best time of RUNS. */
static double time_close(gov_store *s, uint64_t id, mpz_t *scores)
{
    double best = INFINITY;
    for (int run = 0; run < RUNS; run++) {
        gov_poll_results r;
        gov_poll_results_init(&r);
        double t0 = bench_now();
        if (gov_poll_results_get(s, id, &r) != ST_OK)
            bench_die("count a poll");
        double took = bench_now() - t0;
        best = took < best ? took : best;
        for (unsigned i = 0; i < CHOICES; i++)
            mpz_set(scores[i], r.scores[i]);
        gov_poll_results_clear(&r);
    }
    return best;
}

/* Runs node on the snapshot.js script over the ballots file; reads "system ms score..." lines.
 * Out: ms[2] and theirs[2][CHOICES] for ranked-choice and copeland.
 * Returns: false when it cannot run. */
static bool run_snapshot(const char *script, const char *file, double ms[2], double theirs[2][CHOICES])
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "node '%s' '%s' %d", script, file, CHOICES);
    FILE *f = popen(cmd, "r");
    if (!f)
        return false;
    char line[1024];
    int got = 0;
    while (fgets(line, sizeof line, f)) {
        char system[32];
        double t, v[CHOICES];
        if (sscanf(line, "%31s %lf %lf %lf %lf %lf %lf", system, &t, &v[0], &v[1], &v[2], &v[3], &v[4]) != 2 + CHOICES)
            continue;
        int k = strcmp(system, "ranked-choice") == 0 ? 0 : strcmp(system, "copeland") == 0 ? 1 : -1;
        if (k < 0)
            continue;
        ms[k] = t;
        memcpy(theirs[k], v, sizeof v);
        got |= 1 << k;
    }
    return pclose(f) == 0 && got == 3;
}

static bool agree(const mpz_t *ours, const double *theirs)
{
    for (unsigned i = 0; i < CHOICES; i++) {
        double o = mpz_get_d(ours[i]) / 1e18;
        if (fabs(o - theirs[i]) > 1e-9 * fmax(1, fabs(theirs[i])))
            return false;
    }
    return true;
}

int main(int argc, char **argv)
{
    bool quick = false;
    const char *script = "bench/polls_snapshot.cjs", *daemon = "./conclaved";
    for (int i = 1; i < argc; i++) {
        size_t len = strlen(argv[i]);
        if (strcmp(argv[i], "--quick") == 0)
            quick = true;
        else if (len > 4 && strcmp(argv[i] + len - 4, ".cjs") == 0)
            script = argv[i];
        else
            daemon = argv[i];
    }
    signal(SIGPIPE, SIG_IGN);
    double rate[SYSTEMS];
    size_t batches = quick ? 2 : RPC_BATCHES;
    time_ballots(daemon, batches, rate);
    size_t n = quick ? QUICK_BALLOTS : BALLOTS;
    char dir[] = "/tmp/bench-polls-XXXXXX", path[64], file[64], err[256] = "", text[32];
    if (!mkdtemp(dir))
        bench_die("mkdtemp");
    snprintf(path, sizeof path, "%s/polls.db", dir);
    snprintf(file, sizeof file, "%s/ballots.json", dir);
    ledger *l = NULL;
    gov_store *s = NULL;
    if (ledger_open(&l, err, sizeof err, path) != ST_OK || gov_store_new(&s, l) != ST_OK || ledger_block_begin(l, 1) != ST_OK) {
        fprintf(stderr, "bench_polls: %s\n", err);
        bench_die("open a ledger");
    }
    uint64_t ranked = insert_poll(s, GOV_POLL_RANKED_CHOICE), copeland = insert_poll(s, GOV_POLL_COPELAND);
    FILE *out = fopen(file, "w");
    if (!out)
        bench_die("the ballots file");
    fprintf(out, "[");
    gov_vote v;
    gov_vote_init(&v);
    gov_ballot b;
    gov_ballot_init(&b);
    gov_poll_tally t;
    if (gov_poll_tally_init(&t, GOV_POLL_COPELAND, CHOICES) != ST_OK)
        bench_die("tally");
    mpz_t total, zero;
    mpz_inits(total, zero, NULL);
    double parse_add = 0;
    v.voter[0] = 0xbe;
    v.conviction = 1;
    for (size_t i = 0; i < n; i++) {
        unsigned tokens = 1 + (unsigned)(next_random() % 1000);
        mpz_set_str(v.power, ONE_TOKEN, 10);
        mpz_mul_ui(v.power, v.power, tokens);
        mpz_set(v.weight, v.power);
        random_ranking(text, sizeof text);
        v.choice = text;
        for (int k = 0; k < 8; k++)
            v.voter[19 - k] = (uint8_t)(i >> (8 * k));
        /* each with its row in vote_locks, as every vote has (locking nothing: no lock is read here) */
        v.proposal = ranked;
        if (gov_vote_put(s, &v) != ST_OK || gov_lock_set(s, v.voter, v.proposal, zero, 0) != ST_OK)
            bench_die("write a ballot");
        v.proposal = copeland;
        if (gov_vote_put(s, &v) != ST_OK || gov_lock_set(s, v.voter, v.proposal, zero, 0) != ST_OK)
            bench_die("write a ballot");
        v.choice = NULL;
        /* copeland per ballot, as a Ballot adds it: parse, add */
        double t0 = bench_now();
        if (gov_ballot_parse(&b, err, sizeof err, GOV_POLL_COPELAND, CHOICES, text, strlen(text)) != ST_OK
            || gov_poll_tally_add(&t, &b, v.power, 1) != ST_OK)
            bench_die("tally a ballot");
        parse_add += bench_now() - t0;
        mpz_add(total, total, v.power);
        fprintf(out, "%s{\"choice\":%s,\"balance\":%u}", i ? "," : "", text, tokens);
    }
    fprintf(out, "]\n");
    fclose(out);
    /* the copeland tally as the engine stores it */
    size_t size = 1;
    for (unsigned i = 0; i < CHOICES; i++)
        size += mpz_sizeinbase(t.acc[i], 10) + 2;
    for (unsigned i = 0; i < CHOICES * CHOICES; i++)
        size += mpz_sizeinbase(t.pair[i], 10) + 2;
    char *tally = malloc(size), *p = tally;
    if (!tally)
        bench_die("memory");
    for (unsigned i = 0; i < CHOICES + CHOICES * CHOICES; i++) {
        if (i)
            *p++ = ' ';
        mpz_get_str(p, 10, i < CHOICES ? t.acc[i] : t.pair[i - CHOICES]);
        p += strlen(p);
    }
    if (gov_poll_put(s, ranked, NULL, total, n) != ST_OK || gov_poll_put(s, copeland, tally, total, n) != ST_OK
        || ledger_block_commit(l) != ST_OK)
        bench_die("write the polls");
    free(tally);
    mpz_t ours[2][CHOICES];
    for (int k = 0; k < 2; k++)
        for (unsigned i = 0; i < CHOICES; i++)
            mpz_init(ours[k][i]);
    double ranked_s = time_close(s, ranked, ours[0]), copeland_s = time_close(s, copeland, ours[1]);
    double ms[2] = { 0, 0 }, theirs[2][CHOICES];
    bool ran = run_snapshot(script, file, ms, theirs);

    bench_print_machine();
    printf("Polls: signed Ballots per second through JSON-RPC, %zu batches of %d from the ten dev accounts\n"
           "(each after an account's first replaces its last)\n\n", batches, RPC_BATCH);
    printf("%-15s %12s\n", "system", "ballots/s");
    for (unsigned i = 0; i < SYSTEMS; i++)
        printf("%-15s %12.0f\n", systems[i], rate[i]);
    printf("\n");
    printf("Polls: a count at the close, %zu ballots, %u choices (best of %d; snapshot.js 0.17.5 in Node.js\n"
           "on the same ballots, same run)\n\n", n, CHOICES, RUNS);
    printf("%-15s %-44s %12s %14s %9s %7s\n", "system", "Conclave", "Conclave ms", "snapshot.js ms", "speed-up", "agree");
    printf("%-15s %-44s %12.1f %14.1f %8.1fx %7s\n", "ranked-choice", "close: read, parse, runoff (every row)", ranked_s * 1e3,
           ms[0], ran ? ms[0] / (ranked_s * 1e3) : 0, ran ? (agree(ours[0], theirs[0]) ? "yes" : "NO") : "-");
    printf("%-15s %-44s %12.3f %14.1f %8.0fx %7s\n", "copeland", "close: scores from the kept tally (one row)",
           copeland_s * 1e3, ms[1], ran ? ms[1] / (copeland_s * 1e3) : 0, ran ? (agree(ours[1], theirs[1]) ? "yes" : "NO") : "-");
    printf("%-15s %-44s %12.1f %14.1f %8.1fx %7s\n", "copeland", "from scratch: parse and add every ballot",
           parse_add * 1e3, ms[1], ran ? ms[1] / (parse_add * 1e3) : 0, "");
    if (!ran)
        printf("\n(snapshot.js did not run: `make bench` installs it from npm when npm is present)\n");
    int bad = ran && (!agree(ours[0], theirs[0]) || !agree(ours[1], theirs[1]));
    for (int k = 0; k < 2; k++)
        for (unsigned i = 0; i < CHOICES; i++)
            mpz_clear(ours[k][i]);
    mpz_clears(total, zero, NULL);
    gov_poll_tally_clear(&t);
    gov_ballot_clear(&b);
    gov_vote_clear(&v);
    gov_store_free(s);
    ledger_close(l);
    bench_remove_dir(dir);
    return bad;
}
