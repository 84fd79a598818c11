/* SPDX-License-Identifier: MIT */
/* commands.c: one function per `conclave` command, and the command table with each one's help.
 * Every command checks all of its words (and loads its key) before it opens a connection, so a
 * malformed command line never reaches the node. Each returns an enum cli_exit: node refusals and
 * failed receipts are 1, usage errors 2, an unreachable node 3. Transactions are signed here,
 * locally, all through one path (signer_open / signer_send); the secret key never leaves the
 * process and is wiped as soon as the signature exists. */
#include "cli/cli.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "enclave/settle.h"
#include "engine/engine.h"
#include "engine/genesis.h"
#include "ledger/amount.h"
#include "ledger/hex.h"
#include "ledger/sig.h"
#include "ledger/tx.h"
#include "rpc/client.h"

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

/* Reads the admin token of the node whose data directory is --datadir. */
static int load_cookie(char token[CLI_COOKIE_MAX + 1], const cli_opts *o)
{
    char err[512];
    if (!o->datadir) {
        cli_error("admin calls need --datadir DIR of the node (its .cookie holds the token)");
        return CLI_EXIT_USAGE;
    }
    if (cli_cookie_read(token, err, sizeof err, o->datadir) != ST_OK) {
        cli_error("%s", err);
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

/* Opens a client for --rpc with --timeout (token: admin token or NULL). A timeout beyond what
 * the client counts is no limit. */
static int connect_node(rpc_client **c, const cli_opts *o, const char *token)
{
    *c = rpc_client_new(o->rpc_url, token, o->timeout < UINT_MAX ? (unsigned)o->timeout : 0);
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
    if (rc == ST_LIMIT) {
        cli_error("no answer from the node at %s to %s within %llu s; it may still carry the call out "
                  "(--timeout SECONDS waits longer, 0 without a limit)", o->rpc_url, method,
                  (unsigned long long)o->timeout);
        return CLI_EXIT_UNREACHABLE;
    }
    cli_error("%s failed: %s", method, st_str(rc));
    return CLI_EXIT_FAILED;
}

/* Connects (no token), calls a method with params, prints the result with show or as JSON. */
static int query(const cli_opts *o, const char *method, const cJSON *params, void (*show)(const cJSON *, bool raw))
{
    rpc_client *c = NULL;
    cJSON *result = NULL;
    int ex = connect_node(&c, o, NULL);
    if (ex == CLI_EXIT_OK)
        ex = call(c, o, method, params, &result);
    if (ex == CLI_EXIT_OK && o->json)
        cli_print_json(result);
    else if (ex == CLI_EXIT_OK)
        show(result, o->raw);
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

static int out_of_memory(void)
{
    cli_error("out of memory");
    return CLI_EXIT_FAILED;
}

/* ---- words of the command line: each reports a malformed one and returns false for it ---- */

static bool word_address(uint8_t out[20], const char *word)
{
    char err[512];
    if (cli_arg_address(out, err, sizeof err, word) == ST_OK)
        return true;
    cli_error("%s", err);
    return false;
}

/* Tokens, or base units when raw; out initialized by the caller. */
static bool word_amount(mpz_t out, const char *word, bool raw)
{
    char err[512];
    if (cli_arg_amount(out, err, sizeof err, word, raw) == ST_OK)
        return true;
    cli_error("%s", err);
    return false;
}

/* A whole number named what (pool ids, seconds). */
static bool word_uint(uint64_t *out, const char *word, const char *what)
{
    char err[512];
    if (cli_arg_uint(out, err, sizeof err, word, what) == ST_OK)
        return true;
    cli_error("%s", err);
    return false;
}

/* Parts per million, 0..1000000 (or 1..1000000 without zero). */
static bool word_ppm(uint64_t *out, const char *word, const char *what, bool zero)
{
    char err[512];
    if (cli_arg_uint(out, err, sizeof err, word, what) == ST_OK && *out <= 1000000 && (zero || *out > 0))
        return true;
    cli_error("bad %s '%s': expected parts per million, %d to 1000000 (100000 is 10%%)", what, word, zero ? 0 : 1);
    return false;
}

/* ---- message members and params, as canonical strings; false on out of memory ---- */

static bool msg_u64(cJSON *m, const char *key, uint64_t v)
{
    char text[24];
    snprintf(text, sizeof text, "%llu", (unsigned long long)v);
    return cJSON_AddStringToObject(m, key, text) != NULL;
}

static bool msg_amount(cJSON *m, const char *key, const mpz_t v)
{
    char text[LEDGER_AMOUNT_STRLEN];
    ledger_amount_format(text, v);
    return cJSON_AddStringToObject(m, key, text) != NULL;
}

static bool msg_address(cJSON *m, const char *key, const uint8_t addr[20])
{
    char text[LEDGER_ADDR_STRLEN];
    ledger_addr_format(text, addr);
    return cJSON_AddStringToObject(m, key, text) != NULL;
}

/* {"address": addr}. NULL on out of memory; caller owns. */
static cJSON *address_params(const uint8_t addr[20])
{
    cJSON *p = cJSON_CreateObject();
    if (p && !msg_address(p, "address", addr)) {
        cJSON_Delete(p);
        return NULL;
    }
    return p;
}

/* The address in the optional first word, else the key's. Returns CLI_EXIT_OK or CLI_EXIT_USAGE. */
static int address_or_key(uint8_t addr[20], const cli_opts *o)
{
    uint8_t key[32];
    if (o->argc >= 1)
        return word_address(addr, o->argv[0]) ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    int ex = load_key(key, addr, o);
    cli_wipe(key, sizeof key);
    return ex;
}

/* ---- signing: the one path of every signed command ---- */

/* A sender ready to sign on the node's chain. */
typedef struct signer {
    uint8_t key[32];                /* wiped once the signature exists, and by signer_close */
    uint8_t addr[20];
    rpc_client *client;             /* without the admin token */
    uint64_t chain_id;
    uint64_t nonce;                 /* the sender's next nonce */
} signer;

/* Loads the key, connects, reads the chain id (node_info) and the sender's nonce (ledger_getAccount).
 * Release s with signer_close whatever this returns. */
static int signer_open(signer *s, const cli_opts *o)
{
    cJSON *info = NULL, *params = NULL, *acct = NULL;
    memset(s, 0, sizeof *s);
    int ex = load_key(s->key, s->addr, o);
    if (ex != CLI_EXIT_OK)
        return ex;
    if ((ex = connect_node(&s->client, o, NULL)) != CLI_EXIT_OK
        || (ex = call(s->client, o, "node_info", NULL, &info)) != CLI_EXIT_OK)
        goto out;
    ex = CLI_EXIT_FAILED;
    if (!json_u64(info, "chainId", &s->chain_id)) {
        cli_error("node_info gave no usable chainId");
        goto out;
    }
    if (!(params = address_params(s->addr))) {
        ex = out_of_memory();
        goto out;
    }
    if ((ex = call(s->client, o, "ledger_getAccount", params, &acct)) != CLI_EXIT_OK)
        goto out;
    if (!json_u64(acct, "nonce", &s->nonce)) {
        cli_error("ledger_getAccount gave no usable nonce");
        ex = CLI_EXIT_FAILED;
    }
out:
    cJSON_Delete(acct);
    cJSON_Delete(params);
    cJSON_Delete(info);
    return ex;
}

/* Adds the nonce to msg (which holds the type's other members, canonical strings), signs it as a
 * transaction of type, wipes the key, then sends it with tx_send and prints the receipt, or with
 * --sign-only prints the signed transaction (the params of tx_send) and sends nothing.
 * msg: the caller's still (this adds "nonce" to it); NULL (a failed build) reports out of memory. */
static int signer_send(signer *s, const cli_opts *o, const char *type, cJSON *msg)
{
    char err[512], from[LEDGER_ADDR_STRLEN];
    cJSON *signed_tx = NULL, *receipt = NULL;
    ledger_tx tx;
    int ex = CLI_EXIT_FAILED;
    memset(&tx, 0, sizeof tx);
    if (!msg || !msg_u64(msg, "nonce", s->nonce)) {
        cli_wipe(s->key, sizeof s->key);
        return out_of_memory();
    }
    int rc = ledger_tx_build_signed(&tx, err, sizeof err, type, msg, s->key, s->chain_id);
    cli_wipe(s->key, sizeof s->key);
    if (rc != ST_OK) {
        cli_error("cannot sign the %s: %s", type, err);
        goto out;
    }
    /* "from" lets the node refuse a signature that is not the sender's as such */
    ledger_addr_format(from, s->addr);
    if (!(signed_tx = ledger_tx_to_json(&tx)) || !cJSON_AddStringToObject(signed_tx, "from", from)) {
        ex = out_of_memory();
        goto out;
    }
    if (o->sign_only) {
        char *text = cJSON_PrintUnformatted(signed_tx);
        ex = text && puts(text) >= 0 ? CLI_EXIT_OK : CLI_EXIT_FAILED;
        cJSON_free(text);
        goto out;
    }
    if ((ex = call(s->client, o, "tx_send", signed_tx, &receipt)) == CLI_EXIT_OK)
        ex = show_receipt(receipt, o);
out:
    ledger_tx_clear(&tx);
    cJSON_Delete(receipt);
    cJSON_Delete(signed_tx);
    return ex;
}

static void signer_close(signer *s)
{
    cli_wipe(s->key, sizeof s->key);
    rpc_client_free(s->client);
    s->client = NULL;
}

/* Signs and sends a transaction of type whose message needs nothing more from the node than the
 * nonce; msg as for signer_send. */
static int send_signed(const cli_opts *o, const char *type, cJSON *msg)
{
    signer s;
    int ex = signer_open(&s, o);
    if (ex == CLI_EXIT_OK)
        ex = signer_send(&s, o, type, msg);
    signer_close(&s);
    return ex;
}

/* Calls a dev admin method that answers with a receipt, with the token of --datadir's cookie, and
 * prints the receipt. params: borrowed; NULL (a failed build) reports out of memory. */
static int admin_send(const cli_opts *o, const char *method, const cJSON *params)
{
    char token[CLI_COOKIE_MAX + 1];
    rpc_client *c = NULL;
    cJSON *receipt = NULL;
    if (!params)
        return out_of_memory();
    int ex = load_cookie(token, o);
    if (ex != CLI_EXIT_OK)
        return ex;
    if ((ex = connect_node(&c, o, token)) == CLI_EXIT_OK && (ex = call(c, o, method, params, &receipt)) == CLI_EXIT_OK)
        ex = show_receipt(receipt, o);
    cli_wipe(token, sizeof token);
    cJSON_Delete(receipt);
    rpc_client_free(c);
    return ex;
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

static int cmd_account(const cli_opts *o)
{
    uint8_t addr[20];
    int ex = address_or_key(addr, o);
    if (ex != CLI_EXIT_OK)
        return ex;
    cJSON *params = address_params(addr);
    ex = params ? query(o, "ledger_getAccount", params, cli_print_account) : out_of_memory();
    cJSON_Delete(params);
    return ex;
}

static int cmd_transfer(const cli_opts *o)
{
    uint8_t to[20];
    mpz_t amount;
    mpz_init(amount);
    int ex = CLI_EXIT_USAGE;
    if (word_address(to, o->argv[0]) && word_amount(amount, o->argv[1], o->raw)) {
        cJSON *m = cJSON_CreateObject();
        bool ok = m && msg_address(m, "to", to) && msg_amount(m, "amount", amount);
        ex = send_signed(o, "Transfer", ok ? m : NULL);
        cJSON_Delete(m);
    }
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
    int ex = query(o, "ledger_getTransaction", params, cli_print_tx);
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
    rpc_client *c = NULL;
    uint8_t *inputs = NULL, *stored = NULL, *mine = NULL, enclave[20], digest[32], recovered[20];
    size_t inputs_len = 0, stored_len = 0, mine_len = 0;
    enc_settle_input in;
    enc_settle_report theirs, ours;
    enc_settle_input_init(&in);
    enc_settle_report_init(&theirs);
    enc_settle_report_init(&ours);
    int ex = params && cJSON_AddNumberToObject(params, "epoch", (double)epoch) ? connect_node(&c, o, NULL) : out_of_memory();
    if (ex == CLI_EXIT_OK)
        ex = call(c, o, "settlement_getEpoch", params, &result);
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
    rpc_client_free(c);
    return ex;
}

static int cmd_audit(const cli_opts *o)
{
    rpc_client *c = NULL;
    cJSON *result = NULL;
    char token[CLI_COOKIE_MAX + 1];
    int ex = load_cookie(token, o);
    if (ex == CLI_EXIT_OK && (ex = connect_node(&c, o, token)) == CLI_EXIT_OK)
        ex = call(c, o, "ledger_audit", NULL, &result);
    cli_wipe(token, sizeof token);
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
    mpz_t amount;
    mpz_init(amount);
    int ex = CLI_EXIT_USAGE;
    if (word_address(to, o->argv[0]) && word_amount(amount, o->argv[1], o->raw)) {
        cJSON *params = cJSON_CreateObject();
        bool ok = params && msg_address(params, "to", to) && msg_amount(params, "amount", amount);
        ex = admin_send(o, "admin_mint", ok ? params : NULL);
        cJSON_Delete(params);
    }
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

/* ---- stake pools ---- */

/* Shares are counted in base units whatever --raw says. */
static bool word_shares(mpz_t out, const char *word)
{
    if (ledger_amount_parse(out, word, strlen(word)) == ST_OK)
        return true;
    cli_error("bad shares '%s': expected a whole number of shares (base units), like 1000000000000000000", word);
    return false;
}

/* {"pool": id}. NULL on out of memory; caller owns. */
static cJSON *pool_params(uint64_t id)
{
    cJSON *p = cJSON_CreateObject();
    if (p && !cJSON_AddNumberToObject(p, "pool", (double)id)) {
        cJSON_Delete(p);
        return NULL;
    }
    return p;
}

static int cmd_pool_create(const cli_opts *o)
{
    uint64_t ppm;
    mpz_t capacity;
    if (!o->commission || !o->capacity) {
        cli_error("pool create needs --commission PPM and --capacity AMOUNT");
        return CLI_EXIT_USAGE;
    }
    mpz_init(capacity);
    int ex = CLI_EXIT_USAGE;
    if (word_ppm(&ppm, o->commission, "commission", true) && word_amount(capacity, o->capacity, o->raw)) {
        cJSON *m = cJSON_CreateObject();
        bool ok = m && msg_u64(m, "commissionPpm", ppm) && msg_amount(m, "capacity", capacity);
        ex = send_signed(o, "PoolCreate", ok ? m : NULL);
        cJSON_Delete(m);
    }
    mpz_clear(capacity);
    return ex;
}

static int cmd_pool_info(const cli_opts *o)
{
    uint64_t id;
    if (!word_uint(&id, o->argv[0], "pool"))
        return CLI_EXIT_USAGE;
    cJSON *params = pool_params(id);
    int ex = params ? query(o, "staking_getPool", params, cli_print_pool) : out_of_memory();
    cJSON_Delete(params);
    return ex;
}

/* Appends every item of a paged list method to into: base (params without cursor and limit, not
 * consumed) page after page, the items under member. */
static int list_all(rpc_client *c, const cli_opts *o, const char *method, const cJSON *base, const char *member, cJSON *into)
{
    uint64_t cursor = 0;
    bool more = true;
    int ex = CLI_EXIT_OK;
    while (ex == CLI_EXIT_OK && more) {
        cJSON *params = cJSON_Duplicate(base, true), *page = NULL;
        more = false;
        if (!params || !cJSON_AddNumberToObject(params, "limit", 100)
            || (cursor && !cJSON_AddNumberToObject(params, "cursor", (double)cursor))) {
            cJSON_Delete(params);
            return out_of_memory();
        }
        ex = call(c, o, method, params, &page);
        cJSON *items = cJSON_GetObjectItemCaseSensitive(page, member);
        int n = cJSON_GetArraySize(items);
        while (ex == CLI_EXIT_OK && cJSON_GetArraySize(items) > 0) {
            cJSON *item = cJSON_DetachItemFromArray(items, 0);
            if (!cJSON_AddItemToArray(into, item)) {
                cJSON_Delete(item);
                ex = out_of_memory();
            }
        }
        /* an empty page ends the walk whatever it says, so a confused node cannot loop us */
        if (ex == CLI_EXIT_OK && n > 0)
            more = json_u64(page, "next", &cursor);
        cJSON_Delete(page);
        cJSON_Delete(params);
    }
    return ex;
}

/* Lists every item of method (params base) under member, printed with show or as JSON. */
static int list_command(const cli_opts *o, const char *method, const cJSON *base, const char *member,
                        void (*show)(const cJSON *, bool raw))
{
    rpc_client *c = NULL;
    cJSON *all = cJSON_CreateObject(), *items = all ? cJSON_AddArrayToObject(all, member) : NULL;
    int ex = items ? connect_node(&c, o, NULL) : out_of_memory();
    if (ex == CLI_EXIT_OK)
        ex = list_all(c, o, method, base, member, items);
    if (ex == CLI_EXIT_OK && o->json)
        cli_print_json(all);
    else if (ex == CLI_EXIT_OK)
        show(items, o->raw);
    cJSON_Delete(all);
    rpc_client_free(c);
    return ex;
}

static int cmd_pool_list(const cli_opts *o)
{
    bool by_stake = o->sort && strcmp(o->sort, "stake") == 0;
    if (o->sort && !by_stake && strcmp(o->sort, "id") != 0) {
        cli_error("bad --sort '%s': expected id or stake", o->sort);
        return CLI_EXIT_USAGE;
    }
    cJSON *base = cJSON_CreateObject();
    int ex = base && cJSON_AddStringToObject(base, "sort", by_stake ? "stake" : "id")
                 ? list_command(o, "staking_listPools", base, "pools", cli_print_pools)
                 : out_of_memory();
    cJSON_Delete(base);
    return ex;
}

static int cmd_pool_commission(const cli_opts *o)
{
    uint64_t id, ppm;
    if (!word_uint(&id, o->argv[0], "pool") || !word_ppm(&ppm, o->argv[1], "commission", true))
        return CLI_EXIT_USAGE;
    cJSON *m = cJSON_CreateObject();
    bool ok = m && msg_u64(m, "pool", id) && msg_u64(m, "commissionPpm", ppm);
    int ex = send_signed(o, "PoolSetCommission", ok ? m : NULL);
    cJSON_Delete(m);
    return ex;
}

static int cmd_pool_add_worker(const cli_opts *o)
{
    uint64_t id;
    uint8_t worker[20];
    if (!word_uint(&id, o->argv[0], "pool") || !word_address(worker, o->argv[1]))
        return CLI_EXIT_USAGE;
    cJSON *m = cJSON_CreateObject();
    bool ok = m && msg_u64(m, "pool", id) && msg_address(m, "worker", worker);
    int ex = send_signed(o, "WorkerAdd", ok ? m : NULL);
    cJSON_Delete(m);
    return ex;
}

/* pool bond / pool unbond: ID WORKER AMOUNT as a transaction of type. */
static int pool_worker_amount(const cli_opts *o, const char *type)
{
    uint64_t id;
    uint8_t worker[20];
    mpz_t amount;
    mpz_init(amount);
    int ex = CLI_EXIT_USAGE;
    if (word_uint(&id, o->argv[0], "pool") && word_address(worker, o->argv[1])
        && word_amount(amount, o->argv[2], o->raw)) {
        cJSON *m = cJSON_CreateObject();
        bool ok = m && msg_u64(m, "pool", id) && msg_address(m, "worker", worker) && msg_amount(m, "amount", amount);
        ex = send_signed(o, type, ok ? m : NULL);
        cJSON_Delete(m);
    }
    mpz_clear(amount);
    return ex;
}

static int cmd_pool_bond(const cli_opts *o)
{
    return pool_worker_amount(o, "WorkerBond");
}

static int cmd_pool_unbond(const cli_opts *o)
{
    return pool_worker_amount(o, "WorkerUnbond");
}

static int cmd_stake_contribute(const cli_opts *o)
{
    uint64_t id;
    mpz_t amount;
    mpz_init(amount);
    int ex = CLI_EXIT_USAGE;
    if (word_uint(&id, o->argv[0], "pool") && word_amount(amount, o->argv[1], o->raw)) {
        cJSON *m = cJSON_CreateObject();
        bool ok = m && msg_u64(m, "pool", id) && msg_amount(m, "amount", amount);
        ex = send_signed(o, "Contribute", ok ? m : NULL);
        cJSON_Delete(m);
    }
    mpz_clear(amount);
    return ex;
}

/* The shares the signer can still ask for in pool id: held minus already queued. */
static int withdrawable(mpz_t out, signer *s, const cli_opts *o, uint64_t id)
{
    cJSON *params = pool_params(id), *result = NULL;
    if (!params || !msg_address(params, "address", s->addr)) {
        cJSON_Delete(params);
        return out_of_memory();
    }
    int ex = call(s->client, o, "staking_getPosition", params, &result);
    const cJSON *pos = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(result, "positions"), 0);
    const cJSON *held = cJSON_GetObjectItemCaseSensitive(pos, "shares");
    const cJSON *queued = cJSON_GetObjectItemCaseSensitive(pos, "queuedShares");
    mpz_t q;
    mpz_init(q);
    mpz_set_ui(out, 0);
    if (ex == CLI_EXIT_OK && cJSON_IsString(held) && cJSON_IsString(queued)
        && (ledger_amount_parse(out, held->valuestring, strlen(held->valuestring)) != ST_OK
            || ledger_amount_parse(q, queued->valuestring, strlen(queued->valuestring)) != ST_OK)) {
        cli_error("staking_getPosition gave unusable shares");
        ex = CLI_EXIT_FAILED;
    }
    if (ex == CLI_EXIT_OK && mpz_cmp(out, q) <= 0) {
        cli_error("nothing to withdraw: no shares in pool %llu that are not already queued", (unsigned long long)id);
        ex = CLI_EXIT_FAILED;
    }
    if (ex == CLI_EXIT_OK)
        mpz_sub(out, out, q);
    mpz_clear(q);
    cJSON_Delete(result);
    cJSON_Delete(params);
    return ex;
}

static int cmd_stake_withdraw(const cli_opts *o)
{
    uint64_t id;
    signer s = { .client = NULL };
    mpz_t shares;
    if ((o->argc == 2) == o->all) {
        cli_error("stake withdraw takes SHARES or --all, not %s", o->all ? "both" : "neither");
        return CLI_EXIT_USAGE;
    }
    mpz_init(shares);
    int ex = CLI_EXIT_USAGE;
    if (word_uint(&id, o->argv[0], "pool") && (o->all || word_shares(shares, o->argv[1])))
        ex = signer_open(&s, o);
    if (ex == CLI_EXIT_OK && o->all)
        ex = withdrawable(shares, &s, o, id);
    if (ex == CLI_EXIT_OK) {
        cJSON *m = cJSON_CreateObject();
        bool ok = m && msg_u64(m, "pool", id) && msg_amount(m, "shares", shares);
        ex = signer_send(&s, o, "Withdraw", ok ? m : NULL);
        cJSON_Delete(m);
    }
    signer_close(&s);
    mpz_clear(shares);
    return ex;
}

static int cmd_stake_claim(const cli_opts *o)
{
    uint64_t id;
    if (!word_uint(&id, o->argv[0], "pool"))
        return CLI_EXIT_USAGE;
    cJSON *m = cJSON_CreateObject();
    bool ok = m && msg_u64(m, "pool", id);
    int ex = send_signed(o, "Claim", ok ? m : NULL);
    cJSON_Delete(m);
    return ex;
}

static int cmd_stake_position(const cli_opts *o)
{
    uint8_t addr[20];
    int ex = address_or_key(addr, o);
    if (ex != CLI_EXIT_OK)
        return ex;
    cJSON *params = address_params(addr);
    ex = params ? query(o, "staking_getPosition", params, cli_print_position) : out_of_memory();
    cJSON_Delete(params);
    return ex;
}

/* ---- governance ---- */

/* {"id": id}. NULL on out of memory; caller owns. */
static cJSON *id_params(uint64_t id)
{
    cJSON *p = cJSON_CreateObject();
    if (p && !cJSON_AddNumberToObject(p, "id", (double)id)) {
        cJSON_Delete(p);
        return NULL;
    }
    return p;
}

/* --conviction, 0 when not given. */
static bool opt_conviction(uint64_t *out, const cli_opts *o)
{
    *out = 0;
    if (!o->conviction)
        return true;
    if (!word_uint(out, o->conviction, "conviction"))
        return false;
    if (*out > 6) {
        cli_error("bad conviction '%s': 0 (0.1x, no lock) to 6 (6x, locked 32 lock periods)", o->conviction);
        return false;
    }
    return true;
}

/* The track and title: --track and --title, the positional words filling whichever is not given,
 * in that order. Returns false (reported) unless both are known and no word is left over. */
static bool propose_names(const char **track, const char **title, const cli_opts *o)
{
    int i = 0;
    *track = o->track;
    *title = o->title;
    if (!*track && i < o->argc)
        *track = o->argv[i++];
    if (!*title && i < o->argc)
        *title = o->argv[i++];
    if (i < o->argc)
        cli_error("gov propose: too many arguments (from '%s' on; --track and --title stand for TRACK and TITLE)",
                  o->argv[i]);
    else if (!*track || !*title)
        cli_error("gov propose needs a track and a title: TRACK TITLE, or --track TRACK --title TITLE");
    return i == o->argc && *track && *title;
}

static int cmd_gov_propose(const cli_opts *o)
{
    char err[512], *payload = NULL, *body = NULL, *hex = NULL;
    const char *track, *title;
    cJSON *m = NULL;
    int ex = CLI_EXIT_USAGE, rc;
    if (!propose_names(&track, &title, o))
        return ex;
    if (o->body && o->body_file) {
        cli_error("give --body or --body-file, not both");
        return ex;
    }
    if ((rc = cli_arg_payload(&payload, err, sizeof err, &o->payload, o->raw)) != ST_OK) {
        cli_error("%s", rc == ST_NOMEM ? "out of memory" : err);
        return rc == ST_NOMEM ? CLI_EXIT_FAILED : ex;
    }
    if (o->body_file && (rc = cli_arg_body_file(&body, err, sizeof err, o->body_file)) != ST_OK) {
        cli_error("%s", rc == ST_NOMEM ? "out of memory" : err);
        ex = rc == ST_NOMEM ? CLI_EXIT_FAILED : ex;
        goto out;
    }
    size_t len = payload ? strlen(payload) : 0;
    if (!(hex = malloc(2 * len + 3))) {
        ex = out_of_memory();
        goto out;
    }
    ledger_hex_encode(hex, (const uint8_t *)payload, len); /* "0x" alone for a text proposal */
    m = cJSON_CreateObject();
    bool ok = m && cJSON_AddStringToObject(m, "track", track) && cJSON_AddStringToObject(m, "title", title)
              && cJSON_AddStringToObject(m, "body", body ? body : o->body ? o->body : "")
              && cJSON_AddStringToObject(m, "payload", hex);
    ex = send_signed(o, "Propose", ok ? m : NULL);
out:
    cJSON_Delete(m);
    free(hex);
    free(body);
    cJSON_free(payload);
    return ex;
}

static int cmd_gov_vote(const cli_opts *o)
{
    static const char *const sides[] = { "against", "for", "abstain" };
    uint64_t id, conviction, support = 3;
    for (uint64_t i = 0; i < 3; i++)
        if (strcmp(o->argv[1], sides[i]) == 0)
            support = i;
    if (!word_uint(&id, o->argv[0], "proposal") || !opt_conviction(&conviction, o))
        return CLI_EXIT_USAGE;
    if (support > 2) {
        cli_error("bad vote '%s': expected for, against or abstain", o->argv[1]);
        return CLI_EXIT_USAGE;
    }
    cJSON *m = cJSON_CreateObject();
    bool ok = m && msg_u64(m, "proposal", id) && msg_u64(m, "support", support) && msg_u64(m, "conviction", conviction);
    int ex = send_signed(o, "Vote", ok ? m : NULL);
    cJSON_Delete(m);
    return ex;
}

static int cmd_gov_delegate(const cli_opts *o)
{
    uint8_t to[20];
    uint64_t conviction;
    if (!word_address(to, o->argv[0]) || !opt_conviction(&conviction, o))
        return CLI_EXIT_USAGE;
    cJSON *m = cJSON_CreateObject();
    bool ok = m && msg_address(m, "to", to) && msg_u64(m, "conviction", conviction);
    int ex = send_signed(o, "Delegate", ok ? m : NULL);
    cJSON_Delete(m);
    return ex;
}

static int cmd_gov_undelegate(const cli_opts *o)
{
    cJSON *m = cJSON_CreateObject();
    int ex = send_signed(o, "Undelegate", m);
    cJSON_Delete(m);
    return ex;
}

/* A transaction whose one member is the proposal id in argv[0]. */
static int proposal_tx(const cli_opts *o, const char *type)
{
    uint64_t id;
    if (!word_uint(&id, o->argv[0], "proposal"))
        return CLI_EXIT_USAGE;
    cJSON *m = cJSON_CreateObject();
    bool ok = m && msg_u64(m, "proposal", id);
    int ex = send_signed(o, type, ok ? m : NULL);
    cJSON_Delete(m);
    return ex;
}

static int cmd_gov_cancel(const cli_opts *o)
{
    return proposal_tx(o, "ProposalCancel");
}

static int cmd_gov_execute(const cli_opts *o)
{
    return proposal_tx(o, "ProposalExecute");
}

static int cmd_gov_proposals(const cli_opts *o)
{
    cJSON *base = cJSON_CreateObject();
    bool ok = base && (!o->state || cJSON_AddStringToObject(base, "state", o->state))
              && (!o->track || cJSON_AddStringToObject(base, "track", o->track));
    int ex = ok ? list_command(o, "gov_listProposals", base, "proposals", cli_print_proposals) : out_of_memory();
    cJSON_Delete(base);
    return ex;
}

static int cmd_gov_proposal(const cli_opts *o)
{
    uint64_t id;
    if (!word_uint(&id, o->argv[0], "proposal"))
        return CLI_EXIT_USAGE;
    cJSON *params = id_params(id);
    int ex = params ? query(o, "gov_getProposal", params, cli_print_proposal) : out_of_memory();
    cJSON_Delete(params);
    return ex;
}

static int cmd_gov_power(const cli_opts *o)
{
    uint8_t addr[20];
    uint64_t id = 0;
    if (o->proposal && !word_uint(&id, o->proposal, "proposal"))
        return CLI_EXIT_USAGE;
    int ex = address_or_key(addr, o);
    if (ex != CLI_EXIT_OK)
        return ex;
    cJSON *params = address_params(addr);
    bool ok = params && (!o->proposal || cJSON_AddNumberToObject(params, "proposal", (double)id));
    ex = ok ? query(o, "gov_votingPower", params, cli_print_power) : out_of_memory();
    cJSON_Delete(params);
    return ex;
}

static int cmd_admin_reward_pool(const cli_opts *o)
{
    uint64_t id;
    mpz_t amount;
    mpz_init(amount);
    int ex = CLI_EXIT_USAGE;
    if (word_uint(&id, o->argv[0], "pool") && word_amount(amount, o->argv[1], o->raw)) {
        cJSON *params = pool_params(id);
        bool ok = params && msg_amount(params, "amount", amount);
        ex = admin_send(o, "admin_rewardPool", ok ? params : NULL);
        cJSON_Delete(params);
    }
    mpz_clear(amount);
    return ex;
}

static int cmd_admin_slash_worker(const cli_opts *o)
{
    uint8_t worker[20];
    uint64_t ppm;
    if (!word_address(worker, o->argv[0]) || !word_ppm(&ppm, o->argv[1], "slash", false))
        return CLI_EXIT_USAGE;
    cJSON *params = cJSON_CreateObject();
    bool ok = params && msg_address(params, "worker", worker) && cJSON_AddNumberToObject(params, "ppm", (double)ppm);
    int ex = admin_send(o, "admin_slashWorker", ok ? params : NULL);
    cJSON_Delete(params);
    return ex;
}

/* ---- the table ---- */

#define SIGNING (CLI_OPT_KEY | CLI_OPT_RAW | CLI_OPT_SIGN_ONLY)
#define SIGNED_HELP                                                                                  \
    "Signed and sent like transfer (see conclave help transfer): exit 1 if the node refuses it or\n" \
    "its receipt says failed; with --sign-only it prints the signed transaction instead. KEY is\n"   \
    "--key FILE or --dev-key N.\n"

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
      .min_args = 2, .max_args = 2, .opts = SIGNING, .fn = cmd_transfer },
    { .name = "pool create", .synopsis = "--commission PPM --capacity AMOUNT [--raw] [--sign-only] [KEY]",
      .summary = "create a stake pool owned by the key",
      .help = "Signs a PoolCreate: a new pool owned by the key's address, taking commission PPM parts\n"
              "per million of its rewards (100000 is 10%, at most 1000000) and at most AMOUNT of stake\n"
              "(tokens, or base units with --raw). The receipt's PoolCreated event names the new pool's\n"
              "id.\n" SIGNED_HELP,
      .min_args = 0, .max_args = 0, .opts = CLI_OPT_POOL | SIGNING, .fn = cmd_pool_create },
    { .name = "pool info", .synopsis = "ID [--raw]", .summary = "show a stake pool",
      .help = "Calls staking_getPool: owner, commission (and a raise waiting for its notice), capacity,\n"
              "stake, free, bonded and unbonding stake, shares and their price (tokens per 10^18\n"
              "shares), workers and the queued withdrawals. Exit 1 for an unknown pool.\n",
      .min_args = 1, .max_args = 1, .opts = CLI_OPT_RAW, .fn = cmd_pool_info },
    { .name = "pool list", .synopsis = "[--sort id|stake] [--raw]", .summary = "list the stake pools",
      .help = "Lists every pool (staking_listPools, page after page) by id, or with --sort stake the\n"
              "largest stake first.\n",
      .min_args = 0, .max_args = 0, .opts = CLI_OPT_SORT | CLI_OPT_RAW, .fn = cmd_pool_list },
    { .name = "pool commission", .synopsis = "ID PPM [--sign-only] [KEY]", .summary = "change a pool's commission",
      .help = "Signs a PoolSetCommission (owner only). A lower commission applies at once; a higher one\n"
              "after the chain's notice period (pool info shows it as the raise).\n" SIGNED_HELP,
      .min_args = 2, .max_args = 2, .opts = SIGNING, .fn = cmd_pool_commission },
    { .name = "pool add-worker", .synopsis = "ID WORKER [--sign-only] [KEY]", .summary = "add a worker to a pool",
      .help = "Signs a WorkerAdd (owner only): WORKER's address joins pool ID; a worker belongs to one\n"
              "pool.\n" SIGNED_HELP,
      .min_args = 2, .max_args = 2, .opts = SIGNING, .fn = cmd_pool_add_worker },
    { .name = "pool bond", .synopsis = "ID WORKER AMOUNT [--raw] [--sign-only] [KEY]",
      .summary = "bond a pool's free stake to its worker",
      .help = "Signs a WorkerBond (owner only): AMOUNT of the pool's free stake is bonded to WORKER.\n"
              SIGNED_HELP,
      .min_args = 3, .max_args = 3, .opts = SIGNING, .fn = cmd_pool_bond },
    { .name = "pool unbond", .synopsis = "ID WORKER AMOUNT [--raw] [--sign-only] [KEY]",
      .summary = "start unbonding a worker's stake",
      .help = "Signs a WorkerUnbond (owner only): AMOUNT of WORKER's bonded stake cools down for the\n"
              "chain's unbonding period, then becomes free stake of the pool again (paying the\n"
              "withdraw queue first).\n" SIGNED_HELP,
      .min_args = 3, .max_args = 3, .opts = SIGNING, .fn = cmd_pool_unbond },
    { .name = "stake contribute", .synopsis = "POOL AMOUNT [--raw] [--sign-only] [KEY]",
      .summary = "stake tokens in a pool for shares",
      .help = "Signs a Contribute: AMOUNT moves from the key's free balance into pool POOL, which mints\n"
              "shares at its current price (rounded down).\n" SIGNED_HELP,
      .min_args = 2, .max_args = 2, .opts = SIGNING, .fn = cmd_stake_contribute },
    { .name = "stake withdraw", .synopsis = "POOL (SHARES | --all) [--sign-only] [KEY]",
      .summary = "withdraw shares from a pool",
      .help = "Signs a Withdraw of SHARES (a whole number of shares, base units; --raw only changes how\n"
              "the receipt shows amounts), or with --all of every share not already queued. It is paid\n"
              "at once from the pool's free stake; what that does not cover waits in the pool's\n"
              "withdraw queue (first in, first out) and is paid as stake becomes free.\n" SIGNED_HELP,
      .min_args = 1, .max_args = 2, .opts = CLI_OPT_ALL | SIGNING, .fn = cmd_stake_withdraw },
    { .name = "stake claim", .synopsis = "POOL [--sign-only] [KEY]", .summary = "claim staking rewards",
      .help = "Signs a Claim: settles the key's pending rewards in POOL, then moves its whole claimable\n"
              "balance (rewards of every pool, and commission for an owner) to its free balance.\n"
              SIGNED_HELP,
      .min_args = 1, .max_args = 1, .opts = SIGNING, .fn = cmd_stake_claim },
    { .name = "stake position", .synopsis = "[ADDRESS] [--raw] [--key FILE | --dev-key N]",
      .summary = "show an address's stakes and rewards",
      .help = "Calls staking_getPosition for ADDRESS (default: the key's address): per pool its shares,\n"
              "their value, pending rewards and queued withdrawal; and its claimable balance.\n",
      .min_args = 0, .max_args = 1, .opts = CLI_OPT_KEY | CLI_OPT_RAW, .fn = cmd_stake_position },
    { .name = "gov propose",
      .synopsis = "TRACK TITLE [--body TEXT | --body-file FILE] [PAYLOAD] [--raw] [--sign-only] [KEY]",
      .summary = "propose on a governance track",
      .help = "Signs a Propose on TRACK (root, treasury, params, enclave on the dev chain; see the node's\n"
              "gov_listTracks), titled TITLE; --track and --title may name them instead. The track's\n"
              "deposit is reserved from the key's free balance and returned when the proposal ends\n"
              "(part of it is burned if you cancel it). The key needs the track's threshold of voting\n"
              "power. PAYLOAD is what the proposal does, at most one of:\n"
              "  --spend TO AMOUNT          pay AMOUNT (tokens, base units with --raw) from the treasury\n"
              "  --param NAME VALUE         set a governed parameter; VALUE a whole number as\n"
              "                             gov_getParams shows it (base units, seconds or ppm)\n"
              "  --allow-enclave 0xMEAS     add an enclave measurement (32 bytes) to the allowlist\n"
              "  --remove-enclave 0xMEAS    take one off\n"
              "  --payload JSON             any payload as JSON (amounts in base units), e.g.\n"
              "    {\"kind\":\"spend\",\"to\":\"0x…\",\"amount\":\"1000000000000000000\"}\n"
              "    {\"kind\":\"param\",\"name\":\"staking.minContribution\",\"value\":\"2000000000000000000\"}\n"
              "    {\"kind\":\"enclaveAllow\",\"measurement\":\"0x…\"}   (or enclaveRemove)\n"
              "    {\"kind\":\"slashCancel\",\"slash\":3}\n"
              "Without one the proposal is text only. --body-file reads the body (at most 16384 bytes)\n"
              "from FILE. The receipt's ProposalCreated event names the proposal's id.\n" SIGNED_HELP,
      .min_args = 0, .max_args = 2, .opts = CLI_OPT_PROPOSE | CLI_OPT_TRACK | SIGNING, .fn = cmd_gov_propose },
    { .name = "gov vote", .synopsis = "ID for|against|abstain [--conviction N] [--sign-only] [KEY]",
      .summary = "vote on a proposal",
      .help = "Signs a Vote on proposal ID with the key's voting power at the proposal's snapshot (and\n"
              "what its delegators lent it then). --conviction 0 (the default) counts 0.1x and locks\n"
              "nothing; 1 to 6 count 1x to 6x and lock that stake for 1, 2, 4, 8, 16 or 32 lock periods\n"
              "after the vote ends. Voting again while the proposal is Active replaces the vote.\n"
              SIGNED_HELP,
      .min_args = 2, .max_args = 2, .opts = CLI_OPT_CONVICTION | SIGNING, .fn = cmd_gov_vote },
    { .name = "gov delegate", .synopsis = "TO [--conviction N] [--sign-only] [KEY]",
      .summary = "lend your voting power to another address",
      .help = "Signs a Delegate: TO votes with the key's power (at the conviction given, default 0) on\n"
              "proposals whose snapshot comes after it, unless the key votes itself, which overrides it\n"
              "for that proposal. No chains: TO may not delegate. With a conviction the stake stays\n"
              "locked while delegated and for its lock periods after gov undelegate.\n" SIGNED_HELP,
      .min_args = 1, .max_args = 1, .opts = CLI_OPT_CONVICTION | SIGNING, .fn = cmd_gov_delegate },
    { .name = "gov undelegate", .synopsis = "[--sign-only] [KEY]", .summary = "end your delegation",
      .help = "Signs an Undelegate.\n" SIGNED_HELP,
      .min_args = 0, .max_args = 0, .opts = SIGNING, .fn = cmd_gov_undelegate },
    { .name = "gov cancel", .synopsis = "ID [--sign-only] [KEY]", .summary = "cancel your pending proposal",
      .help = "Signs a ProposalCancel: only the proposer, only while Pending; part of the deposit is\n"
              "burned (cancelBurnPpm of gov_listTracks), the rest returned.\n" SIGNED_HELP,
      .min_args = 1, .max_args = 1, .opts = SIGNING, .fn = cmd_gov_cancel },
    { .name = "gov execute", .synopsis = "ID [--sign-only] [KEY]", .summary = "carry out a passed proposal",
      .help = "Signs a ProposalExecute: anyone may, once the proposal is Queued and its eta has come, and\n"
              "before it expires. The payload runs exactly once.\n" SIGNED_HELP,
      .min_args = 1, .max_args = 1, .opts = SIGNING, .fn = cmd_gov_execute },
    { .name = "gov proposals", .synopsis = "[--state S] [--track T] [--raw]", .summary = "list proposals",
      .help = "Lists proposals newest first (gov_listProposals, page after page), with their state and\n"
              "tally; --state (Pending, Active, Defeated, Succeeded, Queued, Executed, Expired, Failed,\n"
              "Canceled) and --track keep only those.\n",
      .min_args = 0, .max_args = 0, .opts = CLI_OPT_FILTER | CLI_OPT_TRACK | CLI_OPT_RAW, .fn = cmd_gov_proposals },
    { .name = "gov proposal", .synopsis = "ID [--raw]", .summary = "show a proposal, its timeline and tally",
      .help = "Calls gov_getProposal: the proposer, track, payload, state, snapshot, timeline and the\n"
              "tally with whether quorum and approval are reached. Exit 1 for an unknown proposal.\n",
      .min_args = 1, .max_args = 1, .opts = CLI_OPT_RAW, .fn = cmd_gov_proposal },
    { .name = "gov power", .synopsis = "[ADDRESS] [--proposal ID] [--raw] [--key FILE | --dev-key N]",
      .summary = "show an address's voting power",
      .help = "Calls gov_votingPower for ADDRESS (default: the key's address), now or with --proposal at\n"
              "that proposal's snapshot: its own staked value, what its delegators lend it, and the\n"
              "weight that carries with their convictions.\n",
      .min_args = 0, .max_args = 1, .opts = CLI_OPT_PROPOSAL | CLI_OPT_KEY | CLI_OPT_RAW, .fn = cmd_gov_power },
    { .name = "block", .synopsis = "[HEIGHT | HASH | latest]", .summary = "show a block and its transactions",
      .help = "Shows a block by height, by 0x hash, or the latest (the default).\n",
      .min_args = 0, .max_args = 1, .opts = 0, .fn = cmd_block },
    { .name = "tx", .synopsis = "HASH [--raw]", .summary = "show a transaction, its status and events",
      .help = "Shows the transaction with 0x hash HASH: its block, sender, message, status and events.\n",
      .min_args = 1, .max_args = 1, .opts = CLI_OPT_RAW, .fn = cmd_tx },
    { .name = "audit", .synopsis = "--datadir DIR", .summary = "check the ledger's invariants on the node",
      .help = "Runs ledger_audit (debits equal credits, no negative balance, supply matches issuance)\n"
              "with the admin token read from DIR/.cookie (DIR is the node's --datadir), and prints\n"
              "each check. Exit 1 if any fails.\n",
      .min_args = 0, .max_args = 0, .opts = CLI_OPT_DATADIR, .fn = cmd_audit },
    { .name = "verify-epoch", .synopsis = "EPOCH", .summary = "recompute a settled epoch outside the enclave",
      .help = "Fetches the epoch's stored inputs and signed report (settlement_getEpoch), recomputes the\n"
              "report from the inputs with the same math as the enclave, here, and compares the two byte\n"
              "for byte; checks that the registered enclave signed it. Exit 1 on any difference.\n",
      .min_args = 1, .max_args = 1, .opts = 0, .fn = cmd_verify_epoch },
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
              "DIR/.cookie. Prints the node's new time once the node has run everything that fell due\n"
              "(each epoch closed and settled, in blocks): over many epochs that takes a while, and\n"
              "the client waits up to --timeout SECONDS (default " CLI_STR(CLI_DEFAULT_TIMEOUT) "; 0: no limit).\n",
      .min_args = 1, .max_args = 1, .opts = CLI_OPT_DATADIR, .fn = cmd_advance_time },
    { .name = "admin reward-pool", .synopsis = "POOL AMOUNT --datadir DIR [--raw]",
      .summary = "dev node: reward a pool from the treasury",
      .help = "Calls admin_rewardPool on a --dev node, with the admin token read from DIR/.cookie: the\n"
              "pool's commission goes to its owner's claimable balance, the rest to its stakers by\n"
              "shares. AMOUNT as for transfer. Prints the receipt.\n",
      .min_args = 2, .max_args = 2, .opts = CLI_OPT_DATADIR | CLI_OPT_RAW, .fn = cmd_admin_reward_pool },
    { .name = "admin slash-worker", .synopsis = "WORKER PPM --datadir DIR [--raw]",
      .summary = "dev node: burn part of a worker's stake",
      .help = "Calls admin_slashWorker on a --dev node, with the admin token read from DIR/.cookie: PPM\n"
              "parts per million (1 to 1000000) of WORKER's bonded stake and of each of its unbonding\n"
              "entries are burned (each part rounded down), which every staker of its pool bears by\n"
              "shares. Prints the receipt: WorkerSlashed's amount is fromBonded + fromUnbonding.\n",
      .min_args = 2, .max_args = 2, .opts = CLI_OPT_DATADIR | CLI_OPT_RAW, .fn = cmd_admin_slash_worker },
};

const cli_command *cli_commands(size_t *n)
{
    *n = sizeof commands / sizeof commands[0];
    return commands;
}
