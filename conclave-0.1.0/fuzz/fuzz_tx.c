/* SPDX-License-Identifier: MIT */
/* fuzz_tx.c: the signed-transaction decoder (ledger/tx.c over ledger/eip712.c) on untrusted JSON,
 * what tx_send hands it: {"type", "message", "signature"}. Invariants: a transaction that decodes
 * encodes (ledger_tx_to_json) to JSON that decodes to the same id, digest and signer; the members
 * read back through the typed accessors their kinds allow. */
#include "fuzz/fuzz.h"

#include <cjson/cJSON.h>
#include <gmp.h>
#include <string.h>
#include "ledger/tx.h"

#define CHAIN_ID 31337

/* Reads every member through the accessor of its kind. */
static void read_members(const ledger_tx *tx)
{
    mpz_t amount;
    mpz_init(amount);
    for (unsigned i = 0; i < tx->type->n_members; i++) {
        const ledger_eip712_member *m = &tx->type->members[i];
        uint64_t u;
        uint8_t addr[20];
        const uint8_t *bytes;
        size_t len;
        switch (ledger_eip712_type_kind(m->type, NULL)) {
        case LEDGER_EIP712_UINT:
            if (ledger_tx_get_u64(tx, m->name, &u) != ST_OK)
                FUZZ_CHECK(ledger_tx_get_amount(tx, m->name, amount) == ST_OK);
            break;
        case LEDGER_EIP712_ADDRESS:
            FUZZ_CHECK(ledger_tx_get_address(tx, m->name, addr) == ST_OK);
            break;
        case LEDGER_EIP712_STRING:
        case LEDGER_EIP712_BYTES:
            FUZZ_CHECK(ledger_tx_get_bytes(tx, m->name, &bytes, &len) == ST_OK);
            break;
        case LEDGER_EIP712_UNKNOWN:  /* ledger_tx has no accessor for these kinds */
        case LEDGER_EIP712_BOOL:
        case LEDGER_EIP712_FIXED_BYTES:
            break;
        }
    }
    mpz_clear(amount);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cJSON *json = cJSON_ParseWithLength((const char *)data, size);
    if (!json)
        return 0;
    ledger_tx tx, again;
    char err[256];
    memset(&tx, 0, sizeof tx);
    memset(&again, 0, sizeof again);

    if (ledger_tx_parse(&tx, err, sizeof err, json, CHAIN_ID) == ST_OK) {
        read_members(&tx);
        cJSON *out = ledger_tx_to_json(&tx);
        FUZZ_CHECK(out != NULL);
        int rc = ledger_tx_parse(&again, err, sizeof err, out, CHAIN_ID);
        if (rc != ST_OK)
            fprintf(stderr, "fuzz_tx: its own JSON does not decode: %s\n", err);
        FUZZ_CHECK(rc == ST_OK);
        FUZZ_CHECK(again.type == tx.type);
        FUZZ_CHECK(memcmp(again.hash, tx.hash, 32) == 0 && memcmp(again.digest, tx.digest, 32) == 0);
        FUZZ_CHECK(memcmp(again.signer, tx.signer, 20) == 0);
        cJSON *msg = ledger_tx_message_to_json(&tx);
        FUZZ_CHECK(msg != NULL);
        cJSON_Delete(msg);
        cJSON_Delete(out);
    } else {
        FUZZ_CHECK(err[0] != '\0');
    }

    ledger_tx_clear(&tx);
    ledger_tx_clear(&again);
    cJSON_Delete(json);
    return 0;
}
