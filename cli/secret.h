/* SPDX-License-Identifier: MIT */
/* secret.h: secret ballots from the client's side, without the node (libcore, unit-tested by
 * tests/cli/test_secret): the chain's attestation platform pinned by the user, an
 * enclave_getAttestation answer checked before anything is sealed to its ballot key, a ballot
 * sealed with fresh randomness (ledger/ballot_box), and a list of named checks that
 * `conclave verify-poll` prints one line each. Formats: docs/SECRET_BALLOTS.md.
 * Layer: cli (above ledger and enclave's pure quote and platform helpers). */
#ifndef CLI_SECRET_H
#define CLI_SECRET_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ledger/ballot_box.h"
#include "ledger/status.h"

/* ---- a list of named checks, each passed or failed with a one-line detail ---- */

#define CLI_CHECKS_MAX 24
#define CLI_CHECK_DETAIL 256

typedef struct cli_check {
    const char *name;               /* static text: what was checked */
    bool ok;
    char detail[CLI_CHECK_DETAIL];  /* what was found, or why it failed */
} cli_check;

/* Caller-provided storage; zero it (= { 0 }) before use. Checks past CLI_CHECKS_MAX are counted as
 * failures (never silently dropped). */
typedef struct cli_checklist {
    size_t n;                       /* checks held in item */
    size_t lost;                    /* checks that did not fit, all counted as failed */
    cli_check item[CLI_CHECKS_MAX];
} cli_checklist;

/* Adds a check. name: static text. fmt: the detail, printf-style. Returns: ok. */
bool cli_check_add(cli_checklist *l, const char *name, bool ok, const char *fmt, ...) PRINTF_LIKE(4, 5) NONNULL(1, 2, 4);

/* Whether every check added passed (and at least one was). */
bool cli_checklist_ok(const cli_checklist *l) NONNULL(1);

/* The first failed check, or NULL. */
const cli_check *cli_checklist_failure(const cli_checklist *l) NONNULL(1);

/* ---- the enclave's ballot key, checked ---- */

/* The chain's attestation platform: its address (the genesis enclave.platform), which verifiers
 * pin as they would a TEE vendor's root certificate. Either word is an address, or datadir is a
 * node's data directory on this machine whose platform.secret gives it.
 * Returns: ST_OK; ST_INVALID with err if neither is given or the word is not an address; a status
 * of enc_platform_secret_read (ST_NOTFOUND, ST_IO, ...) with err if the secret cannot be read.
 * Out: addr (unchanged on failure). The platform secret read is wiped before this returns. */
int cli_platform_pin(uint8_t addr[20], char *err, size_t errlen, const char *word, const char *datadir)
    WARN_UNUSED NONNULL(1, 2);

/* What a checked attestation vouches for. A plain value. */
typedef struct cli_enclave {
    uint8_t address[20];                        /* the address of the quote's public key */
    uint8_t measurement[32];                    /* from the quote */
    uint8_t ballot_key[LEDGER_BALLOT_KEY_LEN];  /* vouched for by that key for chain_id */
} cli_enclave;

/* Checks an enclave_getAttestation result, adding three checks to l:
 *   "quote":      it parses, the platform pinned as platform signed it, it is for chain_id, and
 *                 its measurement and key are the result's `measurement` and `enclave`;
 *   "ballot key": `ballotKey` (33 bytes) and `ballotKeySignature` (65) are present, and the
 *                 signature over chain_id and the key recovers to the quote's enclave;
 *   "allowlist":  `allowlisted` is true.
 * Returns: whether all three passed. Out: e, filled on true (unspecified otherwise). */
bool cli_attestation_check(cli_checklist *l, cli_enclave *e, const cJSON *att, uint64_t chain_id,
                           const uint8_t platform[20]) NONNULL(1, 2, 3, 5);

/* Reads choice as the enclave will, for the poll that results (its gov_getResults answer: `system`
 * and `choices`) describes (gov_ballot_parse, governance/poll.c): the node cannot refuse a sealed
 * choice, and the enclave counts one it cannot read as invalid, so the client refuses it first.
 * Returns: ST_OK; ST_INVALID with err the reason ("choice 7 is not one of the 3 choices"), or that
 * results names no known system and 2 to 32 choices; ST_NOMEM. */
int cli_choice_check(char *err, size_t errlen, const cJSON *results, const char *choice) WARN_UNUSED NONNULL(1, 3, 4);

/* Seals choice (the choice's JSON text as a Ballot carries it) for voter's ballot on proposal to
 * the ballot key, with an ephemeral key and iv fresh from getrandom(2) (wiped after use).
 * Returns: ST_OK; ST_INVALID with err if the text is empty, longer than 2048 bytes or holds a NUL;
 * ST_IO if the system has no randomness; ST_NOMEM; ST_CRYPTO if the key is not a point.
 * Out: *hex the sealed ballot as 0x-hex, NUL-terminated (caller frees with free()); NULL on failure. */
int cli_ballot_seal(char **hex, char *err, size_t errlen, const uint8_t ballot_key[LEDGER_BALLOT_KEY_LEN],
                    uint64_t chain_id, uint64_t proposal, const uint8_t voter[20], const char *choice)
    WARN_UNUSED NONNULL(1, 2, 4, 7, 8);

/* ---- a count, recomputed from the published ballots ---- */

/* The ballotsHash, count and total power of a secret poll's published ballots, as verify-poll
 * recomputes them: ballots is the array of every page of gov_getSecretBallots, each item {voter,
 * weight, delegatedWeight, ciphertext} (other members ignored). The list is put in voter order
 * here, whatever order the node gave; each ballot's weight is weight + delegatedWeight (its weight
 * at the close), and the hash is docs/SECRET_BALLOTS.md's over voter, weight and sha256(ciphertext).
 * Returns: ST_OK; ST_INVALID with err naming the ballot (a member missing or malformed, or a voter
 * listed twice); ST_OVERFLOW if a weight or the total reaches 2^256; ST_NOMEM.
 * Out: hash, *count, total_power (32 bytes big-endian); unspecified on failure. */
int cli_ballots_recompute(uint8_t hash[32], uint64_t *count, uint8_t total_power[32], char *err, size_t errlen,
                          const cJSON *ballots) WARN_UNUSED NONNULL(1, 2, 3, 4, 6);

/* What the count was checked against, and what it names. */
typedef struct cli_count_claim {
    uint8_t enclave[20];        /* the results' `enclave`, which the report's signature recovers to */
    uint8_t measurement[32];    /* the report's measurement (also the results') */
} cli_count_claim;

/* Checks a counted secret poll's gov_getResults answer (results) against its report and against
 * the ballots recomputed by cli_ballots_recompute (hash, count, total_power), adding five checks:
 *   "report":    `report` and `signature` parse as a count report (enclave/count_report.h) for
 *                chain_id, proposal id and the poll's number of choices;
 *   "ballots":   the report's ballotsHash, count and totalPower are the recomputed ones, and the
 *                results' ballotsHash, totalVotes and scoresTotal say the same;
 *   "members":   the results' validVotes, invalidVotes, scores and measurement are the report's;
 *   "scores":    the report's scores are possible for the results' `system` (docs/POLLS.md): all 0
 *                when no ballot is valid; each at most totalPower for approval (a ballot adds its
 *                weight to every choice it approves); their sum at most totalPower for the others;
 *   "signature": the report's signature recovers to the results' `enclave`.
 * Returns: whether all five passed. Out: claim, filled when the report parsed and named an
 * enclave (unspecified otherwise). */
bool cli_count_check(cli_checklist *l, cli_count_claim *claim, const cJSON *results, uint64_t chain_id, uint64_t id,
                     const uint8_t hash[32], uint64_t count, const uint8_t total_power[32]) NONNULL(1, 2, 3, 6, 8);

#endif
