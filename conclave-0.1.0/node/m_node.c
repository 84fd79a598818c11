/* SPDX-License-Identifier: MIT */
/* m_node.c: node_* methods: what chain this node serves and where it stands. */
#include "node/methods_int.h"

#include "ledger/ledger.h"

static int node_info(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    eng *e = node_engine(ctx);
    ledger_block head, genesis;
    if (ledger_block_head(eng_ledger(e), &head) != ST_OK || ledger_block_get(eng_ledger(e), 0, &genesis) != ST_OK)
        return rpc_error(ctx, ST_DB, NULL, "cannot read the chain head");
    cJSON *out = cJSON_CreateObject();
    if (!out || !cJSON_AddNumberToObject(out, "chainId", (double)eng_chain_id(e))
        || !cJSON_AddNumberToObject(out, "height", (double)head.height)
        || !node_add_hex(out, "headHash", head.hash, 32)
        || !node_add_hex(out, "genesisHash", genesis.hash, 32)
        || !cJSON_AddNumberToObject(out, "time", (double)eng_now(e))
        || !cJSON_AddStringToObject(out, "version", PACKAGE_VERSION)
        || !cJSON_AddBoolToObject(out, "dev", eng_is_dev(e))) {
        cJSON_Delete(out);
        return ST_NOMEM;
    }
    *result = out;
    return ST_OK;
}

static const char *const no_params[] = { NULL };
const rpc_method node_m_node_info = {
    .name = "node_info", .params = no_params, .fn = node_info,
    .summary = "What chain this node serves and where it stands",
    .result = "{chainId, height, headHash, genesisHash, time, version, dev}"
};
