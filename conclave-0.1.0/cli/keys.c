/* SPDX-License-Identifier: MIT */
/* keys.c: the CLI's local secrets: secret key files ("0x" + 64 hex + newline, mode 0600, never
 * overwritten), new keys from getrandom(2), and the admin token of a dev node's DIR/.cookie.
 * Every buffer that held key material is wiped before it goes out of scope. */
#include "cli/cli.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ledger/hex.h"
#include "ledger/sig.h"

#define KEY_FILE_MAX 256 /* a key file is ~67 bytes; anything much longer is not one */

void cli_wipe(void *p, size_t len)
{
    explicit_bzero(p, len);
}

int cli_key_parse(uint8_t key[32], const char *text, size_t len)
{
    char hex[2 + 64 + 1] = "0x";
    uint8_t k[32], addr[20];
    size_t b = 0, e = len;
    int rc;

    while (b < e && isspace((unsigned char)text[b]))
        b++;
    while (e > b && isspace((unsigned char)text[e - 1]))
        e--;
    if (e - b >= 2 && text[b] == '0' && (text[b + 1] == 'x' || text[b + 1] == 'X'))
        b += 2;
    if (e - b != 64)
        return ST_INVALID;
    memcpy(hex + 2, text + b, 64);
    hex[66] = '\0';
    rc = ledger_hex_decode_exact(k, sizeof k, hex);
    if (rc == ST_OK)
        rc = ledger_sig_address(addr, k) == ST_OK ? ST_OK : ST_CRYPTO;
    if (rc == ST_OK)
        memcpy(key, k, sizeof k);
    cli_wipe(hex, sizeof hex);
    cli_wipe(k, sizeof k);
    return rc;
}

/* Reads at most cap-1 bytes of path into buf, NUL-terminated. Returns: ST_OK, ST_IO, ST_LIMIT. */
static int read_small_file(char *buf, size_t cap, size_t *len, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ST_IO;
    size_t n = 0;
    int rc = ST_OK;
    for (;;) {
        ssize_t r = read(fd, buf + n, cap - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = ST_IO;
            break;
        }
        if (r == 0)
            break;
        n += (size_t)r;
        if (n == cap - 1) {
            char extra;
            if (read(fd, &extra, 1) > 0)
                rc = ST_LIMIT;
            break;
        }
    }
    close(fd);
    buf[n] = '\0';
    *len = n;
    return rc;
}

int cli_key_read(uint8_t key[32], char *err, size_t errlen, const char *path)
{
    char buf[KEY_FILE_MAX];
    size_t len = 0;
    int rc = read_small_file(buf, sizeof buf, &len, path);
    if (rc == ST_IO) {
        snprintf(err, errlen, "cannot read key file %s: %s", path, strerror(errno));
    } else if (rc == ST_LIMIT) {
        snprintf(err, errlen, "key file %s is not a key: too long", path);
        rc = ST_INVALID;
    } else {
        rc = cli_key_parse(key, buf, len);
        if (rc == ST_INVALID)
            snprintf(err, errlen, "key file %s is not a key: expected 0x and 64 hex digits", path);
        else if (rc == ST_CRYPTO)
            snprintf(err, errlen, "key file %s holds an invalid secp256k1 secret key", path);
    }
    cli_wipe(buf, sizeof buf);
    return rc;
}

int cli_key_generate(uint8_t key[32])
{
    uint8_t addr[20];
    /* A random 256-bit number is a valid key except with probability ~2^-128; retry anyway. */
    for (int tries = 0; tries < 16; tries++) {
        if (getrandom(key, 32, 0) != 32)
            break;
        if (ledger_sig_address(addr, key) == ST_OK)
            return ST_OK;
    }
    cli_wipe(key, 32);
    return ST_IO;
}

int cli_key_write(char *err, size_t errlen, const char *path, const uint8_t key[32])
{
    char text[2 + 64 + 2];
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        if (errno == EEXIST) {
            snprintf(err, errlen, "%s exists already; refusing to overwrite a key file", path);
            return ST_CONFLICT;
        }
        snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
        return ST_IO;
    }
    ledger_hex_encode(text, key, 32);
    text[66] = '\n';
    text[67] = '\0';
    int rc = ST_OK;
    /* fchmod: the umask may have narrowed 0600, never widened it, but be explicit. */
    if (fchmod(fd, 0600) != 0 || write(fd, text, 67) != 67 || fsync(fd) != 0)
        rc = ST_IO;
    if (rc != ST_OK)
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
    if (close(fd) != 0 && rc == ST_OK) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        rc = ST_IO;
    }
    if (rc != ST_OK)
        unlink(path);
    cli_wipe(text, sizeof text);
    return rc;
}

int cli_cookie_read(char token[CLI_COOKIE_MAX + 1], char *err, size_t errlen, const char *datadir)
{
    char path[4096], buf[CLI_COOKIE_MAX + 2];
    size_t len = 0, b = 0;
    if (snprintf(path, sizeof path, "%s/.cookie", datadir) >= (int)sizeof path) {
        snprintf(err, errlen, "data directory path too long");
        return ST_INVALID;
    }
    int rc = read_small_file(buf, sizeof buf, &len, path);
    if (rc == ST_IO) {
        snprintf(err, errlen, "cannot read the admin cookie %s: %s", path, strerror(errno));
        return ST_IO;
    }
    while (b < len && isspace((unsigned char)buf[b]))
        b++;
    while (len > b && isspace((unsigned char)buf[len - 1]))
        len--;
    bool printable = true;
    for (size_t i = b; i < len; i++)
        printable = printable && isgraph((unsigned char)buf[i]);
    if (rc == ST_LIMIT || len == b || len - b > CLI_COOKIE_MAX || !printable) {
        snprintf(err, errlen, "the admin cookie %s is not a token", path);
        rc = ST_INVALID;
    } else {
        memcpy(token, buf + b, len - b);
        token[len - b] = '\0';
    }
    cli_wipe(buf, sizeof buf);
    return rc;
}
