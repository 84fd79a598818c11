/* SPDX-License-Identifier: MIT */
/* test_process.c: the real conclave-enclave binary under enc_host, in a temporary data directory:
 * ping, quotes that verify and carry the binary's measurement and the chainId, the same key after a
 * restart, another key for a changed binary that cannot unseal the first one's file, ERROR frames
 * for malformed input with the process living on, exit statuses, and death by SIGSYS for a
 * forbidden system call. Raw spawns (socketpair + fork + exec here) reach what enc_host hides.
 * Every wait is bounded (poll on a pidfd or a socket deadline); nothing sleeps. */
#include <criterion/criterion.h>
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
    uint8_t secret[ENC_PLATFORM_SECRET_LEN];
    cr_assert_not_null(mkdtemp(dir), "a temporary directory");
    snprintf(secret_path, sizeof secret_path, "%s/platform.secret", dir);
    snprintf(sealed_dir, sizeof sealed_dir, "%s/sealed", dir);
    cr_assert_eq(mkdir(sealed_dir, 0700), 0, "the sealed directory");
    cr_assert_eq(enc_platform_secret_ensure(secret_path), ST_OK, "the host provisions the platform secret");
    cr_assert_eq(enc_platform_secret_read(secret, secret_path), ST_OK, "reads it");
    cr_assert_eq(enc_platform_attestation_address(platform_addr, secret), ST_OK, "the verifier's pinned address");
}

static void teardown(void)
{
    char cmd[sizeof dir + 16];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0, "cleanup");
}

TestSuite(enclave_process, .init = setup, .fini = teardown, .timeout = 120);

static enc_host *start(const char *bin, const char *sealed)
{
    enc_host *h = NULL;
    int rc = enc_host_start(&h, bin, secret_path, sealed);
    cr_assert_eq(rc, ST_OK, "%s starts: %s", bin, st_str(rc));
    cr_assert_gt(enc_host_pid(h), 0, "with a pid");
    return h;
}

static void stop_cleanly(enc_host *h)
{
    int ws;
    cr_assert_eq(enc_host_stop(h, &ws), ST_OK, "it stops by itself when the socket closes");
    cr_assert(WIFEXITED(ws) && WEXITSTATUS(ws) == 0, "with exit status 0 (status 0x%x)", ws);
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

/* Copies the enclave binary to path with one byte appended: it runs the same, measures differently. */
static void changed_copy(const char *path)
{
    size_t n;
    char *bin = th_read_file(BIN, &n);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
    cr_assert_not_null(bin, "read %s", BIN);
    cr_assert_geq(fd, 0, "create %s", path);
    bin[n] = '\n';
    cr_assert_eq(write(fd, bin, n + 1), (ssize_t)(n + 1), "write the copy");
    cr_assert_eq(close(fd), 0, "close the copy");
    free(bin);
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

static void raw_spawn(raw *r, bool forbidden)
{
    char *argv[] = { BIN, "--fd", "3", "--platform-secret", secret_path, "--sealed-dir", sealed_dir,
                     forbidden ? "--test-forbidden-syscall" : NULL, NULL };
    int sv[2];
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0, "socketpair");
    r->pid = fork();
    cr_assert_geq(r->pid, 0, "fork");
    if (r->pid == 0) {
        if (dup2(sv[1], 3) == 3)
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
    stop_cleanly(h);
    cr_assert_eq(enc_host_stop(NULL, NULL), ST_OK, "stopping NULL is a no-op");
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
    stop_cleanly(h);
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
    stop_cleanly(h);
    sealed_path(path, sizeof path, sealed_dir, q1.measurement);
    cr_assert_eq(stat(path, &st), 0, "the key is sealed at %s", path);
    cr_assert_eq(st.st_mode & 0777, 0600, "mode 0600");
    h = start(BIN, sealed_dir);
    attest(&q2, h, 31337);
    stop_cleanly(h);
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
    stop_cleanly(h);

    snprintf(copy, sizeof copy, "%s/conclave-enclave-changed", dir);
    changed_copy(copy);
    cr_assert_eq(enc_measure_file(meas, copy), ST_OK, "measure the copy");
    cr_assert(memcmp(meas, q1.measurement, 32) != 0, "one appended byte, another measurement");
    h = start(copy, sealed_dir);
    attest(&q2, h, 31337);
    stop_cleanly(h);
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

    raw_spawn(&r, false);
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
    stop_cleanly(h);
}

Test(enclave_process, a_frame_cut_by_the_end_of_stream_exits_with_an_io_status)
{
    raw r;
    int ws;
    raw_spawn(&r, false);
    raw_header(&r, 4 + 100, 1, ENC_MSG_PING, 0);
    raw_send(&r, "only ten b", 10);
    ws = raw_wait(&r);
    cr_assert(WIFEXITED(ws) && WEXITSTATUS(ws) == ST_IO, "exit status ST_IO (status 0x%x)", ws);
}

Test(enclave_process, a_forbidden_system_call_is_killed_by_sigsys)
{
    raw r;
    int ws;
    raw_spawn(&r, true);
    ws = raw_wait(&r);
    cr_assert(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGSYS, "killed by SIGSYS (status 0x%x)", ws);
}

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

Test(enclave_process, a_broken_handle_stays_broken)
{
    enc_host *h = start(BIN, sealed_dir);
    uint8_t type, *resp;
    size_t len;
    int ws;
    cr_assert_eq(kill(enc_host_pid(h), SIGKILL), 0, "kill the enclave");
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
    stop_cleanly(h);
}

Test(enclave_process, help_describes_the_usage)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s --help | grep -q -- '--platform-secret FILE'", BIN);
    cr_assert_eq(system(cmd), 0, "--help prints the usage and exits 0");
    snprintf(cmd, sizeof cmd, "%s --bogus 2>/dev/null", BIN);
    cr_assert_eq(WEXITSTATUS(system(cmd)), ENC_EXIT_USAGE, "a bad option exits %d", ENC_EXIT_USAGE);
}
