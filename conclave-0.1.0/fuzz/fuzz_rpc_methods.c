/* SPDX-License-Identifier: MIT */
/* fuzz_rpc_methods.c: conclaved's own method table (node/methods.c and the node/m_ files) behind the
 * JSON-RPC dispatcher, on an engine with the development genesis in an in-memory SQLite database:
 * every method's params from untrusted JSON. Without the admin token and without deferred calls
 * (rpc_handle_body refuses them, so tx_send stops before queueing), no input changes the ledger, so
 * the engine is made once and every input sees the same chain. Invariant: every answer is JSON. */
#include "fuzz/fuzz.h"

#include <cjson/cJSON.h>
#include <event2/event.h>
#include <string.h>
#include "engine/engine.h"
#include "engine/genesis.h"
#include "node/methods.h"
#include "rpc/rpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct event_base *base;
    static eng *engine;
    static rpc_server *server;
    if (!server) {
        char err[256] = "";
        char *genesis = eng_genesis_dev_json(NULL, NULL, NULL);
        FUZZ_CHECK(genesis != NULL);
        eng_config cfg = { .db_path = ":memory:", .genesis_json = genesis, .clock_mode = ENG_CLOCK_MANUAL,
                           .dev = true };
        int rc = eng_open(&engine, err, sizeof err, &cfg);
        free(genesis);
        if (rc != ST_OK)
            fprintf(stderr, "fuzz_rpc_methods: cannot open the engine: %s\n", err);
        FUZZ_CHECK(rc == ST_OK);
        base = event_base_new();
        FUZZ_CHECK(base != NULL);
        size_t n = 0;
        const rpc_method *methods = node_methods(&n);
        server = rpc_server_new(base, methods, n, engine, NULL, "token", true);
        FUZZ_CHECK(server != NULL);
        rpc_server_set_errors(server, node_rpc_error);
    }

    char *resp = rpc_handle_body(server, (const char *)data, size, false);
    if (resp) {
        cJSON *json = cJSON_Parse(resp);
        FUZZ_CHECK(json != NULL);
        cJSON_Delete(json);
        free(resp);
    }
    return 0;
}
