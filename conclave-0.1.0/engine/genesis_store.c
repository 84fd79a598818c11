/* SPDX-License-Identifier: MIT */
/* genesis_store.c: the genesis document a chain keeps for replay, stored beside block 0 in meta as
 * "genesis.document.N" chunks of at most ENG_GENESIS_CHUNK bytes and "genesis.document" their
 * number. In chunks because SQLite copies a bound value into the record it inserts: a million
 * accounts' 92 MB text bound whole cost 92 MB more at the first start's peak, a chunk costs 1 MiB.
 * A data directory of an older conclaved holds the document whole as meta "genesis". */
#include "engine/engine_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ENG_GENESIS_CHUNK (1u << 20)

int eng_genesis_document_put(ledger *l, const char *text, size_t len)
{
    char key[40], count[24];
    size_t chunks = 0;
    int rc = ST_OK;
    for (size_t at = 0; at < len && rc == ST_OK; at += ENG_GENESIS_CHUNK, chunks++) {
        snprintf(key, sizeof key, "genesis.document.%zu", chunks);
        rc = ledger_meta_set_len(l, key, text + at, len - at < ENG_GENESIS_CHUNK ? len - at : ENG_GENESIS_CHUNK);
    }
    snprintf(count, sizeof count, "%zu", chunks);
    return rc == ST_OK ? ledger_meta_set(l, "genesis.document", count) : rc;
}

int eng_genesis_document_get(ledger *l, char **text)
{
    char *count = NULL, *chunk = NULL, *all = NULL, key[40];
    *text = NULL;
    int rc = ledger_meta_get(l, "genesis.document", &count);
    if (rc == ST_NOTFOUND)
        return ledger_meta_get(l, "genesis", text);
    if (rc != ST_OK)
        return rc;
    char *end;
    unsigned long long chunks = strtoull(count, &end, 10);
    size_t used = 0;
    rc = *count && !*end ? ST_OK : ST_INVALID;
    for (unsigned long long i = 0; i < chunks && rc == ST_OK; i++) {
        snprintf(key, sizeof key, "genesis.document.%llu", i);
        if ((rc = ledger_meta_get(l, key, &chunk)) != ST_OK)
            break;
        size_t n = strlen(chunk);
        char *grown = realloc(all, used + n + 1);
        if (!grown) {
            rc = ST_NOMEM;
            break;
        }
        all = grown;
        memcpy(all + used, chunk, n + 1);
        used += n;
        free(chunk);
        chunk = NULL;
    }
    free(chunk);
    free(count);
    if (rc == ST_NOTFOUND)
        rc = ST_INVALID; /* a chunk counted but missing */
    if (rc == ST_OK && !all)
        rc = ST_INVALID; /* no chunk at all: a document is never empty */
    if (rc != ST_OK)
        free(all);
    else
        *text = all;
    return rc;
}
