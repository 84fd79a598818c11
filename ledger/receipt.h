/* SPDX-License-Identifier: MIT */
/* receipt.h: what a rule writes into a transaction's receipt while it applies: the events it
 * emits, with addresses in EIP-55 and amounts as canonical decimal strings, and the reason of a
 * failure. Below every rule folder (engine, governance), so that each rule file needs only this.
 * Layer: ledger. Not thread-safe: one receipt per applying transaction. */
#ifndef LEDGER_RECEIPT_H
#define LEDGER_RECEIPT_H

#include <cjson/cJSON.h>
#include <gmp.h>
#include <stdbool.h>
#include <stdint.h>
#include "ledger/status.h"

#define LEDGER_RECEIPT_ERR_MAX 256

typedef struct ledger_receipt {
    cJSON *events;                      /* array the rule appends events to (owned by whoever set it) */
    char err[LEDGER_RECEIPT_ERR_MAX];   /* reason of a failure; empty when none was given */
} ledger_receipt;

/* Writes the reason of a failed transaction into r->err (printf-style, truncated to fit).
 * Returns: status, so that a rule can write `return ledger_fail(r, ST_CONFLICT, ...)`. */
int ledger_fail(ledger_receipt *r, int status, const char *fmt, ...) NONNULL(1, 3) PRINTF_LIKE(3, 4);
/* Event keys (type's "type" and every key given below) are kept without a copy: pass string
 * constants. */
/* Appends an event {"type": type} to r->events.
 * Returns: the event for the caller to fill (borrowed: r->events owns it), or NULL on OOM. */
cJSON *ledger_event(ledger_receipt *r, const char *type) NONNULL(1, 2);
/* Adds "key": "0x..." (EIP-55) or "key": an amount's canonical decimal string to an event object.
 * Returns: false on OOM. */
bool ledger_event_address(cJSON *ev, const char *key, const uint8_t addr[20]) NONNULL(1, 2, 3);
bool ledger_event_amount(cJSON *ev, const char *key, const mpz_t amount) NONNULL(1, 2, 3);
/* Adds "key": v, printed as cJSON prints a number (an integer below 10^15 kept as its digits, a raw
 * item: events are only printed, never read back as a tree). Returns: false on OOM. */
bool ledger_event_number(cJSON *ev, const char *key, double v) NONNULL(1, 2);
/* Returns: the JSON text of events (a tree of event objects), byte for byte what
 * cJSON_PrintUnformatted prints of it, at a fraction of its cost; NULL on OOM, or for a tree cJSON
 * would not print either. Caller frees with free(). */
char *ledger_events_print(const cJSON *events) NONNULL(1);

#endif
