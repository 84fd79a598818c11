/* SPDX-License-Identifier: MIT */
/* m_gov_reads.c: the governance reads of an account page: "my votes", every vote an address cast,
 * newest proposal first, each as gov_getVote shows it. (An address's delegation and its delegators
 * are gov_getDelegation's; its locks gov_getLocks'.) It seeks vote_locks, a row for each vote keyed
 * by voter, so a page costs the same whatever the number of votes. */
#include "node/methods_int.h"

#include "engine/governance.h"
#include "governance/gov_store.h"
#include "ledger/reads.h"

static int list_votes_by(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    eng *e = node_engine(ctx);
    uint8_t voter[20];
    uint64_t cursor = 0, ids[NODE_LIMIT_MAX];
    bool has_cursor = node_given(params, "cursor"), more = false;
    unsigned limit, n = 0;
    int rc = node_param_address(ctx, params, "voter", voter);
    if (rc == ST_OK && has_cursor)
        rc = node_param_u64(ctx, params, "cursor", NULL, &cursor);
    if (rc == ST_OK)
        rc = node_param_limit(ctx, params, &limit);
    if (rc == ST_OK)
        rc = ledger_votes_by_page(eng_ledger(e), voter, has_cursor, cursor, limit, ids, &n, &more);
    if (rc != ST_OK)
        return rc;
    cJSON *out = cJSON_CreateObject(), *arr = NULL;
    if (!out || !node_add_address(out, "voter", voter) || !(arr = cJSON_AddArrayToObject(out, "votes")))
        rc = ST_NOMEM;
    gov_vote v;
    gov_vote_init(&v);
    for (unsigned i = 0; i < n && rc == ST_OK; i++) {
        cJSON *o;
        if ((rc = gov_vote_get(eng_gov_store(e), ids[i], voter, &v)) == ST_OK
            && (!(o = node_append_object(arr)) || !node_add_vote(o, &v)))
            rc = ST_NOMEM;
    }
    gov_vote_clear(&v);
    if (rc == ST_OK && !node_add_next(out, more, n ? ids[n - 1] : 0))
        rc = ST_NOMEM;
    return node_result(rc, out, result);
}

static const char *const votes_by_params[] = { "voter", "cursor", "limit", NULL };
const rpc_method node_m_gov_list_votes_by = {
    .name = "gov_listVotesBy", .params = votes_by_params, .fn = list_votes_by,
    .summary = "Every vote an address cast, newest proposal first",
    .param_docs = NODE_PARAM_DOCS("the voter's 0x-prefixed 20-byte address",
                                  RPC_PARAM_OPTIONAL "a proposal id, the \"next\" of the previous page (older follow)",
                                  RPC_PARAM_OPTIONAL "1 to 100 votes, default 20"),
    .result = "{voter, votes: [vote objects as gov_getVote], next}"
};
