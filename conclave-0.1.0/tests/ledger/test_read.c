/* SPDX-License-Identifier: MIT */
/* test_read.c: the ledger's read transactions: a reader sees one state however many blocks another
 * connection commits meanwhile, calls nest and only the outermost end closes the transaction, an
 * unbalanced end changes nothing, blocks and reads exclude each other on one handle, and once the
 * read ends a checkpoint can copy the whole log again (nothing stays pinned). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include "ledger/hash.h"
#include "ledger/ledger.h"
#include "tests/lib/testhelp.h"

static ledger *reader, *writer;
static const uint8_t alice[20] = { 0xa1 }, bob[20] = { 0xb0 };

/* Commits block height on writer with one transaction moving amount from debit to credit. */
static void commit_block(uint64_t height, const ledger_account *debit, const ledger_account *credit, unsigned long amount)
{
    uint8_t txhash[32] = { (uint8_t)height, 7 };
    mpz_t v;
    mpz_init_set_ui(v, amount);
    cr_assert_eq(ledger_block_begin(writer, height), ST_OK, "block %llu begins", (unsigned long long)height);
    cr_assert_eq(ledger_tx_begin(writer, txhash), ST_OK, "tx begins");
    cr_assert_eq(ledger_transfer(writer, debit, credit, v, "test"), ST_OK, "transfer");
    cr_assert_eq(ledger_tx_end(writer, true), ST_OK, "tx ends");
    ledger_txrec rec = { .index = 0, .type = "Test", .body = "{}", .success = true, .events = "[]" };
    memcpy(rec.hash, txhash, 32);
    cr_assert_eq(ledger_txrec_put(writer, &rec), ST_OK, "txrec");
    ledger_block b = { .height = height, .time = 1000 + height, .tx_count = 1 }, parent;
    if (height > 0) {
        cr_assert_eq(ledger_block_get(writer, height - 1, &parent), ST_OK, "parent");
        memcpy(b.parent, parent.hash, 32);
    }
    ledger_sha256(b.tx_root, txhash, 32);
    ledger_block_hash(&b);
    cr_assert_eq(ledger_block_put(writer, &b), ST_OK, "block row");
    cr_assert_eq(ledger_block_commit(writer), ST_OK, "block %llu commits", (unsigned long long)height);
    mpz_clear(v);
}

static unsigned long balance_of(const uint8_t owner[20])
{
    ledger_account a = ledger_user_account(LEDGER_FREE, owner);
    mpz_t v;
    mpz_init(v);
    cr_assert_eq(ledger_balance(reader, &a, v), ST_OK, "balance reads");
    unsigned long n = mpz_get_ui(v);
    mpz_clear(v);
    return n;
}

static uint64_t head_height(void)
{
    ledger_block head;
    cr_assert_eq(ledger_block_head(reader, &head), ST_OK, "head reads");
    return head.height;
}

static void setup(void)
{
    char err[256] = "";
    th_open_ledger(&reader, "read");
    cr_assert_eq(ledger_open(&writer, err, sizeof err, th_ledger_path()), ST_OK, "second connection: %s", err);
    ledger_account issuance = ledger_system_account(LEDGER_ISSUANCE), a = ledger_user_account(LEDGER_FREE, alice);
    commit_block(0, &issuance, &a, 100);
}

static void teardown(void)
{
    ledger_close(writer);
    th_close_ledger(reader);
}

TestSuite(ledger_read, .init = setup, .fini = teardown);

Test(ledger_read, a_reader_sees_one_state_while_blocks_commit_on_another_connection)
{
    ledger_account a = ledger_user_account(LEDGER_FREE, alice), b = ledger_user_account(LEDGER_FREE, bob);
    cr_assert_eq(ledger_read_begin(reader), ST_OK, "read begins");
    cr_assert_eq(balance_of(alice), 100, "alice holds the minted 100");
    commit_block(1, &a, &b, 30);
    commit_block(2, &a, &b, 5);
    cr_assert_eq(head_height(), 0, "the head is still block 0 inside the read");
    cr_assert_eq(balance_of(alice), 100, "alice's balance is block 0's inside the read");
    cr_assert_eq(balance_of(bob), 0, "bob has nothing yet inside the read");
    ledger_read_end(reader);
    cr_assert(!ledger_reading(reader), "the read has ended");
    cr_assert_eq(head_height(), 2, "after the read the head is block 2");
    cr_assert_eq(balance_of(alice), 65, "after the read alice holds 65");
    cr_assert_eq(balance_of(bob), 35, "after the read bob holds 35");
}

Test(ledger_read, nested_reads_share_the_outer_snapshot_and_only_the_outer_end_closes_it)
{
    ledger_account a = ledger_user_account(LEDGER_FREE, alice), b = ledger_user_account(LEDGER_FREE, bob);
    cr_assert(!ledger_reading(reader), "no read before begin");
    cr_assert_eq(ledger_read_begin(reader), ST_OK, "outer read begins");
    cr_assert_eq(head_height(), 0, "outer read sees block 0");
    commit_block(1, &a, &b, 30);
    cr_assert_eq(ledger_read_begin(reader), ST_OK, "inner read begins");
    cr_assert_eq(head_height(), 0, "the inner read sees the outer snapshot, not block 1");
    ledger_read_end(reader);
    cr_assert(ledger_reading(reader), "the inner end leaves the outer read open");
    cr_assert_eq(head_height(), 0, "still block 0 after the inner end");
    ledger_read_end(reader);
    cr_assert(!ledger_reading(reader), "the outer end closes the read");
    cr_assert_eq(head_height(), 1, "block 1 is seen once the read is closed");
}

Test(ledger_read, an_end_without_a_begin_changes_nothing)
{
    ledger_read_end(reader);
    cr_assert(!ledger_reading(reader), "still no read");
    cr_assert_eq(ledger_read_begin(reader), ST_OK, "a read begins afterwards");
    cr_assert(ledger_reading(reader), "and is open");
    ledger_read_end(reader);
    cr_assert(!ledger_reading(reader), "and closes");
}

Test(ledger_read, a_block_cannot_begin_inside_a_read_nor_a_read_inside_a_block)
{
    cr_assert_eq(ledger_read_begin(reader), ST_OK, "read begins");
    cr_assert_eq(ledger_block_begin(reader, 1), ST_INVALID, "no block inside a read");
    ledger_read_end(reader);
    cr_assert_eq(ledger_block_begin(reader, 1), ST_OK, "a block begins once the read is over");
    cr_assert_eq(ledger_read_begin(reader), ST_INVALID, "no read inside a block");
    cr_assert(!ledger_reading(reader), "the refused read opened nothing");
    ledger_block_abort(reader);
}

Test(ledger_read, a_read_pins_the_log_only_until_it_ends)
{
    ledger_account a = ledger_user_account(LEDGER_FREE, alice), b = ledger_user_account(LEDGER_FREE, bob);
    ledger_checkpointer *c;
    int left = -1;
    cr_assert_eq(ledger_checkpointer_open(writer, &c), ST_OK, "checkpointer opens");
    cr_assert_eq(ledger_checkpoint(c, &left), ST_OK, "first checkpoint");
    cr_assert_eq(left, 0, "nothing left once nobody reads");
    cr_assert_eq(ledger_read_begin(reader), ST_OK, "read begins");
    cr_assert_eq(head_height(), 0, "the read takes its snapshot");
    commit_block(1, &a, &b, 30);
    cr_assert_eq(ledger_checkpoint(c, &left), ST_OK, "checkpoint during the read");
    cr_assert_gt(left, 0, "the open read keeps block 1's frames out of the database");
    ledger_read_end(reader);
    cr_assert_eq(ledger_checkpoint(c, &left), ST_OK, "checkpoint after the read");
    cr_assert_eq(left, 0, "the whole log is copied once the read has ended");
    ledger_checkpointer_close(writer, c);
}
