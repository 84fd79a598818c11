/* SPDX-License-Identifier: MIT */
/* eip712.h: a generic EIP-712 typed-data encoder driven by type descriptions: every signed type is one
 * table entry ({name, members}), never hand-written hashing code. Atomic members (uintN, address,
 * bool, bytesN) are held as their 32-byte encoding; dynamic members (string, bytes) as owned bytes.
 * Layer: ledger (pure; no JSON here: tx.h walks JSON and calls ledger_eip712_value_parse). */
#ifndef LEDGER_EIP712_H
#define LEDGER_EIP712_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ledger/status.h"

#define LEDGER_EIP712_MAX_MEMBERS 8

typedef struct ledger_eip712_member {
    const char *name;        /* member name, e.g. "amount" */
    const char *type;        /* Solidity type: "uint256", "uint64", "address", "string", "bytes", ... */
} ledger_eip712_member;

typedef struct ledger_eip712_type {
    const char *name;                                  /* primary type, e.g. "Transfer" */
    ledger_eip712_member members[LEDGER_EIP712_MAX_MEMBERS];
    unsigned n_members;
} ledger_eip712_type;

typedef struct ledger_eip712_value {
    uint8_t word[32];        /* atomic types: the ABI word (uints big-endian, address left-padded) */
    uint8_t *data;           /* string/bytes: owned contents (malloc), NULL for atomic types */
    size_t len;              /* string/bytes: length of data */
} ledger_eip712_value;

/* The kinds of member type the encoder knows. */
typedef enum ledger_eip712_kind {
    LEDGER_EIP712_UNKNOWN = 0,  /* not a supported type name */
    LEDGER_EIP712_UINT,         /* uint8 .. uint256 */
    LEDGER_EIP712_ADDRESS,
    LEDGER_EIP712_BOOL,
    LEDGER_EIP712_FIXED_BYTES,  /* bytes1 .. bytes32 */
    LEDGER_EIP712_STRING,
    LEDGER_EIP712_BYTES
} ledger_eip712_kind;

/* Classifies a member type name ("uint64", "bytes32", ...); "uint" and "int" types without a
 * width and signed ints are not supported.
 * Returns: the kind, LEDGER_EIP712_UNKNOWN if unsupported.
 * Out: *size (may be NULL) the width in bits for uints, in bytes for bytesN, 0 otherwise. */
ledger_eip712_kind ledger_eip712_type_kind(const char *type, unsigned *size) NONNULL(1);

/* Parses the text form of one member value into v (which must be zeroed or cleared):
 * uintN: canonical decimal string < 2^N; address: 0x + 40 hex, any case; bool: "true"/"false";
 * bytesN: 0x + 2N hex; bytes: 0x + even hex; string: the UTF-8 text itself (validated UTF-8).
 * Returns: ST_OK; ST_INVALID (bad form), ST_OVERFLOW (uint too large), ST_NOMEM. */
int ledger_eip712_value_parse(ledger_eip712_value *v, const char *type, const char *text, size_t len)
    WARN_UNUSED NONNULL(1, 2, 3);
/* Sets an unsigned member from a uint64 (for JSON numbers and builders). ST_OVERFLOW if > 2^N-1. */
int ledger_eip712_value_set_u64(ledger_eip712_value *v, const char *type, uint64_t x) WARN_UNUSED NONNULL(1, 2);
/* Releases a value's data; v is left zeroed. Accepts NULL. */
void ledger_eip712_value_clear(ledger_eip712_value *v);
/* Writes the canonical text form of v (as parse accepts it; addresses EIP-55). Caller owns the
 * malloc'd result; NULL on out of memory. */
char *ledger_eip712_value_format(const ledger_eip712_value *v, const char *type);

/* "Transfer(address to,uint256 amount,uint64 nonce)" into buf. Returns: ST_OK or ST_LIMIT. */
int ledger_eip712_encode_type(char *buf, size_t cap, const ledger_eip712_type *t) WARN_UNUSED NONNULL(1, 3);
void ledger_eip712_type_hash(uint8_t out[32], const ledger_eip712_type *t) NONNULL(1, 2);
/* encodeData: typeHash || enc(v[0]) || ... (dynamic members as the keccak256 of their contents).
 * Out: out receives 32 * (1 + t->n_members) bytes. */
void ledger_eip712_encode_data(uint8_t out[32 * (LEDGER_EIP712_MAX_MEMBERS + 1)], const ledger_eip712_type *t,
                               const ledger_eip712_value *v) NONNULL(1, 2, 3);
/* keccak256(typeHash || enc(v[0]) || ...); values in member order. _with takes t's typeHash
 * (ledger_eip712_type_hash's, computed before: a keccak-256 of its own). */
void ledger_eip712_struct_hash(uint8_t out[32], const ledger_eip712_type *t, const ledger_eip712_value *v)
    NONNULL(1, 2, 3);
void ledger_eip712_struct_hash_with(uint8_t out[32], const uint8_t type_hash[32], const ledger_eip712_type *t,
                                    const ledger_eip712_value *v) NONNULL(1, 2, 3, 4);
/* Domain {name, version, chainId} separator. */
void ledger_eip712_domain_separator(uint8_t out[32], const char *name, const char *version, uint64_t chain_id)
    NONNULL(1, 2, 3);
/* keccak256(0x19 0x01 || domain || struct). */
void ledger_eip712_digest(uint8_t out[32], const uint8_t domain[32], const uint8_t struct_hash[32]) NONNULL(1, 2, 3);
/* Returns: the index of member `name` in t, or -1. */
int ledger_eip712_member_index(const ledger_eip712_type *t, const char *name) NONNULL(1, 2);

#endif
