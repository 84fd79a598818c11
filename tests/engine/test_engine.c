/* SPDX-License-Identifier: MIT */
/* test_engine.c: the block producer end to end without a socket: signed transfers queued and
 * committed in one block, receipts only after the commit, nonces (refused, not consumed), failed
 * transactions (nonce consumed, nothing else; their block applied again with a savepoint per
 * transaction), a first transaction from an address that holds nothing
 * (refused, stored nowhere), dev mint, the audit after every block, replay, a transaction's stored
 * text rendered before submission (eng_submit_body) or when applied, a
 * refusal to open a database under a different genesis, a unit for every governed parameter, and a
 * block left open on a loop while a feeder has transactions coming (eng_set_feeder): those
 * submitted meanwhile join it, a failure applies all it took again with savepoints, and it closes
 * once nothing more is coming (and looks again when told the feeder moved), once full, when asked,
 * when a system transaction waits, or when the feeder goes. */
#include <criterion/criterion.h>
#include <event2/event.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include "engine/engine.h"
#include "engine/engine_int.h"
#include "engine/genesis.h"
#include "engine/governance.h"
#include "ledger/amount.h"
#include "ledger/hex.h"
#include "ledger/sig.h"
#include "ledger/sqlstore.h"
#include "ledger/tx.h"
#include "tests/lib/engine_fixture.h"
#include "tests/lib/testhelp.h"

static eng *e;

static void setup(void)
{
    char *genesis = eng_genesis_dev_json(NULL, NULL, NULL);
    cr_assert_not_null(genesis, "dev genesis");
    th_open_engine(&e, "test", genesis);
    free(genesis);
}

static void teardown(void)
{
    th_close_engine(e);
}

TestSuite(engine, .init = setup, .fini = teardown);

/* Queues a Transfer signed by key to address to. Returns eng_submit's status. */
static int submit_transfer_by_key(const uint8_t key[32], const uint8_t to[20], const char *amount, uint64_t nonce,
                                  th_outcome *o)
{
    char to_text[LEDGER_ADDR_STRLEN];
    ledger_addr_format(to_text, to);
    return th_submit_signed(e, key, nonce, "Transfer", o, "{\"to\":\"%s\",\"amount\":\"%s\"}", to_text, amount);
}

/* Queues a Transfer from dev account `from` to dev account `to`. Returns eng_submit's status. */
static int submit_transfer(unsigned from, unsigned to, const char *amount, uint64_t nonce, th_outcome *o)
{
    uint8_t key[32], to_addr[20];
    eng_dev_key(key, from);
    th_dev_bytes(to_addr, to);
    return submit_transfer_by_key(key, to_addr, amount, nonce, o);
}

static void expect_free(unsigned who, const char *expected)
{
    th_expect_user(e, LEDGER_FREE, who, expected);
}

/* Expects dev accounts 0, 1, ... n - 1 to hold the n free balances of expected, in that order. */
static void expect_free_from_0(const char *const *expected, unsigned n)
{
    for (unsigned who = 0; who < n; who++)
        expect_free(who, expected[who]);
}

Test(engine, genesis_block_mints_the_dev_balances)
{
    ledger_block b;
    cr_assert_eq(ledger_block_head(eng_ledger(e), &b), ST_OK, "head");
    cr_assert_eq(b.height, 0, "genesis is block 0");
    cr_assert_eq(b.tx_count, 1, "one genesis transaction");
    expect_free(0, "1000000000000000000000000");
    expect_free(9, "1000000000000000000000000");
    th_expect_audit_ok(e);
}

Test(engine, transfers_queued_together_commit_in_one_block_and_answer_after_it)
{
    th_outcome a = { 0 }, b = { 0 }, c = { 0 };
    cr_assert_eq(submit_transfer(0, 1, "1500000000000000000", 0, &a), ST_OK, "queue a");
    cr_assert_eq(submit_transfer(0, 2, "1", 1, &b), ST_OK, "queue b (next nonce of the same sender)");
    cr_assert_eq(submit_transfer(3, 0, "7", 0, &c), ST_OK, "queue c");
    cr_assert_eq(a.calls + b.calls + c.calls, 0, "nobody is answered before the block");
    cr_assert_eq(eng_flush(e), ST_OK, "flush");
    cr_assert(a.calls == 1 && b.calls == 1 && c.calls == 1, "everyone answered once");
    cr_assert(a.status == ST_OK && a.success && b.success && c.success, "all succeeded");
    cr_assert(a.height == 1 && b.height == 1 && c.height == 1, "all in block 1");
    static const char *const balances[] = { "999998500000000000000006", "1000001500000000000000000",
                                            "1000000000000000000000001", "999999999999999999999993" };
    expect_free_from_0(balances, 4);
    th_expect_audit_ok(e);
}

Test(engine, wrong_nonce_is_refused_and_consumes_nothing)
{
    th_outcome gap = { 0 }, ok = { 0 }, replay = { 0 };
    cr_assert_eq(submit_transfer(0, 1, "5", 1, &gap), ST_OK, "queue gap");
    cr_assert_eq(eng_flush(e), ST_OK, "flush");
    cr_assert_eq(gap.status, ST_NONCE, "a gap is refused");
    cr_assert(strstr(gap.errdata, "\"expected\":\"0\"") != NULL, "error data names the expected nonce: %s", gap.errdata);
    th_outcome_clear(&gap);
    cr_assert_eq(th_head_height(e), 0, "no block for a refused transaction");
    cr_assert_eq(submit_transfer(0, 1, "5", 0, &ok), ST_OK, "queue ok");
    cr_assert_eq(submit_transfer(0, 1, "5", 0, &replay), ST_OK, "queue replay");
    cr_assert_eq(eng_flush(e), ST_OK, "flush");
    cr_assert(ok.status == ST_OK && ok.success, "nonce 0 applies");
    cr_assert_eq(replay.status, ST_NONCE, "the same transaction again is refused");
    th_outcome_clear(&replay);
    expect_free(1, "1000000000000000000000005");
    th_expect_audit_ok(e);
}

Test(engine, failed_transfer_consumes_its_nonce_and_changes_nothing_else)
{
    th_outcome big = { 0 }, next = { 0 };
    cr_assert_eq(submit_transfer(0, 1, "1000000000000000000000001", 0, &big), ST_OK, "queue");
    cr_assert_eq(submit_transfer(0, 1, "3", 1, &next), ST_OK, "queue next");
    cr_assert_eq(eng_flush(e), ST_OK, "flush");
    cr_assert(big.status == ST_OK && !big.success, "included as failed");
    cr_assert(strstr(big.error, "insufficient") != NULL, "reason: %s", big.error);
    cr_assert(next.success, "the next transaction in the block is unaffected");
    cr_assert_eq(th_nonce_of(e, 0), 2, "both nonces consumed");
    static const char *const balances[] = { "999999999999999999999997", "1000000000000000000000003" };
    expect_free_from_0(balances, 2);
    th_expect_audit_ok(e);
}

/* The rows of accounts owned by address (any kind). */
static int accounts_of(const uint8_t address[20])
{
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_prepare_v2(ledger_sqlite(eng_ledger(e)), "SELECT count(*) FROM accounts WHERE owner = ?1", -1,
                                    &st, NULL), SQLITE_OK, "prepare");
    sqlite3_bind_blob(st, 1, address, 20, SQLITE_STATIC);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "count");
    int n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return n;
}

/* A block of signed transactions goes first without a savepoint per transaction. The overdraft in
 * the middle creates its receiver's account row before it fails (ledger_transfer reads or makes both
 * accounts first), a write no savepoint can undo alone: the block is rolled back whole and applied
 * again with savepoints, and must then be what that alone would have made. The next block with a
 * failing transaction has its savepoints at once. */
Test(engine, a_block_whose_transaction_fails_is_applied_again_with_savepoints)
{
    static const uint8_t nobody[20] = { 0xee, 0x01 };
    uint8_t key[32];
    eng_dev_key(key, 2);
    th_outcome a = { 0 }, b = { 0 }, c = { 0 };
    eng_stats st;
    cr_assert_eq(submit_transfer(0, 1, "3", 0, &a), ST_OK, "queue a");
    cr_assert_eq(submit_transfer_by_key(key, nobody, "1000000000000000000000001", 0, &b), ST_OK, "queue the overdraft");
    cr_assert_eq(submit_transfer(3, 0, "5", 0, &c), ST_OK, "queue c");
    cr_assert_eq(eng_flush(e), ST_OK, "flush");
    cr_assert(a.success && c.success && a.height == 1 && b.height == 1 && c.height == 1, "one block, a and c applied");
    cr_assert(b.status == ST_OK && !b.success && strstr(b.error, "insufficient"), "b failed: %s", b.error);
    cr_assert_eq(accounts_of(nobody), 0, "the failed transfer's receiver has no account row");
    eng_stats_get(e, &st);
    cr_assert_eq(st.blocks_redone, 1, "the block was applied again");
    static const char *const balances[] = { "1000000000000000000000002", "1000000000000000000000003",
                                            "1000000000000000000000000", "999999999999999999999995" };
    expect_free_from_0(balances, 4);
    cr_assert_eq(th_nonce_of(e, 2), 1, "the failed transfer's nonce is consumed");
    th_expect_audit_ok(e);
    th_outcome_clear(&a);
    th_outcome_clear(&b);
    cr_assert_eq(submit_transfer_by_key(key, nobody, "1000000000000000000000001", 1, &b), ST_OK, "another overdraft");
    cr_assert_eq(submit_transfer(0, 1, "3", 1, &a), ST_OK, "queue a again");
    cr_assert_eq(eng_flush(e), ST_OK, "flush");
    cr_assert(a.success && !b.success, "the same outcome");
    eng_stats_get(e, &st);
    cr_assert_eq(st.blocks_redone, 1, "this block had its savepoints from the start");
    th_expect_audit_ok(e);
    th_outcome_clear(&a);
    th_outcome_clear(&b);
    th_outcome_clear(&c);
    th_replay(&e);
}

/* eng_handler_find searches the table by halves: it must be sorted, and find every signed type but
 * Voucher (signed off-ledger), each only as what it is, signed or system. */
Test(engine, the_handler_table_is_sorted_and_finds_every_type_as_what_it_is)
{
    cr_assert(eng_handlers_sorted(), "the handler table is sorted by type name, each name once");
    unsigned n;
    const ledger_eip712_type *types = ledger_tx_types(&n);
    for (unsigned i = 0; i < n; i++) {
        bool voucher = strcmp(types[i].name, "Voucher") == 0;
        cr_assert_eq(eng_handler_find(types[i].name, false) != NULL, !voucher, "%s has a signed handler", types[i].name);
        cr_assert_null(eng_handler_find(types[i].name, true), "%s is no system type", types[i].name);
    }
    static const char *const system_types[] = { "Genesis", "Mint", "Settlement", "Tick" };
    for (size_t i = 0; i < sizeof system_types / sizeof system_types[0]; i++) {
        cr_assert_not_null(eng_handler_find(system_types[i], true), "%s is a system type", system_types[i]);
        cr_assert_null(eng_handler_find(system_types[i], false), "%s cannot be signed", system_types[i]);
    }
    cr_assert_null(eng_handler_find("transfer", false), "names are case-sensitive");
    cr_assert_null(eng_handler_find("", false), "the empty name is nothing");
}

/* A key whose address no genesis funds. */
static const uint8_t fresh_key[32] = { [31] = 0x42 };

static uint64_t next_nonce(const uint8_t addr[20])
{
    uint64_t nonce;
    cr_assert_eq(ledger_nonce_get(eng_ledger(e), addr, &nonce), ST_OK, "nonce");
    return nonce;
}

Test(engine, a_first_transaction_from_an_address_that_holds_nothing_is_refused_and_stored_nowhere)
{
    th_outcome o = { 0 };
    uint8_t to[20], fresh[20];
    char fresh_text[LEDGER_ADDR_STRLEN];
    th_dev_bytes(to, 1);
    cr_assert_eq(ledger_sig_address(fresh, fresh_key), ST_OK, "address");
    ledger_addr_format(fresh_text, fresh);
    cr_assert_eq(submit_transfer_by_key(fresh_key, to, "1", 0, &o), ST_OK, "queued");
    cr_assert_eq(eng_flush(e), ST_OK, "flush");
    cr_assert_eq(o.calls, 1, "answered");
    cr_assert_eq(o.status, ST_INSUFFICIENT, "refused instead of kept as a failed receipt: %s", o.errmsg);
    cr_assert(strstr(o.errmsg, "holds nothing in the ledger") != NULL, "says why: %s", o.errmsg);
    cr_assert(o.errdata && strstr(o.errdata, fresh_text) != NULL, "data names the address: %s", o.errdata);
    th_outcome_clear(&o);
    cr_assert_eq(th_head_height(e), 0, "no block was written");
    cr_assert_eq(next_nonce(fresh), 0, "no nonce consumed");
}

Test(engine, transfers_with_random_signatures_are_refused_before_they_are_stored)
{
    enum { N = 20 };
    th_outcome o[N] = { 0 };
    unsigned seed = 9;
    for (unsigned i = 0; i < N; i++) {
        ledger_tx tx;
        char err[256] = "";
        free(th_random_signature_transfer(&tx, &seed, 27, eng_chain_id(e)));
        cr_assert_eq(eng_submit(e, err, sizeof err, &tx, th_on_done, &o[i]), ST_OK, "queued: %s", err);
        ledger_tx_clear(&tx);
    }
    cr_assert_eq(eng_flush(e), ST_OK, "flush");
    for (unsigned i = 0; i < N; i++) {
        cr_assert_eq(o[i].status, ST_INSUFFICIENT, "transaction %u refused: %s", i, o[i].errmsg);
        th_outcome_clear(&o[i]);
    }
    cr_assert_eq(th_head_height(e), 0, "nothing was stored");
}

Test(engine, an_address_funded_earlier_in_its_block_is_admitted_and_keeps_its_failed_receipts)
{
    th_outcome fund = { 0 }, spend = { 0 }, overdraw = { 0 };
    uint8_t fresh[20], to[20];
    cr_assert_eq(ledger_sig_address(fresh, fresh_key), ST_OK, "address");
    th_dev_bytes(to, 1);
    uint8_t key[32];
    eng_dev_key(key, 0);
    cr_assert_eq(submit_transfer_by_key(key, fresh, "5", 0, &fund), ST_OK, "queue the funding");
    cr_assert_eq(submit_transfer_by_key(fresh_key, to, "2", 0, &spend), ST_OK, "queue the first spend");
    cr_assert_eq(eng_flush(e), ST_OK, "flush");
    cr_assert(fund.status == ST_OK && fund.success, "funded");
    cr_assert(spend.status == ST_OK && spend.success, "admitted on the balance its block gave it: %s", spend.errmsg);
    cr_assert_eq(spend.height, fund.height, "in the same block");
    cr_assert_eq(submit_transfer_by_key(fresh_key, to, "4", 1, &overdraw), ST_OK, "queue an overdraft");
    cr_assert_eq(eng_flush(e), ST_OK, "flush");
    cr_assert(overdraw.status == ST_OK && !overdraw.success, "a later transaction keeps its failed receipt");
    cr_assert_eq(next_nonce(fresh), 2, "both nonces consumed");
    expect_free(1, "1000000000000000000000002");
    th_expect_audit_ok(e);
}

Test(engine, stateless_checks_refuse_before_queuing)
{
    th_outcome o = { 0 };
    cr_assert_eq(submit_transfer(0, 1, "0", 0, &o), ST_INVALID, "zero amount refused");
    cr_assert_eq(submit_transfer(4, 4, "1", 0, &o), ST_INVALID, "transfer to oneself refused");
    cr_assert_eq(eng_flush(e), ST_OK, "flush");
    cr_assert_eq(o.calls, 0, "never queued");
}

Test(engine, dev_mint_and_manual_clock)
{
    th_outcome o = { 0 };
    uint8_t addr[20];
    th_dev_bytes(addr, 5);
    char text[43];
    ledger_addr_format(text, addr);
    cJSON *msg = cJSON_CreateObject();
    cJSON_AddStringToObject(msg, "to", text);
    cJSON_AddStringToObject(msg, "amount", "42");
    cr_assert_eq(eng_submit_system(e, "Mint", msg, th_on_done, &o), ST_OK, "mint queued");
    cr_assert_eq(eng_submit_system(e, "Genesis", msg, th_on_done, &o), ST_INVALID, "no second genesis");
    cJSON_Delete(msg);
    uint64_t before = eng_now(e), now;
    cr_assert_eq(eng_advance_time(e, 3600, &now), ST_OK, "advance");
    cr_assert_eq(now, before + 3600, "clock moved exactly");
    cr_assert_eq(eng_flush(e), ST_OK, "flush");
    cr_assert(o.success, "mint applied");
    expect_free(5, "1000000000000000000000042");
    ledger_block head;
    cr_assert_eq(ledger_block_head(eng_ledger(e), &head), ST_OK, "head");
    cr_assert_eq(head.time, now, "the block carries the manual clock's time");
    th_expect_audit_ok(e);
}

Test(engine, restart_keeps_blocks_and_the_manual_clock)
{
    th_outcome o = { 0 };
    uint64_t now;
    cr_assert_eq(eng_advance_time(e, 100, &now), ST_OK, "advance");
    cr_assert_eq(submit_transfer(0, 1, "9", 0, &o), ST_OK, "queue");
    eng_close(e);
    e = NULL;
    cr_assert(o.success, "closing applies what was queued");
    th_reopen_engine(&e);
    expect_free(1, "1000000000000000000000009");
    cr_assert_eq(eng_now(e), now, "the manual clock resumes where it stopped");
    th_expect_audit_ok(e);
}

Test(engine, replay_rebuilds_the_same_chain)
{
    th_outcome o[6] = { 0 };
    for (unsigned i = 0; i < 6; i++) {
        cr_assert_eq(submit_transfer(i % 3, (i + 1) % 3, i == 4 ? "5000000000000000000000000" : "11", i / 3, &o[i]),
                     ST_OK, "queue %u", i);
        if (i % 2)
            cr_assert_eq(eng_flush(e), ST_OK, "flush");
    }
    cr_assert(!o[4].success, "one failed transaction is part of the log too");
    eng_replay_report r = th_replay(&e);
    cr_assert_eq(r.blocks, 4, "genesis and three blocks");
    cr_assert_eq(r.transactions, 7, "genesis and six transactions");
    cr_assert_geq(r.accounts, 5, "treasury, issuance and the users compared");
    th_reopen_engine(&e);
}

Test(engine, refuses_a_database_of_another_genesis)
{
    eng_close(e);
    e = NULL;
    const char *other = "{\"chainId\":5,\"time\":0}";
    char err[256] = "";
    eng *x = NULL;
    eng_config cfg = { .db_path = th_db_path(), .genesis_json = other, .clock_mode = ENG_CLOCK_MANUAL };
    cr_assert_eq(eng_open(&x, err, sizeof err, &cfg), ST_INVALID, "different genesis refused");
    cr_assert(strstr(err, "different genesis") != NULL, "says why: %s", err);
    cr_assert_null(x, "no engine");
    th_reopen_engine(&e);
}

static bool ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), t = strlen(tail);
    return n >= t && strcmp(s + n - t, tail) == 0;
}

Test(engine, every_chain_parameter_has_its_unit_sorted_name_and_default_within_bounds)
{
    unsigned n = eng_param_count(), governed = 0;
    cr_assert_gt(n, 0, "chain parameters");
    cr_assert_null(eng_param_at(n), "nothing past the table");
    mpz_t value;
    mpz_init(value);
    for (unsigned i = 0; i < n; i++) {
        const eng_param *p = eng_param_at(i);
        cr_assert_neq(p->unit, ENG_UNIT_UNKNOWN, "%s has a unit", p->name);
        cr_assert_eq(eng_param_find(p->name), p, "%s is found by name", p->name);
        if (i > 0)
            cr_assert_lt(strcmp(eng_param_at(i - 1)->name, p->name), 0, "%s sorted after %s", p->name, eng_param_at(i - 1)->name);
        if (ends_with(p->name, "Secs"))
            cr_assert_eq(p->unit, ENG_UNIT_SECONDS, "%s is in seconds", p->name);
        if (ends_with(p->name, "Ppm"))
            cr_assert_eq(p->unit, ENG_UNIT_PPM, "%s is in parts per million", p->name);
        if (p->kind != ENG_PARAM_PPM_LIST) {
            eng_param_value(e, p, value);
            cr_assert(eng_param_in_bounds(p, value), "%s's value in force is within its bounds", p->name);
        }
        governed += p->governed;
    }
    mpz_clear(value);
    cr_assert_eq(governed, 11, "eleven governed parameters");
    cr_assert_eq(eng_param_unit("rewards.rho"), ENG_UNIT_FIXED, "a fixed");
    cr_assert_eq(eng_param_unit("staking.minContribution"), ENG_UNIT_AMOUNT, "an amount");
    cr_assert_eq(eng_param_unit("rewards.budgetPerEpoch"), ENG_UNIT_AMOUNT, "an amount");
    cr_assert_eq(eng_param_unit("staking.minWorkerScore"), ENG_UNIT_COUNT, "a plain number");
    cr_assert_not(eng_param_find("staking.maxWorkersPerPool")->governed, "the worker limit is not governed");
    cr_assert_eq(eng_param_unit("staking.noSuchThing"), ENG_UNIT_UNKNOWN, "unknown");
}

/* Signs a Transfer of 1 from dev account 0 to dev account 1 at nonce. */
static void signed_transfer(ledger_tx *tx, uint64_t nonce)
{
    uint8_t key[32];
    char err[256], msg[160];
    eng_dev_key(key, 0);
    snprintf(msg, sizeof msg, "{\"to\":\"%s\",\"amount\":\"1\",\"nonce\":\"%llu\"}", th_dev_text(1),
             (unsigned long long)nonce);
    cJSON *m = cJSON_Parse(msg);
    cr_assert_eq(ledger_tx_build_signed(tx, err, sizeof err, "Transfer", m, key, eng_chain_id(e)), ST_OK, "%s", err);
    cJSON_Delete(m);
}

/* The stored text of the transaction with id hash. Caller frees. */
static char *stored_body(const uint8_t hash[32])
{
    ledger_txrec rec;
    cr_assert_eq(ledger_txrec_get(eng_ledger(e), hash, &rec), ST_OK, "stored");
    char *body = strdup(rec.body);
    ledger_txrec_clear(&rec);
    return body;
}

Test(engine, a_body_rendered_before_submission_is_the_one_stored)
{
    th_outcome early = { 0 }, late = { 0 };
    ledger_tx first, second;
    char err[256] = "";
    signed_transfer(&first, 0);
    signed_transfer(&second, 1);
    uint8_t first_hash[32], second_hash[32];
    memcpy(first_hash, first.hash, 32);
    memcpy(second_hash, second.hash, 32);
    char *expected_first = eng_tx_body(&first), *expected_second = eng_tx_body(&second);
    char *body = eng_tx_body(&first), *none = NULL;
    cr_assert(expected_first && expected_second && body, "rendered");
    cr_assert_eq(eng_submit_body(e, err, sizeof err, &first, &body, th_on_done, &early), ST_OK, "queued: %s", err);
    cr_assert_null(body, "the text moved with the transaction");
    cr_assert_eq(eng_submit_body(e, err, sizeof err, &second, &none, th_on_done, &late), ST_OK, "queued: %s", err);
    cr_assert_eq(eng_flush(e), ST_OK, "flush");
    cr_assert(early.status == ST_OK && early.success && late.status == ST_OK && late.success, "both applied");
    char *got_first = stored_body(first_hash), *got_second = stored_body(second_hash);
    cr_assert_str_eq(got_first, expected_first, "the text given is stored");
    cr_assert_str_eq(got_second, expected_second, "without one, the same text is rendered when applied");
    free(got_first);
    free(got_second);
    cJSON_free(expected_first);
    cJSON_free(expected_second);
    th_outcome_clear(&early);
    th_outcome_clear(&late);
    th_expect_audit_ok(e);
}

/* Blocks left open for a feeder's transactions (eng_set_feeder): an engine on a loop, whose
 * producer runs a step a turn, blocks of at most FED_BLOCK_TXS transactions, and a feeder whose
 * count of transactions still coming the test sets (100 unless it says otherwise). */
#define FED_BLOCK_TXS 4

static struct event_base *fed_base;

static struct feeder {
    size_t coming;
    unsigned closed;
} f;

static size_t feeder_pending(void *ctx)
{
    return ((struct feeder *)ctx)->coming;
}

static void feeder_closed(void *ctx)
{
    ((struct feeder *)ctx)->closed++;
}

static void fed_setup(void)
{
    char *genesis = eng_genesis_dev_json(NULL, NULL, NULL);
    cr_assert_not_null(genesis, "dev genesis");
    th_open_engine_tuned(&e, "fed", genesis, &(eng_config){ .max_block_txs = FED_BLOCK_TXS });
    free(genesis);
    fed_base = event_base_new();
    cr_assert_not_null(fed_base, "a loop");
    cr_assert_eq(eng_attach(e, fed_base), ST_OK, "attach");
    f = (struct feeder){ .coming = 100 };
    eng_set_feeder(e, &(eng_feeder){ .pending = feeder_pending, .closed = feeder_closed, .ctx = &f });
}

static void fed_teardown(void)
{
    th_close_engine(e);
    event_base_free(fed_base);
}

TestSuite(engine_fed, .init = fed_setup, .fini = fed_teardown);

/* One turn of the loop: what is active runs (the producer's step), nothing waits. */
static void fed_turn(void)
{
    cr_assert_eq(event_base_loop(fed_base, EVLOOP_NONBLOCK), 0, "a turn");
}

/* Turns the loop until o is answered (its block's sync returned), 10 s at most. */
static void fed_until_answered(const th_outcome *o)
{
    static const struct timeval step = { 0, 50000 };
    for (int i = 0; i < 200 && o->calls == 0; i++) {
        event_base_loopexit(fed_base, &step);
        event_base_dispatch(fed_base);
    }
    cr_assert_eq(o->calls, 1, "answered");
}

Test(engine_fed, a_block_stays_open_while_transactions_are_coming_takes_them_and_applies_them_again_after_a_failure)
{
    static const uint8_t nobody[20] = { 0xee, 0x02 };
    th_outcome out[3] = { { 0 } };
    uint8_t key[32];
    eng_stats st;
    cr_assert_eq(submit_transfer(0, 1, "1", 0, &out[0]), ST_OK, "a transfer");
    fed_turn();
    cr_assert(eng_block_open(e), "the block stays open: more is coming");
    cr_assert_eq(th_head_height(e), 0, "nothing is committed");
    eng_dev_key(key, 2);
    cr_assert_eq(submit_transfer_by_key(key, nobody, "1000000000000000000000001", 0, &out[1]), ST_OK, "an overdraft");
    fed_turn();
    cr_assert(eng_block_open(e), "still open after the overdraft made it start again");
    eng_stats_get(e, &st);
    cr_assert_eq(st.blocks_redone, 1, "the block was applied again, guarded");
    cr_assert_eq(submit_transfer(0, 1, "1", 1, &out[2]), ST_OK, "another transfer");
    f.coming = 0;
    fed_turn();
    cr_assert(!eng_block_open(e), "closed: nothing more is coming");
    cr_assert_eq(f.closed, 1, "the feeder heard of the close");
    fed_until_answered(&out[2]);
    for (unsigned k = 0; k < 3; k++) {
        cr_assert_eq(out[k].calls, 1, "transaction %u answered once", k);
        cr_assert(out[k].status == ST_OK && out[k].height == 1, "transaction %u in block 1: %s", k, out[k].errmsg);
        cr_assert_eq(out[k].success, k != 1, "transaction %u: %s", k, out[k].error);
        th_outcome_clear(&out[k]);
    }
    cr_assert_eq(th_head_height(e), 1, "one block");
    cr_assert_eq(th_nonce_of(e, 0), 2, "both transfers of account 0 applied");
    th_expect_audit_ok(e);
    eng_set_feeder(e, NULL);
}

Test(engine_fed, an_open_block_closes_once_told_that_nothing_more_is_coming)
{
    th_outcome out = { 0 };
    cr_assert_eq(submit_transfer(0, 1, "1", 0, &out), ST_OK, "a transfer");
    fed_turn();
    cr_assert(eng_block_open(e), "open: more is coming");
    f.coming = 0; /* the calls on their way were refused, say: nothing was submitted */
    fed_turn();
    cr_assert(eng_block_open(e), "nothing woke the producer");
    eng_feeder_moved(e);
    fed_turn();
    cr_assert(!eng_block_open(e), "closed once told");
    fed_until_answered(&out);
    cr_assert(out.success && out.height == 1, "answered from block 1: %s", out.error);
    th_outcome_clear(&out);
}

Test(engine_fed, a_full_block_closes_and_the_rest_opens_the_next)
{
    th_outcome out[FED_BLOCK_TXS + 2] = { { 0 } };
    for (unsigned k = 0; k < FED_BLOCK_TXS + 2; k++)
        cr_assert_eq(submit_transfer(k, 9, "1", 0, &out[k]), ST_OK, "transfer %u", k);
    fed_turn();
    cr_assert_eq(f.closed, 1, "the first block closed once full");
    fed_turn();
    cr_assert(eng_block_open(e), "the next is open with the rest");
    eng_set_feeder(e, NULL);
    cr_assert(!eng_block_open(e), "removing the feeder closes it");
    fed_until_answered(&out[FED_BLOCK_TXS + 1]);
    for (unsigned k = 0; k < FED_BLOCK_TXS + 2; k++) {
        cr_assert(out[k].success && out[k].height == (k < FED_BLOCK_TXS ? 1 : 2), "transfer %u in its block", k);
        th_outcome_clear(&out[k]);
    }
    th_expect_audit_ok(e);
}

Test(engine_fed, an_open_block_closes_when_asked_or_when_a_system_transaction_waits)
{
    th_outcome first = { 0 }, mint = { 0 }, after = { 0 };
    cr_assert_eq(submit_transfer(0, 1, "1", 0, &first), ST_OK, "a transfer");
    fed_turn();
    cr_assert(eng_block_open(e), "open");
    eng_close_block_soon(e);
    fed_turn();
    cr_assert(!eng_block_open(e), "closed when asked");
    cr_assert_eq(submit_transfer(0, 1, "1", 1, &after), ST_OK, "another transfer");
    fed_turn();
    cr_assert(eng_block_open(e), "the next block is open");
    th_system_tx(e, "Mint", &mint, "{\"to\":\"%s\",\"amount\":\"7\"}", th_dev_text(3));
    fed_turn();
    cr_assert_eq(f.closed, 2, "the system transaction closed the open block");
    eng_set_feeder(e, NULL);
    fed_until_answered(&mint);
    cr_assert(first.success && first.height == 1, "the first block");
    cr_assert(after.success && after.height == 2, "the second block");
    cr_assert(mint.success && mint.height == 3, "the Mint in a block after it: %s", mint.error);
    th_outcome_clear(&first);
    th_outcome_clear(&mint);
    th_outcome_clear(&after);
    th_expect_audit_ok(e);
}
