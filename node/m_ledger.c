/* SPDX-License-Identifier: MIT */
/* m_ledger.c: ledger_* methods: accounts, blocks, transactions with receipts, and the audit (admin). */
#include "node/methods_int.h"

#include <stdlib.h>
#include <string.h>
#include "ledger/amount.h"
#include "ledger/hex.h"
#include "ledger/ledger.h"

/* Adds "key": balance as a canonical amount; a negative balance (no user account has one) fails. */
static bool add_balance(cJSON *out, const char *key, const mpz_t balance)
{
    char text[LEDGER_AMOUNT_STRLEN];
    if (mpz_sgn(balance) < 0)
        return false;
    ledger_amount_format(text, balance);
    return node_add_item(out, key, cJSON_CreateString(text));
}

static int get_account(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    uint8_t addr[20];
    int rc = node_param_address(ctx, params, "address", addr);
    if (rc != ST_OK)
        return rc;
    ledger *l = eng_ledger(node_engine(ctx));
    uint64_t nonce;
    mpz_t balances[3];
    mpz_inits(balances[0], balances[1], balances[2], NULL);
    cJSON *out = NULL;
    if (ledger_user_balances(l, addr, &nonce, balances) != ST_OK || !(out = cJSON_CreateObject())
        || !node_add_address(out, "address", addr) || !node_add_u64(out, "nonce", nonce)
        || !add_balance(out, "free", balances[0]) || !add_balance(out, "escrow", balances[1])
        || !add_balance(out, "claimable", balances[2])) {
        cJSON_Delete(out);
        out = NULL;
    }
    mpz_clears(balances[0], balances[1], balances[2], NULL);
    if (!out)
        return ST_DB;
    *result = out;
    return ST_OK;
}

static cJSON *block_json(ledger *l, const ledger_block *b)
{
    ledger_txrec *recs = NULL;
    size_t n = 0;
    cJSON *out = cJSON_CreateObject(), *txs = cJSON_CreateArray();
    if (!out || !txs || !cJSON_AddNumberToObject(out, "height", (double)b->height)
        || !node_add_hex(out, "hash", b->hash, 32) || !node_add_hex(out, "parent", b->parent, 32)
        || !cJSON_AddNumberToObject(out, "time", (double)b->time) || !node_add_hex(out, "txRoot", b->tx_root, 32)
        || !cJSON_AddNumberToObject(out, "txCount", b->tx_count) || !cJSON_AddItemToObject(out, "transactions", txs)) {
        cJSON_Delete(txs);
        goto fail;
    }
    if (ledger_txrec_list_block(l, b->height, &recs, &n) != ST_OK)
        goto fail;
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        char hex[67];
        ledger_hex_encode(hex, recs[i].hash, 32);
        cJSON *h = cJSON_CreateString(hex);
        if (!h || !cJSON_AddItemToArray(txs, h)) {
            cJSON_Delete(h);
            ok = false;
        }
        ledger_txrec_clear(&recs[i]);
    }
    free(recs);
    if (ok)
        return out;
fail:
    cJSON_Delete(out);
    return NULL;
}

static int get_block(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    ledger *l = eng_ledger(node_engine(ctx));
    ledger_block b;
    bool has_height = false, has_hash = false;
    uint64_t height = 0;
    uint8_t hash[32];
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(params, "height");
    bool latest = cJSON_IsString(h) && strcmp(h->valuestring, "latest") == 0;
    int rc = latest ? ST_OK : node_param_u64(ctx, params, "height", &has_height, &height);
    if (rc == ST_OK)
        rc = node_param_hash(ctx, params, "hash", &has_hash, hash);
    if (rc != ST_OK)
        return rc;
    if ((has_height || latest) == has_hash)
        return rpc_error(ctx, ST_INVALID, NULL, "params: give exactly one of height (a number or \"latest\") or hash");
    if (latest)
        rc = ledger_block_head(l, &b);
    else if (has_height)
        rc = ledger_block_get(l, height, &b);
    else
        rc = ledger_block_get_by_hash(l, hash, &b);
    if (rc == ST_NOTFOUND)
        return rpc_error(ctx, rc, NULL, "no such block");
    if (rc != ST_OK)
        return rc;
    *result = block_json(l, &b);
    return *result ? ST_OK : ST_NOMEM;
}

static int get_transaction(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    uint8_t hash[32];
    int rc = node_param_hash(ctx, params, "hash", NULL, hash);
    if (rc != ST_OK)
        return rc;
    ledger_txrec r;
    rc = ledger_txrec_get(eng_ledger(node_engine(ctx)), hash, &r);
    if (rc == ST_NOTFOUND)
        return rpc_error(ctx, rc, NULL, "no transaction with that hash");
    if (rc != ST_OK)
        return rc;
    cJSON *out = cJSON_CreateObject();
    if (!out || !node_add_hex(out, "hash", r.hash, 32) || !cJSON_AddNumberToObject(out, "block", (double)r.height)
        || !cJSON_AddNumberToObject(out, "index", r.index)
        || !(r.has_sender ? node_add_address(out, "sender", r.sender) : cJSON_AddNullToObject(out, "sender") != NULL)
        || !cJSON_AddStringToObject(out, "type", r.type) || !node_add_json(out, "transaction", r.body)
        || !cJSON_AddStringToObject(out, "status", r.success ? "success" : "failed")
        || (r.error && !cJSON_AddStringToObject(out, "error", r.error)) || !node_add_json(out, "events", r.events)) {
        cJSON_Delete(out);
        out = NULL;
    }
    ledger_txrec_clear(&r);
    *result = out;
    return out ? ST_OK : ST_NOMEM;
}

static int audit(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    ledger_audit_report report;
    if (eng_audit(node_engine(ctx), &report) != ST_OK)
        return rpc_error(ctx, ST_DB, NULL, "the audit could not read the ledger");
    cJSON *out = cJSON_CreateObject(), *checks = cJSON_CreateArray();
    if (!out || !checks || !cJSON_AddBoolToObject(out, "ok", report.ok)
        || !cJSON_AddNumberToObject(out, "height", (double)report.height)
        || !cJSON_AddItemToObject(out, "checks", checks)) {
        cJSON_Delete(checks);
        goto fail;
    }
    for (unsigned i = 0; i < report.n_checks; i++) {
        cJSON *c = cJSON_CreateObject();
        if (!c || !cJSON_AddItemToArray(checks, c)) {
            cJSON_Delete(c);
            goto fail;
        }
        if (!cJSON_AddStringToObject(c, "name", report.checks[i].name)
            || !cJSON_AddBoolToObject(c, "ok", report.checks[i].ok)
            || !cJSON_AddStringToObject(c, "detail", report.checks[i].detail))
            goto fail;
    }
    *result = out;
    return ST_OK;
fail:
    cJSON_Delete(out);
    return ST_NOMEM;
}

static const char *const account_params[] = { "address", NULL };
static const char *const block_params[] = { "height", "hash", NULL };
static const char *const tx_params[] = { "hash", NULL };
static const char *const no_params[] = { NULL };
const rpc_method node_m_ledger_get_account = {
    .name = "ledger_getAccount", .params = account_params, .fn = get_account,
    .summary = "An address's next nonce and balances",
    .result = "{address, nonce, free, escrow, claimable} (amounts)",
    .param_docs = NODE_PARAM_DOCS("a 0x-prefixed 20-byte address")
};
const rpc_method node_m_ledger_get_block = {
    .name = "ledger_getBlock", .params = block_params, .fn = get_block,
    .summary = "One block by height or hash, with its transaction hashes",
    .result = "{height, hash, parent, time, txRoot, txCount, transactions}",
    .param_docs = NODE_PARAM_DOCS(RPC_PARAM_OPTIONAL "a height, or \"latest\" (exactly one of height and hash is given)",
                                  RPC_PARAM_OPTIONAL "a 32-byte block hash, 0x-hex (exactly one of height and hash is given)")
};
const rpc_method node_m_ledger_get_transaction = {
    .name = "ledger_getTransaction", .params = tx_params, .fn = get_transaction,
    .summary = "One transaction with its receipt",
    .result = "{hash, block, index, sender, type, transaction, status, error?, events}",
    .param_docs = NODE_PARAM_DOCS("a 32-byte transaction hash, 0x-hex")
};
/* admin: an audit reads every account, transfer and block, so one call costs time in proportion to
 * the whole ledger while the node waits; anyone could stall the node with a batch of them */
const rpc_method node_m_ledger_audit = {
    .name = "ledger_audit", .params = no_params, .flags = RPC_ADMIN, .fn = audit,
    .summary = "Proves the ledger's invariants from the stored rows (admin)",
    .result = "{ok, height, checks: [{name, ok, detail}]}"
};
