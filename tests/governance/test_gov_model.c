/* SPDX-License-Identifier: MIT */
/* test_gov_model.c: a seeded random walk of 3,000 governance steps (contributions, withdrawals,
 * delegations and undelegations with every conviction, votes and vote changes on several proposals
 * at once, new proposals, clock moves) by the ten dev accounts in one pool, one block a step. After
 * every block each proposal's tally and turnout, kept incrementally by the engine (votes, changes,
 * overrides before and after a delegate votes), must equal a recount from scratch by this model:
 * the stakes and delegations in force at the proposal's snapshot, each voter's own power times its
 * conviction, plus what it carries for those who delegated to it then, with each class of
 * conviction weighed on its sum, less the delegators who voted themselves. The model follows the
 * receipts for what happened (a refused or failed step changes nothing); it recounts, never
 * replays increments. Stake is valued at the pool's price, which stays 1 (no rewards or slashes). */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "engine/engine.h"
#include "engine/genesis.h"
#include "governance/gov.h"
#include "governance/gov_store.h"
#include "ledger/hex.h"
#include "ledger/sig.h"

#define STEPS 3000
#define DEFAULT_SEED 20261204u     /* override with GOV_MODEL_SEED=n */
#define NU 10                      /* dev accounts; 0 owns the pool and proposes */
#define MAX_PROPOSALS 64
#define MAX_BLOCKS 8192
#define G_TIME 1000000u
#define DELAY 10u
#define PERIOD 300u
#define LOCK 50u

static char dir[64], db_path[128];
static eng *e;
static char *genesis;
static char addr_text[NU][LEDGER_ADDR_STRLEN];
static uint8_t addr[NU][20];

/* The model: state after each block, by height. */
struct state {
    uint64_t height;
    uint64_t stake[NU];
    int deleg_to[NU];              /* -1: none */
    unsigned deleg_conv[NU];
};
static struct state hist[MAX_BLOCKS];
static unsigned n_hist;
static struct state now_state;

struct mvote {
    bool voted;
    unsigned support, conviction;
};
static struct {
    uint64_t id, snapshot;
    struct mvote votes[NU];
} props[MAX_PROPOSALS];
static unsigned n_props;

static char *make_genesis(void)
{
    char accounts[2048] = "";
    size_t off = 0;
    for (unsigned i = 0; i < NU; i++)
        off += (size_t)snprintf(accounts + off, sizeof accounts - off, "%s{\"address\":\"%s\",\"balance\":\"1000000000\"}",
                                i ? "," : "", addr_text[i]);
    char *text = malloc(4096);
    cr_assert_not_null(text);
    snprintf(text, 4096,
             "{\"chainId\":4243,\"time\":%u,\"treasury\":\"1000\",\"accounts\":[%s],"
             "\"staking\":{\"minContribution\":\"1\",\"minWithdrawal\":\"1\"},"
             "\"governance\":{\"lockPeriodSecs\":%u,\"executionGraceSecs\":100,\"cancelBurnPpm\":0,\"tracks\":["
             "{\"name\":\"t\",\"deposit\":\"1\",\"threshold\":\"1\",\"votingDelaySecs\":%u,\"votingPeriodSecs\":%u,"
             "\"enactmentDelaySecs\":10,\"quorumPpm\":1,\"approvalPpm\":500000,\"spendCap\":\"0\",\"payloads\":[\"text\"]}]}}",
             G_TIME, accounts, LOCK, DELAY, PERIOD);
    return text;
}

static void setup(void)
{
    for (unsigned i = 0; i < NU; i++) {
        uint8_t key[32];
        eng_dev_key(key, i);
        cr_assert_eq(ledger_sig_address(addr[i], key), ST_OK);
        ledger_addr_format(addr_text[i], addr[i]);
    }
    snprintf(dir, sizeof dir, "/tmp/conclave-govmodel-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(db_path, sizeof db_path, "%s/conclave.db", dir);
    genesis = make_genesis();
    char err[256] = "";
    eng_config cfg = { .db_path = db_path, .genesis_json = genesis, .clock_mode = ENG_CLOCK_MANUAL, .dev = true };
    cr_assert_eq(eng_open(&e, err, sizeof err, &cfg), ST_OK, "open: %s", err);
}

static void teardown(void)
{
    eng_close(e);
    free(genesis);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(governance_model, .init = setup, .fini = teardown, .timeout = 300);

/* ---- driving the engine ---- */

struct outcome {
    int calls, status;
    bool success;
    char *events;
};

static void on_done(void *cookie, int status, const char *errmsg, cJSON *errdata, const eng_receipt *r)
{
    struct outcome *o = cookie;
    (void)errmsg;
    o->calls++;
    o->status = status;
    cJSON_Delete(errdata);
    if (r) {
        o->success = r->success;
        o->events = strdup(r->events ? r->events : "[]");
    }
}

static uint64_t head_height(void)
{
    ledger_block b;
    cr_assert_eq(ledger_block_head(eng_ledger(e), &b), ST_OK);
    return b.height;
}

static void record(void)
{
    now_state.height = head_height();
    if (n_hist && hist[n_hist - 1].height == now_state.height)
        hist[n_hist - 1] = now_state;
    else {
        cr_assert_lt(n_hist, MAX_BLOCKS, "history fits");
        hist[n_hist++] = now_state;
    }
}

/* Signs and applies one transaction in a block of its own. Returns whether it succeeded. */
PRINTF_LIKE(3, 4)
static bool run(unsigned who, const char *type, const char *fmt, ...)
{
    char text[512], nonce[24], err[256] = "";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    uint64_t n;
    cr_assert_eq(ledger_nonce_get(eng_ledger(e), addr[who], &n), ST_OK);
    cJSON *msg = cJSON_Parse(text);
    cr_assert_not_null(msg, "%s", text);
    snprintf(nonce, sizeof nonce, "%llu", (unsigned long long)n);
    cJSON_AddStringToObject(msg, "nonce", nonce);
    uint8_t key[32];
    eng_dev_key(key, who);
    ledger_tx tx;
    cr_assert_eq(ledger_tx_build_signed(&tx, err, sizeof err, type, msg, key, eng_chain_id(e)), ST_OK, "%s", err);
    cJSON_Delete(msg);
    struct outcome o = { 0 };
    int rc = eng_submit(e, err, sizeof err, &tx, on_done, &o);
    ledger_tx_clear(&tx);
    if (rc != ST_OK)
        return false;
    cr_assert_eq(eng_flush(e), ST_OK);
    cr_assert_eq(o.calls, 1, "%s answered", type);
    bool ok = o.status == ST_OK && o.success;
    if (ok && strcmp(type, "Propose") == 0) {
        cJSON *ev = cJSON_Parse(o.events);
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(ev, cJSON_GetArraySize(ev) - 1), "proposal");
        cr_assert(cJSON_IsNumber(id));
        cr_assert_lt(n_props, MAX_PROPOSALS);
        memset(&props[n_props], 0, sizeof props[n_props]);
        props[n_props].id = (uint64_t)id->valuedouble;
        props[n_props].snapshot = head_height() - 1;
        n_props++;
        cJSON_Delete(ev);
    }
    free(o.events);
    return ok;
}

/* ---- the recount ---- */

static const struct state *at(uint64_t height)
{
    const struct state *s = NULL;
    for (unsigned i = 0; i < n_hist && hist[i].height <= height; i++)
        s = &hist[i];
    cr_assert_not_null(s, "a state at height %llu", (unsigned long long)height);
    return s;
}

static uint64_t weight(uint64_t power, unsigned conviction)
{
    return conviction == 0 ? power / 10 : power * conviction;
}

static uint64_t mpz_u64(const mpz_t v)
{
    cr_assert(mpz_fits_ulong_p(v));
    return mpz_get_ui(v);
}

static void check_tallies(unsigned step)
{
    gov_store *gs;
    cr_assert_eq(gov_store_new(&gs, eng_ledger(e)), ST_OK);
    for (unsigned p = 0; p < n_props; p++) {
        const struct state *s = at(props[p].snapshot);
        uint64_t side[3] = { 0 }, turnout = 0;
        for (unsigned v = 0; v < NU; v++) {
            const struct mvote *mv = &props[p].votes[v];
            if (!mv->voted)
                continue;
            side[mv->support] += weight(s->stake[v], mv->conviction);
            turnout += s->stake[v];
            uint64_t class_sum[GOV_MAX_CONVICTION + 1] = { 0 }, over_power = 0, over_weight = 0, carried_weight = 0;
            for (unsigned d = 0; d < NU; d++) {
                if (s->deleg_to[d] != (int)v)
                    continue;
                class_sum[s->deleg_conv[d]] += s->stake[d];
                if (props[p].votes[d].voted && s->stake[d] > 0) {
                    over_power += s->stake[d];
                    over_weight += weight(s->stake[d], s->deleg_conv[d]);
                }
            }
            uint64_t carried_power = 0;
            for (unsigned c = 0; c <= GOV_MAX_CONVICTION; c++) {
                carried_power += class_sum[c];
                carried_weight += weight(class_sum[c], c);
            }
            side[mv->support] += carried_weight - over_weight;
            turnout += carried_power - over_power;
        }
        gov_proposal gp;
        gov_proposal_init(&gp);
        cr_assert_eq(gov_proposal_get(gs, props[p].id, &gp), ST_OK);
        cr_assert_eq(mpz_u64(gp.against_weight), side[0], "step %u proposal %llu: against", step, (unsigned long long)gp.id);
        cr_assert_eq(mpz_u64(gp.for_weight), side[1], "step %u proposal %llu: for", step, (unsigned long long)gp.id);
        cr_assert_eq(mpz_u64(gp.abstain_weight), side[2], "step %u proposal %llu: abstain", step, (unsigned long long)gp.id);
        cr_assert_eq(mpz_u64(gp.turnout), turnout, "step %u proposal %llu: turnout", step, (unsigned long long)gp.id);
        gov_proposal_clear(&gp);
    }
    gov_store_free(gs);
}

/* Proposals open for votes now. */
static unsigned active(unsigned *out)
{
    gov_store *gs;
    cr_assert_eq(gov_store_new(&gs, eng_ledger(e)), ST_OK);
    unsigned n = 0;
    for (unsigned p = 0; p < n_props; p++) {
        gov_proposal gp;
        gov_proposal_init(&gp);
        cr_assert_eq(gov_proposal_get(gs, props[p].id, &gp), ST_OK);
        if (gp.state == GOV_ACTIVE && eng_now(e) < gp.vote_end)
            out[n++] = p;
        gov_proposal_clear(&gp);
    }
    gov_store_free(gs);
    return n;
}

Test(governance_model, incremental_tallies_equal_a_recount_after_every_block)
{
    const char *seed_env = getenv("GOV_MODEL_SEED");
    unsigned seed = seed_env ? (unsigned)strtoul(seed_env, NULL, 10) : DEFAULT_SEED;
    srand(seed);
    for (unsigned i = 0; i < NU; i++)
        now_state.deleg_to[i] = -1;
    record();
    cr_assert(run(0, "PoolCreate", "{\"commissionPpm\":\"0\",\"capacity\":\"100000000000\"}"));
    cr_assert(run(0, "Contribute", "{\"pool\":\"1\",\"amount\":\"1000\"}"));
    now_state.stake[0] = 1000;
    record();
    unsigned counts[8] = { 0 };
    for (unsigned step = 0; step < STEPS; step++) {
        unsigned r = (unsigned)rand() % 100, u = 1 + (unsigned)rand() % (NU - 1), open[MAX_PROPOSALS];
        if (r < 22) {
            uint64_t amount = 1 + (uint64_t)rand() % 5000;
            if (run(u, "Contribute", "{\"pool\":\"1\",\"amount\":\"%llu\"}", (unsigned long long)amount)) {
                now_state.stake[u] += amount;
                counts[0]++;
            }
        } else if (r < 32 && now_state.stake[u] > 0) {
            uint64_t shares = 1 + (uint64_t)rand() % now_state.stake[u];
            if (run(u, "Withdraw", "{\"pool\":\"1\",\"shares\":\"%llu\"}", (unsigned long long)shares)) {
                now_state.stake[u] -= shares;
                counts[1]++;
            }
        } else if (r < 44) {
            unsigned to = (unsigned)rand() % NU, conv = (unsigned)rand() % 7;
            if (to != u && run(u, "Delegate", "{\"to\":\"%s\",\"conviction\":\"%u\"}", addr_text[to], conv)) {
                now_state.deleg_to[u] = (int)to;
                now_state.deleg_conv[u] = conv;
                counts[2]++;
            }
        } else if (r < 52) {
            if (run(u, "Undelegate", "{}")) {
                now_state.deleg_to[u] = -1;
                counts[3]++;
            }
        } else if (r < 88) {
            unsigned n = active(open), voter = (unsigned)rand() % NU;
            if (n) {
                unsigned p = open[(unsigned)rand() % n], support = (unsigned)rand() % 3, conv = (unsigned)rand() % 7;
                if (run(voter, "Vote", "{\"proposal\":\"%llu\",\"support\":\"%u\",\"conviction\":\"%u\"}",
                        (unsigned long long)props[p].id, support, conv)) {
                    props[p].votes[voter] = (struct mvote){ .voted = true, .support = support, .conviction = conv };
                    counts[4]++;
                }
            }
        } else if (r < 92 && n_props < MAX_PROPOSALS) {
            if (run(0, "Propose", "{\"track\":\"t\",\"title\":\"p\",\"body\":\"\",\"payload\":\"0x\"}"))
                counts[5]++;
        } else {
            uint64_t t;
            cr_assert_eq(eng_advance_time(e, 1 + (uint64_t)rand() % 40, &t), ST_OK);
            counts[6]++;
        }
        record();
        check_tallies(step);
    }
    cr_log_info("seed %u: %u contributions, %u withdrawals, %u delegations, %u undelegations, %u votes, %u "
                "proposals, %u clock moves", seed, counts[0], counts[1], counts[2], counts[3], counts[4], counts[5],
                counts[6]);
    cr_assert_gt(counts[4], 300, "enough votes to mean something");
    cr_assert_gt(counts[2], 50, "and delegations");
}
