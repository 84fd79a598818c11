/* SPDX-License-Identifier: MIT */
/* cmd_gov.c: the governance commands: proposals, votes, ballots (a secret poll's sealed to the
 * enclave's ballot key once its attestation is checked) and a poll's results, delegation,
 * execution and voting power; and verify-poll, which checks a secret poll's published count against
 * its published ballots and the attested enclave.
 * Each command checks all of its words before it opens a connection; see session.h. Their usage
 * lines and help texts are in the table of commands.c. */
#include "cli/session.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/secret.h"
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

int cli_cmd_gov_propose(const cli_opts *o)
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

int cli_cmd_gov_vote(const cli_opts *o)
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

/* The gov_getResults answer of poll id, which says whether it is secret, its system and choices.
 * A proposal the read refuses (none, or not a poll) is left to the transaction, whose receipt
 * gives the reason: *results is then NULL. Returns: CLI_EXIT_OK, or the exit of a failed call
 * (reported). Out: *results (caller owns; cJSON_Delete), or NULL. */
static int poll_results(cJSON **results, cli_signer *s, const cli_opts *o, uint64_t id)
{
    cJSON *params = cJSON_CreateObject(), *error = NULL;
    *results = NULL;
    if (!params || !cJSON_AddNumberToObject(params, "id", (double)id)) {
        cJSON_Delete(params);
        return cli_out_of_memory();
    }
    int rc = rpc_client_call(s->client, "gov_getResults", params, results, &error);
    int ex = CLI_EXIT_OK;
    if (rc != ST_OK && !(rc == ST_INVALID && error)) {
        cli_error("gov_getResults failed at %s: %s", o->rpc_url, st_str(rc));
        ex = rc == ST_IO || rc == ST_LIMIT ? CLI_EXIT_UNREACHABLE : CLI_EXIT_FAILED;
    }
    if (rc != ST_OK) {
        cJSON_Delete(*results);
        *results = NULL;
    }
    cJSON_Delete(error);
    cJSON_Delete(params);
    return ex;
}

/* Checks the node's enclave (its quote signed by the pinned platform, its ballot key signed by
 * it, its measurement allowlisted) and seals choice to its ballot key for the signer's ballot on
 * proposal id. Returns: CLI_EXIT_OK with *hex (caller frees with free()), or an exit (reported). */
static int seal_to_enclave(char **hex, cli_signer *s, const cli_opts *o, const uint8_t platform[20], uint64_t id,
                           const char *choice)
{
    char err[512];
    cJSON *att = NULL;
    cli_checklist checks = { 0 };
    cli_enclave e;
    *hex = NULL;
    int ex = cli_call(s->client, o, "enclave_getAttestation", NULL, &att);
    if (ex != CLI_EXIT_OK)
        return ex;
    if (!cli_attestation_check(&checks, &e, att, s->chain_id, platform)) {
        const cli_check *bad = cli_checklist_failure(&checks);
        cli_error("the enclave fails its %s check: %s; nothing was sent", bad->name, bad->detail);
        ex = CLI_EXIT_FAILED;
    } else if (cli_ballot_seal(hex, err, sizeof err, e.ballot_key, s->chain_id, id, s->addr, choice) != ST_OK) {
        cli_error("%s", err);
        ex = CLI_EXIT_FAILED;
    }
    cJSON_Delete(att);
    return ex;
}

int cli_cmd_gov_ballot(const cli_opts *o)
{
    char err[512], *sealed = NULL;
    uint8_t platform[20];
    uint64_t id, conviction;
    bool secret = o->secret;
    cli_signer s;
    cJSON *m = NULL, *results = NULL;
    int rc;
    if (!cli_word_uint(&id, o->argv[0], "proposal") || !opt_conviction(&conviction, o))
        return CLI_EXIT_USAGE;
    size_t len = strlen(o->argv[1]);
    if (len == 0 || len > 2048) {
        cli_error("bad choice: 1 to 2048 bytes of JSON as Snapshot writes it, such as 2, '[1,3]' or '{\"1\":2}'");
        return CLI_EXIT_USAGE;
    }
    bool pinned = cli_platform_pin(platform, err, sizeof err, o->platform, o->datadir) == ST_OK;
    if ((o->platform || o->datadir || secret) && !pinned) {
        cli_error("%s", err);
        return CLI_EXIT_USAGE;
    }
    int ex = cli_signer_open(&s, o);
    if (ex == CLI_EXIT_OK)
        ex = poll_results(&results, &s, o, id);
    secret = secret || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(results, "secret"));
    if (ex == CLI_EXIT_OK && secret && !pinned) {
        cli_error("poll %llu is secret: %s", (unsigned long long)id, err);
        ex = CLI_EXIT_USAGE;
    }
    /* the node takes any sealed choice and the enclave counts a wrong one invalid: read it here */
    if (ex == CLI_EXIT_OK && secret && results && (rc = cli_choice_check(err, sizeof err, results, o->argv[1])) != ST_OK) {
        cli_error("poll %llu cannot count this ballot: %s; nothing was sent", (unsigned long long)id, err);
        ex = rc == ST_NOMEM ? CLI_EXIT_FAILED : CLI_EXIT_USAGE;
    }
    if (ex == CLI_EXIT_OK && secret)
        ex = seal_to_enclave(&sealed, &s, o, platform, id, o->argv[1]);
    if (ex == CLI_EXIT_OK) {
        m = cJSON_CreateObject();
        bool ok = m && cli_msg_u64(m, "proposal", id)
                  && (secret ? cJSON_AddStringToObject(m, "ciphertext", sealed) : cJSON_AddStringToObject(m, "choice", o->argv[1]))
                  && cli_msg_u64(m, "conviction", conviction);
        ex = cli_signer_send(&s, o, secret ? "SecretBallot" : "Ballot", ok ? m : NULL);
    }
    cli_signer_close(&s);
    cJSON_Delete(results);
    cJSON_Delete(m);
    free(sealed);
    return ex;
}

int cli_cmd_gov_results(const cli_opts *o)
{
    return cli_query_number(o, "gov_getResults", "id", "proposal", cli_print_results);
}

int cli_cmd_gov_delegate(const cli_opts *o)
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

int cli_cmd_gov_undelegate(const cli_opts *o)
{
    cJSON *m = cJSON_CreateObject();
    int ex = cli_send_signed(o, "Undelegate", m);
    cJSON_Delete(m);
    return ex;
}

/* The word ID of gov cancel and gov execute, as the one member of their transactions. */
static const cli_field proposal_fields[] = { { "proposal", CLI_FIELD_UINT, "proposal" }, { NULL } };

int cli_cmd_gov_cancel(const cli_opts *o)
{
    return cli_send_words(o, "ProposalCancel", proposal_fields);
}

int cli_cmd_gov_execute(const cli_opts *o)
{
    return cli_send_words(o, "ProposalExecute", proposal_fields);
}

int cli_cmd_gov_proposals(const cli_opts *o)
{
    cJSON *base = cJSON_CreateObject();
    bool ok = base && (!o->state || cJSON_AddStringToObject(base, "state", o->state))
              && (!o->track || cJSON_AddStringToObject(base, "track", o->track));
    int ex = ok ? cli_list_command(o, "gov_listProposals", base, "proposals", cli_print_proposals) : cli_out_of_memory();
    cJSON_Delete(base);
    return ex;
}

int cli_cmd_gov_proposal(const cli_opts *o)
{
    return cli_query_number(o, "gov_getProposal", "id", "proposal", cli_print_proposal);
}

int cli_cmd_gov_power(const cli_opts *o)
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

/* Every standing ballot of secret poll id (gov_getSecretBallots, page after page by the `next`
 * address) appended to into. Out: listed the ballotsHash the node states (zero if none).
 * Returns: CLI_EXIT_OK or the exit of a failed call (reported). */
static int secret_ballots(rpc_client *c, const cli_opts *o, uint64_t id, cJSON *into, uint8_t listed[32])
{
    char cursor[LEDGER_ADDR_STRLEN] = "";
    int ex = CLI_EXIT_OK;
    memset(listed, 0, 32);
    do {
        cJSON *params = cJSON_CreateObject(), *page = NULL;
        if (!params || !cJSON_AddNumberToObject(params, "id", (double)id) || !cJSON_AddNumberToObject(params, "limit", 100)
            || (cursor[0] && !cJSON_AddStringToObject(params, "cursor", cursor))) {
            cJSON_Delete(params);
            return cli_out_of_memory();
        }
        ex = cli_call(c, o, "gov_getSecretBallots", params, &page);
        cJSON *items = cJSON_GetObjectItemCaseSensitive(page, "ballots");
        const cJSON *next = cJSON_GetObjectItemCaseSensitive(page, "next");
        const cJSON *hash = cJSON_GetObjectItemCaseSensitive(page, "ballotsHash");
        int n = cJSON_GetArraySize(items);
        if (ex == CLI_EXIT_OK && cJSON_IsString(hash) && ledger_hex_decode_exact(listed, 32, hash->valuestring) != ST_OK)
            memset(listed, 0, 32);
        while (ex == CLI_EXIT_OK && cJSON_GetArraySize(items) > 0) {
            cJSON *item = cJSON_DetachItemFromArray(items, 0);
            if (!cJSON_AddItemToArray(into, item)) {
                cJSON_Delete(item);
                ex = cli_out_of_memory();
            }
        }
        /* an empty page, or a next that is no address, ends the walk: a confused node cannot loop us */
        bool more = ex == CLI_EXIT_OK && n > 0 && cJSON_IsString(next) && strlen(next->valuestring) < sizeof cursor
                    && strcmp(next->valuestring, cursor) != 0;
        snprintf(cursor, sizeof cursor, "%s", more ? next->valuestring : "");
        cJSON_Delete(page);
        cJSON_Delete(params);
    } while (ex == CLI_EXIT_OK && cursor[0]);
    return ex;
}

/* The checks of verify-poll after the results are read: the published ballots, the report, the
 * enclave that signed it. */
static int verify_counted(cli_checklist *l, rpc_client *c, const cli_opts *o, const uint8_t platform[20],
                          uint64_t chain_id, uint64_t id, const cJSON *results)
{
    char err[256], hash_text[67];
    uint8_t hash[32], total[32], listed[32];
    uint64_t count = 0;
    cJSON *ballots = cJSON_CreateArray(), *att = NULL, *params = NULL;
    cli_count_claim claim;
    cli_enclave e = { 0 };
    int ex = ballots ? secret_ballots(c, o, id, ballots, listed) : cli_out_of_memory();
    if (ex != CLI_EXIT_OK)
        goto out;
    int rc = cli_ballots_recompute(hash, &count, total, err, sizeof err, ballots);
    ledger_hex_encode(hash_text, hash, 32);
    if (rc == ST_NOMEM) {
        ex = cli_out_of_memory();
        goto out;
    }
    if (rc != ST_OK)
        cli_check_add(l, "ballot list", false, "%s", err);
    else
        cli_check_add(l, "ballot list", memcmp(listed, hash, 32) == 0, "%llu ballots published; their ballotsHash %s %s",
                      (unsigned long long)count, hash_text,
                      memcmp(listed, hash, 32) == 0 ? "is the one gov_getSecretBallots states" : "is NOT the one gov_getSecretBallots states");
    memset(&claim, 0, sizeof claim); /* a count that names no enclave is signed by none the node attests */
    cli_count_check(l, &claim, results, chain_id, id, hash, count, total);
    /* the attestation of the enclave the count names, even if a newer one has replaced it since */
    static const uint8_t none[20];
    char named[LEDGER_ADDR_STRLEN];
    ledger_addr_format(named, claim.enclave);
    bool by_address = memcmp(claim.enclave, none, 20) != 0;
    if (by_address && (!(params = cJSON_CreateObject()) || !cJSON_AddStringToObject(params, "address", named))) {
        ex = cli_out_of_memory();
        goto out;
    }
    if ((ex = cli_call(c, o, "enclave_getAttestation", params, &att)) != CLI_EXIT_OK)
        goto out;
    bool attested = cli_attestation_check(l, &e, att, chain_id, platform);
    char addr[LEDGER_ADDR_STRLEN];
    ledger_addr_format(addr, e.address);
    bool same = attested && memcmp(e.address, claim.enclave, 20) == 0 && memcmp(e.measurement, claim.measurement, 32) == 0;
    cli_check_add(l, "counting enclave", same, same ? "the attested enclave %s, of the report's measurement, signed the count"
                                                    : "the attested enclave %s did not sign the count, or its "
                                                      "quote does not hold or names another measurement than the report",
                  addr);
out:
    cJSON_Delete(params);
    cJSON_Delete(att);
    cJSON_Delete(ballots);
    return ex;
}

/* Prints the checks one a line, or as JSON with --json. */
static void print_checks(const cli_checklist *l, const cli_opts *o, uint64_t id)
{
    bool ok = cli_checklist_ok(l);
    if (o->json) {
        cJSON *out = cJSON_CreateObject(), *list = out ? cJSON_AddArrayToObject(out, "checks") : NULL;
        bool built = list && cJSON_AddNumberToObject(out, "proposal", (double)id) && cJSON_AddBoolToObject(out, "ok", ok);
        for (size_t i = 0; built && i < l->n; i++) {
            cJSON *c = cJSON_CreateObject();
            built = c && cJSON_AddItemToArray(list, c) && cJSON_AddStringToObject(c, "name", l->item[i].name)
                    && cJSON_AddBoolToObject(c, "ok", l->item[i].ok) && cJSON_AddStringToObject(c, "detail", l->item[i].detail);
        }
        if (built)
            cli_print_json(out);
        else
            cli_error("out of memory");
        cJSON_Delete(out);
        return;
    }
    for (size_t i = 0; i < l->n; i++)
        printf("%-4s  %-16s %s\n", l->item[i].ok ? "ok" : "FAIL", l->item[i].name, l->item[i].detail);
    printf("poll %llu: %s\n", (unsigned long long)id, ok ? "verified" : "NOT verified");
}

int cli_cmd_verify_poll(const cli_opts *o)
{
    char err[512];
    uint8_t platform[20];
    uint64_t id, chain_id;
    rpc_client *c = NULL;
    cJSON *params = NULL, *info = NULL, *results = NULL;
    cli_checklist l = { 0 };
    if (!cli_word_uint(&id, o->argv[0], "proposal"))
        return CLI_EXIT_USAGE;
    if (cli_platform_pin(platform, err, sizeof err, o->platform, o->datadir) != ST_OK) {
        cli_error("%s", err);
        return CLI_EXIT_USAGE;
    }
    if (!(c = rpc_client_new(o->rpc_url, NULL, o->timeout < UINT_MAX ? (unsigned)o->timeout : 0))) {
        cli_error("bad --rpc URL '%s': expected http://HOST:PORT", o->rpc_url);
        return CLI_EXIT_USAGE;
    }
    int ex = cli_call(c, o, "node_info", NULL, &info);
    if (ex != CLI_EXIT_OK)
        goto out;
    if (!cli_json_u64(info, "chainId", &chain_id)) {
        cli_error("node_info gave no usable chainId");
        ex = CLI_EXIT_FAILED;
        goto out;
    }
    if (!(params = cJSON_CreateObject()) || !cJSON_AddNumberToObject(params, "id", (double)id)) {
        ex = cli_out_of_memory();
        goto out;
    }
    if ((ex = cli_call(c, o, "gov_getResults", params, &results)) != CLI_EXIT_OK)
        goto out;
    const cJSON *state = cJSON_GetObjectItemCaseSensitive(results, "state");
    ex = CLI_EXIT_FAILED;
    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(results, "secret")))
        cli_error("poll %llu is not secret: its ballots and choices are public (gov_getVotes)", (unsigned long long)id);
    else if (cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(results, "scores")))
        cli_error("poll %llu is not counted yet (it is %s)", (unsigned long long)id,
                  cJSON_IsString(state) ? state->valuestring : "in an unknown state");
    else if ((ex = verify_counted(&l, c, o, platform, chain_id, id, results)) == CLI_EXIT_OK) {
        print_checks(&l, o, id);
        ex = cli_checklist_ok(&l) ? CLI_EXIT_OK : CLI_EXIT_FAILED;
    }
out:
    cJSON_Delete(results);
    cJSON_Delete(params);
    cJSON_Delete(info);
    rpc_client_free(c);
    return ex;
}
