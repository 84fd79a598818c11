/* SPDX-License-Identifier: MIT */
/* settle.h: epoch settlement, the enclave's one job: from an epoch's inputs (reward parameters,
 * workers with their bonded stake, benchmark score, confidence level, value promise V and the
 * performance they showed in each heartbeat slot, and the payment channels with what their workers
 * redeemed), compute exactly, in GMP integers, the emission of the epoch and who gets it, each
 * worker's new V, and the compute payments with their protocol fee, as a list of operations whose
 * totals balance to the last base unit. Pure and deterministic: the same code runs inside
 * conclave-enclave (which signs the report) and in `conclave verify-epoch` (which recomputes it).
 * Both the inputs and the report have one canonical binary form, so the input hash and the report
 * compare byte for byte. Layer: enclave (pure: GMP, nettle, secp256k1 through ledger's helpers).
 * The code: settle.c (the binary forms and the signature), settle_compute.c (the formula) and
 * settle_check.c (the host's checks, which conclave-enclave does not link).
 *
 * The reward formula: Phala's value-promise economics (enclave/economics.h, whose functions enc_econ_*
 * it calls; "fixed" means an integer x standing for x / 10^36, "ppm" parts per million; every
 * rounding is a floor, stated where it happens):
 *   budget   = budgetPerEpoch cut by decayPpm once per whole decayPeriod elapsed since genesis
 *              (each cut floored): budget_k = floor(budget_{k-1} * (10^6 - decayPpm) / 10^6)
 *   treasury = floor(budget * treasuryPpm / 10^6); the workers' budget W = budget - treasury
 *   slots    = n_slots = ceil((epoch_end - epoch_start) / slot_seconds); slot s spans
 *              [epoch_start + s * slot_seconds, min(epoch_start + (s + 1) * slot_seconds, epoch_end))
 *              and holds steps(s) = floor(its length / step_seconds) economic steps (Phala's block)
 *   for each worker (stake S in base units, score P, level, started, V, first_slot, p[0..n_slots)):
 *     conf     = enc_econ_confidence(level)
 *     V        = if not started: min(enc_econ_initial_v(S * 10^18, P, level), v_max), else V
 *     answered = the slots s >= first_slot with p[s] > 0
 *     p_epoch  = floor(sum(p[s] of answered) / #answered), 0 if none (an integer)
 *     m        = enc_econ_multiplier(p_epoch * 10^36, P)
 *     D        = 0; then over slots first_slot .. n_slots - 1, cut into maximal runs of answered
 *                and of unanswered slots, in order: an answered run of T steps (the sum of its
 *                slots' steps) does enc_econ_evolve_idle(V, D, m, P, T), an unanswered run
 *                enc_econ_evolve_unresponsive(V, D, T) (which also zeroes D). One call per run:
 *                the cost does not depend on the number of steps.
 *     share    = enc_econ_share(V, p_epoch * 10^36, conf) if #answered > 0, else 0
 *     weight   = share * (the sum of steps(s) over answered s)
 *   payout_i = floor(W * weight_i / sum(weight)) base units; the remainder W - sum(payout) goes to
 *   the treasury (all of W if no worker has weight). Each pool receives the sum of its workers'
 *   payouts. Then each worker's V -= min(D, payout_i * 10^18), never below 0, and D is dropped.
 * Compute payments, per channel: pay = min(owed, escrow); fee = floor(pay * feePpm / 10^6); the
 * worker's pool receives pay - fee from the client's escrow, the fees account fee.
 *
 * Where this differs from Phala, or the formula is silent, these choices hold:
 *   - Phala splits each 12 s block's budget among the workers responsive in that block; here an
 *     epoch's budget is split once, by share x answered steps, with the share of the V at the
 *     epoch's end and the epoch's mean performance.
 *   - What D accrued but the payout did not cover is forfeited at the epoch's end (Phala keeps D
 *     until the worker's next payout).
 *   - Settlement slashes no stake: downtime costs V (explicit slashes stay with staking).
 *   - Decay periods are counted at epoch_start: cuts = floor((epoch_start - genesis_time) /
 *     decayPeriod); decayPeriod 0 means no decay. The loop stops once the budget is 0, so its cost
 *     is at most min(cuts, about 10^6 * 256 * ln 2 / decayPpm) steps.
 *   - Canonical inputs also have genesis_time <= epoch_start < epoch_end; slot_seconds and
 *     step_seconds above 0; n_slots at most ENC_SETTLE_MAX_SLOTS; every ppm at most 10^6; rho in
 *     [1, 2], slash_rate at most 1, re at least 1 (as fixed); every amount and fixed below 2^256;
 *     each worker with score >= 1, level 1..5, V = 0 unless started, first_slot <= n_slots,
 *     p[s] = 0 for s < first_slot, and exactly n_slots performance values.
 *   - An evolution the economics cannot decide (ST_LIMIT in economics.h; no case is known) makes
 *     enc_settle_compute fail with ST_LIMIT: no report rather than a wrong one.
 *   - FEE operations carry the channel and the client but pool 0 (the pool is the payment's).
 *   - The totals must fit in 256 bits: inputs whose compute payments add up to 2^256 or more are
 *     ST_INVALID (impossible with a real supply).
 *
 * Binary forms (all integers big-endian, amounts and fixed values as 32-byte words, counts u32):
 *   inputs: "CSETIN2" u8 version(2) | chain_id epoch epoch_start epoch_end genesis_time (u64 each) |
 *           budget_per_epoch (32) decay_period (u64) decay treasury fee (u32 each) |
 *           slot_seconds (u64) step_seconds (u32) | rho slash_rate v_max cost_k cost_b rig_k rig_b
 *           re (32 each) | u32 n, n x worker: address (20) pool (u64) stake (32) score (u32)
 *           conf_level (u8) started (u8) v (32) first_slot (u32) p[n_slots] (u32 each) |
 *           u32 m, m x channel: channel (u64) client (20) pool (u64) owed (32) escrow (32)
 *   report: "CSETRP2" u8 version(2) | chain_id epoch (u64) | input_hash (32) | budget compute_paid
 *           fees (32 each) | u32 n, n x op: kind (u8) pool (u64) channel (u64) address (20)
 *           amount (32) | signature (65)
 * The version-1 forms are no longer accepted. A canonical report has its operations in the order
 * below, each with the fields its kind does not use at zero, every amount above zero but
 * WORKER_VALUE's (a V may be 0). Parsing checks that form; whether the totals add up and match the
 * inputs is enc_settle_report_check's job.
 * Memory: GMP aborts the process when it cannot allocate (its own policy); ST_NOMEM reports the
 * failures of this module's own allocations. */
#ifndef ENCLAVE_SETTLE_H
#define ENCLAVE_SETTLE_H

#include <gmp.h>
#include <secp256k1.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "enclave/economics.h"
#include "ledger/status.h"

#define ENC_CONF_LEVELS 5
#define ENC_SETTLE_MAX_SLOTS 65536u  /* heartbeat slots per epoch at most (a worker's record < 256 KiB) */

/* The genesis "rewards" object. The fixed values are the economics of economics.h; budget_per_step
 * and treasury_ratio of enc_econ_params have no place here (the budget is per epoch, the treasury's
 * part treasury_ppm). Phala's k and min_init_p are not part of them: they are the genesis staking
 * rules minStakePerRootScore and minWorkerScore, which the engine checks when a worker bonds. */
typedef struct enc_reward_params {
    mpz_t budget_per_epoch;          /* base units emitted per epoch before any decay */
    uint64_t decay_period;           /* seconds between cuts (Phala: 180 days) */
    uint32_t decay_ppm;              /* the cut at each period */
    uint32_t treasury_ppm;           /* the treasury's part of the budget */
    uint32_t fee_ppm;                /* protocol fee on compute payments */
    uint32_t step_seconds;           /* seconds per economic step (Phala: a 12 s block), > 0 */
    mpz_t rho;                       /* fixed: V's growth per step, in [1, 2] */
    mpz_t slash_rate;                /* fixed: part of V lost per unanswered step, <= 1 */
    mpz_t v_max;                     /* fixed: V's cap */
    mpz_t cost_k;                    /* fixed: running cost per step and point of score */
    mpz_t cost_b;                    /* fixed: running cost per step */
    mpz_t rig_k;                     /* fixed: tokens of rig cost per point of score in Ve */
    mpz_t rig_b;                     /* fixed: tokens of rig cost in Ve */
    mpz_t re;                        /* fixed: Ve's return on stake and rig, >= 1 */
} enc_reward_params;

typedef struct enc_worker_in {
    uint8_t address[20];             /* the worker key's address; inputs sorted by it, unique */
    uint64_t pool;
    mpz_t stake;                     /* bonded stake S, base units */
    uint32_t score;                  /* benchmark score P, >= 1 */
    uint8_t conf_level;              /* 1..ENC_CONF_LEVELS */
    bool started;                    /* v holds V; else the settlement starts it at Ve */
    mpz_t v;                         /* fixed: V at the epoch's start; 0 if not started */
    uint32_t first_slot;             /* slots before it do not count (the worker was not judged yet) */
    uint32_t *perf;                  /* owned: p[s], the instant performance in slot s (0: no answer) */
    size_t n_perf;                   /* entries of perf: n_slots in a canonical input */
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
    uint64_t slot_seconds;           /* the heartbeat slot (genesis compute.heartbeatSecs), > 0 */
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
    /* 5 was the version-1 SLASH: unused */
    ENC_OP_WORKER_VALUE = 6          /* worker (address)'s new V, a fixed, in amount (may be 0) */
};

typedef struct enc_op {
    uint8_t kind;                    /* enum enc_op_kind */
    uint64_t pool;                   /* POOL_EMISSION, COMPUTE_PAYMENT */
    uint64_t channel;                /* COMPUTE_PAYMENT, FEE */
    uint8_t address[20];             /* client (COMPUTE_PAYMENT, FEE), worker (WORKER_VALUE), else zero */
    mpz_t amount;                    /* base units; a fixed V for WORKER_VALUE */
} enc_op;

/* Operations come in a fixed order: TREASURY; POOL_EMISSION by pool id; COMPUTE_PAYMENT and FEE
 * by channel id (payment first); WORKER_VALUE by worker address, one for every worker of the
 * inputs. Zero amounts are left out, except WORKER_VALUE's. */
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

/* Init and clear reward parameters alone (the genesis holds them): init sets budget_per_epoch to 0,
 * no decay, no treasury or fee, and the economics to Phala's defaults (enc_econ_params_init:
 * step_seconds 12, rho, slash_rate, ..., re). clear accepts NULL. */
void enc_reward_params_init(enc_reward_params *p) NONNULL(1);
void enc_reward_params_clear(enc_reward_params *p);
/* The economics of p as economics.h takes them (budget_per_step and treasury_ratio 0; the heartbeat
 * window, k and min_init_p Phala's, unused by settlement). Out: e, initialized here: release with enc_econ_params_clear. */
void enc_settle_econ_params(enc_econ_params *e, const enc_reward_params *p) NONNULL(1, 2);

/* Init makes an empty input (every number 0, no workers or channels; the reward parameters as
 * enc_reward_params_init); clear releases everything (accepts NULL) and leaves in empty but
 * uninitialized: init it again before reuse. */
void enc_settle_input_init(enc_settle_input *in) NONNULL(1);
void enc_settle_input_clear(enc_settle_input *in);
/* The number of heartbeat slots of in's epoch, ceil((epoch_end - epoch_start) / slot_seconds);
 * 0 if slot_seconds is 0 or epoch_end <= epoch_start. */
uint64_t enc_settle_slot_count(const enc_settle_input *in) NONNULL(1);
/* Grows the worker / channel arrays by one initialized entry (zeros, amounts 0). A worker gets
 * enc_settle_slot_count(in) performance values, all 0 (none if that count is above
 * ENC_SETTLE_MAX_SLOTS): set epoch_start, epoch_end and slot_seconds first. Returns the entry
 * (valid until the next add), or NULL on OOM (in unchanged). */
enc_worker_in *enc_settle_input_add_worker(enc_settle_input *in) NONNULL(1);
enc_channel_in *enc_settle_input_add_channel(enc_settle_input *in) NONNULL(1);
/* As for the input: an empty report (no operations, zero signature); clear accepts NULL. */
void enc_settle_report_init(enc_settle_report *r) NONNULL(1);
void enc_settle_report_clear(enc_settle_report *r);

/* The canonical binary form of the inputs ("CSETIN2" ...). Caller frees *out with free().
 * Returns: ST_OK, ST_NOMEM, or ST_INVALID if the inputs are not canonical (unsorted or repeated
 * workers/channels, any rule of the formula's list above). */
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

/* Worker i's part of the formula: its V at the epoch's end before its payout, its deductible D
 * and its weight (share x answered steps). Returns: ST_OK; ST_INVALID if in is not canonical or
 * i >= in->n_workers; ST_LIMIT as enc_settle_compute. Out: v, d, weight (initialized by the caller),
 * fixed (weight in fixed x steps); unchanged on failure. */
int enc_settle_worker_weight(mpz_t v, mpz_t d, mpz_t weight, const enc_settle_input *in, size_t i)
    WARN_UNUSED NONNULL(1, 2, 3, 4);

/* Computes the report of in (everything but the signature, which is left zero). Returns: ST_OK,
 * ST_INVALID (inputs not canonical), ST_NOMEM, ST_LIMIT (an evolution economics.h cannot decide;
 * no case is known). Cost: O(workers x slots) and a few dozen big-number operations per run of
 * answered or unanswered slots, whatever the number of steps. Out: r (initialized by the caller): replaced on ST_OK
 * (its old contents released), unchanged on failure. */
int enc_settle_compute(enc_settle_report *r, const enc_settle_input *in) WARN_UNUSED NONNULL(1, 2);

/* The canonical binary form of a report ("CSETRP2" ..., the signature last) and its parser.
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

/* Checks a report against its inputs. First what needs no math, for a precise message: the report
 * is for these inputs (chain, epoch, input hash), its operations are canonical, its totals equal
 * the sums of its operations, the emission equals the epoch's budget, each channel pays exactly
 * min(owed, escrow) with the fee floor(pay * feePpm / 10^6), to its own pool and from its own
 * client, each emission goes to a pool with a worker in the inputs, the TREASURY operation holds at
 * least floor(budget * treasuryPpm / 10^6). Then it recomputes the report (enc_settle_compute) and
 * requires the same operations: the new values V (WORKER_VALUE) and the split of the emission can
 * only be checked that way. So a report passes if and only if it is enc_settle_compute's.
 * Returns: ST_OK (err set to ""); ST_INVALID with err saying which check failed (also when in is
 * not canonical); ST_NOMEM or ST_LIMIT (err says so). err is truncated to errlen bytes, NUL
 * included; errlen may be 0. */
int enc_settle_report_check(char *err, size_t errlen, const enc_settle_report *r, const enc_settle_input *in)
    WARN_UNUSED NONNULL(1, 3, 4);

#endif
