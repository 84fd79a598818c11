/* SPDX-License-Identifier: MIT */
/* cmd_gov.c: the governance commands: proposals, votes, delegation, execution and voting power.
 * Each command checks all of its words before it opens a connection; see session.h. */
#include "cli/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ledger/amount.h"
#include "ledger/hex.h"

/* --conviction, 0 when not given. */
static bool opt_conviction(uint64_t *out, const cli_opts *o)
{
    *out = 0;
    if (!o->conviction)
        return true;
    if (!cli_word_uint(out, o->conviction, "conviction"))
        return false;
    if (*out > 6) {
        cli_error("bad conviction '%s': 0 (0.1x, no lock) to 6 (6x, locked 32 lock periods)", o->conviction);
        return false;
    }
    return true;
}

/* The track and title: --track and --title, the positional words filling whichever is not given,
 * in that order. Returns false (reported) unless both are known and no word is left over. */
static bool propose_names(const char **track, const char **title, const cli_opts *o)
{
    int i = 0;
    *track = o->track;
    *title = o->title;
    if (!*track && i < o->argc)
        *track = o->argv[i++];
    if (!*title && i < o->argc)
        *title = o->argv[i++];
    if (i < o->argc)
        cli_error("gov propose: too many arguments (from '%s' on; --track and --title stand for TRACK and TITLE)",
                  o->argv[i]);
    else if (!*track || !*title)
        cli_error("gov propose needs a track and a title: TRACK TITLE, or --track TRACK --title TITLE");
    return i == o->argc && *track && *title;
}

static int cmd_gov_propose(const cli_opts *o)
{
    char err[512], *payload = NULL, *body = NULL, *hex = NULL;
    const char *track, *title;
    cJSON *m = NULL;
    int ex = CLI_EXIT_USAGE, rc;
    if (!propose_names(&track, &title, o))
        return ex;
    if (o->body && o->body_file) {
        cli_error("give --body or --body-file, not both");
        return ex;
    }
    if ((rc = cli_arg_payload(&payload, err, sizeof err, &o->payload, o->raw)) != ST_OK) {
        cli_error("%s", rc == ST_NOMEM ? "out of memory" : err);
        return rc == ST_NOMEM ? CLI_EXIT_FAILED : ex;
    }
    if (o->body_file && (rc = cli_arg_body_file(&body, err, sizeof err, o->body_file)) != ST_OK) {
        cli_error("%s", rc == ST_NOMEM ? "out of memory" : err);
        ex = rc == ST_NOMEM ? CLI_EXIT_FAILED : ex;
        goto out;
    }
    size_t len = payload ? strlen(payload) : 0;
    if (!(hex = malloc(2 * len + 3))) {
        ex = cli_out_of_memory();
        goto out;
    }
    ledger_hex_encode(hex, (const uint8_t *)payload, len); /* "0x" alone for a text proposal */
    m = cJSON_CreateObject();
    bool ok = m && cJSON_AddStringToObject(m, "track", track) && cJSON_AddStringToObject(m, "title", title)
              && cJSON_AddStringToObject(m, "body", body ? body : o->body ? o->body : "")
              && cJSON_AddStringToObject(m, "payload", hex);
    ex = cli_send_signed(o, "Propose", ok ? m : NULL);
out:
    cJSON_Delete(m);
    free(hex);
    free(body);
    cJSON_free(payload);
    return ex;
}

static int cmd_gov_vote(const cli_opts *o)
{
    static const char *const sides[] = { "against", "for", "abstain" };
    uint64_t id, conviction, support = 3;
    for (uint64_t i = 0; i < 3; i++)
        if (strcmp(o->argv[1], sides[i]) == 0)
            support = i;
    if (!cli_word_uint(&id, o->argv[0], "proposal") || !opt_conviction(&conviction, o))
        return CLI_EXIT_USAGE;
    if (support > 2) {
        cli_error("bad vote '%s': expected for, against or abstain", o->argv[1]);
        return CLI_EXIT_USAGE;
    }
    cJSON *m = cJSON_CreateObject();
    bool ok = m && cli_msg_u64(m, "proposal", id) && cli_msg_u64(m, "support", support) && cli_msg_u64(m, "conviction", conviction);
    int ex = cli_send_signed(o, "Vote", ok ? m : NULL);
    cJSON_Delete(m);
    return ex;
}

static int cmd_gov_delegate(const cli_opts *o)
{
    uint8_t to[20];
    uint64_t conviction;
    if (!cli_word_address(to, o->argv[0]) || !opt_conviction(&conviction, o))
        return CLI_EXIT_USAGE;
    cJSON *m = cJSON_CreateObject();
    bool ok = m && cli_msg_address(m, "to", to) && cli_msg_u64(m, "conviction", conviction);
    int ex = cli_send_signed(o, "Delegate", ok ? m : NULL);
    cJSON_Delete(m);
    return ex;
}

static int cmd_gov_undelegate(const cli_opts *o)
{
    cJSON *m = cJSON_CreateObject();
    int ex = cli_send_signed(o, "Undelegate", m);
    cJSON_Delete(m);
    return ex;
}

/* A transaction whose one member is the proposal id in argv[0]. */
static int proposal_tx(const cli_opts *o, const char *type)
{
    static const cli_field fields[] = { { "proposal", CLI_FIELD_UINT, "proposal" }, { NULL } };
    return cli_send_words(o, type, fields);
}

static int cmd_gov_cancel(const cli_opts *o)
{
    return proposal_tx(o, "ProposalCancel");
}

static int cmd_gov_execute(const cli_opts *o)
{
    return proposal_tx(o, "ProposalExecute");
}

static int cmd_gov_proposals(const cli_opts *o)
{
    cJSON *base = cJSON_CreateObject();
    bool ok = base && (!o->state || cJSON_AddStringToObject(base, "state", o->state))
              && (!o->track || cJSON_AddStringToObject(base, "track", o->track));
    int ex = ok ? cli_list_command(o, "gov_listProposals", base, "proposals", cli_print_proposals) : cli_out_of_memory();
    cJSON_Delete(base);
    return ex;
}

static int cmd_gov_proposal(const cli_opts *o)
{
    static const cli_field fields[] = { { "id", CLI_FIELD_NUMBER, "proposal" }, { NULL } };
    return cli_query_words(o, "gov_getProposal", fields, cli_print_proposal);
}

static int cmd_gov_power(const cli_opts *o)
{
    uint8_t addr[20];
    uint64_t id = 0;
    if (o->proposal && !cli_word_uint(&id, o->proposal, "proposal"))
        return CLI_EXIT_USAGE;
    int ex = cli_address_or_key(addr, o);
    if (ex != CLI_EXIT_OK)
        return ex;
    cJSON *params = cli_address_params(addr);
    bool ok = params && (!o->proposal || cJSON_AddNumberToObject(params, "proposal", (double)id));
    ex = ok ? cli_query(o, "gov_votingPower", params, cli_print_power) : cli_out_of_memory();
    cJSON_Delete(params);
    return ex;
}

/* ---- the commands' help texts and table ---- */

static const char help_gov_propose[] =
    "Signs a Propose on TRACK (root, treasury, params, enclave on the dev chain; see the node's\n"
    "gov_listTracks), titled TITLE; --track and --title may name them instead. The track's\n"
    "deposit is reserved from the key's free balance and returned when the proposal ends\n"
    "(part of it is burned if you cancel it). The key needs the track's threshold of voting\n"
    "power. PAYLOAD is what the proposal does, at most one of:\n"
    "  --spend TO AMOUNT          pay AMOUNT (tokens, base units with --raw) from the treasury\n"
    "  --param NAME VALUE         set a governed parameter; VALUE a whole number as\n"
    "                             gov_getParams shows it (base units, seconds or ppm)\n"
    "  --allow-enclave 0xMEAS     add an enclave measurement (32 bytes) to the allowlist\n"
    "  --remove-enclave 0xMEAS    take one off\n"
    "  --payload JSON             any payload as JSON (amounts in base units), e.g.\n"
    "    {\"kind\":\"spend\",\"to\":\"0x…\",\"amount\":\"1000000000000000000\"}\n"
    "    {\"kind\":\"param\",\"name\":\"staking.minContribution\",\"value\":\"2000000000000000000\"}\n"
    "    {\"kind\":\"enclaveAllow\",\"measurement\":\"0x…\"}   (or enclaveRemove)\n"
    "    {\"kind\":\"slashCancel\",\"slash\":3}\n"
    "Without one the proposal is text only. --body-file reads the body (at most 16384 bytes)\n"
    "from FILE. The receipt's ProposalCreated event names the proposal's id.\n" SIGNED_HELP;

static const char help_gov_vote[] =
    "Signs a Vote on proposal ID with the key's voting power at the proposal's snapshot (and\n"
    "what its delegators lent it then). --conviction 0 (the default) counts 0.1x and locks\n"
    "nothing; 1 to 6 count 1x to 6x and lock that stake for 1, 2, 4, 8, 16 or 32 lock periods\n"
    "after the vote ends. Voting again while the proposal is Active replaces the vote.\n"
    SIGNED_HELP;

static const char help_gov_delegate[] =
    "Signs a Delegate: TO votes with the key's power (at the conviction given, default 0) on\n"
    "proposals whose snapshot comes after it, unless the key votes itself, which overrides it\n"
    "for that proposal. No chains: TO may not delegate. With a conviction the stake stays\n"
    "locked while delegated and for its lock periods after gov undelegate.\n" SIGNED_HELP;

static const char help_gov_undelegate[] = "Signs an Undelegate.\n" SIGNED_HELP;

static const char help_gov_cancel[] =
    "Signs a ProposalCancel: only the proposer, only while Pending; part of the deposit is\n"
    "burned (cancelBurnPpm of gov_listTracks), the rest returned.\n" SIGNED_HELP;

static const char help_gov_execute[] =
    "Signs a ProposalExecute: anyone may, once the proposal is Queued and its eta has come, and\n"
    "before it expires. The payload runs exactly once.\n" SIGNED_HELP;

static const char help_gov_proposals[] =
    "Lists proposals newest first (gov_listProposals, page after page), with their state and\n"
    "tally; --state (Pending, Active, Defeated, Succeeded, Queued, Executed, Expired, Failed,\n"
    "Canceled) and --track keep only those.\n";

static const char help_gov_proposal[] =
    "Calls gov_getProposal: the proposer, track, payload, state, snapshot, timeline and the\n"
    "tally with whether quorum and approval are reached. Exit 1 for an unknown proposal.\n";

static const char help_gov_power[] =
    "Calls gov_votingPower for ADDRESS (default: the key's address), now or with --proposal at\n"
    "that proposal's snapshot: its own staked value, what its delegators lend it, and the\n"
    "weight that carries with their convictions.\n";

const cli_command cli_gov_commands[] = {
    { "gov propose", "TRACK TITLE [--body TEXT | --body-file FILE] [PAYLOAD] [--raw] [--sign-only] [KEY]",
      "propose on a governance track", help_gov_propose, 0, 2, CLI_OPT_PROPOSE | CLI_OPT_TRACK | SIGNING, cmd_gov_propose },
    { "gov vote", "ID for|against|abstain [--conviction N] [--sign-only] [KEY]",
      "vote on a proposal", help_gov_vote, 2, 2, CLI_OPT_CONVICTION | SIGNING, cmd_gov_vote },
    { "gov delegate", "TO [--conviction N] [--sign-only] [KEY]",
      "lend your voting power to another address", help_gov_delegate, 1, 1, CLI_OPT_CONVICTION | SIGNING, cmd_gov_delegate },
    { "gov undelegate", "[--sign-only] [KEY]",
      "end your delegation", help_gov_undelegate, 0, 0, SIGNING, cmd_gov_undelegate },
    { "gov cancel", "ID [--sign-only] [KEY]",
      "cancel your pending proposal", help_gov_cancel, 1, 1, SIGNING, cmd_gov_cancel },
    { "gov execute", "ID [--sign-only] [KEY]",
      "carry out a passed proposal", help_gov_execute, 1, 1, SIGNING, cmd_gov_execute },
    { "gov proposals", "[--state S] [--track T] [--raw]",
      "list proposals", help_gov_proposals, 0, 0, CLI_OPT_FILTER | CLI_OPT_TRACK | CLI_OPT_RAW, cmd_gov_proposals },
    { "gov proposal", "ID [--raw]",
      "show a proposal, its timeline and tally", help_gov_proposal, 1, 1, CLI_OPT_RAW, cmd_gov_proposal },
    { "gov power", "[ADDRESS] [--proposal ID] [--raw] [--key FILE | --dev-key N]",
      "show an address's voting power", help_gov_power, 0, 1, CLI_OPT_PROPOSAL | CLI_OPT_KEY | CLI_OPT_RAW, cmd_gov_power },
    { NULL },
};
