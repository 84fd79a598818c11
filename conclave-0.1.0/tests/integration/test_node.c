/* SPDX-License-Identifier: MIT */
/* test_node.c: a real conclaved on a loopback port, spoken to over JSON-RPC: signed transfers with
 * receipts, group commit of a batch, every kind of bad input refused with its code and nothing
 * changed, transactions with random signatures refused and stored nowhere, one id whether v is
 * 0/1 or 27/28, admin authorization (the audit included), the manual clock, and restarts after SIGTERM and SIGKILL losing
 * nothing that was acknowledged. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include "ledger/hex.h"
#include "ledger/tx.h"
#include "tests/lib/node.h"
#include "tests/lib/testhelp.h"

static th_node node;
static double start_height; /* the dev node registers its enclave in a block of its own first */

static double height(void);

static void setup(void)
{
    memset(&node, 0, sizeof node);
    th_node_start(&node, false);
    start_height = height();
}

static void teardown(void)
{
    th_node_cleanup(&node);
}

TestSuite(integration_node, .init = setup, .fini = teardown, .timeout = 60);

static char *account_field(unsigned who, const char *field)
{
    char addr[43], params[80];
    th_dev_address(addr, who);
    snprintf(params, sizeof params, "{\"address\":\"%s\"}", addr);
    cJSON *resp = th_call(&node, "ledger_getAccount", params);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(th_result(resp), field);
    char *text = cJSON_IsString(v) ? strdup(v->valuestring) : cJSON_PrintUnformatted(v);
    cJSON_Delete(resp);
    return text;
}

static void expect_account(unsigned who, const char *free_balance, const char *nonce)
{
    char *f = account_field(who, "free"), *n = account_field(who, "nonce");
    cr_assert_str_eq(f, free_balance, "free balance of dev account %u", who);
    cr_assert_str_eq(n, nonce, "nonce of dev account %u", who);
    free(f);
    free(n);
}

static double height(void)
{
    cJSON *resp = th_call(&node, "node_info", NULL);
    double h = cJSON_GetObjectItemCaseSensitive(th_result(resp), "height")->valuedouble;
    cJSON_Delete(resp);
    return h;
}

static void expect_audit_ok(void)
{
    cJSON *resp = th_call(&node, "ledger_audit", NULL);
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(th_result(resp), "ok")), "audit: %s",
              cJSON_PrintUnformatted(resp));
    cJSON_Delete(resp);
}

/* Sends a Transfer and returns the response. */
static cJSON *send_transfer(unsigned from, unsigned to, const char *amount, uint64_t nonce)
{
    char *params = th_transfer_params(from, to, amount, nonce, 31337);
    cJSON *resp = th_call(&node, "tx_send", params);
    free(params);
    return resp;
}

Test(integration_node, node_info_describes_the_dev_chain)
{
    cJSON *resp = th_call(&node, "node_info", "{}");
    const cJSON *r = th_result(resp);
    cr_assert_eq(cJSON_GetObjectItemCaseSensitive(r, "chainId")->valueint, 31337, "chain id");
    cr_assert_eq(cJSON_GetObjectItemCaseSensitive(r, "height")->valuedouble, start_height, "nothing else yet");
    cr_assert_leq(start_height, 1, "the genesis block and at most the enclave's registration");
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "dev")), "dev node");
    cJSON_Delete(resp);
}

Test(integration_node, a_signed_transfer_returns_its_receipt_and_is_stored)
{
    cJSON *resp = send_transfer(0, 1, "1500000000000000000", 0);
    const cJSON *r = th_result(resp);
    cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(r, "status")->valuestring, "success", "status");
    cr_assert_eq(cJSON_GetObjectItemCaseSensitive(r, "block")->valuedouble, start_height + 1, "in the next block");
    const cJSON *ev = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(r, "events"), 0);
    cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(ev, "amount")->valuestring, "1500000000000000000", "event");
    char params[100];
    snprintf(params, sizeof params, "{\"hash\":\"%s\"}", cJSON_GetObjectItemCaseSensitive(r, "hash")->valuestring);
    cJSON *tx = th_call(&node, "ledger_getTransaction", params);
    cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(th_result(tx), "type")->valuestring, "Transfer", "stored");
    cJSON *block = th_call(&node, "ledger_getBlock", "{\"height\":\"latest\"}");
    const cJSON *hashes = cJSON_GetObjectItemCaseSensitive(th_result(block), "transactions");
    cr_assert_str_eq(cJSON_GetArrayItem(hashes, 0)->valuestring,
                     cJSON_GetObjectItemCaseSensitive(r, "hash")->valuestring, "the block lists it");
    cJSON_Delete(block);
    cJSON_Delete(tx);
    cJSON_Delete(resp);
    expect_account(0, "999998500000000000000000", "1");
    expect_account(1, "1000001500000000000000000", "0");
    expect_audit_ok();
}

Test(integration_node, a_batch_of_transfers_commits_in_one_block)
{
    size_t cap = 1 << 16, len = 0;
    char *body = malloc(cap);
    len += (size_t)snprintf(body + len, cap - len, "[");
    for (unsigned i = 0; i < 8; i++) {
        char *params = th_transfer_params(i % 4, 9, "1", i / 4, 31337);
        len += (size_t)snprintf(body + len, cap - len, "%s{\"jsonrpc\":\"2.0\",\"id\":%u,\"method\":\"tx_send\",\"params\":%s}",
                                i ? "," : "", i, params);
        free(params);
    }
    snprintf(body + len, cap - len, "]");
    int status;
    char *text = th_post(&node, body, &status);
    cJSON *resp = cJSON_Parse(text);
    cr_assert_eq(cJSON_GetArraySize(resp), 8, "eight answers: %s", text);
    for (int i = 0; i < 8; i++) {
        const cJSON *r = th_result(cJSON_GetArrayItem(resp, i));
        cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(r, "status")->valuestring, "success", "answer %d", i);
        cr_assert_eq(cJSON_GetObjectItemCaseSensitive(r, "block")->valuedouble, start_height + 1,
                     "answer %d in the same block", i);
    }
    cJSON_Delete(resp);
    free(text);
    free(body);
    expect_account(9, "1000000000000000000000008", "0");
    cr_assert_eq(height(), start_height + 1, "one block");
}

/* Adds the claimed sender "from" (dev account i) to transaction params; frees params. */
static char *with_from(char *params, unsigned i)
{
    char addr[43];
    th_dev_address(addr, i);
    cJSON *p = cJSON_Parse(params);
    cJSON_AddStringToObject(p, "from", addr);
    char *text = cJSON_PrintUnformatted(p);
    cJSON_Delete(p);
    free(params);
    return text;
}

struct bad_case {
    const char *name;
    const char *body;
    int code;
};

Test(integration_node, bad_input_gets_a_clear_error_and_changes_nothing)
{
    char *good = th_transfer_params(0, 1, "5", 0, 31337);
    char *wrong_chain = with_from(th_transfer_params(0, 1, "5", 0, 1), 0);
    char *future = th_transfer_params(0, 1, "5", 3, 31337);
    cJSON *tampered = cJSON_Parse(good);
    cJSON_ReplaceItemInObject(cJSON_GetObjectItemCaseSensitive(tampered, "message"), "amount", cJSON_CreateString("6"));
    cJSON_AddStringToObject(tampered, "from", "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
    char *tampered_text = cJSON_PrintUnformatted(tampered);
    cJSON_Delete(tampered);
    char sig[133], voucher[512];
    th_voucher_sig(sig, 0, 1, "5");
    snprintf(voucher, sizeof voucher, "{\"type\":\"Voucher\",\"message\":{\"channel\":\"1\",\"cumulative\":\"5\"},"
             "\"signature\":\"%s\"}", sig);
    char bodies[12][2048];
    struct bad_case cases[] = {
        { "malformed JSON", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":", -32700 },
        { "not JSON-RPC 2.0", "{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"node_info\"}", -32600 },
        { "unknown method", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ledger_steal\"}", -32601 },
        { "address of wrong type", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ledger_getAccount\",\"params\":{\"address\":5}}",
          -32602 },
        { "unknown transaction type", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tx_send\",\"params\":"
          "{\"type\":\"Steal\",\"message\":{},\"signature\":\"0x00\"}}", -32008 },
        { "negative amount", NULL, -32602 },
        { "amount of 2^256", NULL, -32009 },
        { "amount as a JSON number", NULL, -32602 },
        { "garbage signature", NULL, -32002 },
        { "another chain's signature with its claimed sender", wrong_chain, -32002 },
        { "a future nonce", future, -32001 },
        { "a tampered message with its claimed sender", tampered_text, -32002 },
        { "a type that is not a string", "{\"type\":7,\"message\":{},\"signature\":\"0x00\"}", -32602 },
        { "a Voucher, signed off-ledger, sent on its own", voucher, -32008 },
    };
    /* variations of the good transaction's message */
    const char *amount_variants[] = { "\"-1\"",
        "\"115792089237316195423570985008687907853269984665640564039457584007913129639936\"", "5" };
    for (int i = 0; i < 3; i++) {
        cJSON *p = cJSON_Parse(good);
        cJSON_ReplaceItemInObject(cJSON_GetObjectItemCaseSensitive(p, "message"), "amount", cJSON_Parse(amount_variants[i]));
        char *t = cJSON_PrintUnformatted(p);
        cases[5 + i].body = strcpy(bodies[5 + i], t);
        free(t);
        cJSON_Delete(p);
    }
    cJSON *p = cJSON_Parse(good);
    cJSON_ReplaceItemInObject(p, "signature", cJSON_CreateString("0x1234"));
    char *t = cJSON_PrintUnformatted(p);
    cases[8].body = strcpy(bodies[8], t);
    free(t);
    cJSON_Delete(p);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cJSON *resp;
        if (i >= 5) {
            resp = th_call(&node, "tx_send", cases[i].body);
        } else {
            int status;
            char *text = th_post(&node, cases[i].body, &status);
            resp = cJSON_Parse(text);
            free(text);
        }
        cr_assert_eq(th_error_code(resp), cases[i].code, "%s: %s", cases[i].name, cJSON_PrintUnformatted(resp));
        const cJSON *msg = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(resp, "error"), "message");
        cr_assert(cJSON_IsString(msg) && strlen(msg->valuestring) > 5, "%s: a message that says why", cases[i].name);
        cJSON_Delete(resp);
    }
    expect_account(0, "1000000000000000000000000", "0");
    expect_account(1, "1000000000000000000000000", "0");
    cr_assert_eq(height(), start_height, "no block was made");
    cJSON *ok = th_call(&node, "tx_send", good);
    cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(th_result(ok), "status")->valuestring, "success",
                     "the good one still applies with nonce 0");
    cJSON_Delete(ok);
    cJSON *replay = th_call(&node, "tx_send", good);
    cr_assert_eq(th_error_code(replay), -32001, "a replay is refused");
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(replay, "error"), "data");
    cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(data, "expected")->valuestring, "1", "expected nonce in data");
    cJSON_Delete(replay);
    free(good);
    free(wrong_chain);
    free(future);
    free(tampered_text);
    expect_audit_ok();
}

/* tx_send params of a Transfer with nonce 0 and random signature bytes that recover to some address
 * on the dev chain (th_random_signature_transfer). Out: signer. Caller frees. */
static char *random_signature_transfer(unsigned *seed, char signer[LEDGER_ADDR_STRLEN])
{
    ledger_tx tx;
    char *params = th_random_signature_transfer(&tx, seed, 28, 31337);
    ledger_addr_format(signer, tx.signer);
    ledger_tx_clear(&tx);
    return params;
}

Test(integration_node, transfers_with_random_signatures_are_refused_and_stored_nowhere)
{
    unsigned seed = 7;
    for (int i = 0; i < 5; i++) {
        char signer[LEDGER_ADDR_STRLEN];
        char *params = random_signature_transfer(&seed, signer);
        cJSON *resp = th_call(&node, "tx_send", params);
        cr_assert_eq(th_error_code(resp), -32005, "refused: %s", cJSON_PrintUnformatted(resp));
        const cJSON *error = cJSON_GetObjectItemCaseSensitive(resp, "error");
        cr_assert(strstr(th_str(error, "message"), "holds nothing in the ledger") != NULL, "says why: %s",
                  th_str(error, "message"));
        cr_assert_str_eq(th_str(cJSON_GetObjectItemCaseSensitive(error, "data"), "address"), signer,
                         "data names the recovered address");
        cJSON_Delete(resp);
        free(params);
    }
    cr_assert_eq(height(), start_height, "no block was made");
    expect_audit_ok();
}

/* The id the node gives the transaction in tx_send params, as 0x-hex. */
static void id_of(char out[67], const char *params)
{
    cJSON *doc = cJSON_Parse(params);
    ledger_tx tx;
    char err[256] = "";
    cr_assert_eq(ledger_tx_parse(&tx, err, sizeof err, doc, 31337), ST_OK, "parse: %s", err);
    ledger_hex_encode(out, tx.hash, 32);
    ledger_tx_clear(&tx);
    cJSON_Delete(doc);
}

Test(integration_node, a_signature_with_v_as_0_or_1_is_the_same_transaction_as_its_27_or_28_twin)
{
    char *canonical = th_transfer_params(0, 1, "5", 0, 31337), id[67];
    id_of(id, canonical);
    cJSON *p = cJSON_Parse(canonical);
    char signature[2 + 2 * 65 + 1];
    snprintf(signature, sizeof signature, "%s", th_str(p, "signature"));
    cr_assert(strcmp(signature + 130, "1b") == 0 || strcmp(signature + 130, "1c") == 0, "signed with v = 27 or 28");
    memcpy(signature + 130, signature[131] == 'b' ? "00" : "01", 2);
    cJSON_ReplaceItemInObject(p, "signature", cJSON_CreateString(signature));
    char *twin = cJSON_PrintUnformatted(p);
    cJSON_Delete(p);

    cJSON *first = th_call(&node, "tx_send", twin);
    cr_assert_str_eq(th_str(th_result(first), "status"), "success", "the twin sent first applies");
    cr_assert_str_eq(th_str(th_result(first), "hash"), id, "under the id of the 27/28 form");
    cJSON *again = th_call(&node, "tx_send", canonical);
    cr_assert_eq(th_error_code(again), -32001, "the 27/28 form is then a replay: %s", cJSON_PrintUnformatted(again));
    char params[96];
    snprintf(params, sizeof params, "{\"hash\":\"%s\"}", id);
    cJSON *stored = th_call(&node, "ledger_getTransaction", params);
    const cJSON *tx = cJSON_GetObjectItemCaseSensitive(th_result(stored), "transaction");
    const char *kept = th_str(tx, "signature");
    cr_assert(strcmp(kept + 130, "1b") == 0 || strcmp(kept + 130, "1c") == 0, "stored with v = 27 or 28: %s", kept);
    cJSON_Delete(stored);
    cJSON_Delete(again);
    cJSON_Delete(first);
    free(twin);
    free(canonical);
    expect_account(1, "1000000000000000000000005", "0");
}

Test(integration_node, an_oversized_body_is_refused_and_the_node_keeps_serving)
{
    size_t size = 2 * 1024 * 1024;
    char *body = malloc(size + 1);
    memset(body, ' ', size);
    memcpy(body, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"node_info\"}", 45);
    body[size] = '\0';
    int status = 0;
    char *text = th_post(&node, body, &status);
    cr_assert_eq(status, 413, "413 for a 2 MiB body");
    free(text);
    free(body);
    rpc_client_free(node.client);
    node.client = rpc_client_new(node.url, node.token, 30);
    cr_assert_eq(height(), start_height, "the node still answers");
}

Test(integration_node, the_audit_needs_the_cookie_token)
{
    rpc_client *anon = rpc_client_new(node.url, NULL, 30);
    cJSON *result = NULL, *error = NULL;
    cr_assert_eq(rpc_client_call(anon, "ledger_audit", NULL, &result, &error), ST_INVALID, "refused");
    cr_assert_eq(cJSON_GetObjectItemCaseSensitive(error, "code")->valueint, -32004, "unauthorized");
    cJSON_Delete(error);
    rpc_client_free(anon);
    expect_audit_ok(); /* with the token */
}

Test(integration_node, admin_methods_need_the_cookie_token)
{
    rpc_client *anon = rpc_client_new(node.url, NULL, 30);
    cJSON *params = cJSON_Parse("{\"seconds\":60}"), *result = NULL, *error = NULL;
    cr_assert_eq(rpc_client_call(anon, "admin_advanceTime", params, &result, &error), ST_INVALID, "refused");
    cr_assert_eq(cJSON_GetObjectItemCaseSensitive(error, "code")->valueint, -32004, "unauthorized");
    cJSON_Delete(error);
    rpc_client_free(anon);
    cJSON_Delete(params);
    cJSON *before = th_call(&node, "node_info", NULL);
    double t0 = cJSON_GetObjectItemCaseSensitive(th_result(before), "time")->valuedouble;
    cJSON *adv = th_call(&node, "admin_advanceTime", "{\"seconds\":60}");
    cr_assert_eq(cJSON_GetObjectItemCaseSensitive(th_result(adv), "time")->valuedouble, t0 + 60, "clock moved 60 s");
    char addr[43], mint[160];
    th_dev_address(addr, 7);
    snprintf(mint, sizeof mint, "{\"to\":\"%s\",\"amount\":\"25\"}", addr);
    cJSON *minted = th_call(&node, "admin_mint", mint);
    cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(th_result(minted), "status")->valuestring, "success", "minted");
    expect_account(7, "1000000000000000000000025", "0");
    cJSON *block = th_call(&node, "ledger_getBlock", "{\"height\":\"latest\"}");
    cr_assert_eq(cJSON_GetObjectItemCaseSensitive(th_result(block), "time")->valuedouble, t0 + 60,
                 "the block has the manual clock's time");
    cJSON_Delete(block);
    cJSON_Delete(minted);
    cJSON_Delete(adv);
    cJSON_Delete(before);
    expect_audit_ok();
}

static void restart_keeps_acknowledged_transfers(int sig)
{
    for (uint64_t i = 0; i < 5; i++) {
        cJSON *resp = send_transfer(2, 3, "1000", i);
        cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(th_result(resp), "status")->valuestring, "success", "ack %llu",
                         (unsigned long long)i);
        cJSON_Delete(resp);
    }
    int status = th_node_stop(&node, sig);
    if (sig == SIGTERM)
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "clean exit on SIGTERM");
    else
        cr_assert(WIFSIGNALED(status), "killed");
    th_node_start(&node, true);
    expect_account(2, "999999999999999999995000", "5");
    expect_account(3, "1000000000000000000005000", "0");
    cr_assert_eq(height(), start_height + 5, "five blocks survived");
    expect_audit_ok();
}

Test(integration_node, restart_after_sigterm_loses_nothing_acknowledged)
{
    restart_keeps_acknowledged_transfers(SIGTERM);
}

Test(integration_node, restart_after_sigkill_loses_nothing_acknowledged)
{
    restart_keeps_acknowledged_transfers(SIGKILL);
}

/* The value of one metric line "name value" in a Prometheus text body, or -1. */
static double metric(const char *body, const char *name)
{
    char pattern[96];
    snprintf(pattern, sizeof pattern, "\n%s ", name);
    const char *at = strstr(body, pattern);
    return at ? strtod(at + strlen(pattern), NULL) : -1;
}

Test(integration_node, metrics_count_blocks_and_transactions_in_prometheus_text)
{
    int status = 0;
    char *before = NULL, *after = NULL;
    cr_assert_eq(rpc_client_get(node.client, "/metrics", &status, &before), ST_OK, "GET /metrics");
    cr_assert_eq(status, 200, "200");
    cr_assert(strstr(before, "# TYPE conclave_block_height gauge") != NULL, "typed lines: %s", before);
    cJSON *resp = send_transfer(4, 5, "1", 0);
    cJSON_Delete(resp);
    cJSON *bad = th_call(&node, "no_such_method", NULL);
    cJSON_Delete(bad);
    cr_assert_eq(rpc_client_get(node.client, "/metrics", &status, &after), ST_OK, "GET /metrics again");
    cr_assert_eq(metric(after, "conclave_block_height"), start_height + 1, "the height: %s", after);
    cr_assert_eq(metric(after, "conclave_transactions_total"), metric(before, "conclave_transactions_total") + 1,
                 "one more transaction");
    cr_assert_geq(metric(after, "conclave_rpc_errors_total"), metric(before, "conclave_rpc_errors_total") + 1,
                  "the unknown method counted as an error");
    cr_assert_eq(metric(after, "conclave_enclave_up"), 1, "the dev node's enclave answers");
    free(before);
    free(after);
}

Test(integration_node, values_cut_by_a_nul_character_and_amounts_past_2_256_are_refused)
{
    char dev1[43];
    th_dev_address(dev1, 1);
    const char *calls[][2] = {
        { "ledger_getAccount", "{\"address\":\"0x70997970C51812dc3A010C7d01b50e0d17dc79C8\\u0000junk\"}" },
        { "ledger_getBlock", "{\"height\":\"latest\\u0000x\"}" },
        { "tx_send", NULL },
    };
    /* a signed Transfer whose recipient gains a NUL and junk after it was signed */
    char *params = th_transfer_params(0, 1, "5", 0, 31337);
    char to[80];
    snprintf(to, sizeof to, "%s\\u0000junk", dev1);
    char *at = strstr(params, dev1);
    cr_assert_not_null(at, "the recipient in %s", params);
    size_t len = strlen(params) + 16;
    char *tampered = malloc(len);
    snprintf(tampered, len, "%.*s%s%s", (int)(at - params), params, to, at + strlen(dev1));
    free(params);
    calls[2][1] = tampered;
    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
        cJSON *r = th_call(&node, calls[i][0], calls[i][1]);
        cr_assert_eq(th_error_code(r), -32600, "%s %s: refused", calls[i][0], calls[i][1]);
        cJSON_Delete(r);
    }
    free(tampered);
    cr_assert_eq(th_nonce(&node, 0), 0, "nothing was applied");

    cJSON *r = th_callf(&node, "admin_mint", "{\"to\":\"%s\",\"amount\":"
                        "\"115792089237316195423570985008687907853269984665640564039457584007913129639936\"}", dev1);
    cr_assert_eq(th_error_code(r), -32009, "admin_mint of 2^256: amount overflow, as the API document lists it");
    cJSON_Delete(r);
}
