/* SPDX-License-Identifier: MIT */
/* m_settlement.c: settlement_* and enclave_* methods: a settled epoch with its report, its inputs
 * and its verification done again on the spot; the attestation of the registered enclave; and the
 * dev test hook that tampers with the next report or the next inputs. */
#include "node/methods_int.h"

#include <stdlib.h>
#include <string.h>
#include "enclave/enclave.h"
#include "enclave/settle.h"
#include "ledger/amount.h"
#include "ledger/compute.h"
#include "ledger/hex.h"
#include "ledger/sig.h"

static bool add_blob(cJSON *obj, const char *key, const uint8_t *data, size_t len)
{
    char *hex = ledger_hex_encode_alloc(data, len);
    bool ok = hex && cJSON_AddStringToObject(obj, key, hex) != NULL;
    free(hex);
    return ok;
}

static bool add_amount(cJSON *obj, const char *key, const mpz_t v)
{
    char text[LEDGER_AMOUNT_STRLEN];
    ledger_amount_format(text, v);
    return cJSON_AddStringToObject(obj, key, text) != NULL;
}

static cJSON *op_json(const enc_op *op)
{
    static const char *const kinds[] = { "", "treasury", "poolEmission", "computePayment", "fee", "?", "workerValue" };
    cJSON *o = cJSON_CreateObject();
    bool ok = o && cJSON_AddStringToObject(o, "kind", op->kind <= ENC_OP_WORKER_VALUE ? kinds[op->kind] : "?");
    if (ok && (op->kind == ENC_OP_POOL_EMISSION || op->kind == ENC_OP_COMPUTE_PAYMENT))
        ok = cJSON_AddNumberToObject(o, "pool", (double)op->pool) != NULL;
    if (ok && (op->kind == ENC_OP_COMPUTE_PAYMENT || op->kind == ENC_OP_FEE))
        ok = cJSON_AddNumberToObject(o, "channel", (double)op->channel) && node_add_address(o, "client", op->address);
    if (ok && op->kind == ENC_OP_WORKER_VALUE) {
        /* V is a fixed (V * 10^36), not an amount: its integer in decimal */
        char *text = mpz_get_str(NULL, 10, op->amount);
        ok = text && node_add_address(o, "worker", op->address) && cJSON_AddStringToObject(o, "value", text);
        free(text);
    } else if (ok) {
        ok = add_amount(o, "amount", op->amount);
    }
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static int get_epoch(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    uint64_t epoch;
    int rc = node_param_u64(ctx, params, "epoch", NULL, &epoch);
    if (rc != ST_OK)
        return rc;
    ledger *l = eng_ledger(node_engine(ctx));
    ledger_settlement s;
    rc = ledger_settlement_get(l, epoch, &s);
    if (rc == ST_NOTFOUND)
        return rpc_error(ctx, rc, NULL, "epoch %llu is not settled (yet)", (unsigned long long)epoch);
    if (rc != ST_OK)
        return rc;
    enc_settle_input in;
    enc_settle_report r;
    enc_settle_input_init(&in);
    enc_settle_report_init(&r);
    uint8_t hash[32], digest[32], signer[20];
    char why[200] = "";
    bool inputs_ok = enc_settle_input_parse(&in, s.inputs, s.inputs_len) == ST_OK
                     && enc_settle_input_hash(hash, &in) == ST_OK && memcmp(hash, s.input_hash, 32) == 0;
    bool report_ok = enc_settle_report_parse(&r, s.report, s.report_len) == ST_OK;
    bool signature_ok = report_ok && enc_settle_report_digest(digest, &r) == ST_OK
                        && ledger_sig_recover(signer, digest, r.signature) == ST_OK && memcmp(signer, s.enclave, 20) == 0;
    bool sums_ok = inputs_ok && report_ok && enc_settle_report_check(why, sizeof why, &r, &in) == ST_OK;
    cJSON *out = cJSON_CreateObject(), *verified = NULL, *ops = NULL;
    rc = ST_NOMEM;
    if (!out || !cJSON_AddNumberToObject(out, "epoch", (double)epoch)
        || !cJSON_AddNumberToObject(out, "block", (double)s.height) || !node_add_address(out, "enclave", s.enclave)
        || !node_add_hex(out, "inputHash", s.input_hash, 32))
        goto out;
    if (report_ok && (!add_amount(out, "emitted", r.budget) || !add_amount(out, "computePaid", r.compute_paid)
                      || !add_amount(out, "fees", r.fees) || !(ops = cJSON_AddArrayToObject(out, "operations"))))
        goto out;
    for (size_t i = 0; report_ok && i < r.n_ops; i++) {
        cJSON *o = op_json(&r.ops[i]);
        if (!o || !cJSON_AddItemToArray(ops, o)) {
            cJSON_Delete(o);
            goto out;
        }
    }
    if (!(verified = cJSON_AddObjectToObject(out, "verified")) || !cJSON_AddBoolToObject(verified, "inputs", inputs_ok)
        || !cJSON_AddBoolToObject(verified, "signature", signature_ok)
        || !cJSON_AddBoolToObject(verified, "conservation", sums_ok)
        || !cJSON_AddBoolToObject(verified, "ok", inputs_ok && signature_ok && sums_ok)
        || (why[0] && !cJSON_AddStringToObject(verified, "detail", why)) || !add_blob(out, "inputs", s.inputs, s.inputs_len)
        || !add_blob(out, "report", s.report, s.report_len))
        goto out;
    *result = out;
    out = NULL;
    rc = ST_OK;
out:
    cJSON_Delete(out);
    enc_settle_report_clear(&r);
    enc_settle_input_clear(&in);
    ledger_settlement_clear(&s);
    return rc;
}

static int get_attestation(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    ledger *l = eng_ledger(node_engine(ctx));
    uint8_t address[20], measurement[32], *quote = NULL;
    size_t quote_len = 0;
    uint64_t height = 0;
    int rc = ledger_enclave_latest(l, address);
    if (rc == ST_OK)
        rc = ledger_enclave_get(l, address, measurement, &quote, &quote_len, &height);
    if (rc == ST_NOTFOUND)
        return rpc_error(ctx, rc, NULL, "no enclave is registered");
    if (rc != ST_OK)
        return rc;
    enc_quote q;
    bool allowed = false;
    cJSON *out = cJSON_CreateObject();
    if (!out || enc_quote_parse(&q, quote, quote_len) != ST_OK || ledger_allowlist_has(l, LEDGER_RUNTIME_ENCLAVE, measurement, &allowed) != ST_OK
        || !node_add_address(out, "enclave", address) || !node_add_hex(out, "measurement", measurement, 32)
        || !node_add_hex(out, "publicKey", q.enclave_pub, 64) || !cJSON_AddNumberToObject(out, "chainId", (double)q.chain_id)
        || !add_blob(out, "quote", quote, quote_len) || !cJSON_AddNumberToObject(out, "registeredBlock", (double)height)
        || !cJSON_AddBoolToObject(out, "allowlisted", allowed)) {
        cJSON_Delete(out);
        out = NULL;
    }
    free(quote);
    *result = out;
    return out ? ST_OK : ST_NOMEM;
}

static int tamper_next_report(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    bool inputs = false;
    if (node_given(params, "part")) {
        const cJSON *part = cJSON_GetObjectItemCaseSensitive(params, "part");
        inputs = cJSON_IsString(part) && strcmp(part->valuestring, "inputs") == 0;
        if (!inputs && !(cJSON_IsString(part) && strcmp(part->valuestring, "report") == 0))
            return rpc_error(ctx, ST_INVALID, NULL, "params.part: expected \"report\" or \"inputs\"");
    }
    int rc = eng_tamper_next_report(node_engine(ctx), inputs);
    if (rc != ST_OK)
        return rpc_error(ctx, rc, NULL, "only a dev node has this test hook");
    *result = cJSON_CreateBool(true);
    return *result ? ST_OK : ST_NOMEM;
}

static const char *const epoch_params[] = { "epoch", NULL };
static const char *const no_params[] = { NULL };
static const char *const settlement_get_epoch_docs[] = { "an epoch number", NULL };
const rpc_method node_m_settlement_get_epoch = { .name = "settlement_getEpoch", .params = epoch_params, .fn = get_epoch,
    .summary = "A settled epoch: report, decoded inputs and its verification redone",
    .result = "{epoch, block, enclave, inputHash, emitted, computePaid, fees, operations, verified, decodedInputs, inputs, report}", .param_docs = settlement_get_epoch_docs };
const rpc_method node_m_enclave_get_attestation = { .name = "enclave_getAttestation", .params = no_params, .fn = get_attestation,
    .summary = "The newest registered enclave and its quote",
    .result = "{enclave, measurement, publicKey, chainId, quote, registeredBlock, allowlisted}" };
static const char *const tamper_params[] = { "part", NULL };
static const char *const admin_tamper_next_report_docs[] = { "optional: \"report\" (default) or \"inputs\"", NULL };
const rpc_method node_m_admin_tamper_next_report = { .name = "admin_tamperNextReport", .params = tamper_params, .flags = RPC_ADMIN | RPC_DEV, .fn = tamper_next_report,
    .summary = "Test hook: corrupts the next settlement report or inputs (dev, admin)",
    .result = "true", .param_docs = admin_tamper_next_report_docs };
