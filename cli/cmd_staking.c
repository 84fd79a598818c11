/* SPDX-License-Identifier: MIT */
/* cmd_staking.c: the stake pool commands: pools and their settings, workers and their bonds,
 * contributions, withdrawals and claims, and the dev node's pool reward and worker slash.
 * Each command checks all of its words before it opens a connection; see session.h. */
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

static int cmd_pool_create(const cli_opts *o)
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

static int cmd_pool_info(const cli_opts *o)
{
    static const cli_field fields[] = { { "pool", CLI_FIELD_NUMBER, "pool" }, { NULL } };
    return cli_query_words(o, "staking_getPool", fields, cli_print_pool);
}

static int cmd_pool_list(const cli_opts *o)
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

static int cmd_pool_commission(const cli_opts *o)
{
    static const cli_field fields[] = { POOL_WORD, { "commissionPpm", CLI_FIELD_PPM, "commission" }, { NULL } };
    return cli_send_words(o, "PoolSetCommission", fields);
}

static int cmd_pool_capacity(const cli_opts *o)
{
    static const cli_field fields[] = { POOL_WORD, { "capacity", CLI_FIELD_AMOUNT, NULL }, { NULL } };
    return cli_send_words(o, "PoolSetCapacity", fields);
}

static int cmd_pool_describe(const cli_opts *o)
{
    static const cli_field fields[] = { POOL_WORD, { "description", CLI_FIELD_TEXT, NULL }, { NULL } };
    return cli_send_words(o, "PoolSetDescription", fields);
}

/* pool allow, disallow, add-worker and remove-worker: ID ADDRESS as a transaction of type, the
 * address as its member `member`. */
static int pool_address(const cli_opts *o, const char *type, const char *member)
{
    const cli_field fields[] = { POOL_WORD, { member, CLI_FIELD_ADDRESS, NULL }, { NULL } };
    return cli_send_words(o, type, fields);
}

static int cmd_pool_allow(const cli_opts *o)
{
    return pool_address(o, "PoolAllowContributor", "contributor");
}

static int cmd_pool_disallow(const cli_opts *o)
{
    return pool_address(o, "PoolDisallowContributor", "contributor");
}

static int cmd_pool_add_worker(const cli_opts *o)
{
    return pool_address(o, "WorkerAdd", "worker");
}

static int cmd_pool_remove_worker(const cli_opts *o)
{
    return pool_address(o, "WorkerRemove", "worker");
}

/* pool bond / pool unbond: ID WORKER AMOUNT as a transaction of type. */
static int pool_worker_amount(const cli_opts *o, const char *type)
{
    static const cli_field fields[] = {
        POOL_WORD, { "worker", CLI_FIELD_ADDRESS, NULL }, { "amount", CLI_FIELD_AMOUNT, NULL }, { NULL }
    };
    return cli_send_words(o, type, fields);
}

static int cmd_pool_bond(const cli_opts *o)
{
    return pool_worker_amount(o, "WorkerBond");
}

static int cmd_pool_unbond(const cli_opts *o)
{
    return pool_worker_amount(o, "WorkerUnbond");
}

static int cmd_stake_contribute(const cli_opts *o)
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

static int cmd_stake_withdraw(const cli_opts *o)
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

static int cmd_stake_claim(const cli_opts *o)
{
    static const cli_field fields[] = { POOL_WORD, { NULL } };
    return cli_send_words(o, "Claim", fields);
}

static int cmd_stake_position(const cli_opts *o)
{
    return cli_query_address(o, "staking_getPosition", cli_print_position);
}

static int cmd_admin_reward_pool(const cli_opts *o)
{
    static const cli_field fields[] = {
        { "pool", CLI_FIELD_NUMBER, "pool" }, { "amount", CLI_FIELD_AMOUNT, NULL }, { NULL }
    };
    return cli_admin_words(o, "admin_rewardPool", fields);
}

static int cmd_admin_slash_worker(const cli_opts *o)
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

/* ---- the commands' help texts and table ---- */

static const char help_pool_create[] =
    "Signs a PoolCreate: a new pool owned by the key's address, taking commission PPM parts\n"
    "per million of its rewards (100000 is 10%, at most 1000000) and at most AMOUNT of stake\n"
    "(tokens, or base units with --raw). The receipt's PoolCreated event names the new pool's\n"
    "id.\n" SIGNED_HELP;

static const char help_pool_info[] =
    "Calls staking_getPool: owner, commission (and a raise waiting for its notice), capacity,\n"
    "stake, free, bonded and unbonding stake, shares and their price (tokens per 10^18\n"
    "shares), workers and the queued withdrawals. Exit 1 for an unknown pool.\n";

static const char help_pool_list[] =
    "Lists every pool (staking_listPools, page after page) by id, or with --sort stake the\n"
    "largest stake first.\n";

static const char help_pool_commission[] =
    "Signs a PoolSetCommission (owner only). A lower commission applies at once; a higher one\n"
    "after the chain's notice period (pool info shows it as the raise).\n" SIGNED_HELP;

static const char help_pool_capacity[] =
    "Signs a PoolSetCapacity (owner only): pool ID takes at most AMOUNT of stake from now on;\n"
    "never less than the stake it holds.\n" SIGNED_HELP;

static const char help_pool_describe[] =
    "Signs a PoolSetDescription (owner only): TEXT (at most 1024 bytes) describes pool ID.\n"
    SIGNED_HELP;

static const char help_pool_allow[] =
    "Signs a PoolAllowContributor (owner only). A pool whose allowlist is not empty takes\n"
    "contributions only from the listed addresses (at most 100) and its owner; stakers already\n"
    "in keep their shares.\n" SIGNED_HELP;

static const char help_pool_disallow[] =
    "Signs a PoolDisallowContributor (owner only). An empty allowlist opens the pool to anyone.\n"
    SIGNED_HELP;

static const char help_pool_add_worker[] =
    "Signs a WorkerAdd (owner only): WORKER joins pool ID. WORKER must have registered itself\n"
    "(conclave-worker --operator OWNER) naming the pool's owner; a worker belongs to one pool.\n"
    SIGNED_HELP;

static const char help_pool_remove_worker[] =
    "Signs a WorkerRemove (owner only): WORKER leaves pool ID once nothing is bonded to it or\n"
    "still unbonding; it may then register for another operator.\n" SIGNED_HELP;

static const char help_pool_bond[] =
    "Signs a WorkerBond (owner only): AMOUNT of the pool's free stake is bonded to WORKER. A\n"
    "worker computes with at least its minimum stake (worker status shows it: k * sqrt(P)).\n"
    SIGNED_HELP;

static const char help_pool_unbond[] =
    "Signs a WorkerUnbond (owner only): AMOUNT of WORKER's bonded stake cools down for the\n"
    "chain's unbonding period, then becomes free stake of the pool again (paying the\n"
    "withdraw queue first).\n" SIGNED_HELP;

static const char help_stake_contribute[] =
    "Signs a Contribute: AMOUNT moves from the key's free balance into pool POOL, which mints\n"
    "shares at its current price (rounded down).\n" SIGNED_HELP;

static const char help_stake_withdraw[] =
    "Signs a Withdraw of SHARES (a whole number of shares, base units; --raw only changes how\n"
    "the receipt shows amounts), or with --all of every share not already queued. It is paid\n"
    "at once from the pool's free stake; what that does not cover waits in the pool's\n"
    "withdraw queue (first in, first out) and is paid as stake becomes free.\n" SIGNED_HELP;

static const char help_stake_claim[] =
    "Signs a Claim: settles the key's pending rewards in POOL, then moves its whole claimable\n"
    "balance (rewards of every pool, and commission for an owner) to its free balance.\n"
    SIGNED_HELP;

static const char help_stake_position[] =
    "Calls staking_getPosition for ADDRESS (default: the key's address): per pool its shares,\n"
    "their value, pending rewards and queued withdrawal; and its claimable balance.\n";

static const char help_admin_reward_pool[] =
    "Calls admin_rewardPool on a --dev node, with the admin token read from DIR/.cookie: the\n"
    "pool's commission goes to its owner's claimable balance, the rest to its stakers by\n"
    "shares. AMOUNT as for transfer. Prints the receipt.\n";

static const char help_admin_slash_worker[] =
    "Calls admin_slashWorker on a --dev node, with the admin token read from DIR/.cookie: PPM\n"
    "parts per million (1 to 1000000) of WORKER's bonded stake and of each of its unbonding\n"
    "entries are burned (each part rounded down), which every staker of its pool bears by\n"
    "shares. Prints the receipt: WorkerSlashed's amount is fromBonded + fromUnbonding.\n";

const cli_command cli_staking_commands[] = {
    { "pool create", "--commission PPM --capacity AMOUNT [--raw] [--sign-only] [KEY]",
      "create a stake pool owned by the key", help_pool_create, 0, 0, CLI_OPT_POOL | SIGNING, cmd_pool_create },
    { "pool info", "ID [--raw]",
      "show a stake pool", help_pool_info, 1, 1, CLI_OPT_RAW, cmd_pool_info },
    { "pool list", "[--sort id|stake] [--raw]",
      "list the stake pools", help_pool_list, 0, 0, CLI_OPT_SORT | CLI_OPT_RAW, cmd_pool_list },
    { "pool commission", "ID PPM [--sign-only] [KEY]",
      "change a pool's commission", help_pool_commission, 2, 2, SIGNING, cmd_pool_commission },
    { "pool capacity", "ID AMOUNT [--raw] [--sign-only] [KEY]",
      "change a pool's capacity", help_pool_capacity, 2, 2, SIGNING, cmd_pool_capacity },
    { "pool describe", "ID TEXT [--sign-only] [KEY]",
      "set a pool's description", help_pool_describe, 2, 2, SIGNING, cmd_pool_describe },
    { "pool allow", "ID ADDRESS [--sign-only] [KEY]",
      "put a contributor on a pool's allowlist", help_pool_allow, 2, 2, SIGNING, cmd_pool_allow },
    { "pool disallow", "ID ADDRESS [--sign-only] [KEY]",
      "take a contributor off a pool's allowlist", help_pool_disallow, 2, 2, SIGNING, cmd_pool_disallow },
    { "pool add-worker", "ID WORKER [--sign-only] [KEY]",
      "add a worker to a pool", help_pool_add_worker, 2, 2, SIGNING, cmd_pool_add_worker },
    { "pool bond", "ID WORKER AMOUNT [--raw] [--sign-only] [KEY]",
      "bond a pool's free stake to its worker", help_pool_bond, 3, 3, SIGNING, cmd_pool_bond },
    { "pool unbond", "ID WORKER AMOUNT [--raw] [--sign-only] [KEY]",
      "start unbonding a worker's stake", help_pool_unbond, 3, 3, SIGNING, cmd_pool_unbond },
    { "pool remove-worker", "ID WORKER [--sign-only] [KEY]",
      "remove a worker from a pool", help_pool_remove_worker, 2, 2, SIGNING, cmd_pool_remove_worker },
    { "stake contribute", "POOL AMOUNT [--raw] [--sign-only] [KEY]",
      "stake tokens in a pool for shares", help_stake_contribute, 2, 2, SIGNING, cmd_stake_contribute },
    { "stake withdraw", "POOL (SHARES | --all) [--sign-only] [KEY]",
      "withdraw shares from a pool", help_stake_withdraw, 1, 2, CLI_OPT_ALL | SIGNING, cmd_stake_withdraw },
    { "stake claim", "POOL [--sign-only] [KEY]",
      "claim staking rewards", help_stake_claim, 1, 1, SIGNING, cmd_stake_claim },
    { "stake position", "[ADDRESS] [--raw] [--key FILE | --dev-key N]",
      "show an address's stakes and rewards", help_stake_position, 0, 1, CLI_OPT_KEY | CLI_OPT_RAW, cmd_stake_position },
    { "admin reward-pool", "POOL AMOUNT --datadir DIR [--raw]",
      "dev node: reward a pool from the treasury", help_admin_reward_pool, 2, 2, CLI_OPT_DATADIR | CLI_OPT_RAW, cmd_admin_reward_pool },
    { "admin slash-worker", "WORKER PPM --datadir DIR [--raw]",
      "dev node: burn part of a worker's stake", help_admin_slash_worker, 2, 2, CLI_OPT_DATADIR | CLI_OPT_RAW, cmd_admin_slash_worker },
    { NULL },
};
