/* SPDX-License-Identifier: MIT */
/* cmd_node.c: the node and ledger commands: keys, node info, accounts, transfers, blocks and
 * transactions, the audit, replay and epoch verification (these two run the engine and the
 * settlement math offline, so the CLI is not only a JSON-RPC client), and the dev node's mint and clock.
 * Each command checks all of its words before it opens a connection; see session.h. Their usage
 * lines and help texts are in the table of commands.c. */
#include "cli/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ledger/amount.h"
#include "ledger/hex.h"
#include <limits.h>
#include <unistd.h>
#include "enclave/settle.h"
#include "engine/engine.h"
#include "engine/genesis.h"
#include "ledger/sig.h"
#include "ledger/tx.h"

int cli_cmd_keygen(const cli_opts *o)
{
    uint8_t key[32], addr[20];
    char err[512];
    const char *path = o->out ? o->out : CLI_DEFAULT_KEY_FILE;
    int ex = CLI_EXIT_FAILED;
    if (cli_key_generate(key) != ST_OK) {
        cli_error("the system gave no randomness for a key");
        return CLI_EXIT_FAILED;
    }
    if (ledger_sig_address(addr, key) != ST_OK)
        cli_error("the new key is not valid");
    else if (cli_key_write(err, sizeof err, path, key) != ST_OK)
        cli_error("%s", err);
    else
        ex = CLI_EXIT_OK;
    cli_wipe(key, sizeof key);
    if (ex != CLI_EXIT_OK)
        return ex;
    return cli_print_address(addr, o);
}

int cli_cmd_address(const cli_opts *o)
{
    uint8_t key[32], addr[20];
    int ex = cli_load_key(key, addr, o);
    cli_wipe(key, sizeof key);
    if (ex != CLI_EXIT_OK)
        return ex;
    return cli_print_address(addr, o);
}

int cli_cmd_info(const cli_opts *o)
{
    return cli_query(o, "node_info", NULL, cli_print_info);
}

int cli_cmd_account(const cli_opts *o)
{
    return cli_query_address(o, "ledger_getAccount", cli_print_account);
}

/* The words TO AMOUNT of transfer and mint. */
static const cli_field to_amount_fields[] = {
    { "to", CLI_FIELD_ADDRESS, NULL }, { "amount", CLI_FIELD_AMOUNT, NULL }, { NULL }
};

int cli_cmd_transfer(const cli_opts *o)
{
    return cli_send_words(o, "Transfer", to_amount_fields);
}

int cli_cmd_block(const cli_opts *o)
{
    char err[512];
    cJSON *params = NULL;
    int rc = cli_arg_block(&params, err, sizeof err, o->argc ? o->argv[0] : "latest");
    if (rc != ST_OK) {
        cli_error("%s", rc == ST_NOMEM ? "out of memory" : err);
        return rc == ST_NOMEM ? CLI_EXIT_FAILED : CLI_EXIT_USAGE;
    }
    return cli_query_built(o, "ledger_getBlock", params, cli_print_block);
}

int cli_cmd_tx(const cli_opts *o)
{
    uint8_t hash[32];
    char err[512];
    if (cli_arg_hash(hash, err, sizeof err, o->argv[0]) != ST_OK) {
        cli_error("%s", err);
        return CLI_EXIT_USAGE;
    }
    cJSON *params = cJSON_CreateObject();
    if (!params || !cJSON_AddStringToObject(params, "hash", o->argv[0])) {
        cJSON_Delete(params);
        cli_error("out of memory");
        return CLI_EXIT_FAILED;
    }
    int ex = cli_query(o, "ledger_getTransaction", params, cli_print_tx);
    cJSON_Delete(params);
    return ex;
}

/* Decodes the 0x-hex member key of obj into a malloc'd buffer (NULL if absent or malformed). */
static uint8_t *hex_member(const cJSON *obj, const char *key, size_t *len)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(item) ? ledger_hex_decode_alloc(item->valuestring, len) : NULL;
}

/* Recomputes an epoch's report from its stored inputs with the enclave's own math, outside the
 * enclave, and compares it with the report the enclave signed, byte for byte. */
int cli_cmd_verify_epoch(const cli_opts *o)
{
    char err[256];
    uint64_t epoch;
    if (cli_arg_uint(&epoch, err, sizeof err, o->argv[0], "epoch") != ST_OK) {
        cli_error("%s", err);
        return CLI_EXIT_USAGE;
    }
    cJSON *params = cJSON_CreateObject(), *result = NULL;
    uint8_t *inputs = NULL, *stored = NULL, *mine = NULL, enclave[20], digest[32], recovered[20];
    size_t inputs_len = 0, stored_len = 0, mine_len = 0;
    enc_settle_input in;
    enc_settle_report theirs, ours;
    enc_settle_input_init(&in);
    enc_settle_report_init(&theirs);
    enc_settle_report_init(&ours);
    int ex = params && cJSON_AddNumberToObject(params, "epoch", (double)epoch)
                 ? cli_request(o, NULL, "settlement_getEpoch", params, &result)
                 : cli_out_of_memory();
    if (ex != CLI_EXIT_OK)
        goto out;
    ex = CLI_EXIT_FAILED;
    const cJSON *signer_item = cJSON_GetObjectItemCaseSensitive(result, "enclave");
    if (!(inputs = hex_member(result, "inputs", &inputs_len)) || !(stored = hex_member(result, "report", &stored_len))
        || !cJSON_IsString(signer_item) || ledger_addr_parse(enclave, signer_item->valuestring) != ST_OK) {
        cli_error("settlement_getEpoch gave no usable inputs, report or enclave");
        goto out;
    }
    if (enc_settle_input_parse(&in, inputs, inputs_len) != ST_OK || enc_settle_report_parse(&theirs, stored, stored_len) != ST_OK) {
        cli_error("epoch %llu: the stored inputs or report are not in canonical form", (unsigned long long)epoch);
        goto out;
    }
    if (enc_settle_compute(&ours, &in) != ST_OK) {
        cli_error("epoch %llu: the stored inputs cannot be computed", (unsigned long long)epoch);
        goto out;
    }
    memcpy(ours.signature, theirs.signature, sizeof ours.signature);
    if (enc_settle_report_serialize(&mine, &mine_len, &ours) != ST_OK) {
        cli_error("out of memory");
        goto out;
    }
    bool same = mine_len == stored_len && memcmp(mine, stored, mine_len) == 0;
    bool signed_ok = enc_settle_report_digest(digest, &theirs) == ST_OK
                     && ledger_sig_recover(recovered, digest, theirs.signature) == ST_OK && memcmp(recovered, enclave, 20) == 0;
    if (o->json)
        cli_print_json(result);
    printf("epoch %llu: %s\n", (unsigned long long)epoch,
           same ? "the report recomputed from its inputs is the enclave's, byte for byte"
                : "the report recomputed from its inputs DIFFERS from the enclave's");
    printf("signature: %s %s\n", signed_ok ? "by" : "NOT by", signer_item->valuestring);
    ex = same && signed_ok ? CLI_EXIT_OK : CLI_EXIT_FAILED;
out:
    free(mine);
    free(stored);
    free(inputs);
    enc_settle_report_clear(&ours);
    enc_settle_report_clear(&theirs);
    enc_settle_input_clear(&in);
    cJSON_Delete(result);
    cJSON_Delete(params);
    return ex;
}

int cli_cmd_audit(const cli_opts *o)
{
    cJSON *result = NULL;
    int ex = cli_admin_call(o, "ledger_audit", NULL, &result);
    if (ex == CLI_EXIT_OK) {
        bool ok = o->json ? cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(result, "ok")) : cli_print_audit(result);
        if (o->json)
            cli_print_json(result);
        if (!ok) {
            cli_error("the audit found a broken invariant");
            ex = CLI_EXIT_FAILED;
        }
    }
    cJSON_Delete(result);
    return ex;
}

int cli_cmd_replay(const cli_opts *o)
{
    char src[4096], err[512] = "";
    eng_replay_report report;
    if (!o->datadir) {
        cli_error("replay needs --datadir DIR (the node's data directory, holding conclave.db)");
        return CLI_EXIT_USAGE;
    }
    if (snprintf(src, sizeof src, "%s/conclave.db", o->datadir) >= (int)sizeof src) {
        cli_error("--datadir path too long");
        return CLI_EXIT_USAGE;
    }
    int rc = eng_replay(&report, err, sizeof err, src, o->out ? o->out : ":memory:");
    if (rc != ST_OK) {
        cli_error("cannot replay %s: %s", src, err[0] ? err : st_str(rc));
        return CLI_EXIT_FAILED;
    }
    if (o->json) {
        cJSON *j = cJSON_CreateObject();
        if (!j || !cJSON_AddNumberToObject(j, "blocks", (double)report.blocks)
            || !cJSON_AddNumberToObject(j, "transactions", (double)report.transactions)
            || !cJSON_AddNumberToObject(j, "accounts", (double)report.accounts)
            || !cJSON_AddBoolToObject(j, "ok", report.ok) || !cJSON_AddStringToObject(j, "detail", report.detail)) {
            cJSON_Delete(j);
            cli_error("out of memory");
            return CLI_EXIT_FAILED;
        }
        cli_print_json(j);
        cJSON_Delete(j);
    } else {
        printf("%-12s %llu\n%-12s %llu\n%-12s %llu\n", "blocks", (unsigned long long)report.blocks,
               "transactions", (unsigned long long)report.transactions, "accounts",
               (unsigned long long)report.accounts);
        if (report.ok)
            puts("replay OK: every block hash, receipt and balance matches");
        else
            printf("replay DIFFERS: %s\n", report.detail);
    }
    if (!report.ok) {
        cli_error("the replayed ledger differs: %s", report.detail);
        return CLI_EXIT_FAILED;
    }
    return CLI_EXIT_OK;
}

int cli_cmd_mint(const cli_opts *o)
{
    return cli_admin_words(o, "admin_mint", to_amount_fields);
}

static void show_time(const cJSON *r)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(r, "time");
    if (cJSON_IsNumber(t))
        printf("%-12s %.0f\n", "time", t->valuedouble);
    else
        cli_print_json(r);
}

int cli_cmd_advance_time(const cli_opts *o)
{
    static const cli_field fields[] = { { "seconds", CLI_FIELD_NUMBER, "seconds" }, { NULL } };
    cJSON *params, *result = NULL;
    int ex = cli_words_object(&params, o, fields);
    if (ex == CLI_EXIT_OK)
        ex = params ? cli_admin_call(o, "admin_advanceTime", params, &result) : cli_out_of_memory();
    if (ex == CLI_EXIT_OK)
        (o->json ? cli_print_json : show_time)(result);
    cJSON_Delete(result);
    cJSON_Delete(params);
    return ex;
}
