/* SPDX-License-Identifier: MIT */
/* pool_settings.c: what a pool's owner sets besides its commission: its capacity (never below the
 * stake it holds), a description, and a contributor allowlist of at most 100 addresses (empty:
 * anyone contributes; otherwise only the listed addresses and, always, the owner). */
#include "engine/staking_int.h"

#include <stdio.h>
#include <string.h>
#include "ledger/hex.h"

/* Loads the pool the transaction names and checks that its signer owns it. */
static int load_owned_pool(eng_apply *a, ledger_pool *p)
{
    uint64_t id;
    int rc = ledger_tx_get_u64(&a->item->tx, "pool", &id);
    if (rc == ST_OK)
        rc = eng_staking_load_pool(a, id, p);
    return rc == ST_OK ? eng_staking_require_owner(a, p) : rc;
}

int eng_check_pool_capacity(eng *e, const ledger_tx *tx, char *err, size_t errlen)
{
    (void)e;
    mpz_t v;
    mpz_init(v);
    int rc = eng_check_positive(tx, "capacity", v, err, errlen);
    mpz_clear(v);
    return rc;
}

int eng_apply_pool_set_capacity(eng_apply *a)
{
    ledger_pool p;
    ledger_pool_init(&p);
    char t1[LEDGER_AMOUNT_STRLEN], t2[LEDGER_AMOUNT_STRLEN];
    mpz_t capacity;
    mpz_init(capacity);
    int rc = ledger_tx_get_amount(&a->item->tx, "capacity", capacity);
    if (rc == ST_OK)
        rc = load_owned_pool(a, &p);
    if (rc == ST_OK && mpz_cmp(capacity, p.stake) < 0)
        rc = ledger_fail(&a->r, ST_CONFLICT, "pool %llu holds %s of stake: its capacity cannot go below that, not to %s",
                         (unsigned long long)p.id, eng_staking_amount_text(t1, p.stake), eng_staking_amount_text(t2, capacity));
    if (rc == ST_OK) {
        mpz_set(p.capacity, capacity);
        rc = eng_staking_save_pool(a, &p, false);
    }
    ledger_ev *ev = rc == ST_OK ? eng_staking_pool_event(a, "PoolCapacityChanged", p.id) : NULL;
    if (rc == ST_OK && (!ev || !ledger_event_amount(ev, "capacity", capacity)))
        rc = ST_NOMEM;
    mpz_clear(capacity);
    ledger_pool_clear(&p);
    return rc;
}

int eng_check_pool_description(eng *e, const ledger_tx *tx, char *err, size_t errlen)
{
    (void)e;
    const uint8_t *text;
    size_t len;
    if (ledger_tx_get_bytes(tx, "description", &text, &len) != ST_OK) {
        snprintf(err, errlen, "malformed PoolSetDescription");
        return ST_INVALID;
    }
    if (len > LEDGER_POOL_DESCRIPTION_MAX || memchr(text, '\0', len)) {
        snprintf(err, errlen, "message.description: at most %d bytes of UTF-8 text, no NUL", LEDGER_POOL_DESCRIPTION_MAX);
        return ST_INVALID;
    }
    return ST_OK;
}

int eng_apply_pool_set_description(eng_apply *a)
{
    ledger_pool p;
    ledger_pool_init(&p);
    const uint8_t *text;
    size_t len;
    char copy[LEDGER_POOL_DESCRIPTION_MAX + 1];
    int rc = ledger_tx_get_bytes(&a->item->tx, "description", &text, &len);
    if (rc == ST_OK && (len > LEDGER_POOL_DESCRIPTION_MAX || memchr(text, '\0', len)))
        rc = ledger_fail(&a->r, ST_INVALID, "the description is longer than %d bytes or holds a NUL", LEDGER_POOL_DESCRIPTION_MAX);
    if (rc == ST_OK)
        rc = load_owned_pool(a, &p);
    if (rc == ST_OK) {
        memcpy(copy, text, len);
        copy[len] = '\0';
        rc = ledger_pool_description_set(a->e->ledger, p.id, copy);
    }
    ledger_ev *ev = rc == ST_OK ? eng_staking_pool_event(a, "PoolDescriptionChanged", p.id) : NULL;
    if (rc == ST_OK && (!ev || !ledger_event_string(ev, "description", copy)))
        rc = ST_NOMEM;
    ledger_pool_clear(&p);
    return rc;
}

/* PoolAllowContributor and PoolDisallowContributor. */
static int change_allowlist(eng_apply *a, bool allow)
{
    ledger_pool p;
    ledger_pool_init(&p);
    uint8_t who[20];
    unsigned n = 0;
    bool has = false;
    int rc = ledger_tx_get_address(&a->item->tx, "contributor", who);
    if (rc == ST_OK)
        rc = load_owned_pool(a, &p);
    if (rc == ST_OK)
        rc = ledger_pool_contributor_has(a->e->ledger, p.id, who, &has);
    if (rc == ST_OK)
        rc = ledger_pool_contributor_count(a->e->ledger, p.id, &n);
    if (rc == ST_OK && has == allow)
        rc = ledger_fail(&a->r, ST_CONFLICT, allow ? "the address is already on pool %llu's contributor allowlist"
                                                   : "the address is not on pool %llu's contributor allowlist",
                         (unsigned long long)p.id);
    if (rc == ST_OK && allow && n >= LEDGER_POOL_CONTRIBUTORS_MAX)
        rc = ledger_fail(&a->r, ST_LIMIT, "pool %llu's contributor allowlist holds %u addresses, the most it may", (unsigned long long)p.id, n);
    if (rc == ST_OK)
        rc = allow ? ledger_pool_contributor_add(a->e->ledger, p.id, who) : ledger_pool_contributor_remove(a->e->ledger, p.id, who);
    ledger_ev *ev = rc == ST_OK ? eng_staking_pool_event(a, allow ? "PoolContributorAllowed" : "PoolContributorDisallowed", p.id) : NULL;
    if (rc == ST_OK && (!ev || !ledger_event_address(ev, "contributor", who)
                        || !ledger_event_number(ev, "allowlisted", (double)(allow ? n + 1 : n - 1))))
        rc = ST_NOMEM;
    ledger_pool_clear(&p);
    return rc;
}

int eng_apply_pool_allow_contributor(eng_apply *a)
{
    return change_allowlist(a, true);
}

int eng_apply_pool_disallow_contributor(eng_apply *a)
{
    return change_allowlist(a, false);
}

int eng_staking_may_contribute(eng_apply *a, const ledger_pool *p, const uint8_t who[20])
{
    unsigned n = 0;
    bool listed = false;
    if (memcmp(p->owner, who, 20) == 0)
        return ST_OK;
    int rc = ledger_pool_contributor_count(a->e->ledger, p->id, &n);
    if (rc != ST_OK || n == 0)
        return rc;
    if ((rc = ledger_pool_contributor_has(a->e->ledger, p->id, who, &listed)) != ST_OK || listed)
        return rc;
    return ledger_fail(&a->r, ST_UNAUTHORIZED, "pool %llu takes contributions only from its owner and its allowlist",
                       (unsigned long long)p->id);
}
