/* SPDX-License-Identifier: MIT */
/* testhelp.c: helpers shared by the test suites (see testhelp.h). */
#include "tests/lib/testhelp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ledger/hex.h"

char *th_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n < cap)
            break;
        cap *= 2;
        char *grown = realloc(buf, cap + 1);
        if (!grown) {
            free(buf);
            buf = NULL;
        }
        buf = grown;
    }
    fclose(f);
    if (!buf)
        return NULL;
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

const cJSON *th_vectors(void)
{
    static cJSON *vectors;
    if (!vectors) {
        char *text = th_read_file(TEST_SRCDIR "/tests/vectors/eip712.json", NULL);
        if (!text) {
            fprintf(stderr, "cannot read %s/tests/vectors/eip712.json\n", TEST_SRCDIR);
            abort();
        }
        vectors = cJSON_Parse(text);
        free(text);
        if (!vectors)
            abort();
    }
    return vectors;
}

static int nibble(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

void th_hex(uint8_t *out, size_t n, const char *hex)
{
    if (strncmp(hex, "0x", 2) != 0 || strlen(hex) != 2 + 2 * n)
        abort();
    for (size_t i = 0; i < n; i++) {
        int hi = nibble(hex[2 + 2 * i]), lo = nibble(hex[3 + 2 * i]);
        if (hi < 0 || lo < 0)
            abort();
        out[i] = (uint8_t)(hi << 4 | lo);
    }
}

static void free_indices(struct criterion_test_params *crp)
{
    cr_free(crp->params);
}

struct criterion_test_params th_indices(size_t n)
{
    int *idx = cr_malloc(n * sizeof *idx);
    for (size_t i = 0; i < n; i++)
        idx[i] = (int)i;
    return cr_make_param_array(int, idx, n, free_indices);
}

const cJSON *th_get(const cJSON *o, const char *key)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    cr_assert_not_null(it, "vector member %s exists", key);
    return it;
}

const char *th_str(const cJSON *o, const char *key)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    cr_assert(cJSON_IsString(it), "member %s is a string in %s", key, cJSON_PrintUnformatted(o));
    return it->valuestring;
}

void th_assert_addr(const uint8_t addr[20], const char *want, const char *what)
{
    char s[LEDGER_ADDR_STRLEN];
    ledger_addr_format(s, addr);
    cr_assert_str_eq(s, want, "%s", what);
}
