/* SPDX-License-Identifier: MIT */
/* test_genesis.c: the genesis document: strict parsing, canonical form, and the development
 * genesis holding exactly the ten well-known Hardhat/Anvil accounts. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>
#include "engine/genesis.h"
#include "ledger/hex.h"

static const char *const hardhat_addresses[ENG_DEV_ACCOUNTS] = {
    "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC", "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
    "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65", "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc",
    "0x976EA74026E726554dB657fA54763abd0C3a0aa9", "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955",
    "0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f", "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720",
};

/* eng_genesis_account_fn: checks dev account `index` and counts it. */
struct dev_accounts {
    size_t n;
};

static int check_dev_account(void *arg, const uint8_t address[20], const mpz_t balance, size_t index)
{
    struct dev_accounts *seen = arg;
    char addr[LEDGER_ADDR_STRLEN];
    cr_assert_eq(index, seen->n, "in order");
    cr_assert_lt(index, ENG_DEV_ACCOUNTS, "no more than ten");
    ledger_addr_format(addr, address);
    cr_assert_str_eq(addr, hardhat_addresses[index], "dev account %zu", index);
    char *text = mpz_get_str(NULL, 10, balance);
    cr_assert_str_eq(text, "1000000000000000000000000", "10^24 base units for account %zu", index);
    free(text);
    seen->n++;
    return ST_OK;
}

Test(engine_genesis, dev_genesis_funds_the_ten_well_known_accounts)
{
    char *json = eng_genesis_dev_json(NULL, NULL, NULL);
    cr_assert_not_null(json, "dev genesis text");
    eng_genesis g;
    char err[256] = "";
    cr_assert_eq(eng_genesis_parse(&g, err, sizeof err, json, strlen(json)), ST_OK, "parse dev genesis: %s", err);
    cr_assert_eq(g.chain_id, 31337, "dev chain id");
    cr_assert_eq(g.n_accounts, ENG_DEV_ACCOUNTS, "ten accounts");
    struct dev_accounts seen = { 0 };
    cr_assert_eq(eng_genesis_each_account(&g, check_dev_account, &seen), ST_OK, "walk the accounts");
    cr_assert_eq(seen.n, ENG_DEV_ACCOUNTS, "each account walked once");
    eng_genesis again;
    cr_assert_eq(eng_genesis_parse(&again, err, sizeof err, g.canonical, g.canonical_len), ST_OK, "reparse");
    cr_assert_eq(again.canonical_len, g.canonical_len, "the canonical form is a fixed point");
    cr_assert(memcmp(again.canonical, g.canonical, g.canonical_len) == 0, "the canonical form is a fixed point");
    cr_assert_eq(again.epoch_length, 3600, "default epoch");
    cr_assert_eq(again.staking.max_workers, 32, "default worker cap");
    eng_genesis_clear(&again);
    eng_genesis_clear(&g);
    free(json);
}

/* arrays, not pointers: Criterion runs each case in a fresh process */
struct bad_genesis {
    char json[400];
    char error_part[64];
};

ParameterizedTestParameters(engine_genesis, refuses_malformed_documents)
{
    static struct bad_genesis cases[] = {
        { "[]", "not a JSON object" },
        { "{\"chainId\":1,\"time\":0,\"color\":1}", "unknown key \"color\"" },
        { "{\"time\":0}", "chainId" },
        { "{\"chainId\":0,\"time\":0}", "chainId" },
        { "{\"chainId\":1.5,\"time\":0}", "chainId" },
        { "{\"chainId\":1,\"time\":-1}", "time" },
        { "{\"chainId\":1,\"time\":0,\"treasury\":\"01\"}", "treasury" },
        { "{\"chainId\":1,\"time\":0,\"epochSecs\":0}", "epochSecs" },
        { "{\"chainId\":1,\"time\":0,\"staking\":{\"maxWorkersPerPool\":0}}", "maxWorkersPerPool" },
        { "{\"chainId\":1,\"time\":0,\"staking\":{\"minContribution\":\"0\"}}", "minContribution" },
        { "{\"chainId\":1,\"time\":0,\"staking\":{\"speed\":1}}", "unknown key \"staking.speed\"" },
        { "{\"chainId\":1,\"time\":0,\"compute\":{\"heartbeatSecs\":0}}", "heartbeatSecs" },
        /* a governed parameter has the bounds a proposal has (engine/params.c), in the genesis too */
        { "{\"chainId\":1,\"time\":0,\"staking\":{\"unbondingSecs\":31536001}}", "unbondingSecs is out of range (0 to 31536000)" },
        { "{\"chainId\":1,\"time\":0,\"compute\":{\"heartbeatSecs\":0}}", "heartbeatSecs is out of range (1 to 9007199254740991)" },
        { "{\"chainId\":1,\"time\":0,\"staking\":{\"unbondingSecs\":\"60\"}}", "staking.unbondingSecs" },
        { "{\"chainId\":1,\"time\":0,\"rewards\":{\"rePpm\":1500000}}", "unknown key \"rewards.rePpm\"" },
        { "{\"chainId\":1,\"time\":0,\"rewards\":{\"uptimeThresholdPpm\":1}}", "unknown key \"rewards.uptimeThresholdPpm\"" },
        { "{\"chainId\":1,\"time\":0,\"rewards\":{\"re\":\"0.999999999999999999999999999999999999\"}}",
          "rewards.re is out of range (1 to 100)" },
        { "{\"chainId\":1,\"time\":0,\"rewards\":{\"rho\":\"2.000000000000000000000000000000000001\"}}", "rewards.rho" },
        { "{\"chainId\":1,\"time\":0,\"rewards\":{\"slashRate\":\"0.0000000000000000000000000000000000001\"}}",
          "rewards.slashRate" },
        { "{\"chainId\":1,\"time\":0,\"rewards\":{\"vMax\":30000}}", "rewards.vMax" },
        { "{\"chainId\":1,\"time\":0,\"rewards\":{\"rigK\":\"-0.3\"}}", "rewards.rigK" },
        { "{\"chainId\":1,\"time\":0,\"rewards\":{\"rigK\":\".3\"}}", "rewards.rigK" },
        { "{\"chainId\":1,\"time\":0,\"rewards\":{\"rigK\":\"0.\"}}", "rewards.rigK" },
        { "{\"chainId\":1,\"time\":0,\"rewards\":{\"rigK\":\"00.3\"}}", "rewards.rigK" },
        { "{\"chainId\":1,\"time\":0,\"rewards\":{\"rigK\":\"1e3\"}}", "rewards.rigK" },
        { "{\"chainId\":1,\"time\":0,\"rewards\":{\"stepSecs\":0}}", "rewards.stepSecs" },
        { "{\"chainId\":1,\"time\":0,\"epochSecs\":65537,\"compute\":{\"heartbeatSecs\":1}}", "at most 65536 slots" },
        { "{\"chainId\":1,\"time\":0,\"enclave\":{\"platform\":\"0x12\"}}", "enclave.platform" },
        { "{\"chainId\":1,\"time\":0,\"enclave\":{\"measurements\":[\"0x12\"]}}", "enclave.measurements" },
        { "{\"chainId\":1,\"time\":0,\"epochSecs\":60,\"compute\":{\"heartbeatSecs\":61}}", "heartbeatSecs" },
        { "{\"chainId\":1,\"time\":0,\"treasury\":5}", "treasury" },
        { "{\"chainId\":1,\"time\":0,\"governance\":{\"vetoPpm\":1}}", "unknown key \"governance.vetoPpm\"" },
        { "{\"chainId\":1,\"time\":0,\"governance\":{\"cancelBurnPpm\":1000001}}", "governance.cancelBurnPpm" },
        { "{\"chainId\":1,\"time\":0,\"governance\":{\"tracks\":[]}}", "governance.tracks" },
        { "{\"chainId\":1,\"time\":0,\"governance\":{\"tracks\":[{\"deposit\":\"1\"}]}}", "tracks[].name" },
        { "{\"chainId\":1,\"time\":0,\"governance\":{\"tracks\":[{\"name\":\"a\",\"payloads\":[\"nuke\"]}]}}",
          "tracks[].payloads" },
        { "{\"chainId\":1,\"time\":0,\"governance\":{\"tracks\":[{\"name\":\"a\"},{\"name\":\"a\"}]}}", "listed twice" },
        { "{\"chainId\":1,\"time\":0,\"accounts\":[{\"address\":\"0x12\",\"balance\":\"1\"}]}", "address" },
        { "{\"chainId\":1,\"time\":0,\"accounts\":[{\"address\":\"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266\","
          "\"balance\":\"-1\"}]}", "balance" },
        { "{\"chainId\":1,\"time\":0,\"accounts\":[{\"address\":\"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266\","
          "\"balance\":\"1\"},{\"address\":\"0xF39FD6E51AAD88F6F4CE6AB8827279CFFFB92266\",\"balance\":\"1\"}]}",
          "listed twice" },
        { "{\"chainId\":1,\"time\":0,\"treasury\":\"115792089237316195423570985008687907853269984665640564039457584007913129639935\","
          "\"accounts\":[{\"address\":\"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266\",\"balance\":\"1\"}]}",
          "2^256" },
    };
    return cr_make_param_array(struct bad_genesis, cases, sizeof cases / sizeof cases[0]);
}

ParameterizedTest(struct bad_genesis *c, engine_genesis, refuses_malformed_documents)
{
    eng_genesis g;
    char err[256] = "";
    cr_assert_eq(eng_genesis_parse(&g, err, sizeof err, c->json, strlen(c->json)), ST_INVALID, "refused: %s", c->json);
    cr_assert(strstr(err, c->error_part) != NULL, "error '%s' mentions '%s'", err, c->error_part);
    eng_genesis_clear(&g);
}

Test(engine_genesis, canonical_form_normalises_case_and_order)
{
    const char *json = "{\"accounts\":[{\"balance\":\"7\",\"address\":\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\"}],"
                       "\"time\":5,\"chainId\":9}";
    eng_genesis g;
    char err[256] = "";
    cr_assert_eq(eng_genesis_parse(&g, err, sizeof err, json, strlen(json)), ST_OK, "parse: %s", err);
    char *canonical = strndup(g.canonical, g.canonical_len);
    cr_assert_str_eq(canonical,
                     "{\"accounts\":[{\"address\":\"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266\",\"balance\":\"7\"}],"
                     "\"chainId\":9,\"time\":5,\"treasury\":\"0\",\"epochSecs\":3600,\"staking\":{"
                     "\"commissionNoticeSecs\":604800,\"maxWorkersPerPool\":32,\"minContribution\":\"1000000000000000000\","
                     "\"minStakePerRootScore\":\"100000000000000000000\",\"minWithdrawal\":\"10000000000000000\","
                     "\"minWorkerScore\":50,\"slashDeferSecs\":604800,\"unbondingSecs\":604800,\"withdrawGraceSecs\":604800},"
                     "\"rewards\":{\"budgetPerEpoch\":\"30000000000000000000000\","
                     "\"costB\":\"0.000033711472602739726027397260273972\",\"costK\":\"0.00000001581525875190258751902587519\","
                     "\"decayPeriodSecs\":15552000,\"decayPpm\":250000,\"feePpm\":50000,"
                     "\"re\":\"1.3\",\"rho\":\"1.000000666600231\",\"rigB\":\"0\",\"rigK\":\"0.3\","
                     "\"slashRate\":\"0.000003333333333333333333333333333333\",\"stepSecs\":12,\"treasuryPpm\":200000,"
                     "\"vMax\":\"30000\"},"
                     "\"enclave\":{\"measurements\":[]},"
                     "\"governance\":{\"cancelBurnPpm\":100000,\"executionGraceSecs\":1209600,\"lockPeriodSecs\":604800,\"tracks\":["
                     "{\"approvalPpm\":666667,\"deposit\":\"1000000000000000000000\",\"enactmentDelaySecs\":86400,\"name\":\"root\",\"noQuorumBurnPpm\":0,\"payloads\":[\"text\",\"param\",\"spend\",\"enclave\",\"slash\"],\"quorumPpm\":200000,\"spendCap\":\"0\",\"threshold\":\"100000000000000000000\",\"votingDelaySecs\":3600,\"votingPeriodSecs\":604800},"
                     "{\"approvalPpm\":500000,\"deposit\":\"100000000000000000000\",\"enactmentDelaySecs\":86400,\"name\":\"treasury\",\"noQuorumBurnPpm\":0,\"payloads\":[\"text\",\"spend\"],\"quorumPpm\":100000,\"spendCap\":\"1000000000000000000000000\",\"threshold\":\"100000000000000000000\",\"votingDelaySecs\":3600,\"votingPeriodSecs\":259200},"
                     "{\"approvalPpm\":500000,\"deposit\":\"500000000000000000000\",\"enactmentDelaySecs\":86400,\"name\":\"params\",\"noQuorumBurnPpm\":0,\"payloads\":[\"text\",\"param\"],\"quorumPpm\":100000,\"spendCap\":\"0\",\"threshold\":\"100000000000000000000\",\"votingDelaySecs\":3600,\"votingPeriodSecs\":259200},"
                     "{\"approvalPpm\":500000,\"deposit\":\"500000000000000000000\",\"enactmentDelaySecs\":86400,\"name\":\"enclave\",\"noQuorumBurnPpm\":0,\"payloads\":[\"text\",\"enclave\"],\"quorumPpm\":100000,\"spendCap\":\"0\",\"threshold\":\"100000000000000000000\",\"votingDelaySecs\":3600,\"votingPeriodSecs\":259200},"
                     "{\"approvalPpm\":500000,\"deposit\":\"10000000000000000000\",\"enactmentDelaySecs\":86400,\"name\":\"signal\",\"noQuorumBurnPpm\":0,\"payloads\":[\"text\",\"poll\"],\"quorumPpm\":100000,\"spendCap\":\"0\",\"threshold\":\"10000000000000000000\",\"votingDelaySecs\":3600,\"votingPeriodSecs\":259200}]},"
                     "\"compute\":{\"challengeSecs\":86400,\"heartbeatSecs\":600}}",
                     "canonical text with the defaults spelled out");
    cr_assert_eq(strncmp(g.body, "{\"type\":\"Genesis\",\"message\":", 28), 0, "the whole-document body: %.40s", g.body);
    cr_assert_eq(g.canonical, g.body + 28, "holds the canonical text");
    cr_assert_str_eq(g.canonical + g.canonical_len, "}", "and ends the object after it");
    free(canonical);
    eng_genesis_clear(&g);
}

/* The economics are decimal strings of fixed numbers (x * 10^36): parsed exactly, written back
 * without trailing zeros; the defaults are enc_econ_params_init's, the dev budget 100 tokens per 12 s
 * step of a 3600 s epoch. */
Test(engine_genesis, reward_economics_are_exact_decimals_with_phalas_defaults)
{
    const char *json = "{\"chainId\":9,\"time\":5,\"rewards\":{\"re\":\"1.50\",\"rigK\":\"0.000000000000000000000000000000000001\","
                       "\"vMax\":\"12345.678\",\"rho\":\"1\",\"stepSecs\":6}}";
    eng_genesis g;
    enc_econ_params e;
    char err[256] = "";
    cr_assert_eq(eng_genesis_parse(&g, err, sizeof err, json, strlen(json)), ST_OK, "parse: %s", err);
    cr_assert_eq(mpz_cmp_ui(g.rewards.rig_k, 1), 0, "10^-36 is the fixed 1");
    cr_assert_eq(mpz_sizeinbase(g.rewards.re, 10), 37, "1.5 is 15 followed by 35 zeros");
    cr_assert_eq(g.rewards.step_seconds, 6, "stepSecs");
    char *canonical = strndup(g.canonical, g.canonical_len);
    cr_assert_not_null(strstr(canonical, "\"re\":\"1.5\",\"rho\":\"1\",\"rigB\":\"0\","
                                         "\"rigK\":\"0.000000000000000000000000000000000001\""),
                       "written back without trailing zeros: %s", canonical);
    cr_assert_not_null(strstr(canonical, "\"stepSecs\":6,\"treasuryPpm\":200000,\"vMax\":\"12345.678\""), "vMax: %s", canonical);
    free(canonical);
    eng_genesis_clear(&g);
    /* the defaults are Phala's, exactly */
    cr_assert_eq(eng_genesis_parse(&g, err, sizeof err, "{\"chainId\":9,\"time\":5}", 23), ST_OK, "parse: %s", err);
    enc_econ_params_init(&e);
    cr_assert_eq(mpz_cmp(g.rewards.rho, e.rho), 0, "rho");
    cr_assert_eq(mpz_cmp(g.rewards.slash_rate, e.slash_rate), 0, "slashRate");
    cr_assert_eq(mpz_cmp(g.rewards.v_max, e.v_max), 0, "vMax");
    cr_assert_eq(mpz_cmp(g.rewards.cost_k, e.cost_k), 0, "costK");
    cr_assert_eq(mpz_cmp(g.rewards.cost_b, e.cost_b), 0, "costB");
    cr_assert_eq(mpz_cmp(g.rewards.rig_k, e.rig_k), 0, "rigK");
    cr_assert_eq(mpz_cmp(g.rewards.rig_b, e.rig_b), 0, "rigB");
    cr_assert_eq(mpz_cmp(g.rewards.re, e.re), 0, "re");
    /* Phala's k and min_init_p are the staking rules minStakePerRootScore (base units) and minWorkerScore */
    mpz_t k;
    mpz_init(k);
    mpz_fdiv_q_ui(k, e.k, 1000000000u);
    mpz_fdiv_q_ui(k, k, 1000000000u);          /* fixed to base units */
    cr_assert_eq(mpz_cmp(g.staking.min_stake_k, k), 0, "minStakePerRootScore is k");
    mpz_clear(k);
    cr_assert_eq(g.staking.min_worker_score, e.min_init_p, "minWorkerScore is min_init_p");
    cr_assert_eq(g.rewards.step_seconds, e.step_seconds, "stepSecs");
    /* budgetPerEpoch = budget_per_step (100 tokens) x 300 steps of 12 s in the 3600 s epoch */
    mpz_t b;
    mpz_init(b);
    mpz_fdiv_q_ui(b, e.budget_per_step, 1000000000u);
    mpz_fdiv_q_ui(b, b, 1000000000u);          /* fixed to base units */
    mpz_mul_ui(b, b, g.epoch_length / e.step_seconds);
    cr_assert_eq(mpz_cmp(g.rewards.budget_per_epoch, b), 0, "30000 tokens an epoch");
    mpz_clear(b);
    enc_econ_params_clear(&e);
    eng_genesis_clear(&g);
}
