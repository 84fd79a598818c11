/* SPDX-License-Identifier: MIT */
/* platform.c: the simulated trusted-execution backend (see platform.h for the seam and the
 * derivations). Secrets live in fixed-size stack buffers and are wiped with explicit_bzero before
 * every return; the HMAC states that held them are wiped too. Only start-up and host-side
 * functions touch files; the quote and seal-key functions are pure, so they run confined. */
#include "enclave/platform.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <nettle/hkdf.h>
#include <nettle/hmac.h>
#include <nettle/sha2.h>
#include <secp256k1_recovery.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ledger/sig.h"

static const char seal_label[] = "conclave-enclave-seal-v1";
static const char attest_label[] = "conclave-platform-attestation-v1";

/* nettle's HKDF takes generic MAC callbacks; these adapt HMAC-SHA256 without casting functions. */
static void mac_update(void *ctx, size_t len, const uint8_t *data)
{
    hmac_sha256_update(ctx, len, data);
}

static void mac_digest(void *ctx, size_t len, uint8_t *out)
{
    hmac_sha256_digest(ctx, len, out);
}

/* out = HKDF-SHA256(ikm, salt, info), 32 bytes. An empty salt is HashLen zero bytes (RFC 5869). */
static void hkdf_sha256(uint8_t out[32], const uint8_t *ikm, size_t ikm_len, const uint8_t *salt,
                        size_t salt_len, const uint8_t *info, size_t info_len)
{
    static const uint8_t zero_salt[SHA256_DIGEST_SIZE];
    struct hmac_sha256_ctx mac;
    uint8_t prk[SHA256_DIGEST_SIZE];

    if (salt_len == 0) {
        salt = zero_salt;
        salt_len = sizeof zero_salt;
    }
    hmac_sha256_set_key(&mac, salt_len, salt);
    hkdf_extract(&mac, mac_update, mac_digest, SHA256_DIGEST_SIZE, ikm_len, ikm, prk);
    hmac_sha256_set_key(&mac, sizeof prk, prk);
    hkdf_expand(&mac, mac_update, mac_digest, SHA256_DIGEST_SIZE, info_len, info, 32, out);
    explicit_bzero(prk, sizeof prk);
    explicit_bzero(&mac, sizeof mac);
}

/* Derives the platform attestation key. seckey_verify needs no precomputation, so the host may
 * pass secp256k1_context_static. Returns: ST_OK or ST_CRYPTO. Out: key (a secret). */
static int attestation_key(const secp256k1_context *ctx, uint8_t key[32],
                           const uint8_t secret[ENC_PLATFORM_SECRET_LEN])
{
    uint8_t info[sizeof attest_label];  /* label || counter */
    memcpy(info, attest_label, sizeof attest_label - 1);
    for (unsigned counter = 0; counter < 256; counter++) {
        info[sizeof info - 1] = (uint8_t)counter;
        hkdf_sha256(key, secret, ENC_PLATFORM_SECRET_LEN, NULL, 0, info,
                    counter == 0 ? sizeof info - 1 : sizeof info);
        if (secp256k1_ec_seckey_verify(ctx, key))
            return ST_OK;
    }
    explicit_bzero(key, 32);
    return ST_CRYPTO;
}

int enc_platform_random(uint8_t *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t r = getrandom(buf + got, len - got, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return ST_IO;
        got += (size_t)r;
    }
    return ST_OK;
}

int enc_platform_signing_context(secp256k1_context **out)
{
    uint8_t seed[32];
    secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    if (!(*out = ctx))
        return ST_NOMEM;
    int rc = enc_platform_random(seed, sizeof seed);
    if (rc == ST_OK && !secp256k1_context_randomize(ctx, seed))
        rc = ST_CRYPTO;
    explicit_bzero(seed, sizeof seed);
    if (rc != ST_OK) {
        secp256k1_context_destroy(ctx);
        *out = NULL;
    }
    return rc;
}

void enc_platform_init(enc_platform *p, const uint8_t secret[ENC_PLATFORM_SECRET_LEN],
                       const uint8_t measurement[32])
{
    memcpy(p->secret, secret, ENC_PLATFORM_SECRET_LEN);
    memcpy(p->measurement, measurement, 32);
    p->conf_level = 1;
}

void enc_platform_clear(enc_platform *p)
{
    explicit_bzero(p, sizeof *p);
}

/* The simulated platform's confidence level: the digit in secret_path ".level", 1 if there is no
 * such file. Returns: ST_OK, ST_IO, ST_INVALID (see enc_platform_load). */
static int read_level(uint8_t *level, const char *secret_path)
{
    char path[PATH_MAX], text[3];
    size_t got = 0;
    if ((size_t)snprintf(path, sizeof path, "%s.level", secret_path) >= sizeof path)
        return ST_IO;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        *level = 1;
        return errno == ENOENT ? ST_OK : ST_IO;
    }
    int rc = enc_read_some(fd, text, sizeof text, &got);
    close(fd);
    if (rc != ST_OK)
        return rc;
    if (got == 0 || got > 2 || text[0] < '1' || text[0] > '0' + ENC_CONF_LEVEL_MAX || (got == 2 && text[1] != '\n'))
        return ST_INVALID;
    *level = (uint8_t)(text[0] - '0');
    return ST_OK;
}

int enc_platform_load(enc_platform *p, const char *secret_path)
{
    uint8_t secret[ENC_PLATFORM_SECRET_LEN], measurement[32], level = 1;
    int rc = enc_platform_secret_read(secret, secret_path);
    if (rc == ST_OK)
        rc = read_level(&level, secret_path);
    if (rc == ST_OK)
        rc = enc_measure_file(measurement, "/proc/self/exe");
    if (rc == ST_OK) {
        enc_platform_init(p, secret, measurement);
        p->conf_level = level;
    } else {
        enc_platform_clear(p);
    }
    explicit_bzero(secret, sizeof secret);
    return rc;
}

void enc_platform_seal_key(uint8_t key[32], const enc_platform *p)
{
    hkdf_sha256(key, p->secret, ENC_PLATFORM_SECRET_LEN, p->measurement, 32,
                (const uint8_t *)seal_label, sizeof seal_label - 1);
}

/* Signs q's digest with the platform attestation key and writes its wire form. */
static int sign_quote(const secp256k1_context *ctx, uint8_t *out, enc_quote *q, const enc_platform *p)
{
    secp256k1_ecdsa_recoverable_signature rs;
    uint8_t key[32], digest[32];
    int recid;

    enc_quote_digest(digest, q);
    int rc = attestation_key(ctx, key, p->secret);
    if (rc == ST_OK && !secp256k1_ecdsa_sign_recoverable(ctx, &rs, digest, key, NULL, NULL))
        rc = ST_CRYPTO;
    explicit_bzero(key, sizeof key);
    if (rc != ST_OK)
        return rc;
    secp256k1_ecdsa_recoverable_signature_serialize_compact(ctx, q->sig, &recid, &rs);
    q->sig[64] = (uint8_t)(27 + recid);
    enc_quote_serialize(out, q);
    return ST_OK;
}

int enc_platform_quote(const secp256k1_context *ctx, uint8_t quote[ENC_QUOTE_LEN], const enc_platform *p,
                       const uint8_t enclave_pub[64], uint64_t chain_id)
{
    enc_quote q = { .version = ENC_QUOTE_VERSION, .kind = ENC_QUOTE_ENCLAVE, .conf_level = 1, .chain_id = chain_id };
    memcpy(q.measurement, p->measurement, 32);
    memcpy(q.enclave_pub, enclave_pub, 64);
    return sign_quote(ctx, quote, &q, p);
}

int enc_platform_quote_worker(const secp256k1_context *ctx, uint8_t quote[ENC_QUOTE_V2_LEN], const enc_platform *p,
                              const uint8_t worker_pub[64], uint64_t chain_id)
{
    enc_quote q = { .version = 2, .kind = ENC_QUOTE_WORKER, .conf_level = p->conf_level, .chain_id = chain_id };
    memcpy(q.measurement, p->measurement, 32);
    memcpy(q.enclave_pub, worker_pub, 64);
    return sign_quote(ctx, quote, &q, p);
}

int enc_platform_secret_read(uint8_t secret[ENC_PLATFORM_SECRET_LEN], const char *path)
{
    struct stat st;
    ssize_t got = 0;
    int rc = ST_OK;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

    explicit_bzero(secret, ENC_PLATFORM_SECRET_LEN);
    if (fd < 0)
        return errno == ENOENT ? ST_NOTFOUND : errno == ELOOP ? ST_INVALID : ST_IO;
    if (fstat(fd, &st) != 0)
        rc = ST_IO;
    else if (!S_ISREG(st.st_mode) || st.st_size != ENC_PLATFORM_SECRET_LEN)
        rc = ST_INVALID;
    else if (st.st_mode & (S_IRWXG | S_IRWXO))
        rc = ST_UNAUTHORIZED;
    while (rc == ST_OK && got < ENC_PLATFORM_SECRET_LEN) {
        ssize_t r = read(fd, secret + got, (size_t)(ENC_PLATFORM_SECRET_LEN - got));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            rc = ST_IO;
        else
            got += r;
    }
    close(fd);
    if (rc != ST_OK)
        explicit_bzero(secret, ENC_PLATFORM_SECRET_LEN);
    return rc;
}

int enc_platform_secret_ensure(const char *path)
{
    uint8_t secret[ENC_PLATFORM_SECRET_LEN];
    char tmp[PATH_MAX];
    int rc = enc_platform_secret_read(secret, path);
    int fd;

    if (rc != ST_NOTFOUND)
        goto out;
    /* Write a complete file under a temporary name, then link it into place: link(2) never
     * replaces, so if another process won the race its secret stands and ours is dropped. */
    if (snprintf(tmp, sizeof tmp, "%s.XXXXXX", path) >= (int)sizeof tmp) {
        rc = ST_LIMIT;
        goto out;
    }
    fd = mkstemp(tmp);  /* mode 0600 */
    if (fd < 0) {
        rc = ST_IO;
        goto out;
    }
    rc = enc_platform_random(secret, sizeof secret);
    if (rc == ST_OK && (write(fd, secret, sizeof secret) != (ssize_t)sizeof secret || fsync(fd) != 0))
        rc = ST_IO;
    if (close(fd) != 0 && rc == ST_OK)
        rc = ST_IO;
    if (rc == ST_OK && link(tmp, path) != 0 && errno != EEXIST)
        rc = ST_IO;
    unlink(tmp);
    if (rc == ST_OK)
        rc = enc_platform_secret_read(secret, path);
out:
    explicit_bzero(secret, sizeof secret);
    return rc;
}

int enc_platform_attestation_address(uint8_t addr[20], const uint8_t secret[ENC_PLATFORM_SECRET_LEN])
{
    uint8_t key[32];
    int rc = attestation_key(secp256k1_context_static, key, secret);
    if (rc == ST_OK)
        rc = ledger_sig_address(addr, key);
    explicit_bzero(key, sizeof key);
    return rc;
}

int enc_measure_file(uint8_t out[32], const char *path)
{
    struct sha256_ctx h;
    uint8_t buf[16384];
    int rc = ST_OK;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return ST_IO;
    sha256_init(&h);
    for (;;) {
        size_t got;
        rc = enc_read_some(fd, buf, sizeof buf, &got);
        if (rc != ST_OK || got == 0)
            break;
        sha256_update(&h, got, buf);
    }
    close(fd);
    if (rc == ST_OK)
        sha256_digest(&h, 32, out);
    return rc;
}

int enc_read_some(int fd, void *buf, size_t cap, size_t *got)
{
    ssize_t r;
    while ((r = read(fd, buf, cap)) < 0 && errno == EINTR)
        ;
    *got = r > 0 ? (size_t)r : 0;
    return r < 0 ? ST_IO : ST_OK;
}
