/* SPDX-License-Identifier: MIT */
/* testhelp.c: helpers shared by the test suites (see testhelp.h). */
#define _XOPEN_SOURCE 700
#include "tests/lib/testhelp.h"

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "enclave/enclave.h"
#include "enclave/quote.h"
#include "ledger/hash.h"
#include "ledger/hex.h"
#include "ledger/ledger.h"
#include "ledger/sig.h"

static char ledger_dir[64], ledger_path[128];

void th_temp_dir(char *dir, size_t dirlen, const char *tag)
{
    int n = snprintf(dir, dirlen, "/tmp/conclave-%s-XXXXXX", tag);
    cr_assert(n > 0 && (size_t)n < dirlen, "temp dir name for %s fits", tag);
    cr_assert_not_null(mkdtemp(dir), "temp dir %s", dir);
}

static int remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void th_rmtree(const char *path)
{
    cr_assert_eq(nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS), 0, "remove %s", path);
}

void th_open_ledger(ledger **l, const char *tag)
{
    char err[256] = "";
    th_temp_dir(ledger_dir, sizeof ledger_dir, tag);
    snprintf(ledger_path, sizeof ledger_path, "%s/ledger.db", ledger_dir);
    cr_assert_eq(ledger_open(l, err, sizeof err, ledger_path), ST_OK, "open: %s", err);
}

void th_close_ledger(ledger *l)
{
    ledger_close(l);
    th_rmtree(ledger_dir);
}

const char *th_ledger_path(void)
{
    return ledger_path;
}

void th_enclave_platform(const char *dir, char secret_path[128], char sealed_dir[128], uint8_t platform_addr[20])
{
    uint8_t secret[ENC_PLATFORM_SECRET_LEN];
    snprintf(secret_path, 128, "%s/platform.secret", dir);
    snprintf(sealed_dir, 128, "%s/sealed", dir);
    cr_assert_eq(mkdir(sealed_dir, 0700), 0, "the sealed directory");
    cr_assert_eq(enc_platform_secret_ensure(secret_path), ST_OK, "the host provisions the platform secret");
    cr_assert_eq(enc_platform_secret_read(secret, secret_path), ST_OK, "reads it");
    cr_assert_eq(enc_platform_attestation_address(platform_addr, secret), ST_OK, "the verifier's pinned address");
}

enc_host *th_enclave_start(const char *bin, const char *secret_path, const char *sealed_dir)
{
    enc_host *h = NULL;
    int rc = enc_host_start(&h, bin, secret_path, sealed_dir);
    cr_assert_eq(rc, ST_OK, "%s starts: %s", bin, st_str(rc));
    return h;
}

void th_enclave_stop_cleanly(enc_host *h)
{
    int ws = 0;
    cr_assert_eq(enc_host_stop(h, &ws), ST_OK, "the enclave stops by itself when its socket closes");
    cr_assert(WIFEXITED(ws) && WEXITSTATUS(ws) == 0, "with exit status 0, never killed (status 0x%x)", ws);
}

void th_enclave_quoted(enc_host *h, uint64_t chain_id, const uint8_t platform_addr[20], uint8_t addr[20],
                       uint8_t *measurement)
{
    uint8_t quote[ENC_QUOTE_LEN];
    size_t len = 0;
    enc_quote q;
    cr_assert_eq(enc_host_attest(h, chain_id, quote, &len), ST_OK, "the enclave gives a quote");
    cr_assert_eq(enc_quote_verify(&q, quote, len, platform_addr), ST_OK, "that verifies against the platform");
    ledger_sig_pubkey_address(addr, q.enclave_pub);
    if (measurement)
        memcpy(measurement, q.measurement, 32);
}

void th_enclave_changed_copy(const char *path, const char *extra)
{
    size_t n = 0;
    char *bin = th_read_file(TH_ENCLAVE_BIN, &n);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
    cr_assert(bin && fd >= 0, "copy %s to %s", TH_ENCLAVE_BIN, path);
    cr_assert_eq(write(fd, bin, n), (ssize_t)n, "write the copy");
    cr_assert_eq(write(fd, extra, strlen(extra)), (ssize_t)strlen(extra), "append to it");
    cr_assert_eq(close(fd), 0, "close the copy");
    free(bin);
}

char *th_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n < cap)
            break;
        cap *= 2;
        char *grown = realloc(buf, cap + 1);
        if (!grown) {
            free(buf);
            buf = NULL;
        }
        buf = grown;
    }
    fclose(f);
    if (!buf)
        return NULL;
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

const cJSON *th_vectors(void)
{
    static cJSON *vectors;
    if (!vectors) {
        char *text = th_read_file(TEST_SRCDIR "/tests/vectors/eip712.json", NULL);
        if (!text) {
            fprintf(stderr, "cannot read %s/tests/vectors/eip712.json\n", TEST_SRCDIR);
            abort();
        }
        vectors = cJSON_Parse(text);
        free(text);
        if (!vectors)
            abort();
    }
    return vectors;
}

static int nibble(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

void th_hex(uint8_t *out, size_t n, const char *hex)
{
    if (strncmp(hex, "0x", 2) != 0 || strlen(hex) != 2 + 2 * n)
        abort();
    for (size_t i = 0; i < n; i++) {
        int hi = nibble(hex[2 + 2 * i]), lo = nibble(hex[3 + 2 * i]);
        if (hi < 0 || lo < 0)
            abort();
        out[i] = (uint8_t)(hi << 4 | lo);
    }
}

static void free_indices(struct criterion_test_params *crp)
{
    cr_free(crp->params);
}

struct criterion_test_params th_indices(size_t n)
{
    int *idx = cr_malloc(n * sizeof *idx);
    for (size_t i = 0; i < n; i++)
        idx[i] = (int)i;
    return cr_make_param_array(int, idx, n, free_indices);
}

const cJSON *th_get(const cJSON *o, const char *key)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    cr_assert_not_null(it, "vector member %s exists", key);
    return it;
}

const char *th_str(const cJSON *o, const char *key)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    cr_assert(cJSON_IsString(it), "member %s is a string in %s", key, cJSON_PrintUnformatted(o));
    return it->valuestring;
}

void th_assert_addr(const uint8_t addr[20], const char *want, const char *what)
{
    char s[LEDGER_ADDR_STRLEN];
    ledger_addr_format(s, addr);
    cr_assert_str_eq(s, want, "%s", what);
}

void th_append_foreign_tick(const char *db_path)
{
    static char body[] = "{\"type\":\"Tick\",\"message\":{}}";
    ledger *l = NULL;
    char err[256] = "";
    cr_assert_eq(ledger_open(&l, err, sizeof err, db_path), ST_OK, "open: %s", err);
    ledger_block head;
    cr_assert_eq(ledger_block_head(l, &head), ST_OK, "head");
    ledger_block b = { .height = head.height + 1, .time = head.time, .tx_count = 1 };
    memcpy(b.parent, head.hash, 32);
    /* a system transaction's id, as the engine makes it: keccak256(height u64be || index u32be || body) */
    uint8_t pos[12] = { 0 }, hash[32];
    for (int i = 0; i < 8; i++)
        pos[i] = (uint8_t)(b.height >> (56 - 8 * i));
    ledger_keccak k;
    ledger_keccak_init(&k);
    ledger_keccak_update(&k, pos, sizeof pos);
    ledger_keccak_update(&k, body, strlen(body));
    ledger_keccak_final(&k, hash);
    ledger_txrec rec = { .index = 0, .type = "Tick", .body = body, .success = true,
                         .events = "[{\"type\":\"EpochClosed\",\"epoch\":3332}]" };
    memcpy(rec.hash, hash, 32);
    cr_assert_eq(ledger_block_begin(l, b.height), ST_OK, "begin");
    cr_assert_eq(ledger_tx_begin(l, hash), ST_OK, "tx begin");
    cr_assert_eq(ledger_meta_set(l, "staking.epoch", "3333"), ST_OK, "epochs closed");
    cr_assert_eq(ledger_tx_end(l, true), ST_OK, "tx end");
    cr_assert_eq(ledger_txrec_put(l, &rec), ST_OK, "the Tick");
    ledger_sha256(b.tx_root, hash, 32);
    ledger_block_hash(&b);
    cr_assert_eq(ledger_block_put(l, &b), ST_OK, "block");
    cr_assert_eq(ledger_block_commit(l), ST_OK, "commit");
    ledger_close(l);
}

char *th_random_signature_transfer(ledger_tx *tx, unsigned *seed, uint8_t v, uint64_t chain_id)
{
    for (;;) {
        uint8_t sig[65];
        char sig_hex[2 + 2 * 65 + 1], err[256] = "";
        for (unsigned i = 0; i < 64; i++)
            sig[i] = (uint8_t)rand_r(seed);
        sig[0] = 0x01;  /* r in range */
        sig[32] = 0x01; /* s in range and low */
        sig[64] = v;
        ledger_hex_encode(sig_hex, sig, sizeof sig);
        char *params = malloc(512);
        cr_assert_not_null(params, "params buffer");
        snprintf(params, 512, "{\"type\":\"Transfer\",\"message\":{\"to\":"
                 "\"0x70997970C51812dc3A010C7d01b50e0d17dc79C8\",\"amount\":\"1\",\"nonce\":\"0\"},"
                 "\"signature\":\"%s\"}", sig_hex);
        cJSON *doc = cJSON_Parse(params);
        int rc = ledger_tx_parse(tx, err, sizeof err, doc, chain_id);
        cJSON_Delete(doc);
        if (rc == ST_OK)
            return params;
        cr_assert_eq(rc, ST_CRYPTO, "only recovery fails: %s", err);
        free(params);
    }
}

void th_settle_base(enc_settle_input *in, uint64_t epoch, uint64_t start, uint32_t fee_ppm)
{
    in->chain_id = 31337;
    in->epoch = epoch;
    in->genesis_time = 0;
    in->epoch_start = start;
    in->epoch_end = start + 720;
    in->slot_seconds = 120;
    cr_assert_eq(mpz_set_str(in->params.budget_per_epoch, "1000000000000000000000", 10), 0, "1000 tokens");
    in->params.decay_period = 180 * 86400;
    in->params.decay_ppm = 250000;
    in->params.treasury_ppm = 200000;
    in->params.fee_ppm = fee_ppm;
}
