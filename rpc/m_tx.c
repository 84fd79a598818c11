/* SPDX-License-Identifier: MIT */
/* m_tx.c: tx_send, the one door for state changes: decode and verify a signed transaction, queue
 * it, and answer with its receipt once its block is durable. Anything refused before it applies is
 * a JSON-RPC error and consumes no nonce. */
#include "rpc/methods_int.h"

#include "ledger/tx.h"

static int tx_send(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    eng *e = rpc_engine(ctx);
    char err[256] = "";
    ledger_tx tx;
    int rc = ledger_tx_parse(&tx, err, sizeof err, params, eng_chain_id(e));
    if (rc != ST_OK)
        return rpc_error(ctx, rc, NULL, "%s", err[0] ? err : st_str(rc));
    rpc_deferred *d = rpc_defer(ctx);
    if (!d) {
        ledger_tx_clear(&tx);
        return ST_NOMEM;
    }
    rc = eng_submit(e, err, sizeof err, &tx, rpc_finish_with_receipt, d);
    if (rc != ST_OK) {
        ledger_tx_clear(&tx);
        rpc_deferred_finish(d, rc, NULL, NULL, err[0] ? err : st_str(rc));
    }
    return ST_PENDING;
}

static const char *const tx_send_params[] = { "type", "message", "signature", NULL };
const rpc_method rpc_m_tx_send = { .name = "tx_send", .params = tx_send_params, .fn = tx_send };
