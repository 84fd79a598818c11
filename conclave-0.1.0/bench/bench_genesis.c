/* SPDX-License-Identifier: MIT */
/* bench_genesis.c: a genesis of 1,000,000 accounts (100,000 with --quick) through a real conclaved:
 * writes the document (deterministic addresses), starts the node on it (loopback, temporary data
 * directory, --no-enclave so only the node is measured), then restarts it twice: with the same
 * command line (--genesis FILE again, which the node checks against the stored hash) and without
 * --genesis, then reads 20,000 genesis accounts through ledger_getAccount (checking each balance).
 * Each start is timed until node_info answers; resident memory (VmRSS, and the peak VmHWM) is read
 * from /proc/PID/status once it has, and again after the reads. The targets are the issue's: < 200 MB resident,
 * a restart in < 2 s. The headline figures also go to make bench's summary table (bench_row). */
#include "bench/benchlib.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ledger/hex.h"
#include "rpc/client.h"

#define ACCOUNTS 1000000
#define QUICK_ACCOUNTS 100000
#define TARGET_RSS_MB 200.0
#define TARGET_RESTART_S 2.0
#define READS 20000                /* accounts read after the last restart, spread over the genesis */
#define START_TIMEOUT_MS 900000     /* a first start of a million accounts on a loaded 2-core machine */

/* One start of the node: wall seconds until node_info answered, then VmRSS and VmHWM in MB. */
typedef struct start_figures {
    double seconds;
    double cpu_s;               /* the node's user + system CPU seconds so far: what the machine's load
                                 * does not inflate */
    double rss_mb;
    double hwm_mb;
} start_figures;

static void genesis_account(char address[LEDGER_ADDR_STRLEN], char balance[32], size_t i);

/* Writes the genesis of n accounts to path: account i has address 0xbe...be followed by i as 8
 * big-endian bytes (EIP-55 spelled), and 1,000 tokens plus i base units. */
static void write_genesis(const char *path, size_t n)
{
    FILE *f = fopen(path, "w");
    if (!f)
        bench_die("cannot write the genesis file");
    fprintf(f, "{\"chainId\":7,\"time\":1767225600,\"treasury\":\"1000000000000000000000000\",\"accounts\":[");
    for (size_t i = 0; i < n; i++) {
        char address[LEDGER_ADDR_STRLEN], balance[32];
        genesis_account(address, balance, i);
        fprintf(f, "%s{\"address\":\"%s\",\"balance\":\"%s\"}", i ? "," : "", address, balance);
    }
    fprintf(f, "]}\n");
    if (fclose(f) != 0)
        bench_die("cannot write the genesis file");
}

/* VmRSS and VmHWM of pid in MB. */
static void read_memory(pid_t pid, double *rss_mb, double *hwm_mb)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long kb;
    *rss_mb = *hwm_mb = -1;
    while (f && fgets(line, sizeof line, f)) {
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            *rss_mb = (double)kb / 1024.0;
        else if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
            *hwm_mb = (double)kb / 1024.0;
    }
    if (f)
        fclose(f);
}

/* User + system CPU seconds of pid so far, from /proc/PID/stat (fields 14 and 15, in clock ticks). */
static double read_cpu(pid_t pid)
{
    char path[64], line[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    unsigned long utime = 0, stime = 0;
    char *after_name = f && fgets(line, sizeof line, f) ? strrchr(line, ')') : NULL;
    /* after "pid (comm)": state is field 3, utime 14, stime 15 */
    if (!after_name || sscanf(after_name + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2)
        utime = stime = 0;
    if (f)
        fclose(f);
    return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

/* Starts daemon on n->datadir (with --genesis genesis unless NULL) and 127.0.0.1:0, waits for its
 * "listening on" line and a node_info answer. Out: the figures of this start. */
static start_figures start_node(bench_node *n, const char *daemon, const char *genesis)
{
    start_figures s;
    int out[2];
    double t0 = bench_now();
    if (pipe(out) != 0)
        bench_die("pipe");
    n->pid = fork();
    if (n->pid == 0) {
        dup2(out[1], STDOUT_FILENO);
        close(out[0]);
        close(out[1]);
        if (genesis)
            execl(daemon, "conclaved", "--datadir", n->datadir, "--genesis", genesis, "--rpc-bind", "127.0.0.1:0",
                  "--no-enclave", (char *)NULL);
        else
            execl(daemon, "conclaved", "--datadir", n->datadir, "--rpc-bind", "127.0.0.1:0", "--no-enclave", (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    char buf[512];
    size_t len = 0;
    char *line = NULL;
    while (!line && len < sizeof buf - 1) {
        struct pollfd p = { .fd = out[0], .events = POLLIN };
        if (poll(&p, 1, START_TIMEOUT_MS) != 1)
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
    rpc_client *c = rpc_client_new(n->url, NULL, 60);
    cJSON *result = NULL, *error = NULL;
    if (!c || rpc_client_call(c, "node_info", NULL, &result, &error) != RPC_OK)
        bench_die("node_info did not answer");
    s.seconds = bench_now() - t0;
    cJSON_Delete(result);
    rpc_client_free(c);
    read_memory(n->pid, &s.rss_mb, &s.hwm_mb);
    s.cpu_s = read_cpu(n->pid);
    return s;
}

/* The address of genesis account i and its balance text (as write_genesis writes them). */
static void genesis_account(char address[LEDGER_ADDR_STRLEN], char balance[32], size_t i)
{
    uint8_t addr[20];
    memset(addr, 0xbe, 12);
    for (int b = 0; b < 8; b++)
        addr[12 + b] = (uint8_t)((uint64_t)i >> (56 - 8 * b));
    ledger_addr_format(address, addr);
    snprintf(balance, 32, "1000%018zu", i);
}

/* Reads `reads` genesis accounts spread over all n through ledger_getAccount, so the node's caches
 * fill as a node in use has them. Returns: how many answered with the genesis balance. */
static size_t read_accounts(const bench_node *node, size_t n, size_t reads)
{
    rpc_client *c = rpc_client_new(node->url, NULL, 60);
    size_t right = 0;
    for (size_t k = 0; c && k < reads; k++) {
        char address[LEDGER_ADDR_STRLEN], balance[32];
        genesis_account(address, balance, (size_t)(((uint64_t)k * 7919u) % n));
        cJSON *params = cJSON_CreateObject(), *result = NULL, *error = NULL;
        if (!params || !cJSON_AddStringToObject(params, "address", address))
            bench_die("out of memory");
        if (rpc_client_call(c, "ledger_getAccount", params, &result, &error) == RPC_OK) {
            const cJSON *free_balance = cJSON_GetObjectItemCaseSensitive(result, "free");
            right += cJSON_IsString(free_balance) && strcmp(free_balance->valuestring, balance) == 0;
        }
        cJSON_Delete(params);
        cJSON_Delete(result);
        cJSON_Delete(error);
    }
    rpc_client_free(c);
    return right;
}

static void print_row(const char *what, const start_figures *s, bool restart)
{
    char time_target[16] = "";
    if (restart)
        snprintf(time_target, sizeof time_target, "< %.0f s", TARGET_RESTART_S);
    printf("%-42s %9.2f %8.2f %8s %9.0f %9.0f %8s\n", what, s->seconds, s->cpu_s, time_target, s->rss_mb, s->hwm_mb,
           "< 200");
}

int main(int argc, char **argv)
{
    bool quick;
    const char *daemon = bench_args(argc, argv, &quick);
    size_t n_accounts = quick ? QUICK_ACCOUNTS : ACCOUNTS;
    char dir[32], genesis[64];
    bench_node node = { 0 };
    snprintf(dir, sizeof dir, "/tmp/conclave-bench-XXXXXX");
    if (!mkdtemp(dir))
        bench_die("mkdtemp");
    snprintf(genesis, sizeof genesis, "%s/genesis.json", dir);
    snprintf(node.datadir, sizeof node.datadir, "%s/data", dir);
    double t0 = bench_now();
    write_genesis(genesis, n_accounts);
    double write_s = bench_now() - t0;
    start_figures first = start_node(&node, daemon, genesis);
    bench_node_halt(&node);
    start_figures again = start_node(&node, daemon, genesis);
    bench_node_halt(&node);
    start_figures bare = start_node(&node, daemon, NULL);
    double t1 = bench_now();
    size_t right = read_accounts(&node, n_accounts, READS);
    start_figures warm = { .seconds = bench_now() - t1, .cpu_s = read_cpu(node.pid) - bare.cpu_s };
    read_memory(node.pid, &warm.rss_mb, &warm.hwm_mb);
    bench_node_halt(&node);
    bench_remove_dir(dir);

    bench_print_machine();
    printf("genesis of %zu accounts (file written in %.2f s)\n", n_accounts, write_s);
    printf("%-42s %9s %8s %8s %9s %9s %8s\n", "start", "seconds", "CPU s", "target", "VmRSS MB", "VmHWM MB", "target");
    print_row("first start (parse, block 0)", &first, false);
    print_row("restart with --genesis FILE (checked)", &again, true);
    print_row("restart without --genesis", &bare, true);
    char label[64];
    snprintf(label, sizeof label, "then %d ledger_getAccount reads", READS);
    print_row(label, &warm, false);
    char figure[96];
    snprintf(figure, sizeof figure, "genesis %zu accounts: first start, wall", n_accounts);
    bench_row(figure, first.seconds, "s", NULL, 0, "-");
    snprintf(figure, sizeof figure, "genesis %zu accounts: first start, peak RSS", n_accounts);
    bench_row(figure, first.hwm_mb, "MB", NULL, 0, "-");
    snprintf(figure, sizeof figure, "genesis %zu accounts: RSS once started", n_accounts);
    bench_row(figure, first.rss_mb, "MB", NULL, 0, "< 200");
    snprintf(figure, sizeof figure, "genesis %zu accounts: RSS after %d reads", n_accounts, READS);
    bench_row(figure, warm.rss_mb, "MB", NULL, 0, "< 200");
    snprintf(figure, sizeof figure, "genesis %zu accounts: restart, --genesis checked", n_accounts);
    bench_row(figure, again.seconds, "s", NULL, 0, "< 2");
    snprintf(figure, sizeof figure, "genesis %zu accounts: restart, no --genesis", n_accounts);
    bench_row(figure, bare.seconds, "s", NULL, 0, "< 2");
    bool met = again.seconds < TARGET_RESTART_S && bare.seconds < TARGET_RESTART_S && first.rss_mb < TARGET_RSS_MB
               && again.rss_mb < TARGET_RSS_MB && bare.rss_mb < TARGET_RSS_MB && warm.rss_mb < TARGET_RSS_MB;
    printf("\nseconds: wall, from exec until node_info answers (the reads: their wall time); CPU s: the node's"
           " (for the reads, theirs alone); memory read right after;\ntargets %s (on wall seconds); %zu of %d reads gave"
           " the genesis balance\n", met ? "met" : "NOT met", right, READS);
    return right == READS ? 0 : 1;
}
