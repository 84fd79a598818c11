/* SPDX-License-Identifier: MIT */
/* settle.h: epoch settlement, the enclave's one job: from an epoch's inputs (reward parameters,
 * workers with their bonded stake, score, confidence level and uptime, and the payment channels with
 * what their workers redeemed), compute exactly, in GMP integers, the emission of the epoch and who
 * gets it, the slashes, and the compute payments with their protocol fee, as a list of operations
 * whose totals balance to the last base unit. Pure and deterministic: the same code runs inside
 * conclave-enclave (which signs the report) and in `conclave verify-epoch` (which recomputes it).
 * Both the inputs and the report have one canonical binary form, so the input hash and the report
 * compare byte for byte. Layer: enclave (pure: GMP, nettle, secp256k1 through ledger's helpers).
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
 * worker's pool receives pay - fee from the client's escrow, the fees account fee. */
#ifndef ENCLAVE_SETTLE_H
#define ENCLAVE_SETTLE_H

#include <gmp.h>
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

void enc_settle_input_init(enc_settle_input *in) NONNULL(1);
void enc_settle_input_clear(enc_settle_input *in);
/* Grows the worker / channel arrays by one initialized entry. Returns it, or NULL on OOM. */
enc_worker_in *enc_settle_input_add_worker(enc_settle_input *in) NONNULL(1);
enc_channel_in *enc_settle_input_add_channel(enc_settle_input *in) NONNULL(1);
void enc_settle_report_init(enc_settle_report *r) NONNULL(1);
void enc_settle_report_clear(enc_settle_report *r);

/* The canonical binary form of the inputs ("CSETIN1" ...). Caller frees *out with free().
 * Returns: ST_OK, ST_NOMEM, or ST_INVALID if the inputs are not canonical (unsorted or repeated
 * workers/channels, a level outside 1..5, uptime above 10^6, an amount not below 2^256). */
int enc_settle_input_serialize(uint8_t **out, size_t *len, const enc_settle_input *in) WARN_UNUSED NONNULL(1, 2, 3);
/* Parses that form (strictly: anything non-canonical, truncated or trailing is ST_INVALID). */
int enc_settle_input_parse(enc_settle_input *in, const uint8_t *buf, size_t len) WARN_UNUSED NONNULL(1, 2);
/* sha256 of the canonical inputs. */
int enc_settle_input_hash(uint8_t out[32], const enc_settle_input *in) WARN_UNUSED NONNULL(1, 2);

/* Computes the report of in (everything but the signature). Returns: ST_OK, ST_INVALID (inputs not
 * canonical), ST_NOMEM. Out: r (initialized by the caller). */
int enc_settle_compute(enc_settle_report *r, const enc_settle_input *in) WARN_UNUSED NONNULL(1, 2);

/* The canonical binary form of a report ("CSETRP1" ..., the signature last) and its parser. */
int enc_settle_report_serialize(uint8_t **out, size_t *len, const enc_settle_report *r) WARN_UNUSED NONNULL(1, 2, 3);
int enc_settle_report_parse(enc_settle_report *r, const uint8_t *buf, size_t len) WARN_UNUSED NONNULL(1, 2);
/* sha256 of the serialized report without its signature: what the enclave signs. */
int enc_settle_report_digest(uint8_t out[32], const enc_settle_report *r) WARN_UNUSED NONNULL(1, 2);

/* Checks what a host can check without the math: the report is for these inputs (chain, epoch,
 * input hash), its totals equal the sums of its operations, the emission equals the epoch's budget,
 * no channel pays more than it owes or holds, and every pool, channel and worker named is in the
 * inputs. Returns: ST_OK or ST_INVALID with err saying which check failed. */
int enc_settle_report_check(char *err, size_t errlen, const enc_settle_report *r, const enc_settle_input *in)
    WARN_UNUSED NONNULL(1, 3, 4);

#endif
