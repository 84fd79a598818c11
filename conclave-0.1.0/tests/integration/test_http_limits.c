/* SPDX-License-Identifier: MIT */
/* test_http_limits.c: a real conclaved --dev on loopback at the edges of its HTTP server: out of
 * file descriptors (its limit lowered with prlimit while it runs), it pauses accepting, closes the
 * clients it cannot take instead of leaving them waiting, says so once on standard error and does
 * not spin; afterwards it serves again. Every wait is a poll with a deadline. */
#define _GNU_SOURCE /* prlimit */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "tests/lib/node.h"
#include "tests/lib/testhelp.h"

static th_node node;
static char log_path[] = "/tmp/conclave-it-log-XXXXXX";

static void setup(void)
{
    memset(&node, 0, sizeof node);
    int fd = mkstemp(log_path);
    cr_assert_geq(fd, 0, "a log file");
    close(fd);
    th_node_start_logged(&node, log_path);
}

static void teardown(void)
{
    th_node_cleanup(&node);
    unlink(log_path);
}

TestSuite(integration_http_limits, .init = setup, .fini = teardown, .timeout = 60);

static unsigned open_descriptors(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    cr_assert_not_null(d, "%s", path);
    unsigned n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* CPU seconds the process has used (user and system). */
static double cpu_seconds(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    char *stat = th_read_file(path, NULL);
    cr_assert_not_null(stat, "%s", path);
    const char *p = strrchr(stat, ')');
    unsigned long utime = 0, stime = 0;
    /* after the command: state, then fields 4..13, then utime and stime */
    cr_assert_eq(sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime), 2, "stat");
    free(stat);
    return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int connect_node(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cr_assert_geq(fd, 0, "socket");
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)node.port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0, "connect");
    return fd;
}

/* Waits (5 s at most) for what the node does with a GET /health sent on fd. Returns: 1 answered,
 * 0 closed without an answer, -1 neither. */
static int health_outcome(int fd)
{
    static const char get[] = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    char buf[512];
    if (write(fd, get, sizeof get - 1) != (ssize_t)sizeof get - 1)
        return 0; /* reset already */
    struct pollfd p = { .fd = fd, .events = POLLIN };
    if (poll(&p, 1, 5000) != 1)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    cr_assert(strstr(buf, "HTTP/1.1 200"), "an answer is the health: %s", buf);
    return 1;
}

static unsigned count_lines_with(const char *text, const char *needle)
{
    unsigned n = 0;
    for (const char *at = text; (at = strstr(at, needle)); at += strlen(needle))
        n++;
    return n;
}

Test(integration_http_limits, out_of_descriptors_it_pauses_sheds_says_so_once_and_recovers)
{
    enum { CLIENTS = 8, SPARE = 2 };
    int status;
    char *text;
    /* a connection opened before, to read the metrics from */
    cr_assert_eq(rpc_client_get(node.client, "/health", &status, &text), ST_OK, "health before");
    free(text);
    struct rlimit old;
    cr_assert_eq(prlimit(node.pid, RLIMIT_NOFILE, NULL, &old), 0, "read the node's descriptor limit");
    struct rlimit low = { .rlim_cur = open_descriptors(node.pid) + SPARE, .rlim_max = old.rlim_max };
    cr_assert_eq(prlimit(node.pid, RLIMIT_NOFILE, &low, NULL), 0, "lower the node's descriptor limit");

    double cpu0 = cpu_seconds(node.pid), wall0 = now_seconds();
    int fds[CLIENTS], answered = 0, closed = 0;
    for (int i = 0; i < CLIENTS; i++) {
        fds[i] = connect_node();
        int outcome = health_outcome(fds[i]);
        cr_assert_neq(outcome, -1, "client %d was neither answered nor closed within 5 s", i);
        answered += outcome == 1;
        closed += outcome == 0;
    }
    double cpu = cpu_seconds(node.pid) - cpu0, wall = now_seconds() - wall0;
    cr_assert_leq(answered, SPARE, "at most %d clients fit: %d answered", SPARE, answered);
    cr_assert_geq(closed, CLIENTS - SPARE, "the others were closed: %d", closed);
    cr_assert_lt(cpu, wall / 2 + 0.05, "the node does not spin: %.2f s of CPU in %.2f s", cpu, wall);

    cr_assert_eq(rpc_client_get(node.client, "/metrics", &status, &text), ST_OK, "metrics");
    cr_assert(strstr(text, "\nconclave_http_accept_errors_total ") && !strstr(text, "\nconclave_http_accept_errors_total 0\n"),
              "the failed accepts are counted");
    free(text);

    cr_assert_eq(prlimit(node.pid, RLIMIT_NOFILE, &old, NULL), 0, "restore the limit");
    for (int i = 0; i < CLIENTS; i++)
        close(fds[i]);
    rpc_client *fresh = rpc_client_new(node.url, NULL, 10);
    cr_assert_eq(rpc_client_get(fresh, "/health", &status, &text), ST_OK, "a new client is served again");
    cr_assert_eq(status, 200, "health after: HTTP %d", status);
    free(text);
    rpc_client_free(fresh);

    char *log = th_read_file(log_path, NULL);
    cr_assert_not_null(log, "the node's log");
    cr_assert_eq(count_lines_with(log, "cannot accept connections: Too many open files"), 1,
                 "one line about it, however many accepts failed: %.2000s", log);
    cr_assert_eq(count_lines_with(log, "accept"), 1, "and no other: %.2000s", log);
    free(log);
}
