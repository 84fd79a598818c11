/* SPDX-License-Identifier: MIT */
/* system.c: the codec of the system transactions, the ones the node writes itself. A system
 * transaction is stored as canonical JSON text {"type": T, "message": {...}} (eng_item_system), so
 * replay applies the very text a block holds; binary members (measurements, quotes, settlement
 * inputs and reports) are 0x-hex strings in it. Here is one encoder for each type the node makes
 * (Tick, EnclaveRegister, EnclaveBallotKey, Settlement, SecretPollCount) and one decoder for each type
 * a handler reads (Mint, PoolReward, WorkerSlash, EnclaveAllow, EnclaveRegister, EnclaveBallotKey,
 * Settlement, SecretPollCount). Below the rule files
 * and the supervisor: it needs only the item and the ledger's hex and amount helpers. */
#include "engine/engine_int.h"

#include <stdlib.h>
#include <string.h>
#include "ledger/amount.h"
#include "ledger/hex.h"

/* ---- encoders ---- */

/* A system item whose message is {key: 0x-hex of len bytes}. NULL on OOM. */
static eng_item *hex_item(const char *type, const char *key, const uint8_t *bytes, size_t len)
{
    char *hex = ledger_hex_encode_alloc(bytes, len);
    cJSON *msg = cJSON_CreateObject();
    eng_item *it = hex && msg && cJSON_AddStringToObject(msg, key, hex) ? eng_item_system(type, msg) : NULL;
    cJSON_Delete(msg);
    free(hex);
    return it;
}

eng_item *eng_system_tick(void)
{
    cJSON *msg = cJSON_CreateObject();
    eng_item *it = msg ? eng_item_system("Tick", msg) : NULL;
    cJSON_Delete(msg);
    return it;
}

eng_item *eng_system_enclave_register(const uint8_t *quote, size_t len)
{
    return hex_item("EnclaveRegister", "quote", quote, len);
}

eng_item *eng_system_enclave_ballot_key(const uint8_t enclave[20], const uint8_t key[33], const uint8_t sig[65])
{
    char addr[LEDGER_ADDR_STRLEN], key_hex[2 * 33 + 3], sig_hex[2 * 65 + 3];
    ledger_addr_format(addr, enclave);
    ledger_hex_encode(key_hex, key, 33);
    ledger_hex_encode(sig_hex, sig, 65);
    cJSON *msg = cJSON_CreateObject();
    eng_item *it = msg && cJSON_AddStringToObject(msg, "enclave", addr) && cJSON_AddStringToObject(msg, "ballotKey", key_hex)
                           && cJSON_AddStringToObject(msg, "signature", sig_hex)
                       ? eng_item_system("EnclaveBallotKey", msg)
                       : NULL;
    cJSON_Delete(msg);
    return it;
}

eng_item *eng_system_secret_poll_count(uint64_t proposal, const uint8_t *report, size_t report_len)
{
    char *hex = ledger_hex_encode_alloc(report, report_len);
    cJSON *msg = cJSON_CreateObject();
    eng_item *it = hex && msg && cJSON_AddNumberToObject(msg, "proposal", (double)proposal)
                           && cJSON_AddStringToObject(msg, "report", hex)
                       ? eng_item_system("SecretPollCount", msg)
                       : NULL;
    cJSON_Delete(msg);
    free(hex);
    return it;
}

eng_item *eng_system_settlement(uint64_t epoch, const uint8_t *inputs, size_t inputs_len, const uint8_t *report,
                                size_t report_len)
{
    char *inputs_hex = ledger_hex_encode_alloc(inputs, inputs_len), *report_hex = ledger_hex_encode_alloc(report, report_len);
    cJSON *msg = cJSON_CreateObject();
    eng_item *it = NULL;
    if (inputs_hex && report_hex && msg && cJSON_AddNumberToObject(msg, "epoch", (double)epoch)
        && cJSON_AddStringToObject(msg, "inputs", inputs_hex) && cJSON_AddStringToObject(msg, "report", report_hex))
        it = eng_item_system("Settlement", msg);
    cJSON_Delete(msg);
    free(inputs_hex);
    free(report_hex);
    return it;
}

/* ---- decoders ---- */

/* The message of a system transaction's text; *body is the parsed whole (caller deletes it). */
static const cJSON *message_of(const char *text, cJSON **body)
{
    *body = cJSON_Parse(text);
    return cJSON_GetObjectItemCaseSensitive(*body, "message");
}

/* A string member of msg, or NULL. */
static const char *string_member(const cJSON *msg, const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(msg, key);
    return cJSON_IsString(item) ? item->valuestring : NULL;
}

/* A number member of msg, or NULL. */
static const cJSON *number_member(const cJSON *msg, const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(msg, key);
    return cJSON_IsNumber(item) ? item : NULL;
}

/* Decodes a 0x-hex member of msg into a malloc'd buffer (NULL if absent or malformed). */
static uint8_t *hex_member(const cJSON *msg, const char *key, size_t *len)
{
    const char *text = string_member(msg, key);
    return text ? ledger_hex_decode_alloc(text, len) : NULL;
}

/* Parses an amount member of msg into out. Returns: whether it is a well-formed amount. */
static bool amount_member(mpz_t out, const cJSON *msg, const char *key)
{
    const char *text = string_member(msg, key);
    return text && ledger_amount_parse(out, text, strlen(text)) == ST_OK;
}

int eng_system_decode_mint(const char *text, uint8_t to[20], mpz_t amount)
{
    cJSON *body;
    const cJSON *msg = message_of(text, &body);
    const char *to_text = string_member(msg, "to");
    bool ok = to_text && ledger_addr_parse(to, to_text) == ST_OK && amount_member(amount, msg, "amount");
    cJSON_Delete(body);
    return ok ? ST_OK : ST_INVALID;
}

int eng_system_decode_pool_reward(const char *text, uint64_t *pool, mpz_t amount)
{
    cJSON *body;
    const cJSON *msg = message_of(text, &body);
    const cJSON *pool_item = number_member(msg, "pool");
    bool ok = pool_item && amount_member(amount, msg, "amount");
    if (ok)
        *pool = (uint64_t)pool_item->valuedouble;
    cJSON_Delete(body);
    return ok ? ST_OK : ST_INVALID;
}

int eng_system_decode_worker_slash(const char *text, uint8_t worker[20], uint32_t *ppm)
{
    cJSON *body;
    const cJSON *msg = message_of(text, &body);
    const char *worker_text = string_member(msg, "worker");
    const cJSON *ppm_item = number_member(msg, "ppm");
    bool ok = worker_text && ppm_item && ledger_addr_parse(worker, worker_text) == ST_OK;
    if (ok)
        *ppm = (uint32_t)ppm_item->valuedouble;
    cJSON_Delete(body);
    return ok ? ST_OK : ST_INVALID;
}

int eng_system_decode_enclave_allow(const char *text, uint8_t measurement[32])
{
    cJSON *body;
    const cJSON *msg = message_of(text, &body);
    const char *hex = string_member(msg, "measurement");
    int rc = hex && ledger_hex_decode_exact(measurement, 32, hex) == ST_OK ? ST_OK : ST_INVALID;
    cJSON_Delete(body);
    return rc;
}

int eng_system_decode_enclave_register(const char *text, uint8_t **quote, size_t *len)
{
    cJSON *body;
    const cJSON *msg = message_of(text, &body);
    *quote = hex_member(msg, "quote", len);
    cJSON_Delete(body);
    return *quote ? ST_OK : ST_INVALID;
}

int eng_system_decode_enclave_ballot_key(const char *text, uint8_t enclave[20], uint8_t key[33], uint8_t sig[65])
{
    cJSON *body;
    const cJSON *msg = message_of(text, &body);
    const char *addr = string_member(msg, "enclave"), *key_hex = string_member(msg, "ballotKey"),
               *sig_hex = string_member(msg, "signature");
    bool ok = addr && key_hex && sig_hex && ledger_addr_parse(enclave, addr) == ST_OK
              && ledger_hex_decode_exact(key, 33, key_hex) == ST_OK && ledger_hex_decode_exact(sig, 65, sig_hex) == ST_OK;
    cJSON_Delete(body);
    return ok ? ST_OK : ST_INVALID;
}

int eng_system_decode_secret_poll_count(const char *text, uint64_t *proposal, uint8_t **report, size_t *report_len)
{
    cJSON *body;
    const cJSON *msg = message_of(text, &body);
    const cJSON *id = number_member(msg, "proposal");
    *proposal = id ? (uint64_t)id->valuedouble : 0;
    *report = hex_member(msg, "report", report_len);
    cJSON_Delete(body);
    return id && *report ? ST_OK : ST_INVALID;
}

int eng_system_decode_settlement(const char *text, uint64_t *epoch, uint8_t **inputs, size_t *inputs_len,
                                 uint8_t **report, size_t *report_len)
{
    cJSON *body;
    const cJSON *msg = message_of(text, &body);
    const cJSON *epoch_item = number_member(msg, "epoch");
    *epoch = epoch_item ? (uint64_t)epoch_item->valuedouble : UINT64_MAX;
    *inputs = hex_member(msg, "inputs", inputs_len);
    *report = hex_member(msg, "report", report_len);
    cJSON_Delete(body);
    return epoch_item && *inputs && *report ? ST_OK : ST_INVALID;
}
