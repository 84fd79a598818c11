/* SPDX-License-Identifier: MIT */
/* replay.c: proves that the state is a deterministic function of the block log. A fresh ledger is
 * built from the stored genesis and every stored transaction, block by block through the same
 * apply path as production, at the stored block times; each block hash and receipt (status, error and
 * events) must come out the same, and finally every account's debits and credits. */
#include "engine/engine_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Rebuilds the queue item of a stored transaction. */
static int item_from_record(eng_item **out, const ledger_txrec *r, uint64_t chain_id, char *err, size_t errlen)
{
    *out = NULL;
    cJSON *json = cJSON_Parse(r->body);
    if (!json) {
        snprintf(err, errlen, "transaction body is not JSON");
        return ST_INVALID;
    }
    int rc = ST_OK;
    if (!r->has_sender) {
        *out = eng_item_system(r->type, cJSON_GetObjectItemCaseSensitive(json, "message"));
        rc = *out ? ST_OK : ST_NOMEM;
    } else {
        eng_item *it = calloc(1, sizeof *it);
        if (!it)
            rc = ST_NOMEM;
        else if ((rc = ledger_tx_parse(&it->tx, err, errlen, json, chain_id)) != ST_OK)
            free(it);
        else
            *out = it;
    }
    cJSON_Delete(json);
    return rc;
}

/* Whether block 0 of src carries the whole genesis document in its Genesis transaction, as a chain
 * made before block 0 carried the hash and parameters does: replay builds block 0 the same way.
 * Returns: ST_OK; ST_NOTFOUND without block 0; ST_DB; ST_NOMEM. */
static int genesis_body_is_whole(ledger *src, bool *whole)
{
    static const char whole_head[] = "{\"type\":\"Genesis\",\"message\":{\"accounts\":";
    ledger_txrec *recs = NULL;
    size_t n = 0;
    int rc = ledger_txrec_list_block(src, 0, &recs, &n);
    *whole = rc == ST_OK && n == 1 && strncmp(recs[0].body, whole_head, sizeof whole_head - 1) == 0;
    for (size_t i = 0; i < n; i++)
        ledger_txrec_clear(&recs[i]);
    free(recs);
    return rc;
}

/* Collects one ledger's accounts as text lines "kind owner pool debits credits". */
struct account_lines {
    char **lines;
    size_t n, cap;
};

static int collect_account(void *arg, const ledger_account *a, const char *debits, const char *credits)
{
    struct account_lines *acc = arg;
    if (acc->n == acc->cap) {
        acc->cap = acc->cap ? acc->cap * 2 : 64;
        char **grown = realloc(acc->lines, acc->cap * sizeof *grown);
        if (!grown)
            return ST_NOMEM;
        acc->lines = grown;
    }
    char owner[41];
    for (int i = 0; i < 20; i++)
        snprintf(owner + 2 * i, 3, "%02x", a->owner[i]);
    size_t len = strlen(debits) + strlen(credits) + 100;
    char *line = malloc(len);
    if (!line)
        return ST_NOMEM;
    snprintf(line, len, "kind %d owner 0x%s pool %llu debits %s credits %s", a->kind, owner,
             (unsigned long long)a->pool, debits, credits);
    acc->lines[acc->n++] = line;
    return ST_OK;
}

static void account_lines_clear(struct account_lines *acc)
{
    for (size_t i = 0; i < acc->n; i++)
        free(acc->lines[i]);
    free(acc->lines);
}

static int compare_accounts(eng_replay_report *report, ledger *src, ledger *dst)
{
    struct account_lines a = { 0 }, b = { 0 };
    int rc = ledger_accounts_each(src, collect_account, &a);
    if (rc == ST_OK)
        rc = ledger_accounts_each(dst, collect_account, &b);
    if (rc == ST_OK) {
        report->accounts = a.n;
        for (size_t i = 0; i < a.n || i < b.n; i++) {
            const char *x = i < a.n ? a.lines[i] : "(none)", *y = i < b.n ? b.lines[i] : "(none)";
            if (strcmp(x, y) != 0) {
                report->ok = false;
                snprintf(report->detail, sizeof report->detail, "account differs: stored %.100s, replayed %.100s", x, y);
                break;
            }
        }
    }
    account_lines_clear(&a);
    account_lines_clear(&b);
    return rc;
}

/* What a receipt says, for a message: its error if it failed, else its events. */
static const char *receipt_text(const char *error, const char *events)
{
    return error ? error : events ? events : "(no events)";
}

/* Whether two receipt texts (either may be NULL) are the same. */
static bool same_text(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static int replay_block(eng_replay_report *report, char *err, size_t errlen, eng *e, ledger *src,
                        const ledger_block *stored)
{
    ledger_txrec *recs;
    size_t n;
    int rc = ledger_txrec_list_block(src, stored->height, &recs, &n);
    if (rc != ST_OK) {
        snprintf(err, errlen, "cannot read the transactions of block %llu", (unsigned long long)stored->height);
        return rc;
    }
    eng_item *head = NULL, **tail = &head;
    for (size_t i = 0; i < n && rc == ST_OK; i++) {
        char why[200] = "";
        eng_item *it;
        rc = item_from_record(&it, &recs[i], e->genesis.chain_id, why, sizeof why);
        if (rc != ST_OK) {
            snprintf(err, errlen, "block %llu transaction %zu: %s", (unsigned long long)stored->height, i, why);
            break;
        }
        *tail = it;
        tail = &it->next;
    }
    if (rc == ST_OK && head)
        rc = eng_apply_block(e, head, stored->time);
    if (rc == ST_OK) {
        size_t i = 0;
        for (eng_item *it = head; it && report->ok; it = it->next, i++) {
            if (it->status != ST_OK || it->success != recs[i].success) {
                report->ok = false;
                snprintf(report->detail, sizeof report->detail, "block %llu transaction %zu: stored %s, replayed %s%.150s",
                         (unsigned long long)stored->height, i, recs[i].success ? "success" : "failed",
                         it->status != ST_OK ? "refused: " : (it->success ? "success" : "failed"),
                         it->status != ST_OK ? it->errmsg : "");
            } else if (!same_text(it->error, recs[i].error) || !same_text(it->events, recs[i].events)) {
                /* the block hash covers what was submitted, not what it did: a transaction applied
                 * under other rules (another genesis) is told apart by its receipt */
                report->ok = false;
                snprintf(report->detail, sizeof report->detail, "block %llu transaction %zu (%s): stored receipt %.80s, replayed %.80s",
                         (unsigned long long)stored->height, i, recs[i].type,
                         receipt_text(recs[i].error, recs[i].events), receipt_text(it->error, it->events));
            }
        }
        ledger_block replayed;
        if (report->ok && (ledger_block_get(e->ledger, stored->height, &replayed) != ST_OK
                           || memcmp(replayed.hash, stored->hash, 32) != 0)) {
            report->ok = false;
            snprintf(report->detail, sizeof report->detail, "block %llu: replayed hash differs from the stored one",
                     (unsigned long long)stored->height);
        }
        report->transactions += n;
    }
    while (head) {
        eng_item *it = head;
        head = it->next;
        eng_item_free(it);
    }
    for (size_t i = 0; i < n; i++)
        ledger_txrec_clear(&recs[i]);
    free(recs);
    return rc;
}

int eng_replay(eng_replay_report *report, char *err, size_t errlen, const char *src_path, const char *dst_path)
{
    memset(report, 0, sizeof *report);
    report->ok = true;
    if (access(src_path, R_OK) != 0) {
        snprintf(err, errlen, "cannot read %s", src_path);
        return ST_IO;
    }
    if (strcmp(dst_path, ":memory:") != 0 && access(dst_path, F_OK) == 0) {
        snprintf(err, errlen, "%s exists already: replay builds a fresh database", dst_path);
        return ST_CONFLICT;
    }
    ledger *src = NULL;
    eng *e = NULL;
    char *genesis = NULL;
    int rc = ledger_open_readonly(&src, err, errlen, src_path);
    if (rc != ST_OK)
        goto out;
    bool whole_body;
    if ((rc = eng_genesis_document_get(src, &genesis)) != ST_OK) {
        snprintf(err, errlen, "%s holds no genesis", src_path);
        goto out;
    }
    if ((rc = genesis_body_is_whole(src, &whole_body)) != ST_OK) {
        snprintf(err, errlen, "cannot read the genesis block");
        goto out;
    }
    eng_config cfg = { .db_path = dst_path, .genesis_json = genesis, .genesis_whole_body = whole_body,
                       .clock_mode = ENG_CLOCK_MANUAL };
    if ((rc = eng_open(&e, err, errlen, &cfg)) != ST_OK)
        goto out;
    ledger_block head, stored, replayed;
    if ((rc = ledger_block_head(src, &head)) != ST_OK) {
        snprintf(err, errlen, "%s holds no blocks", src_path);
        goto out;
    }
    if ((rc = ledger_block_get(src, 0, &stored)) != ST_OK || (rc = ledger_block_get(e->ledger, 0, &replayed)) != ST_OK) {
        snprintf(err, errlen, "cannot read the genesis block");
        goto out;
    }
    report->blocks = 1;
    report->transactions = 1;
    if (memcmp(stored.hash, replayed.hash, 32) != 0) {
        report->ok = false;
        snprintf(report->detail, sizeof report->detail, "block 0: replayed hash differs from the stored one");
    }
    for (uint64_t h = 1; h <= head.height && report->ok; h++) {
        if ((rc = ledger_block_get(src, h, &stored)) != ST_OK) {
            snprintf(err, errlen, "block %llu is missing", (unsigned long long)h);
            goto out;
        }
        if ((rc = replay_block(report, err, errlen, e, src, &stored)) != ST_OK)
            goto out;
        report->blocks++;
    }
    if (report->ok)
        rc = compare_accounts(report, src, e->ledger);
out:
    free(genesis);
    eng_close(e);
    ledger_close(src);
    return rc;
}
