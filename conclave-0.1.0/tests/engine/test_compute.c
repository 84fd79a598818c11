/* SPDX-License-Identifier: MIT */
/* test_compute.c: payment channels through the engine without a socket: a channel needs a worker
 * that registered (WorkerRegister) and is in a pool; it escrows its deposit, only its client tops it
 * up or closes it, and after the challenge period its deposit comes back; a client-signed voucher is
 * redeemed once by the worker's own key, never twice, never beyond the deposit, never with a forged
 * signature. (Heartbeats, and the admission of a worker key that holds nothing, are tested in
 * test_workers.c.) Every block is audited. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine/engine.h"
#include "engine/genesis.h"
#include "ledger/amount.h"
#include "ledger/compute.h"
#include "ledger/hex.h"
#include "ledger/sig.h"
#include "tests/lib/engine_fixture.h"

#define G_TIME 2000000u
#define EPOCH 600u
#define SLOT 100u
#define CHALLENGE 50u
#define OWNER 0
#define CLIENT 1
#define STRANGER 3
#define W 0             /* th_worker_key(W): the channel's worker, a key the genesis gives nothing */

static eng *e;

static void setup(void)
{
    char genesis[2048];
    snprintf(genesis, sizeof genesis,
             "{\"chainId\":77,\"time\":%u,\"epochSecs\":%u,\"compute\":{\"heartbeatSecs\":%u,\"challengeSecs\":%u},"
             "\"accounts\":[{\"address\":\"%s\",\"balance\":\"1000\"},{\"address\":\"%s\",\"balance\":\"1000\"},"
             "{\"address\":\"%s\",\"balance\":\"1000\"}],"
             "\"staking\":{\"minContribution\":\"1\"},%s}",
             G_TIME, EPOCH, SLOT, CHALLENGE, th_dev_text(OWNER), th_dev_text(CLIENT), th_dev_text(STRANGER),
             th_worker_genesis());
    th_open_engine(&e, "compute", genesis);
}

static void teardown(void)
{
    th_close_engine(e);
}

TestSuite(engine_compute, .init = setup, .fini = teardown);

/* Signs type with the message given as JSON by dev account who and applies it in a block of its
 * own. Returns the submission status (ST_OK: see *o, which may say it was refused). */
static int submit_alone(unsigned who, const char *type, th_outcome *o, const char *json)
{
    int rc = th_submit(e, who, type, o, "%s", json);
    if (rc == ST_OK)
        th_block(e);
    return rc;
}

static void ok(unsigned who, const char *type, const char *json)
{
    th_expect_tx_ok(e, who, type, "%s", json);
}

static void failed(unsigned who, const char *type, const char *json, const char *reason)
{
    th_expect_tx_fails(e, who, type, reason, "%s", json);
}

static void expect_user(int kind, unsigned who, const char *expected)
{
    th_expect_user(e, kind, who, expected);
}

static void advance(uint64_t secs)
{
    th_advance(e, secs);
}

/* Pool 1 of OWNER with worker W registered (to serve OWNER) and added as its worker. A channel needs
 * no stake bonded to the worker, so none is. */
static void register_worker(void)
{
    char json[256];
    ok(OWNER, "PoolCreate", "{\"commissionPpm\":\"0\",\"capacity\":\"1000\"}");
    th_register_worker(e, W, OWNER, 100);
    snprintf(json, sizeof json, "{\"pool\":\"1\",\"worker\":\"%s\"}", th_worker_text(W));
    ok(OWNER, "WorkerAdd", json);
}

/* A VoucherRedeem of channel 1 for cumulative with sig, in a block of its own, signed by worker W's
 * key (by_worker) or by dev account STRANGER. */
static void redeem(bool by_worker, const char *cumulative, const char *sig, th_outcome *o)
{
    if (by_worker) {
        uint8_t key[32], addr[20];
        uint64_t nonce = 0;
        th_worker_key(key, W);
        th_worker_address(addr, W);
        cr_assert_eq(ledger_nonce_get(eng_ledger(e), addr, &nonce), ST_OK, "worker nonce");
        cr_assert_eq(th_submit_signed(e, key, nonce, "VoucherRedeem", o,
                                      "{\"channel\":\"1\",\"cumulative\":\"%s\",\"voucherSig\":\"%s\"}", cumulative, sig),
                     ST_OK, "VoucherRedeem queued: %s", th_last_err());
    } else {
        th_queue(e, STRANGER, "VoucherRedeem", o, "{\"channel\":\"1\",\"cumulative\":\"%s\",\"voucherSig\":\"%s\"}",
                 cumulative, sig);
    }
    th_block(e);
}

/* The client's signature of Voucher{channel, cumulative}, as 0x-hex. */
static void voucher(char out[133], unsigned signer, uint64_t channel, const char *cumulative)
{
    char json[160], err[256] = "";
    snprintf(json, sizeof json, "{\"channel\":\"%llu\",\"cumulative\":\"%s\"}", (unsigned long long)channel, cumulative);
    cJSON *msg = cJSON_Parse(json);
    uint8_t key[32];
    eng_dev_key(key, signer);
    ledger_tx tx;
    cr_assert_eq(ledger_tx_build_signed(&tx, err, sizeof err, "Voucher", msg, key, eng_chain_id(e)), ST_OK, "voucher");
    cJSON_Delete(msg);
    ledger_hex_encode(out, tx.sig, 65);
    ledger_tx_clear(&tx);
}

/* One attempt to redeem on channel 1, in order: signer signs Voucher{signed_channel,
 * signed_cumulative}, and the worker's key (by_worker) or STRANGER sends it as cumulative. reason
 * NULL: it must succeed. */
static const struct redemption {
    unsigned signer;
    uint64_t signed_channel;
    const char *signed_cumulative, *cumulative;
    bool by_worker;
    const char *reason;
} redemptions[] = {
    { CLIENT, 1, "40", "40", false, "only the worker" },
    { CLIENT, 1, "40", "40", true, NULL },
    { CLIENT, 1, "40", "40", true, "already redeemed" },
    { CLIENT, 1, "30", "30", true, "already redeemed" },
    { STRANGER, 1, "60", "60", true, "not the client's signature" },   /* forged */
    { CLIENT, 1, "60", "61", true, "not the client's signature" },
    { CLIENT, 2, "60", "60", true, "not the client's signature" },
    { CLIENT, 1, "101", "101", true, "exceeds what the channel ever held" },
    { CLIENT, 1, "100", "100", true, NULL },
};

Test(engine_compute, a_channel_escrows_its_deposit_and_returns_it_after_the_challenge_period)
{
    char json[256];
    snprintf(json, sizeof json, "{\"worker\":\"%s\",\"deposit\":\"300\"}", th_worker_text(W));
    failed(CLIENT, "ChannelOpen", json, "not registered");
    register_worker();
    th_outcome o = { 0 };
    snprintf(json, sizeof json, "{\"worker\":\"%s\",\"deposit\":\"0\"}", th_worker_text(W));
    cr_assert_eq(submit_alone(CLIENT, "ChannelOpen", &o, json), ST_INVALID, "a zero deposit is refused before queuing");
    snprintf(json, sizeof json, "{\"worker\":\"%s\",\"deposit\":\"300\"}", th_worker_text(W));
    ok(CLIENT, "ChannelOpen", json);
    expect_user(LEDGER_FREE, CLIENT, "700");
    expect_user(LEDGER_ESCROW, CLIENT, "300");
    failed(STRANGER, "ChannelTopUp", "{\"channel\":\"1\",\"amount\":\"5\"}", "only the client");
    ok(CLIENT, "ChannelTopUp", "{\"channel\":\"1\",\"amount\":\"50\"}");
    expect_user(LEDGER_ESCROW, CLIENT, "350");
    failed(CLIENT, "ChannelTopUp", "{\"channel\":\"1\",\"amount\":\"5000\"}", "insufficient");
    failed(STRANGER, "ChannelClose", "{\"channel\":\"1\"}", "only the client");
    ok(CLIENT, "ChannelClose", "{\"channel\":\"1\"}");
    failed(CLIENT, "ChannelClose", "{\"channel\":\"1\"}", "already closing");
    failed(CLIENT, "ChannelTopUp", "{\"channel\":\"1\",\"amount\":\"5\"}", "closing");
    advance(CHALLENGE - 1);
    cr_assert_eq(eng_flush(e), ST_OK, "no block is due yet");
    expect_user(LEDGER_ESCROW, CLIENT, "350");
    advance(1);
    cr_assert_eq(eng_flush(e), ST_OK, "the tick returns the deposit");
    expect_user(LEDGER_ESCROW, CLIENT, "0");
    expect_user(LEDGER_FREE, CLIENT, "1000");
    failed(CLIENT, "ChannelTopUp", "{\"channel\":\"1\",\"amount\":\"5\"}", "closed");
    failed(CLIENT, "ChannelClose", "{\"channel\":\"9\"}", "no channel 9");
    th_expect_audit_ok(e);
}

Test(engine_compute, a_voucher_is_redeemed_once_by_the_worker_within_the_deposit)
{
    char json[256], sig[133];
    register_worker();
    snprintf(json, sizeof json, "{\"worker\":\"%s\",\"deposit\":\"100\"}", th_worker_text(W));
    ok(CLIENT, "ChannelOpen", json);

    for (size_t i = 0; i < sizeof redemptions / sizeof redemptions[0]; i++) {
        const struct redemption *r = &redemptions[i];
        char what[80];
        snprintf(what, sizeof what, "redemption %zu (cumulative %s, signed for %s)", i, r->cumulative,
                 r->signed_cumulative);
        voucher(sig, r->signer, r->signed_channel, r->signed_cumulative);
        th_outcome o = { 0 };
        redeem(r->by_worker, r->cumulative, sig, &o);
        if (r->reason)
            th_expect_failed(&o, r->reason, what);
        else
            th_expect_ok(&o, what);
        th_outcome_clear(&o);
    }

    ledger_channel c;
    ledger_channel_init(&c);
    cr_assert_eq(ledger_channel_get(eng_ledger(e), 1, &c), ST_OK, "channel");
    cr_assert_eq(mpz_cmp_ui(c.redeemed, 100), 0, "redeemed up to 100");
    cr_assert_eq(mpz_cmp_ui(c.paid, 0), 0, "paid only at settlement");
    ledger_channel_clear(&c);

    /* what is owed keeps the deposit in escrow after the challenge period, until it is paid */
    ok(CLIENT, "ChannelClose", "{\"channel\":\"1\"}");
    advance(CHALLENGE);
    cr_assert_eq(eng_flush(e), ST_OK, "flush");
    expect_user(LEDGER_ESCROW, CLIENT, "100");
    th_expect_audit_ok(e);
}
