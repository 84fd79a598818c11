/* SPDX-License-Identifier: MIT */
/* fuzz_amount.c: u256 amounts from untrusted text (ledger/amount.c): the canonical decimal parser
 * and the human "1.5" parser. Invariants: a canonical amount formats back to exactly its input and
 * fits in 256 bits; a human amount formats to text that parses to the same value; adding and
 * subtracting what parsed never wraps. */
#include "fuzz/fuzz.h"

#include <gmp.h>
#include <string.h>
#include "ledger/amount.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_strndup(data, size);
    char buf[LEDGER_AMOUNT_STRLEN + 2];
    mpz_t a, b, r;
    mpz_inits(a, b, r, NULL);

    if (ledger_amount_parse(a, (const char *)data, size) == ST_OK) {
        FUZZ_CHECK(ledger_amount_fits(a));
        ledger_amount_format(buf, a);
        FUZZ_CHECK(strlen(buf) == size && memcmp(buf, data, size) == 0);
        uint8_t word[32];
        ledger_amount_to_word(word, a);
        ledger_amount_from_word(b, word);
        FUZZ_CHECK(mpz_cmp(a, b) == 0);
        /* a + a overflows exactly when 2a >= 2^256; a - a is 0 */
        if (ledger_amount_add(r, a, a) == ST_OK)
            FUZZ_CHECK(ledger_amount_fits(r));
        FUZZ_CHECK(ledger_amount_sub(r, a, b) == ST_OK && mpz_sgn(r) == 0);
    }

    for (unsigned decimals = 0; decimals <= LEDGER_AMOUNT_DECIMALS; decimals += LEDGER_AMOUNT_DECIMALS) {
        if (ledger_amount_parse_human(a, text, decimals) != ST_OK)
            continue;
        FUZZ_CHECK(ledger_amount_fits(a));
        ledger_amount_format_human(buf, a, decimals);
        mpz_set_ui(b, 0);
        FUZZ_CHECK(ledger_amount_parse_human(b, buf, decimals) == ST_OK);
        FUZZ_CHECK(mpz_cmp(a, b) == 0);
    }

    mpz_clears(a, b, r, NULL);
    free(text);
    return 0;
}
