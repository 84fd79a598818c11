/* SPDX-License-Identifier: MIT */
/* fuzz_proto.c: the frame reader both ends of the enclave's socket use (enclave/proto.c), on any
 * byte stream a peer may send. The input is written to one end of a socketpair, which is then
 * closed; frames are read from the other end until the stream ends or falls out of step. The first
 * byte picks the reader's mode: read(2) alone (the confined enclave's) or with a deadline (the
 * host's). Invariants: a frame's payload is at most ENC_PROTO_MAX_PAYLOAD and NUL-terminated; every
 * status but ST_IO and ST_NOTFOUND leaves the stream in step, so reading goes on. */
#include "fuzz/fuzz.h"

#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "enclave/proto.h"

/* The most input bytes used; a stream the socket cannot buffer whole is cut where it fills (the
 * writer never blocks), which the reader sees as an early end of stream. */
#define MAX_INPUT (64u << 10)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > MAX_INPUT)
        return 0;
    int sv[2];
    FUZZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    int bufsize = 2 * MAX_INPUT;
    (void)setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &bufsize, sizeof bufsize);
    (void)setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &bufsize, sizeof bufsize);
    int timeout_ms = data[0] & 1 ? 1000 : -1;
    size_t off = 1;
    FUZZ_CHECK(fcntl(sv[0], F_SETFL, O_NONBLOCK) == 0);
    while (off < size) {
        ssize_t n = write(sv[0], data + off, size - off);
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    close(sv[0]);

    enc_frame f;
    enc_frame_init(&f);
    for (unsigned frames = 0; frames < size; frames++) {
        int rc = enc_proto_read(&f, sv[1], timeout_ms);
        if (rc == ST_OK) {
            FUZZ_CHECK(f.len <= ENC_PROTO_MAX_PAYLOAD);
            FUZZ_CHECK(f.payload != NULL && f.payload[f.len] == '\0');
        } else {
            FUZZ_CHECK(f.len == 0);
            if (rc == ST_IO || rc == ST_NOTFOUND)
                break;
        }
    }
    enc_frame_clear(&f);
    close(sv[1]);
    return 0;
}
