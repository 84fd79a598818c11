/* SPDX-License-Identifier: MIT */
/* commands.c: the order in which `conclave --help` lists the commands. Each command and its help
 * live in the file of its area (cmd_node.c, cmd_staking.c, cmd_compute.c, cmd_gov.c), whose one
 * table holds its rows; every command returns an enum cli_exit: node refusals and failed receipts
 * are 1, usage errors 2, an unreachable node 3. */
#include "cli/cli.h"

#include <stdbool.h>
#include <string.h>

static const cli_command *const tables[] = {
    cli_node_commands, cli_staking_commands, cli_compute_commands, cli_gov_commands,
};

/* A command's name, or a group's word standing for its commands in the order of their table. */
static const char *const order[] = {
    "keygen", "address", "info", "account", "transfer", "pool", "worker", "channel", "voucher", "stake", "gov",
    "block", "tx", "audit", "verify-epoch", "replay", "mint", "advance-time", "admin",
};

/* Whether c is the command named word, or one of the group word ("pool create" of "pool"). */
static bool listed_under(const cli_command *c, const char *word)
{
    size_t len = strlen(word);
    return strncmp(c->name, word, len) == 0 && (c->name[len] == '\0' || c->name[len] == ' ');
}

const cli_command *cli_command_listed(size_t i)
{
    for (size_t k = 0; k < sizeof order / sizeof order[0]; k++)
        for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
            for (const cli_command *c = tables[t]; c->name; c++)
                if (listed_under(c, order[k]) && i-- == 0)
                    return c;
    return NULL;
}
