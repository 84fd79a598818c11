/* SPDX-License-Identifier: MIT */
/* test_process.c: the real conclave-enclave binary under enc_host, in a temporary data directory:
 * ping, quotes that verify and carry the binary's measurement and the chainId, the same key after a
 * restart, another key for a changed binary that cannot unseal the first one's file, ERROR frames
 * for malformed input with the process living on, exit statuses, and death by SIGSYS for a
 * forbidden system call. Raw spawns (socketpair + fork + exec here) reach what enc_host hides.
 * Every wait is bounded (poll on a pidfd or a socket deadline); nothing sleeps. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "enclave/enclave.h"
#include "tests/lib/testhelp.h"

#define BIN TEST_BUILDDIR "/conclave-enclave"
#define WAIT_MS 10000

static char dir[] = "/tmp/conclave-enclave-XXXXXX";
static char secret_path[128], sealed_dir[128];
static uint8_t platform_addr[20];

static void setup(void)
{
    cr_assert_not_null(mkdtemp(dir), "a temporary directory");
    th_enclave_platform(dir, secret_path, sealed_dir, platform_addr);
}

static void teardown(void)
{
    th_rmtree(dir);
}

TestSuite(enclave_process, .init = setup, .fini = teardown, .timeout = 120);

static enc_host *start(const char *bin, const char *sealed)
{
    enc_host *h = th_enclave_start(bin, secret_path, sealed);
    cr_assert_gt(enc_host_pid(h), 0, "with a pid");
    return h;
}

/* Asks for a quote and verifies it against the platform. */
static void attest(enc_quote *q, enc_host *h, uint64_t chain_id)
{
    uint8_t quote[ENC_QUOTE_LEN];
    size_t len = 0;
    cr_assert_eq(enc_host_attest(h, chain_id, quote, &len), ST_OK, "the enclave answers ATTEST_REQ");
    cr_assert_eq(len, ENC_QUOTE_LEN, "a whole quote");
    cr_assert_eq(enc_quote_verify(q, quote, len, platform_addr), ST_OK, "it verifies against the platform");
    cr_assert_eq(q->chain_id, chain_id, "for the chain asked");
}

static void copy_file(const char *to, const char *from)
{
    size_t n;
    char *data = th_read_file(from, &n);
    int fd = open(to, O_WRONLY | O_CREAT | O_EXCL, 0600);
    cr_assert_not_null(data, "read %s", from);
    cr_assert_geq(fd, 0, "create %s", to);
    cr_assert_eq(write(fd, data, n), (ssize_t)n, "write %s", to);
    close(fd);
    free(data);
}

/* --- raw spawns --- */

typedef struct raw {
    pid_t pid;
    int fd;     /* our end of the socket */
    int pidfd;
} raw;

/* Spawns the enclave with test_option (or none) and its stderr on stderr_fd (-1: ours). */
static void raw_spawn(raw *r, char *test_option, int stderr_fd)
{
    char *argv[] = { BIN, "--fd", "3", "--platform-secret", secret_path, "--sealed-dir", sealed_dir,
                     test_option, NULL };
    int sv[2];
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0, "socketpair");
    r->pid = fork();
    cr_assert_geq(r->pid, 0, "fork");
    if (r->pid == 0) {
        if (dup2(sv[1], 3) == 3 && (stderr_fd < 0 || dup2(stderr_fd, STDERR_FILENO) == STDERR_FILENO))
            execv(BIN, argv);
        _exit(127);
    }
    close(sv[1]);
    r->fd = sv[0];
    r->pidfd = pidfd_open(r->pid, 0);
    cr_assert_geq(r->pidfd, 0, "pidfd_open");
}

/* Closes our end (if still open), waits for the child (bounded) and returns its wait status. */
static int raw_wait(raw *r)
{
    struct pollfd p = { .fd = r->pidfd, .events = POLLIN };
    int ws = 0;
    if (r->fd >= 0)
        close(r->fd);
    r->fd = -1;
    cr_assert_eq(poll(&p, 1, WAIT_MS), 1, "the enclave ends within %d ms", WAIT_MS);
    cr_assert_eq(waitpid(r->pid, &ws, 0), r->pid, "reaped");
    close(r->pidfd);
    return ws;
}

static void raw_send(raw *r, const void *data, size_t n)
{
    const uint8_t *p = data;
    while (n > 0) {
        ssize_t w = send(r->fd, p, n, MSG_NOSIGNAL);
        cr_assert_gt(w, 0, "send to the enclave");
        p += w;
        n -= (size_t)w;
    }
}

static void raw_header(raw *r, uint32_t rest, uint8_t version, uint8_t type, uint16_t reserved)
{
    uint8_t h[8] = { (uint8_t)(rest >> 24), (uint8_t)(rest >> 16), (uint8_t)(rest >> 8), (uint8_t)rest,
                     version, type, (uint8_t)(reserved >> 8), (uint8_t)reserved };
    raw_send(r, h, sizeof h);
}

static void expect_error(raw *r, const char *contains, const char *what)
{
    enc_frame f;
    enc_frame_init(&f);
    cr_assert_eq(enc_proto_read(&f, r->fd, WAIT_MS), ST_OK, "%s: an answer", what);
    cr_assert_eq(f.type, ENC_MSG_ERROR, "%s: an ERROR frame (type %u)", what, f.type);
    cr_assert_not_null(strstr((char *)f.payload, contains), "%s: '%s' says '%s'", what, (char *)f.payload, contains);
    enc_frame_clear(&f);
}

static void expect_pong(raw *r, const uint8_t *payload, size_t len, const char *what)
{
    enc_frame f;
    enc_frame_init(&f);
    cr_assert_eq(enc_proto_write(r->fd, WAIT_MS, ENC_MSG_PING, payload, len), ST_OK, "%s: PING", what);
    cr_assert_eq(enc_proto_read(&f, r->fd, WAIT_MS), ST_OK, "%s: an answer", what);
    cr_assert_eq(f.type, ENC_MSG_PONG, "%s: PONG", what);
    cr_assert_eq(f.len, len, "%s: the payload's length", what);
    cr_assert_eq(memcmp(f.payload, payload, len), 0, "%s: the payload echoed", what);
    enc_frame_clear(&f);
}

/* --- tests --- */

Test(enclave_process, starts_answers_pings_and_stops_cleanly)
{
    enc_host *h = start(BIN, sealed_dir);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(enc_host_ping(h), ST_OK, "ping %d", i);
    th_enclave_stop_cleanly(h);
    cr_assert_eq(enc_host_stop(NULL, NULL), ST_OK, "stopping NULL is a no-op");
}

/* The value of a "Key:\tvalue" line of /proc/PID/status. */
static void status_field(char *out, size_t cap, pid_t pid, const char *key)
{
    char path[64], *text, *line;
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    text = th_read_file(path, NULL);
    cr_assert_not_null(text, "read %s", path);
    line = strstr(text, key);
    cr_assert_not_null(line, "%s has %s", path, key);
    line += strlen(key);
    line += strspn(line, ":\t ");
    snprintf(out, cap, "%.*s", (int)strcspn(line, "\n"), line);
    free(text);
}

Test(enclave_process, runs_without_capabilities_privileges_or_other_descriptors)
{
    static const char *const caps[] = { "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb" };
    enc_host *h = start(BIN, sealed_dir);
    pid_t pid = enc_host_pid(h);
    char value[64], path[64];
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
        status_field(value, sizeof value, pid, caps[i]);
        cr_assert_str_eq(value, "0000000000000000", "%s is empty", caps[i]);
    }
    status_field(value, sizeof value, pid, "NoNewPrivs");
    cr_assert_str_eq(value, "1", "no_new_privs is set");
    status_field(value, sizeof value, pid, "Seccomp");
    cr_assert_str_eq(value, "2", "a seccomp filter confines it");
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    DIR *fds = opendir(path);
    cr_assert_not_null(fds, "%s", path);
    unsigned open_fds = 0;
#ifdef CONCLAVE_SANITIZER_BUILD
    const unsigned want_fds = 2;  /* and stderr, for the sanitizer's reports */
#else
    const unsigned want_fds = 1;
#endif
    for (struct dirent *d; (d = readdir(fds)) != NULL;)
        if (d->d_name[0] != '.') {
            cr_assert(strcmp(d->d_name, "3") == 0 || (want_fds == 2 && strcmp(d->d_name, "2") == 0),
                      "only the host's socket is open, not %s", d->d_name);
            open_fds++;
        }
    closedir(fds);
    cr_assert_eq(open_fds, want_fds, "%u descriptors", want_fds);
    cr_assert_eq(enc_host_ping(h), ST_OK, "and it still answers");
    th_enclave_stop_cleanly(h);
}

/* Waits (bounded) until pid has exited. */
static bool gone_within(pid_t pid, int timeout_ms)
{
    int pidfd = pidfd_open(pid, 0);
    if (pidfd < 0)
        return true; /* reaped already */
    struct pollfd p = { .fd = pidfd, .events = POLLIN };
    int r = poll(&p, 1, timeout_ms);
    close(pidfd);
    return r == 1;
}

Test(enclave_process, a_stopped_enclave_dies_with_its_killed_host)
{
    int pipefd[2];
    cr_assert_eq(pipe(pipefd), 0, "pipe");
    pid_t host = fork();
    cr_assert_geq(host, 0, "fork");
    if (host == 0) {  /* the host: starts the enclave, tells its pid, then waits to be killed */
        enc_host *h = NULL;
        pid_t enclave = enc_host_start(&h, BIN, secret_path, sealed_dir) == ST_OK ? enc_host_pid(h) : -1;
        close(pipefd[0]);
        if (write(pipefd[1], &enclave, sizeof enclave) != (ssize_t)sizeof enclave)
            _exit(1);
        for (;;)
            pause();
    }
    close(pipefd[1]);
    pid_t enclave = -1;
    cr_assert_eq(read(pipefd[0], &enclave, sizeof enclave), (ssize_t)sizeof enclave, "the host tells the pid");
    close(pipefd[0]);
    cr_assert_gt(enclave, 0, "the host started its enclave");
    /* stopped, it would never see its socket close */
    cr_assert_eq(kill(enclave, SIGSTOP), 0, "stop the enclave");
    cr_assert_eq(kill(host, SIGKILL), 0, "kill -9 the host");
    int ws;
    cr_assert_eq(waitpid(host, &ws, 0), host, "reap the host");
    cr_assert(gone_within(enclave, WAIT_MS), "the enclave died with its host");
}

Test(enclave_process, quotes_carry_the_binary_measurement_and_the_chain)
{
    enc_host *h = start(BIN, sealed_dir);
    enc_quote q1, q2;
    uint8_t meas[32];
    cr_assert_eq(enc_measure_file(meas, BIN), ST_OK, "the host measures what it spawned");
    attest(&q1, h, 31337);
    cr_assert_arr_eq(q1.measurement, meas, 32, "the quote's measurement is sha256 of the binary");
    attest(&q2, h, 1);
    cr_assert_arr_eq(q2.enclave_pub, q1.enclave_pub, 64, "one enclave key across quotes");
    th_enclave_stop_cleanly(h);
}

/* The sealed file of a measurement, as seal.h names it. */
static void sealed_path(char *out, size_t cap, const char *in_dir, const uint8_t measurement[32])
{
    int n = snprintf(out, cap, "%s/enclave-", in_dir);
    for (int i = 0; i < 8; i++)
        n += snprintf(out + n, cap - (size_t)n, "%02x", measurement[i]);
    snprintf(out + n, cap - (size_t)n, ".sealed");
}

Test(enclave_process, a_restart_unseals_the_same_key)
{
    enc_host *h = start(BIN, sealed_dir);
    enc_quote q1, q2;
    char path[256];
    struct stat st;
    attest(&q1, h, 31337);
    th_enclave_stop_cleanly(h);
    sealed_path(path, sizeof path, sealed_dir, q1.measurement);
    cr_assert_eq(stat(path, &st), 0, "the key is sealed at %s", path);
    cr_assert_eq(st.st_mode & 0777, 0600, "mode 0600");
    h = start(BIN, sealed_dir);
    attest(&q2, h, 31337);
    th_enclave_stop_cleanly(h);
    cr_assert_arr_eq(q2.enclave_pub, q1.enclave_pub, 64, "the restarted enclave unsealed the same key");
}

Test(enclave_process, a_changed_binary_gets_another_key_and_cannot_unseal_the_first)
{
    char copy[256], dir2[256], first_file[256], planted[256];
    uint8_t meas[32], before[128], after[128];
    enc_quote q1, q2;
    enc_host *h;
    size_t n;
    int rc;

    h = start(BIN, sealed_dir);
    attest(&q1, h, 31337);
    th_enclave_stop_cleanly(h);

    snprintf(copy, sizeof copy, "%s/conclave-enclave-changed", dir);
    th_enclave_changed_copy(copy, "\n");
    cr_assert_eq(enc_measure_file(meas, copy), ST_OK, "measure the copy");
    cr_assert(memcmp(meas, q1.measurement, 32) != 0, "one appended byte, another measurement");
    h = start(copy, sealed_dir);
    attest(&q2, h, 31337);
    th_enclave_stop_cleanly(h);
    cr_assert_arr_eq(q2.measurement, meas, 32, "the copy's quote carries the copy's measurement");
    cr_assert(memcmp(q2.enclave_pub, q1.enclave_pub, 64) != 0, "and a different enclave key");

    /* Plant the first binary's sealed key under the name the copy looks for. */
    snprintf(dir2, sizeof dir2, "%s/sealed2", dir);
    cr_assert_eq(mkdir(dir2, 0700), 0, "a second sealed directory");
    sealed_path(first_file, sizeof first_file, sealed_dir, q1.measurement);
    sealed_path(planted, sizeof planted, dir2, meas);
    copy_file(planted, first_file);
    {
        char *data = th_read_file(planted, &n);
        cr_assert_not_null(data, "read the planted file");
        memcpy(before, data, n < sizeof before ? n : sizeof before);
        free(data);
    }
    h = NULL;
    rc = enc_host_start(&h, copy, secret_path, dir2);
    cr_assert_eq(rc, ST_CRYPTO, "the copy cannot unseal the first binary's key: %s", st_str(rc));
    cr_assert_null(h, "no handle");
    {
        size_t m;
        char *data = th_read_file(planted, &m);
        cr_assert_not_null(data, "the planted file is still there");
        cr_assert_eq(m, n, "same size");
        memcpy(after, data, m < sizeof after ? m : sizeof after);
        free(data);
    }
    cr_assert_arr_eq(after, before, n, "and not overwritten");
}

Test(enclave_process, malformed_frames_get_error_frames_and_the_enclave_lives_on)
{
    static const uint8_t seven[7] = { 0 };
    uint8_t *big = calloc(1, 1u << 20);
    uint8_t *huge = calloc(1, ENC_PROTO_MAX_FRAME + 1);
    raw r;
    int ws;

    raw_spawn(&r, NULL, -1);
    expect_pong(&r, (const uint8_t *)"hi", 2, "a first ping");
    raw_header(&r, 4 + 3, 2, ENC_MSG_PING, 0);
    raw_send(&r, "abc", 3);
    expect_error(&r, "newer version", "version 2");
    raw_header(&r, 4, 1, ENC_MSG_PING, 1);
    expect_error(&r, "newer version", "reserved bits");
    raw_send(&r, "\0\0\0\2xy", 6);
    expect_error(&r, "invalid", "a length below the header");
    raw_header(&r, ENC_PROTO_MAX_FRAME + 1, 1, ENC_MSG_PING, 0);
    raw_send(&r, huge, ENC_PROTO_MAX_FRAME + 1 - 4);
    free(huge);
    expect_error(&r, "limit", "a frame over 16 MiB");
    cr_assert_eq(enc_proto_write(r.fd, WAIT_MS, 0x55, NULL, 0), ST_OK, "an unknown type");
    expect_error(&r, "unexpected message type 85", "an unknown type");
    cr_assert_eq(enc_proto_write(r.fd, WAIT_MS, ENC_MSG_PONG, NULL, 0), ST_OK, "a response type as request");
    expect_error(&r, "unexpected message type 2", "PONG to the enclave");
    cr_assert_eq(enc_proto_write(r.fd, WAIT_MS, ENC_MSG_ATTEST_REQ, seven, 7), ST_OK, "a short ATTEST_REQ");
    expect_error(&r, "8-byte chainId", "ATTEST_REQ of 7 bytes");
    cr_assert_eq(enc_proto_write(r.fd, WAIT_MS, ENC_MSG_SETTLE_REQ, NULL, 0), ST_OK, "SETTLE_REQ");
    expect_error(&r, "SETTLE_REQ: the inputs do not parse", "an empty SETTLE_REQ");
    for (size_t i = 0; i < 1u << 20; i++)
        big[i] = (uint8_t)(i * 31);
    expect_pong(&r, big, 1u << 20, "after all that, a 1 MiB ping (memory is allowed when confined)");
    free(big);
    ws = raw_wait(&r);
    cr_assert(WIFEXITED(ws) && WEXITSTATUS(ws) == 0, "a clean end of stream exits 0 (status 0x%x)", ws);
}

Test(enclave_process, generic_calls_return_error_frames_to_the_caller)
{
    enc_host *h = start(BIN, sealed_dir);
    uint8_t type, *resp;
    size_t len;
    cr_assert_eq(enc_host_call(h, ENC_MSG_SETTLE_REQ, NULL, 0, &type, &resp, &len, WAIT_MS), ST_OK, "a call");
    cr_assert_eq(type, ENC_MSG_ERROR, "an empty SETTLE_REQ is refused");
    cr_assert_not_null(strstr((char *)resp, "SETTLE_REQ"), "the message names it: %s", (char *)resp);
    enc_host_resp_free(resp);
    cr_assert_eq(enc_host_ping(h), ST_OK, "and the enclave lives on");
    th_enclave_stop_cleanly(h);
}

Test(enclave_process, a_frame_cut_by_the_end_of_stream_exits_with_an_io_status)
{
    raw r;
    int ws;
    raw_spawn(&r, NULL, -1);
    raw_header(&r, 4 + 100, 1, ENC_MSG_PING, 0);
    raw_send(&r, "only ten b", 10);
    ws = raw_wait(&r);
    cr_assert(WIFEXITED(ws) && WEXITSTATUS(ws) == ST_IO, "exit status ST_IO (status 0x%x)", ws);
}

Test(enclave_process, a_forbidden_system_call_is_killed_by_sigsys)
{
    raw r;
    int ws;
    raw_spawn(&r, "--test-forbidden-syscall", -1);
    ws = raw_wait(&r);
    cr_assert(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGSYS, "killed by SIGSYS (status 0x%x)", ws);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* The system calls the filter of this build names, sorted and space-separated (the default must
 * kill), from --print-filter. */
static void filter_syscalls(char *out, size_t cap)
{
    char cmd[256], line[256], names[32][32];
    size_t n = 0;
    snprintf(cmd, sizeof cmd, "%s --fd 3 --print-filter", BIN);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p, "run %s", cmd);
    bool kills = false;
    while (fgets(line, sizeof line, p)) {
        if (sscanf(line, " # filter for syscall \"%31[^\"]\"", names[n]) == 1)
            cr_assert_lt(++n, 32, "fits");
        kills |= strstr(line, "# default action") != NULL && fgets(line, sizeof line, p)
                 && strstr(line, "action KILL_PROCESS;") != NULL;
    }
    cr_assert_eq(pclose(p), 0, "--print-filter exits 0");
    cr_assert(kills, "any other call kills the process");
    qsort(names, n, sizeof names[0], by_name);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        cr_assert_lt(strlen(out) + strlen(names[i]) + 2, cap, "fits");
        strcat(strcat(out, i ? " " : ""), names[i]);
    }
}

Test(enclave_process, the_filter_allows_exactly_its_system_calls)
{
    char names[1024];
    filter_syscalls(names, sizeof names);
#ifdef CONCLAVE_SANITIZER_BUILD
    /* and the sanitizer runtime's: file lookups that fail (open, openat, stat, newfstatat), the
     * report on stderr (write, ioctl), its alternate signal stack, pid and locks */
    cr_assert_str_eq(names, "brk exit exit_group futex getpid ioctl madvise mmap mremap munmap newfstatat open "
                            "openat read rt_sigreturn sigaltstack stat write",
                     "a sanitizer build's filter: %s", names);
#else
    cr_assert_str_eq(names, "brk exit exit_group madvise mmap mremap munmap read rt_sigreturn write",
                     "the release filter: %s", names);
#endif
}

#ifdef CONCLAVE_SANITIZER_BUILD
Test(enclave_process, a_sanitizer_report_gets_out_of_the_confined_enclave)
{
    static char report[65536];
    size_t got = 0;
    int pipefd[2], ws;
    raw r;
    cr_assert_eq(pipe(pipefd), 0, "pipe");
    raw_spawn(&r, "--test-sanitizer-report", pipefd[1]);
    close(pipefd[1]);
    for (;;) {
        struct pollfd p = { .fd = pipefd[0], .events = POLLIN };
        cr_assert_eq(poll(&p, 1, WAIT_MS), 1, "the enclave writes or ends");
        ssize_t n = read(pipefd[0], report + got, sizeof report - 1 - got);
        cr_assert_geq(n, 0, "read its stderr");
        if (n == 0 || got + (size_t)n == sizeof report - 1)
            break;
        got += (size_t)n;
    }
    close(pipefd[0]);
    report[got] = '\0';
    ws = raw_wait(&r);
    /* the report is read here, not passed on: the run's own check must not take it for a bug */
    cr_assert(strstr(report, "ERROR: AddressSanitizer: heap-buffer-overflow") != NULL, "the report: %.2000s", report);
    cr_assert(WIFEXITED(ws) && WEXITSTATUS(ws) != 0, "the runtime ends it after the report, not SIGSYS (0x%x)", ws);
}
#endif

Test(enclave_process, start_reports_why_the_enclave_could_not_start)
{
    enc_host *h = (enc_host *)&h;
    char missing[256];
    snprintf(missing, sizeof missing, "%s/no-such-secret", dir);
    cr_assert_eq(enc_host_start(&h, BIN, missing, sealed_dir), ST_NOTFOUND, "no platform secret");
    cr_assert_null(h, "no handle");
    snprintf(missing, sizeof missing, "%s/no-such-binary", dir);
    cr_assert_eq(enc_host_start(&h, missing, secret_path, sealed_dir), ST_IO, "no binary");
    snprintf(missing, sizeof missing, "%s/no-such-dir", dir);
    cr_assert_eq(enc_host_start(&h, BIN, secret_path, missing), ST_IO, "no sealed directory");
}

/* An enclave started, then killed with SIGKILL (its handle not yet told). */
static enc_host *start_killed(void)
{
    enc_host *h = start(BIN, sealed_dir);
    cr_assert_eq(kill(enc_host_pid(h), SIGKILL), 0, "kill the enclave");
    return h;
}

Test(enclave_process, a_broken_handle_stays_broken)
{
    enc_host *h = start_killed();
    uint8_t type, *resp;
    size_t len;
    int ws;
    cr_assert_eq(enc_host_call(h, ENC_MSG_PING, NULL, 0, &type, &resp, &len, WAIT_MS), ST_IO,
                 "its death is an i/o error, not a hang or SIGPIPE");
    cr_assert_eq(enc_host_ping(h), ST_IO, "and so is every later call");
    cr_assert_eq(enc_host_stop(h, &ws), ST_OK, "a dead enclave is reaped at once");
    cr_assert(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL, "its status shows the kill (0x%x)", ws);
}

/* libcore is built without DEBUG, so ARG_CHECK logs the caller bug and returns ST_INVALID. */
Test(enclave_process, a_call_without_a_deadline_is_a_caller_bug)
{
    enc_host *h = start(BIN, sealed_dir);
    uint8_t type, *resp;
    size_t len;
    cr_assert_eq(enc_host_call(h, ENC_MSG_PING, NULL, 0, &type, &resp, &len, -1), ST_INVALID,
                 "a call must have a deadline");
    cr_assert_eq(enc_host_call(h, ENC_MSG_PING, NULL, 3, &type, &resp, &len, WAIT_MS), ST_INVALID,
                 "a NULL payload must be empty");
    cr_assert_eq(enc_host_ping(h), ST_OK, "nothing was sent: the handle still works");
    th_enclave_stop_cleanly(h);
}

/* Drives an exchange to its end, waiting (bounded) on the socket between steps. Returns its status. */
static int exchange_to_end(enc_host *h, uint8_t *type, uint8_t **resp, size_t *len)
{
    short wait_events = 0;
    int rc;
    for (int steps = 0; (rc = enc_host_exchange_step(h, &wait_events, type, resp, len)) == ST_PENDING; steps++) {
        struct pollfd p = { .fd = enc_host_fd(h), .events = wait_events };
        cr_assert_lt(steps, 1000, "the exchange ends");
        cr_assert_eq(poll(&p, 1, WAIT_MS), 1, "the socket gets ready");
    }
    return rc;
}

Test(enclave_process, an_exchange_never_blocks_and_a_stopped_enclave_leaves_it_pending)
{
    static const uint8_t payload[] = { 1, 2, 3, 4 };
    enc_host *h = start(BIN, sealed_dir);
    uint8_t type = 0, *resp = NULL;
    size_t len = 0;
    short wait_events = 0;
    int ws;

    cr_assert_eq(enc_host_exchange_begin(h, ENC_MSG_PING, payload, sizeof payload), ST_OK, "begin");
    cr_assert_eq(exchange_to_end(h, &type, &resp, &len), ST_OK, "the answer");
    cr_assert(type == ENC_MSG_PONG && len == sizeof payload && memcmp(resp, payload, len) == 0, "PONG echoes");
    enc_host_resp_free(resp);

    /* stopped: each step returns at once, waiting for the answer; continued: the answer comes */
    cr_assert_eq(kill(enc_host_pid(h), SIGSTOP), 0, "stop the enclave");
    cr_assert_eq(enc_host_exchange_begin(h, ENC_MSG_PING, payload, sizeof payload), ST_OK, "begin");
    cr_assert_eq(enc_host_exchange_step(h, &wait_events, &type, &resp, &len), ST_PENDING, "sent, not answered");
    cr_assert_eq(wait_events, POLLIN, "waits to read");
    cr_assert_eq(enc_host_exchange_step(h, &wait_events, &type, &resp, &len), ST_PENDING, "still not answered");
    cr_assert_eq(enc_host_call(h, ENC_MSG_PING, NULL, 0, &type, &resp, &len, WAIT_MS), ST_INVALID,
                 "no blocking call while an exchange runs");
    cr_assert_eq(kill(enc_host_pid(h), SIGCONT), 0, "continue the enclave");
    cr_assert_eq(exchange_to_end(h, &type, &resp, &len), ST_OK, "the answer");
    cr_assert_eq(type, ENC_MSG_PONG, "PONG");
    enc_host_resp_free(resp);
    cr_assert_eq(enc_host_ping(h), ST_OK, "the stream is in step");

    /* given up on: killed at once, without the grace of a stop */
    cr_assert_eq(kill(enc_host_pid(h), SIGSTOP), 0, "stop the enclave again");
    cr_assert_eq(enc_host_exchange_begin(h, ENC_MSG_PING, payload, sizeof payload), ST_OK, "begin");
    cr_assert_eq(enc_host_exchange_step(h, &wait_events, &type, &resp, &len), ST_PENDING, "not answered");
    cr_assert_eq(enc_host_kill(h, &ws), ST_IO, "it had to be killed");
    cr_assert(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL, "by SIGKILL (0x%x)", ws);
    cr_assert_eq(enc_host_kill(NULL, NULL), ST_OK, "killing NULL is a no-op");
}

Test(enclave_process, a_dead_enclave_ends_an_exchange_with_an_io_error)
{
    enc_host *h = start_killed();
    uint8_t type, *resp;
    size_t len;
    int ws;
    cr_assert(gone_within(enc_host_pid(h), WAIT_MS), "it is dead");
    cr_assert_eq(enc_host_exchange_begin(h, ENC_MSG_PING, NULL, 0), ST_OK, "begin");
    cr_assert_eq(exchange_to_end(h, &type, &resp, &len), ST_IO, "its death is an i/o error");
    cr_assert_eq(enc_host_exchange_begin(h, ENC_MSG_PING, NULL, 0), ST_IO, "the handle is broken");
    cr_assert_eq(enc_host_stop(h, &ws), ST_OK, "a dead enclave is reaped at once");
}

Test(enclave_process, help_describes_the_usage)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s --help | grep -q -- '--platform-secret FILE'", BIN);
    cr_assert_eq(system(cmd), 0, "--help prints the usage and exits 0");
    snprintf(cmd, sizeof cmd, "%s --bogus 2>/dev/null", BIN);
    cr_assert_eq(WEXITSTATUS(system(cmd)), ENC_EXIT_USAGE, "a bad option exits %d", ENC_EXIT_USAGE);
}
