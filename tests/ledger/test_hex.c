/* SPDX-License-Identifier: MIT */
/* test_hex.c: the 0x-hex codec and Ethereum addresses: EIP-55 output for every vector key and the
 * EIP-55 reference examples (also alternating with addresses that share their memo slot, and on
 * other threads), input in any case, and refusal of malformed text. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include "ledger/hash.h"
#include "ledger/hex.h"
#include "tests/lib/testhelp.h"

/* Criterion runs each parameter in a fresh process where pointers into this binary's static data
 * are not valid, so parameters are indices (in cr_malloc'd memory) into the file's case tables. */
Test(ledger_hex, encodes_lowercase_and_decodes_any_case)
{
    static const uint8_t bytes[4] = { 0xde, 0xad, 0xbe, 0xef };
    uint8_t out[8];
    size_t n = 99;
    char hex[11];
    ledger_hex_encode(hex, bytes, 4);
    cr_assert_str_eq(hex, "0xdeadbeef", "lowercase with 0x");
    cr_assert_eq(ledger_hex_decode(out, sizeof out, &n, "0xDeAdBeEf", 10), ST_OK, "mixed case decodes");
    cr_assert_eq(n, 4, "four bytes");
    cr_assert_arr_eq(out, bytes, 4, "the same bytes");
    cr_assert_eq(ledger_hex_decode(out, sizeof out, &n, "0x", 2), ST_OK, "empty hex is fine");
    cr_assert_eq(n, 0, "zero bytes");
    ledger_hex_encode(hex, bytes, 0);
    cr_assert_str_eq(hex, "0x", "nothing encodes as 0x");
}

static const th_text_case refuses_malformed_hex_cases[] = {
    { "", ST_INVALID }, { "0", ST_INVALID }, { "deadbeef", ST_INVALID }, { "0X00", ST_INVALID },
    { "0x0", ST_INVALID }, { "0x0g", ST_INVALID }, { "0x 0", ST_INVALID }, { "x000", ST_INVALID },
    { "0x00 ", ST_INVALID }, { "0x000000000000000000", ST_LIMIT },
};

TH_TABLE_PARAMETERS(ledger_hex, refuses_malformed_hex, refuses_malformed_hex_cases)

ParameterizedTest(int *i, ledger_hex, refuses_malformed_hex)
{
    const th_text_case *c = &refuses_malformed_hex_cases[*i];
    uint8_t out[8];
    size_t n = 99;
    cr_assert_eq(ledger_hex_decode(out, sizeof out, &n, c->text, strlen(c->text)), c->rc,
                 "decode(\"%s\") must give %s", c->text, st_str(c->rc));
    cr_assert_eq(n, 99, "outlen is untouched on failure");
}

/* Every byte value as the second digit of "0x0?": decoded as its value when a hex digit of either
 * case, refused otherwise. */
Test(ledger_hex, decodes_exactly_the_hex_digits)
{
    static const char lower[] = "0123456789abcdef", upper[] = "0123456789ABCDEF";
    for (unsigned c = 1; c < 256; c++) {
        const char *lo = strchr(lower, (int)c), *up = strchr(upper, (int)c);
        char text[5] = { '0', 'x', '0', (char)c, 0 };
        uint8_t out[1] = { 0xee };
        size_t n = 99;
        int rc = ledger_hex_decode(out, sizeof out, &n, text, 4);
        if (!lo && !up) {
            cr_assert_eq(rc, ST_INVALID, "byte 0x%02x is not a hex digit", c);
            continue;
        }
        cr_assert_eq(rc, ST_OK, "byte 0x%02x is a hex digit", c);
        cr_assert_eq(out[0], lo ? lo - lower : up - upper, "byte 0x%02x decodes to its value", c);
        text[2] = (char)c;
        text[3] = '0';
        cr_assert_eq(ledger_hex_decode(out, sizeof out, &n, text, 4), ST_OK, "byte 0x%02x as the high digit", c);
        cr_assert_eq(out[0], (lo ? lo - lower : up - upper) << 4, "byte 0x%02x decodes as the high nibble", c);
    }
}

Test(ledger_hex, decodes_exact_lengths_only)
{
    uint8_t out[2];
    cr_assert_eq(ledger_hex_decode_exact(out, 2, "0xabcd"), ST_OK, "two bytes as asked");
    cr_assert_eq(out[0], 0xab, "first byte");
    cr_assert_eq(out[1], 0xcd, "second byte");
    cr_assert_eq(ledger_hex_decode_exact(out, 2, "0xab"), ST_INVALID, "too short");
    cr_assert_eq(ledger_hex_decode_exact(out, 2, "0xabcdef"), ST_INVALID, "too long");
}

/* Checks format and parse of one address given lowercase and checksummed. */
static void check_address(const char *lower, const char *eip55)
{
    uint8_t a[20], b[20];
    char out[LEDGER_ADDR_STRLEN], upper[LEDGER_ADDR_STRLEN];
    cr_assert_eq(ledger_addr_parse(a, lower), ST_OK, "%s parses", lower);
    ledger_addr_format(out, a);
    cr_assert_str_eq(out, eip55, "EIP-55 form of %s", lower);
    cr_assert_eq(ledger_addr_parse(b, eip55), ST_OK, "%s parses", eip55);
    cr_assert_arr_eq(a, b, 20, "case does not change the address %s", eip55);
    strcpy(upper, eip55);
    for (char *p = upper + 2; *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 'a' + 'A');
    cr_assert_eq(ledger_addr_parse(b, upper), ST_OK, "all upper case parses too");
    cr_assert_arr_eq(a, b, 20, "and is the same address");
}

Test(ledger_hex, formats_every_vector_address_with_its_eip55_checksum)
{
    static const char *groups[] = { "keys", "well_known_keys" };
    int count = 0;
    for (size_t g = 0; g < 2; g++) {
        const cJSON *k;
        cJSON_ArrayForEach(k, cJSON_GetObjectItemCaseSensitive(th_vectors(), groups[g])) {
            check_address(th_str(k, "address_lowercase"), th_str(k, "address"));
            count++;
        }
    }
    cr_assert_eq(count, 7, "five keys and two well-known keys");
}

static const char *const eip55_examples[] = {
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
    "0x52908400098527886E0F7030069857D2E4169EE7", "0xde709f2102306220921060314715629080e2fb77",
};
#define N_EIP55_EXAMPLES (sizeof eip55_examples / sizeof eip55_examples[0])

Test(ledger_hex, formats_the_eip55_reference_examples)
{
    for (size_t i = 0; i < N_EIP55_EXAMPLES; i++) {
        char lower[LEDGER_ADDR_STRLEN];
        strcpy(lower, eip55_examples[i]);
        for (char *p = lower; *p; p++)
            if (*p >= 'A' && *p <= 'F')
                *p = (char)(*p - 'A' + 'a');
        check_address(lower, eip55_examples[i]);
    }
}

/* Whether text is addr in EIP-55 form, by the rule itself: a letter is upper case exactly when the
 * matching nibble of keccak256(the lowercase hex) is 8 or more. */
static bool is_eip55_of(const char *text, const uint8_t addr[20])
{
    char lower[LEDGER_ADDR_STRLEN];
    uint8_t h[32];
    ledger_hex_encode(lower, addr, 20);
    ledger_keccak256(h, lower + 2, 40);
    if (strlen(text) != 42 || strncmp(text, "0x", 2) != 0)
        return false;
    for (unsigned i = 0; i < 40; i++) {
        unsigned nib = i % 2 == 0 ? h[i / 2] >> 4 : h[i / 2] & 15;
        char want = lower[2 + i] >= 'a' && nib >= 8 ? (char)(lower[2 + i] - 'a' + 'A') : lower[2 + i];
        if (text[2 + i] != want)
            return false;
    }
    return true;
}

Test(ledger_hex, formats_addresses_that_share_a_memo_slot_alternately)
{
    for (size_t i = 0; i < N_EIP55_EXAMPLES; i++) {
        uint8_t a[20], b[20];
        char out[LEDGER_ADDR_STRLEN], first_b[LEDGER_ADDR_STRLEN];
        cr_assert_eq(ledger_addr_parse(a, eip55_examples[i]), ST_OK, "%s parses", eip55_examples[i]);
        memcpy(b, a, 20);
        b[19] ^= 0xff; /* the same first byte: the same slot of the memo */
        for (int round = 0; round < 3; round++) {
            ledger_addr_format(out, a);
            cr_assert_str_eq(out, eip55_examples[i], "round %d: %s after its neighbour", round, eip55_examples[i]);
            ledger_addr_format(out, b);
            cr_assert(is_eip55_of(out, b), "round %d: the neighbour of %s is %s, its own EIP-55 form", round,
                      eip55_examples[i], out);
            if (round == 0)
                strcpy(first_b, out);
            cr_assert_str_eq(out, first_b, "round %d: the neighbour formats the same each time", round);
        }
    }
}

/* The form a thread remembers is the one it formats next (another thread made it), until another
 * address takes its slot; an empty form is not remembered. */
static void *remember_and_format(void *arg)
{
    const char *text = arg;
    uint8_t a[20];
    char out[LEDGER_ADDR_STRLEN];
    if (ledger_addr_parse(a, text) != ST_OK)
        return (void *)"parse";
    ledger_addr_remember(a, text);
    ledger_addr_format(out, a);
    return strcmp(out, text) == 0 ? NULL : (void *)"the remembered form";
}

Test(ledger_hex, formats_a_form_remembered_from_another_thread)
{
    char made[LEDGER_ADDR_STRLEN], out[LEDGER_ADDR_STRLEN];
    uint8_t a[20];
    cr_assert_eq(ledger_addr_parse(a, eip55_examples[0]), ST_OK, "the example parses");
    ledger_addr_format(made, a);
    pthread_t t;
    void *failed;
    cr_assert_eq(pthread_create(&t, NULL, remember_and_format, made), 0, "the thread starts");
    cr_assert_eq(pthread_join(t, &failed), 0, "the thread ends");
    cr_assert_null(failed, "the thread formats what it remembered: %s", failed ? (char *)failed : "");
    /* the memo copies whatever it was told: a marked copy shows the copy is what comes out */
    char marked[LEDGER_ADDR_STRLEN];
    strcpy(marked, made);
    marked[1] = 'X';
    ledger_addr_remember(a, marked);
    ledger_addr_format(out, a);
    cr_assert_str_eq(out, marked, "the remembered form is copied, not hashed again");
    char empty[LEDGER_ADDR_STRLEN] = "";
    ledger_addr_remember(a, empty);
    ledger_addr_format(out, a);
    cr_assert_str_eq(out, marked, "an empty form changes nothing");
    uint8_t b[20];
    memcpy(b, a, 20);
    b[19] ^= 1; /* the same slot */
    ledger_addr_format(out, b);
    ledger_addr_format(out, a);
    cr_assert_str_eq(out, eip55_examples[0], "once another address took the slot, the form is computed again");
}

/* Formats every example twice. Returns NULL, or 1 + the index of the first one it got wrong. */
static void *format_examples(void *arg)
{
    (void)arg;
    for (int round = 0; round < 2; round++)
        for (size_t i = 0; i < N_EIP55_EXAMPLES; i++) {
            uint8_t a[20];
            char out[LEDGER_ADDR_STRLEN] = "";
            if (ledger_addr_parse(a, eip55_examples[i]) == ST_OK)
                ledger_addr_format(out, a);
            if (strcmp(out, eip55_examples[i]) != 0)
                return (void *)(uintptr_t)(i + 1);
        }
    return NULL;
}

Test(ledger_hex, formats_on_several_threads_at_once)
{
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        cr_assert_eq(pthread_create(&t[i], NULL, format_examples, NULL), 0, "thread %d starts", i);
    cr_assert_null(format_examples(NULL), "the main thread formats every example");
    for (int i = 0; i < 4; i++) {
        void *failed;
        cr_assert_eq(pthread_join(t[i], &failed), 0, "thread %d ends", i);
        cr_assert_null(failed, "thread %d formats every example (not number %zu)", i, (size_t)(uintptr_t)failed);
    }
}

Test(ledger_hex, refuses_malformed_addresses)
{
    static const char *bad[] = {
        "", "0x", "45f3703b385bae0bfe5588402066f30a0931660f", "0x45f3703b385bae0bfe5588402066f30a0931660",
        "0x45f3703b385bae0bfe5588402066f30a0931660f0", "0x45f3703b385bae0bfe5588402066f30a0931660g",
        "0X45f3703b385bae0bfe5588402066f30a0931660f", " 0x45f3703b385bae0bfe5588402066f30a0931660f",
    };
    uint8_t a[20];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(ledger_addr_parse(a, bad[i]), ST_INVALID, "\"%s\" is not an address", bad[i]);
}
