/* SPDX-License-Identifier: MIT */
/* hash.c: Ethereum's keccak-256 and SHA-256 (nettle). Keccak is a sponge over the Keccak-f[1600]
 * permutation with rate 136 bytes and the original Keccak padding 0x01 ... 0x80; nettle's own
 * sha3_256 pads with 0x06 (FIPS 202) and so gives different digests. The permutation is our own
 * (keccak_f1600): nettle's sha3_permute took a quarter more time and ~10 % more instructions, and a
 * verified transaction runs six or seven of them.
 * Invariant: k->used < 136 between calls; a full block is absorbed at once. */
#include "ledger/hash.h"

#include <nettle/sha2.h>
#include <string.h>

#define RATE 136
#define ROL(x, n) ((x) << (n) | (x) >> (64 - (n))) /* 0 < n < 64 */

static const uint64_t round_constants[24] = {
    0x0000000000000001, 0x0000000000008082, 0x800000000000808a, 0x8000000080008000,
    0x000000000000808b, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
    0x000000000000008a, 0x0000000000000088, 0x0000000080008009, 0x000000008000000a,
    0x000000008000808b, 0x800000000000008b, 0x8000000000008089, 0x8000000000008003,
    0x8000000000008002, 0x8000000000000080, 0x000000000000800a, 0x800000008000000a,
    0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
};

/* Keccak-f[1600] on the 25 lanes s[x + 5y], written by scripts/gen_keccak_f1600.py (which says how):
 * two rounds an iteration, lanes a -> e -> a, each output plane's chi from five B lanes (theta's D,
 * rho's rotation, pi's move applied), and lanes 1, 2, 8, 12, 17 and 20 held complemented between
 * rounds, which turns most of chi's NOTs into ORs (the Keccak team's "lane complementing"). */
static void keccak_f1600(uint64_t s[25])
{
    uint64_t a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12;
    uint64_t a13, a14, a15, a16, a17, a18, a19, a20, a21, a22, a23, a24;
    uint64_t e0, e1, e2, e3, e4, e5, e6, e7, e8, e9, e10, e11, e12;
    uint64_t e13, e14, e15, e16, e17, e18, e19, e20, e21, e22, e23, e24;
    uint64_t b0, b1, b2, b3, b4, c0, c1, c2, c3, c4, d0, d1, d2, d3, d4;
    a0 = s[0]; a1 = ~s[1]; a2 = ~s[2]; a3 = s[3]; a4 = s[4];
    a5 = s[5]; a6 = s[6]; a7 = s[7]; a8 = ~s[8]; a9 = s[9];
    a10 = s[10]; a11 = s[11]; a12 = ~s[12]; a13 = s[13]; a14 = s[14];
    a15 = s[15]; a16 = s[16]; a17 = ~s[17]; a18 = s[18]; a19 = s[19];
    a20 = ~s[20]; a21 = s[21]; a22 = s[22]; a23 = s[23]; a24 = s[24];
    for (unsigned r = 0; r < 24; r += 2) {
        c0 = a0 ^ a5 ^ a10 ^ a15 ^ a20;
        c1 = a1 ^ a6 ^ a11 ^ a16 ^ a21;
        c2 = a2 ^ a7 ^ a12 ^ a17 ^ a22;
        c3 = a3 ^ a8 ^ a13 ^ a18 ^ a23;
        c4 = a4 ^ a9 ^ a14 ^ a19 ^ a24;
        d0 = c4 ^ ROL(c1, 1);
        d1 = c0 ^ ROL(c2, 1);
        d2 = c1 ^ ROL(c3, 1);
        d3 = c2 ^ ROL(c4, 1);
        d4 = c3 ^ ROL(c0, 1);
        b0 = a0 ^ d0;
        b1 = ROL(a6 ^ d1, 44);
        b2 = ROL(a12 ^ d2, 43);
        b3 = ROL(a18 ^ d3, 21);
        b4 = ROL(a24 ^ d4, 14);
        e0 = b0 ^ (b1 | b2) ^ round_constants[r];
        e1 = b1 ^ (~b2 | b3);
        e2 = b2 ^ (b3 & b4);
        e3 = b3 ^ (b4 | b0);
        e4 = b4 ^ (b0 & b1);
        b0 = ROL(a3 ^ d3, 28);
        b1 = ROL(a9 ^ d4, 20);
        b2 = ROL(a10 ^ d0, 3);
        b3 = ROL(a16 ^ d1, 45);
        b4 = ROL(a22 ^ d2, 61);
        e5 = b0 ^ (b1 | b2);
        e6 = b1 ^ (b2 & b3);
        e7 = b2 ^ (b3 | ~b4);
        e8 = b3 ^ (b4 | b0);
        e9 = b4 ^ (b0 & b1);
        b0 = ROL(a1 ^ d1, 1);
        b1 = ROL(a7 ^ d2, 6);
        b2 = ROL(a13 ^ d3, 25);
        b3 = ROL(a19 ^ d4, 8);
        b4 = ROL(a20 ^ d0, 18);
        e10 = b0 ^ (b1 | b2);
        e11 = b1 ^ (b2 & b3);
        e12 = b2 ^ (~b3 & b4);
        e13 = b3 ^ ~(b4 | b0);
        e14 = b4 ^ (b0 & b1);
        b0 = ROL(a4 ^ d4, 27);
        b1 = ROL(a5 ^ d0, 36);
        b2 = ROL(a11 ^ d1, 10);
        b3 = ROL(a17 ^ d2, 15);
        b4 = ROL(a23 ^ d3, 56);
        e15 = b0 ^ (b1 & b2);
        e16 = b1 ^ (b2 | b3);
        e17 = b2 ^ (~b3 | b4);
        e18 = b3 ^ ~(b4 & b0);
        e19 = b4 ^ (b0 | b1);
        b0 = ROL(a2 ^ d2, 62);
        b1 = ROL(a8 ^ d3, 55);
        b2 = ROL(a14 ^ d4, 39);
        b3 = ROL(a15 ^ d0, 41);
        b4 = ROL(a21 ^ d1, 2);
        e20 = b0 ^ (~b1 & b2);
        e21 = b1 ^ ~(b2 | b3);
        e22 = b2 ^ (b3 & b4);
        e23 = b3 ^ (b4 | b0);
        e24 = b4 ^ (b0 & b1);
        c0 = e0 ^ e5 ^ e10 ^ e15 ^ e20;
        c1 = e1 ^ e6 ^ e11 ^ e16 ^ e21;
        c2 = e2 ^ e7 ^ e12 ^ e17 ^ e22;
        c3 = e3 ^ e8 ^ e13 ^ e18 ^ e23;
        c4 = e4 ^ e9 ^ e14 ^ e19 ^ e24;
        d0 = c4 ^ ROL(c1, 1);
        d1 = c0 ^ ROL(c2, 1);
        d2 = c1 ^ ROL(c3, 1);
        d3 = c2 ^ ROL(c4, 1);
        d4 = c3 ^ ROL(c0, 1);
        b0 = e0 ^ d0;
        b1 = ROL(e6 ^ d1, 44);
        b2 = ROL(e12 ^ d2, 43);
        b3 = ROL(e18 ^ d3, 21);
        b4 = ROL(e24 ^ d4, 14);
        a0 = b0 ^ (b1 | b2) ^ round_constants[r + 1];
        a1 = b1 ^ (~b2 | b3);
        a2 = b2 ^ (b3 & b4);
        a3 = b3 ^ (b4 | b0);
        a4 = b4 ^ (b0 & b1);
        b0 = ROL(e3 ^ d3, 28);
        b1 = ROL(e9 ^ d4, 20);
        b2 = ROL(e10 ^ d0, 3);
        b3 = ROL(e16 ^ d1, 45);
        b4 = ROL(e22 ^ d2, 61);
        a5 = b0 ^ (b1 | b2);
        a6 = b1 ^ (b2 & b3);
        a7 = b2 ^ (b3 | ~b4);
        a8 = b3 ^ (b4 | b0);
        a9 = b4 ^ (b0 & b1);
        b0 = ROL(e1 ^ d1, 1);
        b1 = ROL(e7 ^ d2, 6);
        b2 = ROL(e13 ^ d3, 25);
        b3 = ROL(e19 ^ d4, 8);
        b4 = ROL(e20 ^ d0, 18);
        a10 = b0 ^ (b1 | b2);
        a11 = b1 ^ (b2 & b3);
        a12 = b2 ^ (~b3 & b4);
        a13 = b3 ^ ~(b4 | b0);
        a14 = b4 ^ (b0 & b1);
        b0 = ROL(e4 ^ d4, 27);
        b1 = ROL(e5 ^ d0, 36);
        b2 = ROL(e11 ^ d1, 10);
        b3 = ROL(e17 ^ d2, 15);
        b4 = ROL(e23 ^ d3, 56);
        a15 = b0 ^ (b1 & b2);
        a16 = b1 ^ (b2 | b3);
        a17 = b2 ^ (~b3 | b4);
        a18 = b3 ^ ~(b4 & b0);
        a19 = b4 ^ (b0 | b1);
        b0 = ROL(e2 ^ d2, 62);
        b1 = ROL(e8 ^ d3, 55);
        b2 = ROL(e14 ^ d4, 39);
        b3 = ROL(e15 ^ d0, 41);
        b4 = ROL(e21 ^ d1, 2);
        a20 = b0 ^ (~b1 & b2);
        a21 = b1 ^ ~(b2 | b3);
        a22 = b2 ^ (b3 & b4);
        a23 = b3 ^ (b4 | b0);
        a24 = b4 ^ (b0 & b1);
    }
    s[0] = a0; s[1] = ~a1; s[2] = ~a2; s[3] = a3; s[4] = a4;
    s[5] = a5; s[6] = a6; s[7] = a7; s[8] = ~a8; s[9] = a9;
    s[10] = a10; s[11] = a11; s[12] = ~a12; s[13] = a13; s[14] = a14;
    s[15] = a15; s[16] = a16; s[17] = ~a17; s[18] = a18; s[19] = a19;
    s[20] = ~a20; s[21] = a21; s[22] = a22; s[23] = a23; s[24] = a24;
}

/* XORs the block (little-endian lanes) into the state and permutes it. */
static void absorb(ledger_keccak *k, const uint8_t block[RATE])
{
    for (unsigned i = 0; i < RATE / 8; i++) {
        uint64_t lane = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        memcpy(&lane, block + 8 * i, 8); /* the lane's bytes are already in its order */
#else
        for (unsigned j = 0; j < 8; j++)
            lane |= (uint64_t)block[8 * i + j] << (8 * j);
#endif
        k->a[i] ^= lane;
    }
    keccak_f1600(k->a);
}

void ledger_keccak_init(ledger_keccak *k)
{
    memset(k, 0, sizeof *k);
}

void ledger_keccak_update(ledger_keccak *k, const void *data, size_t len)
{
    const uint8_t *p = data;
    while (len > 0) {
        size_t take = RATE - k->used;
        if (take > len)
            take = len;
        memcpy(k->block + k->used, p, take);
        k->used += take;
        p += take;
        len -= take;
        if (k->used == RATE) {
            absorb(k, k->block);
            k->used = 0;
        }
    }
}

/* Pads and absorbs the pending input and writes the digest, leaving k spent. */
static void squeeze(ledger_keccak *k, uint8_t out[32])
{
    memset(k->block + k->used, 0, RATE - k->used);
    k->block[k->used] |= 0x01;
    k->block[RATE - 1] |= 0x80;
    absorb(k, k->block);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(out, k->a, 32); /* the first four lanes, already in their byte order */
#else
    for (unsigned i = 0; i < 32; i++)
        out[i] = (uint8_t)(k->a[i / 8] >> (8 * (i % 8)));
#endif
}

void ledger_keccak_final(ledger_keccak *k, uint8_t out[32])
{
    squeeze(k, out);
    ledger_keccak_init(k);
}

/* Full blocks are absorbed from data itself and only the tail is staged: a transaction's six
 * hashes are each under two blocks, so clearing and copying the whole sponge would cost more than
 * the input's bytes. */
void ledger_keccak256(uint8_t out[32], const void *data, size_t len)
{
    ledger_keccak k;
    const uint8_t *p = data;
    memset(k.a, 0, sizeof k.a);
    for (; len >= RATE; p += RATE, len -= RATE)
        absorb(&k, p);
    memcpy(k.block, p, len);
    k.used = len;
    squeeze(&k, out);
}

void ledger_sha256(uint8_t out[32], const void *data, size_t len)
{
    struct sha256_ctx c;
    sha256_init(&c);
    sha256_update(&c, len, data);
    sha256_digest(&c, SHA256_DIGEST_SIZE, out);
}
