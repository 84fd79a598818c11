/* SPDX-License-Identifier: MIT */
/* quote.c: the quote's wire form, its signed digest and its verification (see quote.h).
 * Verification recovers the signer with ledger_sig_recover, which enforces EIP-2 (low s, v in
 * range), so each quote has exactly one acceptable signature and any changed byte fails. */
#include "enclave/quote.h"

#include <string.h>
#include "ledger/hash.h"
#include "ledger/sig.h"

static const char domain[] = "conclave-quote-v1";

/* The length of the signed fields of a version. */
static size_t body_len(uint8_t version)
{
    return version == ENC_QUOTE_VERSION ? ENC_QUOTE_BODY_LEN : ENC_QUOTE_V2_BODY_LEN;
}

/* Writes the signed fields (body_len(q->version) bytes). */
static void body(uint8_t out[ENC_QUOTE_V2_BODY_LEN], const enc_quote *q)
{
    size_t at = 1;
    out[0] = q->version;
    if (q->version != ENC_QUOTE_VERSION) {
        out[1] = q->kind;
        out[2] = q->conf_level;
        at = 3;
    }
    memcpy(out + at, q->measurement, 32);
    memcpy(out + at + 32, q->enclave_pub, 64);
    for (unsigned i = 0; i < 8; i++)
        out[at + 96 + i] = (uint8_t)(q->chain_id >> (56 - 8 * i));
}

int enc_quote_parse(enc_quote *q, const uint8_t *buf, size_t len)
{
    if (len == 0)
        return ST_INVALID;
    enc_quote got = { .version = buf[0], .kind = ENC_QUOTE_ENCLAVE, .conf_level = 1 };
    size_t at = 1;
    if (got.version != ENC_QUOTE_VERSION && got.version != 2)
        return ST_VERSION;
    if (len != body_len(got.version) + 65)
        return ST_INVALID;
    if (got.version == 2) {
        got.kind = buf[1];
        got.conf_level = buf[2];
        if ((got.kind != ENC_QUOTE_ENCLAVE && got.kind != ENC_QUOTE_WORKER) || got.conf_level < 1
            || got.conf_level > ENC_CONF_LEVEL_MAX)
            return ST_INVALID;
        at = 3;
    }
    memcpy(got.measurement, buf + at, 32);
    memcpy(got.enclave_pub, buf + at + 32, 64);
    for (unsigned i = 0; i < 8; i++)
        got.chain_id = got.chain_id << 8 | buf[at + 96 + i];
    memcpy(got.sig, buf + len - 65, 65);
    *q = got;
    return ST_OK;
}

size_t enc_quote_len(const enc_quote *q)
{
    return body_len(q->version) + 65;
}

void enc_quote_serialize(uint8_t out[ENC_QUOTE_MAX_LEN], const enc_quote *q)
{
    body(out, q);
    memcpy(out + body_len(q->version), q->sig, 65);
}

void enc_quote_digest(uint8_t digest[32], const enc_quote *q)
{
    uint8_t msg[sizeof domain - 1 + ENC_QUOTE_V2_BODY_LEN];
    memcpy(msg, domain, sizeof domain - 1);
    body(msg + sizeof domain - 1, q);
    ledger_sha256(digest, msg, sizeof domain - 1 + body_len(q->version));
}
int enc_quote_verify(enc_quote *q, const uint8_t *buf, size_t len, const uint8_t platform_addr[20])
{
    enc_quote got;
    uint8_t digest[32], signer[20];
    int rc = enc_quote_parse(&got, buf, len);
    if (rc != ST_OK)
        return rc;
    enc_quote_digest(digest, &got);
    if (ledger_sig_recover(signer, digest, got.sig) != ST_OK || memcmp(signer, platform_addr, 20) != 0)
        return ST_CRYPTO;
    *q = got;
    return ST_OK;
}
