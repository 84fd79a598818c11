/* SPDX-License-Identifier: MIT */
/* gov_adapters.c: the engine's side of governance: the read accessors of engine/governance.h, the
 * governed parameters stored by executed proposals applied over the genesis at open (and again
 * after a lost block), and whether the clock has governance work due. */
#include "engine/engine_int.h"
#include "engine/governance.h"

#include <string.h>
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
    int rc = eng_genesis_parse(&fresh, err, sizeof err, e->genesis.canonical, strlen(e->genesis.canonical));
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

