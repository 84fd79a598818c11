/* SPDX-License-Identifier: MIT */
/* holders.c: the host's copies of the enclave builds that hold the chain's ballot key (enclave.h),
 * so that after an upgrade the node can start one of them just for the handover
 * (docs/SECRET_BALLOTS.md). Each copy is named by its measurement, 64 lowercase hex digits, and is
 * kept whole or not at all (enc_file_create: a temporary file, fsync, rename, fsync of the
 * directory); its bytes are hashed as they are written, so a program that changed since it was
 * measured is never kept under the old measurement. */
#include "enclave/enclave.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "enclave/durable_file.h"
#include "ledger/hex.h"

#define HEX_LEN 64

/* DIR/<hex of measurement>. Returns: ST_OK or ST_LIMIT (too long). */
static int holder_path(char path[PATH_MAX], const char *dir, const uint8_t measurement[32])
{
    char hex[2 + HEX_LEN + 1];
    ledger_hex_encode(hex, measurement, 32); /* "0x" and lowercase digits */
    int n = snprintf(path, PATH_MAX, "%s/%s", dir, hex + 2);
    return n > 0 && n < PATH_MAX ? ST_OK : ST_LIMIT;
}

/* A kept copy being written: the program to copy and the measurement its bytes must have. */
struct holder_copy {
    const char *program;
    const uint8_t *measurement;
};

/* Copies the program into fd, hashing what it wrote, and makes it executable. Returns: ST_OK;
 * ST_INVALID if the bytes are not of the measurement (the program changed since it was measured);
 * ST_IO. */
static int copy_hashed(int fd, void *ctx)
{
    const struct holder_copy *c = ctx;
    struct sha256_ctx h;
    uint8_t buf[16384], digest[32];
    size_t got = 0;
    int rc = ST_OK, in = open(c->program, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return ST_IO;
    sha256_init(&h);
    while ((rc = enc_read_some(in, buf, sizeof buf, &got)) == ST_OK && got > 0) {
        if (write(fd, buf, got) != (ssize_t)got) {
            rc = ST_IO;
            break;
        }
        sha256_update(&h, got, buf);
    }
    close(in);
    sha256_digest(&h, 32, digest);
    if (rc == ST_OK && memcmp(digest, c->measurement, 32) != 0)
        rc = ST_INVALID;
    if (rc == ST_OK && fchmod(fd, 0700) != 0)
        rc = ST_IO;
    return rc;
}

int enc_holder_keep(const char *dir, const char *program, const uint8_t measurement[32])
{
    char path[PATH_MAX];
    uint8_t kept[32];
    struct holder_copy copy = { program, measurement };
    int rc = holder_path(path, dir, measurement);
    if (rc != ST_OK)
        return rc;
    if (enc_measure_file(kept, path) == ST_OK && memcmp(kept, measurement, 32) == 0)
        return ST_OK;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return ST_IO;
    return enc_file_create(path, dir, true, copy_hashed, &copy);
}

int enc_holder_each(const char *dir, enc_holder_fn fn, void *ctx)
{
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? ST_NOTFOUND : ST_IO;
    int rc = ST_NOTFOUND;
    const struct dirent *de;
    while (rc == ST_NOTFOUND && (de = readdir(d))) {
        char hex[2 + HEX_LEN + 1], path[PATH_MAX];
        uint8_t measurement[32];
        if (strlen(de->d_name) != HEX_LEN)
            continue;
        snprintf(hex, sizeof hex, "0x%s", de->d_name);
        if (ledger_hex_decode_exact(measurement, 32, hex) != ST_OK || holder_path(path, dir, measurement) != ST_OK
            || strcmp(path + strlen(path) - HEX_LEN, de->d_name) != 0)
            continue; /* not a name this module writes (upper case digits, a temporary file) */
        rc = fn(ctx, path, measurement);
    }
    closedir(d);
    return rc;
}
