/* SPDX-License-Identifier: MIT */
/* hex.c: 0x-prefixed hex codec and Ethereum addresses. Input accepts either case; output is
 * lowercase, except addresses, which carry the EIP-55 mixed-case checksum (a letter is upper case
 * when the matching nibble of keccak256(lowercase hex) is 8 or more). */
#include "ledger/hex.h"

#include <stdlib.h>
#include <string.h>
#include "ledger/hash.h"

static const char digits[] = "0123456789abcdef";

/* Each hex digit's value plus one, 0 for any other byte: one load a character where a chain of
 * range tests cost several branches (the 130 digits of every signature pass here twice). */
static const uint8_t digit_plus_one[256] = {
    ['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7, ['7'] = 8, ['8'] = 9,
    ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
    ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

static unsigned nibble(char c)
{
    return digit_plus_one[(unsigned char)c] - 1u;
}

int ledger_hex_decode(uint8_t *out, size_t outcap, size_t *outlen, const char *s, size_t slen)
{
    size_t n;
    if (slen < 2 || s[0] != '0' || s[1] != 'x' || slen % 2 != 0)
        return ST_INVALID;
    n = (slen - 2) / 2;
    for (size_t i = 2; i < slen; i++)
        if (!digit_plus_one[(unsigned char)s[i]])
            return ST_INVALID;
    if (n > outcap)
        return ST_LIMIT;
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)(nibble(s[2 + 2 * i]) << 4 | nibble(s[3 + 2 * i]));
    *outlen = n;
    return ST_OK;
}

int ledger_hex_decode_exact(uint8_t *out, size_t n, const char *s)
{
    size_t got;
    if (strlen(s) != 2 + 2 * n)
        return ST_INVALID;
    return ledger_hex_decode(out, n, &got, s, 2 + 2 * n);
}

void ledger_hex_encode(char *out, const uint8_t *in, size_t len)
{
    out[0] = '0';
    out[1] = 'x';
    for (size_t i = 0; i < len; i++) {
        out[2 + 2 * i] = digits[in[i] >> 4];
        out[3 + 2 * i] = digits[in[i] & 15];
    }
    out[2 + 2 * len] = '\0';
}

int ledger_addr_parse(uint8_t out[20], const char *s)
{
    return ledger_hex_decode_exact(out, 20, s);
}

/* The addresses formatted last on this thread, one slot per value of the address's first byte: a
 * block's events and receipts name the same few addresses again and again, and each checksum costs
 * a keccak-256 (about a tenth of a transfer's CPU on the event loop). A miss only recomputes. */
#define ADDR_MEMO_SLOTS 256
struct addr_memo {
    bool used;
    uint8_t addr[20];
    char text[LEDGER_ADDR_STRLEN];
};
static _Thread_local struct addr_memo addr_memo[ADDR_MEMO_SLOTS];

void ledger_addr_format(char out[LEDGER_ADDR_STRLEN], const uint8_t addr[20])
{
    struct addr_memo *m = &addr_memo[addr[0] % ADDR_MEMO_SLOTS];
    if (m->used && memcmp(m->addr, addr, 20) == 0) {
        memcpy(out, m->text, LEDGER_ADDR_STRLEN);
        return;
    }
    uint8_t h[32];
    ledger_hex_encode(out, addr, 20);
    ledger_keccak256(h, out + 2, 40);
    for (unsigned i = 0; i < 40; i++) {
        unsigned nib = (i % 2 == 0) ? h[i / 2] >> 4 : h[i / 2] & 15;
        char *c = &out[2 + i];
        if (*c >= 'a' && nib >= 8)
            *c = (char)(*c - 'a' + 'A');
    }
    m->used = true;
    memcpy(m->addr, addr, 20);
    memcpy(m->text, out, LEDGER_ADDR_STRLEN);
}

void ledger_addr_remember(const uint8_t addr[20], const char text[LEDGER_ADDR_STRLEN])
{
    if (!text[0])
        return;
    struct addr_memo *m = &addr_memo[addr[0] % ADDR_MEMO_SLOTS];
    m->used = true;
    memcpy(m->addr, addr, 20);
    memcpy(m->text, text, LEDGER_ADDR_STRLEN);
}

uint8_t *ledger_hex_decode_alloc(const char *s, size_t *len)
{
    size_t slen = strlen(s), cap = slen / 2 + 1;
    uint8_t *buf = malloc(cap);
    if (buf && ledger_hex_decode(buf, cap, len, s, slen) != ST_OK) {
        free(buf);
        buf = NULL;
    }
    return buf;
}

char *ledger_hex_encode_alloc(const uint8_t *in, size_t len)
{
    char *out = malloc(2 * len + 3);
    if (out)
        ledger_hex_encode(out, in, len);
    return out;
}
