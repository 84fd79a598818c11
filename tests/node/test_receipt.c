/* SPDX-License-Identifier: MIT */
/* test_receipt.c: node_receipt_result, the receipt tx_send answers with: a success's text written in
 * one pass must print byte for byte as node_receipt_json's object prints (clients and tests compare
 * receipts' text), at the edges of its numbers and events; a failure keeps the object. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdint.h>
#include <string.h>
#include "node/methods_int.h"

struct receipt_case {
    uint64_t height;
    uint32_t index;
    bool success;
    bool has_error, has_events;
    char error[64], events[96];      /* inline: a parameter reaches its test as a copy of its bytes */
    bool raw;                        /* whether it is answered as one raw item */
};

static const uint8_t hash[32] = { 0x00, 0x01, 0x7f, 0x80, 0xab, 0xcd, 0xef, 0xff, [31] = 0x42 };

static struct receipt_case cases[] = {
    { 7, 3, true, false, true, "", "[{\"type\":\"Vote\",\"voter\":\"0xAbC\",\"weight\":\"12\"}]", true },
    { 0, 0, true, false, true, "", "[]", true },
    { 1, 1, true, false, false, "", "", true },
    { 999999999999999, UINT32_MAX, true, false, true, "", "[{\"type\":\"\\\"q\\\"\\u0001\"}]", true },
    { 1000000000000000, 2, true, false, true, "", "[]", false },
    { 12, 5, false, true, true, "nonce \"7\" is\tlate\n\x01", "[]", false },
    { 12, 6, false, false, true, "", "[]", false },
};

ParameterizedTestParameters(node_receipt, prints_as_the_object_does)
{
    return cr_make_param_array(struct receipt_case, cases, sizeof cases / sizeof cases[0]);
}

ParameterizedTest(struct receipt_case *c, node_receipt, prints_as_the_object_does)
{
    eng_receipt r = { .hash = hash, .height = c->height, .index = c->index, .success = c->success,
                      .error = c->has_error ? c->error : NULL, .events = c->has_events ? c->events : NULL };
    cJSON *result = node_receipt_result(&r), *object = node_receipt_json(&r);
    cr_assert(result && object, "both made");
    cr_assert_eq(cJSON_IsRaw(result), c->raw, "raw text for a success below 10^15 only (height %llu)",
                 (unsigned long long)c->height);
    char *got = cJSON_PrintUnformatted(result), *want = cJSON_PrintUnformatted(object);
    cr_assert(got && want, "both printed");
    cr_assert_str_eq(got, want, "the same text");
    cJSON_free(got);
    cJSON_free(want);
    cJSON_Delete(result);
    cJSON_Delete(object);
}
