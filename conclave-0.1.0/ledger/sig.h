/* SPDX-License-Identifier: MIT */
/* sig.h: secp256k1 signatures the Ethereum way: recovery of the signer's address from a 65-byte
 * r||s||v signature over a 32-byte digest, with low-s enforced (EIP-2), and RFC 6979 signing for the
 * CLI and tests. One randomized context per process, made on first use (thread-safe).
 * Layer: ledger (pure; the enclave uses it too). */
#ifndef LEDGER_SIG_H
#define LEDGER_SIG_H

#include <stdint.h>
#include "ledger/status.h"

/* Recovers the address that signed digest. v may be 27/28 or 0/1.
 * Returns: ST_OK; ST_CRYPTO if r or s is out of range, s > n/2, v is bad or recovery fails.
 * Out: addr the signer's address (unchanged on failure). */
int ledger_sig_recover(uint8_t addr[20], const uint8_t digest[32], const uint8_t sig[65])
    WARN_UNUSED NONNULL(1, 2, 3);

/* Checks the form of a signature without any curve arithmetic (EIP-2 rules).
 * Returns: NULL if 1 <= r < n, 1 <= s <= n/2 and v is 27, 28, 0 or 1; otherwise a short constant
 * reason ("s is not canonical (high s)", ...) for error messages. */
const char *ledger_sig_defect(const uint8_t sig[65]) NONNULL(1);

/* Signs digest with key (RFC 6979, low s). Out: sig = r||s||v with v in {27,28}.
 * Returns: ST_OK, or ST_CRYPTO if key is not a valid secret key. */
int ledger_sig_sign(uint8_t sig[65], const uint8_t digest[32], const uint8_t key[32])
    WARN_UNUSED NONNULL(1, 2, 3);

/* The address of a secret key. Returns: ST_OK or ST_CRYPTO. */
int ledger_sig_address(uint8_t addr[20], const uint8_t key[32]) WARN_UNUSED NONNULL(1, 2);

/* The address of a 64-byte uncompressed public key X||Y (no 0x04 prefix). */
void ledger_sig_pubkey_address(uint8_t addr[20], const uint8_t pub[64]) NONNULL(1, 2);

#endif
