/* SPDX-License-Identifier: MIT */
/* handover_host.c: the host's part of the ballot key's handover (enclave.h, docs/SECRET_BALLOTS.md):
 * the two exchanges, and the sealed file the new enclave hands back, which the host writes in place
 * of the new enclave's own ballot key file (the confined enclave writes no file): whole or not at
 * all (a temporary file, fsync, rename, fsync of the directory). The file is sealed to the new
 * enclave's measurement: the host learns nothing from it. */
#include "enclave/enclave.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "enclave/durable_file.h"

#define IMPORT_RESP_LEN (LEDGER_BALLOT_KEY_LEN + LEDGER_BALLOT_KEY_SIG_LEN + 32 + ENC_SEAL_FILE_LEN)

/* One request and its answer of type want (ERROR's text goes to why). Returns: ST_OK with the
 * response (release with enc_host_resp_free); ST_INVALID if refused or unexpected; as enc_host_call. */
static int ask(enc_host *h, uint8_t type, const uint8_t *payload, size_t len, uint8_t want, uint8_t **resp,
               size_t *resp_len, char *why, size_t whylen)
{
    uint8_t rtype;
    int rc = enc_host_call(h, type, payload, len, &rtype, resp, resp_len, ENC_HOST_TIMEOUT_MS);
    if (rc != ST_OK) {
        snprintf(why, whylen, "the enclave exchange failed: %s", st_str(rc));
        return rc;
    }
    if (rtype == want)
        return ST_OK;
    if (rtype == ENC_MSG_ERROR)
        snprintf(why, whylen, "%s", (const char *)*resp);
    else
        snprintf(why, whylen, "the enclave answered message type %u", (unsigned)rtype);
    enc_host_resp_free(*resp);
    *resp = NULL;
    return ST_INVALID;
}

int enc_host_ballot_export(enc_host *old, uint64_t chain_id, const uint8_t *new_quote, size_t quote_len,
                           uint8_t blob[ENC_HANDOVER_LEN], char *why, size_t whylen)
{
    uint8_t req[8 + ENC_QUOTE_MAX_LEN], *resp = NULL;
    size_t resp_len;
    int rc;

    if (quote_len > ENC_QUOTE_MAX_LEN) {
        snprintf(why, whylen, "the quote is too long");
        return ST_INVALID;
    }
    for (unsigned i = 0; i < 8; i++)
        req[i] = (uint8_t)(chain_id >> (56 - 8 * i));
    memcpy(req + 8, new_quote, quote_len);
    rc = ask(old, ENC_MSG_BALLOT_KEY_EXPORT_REQ, req, 8 + quote_len, ENC_MSG_BALLOT_KEY_EXPORT_RESP, &resp, &resp_len,
             why, whylen);
    if (rc != ST_OK)
        return rc;
    if (resp_len != ENC_HANDOVER_LEN) {
        snprintf(why, whylen, "the handover blob is %zu bytes, not %d", resp_len, ENC_HANDOVER_LEN);
        rc = ST_INVALID;
    } else {
        memcpy(blob, resp, ENC_HANDOVER_LEN);
    }
    enc_host_resp_free(resp);
    return rc;
}

int enc_host_ballot_import(enc_host *nu, const uint8_t *blob, size_t len, const char *sealed_dir,
                           uint8_t key[LEDGER_BALLOT_KEY_LEN], uint8_t sig[LEDGER_BALLOT_KEY_SIG_LEN], char *why,
                           size_t whylen)
{
    uint8_t *resp = NULL;
    char path[PATH_MAX];
    size_t resp_len;
    int rc, n;

    rc = ask(nu, ENC_MSG_BALLOT_KEY_IMPORT_REQ, blob, len, ENC_MSG_BALLOT_KEY_IMPORT_RESP, &resp, &resp_len, why,
             whylen);
    if (rc != ST_OK)
        return rc;
    if (resp_len != IMPORT_RESP_LEN) {
        snprintf(why, whylen, "the import answer is %zu bytes, not %d", resp_len, IMPORT_RESP_LEN);
        enc_host_resp_free(resp);
        return ST_INVALID;
    }
    /* the file name as enc_seal_path makes it: DIR/ballot-<16 hex digits of the measurement>.sealed */
    n = snprintf(path, sizeof path, "%s/ballot-", sealed_dir);
    for (unsigned i = 0; n > 0 && (size_t)n < sizeof path && i < 8; i++)
        n += snprintf(path + n, sizeof path - (size_t)n, "%02x", resp[LEDGER_BALLOT_KEY_LEN + LEDGER_BALLOT_KEY_SIG_LEN + i]);
    if (n > 0 && (size_t)n < sizeof path)
        n += snprintf(path + n, sizeof path - (size_t)n, ".sealed");
    if (n < 0 || (size_t)n >= sizeof path) {
        snprintf(why, whylen, "the sealed file's path is too long");
        rc = ST_LIMIT;
    } else if ((rc = enc_file_create_bytes(path, sealed_dir, true, resp + IMPORT_RESP_LEN - ENC_SEAL_FILE_LEN,
                                          ENC_SEAL_FILE_LEN))
               != ST_OK) {
        snprintf(why, whylen, "cannot write %s: %s", path, strerror(errno));
    } else {
        memcpy(key, resp, LEDGER_BALLOT_KEY_LEN);
        memcpy(sig, resp + LEDGER_BALLOT_KEY_LEN, LEDGER_BALLOT_KEY_SIG_LEN);
    }
    enc_host_resp_free(resp);
    return rc;
}

int enc_host_ballot_handover(enc_host *old, enc_host *nu, uint64_t chain_id, const char *sealed_dir,
                             uint8_t key[LEDGER_BALLOT_KEY_LEN], uint8_t sig[LEDGER_BALLOT_KEY_SIG_LEN], char *why,
                             size_t whylen)
{
    uint8_t quote[ENC_QUOTE_LEN], blob[ENC_HANDOVER_LEN];
    size_t quote_len = 0;
    int rc = enc_host_attest(nu, chain_id, quote, &quote_len);
    if (rc != ST_OK) {
        snprintf(why, whylen, "the new enclave gave no quote: %s", st_str(rc));
        return rc;
    }
    rc = enc_host_ballot_export(old, chain_id, quote, quote_len, blob, why, whylen);
    if (rc == ST_OK)
        rc = enc_host_ballot_import(nu, blob, sizeof blob, sealed_dir, key, sig, why, whylen);
    return rc;
}
