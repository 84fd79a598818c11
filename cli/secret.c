/* SPDX-License-Identifier: MIT */
/* secret.c: secret ballots from the client's side (secret.h): the platform pin, the checks of an
 * enclave's attestation and ballot key, a choice read as the enclave will read it, sealing with
 * fresh randomness, the check list that verify-poll prints, and verify-poll's checks of a count.
 * The ephemeral secret and iv live on the stack and are wiped before return. */
#include "cli/secret.h"

#include <secp256k1.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include "cli/cli.h"
#include "enclave/count_report.h"
#include "enclave/platform.h"
#include "enclave/quote.h"
#include "governance/poll.h"
#include "ledger/amount.h"
#include "ledger/hex.h"
#include "ledger/sig.h"

bool cli_check_add(cli_checklist *l, const char *name, bool ok, const char *fmt, ...)
{
    if (l->n == CLI_CHECKS_MAX) {
        l->lost++;
        return ok;
    }
    cli_check *c = &l->item[l->n++];
    va_list ap;
    va_start(ap, fmt);
    c->name = name;
    c->ok = ok;
    vsnprintf(c->detail, sizeof c->detail, fmt, ap);
    va_end(ap);
    return ok;
}

bool cli_checklist_ok(const cli_checklist *l)
{
    return l->n > 0 && l->lost == 0 && !cli_checklist_failure(l);
}

const cli_check *cli_checklist_failure(const cli_checklist *l)
{
    for (size_t i = 0; i < l->n; i++)
        if (!l->item[i].ok)
            return &l->item[i];
    return NULL;
}

int cli_platform_pin(uint8_t addr[20], char *err, size_t errlen, const char *word, const char *datadir)
{
    if (word) {
        if (ledger_addr_parse(addr, word) == ST_OK)
            return ST_OK;
        snprintf(err, errlen, "bad --platform '%s': expected the platform's address, 0x + 40 hex digits", word);
        return ST_INVALID;
    }
    if (!datadir) {
        snprintf(err, errlen, "checking the enclave's quote needs the chain's attestation platform: --platform ADDRESS "
                              "(the genesis enclave.platform; conclaved --enclave-info prints it) or --datadir DIR of "
                              "a node on this machine");
        return ST_INVALID;
    }
    char path[4096];
    uint8_t secret[ENC_PLATFORM_SECRET_LEN];
    if (snprintf(path, sizeof path, "%s/platform.secret", datadir) >= (int)sizeof path) {
        snprintf(err, errlen, "--datadir: the path is too long");
        return ST_INVALID;
    }
    int rc = enc_platform_secret_read(secret, path);
    if (rc == ST_OK)
        rc = enc_platform_attestation_address(addr, secret);
    cli_wipe(secret, sizeof secret);
    if (rc != ST_OK)
        snprintf(err, errlen, "cannot read the platform secret %s: %s", path, st_str(rc));
    return rc;
}

/* A member that is 0x-hex of exactly n bytes. */
static bool hex_member(uint8_t *out, size_t n, const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) && ledger_hex_decode_exact(out, n, v->valuestring) == ST_OK;
}

/* The "quote" check of cli_attestation_check. */
static bool check_quote(cli_checklist *l, cli_enclave *e, const cJSON *att, uint64_t chain_id, const uint8_t platform[20])
{
    static const char name[] = "quote";
    const cJSON *hex = cJSON_GetObjectItemCaseSensitive(att, "quote");
    const cJSON *addr_item = cJSON_GetObjectItemCaseSensitive(att, "enclave");
    uint8_t buf[ENC_QUOTE_MAX_LEN], measurement[32], named[20];
    char platform_text[LEDGER_ADDR_STRLEN], addr_text[LEDGER_ADDR_STRLEN], meas_text[67];
    size_t len = 0;
    enc_quote q;
    ledger_addr_format(platform_text, platform);
    if (!cJSON_IsString(hex) || ledger_hex_decode(buf, sizeof buf, &len, hex->valuestring, strlen(hex->valuestring)) != ST_OK)
        return cli_check_add(l, name, false, "the attestation has no quote of at most %d bytes", ENC_QUOTE_MAX_LEN);
    if (!hex_member(measurement, 32, att, "measurement") || !cJSON_IsString(addr_item)
        || ledger_addr_parse(named, addr_item->valuestring) != ST_OK)
        return cli_check_add(l, name, false, "the attestation has no measurement or enclave address");
    int rc = enc_quote_verify(&q, buf, len, platform);
    if (rc != ST_OK)
        return cli_check_add(l, name, false, "%s", rc == ST_CRYPTO ? "NOT signed by the pinned platform"
                                                                   : "not a well-formed quote");
    if (q.kind != ENC_QUOTE_ENCLAVE)
        return cli_check_add(l, name, false, "a worker runtime's quote, not an enclave's");
    if (q.chain_id != chain_id)
        return cli_check_add(l, name, false, "made for chain %llu, this is chain %llu", (unsigned long long)q.chain_id,
                             (unsigned long long)chain_id);
    ledger_sig_pubkey_address(e->address, q.enclave_pub);
    memcpy(e->measurement, q.measurement, 32);
    if (memcmp(measurement, q.measurement, 32) != 0 || memcmp(named, e->address, 20) != 0)
        return cli_check_add(l, name, false, "it attests another measurement or key than the node names");
    ledger_addr_format(addr_text, e->address);
    ledger_hex_encode(meas_text, e->measurement, 32);
    return cli_check_add(l, name, true, "signed by platform %s: enclave %s, measurement %s, chain %llu", platform_text,
                         addr_text, meas_text, (unsigned long long)chain_id);
}

bool cli_attestation_check(cli_checklist *l, cli_enclave *e, const cJSON *att, uint64_t chain_id, const uint8_t platform[20])
{
    uint8_t sig[LEDGER_BALLOT_KEY_SIG_LEN], signer[20];
    char key_text[2 * LEDGER_BALLOT_KEY_LEN + 3];
    bool quote_ok = check_quote(l, e, att, chain_id, platform);
    bool key_ok;
    if (!hex_member(e->ballot_key, sizeof e->ballot_key, att, "ballotKey") || !hex_member(sig, sizeof sig, att, "ballotKeySignature"))
        key_ok = cli_check_add(l, "ballot key", false, "the attestation has no ballotKey (33 bytes) and ballotKeySignature (65)");
    else if (!quote_ok)
        key_ok = cli_check_add(l, "ballot key", false, "not checked: the quote does not hold");
    else if (ledger_ballot_key_signer(signer, chain_id, e->ballot_key, sig) != ST_OK || memcmp(signer, e->address, 20) != 0)
        key_ok = cli_check_add(l, "ballot key", false, "its signature is NOT by the attested enclave");
    else {
        ledger_hex_encode(key_text, e->ballot_key, sizeof e->ballot_key);
        key_ok = cli_check_add(l, "ballot key", true, "%s, signed by the attested enclave for this chain", key_text);
    }
    bool listed = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(att, "allowlisted"));
    cli_check_add(l, "allowlist", listed, "%s", listed ? "the enclave's measurement is on the chain's allowlist"
                                                       : "the enclave's measurement is NOT on the chain's allowlist");
    return quote_ok && key_ok && listed;
}

int cli_choice_check(char *err, size_t errlen, const cJSON *results, const char *choice)
{
    const cJSON *system = cJSON_GetObjectItemCaseSensitive(results, "system");
    const cJSON *choices = cJSON_GetObjectItemCaseSensitive(results, "choices");
    enum gov_poll_system sys;
    int n = cJSON_GetArraySize(choices);
    if (!cJSON_IsString(system) || gov_poll_system_parse(&sys, system->valuestring) != ST_OK || !cJSON_IsArray(choices)
        || n < GOV_POLL_MIN_CHOICES || n > GOV_POLL_MAX_CHOICES) {
        snprintf(err, errlen, "the node gave no counting system and 2 to %d choices for the poll", GOV_POLL_MAX_CHOICES);
        return ST_INVALID;
    }
    gov_ballot b;
    gov_ballot_init(&b);
    int rc = gov_ballot_parse(&b, err, errlen, sys, (unsigned)n, choice, strlen(choice));
    gov_ballot_clear(&b);
    return rc;
}

int cli_ballot_seal(char **hex, char *err, size_t errlen, const uint8_t ballot_key[LEDGER_BALLOT_KEY_LEN],
                    uint64_t chain_id, uint64_t proposal, const uint8_t voter[20], const char *choice)
{
    uint8_t eph[32], iv[LEDGER_BALLOT_IV_LEN], seed[32], *sealed = NULL;
    size_t text_len = strlen(choice), len = 0;
    secp256k1_context *ctx = NULL;
    int rc;
    *hex = NULL;
    if (text_len == 0 || text_len > LEDGER_BALLOT_TEXT_MAX) {
        snprintf(err, errlen, "bad choice: 1 to %d bytes of JSON text", LEDGER_BALLOT_TEXT_MAX);
        return ST_INVALID;
    }
    if (getrandom(eph, sizeof eph, 0) != (ssize_t)sizeof eph || getrandom(iv, sizeof iv, 0) != (ssize_t)sizeof iv
        || getrandom(seed, sizeof seed, 0) != (ssize_t)sizeof seed) {
        snprintf(err, errlen, "the system gave no randomness to seal the ballot with");
        rc = ST_IO;
        goto out;
    }
    if (!(ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE)) || !(sealed = malloc(LEDGER_BALLOT_MAX_LEN))
        || !(*hex = malloc(2 * LEDGER_BALLOT_MAX_LEN + 3))) {
        snprintf(err, errlen, "out of memory");
        rc = ST_NOMEM;
        goto out;
    }
    if (!secp256k1_context_randomize(ctx, seed)) {
        snprintf(err, errlen, "cannot randomize the secp256k1 context");
        rc = ST_CRYPTO;
        goto out;
    }
    rc = ledger_ballot_seal(ctx, sealed, LEDGER_BALLOT_MAX_LEN, &len, ballot_key, chain_id, proposal, voter, choice,
                            text_len, eph, iv);
    if (rc == ST_OK)
        ledger_hex_encode(*hex, sealed, len);
    else
        snprintf(err, errlen, "%s", rc == ST_INVALID ? "bad choice: text without a NUL byte" : "the ballot key is not a valid point");
out:
    cli_wipe(eph, sizeof eph);
    cli_wipe(iv, sizeof iv);
    cli_wipe(seed, sizeof seed);
    if (rc != ST_OK) {
        free(*hex);
        *hex = NULL;
    }
    free(sealed);
    if (ctx)
        secp256k1_context_destroy(ctx);
    return rc;
}

/* One published ballot, parsed. */
struct ballot_row {
    uint8_t voter[20];
    const cJSON *item;
};

static int by_voter(const void *a, const void *b)
{
    return memcmp(((const struct ballot_row *)a)->voter, ((const struct ballot_row *)b)->voter, 20);
}

/* Adds the ballot of row to h and its weight to total. Returns: ST_OK, ST_INVALID, ST_OVERFLOW. */
static int add_ballot(ledger_ballots_hash *h, mpz_t total, char *err, size_t errlen, const struct ballot_row *row)
{
    const cJSON *weight = cJSON_GetObjectItemCaseSensitive(row->item, "weight");
    const cJSON *delegated = cJSON_GetObjectItemCaseSensitive(row->item, "delegatedWeight");
    const cJSON *ct = cJSON_GetObjectItemCaseSensitive(row->item, "ciphertext");
    uint8_t word[32], *sealed = NULL;
    char voter[LEDGER_ADDR_STRLEN];
    size_t len = 0;
    mpz_t own, lent;
    mpz_inits(own, lent, NULL);
    int rc = ST_INVALID;
    ledger_addr_format(voter, row->voter);
    if (!cJSON_IsString(weight) || !cJSON_IsString(delegated) || !cJSON_IsString(ct)
        || ledger_amount_parse(own, weight->valuestring, strlen(weight->valuestring)) != ST_OK
        || ledger_amount_parse(lent, delegated->valuestring, strlen(delegated->valuestring)) != ST_OK) {
        snprintf(err, errlen, "the ballot of %s has no weight, delegatedWeight and ciphertext", voter);
        goto out;
    }
    size_t hexlen = strlen(ct->valuestring);
    if (!(sealed = malloc(hexlen / 2 + 1))) {
        rc = ST_NOMEM;
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (ledger_hex_decode(sealed, hexlen / 2 + 1, &len, ct->valuestring, hexlen) != ST_OK) {
        snprintf(err, errlen, "the ballot of %s has a ciphertext that is not 0x-hex", voter);
        goto out;
    }
    if ((rc = ledger_amount_add(own, own, lent)) != ST_OK || (rc = ledger_amount_add(total, total, own)) != ST_OK) {
        snprintf(err, errlen, "the weights reach 2^256 at the ballot of %s", voter);
        goto out;
    }
    ledger_amount_to_word(word, own);
    ledger_ballots_hash_add(h, row->voter, word, sealed, len);
out:
    free(sealed);
    mpz_clears(own, lent, NULL);
    return rc;
}

int cli_ballots_recompute(uint8_t hash[32], uint64_t *count, uint8_t total_power[32], char *err, size_t errlen,
                          const cJSON *ballots)
{
    if (!cJSON_IsArray(ballots)) {
        snprintf(err, errlen, "the ballots are not a list");
        return ST_INVALID;
    }
    int n = cJSON_GetArraySize(ballots), i = 0, rc = ST_OK;
    struct ballot_row *rows = n > 0 ? calloc((size_t)n, sizeof *rows) : NULL;
    const cJSON *item;
    ledger_ballots_hash h;
    mpz_t total;
    if (n > 0 && !rows) {
        snprintf(err, errlen, "out of memory");
        return ST_NOMEM;
    }
    cJSON_ArrayForEach(item, ballots) {
        const cJSON *voter = cJSON_GetObjectItemCaseSensitive(item, "voter");
        rows[i].item = item;
        if (!cJSON_IsString(voter) || ledger_addr_parse(rows[i].voter, voter->valuestring) != ST_OK) {
            snprintf(err, errlen, "ballot %d of the list has no voter address", i + 1);
            free(rows);
            return ST_INVALID;
        }
        i++;
    }
    if (n > 1)
        qsort(rows, (size_t)n, sizeof *rows, by_voter);
    mpz_init(total);
    ledger_ballots_hash_init(&h);
    for (i = 0; i < n && rc == ST_OK; i++) {
        if (i > 0 && by_voter(&rows[i - 1], &rows[i]) == 0) {
            char voter[LEDGER_ADDR_STRLEN];
            ledger_addr_format(voter, rows[i].voter);
            snprintf(err, errlen, "%s is listed with two ballots", voter);
            rc = ST_INVALID;
        } else {
            rc = add_ballot(&h, total, err, errlen, &rows[i]);
        }
    }
    if (rc == ST_OK) {
        ledger_ballots_hash_final(&h, hash);
        ledger_amount_to_word(total_power, total);
        *count = (uint64_t)n;
    }
    mpz_clear(total);
    free(rows);
    return rc;
}

/* Whether member key of obj is the decimal string of the 32-byte big-endian word. */
static bool amount_is(const cJSON *obj, const char *key, const uint8_t word[32])
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    uint8_t mine[32];
    mpz_t a;
    mpz_init(a);
    bool ok = cJSON_IsString(v) && ledger_amount_parse(a, v->valuestring, strlen(v->valuestring)) == ST_OK;
    if (ok)
        ledger_amount_to_word(mine, a);
    mpz_clear(a);
    return ok && memcmp(mine, word, 32) == 0;
}

/* Whether member key of obj is the whole number n. */
static bool number_is(const cJSON *obj, const char *key, uint64_t n)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble == (double)n;
}

/* Parses the results' report and signature into r; the "report" check. */
static bool check_report(cli_checklist *l, enc_count_report *r, const cJSON *results, uint64_t chain_id, uint64_t id)
{
    static const char name[] = "report";
    uint8_t buf[ENC_COUNT_REPORT_MAX + ENC_COUNT_SIG_LEN];
    size_t len = 0, siglen = 0;
    const cJSON *report = cJSON_GetObjectItemCaseSensitive(results, "report");
    const cJSON *sig = cJSON_GetObjectItemCaseSensitive(results, "signature");
    const char *why = NULL;
    if (!cJSON_IsString(report) || !cJSON_IsString(sig)
        || ledger_hex_decode(buf, ENC_COUNT_REPORT_MAX, &len, report->valuestring, strlen(report->valuestring)) != ST_OK
        || ledger_hex_decode(buf + len, sizeof buf - len, &siglen, sig->valuestring, strlen(sig->valuestring)) != ST_OK)
        return cli_check_add(l, name, false, "the results carry no report and signature (is the poll counted?)");
    if (enc_count_report_parse(r, &why, buf, len + siglen) != ST_OK)
        return cli_check_add(l, name, false, "not a count report: %s", why);
    int n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(results, "choices"));
    if (r->chain_id != chain_id || r->proposal != id || r->n_choices != n)
        return cli_check_add(l, name, false, "for chain %llu, proposal %llu, %u choices; this is chain %llu, poll %llu of %d",
                             (unsigned long long)r->chain_id, (unsigned long long)r->proposal, r->n_choices,
                             (unsigned long long)chain_id, (unsigned long long)id, n);
    return cli_check_add(l, name, true, "%zu bytes for chain %llu, poll %llu, %d choices: %u ballots, %u valid, %u invalid",
                         len, (unsigned long long)chain_id, (unsigned long long)id, n, r->count, r->valid, r->invalid);
}

/* The "ballots" check: the report covers exactly the published ballots. */
static bool check_ballots(cli_checklist *l, const enc_count_report *r, const cJSON *results, const uint8_t hash[32],
                          uint64_t count, const uint8_t total_power[32])
{
    static const char name[] = "ballots";
    uint8_t published[32];
    char hash_text[67];
    ledger_hex_encode(hash_text, hash, 32);
    if (memcmp(r->ballots_hash, hash, 32) != 0)
        return cli_check_add(l, name, false, "the report counted other ballots than the %llu published (ballotsHash %s)",
                             (unsigned long long)count, hash_text);
    if (r->count != count || memcmp(r->total_power, total_power, 32) != 0)
        return cli_check_add(l, name, false, "the report's count or totalPower is not the published ballots'");
    if (!hex_member(published, 32, results, "ballotsHash") || memcmp(published, hash, 32) != 0
        || !number_is(results, "totalVotes", count) || !amount_is(results, "scoresTotal", total_power))
        return cli_check_add(l, name, false, "the results' ballotsHash, totalVotes or scoresTotal is not the ballots'");
    return cli_check_add(l, name, true, "the report counted exactly the %llu published ballots: ballotsHash %s",
                         (unsigned long long)count, hash_text);
}

/* The "members" check: the results publish what the report says. */
static bool check_members(cli_checklist *l, const enc_count_report *r, const cJSON *results)
{
    static const char name[] = "members";
    const cJSON *scores = cJSON_GetObjectItemCaseSensitive(results, "scores");
    uint8_t measurement[32];
    if (!number_is(results, "validVotes", r->valid) || !number_is(results, "invalidVotes", r->invalid))
        return cli_check_add(l, name, false, "validVotes or invalidVotes is not the report's (%u valid, %u invalid)",
                             r->valid, r->invalid);
    if (cJSON_GetArraySize(scores) != r->n_choices)
        return cli_check_add(l, name, false, "the results give %d scores, the report %u", cJSON_GetArraySize(scores), r->n_choices);
    for (int i = 0; i < r->n_choices; i++) {
        const cJSON *item = cJSON_GetArrayItem(scores, i);
        uint8_t mine[32];
        mpz_t v;
        mpz_init(v);
        bool same = cJSON_IsString(item) && ledger_amount_parse(v, item->valuestring, strlen(item->valuestring)) == ST_OK;
        if (same)
            ledger_amount_to_word(mine, v);
        mpz_clear(v);
        if (!same || memcmp(mine, r->scores[i], 32) != 0)
            return cli_check_add(l, name, false, "the score of choice %d is not the report's", i + 1);
    }
    if (!hex_member(measurement, 32, results, "measurement") || memcmp(measurement, r->measurement, 32) != 0)
        return cli_check_add(l, name, false, "the results' measurement is not the report's");
    return cli_check_add(l, name, true, "the published scores, valid and invalid counts and measurement are the report's");
}

/* The "scores" check: the scores are possible for the system, whatever the ballots said. */
static bool check_scores(cli_checklist *l, const enc_count_report *r, const cJSON *results)
{
    static const char name[] = "scores";
    const cJSON *system = cJSON_GetObjectItemCaseSensitive(results, "system");
    bool approval = cJSON_IsString(system) && strcmp(system->valuestring, "approval") == 0;
    mpz_t sum, score, total;
    mpz_inits(sum, score, total, NULL);
    ledger_amount_from_word(total, r->total_power);
    bool within = true, zero = true;
    for (int i = 0; i < r->n_choices; i++) {
        ledger_amount_from_word(score, r->scores[i]);
        mpz_add(sum, sum, score);
        zero = zero && mpz_sgn(score) == 0;
        within = within && mpz_cmp(approval ? score : sum, total) <= 0;
    }
    mpz_clears(sum, score, total, NULL);
    if (!cJSON_IsString(system))
        return cli_check_add(l, name, false, "the results name no counting system");
    if (r->valid == 0 && !zero)
        return cli_check_add(l, name, false, "no ballot is valid, yet a score is not 0");
    if (!within)
        return cli_check_add(l, name, false, approval ? "a score exceeds the power of all the ballots"
                                                      : "the scores add up to more than the power of all the ballots");
    return cli_check_add(l, name, true, "possible for a %s poll: %s at most the power of all the ballots",
                         system->valuestring, approval ? "each" : "their sum");
}

bool cli_count_check(cli_checklist *l, cli_count_claim *claim, const cJSON *results, uint64_t chain_id, uint64_t id,
                     const uint8_t hash[32], uint64_t count, const uint8_t total_power[32])
{
    enc_count_report r;
    uint8_t signer[20];
    char named[LEDGER_ADDR_STRLEN];
    const cJSON *enclave = cJSON_GetObjectItemCaseSensitive(results, "enclave");
    if (!check_report(l, &r, results, chain_id, id)) {
        cli_check_add(l, "ballots", false, "not checked: no report");
        cli_check_add(l, "members", false, "not checked: no report");
        cli_check_add(l, "scores", false, "not checked: no report");
        return cli_check_add(l, "signature", false, "not checked: no report");
    }
    memcpy(claim->measurement, r.measurement, 32);
    bool ok = check_ballots(l, &r, results, hash, count, total_power);
    ok = check_members(l, &r, results) && ok;
    ok = check_scores(l, &r, results) && ok;
    if (!cJSON_IsString(enclave) || ledger_addr_parse(claim->enclave, enclave->valuestring) != ST_OK)
        return cli_check_add(l, "signature", false, "the results name no enclave");
    ledger_addr_format(named, claim->enclave);
    if (enc_count_report_signer(signer, &r) != ST_OK || memcmp(signer, claim->enclave, 20) != 0)
        return cli_check_add(l, "signature", false, "the report is NOT signed by %s", named);
    return cli_check_add(l, "signature", true, "the report is signed by enclave %s", named) && ok;
}
