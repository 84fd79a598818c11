/* SPDX-License-Identifier: MIT */
/* item.c: the items of the submission queue (a signed transaction or a system transaction the node
 * writes itself), the engine's read accessors, its counters in the meta table and the positive
 * amount check: what the rule files and the producer share, below both. */
#include "engine/engine_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void eng_item_free(eng_item *it)
{
    if (!it)
        return;
    ledger_tx_clear(&it->tx);
    cJSON_free(it->tx_body);
    free(it->sys_type);
    free(it->sys_body);
    cJSON_Delete(it->errdata);
    free(it->error);
    free(it->events);
    free(it);
}

eng_item *eng_item_system(const char *type, const cJSON *message)
{
    eng_item *it = calloc(1, sizeof *it);
    cJSON *body = cJSON_CreateObject();
    cJSON *copy = cJSON_Duplicate(message, true);
    if (!it || !body || !copy || !cJSON_AddStringToObject(body, "type", type)
        || !cJSON_AddItemToObject(body, "message", copy)) {
        if (body && copy && !cJSON_GetObjectItemCaseSensitive(body, "message"))
            cJSON_Delete(copy);
        cJSON_Delete(body);
        free(it);
        return NULL;
    }
    it->is_system = true;
    it->sys_type = strdup(type);
    it->sys_body = cJSON_PrintUnformatted(body);
    cJSON_Delete(body);
    if (!it->sys_type || !it->sys_body) {
        eng_item_free(it);
        return NULL;
    }
    return it;
}

int eng_check_positive(const ledger_tx *tx, const char *member, mpz_t value, char *err, size_t errlen)
{
    int rc = ledger_tx_get_amount(tx, member, value);
    if (rc == ST_OK && mpz_sgn(value) == 0) {
        snprintf(err, errlen, "message.%s: must be greater than zero", member);
        rc = ST_INVALID;
    }
    return rc;
}

int eng_meta_u64(eng *e, const char *key, uint64_t *value)
{
    char *text = NULL;
    int rc = ledger_meta_get(e->ledger, key, &text);
    *value = rc == ST_OK ? strtoull(text, NULL, 10) : 0;
    free(text);
    return rc == ST_NOTFOUND ? ST_OK : rc;
}

uint64_t eng_chain_id(const eng *e) { return e->genesis.chain_id; }
bool eng_is_dev(const eng *e) { return e->dev; }
uint64_t eng_now(const eng *e) { return eng_clock_now(&e->clock); }
ledger *eng_ledger(eng *e) { return e->ledger; }
