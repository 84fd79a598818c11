/* SPDX-License-Identifier: MIT */
/* platform.h: THE SEAM between the enclave and the hardware that protects it. Layer: enclave.
 * Everything that a trusted-execution backend provides is declared here and nowhere else: the
 * measurement of the running code, a sealing key bound to that measurement, quotes signed by the
 * platform, entropy, and for verifiers the platform's attestation address (the stand-in for the
 * vendor's root certificate). platform.c is the simulated backend: a 32-byte platform secret in a
 * 0600 file stands in for the CPU's fused key, and the measurement is sha256 of /proc/self/exe.
 * An SGX or TDX backend is another .c implementing this same header (sealing with EGETKEY or the TD
 * key, quotes from the quoting enclave or TDREPORT, its own verifier), chosen in enclave/local.mk;
 * nothing outside this file pair knows which backend runs.
 * Derivations (simulated backend), all HKDF-SHA256 (RFC 5869) on nettle:
 *   seal key        = HKDF(ikm = secret, salt = measurement, info = "conclave-enclave-seal-v1")
 *   attestation key = HKDF(ikm = secret, no salt, info = "conclave-platform-attestation-v1"),
 *                     retried with info || u8 counter (1, 2, ...) until it is a valid secp256k1 key. */
#ifndef ENCLAVE_PLATFORM_H
#define ENCLAVE_PLATFORM_H

#include <secp256k1.h>
#include <stddef.h>
#include <stdint.h>
#include "enclave/quote.h"
#include "ledger/status.h"

#define ENC_PLATFORM_SECRET_LEN 32

/* The platform as the enclave sees it. Caller-provided storage, meant for the stack: fill it with
 * enc_platform_load (or enc_platform_init) and wipe it with enc_platform_clear. The fields belong
 * to the backend; other enclave code reads only measurement. */
typedef struct enc_platform {
    uint8_t secret[ENC_PLATFORM_SECRET_LEN]; /* the fused-key stand-in; never leaves the enclave */
    uint8_t measurement[32];                 /* sha256 of the running enclave binary */
    uint8_t conf_level;                      /* the confidence level it attests, 1..5 */
} enc_platform;

/* --- Inside the enclave --- */

/* Fills buf with len bytes from the platform's entropy source (getrandom(2) here).
 * Returns: ST_OK, or ST_IO if the source fails. */
int enc_platform_random(uint8_t *buf, size_t len) WARN_UNUSED NONNULL(1);
/* A new secp256k1 context for signing, randomized (blinded) with enc_platform_random.
 * Returns: ST_OK; ST_NOMEM; ST_IO or ST_CRYPTO if it could not be randomized (*out then NULL).
 * Out: *out, released with secp256k1_context_destroy. */
int enc_platform_signing_context(secp256k1_context **out) WARN_UNUSED NONNULL(1);

/* Sets up the platform for the running program: reads the platform secret (as
 * enc_platform_secret_read) and measures /proc/self/exe. The simulated platform's confidence level
 * is in the file secret_path ".level" (one digit 1..5, then an optional newline), 1 without it (a
 * real backend reads it from its attestation: Phala's levels 1-3 for a trusted TCB, 4 and 5 for
 * platforms with known advisories). Call before confinement.
 * Returns: ST_OK; a status of enc_platform_secret_read; ST_IO if the binary or the level file
 * cannot be read; ST_INVALID if the level file holds anything else.
 * Out: p ready on ST_OK, wiped otherwise. */
int enc_platform_load(enc_platform *p, const char *secret_path) WARN_UNUSED NONNULL(1, 2);

/* Sets up a platform from given parts (enc_platform_load's last step; tests use it directly to act
 * as another binary), at confidence level 1. Out: p. In: secret, measurement (copied). */
void enc_platform_init(enc_platform *p, const uint8_t secret[ENC_PLATFORM_SECRET_LEN],
                       const uint8_t measurement[32]) NONNULL(1, 2, 3);

/* Wipes p. */
void enc_platform_clear(enc_platform *p) NONNULL(1);

/* The key that seals data to this platform and this measurement only.
 * Out: key (a secret: wipe it after use). */
void enc_platform_seal_key(uint8_t key[32], const enc_platform *p) NONNULL(1, 2);

/* Makes a quote that binds p's measurement, enclave_pub and chain_id, signed by the platform
 * attestation key (RFC 6979, low s).
 * Returns: ST_OK, or ST_CRYPTO if signing fails (quote unspecified).
 * Args: ctx a secp256k1 context (not secp256k1_context_static). Out: quote.
 * In: enclave_pub the enclave's public key X||Y. */
int enc_platform_quote(const secp256k1_context *ctx, uint8_t quote[ENC_QUOTE_LEN], const enc_platform *p,
                       const uint8_t enclave_pub[64], uint64_t chain_id) WARN_UNUSED NONNULL(1, 2, 3, 4);

/* Makes a version 2 quote of kind ENC_QUOTE_WORKER at p's confidence level, binding p's
 * measurement, a worker runtime's public key and chain_id. Returns and args as enc_platform_quote. */
int enc_platform_quote_worker(const secp256k1_context *ctx, uint8_t quote[ENC_QUOTE_V2_LEN], const enc_platform *p,
                              const uint8_t worker_pub[64], uint64_t chain_id) WARN_UNUSED NONNULL(1, 2, 3, 4);

/* --- The host and verifiers --- */

/* Makes sure a platform secret exists at path: if the file is missing, creates it with 32 random
 * bytes, mode 0600 (atomically: a concurrent creator cannot leave a half-written file); then checks
 * it as enc_platform_secret_read does. Returns: ST_OK or a status of enc_platform_secret_read. */
int enc_platform_secret_ensure(const char *path) WARN_UNUSED NONNULL(1);

/* Reads a platform secret file: a regular file of exactly 32 bytes, with no permission for group
 * or others. Returns: ST_OK; ST_NOTFOUND if missing; ST_UNAUTHORIZED if group or others may access
 * it; ST_INVALID if not a regular file of 32 bytes; ST_IO on other failures.
 * Out: secret (wiped on failure; wipe it after use). */
int enc_platform_secret_read(uint8_t secret[ENC_PLATFORM_SECRET_LEN], const char *path)
    WARN_UNUSED NONNULL(1, 2);

/* The address of the platform attestation key, which quotes of this platform recover to: what a
 * verifier pins (enc_quote_verify), as it would pin a vendor's root certificate.
 * Returns: ST_OK (ST_CRYPTO only if no key could be derived, which does not happen in practice).
 * Out: addr. In: secret the platform secret. Uses ledger/sig's context (the host's one context). */
int enc_platform_attestation_address(uint8_t addr[20], const uint8_t secret[ENC_PLATFORM_SECRET_LEN])
    WARN_UNUSED NONNULL(1, 2);

/* The measurement of an enclave binary: sha256 of the file's bytes, as the enclave computes of
 * itself. The host uses it to know what it spawned. Returns: ST_OK or ST_IO. Out: out. */
int enc_measure_file(uint8_t out[32], const char *path) WARN_UNUSED NONNULL(1, 2);

/* One read(2) of at most cap bytes of fd into buf, again if a signal interrupts it: the file reads
 * of this backend and of sealing (seal.c). Returns: ST_OK or ST_IO. Out: *got, 0 at the end of the
 * file. */
int enc_read_some(int fd, void *buf, size_t cap, size_t *got) WARN_UNUSED NONNULL(2, 4);

#endif
