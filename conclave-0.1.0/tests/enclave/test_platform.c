/* SPDX-License-Identifier: MIT */
/* test_platform.c: the simulated platform: the platform secret file (created once, 0600, atomic,
 * refused when too open or malformed), the seal key against an independent HKDF (Python's hmac)
 * and its dependence on secret and measurement, and measuring a file. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "enclave/platform.h"
#include "ledger/hash.h"
#include "tests/lib/testhelp.h"

/* HKDF-SHA256(ikm = 0x00..0x1f, salt = 0xaa * 32, info = "conclave-enclave-seal-v1"), by Python. */
#define SEAL_KEY "0x8b5b2b7661a4c9ebf8c8fa109b77ccc99abedce77ff126e8ef8aec4696f2badb"

static char dir[] = "/tmp/conclave-platform-XXXXXX";
static char path[sizeof dir + 32];

static void setup(void)
{
    cr_assert_not_null(mkdtemp(dir), "a temporary directory");
    snprintf(path, sizeof path, "%s/platform.secret", dir);
}

static void teardown(void)
{
    unlink(path);
    rmdir(dir);
}

TestSuite(enclave_platform, .init = setup, .fini = teardown);

static void write_file(const char *p, const void *data, size_t n, mode_t mode)
{
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, mode);
    cr_assert_geq(fd, 0, "create %s", p);
    cr_assert_eq(write(fd, data, n), (ssize_t)n, "write %s", p);
    close(fd);
    cr_assert_eq(chmod(p, mode), 0, "chmod %s", p);
}

Test(enclave_platform, creates_the_secret_once_with_mode_0600)
{
    uint8_t a[32], b[32], zero[32] = { 0 };
    struct stat st;
    cr_assert_eq(enc_platform_secret_read(a, path), ST_NOTFOUND, "no secret yet");
    cr_assert_eq(enc_platform_secret_ensure(path), ST_OK, "ensure creates it");
    cr_assert_eq(stat(path, &st), 0, "the file exists");
    cr_assert_eq(st.st_mode & 0777, 0600, "mode 0600, not %o", st.st_mode & 0777);
    cr_assert_eq(st.st_size, 32, "32 bytes");
    cr_assert_eq(enc_platform_secret_read(a, path), ST_OK, "it reads");
    cr_assert(memcmp(a, zero, 32) != 0, "it is random, not zero");
    cr_assert_eq(enc_platform_secret_ensure(path), ST_OK, "ensure again");
    cr_assert_eq(enc_platform_secret_read(b, path), ST_OK, "reads again");
    cr_assert_arr_eq(a, b, 32, "a second ensure keeps the first secret");
}

Test(enclave_platform, refuses_a_secret_others_may_read)
{
    uint8_t s[32];
    memset(s, 7, sizeof s);
    write_file(path, s, 32, 0644);
    cr_assert_eq(enc_platform_secret_read(s, path), ST_UNAUTHORIZED, "mode 0644 is refused");
    cr_assert_eq(s[0], 0, "the output is wiped on failure");
    cr_assert_eq(enc_platform_secret_ensure(path), ST_UNAUTHORIZED, "ensure refuses it too, and keeps it");
}

Test(enclave_platform, refuses_a_secret_of_the_wrong_size_or_kind)
{
    uint8_t s[33] = { 1 };
    write_file(path, s, 31, 0600);
    cr_assert_eq(enc_platform_secret_read(s, path), ST_INVALID, "31 bytes");
    write_file(path, s, 33, 0600);
    cr_assert_eq(enc_platform_secret_read(s, path), ST_INVALID, "33 bytes");
    unlink(path);
    cr_assert_eq(mkdir(path, 0700), 0, "a directory in its place");
    cr_assert_eq(enc_platform_secret_read(s, path), ST_INVALID, "a directory");
    rmdir(path);
}

Test(enclave_platform, derives_the_seal_key_by_hkdf_from_secret_and_measurement)
{
    uint8_t secret[32], meas[32], key[32], want[32], other[32];
    enc_platform p;
    for (int i = 0; i < 32; i++)
        secret[i] = (uint8_t)i;
    memset(meas, 0xaa, sizeof meas);
    enc_platform_init(&p, secret, meas);
    enc_platform_seal_key(key, &p);
    th_hex(want, 32, SEAL_KEY);
    cr_assert_arr_eq(key, want, 32, "HKDF-SHA256(secret, salt = measurement, seal label)");
    meas[0] ^= 1;
    enc_platform_init(&p, secret, meas);
    enc_platform_seal_key(other, &p);
    cr_assert(memcmp(other, key, 32) != 0, "another measurement, another seal key");
    meas[0] ^= 1;
    secret[0] ^= 1;
    enc_platform_init(&p, secret, meas);
    enc_platform_seal_key(other, &p);
    cr_assert(memcmp(other, key, 32) != 0, "another platform, another seal key");
    enc_platform_clear(&p);
    cr_assert_eq(p.secret[0] | p.measurement[0], 0, "clear wipes the platform");
}

Test(enclave_platform, measures_a_file_as_its_sha256)
{
    char file[sizeof dir + 16];
    uint8_t data[40000], got[32], want[32];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 7);
    snprintf(file, sizeof file, "%s/bin", dir);
    write_file(file, data, sizeof data, 0700);
    cr_assert_eq(enc_measure_file(got, file), ST_OK, "measures");
    ledger_sha256(want, data, sizeof data);
    cr_assert_arr_eq(got, want, 32, "sha256 of the bytes, across several reads");
    unlink(file);
    cr_assert_eq(enc_measure_file(got, file), ST_IO, "a missing file");
}

Test(enclave_platform, random_bytes_differ)
{
    uint8_t a[32], b[32];
    cr_assert_eq(enc_platform_random(a, sizeof a), ST_OK, "entropy");
    cr_assert_eq(enc_platform_random(b, sizeof b), ST_OK, "entropy again");
    cr_assert(memcmp(a, b, 32) != 0, "two draws differ");
}
