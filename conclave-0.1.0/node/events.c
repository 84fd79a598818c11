/* SPDX-License-Identifier: MIT */
/* events.c: what GET /events carries for each block. A dashboard subscribes once and follows the
 * chain: a "block" event per block, then each receipt event under the name of its area, so a
 * client can listen to "governance" alone to follow proposals and tallies as they change, or to
 * "settlement" for epochs. An event type belongs to the area of the first prefix that matches it.
 * Each event's id is its block's height and its position in the block (0 the block event, then the
 * receipt events from 1 in order), so a stream that reconnects with Last-Event-ID is replayed what
 * it missed from the stored blocks, within NODE_EVENTS_WINDOW blocks of the head. */
#include "node/methods.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine/engine.h"
#include "ledger/hex.h"
#include "ledger/ledger.h"

static const struct area {
    const char *prefix;
    const char *name;
} areas[] = {
    { "SlashCanceled", "governance" }, { "Proposal", "governance" }, { "Vote", "governance" },
    { "Ballot", "governance" },        { "PollCounted", "governance" }, { "SecretBallot", "governance" },
    { "Delegated", "governance" },     { "Undelegated", "governance" }, { "TreasurySpend", "governance" },
    { "ParameterChanged", "governance" }, { "Enclave", "settlement" }, { "Epoch", "settlement" },
    { "Pool", "staking" },             { "Worker", "staking" },     { "Contributed", "staking" },
    { "Withdrawal", "staking" },       { "Claimed", "staking" },    { "CommissionChanged", "staking" },
    { "StakeReleased", "staking" },    { "Slash", "staking" },      { "Channel", "compute" },
    { "Heartbeat", "compute" },        { "VoucherRedeemed", "compute" },
};

const char *node_event_area(const char *type)
{
    for (size_t i = 0; i < sizeof areas / sizeof areas[0]; i++)
        if (strncmp(type, areas[i].prefix, strlen(areas[i].prefix)) == 0)
            return areas[i].name;
    return "ledger";
}

/* Where the events of a block go: to the streams, or to one stream's replay (which leaves out the
 * events up to after_seq-after_pos). */
struct emitter {
    rpc_event_sink emit;
    void *sink;
    bool replay;
    uint64_t after_seq, after_pos;
    bool stopped;                    /* the sink wants no more */
};

/* Writes into out (room for every address) the addresses event names in its members, lowercase and
 * comma-separated; "" for none. */
static void event_addresses(char *out, const cJSON *event)
{
    const cJSON *m;
    const char *start = out;
    *out = '\0';
    cJSON_ArrayForEach(m, event)
    {
        const char *v = cJSON_IsString(m) ? m->valuestring : NULL;
        if (!v || strlen(v) != 42 || v[0] != '0' || v[1] != 'x' || strspn(v + 2, "0123456789abcdefABCDEF") != 40)
            continue;
        if (out != start)
            *out++ = ',';
        for (int i = 0; i < 42; i++)
            *out++ = (char)tolower((unsigned char)v[i]);
        *out = '\0';
    }
}

static void emit_json(struct emitter *to, const char *name, uint64_t height, uint64_t pos, const cJSON *data,
                      const char *type)
{
    if (to->stopped || (to->replay && height == to->after_seq && pos <= to->after_pos))
        return;
    char *text = cJSON_PrintUnformatted(data);
    char *addresses = type ? malloc((size_t)cJSON_GetArraySize(data) * 43 + 1) : NULL;
    if (addresses)
        event_addresses(addresses, data);
    if (text && (!type || addresses)) {
        rpc_event ev = { .name = name, .seq = height, .pos = pos, .data = text, .type = type,
                         .addresses = addresses && *addresses ? addresses : NULL };
        to->stopped = !to->emit(to->sink, &ev);
    }
    free(addresses);
    cJSON_free(text);
}

/* Emits the block event of block (as the engine's listener gives it) and its receipt events. */
static void emit_block(struct emitter *to, const cJSON *block)
{
    const cJSON *height = cJSON_GetObjectItemCaseSensitive(block, "height"), *tx;
    uint64_t h = cJSON_IsNumber(height) && height->valuedouble >= 0 ? (uint64_t)height->valuedouble : 0, pos = 0;
    emit_json(to, "block", h, pos++, block, NULL);
    cJSON_ArrayForEach(tx, cJSON_GetObjectItemCaseSensitive(block, "transactions"))
    {
        if (to->stopped)
            return;
        const cJSON *hash = cJSON_GetObjectItemCaseSensitive(tx, "hash"), *ev;
        cJSON_ArrayForEach(ev, cJSON_GetObjectItemCaseSensitive(tx, "events"))
        {
            const cJSON *type = cJSON_GetObjectItemCaseSensitive(ev, "type");
            cJSON *copy = cJSON_Duplicate(ev, true);
            if (cJSON_IsString(type) && copy && cJSON_AddNumberToObject(copy, "height", (double)h)
                && cJSON_AddStringToObject(copy, "tx", cJSON_IsString(hash) ? hash->valuestring : ""))
                emit_json(to, node_event_area(type->valuestring), h, pos, copy, type->valuestring);
            pos++;
            cJSON_Delete(copy);
        }
    }
}

static bool publish(void *server, const rpc_event *ev)
{
    rpc_server_publish(server, ev);
    return true;
}

void node_events_publish_block(rpc_server *s, const cJSON *block)
{
    struct emitter to = { .emit = publish, .sink = s };
    emit_block(&to, block);
}

/* Builds block height as the engine's listener gives it, from the ledger. Returns: the block
 * (caller deletes), or NULL with *rc the failure. */
static cJSON *stored_block(ledger *l, uint64_t height, int *rc)
{
    ledger_block b;
    ledger_txrec *recs = NULL;
    size_t n = 0;
    char hex[67];
    cJSON *block = NULL, *txs = NULL;
    if ((*rc = ledger_block_get(l, height, &b)) != ST_OK
        || (*rc = ledger_txrec_list_block(l, height, &recs, &n)) != ST_OK)
        return NULL;
    *rc = ST_NOMEM;
    ledger_hex_encode(hex, b.hash, 32);
    bool ok = (block = cJSON_CreateObject()) && cJSON_AddNumberToObject(block, "height", (double)b.height)
              && cJSON_AddStringToObject(block, "hash", hex) && cJSON_AddNumberToObject(block, "time", (double)b.time)
              && (txs = cJSON_AddArrayToObject(block, "transactions"));
    for (size_t i = 0; i < n; i++) {
        cJSON *tx = NULL, *events = NULL;
        if (ok && !((tx = cJSON_CreateObject()) && cJSON_AddItemToArray(txs, tx))) {
            cJSON_Delete(tx); /* not in txs: still ours */
            ok = false;
        }
        ledger_hex_encode(hex, recs[i].hash, 32);
        ok = ok && cJSON_AddStringToObject(tx, "hash", hex) && cJSON_AddStringToObject(tx, "type", recs[i].type)
             && cJSON_AddBoolToObject(tx, "success", recs[i].success)
             && (events = cJSON_Parse(recs[i].events ? recs[i].events : "[]"));
        if (ok && !cJSON_AddItemToObject(tx, "events", events)) {
            cJSON_Delete(events);
            ok = false;
        }
        ledger_txrec_clear(&recs[i]);
    }
    free(recs);
    if (ok)
        return block;
    cJSON_Delete(block);
    return NULL;
}

int node_events_replay(void *app, uint64_t seq, uint64_t pos, rpc_event_sink emit, void *sink, char *msg,
                       size_t msg_size)
{
    ledger *l = eng_ledger(app);
    ledger_block head;
    int rc = ledger_block_head(l, &head);
    if (rc != ST_OK) {
        snprintf(msg, msg_size, "the node cannot read its head block");
        return rc;
    }
    if (seq > head.height) {
        snprintf(msg, msg_size, "event %" PRIu64 "-%" PRIu64 " is past the head block, %" PRIu64, seq, pos,
                 head.height);
        return ST_NOTFOUND;
    }
    if (head.height - seq > NODE_EVENTS_WINDOW) {
        snprintf(msg, msg_size, "event %" PRIu64 "-%" PRIu64 " is more than %d blocks below the head (%" PRIu64
                 "): read what followed it over JSON-RPC", seq, pos, NODE_EVENTS_WINDOW, head.height);
        return ST_NOTFOUND;
    }
    struct emitter to = { .emit = emit, .sink = sink, .replay = true, .after_seq = seq, .after_pos = pos };
    for (uint64_t h = seq; h <= head.height && !to.stopped; h++) {
        cJSON *block = stored_block(l, h, &rc);
        if (!block) {
            snprintf(msg, msg_size, "block %" PRIu64 " could not be read: %s", h, st_str(rc));
            return rc;
        }
        emit_block(&to, block);
        cJSON_Delete(block);
    }
    return ST_OK;
}
