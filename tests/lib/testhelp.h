/* SPDX-License-Identifier: MIT */
/* testhelp.h: helpers shared by the test suites: files, the shared test vectors, hex. */
#ifndef TESTS_TESTHELP_H
#define TESTS_TESTHELP_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

/* Reads a whole file; caller frees. NULL if it cannot. Out: *len (may be NULL). */
char *th_read_file(const char *path, size_t *len);
/* The parsed tests/vectors/eip712.json (cached for the process; do not free). Aborts if missing. */
const cJSON *th_vectors(void);
/* Decodes 0x-hex into out (exactly n bytes); aborts the test on bad input. */
void th_hex(uint8_t *out, size_t n, const char *hex);

#endif
