/* SPDX-License-Identifier: MIT */
/* audit.c: the engine's audit: the ledger's invariants (ledger_audit) and those the chain's own
 * stored genesis implies, which the ledger alone cannot see: block 0 is that genesis, and no epoch
 * was closed past the epoch of the newest block (a block applied under another genesis closes
 * epochs that have not begun). Constant work beyond ledger_audit; replay is the full check. */
#include "engine/engine_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ledger/hash.h"
#include "ledger/hex.h"

/* Out: hash, the genesis hash block 0's Genesis body (NUL-terminated, len bytes) commits to: the
 * keccak-256 of the whole canonical text a chain made before carried as its message, else its
 * message's "hash" once its "params" are the stored genesis's (g). Returns: whether it has one. */
static bool committed_hash(uint8_t hash[32], const char *body, size_t len, const eng_genesis *g)
{
    static const char head[] = "{\"type\":\"Genesis\",\"message\":", whole[] = "{\"accounts\":";
    if (len > sizeof head + sizeof whole && memcmp(body, head, sizeof head - 1) == 0
        && memcmp(body + sizeof head - 1, whole, sizeof whole - 1) == 0 && body[len - 1] == '}') {
        ledger_keccak256(hash, body + sizeof head - 1, len - sizeof head);
        return true;
    }
    cJSON *doc = cJSON_ParseWithLength(body, len);
    const cJSON *message = cJSON_GetObjectItemCaseSensitive(doc, "message");
    const cJSON *hex = cJSON_GetObjectItemCaseSensitive(message, "hash");
    char *params = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(message, "params"));
    bool ok = cJSON_IsString(hex) && ledger_hex_decode_exact(hash, 32, hex->valuestring) == ST_OK && params
              && strcmp(params, g->params) == 0;
    cJSON_free(params);
    cJSON_Delete(doc);
    return ok;
}

/* Whether block 0 holds exactly the Genesis transaction of the engine's (the stored) genesis, at its
 * time: its body {"type":"Genesis","message":{"hash","params"}} as the node writes it (or the whole
 * canonical text as the message, in a chain made before) commits to the stored genesis hash (the
 * accounts are not kept in memory). Out: problem, a sentence when it does not. Returns: ST_OK,
 * ST_NOMEM or ST_DB. */
static int check_genesis_block(eng *e, char *problem, size_t len)
{
    ledger_block b0;
    ledger_txrec *recs = NULL;
    size_t n = 0;
    int rc = ledger_block_get(e->ledger, 0, &b0);
    if (rc == ST_NOTFOUND) {
        snprintf(problem, len, "there is no block 0");
        return ST_OK;
    }
    if (rc != ST_OK || (rc = ledger_txrec_list_block(e->ledger, 0, &recs, &n)) != ST_OK)
        return rc;
    bool is_genesis = n == 1 && !recs[0].has_sender && strcmp(recs[0].type, "Genesis") == 0;
    uint8_t hash[32];
    bool has_hash = is_genesis && committed_hash(hash, recs[0].body, strlen(recs[0].body), &e->genesis);
    if (!is_genesis)
        snprintf(problem, len, "block 0 does not hold the one Genesis transaction");
    else if (!has_hash)
        snprintf(problem, len, "block 0's Genesis transaction carries no genesis hash and parameters of the stored genesis");
    else if (memcmp(hash, e->genesis.hash, 32) != 0)
        snprintf(problem, len, "block 0 holds a genesis other than the stored one");
    else if (b0.time != e->genesis.time)
        snprintf(problem, len, "block 0 has time %llu, the genesis %llu", (unsigned long long)b0.time,
                 (unsigned long long)e->genesis.time);
    for (size_t i = 0; i < n; i++)
        ledger_txrec_clear(&recs[i]);
    free(recs);
    return rc;
}

int eng_audit(eng *e, ledger_audit_report *report)
{
    int rc = ledger_audit(e->ledger, report);
    if (rc != ST_OK)
        return rc;
    char problem[200] = "";
    ledger_block head;
    uint64_t open_epoch;
    if ((rc = check_genesis_block(e, problem, sizeof problem)) != ST_OK)
        return rc;
    if (!problem[0]) {
        if ((rc = ledger_block_head(e->ledger, &head)) != ST_OK || (rc = eng_staking_last_epoch(e, &open_epoch)) != ST_OK)
            return rc;
        if (open_epoch > eng_clock_epoch(&e->clock, head.time))
            snprintf(problem, sizeof problem, "epochs up to %llu are closed, but the newest block (%llu) is in epoch %llu",
                     (unsigned long long)open_epoch - 1, (unsigned long long)head.height,
                     (unsigned long long)eng_clock_epoch(&e->clock, head.time));
    }
    if (problem[0])
        ledger_audit_add_check(report, "follows_genesis", false, "%s", problem);
    else
        ledger_audit_add_check(report, "follows_genesis", true, "block 0 is the stored genesis; no epoch closed ahead of the chain");
    return ST_OK;
}
