/* SPDX-License-Identifier: MIT */
/* test_eip712.c: the generic EIP-712 encoder against tests/vectors/eip712.json. Each vector's own
 * type list drives the encoder (no hand-written hashing), and every type, domain (also the one with
 * verifyingContract), signature and negative case must reproduce. Also the value parsers. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>
#include "ledger/eip712.h"
#include "ledger/hex.h"
#include "ledger/sig.h"
#include "tests/lib/testhelp.h"

/* Criterion runs each parameter in a fresh process where pointers into this binary's static data
 * are not valid, so parameters are indices (in cr_malloc'd memory) into the file's case tables. */
static void assert_hex(const uint8_t *got, size_t n, const char *want, const char *what)
{
    char *hex = malloc(2 * n + 3);
    cr_assert_not_null(hex, "out of memory in the test");
    ledger_hex_encode(hex, got, n);
    cr_assert_str_eq(hex, want, "%s", what);
    free(hex);
}

/* A type from a vector's [{name, type}, ...] list; names are borrowed from the vectors. */
static void type_from_fields(ledger_eip712_type *t, const char *name, const cJSON *fields)
{
    const cJSON *f;
    memset(t, 0, sizeof *t);
    t->name = name;
    cJSON_ArrayForEach(f, fields) {
        cr_assert_lt(t->n_members, LEDGER_EIP712_MAX_MEMBERS, "type %s fits the member limit", name);
        t->members[t->n_members].name = th_str(f, "name");
        t->members[t->n_members].type = th_str(f, "type");
        t->n_members++;
    }
}

static void values_from_message(ledger_eip712_value *v, const ledger_eip712_type *t, const cJSON *msg)
{
    for (unsigned i = 0; i < t->n_members; i++) {
        const char *text = th_str(msg, t->members[i].name);
        cr_assert_eq(ledger_eip712_value_parse(&v[i], t->members[i].type, text, strlen(text)), ST_OK,
                     "%s.%s = \"%s\" parses as %s", t->name, t->members[i].name, text, t->members[i].type);
    }
}

static void clear_values(ledger_eip712_value *v)
{
    for (unsigned i = 0; i < LEDGER_EIP712_MAX_MEMBERS; i++)
        ledger_eip712_value_clear(&v[i]);
}

static uint64_t chain_of(const cJSON *domain)
{
    const cJSON *c = th_get(domain, "chainId");
    cr_assert(cJSON_IsNumber(c), "chainId is a number");
    return (uint64_t)c->valuedouble;
}

/* The digest of msg of type primary (from the types object) under domain. */
static void message_digest(uint8_t digest[32], const cJSON *types, const char *primary, const cJSON *msg,
                           const cJSON *domain)
{
    ledger_eip712_type t;
    ledger_eip712_value v[LEDGER_EIP712_MAX_MEMBERS] = { 0 };
    uint8_t sh[32], sep[32];
    type_from_fields(&t, primary, th_get(types, primary));
    values_from_message(v, &t, msg);
    ledger_eip712_struct_hash(sh, &t, v);
    ledger_eip712_domain_separator(sep, th_str(domain, "name"), th_str(domain, "version"), chain_of(domain));
    ledger_eip712_digest(digest, sep, sh);
    clear_values(v);
}

static void recover(uint8_t addr[20], const uint8_t digest[32], const cJSON *signature)
{
    uint8_t sig[65];
    th_hex(sig, 65, th_str(signature, "serialized"));
    cr_assert_eq(ledger_sig_recover(addr, digest, sig), ST_OK, "the signature recovers some key");
}

Test(ledger_eip712, classifies_member_types)
{
    static const struct { const char *type; ledger_eip712_kind kind; unsigned size; } cases[] = {
        { "uint8", LEDGER_EIP712_UINT, 8 }, { "uint64", LEDGER_EIP712_UINT, 64 },
        { "uint256", LEDGER_EIP712_UINT, 256 }, { "uint136", LEDGER_EIP712_UINT, 136 },
        { "address", LEDGER_EIP712_ADDRESS, 0 }, { "bool", LEDGER_EIP712_BOOL, 0 },
        { "bytes1", LEDGER_EIP712_FIXED_BYTES, 1 }, { "bytes32", LEDGER_EIP712_FIXED_BYTES, 32 },
        { "string", LEDGER_EIP712_STRING, 0 }, { "bytes", LEDGER_EIP712_BYTES, 0 },
        { "uint", LEDGER_EIP712_UNKNOWN, 0 }, { "uint0", LEDGER_EIP712_UNKNOWN, 0 },
        { "uint7", LEDGER_EIP712_UNKNOWN, 0 }, { "uint264", LEDGER_EIP712_UNKNOWN, 0 },
        { "uint064", LEDGER_EIP712_UNKNOWN, 0 }, { "uint99999999999", LEDGER_EIP712_UNKNOWN, 0 },
        { "int256", LEDGER_EIP712_UNKNOWN, 0 }, { "bytes0", LEDGER_EIP712_UNKNOWN, 0 },
        { "bytes33", LEDGER_EIP712_UNKNOWN, 0 }, { "Address", LEDGER_EIP712_UNKNOWN, 0 },
        { "string[]", LEDGER_EIP712_UNKNOWN, 0 }, { "", LEDGER_EIP712_UNKNOWN, 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unsigned size = 99;
        cr_assert_eq(ledger_eip712_type_kind(cases[i].type, &size), cases[i].kind, "kind of \"%s\"", cases[i].type);
        cr_assert_eq(size, cases[i].size, "size of \"%s\"", cases[i].type);
    }
}

Test(ledger_eip712, reproduces_every_vector_type)
{
    const cJSON *ty;
    int count = 0;
    cJSON_ArrayForEach(ty, th_get(th_vectors(), "types")) {
        ledger_eip712_type t;
        char buf[256];
        uint8_t h[32];
        type_from_fields(&t, ty->string, th_get(ty, "fields"));
        cr_assert_eq(ledger_eip712_encode_type(buf, sizeof buf, &t), ST_OK, "%s encodes", ty->string);
        cr_assert_str_eq(buf, th_str(ty, "encodeType"), "encodeType of %s", ty->string);
        ledger_eip712_type_hash(h, &t);
        assert_hex(h, 32, th_str(ty, "typeHash"), "typeHash");
        count++;
    }
    cr_assert_eq(count, 3, "Vote, Transfer and Proposal ran");
}

Test(ledger_eip712, reproduces_every_vector_domain)
{
    const cJSON *d;
    int count = 0;
    cJSON_ArrayForEach(d, th_get(th_vectors(), "domains")) {
        const cJSON *dom = th_get(d, "domain"), *m;
        ledger_eip712_type t = { .name = "EIP712Domain" };
        ledger_eip712_value v[LEDGER_EIP712_MAX_MEMBERS] = { 0 };
        uint8_t enc[32 * (LEDGER_EIP712_MAX_MEMBERS + 1)], h[32];
        char buf[256];
        /* The domain type lists exactly the fields present, in the standard order. */
        cJSON_ArrayForEach(m, dom) {
            ledger_eip712_member *mem = &t.members[t.n_members];
            ledger_eip712_value *val = &v[t.n_members++];
            mem->name = m->string;
            if (strcmp(m->string, "chainId") == 0) {
                mem->type = "uint256";
                cr_assert_eq(ledger_eip712_value_set_u64(val, mem->type, chain_of(dom)), ST_OK, "chainId is set");
                continue;
            }
            mem->type = strcmp(m->string, "verifyingContract") == 0 ? "address" : "string";
            cr_assert_eq(ledger_eip712_value_parse(val, mem->type, m->valuestring, strlen(m->valuestring)), ST_OK,
                         "domain member %s parses", m->string);
        }
        cr_assert_eq(ledger_eip712_encode_type(buf, sizeof buf, &t), ST_OK, "%s encodes", d->string);
        cr_assert_str_eq(buf, th_str(d, "encodeType"), "encodeType of %s", d->string);
        ledger_eip712_type_hash(h, &t);
        assert_hex(h, 32, th_str(d, "typeHash"), "domain typeHash");
        ledger_eip712_encode_data(enc, &t, v);
        assert_hex(enc, 32 * (t.n_members + 1), th_str(d, "encodeData"), "domain encodeData");
        ledger_eip712_struct_hash(h, &t, v);
        assert_hex(h, 32, th_str(d, "domainSeparator"), "domain separator through the generic encoder");
        if (t.n_members == 3) {
            ledger_eip712_domain_separator(h, th_str(dom, "name"), th_str(dom, "version"), chain_of(dom));
            assert_hex(h, 32, th_str(d, "domainSeparator"), "domain separator through the shortcut");
        }
        clear_values(v);
        count++;
    }
    cr_assert_eq(count, 3, "all three domains ran");
}

ParameterizedTestParameters(ledger_eip712, reproduces_signature_vector)
{
    const cJSON *sigs = cJSON_GetObjectItemCaseSensitive(th_vectors(), "signatures");
    return th_indices((size_t)cJSON_GetArraySize(sigs));
}

ParameterizedTest(int *i, ledger_eip712, reproduces_signature_vector)
{
    const cJSON *sv = cJSON_GetArrayItem(th_get(th_vectors(), "signatures"), *i);
    const cJSON *key = cJSON_GetArrayItem(th_get(th_vectors(), "keys"), th_get(sv, "signer_key_index")->valueint);
    const cJSON *dom = th_get(sv, "domain"), *signature = th_get(sv, "signature");
    const char *primary = th_str(sv, "primaryType");
    ledger_eip712_type t;
    ledger_eip712_value v[LEDGER_EIP712_MAX_MEMBERS] = { 0 };
    uint8_t enc[32 * (LEDGER_EIP712_MAX_MEMBERS + 1)], sh[32], sep[32], digest[32], priv[32], sig[65], addr[20];

    type_from_fields(&t, primary, th_get(th_get(sv, "types"), primary));
    values_from_message(v, &t, th_get(sv, "message"));
    ledger_eip712_encode_data(enc, &t, v);
    assert_hex(enc, 32 * (t.n_members + 1), th_str(sv, "encodeData"), "encodeData");
    ledger_eip712_struct_hash(sh, &t, v);
    assert_hex(sh, 32, th_str(sv, "structHash"), "structHash");
    ledger_eip712_domain_separator(sep, th_str(dom, "name"), th_str(dom, "version"), chain_of(dom));
    assert_hex(sep, 32, th_str(sv, "domainSeparator"), "domainSeparator");
    ledger_eip712_digest(digest, sep, sh);
    assert_hex(digest, 32, th_str(sv, "digest"), "digest");

    th_hex(priv, 32, th_str(key, "private_key"));
    cr_assert_eq(ledger_sig_sign(sig, digest, priv), ST_OK, "the vector key signs");
    assert_hex(sig, 65, th_str(signature, "serialized"), "the RFC 6979 signature, byte for byte");
    cr_assert_eq(sig[64], th_get(signature, "v")->valueint, "v matches");
    cr_assert_eq(ledger_sig_recover(addr, digest, sig), ST_OK, "the signature recovers");
    th_assert_addr(addr, th_str(sv, "signer"), "the recovered signer");

    for (unsigned m = 0; m < t.n_members; m++) {
        char *text = ledger_eip712_value_format(&v[m], t.members[m].type);
        cr_assert_not_null(text, "formatting %s", t.members[m].name);
        cr_assert_str_eq(text, th_str(th_get(sv, "message"), t.members[m].name), "%s formats back canonically",
                         t.members[m].name);
        free(text);
    }
    clear_values(v);
}

/* Negative case i of the vectors, which must be the one named name. */
static const cJSON *negative_case(int i, const char *name)
{
    const cJSON *nc = cJSON_GetArrayItem(th_get(th_vectors(), "negative_cases"), i);
    cr_assert_str_eq(th_str(nc, "name"), name, "negative case %d is %s", i, name);
    return nc;
}

/* nc's signature over message under domain: the digest is nc's digest_key and it recovers the
 * address at nc's signer_key, which, unless that is claimed_signer, is not the claimed signer. */
static void expect_signature_recovers(const cJSON *nc, const cJSON *message, const cJSON *domain, const char *digest_key,
                                      const char *signer_key, const char *what)
{
    uint8_t digest[32], addr[20];
    char s[LEDGER_ADDR_STRLEN];
    message_digest(digest, th_get(nc, "types"), th_str(nc, "primaryType"), message, domain);
    assert_hex(digest, 32, th_str(nc, digest_key), what);
    recover(addr, digest, th_get(nc, "signature"));
    ledger_addr_format(s, addr);
    cr_assert_str_eq(s, th_str(nc, signer_key), "%s: recovers %s", what, signer_key);
    if (strcmp(signer_key, "claimed_signer") != 0)
        cr_assert_str_neq(s, th_str(nc, "claimed_signer"), "%s: not the claimed signer", what);
}

Test(ledger_eip712, refuses_a_tampered_message)
{
    const cJSON *nc = negative_case(0, "tampered_message");
    expect_signature_recovers(nc, th_get(nc, "signed_message"), th_get(nc, "domain"), "signed_digest", "claimed_signer",
                              "the signed message");
    expect_signature_recovers(nc, th_get(nc, "presented_message"), th_get(nc, "domain"), "presented_digest",
                              "recovered_address_for_presented_message", "the tampered message");
}

Test(ledger_eip712, refuses_a_high_s_signature)
{
    const cJSON *nc = negative_case(1, "high_s_signature");
    uint8_t digest[32], sig[65], addr[20];

    message_digest(digest, th_get(nc, "types"), th_str(nc, "primaryType"), th_get(nc, "presented_message"), th_get(nc, "domain"));
    assert_hex(digest, 32, th_str(nc, "presented_digest"), "the presented digest");
    recover(addr, digest, th_get(nc, "original_signature"));
    th_assert_addr(addr, th_str(nc, "claimed_signer"), "the low-s original recovers the signer");
    th_hex(sig, 65, th_str(th_get(nc, "signature"), "serialized"));
    cr_assert_eq(ledger_sig_recover(addr, digest, sig), ST_CRYPTO, "the high-s twin is refused");
}

Test(ledger_eip712, refuses_a_signature_for_another_chain)
{
    const cJSON *nc = negative_case(2, "wrong_chain_id");
    const cJSON *msg = th_get(nc, "presented_message");
    expect_signature_recovers(nc, msg, th_get(nc, "signed_domain"), "signed_digest", "claimed_signer", "under chain 1");
    expect_signature_recovers(nc, msg, th_get(nc, "service_domain"), "service_digest",
                              "recovered_address_under_service_domain", "under chain 31337");
}

struct value_case {
    const char *type;
    const char *text;
    int rc;
};

static const struct value_case parses_values_strictly_cases[] = {
    { "uint8", "255", ST_OK }, { "uint8", "256", ST_OVERFLOW }, { "uint8", "01", ST_INVALID },
    { "uint64", "18446744073709551615", ST_OK }, { "uint64", "18446744073709551616", ST_OVERFLOW },
    { "uint32", "4294967296", ST_OVERFLOW }, { "uint64", "-1", ST_INVALID }, { "uint64", "", ST_INVALID },
    { "uint64", "1e3", ST_INVALID }, { "uint256", "0", ST_OK },
    /* 19 digits and fewer are parsed without GMP, 20 and more with it: both sides of that line */
    { "uint64", "9999999999999999999", ST_OK }, { "uint32", "9999999999999999999", ST_OVERFLOW },
    { "uint256", "10000000000000000000", ST_OK }, { "uint8", "0", ST_OK }, { "uint64", "00", ST_INVALID },
    { "uint64", "12a", ST_INVALID }, { "uint16", "65536", ST_OVERFLOW }, { "uint64", "4294967296", ST_OK },
    { "uint64", "010000000000000000000", ST_INVALID }, { "uint64", "1 ", ST_INVALID },
    { "address", "0x45F3703B385BaE0BFe5588402066f30A0931660f", ST_OK },
    { "address", "0x45f3703b385bae0bfe5588402066f30a0931660", ST_INVALID },
    { "address", "45f3703b385bae0bfe5588402066f30a0931660f00", ST_INVALID },
    { "bool", "true", ST_OK }, { "bool", "false", ST_OK }, { "bool", "True", ST_INVALID },
    { "bool", "1", ST_INVALID }, { "bytes2", "0xabcd", ST_OK }, { "bytes2", "0xab", ST_INVALID },
    { "bytes2", "0xabcdef", ST_INVALID }, { "bytes", "0x", ST_OK }, { "bytes", "0x0", ST_INVALID },
    { "bytes", "0xzz", ST_INVALID }, { "bytes", "", ST_INVALID }, { "string", "", ST_OK },
    { "string", "\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80", ST_OK }, { "string", "\xc0\xaf", ST_INVALID },
    { "string", "\xed\xa0\x80", ST_INVALID }, { "string", "\xe4\xb8", ST_INVALID },
    { "string", "\xf4\x90\x80\x80", ST_INVALID }, { "string", "\xff", ST_INVALID },
    { "string", "\x80", ST_INVALID }, { "int8", "1", ST_INVALID }, { "bogus", "1", ST_INVALID },
};

TH_TABLE_PARAMETERS(ledger_eip712, parses_values_strictly, parses_values_strictly_cases)

ParameterizedTest(int *i, ledger_eip712, parses_values_strictly)
{
    const struct value_case *c = &parses_values_strictly_cases[*i];
    ledger_eip712_value v = { 0 };
    cr_assert_eq(ledger_eip712_value_parse(&v, c->type, c->text, strlen(c->text)), c->rc,
                 "%s \"%s\" must give %s", c->type, c->text, st_str(c->rc));
    if (c->rc == ST_OK) {
        char *back = ledger_eip712_value_format(&v, c->type);
        cr_assert_not_null(back, "%s formats", c->type);
        cr_assert_str_eq(back, c->text, "%s \"%s\" formats back to the same text", c->type, c->text);
        free(back);
    } else {
        cr_assert_null(v.data, "nothing is allocated on failure");
    }
    ledger_eip712_value_clear(&v);
}

/* Given its whole length, a value with a NUL inside is refused whatever its kind: the text before
 * the NUL alone would be valid each time. */
Test(ledger_eip712, refuses_a_nul_in_a_value_of_every_kind)
{
    static const struct { const char *type, *text; size_t len; } cases[] = {
        { "string", "a\0b", 3 },
        { "address", "0x70997970C51812dc3A010C7d01b50e0d17dc79C8\0junk", 47 },
        { "address", "0x70997970C51812dc3A010C7d01b50e0d17dc79C\0", 42 },
        { "uint256", "5\0", 2 },
        { "uint64", "5\0" "7", 3 },
        { "bool", "true\0", 5 },
        { "bytes2", "0xab\0d", 6 },
        { "bytes", "0x61\0" "062", 8 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ledger_eip712_value v = { 0 };
        cr_assert_eq(ledger_eip712_value_parse(&v, cases[i].type, cases[i].text, cases[i].len), ST_INVALID,
                     "a NUL inside a %s value (case %zu) is refused", cases[i].type, i);
        cr_assert_null(v.data, "nothing is allocated");
    }
}

Test(ledger_eip712, encodes_values_as_abi_words)
{
    ledger_eip712_value v = { 0 };
    uint8_t want[32] = { 0 };
    cr_assert_eq(ledger_eip712_value_parse(&v, "bytes2", "0xabcd", 6), ST_OK, "bytes2 parses");
    want[0] = 0xab;
    want[1] = 0xcd;
    cr_assert_arr_eq(v.word, want, 32, "bytesN is left-aligned");
    cr_assert_eq(ledger_eip712_value_set_u64(&v, "uint16", 0x1234), ST_OK, "uint16 from an integer");
    memset(want, 0, sizeof want);
    want[30] = 0x12;
    want[31] = 0x34;
    cr_assert_arr_eq(v.word, want, 32, "uints are right-aligned");
    cr_assert_eq(ledger_eip712_value_parse(&v, "bool", "true", 4), ST_OK, "bool parses");
    want[30] = 0;
    want[31] = 1;
    cr_assert_arr_eq(v.word, want, 32, "true is 1");
}

Test(ledger_eip712, sets_uints_from_integers_within_their_width)
{
    ledger_eip712_value v = { 0 };
    cr_assert_eq(ledger_eip712_value_set_u64(&v, "uint8", 255), ST_OK, "255 fits uint8");
    cr_assert_eq(ledger_eip712_value_set_u64(&v, "uint8", 256), ST_OVERFLOW, "256 does not fit uint8");
    cr_assert_eq(ledger_eip712_value_set_u64(&v, "uint64", UINT64_MAX), ST_OK, "2^64-1 fits uint64");
    cr_assert_eq(ledger_eip712_value_set_u64(&v, "address", 1), ST_INVALID, "an address is not a uint");
}

Test(ledger_eip712, refuses_parsing_into_a_value_that_holds_data)
{
    ledger_eip712_value v = { 0 };
    cr_assert_eq(ledger_eip712_value_parse(&v, "string", "x", 1), ST_OK, "a string parses");
    cr_assert_eq(ledger_eip712_value_parse(&v, "string", "y", 1), ST_INVALID,
                 "parsing over owned data is a caller bug");
    cr_assert_eq(ledger_eip712_value_set_u64(&v, "uint8", 1), ST_INVALID, "so is setting over owned data");
    ledger_eip712_value_clear(&v);
    cr_assert_null(v.data, "clear releases the data");
    ledger_eip712_value_clear(NULL);
}

Test(ledger_eip712, reports_a_too_small_encode_type_buffer)
{
    const ledger_eip712_type t = { "Claim", { { "pool", "uint64" }, { "nonce", "uint64" } }, 2 };
    char buf[64];
    cr_assert_eq(ledger_eip712_encode_type(buf, sizeof buf, &t), ST_OK, "fits in 64 bytes");
    cr_assert_str_eq(buf, "Claim(uint64 pool,uint64 nonce)", "encodeType of Claim");
    cr_assert_eq(ledger_eip712_encode_type(buf, 31, &t), ST_LIMIT, "31 bytes leave no room for the NUL");
    cr_assert_eq(ledger_eip712_encode_type(buf, 32, &t), ST_OK, "32 bytes are exactly enough");
    cr_assert_eq(ledger_eip712_member_index(&t, "nonce"), 1, "nonce is the second member");
    cr_assert_eq(ledger_eip712_member_index(&t, "Nonce"), -1, "names are case-sensitive");
}

Test(ledger_eip712, hashes_dynamic_members_by_content)
{
    const ledger_eip712_type t = { "T", { { "s", "string" }, { "b", "bytes" } }, 2 };
    ledger_eip712_value v[2] = { 0 };
    uint8_t enc[32 * (LEDGER_EIP712_MAX_MEMBERS + 1)];
    cr_assert_eq(ledger_eip712_value_parse(&v[0], "string", "abc", 3), ST_OK, "string parses");
    cr_assert_eq(ledger_eip712_value_parse(&v[1], "bytes", "0x616263", 8), ST_OK, "bytes parses");
    ledger_eip712_encode_data(enc, &t, v);
    assert_hex(enc + 32, 32, "0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45",
               "a string is encoded as keccak256 of its bytes");
    cr_assert_arr_eq(enc + 64, enc + 32, 32, "bytes with the same content encode the same");
    ledger_eip712_value_clear(&v[0]);
    ledger_eip712_value_clear(&v[1]);
}
