/* SPDX-License-Identifier: MIT */
/* count_report.h: the wire forms of a secret poll's count (docs/SECRET_BALLOTS.md): the COUNT_BEGIN
 * header, the ballots of a COUNT_CHUNK, and the count report the enclave signs with its identity
 * key. Layer: enclave (pure: ledger/hash, ledger/sig and libsecp256k1 only). The enclave makes and
 * signs reports; conclaved (the SecretPollCount rule) and `conclave verify-poll` parse them and
 * recover their signer. Numbers are big-endian.
 *   header = chainId (8) || proposal (8) || system (1) || nChoices (1) || nBallots (4) || ballotsHash (32)
 *   ballot = voter (20) || weight (32) || len (2) || ciphertext (len)
 *   report = 1 || chainId (8) || proposal (8) || ballotsHash (32) || count (4) || valid (4) ||
 *            invalid (4) || totalPower (32) || nChoices (1) || scores (32 each) || measurement (32)
 *   signature = r || s || v (v 27/28) over keccak256("conclave poll count v1" || report) */
#ifndef ENCLAVE_COUNT_REPORT_H
#define ENCLAVE_COUNT_REPORT_H

#include <secp256k1.h>
#include <stddef.h>
#include <stdint.h>
#include "ledger/status.h"

#define ENC_COUNT_VERSION 1
#define ENC_COUNT_HEADER_LEN 54
#define ENC_COUNT_MAX_CHOICES 32               /* GOV_POLL_MAX_CHOICES */
#define ENC_COUNT_MAX_BALLOTS (1u << 22)       /* 4,194,304 ballots in one count */
#define ENC_COUNT_BALLOT_FIXED 54              /* voter 20 + weight 32 + len 2 */
#define ENC_COUNT_CHUNK_TARGET (1u << 20)      /* the host's chunks: at most 1 MiB (or one ballot) */
#define ENC_COUNT_REPORT_FIXED 126             /* a report without its scores */
#define ENC_COUNT_REPORT_MAX (ENC_COUNT_REPORT_FIXED + 32 * ENC_COUNT_MAX_CHOICES)
#define ENC_COUNT_SIG_LEN 65

/* What COUNT_BEGIN announces. A plain value. */
typedef struct enc_count_header {
    uint64_t chain_id;
    uint64_t proposal;
    uint8_t system;             /* enum gov_poll_system: 1 basic .. 7 copeland */
    uint8_t n_choices;          /* 2..32; 3 for basic */
    uint32_t n_ballots;         /* 0..ENC_COUNT_MAX_BALLOTS */
    uint8_t ballots_hash[32];   /* the host's ballotsHash of the ballots that follow */
} enc_count_header;

/* Out: out the header's 54 bytes. */
void enc_count_header_serialize(uint8_t out[ENC_COUNT_HEADER_LEN], const enc_count_header *h) NONNULL(1, 2);

/* Reads a COUNT_BEGIN payload. Returns: ST_OK; ST_INVALID with *why a constant reason (the length,
 * an unknown system, a number of choices outside 2..32 or not 3 for basic, too many ballots).
 * Out: h on ST_OK (unchanged otherwise). */
int enc_count_header_parse(enc_count_header *h, const char **why, const uint8_t *buf, size_t len)
    WARN_UNUSED NONNULL(1, 2, 3);

/* Appends one ballot to a COUNT_CHUNK being built in buf (cap bytes, *used of them in use).
 * Returns: ST_OK; ST_LIMIT if it does not fit (buf untouched); ST_INVALID if len > 65535.
 * In: voter, weight (32 bytes), ciphertext (len bytes, any content: the enclave judges it). */
int enc_count_ballot_put(uint8_t *buf, size_t cap, size_t *used, const uint8_t voter[20], const uint8_t weight[32],
                         const uint8_t *ciphertext, size_t len) WARN_UNUSED NONNULL(1, 3, 4, 5);

/* A count report and its signature. A plain value (about 1.2 KiB). */
typedef struct enc_count_report {
    uint64_t chain_id;
    uint64_t proposal;
    uint8_t ballots_hash[32];
    uint32_t count;                                 /* ballots counted: valid + invalid */
    uint32_t valid;
    uint32_t invalid;                               /* did not open or did not parse */
    uint8_t total_power[32];                        /* sum of every ballot's weight, base units */
    uint8_t n_choices;                              /* 2..32 */
    uint8_t scores[ENC_COUNT_MAX_CHOICES][32];      /* base units, choice order; [n_choices..] zero */
    uint8_t measurement[32];                        /* the counting enclave's */
    uint8_t signature[ENC_COUNT_SIG_LEN];           /* r || s || v by its identity key */
} enc_count_report;

/* The length of r's report bytes without the signature: 126 + 32·n_choices. */
size_t enc_count_report_len(const enc_count_report *r) NONNULL(1);

/* Out: out the report's bytes, enc_count_report_len(r) of them (no signature). */
void enc_count_report_body(uint8_t *out, const enc_count_report *r) NONNULL(1, 2);

/* The digest the identity signs: keccak256("conclave poll count v1" || the report's bytes). */
void enc_count_report_digest(uint8_t digest[32], const enc_count_report *r) NONNULL(1, 2);

/* Signs r with key (RFC 6979, low s, v 27/28) into r->signature.
 * Returns: ST_OK, or ST_CRYPTO if key is not a valid secret key.
 * Args: ctx a signing context (the enclave's own; not secp256k1_context_static). */
int enc_count_report_sign(const secp256k1_context *ctx, enc_count_report *r, const uint8_t key[32])
    WARN_UNUSED NONNULL(1, 2, 3);

/* Writes report || signature (enc_count_report_len(r) + 65 bytes): the COUNT_REPORT payload.
 * Returns: ST_OK; ST_LIMIT if cap is too small. Out: out, *len. */
int enc_count_report_serialize(uint8_t *out, size_t cap, size_t *len, const enc_count_report *r)
    WARN_UNUSED NONNULL(1, 3, 4);

/* Reads report || signature. Checks the form only: version 1, nChoices 2..32 and the length that
 * goes with it, count = valid + invalid; not the signature (enc_count_report_signer) nor anything
 * a ledger must judge. Returns: ST_OK; ST_INVALID with *why a constant reason. Out: r on ST_OK
 * (zeroed otherwise). */
int enc_count_report_parse(enc_count_report *r, const char **why, const uint8_t *buf, size_t len)
    WARN_UNUSED NONNULL(1, 2, 3);

/* The address whose key signed r (ledger_sig_recover over enc_count_report_digest).
 * Returns: ST_OK; ST_CRYPTO if the signature is malformed or recovers to nothing.
 * Out: addr (unchanged on failure). Uses ledger/sig's context: not for the confined enclave. */
int enc_count_report_signer(uint8_t addr[20], const enc_count_report *r) WARN_UNUSED NONNULL(1, 2);

#endif
