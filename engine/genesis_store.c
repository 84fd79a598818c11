/* SPDX-License-Identifier: MIT */
/* genesis_store.c: the genesis document a chain keeps for replay, stored beside block 0 in meta as
 * "genesis.document.N" chunks of ENG_GENESIS_CHUNK bytes (the last one shorter) and
 * "genesis.document" their number. The canonical text is written again from the accounts text as
 * the chunks fill, and block 0's balances minted in the same pass, so no copy of the whole text is
 * made: SQLite copies a bound value into the record it inserts, and a million accounts' 92 MB text
 * bound whole cost 92 MB more at the first start's peak, a chunk costs 1 MiB.
 * A data directory of an older conclaved holds the document whole as meta "genesis". */
#include "engine/engine_int.h"
#include "engine/genesis_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ENG_GENESIS_CHUNK (1u << 20)

/* The document as it is written: the chunk being filled and how many were stored. */
typedef struct chunk_writer {
    ledger *l;
    char *chunk;                    /* ENG_GENESIS_CHUNK bytes */
    size_t used;
    size_t chunks;
} chunk_writer;

/* Stores the full chunk, or the last one. Returns: ST_OK, ST_DB. */
static int store_chunk(chunk_writer *w)
{
    char key[40];
    snprintf(key, sizeof key, "genesis.document.%zu", w->chunks++);
    int rc = ledger_meta_set_len(w->l, key, w->chunk, w->used);
    w->used = 0;
    return rc;
}

/* eng_genesis_sink: fills chunks of exactly ENG_GENESIS_CHUNK bytes, storing each as it fills. */
static int put_chunks(void *arg, const char *bytes, size_t n)
{
    chunk_writer *w = arg;
    while (n > 0) {
        size_t room = ENG_GENESIS_CHUNK - w->used, take = n < room ? n : room;
        memcpy(w->chunk + w->used, bytes, take);
        w->used += take;
        bytes += take;
        n -= take;
        int rc = w->used == ENG_GENESIS_CHUNK ? store_chunk(w) : ST_OK;
        if (rc != ST_OK)
            return rc;
    }
    return ST_OK;
}

int eng_genesis_document_put(ledger *l, const eng_genesis *g, eng_genesis_account_fn each, void *arg)
{
    chunk_writer w = { .l = l, .chunk = malloc(ENG_GENESIS_CHUNK) };
    ledger_keccak hash;
    uint8_t written[32];
    char count[24];
    if (!w.chunk)
        return ST_NOMEM;
    ledger_keccak_init(&hash);
    int rc = eng_genesis_write(g, &hash, put_chunks, &w, each, arg);
    if (rc == ST_OK && w.used > 0)
        rc = store_chunk(&w);
    ledger_keccak_final(&hash, written);
    /* a borrowed text that changed since it was parsed is not the genesis block 0 commits to */
    if (rc == ST_OK && memcmp(written, g->hash, 32) != 0)
        rc = ST_INVALID;
    snprintf(count, sizeof count, "%zu", w.chunks);
    if (rc == ST_OK)
        rc = ledger_meta_set(l, "genesis.document", count);
    free(w.chunk);
    return rc;
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
