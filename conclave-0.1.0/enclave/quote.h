/* SPDX-License-Identifier: MIT */
/* quote.h: the attestation quote, which binds a trusted program's measurement and public key (and
 * the chain it serves) under the platform attestation key. Layer: enclave (pure; the platform makes
 * quotes inside the trusted program, the host and anyone else verify them with ledger/sig).
 * Two wire forms, each signed (65 bytes, r||s||v, v in {27, 28}) by the platform attestation key
 * over sha256("conclave-quote-v1" || the bytes before the signature):
 *   version 1 (ENC_QUOTE_LEN, 170 bytes), the settlement enclave's: 1 || measurement (32) ||
 *     public key (64, X||Y) || chainId (u64 big-endian); its kind is ENC_QUOTE_ENCLAVE, level 1.
 *   version 2 (ENC_QUOTE_V2_LEN, 172 bytes): 2 || kind (1) || confidence level (1, 1..5) ||
 *     measurement (32) || public key (64) || chainId (u64). Worker runtimes use it: the level is
 *     what the platform attests of itself (Phala's confidence levels: 1-3 full trust, 4 and 5
 *     less), and the kind keeps a worker's quote from passing for an enclave's. */
#ifndef ENCLAVE_QUOTE_H
#define ENCLAVE_QUOTE_H

#include <stdint.h>
#include <stddef.h>
#include "ledger/status.h"

#define ENC_QUOTE_VERSION 1
#define ENC_QUOTE_BODY_LEN 105  /* the signed fields of version 1: 1 + 32 + 64 + 8 */
#define ENC_QUOTE_LEN 170       /* version 1: body + 65-byte signature */
#define ENC_QUOTE_V2_BODY_LEN 107
#define ENC_QUOTE_V2_LEN 172
#define ENC_QUOTE_MAX_LEN ENC_QUOTE_V2_LEN
#define ENC_CONF_LEVEL_MAX 5

/* What a quote vouches for. */
enum enc_quote_kind { ENC_QUOTE_ENCLAVE = 1, ENC_QUOTE_WORKER = 2 };

/* A quote's fields. A plain value: copy it freely. */
typedef struct enc_quote {
    uint8_t version;          /* 1 or 2 */
    uint8_t kind;             /* enum enc_quote_kind (ENC_QUOTE_ENCLAVE for version 1) */
    uint8_t conf_level;       /* 1..ENC_CONF_LEVEL_MAX (1 for version 1) */
    uint8_t measurement[32];  /* sha256 of the enclave binary */
    uint8_t enclave_pub[64];  /* the enclave's secp256k1 public key, X||Y big-endian */
    uint64_t chain_id;        /* the chain the enclave was asked to serve */
    uint8_t sig[65];          /* r||s||v by the platform attestation key */
} enc_quote;

/* Splits a quote into its fields without checking the signature.
 * Returns: ST_OK; ST_INVALID if len is not its version's length, or a version 2 quote has an
 * unknown kind or a level outside 1..5; ST_VERSION if the version is neither 1 nor 2.
 * Out: q the fields (unchanged on failure). */
int enc_quote_parse(enc_quote *q, const uint8_t *buf, size_t len) WARN_UNUSED NONNULL(1, 2);

/* The length of q's wire form: ENC_QUOTE_LEN for version 1, else ENC_QUOTE_V2_LEN. */
size_t enc_quote_len(const enc_quote *q) NONNULL(1);

/* Writes q's wire form, enc_quote_len(q) bytes. */
void enc_quote_serialize(uint8_t out[ENC_QUOTE_MAX_LEN], const enc_quote *q) NONNULL(1, 2);

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
