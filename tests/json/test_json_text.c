/* SPDX-License-Identifier: MIT */
/* test_json_text.c: json_text_print prints what cJSON_PrintUnformatted prints, byte for byte: numbers
 * at the edges of its integer path and past them, every byte in a string and in a key, raw items,
 * constant keys, empty containers, trees cJSON refuses to print, and many random trees; and the
 * buffer's life: kept or freed by json_text_release, handed over by json_text_take, and failed for
 * good (nothing leaked) when an allocation fails. */
#include <criterion/criterion.h>
#include "tests/lib/testhelp.h"
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "json/json_text.h"

/* Asserts that item prints the same both ways (or fails both ways). */
static void same_as_cjson(const cJSON *item)
{
    struct json_text t = { 0 };
    char *want = cJSON_PrintUnformatted(item);
    json_text_print(&t, item);
    if (!want) {
        cr_assert(t.failed, "cJSON cannot print it, json_text_print printed %.*s", (int)t.len, t.data);
    } else {
        cr_assert(!t.failed, "json_text_print failed on %s", want);
        cr_assert(t.len == strlen(want) && memcmp(t.data, want, t.len) == 0, "cJSON: %s\nours:  %.*s", want,
                  (int)t.len, t.data);
    }
    cJSON_free(want);
    json_text_clear(&t);
}

static void number_same(double d)
{
    cJSON *n = cJSON_CreateNumber(d);
    cr_assert_not_null(n);
    same_as_cjson(n);
    cJSON_Delete(n);
}

Test(json_text, numbers_at_the_edges)
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

Test(json_text, random_numbers)
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

Test(json_text, every_byte_in_strings_and_keys)
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

Test(json_text, raw_empty_and_unprintable)
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

Test(json_text, random_trees)
{
    srand(777);
    for (int i = 0; i < 3000; i++) {
        cJSON *tree = random_tree(5);
        cr_assert_not_null(tree);
        same_as_cjson(tree);
        cJSON_Delete(tree);
    }
}

Test(json_text, appends_after_what_the_buffer_holds)
{
    struct json_text t = { 0 };
    json_text_put(&t, "x=", 2);
    cJSON *a = cJSON_Parse("[\"a long string that does not fit a small buffer ........................\",1]");
    for (int i = 0; i < 50; i++)
        json_text_print(&t, a);
    cr_assert(!t.failed);
    cr_assert(t.len == 2 + 50 * strlen("[\"a long string that does not fit a small buffer ........................\",1]"));
    cr_assert(memcmp(t.data, "x=[\"a long", 10) == 0);
    json_text_release(&t, 64u << 10);
    cr_assert(t.len == 0 && !t.failed);
    json_text_clear(&t);
    cr_assert_null(t.data);
    cJSON_Delete(a);
}

Test(json_text, release_keeps_a_buffer_up_to_its_limit_only)
{
    struct json_text t = { 0 };
    char kib[1024];
    memset(kib, 'x', sizeof kib);
    json_text_put(&t, kib, sizeof kib);
    json_text_release(&t, 4096);
    cr_assert(t.len == 0 && t.data && t.cap >= sizeof kib, "a buffer within the limit is kept for the next text");
    for (int i = 0; i < 8; i++)
        json_text_put(&t, kib, sizeof kib);
    json_text_release(&t, 4096);
    cr_assert(t.len == 0 && !t.data && t.cap == 0, "a buffer grown past the limit is freed");
    json_text_clear(&t);
}

Test(json_text, take_hands_over_the_text_with_its_nul)
{
    struct json_text t = { 0 };
    cJSON *a = cJSON_Parse("{\"events\":[{\"type\":\"vote\",\"proposal\":7}]}");
    cr_assert_not_null(a, "the tree parses");
    json_text_print(&t, a);
    char *text = json_text_take(&t);
    char *want = cJSON_PrintUnformatted(a);
    cr_assert(text && strcmp(text, want) == 0, "the text taken is cJSON's, NUL-terminated: %s", text);
    cr_assert(!t.data && t.len == 0 && t.cap == 0 && !t.failed, "the text is left empty");
    free(text);
    text = json_text_take(&t);
    cr_assert(text && strcmp(text, "") == 0, "an empty text is taken as \"\"");
    free(text);
    cJSON_free(want);
    cJSON_Delete(a);
}

Test(json_text, a_failed_text_ignores_what_follows_and_takes_as_null)
{
    struct json_text t = { 0 };
    cJSON *invalid = cJSON_CreateNull();
    invalid->type = cJSON_Invalid;
    json_text_print(&t, invalid); /* a tree cJSON refuses to print */
    cr_assert(t.failed, "an unprintable tree fails the text");
    size_t len = t.len;
    json_text_put(&t, "more", 4);
    cJSON *n = cJSON_CreateNumber(1);
    json_text_print(&t, n);
    cr_assert(t.failed && t.len == len, "appends to a failed text do nothing");
    cr_assert_null(json_text_take(&t), "a failed text takes as NULL");
    cr_assert(!t.data && !t.failed, "and is left empty, its memory freed");
    json_text_put(&t, "ok", 2);
    cr_assert(!t.failed && t.len == 2, "an emptied text takes appends again");
    json_text_clear(&t);
    cJSON_Delete(n);
    cJSON_Delete(invalid);
}

Test(json_text, out_of_memory_at_each_growth_fails_the_text)
{
    cJSON *a = cJSON_Parse("[\"a string longer than the first buffer's 512 bytes comes once the tree is repeated\",1.5,-2]");
    cr_assert_not_null(a, "the tree parses");
    for (int k = 1;; k++) {
        struct json_text t = { 0 };
        th_alloc_fail_at(k);
        for (int i = 0; i < 40; i++)
            json_text_print(&t, a);
        char *text = json_text_take(&t);
        bool failed = th_alloc_failed();
        th_alloc_fail_at(0);
        if (!failed) {
            cr_assert(text && strlen(text) > 512 * 4, "with no failure the text is whole");
            free(text);
            cr_assert(k > 3, "the text grew more than 3 times before it was whole");
            break;
        }
        cr_assert_null(text, "allocation %d failed: the text takes as NULL", k);
    }
    cJSON_Delete(a);
}
