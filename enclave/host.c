/* SPDX-License-Identifier: MIT */
/* host.c: conclaved's side of the enclave process (see enclave.h). The child is tracked with a
 * pidfd, so waiting is a bounded poll(2) and SIGKILL cannot hit a recycled pid. Between fork and
 * exec the child calls only async-signal-safe functions (the host may be multi-threaded); argv is
 * built before the fork. Every transfer has a deadline, and any failure that may leave the stream
 * out of step marks the handle broken rather than risk pairing a request with the wrong answer. */
#define _GNU_SOURCE /* close_range */
#include "enclave/enclave.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

struct enc_host {
    int fd;          /* our end of the socketpair; -1 once closed */
    pid_t pid;       /* the child; -1 if none */
    int pidfd;       /* refers to the child; -1 if none */
    int broken;      /* the stream is out of step: every call fails with ST_IO */
    uint64_t pings;  /* counter that makes each PING payload fresh */
};

/* In the child, between fork and exec: die with the host (PR_SET_PDEATHSIG survives the exec of
 * an ordinary binary; a host that died before it was set is caught by getppid), socket to fd 3,
 * every other inherited descriptor but stdin, stdout and stderr closed, default signal mask, exec. */
static void child_exec(int fd, pid_t host, const char *path, char *const argv[])
{
    sigset_t none;
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != host)
        _exit(127);
    if (fd == ENC_HOST_FD) {
        if (fcntl(fd, F_SETFD, 0) != 0)
            _exit(127);
    } else if (dup2(fd, ENC_HOST_FD) != ENC_HOST_FD) {
        _exit(127);
    }
    if (close_range(ENC_HOST_FD + 1, ~0u, 0) != 0)
        _exit(127);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execv(path, argv);
    _exit(127);
}

/* PING with a fresh 8-byte payload, which PONG must echo. */
static int ping(enc_host *h, int timeout_ms)
{
    uint8_t nonce[8], type, *resp;
    size_t len;
    int rc;

    h->pings++;
    for (unsigned i = 0; i < 8; i++)
        nonce[i] = (uint8_t)(h->pings >> (56 - 8 * i));
    rc = enc_host_call(h, ENC_MSG_PING, nonce, sizeof nonce, &type, &resp, &len, timeout_ms);
    if (rc != ST_OK)
        return rc;
    if (type != ENC_MSG_PONG || len != sizeof nonce || memcmp(resp, nonce, len) != 0)
        rc = ST_INVALID;
    enc_host_resp_free(resp);
    return rc;
}

int enc_host_start(enc_host **out, const char *enclave_path, const char *platform_secret_path,
                   const char *sealed_dir)
{
    char fd_arg[] = { '0' + ENC_HOST_FD, '\0' };
    char *argv[] = { (char *)enclave_path, "--fd", fd_arg, "--platform-secret", (char *)platform_secret_path,
                     "--sealed-dir", (char *)sealed_dir, NULL };
    pid_t host = getpid();
    enc_host *h;
    int sv[2], rc;

    *out = NULL;
    h = calloc(1, sizeof *h);
    if (!h)
        return ST_NOMEM;
    h->fd = h->pidfd = h->pid = -1;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        rc = ST_IO;
        goto out;
    }
    h->pid = fork();
    if (h->pid == 0)
        child_exec(sv[1], host, enclave_path, argv);
    close(sv[1]);
    h->fd = sv[0];
    if (h->pid > 0)
        h->pidfd = pidfd_open(h->pid, 0);
    /* Without a child or a pidfd there is nothing to greet; enc_host_stop kills what it cannot watch. */
    rc = h->pidfd >= 0 ? ping(h, ENC_HOST_START_TIMEOUT_MS) : ST_IO;
out:
    if (rc != ST_OK) {
        int ws, stop = enc_host_stop(h, &ws);
        /* An enclave that could not start exits with the reason as its status. */
        if (rc == ST_IO && stop == ST_OK && WIFEXITED(ws) && WEXITSTATUS(ws) > 0
            && WEXITSTATUS(ws) < ENC_EXIT_USAGE)
            rc = WEXITSTATUS(ws);
        return rc;
    }
    *out = h;
    return ST_OK;
}

int enc_host_call(enc_host *h, uint8_t type, const uint8_t *payload, size_t len, uint8_t *resp_type,
                  uint8_t **resp, size_t *resp_len, int timeout_ms)
{
    enc_frame f;
    int rc;

    ARG_CHECK(timeout_ms >= 0);
    ARG_CHECK(payload != NULL || len == 0);
    if (h->broken)
        return ST_IO;
    if (len > ENC_PROTO_MAX_PAYLOAD)
        return ST_LIMIT;
    rc = enc_proto_write(h->fd, timeout_ms, type, payload, len);
    if (rc != ST_OK) {
        h->broken = 1;
        return ST_IO;
    }
    enc_frame_init(&f);
    rc = enc_proto_read(&f, h->fd, timeout_ms);
    if (rc == ST_IO || rc == ST_NOTFOUND) {
        h->broken = 1;
        return ST_IO;
    }
    if (rc != ST_OK)
        return rc;
    *resp_type = f.type;
    *resp = f.payload;  /* ownership passes to the caller */
    *resp_len = f.len;
    return ST_OK;
}

void enc_host_resp_free(uint8_t *resp)
{
    free(resp);
}

int enc_host_ping(enc_host *h)
{
    return ping(h, ENC_HOST_TIMEOUT_MS);
}

int enc_host_attest(enc_host *h, uint64_t chain_id, uint8_t quote[ENC_QUOTE_LEN], size_t *len)
{
    uint8_t req[8], type, *resp;
    size_t resp_len;
    int rc;

    for (unsigned i = 0; i < 8; i++)
        req[i] = (uint8_t)(chain_id >> (56 - 8 * i));
    rc = enc_host_call(h, ENC_MSG_ATTEST_REQ, req, sizeof req, &type, &resp, &resp_len, ENC_HOST_TIMEOUT_MS);
    if (rc != ST_OK)
        return rc;
    if (type != ENC_MSG_ATTEST_RESP || resp_len > ENC_QUOTE_LEN) {
        rc = ST_INVALID;
    } else {
        memcpy(quote, resp, resp_len);
        *len = resp_len;
    }
    enc_host_resp_free(resp);
    return rc;
}

pid_t enc_host_pid(const enc_host *h)
{
    return h->pid;
}

int enc_host_stop(enc_host *h, int *wstatus)
{
    int rc = ST_OK, ws = 0;

    if (wstatus)
        *wstatus = 0;
    if (!h)
        return ST_OK;
    if (h->fd >= 0)
        close(h->fd);
    if (h->pid > 0) {
        struct pollfd p = { .fd = h->pidfd, .events = POLLIN };
        int r = 0;
        while (h->pidfd >= 0 && (r = poll(&p, 1, ENC_HOST_STOP_TIMEOUT_MS)) < 0 && errno == EINTR)
            ;
        if (r != 1) {
            if (h->pidfd >= 0)
                pidfd_send_signal(h->pidfd, SIGKILL, NULL, 0);
            else  /* not reaped yet, so the pid is still our child's */
                kill(h->pid, SIGKILL);
            rc = ST_IO;
        }
        while ((r = waitpid(h->pid, &ws, 0)) < 0 && errno == EINTR)
            ;
        if (r < 0) {  /* someone else reaped it (SIGCHLD ignored?) */
            ws = 0;
            rc = ST_IO;
        }
    }
    if (h->pidfd >= 0)
        close(h->pidfd);
    free(h);
    if (wstatus)
        *wstatus = ws;
    return rc;
}
