/* SPDX-License-Identifier: MIT */
/* test_ballot_key.c: the real conclave-enclave's ballot key (docs/SECRET_BALLOTS.md): BALLOT_KEY_REQ
 * answers a compressed key signed by the identity of the enclave's quote for the chain asked; the key
 * is sealed beside the identity (ballot-<measurement>.sealed, mode 0600) and the same after a
 * restart; another binary has another; a tampered sealed file stops the start; a malformed request
 * gets ERROR and the enclave answers on. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "enclave/enclave.h"
#include "enclave/seal.h"
#include "ledger/ballot_box.h"
#include "ledger/sig.h"
#include "tests/lib/testhelp.h"

#define BIN TEST_BUILDDIR "/conclave-enclave"

static char dir[] = "/tmp/conclave-ballotkey-XXXXXX";
static char secret_path[128], sealed_dir[128];
static uint8_t platform_addr[20];

static void setup(void)
{
    cr_assert_not_null(mkdtemp(dir), "a temporary directory");
    th_enclave_platform(dir, secret_path, sealed_dir, platform_addr);
}

static void teardown(void)
{
    th_rmtree(dir);
}

TestSuite(enclave_ballot_key, .init = setup, .fini = teardown, .timeout = 120);

static enc_host *start(const char *bin)
{
    return th_enclave_start(bin, secret_path, sealed_dir);
}

/* Asks for the ballot key for chain_id and checks it is signed by the quoted identity. */
static void ballot_key(uint8_t key[33], enc_host *h, uint64_t chain_id)
{
    uint8_t sig[65], signer[20], addr[20];
    th_enclave_quoted(h, chain_id, platform_addr, addr, NULL);
    cr_assert_eq(enc_host_ballot_key(h, chain_id, key, sig), ST_OK, "the enclave answers BALLOT_KEY_REQ");
    cr_assert(key[0] == 2 || key[0] == 3, "a compressed key");
    cr_assert_eq(ledger_ballot_key_signer(signer, chain_id, key, sig), ST_OK, "its signature recovers");
    cr_assert_arr_eq(signer, addr, 20, "to the address of the quoted identity");
}

static void ballot_file(char *out, size_t cap, const uint8_t measurement[32])
{
    int n = snprintf(out, cap, "%s/ballot-", sealed_dir);
    for (int i = 0; i < 8; i++)
        n += snprintf(out + n, cap - (size_t)n, "%02x", measurement[i]);
    snprintf(out + n, cap - (size_t)n, ".sealed");
}

Test(enclave_ballot_key, is_signed_by_the_quoted_identity_for_each_chain)
{
    enc_host *h = start(BIN);
    uint8_t k1[33], k2[33];
    ballot_key(k1, h, 31337);
    ballot_key(k2, h, 1);
    cr_assert_arr_eq(k1, k2, 33, "one ballot key whatever the chain");
    th_enclave_stop_cleanly(h);
}

Test(enclave_ballot_key, is_sealed_and_the_same_after_a_restart)
{
    uint8_t k1[33], k2[33], addr[20], meas[32];
    char path[256];
    struct stat st;
    enc_host *h = start(BIN);

    ballot_key(k1, h, 31337);
    th_enclave_quoted(h, 31337, platform_addr, addr, meas);
    th_enclave_stop_cleanly(h);
    ballot_file(path, sizeof path, meas);
    cr_assert_eq(stat(path, &st), 0, "the ballot key is sealed at %s", path);
    cr_assert_eq(st.st_mode & 0777, 0600, "mode 0600");
    cr_assert_eq(st.st_size, ENC_SEAL_FILE_LEN, "a sealed 32-byte secret");
    h = start(BIN);
    ballot_key(k2, h, 31337);
    th_enclave_stop_cleanly(h);
    cr_assert_arr_eq(k1, k2, 33, "the restarted enclave unsealed the same ballot key");
}

Test(enclave_ballot_key, another_binary_has_another_key)
{
    uint8_t k1[33], k2[33];
    char copy[256];
    size_t n;
    enc_host *h = start(BIN);
    ballot_key(k1, h, 31337);
    th_enclave_stop_cleanly(h);

    snprintf(copy, sizeof copy, "%s/conclave-enclave-changed", dir);
    char *bin = th_read_file(BIN, &n);
    int fd = open(copy, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
    cr_assert(bin && fd >= 0, "copy the binary");
    bin[n] = '\n';
    cr_assert_eq(write(fd, bin, n + 1), (ssize_t)(n + 1), "write the copy with one byte more");
    close(fd);
    free(bin);
    h = start(copy);
    ballot_key(k2, h, 31337);
    th_enclave_stop_cleanly(h);
    cr_assert(memcmp(k1, k2, 33) != 0, "another measurement, another ballot key");
}

Test(enclave_ballot_key, a_tampered_sealed_file_stops_the_start)
{
    uint8_t k[33], addr[20], meas[32], byte;
    char path[256];
    enc_host *h = start(BIN);
    ballot_key(k, h, 31337);
    th_enclave_quoted(h, 31337, platform_addr, addr, meas);
    th_enclave_stop_cleanly(h);

    ballot_file(path, sizeof path, meas);
    int fd = open(path, O_RDWR);
    cr_assert_geq(fd, 0, "open %s", path);
    cr_assert_eq(pread(fd, &byte, 1, 30), 1, "read a byte of the sealed ballot key");
    byte ^= 1;
    cr_assert_eq(pwrite(fd, &byte, 1, 30), 1, "flip it");
    close(fd);
    h = NULL;
    int rc = enc_host_start(&h, BIN, secret_path, sealed_dir);
    cr_assert_eq(rc, ST_CRYPTO, "the enclave does not start on a ballot key that does not open: %s", st_str(rc));
    cr_assert_null(h, "no handle");
}

Test(enclave_ballot_key, a_malformed_request_gets_an_error_and_the_enclave_answers_on)
{
    enc_host *h = start(BIN);
    uint8_t type, *resp = NULL, k[33];
    size_t len;
    static const uint8_t seven[7];
    cr_assert_eq(enc_host_call(h, ENC_MSG_BALLOT_KEY_REQ, seven, sizeof seven, &type, &resp, &len, 5000), ST_OK,
                 "an answer");
    cr_assert_eq(type, ENC_MSG_ERROR, "ERROR for a 7-byte payload");
    cr_assert_str_eq((char *)resp, "BALLOT_KEY_REQ: the payload must be an 8-byte chainId", "saying why");
    enc_host_resp_free(resp);
    ballot_key(k, h, 31337);
    th_enclave_stop_cleanly(h);
}
