/* SPDX-License-Identifier: MIT */
/* cmd_compute.c: the commands of compute providers and their clients: a worker's state and a
 * pool's workers, payment channels (open, top up, close) and vouchers (a client signs one off the
 * ledger; the worker's operator redeems it). A worker registers and answers its challenges itself
 * (conclave-worker): its key is sealed in its runtime, so no command here signs for it.
 * Each command checks all of its words before it opens a connection; see session.h. */
#include "cli/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ledger/amount.h"
#include "ledger/hex.h"
#include "ledger/tx.h"

static int cmd_worker_status(const cli_opts *o)
{
    static const cli_field fields[] = { { "worker", CLI_FIELD_ADDRESS, NULL }, { NULL } };
    return cli_query_words(o, "staking_getWorker", fields, cli_print_worker);
}

static int cmd_worker_list(const cli_opts *o)
{
    static const cli_field fields[] = { { "pool", CLI_FIELD_NUMBER, "pool" }, { NULL } };
    return cli_query_words(o, "staking_listWorkers", fields, cli_print_workers);
}

static int cmd_channel_open(const cli_opts *o)
{
    static const cli_field fields[] = {
        { "worker", CLI_FIELD_ADDRESS, NULL }, { "deposit", CLI_FIELD_AMOUNT, NULL }, { NULL }
    };
    return cli_send_words(o, "ChannelOpen", fields);
}

static int cmd_channel_top_up(const cli_opts *o)
{
    static const cli_field fields[] = {
        { "channel", CLI_FIELD_UINT, "channel" }, { "amount", CLI_FIELD_AMOUNT, NULL }, { NULL }
    };
    return cli_send_words(o, "ChannelTopUp", fields);
}

static int cmd_channel_close(const cli_opts *o)
{
    static const cli_field fields[] = { { "channel", CLI_FIELD_UINT, "channel" }, { NULL } };
    return cli_send_words(o, "ChannelClose", fields);
}

/* The words CHANNEL CUMULATIVE of the voucher commands, as the members of a Voucher message. */
static const cli_field voucher_fields[] = {
    { "channel", CLI_FIELD_UINT, "channel" }, { "cumulative", CLI_FIELD_AMOUNT, NULL }, { NULL }
};

/* Signs Voucher{channel, cumulative} with the client's key under the node's chain and prints the
 * signature (0x, 65 bytes); the key never leaves the process. */
static int cmd_voucher_sign(const cli_opts *o)
{
    cJSON *m;
    cli_signer s = { .client = NULL };
    int ex = cli_words_object(&m, o, voucher_fields);
    if (ex == CLI_EXIT_OK && !m)
        ex = cli_out_of_memory();
    if (ex == CLI_EXIT_OK)
        ex = cli_signer_open(&s, o);
    if (ex == CLI_EXIT_OK) {
        char err[256], hex[2 * 65 + 3];
        ledger_tx tx;
        memset(&tx, 0, sizeof tx);
        if (ledger_tx_build_signed(&tx, err, sizeof err, "Voucher", m, s.key, s.chain_id) == ST_OK) {
            ledger_hex_encode(hex, tx.sig, sizeof tx.sig);
            ex = puts(hex) >= 0 ? CLI_EXIT_OK : CLI_EXIT_FAILED;
        } else {
            cli_error("cannot sign the voucher: %s", err);
            ex = CLI_EXIT_FAILED;
        }
        ledger_tx_clear(&tx);
    }
    cli_signer_close(&s);
    cJSON_Delete(m);
    return ex;
}

static int cmd_voucher_redeem(const cli_opts *o)
{
    uint8_t sig[65];
    cJSON *m;
    int ex = cli_words_object(&m, o, voucher_fields);
    if (ex == CLI_EXIT_OK && ledger_hex_decode_exact(sig, sizeof sig, o->argv[2]) != ST_OK) {
        cli_error("bad voucher signature '%s': expected 0x and 130 hex digits (conclave voucher sign prints it)", o->argv[2]);
        ex = CLI_EXIT_USAGE;
    } else if (ex == CLI_EXIT_OK) {
        char hex[2 * 65 + 3];
        ledger_hex_encode(hex, sig, sizeof sig);
        ex = cJSON_AddStringToObject(m, "voucherSig", hex) ? cli_send_signed(o, "VoucherRedeem", m) : cli_out_of_memory();
    }
    cJSON_Delete(m);
    return ex;
}

/* ---- the commands' help texts and table ---- */

static const char help_worker_status[] =
    "Calls staking_getWorker: its state (Registered, Ready, Computing, Unresponsive,\n"
    "CoolingDown), operator and runtime measurement, benchmark score P and confidence level,\n"
    "bonded stake and the minimum it needs (k * sqrt(P)), its value promise V and the slots\n"
    "it answered this epoch. A worker registers itself: run conclave-worker on its machine.\n"
    "Exit 1 for a key that never registered.\n";

static const char help_worker_list[] =
    "Calls staking_listWorkers: every worker of pool POOL, as worker status shows one.\n";

static const char help_channel_open[] =
    "Signs a ChannelOpen: DEPOSIT of the key's free balance goes into its escrow for a channel\n"
    "to WORKER (a worker in a pool); the receipt's ChannelOpened event names the channel.\n"
    "Pay through it with conclave voucher sign.\n" SIGNED_HELP;

static const char help_channel_top_up[] =
    "Signs a ChannelTopUp (the channel's client only): AMOUNT more of its free balance is\n"
    "escrowed for channel ID.\n" SIGNED_HELP;

static const char help_channel_close[] =
    "Signs a ChannelClose (the client only): after the chain's challenge period (during which\n"
    "the worker may still redeem vouchers) what the channel did not pay comes back.\n" SIGNED_HELP;

static const char help_voucher_sign[] =
    "Signs Voucher{channel, cumulative} with the client's key under the node's chain and prints\n"
    "the signature: hand it to the worker's operator, who redeems it. CUMULATIVE is the total\n"
    "paid through the channel so far (tokens, or base units with --raw): a later voucher for a\n"
    "larger total replaces the earlier ones, and none pays twice. KEY is --key FILE or\n"
    "--dev-key N.\n";

static const char help_voucher_redeem[] =
    "Signs a VoucherRedeem (the pool owner of the channel's worker): the client's voucher for a\n"
    "CUMULATIVE total with its SIGNATURE (conclave voucher sign). The next epoch settlement pays\n"
    "what it added, capped by the deposit, to the worker's pool.\n" SIGNED_HELP;

const cli_command cli_compute_commands[] = {
    { "worker status", "WORKER [--raw]",
      "show a worker: state, score, stake, V, uptime", help_worker_status, 1, 1, CLI_OPT_RAW, cmd_worker_status },
    { "worker list", "POOL [--raw]",
      "show a pool's workers", help_worker_list, 1, 1, CLI_OPT_RAW, cmd_worker_list },
    { "channel open", "WORKER DEPOSIT [--raw] [--sign-only] [KEY]",
      "open a payment channel to a worker", help_channel_open, 2, 2, SIGNING, cmd_channel_open },
    { "channel top-up", "ID AMOUNT [--raw] [--sign-only] [KEY]",
      "add to a channel's deposit", help_channel_top_up, 2, 2, SIGNING, cmd_channel_top_up },
    { "channel close", "ID [--sign-only] [KEY]",
      "close a payment channel", help_channel_close, 1, 1, SIGNING, cmd_channel_close },
    { "voucher sign", "CHANNEL CUMULATIVE [--raw] [KEY]",
      "sign a voucher paying a channel's worker, off the ledger", help_voucher_sign, 2, 2, CLI_OPT_KEY | CLI_OPT_RAW, cmd_voucher_sign },
    { "voucher redeem", "CHANNEL CUMULATIVE SIGNATURE [--raw] [--sign-only] [KEY]",
      "redeem a client's voucher (worker's operator)", help_voucher_redeem, 3, 3, SIGNING, cmd_voucher_redeem },
    { NULL },
};
