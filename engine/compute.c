/* SPDX-License-Identifier: MIT */
/* compute.c: what compute clients do between settlements (the workers' heartbeats are in
 * workers.c). Clients open payment channels toward a worker with a deposit held in their
 * escrow, top them up and close them (after a challenge period the unspent deposit comes back);
 * they pay by signing off-ledger Vouchers for a growing cumulative amount, which the worker redeems:
 * a voucher can never be paid twice, since only a higher cumulative amount redeems anything, and
 * epoch settlement pays what was redeemed, capped by the deposit. The worker or its pool's owner
 * redeems (a worker's key is sealed in its runtime; the payment goes to the pool either way). */
#include "engine/engine_int.h"

#include <stdio.h>
#include <string.h>
#include "ledger/amount.h"
#include "ledger/compute.h"
#include "ledger/hex.h"
#include "ledger/sig.h"
#include "ledger/stakes.h"

#define DUE_BATCH 64

static ledger_ev *channel_event(eng_apply *a, const char *type, uint64_t channel)
{
    ledger_ev *ev = ledger_event(&a->r, type);
    if (ev && !ledger_event_number(ev, "channel", (double)channel))
        return NULL;
    return ev;
}

/* Moves amount from the client's free balance into its escrow. */
static int escrow(eng_apply *a, const uint8_t client[20], const mpz_t amount)
{
    ledger_account from = ledger_user_account(LEDGER_FREE, client), to = ledger_user_account(LEDGER_ESCROW, client);
    int rc = ledger_transfer(a->e->ledger, &from, &to, amount, "escrow");
    if (rc == ST_INSUFFICIENT) {
        char need[LEDGER_AMOUNT_STRLEN];
        ledger_amount_format(need, amount);
        return ledger_fail(&a->r, rc, "insufficient balance: %s needed", need);
    }
    return rc;
}

int eng_apply_channel_open(eng_apply *a)
{
    const ledger_tx *tx = &a->item->tx;
    ledger_channel c;
    ledger_channel_init(&c);
    ledger_worker w;
    ledger_worker_init(&w);
    int rc = ledger_tx_get_address(tx, "worker", c.worker);
    if (rc == ST_OK)
        rc = ledger_tx_get_amount(tx, "deposit", c.deposit);
    if (rc == ST_OK && (rc = ledger_worker_get(a->e->ledger, c.worker, &w)) == ST_NOTFOUND)
        rc = ledger_fail(&a->r, rc, "the worker is not registered in any pool");
    if (rc == ST_OK && memcmp(c.worker, tx->signer, 20) == 0)
        rc = ledger_fail(&a->r, ST_INVALID, "a worker cannot open a channel to itself");
    if (rc == ST_OK)
        rc = escrow(a, tx->signer, c.deposit);
    if (rc == ST_OK) {
        memcpy(c.client, tx->signer, 20);
        c.opened_height = a->height;
        rc = ledger_channel_insert(a->e->ledger, &c);
    }
    ledger_ev *ev = rc == ST_OK ? channel_event(a, "ChannelOpened", c.id) : NULL;
    if (rc == ST_OK && (!ev || !ledger_event_address(ev, "client", c.client) || !ledger_event_address(ev, "worker", c.worker)
                        || !ledger_event_amount(ev, "deposit", c.deposit)))
        rc = ST_NOMEM;
    ledger_worker_clear(&w);
    ledger_channel_clear(&c);
    return rc;
}

/* Loads the channel named by the tx; it must be open (not closed). */
static int load_channel(eng_apply *a, ledger_channel *c)
{
    uint64_t id;
    int rc = ledger_tx_get_u64(&a->item->tx, "channel", &id);
    if (rc == ST_OK && (rc = ledger_channel_get(a->e->ledger, id, c)) == ST_NOTFOUND)
        return ledger_fail(&a->r, rc, "no channel %llu", (unsigned long long)id);
    if (rc == ST_OK && c->closed)
        return ledger_fail(&a->r, ST_CONFLICT, "channel %llu is closed", (unsigned long long)id);
    return rc;
}

static int require_client(eng_apply *a, const ledger_channel *c)
{
    if (memcmp(c->client, a->item->tx.signer, 20) == 0)
        return ST_OK;
    return ledger_fail(&a->r, ST_UNAUTHORIZED, "only the client of channel %llu may do this", (unsigned long long)c->id);
}

int eng_apply_channel_top_up(eng_apply *a)
{
    ledger_channel c;
    ledger_channel_init(&c);
    mpz_t amount;
    mpz_init(amount);
    int rc = ledger_tx_get_amount(&a->item->tx, "amount", amount);
    if (rc == ST_OK)
        rc = load_channel(a, &c);
    if (rc == ST_OK)
        rc = require_client(a, &c);
    if (rc == ST_OK && c.closing)
        rc = ledger_fail(&a->r, ST_CONFLICT, "channel %llu is closing", (unsigned long long)c.id);
    if (rc == ST_OK)
        rc = escrow(a, c.client, amount);
    if (rc == ST_OK) {
        mpz_add(c.deposit, c.deposit, amount);
        rc = ledger_channel_update(a->e->ledger, &c);
    }
    ledger_ev *ev = rc == ST_OK ? channel_event(a, "ChannelToppedUp", c.id) : NULL;
    if (rc == ST_OK && (!ev || !ledger_event_amount(ev, "amount", amount) || !ledger_event_amount(ev, "deposit", c.deposit)))
        rc = ST_NOMEM;
    mpz_clear(amount);
    ledger_channel_clear(&c);
    return rc;
}

int eng_apply_channel_close(eng_apply *a)
{
    ledger_channel c;
    ledger_channel_init(&c);
    int rc = load_channel(a, &c);
    if (rc == ST_OK)
        rc = require_client(a, &c);
    if (rc == ST_OK && c.closing)
        rc = ledger_fail(&a->r, ST_CONFLICT, "channel %llu is already closing", (unsigned long long)c.id);
    if (rc == ST_OK) {
        c.closing = true;
        c.close_at = a->time + a->e->genesis.compute.challenge_secs;
        rc = ledger_channel_update(a->e->ledger, &c);
    }
    ledger_ev *ev = rc == ST_OK ? channel_event(a, "ChannelClosing", c.id) : NULL;
    if (rc == ST_OK && (!ev || !ledger_event_number(ev, "closeAt", (double)c.close_at)))
        rc = ST_NOMEM;
    ledger_channel_clear(&c);
    return rc;
}

/* Whether the transaction's signer owns the pool of worker (whose sealed key lives in its runtime:
 * the operator redeems for it). Returns: ST_OK or ST_DB. */
static int signed_by_operator(eng_apply *a, const uint8_t worker[20], bool *yes)
{
    ledger_worker w;
    ledger_pool p;
    ledger_worker_init(&w);
    ledger_pool_init(&p);
    *yes = false;
    int rc = ledger_worker_get(a->e->ledger, worker, &w);
    if (rc == ST_OK && (rc = ledger_pool_get(a->e->ledger, w.pool, &p)) == ST_OK)
        *yes = memcmp(p.owner, a->item->tx.signer, 20) == 0;
    ledger_pool_clear(&p);
    ledger_worker_clear(&w);
    return rc == ST_NOTFOUND ? ST_OK : rc;
}

int eng_apply_voucher_redeem(eng_apply *a)
{
    const ledger_tx *tx = &a->item->tx;
    ledger_channel c;
    ledger_channel_init(&c);
    mpz_t cumulative, limit, owed;
    mpz_inits(cumulative, limit, owed, NULL);
    const uint8_t *sig;
    size_t sig_len;
    char t1[LEDGER_AMOUNT_STRLEN], t2[LEDGER_AMOUNT_STRLEN];
    int rc = ledger_tx_get_amount(tx, "cumulative", cumulative);
    if (rc == ST_OK)
        rc = ledger_tx_get_bytes(tx, "voucherSig", &sig, &sig_len);
    if (rc == ST_OK)
        rc = load_channel(a, &c);
    if (rc != ST_OK)
        goto out;
    bool operator_ = false;
    if (memcmp(c.worker, tx->signer, 20) != 0 && (rc = signed_by_operator(a, c.worker, &operator_)) != ST_OK)
        goto out;
    if (memcmp(c.worker, tx->signer, 20) != 0 && !operator_) {
        rc = ledger_fail(&a->r, ST_UNAUTHORIZED, "only the worker of channel %llu or its pool's owner may redeem its vouchers",
                         (unsigned long long)c.id);
        goto out;
    }
    /* the client signed Voucher{channel, cumulative} under this chain's domain */
    const ledger_eip712_type *voucher = ledger_tx_type_find("Voucher");
    ledger_eip712_value v[2] = { 0 };
    uint8_t digest[32], signer[20];
    if (!voucher || ledger_eip712_value_set_u64(&v[0], "uint64", c.id) != ST_OK) {
        rc = ledger_fail(&a->r, ST_INVALID, "the Voucher type is unknown to this build");
        goto out;
    }
    ledger_amount_to_word(v[1].word, cumulative);
    ledger_tx_digest(digest, voucher, v, eng_chain_id(a->e));
    if (sig_len != 65 || ledger_sig_recover(signer, digest, sig) != ST_OK || memcmp(signer, c.client, 20) != 0) {
        rc = ledger_fail(&a->r, ST_CRYPTO, "voucherSig: not the client's signature of Voucher{channel %llu, cumulative %s}",
                         (unsigned long long)c.id, (ledger_amount_format(t1, cumulative), t1));
        goto out;
    }
    if (mpz_cmp(cumulative, c.redeemed) <= 0) {
        rc = ledger_fail(&a->r, ST_CONFLICT, "a voucher for a cumulative %s is already redeemed; this one adds nothing",
                         (ledger_amount_format(t1, c.redeemed), t1));
        goto out;
    }
    mpz_add(limit, c.paid, c.deposit);
    if (mpz_cmp(cumulative, limit) > 0) {
        rc = ledger_fail(&a->r, ST_INSUFFICIENT, "the voucher's cumulative %s exceeds what the channel ever held (%s)",
                         (ledger_amount_format(t1, cumulative), t1), (ledger_amount_format(t2, limit), t2));
        goto out;
    }
    mpz_set(c.redeemed, cumulative);
    mpz_sub(owed, c.redeemed, c.paid);
    rc = ledger_channel_update(a->e->ledger, &c);
    ledger_ev *ev = rc == ST_OK ? channel_event(a, "VoucherRedeemed", c.id) : NULL;
    if (rc == ST_OK && (!ev || !ledger_event_amount(ev, "cumulative", cumulative) || !ledger_event_amount(ev, "owed", owed)))
        rc = ST_NOMEM;
out:
    mpz_clears(cumulative, limit, owed, NULL);
    ledger_channel_clear(&c);
    return rc;
}

bool eng_compute_due(eng *e, uint64_t now)
{
    uint64_t id;
    unsigned n = 0;
    return ledger_channel_due(e->ledger, now, &id, 1, &n) == ST_OK && n > 0;
}

/* Closes every channel whose challenge period is over and whose vouchers are all paid: the unspent
 * deposit goes back from escrow to the client's free balance. */
int eng_compute_tick(eng_apply *a)
{
    uint64_t ids[DUE_BATCH];
    unsigned n = 0;
    ledger_channel c;
    ledger_channel_init(&c);
    int rc;
    do {
        rc = ledger_channel_due(a->e->ledger, a->time, ids, DUE_BATCH, &n);
        for (unsigned i = 0; i < n && rc == ST_OK; i++) {
            if ((rc = ledger_channel_get(a->e->ledger, ids[i], &c)) != ST_OK)
                break;
            ledger_account from = ledger_user_account(LEDGER_ESCROW, c.client), to = ledger_user_account(LEDGER_FREE, c.client);
            if (mpz_sgn(c.deposit) > 0 && (rc = ledger_transfer(a->e->ledger, &from, &to, c.deposit, "refund")) != ST_OK)
                break;
            ledger_ev *ev = channel_event(a, "ChannelClosed", c.id);
            if (!ev || !ledger_event_address(ev, "client", c.client) || !ledger_event_amount(ev, "refunded", c.deposit)) {
                rc = ST_NOMEM;
                break;
            }
            mpz_set_ui(c.deposit, 0);
            c.closed = true;
            rc = ledger_channel_update(a->e->ledger, &c);
        }
    } while (rc == ST_OK && n == DUE_BATCH);
    ledger_channel_clear(&c);
    return rc;
}
