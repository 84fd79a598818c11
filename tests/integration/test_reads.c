/* SPDX-License-Identifier: MIT */
/* test_reads.c: the reads of dashboards (issue 14) against a real conclaved --dev over JSON-RPC:
 * rpc.discover against the method table; the system balances and the total supply at the head and
 * at past heights; an address's history, newest first and paged; the eth_getLogs-style event filter
 * with its span and read bounds; settled epochs and their decoded inputs; an address's votes; a
 * pool's rewards per epoch from a real settlement and its APR by the stated rule; and the precise
 * errors of bad parameters. */
#include <criterion/criterion.h>
#include <gmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "node/methods.h"
#include "tests/lib/node.h"
#include "tests/lib/testhelp.h"

#define TOKEN "000000000000000000"

static th_node *const node = &th_suite_node;

TestSuite(integration_reads, .init = th_suite_node_start, .fini = th_suite_node_stop, .timeout = 60);

static const cJSON *member(const cJSON *obj, const char *key)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, key);
    cr_assert(m, "member %s in %s", key, cJSON_PrintUnformatted(obj));
    return m;
}

static const cJSON *find_method(const cJSON *methods, const char *name)
{
    const cJSON *m;
    cJSON_ArrayForEach(m, methods)
    if (strcmp(th_str(m, "name"), name) == 0)
        return m;
    return NULL;
}

Test(integration_reads, rpc_discover_lists_every_method_of_the_table_and_each_answers)
{
    cJSON *resp = th_call(node, "rpc.discover", NULL);
    const cJSON *doc = th_result(resp), *methods = member(doc, "methods"), *m;
    cr_assert_str_eq(th_str(doc, "openrpc"), "1.2.6", "an OpenRPC document");
    cr_assert_str_eq(th_str(member(doc, "info"), "title"), "conclave", "named after the node");
    size_t n;
    const rpc_method *table = node_methods(&n);
    cr_assert_eq((size_t)cJSON_GetArraySize(methods), n, "a dev node serves every method of the table");
    for (size_t i = 0; i < n; i++) {
        const cJSON *d = find_method(methods, table[i].name);
        cr_assert(d, "%s is in the document", table[i].name);
        cr_assert(table[i].summary && *table[i].summary && table[i].result && *table[i].result,
                  "%s has a summary and a result", table[i].name);
        cr_assert_str_eq(th_str(d, "summary"), table[i].summary, "%s: its summary", table[i].name);
        cr_assert_str_eq(th_str(member(d, "result"), "description"), table[i].result, "%s: its result", table[i].name);
        const cJSON *params = member(d, "params");
        int k = 0;
        for (; table[i].params && table[i].params[k]; k++) {
            const cJSON *p = cJSON_GetArrayItem(params, k);
            cr_assert(p, "%s: param %d", table[i].name, k);
            cr_assert_str_eq(th_str(p, "name"), table[i].params[k], "%s: params in positional order", table[i].name);
            cr_assert(*th_str(p, "description"), "%s.%s is described", table[i].name, table[i].params[k]);
        }
        cr_assert_eq(cJSON_GetArraySize(params), k, "%s: as many params as the table", table[i].name);
        bool admin = (table[i].flags & RPC_ADMIN) != 0;
        cr_assert_eq(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(d, "x-admin")), admin, "%s: admin marked", table[i].name);
    }
    cJSON_ArrayForEach(m, methods)
    {
        /* with no params every method answers something other than "method not found"; one with a
         * required param refuses (-32602), and a param it says is required is marked so */
        const char *name = th_str(m, "name");
        const cJSON *p, *first_required = NULL;
        cJSON_ArrayForEach(p, member(m, "params"))
        {
            cr_assert(cJSON_IsBool(member(p, "required")), "%s.%s: required is a boolean", name, th_str(p, "name"));
            if (!first_required && cJSON_IsTrue(member(p, "required")))
                first_required = p;
        }
        cJSON *r = th_call(node, name, NULL);
        const cJSON *err = cJSON_GetObjectItemCaseSensitive(r, "error");
        cr_assert(!err || th_num(err, "code") != -32601, "%s answers: %s", name, cJSON_PrintUnformatted(r));
        cr_assert(!first_required || (err && th_num(err, "code") == -32602), "%s needs %s: %s", name,
                  first_required ? th_str(first_required, "name") : "", cJSON_PrintUnformatted(r));
        char said[96];
        if (err && first_required) {
            snprintf(said, sizeof said, "params.%s: required", th_str(first_required, "name"));
            cr_assert(!strstr(th_str(err, "message"), ": required") || strcmp(th_str(err, "message"), said) == 0,
                      "%s: the first param it requires is the first marked required: %s", name, th_str(err, "message"));
        }
        cr_assert(first_required || !err || !strstr(th_str(err, "message"), ": required"),
                  "%s requires a param marked optional: %s", name, cJSON_PrintUnformatted(r));
        cJSON_Delete(r);
    }
    /* a known required param and a known optional one */
    const cJSON *history = member(find_method(methods, "ledger_getAccountHistory"), "params");
    cr_assert(cJSON_IsTrue(member(cJSON_GetArrayItem(history, 0), "required")), "address is required");
    cr_assert(cJSON_IsFalse(member(cJSON_GetArrayItem(history, 1), "required")), "cursor is optional");
    cJSON_Delete(resp);
    resp = th_call(node, "rpc.discover", "{\"x\":1}");
    cr_assert_eq(th_error_code(resp), -32602, "rpc.discover takes no params");
    cJSON_Delete(resp);
}

/* The head's height. */
static uint64_t head(void)
{
    cJSON *resp = th_call(node, "node_info", NULL);
    uint64_t h = (uint64_t)th_num(th_result(resp), "height");
    cJSON_Delete(resp);
    return h;
}

/* ledger_getSupply at height (or the head when height is NULL); caller deletes. */
static cJSON *supply(const char *height)
{
    cJSON *resp = height ? th_callf(node, "ledger_getSupply", "{\"height\":%s}", height) : th_call(node, "ledger_getSupply", NULL);
    cr_assert(cJSON_GetObjectItemCaseSensitive(resp, "result"), "%s", cJSON_PrintUnformatted(resp));
    return resp;
}

/* Whether the decimal strings x - y == want. */
static bool difference_is(const char *x, const char *y, const char *want)
{
    mpz_t a, b, w;
    mpz_inits(a, b, w, NULL);
    bool ok = mpz_set_str(a, x, 10) == 0 && mpz_set_str(b, y, 10) == 0 && mpz_set_str(w, want, 10) == 0;
    mpz_sub(a, a, b);
    ok = ok && mpz_cmp(a, w) == 0;
    mpz_clears(a, b, w, NULL);
    return ok;
}

static void admin(const char *method, const char *params)
{
    cJSON *resp = th_call(node, method, params);
    cr_assert(cJSON_GetObjectItemCaseSensitive(resp, "result"), "%s: %s", method, cJSON_PrintUnformatted(resp));
    cJSON_Delete(resp);
}

Test(integration_reads, supply_moves_with_mints_and_rewards_and_past_heights_keep_their_values)
{
    cJSON *before = supply(NULL);
    const cJSON *b = th_result(before);
    uint64_t h0 = (uint64_t)th_num(b, "height");
    cr_assert_eq(h0, head(), "the head by default");
    char issuance[100];
    snprintf(issuance, sizeof issuance, "-%s", th_str(b, "totalSupply"));
    cr_assert_str_eq(th_str(b, "issuance"), issuance, "issuance is the negated total supply");

    char mint[200];
    snprintf(mint, sizeof mint, "{\"to\":\"%s\",\"amount\":\"5" TOKEN "\"}", th_addr(9));
    admin("admin_mint", mint);
    th_send_done(node, 0, "PoolCreate", "{\"commissionPpm\":\"100000\",\"capacity\":\"1000000" TOKEN "\"}");
    th_send_done(node, 1, "Contribute", "{\"pool\":\"1\",\"amount\":\"100" TOKEN "\"}");
    admin("admin_rewardPool", "{\"pool\":1,\"amount\":\"40" TOKEN "\"}");

    cJSON *after = supply(NULL);
    const cJSON *a = th_result(after);
    cr_assert(difference_is(th_str(a, "totalSupply"), th_str(b, "totalSupply"), "5" TOKEN), "the mint added 5 tokens");
    cr_assert(difference_is(th_str(b, "treasury"), th_str(a, "treasury"), "40" TOKEN), "the reward came out of the treasury");

    char h[32];
    snprintf(h, sizeof h, "%llu", (unsigned long long)h0);
    cJSON *past = supply(h);
    const cJSON *p = th_result(past);
    cr_assert_str_eq(th_str(p, "totalSupply"), th_str(b, "totalSupply"), "the supply at the earlier height is as it was");
    cr_assert_str_eq(th_str(p, "treasury"), th_str(b, "treasury"), "and the treasury");
    cr_assert_str_eq(th_str(p, "fees"), th_str(b, "fees"), "and the fees");
    cJSON *genesis = supply("0");
    cr_assert_eq(th_num(th_result(genesis), "height"), 0, "the genesis block");
    cJSON_Delete(genesis);
    cJSON_Delete(past);
    cJSON_Delete(after);
    cJSON_Delete(before);

    cJSON *resp = th_callf(node, "ledger_getSupply", "{\"height\":%llu}", (unsigned long long)head() + 1);
    cr_assert_eq(th_error_code(resp), -32003, "a block that does not exist: %s", cJSON_PrintUnformatted(resp));
    cJSON_Delete(resp);
    resp = th_call(node, "ledger_getSupply", "{\"height\":-1}");
    cr_assert_eq(th_error_code(resp), -32602, "a negative height");
    cJSON_Delete(resp);
}

/* ledger_getAccountHistory of dev who with extra params (JSON members, may be empty); caller deletes. */
static cJSON *history(unsigned who, const char *extra)
{
    cJSON *resp = th_callf(node, "ledger_getAccountHistory", "{\"address\":\"%s\"%s}", th_addr(who), extra);
    cr_assert(cJSON_GetObjectItemCaseSensitive(resp, "result"), "%s", cJSON_PrintUnformatted(resp));
    return resp;
}

static const char *tx_hash(const cJSON *send_response)
{
    return th_str(th_result(send_response), "hash");
}

Test(integration_reads, account_history_is_newest_first_paged_and_counts_what_others_sent)
{
    cJSON *t1 = th_send(node, 0, "Transfer", "{\"to\":\"%s\",\"amount\":\"1" TOKEN "\"}", th_addr(7));
    cJSON *t2 = th_send(node, 1, "Transfer", "{\"to\":\"%s\",\"amount\":\"2" TOKEN "\"}", th_addr(7));
    cJSON *t3 = th_send(node, 7, "Transfer", "{\"to\":\"%s\",\"amount\":\"1" TOKEN "\"}", th_addr(2));
    cJSON *t4 = th_send(node, 3, "Transfer", "{\"to\":\"%s\",\"amount\":\"1" TOKEN "\"}", th_addr(4));
    cJSON *resp = history(7, "");
    const cJSON *r = th_result(resp), *txs = member(r, "transactions");
    int n = cJSON_GetArraySize(txs);
    cr_assert_geq(n, 3, "at least its three (and its genesis funding): %s", cJSON_PrintUnformatted(r));
    cr_assert_str_eq(th_str(cJSON_GetArrayItem(txs, 0), "hash"), tx_hash(t3), "newest first: what it sent");
    cr_assert_str_eq(th_str(cJSON_GetArrayItem(txs, 1), "hash"), tx_hash(t2), "then what dev 1 sent it");
    cr_assert_str_eq(th_str(cJSON_GetArrayItem(txs, 2), "hash"), tx_hash(t1), "then what dev 0 sent it");
    for (int i = 0; i < n; i++)
        cr_assert_str_neq(th_str(cJSON_GetArrayItem(txs, i), "hash"), tx_hash(t4), "not a transfer between others");
    cr_assert(cJSON_IsNull(member(r, "next")), "one page holds it all");
    cr_assert_str_eq(th_str(cJSON_GetArrayItem(txs, 0), "type"), "Transfer", "with its type");
    cr_assert_eq(cJSON_GetArraySize(member(cJSON_GetArrayItem(txs, 0), "events")), 1, "and its events");

    cJSON *page1 = history(7, ",\"limit\":2");
    const cJSON *p1 = th_result(page1);
    cr_assert_eq(th_count(p1, "transactions"), 2, "a page of two");
    char cursor[100];
    snprintf(cursor, sizeof cursor, ",\"cursor\":\"%s\",\"limit\":1", th_str(p1, "next"));
    cJSON *page2 = history(7, cursor);
    const cJSON *p2 = th_result(page2);
    cr_assert_str_eq(th_str(cJSON_GetArrayItem(member(p2, "transactions"), 0), "hash"), tx_hash(t1),
                     "the next page starts after the cursor");
    cJSON_Delete(page2);
    cJSON_Delete(page1);
    cJSON_Delete(resp);

    resp = th_callf(node, "ledger_getAccountHistory", "{\"address\":\"0x000000000000000000000000000000000000dEaD\"}");
    cr_assert_eq(th_count(th_result(resp), "transactions"), 0, "an address that did nothing has no history");
    cJSON_Delete(resp);
    static const char *const bad[] = { "\"1\"", "\"1:\"", "\"x:1\"", "\"01:2\"", "\"1:2:3\"", "12", "\"99999999999999999999:1\"" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        resp = th_callf(node, "ledger_getAccountHistory", "{\"address\":\"%s\",\"cursor\":%s}", th_addr(7), bad[i]);
        cr_assert_eq(th_error_code(resp), -32602, "cursor %s is refused", bad[i]);
        cJSON_Delete(resp);
    }
    cJSON_Delete(t1);
    cJSON_Delete(t2);
    cJSON_Delete(t3);
    cJSON_Delete(t4);
}

/* ledger_getEvents with params (JSON text); caller deletes. */
static cJSON *events(const char *params)
{
    cJSON *resp = th_call(node, "ledger_getEvents", params);
    cr_assert(cJSON_GetObjectItemCaseSensitive(resp, "result"), "%s: %s", params, cJSON_PrintUnformatted(resp));
    return resp;
}

Test(integration_reads, get_events_filters_by_range_area_type_and_address_and_pages)
{
    uint64_t from = head() + 1;
    th_send_done(node, 0, "Transfer", "{\"to\":\"%s\",\"amount\":\"1" TOKEN "\"}", th_addr(8));
    th_send_done(node, 1, "Transfer", "{\"to\":\"%s\",\"amount\":\"1" TOKEN "\"}", th_addr(2));
    th_send_done(node, 8, "Transfer", "{\"to\":\"%s\",\"amount\":\"1" TOKEN "\"}", th_addr(3));
    th_send_done(node, 0, "PoolCreate", "{\"commissionPpm\":\"100000\",\"capacity\":\"1000000" TOKEN "\"}");
    uint64_t to = head();
    char params[300];
    snprintf(params, sizeof params, "{\"fromHeight\":%llu,\"toHeight\":%llu,\"type\":\"Transfer\"}",
             (unsigned long long)from, (unsigned long long)to);
    cJSON *resp = events(params);
    const cJSON *r = th_result(resp), *list = member(r, "events");
    cr_assert_eq(cJSON_GetArraySize(list), 3, "three transfers: %s", cJSON_PrintUnformatted(r));
    const cJSON *e0 = cJSON_GetArrayItem(list, 0);
    cr_assert_str_eq(th_str(e0, "from"), th_addr(0), "oldest first");
    cr_assert_str_eq(th_str(e0, "area"), "ledger", "with its area");
    char id[64];
    snprintf(id, sizeof id, "%llu:%llu:%llu", (unsigned long long)th_num(e0, "height"),
             (unsigned long long)th_num(e0, "index"), (unsigned long long)th_num(e0, "logIndex"));
    cr_assert_str_eq(th_str(e0, "id"), id, "its id is its position");
    cr_assert(cJSON_IsNull(member(r, "next")), "all in one page");
    cJSON_Delete(resp);

    snprintf(params, sizeof params, "{\"fromHeight\":%llu,\"toHeight\":%llu,\"address\":\"%s\"}",
             (unsigned long long)from, (unsigned long long)to, th_addr(8));
    resp = events(params);
    list = member(th_result(resp), "events");
    cr_assert_eq(cJSON_GetArraySize(list), 2, "dev 8 received one and sent one");
    cr_assert_str_eq(th_str(cJSON_GetArrayItem(list, 1), "from"), th_addr(8), "the one it sent");
    cJSON_Delete(resp);

    snprintf(params, sizeof params, "{\"fromHeight\":%llu,\"toHeight\":%llu,\"area\":\"staking\"}",
             (unsigned long long)from, (unsigned long long)to);
    resp = events(params);
    list = member(th_result(resp), "events");
    cr_assert_eq(cJSON_GetArraySize(list), 1, "the pool's creation");
    cr_assert_str_eq(th_str(cJSON_GetArrayItem(list, 0), "type"), "PoolCreated", "in the staking area");
    cJSON_Delete(resp);

    snprintf(params, sizeof params, "{\"fromHeight\":%llu,\"toHeight\":%llu,\"type\":\"Transfer\",\"limit\":2}",
             (unsigned long long)from, (unsigned long long)to);
    resp = events(params);
    r = th_result(resp);
    cr_assert_eq(th_count(r, "events"), 2, "a page of two");
    char next[300];
    snprintf(next, sizeof next, "{\"fromHeight\":%llu,\"toHeight\":%llu,\"type\":\"Transfer\",\"cursor\":\"%s\"}",
             (unsigned long long)from, (unsigned long long)to, th_str(r, "next"));
    cJSON *rest = events(next);
    list = member(th_result(rest), "events");
    cr_assert_eq(cJSON_GetArraySize(list), 1, "the third after the cursor");
    cr_assert_str_eq(th_str(cJSON_GetArrayItem(list, 0), "from"), th_addr(8), "the last transfer");
    cr_assert(cJSON_IsNull(member(th_result(rest), "next")), "and no more");
    cJSON_Delete(rest);
    cJSON_Delete(resp);

    resp = th_call(node, "ledger_getEvents", "{\"fromHeight\":0,\"toHeight\":1000}");
    cr_assert_eq(th_error_code(resp), -32602, "1001 blocks are over the span");
    cr_assert(strstr(th_str(member(resp, "error"), "message"), "at most 1000"), "says the bound");
    cJSON_Delete(resp);
    resp = th_callf(node, "ledger_getEvents", "{\"toHeight\":%llu}", (unsigned long long)to + 5);
    cr_assert_eq(th_error_code(resp), -32003, "a block that does not exist");
    cJSON_Delete(resp);
    resp = th_call(node, "ledger_getEvents", "{\"fromHeight\":2,\"toHeight\":1}");
    cr_assert_eq(th_error_code(resp), -32602, "an empty range");
    cJSON_Delete(resp);
    resp = th_call(node, "ledger_getEvents", "{\"area\":\"weather\"}");
    cr_assert_eq(th_error_code(resp), -32602, "an unknown area");
    cJSON_Delete(resp);
}

Test(integration_reads, epochs_list_latest_first_and_an_epoch_shows_its_inputs_decoded)
{
    cJSON *resp = th_call(node, "settlement_listEpochs", NULL);
    cr_assert_eq(th_count(th_result(resp), "epochs"), 0, "none settled on a fresh chain");
    cJSON_Delete(resp);
    th_node_advance(node, 3600); /* the dev chain's epochs are an hour long */
    th_node_advance(node, 3600);
    resp = th_call(node, "settlement_listEpochs", NULL);
    const cJSON *r = th_result(resp), *list = member(r, "epochs");
    cr_assert_eq(cJSON_GetArraySize(list), 2, "two settled: %s", cJSON_PrintUnformatted(r));
    cr_assert_eq(th_num(cJSON_GetArrayItem(list, 0), "epoch"), 1, "the latest first");
    cr_assert_eq(th_num(cJSON_GetArrayItem(list, 1), "epoch"), 0, "then the one before");
    cr_assert(*th_str(cJSON_GetArrayItem(list, 0), "emitted"), "with its report's totals");
    cJSON_Delete(resp);
    resp = th_call(node, "settlement_listEpochs", "{\"limit\":1}");
    r = th_result(resp);
    cr_assert_eq(th_count(r, "epochs"), 1, "a page of one");
    cr_assert_eq(th_num(r, "next"), 1, "next: the last epoch of the page");
    cJSON_Delete(resp);
    resp = th_call(node, "settlement_listEpochs", "{\"cursor\":1}");
    list = member(th_result(resp), "epochs");
    cr_assert(cJSON_GetArraySize(list) == 1 && th_num(cJSON_GetArrayItem(list, 0), "epoch") == 0, "older than the cursor");
    cJSON_Delete(resp);

    resp = th_call(node, "settlement_getEpoch", "{\"epoch\":1}");
    r = th_result(resp);
    const cJSON *in = member(r, "decodedInputs");
    cr_assert_eq(th_num(in, "epoch"), 1, "the inputs of epoch 1");
    cr_assert_eq(th_num(in, "epochEnd") - th_num(in, "epochStart"), 3600, "an hour");
    cr_assert_eq(th_num(in, "chainId"), 31337, "of the dev chain");
    cr_assert(*th_str(member(in, "params"), "budgetPerEpoch"), "with the reward parameters");
    cr_assert(cJSON_IsArray(member(in, "workers")) && cJSON_IsArray(member(in, "channels")), "and the workers and channels");
    cJSON_Delete(resp);
    resp = th_call(node, "settlement_listEpochs", "{\"cursor\":\"x\"}");
    cr_assert_eq(th_error_code(resp), -32602, "a bad cursor");
    cJSON_Delete(resp);
}

/* A text proposal by dev 0 on the root track (payload "" is text only); returns its id. */
static unsigned propose_text(void)
{
    cJSON *events = th_send_ok(node, 0, "Propose", "{\"track\":\"treasury\",\"title\":\"T\",\"body\":\"B\",\"payload\":\"0x\"}");
    const cJSON *ev = cJSON_GetArrayItem(events, cJSON_GetArraySize(events) - 1);
    cr_assert_str_eq(th_str(ev, "type"), "ProposalCreated", "%s", cJSON_PrintUnformatted(events));
    unsigned id = (unsigned)th_num(ev, "proposal");
    cJSON_Delete(events);
    return id;
}

Test(integration_reads, votes_by_an_address_list_newest_proposal_first)
{
    th_send_done(node, 0, "PoolCreate", "{\"commissionPpm\":\"0\",\"capacity\":\"1000000" TOKEN "\"}");
    th_send_done(node, 0, "Contribute", "{\"pool\":\"1\",\"amount\":\"200" TOKEN "\"}");
    th_send_done(node, 1, "Contribute", "{\"pool\":\"1\",\"amount\":\"300" TOKEN "\"}");
    unsigned a = propose_text(), b = propose_text(), c = propose_text();
    th_node_advance(node, 3600); /* the voting delay */
    th_send_done(node, 1, "Vote", "{\"proposal\":\"%u\",\"support\":\"1\",\"conviction\":\"1\"}", a);
    th_send_done(node, 1, "Vote", "{\"proposal\":\"%u\",\"support\":\"0\",\"conviction\":\"2\"}", c);
    th_send_done(node, 0, "Vote", "{\"proposal\":\"%u\",\"support\":\"1\",\"conviction\":\"1\"}", b);
    cJSON *resp = th_callf(node, "gov_listVotesBy", "{\"voter\":\"%s\"}", th_addr(1));
    const cJSON *r = th_result(resp), *votes = member(r, "votes");
    cr_assert_eq(cJSON_GetArraySize(votes), 2, "dev 1 voted twice: %s", cJSON_PrintUnformatted(r));
    const cJSON *v0 = cJSON_GetArrayItem(votes, 0), *v1 = cJSON_GetArrayItem(votes, 1);
    cr_assert_eq(th_num(v0, "proposal"), c, "the newest proposal first");
    cr_assert_str_eq(th_str(v0, "support"), "against", "its side");
    cr_assert_str_eq(th_str(v0, "weight"), "600" TOKEN, "300 tokens at conviction 2");
    cr_assert_eq(th_num(v1, "proposal"), a, "then the older");
    cr_assert(cJSON_IsNull(member(r, "next")), "no more");
    cJSON_Delete(resp);
    resp = th_callf(node, "gov_listVotesBy", "{\"voter\":\"%s\",\"limit\":1}", th_addr(1));
    cr_assert_eq(th_num(th_result(resp), "next"), c, "next: the page's last proposal");
    cJSON_Delete(resp);
    resp = th_callf(node, "gov_listVotesBy", "{\"voter\":\"%s\",\"cursor\":%u}", th_addr(1), c);
    votes = member(th_result(resp), "votes");
    cr_assert(cJSON_GetArraySize(votes) == 1 && th_num(cJSON_GetArrayItem(votes, 0), "proposal") == a, "after the cursor");
    cJSON_Delete(resp);
    resp = th_call(node, "gov_listVotesBy", "{\"voter\":\"0x12\"}");
    cr_assert_eq(th_error_code(resp), -32602, "a bad address");
    cJSON_Delete(resp);
}

/* A vote that locks nothing (conviction 0, or changed to it from a vote that locked) is listed among
 * an address's votes all the same: each vote keeps its row in vote_locks, locking nothing then. */
Test(integration_reads, votes_that_lock_nothing_are_listed_too)
{
    th_send_done(node, 0, "PoolCreate", "{\"commissionPpm\":\"0\",\"capacity\":\"1000000" TOKEN "\"}");
    th_send_done(node, 0, "Contribute", "{\"pool\":\"1\",\"amount\":\"200" TOKEN "\"}");
    th_send_done(node, 1, "Contribute", "{\"pool\":\"1\",\"amount\":\"300" TOKEN "\"}");
    unsigned a = propose_text(), b = propose_text();
    th_node_advance(node, 3600); /* the voting delay */
    th_send_done(node, 1, "Vote", "{\"proposal\":\"%u\",\"support\":\"1\",\"conviction\":\"0\"}", a);
    th_send_done(node, 1, "Vote", "{\"proposal\":\"%u\",\"support\":\"1\",\"conviction\":\"2\"}", b);
    th_send_done(node, 1, "Vote", "{\"proposal\":\"%u\",\"support\":\"0\",\"conviction\":\"0\"}", b);
    cJSON *resp = th_callf(node, "gov_listVotesBy", "{\"voter\":\"%s\"}", th_addr(1));
    const cJSON *votes = member(th_result(resp), "votes");
    cr_assert(cJSON_GetArraySize(votes) == 2 && th_num(cJSON_GetArrayItem(votes, 0), "proposal") == b
                  && th_num(cJSON_GetArrayItem(votes, 1), "proposal") == a,
              "both votes, newest first: %s", cJSON_PrintUnformatted(votes));
    cJSON_Delete(resp);
    resp = th_callf(node, "gov_getLocks", "{\"address\":\"%s\"}", th_addr(1));
    cr_assert_eq(cJSON_GetArraySize(member(th_result(resp), "locks")), 0, "and neither locks anything: %s",
                 cJSON_PrintUnformatted(th_result(resp)));
    cJSON_Delete(resp);
}

Test(integration_reads, pool_rewards_per_epoch_match_the_settlement_and_give_the_stated_apr)
{
    th_send_done(node, 0, "PoolCreate", "{\"commissionPpm\":\"100000\",\"capacity\":\"1000000" TOKEN "\"}");
    th_send_done(node, 1, "Contribute", "{\"pool\":\"1\",\"amount\":\"2000" TOKEN "\"}");
    th_node_register_worker(node, 8, 0, 100);
    th_send_done(node, 0, "WorkerAdd", "{\"pool\":\"1\",\"worker\":\"%s\"}", th_addr(8));
    th_send_done(node, 0, "WorkerBond", "{\"pool\":\"1\",\"worker\":\"%s\",\"amount\":\"1000" TOKEN "\"}", th_addr(8));
    for (unsigned slot = 0; slot < 6; slot++) { /* the dev chain's epoch: six slots of 600 s */
        th_node_heartbeat(node, 8, 100000);
        th_node_advance(node, 600);
    }
    cJSON *epoch = th_call(node, "settlement_getEpoch", "{\"epoch\":0}");
    const cJSON *ops = member(th_result(epoch), "operations"), *op, *emission = NULL;
    cJSON_ArrayForEach(op, ops)
    if (strcmp(th_str(op, "kind"), "poolEmission") == 0)
        emission = op;
    cr_assert(emission && th_num(emission, "pool") == 1, "epoch 0 paid pool 1: %s", cJSON_PrintUnformatted(ops));

    cJSON *resp = th_call(node, "staking_getPoolRewards", "{\"pool\":1}");
    const cJSON *r = th_result(resp), *rewards = member(r, "rewards"), *e0 = cJSON_GetArrayItem(rewards, 0);
    cr_assert_eq(cJSON_GetArraySize(rewards), 1, "one settled epoch: %s", cJSON_PrintUnformatted(r));
    cr_assert_eq(th_num(e0, "epoch"), 0, "epoch 0");
    cr_assert_str_eq(th_str(e0, "paidIn"), th_str(emission, "amount"), "paid in: the report's emission to the pool");
    mpz_t paid, commission, to_stakers, stake, want;
    mpz_inits(paid, commission, to_stakers, stake, want, NULL);
    mpz_set_str(paid, th_str(e0, "paidIn"), 10);
    mpz_set_str(commission, th_str(e0, "commission"), 10);
    mpz_set_str(to_stakers, th_str(e0, "toStakers"), 10);
    mpz_set_str(stake, th_str(e0, "stake"), 10);
    mpz_mul_ui(want, paid, 100000);
    mpz_fdiv_q_ui(want, want, 1000000);
    cr_assert_eq(mpz_cmp(commission, want), 0, "10%% commission, floored");
    mpz_sub(want, paid, commission);
    cr_assert_eq(mpz_cmp(to_stakers, want), 0, "the rest to the stakers");
    cr_assert_str_eq(th_str(e0, "stake"), "2000" TOKEN, "the stake that earned it");

    const cJSON *apr = member(r, "apr");
    cr_assert_eq(th_num(apr, "epochs"), 1, "a window of the one epoch");
    cr_assert_eq(th_num(apr, "windowEnd") - th_num(apr, "windowStart"), 3600, "an hour");
    cr_assert_str_eq(th_str(apr, "rewardsToStakers"), th_str(e0, "toStakers"), "its rewards to stakers");
    /* floor(toStakers * 1 * 31536000 * 10^6 / (stake * 3600)) */
    mpz_mul_ui(want, to_stakers, 31536000);
    mpz_mul_ui(want, want, 1000000);
    mpz_mul_ui(stake, stake, 3600);
    mpz_fdiv_q(want, want, stake);
    mpz_set_str(paid, th_str(apr, "aprPpm"), 10);
    cr_assert_eq(mpz_cmp(paid, want), 0, "the APR by the stated rule: %s", th_str(apr, "aprPpm"));
    cr_assert_gt(mpz_sgn(paid), 0, "a positive APR");
    mpz_clears(paid, commission, to_stakers, stake, want, NULL);
    cJSON_Delete(resp);
    cJSON_Delete(epoch);

    resp = th_call(node, "staking_getPoolRewards", "{\"pool\":7}");
    cr_assert_eq(th_error_code(resp), -32003, "no pool 7");
    cJSON_Delete(resp);
    resp = th_call(node, "staking_getPoolRewards", "{\"pool\":1,\"window\":101}");
    cr_assert_eq(th_error_code(resp), -32602, "a window over 100 epochs");
    cJSON_Delete(resp);
}

/* Sends count Transfers of one base unit from dev `from` to dev `to` in one JSON-RPC batch, with
 * nonces from nonce on; asserts that the batch was answered. */
static void transfer_batch(unsigned from, unsigned to, uint64_t nonce, unsigned count)
{
    size_t cap = (size_t)count * 1024, used = 0;
    char *body = malloc(cap);
    cr_assert_not_null(body, "memory");
    used += (size_t)snprintf(body, cap, "[");
    for (unsigned i = 0; i < count; i++) {
        char message[128];
        snprintf(message, sizeof message, "{\"to\":\"%s\",\"amount\":\"1\"}", th_addr(to));
        char *params = th_sign_params("Transfer", message, from, nonce + i);
        used += (size_t)snprintf(body + used, cap - used, "%s{\"jsonrpc\":\"2.0\",\"id\":%u,\"method\":\"tx_send\",\"params\":%s}",
                                 i ? "," : "", i, params);
        free(params);
        cr_assert_lt(used, cap, "the batch fits");
    }
    snprintf(body + used, cap - used, "]");
    int status;
    char *answer = th_post(node, body, &status);
    cr_assert_eq(status, 200, "the batch is answered: %.300s", answer);
    cr_assert(!strstr(answer, "\"error\""), "every transfer is taken: %.300s", answer);
    free(answer);
    free(body);
}

Test(integration_reads, get_events_stops_a_sparse_filter_after_1000_transactions_and_resumes, .timeout = 120)
{
    uint64_t from = head() + 1;
    for (unsigned b = 0; b < 12; b++)
        transfer_batch(b % 6, 9, th_nonce(node, b % 6), 100);
    uint64_t to = head();
    cr_assert_gt(to, from, "several blocks");
    /* a filter that matches nothing still pages: no call reads more than 1000 transactions and a block */
    char params[300];
    char cursor[64] = "";
    unsigned calls = 0;
    do {
        snprintf(params, sizeof params, "{\"fromHeight\":%llu,\"toHeight\":%llu,\"type\":\"Nothing\"%s%s%s}",
                 (unsigned long long)from, (unsigned long long)to, *cursor ? ",\"cursor\":\"" : "", cursor, *cursor ? "\"" : "");
        cJSON *resp = events(params);
        const cJSON *r = th_result(resp), *next = member(r, "next");
        cr_assert_eq(th_count(r, "events"), 0, "nothing matches");
        snprintf(cursor, sizeof cursor, "%s", cJSON_IsString(next) ? next->valuestring : "");
        cJSON_Delete(resp);
        calls++;
        cr_assert_lt(calls, 20, "the pages end");
    } while (*cursor);
    cr_assert_geq(calls, 2, "1,200 transactions take more than one call (%u)", calls);
    /* paging a filter that matches finds every transfer once */
    unsigned found = 0;
    calls = 0;
    cursor[0] = '\0';
    do {
        snprintf(params, sizeof params, "{\"fromHeight\":%llu,\"toHeight\":%llu,\"type\":\"Transfer\",\"limit\":100%s%s%s}",
                 (unsigned long long)from, (unsigned long long)to, *cursor ? ",\"cursor\":\"" : "", cursor, *cursor ? "\"" : "");
        cJSON *resp = events(params);
        const cJSON *r = th_result(resp), *next = member(r, "next");
        found += (unsigned)th_count(r, "events");
        snprintf(cursor, sizeof cursor, "%s", cJSON_IsString(next) ? next->valuestring : "");
        cJSON_Delete(resp);
        cr_assert_lt(++calls, 40, "the pages end");
    } while (*cursor);
    cr_assert_eq(found, 1200, "every transfer once");
}
