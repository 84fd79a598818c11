/* SPDX-License-Identifier: MIT */
/* engine.c: opening the node's state, the submission queue and the block producer with group
 * commit. The items queued when a block opens are applied together and committed as one block with
 * one fsync; their submitters are answered only once that block is durable (with a loop, the fsync
 * runs on durability.c's thread while the next block is built). With a feeder (eng_set_feeder) a
 * block stays open across turns of the loop while transactions are on their way, and those queued
 * meanwhile join it at the producer's next step, so that between steps the loop answers the blocks
 * synced meanwhile and reads new requests.
 * A failing transaction changes nothing: a block of signed transactions is first applied without a
 * savepoint per transaction (which costs a sixth of a transfer's work), and should one of them fail
 * it is rolled back whole and applied again with one savepoint per transaction, as a block holding
 * system transactions always is. Refused items (wrong nonce, a first transaction from an address
 * that holds nothing) never touch the block. */
#include "engine/engine_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "ledger/amount.h"
#include "ledger/hash.h"
#include "ledger/hex.h"
#include "ledger/stakes.h"

#define DEFAULT_MAX_QUEUE 50000
#define DEFAULT_MAX_BLOCK_TXS 10000
#define DEFAULT_LOG_LIMIT 65536 /* frames: 256 MiB of 4 KiB pages */
#define DEFAULT_QUIET_MS 50
#define EVENTS_TEXT_KEPT 65536 /* bytes of a transaction's events' text kept for the next one */
/* After a block was applied again because one of its transactions failed, this many blocks are
 * applied guarded at once, so that a stream of failing transactions costs one attempt in so many
 * blocks, not one in each. */
#define GUARDED_AFTER_REDO 16

static void put_be(uint8_t *p, uint64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

/* A system transaction's id: keccak256(height u64be || index u32be || body), unique by position. */
static void system_hash(uint8_t out[32], uint64_t height, uint32_t index, const char *body)
{
    ledger_keccak k;
    uint8_t pos[12];
    put_be(pos, height, 8);
    put_be(pos + 8, index, 4);
    ledger_keccak_init(&k);
    ledger_keccak_update(&k, pos, sizeof pos);
    ledger_keccak_update(&k, body, strlen(body));
    ledger_keccak_final(&k, out);
}

PRINTF_LIKE(4, 5)
static void refuse(eng_item *it, int status, cJSON *data, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(it->errmsg, sizeof it->errmsg, fmt, ap);
    va_end(ap);
    it->status = status;
    cJSON_Delete(it->errdata);
    it->errdata = data;
}

/* Whether address holds something its first transaction can answer for: a free balance above zero.
 * (A worker key holds nothing: its first transaction is its WorkerRegister, taken without standing
 * because its check has verified the platform's quote for this very key.)
 * Returns: ST_OK with *yes set, or ST_DB. */
static int has_standing(eng *e, const uint8_t address[20], bool *yes)
{
    ledger_account free_account = ledger_user_account(LEDGER_FREE, address);
    mpz_t balance;
    mpz_init(balance);
    int rc = ledger_balance(e->ledger, &free_account, balance);
    *yes = rc == ST_OK && mpz_sgn(balance) > 0;
    mpz_clear(balance);
    return rc == ST_OK ? ST_OK : ST_DB;
}

/* Error data {"expected": expected (when not NULL), "address": address}. NULL on OOM. */
static cJSON *refusal_data(const char *expected, const char *address)
{
    cJSON *data = cJSON_CreateObject();
    if (data && ((expected && !cJSON_AddStringToObject(data, "expected", expected))
                 || !cJSON_AddStringToObject(data, "address", address))) {
        cJSON_Delete(data);
        return NULL;
    }
    return data;
}

/* Admission of a signed item when its block reaches it, on the state the block has made so far:
 * its nonce must be the sender's next, and a sender's first transaction (nonce 0) is taken only
 * from an address with standing (has_standing). A signature of random bytes recovers to a fresh
 * address, so such a transaction is refused here instead of being stored as a failed receipt.
 * A later transaction needs no standing: its sender's nonce shows that one was admitted before.
 * Returns: ST_OK; ST_NONCE or ST_INSUFFICIENT (the item is refused); ST_DB. */
static int admit(eng *e, eng_item *it)
{
    uint64_t want, have;
    bool standing;
    char addr[LEDGER_ADDR_STRLEN], expected[24];
    if (ledger_tx_get_u64(&it->tx, "nonce", &have) != ST_OK)
        return ST_OK; /* types without a nonce never reach a block: eng_submit refuses them */
    if (ledger_nonce_get(e->ledger, it->tx.signer, &want) != ST_OK)
        return ST_DB;
    if (want != have) {
        ledger_addr_format(addr, it->tx.signer);
        snprintf(expected, sizeof expected, "%llu", (unsigned long long)want);
        refuse(it, ST_NONCE, refusal_data(expected, addr), "nonce %llu is not the next nonce of %s: expected %llu",
               (unsigned long long)have, addr, (unsigned long long)want);
        return ST_NONCE;
    }
    if (want > 0 || strcmp(it->tx.type->name, "WorkerRegister") == 0)
        return ST_OK;
    if (has_standing(e, it->tx.signer, &standing) != ST_OK)
        return ST_DB;
    if (standing)
        return ST_OK;
    ledger_addr_format(addr, it->tx.signer);
    refuse(it, ST_INSUFFICIENT, refusal_data(NULL, addr),
           "%s holds nothing in the ledger: an address's first transaction is taken only once it holds a free "
           "balance, unless it is a worker runtime's WorkerRegister", addr);
    return ST_INSUFFICIENT;
}

/* Applies one item inside the open block: guarded, under a savepoint of its own, so that failing it
 * changes nothing; unguarded, with its writes straight in the block, so that a failure cannot be
 * undone alone: then *redo is set and nothing more is done, for the caller to abort the block and
 * apply it again guarded. Returns ST_OK (applied, maybe as failed, or *redo), or ST_DB or
 * ST_NOMEM (the block is lost). */
static int apply_item(eng *e, eng_item *it, uint64_t height, uint32_t index, uint64_t time, bool guarded, bool *redo)
{
    const char *type = it->is_system ? it->sys_type : it->tx.type->name;
    const eng_handler *h = eng_handler_find(type, it->is_system);
    if (!h) {
        refuse(it, ST_DISABLED, NULL, "transaction type %s is not enabled on this node", type);
        return ST_OK;
    }
    if (it->is_system) {
        system_hash(it->hash, height, index, it->sys_body);
    } else {
        memcpy(it->hash, it->tx.hash, 32);
        /* the signer's EIP-55 form, made on the verification thread, saves its events a keccak-256 */
        ledger_addr_remember(it->tx.signer, it->tx.signer_text);
    }
    /* the events' text is written into memory kept from one transaction to the next */
    eng_apply a = { .e = e, .item = it, .height = height, .time = time, .r.events = e->events_text };
    int rc = guarded ? ledger_tx_begin(e->ledger, it->hash) : ledger_tx_begin_unguarded(e->ledger, it->hash);
    if (rc != ST_OK)
        goto out;
    int applied = h->apply(&a);
    if (applied == ST_DB || applied == ST_NOMEM || (applied != ST_OK && it->whole_or_none)) {
        rc = applied; /* the caller aborts the whole block */
        goto out;
    }
    if (applied != ST_OK && !guarded) {
        *redo = true;
        goto out;
    }
    if ((rc = ledger_tx_end(e->ledger, applied == ST_OK)) != ST_OK)
        goto out;
    if (!it->is_system && (rc = ledger_nonce_bump(e->ledger, it->tx.signer)) != ST_OK)
        goto out;
    it->success = applied == ST_OK;
    if (!it->success) {
        it->error = strdup(a.r.err[0] ? a.r.err : st_str(applied));
        ledger_events_truncate(&a.r, 0);
    }
    it->events = ledger_events_take(&a.r);
    char *body = it->is_system ? it->sys_body : it->tx_body;
    bool rendered_here = !body;
    if (rendered_here)
        body = eng_tx_body(&it->tx);
    if (!it->events || !body || (!it->success && !it->error)) {
        rc = ST_NOMEM;
    } else {
        ledger_txrec rec = { .index = index, .has_sender = !it->is_system, .body = body, .success = it->success,
                             .error = it->error, .events = it->events };
        snprintf(rec.type, sizeof rec.type, "%s", type);
        memcpy(rec.hash, it->hash, 32);
        if (!it->is_system)
            memcpy(rec.sender, it->tx.signer, 20);
        /* the nonce it consumed: the sender's next is read from it (admit checked it) */
        if (!it->is_system && ledger_tx_get_u64(&it->tx, "nonce", &rec.nonce) != ST_OK)
            rc = ST_DB;
        /* a signed transaction can be stored once only: its nonce check refuses a second copy */
        else if (ledger_txrec_put(e->ledger, &rec) != ST_OK)
            rc = ST_DB;
    }
    if (rendered_here)
        cJSON_free(body);
    it->height = height;
    it->index = index;
out:
    e->events_text = a.r.events;
    json_text_release(&e->events_text, EVENTS_TEXT_KEPT);
    return rc;
}

const double eng_timing_bounds[ENG_TIMING_BUCKETS] = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                        0.1,    0.25,  0.5,    1,     2.5,  5,    10 };

double eng_seconds_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

void eng_timing_observe(eng_timing *t, double secs)
{
    size_t i = 0;
    while (i < ENG_TIMING_BUCKETS && secs > eng_timing_bounds[i])
        i++;
    t->bucket[i]++;
    t->count++;
    t->sum += secs;
}

/* Forgets what applying it made of an item: it is to be applied again. */
static void reset_outcome(eng_item *it)
{
    it->status = ST_OK;
    it->errmsg[0] = '\0';
    cJSON_Delete(it->errdata);
    it->errdata = NULL;
    it->success = false;
    free(it->error);
    it->error = NULL;
    free(it->events);
    it->events = NULL;
}

/* Opens block b on top of the chain's head, at time (or the head's, if later): its transaction
 * ledger and the workers' seed. Returns: ST_OK, or the failure (nothing is left open). */
static int block_open(eng *e, ledger_block *b, uint64_t time)
{
    ledger_block head;
    *b = (ledger_block){ 0 };
    int rc = ledger_block_head(e->ledger, &head);
    if (rc == ST_OK) {
        b->height = head.height + 1;
        memcpy(b->parent, head.hash, 32);
        b->time = time > head.time ? time : head.time;
    } else if (rc == ST_NOTFOUND) {
        b->time = time;
    } else {
        return rc;
    }
    if ((rc = ledger_block_begin(e->ledger, b->height)) != ST_OK)
        return rc;
    if ((rc = eng_worker_seed_update(e, b->height > 0 ? &head : NULL, b->time)) != ST_OK)
        ledger_block_abort(e->ledger);
    return rc;
}

/* Applies the items from `from` to the end of their list in open block b: each transaction under
 * its savepoint when guarded, else without (see block_guarded); an unguarded transaction that
 * fails stops there and sets *redo (block_undo then rolls the block back). Returns: ST_OK, or a
 * failure that loses the block. */
static int block_apply(eng *e, ledger_block *b, eng_item *from, bool guarded, bool *redo)
{
    for (eng_item *it = from; it; it = it->next) {
        it->status = ST_OK;
        if (!it->is_system) {
            int admitted = admit(e, it);
            if (admitted == ST_NONCE || admitted == ST_INSUFFICIENT)
                continue;
            if (admitted != ST_OK)
                return admitted;
        }
        int rc = apply_item(e, it, b->height, b->tx_count, b->time, guarded, redo);
        if (rc != ST_OK || *redo)
            return rc;
        if (it->status == ST_OK)
            b->tx_count++;
    }
    return ST_OK;
}

/* Rolls the open block back to be applied again: the items' outcomes and the governed parameters
 * in memory go back as they were. */
static int block_undo(eng *e, eng_item *items)
{
    ledger_block_abort(e->ledger);
    for (eng_item *it = items; it; it = it->next)
        reset_outcome(it);
    /* an execution earlier in the block may have set a parameter in memory */
    return eng_gov_reload_params(e);
}

/* Commits open block b holding items, opened at started; one that included nothing is rolled
 * back instead. Returns: ST_OK, or the failure (the block is then lost: block_lost). */
static int block_commit(eng *e, ledger_block *b, eng_item *items, const struct timespec *started)
{
    if (b->tx_count == 0) {
        ledger_block_abort(e->ledger);
        return ST_OK;
    }
    uint8_t *hashes = malloc(32 * (size_t)b->tx_count);
    if (!hashes) {
        ledger_block_abort(e->ledger);
        return ST_NOMEM;
    }
    size_t included = 0;
    for (eng_item *it = items; it; it = it->next)
        if (it->status == ST_OK)
            memcpy(hashes + 32 * included++, it->hash, 32);
    ledger_sha256(b->tx_root, hashes, 32 * (size_t)b->tx_count);
    free(hashes);
    ledger_block_hash(b);
    int rc = ledger_block_put(e->ledger, b);
    if (rc != ST_OK) {
        ledger_block_abort(e->ledger);
        return rc;
    }
    if ((rc = ledger_block_commit(e->ledger)) == ST_OK) {
        eng_timing_observe(&e->stats.block_commit, eng_seconds_since(started));
        e->stats.blocks++;
        e->stats.transactions += b->tx_count;
        for (eng_item *it = items; it; it = it->next)
            if (it->status == ST_OK && !it->success)
                e->stats.failed++;
    }
    return rc;
}

/* A block that could not be written: what it changed in memory goes with it, and its items are
 * refused with rc. */
static void block_lost(eng *e, eng_item *items, int rc)
{
    if (eng_gov_reload_params(e) != ST_OK)
        fprintf(stderr, "conclaved: cannot reload the governed parameters after a lost block\n");
    for (eng_item *it = items; it; it = it->next)
        refuse(it, rc, NULL, "the block could not be written: %s", st_str(rc));
}

/* Whether every item is a signed transaction. */
static bool all_signed(const eng_item *items)
{
    for (const eng_item *it = items; it; it = it->next)
        if (it->is_system)
            return false;
    return true;
}

/* Whether a block of items is applied with a savepoint a transaction, and counts it against the
 * guarded blocks a redo asked for. */
static bool block_guarded(eng *e, const eng_item *items)
{
    /* signed transactions are applied without savepoints of their own unless one failed lately;
     * system ones (the genesis, the Tick, a settlement) always have theirs */
    bool guarded = e->guarded_blocks > 0 || !all_signed(items);
    if (e->guarded_blocks > 0)
        e->guarded_blocks--;
    return guarded;
}

/* A redo: from now on a few blocks are guarded. */
static void note_redo(eng *e)
{
    e->stats.blocks_redone++;
    e->guarded_blocks = GUARDED_AFTER_REDO;
}

/* Applies, in open block b (opened for time) holding items, those from `from` on, each under its
 * savepoint when *guarded. One that fails unguarded rolls the block back, and every item of it is
 * applied again with savepoints (*guarded then stays true). Returns: ST_OK, or the failure that
 * loses the block (which may then be open or not: ledger_block_abort takes either). */
static int block_apply_or_redo(eng *e, ledger_block *b, eng_item *items, eng_item *from, uint64_t time, bool *guarded)
{
    bool redo = false;
    int rc = block_apply(e, b, from, *guarded, &redo);
    if (rc != ST_OK || !redo)
        return rc;
    note_redo(e);
    *guarded = true;
    redo = false;
    if ((rc = block_undo(e, items)) == ST_OK && (rc = block_open(e, b, time)) == ST_OK)
        rc = block_apply(e, b, items, true, &redo);
    return rc;
}

int eng_apply_block(eng *e, eng_item *items, uint64_t time)
{
    bool guarded = block_guarded(e, items);
    eng_tick_forget(e, items);
    ledger_block b;
    struct timespec started;
    clock_gettime(CLOCK_MONOTONIC, &started);
    int rc = block_open(e, &b, time);
    if (rc != ST_OK) {
        block_lost(e, items, rc);
        return rc;
    }
    if ((rc = block_apply_or_redo(e, &b, items, items, time, &guarded)) == ST_OK)
        rc = block_commit(e, &b, items, &started);
    else
        ledger_block_abort(e->ledger);
    if (rc != ST_OK)
        block_lost(e, items, rc);
    return rc;
}

void eng_set_feeder(eng *e, const eng_feeder *feeder)
{
    /* the block left open for the feeder's transactions closes now */
    if (!feeder && e->building.open && eng_flush(e) != ST_OK)
        fprintf(stderr, "conclaved: the open block could not be written\n");
    e->feeder = feeder ? *feeder : (eng_feeder){ 0 };
}

bool eng_block_open(const eng *e)
{
    return e->building.open;
}

void eng_feeder_moved(eng *e)
{
    if (e->building.open && e->produce_ev)
        event_active(e->produce_ev, 0, 0);
}

void eng_close_block_soon(eng *e)
{
    if (!e->building.open || e->building.close_soon)
        return;
    e->building.close_soon = true;
    if (e->produce_ev)
        event_active(e->produce_ev, 0, 0);
}

void eng_set_block_listener(eng *e, eng_block_fn fn, bool (*wanted)(void *ctx), void *ctx)
{
    e->block_fn = fn;
    e->block_wanted = wanted;
    e->block_ctx = ctx;
}

/* Adds one included item to the listener's transaction list. Returns false on OOM. */
static bool add_listened_tx(cJSON *txs, const eng_item *it)
{
    char hex[67];
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddItemToArray(txs, o)) {
        cJSON_Delete(o);
        return false;
    }
    ledger_hex_encode(hex, it->hash, 32);
    if (!cJSON_AddStringToObject(o, "hash", hex) || !cJSON_AddStringToObject(o, "type", it->is_system ? it->sys_type : it->tx.type->name)
        || !cJSON_AddBoolToObject(o, "success", it->success))
        return false;
    cJSON *events = cJSON_Parse(it->events ? it->events : "[]");
    if (!events || !cJSON_AddItemToObject(o, "events", events)) {
        cJSON_Delete(events);
        return false;
    }
    return true;
}

/* Tells the block listener about the block the items just went into (if any did). */
static void tell_listener(eng *e, const eng_item *items)
{
    const eng_item *it = items;
    while (it && it->status != ST_OK)
        it = it->next;
    ledger_block b;
    if (!it || ledger_block_get(e->ledger, it->height, &b) != ST_OK)
        return;
    char hex[67];
    ledger_hex_encode(hex, b.hash, 32);
    cJSON *block = cJSON_CreateObject(), *txs = NULL;
    bool ok = block && cJSON_AddNumberToObject(block, "height", (double)b.height) && cJSON_AddStringToObject(block, "hash", hex)
              && cJSON_AddNumberToObject(block, "time", (double)b.time) && (txs = cJSON_AddArrayToObject(block, "transactions"));
    for (; it && ok; it = it->next)
        if (it->status == ST_OK)
            ok = add_listened_tx(txs, it);
    if (ok)
        e->block_fn(e->block_ctx, block);
    else
        fprintf(stderr, "conclaved: out of memory telling the listener about block %llu\n", (unsigned long long)b.height);
    cJSON_Delete(block);
}

/* Queues an item (system or signed). Returns ST_OK or ST_LIMIT (the queue is full). */
static int eng_enqueue(eng *e, eng_item *it)
{
    if (e->queued >= e->max_queue)
        return ST_LIMIT;
    if (e->queue_tail)
        e->queue_tail->next = it;
    else
        e->queue_head = it;
    e->queue_tail = it;
    e->queued++;
    if (e->produce_ev && !event_pending(e->produce_ev, EV_TIMEOUT, NULL))
        event_active(e->produce_ev, 0, 0);
    return ST_OK;
}

/* Queues the items the enclave supervisor made for the ledger (registering the enclave) where they
 * were made: after what is queued already. One that does not fit is refused. */
static void queue_enclave_items(eng *e)
{
    eng_item *it = eng_enclave_take_items(e);
    while (it) {
        eng_item *next = it->next;
        it->next = NULL;
        if (eng_enqueue(e, it) != ST_OK) {
            it->done(it->cookie, ST_LIMIT, "the node's queue is full", NULL, NULL);
            eng_item_free(it);
        }
        it = next;
    }
}

uint64_t eng_block_time(eng *e)
{
    uint64_t now = eng_clock_now(&e->clock), next;
    if (e->enclave_path && eng_settlement_next(e, &next) == ST_OK && eng_clock_epoch_start(&e->clock, next + 1) <= now
        && eng_enclave_may_settle(e))
        return eng_clock_epoch_start(&e->clock, next + 1);
    return now;
}

/* Takes up to room items off the queue, stopping before a system one when signed_only; *taken
 * says how many. Returns: their list, or NULL. */
static eng_item *take_queued(eng *e, size_t room, bool signed_only, size_t *taken)
{
    eng_item *first = e->queue_head, *last = NULL;
    size_t n = 0;
    for (eng_item *it = first; it && n < room && !(signed_only && it->is_system); it = it->next, n++)
        last = it;
    *taken = n;
    if (!last)
        return NULL;
    e->queue_head = last->next;
    if (!e->queue_head)
        e->queue_tail = NULL;
    last->next = NULL;
    e->queued -= n;
    return first;
}

/* Opens the next block with what is queued, up to max_block_txs items, after what time has made
 * due. Returns: the first item to apply, or NULL when there is nothing to (no block opens). */
static eng_item *building_open(eng *e)
{
    size_t n;
    eng_item *batch = take_queued(e, e->max_block_txs, false, &n);
    uint64_t now = eng_block_time(e);
    /* time-driven work (released stake, epoch close, ...) runs first, as a system transaction */
    eng_item *tick = NULL;
    if (eng_tick_due(e, now) && (tick = eng_system_tick())) {
        tick->next = batch;
        batch = tick;
    }
    /* an epoch's settlement comes first of all, on the state its inputs were read from */
    eng_item *settlement = eng_settlement_take(e, now);
    queue_enclave_items(e);
    if (settlement) {
        settlement->next = batch;
        batch = settlement;
    }
    if (!batch) {
        eng_settlement_poke(e, now);
        queue_enclave_items(e);
        return NULL;
    }
    eng_building *k = &e->building;
    *k = (eng_building){ .open = true, .items = batch, .tick = tick, .settlement = settlement, .now = now };
    clock_gettime(CLOCK_MONOTONIC, &k->started);
    k->guarded = block_guarded(e, batch);
    eng_tick_forget(e, batch);
    for (k->tail = batch, k->n = 1; k->tail->next; k->tail = k->tail->next)
        k->n++;
    if ((k->rc = block_open(e, &k->b, now)) != ST_OK)
        return NULL;
    return batch;
}

/* Moves the signed transactions queued since onto the open block, as far as it has room.
 * Returns: the first of them, or NULL. */
static eng_item *building_join(eng *e)
{
    eng_building *k = &e->building;
    size_t n;
    eng_item *first = take_queued(e, e->max_block_txs - k->n, true, &n);
    if (!first)
        return NULL;
    eng_tick_forget(e, first);
    k->tail->next = first;
    while (k->tail->next)
        k->tail = k->tail->next;
    k->n += n;
    return first;
}

/* Applies the items of the open block from `from` on (block_apply_or_redo). */
static void building_apply(eng *e, eng_item *from)
{
    eng_building *k = &e->building;
    if (k->rc == ST_OK)
        k->rc = block_apply_or_redo(e, &k->b, k->items, from, k->now, &k->guarded);
}

/* Whether the open block closes now. Without a feeder it holds what was queued. With one, it stays
 * open while transactions are still on their way to it, unless it is full, something waits for it
 * (eng_close_block_soon, or an item that cannot join it), or the blocks before it are durable and
 * answered and it holds at least as many as are still on their way: it is then committed and
 * synced while they are applied in the next block, and its clients are answered meanwhile. */
static bool building_done(eng *e)
{
    eng_building *k = &e->building;
    /* what is still queued could not join it: a system transaction, or no room */
    if (k->rc != ST_OK || !e->feeder.pending || k->close_soon || e->queue_head || k->n >= e->max_block_txs)
        return true;
    size_t coming = e->feeder.pending(e->feeder.ctx);
    return coming == 0 || (k->n >= coming && !eng_durability_syncing(e));
}

/* Commits the open block (or rolls it back, when it failed) and answers its items: at once, or
 * once their sync returns. Returns: ST_OK, or the failure that lost the block. */
static int building_close(eng *e)
{
    eng_building *k = &e->building;
    eng_item *batch = k->items, *tick = k->tick, *settlement = k->settlement;
    uint64_t now = k->now;
    int rc = k->rc;
    if (rc == ST_OK)
        rc = block_commit(e, &k->b, batch, &k->started);
    else
        ledger_block_abort(e->ledger);
    if (rc != ST_OK)
        block_lost(e, batch, rc);
    *k = (eng_building){ 0 };
    /* with the sync off the loop, a committed block's receipts wait for it; without, the COMMIT
     * synced (or, out of memory to hold the block, the sync runs here) */
    if (rc == ST_OK && e->durability.on && eng_durability_hold(e, batch, tick, settlement) == ST_OK)
        batch = NULL;
    else if (rc == ST_OK && e->durability.wal_fd >= 0 && ledger_sync_wal(e->durability.wal_fd) != ST_OK) {
        fprintf(stderr, "conclaved: the ledger could not be made durable (fdatasync: %s); stopping\n", strerror(errno));
        abort();
    }
    if (batch)
        eng_deliver_block(e, batch, tick, settlement, rc == ST_OK);
    /* a settlement moves the block time on: what is due at the new time (the next epoch's close,
     * and so its settlement) follows at once, not at the next idle second, so a catch-up goes at
     * the enclave's speed. With no Tick due there (the epochs were closed while no enclave ran),
     * the state at the new time is this block's: the next epoch is asked of the enclave at once. */
    uint64_t after = eng_block_time(e);
    bool tick_next = rc == ST_OK && eng_tick_due(e, after);
    eng_settlement_poke(e, rc == ST_OK && !tick_next && after > now ? after : now);
    queue_enclave_items(e);
    if (tick_next && e->produce_ev)
        event_active(e->produce_ev, 0, 0);
    if (e->feeder.closed)
        e->feeder.closed(e->feeder.ctx);
    return rc;
}

/* One step of the block producer: opens a block with what is queued (or time has made due), or
 * adds what was queued since to the one left open; applies it; closes it when building_done says
 * so, or always when closing. With an empty queue and nothing due, no block is made. Returns:
 * ST_OK, or the failure that lost a block. */
static int produce_step(eng *e, bool closing)
{
    eng_item *from = e->building.open ? building_join(e) : building_open(e);
    if (!e->building.open)
        return ST_OK;
    building_apply(e, from);
    return closing || building_done(e) ? building_close(e) : ST_OK;
}

void eng_deliver_block(eng *e, eng_item *items, eng_item *tick, eng_item *settlement, bool committed)
{
    if (committed && e->block_fn && e->block_wanted(e->block_ctx))
        tell_listener(e, items);
    while (items) {
        eng_item *it = items;
        items = it->next;
        if (it == tick || it == settlement) {
            if (it->status != ST_OK || !it->success)
                fprintf(stderr, "conclaved: %s failed: %s\n", it->sys_type, it->status != ST_OK ? it->errmsg : it->error);
            eng_item_free(it);
            continue;
        }
        if (it->status == ST_OK) {
            eng_receipt r = { .hash = it->hash, .height = it->height, .index = it->index, .success = it->success,
                              .error = it->error, .events = it->events };
            it->done(it->cookie, ST_OK, NULL, NULL, &r);
        } else {
            cJSON *data = it->errdata;
            it->errdata = NULL;
            e->stats.refused++;
            it->done(it->cookie, it->status, it->errmsg, data, NULL);
        }
        eng_item_free(it);
    }
}

int eng_flush(eng *e)
{
    int rc = ST_OK;
    do
        if (produce_step(e, true) != ST_OK)
            rc = ST_DB;
    while (e->queue_head);
    return rc;
}

static void produce_cb(evutil_socket_t fd, short what, void *arg)
{
    eng *e = arg;
    if (!e->building.open && eng_durability_paused(e))
        return; /* the producer runs again once the log's checkpoint is done */
    if (produce_step(e, false) != ST_OK)
        fprintf(stderr, "conclaved: a block could not be written; its transactions were refused\n");
    if (e->queue_head)
        event_active(e->produce_ev, 0, 0);
}

/* Whether time-driven work is due: the Tick's at the next block's time (stake to release, an epoch
 * to close, a channel deposit to return, a proposal to move on), an epoch to settle, or a secret
 * poll to count. */
static bool time_work_due(eng *e)
{
    uint64_t now = eng_clock_now(&e->clock);
    return eng_tick_due(e, eng_block_time(e)) || (e->enclave_path && eng_settlement_due(e, now)) || eng_count_wanted(e);
}

/* Once a second: time-driven work (stake to release, an epoch to close) makes a block on an idle
 * node too. */
static void idle_cb(evutil_socket_t fd, short what, void *arg)
{
    eng *e = arg;
    if (!e->queue_head && time_work_due(e))
        event_active(e->produce_ev, 0, 0);
}

char *eng_tx_body(const ledger_tx *tx)
{
    return ledger_tx_serialize(tx);
}

int eng_submit(eng *e, char *err, size_t errlen, ledger_tx *tx, eng_done_fn done, void *cookie)
{
    char *body = NULL;
    return eng_submit_body(e, err, errlen, tx, &body, done, cookie);
}

int eng_submit_body(eng *e, char *err, size_t errlen, ledger_tx *tx, char **body, eng_done_fn done, void *cookie)
{
    uint64_t nonce;
    const eng_handler *h = eng_handler_find(tx->type->name, false);
    if (!h || ledger_tx_get_u64(tx, "nonce", &nonce) != ST_OK) {
        snprintf(err, errlen, "transaction type %s is not enabled on this node%s", tx->type->name,
                 h ? "" : (strcmp(tx->type->name, "Voucher") == 0 ? " (a Voucher is signed off-ledger)" : ""));
        return ST_DISABLED;
    }
    if (h->check) {
        int rc = h->check(e, tx, err, errlen);
        if (rc != ST_OK)
            return rc;
    }
    if (e->queued >= e->max_queue) {
        snprintf(err, errlen, "the node has %zu transactions waiting; try again shortly", e->queued);
        return ST_LIMIT;
    }
    eng_item *it = calloc(1, sizeof *it);
    if (!it)
        return ST_NOMEM;
    it->tx = *tx;
    memset(tx, 0, sizeof *tx);
    it->tx_body = *body;
    *body = NULL;
    it->done = done;
    it->cookie = cookie;
    return eng_enqueue(e, it);
}

int eng_submit_system(eng *e, const char *type, const cJSON *message, eng_done_fn done, void *cookie)
{
    if (!e->dev)
        return ST_DISABLED;
    const eng_handler *h = eng_handler_find(type, true);
    if (!h || !h->dev)
        return ST_INVALID;
    eng_item *it = eng_item_system(type, message);
    if (!it)
        return ST_NOMEM;
    it->done = done;
    it->cookie = cookie;
    int rc = eng_enqueue(e, it);
    if (rc != ST_OK)
        eng_item_free(it);
    return rc;
}

int eng_enclave_configure(eng *e, const char *enclave_path, const char *platform_secret_path, const char *sealed_dir)
{
    int rc = eng_enclave_start(e, enclave_path, platform_secret_path, sealed_dir);
    queue_enclave_items(e);
    return rc;
}

int eng_advance_time(eng *e, uint64_t secs, uint64_t *now)
{
    if (!e->dev)
        return ST_DISABLED;
    if (e->building.open && eng_flush(e) != ST_OK) /* the clock moves between blocks */
        return ST_DB;
    int rc = eng_clock_advance(&e->clock, secs);
    if (rc != ST_OK)
        return rc;
    *now = eng_clock_now(&e->clock);
    char text[24];
    snprintf(text, sizeof text, "%llu", (unsigned long long)*now);
    rc = ledger_meta_set(e->ledger, "clock.manual", text);
    /* what the new time makes due (releases, epoch closes and settlements, refunds) is done before
     * the answer, so a test sees it at once: one block after another while there is progress */
    for (unsigned i = 0; rc == ST_OK && i < 100000 && time_work_due(e); i++) {
        ledger_block before, after;
        if (ledger_block_head(e->ledger, &before) != ST_OK || produce_step(e, true) != ST_OK
            || ledger_block_head(e->ledger, &after) != ST_OK)
            rc = ST_DB;
        else if (after.height == before.height)
            break;
    }
    return rc;
}

void eng_stats_get(eng *e, eng_stats *out)
{
    *out = e->stats;
    out->queued = e->queued;
    out->enclave_running = e->enclave != NULL;
    if (eng_settlement_next(e, &out->next_epoch) != ST_OK)
        out->next_epoch = 0;
}

/* The genesis block: one system transaction minting the genesis balances and storing the genesis.
 * Its body is {"type":"Genesis","message":{"hash","params"}}: the keccak-256 of the canonical text
 * (which block 0 thus commits to) and the parameters, a few KB; the accounts are the document's,
 * stored beside it in chunks. A chain made before (cfg genesis_whole_body, for replay) carried the
 * whole canonical text as the message: that body is the genesis's own text, borrowed. */
static int apply_genesis(eng *e)
{
    eng_item *it = NULL;
    if (e->genesis_whole_body) {
        if (!(it = calloc(1, sizeof *it)))
            return ST_NOMEM;
        it->is_system = true;
        it->sys_body = e->genesis.body;
        if (!(it->sys_type = strdup("Genesis"))) {
            it->sys_body = NULL;
            eng_item_free(it);
            return ST_NOMEM;
        }
    } else {
        char hex[67];
        ledger_hex_encode(hex, e->genesis.hash, 32);
        cJSON *message = cJSON_CreateObject(), *params = cJSON_Parse(e->genesis.params);
        if (message && params && cJSON_AddStringToObject(message, "hash", hex)
            && cJSON_AddItemToObject(message, "params", params)) {
            params = NULL;
            it = eng_item_system("Genesis", message);
        }
        cJSON_Delete(params);
        cJSON_Delete(message);
        if (!it)
            return ST_NOMEM;
    }
    /* a Genesis that fails (its accounts no longer write the checked hash: a file changed while the
     * node read it) writes no block */
    it->whole_or_none = true;
    int rc = eng_apply_block(e, it, e->genesis.time);
    if (rc == ST_OK && (it->status != ST_OK || !it->success))
        rc = ST_INVALID;
    if (e->genesis_whole_body)
        it->sys_body = NULL; /* the genesis's, freed with it */
    eng_item_free(it);
    return rc;
}

/* The caller's genesis text, as the engine reads it (eng_config.genesis_release). */
struct genesis_text {
    const char *text;
    void (*release)(void *arg, size_t offset);  /* NULL: the caller takes no release */
    void *arg;
};

/* eng_genesis_release_fn of the caller's genesis text: hands the offset on to the caller. */
static void release_genesis_text(void *arg, const char *upto)
{
    const struct genesis_text *t = arg;
    t->release(t->arg, (size_t)(upto - t->text));
}

/* The eng_genesis_release_fn to give the genesis module with t: NULL when the caller takes none. */
static eng_genesis_release_fn genesis_text_release(const struct genesis_text *t)
{
    return t->release ? release_genesis_text : NULL;
}

/* Whether the caller's genesis document text is the chain's genesis g: the very bytes of its first
 * start (the stored SHA-256), else a document of the same canonical hash. The text is read a MiB at
 * a time, each MiB handed back to the caller behind each pass (eng_config.genesis_release).
 * Out: *same. Returns: ST_OK; ST_INVALID with err when text is not a genesis; ST_NOMEM; ST_DB. */
static int same_genesis(bool *same, char *err, size_t errlen, eng *e, struct genesis_text *given)
{
    char *source = NULL;
    uint8_t stored[32], given_bytes[32];
    size_t len;
    *same = false;
    int rc = ledger_meta_get(e->ledger, "genesis.source", &source);
    if (rc != ST_OK && rc != ST_NOTFOUND) {
        snprintf(err, errlen, "cannot read the stored genesis");
        return rc;
    }
    bool has_source = rc == ST_OK && ledger_hex_decode_exact(stored, 32, source) == ST_OK;
    free(source);
    eng_genesis_read_text(&len, has_source ? given_bytes : NULL, given->text, genesis_text_release(given), given);
    if (has_source && memcmp(stored, given_bytes, 32) == 0) {
        *same = true;
        return ST_OK;
    }
    eng_genesis parsed;
    rc = eng_genesis_parse_lean(&parsed, err, errlen, given->text, len, genesis_text_release(given), given);
    *same = rc == ST_OK && memcmp(parsed.hash, e->genesis.hash, 32) == 0;
    eng_genesis_clear(&parsed);
    return rc;
}

/* Reads the stored genesis into e->genesis: the parameters and hash, or, in a data directory of an
 * older conclaved that stored only the whole document, that document.
 * Returns: ST_OK; ST_NOTFOUND when no genesis is stored; ST_INVALID, ST_DB or ST_NOMEM with err.
 * Out: *whole_only, whether it was the whole document (whose parameters and hash are to be stored). */
static int read_stored_genesis(eng *e, char *err, size_t errlen, bool *whole_only)
{
    char *params = NULL, *hash_hex = NULL, *whole = NULL;
    uint8_t hash[32];
    int rc = ledger_meta_get(e->ledger, "genesis.hash", &hash_hex);
    if (rc == ST_OK && (rc = ledger_meta_get(e->ledger, "genesis.params", &params)) == ST_OK) {
        if (ledger_hex_decode_exact(hash, 32, hash_hex) != ST_OK) {
            snprintf(err, errlen, "the stored genesis hash is not 32 bytes of hex");
            rc = ST_INVALID;
        } else {
            rc = eng_genesis_restore(&e->genesis, err, errlen, params, hash);
            e->genesis_parsed = true;
        }
    } else if (rc == ST_NOTFOUND && (rc = ledger_meta_get(e->ledger, "genesis", &whole)) == ST_OK) {
        rc = eng_genesis_parse(&e->genesis, err, errlen, whole, strlen(whole));
        e->genesis_parsed = true;
        *whole_only = true;
    } else if (rc != ST_NOTFOUND) {
        snprintf(err, errlen, "cannot read the stored genesis");
    }
    free(params);
    free(hash_hex);
    free(whole);
    return rc;
}

/* Tells the caller that the engine reads cfg->genesis_json no more. */
static void genesis_read(const eng_config *cfg)
{
    if (cfg->genesis_read)
        cfg->genesis_read(cfg->genesis_read_arg);
}

/* Picks the genesis. A ledger without a stored genesis is new, even with a schema already made (a
 * start killed before its genesis block): it takes the given genesis, else the default one. A
 * ledger with one keeps it, and a given genesis must be the same (the same canonical hash). Nothing
 * is written before that check passes; the genesis block and the stored genesis are one SQLite
 * transaction. Only the parameters stay in memory: the given text is handed back once block 0 holds
 * its accounts. */
static int load_genesis(eng *e, char *err, size_t errlen, const eng_config *cfg)
{
    bool whole_only = false;
    struct genesis_text given = { cfg->genesis_json, cfg->genesis_release, cfg->genesis_read_arg };
    int rc = read_stored_genesis(e, err, errlen, &whole_only);
    if (rc == ST_OK && cfg->genesis_json) {
        bool same;
        if ((rc = same_genesis(&same, err, errlen, e, &given)) == ST_OK && !same) {
            snprintf(err, errlen, "the data directory holds a chain with a different genesis");
            rc = ST_INVALID;
        }
    }
    /* an older data directory, accepted: the next start reads only the parameters and hash */
    char hex[67];
    ledger_hex_encode(hex, e->genesis.hash, 32);
    if (rc == ST_OK && whole_only
        && ((rc = ledger_meta_set(e->ledger, "genesis.params", e->genesis.params)) != ST_OK
            || (rc = ledger_meta_set(e->ledger, "genesis.hash", hex)) != ST_OK))
        snprintf(err, errlen, "cannot store the genesis parameters: %s", st_str(rc));
    if (rc != ST_NOTFOUND) {
        genesis_read(cfg);
        if (e->genesis_parsed)
            eng_genesis_drop_accounts(&e->genesis);
        return rc;
    }
    ledger_block head;
    if ((rc = ledger_block_head(e->ledger, &head)) != ST_NOTFOUND) {
        /* only an older conclaved, killed between its genesis block and storing the genesis, left this */
        snprintf(err, errlen, rc == ST_OK ? "the data directory holds blocks but no stored genesis (a first start "
                                            "of an older conclaved was interrupted): move it away and start anew"
                                          : "cannot read the newest block");
        return rc == ST_OK ? ST_INVALID : rc;
    }
    const char *text = cfg->genesis_json ? cfg->genesis_json : cfg->default_genesis_json;
    if (!text) {
        snprintf(err, errlen, "a new data directory needs a genesis (--genesis FILE or --dev)");
        return ST_INVALID;
    }
    /* no canonical copy of the accounts: block 0 mints them from the given text and writes the
     * canonical text again as it stores it (a chain replayed with the whole document in block 0's
     * body keeps that body). The caller may release each MiB of its text behind each pass (its
     * length, the check, its SHA-256, block 0's walk), and the whole text once parsed. */
    eng_genesis_release_fn release = text == cfg->genesis_json && !e->genesis_whole_body ? genesis_text_release(&given)
                                                                                         : NULL;
    size_t len;
    eng_genesis_read_text(&len, NULL, text, release, &given);
    rc = e->genesis_whole_body ? eng_genesis_parse(&e->genesis, err, errlen, text, len)
                               : eng_genesis_parse_lean(&e->genesis, err, errlen, text, len, release, &given);
    e->genesis_parsed = true;
    if (rc == ST_OK && release)
        cfg->genesis_release(cfg->genesis_read_arg, len);
    if (rc == ST_OK && (rc = apply_genesis(e)) != ST_OK) {
        if (rc == ST_INVALID)
            snprintf(err, errlen, "cannot apply the genesis: its accounts no longer read as they did when they "
                                  "were checked (the file changed while the node read it?)");
        else
            snprintf(err, errlen, "cannot apply the genesis: %s", st_str(rc));
    }
    eng_genesis_drop_accounts(&e->genesis);
    genesis_read(cfg);
    return rc;
}

/* Releases what eng_open acquired, writing nothing: also the end of an open that failed. */
static void release(eng *e)
{
    eng_durability_stop(e);
    eng_enclave_shutdown(e);
    if (e->produce_ev)
        event_free(e->produce_ev);
    if (e->idle_ev)
        event_free(e->idle_ev);
    if (e->read_end_ev)
        event_free(e->read_end_ev);
    gov_store_free(e->gov);
    ledger_close(e->ledger);
    if (e->genesis_parsed)
        eng_genesis_clear(&e->genesis);
    enc_econ_params_clear(&e->econ);
    json_text_clear(&e->events_text);
    free(e);
}

int eng_open(eng **out, char *err, size_t errlen, const eng_config *cfg)
{
    *out = NULL;
    /* a new database is created only when there is a genesis to put in it */
    if (!cfg->genesis_json && !cfg->default_genesis_json && strcmp(cfg->db_path, ":memory:") != 0
        && access(cfg->db_path, F_OK) != 0) {
        snprintf(err, errlen, "a new data directory needs a genesis (--genesis FILE or --dev)");
        return ST_INVALID;
    }
    eng *e = calloc(1, sizeof *e);
    if (!e) {
        snprintf(err, errlen, "out of memory");
        return ST_NOMEM;
    }
    enc_econ_params_init(&e->econ);
    e->durability.wal_fd = -1;
    e->dev = cfg->dev;
    e->genesis_whole_body = cfg->genesis_whole_body;
    e->max_queue = cfg->max_queue ? cfg->max_queue : DEFAULT_MAX_QUEUE;
    e->max_block_txs = cfg->max_block_txs ? cfg->max_block_txs : DEFAULT_MAX_BLOCK_TXS;
    e->log_limit = cfg->log_limit ? cfg->log_limit : DEFAULT_LOG_LIMIT;
    e->quiet_ms = cfg->quiet_ms ? cfg->quiet_ms : DEFAULT_QUIET_MS;
    int rc = ledger_open(&e->ledger, err, errlen, cfg->db_path);
    if (rc == ST_OK && (rc = gov_store_new(&e->gov, e->ledger)) != ST_OK)
        snprintf(err, errlen, "out of memory");
    if (rc == ST_OK)
        rc = load_genesis(e, err, errlen, cfg);
    if (rc == ST_OK) {
        /* the economics the bond checks use are the genesis rewards' */
        enc_econ_params_clear(&e->econ);
        enc_settle_econ_params(&e->econ, &e->genesis.rewards);
    }
    /* parameters changed by executed proposals apply over the genesis */
    if (rc == ST_OK && (rc = eng_gov_load_params(e)) != ST_OK)
        snprintf(err, errlen, "cannot read the governed parameters: %s", st_str(rc));
    if (rc != ST_OK) {
        release(e);
        return rc;
    }
    /* the manual clock resumes where it stopped: never before the newest block */
    uint64_t start = e->genesis.time;
    ledger_block head;
    char *saved = NULL;
    if (ledger_block_head(e->ledger, &head) == ST_OK && head.time > start)
        start = head.time;
    if (ledger_meta_get(e->ledger, "clock.manual", &saved) == ST_OK) {
        uint64_t t = strtoull(saved, NULL, 10);
        if (t > start)
            start = t;
        free(saved);
    }
    eng_clock_init(&e->clock, cfg->clock_mode, start);
    eng_clock_set_epochs(&e->clock, e->genesis.time, e->genesis.epoch_length);
    *out = e;
    return ST_OK;
}

/* The end of the turn in which reads shared a read transaction: it closes. */
static void read_end_cb(evutil_socket_t fd, short what, void *arg)
{
    eng *e = arg;
    (void)fd;
    (void)what;
    e->read_end_due = false;
    ledger_read_release(e->ledger);
}

int eng_read_begin(eng *e)
{
    int rc = ledger_read_begin(e->ledger);
    if (rc != ST_OK || !e->read_end_ev)
        return rc;
    /* again after a block closed it within the turn */
    ledger_read_keep(e->ledger);
    if (!e->read_end_due) {
        e->read_end_due = true;
        event_active(e->read_end_ev, 0, 0);
    }
    return ST_OK;
}

void eng_read_end(eng *e)
{
    ledger_read_end(e->ledger);
}

int eng_attach(eng *e, struct event_base *base)
{
    static const struct timeval second = { 1, 0 };
    e->base = base;
    e->produce_ev = event_new(base, -1, 0, produce_cb, e);
    e->idle_ev = event_new(base, -1, EV_PERSIST, idle_cb, e);
    e->read_end_ev = event_new(base, -1, 0, read_end_cb, e);
    if (!e->produce_ev || !e->idle_ev || !e->read_end_ev || event_add(e->idle_ev, &second) != 0)
        return ST_NOMEM;
    return eng_durability_start(e);
}

void eng_close(eng *e)
{
    if (!e)
        return;
    /* only what was submitted is answered: with nothing queued, closing writes nothing */
    if ((e->queue_head || e->building.open) && eng_flush(e) != ST_OK)
        fprintf(stderr, "conclaved: the last block could not be written\n");
    release(e);
}
