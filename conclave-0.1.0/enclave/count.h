/* SPDX-License-Identifier: MIT */
/* count.h: a secret poll's count inside the enclave (docs/SECRET_BALLOTS.md): the ballots arrive in
 * chunks, in ascending voter order, each is opened with the ballot key (ledger/ballot_box.h), read
 * by gov_ballot_parse and added to the poll's tally (governance/poll.h, the code open polls use);
 * a ballot that does not open or parse is invalid: its weight is in the total power, in no score.
 * Memory is bounded by the poll's choices for every system but ranked-choice, which keeps each
 * valid ballot's ranking (n bytes) and weight until the end, at most ENC_COUNT_MAX_BALLOTS of them.
 * Nothing decrypted leaves this module: its reasons name steps and positions only.
 * Layer: enclave (pure: ledger/ballot_box, governance/poll, GMP; the enclave program and tests). */
#ifndef ENCLAVE_COUNT_H
#define ENCLAVE_COUNT_H

#include <secp256k1.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "enclave/count_report.h"
#include "ledger/status.h"

/* One count at a time. Opaque; not thread-safe. */
typedef struct enc_count enc_count;

/* Returns: a new idle count (caller owns it; release with enc_count_free), NULL if out of memory. */
enc_count *enc_count_new(void);
/* Drops any count under way and frees c. Accepts NULL. */
void enc_count_free(enc_count *c);

/* Begins the count that h announces, dropping an unfinished one.
 * Returns: ST_OK; ST_NOMEM; ST_INVALID for a system or number of choices that
 * enc_count_header_parse refuses (c is idle after either). In: h. */
int enc_count_begin(enc_count *c, const enc_count_header *h) WARN_UNUSED NONNULL(1, 2);

/* Ends the count under way, if any, releasing what it held; c is idle afterwards. */
void enc_count_drop(enc_count *c) NONNULL(1);

/* Whether a count is under way (begun, not finished or dropped). */
bool enc_count_active(const enc_count *c) NONNULL(1);
/* The ballots received so far in the count under way. */
uint32_t enc_count_received(const enc_count *c) NONNULL(1);
/* Whether the count under way has all the ballots its header announced. */
bool enc_count_complete(const enc_count *c) NONNULL(1);

/* Reads one COUNT_CHUNK (whole ballots) and counts its ballots.
 * Returns: ST_OK; ST_CONFLICT if no count is under way; ST_INVALID if the chunk is empty, ends
 * inside a ballot, brings more ballots than announced, or a voter is not above the one before it;
 * ST_NOMEM if a ranked-choice ballot cannot be kept. On any failure the count is dropped and why holds a reason naming the step and the
 * ballot's position (nothing decrypted).
 * Args: ctx the enclave's context (ledger_ballot_open). Out: why (whylen bytes, NUL-terminated).
 * In: ballot_secret the ballot key's secret; buf (len bytes). */
int enc_count_chunk(enc_count *c, char *why, size_t whylen, const secp256k1_context *ctx,
                    const uint8_t ballot_secret[32], const uint8_t *buf, size_t len) WARN_UNUSED NONNULL(1, 2, 4, 5, 6);

/* Ends a complete count: checks the ballots' hash against the header's, computes the scores and
 * fills the report (unsigned: enc_count_report_sign). The count is over either way.
 * Returns: ST_OK; ST_CONFLICT if no complete count is under way; ST_INVALID if the ballotsHash
 * differs or the total power or a score does not fit in 256 bits; ST_NOMEM. why as enc_count_chunk.
 * Out: r on ST_OK. In: measurement the enclave's. */
int enc_count_finish(enc_count *c, enc_count_report *r, char *why, size_t whylen, const uint8_t measurement[32])
    WARN_UNUSED NONNULL(1, 2, 3, 5);

#endif
