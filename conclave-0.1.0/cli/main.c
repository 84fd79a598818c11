/* SPDX-License-Identifier: MIT */
/* main.c: the `conclave` program's entry: parse the command line, print help, dispatch to the
 * command table of commands.c. Options may come before or after the command. A word such as "-1"
 * is an argument, not an option, so a negative amount is refused as an amount (exit 2) rather than
 * as an unknown option. Command-line options win over CONCLAVE_RPC and CONCLAVE_KEY. A command is
 * one word ("transfer") or a group and a word ("pool create"); a group alone lists its commands. */
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { OPT_GLOBAL = 0, OPT_HELP = 1 << 16, OPT_VERSION = 1 << 17 }; /* above every enum cli_opt_flags */

struct option_def {
    const char *name;
    unsigned nargs;             /* values it takes: 0, 1 or 2 (--spend TO AMOUNT) */
    unsigned flag;              /* enum cli_opt_flags it needs, or OPT_GLOBAL / OPT_HELP / OPT_VERSION */
};

static const struct option_def option_defs[] = {
    { "rpc", 1, OPT_GLOBAL }, { "json", 0, OPT_GLOBAL }, { "timeout", 1, OPT_GLOBAL },
    { "help", 0, OPT_HELP }, { "version", 0, OPT_VERSION },
    { "key", 1, CLI_OPT_KEY }, { "dev-key", 1, CLI_OPT_KEY }, { "raw", 0, CLI_OPT_RAW },
    { "datadir", 1, CLI_OPT_DATADIR }, { "out", 1, CLI_OPT_OUT }, { "sign-only", 0, CLI_OPT_SIGN_ONLY },
    { "commission", 1, CLI_OPT_POOL }, { "capacity", 1, CLI_OPT_POOL }, { "sort", 1, CLI_OPT_SORT }, { "all", 0, CLI_OPT_ALL },
    { "title", 1, CLI_OPT_PROPOSE }, { "body", 1, CLI_OPT_PROPOSE }, { "body-file", 1, CLI_OPT_PROPOSE },
    { "payload", 1, CLI_OPT_PROPOSE }, { "spend", 2, CLI_OPT_PROPOSE }, { "param", 2, CLI_OPT_PROPOSE },
    { "allow-enclave", 1, CLI_OPT_PROPOSE }, { "remove-enclave", 1, CLI_OPT_PROPOSE },
    { "conviction", 1, CLI_OPT_CONVICTION }, { "state", 1, CLI_OPT_FILTER }, { "track", 1, CLI_OPT_TRACK },
    { "proposal", 1, CLI_OPT_PROPOSAL }, { "secret", 0, CLI_OPT_SECRET }, { "platform", 1, CLI_OPT_PLATFORM },
};

static const char exit_text[] =
    "Exit status:\n"
    "  0  done\n"
    "  1  the node refused the request, the transaction failed, or a local operation failed\n"
    "  2  usage error: unknown command or option, bad amount, address, hash or key (nothing was sent)\n"
    "  3  cannot reach the node, or it did not answer within --timeout\n";

static void overall_help(FILE *f)
{
    fputs("usage: conclave [OPTIONS] COMMAND [ARGS]\n\n"
          "The Conclave client: keys, balances, locally signed transfers, stake pools, governance and\n"
          "ledger checks, over the node's JSON-RPC.\n\nCommands:\n", f);
    for (const cli_command *c = cli_commands; c->name; c++)
        fprintf(f, "  %-19s %s\n", c->name, c->summary);
    fprintf(f, "  %-19s %s\n", "help COMMAND", "the options and details of one command");
    fputs("\nOptions:\n"
          "  --rpc URL      the node (default $CONCLAVE_RPC, else " CLI_DEFAULT_RPC ")\n"
          "  --timeout SECONDS  how long to wait for each answer of the node (default " CLI_STR(CLI_DEFAULT_TIMEOUT) "; 0: no\n"
          "                 limit). A call that takes longer (advance-time over many epochs) may\n"
          "                 still be carried out by the node after the client has given up\n"
          "  --key FILE     secret key file (default $CONCLAVE_KEY, else ./" CLI_DEFAULT_KEY_FILE ")\n"
          "  --dev-key N    sign as development account N (0-9) of `conclaved --dev`\n"
          "  --raw          amounts in base units (10^18 per token) instead of tokens\n"
          "  --datadir DIR  a node's data directory (replay; audit, mint, advance-time and admin read\n"
          "                 DIR/.cookie; gov ballot and verify-poll DIR/platform.secret)\n"
          "  --out FILE     the file to create (keygen, replay)\n"
          "  --sign-only    signed commands: print the signed transaction (tx_send params), send nothing\n"
          "  --commission PPM   pool create: the commission in parts per million (100000 is 10%)\n"
          "  --capacity AMOUNT  pool create: the most stake the pool takes\n"
          "  --sort id|stake    pool list: by id (the default) or largest stake first\n"
          "  --all          stake withdraw: every share not already queued\n"
          "  --track T, --title T  gov propose: the track and title (or as the first two words)\n"
          "  --body TEXT, --body-file FILE  gov propose: the proposal's text\n"
          "  --spend TO AMOUNT, --param NAME VALUE, --allow-enclave 0xMEAS, --remove-enclave 0xMEAS,\n"
          "  --payload JSON gov propose: what it does, one of them (see conclave help gov propose);\n"
          "                 none: text only\n"
          "  --conviction N gov vote, gov delegate: 0 (0.1x, no lock) to 6 (6x, locked 32 periods)\n"
          "  --state S, --track T  gov proposals: only those in state S, on track T\n"
          "  --proposal ID  gov power: at the proposal's snapshot\n"
          "  --secret       gov ballot: seal the choice to the enclave's ballot key (a SecretBallot)\n"
          "  --platform ADDRESS  gov ballot on a secret poll, verify-poll: the chain's attestation\n"
          "                 platform that the enclave's quote must be signed by (genesis enclave.platform;\n"
          "                 or --datadir DIR of a node on this machine)\n"
          "  --json         print the node's JSON result instead of text\n"
          "  --help, -h     this text\n"
          "  --version      the version\n\n", f);
    fputs(exit_text, f);
}

static void command_usage(FILE *f, const cli_command *c)
{
    fprintf(f, "usage: conclave %s%s%s\n", c->name, c->synopsis[0] ? " " : "", c->synopsis);
}

static void command_help(const cli_command *c)
{
    command_usage(stdout, c);
    printf("\n%s.\n\n%s\nGlobal options: --rpc URL, --timeout SECONDS, --json, --help (see conclave --help).\n\n",
           c->summary, c->help);
    fputs(exit_text, stdout);
}

/* Whether command c belongs to group ("pool create" to "pool"). */
static bool in_group(const cli_command *c, const char *group)
{
    size_t len = strlen(group);
    return strncmp(c->name, group, len) == 0 && c->name[len] == ' ';
}

/* Finds the command named by words[0], or by words[0] and words[1] when words[0] is a group.
 * Reports an unknown name, and a group without a known command (listing the group's commands).
 * Out: *used the words the name took. Returns: the command or NULL. */
static const cli_command *find_command(int nwords, char **words, int *used)
{
    bool group = false;
    for (const cli_command *c = cli_commands; c->name; c++)
        group = group || in_group(c, words[0]);
    bool named = !group || nwords >= 2;
    char name[64];
    snprintf(name, sizeof name, "%s%s%s", words[0], group && named ? " " : "", group && named ? words[1] : "");
    *used = group ? 2 : 1;
    for (const cli_command *c = cli_commands; named && c->name; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    if (named)
        cli_error("unknown command '%s' (see conclave --help)", name);
    else
        cli_error("%s: which one?", words[0]);
    for (const cli_command *c = cli_commands; group && c->name; c++)
        if (in_group(c, words[0]))
            command_usage(stderr, c);
    return NULL;
}

/* Stores one option's value (and value2, the second of a two-value option). Returns: 0, or
 * CLI_EXIT_USAGE (reported). */
static int set_option(cli_opts *o, const char *name, const char *value, const char *value2)
{
    char err[256];
    unsigned idx;
    if (strcmp(name, "rpc") == 0)
        o->rpc_url = value;
    else if (strcmp(name, "timeout") == 0) {
        if (cli_arg_uint(&o->timeout, err, sizeof err, value, "--timeout") != ST_OK) {
            cli_error("%s", err);
            return CLI_EXIT_USAGE;
        }
    }
    else if (strcmp(name, "json") == 0)
        o->json = true;
    else if (strcmp(name, "key") == 0)
        o->key_file = value;
    else if (strcmp(name, "raw") == 0)
        o->raw = true;
    else if (strcmp(name, "datadir") == 0)
        o->datadir = value;
    else if (strcmp(name, "out") == 0)
        o->out = value;
    else if (strcmp(name, "sign-only") == 0)
        o->sign_only = true;
    else if (strcmp(name, "commission") == 0)
        o->commission = value;
    else if (strcmp(name, "capacity") == 0)
        o->capacity = value;
    else if (strcmp(name, "sort") == 0)
        o->sort = value;
    else if (strcmp(name, "all") == 0)
        o->all = true;
    else if (strcmp(name, "title") == 0)
        o->title = value;
    else if (strcmp(name, "body") == 0)
        o->body = value;
    else if (strcmp(name, "body-file") == 0)
        o->body_file = value;
    else if (strcmp(name, "payload") == 0)
        o->payload.json = value;
    else if (strcmp(name, "spend") == 0) {
        o->payload.spend_to = value;
        o->payload.spend_amount = value2;
    } else if (strcmp(name, "param") == 0) {
        o->payload.param_name = value;
        o->payload.param_value = value2;
    } else if (strcmp(name, "allow-enclave") == 0)
        o->payload.allow_enclave = value;
    else if (strcmp(name, "remove-enclave") == 0)
        o->payload.remove_enclave = value;
    else if (strcmp(name, "conviction") == 0)
        o->conviction = value;
    else if (strcmp(name, "state") == 0)
        o->state = value;
    else if (strcmp(name, "track") == 0)
        o->track = value;
    else if (strcmp(name, "proposal") == 0)
        o->proposal = value;
    else if (strcmp(name, "secret") == 0)
        o->secret = true;
    else if (strcmp(name, "platform") == 0)
        o->platform = value;
    else if (strcmp(name, "dev-key") == 0) {
        if (cli_arg_dev_key(&idx, err, sizeof err, value) != ST_OK) {
            cli_error("%s", err);
            return CLI_EXIT_USAGE;
        }
        o->dev_key = (int)idx;
    }
    return 0;
}

/* Parses argv into o, moving the positional words (command first) to the front of argv.
 * Returns: 0, or CLI_EXIT_USAGE (reported). Out: *seen the option flags given, *npos the count. */
static int parse_args(cli_opts *o, unsigned *seen, int *npos, int argc, char **argv)
{
    bool options_done = false;
    *seen = 0;
    *npos = 0;
    for (int i = 1; i < argc; i++) {
        char *a = argv[i];
        if (options_done || a[0] != '-' || a[1] == '\0' || (a[1] >= '0' && a[1] <= '9') || a[1] == '.') {
            argv[(*npos)++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            options_done = true;
            continue;
        }
        if (strcmp(a, "-h") == 0) {
            *seen |= OPT_HELP;
            continue;
        }
        const char *eq = a[1] == '-' ? strchr(a, '=') : NULL;
        size_t len = eq ? (size_t)(eq - a - 2) : strlen(a) - 2;
        const struct option_def *def = NULL;
        for (size_t k = 0; a[1] == '-' && k < sizeof option_defs / sizeof option_defs[0]; k++)
            if (strlen(option_defs[k].name) == len && strncmp(option_defs[k].name, a + 2, len) == 0)
                def = &option_defs[k];
        if (!def) {
            cli_error("unknown option '%s' (see conclave --help)", a);
            return CLI_EXIT_USAGE;
        }
        const char *value = eq ? eq + 1 : NULL, *value2 = NULL;
        if (def->nargs == 0 && value) {
            cli_error("option --%s takes no value", def->name);
            return CLI_EXIT_USAGE;
        }
        if ((def->nargs >= 1 && !value && i + 1 >= argc) || (def->nargs == 2 && i + 1 + !value >= argc)) {
            cli_error(def->nargs == 2 ? "option --%s needs two values" : "option --%s needs a value", def->name);
            return CLI_EXIT_USAGE;
        }
        if (def->nargs >= 1 && !value)
            value = argv[++i];
        if (def->nargs == 2)
            value2 = argv[++i];
        *seen |= def->flag;
        if (set_option(o, def->name, value, value2) != 0)
            return CLI_EXIT_USAGE;
    }
    return 0;
}

/* Names the first option in seen that the command does not take. */
static const char *stray_option(unsigned seen, const cli_command *c, const cli_opts *o)
{
    const char *propose = o->title ? "--title" : o->body ? "--body" : o->body_file ? "--body-file"
                          : o->payload.json ? "--payload" : o->payload.spend_to ? "--spend"
                          : o->payload.param_name ? "--param" : o->payload.allow_enclave ? "--allow-enclave"
                          : "--remove-enclave";
    const struct {
        unsigned flag;
        const char *name;
    } named[] = {
        { CLI_OPT_KEY, o->dev_key >= 0 ? "--dev-key" : "--key" },
        { CLI_OPT_RAW, "--raw" },
        { CLI_OPT_DATADIR, "--datadir" },
        { CLI_OPT_OUT, "--out" },
        { CLI_OPT_SIGN_ONLY, "--sign-only" },
        { CLI_OPT_POOL, o->commission ? "--commission" : "--capacity" },
        { CLI_OPT_SORT, "--sort" },
        { CLI_OPT_ALL, "--all" },
        { CLI_OPT_PROPOSE, propose },
        { CLI_OPT_CONVICTION, "--conviction" },
        { CLI_OPT_FILTER, "--state" },
        { CLI_OPT_TRACK, "--track" },
        { CLI_OPT_PROPOSAL, "--proposal" },
        { CLI_OPT_SECRET, "--secret" },
        { CLI_OPT_PLATFORM, "--platform" },
    };
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
        if (seen & ~c->opts & named[i].flag)
            return named[i].name;
    return NULL;
}

int main(int argc, char **argv)
{
    cli_opts o = { .dev_key = -1, .timeout = CLI_DEFAULT_TIMEOUT };
    unsigned seen;
    int npos;
    if (parse_args(&o, &seen, &npos, argc, argv) != 0)
        return CLI_EXIT_USAGE;
    if (seen & OPT_VERSION) {
        printf("conclave %s\n", PACKAGE_VERSION);
        return CLI_EXIT_OK;
    }
    bool help = (seen & OPT_HELP) != 0;
    if (npos == 0 && !help) {
        overall_help(stderr);
        return CLI_EXIT_USAGE;
    }
    if (npos == 0 || (npos == 1 && strcmp(argv[0], "help") == 0)) {
        overall_help(stdout);
        return CLI_EXIT_OK;
    }
    char **words = argv;
    int nwords = npos, used;
    if (strcmp(argv[0], "help") == 0) {
        help = true;
        words++;
        nwords--;
    }
    const cli_command *c = find_command(nwords, words, &used);
    if (!c)
        return CLI_EXIT_USAGE;
    if (help) {
        command_help(c);
        return CLI_EXIT_OK;
    }
    o.argc = nwords - used;
    o.argv = words + used;
    const char *stray = stray_option(seen, c, &o);
    if (stray) {
        cli_error("%s does not take %s", c->name, stray);
        command_usage(stderr, c);
        return CLI_EXIT_USAGE;
    }
    if (o.argc < c->min_args || o.argc > c->max_args) {
        cli_error("%s: %s arguments", c->name, o.argc < c->min_args ? "missing" : "too many");
        command_usage(stderr, c);
        return CLI_EXIT_USAGE;
    }
    if (o.key_file && o.dev_key >= 0) {
        cli_error("give either --key or --dev-key, not both");
        return CLI_EXIT_USAGE;
    }
    const char *env_rpc = getenv("CONCLAVE_RPC");
    const char *env_key = getenv("CONCLAVE_KEY");
    if (!o.rpc_url)
        o.rpc_url = env_rpc && *env_rpc ? env_rpc : CLI_DEFAULT_RPC;
    if (!o.key_file && o.dev_key < 0 && env_key && *env_key)
        o.key_file = env_key;
    return c->fn(&o);
}
