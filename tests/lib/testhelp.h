/* SPDX-License-Identifier: MIT */
/* testhelp.h: helpers shared by the test suites: files, the shared test vectors, hex, a tampered chain. */
#ifndef TESTS_TESTHELP_H
#define TESTS_TESTHELP_H

#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stddef.h>
#include <stdint.h>

/* Reads a whole file; caller frees. NULL if it cannot. Out: *len (may be NULL). */
char *th_read_file(const char *path, size_t *len);
/* The parsed tests/vectors/eip712.json (cached for the process; do not free). Aborts if missing. */
const cJSON *th_vectors(void);
/* Parameters 0..n-1 for a ParameterizedTest over a static table (indices, not pointers: each case
 * runs in a re-executed process where the table's addresses differ). */
struct criterion_test_params th_indices(size_t n);
/* Member key of a vector object; fails the test if absent / not a string. */
const cJSON *th_get(const cJSON *o, const char *key);
const char *th_str(const cJSON *o, const char *key);
/* Fails the test unless addr's EIP-55 form is want. */
void th_assert_addr(const uint8_t addr[20], const char *want, const char *what);
/* Decodes 0x-hex into out (exactly n bytes); aborts the test on bad input. */
void th_hex(uint8_t *out, size_t n, const char *hex);
/* Appends to the chain in the database at db_path (no process may have it open), through the ledger
 * alone, the block a start refused for another genesis used to write: a Tick whose receipt closes
 * epoch 3332, far ahead of the chain's own epochs. Aborts the test on failure. */
void th_append_foreign_tick(const char *db_path);

#endif
