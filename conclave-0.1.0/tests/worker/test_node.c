/* SPDX-License-Identifier: MIT */
/* test_node.c: the worker's side of the protocol (worker/node.c) against a scripted JSON-RPC node on
 * 127.0.0.1 and an ephemeral port: the answers it accepts (numbers or decimal strings, null operator
 * and pool), the ones it refuses as not understood, the node's refusals (JSON-RPC errors, failed
 * receipts) with their reasons, an unreachable node, and the transaction it signs (checked by the
 * scripted node: type, signer, "from", nonce from ledger_getAccount, chain id), and every cJSON
 * allocation of the worker's side failing in turn (no crash; leaks are the sanitizer build's to
 * find). The scripted node's loop runs in a second thread on its own event_base (tests/lib/rpc_loop,
 * as in tests/rpc/test_http.c); every wait is a bounded client call. */
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "engine/genesis.h"
#include "ledger/hex.h"
#include "ledger/sig.h"
#include "ledger/tx.h"
#include "rpc/rpc.h"
#include "tests/lib/rpc_loop.h"
#include "tests/lib/testhelp.h"
#include "worker/node.h"

#define CHAIN_ID 31337
#define NONCE 7
#define WORKER_KEY 5          /* dev key index standing in for the worker's sealed key */

/* What the scripted node answers. Set by the test thread before a call; the call's round trip
 * orders it before the server thread reads it. */
enum script { SCRIPT_GOOD, SCRIPT_STRINGS, SCRIPT_NULLS, SCRIPT_SHORT_CHALLENGE, SCRIPT_BIG_SLOT, SCRIPT_MISSING,
              SCRIPT_REFUSE, SCRIPT_FAIL_RECEIPT };
static _Atomic int script;

static struct {
    th_rpc_loop loop;              /* the scripted node, its loop thread and its command pipe */
    char url[64];
    char last_tx_type[32];         /* the type of the last transaction tx_send verified */
    uint64_t last_tx_nonce;
} srv;

static const char challenge_hex[] = "0x1111111111111111111111111111111111111111111111111111111111111111";

static int answer(cJSON **result, const char *json)
{
    *result = cJSON_Parse(json);
    return *result ? ST_OK : ST_NOMEM;
}

static int m_node_info(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    if (script == SCRIPT_MISSING)
        return answer(result, "{\"height\":3}");
    return answer(result, script == SCRIPT_STRINGS ? "{\"chainId\":\"31337\"}" : "{\"chainId\":31337}");
}

static int m_get_account(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    return answer(result, "{\"nonce\":7,\"balance\":\"0\"}");
}

static int m_get_challenge(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    char text[512];
    const char *op = "\"0x70997970C51812dc3A010C7d01b50e0d17dc79C8\"", *pool = "4", *slot = "5", *ch = challenge_hex;
    switch (script) {
    case SCRIPT_REFUSE: return rpc_error(ctx, ST_INVALID, NULL, "params.worker: not an address");
    case SCRIPT_MISSING: return answer(result, "{\"epoch\":2,\"slot\":5}");
    case SCRIPT_NULLS: op = "null"; pool = "null"; break;
    case SCRIPT_STRINGS: pool = "\"4\""; slot = "\"5\""; break;
    case SCRIPT_SHORT_CHALLENGE: ch = "0x11"; break;
    case SCRIPT_BIG_SLOT: slot = "4294967296"; break;
    default: break;
    }
    snprintf(text, sizeof text,
             "{\"epoch\":2,\"slot\":%s,\"challenge\":\"%s\",\"slotStart\":7200,\"slotEnd\":7800,\"registered\":%s,"
             "\"operator\":%s,\"pool\":%s,%s\"answered\":false}",
             slot, ch, script == SCRIPT_NULLS ? "false" : "true", op, pool,
             script == SCRIPT_NULLS ? "\"bonded\":\"0\"," : script == SCRIPT_STRINGS ? "" : "\"bonded\":\"4500" "000000000000000000\",");
    return answer(result, text);
}

/* Verifies the signed transaction as the node would, then answers by the script. */
static int m_tx_send(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    char err[256];
    uint8_t from[20];
    ledger_tx tx;
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(params, "from");
    cJSON *body = cJSON_Duplicate(params, true);  /* as node/m_tx.c: the tx without "from" */
    if (!body)
        return ST_NOMEM;
    cJSON_DeleteItemFromObjectCaseSensitive(body, "from");
    int rc = ledger_tx_parse(&tx, err, sizeof err, body, CHAIN_ID);
    cJSON_Delete(body);
    if (rc != ST_OK)
        return rpc_error(ctx, rc, NULL, "%s", err);
    uint64_t nonce = 0;
    bool ok = cJSON_IsString(f) && ledger_addr_parse(from, f->valuestring) == ST_OK
              && memcmp(from, tx.signer, 20) == 0 && ledger_tx_get_u64(&tx, "nonce", &nonce) == ST_OK;
    snprintf(srv.last_tx_type, sizeof srv.last_tx_type, "%s", tx.type->name);
    srv.last_tx_nonce = nonce;
    ledger_tx_clear(&tx);
    if (!ok)
        return rpc_error(ctx, ST_UNAUTHORIZED, NULL, "the signer is not from");
    if (script == SCRIPT_REFUSE)
        return rpc_error(ctx, ST_NONCE, NULL, "nonce: expected 8");
    if (script == SCRIPT_FAIL_RECEIPT)
        return answer(result, "{\"status\":\"failed\",\"error\":\"the quote's platform is not the chain's\"}");
    return answer(result, "{\"status\":\"success\",\"block\":3}");
}

static const char *const address_params[] = { "address", NULL };
static const char *const worker_params[] = { "worker", NULL };
static const char *const tx_params[] = { "type", "message", "signature", "from", NULL };
static const rpc_method table[] = {   /* sorted by name */
    { .name = "ledger_getAccount", .params = address_params, .fn = m_get_account },
    { .name = "node_info", .fn = m_node_info },
    { .name = "staking_getChallenge", .params = worker_params, .fn = m_get_challenge },
    { .name = "tx_send", .params = tx_params, .fn = m_tx_send },
};

static int errors(int status, const char **message)
{
    *message = status == ST_INVALID ? "invalid params" : "refused";
    return status == ST_INVALID ? -32602 : -32010;
}

static void start(void)
{
    th_rpc_loop_start(&srv.loop, table, sizeof table / sizeof table[0], NULL, NULL, NULL, errors);
    snprintf(srv.url, sizeof srv.url, "http://127.0.0.1:%u", srv.loop.port);
}

static void stop(void)
{
    th_rpc_loop_stop(&srv.loop);
}

TestSuite(worker_node, .init = start, .fini = stop, .timeout = 60);

static wrk_node *connect_node(void)
{
    wrk_node *n = wrk_node_new(srv.url, 5);
    cr_assert_not_null(n, "a client");
    return n;
}

static void worker_addr(uint8_t addr[20])
{
    uint8_t key[32];
    eng_dev_key(key, WORKER_KEY);
    cr_assert_eq(ledger_sig_address(addr, key), ST_OK, "address");
}

Test(worker_node, reads_the_chain_id_as_a_number_or_a_decimal_string)
{
    char err[256];
    uint64_t id = 0;
    wrk_node *n = connect_node();
    script = SCRIPT_GOOD;
    cr_assert_eq(wrk_node_chain_id(n, &id, err, sizeof err), ST_OK, "%s", err);
    cr_assert_eq(id, CHAIN_ID, "a number");
    id = 0;
    script = SCRIPT_STRINGS;
    cr_assert_eq(wrk_node_chain_id(n, &id, err, sizeof err), ST_OK, "%s", err);
    cr_assert_eq(id, CHAIN_ID, "a string");
    script = SCRIPT_MISSING;
    cr_assert_eq(wrk_node_chain_id(n, &id, err, sizeof err), ST_INVALID, "no chainId is not understood");
    cr_assert(strstr(err, "chainId") != NULL, "the reason names it: %s", err);
    wrk_node_free(n);
}

Test(worker_node, reads_the_challenge_and_the_workers_standing)
{
    char err[256];
    uint8_t addr[20], want[32], op[20];
    wrk_challenge c;
    wrk_node *n = connect_node();
    worker_addr(addr);
    cr_assert_eq(ledger_hex_decode_exact(want, 32, challenge_hex), ST_OK, "challenge");
    cr_assert_eq(ledger_addr_parse(op, "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"), ST_OK, "operator");
    script = SCRIPT_GOOD;
    cr_assert_eq(wrk_node_challenge(n, &c, err, sizeof err, addr), ST_OK, "%s", err);
    cr_assert_eq(c.epoch, 2, "epoch");
    cr_assert_eq(c.slot, 5, "slot");
    cr_assert_arr_eq(c.challenge, want, 32, "challenge");
    cr_assert_eq(c.slot_start, 7200, "slotStart");
    cr_assert_eq(c.slot_end, 7800, "slotEnd");
    cr_assert(c.registered && c.has_operator && c.in_pool && c.bonded && !c.answered, "standing");
    cr_assert_arr_eq(c.operator_addr, op, 20, "operator");
    cr_assert_eq(c.pool, 4, "pool");
    script = SCRIPT_STRINGS;
    cr_assert_eq(wrk_node_challenge(n, &c, err, sizeof err, addr), ST_OK, "decimal strings: %s", err);
    cr_assert(c.slot == 5 && c.pool == 4, "the same values");
    cr_assert(c.bonded, "a node that does not say what is bonded is taken as bonded");
    script = SCRIPT_NULLS;
    cr_assert_eq(wrk_node_challenge(n, &c, err, sizeof err, addr), ST_OK, "nulls: %s", err);
    cr_assert(!c.registered && !c.has_operator && !c.in_pool && !c.bonded, "a worker nobody knows yet");
    wrk_node_free(n);
}

Test(worker_node, an_answer_it_does_not_understand_is_invalid_and_changes_nothing)
{
    static const int scripts[] = { SCRIPT_SHORT_CHALLENGE, SCRIPT_BIG_SLOT, SCRIPT_MISSING };
    char err[256];
    uint8_t addr[20];
    wrk_challenge c, before;
    wrk_node *n = connect_node();
    worker_addr(addr);
    memset(&c, 0x5c, sizeof c);
    before = c;
    for (unsigned i = 0; i < sizeof scripts / sizeof scripts[0]; i++) {
        script = scripts[i];
        cr_assert_eq(wrk_node_challenge(n, &c, err, sizeof err, addr), ST_INVALID, "script %d", scripts[i]);
        cr_assert(strstr(err, "staking_getChallenge") != NULL, "the reason names the call: %s", err);
        cr_assert_arr_eq(&c, &before, sizeof c, "out untouched");
    }
    wrk_node_free(n);
}

Test(worker_node, a_json_rpc_error_is_a_refusal_with_the_nodes_message)
{
    char err[256];
    uint8_t addr[20];
    wrk_challenge c;
    wrk_node *n = connect_node();
    worker_addr(addr);
    script = SCRIPT_REFUSE;
    cr_assert_eq(wrk_node_challenge(n, &c, err, sizeof err, addr), ST_CONFLICT, "refused");
    cr_assert(strstr(err, "params.worker: not an address") && strstr(err, "-32602"), "message and code: %s", err);
    wrk_node_free(n);
}

Test(worker_node, an_unreachable_node_is_an_io_failure)
{
    char err[256], url[64];
    uint64_t id;
    wrk_node *n;
    stop();  /* nothing listens on its port any more */
    snprintf(url, sizeof url, "http://127.0.0.1:%u", srv.loop.port);
    n = wrk_node_new(url, 5);
    cr_assert_not_null(n, "a client");
    cr_assert_eq(wrk_node_chain_id(n, &id, err, sizeof err), ST_IO, "unreachable");
    cr_assert(strstr(err, "node_info") != NULL, "the reason names the call: %s", err);
    wrk_node_free(n);
    cr_assert_null(wrk_node_new("ftp://127.0.0.1:1", 5), "not an http URL");
}

static cJSON *heartbeat_msg(void)
{
    cJSON *m = cJSON_Parse("{\"epoch\":\"2\",\"slot\":\"5\",\"challenge\":\"0x1111111111111111111111111111111111111111"
                           "111111111111111111111111\",\"iterations\":\"2048\",\"micros\":\"1000\"}");
    cr_assert_not_null(m, "message");
    return m;
}

/* A transaction's sender: the worker's key and address, a heartbeat message, a client, the reason
 * of the last send. */
typedef struct sender {
    uint8_t key[32], addr[20];
    cJSON *msg;
    wrk_node *n;
    char err[256];
} sender;

static void sender_init(sender *s)
{
    eng_dev_key(s->key, WORKER_KEY);
    worker_addr(s->addr);
    s->msg = heartbeat_msg();
    s->n = connect_node();
    s->err[0] = '\0';
}

static void sender_clear(sender *s)
{
    cJSON_Delete(s->msg);
    wrk_node_free(s->n);
}

/* wrk_node_send of the sender's message as type; returns its status. */
static int send_as(sender *s, const char *type)
{
    return wrk_node_send(s->n, s->err, sizeof s->err, type, s->msg, s->key, s->addr, CHAIN_ID);
}

Test(worker_node, sends_a_transaction_signed_by_the_worker_with_the_nodes_nonce)
{
    sender s;
    sender_init(&s);
    script = SCRIPT_GOOD;
    cr_assert_eq(send_as(&s, "WorkerHeartbeat"), ST_OK, "%s", s.err);
    cr_assert_str_eq(srv.last_tx_type, "WorkerHeartbeat", "its type");
    cr_assert_eq(srv.last_tx_nonce, NONCE, "the nonce ledger_getAccount gave");
    /* sent again, the message's nonce is replaced, not doubled */
    cr_assert_eq(send_as(&s, "WorkerHeartbeat"), ST_OK, "%s", s.err);
    sender_clear(&s);
}

Test(worker_node, a_refused_or_failed_transaction_carries_the_nodes_reason)
{
    sender s;
    sender_init(&s);
    script = SCRIPT_REFUSE;
    cr_assert_eq(send_as(&s, "WorkerHeartbeat"), ST_CONFLICT, "refused");
    cr_assert(strstr(s.err, "nonce: expected 8") != NULL, "the node's message: %s", s.err);
    script = SCRIPT_FAIL_RECEIPT;
    cr_assert_eq(send_as(&s, "WorkerHeartbeat"), ST_CONFLICT, "failed");
    cr_assert(strstr(s.err, "the quote's platform is not the chain's") != NULL, "the receipt's error: %s", s.err);
    cr_assert_eq(send_as(&s, "NoSuchType"), ST_DISABLED, "an unknown type is the worker's own mistake, never sent");
    sender_clear(&s);
}

/* cJSON allocations made on the test thread fail from the fail_at-th on (0: none fail); the server
 * thread's are left alone, so only the worker's side meets the failures. */
static _Thread_local bool counting;
static _Thread_local unsigned allocs, fail_at;

static void *hooked_malloc(size_t n)
{
    if (counting && fail_at && ++allocs >= fail_at)
        return NULL;
    return malloc(n);
}

Test(worker_node, every_failed_allocation_gives_a_status_not_a_crash)
{
    wrk_challenge c;
    uint64_t id;
    cJSON_Hooks hooks = { .malloc_fn = hooked_malloc, .free_fn = free };
    script = SCRIPT_GOOD;
    cJSON_InitHooks(&hooks);
    bool done = false;
    unsigned k;
    for (k = 1; k < 500 && !done; k++) {
        sender s;
        sender_init(&s);
        allocs = 0;
        fail_at = k;
        counting = true;
        int rc_info = wrk_node_chain_id(s.n, &id, s.err, sizeof s.err);
        int rc_ch = wrk_node_challenge(s.n, &c, s.err, sizeof s.err, s.addr);
        int rc_tx = send_as(&s, "WorkerHeartbeat");
        counting = false;
        done = allocs < k;  /* nothing failed: every allocation has had its turn */
        int rcs[] = { rc_info, rc_ch, rc_tx };
        for (unsigned i = 0; i < 3; i++)
            cr_assert(rcs[i] == ST_OK || rcs[i] == ST_NOMEM || rcs[i] == ST_IO || rcs[i] == ST_INVALID,
                      "allocation %u failing: call %u gives %s", k, i, st_str(rcs[i]));
        if (done)
            cr_assert(rc_info == ST_OK && rc_ch == ST_OK && rc_tx == ST_OK, "all succeed when nothing fails");
        sender_clear(&s);
    }
    cJSON_InitHooks(NULL);
    cr_assert(done, "the calls make fewer than 500 allocations");
    cr_assert_gt(k, 20, "and enough of them to fail on many paths: %u", k);
    fprintf(stderr, "worker_node: %u cJSON allocations failed in turn\n", k - 2);
}
