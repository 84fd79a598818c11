/* SPDX-License-Identifier: MIT */
/* test_genesis_accounts.c: a genesis whose accounts are read from the text, never a cJSON tree. The
 * canonical text is what cJSON printed before (so genesis hashes do not change), the balances land
 * in block 0, whose Genesis transaction carries the hash and parameters while the document is
 * stored in chunks (and replays from them), a restart reads only the stored parameters and hash and
 * still refuses another genesis, an older data directory (block 0 carrying the whole document,
 * stored whole) is upgraded, audited and replayed, a malformed accounts entry is refused by name
 * with nothing written, and every pass over a borrowed text hands it back a MiB at a time while a
 * text that changed between the passes is refused. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine/engine.h"
#include "engine/engine_int.h"
#include "engine/genesis.h"
#include "ledger/amount.h"
#include "ledger/hash.h"
#include "ledger/hex.h"
#include "ledger/ledger.h"
#include "tests/lib/testhelp.h"

#define MANY 3000

static char dir[64], db_path[128];

static void setup(void)
{
    th_temp_dir(dir, sizeof dir, "genesis-accounts");
    snprintf(db_path, sizeof db_path, "%s/conclave.db", dir);
}

static void teardown(void)
{
    th_rmtree(dir);
}

TestSuite(engine_genesis_accounts, .init = setup, .fini = teardown);

/* Account i's address: 0x11...11 then i as 4 big-endian bytes. */
static void account_address(uint8_t addr[20], size_t i)
{
    memset(addr, 0x11, 16);
    for (int b = 0; b < 4; b++)
        addr[16 + b] = (uint8_t)(i >> (24 - 8 * b));
}

/* A genesis of n accounts written the way people write them: lower-case addresses, "balance"
 * before "address" in every other entry, whitespace and newlines, "accounts" between other keys;
 * account i holds i * 10^15 + 1 base units, the last one `extra` more. Caller frees. */
static char *many_accounts_json(size_t n, unsigned extra)
{
    size_t cap = 256 + n * 128, used = 0;
    char *json = malloc(cap);
    cr_assert_not_null(json, "memory");
    used += (size_t)snprintf(json, cap, "{ \"chainId\": 77,\n \"accounts\" : [\n");
    for (size_t i = 0; i < n; i++) {
        uint8_t addr[20];
        char hex[43] = "0x";
        account_address(addr, i);
        for (int b = 0; b < 20; b++)
            snprintf(hex + 2 + 2 * b, 3, "%02x", addr[b]);
        unsigned long long balance = (unsigned long long)i * 1000000000000000ull + 1 + (i == n - 1 ? extra : 0);
        if (i % 2)
            used += (size_t)snprintf(json + used, cap - used, ",\t{\"balance\":\"%llu\" , \"address\":\"%s\"}\n",
                                     balance, hex);
        else
            used += (size_t)snprintf(json + used, cap - used, "%s {\"address\": \"%s\",\"balance\": \"%llu\"}\n",
                                     i ? "," : "", hex, balance);
    }
    snprintf(json + used, cap - used, "],\n \"time\": 1767225600, \"treasury\": \"5\" }\n");
    return json;
}

/* The canonical text as the cJSON tree printed it before accounts were read as text: the params
 * document with an "accounts" array of {"address": EIP-55, "balance": canonical} objects built from
 * json parsed by cJSON. Caller frees with cJSON_free. */
static char *canonical_by_cjson(const eng_genesis *g, const char *json)
{
    cJSON *doc = cJSON_Parse(json), *canon = cJSON_Parse(g->params);
    cr_assert_not_null(doc, "the document is JSON");
    cr_assert_not_null(canon, "params is JSON");
    cJSON *list = cJSON_CreateArray();
    const cJSON *entry;
    cJSON_ArrayForEach(entry, cJSON_GetObjectItemCaseSensitive(doc, "accounts")) {
        uint8_t addr[20];
        char text[LEDGER_ADDR_STRLEN], amount[LEDGER_AMOUNT_STRLEN];
        mpz_t v;
        mpz_init(v);
        const char *balance = cJSON_GetObjectItemCaseSensitive(entry, "balance")->valuestring;
        cr_assert_eq(ledger_addr_parse(addr, cJSON_GetObjectItemCaseSensitive(entry, "address")->valuestring), ST_OK,
                     "address");
        cr_assert_eq(ledger_amount_parse(v, balance, strlen(balance)), ST_OK, "balance");
        ledger_addr_format(text, addr);
        ledger_amount_format(amount, v);
        mpz_clear(v);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "address", text);
        cJSON_AddStringToObject(o, "balance", amount);
        cJSON_AddItemToArray(list, o);
    }
    cJSON_ReplaceItemInObjectCaseSensitive(canon, "accounts", list);
    char *text = cJSON_PrintUnformatted(canon);
    cJSON_Delete(canon);
    cJSON_Delete(doc);
    return text;
}

Test(engine_genesis_accounts, the_canonical_text_is_what_the_cjson_tree_printed)
{
    char *json = many_accounts_json(MANY, 0), err[256] = "";
    eng_genesis g;
    cr_assert_eq(eng_genesis_parse(&g, err, sizeof err, json, strlen(json)), ST_OK, "parse: %s", err);
    cr_assert_eq(g.n_accounts, MANY, "every account read");
    char *expected = canonical_by_cjson(&g, json);
    cr_assert_eq(g.canonical_len, strlen(expected), "the same canonical text as the tree's");
    cr_assert(memcmp(g.canonical, expected, g.canonical_len) == 0, "the same canonical text as the tree's");
    uint8_t hash[32];
    ledger_keccak256(hash, expected, strlen(expected));
    cr_assert_arr_eq(g.hash, hash, 32, "hash is keccak-256 of the canonical text");
    cr_assert_not_null(strstr(g.params, "{\"accounts\":[],\"chainId\":77,\"time\":1767225600,\"treasury\":\"5\""),
                       "params: the canonical document without accounts: %.80s", g.params);
    /* the canonical text is a fixed point, also of the parser */
    eng_genesis again;
    cr_assert_eq(eng_genesis_parse(&again, err, sizeof err, g.canonical, g.canonical_len), ST_OK, "reparse: %s", err);
    cr_assert_str_eq(again.body, g.body, "fixed point");
    eng_genesis_clear(&again);
    cJSON_free(expected);
    eng_genesis_clear(&g);
    free(json);
}

/* Opens the engine on db_path with genesis (NULL: none given); returns eng_open's status. */
static int try_open(eng **out, char *err, size_t errlen, const char *genesis)
{
    eng_config cfg = { .db_path = db_path, .genesis_json = genesis, .clock_mode = ENG_CLOCK_MANUAL };
    *out = NULL;
    return eng_open(out, err, errlen, &cfg);
}

/* The value of meta key in the database at db_path, or NULL. Caller frees. */
static char *stored_meta(const char *key)
{
    ledger *l = NULL;
    char err[256] = "", *value = NULL;
    cr_assert_eq(ledger_open_readonly(&l, err, sizeof err, db_path), ST_OK, "open: %s", err);
    if (ledger_meta_get(l, key, &value) != ST_OK)
        value = NULL;
    ledger_close(l);
    return value;
}

Test(engine_genesis_accounts, block_0_mints_every_balance_and_carries_the_canonical_text)
{
    char *json = many_accounts_json(MANY, 0), err[256] = "";
    eng_genesis g;
    cr_assert_eq(eng_genesis_parse(&g, err, sizeof err, json, strlen(json)), ST_OK, "parse: %s", err);
    eng *e = NULL;
    cr_assert_eq(try_open(&e, err, sizeof err, json), ST_OK, "open: %s", err);
    mpz_t balance, expected;
    mpz_inits(balance, expected, NULL);
    for (size_t i = 0; i < MANY; i++) {
        uint8_t addr[20];
        account_address(addr, i);
        ledger_account a = ledger_user_account(LEDGER_FREE, addr);
        cr_assert_eq(ledger_balance(eng_ledger(e), &a, balance), ST_OK, "balance %zu", i);
        mpz_set_ui(expected, 1000000000000000ul);
        mpz_mul_ui(expected, expected, i);
        mpz_add_ui(expected, expected, 1);
        cr_assert_eq(mpz_cmp(balance, expected), 0, "account %zu holds its genesis balance", i);
    }
    mpz_clears(balance, expected, NULL);
    ledger_txrec *recs = NULL;
    size_t n = 0;
    cr_assert_eq(ledger_txrec_list_block(eng_ledger(e), 0, &recs, &n), ST_OK, "block 0");
    cr_assert_eq(n, 1, "one transaction");
    /* the body is what eng_item_system printed: {"type","message"} by cJSON, the message the
     * genesis hash and parameters, a few KB whatever the number of accounts */
    char hex[67];
    ledger_hex_encode(hex, g.hash, 32);
    size_t len = strlen(g.params) + 128;
    char *body = malloc(len);
    snprintf(body, len, "{\"type\":\"Genesis\",\"message\":{\"hash\":\"%s\",\"params\":%s}}", hex, g.params);
    cr_assert_str_eq(recs[0].body, body, "block 0 carries the genesis hash and parameters");
    cJSON *parsed = cJSON_Parse(recs[0].body);
    char *reprinted = cJSON_PrintUnformatted(parsed);
    cr_assert_str_eq(reprinted, recs[0].body, "and cJSON prints it back byte for byte");
    cJSON_free(reprinted);
    cJSON_Delete(parsed);
    free(body);
    ledger_txrec_clear(&recs[0]);
    free(recs);
    ledger_audit_report report;
    cr_assert_eq(eng_audit(e, &report), ST_OK, "audit");
    cr_assert(report.ok, "the audit passes (follows_genesis compares block 0 by hash)");
    eng_close(e);
    char *chunks = stored_meta("genesis.document"), *whole = stored_meta("genesis.document.0");
    char *params = stored_meta("genesis.params"), *hash = stored_meta("genesis.hash");
    cr_assert_null(stored_meta("genesis"), "no whole document in one row");
    cr_assert_str_eq(chunks, "1", "the document, under 1 MiB, in one chunk");
    cr_assert_eq(strlen(whole), g.canonical_len, "the whole document stored, for replay");
    cr_assert(memcmp(whole, g.canonical, g.canonical_len) == 0, "the whole document stored, for replay");
    free(chunks);
    cr_assert_str_eq(params, g.params, "the parameters stored");
    cr_assert_str_eq(hash, hex, "the canonical hash stored");
    free(whole);
    free(params);
    free(hash);
    eng_genesis_clear(&g);
    free(json);
}

/* eng_genesis_account_fn: counts the accounts in *(size_t *)arg. */
static int count_accounts(void *arg, const uint8_t address[20], const mpz_t balance, size_t index)
{
    (void)address, (void)balance, (void)index;
    ++*(size_t *)arg;
    return ST_OK;
}

/* eng_config.genesis_read: counts the calls and spoils the text, as freeing it would. */
struct read_text {
    char *text;
    unsigned calls;
};

static void spoil_text(void *arg)
{
    struct read_text *r = arg;
    r->calls++;
    memset(r->text, 'x', strlen(r->text));
}

Test(engine_genesis_accounts, the_genesis_text_is_handed_back_once_block_0_holds_it)
{
    struct read_text r = { .text = many_accounts_json(MANY, 0) };
    char err[256] = "";
    eng_config cfg = { .db_path = db_path, .genesis_json = r.text, .genesis_read = spoil_text, .genesis_read_arg = &r,
                       .clock_mode = ENG_CLOCK_MANUAL };
    eng *e = NULL;
    cr_assert_eq(eng_open(&e, err, sizeof err, &cfg), ST_OK, "a new chain opens on a text spoiled once handed back: %s", err);
    cr_assert_eq(r.calls, 1, "handed back once");
    uint8_t addr[20];
    mpz_t balance;
    mpz_init(balance);
    account_address(addr, MANY - 1);
    ledger_account last = ledger_user_account(LEDGER_FREE, addr);
    cr_assert_eq(ledger_balance(eng_ledger(e), &last, balance), ST_OK, "balance");
    cr_assert_eq(mpz_cmp_ui(balance, (MANY - 1) * 1000000000000000ul + 1), 0, "block 0 minted from the canonical text");
    mpz_clear(balance);
    eng_close(e);
    free(r.text);
    /* a restart given the same file hands it back too, once compared */
    r = (struct read_text){ .text = many_accounts_json(MANY, 0) };
    cfg.genesis_json = r.text;
    cr_assert_eq(eng_open(&e, err, sizeof err, &cfg), ST_OK, "restart: %s", err);
    cr_assert_eq(r.calls, 1, "handed back once on a restart");
    eng_close(e);
    free(r.text);
}

/* A lean parse (what a first start does) keeps no canonical text: it borrows the document's
 * accounts and names the same genesis as a full parse; storing it writes the canonical text again,
 * in chunks, byte for byte, and refuses a text that changed since it was parsed. */
Test(engine_genesis_accounts, a_lean_parse_keeps_no_text_and_stores_the_same_document)
{
    char *json = many_accounts_json(15000, 0), err[256] = "";
    eng_genesis full, lean;
    cr_assert_eq(eng_genesis_parse(&full, err, sizeof err, json, strlen(json)), ST_OK, "parse: %s", err);
    cr_assert_eq(eng_genesis_parse_lean(&lean, err, sizeof err, json, strlen(json), NULL, NULL), ST_OK, "lean parse: %s",
                 err);
    cr_assert(memcmp(lean.hash, full.hash, 32) == 0, "the same canonical hash");
    cr_assert_str_eq(lean.params, full.params, "the same parameters");
    cr_assert_eq(lean.n_accounts, 15000, "every account counted");
    cr_assert_null(lean.body, "no body");
    cr_assert_null(lean.canonical, "no canonical text");
    cr_assert(lean.accounts > json && lean.accounts_end < json + strlen(json), "the document's own accounts text");
    ledger *l = NULL;
    cr_assert_eq(ledger_open(&l, err, sizeof err, db_path), ST_OK, "ledger: %s", err);
    size_t minted = 0;
    cr_assert_eq(eng_genesis_document_put(l, &lean, count_accounts, &minted), ST_OK, "stored");
    cr_assert_eq(minted, 15000, "each account handed on as it is written");
    char *text = NULL;
    cr_assert_eq(eng_genesis_document_get(l, &text), ST_OK, "read back");
    cr_assert_eq(strlen(text), full.canonical_len, "the canonical text, whole");
    cr_assert(memcmp(text, full.canonical, full.canonical_len) == 0, "byte for byte");
    free(text);
    /* the first digit of the last balance (14999 * 10^15 + 1) changed after the parse: not the
     * genesis the hash names */
    char *last = json;
    for (char *at = json; (at = strstr(at, "\"balance\":\"")); at++)
        last = at + strlen("\"balance\":\"");
    cr_assert_eq(*last, '1', "the last balance");
    *last = '2';
    cr_assert_eq(eng_genesis_document_put(l, &lean, NULL, NULL), ST_INVALID, "a changed text is refused");
    *last = '1';
    eng_genesis_drop_accounts(&lean);
    cr_assert_null(lean.accounts, "no accounts text once dropped");
    cr_assert_eq(eng_genesis_document_put(l, &lean, NULL, NULL), ST_INVALID, "nor anything to store");
    ledger_close(l);
    eng_genesis_clear(&lean);
    eng_genesis_clear(&full);
    free(json);
}

/* eng_config.genesis_release: records the offsets it is told, in order, and the passes they make
 * (a pass begins where an offset is not past the one before). With spoil set, the first time it is
 * told an offset in pass spoil_pass (from 1) it changes the digit at spoil, 1 to 2 (as a file
 * rewritten in place while the engine reads it). */
struct released {
    size_t offsets[64];
    unsigned n, passes;
    unsigned spoil_pass;
    char *spoil;
};

static void record_release(void *arg, size_t offset)
{
    struct released *r = arg;
    cr_assert_lt(r->n, 64, "told at most once a MiB a pass");
    r->passes += r->n == 0 || offset <= r->offsets[r->n - 1];
    r->offsets[r->n++] = offset;
    if (r->spoil && r->passes == r->spoil_pass) {
        *r->spoil = '2';
        r->spoil = NULL;
    }
}

/* Asserts that each pass r recorded over a text of len bytes moved a MiB at a time (never more
 * than a MiB and an entry past where it was, or past the text's start; less only to the text's
 * end) and went to within a MiB of the text's end: what bounds the memory its owner holds. */
static void assert_a_mib_at_a_time(const struct released *r, size_t len)
{
    for (unsigned i = 0; i < r->n; i++) {
        bool first_of_pass = i == 0 || r->offsets[i] <= r->offsets[i - 1];
        size_t from = first_of_pass ? 0 : r->offsets[i - 1];
        cr_assert_leq(r->offsets[i], len, "within the text");
        cr_assert_leq(r->offsets[i] - from, (1u << 20) + 4096, "at most a MiB and an entry further");
        cr_assert_geq(r->offsets[i] - from, first_of_pass || r->offsets[i] == len ? 1u : 1u << 20,
                      "a MiB further within a pass (but to the text's end)");
        bool last_of_pass = i + 1 == r->n || r->offsets[i + 1] <= r->offsets[i];
        if (last_of_pass)
            cr_assert_geq(r->offsets[i] + (1u << 20) + 4096, len, "each pass goes through the text");
    }
}

/* A first start reads the text in passes (its length, the accounts' place, their check, the
 * SHA-256 of the bytes; then, once parsed, the whole text; then block 0's walk) and tells the caller
 * it may release each MiB behind each of them; a restart given the same bytes reads them once (their
 * length and SHA-256), a MiB at a time too. */
Test(engine_genesis_accounts, each_pass_over_the_text_releases_it_a_mib_at_a_time)
{
    char *json = many_accounts_json(30000, 0), err[256] = "";
    size_t len = strlen(json);
    struct released r = { .n = 0 };
    eng_config cfg = { .db_path = db_path, .genesis_json = json, .genesis_release = record_release,
                       .genesis_read_arg = &r, .clock_mode = ENG_CLOCK_MANUAL };
    eng *e = NULL;
    cr_assert_eq(eng_open(&e, err, sizeof err, &cfg), ST_OK, "open: %s", err);
    cr_assert_geq(len, 2u << 20, "a text of over 2 MiB");
    cr_assert_eq(r.passes, 5, "length, place of the accounts, check, SHA-256 and the whole text, block 0: %u", r.passes);
    assert_a_mib_at_a_time(&r, len);
    bool whole = false;
    for (unsigned i = 0; i < r.n; i++)
        whole = whole || r.offsets[i] == len;
    cr_assert(whole, "the whole text once parsed");
    eng_close(e);
    r = (struct released){ .n = 0 };
    cr_assert_eq(eng_open(&e, err, sizeof err, &cfg), ST_OK, "restart: %s", err);
    cr_assert_eq(r.passes, 1, "one pass on a restart given the same bytes");
    cr_assert_eq(r.n, len >> 20, "every whole MiB");
    assert_a_mib_at_a_time(&r, len);
    eng_close(e);
    free(json);
}

/* The SHA-256 a restart compares, read a MiB at a time, is the one-shot SHA-256 of the bytes at
 * every length around a MiB's edge, and the length is the text's. */
Test(engine_genesis_accounts, the_text_read_a_mib_at_a_time_has_the_sha256_of_its_bytes)
{
    static const size_t lengths[] = { 0, 1, (1u << 20) - 1, 1u << 20, (1u << 20) + 1, 2u << 20, (2u << 20) + 7 };
    char *text = malloc((2u << 20) + 8);
    cr_assert_not_null(text, "memory");
    for (size_t i = 0; i < (2u << 20) + 8; i++)
        text[i] = (char)('a' + i % 26);
    for (size_t k = 0; k < sizeof lengths / sizeof lengths[0]; k++) {
        char saved = text[lengths[k]];
        text[lengths[k]] = '\0';
        uint8_t expected[32], got[32];
        size_t len = 0;
        ledger_sha256(expected, text, lengths[k]);
        eng_genesis_read_text(&len, got, text, NULL, NULL);
        cr_assert_eq(len, lengths[k], "the length of %zu bytes", lengths[k]);
        cr_assert(memcmp(expected, got, 32) == 0, "the SHA-256 of %zu bytes", lengths[k]);
        text[lengths[k]] = saved;
    }
    free(text);
}

/* Opens a new data directory named name on json with the first balance ("1") changed to 2 once the
 * engine is in its pass number pass (and behind it); when that is refused, opens it again on the
 * unchanged text. Returns: the first eng_open's status; the text is restored. Out: *balance,
 * account 0's balance in the chain the first open made (0 when refused). */
static int open_changed_in_pass(unsigned pass, char *json, const char *name, char *err, size_t errlen, unsigned long *balance)
{
    char path[192];
    snprintf(path, sizeof path, "%s/%s.db", dir, name);
    char *first = strstr(json, "\"balance\": \"") + strlen("\"balance\": \"");
    cr_assert_eq(*first, '1', "the first balance, 1");
    struct released r = { .spoil_pass = pass, .spoil = first };
    eng_config cfg = { .db_path = path, .genesis_json = json, .genesis_release = record_release,
                       .genesis_read_arg = &r, .clock_mode = ENG_CLOCK_MANUAL };
    eng *e = NULL;
    int rc = eng_open(&e, err, errlen, &cfg);
    cr_assert_null(r.spoil, "changed in pass %u", pass);
    *first = '1';
    /* a refused start wrote no block: the unchanged text makes the chain in the same directory */
    char again_err[256] = "";
    cfg.genesis_release = NULL;
    if (rc != ST_OK)
        cr_assert_eq(eng_open(&e, again_err, sizeof again_err, &cfg), ST_OK, "then the unchanged text: %s", again_err);
    if (e) {
        uint8_t addr[20];
        mpz_t b;
        mpz_init(b);
        account_address(addr, 0);
        ledger_account account = ledger_user_account(LEDGER_FREE, addr);
        cr_assert_eq(ledger_balance(eng_ledger(e), &account, b), ST_OK, "the first account");
        *balance = rc == ST_OK ? mpz_get_ui(b) : 0;
        if (rc != ST_OK)
            cr_assert_eq(mpz_cmp_ui(b, 1), 0, "the unchanged text's balance");
        mpz_clear(b);
        eng_close(e);
    }
    return rc;
}

/* A text rewritten in place while a first start reads it in passes: changed behind the check of
 * the accounts (pass 3: its SHA-256 and block 0 read it changed) or once the text is parsed (pass
 * 4) it is refused at block 0, whose accounts no longer write the checked hash, and no block is
 * written (the unchanged text then makes the chain in the same directory); changed before the
 * check read it (pass 2) the chain holds what the check read. */
Test(engine_genesis_accounts, a_text_changed_between_the_passes_is_refused)
{
    char *json = many_accounts_json(30000, 0), err[256] = "";  /* over 2 MiB: passes of two releases or more */
    unsigned long balance = 0;
    cr_assert_eq(open_changed_in_pass(3, json, "in-check", err, sizeof err, &balance), ST_INVALID,
                 "changed behind the check: refused");
    cr_assert(strstr(err, "no longer read as they did when they were checked"), "the error says so: %s", err);
    cr_assert_eq(open_changed_in_pass(4, json, "parsed", err, sizeof err, &balance), ST_INVALID,
                 "changed once parsed: refused");
    cr_assert_eq(open_changed_in_pass(2, json, "before-check", err, sizeof err, &balance), ST_OK,
                 "changed before the check: %s", err);
    cr_assert_eq(balance, 2, "the balance the check read");
    free(json);
}

Test(engine_genesis_accounts, a_document_over_a_chunk_is_stored_in_pieces_and_replays)
{
    char *json = many_accounts_json(15000, 0), err[256] = "";
    eng *e = NULL;
    cr_assert_eq(try_open(&e, err, sizeof err, json), ST_OK, "new chain: %s", err);
    eng_close(e);
    char *chunks = stored_meta("genesis.document"), *first = stored_meta("genesis.document.0");
    cr_assert_str_eq(chunks, "2", "15,000 accounts (about 1.4 MB) in two chunks");
    cr_assert_eq(strlen(first), 1u << 20, "the first a whole MiB");
    free(first);
    free(chunks);
    eng_replay_report replayed;
    cr_assert_eq(eng_replay(&replayed, err, sizeof err, db_path, ":memory:"), ST_OK, "replay: %s", err);
    cr_assert(replayed.ok, "replay joins the chunks into the very document: %s", replayed.detail);
    cr_assert_geq(replayed.accounts, 15000, "every account compared");
    free(json);
}

Test(engine_genesis_accounts, a_restart_reads_the_stored_parameters_and_refuses_another_genesis)
{
    char *json = many_accounts_json(MANY, 0), *other = many_accounts_json(MANY, 1), err[256] = "";
    eng *e = NULL;
    cr_assert_eq(try_open(&e, err, sizeof err, json), ST_OK, "new chain: %s", err);
    eng_close(e);
    /* the same bytes, the same document written otherwise, and no genesis at all are this chain */
    cr_assert_eq(try_open(&e, err, sizeof err, json), ST_OK, "the same file: %s", err);
    cr_assert_eq(eng_chain_id(e), 77, "the stored chain id");
    eng_close(e);
    eng_genesis g;
    cr_assert_eq(eng_genesis_parse(&g, err, sizeof err, json, strlen(json)), ST_OK, "parse: %s", err);
    char *canonical = strndup(g.canonical, g.canonical_len);
    cr_assert_eq(try_open(&e, err, sizeof err, canonical), ST_OK, "its canonical text: %s", err);
    eng_close(e);
    free(canonical);
    eng_genesis_clear(&g);
    cr_assert_eq(try_open(&e, err, sizeof err, NULL), ST_OK, "no genesis given: %s", err);
    eng_close(e);
    /* one base unit more for one account is another chain: refused, nothing written */
    err[0] = '\0';
    cr_assert_eq(try_open(&e, err, sizeof err, other), ST_INVALID, "another genesis is refused");
    cr_assert_null(e, "no engine");
    cr_assert_str_eq(err, "the data directory holds a chain with a different genesis", "the reason");
    ledger *l = NULL;
    ledger_block head;
    cr_assert_eq(ledger_open_readonly(&l, err, sizeof err, db_path), ST_OK, "open: %s", err);
    cr_assert_eq(ledger_block_head(l, &head), ST_OK, "head");
    cr_assert_eq(head.height, 0, "no block written");
    ledger_close(l);
    free(other);
    free(json);
}

Test(engine_genesis_accounts, an_older_data_directory_gains_the_parameters_and_hash)
{
    char *json = many_accounts_json(50, 0), err[256] = "";
    eng *e = NULL;
    /* what an older conclaved made: block 0 carrying the whole document, stored whole as meta
     * "genesis", and nothing else of the genesis */
    eng_config cfg = { .db_path = db_path, .genesis_json = json, .genesis_whole_body = true, .clock_mode = ENG_CLOCK_MANUAL };
    cr_assert_eq(eng_open(&e, err, sizeof err, &cfg), ST_OK, "new chain: %s", err);
    eng_close(e);
    char *hash = stored_meta("genesis.hash");
    sqlite3 *db = NULL;
    cr_assert_eq(sqlite3_open(db_path, &db), SQLITE_OK, "sqlite");
    cr_assert_eq(sqlite3_exec(db,
                              "INSERT INTO meta(key, value) SELECT 'genesis', value FROM meta WHERE key = 'genesis.document.0';"
                              "DELETE FROM meta WHERE key LIKE 'genesis.%'",
                              NULL, NULL, NULL),
                 SQLITE_OK, "make it older");
    sqlite3_close(db);
    cr_assert_null(stored_meta("genesis.params"), "gone");
    /* refused for another genesis, it stays as it was */
    char *other = many_accounts_json(50, 1);
    cr_assert_eq(try_open(&e, err, sizeof err, other), ST_INVALID, "another genesis is refused");
    cr_assert_null(stored_meta("genesis.params"), "a refused start writes nothing");
    free(other);
    cr_assert_eq(try_open(&e, err, sizeof err, NULL), ST_OK, "the older directory opens: %s", err);
    cr_assert_eq(eng_chain_id(e), 77, "its genesis");
    ledger_audit_report report;
    cr_assert_eq(eng_audit(e, &report), ST_OK, "audit");
    cr_assert(report.ok, "the audit passes");
    eng_close(e);
    char *again = stored_meta("genesis.hash"), *params = stored_meta("genesis.params");
    cr_assert_str_eq(again, hash, "the same hash stored back");
    cr_assert_not_null(params, "the parameters stored back");
    cr_assert_eq(try_open(&e, err, sizeof err, json), ST_OK, "the same file, parsed since no bytes hash is stored: %s",
                 err);
    eng_close(e);
    /* replay rebuilds its block 0 as it was made, from the whole stored document */
    eng_replay_report replayed;
    cr_assert_eq(eng_replay(&replayed, err, sizeof err, db_path, ":memory:"), ST_OK, "replay: %s", err);
    cr_assert(replayed.ok, "the older chain replays: %s", replayed.detail);
    free(params);
    free(again);
    free(hash);
    free(json);
}

/* arrays, not pointers: Criterion runs each case in a fresh process */
struct bad_accounts {
    char accounts[200];
    char error_part[80];
};

#define A0 "\"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266\""
#define A1 "\"0x70997970C51812dc3A010C7d01b50e0d17dc79C8\""

ParameterizedTestParameters(engine_genesis_accounts, a_malformed_entry_is_refused_by_name)
{
    static struct bad_accounts cases[] = {
        { "{}", "must be an array" },
        { "[{\"address\":" A0 ",\"balance\":\"1\"},5]", "accounts[1] must be an object" },
        { "[{\"address\":" A0 ",\"balance\":\"1\",\"memo\":\"x\"}]", "unknown key \"accounts[].memo\"" },
        { "[{\"address\":" A0 "}]", "accounts[0].balance must be a canonical decimal amount" },
        { "[{\"balance\":\"1\"}]", "accounts[0].address must be a 0x-prefixed 20-byte address" },
        { "[{\"address\":" A0 ",\"balance\":1}]", "accounts[0].balance must be a canonical decimal amount" },
        { "[{\"address\":" A0 ",\"balance\":\"01\"}]", "accounts[0].balance must be a canonical decimal amount" },
        { "[{\"address\":" A0 ",\"balance\":\"\\u0031\"}]", "accounts[0].balance must be a canonical decimal amount" },
        { "[{\"address\":" A0 ",\"balance\":\"1\",\"balance\":\"2\"}]", "accounts[0].balance is listed twice" },
        { "[{\"address\":" A0 ",\"balance\":\"1\"},{\"address\":\"0xF39FD6E51AAD88F6F4CE6AB8827279CFFFB92266\","
          "\"balance\":\"1\"}]", "listed twice" },
        { "[{\"address\":" A0 ",\"balance\":\"1\"},]", "accounts[1] must be an object" },
        { "[{\"address\":" A0 ",\"balance\":\"1\"} {\"address\":" A1 ",\"balance\":\"1\"}]",
          "accounts is not a well-formed array after entry 0" },
        { "[{\"address\":" A0 " \"balance\":\"1\"}]", "accounts[0] is not a well-formed object" },
    };
    return cr_make_param_array(struct bad_accounts, cases, sizeof cases / sizeof cases[0]);
}

ParameterizedTest(struct bad_accounts *c, engine_genesis_accounts, a_malformed_entry_is_refused_by_name)
{
    char json[400], err[256] = "";
    snprintf(json, sizeof json, "{\"chainId\":1,\"time\":0,\"accounts\":%s}", c->accounts);
    eng_genesis g;
    cr_assert_eq(eng_genesis_parse(&g, err, sizeof err, json, strlen(json)), ST_INVALID, "refused: %s", json);
    cr_assert(strstr(err, c->error_part) != NULL, "error '%s' mentions '%s'", err, c->error_part);
    eng_genesis_clear(&g);
    /* a new data directory given it gets no block and no stored genesis */
    eng *e = NULL;
    cr_assert_eq(try_open(&e, err, sizeof err, json), ST_INVALID, "the engine refuses it");
    ledger *l = NULL;
    ledger_block head;
    char *stored = NULL;
    if (ledger_open_readonly(&l, err, sizeof err, db_path) == ST_OK) {
        cr_assert_eq(ledger_block_head(l, &head), ST_NOTFOUND, "no block written");
        cr_assert_eq(ledger_meta_get(l, "genesis.hash", &stored), ST_NOTFOUND, "no genesis stored");
        ledger_close(l);
    }
}

/* The top-level "accounts" is read once, by its key as written, and only when the text holds all of it. */
ParameterizedTestParameters(engine_genesis_accounts, accounts_twice_or_escaped_is_refused)
{
    static struct bad_accounts cases[] = {
        { "{\"chainId\":1,\"time\":0,\"accounts\":[],\"accounts\":[]}", "\"accounts\" is listed twice" },
        { "{\"chainId\":1,\"time\":0,\"accounts\":[{\"address\":\"0x", "not a JSON object" },
        { "{\"chainId\":1,\"time\":0,\"accounts\":[{\"address\":\"0x\"}", "not a JSON object" },
        { "{\"chainId\":1,\"time\":0,\"\\u0061ccounts\":[]}", "its key written without escapes" },
        { "{\"chainId\":1,\"time\":0,\"accounts\":[],\"\\u0061ccounts\":[]}", "its key written without escapes" },
    };
    return cr_make_param_array(struct bad_accounts, cases, sizeof cases / sizeof cases[0]);
}

ParameterizedTest(struct bad_accounts *c, engine_genesis_accounts, accounts_twice_or_escaped_is_refused)
{
    char err[256] = "";
    eng_genesis g;
    cr_assert_eq(eng_genesis_parse(&g, err, sizeof err, c->accounts, strlen(c->accounts)), ST_INVALID, "refused: %s",
                 c->accounts);
    cr_assert(strstr(err, c->error_part) != NULL, "error '%s' mentions '%s'", err, c->error_part);
    eng_genesis_clear(&g);
}

/* eng_genesis_account_fn: copies the first account's balance into the mpz_t at arg. */
static int first_balance(void *arg, const uint8_t address[20], const mpz_t balance, size_t index)
{
    (void)address;
    if (index == 0)
        mpz_set(*(mpz_t *)arg, balance);
    return ST_OK;
}

Test(engine_genesis_accounts, text_after_the_document_and_strings_with_brackets_read_as_cjson_reads_them)
{
    /* cJSON_ParseWithLength ignores what follows the object; a bracket inside a string is text */
    const char *json = "{\"governance\":{\"tracks\":[{\"name\":\"a]}[{\",\"votingPeriodSecs\":60}]},\"chainId\":3,\"time\":0,"
                       "\"accounts\":[{\"address\":" A0 ",\"balance\":\"9\"}]} trailing";
    char err[256] = "";
    eng_genesis g;
    cr_assert_eq(eng_genesis_parse(&g, err, sizeof err, json, strlen(json)), ST_OK, "parse: %s", err);
    cr_assert_eq(g.n_accounts, 1, "the account after the tricky track name");
    mpz_t balance;
    mpz_init(balance);
    cr_assert_eq(eng_genesis_each_account(&g, first_balance, balance), ST_OK, "walk the accounts");
    cr_assert_eq(mpz_cmp_ui(balance, 9), 0, "its balance");
    mpz_clear(balance);
    cr_assert_str_eq(g.governance.tracks[0].name, "a]}[{", "the track name as written");
    eng_genesis_clear(&g);
}
