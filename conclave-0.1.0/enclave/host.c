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
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* An exchange driven by the caller's event loop (enc_host_exchange_begin). */
typedef struct exchange {
    bool running;                        /* begun and not over */
    uint8_t *out;                        /* the request frame, header and payload */
    size_t out_len, out_sent;            /* bytes */
    uint8_t hdr[ENC_PROTO_HEADER_LEN];   /* the response's header as it arrives */
    size_t hdr_got;                      /* bytes */
    uint8_t type;                        /* the response's type, once its header is in */
    uint8_t *in;                         /* its payload (in_len bytes and a NUL), once its header is in */
    size_t in_len, in_got;               /* bytes */
} exchange;

struct enc_host {
    int fd;          /* our end of the socketpair; -1 once closed */
    pid_t pid;       /* the child; -1 if none */
    int pidfd;       /* refers to the child; -1 if none */
    int broken;      /* the stream is out of step: every call fails with ST_IO */
    uint64_t pings;  /* counter that makes each PING payload fresh */
    exchange x;      /* the exchange under way, if x.running */
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
    /* execv takes writable strings: the child gets copies made before the fork */
    char *path_arg = strdup(enclave_path), *secret_arg = strdup(platform_secret_path), *sealed_arg = strdup(sealed_dir);
    char *argv[] = { path_arg, "--fd", fd_arg, "--platform-secret", secret_arg, "--sealed-dir", sealed_arg, NULL };
    pid_t host = getpid();
    enc_host *h;
    int sv[2], rc;

    *out = NULL;
    h = path_arg && secret_arg && sealed_arg ? calloc(1, sizeof *h) : NULL;
    if (!h) {
        free(path_arg);
        free(secret_arg);
        free(sealed_arg);
        return ST_NOMEM;
    }
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
    free(path_arg);
    free(secret_arg);
    free(sealed_arg);
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
    ARG_CHECK(!h->x.running);
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

static void exchange_clear(exchange *x)
{
    free(x->out);
    free(x->in);
    memset(x, 0, sizeof *x);
}

int enc_host_exchange_begin(enc_host *h, uint8_t type, const uint8_t *payload, size_t len)
{
    exchange *x = &h->x;

    ARG_CHECK(payload != NULL || len == 0);
    ARG_CHECK(!x->running);
    if (h->broken)
        return ST_IO;
    if (len > ENC_PROTO_MAX_PAYLOAD)
        return ST_LIMIT;
    x->out = malloc(ENC_PROTO_HEADER_LEN + len);
    if (!x->out)
        return ST_NOMEM;
    if (enc_proto_header(x->out, type, len) != ST_OK) {  /* len was checked */
        exchange_clear(x);
        return ST_LIMIT;
    }
    if (len > 0)
        memcpy(x->out + ENC_PROTO_HEADER_LEN, payload, len);
    x->out_len = ENC_PROTO_HEADER_LEN + len;
    x->running = true;
    return ST_OK;
}

/* Ends the exchange with a failure: the stream is out of step from now on. */
static int exchange_fail(enc_host *h, int rc)
{
    exchange_clear(&h->x);
    h->broken = 1;
    return rc;
}

/* One non-blocking transfer into or out of buf. Returns: > 0 bytes moved; 0 would block; -1 the
 * stream failed or ended. */
static ssize_t transfer(int fd, bool sending, uint8_t *buf, size_t n)
{
    for (;;) {
        ssize_t r = sending ? send(fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT) : recv(fd, buf, n, MSG_DONTWAIT);
        if (r > 0)
            return r;
        if (r < 0 && errno == EINTR)
            continue;
        return r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
    }
}

int enc_host_exchange_step(enc_host *h, short *wait_events, uint8_t *resp_type, uint8_t **resp, size_t *resp_len)
{
    exchange *x = &h->x;
    ssize_t r;

    ARG_CHECK(x->running);
    while (x->out_sent < x->out_len) {
        if ((r = transfer(h->fd, true, x->out + x->out_sent, x->out_len - x->out_sent)) < 0)
            return exchange_fail(h, ST_IO);
        if (r == 0) {
            *wait_events = POLLOUT;
            return ST_PENDING;
        }
        x->out_sent += (size_t)r;
    }
    while (x->hdr_got < sizeof x->hdr || x->in_got < x->in_len) {
        bool in_header = x->hdr_got < sizeof x->hdr;
        r = in_header ? transfer(h->fd, false, x->hdr + x->hdr_got, sizeof x->hdr - x->hdr_got)
                      : transfer(h->fd, false, x->in + x->in_got, x->in_len - x->in_got);
        if (r < 0)
            return exchange_fail(h, ST_IO);
        if (r == 0) {
            *wait_events = POLLIN;
            return ST_PENDING;
        }
        if (!in_header) {
            x->in_got += (size_t)r;
            continue;
        }
        x->hdr_got += (size_t)r;
        if (x->hdr_got == sizeof x->hdr) {
            uint32_t rest;
            int rc = enc_proto_header_parse(&x->type, &x->in_len, &rest, x->hdr);
            if (rc != ST_OK)  /* the enclave's frames are ours: a refused one is not stepped over */
                return exchange_fail(h, rc);
            if (!(x->in = malloc(x->in_len + 1)))
                return exchange_fail(h, ST_NOMEM);
        }
    }
    x->in[x->in_len] = '\0';
    *resp_type = x->type;
    *resp = x->in;  /* ownership passes to the caller */
    *resp_len = x->in_len;
    x->in = NULL;
    exchange_clear(x);
    return ST_OK;
}

int enc_host_fd(const enc_host *h)
{
    return h->fd;
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

int enc_host_ballot_key(enc_host *h, uint64_t chain_id, uint8_t key[LEDGER_BALLOT_KEY_LEN],
                        uint8_t sig[LEDGER_BALLOT_KEY_SIG_LEN])
{
    uint8_t req[8], type, *resp;
    size_t resp_len;
    int rc;

    for (unsigned i = 0; i < 8; i++)
        req[i] = (uint8_t)(chain_id >> (56 - 8 * i));
    rc = enc_host_call(h, ENC_MSG_BALLOT_KEY_REQ, req, sizeof req, &type, &resp, &resp_len, ENC_HOST_TIMEOUT_MS);
    if (rc != ST_OK)
        return rc;
    if (type != ENC_MSG_BALLOT_KEY_RESP || resp_len != LEDGER_BALLOT_KEY_LEN + LEDGER_BALLOT_KEY_SIG_LEN) {
        rc = ST_INVALID;
    } else {
        memcpy(key, resp, LEDGER_BALLOT_KEY_LEN);
        memcpy(sig, resp + LEDGER_BALLOT_KEY_LEN, LEDGER_BALLOT_KEY_SIG_LEN);
    }
    enc_host_resp_free(resp);
    return rc;
}

pid_t enc_host_pid(const enc_host *h)
{
    return h->pid;
}

/* Closes the socket, gives the enclave grace_ms to exit, then SIGKILLs it; reaps it, frees h. */
static int stop_within(enc_host *h, int grace_ms, int *wstatus)
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
        while (h->pidfd >= 0 && (r = poll(&p, 1, grace_ms)) < 0 && errno == EINTR)
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
    exchange_clear(&h->x);
    free(h);
    if (wstatus)
        *wstatus = ws;
    return rc;
}

int enc_host_stop(enc_host *h, int *wstatus)
{
    return stop_within(h, ENC_HOST_STOP_TIMEOUT_MS, wstatus);
}

int enc_host_kill(enc_host *h, int *wstatus)
{
    return stop_within(h, 0, wstatus);
}
