/* SPDX-License-Identifier: MIT */
/* m_workers.c: the staking_* methods of workers: one worker (its registration, stake, value
 * promise V, state and recent heartbeats), a pool's workers, and the challenge of the current
 * heartbeat slot that a conclave-worker answers. */
#include "node/methods_int.h"

#include <stdlib.h>
#include <string.h>
#include "ledger/compute.h"
#include "ledger/hex.h"
#include "ledger/stakes.h"

/* Appends the unbonding entries of worker's pool that belong to worker to arr. */
static int add_unbondings(cJSON *arr, ledger *l, const ledger_worker *w)
{
    unsigned cap = 16, n = 0;
    ledger_unbonding *rows = NULL;
    int rc;
    /* the ledger gives a pool's entries up to a cap: grow it until they all fit */
    do {
        for (unsigned i = 0; rows && i < cap; i++)
            ledger_unbonding_clear(&rows[i]);
        free(rows);
        cap *= 2;
        if (!(rows = malloc(cap * sizeof *rows)))
            return ST_NOMEM;
        for (unsigned i = 0; i < cap; i++)
            ledger_unbonding_init(&rows[i]);
        rc = ledger_unbonding_of_pool(l, w->pool, rows, cap, &n);
    } while (rc == ST_OK && n == cap);
    for (unsigned i = 0; i < n && rc == ST_OK; i++) {
        if (memcmp(rows[i].worker, w->address, 20) != 0)
            continue;
        cJSON *obj = node_append_object(arr);
        if (!obj || !node_add_amount(obj, "amount", rows[i].amount) || !node_add_u64(obj, "releaseAt", rows[i].release_at))
            rc = ST_NOMEM;
    }
    for (unsigned i = 0; i < cap; i++)
        ledger_unbonding_clear(&rows[i]);
    free(rows);
    return rc;
}

#define RECENT_HEARTBEATS 8

/* V (a fixed: V * 10^36) as plain decimal text, trailing zeros of the fraction dropped. */
static bool add_fixed(cJSON *obj, const char *key, const mpz_t fx)
{
    mpz_t whole, frac, scale;
    mpz_inits(whole, frac, scale, NULL);
    mpz_ui_pow_ui(scale, 10, 36);
    mpz_tdiv_qr(whole, frac, fx, scale);
    char *w = mpz_get_str(NULL, 10, whole), *f = mpz_get_str(NULL, 10, frac);
    char text[200];
    bool ok = w && f && strlen(w) < 100;
    if (ok) {
        size_t flen = strlen(f);
        snprintf(text, sizeof text, "%s.%.*s%s", w, (int)(36 - flen), "000000000000000000000000000000000000", f);
        size_t end = strlen(text);
        while (text[end - 1] == '0')
            end--;
        if (text[end - 1] == '.')
            end--;
        text[end] = '\0';
        ok = cJSON_AddStringToObject(obj, key, text) != NULL;
    }
    free(w);
    free(f);
    mpz_clears(whole, frac, scale, NULL);
    return ok;
}

/* What a worker is doing now: Registered (in no pool), Ready (in a pool, nothing bonded),
 * CoolingDown (nothing bonded, stake still unbonding), Computing (bonded, and it answered the last
 * slot that ended since it was bonded, or none has ended yet), Unresponsive (bonded, and it did not).
 * Also adds its recent heartbeats and its uptime in the current epoch. */
static int add_state(cJSON *out, eng *e, const ledger_worker *w, bool in_pool, bool unbonding)
{
    ledger *l = eng_ledger(e);
    ledger_heartbeat recent[RECENT_HEARTBEATS];
    unsigned n = 0;
    eng_challenge now;
    int rc = ledger_heartbeat_recent(l, w->address, recent, RECENT_HEARTBEATS, &n);
    if (rc == ST_OK)
        rc = eng_challenge_now(e, w->address, &now);
    if (rc != ST_OK)
        return rc;
    uint64_t hb = now.slot_end - now.slot_start, epoch_start = now.slot_start - now.slot * (hb ? hb : 1);
    /* the slots of this epoch that count: from the first starting at or after judged_from */
    uint64_t first = 0, answered = 0, due = 0;
    if (in_pool && w->judged_from > epoch_start && hb)
        first = (w->judged_from - epoch_start + hb - 1) / hb;
    bool last_answered = true, current_answered = false;
    for (unsigned i = 0; i < n; i++) {
        if (recent[i].epoch != now.epoch || recent[i].slot < first)
            continue;
        answered++;
        current_answered |= recent[i].slot == now.slot;
    }
    if (now.slot > first)
        due = now.slot - first;
    if (current_answered)
        due++;
    if (now.slot > first) {
        last_answered = false;
        for (unsigned i = 0; i < n; i++)
            last_answered |= recent[i].epoch == now.epoch && recent[i].slot == now.slot - 1;
    }
    const char *state = !in_pool ? "Registered"
                        : mpz_sgn(w->bonded) == 0 ? (unbonding ? "CoolingDown" : "Ready")
                        : last_answered || current_answered ? "Computing" : "Unresponsive";
    cJSON *beats = cJSON_AddArrayToObject(out, "heartbeats"), *uptime;
    if (!cJSON_AddStringToObject(out, "state", state) || !beats)
        return ST_NOMEM;
    for (unsigned i = 0; i < n; i++) {
        cJSON *o = node_append_object(beats);
        if (!o || !node_add_u64(o, "epoch", recent[i].epoch) || !node_add_u64(o, "slot", recent[i].slot)
            || !node_add_u64(o, "performance", recent[i].score))
            return ST_NOMEM;
    }
    if (!(uptime = cJSON_AddObjectToObject(out, "uptime")) || !node_add_u64(uptime, "epoch", now.epoch)
        || !node_add_u64(uptime, "answered", answered > due ? due : answered) || !node_add_u64(uptime, "due", due))
        return ST_NOMEM;
    return ST_OK;
}

/* The registration part of a worker: null if it never registered. */
static int add_registration(cJSON *out, ledger *l, const uint8_t address[20], bool *registered)
{
    ledger_worker_reg reg;
    int rc = ledger_worker_reg_get(l, address, &reg);
    *registered = rc == ST_OK;
    if (rc == ST_NOTFOUND)
        return cJSON_AddNullToObject(out, "registration") ? ST_OK : ST_NOMEM;
    if (rc != ST_OK)
        return rc;
    cJSON *o = cJSON_AddObjectToObject(out, "registration");
    if (!o || !node_add_address(o, "operator", reg.operator_) || !node_add_hex(o, "measurement", reg.measurement, 32)
        || !node_add_u64(o, "score", reg.score) || !node_add_u64(o, "confLevel", reg.conf_level)
        || !node_add_u64(o, "height", reg.height))
        return ST_NOMEM;
    return ST_OK;
}

/* A worker as staking_getWorker and staking_listWorkers show it. in_pool: w is a pool's worker
 * (else only its address is set). */
static int worker_json(cJSON *out, eng *e, ledger_worker *w, bool in_pool)
{
    ledger *l = eng_ledger(e);
    bool registered;
    cJSON *unbonding = NULL;
    mpz_t min;
    mpz_init(min);
    int rc = add_registration(out, l, w->address, &registered);
    if (rc == ST_OK && !in_pool) {
        ledger_worker_reg reg;
        if ((rc = ledger_worker_reg_get(l, w->address, &reg)) == ST_OK) {
            w->score = reg.score;
            w->conf_level = reg.conf_level;
        }
    }
    if (rc == ST_OK)
        rc = eng_worker_min_stake(e, w->score, min);
    if (rc == ST_OK && (!node_add_address(out, "worker", w->address)
                        || !(in_pool ? node_add_u64(out, "pool", w->pool) : cJSON_AddNullToObject(out, "pool") != NULL)
                        || !node_add_amount(out, "bonded", w->bonded) || !node_add_u64(out, "score", w->score)
                        || !node_add_u64(out, "confLevel", w->conf_level) || !node_add_amount(out, "minStake", min)
                        || !add_fixed(out, "valuePromise", w->value) || !cJSON_AddBoolToObject(out, "started", w->started)
                        || !node_add_u64(out, "judgedFrom", w->judged_from)
                        || !(unbonding = cJSON_AddArrayToObject(out, "unbonding"))))
        rc = ST_NOMEM;
    if (rc == ST_OK && in_pool)
        rc = add_unbondings(unbonding, l, w);
    if (rc == ST_OK)
        rc = add_state(out, e, w, in_pool, cJSON_GetArraySize(unbonding) > 0);
    mpz_clear(min);
    return rc;
}

static int get_worker(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    eng *e = node_engine(ctx);
    uint8_t address[20];
    ledger_worker w;
    ledger_worker_reg reg;
    int rc = node_param_address(ctx, params, "worker", address);
    if (rc != ST_OK)
        return rc;
    ledger_worker_init(&w);
    cJSON *out = NULL;
    rc = ledger_worker_get(eng_ledger(e), address, &w);
    bool in_pool = rc == ST_OK;
    if (rc == ST_NOTFOUND) {
        memcpy(w.address, address, 20);
        rc = ledger_worker_reg_get(eng_ledger(e), address, &reg);
    }
    if (rc == ST_NOTFOUND) {
        char text[LEDGER_ADDR_STRLEN];
        ledger_addr_format(text, address);
        rc = rpc_error(ctx, rc, NULL, "no worker %s: it never registered", text);
    } else if (rc == ST_OK) {
        rc = (out = cJSON_CreateObject()) ? worker_json(out, e, &w, in_pool) : ST_NOMEM;
    }
    ledger_worker_clear(&w);
    return node_result(rc, out, result);
}

/* A pool's workers, by address (a pool has at most maxWorkersPerPool of them). */
static int list_workers(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    eng *e = node_engine(ctx);
    ledger *l = eng_ledger(e);
    uint64_t pool;
    bool present;
    unsigned count = 0, n = 0;
    int rc = node_param_u64(ctx, params, "pool", &present, &pool);
    if (rc != ST_OK)
        return rc;
    if (!present)
        return rpc_error(ctx, ST_INVALID, NULL, "params.pool: a pool id is needed");
    if ((rc = ledger_worker_count(l, pool, &count)) != ST_OK)
        return rc;
    ledger_worker *rows = calloc(count ? count : 1, sizeof *rows);
    if (!rows)
        return ST_NOMEM;
    for (unsigned i = 0; i < count; i++)
        ledger_worker_init(&rows[i]);
    cJSON *out = cJSON_CreateObject(), *arr = out ? cJSON_AddArrayToObject(out, "workers") : NULL;
    rc = arr ? ledger_worker_list(l, pool, rows, count, &n) : ST_NOMEM;
    for (unsigned i = 0; i < n && rc == ST_OK; i++) {
        cJSON *o = node_append_object(arr);
        rc = o ? worker_json(o, e, &rows[i], true) : ST_NOMEM;
    }
    for (unsigned i = 0; i < count; i++)
        ledger_worker_clear(&rows[i]);
    free(rows);
    if (rc == ST_OK && !node_add_u64(out, "pool", pool))
        rc = ST_NOMEM;
    return node_result(rc, out, result);
}

/* The challenge of the current slot for a worker, and what the worker needs to know to answer it. */
static int get_challenge(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    eng *e = node_engine(ctx);
    ledger *l = eng_ledger(e);
    uint8_t address[20];
    eng_challenge c;
    ledger_worker w;
    ledger_worker_reg reg;
    int rc = node_param_address(ctx, params, "worker", address);
    if (rc != ST_OK)
        return rc;
    if ((rc = eng_challenge_now(e, address, &c)) != ST_OK)
        return rc;
    ledger_worker_init(&w);
    cJSON *out = cJSON_CreateObject();
    rc = out ? ST_OK : ST_NOMEM;
    int in_pool = rc == ST_OK ? ledger_worker_get(l, address, &w) : rc;
    int registered = in_pool == ST_OK || in_pool == ST_NOTFOUND ? ledger_worker_reg_get(l, address, &reg) : in_pool;
    if (rc == ST_OK && (in_pool != ST_OK && in_pool != ST_NOTFOUND))
        rc = in_pool;
    if (rc == ST_OK && registered != ST_OK && registered != ST_NOTFOUND)
        rc = registered;
    bool answered = false;
    if (rc == ST_OK && in_pool == ST_OK) {
        ledger_heartbeat recent[1];
        unsigned n = 0;
        rc = ledger_heartbeat_recent(l, address, recent, 1, &n);
        answered = n == 1 && recent[0].epoch == c.epoch && recent[0].slot == c.slot;
    }
    if (rc == ST_OK
        && (!node_add_address(out, "worker", address) || !node_add_u64(out, "epoch", c.epoch) || !node_add_u64(out, "slot", c.slot)
            || !node_add_hex(out, "challenge", c.challenge, 32) || !node_add_u64(out, "slotStart", c.slot_start)
            || !node_add_u64(out, "slotEnd", c.slot_end) || !cJSON_AddBoolToObject(out, "registered", registered == ST_OK)
            || !(registered == ST_OK ? node_add_address(out, "operator", reg.operator_) : cJSON_AddNullToObject(out, "operator") != NULL)
            || !(in_pool == ST_OK ? node_add_u64(out, "pool", w.pool) : cJSON_AddNullToObject(out, "pool") != NULL)
            || !node_add_amount(out, "bonded", w.bonded) || !cJSON_AddBoolToObject(out, "answered", answered)))
        rc = ST_NOMEM;
    ledger_worker_clear(&w);
    return node_result(rc, out, result);
}

static const char *const worker_params[] = { "worker", NULL };
static const char *const pool_params[] = { "pool", NULL };
const rpc_method node_m_staking_get_worker = {
    .name = "staking_getWorker", .params = worker_params, .fn = get_worker,
    .summary = "A worker's registration, state, heartbeats and uptime",
    .result = "the worker object",
    .param_docs = NODE_PARAM_DOCS("the worker's address")
};
const rpc_method node_m_staking_list_workers = {
    .name = "staking_listWorkers", .params = pool_params, .fn = list_workers,
    .summary = "Every worker of a pool",
    .result = "{pool, workers: [worker objects]}",
    .param_docs = NODE_PARAM_DOCS("a pool id")
};
const rpc_method node_m_staking_get_challenge = {
    .name = "staking_getChallenge", .params = worker_params, .fn = get_challenge,
    .summary = "The current heartbeat slot and challenge for a worker",
    .result = "{worker, epoch, slot, challenge, slotStart, slotEnd, registered, operator, pool, bonded, answered}",
    .param_docs = NODE_PARAM_DOCS("the worker's address")
};
