/* SPDX-License-Identifier: MIT */
/* proto.c: framing over a stream socket (see proto.h). Every read and write loops over short
 * transfers and EINTR. Without a timeout only read(2) and write(2) are called, because the confined
 * enclave may call nothing else; with one, poll(2) guards each transfer against a shared deadline.
 * A refused frame is drained through a stack buffer, never allocated, so its size costs no memory. */
#include "enclave/proto.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* A deadline on the monotonic clock; none when timeout_ms < 0. */
typedef struct deadline {
    int timed;           /* 0: block without limit */
    struct timespec at;  /* CLOCK_MONOTONIC time of expiry */
} deadline;

static void deadline_start(deadline *d, int timeout_ms)
{
    d->timed = timeout_ms >= 0;
    if (!d->timed)
        return;
    clock_gettime(CLOCK_MONOTONIC, &d->at);
    d->at.tv_sec += timeout_ms / 1000;
    d->at.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (d->at.tv_nsec >= 1000000000L) {
        d->at.tv_sec++;
        d->at.tv_nsec -= 1000000000L;
    }
}

/* Waits until fd is ready for events or the deadline passes. Returns: ST_OK or ST_IO. */
static int deadline_wait(const deadline *d, int fd, short events)
{
    for (;;) {
        struct timespec now;
        struct pollfd p = { .fd = fd, .events = events };
        long long ms;
        int r;

        clock_gettime(CLOCK_MONOTONIC, &now);
        ms = (long long)(d->at.tv_sec - now.tv_sec) * 1000 + (d->at.tv_nsec - now.tv_nsec) / 1000000L;
        if (ms < 0)
            return ST_IO;
        r = poll(&p, 1, ms > 60000 ? 60000 : (int)ms);
        if (r < 0 && errno != EINTR)
            return ST_IO;
        /* POLLHUP and POLLERR count as ready: the next transfer reports them. */
        if (r > 0)
            return ST_OK;
        if (r == 0 && ms <= 60000)
            return ST_IO;
    }
}

/* Reads exactly n bytes. Returns: ST_OK; ST_NOTFOUND if the stream ended before the first byte
 * and eof_ok is set; ST_IO otherwise. */
static int read_full(const deadline *d, int fd, uint8_t *buf, size_t n, int eof_ok)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r;
        if (d->timed && deadline_wait(d, fd, POLLIN) != ST_OK)
            return ST_IO;
        r = read(fd, buf + got, n - got);
        if (r < 0 && (errno == EINTR || (d->timed && errno == EAGAIN)))
            continue;
        if (r < 0)
            return ST_IO;
        if (r == 0)
            return got == 0 && eof_ok ? ST_NOTFOUND : ST_IO;
        got += (size_t)r;
    }
    return ST_OK;
}

/* Writes exactly n bytes. Returns: ST_OK or ST_IO. */
static int write_full(const deadline *d, int fd, const uint8_t *buf, size_t n)
{
    size_t put = 0;
    while (put < n) {
        ssize_t r;
        if (d->timed) {
            if (deadline_wait(d, fd, POLLOUT) != ST_OK)
                return ST_IO;
            r = send(fd, buf + put, n - put, MSG_NOSIGNAL | MSG_DONTWAIT);
        } else {
            r = write(fd, buf + put, n - put);
        }
        if (r < 0 && (errno == EINTR || (d->timed && errno == EAGAIN)))
            continue;
        if (r <= 0)
            return ST_IO;
        put += (size_t)r;
    }
    return ST_OK;
}

/* Reads and discards n bytes. Returns: ST_OK or ST_IO. */
static int drain(const deadline *d, int fd, size_t n)
{
    uint8_t sink[4096];
    while (n > 0) {
        size_t take = n < sizeof sink ? n : sizeof sink;
        if (read_full(d, fd, sink, take, 0) != ST_OK)
            return ST_IO;
        n -= take;
    }
    return ST_OK;
}

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void enc_frame_init(enc_frame *f)
{
    f->type = 0;
    f->payload = NULL;
    f->len = 0;
}

void enc_frame_clear(enc_frame *f)
{
    free(f->payload);
    enc_frame_init(f);
}

int enc_proto_header(uint8_t hdr[ENC_PROTO_HEADER_LEN], uint8_t type, size_t payload_len)
{
    uint32_t rest;
    if (payload_len > ENC_PROTO_MAX_PAYLOAD)
        return ST_LIMIT;
    rest = (uint32_t)payload_len + 4;
    hdr[0] = (uint8_t)(rest >> 24);
    hdr[1] = (uint8_t)(rest >> 16);
    hdr[2] = (uint8_t)(rest >> 8);
    hdr[3] = (uint8_t)rest;
    hdr[4] = ENC_PROTO_VERSION;
    hdr[5] = type;
    hdr[6] = 0;
    hdr[7] = 0;
    return ST_OK;
}

int enc_proto_header_parse(uint8_t *type, size_t *payload_len, uint32_t *rest,
                           const uint8_t hdr[ENC_PROTO_HEADER_LEN])
{
    *rest = get_be32(hdr);
    if (*rest < 4)
        return ST_INVALID;
    if (*rest > ENC_PROTO_MAX_FRAME)
        return ST_LIMIT;
    if (hdr[4] != ENC_PROTO_VERSION || hdr[6] != 0 || hdr[7] != 0)
        return ST_VERSION;
    *type = hdr[5];
    *payload_len = *rest - 4;
    return ST_OK;
}

int enc_proto_write(int fd, int timeout_ms, uint8_t type, const uint8_t *payload, size_t len)
{
    uint8_t hdr[ENC_PROTO_HEADER_LEN];
    deadline d;
    int rc;

    ARG_CHECK(fd >= 0);
    ARG_CHECK(payload != NULL || len == 0);
    rc = enc_proto_header(hdr, type, len);
    if (rc != ST_OK)
        return rc;
    deadline_start(&d, timeout_ms);
    rc = write_full(&d, fd, hdr, sizeof hdr);
    if (rc == ST_OK && len > 0)
        rc = write_full(&d, fd, payload, len);
    return rc;
}

int enc_proto_read(enc_frame *f, int fd, int timeout_ms)
{
    uint8_t hdr[ENC_PROTO_HEADER_LEN];
    deadline d;
    uint32_t rest;
    uint8_t type;
    size_t len;
    int rc;

    enc_frame_clear(f);
    ARG_CHECK(fd >= 0);
    deadline_start(&d, timeout_ms);
    rc = read_full(&d, fd, hdr, 4, 1);
    if (rc != ST_OK)
        return rc;
    rest = get_be32(hdr);
    if (rest < 4)  /* not even the rest of a header follows */
        return drain(&d, fd, rest) == ST_OK ? ST_INVALID : ST_IO;
    if (read_full(&d, fd, hdr + 4, 4, 0) != ST_OK)
        return ST_IO;
    rc = enc_proto_header_parse(&type, &len, &rest, hdr);
    if (rc != ST_OK)
        return drain(&d, fd, rest - 4) == ST_OK ? rc : ST_IO;
    f->payload = malloc(len + 1);
    if (!f->payload)
        return drain(&d, fd, len) == ST_OK ? ST_NOMEM : ST_IO;
    if (read_full(&d, fd, f->payload, len, 0) != ST_OK) {
        enc_frame_clear(f);
        return ST_IO;
    }
    f->payload[len] = '\0';
    f->type = type;
    f->len = len;
    return ST_OK;
}
