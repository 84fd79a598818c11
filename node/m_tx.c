/* SPDX-License-Identifier: MIT */
/* m_tx.c: tx_send, the one door for state changes: decode and verify a signed transaction, queue
 * it, and answer with its receipt once its block is durable. Anything refused before it applies is
 * a JSON-RPC error and consumes no nonce. An optional "from" names the expected signer, so a
 * tampered message is refused as such instead of being read as another signer's transaction.
 * With a verification pool set (conclaved's), the decoding, digest and signature recovery run on
 * its threads on the params, taken from the dispatcher (rpc_take_params), and each transaction reaches the engine in the order its
 * call arrived, once it and every call before it are verified (a block stays open across turns of
 * the loop while calls are on their way to it, and the pool's gate holds back any other call until
 * it closes: may_run_now); without one they run on the loop.
 * The same pool parses large request bodies for the server (node_offload_to_pool). */
#include "node/methods_int.h"

#include <stdlib.h>
#include <string.h>
#include "ledger/hex.h"
#include "ledger/tx.h"
#include "node/methods.h"

static verify_pool *tx_pool;

static void submit(void *arg);

/* The pool's gate: while a block is open, only what reads none of the node's state runs (a
 * verified tx_send, which joins the block, or a parsed body whose calls are all tx_send, which
 * only queue their verification); anything else waits for the block to close, and asks for that. */
static bool may_run_now(void *engine, verify_pool_done_fn done, void *arg)
{
    if (!eng_block_open(engine) || done == submit || rpc_offload_done_stateless(done, arg))
        return true;
    eng_close_block_soon(engine);
    return false;
}

/* After the pool's dones of a turn: fewer calls are on their way to the open block (some of which
 * may have been refused, or not been transactions at all). */
static void dones_ran(void *engine)
{
    eng_feeder_moved(engine);
}

/* The engine's feeder: the calls still in the pool are on their way to the open block. */
static size_t calls_pending(void *pool)
{
    return verify_pool_pending(pool);
}

/* A block closed: what the gate held back may run. */
static void block_closed(void *pool)
{
    verify_pool_resume(pool);
}

void node_tx_set_verify_pool(eng *engine, verify_pool *pool)
{
    if (tx_pool)
        verify_pool_set_gate(tx_pool, NULL, NULL, NULL);
    tx_pool = pool;
    if (!pool) {
        eng_set_feeder(engine, NULL);
        return;
    }
    eng_set_feeder(engine, &(eng_feeder){ .pending = calls_pending, .closed = block_closed, .ctx = pool });
    verify_pool_set_gate(pool, may_run_now, dones_ran, engine);
}

int node_offload_to_pool(void *ctx, rpc_job_fn work, rpc_job_fn done, void *job)
{
    return verify_pool_submit(ctx, work, done, job) == ST_OK ? RPC_OK : RPC_NOMEM;
}

/* One tx_send call on its way to the engine. */
struct tx_job {
    eng *engine;
    rpc_deferred *call;              /* NULL until the call is deferred */
    cJSON *body;                     /* the params without "from" (owned; NULL once verified) */
    uint64_t chain_id;
    bool has_from;
    uint8_t claimed[20];             /* "from", when has_from */
    char from_text[LEDGER_ADDR_STRLEN]; /* "from" as the client wrote it */
    int rc;                          /* the verification's outcome */
    char err[256];                   /* its reason when rc is not ST_OK */
    ledger_tx tx;                    /* the verified transaction when rc is ST_OK */
    char *tx_body;                   /* its stored text (eng_tx_body), or NULL */
};

static void job_free(struct tx_job *j)
{
    cJSON_Delete(j->body);
    if (j->tx.type) /* else all zeros: never decoded, cleared by a failure, or moved to the engine */
        ledger_tx_clear(&j->tx);
    cJSON_free(j->tx_body);
    free(j);
}

/* Decodes and verifies j's transaction and renders the text its block will store: the work of a
 * pool thread, so it touches only j and thread-safe code (the signature context is read-only once
 * made; eng_tx_body is pure). Out of memory for the text leaves it to the engine. */
static void verify(void *arg)
{
    struct tx_job *j = arg;
    j->rc = ledger_tx_parse(&j->tx, j->err, sizeof j->err, j->body, j->chain_id);
    cJSON_Delete(j->body);
    j->body = NULL;
    if (j->rc != ST_OK) {
        if (!j->err[0])
            snprintf(j->err, sizeof j->err, "%s", st_str(j->rc));
        return;
    }
    if (j->has_from && memcmp(j->claimed, j->tx.signer, 20) != 0) {
        char signer[LEDGER_ADDR_STRLEN];
        ledger_addr_format(signer, j->tx.signer);
        ledger_tx_clear(&j->tx);
        j->rc = ST_CRYPTO;
        snprintf(j->err, sizeof j->err,
                 "signature: the message was signed by %s, not by %s (tampered message, wrong key or "
                 "wrong chain id)", signer, j->from_text);
        return;
    }
    j->tx_body = eng_tx_body(&j->tx);
}

/* Hands a verified transaction to the engine, or answers the refusal; on the loop thread, in call
 * order. Frees j. */
static void submit(void *arg)
{
    struct tx_job *j = arg;
    int rc = j->rc;
    if (rc == ST_OK)
        rc = eng_submit_body(j->engine, j->err, sizeof j->err, &j->tx, &j->tx_body, node_finish_with_receipt,
                             j->call);
    if (rc != ST_OK)
        rpc_deferred_finish(j->call, rc, NULL, NULL, j->err[0] ? j->err : st_str(rc));
    job_free(j);
}

static int tx_send(struct rpc_ctx *ctx, const cJSON *params, cJSON **result)
{
    const cJSON *from = cJSON_GetObjectItemCaseSensitive(params, "from");
    uint8_t claimed[20];
    if (from && (!cJSON_IsString(from) || ledger_addr_parse(claimed, from->valuestring) != ST_OK))
        return rpc_error(ctx, ST_INVALID, NULL, "params.from: expected a 0x-prefixed 20-byte address");
    struct tx_job *j = calloc(1, sizeof *j);
    if (!j)
        return ST_NOMEM;
    j->engine = node_engine(ctx);
    j->chain_id = eng_chain_id(j->engine);
    if (from) {
        j->has_from = true;
        memcpy(j->claimed, claimed, 20);
        snprintf(j->from_text, sizeof j->from_text, "%s", from->valuestring);
    }
    /* the params go to the verification as they are, without a copy; "from" is not the message's */
    j->body = rpc_take_params(ctx);
    if (from)
        cJSON_DeleteItemFromObjectCaseSensitive(j->body, "from");
    if (tx_pool && (j->call = rpc_defer(ctx))) {
        if (verify_pool_submit(tx_pool, verify, submit, j) != ST_OK) {
            rpc_deferred_finish(j->call, ST_NOMEM, NULL, NULL, "out of memory");
            job_free(j);
        }
        return RPC_PENDING;
    }
    verify(j);
    if (j->rc != ST_OK) {
        int rc = rpc_error(ctx, j->rc, NULL, "%s", j->err);
        job_free(j);
        return rc;
    }
    if (!(j->call = rpc_defer(ctx))) {
        job_free(j);
        return ST_NOMEM;
    }
    submit(j);
    return RPC_PENDING;
}

static const char *const tx_send_params[] = { "type", "message", "signature", "from", NULL };
const rpc_method node_m_tx_send = {
    .name = "tx_send", .params = tx_send_params, .flags = RPC_STATELESS, .fn = tx_send,
    .summary = "Submits a signed transaction and answers its receipt once its block is durable",
    .result = "the receipt {hash, block, index, status, error?, events}",
    .param_docs = NODE_PARAM_DOCS("the transaction type, e.g. \"Transfer\"", "the EIP-712 message members with nonce",
                                  "the 65-byte secp256k1 signature, 0x-hex",
                                  RPC_PARAM_OPTIONAL "the sender's address, checked against the recovered signer")
};
