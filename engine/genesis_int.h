/* SPDX-License-Identifier: MIT */
/* genesis_int.h: the genesis document's "accounts" array read and written as text, without a cJSON
 * tree (genesis_accounts.c), for genesis.c. Not an API: only engine/genesis*.c include it.
 * Layer: engine. */
#ifndef ENGINE_GENESIS_INT_H
#define ENGINE_GENESIS_INT_H

#include <stddef.h>
#include "engine/genesis.h"
#include "ledger/hash.h"

/* How far a pass over a borrowed genesis text reads between two calls of its release
 * (eng_genesis_release_fn): a MiB. */
#define ENG_GENESIS_RELEASE_STEP (1u << 20)

/* "{\"accounts\":[": how the canonical text of every genesis begins (its keys are in a fixed order). */
#define ENG_GENESIS_CANONICAL_HEAD "{\"accounts\":["

/* Finds the value of the top-level member "accounts" of the JSON object text json (len bytes),
 * reading no further than the end of that object, and telling release(release_arg, p) (NULL: none)
 * as it passes each MiB: it reads nothing before p again. Text that is not a well-formed object
 * leaves the member unfound (cJSON refuses such a document afterwards).
 * Returns: ST_OK; ST_INVALID with err when "accounts" appears twice at the top level, or the text
 * ends inside a member's value.
 * Out: *start and *end bound the member's value (from its first to past its last byte), both NULL
 * when there is no such member. */
int eng_genesis_find_accounts(const char **start, const char **end, char *err, size_t errlen, const char *json,
                              size_t len, eng_genesis_release_fn release, void *release_arg)
    WARN_UNUSED NONNULL(1, 2, 3, 5);

/* How block 0's Genesis transaction body begins; the canonical text follows, then "}". */
#define ENG_GENESIS_BODY_HEAD "{\"type\":\"Genesis\",\"message\":"

/* Reads the accounts array text [start, end), each entry {"address": "0x…", "balance": "<amount>"}
 * in either order, calling each(arg, address, balance, index) as it is read.
 * Returns: ST_OK; ST_INVALID with err naming the entry and the problem; ST_NOMEM; else what each
 * returned. Out: *n, the entries read (those passed to each). */
int eng_genesis_read_accounts(size_t *n, char *err, size_t errlen, const char *start, const char *end,
                              eng_genesis_account_fn each, void *arg) WARN_UNUSED NONNULL(1, 2, 4, 5, 6);

/* Where canonical text goes as it is written, piece by piece: put(arg, bytes, n) returns ST_OK to
 * go on, any other status to stop the writing (and it is returned). */
typedef int (*eng_genesis_sink)(void *arg, const char *bytes, size_t n);

/* Checks the accounts of the array text [start, end) (start NULL: no accounts) as g's and writes g's
 * canonical text once: g->params (beginning with ENG_GENESIS_CANONICAL_HEAD "],") with those
 * accounts written into its empty array exactly as cJSON_PrintUnformatted would write them. Each
 * entry is checked as it is read, then that no address is listed twice and that g->treasury plus
 * every balance stays below 2^256. keep_text: the text is kept as block 0's whole body
 * (ENG_GENESIS_BODY_HEAD, the text, "}"); else g borrows [start, end) as its accounts. g->release
 * (NULL: none) is told as the check passes each MiB of [start, end), between two entries.
 * Returns: ST_OK; ST_INVALID with err; ST_NOMEM.
 * Out: g->hash (keccak-256 of the text), g->n_accounts, g->accounts and g->accounts_end; with
 * keep_text g->body, g->canonical and g->canonical_len; all NULL on failure. */
int eng_genesis_check_accounts(eng_genesis *g, char *err, size_t errlen, const char *start, const char *end,
                               bool keep_text) WARN_UNUSED NONNULL(1, 2);

/* Writes g's canonical text again from g->accounts (already checked), giving every byte to hash
 * (NULL: none) and put (NULL: none) and calling each(each_arg, address, balance, index) (NULL: none)
 * for each account once its entry is written.
 * Returns: ST_OK; ST_INVALID when g holds no accounts text (after eng_genesis_drop_accounts or
 * eng_genesis_restore, or the text no longer reads); ST_NOMEM; else what put or each returned. */
int eng_genesis_write(const eng_genesis *g, ledger_keccak *hash, eng_genesis_sink put, void *put_arg,
                      eng_genesis_account_fn each, void *each_arg) WARN_UNUSED NONNULL(1);

#endif
