/* SPDX-License-Identifier: MIT */
/* test_holders.c: the host's kept copies of the builds that hold the chain's ballot key
 * (enclave/holders.c): a copy named by its measurement, byte for byte and executable; kept once;
 * never under a measurement its bytes are not of; and the listing, which passes over any file not
 * named as a copy is (a leftover temporary file, upper-case digits) and stops where asked. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "enclave/enclave.h"
#include "ledger/hex.h"
#include "tests/lib/testhelp.h"

static char dir[64], program[128], holders[128];
static uint8_t measurement[32];

/* Writes text to path. */
static void write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    cr_assert(fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text), "write %s", path);
    close(fd);
}

static void setup(void)
{
    th_temp_dir(dir, sizeof dir, "holders");
    snprintf(program, sizeof program, "%s/program", dir);
    snprintf(holders, sizeof holders, "%s/holders", dir);
    write_file(program, "an enclave build");
    cr_assert_eq(enc_measure_file(measurement, program), ST_OK, "measure it");
}

static void teardown(void)
{
    th_rmtree(dir);
}

TestSuite(enclave_holders, .init = setup, .fini = teardown);

/* The path a copy of measurement m has. */
static void copy_path(char path[256], const uint8_t m[32])
{
    char hex[67];
    ledger_hex_encode(hex, m, 32);
    snprintf(path, 256, "%s/%s", holders, hex + 2);
}

/* enc_holder_each's callback: counts the copies into ctx, checks each is named by its measurement,
 * and stops at the second when asked (ctx[1]). */
static int count_copies(void *ctx, const char *path, const uint8_t m[32])
{
    unsigned *seen = ctx;
    char want[256];
    copy_path(want, m);
    cr_assert_str_eq(path, want, "the path is the copy's name");
    seen[0]++;
    return seen[1] && seen[0] == 2 ? ST_OK : ST_NOTFOUND;
}

Test(enclave_holders, a_copy_is_kept_once_by_its_measurement_and_listed)
{
    char path[256];
    struct stat st;
    unsigned seen[2] = { 0, 0 };
    cr_assert_eq(enc_holder_each(holders, count_copies, seen), ST_NOTFOUND, "no directory: none");
    cr_assert_eq(enc_holder_keep(holders, program, measurement), ST_OK, "kept");
    copy_path(path, measurement);
    uint8_t m[32];
    cr_assert_eq(enc_measure_file(m, path), ST_OK, "the copy is there");
    cr_assert_arr_eq(m, measurement, 32, "byte for byte");
    cr_assert(stat(path, &st) == 0 && (st.st_mode & 0777) == 0700, "executable by its owner only");
    cr_assert_eq(enc_holder_keep(holders, program, measurement), ST_OK, "kept again: nothing to do");

    /* a second build, a leftover temporary file and a name in upper case */
    char other[128], stray[300];
    snprintf(other, sizeof other, "%s/other", dir);
    write_file(other, "another enclave build");
    uint8_t m2[32];
    cr_assert_eq(enc_measure_file(m2, other), ST_OK, "measure it");
    cr_assert_eq(enc_holder_keep(holders, other, m2), ST_OK, "kept");
    snprintf(stray, sizeof stray, "%s.Ab12Cd", path);
    write_file(stray, "half a copy");
    char upper[256];
    copy_path(upper, m2);
    for (char *c = upper + strlen(holders) + 1; *c; c++)
        if (*c >= 'a' && *c <= 'f')
            *c = (char)(*c - 'a' + 'A');
    write_file(upper, "not a name this module writes");
    cr_assert_eq(enc_holder_each(holders, count_copies, seen), ST_NOTFOUND, "each copy, none stopping");
    cr_assert_eq(seen[0], 2, "the two copies only");
    seen[0] = 0;
    seen[1] = 1;
    cr_assert_eq(enc_holder_each(holders, count_copies, seen), ST_OK, "stopped by the callback");
    cr_assert_eq(seen[0], 2, "at the second");
}

Test(enclave_holders, a_program_that_is_not_of_the_measurement_is_not_kept)
{
    uint8_t wrong[32];
    memcpy(wrong, measurement, 32);
    wrong[0] ^= 1;
    cr_assert_eq(enc_holder_keep(holders, program, wrong), ST_INVALID, "refused");
    char path[256];
    copy_path(path, wrong);
    cr_assert_neq(access(path, F_OK), 0, "no copy under that name");
    unsigned seen[2] = { 0, 0 };
    cr_assert_eq(enc_holder_each(holders, count_copies, seen), ST_NOTFOUND, "nothing listed");
    cr_assert_eq(seen[0], 0, "no file left behind");
    char missing[160];
    snprintf(missing, sizeof missing, "%s/missing", dir);
    cr_assert_eq(enc_holder_keep(holders, missing, measurement), ST_IO, "a program that cannot be read");
}
