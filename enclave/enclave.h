/* SPDX-License-Identifier: MIT */
/* enclave.h: the enclave as conclaved sees it: a conclave-enclave child process behind a
 * socketpair, its quotes, and the platform calls a host or verifier needs. Layer: engine -> this
 * host (libcore), which uses the pure parts of enclave/ and ledger/sig; it never holds the
 * enclave's key. Includes the frame (proto.h), quote (quote.h) and platform (platform.h) APIs.
 * Lifecycle: enc_host_start spawns and greets the enclave; enc_host_call and its wrappers are
 * request/response with a deadline, blocking the caller; enc_host_exchange_begin and _step are one
 * request/response that never block, for a caller with an event loop; enc_host_stop closes the
 * socket, reaps the child (SIGKILL after ENC_HOST_STOP_TIMEOUT_MS) and frees the handle, and
 * enc_host_kill does so without the grace. The enclave gets SIGKILL when the thread that started
 * it exits (PR_SET_PDEATHSIG), so it never outlives its host. Needs Linux >= 5.3 (pidfd). */
#ifndef ENCLAVE_ENCLAVE_H
#define ENCLAVE_ENCLAVE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "enclave/count_report.h"
#include "enclave/handover.h"
#include "enclave/platform.h"
#include "enclave/proto.h"
#include "enclave/quote.h"
#include "ledger/ballot_box.h"
#include "ledger/status.h"

#define ENC_HOST_FD 3                   /* the child's end of the socket, in the child */
#define ENC_HOST_TIMEOUT_MS 5000        /* deadline of enc_host_ping and enc_host_attest */
#define ENC_HOST_START_TIMEOUT_MS 10000 /* start-up: measuring, unsealing, first PONG */
#define ENC_HOST_STOP_TIMEOUT_MS 2000   /* grace before SIGKILL in enc_host_stop */

/* conclave-enclave's exit codes: 0 when the host closes the socket at a frame boundary; an st_code
 * (1..63) when it cannot start or its stream breaks (ST_CRYPTO: its sealed key does not open for
 * this binary on this platform; ST_IO: a truncated frame or a failed write); ENC_EXIT_USAGE on bad
 * arguments. A confinement violation kills it with SIGSYS. */
#define ENC_EXIT_USAGE 64

/* A running enclave. Opaque; not thread-safe: one caller at a time. */
typedef struct enc_host enc_host;

/* Spawns enclave_path as `--fd 3 --platform-secret S --sealed-dir D` over a new socketpair and
 * waits (ENC_HOST_START_TIMEOUT_MS) for its answer to a first PING.
 * Returns: ST_OK; ST_NOMEM; ST_IO if it could not be spawned or did not answer; the enclave's own
 * start-up status if it exited with one (e.g. ST_CRYPTO: its sealed key does not open).
 * Out: *out the handle on ST_OK (caller owns it; release with enc_host_stop), else NULL.
 * In: the paths are used only during the call. The platform secret must exist
 * (enc_platform_secret_ensure) and sealed_dir must be an existing directory. */
int enc_host_start(enc_host **out, const char *enclave_path, const char *platform_secret_path,
                   const char *sealed_dir) WARN_UNUSED NONNULL(1, 2, 3, 4);

/* Sends one request frame and reads the one response, within timeout_ms (>= 0) for each.
 * Returns: ST_OK with any response type, ERROR included; ST_LIMIT if len > ENC_PROTO_MAX_PAYLOAD
 * (nothing sent); ST_NOMEM, ST_LIMIT, ST_VERSION or ST_INVALID if the response frame was refused
 * (enc_proto_read); ST_IO if the enclave died, the stream broke or the deadline passed. After
 * ST_IO the handle is broken: every later call returns ST_IO; stop it and start another.
 * Out: *resp_type, *resp, *resp_len on ST_OK: the response (caller owns *resp, which has a NUL after
 * its resp_len bytes; release with enc_host_resp_free); untouched otherwise.
 * In: payload (may be NULL when len is 0), borrowed for the call. */
int enc_host_call(enc_host *h, uint8_t type, const uint8_t *payload, size_t len, uint8_t *resp_type,
                  uint8_t **resp, size_t *resp_len, int timeout_ms) WARN_UNUSED NONNULL(1, 5, 6, 7);

/* Starts one request/response exchange without waiting: the request frame is copied into h and
 * goes out, like the response comes in, in enc_host_exchange_step, which the caller drives when the
 * socket (enc_host_fd) is ready and bounds with its own deadline (give up: enc_host_kill). One
 * exchange at a time, and no enc_host_call until it is over.
 * Returns: ST_OK; ST_LIMIT if len > ENC_PROTO_MAX_PAYLOAD; ST_NOMEM; ST_IO if the handle is broken.
 * In: payload (may be NULL when len is 0), copied. */
int enc_host_exchange_begin(enc_host *h, uint8_t type, const uint8_t *payload, size_t len) WARN_UNUSED NONNULL(1);

/* Moves the exchange on as far as the socket allows without blocking.
 * Returns: ST_PENDING: not over; call again once the socket is ready for *wait_events (POLLIN or
 *          POLLOUT).
 *          ST_OK: the response (any type, ERROR included); the exchange is over.
 *          ST_IO (the enclave died or the stream broke), ST_NOMEM, or ST_INVALID, ST_LIMIT or
 *          ST_VERSION (the response frame was refused): the exchange is over and the handle is
 *          broken (stop it and start another).
 * Out: *wait_events on ST_PENDING; *resp_type, *resp, *resp_len on ST_OK as for enc_host_call
 * (caller owns *resp; release with enc_host_resp_free); untouched otherwise. */
int enc_host_exchange_step(enc_host *h, short *wait_events, uint8_t *resp_type, uint8_t **resp, size_t *resp_len)
    WARN_UNUSED NONNULL(1, 2, 3, 4, 5);

/* The host's end of the socket, to watch for enc_host_exchange_step. Borrowed; valid until the
 * handle is stopped. */
int enc_host_fd(const enc_host *h) NONNULL(1);

/* Releases a response of enc_host_call or enc_host_exchange_step. Accepts NULL. */
void enc_host_resp_free(uint8_t *resp);

/* Checks that the enclave answers: PING with a fresh 8-byte payload, which PONG must echo.
 * Returns: ST_OK; ST_INVALID if the answer is anything else; otherwise as enc_host_call. */
int enc_host_ping(enc_host *h) WARN_UNUSED NONNULL(1);

/* Asks the enclave for a quote for chain_id. The host does not verify it: use enc_quote_verify with
 * the platform's attestation address, then judge its measurement and chainId.
 * Returns: ST_OK; ST_INVALID if the enclave answered ERROR or an unexpected frame; otherwise as
 * enc_host_call. Out: quote and *len (its length) on ST_OK. */
int enc_host_attest(enc_host *h, uint64_t chain_id, uint8_t quote[ENC_QUOTE_LEN], size_t *len)
    WARN_UNUSED NONNULL(1, 3, 4);

/* Asks the enclave for its ballot key and its identity's signature over it for chain_id
 * (docs/SECRET_BALLOTS.md). The host does not check the signature: ledger_ballot_key_signer gives
 * the signer, which must be the address of the enclave's quoted key.
 * Returns: ST_OK; ST_INVALID if the enclave answered ERROR or an unexpected frame; otherwise as
 * enc_host_call. Out: key (compressed) and sig (r || s || v) on ST_OK, untouched otherwise. */
int enc_host_ballot_key(enc_host *h, uint64_t chain_id, uint8_t key[LEDGER_BALLOT_KEY_LEN],
                        uint8_t sig[LEDGER_BALLOT_KEY_SIG_LEN]) WARN_UNUSED NONNULL(1, 3, 4);

/* --- Secret poll counts (docs/SECRET_BALLOTS.md) --- */

/* A count to send: COUNT_BEGIN, then the ballots in COUNT_CHUNKs of at most ENC_COUNT_CHUNK_TARGET
 * bytes, a sequence of request/response exchanges that the caller drives (each frame with
 * enc_host_exchange_begin/_step, or enc_host_call) or enc_host_count does in place. Opaque; holds
 * a copy of every ballot. */
typedef struct enc_count_job enc_count_job;

/* Returns: a new job for the count h announces (caller owns it; release with
 * enc_count_job_free), NULL if out of memory. In: h (copied): chainId, proposal, system, nChoices,
 * nBallots and the caller's ballotsHash of the ballots it will add. */
enc_count_job *enc_count_job_new(const enc_count_header *h) NONNULL(1);
void enc_count_job_free(enc_count_job *j);

/* Adds the next ballot (voters in ascending order; the enclave refuses any other order).
 * Returns: ST_OK; ST_LIMIT if nBallots are in already; ST_INVALID if len > 65535; ST_CONFLICT once
 * the job has begun sending; ST_NOMEM. In: voter, weight (32 bytes, big-endian), ciphertext
 * (len bytes), copied. */
int enc_count_job_add(enc_count_job *j, const uint8_t voter[20], const uint8_t weight[32], const uint8_t *ciphertext,
                      size_t len) WARN_UNUSED NONNULL(1, 2, 3);

/* The next request to send.
 * Returns: ST_OK; ST_NOTFOUND if every frame has been sent (wait for the answer, or the job is
 * over); ST_CONFLICT if fewer ballots than nBallots were added; ST_PENDING if the answer to the
 * last frame has not been given (enc_count_job_answer).
 * Out: *type, *payload (borrowed from j until the next call or enc_count_job_free), *len. */
int enc_count_job_next(enc_count_job *j, uint8_t *type, const uint8_t **payload, size_t *len)
    WARN_UNUSED NONNULL(1, 2, 3, 4);

/* Gives the job the enclave's answer to the frame it sent last.
 * Returns: ST_PENDING: acknowledged, send the next frame (enc_count_job_next).
 *          ST_OK: the report is in (enc_count_job_report); the job is over.
 *          ST_INVALID: the enclave refused (why holds its ERROR text) or answered out of protocol
 *          (why says how); the job is over: make a new one to try again.
 * Out: why (whylen bytes, NUL-terminated) on ST_INVALID. In: the response (type, resp, len). */
int enc_count_job_answer(enc_count_job *j, char *why, size_t whylen, uint8_t type, const uint8_t *resp, size_t len)
    WARN_UNUSED NONNULL(1, 2);

/* The COUNT_REPORT payload (report || signature; parse it with enc_count_report_parse) once
 * enc_count_job_answer returned ST_OK, else NULL. Borrowed; valid until enc_count_job_free.
 * Out: *len its length. */
const uint8_t *enc_count_job_report(const enc_count_job *j, size_t *len) NONNULL(1, 2);

/* Runs a whole job in place, blocking: each frame with enc_host_call and timeout_ms.
 * Returns: ST_OK (the report: enc_count_job_report); ST_INVALID as enc_count_job_answer (why
 * says why); ST_CONFLICT as enc_count_job_next; otherwise as enc_host_call (why says which). */
int enc_host_count(enc_host *h, enc_count_job *j, char *why, size_t whylen, int timeout_ms)
    WARN_UNUSED NONNULL(1, 2, 3);

/* --- The ballot key's handover to a new enclave build (docs/SECRET_BALLOTS.md) --- */

/* Asks the old enclave to hand its ballot key to the enclave of new_quote (BALLOT_KEY_EXPORT_REQ).
 * The old enclave checks the quote against its platform, the chain and that the measurement is not
 * its own; the caller checks, before, that the new measurement is allowlisted.
 * Returns: ST_OK; ST_INVALID if the enclave refused (why holds its reason) or answered out of
 * protocol; otherwise as enc_host_call (why says so). Out: blob on ST_OK. */
int enc_host_ballot_export(enc_host *old, uint64_t chain_id, const uint8_t *new_quote, size_t quote_len,
                           uint8_t blob[ENC_HANDOVER_LEN], char *why, size_t whylen) WARN_UNUSED NONNULL(1, 3, 5, 6);

/* Gives the new enclave a handover blob (BALLOT_KEY_IMPORT_REQ): it checks the blob, takes the
 * ballot key as its own and answers it signed, with the key sealed to its measurement, which this
 * call writes as DIR/ballot-<measurement prefix>.sealed in place of the file it had (whole or not at
 * all), so the key survives its restarts.
 * Returns: ST_OK; ST_INVALID if refused (why holds the reason; nothing changed); ST_LIMIT or ST_IO
 * if the file could not be written (the running enclave holds the key, a restart would not);
 * otherwise as enc_host_call. Out: key and sig (as enc_host_ballot_key for the blob's chain) on ST_OK.
 * In: blob (len bytes); sealed_dir the enclave's --sealed-dir. */
int enc_host_ballot_import(enc_host *nu, const uint8_t *blob, size_t len, const char *sealed_dir,
                           uint8_t key[LEDGER_BALLOT_KEY_LEN], uint8_t sig[LEDGER_BALLOT_KEY_SIG_LEN], char *why,
                           size_t whylen) WARN_UNUSED NONNULL(1, 2, 4, 5, 6, 7);

/* The whole handover: the new enclave's quote for chain_id, the export from old, the import into
 * nu. Returns, Out: as enc_host_ballot_import (why names the step that failed). */
int enc_host_ballot_handover(enc_host *old, enc_host *nu, uint64_t chain_id, const char *sealed_dir,
                             uint8_t key[LEDGER_BALLOT_KEY_LEN], uint8_t sig[LEDGER_BALLOT_KEY_SIG_LEN], char *why,
                             size_t whylen) WARN_UNUSED NONNULL(1, 2, 4, 5, 6, 7);

/* --- The builds that hold the chain's ballot key, kept for handovers (enclave/holders.c) --- */

/* Keeps a copy of the enclave program whose measurement is `measurement` in dir (created if
 * missing), named by that measurement in 64 lowercase hex digits, unless a copy of it is there
 * already: written whole or not at all, and hashed as it is written, so a program that changed
 * since it was measured is not kept.
 * Returns: ST_OK; ST_INVALID (the program's bytes are not of that measurement now); ST_IO;
 * ST_LIMIT (a path too long). */
int enc_holder_keep(const char *dir, const char *program, const uint8_t measurement[32]) WARN_UNUSED NONNULL(1, 2, 3);

/* What enc_holder_each calls for each kept copy: its path and measurement (borrowed for the call).
 * Returns ST_NOTFOUND to go on to the next one, anything else to stop there. */
typedef int (*enc_holder_fn)(void *ctx, const char *path, const uint8_t measurement[32]);
/* Calls fn for each copy kept in dir, in no particular order, until it returns other than
 * ST_NOTFOUND. Returns: what fn returned last; ST_NOTFOUND when dir holds none (or does not exist);
 * ST_IO if dir cannot be read. */
int enc_holder_each(const char *dir, enc_holder_fn fn, void *ctx) WARN_UNUSED NONNULL(1, 2);

/* The enclave's process id (for logs and metrics). */
pid_t enc_host_pid(const enc_host *h) NONNULL(1);

/* Closes the socket (the enclave sees end of stream and exits 0), waits up to
 * ENC_HOST_STOP_TIMEOUT_MS, then SIGKILLs it, reaps it and frees h. Accepts NULL (ST_OK).
 * Returns: ST_OK if it exited by itself in time; ST_IO if it had to be killed or was not reapable.
 * Out: *wstatus its waitpid(2) status, 0 if unknown (wstatus may be NULL). */
int enc_host_stop(enc_host *h, int *wstatus);

/* As enc_host_stop without the grace, for an enclave that does not answer: SIGKILL at once unless
 * it has exited already. Accepts NULL (ST_OK). Returns: ST_OK if it had exited; ST_IO otherwise.
 * Out: as enc_host_stop. */
int enc_host_kill(enc_host *h, int *wstatus);

#endif
