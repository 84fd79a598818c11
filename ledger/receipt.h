/* SPDX-License-Identifier: MIT */
/* receipt.h: what a rule writes into a transaction's receipt while it applies: the events it
 * emits, with addresses in EIP-55 and amounts as canonical decimal strings, written straight as
 * the JSON text the transaction stores, and the reason of a failure. Below every rule folder
 * (engine, governance), so that each rule file needs only this. Layer: ledger. Not thread-safe: one receipt per applying transaction. */
#ifndef LEDGER_RECEIPT_H
#define LEDGER_RECEIPT_H

#include <gmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "json/json_text.h"
#include "ledger/status.h"

#define LEDGER_RECEIPT_ERR_MAX 256

/* { 0 } is an empty receipt; ledger_receipt_clear frees what it holds. */
typedef struct ledger_receipt {
    struct json_text events;            /* the events so far as JSON text, "{...},{...}": the last
                                         * one ends the text, so that a member is added in place */
    char err[LEDGER_RECEIPT_ERR_MAX];   /* reason of a failure; empty when none was given */
} ledger_receipt;

/* An event being written: its receipt's last one, which ledger_event returns and the helpers below
 * add members to (written straight as text, in the order added). */
typedef struct ledger_ev ledger_ev;

/* Writes the reason of a failed transaction into r->err (printf-style, truncated to fit).
 * Returns: status, so that a rule can write `return ledger_fail(r, ST_CONFLICT, ...)`. */
int ledger_fail(ledger_receipt *r, int status, const char *fmt, ...) NONNULL(1, 3) PRINTF_LIKE(3, 4);
/* Appends an event {"type": type} to r's events.
 * Returns: the event, to add members to while it is r's last, or NULL on OOM. */
ledger_ev *ledger_event(ledger_receipt *r, const char *type) NONNULL(1, 2);
/* Each adds "key": a value to the event (keys are printed as JSON strings): an address in EIP-55, an
 * amount's canonical decimal string, a string, true or false, null, an array of amounts' decimal
 * strings, or a number printed as cJSON prints one (an integer below 10^15 as its digits).
 * Returns: false on OOM (the receipt's events are then unusable: the transaction fails with ST_NOMEM). */
bool ledger_event_address(ledger_ev *ev, const char *key, const uint8_t addr[20]) NONNULL(1, 2, 3);
bool ledger_event_amount(ledger_ev *ev, const char *key, const mpz_t amount) NONNULL(1, 2, 3);
bool ledger_event_string(ledger_ev *ev, const char *key, const char *text) NONNULL(1, 2, 3);
bool ledger_event_bool(ledger_ev *ev, const char *key, bool value) NONNULL(1, 2);
bool ledger_event_null(ledger_ev *ev, const char *key) NONNULL(1, 2);
bool ledger_event_amounts(ledger_ev *ev, const char *key, const mpz_t *values, unsigned n) NONNULL(1, 2);
bool ledger_event_number(ledger_ev *ev, const char *key, double v) NONNULL(1, 2);
/* Where r's events end now; ledger_events_truncate drops every event appended after that mark. */
size_t ledger_events_mark(const ledger_receipt *r) NONNULL(1);
void ledger_events_truncate(ledger_receipt *r, size_t mark) NONNULL(1);
/* Returns: the JSON array of r's events, byte for byte what cJSON_PrintUnformatted prints of the same
 * tree, or NULL on OOM (caller frees with free()); r's events are emptied, their memory kept. */
char *ledger_events_take(ledger_receipt *r) NONNULL(1);
/* Frees the memory r's events hold. */
void ledger_receipt_clear(ledger_receipt *r) NONNULL(1);

#endif
