/* SPDX-License-Identifier: MIT */
/* m_settlement.c: settlement_* and enclave_* methods: a settled epoch with its report, its inputs
 * and its verification done again on the spot; the attestation of a registered enclave; and the
 * dev test hook that tampers with the next report or the next inputs. */
#include "node/methods_int.h"

#include <stdlib.h>
#include <string.h>
#include "enclave/enclave.h"
#include "enclave/settle.h"
#include "ledger/amount.h"
#include "ledger/compute.h"
#include "ledger/hex.h"
#include "ledger/reads.h"
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

/* Adds "key": a fixed (an integer x standing for x / 10^36) as the decimal string of x. */
static bool add_fixed(cJSON *obj, const char *key, const mpz_t v)
{
    char *text = mpz_get_str(NULL, 10, v);
    bool ok = text && cJSON_AddStringToObject(obj, key, text) != NULL;
    free(text);
    return ok;
}

static bool add_reward_params(cJSON *obj, const enc_reward_params *p)
{
    cJSON *o = cJSON_AddObjectToObject(obj, "params");
    return o && add_amount(o, "budgetPerEpoch", p->budget_per_epoch) && node_add_u64(o, "decayPeriod", p->decay_period)
           && node_add_u64(o, "decayPpm", p->decay_ppm) && node_add_u64(o, "treasuryPpm", p->treasury_ppm)
           && node_add_u64(o, "feePpm", p->fee_ppm) && node_add_u64(o, "stepSeconds", p->step_seconds)
           && add_fixed(o, "rho", p->rho) && add_fixed(o, "slashRate", p->slash_rate) && add_fixed(o, "vMax", p->v_max)
           && add_fixed(o, "costK", p->cost_k) && add_fixed(o, "costB", p->cost_b) && add_fixed(o, "rigK", p->rig_k)
           && add_fixed(o, "rigB", p->rig_b) && add_fixed(o, "re", p->re);
}

static bool add_worker_in(cJSON *arr, const enc_worker_in *w)
{
    cJSON *o = node_append_object(arr), *perf;
    if (!o || !node_add_address(o, "worker", w->address) || !node_add_u64(o, "pool", w->pool)
        || !add_amount(o, "stake", w->stake) || !node_add_u64(o, "score", w->score)
        || !node_add_u64(o, "confLevel", w->conf_level) || !cJSON_AddBoolToObject(o, "started", w->started)
        || !add_fixed(o, "value", w->v) || !node_add_u64(o, "firstSlot", w->first_slot)
        || !(perf = cJSON_AddArrayToObject(o, "performance")))
        return false;
    for (size_t i = 0; i < w->n_perf; i++) {
        cJSON *n = cJSON_CreateNumber(w->perf[i]);
        if (!n || !cJSON_AddItemToArray(perf, n)) {
            cJSON_Delete(n);
            return false;
        }
    }
    return true;
}

/* Adds "decodedInputs": the canonical inputs in's members, as the enclave read them. */
static bool add_decoded_inputs(cJSON *obj, const enc_settle_input *in)
{
    cJSON *o = cJSON_AddObjectToObject(obj, "decodedInputs"), *workers, *channels;
    if (!o || !node_add_u64(o, "chainId", in->chain_id) || !node_add_u64(o, "epoch", in->epoch)
        || !node_add_u64(o, "epochStart", in->epoch_start) || !node_add_u64(o, "epochEnd", in->epoch_end)
        || !node_add_u64(o, "genesisTime", in->genesis_time) || !node_add_u64(o, "slotSeconds", in->slot_seconds)
        || !add_reward_params(o, &in->params) || !(workers = cJSON_AddArrayToObject(o, "workers"))
        || !(channels = cJSON_AddArrayToObject(o, "channels")))
        return false;
    for (size_t i = 0; i < in->n_workers; i++)
        if (!add_worker_in(workers, &in->workers[i]))
            return false;
    for (size_t i = 0; i < in->n_channels; i++) {
        const enc_channel_in *c = &in->channels[i];
        cJSON *ch = node_append_object(channels);
        if (!ch || !node_add_u64(ch, "channel", c->channel) || !node_add_address(ch, "client", c->client)
            || !node_add_u64(ch, "pool", c->pool) || !add_amount(ch, "owed", c->owed) || !add_amount(ch, "escrow", c->escrow))
            return false;
    }
    return true;
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
    bool parsed = enc_settle_input_parse(&in, s.inputs, s.inputs_len) == ST_OK;
    bool inputs_ok = parsed && enc_settle_input_hash(hash, &in) == ST_OK && memcmp(hash, s.input_hash, 32) == 0;
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
        || (why[0] && !cJSON_AddStringToObject(verified, "detail", why))
        || !(parsed ? add_decoded_inputs(out, &in) : cJSON_AddNullToObject(out, "decodedInputs") != NULL)
        || !add_blob(out, "inputs", s.inputs, s.inputs_len)
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

/* node_id_page's fill for settlement_listEpochs; cookie: the ledger. */
static int fill_epoch(void *cookie, cJSON *obj, uint64_t epoch)
{
    ledger_settlement s;
    int rc = ledger_settlement_get(cookie, epoch, &s);
    if (rc != ST_OK)
        return rc;
    enc_settle_report r;
    enc_settle_report_init(&r);
    bool report_ok = enc_settle_report_parse(&r, s.report, s.report_len) == ST_OK;
    if (!node_add_u64(obj, "epoch", epoch) || !node_add_u64(obj, "block", s.height)
        || !node_add_address(obj, "enclave", s.enclave)
        || !node_add_hex(obj, "inputHash", s.input_hash, 32)
        || !(report_ok ? add_amount(obj, "emitted", r.budget) && add_amount(obj, "computePaid", r.compute_paid)
                             && add_amount(obj, "fees", r.fees)
                       : cJSON_AddNullToObject(obj, "emitted") && cJSON_AddNullToObject(obj, "computePaid")
                             && cJSON_AddNullToObject(obj, "fees")))
        rc = ST_NOMEM;
    enc_settle_report_clear(&r);
    ledger_settlement_clear(&s);
    return rc;
}

static int list_epochs(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    ledger *l = eng_ledger(node_engine(ctx));
    uint64_t cursor = 0, epochs[NODE_LIMIT_MAX];
    bool has_cursor = node_given(params, "cursor"), more = false;
    unsigned limit, n = 0;
    int rc = has_cursor ? node_param_u64(ctx, params, "cursor", NULL, &cursor) : ST_OK;
    if (rc == ST_OK)
        rc = node_param_limit(ctx, params, &limit);
    if (rc == ST_OK)
        rc = ledger_settlement_page(l, has_cursor, cursor, limit, epochs, &n, &more);
    if (rc != ST_OK)
        return rc;
    return node_id_page(result, "epochs", epochs, n, more, fill_epoch, l);
}

/* enclave_getAttestation: the registered enclave params.address names, else the newest one. */
static int get_attestation(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    ledger *l = eng_ledger(node_engine(ctx));
    uint8_t address[20], measurement[32], *quote = NULL;
    size_t quote_len = 0;
    uint64_t height = 0;
    bool named = node_given(params, "address");
    int rc = named ? node_param_address(ctx, params, "address", address) : ledger_enclave_latest(l, address);
    if (rc == ST_INVALID)
        return rc;
    if (rc == ST_OK)
        rc = ledger_enclave_get(l, address, measurement, &quote, &quote_len, &height);
    if (rc == ST_NOTFOUND && named) {
        char text[LEDGER_ADDR_STRLEN];
        ledger_addr_format(text, address);
        return rpc_error(ctx, rc, NULL, "no enclave %s is registered", text);
    }
    if (rc == ST_NOTFOUND)
        return rpc_error(ctx, rc, NULL, "no enclave is registered");
    if (rc != ST_OK)
        return rc;
    enc_quote q;
    bool allowed = false;
    uint8_t key[33], sig[65];
    int key_rc = ledger_enclave_ballot_key(l, address, key, sig);
    cJSON *out = cJSON_CreateObject();
    if (!out || enc_quote_parse(&q, quote, quote_len) != ST_OK || (key_rc != ST_OK && key_rc != ST_NOTFOUND) || ledger_allowlist_has(l, LEDGER_RUNTIME_ENCLAVE, measurement, &allowed) != ST_OK
        || !node_add_address(out, "enclave", address) || !node_add_hex(out, "measurement", measurement, 32)
        || !node_add_hex(out, "publicKey", q.enclave_pub, 64) || !cJSON_AddNumberToObject(out, "chainId", (double)q.chain_id)
        || !add_blob(out, "quote", quote, quote_len) || !cJSON_AddNumberToObject(out, "registeredBlock", (double)height)
        || !cJSON_AddBoolToObject(out, "allowlisted", allowed)
        || !(key_rc == ST_OK ? node_add_hex(out, "ballotKey", key, 33) && node_add_hex(out, "ballotKeySignature", sig, 65)
                             : cJSON_AddNullToObject(out, "ballotKey") && cJSON_AddNullToObject(out, "ballotKeySignature"))) {
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
const rpc_method node_m_settlement_get_epoch = {
    .name = "settlement_getEpoch", .params = epoch_params, .fn = get_epoch,
    .summary = "A settled epoch: report, decoded inputs and its verification redone",
    .result = "{epoch, block, enclave, inputHash, emitted, computePaid, fees, operations, verified, decodedInputs, "
              "inputs, report}",
    .param_docs = NODE_PARAM_DOCS("an epoch number")
};
static const char *const list_epochs_params[] = { "cursor", "limit", NULL };
const rpc_method node_m_settlement_list_epochs = {
    .name = "settlement_listEpochs", .params = list_epochs_params, .fn = list_epochs,
    .summary = "Settled epochs, the latest first",
    .param_docs = NODE_PARAM_DOCS(RPC_PARAM_OPTIONAL "an epoch, the \"next\" of the previous page (older epochs follow)",
                                  RPC_PARAM_OPTIONAL "1 to 100 epochs, default 20"),
    .result = "{epochs: [{epoch, block, enclave, inputHash, emitted, computePaid, fees}], next}"
};
static const char *const attestation_params[] = { "address", NULL };
const rpc_method node_m_enclave_get_attestation = {
    .name = "enclave_getAttestation", .params = attestation_params, .fn = get_attestation,
    .param_docs = NODE_PARAM_DOCS(RPC_PARAM_OPTIONAL "a registered enclave's address (the enclave a count or settlement "
                                                     "names); default: the newest"),
    .summary = "A registered enclave (the newest, or the one named) and its quote",
    .result = "{enclave, measurement, publicKey, chainId, quote, registeredBlock, allowlisted, ballotKey, ballotKeySignature}"
};
static const char *const tamper_params[] = { "part", NULL };
const rpc_method node_m_admin_tamper_next_report = {
    .name = "admin_tamperNextReport", .params = tamper_params, .flags = RPC_ADMIN | RPC_DEV, .fn = tamper_next_report,
    .summary = "Test hook: corrupts the next settlement report or inputs (dev, admin)",
    .result = "true",
    .param_docs = NODE_PARAM_DOCS(RPC_PARAM_OPTIONAL "\"report\" (default) or \"inputs\"")
};
