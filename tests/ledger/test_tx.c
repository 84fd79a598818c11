/* SPDX-License-Identifier: MIT */
/* test_tx.c: the signed transaction JSON form: the type table, parsing of vector-signed
 * transactions (signer, digest, id, member getters), one id whether v is 0/1 or 27/28, the
 * refusals with their one-line errors, JSON numbers for small uints, and build -> JSON -> parse
 * round trips. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ledger/hash.h"
#include "ledger/hex.h"
#include "ledger/receipt.h"
#include "ledger/tx.h"
#include "tests/lib/testhelp.h"

/* Criterion runs each parameter in a fresh process where pointers into this binary's static data
 * are not valid, so parameters are indices (in cr_malloc'd memory) into the file's case tables. */
#define CHAIN 31337
/* Vector signatures[2]: key 0 signed Transfer{to: key 1, amount: 10^18, nonce: 0} on chain 31337. */
#define KEY0_ADDR "0x45F3703B385BaE0BFe5588402066f30A0931660f"
#define KEY1_ADDR "0x508218a8C2919C1c41C8C9Bd1acE5b8486B95230"
#define SIG_R_S "0x9d92149c4d0a848aa250d86359037249bc54395b3f3a4c96d9ca0242abbbb63d" \
                "229798dfa1ac57578194c330fa6e567521fc1fd89a519cd89216b667ba5aeb5f"
#define SIG SIG_R_S "1c"
#define SIG_V1 SIG_R_S "01" /* the same signature with v written as a recovery id */
#define DIGEST "0xa5a7e4f2e4f64d3dc9447031b41f12bbabd3dd383b9ce763533f7145b520ad49"
#define TO "\"to\":\"" KEY1_ADDR "\""
#define AMOUNT "\"amount\":\"1000000000000000000\""
#define NONCE "\"nonce\":\"0\""
#define TRANSFER(msg, sig) "{\"type\":\"Transfer\",\"message\":{" msg "},\"signature\":" sig "}"
#define GOOD TRANSFER(TO "," AMOUNT "," NONCE, "\"" SIG "\"")

static void assert_hex(const uint8_t *got, size_t n, const char *want, const char *what)
{
    char hex[2 * 65 + 3];
    cr_assert_leq(n, 65, "assert_hex handles at most 65 bytes");
    ledger_hex_encode(hex, got, n);
    cr_assert_str_eq(hex, want, "%s", what);
}

/* Parses JSON text as a transaction on chain; the JSON tree is freed before returning. */
static int parse_text(ledger_tx *tx, char *err, size_t errlen, const char *text, uint64_t chain)
{
    cJSON *j = cJSON_Parse(text);
    int rc;
    cr_assert_not_null(j, "test JSON parses: %s", text);
    rc = ledger_tx_parse(tx, err, errlen, j, chain);
    cJSON_Delete(j);
    return rc;
}

/* The JSON form of a vector case: its primaryType, the given message and its signature. */
static cJSON *vector_tx(const cJSON *v, const char *message_key)
{
    cJSON *j = cJSON_CreateObject();
    cr_assert_not_null(j, "out of memory in the test");
    cr_assert_not_null(cJSON_AddStringToObject(j, "type", th_str(v, "primaryType")), "type added");
    cr_assert(cJSON_AddItemToObject(j, "message", cJSON_Duplicate(th_get(v, message_key), 1)), "message added");
    cr_assert_not_null(cJSON_AddStringToObject(j, "signature", th_str(th_get(v, "signature"), "serialized")),
                       "signature added");
    return j;
}

static void key_of(uint8_t key[32], int index)
{
    th_hex(key, 32, th_str(cJSON_GetArrayItem(th_get(th_vectors(), "keys"), index), "private_key"));
}

Test(ledger_tx, has_exactly_the_designed_type_table)
{
    static const char *want[] = {
        "Transfer(address to,uint256 amount,uint64 nonce)",
        "PoolCreate(uint32 commissionPpm,uint256 capacity,uint64 nonce)",
        "PoolSetCommission(uint64 pool,uint32 commissionPpm,uint64 nonce)",
        "PoolSetCapacity(uint64 pool,uint256 capacity,uint64 nonce)",
        "PoolSetDescription(uint64 pool,string description,uint64 nonce)",
        "PoolAllowContributor(uint64 pool,address contributor,uint64 nonce)",
        "PoolDisallowContributor(uint64 pool,address contributor,uint64 nonce)",
        "WorkerRegister(bytes quote,address operator,uint64 iterations,uint64 micros,uint64 nonce)",
        "WorkerAdd(uint64 pool,address worker,uint64 nonce)",
        "WorkerRemove(uint64 pool,address worker,uint64 nonce)",
        "WorkerBond(uint64 pool,address worker,uint256 amount,uint64 nonce)",
        "WorkerUnbond(uint64 pool,address worker,uint256 amount,uint64 nonce)",
        "Contribute(uint64 pool,uint256 amount,uint64 nonce)",
        "Withdraw(uint64 pool,uint256 shares,uint64 nonce)",
        "Claim(uint64 pool,uint64 nonce)",
        "WorkerHeartbeat(uint64 epoch,uint32 slot,bytes32 challenge,uint64 iterations,uint64 micros,uint64 nonce)",
        "ChannelOpen(address worker,uint256 deposit,uint64 nonce)",
        "ChannelTopUp(uint64 channel,uint256 amount,uint64 nonce)",
        "ChannelClose(uint64 channel,uint64 nonce)",
        "Voucher(uint64 channel,uint256 cumulative)",
        "VoucherRedeem(uint64 channel,uint256 cumulative,bytes voucherSig,uint64 nonce)",
        "Propose(string track,string title,string body,bytes payload,uint64 nonce)",
        "Vote(uint64 proposal,uint8 support,uint8 conviction,uint64 nonce)",
        "Delegate(address to,uint8 conviction,uint64 nonce)",
        "Undelegate(uint64 nonce)",
        "ProposalCancel(uint64 proposal,uint64 nonce)",
        "ProposalExecute(uint64 proposal,uint64 nonce)",
        "Ballot(uint64 proposal,string choice,uint8 conviction,uint64 nonce)",
        "SecretBallot(uint64 proposal,bytes ciphertext,uint8 conviction,uint64 nonce)",
    };
    unsigned n;
    const ledger_eip712_type *types = ledger_tx_types(&n);
    cr_assert_eq(n, sizeof want / sizeof want[0], "the table has %zu types", sizeof want / sizeof want[0]);
    for (unsigned i = 0; i < n; i++) {
        char buf[256];
        cr_assert_eq(ledger_eip712_encode_type(buf, sizeof buf, &types[i]), ST_OK, "type %u encodes", i);
        cr_assert_str_eq(buf, want[i], "type %u", i);
        cr_assert_eq(ledger_tx_type_find(types[i].name), &types[i], "%s is found by name", types[i].name);
        for (unsigned m = 0; m < types[i].n_members; m++)
            cr_assert_neq(ledger_eip712_type_kind(types[i].members[m].type, NULL), LEDGER_EIP712_UNKNOWN,
                          "%s.%s has a supported type", types[i].name, types[i].members[m].name);
    }
    cr_assert_null(ledger_tx_type_find("transfer"), "names are case-sensitive");
    cr_assert_null(ledger_tx_type_find(""), "the empty name is no type");
    cr_assert_null(ledger_tx_type_find("Vot"), "a type's first letter and a prefix are not its name");
    cr_assert_null(ledger_tx_type_find("Votes"), "nor is a longer name");
}

Test(ledger_tx, table_types_hash_like_the_vectors)
{
    static const char *names[] = { "Vote", "Transfer" };
    for (size_t i = 0; i < 2; i++) {
        const cJSON *vt = th_get(th_get(th_vectors(), "types"), names[i]);
        uint8_t h[32];
        ledger_eip712_type_hash(h, ledger_tx_type_find(names[i]));
        assert_hex(h, 32, th_str(vt, "typeHash"), names[i]);
    }
}

/* The typeHashes kept for the table are its types' own; a type outside the table has none kept. */
Test(ledger_tx, kept_type_hashes_are_the_types_own)
{
    unsigned n;
    const ledger_eip712_type *types = ledger_tx_types(&n);
    for (unsigned i = 0; i < n; i++) {
        uint8_t h[32];
        ledger_eip712_type_hash(h, &types[i]);
        const uint8_t *kept = ledger_tx_type_hash(&types[i]);
        cr_assert(kept && memcmp(kept, h, 32) == 0, "%s's typeHash is kept", types[i].name);
    }
    ledger_eip712_type copy = types[0];
    cr_assert_null(ledger_tx_type_hash(&copy), "a type outside the table has no kept typeHash");
}

Test(ledger_tx, parses_a_signed_transfer)
{
    ledger_tx tx;
    char err[128];
    uint8_t buf[97], id[32], addr[20], sig[65];
    uint64_t nonce = 99;
    mpz_t amount;

    cr_assert_eq(parse_text(&tx, err, sizeof err, GOOD, CHAIN), ST_OK, "the vector transfer parses: %s", err);
    cr_assert_str_eq(tx.type->name, "Transfer", "its type");
    th_assert_addr(tx.signer, KEY0_ADDR, "the signer is key 0");
    char signer_text[LEDGER_ADDR_STRLEN];
    ledger_addr_format(signer_text, tx.signer);
    cr_assert_str_eq(tx.signer_text, signer_text, "the signer's EIP-55 form comes with it");
    assert_hex(tx.digest, 32, DIGEST, "the EIP-712 digest");
    th_hex(sig, 65, SIG);
    cr_assert_arr_eq(tx.sig, sig, 65, "the signature bytes");
    memcpy(buf, tx.digest, 32);
    memcpy(buf + 32, sig, 65);
    ledger_keccak256(id, buf, sizeof buf);
    cr_assert_arr_eq(tx.hash, id, 32, "the id is keccak256(digest || sig)");

    cr_assert_eq(ledger_tx_get_address(&tx, "to", addr), ST_OK, "to is an address");
    th_assert_addr(addr, KEY1_ADDR, "to is key 1");
    mpz_init(amount);
    cr_assert_eq(ledger_tx_get_amount(&tx, "amount", amount), ST_OK, "amount is an amount");
    cr_assert_eq(mpz_cmp_ui(amount, 1000000000000000000u), 0, "amount is 10^18");
    mpz_clear(amount);
    cr_assert_eq(ledger_tx_get_u64(&tx, "nonce", &nonce), ST_OK, "nonce is a u64");
    cr_assert_eq(nonce, 0, "nonce is 0");
    ledger_tx_clear(&tx);
    cr_assert_null(tx.type, "clear zeroes the tx");
    ledger_tx_clear(NULL);
}

Test(ledger_tx, getters_refuse_missing_or_wrongly_typed_members)
{
    ledger_tx tx;
    char err[128];
    uint64_t x;
    uint8_t addr[20];
    const uint8_t *data;
    size_t len;
    cr_assert_eq(parse_text(&tx, err, sizeof err, GOOD, CHAIN), ST_OK, "the vector transfer parses: %s", err);
    cr_assert_eq(ledger_tx_get_u64(&tx, "amount", &x), ST_INVALID, "a uint256 is not a u64");
    cr_assert_eq(ledger_tx_get_u64(&tx, "to", &x), ST_INVALID, "an address is not a u64");
    cr_assert_eq(ledger_tx_get_u64(&tx, "pool", &x), ST_INVALID, "Transfer has no pool");
    cr_assert_eq(ledger_tx_get_address(&tx, "nonce", addr), ST_INVALID, "a nonce is not an address");
    cr_assert_eq(ledger_tx_get_bytes(&tx, "to", &data, &len), ST_INVALID, "an address is not bytes");
    ledger_tx_clear(&tx);
}

Test(ledger_tx, parses_every_vector_of_a_table_type)
{
    const cJSON *v;
    int count = 0;
    cJSON_ArrayForEach(v, th_get(th_vectors(), "signatures")) {
        ledger_tx tx;
        char err[128];
        cJSON *j;
        if (!ledger_tx_type_find(th_str(v, "primaryType")))
            continue;
        j = vector_tx(v, "message");
        cr_assert_eq(ledger_tx_parse(&tx, err, sizeof err, j, CHAIN), ST_OK, "vector %d parses: %s", count, err);
        assert_hex(tx.digest, 32, th_str(v, "digest"), "the digest");
        th_assert_addr(tx.signer, th_str(v, "signer"), "the signer");
        ledger_tx_clear(&tx);
        cJSON_Delete(j);
        count++;
    }
    cr_assert_eq(count, 20, "the 20 Vote and Transfer vectors ran");
}

struct refusal {
    const char *json;
    int rc;
    const char *err;
};

static const struct refusal refuses_malformed_transactions_cases[] = {
    { "[]", ST_INVALID, "transaction: not a JSON object" },
    { "{\"type\":\"Transfer\",\"message\":{" TO "," AMOUNT "," NONCE "},\"signature\":\"" SIG "\",\"memo\":1}",
      ST_INVALID, "memo: unexpected member" },
    { "{\"type\":\"Transfer\",\"type\":\"Transfer\",\"message\":{},\"signature\":\"\"}", ST_INVALID,
      "type: duplicate member" },
    { TRANSFER(TO "," AMOUNT "," NONCE ",\"fee\":\"1\"", "\"" SIG "\""), ST_INVALID,
      "message.fee: unexpected member for Transfer" },
    { TRANSFER(TO "," AMOUNT, "\"" SIG "\""), ST_INVALID, "message.nonce: missing" },
    { TRANSFER(TO "," AMOUNT "," NONCE "," NONCE, "\"" SIG "\""), ST_INVALID, "message.nonce: duplicate member" },
    { "{\"type\":\"Transfer\",\"message\":{" TO "," AMOUNT "," NONCE "}}", ST_INVALID, "signature: missing" },
    { "{\"message\":{},\"signature\":\"" SIG "\"}", ST_INVALID, "type: missing" },
    { "{\"type\":7,\"message\":{},\"signature\":\"" SIG "\"}", ST_INVALID, "type: not a string" },
    { "{\"type\":\"Foo\",\"message\":{},\"signature\":\"" SIG "\"}", ST_DISABLED,
      "type: unknown transaction type \"Foo\"" },
    { "{\"type\":\"Transfer\",\"message\":[],\"signature\":\"" SIG "\"}", ST_INVALID, "message: not an object" },
    { TRANSFER(TO ",\"amount\":1," NONCE, "\"" SIG "\""), ST_INVALID, "message.amount: not a string" },
    { TRANSFER(TO ",\"amount\":\"-1\"," NONCE, "\"" SIG "\""), ST_INVALID,
      "message.amount: not a canonical decimal amount" },
    { TRANSFER(TO ",\"amount\":\"01\"," NONCE, "\"" SIG "\""), ST_INVALID,
      "message.amount: not a canonical decimal amount" },
    { TRANSFER(TO ",\"amount\":\"1.0\"," NONCE, "\"" SIG "\""), ST_INVALID,
      "message.amount: not a canonical decimal amount" },
    { TRANSFER(TO ",\"amount\":\"115792089237316195423570985008687907853269984665640564039457584007913129639936\","
               NONCE, "\"" SIG "\""), ST_OVERFLOW, "message.amount: out of range for uint256" },
    { TRANSFER("\"to\":\"0x508218a8\"," AMOUNT "," NONCE, "\"" SIG "\""), ST_INVALID,
      "message.to: not an address (0x and 40 hex digits)" },
    { TRANSFER(TO "," AMOUNT ",\"nonce\":9007199254740992", "\"" SIG "\""), ST_INVALID,
      "message.nonce: not an exact integer in [0, 2^53)" },
    { TRANSFER(TO "," AMOUNT ",\"nonce\":5.5", "\"" SIG "\""), ST_INVALID,
      "message.nonce: not an exact integer in [0, 2^53)" },
    { TRANSFER(TO "," AMOUNT ",\"nonce\":-1", "\"" SIG "\""), ST_INVALID,
      "message.nonce: not an exact integer in [0, 2^53)" },
    { TRANSFER(TO "," AMOUNT ",\"nonce\":true", "\"" SIG "\""), ST_INVALID,
      "message.nonce: not a decimal string or integer" },
    { TRANSFER(TO "," AMOUNT ",\"nonce\":\"18446744073709551616\"", "\"" SIG "\""), ST_OVERFLOW,
      "message.nonce: out of range for uint64" },
    { TRANSFER(TO "," AMOUNT "," NONCE, "\"0x00\""), ST_CRYPTO, "signature: not 0x and 130 hex digits" },
    { TRANSFER(TO "," AMOUNT "," NONCE, "\"" SIG "0\""), ST_CRYPTO, "signature: not 0x and 130 hex digits" },
    { TRANSFER(TO "," AMOUNT "," NONCE,
               "\"0x9d92149c4d0a848aa250d86359037249bc54395b3f3a4c96d9ca0242abbbb63d"
               "229798dfa1ac57578194c330fa6e567521fc1fd89a519cd89216b667ba5aeb5f1\""),
      ST_CRYPTO, "signature: not 0x and 130 hex digits" },
    { TRANSFER(TO "," AMOUNT "," NONCE, "1"), ST_CRYPTO, "signature: not 0x and 130 hex digits" },
    { TRANSFER(TO "," AMOUNT "," NONCE,
               "\"0x9d92149c4d0a848aa250d86359037249bc54395b3f3a4c96d9ca0242abbbb63d"
               "229798dfa1ac57578194c330fa6e567521fc1fd89a519cd89216b667ba5aeb5f1d\""),
      ST_CRYPTO, "signature: v is not 27, 28, 0 or 1" },
};

TH_TABLE_PARAMETERS(ledger_tx, refuses_malformed_transactions, refuses_malformed_transactions_cases)

ParameterizedTest(int *i, ledger_tx, refuses_malformed_transactions)
{
    const struct refusal *c = &refuses_malformed_transactions_cases[*i];
    ledger_tx tx;
    char err[128];
    cr_assert_eq(parse_text(&tx, err, sizeof err, c->json, CHAIN), c->rc, "%s must give %s (got: %s)", c->json,
                 st_str(c->rc), err);
    cr_assert_str_eq(err, c->err, "the error names the member");
    cr_assert_null(tx.type, "tx is cleared on failure");
}

Test(ledger_tx, v_as_0_or_1_is_the_same_transaction_as_27_or_28)
{
    ledger_tx canonical, twin;
    char err[128];
    cr_assert_eq(parse_text(&canonical, err, sizeof err, GOOD, CHAIN), ST_OK, "v = 28 parses: %s", err);
    cr_assert_eq(parse_text(&twin, err, sizeof err, TRANSFER(TO "," AMOUNT "," NONCE, "\"" SIG_V1 "\""), CHAIN), ST_OK,
                 "v = 1 parses: %s", err);
    cr_assert_arr_eq(twin.signer, canonical.signer, 20, "the same signer");
    cr_assert_arr_eq(twin.sig, canonical.sig, 65, "v is kept as 27 or 28");
    cr_assert_arr_eq(twin.hash, canonical.hash, 32, "one id for one signed intent");
    cJSON *j = ledger_tx_to_json(&twin);
    cr_assert_str_eq(th_str(j, "signature"), SIG, "the JSON form writes v as 28");
    cJSON_Delete(j);
    ledger_tx_clear(&canonical);
    ledger_tx_clear(&twin);
}

Test(ledger_tx, refuses_the_high_s_vector)
{
    const cJSON *nc = cJSON_GetArrayItem(th_get(th_vectors(), "negative_cases"), 1);
    cJSON *j = vector_tx(nc, "presented_message");
    ledger_tx tx;
    char err[128];
    cr_assert_eq(ledger_tx_parse(&tx, err, sizeof err, j, CHAIN), ST_CRYPTO, "a high-s signature is refused");
    cr_assert_str_eq(err, "signature: s is not canonical (high s)", "the error says why");
    cJSON_Delete(j);
}

/* Negative case i's presented message, parsed on chain, is well formed and signed by the address
 * at its signer_key. */
static void expect_presented_signer(int i, uint64_t chain, const char *signer_key, const char *what)
{
    const cJSON *nc = cJSON_GetArrayItem(th_get(th_vectors(), "negative_cases"), i);
    cJSON *j = vector_tx(nc, "presented_message");
    ledger_tx tx;
    char err[128];
    cr_assert_eq(ledger_tx_parse(&tx, err, sizeof err, j, chain), ST_OK, "%s: well formed: %s", what, err);
    th_assert_addr(tx.signer, th_str(nc, signer_key), what);
    ledger_tx_clear(&tx);
    cJSON_Delete(j);
}

Test(ledger_tx, recovers_another_signer_for_a_tampered_message)
{
    expect_presented_signer(0, CHAIN, "recovered_address_for_presented_message", "the tampered vote: another key recovers");
}

Test(ledger_tx, binds_the_chain_id)
{
    expect_presented_signer(2, CHAIN, "recovered_address_under_service_domain", "on 31337 another key recovers");
    expect_presented_signer(2, 1, "claimed_signer", "on chain 1 the signer recovers");
    expect_presented_signer(2, CHAIN, "recovered_address_under_service_domain", "the cached domain follows the chain");
}

Test(ledger_tx, accepts_small_uints_as_exact_json_numbers)
{
    static const struct { const char *text; double number; } cases[] = {
        { "5", 5 }, { "0", 0 }, { "9007199254740991", 9007199254740991.0 },
    };
    uint8_t key[32];
    key_of(key, 1);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ledger_tx built, parsed;
        char err[128];
        cJSON *msg = cJSON_Parse("{\"pool\":\"3\",\"nonce\":\"0\"}"), *j;
        cJSON_ReplaceItemInObject(msg, "nonce", cJSON_CreateString(cases[i].text));
        cr_assert_eq(ledger_tx_build_signed(&built, err, sizeof err, "Claim", msg, key, CHAIN), ST_OK,
                     "Claim builds: %s", err);
        j = ledger_tx_to_json(&built);
        cr_assert_not_null(j, "to_json");
        cJSON_ReplaceItemInObject(cJSON_GetObjectItem(j, "message"), "nonce", cJSON_CreateNumber(cases[i].number));
        cJSON_ReplaceItemInObject(cJSON_GetObjectItem(j, "message"), "pool", cJSON_CreateNumber(3));
        cr_assert_eq(ledger_tx_parse(&parsed, err, sizeof err, j, CHAIN), ST_OK, "nonce %s as a number: %s",
                     cases[i].text, err);
        cr_assert_arr_eq(parsed.hash, built.hash, 32, "the number %s means the same as the string", cases[i].text);
        ledger_tx_clear(&parsed);
        ledger_tx_clear(&built);
        cJSON_Delete(j);
        cJSON_Delete(msg);
    }
}

Test(ledger_tx, round_trips_build_json_parse)
{
    static const struct { const char *type; const char *message; } cases[] = {
        { "Transfer", "{\"to\":\"0x06637892c01b74ba15ee28b2bed98f8807797788\",\"amount\":\"7\",\"nonce\":\"3\"}" },
        { "Propose", "{\"track\":\"root\",\"title\":\"Raise quorum \\u00e9\",\"body\":\"\",\"payload\":\"0xABCD\","
                     "\"nonce\":\"12\"}" },
        { "Voucher", "{\"channel\":\"9\",\"cumulative\":\"115792089237316195423570985008687907853269984665640564039457584007913129639935\"}" },
        { "Vote", "{\"proposal\":\"1\",\"support\":\"255\",\"conviction\":\"6\",\"nonce\":18}" },
    };
    uint8_t key[32];
    key_of(key, 2);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ledger_tx built, parsed;
        char err[128];
        cJSON *msg = cJSON_Parse(cases[i].message), *j;
        cr_assert_not_null(msg, "test message parses");
        cr_assert_eq(ledger_tx_build_signed(&built, err, sizeof err, cases[i].type, msg, key, CHAIN), ST_OK,
                     "%s builds: %s", cases[i].type, err);
        th_assert_addr(built.signer, "0x06637892C01B74BA15Ee28b2BeD98F8807797788", "the builder's signer is key 2");
        j = ledger_tx_to_json(&built);
        cr_assert_not_null(j, "to_json");
        cr_assert_eq(ledger_tx_parse(&parsed, err, sizeof err, j, CHAIN), ST_OK, "%s parses back: %s",
                     cases[i].type, err);
        cr_assert_arr_eq(parsed.hash, built.hash, 32, "%s: the same id", cases[i].type);
        cr_assert_arr_eq(parsed.signer, built.signer, 20, "%s: the same signer", cases[i].type);
        ledger_tx_clear(&parsed);
        ledger_tx_clear(&built);
        cJSON_Delete(j);
        cJSON_Delete(msg);
    }
}

/* ledger_tx_serialize writes what cJSON prints of ledger_tx_to_json: every kind of member, uints
 * on both sides of 2^64, and strings cJSON escapes. */
static const char *const serialized_cases[][2] = {
    { "Transfer", "{\"to\":\"0x70997970c51812dc3a010c7d01b50e0d17dc79c8\",\"amount\":\"0\",\"nonce\":0}" },
    { "Transfer", "{\"to\":\"0x70997970c51812dc3a010c7d01b50e0d17dc79c8\",\"amount\":\"18446744073709551615\",\"nonce\":7}" },
    { "Transfer", "{\"to\":\"0x70997970c51812dc3a010c7d01b50e0d17dc79c8\",\"amount\":\"18446744073709551616\",\"nonce\":\"18446744073709551615\"}" },
    { "Transfer", "{\"to\":\"0x70997970c51812dc3a010c7d01b50e0d17dc79c8\",\"amount\":"
                  "\"115792089237316195423570985008687907853269984665640564039457584007913129639935\",\"nonce\":1}" },
    { "Propose", "{\"track\":\"root\",\"title\":\"a \\\"quoted\\\" \\\\ title\\n\\t\\u0001\",\"body\":\"\\u00e9t\\u00e9 \\ud83d\\ude00 /\","
                 "\"payload\":\"0x00ff\",\"nonce\":2}" },
    { "Ballot", "{\"proposal\":3,\"choice\":\"[1,2]\",\"conviction\":6,\"nonce\":4}" },
    { "WorkerHeartbeat", "{\"epoch\":1,\"slot\":4294967295,\"challenge\":\"0x" "00112233445566778899aabbccddeeff"
                         "00112233445566778899aabbccddeeff\",\"iterations\":5,\"micros\":6,\"nonce\":9}" },
    { "VoucherRedeem", "{\"channel\":1,\"cumulative\":\"5\",\"voucherSig\":\"0x0102\",\"nonce\":3}" },
    { "Undelegate", "{\"nonce\":8}" },
};

Test(ledger_tx, serializes_as_cjson_prints_its_json_form)
{
    uint8_t key[32];
    key_of(key, 0);
    for (size_t i = 0; i < sizeof serialized_cases / sizeof serialized_cases[0]; i++) {
        ledger_tx tx;
        char err[128];
        cJSON *msg = cJSON_Parse(serialized_cases[i][1]);
        cr_assert_not_null(msg, "case %zu parses", i);
        cr_assert_eq(ledger_tx_build_signed(&tx, err, sizeof err, serialized_cases[i][0], msg, key, CHAIN), ST_OK,
                     "case %zu builds: %s", i, err);
        cJSON *j = ledger_tx_to_json(&tx);
        char *want = j ? cJSON_PrintUnformatted(j) : NULL, *have = ledger_tx_serialize(&tx);
        cr_assert(want && have, "out of memory");
        cr_assert_str_eq(have, want, "case %zu: %s, cJSON prints %s", i, have, want);
        cJSON_free(want);
        cJSON_free(have);
        cJSON_Delete(j);
        cJSON_Delete(msg);
        ledger_tx_clear(&tx);
    }
}

/* Texts around and well past the serializer's first buffer (512 bytes) come out whole: a Propose
 * whose body makes the whole text from a few hundred bytes to several kilobytes. */
Test(ledger_tx, serializes_texts_past_its_first_buffer)
{
    static const size_t body_lens[] = { 1, 200, 230, 240, 250, 260, 300, 600, 1500, 5000 };
    uint8_t key[32];
    key_of(key, 0);
    for (size_t i = 0; i < sizeof body_lens / sizeof body_lens[0]; i++) {
        ledger_tx tx;
        char err[128], *body = malloc(body_lens[i] + 1);
        cr_assert_not_null(body, "out of memory");
        for (size_t k = 0; k < body_lens[i]; k++)
            body[k] = (char)('a' + k % 26);
        body[body_lens[i]] = '\0';
        cJSON *msg = cJSON_CreateObject();
        cr_assert(msg && cJSON_AddStringToObject(msg, "track", "root") && cJSON_AddStringToObject(msg, "title", "t")
                  && cJSON_AddStringToObject(msg, "body", body) && cJSON_AddStringToObject(msg, "payload", "0x")
                  && cJSON_AddNumberToObject(msg, "nonce", 1), "out of memory");
        cr_assert_eq(ledger_tx_build_signed(&tx, err, sizeof err, "Propose", msg, key, CHAIN), ST_OK,
                     "a body of %zu bytes builds: %s", body_lens[i], err);
        cJSON *j = ledger_tx_to_json(&tx);
        char *want = j ? cJSON_PrintUnformatted(j) : NULL, *have = ledger_tx_serialize(&tx);
        cr_assert(want && have, "out of memory");
        cr_assert_str_eq(have, want, "a body of %zu bytes (a text of %zu)", body_lens[i], strlen(want));
        cJSON_free(want);
        cJSON_free(have);
        cJSON_Delete(j);
        cJSON_Delete(msg);
        free(body);
        ledger_tx_clear(&tx);
    }
}

/* The events' text (ledger_events_take) is byte for byte what cJSON_PrintUnformatted prints of the
 * same events built as a tree: every kind of member, keys and strings that need each escape, numbers
 * on both sides of what %1.15g holds (NaN and infinities as null), arrays of amounts, a text past the
 * first buffer; events dropped after a mark go without a trace; no events print as []. */
Test(ledger_tx, events_are_written_as_cjson_prints_them)
{
    static const double numbers[] = { 0, -0.0, 1, 42, 4294967295.0, 999999999999999, 1e15, 9007199254740993.0,
                                      -7, 1.5, -2.25, 0.1, 1e-7, 1e300, -1e-300, 123456789.123456789, NAN, -INFINITY };
    static const char *const keys[] = { "n0", "n1", "n2", "n3", "n4", "n5", "n6", "n7", "n8", "n9", "n10", "n11",
                                        "n12", "n13", "n14", "n15", "n16", "n17" };
    static const char escapes[] = "quote \" backslash \\ slash / \b\f\n\r\t \x01\x1f\x0b \x7f \xc3\xa9 \xe2\x9c\x93";
    char long_text[3000];
    for (size_t i = 0; i < sizeof long_text - 1; i++)
        long_text[i] = (char)(i % 7 == 0 ? '\n' : 'a' + i % 26);
    long_text[sizeof long_text - 1] = '\0';
    uint8_t addr[20];
    for (int i = 0; i < 20; i++)
        addr[i] = (uint8_t)(0x11 * i);
    char addr_text[LEDGER_ADDR_STRLEN];
    ledger_addr_format(addr_text, addr);
    mpz_t amounts[3];
    mpz_init_set_ui(amounts[0], 0);
    mpz_init_set_str(amounts[1], "115792089237316195423570985008687907853269984665640564039457584007913129639935", 10);
    mpz_init_set_str(amounts[2], "1000000000000000000000000000000000000000000000000000000000000000000000000000000000", 10);

    ledger_receipt r = { 0 };
    cJSON *tree = cJSON_CreateArray(), *ev = cJSON_CreateObject(), *scores = cJSON_CreateArray();
    cr_assert(tree && ev && scores, "memory");
    char *empty = ledger_events_take(&r);
    cr_assert_str_eq(empty, "[]", "no events");
    free(empty);

    ledger_ev *w = ledger_event(&r, "Kinds");
    cr_assert(w && ledger_event_address(w, "from", addr) && ledger_event_amount(w, "amount", amounts[1])
                  && ledger_event_string(w, escapes, escapes) && ledger_event_bool(w, "yes", true)
                  && ledger_event_bool(w, "no", false) && ledger_event_null(w, "none")
                  && ledger_event_amounts(w, "scores", (const mpz_t *)amounts, 3) && ledger_event_amounts(w, "nothing", NULL, 0),
              "written");
    cJSON_AddStringToObject(ev, "type", "Kinds");
    cJSON_AddStringToObject(ev, "from", addr_text);
    cJSON_AddStringToObject(ev, "amount", "115792089237316195423570985008687907853269984665640564039457584007913129639935");
    cJSON_AddStringToObject(ev, escapes, escapes);
    cJSON_AddTrueToObject(ev, "yes");
    cJSON_AddFalseToObject(ev, "no");
    cJSON_AddNullToObject(ev, "none");
    for (int i = 0; i < 3; i++) {
        char *text = mpz_get_str(NULL, 10, amounts[i]);
        cJSON_AddItemToArray(scores, cJSON_CreateString(text));
        free(text);
    }
    cJSON_AddItemToObject(ev, "scores", scores);
    cJSON_AddArrayToObject(ev, "nothing");
    cJSON_AddItemToArray(tree, ev);

    w = ledger_event(&r, "Numbers");
    ev = cJSON_CreateObject();
    cJSON_AddStringToObject(ev, "type", "Numbers");
    for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++) {
        cr_assert(w && ledger_event_number(w, keys[i], numbers[i]), "number %zu", i);
        cJSON_AddNumberToObject(ev, keys[i], numbers[i]);
    }
    cJSON_AddItemToArray(tree, ev);

    size_t mark = ledger_events_mark(&r);
    w = ledger_event(&r, "Dropped");
    cr_assert(w && ledger_event_string(w, "text", "gone"), "written");
    ledger_events_truncate(&r, mark);

    w = ledger_event(&r, "Long");
    cr_assert(w && ledger_event_string(w, "text", long_text) && ledger_event_number(w, "n", 7), "written");
    ev = cJSON_CreateObject();
    cJSON_AddStringToObject(ev, "type", "Long");
    cJSON_AddStringToObject(ev, "text", long_text);
    cJSON_AddNumberToObject(ev, "n", 7);
    cJSON_AddItemToArray(tree, ev);
    cJSON_AddItemToArray(tree, cJSON_CreateObject());
    cJSON_AddStringToObject(cJSON_GetArrayItem(tree, 3), "type", "Bare");
    cr_assert_not_null(ledger_event(&r, "Bare"), "an event of its type alone");

    char *written = ledger_events_take(&r), *printed = cJSON_PrintUnformatted(tree);
    cr_assert(written && printed, "memory");
    cr_assert_str_eq(written, printed, "written as cJSON prints");
    char *again = ledger_events_take(&r);
    cr_assert_str_eq(again, "[]", "taking the text empties the events");
    free(again);
    free(written);
    cJSON_free(printed);
    cJSON_Delete(tree);
    ledger_receipt_clear(&r);
    for (int i = 0; i < 3; i++)
        mpz_clear(amounts[i]);
}

Test(ledger_tx, writes_canonical_json)
{
    uint8_t key[32];
    ledger_tx tx;
    char err[128], *text;
    const uint8_t *data;
    size_t len;
    cJSON *msg = cJSON_Parse("{\"nonce\":4,\"payload\":\"0xABCD\",\"body\":\"b\",\"title\":\"t\",\"track\":\"x\"}");
    cJSON *j;
    key_of(key, 0);
    cr_assert_eq(ledger_tx_build_signed(&tx, err, sizeof err, "Propose", msg, key, CHAIN), ST_OK, "builds: %s", err);
    cr_assert_eq(ledger_tx_get_bytes(&tx, "payload", &data, &len), ST_OK, "payload is bytes");
    cr_assert_eq(len, 2, "two payload bytes");
    cr_assert_eq(data[0], 0xab, "first payload byte");
    cr_assert_eq(ledger_tx_get_bytes(&tx, "title", &data, &len), ST_OK, "title is a string");
    cr_assert_eq(len, 1, "one title byte");
    cr_assert_eq(data[0], 't', "the title text");
    j = ledger_tx_message_to_json(&tx);
    cr_assert_not_null(j, "message_to_json");
    text = cJSON_PrintUnformatted(j);
    cr_assert_str_eq(text, "{\"track\":\"x\",\"title\":\"t\",\"body\":\"b\",\"payload\":\"0xabcd\",\"nonce\":\"4\"}",
                     "members in type order, canonical strings");
    cJSON_free(text);
    cJSON_Delete(j);
    ledger_tx_clear(&tx);
    cJSON_Delete(msg);
}

Test(ledger_tx, build_refuses_bad_input_with_a_reason)
{
    uint8_t key[32] = { 0 };
    ledger_tx tx;
    char err[128];
    cJSON *msg = cJSON_Parse("{\"pool\":\"3\",\"nonce\":\"0\"}");
    cr_assert_eq(ledger_tx_build_signed(&tx, err, sizeof err, "Claim", msg, key, CHAIN), ST_CRYPTO,
                 "the zero key cannot sign");
    cr_assert_str_eq(err, "key: not a valid secret key", "the error names the key");
    cr_assert_null(tx.type, "tx is cleared");
    key_of(key, 0);
    cr_assert_eq(ledger_tx_build_signed(&tx, err, sizeof err, "Claim\n", msg, key, CHAIN), ST_DISABLED,
                 "unknown type");
    cr_assert_str_eq(err, "type: unknown transaction type \"?\"", "unprintable names are not echoed");
    cr_assert_eq(ledger_tx_build_signed(&tx, err, sizeof err, "ChannelClose", msg, key, CHAIN), ST_INVALID,
                 "the message lacks channel");
    cr_assert_str_eq(err, "message.pool: unexpected member for ChannelClose", "the error names the member");
    cr_assert_eq(ledger_tx_build_signed(&tx, err, 0, "Claim", msg, key, CHAIN), ST_INVALID,
                 "no room for the error is a caller bug");
    cJSON_Delete(msg);
}

Test(ledger_tx, truncates_long_errors_to_the_buffer)
{
    ledger_tx tx;
    char err[8];
    cr_assert_eq(parse_text(&tx, err, sizeof err, "[]", CHAIN), ST_INVALID, "an array is not a transaction");
    cr_assert_str_eq(err, "transac", "the error is cut to the buffer, NUL-terminated");
}
