/* SPDX-License-Identifier: MIT */
/* proto.h: the frames that conclaved and conclave-enclave exchange over their stream socket.
 * Layer: enclave (pure; both the host in libcore and the confined enclave program use it).
 * A frame is: u32 big-endian length of the rest, u8 version (1), u8 type, u16 reserved (0), then
 * the payload. The length comes first in every version, so a reader can always step over a frame
 * it refuses and stay in step with the stream. */
#ifndef ENCLAVE_PROTO_H
#define ENCLAVE_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include "ledger/status.h"

#define ENC_PROTO_VERSION 1
#define ENC_PROTO_HEADER_LEN 8                     /* length(4) version(1) type(1) reserved(2) */
#define ENC_PROTO_MAX_FRAME (16u << 20)            /* largest length field (bytes after it): 16 MiB */
#define ENC_PROTO_MAX_PAYLOAD (ENC_PROTO_MAX_FRAME - 4)

/* Message types. A request gets exactly one response frame: its own response type or ERROR. */
enum enc_msg {
    ENC_MSG_PING = 1,        /* any payload; answered by PONG with the same payload */
    ENC_MSG_PONG = 2,
    ENC_MSG_ATTEST_REQ = 3,  /* payload: u64 big-endian chainId */
    ENC_MSG_ATTEST_RESP = 4, /* payload: the quote (enclave/quote.h) */
    ENC_MSG_SETTLE_REQ = 5,  /* an epoch's settlement inputs (settle.h canonical form) */
    ENC_MSG_SETTLE_RESP = 6, /* the signed settlement report (settle.h canonical form) */
    /* Secret ballots (docs/SECRET_BALLOTS.md gives every payload byte by byte). */
    ENC_MSG_BALLOT_KEY_REQ = 7,          /* u64 chainId */
    ENC_MSG_BALLOT_KEY_RESP = 8,         /* ballotKey (33) || its signature by the identity (65) */
    ENC_MSG_COUNT_BEGIN = 9,             /* a count's header (enclave/count_report.h) */
    ENC_MSG_COUNT_ACK = 10,              /* u32 ballots received so far */
    ENC_MSG_COUNT_CHUNK = 11,            /* whole ballots: voter || weight || u16 len || ciphertext */
    ENC_MSG_COUNT_REPORT = 12,           /* the count report || its signature (65) */
    ENC_MSG_BALLOT_KEY_EXPORT_REQ = 13,  /* u64 chainId || the new enclave's quote */
    ENC_MSG_BALLOT_KEY_EXPORT_RESP = 14, /* the handover blob */
    ENC_MSG_BALLOT_KEY_IMPORT_REQ = 15,  /* the handover blob */
    ENC_MSG_BALLOT_KEY_IMPORT_RESP = 16, /* as BALLOT_KEY_RESP */
    ENC_MSG_ERROR = 127      /* payload: a UTF-8 message, no NUL */
};

/* One received frame. Caller-provided storage: enc_frame_init before the first read,
 * enc_frame_clear to release the payload (a read also releases what the frame held before). */
typedef struct enc_frame {
    uint8_t type;       /* enum enc_msg, or any value a peer sent */
    uint8_t *payload;   /* len bytes followed by a NUL not counted in len; owned by the frame */
    size_t len;         /* payload bytes, at most ENC_PROTO_MAX_PAYLOAD */
} enc_frame;

/* Makes f empty (no payload). */
void enc_frame_init(enc_frame *f) NONNULL(1);
/* Releases f's payload and makes it empty again. */
void enc_frame_clear(enc_frame *f) NONNULL(1);

/* Encodes the header of a frame carrying payload_len bytes of payload (send the payload after it).
 * Returns: ST_OK; ST_LIMIT if payload_len > ENC_PROTO_MAX_PAYLOAD (hdr untouched).
 * Out: hdr the 8 header bytes. */
int enc_proto_header(uint8_t hdr[ENC_PROTO_HEADER_LEN], uint8_t type, size_t payload_len)
    WARN_UNUSED NONNULL(1);

/* Reads the header of a frame whose 8 bytes have arrived.
 * Returns: ST_OK; ST_INVALID, ST_LIMIT or ST_VERSION as enc_proto_read refuses a frame.
 * Out: *type and *payload_len on ST_OK; *rest the frame's length field (the bytes that follow the
 * length) on every status, so a reader that refuses it can step over it. */
int enc_proto_header_parse(uint8_t *type, size_t *payload_len, uint32_t *rest,
                           const uint8_t hdr[ENC_PROTO_HEADER_LEN]) WARN_UNUSED NONNULL(1, 2, 3, 4);

/* Writes one frame to fd.
 * timeout_ms < 0: blocking write(2) only, the confined enclave's mode (its filter allows nothing
 * else). timeout_ms >= 0: the host's mode; fd must be a socket, the whole frame must go out before
 * the deadline (poll(2)), and send(2) uses MSG_NOSIGNAL so a dead peer is ST_IO, not SIGPIPE.
 * Returns: ST_OK; ST_LIMIT if len > ENC_PROTO_MAX_PAYLOAD (nothing written); ST_IO if the write
 * failed or timed out (part of the frame may have gone: the stream is out of step).
 * In: payload may be NULL when len is 0. Thread-safety: one writer per fd at a time. */
int enc_proto_write(int fd, int timeout_ms, uint8_t type, const uint8_t *payload, size_t len)
    WARN_UNUSED;

/* Reads one frame from fd. timeout_ms as for enc_proto_write (a deadline for the whole frame;
 * < 0 uses read(2) alone). Short reads are resumed; a frame the reader refuses is read to its end,
 * so after every status except ST_IO and ST_NOTFOUND the stream is still in step.
 * Returns: ST_OK: a frame.
 *          ST_NOTFOUND: the peer closed the stream cleanly, before the first byte of a frame.
 *          ST_IO: read error, timeout, or end of stream inside a frame.
 *          ST_INVALID: the length field is below 4 (no room for the header).
 *          ST_LIMIT: the length field exceeds ENC_PROTO_MAX_FRAME.
 *          ST_VERSION: the version is not ENC_PROTO_VERSION or the reserved field is not 0.
 *          ST_NOMEM: no memory for the payload.
 * Out: f holds the frame on ST_OK; on any other status it is empty (its old payload released). */
int enc_proto_read(enc_frame *f, int fd, int timeout_ms) WARN_UNUSED NONNULL(1);

#endif
