/* SPDX-License-Identifier: MIT */
/* bench_settlement.c: `make bench`, third part: what settling an epoch costs. In process, on the
 * engine with a ledger in a temporary directory and the real conclave-enclave, settlement version 2:
 * 1,000 pools of 10 workers, staked by 100,000 delegators and again by 1,000 (the same stake per
 * pool, so the inputs are the same bytes). Each worker is a key registered with WorkerRegister: a
 * version-2 worker quote made with the bench's platform secret (the one its enclave uses) for a
 * runtime measurement its genesis lists in enclave.workerMeasurements, at confidence levels 1 to 5,
 * with benchmark scores P from 200 to 1899. Each is bonded the minimum stake k x sqrt(P) of the
 * genesis default (staking.minStakePerRootScore, 100 tokens; eng_worker_min_stake) plus 0 to 90
 * tokens, so its Ve is far below vMax. Economics, budget and stake rules are the dev chain's
 * defaults; the epoch is the dev chain's hour of six 600 s slots. In every slot each worker answers
 * its challenge (eng_challenge_now) with a WorkerHeartbeat, except that a tenth answer only slot 0,
 * a tenth miss slot 1, a tenth miss the last slot and a tenth go silent after epoch 0; the iteration
 * counts claim 60% to 150% of P, so some performances are capped at 1.2 P. Then the clock moves past
 * the epoch's end and that call, which makes the settlement block, is timed: three epochs (the first
 * starts every worker's V, the others carry it), the fastest block shown, as others may share the
 * machine. The link wraps enc_host_exchange_begin and enc_host_exchange_step (bench/local.mk), so
 * the enclave round trip is timed where the request leaves the host and the answer comes back, and
 * the enclave's CPU and memory are read while it still runs. The pure steps are then timed again in
 * process on the settled epoch's stored inputs and report (ledger_settlement_get,
 * enc_settle_input_parse): the bench never assembles inputs itself. Each run is a forked child, so
 * its peak memory is its own. Settling must not cost more with more delegators. */
#include <fcntl.h>
#include <secp256k1.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "enclave/enclave.h"
#include "enclave/platform.h"
#include "enclave/settle.h"
#include "bench/benchlib.h"
#include "engine/engine.h"
#include "ledger/amount.h"
#include "ledger/compute.h"
#include "ledger/hash.h"
#include "ledger/hex.h"
#include "ledger/sig.h"
#include "ledger/stakes.h"
#include "ledger/tx.h"

#define POOLS 1000
#define WORKERS_PER_POOL 10
#define WORKERS (POOLS * WORKERS_PER_POOL)
#define FEW_DELEGATORS 1000
#define MANY_DELEGATORS 100000
#define BLOCK 10000                /* transactions per eng_flush while setting up */
#define CHAIN_ID 4243
#define GENESIS_TIME 1767225600u
#define SLOT_SECS 600u             /* compute.heartbeatSecs, the dev chain's */
#define SLOTS 6u                   /* heartbeat slots in the epoch */
#define EPOCH_SECS (SLOT_SECS * SLOTS)
#define POOL_STAKE_TOKENS 50000u   /* what a pool's delegators stake in all, whatever their number */
#define EXTRA_BOND_TOKENS 10u      /* worker k of a pool: k times this above its minimum stake */
#define ZEROS_18 "000000000000000000"
#define COMPUTE_REPEAT 3           /* enc_settle_compute in process: the best of these */
#define EPOCHS 3                   /* epochs settled in a run; the table shows the fastest block */
#define QUOTE_HEX (2 * ENC_QUOTE_V2_LEN + 3)

/* The worker runtime the genesis allowlists: a name's hash stands in for a build's measurement. */
static const char runtime_name[] = "bench-settle-worker-runtime";

/* Worker w's benchmark score P: 200 to 1899, spread over the pools. */
static uint32_t score_of(size_t w)
{
    return 200u + (uint32_t)((w * 7919u) % 1700u);
}

/* The confidence level its platform attests: 1 to 5. */
static unsigned level_of(size_t w)
{
    return 1u + (unsigned)((w / 2) % 5);
}

/* Whether worker w answers slot `slot` of epoch `epoch`: a tenth only slot 0 (an answered run, then
 * an unanswered one), a tenth all but slot 1 (answered, unanswered, answered), a tenth all but the
 * last, a tenth every slot of epoch 0 and none after (no weight, V decays), the rest every slot. */
static bool answers(size_t w, uint64_t epoch, unsigned slot)
{
    switch (w % 10) {
    case 0: return slot == 0;
    case 1: return slot != 1;
    case 2: return slot != SLOTS - 1;
    case 3: return epoch == 0;
    default: return true;
    }
}

/* The performance worker w claims in a slot, in percent of its P: 60, 90, 100, 110 or 150 (the
 * last above the 1.2 P cap). */
static unsigned claim_pct(size_t w, uint64_t epoch, unsigned slot)
{
    static const unsigned pct[] = { 60, 90, 100, 110, 150 };
    return pct[(w + epoch + slot) % 5];
}

/* One settlement block: eng_advance_time past an epoch's end. Times in s, CPU of this process
 * unless said otherwise; memory in KiB. */
struct block_run {
    double total_wall, total_cpu;
    double before_wall, before_cpu;           /* until the request leaves: the block, reading the inputs */
    double call_wall, call_cpu;               /* the wrapped exchange, request sent to answer read */
    double enclave_cpu;                       /* the enclave's CPU in that exchange (-1: unknown) */
    double after_wall, after_cpu;             /* from its answer until eng_advance_time returns */
    unsigned settle_calls;                    /* SETTLE_REQ exchanges seen by the wrapper (1 expected) */
    uint64_t blocks;                          /* blocks the advance made */
    long rss_kb;                              /* this process's RSS just before the advance */
    long hwm_kb;                              /* its peak during the advance (-1: could not reset) */
    long enclave_hwm_kb;                      /* the enclave's VmHWM when it answered (-1: unknown) */
};

/* What one run measured; a plain struct, sent from the forked run to the parent through a pipe. */
struct run {
    size_t delegators;
    /* set-up */
    double addresses_s, open_s, sign_s, engine_s, setup_s;
    size_t transactions;
    double epochs_s;                          /* heartbeats and settlements of every epoch */
    /* the settlement blocks, and the fastest one */
    struct block_run epochs[EPOCHS], best;
    double median, slowest;                   /* wall time of the blocks, s */
    /* in process, on the last epoch's stored inputs and report; s */
    double input_parse_s, serialize_s, compute_s, report_parse_s, verify_s, check_s, audit_s;
    bool inputs_canonical;                    /* the parsed inputs serialize to the stored bytes */
    bool report_same;                         /* computed here == the enclave's report, signature aside */
    long maxrss_kb;                           /* this process, whole run, KiB */
    long hwm_kb, enclave_hwm_kb;              /* the largest of the epochs' */
    /* what the last epoch settled */
    uint8_t input_hash[32];
    size_t n_workers, n_all_slots, n_some_slots, n_no_slot, n_capped, n_started;
    size_t n_emissions, n_values, n_ops;
    size_t inputs_len, report_len;
    uint64_t settlement_height;
};

/* A run's engine and the bookkeeping of its set-up transactions. */
struct setup {
    eng *e;
    struct run *r;
    bench_tally t;
    size_t queued;                 /* submitted since the last flush */
    size_t expected;               /* submitted in all, all expected to succeed */
    uint64_t *worker_nonce;        /* the next nonce of each worker key */
};

/* A "Name:   123 kB" line of /proc/<pid>/status ("self" when pid is 0); -1 if unreadable. */
static long proc_status_kb(pid_t pid, const char *field)
{
    char path[64], line[256];
    if (pid)
        snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    else
        snprintf(path, sizeof path, "/proc/self/status");
    FILE *f = fopen(path, "r");
    long kb = -1;
    size_t n = strlen(field);
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, field, n) == 0 && line[n] == ':') {
            kb = strtol(line + n + 1, NULL, 10);
            break;
        }
    if (f)
        fclose(f);
    return kb;
}

/* CPU time of a process so far, in seconds: /proc/PID/schedstat (ns), else utime + stime of
 * /proc/PID/stat (clock ticks); -1 if neither can be read. */
static double proc_cpu_seconds(pid_t pid)
{
    char path[64], buf[1024];
    unsigned long long ns;
    snprintf(path, sizeof path, "/proc/%d/schedstat", (int)pid);
    FILE *f = fopen(path, "r");
    if (f) {
        int got = fscanf(f, "%llu", &ns);
        fclose(f);
        if (got == 1)
            return (double)ns / 1e9;
    }
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    f = fopen(path, "r");
    if (!f)
        return -1;
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[len] = '\0';
    char *p = strrchr(buf, ')'); /* the command name may hold spaces */
    unsigned long utime, stime;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2)
        return -1;
    return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

/* ru_maxrss of this process before the last reset_hwm, KiB: the reset lowers ru_maxrss too. */
static long peak_before_reset_kb;

/* Resets this process's VmHWM to its current RSS (Linux clear_refs 5). Returns whether it could. */
static bool reset_hwm(void)
{
    long peak = bench_maxrss_kb(RUSAGE_SELF);
    if (peak > peak_before_reset_kb)
        peak_before_reset_kb = peak;
    int fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    bool ok = write(fd, "5", 1) == 1;
    close(fd);
    return ok;
}

/* ---- profiling the settlement blocks alone ----
 * BENCH_PERF_CTL=CTL,ACK names the control and acknowledgement FIFOs of a `perf record
 * --control=fifo:CTL,ACK -D -1` (started disabled) that runs this program: perf is then enabled
 * only during the timed settlement blocks. */

/* Sends perf one command ("enable" or "disable") and waits for its ack; nothing if not asked. */
static void perf_control(const char *command)
{
    const char *spec = getenv("BENCH_PERF_CTL");
    const char *comma = spec ? strchr(spec, ',') : NULL;
    char ctl[256], ack[8];
    if (!comma || (size_t)(comma - spec) >= sizeof ctl)
        return;
    memcpy(ctl, spec, (size_t)(comma - spec));
    ctl[comma - spec] = '\0';
    int fd = open(ctl, O_WRONLY | O_CLOEXEC), afd = open(comma + 1, O_RDONLY | O_CLOEXEC);
    size_t len = strlen(command);
    if (fd < 0 || afd < 0 || write(fd, command, len) != (ssize_t)len || write(fd, "\n", 1) != 1
        || read(afd, ack, sizeof ack) <= 0)
        bench_die("BENCH_PERF_CTL: perf's control FIFOs do not answer");
    close(fd);
    close(afd);
}

/* ---- the enclave round trip, timed from the host's side ----
 * bench/local.mk links this program with -Wl,--wrap=enc_host_exchange_begin and
 * -Wl,--wrap=enc_host_exchange_step: the engine's exchanges with the enclave come here first and go
 * on to the real functions. A settlement exchange starts at the begin of a SETTLE_REQ and ends at
 * the first step that is not ST_PENDING. */

int __real_enc_host_exchange_begin(enc_host *h, uint8_t type, const uint8_t *payload, size_t len);
int __wrap_enc_host_exchange_begin(enc_host *h, uint8_t type, const uint8_t *payload, size_t len);
int __real_enc_host_exchange_step(enc_host *h, short *wait_events, uint8_t *resp_type, uint8_t **resp,
                                  size_t *resp_len);
int __wrap_enc_host_exchange_step(enc_host *h, short *wait_events, uint8_t *resp_type, uint8_t **resp,
                                  size_t *resp_len);

static struct settle_call {
    unsigned calls;
    bool open;                                /* a SETTLE_REQ exchange is under way */
    double wall0, wall1, cpu0, cpu1;          /* this process, s */
    double enclave_cpu0, enclave_cpu1;        /* the enclave's CPU so far, s (-1: unknown) */
    long enclave_hwm_kb;
} settle_call;

int __wrap_enc_host_exchange_begin(enc_host *h, uint8_t type, const uint8_t *payload, size_t len)
{
    struct settle_call *c = &settle_call;
    if (type == ENC_MSG_SETTLE_REQ) {
        c->calls++;
        c->open = true;
        c->enclave_cpu0 = proc_cpu_seconds(enc_host_pid(h));
        c->wall0 = bench_now();
        c->cpu0 = bench_cpu();
    }
    return __real_enc_host_exchange_begin(h, type, payload, len);
}

int __wrap_enc_host_exchange_step(enc_host *h, short *wait_events, uint8_t *resp_type, uint8_t **resp,
                                  size_t *resp_len)
{
    struct settle_call *c = &settle_call;
    int rc = __real_enc_host_exchange_step(h, wait_events, resp_type, resp, resp_len);
    if (c->open && rc != ST_PENDING) {
        c->open = false;
        c->wall1 = bench_now();
        c->cpu1 = bench_cpu();
        pid_t pid = enc_host_pid(h);
        c->enclave_cpu1 = proc_cpu_seconds(pid);
        c->enclave_hwm_kb = proc_status_kb(pid, "VmHWM");
    }
    return rc;
}

/* ---- signed transactions ---- */

/* Deterministic test keys: sha256("bench-settle-<role>-<i>"). */
static void key_of(uint8_t key[32], const char *role, size_t i)
{
    char seed[64];
    int len = snprintf(seed, sizeof seed, "bench-settle-%s-%zu", role, i);
    ledger_sha256(key, seed, (size_t)len);
}

static void address_of(uint8_t addr[20], const char *role, size_t i)
{
    uint8_t key[32];
    key_of(key, role, i);
    if (ledger_sig_address(addr, key) != ST_OK)
        bench_die("address");
    memset(key, 0, sizeof key);
}

static void add_string(cJSON *obj, const char *key, const char *value)
{
    if (!cJSON_AddStringToObject(obj, key, value))
        bench_die("out of memory");
}

static void add_u64(cJSON *obj, const char *key, uint64_t v)
{
    char text[24];
    snprintf(text, sizeof text, "%llu", (unsigned long long)v);
    add_string(obj, key, text);
}

static void add_address(cJSON *obj, const char *key, const uint8_t addr[20])
{
    char text[LEDGER_ADDR_STRLEN];
    ledger_addr_format(text, addr);
    add_string(obj, key, text);
}

static void add_tokens(cJSON *obj, const char *key, unsigned tokens)
{
    char text[40];
    snprintf(text, sizeof text, "%u" ZEROS_18, tokens);
    add_string(obj, key, text);
}

static void add_hex(cJSON *obj, const char *key, const uint8_t *bytes, size_t len)
{
    char *text = ledger_hex_encode_alloc(bytes, len);
    if (!text)
        bench_die("out of memory");
    add_string(obj, key, text);
    free(text);
}

static cJSON *message(uint64_t nonce)
{
    cJSON *msg = cJSON_CreateObject();
    if (!msg)
        bench_die("out of memory");
    add_u64(msg, "nonce", nonce);
    return msg;
}

static void flush(struct setup *s)
{
    double t0 = bench_now();
    if (eng_flush(s->e) != ST_OK)
        bench_die("a block could not be written");
    s->r->engine_s += bench_now() - t0;
    s->queued = 0;
}

/* Signs type with msg (released here) by the key of role i and queues it; a block every BLOCK. */
static void send_tx(struct setup *s, const char *type, cJSON *msg, const char *role, size_t i)
{
    char err[256];
    uint8_t key[32];
    ledger_tx tx;
    double t0 = bench_now();
    key_of(key, role, i);
    if (ledger_tx_build_signed(&tx, err, sizeof err, type, msg, key, CHAIN_ID) != ST_OK)
        bench_die(err);
    memset(key, 0, sizeof key);
    cJSON_Delete(msg);
    s->r->sign_s += bench_now() - t0;
    if (eng_submit(s->e, err, sizeof err, &tx, bench_tally_done, &s->t) != ST_OK)
        bench_die(err);
    s->expected++;
    s->r->transactions++;
    if (++s->queued == BLOCK)
        flush(s);
}

/* Writes what is queued and checks that every transaction so far succeeded. */
static void settle_up(struct setup *s, const char *what)
{
    flush(s);
    if (s->t.ok != s->expected) {
        fprintf(stderr, "bench_settlement: %zu of %zu transactions succeeded by the end of %s (%zu failed, "
                "%zu refused): %s\n", s->t.ok, s->expected, what, s->t.failed, s->t.refused, s->t.first_error);
        exit(1);
    }
    fprintf(stderr, "bench_settlement: %zu delegators: %s done (%zu transactions; signing %.1f s, engine %.1f s)\n",
            s->r->delegators, what, s->expected, s->r->sign_s, s->r->engine_s);
}

static void advance(eng *e, uint64_t secs)
{
    uint64_t now;
    if (eng_advance_time(e, secs, &now) != ST_OK)
        bench_die("eng_advance_time failed");
}

/* ---- the chain ---- */

static void add_account(cJSON *accounts, const uint8_t addr[20], unsigned tokens)
{
    cJSON *entry = cJSON_CreateObject();
    if (!entry || !cJSON_AddItemToArray(accounts, entry))
        bench_die("out of memory");
    add_address(entry, "address", addr);
    add_tokens(entry, "balance", tokens);
}

static void add_measurement(cJSON *enclave, const char *key, const uint8_t measurement[32])
{
    char hex[67];
    cJSON *list = cJSON_AddArrayToObject(enclave, key), *m;
    ledger_hex_encode(hex, measurement, 32);
    if (!list || !(m = cJSON_CreateString(hex)))
        bench_die("out of memory");
    if (!cJSON_AddItemToArray(list, m)) {
        cJSON_Delete(m);
        bench_die("out of memory");
    }
}

/* A genesis funding the owners and the delegators (worker keys hold nothing: their first
 * transaction is their WorkerRegister), whose platform is this run's and whose allowlists hold this
 * enclave build and the bench's worker runtime. Everything else is the dev chain's default but the
 * epoch's length. Caller frees with cJSON_free. */
static char *genesis_json(size_t delegators, const uint8_t platform[20], const uint8_t measurement[32],
                          const uint8_t runtime[32])
{
    cJSON *root = cJSON_CreateObject(), *accounts = cJSON_CreateArray(), *compute = cJSON_CreateObject();
    cJSON *enclave = cJSON_CreateObject();
    if (!root || !accounts || !compute || !enclave || !cJSON_AddItemToObject(root, "accounts", accounts)
        || !cJSON_AddItemToObject(root, "compute", compute) || !cJSON_AddItemToObject(root, "enclave", enclave)
        || !cJSON_AddNumberToObject(root, "chainId", CHAIN_ID) || !cJSON_AddNumberToObject(root, "time", GENESIS_TIME)
        || !cJSON_AddNumberToObject(root, "epochSecs", EPOCH_SECS)
        || !cJSON_AddNumberToObject(compute, "heartbeatSecs", SLOT_SECS))
        bench_die("out of memory");
    add_address(enclave, "platform", platform);
    add_measurement(enclave, "measurements", measurement);
    add_measurement(enclave, "workerMeasurements", runtime);

    uint8_t addr[20];
    for (size_t j = 0; j < POOLS; j++) {
        address_of(addr, "owner", j);
        add_account(accounts, addr, 1);
    }
    unsigned each = (unsigned)(POOL_STAKE_TOKENS * POOLS / delegators);
    for (size_t i = 0; i < delegators; i++) {
        address_of(addr, "delegator", i);
        add_account(accounts, addr, each + 1);
    }
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!text)
        bench_die("out of memory");
    return text;
}

/* Makes the platform secret and the sealed directory in dir, as conclaved does in its data
 * directory. Out: paths, the platform's attestation address, the enclave binary's measurement. */
static void platform_setup(const char *dir, const char *enclave, char secret_path[128], char sealed_dir[128],
                           uint8_t platform[20], uint8_t measurement[32])
{
    uint8_t secret[ENC_PLATFORM_SECRET_LEN];
    snprintf(secret_path, 128, "%s/platform.secret", dir);
    snprintf(sealed_dir, 128, "%s/enclave", dir);
    if (enc_platform_secret_ensure(secret_path) != ST_OK || enc_platform_secret_read(secret, secret_path) != ST_OK
        || enc_platform_attestation_address(platform, secret) != ST_OK)
        bench_die("cannot prepare the platform secret");
    memset(secret, 0, sizeof secret);
    if (mkdir(sealed_dir, 0700) != 0)
        bench_die("cannot create the sealed directory");
    if (enc_measure_file(measurement, enclave) != ST_OK)
        bench_die("cannot read the enclave program (give its path as the argument)");
}

/* Every worker's WorkerRegister, in blocks of BLOCK: a version-2 quote of this run's platform (its
 * secret in secret_path) at the worker's level for the bench's runtime, its benchmark (score_of
 * thousand iterations in a second), and the owner of its pool as operator. */
static void register_workers(struct setup *s, const char *secret_path, const uint8_t runtime[32])
{
    uint8_t secret[ENC_PLATFORM_SECRET_LEN], key[32], pub[65], quote[ENC_QUOTE_V2_LEN], owner[20];
    secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    enc_platform p;
    if (!ctx || enc_platform_secret_read(secret, secret_path) != ST_OK)
        bench_die("cannot quote for the workers");
    enc_platform_init(&p, secret, runtime);
    memset(secret, 0, sizeof secret);
    for (size_t w = 0; w < WORKERS; w++) {
        secp256k1_pubkey pk;
        size_t len = sizeof pub;
        key_of(key, "worker", w);
        if (!secp256k1_ec_pubkey_create(ctx, &pk, key)
            || !secp256k1_ec_pubkey_serialize(ctx, pub, &len, &pk, SECP256K1_EC_UNCOMPRESSED))
            bench_die("worker public key");
        memset(key, 0, sizeof key);
        p.conf_level = (uint8_t)level_of(w);
        if (enc_platform_quote_worker(ctx, quote, &p, pub + 1, CHAIN_ID) != ST_OK)
            bench_die("enc_platform_quote_worker");
        address_of(owner, "owner", w / WORKERS_PER_POOL);
        cJSON *msg = message(s->worker_nonce[w]++);
        add_hex(msg, "quote", quote, sizeof quote);
        add_address(msg, "operator", owner);
        add_u64(msg, "iterations", (uint64_t)score_of(w) * 1000u);
        add_u64(msg, "micros", 1000000);
        send_tx(s, "WorkerRegister", msg, "worker", w);
    }
    enc_platform_clear(&p);
    secp256k1_context_destroy(ctx);
    settle_up(s, "WorkerRegister");
}

/* The staking set-up: pools, registered workers added to them, stake, bonds of the minimum stake
 * for each worker's score (eng_worker_min_stake) plus EXTRA_BOND_TOKENS per place in its pool. */
static void populate(struct setup *s, const uint8_t (*workers)[20], const char *secret_path, const uint8_t runtime[32])
{
    size_t delegators = s->r->delegators;
    unsigned each = (unsigned)(POOL_STAKE_TOKENS * POOLS / delegators);
    for (size_t j = 0; j < POOLS; j++) {
        cJSON *msg = message(0);
        add_u64(msg, "commissionPpm", 100000);
        add_tokens(msg, "capacity", 1000000);
        send_tx(s, "PoolCreate", msg, "owner", j);
    }
    settle_up(s, "PoolCreate");
    register_workers(s, secret_path, runtime);
    /* the pools were made in this order: owner j has pool j + 1 */
    for (size_t j = 0; j < POOLS; j++)
        for (unsigned k = 0; k < WORKERS_PER_POOL; k++) {
            cJSON *msg = message(1 + k);
            add_u64(msg, "pool", j + 1);
            add_address(msg, "worker", workers[j * WORKERS_PER_POOL + k]);
            send_tx(s, "WorkerAdd", msg, "owner", j);
        }
    settle_up(s, "WorkerAdd");
    for (size_t i = 0; i < delegators; i++) {
        cJSON *msg = message(0);
        add_u64(msg, "pool", i % POOLS + 1);
        add_tokens(msg, "amount", each);
        send_tx(s, "Contribute", msg, "delegator", i);
    }
    settle_up(s, "Contribute");
    mpz_t amount, extra;
    mpz_inits(amount, extra, NULL);
    for (size_t j = 0; j < POOLS; j++)
        for (unsigned k = 0; k < WORKERS_PER_POOL; k++) {
            size_t w = j * WORKERS_PER_POOL + k;
            char text[LEDGER_AMOUNT_STRLEN + 8];
            if (eng_worker_min_stake(s->e, score_of(w), amount) != ST_OK)
                bench_die("eng_worker_min_stake");
            if (mpz_set_str(extra, "1" ZEROS_18, 10) != 0)
                bench_die("a token");
            mpz_mul_ui(extra, extra, (unsigned long)k * EXTRA_BOND_TOKENS);
            mpz_add(amount, amount, extra);
            if (mpz_sizeinbase(amount, 10) + 2 > sizeof text)
                bench_die("a bond too large");
            mpz_get_str(text, 10, amount);
            cJSON *msg = message(1 + WORKERS_PER_POOL + k);
            add_u64(msg, "pool", j + 1);
            add_address(msg, "worker", workers[w]);
            add_string(msg, "amount", text);
            send_tx(s, "WorkerBond", msg, "owner", j);
        }
    mpz_clears(amount, extra, NULL);
    settle_up(s, "WorkerBond");
}

/* The heartbeats of an epoch, slot by slot, the clock moved one slot between them; from the
 * epoch's first slot, it leaves the clock in its last. Each answers the slot's challenge as the
 * node gives it (eng_challenge_now), with a sample of claim_pct percent of the worker's P. */
static void heartbeats(struct setup *s, const uint8_t (*workers)[20], uint64_t epoch)
{
    for (unsigned slot = 0; slot < SLOTS; slot++) {
        if (slot > 0)
            advance(s->e, SLOT_SECS);
        for (size_t w = 0; w < WORKERS; w++) {
            if (!answers(w, epoch, slot))
                continue;
            eng_challenge c;
            if (eng_challenge_now(s->e, workers[w], &c) != ST_OK)
                bench_die("eng_challenge_now");
            if (c.epoch != epoch || c.slot != slot)
                bench_die("the node's clock is not in the slot the bench is in");
            cJSON *msg = message(s->worker_nonce[w]++);
            add_u64(msg, "epoch", c.epoch);
            add_u64(msg, "slot", c.slot);
            add_hex(msg, "challenge", c.challenge, sizeof c.challenge);
            add_u64(msg, "iterations", (uint64_t)score_of(w) * 10u * claim_pct(w, epoch, slot));
            add_u64(msg, "micros", 1000000);
            send_tx(s, "WorkerHeartbeat", msg, "worker", w);
        }
        flush(s);
    }
    char what[40];
    snprintf(what, sizeof what, "WorkerHeartbeat of epoch %llu", (unsigned long long)epoch);
    settle_up(s, what);
}

/* The pure steps of the settlement, in process, on the stored inputs and report of the settled
 * epoch: what the enclave does (parse, compute) and what the host checks (report parse, signature,
 * enc_settle_report_check, which recomputes the report). */
static void pure_steps(struct run *r, const ledger_settlement *s)
{
    enc_settle_input in;
    enc_settle_report mine, theirs;
    enc_settle_input_init(&in);
    enc_settle_report_init(&mine);
    enc_settle_report_init(&theirs);
    double t0 = bench_now();
    if (enc_settle_input_parse(&in, s->inputs, s->inputs_len) != ST_OK)
        bench_die("the settled inputs do not parse");
    r->input_parse_s = bench_now() - t0;
    uint8_t *text = NULL;
    size_t len = 0;
    t0 = bench_now();
    if (enc_settle_input_serialize(&text, &len, &in) != ST_OK)
        bench_die("cannot serialize the settled inputs again");
    r->serialize_s = bench_now() - t0;
    r->inputs_canonical = len == s->inputs_len && memcmp(text, s->inputs, len) == 0;
    free(text);
    r->compute_s = 1e9;
    for (unsigned i = 0; i < COMPUTE_REPEAT; i++) {
        enc_settle_report_clear(&mine);
        enc_settle_report_init(&mine);
        t0 = bench_now();
        if (enc_settle_compute(&mine, &in) != ST_OK)
            bench_die("enc_settle_compute failed");
        double took = bench_now() - t0;
        if (took < r->compute_s)
            r->compute_s = took;
    }
    t0 = bench_now();
    if (enc_settle_report_parse(&theirs, s->report, s->report_len) != ST_OK)
        bench_die("the settled report does not parse");
    r->report_parse_s = bench_now() - t0;
    t0 = bench_now();
    if (enc_settle_report_verify(&theirs, s->enclave) != ST_OK)
        bench_die("the settled report is not signed by its enclave");
    r->verify_s = bench_now() - t0;
    char why[200];
    t0 = bench_now();
    if (enc_settle_report_check(why, sizeof why, &theirs, &in) != ST_OK)
        bench_die(why);
    r->check_s = bench_now() - t0;
    memcpy(mine.signature, theirs.signature, sizeof mine.signature);
    text = NULL;
    if (enc_settle_report_serialize(&text, &len, &mine) != ST_OK)
        bench_die("cannot serialize the report computed here");
    r->report_same = len == s->report_len && memcmp(text, s->report, len) == 0;
    free(text);
    memcpy(r->input_hash, s->input_hash, sizeof r->input_hash);
    r->n_workers = in.n_workers;
    for (size_t i = 0; i < in.n_workers; i++) {
        const enc_worker_in *w = &in.workers[i];
        size_t answered = 0;
        uint32_t cap = (uint32_t)((uint64_t)w->score * 6 / 5);
        for (size_t k = 0; k < w->n_perf; k++) {
            answered += w->perf[k] > 0;
            r->n_capped += w->perf[k] > 0 && w->perf[k] == cap;
        }
        r->n_all_slots += answered == w->n_perf;
        r->n_some_slots += answered > 0 && answered < w->n_perf;
        r->n_no_slot += answered == 0;
        r->n_started += w->started;
    }
    r->n_ops = theirs.n_ops;
    for (size_t i = 0; i < theirs.n_ops; i++) {
        r->n_emissions += theirs.ops[i].kind == ENC_OP_POOL_EMISSION;
        r->n_values += theirs.ops[i].kind == ENC_OP_WORKER_VALUE;
    }
    enc_settle_report_clear(&theirs);
    enc_settle_report_clear(&mine);
    enc_settle_input_clear(&in);
}

/* Settles an epoch whose heartbeats are in: times eng_advance_time past its end, with the
 * wrapper's view of the enclave exchange inside it. Checks that it was settled. */
static void settle_epoch(struct block_run *b, eng *e, uint64_t epoch)
{
    ledger *l = eng_ledger(e);
    ledger_block before, after;
    if (ledger_block_head(l, &before) != ST_OK)
        bench_die("ledger_block_head");
    memset(&settle_call, 0, sizeof settle_call);
    bool reset = reset_hwm();
    b->rss_kb = proc_status_kb(0, "VmRSS");
    perf_control("enable");
    double w0 = bench_now(), c0 = bench_cpu();
    advance(e, EPOCH_SECS - (SLOTS - 1) * SLOT_SECS);
    double w1 = bench_now(), c1 = bench_cpu();
    perf_control("disable");
    b->hwm_kb = reset ? proc_status_kb(0, "VmHWM") : -1;
    b->total_wall = w1 - w0;
    b->total_cpu = c1 - c0;
    b->settle_calls = settle_call.calls;
    if (settle_call.calls == 1 && !settle_call.open) {
        b->before_wall = settle_call.wall0 - w0;
        b->before_cpu = settle_call.cpu0 - c0;
        b->call_wall = settle_call.wall1 - settle_call.wall0;
        b->call_cpu = settle_call.cpu1 - settle_call.cpu0;
        b->after_wall = w1 - settle_call.wall1;
        b->after_cpu = c1 - settle_call.cpu1;
        b->enclave_cpu = settle_call.enclave_cpu0 >= 0 && settle_call.enclave_cpu1 >= 0
                             ? settle_call.enclave_cpu1 - settle_call.enclave_cpu0 : -1;
        b->enclave_hwm_kb = settle_call.enclave_hwm_kb;
    }
    if (ledger_block_head(l, &after) != ST_OK)
        bench_die("ledger_block_head");
    b->blocks = after.height - before.height;

    ledger_settlement st;
    memset(&st, 0, sizeof st);
    if (ledger_settlement_get(l, epoch, &st) != ST_OK) {
        fprintf(stderr, "bench_settlement: epoch %llu was not settled (no settlement row)\n",
                (unsigned long long)epoch);
        exit(1);
    }
    ledger_settlement_clear(&st);
    fprintf(stderr, "bench_settlement: epoch %llu settled: %.1f ms\n", (unsigned long long)epoch, b->total_wall * 1e3);
}
/* The fastest block, the median and slowest wall times, and the largest peaks of memory. */
static void pick_best(struct run *r)
{
    unsigned order[EPOCHS];
    for (unsigned i = 0; i < EPOCHS; i++) {
        unsigned j = i;
        for (; j > 0 && r->epochs[order[j - 1]].total_wall > r->epochs[i].total_wall; j--)
            order[j] = order[j - 1];
        order[j] = i;
    }
    r->best = r->epochs[order[0]];
    r->median = r->epochs[order[EPOCHS / 2]].total_wall;
    r->slowest = r->epochs[order[EPOCHS - 1]].total_wall;
    r->hwm_kb = r->enclave_hwm_kb = 0;
    for (unsigned i = 0; i < EPOCHS; i++) {
        const struct block_run *b = &r->epochs[i];
        r->hwm_kb = b->hwm_kb < 0 || r->hwm_kb < 0 ? -1 : (b->hwm_kb > r->hwm_kb ? b->hwm_kb : r->hwm_kb);
        r->enclave_hwm_kb = b->enclave_hwm_kb > r->enclave_hwm_kb ? b->enclave_hwm_kb : r->enclave_hwm_kb;
    }
}

/* One run, in this (forked) process: set up, settle, check, measure. */
static void run_settlement(struct run *r, const char *enclave)
{
    char dir[64], db_path[128], secret_path[128], sealed_dir[128];
    snprintf(dir, sizeof dir, "/tmp/conclave-bench-XXXXXX");
    if (!mkdtemp(dir))
        bench_die("mkdtemp");
    snprintf(db_path, sizeof db_path, "%s/conclave.db", dir);
    uint8_t platform[20], measurement[32], runtime[32];
    platform_setup(dir, enclave, secret_path, sealed_dir, platform, measurement);
    ledger_sha256(runtime, runtime_name, sizeof runtime_name - 1);

    double setup0 = bench_now();
    uint8_t (*workers)[20] = calloc(WORKERS, sizeof *workers);
    uint64_t *nonces = calloc(WORKERS, sizeof *nonces);
    if (!workers || !nonces)
        bench_die("out of memory");
    for (size_t w = 0; w < WORKERS; w++)
        address_of(workers[w], "worker", w);
    char *genesis = genesis_json(r->delegators, platform, measurement, runtime);
    r->addresses_s = bench_now() - setup0;
    eng *e = bench_eng_open(db_path, genesis, &r->open_s);
    cJSON_free(genesis);
    fprintf(stderr, "bench_settlement: %zu delegators: genesis of %zu accounts applied (addresses %.1f s, "
            "eng_open %.1f s)\n", r->delegators, (size_t)POOLS + r->delegators, r->addresses_s, r->open_s);
    if (eng_enclave_configure(e, enclave, secret_path, sealed_dir) != ST_OK)
        bench_die("the enclave did not start");
    if (eng_flush(e) != ST_OK)
        bench_die("a block could not be written");
    ledger *l = eng_ledger(e);
    uint8_t registered[20];
    if (ledger_enclave_latest(l, registered) != ST_OK)
        bench_die("the enclave is not registered");

    struct setup s = { .e = e, .r = r, .worker_nonce = nonces };
    populate(&s, (const uint8_t (*)[20])workers, secret_path, runtime);
    r->setup_s = bench_now() - setup0;

    double epochs0 = bench_now();
    for (uint64_t epoch = 0; epoch < EPOCHS; epoch++) {
        heartbeats(&s, (const uint8_t (*)[20])workers, epoch);
        settle_epoch(&r->epochs[epoch], e, epoch);
    }
    r->epochs_s = bench_now() - epochs0;
    pick_best(r);

    /* checks: every epoch is settled (settle_epoch), every invariant holds */
    ledger_settlement st;
    memset(&st, 0, sizeof st);
    if (ledger_settlement_get(l, EPOCHS - 1, &st) != ST_OK)
        bench_die("the last epoch was not settled (no settlement row)");
    r->settlement_height = st.height;
    r->inputs_len = st.inputs_len;
    r->report_len = st.report_len;
    ledger_audit_report audit;
    double t0 = bench_now();
    if (ledger_audit(l, &audit) != ST_OK)
        bench_die("ledger_audit failed");
    r->audit_s = bench_now() - t0;
    for (unsigned i = 0; i < audit.n_checks; i++)
        if (!audit.checks[i].ok) {
            fprintf(stderr, "bench_settlement: audit %s: %s\n", audit.checks[i].name, audit.checks[i].detail);
            exit(1);
        }
    if (!audit.ok)
        bench_die("the audit failed");
    /* worker 0 answered only slot 0 of each epoch: settlement moved its V, never its stake */
    ledger_worker w;
    ledger_worker_init(&w);
    mpz_t bond;
    mpz_init(bond);
    if (ledger_worker_get(l, workers[0], &w) != ST_OK || eng_worker_min_stake(e, score_of(0), bond) != ST_OK)
        bench_die("worker 0 is gone");
    if (mpz_cmp(w.bonded, bond) != 0)
        bench_die("worker 0's stake changed: settlement version 2 slashes nothing");
    if (!w.started || mpz_sgn(w.value) <= 0)
        bench_die("worker 0 has no value promise after three settlements");
    mpz_clear(bond);
    ledger_worker_clear(&w);

    pure_steps(r, &st);
    ledger_settlement_clear(&st);
    free(nonces);
    free(workers);
    eng_close(e);
    long end_rss = bench_maxrss_kb(RUSAGE_SELF);
    r->maxrss_kb = end_rss > peak_before_reset_kb ? end_rss : peak_before_reset_kb;
    bench_remove_dir(dir);
}

/* Runs run_settlement in a child process, so that its ru_maxrss is the run's. (The enclave is
 * measured by VmHWM, not RUSAGE_CHILDREN: a child's ru_maxrss also counts the copy of the host it
 * was between fork and exec.) */
static void run_forked(struct run *r, const char *enclave)
{
    int fds[2];
    if (pipe(fds) != 0)
        bench_die("pipe");
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0)
        bench_die("fork");
    if (pid == 0) {
        close(fds[0]);
        run_settlement(r, enclave);
        const char *p = (const char *)r;
        size_t left = sizeof *r;
        while (left > 0) {
            ssize_t put = write(fds[1], p, left);
            if (put <= 0)
                _exit(1);
            p += put;
            left -= (size_t)put;
        }
        _exit(0);
    }
    close(fds[1]);
    char *p = (char *)r;
    size_t left = sizeof *r;
    while (left > 0) {
        ssize_t got = read(fds[0], p, left);
        if (got <= 0)
            break;
        p += got;
        left -= (size_t)got;
    }
    close(fds[0]);
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0 || left != 0)
        bench_die("a run failed");
}

/* ---- report ---- */


#define LABEL_W 60

static void row_ms(const char *label, double few, double many)
{
    if (few < 0 || many < 0) {
        printf("%-*s %12s %12s\n", LABEL_W, label, "n/a", "n/a");
        return;
    }
    printf("%-*s %12.1f %12.1f %8.2fx\n", LABEL_W, label, few * 1e3, many * 1e3, few > 0 ? many / few : 0.0);
}

static void row_mib(const char *label, long few, long many)
{
    if (few < 0 || many < 0)
        printf("%-*s %12s %12s\n", LABEL_W, label, "n/a", "n/a");
    else if (few < 1024 || many < 1024) /* under a MiB: a ratio would say nothing */
        printf("%-*s %12.1f %12.1f\n", LABEL_W, label, (double)few / 1024.0, (double)many / 1024.0);
    else
        printf("%-*s %12.1f %12.1f %8.2fx\n", LABEL_W, label, (double)few / 1024.0, (double)many / 1024.0,
               (double)many / (double)few);
}

static void row_count(const char *label, size_t few, size_t many)
{
    printf("%-*s %12zu %12zu\n", LABEL_W, label, few, many);
}

/* Whatever the wrapper did not see is n/a: a link without --wrap, or more than one request. */
static double seen(const struct run *r, double v)
{
    return r->best.settle_calls == 1 ? v : -1;
}

/* The host's wall time after the enclave answered, less two reads of the inputs (the engine reads
 * them again to see they did not change, and once more when it applies the Settlement; each about
 * the "before" part) and the report's parse, signature and check as timed in process: what is left
 * is applying the operations, the Tick, hex and JSON, storing and committing the block. */
static double rest_after(const struct run *r)
{
    const struct block_run *b = &r->best;
    return seen(r, b->after_wall - (2 * b->before_wall + r->report_parse_s + r->verify_s + r->check_s));
}

/* How far this process's resident set rose during the fastest settlement block, KiB (-1: unknown). */
static long growth(const struct run *r)
{
    return r->best.hwm_kb < 0 || r->best.rss_kb < 0 ? -1 : r->best.hwm_kb - r->best.rss_kb;
}

int main(int argc, char **argv)
{
    const char *enclave = argc > 1 ? argv[1] : "./conclave-enclave";
    if (access(enclave, X_OK) != 0) {
        fprintf(stderr, "usage: bench_settlement [PATH-TO-conclave-enclave]\n");
        return 2;
    }
    struct run few = { .delegators = FEW_DELEGATORS }, many = { .delegators = MANY_DELEGATORS };
    run_forked(&few, enclave);
    run_forked(&many, enclave);

    bench_print_machine();
    char head_few[32], head_many[32], label[128];
    snprintf(head_few, sizeof head_few, "%zu deleg.", few.delegators);
    snprintf(head_many, sizeof head_many, "%zu deleg.", many.delegators);
    snprintf(label, sizeof label, "settling an epoch: %d workers in %d pools, ms (best of %d)", WORKERS, POOLS,
             EPOCHS);
    printf("%-*s %12s %12s %9s\n", LABEL_W, label, head_few, head_many, "ratio");
    const struct block_run *bf = &few.best, *bm = &many.best;
    snprintf(label, sizeof label, "settlement block: eng_advance_time past the end (wall)");
    row_ms(label, bf->total_wall, bm->total_wall);
    row_ms("  the same, CPU of this process", bf->total_cpu, bm->total_cpu);
    row_ms("  before the enclave call: inputs from the ledger (wall)", seen(&few, bf->before_wall),
           seen(&many, bm->before_wall));
    row_ms("  enclave round trip, wrapped exchange (wall)", seen(&few, bf->call_wall), seen(&many, bm->call_wall));
    row_ms("    CPU of the enclave process in it", seen(&few, bf->enclave_cpu), seen(&many, bm->enclave_cpu));
    row_ms("  after its answer: verify, apply, commit (wall)", seen(&few, bf->after_wall), seen(&many, bm->after_wall));
    row_ms("    the same, CPU of this process", seen(&few, bf->after_cpu), seen(&many, bm->after_cpu));
    snprintf(label, sizeof label, "  median of the %d blocks (wall)", EPOCHS);
    row_ms(label, few.median, many.median);
    snprintf(label, sizeof label, "  slowest of the %d blocks (wall)", EPOCHS);
    row_ms(label, few.slowest, many.slowest);
    printf("in process, on the settled epoch's stored inputs and report\n");
    row_ms("  enc_settle_input_parse (the enclave's first step)", few.input_parse_s, many.input_parse_s);
    row_ms("  enc_settle_input_serialize (== the stored bytes)", few.serialize_s, many.serialize_s);
    snprintf(label, sizeof label, "  enc_settle_compute (best of %d)", COMPUTE_REPEAT);
    row_ms(label, few.compute_s, many.compute_s);
    row_ms("  host check: report parse + signature + report_check", few.report_parse_s + few.verify_s + few.check_s,
           many.report_parse_s + many.verify_s + many.check_s);
    row_ms("  derived: after its answer, less 2 input reads and check", rest_after(&few), rest_after(&many));
    row_ms("ledger_audit afterwards (not part of the settlement)", few.audit_s, many.audit_s);
    printf("peak memory, MiB\n");
    row_mib("  this process, ru_maxrss (set-up included)", few.maxrss_kb, many.maxrss_kb);
    row_mib("  this process, VmHWM during a settlement block (largest)", few.hwm_kb, many.hwm_kb);
    row_mib("    growth over its RSS just before (fastest block)", growth(&few), growth(&many));
    row_mib("  enclave, VmHWM when it answered (largest)", seen(&few, 0) < 0 ? -1 : few.enclave_hwm_kb,
            seen(&many, 0) < 0 ? -1 : many.enclave_hwm_kb);
    printf("what the last epoch settled\n");
    row_count("  workers in the inputs", few.n_workers, many.n_workers);
    row_count("    answering every slot", few.n_all_slots, many.n_all_slots);
    row_count("    answering some slots (runs of both kinds)", few.n_some_slots, many.n_some_slots);
    row_count("    answering none", few.n_no_slot, many.n_no_slot);
    row_count("    started (V carried from the epoch before)", few.n_started, many.n_started);
    row_count("  slot performances capped at floor(6P/5)", few.n_capped, many.n_capped);
    row_count("  operations: pool emissions", few.n_emissions, many.n_emissions);
    row_count("  operations: worker values", few.n_values, many.n_values);
    row_count("  operations in all", few.n_ops, many.n_ops);
    row_count("  inputs, bytes", few.inputs_len, many.inputs_len);
    row_count("  signed report, bytes", few.report_len, many.report_len);
    row_count("  blocks made by the advance", few.best.blocks, many.best.blocks);

    char limit[64];
    snprintf(limit, sizeof limit, "the same at %zu delegators", few.delegators);
    snprintf(label, sizeof label, "settlement block at %zu delegators (wall)", many.delegators);
    bench_row(label, bm->total_wall * 1e3, "ms", limit, bf->total_wall * 1e3, "independent: ~1x");
    const struct run *runs[2] = { &few, &many };
    bool same_inputs = memcmp(few.input_hash, many.input_hash, sizeof few.input_hash) == 0;
    printf("\n");
    for (int i = 0; i < 2; i++) {
        const struct run *r = runs[i];
        printf("%zu delegators: staking set-up %.1f s (addresses %.1f s, eng_open %.1f s), heartbeats and\n"
               "  settlements of %d epochs %.1f s; in all, signing %zu transactions %.1f s, engine %.1f s;\n"
               "  epoch %d settled at height %llu; audit ok; stored inputs %s; report computed here %s\n"
               "  the enclave's\n",
               r->delegators, r->setup_s, r->addresses_s, r->open_s, EPOCHS, r->epochs_s, r->transactions, r->sign_s,
               r->engine_s, EPOCHS - 1, (unsigned long long)r->settlement_height,
               r->inputs_canonical ? "canonical" : "NOT CANONICAL", r->report_same ? "==" : "DIFFERS FROM");
        if (r->best.settle_calls != 1)
            printf("  NOTE: the wrapper saw %u settlement exchanges (linked without "
                   "-Wl,--wrap=enc_host_exchange_begin,--wrap=enc_host_exchange_step?)\n", r->best.settle_calls);
    }
    printf("the last epoch's inputs of the two runs: %s\n", same_inputs ? "the same bytes" : "DIFFERENT");
    double ratio = bf->total_wall > 0 ? bm->total_wall / bf->total_wall : 0;
    if (ratio >= 2.0)
        printf("NOTE: settling costs %.1fx more with %zu delegators than with %zu: it grows with delegators\n", ratio,
               many.delegators, few.delegators);
    return same_inputs && few.inputs_canonical && many.inputs_canonical && few.report_same && many.report_same ? 0 : 1;
}
