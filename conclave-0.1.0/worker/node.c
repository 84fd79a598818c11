/* SPDX-License-Identifier: MIT */
/* node.c: the worker's JSON-RPC calls to conclaved (see node.h). Answers are read defensively: a
 * member that is missing or of the wrong shape makes the whole answer ST_INVALID, never a guess.
 * Integers are accepted as JSON numbers (integral, below 2^53) or canonical decimal strings. A
 * transaction is built and signed as the CLI does (ledger_tx_build_signed, then ledger_tx_to_json
 * with "from"); the key is only borrowed. */
#include "worker/node.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ledger/hex.h"
#include "ledger/tx.h"
#include "rpc/client.h"

#define JSON_INT_MAX 9007199254740992.0 /* 2^53: past it a double is no longer exact */

struct wrk_node {
    rpc_client *client;
};

static void say(char *err, size_t errlen, const char *fmt, ...) PRINTF_LIKE(3, 4);
static void say(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    if (errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

wrk_node *wrk_node_new(const char *url, unsigned timeout_secs)
{
    wrk_node *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    if (!(n->client = rpc_client_new(url, NULL, timeout_secs))) {
        free(n);
        return NULL;
    }
    return n;
}

void wrk_node_free(wrk_node *n)
{
    if (!n)
        return;
    rpc_client_free(n->client);
    free(n);
}

/* Calls method and sorts the outcome (node.h). Out: *result on ST_OK (caller owns). */
static int call(wrk_node *n, cJSON **result, char *err, size_t errlen, const char *method, const cJSON *params)
{
    cJSON *error = NULL;
    int rc = rpc_client_call(n->client, method, params, result, &error);
    if (rc == RPC_OK)
        return ST_OK;
    if (rc == RPC_INVALID) {
        const cJSON *msg = cJSON_GetObjectItemCaseSensitive(error, "message");
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(error, "code");
        const cJSON *data = cJSON_GetObjectItemCaseSensitive(error, "data");
        char *data_text = data ? cJSON_PrintUnformatted(data) : NULL;
        say(err, errlen, "%s: %s (code %d%s%s)", method, cJSON_IsString(msg) ? msg->valuestring : "no message",
            cJSON_IsNumber(code) ? code->valueint : 0, data_text ? ", data " : "", data_text ? data_text : "");
        cJSON_free(data_text);
        cJSON_Delete(error);
        return ST_CONFLICT;
    }
    if (rc == RPC_NOMEM) {
        say(err, errlen, "%s: out of memory", method);
        return ST_NOMEM;
    }
    say(err, errlen, "%s: %s", method, rc == RPC_LIMIT ? "no answer in time" : "no connection or no JSON-RPC answer");
    return ST_IO;
}

/* A uint64 member: an integral JSON number below 2^53 or a canonical decimal string. */
static bool get_u64(const cJSON *obj, const char *key, uint64_t *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (cJSON_IsNumber(v)) {
        if (!(v->valuedouble >= 0 && v->valuedouble <= JSON_INT_MAX) || v->valuedouble != (double)(uint64_t)v->valuedouble)
            return false;
        *out = (uint64_t)v->valuedouble;
        return true;
    }
    if (!cJSON_IsString(v) || !v->valuestring[0] || strlen(v->valuestring) > 20
        || (v->valuestring[0] == '0' && v->valuestring[1]))
        return false;
    uint64_t x = 0;
    for (const char *p = v->valuestring; *p; p++) {
        if (*p < '0' || *p > '9' || x > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
            return false;
        x = x * 10 + (uint64_t)(*p - '0');
    }
    *out = x;
    return true;
}

static bool get_bool(const cJSON *obj, const char *key, bool *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsBool(v))
        return false;
    *out = cJSON_IsTrue(v);
    return true;
}

/* call with the params {key: addr}. */
static int call_with_address(wrk_node *n, cJSON **result, char *err, size_t errlen, const char *method, const char *key,
                             const uint8_t addr[20])
{
    char text[LEDGER_ADDR_STRLEN];
    cJSON *params = cJSON_CreateObject();
    ledger_addr_format(text, addr);
    if (!params || !cJSON_AddStringToObject(params, key, text)) {
        cJSON_Delete(params);
        say(err, errlen, "out of memory");
        return ST_NOMEM;
    }
    int rc = call(n, result, err, errlen, method, params);
    cJSON_Delete(params);
    return rc;
}

int wrk_node_chain_id(wrk_node *n, uint64_t *chain_id, char *err, size_t errlen)
{
    cJSON *info = NULL;
    int rc = call(n, &info, err, errlen, "node_info", NULL);
    if (rc == ST_OK && !get_u64(info, "chainId", chain_id)) {
        say(err, errlen, "node_info: no usable chainId");
        rc = ST_INVALID;
    }
    cJSON_Delete(info);
    return rc;
}

int wrk_node_challenge(wrk_node *n, wrk_challenge *out, char *err, size_t errlen, const uint8_t worker[20])
{
    cJSON *res = NULL;
    wrk_challenge c;
    uint64_t slot;

    memset(&c, 0, sizeof c);
    int rc = call_with_address(n, &res, err, errlen, "staking_getChallenge", "worker", worker);
    if (rc != ST_OK)
        goto out;
    rc = ST_INVALID;
    const cJSON *challenge = cJSON_GetObjectItemCaseSensitive(res, "challenge");
    const cJSON *op = cJSON_GetObjectItemCaseSensitive(res, "operator");
    const cJSON *pool = cJSON_GetObjectItemCaseSensitive(res, "pool");
    if (!get_u64(res, "epoch", &c.epoch) || !get_u64(res, "slot", &slot) || slot > UINT32_MAX
        || !get_u64(res, "slotStart", &c.slot_start) || !get_u64(res, "slotEnd", &c.slot_end)
        || !get_bool(res, "registered", &c.registered) || !get_bool(res, "answered", &c.answered)
        || !cJSON_IsString(challenge) || ledger_hex_decode_exact(c.challenge, 32, challenge->valuestring) != ST_OK) {
        say(err, errlen, "staking_getChallenge: an answer without epoch, slot, slotStart, slotEnd, registered, "
            "answered or a 32-byte challenge");
        goto out;
    }
    c.slot = (uint32_t)slot;
    if (op && !cJSON_IsNull(op)) {
        if (!cJSON_IsString(op) || ledger_addr_parse(c.operator_addr, op->valuestring) != ST_OK) {
            say(err, errlen, "staking_getChallenge: operator is neither an address nor null");
            goto out;
        }
        c.has_operator = true;
    }
    if (pool && !cJSON_IsNull(pool)) {
        if (!get_u64(res, "pool", &c.pool)) {
            say(err, errlen, "staking_getChallenge: pool is neither a pool id nor null");
            goto out;
        }
        c.in_pool = true;
    }
    /* "bonded": the amount bonded, a canonical decimal string; a heartbeat without stake is refused */
    const cJSON *bonded = cJSON_GetObjectItemCaseSensitive(res, "bonded");
    if (bonded && !cJSON_IsString(bonded)) {
        say(err, errlen, "staking_getChallenge: bonded is not an amount");
        goto out;
    }
    c.bonded = !bonded || strcmp(bonded->valuestring, "0") != 0;
    *out = c;
    rc = ST_OK;
out:
    cJSON_Delete(res);
    return rc;
}

/* Sets msg's "nonce" to the decimal text of nonce. */
static bool set_nonce(cJSON *msg, uint64_t nonce)
{
    char text[24];
    cJSON *v;
    snprintf(text, sizeof text, "%" PRIu64, nonce);
    if (!(v = cJSON_CreateString(text)))
        return false;
    cJSON_DeleteItemFromObjectCaseSensitive(msg, "nonce");
    if (!cJSON_AddItemToObject(msg, "nonce", v)) {
        cJSON_Delete(v);
        return false;
    }
    return true;
}

int wrk_node_send(wrk_node *n, char *err, size_t errlen, const char *type_name, cJSON *msg, const uint8_t key[32],
                  const uint8_t from[20], uint64_t chain_id)
{
    char reason[512], from_text[LEDGER_ADDR_STRLEN];
    cJSON *acct = NULL, *signed_tx = NULL, *receipt = NULL;
    ledger_tx tx;
    uint64_t nonce;
    int rc;

    memset(&tx, 0, sizeof tx);
    if ((rc = call_with_address(n, &acct, err, errlen, "ledger_getAccount", "address", from)) != ST_OK)
        goto out;
    if (!get_u64(acct, "nonce", &nonce)) {
        say(err, errlen, "ledger_getAccount: no usable nonce");
        rc = ST_INVALID;
        goto out;
    }
    if (!set_nonce(msg, nonce)) {
        say(err, errlen, "out of memory");
        rc = ST_NOMEM;
        goto out;
    }
    rc = ledger_tx_build_signed(&tx, reason, sizeof reason, type_name, msg, key, chain_id);
    if (rc != ST_OK) {
        say(err, errlen, "cannot sign the %s: %s", type_name, reason);
        goto out;  /* ST_INVALID or ST_NOMEM: this worker's own mistake, not the node's */
    }
    /* "from" lets the node refuse a signature that is not the sender's as such */
    ledger_addr_format(from_text, from);
    if (!(signed_tx = ledger_tx_to_json(&tx)) || !cJSON_AddStringToObject(signed_tx, "from", from_text)) {
        say(err, errlen, "out of memory");
        rc = ST_NOMEM;
        goto out;
    }
    if ((rc = call(n, &receipt, err, errlen, "tx_send", signed_tx)) != ST_OK)
        goto out;
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(receipt, "status");
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(receipt, "error");
    if (!cJSON_IsString(status)) {
        say(err, errlen, "tx_send: a receipt without a status");
        rc = ST_INVALID;
    } else if (strcmp(status->valuestring, "success") != 0 && strcmp(status->valuestring, "ok") != 0) {
        say(err, errlen, "the %s failed: %s", type_name, cJSON_IsString(error) ? error->valuestring : "no reason given");
        rc = ST_CONFLICT;
    }
out:
    ledger_tx_clear(&tx);
    cJSON_Delete(receipt);
    cJSON_Delete(signed_tx);
    cJSON_Delete(acct);
    return rc;
}
