/* SPDX-License-Identifier: MIT */
/* proposals.c: the rules of governance's proposals (rules.h; docs/API.md "Governance").
 *
 * A proposal is a state machine driven by transactions and by the clock: Propose reserves the
 * track's deposit (free -> escrow) and needs the track's threshold of voting power at the snapshot,
 * the block before its own (height - 1), so stake moved in the same block or later does not count;
 * it is Pending until vote_start, Active until vote_end, then Queued (quorum and approval, see
 * gov_tally_check) or Defeated, and a Queued one is Executed or Failed by ProposalExecute between
 * eta and expires, else Expired. ProposalCancel (while Pending) and a missed quorum burn
 * floor(deposit * ppm / 10^6) to issuance and return the rest, so every rounding favours the
 * proposer by less than one base unit; every other end returns the whole deposit.
 * A payload is validated when the Propose is queued, when it applies, and again when it executes
 * (tracks and bounds may have changed since); it runs once, under a nested savepoint, so a failing
 * payload changes nothing but the proposal's state and leaves no event. A `param` payload stores its
 * row and hands the change back (gov_param_change): the chain's parameters are the engine's.
 * The Tick part moves due proposals on (next_change <= now), TICK_BATCH ids per read. */
#include "governance/rules_int.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ledger/amount.h"
#include "ledger/compute.h"
#include "ledger/hex.h"
#include "ledger/stakes.h"

#define TICK_BATCH 64
#define TITLE_MAX 200
#define BODY_MAX 16384

/* ---- governed parameters (the engine's rows that proposals may change, through lookup) ---- */

/* Whether v is within the inclusive bounds min..max (decimal text). */
static bool in_bounds(const mpz_t v, const char *min, const char *max)
{
    mpz_t lo, hi;
    mpz_init_set_str(lo, min, 10);
    mpz_init_set_str(hi, max, 10);
    bool in = mpz_cmp(v, lo) >= 0 && mpz_cmp(v, hi) <= 0;
    mpz_clears(lo, hi, NULL);
    return in;
}

/* Parses and bounds-checks a value for a governed parameter. ST_OK or ST_INVALID with err. */
static int gparam_value(gov_param_lookup_fn lookup, const char *name, const cJSON *item, mpz_t v, char *err, size_t errlen)
{
    const char *min, *max;
    if (!lookup(name, &min, &max)) {
        snprintf(err, errlen, "payload.name: \"%s\" is not a governed parameter", name);
        return ST_INVALID;
    }
    bool ok = false;
    if (cJSON_IsString(item))
        ok = ledger_amount_parse(v, item->valuestring, strlen(item->valuestring)) == ST_OK;
    else if (cJSON_IsNumber(item) && item->valuedouble >= 0 && item->valuedouble <= 9007199254740991.0
             && item->valuedouble == (double)(uint64_t)item->valuedouble) {
        mpz_set_ui(v, (unsigned long)item->valuedouble);
        ok = true;
    }
    if (!ok) {
        snprintf(err, errlen, "payload.value: a non-negative integer (number or decimal string) is needed");
        return ST_INVALID;
    }
    if (!in_bounds(v, min, max)) {
        snprintf(err, errlen, "payload.value: %s must be between %s and %s", name, min, max);
        return ST_INVALID;
    }
    return ST_OK;
}

/* ---- payloads ---- */

typedef struct payload {
    unsigned kind;                  /* one GOV_PAYLOAD_* bit */
    char name[GOV_PARAM_NAME_MAX];  /* param */
    mpz_t value;                    /* param */
    uint8_t to[20];                 /* spend */
    mpz_t amount;                   /* spend */
    uint8_t measurement[32];        /* enclave */
    bool remove;                    /* enclave: enclaveRemove or workerRemove */
    enum ledger_runtime list;       /* enclave: the enclaves' list or the worker runtimes' */
    uint64_t slash;                 /* slashCancel */
    enum gov_poll_system system;    /* poll */
    unsigned choices;               /* poll: 2..32 */
    bool secret;                    /* poll: its ballots are SecretBallots, counted by the enclave */
} payload;

/* Reads a poll payload's system and choices: 2 to 32 strings of 1 to GOV_POLL_CHOICE_MAX bytes
 * (basic: exactly For, Against, Abstain), and whether it is secret (absent: false).
 * ST_OK or ST_INVALID with err. */
static int poll_parse(payload *pl, char *err, size_t errlen, const cJSON *root)
{
    const cJSON *system = cJSON_GetObjectItemCaseSensitive(root, "system"), *choices = cJSON_GetObjectItemCaseSensitive(root, "choices");
    const cJSON *secret = cJSON_GetObjectItemCaseSensitive(root, "secret");
    if (secret && !cJSON_IsBool(secret)) {
        snprintf(err, errlen, "payload.secret: true or false");
        return ST_INVALID;
    }
    pl->secret = cJSON_IsTrue(secret);
    if (!cJSON_IsString(system) || gov_poll_system_parse(&pl->system, system->valuestring) != ST_OK) {
        snprintf(err, errlen, "payload.system: single-choice, approval, quadratic, ranked-choice, weighted, copeland or basic");
        return ST_INVALID;
    }
    int n = cJSON_IsArray(choices) ? cJSON_GetArraySize(choices) : 0;
    if (n < GOV_POLL_MIN_CHOICES || n > GOV_POLL_MAX_CHOICES) {
        snprintf(err, errlen, "payload.choices: an array of %d to %d strings", GOV_POLL_MIN_CHOICES, GOV_POLL_MAX_CHOICES);
        return ST_INVALID;
    }
    static const char *const basic[] = { "For", "Against", "Abstain" };
    const cJSON *c;
    unsigned i = 0;
    cJSON_ArrayForEach(c, choices) {
        size_t len = cJSON_IsString(c) ? strlen(c->valuestring) : 0;
        if (len == 0 || len > GOV_POLL_CHOICE_MAX) {
            snprintf(err, errlen, "payload.choices[%u]: a string of 1 to %d bytes", i, GOV_POLL_CHOICE_MAX);
            return ST_INVALID;
        }
        if (pl->system == GOV_POLL_BASIC && (n != 3 || strcmp(c->valuestring, basic[i]) != 0)) {
            snprintf(err, errlen, "payload.choices: a basic poll's choices are exactly [\"For\",\"Against\",\"Abstain\"]");
            return ST_INVALID;
        }
        i++;
    }
    pl->choices = (unsigned)n;
    return ST_OK;
}

/* Parses and validates a payload (len bytes of UTF-8 JSON; empty = text) against track t.
 * ST_OK, ST_INVALID with err, ST_NOMEM. pl must be mpz-initialized by the caller. */
static int payload_parse(gov_param_lookup_fn lookup, payload *pl, char *err, size_t errlen, const uint8_t *data, size_t len,
                         const gov_track *t)
{
    pl->kind = GOV_PAYLOAD_TEXT;
    if (len > 0) {
        cJSON *root = cJSON_ParseWithLength((const char *)data, len);
        const cJSON *kind = cJSON_GetObjectItemCaseSensitive(root, "kind");
        int rc = ST_OK;
        if (!cJSON_IsObject(root) || !cJSON_IsString(kind)) {
            snprintf(err, errlen, "message.payload: not a JSON object with a \"kind\"");
            rc = ST_INVALID;
        } else if (strcmp(kind->valuestring, "text") == 0) {
            pl->kind = GOV_PAYLOAD_TEXT;
        } else if (strcmp(kind->valuestring, "param") == 0) {
            const cJSON *name = cJSON_GetObjectItemCaseSensitive(root, "name");
            pl->kind = GOV_PAYLOAD_PARAM;
            if (!cJSON_IsString(name) || strlen(name->valuestring) >= sizeof pl->name) {
                snprintf(err, errlen, "payload.name: a parameter name is needed");
                rc = ST_INVALID;
            } else {
                snprintf(pl->name, sizeof pl->name, "%s", name->valuestring);
                rc = gparam_value(lookup, pl->name, cJSON_GetObjectItemCaseSensitive(root, "value"), pl->value, err, errlen);
            }
        } else if (strcmp(kind->valuestring, "spend") == 0) {
            const cJSON *to = cJSON_GetObjectItemCaseSensitive(root, "to"), *amount = cJSON_GetObjectItemCaseSensitive(root, "amount");
            pl->kind = GOV_PAYLOAD_SPEND;
            if (!cJSON_IsString(to) || ledger_addr_parse(pl->to, to->valuestring) != ST_OK) {
                snprintf(err, errlen, "payload.to: not an address (0x and 40 hex digits)");
                rc = ST_INVALID;
            } else if (!cJSON_IsString(amount)
                       || ledger_amount_parse(pl->amount, amount->valuestring, strlen(amount->valuestring)) != ST_OK
                       || mpz_sgn(pl->amount) == 0) {
                snprintf(err, errlen, "payload.amount: a positive decimal amount string is needed");
                rc = ST_INVALID;
            }
        } else if (strcmp(kind->valuestring, "enclaveAllow") == 0 || strcmp(kind->valuestring, "enclaveRemove") == 0
                   || strcmp(kind->valuestring, "workerAllow") == 0 || strcmp(kind->valuestring, "workerRemove") == 0) {
            const cJSON *m = cJSON_GetObjectItemCaseSensitive(root, "measurement");
            pl->kind = GOV_PAYLOAD_ENCLAVE;
            pl->remove = strstr(kind->valuestring, "Remove") != NULL;
            pl->list = kind->valuestring[0] == 'w' ? LEDGER_RUNTIME_WORKER : LEDGER_RUNTIME_ENCLAVE;
            if (!cJSON_IsString(m) || ledger_hex_decode_exact(pl->measurement, 32, m->valuestring) != ST_OK) {
                snprintf(err, errlen, "payload.measurement: not 0x and 64 hex digits");
                rc = ST_INVALID;
            }
        } else if (strcmp(kind->valuestring, "slashCancel") == 0) {
            const cJSON *id = cJSON_GetObjectItemCaseSensitive(root, "slash");
            pl->kind = GOV_PAYLOAD_SLASH;
            if (cJSON_IsNumber(id) && id->valuedouble >= 1 && id->valuedouble <= 9007199254740991.0
                && id->valuedouble == (double)(uint64_t)id->valuedouble) {
                pl->slash = (uint64_t)id->valuedouble;
            } else {
                snprintf(err, errlen, "payload.slash: the id of a deferred slash (a positive integer) is needed");
                rc = ST_INVALID;
            }
        } else if (strcmp(kind->valuestring, "poll") == 0) {
            pl->kind = GOV_PAYLOAD_POLL;
            rc = poll_parse(pl, err, errlen, root);
        } else {
            snprintf(err, errlen, "payload.kind: \"%s\" is not text, param, spend, enclaveAllow, enclaveRemove, "
                     "workerAllow, workerRemove, slashCancel or poll",
                     kind->valuestring);
            rc = ST_INVALID;
        }
        cJSON_Delete(root);
        if (rc != ST_OK)
            return rc;
    }
    static const char *const kinds[] = { "text", "param", "spend", "enclave", "slash", "poll" };
    if (!(t->payloads & pl->kind)) {
        unsigned k = 0;
        while ((1u << k) != pl->kind)
            k++;
        snprintf(err, errlen, "message.payload: track %s does not take %s payloads", t->name, kinds[k]);
        return ST_INVALID;
    }
    if (pl->kind == GOV_PAYLOAD_SPEND && mpz_sgn(t->spend_cap) > 0 && mpz_cmp(pl->amount, t->spend_cap) > 0) {
        char cap[LEDGER_AMOUNT_STRLEN];
        ledger_amount_format(cap, t->spend_cap);
        snprintf(err, errlen, "payload.amount: above the %s track's spend cap of %s", t->name, cap);
        return ST_INVALID;
    }
    return ST_OK;
}

/* Validates the Propose members against the tracks and governed parameters in force. */
static int propose_parse(const gov_params *params, gov_param_lookup_fn lookup, payload *pl, const gov_track **track,
                         char *err, size_t errlen, const gov_propose_msg *m)
{
    char tname[GOV_TRACK_NAME_MAX];
    if (m->track_len >= sizeof tname || !(*track = (memcpy(tname, m->track, m->track_len), tname[m->track_len] = 0,
                                                    gov_track_find(params, tname)))) {
        snprintf(err, errlen, "message.track: no such track (%.*s)", (int)(m->track_len < 32 ? m->track_len : 32),
                 (const char *)m->track);
        return ST_INVALID;
    }
    if (m->title_len == 0 || m->title_len > TITLE_MAX || memchr(m->title, 0, m->title_len)) {
        snprintf(err, errlen, "message.title: 1 to %d bytes needed", TITLE_MAX);
        return ST_INVALID;
    }
    if (m->body_len > BODY_MAX || memchr(m->body, 0, m->body_len) || memchr(m->payload, 0, m->payload_len)) {
        snprintf(err, errlen, "message.body: at most %d bytes of text", BODY_MAX);
        return ST_INVALID;
    }
    return payload_parse(lookup, pl, err, errlen, m->payload, m->payload_len, *track);
}

static void payload_init(payload *pl)
{
    memset(pl, 0, sizeof *pl);
    mpz_inits(pl->value, pl->amount, NULL);
}

static void payload_clear(payload *pl)
{
    mpz_clears(pl->value, pl->amount, NULL);
}

int gov_check_propose(const gov_params *params, gov_param_lookup_fn param_lookup, char *err, size_t errlen,
                      const gov_propose_msg *m)
{
    payload pl;
    payload_init(&pl);
    const gov_track *t;
    int rc = propose_parse(params, param_lookup, &pl, &t, err, errlen, m);
    payload_clear(&pl);
    return rc;
}

/* ---- helpers inside a block ---- */

static int move(gov_apply *a, const ledger_account *from, const ledger_account *to, const mpz_t amount, const char *code)
{
    if (mpz_sgn(amount) == 0)
        return ST_OK;
    int rc = ledger_transfer(a->l, from, to, amount, code);
    if (rc == ST_INSUFFICIENT || rc == ST_OVERFLOW) {
        char need[LEDGER_AMOUNT_STRLEN];
        ledger_amount_format(need, amount);
        return ledger_fail(a->r, rc, rc == ST_OVERFLOW ? "the receiving balance would reach 2^256"
                                                       : "insufficient balance: %s needed", need);
    }
    return rc;
}

ledger_ev *gov_proposal_event(gov_apply *a, const char *type, uint64_t id)
{
    size_t mark = ledger_events_mark(a->r);
    ledger_ev *ev = ledger_event(a->r, type);
    if (ev && !ledger_event_number(ev, "proposal", (double)id)) {
        ledger_events_truncate(a->r, mark);
        return NULL;
    }
    return ev;
}

int gov_load_proposal(gov_apply *a, uint64_t id, gov_proposal *p)
{
    int rc = gov_proposal_get(a->s, id, p);
    if (rc == ST_NOTFOUND)
        return ledger_fail(a->r, rc, "no proposal %llu", (unsigned long long)id);
    return rc;
}

/* Settles the deposit: burn_ppm of it burned (floored), the rest back to the proposer's free
 * balance. Out: burned and returned (may be NULL). */
static int settle_deposit(gov_apply *a, const gov_proposal *p, uint32_t burn_ppm, const char *burn_code, mpz_t burned,
                          mpz_t returned)
{
    mpz_t burn, rest;
    mpz_inits(burn, rest, NULL);
    mpz_mul_ui(burn, p->deposit, burn_ppm);
    mpz_fdiv_q_ui(burn, burn, LEDGER_PPM);
    mpz_sub(rest, p->deposit, burn);
    ledger_account escrow = ledger_user_account(LEDGER_ESCROW, p->proposer), free_acc = ledger_user_account(LEDGER_FREE, p->proposer),
                   issuance = ledger_system_account(LEDGER_ISSUANCE);
    int rc = move(a, &escrow, &issuance, burn, burn_code);
    if (rc == ST_OK)
        rc = move(a, &escrow, &free_acc, rest, "gov_deposit_return");
    if (burned)
        mpz_set(burned, burn);
    if (returned)
        mpz_set(returned, rest);
    mpz_clears(burn, rest, NULL);
    return rc;
}

/* The whole deposit back to the proposer's free balance. */
static int return_deposit(gov_apply *a, const gov_proposal *p)
{
    return settle_deposit(a, p, 0, NULL, NULL, NULL);
}

static int set_reason(gov_proposal *p, const char *reason)
{
    free(p->reason);
    p->reason = strdup(reason);
    return p->reason ? ST_OK : ST_NOMEM;
}

/* ---- signed transactions ---- */

/* ST_OK if slash id is waiting to apply; a failure with the reason otherwise. */
static int pending_slash(gov_apply *a, uint64_t id)
{
    ledger_slash sl;
    int rc = ledger_slash_get(a->l, id, &sl);
    if (rc == ST_NOTFOUND)
        return ledger_fail(a->r, rc, "no slash %llu", (unsigned long long)id);
    if (rc == ST_OK && sl.state != LEDGER_SLASH_PENDING)
        return ledger_fail(a->r, ST_CONFLICT, "slash %llu was already %s", (unsigned long long)id,
                           sl.state == LEDGER_SLASH_APPLIED ? "applied" : "canceled");
    return rc;
}

int gov_propose(gov_apply *a, const uint8_t proposer[20], const gov_propose_msg *m)
{
    const gov_params *gp = a->params;
    const gov_track *t = NULL;
    payload pl;
    payload_init(&pl);
    gov_proposal p;
    gov_proposal_init(&p);
    mpz_t power, delegated, delegated_weight;
    mpz_inits(power, delegated, delegated_weight, NULL);
    char t1[LEDGER_AMOUNT_STRLEN], t2[LEDGER_AMOUNT_STRLEN];
    /* parameters may have changed since the check */
    int rc = propose_parse(gp, a->param_lookup, &pl, &t, a->r->err, sizeof a->r->err, m);
    if (rc != ST_OK)
        goto out;
    if (pl.kind == GOV_PAYLOAD_SLASH && (rc = pending_slash(a, pl.slash)) != ST_OK)
        goto out;
    p.snapshot = a->height - 1;
    if ((rc = gov_power_at(a->l, a->s, proposer, p.snapshot, power, delegated, delegated_weight)) != ST_OK)
        goto out;
    mpz_add(power, power, delegated);
    if (mpz_cmp(power, t->threshold) < 0) {
        ledger_amount_format(t1, power);
        ledger_amount_format(t2, t->threshold);
        rc = ledger_fail(a->r, ST_UNAUTHORIZED, "voting power %s at height %llu is below the %s track's threshold of %s", t1,
                         (unsigned long long)p.snapshot, t->name, t2);
        goto out;
    }
    ledger_account free_acc = ledger_user_account(LEDGER_FREE, proposer), escrow = ledger_user_account(LEDGER_ESCROW, proposer);
    if ((rc = move(a, &free_acc, &escrow, t->deposit, "gov_deposit")) != ST_OK) {
        if (rc == ST_INSUFFICIENT) {
            ledger_amount_format(t1, t->deposit);
            ledger_fail(a->r, rc, "insufficient free balance for the %s track's deposit of %s", t->name, t1);
        }
        goto out;
    }
    memcpy(p.proposer, proposer, 20);
    if (!(p.track = strndup((const char *)m->track, m->track_len)) || !(p.title = strndup((const char *)m->title, m->title_len))
        || !(p.body = strndup((const char *)m->body, m->body_len))
        || !(p.payload = strndup((const char *)m->payload, m->payload_len))) {
        rc = ST_NOMEM;
        goto out;
    }
    mpz_set(p.deposit, t->deposit);
    p.state = GOV_PENDING;
    if ((rc = gov_total_stake_at(a->s, p.snapshot, p.total_power)) != ST_OK)
        goto out;
    p.created = a->time;
    p.vote_start = a->time + t->voting_delay;
    p.vote_end = p.vote_start + t->voting_period;
    p.eta = p.vote_end + t->enactment_delay;
    p.expires = p.eta + gp->execution_grace;
    p.has_next_change = true;
    p.next_change = p.vote_start;
    if ((rc = gov_proposal_insert(a->s, &p)) != ST_OK
        || (pl.kind == GOV_PAYLOAD_POLL && (rc = gov_poll_open(a, p.id, pl.system, pl.choices, pl.secret)) != ST_OK))
        goto out;
    ledger_ev *ev = gov_proposal_event(a, "ProposalCreated", p.id);
    if (!ev || !ledger_event_address(ev, "proposer", p.proposer) || !ledger_event_string(ev, "track", p.track)
        || !ledger_event_amount(ev, "deposit", p.deposit) || !ledger_event_number(ev, "snapshot", (double)p.snapshot)
        || !ledger_event_amount(ev, "totalPower", p.total_power)
        || !ledger_event_number(ev, "voteStart", (double)p.vote_start)
        || !ledger_event_number(ev, "voteEnd", (double)p.vote_end) || !ledger_event_number(ev, "eta", (double)p.eta)
        || !ledger_event_number(ev, "expires", (double)p.expires))
        rc = ST_NOMEM;
out:
    mpz_clears(power, delegated, delegated_weight, NULL);
    gov_proposal_clear(&p);
    payload_clear(&pl);
    return rc;
}

int gov_cancel(gov_apply *a, const uint8_t signer[20], uint64_t id)
{
    gov_proposal p;
    gov_proposal_init(&p);
    mpz_t burn, rest;
    mpz_inits(burn, rest, NULL);
    int rc = gov_load_proposal(a, id, &p);
    if (rc != ST_OK)
        goto out;
    if (memcmp(p.proposer, signer, 20) != 0) {
        rc = ledger_fail(a->r, ST_UNAUTHORIZED, "only the proposer may cancel proposal %llu", (unsigned long long)id);
        goto out;
    }
    if (p.state != GOV_PENDING) {
        rc = ledger_fail(a->r, ST_CONFLICT, "proposal %llu is %s: only a Pending proposal can be canceled", (unsigned long long)id,
                         gov_state_name(p.state));
        goto out;
    }
    if ((rc = settle_deposit(a, &p, a->params->cancel_burn_ppm, "gov_cancel_burn", burn, rest)) != ST_OK)
        goto out;
    p.state = GOV_CANCELED;
    p.has_next_change = false;
    if ((rc = gov_proposal_update(a->s, &p)) != ST_OK)
        goto out;
    ledger_ev *ev = gov_proposal_event(a, "ProposalCanceled", id);
    if (!ev || !ledger_event_amount(ev, "burned", burn) || !ledger_event_amount(ev, "returned", rest))
        rc = ST_NOMEM;
out:
    mpz_clears(burn, rest, NULL);
    gov_proposal_clear(&p);
    return rc;
}

/* Applies a payload; a failure leaves a->r->err and is undone by the caller's savepoint. On success
 * *set_param says whether pl holds a parameter change (pl->name, pl->value) for the engine to apply. */
static int apply_payload(gov_apply *a, const gov_proposal *p, payload *pl, bool *set_param)
{
    const gov_track *t = gov_track_find(a->params, p->track);
    *set_param = false;
    if (!t)
        return ledger_fail(a->r, ST_INVALID, "the track %s no longer exists", p->track);
    int rc = payload_parse(a->param_lookup, pl, a->r->err, sizeof a->r->err, (const uint8_t *)p->payload, strlen(p->payload), t);
    if (rc != ST_OK)
        return rc;
    if (pl->kind == GOV_PAYLOAD_SPEND) {
        ledger_account from = ledger_system_account(LEDGER_TREASURY), to = ledger_user_account(LEDGER_FREE, pl->to);
        rc = move(a, &from, &to, pl->amount, "gov_spend");
        if (rc == ST_INSUFFICIENT) {
            char need[LEDGER_AMOUNT_STRLEN];
            ledger_amount_format(need, pl->amount);
            ledger_fail(a->r, rc, "the treasury holds less than the %s to spend", need);
        }
        ledger_ev *ev = rc == ST_OK ? gov_proposal_event(a, "TreasurySpend", p->id) : NULL;
        if (rc == ST_OK && (!ev || !ledger_event_address(ev, "to", pl->to) || !ledger_event_amount(ev, "amount", pl->amount)))
            rc = ST_NOMEM;
    } else if (pl->kind == GOV_PAYLOAD_PARAM) {
        char *text = mpz_get_str(NULL, 10, pl->value);
        rc = text ? gov_param_put(a->s, pl->name, text, a->height, p->id) : ST_NOMEM;
        ledger_ev *ev = rc == ST_OK ? gov_proposal_event(a, "ParameterChanged", p->id) : NULL;
        if (rc == ST_OK && (!ev || !ledger_event_string(ev, "name", pl->name) || !ledger_event_string(ev, "value", text)))
            rc = ST_NOMEM;
        free(text);
        *set_param = rc == ST_OK;
    } else if (pl->kind == GOV_PAYLOAD_ENCLAVE) {
        bool has = false;
        rc = ledger_allowlist_has(a->l, pl->list, pl->measurement, &has);
        if (rc == ST_OK && has == !pl->remove)
            rc = ledger_fail(a->r, ST_CONFLICT, pl->remove ? "the measurement is not on the allowlist" : "the measurement is already allowed");
        else if (rc == ST_OK)
            rc = pl->remove ? ledger_allowlist_remove(a->l, pl->list, pl->measurement)
                            : ledger_allowlist_add(a->l, pl->list, pl->measurement);
        char hex[67];
        ledger_hex_encode(hex, pl->measurement, 32);
        static const char *const events[2][2] = { { "EnclaveAllowed", "EnclaveRemoved" }, { "WorkerRuntimeAllowed", "WorkerRuntimeRemoved" } };
        ledger_ev *ev = rc == ST_OK ? gov_proposal_event(a, events[pl->list][pl->remove], p->id) : NULL;
        if (rc == ST_OK && (!ev || !ledger_event_string(ev, "measurement", hex)))
            rc = ST_NOMEM;
    } else if (pl->kind == GOV_PAYLOAD_SLASH) {
        rc = pending_slash(a, pl->slash);
        if (rc == ST_OK)
            rc = ledger_slash_set_state(a->l, pl->slash, LEDGER_SLASH_CANCELED, p->id);
        ledger_ev *ev = rc == ST_OK ? gov_proposal_event(a, "SlashCanceled", p->id) : NULL;
        if (rc == ST_OK && (!ev || !ledger_event_number(ev, "slash", (double)pl->slash)))
            rc = ST_NOMEM;
    }
    return rc;
}

int gov_execute(gov_apply *a, gov_param_change *change, uint64_t id)
{
    gov_proposal p;
    gov_proposal_init(&p);
    payload pl;
    payload_init(&pl);
    change->set = false;
    int rc = gov_load_proposal(a, id, &p);
    if (rc != ST_OK)
        goto out;
    if (p.state != GOV_QUEUED || a->time < p.eta || a->time >= p.expires) {
        rc = ledger_fail(a->r, ST_CONFLICT, "proposal %llu is %s: it can be executed only when Queued, from %llu until %llu",
                         (unsigned long long)id, gov_state_name(p.state), (unsigned long long)p.eta, (unsigned long long)p.expires);
        goto out;
    }
    if ((rc = gov_savepoint_begin(a->s)) != ST_OK)
        goto out;
    size_t mark = ledger_events_mark(a->r);
    bool set_param = false;
    int applied = apply_payload(a, &p, &pl, &set_param);
    if (applied == ST_DB || applied == ST_NOMEM) {
        rc = applied;
        goto out;
    }
    if ((rc = gov_savepoint_end(a->s, applied == ST_OK)) != ST_OK)
        goto out;
    if (applied != ST_OK) {
        /* nothing of the payload stays: its events go too */
        ledger_events_truncate(a->r, mark);
        if ((rc = set_reason(&p, a->r->err)) != ST_OK)
            goto out;
        a->r->err[0] = 0;
    }
    p.state = applied == ST_OK ? GOV_EXECUTED : GOV_FAILED;
    p.has_next_change = false;
    if ((rc = gov_proposal_update(a->s, &p)) != ST_OK || (rc = return_deposit(a, &p)) != ST_OK)
        goto out;
    ledger_ev *ev = gov_proposal_event(a, applied == ST_OK ? "ProposalExecuted" : "ProposalFailed", id);
    if (!ev || (p.reason && applied != ST_OK && !ledger_event_string(ev, "reason", p.reason)))
        rc = ST_NOMEM;
    /* the new value is in force at once (the row is already written in this block): the engine sets it */
    if (rc == ST_OK && set_param) {
        change->set = true;
        memcpy(change->name, pl.name, sizeof change->name);
        mpz_set(change->value, pl.value);
    }
out:
    payload_clear(&pl);
    gov_proposal_clear(&p);
    return rc;
}

/* ---- the clock ---- */

/* The PollCounted event of poll p: its scores (base units, in choice order), the power of its
 * ballots, how many there are, and the winning choice (1-based; null without ballots). */
static int poll_counted_event(gov_apply *a, const gov_proposal *p, const gov_poll_results *r)
{
    ledger_ev *ev = gov_proposal_event(a, "PollCounted", p->id);
    int winner = gov_poll_results_winner(r);
    if (!ev || !ledger_event_string(ev, "system", gov_poll_system_name(r->system))
        || !ledger_event_amounts(ev, "scores", (const mpz_t *)r->scores, r->n)
        || !ledger_event_amount(ev, "scoresTotal", r->power) || !ledger_event_number(ev, "ballots", (double)r->ballots)
        || !(winner < 0 ? ledger_event_null(ev, "winner") : ledger_event_number(ev, "winner", winner + 1)))
        return ST_NOMEM;
    return ST_OK;
}

int gov_poll_outcome(gov_apply *a, gov_proposal *p)
{
    const gov_track *t = gov_track_find(a->params, p->track);
    mpz_t needed, burned;
    mpz_inits(needed, burned, NULL);
    bool quorum = false;
    if (t) {
        gov_quorum(needed, p, t);
        quorum = mpz_cmp(p->turnout, needed) >= 0;
    }
    p->has_next_change = false;
    ledger_ev *ev;
    int rc;
    if (quorum) {
        p->state = GOV_SUCCEEDED;
        rc = return_deposit(a, p);
        ev = rc == ST_OK ? gov_proposal_event(a, "ProposalSucceeded", p->id) : NULL;
        if (rc == ST_OK && (!ev || !ledger_event_amount(ev, "turnout", p->turnout)))
            rc = ST_NOMEM;
        goto out;
    }
    p->state = GOV_DEFEATED;
    if ((rc = set_reason(p, "quorum not reached")) == ST_OK)
        rc = settle_deposit(a, p, t ? t->no_quorum_burn_ppm : 0, "gov_no_quorum_burn", burned, NULL);
    ev = rc == ST_OK ? gov_proposal_event(a, "ProposalDefeated", p->id) : NULL;
    if (rc == ST_OK && (!ev || !ledger_event_string(ev, "reason", p->reason) || !ledger_event_amount(ev, "turnout", p->turnout)
                        || (mpz_sgn(burned) > 0 && !ledger_event_amount(ev, "burned", burned))))
        rc = ST_NOMEM;
out:
    mpz_clears(needed, burned, NULL);
    return rc;
}

/* A secret poll at its close: its standing ballots are fixed by their hash and it is Counting until
 * an enclave's count of them lands (secret.c); nothing is settled before. */
static int start_count(gov_apply *a, gov_proposal *p)
{
    uint8_t hash[32];
    char hex[67];
    uint64_t count = 0;
    int rc = gov_secret_ballots_hash(a->s, p->id, hash, &count);
    if (rc == ST_OK)
        rc = gov_poll_set_ballots_hash(a->s, p->id, hash);
    if (rc != ST_OK)
        return rc;
    p->state = GOV_COUNTING;
    p->has_next_change = false;
    ledger_hex_encode(hex, hash, 32);
    ledger_ev *ev = gov_proposal_event(a, "ProposalCounting", p->id);
    if (!ev || !ledger_event_number(ev, "ballots", (double)count) || !ledger_event_amount(ev, "turnout", p->turnout)
        || !ledger_event_string(ev, "ballotsHash", hex))
        return ST_NOMEM;
    return ST_OK;
}

/* Closes a poll: an open poll's scores are counted and published and gov_poll_outcome settles it; a
 * secret poll starts Counting. Returns: ST_NOTFOUND when p is not a poll; as the rules otherwise. */
static int close_poll(gov_apply *a, gov_proposal *p)
{
    int rc;
    enum gov_poll_kind kind = gov_poll_kind_of(a, p->id, &rc);
    if (rc != ST_OK)
        return rc;
    if (kind == GOV_NOT_POLL)
        return ST_NOTFOUND;
    if (kind == GOV_SECRET_POLL)
        return start_count(a, p);
    gov_poll_results r;
    gov_poll_results_init(&r);
    if ((rc = gov_poll_close(a, p->id, &r)) == ST_OK && (rc = poll_counted_event(a, p, &r)) == ST_OK)
        rc = gov_poll_outcome(a, p);
    gov_poll_results_clear(&r);
    return rc;
}

/* Closes the vote: quorum on raw power, approval on weights (a tie fails); a poll by its quorum. */
static int close_vote(gov_apply *a, gov_proposal *p)
{
    int poll_rc = close_poll(a, p);
    if (poll_rc != ST_NOTFOUND)
        return poll_rc;
    const gov_track *t = gov_track_find(a->params, p->track);
    bool quorum = false, approval = false;
    if (t)
        gov_tally_check(p, t, &quorum, &approval);
    int rc = ST_OK;
    ledger_ev *ev;
    if (quorum && approval) {
        p->state = GOV_QUEUED;
        p->has_next_change = true;
        p->next_change = p->expires;
        ev = gov_proposal_event(a, "ProposalSucceeded", p->id);
        if (!ev || !ledger_event_amount(ev, "for", p->for_weight) || !ledger_event_amount(ev, "against", p->against_weight)
            || !ledger_event_amount(ev, "abstain", p->abstain_weight))
            return ST_NOMEM;
        ev = gov_proposal_event(a, "ProposalQueued", p->id);
        if (!ev || !ledger_event_number(ev, "eta", (double)p->eta) || !ledger_event_number(ev, "expires", (double)p->expires))
            return ST_NOMEM;
    } else {
        const char *why = !quorum ? "quorum not reached" : "approval not reached";
        p->state = GOV_DEFEATED;
        p->has_next_change = false;
        mpz_t burned;
        mpz_init(burned);
        /* the track may burn part of the deposit of a proposal too few cared to vote on */
        if ((rc = set_reason(p, why)) == ST_OK)
            rc = settle_deposit(a, p, !quorum && t ? t->no_quorum_burn_ppm : 0, "gov_no_quorum_burn", burned, NULL);
        ev = rc == ST_OK ? gov_proposal_event(a, "ProposalDefeated", p->id) : NULL;
        if (rc == ST_OK
            && (!ev || !ledger_event_string(ev, "reason", why) || !ledger_event_amount(ev, "turnout", p->turnout)
                || !ledger_event_amount(ev, "for", p->for_weight) || !ledger_event_amount(ev, "against", p->against_weight)
                || (mpz_sgn(burned) > 0 && !ledger_event_amount(ev, "burned", burned))))
            rc = ST_NOMEM;
        mpz_clear(burned);
        return rc;
    }
    return rc;
}

/* Moves one proposal on as far as the clock allows. */
static int advance_proposal(gov_apply *a, uint64_t id)
{
    gov_proposal p;
    gov_proposal_init(&p);
    int rc = gov_proposal_get(a->s, id, &p);
    while (rc == ST_OK && p.has_next_change && p.next_change <= a->time) {
        if (p.state == GOV_PENDING) {
            p.state = GOV_ACTIVE;
            p.next_change = p.vote_end;
            ledger_ev *ev = gov_proposal_event(a, "ProposalActive", id);
            if (!ev || !ledger_event_number(ev, "voteEnd", (double)p.vote_end))
                rc = ST_NOMEM;
        } else if (p.state == GOV_ACTIVE) {
            rc = close_vote(a, &p);
        } else if (p.state == GOV_QUEUED) {
            p.state = GOV_EXPIRED;
            p.has_next_change = false;
            rc = return_deposit(a, &p);
            if (rc == ST_OK && !gov_proposal_event(a, "ProposalExpired", id))
                rc = ST_NOMEM;
        } else {
            p.has_next_change = false;
        }
    }
    if (rc == ST_OK)
        rc = gov_proposal_update(a->s, &p);
    gov_proposal_clear(&p);
    return rc;
}

int gov_tick(gov_apply *a)
{
    uint64_t ids[TICK_BATCH];
    unsigned n = 0;
    int rc;
    do {
        if ((rc = gov_proposal_due(a->s, a->time, ids, TICK_BATCH, &n)) != ST_OK)
            return rc;
        for (unsigned i = 0; i < n && rc == ST_OK; i++)
            rc = advance_proposal(a, ids[i]);
    } while (rc == ST_OK && n == TICK_BATCH);
    return rc;
}

void gov_param_change_init(gov_param_change *c)
{
    memset(c, 0, sizeof *c);
    mpz_init(c->value);
}

void gov_param_change_clear(gov_param_change *c)
{
    if (!c || !c->value->_mp_d)
        return;
    mpz_clear(c->value);
    memset(c, 0, sizeof *c);
}
