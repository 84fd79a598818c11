/* SPDX-License-Identifier: MIT */
/* audit.c: proves the ledger's invariants from the stored rows alone, in one read transaction:
 * sum(debits) == sum(credits) == sum(transfers), no balance below zero but issuance's,
 * supply == -balance(issuance), every account equal to the sum of its transfers, every pool's
 * stake equal to its ledger account and its bonded and unbonding stake to its workers' and
 * unbondings', an unbroken hash chain of blocks over their stored transactions, each block's
 * transfers the id range its row ends, each sender's transactions numbered by their nonces
 * from 0, and each vote with its row in vote_locks. All sums are exact (u256_sum on GMP). */
#include "ledger/ledger_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ledger/amount.h"
#include "ledger/hash.h"

/* Runs a query returning one row and reads its columns as integers given in decimal text. */
static int query_numbers(ledger *l, const char *sql, int kind, mpz_t *outs, int n)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(l->db, sql, -1, &st, NULL) != SQLITE_OK)
        return ST_DB;
    if (kind)
        sqlite3_bind_int(st, 1, kind);
    int rc = ST_DB;
    if (sqlite3_step(st) == SQLITE_ROW) {
        rc = ST_OK;
        for (int i = 0; i < n && rc == ST_OK; i++) {
            const char *text = (const char *)sqlite3_column_text(st, i);
            if (!text || mpz_set_str(outs[i], text, 10) != 0)
                rc = ST_DB;
        }
    }
    sqlite3_finalize(st);
    return rc;
}

void ledger_audit_add_check(ledger_audit_report *r, const char *name, bool ok, const char *fmt, ...)
{
    if (r->n_checks >= LEDGER_AUDIT_MAX_CHECKS)
        return;
    r->checks[r->n_checks].name = name;
    r->checks[r->n_checks].ok = ok;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->checks[r->n_checks].detail, sizeof r->checks[0].detail, fmt, ap);
    va_end(ap);
    r->n_checks++;
    if (!ok)
        r->ok = false;
}

static int check_sums(ledger *l, ledger_audit_report *r)
{
    mpz_t v[4];
    for (int i = 0; i < 4; i++)
        mpz_init(v[i]);
    int rc = query_numbers(l, "SELECT u256_sum(debits), u256_sum(credits), "
                              "(SELECT u256_sum(amount) FROM transfers) FROM accounts", 0, v, 3);
    if (rc == ST_OK) {
        bool ok = mpz_cmp(v[0], v[1]) == 0 && mpz_cmp(v[1], v[2]) == 0;
        char *d = mpz_get_str(NULL, 10, v[0]), *c = mpz_get_str(NULL, 10, v[1]), *t = mpz_get_str(NULL, 10, v[2]);
        ledger_audit_add_check(r, "debits_equal_credits", ok, "debits %s, credits %s, transfers %s", d, c, t);
        free(d), free(c), free(t);
    }
    if (rc == ST_OK)
        rc = query_numbers(l, "SELECT count(*) FROM accounts WHERE kind != ?1 AND u256_cmp(credits, debits) < 0",
                           LEDGER_ISSUANCE, v, 1);
    if (rc == ST_OK)
        ledger_audit_add_check(r, "no_negative_balance", mpz_sgn(v[0]) == 0, "%s account(s) below zero",
                  mpz_sgn(v[0]) ? "some" : "no");
    if (rc == ST_OK)
        rc = query_numbers(l, "SELECT (SELECT u256_sum(credits) FROM accounts WHERE kind != ?1), "
                              "(SELECT u256_sum(debits) FROM accounts WHERE kind != ?1), "
                              "(SELECT u256_sum(debits) FROM accounts WHERE kind = ?1), "
                              "(SELECT u256_sum(credits) FROM accounts WHERE kind = ?1)",
                           LEDGER_ISSUANCE, v, 4);
    if (rc == ST_OK) {
        mpz_sub(v[0], v[0], v[1]); /* supply */
        mpz_sub(v[2], v[2], v[3]); /* -balance(issuance) */
        char *s = mpz_get_str(NULL, 10, v[0]), *i = mpz_get_str(NULL, 10, v[2]);
        ledger_audit_add_check(r, "supply_equals_issuance", mpz_cmp(v[0], v[2]) == 0, "supply %s, issued %s", s, i);
        free(s), free(i);
    }
    if (rc == ST_OK)
        rc = query_numbers(l, "SELECT count(*) FROM accounts a WHERE "
                              "a.debits != (SELECT u256_sum(amount) FROM transfers WHERE debit = a.id) OR "
                              "a.credits != (SELECT u256_sum(amount) FROM transfers WHERE credit = a.id)",
                           0, v, 1);
    /* no foreign key ties a transfer to its accounts (schema 017): none may name a missing one */
    if (rc == ST_OK)
        rc = query_numbers(l, "SELECT count(*) FROM transfers t WHERE NOT EXISTS (SELECT 1 FROM accounts WHERE id = t.debit)"
                              " OR NOT EXISTS (SELECT 1 FROM accounts WHERE id = t.credit)",
                           0, v + 1, 1);
    if (rc == ST_OK)
        mpz_add(v[0], v[0], v[1]);
    if (rc == ST_OK) {
        char *n = mpz_get_str(NULL, 10, v[0]);
        ledger_audit_add_check(r, "accounts_match_transfers", mpz_sgn(v[0]) == 0,
                               "%s account(s) or transfer(s) differ from their transfers or accounts", n);
        free(n);
    }
    if (rc == ST_OK)
        rc = query_numbers(l, "SELECT count(*) FROM pools p WHERE p.stake != coalesce((SELECT u256_sub(a.credits, a.debits) "
                              "FROM accounts a WHERE a.kind = ?1 AND a.pool = p.id), '0') "
                              "OR p.bonded != (SELECT u256_sum(bonded) FROM workers WHERE pool = p.id) "
                              "OR p.unbonding != (SELECT u256_sum(amount) FROM unbondings WHERE pool = p.id) "
                              "OR u256_cmp(p.stake, u256_add(p.bonded, p.unbonding)) < 0",
                           LEDGER_POOL_STAKE, v, 1);
    if (rc == ST_OK) {
        char *n = mpz_get_str(NULL, 10, v[0]);
        ledger_audit_add_check(r, "pools_match_their_accounts", mpz_sgn(v[0]) == 0,
                  "%s pool(s) whose stake, bonded or unbonding stake disagree with the books", n);
        free(n);
    }
    for (int i = 0; i < 4; i++)
        mpz_clear(v[i]);
    return rc;
}

/* The transfers of ids in (after, upto] at another height than height (-1: any), through range
 * (SELECT count(*) ... WHERE id > ?1 AND id <= ?2 AND height != ?3); -1 when it cannot be read. */
static sqlite3_int64 transfers_elsewhere(sqlite3_stmt *range, sqlite3_int64 after, sqlite3_int64 upto, sqlite3_int64 height)
{
    sqlite3_reset(range);
    sqlite3_bind_int64(range, 1, after);
    sqlite3_bind_int64(range, 2, upto);
    sqlite3_bind_int64(range, 3, height);
    return sqlite3_step(range) == SQLITE_ROW ? sqlite3_column_int64(range, 0) : -1;
}

static int check_chain(ledger *l, ledger_audit_report *r)
{
    sqlite3_stmt *blocks = NULL, *txs = NULL, *all = NULL, *range = NULL;
    int rc = ST_DB;
    if (sqlite3_prepare_v2(l->db, "SELECT height, hash, parent, time, tx_root, tx_count, transfers_end FROM blocks"
                           " ORDER BY height", -1, &blocks, NULL) != SQLITE_OK
        || sqlite3_prepare_v2(l->db, "SELECT hash FROM transactions WHERE position BETWEEN ?1 AND ?2 ORDER BY position",
                              -1, &txs, NULL) != SQLITE_OK
        || sqlite3_prepare_v2(l->db, "SELECT count(*) FROM transactions", -1, &all, NULL) != SQLITE_OK
        || sqlite3_prepare_v2(l->db, "SELECT count(*) FROM transfers WHERE id > ?1 AND id <= ?2 AND height != ?3", -1,
                              &range, NULL) != SQLITE_OK)
        goto out;
    uint8_t prev[LEDGER_HASH_LEN] = { 0 };
    uint64_t expect_height = 0, in_blocks = 0;
    sqlite3_int64 transfers_end = 0;    /* the previous block's; a block's transfers follow it */
    char problem[200] = "";
    int step;
    while (!problem[0] && (step = sqlite3_step(blocks)) == SQLITE_ROW) {
        ledger_block b = { .height = (uint64_t)sqlite3_column_int64(blocks, 0),
                           .time = (uint64_t)sqlite3_column_int64(blocks, 3),
                           .tx_count = (uint32_t)sqlite3_column_int64(blocks, 5) };
        if (sqlite3_column_bytes(blocks, 1) != LEDGER_HASH_LEN || sqlite3_column_bytes(blocks, 2) != LEDGER_HASH_LEN
            || sqlite3_column_bytes(blocks, 4) != LEDGER_HASH_LEN) {
            snprintf(problem, sizeof problem, "block %llu: malformed header", (unsigned long long)b.height);
            break;
        }
        memcpy(b.parent, sqlite3_column_blob(blocks, 2), LEDGER_HASH_LEN);
        memcpy(b.tx_root, sqlite3_column_blob(blocks, 4), LEDGER_HASH_LEN);
        if (b.height != expect_height) {
            snprintf(problem, sizeof problem, "block %llu missing", (unsigned long long)expect_height);
            break;
        }
        if (memcmp(b.parent, prev, LEDGER_HASH_LEN) != 0) {
            snprintf(problem, sizeof problem, "block %llu: parent hash does not match block %llu",
                     (unsigned long long)b.height, (unsigned long long)b.height - 1);
            break;
        }
        /* the transactions stored for the block must give its tx_root */
        struct { uint8_t *p; size_t n, cap; } buf = { 0 }; /* concatenated tx hashes */
        if (b.height > LEDGER_POSITION_HEIGHT_MAX) {
            snprintf(problem, sizeof problem, "block %llu: beyond the highest height", (unsigned long long)b.height);
            break;
        }
        sqlite3_reset(txs);
        sqlite3_bind_int64(txs, 1, ledger_position_key(b.height, 0));
        sqlite3_bind_int64(txs, 2, ledger_position_key(b.height, UINT32_MAX));
        uint32_t count = 0;
        while (sqlite3_step(txs) == SQLITE_ROW) {
            if (buf.n + LEDGER_HASH_LEN > buf.cap) {
                buf.cap = buf.cap ? buf.cap * 2 : 1024;
                uint8_t *grown = realloc(buf.p, buf.cap);
                if (!grown) {
                    free(buf.p);
                    rc = ST_NOMEM;
                    goto out;
                }
                buf.p = grown;
            }
            if (sqlite3_column_bytes(txs, 0) == LEDGER_HASH_LEN)
                memcpy(buf.p + buf.n, sqlite3_column_blob(txs, 0), LEDGER_HASH_LEN);
            buf.n += LEDGER_HASH_LEN;
            count++;
        }
        uint8_t root[LEDGER_HASH_LEN];
        ledger_sha256(root, buf.p ? buf.p : (const uint8_t *)"", buf.n);
        free(buf.p);
        if (count != b.tx_count || memcmp(root, b.tx_root, LEDGER_HASH_LEN) != 0) {
            snprintf(problem, sizeof problem, "block %llu: stored transactions do not match its tx_root",
                     (unsigned long long)b.height);
            break;
        }
        ledger_block_hash(&b);
        if (memcmp(b.hash, sqlite3_column_blob(blocks, 1), LEDGER_HASH_LEN) != 0) {
            snprintf(problem, sizeof problem, "block %llu: hash does not match its header",
                     (unsigned long long)b.height);
            break;
        }
        /* no foreign key ties a transfer to its block (schema 017): the ids of its transfers are
         * the range its row ends (schema 018) */
        sqlite3_int64 end = sqlite3_column_int64(blocks, 6);
        if (end < transfers_end || transfers_elsewhere(range, transfers_end, end, (sqlite3_int64)b.height) != 0) {
            snprintf(problem, sizeof problem, "block %llu: its transfers are not the ids it ends", (unsigned long long)b.height);
            break;
        }
        transfers_end = end;
        memcpy(prev, b.hash, LEDGER_HASH_LEN);
        expect_height++;
        in_blocks += count;
    }
    /* no foreign key ties a transaction or a transfer to its block (schemas 016, 017): none may lie
     * outside the blocks */
    sqlite3_int64 after = problem[0] ? 0 : transfers_elsewhere(range, transfers_end, INT64_MAX, -1);
    if (!problem[0] && (sqlite3_step(all) != SQLITE_ROW || (uint64_t)sqlite3_column_int64(all, 0) != in_blocks || after != 0))
        snprintf(problem, sizeof problem, "%lld stored transaction(s), %llu in the blocks; %lld transfer(s) after them",
                 (long long)sqlite3_column_int64(all, 0), (unsigned long long)in_blocks, (long long)after);
    r->height = expect_height ? expect_height - 1 : 0;
    if (problem[0])
        ledger_audit_add_check(r, "hash_chain", false, "%s", problem);
    else
        ledger_audit_add_check(r, "hash_chain", true, "%llu block(s) linked", (unsigned long long)expect_height);
    rc = ST_OK;
out:
    sqlite3_finalize(blocks);
    sqlite3_finalize(txs);
    sqlite3_finalize(all);
    sqlite3_finalize(range);
    return rc;
}

/* Every sender's stored transactions carry the nonces 0, 1, 2, ... in chain order: a sender's next
 * nonce, read from its last transaction (schema 019), is then the count of what it sent. */
static int check_nonces(ledger *l, ledger_audit_report *r)
{
    mpz_t v;
    mpz_init(v);
    int rc = query_numbers(l, "SELECT count(*) FROM (SELECT nonce, row_number() OVER (PARTITION BY sender ORDER BY "
                              "position) - 1 AS expected FROM transactions WHERE sender IS NOT NULL) "
                              "WHERE nonce IS NOT expected",
                           0, &v, 1);
    if (rc == ST_OK) {
        char *n = mpz_get_str(NULL, 10, v);
        ledger_audit_add_check(r, "nonces_in_order", mpz_sgn(v) == 0,
                               "%s transaction(s) whose nonce is not its sender's count of earlier ones", n);
        free(n);
    }
    mpz_clear(v);
    return rc;
}

/* Every vote has its row in vote_locks, which lists it under its voter and holds its lock, and every
 * row there above proposal 0 (an undelegation's lock) is a vote's (schema 020). */
static int check_vote_locks(ledger *l, ledger_audit_report *r)
{
    mpz_t v[2];
    mpz_inits(v[0], v[1], NULL);
    int rc = query_numbers(l, "SELECT (SELECT count(*) FROM votes v WHERE NOT EXISTS (SELECT 1 FROM vote_locks k"
                              " WHERE k.voter = v.voter AND k.proposal = v.proposal)),"
                              " (SELECT count(*) FROM vote_locks k WHERE k.proposal > 0 AND NOT EXISTS"
                              " (SELECT 1 FROM votes v WHERE v.proposal = k.proposal AND v.voter = k.voter))",
                           0, v, 2);
    if (rc == ST_OK) {
        char *unlisted = mpz_get_str(NULL, 10, v[0]), *stray = mpz_get_str(NULL, 10, v[1]);
        ledger_audit_add_check(r, "votes_match_their_locks", mpz_sgn(v[0]) == 0 && mpz_sgn(v[1]) == 0,
                               "%s vote(s) without a lock row, %s lock row(s) without a vote", unlisted, stray);
        free(unlisted);
        free(stray);
    }
    mpz_clears(v[0], v[1], NULL);
    return rc;
}

int ledger_audit(ledger *l, ledger_audit_report *report)
{
    ARG_CHECK(!l->in_block);
    memset(report, 0, sizeof *report);
    report->ok = true;
    if (ledger_read_begin(l) != ST_OK)
        return ST_DB;
    int rc = check_sums(l, report);
    if (rc == ST_OK)
        rc = check_chain(l, report);
    if (rc == ST_OK)
        rc = check_nonces(l, report);
    if (rc == ST_OK)
        rc = check_vote_locks(l, report);
    ledger_read_end(l);
    return rc;
}
