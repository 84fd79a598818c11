/* SPDX-License-Identifier: MIT */
/* quote.c: the quote's wire form, its signed digest and its verification (see quote.h).
 * Verification recovers the signer with ledger_sig_recover, which enforces EIP-2 (low s, v in
 * range), so each quote has exactly one acceptable signature and any changed byte fails. */
#include "enclave/quote.h"

#include <string.h>
#include "ledger/hash.h"
#include "ledger/sig.h"

static const char domain[] = "conclave-quote-v1";

/* Writes the signed fields (ENC_QUOTE_BODY_LEN bytes). */
static void body(uint8_t out[ENC_QUOTE_BODY_LEN], const enc_quote *q)
{
    out[0] = q->version;
    memcpy(out + 1, q->measurement, 32);
    memcpy(out + 33, q->enclave_pub, 64);
    for (unsigned i = 0; i < 8; i++)
        out[97 + i] = (uint8_t)(q->chain_id >> (56 - 8 * i));
}

int enc_quote_parse(enc_quote *q, const uint8_t *buf, size_t len)
{
    uint64_t chain_id = 0;
    if (len != ENC_QUOTE_LEN)
        return ST_INVALID;
    if (buf[0] != ENC_QUOTE_VERSION)
        return ST_VERSION;
    for (unsigned i = 0; i < 8; i++)
        chain_id = chain_id << 8 | buf[97 + i];
    q->version = buf[0];
    memcpy(q->measurement, buf + 1, 32);
    memcpy(q->enclave_pub, buf + 33, 64);
    q->chain_id = chain_id;
    memcpy(q->sig, buf + ENC_QUOTE_BODY_LEN, 65);
    return ST_OK;
}

void enc_quote_serialize(uint8_t out[ENC_QUOTE_LEN], const enc_quote *q)
{
    body(out, q);
    memcpy(out + ENC_QUOTE_BODY_LEN, q->sig, 65);
}

void enc_quote_digest(uint8_t digest[32], const enc_quote *q)
{
    uint8_t msg[sizeof domain - 1 + ENC_QUOTE_BODY_LEN];
    memcpy(msg, domain, sizeof domain - 1);
    body(msg + sizeof domain - 1, q);
    ledger_sha256(digest, msg, sizeof msg);
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
