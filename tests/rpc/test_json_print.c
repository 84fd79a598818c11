/* SPDX-License-Identifier: MIT */
/* test_json_print.c: rpc_json_print prints what cJSON_PrintUnformatted prints, byte for byte: numbers
 * at the edges of its integer path and past them, every byte in a string and in a key, raw items,
 * constant keys, empty containers, trees cJSON refuses to print, and many random trees. */
#include <criterion/criterion.h>
#include "tests/lib/testhelp.h"
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "rpc/rpc_int.h"

/* Asserts that item prints the same both ways (or fails both ways). */
static void same_as_cjson(const cJSON *item)
{
    struct rpc_text t = { 0 };
    char *want = cJSON_PrintUnformatted(item);
    rpc_json_print(&t, item);
    if (!want) {
        cr_assert(t.failed, "cJSON cannot print it, rpc_json_print printed %.*s", (int)t.len, t.data);
    } else {
        cr_assert(!t.failed, "rpc_json_print failed on %s", want);
        cr_assert(t.len == strlen(want) && memcmp(t.data, want, t.len) == 0, "cJSON: %s\nours:  %.*s", want,
                  (int)t.len, t.data);
    }
    cJSON_free(want);
    rpc_text_clear(&t);
}

static void number_same(double d)
{
    cJSON *n = cJSON_CreateNumber(d);
    cr_assert_not_null(n);
    same_as_cjson(n);
    cJSON_Delete(n);
}

Test(rpc_json_print, numbers_at_the_edges)
{
    static const double edges[] = { 0, -0.0, 1, -1, 7, 10, 42, 0.5, -0.5, 0.1, 1e-7, 1.5e-300, 123.456,
                                    999999999999999, -999999999999999, 1e15, -1e15, 1e15 + 1, 1e16,
                                    9007199254740991.0, 9007199254740993.0, 18446744073709551615.0,
                                    2147483647, 2147483648.0, -2147483649.0, 4294967296.0, 1e300, -1e300,
                                    DBL_MAX, -DBL_MAX, DBL_MIN, DBL_TRUE_MIN, NAN, INFINITY, -INFINITY,
                                    1.0 / 3, 2.0 / 3, 100000000000000.5, 0.30000000000000004 };
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++)
        number_same(edges[i]);
    for (int e = -20; e <= 20; e++) {
        number_same(pow(10, e));
        number_same(pow(10, e) - 1);
        number_same(-pow(2, e * 3));
    }
}

Test(rpc_json_print, random_numbers)
{
    srand(12345);
    for (int i = 0; i < 20000; i++) {
        uint64_t bits = 0;
        for (int b = 0; b < 4; b++)
            bits = bits << 16 | (uint64_t)(rand() & 0xFFFF);
        double d;
        memcpy(&d, &bits, sizeof d);
        number_same(d);                                        /* any bit pattern */
        number_same((double)(int64_t)(bits >> (bits & 63)));  /* integers of every size */
        number_same((double)(bits % 2000000) / 1000 - 1000);   /* short decimals */
    }
}

Test(rpc_json_print, every_byte_in_strings_and_keys)
{
    char s[256];
    for (int i = 1; i < 256; i++)
        s[i - 1] = (char)i;
    s[255] = '\0';
    cJSON *o = cJSON_CreateObject();
    cr_assert(cJSON_AddStringToObject(o, s, s) != NULL);
    cr_assert(cJSON_AddStringToObject(o, "", "") != NULL);
    cr_assert(cJSON_AddStringToObject(o, "plain", "no escapes at all") != NULL);
    same_as_cjson(o);
    for (int i = 1; i < 256; i++) {
        char one[2] = { (char)i, 0 };
        cJSON *str = cJSON_CreateString(one);
        same_as_cjson(str);
        cJSON_Delete(str);
    }
    cJSON_Delete(o);
}

Test(rpc_json_print, raw_empty_and_unprintable)
{
    cJSON *o = cJSON_CreateObject();
    cr_assert(cJSON_AddRawToObject(o, "raw", "[1, 2 ,{\"a\" : 3}]") != NULL);
    cr_assert(cJSON_AddArrayToObject(o, "a") && cJSON_AddObjectToObject(o, "o"));
    cr_assert(cJSON_AddTrueToObject(o, "t") && cJSON_AddFalseToObject(o, "f") && cJSON_AddNullToObject(o, "n"));
    cr_assert(cJSON_AddItemToObjectCS(o, "a constant key", cJSON_CreateNumber(5))); /* its type has a flag */
    same_as_cjson(o);
    cJSON *raw = cJSON_CreateRaw("x");
    free(raw->valuestring);
    raw->valuestring = NULL; /* a raw item without text: cJSON prints nothing */
    same_as_cjson(raw);
    cJSON *arr = cJSON_CreateArray();
    cr_assert(cJSON_AddItemToArray(arr, cJSON_CreateNumber(1)) && cJSON_AddItemToArray(arr, raw));
    same_as_cjson(arr);
    cJSON *invalid = cJSON_CreateNull();
    invalid->type = cJSON_Invalid;
    same_as_cjson(invalid);
    cJSON *s = cJSON_CreateString("x");
    cJSON_free(s->valuestring);
    s->valuestring = NULL; /* cJSON prints "" */
    same_as_cjson(s);
    cJSON_Delete(s);
    cJSON_Delete(invalid);
    cJSON_Delete(arr);
    cJSON_Delete(o);
}

/* A random tree depth levels deep at most. */
static cJSON *random_tree(int depth)
{
    static const char *const words[] = { "", "a", "jsonrpc", "0x12Ab", "tab\there", "quote\"back\\slash",
                                         "\x01\x1f\x7f", "caf\xc3\xa9", "line\nfeed\r", "/slash/" };
    int kind = rand() % (depth > 0 ? 8 : 6);
    switch (kind) {
    case 0: return cJSON_CreateNull();
    case 1: return cJSON_CreateBool(rand() & 1);
    case 2: return cJSON_CreateNumber((double)(rand() % 100000) - 50000);
    case 3: return cJSON_CreateNumber((double)rand() / 7.0);
    case 4: return cJSON_CreateString(words[rand() % 10]);
    case 5: return cJSON_CreateNumber((double)rand() * (double)rand() * (double)rand());
    case 6: {
        cJSON *a = cJSON_CreateArray();
        for (int i = rand() % 5; i > 0; i--)
            cJSON_AddItemToArray(a, random_tree(depth - 1));
        return a;
    }
    default: {
        cJSON *o = cJSON_CreateObject();
        for (int i = rand() % 5; i > 0; i--)
            cJSON_AddItemToObject(o, words[rand() % 10], random_tree(depth - 1));
        return o;
    }
    }
}

Test(rpc_json_print, random_trees)
{
    srand(777);
    for (int i = 0; i < 3000; i++) {
        cJSON *tree = random_tree(5);
        cr_assert_not_null(tree);
        same_as_cjson(tree);
        cJSON_Delete(tree);
    }
}

Test(rpc_json_print, appends_after_what_the_buffer_holds)
{
    struct rpc_text t = { 0 };
    rpc_text_put(&t, "x=", 2);
    cJSON *a = cJSON_Parse("[\"a long string that does not fit a small buffer ........................\",1]");
    for (int i = 0; i < 50; i++)
        rpc_json_print(&t, a);
    cr_assert(!t.failed);
    cr_assert(t.len == 2 + 50 * strlen("[\"a long string that does not fit a small buffer ........................\",1]"));
    cr_assert(memcmp(t.data, "x=[\"a long", 10) == 0);
    rpc_text_release(&t);
    cr_assert(t.len == 0 && !t.failed);
    rpc_text_clear(&t);
    cr_assert_null(t.data);
    cJSON_Delete(a);
}
