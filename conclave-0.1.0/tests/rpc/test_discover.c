/* SPDX-License-Identifier: MIT */
/* test_discover.c: rpc.discover through rpc_handle_body over a small table: the OpenRPC document
 * lists the table's methods with their summaries, params in positional order (required unless
 * described as optional) and results, marks admin ones, leaves out dev ones on a server without them, answers with no params only; and the
 * table check refuses param descriptions that do not match the params, and a method that would
 * shadow rpc.discover. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include "ledger/status.h"
#include "rpc/rpc.h"
#include "rpc/rpc_int.h"
#include "tests/lib/testhelp.h"
#include "tests/rpc/test_methods.h"

static const char *const add_params[] = { "a", "b", NULL };
static const char *const add_docs[] = { "the first addend", "the second addend", NULL };
static const char *const list_params[] = { "owner", "limit", NULL };
static const char *const list_docs[] = { "whose rows", RPC_PARAM_OPTIONAL "1 to 100 rows, default 20", NULL };

static const rpc_method table[] = {
    { .name = "add", .params = add_params, .fn = test_m_add, .summary = "Adds two numbers", .param_docs = add_docs,
      .result = "their sum" },
    { .name = "admin_echo", .flags = RPC_ADMIN, .fn = test_m_echo, .summary = "Echoes (admin)", .result = "null" },
    { .name = "dev_echo", .flags = RPC_DEV, .fn = test_m_echo, .summary = "Echoes (dev)", .result = "null" },
    { .name = "list", .params = list_params, .fn = test_m_echo, .param_docs = list_docs },
    { .name = "plain", .fn = test_m_echo },
};

static struct event_base *base;

static void setup(void)
{
    base = event_base_new();
    cr_assert_not_null(base, "event_base_new");
}

static void teardown(void)
{
    event_base_free(base);
}

TestSuite(rpc_discover, .init = setup, .fini = teardown);

/* The result of rpc.discover (params: JSON text or NULL) on a server (dev or not); caller deletes. */
static cJSON *discover(bool dev, const char *params)
{
    rpc_server *s = rpc_server_new(base, table, sizeof table / sizeof table[0], NULL, NULL, NULL, dev);
    cr_assert_not_null(s, "server");
    rpc_server_set_name(s, "testnode");
    char body[200];
    snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"rpc.discover\"%s%s}", params ? ",\"params\":" : "",
             params ? params : "");
    char *text = rpc_handle_body(s, body, strlen(body), false);
    cr_assert_not_null(text, "an answer");
    cJSON *r = cJSON_Parse(text);
    free(text);
    rpc_server_free(s);
    cr_assert_not_null(r, "JSON");
    return r;
}

static const cJSON *method_named(const cJSON *doc, const char *name)
{
    const cJSON *m;
    cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(doc, "methods"))
    if (strcmp(cJSON_GetObjectItemCaseSensitive(m, "name")->valuestring, name) == 0)
        return m;
    return NULL;
}

Test(rpc_discover, the_document_describes_the_table)
{
    cJSON *r = discover(true, NULL);
    const cJSON *doc = cJSON_GetObjectItemCaseSensitive(r, "result");
    cr_assert_str_eq(th_str(doc, "openrpc"), "1.2.6", "the OpenRPC version");
    cr_assert_str_eq(th_str(cJSON_GetObjectItemCaseSensitive(doc, "info"), "title"), "testnode", "the server's name");
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "methods")), 5, "every method of a dev server");
    const cJSON *add = method_named(doc, "add"), *params = cJSON_GetObjectItemCaseSensitive(add, "params");
    cr_assert_str_eq(th_str(add, "summary"), "Adds two numbers", "its summary");
    cr_assert_eq(cJSON_GetArraySize(params), 2, "two params");
    cr_assert_str_eq(th_str(cJSON_GetArrayItem(params, 1), "name"), "b", "in positional order");
    cr_assert_str_eq(th_str(cJSON_GetArrayItem(params, 1), "description"), "the second addend", "described");
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(params, 1), "required")),
              "a param described without the optional marker is required");
    params = cJSON_GetObjectItemCaseSensitive(method_named(doc, "list"), "params");
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(params, 0), "required")), "owner: required");
    cr_assert(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(params, 1), "required")),
              "limit, described with RPC_PARAM_OPTIONAL: not required");
    cr_assert_str_eq(th_str(cJSON_GetArrayItem(params, 1), "description"), "optional: 1 to 100 rows, default 20",
                     "the description as written");
    params = cJSON_GetObjectItemCaseSensitive(add, "params");
    cr_assert(cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(params, 0), "schema")), "a schema");
    cr_assert_str_eq(th_str(cJSON_GetObjectItemCaseSensitive(add, "result"), "description"), "their sum", "its result");
    cr_assert_null(cJSON_GetObjectItemCaseSensitive(add, "x-admin"), "not admin");
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(method_named(doc, "admin_echo"), "x-admin")), "admin marked");
    cr_assert_str_eq(th_str(method_named(doc, "plain"), "summary"), "", "no summary: empty");
    cJSON_Delete(r);

    r = discover(false, "[]");
    doc = cJSON_GetObjectItemCaseSensitive(r, "result");
    cr_assert_null(method_named(doc, "dev_echo"), "a server without dev methods leaves them out");
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "methods")), 4, "the other four");
    cJSON_Delete(r);

    r = discover(false, "{\"x\":1}");
    cr_assert_eq(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r, "error"), "code")->valueint,
                 RPC_INVALID_PARAMS, "params are refused");
    cJSON_Delete(r);
}

Test(rpc_discover, the_table_check_refuses_mismatched_docs_and_a_shadowing_name)
{
    static const char *const one_doc[] = { "only one", NULL };
    rpc_method bad[] = { { .name = "add", .params = add_params, .fn = test_m_add, .param_docs = one_doc } };
    cr_assert(!rpc_table_valid(bad, 1), "one description for two params");
    rpc_method shadow[] = { { .name = "rpc.discover", .fn = test_m_echo } };
    cr_assert(!rpc_table_valid(shadow, 1), "a method named rpc.discover");
    cr_assert(rpc_table_valid(table, sizeof table / sizeof table[0]), "the test table is valid");
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

Test(rpc_discover, survives_each_cjson_allocation_failing)
{
    rpc_server *s = rpc_server_new(base, table, sizeof table / sizeof table[0], NULL, NULL, NULL, true);
    cr_assert_not_null(s, "server");
    static const char body[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"rpc.discover\"}";
    cJSON_Hooks hooks = { .malloc_fn = limited_malloc, .free_fn = free };
    cJSON_InitHooks(&hooks);
    bool completed = false;
    for (long n = 0; n < 10000 && !completed; n++) {
        alloc_budget = n;
        alloc_refused = false;
        char *out = rpc_handle_body(s, body, strlen(body), false);
        alloc_budget = -1;
        completed = !alloc_refused;
        if (out) {
            cJSON *r = cJSON_Parse(out);
            cr_assert_not_null(r, "with %ld allocations: the response is not JSON: %s", n, out);
            cr_assert(completed || cJSON_GetObjectItemCaseSensitive(r, "error"), "a failed document is an error: %s", out);
            cJSON_Delete(r);
        }
        cr_assert(out || !completed, "without failures the call is answered");
        free(out);
    }
    cJSON_InitHooks(NULL);
    rpc_server_free(s);
    cr_assert(completed, "the document is built within 10000 allocations");
}
