/* SPDX-License-Identifier: MIT */
/* events.c: what GET /events carries for each block. A dashboard subscribes once and follows the
 * chain: a "block" event per block, then each receipt event under the name of its area, so a
 * client can listen to "governance" alone to follow proposals and tallies as they change, or to
 * "settlement" for epochs. An event type belongs to the area of the first prefix that matches it. */
#include "node/methods.h"

#include <stdlib.h>
#include <string.h>

static const struct area {
    const char *prefix;
    const char *name;
} areas[] = {
    { "SlashCanceled", "governance" }, { "Proposal", "governance" }, { "Vote", "governance" },
    { "Ballot", "governance" },        { "PollCounted", "governance" },
    { "Delegated", "governance" },     { "Undelegated", "governance" }, { "TreasurySpend", "governance" },
    { "ParameterChanged", "governance" }, { "Enclave", "settlement" }, { "Epoch", "settlement" },
    { "Pool", "staking" },             { "Worker", "staking" },     { "Contributed", "staking" },
    { "Withdrawal", "staking" },       { "Claimed", "staking" },    { "CommissionChanged", "staking" },
    { "StakeReleased", "staking" },    { "Slash", "staking" },      { "Channel", "compute" },
    { "Heartbeat", "compute" },        { "VoucherRedeemed", "compute" },
};

static const char *area_of(const char *type)
{
    for (size_t i = 0; i < sizeof areas / sizeof areas[0]; i++)
        if (strncmp(type, areas[i].prefix, strlen(areas[i].prefix)) == 0)
            return areas[i].name;
    return "ledger";
}

static void publish_json(rpc_server *s, const char *event, const cJSON *data)
{
    char *text = cJSON_PrintUnformatted(data);
    if (text)
        rpc_server_publish(s, event, text);
    cJSON_free(text);
}

void node_events_publish_block(rpc_server *s, const cJSON *block)
{
    publish_json(s, "block", block);
    const cJSON *height = cJSON_GetObjectItemCaseSensitive(block, "height"), *tx;
    cJSON_ArrayForEach(tx, cJSON_GetObjectItemCaseSensitive(block, "transactions"))
    {
        const cJSON *hash = cJSON_GetObjectItemCaseSensitive(tx, "hash"), *ev;
        cJSON_ArrayForEach(ev, cJSON_GetObjectItemCaseSensitive(tx, "events"))
        {
            const cJSON *type = cJSON_GetObjectItemCaseSensitive(ev, "type");
            cJSON *copy = cJSON_Duplicate(ev, true);
            if (cJSON_IsString(type) && copy && cJSON_AddNumberToObject(copy, "height", height ? height->valuedouble : 0)
                && cJSON_AddStringToObject(copy, "tx", cJSON_IsString(hash) ? hash->valuestring : ""))
                publish_json(s, area_of(type->valuestring), copy);
            cJSON_Delete(copy);
        }
    }
}
