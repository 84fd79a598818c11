/* SPDX-License-Identifier: MIT */
/* durable_file.c: files written whole or not at all, and durable once written (see durable_file.h). */
#include "enclave/durable_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "ledger/status.h"

int enc_file_create(const char *path, const char *dir, bool replace, enc_file_fill_fn fill, void *ctx)
{
    char tmp[PATH_MAX];
    int rc, fd, dfd;

    if (snprintf(tmp, sizeof tmp, "%s.XXXXXX", path) >= (int)sizeof tmp)
        return ST_LIMIT;
    fd = mkstemp(tmp); /* mode 0600 */
    if (fd < 0)
        return ST_IO;
    rc = fill(fd, ctx);
    if (rc == ST_OK && fsync(fd) != 0)
        rc = ST_IO;
    if (close(fd) != 0 && rc == ST_OK)
        rc = ST_IO;
    if (rc == ST_OK && replace && rename(tmp, path) != 0)
        rc = ST_IO;
    if (rc == ST_OK && !replace && link(tmp, path) != 0)
        rc = errno == EEXIST ? ST_CONFLICT : ST_IO;
    if (rc != ST_OK || !replace)
        unlink(tmp);
    if (rc != ST_OK)
        return rc;
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || fsync(dfd) != 0)
        rc = ST_IO;
    if (dfd >= 0)
        close(dfd);
    return rc;
}

struct bytes {
    const void *data;
    size_t len;
};

static int fill_bytes(int fd, void *ctx)
{
    const struct bytes *b = ctx;
    return write(fd, b->data, b->len) == (ssize_t)b->len ? ST_OK : ST_IO;
}

int enc_file_create_bytes(const char *path, const char *dir, bool replace, const void *data, size_t len)
{
    struct bytes b = { data, len };
    return enc_file_create(path, dir, replace, fill_bytes, &b);
}
