/* SPDX-License-Identifier: MIT */
/* settlement.c: the rules of epochs settled by the enclave: the next epoch to settle and whether it
 * is due, an epoch's inputs as the ledger says them, and the system transactions that allowlist
 * and register an enclave and apply its signed report (the enclave process itself is supervised by
 * enclave_link.c). Applying a report checks everything before it moves a base unit: the inputs are
 * recomputed from the ledger and must be the same bytes, the report must be signed by a registered
 * enclave, be for these inputs, and conserve every total (enc_settle_report_check); then its
 * operations run (emission, compute payments, and each worker's new value promise V), and the
 * settlements table's primary key makes the epoch settled exactly once.
 * Epochs are settled in order; without a working enclave they wait. Replay re-applies the stored
 * report the same way, with no enclave. */
#include "engine/engine_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "enclave/enclave.h"
#include "enclave/settle.h"
#include "ledger/amount.h"
#include "ledger/ballot_box.h"
#include "ledger/compute.h"
#include "ledger/hex.h"
#include "ledger/sig.h"
#include "ledger/stakes.h"

#define PAGE 256

int eng_settlement_next(eng *e, uint64_t *epoch)
{
    return eng_meta_u64(e, "settlement.next", epoch);
}

bool eng_settlement_due(eng *e, uint64_t now)
{
    uint64_t next;
    return eng_settlement_next(e, &next) == ST_OK && eng_clock_epoch_start(&e->clock, next + 1) <= now;
}

/* first_slot: the first slot of the epoch that starts at or after judged_from (0 if judged_from
 * is at or before the epoch's start; n_slots if no slot does). */
static uint32_t first_judged_slot(const enc_settle_input *in, uint64_t judged_from, uint64_t n_slots)
{
    if (judged_from <= in->epoch_start)
        return 0;
    uint64_t late = judged_from - in->epoch_start, s = late / in->slot_seconds + (late % in->slot_seconds != 0);
    return (uint32_t)(s < n_slots ? s : n_slots);
}

/* Every worker with stake bonded, by address: its registration's score and level, its V, and the
 * performance of each heartbeat slot it is judged in. A worker without a registration's score or
 * level (0) cannot be settled by the formula and is left out, as is one with no bond. */
static int add_workers(eng *e, enc_settle_input *in)
{
    uint64_t n_slots = enc_settle_slot_count(in);
    if (n_slots == 0 || n_slots > ENC_SETTLE_MAX_SLOTS)
        return ST_INVALID;
    ledger_worker *page = calloc(PAGE, sizeof *page);
    if (!page)
        return ST_NOMEM;
    for (unsigned i = 0; i < PAGE; i++)
        ledger_worker_init(&page[i]);
    uint8_t after[20];
    bool first = true;
    unsigned n = 0;
    int rc;
    do {
        rc = ledger_worker_all(e->ledger, first ? NULL : after, page, PAGE, &n);
        for (unsigned i = 0; i < n && rc == ST_OK; i++) {
            const ledger_worker *lw = &page[i];
            if (mpz_sgn(lw->bonded) <= 0 || lw->score == 0 || lw->conf_level < 1 || lw->conf_level > ENC_CONF_LEVELS)
                continue;
            enc_worker_in *w = enc_settle_input_add_worker(in);
            if (!w) {
                rc = ST_NOMEM;
                break;
            }
            memcpy(w->address, lw->address, 20);
            w->pool = lw->pool;
            mpz_set(w->stake, lw->bonded);
            w->score = lw->score;
            w->conf_level = lw->conf_level;
            w->started = lw->started;
            if (lw->started)
                mpz_set(w->v, lw->value);
            w->first_slot = first_judged_slot(in, lw->judged_from, n_slots);
            if ((rc = ledger_heartbeat_slots(e->ledger, lw->address, in->epoch, w->perf, n_slots)) != ST_OK)
                break;
            for (uint32_t s = 0; s < w->first_slot; s++)
                w->perf[s] = 0;
        }
        if (n)
            memcpy(after, page[n - 1].address, 20);
        first = false;
    } while (rc == ST_OK && n == PAGE);
    for (unsigned i = 0; i < PAGE; i++)
        ledger_worker_clear(&page[i]);
    free(page);
    return rc;
}

static int add_channels(eng *e, enc_settle_input *in)
{
    uint64_t ids[PAGE], after = 0;
    unsigned n = 0;
    ledger_channel c;
    ledger_worker w;
    ledger_channel_init(&c);
    ledger_worker_init(&w);
    int rc;
    do {
        rc = ledger_channel_owing(e->ledger, after, ids, PAGE, &n);
        for (unsigned i = 0; i < n && rc == ST_OK; i++) {
            if ((rc = ledger_channel_get(e->ledger, ids[i], &c)) != ST_OK
                || (rc = ledger_worker_get(e->ledger, c.worker, &w)) != ST_OK)
                break;
            enc_channel_in *ch = enc_settle_input_add_channel(in);
            if (!ch) {
                rc = ST_NOMEM;
                break;
            }
            ch->channel = c.id;
            memcpy(ch->client, c.client, 20);
            ch->pool = w.pool;
            mpz_sub(ch->owed, c.redeemed, c.paid);
            mpz_set(ch->escrow, c.deposit);
        }
        if (n)
            after = ids[n - 1];
    } while (rc == ST_OK && n == PAGE);
    ledger_worker_clear(&w);
    ledger_channel_clear(&c);
    return rc;
}

int eng_settlement_inputs(eng *e, uint64_t epoch, enc_settle_input *in)
{
    const enc_reward_params *rp = &e->genesis.rewards;
    enc_reward_params *p = &in->params;
    in->chain_id = e->genesis.chain_id;
    in->epoch = epoch;
    in->epoch_start = eng_clock_epoch_start(&e->clock, epoch);
    in->epoch_end = eng_clock_epoch_start(&e->clock, epoch + 1);
    in->genesis_time = e->genesis.time;
    in->slot_seconds = e->genesis.compute.heartbeat_secs;
    mpz_set(p->budget_per_epoch, rp->budget_per_epoch);
    p->decay_period = rp->decay_period;
    p->decay_ppm = rp->decay_ppm;
    p->treasury_ppm = rp->treasury_ppm;
    p->fee_ppm = rp->fee_ppm;
    p->step_seconds = rp->step_seconds;
    mpz_set(p->rho, rp->rho);
    mpz_set(p->slash_rate, rp->slash_rate);
    mpz_set(p->v_max, rp->v_max);
    mpz_set(p->cost_k, rp->cost_k);
    mpz_set(p->cost_b, rp->cost_b);
    mpz_set(p->rig_k, rp->rig_k);
    mpz_set(p->rig_b, rp->rig_b);
    mpz_set(p->re, rp->re);
    int rc = add_workers(e, in);
    return rc == ST_OK ? add_channels(e, in) : rc;
}

/* ---- the system transactions ---- */

int eng_apply_enclave_allow(eng_apply *a)
{
    uint8_t m[32];
    char hex[2 * 32 + 3];
    int rc = eng_system_decode_enclave_allow(a->item->sys_body, m) == ST_OK ? ledger_allowlist_add(a->e->ledger, LEDGER_RUNTIME_ENCLAVE, m)
                                                                             : ST_INVALID;
    if (rc == ST_INVALID)
        snprintf(a->r.err, sizeof a->r.err, "malformed EnclaveAllow");
    if (rc != ST_OK)
        return rc;
    ledger_hex_encode(hex, m, 32);
    ledger_ev *ev = ledger_event(&a->r, "EnclaveAllowed");
    return ev && ledger_event_string(ev, "measurement", hex) ? ST_OK : ST_NOMEM;
}

int eng_apply_enclave_register(eng_apply *a)
{
    size_t len = 0;
    uint8_t *quote = NULL;
    enc_quote q;
    uint8_t address[20];
    bool allowed = false;
    int rc = ST_INVALID;
    if (eng_system_decode_enclave_register(a->item->sys_body, &quote, &len) != ST_OK)
        snprintf(a->r.err, sizeof a->r.err, "malformed EnclaveRegister");
    else if (!a->e->genesis.enclave.has_platform
             || enc_quote_verify(&q, quote, len, a->e->genesis.enclave.platform) != ST_OK)
        snprintf(a->r.err, sizeof a->r.err, "the quote does not verify against the platform of the genesis");
    else if (q.chain_id != a->e->genesis.chain_id)
        snprintf(a->r.err, sizeof a->r.err, "the quote is for chain %llu", (unsigned long long)q.chain_id);
    else if ((rc = ledger_allowlist_has(a->e->ledger, LEDGER_RUNTIME_ENCLAVE, q.measurement, &allowed)) == ST_OK && !allowed) {
        snprintf(a->r.err, sizeof a->r.err, "the enclave's measurement is not on the allowlist");
        rc = ST_UNAUTHORIZED;
    } else if (rc == ST_OK) {
        ledger_sig_pubkey_address(address, q.enclave_pub);
        rc = ledger_enclave_put(a->e->ledger, address, q.measurement, quote, len);
        char hex[67];
        ledger_hex_encode(hex, q.measurement, 32);
        ledger_ev *ev = rc == ST_OK ? ledger_event(&a->r, "EnclaveRegistered") : NULL;
        if (rc == ST_OK && (!ev || !ledger_event_address(ev, "enclave", address) || !ledger_event_string(ev, "measurement", hex)))
            rc = ST_NOMEM;
    }
    free(quote);
    return rc;
}

int eng_apply_enclave_ballot_key(eng_apply *a)
{
    uint8_t enclave[20], key[LEDGER_BALLOT_KEY_LEN], sig[LEDGER_BALLOT_KEY_SIG_LEN], signer[20];
    if (eng_system_decode_enclave_ballot_key(a->item->sys_body, enclave, key, sig) != ST_OK)
        return ledger_fail(&a->r, ST_INVALID, "malformed EnclaveBallotKey");
    if (ledger_ballot_key_signer(signer, a->e->genesis.chain_id, key, sig) != ST_OK || memcmp(signer, enclave, 20) != 0)
        return ledger_fail(&a->r, ST_CRYPTO, "the ballot key's signature does not recover to the enclave");
    /* one ballot key per chain: a new enclave build gets it by the handover, never a key of its own */
    uint8_t chain_key[LEDGER_BALLOT_KEY_LEN];
    int rc = ledger_chain_ballot_key(a->e->ledger, chain_key, NULL);
    if (rc == ST_OK && memcmp(chain_key, key, sizeof key) != 0)
        return ledger_fail(&a->r, ST_CONFLICT, "the chain has another ballot key: an enclave gets it by the handover");
    if (rc != ST_OK && rc != ST_NOTFOUND)
        return rc;
    rc = ledger_enclave_set_ballot_key(a->e->ledger, enclave, key, sig);
    if (rc == ST_NOTFOUND)
        return ledger_fail(&a->r, rc, "the enclave is not registered");
    char hex[2 * LEDGER_BALLOT_KEY_LEN + 3];
    ledger_hex_encode(hex, key, sizeof key);
    ledger_ev *ev = rc == ST_OK ? ledger_event(&a->r, "EnclaveBallotKey") : NULL;
    if (rc == ST_OK && (!ev || !ledger_event_address(ev, "enclave", enclave) || !ledger_event_string(ev, "ballotKey", hex)))
        rc = ST_NOMEM;
    return rc;
}

/* Runs one operation of a checked report. */
static int apply_op(eng_apply *a, const enc_op *op)
{
    ledger_account issuance = ledger_system_account(LEDGER_ISSUANCE);
    switch (op->kind) {
    case ENC_OP_TREASURY: {
        ledger_account treasury = ledger_system_account(LEDGER_TREASURY);
        return ledger_transfer(a->e->ledger, &issuance, &treasury, op->amount, "emission");
    }
    case ENC_OP_POOL_EMISSION:
        return eng_staking_reward(a, op->pool, &issuance, op->amount);
    case ENC_OP_COMPUTE_PAYMENT:
    case ENC_OP_FEE: {
        ledger_account escrow = ledger_user_account(LEDGER_ESCROW, op->address), fees = ledger_system_account(LEDGER_FEES);
        ledger_channel c;
        ledger_channel_init(&c);
        int rc = ledger_channel_get(a->e->ledger, op->channel, &c);
        if (rc == ST_OK && mpz_cmp(op->amount, c.deposit) > 0)
            rc = ST_INSUFFICIENT;
        if (rc == ST_OK)
            rc = op->kind == ENC_OP_FEE ? ledger_transfer(a->e->ledger, &escrow, &fees, op->amount, "fee")
                                        : eng_staking_reward(a, op->pool, &escrow, op->amount);
        if (rc == ST_OK) {
            mpz_sub(c.deposit, c.deposit, op->amount);
            mpz_add(c.paid, c.paid, op->amount);
            rc = ledger_channel_update(a->e->ledger, &c);
        }
        ledger_channel_clear(&c);
        return rc;
    }
    case ENC_OP_WORKER_VALUE: {
        ledger_worker w;
        ledger_worker_init(&w);
        int rc = ledger_worker_get(a->e->ledger, op->address, &w);
        if (rc == ST_OK) {
            mpz_set(w.value, op->amount);
            w.started = true;
            rc = ledger_worker_put(a->e->ledger, &w);
        }
        ledger_worker_clear(&w);
        return rc;
    }
    }
    return ST_INVALID;
}

/* The address that signed r, if it is a registered enclave (ST_NOTFOUND if not, ST_CRYPTO if the
 * signature is malformed). */
/* Recovers the report's signer and says whether it is a registered enclave whose measurement is on
 * the allowlist now (a measurement governance removed signs nothing from the block that removed it). */
static int report_signer(eng *e, const enc_settle_report *r, uint8_t signer[20], bool *allowed)
{
    uint8_t digest[32], measurement[32];
    int rc = enc_settle_report_digest(digest, r);
    if (rc == ST_OK)
        rc = ledger_sig_recover(signer, digest, r->signature);
    if (rc == ST_OK)
        rc = ledger_enclave_get(e->ledger, signer, measurement, NULL, NULL, NULL);
    return rc == ST_OK ? ledger_allowlist_has(e->ledger, LEDGER_RUNTIME_ENCLAVE, measurement, allowed) : rc;
}

int eng_apply_settlement(eng_apply *a)
{
    eng *e = a->e;
    size_t inputs_len = 0, report_len = 0, own_len = 0;
    uint8_t *inputs = NULL, *report = NULL, *own = NULL, hash[32];
    uint64_t next = 0, epoch = 0;
    bool decoded = eng_system_decode_settlement(a->item->sys_body, &epoch, &inputs, &inputs_len, &report, &report_len) == ST_OK;
    enc_settle_input in;
    enc_settle_report r;
    enc_settle_input_init(&in);
    enc_settle_report_init(&r);
    char why[200] = "";
    int rc = eng_settlement_next(e, &next);
    if (rc != ST_OK)
        goto out;
    rc = ST_INVALID;
    if (!decoded || epoch != next) {
        snprintf(a->r.err, sizeof a->r.err, "malformed Settlement, or not for epoch %llu (the next to settle)",
                 (unsigned long long)next);
        goto out;
    }
    /* the inputs must be exactly what the ledger says now */
    if ((rc = eng_settlement_inputs(e, epoch, &in)) != ST_OK || (rc = enc_settle_input_serialize(&own, &own_len, &in)) != ST_OK)
        goto out;
    rc = ST_INVALID;
    if (own_len != inputs_len || memcmp(own, inputs, own_len) != 0) {
        snprintf(a->r.err, sizeof a->r.err, "the report's inputs are not the ledger's inputs for epoch %llu",
                 (unsigned long long)epoch);
        goto out;
    }
    if (enc_settle_report_parse(&r, report, report_len) != ST_OK) {
        snprintf(a->r.err, sizeof a->r.err, "the report is not in canonical form");
        goto out;
    }
    uint8_t signer[20];
    bool allowed = false;
    if ((rc = report_signer(e, &r, signer, &allowed)) == ST_DB)
        goto out;
    if (rc != ST_OK) {
        snprintf(a->r.err, sizeof a->r.err, "the report is not signed by a registered enclave");
        rc = ST_CRYPTO;
        goto out;
    }
    if (!allowed) {
        snprintf(a->r.err, sizeof a->r.err, "the report's enclave is no longer on the allowlist");
        rc = ST_UNAUTHORIZED;
        goto out;
    }
    if (enc_settle_report_check(why, sizeof why, &r, &in) != ST_OK) {
        snprintf(a->r.err, sizeof a->r.err, "the report does not add up: %s", why);
        goto out;
    }
    for (size_t i = 0; i < r.n_ops; i++)
        if ((rc = apply_op(a, &r.ops[i])) != ST_OK) {
            snprintf(a->r.err, sizeof a->r.err, "operation %zu of the report failed: %s", i, st_str(rc));
            goto out;
        }
    if ((rc = enc_settle_input_hash(hash, &in)) != ST_OK)
        goto out;
    ledger_settlement s = { .epoch = epoch, .inputs = inputs, .inputs_len = inputs_len, .report = report,
                            .report_len = report_len };
    memcpy(s.enclave, signer, 20);
    memcpy(s.input_hash, hash, 32);
    if ((rc = ledger_settlement_put(e->ledger, &s)) == ST_CONFLICT) {
        snprintf(a->r.err, sizeof a->r.err, "epoch %llu is settled already", (unsigned long long)epoch);
        goto out;
    }
    char text[24];
    snprintf(text, sizeof text, "%llu", (unsigned long long)(epoch + 1));
    if (rc == ST_OK)
        rc = ledger_meta_set(e->ledger, "settlement.next", text);
    ledger_ev *ev = rc == ST_OK ? ledger_event(&a->r, "EpochSettled") : NULL;
    if (rc == ST_OK && (!ev || !ledger_event_number(ev, "epoch", (double)epoch) || !ledger_event_address(ev, "enclave", signer)
                        || !ledger_event_amount(ev, "emitted", r.budget) || !ledger_event_amount(ev, "computePaid", r.compute_paid)
                        || !ledger_event_amount(ev, "fees", r.fees) || !ledger_event_number(ev, "operations", (double)r.n_ops)))
        rc = ST_NOMEM;
out:
    enc_settle_report_clear(&r);
    enc_settle_input_clear(&in);
    free(own);
    free(inputs);
    free(report);
    return rc;
}
