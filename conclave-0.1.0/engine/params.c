/* SPDX-License-Identifier: MIT */
/* params.c: the table of chain parameters and the code it drives: defaults, genesis parsing,
 * canonical writing and bounded reads and writes of a value in force. See params.h. */
#include "engine/params.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ledger/amount.h"

#define U53_MAX "9007199254740991"
#define YEAR_SECS "31536000"
#define FIELD(member) offsetof(eng_genesis, member)

/* Sorted by name: the canonical genesis writes each object's keys in this order. The governed rows
 * are bounded so that no value a proposal may set can stop the chain (a year at most for a delay). */
static const eng_param params[] = {
    { "compute.challengeSecs", ENG_PARAM_U64, ENG_UNIT_SECONDS, FIELD(compute.challenge_secs), "86400", "0", U53_MAX, false },
    { "compute.heartbeatSecs", ENG_PARAM_U64, ENG_UNIT_SECONDS, FIELD(compute.heartbeat_secs), "600", "1", U53_MAX, false },
    { "governance.cancelBurnPpm", ENG_PARAM_U32, ENG_UNIT_PPM, FIELD(governance.cancel_burn_ppm), "100000", "0", "1000000", false },
    { "governance.executionGraceSecs", ENG_PARAM_U64, ENG_UNIT_SECONDS, FIELD(governance.execution_grace), "1209600", "1", U53_MAX, false },
    { "governance.lockPeriodSecs", ENG_PARAM_U64, ENG_UNIT_SECONDS, FIELD(governance.lock_period), "604800", "0", U53_MAX, false },
    { "rewards.budgetPerEpoch", ENG_PARAM_AMOUNT, ENG_UNIT_AMOUNT, FIELD(rewards.budget_per_epoch), "30000000000000000000000", "0",
      "1000000000000000000000000000", true },
    { "rewards.costB", ENG_PARAM_FIXED, ENG_UNIT_FIXED, FIELD(rewards.cost_b), "0.000033711472602739726027397260273972", "0", "1000",
      false },
    { "rewards.costK", ENG_PARAM_FIXED, ENG_UNIT_FIXED, FIELD(rewards.cost_k), "0.00000001581525875190258751902587519", "0", "1000",
      false },
    { "rewards.decayPeriodSecs", ENG_PARAM_U64, ENG_UNIT_SECONDS, FIELD(rewards.decay_period), "15552000", "1", U53_MAX, false },
    { "rewards.decayPpm", ENG_PARAM_U32, ENG_UNIT_PPM, FIELD(rewards.decay_ppm), "250000", "0", "1000000", false },
    { "rewards.feePpm", ENG_PARAM_U32, ENG_UNIT_PPM, FIELD(rewards.fee_ppm), "50000", "0", "1000000", true },
    { "rewards.re", ENG_PARAM_FIXED, ENG_UNIT_FIXED, FIELD(rewards.re), "1.3", "1", "100", false },
    { "rewards.rho", ENG_PARAM_FIXED, ENG_UNIT_FIXED, FIELD(rewards.rho), "1.000000666600231", "1", "2", false },
    { "rewards.rigB", ENG_PARAM_FIXED, ENG_UNIT_FIXED, FIELD(rewards.rig_b), "0", "0", "1000000000", false },
    { "rewards.rigK", ENG_PARAM_FIXED, ENG_UNIT_FIXED, FIELD(rewards.rig_k), "0.3", "0", "1000000000", false },
    { "rewards.slashRate", ENG_PARAM_FIXED, ENG_UNIT_FIXED, FIELD(rewards.slash_rate), "0.000003333333333333333333333333333333",
      "0", "1", false },
    { "rewards.stepSecs", ENG_PARAM_U32, ENG_UNIT_SECONDS, FIELD(rewards.step_seconds), "12", "1", "86400", false },
    { "rewards.treasuryPpm", ENG_PARAM_U32, ENG_UNIT_PPM, FIELD(rewards.treasury_ppm), "200000", "0", "1000000", true },
    { "rewards.vMax", ENG_PARAM_FIXED, ENG_UNIT_FIXED, FIELD(rewards.v_max), "30000", "0", "1000000000000", false },
    { "staking.commissionNoticeSecs", ENG_PARAM_U64, ENG_UNIT_SECONDS, FIELD(staking.commission_notice), "604800", "0", YEAR_SECS,
      true },
    { "staking.maxWorkersPerPool", ENG_PARAM_U32, ENG_UNIT_COUNT, FIELD(staking.max_workers), "32", "1", "1024", false },
    { "staking.minContribution", ENG_PARAM_AMOUNT, ENG_UNIT_AMOUNT, FIELD(staking.min_contribution), "1000000000000000000", "1",
      "1000000000000000000000000", true },
    { "staking.minStakePerRootScore", ENG_PARAM_AMOUNT, ENG_UNIT_AMOUNT, FIELD(staking.min_stake_k), "100000000000000000000", "0",
      "1000000000000000000000000", true },
    { "staking.minWithdrawal", ENG_PARAM_AMOUNT, ENG_UNIT_AMOUNT, FIELD(staking.min_withdrawal), "10000000000000000", "0",
      "1000000000000000000000000", true },
    { "staking.minWorkerScore", ENG_PARAM_U32, ENG_UNIT_COUNT, FIELD(staking.min_worker_score), "50", "0", "4294967295", true },
    { "staking.slashDeferSecs", ENG_PARAM_U64, ENG_UNIT_SECONDS, FIELD(staking.slash_defer), "604800", "0", YEAR_SECS, true },
    { "staking.unbondingSecs", ENG_PARAM_U64, ENG_UNIT_SECONDS, FIELD(staking.unbonding_period), "604800", "0", YEAR_SECS, true },
    { "staking.withdrawGraceSecs", ENG_PARAM_U64, ENG_UNIT_SECONDS, FIELD(staking.withdraw_grace), "604800", "0", YEAR_SECS, true },
};

#define N_PARAMS (sizeof params / sizeof params[0])

unsigned eng_param_count(void)
{
    return N_PARAMS;
}

const eng_param *eng_param_at(unsigned i)
{
    return i < N_PARAMS ? &params[i] : NULL;
}

const eng_param *eng_param_find(const char *name)
{
    for (size_t i = 0; i < N_PARAMS; i++)
        if (strcmp(params[i].name, name) == 0)
            return &params[i];
    return NULL;
}

enum eng_param_unit eng_param_unit(const char *name)
{
    const eng_param *p = eng_param_find(name);
    return p ? p->unit : ENG_UNIT_UNKNOWN;
}

static void *field_of(eng_genesis *g, const eng_param *p)
{
    return (char *)g + p->offset;
}

static const void *const_field_of(const eng_genesis *g, const eng_param *p)
{
    return (const char *)g + p->offset;
}

static bool is_mpz(const eng_param *p)
{
    return p->kind == ENG_PARAM_AMOUNT || p->kind == ENG_PARAM_FIXED;
}

/* A fixed's decimal text ("12", "0.3", at most 36 decimals; no sign, no leading zero but the
 * units' lone 0, at least one decimal after a point) into v = x * 10^36. Returns: whether it is one. */
static bool fixed_parse(mpz_t v, const char *s)
{
    size_t n = strspn(s, "0123456789"), frac = 0;
    char digits[128];

    if (n == 0 || n > 60 || (n > 1 && s[0] == '0'))
        return false;
    memcpy(digits, s, n);
    if (s[n] == '.') {
        frac = strspn(s + n + 1, "0123456789");
        if (frac == 0 || frac > ENC_ECON_SCALE_DIGITS || s[n + 1 + frac] != '\0')
            return false;
        memcpy(digits + n, s + n + 1, frac);
    } else if (s[n] != '\0') {
        return false;
    }
    memset(digits + n + frac, '0', ENC_ECON_SCALE_DIGITS - frac);
    digits[n + ENC_ECON_SCALE_DIGITS] = '\0';
    return mpz_set_str(v, digits, 10) == 0;
}

/* v = x * 10^36 as fixed_parse reads it, without trailing zeros. buf holds at least 80 + the
 * digits of v. */
static void fixed_format(char *buf, size_t cap, const mpz_t v)
{
    mpz_t one, q, r;
    mpz_inits(one, q, r, NULL);
    mpz_ui_pow_ui(one, 10, ENC_ECON_SCALE_DIGITS);
    mpz_fdiv_qr(q, r, v, one);
    int len = gmp_snprintf(buf, cap, "%Zd", q);
    if (mpz_sgn(r) > 0 && len > 0 && (size_t)len < cap) {
        char frac[ENC_ECON_SCALE_DIGITS + 2];
        gmp_snprintf(frac, sizeof frac, "%036Zd", r);
        for (size_t k = ENC_ECON_SCALE_DIGITS; k > 0 && frac[k - 1] == '0'; k--)
            frac[k - 1] = '\0';
        snprintf(buf + len, cap - (size_t)len, ".%s", frac);
    }
    mpz_clears(one, q, r, NULL);
}

/* A row's bound or default (decimal; fixed text for a fixed) into v. */
static void bound_value(const eng_param *p, const char *text, mpz_t v)
{
    if (p->kind == ENG_PARAM_FIXED)
        (void)fixed_parse(v, text);
    else
        mpz_set_str(v, text, 10);
}

void eng_param_get(const eng_genesis *g, const eng_param *p, mpz_t v)
{
    const void *field = const_field_of(g, p);
    if (is_mpz(p))
        mpz_set(v, field);
    else if (p->kind == ENG_PARAM_U64)
        mpz_set_ui(v, *(const uint64_t *)field);
    else
        mpz_set_ui(v, *(const uint32_t *)field);
}

void eng_param_set(eng_genesis *g, const eng_param *p, const mpz_t v)
{
    void *field = field_of(g, p);
    if (is_mpz(p))
        mpz_set(field, v);
    else if (p->kind == ENG_PARAM_U64)
        *(uint64_t *)field = mpz_get_ui(v);
    else
        *(uint32_t *)field = (uint32_t)mpz_get_ui(v);
}

bool eng_param_in_bounds(const eng_param *p, const mpz_t v)
{
    mpz_t lo, hi;
    mpz_inits(lo, hi, NULL);
    bound_value(p, p->min, lo);
    bound_value(p, p->max, hi);
    bool in = mpz_cmp(v, lo) >= 0 && mpz_cmp(v, hi) <= 0;
    mpz_clears(lo, hi, NULL);
    return in;
}

void eng_params_init(eng_genesis *g)
{
    for (size_t i = 0; i < N_PARAMS; i++) {
        const eng_param *p = &params[i];
        if (p->kind == ENG_PARAM_PPM_LIST) {
            uint32_t *list = field_of(g, p);
            const char *s = p->def;
            for (int k = 0; k < ENC_CONF_LEVELS; k++) {
                char *end;
                list[k] = (uint32_t)strtoul(s, &end, 10);
                /* past the comma; the last number has none (strchr's NULL + 1 was undefined) */
                s = *end == ',' ? end + 1 : end;
            }
            continue;
        }
        mpz_t v;
        mpz_init(v);
        bound_value(p, p->def, v);
        if (is_mpz(p))
            mpz_init(field_of(g, p));
        eng_param_set(g, p, v);
        mpz_clear(v);
    }
}

void eng_params_clear(eng_genesis *g)
{
    for (size_t i = 0; i < N_PARAMS; i++)
        if (is_mpz(&params[i]))
            mpz_clear(field_of(g, &params[i]));
}

/* A JSON number that is a whole number from 0 to 2^53 - 1, into v. */
static bool whole_number(const cJSON *item, mpz_t v)
{
    if (!cJSON_IsNumber(item) || item->valuedouble < 0 || item->valuedouble > 9007199254740991.0
        || item->valuedouble != (double)(uint64_t)item->valuedouble)
        return false;
    mpz_set_ui(v, (unsigned long)item->valuedouble);
    return true;
}

/* One value of p from its genesis form into v, within the bounds. */
static bool parse_value(const eng_param *p, const cJSON *item, mpz_t v)
{
    bool ok = p->kind == ENG_PARAM_AMOUNT
                  ? cJSON_IsString(item) && ledger_amount_parse(v, item->valuestring, strlen(item->valuestring)) == ST_OK
              : p->kind == ENG_PARAM_FIXED ? cJSON_IsString(item) && fixed_parse(v, item->valuestring)
                                           : whole_number(item, v);
    return ok && eng_param_in_bounds(p, v);
}

/* A list's elements, each within the bounds, into g. */
static bool parse_list(eng_genesis *g, const eng_param *p, const cJSON *field, mpz_t v)
{
    if (!cJSON_IsArray(field) || cJSON_GetArraySize(field) != ENC_CONF_LEVELS)
        return false;
    uint32_t *list = field_of(g, p);
    for (int k = 0; k < ENC_CONF_LEVELS; k++) {
        if (!parse_value(p, cJSON_GetArrayItem(field, k), v))
            return false;
        list[k] = (uint32_t)mpz_get_ui(v);
    }
    return true;
}

int eng_params_parse_member(eng_genesis *g, const char *section, const cJSON *field, char *err, size_t errlen)
{
    char name[96];
    if ((size_t)snprintf(name, sizeof name, "%s.%s", section, field->string) >= sizeof name)
        return ST_NOTFOUND;
    const eng_param *p = eng_param_find(name);
    if (!p)
        return ST_NOTFOUND;
    mpz_t v;
    mpz_init(v);
    bool ok = p->kind == ENG_PARAM_PPM_LIST ? parse_list(g, p, field, v) : parse_value(p, field, v);
    if (ok && p->kind != ENG_PARAM_PPM_LIST)
        eng_param_set(g, p, v);
    mpz_clear(v);
    if (ok)
        return ST_OK;
    snprintf(err, errlen, "genesis: %s is out of range (%s%s to %s)", name,
             p->kind == ENG_PARAM_PPM_LIST ? "5 values, each " : "", p->min, p->max);
    return ST_INVALID;
}

/* Adds one array of numbers: the list p of g. */
static bool write_list(cJSON *obj, const char *key, const uint32_t *list)
{
    cJSON *arr = cJSON_AddArrayToObject(obj, key);
    for (int k = 0; arr && k < ENC_CONF_LEVELS; k++) {
        cJSON *n = cJSON_CreateNumber(list[k]);
        if (!n || !cJSON_AddItemToArray(arr, n)) {
            cJSON_Delete(n);
            return false;
        }
    }
    return arr != NULL;
}

int eng_params_write_section(cJSON *obj, const eng_genesis *g, const char *section)
{
    size_t len = strlen(section);
    mpz_t v;
    mpz_init(v);
    bool ok = true;
    for (size_t i = 0; i < N_PARAMS && ok; i++) {
        const eng_param *p = &params[i];
        if (strncmp(p->name, section, len) != 0 || p->name[len] != '.')
            continue;
        const char *key = p->name + len + 1;
        if (p->kind == ENG_PARAM_PPM_LIST) {
            ok = write_list(obj, key, const_field_of(g, p));
            continue;
        }
        eng_param_get(g, p, v);
        if (p->kind == ENG_PARAM_AMOUNT) {
            char buf[LEDGER_AMOUNT_STRLEN];
            ledger_amount_format(buf, v);
            ok = cJSON_AddStringToObject(obj, key, buf) != NULL;
        } else if (p->kind == ENG_PARAM_FIXED) {
            char buf[128];  /* a bounded fixed: at most 13 whole digits and 36 decimals */
            fixed_format(buf, sizeof buf, v);
            ok = cJSON_AddStringToObject(obj, key, buf) != NULL;
        } else {
            ok = cJSON_AddNumberToObject(obj, key, (double)mpz_get_ui(v)) != NULL;
        }
    }
    mpz_clear(v);
    return ok ? ST_OK : ST_NOMEM;
}
