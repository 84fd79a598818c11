/* SPDX-License-Identifier: MIT */
/* cmd_compute.c: the commands of compute providers and their clients: a worker's state and a
 * pool's workers, payment channels (open, top up, close) and vouchers (a client signs one off the
 * ledger; the worker's operator redeems it). A worker registers and answers its challenges itself
 * (conclave-worker): its key is sealed in its runtime, so no command here signs for it.
 * Each command checks all of its words before it opens a connection; see session.h. Their usage
 * lines and help texts are in the table of commands.c. */
#include "cli/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ledger/amount.h"
#include "ledger/hex.h"
#include "ledger/tx.h"

int cli_cmd_worker_status(const cli_opts *o)
{
    static const cli_field fields[] = { { "worker", CLI_FIELD_ADDRESS, NULL }, { NULL } };
    return cli_query_words(o, "staking_getWorker", fields, cli_print_worker);
}

int cli_cmd_worker_list(const cli_opts *o)
{
    return cli_query_number(o, "staking_listWorkers", "pool", "pool", cli_print_workers);
}

int cli_cmd_channel_open(const cli_opts *o)
{
    static const cli_field fields[] = {
        { "worker", CLI_FIELD_ADDRESS, NULL }, { "deposit", CLI_FIELD_AMOUNT, NULL }, { NULL }
    };
    return cli_send_words(o, "ChannelOpen", fields);
}

int cli_cmd_channel_top_up(const cli_opts *o)
{
    static const cli_field fields[] = {
        { "channel", CLI_FIELD_UINT, "channel" }, { "amount", CLI_FIELD_AMOUNT, NULL }, { NULL }
    };
    return cli_send_words(o, "ChannelTopUp", fields);
}

int cli_cmd_channel_close(const cli_opts *o)
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
int cli_cmd_voucher_sign(const cli_opts *o)
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

int cli_cmd_voucher_redeem(const cli_opts *o)
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
