/* SPDX-License-Identifier: MIT */
/* receipt.c: what every rule file writes into a transaction's receipt: the reason of a failure and
 * the events, with addresses in EIP-55 and amounts as canonical decimal strings (receipt.h), and
 * the events' text, printed byte for byte as cJSON_PrintUnformatted prints it by the printer the
 * rpc replies use too (json/json_text.h, below both). Below engine/ and governance/, so that each
 * rule file needs only this. Event keys are the callers' string constants, kept without a copy. */
#include "ledger/receipt.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include "json/json_text.h"
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

/* Adds key (a string constant, not copied): a copy of text. Returns: false on OOM. */
static bool add_string(cJSON *ev, const char *key, const char *text)
{
    cJSON *item = cJSON_CreateString(text);
    if (!item || !cJSON_AddItemToObjectCS(ev, key, item)) {
        cJSON_Delete(item);
        return false;
    }
    return true;
}

cJSON *ledger_event(ledger_receipt *r, const char *type)
{
    cJSON *ev = cJSON_CreateObject();
    if (!ev || !add_string(ev, "type", type) || !cJSON_AddItemToArray(r->events, ev)) {
        cJSON_Delete(ev);
        return NULL;
    }
    return ev;
}

bool ledger_event_address(cJSON *ev, const char *key, const uint8_t addr[20])
{
    char text[LEDGER_ADDR_STRLEN];
    ledger_addr_format(text, addr);
    return add_string(ev, key, text);
}

bool ledger_event_amount(cJSON *ev, const char *key, const mpz_t amount)
{
    char text[LEDGER_AMOUNT_STRLEN];
    ledger_amount_format(text, amount);
    return add_string(ev, key, text);
}

bool ledger_event_number(cJSON *ev, const char *key, double v)
{
    char text[24], *p = text + sizeof text;
    /* cJSON 1.7.15 prints every number with sprintf("%1.15g") and then sscanf to check it; an
     * integer below 10^15, whose %1.15g text is its digits, is written here as those digits (a raw
     * item), which prints the same at a fraction of the cost. Others, and -0, stay numbers. */
    cJSON *item;
    if (v != floor(v) || fabs(v) >= 1e15 || (v == 0 && signbit(v))) {
        item = cJSON_CreateNumber(v);
    } else {
        unsigned long long u = (unsigned long long)fabs(v);
        *--p = '\0';
        do
            *--p = (char)('0' + u % 10);
        while ((u /= 10) > 0);
        if (v < 0)
            *--p = '-';
        item = cJSON_CreateRaw(p);
    }
    if (!item || !cJSON_AddItemToObjectCS(ev, key, item)) {
        cJSON_Delete(item);
        return false;
    }
    return true;
}

char *ledger_events_print(const cJSON *events)
{
    struct json_text t = { 0 };
    json_text_print(&t, events);
    return json_text_take(&t);
}
