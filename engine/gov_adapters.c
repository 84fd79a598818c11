/* SPDX-License-Identifier: MIT */
/* gov_adapters.c: the engine's side of governance. The handler table's rows for the governance
 * types are thin adapters here: they decode the signed members, build the narrow gov_apply context
 * (the ledger, the governance store, the parameters in force, the block's height and time, the
 * receipt) and call the rules in governance/rules.h, handing them the governed chain parameters of
 * engine/params.c as a lookup and applying the parameter change an execution returns; and the
 * SecretPollCount system transaction, whose report's form and signer are checked here (the
 * enclave's registry is the engine's) before governance judges the count. Also: the read
 * accessors of engine/governance.h, the governed parameters stored by executed proposals applied
 * over the genesis at open (and again after a lost block), and whether governance work is due. */
#include "engine/engine_int.h"
#include "engine/governance.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "enclave/count_report.h"
#include "governance/rules.h"
#include "ledger/compute.h"
#include "ledger/amount.h"

const gov_params *eng_gov_params(const eng *e)
{
    return &e->genesis.governance;
}

gov_store *eng_gov_store(eng *e)
{
    return e->gov;
}

void eng_param_value(const eng *e, const eng_param *p, mpz_t v)
{
    eng_param_get(&e->genesis, p, v);
}

static int load_param(void *ctx, const char *name, const char *value)
{
    eng *e = ctx;
    mpz_t v;
    mpz_init(v);
    const eng_param *gp = eng_param_find(name);
    int rc = gp && gp->governed && ledger_amount_parse(v, value, strlen(value)) == ST_OK ? ST_OK : ST_DB;
    if (rc == ST_OK)
        eng_param_set(&e->genesis, gp, v);
    mpz_clear(v);
    return rc;
}

int eng_gov_load_params(eng *e)
{
    return gov_param_each(e->gov, load_param, e);
}

int eng_gov_reload_params(eng *e)
{
    eng_genesis fresh;
    char err[256];
    int rc = eng_genesis_parse(&fresh, err, sizeof err, e->genesis.params, strlen(e->genesis.params));
    mpz_t v;
    mpz_init(v);
    for (unsigned i = 0; i < eng_param_count() && rc == ST_OK; i++) {
        const eng_param *gp = eng_param_at(i);
        if (!gp->governed)
            continue;
        eng_param_get(&fresh, gp, v);
        eng_param_set(&e->genesis, gp, v);
    }
    mpz_clear(v);
    eng_genesis_clear(&fresh);
    return rc == ST_OK ? eng_gov_load_params(e) : rc;
}

bool eng_gov_due(eng *e, uint64_t now)
{
    return gov_proposal_any_due(e->gov, now);
}

/* ---- the rules' adapters ---- */

/* The engine's governed parameters (engine/params.c), as governance looks them up. */
static bool param_lookup(const char *name, const char **min, const char **max)
{
    const eng_param *p = eng_param_find(name);
    if (!p || !p->governed)
        return false;
    *min = p->min;
    *max = p->max;
    return true;
}

/* The context of governance's rules for the transaction a applies. */
static gov_apply context(eng_apply *a)
{
    return (gov_apply){ .l = a->e->ledger, .s = a->e->gov, .params = &a->e->genesis.governance,
                        .param_lookup = param_lookup, .height = a->height, .time = a->time, .r = &a->r };
}

/* Reads the four members of a Propose. */
static bool propose_msg(const ledger_tx *tx, gov_propose_msg *m)
{
    return ledger_tx_get_bytes(tx, "track", &m->track, &m->track_len) == ST_OK
           && ledger_tx_get_bytes(tx, "title", &m->title, &m->title_len) == ST_OK
           && ledger_tx_get_bytes(tx, "body", &m->body, &m->body_len) == ST_OK
           && ledger_tx_get_bytes(tx, "payload", &m->payload, &m->payload_len) == ST_OK;
}

int eng_check_propose(eng *e, const ledger_tx *tx, char *err, size_t errlen)
{
    gov_propose_msg m;
    if (!propose_msg(tx, &m)) {
        snprintf(err, errlen, "malformed Propose");
        return ST_INVALID;
    }
    return gov_check_propose(&e->genesis.governance, param_lookup, err, errlen, &m);
}

int eng_apply_propose(eng_apply *a)
{
    gov_propose_msg m;
    if (!propose_msg(&a->item->tx, &m))
        return ledger_fail(&a->r, ST_INVALID, "malformed Propose");
    gov_apply g = context(a);
    return gov_propose(&g, a->item->tx.signer, &m);
}

/* A member that cannot be read is passed out of range, so the check refuses it with its reason. */
int eng_check_vote(eng *e, const ledger_tx *tx, char *err, size_t errlen)
{
    uint64_t support, conviction;
    if (ledger_tx_get_u64(tx, "support", &support) != ST_OK)
        support = UINT64_MAX;
    if (ledger_tx_get_u64(tx, "conviction", &conviction) != ST_OK)
        conviction = UINT64_MAX;
    return gov_check_vote(err, errlen, support, conviction);
}

int eng_apply_vote(eng_apply *a)
{
    const ledger_tx *tx = &a->item->tx;
    uint64_t id, support, conviction;
    int rc = ledger_tx_get_u64(tx, "proposal", &id);
    if (rc == ST_OK)
        rc = ledger_tx_get_u64(tx, "support", &support);
    if (rc == ST_OK)
        rc = ledger_tx_get_u64(tx, "conviction", &conviction);
    if (rc != ST_OK)
        return rc;
    gov_apply g = context(a);
    return gov_cast_vote(&g, tx->signer, id, support, conviction);
}

/* A member that cannot be read is passed out of range, so the check refuses it with its reason. */
int eng_check_ballot(eng *e, const ledger_tx *tx, char *err, size_t errlen)
{
    (void)e;
    const uint8_t *choice;
    size_t len;
    uint64_t conviction;
    if (ledger_tx_get_bytes(tx, "choice", &choice, &len) != ST_OK)
        len = 0;
    if (ledger_tx_get_u64(tx, "conviction", &conviction) != ST_OK)
        conviction = UINT64_MAX;
    return gov_check_ballot(err, errlen, len, conviction);
}

int eng_apply_ballot(eng_apply *a)
{
    const ledger_tx *tx = &a->item->tx;
    uint64_t id, conviction;
    const uint8_t *choice;
    size_t len;
    int rc = ledger_tx_get_u64(tx, "proposal", &id);
    if (rc == ST_OK)
        rc = ledger_tx_get_bytes(tx, "choice", &choice, &len);
    if (rc == ST_OK)
        rc = ledger_tx_get_u64(tx, "conviction", &conviction);
    if (rc != ST_OK)
        return rc;
    gov_apply g = context(a);
    return gov_cast_ballot(&g, tx->signer, id, choice, len, conviction);
}

/* A member that cannot be read is passed out of range, so the check refuses it with its reason. */
int eng_check_secret_ballot(eng *e, const ledger_tx *tx, char *err, size_t errlen)
{
    (void)e;
    const uint8_t *ciphertext;
    size_t len;
    uint64_t conviction;
    if (ledger_tx_get_bytes(tx, "ciphertext", &ciphertext, &len) != ST_OK)
        len = 0;
    if (ledger_tx_get_u64(tx, "conviction", &conviction) != ST_OK)
        conviction = UINT64_MAX;
    return gov_check_secret_ballot(err, errlen, len, conviction);
}

int eng_apply_secret_ballot(eng_apply *a)
{
    const ledger_tx *tx = &a->item->tx;
    uint64_t id, conviction;
    const uint8_t *ciphertext;
    size_t len;
    int rc = ledger_tx_get_u64(tx, "proposal", &id);
    if (rc == ST_OK)
        rc = ledger_tx_get_bytes(tx, "ciphertext", &ciphertext, &len);
    if (rc == ST_OK)
        rc = ledger_tx_get_u64(tx, "conviction", &conviction);
    if (rc != ST_OK)
        return rc;
    gov_apply g = context(a);
    return gov_cast_secret_ballot(&g, tx->signer, id, ciphertext, len, conviction);
}

int eng_apply_proposal_cancel(eng_apply *a)
{
    uint64_t id;
    int rc = ledger_tx_get_u64(&a->item->tx, "proposal", &id);
    if (rc != ST_OK)
        return rc;
    gov_apply g = context(a);
    return gov_cancel(&g, a->item->tx.signer, id);
}

int eng_apply_proposal_execute(eng_apply *a)
{
    uint64_t id;
    int rc = ledger_tx_get_u64(&a->item->tx, "proposal", &id);
    if (rc != ST_OK)
        return rc;
    gov_apply g = context(a);
    gov_param_change change;
    gov_param_change_init(&change);
    rc = gov_execute(&g, &change, id);
    /* the new value is in force at once (its row is already written in this block) */
    if (rc == ST_OK && change.set)
        eng_param_set(&a->e->genesis, eng_param_find(change.name), change.value);
    gov_param_change_clear(&change);
    return rc;
}

int eng_check_delegate(eng *e, const ledger_tx *tx, char *err, size_t errlen)
{
    uint8_t to[20];
    uint64_t conviction;
    if (ledger_tx_get_u64(tx, "conviction", &conviction) != ST_OK)
        conviction = UINT64_MAX;
    bool has_to = ledger_tx_get_address(tx, "to", to) == ST_OK;
    return gov_check_delegate(err, errlen, tx->signer, has_to ? to : NULL, conviction);
}

int eng_apply_delegate(eng_apply *a)
{
    const ledger_tx *tx = &a->item->tx;
    uint8_t to[20];
    uint64_t conviction;
    int rc = ledger_tx_get_address(tx, "to", to);
    if (rc == ST_OK)
        rc = ledger_tx_get_u64(tx, "conviction", &conviction);
    if (rc != ST_OK)
        return rc;
    gov_apply g = context(a);
    return gov_delegate(&g, tx->signer, to, conviction);
}

int eng_apply_undelegate(eng_apply *a)
{
    gov_apply g = context(a);
    return gov_undelegate(&g, a->item->tx.signer);
}

int eng_apply_secret_poll_count(eng_apply *a)
{
    uint64_t proposal = 0;
    uint8_t *payload = NULL, signer[20], measurement[32];
    size_t len = 0;
    enc_count_report r;
    const char *why = NULL;
    bool allowed = false;
    int rc = ST_INVALID;
    if (eng_system_decode_secret_poll_count(a->item->sys_body, &proposal, &payload, &len) != ST_OK)
        ledger_fail(&a->r, rc, "malformed SecretPollCount");
    else if (enc_count_report_parse(&r, &why, payload, len) != ST_OK)
        ledger_fail(&a->r, rc, "the count report is malformed: %s", why);
    else if (enc_count_report_signer(signer, &r) != ST_OK
             || (rc = ledger_enclave_get(a->e->ledger, signer, measurement, NULL, NULL, NULL)) == ST_NOTFOUND)
        rc = ledger_fail(&a->r, ST_CRYPTO, "the count report is not signed by a registered enclave");
    else if (rc == ST_OK && (rc = ledger_allowlist_has(a->e->ledger, LEDGER_RUNTIME_ENCLAVE, measurement, &allowed)) == ST_OK
             && !allowed)
        rc = ledger_fail(&a->r, ST_UNAUTHORIZED, "the count report's enclave is not on the allowlist");
    else if (rc == ST_OK && memcmp(measurement, r.measurement, 32) != 0)
        rc = ledger_fail(&a->r, ST_CONFLICT, "the count report's measurement is not its enclave's");
    else if (rc == ST_OK && r.chain_id != a->e->genesis.chain_id)
        rc = ledger_fail(&a->r, ST_CONFLICT, "the count report is for chain %llu", (unsigned long long)r.chain_id);
    else if (rc == ST_OK && r.proposal != proposal)
        rc = ledger_fail(&a->r, ST_CONFLICT, "the count report is for proposal %llu, not %llu", (unsigned long long)r.proposal,
                         (unsigned long long)proposal);
    else if (rc == ST_OK) {
        gov_secret_count c = { .proposal = r.proposal, .n_choices = r.n_choices, .ballots_hash = r.ballots_hash,
                               .count = r.count, .valid = r.valid, .invalid = r.invalid, .total_power = r.total_power,
                               .scores = (const uint8_t(*)[32])r.scores, .enclave = signer, .measurement = r.measurement,
                               .report = payload, .report_len = enc_count_report_len(&r),
                               .signature = r.signature };
        gov_apply g = context(a);
        rc = gov_secret_count_apply(&g, &c);
    }
    free(payload);
    return rc;
}

int eng_gov_tick(eng_apply *a)
{
    gov_apply g = context(a);
    return gov_tick(&g);
}

int eng_gov_check_withdraw(eng_apply *a, const uint8_t staker[20], const mpz_t leaving)
{
    gov_apply g = context(a);
    return gov_check_withdraw(&g, staker, leaving);
}
