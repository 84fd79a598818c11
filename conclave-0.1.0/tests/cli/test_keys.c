/* SPDX-License-Identifier: MIT */
/* test_keys.c: the CLI's local secrets: parsing key text, key files (mode 0600, never
 * overwritten, round trip), new keys from getrandom, and the dev node's admin cookie. Each test
 * works in its own temporary directory. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli/cli.h"
#include "ledger/hex.h"
#include "ledger/sig.h"
#include "tests/lib/testhelp.h"

#define DEV0_KEY "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
#define DEV0_ADDR "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
/* the order n of secp256k1: not a valid secret key */
#define GROUP_ORDER "0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"

static char dir[64];

static void make_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/conclave-test-keys-XXXXXX");
    cr_assert_not_null(mkdtemp(dir), "a temporary directory must be created");
}

static void remove_dir(void)
{
    th_rmtree(dir);
}

TestSuite(cli_keys, .init = make_dir, .fini = remove_dir);

/* Writes text to dir/name; returns the path (static buffer). */
static const char *put_file(const char *name, const char *text)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s must be creatable", path);
    cr_assert_eq(fputs(text, f) >= 0 && fclose(f) == 0, true, "%s must be written", path);
    return path;
}

static const char *const accepted_key_texts[] = {
    DEV0_KEY, DEV0_KEY "\n", "  " DEV0_KEY " \r\n", DEV0_KEY + 2,
    "0XAC0974BEC39A17E36BA4A6B4D238FF944BACB478CBED5EFCAE784D7BF4F2FF80\n",
};

TH_TABLE_PARAMETERS(cli_keys, parses_key_text_in_its_usual_forms, accepted_key_texts)

ParameterizedTest(int *i, cli_keys, parses_key_text_in_its_usual_forms)
{
    const char *text = accepted_key_texts[*i];
    uint8_t key[32], want[32], addr[20];
    char addr_text[LEDGER_ADDR_STRLEN];
    th_hex(want, 32, DEV0_KEY);
    cr_assert_eq(cli_key_parse(key, text, strlen(text)), ST_OK, "\"%s\" must parse as a key", text);
    cr_assert_arr_eq(key, want, 32, "\"%s\" must give dev key 0", text);
    cr_assert_eq(ledger_sig_address(addr, key), ST_OK, "the parsed key must be valid");
    ledger_addr_format(addr_text, addr);
    cr_assert_str_eq(addr_text, DEV0_ADDR, "dev key 0 must have its well-known address");
}

struct refused_key {
    const char *text;
    int rc;
};

static const struct refused_key refused_key_texts[] = {
    { "", ST_INVALID },
    { "0x", ST_INVALID },
    { "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff8", ST_INVALID },
    { DEV0_KEY "00", ST_INVALID },
    { "0xzc0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80", ST_INVALID },
    { "0xac0974bec39a17e36ba4a6b4d238ff94 bacb478cbed5efcae784d7bf4f2ff80", ST_INVALID },
    { DEV0_KEY "\n" DEV0_KEY, ST_INVALID },
    { "0x0000000000000000000000000000000000000000000000000000000000000000", ST_CRYPTO },
    { GROUP_ORDER, ST_CRYPTO },
};

TH_TABLE_PARAMETERS(cli_keys, refuses_what_is_not_a_valid_key, refused_key_texts)

ParameterizedTest(int *i, cli_keys, refuses_what_is_not_a_valid_key)
{
    const struct refused_key *c = &refused_key_texts[*i];
    uint8_t key[32], untouched[32];
    memset(key, 0xA5, sizeof key);
    memset(untouched, 0xA5, sizeof untouched);
    cr_assert_eq(cli_key_parse(key, c->text, strlen(c->text)), c->rc, "\"%s\" must give %s", c->text,
                 st_str(c->rc));
    cr_assert_arr_eq(key, untouched, 32, "a refused key text must leave the output alone");
}

Test(cli_keys, writes_a_key_file_that_reads_back_with_mode_0600)
{
    uint8_t key[32], back[32];
    char err[256] = "", path[128], text[80] = "";
    struct stat st;
    snprintf(path, sizeof path, "%s/k.key", dir);
    th_hex(key, 32, DEV0_KEY);
    cr_assert_eq(cli_key_write(err, sizeof err, path, key), ST_OK, "writing a new key file must work: %s", err);
    cr_assert_eq(stat(path, &st), 0, "the key file must exist");
    cr_assert_eq(st.st_mode & 0777, 0600, "the key file must be mode 0600, not %o", st.st_mode & 0777);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "the key file must be readable");
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    cr_assert_str_eq(text, DEV0_KEY "\n", "the key file must hold 0x-hex and a newline");
    cr_assert_eq(cli_key_read(back, err, sizeof err, path), ST_OK, "the key file must read back: %s", err);
    cr_assert_arr_eq(back, key, 32, "the key must survive the round trip");
}

Test(cli_keys, never_overwrites_an_existing_file)
{
    uint8_t key[32];
    char err[256] = "";
    const char *path = put_file("taken.key", "precious\n");
    th_hex(key, 32, DEV0_KEY);
    cr_assert_eq(cli_key_write(err, sizeof err, path, key), ST_CONFLICT, "an existing file must be refused");
    cr_assert(strstr(err, "exists") != NULL, "the reason must say the file exists: %s", err);
    size_t len = 0;
    char *text = th_read_file(path, &len);
    cr_assert_str_eq(text, "precious\n", "the existing file must be untouched");
    free(text);
}

Test(cli_keys, reports_an_uncreatable_key_file)
{
    uint8_t key[32];
    char err[256] = "", path[160];
    snprintf(path, sizeof path, "%s/no/such/dir/k.key", dir);
    th_hex(key, 32, DEV0_KEY);
    cr_assert_eq(cli_key_write(err, sizeof err, path, key), ST_IO, "a path in a missing directory must fail");
    cr_assert(strstr(err, path) != NULL, "the reason must name the path: %s", err);
}

Test(cli_keys, reports_missing_and_malformed_key_files)
{
    uint8_t key[32];
    char err[256] = "", path[128];
    snprintf(path, sizeof path, "%s/missing.key", dir);
    cr_assert_eq(cli_key_read(key, err, sizeof err, path), ST_IO, "a missing file must be ST_IO");
    cr_assert(strstr(err, path) != NULL, "the reason must name the file: %s", err);

    const char *bad = put_file("bad.key", "hello\n");
    cr_assert_eq(cli_key_read(key, err, sizeof err, bad), ST_INVALID, "garbage must be ST_INVALID");
    cr_assert(strstr(err, "not a key") != NULL, "the reason must say it is not a key: %s", err);

    char big[600];
    memset(big, '0', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    const char *huge = put_file("huge.key", big);
    cr_assert_eq(cli_key_read(key, err, sizeof err, huge), ST_INVALID, "an oversized file must be ST_INVALID");

    const char *zero = put_file("zero.key", "0x0000000000000000000000000000000000000000000000000000000000000000\n");
    cr_assert_eq(cli_key_read(key, err, sizeof err, zero), ST_CRYPTO, "the zero key must be ST_CRYPTO");
    cr_assert(strstr(err, "invalid") != NULL, "the reason must say the key is invalid: %s", err);
}

Test(cli_keys, generates_distinct_valid_keys)
{
    uint8_t a[32], b[32], addr[20];
    cr_assert_eq(cli_key_generate(a), ST_OK, "a key must be generated");
    cr_assert_eq(cli_key_generate(b), ST_OK, "a second key must be generated");
    cr_assert_eq(ledger_sig_address(addr, a), ST_OK, "a generated key must be a valid secret key");
    cr_assert_eq(ledger_sig_address(addr, b), ST_OK, "a generated key must be a valid secret key");
    cr_assert(memcmp(a, b, 32) != 0, "two generated keys must differ");
}

Test(cli_keys, wipes_buffers)
{
    uint8_t buf[48], zero[48] = { 0 };
    memset(buf, 0xFF, sizeof buf);
    cli_wipe(buf, sizeof buf);
    cr_assert_arr_eq(buf, zero, sizeof buf, "cli_wipe must zero every byte");
}

Test(cli_keys, reads_the_admin_cookie_without_its_newline)
{
    char token[CLI_COOKIE_MAX + 1], err[256] = "";
    put_file(".cookie", "  0123abcdef\n");
    cr_assert_eq(cli_cookie_read(token, err, sizeof err, dir), ST_OK, "the cookie must be read: %s", err);
    cr_assert_str_eq(token, "0123abcdef", "the token must be the cookie without surrounding space");
}

Test(cli_keys, reports_missing_empty_and_oversized_cookies)
{
    char token[CLI_COOKIE_MAX + 1], err[256] = "", big[CLI_COOKIE_MAX + 10];
    cr_assert_eq(cli_cookie_read(token, err, sizeof err, dir), ST_IO, "a missing cookie must be ST_IO");
    cr_assert(strstr(err, ".cookie") != NULL, "the reason must name the cookie file: %s", err);

    put_file(".cookie", "\n");
    cr_assert_eq(cli_cookie_read(token, err, sizeof err, dir), ST_INVALID, "an empty cookie must be ST_INVALID");

    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    put_file(".cookie", big);
    cr_assert_eq(cli_cookie_read(token, err, sizeof err, dir), ST_INVALID, "an oversized cookie must be ST_INVALID");

    put_file(".cookie", "two words\n");
    cr_assert_eq(cli_cookie_read(token, err, sizeof err, dir), ST_INVALID, "inner spaces must be refused");
}
