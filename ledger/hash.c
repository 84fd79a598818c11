/* SPDX-License-Identifier: MIT */
/* hash.c: Ethereum's keccak-256 and SHA-256. Keccak is a sponge over nettle's Keccak-f[1600]
 * permutation (sha3_permute) with rate 136 bytes and the original Keccak padding 0x01 ... 0x80;
 * nettle's own sha3_256 pads with 0x06 (FIPS 202) and so gives different digests.
 * Invariant: k->used < 136 between calls; a full block is absorbed at once. */
#include "ledger/hash.h"

#include <nettle/sha2.h>
#include <nettle/sha3.h>
#include <string.h>

#define RATE 136

/* nettle's state is exactly the 25 lanes, so the permutation runs on k's lanes in place rather than
 * on a copy taken and given back around each of a transaction's six permutations. */
_Static_assert(sizeof(struct sha3_state) == sizeof(((ledger_keccak *)0)->a), "sha3_state is the 25 lanes");

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
    sha3_permute((struct sha3_state *)(void *)k->a);
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
