/* SPDX-License-Identifier: MIT */
/* ballot_box_peer.c: the C side of the secret-ballot interop test (ballot_box_interop.cjs).
 * `ballot_box_peer IN OUT`: opens every ballot that JavaScript sealed in IN (JSON: ballotSecret,
 * ballotKey, ballots [{chainId, proposal, voter, text, ciphertext}]) with ledger/ballot_box and
 * checks its text, and that it does not open under another proposal, voter or chain; then seals the
 * same texts with fresh randomness to IN's ballotKey and writes them to OUT in the same form, for
 * JavaScript to open. Prints one "ok"/"not ok" line per check; exits 0 only if all passed. */
#include <cjson/cJSON.h>
#include <secp256k1.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include "ledger/ballot_box.h"
#include "ledger/hex.h"

static int failures;

static void report(bool ok, const char *what, int i)
{
    printf("%s - %s %d\n", ok ? "ok" : "not ok", what, i);
    failures += !ok;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;
    if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0
        && (buf = calloc((size_t)n + 1, 1)) && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (f)
        fclose(f);
    return buf;
}

/* A member that is 0x-hex of exactly n bytes. */
static bool hex_exact(uint8_t *out, size_t n, const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) && ledger_hex_decode_exact(out, n, v->valuestring) == ST_OK;
}

/* One ballot's bindings and text. */
struct ballot {
    uint64_t chain_id, proposal;
    uint8_t voter[20];
    const char *text;
};

static bool ballot_fields(struct ballot *b, const cJSON *item)
{
    const cJSON *chain = cJSON_GetObjectItemCaseSensitive(item, "chainId");
    const cJSON *proposal = cJSON_GetObjectItemCaseSensitive(item, "proposal");
    const cJSON *voter = cJSON_GetObjectItemCaseSensitive(item, "voter");
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(item, "text");
    if (!cJSON_IsNumber(chain) || !cJSON_IsNumber(proposal) || !cJSON_IsString(voter) || !cJSON_IsString(text)
        || ledger_addr_parse(b->voter, voter->valuestring) != ST_OK)
        return false;
    b->chain_id = (uint64_t)chain->valuedouble;
    b->proposal = (uint64_t)proposal->valuedouble;
    b->text = text->valuestring;
    return true;
}

/* Opens the JS-sealed ballot item with secret; checks its text and the refusals. */
static void open_one(const secp256k1_context *ctx, const uint8_t secret[32], const cJSON *item, int i)
{
    struct ballot b;
    uint8_t sealed[LEDGER_BALLOT_MAX_LEN], other[20];
    char text[LEDGER_BALLOT_TEXT_MAX + 1];
    size_t len = 0, text_len;
    const cJSON *ct = cJSON_GetObjectItemCaseSensitive(item, "ciphertext");
    bool ok = ballot_fields(&b, item) && cJSON_IsString(ct)
              && ledger_hex_decode(sealed, sizeof sealed, &len, ct->valuestring, strlen(ct->valuestring)) == ST_OK;
    report(ok && ledger_ballot_open(ctx, text, &text_len, secret, b.chain_id, b.proposal, b.voter, sealed, len) == ST_OK
               && text_len == strlen(b.text) && strcmp(text, b.text) == 0,
           "C opens the JS-sealed ballot", i);
    memcpy(other, b.voter, 20);
    other[19] ^= 1;
    report(ok && ledger_ballot_open(ctx, text, &text_len, secret, b.chain_id, b.proposal + 1, b.voter, sealed, len) == ST_CRYPTO
               && ledger_ballot_open(ctx, text, &text_len, secret, b.chain_id, b.proposal, other, sealed, len) == ST_CRYPTO
               && ledger_ballot_open(ctx, text, &text_len, secret, b.chain_id + 1, b.proposal, b.voter, sealed, len) == ST_CRYPTO,
           "C refuses the JS-sealed ballot under another proposal, voter or chain", i);
}

/* Seals item's text afresh to key; the sealed ballot as a new JSON object, NULL on failure. */
static cJSON *seal_one(const secp256k1_context *ctx, const uint8_t key[LEDGER_BALLOT_KEY_LEN], const cJSON *item)
{
    struct ballot b;
    uint8_t sealed[LEDGER_BALLOT_MAX_LEN], eph[32], iv[LEDGER_BALLOT_IV_LEN];
    char hex[2 * LEDGER_BALLOT_MAX_LEN + 3];
    size_t len;
    if (!ballot_fields(&b, item) || getrandom(eph, sizeof eph, 0) != sizeof eph || getrandom(iv, sizeof iv, 0) != sizeof iv
        || ledger_ballot_seal(ctx, sealed, sizeof sealed, &len, key, b.chain_id, b.proposal, b.voter, b.text,
                              strlen(b.text), eph, iv) != ST_OK)
        return NULL;
    ledger_hex_encode(hex, sealed, len);
    cJSON *out = cJSON_Duplicate(item, true);
    cJSON_DeleteItemFromObjectCaseSensitive(out, "ciphertext");
    if (out && !cJSON_AddStringToObject(out, "ciphertext", hex)) {
        cJSON_Delete(out);
        out = NULL;
    }
    return out;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: ballot_box_peer IN OUT\n");
        return 2;
    }
    secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    char *text = read_file(argv[1]), *printed = NULL;
    cJSON *in = text ? cJSON_Parse(text) : NULL, *out = cJSON_CreateObject(), *list = cJSON_AddArrayToObject(out, "ballots");
    uint8_t secret[32], key[LEDGER_BALLOT_KEY_LEN];
    const cJSON *ballots = cJSON_GetObjectItemCaseSensitive(in, "ballots"), *item;
    if (!ctx || !in || !list || !hex_exact(secret, 32, in, "ballotSecret") || !hex_exact(key, sizeof key, in, "ballotKey")
        || !cJSON_IsArray(ballots)) {
        fprintf(stderr, "ballot_box_peer: cannot read %s\n", argv[1]);
        failures++;
        goto out;
    }
    int i = 0;
    cJSON_ArrayForEach(item, ballots) {
        open_one(ctx, secret, item, ++i);
        cJSON *mine = seal_one(ctx, key, item);
        report(mine != NULL, "C seals the text of ballot", i);
        if (mine && !cJSON_AddItemToArray(list, mine))
            cJSON_Delete(mine);
    }
    FILE *f = (printed = cJSON_Print(out)) ? fopen(argv[2], "w") : NULL;
    bool written = f && fputs(printed, f) >= 0;
    if (f)
        written = fclose(f) == 0 && written;
    report(written, "C wrote its sealed ballots, count", i);
out:
    cJSON_free(printed);
    cJSON_Delete(out);
    cJSON_Delete(in);
    free(text);
    if (ctx)
        secp256k1_context_destroy(ctx);
    return failures ? 1 : 0;
}
