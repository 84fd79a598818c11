/* SPDX-License-Identifier: MIT */
/* genesis.c: parsing and canonical form of the genesis document, and the embedded development
 * genesis (see genesis.h). The accounts array is read and written as text by genesis_accounts.c, so
 * a document of a million accounts never becomes a cJSON tree, nor an array of accounts. */
#include "engine/genesis.h"
#include "engine/genesis_int.h"
#include "engine/params.h"

#include <cjson/cJSON.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <nettle/sha2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ledger/amount.h"
#include "ledger/hex.h"
#include "ledger/sig.h"

/* The well-known development keys: BIP-44 m/44'/60'/0'/0/i of the mnemonic
 * "test test test test test test test test test test test junk". Public test keys, never secrets. */
static const char *const dev_keys[ENG_DEV_ACCOUNTS] = {
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
    "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
    "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
    "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
    "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
    "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
};

/* Appends item (NULL: out of memory) to array; on failure item is deleted. Returns: whether it was. */
static bool append(cJSON *array, cJSON *item)
{
    if (item && cJSON_AddItemToArray(array, item))
        return true;
    cJSON_Delete(item);
    return false;
}

#define DEV_GENESIS_TIME 1767225600           /* 2026-01-01T00:00:00Z */
#define DEV_ACCOUNT_BALANCE "1000000000000000000000000"   /* 10^24 = 1,000,000 tokens */
#define DEV_TREASURY "10000000000000000000000000"         /* 10^25 = 10,000,000 tokens */

void eng_dev_key(uint8_t key[32], unsigned i)
{
    if (ledger_hex_decode_exact(key, 32, dev_keys[i % ENG_DEV_ACCOUNTS]) != ST_OK)
        memset(key, 0, 32);
}

/* Adds {name: [hex of measurement]} to obj. Returns false on OOM. */
static bool add_measurement_list(cJSON *obj, const char *name, const uint8_t measurement[32])
{
    char hex[67];
    ledger_hex_encode(hex, measurement, 32);
    cJSON *list = cJSON_AddArrayToObject(obj, name), *m = cJSON_CreateString(hex);
    if (!list || !m || !cJSON_AddItemToArray(list, m)) {
        cJSON_Delete(m);
        return false;
    }
    return true;
}

char *eng_genesis_dev_json(const uint8_t *platform, const uint8_t *measurement, const uint8_t *worker_measurement)
{
    cJSON *root = cJSON_CreateObject(), *accounts = cJSON_CreateArray();
    char *text = NULL;
    if (!root || !accounts || !cJSON_AddItemToObject(root, "accounts", accounts)) {
        cJSON_Delete(accounts);
        goto out;
    }
    if (!cJSON_AddNumberToObject(root, "chainId", ENG_DEV_CHAIN_ID)
        || !cJSON_AddNumberToObject(root, "time", DEV_GENESIS_TIME)
        || !cJSON_AddStringToObject(root, "treasury", DEV_TREASURY))
        goto out;
    if (platform || measurement || worker_measurement) {
        cJSON *enclave = cJSON_AddObjectToObject(root, "enclave");
        char hex[67];
        if (!enclave)
            goto out;
        if (platform) {
            ledger_addr_format(hex, platform);
            if (!cJSON_AddStringToObject(enclave, "platform", hex))
                goto out;
        }
        if ((measurement && !add_measurement_list(enclave, "measurements", measurement))
            || (worker_measurement && !add_measurement_list(enclave, "workerMeasurements", worker_measurement)))
            goto out;
    }
    for (unsigned i = 0; i < ENG_DEV_ACCOUNTS; i++) {
        uint8_t key[32], addr[20];
        char addr_text[LEDGER_ADDR_STRLEN];
        eng_dev_key(key, i);
        int rc = ledger_sig_address(addr, key);
        memset(key, 0, sizeof key);
        if (rc != ST_OK)
            goto out;
        ledger_addr_format(addr_text, addr);
        cJSON *entry = cJSON_CreateObject();
        if (!append(accounts, entry))
            goto out;
        if (!cJSON_AddStringToObject(entry, "address", addr_text)
            || !cJSON_AddStringToObject(entry, "balance", DEV_ACCOUNT_BALANCE))
            goto out;
    }
    text = cJSON_PrintUnformatted(root);
out:
    cJSON_Delete(root);
    return text;
}

PRINTF_LIKE(3, 4) static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return ST_INVALID;
}

static int parse_u53(const cJSON *item, uint64_t *out)
{
    if (!cJSON_IsNumber(item) || item->valuedouble < 0 || item->valuedouble > 9007199254740991.0
        || item->valuedouble != (double)(uint64_t)item->valuedouble)
        return ST_INVALID;
    *out = (uint64_t)item->valuedouble;
    return ST_OK;
}

static int parse_amount_item(const cJSON *item, mpz_t out)
{
    if (!cJSON_IsString(item))
        return ST_INVALID;
    return ledger_amount_parse(out, item->valuestring, strlen(item->valuestring));
}

static int canonical_enclave(cJSON *root, const eng_enclave_params *ep)
{
    cJSON *en = cJSON_AddObjectToObject(root, "enclave"), *list = NULL;
    char text[67];
    if (!en || !(list = cJSON_AddArrayToObject(en, "measurements")))
        return ST_NOMEM;
    for (unsigned i = 0; i < ep->n_measurements; i++) {
        ledger_hex_encode(text, ep->measurements[i], 32);
        if (!append(list, cJSON_CreateString(text)))
            return ST_NOMEM;
    }
    if (ep->has_platform) {
        ledger_addr_format(text, ep->platform);
        if (!cJSON_AddStringToObject(en, "platform", text))
            return ST_NOMEM;
    }
    if (ep->n_worker_measurements == 0)
        return ST_OK;
    if (!(list = cJSON_AddArrayToObject(en, "workerMeasurements")))
        return ST_NOMEM;
    for (unsigned i = 0; i < ep->n_worker_measurements; i++) {
        ledger_hex_encode(text, ep->worker_measurements[i], 32);
        if (!append(list, cJSON_CreateString(text)))
            return ST_NOMEM;
    }
    return ST_OK;
}

static const char *const payload_names[] = { "text", "param", "spend", "enclave", "slash", "poll" };

/* One default track: amounts in whole tokens (10^18 base units). */
static void default_track(gov_track *t, const char *name, unsigned long deposit, unsigned long threshold,
                          uint64_t period_days, uint32_t quorum, uint32_t approval, unsigned long cap, unsigned payloads)
{
    mpz_t token;
    mpz_init_set_str(token, "1000000000000000000", 10);
    snprintf(t->name, sizeof t->name, "%s", name);
    mpz_mul_ui(t->deposit, token, deposit);
    mpz_mul_ui(t->threshold, token, threshold);
    mpz_mul_ui(t->spend_cap, token, cap);
    t->voting_delay = 3600;
    t->voting_period = period_days * 86400;
    t->enactment_delay = 86400;
    t->quorum_ppm = quorum;
    t->approval_ppm = approval;
    t->payloads = payloads;
    mpz_clear(token);
}

static void default_governance(gov_params *gp)
{
    default_track(&gp->tracks[0], "root", 1000, 100, 7, 200000, 666667, 0,
                  GOV_PAYLOAD_TEXT | GOV_PAYLOAD_PARAM | GOV_PAYLOAD_SPEND | GOV_PAYLOAD_ENCLAVE | GOV_PAYLOAD_SLASH);
    default_track(&gp->tracks[1], "treasury", 100, 100, 3, 100000, 500000, 1000000, GOV_PAYLOAD_TEXT | GOV_PAYLOAD_SPEND);
    default_track(&gp->tracks[2], "params", 500, 100, 3, 100000, 500000, 0, GOV_PAYLOAD_TEXT | GOV_PAYLOAD_PARAM);
    default_track(&gp->tracks[3], "enclave", 500, 100, 3, 100000, 500000, 0, GOV_PAYLOAD_TEXT | GOV_PAYLOAD_ENCLAVE);
    /* polls: a low bar to ask, and their outcome is their scores (approval plays no part) */
    default_track(&gp->tracks[4], "signal", 10, 10, 3, 100000, 500000, 0, GOV_PAYLOAD_TEXT | GOV_PAYLOAD_POLL);
    gp->n_tracks = 5;
}

static int canonical_governance(cJSON *root, const eng_genesis *genesis)
{
    const gov_params *gp = &genesis->governance;
    char buf[LEDGER_AMOUNT_STRLEN];
    cJSON *g = cJSON_AddObjectToObject(root, "governance"), *tracks = NULL;
    if (!g || eng_params_write_section(g, genesis, "governance") != ST_OK || !(tracks = cJSON_AddArrayToObject(g, "tracks")))
        return ST_NOMEM;
    for (unsigned i = 0; i < gp->n_tracks; i++) {
        const gov_track *t = &gp->tracks[i];
        cJSON *o = cJSON_CreateObject(), *pl = NULL;
        if (!append(tracks, o))
            return ST_NOMEM;
        if (!cJSON_AddNumberToObject(o, "approvalPpm", t->approval_ppm))
            return ST_NOMEM;
        ledger_amount_format(buf, t->deposit);
        if (!cJSON_AddStringToObject(o, "deposit", buf)
            || !cJSON_AddNumberToObject(o, "enactmentDelaySecs", (double)t->enactment_delay)
            || !cJSON_AddStringToObject(o, "name", t->name)
            || !cJSON_AddNumberToObject(o, "noQuorumBurnPpm", t->no_quorum_burn_ppm)
            || !(pl = cJSON_AddArrayToObject(o, "payloads")))
            return ST_NOMEM;
        for (unsigned k = 0; k < sizeof payload_names / sizeof payload_names[0]; k++) {
            if (!(t->payloads & (1u << k)))
                continue;
            if (!append(pl, cJSON_CreateString(payload_names[k])))
                return ST_NOMEM;
        }
        if (!cJSON_AddNumberToObject(o, "quorumPpm", t->quorum_ppm))
            return ST_NOMEM;
        ledger_amount_format(buf, t->spend_cap);
        if (!cJSON_AddStringToObject(o, "spendCap", buf))
            return ST_NOMEM;
        ledger_amount_format(buf, t->threshold);
        if (!cJSON_AddStringToObject(o, "threshold", buf)
            || !cJSON_AddNumberToObject(o, "votingDelaySecs", (double)t->voting_delay)
            || !cJSON_AddNumberToObject(o, "votingPeriodSecs", (double)t->voting_period))
            return ST_NOMEM;
    }
    return ST_OK;
}

/* The canonical form: keys in a fixed order, addresses EIP-55, amounts canonical. The document
 * without its accounts is printed by cJSON (g->params); the accounts of the text [start, end) (start
 * NULL: none) are checked and written into its empty array as text, and g->hash is the keccak-256 of
 * that text. keep_text: the text is kept (g->canonical, inside block 0's body g->body); else g
 * borrows [start, end). */
static int canonicalize(eng_genesis *g, char *err, size_t errlen, const char *start, const char *end, bool keep_text)
{
    cJSON *root = cJSON_CreateObject(), *accounts = cJSON_CreateArray();
    int rc = ST_NOMEM;
    if (!root || !accounts || !cJSON_AddItemToObject(root, "accounts", accounts)) {
        cJSON_Delete(accounts);
        goto out;
    }
    char buf[LEDGER_AMOUNT_STRLEN];
    ledger_amount_format(buf, g->treasury);
    if (!cJSON_AddNumberToObject(root, "chainId", (double)g->chain_id)
        || !cJSON_AddNumberToObject(root, "time", (double)g->time) || !cJSON_AddStringToObject(root, "treasury", buf))
        goto out;
    cJSON *staking = NULL, *rewards = NULL, *compute = NULL;
    if (!cJSON_AddNumberToObject(root, "epochSecs", (double)g->epoch_length)
        || !(staking = cJSON_AddObjectToObject(root, "staking")) || eng_params_write_section(staking, g, "staking") != ST_OK
        || !(rewards = cJSON_AddObjectToObject(root, "rewards")) || eng_params_write_section(rewards, g, "rewards") != ST_OK
        || canonical_enclave(root, &g->enclave) != ST_OK || canonical_governance(root, g) != ST_OK
        || !(compute = cJSON_AddObjectToObject(root, "compute")) || eng_params_write_section(compute, g, "compute") != ST_OK)
        goto out;
    if ((g->params = cJSON_PrintUnformatted(root)))
        rc = eng_genesis_check_accounts(g, err, errlen, start, end, keep_text);
out:
    cJSON_Delete(root);
    return rc;
}

/* An object of parameters only ("staking", "compute", "rewards"): each member is a row of params.c. */
static int parse_section(eng_genesis *g, char *err, size_t errlen, const char *section, const cJSON *obj)
{
    if (!cJSON_IsObject(obj))
        return fail(err, errlen, "genesis: %s must be an object", section);
    const cJSON *field;
    cJSON_ArrayForEach(field, obj) {
        int rc = eng_params_parse_member(g, section, field, err, errlen);
        if (rc == ST_NOTFOUND)
            snprintf(err, errlen, "genesis: unknown key \"%s.%s\"", section, field->string);
        if (rc != ST_OK)
            return rc == ST_NOTFOUND ? ST_INVALID : rc;
    }
    return ST_OK;
}

static int parse_ppm(const cJSON *item, uint32_t *out, uint32_t max)
{
    uint64_t v;
    if (parse_u53(item, &v) != ST_OK || v > max)
        return ST_INVALID;
    *out = (uint32_t)v;
    return ST_OK;
}

static int parse_enclave(eng_enclave_params *ep, char *err, size_t errlen, const cJSON *obj)
{
    if (!cJSON_IsObject(obj))
        return fail(err, errlen, "genesis: %s must be an object", "enclave");
    const cJSON *field;
    cJSON_ArrayForEach(field, obj) {
        const char *k = field->string;
        if (strcmp(k, "platform") == 0) {
            if (!cJSON_IsString(field) || ledger_addr_parse(ep->platform, field->valuestring) != ST_OK)
                return fail(err, errlen, "genesis: %s must be an address", "enclave.platform");
            ep->has_platform = true;
        } else if (strcmp(k, "measurements") == 0 || strcmp(k, "workerMeasurements") == 0) {
            bool workers = k[0] == 'w';
            uint8_t (*list)[32] = workers ? ep->worker_measurements : ep->measurements;
            unsigned *n = workers ? &ep->n_worker_measurements : &ep->n_measurements;
            if (!cJSON_IsArray(field) || cJSON_GetArraySize(field) > ENG_MAX_MEASUREMENTS)
                return fail(err, errlen, "genesis: enclave.%s must be a list of at most 16 hashes", k);
            const cJSON *m;
            cJSON_ArrayForEach(m, field) {
                if (!cJSON_IsString(m) || ledger_hex_decode_exact(list[*n], 32, m->valuestring) != ST_OK)
                    return fail(err, errlen, "genesis: enclave.%s must hold 0x-prefixed 32-byte hashes", k);
                (*n)++;
            }
        } else {
            return fail(err, errlen, "genesis: unknown key \"enclave.%s\"", k);
        }
    }
    return ST_OK;
}

static int parse_track(gov_track *t, char *err, size_t errlen, const cJSON *obj)
{
    if (!cJSON_IsObject(obj))
        return fail(err, errlen, "genesis: %s must be objects", "governance.tracks[]");
    const cJSON *field;
    bool named = false;
    t->payloads = GOV_PAYLOAD_TEXT;
    cJSON_ArrayForEach(field, obj) {
        const char *k = field->string;
        bool ok;
        if (strcmp(k, "name") == 0) {
            ok = cJSON_IsString(field) && field->valuestring[0] && strlen(field->valuestring) < sizeof t->name;
            if (ok)
                snprintf(t->name, sizeof t->name, "%s", field->valuestring);
            named = ok;
        } else if (strcmp(k, "deposit") == 0)
            ok = parse_amount_item(field, t->deposit) == ST_OK;
        else if (strcmp(k, "threshold") == 0)
            ok = parse_amount_item(field, t->threshold) == ST_OK;
        else if (strcmp(k, "spendCap") == 0)
            ok = parse_amount_item(field, t->spend_cap) == ST_OK;
        else if (strcmp(k, "votingDelaySecs") == 0)
            ok = parse_u53(field, &t->voting_delay) == ST_OK;
        else if (strcmp(k, "votingPeriodSecs") == 0)
            ok = parse_u53(field, &t->voting_period) == ST_OK && t->voting_period > 0;
        else if (strcmp(k, "enactmentDelaySecs") == 0)
            ok = parse_u53(field, &t->enactment_delay) == ST_OK;
        else if (strcmp(k, "quorumPpm") == 0)
            ok = parse_ppm(field, &t->quorum_ppm, 1000000) == ST_OK;
        else if (strcmp(k, "approvalPpm") == 0)
            ok = parse_ppm(field, &t->approval_ppm, 999999) == ST_OK;
        else if (strcmp(k, "noQuorumBurnPpm") == 0)
            ok = parse_ppm(field, &t->no_quorum_burn_ppm, 1000000) == ST_OK;
        else if (strcmp(k, "payloads") == 0) {
            ok = cJSON_IsArray(field);
            t->payloads = 0;
            const cJSON *n;
            cJSON_ArrayForEach(n, field) {
                unsigned bit = 0;
                for (unsigned i = 0; i < sizeof payload_names / sizeof payload_names[0] && cJSON_IsString(n); i++)
                    if (strcmp(n->valuestring, payload_names[i]) == 0)
                        bit = 1u << i;
                ok = ok && bit && !(t->payloads & bit);
                t->payloads |= bit;
            }
        } else
            return fail(err, errlen, "genesis: unknown key \"governance.tracks[].%s\"", k);
        if (!ok)
            return fail(err, errlen, "genesis: governance.tracks[].%s is out of range", k);
    }
    if (!named)
        return fail(err, errlen, "genesis: %s is required", "governance.tracks[].name");
    return ST_OK;
}

static int parse_governance(eng_genesis *g, char *err, size_t errlen, const cJSON *obj)
{
    gov_params *gp = &g->governance;
    if (!cJSON_IsObject(obj))
        return fail(err, errlen, "genesis: %s must be an object", "governance");
    const cJSON *field;
    cJSON_ArrayForEach(field, obj) {
        const char *k = field->string;
        bool ok;
        if (strcmp(k, "tracks") == 0) {
            ok = cJSON_IsArray(field) && cJSON_GetArraySize(field) >= 1 && cJSON_GetArraySize(field) <= GOV_MAX_TRACKS;
            if (!ok)
                return fail(err, errlen, "genesis: %s must list 1 to 16 tracks", "governance.tracks");
            for (unsigned i = 0; i < GOV_MAX_TRACKS; i++) {
                mpz_set_ui(gp->tracks[i].deposit, 0);
                mpz_set_ui(gp->tracks[i].threshold, 0);
                mpz_set_ui(gp->tracks[i].spend_cap, 0);
                gp->tracks[i].name[0] = 0;
                gp->tracks[i].voting_delay = gp->tracks[i].voting_period = gp->tracks[i].enactment_delay = 0;
                gp->tracks[i].quorum_ppm = gp->tracks[i].approval_ppm = gp->tracks[i].no_quorum_burn_ppm = 0;
            }
            gp->n_tracks = 0;
            const cJSON *t;
            cJSON_ArrayForEach(t, field) {
                int rc = parse_track(&gp->tracks[gp->n_tracks], err, errlen, t);
                if (rc != ST_OK)
                    return rc;
                for (unsigned i = 0; i < gp->n_tracks; i++)
                    if (strcmp(gp->tracks[i].name, gp->tracks[gp->n_tracks].name) == 0)
                        return fail(err, errlen, "genesis: governance track \"%s\" is listed twice", gp->tracks[i].name);
                gp->n_tracks++;
            }
            /* a track given without it would vote for 0 s, and its canonical text would not parse again */
            for (unsigned i = 0; i < gp->n_tracks; i++)
                if (gp->tracks[i].voting_period == 0)
                    return fail(err, errlen, "genesis: governance track \"%s\" needs votingPeriodSecs (at least 1)",
                                gp->tracks[i].name);
        } else {
            int rc = eng_params_parse_member(g, "governance", field, err, errlen);
            if (rc == ST_NOTFOUND)
                return fail(err, errlen, "genesis: unknown key \"governance.%s\"", k);
            if (rc != ST_OK)
                return rc;
            ok = true;
        }
        if (!ok)
            return fail(err, errlen, "genesis: governance.%s is out of range", k);
    }
    return ST_OK;
}

/* SHA-256 of the len bytes of text, read a MiB at a time, telling release (NULL: none) as it passes
 * each MiB. The same as ledger_sha256 of them. */
static void hash_text(uint8_t out[32], const char *text, size_t len, eng_genesis_release_fn release,
                      void *release_arg)
{
    struct sha256_ctx ctx;
    sha256_init(&ctx);
    for (size_t done = 0; done < len;) {
        size_t step = len - done < ENG_GENESIS_RELEASE_STEP ? len - done : ENG_GENESIS_RELEASE_STEP;
        sha256_update(&ctx, step, (const uint8_t *)text + done);
        done += step;
        if (release && step == ENG_GENESIS_RELEASE_STEP)
            release(release_arg, text + done);
    }
    sha256_digest(&ctx, SHA256_DIGEST_SIZE, out);
}

void eng_genesis_read_text(size_t *len, uint8_t *sha256, const char *text, eng_genesis_release_fn release,
                           void *release_arg)
{
    struct sha256_ctx ctx;
    size_t step;
    *len = 0;
    sha256_init(&ctx);
    do {
        step = strnlen(text + *len, ENG_GENESIS_RELEASE_STEP);
        if (sha256)
            sha256_update(&ctx, step, (const uint8_t *)text + *len);
        *len += step;
        if (release && step == ENG_GENESIS_RELEASE_STEP)
            release(release_arg, text + *len);
    } while (step == ENG_GENESIS_RELEASE_STEP);
    if (sha256)
        sha256_digest(&ctx, SHA256_DIGEST_SIZE, sha256);
}

/* eng_genesis_parse, keeping the canonical text or not (eng_genesis_parse_lean), telling release
 * (NULL: none) as each pass over json passes each MiB. */
static int parse(eng_genesis *g, char *err, size_t errlen, const char *json, size_t len, bool keep_text,
                 eng_genesis_release_fn release, void *release_arg)
{
    memset(g, 0, sizeof *g);
    g->release = release;
    g->release_arg = release_arg;
    mpz_init(g->treasury);
    g->epoch_length = 3600;
    gov_params_init(&g->governance);
    eng_params_init(g);
    default_governance(&g->governance);
    cJSON *root = NULL;
    char *rest = NULL;
    const char *accounts_start, *accounts_end;
    int rc = eng_genesis_find_accounts(&accounts_start, &accounts_end, err, errlen, json, len, release, release_arg);
    if (rc != ST_OK)
        goto out;
    /* cJSON parses the document with an empty accounts array in place of the given one */
    if (accounts_start) {
        size_t head = (size_t)(accounts_start - json), tail = (size_t)(json + len - accounts_end);
        if (!(rest = malloc(head + 2 + tail + 1))) {
            rc = ST_NOMEM;
            goto out;
        }
        memcpy(rest, json, head);
        memcpy(rest + head, "[]", 2);
        memcpy(rest + head + 2, accounts_end, tail);
        rest[head + 2 + tail] = '\0';
        root = cJSON_ParseWithLength(rest, head + 2 + tail);
    } else {
        root = cJSON_ParseWithLength(json, len);
    }
    if (!cJSON_IsObject(root)) {
        rc = fail(err, errlen, "genesis: %s", "not a JSON object");
        goto out;
    }
    const cJSON *field;
    unsigned accounts_keys = 0;
    cJSON_ArrayForEach(field, root) {
        const char *k = field->string;
        if (strcmp(k, "chainId") && strcmp(k, "time") && strcmp(k, "treasury") && strcmp(k, "accounts")
            && strcmp(k, "epochSecs") && strcmp(k, "staking") && strcmp(k, "compute") && strcmp(k, "rewards")
            && strcmp(k, "enclave") && strcmp(k, "governance")) {
            rc = fail(err, errlen, "genesis: unknown key \"%s\"", k);
            goto out;
        }
        accounts_keys += strcmp(k, "accounts") == 0;
    }
    /* the scanner finds the key as written: one spelled with escapes is not read twice */
    if (accounts_keys != (accounts_start ? 1u : 0u)) {
        rc = fail(err, errlen, "genesis: %s", "\"accounts\" must be given once, its key written without escapes");
        goto out;
    }
    if (parse_u53(cJSON_GetObjectItemCaseSensitive(root, "chainId"), &g->chain_id) != ST_OK || g->chain_id == 0) {
        rc = fail(err, errlen, "genesis: %s must be a positive integer below 2^53", "chainId");
        goto out;
    }
    if (parse_u53(cJSON_GetObjectItemCaseSensitive(root, "time"), &g->time) != ST_OK) {
        rc = fail(err, errlen, "genesis: %s must be a non-negative integer (seconds since 1970)", "time");
        goto out;
    }
    const cJSON *treasury = cJSON_GetObjectItemCaseSensitive(root, "treasury");
    if (treasury && parse_amount_item(treasury, g->treasury) != ST_OK) {
        rc = fail(err, errlen, "genesis: %s must be a canonical decimal amount", "treasury");
        goto out;
    }
    const cJSON *epoch = cJSON_GetObjectItemCaseSensitive(root, "epochSecs");
    if (epoch && (parse_u53(epoch, &g->epoch_length) != ST_OK || g->epoch_length == 0)) {
        rc = fail(err, errlen, "genesis: %s must be a positive number of seconds", "epochSecs");
        goto out;
    }
    static const char *const sections[] = { "staking", "compute", "rewards" };
    for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++) {
        const cJSON *obj = cJSON_GetObjectItemCaseSensitive(root, sections[i]);
        if (obj && (rc = parse_section(g, err, errlen, sections[i], obj)) != ST_OK)
            goto out;
    }
    const cJSON *compute = cJSON_GetObjectItemCaseSensitive(root, "compute");
    const cJSON *enclave = cJSON_GetObjectItemCaseSensitive(root, "enclave");
    if (enclave && (rc = parse_enclave(&g->enclave, err, errlen, enclave)) != ST_OK)
        goto out;
    const cJSON *governance = cJSON_GetObjectItemCaseSensitive(root, "governance");
    if (governance && (rc = parse_governance(g, err, errlen, governance)) != ST_OK)
        goto out;
    /* the default slot never exceeds a short epoch */
    if (!cJSON_GetObjectItemCaseSensitive(compute, "heartbeatSecs") && g->compute.heartbeat_secs > g->epoch_length)
        g->compute.heartbeat_secs = g->epoch_length;
    if (g->compute.heartbeat_secs > g->epoch_length) {
        rc = fail(err, errlen, "genesis: %s must not exceed epochSecs", "compute.heartbeatSecs");
        goto out;
    }
    /* settlement inputs carry every slot of every worker: their number is bounded (settle.h) */
    if (g->epoch_length / g->compute.heartbeat_secs + (g->epoch_length % g->compute.heartbeat_secs != 0)
        > ENC_SETTLE_MAX_SLOTS) {
        rc = fail(err, errlen, "genesis: epochSecs / compute.heartbeatSecs must be at most %u slots", ENC_SETTLE_MAX_SLOTS);
        goto out;
    }
    /* the accounts are checked as they are written into the canonical text, and the total minted
     * must itself be an amount */
    if ((rc = canonicalize(g, err, errlen, accounts_start, accounts_end, keep_text)) != ST_OK)
        goto out;
    hash_text(g->source_hash, json, len, release, release_arg);
out:
    cJSON_Delete(root);
    free(rest);
    return rc;
}

int eng_genesis_parse(eng_genesis *g, char *err, size_t errlen, const char *json, size_t len)
{
    return parse(g, err, errlen, json, len, true, NULL, NULL);
}

int eng_genesis_parse_lean(eng_genesis *g, char *err, size_t errlen, const char *json, size_t len,
                           eng_genesis_release_fn release, void *release_arg)
{
    return parse(g, err, errlen, json, len, false, release, release_arg);
}

int eng_genesis_restore(eng_genesis *g, char *err, size_t errlen, const char *params, const uint8_t hash[32])
{
    int rc = parse(g, err, errlen, params, strlen(params), false, NULL, NULL);
    if (rc == ST_OK && g->n_accounts != 0)
        rc = fail(err, errlen, "genesis: %s", "the stored parameters list accounts");
    if (rc != ST_OK)
        return rc;
    g->accounts = g->accounts_end = NULL;
    memcpy(g->hash, hash, 32);
    return ST_OK;
}

void eng_genesis_drop_accounts(eng_genesis *g)
{
    free(g->body);
    g->body = NULL;
    g->canonical = NULL;
    g->canonical_len = 0;
    g->accounts = g->accounts_end = NULL;
    g->release = NULL;
    g->release_arg = NULL;
#ifdef __GLIBC__
    malloc_trim(0);
#endif
}

void eng_genesis_clear(eng_genesis *g)
{
    if (!g)
        return;
    eng_genesis_drop_accounts(g);
    cJSON_free(g->params);
    mpz_clear(g->treasury);
    eng_params_clear(g);
    gov_params_clear(&g->governance);
    memset(g, 0, sizeof *g);
}
