/* SPDX-License-Identifier: MIT */
/* economics.h: Phala's worker economics, exactly: a worker's value promise V (its initial value Ve,
 * the minimum stake, its growth while responsive and unpaid, its decay while unresponsive), the
 * share that splits the budget, and the payout at a heartbeat, in GMP integers with one stated
 * rounding rule, so that every node recomputes the same bytes. Evolving V over n steps costs
 * O(log^2 n) multiplications whatever n is. Layer: enclave (pure: GMP only); epoch settlement
 * (settle_compute.c) and the engine's bond checks call it.
 *
 * Numbers. Every real quantity (tokens, V, rates, ratios, scores) is a "fixed": an mpz x standing
 * for x / 10^36 (ENC_ECON_SCALE_DIGITS). Token amounts of the ledger (18 decimals, ledger/amount.h)
 * convert exactly to fixed (times 10^18) and back by truncation (enc_econ_to_amount). Fixed values
 * handled here are never negative.
 *
 * Rounding rule: each function below returns floor(exact), where exact is the value that its
 * formula gives over the rationals from its fixed inputs (no rounding inside a formula, none
 * between the steps of an interval). So evolving n steps at once and evolving in exact rationals one
 * step at a time, then truncating, give the same integer. Evolving n1 then n2 steps truncates twice,
 * and may differ from n1 + n2 steps at once by units of 10^-36: the interval is part of the input.
 * Internally, powers are computed by squaring in interval arithmetic at 2^-384 with a lower and an
 * upper bound; when both bounds truncate to the same fixed, that is floor(exact); when they do not
 * (exact lies on or within about 2^-300 of a multiple of 10^-36, which happens for short intervals
 * with round inputs), the value is recomputed exactly in integers, which is allowed up to
 * ENC_ECON_EXACT_STEPS steps; beyond, the function returns ST_LIMIT (no case is known where that
 * happens with a positive growth: it needs an exact value within 2^-300 of a multiple of 10^-36).
 * The step where V reaches v_max is decided with the same bounds (far above v_max they may stay
 * apart; only their side of v_max matters). With rho = 1 or m = 0 growth is linear and exact.
 *
 * Phala (phala-blockchain crates/phactory/src/system/gk.rs, mod tokenomic) computes in U64F64 and
 * truncates at each operation and each 12 s block, and its square roots (crate fixed-sqrt) keep
 * only 2^-32. Its Gatekeeper test vectors agree with ours (tests/enclave/test_economics.c): V to
 * 19-24 significant digits (Phala's V runs a few 2^-64 a block below the exact one); payouts to
 * 19-20 digits, because a share is kept to 2^-32 as Phala keeps it (exact square roots would agree
 * to 13-16 digits only: the ratio of two shares carries their 2^-32 error); its minimum stake for
 * P = 1000 (3162.277660146355) to 10 digits, exactly its sqrt cut to 2^-32 (the minimum stake is
 * not a share: it stays exact, rounded up).
 * Two choices differ on purpose: the treasury is
 * floor(budget * treasury_ratio) and the payout budget - treasury (Phala truncates both products,
 * which can lose a unit), so the two add up to the budget exactly; the multiplier m = p / p_bench
 * is computed once per interval by enc_econ_multiplier (one truncation). */
#ifndef ENCLAVE_ECONOMICS_H
#define ENCLAVE_ECONOMICS_H

#include <gmp.h>
#include <stdint.h>
#include "ledger/status.h"

#define ENC_ECON_SCALE_DIGITS 36     /* a fixed x means x / 10^36 */
#define ENC_ECON_EXACT_STEPS 65536u  /* the longest interval recomputed exactly when bounds disagree */

/* The parameters, all fixed (x / 10^36) unless said otherwise. Defaults (enc_econ_params_init):
 * Phala's genesis values for 12 s steps (pallets/phala/src/compute/computation.rs GenesisConfig,
 * gk.rs test_params), where a formula is given truncated to 10^-36. */
typedef struct enc_econ_params {
    uint32_t step_seconds;           /* seconds per step (Phala: a 12 s block) */
    mpz_t rho;                       /* V's growth per step, in [1, 2]: 1.000000666600231 (1.0002/hour) */
    mpz_t slash_rate;                /* part of V lost per unresponsive step, <= 1: 0.001 * 12 / 3600 */
    mpz_t budget_per_step;           /* tokens paid per step to all workers (and treasury): 100
                                        (720000 PHA/day, Phala's first halving period) */
    mpz_t v_max;                     /* V's cap, and the largest Ve to start: 30000 */
    mpz_t cost_k;                    /* running cost per step and point of score: 0.0415625 * 12 / yr */
    mpz_t cost_b;                    /* running cost per step: 88.59375 * 12 / yr (yr = 365 days) */
    mpz_t treasury_ratio;            /* part of a payout's budget to the treasury, <= 1: 0.2 */
    uint32_t heartbeat_window;       /* steps a challenge may wait before unresponsive: 10 */
    mpz_t rig_k;                     /* tokens of rig cost per point of score in Ve: 0.3 */
    mpz_t rig_b;                     /* tokens of rig cost in Ve: 0 */
    mpz_t re;                        /* Ve's return on stake and rig, >= 1: 1.3 */
    mpz_t k;                         /* minimum stake per square root of score: 100 */
    uint32_t min_init_p;             /* smallest score that may start (an integer): 50 */
} enc_econ_params;

/* Init sets Phala's defaults (above); clear releases (accepts NULL) and leaves p uninitialized. */
void enc_econ_params_init(enc_econ_params *p) NONNULL(1);
void enc_econ_params_clear(enc_econ_params *p);

/* Ledger base units (18 decimals) to fixed, exactly. Out: fx (initialized by the caller). */
void enc_econ_from_amount(mpz_t fx, const mpz_t amount) NONNULL(1, 2);
/* Fixed to ledger base units, truncated toward zero. Out: amount (initialized by the caller). */
void enc_econ_to_amount(mpz_t amount, const mpz_t fx) NONNULL(1, 2);

/* The confidence score of an attestation's confidence level (Phala's table): 1, 2, 3 -> 1;
 * 4 -> 0.8; 5 -> 0.7. Returns: ST_OK, or ST_INVALID for any other level (conf unchanged).
 * Out: conf (initialized by the caller), fixed. */
int enc_econ_confidence(mpz_t conf, unsigned level) WARN_UNUSED NONNULL(1);

/* The minimum stake k * sqrt(P), rounded up to the next unit of k's, so that a stake S in the same
 * units meets it (S >= k * sqrt(P) exactly) if and only if S >= min: k a fixed gives a fixed (the
 * enclave's p->k), k in base units gives base units (the engine's staking.minStakePerRootScore).
 * Returns: ST_OK, or ST_INVALID if k < 0. Out: min (initialized by the caller). In: score P. */
int enc_econ_min_stake(mpz_t min, const mpz_t k, uint32_t score) WARN_UNUSED NONNULL(1, 2);

/* The initial value promise of a worker that starts: Ve = ((re - 1) * conf + 1) * (S + rig_k * P
 * + rig_b), truncated. Returns: ST_OK, or ST_INVALID for a confidence level outside 1..5, a
 * negative stake or parameters out of range (re < 1, a negative rig cost).
 * Out: ve (initialized by the caller), unchanged on failure. In: stake S fixed, score P, level. */
int enc_econ_initial_v(mpz_t ve, const enc_econ_params *p, const mpz_t stake, uint32_t score, unsigned level)
    WARN_UNUSED NONNULL(1, 2, 3);

/* Phala's checks before a worker starts computing with stake S, score P and initial value ve.
 * Returns: ST_OK; ST_LIMIT if P < min_init_p or ve > v_max (Phala's TooMuchStake);
 * ST_INSUFFICIENT if S is below enc_econ_min_stake; ST_INVALID if k < 0. */
int enc_econ_check_start(const enc_econ_params *p, const mpz_t stake, uint32_t score, const mpz_t ve)
    WARN_UNUSED NONNULL(1, 2, 4);

/* The performance multiplier m = min(p, 1.2 * P) / P, truncated; 1 if P = 0 (Phala). p is the
 * worker's instant performance (from its iteration counter, or P when it runs contracts).
 * Returns: ST_OK, or ST_INVALID if p < 0. Out: m (initialized by the caller), fixed.
 * In: p_instant fixed, score P. */
int enc_econ_multiplier(mpz_t m, const mpz_t p_instant, uint32_t score) WARN_UNUSED NONNULL(1, 2);

/* n steps of a responsive worker that is not paid: each step
 *   dV = m * ((rho - 1) * V + cost_k * P + cost_b);  V = min(V + dV, v_max);  D += dV
 * (D, the deductible, also accrues when V is capped). In closed form, with a = 1 + m * (rho - 1)
 * and b = m * cost: before the cap V_t = a^t V_0 + b (a^t - 1) / (a - 1); the step where V reaches
 * v_max is found by a search over t (O(log n) powers), never by stepping.
 * Returns: ST_OK; ST_INVALID if a value or parameter is out of range (negative, m above 1.2,
 * rho outside [1, 2]); ST_LIMIT as said in the rounding rule (v and d then unchanged).
 * Out: v, d (in-out, fixed): v = floor(V_n), d += floor(sum of dV). In: m from
 * enc_econ_multiplier, score P, n any (0 leaves v and d unchanged). */
int enc_econ_evolve_idle(mpz_t v, mpz_t d, const enc_econ_params *p, const mpz_t m, uint32_t score,
                         uint64_t n) WARN_UNUSED NONNULL(1, 2, 3, 4);

/* n steps of an unresponsive worker: each step V -= V * slash_rate, so V_n = V_0 (1 - slash)^n,
 * and D = 0 (what accrued is never paid). Returns: ST_OK; ST_INVALID (negative v, slash_rate
 * above 1); ST_LIMIT as said in the rounding rule. Out: v, d in-out as above (d set to 0 if n > 0).*/
int enc_econ_evolve_unresponsive(mpz_t v, mpz_t d, const enc_econ_params *p, uint64_t n)
    WARN_UNUSED NONNULL(1, 2, 3);

/* The share that splits the budget: sqrt(V^2 + (2 * p * conf)^2), truncated to a multiple of 2^-32
 * (the resolution of Phala's fixed-point square root, so that payouts agree with Phala's to 20
 * digits instead of 13; exact: 2^32 divides 10^36). Returns: ST_OK or
 * ST_INVALID (a negative input). Out: share (initialized by the caller). In: v, p_instant and conf
 * (from enc_econ_confidence), fixed. */
int enc_econ_share(mpz_t share, const mpz_t v, const mpz_t p_instant, const mpz_t conf)
    WARN_UNUSED NONNULL(1, 2, 3, 4);

/* The payout of a heartbeat after `steps` steps since the worker's last update:
 *   budget = share / sum_share * budget_per_step * steps;  treasury = budget * treasury_ratio;
 *   payout = budget - treasury;  V -= clamp(D, 0, payout);  D = 0
 * (each of budget and treasury truncated). As Phala, nothing is paid and V and D are left as they
 * are when sum_share, share, steps or D is 0 (payout and treasury are then 0).
 * share may exceed sum_share (Phala takes sum_share at the step's start, before the heartbeat updates
 * p): the budget then exceeds budget_per_step * steps, as in Phala.
 * V never goes below 0 (Phala's U64F64 would underflow when D > V, which a cap can bring).
 * Returns: ST_OK, or ST_INVALID (a negative input, treasury_ratio above 1).
 * Out: payout, treasury (initialized by the caller), fixed; v, d in-out. On failure nothing is
 * changed. In: share of this worker and sum_share of all responsive workers at the step's start. */
int enc_econ_payout(mpz_t payout, mpz_t treasury, mpz_t v, mpz_t d, const enc_econ_params *p,
                    const mpz_t share, const mpz_t sum_share, uint64_t steps) WARN_UNUSED NONNULL(1, 2, 3, 4, 5, 6, 7);

#endif
