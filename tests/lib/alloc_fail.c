/* SPDX-License-Identifier: MIT */
/* alloc_fail.c: allocation failures on demand for a test binary linked with
 * -Wl,--wrap=malloc,--wrap=realloc,--wrap=calloc (see testhelp.h, th_alloc_fail_at). Its own object
 * in libtesthelp.a, so only a binary that calls th_alloc_fail_at takes the wrappers (and one that
 * does without the --wrap flags fails to link, on __real_malloc). */
#include "tests/lib/testhelp.h"

void *__real_malloc(size_t n);
void *__wrap_malloc(size_t n);
void *__real_realloc(void *p, size_t n);
void *__wrap_realloc(void *p, size_t n);
void *__real_calloc(size_t n, size_t size);
void *__wrap_calloc(size_t n, size_t size);

static int countdown;   /* > 0: the countdown-th allocation from now fails */
static bool injected;   /* the failure armed last has happened */

void th_alloc_fail_at(int k)
{
    countdown = k > 0 ? k : 0;
    injected = false;
}

bool th_alloc_failed(void)
{
    return injected;
}

static bool inject(void)
{
    if (countdown > 0 && --countdown == 0) {
        injected = true;
        return true;
    }
    return false;
}

void *__wrap_malloc(size_t n)
{
    return inject() ? NULL : __real_malloc(n);
}

void *__wrap_realloc(void *p, size_t n)
{
    return inject() ? NULL : __real_realloc(p, n);
}

void *__wrap_calloc(size_t n, size_t size)
{
    return inject() ? NULL : __real_calloc(n, size);
}
