/* SPDX-License-Identifier: MIT */
/* status.h: the one status enum of the whole project, and the attribute macros every API uses.
 * Sits at the bottom of the layering: every module may include it. Fallible functions return an
 * int holding one of these values and deliver results through out-parameters. */
#ifndef LEDGER_STATUS_H
#define LEDGER_STATUS_H

#include <stdio.h>

enum st_code {
    ST_OK = 0,
    ST_NOMEM,        /* out of memory */
    ST_INVALID,      /* malformed input or a caller bug */
    ST_NOTFOUND,     /* the thing asked for does not exist */
    ST_CONFLICT,     /* state forbids it (exists already, wrong state) */
    ST_DB,           /* the database failed */
    ST_CRYPTO,       /* a signature or key is bad */
    ST_OVERFLOW,     /* an amount would reach 2^256 */
    ST_INSUFFICIENT, /* a balance would go below zero */
    ST_NONCE,        /* not the account's next nonce */
    ST_UNAUTHORIZED, /* the caller may not do this */
    ST_LIMIT,        /* a size or count limit is exceeded */
    ST_IO,           /* a file or socket failed */
    ST_PENDING,      /* accepted; the answer comes later */
    ST_VERSION,      /* made by a newer version of the software */
    ST_DISABLED      /* switched off by configuration, or not known to this version */
};

/* Returns: a short constant English name for a status ("ok", "out of memory", ...). */
const char *st_str(int status);

#if defined(__GNUC__)
#define WARN_UNUSED __attribute__((warn_unused_result))
#define NONNULL(...) __attribute__((nonnull(__VA_ARGS__)))
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#define NULL_TERMINATED __attribute__((sentinel))
#else
#define WARN_UNUSED
#define NONNULL(...)
#define PRINTF_LIKE(f, a)
#define NULL_TERMINATED
#endif

/* ARG_CHECK: for caller bugs. Logs the place, asserts in debug builds, returns ST_INVALID otherwise. */
#ifdef DEBUG
#include <assert.h>
#define ARG_CHECK(cond) do { if (!(cond)) { \
    fprintf(stderr, "%s:%d: illegal argument: %s\n", __FILE__, __LINE__, #cond); \
    assert(cond); return ST_INVALID; } } while (0)
#else
#define ARG_CHECK(cond) do { if (!(cond)) { \
    fprintf(stderr, "%s:%d: illegal argument: %s\n", __FILE__, __LINE__, #cond); \
    return ST_INVALID; } } while (0)
#endif

#endif
