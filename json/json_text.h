/* SPDX-License-Identifier: MIT */
/* json_text.h: a growable text buffer and a printer of cJSON trees into it, byte for byte what
 * cJSON_PrintUnformatted prints, at a fraction of its cost. Layer: below both rpc/ (the JSON-RPC
 * replies, rpc/dispatch.c) and ledger/ (a transaction's events, ledger/receipt.c), so it depends on
 * cJSON and libc only and includes nothing of either; the enclave program, which links no cJSON,
 * does not use it. Not thread-safe: one buffer per thread at a time. */
#ifndef JSON_JSON_TEXT_H
#define JSON_JSON_TEXT_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#if defined(__GNUC__)
#define JSON_TEXT_NONNULL(...) __attribute__((nonnull(__VA_ARGS__)))
#else
#define JSON_TEXT_NONNULL(...)
#endif

/* A growable text, in caller-provided storage: { 0 } is an empty one. A failed append (out of
 * memory, or a tree cJSON would not print either) sets failed and makes every later one a no-op
 * until json_text_reset. */
struct json_text {
    char *data;                      /* len bytes of text (not NUL-terminated), cap allocated (malloc) */
    size_t len, cap;                 /* bytes */
    bool failed;
};

/* Empties t, keeping its memory. */
void json_text_reset(struct json_text *t) JSON_TEXT_NONNULL(1);
/* Empties t once its text is used, freeing its memory if it grew past keep_max bytes (a buffer
 * kept from one use to the next without holding on to a rare large one). */
void json_text_release(struct json_text *t, size_t keep_max) JSON_TEXT_NONNULL(1);
/* Empties t and frees its memory. */
void json_text_clear(struct json_text *t) JSON_TEXT_NONNULL(1);
/* Appends n bytes to t. */
void json_text_put(struct json_text *t, const char *bytes, size_t n) JSON_TEXT_NONNULL(1, 2);
/* Appends the JSON string of s (NULL: ""), escaped as cJSON escapes: the two-character escapes for
 * '"', '\\', '\b', '\f', '\n', '\r' and '\t', \u00xx for the other control characters, every other
 * byte as it is. */
void json_text_put_string(struct json_text *t, const char *s) JSON_TEXT_NONNULL(1);
/* Appends d as cJSON prints a number (see json_text_print). */
void json_text_put_number(struct json_text *t, double d) JSON_TEXT_NONNULL(1);
/* Appends item's JSON text to t: exactly what cJSON_PrintUnformatted(item) returns (where it returns
 * NULL for a tree it cannot print, t fails). Numbers: an integer below 10^15 in magnitude is written
 * as its digits, without cJSON's printf and the scanf round trip it makes for every number; any
 * other takes cJSON's own steps, so it prints the same too. */
void json_text_print(struct json_text *t, const cJSON *item) JSON_TEXT_NONNULL(1, 2);
/* Ends t's text with a NUL and hands it over, leaving t empty (as json_text_clear does).
 * Returns: the text (caller frees with free()), or NULL when t failed (or fails now: out of memory),
 * its memory freed. */
char *json_text_take(struct json_text *t) JSON_TEXT_NONNULL(1);

#endif
