/* SPDX-License-Identifier: MIT */
/* receipt.c: what every rule file writes into a transaction's receipt: the reason of a failure and
 * the events, with addresses in EIP-55 and amounts as canonical decimal strings (receipt.h), and
 * the events' text, printed byte for byte as cJSON_PrintUnformatted prints it but without its
 * strlen after every value and its allocation per number (rpc/json_print.c does the same for
 * replies, but rpc/ is a library of its own, below nothing of ours). Below engine/ and governance/,
 * so that each rule file needs only this. Event keys are the callers' string constants, kept
 * without a copy. */
#include "ledger/receipt.h"

#include <float.h>
#include <locale.h>
#include <math.h>
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

/* A growable text; a failed append (out of memory, or a tree cJSON would not print) sets failed and
 * makes every later one a no-op. */
struct text {
    char *data;
    size_t len, cap;
    bool failed;
};

/* Returns: room for n more bytes at t->data + t->len, or NULL (t failed). */
static char *room(struct text *t, size_t n)
{
    if (t->failed)
        return NULL;
    if (t->cap - t->len >= n)
        return t->data + t->len;
    size_t cap = t->cap;
    while (cap - t->len < n) {
        if (cap > SIZE_MAX / 2) {
            t->failed = true;
            return NULL;
        }
        cap *= 2;
    }
    char *data = realloc(t->data, cap);
    if (!data) {
        t->failed = true;
        return NULL;
    }
    t->data = data;
    t->cap = cap;
    return t->data + t->len;
}

static void put(struct text *t, const char *bytes, size_t n)
{
    char *o = room(t, n);
    if (o) {
        memcpy(o, bytes, n);
        t->len += n;
    }
}

/* The JSON string of s (NULL: ""), escaped as cJSON escapes: the two-character escapes for '"',
 * '\\', '\b', '\f', '\n', '\r' and '\t', \u00xx for the other control characters, every other byte
 * as it is. */
static void put_string(struct text *t, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    /* the bytes an escape adds for each character: 1 for a two-character escape, 5 for \u00xx */
    static const unsigned char escape_extra[256] = {
        5, 5, 5, 5, 5, 5, 5, 5, 1, 1, 1, 5, 1, 1, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5,
        ['"'] = 1, ['\\'] = 1
    };
    static const char two[] = "btn\0fr"; /* the two-character escapes of 8 to 13 (not 11) */
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    size_t n = 0, extra = 0;
    for (; p[n]; n++)
        extra += escape_extra[p[n]];
    char *o = room(t, n + extra + 2);
    if (!o)
        return;
    *o++ = '"';
    if (!extra) {
        memcpy(o, p, n);
        o += n;
    } else {
        for (size_t i = 0; i < n; i++) {
            unsigned char c = p[i];
            if (!escape_extra[c]) {
                *o++ = (char)c;
            } else if (escape_extra[c] == 1) {
                *o++ = '\\';
                *o++ = c >= 8 && c <= 13 ? two[c - 8] : (char)c;
            } else {
                memcpy(o, "\\u00", 4);
                o[4] = hex[c >> 4];
                o[5] = hex[c & 15];
                o += 6;
            }
        }
    }
    *o++ = '"';
    t->len = (size_t)(o - t->data);
}

/* cJSON's test of whether a number read back is the one printed. */
static bool same_double(double a, double b)
{
    double most = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
    return fabs(a - b) <= most * DBL_EPSILON;
}

/* d as cJSON prints it: "null" for NaN and infinities, else "%1.15g", or "%1.17g" when that does
 * not read back as d, with the locale's decimal point made '.'. */
static void put_number(struct text *t, double d)
{
    char buf[32];
    double back;
    if (isnan(d) || isinf(d)) {
        put(t, "null", 4);
        return;
    }
    int len = snprintf(buf, sizeof buf, "%1.15g", d);
    if (sscanf(buf, "%lg", &back) != 1 || !same_double(back, d))
        len = snprintf(buf, sizeof buf, "%1.17g", d);
    if (len < 0 || (size_t)len >= 26) { /* cJSON's buffer: it prints no such number */
        t->failed = true;
        return;
    }
    char point = localeconv()->decimal_point[0];
    for (int i = 0; i < len; i++)
        if (buf[i] == point)
            buf[i] = '.';
    put(t, buf, (size_t)len);
}

static void put_value(struct text *t, const cJSON *item)
{
    const cJSON *child;
    switch (item->type & 0xFF) {
    case cJSON_NULL: put(t, "null", 4); return;
    case cJSON_False: put(t, "false", 5); return;
    case cJSON_True: put(t, "true", 4); return;
    case cJSON_Number: put_number(t, item->valuedouble); return;
    case cJSON_String: put_string(t, item->valuestring); return;
    case cJSON_Raw:
        if (!item->valuestring)
            t->failed = true;
        else
            put(t, item->valuestring, strlen(item->valuestring));
        return;
    case cJSON_Array:
    case cJSON_Object:
        put(t, cJSON_IsArray(item) ? "[" : "{", 1);
        for (child = item->child; child && !t->failed; child = child->next) {
            if (cJSON_IsObject(item)) {
                put_string(t, child->string);
                put(t, ":", 1);
            }
            put_value(t, child);
            if (child->next)
                put(t, ",", 1);
        }
        put(t, cJSON_IsArray(item) ? "]" : "}", 1);
        return;
    default: t->failed = true; return;
    }
}

char *ledger_events_print(const cJSON *events)
{
    struct text t = { .data = malloc(512), .cap = 512 };
    if (!t.data)
        return NULL;
    put_value(&t, events);
    put(&t, "", 1);
    if (t.failed) {
        free(t.data);
        return NULL;
    }
    return t.data;
}
