/* SPDX-License-Identifier: MIT */
/* output.c: the human rendering of the node's answers: aligned "label  value" lines, token amounts
 * in whole tokens (exact, via ledger_amount_format_human) unless --raw, events and messages as
 * "Type key=value ..." (a changed parameter's value in its unit). Missing or unexpected members
 * print as "-" rather than failing, so a newer node's answers still show. --json bypasses all of
 * this (cli_print_json). */
#include "cli/cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "engine/params.h"
#include "ledger/amount.h"

#define LABEL_WIDTH 12

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("conclave: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void cli_print_json(const cJSON *v)
{
    char *s = cJSON_Print(v);
    if (!s) {
        cli_error("out of memory");
        return;
    }
    puts(s);
    cJSON_free(s);
}

/* Members whose values are token amounts in base units (shown in tokens unless raw). Shares are
 * not among them: they are counted in base units, as Withdraw takes them. */
static bool is_token_key(const char *key)
{
    static const char *const keys[] = { "amount", "deposit", "cumulative", "capacity", "free", "escrow",
                                        "claimable", "balance", "stake", "reward", "fee", "commission",
                                        "freeStake", "bonded", "unbonding", "value", "pendingRewards",
                                        "minStake", "redeemed", "paid", "owed", "queuedValue", "fromBonded", "fromUnbonding", "treasury",
                                        "supply", "for", "against", "abstain", "turnout", "totalPower",
                                        "quorum", "own", "delegated", "delegatedWeight", "total", "threshold",
                                        "spendCap", "power", "weight", "delegatedPower", "totalWeight",
                                        "burned", "returned", "locked", "scoresTotal", NULL };
    for (const char *const *k = keys; *k; k++)
        if (strcmp(key, *k) == 0)
            return true;
    return false;
}

/* Writes the text of one JSON value into buf: strings bare, integers without a fraction, a token
 * amount (token, and raw off) in whole tokens, anything else compact JSON. */
static void text_of(char *buf, size_t cap, const cJSON *v, bool token, bool raw)
{
    mpz_t amount;
    if (!v || cJSON_IsNull(v)) {
        snprintf(buf, cap, "-");
    } else if (cJSON_IsString(v)) {
        mpz_init(amount);
        if (!raw && token && ledger_amount_parse(amount, v->valuestring, strlen(v->valuestring)) == ST_OK) {
            char human[LEDGER_AMOUNT_STRLEN + 2];
            ledger_amount_format_human(human, amount, LEDGER_AMOUNT_DECIMALS);
            snprintf(buf, cap, "%s", human);
        } else {
            snprintf(buf, cap, "%s", v->valuestring);
        }
        mpz_clear(amount);
    } else if (cJSON_IsNumber(v) && v->valuedouble == (double)(long long)v->valuedouble) {
        snprintf(buf, cap, "%lld", (long long)v->valuedouble);
    } else if (cJSON_IsBool(v)) {
        snprintf(buf, cap, "%s", cJSON_IsTrue(v) ? "yes" : "no");
    } else {
        char *s = cJSON_PrintUnformatted(v);
        snprintf(buf, cap, "%s", s ? s : "?");
        cJSON_free(s);
    }
}

/* text_of for member key: a token amount when key names one. */
static void value_text(char *buf, size_t cap, const char *key, const cJSON *v, bool raw)
{
    text_of(buf, cap, v, key && is_token_key(key), raw);
}

/* Writes the value of the governed parameter called name in its unit (engine/params.h): an
 * amount as amounts are shown, seconds as "86400s", parts per million as "50000ppm", a count, or a
 * parameter this client does not know, bare. */
static void param_value_text(char *buf, size_t cap, const char *name, const cJSON *v, bool raw)
{
    enum eng_param_unit unit = eng_param_unit(name);
    text_of(buf, cap, v, unit == ENG_UNIT_AMOUNT, raw);
    const char *suffix = unit == ENG_UNIT_SECONDS ? "s" : unit == ENG_UNIT_PPM ? "ppm" : "";
    size_t len = strlen(buf);
    if (*suffix && (cJSON_IsString(v) || cJSON_IsNumber(v)) && len < cap)
        snprintf(buf + len, cap - len, "%s", suffix);
}

/* Prints "label  value" for member key of obj. */
static void line(const char *label, const cJSON *obj, const char *key, bool raw)
{
    char text[1024];
    value_text(text, sizeof text, key, cJSON_GetObjectItemCaseSensitive(obj, key), raw);
    printf("%-*s %s\n", LABEL_WIDTH, label, text);
}

/* Writes "SECONDS (ISO-8601 UTC)" for a time value, or "-". */
static void time_text(char *buf, size_t cap, const cJSON *v)
{
    char iso[32] = "";
    if (!cJSON_IsNumber(v)) {
        value_text(buf, cap, NULL, v, false);
        return;
    }
    time_t t = (time_t)v->valuedouble;
    struct tm tm;
    if (gmtime_r(&t, &tm))
        strftime(iso, sizeof iso, " (%Y-%m-%dT%H:%M:%SZ)", &tm);
    snprintf(buf, cap, "%.0f%s", v->valuedouble, iso);
}

/* Prints "label  SECONDS (ISO-8601 UTC)" for a time member. */
static void time_line(const char *label, const cJSON *obj, const char *key)
{
    char text[64];
    time_text(text, sizeof text, cJSON_GetObjectItemCaseSensitive(obj, key));
    printf("%-*s %s\n", LABEL_WIDTH, label, text);
}

/* One "label  value" line of a member: a time as SECONDS (ISO-8601 UTC), anything else as line. */
typedef struct member_line {
    const char *label, *key;
    bool time;
} member_line;

/* Prints the lines of obj's members, as many as ls holds up to its { NULL } end. */
static void member_lines(const cJSON *obj, const member_line *ls, bool raw)
{
    for (; ls->label; ls++) {
        if (ls->time)
            time_line(ls->label, obj, ls->key);
        else
            line(ls->label, obj, ls->key, raw);
    }
}

/* Prints an object as "Type key=value key=value" (the "type" member first, if any); the value of
 * a ParameterChanged event in the unit of the parameter it names. */
static void print_kv(const cJSON *obj, bool raw)
{
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(obj, "type");
    const cJSON *param = cJSON_GetObjectItemCaseSensitive(obj, "name");
    if (!cJSON_IsString(type) || strcmp(type->valuestring, "ParameterChanged") != 0 || !cJSON_IsString(param))
        param = NULL;
    const char *sep = "";
    char text[1024];
    if (cJSON_IsString(type)) {
        fputs(type->valuestring, stdout);
        sep = " ";
    }
    const cJSON *m;
    cJSON_ArrayForEach(m, obj) {
        if (m == type || !m->string)
            continue;
        if (param && strcmp(m->string, "value") == 0)
            param_value_text(text, sizeof text, param->valuestring, m, raw);
        else
            value_text(text, sizeof text, m->string, m, raw);
        printf("%s%s=%s", sep, m->string, text);
        sep = " ";
    }
    fputc('\n', stdout);
}

/* Prints the objects of array member key, one per line as print_kv: the first on the label's line,
 * the others below it; "(none)" for an empty or missing array. */
static void list_lines(const char *label, const cJSON *obj, const char *key, bool raw)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0) {
        printf("%-*s (none)\n", LABEL_WIDTH, label);
        return;
    }
    const cJSON *item;
    cJSON_ArrayForEach(item, arr) {
        printf("%-*s ", LABEL_WIDTH, label);
        label = "";
        if (cJSON_IsObject(item))
            print_kv(item, raw);
        else
            cli_print_json(item);
    }
}

/* Prints "label  N (index I)" for the block and index of a receipt or transaction. */
/* The hash of a receipt or a transaction and where it stands: "hash" and "block (index)". */
static void hash_and_position_lines(const cJSON *obj, bool raw)
{
    char block[64], index[64];
    line("hash", obj, "hash", raw);
    value_text(block, sizeof block, NULL, cJSON_GetObjectItemCaseSensitive(obj, "block"), false);
    value_text(index, sizeof index, NULL, cJSON_GetObjectItemCaseSensitive(obj, "index"), false);
    printf("%-*s %s (index %s)\n", LABEL_WIDTH, "block", block, index);
}

/* How a receipt or a transaction ended: its status, its error if any, its events. */
static void outcome_lines(const cJSON *obj, bool raw)
{
    line("status", obj, "status", raw);
    if (cJSON_GetObjectItemCaseSensitive(obj, "error"))
        line("error", obj, "error", raw);
    list_lines("events", obj, "events", raw);
}

void cli_print_info(const cJSON *info, bool raw)
{
    static const member_line ls[] = { { "chain id", "chainId", false }, { "height", "height", false },
                                      { "head", "headHash", false }, { "genesis", "genesisHash", false },
                                      { "time", "time", true }, { "version", "version", false },
                                      { "dev", "dev", false }, { NULL } };
    member_lines(info, ls, false);
}

void cli_print_account(const cJSON *acct, bool raw)
{
    static const member_line ls[] = { { "address", "address", false }, { "nonce", "nonce", false },
                                      { "free", "free", false }, { "escrow", "escrow", false },
                                      { "claimable", "claimable", false }, { NULL } };
    member_lines(acct, ls, raw);
}

void cli_print_receipt(const cJSON *receipt, bool raw)
{
    hash_and_position_lines(receipt, raw);
    outcome_lines(receipt, raw);
}

void cli_print_block(const cJSON *block, bool raw)
{
    static const member_line ls[] = { { "height", "height", false }, { "hash", "hash", false },
                                      { "parent", "parent", false }, { "time", "time", true },
                                      { "tx root", "txRoot", false }, { "tx count", "txCount", false }, { NULL } };
    member_lines(block, ls, false);
    const cJSON *txs = cJSON_GetObjectItemCaseSensitive(block, "transactions");
    const cJSON *h;
    const char *label = "transactions";
    cJSON_ArrayForEach(h, txs) {
        printf("%-*s %s\n", LABEL_WIDTH, label, cJSON_IsString(h) ? h->valuestring : "?");
        label = "";
    }
}

void cli_print_tx(const cJSON *tx, bool raw)
{
    hash_and_position_lines(tx, raw);
    line("sender", tx, "sender", raw);
    line("type", tx, "type", raw);
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(tx, "transaction");
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(body, "message");
    printf("%-*s ", LABEL_WIDTH, "message");
    if (cJSON_IsObject(msg))
        print_kv(msg, raw);
    else
        puts("-");
    outcome_lines(tx, raw);
}

void cli_print_pool(const cJSON *pool, bool raw)
{
    char a[1024], b[1024];
    const cJSON *raise = cJSON_GetObjectItemCaseSensitive(pool, "pendingCommission");
    line("pool", pool, "id", raw);
    line("owner", pool, "owner", raw);
    line("description", pool, "description", raw);
    value_text(a, sizeof a, NULL, cJSON_GetObjectItemCaseSensitive(pool, "commissionPpm"), raw);
    printf("%-*s %s ppm\n", LABEL_WIDTH, "commission", a);
    if (cJSON_IsObject(raise)) {
        value_text(a, sizeof a, NULL, cJSON_GetObjectItemCaseSensitive(raise, "commissionPpm"), raw);
        time_text(b, sizeof b, cJSON_GetObjectItemCaseSensitive(raise, "effectiveAt"));
        printf("%-*s %s ppm at %s\n", LABEL_WIDTH, "raise", a, b);
    } else {
        printf("%-*s -\n", LABEL_WIDTH, "raise");
    }
    line("capacity", pool, "capacity", raw);
    line("stake", pool, "stake", raw);
    line("free stake", pool, "freeStake", raw);
    line("bonded", pool, "bonded", raw);
    line("unbonding", pool, "unbonding", raw);
    line("shares", pool, "shares", raw);
    /* base units per share, which is also tokens per 10^18 shares, at any depth of slashing */
    line("share price", pool, "sharePriceDecimal", raw);
    line("workers", pool, "workers", raw);
    value_text(a, sizeof a, "queuedShares", cJSON_GetObjectItemCaseSensitive(pool, "queuedShares"), raw);
    value_text(b, sizeof b, "queuedValue", cJSON_GetObjectItemCaseSensitive(pool, "queuedValue"), raw);
    printf("%-*s %s shares, worth %s\n", LABEL_WIDTH, "queued", a, b);
    line("allowlist", pool, "allowlisted", raw);
    line("created at", pool, "createdHeight", raw);
}

void cli_print_worker(const cJSON *w, bool raw)
{
    const cJSON *reg = cJSON_GetObjectItemCaseSensitive(w, "registration"), *up = cJSON_GetObjectItemCaseSensitive(w, "uptime");
    char a[1024], b[1024];
    line("worker", w, "worker", raw);
    line("state", w, "state", raw);
    line("pool", w, "pool", raw);
    line("operator", cJSON_IsObject(reg) ? reg : w, "operator", raw);
    line("runtime", cJSON_IsObject(reg) ? reg : w, "measurement", raw);
    line("score", w, "score", raw);
    line("confidence", w, "confLevel", raw);
    line("bonded", w, "bonded", raw);
    line("min stake", w, "minStake", raw);
    line("V", w, "valuePromise", raw);
    value_text(a, sizeof a, NULL, cJSON_GetObjectItemCaseSensitive(up, "answered"), raw);
    value_text(b, sizeof b, NULL, cJSON_GetObjectItemCaseSensitive(up, "due"), raw);
    printf("%-*s %s of %s slots this epoch\n", LABEL_WIDTH, "uptime", a, b);
}

void cli_print_workers(const cJSON *list, bool raw)
{
    const cJSON *w;
    cJSON_ArrayForEach(w, cJSON_GetObjectItemCaseSensitive(list, "workers"))
    {
        cli_print_worker(w, raw);
        putchar('\n');
    }
    if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(list, "workers")) == 0)
        puts("(no workers)");
}

void cli_print_pools(const cJSON *pools, bool raw)
{
    static const char *const keys[] = { "id", "owner", "commissionPpm", "workers", "stake", "capacity" };
    char text[6][1024];
    const cJSON *p;
    if (cJSON_GetArraySize(pools) == 0) {
        puts("(no pools)");
        return;
    }
    printf("%-6s %-42s %10s %7s  %s\n", "POOL", "OWNER", "COMM(PPM)", "WORKERS", "STAKE / CAPACITY");
    cJSON_ArrayForEach(p, pools) {
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
            value_text(text[i], sizeof text[i], keys[i], cJSON_GetObjectItemCaseSensitive(p, keys[i]), raw);
        printf("%-6s %-42s %10s %7s  %s / %s\n", text[0], text[1], text[2], text[3], text[4], text[5]);
    }
}

void cli_print_position(const cJSON *position, bool raw)
{
    line("address", position, "address", raw);
    line("claimable", position, "claimable", raw);
    list_lines("positions", position, "positions", raw);
}

void cli_print_proposal(const cJSON *p, bool raw)
{
    const cJSON *tl = cJSON_GetObjectItemCaseSensitive(p, "timeline"), *tally = cJSON_GetObjectItemCaseSensitive(p, "tally");
    static const member_line head[] = { { "proposal", "id", false }, { "state", "state", false },
                                        { "track", "track", false }, { "title", "title", false },
                                        { "proposer", "proposer", false }, { "deposit", "deposit", false },
                                        { "payload", "payload", false }, { "snapshot", "snapshot", false }, { NULL } };
    static const member_line timeline[] = { { "created", "created", true }, { "vote start", "voteStart", true },
                                            { "vote end", "voteEnd", true }, { "eta", "eta", true },
                                            { "expires", "expires", true }, { NULL } };
    static const member_line tally_lines[] = { { "for", "for", false }, { "against", "against", false },
                                               { "abstain", "abstain", false }, { "turnout", "turnout", false },
                                               { "quorum", "quorum", false }, { "quorum met", "quorumReached", false },
                                               { "approved", "approvalReached", false }, { NULL } };
    member_lines(p, head, raw);
    member_lines(tl, timeline, raw);
    line("reason", p, "reason", raw);
    member_lines(tally, tally_lines, raw);
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(p, "body");
    if (cJSON_IsString(body) && *body->valuestring)
        printf("\n%s\n", body->valuestring);
}

void cli_print_proposals(const cJSON *proposals, bool raw)
{
    static const char *const keys[] = { "id", "state", "track", "for", "against", "abstain", "title" };
    char text[7][1024];
    const cJSON *p;
    if (cJSON_GetArraySize(proposals) == 0) {
        puts("(no proposals)");
        return;
    }
    printf("%-6s %-10s %-10s %-24s %-24s %-24s %s\n", "ID", "STATE", "TRACK", "FOR", "AGAINST", "ABSTAIN", "TITLE");
    cJSON_ArrayForEach(p, proposals) {
        const cJSON *tally = cJSON_GetObjectItemCaseSensitive(p, "tally");
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
            value_text(text[i], sizeof text[i], keys[i],
                       cJSON_GetObjectItemCaseSensitive(i >= 3 && i <= 5 ? tally : p, keys[i]), raw);
        printf("%-6s %-10s %-10s %-24s %-24s %-24s %s\n", text[0], text[1], text[2], text[3], text[4], text[5], text[6]);
    }
}

void cli_print_power(const cJSON *power, bool raw)
{
    static const member_line ls[] = { { "address", "address", false }, { "height", "height", false },
                                      { "own", "own", false }, { "delegated", "delegated", false },
                                      { "deleg weight", "delegatedWeight", false }, { "total", "total", false },
                                      { NULL } };
    member_lines(power, ls, raw);
}

void cli_print_results(const cJSON *results, bool raw)
{
    static const member_line ls[] = { { "proposal", "proposal", false }, { "state", "state", false },
                                      { "system", "system", false }, { "final", "final", false },
                                      { "ballots", "totalVotes", false }, { "power", "scoresTotal", false },
                                      { "winner", "winner", false }, { NULL } };
    /* a secret poll's count: "-" until it lands */
    static const member_line secret[] = { { "secret", "secret", false }, { "valid", "validVotes", false },
                                          { "invalid", "invalidVotes", false }, { "enclave", "enclave", false },
                                          { "ballots hash", "ballotsHash", false }, { NULL } };
    member_lines(results, ls, raw);
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(results, "secret")))
        member_lines(results, secret, raw);
    const cJSON *choices = cJSON_GetObjectItemCaseSensitive(results, "choices");
    const cJSON *scores = cJSON_GetObjectItemCaseSensitive(results, "scores");
    for (int i = 0; i < cJSON_GetArraySize(choices); i++) {
        const cJSON *name = cJSON_GetArrayItem(choices, i);
        char score[1024];
        text_of(score, sizeof score, cJSON_GetArrayItem(scores, i), true, raw);
        printf("%3d  %-32s %s\n", i + 1, cJSON_IsString(name) ? name->valuestring : "?", score);
    }
}

bool cli_print_audit(const cJSON *audit)
{
    const cJSON *checks = cJSON_GetObjectItemCaseSensitive(audit, "checks");
    const cJSON *c;
    char height[64];
    cJSON_ArrayForEach(c, checks) {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(c, "name");
        const cJSON *detail = cJSON_GetObjectItemCaseSensitive(c, "detail");
        printf("%-4s  %-28s %s\n", cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "ok")) ? "ok" : "FAIL",
               cJSON_IsString(name) ? name->valuestring : "?", cJSON_IsString(detail) ? detail->valuestring : "");
    }
    bool ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(audit, "ok"));
    value_text(height, sizeof height, NULL, cJSON_GetObjectItemCaseSensitive(audit, "height"), false);
    printf("audit at height %s: %s\n", height, ok ? "OK" : "FAILED");
    return ok;
}

char *cli_rpc_error_text(const cJSON *error)
{
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(error, "message");
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(error, "code");
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(error, "data");
    char *data_text = data ? cJSON_PrintUnformatted(data) : NULL;
    const char *m = cJSON_IsString(msg) ? msg->valuestring : "(no message)";
    size_t cap = strlen(m) + (data_text ? strlen(data_text) : 0) + 64;
    char *out = malloc(cap);
    if (out) {
        int n = snprintf(out, cap, "%s (code %d", m, cJSON_IsNumber(code) ? code->valueint : 0);
        if (data_text)
            snprintf(out + n, cap - (size_t)n, ", data %s)", data_text);
        else
            snprintf(out + n, cap - (size_t)n, ")");
    }
    cJSON_free(data_text);
    return out;
}
