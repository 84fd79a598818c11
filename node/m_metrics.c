/* SPDX-License-Identifier: MIT */
/* m_metrics.c: conclaved's part of GET /metrics, in the Prometheus text format: the chain head, the
 * block producer's counters, the queue, the settlement of epochs, and histograms of the time a
 * block takes to commit and an epoch's report to come back from the enclave. */
#define _GNU_SOURCE /* asprintf */
#include "node/methods.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine/engine.h"
#include "ledger/ledger.h"

/* Appends histogram name (help its HELP text) of t to *text (reallocated). Returns: whether it did;
 * on failure *text is freed and NULL. */
static bool add_histogram(char **text, const char *name, const char *help, const eng_timing *t)
{
    char *more = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&more, &len);
    if (!f) {
        free(*text);
        *text = NULL;
        return false;
    }
    fprintf(f, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
    uint64_t below = 0;
    for (size_t i = 0; i < ENG_TIMING_BUCKETS; i++) {
        below += t->bucket[i];
        fprintf(f, "%s_bucket{le=\"%g\"} %llu\n", name, eng_timing_bounds[i], (unsigned long long)below);
    }
    fprintf(f, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.9f\n%s_count %llu\n", name, (unsigned long long)t->count, name,
            t->sum, name, (unsigned long long)t->count);
    bool ok = !ferror(f);
    fclose(f);
    size_t have = strlen(*text);
    char *joined = ok && more ? realloc(*text, have + len + 1) : NULL;
    if (joined)
        memcpy(joined + have, more, len + 1);
    else
        free(*text);
    free(more);
    *text = joined;
    return joined != NULL;
}

char *node_metrics_text(void *app)
{
    eng *e = app;
    eng_stats st;
    eng_stats_get(e, &st);
    ledger_block head;
    if (ledger_block_head(eng_ledger(e), &head) != ST_OK)
        head.height = 0;
    char *text = NULL;
    int n = asprintf(&text,
                     "# HELP conclave_block_height Height of the newest block.\n"
                     "# TYPE conclave_block_height gauge\n"
                     "conclave_block_height %llu\n"
                     "# HELP conclave_blocks_total Blocks committed since the node started.\n"
                     "# TYPE conclave_blocks_total counter\n"
                     "conclave_blocks_total %llu\n"
                     "# HELP conclave_transactions_total Transactions in those blocks, system ones included.\n"
                     "# TYPE conclave_transactions_total counter\n"
                     "conclave_transactions_total %llu\n"
                     "# HELP conclave_transactions_failed_total Of those, with a failed receipt.\n"
                     "# TYPE conclave_transactions_failed_total counter\n"
                     "conclave_transactions_failed_total %llu\n"
                     "# HELP conclave_transactions_refused_total Submissions refused when their block was made.\n"
                     "# TYPE conclave_transactions_refused_total counter\n"
                     "conclave_transactions_refused_total %llu\n"
                     "# HELP conclave_blocks_redone_total Blocks applied a second time, one savepoint a transaction, "
                     "because one failed.\n"
                     "# TYPE conclave_blocks_redone_total counter\n"
                     "conclave_blocks_redone_total %llu\n"
                     "# HELP conclave_queue_length Transactions waiting for the next block.\n"
                     "# TYPE conclave_queue_length gauge\n"
                     "conclave_queue_length %zu\n"
                     "# HELP conclave_settlement_next_epoch The next epoch to settle.\n"
                     "# TYPE conclave_settlement_next_epoch gauge\n"
                     "conclave_settlement_next_epoch %llu\n"
                     "# HELP conclave_enclave_up Whether an enclave process answers.\n"
                     "# TYPE conclave_enclave_up gauge\n"
                     "conclave_enclave_up %d\n",
                     (unsigned long long)head.height, (unsigned long long)st.blocks,
                     (unsigned long long)st.transactions, (unsigned long long)st.failed,
                     (unsigned long long)st.refused, (unsigned long long)st.blocks_redone, st.queued, (unsigned long long)st.next_epoch,
                     st.enclave_running ? 1 : 0);
    if (n < 0)
        return NULL;
    if (!add_histogram(&text, "conclave_block_commit_seconds",
                       "Time a block takes from its first transaction applied to its COMMIT, waits for the transactions it takes while verified included.", &st.block_commit)
        || !add_histogram(&text, "conclave_settlement_seconds",
                          "Time an epoch's report takes to come back from the enclave, from its inputs sent.",
                          &st.settlement))
        return NULL;
    return text;
}
