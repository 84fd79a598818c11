/* SPDX-License-Identifier: MIT */
/* test_compute.c: heartbeats and payment channels through the engine without a socket: a heartbeat
 * needs a registered worker, the current epoch and a new slot, and a worker key that holds nothing is
 * admitted once registered (refused before); a channel escrows its deposit, only
 * its client tops it up or closes it, and after the challenge period its deposit comes back; a
 * client-signed voucher is redeemed once by the worker, never twice, never beyond the deposit, never
 * with a forged signature. Every block is audited. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "engine/engine.h"
#include "engine/genesis.h"
#include "ledger/amount.h"
#include "ledger/compute.h"
#include "ledger/hex.h"
#include "ledger/sig.h"

#define G_TIME 2000000u
#define EPOCH 600u
#define SLOT 100u
#define CHALLENGE 50u
#define OWNER 0
#define CLIENT 1
#define WORKER 2
#define STRANGER 3
#define BARE_WORKER 4   /* a worker key the genesis gives nothing */
#define N_KEYS 5

static char dir[64], db_path[128];
static eng *e;
static uint64_t nonces[N_KEYS];

struct outcome {
    int status;
    bool success;
    char error[256];
};

static void on_done(void *cookie, int status, const char *errmsg, cJSON *errdata, const eng_receipt *r)
{
    struct outcome *o = cookie;
    o->status = status;
    cJSON_Delete(errdata);
    o->success = r && r->success;
    snprintf(o->error, sizeof o->error, "%s", r && r->error ? r->error : (errmsg ? errmsg : ""));
}

static void address_of(uint8_t addr[20], unsigned who)
{
    uint8_t key[32];
    eng_dev_key(key, who);
    cr_assert_eq(ledger_sig_address(addr, key), ST_OK, "address");
}

static const char *text_of(unsigned who)
{
    static char buf[N_KEYS][LEDGER_ADDR_STRLEN];
    uint8_t addr[20];
    address_of(addr, who);
    ledger_addr_format(buf[who], addr);
    return buf[who];
}

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/conclave-compute-XXXXXX");
    cr_assert_not_null(mkdtemp(dir), "temp dir");
    snprintf(db_path, sizeof db_path, "%s/conclave.db", dir);
    char genesis[1024];
    snprintf(genesis, sizeof genesis,
             "{\"chainId\":77,\"time\":%u,\"epochSecs\":%u,\"compute\":{\"heartbeatSecs\":%u,\"challengeSecs\":%u},"
             "\"accounts\":[{\"address\":\"%s\",\"balance\":\"1000\"},{\"address\":\"%s\",\"balance\":\"1000\"},"
             "{\"address\":\"%s\",\"balance\":\"1000\"},{\"address\":\"%s\",\"balance\":\"1000\"}],"
             "\"staking\":{\"minContribution\":\"1\"}}",
             G_TIME, EPOCH, SLOT, CHALLENGE, text_of(0), text_of(1), text_of(2), text_of(3));
    char err[256] = "";
    eng_config cfg = { .db_path = db_path, .genesis_json = genesis, .clock_mode = ENG_CLOCK_MANUAL, .dev = true };
    cr_assert_eq(eng_open(&e, err, sizeof err, &cfg), ST_OK, "open: %s", err);
    memset(nonces, 0, sizeof nonces);
}

static void teardown(void)
{
    eng_close(e);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0, "cleanup");
}

TestSuite(engine_compute, .init = setup, .fini = teardown);

static void expect_audit_ok(void)
{
    ledger_audit_report r;
    cr_assert_eq(ledger_audit(eng_ledger(e), &r), ST_OK, "audit");
    for (unsigned i = 0; i < r.n_checks; i++)
        cr_assert(r.checks[i].ok, "audit %s: %s", r.checks[i].name, r.checks[i].detail);
}

/* Signs type with the message given as JSON (nonce added) by dev account who, applies it in a block
 * of its own. Returns the submission status (ST_OK: see *o, which may say it was refused). */
static int submit_alone(unsigned who, const char *type, struct outcome *o, const char *json)
{
    char err[256] = "";
    cJSON *msg = cJSON_Parse(json);
    cr_assert_not_null(msg, "message JSON %s", json);
    char nonce[24];
    snprintf(nonce, sizeof nonce, "%llu", (unsigned long long)nonces[who]);
    cJSON_AddStringToObject(msg, "nonce", nonce);
    uint8_t key[32];
    eng_dev_key(key, who);
    ledger_tx tx;
    cr_assert_eq(ledger_tx_build_signed(&tx, err, sizeof err, type, msg, key, eng_chain_id(e)), ST_OK, "sign: %s", err);
    cJSON_Delete(msg);
    memset(o, 0, sizeof *o);
    int rc = eng_submit(e, err, sizeof err, &tx, on_done, o);
    ledger_tx_clear(&tx);
    if (rc == ST_OK)
        cr_assert_eq(eng_flush(e), ST_OK, "block");
    return rc;
}

/* As submit_alone, and the transaction must be included (as a success or a failure). */
PRINTF_LIKE(4, 5)
static int send_tx(unsigned who, const char *type, struct outcome *o, const char *fmt, ...)
{
    char json[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(json, sizeof json, fmt, ap);
    va_end(ap);
    int rc = submit_alone(who, type, o, json);
    if (rc == ST_OK) {
        cr_assert_eq(o->status, ST_OK, "%s was included: %s", type, o->error);
        nonces[who]++;
        expect_audit_ok();
    }
    return rc;
}

static void ok(unsigned who, const char *type, const char *json)
{
    struct outcome o;
    cr_assert_eq(send_tx(who, type, &o, "%s", json), ST_OK, "%s queued", type);
    cr_assert(o.success, "%s succeeded: %s", type, o.error);
}

static void failed(unsigned who, const char *type, const char *json, const char *reason)
{
    struct outcome o;
    cr_assert_eq(send_tx(who, type, &o, "%s", json), ST_OK, "%s queued", type);
    cr_assert(!o.success, "%s failed", type);
    cr_assert(strstr(o.error, reason) != NULL, "%s: '%s' mentions '%s'", type, o.error, reason);
}

static void expect_user(int kind, unsigned who, const char *expected)
{
    uint8_t addr[20];
    address_of(addr, who);
    ledger_account a = ledger_user_account(kind, addr);
    mpz_t v;
    mpz_init(v);
    cr_assert_eq(ledger_balance(eng_ledger(e), &a, v), ST_OK, "balance");
    char text[LEDGER_AMOUNT_STRLEN];
    ledger_amount_format(text, v);
    cr_assert_str_eq(text, expected, "balance of kind %d of account %u", kind, who);
    mpz_clear(v);
}

static void advance(uint64_t secs)
{
    uint64_t now;
    cr_assert_eq(eng_advance_time(e, secs, &now), ST_OK, "advance");
}

/* Pool 1 of OWNER with WORKER's key registered as its worker. */
static void register_worker(void)
{
    char json[256];
    ok(OWNER, "PoolCreate", "{\"commissionPpm\":\"0\",\"capacity\":\"1000\"}");
    snprintf(json, sizeof json, "{\"pool\":\"1\",\"worker\":\"%s\"}", text_of(WORKER));
    ok(OWNER, "WorkerAdd", json);
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

static void redeem_json(char *out, size_t len, uint64_t channel, const char *cumulative, const char *sig)
{
    snprintf(out, len, "{\"channel\":\"%llu\",\"cumulative\":\"%s\",\"voucherSig\":\"%s\"}", (unsigned long long)channel,
             cumulative, sig);
}

Test(engine_compute, heartbeats_count_slots_of_the_current_epoch_for_registered_workers)
{
    failed(WORKER, "Heartbeat", "{\"epoch\":\"0\",\"score\":\"100\"}", "not a registered worker");
    register_worker();
    ok(WORKER, "Heartbeat", "{\"epoch\":\"0\",\"score\":\"100\"}");
    failed(WORKER, "Heartbeat", "{\"epoch\":\"0\",\"score\":\"100\"}", "already recorded");
    failed(WORKER, "Heartbeat", "{\"epoch\":\"1\",\"score\":\"100\"}", "current epoch is 0");
    advance(SLOT);
    ok(WORKER, "Heartbeat", "{\"epoch\":\"0\",\"score\":\"300\"}");
    uint8_t w[20];
    address_of(w, WORKER);
    uint64_t slots, sum;
    cr_assert_eq(ledger_heartbeat_summary(eng_ledger(e), w, 0, &slots, &sum), ST_OK, "summary");
    cr_assert_eq(slots, 2, "two slots of six");
    cr_assert_eq(sum, 400, "scores summed");
    advance(EPOCH);
    failed(WORKER, "Heartbeat", "{\"epoch\":\"0\",\"score\":\"1\"}", "current epoch is 1");
    ok(WORKER, "Heartbeat", "{\"epoch\":\"1\",\"score\":\"7\"}");
    struct outcome o;
    cr_assert_eq(send_tx(WORKER, "Heartbeat", &o, "{\"epoch\":\"1\",\"score\":\"100001\"}"), ST_INVALID,
                 "a score above maxScore is refused before queuing");
}

Test(engine_compute, a_worker_key_that_holds_nothing_is_admitted_once_registered)
{
    struct outcome o;
    cr_assert_eq(submit_alone(BARE_WORKER, "Heartbeat", &o, "{\"epoch\":\"0\",\"score\":\"100\"}"), ST_OK, "queued");
    cr_assert_eq(o.status, ST_INSUFFICIENT, "unregistered and without funds: refused, not stored: %s", o.error);
    cr_assert(strstr(o.error, "holds nothing in the ledger") != NULL, "says why: %s", o.error);
    char json[256];
    ok(OWNER, "PoolCreate", "{\"commissionPpm\":\"0\",\"capacity\":\"1000\"}");
    snprintf(json, sizeof json, "{\"pool\":\"1\",\"worker\":\"%s\"}", text_of(BARE_WORKER));
    ok(OWNER, "WorkerAdd", json);
    ok(BARE_WORKER, "Heartbeat", "{\"epoch\":\"0\",\"score\":\"100\"}");
    expect_user(LEDGER_FREE, BARE_WORKER, "0");
}

Test(engine_compute, a_channel_escrows_its_deposit_and_returns_it_after_the_challenge_period)
{
    char json[256];
    snprintf(json, sizeof json, "{\"worker\":\"%s\",\"deposit\":\"300\"}", text_of(WORKER));
    failed(CLIENT, "ChannelOpen", json, "not registered");
    register_worker();
    struct outcome o;
    snprintf(json, sizeof json, "{\"worker\":\"%s\",\"deposit\":\"0\"}", text_of(WORKER));
    cr_assert_eq(send_tx(CLIENT, "ChannelOpen", &o, "%s", json), ST_INVALID, "a zero deposit is refused before queuing");
    snprintf(json, sizeof json, "{\"worker\":\"%s\",\"deposit\":\"300\"}", text_of(WORKER));
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
    expect_audit_ok();
}

Test(engine_compute, a_voucher_is_redeemed_once_by_the_worker_within_the_deposit)
{
    char json[512], sig[133], forged[133];
    register_worker();
    snprintf(json, sizeof json, "{\"worker\":\"%s\",\"deposit\":\"100\"}", text_of(WORKER));
    ok(CLIENT, "ChannelOpen", json);

    voucher(sig, CLIENT, 1, "40");
    redeem_json(json, sizeof json, 1, "40", sig);
    failed(STRANGER, "VoucherRedeem", json, "only the worker");
    ok(WORKER, "VoucherRedeem", json);
    failed(WORKER, "VoucherRedeem", json, "already redeemed");

    voucher(sig, CLIENT, 1, "30");
    redeem_json(json, sizeof json, 1, "30", sig);
    failed(WORKER, "VoucherRedeem", json, "already redeemed");

    voucher(forged, STRANGER, 1, "60");
    redeem_json(json, sizeof json, 1, "60", forged);
    failed(WORKER, "VoucherRedeem", json, "not the client's signature");
    voucher(sig, CLIENT, 1, "60");
    redeem_json(json, sizeof json, 1, "61", sig);
    failed(WORKER, "VoucherRedeem", json, "not the client's signature");
    voucher(sig, CLIENT, 2, "60");
    redeem_json(json, sizeof json, 1, "60", sig);
    failed(WORKER, "VoucherRedeem", json, "not the client's signature");

    voucher(sig, CLIENT, 1, "101");
    redeem_json(json, sizeof json, 1, "101", sig);
    failed(WORKER, "VoucherRedeem", json, "exceeds what the channel ever held");

    voucher(sig, CLIENT, 1, "100");
    redeem_json(json, sizeof json, 1, "100", sig);
    ok(WORKER, "VoucherRedeem", json);

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
    expect_audit_ok();
}
