/* SPDX-License-Identifier: MIT */
/* seal.h: a trusted program's identity key, sealed to the platform and the program's measurement.
 * Layer: enclave (inside the trusted programs only, conclave-enclave and conclave-worker; the host
 * never sees the key).
 * A sealed file is "CSEAL1" || nonce (12) || ciphertext (32) || tag (16): AES-256-GCM under the
 * platform's seal key with the measurement as associated data, so another binary (another seal key
 * and another AAD) or any changed byte fails to open it. The file for a measurement m lives at
 * DIR/<prefix>-<hex of m's first 8 bytes>.sealed, the prefix naming the key ("enclave" for
 * conclave-enclave's identity, "ballot" for its ballot key, "worker" for conclave-worker), so all can
 * share one directory. */
#ifndef ENCLAVE_SEAL_H
#define ENCLAVE_SEAL_H

#include <secp256k1.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "enclave/platform.h"
#include "ledger/status.h"

#define ENC_SEAL_FILE_LEN 66        /* magic 6 + nonce 12 + ciphertext 32 + tag 16 */
#define ENC_SEAL_NONCE_LEN 12

/* Seals a 32-byte secret. The nonce must be fresh for this seal key (random is fine: a key is
 * sealed once per measurement). Out: out the sealed bytes. In: seal_key (enc_platform_seal_key),
 * measurement (the associated data), secret, nonce. */
void enc_seal_serialize(uint8_t out[ENC_SEAL_FILE_LEN], const uint8_t seal_key[32],
                        const uint8_t measurement[32], const uint8_t secret[32],
                        const uint8_t nonce[ENC_SEAL_NONCE_LEN]) NONNULL(1, 2, 3, 4, 5);

/* Opens sealed bytes; the tag is compared in constant time.
 * Returns: ST_OK; ST_CRYPTO if blob is not exactly what enc_seal_serialize made under this seal key
 * and measurement (wrong length, magic, key, measurement, or any modified byte).
 * Out: secret (zero on failure; wipe it after use). */
int enc_seal_parse(uint8_t secret[32], const uint8_t seal_key[32], const uint8_t measurement[32],
                   const uint8_t *blob, size_t len) WARN_UNUSED NONNULL(1, 2, 3, 4);

/* Writes the sealed file's path for a measurement: dir "/" prefix "-" 16 hex digits ".sealed".
 * Returns: ST_OK; ST_LIMIT if it does not fit in cap bytes (with its NUL); ST_INVALID (a caller
 * bug) if prefix is empty or holds a '/'.
 * In: dir; prefix the program's name ("enclave", "worker"); measurement. */
int enc_seal_path(char *out, size_t cap, const char *dir, const char *prefix, const uint8_t measurement[32])
    WARN_UNUSED NONNULL(1, 3, 4, 5);

/* A trusted program's identity: unseals its key from dir, or, if this measurement has no sealed file
 * yet, makes a key from the platform's entropy and seals it there (mode 0600, written in full under
 * a temporary name and linked into place; if another instance got there first, its key is used).
 * An existing file that does not open is an error, never overwritten.
 * Returns: ST_OK; ST_CRYPTO if the file exists but does not open under this platform and
 * measurement, or holds an invalid key; ST_LIMIT if the path is too long; ST_IO on file errors.
 * Args: ctx a secp256k1 context (secp256k1_context_static will do).
 * Out: key the secret key (zero on failure; wipe it after use); *created true if it was made now.
 * In: p the platform; dir an existing directory; prefix the program's name in the file name (enc_seal_path). */
int enc_seal_identity(const secp256k1_context *ctx, uint8_t key[32], bool *created, const enc_platform *p,
                      const char *dir, const char *prefix) WARN_UNUSED NONNULL(1, 2, 3, 4, 5, 6);

#endif
