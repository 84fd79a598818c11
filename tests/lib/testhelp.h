/* SPDX-License-Identifier: MIT */
/* testhelp.h: helpers shared by the test suites: temporary directories, a ledger in one, files, the
 * shared test vectors, hex, a tampered chain, the base epoch of the settlement tests, the built
 * enclave started and stopped, and allocation failures on demand. */
#ifndef TESTS_TESTHELP_H
#define TESTS_TESTHELP_H

#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "enclave/enclave.h"
#include "enclave/settle.h"
#include "ledger/ledger.h"
#include "ledger/tx.h"

/* Makes a new directory /tmp/conclave-TAG-XXXXXX and writes its path to dir (dirlen bytes). Aborts
 * the test on failure. */
void th_temp_dir(char *dir, size_t dirlen, const char *tag);
/* Removes path and everything under it, following no symbolic link. Aborts the test on failure. */
void th_rmtree(const char *path);
/* Opens a ledger on a new database in a new temporary directory (see th_temp_dir);
 * th_close_ledger closes it and removes the directory. One such ledger per test process. */
void th_open_ledger(ledger **l, const char *tag);
void th_close_ledger(ledger *l);
/* The database path of the ledger opened last by th_open_ledger. */
const char *th_ledger_path(void);
/* In a printf-like function: declares char text[size] and prints into it the arguments that follow
 * fmt; fails the test if they do not fit. */
#define TH_FORMAT(text, size, fmt)                                                                  \
    char text[size];                                                                               \
    do {                                                                                           \
        va_list ap_;                                                                               \
        va_start(ap_, fmt);                                                                        \
        int n_ = vsnprintf(text, sizeof text, fmt, ap_);                                           \
        va_end(ap_);                                                                               \
        cr_assert(n_ >= 0 && (size_t)n_ < sizeof text, "formatted text fits: %s", text);           \
    } while (0)
/* Provisions a platform for a test enclave in the existing directory dir: its secret at
 * dir/platform.secret (the path written to secret_path), an empty dir/sealed (to sealed_dir), and the
 * platform's attestation address. Aborts the test on failure. */
void th_enclave_platform(const char *dir, char secret_path[128], char sealed_dir[128], uint8_t platform_addr[20]);
/* The conclave-enclave of this build. */
#define TH_ENCLAVE_BIN TEST_BUILDDIR "/conclave-enclave"
/* Starts the enclave program bin on the platform secret at secret_path, sealing to sealed_dir.
 * Returns its host handle. Aborts the test unless it starts. */
enc_host *th_enclave_start(const char *bin, const char *secret_path, const char *sealed_dir);
/* Stops the enclave (closing its socket) and asserts that it exited by itself with status 0: never
 * killed, by its seccomp filter or by the host's timeout. */
void th_enclave_stop_cleanly(enc_host *h);
/* The enclave's quote for chain_id, which must verify against platform_addr. Out: addr, the
 * address of its quoted identity key; measurement (NULL: not wanted). Aborts the test otherwise. */
void th_enclave_quoted(enc_host *h, uint64_t chain_id, const uint8_t platform_addr[20], uint8_t addr[20],
                       uint8_t *measurement);
/* Copies TH_ENCLAVE_BIN to path (mode 0755) with the bytes of extra appended: the same code, which
 * runs the same, under another measurement (another extra, another measurement). Aborts the test
 * on failure. */
void th_enclave_changed_copy(const char *path, const char *extra);
/* Allocation failures, for a binary linked with -Wl,--wrap=malloc,--wrap=realloc,--wrap=calloc
 * (tests/lib/alloc_fail.c): th_alloc_fail_at(k) makes the k-th malloc, realloc or calloc from now
 * on fail, once (k <= 0: none, and a failure armed before is called off); th_alloc_failed says
 * whether the failure armed last has happened. */
void th_alloc_fail_at(int k);
bool th_alloc_failed(void);
/* Sets in (initialized) to the epoch most settlement tests start from: chain 31337, genesis at 0,
 * epoch `epoch` running 720 s from start in six heartbeat slots of 120 s, a budget of 1000 tokens,
 * decay 25% every 180 days, treasury 20%, and the channel fee fee_ppm. Workers, channels and the
 * economics (enc_econ_params_init's) are left as they are. */
void th_settle_base(enc_settle_input *in, uint64_t epoch, uint64_t start, uint32_t fee_ppm);
/* Reads a whole file; caller frees. NULL if it cannot. Out: *len (may be NULL). */
char *th_read_file(const char *path, size_t *len);
/* The parsed tests/vectors/eip712.json (cached for the process; do not free). Aborts if missing. */
const cJSON *th_vectors(void);
/* Parameters 0..n-1 for a ParameterizedTest over a static table (indices, not pointers: each case
 * runs in a re-executed process where the table's addresses differ). */
struct criterion_test_params th_indices(size_t n);
/* The parameters of ParameterizedTest(int *i, suite, name): the indices of the static array table. */
#define TH_TABLE_PARAMETERS(suite, name, table) \
    ParameterizedTestParameters(suite, name) \
    { \
        return th_indices(sizeof(table) / sizeof((table)[0])); \
    }
/* A text and the status a parser must give for it, a row of a table of cases. */
typedef struct th_text_case {
    const char *text;
    int rc;
} th_text_case;
/* Member key of a vector object; fails the test if absent / not a string. */
const cJSON *th_get(const cJSON *o, const char *key);
const char *th_str(const cJSON *o, const char *key);
/* Fails the test unless addr's EIP-55 form is want. */
void th_assert_addr(const uint8_t addr[20], const char *want, const char *what);
/* Decodes 0x-hex into out (exactly n bytes); aborts the test on bad input. */
void th_hex(uint8_t *out, size_t n, const char *hex);
/* A Transfer (nonce 0) as tx_send's JSON params, with random signature bytes (from seed, v given)
 * that pass the EIP-2 form checks and recover to some address on chain chain_id (about half do),
 * and decoded into tx. Caller frees the text and clears tx. */
char *th_random_signature_transfer(ledger_tx *tx, unsigned *seed, uint8_t v, uint64_t chain_id);
/* Appends to the chain in the database at db_path (no process may have it open), through the ledger
 * alone, the block a start refused for another genesis used to write: a Tick whose receipt closes
 * epoch 3332, far ahead of the chain's own epochs. Aborts the test on failure. */
void th_append_foreign_tick(const char *db_path);

#endif
