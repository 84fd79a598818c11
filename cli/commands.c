/* SPDX-License-Identifier: MIT */
/* commands.c: one function per `conclave` command, and the command table with each one's help.
 * Every command checks all of its words (and loads its key) before it opens a connection, so a
 * malformed command line never reaches the node. Each returns an enum cli_exit: node refusals and
 * failed receipts are 1, usage errors 2, an unreachable node 3. Transactions are signed here,
 * locally; the secret key never leaves the process and is wiped as soon as the signature exists. */
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "engine/engine.h"
#include "engine/genesis.h"
#include "ledger/amount.h"
#include "ledger/hex.h"
#include "ledger/sig.h"
#include "ledger/tx.h"
#include "rpc/client.h"

#define CLI_TIMEOUT_SECS 30 /* per request; tx_send waits for its block, which takes milliseconds */

/* ---- shared steps ---- */

/* Loads the signing key: --dev-key, else --key / $CONCLAVE_KEY, else ./conclave.key if present.
 * Returns: CLI_EXIT_OK with key and addr set, or CLI_EXIT_USAGE (reported). */
static int load_key(uint8_t key[32], uint8_t addr[20], const cli_opts *o)
{
    char err[512];
    const char *path = o->key_file;
    if (o->dev_key >= 0) {
        eng_dev_key(key, (unsigned)o->dev_key);
    } else {
        if (!path && access(CLI_DEFAULT_KEY_FILE, F_OK) == 0)
            path = CLI_DEFAULT_KEY_FILE;
        if (!path) {
            cli_error("no key: give --key FILE or --dev-key N, set CONCLAVE_KEY, or create ./%s with "
                      "`conclave keygen`", CLI_DEFAULT_KEY_FILE);
            return CLI_EXIT_USAGE;
        }
        if (cli_key_read(key, err, sizeof err, path) != ST_OK) {
            cli_error("%s", err);
            return CLI_EXIT_USAGE;
        }
    }
    if (ledger_sig_address(addr, key) != ST_OK) {
        cli_wipe(key, 32);
        cli_error("the key is not a valid secp256k1 secret key");
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

/* Reads the admin token of the dev node whose data directory is --datadir. */
static int load_cookie(char token[CLI_COOKIE_MAX + 1], const cli_opts *o)
{
    char err[512];
    if (!o->datadir) {
        cli_error("admin calls need --datadir DIR of the dev node (its .cookie holds the token)");
        return CLI_EXIT_USAGE;
    }
    if (cli_cookie_read(token, err, sizeof err, o->datadir) != ST_OK) {
        cli_error("%s", err);
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

/* Opens a client for --rpc (token: admin token or NULL). */
static int connect_node(rpc_client **c, const cli_opts *o, const char *token)
{
    *c = rpc_client_new(o->rpc_url, token, CLI_TIMEOUT_SECS);
    if (!*c) {
        cli_error("bad --rpc URL '%s': expected http://HOST:PORT", o->rpc_url);
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

/* Calls method and reports any failure. Out: *result on CLI_EXIT_OK (caller owns; cJSON_Delete). */
static int call(rpc_client *c, const cli_opts *o, const char *method, const cJSON *params, cJSON **result)
{
    cJSON *error = NULL;
    int rc = rpc_client_call(c, method, params, result, &error);
    if (rc == ST_OK)
        return CLI_EXIT_OK;
    if (rc == ST_INVALID && error) {
        char *text = cli_rpc_error_text(error);
        cli_error("the node refused %s: %s", method, text ? text : "out of memory");
        free(text);
        cJSON_Delete(error);
        return CLI_EXIT_FAILED;
    }
    cJSON_Delete(error);
    if (rc == ST_IO) {
        cli_error("cannot reach the node at %s (is conclaved running? see --rpc and CONCLAVE_RPC)", o->rpc_url);
        return CLI_EXIT_UNREACHABLE;
    }
    cli_error("%s failed: %s", method, st_str(rc));
    return CLI_EXIT_FAILED;
}

/* Connects (no token), calls a method with params, prints the result with show or as JSON. */
static int query(const cli_opts *o, const char *method, const cJSON *params, void (*show)(const cJSON *))
{
    rpc_client *c = NULL;
    cJSON *result = NULL;
    int ex = connect_node(&c, o, NULL);
    if (ex == CLI_EXIT_OK)
        ex = call(c, o, method, params, &result);
    if (ex == CLI_EXIT_OK)
        (o->json ? cli_print_json : show)(result);
    cJSON_Delete(result);
    rpc_client_free(c);
    return ex;
}

/* Reads a non-negative integer member of a node answer. */
static bool json_u64(const cJSON *obj, const char *key, uint64_t *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > (double)CLI_JSON_INT_MAX
        || v->valuedouble != (double)(uint64_t)v->valuedouble)
        return false;
    *out = (uint64_t)v->valuedouble;
    return true;
}

/* Prints a receipt (or its JSON); returns CLI_EXIT_FAILED unless its status is success. */
static int show_receipt(const cJSON *receipt, const cli_opts *o)
{
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(receipt, "status");
    bool ok = cJSON_IsString(status) && strcmp(status->valuestring, "success") == 0;
    if (o->json)
        cli_print_json(receipt);
    else
        cli_print_receipt(receipt, o->raw);
    if (!ok) {
        const cJSON *error = cJSON_GetObjectItemCaseSensitive(receipt, "error");
        cli_error("the transaction failed: %s", cJSON_IsString(error) ? error->valuestring : "no reason given");
    }
    return ok ? CLI_EXIT_OK : CLI_EXIT_FAILED;
}

/* Prints an address alone, or as {"address": ...} with --json. */
static int print_address(const uint8_t addr[20], const cli_opts *o)
{
    char text[LEDGER_ADDR_STRLEN];
    ledger_addr_format(text, addr);
    if (!o->json) {
        puts(text);
        return CLI_EXIT_OK;
    }
    cJSON *j = cJSON_CreateObject();
    if (!j || !cJSON_AddStringToObject(j, "address", text)) {
        cJSON_Delete(j);
        cli_error("out of memory");
        return CLI_EXIT_FAILED;
    }
    cli_print_json(j);
    cJSON_Delete(j);
    return CLI_EXIT_OK;
}

/* ---- the commands ---- */

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
    return print_address(addr, o);
}

static int cmd_address(const cli_opts *o)
{
    uint8_t key[32], addr[20];
    int ex = load_key(key, addr, o);
    cli_wipe(key, sizeof key);
    if (ex != CLI_EXIT_OK)
        return ex;
    return print_address(addr, o);
}

static int cmd_info(const cli_opts *o)
{
    return query(o, "node_info", NULL, cli_print_info);
}

static void show_account_human(const cJSON *a)
{
    cli_print_account(a, false);
}

static void show_account_raw(const cJSON *a)
{
    cli_print_account(a, true);
}

static int cmd_account(const cli_opts *o)
{
    uint8_t key[32], addr[20];
    char err[512], text[LEDGER_ADDR_STRLEN];
    int ex;
    if (o->argc == 1) {
        ex = cli_arg_address(addr, err, sizeof err, o->argv[0]) == ST_OK ? CLI_EXIT_OK : CLI_EXIT_USAGE;
        if (ex != CLI_EXIT_OK)
            cli_error("%s", err);
    } else {
        ex = load_key(key, addr, o);
        cli_wipe(key, sizeof key);
    }
    if (ex != CLI_EXIT_OK)
        return ex;
    ledger_addr_format(text, addr);
    cJSON *params = cJSON_CreateObject();
    if (!params || !cJSON_AddStringToObject(params, "address", text)) {
        cJSON_Delete(params);
        cli_error("out of memory");
        return CLI_EXIT_FAILED;
    }
    ex = query(o, "ledger_getAccount", params, o->raw ? show_account_raw : show_account_human);
    cJSON_Delete(params);
    return ex;
}

/* Builds the Transfer message {to, amount, nonce} of canonical strings. NULL on out of memory. */
static cJSON *transfer_message(const uint8_t to[20], const mpz_t amount, uint64_t nonce)
{
    char to_text[LEDGER_ADDR_STRLEN], amount_text[LEDGER_AMOUNT_STRLEN], nonce_text[24];
    ledger_addr_format(to_text, to);
    ledger_amount_format(amount_text, amount);
    snprintf(nonce_text, sizeof nonce_text, "%llu", (unsigned long long)nonce);
    cJSON *m = cJSON_CreateObject();
    if (!m || !cJSON_AddStringToObject(m, "to", to_text) || !cJSON_AddStringToObject(m, "amount", amount_text)
        || !cJSON_AddStringToObject(m, "nonce", nonce_text)) {
        cJSON_Delete(m);
        return NULL;
    }
    return m;
}

static int cmd_transfer(const cli_opts *o)
{
    uint8_t key[32], from[20], to[20];
    char err[512], from_text[LEDGER_ADDR_STRLEN];
    uint64_t chain_id = 0, nonce = 0;
    rpc_client *c = NULL;
    cJSON *info = NULL, *acct = NULL, *msg = NULL, *signed_tx = NULL, *receipt = NULL;
    ledger_tx tx;
    mpz_t amount;
    int ex;

    memset(&tx, 0, sizeof tx);
    mpz_init(amount);
    if (cli_arg_address(to, err, sizeof err, o->argv[0]) != ST_OK
        || cli_arg_amount(amount, err, sizeof err, o->argv[1], o->raw) != ST_OK) {
        cli_error("%s", err);
        ex = CLI_EXIT_USAGE;
        goto out;
    }
    if ((ex = load_key(key, from, o)) != CLI_EXIT_OK)
        goto out;
    ledger_addr_format(from_text, from);
    if ((ex = connect_node(&c, o, NULL)) != CLI_EXIT_OK || (ex = call(c, o, "node_info", NULL, &info)) != CLI_EXIT_OK)
        goto out;
    ex = CLI_EXIT_FAILED;
    if (!json_u64(info, "chainId", &chain_id)) {
        cli_error("node_info gave no usable chainId");
        goto out;
    }
    if (!(msg = cJSON_CreateObject()) || !cJSON_AddStringToObject(msg, "address", from_text)) {
        cli_error("out of memory");
        goto out;
    }
    if ((ex = call(c, o, "ledger_getAccount", msg, &acct)) != CLI_EXIT_OK)
        goto out;
    ex = CLI_EXIT_FAILED;
    if (!json_u64(acct, "nonce", &nonce)) {
        cli_error("ledger_getAccount gave no usable nonce for %s", from_text);
        goto out;
    }
    cJSON_Delete(msg);
    if (!(msg = transfer_message(to, amount, nonce))) {
        cli_error("out of memory");
        goto out;
    }
    if (ledger_tx_build_signed(&tx, err, sizeof err, "Transfer", msg, key, chain_id) != ST_OK) {
        cli_error("cannot sign the transfer: %s", err);
        goto out;
    }
    cli_wipe(key, sizeof key);
    /* "from" lets the node refuse a signature that is not the sender's as such */
    if (!(signed_tx = ledger_tx_to_json(&tx)) || !cJSON_AddStringToObject(signed_tx, "from", from_text)) {
        cli_error("out of memory");
        goto out;
    }
    if (o->sign_only) {
        char *text = cJSON_PrintUnformatted(signed_tx);
        ex = text && puts(text) >= 0 ? CLI_EXIT_OK : CLI_EXIT_FAILED;
        cJSON_free(text);
        goto out;
    }
    if ((ex = call(c, o, "tx_send", signed_tx, &receipt)) != CLI_EXIT_OK)
        goto out;
    ex = show_receipt(receipt, o);
out:
    cli_wipe(key, sizeof key);
    ledger_tx_clear(&tx);
    cJSON_Delete(receipt);
    cJSON_Delete(signed_tx);
    cJSON_Delete(msg);
    cJSON_Delete(acct);
    cJSON_Delete(info);
    rpc_client_free(c);
    mpz_clear(amount);
    return ex;
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
    int ex = query(o, "ledger_getBlock", params, cli_print_block);
    cJSON_Delete(params);
    return ex;
}

static void show_tx(const cJSON *tx)
{
    cli_print_tx(tx, false);
}

static void show_tx_raw(const cJSON *tx)
{
    cli_print_tx(tx, true);
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
    int ex = query(o, "ledger_getTransaction", params, o->raw ? show_tx_raw : show_tx);
    cJSON_Delete(params);
    return ex;
}

static int cmd_audit(const cli_opts *o)
{
    rpc_client *c = NULL;
    cJSON *result = NULL;
    int ex = connect_node(&c, o, NULL);
    if (ex == CLI_EXIT_OK)
        ex = call(c, o, "ledger_audit", NULL, &result);
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
    rpc_client_free(c);
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
            puts("replay OK: every block hash, receipt status and balance matches");
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
    uint8_t to[20];
    char err[512], token[CLI_COOKIE_MAX + 1], to_text[LEDGER_ADDR_STRLEN], amount_text[LEDGER_AMOUNT_STRLEN];
    rpc_client *c = NULL;
    cJSON *params = NULL, *receipt = NULL;
    mpz_t amount;
    int ex;

    mpz_init(amount);
    if (cli_arg_address(to, err, sizeof err, o->argv[0]) != ST_OK
        || cli_arg_amount(amount, err, sizeof err, o->argv[1], o->raw) != ST_OK) {
        cli_error("%s", err);
        ex = CLI_EXIT_USAGE;
        goto out;
    }
    if ((ex = load_cookie(token, o)) != CLI_EXIT_OK)
        goto out;
    ledger_addr_format(to_text, to);
    ledger_amount_format(amount_text, amount);
    params = cJSON_CreateObject();
    if (!params || !cJSON_AddStringToObject(params, "to", to_text)
        || !cJSON_AddStringToObject(params, "amount", amount_text)) {
        cli_error("out of memory");
        ex = CLI_EXIT_FAILED;
        goto out;
    }
    if ((ex = connect_node(&c, o, token)) != CLI_EXIT_OK || (ex = call(c, o, "admin_mint", params, &receipt)) != CLI_EXIT_OK)
        goto out;
    ex = show_receipt(receipt, o);
out:
    cli_wipe(token, sizeof token);
    cJSON_Delete(receipt);
    cJSON_Delete(params);
    rpc_client_free(c);
    mpz_clear(amount);
    return ex;
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
    char err[512], token[CLI_COOKIE_MAX + 1];
    uint64_t secs;
    rpc_client *c = NULL;
    cJSON *params = NULL, *result = NULL;
    int ex;

    if (cli_arg_uint(&secs, err, sizeof err, o->argv[0], "seconds") != ST_OK) {
        cli_error("%s", err);
        return CLI_EXIT_USAGE;
    }
    if ((ex = load_cookie(token, o)) != CLI_EXIT_OK)
        return ex;
    params = cJSON_CreateObject();
    if (!params || !cJSON_AddNumberToObject(params, "seconds", (double)secs)) {
        cli_error("out of memory");
        ex = CLI_EXIT_FAILED;
        goto out;
    }
    if ((ex = connect_node(&c, o, token)) != CLI_EXIT_OK
        || (ex = call(c, o, "admin_advanceTime", params, &result)) != CLI_EXIT_OK)
        goto out;
    (o->json ? cli_print_json : show_time)(result);
out:
    cli_wipe(token, sizeof token);
    cJSON_Delete(result);
    cJSON_Delete(params);
    rpc_client_free(c);
    return ex;
}

/* ---- the table ---- */

static const cli_command commands[] = {
    { .name = "keygen", .synopsis = "[--out FILE]", .summary = "make a new secret key and print its address",
      .help = "Draws a new secp256k1 secret key from the system's randomness and writes it as 0x-hex to\n"
              "FILE (default ./conclave.key), created with mode 0600; an existing file is never\n"
              "overwritten. Prints the key's address. Keep the file secret: it controls the account.\n",
      .min_args = 0, .max_args = 0, .opts = CLI_OPT_OUT, .fn = cmd_keygen },
    { .name = "address", .synopsis = "[--key FILE | --dev-key N]", .summary = "print the address of a key",
      .help = "Prints the EIP-55 address of the key (no node needed).\n",
      .min_args = 0, .max_args = 0, .opts = CLI_OPT_KEY, .fn = cmd_address },
    { .name = "info", .synopsis = "", .summary = "show the node: chain id, height, head, version",
      .help = "Calls node_info.\n", .min_args = 0, .max_args = 0, .opts = 0, .fn = cmd_info },
    { .name = "account", .synopsis = "[ADDRESS] [--raw] [--key FILE | --dev-key N]",
      .summary = "show an account's nonce and balances",
      .help = "Shows the nonce and the free, escrow and claimable balances of ADDRESS (default: the\n"
              "key's address), in tokens (exact, up to 18 decimals) or with --raw in base units.\n",
      .min_args = 0, .max_args = 1, .opts = CLI_OPT_KEY | CLI_OPT_RAW, .fn = cmd_account },
    { .name = "transfer", .synopsis = "TO AMOUNT [--raw] [--sign-only] [--key FILE | --dev-key N]",
      .summary = "sign and send a Transfer, print its receipt",
      .help = "Moves AMOUNT from the key's free balance to TO. AMOUNT is in tokens (\"1\", \"1.5\", at\n"
              "most 18 decimals, exact) or with --raw in base units (1 token = 10^18). The chain id\n"
              "and the next nonce come from the node; the transaction is signed locally (EIP-712)\n"
              "and sent with tx_send. Exit 1 if the node refuses it or its receipt says failed (a\n"
              "failed transfer still consumes its nonce). With --sign-only it prints the signed\n"
              "transaction, the params of tx_send, instead of sending it.\n",
      .min_args = 2, .max_args = 2, .opts = CLI_OPT_KEY | CLI_OPT_RAW | CLI_OPT_SIGN_ONLY, .fn = cmd_transfer },
    { .name = "block", .synopsis = "[HEIGHT | HASH | latest]", .summary = "show a block and its transactions",
      .help = "Shows a block by height, by 0x hash, or the latest (the default).\n",
      .min_args = 0, .max_args = 1, .opts = 0, .fn = cmd_block },
    { .name = "tx", .synopsis = "HASH [--raw]", .summary = "show a transaction, its status and events",
      .help = "Shows the transaction with 0x hash HASH: its block, sender, message, status and events.\n",
      .min_args = 1, .max_args = 1, .opts = CLI_OPT_RAW, .fn = cmd_tx },
    { .name = "audit", .synopsis = "", .summary = "check the ledger's invariants on the node",
      .help = "Runs ledger_audit (debits equal credits, no negative balance, supply matches issuance)\n"
              "and prints each check. Exit 1 if any fails.\n",
      .min_args = 0, .max_args = 0, .opts = 0, .fn = cmd_audit },
    { .name = "replay", .synopsis = "--datadir DIR [--out FILE]",
      .summary = "rebuild a ledger from its block log and compare",
      .help = "Rebuilds a fresh ledger (in memory, or in the new file FILE) from the genesis and the\n"
              "transactions stored in DIR/conclave.db, locally, without a node; compares every block\n"
              "hash, receipt status and account balance. Prints the counts and OK, or the first\n"
              "difference (exit 1). Run it on a stopped node's directory or a copy.\n",
      .min_args = 0, .max_args = 0, .opts = CLI_OPT_DATADIR | CLI_OPT_OUT, .fn = cmd_replay },
    { .name = "mint", .synopsis = "TO AMOUNT --datadir DIR [--raw]", .summary = "dev node: mint tokens to TO",
      .help = "Calls admin_mint on a --dev node, with the admin token read from DIR/.cookie (DIR is\n"
              "the node's --datadir). AMOUNT as for transfer. Prints the receipt.\n",
      .min_args = 2, .max_args = 2, .opts = CLI_OPT_DATADIR | CLI_OPT_RAW, .fn = cmd_mint },
    { .name = "advance-time", .synopsis = "SECONDS --datadir DIR", .summary = "dev node: move the manual clock",
      .help = "Calls admin_advanceTime on a --dev node (manual clock), with the admin token read from\n"
              "DIR/.cookie. Prints the node's new time.\n",
      .min_args = 1, .max_args = 1, .opts = CLI_OPT_DATADIR, .fn = cmd_advance_time },
};

const cli_command *cli_commands(size_t *n)
{
    *n = sizeof commands / sizeof commands[0];
    return commands;
}
