/* SPDX-License-Identifier: MIT */
/* main.c: conclave-worker, the program a compute provider runs on each machine. Start-up loads the
 * platform (the simulated one of enclave/platform.c: its secret, its confidence level and this
 * binary's measurement), unseals the worker's secp256k1 key sealed to that measurement (making and
 * sealing one on the first run, as worker-<hex>.sealed), and measures the workload once. Then it
 * polls the node: an unregistered worker (or one registered to another operator) sends
 * WorkerRegister with its quote and benchmark; a worker in a pool with stake bonded answers each
 * slot's challenge once, with WorkerHeartbeat carrying the iterations and micros of the workload
 * seeded by the challenge.
 * Nothing the node does stops the loop: refusals are logged (a recurring one once), a refused
 * registration is retried ever more rarely, an unreachable node is logged once per outage and
 * retried every poll. SIGTERM or SIGINT ends it with status 0; usage errors exit 2,
 * start-up failures 1. SIGINT and SIGTERM stay blocked and are taken only by sigtimedwait, between
 * steps, so a signal is never lost and no handler races the loop. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <secp256k1.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "enclave/platform.h"
#include "enclave/seal.h"
#include "ledger/hash.h"
#include "ledger/hex.h"
#include "ledger/sig.h"
#include "worker/bench.h"
#include "worker/node.h"

#define EXIT_USAGE 2
#define MAX_MS 3600000u          /* an hour: the largest duration an option takes */
#define RPC_TIMEOUT_SECS 30      /* a tx_send waits for its block */
#define BENCH_SEED_TEXT "conclave-bench-v1"
#define REGISTER_BACKOFF_MAX 64  /* polls: a refused registration is retried ever more rarely, up to this */

struct options {
    const char *node_url;
    const char *operator_text;
    const char *secret_path;
    const char *sealed_dir;
    uint64_t bench_ms, sample_ms, poll_ms;
};

/* The worker's whole state; lives on main's stack, its key wiped on every exit. */
typedef struct worker {
    secp256k1_context *ctx;      /* the process's one context, randomized */
    enc_platform platform;       /* platform secret, measurement, confidence level */
    uint8_t key[32];             /* the sealed identity key */
    uint8_t pub[64];             /* its public key, X||Y */
    uint8_t addr[20];            /* its address */
    char addr_text[LEDGER_ADDR_STRLEN];
    uint8_t operator_addr[20];   /* --operator */
    wrk_bench bench;             /* the start-up measurement WorkerRegister carries */
    wrk_node *node;
    sigset_t stop_signals;       /* SIGINT and SIGTERM, blocked */
    /* the loop's memory */
    bool chain_known;            /* chain_id and quote are set (re-read after each outage) */
    uint64_t chain_id;
    uint8_t quote[ENC_QUOTE_V2_LEN];
    bool outage;                 /* the last call could not reach the node */
    bool answered_any;           /* last_epoch/last_slot hold the last slot answered */
    uint64_t last_epoch;
    uint32_t last_slot;
    unsigned register_backoff;   /* polls skipped after a refused WorkerRegister: 1, 2, 4 ... REGISTER_BACKOFF_MAX */
    unsigned register_skip;      /* polls still to skip before the next WorkerRegister */
    char last_problem[640];      /* the last problem logged (cleared by success): a repeat is not logged */
    int standing;                /* the last standing logged: 0 none, 1 registered, 2 in a pool, 3 bonded */
    uint64_t standing_pool;
} worker;

static const char usage_text[] =
    "Usage: conclave-worker --node URL --operator ADDRESS --platform-secret FILE [options]\n"
    "The worker runtime a compute provider runs on each machine: it registers its sealed key with the\n"
    "node and answers each slot's heartbeat challenge with a measured keccak-256 workload.\n"
    "  --node URL                the node's JSON-RPC address, http://HOST:PORT\n"
    "  --operator ADDRESS        the account that runs this worker (its pools may add it)\n"
    "  --platform-secret FILE    the simulated platform's 32-byte secret (mode 0600); FILE.level\n"
    "                            holds its confidence level 1..5 (1 without it)\n"
    "  --sealed-dir DIR          where the worker key is sealed to this binary (default .; made\n"
    "                            if missing, mode 0700)\n"
    "  --bench-ms N              the start-up benchmark's duration (default 1000)\n"
    "  --sample-ms N             each heartbeat's workload duration (default 200)\n"
    "  --poll-ms N               how often to ask the node for the slot's challenge (default 1000)\n"
    "  --help, --version\n";

static void logf_(const char *fmt, ...) PRINTF_LIKE(1, 2);
static void logf_(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("conclave-worker: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* A millisecond count up to MAX_MS, at least min. */
static bool parse_ms(uint64_t *out, const char *text, uint64_t min)
{
    char *end;
    errno = 0;
    if (text[0] < '0' || text[0] > '9')
        return false;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || *end || v < min || v > MAX_MS)
        return false;
    *out = v;
    return true;
}

/* Returns: 0, EXIT_USAGE on a usage error, or -1 after --help / --version (exit 0). */
static int parse_options(struct options *o, uint8_t operator_addr[20], int argc, char **argv)
{
    static const struct option longopts[] = {
        { "node", required_argument, NULL, 'n' },
        { "operator", required_argument, NULL, 'o' },
        { "platform-secret", required_argument, NULL, 's' },
        { "sealed-dir", required_argument, NULL, 'd' },
        { "bench-ms", required_argument, NULL, 'b' },
        { "sample-ms", required_argument, NULL, 'm' },
        { "poll-ms", required_argument, NULL, 'p' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    const char *bad = NULL;
    int c;
    *o = (struct options){ .sealed_dir = ".", .bench_ms = 1000, .sample_ms = 200, .poll_ms = 1000 };
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'n': o->node_url = optarg; break;
        case 'o': o->operator_text = optarg; break;
        case 's': o->secret_path = optarg; break;
        case 'd': o->sealed_dir = optarg; break;
        case 'b': if (!parse_ms(&o->bench_ms, optarg, 1)) bad = "--bench-ms takes milliseconds, 1 to 3600000"; break;
        case 'm': if (!parse_ms(&o->sample_ms, optarg, 1)) bad = "--sample-ms takes milliseconds, 1 to 3600000"; break;
        case 'p': if (!parse_ms(&o->poll_ms, optarg, 1)) bad = "--poll-ms takes milliseconds, 1 to 3600000"; break;
        case 'h': fputs(usage_text, stdout); return -1;
        case 'V': printf("conclave-worker %s\n", PACKAGE_VERSION); return -1;
        default: fputs(usage_text, stderr); return EXIT_USAGE;
        }
        if (bad)
            break;
    }
    if (!bad && optind < argc) {
        fprintf(stderr, "conclave-worker: unexpected argument '%s'\n%s", argv[optind], usage_text);
        return EXIT_USAGE;
    }
    if (!bad && (!o->node_url || !o->operator_text || !o->secret_path))
        bad = "--node, --operator and --platform-secret are required";
    else if (!bad && ledger_addr_parse(operator_addr, o->operator_text) != ST_OK)
        bad = "--operator takes an address, 0x and 40 hex digits";
    if (bad) {
        fprintf(stderr, "conclave-worker: %s\n%s", bad, usage_text);
        return EXIT_USAGE;
    }
    return 0;
}

/* Makes the context, the platform, the identity and the start-up benchmark; reports failures.
 * Returns: ST_OK or the failing step's status. */
static int start(worker *w, const struct options *o)
{
    uint8_t seed[32], ser[65];
    char meas_hex[2 * 32 + 3];
    secp256k1_pubkey pk;
    size_t ser_len = sizeof ser;
    uint64_t score;
    bool created;
    int rc;

    if ((rc = enc_platform_signing_context(&w->ctx)) != ST_OK) {
        logf_("cannot make a randomized secp256k1 context: %s", st_str(rc));
        return rc;
    }
    if ((rc = enc_platform_load(&w->platform, o->secret_path)) != ST_OK) {
        logf_("cannot load the platform (secret %s): %s", o->secret_path, st_str(rc));
        return rc;
    }
    if (mkdir(o->sealed_dir, 0700) != 0 && errno != EEXIST) {
        logf_("cannot create the directory %s for the sealed worker key: %s", o->sealed_dir, strerror(errno));
        return ST_IO;
    }
    if ((rc = enc_seal_identity(w->ctx, w->key, &created, &w->platform, o->sealed_dir, "worker")) != ST_OK) {
        logf_("cannot %s the worker key in %s: %s", rc == ST_CRYPTO ? "unseal" : "load or seal", o->sealed_dir,
              st_str(rc));
        return rc;
    }
    if (!secp256k1_ec_pubkey_create(w->ctx, &pk, w->key)
        || !secp256k1_ec_pubkey_serialize(w->ctx, ser, &ser_len, &pk, SECP256K1_EC_UNCOMPRESSED)) {
        logf_("cannot derive the worker's public key");
        return ST_CRYPTO;
    }
    memcpy(w->pub, ser + 1, 64);
    ledger_sig_pubkey_address(w->addr, w->pub);
    ledger_addr_format(w->addr_text, w->addr);
    if (created)
        logf_("sealed a new worker key in %s", o->sealed_dir);
    ledger_sha256(seed, BENCH_SEED_TEXT, strlen(BENCH_SEED_TEXT));
    if ((rc = wrk_bench_run(&w->bench, seed, o->bench_ms)) != ST_OK) {
        logf_("cannot run the benchmark: %s", st_str(rc));
        return rc;
    }
    if ((rc = wrk_bench_score(&score, w->bench.iterations, w->bench.micros)) != ST_OK) {
        logf_("the benchmark gave no score: %s", st_str(rc));
        return rc;
    }
    ledger_hex_encode(meas_hex, w->platform.measurement, 32);
    logf_("worker %s measurement %s level %u score %" PRIu64 " (%" PRIu64 " iterations in %" PRIu64 " us)",
          w->addr_text, meas_hex, (unsigned)w->platform.conf_level, score, w->bench.iterations, w->bench.micros);
    return ST_OK;
}

/* Logs a problem the loop keeps meeting (a refusal, an answer it cannot use) once, until it changes
 * or something succeeds: a worker polling every second must not write the same line every second. */
static void problem(worker *w, const char *what)
{
    if (strcmp(what, w->last_problem) == 0)
        return;
    logf_("%s", what);
    snprintf(w->last_problem, sizeof w->last_problem, "%s", what);
}

/* Waits ms milliseconds or until SIGINT or SIGTERM. Returns: true if a stop signal came. */
static bool wait_or_stop(const worker *w, uint64_t ms)
{
    struct timespec ts = { .tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L };
    for (;;) {
        int sig = sigtimedwait(&w->stop_signals, NULL, &ts);
        if (sig == SIGINT || sig == SIGTERM)
            return true;
        if (sig < 0 && errno == EAGAIN)
            return false;
        /* EINTR: another signal; wait again (the wait restarts in full: a poll comes late, never early) */
    }
}

/* Notes an outcome for the outage log. Returns: true if the node was reachable. */
static bool reached(worker *w, int rc, const char *err)
{
    if (rc == ST_IO) {
        if (!w->outage)
            logf_("node unreachable: %s, retrying", err);
        w->last_problem[0] = '\0';
        w->outage = true;
        w->chain_known = false;  /* a restarted node may serve another chain */
        return false;
    }
    if (w->outage)
        logf_("node reachable again");
    w->outage = false;
    return true;
}

/* Learns the chain id and makes the quote for it, once per connection. Returns: ST_OK or a
 * wrk_node status (logged). */
static int ensure_chain(worker *w)
{
    char err[512];
    int rc;
    if (w->chain_known)
        return ST_OK;
    rc = wrk_node_chain_id(w->node, &w->chain_id, err, sizeof err);
    if (!reached(w, rc, err))
        return rc;
    if (rc != ST_OK) {
        problem(w, err);
        return rc;
    }
    if ((rc = enc_platform_quote_worker(w->ctx, w->quote, &w->platform, w->pub, w->chain_id)) != ST_OK) {
        logf_("cannot make the quote: %s", st_str(rc));
        return rc;
    }
    w->chain_known = true;
    return ST_OK;
}

static bool msg_u64(cJSON *m, const char *key, uint64_t v)
{
    char text[24];
    snprintf(text, sizeof text, "%" PRIu64, v);
    return cJSON_AddStringToObject(m, key, text) != NULL;
}

/* Sends msg (consumed) as a type_name transaction. Returns: the wrk_node_send status; err its reason. */
static int send_tx(worker *w, char *err, size_t errlen, const char *type_name, cJSON *msg, bool built)
{
    int rc;
    if (!msg || !built) {
        snprintf(err, errlen, "out of memory");
        cJSON_Delete(msg);
        return ST_NOMEM;
    }
    rc = wrk_node_send(w->node, err, errlen, type_name, msg, w->key, w->addr, w->chain_id);
    cJSON_Delete(msg);
    reached(w, rc, err);
    return rc;
}

static void do_register(worker *w)
{
    char err[512], quote_hex[2 * ENC_QUOTE_V2_LEN + 3], op[LEDGER_ADDR_STRLEN], text[600];
    cJSON *m = cJSON_CreateObject();
    ledger_hex_encode(quote_hex, w->quote, sizeof w->quote);
    ledger_addr_format(op, w->operator_addr);
    bool built = m && cJSON_AddStringToObject(m, "quote", quote_hex) && cJSON_AddStringToObject(m, "operator", op)
                 && msg_u64(m, "iterations", w->bench.iterations) && msg_u64(m, "micros", w->bench.micros);
    int rc = send_tx(w, err, sizeof err, "WorkerRegister", m, built);
    if (rc == ST_OK) {
        logf_("registered for operator %s (%" PRIu64 " iterations in %" PRIu64 " us)", op, w->bench.iterations,
              w->bench.micros);
        w->last_problem[0] = '\0';
        w->register_backoff = 0;
    } else if (rc != ST_IO) {
        snprintf(text, sizeof text, "WorkerRegister refused: %s", err);
        problem(w, text);
        /* A failed registration goes into a block: retrying it every poll would fill the chain with
         * failures while, say, governance has not allowlisted this build yet. */
        w->register_backoff = w->register_backoff ? w->register_backoff * 2 : 1;
        if (w->register_backoff > REGISTER_BACKOFF_MAX)
            w->register_backoff = REGISTER_BACKOFF_MAX;
        w->register_skip = w->register_backoff;
    }
}

static void do_heartbeat(worker *w, const wrk_challenge *c, uint64_t sample_ms)
{
    char err[512], challenge_hex[2 * 32 + 3];
    wrk_bench b;
    uint64_t score = 0;
    int rc = wrk_bench_run(&b, c->challenge, sample_ms);
    if (rc != ST_OK) {
        logf_("cannot run the workload: %s", st_str(rc));
        return;
    }
    if (wrk_bench_score(&score, b.iterations, b.micros) != ST_OK)
        score = 0;
    ledger_hex_encode(challenge_hex, c->challenge, 32);
    cJSON *m = cJSON_CreateObject();
    bool built = m && msg_u64(m, "epoch", c->epoch) && msg_u64(m, "slot", c->slot)
                 && cJSON_AddStringToObject(m, "challenge", challenge_hex) && msg_u64(m, "iterations", b.iterations)
                 && msg_u64(m, "micros", b.micros);
    rc = send_tx(w, err, sizeof err, "WorkerHeartbeat", m, built);
    if (rc == ST_IO)
        return;  /* not answered: try again at the next poll if the slot is still open */
    /* answered, or refused by the node: either way this slot is done (at most one answer each) */
    w->answered_any = true;
    w->last_epoch = c->epoch;
    w->last_slot = c->slot;
    if (rc == ST_OK) {
        w->last_problem[0] = '\0';
        logf_("heartbeat epoch %" PRIu64 " slot %" PRIu32 ": %" PRIu64 " iterations in %" PRIu64 " us (score %" PRIu64 ")",
              c->epoch, c->slot, b.iterations, b.micros, score);
    } else
        logf_("WorkerHeartbeat for epoch %" PRIu64 " slot %" PRIu32 " refused: %s", c->epoch, c->slot, err);
}

/* Logs a change of the worker's standing (registered, in a pool, bonded). */
static void note_standing(worker *w, const wrk_challenge *c)
{
    int standing = !c->in_pool ? 1 : c->bonded ? 3 : 2;
    if (standing == w->standing && (!c->in_pool || c->pool == w->standing_pool))
        return;
    if (standing == 3)
        logf_("in pool %" PRIu64 ": answering challenges", c->pool);
    else if (standing == 2)
        logf_("in pool %" PRIu64 ", no stake bonded yet: waiting for the operator to bond this worker", c->pool);
    else
        logf_("registered, in no pool yet: waiting for the operator to add and bond this worker");
    w->standing = standing;
    w->standing_pool = c->pool;
}

/* One poll: read the challenge, then register or answer. */
static void poll_once(worker *w, const struct options *o)
{
    char err[512];
    wrk_challenge c;
    int rc;
    if (ensure_chain(w) != ST_OK)
        return;
    rc = wrk_node_challenge(w->node, &c, err, sizeof err, w->addr);
    if (!reached(w, rc, err))
        return;
    if (rc != ST_OK) {
        problem(w, err);
        return;
    }
    if (!c.registered || !c.has_operator || memcmp(c.operator_addr, w->operator_addr, 20) != 0) {
        w->standing = 0;
        if (c.registered && c.in_pool) {
            /* the node refuses to move a worker out of a pool by registration: say why and wait */
            char text[320], theirs[LEDGER_ADDR_STRLEN];
            ledger_addr_format(theirs, c.operator_addr);
            snprintf(text, sizeof text, "registered for operator %s in its pool %" PRIu64 ": that owner removes "
                     "this worker (WorkerRemove) before it can register for %s", theirs, c.pool, o->operator_text);
            problem(w, text);
        } else if (w->register_skip > 0) {
            w->register_skip--;
        } else {
            do_register(w);
        }
        return;
    }
    note_standing(w, &c);
    if (c.in_pool && c.bonded && !c.answered && !(w->answered_any && w->last_epoch == c.epoch && w->last_slot == c.slot))
        do_heartbeat(w, &c, o->sample_ms);
}

int main(int argc, char **argv)
{
    struct options o;
    worker w;
    int ex;

    memset(&w, 0, sizeof w);
    ex = parse_options(&o, w.operator_addr, argc, argv);
    if (ex != 0)
        return ex < 0 ? 0 : ex;
    /* Blocked from the start: a stop signal during start-up or a call waits for the next wait. */
    sigemptyset(&w.stop_signals);
    sigaddset(&w.stop_signals, SIGINT);
    sigaddset(&w.stop_signals, SIGTERM);
    sigprocmask(SIG_BLOCK, &w.stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* a bad URL is a usage error, found before the benchmark's second */
    if (!(w.node = wrk_node_new(o.node_url, RPC_TIMEOUT_SECS))) {
        fprintf(stderr, "conclave-worker: --node takes http://HOST:PORT, not '%s'\n%s", o.node_url, usage_text);
        return EXIT_USAGE;
    }
    ex = EXIT_FAILURE;
    if (start(&w, &o) != ST_OK)
        goto out;
    logf_("operator %s, node %s", o.operator_text, o.node_url);
    do
        poll_once(&w, &o);
    while (!wait_or_stop(&w, o.poll_ms));
    logf_("stopping");
    ex = EXIT_SUCCESS;
out:
    wrk_node_free(w.node);
    explicit_bzero(w.key, sizeof w.key);
    enc_platform_clear(&w.platform);
    if (w.ctx)
        secp256k1_context_destroy(w.ctx);
    return ex;
}
