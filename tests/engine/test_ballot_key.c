/* SPDX-License-Identifier: MIT */
/* test_ballot_key.c: a chain has one ballot key (engine/ballot_key.c, engine/settlement.c). With
 * the real conclave-enclave (A) and a copy with one byte appended (B, another measurement), both
 * allowlisted: A's key is recorded first and is the chain's; B's own key is refused by
 * EnclaveBallotKey whoever submits it; after a handover from A, B's key is the chain's and is
 * recorded. The node keeps a copy of A's program under holders/ once its key is the chain's.
 * Reaches into engine/engine_int.h for the system items and the running enclave. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "enclave/enclave.h"
#include "engine/engine_int.h"
#include "ledger/compute.h"
#include "ledger/hex.h"
#include "ledger/sig.h"
#include "tests/lib/engine_fixture.h"
#include "tests/lib/testhelp.h"

#define ENCLAVE_A TEST_BUILDDIR "/conclave-enclave"
#define CHAIN 77

static char shared[64], secret[128], sealed[128], enclave_b[160];
static uint8_t platform[20], measurement_a[32], measurement_b[32];
static eng *e;

static void setup(void)
{
    th_temp_dir(shared, sizeof shared, "ballot-key");
    th_enclave_platform(shared, secret, sealed, platform);
    snprintf(enclave_b, sizeof enclave_b, "%s/conclave-enclave-b", shared);
    size_t n;
    char *bin = th_read_file(ENCLAVE_A, &n);
    int fd = open(enclave_b, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
    cr_assert(bin && fd >= 0, "copy the enclave");
    cr_assert(write(fd, bin, n) == (ssize_t)n && write(fd, "\n", 1) == 1, "with a byte appended");
    close(fd);
    free(bin);
    cr_assert_eq(enc_measure_file(measurement_a, ENCLAVE_A), ST_OK, "measure A");
    cr_assert_eq(enc_measure_file(measurement_b, enclave_b), ST_OK, "measure B");
    char platform_hex[LEDGER_ADDR_STRLEN], a_hex[67], b_hex[67], genesis[1024];
    ledger_addr_format(platform_hex, platform);
    ledger_hex_encode(a_hex, measurement_a, 32);
    ledger_hex_encode(b_hex, measurement_b, 32);
    snprintf(genesis, sizeof genesis,
             "{\"chainId\":%d,\"time\":7200000,\"enclave\":{\"platform\":\"%s\",\"measurements\":[\"%s\",\"%s\"]}}",
             CHAIN, platform_hex, a_hex, b_hex);
    th_open_engine(&e, "ballot-key", genesis);
}

static void teardown(void)
{
    th_close_engine(e);
    th_rmtree(shared);
}

TestSuite(engine_ballot_key, .init = setup, .fini = teardown, .timeout = 120);

/* Applies one system item as a block; returns whether its receipt succeeded (its error into err). */
static bool apply_one(eng_item *it, char err[256])
{
    cr_assert_not_null(it, "an item");
    cr_assert_eq(eng_apply_block(e, it, 7300000), ST_OK, "the block applies");
    cr_assert_eq(it->status, ST_OK, "in the block: %s", it->errmsg);
    bool ok = it->success;
    snprintf(err, 256, "%s", it->error ? it->error : "");
    eng_item_free(it);
    return ok;
}

Test(engine_ballot_key, a_second_key_is_never_recorded_and_the_handover_gives_the_new_build_the_chains)
{
    uint8_t chain_key[33], holder[20], key[33], sig[65], quote[ENC_QUOTE_LEN], b_addr[20], signer[20];
    size_t quote_len = 0;
    char err[256], kept[67];
    enc_quote q;

    cr_assert_eq(ledger_chain_ballot_key(eng_ledger(e), chain_key, holder), ST_NOTFOUND, "no key before an enclave");
    cr_assert_eq(eng_enclave_configure(e, ENCLAVE_A, secret, sealed), ST_OK, "A starts");
    th_block(e);
    cr_assert_eq(ledger_chain_ballot_key(eng_ledger(e), chain_key, holder), ST_OK, "A's key is the chain's");
    cr_assert_eq(memcmp(holder, e->enclave_address, 20), 0, "held by A");
    ledger_hex_encode(kept, measurement_a, 32);
    char kept_path[400];
    snprintf(kept_path, sizeof kept_path, "%s/holders/%s", sealed, kept + 2);
    uint8_t m[32];
    cr_assert_eq(enc_measure_file(m, kept_path), ST_OK, "a copy of A is kept at %s", kept_path);
    cr_assert_eq(memcmp(m, measurement_a, 32), 0, "byte for byte");

    /* B, registered, with a key of its own: refused */
    enc_host *b = NULL;
    cr_assert_eq(enc_host_start(&b, enclave_b, secret, sealed), ST_OK, "B starts");
    cr_assert_eq(enc_host_attest(b, CHAIN, quote, &quote_len), ST_OK, "B's quote");
    cr_assert_eq(enc_quote_verify(&q, quote, quote_len, platform), ST_OK, "verifies");
    ledger_sig_pubkey_address(b_addr, q.enclave_pub);
    cr_assert(apply_one(eng_system_enclave_register(quote, quote_len), err), "B registers: %s", err);
    cr_assert_eq(enc_host_ballot_key(b, CHAIN, key, sig), ST_OK, "B's own key");
    cr_assert_neq(memcmp(key, chain_key, 33), 0, "another key");
    cr_assert_not(apply_one(eng_system_enclave_ballot_key(b_addr, key, sig), err), "B's own key is refused");
    cr_assert_str_eq(err, "the chain has another ballot key: an enclave gets it by the handover", "why");
    cr_assert_eq(ledger_enclave_ballot_key(eng_ledger(e), b_addr, key, sig), ST_NOTFOUND, "nothing recorded for B");

    /* the handover from A (the engine's running enclave) to B: B's key is then the chain's */
    char why[256] = "";
    cr_assert_eq(enc_host_ballot_handover(e->enclave, b, CHAIN, sealed, key, sig, why, sizeof why), ST_OK, "%s", why);
    cr_assert_eq(memcmp(key, chain_key, 33), 0, "B answers the chain's key");
    cr_assert_eq(ledger_ballot_key_signer(signer, CHAIN, key, sig), ST_OK, "signed");
    cr_assert_eq(memcmp(signer, b_addr, 20), 0, "by B");
    cr_assert(apply_one(eng_system_enclave_ballot_key(b_addr, key, sig), err), "recorded for B: %s", err);
    cr_assert_eq(ledger_chain_ballot_key(eng_ledger(e), key, holder), ST_OK, "the chain's key");
    cr_assert_eq(memcmp(key, chain_key, 33), 0, "is unchanged");
    cr_assert_eq(enc_host_stop(b, NULL), ST_OK, "B stops");
}
