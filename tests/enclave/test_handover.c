/* SPDX-License-Identifier: MIT */
/* test_handover.c: the ballot key's handover from one enclave build to the next, with real
 * conclave-enclave processes: the built binary is the old build, a copy with one byte appended (same
 * code, another measurement) the new one. After the handover the new enclave answers the old ballot
 * key, signed by its own identity, counts ballots sealed to it before the upgrade, and keeps it after
 * a restart (the host wrote the sealed file). Refused: a quote of another platform or chain, the old
 * enclave's own measurement, a blob changed in any part, a blob for another enclave; a refusal
 * leaves every key as it was. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "enclave/enclave.h"
#include "governance/poll.h"
#include "ledger/ballot_box.h"
#include "ledger/sig.h"
#include "tests/lib/testhelp.h"

#define BIN TEST_BUILDDIR "/conclave-enclave"
#define CHAIN 31337

static char dir[] = "/tmp/conclave-handover-XXXXXX";
static char secret_path[128], sealed_dir[128], new_bin[256], other_bin[256];
static uint8_t platform_addr[20];

static void setup(void)
{
    cr_assert_not_null(mkdtemp(dir), "a temporary directory");
    th_enclave_platform(dir, secret_path, sealed_dir, platform_addr);
    snprintf(new_bin, sizeof new_bin, "%s/conclave-enclave-new", dir);
    snprintf(other_bin, sizeof other_bin, "%s/conclave-enclave-other", dir);
    th_enclave_changed_copy(new_bin, "\n");
    th_enclave_changed_copy(other_bin, "\n\n");
}

static void teardown(void)
{
    th_rmtree(dir);
}

TestSuite(enclave_handover, .init = setup, .fini = teardown, .timeout = 240);

static void quote_of(uint8_t quote[ENC_QUOTE_LEN], enc_quote *q, enc_host *h, uint64_t chain_id)
{
    size_t len = 0;
    cr_assert_eq(enc_host_attest(h, chain_id, quote, &len), ST_OK, "a quote");
    cr_assert_eq(enc_quote_verify(q, quote, len, platform_addr), ST_OK, "that verifies");
}

/* The enclave's ballot key, checked to be signed by its quoted identity. */
static void key_of(uint8_t key[33], enc_host *h)
{
    uint8_t sig[65], signer[20], addr[20], quote[ENC_QUOTE_LEN];
    enc_quote q;
    quote_of(quote, &q, h, CHAIN);
    cr_assert_eq(enc_host_ballot_key(h, CHAIN, key, sig), ST_OK, "a ballot key");
    cr_assert_eq(ledger_ballot_key_signer(signer, CHAIN, key, sig), ST_OK, "signed");
    ledger_sig_pubkey_address(addr, q.enclave_pub);
    cr_assert_arr_eq(signer, addr, 20, "by the enclave's own identity");
}

/* Counts one single-choice ballot per text (voters 1, 2, ...; weight 1) sealed to key on h. */
static void count_on(enc_count_report *r, enc_host *h, const uint8_t key[33], const char *const *texts, size_t n)
{
    secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    enc_count_header hd = { .chain_id = CHAIN, .proposal = 5, .system = GOV_POLL_SINGLE_CHOICE, .n_choices = 2,
                            .n_ballots = (uint32_t)n };
    uint8_t cts[8][LEDGER_BALLOT_MAX_LEN], weight[32] = { [31] = 1 };
    size_t lens[8];
    ledger_ballots_hash hash;
    const uint8_t *rep;
    const char *why = "";
    char err[256];
    size_t rep_len;

    ledger_ballots_hash_init(&hash);
    for (size_t i = 0; i < n; i++) {
        uint8_t voter[20], eph[32], iv[12];
        memset(voter, (int)i + 1, 20);
        memset(eph, (int)i + 0x21, 32);
        memset(iv, (int)i, 12);
        cr_assert_eq(ledger_ballot_seal(ctx, cts[i], sizeof cts[i], &lens[i], key, CHAIN, 5, voter, texts[i],
                                        strlen(texts[i]), eph, iv), ST_OK, "seal");
        ledger_ballots_hash_add(&hash, voter, weight, cts[i], lens[i]);
    }
    ledger_ballots_hash_final(&hash, hd.ballots_hash);
    enc_count_job *j = enc_count_job_new(&hd);
    for (size_t i = 0; i < n; i++) {
        uint8_t voter[20];
        memset(voter, (int)i + 1, 20);
        cr_assert_eq(enc_count_job_add(j, voter, weight, cts[i], lens[i]), ST_OK, "add");
    }
    cr_assert_eq(enc_host_count(h, j, err, sizeof err, 10000), ST_OK, "counted: %s", err);
    rep = enc_count_job_report(j, &rep_len);
    cr_assert_eq(enc_count_report_parse(r, &why, rep, rep_len), ST_OK, "the report parses: %s", why);
    enc_count_job_free(j);
    secp256k1_context_destroy(ctx);
}

Test(enclave_handover, the_new_build_counts_ballots_sealed_to_the_old_key)
{
    static const char *const texts[] = { "1", "2", "2" };
    uint8_t old_key[33], new_key[33], got_key[33], sig[65], signer[20], addr[20], quote[ENC_QUOTE_LEN];
    enc_count_report r;
    enc_quote q;
    char why[256];
    enc_host *old = th_enclave_start(BIN, secret_path, sealed_dir), *nu = th_enclave_start(new_bin, secret_path, sealed_dir);

    key_of(old_key, old);
    key_of(new_key, nu);
    cr_assert(memcmp(old_key, new_key, 33) != 0, "the new build starts with a key of its own");
    count_on(&r, nu, old_key, texts, 3);
    cr_assert(r.valid == 0 && r.invalid == 3, "before the handover it cannot open the old key's ballots");

    int rc = enc_host_ballot_handover(old, nu, CHAIN, sealed_dir, got_key, sig, why, sizeof why);
    cr_assert_eq(rc, ST_OK, "the handover: %s (%s)", st_str(rc), why);
    cr_assert_arr_eq(got_key, old_key, 33, "the new enclave answers the old ballot key");
    quote_of(quote, &q, nu, CHAIN);
    ledger_sig_pubkey_address(addr, q.enclave_pub);
    cr_assert_eq(ledger_ballot_key_signer(signer, CHAIN, got_key, sig), ST_OK, "signed");
    cr_assert_arr_eq(signer, addr, 20, "by the new identity");
    key_of(new_key, nu);
    cr_assert_arr_eq(new_key, old_key, 33, "BALLOT_KEY_REQ gives it too");
    count_on(&r, nu, old_key, texts, 3);
    cr_assert(r.valid == 3 && r.invalid == 0, "the new build opens every ballot");
    cr_assert(r.scores[0][31] == 1 && r.scores[1][31] == 2, "and counts them: 1 and 2");
    cr_assert_arr_eq(r.measurement, q.measurement, 32, "the report names the new measurement");
    th_enclave_stop_cleanly(nu);
    th_enclave_stop_cleanly(old);

    nu = th_enclave_start(new_bin, secret_path, sealed_dir);
    key_of(new_key, nu);
    cr_assert_arr_eq(new_key, old_key, 33, "after a restart the new build unseals the handed-over key");
    count_on(&r, nu, old_key, texts, 3);
    cr_assert_eq(r.valid, 3, "and counts with it");
    th_enclave_stop_cleanly(nu);
}

/* Asks old to export for the quote and expects ERROR beginning want. */
static void expect_export_refused(enc_host *old, uint64_t chain_id, const uint8_t *quote, size_t len, const char *want)
{
    uint8_t blob[ENC_HANDOVER_LEN];
    char why[256];
    int rc = enc_host_ballot_export(old, chain_id, quote, len, blob, why, sizeof why);
    cr_assert_eq(rc, ST_INVALID, "refused: %s", st_str(rc));
    cr_assert(strstr(why, want) != NULL, "'%s' says '%s'", why, want);
}

Test(enclave_handover, export_refuses_other_platforms_chains_and_itself)
{
    char other_dir[256], other_secret[128], other_sealed[128];
    uint8_t other_addr[20], quote[ENC_QUOTE_LEN], key[33], before[33];
    enc_quote q;
    enc_host *old = th_enclave_start(BIN, secret_path, sealed_dir), *nu = th_enclave_start(new_bin, secret_path, sealed_dir);

    key_of(before, old);
    snprintf(other_dir, sizeof other_dir, "%s/other-platform", dir);
    cr_assert_eq(mkdir(other_dir, 0700), 0, "a second platform's directory");
    th_enclave_platform(other_dir, other_secret, other_sealed, other_addr);
    enc_host *foreign = th_enclave_start(new_bin, other_secret, other_sealed); /* an enclave on another platform */
    size_t qlen = 0;
    cr_assert_eq(enc_host_attest(foreign, CHAIN, quote, &qlen), ST_OK, "the foreign enclave's quote");
    cr_assert_eq(enc_quote_verify(&q, quote, qlen, other_addr), ST_OK, "which verifies against its own platform");
    th_enclave_stop_cleanly(foreign);
    expect_export_refused(old, CHAIN, quote, sizeof quote, "not an enclave quote of this platform");

    quote_of(quote, &q, nu, 1);
    expect_export_refused(old, CHAIN, quote, sizeof quote, "for another chain");
    quote_of(quote, &q, old, CHAIN);
    expect_export_refused(old, CHAIN, quote, sizeof quote, "this enclave's measurement");
    quote_of(quote, &q, nu, CHAIN);
    expect_export_refused(old, CHAIN, quote, sizeof quote - 1, "not an enclave quote of this platform");
    quote[20] ^= 1;
    expect_export_refused(old, CHAIN, quote, sizeof quote, "not an enclave quote of this platform");
    key_of(key, old);
    cr_assert_arr_eq(key, before, 33, "the old enclave's key is unchanged");
    th_enclave_stop_cleanly(nu);
    th_enclave_stop_cleanly(old);
}

Test(enclave_handover, import_refuses_any_changed_byte_and_other_enclaves_blobs)
{
    uint8_t quote[ENC_QUOTE_LEN], blob[ENC_HANDOVER_LEN], key[33], sig[65], new_before[33], other_before[33];
    enc_quote q;
    char why[256];
    enc_host *old = th_enclave_start(BIN, secret_path, sealed_dir), *nu = th_enclave_start(new_bin, secret_path, sealed_dir);
    enc_host *other = th_enclave_start(other_bin, secret_path, sealed_dir);

    key_of(new_before, nu);
    key_of(other_before, other);
    quote_of(quote, &q, nu, CHAIN);
    cr_assert_eq(enc_host_ballot_export(old, CHAIN, quote, sizeof quote, blob, why, sizeof why), ST_OK, "exported: %s",
                 why);

    cr_assert_eq(enc_host_ballot_import(other, blob, sizeof blob, sealed_dir, key, sig, why, sizeof why), ST_INVALID,
                 "another enclave refuses a blob made for the new one");
    cr_assert(strstr(why, "for another enclave") != NULL, "saying so: %s", why);
    cr_assert_eq(enc_host_ballot_import(nu, blob, sizeof blob - 1, sealed_dir, key, sig, why, sizeof why),
                 ST_INVALID, "a blob one byte short is refused");
    for (size_t i = 0; i < ENC_HANDOVER_LEN; i += (i < 20 || i > 440) ? 1 : 7) {
        blob[i] ^= 0x01;
        int rc = enc_host_ballot_import(nu, blob, sizeof blob, sealed_dir, key, sig, why, sizeof why);
        cr_assert_eq(rc, ST_INVALID, "byte %zu changed: refused (%s)", i, st_str(rc));
        blob[i] ^= 0x01;
    }
    key_of(key, nu);
    cr_assert_arr_eq(key, new_before, 33, "the new enclave's key is unchanged after the refusals");
    key_of(key, other);
    cr_assert_arr_eq(key, other_before, 33, "the other enclave's too");

    cr_assert_eq(enc_host_ballot_import(nu, blob, sizeof blob, sealed_dir, key, sig, why, sizeof why), ST_OK,
                 "the untouched blob is accepted: %s", why);
    cr_assert(memcmp(key, new_before, 33) != 0, "and replaces the new enclave's own key");
    th_enclave_stop_cleanly(other);
    th_enclave_stop_cleanly(nu);
    th_enclave_stop_cleanly(old);
}
