/* SPDX-License-Identifier: MIT */
/* genesis_int.h: the genesis document's "accounts" array read and written as text, without a cJSON
 * tree (genesis_accounts.c), for genesis.c. Not an API: only engine/genesis*.c include it.
 * Layer: engine. */
#ifndef ENGINE_GENESIS_INT_H
#define ENGINE_GENESIS_INT_H

#include <stddef.h>
#include "engine/genesis.h"

/* "{\"accounts\":[": how the canonical text of every genesis begins (its keys are in a fixed order). */
#define ENG_GENESIS_CANONICAL_HEAD "{\"accounts\":["

/* Finds the value of the top-level member "accounts" of the JSON object text json (len bytes),
 * reading no further than the end of that object. Text that is not a well-formed object leaves the
 * member unfound (cJSON refuses such a document afterwards).
 * Returns: ST_OK; ST_INVALID with err when "accounts" appears twice at the top level, or the text
 * ends inside a member's value.
 * Out: *start and *end bound the member's value (from its first to past its last byte), both NULL
 * when there is no such member. */
int eng_genesis_find_accounts(const char **start, const char **end, char *err, size_t errlen, const char *json,
                              size_t len) WARN_UNUSED NONNULL(1, 2, 3, 5);

/* How block 0's Genesis transaction body begins; the canonical text follows, then "}". */
#define ENG_GENESIS_BODY_HEAD "{\"type\":\"Genesis\",\"message\":"

/* Reads the accounts array text [start, end), each entry {"address": "0x…", "balance": "<amount>"}
 * in either order, calling each(arg, address, balance, index) as it is read.
 * Returns: ST_OK; ST_INVALID with err naming the entry and the problem; ST_NOMEM; else what each
 * returned. Out: *n, the entries read (those passed to each). */
int eng_genesis_read_accounts(size_t *n, char *err, size_t errlen, const char *start, const char *end,
                              eng_genesis_account_fn each, void *arg) WARN_UNUSED NONNULL(1, 2, 4, 5, 6);

/* Writes block 0's body into g: ENG_GENESIS_BODY_HEAD, then g->params (the canonical document without
 * accounts, beginning with ENG_GENESIS_CANONICAL_HEAD "],") with the accounts of the text [start, end)
 * written into its empty array exactly as cJSON_PrintUnformatted would write them, then "}".
 * start NULL: no accounts. Each entry is checked as it is read, then that no address is listed
 * twice and that g->treasury plus every balance stays below 2^256.
 * Returns: ST_OK; ST_INVALID with err; ST_NOMEM.
 * Out: g->body, g->canonical, g->canonical_len and g->n_accounts; body and canonical NULL on failure. */
int eng_genesis_write_body(eng_genesis *g, char *err, size_t errlen, const char *start, const char *end)
    WARN_UNUSED NONNULL(1, 2);

#endif
