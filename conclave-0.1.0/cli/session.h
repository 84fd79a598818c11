/* SPDX-License-Identifier: MIT */
/* session.h: what every `conclave` command shares: the key and the admin cookie, the connection
 * to the node and its calls (a failure reported once, as an exit code), the words of the command
 * line, the members of a message, and the one signing path (cli_signer_open / cli_signer_send):
 * the secret key never leaves the process and is wiped as soon as the signature exists. Each
 * function returns an enum cli_exit or a bool and reports its own failure on stderr. Last, the
 * commands themselves (the cmd_*.c files), which the table in commands.c names. */
#ifndef CLI_SESSION_H
#define CLI_SESSION_H

#include <cjson/cJSON.h>
#include <gmp.h>
#include <stdbool.h>
#include <stdint.h>
#include "cli/cli.h"
#include "rpc/client.h"

/* The options of a signed command, and the help text they share. */
#define SIGNING (CLI_OPT_KEY | CLI_OPT_RAW | CLI_OPT_SIGN_ONLY)
#define SIGNED_HELP                                                                                  \
    "Signed and sent like transfer (see conclave help transfer): exit 1 if the node refuses it or\n" \
    "its receipt says failed; with --sign-only it prints the signed transaction instead. KEY is\n"   \
    "--key FILE or --dev-key N.\n"

/* Loads the signing key: --dev-key, else --key / $CONCLAVE_KEY, else ./conclave.key if present.
 * Returns: CLI_EXIT_OK with key and addr set, or CLI_EXIT_USAGE (reported). */
int cli_load_key(uint8_t key[32], uint8_t addr[20], const cli_opts *o);

/* Calls method and reports any failure. Out: *result on CLI_EXIT_OK (caller owns; cJSON_Delete). */
int cli_call(rpc_client *c, const cli_opts *o, const char *method, const cJSON *params, cJSON **result);

/* Connects to --rpc with --timeout (token: the admin token or NULL; a timeout beyond what the
 * client counts is no limit), calls method once and closes the connection.
 * Out: *result on CLI_EXIT_OK (caller owns; cJSON_Delete). */
int cli_request(const cli_opts *o, const char *token, const char *method, const cJSON *params, cJSON **result);

/* cli_request with the admin token read from --datadir's .cookie (wiped when done). */
int cli_admin_call(const cli_opts *o, const char *method, const cJSON *params, cJSON **result);

/* Connects (no token), calls a method with params, prints the result with show or as JSON. */
int cli_query(const cli_opts *o, const char *method, const cJSON *params, cli_printer *show);

/* cli_query with params built by the caller: NULL (a failed build) reports out of memory.
 * params: consumed (deleted here). */
int cli_query_built(const cli_opts *o, const char *method, cJSON *params, cli_printer *show);

/* cli_query with {"address": the optional first word, else the key's address}. */
int cli_query_address(const cli_opts *o, const char *method, cli_printer *show);

/* Reads a non-negative integer member of a node answer. */
bool cli_json_u64(const cJSON *obj, const char *key, uint64_t *out);

/* Prints a receipt (or its JSON); returns CLI_EXIT_FAILED unless its status is success. */
int cli_show_receipt(const cJSON *receipt, const cli_opts *o);

/* Prints an address alone, or as {"address": ...} with --json. */
int cli_print_address(const uint8_t addr[20], const cli_opts *o);

/* Reports "out of memory"; returns CLI_EXIT_FAILED. */
int cli_out_of_memory(void);

/* ---- words of the command line: each reports a malformed one and returns false for it ---- */

/* An address (EIP-55 checked when mixed case). */
bool cli_word_address(uint8_t out[20], const char *word);

/* Tokens, or base units when raw; out initialized by the caller. */
bool cli_word_amount(mpz_t out, const char *word, bool raw);

/* A whole number named what (pool ids, seconds). */
bool cli_word_uint(uint64_t *out, const char *word, const char *what);

/* Parts per million, 0..1000000 (or 1..1000000 without zero). */
bool cli_word_ppm(uint64_t *out, const char *word, const char *what, bool zero);

/* ---- message members and params, as canonical strings; false on out of memory ---- */

bool cli_msg_u64(cJSON *m, const char *key, uint64_t v);

bool cli_msg_amount(cJSON *m, const char *key, const mpz_t v);

bool cli_msg_address(cJSON *m, const char *key, const uint8_t addr[20]);

/* ---- messages and params made of the command's positional words ---- */

/* What a positional word must be, and how it stands as a member. */
typedef enum cli_field_kind {
    CLI_FIELD_UINT,     /* a whole number (cli_word_uint), as a canonical string */
    CLI_FIELD_NUMBER,   /* a whole number (cli_word_uint), as a JSON number (params of reads and admin calls) */
    CLI_FIELD_PPM,      /* parts per million, 0 to 1000000 (cli_word_ppm), as a canonical string */
    CLI_FIELD_ADDRESS,  /* an address (cli_word_address) */
    CLI_FIELD_AMOUNT,   /* tokens, or base units with --raw (cli_word_amount), as a canonical string */
    CLI_FIELD_TEXT      /* the word as it is */
} cli_field_kind;

/* The member one positional word becomes; a list of them ends with { NULL }. */
typedef struct cli_field {
    const char *key;          /* the member's name; NULL ends the list */
    cli_field_kind kind;
    const char *what;         /* UINT, NUMBER and PPM: the word's name in the error about it */
} cli_field;

/* The positional words as the members of one object, argv[i] as fields[i] (the command's min_args
 * covers the fields), checked in order (the first malformed one is reported). Returns: CLI_EXIT_OK, or CLI_EXIT_USAGE.
 * Out: *obj (caller owns): NULL after CLI_EXIT_USAGE, and when out of memory (which the senders
 * below report when given it). */
int cli_words_object(cJSON **obj, const cli_opts *o, const cli_field *fields);

/* Signs and sends a transaction of type whose message is the positional words as fields. */
int cli_send_words(const cli_opts *o, const char *type, const cli_field *fields);

/* cli_query with params made of the positional words as fields. */
int cli_query_words(const cli_opts *o, const char *method, const cli_field *fields, cli_printer *show);

/* cli_query_words with one word: {key: the first word as a number} (what names it in the error
 * about a malformed one). */
int cli_query_number(const cli_opts *o, const char *method, const char *key, const char *what, cli_printer *show);

/* cli_admin_send with params made of the positional words as fields. */
int cli_admin_words(const cli_opts *o, const char *method, const cli_field *fields);

/* {"address": addr}. NULL on out of memory; caller owns. */
cJSON *cli_address_params(const uint8_t addr[20]);

/* The address in the optional first word, else the key's. Returns CLI_EXIT_OK or CLI_EXIT_USAGE. */
int cli_address_or_key(uint8_t addr[20], const cli_opts *o);

/* ---- signing: the one path of every signed command ---- */

/* A sender ready to sign on the node's chain. */
typedef struct cli_signer {
    uint8_t key[32];                /* wiped once the signature exists, and by cli_signer_close */
    uint8_t addr[20];
    rpc_client *client;             /* without the admin token */
    uint64_t chain_id;
    uint64_t nonce;                 /* the sender's next nonce */
} cli_signer;

/* Loads the key, connects, reads the chain id (node_info) and the sender's nonce (ledger_getAccount).
 * Release s with cli_signer_close whatever this returns. */
int cli_signer_open(cli_signer *s, const cli_opts *o);

/* Adds the nonce to msg (which holds the type's other members, canonical strings), signs it as a
 * transaction of type, wipes the key, then sends it with tx_send and prints the receipt, or with
 * --sign-only prints the signed transaction (the params of tx_send) and sends nothing.
 * msg: the caller's still (this adds "nonce" to it); NULL (a failed build) reports out of memory. */
int cli_signer_send(cli_signer *s, const cli_opts *o, const char *type, cJSON *msg);

/* Wipes the key and closes the connection. */
void cli_signer_close(cli_signer *s);

/* Signs and sends a transaction of type whose message needs nothing more from the node than the
 * nonce; msg as for cli_signer_send. */
int cli_send_signed(const cli_opts *o, const char *type, cJSON *msg);

/* Calls a dev admin method that answers with a receipt, with the token of --datadir's cookie, and
 * prints the receipt. params: borrowed; NULL (a failed build) reports out of memory. */
int cli_admin_send(const cli_opts *o, const char *method, const cJSON *params);

/* Lists every item of a paged list method (params base, not consumed; page after page) under
 * member, printed with show or as JSON. */
int cli_list_command(const cli_opts *o, const char *method, const cJSON *base, const char *member, cli_printer *show);

/* The commands, each named by its row of cli_commands (commands.c); by file: */
/* cmd_node.c */
cli_command_fn cli_cmd_keygen, cli_cmd_address, cli_cmd_info, cli_cmd_account, cli_cmd_transfer,
    cli_cmd_block, cli_cmd_tx, cli_cmd_verify_epoch, cli_cmd_audit, cli_cmd_replay, cli_cmd_mint,
    cli_cmd_advance_time;
/* cmd_staking.c */
cli_command_fn cli_cmd_pool_create, cli_cmd_pool_info, cli_cmd_pool_list, cli_cmd_pool_commission,
    cli_cmd_pool_capacity, cli_cmd_pool_describe, cli_cmd_pool_allow, cli_cmd_pool_disallow,
    cli_cmd_pool_add_worker, cli_cmd_pool_remove_worker, cli_cmd_pool_bond, cli_cmd_pool_unbond,
    cli_cmd_stake_contribute, cli_cmd_stake_withdraw, cli_cmd_stake_claim, cli_cmd_stake_position,
    cli_cmd_admin_reward_pool, cli_cmd_admin_slash_worker;
/* cmd_compute.c */
cli_command_fn cli_cmd_worker_status, cli_cmd_worker_list, cli_cmd_channel_open, cli_cmd_channel_top_up,
    cli_cmd_channel_close, cli_cmd_voucher_sign, cli_cmd_voucher_redeem;
/* cmd_gov.c */
cli_command_fn cli_cmd_gov_propose, cli_cmd_gov_vote, cli_cmd_gov_ballot, cli_cmd_gov_results, cli_cmd_gov_delegate, cli_cmd_gov_undelegate,
    cli_cmd_gov_cancel, cli_cmd_gov_execute, cli_cmd_gov_proposals, cli_cmd_gov_proposal, cli_cmd_gov_power,
    cli_cmd_verify_poll;

#endif
