/* SPDX-License-Identifier: MIT */
/* settlement.c: epochs settled by the enclave. The engine runs a conclave-enclave (starting it
 * again after a crash), registers it in the ledger from a quote that verifies against the
 * platform's attestation address and whose measurement is allowlisted, and once an epoch has ended
 * sends it the epoch's inputs as the ledger says them after a block. The loop keeps serving while
 * the enclave computes (60 s at most, then it is killed); the signed report goes first in the next
 * block as a "Settlement" system transaction if the ledger still gives the same inputs, and is
 * asked again otherwise. Applying it checks everything before it moves a base unit: the inputs are
 * recomputed from the ledger and must be the same bytes, the report must be signed by a registered
 * enclave, be for these inputs, and conserve every total (enc_settle_report_check); then its
 * operations run, and the settlements table's primary key makes the epoch settled exactly once.
 * Epochs are settled in order; without a working enclave they wait. Replay re-applies the stored
 * report the same way, with no enclave. */
#include "engine/engine_int.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "enclave/enclave.h"
#include "enclave/settle.h"
#include "ledger/amount.h"
#include "ledger/compute.h"
#include "ledger/hex.h"
#include "ledger/sig.h"
#include "ledger/stakes.h"

#define SETTLE_TIMEOUT_SECS 60
#define RESTART_BACKOFF_SECS 5
#define PAGE 256

int eng_settlement_next(eng *e, uint64_t *epoch)
{
    char *text = NULL;
    int rc = ledger_meta_get(e->ledger, "settlement.next", &text);
    *epoch = rc == ST_OK ? strtoull(text, NULL, 10) : 0;
    free(text);
    return rc == ST_NOTFOUND ? ST_OK : rc;
}

bool eng_settlement_due(eng *e, uint64_t now)
{
    uint64_t next;
    return eng_settlement_next(e, &next) == ST_OK && eng_clock_epoch_start(&e->clock, next + 1) <= now;
}

static int add_workers(eng *e, enc_settle_input *in)
{
    ledger_worker *page = calloc(PAGE, sizeof *page);
    if (!page)
        return ST_NOMEM;
    for (unsigned i = 0; i < PAGE; i++)
        ledger_worker_init(&page[i]);
    /* the last slot may be shorter than the others: it counts all the same */
    uint64_t hb = e->genesis.compute.heartbeat_secs, slots_per_epoch = (e->genesis.epoch_length + hb - 1) / hb;
    uint8_t after[20];
    bool first = true;
    unsigned n = 0;
    int rc;
    do {
        rc = ledger_worker_all(e->ledger, first ? NULL : after, page, PAGE, &n);
        for (unsigned i = 0; i < n && rc == ST_OK; i++) {
            uint64_t slots, sum;
            if ((rc = ledger_heartbeat_summary(e->ledger, page[i].address, in->epoch, &slots, &sum)) != ST_OK)
                break;
            if (slots == 0 && mpz_sgn(page[i].bonded) == 0)
                continue;
            enc_worker_in *w = enc_settle_input_add_worker(in);
            if (!w) {
                rc = ST_NOMEM;
                break;
            }
            memcpy(w->address, page[i].address, 20);
            w->pool = page[i].pool;
            mpz_set(w->stake, page[i].bonded);
            w->score = slots ? (uint32_t)(sum / slots) : 0;
            w->conf_level = page[i].conf_level ? page[i].conf_level : 1;
            w->uptime_ppm = slots >= slots_per_epoch ? 1000000u : (uint32_t)(slots * 1000000u / slots_per_epoch);
        }
        if (n)
            memcpy(after, page[n - 1].address, 20);
        first = false;
    } while (rc == ST_OK && n == PAGE);
    for (unsigned i = 0; i < PAGE; i++)
        ledger_worker_clear(&page[i]);
    free(page);
    return rc;
}

static int add_channels(eng *e, enc_settle_input *in)
{
    uint64_t ids[PAGE], after = 0;
    unsigned n = 0;
    ledger_channel c;
    ledger_worker w;
    ledger_channel_init(&c);
    ledger_worker_init(&w);
    int rc;
    do {
        rc = ledger_channel_owing(e->ledger, after, ids, PAGE, &n);
        for (unsigned i = 0; i < n && rc == ST_OK; i++) {
            if ((rc = ledger_channel_get(e->ledger, ids[i], &c)) != ST_OK
                || (rc = ledger_worker_get(e->ledger, c.worker, &w)) != ST_OK)
                break;
            enc_channel_in *ch = enc_settle_input_add_channel(in);
            if (!ch) {
                rc = ST_NOMEM;
                break;
            }
            ch->channel = c.id;
            memcpy(ch->client, c.client, 20);
            ch->pool = w.pool;
            mpz_sub(ch->owed, c.redeemed, c.paid);
            mpz_set(ch->escrow, c.deposit);
        }
        if (n)
            after = ids[n - 1];
    } while (rc == ST_OK && n == PAGE);
    ledger_worker_clear(&w);
    ledger_channel_clear(&c);
    return rc;
}

int eng_settlement_inputs(eng *e, uint64_t epoch, enc_settle_input *in)
{
    const enc_reward_params *rp = &e->genesis.rewards;
    in->chain_id = e->genesis.chain_id;
    in->epoch = epoch;
    in->epoch_start = eng_clock_epoch_start(&e->clock, epoch);
    in->epoch_end = eng_clock_epoch_start(&e->clock, epoch + 1);
    in->genesis_time = e->genesis.time;
    mpz_set(in->params.budget_per_epoch, rp->budget_per_epoch);
    in->params.decay_period = rp->decay_period;
    in->params.decay_ppm = rp->decay_ppm;
    in->params.treasury_ppm = rp->treasury_ppm;
    in->params.re_ppm = rp->re_ppm;
    in->params.rig_k_ppm = rp->rig_k_ppm;
    memcpy(in->params.conf_ppm, rp->conf_ppm, sizeof rp->conf_ppm);
    in->params.uptime_threshold_ppm = rp->uptime_threshold_ppm;
    in->params.slash_ppm = rp->slash_ppm;
    in->params.fee_ppm = rp->fee_ppm;
    int rc = add_workers(e, in);
    return rc == ST_OK ? add_channels(e, in) : rc;
}

/* ---- the enclave process ---- */

static uint64_t monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t monotonic_secs(void)
{
    return monotonic_ms() / 1000;
}

/* Stops the enclave: at once when it failed (why says how), with enc_host_stop's grace at shutdown
 * (why NULL). */
static void stop_enclave(eng *e, const char *why)
{
    if (why) {
        fprintf(stderr, "conclaved: the enclave stopped (%s); epochs wait until it is back\n", why);
        enc_host_kill(e->enclave, NULL);
    } else {
        enc_host_stop(e->enclave, NULL);
    }
    e->enclave = NULL;
    e->enclave_retry_at = monotonic_secs() + RESTART_BACKOFF_SECS;
}

/* Queues a dev or registration system transaction; its answer is only logged. */
static void log_done(void *cookie, int status, const char *errmsg, cJSON *errdata, const eng_receipt *r)
{
    const char *what = cookie;
    if (status != ST_OK || !r->success)
        fprintf(stderr, "conclaved: %s failed: %s\n", what, status != ST_OK ? errmsg : r->error);
    cJSON_Delete(errdata);
}

static char allowlisting[] = "allowlisting the enclave", registering[] = "registering the enclave";

static int queue_system(eng *e, const char *type, const char *key, const char *value, char *what)
{
    cJSON *msg = cJSON_CreateObject();
    if (!msg || !cJSON_AddStringToObject(msg, key, value)) {
        cJSON_Delete(msg);
        return ST_NOMEM;
    }
    eng_item *it = eng_item_system(type, msg);
    cJSON_Delete(msg);
    if (!it)
        return ST_NOMEM;
    it->done = log_done;
    it->cookie = what;
    int rc = eng_enqueue(e, it);
    if (rc != ST_OK)
        eng_item_free(it);
    return rc;
}

/* Starts the enclave, checks its quote and queues what the ledger needs to trust it. */
static int start_enclave(eng *e)
{
    int rc = enc_host_start(&e->enclave, e->enclave_path, e->platform_secret_path, e->sealed_dir);
    if (rc != ST_OK) {
        fprintf(stderr, "conclaved: cannot start the enclave %s: %s\n", e->enclave_path, st_str(rc));
        e->enclave_retry_at = monotonic_secs() + RESTART_BACKOFF_SECS;
        return rc;
    }
    uint8_t quote[ENC_QUOTE_LEN];
    size_t len = 0;
    enc_quote q;
    if ((rc = enc_host_attest(e->enclave, e->genesis.chain_id, quote, &len)) != ST_OK) {
        stop_enclave(e, "it gave no quote");
        return rc;
    }
    if (!e->genesis.enclave.has_platform || enc_quote_verify(&q, quote, len, e->genesis.enclave.platform) != ST_OK) {
        stop_enclave(e, "its quote does not verify against the genesis platform");
        return ST_CRYPTO;
    }
    ledger_sig_pubkey_address(e->enclave_address, q.enclave_pub);
    char hex[2 * ENC_QUOTE_LEN + 3], addr[LEDGER_ADDR_STRLEN];
    ledger_addr_format(addr, e->enclave_address);
    bool allowed = false;
    if ((rc = ledger_allowlist_has(e->ledger, q.measurement, &allowed)) != ST_OK) {
        stop_enclave(e, "the allowlist cannot be read");
        return rc;
    }
    if (!allowed && e->trust_own_enclave) {
        ledger_hex_encode(hex, q.measurement, 32);
        fprintf(stderr, "conclaved: dev chain: allowlisting this enclave build's measurement %s\n", hex);
        if ((rc = queue_system(e, "EnclaveAllow", "measurement", hex, allowlisting)) != ST_OK)
            return rc;
        allowed = true;
    }
    if (!allowed)
        fprintf(stderr, "conclaved: the enclave %s is not on the allowlist; it settles nothing until governance "
                        "adds its measurement\n", addr);
    rc = ledger_enclave_get(e->ledger, e->enclave_address, NULL, NULL, NULL, NULL);
    if (rc == ST_NOTFOUND && allowed) {
        ledger_hex_encode(hex, quote, len);
        rc = queue_system(e, "EnclaveRegister", "quote", hex, registering);
    }
    if (rc == ST_OK || rc == ST_NOTFOUND)
        fprintf(stderr, "conclaved: enclave %s running (pid %d)\n", addr, (int)enc_host_pid(e->enclave));
    return rc == ST_NOTFOUND ? ST_OK : rc;
}

int eng_enclave_configure(eng *e, const char *enclave_path, const char *platform_secret_path, const char *sealed_dir)
{
    free(e->enclave_path);
    free(e->platform_secret_path);
    free(e->sealed_dir);
    e->enclave_path = strdup(enclave_path);
    e->platform_secret_path = strdup(platform_secret_path);
    e->sealed_dir = strdup(sealed_dir);
    if (!e->enclave_path || !e->platform_secret_path || !e->sealed_dir)
        return ST_NOMEM;
    return start_enclave(e);
}

void eng_enclave_shutdown(eng *e)
{
    eng_settle_request *q = &e->settle;
    if (q->ev)
        event_free(q->ev);
    free(q->inputs);
    eng_item_free(q->ready);
    /* their calls are dropped with the server that made them */
    while (q->waiters) {
        eng_settle_waiter *next = q->waiters->next;
        free(q->waiters);
        q->waiters = next;
    }
    memset(q, 0, sizeof *q);
    if (e->enclave)
        stop_enclave(e, NULL);
    free(e->enclave_path);
    free(e->platform_secret_path);
    free(e->sealed_dir);
    e->enclave_path = e->platform_secret_path = e->sealed_dir = NULL;
}

int eng_tamper_next_report(eng *e)
{
    if (!e->dev)
        return ST_DISABLED;
    e->tamper_next_report = true;
    return ST_OK;
}

/* ---- asking the enclave, without stopping the node ---- */

/* Reads the next epoch's inputs in one read transaction (one consistent state, no lock taken per
 * query) and serializes them. Returns: ST_OK, ST_NOMEM or ST_DB. Out: *epoch, *inputs (caller
 * frees), *len. */
static int read_inputs(eng *e, uint64_t *epoch, uint8_t **inputs, size_t *len)
{
    enc_settle_input in;
    enc_settle_input_init(&in);
    int rc = ledger_read_begin(e->ledger);
    if (rc != ST_OK)
        goto out;
    if ((rc = eng_settlement_next(e, epoch)) == ST_OK)
        rc = eng_settlement_inputs(e, *epoch, &in);
    ledger_read_end(e->ledger);
    if (rc == ST_OK)
        rc = enc_settle_input_serialize(inputs, len, &in);
out:
    enc_settle_input_clear(&in);
    return rc;
}

static void notify_waiters(eng *e)
{
    if (e->settle.in_flight || e->settle.ready)
        return;
    eng_settle_waiter *w = e->settle.waiters;
    e->settle.waiters = NULL;
    while (w) {
        eng_settle_waiter *next = w->next;
        w->fn(w->cookie);
        free(w);
        w = next;
    }
}

/* Ends the request in flight: the report becomes the Settlement item of the next block, or the
 * epoch waits (and, unless the enclave answered, the enclave is stopped). Takes resp. */
static void finish_request(eng *e, int rc, uint8_t resp_type, uint8_t *resp, size_t resp_len)
{
    eng_settle_request *q = &e->settle;
    char *inputs_hex = NULL, *report_hex = NULL;
    cJSON *msg = NULL;

    if (q->ev) {
        event_free(q->ev);
        q->ev = NULL;
    }
    q->in_flight = false;
    if (rc != ST_OK) {
        char why[64];
        snprintf(why, sizeof why, "it did not answer within %d s", SETTLE_TIMEOUT_SECS);
        stop_enclave(e, rc == ST_PENDING ? why : st_str(rc));
        goto out;
    }
    if (resp_type != ENC_MSG_SETTLE_RESP) {
        fprintf(stderr, "conclaved: the enclave refused to settle epoch %llu: %.*s\n", (unsigned long long)q->epoch,
                (int)resp_len, (const char *)resp);
        goto out;
    }
    if (e->tamper_next_report && resp_len > 0) {
        resp[resp_len / 2] ^= 0x01; /* dev test hook: the host cannot forge the enclave's work */
        e->tamper_next_report = false;
    }
    inputs_hex = ledger_hex_encode_alloc(q->inputs, q->inputs_len);
    report_hex = ledger_hex_encode_alloc(resp, resp_len);
    msg = cJSON_CreateObject();
    if (inputs_hex && report_hex && msg && cJSON_AddNumberToObject(msg, "epoch", (double)q->epoch)
        && cJSON_AddStringToObject(msg, "inputs", inputs_hex) && cJSON_AddStringToObject(msg, "report", report_hex))
        q->ready = eng_item_system("Settlement", msg);
    if (!q->ready)
        fprintf(stderr, "conclaved: out of memory holding the report of epoch %llu\n", (unsigned long long)q->epoch);
out:
    cJSON_Delete(msg);
    free(inputs_hex);
    free(report_hex);
    enc_host_resp_free(resp);
    if (!q->ready) {
        free(q->inputs);
        q->inputs = NULL;
    }
    if (q->ready && e->produce_ev)
        event_active(e->produce_ev, 0, 0);
    notify_waiters(e);
}

/* Moves the exchange on. Returns: ST_PENDING with *wait_events, or ST_OK when it is over (finished). */
static int step_request(eng *e, short *wait_events)
{
    uint8_t type = 0, *resp = NULL;
    size_t len = 0;
    int rc = monotonic_ms() >= e->settle.deadline_ms ? ST_PENDING
                                                     : enc_host_exchange_step(e->enclave, wait_events, &type, &resp, &len);
    if (rc == ST_PENDING && monotonic_ms() < e->settle.deadline_ms)
        return ST_PENDING;
    finish_request(e, rc, type, resp, len);
    return ST_OK;
}

static void request_io_cb(evutil_socket_t fd, short what, void *arg);

/* Watches the enclave's socket for wait_events (POLLIN or POLLOUT) until the deadline. */
static void arm_request(eng *e, short wait_events)
{
    eng_settle_request *q = &e->settle;
    uint64_t now = monotonic_ms(), left = q->deadline_ms > now ? q->deadline_ms - now : 0;
    struct timeval tv = { .tv_sec = (time_t)(left / 1000), .tv_usec = (suseconds_t)(left % 1000 * 1000) };
    if (q->ev)
        event_free(q->ev);
    q->ev = event_new(e->base, enc_host_fd(e->enclave), wait_events == POLLOUT ? EV_WRITE : EV_READ, request_io_cb, e);
    if (!q->ev || event_add(q->ev, &tv) != 0)
        finish_request(e, ST_NOMEM, 0, NULL, 0);
}

static void request_io_cb(evutil_socket_t fd, short what, void *arg)
{
    eng *e = arg;
    short wait_events = 0;
    (void)fd;
    (void)what; /* a timeout is seen as the deadline passed */
    if (step_request(e, &wait_events) == ST_PENDING)
        arm_request(e, wait_events);
}

/* Without an event loop there is nothing else to serve: the exchange is awaited here. */
static void await_request(eng *e)
{
    short wait_events = 0;
    while (step_request(e, &wait_events) == ST_PENDING) {
        uint64_t now = monotonic_ms();
        struct pollfd p = { .fd = enc_host_fd(e->enclave), .events = wait_events };
        int left = (int)(e->settle.deadline_ms > now ? e->settle.deadline_ms - now : 0);
        if (poll(&p, 1, left) < 0 && errno != EINTR)
            e->settle.deadline_ms = 0; /* the next step gives up */
    }
}

/* Sends the enclave the next epoch's inputs if it is due and none is asked already, (re)starting
 * the enclave when its backoff is over. */
static void start_request(eng *e, uint64_t now)
{
    eng_settle_request *q = &e->settle;
    if (q->in_flight || q->ready)
        return;
    if (!e->enclave && e->enclave_path && monotonic_secs() >= e->enclave_retry_at)
        (void)start_enclave(e);
    if (!e->enclave || !eng_settlement_due(e, now))
        return;
    if (ledger_enclave_get(e->ledger, e->enclave_address, NULL, NULL, NULL, NULL) != ST_OK)
        return; /* not registered yet */
    if (read_inputs(e, &q->epoch, &q->inputs, &q->inputs_len) != ST_OK)
        return;
    int rc = enc_host_exchange_begin(e->enclave, ENC_MSG_SETTLE_REQ, q->inputs, q->inputs_len);
    if (rc != ST_OK) {
        free(q->inputs);
        q->inputs = NULL;
        stop_enclave(e, st_str(rc));
        return;
    }
    q->in_flight = true;
    q->deadline_ms = monotonic_ms() + 1000 * SETTLE_TIMEOUT_SECS;
    if (e->base)
        arm_request(e, POLLOUT);
    else
        await_request(e);
}

eng_item *eng_settlement_take(eng *e, uint64_t now)
{
    eng_settle_request *q = &e->settle;
    if (!e->base)
        start_request(e, now);
    eng_item *it = q->ready;
    if (!it)
        return NULL;
    q->ready = NULL;
    /* blocks went by while the enclave computed: the report is only good for the same inputs */
    uint64_t epoch = 0;
    uint8_t *inputs = NULL;
    size_t len = 0;
    bool current = read_inputs(e, &epoch, &inputs, &len) == ST_OK && epoch == q->epoch && len == q->inputs_len
                   && memcmp(inputs, q->inputs, len) == 0;
    free(inputs);
    free(q->inputs);
    q->inputs = NULL;
    if (!current) {
        fprintf(stderr, "conclaved: the inputs of epoch %llu changed while the enclave computed; asking again\n",
                (unsigned long long)q->epoch);
        eng_item_free(it);
        return NULL;
    }
    return it;
}

void eng_settlement_poke(eng *e, uint64_t now)
{
    if (e->base)
        start_request(e, now);
    notify_waiters(e);
}

int eng_when_settled(eng *e, eng_settled_fn fn, void *cookie)
{
    eng_settle_waiter *w = malloc(sizeof *w);
    if (!w)
        return ST_NOMEM;
    w->fn = fn;
    w->cookie = cookie;
    w->next = e->settle.waiters;
    e->settle.waiters = w;
    notify_waiters(e);
    return ST_OK;
}

/* ---- the system transactions ---- */

/* Decodes a 0x-hex member of a system message into a malloc'd buffer. */
static uint8_t *hex_member(const cJSON *msg, const char *key, size_t *len)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(msg, key);
    return cJSON_IsString(item) ? ledger_hex_decode_alloc(item->valuestring, len) : NULL;
}

static cJSON *system_message(eng_apply *a, cJSON **body)
{
    *body = cJSON_Parse(a->item->sys_body);
    return cJSON_GetObjectItemCaseSensitive(*body, "message");
}

int eng_apply_enclave_allow(eng_apply *a)
{
    cJSON *body;
    const cJSON *msg = system_message(a, &body);
    size_t len = 0;
    uint8_t *m = hex_member(msg, "measurement", &len);
    int rc = m && len == 32 ? ledger_allowlist_add(a->e->ledger, m) : ST_INVALID;
    cJSON *ev = rc == ST_OK ? ledger_event(&a->r, "EnclaveAllowed") : NULL;
    if (rc == ST_OK && (!ev || !cJSON_AddStringToObject(ev, "measurement",
                                                          cJSON_GetObjectItemCaseSensitive(msg, "measurement")->valuestring)))
        rc = ST_NOMEM;
    if (rc == ST_INVALID)
        snprintf(a->r.err, sizeof a->r.err, "malformed EnclaveAllow");
    free(m);
    cJSON_Delete(body);
    return rc;
}

int eng_apply_enclave_register(eng_apply *a)
{
    cJSON *body;
    const cJSON *msg = system_message(a, &body);
    size_t len = 0;
    uint8_t *quote = hex_member(msg, "quote", &len);
    enc_quote q;
    uint8_t address[20];
    bool allowed = false;
    int rc = ST_INVALID;
    if (!quote)
        snprintf(a->r.err, sizeof a->r.err, "malformed EnclaveRegister");
    else if (!a->e->genesis.enclave.has_platform
             || enc_quote_verify(&q, quote, len, a->e->genesis.enclave.platform) != ST_OK)
        snprintf(a->r.err, sizeof a->r.err, "the quote does not verify against the platform of the genesis");
    else if (q.chain_id != a->e->genesis.chain_id)
        snprintf(a->r.err, sizeof a->r.err, "the quote is for chain %llu", (unsigned long long)q.chain_id);
    else if ((rc = ledger_allowlist_has(a->e->ledger, q.measurement, &allowed)) == ST_OK && !allowed) {
        snprintf(a->r.err, sizeof a->r.err, "the enclave's measurement is not on the allowlist");
        rc = ST_UNAUTHORIZED;
    } else if (rc == ST_OK) {
        ledger_sig_pubkey_address(address, q.enclave_pub);
        rc = ledger_enclave_put(a->e->ledger, address, q.measurement, quote, len);
        char hex[67];
        ledger_hex_encode(hex, q.measurement, 32);
        cJSON *ev = rc == ST_OK ? ledger_event(&a->r, "EnclaveRegistered") : NULL;
        if (rc == ST_OK && (!ev || !ledger_event_address(ev, "enclave", address) || !cJSON_AddStringToObject(ev, "measurement", hex)))
            rc = ST_NOMEM;
    }
    free(quote);
    cJSON_Delete(body);
    return rc;
}

/* Runs one operation of a checked report. */
static int apply_op(eng_apply *a, const enc_op *op)
{
    ledger_account issuance = ledger_system_account(LEDGER_ISSUANCE);
    switch (op->kind) {
    case ENC_OP_TREASURY: {
        ledger_account treasury = ledger_system_account(LEDGER_TREASURY);
        return ledger_transfer(a->e->ledger, &issuance, &treasury, op->amount, "emission");
    }
    case ENC_OP_POOL_EMISSION:
        return eng_staking_reward(a, op->pool, &issuance, op->amount);
    case ENC_OP_COMPUTE_PAYMENT:
    case ENC_OP_FEE: {
        ledger_account escrow = ledger_user_account(LEDGER_ESCROW, op->address), fees = ledger_system_account(LEDGER_FEES);
        ledger_channel c;
        ledger_channel_init(&c);
        int rc = ledger_channel_get(a->e->ledger, op->channel, &c);
        if (rc == ST_OK && mpz_cmp(op->amount, c.deposit) > 0)
            rc = ST_INSUFFICIENT;
        if (rc == ST_OK)
            rc = op->kind == ENC_OP_FEE ? ledger_transfer(a->e->ledger, &escrow, &fees, op->amount, "fee")
                                        : eng_staking_reward(a, op->pool, &escrow, op->amount);
        if (rc == ST_OK) {
            mpz_sub(c.deposit, c.deposit, op->amount);
            mpz_add(c.paid, c.paid, op->amount);
            rc = ledger_channel_update(a->e->ledger, &c);
        }
        ledger_channel_clear(&c);
        return rc;
    }
    case ENC_OP_SLASH:
        return eng_staking_offence(a, op->address, op->ppm, "uptime");
    }
    return ST_INVALID;
}

/* The address that signed r, if it is a registered enclave (ST_NOTFOUND if not, ST_CRYPTO if the
 * signature is malformed). */
static int report_signer(eng *e, const enc_settle_report *r, uint8_t signer[20])
{
    uint8_t digest[32];
    int rc = enc_settle_report_digest(digest, r);
    if (rc == ST_OK)
        rc = ledger_sig_recover(signer, digest, r->signature);
    return rc == ST_OK ? ledger_enclave_get(e->ledger, signer, NULL, NULL, NULL, NULL) : rc;
}

int eng_apply_settlement(eng_apply *a)
{
    eng *e = a->e;
    cJSON *body;
    const cJSON *msg = system_message(a, &body);
    const cJSON *epoch_item = cJSON_GetObjectItemCaseSensitive(msg, "epoch");
    size_t inputs_len = 0, report_len = 0, own_len = 0;
    uint8_t *inputs = hex_member(msg, "inputs", &inputs_len), *report = hex_member(msg, "report", &report_len);
    uint8_t *own = NULL, hash[32];
    enc_settle_input in;
    enc_settle_report r;
    enc_settle_input_init(&in);
    enc_settle_report_init(&r);
    uint64_t next = 0, epoch = cJSON_IsNumber(epoch_item) ? (uint64_t)epoch_item->valuedouble : UINT64_MAX;
    char why[200] = "";
    int rc = eng_settlement_next(e, &next);
    if (rc != ST_OK)
        goto out;
    rc = ST_INVALID;
    if (!inputs || !report || epoch != next) {
        snprintf(a->r.err, sizeof a->r.err, "malformed Settlement, or not for epoch %llu (the next to settle)",
                 (unsigned long long)next);
        goto out;
    }
    /* the inputs must be exactly what the ledger says now */
    if ((rc = eng_settlement_inputs(e, epoch, &in)) != ST_OK || (rc = enc_settle_input_serialize(&own, &own_len, &in)) != ST_OK)
        goto out;
    rc = ST_INVALID;
    if (own_len != inputs_len || memcmp(own, inputs, own_len) != 0) {
        snprintf(a->r.err, sizeof a->r.err, "the report's inputs are not the ledger's inputs for epoch %llu",
                 (unsigned long long)epoch);
        goto out;
    }
    if (enc_settle_report_parse(&r, report, report_len) != ST_OK) {
        snprintf(a->r.err, sizeof a->r.err, "the report is not in canonical form");
        goto out;
    }
    uint8_t signer[20];
    if (report_signer(e, &r, signer) != ST_OK) {
        snprintf(a->r.err, sizeof a->r.err, "the report is not signed by a registered enclave");
        rc = ST_CRYPTO;
        goto out;
    }
    if (enc_settle_report_check(why, sizeof why, &r, &in) != ST_OK) {
        snprintf(a->r.err, sizeof a->r.err, "the report does not add up: %s", why);
        goto out;
    }
    for (size_t i = 0; i < r.n_ops; i++)
        if ((rc = apply_op(a, &r.ops[i])) != ST_OK) {
            snprintf(a->r.err, sizeof a->r.err, "operation %zu of the report failed: %s", i, st_str(rc));
            goto out;
        }
    if ((rc = enc_settle_input_hash(hash, &in)) != ST_OK)
        goto out;
    ledger_settlement s = { .epoch = epoch, .inputs = inputs, .inputs_len = inputs_len, .report = report,
                            .report_len = report_len };
    memcpy(s.enclave, signer, 20);
    memcpy(s.input_hash, hash, 32);
    if ((rc = ledger_settlement_put(e->ledger, &s)) == ST_CONFLICT) {
        snprintf(a->r.err, sizeof a->r.err, "epoch %llu is settled already", (unsigned long long)epoch);
        goto out;
    }
    char text[24];
    snprintf(text, sizeof text, "%llu", (unsigned long long)(epoch + 1));
    if (rc == ST_OK)
        rc = ledger_meta_set(e->ledger, "settlement.next", text);
    cJSON *ev = rc == ST_OK ? ledger_event(&a->r, "EpochSettled") : NULL;
    if (rc == ST_OK && (!ev || !cJSON_AddNumberToObject(ev, "epoch", (double)epoch) || !ledger_event_address(ev, "enclave", signer)
                        || !ledger_event_amount(ev, "emitted", r.budget) || !ledger_event_amount(ev, "computePaid", r.compute_paid)
                        || !ledger_event_amount(ev, "fees", r.fees) || !cJSON_AddNumberToObject(ev, "operations", (double)r.n_ops)))
        rc = ST_NOMEM;
out:
    enc_settle_report_clear(&r);
    enc_settle_input_clear(&in);
    free(own);
    free(inputs);
    free(report);
    cJSON_Delete(body);
    return rc;
}
