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

#define FORM_VERSION 2
#define MAGIC_LEN 7
#define N_FIXED 8  /* rho slash_rate v_max cost_k cost_b rig_k rig_b re */
#define INPUT_FIXED_LEN (MAGIC_LEN + 1 + 5 * 8 + 32 + 8 + 3 * 4 + 8 + 4 + N_FIXED * 32 + 4 + 4)
#define WORKER_LEN(slots) (20 + 8 + 32 + 4 + 1 + 1 + 32 + 4 + 4 * (size_t)(slots))
#define CHANNEL_LEN (8 + 20 + 8 + 32 + 32)
#define REPORT_FIXED_LEN (MAGIC_LEN + 1 + 8 + 8 + 32 + 3 * 32 + 4)
#define OP_LEN (1 + 8 + 8 + 20 + 32)
#define SIG_LEN 65

static const char input_magic[MAGIC_LEN] = { 'C', 'S', 'E', 'T', 'I', 'N', '2' };
static const char report_magic[MAGIC_LEN] = { 'C', 'S', 'E', 'T', 'R', 'P', '2' };
static const uint8_t zero_addr[20];

/* The fixed parameters in their serialized order. */
static mpz_ptr fixed_param(enc_reward_params *p, unsigned i)
{
    mpz_ptr f[N_FIXED] = { p->rho, p->slash_rate, p->v_max, p->cost_k, p->cost_b, p->rig_k, p->rig_b, p->re };
    return f[i];
}

static mpz_srcptr const_fixed_param(const enc_reward_params *p, unsigned i)
{
    mpz_srcptr f[N_FIXED] = { p->rho, p->slash_rate, p->v_max, p->cost_k, p->cost_b, p->rig_k, p->rig_b, p->re };
    return f[i];
}

/* --- lifecycle --- */

void enc_reward_params_init(enc_reward_params *p)
{
    enc_econ_params e;

    memset(p, 0, sizeof *p);
    enc_econ_params_init(&e);
    mpz_init(p->budget_per_epoch);
    p->step_seconds = e.step_seconds;
    mpz_init_set(p->rho, e.rho);
    mpz_init_set(p->slash_rate, e.slash_rate);
    mpz_init_set(p->v_max, e.v_max);
    mpz_init_set(p->cost_k, e.cost_k);
    mpz_init_set(p->cost_b, e.cost_b);
    mpz_init_set(p->rig_k, e.rig_k);
    mpz_init_set(p->rig_b, e.rig_b);
    mpz_init_set(p->re, e.re);
    enc_econ_params_clear(&e);
}

void enc_reward_params_clear(enc_reward_params *p)
{
    if (!p)
        return;
    mpz_clears(p->budget_per_epoch, p->rho, p->slash_rate, p->v_max, p->cost_k, p->cost_b, p->rig_k, p->rig_b,
               p->re, NULL);
    memset(p, 0, sizeof *p);
}

void enc_settle_econ_params(enc_econ_params *e, const enc_reward_params *p)
{
    enc_econ_params_init(e);
    e->step_seconds = p->step_seconds;
    mpz_set(e->rho, p->rho);
    mpz_set(e->slash_rate, p->slash_rate);
    mpz_set_ui(e->budget_per_step, 0);
    mpz_set(e->v_max, p->v_max);
    mpz_set(e->cost_k, p->cost_k);
    mpz_set(e->cost_b, p->cost_b);
    mpz_set_ui(e->treasury_ratio, 0);
    mpz_set(e->rig_k, p->rig_k);
    mpz_set(e->rig_b, p->rig_b);
    mpz_set(e->re, p->re);
}

void enc_settle_input_init(enc_settle_input *in)
{
    memset(in, 0, sizeof *in);
    enc_reward_params_init(&in->params);
}

uint64_t enc_settle_slot_count(const enc_settle_input *in)
{
    uint64_t len;

    if (in->slot_seconds == 0 || in->epoch_end <= in->epoch_start)
        return 0;
    len = in->epoch_end - in->epoch_start;
    return len / in->slot_seconds + (len % in->slot_seconds != 0);
}

void enc_settle_input_clear(enc_settle_input *in)
{
    if (!in)
        return;
    for (size_t i = 0; i < in->n_workers; i++) {
        mpz_clear(in->workers[i].stake);
        mpz_clear(in->workers[i].v);
        free(in->workers[i].perf);
    }
    for (size_t i = 0; i < in->n_channels; i++) {
        mpz_clear(in->channels[i].owed);
        mpz_clear(in->channels[i].escrow);
    }
    free(in->workers);
    free(in->channels);
    enc_reward_params_clear(&in->params);
    memset(in, 0, sizeof *in);
}

enc_worker_in *enc_settle_input_add_worker(enc_settle_input *in)
{
    enc_worker_in *w;
    uint32_t *perf = NULL;
    uint64_t slots = enc_settle_slot_count(in);

    if (in->n_workers >= SIZE_MAX / sizeof *w - 1)
        return NULL;
    if (slots > ENC_SETTLE_MAX_SLOTS)
        slots = 0;
    if (slots && !(perf = calloc((size_t)slots, sizeof *perf)))
        return NULL;
    w = realloc(in->workers, (in->n_workers + 1) * sizeof *w);
    if (!w) {
        free(perf);
        return NULL;
    }
    in->workers = w;
    w += in->n_workers++;
    memset(w, 0, sizeof *w);
    mpz_init(w->stake);
    mpz_init(w->v);
    w->perf = perf;
    w->n_perf = (size_t)slots;
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
/* Whether f is a fixed below 2^256 in [lo, hi] (whole numbers; hi 0: no upper bound). */
static bool fixed_in(const mpz_t f, unsigned long lo, unsigned long hi)
{
    mpz_t one, b;
    bool ok;

    if (!ledger_amount_fits(f))
        return false;
    mpz_inits(one, b, NULL);
    mpz_ui_pow_ui(one, 10, ENC_ECON_SCALE_DIGITS);
    mpz_mul_ui(b, one, lo);
    ok = mpz_cmp(f, b) >= 0;
    mpz_mul_ui(b, one, hi);
    if (hi && mpz_cmp(f, b) > 0)
        ok = false;
    mpz_clears(one, b, NULL);
    return ok;
}

static bool params_ok(const enc_reward_params *p)
{
    if (!ledger_amount_fits(p->budget_per_epoch) || p->decay_ppm > LEDGER_PPM || p->treasury_ppm > LEDGER_PPM
        || p->fee_ppm > LEDGER_PPM || p->step_seconds == 0)
        return false;
    if (!fixed_in(p->rho, 1, 2) || !fixed_in(p->slash_rate, 0, 1) || !fixed_in(p->re, 1, 0))
        return false;
    for (unsigned i = 0; i < N_FIXED; i++)
        if (!ledger_amount_fits(const_fixed_param(p, i)))
            return false;
    return true;
}

static bool worker_ok(const enc_worker_in *w, uint64_t slots)
{
    if (w->score == 0 || w->conf_level < 1 || w->conf_level > ENC_CONF_LEVELS || !ledger_amount_fits(w->stake)
        || !ledger_amount_fits(w->v) || (!w->started && mpz_sgn(w->v) != 0) || w->first_slot > slots
        || w->n_perf != slots || (slots && !w->perf))
        return false;
    for (uint32_t s = 0; s < w->first_slot; s++)
        if (w->perf[s] != 0)
            return false;
    return true;
}

/* Returns: true if in is canonical (settle.h lists the rules). Linear in its size.
 * In: in with its arrays present (the callers ARG_CHECK that). */
bool enc_settle_input_ok(const enc_settle_input *in)
{
    uint64_t slots = enc_settle_slot_count(in);

    if (in->n_workers > UINT32_MAX || in->n_channels > UINT32_MAX)
        return false;
    if (in->genesis_time > in->epoch_start || in->epoch_start >= in->epoch_end || slots == 0
        || slots > ENC_SETTLE_MAX_SLOTS || !params_ok(&in->params))
        return false;
    for (size_t i = 0; i < in->n_workers; i++) {
        const enc_worker_in *w = &in->workers[i];
        if ((i > 0 && memcmp(in->workers[i - 1].address, w->address, 20) >= 0) || !worker_ok(w, slots))
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
    size_t n, wlen;
    uint64_t slots;
    wbuf w;

    ARG_CHECK(INPUT_ARRAYS_OK(in));
    if (!enc_settle_input_ok(in))
        return ST_INVALID;
    slots = enc_settle_slot_count(in);
    wlen = WORKER_LEN(slots);
    if (in->n_workers > (SIZE_MAX - INPUT_FIXED_LEN) / wlen
        || in->n_channels > (SIZE_MAX - INPUT_FIXED_LEN - in->n_workers * wlen) / CHANNEL_LEN)
        return ST_NOMEM;
    n = INPUT_FIXED_LEN + in->n_workers * wlen + in->n_channels * CHANNEL_LEN;
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
    put_u32(&w, p->fee_ppm);
    put_u64(&w, in->slot_seconds);
    put_u32(&w, p->step_seconds);
    for (unsigned i = 0; i < N_FIXED; i++)
        put_amount(&w, const_fixed_param(p, i));
    put_u32(&w, (uint32_t)in->n_workers);
    for (size_t i = 0; i < in->n_workers; i++) {
        const enc_worker_in *wk = &in->workers[i];
        put_bytes(&w, wk->address, 20);
        put_u64(&w, wk->pool);
        put_amount(&w, wk->stake);
        put_u32(&w, wk->score);
        put_u8(&w, wk->conf_level);
        put_u8(&w, wk->started ? 1 : 0);
        put_amount(&w, wk->v);
        put_u32(&w, wk->first_slot);
        for (size_t s = 0; s < wk->n_perf; s++)
            put_u32(&w, wk->perf[s]);
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

/* Reads the worker and channel lists into t, whose header is read (and sane: n_slots within
 * ENC_SETTLE_MAX_SLOTS, so that add_worker gives each worker its n_slots values). */
static int parse_lists(enc_settle_input *t, rbuf *r)
{
    uint64_t slots = enc_settle_slot_count(t);
    size_t n;

    if (!get_count(r, &n, WORKER_LEN(slots)))
        return ST_INVALID;
    for (size_t i = 0; i < n; i++) {
        enc_worker_in *w = enc_settle_input_add_worker(t);
        uint8_t started;
        if (!w)
            return ST_NOMEM;
        if (!get_bytes(r, w->address, 20) || !get_u64(r, &w->pool) || !get_amount(r, w->stake)
            || !get_u32(r, &w->score) || !get_u8(r, &w->conf_level) || !get_u8(r, &started) || started > 1
            || !get_amount(r, w->v) || !get_u32(r, &w->first_slot))
            return ST_INVALID;
        w->started = started == 1;
        for (size_t s = 0; s < w->n_perf; s++)
            if (!get_u32(r, &w->perf[s]))
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
    uint64_t slots;
    bool ok;
    int rc;

    enc_settle_input_init(&t);
    ok = get_magic(&r, input_magic) && get_u64(&r, &t.chain_id) && get_u64(&r, &t.epoch)
         && get_u64(&r, &t.epoch_start) && get_u64(&r, &t.epoch_end) && get_u64(&r, &t.genesis_time)
         && get_amount(&r, p->budget_per_epoch) && get_u64(&r, &p->decay_period)
         && get_u32(&r, &p->decay_ppm) && get_u32(&r, &p->treasury_ppm) && get_u32(&r, &p->fee_ppm)
         && get_u64(&r, &t.slot_seconds) && get_u32(&r, &p->step_seconds);
    for (unsigned i = 0; ok && i < N_FIXED; i++)
        ok = get_amount(&r, fixed_param(p, i));
    slots = enc_settle_slot_count(&t);
    ok = ok && slots > 0 && slots <= ENC_SETTLE_MAX_SLOTS;
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
 * payment first; WORKER_VALUE by address. Returns <0, 0 or >0 as a sorts before, with or after b. */
static int op_cmp(const enc_op *a, const enc_op *b)
{
    static const int group[] = { [ENC_OP_TREASURY] = 0, [ENC_OP_POOL_EMISSION] = 1,
                                 [ENC_OP_COMPUTE_PAYMENT] = 2, [ENC_OP_FEE] = 2, [ENC_OP_WORKER_VALUE] = 3 };
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
    case ENC_OP_WORKER_VALUE:
        return memcmp(a->address, b->address, 20);
    default:
        return 0;
    }
}

/* Returns: NULL if op's fields fit its kind (unused ones zero, amounts in range and not zero but
 * a WORKER_VALUE's); otherwise what is wrong. */
static const char *op_defect(const enc_op *op)
{
    bool no_pool = op->kind != ENC_OP_POOL_EMISSION && op->kind != ENC_OP_COMPUTE_PAYMENT;
    bool no_channel = op->kind != ENC_OP_COMPUTE_PAYMENT && op->kind != ENC_OP_FEE;
    bool no_addr = op->kind == ENC_OP_TREASURY || op->kind == ENC_OP_POOL_EMISSION;

    if (op->kind < ENC_OP_TREASURY || (op->kind > ENC_OP_FEE && op->kind != ENC_OP_WORKER_VALUE))
        return "an unknown kind";
    if ((no_pool && op->pool) || (no_channel && op->channel)
        || (no_addr && memcmp(op->address, zero_addr, 20) != 0))
        return "a field its kind does not use is set";
    if (!ledger_amount_fits(op->amount))
        return "an amount out of range";
    if (op->kind == ENC_OP_WORKER_VALUE)
        return NULL;
    return mpz_sgn(op->amount) == 0 ? "a zero amount" : NULL;
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
            || !get_bytes(&b, op->address, 20) || !get_amount(&b, op->amount))
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

