/* SPDX-License-Identifier: MIT */
/* errors.c: the one place that maps conclaved's failure statuses to what a JSON-RPC client sees: its
 * error code and generic message (the server's own refusals and the HTTP statuses are rpc/errors.c's).
 * Also checks that rpc/'s results are numbered as the same statuses, so callers may compare with
 * either. */
#include "node/methods.h"

#include "ledger/status.h"

_Static_assert((int)RPC_OK == (int)ST_OK && (int)RPC_NOMEM == (int)ST_NOMEM && (int)RPC_INVALID == (int)ST_INVALID
               && (int)RPC_LIMIT == (int)ST_LIMIT && (int)RPC_IO == (int)ST_IO && (int)RPC_PENDING == (int)ST_PENDING,
               "rpc/status.h numbers its results as ledger/status.h");

int node_rpc_error(int status, const char **message)
{
    switch (status) {
    case ST_INVALID: *message = "invalid params"; return RPC_INVALID_PARAMS;
    case ST_NONCE: *message = "nonce mismatch"; return NODE_E_NONCE;
    case ST_CRYPTO: *message = "bad signature"; return NODE_E_SIGNATURE;
    case ST_NOTFOUND: *message = "not found"; return NODE_E_NOT_FOUND;
    case ST_UNAUTHORIZED: *message = "unauthorized"; return RPC_E_UNAUTHORIZED;
    case ST_INSUFFICIENT: *message = "insufficient balance"; return NODE_E_INSUFFICIENT;
    case ST_CONFLICT: *message = "conflict"; return NODE_E_CONFLICT;
    case ST_LIMIT: *message = "limit exceeded"; return RPC_E_LIMIT;
    case ST_DISABLED: *message = "disabled"; return NODE_E_DISABLED;
    case ST_OVERFLOW: *message = "amount overflow"; return NODE_E_OVERFLOW;
    default: *message = "internal error"; return RPC_INTERNAL_ERROR;
    }
}
