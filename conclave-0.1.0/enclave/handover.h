/* SPDX-License-Identifier: MIT */
/* handover.h: handing the ballot key from one enclave build to the next (docs/SECRET_BALLOTS.md,
 * "Handing the ballot key to a new enclave build"). The old enclave, given the new one's quote,
 * checks it against its own platform and encrypts the ballot secret to the new identity key
 * (ECDH + HKDF-SHA256 + AES-256-GCM with the label "conclave ballot handover v1"), and signs the
 * whole with its identity, its own quote inside; the new enclave checks both quotes against its
 * platform, the signature, that the blob is for its measurement and key, and that the secret is the
 * named ballot key, then seals the secret to its own measurement. Neither reads the chain: that the
 * new measurement is allowlisted is the host's check (see the document's honest limits).
 *   blob = 1 || chainId (8) || old quote (170) || new measurement (32) || new public key (64) ||
 *          ballotKey (33) || E (33) || iv (12) || C (32) || tag (16) || signature (65)
 * Layer: enclave (inside conclave-enclave only: it holds the secrets). */
#ifndef ENCLAVE_HANDOVER_H
#define ENCLAVE_HANDOVER_H

#include <secp256k1.h>
#include <stddef.h>
#include <stdint.h>
#include "enclave/platform.h"
#include "enclave/seal.h"
#include "ledger/ballot_box.h"
#include "ledger/status.h"

#define ENC_HANDOVER_VERSION 1
#define ENC_HANDOVER_BODY_LEN 401   /* the signed part */
#define ENC_HANDOVER_LEN 466        /* body and signature */
#define ENC_HANDOVER_LABEL "conclave ballot handover v1"

/* The old enclave's side: the blob that hands ballot_secret to the enclave of new_quote.
 * Its ephemeral key is derived from the ballot secret and the recipient (HMAC-SHA256, as RFC 6979
 * derives nonces), so the confined enclave needs no entropy, and the AES key is used once.
 * Returns: ST_OK; ST_INVALID with *why a constant reason if the request is refused (not a version 1
 * quote of this platform, another chainId, this enclave's own measurement); ST_CRYPTO if a key
 * operation fails. Args: ctx the enclave's signing context. Out: blob on ST_OK.
 * In: p the platform; platform_addr its attestation address; identity and identity_pub (X || Y)
 * the enclave's identity; ballot_secret; chain_id; new_quote (quote_len bytes). */
int enc_handover_export(const secp256k1_context *ctx, uint8_t blob[ENC_HANDOVER_LEN], const char **why,
                        const enc_platform *p, const uint8_t platform_addr[20], const uint8_t identity[32],
                        const uint8_t identity_pub[64], const uint8_t ballot_secret[32], uint64_t chain_id,
                        const uint8_t *new_quote, size_t quote_len) WARN_UNUSED NONNULL(1, 2, 3, 4, 5, 6, 7, 8, 10);

/* The new enclave's side: checks a blob and opens the ballot secret it carries.
 * Returns: ST_OK; ST_INVALID with *why a constant reason (the length or version, an old quote that
 * is not of this platform or of another chain, a blob for another measurement or key, a signature
 * that is not the old quote's key, a secret that does not open or is not the named ballot key).
 * Args: ctx the enclave's context. Out: ballot_secret (zero on failure; a secret), *chain_id.
 * In: p, platform_addr, identity, identity_pub as for export (this enclave's); blob (len bytes). */
int enc_handover_import(const secp256k1_context *ctx, uint8_t ballot_secret[32], uint64_t *chain_id, const char **why,
                        const enc_platform *p, const uint8_t platform_addr[20], const uint8_t identity[32],
                        const uint8_t identity_pub[64], const uint8_t *blob, size_t len)
    WARN_UNUSED NONNULL(1, 2, 3, 4, 5, 6, 7, 8, 9);

/* The sealed file (enc_seal_serialize) of an imported ballot secret for p's measurement, with a
 * nonce derived from the seal key and the secret (distinct secrets, distinct nonces), which the host
 * writes as the enclave's ballot key file: the confined enclave writes no file.
 * Out: out. In: p, ballot_secret. */
void enc_handover_seal(uint8_t out[ENC_SEAL_FILE_LEN], const enc_platform *p, const uint8_t ballot_secret[32])
    NONNULL(1, 2, 3);

#endif
