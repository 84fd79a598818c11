/* SPDX-License-Identifier: MIT */
/* tx.h: signed transactions. The table of every signed type of DESIGN.md, and the JSON form
 * {"type": T, "message": {...}, "signature": "0x<r||s||v>"} decoded into a ledger_tx with its EIP-712
 * digest under the domain {name "Conclave", version "1", chainId}, its id (keccak256(digest||sig),
 * with v written as 27 or 28 whichever way it came) and its recovered signer. Integer members are
 * decimal strings (a uint64 may also be a JSON number below 2^53); addresses 0x-hex in any case;
 * unknown or missing members are refused.
 * Layer: ledger. */
#ifndef LEDGER_TX_H
#define LEDGER_TX_H

#include <cjson/cJSON.h>
#include <gmp.h>
#include <stdbool.h>
#include <stdint.h>
#include "ledger/eip712.h"
#include "ledger/hex.h"
#include "ledger/status.h"

typedef struct ledger_tx {
    const ledger_eip712_type *type;                     /* borrowed from the static type table */
    ledger_eip712_value v[LEDGER_EIP712_MAX_MEMBERS];   /* member values, in member order */
    uint8_t sig[65];                                    /* r || s || v, v always 27 or 28 */
    uint8_t digest[32];                                 /* EIP-712 digest */
    uint8_t hash[32];                                   /* transaction id: keccak256(digest || sig) */
    uint8_t signer[20];                                 /* recovered signer */
    char signer_text[LEDGER_ADDR_STRLEN];               /* its EIP-55 form, made where it was recovered (a
                                                         * verification thread), or "" */
} ledger_tx;

/* Returns: the signed type called name, or NULL. Borrowed, static. */
const ledger_eip712_type *ledger_tx_type_find(const char *name) NONNULL(1);
/* The whole table (for docs and tests). Out: *n its length. */
const ledger_eip712_type *ledger_tx_types(unsigned *n) NONNULL(1);
/* The typeHash of t when t is one of the table's types (computed once for all of them, at the first
 * call; thread-safe), else NULL. Borrowed: valid for the life of the process. */
const uint8_t *ledger_tx_type_hash(const ledger_eip712_type *t) NONNULL(1);

/* Decodes the JSON form, computes digest and id, recovers the signer.
 * Returns: ST_OK; ST_INVALID (shape, bad member); ST_DISABLED (a type name this version does not
 * know: told apart from a malformed transaction); ST_OVERFLOW; ST_CRYPTO (signature malformed, high
 * s, or recovery fails); ST_NOMEM. On failure err holds a one-line reason naming the member
 * ("message.amount: not a canonical decimal amount") and tx is cleared.
 * Out: tx (caller releases with ledger_tx_clear). */
int ledger_tx_parse(ledger_tx *tx, char *err, size_t errlen, const cJSON *json, uint64_t chain_id)
    WARN_UNUSED NONNULL(1, 2, 4);

/* Builds an unsigned tx of type type_name from a message object (same rules as parse), then signs it
 * with key under chain_id (for the CLI, tests and benchmarks). Returns as ledger_tx_parse. */
int ledger_tx_build_signed(ledger_tx *tx, char *err, size_t errlen, const char *type_name,
                           const cJSON *message, const uint8_t key[32], uint64_t chain_id)
    WARN_UNUSED NONNULL(1, 2, 4, 5, 6);

/* The JSON form of tx with canonical member text. Caller owns; cJSON_Delete. NULL on OOM. */
cJSON *ledger_tx_to_json(const ledger_tx *tx) NONNULL(1);
/* The text cJSON_PrintUnformatted makes of ledger_tx_to_json(tx), written directly (a third of the
 * instructions: no tree, and a uint below 2^64 without GMP). Caller owns; cJSON_free. NULL on OOM.
 * Thread-safe. */
char *ledger_tx_serialize(const ledger_tx *tx) NONNULL(1);
/* The message alone as a JSON object of canonical strings. Caller owns. NULL on OOM. */
cJSON *ledger_tx_message_to_json(const ledger_tx *tx) NONNULL(1);

/* Typed member access by name. Returns: ST_OK, or ST_INVALID if no such member of that kind. */
int ledger_tx_get_u64(const ledger_tx *tx, const char *member, uint64_t *out) WARN_UNUSED NONNULL(1, 2, 3);
int ledger_tx_get_amount(const ledger_tx *tx, const char *member, mpz_t out) WARN_UNUSED NONNULL(1, 2, 3);
int ledger_tx_get_address(const ledger_tx *tx, const char *member, uint8_t out[20]) WARN_UNUSED NONNULL(1, 2, 3);
int ledger_tx_get_bytes32(const ledger_tx *tx, const char *member, uint8_t out[32]) WARN_UNUSED NONNULL(1, 2, 3);
/* string/bytes members: borrowed pointer into tx, valid until ledger_tx_clear. */
int ledger_tx_get_bytes(const ledger_tx *tx, const char *member, const uint8_t **data, size_t *len)
    WARN_UNUSED NONNULL(1, 2, 3, 4);

/* The EIP-712 digest of a typed message (values in member order) under the Conclave domain of
 * chain_id: what a signature over it signs (e.g. a client's off-ledger Voucher). */
void ledger_tx_digest(uint8_t out[32], const ledger_eip712_type *type, const ledger_eip712_value *values,
                      uint64_t chain_id) NONNULL(1, 2, 3);

/* Releases member data; tx is left zeroed. Accepts NULL. */
void ledger_tx_clear(ledger_tx *tx);

#endif
