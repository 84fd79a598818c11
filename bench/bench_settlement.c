/* SPDX-License-Identifier: MIT */
/* bench_settlement.c: `make bench`, third part: what settling an epoch costs. In process, on the
 * engine with a ledger in a temporary directory and the real conclave-enclave: 1,000 pools of 10
 * workers, staked by 100,000 delegators and again by 1,000 (the same stake per pool, so the inputs
 * are the same), one heartbeat per worker per slot (some miss slots and fall below the uptime
 * threshold), then the clock moves past the epoch's end and that call, which makes the settlement
 * block, is timed: three epochs, the fastest block shown, as others may share the machine. The link
 * wraps enc_host_call (bench/local.mk), so the enclave round trip is timed where it leaves the host
 * and the enclave is measured while it still runs; the pure steps are timed again in process on the
 * same inputs. Each run is a forked child, so its peak memory is its own. Settling must not cost
 * more with more delegators. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "enclave/enclave.h"
#include "enclave/settle.h"
#include "bench/benchlib.h"
#include "engine/engine.h"
#include "engine/genesis.h"
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
#define SLOT_SECS 600u
#define SLOTS 4u                   /* heartbeat slots in the epoch */
#define EPOCH_SECS (SLOT_SECS * SLOTS)
#define POOL_STAKE_TOKENS 1000u    /* what a pool's delegators stake in all, whatever their number */
#define BOND_TOKENS(k) (50u + 5u * (k)) /* worker k of a pool: 725 tokens bonded per pool */
#define ZEROS_18 "000000000000000000"
#define COMPUTE_REPEAT 3           /* enc_settle_compute in process: the best of these */
#define EPOCHS 3                   /* epochs settled in a run; the table shows the fastest block */
#define PAGE 256

/* The "rewards" of the genesis, written out so the inputs can be assembled here too. */
#define BUDGET_PER_EPOCH "1000000000000000000000"
#define DECAY_PERIOD (180u * 86400u)
#define DECAY_PPM 250000u
#define TREASURY_PPM 200000u
#define RE_PPM 1500000u
#define RIG_K_PPM 300000u
#define UPTIME_THRESHOLD_PPM 500000u
#define SLASH_PPM 10000u
#define FEE_PPM 50000u
static const uint32_t conf_ppm[ENC_CONF_LEVELS] = { 1000000, 1000000, 1000000, 800000, 700000 };
/* The whole-number members of the genesis "rewards" (budgetPerEpoch and confPpm are written apart). */
static const struct {
    const char *key;
    double value;
} reward_numbers[] = {
    { "decayPeriodSecs", DECAY_PERIOD }, { "decayPpm", DECAY_PPM }, { "treasuryPpm", TREASURY_PPM },
    { "rePpm", RE_PPM }, { "rigKPpm", RIG_K_PPM }, { "uptimeThresholdPpm", UPTIME_THRESHOLD_PPM },
    { "slashPpm", SLASH_PPM }, { "feePpm", FEE_PPM },
};

/* Slots worker w is seen in, from slot 0: a tenth in one of four (25%, under the 50% threshold:
 * slashed, unpaid), a tenth in three (75%), the rest in all. */
static unsigned slots_of(size_t w)
{
    return w % 10 == 0 ? 1 : w % 10 == 1 ? 3 : SLOTS;
}

/* One settlement block: eng_advance_time past an epoch's end. Times in s, CPU of this process
 * unless said otherwise; memory in KiB. */
struct block_run {
    double total_wall, total_cpu;
    double before_wall, before_cpu;           /* until the enclave is called: reading the inputs */
    double call_wall, call_cpu;               /* the wrapped enc_host_call */
    double enclave_cpu;                       /* the enclave's CPU in that call (-1: unknown) */
    double after_wall, after_cpu;             /* from its answer until eng_advance_time returns */
    unsigned settle_calls;                    /* SETTLE_REQ calls seen by the wrapper (1 expected) */
    uint64_t blocks;                          /* blocks the advance made */
    double assemble_s, serialize_s;           /* the same inputs, assembled here just before */
    bool inputs_same;                         /* ... and byte for byte the settled ones */
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
    /* in process, on the last epoch's settled inputs and report; s */
    double input_parse_s, compute_s, report_parse_s, verify_s, check_s, audit_s;
    bool inputs_same;                         /* in every epoch */
    bool report_same;                         /* computed here == the enclave's report, signature aside */
    long maxrss_kb;                           /* this process, whole run, KiB */
    long hwm_kb, enclave_hwm_kb;              /* the largest of the epochs' */
    /* what the last epoch settled */
    size_t n_workers, n_paid, n_slashed, n_emissions, n_ops;
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


/* ---- the enclave round trip, timed from the host's side ----
 * bench/local.mk links this program with -Wl,--wrap=enc_host_call: the engine's calls to the
 * enclave come here first and go on to the real function. */

int __real_enc_host_call(enc_host *h, uint8_t type, const uint8_t *payload, size_t len, uint8_t *resp_type,
                         uint8_t **resp, size_t *resp_len, int timeout_ms);
int __wrap_enc_host_call(enc_host *h, uint8_t type, const uint8_t *payload, size_t len, uint8_t *resp_type,
                         uint8_t **resp, size_t *resp_len, int timeout_ms);

static struct settle_call {
    unsigned calls;
    double wall0, wall1, cpu0, cpu1;          /* this process, s */
    double enclave_cpu0, enclave_cpu1;        /* the enclave's CPU so far, s (-1: unknown) */
    long enclave_hwm_kb;
} settle_call;

int __wrap_enc_host_call(enc_host *h, uint8_t type, const uint8_t *payload, size_t len, uint8_t *resp_type,
                         uint8_t **resp, size_t *resp_len, int timeout_ms)
{
    if (type != ENC_MSG_SETTLE_REQ)
        return __real_enc_host_call(h, type, payload, len, resp_type, resp, resp_len, timeout_ms);
    struct settle_call *c = &settle_call;
    pid_t pid = enc_host_pid(h);
    c->calls++;
    c->enclave_cpu0 = proc_cpu_seconds(pid);
    c->wall0 = bench_now();
    c->cpu0 = bench_cpu();
    int rc = __real_enc_host_call(h, type, payload, len, resp_type, resp, resp_len, timeout_ms);
    c->wall1 = bench_now();
    c->cpu1 = bench_cpu();
    c->enclave_cpu1 = proc_cpu_seconds(pid);
    c->enclave_hwm_kb = proc_status_kb(pid, "VmHWM");
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

/* A genesis funding the owners, the workers (addresses given) and the delegators, whose platform
 * and allowlist are this machine's and this enclave build's. Caller frees with cJSON_free. */
static char *genesis_json(size_t delegators, const uint8_t (*workers)[20], const uint8_t platform[20],
                          const uint8_t measurement[32])
{
    cJSON *root = cJSON_CreateObject(), *accounts = cJSON_CreateArray(), *rewards = cJSON_CreateObject();
    cJSON *conf = cJSON_CreateArray(), *compute = cJSON_CreateObject(), *enclave = cJSON_CreateObject();
    cJSON *measurements = cJSON_CreateArray();
    if (!root || !accounts || !rewards || !conf || !compute || !enclave || !measurements
        || !cJSON_AddItemToObject(root, "accounts", accounts) || !cJSON_AddItemToObject(root, "rewards", rewards)
        || !cJSON_AddItemToObject(rewards, "confPpm", conf) || !cJSON_AddItemToObject(root, "compute", compute)
        || !cJSON_AddItemToObject(root, "enclave", enclave)
        || !cJSON_AddItemToObject(enclave, "measurements", measurements))
        bench_die("out of memory");
    cJSON_AddNumberToObject(root, "chainId", CHAIN_ID);
    cJSON_AddNumberToObject(root, "time", GENESIS_TIME);
    cJSON_AddNumberToObject(root, "epochSecs", EPOCH_SECS);
    cJSON_AddNumberToObject(compute, "heartbeatSecs", SLOT_SECS);
    add_string(rewards, "budgetPerEpoch", BUDGET_PER_EPOCH);
    for (size_t i = 0; i < sizeof reward_numbers / sizeof reward_numbers[0]; i++)
        cJSON_AddNumberToObject(rewards, reward_numbers[i].key, reward_numbers[i].value);
    for (unsigned i = 0; i < ENC_CONF_LEVELS; i++) {
        cJSON *n = cJSON_CreateNumber(conf_ppm[i]);
        if (!n || !cJSON_AddItemToArray(conf, n))
            bench_die("out of memory");
    }
    char hex[67];
    ledger_hex_encode(hex, measurement, 32);
    add_address(enclave, "platform", platform);
    cJSON *m = cJSON_CreateString(hex);
    if (!m || !cJSON_AddItemToArray(measurements, m))
        bench_die("out of memory");

    uint8_t addr[20];
    for (size_t j = 0; j < POOLS; j++) {
        address_of(addr, "owner", j);
        add_account(accounts, addr, 1);
    }
    for (size_t w = 0; w < WORKERS; w++)
        add_account(accounts, workers[w], 1);
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

/* The staking set-up: pools, workers, stake, bonds. */
static void populate(struct setup *s, const uint8_t (*workers)[20])
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
    for (size_t j = 0; j < POOLS; j++)
        for (unsigned k = 0; k < WORKERS_PER_POOL; k++) {
            cJSON *msg = message(1 + WORKERS_PER_POOL + k);
            add_u64(msg, "pool", j + 1);
            add_address(msg, "worker", workers[j * WORKERS_PER_POOL + k]);
            add_tokens(msg, "amount", BOND_TOKENS(k));
            send_tx(s, "WorkerBond", msg, "owner", j);
        }
    settle_up(s, "WorkerBond");
}

/* The heartbeats of an epoch, slot by slot, the clock moved one slot between them; from the
 * epoch's first slot, it leaves the clock in its last. */
static void heartbeats(struct setup *s, uint64_t epoch)
{
    for (unsigned slot = 0; slot < SLOTS; slot++) {
        if (slot > 0)
            advance(s->e, SLOT_SECS);
        for (size_t w = 0; w < WORKERS; w++) {
            if (slots_of(w) <= slot)
                continue;
            /* a worker seen in slot n was seen in every slot before it, in every epoch */
            cJSON *msg = message(epoch * slots_of(w) + slot);
            add_u64(msg, "epoch", epoch);
            add_u64(msg, "score", 100 + (w + epoch) % 900);
            send_tx(s, "Heartbeat", msg, "worker", w);
        }
        flush(s);
    }
    char what[32];
    snprintf(what, sizeof what, "Heartbeat of epoch %llu", (unsigned long long)epoch);
    settle_up(s, what);
}

/* The epoch's inputs read through the ledger's API, the way the engine assembles them. */
static void assemble_inputs(ledger *l, uint64_t epoch, enc_settle_input *in)
{
    in->chain_id = CHAIN_ID;
    in->epoch = epoch;
    in->epoch_start = GENESIS_TIME + epoch * EPOCH_SECS;
    in->epoch_end = in->epoch_start + EPOCH_SECS;
    in->genesis_time = GENESIS_TIME;
    if (mpz_set_str(in->params.budget_per_epoch, BUDGET_PER_EPOCH, 10) != 0)
        bench_die("budget");
    in->params.decay_period = DECAY_PERIOD;
    in->params.decay_ppm = DECAY_PPM;
    in->params.treasury_ppm = TREASURY_PPM;
    in->params.re_ppm = RE_PPM;
    in->params.rig_k_ppm = RIG_K_PPM;
    memcpy(in->params.conf_ppm, conf_ppm, sizeof conf_ppm);
    in->params.uptime_threshold_ppm = UPTIME_THRESHOLD_PPM;
    in->params.slash_ppm = SLASH_PPM;
    in->params.fee_ppm = FEE_PPM;
    ledger_worker page[PAGE];
    for (unsigned i = 0; i < PAGE; i++)
        ledger_worker_init(&page[i]);
    uint8_t after[20];
    unsigned n = 0;
    bool first = true;
    do {
        if (ledger_worker_all(l, first ? NULL : after, page, PAGE, &n) != ST_OK)
            bench_die("ledger_worker_all");
        for (unsigned i = 0; i < n; i++) {
            uint64_t slots, sum;
            if (ledger_heartbeat_summary(l, page[i].address, epoch, &slots, &sum) != ST_OK)
                bench_die("ledger_heartbeat_summary");
            if (slots == 0 && mpz_sgn(page[i].bonded) == 0)
                continue;
            enc_worker_in *w = enc_settle_input_add_worker(in);
            if (!w)
                bench_die("out of memory");
            memcpy(w->address, page[i].address, 20);
            w->pool = page[i].pool;
            mpz_set(w->stake, page[i].bonded);
            w->score = slots ? (uint32_t)(sum / slots) : 0;
            w->conf_level = page[i].conf_level ? page[i].conf_level : 1;
            w->uptime_ppm = slots >= SLOTS ? 1000000u : (uint32_t)(slots * 1000000u / SLOTS);
        }
        if (n)
            memcpy(after, page[n - 1].address, 20);
        first = false;
    } while (n == PAGE);
    for (unsigned i = 0; i < PAGE; i++)
        ledger_worker_clear(&page[i]);
    uint64_t ids[PAGE];
    if (ledger_channel_owing(l, 0, ids, PAGE, &n) != ST_OK || n != 0)
        bench_die("this benchmark opens no payment channels");
}

/* The pure steps of the settlement, in process, on the settled inputs and report. */
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
    r->compute_s = 1e9;
    for (unsigned i = 0; i < COMPUTE_REPEAT; i++) {
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
    uint8_t *text = NULL;
    size_t len = 0;
    if (enc_settle_report_serialize(&text, &len, &mine) != ST_OK)
        bench_die("cannot serialize the report computed here");
    r->report_same = len == s->report_len && memcmp(text, s->report, len) == 0;
    free(text);
    r->n_workers = in.n_workers;
    for (size_t i = 0; i < in.n_workers; i++)
        if (in.workers[i].uptime_ppm >= UPTIME_THRESHOLD_PPM)
            r->n_paid++;
    r->n_ops = theirs.n_ops;
    for (size_t i = 0; i < theirs.n_ops; i++) {
        r->n_slashed += theirs.ops[i].kind == ENC_OP_SLASH;
        r->n_emissions += theirs.ops[i].kind == ENC_OP_POOL_EMISSION;
    }
    enc_settle_report_clear(&theirs);
    enc_settle_report_clear(&mine);
    enc_settle_input_clear(&in);
}

/* Settles an epoch whose heartbeats are in: assembles its inputs here first (the state the
 * settlement reads), then times eng_advance_time past its end. Checks that it was settled. */
static void settle_epoch(struct block_run *b, eng *e, uint64_t epoch)
{
    ledger *l = eng_ledger(e);
    enc_settle_input in;
    enc_settle_input_init(&in);
    double t0 = bench_now();
    assemble_inputs(l, epoch, &in);
    b->assemble_s = bench_now() - t0;
    uint8_t *own = NULL;
    size_t own_len = 0;
    t0 = bench_now();
    if (enc_settle_input_serialize(&own, &own_len, &in) != ST_OK)
        bench_die("cannot serialize the inputs assembled here");
    b->serialize_s = bench_now() - t0;
    enc_settle_input_clear(&in);

    ledger_block before, after;
    if (ledger_block_head(l, &before) != ST_OK)
        bench_die("ledger_block_head");
    memset(&settle_call, 0, sizeof settle_call);
    bool reset = reset_hwm();
    b->rss_kb = proc_status_kb(0, "VmRSS");
    double w0 = bench_now(), c0 = bench_cpu();
    advance(e, EPOCH_SECS - (SLOTS - 1) * SLOT_SECS);
    double w1 = bench_now(), c1 = bench_cpu();
    b->hwm_kb = reset ? proc_status_kb(0, "VmHWM") : -1;
    b->total_wall = w1 - w0;
    b->total_cpu = c1 - c0;
    b->settle_calls = settle_call.calls;
    if (settle_call.calls == 1) {
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
    b->inputs_same = own_len == st.inputs_len && memcmp(own, st.inputs, own_len) == 0;
    ledger_settlement_clear(&st);
    free(own);
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
    char dir[64], db_path[128], secret_path[128], sealed_dir[128], err[256] = "";
    snprintf(dir, sizeof dir, "/tmp/conclave-bench-XXXXXX");
    if (!mkdtemp(dir))
        bench_die("mkdtemp");
    snprintf(db_path, sizeof db_path, "%s/conclave.db", dir);
    uint8_t platform[20], measurement[32];
    platform_setup(dir, enclave, secret_path, sealed_dir, platform, measurement);

    double setup0 = bench_now();
    uint8_t (*workers)[20] = calloc(WORKERS, sizeof *workers);
    if (!workers)
        bench_die("out of memory");
    for (size_t w = 0; w < WORKERS; w++)
        address_of(workers[w], "worker", w);
    char *genesis = genesis_json(r->delegators, (const uint8_t (*)[20])workers, platform, measurement);
    r->addresses_s = bench_now() - setup0;
    eng_config cfg = { .db_path = db_path, .genesis_json = genesis, .clock_mode = ENG_CLOCK_MANUAL, .dev = true };
    eng *e = NULL;
    double t0 = bench_now();
    if (eng_open(&e, err, sizeof err, &cfg) != ST_OK)
        bench_die(err);
    r->open_s = bench_now() - t0;
    cJSON_free(genesis);
    fprintf(stderr, "bench_settlement: %zu delegators: genesis of %zu accounts applied (addresses %.1f s, "
            "eng_open %.1f s)\n", r->delegators, (size_t)POOLS + WORKERS + r->delegators, r->addresses_s, r->open_s);
    if (eng_enclave_configure(e, enclave, secret_path, sealed_dir) != ST_OK)
        bench_die("the enclave did not start");
    if (eng_flush(e) != ST_OK)
        bench_die("a block could not be written");
    ledger *l = eng_ledger(e);
    uint8_t registered[20];
    if (ledger_enclave_latest(l, registered) != ST_OK)
        bench_die("the enclave is not registered");

    struct setup s = { .e = e, .r = r };
    populate(&s, (const uint8_t (*)[20])workers);
    r->setup_s = bench_now() - setup0;

    r->inputs_same = true;
    double epochs0 = bench_now();
    for (uint64_t epoch = 0; epoch < EPOCHS; epoch++) {
        heartbeats(&s, epoch);
        settle_epoch(&r->epochs[epoch], e, epoch);
        r->inputs_same = r->inputs_same && r->epochs[epoch].inputs_same;
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
    t0 = bench_now();
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
    ledger_worker w;
    ledger_worker_init(&w);
    if (ledger_worker_get(l, workers[0], &w) != ST_OK || mpz_cmp_ui(w.bonded, 0) == 0)
        bench_die("worker 0 is gone");
    char expect[40];
    snprintf(expect, sizeof expect, "%u" ZEROS_18, BOND_TOKENS(0));
    mpz_t bond;
    mpz_init_set_str(bond, expect, 10);
    if (mpz_cmp(w.bonded, bond) >= 0)
        bench_die("worker 0 was below the uptime threshold but is not slashed");
    mpz_clear(bond);
    ledger_worker_clear(&w);

    pure_steps(r, &st);
    ledger_settlement_clear(&st);
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

/* The host's wall time after the enclave answered, less what the pure steps take in process:
 * applying the operations, the Tick, hex and JSON, storing and committing the block. */
static double rest_after(const struct run *r)
{
    const struct block_run *b = &r->best;
    return seen(r, b->after_wall - (b->assemble_s + b->serialize_s + r->report_parse_s + r->verify_s + r->check_s));
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
    char host[512];
    bench_machine(host, sizeof host);
    struct run few = { .delegators = FEW_DELEGATORS }, many = { .delegators = MANY_DELEGATORS };
    run_forked(&few, enclave);
    run_forked(&many, enclave);

    printf("machine: %s\n\n", host);
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
    row_ms("  enclave round trip, wrapped enc_host_call (wall)", seen(&few, bf->call_wall), seen(&many, bm->call_wall));
    row_ms("    CPU of the enclave process in it", seen(&few, bf->enclave_cpu), seen(&many, bm->enclave_cpu));
    row_ms("  after its answer: verify, apply, commit (wall)", seen(&few, bf->after_wall), seen(&many, bm->after_wall));
    row_ms("    the same, CPU of this process", seen(&few, bf->after_cpu), seen(&many, bm->after_cpu));
    snprintf(label, sizeof label, "  median of the %d blocks (wall)", EPOCHS);
    row_ms(label, few.median, many.median);
    snprintf(label, sizeof label, "  slowest of the %d blocks (wall)", EPOCHS);
    row_ms(label, few.slowest, many.slowest);
    printf("in process, on the same inputs\n");
    row_ms("  input assembly via the ledger API (engine: twice)", bf->assemble_s, bm->assemble_s);
    row_ms("  enc_settle_input_serialize", bf->serialize_s, bm->serialize_s);
    row_ms("  enc_settle_input_parse (the enclave's first step)", few.input_parse_s, many.input_parse_s);
    snprintf(label, sizeof label, "  enc_settle_compute (best of %d)", COMPUTE_REPEAT);
    row_ms(label, few.compute_s, many.compute_s);
    row_ms("  report parse + signature + enc_settle_report_check", few.report_parse_s + few.verify_s + few.check_s,
           many.report_parse_s + many.verify_s + many.check_s);
    row_ms("  derived: after its answer, less re-assembly and checks", rest_after(&few), rest_after(&many));
    row_ms("ledger_audit afterwards (not part of the settlement)", few.audit_s, many.audit_s);
    printf("peak memory, MiB\n");
    row_mib("  this process, ru_maxrss (set-up included)", few.maxrss_kb, many.maxrss_kb);
    row_mib("  this process, VmHWM during a settlement block (largest)", few.hwm_kb, many.hwm_kb);
    row_mib("    growth over its RSS just before (fastest block)", growth(&few), growth(&many));
    row_mib("  enclave, VmHWM when it answered (largest)", seen(&few, 0) < 0 ? -1 : few.enclave_hwm_kb,
            seen(&many, 0) < 0 ? -1 : many.enclave_hwm_kb);
    printf("what the last epoch settled\n");
    row_count("  workers in the inputs", few.n_workers, many.n_workers);
    row_count("  paid (uptime at or above the threshold)", few.n_paid, many.n_paid);
    row_count("  operations: pool emissions", few.n_emissions, many.n_emissions);
    row_count("  operations: slashes", few.n_slashed, many.n_slashed);
    row_count("  operations in all", few.n_ops, many.n_ops);
    row_count("  inputs, bytes", few.inputs_len, many.inputs_len);
    row_count("  signed report, bytes", few.report_len, many.report_len);
    row_count("  blocks made by the advance", few.best.blocks, many.best.blocks);

    const struct run *runs[2] = { &few, &many };
    printf("\n");
    for (int i = 0; i < 2; i++) {
        const struct run *r = runs[i];
        printf("%zu delegators: staking set-up %.1f s (addresses %.1f s, eng_open %.1f s), heartbeats and\n"
               "  settlements of %d epochs %.1f s; in all, signing %zu transactions %.1f s, engine %.1f s;\n"
               "  epoch %d settled at height %llu; audit ok; inputs assembled here %s the settled ones in every\n"
               "  epoch; report computed here %s the enclave's\n",
               r->delegators, r->setup_s, r->addresses_s, r->open_s, EPOCHS, r->epochs_s, r->transactions, r->sign_s,
               r->engine_s, EPOCHS - 1, (unsigned long long)r->settlement_height, r->inputs_same ? "==" : "DIFFER FROM",
               r->report_same ? "==" : "DIFFERS FROM");
        if (r->best.settle_calls != 1)
            printf("  NOTE: the wrapper saw %u settlement requests (linked without -Wl,--wrap=enc_host_call?)\n",
                   r->best.settle_calls);
    }
    double ratio = bf->total_wall > 0 ? bm->total_wall / bf->total_wall : 0;
    if (ratio >= 2.0)
        printf("NOTE: settling costs %.1fx more with %zu delegators than with %zu: it grows with delegators\n", ratio,
               many.delegators, few.delegators);
    return few.inputs_same && many.inputs_same && few.report_same && many.report_same ? 0 : 1;
}
