/* SPDX-License-Identifier: MIT */
/* benchlib.c: the benchmarks' shared helpers (see benchlib.h): clocks, the machine, nodes, calls,
 * batches and parallel posting. */
#include "bench/benchlib.h"

#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "engine/genesis.h"
#include "ledger/sig.h"
#include "bench/http_load.h"
#include "rpc/client.h"

#define POST_TIMEOUT_SECS 60 /* a connection without an answer this long fails the bench */

void bench_die(const char *what)
{
    fprintf(stderr, "bench: %s\n", what);
    exit(1);
}

const char *bench_args(int argc, char **argv, bool *quick)
{
    const char *daemon = "./conclaved";
    *quick = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0)
            *quick = true;
        else
            daemon = argv[i];
    }
    signal(SIGPIPE, SIG_IGN);
    return daemon;
}

void bench_tally_done(void *cookie, int status, const char *errmsg, cJSON *errdata, const eng_receipt *r)
{
    bench_tally *t = cookie;
    const char *why = NULL;
    if (status != ST_OK) {
        t->refused++;
        why = errmsg;
    } else if (r->success) {
        t->ok++;
    } else {
        t->failed++;
        why = r->error;
    }
    if (why && !t->first_error[0])
        snprintf(t->first_error, sizeof t->first_error, "%s", why);
    cJSON_Delete(errdata);
}

static double seconds_of(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double bench_now(void)
{
    return seconds_of(CLOCK_MONOTONIC);
}

double bench_cpu(void)
{
    return seconds_of(CLOCK_PROCESS_CPUTIME_ID);
}

long bench_maxrss_kb(int who)
{
    struct rusage ru;
    getrusage(who, &ru);
    return ru.ru_maxrss;
}

void bench_row(const char *figure, double value, const char *unit, const char *limit_name, double limit,
               const char *target)
{
    const char *path = getenv("BENCH_TABLE");
    if (!path || !*path)
        return;
    FILE *f = fopen(path, "a");
    if (!f) {
        fprintf(stderr, "bench: cannot append to %s\n", path);
        return;
    }
    fprintf(f, "%s\t%.6g\t%s\t%s\t%.6g\t%s\n", figure, value, unit, limit_name ? limit_name : "-", limit_name ? limit : 0,
            target ? target : "-");
    fclose(f);
}

double bench_recover_rate(void)
{
    enum { N = 20000 };
    uint8_t key[32] = { 1 }, digest[32] = { 2 }, sig[65], addr[20];
    if (ledger_sig_sign(sig, digest, key) != ST_OK)
        bench_die("sign");
    double t0 = bench_now();
    for (int i = 0; i < N; i++)
        if (ledger_sig_recover(addr, digest, sig) != ST_OK)
            bench_die("recover");
    return N / (bench_now() - t0);
}

void bench_print_machine(void)
{
    struct utsname u;
    uname(&u);
    char model[128] = "unknown CPU";
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[256];
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "model name", 10) == 0) {
            char *colon = strchr(line, ':');
            snprintf(model, sizeof model, "%.120s", colon ? colon + 2 : line);
            model[strcspn(model, "\n")] = '\0';
            break;
        }
    if (f)
        fclose(f);
    printf("machine: %s (%s %s), %s, %ld cores\n\n", u.nodename, u.sysname, u.machine, model,
           sysconf(_SC_NPROCESSORS_ONLN));
}

eng *bench_eng_open(const char *db_path, const char *genesis_json, double *open_s)
{
    char err[256] = "";
    eng_config cfg = { .db_path = db_path, .genesis_json = genesis_json, .clock_mode = ENG_CLOCK_MANUAL, .dev = true };
    eng *e = NULL;
    double t0 = bench_now();
    if (eng_open(&e, err, sizeof err, &cfg) != ST_OK)
        bench_die(err);
    *open_s = bench_now() - t0;
    return e;
}

void bench_remove_dir(const char *dir)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench: could not remove %s\n", dir);
}

void bench_node_dir(bench_node *n)
{
    snprintf(n->datadir, sizeof n->datadir, "/tmp/conclave-bench-XXXXXX");
    if (!mkdtemp(n->datadir))
        bench_die("mkdtemp");
}

void bench_node_start(bench_node *n, const char *daemon)
{
    bench_node_dir(n);
    bench_node_launch(n, daemon, NULL);
}

void bench_node_restart(bench_node *n, const char *daemon)
{
    bench_node_launch(n, daemon, NULL);
}

void bench_node_launch(bench_node *n, const char *daemon, const char *genesis)
{
    int out[2];
    if (pipe(out) != 0)
        bench_die("pipe");
    n->pid = fork();
    if (n->pid == 0) {
        dup2(out[1], STDOUT_FILENO);
        close(out[0]);
        close(out[1]);
        if (genesis)
            execl(daemon, "conclaved", "--dev", "--datadir", n->datadir, "--genesis", genesis, "--rpc-bind", "127.0.0.1:0",
                  "--rpc-connections-per-address", "64", (char *)NULL);
        else
            execl(daemon, "conclaved", "--dev", "--datadir", n->datadir, "--rpc-bind", "127.0.0.1:0",
                  "--rpc-connections-per-address", "64", (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    char buf[512];
    size_t len = 0;
    char *line = NULL;
    while (!line && len < sizeof buf - 1) {
        struct pollfd p = { .fd = out[0], .events = POLLIN };
        if (poll(&p, 1, 20000) != 1)
            bench_die("conclaved did not start");
        ssize_t got = read(out[0], buf + len, sizeof buf - 1 - len);
        if (got <= 0)
            bench_die("conclaved exited");
        len += (size_t)got;
        buf[len] = '\0';
        line = strstr(buf, "listening on ");
    }
    close(out[0]);
    sscanf(line + strlen("listening on "), "%63s", n->url);
}

void bench_node_cookie(const bench_node *n, char *out, size_t cap)
{
    char path[128];
    snprintf(path, sizeof path, "%s/.cookie", n->datadir);
    FILE *f = fopen(path, "r");
    if (!f || !fgets(out, (int)cap, f))
        bench_die("cannot read the node's .cookie");
    fclose(f);
    out[strcspn(out, "\r\n")] = 0;
}

void bench_node_advance(const bench_node *n, uint64_t seconds)
{
    char token[256], body[160], *resp = NULL;
    int status;
    bench_node_cookie(n, token, sizeof token);
    rpc_client *c = rpc_client_new(n->url, token, 600);
    snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"admin_advanceTime\",\"params\":{\"seconds\":%llu}}",
             (unsigned long long)seconds);
    if (!c || rpc_client_post(c, "/", body, strlen(body), &status, &resp) != ST_OK || !strstr(resp, "\"result\"")) {
        fprintf(stderr, "bench: admin_advanceTime: %.300s\n", resp ? resp : "no answer");
        bench_die("admin_advanceTime");
    }
    free(resp);
    rpc_client_free(c);
}

void bench_node_stop(bench_node *n)
{
    bench_node_halt(n);
    bench_remove_dir(n->datadir);
}

void bench_node_halt(bench_node *n)
{
    int pidfd = (int)syscall(SYS_pidfd_open, n->pid, 0);
    kill(n->pid, SIGTERM);
    struct pollfd p = { .fd = pidfd, .events = POLLIN };
    if (pidfd < 0 || poll(&p, 1, 20000) != 1)
        kill(n->pid, SIGKILL);
    if (pidfd >= 0)
        close(pidfd);
    waitpid(n->pid, NULL, 0);
}

char *bench_tx_call(const ledger_tx *tx, unsigned id)
{
    cJSON *call = cJSON_CreateObject(), *params = ledger_tx_to_json(tx);
    if (!call || !params || !cJSON_AddItemToObject(call, "params", params))
        bench_die("out of memory");
    cJSON_AddStringToObject(call, "jsonrpc", "2.0");
    cJSON_AddNumberToObject(call, "id", id);
    cJSON_AddStringToObject(call, "method", "tx_send");
    char *text = cJSON_PrintUnformatted(call);
    cJSON_Delete(call);
    if (!text)
        bench_die("out of memory");
    return text;
}

char *bench_batch(char *const *calls, size_t n)
{
    size_t cap = 3, len = 0;
    for (size_t i = 0; i < n; i++)
        cap += strlen(calls[i]) + 1;
    char *body = malloc(cap);
    if (!body)
        bench_die("out of memory");
    body[len++] = '[';
    for (size_t i = 0; i < n; i++) {
        if (i)
            body[len++] = ',';
        size_t l = strlen(calls[i]);
        memcpy(body + len, calls[i], l);
        len += l;
    }
    body[len++] = ']';
    body[len] = 0;
    return body;
}

size_t bench_count_success(const char *resp)
{
    size_t n = 0;
    for (const char *p = resp; (p = strstr(p, "\"status\":\"success\"")); p++)
        n++;
    return n;
}

/* The load generator's threads: 1, or BENCH_CLIENT_THREADS (1 or 2) to compare. */
static unsigned client_threads(void)
{
    const char *v = getenv("BENCH_CLIENT_THREADS");
    if (!v || !*v)
        return 1;
    if (strcmp(v, "1") != 0 && strcmp(v, "2") != 0)
        bench_die("BENCH_CLIENT_THREADS is 1 or 2");
    return (unsigned)atoi(v);
}

static double last_post_cpu;

double bench_post_cpu(void)
{
    return last_post_cpu;
}

double bench_post_parallel(const char *url, bench_worker *workers, unsigned count)
{
    http_load_conn *conns = calloc(count ? count : 1, sizeof *conns);
    http_load_stats stats;
    char err[256];
    if (!conns)
        bench_die("out of memory");
    for (unsigned i = 0; i < count; i++)
        conns[i] = (http_load_conn){ .bodies = workers[i].bodies, .n = workers[i].n, .expect = workers[i].expect };
    if (http_load_run(url, conns, count, client_threads(), POST_TIMEOUT_SECS, bench_count_success, &stats, err,
                      sizeof err)
        != ST_OK)
        bench_die(err);
    for (unsigned i = 0; i < count; i++)
        workers[i].ok += conns[i].ok;
    free(conns);
    last_post_cpu = stats.cpu_s;
    return stats.wall_s;
}

double bench_rpc_single(const char *url, unsigned connections, size_t per_connection, bench_call_fn make, void *ctx,
                        size_t *ok)
{
    bench_worker *workers = calloc(connections, sizeof *workers);
    if (!workers)
        bench_die("out of memory");
    for (unsigned w = 0; w < connections; w++) {
        workers[w] = (bench_worker){ .bodies = calloc(per_connection, sizeof(char *)), .n = per_connection };
        if (!workers[w].bodies)
            bench_die("out of memory");
        for (size_t i = 0; i < per_connection; i++)
            workers[w].bodies[i] = make(ctx, w, i, (unsigned)i);
    }
    double rate = (double)connections * (double)per_connection / bench_post_parallel(url, workers, connections);
    for (unsigned w = 0; w < connections; w++) {
        *ok += workers[w].ok;
        for (size_t i = 0; i < per_connection; i++)
            cJSON_free(workers[w].bodies[i]);
        free(workers[w].bodies);
    }
    free(workers);
    return rate;
}

double bench_rpc_batched_on(const char *url, unsigned connections, size_t batches, size_t batch, bench_call_fn make,
                            void *ctx, size_t *ok)
{
    char **calls = calloc(batch, sizeof *calls);
    bench_worker *workers = calloc(connections, sizeof *workers);
    if (!calls || !workers)
        bench_die("out of memory");
    for (unsigned c = 0; c < connections; c++) {
        bench_worker *w = &workers[c];
        *w = (bench_worker){ .bodies = calloc(batches, sizeof(char *)), .n = batches };
        if (!w->bodies)
            bench_die("out of memory");
        for (size_t b = 0; b < batches; b++) {
            for (size_t i = 0; i < batch; i++)
                calls[i] = make(ctx, c * ENG_DEV_ACCOUNTS + (unsigned)(i % ENG_DEV_ACCOUNTS),
                                b * (batch / ENG_DEV_ACCOUNTS) + i / ENG_DEV_ACCOUNTS, (unsigned)i);
            w->bodies[b] = bench_batch(calls, batch);
            for (size_t i = 0; i < batch; i++)
                cJSON_free(calls[i]);
        }
    }
    double rate = (double)connections * (double)(batch * batches) / bench_post_parallel(url, workers, connections);
    for (unsigned c = 0; c < connections; c++) {
        *ok += workers[c].ok;
        for (size_t b = 0; b < batches; b++)
            free(workers[c].bodies[b]);
        free(workers[c].bodies);
    }
    free(workers);
    free(calls);
    return rate;
}

double bench_rpc_batched(const char *url, size_t batches, size_t batch, bench_call_fn make, void *ctx, size_t *ok)
{
    return bench_rpc_batched_on(url, 1, batches, batch, make, ctx, ok);
}

static const char *const role_names[BENCH_ROLES] = { "loop", "verify", "sync", "other", "client" };

void bench_node_cpu_ns(pid_t pid, double ns[BENCH_ROLES])
{
    char path[320], comm[32];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *dir = opendir(path);
    for (struct dirent *t; dir && (t = readdir(dir));) {
        if (t->d_name[0] == '.')
            continue;
        double task_ns = 0;
        snprintf(path, sizeof path, "/proc/%d/task/%s/schedstat", (int)pid, t->d_name);
        FILE *f = fopen(path, "r");
        if (!f || fscanf(f, "%lf", &task_ns) != 1)
            task_ns = 0;
        if (f)
            fclose(f);
        snprintf(path, sizeof path, "/proc/%d/task/%s/comm", (int)pid, t->d_name);
        comm[0] = '\0';
        if ((f = fopen(path, "r"))) {
            if (!fgets(comm, sizeof comm, f))
                comm[0] = '\0';
            fclose(f);
        }
        comm[strcspn(comm, "\n")] = '\0';
        enum bench_role r = atoi(t->d_name) == (int)pid     ? BENCH_LOOP
                            : strcmp(comm, "verify") == 0     ? BENCH_VERIFY
                            : strcmp(comm, "durability") == 0 ? BENCH_SYNC
                                                              : BENCH_OTHER;
        ns[r] += task_ns;
    }
    if (dir)
        closedir(dir);
}

void bench_cpu_per_item(double us[BENCH_ROLES], const double before[BENCH_ROLES], const double after[BENCH_ROLES],
                        size_t ok)
{
    for (int i = 0; i < BENCH_ROLES; i++)
        us[i] = ok && after[i] > before[i] ? (after[i] - before[i]) / 1e3 / (double)ok : 0;
}

void bench_print_runs_head(const char *title, const char *unit)
{
    char cpu[48];
    snprintf(cpu, sizeof cpu, "CPU us a %s", unit);
    printf("%-48s %8s %7s %39s %7s %7s\n", "", "", "", cpu, "", "2 cores");
    printf("%-48s %8s %7s", title, "tx/s", "vs rec");
    for (int i = 0; i < BENCH_ROLES; i++)
        printf(" %7s", role_names[i]);
    printf(" %7s %7s\n", "total", "at most");
}

void bench_print_run(const char *label, double rate, double recover, const double us[BENCH_ROLES])
{
    double total = 0;
    for (int i = 0; i < BENCH_ROLES; i++)
        total += us[i];
    printf("%-48s %8.0f %6.2fx", label, rate, rate / recover);
    for (int i = 0; i < BENCH_ROLES; i++)
        printf(" %7.1f", us[i]);
    printf(" %7.1f %6.2fx\n", total, total > 0 ? 2e6 / total / recover : 0);
}
