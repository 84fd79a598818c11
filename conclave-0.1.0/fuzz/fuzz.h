/* SPDX-License-Identifier: MIT */
/* fuzz.h: what every fuzz target in fuzz/ shares. A target defines LLVMFuzzerTestOneInput only;
 * it is linked either with libFuzzer (./configure --enable-fuzzing, `make fuzz`) or with
 * fuzz/replay.c, which runs it over its seed corpus and its regressions in `make check`. A target
 * must not keep state that changes its answer to a later input, and checks its invariants with
 * FUZZ_CHECK, which aborts (a crash to both drivers). Layer: tests (links libcore). */
#ifndef FUZZ_FUZZ_H
#define FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts with the failed condition when an invariant does not hold. */
#define FUZZ_CHECK(cond)                                                                  \
    do {                                                                                  \
        if (!(cond)) {                                                                    \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);  \
            abort();                                                                      \
        }                                                                                 \
    } while (0)

/* A NUL-terminated copy of data (for APIs that take C strings); caller frees. Aborts on OOM. */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        abort();
    for (size_t i = 0; i < size; i++)
        s[i] = (char)data[i];
    s[size] = '\0';
    return s;
}

#endif
