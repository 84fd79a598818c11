/* SPDX-License-Identifier: MIT */
/* m_gov.c: gov_* methods, the read side of governance: the tracks and governed parameters, the
 * proposals (newest first, by state and track) with their timeline and tally, a poll's results
 * (a secret poll's only once the enclave's count landed, with its proof), a secret poll's ballots
 * (ciphertexts and the ballots hash), the votes and ballots, an address's voting power, delegation and locks. A tally is read from the
 * proposal's row (a poll's from its own), kept incrementally by the engine: it costs the same with
 * ten votes or a million (ranked-choice's running result excepted: it counts every ballot).
 * Amounts are canonical decimal strings; lists page with an exclusive cursor ("next", null at the
 * end). */
#include "node/methods_int.h"

#include <stdlib.h>
#include <string.h>
#include "enclave/count_report.h"
#include "engine/governance.h"
#include "governance/ballots.h"
#include "governance/rules.h"
#include "ledger/amount.h"
#include "ledger/hex.h"

static const char *const sides[] = { "against", "for", "abstain" };

/* ---- params ---- */

/* Reads the proposal named by param name; an unknown one is -32003. Out: p (initialized by caller). */
/* How a method reads its proposal: whole (gov_proposal_get) or its tally (gov_proposal_tally_get). */
typedef int (*proposal_reader)(gov_store *s, uint64_t id, gov_proposal *p);

/* The proposal whose id is the param name, read by read. */
static int param_proposal_by(struct rpc_ctx *ctx, const cJSON *params, const char *name, proposal_reader read,
                             gov_proposal *p)
{
    uint64_t id;
    int rc = node_param_u64(ctx, params, name, NULL, &id);
    if (rc != ST_OK)
        return rc;
    return node_row_error(ctx, read(eng_gov_store(node_engine(ctx)), id, p), "proposal", id);
}

static int param_proposal(struct rpc_ctx *ctx, const cJSON *params, const char *name, gov_proposal *p)
{
    return param_proposal_by(ctx, params, name, gov_proposal_get, p);
}

/* An optional address cursor. Out: *has whether one was given. */
static int param_address_cursor(struct rpc_ctx *ctx, const cJSON *params, uint8_t cursor[20], bool *has)
{
    *has = node_given(params, "cursor");
    return *has ? node_param_address(ctx, params, "cursor", cursor) : ST_OK;
}

/* ---- writers ---- */

static bool add_payloads(cJSON *obj, unsigned mask)
{
    static const char *const names[] = { "text", "param", "spend", "enclave", "slash", "poll" };
    cJSON *arr = cJSON_AddArrayToObject(obj, "payloads");
    for (unsigned i = 0; arr && i < sizeof names / sizeof names[0]; i++) {
        cJSON *n = (mask & (1u << i)) ? cJSON_CreateString(names[i]) : NULL;
        if ((mask & (1u << i)) && (!n || !cJSON_AddItemToArray(arr, n))) {
            cJSON_Delete(n);
            return false;
        }
    }
    return arr != NULL;
}

static bool add_track(cJSON *arr, const gov_track *t)
{
    cJSON *o = node_append_object(arr);
    return o && cJSON_AddStringToObject(o, "name", t->name) && node_add_amount(o, "deposit", t->deposit)
           && node_add_amount(o, "threshold", t->threshold) && node_add_u64(o, "votingDelay", t->voting_delay)
           && node_add_u64(o, "votingPeriod", t->voting_period) && node_add_u64(o, "enactmentDelay", t->enactment_delay)
           && node_add_u64(o, "quorumPpm", t->quorum_ppm) && node_add_u64(o, "approvalPpm", t->approval_ppm)
           && node_add_u64(o, "noQuorumBurnPpm", t->no_quorum_burn_ppm)
           && node_add_amount(o, "spendCap", t->spend_cap) && add_payloads(o, t->payloads);
}

/* The tally object: the weights, the raw turnout, the quorum it needs and how the vote stands. */
static bool add_tally(cJSON *obj, const char *key, const gov_params *gp, const gov_proposal *p)
{
    const gov_track *t = gov_track_find(gp, p->track);
    bool quorum = false, approval = false;
    mpz_t needed;
    mpz_init(needed);
    if (t) {
        gov_tally_check(p, t, &quorum, &approval);
        gov_quorum(needed, p, t);
    }
    cJSON *o = cJSON_CreateObject();
    bool ok = node_add_item(obj, key, o) && node_add_amount(o, "for", p->for_weight)
              && node_add_amount(o, "against", p->against_weight) && node_add_amount(o, "abstain", p->abstain_weight)
              && node_add_amount(o, "turnout", p->turnout) && node_add_amount(o, "totalPower", p->total_power)
              && node_add_amount(o, "quorum", needed) && node_add_item(o, "quorumReached", cJSON_CreateBool(quorum))
              && node_add_item(o, "approvalReached", cJSON_CreateBool(approval));
    mpz_clear(needed);
    return ok;
}

static bool add_nullable_u64(cJSON *obj, const char *key, bool has, uint64_t v)
{
    return has ? node_add_u64(obj, key, v) : cJSON_AddNullToObject(obj, key) != NULL;
}

/* gov_getProposal's "counting": what a Counting poll waits for (docs/API.md lists every text). */
static const char *counting_text(eng *e, uint64_t proposal)
{
    switch (eng_count_state_of(e, proposal, NULL)) {
    case ENG_COUNT_BEING_COUNTED: return "being counted by the enclave";
    case ENG_COUNT_NO_ENCLAVE: return "waiting for an allowlisted enclave";
    case ENG_COUNT_HANDOVER: return "waiting for the ballot key's handover";
    case ENG_COUNT_NO_KEY: return "waiting for the enclave's ballot key";
    case ENG_COUNT_RETRY: return "waiting to be counted again after a refused count";
    case ENG_COUNT_QUEUED: break;
    }
    return "queued for the enclave";
}

static bool add_proposal(cJSON *o, eng *e, const gov_proposal *p)
{
    const gov_params *gp = eng_gov_params(e);
    cJSON *timeline;
    bool ok = node_add_u64(o, "id", p->id) && node_add_address(o, "proposer", p->proposer)
              && cJSON_AddStringToObject(o, "track", p->track) && cJSON_AddStringToObject(o, "title", p->title)
              && cJSON_AddStringToObject(o, "body", p->body)
              && (p->payload && *p->payload ? node_add_json(o, "payload", p->payload) : cJSON_AddNullToObject(o, "payload") != NULL)
              && node_add_amount(o, "deposit", p->deposit) && cJSON_AddStringToObject(o, "state", gov_state_name(p->state))
              && node_add_u64(o, "snapshot", p->snapshot) && (timeline = cJSON_AddObjectToObject(o, "timeline"))
              && node_add_u64(timeline, "created", p->created) && node_add_u64(timeline, "voteStart", p->vote_start)
              && node_add_u64(timeline, "voteEnd", p->vote_end) && node_add_u64(timeline, "eta", p->eta)
              && node_add_u64(timeline, "expires", p->expires)
              && add_nullable_u64(o, "nextChange", p->has_next_change, p->next_change)
              && (p->reason ? cJSON_AddStringToObject(o, "reason", p->reason) : cJSON_AddNullToObject(o, "reason")) != NULL
              && add_tally(o, "tally", gp, p)
              && (p->state != GOV_COUNTING || cJSON_AddStringToObject(o, "counting", counting_text(e, p->id)));
    return ok;
}

/* A vote's side, or for a ballot "support": null and "choice": its JSON text (null for a secret
 * ballot, whose ciphertext gov_getSecretBallots shows). */
static bool add_support(cJSON *o, const gov_vote *v)
{
    if (v->ciphertext)
        return cJSON_AddNullToObject(o, "support") && cJSON_AddNullToObject(o, "choice");
    if (v->choice)
        return cJSON_AddNullToObject(o, "support") && cJSON_AddStringToObject(o, "choice", v->choice);
    return cJSON_AddStringToObject(o, "support", sides[v->support % 3]) != NULL;
}

bool node_add_vote(cJSON *o, const gov_vote *v)
{
    mpz_t total;
    mpz_init(total);
    mpz_add(total, v->weight, v->delegated_weight);
    bool ok = node_add_u64(o, "proposal", v->proposal) && node_add_address(o, "voter", v->voter)
              && add_support(o, v) && node_add_u64(o, "conviction", v->conviction)
              && node_add_amount(o, "power", v->power) && node_add_amount(o, "weight", v->weight)
              && node_add_amount(o, "delegatedPower", v->delegated_power)
              && node_add_amount(o, "delegatedWeight", v->delegated_weight) && node_add_amount(o, "totalWeight", total);
    mpz_clear(total);
    return ok;
}

/* node_id_page's fill for proposals; cookie: the engine. */
static int fill_proposal(void *cookie, cJSON *obj, uint64_t id)
{
    gov_proposal p;
    gov_proposal_init(&p);
    int rc = gov_proposal_get(eng_gov_store(cookie), id, &p);
    if (rc == ST_OK && !add_proposal(obj, cookie, &p))
        rc = ST_NOMEM;
    gov_proposal_clear(&p);
    return rc;
}

/* ---- methods ---- */

static int list_tracks(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    (void)params;
    const gov_params *gp = eng_gov_params(node_engine(ctx));
    cJSON *out = cJSON_CreateObject(), *tracks = NULL;
    bool ok = out && node_add_u64(out, "lockPeriod", gp->lock_period) && node_add_u64(out, "executionGrace", gp->execution_grace)
              && node_add_u64(out, "cancelBurnPpm", gp->cancel_burn_ppm) && (tracks = cJSON_AddArrayToObject(out, "tracks"));
    for (unsigned i = 0; ok && i < gp->n_tracks; i++)
        ok = add_track(tracks, &gp->tracks[i]);
    return node_result(ok ? ST_OK : ST_NOMEM, out, result);
}

static int list_proposals(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    eng *e = node_engine(ctx);
    gov_state state = GOV_PENDING;
    const char *track = NULL;
    uint64_t cursor, ids[NODE_LIMIT_MAX];
    unsigned limit, n = 0;
    bool more = false;
    if (node_given(params, "state")) {
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(params, "state");
        if (!cJSON_IsString(st) || gov_state_parse(st->valuestring, &state) != ST_OK)
            return rpc_error(ctx, ST_INVALID, NULL,
                             "params.state: expected Pending, Active, Defeated, Succeeded, Queued, Executed, Expired, "
                             "Failed, Canceled or Counting");
    }
    if (node_given(params, "track")) {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(params, "track");
        if (!cJSON_IsString(t) || !gov_track_find(eng_gov_params(e), t->valuestring))
            return rpc_error(ctx, ST_INVALID, NULL, "params.track: not a track of this chain");
        track = t->valuestring;
    }
    int rc = node_param_cursor(ctx, params, &cursor);
    if (rc == ST_OK)
        rc = node_param_limit(ctx, params, &limit);
    if (rc == ST_OK)
        rc = gov_proposal_list(eng_gov_store(e), node_given(params, "state") ? (int)state : -1, track, cursor, limit, ids,
                               &n, &more);
    if (rc != ST_OK)
        return rc;
    return node_id_page(result, "proposals", ids, n, more, fill_proposal, e);
}

/* A method about the proposal named by params.id: add writes it into the result object. */
static int proposal_method(struct rpc_ctx *ctx, const cJSON *params, cJSON **result, proposal_reader read,
                           bool (*add)(cJSON *out, eng *e, const gov_proposal *p))
{
    gov_proposal p;
    gov_proposal_init(&p);
    cJSON *out = NULL;
    int rc = param_proposal_by(ctx, params, "id", read, &p);
    if (rc == ST_OK && (!(out = cJSON_CreateObject()) || !add(out, node_engine(ctx), &p)))
        rc = ST_NOMEM;
    gov_proposal_clear(&p);
    return node_result(rc, out, result);
}

static int get_proposal(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    return proposal_method(ctx, params, result, gov_proposal_get, add_proposal);
}

/* gov_getTally's answer: the proposal's id and state, and its tally (all gov_proposal_tally_get reads). */
static bool add_tally_of(cJSON *out, eng *e, const gov_proposal *p)
{
    return node_add_u64(out, "proposal", p->id) && node_add_item(out, "state", cJSON_CreateString(gov_state_name(p->state)))
           && add_tally(out, "tally", eng_gov_params(e), p);
}

static int get_tally(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    return proposal_method(ctx, params, result, gov_proposal_tally_get, add_tally_of);
}

/* An exact decimal string of any size (a poll's scores may pass 2^256: weights reach 6x the
 * stake), into an object under key or, key NULL, onto an array. */
static bool add_decimal(cJSON *arr_or_obj, const char *key, const mpz_t v)
{
    char *text = mpz_get_str(NULL, 10, v);
    cJSON *item = text ? cJSON_CreateString(text) : NULL;
    free(text);
    bool ok = item && (key ? cJSON_AddItemToObject(arr_or_obj, key, item) : cJSON_AddItemToArray(arr_or_obj, item));
    if (!ok)
        cJSON_Delete(item);
    return ok;
}

/* The scores of r (null for a secret poll not yet counted), its power, ballots and winner; for a
 * counted secret poll, rep is its parsed report (else NULL). */
static bool add_scores(cJSON *out, const gov_poll_results *r, const enc_count_report *rep)
{
    bool hidden = r->secret && !rep;
    int winner = hidden || (rep && rep->valid == 0) ? -1 : gov_poll_results_winner(r);
    cJSON *scores = hidden ? NULL : cJSON_AddArrayToObject(out, "scores");
    if (hidden ? !cJSON_AddNullToObject(out, "scores") : !scores)
        return false;
    for (unsigned i = 0; scores && i < r->n; i++)
        if (!add_decimal(scores, NULL, r->scores[i]))
            return false;
    /* every standing open ballot was read by its system before it was stored: all are valid; a
     * secret poll's validity is the enclave's count */
    bool votes = !r->secret ? node_add_u64(out, "validVotes", r->ballots) && node_add_u64(out, "totalVotes", r->ballots)
                 : rep ? node_add_u64(out, "validVotes", rep->valid) && node_add_u64(out, "invalidVotes", rep->invalid)
                             && node_add_u64(out, "totalVotes", rep->count)
                       : cJSON_AddNullToObject(out, "validVotes") && cJSON_AddNullToObject(out, "invalidVotes")
                             && node_add_u64(out, "totalVotes", r->ballots);
    return votes && add_decimal(out, "scoresTotal", r->power)
           && (winner < 0 ? cJSON_AddNullToObject(out, "winner") : cJSON_AddNumberToObject(out, "winner", winner + 1));
}

/* A counted secret poll's proof: the enclave, its measurement, the ballots hash, the report and its
 * signature, as the count landed. */
static bool add_count_proof(cJSON *out, const gov_secret_count_row *row, const enc_count_report *rep)
{
    char *report = ledger_hex_encode_alloc(row->report, row->report_len);
    bool ok = report && node_add_address(out, "enclave", row->enclave) && node_add_hex(out, "measurement", row->measurement, 32)
              && node_add_hex(out, "ballotsHash", rep->ballots_hash, 32) && cJSON_AddStringToObject(out, "report", report)
              && node_add_hex(out, "signature", row->signature, 65) && node_add_u64(out, "countedBlock", row->height);
    free(report);
    return ok;
}

/* Parses a stored count's report and signature (they were parsed before they landed).
 * Returns: ST_OK, ST_NOMEM, or ST_DB for a stored report that does not parse. */
static int parse_count(enc_count_report *rep, const gov_secret_count_row *row)
{
    const char *why = NULL;
    uint8_t *both = malloc(row->report_len + sizeof row->signature);
    if (!both)
        return ST_NOMEM;
    memcpy(both, row->report, row->report_len);
    memcpy(both + row->report_len, row->signature, sizeof row->signature);
    int rc = enc_count_report_parse(rep, &why, both, row->report_len + sizeof row->signature) == ST_OK ? ST_OK : ST_DB;
    free(both);
    return rc;
}

/* gov_getResults: a poll's scores in choice order (counted at the close, or the running result
 * while it is open; a secret poll's only once counted), with its choices from the payload. */
static int get_results(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    gov_proposal p;
    gov_proposal_init(&p);
    gov_poll_results r;
    gov_poll_results_init(&r);
    gov_secret_count_row count;
    memset(&count, 0, sizeof count);
    enc_count_report rep;
    bool has_count = false;
    cJSON *out = NULL, *payload = NULL;
    int rc = param_proposal(ctx, params, "id", &p);
    if (rc == ST_OK && (rc = gov_poll_results_get(eng_gov_store(node_engine(ctx)), p.id, &r)) == ST_NOTFOUND)
        rc = rpc_error(ctx, ST_INVALID, NULL, "params.id: proposal %llu is not a poll", (unsigned long long)p.id);
    if (rc == ST_OK && r.secret && r.counted) {
        /* a stored report was parsed before it landed */
        if ((rc = gov_secret_count_get(eng_gov_store(node_engine(ctx)), p.id, &count)) == ST_OK)
            rc = parse_count(&rep, &count);
        has_count = rc == ST_OK;
    }
    if (rc != ST_OK)
        goto out;
    payload = cJSON_Parse(p.payload);
    const cJSON *choices = cJSON_GetObjectItemCaseSensitive(payload, "choices");
    cJSON *copy = NULL;
    if (!(out = cJSON_CreateObject()) || !node_add_u64(out, "proposal", p.id)
        || !cJSON_AddStringToObject(out, "state", gov_state_name(p.state))
        || !cJSON_AddStringToObject(out, "system", gov_poll_system_name(r.system))
        || !cJSON_AddBoolToObject(out, "secret", r.secret) || !(copy = cJSON_Duplicate(choices, true))) {
        rc = ST_NOMEM;
        goto out;
    }
    if (!cJSON_AddItemToObject(out, "choices", copy)) {
        cJSON_Delete(copy);
        rc = ST_NOMEM;
        goto out;
    }
    bool final = r.counted || (p.state != GOV_PENDING && p.state != GOV_ACTIVE && p.state != GOV_COUNTING);
    if (!add_scores(out, &r, has_count ? &rep : NULL) || !cJSON_AddBoolToObject(out, "final", final)
        || (has_count && !add_count_proof(out, &count, &rep)))
        rc = ST_NOMEM;
out:
    gov_secret_count_row_clear(&count);
    cJSON_Delete(payload);
    gov_poll_results_clear(&r);
    gov_proposal_clear(&p);
    return node_result(rc, out, result);
}

/* A secret ballot as gov_getSecretBallots shows it. */
static bool add_secret_ballot(cJSON *o, const gov_vote *v)
{
    return node_add_address(o, "voter", v->voter) && node_add_u64(o, "conviction", v->conviction)
           && node_add_amount(o, "power", v->power) && node_add_amount(o, "weight", v->weight)
           && node_add_amount(o, "delegatedPower", v->delegated_power)
           && node_add_amount(o, "delegatedWeight", v->delegated_weight)
           && node_add_hex(o, "ciphertext", v->ciphertext, v->ciphertext_len);
}

/* gov_getSecretBallots: a secret poll's standing ballots by voter, with their ciphertexts and the
 * ballots hash (fixed at the close; while the poll is open, over the ballots standing now). */
static int get_secret_ballots(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    gov_store *gs = eng_gov_store(node_engine(ctx));
    gov_proposal p;
    gov_proposal_init(&p);
    gov_poll_row row;
    gov_poll_row_init(&row);
    gov_vote rows[NODE_LIMIT_MAX];
    for (unsigned i = 0; i < NODE_LIMIT_MAX; i++)
        gov_vote_init(&rows[i]);
    uint8_t cursor[20], hash[32];
    uint64_t count;
    bool has_cursor = false, more = false;
    unsigned limit, n = 0;
    cJSON *out = NULL, *arr = NULL;
    int rc = param_proposal(ctx, params, "id", &p);
    if (rc == ST_OK && ((rc = gov_poll_get(gs, p.id, &row)) == ST_NOTFOUND || (rc == ST_OK && !row.secret)))
        rc = rpc_error(ctx, ST_INVALID, NULL, "params.id: proposal %llu is not a secret poll", (unsigned long long)p.id);
    if (rc == ST_OK)
        rc = param_address_cursor(ctx, params, cursor, &has_cursor);
    if (rc == ST_OK)
        rc = node_param_limit(ctx, params, &limit);
    if (rc == ST_OK)
        rc = gov_vote_list(gs, p.id, has_cursor ? cursor : NULL, limit, rows, &n, &more);
    if (rc == ST_OK && row.has_ballots_hash)
        memcpy(hash, row.ballots_hash, 32);
    else if (rc == ST_OK)
        rc = gov_secret_ballots_hash(gs, p.id, hash, &count);
    if (rc == ST_OK && (!(out = cJSON_CreateObject()) || !node_add_u64(out, "proposal", p.id)
                        || !(arr = cJSON_AddArrayToObject(out, "ballots"))))
        rc = ST_NOMEM;
    for (unsigned i = 0; i < n && rc == ST_OK; i++) {
        cJSON *o = node_append_object(arr);
        if (!o || !rows[i].ciphertext || !add_secret_ballot(o, &rows[i]))
            rc = ST_NOMEM;
    }
    if (rc == ST_OK && (!node_add_hex(out, "ballotsHash", hash, 32) || !node_add_next_address(out, more, rows[n ? n - 1 : 0].voter)))
        rc = ST_NOMEM;
    for (unsigned i = 0; i < NODE_LIMIT_MAX; i++)
        gov_vote_clear(&rows[i]);
    gov_poll_row_clear(&row);
    gov_proposal_clear(&p);
    return node_result(rc, out, result);
}

static int get_votes(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    gov_proposal p;
    gov_proposal_init(&p);
    gov_vote rows[NODE_LIMIT_MAX];
    for (unsigned i = 0; i < NODE_LIMIT_MAX; i++)
        gov_vote_init(&rows[i]);
    uint8_t cursor[20];
    bool has_cursor = false, more = false;
    unsigned limit, n = 0;
    cJSON *out = NULL, *arr = NULL;
    int rc = param_proposal(ctx, params, "id", &p);
    if (rc == ST_OK)
        rc = param_address_cursor(ctx, params, cursor, &has_cursor);
    if (rc == ST_OK)
        rc = node_param_limit(ctx, params, &limit);
    if (rc == ST_OK)
        rc = gov_vote_list(eng_gov_store(node_engine(ctx)), p.id, has_cursor ? cursor : NULL, limit, rows, &n, &more);
    if (rc == ST_OK && (!(out = cJSON_CreateObject()) || !(arr = cJSON_AddArrayToObject(out, "votes"))))
        rc = ST_NOMEM;
    for (unsigned i = 0; i < n && rc == ST_OK; i++) {
        cJSON *o = node_append_object(arr);
        if (!o || !node_add_vote(o, &rows[i]))
            rc = ST_NOMEM;
    }
    if (rc == ST_OK && !node_add_next_address(out, more, rows[n ? n - 1 : 0].voter))
        rc = ST_NOMEM;
    for (unsigned i = 0; i < NODE_LIMIT_MAX; i++)
        gov_vote_clear(&rows[i]);
    gov_proposal_clear(&p);
    return node_result(rc, out, result);
}

static int get_vote(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    gov_proposal p;
    gov_proposal_init(&p);
    gov_vote v;
    gov_vote_init(&v);
    uint8_t voter[20];
    cJSON *out = NULL;
    int rc = param_proposal(ctx, params, "id", &p);
    if (rc == ST_OK)
        rc = node_param_address(ctx, params, "voter", voter);
    if (rc != ST_OK)
        goto out; /* an unknown proposal is an error, unlike a voter without a vote */
    rc = gov_vote_get(eng_gov_store(node_engine(ctx)), p.id, voter, &v);
    if (rc == ST_NOTFOUND) {
        rc = ST_OK;
        out = cJSON_CreateNull();
    } else if (rc == ST_OK && (!(out = cJSON_CreateObject()) || !node_add_vote(out, &v))) {
        rc = ST_NOMEM;
    }
out:
    gov_vote_clear(&v);
    gov_proposal_clear(&p);
    return node_result(rc, out, result);
}

static int voting_power(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    eng *e = node_engine(ctx);
    uint8_t address[20];
    uint64_t height = 0;
    bool has_height = false;
    int rc = node_param_address(ctx, params, "address", address);
    if (rc == ST_OK && node_given(params, "proposal") && node_given(params, "height"))
        return rpc_error(ctx, ST_INVALID, NULL, "params: give height or proposal, not both");
    if (rc == ST_OK && node_given(params, "proposal")) {
        gov_proposal p;
        gov_proposal_init(&p);
        if ((rc = param_proposal(ctx, params, "proposal", &p)) == ST_OK)
            height = p.snapshot;
        gov_proposal_clear(&p);
        has_height = true;
    } else if (rc == ST_OK) {
        rc = node_param_u64(ctx, params, "height", &has_height, &height);
    }
    if (rc != ST_OK)
        return rc;
    ledger_block head;
    if ((rc = ledger_block_head(eng_ledger(e), &head)) != ST_OK)
        return rc;
    if (!has_height)
        height = head.height;
    else if (height > head.height)
        return rpc_error(ctx, ST_INVALID, NULL, "params.height: %llu is beyond the head (%llu): its power is not known yet",
                         (unsigned long long)height, (unsigned long long)head.height);
    mpz_t own, delegated, weight, total;
    mpz_inits(own, delegated, weight, total, NULL);
    cJSON *out = NULL;
    rc = gov_power_at(eng_ledger(e), eng_gov_store(e), address, height, own, delegated, weight);
    mpz_add(total, own, delegated);
    /* the power is staked value (below 2^256); up to six times it may not be */
    if (rc == ST_OK && !ledger_amount_fits(weight))
        rc = rpc_error(ctx, ST_OVERFLOW, NULL, "the delegated weight of the address at height %llu is 2^256 or more",
                       (unsigned long long)height);
    if (rc == ST_OK
        && (!(out = cJSON_CreateObject()) || !node_add_address(out, "address", address) || !node_add_u64(out, "height", height)
            || !node_add_amount(out, "own", own) || !node_add_amount(out, "delegated", delegated)
            || !node_add_amount(out, "delegatedWeight", weight) || !node_add_amount(out, "total", total)))
        rc = ST_NOMEM;
    mpz_clears(own, delegated, weight, total, NULL);
    return node_result(rc, out, result);
}

static bool add_delegation(cJSON *o, const gov_delegation *d, const char *who, const uint8_t addr[20])
{
    return node_add_address(o, who, addr) && node_add_u64(o, "conviction", d->conviction) && node_add_u64(o, "since", d->since);
}

static int get_delegation(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    gov_store *gs = eng_gov_store(node_engine(ctx));
    uint8_t address[20], cursor[20];
    bool has_cursor = false, more = false;
    unsigned limit, n = 0;
    gov_delegation d, rows[NODE_LIMIT_MAX];
    int rc = node_param_address(ctx, params, "address", address);
    if (rc == ST_OK)
        rc = param_address_cursor(ctx, params, cursor, &has_cursor);
    if (rc == ST_OK)
        rc = node_param_limit(ctx, params, &limit);
    if (rc == ST_OK)
        rc = gov_delegators_list(gs, address, has_cursor ? cursor : NULL, limit, rows, &n, &more);
    if (rc != ST_OK)
        return rc;
    cJSON *out = cJSON_CreateObject(), *to = NULL, *arr = NULL;
    rc = out && node_add_address(out, "address", address) ? ST_OK : ST_NOMEM;
    if (rc == ST_OK) {
        rc = gov_delegation_get(gs, address, &d);
        if (rc == ST_OK && (!(to = cJSON_AddObjectToObject(out, "delegation")) || !add_delegation(to, &d, "to", d.delegate)))
            rc = ST_NOMEM;
        else if (rc == ST_NOTFOUND)
            rc = cJSON_AddNullToObject(out, "delegation") ? ST_OK : ST_NOMEM;
    }
    if (rc == ST_OK && !(arr = cJSON_AddArrayToObject(out, "delegators")))
        rc = ST_NOMEM;
    for (unsigned i = 0; i < n && rc == ST_OK; i++) {
        cJSON *o = node_append_object(arr);
        if (!o || !add_delegation(o, &rows[i], "address", rows[i].delegator))
            rc = ST_NOMEM;
    }
    if (rc == ST_OK && !node_add_next_address(out, more, rows[n ? n - 1 : 0].delegator))
        rc = ST_NOMEM;
    return node_result(rc, out, result);
}

static int add_lock(void *ctx, uint64_t proposal, const mpz_t amount, uint64_t until)
{
    cJSON *o = node_append_object(ctx);
    bool ok = o && (proposal ? node_add_u64(o, "proposal", proposal) : cJSON_AddNullToObject(o, "proposal") != NULL)
              && cJSON_AddStringToObject(o, "reason", proposal ? "vote" : "undelegation") && node_add_amount(o, "amount", amount)
              && node_add_u64(o, "until", until);
    return ok ? ST_OK : ST_NOMEM;
}

static int get_locks(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    eng *e = node_engine(ctx);
    gov_store *gs = eng_gov_store(e);
    uint64_t now = eng_now(e), until = 0;
    uint8_t address[20];
    int rc = node_param_address(ctx, params, "address", address);
    if (rc != ST_OK)
        return rc;
    gov_delegation d;
    mpz_t locked;
    mpz_init(locked);
    cJSON *out = cJSON_CreateObject(), *locks = NULL, *dl = NULL;
    rc = out && node_add_address(out, "address", address) && node_add_u64(out, "now", now)
                 && (locks = cJSON_AddArrayToObject(out, "locks"))
             ? ST_OK
             : ST_NOMEM;
    if (rc == ST_OK)
        rc = gov_lock_each(gs, address, now, add_lock, locks);
    if (rc == ST_OK)
        rc = gov_lock_max(gs, address, now, locked, &until);
    if (rc == ST_OK && (!node_add_amount(out, "locked", locked) || !add_nullable_u64(out, "lockedUntil", until > 0, until)))
        rc = ST_NOMEM;
    /* a delegation with conviction holds the whole stake for as long as it lasts */
    if (rc == ST_OK) {
        rc = gov_delegation_get(gs, address, &d);
        if (rc == ST_OK && d.conviction > 0) {
            if (!(dl = cJSON_AddObjectToObject(out, "delegationLock")) || !node_add_address(dl, "to", d.delegate)
                || !node_add_u64(dl, "conviction", d.conviction) || !cJSON_AddNullToObject(dl, "until")
                || !cJSON_AddStringToObject(dl, "note", "while delegating")
                || !node_add_u64(dl, "lockPeriodsAfterUndelegate", gov_lock_periods(d.conviction)))
                rc = ST_NOMEM;
        } else if (rc == ST_OK || rc == ST_NOTFOUND) {
            rc = cJSON_AddNullToObject(out, "delegationLock") ? ST_OK : ST_NOMEM;
        }
    }
    mpz_clear(locked);
    return node_result(rc, out, result);
}

static int get_params(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    (void)params;
    eng *e = node_engine(ctx);
    cJSON *out = cJSON_CreateObject(), *arr = out ? cJSON_AddArrayToObject(out, "params") : NULL;
    mpz_t v;
    mpz_init(v);
    int rc = arr ? ST_OK : ST_NOMEM;
    for (unsigned i = 0; i < eng_param_count() && rc == ST_OK; i++) {
        const eng_param *p = eng_param_at(i);
        if (!p->governed)
            continue;
        cJSON *o = node_append_object(arr);
        eng_param_value(e, p, v);
        if (!o || !cJSON_AddStringToObject(o, "name", p->name) || !node_add_amount(o, "value", v)
            || !cJSON_AddStringToObject(o, "min", p->min) || !cJSON_AddStringToObject(o, "max", p->max))
            rc = ST_NOMEM;
    }
    mpz_clear(v);
    return node_result(rc, out, result);
}

static const char *const id_params[] = { "id", NULL };
static const char *const list_params[] = { "state", "track", "cursor", "limit", NULL };
static const char *const votes_params[] = { "id", "cursor", "limit", NULL };
static const char *const vote_params[] = { "id", "voter", NULL };
static const char *const power_params[] = { "address", "height", "proposal", NULL };
static const char *const delegation_params[] = { "address", "cursor", "limit", NULL };
static const char *const address_params[] = { "address", NULL };
const rpc_method node_m_gov_list_tracks = {
    .name = "gov_listTracks", .fn = list_tracks,
    .summary = "The governance tracks and their rules",
    .result = "{lockPeriod, executionGrace, cancelBurnPpm, tracks: [...]}"
};
const rpc_method node_m_gov_list_proposals = {
    .name = "gov_listProposals", .params = list_params, .fn = list_proposals,
    .summary = "Proposals, newest first",
    .result = "{proposals: [proposal objects], next}",
    .param_docs = NODE_PARAM_DOCS(RPC_PARAM_OPTIONAL "a state name",
                                  RPC_PARAM_OPTIONAL "a track name",
                                  RPC_PARAM_OPTIONAL "a proposal id, the \"next\" of the previous page",
                                  NODE_DOC_LIMIT)
};
const rpc_method node_m_gov_get_proposal = {
    .name = "gov_getProposal", .params = id_params, .fn = get_proposal,
    .summary = "One proposal with its tally",
    .result = "the proposal object",
    .param_docs = NODE_PARAM_DOCS("a proposal id")
};
const rpc_method node_m_gov_get_results = {
    .name = "gov_getResults", .params = id_params, .fn = get_results,
    .summary = "A poll's scores, in choice order, and its winner",
    .result = "{proposal, state, system, secret, choices, scores, validVotes, invalidVotes?, totalVotes, scoresTotal, "
              "winner, final, enclave?, measurement?, ballotsHash?, report?, signature?, countedBlock?}",
    .param_docs = NODE_PARAM_DOCS("a proposal id (a poll)")
};
const rpc_method node_m_gov_get_secret_ballots = {
    .name = "gov_getSecretBallots", .params = votes_params, .fn = get_secret_ballots,
    .summary = "A secret poll's ballots by voter address: powers, weights and ciphertexts, and the ballots hash",
    .result = "{proposal, ballots: [{voter, conviction, power, weight, delegatedPower, delegatedWeight, ciphertext}], "
              "ballotsHash, next}",
    .param_docs = NODE_PARAM_DOCS("a proposal id (a secret poll)", NODE_DOC_NEXT_ADDRESS, NODE_DOC_LIMIT)
};
const rpc_method node_m_gov_get_tally = {
    .name = "gov_getTally", .params = id_params, .fn = get_tally,
    .summary = "A proposal's tally",
    .result = "{proposal, state, tally}",
    .param_docs = NODE_PARAM_DOCS("a proposal id")
};
const rpc_method node_m_gov_get_votes = {
    .name = "gov_getVotes", .params = votes_params, .fn = get_votes,
    .summary = "A proposal's votes by voter address",
    .result = "{votes: [vote objects], next}",
    .param_docs = NODE_PARAM_DOCS("a proposal id", NODE_DOC_NEXT_ADDRESS, NODE_DOC_LIMIT)
};
const rpc_method node_m_gov_get_vote = {
    .name = "gov_getVote", .params = vote_params, .fn = get_vote,
    .summary = "One voter's vote on a proposal",
    .result = "the vote object, or null",
    .param_docs = NODE_PARAM_DOCS("a proposal id", "the voter's address")
};
const rpc_method node_m_gov_voting_power = {
    .name = "gov_votingPower", .params = power_params, .fn = voting_power,
    .summary = "An address's voting power at a height or a proposal's snapshot",
    .result = "{address, height, own, delegated, delegatedWeight, total}",
    .param_docs = NODE_PARAM_DOCS("an address",
                                  RPC_PARAM_OPTIONAL "a block height",
                                  RPC_PARAM_OPTIONAL "a proposal id (its snapshot)")
};
const rpc_method node_m_gov_get_delegation = {
    .name = "gov_getDelegation", .params = delegation_params, .fn = get_delegation,
    .summary = "An address's delegation and its delegators",
    .result = "{address, delegation, delegators, next}",
    .param_docs = NODE_PARAM_DOCS("an address", NODE_DOC_NEXT_ADDRESS, NODE_DOC_LIMIT)
};
const rpc_method node_m_gov_get_locks = {
    .name = "gov_getLocks", .params = address_params, .fn = get_locks,
    .summary = "An address's conviction locks in force",
    .result = "{address, now, locks, locked, lockedUntil, delegationLock}",
    .param_docs = NODE_PARAM_DOCS("an address")
};
const rpc_method node_m_gov_get_params = {
    .name = "gov_getParams", .fn = get_params,
    .summary = "The parameters governance may change, with values and bounds",
    .result = "{params: [{name, value, min, max}]}"
};
