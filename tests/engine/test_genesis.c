/* SPDX-License-Identifier: MIT */
/* test_genesis.c: the genesis document: strict parsing, canonical form, and the development
 * genesis holding exactly the ten well-known Hardhat/Anvil accounts. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
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

Test(engine_genesis, dev_genesis_funds_the_ten_well_known_accounts)
{
    char *json = eng_genesis_dev_json(NULL, NULL, NULL);
    cr_assert_not_null(json, "dev genesis text");
    eng_genesis g;
    char err[256] = "";
    cr_assert_eq(eng_genesis_parse(&g, err, sizeof err, json, strlen(json)), ST_OK, "parse dev genesis: %s", err);
    cr_assert_eq(g.chain_id, 31337, "dev chain id");
    cr_assert_eq(g.n_accounts, ENG_DEV_ACCOUNTS, "ten accounts");
    for (unsigned i = 0; i < ENG_DEV_ACCOUNTS; i++) {
        char addr[LEDGER_ADDR_STRLEN];
        ledger_addr_format(addr, g.accounts[i].address);
        cr_assert_str_eq(addr, hardhat_addresses[i], "dev account %u", i);
        cr_assert_eq(mpz_cmp_ui(g.accounts[i].balance, 0), 1, "funded");
        char *text = mpz_get_str(NULL, 10, g.accounts[i].balance);
        cr_assert_str_eq(text, "1000000000000000000000000", "10^24 base units for account %u", i);
        free(text);
    }
    eng_genesis again;
    cr_assert_eq(eng_genesis_parse(&again, err, sizeof err, g.canonical, strlen(g.canonical)), ST_OK, "reparse");
    cr_assert_str_eq(again.canonical, g.canonical, "the canonical form is a fixed point");
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
        { "{\"chainId\":1,\"time\":0,\"rewards\":{\"rePpm\":999999}}", "rewards.rePpm" },
        { "{\"chainId\":1,\"time\":0,\"rewards\":{\"confPpm\":[1,2,3]}}", "rewards.confPpm" },
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
    cr_assert_str_eq(g.canonical,
                     "{\"accounts\":[{\"address\":\"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266\",\"balance\":\"7\"}],"
                     "\"chainId\":9,\"time\":5,\"treasury\":\"0\",\"epochSecs\":3600,\"staking\":{"
                     "\"commissionNoticeSecs\":604800,\"maxWorkersPerPool\":32,\"minContribution\":\"1000000000000000000\","
                     "\"minStakePerRootScore\":\"100000000000000000000\",\"minWithdrawal\":\"10000000000000000\","
                     "\"minWorkerScore\":50,\"slashDeferSecs\":0,\"unbondingSecs\":604800,\"withdrawGraceSecs\":604800},"
                     "\"rewards\":{\"budgetPerEpoch\":\"1000000000000000000000\",\"confPpm\":[1000000,1000000,1000000,"
                     "800000,700000],\"decayPeriodSecs\":15552000,\"decayPpm\":250000,\"feePpm\":50000,\"rePpm\":1500000,"
                     "\"rigKPpm\":300000,\"slashPpm\":10000,\"treasuryPpm\":200000,\"uptimeThresholdPpm\":500000},"
                     "\"enclave\":{\"measurements\":[]},"
                     "\"governance\":{\"cancelBurnPpm\":100000,\"executionGraceSecs\":1209600,\"lockPeriodSecs\":604800,\"tracks\":["
                     "{\"approvalPpm\":666667,\"deposit\":\"1000000000000000000000\",\"enactmentDelaySecs\":86400,\"name\":\"root\",\"noQuorumBurnPpm\":0,\"payloads\":[\"text\",\"param\",\"spend\",\"enclave\",\"slash\"],\"quorumPpm\":200000,\"spendCap\":\"0\",\"threshold\":\"100000000000000000000\",\"votingDelaySecs\":3600,\"votingPeriodSecs\":604800},"
                     "{\"approvalPpm\":500000,\"deposit\":\"100000000000000000000\",\"enactmentDelaySecs\":86400,\"name\":\"treasury\",\"noQuorumBurnPpm\":0,\"payloads\":[\"text\",\"spend\"],\"quorumPpm\":100000,\"spendCap\":\"1000000000000000000000000\",\"threshold\":\"100000000000000000000\",\"votingDelaySecs\":3600,\"votingPeriodSecs\":259200},"
                     "{\"approvalPpm\":500000,\"deposit\":\"500000000000000000000\",\"enactmentDelaySecs\":86400,\"name\":\"params\",\"noQuorumBurnPpm\":0,\"payloads\":[\"text\",\"param\"],\"quorumPpm\":100000,\"spendCap\":\"0\",\"threshold\":\"100000000000000000000\",\"votingDelaySecs\":3600,\"votingPeriodSecs\":259200},"
                     "{\"approvalPpm\":500000,\"deposit\":\"500000000000000000000\",\"enactmentDelaySecs\":86400,\"name\":\"enclave\",\"noQuorumBurnPpm\":0,\"payloads\":[\"text\",\"enclave\"],\"quorumPpm\":100000,\"spendCap\":\"0\",\"threshold\":\"100000000000000000000\",\"votingDelaySecs\":3600,\"votingPeriodSecs\":259200}]},"
                     "\"compute\":{\"challengeSecs\":86400,\"heartbeatSecs\":600}}",
                     "canonical text with the defaults spelled out");
    eng_genesis_clear(&g);
}
