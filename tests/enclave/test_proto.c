/* SPDX-License-Identifier: MIT */
/* test_proto.c: the frame codec: header layout, round trips up to the 16 MiB limit, every way a
 * stream can end, refused frames that leave the stream in step, deadlines, a dead peer without
 * SIGPIPE, deterministic fuzzing (random bytes, every truncation of a valid stream), an injected
 * malloc failure (the binary links with --wrap=malloc) and a misuse. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "enclave/proto.h"
#include "tests/lib/testhelp.h"

/* --- streams --- */

/* A growable byte string for building streams. */
typedef struct bytes {
    uint8_t *p;
    size_t n, cap;
} bytes;

static void put(bytes *b, const void *data, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2;
        b->p = realloc(b->p, b->cap);
        cr_assert_not_null(b->p, "memory for the test stream");
    }
    if (n > 0)
        memcpy(b->p + b->n, data, n);
    b->n += n;
}

static void put_frame(bytes *b, uint8_t type, const void *payload, size_t len)
{
    uint8_t hdr[ENC_PROTO_HEADER_LEN];
    cr_assert_eq(enc_proto_header(hdr, type, len), ST_OK, "a header for %zu bytes", len);
    put(b, hdr, sizeof hdr);
    put(b, payload, len);
}

/* A raw header: any length field, version, type and reserved value. */
static void put_raw_header(bytes *b, uint32_t rest, uint8_t version, uint8_t type, uint16_t reserved)
{
    uint8_t h[8] = { (uint8_t)(rest >> 24), (uint8_t)(rest >> 16), (uint8_t)(rest >> 8), (uint8_t)rest,
                     version, type, (uint8_t)(reserved >> 8), (uint8_t)reserved };
    put(b, h, sizeof h);
}

typedef struct feeder {
    int fd;
    const uint8_t *p;
    size_t n;
} feeder;

static void *feed(void *arg)
{
    feeder *f = arg;
    size_t done = 0;
    while (done < f->n) {
        ssize_t r = write(f->fd, f->p + done, f->n - done);
        if (r <= 0)
            break;
        done += (size_t)r;
    }
    close(f->fd);
    return NULL;
}

/* Returns the read end of a socketpair whose other end a thread fills with b, then closes. */
static int stream_of(const bytes *b, pthread_t *t, feeder *f)
{
    int sv[2];
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0, "socketpair");
    *f = (feeder){ .fd = sv[1], .p = b->p, .n = b->n };
    cr_assert_eq(pthread_create(t, NULL, feed, f), 0, "the feeder thread starts");
    return sv[0];
}

static void expect_frame(int fd, uint8_t type, const void *payload, size_t len, const char *what)
{
    enc_frame f;
    enc_frame_init(&f);
    cr_assert_eq(enc_proto_read(&f, fd, 5000), ST_OK, "%s: reads", what);
    cr_assert_eq(f.type, type, "%s: type", what);
    cr_assert_eq(f.len, len, "%s: length", what);
    if (len > 0)
        cr_assert_eq(memcmp(f.payload, payload, len), 0, "%s: payload", what);
    cr_assert_eq(f.payload[len], 0, "%s: a NUL follows the payload", what);
    enc_frame_clear(&f);
}

static void expect_status(int fd, int want, const char *what)
{
    enc_frame f;
    enc_frame_init(&f);
    int rc = enc_proto_read(&f, fd, 5000);
    cr_assert_eq(rc, want, "%s: %s, not %s", what, st_str(want), st_str(rc));
    cr_assert_null(f.payload, "%s: the frame is left empty", what);
    cr_assert_eq(f.len, 0, "%s: with no length", what);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* --- tests --- */

Test(enclave_proto, encodes_the_header_as_length_version_type_reserved)
{
    uint8_t hdr[ENC_PROTO_HEADER_LEN];
    static const uint8_t want[] = { 0, 0, 0, 7, 1, ENC_MSG_ATTEST_REQ, 0, 0 };
    cr_assert_eq(enc_proto_header(hdr, ENC_MSG_ATTEST_REQ, 3), ST_OK, "3 bytes of payload fit");
    cr_assert_arr_eq(hdr, want, sizeof want, "u32 BE length of the rest (4 + 3), version 1, type, 0");
    cr_assert_eq(enc_proto_header(hdr, ENC_MSG_PING, ENC_PROTO_MAX_PAYLOAD), ST_OK, "the largest payload fits");
    cr_assert_eq(hdr[0], 1, "the length field is 16 MiB");
    cr_assert_eq(hdr[1] | hdr[2] | hdr[3], 0, "exactly 16 MiB");
    memset(hdr, 0xee, sizeof hdr);
    cr_assert_eq(enc_proto_header(hdr, ENC_MSG_PING, ENC_PROTO_MAX_PAYLOAD + 1), ST_LIMIT, "one more byte is over");
    cr_assert_eq(hdr[0], 0xee, "the header is untouched on failure");
}

Test(enclave_proto, round_trips_frames_of_many_sizes_through_a_socket)
{
    static const size_t sizes[] = { 0, 1, 7, 4096, 100000, 1u << 20 };
    uint8_t *payload = malloc(1u << 20);
    int sv[2];
    pthread_t t;
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0, "socketpair");
    for (size_t i = 0; i < 1u << 20; i++)
        payload[i] = (uint8_t)rnd();
    /* The host's mode (deadline, send) writes, the enclave's mode (plain read) reads, and back. */
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        feeder f = { .fd = -1 };
        bytes b = { 0 };
        put_frame(&b, (uint8_t)(i + 1), payload, sizes[i]);
        f = (feeder){ .fd = dup(sv[0]), .p = b.p, .n = b.n };
        cr_assert_eq(pthread_create(&t, NULL, feed, &f), 0, "feeder");
        expect_frame(sv[1], (uint8_t)(i + 1), payload, sizes[i], "through a raw writer");
        pthread_join(t, NULL);
        free(b.p);
    }
    cr_assert_eq(enc_proto_write(sv[0], 5000, ENC_MSG_PONG, payload, 100), ST_OK, "the host's write");
    expect_frame(sv[1], ENC_MSG_PONG, payload, 100, "host to enclave");
    cr_assert_eq(enc_proto_write(sv[1], -1, ENC_MSG_ERROR, (const uint8_t *)"no", 2), ST_OK, "the enclave's write");
    expect_frame(sv[0], ENC_MSG_ERROR, "no", 2, "enclave to host");
    cr_assert_eq(enc_proto_write(sv[0], 5000, ENC_MSG_PING, NULL, 0), ST_OK, "an empty payload may be NULL");
    expect_frame(sv[1], ENC_MSG_PING, NULL, 0, "empty");
    free(payload);
}

Test(enclave_proto, carries_the_largest_payload_and_refuses_one_byte_more)
{
    size_t n = ENC_PROTO_MAX_PAYLOAD;
    uint8_t *payload = calloc(1, n + 1);
    bytes b = { 0 };
    feeder f;
    pthread_t t;
    int sv[2], fd;

    payload[0] = 0x5a;
    payload[n - 1] = 0xa5;
    put_frame(&b, ENC_MSG_SETTLE_REQ, payload, n);
    put_frame(&b, ENC_MSG_PING, "after", 5);
    fd = stream_of(&b, &t, &f);
    expect_frame(fd, ENC_MSG_SETTLE_REQ, payload, n, "16 MiB - 4 bytes of payload");
    expect_frame(fd, ENC_MSG_PING, "after", 5, "the next frame");
    expect_status(fd, ST_NOTFOUND, "then the clean end");
    pthread_join(t, NULL);
    close(fd);
    free(b.p);
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0, "socketpair");
    cr_assert_eq(enc_proto_write(sv[0], 5000, ENC_MSG_PING, payload, n + 1), ST_LIMIT, "an oversized write is refused");
    close(sv[0]);
    expect_status(sv[1], ST_NOTFOUND, "and nothing was written");
    free(payload);
}

Test(enclave_proto, tells_a_clean_end_from_a_truncated_frame)
{
    bytes whole = { 0 };
    put_frame(&whole, ENC_MSG_PING, "abcdef", 6);
    /* Cut after every byte count: 0 is a clean end, 1..13 are inside the frame. */
    for (size_t cut = 0; cut < whole.n; cut++) {
        bytes b = { 0 };
        feeder f;
        pthread_t t;
        int fd;
        put(&b, whole.p, cut);
        fd = stream_of(&b, &t, &f);
        expect_status(fd, cut == 0 ? ST_NOTFOUND : ST_IO, cut == 0 ? "nothing at all" : "a cut frame");
        pthread_join(t, NULL);
        close(fd);
        free(b.p);
    }
    free(whole.p);
}

Test(enclave_proto, refuses_bad_frames_but_stays_in_step)
{
    bytes b = { 0 };
    uint8_t *big = calloc(1, ENC_PROTO_MAX_FRAME + 1);
    feeder f;
    pthread_t t;
    int fd;

    put(&b, "\0\0\0\3abc", 7);                                   /* length 3: no room for a header */
    put_frame(&b, ENC_MSG_PING, "1", 1);
    put(&b, "\0\0\0\0", 4);                                      /* length 0 */
    put_frame(&b, ENC_MSG_PING, "2", 1);
    put_raw_header(&b, ENC_PROTO_MAX_FRAME + 1, 1, ENC_MSG_PING, 0); /* one byte over 16 MiB */
    put(&b, big, ENC_PROTO_MAX_FRAME + 1 - 4);
    put_frame(&b, ENC_MSG_PING, "3", 1);
    put_raw_header(&b, 4 + 3, 2, ENC_MSG_PING, 0);               /* version 2 */
    put(&b, "xyz", 3);
    put_frame(&b, ENC_MSG_PING, "4", 1);
    put_raw_header(&b, 4 + 2, 1, ENC_MSG_PING, 0x0100);          /* reserved bits set */
    put(&b, "xy", 2);
    put_frame(&b, ENC_MSG_PING, "5", 1);
    fd = stream_of(&b, &t, &f);
    expect_status(fd, ST_INVALID, "length 3");
    expect_frame(fd, ENC_MSG_PING, "1", 1, "after length 3");
    expect_status(fd, ST_INVALID, "length 0");
    expect_frame(fd, ENC_MSG_PING, "2", 1, "after length 0");
    expect_status(fd, ST_LIMIT, "16 MiB + 1");
    expect_frame(fd, ENC_MSG_PING, "3", 1, "after the oversized frame");
    expect_status(fd, ST_VERSION, "version 2");
    expect_frame(fd, ENC_MSG_PING, "4", 1, "after version 2");
    expect_status(fd, ST_VERSION, "reserved bits");
    expect_frame(fd, ENC_MSG_PING, "5", 1, "after the reserved bits");
    expect_status(fd, ST_NOTFOUND, "the end");
    pthread_join(t, NULL);
    close(fd);
    free(b.p);
    free(big);
}

Test(enclave_proto, an_oversized_frame_cut_short_is_an_io_error)
{
    bytes b = { 0 };
    feeder f;
    pthread_t t;
    int fd;
    put_raw_header(&b, 0xffffffffu, 1, ENC_MSG_PING, 0);
    put(&b, "only a little", 13);
    fd = stream_of(&b, &t, &f);
    expect_status(fd, ST_IO, "a 4 GiB claim that ends early");
    pthread_join(t, NULL);
    close(fd);
    free(b.p);
}

Test(enclave_proto, a_read_gives_up_at_its_deadline)
{
    int sv[2];
    enc_frame f;
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0, "socketpair");
    enc_frame_init(&f);
    cr_assert_eq(enc_proto_read(&f, sv[0], 30), ST_IO, "nothing arrives within 30 ms");
    cr_assert_eq(write(sv[1], "\0\0\0\x09\1\1\0\0ab", 10), 10, "half a frame");
    cr_assert_eq(enc_proto_read(&f, sv[0], 30), ST_IO, "the rest does not arrive within 30 ms");
    cr_assert_null(f.payload, "no payload is left behind");
}

Test(enclave_proto, writing_to_a_dead_peer_is_an_error_not_sigpipe)
{
    int sv[2];
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0, "socketpair");
    close(sv[1]);
    cr_assert_eq(enc_proto_write(sv[0], 1000, ENC_MSG_PING, (const uint8_t *)"x", 1), ST_IO,
                 "EPIPE is reported (the test would die of SIGPIPE otherwise)");
}

Test(enclave_proto, a_write_gives_up_at_its_deadline_when_nobody_reads)
{
    size_t n = 8u << 20;
    uint8_t *payload = calloc(1, n);
    int sv[2];
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0, "socketpair");
    cr_assert_eq(enc_proto_write(sv[0], 50, ENC_MSG_PING, payload, n), ST_IO,
                 "8 MiB cannot go into a socket nobody reads within 50 ms");
    free(payload);
}

Test(enclave_proto, survives_random_byte_streams)
{
    for (int round = 0; round < 300; round++) {
        bytes b = { 0 };
        feeder f;
        pthread_t t;
        enc_frame fr;
        size_t n = rnd() % 300, frames = 0;
        int fd, rc;
        for (size_t i = 0; i < n; i++) {
            /* Bias towards small lengths and our version so that some frames parse. */
            uint8_t c = (uint8_t)rnd();
            if (i % 8 < 3 && rnd() % 2)
                c = 0;
            if (i % 8 == 4 && rnd() % 2)
                c = ENC_PROTO_VERSION;
            put(&b, &c, 1);
        }
        fd = stream_of(&b, &t, &f);
        enc_frame_init(&fr);
        while ((rc = enc_proto_read(&fr, fd, 5000)) != ST_IO && rc != ST_NOTFOUND) {
            cr_assert(rc == ST_OK || rc == ST_INVALID || rc == ST_LIMIT || rc == ST_VERSION,
                      "round %d: only the documented refusals (%s)", round, st_str(rc));
            cr_assert(rc != ST_OK || fr.len < n, "round %d: a frame never exceeds its input", round);
            frames++;
        }
        cr_assert_leq(frames * 4, n, "round %d: every frame consumed at least 4 bytes", round);
        enc_frame_clear(&fr);
        pthread_join(t, NULL);
        close(fd);
        free(b.p);
    }
}

Test(enclave_proto, every_truncation_of_a_valid_stream_yields_exactly_its_whole_frames)
{
    bytes whole = { 0 };
    size_t ends[8], nframes = 0;
    uint8_t payload[64];
    for (size_t i = 0; i < sizeof payload; i++)
        payload[i] = (uint8_t)rnd();
    for (size_t i = 0; i < 8; i++) {
        put_frame(&whole, (uint8_t)rnd(), payload, rnd() % sizeof payload);
        ends[nframes++] = whole.n;
    }
    for (size_t cut = 0; cut <= whole.n; cut++) {
        bytes b = { 0 };
        feeder f;
        pthread_t t;
        enc_frame fr;
        size_t got = 0, want = 0;
        int fd, rc, boundary = cut == 0;
        for (size_t i = 0; i < nframes; i++) {
            want += ends[i] <= cut;
            boundary |= ends[i] == cut;
        }
        put(&b, whole.p, cut);
        fd = stream_of(&b, &t, &f);
        enc_frame_init(&fr);
        while ((rc = enc_proto_read(&fr, fd, 5000)) == ST_OK)
            got++;
        cr_assert_eq(got, want, "cut at %zu: %zu whole frames", cut, want);
        cr_assert_eq(rc, boundary ? ST_NOTFOUND : ST_IO, "cut at %zu: %s end", cut, boundary ? "a clean" : "a broken");
        pthread_join(t, NULL);
        close(fd);
        free(b.p);
    }
    free(whole.p);
}

Test(enclave_proto, a_failed_allocation_is_reported_and_the_stream_stays_in_step)
{
    bytes b = { 0 };
    feeder f;
    pthread_t t;
    enc_frame fr;
    int fd, rc;
    put_frame(&b, ENC_MSG_ATTEST_REQ, "12345678", 8);
    put_frame(&b, ENC_MSG_PING, "next", 4);
    fd = stream_of(&b, &t, &f);
    enc_frame_init(&fr);
    th_alloc_fail_at(1);
    rc = enc_proto_read(&fr, fd, 5000);
    th_alloc_fail_at(0);
    cr_assert_eq(rc, ST_NOMEM, "no memory for the payload: %s", st_str(rc));
    cr_assert_null(fr.payload, "nothing is held");
    expect_frame(fd, ENC_MSG_PING, "next", 4, "the following frame");
    pthread_join(t, NULL);
    close(fd);
    free(b.p);
}

/* libcore is built without DEBUG, so ARG_CHECK logs the caller bug and returns ST_INVALID. */
Test(enclave_proto, a_negative_fd_or_a_missing_payload_is_a_caller_bug)
{
    enc_frame f;
    enc_frame_init(&f);
    cr_assert_eq(enc_proto_read(&f, -1, 0), ST_INVALID, "reading fd -1");
    cr_assert_null(f.payload, "the frame stays empty");
    cr_assert_eq(enc_proto_write(-1, 0, ENC_MSG_PING, NULL, 0), ST_INVALID, "writing fd -1");
    cr_assert_eq(enc_proto_write(1, 0, ENC_MSG_PING, NULL, 1), ST_INVALID, "a NULL payload of 1 byte");
}
