/* SPDX-License-Identifier: MIT */
/* seal.c: sealing a trusted program's identity key with AES-256-GCM (nettle) under the platform's seal
 * key (see seal.h). Runs at start-up, before confinement. Key, seal key, plaintext and cipher state
 * stay in fixed-size stack buffers and are wiped before each return; the tag is compared with
 * nettle's memeql_sec. A sealed file is created once and never overwritten. */
#include "enclave/seal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <nettle/gcm.h>
#include <nettle/memops.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "enclave/durable_file.h"
#include "ledger/hex.h"

static const char magic[6] = { 'C', 'S', 'E', 'A', 'L', '1' };

#define OFF_NONCE 6
#define OFF_CT (OFF_NONCE + ENC_SEAL_NONCE_LEN)
#define OFF_TAG (OFF_CT + 32)

void enc_seal_serialize(uint8_t out[ENC_SEAL_FILE_LEN], const uint8_t seal_key[32],
                        const uint8_t measurement[32], const uint8_t secret[32],
                        const uint8_t nonce[ENC_SEAL_NONCE_LEN])
{
    struct gcm_aes256_ctx gcm;
    memcpy(out, magic, sizeof magic);
    memcpy(out + OFF_NONCE, nonce, ENC_SEAL_NONCE_LEN);
    gcm_aes256_set_key(&gcm, seal_key);
    gcm_aes256_set_iv(&gcm, ENC_SEAL_NONCE_LEN, nonce);
    gcm_aes256_update(&gcm, 32, measurement);
    gcm_aes256_encrypt(&gcm, 32, out + OFF_CT, secret);
    gcm_aes256_digest(&gcm, GCM_DIGEST_SIZE, out + OFF_TAG);
    explicit_bzero(&gcm, sizeof gcm);
}

int enc_seal_parse(uint8_t secret[32], const uint8_t seal_key[32], const uint8_t measurement[32],
                   const uint8_t *blob, size_t len)
{
    struct gcm_aes256_ctx gcm;
    uint8_t tag[GCM_DIGEST_SIZE];
    int ok;

    explicit_bzero(secret, 32);
    if (len != ENC_SEAL_FILE_LEN || memcmp(blob, magic, sizeof magic) != 0)
        return ST_CRYPTO;
    gcm_aes256_set_key(&gcm, seal_key);
    gcm_aes256_set_iv(&gcm, ENC_SEAL_NONCE_LEN, blob + OFF_NONCE);
    gcm_aes256_update(&gcm, 32, measurement);
    gcm_aes256_decrypt(&gcm, 32, secret, blob + OFF_CT);
    gcm_aes256_digest(&gcm, sizeof tag, tag);
    ok = memeql_sec(tag, blob + OFF_TAG, sizeof tag);
    explicit_bzero(&gcm, sizeof gcm);
    if (!ok) {
        explicit_bzero(secret, 32);
        return ST_CRYPTO;
    }
    return ST_OK;
}

int enc_seal_path(char *out, size_t cap, const char *dir, const char *prefix, const uint8_t measurement[32])
{
    char hex[2 * 8 + 3];
    int n;
    ARG_CHECK(prefix[0] != '\0' && strchr(prefix, '/') == NULL);
    ledger_hex_encode(hex, measurement, 8);
    n = snprintf(out, cap, "%s/%s-%s.sealed", dir, prefix, hex + 2);
    return n >= 0 && (size_t)n < cap ? ST_OK : ST_LIMIT;
}

/* Opens the sealed file at path. Returns: ST_OK; ST_NOTFOUND if there is none; ST_CRYPTO if it
 * does not open or holds an invalid key; ST_IO. Out: key (zero on failure). */
static int open_sealed(const secp256k1_context *ctx, uint8_t key[32], const uint8_t seal_key[32],
                       const uint8_t measurement[32], const char *path)
{
    uint8_t blob[ENC_SEAL_FILE_LEN + 1];  /* one more, to see a file that is too long */
    size_t len = 0;
    int rc = ST_OK;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

    explicit_bzero(key, 32);
    if (fd < 0)
        return errno == ENOENT ? ST_NOTFOUND : ST_IO;
    while (len < sizeof blob) {
        size_t got;
        rc = enc_read_some(fd, blob + len, sizeof blob - len, &got);
        if (rc != ST_OK || got == 0)
            break;
        len += got;
    }
    close(fd);
    if (rc == ST_OK)
        rc = enc_seal_parse(key, seal_key, measurement, blob, len);
    if (rc == ST_OK && !secp256k1_ec_seckey_verify(ctx, key)) {
        explicit_bzero(key, 32);
        rc = ST_CRYPTO;
    }
    return rc;
}

/* Makes a valid secret key from the platform's entropy. Returns: ST_OK or ST_IO. Out: key. */
static int make_key(const secp256k1_context *ctx, uint8_t key[32])
{
    do {
        int rc = enc_platform_random(key, 32);
        if (rc != ST_OK)
            return rc;
    } while (!secp256k1_ec_seckey_verify(ctx, key));
    return ST_OK;
}

int enc_seal_identity(const secp256k1_context *ctx, uint8_t key[32], bool *created, const enc_platform *p,
                      const char *dir, const char *prefix)
{
    char path[PATH_MAX];
    uint8_t seal_key[32], nonce[ENC_SEAL_NONCE_LEN], blob[ENC_SEAL_FILE_LEN];
    int rc;

    *created = false;
    explicit_bzero(key, 32);
    rc = enc_seal_path(path, sizeof path, dir, prefix, p->measurement);
    if (rc != ST_OK)
        return rc;
    enc_platform_seal_key(seal_key, p);
    rc = open_sealed(ctx, key, seal_key, p->measurement, path);
    if (rc != ST_NOTFOUND)
        goto out;
    rc = make_key(ctx, key);
    if (rc == ST_OK)
        rc = enc_platform_random(nonce, sizeof nonce);
    if (rc != ST_OK)
        goto out;
    enc_seal_serialize(blob, seal_key, p->measurement, key, nonce);
    rc = enc_file_create_bytes(path, dir, false, blob, ENC_SEAL_FILE_LEN);
    if (rc == ST_OK)
        *created = true;
    else if (rc == ST_CONFLICT)  /* another instance sealed its key first: that one is ours */
        rc = open_sealed(ctx, key, seal_key, p->measurement, path);
out:
    explicit_bzero(seal_key, sizeof seal_key);
    if (rc != ST_OK)
        explicit_bzero(key, 32);
    return rc;
}
