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

/* Reads the accounts array text [start, end) into g->accounts and g->n_accounts (which must be
 * empty), each entry {"address": "0x…", "balance": "<amount>"} in either order.
 * Returns: ST_OK; ST_INVALID with err naming the entry and the problem; ST_NOMEM.
 * Out: g->accounts (released by eng_genesis_clear, after a failure too). */
int eng_genesis_scan_accounts(eng_genesis *g, char *err, size_t errlen, const char *start, const char *end)
    WARN_UNUSED NONNULL(1, 2, 4, 5);

/* The canonical text of g: params, the canonical document without accounts (beginning with
 * ENG_GENESIS_CANONICAL_HEAD "],"), with g's accounts written into its empty "accounts" array exactly
 * as cJSON_PrintUnformatted would write them.
 * Returns: ST_OK; ST_NOMEM. Out: *out (caller frees with free()), NULL on failure. */
int eng_genesis_join_canonical(char **out, const eng_genesis *g, const char *params) WARN_UNUSED NONNULL(1, 2, 3);

#endif
