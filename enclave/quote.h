/* SPDX-License-Identifier: MIT */
/* quote.h: the attestation quote, which binds an enclave's measurement and public key (and the
 * chain it serves) under the platform attestation key. Layer: enclave (pure; the platform makes
 * quotes inside the enclave, the host and anyone else verify them with ledger/sig).
 * Wire form (ENC_QUOTE_LEN bytes): version (1) || measurement (32) || enclave public key (64, X||Y)
 * || chainId (u64 big-endian) || signature (65, r||s||v, v in {27, 28}) by the platform attestation
 * key over sha256("conclave-quote-v1" || the 105 bytes before it). */
#ifndef ENCLAVE_QUOTE_H
#define ENCLAVE_QUOTE_H

#include <stdint.h>
#include <stddef.h>
#include "ledger/status.h"

#define ENC_QUOTE_VERSION 1
#define ENC_QUOTE_BODY_LEN 105  /* the signed fields: 1 + 32 + 64 + 8 */
#define ENC_QUOTE_LEN 170       /* body + 65-byte signature */

/* A quote's fields. A plain value: copy it freely. */
typedef struct enc_quote {
    uint8_t version;          /* ENC_QUOTE_VERSION */
    uint8_t measurement[32];  /* sha256 of the enclave binary */
    uint8_t enclave_pub[64];  /* the enclave's secp256k1 public key, X||Y big-endian */
    uint64_t chain_id;        /* the chain the enclave was asked to serve */
    uint8_t sig[65];          /* r||s||v by the platform attestation key */
} enc_quote;

/* Splits a quote into its fields without checking the signature.
 * Returns: ST_OK; ST_INVALID if len is not ENC_QUOTE_LEN; ST_VERSION if the version is not ours.
 * Out: q the fields (unchanged on failure). */
int enc_quote_parse(enc_quote *q, const uint8_t *buf, size_t len) WARN_UNUSED NONNULL(1, 2);

/* Writes q's ENC_QUOTE_LEN-byte wire form. */
void enc_quote_serialize(uint8_t out[ENC_QUOTE_LEN], const enc_quote *q) NONNULL(1, 2);

/* The digest the platform attestation key signs: sha256("conclave-quote-v1" || q's body). */
void enc_quote_digest(uint8_t digest[32], const enc_quote *q) NONNULL(1, 2);

/* Parses a quote and checks that the platform whose attestation address is platform_addr signed
 * it (enc_platform_attestation_address gives that address). It does not judge the measurement or
 * the chainId: the caller compares them with its allowlist and its chain.
 * Returns: ST_OK; ST_INVALID or ST_VERSION as enc_quote_parse; ST_CRYPTO if the signature is
 * malformed or was not made by that platform over these bytes.
 * Out: q the fields on ST_OK (unchanged on failure). */
int enc_quote_verify(enc_quote *q, const uint8_t *buf, size_t len, const uint8_t platform_addr[20])
    WARN_UNUSED NONNULL(1, 2, 4);

#endif
