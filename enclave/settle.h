/* SPDX-License-Identifier: MIT */
/* settle.h: epoch settlement, the enclave's one job: from an epoch's inputs (reward parameters,
 * workers with their bonded stake, score, confidence level and uptime, and the payment channels with
 * what their workers redeemed), compute exactly, in GMP integers, the emission of the epoch and who
 * gets it, the slashes, and the compute payments with their protocol fee, as a list of operations
 * whose totals balance to the last base unit. Pure and deterministic: the same code runs inside
 * conclave-enclave (which signs the report) and in `conclave verify-epoch` (which recomputes it).
 * Both the inputs and the report have one canonical binary form, so the input hash and the report
 * compare byte for byte. Layer: enclave (pure: GMP, nettle, secp256k1 through ledger's helpers).
 * The code: settle.c (the binary forms and the signature), settle_compute.c (the formula) and
 * settle_check.c (the host's checks, which conclave-enclave does not link).
 *
 * The reward formula (Phala's tokenomics, in fixed point; "ppm" is parts per million):
 *   budget   = budgetPerEpoch cut by decayPpm once per whole decayPeriod elapsed since genesis
 *              (each cut floored): budget_k = floor(budget_{k-1} * (10^6 - decayPpm) / 10^6)
 *   treasury = floor(budget * treasuryPpm / 10^6); the workers' budget W = budget - treasury
 *   for each worker with uptime >= uptimeThresholdPpm (the others get nothing and are slashed
 *   slashPpm of their bond):
 *     conf   = confPpm[level - 1]                                   (ppm)
 *     factor = floor((rePpm - 10^6) * conf / 10^6) + 10^6           (ppm: (Re-1)*conf + 1)
 *     V      = factor * (S * 10^6 + rigKPpm * P * 10^18)            (base units, scaled 10^12)
 *     C      = 2 * P * conf * 10^24                                 (2*P*conf tokens, same scale)
 *     share  = isqrt(V^2 + C^2)                                     (floored integer square root)
 *     weight = share * uptimePpm
 *   payout_i = floor(W * weight_i / sum(weight)); the remainder W - sum(payout) goes to the treasury
 *   (all of W if no worker has weight). Each pool receives the sum of its workers' payouts.
 * Compute payments, per channel: pay = min(owed, escrow); fee = floor(pay * feePpm / 10^6); the
 * worker's pool receives pay - fee from the client's escrow, the fees account fee.
 *
 * Where the formula is silent, these choices hold:
 *   - Decay periods are counted at epoch_start: cuts = floor((epoch_start - genesis_time) /
 *     decayPeriod); decayPeriod 0 means no decay. The loop stops once the budget is 0, so its cost
 *     is at most min(cuts, about 10^6 * 256 * ln 2 / decayPpm) steps.
 *   - Canonical inputs also have genesis_time <= epoch_start < epoch_end; every ppm parameter
 *     (decay, treasury, conf_ppm[], uptime threshold, slash, fee) at most 10^6; re_ppm at least 10^6;
 *     rig_k_ppm and decay_period any value.
 *   - A worker below the threshold is slashed whatever its stake; with slashPpm 0 no SLASH operation
 *     is written (a zero slash, like a zero amount, is left out).
 *   - FEE operations carry the channel and the client but pool 0 (the pool is the payment's).
 *   - The totals must fit in 256 bits: inputs whose compute payments add up to 2^256 or more are
 *     ST_INVALID (impossible with a real supply).
 *
 * Binary forms (all integers big-endian, amounts as 32-byte words, counts u32):
 *   inputs: "CSETIN1" u8 version(1) | chain_id epoch epoch_start epoch_end genesis_time (u64 each) |
 *           budget_per_epoch (32) decay_period (u64) decay treasury re rig_k (u32 each) conf_ppm[5]
 *           uptime_threshold slash fee (u32 each) | u32 n, n x worker: address (20) pool (u64)
 *           stake (32) score (u32) conf_level (u8) uptime (u32) | u32 m, m x channel: channel (u64)
 *           client (20) pool (u64) owed (32) escrow (32)
 *   report: "CSETRP1" u8 version(1) | chain_id epoch (u64) | input_hash (32) | budget compute_paid
 *           fees (32 each) | u32 n, n x op: kind (u8) pool (u64) channel (u64) address (20)
 *           amount (32) ppm (u32) | signature (65)
 * A canonical report has its operations in the order below, each with the fields its kind does not
 * use at zero, every amount but SLASH's above zero, SLASH's ppm in 1..10^6. Parsing checks that
 * form; whether the totals add up and match the inputs is enc_settle_report_check's job.
 * Memory: GMP aborts the process when it cannot allocate (its own policy); ST_NOMEM reports the
 * failures of this module's own allocations. */
#ifndef ENCLAVE_SETTLE_H
#define ENCLAVE_SETTLE_H

#include <gmp.h>
#include <secp256k1.h>
#include <stddef.h>
#include <stdint.h>
#include "ledger/status.h"

#define ENC_CONF_LEVELS 5

typedef struct enc_reward_params {
    mpz_t budget_per_epoch;          /* base units emitted per epoch before any decay */
    uint64_t decay_period;           /* seconds between cuts (Phala: 180 days) */
    uint32_t decay_ppm;              /* the cut at each period */
    uint32_t treasury_ppm;           /* the treasury's part of the budget */
    uint32_t re_ppm;                 /* Re * 10^6, at least 10^6 */
    uint32_t rig_k_ppm;              /* k * 10^6: tokens of stake a point of score is worth */
    uint32_t conf_ppm[ENC_CONF_LEVELS]; /* confidence factor of levels 1..5 */
    uint32_t uptime_threshold_ppm;   /* below it: no payout and a slash */
    uint32_t slash_ppm;              /* part of the bond slashed for low uptime */
    uint32_t fee_ppm;                /* protocol fee on compute payments */
} enc_reward_params;

typedef struct enc_worker_in {
    uint8_t address[20];             /* the worker key's address; inputs sorted by it, unique */
    uint64_t pool;
    mpz_t stake;                     /* bonded stake S, base units */
    uint32_t score;                  /* performance score P of the epoch */
    uint8_t conf_level;              /* 1..ENC_CONF_LEVELS */
    uint32_t uptime_ppm;             /* 0..10^6 */
} enc_worker_in;

typedef struct enc_channel_in {
    uint64_t channel;                /* inputs sorted by it, unique */
    uint8_t client[20];
    uint64_t pool;                   /* the worker's pool */
    mpz_t owed;                      /* redeemed by vouchers and not yet paid */
    mpz_t escrow;                    /* the channel's deposit not yet paid out */
} enc_channel_in;

typedef struct enc_settle_input {
    uint64_t chain_id;
    uint64_t epoch;
    uint64_t epoch_start;            /* seconds */
    uint64_t epoch_end;              /* seconds, exclusive */
    uint64_t genesis_time;           /* seconds, the start of decay periods */
    enc_reward_params params;
    enc_worker_in *workers;          /* owned */
    size_t n_workers;
    enc_channel_in *channels;        /* owned */
    size_t n_channels;
} enc_settle_input;

enum enc_op_kind {
    ENC_OP_TREASURY = 1,             /* amount minted to the treasury (its part and the remainder) */
    ENC_OP_POOL_EMISSION = 2,        /* amount minted to pool's rewards (staking reward entry point) */
    ENC_OP_COMPUTE_PAYMENT = 3,      /* amount from client's escrow to pool (channel) */
    ENC_OP_FEE = 4,                  /* amount from client's escrow to the fees account (channel) */
    ENC_OP_SLASH = 5                 /* ppm of worker's bond (address) */
};

typedef struct enc_op {
    uint8_t kind;                    /* enum enc_op_kind */
    uint64_t pool;                   /* POOL_EMISSION, COMPUTE_PAYMENT */
    uint64_t channel;                /* COMPUTE_PAYMENT, FEE */
    uint8_t address[20];             /* client (COMPUTE_PAYMENT, FEE), worker (SLASH), else zero */
    mpz_t amount;                    /* base units (0 for SLASH) */
    uint32_t ppm;                    /* SLASH only */
} enc_op;

/* Operations come in a fixed order: TREASURY; POOL_EMISSION by pool id; COMPUTE_PAYMENT and FEE
 * by channel id (payment first); SLASH by worker address. Zero amounts are left out. */
typedef struct enc_settle_report {
    uint64_t chain_id;
    uint64_t epoch;
    uint8_t input_hash[32];          /* sha256 of the canonical inputs */
    mpz_t budget;                    /* emitted this epoch = TREASURY + sum(POOL_EMISSION) */
    mpz_t compute_paid;              /* sum(COMPUTE_PAYMENT) + sum(FEE) */
    mpz_t fees;                      /* sum(FEE) */
    enc_op *ops;                     /* owned */
    size_t n_ops;
    uint8_t signature[65];           /* by the enclave's key over enc_settle_report_digest */
} enc_settle_report;

/* Init makes an empty input (every number 0, no workers or channels); clear releases everything
 * (accepts NULL) and leaves in empty but uninitialized: init it again before reuse. */
void enc_settle_input_init(enc_settle_input *in) NONNULL(1);
void enc_settle_input_clear(enc_settle_input *in);
/* Grows the worker / channel arrays by one initialized entry (zeros, amounts 0). Returns it (valid
 * until the next add), or NULL on OOM (in unchanged). */
enc_worker_in *enc_settle_input_add_worker(enc_settle_input *in) NONNULL(1);
enc_channel_in *enc_settle_input_add_channel(enc_settle_input *in) NONNULL(1);
/* As for the input: an empty report (no operations, zero signature); clear accepts NULL. */
void enc_settle_report_init(enc_settle_report *r) NONNULL(1);
void enc_settle_report_clear(enc_settle_report *r);

/* The canonical binary form of the inputs ("CSETIN1" ...). Caller frees *out with free().
 * Returns: ST_OK, ST_NOMEM, or ST_INVALID if the inputs are not canonical (unsorted or repeated
 * workers/channels, a level outside 1..5, uptime above 10^6, an amount not below 2^256). */
int enc_settle_input_serialize(uint8_t **out, size_t *len, const enc_settle_input *in) WARN_UNUSED NONNULL(1, 2, 3);
/* Parses that form (strictly: anything non-canonical, truncated or trailing is ST_INVALID).
 * Returns: ST_OK, ST_INVALID, ST_NOMEM. Out: in (initialized by the caller): its old contents are
 * released and replaced on ST_OK; unchanged on failure. */
int enc_settle_input_parse(enc_settle_input *in, const uint8_t *buf, size_t len) WARN_UNUSED NONNULL(1, 2);
/* sha256 of the canonical inputs. Returns: as enc_settle_input_serialize. */
int enc_settle_input_hash(uint8_t out[32], const enc_settle_input *in) WARN_UNUSED NONNULL(1, 2);

/* The epoch's budget after decay (the first line of the formula).
 * Returns: ST_OK or ST_INVALID (inputs not canonical). Out: budget (initialized by the caller). */
int enc_settle_budget(mpz_t budget, const enc_settle_input *in) WARN_UNUSED NONNULL(1, 2);

/* A worker's share, isqrt(V^2 + C^2) of the formula (before the uptime weighting), whatever its
 * uptime. Returns: ST_OK, or ST_INVALID if w's level is outside 1..5 or p->re_ppm < 10^6.
 * Out: share (initialized by the caller). */
int enc_settle_worker_share(mpz_t share, const enc_reward_params *p, const enc_worker_in *w)
    WARN_UNUSED NONNULL(1, 2, 3);

/* Computes the report of in (everything but the signature, which is left zero). Returns: ST_OK,
 * ST_INVALID (inputs not canonical), ST_NOMEM. Out: r (initialized by the caller): replaced on ST_OK
 * (its old contents released), unchanged on failure. */
int enc_settle_compute(enc_settle_report *r, const enc_settle_input *in) WARN_UNUSED NONNULL(1, 2);

/* The canonical binary form of a report ("CSETRP1" ..., the signature last) and its parser.
 * Serialize returns: ST_OK, ST_NOMEM, or ST_INVALID if r is not canonical (order, unused fields,
 * amounts); caller frees *out with free(). Parse returns: ST_OK, ST_NOMEM, or ST_INVALID for a
 * form that is not canonical, truncated or trailing; it does not look at the signature. Out: r
 * (initialized by the caller) replaced on ST_OK, unchanged on failure. */
int enc_settle_report_serialize(uint8_t **out, size_t *len, const enc_settle_report *r) WARN_UNUSED NONNULL(1, 2, 3);
int enc_settle_report_parse(enc_settle_report *r, const uint8_t *buf, size_t len) WARN_UNUSED NONNULL(1, 2);
/* sha256 of the serialized report without its signature: what the enclave signs.
 * Returns: as enc_settle_report_serialize. */
int enc_settle_report_digest(uint8_t out[32], const enc_settle_report *r) WARN_UNUSED NONNULL(1, 2);

/* Signs r's digest with the enclave's identity key (RFC 6979, low s; no randomness, so no system
 * call: usable under the enclave's seccomp filter).
 * Returns: ST_OK; ST_INVALID or ST_NOMEM as enc_settle_report_digest; ST_CRYPTO if key is not a
 * valid secret key. Args: ctx the process's one context (not secp256k1_context_static).
 * Out: r->signature (r||s||v, v in {27, 28}); unchanged on failure. In: key, borrowed (a secret:
 * nothing here copies it). */
int enc_settle_report_sign(const secp256k1_context *ctx, enc_settle_report *r, const uint8_t key[32])
    WARN_UNUSED NONNULL(1, 2, 3);

/* Checks that the enclave whose address is enclave_address signed r (ledger_sig_recover on r's
 * digest; EIP-2 rules). Host side: uses ledger/sig's context (its first use calls getrandom).
 * Returns: ST_OK; ST_CRYPTO if the signature is malformed or by another key; ST_INVALID or
 * ST_NOMEM as enc_settle_report_digest. In: enclave_address, e.g. ledger_sig_pubkey_address of a
 * verified quote's enclave_pub. */
int enc_settle_report_verify(const enc_settle_report *r, const uint8_t enclave_address[20])
    WARN_UNUSED NONNULL(1, 2);

/* Checks what a host can check without the math: the report is for these inputs (chain, epoch,
 * input hash), its totals equal the sums of its operations, the emission equals the epoch's budget,
 * no channel pays more than it owes or holds, and every pool, channel and worker named is in the
 * inputs. Everything but the shares is in fact checked exactly: the operations are canonical; each
 * channel pays exactly min(owed, escrow) with the fee floor(pay * feePpm / 10^6), to its own pool
 * and from its own client; each emission goes to a pool with a worker at or above the uptime
 * threshold; the TREASURY operation holds at least floor(budget * treasuryPpm / 10^6); the SLASH
 * operations are exactly the workers below the threshold, each by slashPpm (none if slashPpm is 0).
 * Returns: ST_OK (err set to ""); ST_INVALID with err saying which check failed (also when in is
 * not canonical); ST_NOMEM (err says so). err is truncated to errlen bytes, NUL included; errlen
 * may be 0. */
int enc_settle_report_check(char *err, size_t errlen, const enc_settle_report *r, const enc_settle_input *in)
    WARN_UNUSED NONNULL(1, 3, 4);

#endif
