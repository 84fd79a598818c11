/* SPDX-License-Identifier: MIT */
/* status.c: printable names of the project-wide status codes. */
#include "ledger/status.h"

const char *st_str(int status)
{
    switch (status) {
    case ST_OK: return "ok";
    case ST_NOMEM: return "out of memory";
    case ST_INVALID: return "invalid";
    case ST_NOTFOUND: return "not found";
    case ST_CONFLICT: return "conflict";
    case ST_DB: return "database error";
    case ST_CRYPTO: return "bad signature or key";
    case ST_OVERFLOW: return "amount overflow";
    case ST_INSUFFICIENT: return "insufficient balance";
    case ST_NONCE: return "wrong nonce";
    case ST_UNAUTHORIZED: return "unauthorized";
    case ST_LIMIT: return "limit exceeded";
    case ST_IO: return "i/o error";
    case ST_PENDING: return "pending";
    case ST_VERSION: return "newer version";
    case ST_DISABLED: return "disabled";
    }
    return "unknown status";
}
