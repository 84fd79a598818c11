/* SPDX-License-Identifier: MIT */
/* count_report.c: the byte forms of a secret poll's count (see count_report.h): fixed offsets,
 * big-endian numbers, every length checked before a byte is read. Parsing refuses anything but the
 * one canonical form, so a report has exactly one byte string and one digest. */
#include "enclave/count_report.h"

#include <secp256k1_recovery.h>
#include <string.h>
#include "ledger/hash.h"
#include "ledger/sig.h"

static const char count_label[] = "conclave poll count v1";

static void put_u64(uint8_t *out, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        out[i] = (uint8_t)v;
}

static void put_u32(uint8_t *out, uint32_t v)
{
    for (int i = 3; i >= 0; i--, v >>= 8)
        out[i] = (uint8_t)v;
}

static uint64_t get_u64(const uint8_t *in)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | in[i];
    return v;
}

static uint32_t get_u32(const uint8_t *in)
{
    return (uint32_t)in[0] << 24 | (uint32_t)in[1] << 16 | (uint32_t)in[2] << 8 | in[3];
}

void enc_count_header_serialize(uint8_t out[ENC_COUNT_HEADER_LEN], const enc_count_header *h)
{
    put_u64(out, h->chain_id);
    put_u64(out + 8, h->proposal);
    out[16] = h->system;
    out[17] = h->n_choices;
    put_u32(out + 18, h->n_ballots);
    memcpy(out + 22, h->ballots_hash, 32);
}

int enc_count_header_parse(enc_count_header *h, const char **why, const uint8_t *buf, size_t len)
{
    enc_count_header v;
    if (len != ENC_COUNT_HEADER_LEN) {
        *why = "the header is not 54 bytes";
        return ST_INVALID;
    }
    v.chain_id = get_u64(buf);
    v.proposal = get_u64(buf + 8);
    v.system = buf[16];
    v.n_choices = buf[17];
    v.n_ballots = get_u32(buf + 18);
    memcpy(v.ballots_hash, buf + 22, 32);
    if (v.system < 1 || v.system > 7) {
        *why = "unknown counting system";
        return ST_INVALID;
    }
    if (v.n_choices < 2 || v.n_choices > ENC_COUNT_MAX_CHOICES || (v.system == 1 && v.n_choices != 3)) {
        *why = "the number of choices is outside the system's range";
        return ST_INVALID;
    }
    if (v.n_ballots > ENC_COUNT_MAX_BALLOTS) {
        *why = "more ballots than one count takes";
        return ST_INVALID;
    }
    *h = v;
    return ST_OK;
}

int enc_count_ballot_put(uint8_t *buf, size_t cap, size_t *used, const uint8_t voter[20], const uint8_t weight[32],
                         const uint8_t *ciphertext, size_t len)
{
    uint8_t *p;
    if (len > 0xffff)
        return ST_INVALID;
    if (*used > cap || cap - *used < ENC_COUNT_BALLOT_FIXED + len)
        return ST_LIMIT;
    p = buf + *used;
    memcpy(p, voter, 20);
    memcpy(p + 20, weight, 32);
    p[52] = (uint8_t)(len >> 8);
    p[53] = (uint8_t)len;
    if (len)
        memcpy(p + ENC_COUNT_BALLOT_FIXED, ciphertext, len);
    *used += ENC_COUNT_BALLOT_FIXED + len;
    return ST_OK;
}

size_t enc_count_report_len(const enc_count_report *r)
{
    return ENC_COUNT_REPORT_FIXED + 32 * (size_t)r->n_choices;
}

void enc_count_report_body(uint8_t *out, const enc_count_report *r)
{
    size_t off = 0;
    out[off++] = ENC_COUNT_VERSION;
    put_u64(out + off, r->chain_id), off += 8;
    put_u64(out + off, r->proposal), off += 8;
    memcpy(out + off, r->ballots_hash, 32), off += 32;
    put_u32(out + off, r->count), off += 4;
    put_u32(out + off, r->valid), off += 4;
    put_u32(out + off, r->invalid), off += 4;
    memcpy(out + off, r->total_power, 32), off += 32;
    out[off++] = r->n_choices;
    for (unsigned i = 0; i < r->n_choices; i++, off += 32)
        memcpy(out + off, r->scores[i], 32);
    memcpy(out + off, r->measurement, 32);
}

void enc_count_report_digest(uint8_t digest[32], const enc_count_report *r)
{
    uint8_t body[ENC_COUNT_REPORT_MAX];
    ledger_keccak k;
    enc_count_report_body(body, r);
    ledger_keccak_init(&k);
    ledger_keccak_update(&k, count_label, sizeof count_label - 1);
    ledger_keccak_update(&k, body, enc_count_report_len(r));
    ledger_keccak_final(&k, digest);
}

int enc_count_report_sign(const secp256k1_context *ctx, enc_count_report *r, const uint8_t key[32])
{
    secp256k1_ecdsa_recoverable_signature rs;
    uint8_t digest[32];
    int recid = 0;

    enc_count_report_digest(digest, r);
    if (!secp256k1_ecdsa_sign_recoverable(ctx, &rs, digest, key, NULL, NULL))
        return ST_CRYPTO;
    secp256k1_ecdsa_recoverable_signature_serialize_compact(ctx, r->signature, &recid, &rs);
    r->signature[64] = (uint8_t)(27 + recid);
    return ST_OK;
}

int enc_count_report_serialize(uint8_t *out, size_t cap, size_t *len, const enc_count_report *r)
{
    size_t n = enc_count_report_len(r);
    if (cap < n + ENC_COUNT_SIG_LEN)
        return ST_LIMIT;
    enc_count_report_body(out, r);
    memcpy(out + n, r->signature, ENC_COUNT_SIG_LEN);
    *len = n + ENC_COUNT_SIG_LEN;
    return ST_OK;
}

int enc_count_report_parse(enc_count_report *r, const char **why, const uint8_t *buf, size_t len)
{
    size_t off = 1;
    unsigned n;

    memset(r, 0, sizeof *r);
    if (len < ENC_COUNT_REPORT_FIXED + ENC_COUNT_SIG_LEN) {
        *why = "the report is too short";
        return ST_INVALID;
    }
    if (buf[0] != ENC_COUNT_VERSION) {
        *why = "the report's version is not 1";
        return ST_INVALID;
    }
    n = buf[1 + 8 + 8 + 32 + 12 + 32];
    if (n < 2 || n > ENC_COUNT_MAX_CHOICES) {
        *why = "the report's number of choices is not 2 to 32";
        return ST_INVALID;
    }
    if (len != ENC_COUNT_REPORT_FIXED + 32 * (size_t)n + ENC_COUNT_SIG_LEN) {
        *why = "the report's length does not match its number of choices";
        return ST_INVALID;
    }
    r->chain_id = get_u64(buf + off), off += 8;
    r->proposal = get_u64(buf + off), off += 8;
    memcpy(r->ballots_hash, buf + off, 32), off += 32;
    r->count = get_u32(buf + off), off += 4;
    r->valid = get_u32(buf + off), off += 4;
    r->invalid = get_u32(buf + off), off += 4;
    memcpy(r->total_power, buf + off, 32), off += 32;
    r->n_choices = buf[off++];
    for (unsigned i = 0; i < n; i++, off += 32)
        memcpy(r->scores[i], buf + off, 32);
    memcpy(r->measurement, buf + off, 32), off += 32;
    memcpy(r->signature, buf + off, ENC_COUNT_SIG_LEN);
    if ((uint64_t)r->valid + r->invalid != r->count) {
        memset(r, 0, sizeof *r);
        *why = "the report's valid and invalid ballots do not add up to its count";
        return ST_INVALID;
    }
    return ST_OK;
}

int enc_count_report_signer(uint8_t addr[20], const enc_count_report *r)
{
    uint8_t digest[32];
    enc_count_report_digest(digest, r);
    return ledger_sig_recover(addr, digest, r->signature);
}
