/* SPDX-License-Identifier: MIT */
/* engine_fixture.c: the engine test fixture (see engine_fixture.h). */
#define _XOPEN_SOURCE 700
#include "tests/lib/engine_fixture.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "enclave/platform.h"
#include "engine/genesis.h"
#include "ledger/compute.h"
#include "ledger/hash.h"
#include "ledger/amount.h"
#include "ledger/hex.h"
#include "ledger/sig.h"
#include "ledger/tx.h"
#include "ledger/stakes.h"
#include "tests/lib/testhelp.h"

static char dir[64], db_path[128];
static char *genesis;
static unsigned queued[ENG_DEV_ACCOUNTS];  /* transactions queued per signer since the last block */
static char last_err[256];

void th_on_done(void *cookie, int status, const char *errmsg, cJSON *errdata, const eng_receipt *r)
{
    th_outcome *o = cookie;
    o->calls++;
    o->status = status;
    snprintf(o->errmsg, sizeof o->errmsg, "%s", errmsg ? errmsg : "");
    free(o->errdata);
    o->errdata = errdata ? cJSON_PrintUnformatted(errdata) : NULL;
    cJSON_Delete(errdata);
    free(o->events);
    o->events = NULL;
    if (r) {
        o->success = r->success;
        o->height = r->height;
        snprintf(o->error, sizeof o->error, "%s", r->error ? r->error : "");
        o->events = strdup(r->events ? r->events : "[]");
    }
}

void th_outcome_clear(th_outcome *o)
{
    free(o->events);
    free(o->errdata);
    memset(o, 0, sizeof *o);
}

void th_dev_bytes(uint8_t addr[20], unsigned i)
{
    uint8_t key[32];
    cr_assert_lt(i, ENG_DEV_ACCOUNTS, "dev account %u", i);
    eng_dev_key(key, i);
    cr_assert_eq(ledger_sig_address(addr, key), ST_OK, "dev address %u", i);
}

const char *th_dev_text(unsigned i)
{
    static char text[ENG_DEV_ACCOUNTS][LEDGER_ADDR_STRLEN];
    uint8_t addr[20];
    th_dev_bytes(addr, i);
    ledger_addr_format(text[i], addr);
    return text[i];
}

static eng_config tuning; /* th_open_engine_tuned's limits */

static void open_at_path(eng **e)
{
    char err[256] = "";
    eng_config cfg = { .db_path = db_path, .genesis_json = genesis, .clock_mode = ENG_CLOCK_MANUAL, .dev = true,
                       .max_queue = tuning.max_queue, .max_block_txs = tuning.max_block_txs,
                       .log_limit = tuning.log_limit, .quiet_ms = tuning.quiet_ms };
    cr_assert_eq(eng_open(e, err, sizeof err, &cfg), ST_OK, "open engine: %s", err);
    memset(queued, 0, sizeof queued);
}

void th_open_engine(eng **e, const char *tag, const char *genesis_json)
{
    th_open_engine_tuned(e, tag, genesis_json, &(eng_config){ 0 });
}

void th_open_engine_tuned(eng **e, const char *tag, const char *genesis_json, const eng_config *limits)
{
    tuning = *limits;
    th_temp_dir(dir, sizeof dir, tag);
    snprintf(db_path, sizeof db_path, "%s/conclave.db", dir);
    genesis = strdup(genesis_json);
    cr_assert_not_null(genesis, "genesis copy");
    open_at_path(e);
}

void th_reopen_engine(eng **e)
{
    eng_close(*e);
    open_at_path(e);
}

void th_new_chain(eng **e, const char *genesis_json)
{
    eng_close(*e);
    static const char *const suffixes[] = { "", "-wal", "-shm" };
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        char path[160];
        snprintf(path, sizeof path, "%s%s", db_path, suffixes[i]);
        cr_assert(unlink(path) == 0 || errno == ENOENT, "remove %s", path);
    }
    free(genesis);
    genesis = strdup(genesis_json);
    cr_assert_not_null(genesis, "genesis copy");
    open_at_path(e);
}

void th_close_engine(eng *e)
{
    eng_close(e);
    free(genesis);
    genesis = NULL;
    th_rmtree(dir);
}

eng_replay_report th_replay(eng **e)
{
    eng_close(*e);
    *e = NULL;
    eng_replay_report r;
    char err[256] = "";
    cr_assert_eq(eng_replay(&r, err, sizeof err, db_path, ":memory:"), ST_OK, "replay: %s", err);
    cr_assert(r.ok, "replay matches: %s", r.detail);
    return r;
}

const char *th_dir(void)
{
    return dir;
}

const char *th_db_path(void)
{
    return db_path;
}

uint64_t th_nonce_of(eng *e, unsigned who)
{
    uint8_t addr[20];
    uint64_t n;
    th_dev_bytes(addr, who);
    cr_assert_eq(ledger_nonce_get(eng_ledger(e), addr, &n), ST_OK, "nonce");
    return n;
}

int th_submit_msg(eng *e, const uint8_t key[32], uint64_t nonce, const char *type, cJSON *msg, th_outcome *o)
{
    char nonce_text[24];
    snprintf(nonce_text, sizeof nonce_text, "%llu", (unsigned long long)nonce);
    cr_assert_not_null(cJSON_AddStringToObject(msg, "nonce", nonce_text), "nonce member");
    ledger_tx tx;
    char err[256] = "";
    cr_assert_eq(ledger_tx_build_signed(&tx, err, sizeof err, type, msg, key, eng_chain_id(e)), ST_OK, "sign %s: %s",
                 type, err);
    last_err[0] = 0;
    int rc = eng_submit(e, last_err, sizeof last_err, &tx, th_on_done, o);
    ledger_tx_clear(&tx);
    return rc;
}

static int submit_text(eng *e, const uint8_t key[32], uint64_t nonce, const char *type, th_outcome *o,
                       const char *text)
{
    cJSON *msg = cJSON_Parse(text);
    cr_assert_not_null(msg, "message JSON: %s", text);
    int rc = th_submit_msg(e, key, nonce, type, msg, o);
    cJSON_Delete(msg);
    return rc;
}

/* Signs text as dev account who with its next nonce, counting what it has queued. */
static int submit_dev(eng *e, unsigned who, const char *type, th_outcome *o, const char *text)
{
    uint8_t key[32];
    eng_dev_key(key, who);
    int rc = submit_text(e, key, th_nonce_of(e, who) + queued[who], type, o, text);
    if (rc == ST_OK)
        queued[who]++;
    return rc;
}

int th_submit_signed(eng *e, const uint8_t key[32], uint64_t nonce, const char *type, th_outcome *o, const char *fmt,
                     ...)
{
    TH_FORMAT(text, 1024, fmt);
    return submit_text(e, key, nonce, type, o, text);
}

int th_submit(eng *e, unsigned who, const char *type, th_outcome *o, const char *fmt, ...)
{
    TH_FORMAT(text, 1024, fmt);
    return submit_dev(e, who, type, o, text);
}

const char *th_last_err(void)
{
    return last_err;
}

void th_queue(eng *e, unsigned who, const char *type, th_outcome *o, const char *fmt, ...)
{
    TH_FORMAT(text, 1024, fmt);
    cr_assert_eq(submit_dev(e, who, type, o, text), ST_OK, "%s queued: %s", type, last_err);
}

void th_system_tx(eng *e, const char *type, th_outcome *o, const char *fmt, ...)
{
    TH_FORMAT(text, 1024, fmt);
    cJSON *msg = cJSON_Parse(text);
    cr_assert_not_null(msg, "system message JSON: %s", text);
    cr_assert_eq(eng_submit_system(e, type, msg, th_on_done, o), ST_OK, "%s queued", type);
    cJSON_Delete(msg);
}

void th_expect_audit_ok(eng *e)
{
    ledger_audit_report r;
    cr_assert_eq(ledger_audit(eng_ledger(e), &r), ST_OK, "audit runs");
    for (unsigned i = 0; i < r.n_checks; i++)
        cr_assert(r.checks[i].ok, "audit check %s: %s", r.checks[i].name, r.checks[i].detail);
    cr_assert(r.ok, "audit ok");
}

void th_block(eng *e)
{
    cr_assert_eq(eng_flush(e), ST_OK, "flush");
    memset(queued, 0, sizeof queued);
    th_expect_audit_ok(e);
}

void th_forget_queued(void)
{
    memset(queued, 0, sizeof queued);
}

uint64_t th_head_height(eng *e)
{
    ledger_block b;
    cr_assert_eq(ledger_block_head(eng_ledger(e), &b), ST_OK, "head");
    return b.height;
}

bool th_advance(eng *e, uint64_t secs)
{
    uint64_t now, before = th_head_height(e);
    cr_assert_eq(eng_advance_time(e, secs, &now), ST_OK, "advance the clock");
    return th_head_height(e) > before;
}

void th_expect_ok(const th_outcome *o, const char *what)
{
    cr_assert_eq(o->calls, 1, "%s answered once", what);
    cr_assert(o->status == ST_OK && o->success, "%s succeeded: %s", what, o->error);
}

void th_expect_failed(const th_outcome *o, const char *reason, const char *what)
{
    cr_assert_eq(o->calls, 1, "%s answered once", what);
    cr_assert_eq(o->status, ST_OK, "%s included in a block", what);
    cr_assert(!o->success, "%s failed", what);
    cr_assert(strstr(o->error, reason) != NULL, "%s: reason \"%s\" in \"%s\"", what, reason, o->error);
    cr_assert_str_eq(o->events, "[]", "%s: a failed receipt has no events", what);
}

void th_expect_mpz(const mpz_t v, const char *expected, const char *what)
{
    char *text = mpz_get_str(NULL, 10, v);
    cr_assert_str_eq(text, expected, "%s: %s, expected %s", what, text, expected);
    free(text);
}

void th_expect_balance(eng *e, ledger_account a, const char *expected, const char *what)
{
    mpz_t v;
    mpz_init(v);
    cr_assert_eq(ledger_balance(eng_ledger(e), &a, v), ST_OK, "balance");
    th_expect_mpz(v, expected, what);
    mpz_clear(v);
}

void th_expect_user(eng *e, int kind, unsigned who, const char *expected)
{
    uint8_t addr[20];
    th_dev_bytes(addr, who);
    char what[64];
    snprintf(what, sizeof what, "%s balance of dev %u", kind == LEDGER_FREE ? "free" : "claimable", who);
    th_expect_balance(e, ledger_user_account(kind, addr), expected, what);
}

/* Queues text as dev account who's in a block of its own and applies the block. */
static void alone_in_a_block(eng *e, unsigned who, const char *type, th_outcome *o, const char *text)
{
    cr_assert_eq(submit_dev(e, who, type, o, text), ST_OK, "%s queued: %s", type, last_err);
    th_block(e);
}

void th_expect_tx_ok(eng *e, unsigned who, const char *type, const char *fmt, ...)
{
    TH_FORMAT(text, 1024, fmt);
    th_outcome o = { 0 };
    alone_in_a_block(e, who, type, &o, text);
    th_expect_ok(&o, type);
    th_outcome_clear(&o);
}

void th_expect_tx_fails(eng *e, unsigned who, const char *type, const char *reason, const char *fmt, ...)
{
    TH_FORMAT(text, 1024, fmt);
    th_outcome o = { 0 };
    alone_in_a_block(e, who, type, &o, text);
    th_expect_failed(&o, reason, type);
    th_outcome_clear(&o);
}

/* ---- workers ---- */

/* The test platform's secret, and the measurement of the test worker runtime. */
static const uint8_t test_platform_secret[ENC_PLATFORM_SECRET_LEN] = { 0x7e, 0x57, 0x91, 0xa7, 0xf0, 0x12, 0x34, 0x56 };
static const uint8_t test_worker_measurement[32] = { 0x3e, 0xa5, 0x03, 0xe5, 0xa1, 0x2b, 0x57, 0x0c };

static secp256k1_context *worker_ctx(void)
{
    static secp256k1_context *ctx;
    if (!ctx)
        ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    cr_assert_not_null(ctx, "secp256k1 context");
    return ctx;
}

const char *th_worker_genesis(void)
{
    static char text[256];
    uint8_t platform[20];
    char addr[LEDGER_ADDR_STRLEN], m[67];
    cr_assert_eq(enc_platform_attestation_address(platform, test_platform_secret), ST_OK, "test platform address");
    ledger_addr_format(addr, platform);
    ledger_hex_encode(m, test_worker_measurement, 32);
    snprintf(text, sizeof text, "\"enclave\":{\"platform\":\"%s\",\"workerMeasurements\":[\"%s\"]}", addr, m);
    return text;
}

void th_worker_key(uint8_t key[32], unsigned i)
{
    char seed[32];
    snprintf(seed, sizeof seed, "test worker %u", i);
    ledger_sha256(key, seed, strlen(seed));
}

void th_worker_address(uint8_t addr[20], unsigned i)
{
    uint8_t key[32];
    th_worker_key(key, i);
    cr_assert_eq(ledger_sig_address(addr, key), ST_OK, "worker address %u", i);
}

const char *th_worker_text(unsigned i)
{
    static char text[8][LEDGER_ADDR_STRLEN];
    static unsigned next;
    uint8_t addr[20];
    char *out = text[next++ % 8];
    th_worker_address(addr, i);
    ledger_addr_format(out, addr);
    return out;
}

const char *th_worker_runtime_hex(void)
{
    static char hex[67];
    ledger_hex_encode(hex, test_worker_measurement, 32);
    return hex;
}

/* A level-`level` worker quote by the platform of secret, measuring measurement. */
static void quote_by(char hex[2 * 172 + 3], const uint8_t key[32], uint64_t chain_id, unsigned level,
                     const uint8_t *measurement, const uint8_t secret[32])
{
    enc_platform p;
    secp256k1_pubkey pub;
    uint8_t ser[65], quote[ENC_QUOTE_V2_LEN];
    size_t len = sizeof ser;
    enc_platform_init(&p, secret, measurement);
    p.conf_level = (uint8_t)level;
    cr_assert(secp256k1_ec_pubkey_create(worker_ctx(), &pub, key), "worker public key");
    secp256k1_ec_pubkey_serialize(worker_ctx(), ser, &len, &pub, SECP256K1_EC_UNCOMPRESSED);
    cr_assert_eq(enc_platform_quote_worker(worker_ctx(), quote, &p, ser + 1, chain_id), ST_OK, "worker quote");
    enc_platform_clear(&p);
    ledger_hex_encode(hex, quote, sizeof quote);
}

void th_worker_quote_hex(char hex[2 * 172 + 3], const uint8_t key[32], uint64_t chain_id, unsigned level,
                         const uint8_t *measurement)
{
    quote_by(hex, key, chain_id, level, measurement ? measurement : test_worker_measurement, test_platform_secret);
}

void th_worker_quote_hex_by(char hex[2 * 172 + 3], const uint8_t key[32], uint64_t chain_id, const uint8_t secret[32])
{
    quote_by(hex, key, chain_id, 1, test_worker_measurement, secret);
}

/* th_register_worker by the platform of secret. */
static void register_by(eng *e, unsigned i, unsigned op, uint32_t score, const uint8_t secret[32])
{
    uint8_t key[32], addr[20];
    char quote[2 * 172 + 3];
    uint64_t nonce = 0;
    th_outcome o = { 0 };
    th_worker_key(key, i);
    th_worker_address(addr, i);
    cr_assert_eq(ledger_nonce_get(eng_ledger(e), addr, &nonce), ST_OK, "worker nonce");
    th_worker_quote_hex_by(quote, key, eng_chain_id(e), secret);
    cr_assert_eq(th_submit_signed(e, key, nonce, "WorkerRegister", &o,
                                  "{\"quote\":\"%s\",\"operator\":\"%s\",\"iterations\":\"%llu\",\"micros\":\"1000000\"}", quote,
                                  th_dev_text(op), (unsigned long long)score * 1000u),
                 ST_OK, "WorkerRegister queued: %s", th_last_err());
    th_block(e);
    th_expect_ok(&o, "WorkerRegister");
    th_outcome_clear(&o);
}

void th_register_worker(eng *e, unsigned i, unsigned op, uint32_t score)
{
    register_by(e, i, op, score, test_platform_secret);
}

void th_register_worker_on(eng *e, unsigned i, unsigned op, uint32_t score, const char *secret_path)
{
    uint8_t secret[ENC_PLATFORM_SECRET_LEN];
    cr_assert_eq(enc_platform_secret_read(secret, secret_path), ST_OK, "read %s", secret_path);
    register_by(e, i, op, score, secret);
}
