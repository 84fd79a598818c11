/* SPDX-License-Identifier: MIT */
/* test_catchup.c: however far the clock jumps, each epoch is settled on its own state, in order,
 * before later work applies. Two chains from one genesis, with the real conclave-enclave settling:
 * one advances four epochs in a single step, the other hour by hour. In between, a queued withdrawal
 * outlives its grace and forces the pool's worker to unbond at an epoch close, which changes the
 * stake that later epochs see. Both chains must settle every epoch with the same inputs and the same
 * signed report, byte for byte, and end with the same worker state. */
#define _XOPEN_SOURCE 700
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "enclave/platform.h"
#include "engine/engine.h"
#include "ledger/compute.h"
#include "ledger/hex.h"
#include "ledger/stakes.h"
#include "tests/lib/engine_fixture.h"
#include "tests/lib/testhelp.h"

#define ENCLAVE_BIN TEST_BUILDDIR "/conclave-enclave"
#define EPOCH 3600u
#define EPOCHS 4u
#define TOKEN "000000000000000000"

static char shared[64], secret[160], sealed[160];

/* The platform secret and sealed directory both chains' enclave uses, so their reports carry the
 * same signature. */
static void setup(void)
{
    th_temp_dir(shared, sizeof shared, "catchup-enclave");
    snprintf(secret, sizeof secret, "%s/platform.secret", shared);
    snprintf(sealed, sizeof sealed, "%s/sealed", shared);
    cr_assert_eq(mkdir(sealed, 0700), 0, "sealed dir");
    cr_assert_eq(enc_platform_secret_ensure(secret), ST_OK, "platform secret");
}

static void teardown(void)
{
    th_rmtree(shared);
}

TestSuite(engine_catchup, .init = setup, .fini = teardown);

/* A chain trusting this platform, the enclave build and the test worker runtime. Caller frees. */
static char *make_genesis(void)
{
    uint8_t sec[ENC_PLATFORM_SECRET_LEN], platform[20], m[32];
    char platform_hex[LEDGER_ADDR_STRLEN], m_hex[67], *text = malloc(4096);
    cr_assert_eq(enc_platform_secret_read(sec, secret), ST_OK, "read the secret");
    cr_assert_eq(enc_platform_attestation_address(platform, sec), ST_OK, "platform address");
    cr_assert_eq(enc_measure_file(m, ENCLAVE_BIN), ST_OK, "measure %s", ENCLAVE_BIN);
    ledger_addr_format(platform_hex, platform);
    ledger_hex_encode(m_hex, m, 32);
    /* the enclave quotes with this secret's platform, so the chain names it, and the workers
     * register with quotes of the same platform (th_register_worker_on) */
    cr_assert_not_null(text, "genesis buffer");
    snprintf(text, 4096,
             "{\"chainId\":77,\"time\":7200000,\"epochSecs\":%u,\"compute\":{\"heartbeatSecs\":600},"
             "\"accounts\":[{\"address\":\"%s\",\"balance\":\"100000" TOKEN "\"},{\"address\":\"%s\",\"balance\":\"100000" TOKEN "\"}],"
             "\"staking\":{\"minContribution\":\"1\",\"unbondingSecs\":5400,\"withdrawGraceSecs\":3600},"
             "\"enclave\":{\"platform\":\"%s\",\"measurements\":[\"%s\"],\"workerMeasurements\":[\"%s\"]}}",
             EPOCH, th_dev_text(0), th_dev_text(1), platform_hex, m_hex, th_worker_runtime_hex());
    return text;
}

/* One chain: two pools of one worker each; pool 1's staker asks for more than its free stake, so
 * its worker is forced to unbond once the request outlives the grace. Then the clock moves EPOCHS
 * epochs, in `steps` equal steps. */
static void run_chain(eng **e, unsigned steps)
{
    char *genesis = make_genesis();
    th_open_engine(e, "catchup", genesis);
    free(genesis);
    cr_assert_eq(eng_enclave_configure(*e, ENCLAVE_BIN, secret, sealed), ST_OK, "start the enclave");
    th_block(*e);
    for (unsigned p = 0; p < 2; p++) {
        th_expect_tx_ok(*e, p, "PoolCreate", "{\"commissionPpm\":\"100000\",\"capacity\":\"100000" TOKEN "\"}");
        th_expect_tx_ok(*e, p, "Contribute", "{\"pool\":\"%u\",\"amount\":\"3000" TOKEN "\"}", p + 1);
        th_register_worker_on(*e, p, p, 100, secret);
        th_expect_tx_ok(*e, p, "WorkerAdd", "{\"pool\":\"%u\",\"worker\":\"%s\"}", p + 1, th_worker_text(p));
        th_expect_tx_ok(*e, p, "WorkerBond", "{\"pool\":\"%u\",\"worker\":\"%s\",\"amount\":\"%s" TOKEN "\"}", p + 1,
                        th_worker_text(p), p ? "2000" : "2500");
    }
    /* dev 0 asks for 2900 of pool 1's 3000 tokens: 500 are free, the rest waits in the queue */
    th_expect_tx_ok(*e, 0, "Withdraw", "{\"pool\":\"1\",\"shares\":\"2900" TOKEN "\"}");
    for (unsigned i = 0; i < steps; i++)
        th_advance(*e, EPOCHS * EPOCH / steps);
}

/* What a chain settled and where its workers ended. */
struct outcome {
    ledger_settlement epochs[EPOCHS];
    char workers[2][512];
};

static void collect(eng *e, struct outcome *out)
{
    for (unsigned i = 0; i < EPOCHS; i++)
        cr_assert_eq(ledger_settlement_get(eng_ledger(e), i, &out->epochs[i]), ST_OK, "epoch %u is settled", i);
    for (unsigned w = 0; w < 2; w++) {
        uint8_t addr[20];
        ledger_worker lw;
        char *bonded, *value;
        th_worker_address(addr, w);
        ledger_worker_init(&lw);
        cr_assert_eq(ledger_worker_get(eng_ledger(e), addr, &lw), ST_OK, "worker %u", w);
        bonded = mpz_get_str(NULL, 10, lw.bonded);
        value = mpz_get_str(NULL, 10, lw.value);
        snprintf(out->workers[w], sizeof out->workers[w], "pool %llu bonded %s value %s started %d",
                 (unsigned long long)lw.pool, bonded, value, lw.started);
        free(bonded);
        free(value);
        ledger_worker_clear(&lw);
    }
}

Test(engine_catchup, one_long_advance_settles_like_many_short_ones)
{
    eng *e;
    struct outcome once, hourly;
    run_chain(&e, 1);
    collect(e, &once);
    th_close_engine(e);
    run_chain(&e, EPOCHS * 6);
    collect(e, &hourly);
    th_close_engine(e);
    for (unsigned i = 0; i < EPOCHS; i++) {
        cr_assert_eq(once.epochs[i].inputs_len, hourly.epochs[i].inputs_len, "epoch %u: inputs of one length", i);
        cr_assert_arr_eq(once.epochs[i].inputs, hourly.epochs[i].inputs, once.epochs[i].inputs_len,
                         "epoch %u: the same inputs", i);
        cr_assert_eq(once.epochs[i].report_len, hourly.epochs[i].report_len, "epoch %u: reports of one length", i);
        cr_assert_arr_eq(once.epochs[i].report, hourly.epochs[i].report, once.epochs[i].report_len,
                         "epoch %u: the same report", i);
    }
    /* the forced unbond happened in between, so later epochs saw less stake than the first */
    cr_assert(strstr(once.workers[0], "bonded 2500" TOKEN " ") == NULL, "worker 0 was forced to unbond: %s", once.workers[0]);
    for (unsigned w = 0; w < 2; w++)
        cr_assert_str_eq(once.workers[w], hourly.workers[w], "worker %u ends the same", w);
    for (unsigned i = 0; i < EPOCHS; i++) {
        ledger_settlement_clear(&once.epochs[i]);
        ledger_settlement_clear(&hourly.epochs[i]);
    }
}
