/* SPDX-License-Identifier: MIT */
/* receipt.c: what every rule file writes into a transaction's receipt: the reason of a failure and
 * the events, with addresses in EIP-55 and amounts as canonical decimal strings (receipt.h). The
 * events are written straight as their JSON text, byte for byte what cJSON_PrintUnformatted prints
 * of the same tree, by the printer the rpc replies use too (json/json_text.h, below both): no tree
 * of them is built, printed and freed for every transaction. Below engine/ and governance/, so that
 * each rule file needs only this. */
#include "ledger/receipt.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ledger/amount.h"
#include "ledger/hex.h"

int ledger_fail(ledger_receipt *r, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, sizeof r->err, fmt, ap);
    va_end(ap);
    return status;
}

/* The receipt an event handle stands for (ledger_ev is its receipt, seen as its last event). */
static struct json_text *text_of(ledger_ev *ev)
{
    return &((ledger_receipt *)(void *)ev)->events;
}

ledger_ev *ledger_event(ledger_receipt *r, const char *type)
{
    struct json_text *t = &r->events;
    if (t->len)
        json_text_put(t, ",", 1);
    json_text_put(t, "{\"type\":", 8);
    json_text_put_string(t, type);
    json_text_put(t, "}", 1);
    return t->failed ? NULL : (ledger_ev *)(void *)r;
}

/* Opens the event for a member: its closing brace goes, and "key": is written. */
static struct json_text *begin_member(ledger_ev *ev, const char *key)
{
    struct json_text *t = text_of(ev);
    if (!t->failed)
        t->len--; /* the last event's '}' */
    json_text_put(t, ",", 1);
    json_text_put_string(t, key);
    json_text_put(t, ":", 1);
    return t;
}

/* Closes the event again. Returns: false on OOM. */
static bool end_member(struct json_text *t)
{
    json_text_put(t, "}", 1);
    return !t->failed;
}

bool ledger_event_address(ledger_ev *ev, const char *key, const uint8_t addr[20])
{
    char text[LEDGER_ADDR_STRLEN];
    ledger_addr_format(text, addr);
    return ledger_event_string(ev, key, text);
}

bool ledger_event_amount(ledger_ev *ev, const char *key, const mpz_t amount)
{
    char text[LEDGER_AMOUNT_STRLEN];
    ledger_amount_format(text, amount);
    return ledger_event_string(ev, key, text);
}

bool ledger_event_string(ledger_ev *ev, const char *key, const char *text)
{
    struct json_text *t = begin_member(ev, key);
    json_text_put_string(t, text);
    return end_member(t);
}

bool ledger_event_bool(ledger_ev *ev, const char *key, bool value)
{
    struct json_text *t = begin_member(ev, key);
    json_text_put(t, value ? "true" : "false", value ? 4 : 5);
    return end_member(t);
}

bool ledger_event_null(ledger_ev *ev, const char *key)
{
    struct json_text *t = begin_member(ev, key);
    json_text_put(t, "null", 4);
    return end_member(t);
}

bool ledger_event_amounts(ledger_ev *ev, const char *key, const mpz_t *values, unsigned n)
{
    struct json_text *t = begin_member(ev, key);
    json_text_put(t, "[", 1);
    for (unsigned i = 0; i < n && !t->failed; i++) {
        char *text = mpz_get_str(NULL, 10, values[i]);
        if (!text) {
            t->failed = true;
            break;
        }
        if (i)
            json_text_put(t, ",", 1);
        json_text_put_string(t, text);
        free(text);
    }
    json_text_put(t, "]", 1);
    return end_member(t);
}

bool ledger_event_number(ledger_ev *ev, const char *key, double v)
{
    struct json_text *t = begin_member(ev, key);
    json_text_put_number(t, v);
    return end_member(t);
}

size_t ledger_events_mark(const ledger_receipt *r)
{
    return r->events.len;
}

void ledger_events_truncate(ledger_receipt *r, size_t mark)
{
    if (mark < r->events.len)
        r->events.len = mark;
}

char *ledger_events_take(ledger_receipt *r)
{
    struct json_text *t = &r->events;
    char *text = t->failed ? NULL : malloc(t->len + 3);
    if (text) {
        text[0] = '[';
        if (t->len)
            memcpy(text + 1, t->data, t->len);
        memcpy(text + 1 + t->len, "]", 2);
    }
    json_text_reset(t);
    return text;
}

void ledger_receipt_clear(ledger_receipt *r)
{
    json_text_clear(&r->events);
}
