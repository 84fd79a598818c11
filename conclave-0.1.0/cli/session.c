/* SPDX-License-Identifier: MIT */
/* session.c: the steps every command shares (see session.h). */
#include "cli/session.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "engine/genesis.h"
#include "ledger/amount.h"
#include "ledger/hex.h"
#include "ledger/sig.h"
#include "ledger/tx.h"

int cli_load_key(uint8_t key[32], uint8_t addr[20], const cli_opts *o)
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

/* Opens a client for --rpc with --timeout (token: admin token or NULL). */
static int connect_node(rpc_client **c, const cli_opts *o, const char *token)
{
    *c = rpc_client_new(o->rpc_url, token, o->timeout < UINT_MAX ? (unsigned)o->timeout : 0);
    if (!*c) {
        cli_error("bad --rpc URL '%s': expected http://HOST:PORT", o->rpc_url);
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

int cli_call(rpc_client *c, const cli_opts *o, const char *method, const cJSON *params, cJSON **result)
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

int cli_request(const cli_opts *o, const char *token, const char *method, const cJSON *params, cJSON **result)
{
    rpc_client *c = NULL;
    int ex = connect_node(&c, o, token);
    if (ex == CLI_EXIT_OK)
        ex = cli_call(c, o, method, params, result);
    rpc_client_free(c);
    return ex;
}

int cli_admin_call(const cli_opts *o, const char *method, const cJSON *params, cJSON **result)
{
    char token[CLI_COOKIE_MAX + 1];
    int ex = load_cookie(token, o);
    if (ex != CLI_EXIT_OK)
        return ex;
    ex = cli_request(o, token, method, params, result);
    cli_wipe(token, sizeof token);
    return ex;
}

/* The end of a query: prints what (as JSON with --json, else with show) if ex is CLI_EXIT_OK, then
 * frees what and c. Returns ex. */
static int show_and_free(int ex, const cli_opts *o, cJSON *what, const cJSON *shown, rpc_client *c, cli_printer *show)
{
    if (ex == CLI_EXIT_OK && o->json)
        cli_print_json(what);
    else if (ex == CLI_EXIT_OK)
        show(shown, o->raw);
    cJSON_Delete(what);
    rpc_client_free(c);
    return ex;
}

int cli_query(const cli_opts *o, const char *method, const cJSON *params, cli_printer *show)
{
    cJSON *result = NULL;
    int ex = cli_request(o, NULL, method, params, &result);
    return show_and_free(ex, o, result, result, NULL, show);
}

int cli_query_built(const cli_opts *o, const char *method, cJSON *params, cli_printer *show)
{
    int ex = params ? cli_query(o, method, params, show) : cli_out_of_memory();
    cJSON_Delete(params);
    return ex;
}

int cli_query_address(const cli_opts *o, const char *method, cli_printer *show)
{
    uint8_t addr[20];
    int ex = cli_address_or_key(addr, o);
    if (ex != CLI_EXIT_OK)
        return ex;
    return cli_query_built(o, method, cli_address_params(addr), show);
}

bool cli_json_u64(const cJSON *obj, const char *key, uint64_t *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > (double)CLI_JSON_INT_MAX
        || v->valuedouble != (double)(uint64_t)v->valuedouble)
        return false;
    *out = (uint64_t)v->valuedouble;
    return true;
}

int cli_show_receipt(const cJSON *receipt, const cli_opts *o)
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

int cli_print_address(const uint8_t addr[20], const cli_opts *o)
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

int cli_out_of_memory(void)
{
    cli_error("out of memory");
    return CLI_EXIT_FAILED;
}

/* ---- words of the command line: each reports a malformed one and returns false for it ---- */

bool cli_word_address(uint8_t out[20], const char *word)
{
    char err[512];
    if (cli_arg_address(out, err, sizeof err, word) == ST_OK)
        return true;
    cli_error("%s", err);
    return false;
}

bool cli_word_amount(mpz_t out, const char *word, bool raw)
{
    char err[512];
    if (cli_arg_amount(out, err, sizeof err, word, raw) == ST_OK)
        return true;
    cli_error("%s", err);
    return false;
}

bool cli_word_uint(uint64_t *out, const char *word, const char *what)
{
    char err[512];
    if (cli_arg_uint(out, err, sizeof err, word, what) == ST_OK)
        return true;
    cli_error("%s", err);
    return false;
}

bool cli_word_ppm(uint64_t *out, const char *word, const char *what, bool zero)
{
    char err[512];
    if (cli_arg_uint(out, err, sizeof err, word, what) == ST_OK && *out <= 1000000 && (zero || *out > 0))
        return true;
    cli_error("bad %s '%s': expected parts per million, %d to 1000000 (100000 is 10%%)", what, word, zero ? 0 : 1);
    return false;
}

/* ---- message members and params, as canonical strings; false on out of memory ---- */

bool cli_msg_u64(cJSON *m, const char *key, uint64_t v)
{
    char text[24];
    snprintf(text, sizeof text, "%llu", (unsigned long long)v);
    return cJSON_AddStringToObject(m, key, text) != NULL;
}

bool cli_msg_amount(cJSON *m, const char *key, const mpz_t v)
{
    char text[LEDGER_AMOUNT_STRLEN];
    ledger_amount_format(text, v);
    return cJSON_AddStringToObject(m, key, text) != NULL;
}

bool cli_msg_address(cJSON *m, const char *key, const uint8_t addr[20])
{
    char text[LEDGER_ADDR_STRLEN];
    ledger_addr_format(text, addr);
    return cJSON_AddStringToObject(m, key, text) != NULL;
}

/* ---- messages and params made of the command's positional words ---- */

/* Checks word as f (false, reported, when it is malformed) and adds it to *obj. When that fails
 * (out of memory, or *obj already NULL), *obj is deleted and becomes NULL. */
static bool word_member(cJSON **obj, const cli_opts *o, const char *word, const cli_field *f)
{
    uint64_t n;
    uint8_t addr[20];
    mpz_t amount;
    bool valid = true, added;
    if (f->kind == CLI_FIELD_AMOUNT) {
        mpz_init(amount);
        valid = cli_word_amount(amount, word, o->raw);
        added = valid && cli_msg_amount(*obj, f->key, amount);
        mpz_clear(amount);
    } else if (f->kind == CLI_FIELD_ADDRESS) {
        valid = cli_word_address(addr, word);
        added = valid && cli_msg_address(*obj, f->key, addr);
    } else if (f->kind == CLI_FIELD_TEXT) {
        added = cJSON_AddStringToObject(*obj, f->key, word) != NULL;
    } else {
        valid = f->kind == CLI_FIELD_PPM ? cli_word_ppm(&n, word, f->what, true) : cli_word_uint(&n, word, f->what);
        added = valid && (f->kind == CLI_FIELD_NUMBER ? cJSON_AddNumberToObject(*obj, f->key, (double)n) != NULL
                                                      : cli_msg_u64(*obj, f->key, n));
    }
    if (valid && !added) {
        cJSON_Delete(*obj);
        *obj = NULL;
    }
    return valid;
}

int cli_words_object(cJSON **obj, const cli_opts *o, const cli_field *fields)
{
    *obj = cJSON_CreateObject();
    for (int i = 0; fields[i].key; i++) {
        if (!word_member(obj, o, o->argv[i], &fields[i])) {
            cJSON_Delete(*obj);
            *obj = NULL;
            return CLI_EXIT_USAGE;
        }
    }
    return CLI_EXIT_OK;
}

/* The positional words as fields, sent as a signed transaction of type name, or with admin as the
 * params of the admin method name. */
static int send_words(const cli_opts *o, const char *name, const cli_field *fields, bool admin)
{
    cJSON *obj;
    int ex = cli_words_object(&obj, o, fields);
    if (ex == CLI_EXIT_OK)
        ex = admin ? cli_admin_send(o, name, obj) : cli_send_signed(o, name, obj);
    cJSON_Delete(obj);
    return ex;
}

int cli_send_words(const cli_opts *o, const char *type, const cli_field *fields)
{
    return send_words(o, type, fields, false);
}

int cli_admin_words(const cli_opts *o, const char *method, const cli_field *fields)
{
    return send_words(o, method, fields, true);
}

int cli_query_words(const cli_opts *o, const char *method, const cli_field *fields, cli_printer *show)
{
    cJSON *params;
    int ex = cli_words_object(&params, o, fields);
    return ex == CLI_EXIT_OK ? cli_query_built(o, method, params, show) : ex;
}

int cli_query_number(const cli_opts *o, const char *method, const char *key, const char *what, cli_printer *show)
{
    const cli_field fields[] = { { key, CLI_FIELD_NUMBER, what }, { NULL } };
    return cli_query_words(o, method, fields, show);
}

cJSON *cli_address_params(const uint8_t addr[20])
{
    cJSON *p = cJSON_CreateObject();
    if (p && !cli_msg_address(p, "address", addr)) {
        cJSON_Delete(p);
        return NULL;
    }
    return p;
}

int cli_address_or_key(uint8_t addr[20], const cli_opts *o)
{
    uint8_t key[32];
    if (o->argc >= 1)
        return cli_word_address(addr, o->argv[0]) ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    int ex = cli_load_key(key, addr, o);
    cli_wipe(key, sizeof key);
    return ex;
}

/* ---- signing: the one path of every signed command ---- */


int cli_signer_open(cli_signer *s, const cli_opts *o)
{
    cJSON *info = NULL, *params = NULL, *acct = NULL;
    memset(s, 0, sizeof *s);
    int ex = cli_load_key(s->key, s->addr, o);
    if (ex != CLI_EXIT_OK)
        return ex;
    if ((ex = connect_node(&s->client, o, NULL)) != CLI_EXIT_OK
        || (ex = cli_call(s->client, o, "node_info", NULL, &info)) != CLI_EXIT_OK)
        goto out;
    ex = CLI_EXIT_FAILED;
    if (!cli_json_u64(info, "chainId", &s->chain_id)) {
        cli_error("node_info gave no usable chainId");
        goto out;
    }
    if (!(params = cli_address_params(s->addr))) {
        ex = cli_out_of_memory();
        goto out;
    }
    if ((ex = cli_call(s->client, o, "ledger_getAccount", params, &acct)) != CLI_EXIT_OK)
        goto out;
    if (!cli_json_u64(acct, "nonce", &s->nonce)) {
        cli_error("ledger_getAccount gave no usable nonce");
        ex = CLI_EXIT_FAILED;
    }
out:
    cJSON_Delete(acct);
    cJSON_Delete(params);
    cJSON_Delete(info);
    return ex;
}

int cli_signer_send(cli_signer *s, const cli_opts *o, const char *type, cJSON *msg)
{
    char err[512], from[LEDGER_ADDR_STRLEN];
    cJSON *signed_tx = NULL, *receipt = NULL;
    ledger_tx tx;
    int ex = CLI_EXIT_FAILED;
    memset(&tx, 0, sizeof tx);
    if (!msg || !cli_msg_u64(msg, "nonce", s->nonce)) {
        cli_wipe(s->key, sizeof s->key);
        return cli_out_of_memory();
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
        ex = cli_out_of_memory();
        goto out;
    }
    if (o->sign_only) {
        char *text = cJSON_PrintUnformatted(signed_tx);
        ex = text && puts(text) >= 0 ? CLI_EXIT_OK : CLI_EXIT_FAILED;
        cJSON_free(text);
        goto out;
    }
    if ((ex = cli_call(s->client, o, "tx_send", signed_tx, &receipt)) == CLI_EXIT_OK)
        ex = cli_show_receipt(receipt, o);
out:
    ledger_tx_clear(&tx);
    cJSON_Delete(receipt);
    cJSON_Delete(signed_tx);
    return ex;
}

void cli_signer_close(cli_signer *s)
{
    cli_wipe(s->key, sizeof s->key);
    rpc_client_free(s->client);
    s->client = NULL;
}

int cli_send_signed(const cli_opts *o, const char *type, cJSON *msg)
{
    cli_signer s;
    int ex = cli_signer_open(&s, o);
    if (ex == CLI_EXIT_OK)
        ex = cli_signer_send(&s, o, type, msg);
    cli_signer_close(&s);
    return ex;
}

int cli_admin_send(const cli_opts *o, const char *method, const cJSON *params)
{
    cJSON *receipt = NULL;
    if (!params)
        return cli_out_of_memory();
    int ex = cli_admin_call(o, method, params, &receipt);
    if (ex == CLI_EXIT_OK)
        ex = cli_show_receipt(receipt, o);
    cJSON_Delete(receipt);
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
            return cli_out_of_memory();
        }
        ex = cli_call(c, o, method, params, &page);
        cJSON *items = cJSON_GetObjectItemCaseSensitive(page, member);
        int n = cJSON_GetArraySize(items);
        while (ex == CLI_EXIT_OK && cJSON_GetArraySize(items) > 0) {
            cJSON *item = cJSON_DetachItemFromArray(items, 0);
            if (!cJSON_AddItemToArray(into, item)) {
                cJSON_Delete(item);
                ex = cli_out_of_memory();
            }
        }
        /* an empty page ends the walk whatever it says, so a confused node cannot loop us */
        if (ex == CLI_EXIT_OK && n > 0)
            more = cli_json_u64(page, "next", &cursor);
        cJSON_Delete(page);
        cJSON_Delete(params);
    }
    return ex;
}

int cli_list_command(const cli_opts *o, const char *method, const cJSON *base, const char *member, cli_printer *show)
{
    rpc_client *c = NULL;
    cJSON *all = cJSON_CreateObject(), *items = all ? cJSON_AddArrayToObject(all, member) : NULL;
    int ex = items ? connect_node(&c, o, NULL) : cli_out_of_memory();
    if (ex == CLI_EXIT_OK)
        ex = list_all(c, o, method, base, member, items);
    return show_and_free(ex, o, all, items, c, show);
}
