/* SPDX-License-Identifier: MIT */
/* test_dispatch.c: the JSON-RPC 2.0 dispatcher driven with JSON strings through rpc_handle_body,
 * over a small method table: parse and envelope errors, ids, params mapping, admin and dev
 * methods, batches and notifications, conclaved's status to code mapping (node/errors.c), cJSON
 * allocation failures, and which bodies call only RPC_STATELESS methods (rpc_calls_stateless). */
#include <criterion/criterion.h>
#include "tests/lib/testhelp.h"
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>
#include "ledger/status.h"
#include "node/methods.h"
#include "rpc/rpc.h"
#include "rpc/rpc_int.h"
#include "tests/rpc/test_methods.h"

/* Answers whether the call was authorized, as the handler sees it. */
static int m_admin_only(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    *result = cJSON_CreateBool(ctx->authorized);
    return *result ? ST_OK : ST_NOMEM;
}

static int m_dev_only(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    *result = cJSON_CreateString("dev");
    return *result ? ST_OK : ST_NOMEM;
}

/* Fails with params.status, the message params.message if given, and data {"status": N}. */
static int m_fail(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(params, "status");
    const cJSON *message = cJSON_GetObjectItemCaseSensitive(params, "message");
    cJSON *data = cJSON_CreateObject();
    if (!data || !cJSON_AddNumberToObject(data, "status", status->valuedouble)) {
        cJSON_Delete(data);
        return ST_NOMEM;
    }
    if (cJSON_IsString(message))
        return rpc_error(ctx, (int)status->valuedouble, data, "%s", message->valuestring);
    return rpc_error(ctx, (int)status->valuedouble, data, NULL);
}

/* Tries to defer, which rpc_handle_body does not allow, and claims pending anyway. */
static int m_pending(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    cr_assert_null(rpc_defer(ctx), "rpc_handle_body must not hand out deferred tokens");
    return RPC_PENDING;
}

/* Takes its params from the dispatcher and answers them as its result (which the dispatcher
 * deletes): a second take finds nothing. */
static int m_take(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    cJSON *taken = rpc_take_params(ctx);
    cr_assert_eq(taken, params, "the params object itself is taken");
    cr_assert_null(rpc_take_params(ctx), "taken once only");
    cJSON_DeleteItemFromObjectCaseSensitive(taken, "other");
    *result = taken;
    return ST_OK;
}

static const char *const add_params[] = { "a", "b", NULL };
static const char *const echo_params[] = { "value", "other", NULL };
static const char *const fail_params[] = { "status", "message", NULL };

static const rpc_method table[] = {
    { .name = "add", .params = add_params, .fn = test_m_add },
    { .name = "admin_only", .flags = RPC_ADMIN, .fn = m_admin_only },
    { .name = "dev_only", .flags = RPC_DEV, .fn = m_dev_only },
    { .name = "echo", .params = echo_params, .fn = test_m_echo },
    { .name = "fail", .params = fail_params, .fn = m_fail },
    { .name = "pending", .fn = m_pending },
    { .name = "quiet", .flags = RPC_STATELESS, .fn = m_pending },
    { .name = "take", .params = echo_params, .fn = m_take },
};

#define MAX_BATCH 5

/* Criterion runs each parameter in a fresh process where pointers into this binary's static data
 * are not valid, so parameters are indices (in cr_malloc'd memory) into the file's case tables. */
static struct event_base *base;
static rpc_server *server, *dev_server;

static void setup(void)
{
    rpc_limits limits;
    rpc_limits_default(&limits);
    limits.max_batch = MAX_BATCH;
    base = event_base_new();
    cr_assert_not_null(base, "event_base_new failed");
    server = rpc_server_new(base, table, sizeof table / sizeof table[0], NULL, &limits, "token", false);
    dev_server = rpc_server_new(base, table, sizeof table / sizeof table[0], NULL, &limits, "token", true);
    cr_assert(server && dev_server, "rpc_server_new failed");
    rpc_server_set_errors(server, node_rpc_error);
    rpc_server_set_errors(dev_server, node_rpc_error);
}

static void teardown(void)
{
    rpc_server_free(server);
    rpc_server_free(dev_server);
    event_base_free(base);
}

TestSuite(rpc_dispatch, .init = setup, .fini = teardown);

/* Runs body on s; returns the parsed response, or NULL when there was none. */
static cJSON *run_on(rpc_server *s, const char *body, bool authorized)
{
    char *out = rpc_handle_body(s, body, strlen(body), authorized);
    if (!out)
        return NULL;
    cJSON *r = cJSON_Parse(out);
    cr_assert_not_null(r, "the response is not JSON: %s", out);
    free(out);
    return r;
}

static cJSON *run(const char *body)
{
    return run_on(server, body, false);
}

/* Checks that r is a JSON-RPC 2.0 error response with code and the id printed as id_text. */
static void check_error(const cJSON *r, int code, const char *id_text)
{
    cr_assert(cJSON_IsObject(r), "expected a response object");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(r, "jsonrpc");
    cr_assert(cJSON_IsString(v) && strcmp(v->valuestring, "2.0") == 0, "jsonrpc must be \"2.0\"");
    cr_assert_null(cJSON_GetObjectItemCaseSensitive(r, "result"), "an error response has no result");
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(r, "error");
    cr_assert(cJSON_IsObject(err), "expected an error member");
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(err, "code");
    cr_assert(cJSON_IsNumber(c), "error.code must be a number");
    cr_assert_eq(c->valueint, code, "error.code %d, expected %d", c->valueint, code);
    cr_assert(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(err, "message")), "error.message must be a string");
    char *id = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(r, "id"));
    cr_assert_not_null(id, "the response must have an id");
    cr_assert_str_eq(id, id_text, "id %s, expected %s", id, id_text);
    cJSON_free(id);
}

static const char *error_message(const cJSON *r)
{
    return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r, "error"), "message")->valuestring;
}

/* Returns: the result member of a success response, checked for shape. */
static const cJSON *result_of(const cJSON *r)
{
    cr_assert(cJSON_IsObject(r), "expected a response object");
    cr_assert_null(cJSON_GetObjectItemCaseSensitive(r, "error"), "unexpected error in %s", cJSON_PrintUnformatted(r));
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(r, "result");
    cr_assert_not_null(res, "expected a result member");
    return res;
}

/* A body that gets a JSON-RPC error of its own: the code and the id (as JSON) it must answer. */
static const struct error_case {
    const char *what;
    const char *body;
    int code;
    const char *id;
} error_cases[] = {
    { "a parse error answers with a null id", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":", RPC_PARSE_ERROR, "null" },
    { "trailing bytes after the JSON are a parse error", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\"} x",
      RPC_PARSE_ERROR, "null" },
    { "an empty body is a parse error", "", RPC_PARSE_ERROR, "null" },
    { "pending without a deferred token is an internal error", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"pending\"}",
      RPC_INTERNAL_ERROR, "1" },
};

TH_TABLE_PARAMETERS(rpc_dispatch, bodies_get_their_error_and_id, error_cases)

ParameterizedTest(int *i, rpc_dispatch, bodies_get_their_error_and_id)
{
    const struct error_case *c = &error_cases[*i];
    cJSON *r = run(c->body);
    cr_assert_not_null(r, "%s: answered", c->what);
    check_error(r, c->code, c->id);
    cJSON_Delete(r);
}

Test(rpc_dispatch, body_is_read_only_up_to_its_length)
{
    const char *body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"add\",\"params\":[1,2]}garbage";
    char *out = rpc_handle_body(server, body, strlen(body) - strlen("garbage"), false);
    cr_assert_not_null(out, "expected a response");
    cJSON *r = cJSON_Parse(out);
    cr_assert_eq(result_of(r)->valuedouble, 3, "1 + 2 must be 3");
    cJSON_Delete(r);
    free(out);
}

/* A request the dispatcher refuses: the error code, the id the error must carry, whether the admin
 * token is presented, and what the message must mention (NULL: anything). */
struct refused_case {
    const char *body;
    int code;
    const char *id;
    bool admin;
    const char *needle;
};

/* an invalid request, without the admin token: -32600 */
#define INVALID(body, id) { body, RPC_INVALID_REQUEST, id, false, NULL }
/* bad params for a method of the table, with the admin token (admin_only needs it): -32602 */
#define BAD_PARAMS(body, needle) { body, RPC_INVALID_PARAMS, "1", true, needle }

static const struct refused_case refused_cases[] = {
    INVALID("1", "null"),
    INVALID("\"call\"", "null"),
    INVALID("null", "null"),
    INVALID("{\"id\":1,\"method\":\"echo\"}", "1"),
    INVALID("{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"echo\"}", "1"),
    INVALID("{\"jsonrpc\":2.0,\"id\":1,\"method\":\"echo\"}", "1"),
    INVALID("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":7}", "1"),
    INVALID("{\"jsonrpc\":\"2.0\",\"id\":1}", "1"),
    INVALID("{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"echo\"}", "null"),
    INVALID("{\"jsonrpc\":\"2.0\",\"id\":[1],\"method\":\"echo\"}", "null"),
    INVALID("{\"jsonrpc\":\"2.0\",\"id\":true,\"method\":\"echo\"}", "null"),
    INVALID("{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"method\":\"echo\",\"params\":\"x\"}", "\"a\""),
    INVALID("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"echo\",\"params\":null}", "2"),
    INVALID("{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":3}", "null"),
    BAD_PARAMS("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"add\",\"params\":[1,2,3]}", "at most 2"),
    BAD_PARAMS("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"admin_only\",\"params\":[1]}", "at most 0"),
    BAD_PARAMS("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"add\",\"params\":{\"a\":1,\"c\":2}}", "\"c\""),
    BAD_PARAMS("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"add\",\"params\":{\"a\":1,\"a\":2}}", "duplicate"),
    BAD_PARAMS("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"add\",\"params\":[1]}", "params.a"),
};

TH_TABLE_PARAMETERS(rpc_dispatch, refused_requests_answer_their_error, refused_cases)

ParameterizedTest(int *i, rpc_dispatch, refused_requests_answer_their_error)
{
    const struct refused_case *c = &refused_cases[*i];
    cJSON *r = run_on(server, c->body, c->admin);
    cr_assert_not_null(r, "a refused request is answered even without id: %s", c->body);
    check_error(r, c->code, c->id);
    if (c->needle)
        cr_assert(strstr(error_message(r), c->needle), "message \"%s\" should mention %s", error_message(r), c->needle);
    cJSON_Delete(r);
}

static const char *const id_cases[] = { "\"abc\"", "\"\"", "\"\\u00e9\\n\"", "7", "-3", "0", "1.5", "1e3",
                                         "9007199254740991", "null" };

TH_TABLE_PARAMETERS(rpc_dispatch, ids_are_echoed_exactly, id_cases)

ParameterizedTest(int *i, rpc_dispatch, ids_are_echoed_exactly)
{
    const char *const *id = &id_cases[*i];
    char body[256];
    snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"id\":%s,\"method\":\"echo\"}", *id);
    cJSON *r = run(body), *want = cJSON_Parse(*id);
    result_of(r);
    cr_assert(cJSON_Compare(cJSON_GetObjectItemCaseSensitive(r, "id"), want, true), "id %s not echoed", *id);
    cJSON_Delete(want);
    cJSON_Delete(r);
}

/* Every number prints as cJSON prints it, whether it becomes a raw integer or stays a number. */
static const double printed_cases[] = { 0, -0.0, 7, -3, 1.5, 1e3, 999999999999999, -999999999999999, 1e15, -1e15,
                                        9007199254740991, 1e300, 0.1, -2.5e-7 };

Test(rpc_dispatch, printed_numbers_are_cjsons_text)
{
    for (size_t i = 0; i < sizeof printed_cases / sizeof printed_cases[0]; i++) {
        cJSON *fast = rpc_printed_number(printed_cases[i]), *slow = cJSON_CreateNumber(printed_cases[i]);
        cr_assert(fast && slow, "out of memory");
        char *a = cJSON_PrintUnformatted(fast), *b = cJSON_PrintUnformatted(slow);
        cr_assert_str_eq(a, b, "%g prints as %s, cJSON prints %s", printed_cases[i], a, b);
        cJSON_free(a);
        cJSON_free(b);
        cJSON_Delete(fast);
        cJSON_Delete(slow);
    }
}

/* The id of the answer is the text cJSON prints for the id's value. */
Test(rpc_dispatch, numeric_ids_print_as_cjson_prints_them)
{
    static const char *const ids[][2] = { { "7", "7" }, { "-0", "-0" }, { "1e3", "1000" }, { "1.50", "1.5" },
                                          { "123456789012345", "123456789012345" }, { "1e15", "1e+15" } };
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        char body[128], want[64];
        snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"id\":%s,\"method\":\"echo\"}", ids[i][0]);
        snprintf(want, sizeof want, "\"id\":%s,", ids[i][1]);
        char *out = rpc_handle_body(server, body, strlen(body), false);
        cr_assert_not_null(out, "no answer to %s", body);
        cr_assert(strstr(out, want), "id %s answered as %s, expected %s", ids[i][0], out, want);
        free(out);
    }
}

/* A handler may take its params (rpc_take_params) and keep, change or hand them on: the dispatcher
 * deletes them only when they were not taken, named or positional. */
Test(rpc_dispatch, taken_params_are_the_handlers)
{
    static const char *const bodies[][2] = {
        { "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"take\",\"params\":{\"value\":5,\"other\":6}}", "\"result\":{\"value\":5}" },
        { "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"take\",\"params\":[7,8]}", "\"result\":{\"value\":7}" },
        { "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"take\"}", "\"result\":{}" },
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        char *out = rpc_handle_body(server, bodies[i][0], strlen(bodies[i][0]), false);
        cr_assert(out && strstr(out, bodies[i][1]), "%s answered %s, expected %s", bodies[i][0], out, bodies[i][1]);
        free(out);
    }
}

Test(rpc_dispatch, unknown_method_answers_minus_32601)
{
    cJSON *r = run("{\"jsonrpc\":\"2.0\",\"id\":\"q\",\"method\":\"nope\"}");
    check_error(r, RPC_METHOD_NOT_FOUND, "\"q\"");
    cr_assert(strstr(error_message(r), "nope"), "the message names the method: %s", error_message(r));
    cJSON_Delete(r);
}

Test(rpc_dispatch, dev_method_is_hidden_unless_dev)
{
    const char *body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"dev_only\"}";
    cJSON *r = run(body);
    check_error(r, RPC_METHOD_NOT_FOUND, "1");
    cJSON_Delete(r);
    r = run_on(dev_server, body, false);
    cr_assert_str_eq(result_of(r)->valuestring, "dev", "the dev server runs dev methods");
    cJSON_Delete(r);
}

Test(rpc_dispatch, admin_method_needs_the_token)
{
    const char *body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"admin_only\"}";
    cJSON *r = run(body);
    check_error(r, RPC_E_UNAUTHORIZED, "1");
    cr_assert_str_eq(error_message(r), "unauthorized", "generic message expected");
    cJSON_Delete(r);
    r = run_on(server, body, true);
    cr_assert(cJSON_IsTrue(result_of(r)), "the handler sees ctx->authorized");
    cJSON_Delete(r);
}

Test(rpc_dispatch, positional_params_map_to_names)
{
    cJSON *r = run("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"add\",\"params\":[2,3]}");
    cr_assert_eq(result_of(r)->valuedouble, 5, "2 + 3 must be 5");
    cJSON_Delete(r);
    r = run("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":[\"v\"]}");
    char *text = cJSON_PrintUnformatted(result_of(r));
    cr_assert_str_eq(text, "{\"value\":\"v\"}", "echo sees the named object, got %s", text);
    cJSON_free(text);
    cJSON_Delete(r);
}

Test(rpc_dispatch, named_params_pass_through)
{
    cJSON *r = run("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"add\",\"params\":{\"b\":3,\"a\":2}}");
    cr_assert_eq(result_of(r)->valuedouble, 5, "2 + 3 must be 5");
    cJSON_Delete(r);
}

Test(rpc_dispatch, the_first_of_repeated_envelope_members_counts)
{
    cJSON *r = run("{\"method\":\"add\",\"jsonrpc\":\"2.0\",\"id\":7,\"params\":{\"a\":1,\"b\":2},\"extra\":0,"
                   "\"method\":\"echo\",\"id\":8,\"jsonrpc\":\"1.0\",\"params\":{\"value\":1}}");
    cr_assert_eq(result_of(r)->valuedouble, 3, "add ran with the first params: 1 + 2");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(r, "id");
    cr_assert(cJSON_IsNumber(id) && id->valueint == 7, "the first id is echoed");
    cJSON_Delete(r);
    r = run("{\"jsonrpc\":\"1.0\",\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"add\"}");
    check_error(r, -32600, "1");
    cJSON_Delete(r);
}

Test(rpc_dispatch, absent_params_are_an_empty_object)
{
    cJSON *r = run("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\"}");
    const cJSON *res = result_of(r);
    cr_assert(cJSON_IsObject(res) && !res->child, "echo of absent params must be {}");
    cJSON_Delete(r);
}

Test(rpc_dispatch, handler_error_carries_message_and_data)
{
    cJSON *r = run("{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"fail\",\"params\":[3,\"no such key\"]}");
    check_error(r, NODE_E_NOT_FOUND, "9");
    cr_assert_str_eq(error_message(r), "no such key", "the handler's message wins");
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r, "error"), "data");
    cr_assert(cJSON_IsObject(data), "error.data must hold the handler's data");
    cr_assert_eq(cJSON_GetObjectItemCaseSensitive(data, "status")->valueint, ST_NOTFOUND, "data.status");
    cJSON_Delete(r);
}

struct status_case {
    int status;
    int code;
    const char *message;             /* the generic message */
};

static const struct status_case status_cases[] = {
    { ST_INVALID, RPC_INVALID_PARAMS, "invalid params" },
    { ST_NOMEM, RPC_INTERNAL_ERROR, "internal error" },
    { ST_DB, RPC_INTERNAL_ERROR, "internal error" },
    { ST_IO, RPC_INTERNAL_ERROR, "internal error" },
    { ST_VERSION, RPC_INTERNAL_ERROR, "internal error" },
    { ST_NONCE, NODE_E_NONCE, "nonce mismatch" },
    { ST_CRYPTO, NODE_E_SIGNATURE, "bad signature" },
    { ST_NOTFOUND, NODE_E_NOT_FOUND, "not found" },
    { ST_UNAUTHORIZED, RPC_E_UNAUTHORIZED, "unauthorized" },
    { ST_INSUFFICIENT, NODE_E_INSUFFICIENT, "insufficient balance" },
    { ST_CONFLICT, NODE_E_CONFLICT, "conflict" },
    { ST_LIMIT, RPC_E_LIMIT, "limit exceeded" },
    { ST_DISABLED, NODE_E_DISABLED, "disabled" },
    { ST_OVERFLOW, NODE_E_OVERFLOW, "amount overflow" },
};

TH_TABLE_PARAMETERS(rpc_dispatch, statuses_map_to_codes_and_generic_messages, status_cases)

ParameterizedTest(int *i, rpc_dispatch, statuses_map_to_codes_and_generic_messages)
{
    const struct status_case *c = &status_cases[*i];
    char body[128];
    const char *generic;
    cr_assert_eq(node_rpc_error(c->status, &generic), c->code, "node_rpc_error(%d)", c->status);
    cr_assert_str_eq(generic, c->message, "node_rpc_error(%d)'s message", c->status);
    snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"fail\",\"params\":{\"status\":%d}}",
             c->status);
    cJSON *r = run(body);
    check_error(r, c->code, "1");
    cr_assert_str_eq(error_message(r), c->message, "generic message for status %d", c->status);
    cJSON_Delete(r);
}

Test(rpc_dispatch, notifications_get_no_response)
{
    cr_assert_null(run("{\"jsonrpc\":\"2.0\",\"method\":\"echo\"}"), "a notification is not answered");
    cr_assert_null(run("{\"jsonrpc\":\"2.0\",\"method\":\"nope\"}"), "nor when the method is unknown");
    cr_assert_null(run("{\"jsonrpc\":\"2.0\",\"method\":\"admin_only\"}"), "nor when unauthorized");
    cr_assert_null(run("{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":[1,2,3]}"), "nor on bad params");
}

Test(rpc_dispatch, null_id_is_a_call_not_a_notification)
{
    cJSON *r = run("{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"add\",\"params\":[1,1]}");
    cr_assert_eq(result_of(r)->valuedouble, 2, "id null is answered");
    cJSON_Delete(r);
}

Test(rpc_dispatch, batch_answers_in_order_without_notifications)
{
    cJSON *r = run("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"add\",\"params\":[1,2]},"
                   "{\"jsonrpc\":\"2.0\",\"method\":\"echo\"},"
                   "5,"
                   "{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"method\":\"nope\"},"
                   "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"add\",\"params\":{\"a\":5,\"b\":5}}]");
    cr_assert(cJSON_IsArray(r), "a batch is answered with an array");
    cr_assert_eq(cJSON_GetArraySize(r), 4, "one answer per non-notification, got %d", cJSON_GetArraySize(r));
    cr_assert_eq(result_of(cJSON_GetArrayItem(r, 0))->valuedouble, 3, "first answer is 1 + 2");
    check_error(cJSON_GetArrayItem(r, 1), RPC_INVALID_REQUEST, "null");
    check_error(cJSON_GetArrayItem(r, 2), RPC_METHOD_NOT_FOUND, "\"x\"");
    cr_assert_eq(result_of(cJSON_GetArrayItem(r, 3))->valuedouble, 10, "last answer is 5 + 5");
    cJSON_Delete(r);
}

Test(rpc_dispatch, batch_of_notifications_gets_no_response)
{
    cr_assert_null(run("[{\"jsonrpc\":\"2.0\",\"method\":\"echo\"},{\"jsonrpc\":\"2.0\",\"method\":\"add\"}]"),
                   "only notifications: nothing to answer");
}

Test(rpc_dispatch, empty_batch_is_one_invalid_request)
{
    cJSON *r = run(" [ ] ");
    cr_assert(cJSON_IsObject(r), "an empty batch is answered with a single object");
    check_error(r, RPC_INVALID_REQUEST, "null");
    cJSON_Delete(r);
}

Test(rpc_dispatch, batch_over_the_limit_is_one_invalid_request)
{
    char body[1024] = "[";
    for (int i = 0; i <= MAX_BATCH; i++)
        snprintf(body + strlen(body), sizeof body - strlen(body), "%s{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"echo\"}",
                 i ? "," : "", i);
    strcat(body, "]");
    cJSON *r = run(body);
    cr_assert(cJSON_IsObject(r), "an oversized batch is answered with a single object");
    check_error(r, RPC_INVALID_REQUEST, "null");
    cr_assert(strstr(error_message(r), "limit of 5"), "the message states the limit: %s", error_message(r));
    cJSON_Delete(r);
}

Test(rpc_dispatch, batch_at_the_limit_runs)
{
    char body[1024] = "[";
    for (int i = 0; i < MAX_BATCH; i++)
        snprintf(body + strlen(body), sizeof body - strlen(body), "%s{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"echo\"}",
                 i ? "," : "", i);
    strcat(body, "]");
    cJSON *r = run(body);
    cr_assert_eq(cJSON_GetArraySize(r), MAX_BATCH, "every call of a full batch is answered");
    cJSON_Delete(r);
}

Test(rpc_dispatch, empty_table_finds_nothing)
{
    rpc_server *empty = rpc_server_new(base, NULL, 0, NULL, NULL, NULL, false);
    cr_assert_not_null(empty, "a server without methods is allowed");
    cJSON *r = run_on(empty, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\"}", true);
    check_error(r, RPC_METHOD_NOT_FOUND, "1");
    cJSON_Delete(r);
    rpc_server_free(empty);
}

/* cJSON allocations fail once this many have succeeded; negative: never. */
static long alloc_budget = -1;
static bool alloc_refused;

static void *limited_malloc(size_t n)
{
    if (alloc_budget == 0) {
        alloc_refused = true;
        return NULL;
    }
    if (alloc_budget > 0)
        alloc_budget--;
    return malloc(n);
}

Test(rpc_dispatch, survives_each_cjson_allocation_failing)
{
    const char *body = "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"add\",\"params\":[1,2]},"
                       "{\"jsonrpc\":\"2.0\",\"id\":\"e\",\"method\":\"echo\",\"params\":{\"value\":[1,{\"k\":\"v\"}]}},"
                       "{\"jsonrpc\":\"2.0\",\"method\":\"echo\"},7,"
                       "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"fail\",\"params\":[5,\"db\"]}]";
    cJSON_Hooks hooks = { .malloc_fn = limited_malloc, .free_fn = free };
    cJSON_InitHooks(&hooks);
    bool completed = false;
    for (long n = 0; n < 10000 && !completed; n++) {
        alloc_budget = n;
        alloc_refused = false;
        char *out = rpc_handle_body(server, body, strlen(body), true);
        alloc_budget = -1;
        completed = !alloc_refused;
        if (out) {
            cJSON *r = cJSON_Parse(out);
            cr_assert_not_null(r, "with %ld allocations: the response is not JSON: %s", n, out);
            cJSON_Delete(r);
        }
        cr_assert(out || !completed, "without failures the batch must be answered");
        free(out);
    }
    cJSON_InitHooks(NULL);
    cr_assert(completed, "the batch should complete within 10000 allocations");
}

/* Returns: whether s is UTF-8 (RFC 3629), checked independently of the server's own check. */
static bool is_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned cp;
        int n = *p < 0x80 ? 0 : (*p & 0xE0) == 0xC0 ? 1 : (*p & 0xF0) == 0xE0 ? 2 : (*p & 0xF8) == 0xF0 ? 3 : -1;
        if (n < 0)
            return false;
        cp = n == 0 ? *p : *p & (0x3F >> n);
        for (int i = 1; i <= n; i++) {
            if ((p[i] & 0xC0) != 0x80)
                return false;
            cp = cp << 6 | (p[i] & 0x3F);
        }
        static const unsigned min[] = { 0, 0x80, 0x800, 0x10000 };
        if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        p += n + 1;
    }
    return true;
}

/* Runs a body of len bytes; returns the response text (caller frees), checked to be UTF-8. */
static char *run_text(const char *body, size_t len)
{
    char *out = rpc_handle_body(server, body, len, false);
    cr_assert_not_null(out, "an answer");
    cr_assert(is_utf8(out), "the response is UTF-8: %s", out);
    return out;
}

static const char *const not_utf8[] = {
    "{\"jsonrpc\":\"2.0\",\"id\":\"\xff\",\"method\":\"add\",\"params\":[1,2]}",          /* in the id */
    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\xc3(\"}",                                  /* in the method */
    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":{\"v\xe9\":1}}",           /* a param name */
    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":[\"\xc0\xaf\"]}",          /* overlong '/' */
    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":[\"\xed\xa0\x80\"]}",      /* a surrogate */
    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":[\"\xf4\x90\x80\x80\"]}",  /* past U+10FFFF */
    "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"add\",\"params\":[1,2]},\"\xe2\x82\"]",    /* cut short */
};

TH_TABLE_PARAMETERS(rpc_dispatch, a_body_that_is_not_utf8_is_a_parse_error_never_echoed, not_utf8)

ParameterizedTest(int *i, rpc_dispatch, a_body_that_is_not_utf8_is_a_parse_error_never_echoed)
{
    char *out = run_text(not_utf8[*i], strlen(not_utf8[*i]));
    cJSON *r = cJSON_Parse(out);
    check_error(r, RPC_PARSE_ERROR, "null");
    cr_assert_str_eq(error_message(r), "parse error: the body is not UTF-8", "says why: %s", out);
    cJSON_Delete(r);
    free(out);
}

Test(rpc_dispatch, quoted_names_are_cut_between_characters)
{
    char body[512], want[256];
    /* 99 bytes of 'a', then a two-byte é: the 100-byte cut falls inside it */
    snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"%.*s\xc3\xa9\"}", 99,
             "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    char *out = run_text(body, strlen(body));
    cJSON *r = cJSON_Parse(out);
    snprintf(want, sizeof want, "method not found: %.99s", body + strlen("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\""));
    cr_assert_str_eq(error_message(r), want, "the method up to the last whole character: %s", out);
    cJSON_Delete(r);
    free(out);
    /* 63 bytes of 'b', then é, as an unknown param name: the 64-byte cut falls inside it */
    snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":{\"%.*s\xc3\xa9\":1}}", 63,
             "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
    out = run_text(body, strlen(body));
    r = cJSON_Parse(out);
    check_error(r, RPC_INVALID_PARAMS, "1");
    cr_assert(strstr(error_message(r), "unknown param \"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\""),
              "the name up to the last whole character: %s", out);
    cJSON_Delete(r);
    free(out);
    /* a whole character at the end is kept */
    static const char whole[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\xc3\xa9t\xc3\xa9\"}";
    out = run_text(whole, sizeof whole - 1);
    cr_assert(strstr(out, "method not found: \xc3\xa9t\xc3\xa9\""), "UTF-8 names are quoted whole: %s", out);
    free(out);
}

Test(rpc_dispatch, a_string_holding_a_nul_character_is_refused)
{
    static const char *const bodies[] = {
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":[\"0x70997970C51812dc3A010C7d01b50e0d17dc79C8\\u0000junk\"]}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":{\"value\":{\"height\":\"latest\\u0000x\"}}}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\\u0000x\"}",
        "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"add\",\"params\":[1,2]},{\"jsonrpc\":\"2.0\",\"id\":\"\\u0000\",\"method\":\"add\"}]",
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        char *out = run_text(bodies[i], strlen(bodies[i]));
        cJSON *r = cJSON_Parse(out);
        check_error(r, RPC_INVALID_REQUEST, "null");
        cr_assert(strstr(error_message(r), "NUL character"), "says why: %s", out);
        cJSON_Delete(r);
        free(out);
    }
    /* a NUL byte itself is no JSON */
    static const char raw[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":[\"a\0b\"]}";
    char *out = run_text(raw, sizeof raw - 1);
    cr_assert(strstr(out, "\"code\":-32700") && strstr(out, "NUL byte"), "a raw NUL: %s", out);
    free(out);
    /* an escaped backslash before u0000 is six ordinary characters */
    static const char text[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":[\"a\\\\u0000\\\"\"]}";
    out = run_text(text, sizeof text - 1);
    cr_assert(strstr(out, "\"result\":{\"value\":\"a\\\\u0000\\\"\"}"), "kept as text: %s", out);
    free(out);
}

/* Whether body's calls may run while the application is mid-change, on server (dev_server: dev). */
static bool stateless(rpc_server *on, const char *body)
{
    cJSON *tree = cJSON_Parse(body);
    cr_assert_not_null(tree, "test JSON: %s", body);
    bool answer = rpc_calls_stateless(on, tree);
    cJSON_Delete(tree);
    return answer;
}

Test(rpc_dispatch, a_body_is_stateless_when_each_call_names_a_stateless_method_or_is_refused_before_it_runs)
{
    cr_assert(stateless(server, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"quiet\"}"), "one stateless call");
    cr_assert(!stateless(server, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\"}"), "one other call");
    cr_assert(stateless(server, "[{\"method\":\"quiet\"},5,{\"method\":7},{\"method\":\"nope\"},{\"method\":\"dev_only\"}]"),
              "stateless calls, malformed calls, an unknown method and a dev method on a node without them");
    cr_assert(!stateless(dev_server, "[{\"method\":\"quiet\"},{\"method\":\"dev_only\"}]"), "the dev method where it runs");
    cr_assert(!stateless(server, "[{\"method\":\"quiet\"},{\"method\":\"quiet\"},{\"method\":\"add\"}]"), "one other call last");
    cr_assert(stateless(server, "[{\"method\":\"quiet\",\"method\":\"echo\"}]"), "the first of a repeated member counts");
}
