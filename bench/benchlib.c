/* SPDX-License-Identifier: MIT */
/* benchlib.c: the benchmarks' shared helpers (see benchlib.h). */
#include "bench/benchlib.h"

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

void bench_die(const char *what)
{
    fprintf(stderr, "bench: %s\n", what);
    exit(1);
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

void bench_machine(char *out, size_t len)
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
    snprintf(out, len, "%s (%s %s), %s, %ld cores", u.nodename, u.sysname, u.machine, model,
             sysconf(_SC_NPROCESSORS_ONLN));
}

void bench_remove_dir(const char *dir)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench: could not remove %s\n", dir);
}

void bench_node_start(bench_node *n, const char *daemon)
{
    snprintf(n->datadir, sizeof n->datadir, "/tmp/conclave-bench-XXXXXX");
    if (!mkdtemp(n->datadir))
        bench_die("mkdtemp");
    bench_node_restart(n, daemon);
}

void bench_node_restart(bench_node *n, const char *daemon)
{
    int out[2];
    if (pipe(out) != 0)
        bench_die("pipe");
    n->pid = fork();
    if (n->pid == 0) {
        dup2(out[1], STDOUT_FILENO);
        close(out[0]);
        close(out[1]);
        execl(daemon, "conclaved", "--dev", "--datadir", n->datadir, "--rpc-bind", "127.0.0.1:0", (char *)NULL);
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
