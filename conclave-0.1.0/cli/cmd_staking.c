/* SPDX-License-Identifier: MIT */
/* cmd_staking.c: the stake pool commands: pools and their settings, workers and their bonds,
 * contributions, withdrawals and claims, and the dev node's pool reward and worker slash.
 * Each command checks all of its words before it opens a connection; see session.h. Their usage
 * lines and help texts are in the table of commands.c. */
#include "cli/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ledger/amount.h"
#include "ledger/hex.h"

/* Shares are counted in base units whatever --raw says. */
static bool word_shares(mpz_t out, const char *word)
{
    if (ledger_amount_parse(out, word, strlen(word)) == ST_OK)
        return true;
    cli_error("bad shares '%s': expected a whole number of shares (base units), like 1000000000000000000", word);
    return false;
}

/* The word POOL (or ID) that most commands here begin with, as the member "pool". */
#define POOL_WORD { "pool", CLI_FIELD_UINT, "pool" }

int cli_cmd_pool_create(const cli_opts *o)
{
    uint64_t ppm;
    mpz_t capacity;
    if (!o->commission || !o->capacity) {
        cli_error("pool create needs --commission PPM and --capacity AMOUNT");
        return CLI_EXIT_USAGE;
    }
    mpz_init(capacity);
    int ex = CLI_EXIT_USAGE;
    if (cli_word_ppm(&ppm, o->commission, "commission", true) && cli_word_amount(capacity, o->capacity, o->raw)) {
        cJSON *m = cJSON_CreateObject();
        bool ok = m && cli_msg_u64(m, "commissionPpm", ppm) && cli_msg_amount(m, "capacity", capacity);
        ex = cli_send_signed(o, "PoolCreate", ok ? m : NULL);
        cJSON_Delete(m);
    }
    mpz_clear(capacity);
    return ex;
}

int cli_cmd_pool_info(const cli_opts *o)
{
    return cli_query_number(o, "staking_getPool", "pool", "pool", cli_print_pool);
}

int cli_cmd_pool_list(const cli_opts *o)
{
    bool by_stake = o->sort && strcmp(o->sort, "stake") == 0;
    if (o->sort && !by_stake && strcmp(o->sort, "id") != 0) {
        cli_error("bad --sort '%s': expected id or stake", o->sort);
        return CLI_EXIT_USAGE;
    }
    cJSON *base = cJSON_CreateObject();
    int ex = base && cJSON_AddStringToObject(base, "sort", by_stake ? "stake" : "id")
                 ? cli_list_command(o, "staking_listPools", base, "pools", cli_print_pools)
                 : cli_out_of_memory();
    cJSON_Delete(base);
    return ex;
}

int cli_cmd_pool_commission(const cli_opts *o)
{
    static const cli_field fields[] = { POOL_WORD, { "commissionPpm", CLI_FIELD_PPM, "commission" }, { NULL } };
    return cli_send_words(o, "PoolSetCommission", fields);
}

int cli_cmd_pool_capacity(const cli_opts *o)
{
    static const cli_field fields[] = { POOL_WORD, { "capacity", CLI_FIELD_AMOUNT, NULL }, { NULL } };
    return cli_send_words(o, "PoolSetCapacity", fields);
}

int cli_cmd_pool_describe(const cli_opts *o)
{
    static const cli_field fields[] = { POOL_WORD, { "description", CLI_FIELD_TEXT, NULL }, { NULL } };
    return cli_send_words(o, "PoolSetDescription", fields);
}

/* The words ID ADDRESS of pool allow and disallow, and ID WORKER of pool add-worker and
 * remove-worker, as the members of their transactions. */
static const cli_field contributor_fields[] = { POOL_WORD, { "contributor", CLI_FIELD_ADDRESS, NULL }, { NULL } };
static const cli_field worker_fields[] = { POOL_WORD, { "worker", CLI_FIELD_ADDRESS, NULL }, { NULL } };

int cli_cmd_pool_allow(const cli_opts *o)
{
    return cli_send_words(o, "PoolAllowContributor", contributor_fields);
}

int cli_cmd_pool_disallow(const cli_opts *o)
{
    return cli_send_words(o, "PoolDisallowContributor", contributor_fields);
}

int cli_cmd_pool_add_worker(const cli_opts *o)
{
    return cli_send_words(o, "WorkerAdd", worker_fields);
}

int cli_cmd_pool_remove_worker(const cli_opts *o)
{
    return cli_send_words(o, "WorkerRemove", worker_fields);
}

/* The words ID WORKER AMOUNT of pool bond and unbond. */
static const cli_field bond_fields[] = {
    POOL_WORD, { "worker", CLI_FIELD_ADDRESS, NULL }, { "amount", CLI_FIELD_AMOUNT, NULL }, { NULL }
};

int cli_cmd_pool_bond(const cli_opts *o)
{
    return cli_send_words(o, "WorkerBond", bond_fields);
}

int cli_cmd_pool_unbond(const cli_opts *o)
{
    return cli_send_words(o, "WorkerUnbond", bond_fields);
}

int cli_cmd_stake_contribute(const cli_opts *o)
{
    static const cli_field fields[] = { POOL_WORD, { "amount", CLI_FIELD_AMOUNT, NULL }, { NULL } };
    return cli_send_words(o, "Contribute", fields);
}

/* The shares the signer can still ask for in pool id: held minus already queued. */
static int withdrawable(mpz_t out, cli_signer *s, const cli_opts *o, uint64_t id)
{
    cJSON *params = cJSON_CreateObject(), *result = NULL;
    if (!params || !cJSON_AddNumberToObject(params, "pool", (double)id)
        || !cli_msg_address(params, "address", s->addr)) {
        cJSON_Delete(params);
        return cli_out_of_memory();
    }
    int ex = cli_call(s->client, o, "staking_getPosition", params, &result);
    const cJSON *pos = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(result, "positions"), 0);
    const cJSON *held = cJSON_GetObjectItemCaseSensitive(pos, "shares");
    const cJSON *queued = cJSON_GetObjectItemCaseSensitive(pos, "queuedShares");
    mpz_t q;
    mpz_init(q);
    mpz_set_ui(out, 0);
    if (ex == CLI_EXIT_OK && cJSON_IsString(held) && cJSON_IsString(queued)
        && (ledger_amount_parse(out, held->valuestring, strlen(held->valuestring)) != ST_OK
            || ledger_amount_parse(q, queued->valuestring, strlen(queued->valuestring)) != ST_OK)) {
        cli_error("staking_getPosition gave unusable shares");
        ex = CLI_EXIT_FAILED;
    }
    if (ex == CLI_EXIT_OK && mpz_cmp(out, q) <= 0) {
        cli_error("nothing to withdraw: no shares in pool %llu that are not already queued", (unsigned long long)id);
        ex = CLI_EXIT_FAILED;
    }
    if (ex == CLI_EXIT_OK)
        mpz_sub(out, out, q);
    mpz_clear(q);
    cJSON_Delete(result);
    cJSON_Delete(params);
    return ex;
}

int cli_cmd_stake_withdraw(const cli_opts *o)
{
    uint64_t id;
    cli_signer s = { .client = NULL };
    mpz_t shares;
    if ((o->argc == 2) == o->all) {
        cli_error("stake withdraw takes SHARES or --all, not %s", o->all ? "both" : "neither");
        return CLI_EXIT_USAGE;
    }
    mpz_init(shares);
    int ex = CLI_EXIT_USAGE;
    if (cli_word_uint(&id, o->argv[0], "pool") && (o->all || word_shares(shares, o->argv[1])))
        ex = cli_signer_open(&s, o);
    if (ex == CLI_EXIT_OK && o->all)
        ex = withdrawable(shares, &s, o, id);
    if (ex == CLI_EXIT_OK) {
        cJSON *m = cJSON_CreateObject();
        bool ok = m && cli_msg_u64(m, "pool", id) && cli_msg_amount(m, "shares", shares);
        ex = cli_signer_send(&s, o, "Withdraw", ok ? m : NULL);
        cJSON_Delete(m);
    }
    cli_signer_close(&s);
    mpz_clear(shares);
    return ex;
}

int cli_cmd_stake_claim(const cli_opts *o)
{
    static const cli_field fields[] = { POOL_WORD, { NULL } };
    return cli_send_words(o, "Claim", fields);
}

int cli_cmd_stake_position(const cli_opts *o)
{
    return cli_query_address(o, "staking_getPosition", cli_print_position);
}

int cli_cmd_admin_reward_pool(const cli_opts *o)
{
    static const cli_field fields[] = {
        { "pool", CLI_FIELD_NUMBER, "pool" }, { "amount", CLI_FIELD_AMOUNT, NULL }, { NULL }
    };
    return cli_admin_words(o, "admin_rewardPool", fields);
}

int cli_cmd_admin_slash_worker(const cli_opts *o)
{
    uint8_t worker[20];
    uint64_t ppm;
    if (!cli_word_address(worker, o->argv[0]) || !cli_word_ppm(&ppm, o->argv[1], "slash", false))
        return CLI_EXIT_USAGE;
    cJSON *params = cJSON_CreateObject();
    bool ok = params && cli_msg_address(params, "worker", worker) && cJSON_AddNumberToObject(params, "ppm", (double)ppm);
    int ex = cli_admin_send(o, "admin_slashWorker", ok ? params : NULL);
    cJSON_Delete(params);
    return ex;
}
