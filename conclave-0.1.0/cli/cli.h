/* SPDX-License-Identifier: MIT */
/* cli.h: the `conclave` command-line client. Two halves:
 * - keys.c and args.c (in libcore, unit-tested): key files, the dev-node cookie, and the checks that
 *   turn command-line words into amounts, addresses, hashes and heights before the node is contacted;
 * - the program only: main.c, session.c (session.h: the steps every command shares and the one
 *   signing path), one file of commands per area as the JSON-RPC methods are laid out
 *   (cmd_node.c, cmd_staking.c, cmd_compute.c, cmd_gov.c, each exporting its commands' functions),
 *   commands.c (their table, in order, with their help texts) and output.c (the human rendering of
 *   the node's answers).
 * Secret keys live in caller-provided 32-byte buffers that the caller wipes (cli_wipe).
 * Layer: cli (above engine and rpc; nothing below includes it). */
#ifndef CLI_CLI_H
#define CLI_CLI_H

#include <cjson/cJSON.h>
#include <gmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ledger/status.h"

/* Exit codes of the program (documented in `conclave --help`). */
enum cli_exit {
    CLI_EXIT_OK = 0,          /* done */
    CLI_EXIT_FAILED = 1,      /* the node refused, a receipt failed, or a local operation failed */
    CLI_EXIT_USAGE = 2,       /* the command line is wrong; nothing was sent */
    CLI_EXIT_UNREACHABLE = 3  /* no answer from the node */
};

#define CLI_DEFAULT_RPC "http://127.0.0.1:8645"
#define CLI_DEFAULT_KEY_FILE "conclave.key"
#define CLI_DEFAULT_TIMEOUT 900 /* seconds a call may wait for the node (bitcoin-cli's default); --timeout */
#define CLI_STR_(x) #x
#define CLI_STR(x) CLI_STR_(x)    /* a macro's value as a string literal, for help texts */
#define CLI_COOKIE_MAX 128    /* longest admin token accepted from DIR/.cookie, in characters */
#define CLI_JSON_INT_MAX 9007199254740991ULL /* 2^53 - 1: largest integer a JSON number carries exactly */

/* ---- keys.c: secret keys and the admin cookie (libcore) ---- */

/* Overwrites len bytes at p with zeros in a way the compiler keeps. */
void cli_wipe(void *p, size_t len);

/* Parses a secret key written as 64 hex digits, with or without "0x", surrounded by optional
 * whitespace (a trailing newline is the usual case).
 * Returns: ST_OK; ST_INVALID if the text is not that; ST_CRYPTO if the number is not a valid
 * secp256k1 secret key (zero or not below the group order).
 * Out: key (unchanged on failure). In: text, len bytes (need not be NUL-terminated). */
int cli_key_parse(uint8_t key[32], const char *text, size_t len) WARN_UNUSED NONNULL(1, 2);

/* Reads and parses the key file at path.
 * Returns: ST_OK; ST_IO (cannot read); ST_INVALID or ST_CRYPTO (as cli_key_parse). On failure err
 * holds a one-line reason naming the file. Out: key (unchanged on failure). */
int cli_key_read(uint8_t key[32], char *err, size_t errlen, const char *path) WARN_UNUSED NONNULL(1, 2, 4);

/* Draws a new valid secret key from getrandom(2).
 * Returns: ST_OK, or ST_IO if the system has no randomness to give. Out: key. */
int cli_key_generate(uint8_t key[32]) WARN_UNUSED NONNULL(1);

/* Creates path (mode 0600, never overwriting) holding "0x" + 64 hex digits + newline.
 * Returns: ST_OK; ST_CONFLICT if path exists; ST_IO otherwise (a partial file is removed). On
 * failure err holds a one-line reason. */
int cli_key_write(char *err, size_t errlen, const char *path, const uint8_t key[32]) WARN_UNUSED NONNULL(1, 3, 4);

/* Reads the admin token from DIR/.cookie (surrounding whitespace dropped).
 * Returns: ST_OK; ST_IO (cannot read); ST_INVALID (empty, too long or not printable). On failure err
 * holds a one-line reason. Out: token, NUL-terminated. */
int cli_cookie_read(char token[CLI_COOKIE_MAX + 1], char *err, size_t errlen, const char *datadir)
    WARN_UNUSED NONNULL(1, 2, 4);

/* ---- args.c: command-line words checked before anything is sent (libcore) ---- */
/* Each returns ST_OK, or ST_INVALID / ST_OVERFLOW with err holding a one-line reason that quotes the
 * word ("bad amount '1.2.3': more than one decimal point"); outputs are unchanged on failure. */

/* An amount: whole tokens with up to 18 decimals ("1", "1.5"), or with raw a canonical decimal of
 * base units. Out: out (initialized by the caller) in base units. */
int cli_arg_amount(mpz_t out, char *err, size_t errlen, const char *word, bool raw) WARN_UNUSED NONNULL(1, 2, 4);

/* An address: "0x" + 40 hex digits. All-lowercase or all-uppercase digits are taken as they are;
 * mixed case must be the EIP-55 checksum (it catches typing mistakes). */
int cli_arg_address(uint8_t out[20], char *err, size_t errlen, const char *word) WARN_UNUSED NONNULL(1, 2, 4);

/* A 32-byte hash: "0x" + 64 hex digits. */
int cli_arg_hash(uint8_t out[32], char *err, size_t errlen, const char *word) WARN_UNUSED NONNULL(1, 2, 4);

/* A non-negative integer below 2^53 (heights, seconds), plain digits. what names it in err. */
int cli_arg_uint(uint64_t *out, char *err, size_t errlen, const char *word, const char *what)
    WARN_UNUSED NONNULL(1, 2, 4, 5);

/* A development key index, "0" to "9". */
int cli_arg_dev_key(unsigned *out, char *err, size_t errlen, const char *word) WARN_UNUSED NONNULL(1, 2, 4);

/* The params of ledger_getBlock for a block word: a height, "latest", or a block hash.
 * Out: *params (caller owns; cJSON_Delete). Returns also ST_NOMEM. */
int cli_arg_block(cJSON **params, char *err, size_t errlen, const char *word) WARN_UNUSED NONNULL(1, 2, 4);

/* The payload options of `gov propose`, at most one of them given (NULL when absent). */
typedef struct cli_payload_words {
    const char *json;           /* --payload JSON: a JSON object with a string "kind" */
    const char *spend_to;       /* --spend TO AMOUNT: a treasury spend */
    const char *spend_amount;
    const char *param_name;     /* --param NAME VALUE: a governed parameter's new value */
    const char *param_value;
    const char *allow_enclave;  /* --allow-enclave 0xMEAS: add a measurement to the allowlist */
    const char *remove_enclave; /* --remove-enclave 0xMEAS: take one off */
} cli_payload_words;

/* A proposal's payload from its options: --payload as given (re-printed compactly); --spend with
 * an address and a positive amount (tokens, or base units with raw); --param with a name and a
 * whole number as gov_getParams shows it (base units, seconds or ppm; the node checks the bounds);
 * --allow-enclave / --remove-enclave with 0x + 64 hex digits. Also ST_NOMEM.
 * Out: *text the payload's JSON text (caller frees with cJSON_free), or NULL when no payload option
 * is given (a text proposal). */
int cli_arg_payload(char **text, char *err, size_t errlen, const cli_payload_words *w, bool raw)
    WARN_UNUSED NONNULL(1, 2, 4);

#define CLI_BODY_MAX 16384    /* longest proposal body the node takes, in bytes */

/* A proposal's body read from the file at path: at most CLI_BODY_MAX bytes of text without NUL.
 * Returns ST_OK; ST_IO if the file cannot be read; ST_INVALID if it is too long or holds a NUL;
 * ST_NOMEM. Out: *text, NUL-terminated (caller frees with free()). */
int cli_arg_body_file(char **text, char *err, size_t errlen, const char *path) WARN_UNUSED NONNULL(1, 2, 4);

/* ---- the program: main.c, commands.c and the cmd_*.c files, output.c ---- */

/* Which options a command takes, beyond the global ones (--rpc, --json, --help). */
enum cli_opt_flags {
    CLI_OPT_KEY = 1 << 0,     /* --key FILE, --dev-key N */
    CLI_OPT_RAW = 1 << 1,     /* --raw */
    CLI_OPT_DATADIR = 1 << 2, /* --datadir DIR */
    CLI_OPT_OUT = 1 << 3,     /* --out FILE */
    CLI_OPT_SIGN_ONLY = 1 << 4, /* --sign-only */
    CLI_OPT_POOL = 1 << 5,    /* --commission PPM, --capacity AMOUNT */
    CLI_OPT_SORT = 1 << 6,    /* --sort id|stake */
    CLI_OPT_ALL = 1 << 7,     /* --all */
    CLI_OPT_PROPOSE = 1 << 8, /* --title, --body, --body-file and the payload options */
    CLI_OPT_CONVICTION = 1 << 9, /* --conviction N */
    CLI_OPT_FILTER = 1 << 10, /* --state S */
    CLI_OPT_PROPOSAL = 1 << 11, /* --proposal ID */
    CLI_OPT_TRACK = 1 << 12,  /* --track T */
    CLI_OPT_SECRET = 1 << 13, /* --secret */
    CLI_OPT_PLATFORM = 1 << 14 /* --platform ADDRESS */
};

/* The parsed command line; every string is borrowed from argv or the environment. */
typedef struct cli_opts {
    const char *rpc_url;      /* --rpc, else $CONCLAVE_RPC, else CLI_DEFAULT_RPC */
    uint64_t timeout;         /* --timeout: seconds each call may wait, 0 for no limit */
    const char *key_file;     /* --key, else $CONCLAVE_KEY, else NULL */
    int dev_key;              /* --dev-key index, or -1 */
    const char *datadir;      /* --datadir, or NULL */
    const char *out;          /* --out, or NULL */
    bool json;                /* --json: print the raw result */
    bool raw;                 /* --raw: amounts in base units */
    bool sign_only;           /* --sign-only: print the signed transaction instead of sending it */
    const char *commission;   /* --commission: parts per million, or NULL */
    const char *capacity;     /* --capacity: an amount, or NULL */
    const char *sort;         /* --sort, or NULL */
    bool all;                 /* --all: every share not already queued */
    const char *title;        /* --title: a proposal's title, or NULL */
    const char *body;         /* --body: a proposal's text, or NULL */
    const char *body_file;    /* --body-file: a file holding it, or NULL */
    cli_payload_words payload; /* --payload, --spend, --param, --allow-enclave, --remove-enclave */
    const char *conviction;   /* --conviction: 0 to 6, or NULL */
    const char *state;        /* --state: a proposal state, or NULL */
    const char *track;        /* --track: a governance track, or NULL */
    const char *proposal;     /* --proposal: a proposal id, or NULL */
    bool secret;              /* --secret: seal the ballot to the enclave's ballot key */
    const char *platform;     /* --platform: the chain's attestation platform address, or NULL */
    int argc;                 /* positional words after the command */
    char **argv;
} cli_opts;

/* A command: runs it with the parsed command line. Returns: an enum cli_exit. */
typedef int cli_command_fn(const cli_opts *o);

typedef struct cli_command {
    const char *name;         /* one word, or a group and a word ("pool create") */
    const char *synopsis;     /* arguments and options, for the usage line */
    const char *summary;      /* one line, for the command list */
    const char *help;         /* the rest of `conclave help NAME` */
    int min_args, max_args;   /* positional words accepted */
    unsigned opts;            /* enum cli_opt_flags it accepts */
    cli_command_fn *fn;
} cli_command;

/* The commands, in the order --help lists them, ending with a row whose name is NULL (commands.c). */
extern const cli_command cli_commands[];

/* Prints "conclave: " + the message + newline on stderr. */
void cli_error(const char *fmt, ...) PRINTF_LIKE(1, 2) NONNULL(1);

/* Output of the node's answers (output.c). Each prints to stdout; raw keeps amounts in base units
 * (info and block have none, and take raw only to share the signature of the others).
 * They tolerate missing members (printed as "-") so a newer node never crashes an older client. */
typedef void cli_printer(const cJSON *v, bool raw) NONNULL(1);
void cli_print_json(const cJSON *v) NONNULL(1);
/* A node_info result; a ledger_getAccount result; a receipt; a block; a transaction. */
cli_printer cli_print_info, cli_print_account, cli_print_receipt, cli_print_block, cli_print_tx;
/* A staking_getPool result, an array of them as a table; a staking_getPosition result; a
 * staking_getWorker result, a staking_listWorkers result. */
cli_printer cli_print_pool, cli_print_pools, cli_print_position, cli_print_worker, cli_print_workers;
/* A gov_getProposal result, an array of them as a table; a gov_votingPower result; a
 * gov_getResults result (each choice numbered, with its score). */
cli_printer cli_print_proposal, cli_print_proposals, cli_print_power, cli_print_results;
/* Returns: whether the audit reported ok. */
bool cli_print_audit(const cJSON *audit) NONNULL(1);
/* One line for a JSON-RPC error object: "message (code N, data {...})". Caller frees with free(). */
char *cli_rpc_error_text(const cJSON *error) NONNULL(1);

#endif
