/* SPDX-License-Identifier: MIT */
/* fuzz_eip712.c: the text form of one EIP-712 member value (ledger/eip712.c), the parser every
 * signed message's members go through. The first byte picks the member type, the rest is the text.
 * Invariants: a value that parses formats to text that parses to the same value; a uint's canonical
 * decimal text formats back to itself. */
#include "fuzz/fuzz.h"

#include <string.h>
#include "ledger/eip712.h"

static const char *const types[] = {
    "uint8", "uint32", "uint64", "uint256", "address", "bool", "bytes32", "bytes4", "bytes", "string",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *type = types[data[0] % (sizeof types / sizeof types[0])];
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    ledger_eip712_value v, w;
    memset(&v, 0, sizeof v);
    memset(&w, 0, sizeof w);

    if (ledger_eip712_value_parse(&v, type, text, len) == ST_OK) {
        char *fmt = ledger_eip712_value_format(&v, type);
        FUZZ_CHECK(fmt != NULL);
        FUZZ_CHECK(ledger_eip712_value_parse(&w, type, fmt, strlen(fmt)) == ST_OK);
        FUZZ_CHECK(memcmp(v.word, w.word, sizeof v.word) == 0 && v.len == w.len);
        FUZZ_CHECK(v.len == 0 || memcmp(v.data, w.data, v.len) == 0);
        if (ledger_eip712_type_kind(type, NULL) == LEDGER_EIP712_UINT)
            FUZZ_CHECK(strlen(fmt) == len && memcmp(fmt, text, len) == 0);
        free(fmt);
    }

    ledger_eip712_value_clear(&v);
    ledger_eip712_value_clear(&w);
    return 0;
}
