/* SPDX-License-Identifier: MIT */
/* receipt.c: what every rule file writes into a transaction's receipt: the reason of a failure and
 * the events, with addresses in EIP-55 and amounts as canonical decimal strings (receipt.h).
 * Below engine/ and governance/, so that each rule file needs only this. */
#include "ledger/receipt.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
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

cJSON *ledger_event(ledger_receipt *r, const char *type)
{
    cJSON *ev = cJSON_CreateObject();
    if (!ev || !cJSON_AddStringToObject(ev, "type", type) || !cJSON_AddItemToArray(r->events, ev)) {
        cJSON_Delete(ev);
        return NULL;
    }
    return ev;
}

bool ledger_event_address(cJSON *ev, const char *key, const uint8_t addr[20])
{
    char text[LEDGER_ADDR_STRLEN];
    ledger_addr_format(text, addr);
    return cJSON_AddStringToObject(ev, key, text) != NULL;
}

bool ledger_event_amount(cJSON *ev, const char *key, const mpz_t amount)
{
    char text[LEDGER_AMOUNT_STRLEN];
    ledger_amount_format(text, amount);
    return cJSON_AddStringToObject(ev, key, text) != NULL;
}

bool ledger_event_number(cJSON *ev, const char *key, double v)
{
    char text[24], *p = text + sizeof text;
    /* cJSON 1.7.15 prints every number with sprintf("%1.15g") and then sscanf to check it; an
     * integer below 10^15, whose %1.15g text is its digits, is written here as those digits (a raw
     * item), which prints the same at a fraction of the cost. Others, and -0, stay numbers. */
    if (v != floor(v) || fabs(v) >= 1e15 || (v == 0 && signbit(v)))
        return cJSON_AddNumberToObject(ev, key, v) != NULL;
    unsigned long long u = (unsigned long long)fabs(v);
    *--p = '\0';
    do
        *--p = (char)('0' + u % 10);
    while ((u /= 10) > 0);
    if (v < 0)
        *--p = '-';
    return cJSON_AddRawToObject(ev, key, p) != NULL;
}
