/* SPDX-License-Identifier: MIT */
/* hex.h: 0x-prefixed hex, and Ethereum addresses (20 bytes; EIP-55 checksummed on output, any case
 * accepted on input). Layer: ledger (pure). */
#ifndef LEDGER_HEX_H
#define LEDGER_HEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ledger/status.h"

#define LEDGER_ADDR_STRLEN 43  /* "0x" + 40 hex + NUL */

/* Decodes "0x" followed by an even number of hex digits (any case) into out (capacity outcap).
 * Returns: ST_OK; ST_INVALID if not such a string; ST_LIMIT if longer than outcap bytes.
 * Out: *outlen the number of bytes written. */
int ledger_hex_decode(uint8_t *out, size_t outcap, size_t *outlen, const char *s, size_t slen)
    WARN_UNUSED NONNULL(1, 3, 4);
/* Decodes exactly n bytes of 0x-hex. Returns: ST_OK or ST_INVALID. */
int ledger_hex_decode_exact(uint8_t *out, size_t n, const char *s) WARN_UNUSED NONNULL(1, 3);
/* Writes "0x" + 2*len lowercase hex digits + NUL into out (capacity 2*len+3). */
void ledger_hex_encode(char *out, const uint8_t *in, size_t len) NONNULL(1);

/* Heap versions for blobs of any size: the decoded bytes of a 0x-hex string (NULL if malformed or
 * out of memory; *len their count), and the 0x-hex of len bytes. Caller frees with free(). */
uint8_t *ledger_hex_decode_alloc(const char *s, size_t *len) NONNULL(1, 2);
char *ledger_hex_encode_alloc(const uint8_t *in, size_t len);

/* Parses "0x" + 40 hex digits in any case. Returns: ST_OK or ST_INVALID. */
int ledger_addr_parse(uint8_t out[20], const char *s) WARN_UNUSED NONNULL(1, 2);
/* EIP-55 checksummed form of addr. Thread-safe: each thread keeps its own memo of recent results. */
void ledger_addr_format(char out[LEDGER_ADDR_STRLEN], const uint8_t addr[20]) NONNULL(1, 2);
/* Puts text, addr's EIP-55 form as ledger_addr_format made it on another thread, into this thread's
 * memo, so that the next ledger_addr_format of addr here copies it instead of hashing again (the
 * event loop learns a signer's form from the thread that recovered it). Does nothing when text is
 * empty. */
void ledger_addr_remember(const uint8_t addr[20], const char text[LEDGER_ADDR_STRLEN]) NONNULL(1, 2);

#endif
