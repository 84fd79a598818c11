/* SPDX-License-Identifier: MIT */
/* durable_file.h: files written whole or not at all, and durable once written: a temporary file
 * beside the target (mode 0600), filled, fsync'd, then renamed over the target or linked to it
 * (never replacing it), then an fsync of the directory so the new name survives a crash. Used for
 * the enclave's sealed files (seal.c, handover_host.c) and the kept enclave builds (holders.c). */
#ifndef CONCLAVE_ENCLAVE_DURABLE_FILE_H
#define CONCLAVE_ENCLAVE_DURABLE_FILE_H

#include <stdbool.h>
#include <stddef.h>

/* Writes the file's contents into fd. Returns: ST_OK, or an error that abandons the file. */
typedef int (*enc_file_fill_fn)(int fd, void *ctx);

/* Creates path in dir, filled by fill: renamed over an existing path when replace, else linked to
 * path, which is left alone if it exists. Returns: ST_OK; ST_CONFLICT (not replace, path exists);
 * ST_LIMIT (path too long); ST_IO; or fill's error. Nothing but the temporary file is written
 * before fill succeeds, and that is removed on every path. */
int enc_file_create(const char *path, const char *dir, bool replace, enc_file_fill_fn fill, void *ctx);

/* enc_file_create filled with len bytes of data. */
int enc_file_create_bytes(const char *path, const char *dir, bool replace, const void *data, size_t len);

#endif
