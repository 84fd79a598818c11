/* SPDX-License-Identifier: MIT */
/* reads.h: the ledger's read-only queries for dashboards (issue 14): the system balances at a past
 * height, settled epochs newest first, the proposals an address voted on, and the transactions that
 * touched an address, newest first. Each is an index seek plus a walk of at most one page (costs
 * stated per function), so it costs the same with a million rows as with ten; the indexes are in
 * schema/012_reads.sql. Layer: ledger. */
#ifndef LEDGER_READS_H
#define LEDGER_READS_H

#include <gmp.h>
#include <stdbool.h>
#include <stdint.h>
#include "ledger/ledger.h"

/* The balance of system account kind (LEDGER_TREASURY, LEDGER_ISSUANCE or LEDGER_FEES) at the end of
 * block height: its balance now less the credits and plus the debits of every transfer of a later
 * block. Cost: one seek for the first transfer after height (transfers_by_height), then a walk of the
 * account's transfers after it (transfers_by_debit and _by_credit with a rowid bound): in proportion
 * to the account's transfers since height, none for the head.
 * Returns: ST_OK, ST_DB. Out: balance (initialized by the caller; may be negative for issuance). */
int ledger_system_balance_at(ledger *l, int kind, uint64_t height, mpz_t balance) WARN_UNUSED NONNULL(1, 4);

/* Settled epochs, newest first: up to limit (<= cap of epochs) epochs below before (all when
 * has_before is false). Returns: ST_OK, ST_DB. Out: epochs[0..*n), *more whether older ones follow. */
int ledger_settlement_page(ledger *l, bool has_before, uint64_t before, unsigned limit, uint64_t *epochs,
                           unsigned *n, bool *more) WARN_UNUSED NONNULL(1, 5, 6, 7);

/* Calls fn with the events (a JSON array's text, borrowed for the call) of each successful
 * transaction of type in block height, in block order, stopping at fn's first failure. Seek on the
 * block's (height, idx) key: in proportion to the block's transactions.
 * Returns: ST_OK, fn's failure, ST_DB. */
int ledger_block_events_of(ledger *l, uint64_t height, const char *type, int (*fn)(void *arg, const char *events),
                           void *arg) WARN_UNUSED NONNULL(1, 3, 4);

/* The proposals voter has a vote on, newest (highest id) first, below before (all when has_before is
 * false), up to limit. Seek on vote_locks (a row for each vote, keyed by voter).
 * Returns: ST_OK, ST_DB. Out: proposals[0..*n), *more. */
int ledger_votes_by_page(ledger *l, const uint8_t voter[LEDGER_ADDR_LEN], bool has_before, uint64_t before,
                         unsigned limit, uint64_t *proposals, unsigned *n, bool *more) WARN_UNUSED NONNULL(1, 2, 6, 7, 8);

/* Where a transaction stands in the chain: block height, then index in the block. */
typedef struct ledger_position {
    uint64_t height;
    uint32_t index;
    uint8_t hash[LEDGER_HASH_LEN];
} ledger_position;

/* The most transactions ledger_history_page returns at once. */
#define LEDGER_HISTORY_MAX 100u

/* The transactions that concern address, newest first: those it sent, and those that moved value in
 * or out of its free, escrow or claimable balance. Those strictly before (before_height,
 * before_index) when has_before, up to limit (<= LEDGER_HISTORY_MAX). Cost: seven index walks of at
 * most limit + 1 transactions each (by sender on transactions_by_sender_position; by debit and by
 * credit for each of its three accounts, with a transfer-id bound found on transfers_by_height), so
 * in proportion to the page, whatever the address's history.
 * Returns: ST_OK, ST_NOMEM, ST_DB. Out: out[0..*n), *more whether older ones follow. */
int ledger_history_page(ledger *l, const uint8_t address[LEDGER_ADDR_LEN], bool has_before, uint64_t before_height,
                        uint32_t before_index, unsigned limit, ledger_position *out, unsigned *n, bool *more)
    WARN_UNUSED NONNULL(1, 2, 7, 8, 9);

#endif
