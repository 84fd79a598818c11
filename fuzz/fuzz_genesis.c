/* SPDX-License-Identifier: MIT */
/* fuzz_genesis.c: genesis documents from untrusted text (engine/genesis.c, and the accounts scanner
 * of engine/genesis_accounts.c). Invariants: what is accepted is a JSON object to cJSON too; the
 * canonical text is what cJSON prints of itself, its keccak-256 is the hash, it parses again to the
 * same hash and accounts, and params is it with an empty accounts array; a lean parse (no canonical
 * text kept) accepts and refuses the same documents and names the same genesis. */
#include "fuzz/fuzz.h"

#include <cjson/cJSON.h>
#include <string.h>
#include "engine/genesis.h"
#include "ledger/hash.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    eng_genesis g, again;
    char err[256];
    int rc = eng_genesis_parse(&g, err, sizeof err, (const char *)data, size);
    FUZZ_CHECK(rc == ST_OK || rc == ST_INVALID || rc == ST_NOMEM);
    if (rc == ST_OK) {
        cJSON *doc = cJSON_ParseWithLength((const char *)data, size);
        FUZZ_CHECK(cJSON_IsObject(doc));
        cJSON_Delete(doc);
        cJSON *canon = cJSON_ParseWithLength(g.canonical, g.canonical_len);
        char *printed = cJSON_PrintUnformatted(canon);
        FUZZ_CHECK(printed && strlen(printed) == g.canonical_len && memcmp(printed, g.canonical, g.canonical_len) == 0);
        FUZZ_CHECK(g.canonical == g.body + 28 && strcmp(g.canonical + g.canonical_len, "}") == 0);
        FUZZ_CHECK((size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(canon, "accounts")) == g.n_accounts);
        cJSON_ReplaceItemInObjectCaseSensitive(canon, "accounts", cJSON_CreateArray());
        char *without = cJSON_PrintUnformatted(canon);
        FUZZ_CHECK(without && strcmp(without, g.params) == 0);
        cJSON_free(without);
        cJSON_free(printed);
        cJSON_Delete(canon);
        uint8_t hash[32];
        ledger_keccak256(hash, g.canonical, g.canonical_len);
        FUZZ_CHECK(memcmp(hash, g.hash, 32) == 0);
        FUZZ_CHECK(eng_genesis_parse(&again, err, sizeof err, g.canonical, g.canonical_len) == ST_OK);
        FUZZ_CHECK(memcmp(again.hash, g.hash, 32) == 0 && again.n_accounts == g.n_accounts);
        eng_genesis_clear(&again);
        /* a lean parse keeps no text and names the same genesis */
        FUZZ_CHECK(eng_genesis_parse_lean(&again, err, sizeof err, (const char *)data, size, NULL, NULL) == ST_OK);
        FUZZ_CHECK(!again.canonical && memcmp(again.hash, g.hash, 32) == 0 && again.n_accounts == g.n_accounts);
        eng_genesis_clear(&again);
    } else {
        FUZZ_CHECK(eng_genesis_parse_lean(&again, err, sizeof err, (const char *)data, size, NULL, NULL) == rc);
        eng_genesis_clear(&again);
    }
    eng_genesis_clear(&g);
    return 0;
}
