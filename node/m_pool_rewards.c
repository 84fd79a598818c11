/* SPDX-License-Identifier: MIT */
/* m_pool_rewards.c: staking_getPoolRewards, what a pool earned epoch by epoch and its APR. An epoch's
 * rewards are read from the PoolRewarded events of the Settlement transaction that settled it (paid
 * in, and the owner's commission out of it), so they are exact whatever the pool's commission was
 * then; the stake that earned them is the pool's stake at the end of the block before (its
 * checkpoint). The APR is over the window of the latest settled epochs, and the answer states it:
 *   aprPpm = floor(rewardsToStakers * epochs * 31536000 * 10^6 / (sum of stakes * seconds))
 * that is, rewards to stakers over the window divided by the average stake, scaled to a 365-day
 * year from the window's seconds (the simple APR of staking dashboards, without compounding). */
#include "node/methods_int.h"

#include <stdlib.h>
#include <string.h>
#include "enclave/settle.h"
#include "ledger/amount.h"
#include "ledger/compute.h"
#include "ledger/reads.h"
#include "ledger/stakes.h"

#define SECONDS_PER_YEAR 31536000u   /* 365 days */
#define WINDOW_DEFAULT 30u
#define WINDOW_MAX 100u

/* One epoch of one pool. */
struct epoch_reward {
    uint64_t epoch, block, start, end; /* end exclusive, seconds */
    mpz_t paid_in, commission, stake;
};

static void epoch_reward_init(struct epoch_reward *r)
{
    mpz_inits(r->paid_in, r->commission, r->stake, NULL);
}

static void epoch_reward_clear(struct epoch_reward *r)
{
    mpz_clears(r->paid_in, r->commission, r->stake, NULL);
}

/* What ledger_block_events_of hands each Settlement transaction of the block to. */
struct settlement_visit {
    uint64_t pool, epoch;
    struct epoch_reward *out;
};

/* Adds the PoolRewarded events of pool in events to the reward, if the transaction settled the
 * epoch sought (a block may settle several). */
static int visit_settlement(void *arg, const char *events)
{
    struct settlement_visit *v = arg;
    cJSON *list = cJSON_Parse(events);
    if (!list)
        return ST_NOMEM;
    const cJSON *ev;
    bool ours = false;
    cJSON_ArrayForEach(ev, list)
    {
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(ev, "type"), *epoch = cJSON_GetObjectItemCaseSensitive(ev, "epoch");
        ours = ours || (cJSON_IsString(type) && strcmp(type->valuestring, "EpochSettled") == 0 && cJSON_IsNumber(epoch)
                        && (uint64_t)epoch->valuedouble == v->epoch);
    }
    int rc = ST_OK;
    cJSON_ArrayForEach(ev, list)
    {
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(ev, "type"), *pool = cJSON_GetObjectItemCaseSensitive(ev, "pool");
        const cJSON *amount = cJSON_GetObjectItemCaseSensitive(ev, "amount");
        const cJSON *commission = cJSON_GetObjectItemCaseSensitive(ev, "commission");
        if (!ours || !cJSON_IsString(type) || strcmp(type->valuestring, "PoolRewarded") != 0 || !cJSON_IsNumber(pool)
            || (uint64_t)pool->valuedouble != v->pool)
            continue;
        mpz_t a, c;
        mpz_inits(a, c, NULL);
        if (!cJSON_IsString(amount) || !cJSON_IsString(commission)
            || ledger_amount_parse(a, amount->valuestring, strlen(amount->valuestring)) != ST_OK
            || ledger_amount_parse(c, commission->valuestring, strlen(commission->valuestring)) != ST_OK)
            rc = ST_DB;
        mpz_add(v->out->paid_in, v->out->paid_in, a);
        mpz_add(v->out->commission, v->out->commission, c);
        mpz_clears(a, c, NULL);
    }
    cJSON_Delete(list);
    return rc;
}

/* Reads settled epoch's rewards to pool, its time span and the stake that earned them. */
static int read_epoch_reward(ledger *l, uint64_t pool, uint64_t epoch, struct epoch_reward *out)
{
    ledger_settlement s;
    int rc = ledger_settlement_get(l, epoch, &s);
    if (rc != ST_OK)
        return rc;
    enc_settle_input in;
    enc_settle_input_init(&in);
    out->epoch = epoch;
    out->block = s.height;
    mpz_set_ui(out->paid_in, 0);
    mpz_set_ui(out->commission, 0);
    if (enc_settle_input_parse(&in, s.inputs, s.inputs_len) != ST_OK)
        rc = ST_DB;
    out->start = in.epoch_start;
    out->end = in.epoch_end;
    struct settlement_visit v = { pool, epoch, out };
    if (rc == ST_OK)
        rc = ledger_block_events_of(l, s.height, "Settlement", visit_settlement, &v);
    mpz_t shares;
    mpz_init(shares);
    if (rc == ST_OK)
        rc = ledger_pool_at(l, pool, s.height ? s.height - 1 : 0, out->stake, shares);
    mpz_clear(shares);
    enc_settle_input_clear(&in);
    ledger_settlement_clear(&s);
    return rc;
}

static bool add_epoch_reward(cJSON *arr, const struct epoch_reward *r)
{
    mpz_t to_stakers;
    mpz_init(to_stakers);
    mpz_sub(to_stakers, r->paid_in, r->commission);
    cJSON *o = node_append_object(arr);
    bool ok = o && node_add_u64(o, "epoch", r->epoch) && node_add_u64(o, "block", r->block)
              && node_add_amount(o, "paidIn", r->paid_in) && node_add_amount(o, "commission", r->commission)
              && node_add_amount(o, "toStakers", to_stakers) && node_add_amount(o, "stake", r->stake);
    mpz_clear(to_stakers);
    return ok;
}

/* Adds "apr": the window's figures and aprPpm (null without stake or time) over the latest window
 * settled epochs. */
static int add_apr(cJSON *out, ledger *l, uint64_t pool, unsigned window)
{
    uint64_t epochs[WINDOW_MAX];
    unsigned n = 0;
    bool more;
    int rc = ledger_settlement_page(l, false, 0, window, epochs, &n, &more);
    if (rc != ST_OK)
        return rc;
    struct epoch_reward r;
    epoch_reward_init(&r);
    mpz_t rewards, stakes, num, den;
    mpz_inits(rewards, stakes, num, den, NULL);
    uint64_t start = 0, end = 0;
    for (unsigned i = 0; i < n && rc == ST_OK; i++) {
        if ((rc = read_epoch_reward(l, pool, epochs[i], &r)) != ST_OK)
            break;
        mpz_add(rewards, rewards, r.paid_in);
        mpz_sub(rewards, rewards, r.commission);
        mpz_add(stakes, stakes, r.stake);
        if (i == 0)
            end = r.end;
        start = r.start;
    }
    cJSON *apr = rc == ST_OK ? cJSON_AddObjectToObject(out, "apr") : NULL;
    if (rc == ST_OK && n) {
        mpz_tdiv_q_ui(num, stakes, n);
        if (!node_add_u64(apr, "epochs", n) || !node_add_u64(apr, "fromEpoch", epochs[n - 1])
            || !node_add_u64(apr, "toEpoch", epochs[0]) || !node_add_u64(apr, "windowStart", start)
            || !node_add_u64(apr, "windowEnd", end) || !node_add_amount(apr, "rewardsToStakers", rewards)
            || !node_add_amount(apr, "averageStake", num))
            rc = ST_NOMEM;
    } else if (rc == ST_OK && (!apr || !node_add_u64(apr, "epochs", 0))) {
        rc = ST_NOMEM;
    }
    if (rc == ST_OK && apr) {
        /* rewards * n * year * 10^6 / (stakes * seconds) */
        mpz_mul_ui(num, rewards, n);
        mpz_mul_ui(num, num, SECONDS_PER_YEAR);
        mpz_mul_ui(num, num, 1000000u);
        mpz_mul_ui(den, stakes, end > start ? end - start : 0);
        if (mpz_sgn(den) > 0) {
            mpz_fdiv_q(num, num, den);
            if (!node_add_amount(apr, "aprPpm", num))
                rc = ST_NOMEM;
        } else if (!cJSON_AddNullToObject(apr, "aprPpm")) {
            rc = ST_NOMEM;
        }
    }
    if (rc == ST_OK && !apr)
        rc = ST_NOMEM;
    mpz_clears(rewards, stakes, num, den, NULL);
    epoch_reward_clear(&r);
    return rc;
}

static int get_pool_rewards(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    ledger *l = eng_ledger(node_engine(ctx));
    uint64_t pool, cursor = 0, window = WINDOW_DEFAULT, epochs[NODE_LIMIT_MAX];
    bool present, has_cursor = node_given(params, "cursor"), more = false;
    unsigned limit, n = 0;
    int rc = node_param_u64(ctx, params, "pool", &present, &pool);
    if (rc == ST_OK && !present)
        return rpc_error(ctx, ST_INVALID, NULL, "params.pool: a pool id is needed");
    if (rc == ST_OK && has_cursor)
        rc = node_param_u64(ctx, params, "cursor", NULL, &cursor);
    if (rc == ST_OK)
        rc = node_param_limit(ctx, params, &limit);
    if (rc == ST_OK && node_given(params, "window"))
        rc = node_param_u64(ctx, params, "window", NULL, &window);
    if (rc == ST_OK && (window < 1 || window > WINDOW_MAX))
        return rpc_error(ctx, ST_INVALID, NULL, "params.window: expected 1 to %u epochs", WINDOW_MAX);
    if (rc != ST_OK)
        return rc;
    ledger_pool p;
    ledger_pool_init(&p);
    rc = node_row_error(ctx, ledger_pool_get(l, pool, &p), "pool", pool);
    ledger_pool_clear(&p);
    if (rc == ST_OK)
        rc = ledger_settlement_page(l, has_cursor, cursor, limit, epochs, &n, &more);
    if (rc != ST_OK)
        return rc;
    cJSON *out = cJSON_CreateObject(), *arr = NULL;
    if (!out || !node_add_u64(out, "pool", pool) || !(arr = cJSON_AddArrayToObject(out, "rewards")))
        rc = ST_NOMEM;
    struct epoch_reward r;
    epoch_reward_init(&r);
    for (unsigned i = 0; i < n && rc == ST_OK; i++)
        if ((rc = read_epoch_reward(l, pool, epochs[i], &r)) == ST_OK && !add_epoch_reward(arr, &r))
            rc = ST_NOMEM;
    epoch_reward_clear(&r);
    if (rc == ST_OK && !node_add_next(out, more, n ? epochs[n - 1] : 0))
        rc = ST_NOMEM;
    if (rc == ST_OK)
        rc = add_apr(out, l, pool, (unsigned)window);
    return node_result(rc, out, result);
}

static const char *const rewards_params[] = { "pool", "cursor", "limit", "window", NULL };
const rpc_method node_m_staking_get_pool_rewards = {
    .name = "staking_getPoolRewards", .params = rewards_params, .fn = get_pool_rewards,
    .summary = "A pool's rewards per settled epoch (paid in, commission, to stakers), latest first, and its APR",
    .param_docs = NODE_PARAM_DOCS("a pool id",
                                  RPC_PARAM_OPTIONAL "an epoch, the \"next\" of the previous page (older follow)",
                                  RPC_PARAM_OPTIONAL "1 to 100 epochs, default 20",
                                  RPC_PARAM_OPTIONAL "the APR's window, the latest 1 to 100 settled epochs, default 30"),
    .result = "{pool, rewards: [{epoch, block, paidIn, commission, toStakers, stake}], next, apr: {epochs, fromEpoch, "
              "toEpoch, windowStart, windowEnd, rewardsToStakers, averageStake, aprPpm}}"
};
