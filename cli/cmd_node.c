/* SPDX-License-Identifier: MIT */
/* cmd_node.c: the node and ledger commands: keys, node info, accounts, transfers, blocks and
 * transactions, the audit, replay and epoch verification (these two run the engine and the
 * settlement math offline, so the CLI is not only a JSON-RPC client), and the dev node's mint and clock.
 * Each command checks all of its words before it opens a connection; see session.h. */
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

static int cmd_keygen(const cli_opts *o)
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

static int cmd_address(const cli_opts *o)
{
    uint8_t key[32], addr[20];
    int ex = cli_load_key(key, addr, o);
    cli_wipe(key, sizeof key);
    if (ex != CLI_EXIT_OK)
        return ex;
    return cli_print_address(addr, o);
}

static int cmd_info(const cli_opts *o)
{
    return cli_query(o, "node_info", NULL, cli_print_info);
}

static int cmd_account(const cli_opts *o)
{
    return cli_query_address(o, "ledger_getAccount", cli_print_account);
}

/* The words TO AMOUNT of transfer and mint. */
static const cli_field to_amount_fields[] = {
    { "to", CLI_FIELD_ADDRESS, NULL }, { "amount", CLI_FIELD_AMOUNT, NULL }, { NULL }
};

static int cmd_transfer(const cli_opts *o)
{
    return cli_send_words(o, "Transfer", to_amount_fields);
}

static int cmd_block(const cli_opts *o)
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

static int cmd_tx(const cli_opts *o)
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
static int cmd_verify_epoch(const cli_opts *o)
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

static int cmd_audit(const cli_opts *o)
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

static int cmd_replay(const cli_opts *o)
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

static int cmd_mint(const cli_opts *o)
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

static int cmd_advance_time(const cli_opts *o)
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

/* ---- the commands' help texts and table ---- */

static const char help_keygen[] =
    "Draws a new secp256k1 secret key from the system's randomness and writes it as 0x-hex to\n"
    "FILE (default ./conclave.key), created with mode 0600; an existing file is never\n"
    "overwritten. Prints the key's address. Keep the file secret: it controls the account.\n";

static const char help_address[] = "Prints the EIP-55 address of the key (no node needed).\n";

static const char help_info[] = "Calls node_info.\n";

static const char help_account[] =
    "Shows the nonce and the free, escrow and claimable balances of ADDRESS (default: the\n"
    "key's address), in tokens (exact, up to 18 decimals) or with --raw in base units.\n";

static const char help_transfer[] =
    "Moves AMOUNT from the key's free balance to TO. AMOUNT is in tokens (\"1\", \"1.5\", at\n"
    "most 18 decimals, exact) or with --raw in base units (1 token = 10^18). The chain id\n"
    "and the next nonce come from the node; the transaction is signed locally (EIP-712)\n"
    "and sent with tx_send. Exit 1 if the node refuses it or its receipt says failed (a\n"
    "failed transfer still consumes its nonce). With --sign-only it prints the signed\n"
    "transaction, the params of tx_send, instead of sending it.\n";

static const char help_block[] = "Shows a block by height, by 0x hash, or the latest (the default).\n";

static const char help_tx[] =
    "Shows the transaction with 0x hash HASH: its block, sender, message, status and events.\n";

static const char help_verify_epoch[] =
    "Fetches the epoch's stored inputs and signed report (settlement_getEpoch), recomputes the\n"
    "report from the inputs with the same math as the enclave, here, and compares the two byte\n"
    "for byte; checks that the registered enclave signed it. Exit 1 on any difference.\n";

static const char help_audit[] =
    "Runs ledger_audit (debits equal credits, no negative balance, supply matches issuance,\n"
    "the hash chain, the chain follows its own genesis) with the admin token read from\n"
    "DIR/.cookie (DIR is the node's --datadir), and prints each check. Exit 1 if any fails.\n";

static const char help_replay[] =
    "Rebuilds a fresh ledger (in memory, or in the new file FILE) from the genesis and the\n"
    "transactions stored in DIR/conclave.db, locally, without a node; compares every block\n"
    "hash, receipt (status, error and events) and account balance. Prints the counts and OK,\n"
    "or the first difference (exit 1). Run it on a stopped node's directory or a copy.\n";

static const char help_mint[] =
    "Calls admin_mint on a --dev node, with the admin token read from DIR/.cookie (DIR is\n"
    "the node's --datadir). AMOUNT as for transfer. Prints the receipt.\n";

static const char help_advance_time[] =
    "Calls admin_advanceTime on a --dev node (manual clock), with the admin token read from\n"
    "DIR/.cookie. Prints the node's new time once the node has run everything that fell due\n"
    "(each epoch closed and settled, in blocks): over many epochs that takes a while, and\n"
    "the client waits up to --timeout SECONDS (default " CLI_STR(CLI_DEFAULT_TIMEOUT) "; 0: no limit).\n";

const cli_command cli_node_commands[] = {
    { "keygen", "[--out FILE]",
      "make a new secret key and print its address", help_keygen, 0, 0, CLI_OPT_OUT, cmd_keygen },
    { "address", "[--key FILE | --dev-key N]",
      "print the address of a key", help_address, 0, 0, CLI_OPT_KEY, cmd_address },
    { "info", "",
      "show the node: chain id, height, head, version", help_info, 0, 0, 0, cmd_info },
    { "account", "[ADDRESS] [--raw] [--key FILE | --dev-key N]",
      "show an account's nonce and balances", help_account, 0, 1, CLI_OPT_KEY | CLI_OPT_RAW, cmd_account },
    { "transfer", "TO AMOUNT [--raw] [--sign-only] [--key FILE | --dev-key N]",
      "sign and send a Transfer, print its receipt", help_transfer, 2, 2, SIGNING, cmd_transfer },
    { "block", "[HEIGHT | HASH | latest]",
      "show a block and its transactions", help_block, 0, 1, 0, cmd_block },
    { "tx", "HASH [--raw]",
      "show a transaction, its status and events", help_tx, 1, 1, CLI_OPT_RAW, cmd_tx },
    { "audit", "--datadir DIR",
      "check the ledger's invariants on the node", help_audit, 0, 0, CLI_OPT_DATADIR, cmd_audit },
    { "verify-epoch", "EPOCH",
      "recompute a settled epoch outside the enclave", help_verify_epoch, 1, 1, 0, cmd_verify_epoch },
    { "replay", "--datadir DIR [--out FILE]",
      "rebuild a ledger from its block log and compare", help_replay, 0, 0, CLI_OPT_DATADIR | CLI_OPT_OUT, cmd_replay },
    { "mint", "TO AMOUNT --datadir DIR [--raw]",
      "dev node: mint tokens to TO", help_mint, 2, 2, CLI_OPT_DATADIR | CLI_OPT_RAW, cmd_mint },
    { "advance-time", "SECONDS --datadir DIR",
      "dev node: move the manual clock", help_advance_time, 1, 1, CLI_OPT_DATADIR, cmd_advance_time },
    { NULL },
};
