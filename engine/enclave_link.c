/* SPDX-License-Identifier: MIT */
/* enclave_link.c: the enclave supervisor. The engine runs a conclave-enclave (starting it again
 * after a crash, no sooner than RESTART_BACKOFF_SECS later), registers it in the ledger from a quote
 * that verifies against the platform's attestation address and whose measurement is allowlisted,
 * and once an epoch has ended sends it the epoch's inputs as the ledger says them after a block. The
 * signed report is handed to the block producer as a "Settlement" system item if the ledger still
 * gives the same inputs when the next block starts, and is asked again otherwise; the rules that
 * apply it are in settlement.c. The EnclaveRegister item is handed over the same way
 * (eng_enclave_take_items): the supervisor never queues anything itself, so it sits below the
 * producer (engine.c). Only an enclave whose measurement is on the allowlist now is registered or
 * asked to settle; the node never allowlists its own build (a dev chain's genesis does, once). One
 * that starts unlisted runs idle until a block puts its measurement on the allowlist, and is
 * admitted then (registered, its ballot key recorded) without a restart; one whose measurement a
 * block removes is asked nothing more (eng_enclave_may_settle reads the allowlist at each request).
 * At each admission it also has the chain's ballot key recorded for the enclave (ballot_key.c: a new
 * build gets it by a handover first), and it has the enclave count the oldest Counting secret poll
 * not in back-off: the standing ballots go out as COUNT_BEGIN and COUNT_CHUNK frames, never while a
 * settlement is out, and the signed report comes back as a SecretPollCount item; a poll whose count
 * is refused (by the enclave or by the block's checks) waits in back-off on the node's clock while
 * the others are counted.
 *
 * Blocking. The settlement exchange does not block the event loop: the inputs are sent and the
 * report read as the enclave's socket allows, the loop serving RPC meanwhile, and an enclave that
 * has not answered within SETTLE_TIMEOUT_SECS is killed; one that refuses an epoch's inputs is
 * stopped too (it would refuse them again), and the epoch waits for the next one. Without a loop
 * (eng_attach not called: tests, replay, benches) the exchange is awaited in place. Starting the
 * enclave does block: a (re)start runs on the loop thread before a request and waits for the
 * enclave's greeting (ENC_HOST_START_TIMEOUT_MS, 10 s) and its quote (ENC_HOST_TIMEOUT_MS, 5 s), so
 * a restart can hold the loop up to about 15 s; stopping it at shutdown waits up to ENC_HOST_STOP_TIMEOUT_MS. */
#include "engine/engine_int.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "enclave/enclave.h"
#include "enclave/settle.h"
#include "governance/gov_store.h"
#include "ledger/amount.h"
#include "ledger/compute.h"
#include "ledger/hex.h"
#include "ledger/sig.h"

#define SETTLE_TIMEOUT_SECS 60
#define RESTART_BACKOFF_SECS 5
#define COUNT_BACKOFF_SECS 5            /* a refused count's poll waits this long on the node's clock, */
#define COUNT_BACKOFF_MAX_DOUBLINGS 7   /* doubled per refusal in a row up to 5 * 2^7 = 640 s */

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
    e->handover_wanted = false;
    e->enclave_unlisted = false;
    e->enclave_retry_at = monotonic_secs() + RESTART_BACKOFF_SECS;
}

/* The answer to a registration system transaction: only logged. */
static void log_done(void *cookie, int status, const char *errmsg, cJSON *errdata, const eng_receipt *r)
{
    const char *what = cookie;
    if (status != ST_OK || !r->success)
        fprintf(stderr, "conclaved: %s failed: %s\n", what, status != ST_OK ? errmsg : r->error);
    cJSON_Delete(errdata);
}

static char registering[] = "registering the enclave";

int eng_enclave_hold(eng *e, eng_item *it, char *what)
{
    if (!it)
        return ST_NOMEM;
    it->done = log_done;
    it->cookie = what;
    eng_item **tail = &e->enclave_items;
    while (*tail)
        tail = &(*tail)->next;
    *tail = it;
    return ST_OK;
}

eng_item *eng_enclave_take_items(eng *e)
{
    eng_item *items = e->enclave_items;
    e->enclave_items = NULL;
    return items;
}

/* Has the running enclave, of measurement, allowlisted, registered from its quote unless the ledger
 * knows it already, and the chain's ballot key recorded for it (ballot_key.c). An enclave that does
 * not answer for its key is stopped. Returns: ST_OK; ST_NOMEM, ST_DB; ST_IO (stopped). */
static int admit_enclave(eng *e, const uint8_t *quote, size_t len, const uint8_t measurement[32])
{
    int rc = ledger_enclave_get(e->ledger, e->enclave_address, NULL, NULL, NULL, NULL);
    bool registered = rc == ST_OK;
    if (rc == ST_NOTFOUND)
        rc = eng_enclave_hold(e, eng_system_enclave_register(quote, len), registering);
    if (rc != ST_OK)
        return rc;
    if (eng_ballot_key_fetch(e, measurement, registered) != ST_OK) {
        stop_enclave(e, "it did not answer for its ballot key");
        return ST_IO;
    }
    return ST_OK;
}

/* Starts the enclave and checks its quote. One whose measurement is allowlisted is admitted at once;
 * another runs unlisted, settling and counting nothing, until admit_when_allowlisted sees
 * governance add its measurement. */
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
    char addr[LEDGER_ADDR_STRLEN];
    ledger_addr_format(addr, e->enclave_address);
    bool allowed = false;
    if ((rc = ledger_allowlist_has(e->ledger, LEDGER_RUNTIME_ENCLAVE, q.measurement, &allowed)) != ST_OK) {
        stop_enclave(e, "the allowlist cannot be read");
        return rc;
    }
    if (allowed && (rc = admit_enclave(e, quote, len, q.measurement)) != ST_OK)
        return rc;
    if (!allowed) {
        fprintf(stderr, "conclaved: the enclave %s is not on the allowlist; it settles nothing until governance "
                        "adds its measurement\n", addr);
        e->enclave_unlisted = true;
        memcpy(e->enclave_measurement, q.measurement, 32);
        memcpy(e->enclave_quote, quote, len);
        e->enclave_quote_len = len;
    }
    fprintf(stderr, "conclaved: enclave %s running (pid %d)\n", addr, (int)enc_host_pid(e->enclave));
    return ST_OK;
}

/* The running enclave started unlisted: once a block has put its measurement on the allowlist it is
 * admitted (registered, its ballot key recorded), so it settles and counts without a restart. A
 * failure to read or hold is tried again at the next call. */
static void admit_when_allowlisted(eng *e)
{
    bool allowed = false;
    if (!e->enclave || !e->enclave_unlisted
        || ledger_allowlist_has(e->ledger, LEDGER_RUNTIME_ENCLAVE, e->enclave_measurement, &allowed) != ST_OK || !allowed)
        return;
    char addr[LEDGER_ADDR_STRLEN];
    ledger_addr_format(addr, e->enclave_address);
    fprintf(stderr, "conclaved: the enclave %s is on the allowlist now; admitting it\n", addr);
    if (admit_enclave(e, e->enclave_quote, e->enclave_quote_len, e->enclave_measurement) == ST_OK)
        e->enclave_unlisted = false;
}

int eng_enclave_start(eng *e, const char *enclave_path, const char *platform_secret_path, const char *sealed_dir)
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
    if (e->count.ev)
        event_free(e->count.ev);
    enc_count_job_free(e->count.job);
    memset(&e->count, 0, sizeof e->count);
    while (e->enclave_items) {
        eng_item *next = e->enclave_items->next;
        eng_item_free(e->enclave_items);
        e->enclave_items = next;
    }
    if (e->enclave)
        stop_enclave(e, NULL);
    free(e->enclave_path);
    free(e->platform_secret_path);
    free(e->sealed_dir);
    free(e->handover_path);
    e->enclave_path = e->platform_secret_path = e->sealed_dir = e->handover_path = NULL;
}

int eng_tamper_next_report(eng *e, bool inputs)
{
    if (!e->dev)
        return ST_DISABLED;
    if (inputs)
        e->tamper_next_inputs = true;
    else
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

/* Tells the waiters once no report is being computed or waiting for its block, no epoch the clock
 * has closed waits for the running enclave (a catch-up asks for one epoch after another, with
 * blocks in between), and no secret poll is being counted or could be by the running enclave. */
static void notify_waiters(eng *e)
{
    if (e->settle.in_flight || e->settle.ready || e->count.in_flight || e->count.held
        || (e->enclave && eng_enclave_may_settle(e) && eng_settlement_due(e, eng_clock_now(&e->clock)))
        || (e->enclave && eng_count_wanted(e)))
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
 * epoch waits (and the enclave is stopped, unless it answered with a report that only could not be
 * held). Takes resp. */
static void finish_request(eng *e, int rc, uint8_t resp_type, uint8_t *resp, size_t resp_len)
{
    eng_settle_request *q = &e->settle;

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
        /* it would refuse the same inputs again: it stops like a failed one, so the epoch waits for
         * a new enclave (after the backoff) and whoever waits for the settlement is told */
        char why[160];
        snprintf(why, sizeof why, "it refused to settle epoch %llu: %.*s", (unsigned long long)q->epoch,
                 (int)(resp_len < 100 ? resp_len : 100), (const char *)resp);
        stop_enclave(e, why);
        goto out;
    }
    if (e->tamper_next_report && resp_len > 0) {
        resp[resp_len / 2] ^= 0x01; /* dev test hook: the host cannot forge the enclave's work */
        e->tamper_next_report = false;
    }
    eng_timing_observe(&e->stats.settlement, eng_seconds_since(&q->sent_at));
    q->ready = eng_system_settlement(q->epoch, q->inputs, q->inputs_len, resp, resp_len);
    if (!q->ready)
        fprintf(stderr, "conclaved: out of memory holding the report of epoch %llu\n", (unsigned long long)q->epoch);
out:
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

bool eng_enclave_may_settle(eng *e)
{
    uint8_t measurement[32];
    bool allowed = false;
    return ledger_enclave_get(e->ledger, e->enclave_address, measurement, NULL, NULL, NULL) == ST_OK
           && ledger_allowlist_has(e->ledger, LEDGER_RUNTIME_ENCLAVE, measurement, &allowed) == ST_OK && allowed;
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
    if (!e->enclave || e->count.in_flight || !eng_settlement_due(e, now))
        return;
    if (!eng_enclave_may_settle(e))
        return; /* not registered yet, or its measurement is not (or no longer) allowlisted */
    if (read_inputs(e, &q->epoch, &q->inputs, &q->inputs_len) != ST_OK)
        return;
    size_t send_len = q->inputs_len;
    if (e->tamper_next_inputs && send_len > 0) {
        send_len--; /* dev test hook: inputs the enclave cannot parse */
        e->tamper_next_inputs = false;
    }
    int rc = enc_host_exchange_begin(e->enclave, ENC_MSG_SETTLE_REQ, q->inputs, send_len);
    if (rc != ST_OK) {
        free(q->inputs);
        q->inputs = NULL;
        stop_enclave(e, st_str(rc));
        return;
    }
    q->in_flight = true;
    clock_gettime(CLOCK_MONOTONIC, &q->sent_at);
    q->deadline_ms = monotonic_ms() + 1000 * SETTLE_TIMEOUT_SECS;
    if (e->base)
        arm_request(e, POLLOUT);
    else
        await_request(e);
}

/* ---- counting secret polls ---- */

static char counting[] = "counting a secret poll";

/* The back-off entry of proposal, or NULL. */
static eng_count_backoff *backoff_find(eng *e, uint64_t proposal)
{
    for (unsigned i = 0; i < ENG_COUNT_BACKOFFS; i++)
        if (e->count.backoff[i].proposal == proposal)
            return &e->count.backoff[i];
    return NULL;
}

/* A count of proposal was refused: it is asked again COUNT_BACKOFF_SECS later on the node's clock,
 * twice as long after each further refusal in a row (at most COUNT_BACKOFF_SECS << COUNT_BACKOFF_MAX_DOUBLINGS);
 * other polls are counted meanwhile. Returns: the delay, in seconds. */
static uint64_t backoff_refused(eng *e, uint64_t proposal)
{
    eng_count_backoff *b = backoff_find(e, proposal);
    if (!b)
        b = backoff_find(e, 0); /* a free entry (proposal ids start at 1) */
    if (!b) {
        /* all taken: the entry due soonest gives way */
        b = &e->count.backoff[0];
        for (unsigned i = 1; i < ENG_COUNT_BACKOFFS; i++)
            if (e->count.backoff[i].retry_at < b->retry_at)
                b = &e->count.backoff[i];
    }
    if (b->proposal != proposal)
        *b = (eng_count_backoff){ .proposal = proposal };
    unsigned doublings = b->refusals < COUNT_BACKOFF_MAX_DOUBLINGS ? b->refusals : COUNT_BACKOFF_MAX_DOUBLINGS;
    uint64_t delay = (uint64_t)COUNT_BACKOFF_SECS << doublings;
    b->refusals++;
    b->retry_at = eng_clock_now(&e->clock) + delay;
    return delay;
}

/* Whether proposal is in back-off now; its retry time into *retry_at if so (may be NULL). */
static bool backoff_waits(eng *e, uint64_t proposal, uint64_t *retry_at)
{
    const eng_count_backoff *b = backoff_find(e, proposal);
    if (!b || b->retry_at <= eng_clock_now(&e->clock))
        return false;
    if (retry_at)
        *retry_at = b->retry_at;
    return true;
}

/* The oldest Counting poll not in back-off. Returns: ST_OK with *id; ST_NOTFOUND; ST_DB. */
static int next_countable(eng *e, uint64_t *id)
{
    int rc;
    uint64_t after = 0;
    while ((rc = gov_counting_after(e->gov, after, id)) == ST_OK && backoff_waits(e, *id, NULL))
        after = *id;
    return rc;
}

/* The answer to a SecretPollCount: a count that failed its checks puts its poll in back-off (it
 * stays Counting), one that landed lets the next poll be counted. */
static void count_done(void *cookie, int status, const char *errmsg, cJSON *errdata, const eng_receipt *r)
{
    eng *e = cookie;
    eng_count_request *c = &e->count;
    c->held = false;
    if (status != ST_OK || !r->success) {
        uint64_t delay = backoff_refused(e, c->proposal);
        fprintf(stderr, "conclaved: %s (proposal %llu) failed: %s; it is asked again in %llu s\n", counting,
                (unsigned long long)c->proposal, status != ST_OK ? errmsg : r->error, (unsigned long long)delay);
    } else {
        eng_count_backoff *b = backoff_find(e, c->proposal);
        if (b)
            *b = (eng_count_backoff){ 0 };
    }
    cJSON_Delete(errdata);
    notify_waiters(e);
}

/* A Counting poll's standing ballots as a count job, read in one read transaction.
 * Returns: ST_OK with *job (caller frees); ST_NOMEM, ST_DB. */
static int count_job_read(eng *e, enc_count_job **job, uint64_t proposal)
{
    enum { PAGE_BALLOTS = 256 };
    gov_vote *page = calloc(PAGE_BALLOTS, sizeof *page);
    gov_poll_row row;
    gov_poll_row_init(&row);
    mpz_t weight;
    mpz_init(weight);
    uint8_t cursor[20], word[32];
    unsigned got = 0;
    bool more = true, first = true;
    *job = NULL;
    int rc = page ? ledger_read_begin(e->ledger) : ST_NOMEM;
    if (rc != ST_OK)
        goto out;
    for (unsigned i = 0; i < PAGE_BALLOTS; i++)
        gov_vote_init(&page[i]);
    if ((rc = gov_poll_get(e->gov, proposal, &row)) == ST_OK
        && (!row.secret || !row.has_ballots_hash || row.ballots > ENC_COUNT_MAX_BALLOTS))
        rc = ST_DB;
    if (rc == ST_OK) {
        enc_count_header h = { .chain_id = e->genesis.chain_id, .proposal = proposal, .system = (uint8_t)row.system,
                               .n_choices = (uint8_t)row.n, .n_ballots = (uint32_t)row.ballots };
        memcpy(h.ballots_hash, row.ballots_hash, 32);
        if (!(*job = enc_count_job_new(&h)))
            rc = ST_NOMEM;
    }
    while (rc == ST_OK && more) {
        rc = gov_vote_list(e->gov, proposal, first ? NULL : cursor, PAGE_BALLOTS, page, &got, &more);
        first = false;
        for (unsigned i = 0; i < got && rc == ST_OK; i++) {
            mpz_add(weight, page[i].weight, page[i].delegated_weight);
            if (!page[i].ciphertext || !ledger_amount_fits(weight)) {
                rc = ST_DB;
                break;
            }
            ledger_amount_to_word(word, weight);
            rc = enc_count_job_add(*job, page[i].voter, word, page[i].ciphertext, page[i].ciphertext_len);
        }
        if (got)
            memcpy(cursor, page[got - 1].voter, 20);
    }
    ledger_read_end(e->ledger);
    for (unsigned i = 0; i < PAGE_BALLOTS; i++)
        gov_vote_clear(&page[i]);
out:
    if (rc != ST_OK) {
        enc_count_job_free(*job);
        *job = NULL;
    }
    mpz_clear(weight);
    gov_poll_row_clear(&row);
    free(page);
    return rc;
}

/* Ends the count in flight: its report becomes the SecretPollCount item of the next block; a
 * refusal puts the poll in back-off; a broken exchange stops the enclave. */
static void finish_count(eng *e, int rc, const char *why)
{
    eng_count_request *c = &e->count;
    if (c->ev) {
        event_free(c->ev);
        c->ev = NULL;
    }
    c->in_flight = false;
    if (rc == ST_OK) {
        size_t len = 0;
        const uint8_t *report = enc_count_job_report(c->job, &len);
        uint8_t *tampered = e->tamper_next_report && len > 0 ? malloc(len) : NULL;
        if (tampered) {
            /* dev test hook: the host cannot forge the enclave's count */
            memcpy(tampered, report, len);
            tampered[len / 2] ^= 0x01;
            report = tampered;
            e->tamper_next_report = false;
        }
        eng_item *it = eng_system_secret_poll_count(c->proposal, report, len);
        free(tampered);
        if (eng_enclave_hold(e, it, counting) == ST_OK) {
            it->done = count_done;
            it->cookie = e;
            c->held = true;
            if (e->produce_ev)
                event_active(e->produce_ev, 0, 0);
        }
    } else if (rc == ST_INVALID) {
        /* the enclave's refusals name a step and a position, never a choice */
        uint64_t delay = backoff_refused(e, c->proposal);
        fprintf(stderr, "conclaved: the enclave refused to count proposal %llu: %s; asked again in %llu s\n",
                (unsigned long long)c->proposal, why, (unsigned long long)delay);
    } else {
        char reason[64];
        snprintf(reason, sizeof reason, "it did not answer a count within %d s", SETTLE_TIMEOUT_SECS);
        stop_enclave(e, rc == ST_PENDING ? reason : st_str(rc));
    }
    enc_count_job_free(c->job);
    c->job = NULL;
    notify_waiters(e);
}

/* Sends the job's next frame. Returns: ST_OK, or the failure (the count is then over). */
static int send_count_frame(eng *e)
{
    uint8_t type = 0;
    const uint8_t *payload = NULL;
    size_t len = 0;
    int rc = enc_count_job_next(e->count.job, &type, &payload, &len);
    if (rc == ST_OK)
        rc = enc_host_exchange_begin(e->enclave, type, payload, len);
    e->count.deadline_ms = monotonic_ms() + 1000 * SETTLE_TIMEOUT_SECS;
    return rc;
}

static void count_io_cb(evutil_socket_t fd, short what, void *arg);

/* Watches the enclave's socket for wait_events until the frame's deadline. */
static void arm_count(eng *e, short wait_events)
{
    eng_count_request *c = &e->count;
    uint64_t now = monotonic_ms(), left = c->deadline_ms > now ? c->deadline_ms - now : 0;
    struct timeval tv = { .tv_sec = (time_t)(left / 1000), .tv_usec = (suseconds_t)(left % 1000 * 1000) };
    if (c->ev)
        event_free(c->ev);
    c->ev = event_new(e->base, enc_host_fd(e->enclave), wait_events == POLLOUT ? EV_WRITE : EV_READ, count_io_cb, e);
    if (!c->ev || event_add(c->ev, &tv) != 0)
        finish_count(e, ST_NOMEM, NULL);
}

static void count_io_cb(evutil_socket_t fd, short what, void *arg)
{
    eng *e = arg;
    eng_count_request *c = &e->count;
    short wait_events = 0;
    uint8_t type = 0, *resp = NULL;
    size_t len = 0;
    char why[200] = "";
    (void)fd;
    (void)what; /* a timeout is seen as the deadline passed */
    int rc = monotonic_ms() >= c->deadline_ms ? ST_PENDING : enc_host_exchange_step(e->enclave, &wait_events, &type, &resp, &len);
    if (rc == ST_PENDING && monotonic_ms() < c->deadline_ms) {
        arm_count(e, wait_events);
        return;
    }
    if (rc == ST_OK) {
        rc = enc_count_job_answer(c->job, why, sizeof why, type, resp, len);
        if (rc == ST_PENDING && (rc = send_count_frame(e)) == ST_OK) {
            enc_host_resp_free(resp);
            arm_count(e, POLLOUT);
            return;
        }
    }
    enc_host_resp_free(resp);
    finish_count(e, rc, why);
}

bool eng_count_wanted(eng *e)
{
    uint64_t id;
    uint8_t key[LEDGER_BALLOT_KEY_LEN], sig[LEDGER_BALLOT_KEY_SIG_LEN];
    eng_count_request *c = &e->count;
    if (!e->enclave_path || c->in_flight || c->held)
        return false;
    if (!e->enclave)
        return monotonic_secs() >= e->enclave_retry_at && gov_counting_after(e->gov, 0, &id) == ST_OK;
    return eng_enclave_may_settle(e) && ledger_enclave_ballot_key(e->ledger, e->enclave_address, key, sig) == ST_OK
           && next_countable(e, &id) == ST_OK;
}

eng_count_state eng_count_state_of(eng *e, uint64_t proposal, uint64_t *retry_at)
{
    uint8_t key[LEDGER_BALLOT_KEY_LEN], sig[LEDGER_BALLOT_KEY_SIG_LEN];
    const eng_count_request *c = &e->count;
    if ((c->in_flight || c->held) && c->proposal == proposal)
        return ENG_COUNT_BEING_COUNTED;
    if (!e->enclave || !eng_enclave_may_settle(e))
        return ENG_COUNT_NO_ENCLAVE;
    if (e->handover_wanted)
        return ENG_COUNT_HANDOVER;
    if (ledger_enclave_ballot_key(e->ledger, e->enclave_address, key, sig) != ST_OK)
        return ENG_COUNT_NO_KEY;
    if (backoff_waits(e, proposal, retry_at))
        return ENG_COUNT_RETRY;
    return ENG_COUNT_QUEUED;
}

/* Asks the running enclave to count the oldest Counting poll not in back-off, when the enclave is
 * free (no settlement out), allowlisted and its ballot key recorded. With a loop the frames go out
 * as the socket allows; without one the count is awaited here. */
static void start_count(eng *e)
{
    eng_count_request *c = &e->count;
    if (!e->enclave || e->settle.in_flight || !eng_count_wanted(e))
        return;
    int rc = next_countable(e, &c->proposal);
    if (rc == ST_OK)
        rc = count_job_read(e, &c->job, c->proposal);
    if (rc != ST_OK) {
        if (rc != ST_NOTFOUND)
            fprintf(stderr, "conclaved: the ballots to count cannot be read (%s)\n", st_str(rc));
        return;
    }
    c->in_flight = true;
    if (!e->base) {
        char why[200] = "";
        rc = enc_host_count(e->enclave, c->job, why, sizeof why, 1000 * SETTLE_TIMEOUT_SECS);
        finish_count(e, rc == ST_OK || rc == ST_INVALID ? rc : ST_IO, why);
        return;
    }
    if ((rc = send_count_frame(e)) != ST_OK) {
        finish_count(e, rc == ST_INVALID ? ST_IO : rc, NULL);
        return;
    }
    arm_count(e, POLLOUT);
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
    admit_when_allowlisted(e);
    if (e->base)
        start_request(e, now);
    start_count(e);
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
