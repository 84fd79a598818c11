/* SPDX-License-Identifier: MIT */
/* genesis.h: the genesis document that fixes a chain's first state: chain id, start time, treasury
 * and funded accounts; strict parsing (unknown keys refused) and its canonical JSON, which is stored
 * in the ledger so a replay starts from exactly the same state. Also the embedded development
 * genesis of `conclaved --dev`: chain 31337 and the ten well-known development accounts of the
 * "test test ... junk" mnemonic (the keys Hardhat and Anvil print), 1,000,000 tokens each.
 * Layer: engine. */
#ifndef ENGINE_GENESIS_H
#define ENGINE_GENESIS_H

#include <gmp.h>
#include <stddef.h>
#include <stdint.h>
#include "ledger/status.h"

#define ENG_DEV_ACCOUNTS 10
#define ENG_DEV_CHAIN_ID 31337

typedef struct eng_genesis_account {
    uint8_t address[20];
    mpz_t balance;              /* base units */
} eng_genesis_account;

typedef struct eng_genesis {
    uint64_t chain_id;
    uint64_t time;              /* genesis block time, seconds since the Unix epoch */
    mpz_t treasury;             /* base units minted to the treasury */
    eng_genesis_account *accounts;
    size_t n_accounts;
    char *canonical;            /* canonical JSON of the document (owned) */
} eng_genesis;

/* Parses a genesis document of len bytes. Keys: "chainId" (number, 1..2^53-1), "time" (number,
 * seconds), "treasury" (amount string), "accounts" ([{"address", "balance"}], no duplicates).
 * Returns: ST_OK; ST_INVALID with err naming the problem; ST_NOMEM.
 * Out: g (release with eng_genesis_clear, after a failure too). */
int eng_genesis_parse(eng_genesis *g, char *err, size_t errlen, const char *json, size_t len)
    WARN_UNUSED NONNULL(1, 2, 4);
/* Releases g once. Accepts NULL. */
void eng_genesis_clear(eng_genesis *g);

/* The development genesis as JSON text; caller frees with free(). NULL on out of memory. */
char *eng_genesis_dev_json(void);
/* The secret key of development account i (0..9), 32 bytes. */
void eng_dev_key(uint8_t key[32], unsigned i);

#endif
