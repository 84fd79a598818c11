/* SPDX-License-Identifier: MIT */
/* bench_secret.c: `make bench`, the secret polls part, against a real conclaved --dev and its real
 * conclave-enclave. 100,000 voters (10,000 with --quick; keys sha256("bench-secret-voter-" || i))
 * are genesis accounts of 1 to 1,000 tokens, which each stake in one Contribute (batches of 100),
 * so no admin_mint is needed. Two secret polls of 5 choices take SecretBallots through tx_send in
 * batches of 100: ranked-choice from every voter, weighted from one in ten; SecretBallots per
 * second, every ballot sealed (ledger/ballot_box, to the ballot key enclave_getAttestation vouches
 * for) and signed before the clock starts, 10,000 at a time. Then each poll is closed on its own:
 * the wall time of the admin_advanceTime that closes it (which answers once the count is in a
 * block), and the ballots per second it makes; the scores must be those counted here from the same
 * choices (governance/poll.c, as an open poll's). The limits are measured in this process just
 * before what they bound, on one core: secp256k1 recoveries (before the ballots), secp256k1 ECDH (a
 * ballot's one scalar multiplication) and the enclave's count itself (enclave/count.c on ballots
 * sealed to a key of this process: open, parse, tally) before each close.
 * Usage: bench_secret [--quick] [--count-only] [DAEMON] (./conclaved). --count-only runs the
 * in-process count alone, for a profiler:
 *   valgrind --tool=callgrind --toggle-collect=enc_count_chunk ./bench/bench_secret --count-only --quick */
#include <pthread.h>
#include <signal.h>
#include <secp256k1.h>
#include <secp256k1_ecdh.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include "bench/benchlib.h"
#include "enclave/count.h"
#include "engine/genesis.h"
#include "governance/poll.h"
#include "ledger/amount.h"
#include "ledger/ballot_box.h"
#include "ledger/hash.h"
#include "ledger/hex.h"
#include "ledger/sig.h"
#include "ledger/tx.h"
#include "rpc/client.h"

#define VOTERS 100000
#define QUICK_VOTERS 10000
#define CHUNK 10000                 /* calls prepared (sealed, signed) before each stretch of the clock */
#define BATCH 100                   /* calls in a JSON-RPC batch, the most it may hold */
#define PREP_THREADS 2
#define CHOICES 5
#define CHAIN ENG_DEV_CHAIN_ID
#define ONE_TOKEN "1000000000000000000"
#define TOKEN_ZEROS "000000000000000000"   /* a whole number of tokens in base units: N followed by these */
#define DEV_STAKE "1000000000000000000000"          /* dev 0's stake: the signal track's threshold and more */
#define CAPACITY "1000000000000000000000000000000"  /* takes every contribution */
#define SIGNAL_DELAY 3600           /* the signal track's voting delay in the dev genesis */
#define POLL_GAP 60                 /* seconds between the two polls' proposals, so they close apart */
#define ECDH_RUNS 5000

_Static_assert(CHUNK % BATCH == 0, "a chunk is whole batches");

/* The polls: ranked-choice, which keeps every ballot's ranking for its count at the close, takes a
 * ballot from every voter; weighted, tallied ballot by ballot, from one voter in ten (each poll's
 * SecretBallots are as many transactions again: a tenth keeps the run short). */
static const struct {
    enum gov_poll_system system;
    unsigned share;                 /* voters 0 .. voters / share - 1 vote */
} polls[] = { { GOV_POLL_RANKED_CHOICE, 1 }, { GOV_POLL_WEIGHTED, 10 } };
#define POLLS (sizeof polls / sizeof polls[0])
#define INPROC_BALLOTS 5000         /* ballots of each system in the in-process count */

/* The node of the run, stopped by an exit on the way too (bench_die). */
static bench_node *running;

static void stop_running(void)
{
    if (running)
        bench_node_stop(running);
    running = NULL;
}

/* A line of progress on stderr, with the seconds since the first. */
static void progress(const char *what)
{
    static double t0;
    if (!t0)
        t0 = bench_now();
    fprintf(stderr, "bench_secret: %6.1f s  %s\n", bench_now() - t0, what);
}

/* splitmix64: the bench's reproducible choices and stakes (not randomness for keys). */
static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15u;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
    return x ^ (x >> 31);
}

static void voter_key(uint8_t key[32], size_t i)
{
    char seed[48];
    int len = snprintf(seed, sizeof seed, "bench-secret-voter-%zu", i);
    ledger_sha256(key, seed, (size_t)len);
}

/* Voter i's stake in whole tokens, 1 to 1,000: its genesis balance, all of it staked. */
static unsigned voter_tokens(size_t i)
{
    return 1 + (unsigned)(mix(i) % 1000);
}

/* Voter i's choice on a poll of system, as Snapshot writes it: weighted, two choices, one weighing
 * 1 to 9 and the other 0.5 or 2; ranked-choice, a random ranking of the CHOICES. */
static void voter_choice(char *out, size_t cap, enum gov_poll_system system, size_t i)
{
    uint64_t r = mix(i ^ 0x5ec2e7u);
    if (system == GOV_POLL_RANKED_CHOICE) {
        unsigned rank[CHOICES];
        for (unsigned k = 0; k < CHOICES; k++)
            rank[k] = k + 1;
        for (unsigned k = CHOICES - 1; k > 0; k--, r /= CHOICES + 1) {
            unsigned j = (unsigned)(r % (k + 1)), x = rank[k];
            rank[k] = rank[j];
            rank[j] = x;
        }
        snprintf(out, cap, "[%u,%u,%u,%u,%u]", rank[0], rank[1], rank[2], rank[3], rank[4]);
        return;
    }
    unsigned a = 1 + (unsigned)(r % CHOICES), b = 1 + (unsigned)((r / 8 + a) % CHOICES);
    if (b == a)
        b = a % CHOICES + 1;
    snprintf(out, cap, "{\"%u\":%u,\"%u\":%s}", a, 1 + (unsigned)(r / 64 % 9), b, (r >> 20) & 1 ? "0.5" : "2");
}

/* What every prepared call needs: the voters and the poll being voted on. */
typedef struct bench_run {
    size_t voters;
    uint8_t (*addr)[20];            /* each voter's address */
    secp256k1_context *ctx;
    uint8_t ballot_key[LEDGER_BALLOT_KEY_LEN];
    uint64_t poll;                  /* SecretBallot: the poll, its system, the voters' nonce */
    enum gov_poll_system system;
    uint64_t nonce;
} bench_run;

/* A tx_send call (cJSON_free) of type signed with key at nonce; members is JSON text without the nonce. */
static char *signed_call(const char *type, const char *members, const uint8_t key[32], uint64_t nonce, unsigned id)
{
    size_t len = strlen(members);
    char *text = malloc(len + 40), err[256];
    if (!text)
        bench_die("out of memory");
    snprintf(text, len + 40, "%.*s,\"nonce\":\"%llu\"}", (int)len - 1, members, (unsigned long long)nonce);
    cJSON *msg = cJSON_Parse(text);
    free(text);
    ledger_tx tx;
    if (!msg || ledger_tx_build_signed(&tx, err, sizeof err, type, msg, key, CHAIN) != ST_OK) {
        fprintf(stderr, "bench_secret: %s: %s\n", type, err);
        bench_die("signing");
    }
    cJSON_Delete(msg);
    char *out = bench_tx_call(&tx, id);
    ledger_tx_clear(&tx);
    return out;
}

static char *dev_call(const char *type, const char *members, unsigned dev, uint64_t nonce)
{
    uint8_t key[32];
    eng_dev_key(key, dev);
    char *out = signed_call(type, members, key, nonce, 1);
    memset(key, 0, sizeof key);
    return out;
}

typedef char *(*make_fn)(const bench_run *r, size_t voter, unsigned id);

/* Voter i stakes its whole balance in pool 1 (nonce 0). */
static char *make_contribute(const bench_run *r, size_t i, unsigned id)
{
    (void)r;
    uint8_t key[32];
    char members[96];
    voter_key(key, i);
    snprintf(members, sizeof members, "{\"pool\":\"1\",\"amount\":\"%u%s\"}", voter_tokens(i), TOKEN_ZEROS);
    char *out = signed_call("Contribute", members, key, 0, id);
    memset(key, 0, sizeof key);
    return out;
}

/* Voter i's SecretBallot on the run's poll: its choice sealed with a fresh ephemeral key and iv. */
static char *make_ballot(const bench_run *r, size_t i, unsigned id)
{
    uint8_t key[32], fresh[32 + LEDGER_BALLOT_IV_LEN], sealed[LEDGER_BALLOT_MAX_LEN];
    char text[64], hex[2 * LEDGER_BALLOT_MAX_LEN + 3], members[sizeof hex + 96];
    size_t len = 0;
    voter_choice(text, sizeof text, r->system, i);
    if (getrandom(fresh, sizeof fresh, 0) != (ssize_t)sizeof fresh
        || ledger_ballot_seal(r->ctx, sealed, sizeof sealed, &len, r->ballot_key, CHAIN, r->poll, r->addr[i], text,
                              strlen(text), fresh, fresh + 32) != ST_OK)
        bench_die("sealing a ballot");
    memset(fresh, 0, sizeof fresh);
    ledger_hex_encode(hex, sealed, len);
    snprintf(members, sizeof members, "{\"proposal\":\"%llu\",\"ciphertext\":\"%s\",\"conviction\":\"1\"}",
             (unsigned long long)r->poll, hex);
    voter_key(key, i);
    char *out = signed_call("SecretBallot", members, key, r->nonce, id);
    memset(key, 0, sizeof key);
    return out;
}

/* A share of a preparation: calls[k] = make(first + k) for k = part, part + PREP_THREADS, ... */
typedef struct prep_part {
    const bench_run *r;
    make_fn make;
    char **calls;
    size_t first, n;
    unsigned part;
} prep_part;

static void *prep_thread(void *arg)
{
    prep_part *p = arg;
    for (size_t k = p->part; k < p->n; k += PREP_THREADS)
        p->calls[k] = p->make(p->r, p->first + k, (unsigned)(k % BATCH));
    return NULL;
}

/* Prepares the calls of voters [first, first + n) in PREP_THREADS threads, as batches of BATCH.
 * Out: bodies[0 .. (n + BATCH - 1) / BATCH) (free each). */
static void prepare(const bench_run *r, make_fn make, size_t first, size_t n, char **bodies)
{
    char **calls = calloc(n, sizeof *calls);
    pthread_t threads[PREP_THREADS];
    prep_part parts[PREP_THREADS];
    if (!calls)
        bench_die("out of memory");
    for (unsigned t = 0; t < PREP_THREADS; t++) {
        parts[t] = (prep_part){ .r = r, .make = make, .calls = calls, .first = first, .n = n, .part = t };
        if (pthread_create(&threads[t], NULL, prep_thread, &parts[t]) != 0)
            bench_die("pthread_create");
    }
    for (unsigned t = 0; t < PREP_THREADS; t++)
        pthread_join(threads[t], NULL);
    for (size_t b = 0; b * BATCH < n; b++) {
        size_t len = n - b * BATCH < BATCH ? n - b * BATCH : BATCH;
        bodies[b] = bench_batch(calls + b * BATCH, len);
    }
    for (size_t k = 0; k < n; k++)
        cJSON_free(calls[k]);
    free(calls);
}

/* A chunk's preparation run in a thread of its own, while the chunk before it is posted. */
typedef struct prep_chunk {
    const bench_run *r;
    make_fn make;
    size_t first, n;
    char **bodies;
} prep_chunk;

static void *prep_chunk_thread(void *arg)
{
    prep_chunk *c = arg;
    prepare(c->r, c->make, c->first, c->n, c->bodies);
    return NULL;
}

/* Sends the calls of voters [0, n) through url in batches of BATCH, CHUNK voters prepared at a
 * time; every receipt must succeed. timed: each chunk is prepared with the clock stopped and
 * nothing else runs while it is posted; otherwise (set-up) the next chunk is prepared while one is
 * posted. Returns: calls per second while posting. */
static double send_all(const char *url, const bench_run *r, make_fn make, size_t n, bool timed, const char *what)
{
    char **bodies[2] = { calloc(CHUNK / BATCH, sizeof(char *)), calloc(CHUNK / BATCH, sizeof(char *)) };
    double posting = 0;
    if (!bodies[0] || !bodies[1])
        bench_die("out of memory");
    prepare(r, make, 0, n < CHUNK ? n : CHUNK, bodies[0]);
    for (size_t first = 0, k = 0; first < n; first += CHUNK, k ^= 1) {
        size_t len = n - first < CHUNK ? n - first : CHUNK, nb = (len + BATCH - 1) / BATCH, next = first + CHUNK;
        pthread_t ahead;
        prep_chunk c = { .r = r, .make = make, .first = next, .n = n - next < CHUNK ? n - next : CHUNK, .bodies = bodies[k ^ 1] };
        bool overlap = !timed && next < n;
        if (overlap && pthread_create(&ahead, NULL, prep_chunk_thread, &c) != 0)
            bench_die("pthread_create");
        bench_worker w = { .bodies = bodies[k], .n = nb };
        posting += bench_post_parallel(url, &w, 1);
        if (w.ok != len) {
            fprintf(stderr, "bench_secret: %s: %zu of %zu calls from voter %zu succeeded\n", what, w.ok, len, first);
            bench_die(what);
        }
        for (size_t b = 0; b < nb; b++)
            free(bodies[k][b]);
        if (overlap)
            pthread_join(ahead, NULL);
        else if (next < n)
            prepare(r, make, next, c.n, bodies[k ^ 1]);
    }
    free(bodies[0]);
    free(bodies[1]);
    return (double)n / posting;
}

/* Posts calls[0..n) (dev calls of the set-up) as one batch and frees them; all must succeed. */
static void post_ok(const char *url, char **calls, size_t n, const char *what)
{
    bench_worker w = { .bodies = (char *[]){ bench_batch(calls, n) }, .n = 1 };
    bench_post_parallel(url, &w, 1);
    if (w.ok != n)
        bench_die(what);
    free(w.bodies[0]);
    for (size_t i = 0; i < n; i++)
        cJSON_free(calls[i]);
}

/* A call to url whose result it returns (cJSON_Delete); dies on an error. */
static cJSON *call(const char *url, const char *method, const char *params_json)
{
    rpc_client *c = rpc_client_new(url, NULL, 60);
    cJSON *params = params_json ? cJSON_Parse(params_json) : NULL, *result = NULL, *error = NULL;
    if (!c || rpc_client_call(c, method, params, &result, &error) != RPC_OK) {
        char *text = error ? cJSON_PrintUnformatted(error) : NULL;
        fprintf(stderr, "bench_secret: %s: %s\n", method, text ? text : "no answer");
        bench_die(method);
    }
    cJSON_Delete(params);
    rpc_client_free(c);
    return result;
}

static const char *str_member(const cJSON *o, const char *name)
{
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, name));
    if (!s)
        bench_die(name);
    return s;
}

/* The enclave's platform attestation address and measurement for the data directory datadir (its
 * platform secret is made there): `conclaved --enclave-info`. */
static void enclave_info(const char *daemon, const char *datadir, uint8_t platform[20], uint8_t measurement[32])
{
    char cmd[512], out[1024] = "";
    snprintf(cmd, sizeof cmd, "'%s' --enclave-info --datadir '%s'", daemon, datadir);
    FILE *f = popen(cmd, "r");
    size_t len = f ? fread(out, 1, sizeof out - 1, f) : 0;
    out[len] = 0;
    cJSON *info = cJSON_Parse(out);
    if (!f || pclose(f) != 0 || !info)
        bench_die("conclaved --enclave-info");
    if (ledger_addr_parse(platform, str_member(info, "platform")) != ST_OK
        || ledger_hex_decode_exact(measurement, 32,
                                   cJSON_GetStringValue(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(info, "measurements"), 0)))
               != ST_OK)
        bench_die("conclaved --enclave-info's answer");
    cJSON_Delete(info);
}

/* Writes the dev genesis of this platform and enclave with the voters as accounts after the ten dev
 * accounts, each with its stake as its balance. */
static void write_genesis(const char *path, const bench_run *r, const uint8_t platform[20], const uint8_t measurement[32])
{
    char *dev = eng_genesis_dev_json(platform, measurement, NULL);
    const char *accounts = dev ? strstr(dev, "\"accounts\":[") : NULL;
    FILE *f = fopen(path, "w");
    if (!accounts || !f)
        bench_die("the genesis");
    size_t head = (size_t)(accounts - dev) + strlen("\"accounts\":[");
    fwrite(dev, 1, head, f);
    for (size_t i = 0; i < r->voters; i++) {
        char address[LEDGER_ADDR_STRLEN];
        ledger_addr_format(address, r->addr[i]);
        fprintf(f, "{\"address\":\"%s\",\"balance\":\"%u%s\"},", address, voter_tokens(i), TOKEN_ZEROS);
    }
    fputs(dev + head, f);   /* the dev accounts follow */
    free(dev);
    if (fclose(f) != 0)
        bench_die("the genesis");
}

static uint64_t node_time(const bench_node *n)
{
    cJSON *r = call(n->url, "node_info", NULL);
    uint64_t t = (uint64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(r, "time"));
    cJSON_Delete(r);
    return t;
}

static uint64_t vote_end(const bench_node *n, uint64_t poll)
{
    char params[64];
    snprintf(params, sizeof params, "{\"id\":%llu}", (unsigned long long)poll);
    cJSON *r = call(n->url, "gov_getProposal", params);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r, "timeline"), "voteEnd");
    if (!cJSON_IsNumber(v))
        bench_die("gov_getProposal's timeline.voteEnd");
    uint64_t t = (uint64_t)v->valuedouble;
    cJSON_Delete(r);
    return t;
}

/* The ballot key, once its signature recovers to the attested, allowlisted enclave. */
static void fetch_ballot_key(const bench_node *n, uint8_t key[LEDGER_BALLOT_KEY_LEN])
{
    cJSON *r = call(n->url, "enclave_getAttestation", NULL);
    uint8_t sig[LEDGER_BALLOT_KEY_SIG_LEN], signer[20], enclave[20];
    if (ledger_hex_decode_exact(key, LEDGER_BALLOT_KEY_LEN, str_member(r, "ballotKey")) != ST_OK
        || ledger_hex_decode_exact(sig, sizeof sig, str_member(r, "ballotKeySignature")) != ST_OK
        || ledger_addr_parse(enclave, str_member(r, "enclave")) != ST_OK
        || ledger_ballot_key_signer(signer, CHAIN, key, sig) != ST_OK || memcmp(signer, enclave, 20) != 0
        || !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "allowlisted")))
        bench_die("the ballot key is not the attested enclave's");
    cJSON_Delete(r);
}

/* A secret poll of system with CHOICES choices on the signal track, proposed by dev 0 at nonce. */
static void propose(const bench_node *n, enum gov_poll_system system, uint64_t nonce)
{
    char payload[160], hex[400], members[512];
    snprintf(payload, sizeof payload, "{\"kind\":\"poll\",\"system\":\"%s\",\"choices\":[\"a\",\"b\",\"c\",\"d\",\"e\"],\"secret\":true}",
             gov_poll_system_name(system));
    ledger_hex_encode(hex, (const uint8_t *)payload, strlen(payload));
    snprintf(members, sizeof members, "{\"track\":\"signal\",\"title\":\"bench\",\"body\":\"\",\"payload\":\"%s\"}", hex);
    char *c = dev_call("Propose", members, 0, nonce);
    post_ok(n->url, &c, 1, "Propose");
}

/* The scores of the voters' choices on a poll of system, counted in process as an open poll's
 * (parse, then tally or instant runoff), each ballot weighing its stake. Out: scores (CHOICES,
 * initialized by the caller). Returns: the seconds the count took. */
static double count_plain(mpz_t *scores, enum gov_poll_system system, size_t voters)
{
    gov_ballot b;
    gov_poll_tally t;
    mpz_t power;
    uint8_t *rankings = malloc(voters * CHOICES);
    __mpz_struct *powers = malloc(voters * sizeof *powers);
    char text[64], err[128];
    if (!rankings || !powers || (system != GOV_POLL_RANKED_CHOICE && gov_poll_tally_init(&t, system, CHOICES) != ST_OK))
        bench_die("a tally");
    gov_ballot_init(&b);
    mpz_init(power);
    double took = 0;
    for (size_t i = 0; i < voters; i++) {
        voter_choice(text, sizeof text, system, i);
        mpz_set_str(power, ONE_TOKEN, 10);
        mpz_mul_ui(power, power, voter_tokens(i));
        double t0 = bench_now();
        if (gov_ballot_parse(&b, err, sizeof err, system, CHOICES, text, strlen(text)) != ST_OK)
            bench_die(err);
        if (system == GOV_POLL_RANKED_CHOICE) {
            memcpy(rankings + i * CHOICES, b.choice, CHOICES);
            mpz_init_set(&powers[i], power);
        } else if (gov_poll_tally_add(&t, &b, power, 1) != ST_OK) {
            bench_die("tally a ballot");
        }
        took += bench_now() - t0;
    }
    double t0 = bench_now();
    if (system == GOV_POLL_RANKED_CHOICE) {
        if (gov_poll_count_rankings(scores, CHOICES, rankings, powers, voters) != ST_OK)
            bench_die("instant runoff");
        for (size_t i = 0; i < voters; i++)
            mpz_clear(&powers[i]);
    } else {
        gov_poll_tally_scores(scores, &t);
        gov_poll_tally_clear(&t);
    }
    took += bench_now() - t0;
    free(rankings);
    free(powers);
    mpz_clear(power);
    gov_ballot_clear(&b);
    return took;
}

/* secp256k1_ecdh's hash function as ledger/ballot_box.c's: the x-coordinate as it is. */
static int copy_x(unsigned char *out, const unsigned char *x32, const unsigned char *y32, void *data)
{
    (void)y32;
    (void)data;
    memcpy(out, x32, 32);
    return 1;
}

/* secp256k1 ECDH (the shared x-coordinate) per second on this thread. */
static double ecdh_rate(const secp256k1_context *ctx)
{
    uint8_t scalar[32], shared[32];
    secp256k1_pubkey point;
    ledger_sha256(scalar, "bench ecdh", 10);
    if (!secp256k1_ec_pubkey_create(ctx, &point, scalar))
        bench_die("ecdh key");
    double t0 = bench_now();
    for (int i = 0; i < ECDH_RUNS; i++) {
        if (!secp256k1_ecdh(ctx, shared, &point, scalar, copy_x, NULL))
            bench_die("ecdh");
        scalar[i % 32] ^= shared[0] | 1;    /* a new scalar each time, as a new ballot's ephemeral key */
    }
    return ECDH_RUNS / (bench_now() - t0);
}

/* The enclave's count (enclave/count.c) in process on n ballots of system sealed to a ballot key of
 * this process, in chunks of at most ENC_COUNT_CHUNK_TARGET bytes as the host sends them; the
 * ballots are made before the clock starts. Returns: ballots per second (one core). */
static double count_in_process(const bench_run *r, enum gov_poll_system system, size_t n)
{
    uint8_t secret[32], key[LEDGER_BALLOT_KEY_LEN], fresh[32 + LEDGER_BALLOT_IV_LEN];
    ledger_sha256(secret, "bench ballot secret", 19);
    if (ledger_ballot_key(r->ctx, key, secret) != ST_OK)
        bench_die("ballot key");
    size_t per = ENC_COUNT_BALLOT_FIXED + LEDGER_BALLOT_MIN_LEN, cap = ENC_COUNT_CHUNK_TARGET / per;
    uint8_t *all = malloc(n * per);
    ledger_ballots_hash hash;
    ledger_ballots_hash_init(&hash);
    mpz_t w;
    mpz_init(w);
    if (!all)
        bench_die("out of memory");
    for (size_t i = 0; i < n; i++) {
        uint8_t *b = all + i * per, voter[20] = { 0xbe };
        char text[64];
        size_t len = 0;
        voter_choice(text, sizeof text, system, i);
        for (int k = 0; k < 8; k++)
            voter[19 - k] = (uint8_t)(i >> (8 * k));
        mpz_set_str(w, ONE_TOKEN, 10);
        mpz_mul_ui(w, w, voter_tokens(i));
        memcpy(b, voter, 20);
        ledger_amount_to_word(b + 20, w);
        if (getrandom(fresh, sizeof fresh, 0) != (ssize_t)sizeof fresh
            || ledger_ballot_seal(r->ctx, b + ENC_COUNT_BALLOT_FIXED, LEDGER_BALLOT_MIN_LEN, &len, key, CHAIN, 1, voter, text,
                                  strlen(text), fresh, fresh + 32) != ST_OK
            || len != LEDGER_BALLOT_MIN_LEN)
            bench_die("sealing a ballot");
        b[52] = (uint8_t)(len >> 8);
        b[53] = (uint8_t)len;
        ledger_ballots_hash_add(&hash, voter, b + 20, b + ENC_COUNT_BALLOT_FIXED, len);
    }
    mpz_clear(w);
    enc_count_header h = { .chain_id = CHAIN, .proposal = 1, .system = (uint8_t)system, .n_choices = CHOICES,
                           .n_ballots = (uint32_t)n };
    ledger_ballots_hash_final(&hash, h.ballots_hash);
    enc_count *c = enc_count_new();
    enc_count_report rep;
    uint8_t measurement[32] = { 0 };
    char why[256];
    if (!c)
        bench_die("out of memory");
    double t0 = bench_now();
    if (enc_count_begin(c, &h) != ST_OK)
        bench_die("count begin");
    for (size_t i = 0; i < n; i += cap) {
        size_t k = n - i < cap ? n - i : cap;
        if (enc_count_chunk(c, why, sizeof why, r->ctx, secret, all + i * per, k * per) != ST_OK)
            bench_die(why);
    }
    if (enc_count_finish(c, &rep, why, sizeof why, measurement) != ST_OK || rep.valid != n)
        bench_die("the in-process count");
    double rate = (double)n / (bench_now() - t0);
    enc_count_free(c);
    free(all);
    memset(secret, 0, sizeof secret);
    return rate;
}

/* Whether the scores gov_getResults gives for poll are ours. */
static bool results_agree(const bench_node *n, uint64_t poll, mpz_t *ours)
{
    char params[64];
    snprintf(params, sizeof params, "{\"id\":%llu}", (unsigned long long)poll);
    cJSON *r = call(n->url, "gov_getResults", params);
    const cJSON *scores = cJSON_GetObjectItemCaseSensitive(r, "scores");
    bool same = cJSON_GetArraySize(scores) == CHOICES && cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(r, "countedBlock"));
    for (int i = 0; same && i < CHOICES; i++) {
        const char *s = cJSON_GetStringValue(cJSON_GetArrayItem(scores, i));
        mpz_t v;
        same = s && mpz_init_set_str(v, s, 10) == 0 && mpz_cmp(v, ours[i]) == 0;
        if (s)
            mpz_clear(v);
    }
    cJSON_Delete(r);
    return same;
}

/* One poll's figures. */
typedef struct poll_figures {
    double ballots_per_s;           /* SecretBallots through tx_send */
    double close_s;                 /* from the close to its SecretPollCount applied */
    double plain_s;                 /* the same choices counted in process as an open poll's */
    double inproc_per_s;            /* the enclave's count in process, ballots per second */
    double ecdh_per_s;              /* secp256k1 ECDH per second on one core */
    size_t ballots;                 /* how many voters voted on it */
    bool agree;                     /* the published scores are the ones counted here */
} poll_figures;

static void *derive_addresses(void *arg)
{
    prep_part *p = arg;
    for (size_t i = p->part; i < p->n; i += PREP_THREADS) {
        uint8_t key[32];
        voter_key(key, i);
        if (ledger_sig_address(p->r->addr[i], key) != ST_OK)
            bench_die("a voter's address");
    }
    return NULL;
}

/* The node part: genesis, stakes, polls, ballots, closes; each limit is measured in process right
 * before the figure it bounds, while the node waits, so that both see the same load. Out: f[POLLS];
 * *setup_s the set-up's wall seconds (genesis, start, stakes); *recover secp256k1 recoveries per
 * second on one core. */
static void run_node(const char *daemon, bench_run *r, poll_figures f[POLLS], double *setup_s, double *recover)
{
    double t0 = bench_now();
    pthread_t threads[PREP_THREADS];
    prep_part parts[PREP_THREADS];
    for (unsigned t = 0; t < PREP_THREADS; t++) {
        parts[t] = (prep_part){ .r = r, .n = r->voters, .part = t };
        if (pthread_create(&threads[t], NULL, derive_addresses, &parts[t]) != 0)
            bench_die("pthread_create");
    }
    for (unsigned t = 0; t < PREP_THREADS; t++)
        pthread_join(threads[t], NULL);
    bench_node n;
    uint8_t platform[20], measurement[32];
    char genesis[128];
    bench_node_dir(&n);
    enclave_info(daemon, n.datadir, platform, measurement);
    snprintf(genesis, sizeof genesis, "%s/genesis.json", n.datadir);
    write_genesis(genesis, r, platform, measurement);
    progress("genesis written");
    bench_node_launch(&n, daemon, genesis);
    running = &n;
    atexit(stop_running);
    progress("node started");
    char *c = dev_call("PoolCreate", "{\"commissionPpm\":\"0\",\"capacity\":\"" CAPACITY "\"}", 0, 0);
    post_ok(n.url, &c, 1, "PoolCreate");
    c = dev_call("Contribute", "{\"pool\":\"1\",\"amount\":\"" DEV_STAKE "\"}", 0, 1);
    post_ok(n.url, &c, 1, "Contribute");
    send_all(n.url, r, make_contribute, r->voters, false, "Contribute");
    progress("voters staked");
    *setup_s = bench_now() - t0;
    /* the polls 1 and 2, POLL_GAP apart, both Active once the voting delay has passed */
    for (unsigned p = 0; p < POLLS; p++) {
        propose(&n, polls[p].system, 2 + p);
        bench_node_advance(&n, p + 1 < POLLS ? POLL_GAP : SIGNAL_DELAY);
    }
    fetch_ballot_key(&n, r->ballot_key);
    *recover = bench_recover_rate();
    for (unsigned p = 0; p < POLLS; p++) {
        r->poll = 1 + p;
        r->system = polls[p].system;
        r->nonce = 1 + p;
        f[p].ballots = r->voters / polls[p].share;
        f[p].ballots_per_s = send_all(n.url, r, make_ballot, f[p].ballots, true, "SecretBallot");
        progress("ballots cast");
    }
    for (unsigned p = 0; p < POLLS; p++) {
        /* up to a second before the close (the epochs on the way are settled), then the close alone */
        uint64_t end = vote_end(&n, 1 + p), now = node_time(&n);
        if (end > now + 1)
            bench_node_advance(&n, end - now - 1);
        f[p].ecdh_per_s = ecdh_rate(r->ctx);
        f[p].inproc_per_s = count_in_process(r, polls[p].system, INPROC_BALLOTS);
        double c0 = bench_now();
        bench_node_advance(&n, end - node_time(&n));
        f[p].close_s = bench_now() - c0;
        progress("poll closed and counted");
        mpz_t ours[CHOICES];
        for (unsigned k = 0; k < CHOICES; k++)
            mpz_init(ours[k]);
        f[p].plain_s = count_plain(ours, polls[p].system, f[p].ballots);
        f[p].agree = results_agree(&n, 1 + p, ours);
        for (unsigned k = 0; k < CHOICES; k++)
            mpz_clear(ours[k]);
    }
    stop_running();
}

int main(int argc, char **argv)
{
    bool quick = false, count_only = false;
    const char *daemon = "./conclaved";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0)
            quick = true;
        else if (strcmp(argv[i], "--count-only") == 0)
            count_only = true;
        else
            daemon = argv[i];
    }
    bench_run r = { .voters = quick ? QUICK_VOTERS : VOTERS };
    r.ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    r.addr = calloc(r.voters, sizeof *r.addr);
    if (!r.ctx || !r.addr)
        bench_die("out of memory");
    poll_figures f[POLLS] = { 0 };
    if (count_only) {
        for (unsigned p = 0; p < POLLS; p++)
            printf("%s: the enclave's count in process, %zu ballots: %.0f ballots/s\n",
                   gov_poll_system_name(polls[p].system), r.voters, count_in_process(&r, polls[p].system, r.voters));
        return 0;
    }
    signal(SIGPIPE, SIG_IGN);
    progress("start");
    double setup_s = 0, recover = 0;
    run_node(daemon, &r, f, &setup_s, &recover);

    bench_print_machine();
    printf("Secret polls: %zu voters, genesis accounts that each stake 1 to 1,000 tokens (set up in %.1f s);\n"
           "SecretBallots through tx_send in batches of %d, sealed and signed before the clock starts;\n"
           "secp256k1 recoveries on one core: %.0f/s\n\n", r.voters, setup_s, BATCH, recover);
    printf("%-14s %8s %10s %14s %10s %10s %8s %13s %12s %6s\n", "system", "ballots", "ballots/s", "close to count",
           "counted/s", "ECDH/s", "vs ECDH", "in-process/s", "plain count", "agree");
    for (unsigned p = 0; p < POLLS; p++) {
        double counted = (double)f[p].ballots / f[p].close_s;
        printf("%-14s %8zu %10.0f %12.2f s %10.0f %10.0f %7.2fx %13.0f %9.1f ms %6s\n",
               gov_poll_system_name(polls[p].system), f[p].ballots, f[p].ballots_per_s, f[p].close_s, counted,
               f[p].ecdh_per_s, counted / f[p].ecdh_per_s, f[p].inproc_per_s, f[p].plain_s * 1e3, f[p].agree ? "yes" : "NO");
    }
    printf("\n(close to count: from the admin_advanceTime that closes the poll to its SecretPollCount in a\n"
           "block; ECDH/s and in-process (enclave/count.c alone, one core, on %d ballots sealed here)\n"
           "measured just before that close; plain count: the same choices parsed and counted in process as\n"
           "an open poll's)\n", INPROC_BALLOTS);
    int bad = 0;
    for (unsigned p = 0; p < POLLS; p++) {
        char figure[96];
        const char *name = gov_poll_system_name(polls[p].system);
        double counted = (double)f[p].ballots / f[p].close_s;
        snprintf(figure, sizeof figure, "SecretBallot via tx_send, batches of 100 (%s)", name);
        bench_row(figure, f[p].ballots_per_s, "tx/s", "secp256k1 recoveries, one core", recover, "-");
        snprintf(figure, sizeof figure, "secret %s poll, %zu ballots: close to count", name, f[p].ballots);
        bench_row(figure, f[p].close_s, "s", "the enclave's count in process", (double)f[p].ballots / f[p].inproc_per_s,
                  "-");
        snprintf(figure, sizeof figure, "secret %s poll, %zu ballots: counted/s", name, f[p].ballots);
        bench_row(figure, counted, "1/s", "secp256k1 ECDH, one core", f[p].ecdh_per_s, "-");
        bad |= !f[p].agree;
    }
    free(r.addr);
    secp256k1_context_destroy(r.ctx);
    return bad;
}
