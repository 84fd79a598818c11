/* SPDX-License-Identifier: MIT */
/* json_text.c: prints a cJSON tree into a growable buffer, byte for byte what cJSON_PrintUnformatted
 * prints (a reply's or a receipt's text must not depend on which of the two printed it), at a
 * fraction of its cost: no allocation but the buffer's growth, which a caller may keep from one text
 * to the next, no strlen after every value, and integers printed without printf and the scanf round
 * trip cJSON makes for every number. A number that is not an integer below 10^15 in magnitude takes
 * cJSON's own steps ("%1.15g", read back, "%1.17g" when it does not compare equal), so it prints the
 * same too. The one copy of this printer: rpc/ and ledger/ both use it (json_text.h). */
#include "json/json_text.h"

#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void json_text_reset(struct json_text *t)
{
    t->len = 0;
    t->failed = false;
}

void json_text_release(struct json_text *t, size_t keep_max)
{
    if (t->cap > keep_max) {
        free(t->data);
        t->data = NULL;
        t->cap = 0;
    }
    json_text_reset(t);
}

void json_text_clear(struct json_text *t)
{
    free(t->data);
    t->data = NULL;
    t->cap = 0;
    json_text_reset(t);
}

/* Grows t to hold n more bytes. Returns: false (t failed) when memory runs out. */
static bool grow(struct json_text *t, size_t n)
{
    size_t cap = t->cap ? t->cap : 512;
    if (t->failed)
        return false;
    while (cap - t->len < n) {
        if (cap > SIZE_MAX / 2) {
            t->failed = true;
            return false;
        }
        cap *= 2;
    }
    char *data = realloc(t->data, cap);
    if (!data) {
        t->failed = true;
        return false;
    }
    t->data = data;
    t->cap = cap;
    return true;
}

/* Returns: room for n more bytes at t->data + t->len, or NULL (t failed) when memory runs out. A
 * buffer not allocated yet is grown even for n == 0, so no offset is ever added to NULL. */
static inline char *room(struct json_text *t, size_t n)
{
    if (!t->data || t->cap - t->len < n || t->failed)
        return grow(t, n) ? t->data + t->len : NULL;
    return t->data + t->len;
}

/* json_text_put, inlined where this file appends a constant piece (its memcpy then a store or two). */
static inline void put(struct json_text *t, const char *bytes, size_t n)
{
    char *p = room(t, n);
    if (p) {
        memcpy(p, bytes, n);
        t->len += n;
    }
}

void json_text_put(struct json_text *t, const char *bytes, size_t n)
{
    put(t, bytes, n);
}

void json_text_put_string(struct json_text *t, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    /* the bytes an escape adds for each character: 1 for a two-character escape, 5 for \u00xx */
    static const unsigned char escape_extra[256] = {
        5, 5, 5, 5, 5, 5, 5, 5, 1, 1, 1, 5, 1, 1, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5,
        ['"'] = 1, ['\\'] = 1
    };
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
            if (c >= 32 && c != '"' && c != '\\') {
                *o++ = (char)c;
                continue;
            }
            *o++ = '\\';
            switch (c) {
            case '"': *o++ = '"'; break;
            case '\\': *o++ = '\\'; break;
            case '\b': *o++ = 'b'; break;
            case '\f': *o++ = 'f'; break;
            case '\n': *o++ = 'n'; break;
            case '\r': *o++ = 'r'; break;
            case '\t': *o++ = 't'; break;
            default:
                memcpy(o, "u00", 3);
                o[3] = hex[c >> 4];
                o[4] = hex[c & 15];
                o += 5;
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

void json_text_put_number(struct json_text *t, double d)
{
    char buf[32];
    int len;
    if (isnan(d) || isinf(d)) {
        put(t, "null", 4);
        return;
    }
    if (d == floor(d) && fabs(d) < 1e15 && !(d == 0 && signbit(d))) {
        /* at most 15 digits: "%1.15g" writes them all, exactly, and reading them back is exact */
        unsigned long long v = (unsigned long long)fabs(d);
        char *e = buf + sizeof buf, *s = e;
        do
            *--s = (char)('0' + v % 10);
        while (v /= 10);
        if (d < 0)
            *--s = '-';
        put(t, s, (size_t)(e - s));
        return;
    }
    double back;
    len = snprintf(buf, sizeof buf, "%1.15g", d);
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

void json_text_print(struct json_text *t, const cJSON *item)
{
    const cJSON *child;
    switch (item->type & 0xFF) {
    case cJSON_NULL: put(t, "null", 4); return;
    case cJSON_False: put(t, "false", 5); return;
    case cJSON_True: put(t, "true", 4); return;
    case cJSON_Number: json_text_put_number(t, item->valuedouble); return;
    case cJSON_String: json_text_put_string(t, item->valuestring); return;
    case cJSON_Raw:
        if (!item->valuestring)
            t->failed = true;
        else
            put(t, item->valuestring, strlen(item->valuestring));
        return;
    case cJSON_Array:
        put(t, "[", 1);
        for (child = item->child; child && !t->failed; child = child->next) {
            json_text_print(t, child);
            if (child->next)
                put(t, ",", 1);
        }
        put(t, "]", 1);
        return;
    case cJSON_Object:
        put(t, "{", 1);
        for (child = item->child; child && !t->failed; child = child->next) {
            json_text_put_string(t, child->string);
            put(t, ":", 1);
            json_text_print(t, child);
            if (child->next)
                put(t, ",", 1);
        }
        put(t, "}", 1);
        return;
    default: t->failed = true; return;
    }
}

char *json_text_take(struct json_text *t)
{
    put(t, "", 1);
    char *text = t->failed ? NULL : t->data;
    if (!text)
        free(t->data);
    t->data = NULL;
    t->cap = 0;
    json_text_reset(t);
    return text;
}
