/* SPDX-License-Identifier: MIT */
/* workers.c: worker runtimes that prove themselves. A `conclave-worker` registers its sealed key
 * with WorkerRegister: a version-2 quote of kind worker from the chain's platform, for this chain,
 * binding the signer's public key and a measurement on the worker-runtime allowlist, and its
 * benchmark (a keccak-256 chain: P is thousands of iterations per second). The operator it names may
 * then add it to a pool (engine/staking_tx.c); bonded at least k * sqrt(P), it computes.
 * Each heartbeat slot has a challenge per worker that no worker can choose:
 *   challenge = sha256("conclave-challenge-v1" || chainId || epoch || slot (u64 big-endian each)
 *               || worker (20) || seed (32)),
 * where seed is the hash of the newest block made before the slot began (zero before block 1). A
 * WorkerHeartbeat answers the current slot's challenge with the iteration counter of a workload run
 * on it; its instant performance p = floor(iterations * 10^6 / micros / 1000), capped at
 * floor(6P / 5) (1.2 x P, as Phala) and at least 1, is what settlement reads. The seed is kept in the
 * ledger's meta "challenge.seed" ("epoch slot 0x..."), written by the first block of each slot (the
 * first to find it naming another slot), whose parent is then the newest block before the slot. */
#include "engine/engine_int.h"
#include "engine/staking_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "enclave/economics.h"
#include "enclave/quote.h"
#include "ledger/amount.h"
#include "ledger/compute.h"
#include "ledger/hash.h"
#include "ledger/hex.h"
#include "ledger/sig.h"
#include "ledger/stakes.h"

#define SEED_KEY "challenge.seed"

static const char challenge_domain[] = "conclave-challenge-v1";

uint32_t eng_worker_score(uint64_t iterations, uint64_t micros)
{
    if (micros == 0)
        return 0;
    unsigned __int128 p = (unsigned __int128)iterations * 1000000u / micros / ENG_SCORE_ITERATIONS;
    return p > UINT32_MAX ? UINT32_MAX : (uint32_t)p;
}

void eng_worker_slot(const eng *e, uint64_t t, uint64_t *epoch, uint64_t *slot)
{
    *epoch = eng_clock_epoch(&e->clock, t);
    *slot = (t - eng_clock_epoch_start(&e->clock, *epoch)) / e->genesis.compute.heartbeat_secs;
}

static void put_u64(uint8_t *out, uint64_t x)
{
    for (unsigned i = 0; i < 8; i++)
        out[i] = (uint8_t)(x >> (56 - 8 * i));
}

void eng_worker_challenge(uint8_t out[32], const eng *e, const uint8_t worker[20], uint64_t epoch, uint64_t slot,
                          const uint8_t seed[32])
{
    uint8_t msg[sizeof challenge_domain - 1 + 24 + 20 + 32], *at = msg + sizeof challenge_domain - 1;
    memcpy(msg, challenge_domain, sizeof challenge_domain - 1);
    put_u64(at, e->genesis.chain_id);
    put_u64(at + 8, epoch);
    put_u64(at + 16, slot);
    memcpy(at + 24, worker, 20);
    memcpy(at + 44, seed, 32);
    ledger_sha256(out, msg, sizeof msg);
}

/* The seed stored for a slot, if the meta names that slot. Returns: ST_OK (*found says whether it
 * was that slot's), ST_DB. */
static int stored_seed(eng *e, uint64_t epoch, uint64_t slot, uint8_t seed[32], bool *found)
{
    char *text = NULL;
    *found = false;
    int rc = ledger_meta_get(e->ledger, SEED_KEY, &text);
    if (rc == ST_NOTFOUND)
        return ST_OK;
    if (rc != ST_OK)
        return rc;
    uint64_t se, ss;
    char hex[67];
    if (sscanf(text, "%" SCNu64 " %" SCNu64 " %66s", &se, &ss, hex) == 3 && se == epoch && ss == slot)
        *found = ledger_hex_decode_exact(seed, 32, hex) == ST_OK;
    free(text);
    return ST_OK;
}

int eng_worker_seed_update(eng *e, const ledger_block *head, uint64_t time)
{
    static const uint8_t zero[32];
    uint64_t epoch, slot;
    uint8_t seed[32];
    bool found;
    eng_worker_slot(e, time, &epoch, &slot);
    int rc = stored_seed(e, epoch, slot, seed, &found);
    if (rc != ST_OK || found)
        return rc;
    char hex[67], text[128];
    ledger_hex_encode(hex, head ? head->hash : zero, 32);
    snprintf(text, sizeof text, "%" PRIu64 " %" PRIu64 " %s", epoch, slot, hex);
    return ledger_meta_set(e->ledger, SEED_KEY, text);
}

int eng_worker_seed(eng *e, uint64_t t, uint64_t *epoch, uint64_t *slot, uint8_t seed[32])
{
    bool found;
    eng_worker_slot(e, t, epoch, slot);
    int rc = stored_seed(e, *epoch, *slot, seed, &found);
    if (rc != ST_OK || found)
        return rc;
    /* no block in this slot yet: the next one's parent is the head */
    ledger_block head;
    rc = ledger_block_head(e->ledger, &head);
    if (rc == ST_NOTFOUND) {
        memset(seed, 0, 32);
        return ST_OK;
    }
    if (rc == ST_OK)
        memcpy(seed, head.hash, 32);
    return rc;
}

int eng_challenge_now(eng *e, const uint8_t worker[20], eng_challenge *out)
{
    uint8_t seed[32];
    int rc = eng_worker_seed(e, eng_block_time(e), &out->epoch, &out->slot, seed);
    if (rc != ST_OK)
        return rc;
    uint64_t hb = e->genesis.compute.heartbeat_secs, end = eng_clock_epoch_start(&e->clock, out->epoch + 1);
    out->slot_start = eng_clock_epoch_start(&e->clock, out->epoch) + out->slot * hb;
    out->slot_end = out->slot_start + hb < end ? out->slot_start + hb : end;
    eng_worker_challenge(out->challenge, e, worker, out->epoch, out->slot, seed);
    return ST_OK;
}

/* ---- registration ---- */

/* Checks a WorkerRegister's quote against the chain: from the chain's platform, of kind worker, for
 * this chain, binding the signer's key. Out: q. Returns: ST_OK, or a failure with err. */
static int check_quote(const eng *e, const ledger_tx *tx, enc_quote *q, char *err, size_t errlen)
{
    const uint8_t *quote;
    size_t len;
    uint8_t addr[20];
    if (ledger_tx_get_bytes(tx, "quote", &quote, &len) != ST_OK) {
        snprintf(err, errlen, "malformed WorkerRegister");
        return ST_INVALID;
    }
    if (!e->genesis.enclave.has_platform) {
        snprintf(err, errlen, "this chain names no attestation platform: it registers no workers");
        return ST_UNAUTHORIZED;
    }
    int rc = enc_quote_verify(q, quote, len, e->genesis.enclave.platform);
    if (rc == ST_CRYPTO) {
        snprintf(err, errlen, "message.quote: not signed by the chain's attestation platform");
        return ST_UNAUTHORIZED;
    }
    if (rc != ST_OK || q->kind != ENC_QUOTE_WORKER) {
        snprintf(err, errlen, "message.quote: not a worker runtime's quote (version 2, kind worker, %d bytes)",
                 ENC_QUOTE_V2_LEN);
        return ST_INVALID;
    }
    if (q->chain_id != e->genesis.chain_id) {
        snprintf(err, errlen, "message.quote: made for chain %" PRIu64 ", this is chain %" PRIu64, q->chain_id,
                 e->genesis.chain_id);
        return ST_INVALID;
    }
    ledger_sig_pubkey_address(addr, q->enclave_pub);
    if (memcmp(addr, tx->signer, 20) != 0) {
        snprintf(err, errlen, "message.quote: it attests another key than the signer's");
        return ST_UNAUTHORIZED;
    }
    return ST_OK;
}

/* The benchmark of a WorkerRegister or the sample of a WorkerHeartbeat: both counts above zero. */
static int check_counter(const ledger_tx *tx, uint64_t *iterations, uint64_t *micros, char *err, size_t errlen)
{
    if (ledger_tx_get_u64(tx, "iterations", iterations) != ST_OK || ledger_tx_get_u64(tx, "micros", micros) != ST_OK) {
        snprintf(err, errlen, "malformed %s", tx->type->name);
        return ST_INVALID;
    }
    if (*iterations == 0 || *micros == 0) {
        snprintf(err, errlen, "message.%s: must be greater than zero", *iterations == 0 ? "iterations" : "micros");
        return ST_INVALID;
    }
    return ST_OK;
}

int eng_check_worker_register(eng *e, const ledger_tx *tx, char *err, size_t errlen)
{
    enc_quote q;
    uint64_t iterations, micros;
    uint8_t op[20];
    static const uint8_t zero[20];
    int rc = check_quote(e, tx, &q, err, errlen);
    if (rc == ST_OK)
        rc = check_counter(tx, &iterations, &micros, err, errlen);
    if (rc == ST_OK && eng_worker_score(iterations, micros) == 0) {
        snprintf(err, errlen, "message.iterations: the benchmark scores 0 (fewer than 1000 iterations per second)");
        rc = ST_INVALID;
    }
    if (rc == ST_OK && (ledger_tx_get_address(tx, "operator", op) != ST_OK || memcmp(op, zero, 20) == 0)) {
        snprintf(err, errlen, "message.operator: the address of the pool owner the worker serves is needed");
        rc = ST_INVALID;
    }
    return rc;
}

int eng_apply_worker_register(eng_apply *a)
{
    const ledger_tx *tx = &a->item->tx;
    enc_quote q;
    uint64_t iterations, micros;
    bool allowed = false;
    ledger_worker_reg reg = { 0 };
    ledger_worker w;
    ledger_worker_init(&w);
    int rc = check_quote(a->e, tx, &q, a->r.err, sizeof a->r.err);
    if (rc == ST_OK)
        rc = check_counter(tx, &iterations, &micros, a->r.err, sizeof a->r.err);
    if (rc == ST_OK)
        rc = ledger_tx_get_address(tx, "operator", reg.operator_);
    if (rc == ST_OK && (rc = ledger_allowlist_has(a->e->ledger, LEDGER_RUNTIME_WORKER, q.measurement, &allowed)) == ST_OK
        && !allowed) {
        char hex[67];
        ledger_hex_encode(hex, q.measurement, 32);
        rc = ledger_fail(&a->r, ST_UNAUTHORIZED, "the worker runtime's measurement %s is not on the allowlist", hex);
    }
    if (rc == ST_OK && (rc = ledger_worker_get(a->e->ledger, tx->signer, &w)) == ST_OK)
        rc = ledger_fail(&a->r, ST_CONFLICT, "the worker is in pool %" PRIu64 ": its owner removes it before it registers again",
                         w.pool);
    else if (rc == ST_NOTFOUND)
        rc = ST_OK;
    if (rc == ST_OK) {
        memcpy(reg.address, tx->signer, 20);
        memcpy(reg.measurement, q.measurement, 32);
        reg.score = eng_worker_score(iterations, micros);
        reg.conf_level = q.conf_level;
        const uint8_t *quote;
        size_t len;
        rc = ledger_tx_get_bytes(tx, "quote", &quote, &len);
        if (rc == ST_OK)
            rc = ledger_worker_reg_put(a->e->ledger, &reg, quote, len);
    }
    char hex[67];
    ledger_hex_encode(hex, q.measurement, 32);
    ledger_ev *ev = rc == ST_OK ? ledger_event(&a->r, "WorkerRegistered") : NULL;
    if (rc == ST_OK && (!ev || !ledger_event_address(ev, "worker", tx->signer) || !ledger_event_address(ev, "operator", reg.operator_)
                        || !ledger_event_string(ev, "measurement", hex)
                        || !ledger_event_number(ev, "score", reg.score)
                        || !ledger_event_number(ev, "confLevel", reg.conf_level)))
        rc = ST_NOMEM;
    ledger_worker_clear(&w);
    return rc;
}

/* ---- heartbeats ---- */

int eng_check_worker_heartbeat(eng *e, const ledger_tx *tx, char *err, size_t errlen)
{
    (void)e;
    uint64_t iterations, micros;
    return check_counter(tx, &iterations, &micros, err, errlen);
}

int eng_apply_worker_heartbeat(eng_apply *a)
{
    const ledger_tx *tx = &a->item->tx;
    uint64_t epoch, slot, now_epoch, now_slot, iterations, micros;
    uint8_t challenge[32], seed[32], want[32];
    ledger_worker w;
    ledger_worker_init(&w);
    int rc = ledger_tx_get_u64(tx, "epoch", &epoch);
    if (rc == ST_OK)
        rc = ledger_tx_get_u64(tx, "slot", &slot);
    if (rc == ST_OK)
        rc = ledger_tx_get_bytes32(tx, "challenge", challenge);
    if (rc == ST_OK)
        rc = check_counter(tx, &iterations, &micros, a->r.err, sizeof a->r.err);
    if (rc == ST_OK && (rc = ledger_worker_get(a->e->ledger, tx->signer, &w)) == ST_NOTFOUND)
        rc = ledger_fail(&a->r, rc, "the signer is not a worker in a pool (it registers, then its operator adds it with WorkerAdd)");
    if (rc == ST_OK && mpz_sgn(w.bonded) == 0)
        rc = ledger_fail(&a->r, ST_CONFLICT, "the worker has no stake bonded: it is not computing");
    if (rc == ST_OK)
        rc = eng_worker_seed(a->e, a->time, &now_epoch, &now_slot, seed);
    if (rc == ST_OK && (epoch != now_epoch || slot != now_slot))
        rc = ledger_fail(&a->r, ST_CONFLICT, "a heartbeat for epoch %" PRIu64 " slot %" PRIu64 ", but the current slot is epoch %" PRIu64
                         " slot %" PRIu64, epoch, slot, now_epoch, now_slot);
    if (rc == ST_OK) {
        eng_worker_challenge(want, a->e, tx->signer, epoch, slot, seed);
        if (memcmp(want, challenge, 32) != 0)
            rc = ledger_fail(&a->r, ST_INVALID, "message.challenge: not this slot's challenge for this worker (staking_getChallenge gives it)");
    }
    uint32_t claimed = eng_worker_score(iterations, micros), cap = (uint32_t)((uint64_t)w.score * 6 / 5);
    uint32_t p = claimed < cap ? claimed : cap;
    if (p == 0)
        p = 1;
    if (rc == ST_OK && (rc = ledger_heartbeat_put(a->e->ledger, tx->signer, epoch, slot, p)) == ST_CONFLICT)
        rc = ledger_fail(&a->r, rc, "slot %" PRIu64 " of epoch %" PRIu64 " is already answered", slot, epoch);
    ledger_ev *ev = rc == ST_OK ? ledger_event(&a->r, "Heartbeat") : NULL;
    if (rc == ST_OK && (!ev || !ledger_event_address(ev, "worker", tx->signer) || !ledger_event_number(ev, "pool", (double)w.pool)
                        || !ledger_event_number(ev, "epoch", (double)epoch) || !ledger_event_number(ev, "slot", (double)slot)
                        || !ledger_event_number(ev, "performance", p) || !ledger_event_number(ev, "measured", claimed)))
        rc = ST_NOMEM;
    ledger_worker_clear(&w);
    return rc;
}

/* ---- stake rules (the parameters: staking.minStakePerRootScore, staking.minWorkerScore) ---- */

int eng_worker_min_stake(eng *e, uint32_t score, mpz_t min)
{
    return enc_econ_min_stake(min, e->genesis.staking.min_stake_k, score);
}

int eng_worker_check_stake(eng_apply *a, const ledger_worker *w, const mpz_t bonded, bool starting)
{
    const enc_econ_params *p = eng_econ(a->e);
    char have[LEDGER_AMOUNT_STRLEN], need[LEDGER_AMOUNT_STRLEN];
    mpz_t min, s, ve;
    mpz_inits(min, s, ve, NULL);
    uint32_t min_score = a->e->genesis.staking.min_worker_score;
    int rc = eng_worker_min_stake(a->e, w->score, min);
    if (rc == ST_OK && w->score < min_score)
        rc = ledger_fail(&a->r, ST_LIMIT, "the worker's benchmark score %" PRIu32 " is below the %" PRIu32 " a worker needs to compute",
                         w->score, min_score);
    else if (rc == ST_OK && mpz_cmp(bonded, min) < 0)
        rc = ledger_fail(&a->r, ST_INSUFFICIENT, "%s bonded is below the minimum stake of %s for score %" PRIu32 " (k * sqrt(P))",
                         eng_staking_amount_text(have, bonded), eng_staking_amount_text(need, min), w->score);
    if (rc == ST_OK && starting) {
        enc_econ_from_amount(s, bonded);
        rc = enc_econ_initial_v(ve, p, s, w->score, w->conf_level);
        if (rc == ST_OK && mpz_cmp(ve, p->v_max) > 0)
            rc = ledger_fail(&a->r, ST_LIMIT, "too much stake: %s would start the worker at a value promise above vMax",
                             eng_staking_amount_text(have, bonded));
    }
    mpz_clears(min, s, ve, NULL);
    return rc;
}
