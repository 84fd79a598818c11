/* SPDX-License-Identifier: MIT */
/* hash.h: keccak-256 (Ethereum's, with the original 0x01 padding, on nettle's Keccak-f[1600]
 * permutation) and SHA-256 (nettle). Layer: ledger (pure; the enclave uses it too). */
#ifndef LEDGER_HASH_H
#define LEDGER_HASH_H

#include <stddef.h>
#include <stdint.h>

typedef struct ledger_keccak {
    uint64_t a[25];          /* the sponge state */
    uint8_t block[136];      /* pending input, rate = 136 bytes */
    size_t used;             /* bytes in block */
} ledger_keccak;

void ledger_keccak_init(ledger_keccak *k);
void ledger_keccak_update(ledger_keccak *k, const void *data, size_t len);
void ledger_keccak_final(ledger_keccak *k, uint8_t out[32]);
/* One-shot keccak-256 of len bytes. */
void ledger_keccak256(uint8_t out[32], const void *data, size_t len);
/* One-shot SHA-256 of len bytes. */
void ledger_sha256(uint8_t out[32], const void *data, size_t len);

#endif
