/* SPDX-License-Identifier: MIT */
/* settle_int.h: what the three files of epoch settlement share inside enclave/: settle.c (the
 * canonical forms), settle_compute.c (the formula) and settle_check.c (the host's checks). Not an
 * API: code outside enclave/ includes settle.h. Layer: enclave (pure). */
#ifndef ENCLAVE_SETTLE_INT_H
#define ENCLAVE_SETTLE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "enclave/settle.h"

/* Caller bugs: a count without its array. */
#define INPUT_ARRAYS_OK(in) (((in)->workers || !(in)->n_workers) && ((in)->channels || !(in)->n_channels))
#define REPORT_OPS_OK(r) ((r)->ops || !(r)->n_ops)

/* A worker's place in the pool grouping: by pool, then by its index (so no two are equal). */
typedef struct enc_settle_pool_ref {
    uint64_t pool;
    size_t worker;
} enc_settle_pool_ref;

/* Returns: true if in is canonical (settle.h lists the rules). Linear in its size.
 * In: in with its arrays present (INPUT_ARRAYS_OK). (settle.c) */
bool enc_settle_input_ok(const enc_settle_input *in);

/* Returns: NULL if r's operations are well formed and in canonical order; otherwise what is
 * wrong, with the index of the operation in *at. (settle.c) */
const char *enc_settle_ops_defect(size_t *at, const enc_settle_report *r);

/* Sets b to the decayed budget of the canonical input in. (settle_compute.c) */
void enc_settle_decayed_budget(mpz_t b, const enc_settle_input *in);

/* Sorts a[0..n) by pool, then worker: a heapsort, in place, without allocating and without a
 * system call (the enclave's filter forbids qsort's). (settle_compute.c) */
void enc_settle_sort_pool_refs(enc_settle_pool_ref *a, size_t n);

#endif
