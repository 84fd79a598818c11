/* SPDX-License-Identifier: MIT */
/* m_tx.c: tx_send, the one door for state changes: decode and verify a signed transaction, queue
 * it, and answer with its receipt once its block is durable. Anything refused before it applies is
 * a JSON-RPC error and consumes no nonce. An optional "from" names the expected signer, so a
 * tampered message is refused as such instead of being read as another signer's transaction. */
#include "node/methods_int.h"

#include <string.h>
#include "ledger/hex.h"
#include "ledger/tx.h"

static int tx_send(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    eng *e = node_engine(ctx);
    const cJSON *from = cJSON_GetObjectItemCaseSensitive(params, "from");
    uint8_t claimed[20];
    if (from && (!cJSON_IsString(from) || ledger_addr_parse(claimed, from->valuestring) != ST_OK))
        return rpc_error(ctx, ST_INVALID, NULL, "params.from: expected a 0x-prefixed 20-byte address");
    cJSON *body = NULL;
    if (from) {
        if (!(body = cJSON_Duplicate(params, true)))
            return ST_NOMEM;
        cJSON_DeleteItemFromObjectCaseSensitive(body, "from");
    }
    char err[256] = "";
    ledger_tx tx;
    int rc = ledger_tx_parse(&tx, err, sizeof err, body ? body : params, eng_chain_id(e));
    cJSON_Delete(body);
    if (rc != ST_OK)
        return rpc_error(ctx, rc, NULL, "%s", err[0] ? err : st_str(rc));
    if (from && memcmp(claimed, tx.signer, 20) != 0) {
        char signer[LEDGER_ADDR_STRLEN];
        ledger_addr_format(signer, tx.signer);
        ledger_tx_clear(&tx);
        return rpc_error(ctx, ST_CRYPTO, NULL,
                         "signature: the message was signed by %s, not by %s (tampered message, wrong key or "
                         "wrong chain id)", signer, from->valuestring);
    }
    rpc_deferred *d = rpc_defer(ctx);
    if (!d) {
        ledger_tx_clear(&tx);
        return ST_NOMEM;
    }
    rc = eng_submit(e, err, sizeof err, &tx, node_finish_with_receipt, d);
    if (rc != ST_OK) {
        ledger_tx_clear(&tx);
        rpc_deferred_finish(d, rc, NULL, NULL, err[0] ? err : st_str(rc));
    }
    return RPC_PENDING;
}

static const char *const tx_send_params[] = { "type", "message", "signature", "from", NULL };
static const char *const tx_send_docs[] = {
    "the transaction type, e.g. \"Transfer\"",
    "the EIP-712 message members with nonce",
    "the 65-byte secp256k1 signature, 0x-hex",
    "optional: the sender's address, checked against the recovered signer",
    NULL
};
const rpc_method node_m_tx_send = {
    .name = "tx_send", .params = tx_send_params, .fn = tx_send,
    .summary = "Submits a signed transaction and answers its receipt once its block is durable",
    .result = "the receipt {hash, block, index, status, error?, events}",
    .param_docs = tx_send_docs
};
