/* SPDX-License-Identifier: MIT */
/* m_metrics.c: conclaved's part of GET /metrics, in the Prometheus text format: the chain head, the
 * block producer's counters, the queue, and the settlement of epochs. */
#define _GNU_SOURCE /* asprintf */
#include "node/methods.h"

#include <stdio.h>
#include <stdlib.h>
#include "engine/engine.h"
#include "ledger/ledger.h"

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
                     (unsigned long long)st.refused, st.queued, (unsigned long long)st.next_epoch,
                     st.enclave_running ? 1 : 0);
    return n < 0 ? NULL : text;
}
