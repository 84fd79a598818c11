/* SPDX-License-Identifier: MIT */
/* settle.c: epoch settlement's canonical forms (see settle.h): the lifecycle of the inputs and the
 * report, their binary codecs, the report's canonical order and field rules, its digest and its
 * signature. The reward formula is in settle_compute.c and the host's checks in settle_check.c.
 * This file and settle_compute.c run in conclaved and the CLI and inside conclave-enclave, whose
 * seccomp filter allows only read/write on its socket and memory calls: so the enclave's path
 * (parse, compute, sign, serialize) uses no library function that may make another system call
 * (no qsort: it may call sysinfo; no ledger_sig_sign: its context wants getrandom).
 * Invariant: every report this file produces or accepts has its operations in the canonical order
 * with the unused fields zero, so its bytes, and the digest signed over them, are unique. */
#include "enclave/settle_int.h"

#include <secp256k1_recovery.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "ledger/amount.h"
#include "ledger/hash.h"
#include "ledger/sig.h"

#define FORM_VERSION 1
#define MAGIC_LEN 7
#define INPUT_FIXED_LEN (MAGIC_LEN + 1 + 5 * 8 + 32 + 8 + 4 * 4 + ENC_CONF_LEVELS * 4 + 3 * 4 + 4 + 4)
#define WORKER_LEN (20 + 8 + 32 + 4 + 1 + 4)
#define CHANNEL_LEN (8 + 20 + 8 + 32 + 32)
#define REPORT_FIXED_LEN (MAGIC_LEN + 1 + 8 + 8 + 32 + 3 * 32 + 4)
#define OP_LEN (1 + 8 + 8 + 20 + 32 + 4)
#define SIG_LEN 65

static const char input_magic[MAGIC_LEN] = { 'C', 'S', 'E', 'T', 'I', 'N', '1' };
static const char report_magic[MAGIC_LEN] = { 'C', 'S', 'E', 'T', 'R', 'P', '1' };
static const uint8_t zero_addr[20];

/* --- lifecycle --- */

void enc_settle_input_init(enc_settle_input *in)
{
    memset(in, 0, sizeof *in);
    mpz_init(in->params.budget_per_epoch);
}

void enc_settle_input_clear(enc_settle_input *in)
{
    if (!in)
        return;
    for (size_t i = 0; i < in->n_workers; i++)
        mpz_clear(in->workers[i].stake);
    for (size_t i = 0; i < in->n_channels; i++) {
        mpz_clear(in->channels[i].owed);
        mpz_clear(in->channels[i].escrow);
    }
    free(in->workers);
    free(in->channels);
    mpz_clear(in->params.budget_per_epoch);
    memset(in, 0, sizeof *in);
}

enc_worker_in *enc_settle_input_add_worker(enc_settle_input *in)
{
    enc_worker_in *w;
    if (in->n_workers >= SIZE_MAX / sizeof *w - 1)
        return NULL;
    w = realloc(in->workers, (in->n_workers + 1) * sizeof *w);
    if (!w)
        return NULL;
    in->workers = w;
    w += in->n_workers++;
    memset(w, 0, sizeof *w);
    mpz_init(w->stake);
    return w;
}

enc_channel_in *enc_settle_input_add_channel(enc_settle_input *in)
{
    enc_channel_in *c;
    if (in->n_channels >= SIZE_MAX / sizeof *c - 1)
        return NULL;
    c = realloc(in->channels, (in->n_channels + 1) * sizeof *c);
    if (!c)
        return NULL;
    in->channels = c;
    c += in->n_channels++;
    memset(c, 0, sizeof *c);
    mpz_init(c->owed);
    mpz_init(c->escrow);
    return c;
}

void enc_settle_report_init(enc_settle_report *r)
{
    memset(r, 0, sizeof *r);
    mpz_init(r->budget);
    mpz_init(r->compute_paid);
    mpz_init(r->fees);
}

void enc_settle_report_clear(enc_settle_report *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_ops; i++)
        mpz_clear(r->ops[i].amount);
    free(r->ops);
    mpz_clear(r->budget);
    mpz_clear(r->compute_paid);
    mpz_clear(r->fees);
    memset(r, 0, sizeof *r);
}

/* --- canonical inputs --- */

/* Returns: true if in is canonical (settle.h lists the rules). Linear in its size.
 * In: in with its arrays present (the callers ARG_CHECK that). */
bool enc_settle_input_ok(const enc_settle_input *in)
{
    const enc_reward_params *p = &in->params;

    if (in->n_workers > UINT32_MAX || in->n_channels > UINT32_MAX)
        return false;
    if (in->genesis_time > in->epoch_start || in->epoch_start >= in->epoch_end)
        return false;
    if (!ledger_amount_fits(p->budget_per_epoch) || p->decay_ppm > LEDGER_PPM || p->treasury_ppm > LEDGER_PPM
        || p->re_ppm < LEDGER_PPM || p->uptime_threshold_ppm > LEDGER_PPM || p->slash_ppm > LEDGER_PPM || p->fee_ppm > LEDGER_PPM)
        return false;
    for (unsigned i = 0; i < ENC_CONF_LEVELS; i++)
        if (p->conf_ppm[i] > LEDGER_PPM)
            return false;
    for (size_t i = 0; i < in->n_workers; i++) {
        const enc_worker_in *w = &in->workers[i];
        if ((i > 0 && memcmp(in->workers[i - 1].address, w->address, 20) >= 0)
            || w->conf_level < 1 || w->conf_level > ENC_CONF_LEVELS || w->uptime_ppm > LEDGER_PPM
            || !ledger_amount_fits(w->stake))
            return false;
    }
    for (size_t i = 0; i < in->n_channels; i++) {
        const enc_channel_in *c = &in->channels[i];
        if ((i > 0 && in->channels[i - 1].channel >= c->channel)
            || !ledger_amount_fits(c->owed) || !ledger_amount_fits(c->escrow))
            return false;
    }
    return true;
}

/* Byte writer over a buffer sized in advance. */
typedef struct wbuf {
    uint8_t *p;
} wbuf;

static void put_bytes(wbuf *w, const void *b, size_t n)
{
    memcpy(w->p, b, n);
    w->p += n;
}

static void put_u8(wbuf *w, uint8_t v)
{
    *w->p++ = v;
}

static void put_u32(wbuf *w, uint32_t v)
{
    for (int s = 24; s >= 0; s -= 8)
        *w->p++ = (uint8_t)(v >> s);
}

static void put_u64(wbuf *w, uint64_t v)
{
    for (int s = 56; s >= 0; s -= 8)
        *w->p++ = (uint8_t)(v >> s);
}

static void put_amount(wbuf *w, const mpz_t v)
{
    ledger_amount_to_word(w->p, v);
    w->p += 32;
}

/* Bounds-checked byte reader: every get fails once the bytes run out. */
typedef struct rbuf {
    const uint8_t *p;
    size_t left;
} rbuf;

static bool get_bytes(rbuf *r, void *out, size_t n)
{
    if (r->left < n)
        return false;
    memcpy(out, r->p, n);
    r->p += n;
    r->left -= n;
    return true;
}

static bool get_u8(rbuf *r, uint8_t *v)
{
    return get_bytes(r, v, 1);
}

static bool get_u32(rbuf *r, uint32_t *v)
{
    uint8_t b[4];
    if (!get_bytes(r, b, sizeof b))
        return false;
    *v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    return true;
}

static bool get_u64(rbuf *r, uint64_t *v)
{
    uint8_t b[8];
    if (!get_bytes(r, b, sizeof b))
        return false;
    *v = 0;
    for (unsigned i = 0; i < 8; i++)
        *v = *v << 8 | b[i];
    return true;
}

static bool get_amount(rbuf *r, mpz_t v)
{
    uint8_t b[32];
    if (!get_bytes(r, b, sizeof b))
        return false;
    ledger_amount_from_word(v, b);
    return true;
}

/* Reads a count of records of rec_len bytes each, refusing one the remaining bytes cannot hold
 * (so a forged count never drives a large allocation). */
static bool get_count(rbuf *r, size_t *n, size_t rec_len)
{
    uint32_t v;
    if (!get_u32(r, &v) || v > r->left / rec_len)
        return false;
    *n = v;
    return true;
}

static bool get_magic(rbuf *r, const char magic[MAGIC_LEN])
{
    uint8_t m[MAGIC_LEN], version;
    return get_bytes(r, m, sizeof m) && memcmp(m, magic, MAGIC_LEN) == 0 && get_u8(r, &version)
           && version == FORM_VERSION;
}

int enc_settle_input_serialize(uint8_t **out, size_t *len, const enc_settle_input *in)
{
    const enc_reward_params *p = &in->params;
    size_t n;
    wbuf w;

    ARG_CHECK(INPUT_ARRAYS_OK(in));
    if (!enc_settle_input_ok(in))
        return ST_INVALID;
    if (in->n_workers > (SIZE_MAX - INPUT_FIXED_LEN) / WORKER_LEN
        || in->n_channels > (SIZE_MAX - INPUT_FIXED_LEN - in->n_workers * WORKER_LEN) / CHANNEL_LEN)
        return ST_NOMEM;
    n = INPUT_FIXED_LEN + in->n_workers * WORKER_LEN + in->n_channels * CHANNEL_LEN;
    w.p = malloc(n);
    if (!w.p)
        return ST_NOMEM;
    *out = w.p;
    *len = n;
    put_bytes(&w, input_magic, MAGIC_LEN);
    put_u8(&w, FORM_VERSION);
    put_u64(&w, in->chain_id);
    put_u64(&w, in->epoch);
    put_u64(&w, in->epoch_start);
    put_u64(&w, in->epoch_end);
    put_u64(&w, in->genesis_time);
    put_amount(&w, p->budget_per_epoch);
    put_u64(&w, p->decay_period);
    put_u32(&w, p->decay_ppm);
    put_u32(&w, p->treasury_ppm);
    put_u32(&w, p->re_ppm);
    put_u32(&w, p->rig_k_ppm);
    for (unsigned i = 0; i < ENC_CONF_LEVELS; i++)
        put_u32(&w, p->conf_ppm[i]);
    put_u32(&w, p->uptime_threshold_ppm);
    put_u32(&w, p->slash_ppm);
    put_u32(&w, p->fee_ppm);
    put_u32(&w, (uint32_t)in->n_workers);
    for (size_t i = 0; i < in->n_workers; i++) {
        const enc_worker_in *wk = &in->workers[i];
        put_bytes(&w, wk->address, 20);
        put_u64(&w, wk->pool);
        put_amount(&w, wk->stake);
        put_u32(&w, wk->score);
        put_u8(&w, wk->conf_level);
        put_u32(&w, wk->uptime_ppm);
    }
    put_u32(&w, (uint32_t)in->n_channels);
    for (size_t i = 0; i < in->n_channels; i++) {
        const enc_channel_in *c = &in->channels[i];
        put_u64(&w, c->channel);
        put_bytes(&w, c->client, 20);
        put_u64(&w, c->pool);
        put_amount(&w, c->owed);
        put_amount(&w, c->escrow);
    }
    return ST_OK;
}

/* Reads the worker and channel lists into the (empty) t. */
static int parse_lists(enc_settle_input *t, rbuf *r)
{
    size_t n;

    if (!get_count(r, &n, WORKER_LEN))
        return ST_INVALID;
    for (size_t i = 0; i < n; i++) {
        enc_worker_in *w = enc_settle_input_add_worker(t);
        if (!w)
            return ST_NOMEM;
        if (!get_bytes(r, w->address, 20) || !get_u64(r, &w->pool) || !get_amount(r, w->stake)
            || !get_u32(r, &w->score) || !get_u8(r, &w->conf_level) || !get_u32(r, &w->uptime_ppm))
            return ST_INVALID;
    }
    if (!get_count(r, &n, CHANNEL_LEN))
        return ST_INVALID;
    for (size_t i = 0; i < n; i++) {
        enc_channel_in *c = enc_settle_input_add_channel(t);
        if (!c)
            return ST_NOMEM;
        if (!get_u64(r, &c->channel) || !get_bytes(r, c->client, 20) || !get_u64(r, &c->pool)
            || !get_amount(r, c->owed) || !get_amount(r, c->escrow))
            return ST_INVALID;
    }
    return ST_OK;
}

int enc_settle_input_parse(enc_settle_input *in, const uint8_t *buf, size_t len)
{
    enc_settle_input t;
    enc_reward_params *p = &t.params;
    rbuf r = { buf, len };
    bool ok;
    int rc;

    enc_settle_input_init(&t);
    ok = get_magic(&r, input_magic) && get_u64(&r, &t.chain_id) && get_u64(&r, &t.epoch)
         && get_u64(&r, &t.epoch_start) && get_u64(&r, &t.epoch_end) && get_u64(&r, &t.genesis_time)
         && get_amount(&r, p->budget_per_epoch) && get_u64(&r, &p->decay_period)
         && get_u32(&r, &p->decay_ppm) && get_u32(&r, &p->treasury_ppm) && get_u32(&r, &p->re_ppm)
         && get_u32(&r, &p->rig_k_ppm);
    for (unsigned i = 0; ok && i < ENC_CONF_LEVELS; i++)
        ok = get_u32(&r, &p->conf_ppm[i]);
    ok = ok && get_u32(&r, &p->uptime_threshold_ppm) && get_u32(&r, &p->slash_ppm) && get_u32(&r, &p->fee_ppm);
    rc = ok ? parse_lists(&t, &r) : ST_INVALID;
    if (rc == ST_OK && (r.left != 0 || !enc_settle_input_ok(&t)))
        rc = ST_INVALID;
    if (rc == ST_OK) {
        enc_settle_input_clear(in);
        *in = t;
    } else {
        enc_settle_input_clear(&t);
    }
    return rc;
}

int enc_settle_input_hash(uint8_t out[32], const enc_settle_input *in)
{
    uint8_t *buf;
    size_t len;
    int rc = enc_settle_input_serialize(&buf, &len, in);
    if (rc != ST_OK)
        return rc;
    ledger_sha256(out, buf, len);
    free(buf);
    return ST_OK;
}

/* --- the report's form --- */

/* The canonical order: TREASURY; POOL_EMISSION by pool; COMPUTE_PAYMENT and FEE by channel,
 * payment first; SLASH by address. Returns <0, 0 or >0 as a sorts before, with or after b. */
static int op_cmp(const enc_op *a, const enc_op *b)
{
    static const int group[] = { [ENC_OP_TREASURY] = 0, [ENC_OP_POOL_EMISSION] = 1,
                                 [ENC_OP_COMPUTE_PAYMENT] = 2, [ENC_OP_FEE] = 2, [ENC_OP_SLASH] = 3 };
    if (group[a->kind] != group[b->kind])
        return group[a->kind] - group[b->kind];
    switch (a->kind) {
    case ENC_OP_POOL_EMISSION:
        return a->pool < b->pool ? -1 : a->pool > b->pool;
    case ENC_OP_COMPUTE_PAYMENT:
    case ENC_OP_FEE:
        if (a->channel != b->channel)
            return a->channel < b->channel ? -1 : 1;
        return a->kind - b->kind;
    case ENC_OP_SLASH:
        return memcmp(a->address, b->address, 20);
    default:
        return 0;
    }
}

/* Returns: NULL if op's fields fit its kind (unused ones zero, amounts in range and not zero);
 * otherwise what is wrong. */
static const char *op_defect(const enc_op *op)
{
    bool no_pool = op->kind != ENC_OP_POOL_EMISSION && op->kind != ENC_OP_COMPUTE_PAYMENT;
    bool no_channel = op->kind != ENC_OP_COMPUTE_PAYMENT && op->kind != ENC_OP_FEE;
    bool no_addr = op->kind == ENC_OP_TREASURY || op->kind == ENC_OP_POOL_EMISSION;

    if (op->kind < ENC_OP_TREASURY || op->kind > ENC_OP_SLASH)
        return "an unknown kind";
    if ((no_pool && op->pool) || (no_channel && op->channel)
        || (no_addr && memcmp(op->address, zero_addr, 20) != 0))
        return "a field its kind does not use is set";
    if (!ledger_amount_fits(op->amount))
        return "an amount out of range";
    if (op->kind == ENC_OP_SLASH)
        return mpz_sgn(op->amount) != 0 || op->ppm == 0 || op->ppm > LEDGER_PPM ? "a slash out of range" : NULL;
    return mpz_sgn(op->amount) == 0 || op->ppm ? "a zero amount or a stray ppm" : NULL;
}

/* Returns: NULL if r's operations are well formed and in canonical order; otherwise what is
 * wrong, with the index of the operation in *at. */
const char *enc_settle_ops_defect(size_t *at, const enc_settle_report *r)
{
    for (size_t i = 0; i < r->n_ops; i++) {
        const char *d = op_defect(&r->ops[i]);
        *at = i;
        if (d)
            return d;
        if (i > 0 && op_cmp(&r->ops[i - 1], &r->ops[i]) >= 0)
            return "out of the canonical order";
    }
    return NULL;
}

/* Writes the report; with_sig false stops before the signature (the signed bytes). */
static int report_bytes(uint8_t **out, size_t *len, const enc_settle_report *r, bool with_sig)
{
    size_t at, n;
    wbuf w;

    ARG_CHECK(REPORT_OPS_OK(r));
    if (enc_settle_ops_defect(&at, r) || !ledger_amount_fits(r->budget) || !ledger_amount_fits(r->compute_paid)
        || !ledger_amount_fits(r->fees) || r->n_ops > UINT32_MAX)
        return ST_INVALID;
    if (r->n_ops > (SIZE_MAX - REPORT_FIXED_LEN - SIG_LEN) / OP_LEN)
        return ST_NOMEM;
    n = REPORT_FIXED_LEN + r->n_ops * OP_LEN + (with_sig ? SIG_LEN : 0);
    w.p = malloc(n);
    if (!w.p)
        return ST_NOMEM;
    *out = w.p;
    *len = n;
    put_bytes(&w, report_magic, MAGIC_LEN);
    put_u8(&w, FORM_VERSION);
    put_u64(&w, r->chain_id);
    put_u64(&w, r->epoch);
    put_bytes(&w, r->input_hash, 32);
    put_amount(&w, r->budget);
    put_amount(&w, r->compute_paid);
    put_amount(&w, r->fees);
    put_u32(&w, (uint32_t)r->n_ops);
    for (size_t i = 0; i < r->n_ops; i++) {
        const enc_op *op = &r->ops[i];
        put_u8(&w, op->kind);
        put_u64(&w, op->pool);
        put_u64(&w, op->channel);
        put_bytes(&w, op->address, 20);
        put_amount(&w, op->amount);
        put_u32(&w, op->ppm);
    }
    if (with_sig)
        put_bytes(&w, r->signature, SIG_LEN);
    return ST_OK;
}

int enc_settle_report_serialize(uint8_t **out, size_t *len, const enc_settle_report *r)
{
    return report_bytes(out, len, r, true);
}

int enc_settle_report_parse(enc_settle_report *r, const uint8_t *buf, size_t len)
{
    enc_settle_report t;
    rbuf b = { buf, len };
    size_t n, at;
    int rc = ST_INVALID;

    enc_settle_report_init(&t);
    if (!get_magic(&b, report_magic) || !get_u64(&b, &t.chain_id) || !get_u64(&b, &t.epoch)
        || !get_bytes(&b, t.input_hash, 32) || !get_amount(&b, t.budget) || !get_amount(&b, t.compute_paid)
        || !get_amount(&b, t.fees) || !get_count(&b, &n, OP_LEN))
        goto out;
    if (n) {
        t.ops = malloc(n * sizeof *t.ops);
        if (!t.ops) {
            rc = ST_NOMEM;
            goto out;
        }
    }
    while (t.n_ops < n) {
        enc_op *op = &t.ops[t.n_ops++];
        mpz_init(op->amount);
        if (!get_u8(&b, &op->kind) || !get_u64(&b, &op->pool) || !get_u64(&b, &op->channel)
            || !get_bytes(&b, op->address, 20) || !get_amount(&b, op->amount) || !get_u32(&b, &op->ppm))
            goto out;
    }
    if (get_bytes(&b, t.signature, SIG_LEN) && b.left == 0 && !enc_settle_ops_defect(&at, &t))
        rc = ST_OK;
out:
    if (rc == ST_OK) {
        enc_settle_report_clear(r);
        *r = t;
    } else {
        enc_settle_report_clear(&t);
    }
    return rc;
}

int enc_settle_report_digest(uint8_t out[32], const enc_settle_report *r)
{
    uint8_t *buf;
    size_t len;
    int rc = report_bytes(&buf, &len, r, false);
    if (rc != ST_OK)
        return rc;
    ledger_sha256(out, buf, len);
    free(buf);
    return ST_OK;
}

int enc_settle_report_sign(const secp256k1_context *ctx, enc_settle_report *r, const uint8_t key[32])
{
    secp256k1_ecdsa_recoverable_signature rs;
    uint8_t digest[32];
    int recid;
    int rc = enc_settle_report_digest(digest, r);

    if (rc != ST_OK)
        return rc;
    if (!secp256k1_ecdsa_sign_recoverable(ctx, &rs, digest, key, NULL, NULL))
        return ST_CRYPTO;
    secp256k1_ecdsa_recoverable_signature_serialize_compact(ctx, r->signature, &recid, &rs);
    r->signature[64] = (uint8_t)(27 + recid);
    return ST_OK;
}

int enc_settle_report_verify(const enc_settle_report *r, const uint8_t enclave_address[20])
{
    uint8_t digest[32], signer[20];
    int rc = enc_settle_report_digest(digest, r);

    if (rc != ST_OK)
        return rc;
    if (ledger_sig_recover(signer, digest, r->signature) != ST_OK || memcmp(signer, enclave_address, 20) != 0)
        return ST_CRYPTO;
    return ST_OK;
}

