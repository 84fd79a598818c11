/* SPDX-License-Identifier: MIT */
/* fuzz_hex.c: 0x-hex and Ethereum addresses from untrusted text (ledger/hex.c). Invariants: what
 * decodes re-encodes to its input but for the case of the digits; the bounded, exact and heap
 * decoders agree; an address formats (EIP-55) to text that parses to the same 20 bytes. */
#include "fuzz/fuzz.h"

#include <string.h>
#include <strings.h>
#include "ledger/hex.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_strndup(data, size);
    uint8_t out[64], addr[20], again[20];
    size_t n = 0;

    int rc = ledger_hex_decode(out, sizeof out, &n, (const char *)data, size);
    if (rc == ST_OK) {
        char enc[2 * sizeof out + 3];
        FUZZ_CHECK(n <= sizeof out);
        ledger_hex_encode(enc, out, n);
        FUZZ_CHECK(strlen(enc) == size && strncasecmp(enc, (const char *)data, size) == 0);
    }

    /* the heap decoder reads a C string: it agrees with the bounded one when there is no NUL */
    size_t hn = 0;
    uint8_t *heap = ledger_hex_decode_alloc(text, &hn);
    if (strlen(text) == size && rc != ST_LIMIT)
        FUZZ_CHECK((heap != NULL) == (rc == ST_OK));
    if (heap && rc == ST_OK)
        FUZZ_CHECK(hn == n && memcmp(heap, out, n) == 0);
    if (heap) {
        char *enc = ledger_hex_encode_alloc(heap, hn);
        FUZZ_CHECK(enc && strlen(enc) == 2 + 2 * hn);
        free(enc);
    }
    free(heap);

    if (strlen(text) == size && size >= 2 && (size - 2) / 2 <= sizeof out && ledger_hex_decode_exact(out, (size - 2) / 2, text) == ST_OK)
        FUZZ_CHECK(rc == ST_OK);

    if (ledger_addr_parse(addr, text) == ST_OK) {
        char fmt[LEDGER_ADDR_STRLEN];
        ledger_addr_format(fmt, addr);
        FUZZ_CHECK(strcasecmp(fmt, text) == 0);
        FUZZ_CHECK(ledger_addr_parse(again, fmt) == ST_OK && memcmp(addr, again, 20) == 0);
    }

    free(text);
    return 0;
}
