/* SPDX-License-Identifier: MIT */
/* node.h: for integration tests, a real conclaved of this build started on a free loopback port
 * with a temporary data directory, spoken to over JSON-RPC, and stopped by its PID. Waiting is
 * event-driven and bounded (poll on the daemon's stdout and on a pidfd), never a sleep. */
#ifndef TESTS_NODE_H
#define TESTS_NODE_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "ledger/ballot_box.h"
#include "ledger/ledger.h"
#include "ledger/tx.h"
#include "rpc/client.h"

typedef struct th_node {
    pid_t pid;                  /* 0 when not running */
    unsigned port;
    char datadir[128];
    char url[64];
    char token[80];             /* the admin cookie */
    rpc_client *client;         /* with the admin token */
    const char *const *options; /* more conclaved options for the next start (NULL-terminated, at
                                 * most 8), or NULL */
} th_node;

/* Starts conclaved --dev on 127.0.0.1:0; a new temporary data directory unless keep_datadir (then
 * the one in n->datadir is reused, as after a restart). Aborts the test on failure. */
void th_node_start(th_node *n, bool keep_datadir);
/* Starts the stopped node again on its data directory and its old port n->port (for a client that
 * keeps calling that address, as a worker does). Aborts the test on failure, the port taken too. */
void th_node_restart_same_port(th_node *n);
/* th_node_start on a new data directory, with the node's standard error written to the file at
 * stderr_path (truncated first). */
void th_node_start_logged(th_node *n, const char *stderr_path);
/* Starts the stopped node again on its data directory (n->options as given now), with its standard
 * error written to the file at stderr_path (truncated first). */
void th_node_restart_logged(th_node *n, const char *stderr_path);
/* Forks conclaved --dev on datadir, bound to 127.0.0.1:0, with its standard output a pipe whose read
 * end is written to *out, and its standard error the file at stderr_path (truncated first) or ours
 * (NULL). Returns its PID. Aborts the test on failure. */
pid_t th_spawn_conclaved(const char *datadir, const char *stderr_path, int *out);
/* Sends sig to the node and waits (at most 20 s) for it to exit. Returns its exit status as
 * waitpid gives it. */
int th_node_stop(th_node *n, int sig);
/* Stops the node if it runs (SIGKILL) and removes the data directory. */
void th_node_cleanup(th_node *n);

/* For a suite whose every test runs against a node of its own on a new data directory:
 * th_suite_node_start and th_suite_node_stop are its .init and .fini, th_suite_node its node. */
extern th_node th_suite_node;
void th_suite_node_start(void);
void th_suite_node_stop(void);

/* The PID of the node's child process (its conclave-enclave), read from the "children" file of
 * each of its threads under /proc; 0 if it has none. Aborts the test if the node does not run. */
pid_t th_node_child_pid(const th_node *n);
/* Waits (at most 20 s, on a pidfd) until process pid, which need not be our child, has exited.
 * Returns whether it did. */
bool th_wait_gone(pid_t pid);
/* Opens the node's ledger read-only (while it runs, too: SQLite WAL lets a reader in beside the
 * writer). Release with ledger_close. Aborts the test on failure. */
ledger *th_node_ledger(const th_node *n);
/* In a forked child: execs path with argv (copied, as execv wants writable strings); exits 127 if
 * that fails. */
_Noreturn void th_exec(const char *path, const char *const argv[]);
/* Runs a program with argv (argv[0] its path, NULL-terminated), output inherited, and waits for it
 * (at most 20 s, then SIGKILL). Returns its exit code, or -1 if a signal ended it. */
int th_run(const char *const argv[]);

/* Calls method with params given as JSON text (NULL for none). Returns the whole response object
 * (caller owns; cJSON_Delete). Aborts the test on transport failure. */
cJSON *th_call(th_node *n, const char *method, const char *params_json);
/* POSTs a raw body. Out: *http_status. Returns the response body (caller frees), "" if empty. */
char *th_post(th_node *n, const char *body, int *http_status);

/* Builds a Transfer of amount from dev account `from` to dev account `to` at nonce, signed for
 * chain_id. Returns ledger_tx_build_signed's status and asserts nothing about it, so that a forked
 * loader may call it. Out: *tx (release with ledger_tx_clear) on ST_OK; err the reason otherwise. */
int th_transfer_tx(ledger_tx *tx, unsigned from, unsigned to, const char *amount, uint64_t nonce, uint64_t chain_id,
                   char *err, size_t errlen);
/* The JSON params of a Transfer signed by dev account `from` to dev account `to`. Caller frees. */
char *th_transfer_params(unsigned from, unsigned to, const char *amount, uint64_t nonce, uint64_t chain_id);
/* The JSON params of a transaction of type signed by dev account key on the dev chain (31337),
 * message given as JSON text without the nonce, which is added. Caller frees. */
char *th_sign_params(const char *type, const char *message_json, unsigned key, uint64_t nonce);
/* Registers dev account `worker` as a worker runtime of this build (TEST_BUILDDIR/conclave-worker,
 * which a --dev chain allowlists) serving dev account `operator_`, with benchmark score `score`: a
 * WorkerRegister signed by the dev key with a quote of the node's simulated platform
 * (DATADIR/platform.secret). Asserts that it succeeded. */
void th_node_register_worker(th_node *n, unsigned worker, unsigned operator_, uint32_t score);
/* Answers the current slot's challenge (from staking_getChallenge) for dev account `worker`, a
 * registered worker with stake bonded, with a WorkerHeartbeat of `iterations` in one second (score
 * iterations / 1000). Asserts that it succeeded; returns its Heartbeat event's counted performance. */
unsigned th_node_heartbeat(th_node *n, unsigned worker, unsigned long long iterations);
/* Changes the chain parameter name to value (as gov_getParams writes it) through governance, as a
 * chain's stakers would: a "param" proposal on the params track by dev account who, which must hold
 * at least the track's 100 tokens of voting power and be the only voter needed for its quorum; who
 * votes for it with conviction 1, the clock is advanced through the track's delay, voting period
 * and enactment delay (4 days and an hour in all), and who executes it. Asserts each step. */
void th_node_pass_param(th_node *n, unsigned who, const char *name, const char *value);
/* The 0x-hex signature of the off-ledger Voucher{channel, cumulative} by dev account key on the dev
 * chain, as VoucherRedeem's voucherSig wants it. */
void th_voucher_sig(char out[133], unsigned key, uint64_t channel, const char *cumulative);
/* The EIP-55 address of dev account i. */
void th_dev_address(char out[43], unsigned i);
/* The EIP-55 address of dev account i (< ENG_DEV_ACCOUNTS), in a buffer of that account's own kept
 * for the process: the addresses of several accounts may be held at once. Do not free. */
const char *th_addr(unsigned i);
/* Advances the node's manual clock by secs seconds (admin_advanceTime); asserts that it did. */
void th_node_advance(th_node *n, uint64_t secs);
/* The node's clock (node_info's time, Unix seconds). */
uint64_t th_node_time(th_node *n);
/* Advances the node's manual clock to time t, or by one second if it is there or past it. */
void th_node_advance_to(th_node *n, uint64_t t);

/* Reading answers (each aborts the test when the member is missing or of another type; th_str is
 * in testhelp.h): the "result" of a response; a number or array size of an object's member. */
const cJSON *th_result(const cJSON *response);
double th_num(const cJSON *obj, const char *key);
int th_count(const cJSON *obj, const char *array);
/* The error code of a response (aborts when it has none). */
int th_error_code(const cJSON *response);
/* th_call with params written printf-style. */
cJSON *th_callf(th_node *n, const char *method, const char *fmt, ...) PRINTF_LIKE(3, 4);
/* The next nonce of dev account who, from the node. */
uint64_t th_nonce(th_node *n, unsigned who);
/* Signs type by dev account who with the node's next nonce (message printf-style, without the
 * nonce) and sends it; returns tx_send's response (caller deletes). */
cJSON *th_send(th_node *n, unsigned who, const char *type, const char *fmt, ...) PRINTF_LIKE(4, 5);
/* th_send that must give a successful receipt; returns its events (caller deletes). */
cJSON *th_send_ok(th_node *n, unsigned who, const char *type, const char *fmt, ...) PRINTF_LIKE(4, 5);
/* th_send_ok for a transaction whose events the test does not read: they are dropped. */
void th_send_done(th_node *n, unsigned who, const char *type, const char *fmt, ...) PRINTF_LIKE(4, 5);
/* The 0x-hex of text's bytes (a Propose payload from its JSON text), in a buffer of the process's
 * that the next call reuses. */
const char *th_hex_text(const char *text);
/* Proposes as dev account who on track (title "A title", body "Why.") with payload, JSON text ("":
 * none, a text proposal); asserts that it lands. Returns the id its ProposalCreated event gives. */
unsigned th_propose(th_node *n, unsigned who, const char *track, const char *payload);
/* The ballot key of an enclave_getAttestation result r, once its signature recovers to the attested
 * enclave, which must be allowlisted. Out: key, enclave (its address). Aborts the test otherwise. */
void th_attested_ballot_key(const cJSON *r, uint8_t key[LEDGER_BALLOT_KEY_LEN], uint8_t enclave[20]);
/* Seals text (a secret ballot's choice) to the ballot key key for dev account who's vote on proposal
 * on the dev chain (31337), with fresh randomness. Returns the ciphertext as 0x-hex (caller frees). */
char *th_seal_ballot(unsigned who, unsigned proposal, const uint8_t key[LEDGER_BALLOT_KEY_LEN], const char *text);
/* Dev account 0 creates pool 1 (no commission, room for 1,000,000 tokens), then dev accounts
 * first, first + 1, ... stake tokens[0], tokens[1], ... (count of them, whole tokens as decimal
 * text) in it; asserts each. */
void th_stake(th_node *n, unsigned first, const char *const *tokens, unsigned count);

#endif
