/* SPDX-License-Identifier: MIT */
/* dispatch.c: JSON-RPC 2.0 without a socket. A request body becomes an exchange: parse, then for
 * each call validate the envelope, find the method (bsearch over the sorted table), authorize,
 * map params to an object, run the handler, and keep its response in the call's slot so that a
 * batch answers in request order even when some calls are deferred. Invariants: the dispatcher owns
 * every cJSON tree it passes around (request, params, results, errors) and deletes each once;
 * notifications never produce a response, invalid requests always do (id null if unusable). */
#include "rpc/rpc_int.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

cJSON *rpc_reply_new(cJSON *id, const char *key, cJSON *value)
{
    cJSON *r = value ? cJSON_CreateObject() : NULL;
    if (!id)
        id = cJSON_CreateNull();
    if (!r || !id || !cJSON_AddStringToObject(r, "jsonrpc", "2.0") || !cJSON_AddItemToObject(r, "id", id))
        goto fail;
    id = NULL;
    if (!cJSON_AddItemToObject(r, key, value))
        goto fail;
    return r;
fail:
    cJSON_Delete(id);
    cJSON_Delete(value);
    cJSON_Delete(r);
    return NULL;
}

/* Stores the answer of call c: status ST_OK with result, or the error. Takes id (from c), result and
 * data; a notification's answer is dropped. */
static void answer(struct rpc_deferred *c, int status, cJSON *result, const char *message, cJSON *data)
{
    cJSON *id = c->id;
    c->id = NULL;
    c->answered = true;
    if (c->notify) {
        cJSON_Delete(id);
        cJSON_Delete(result);
        cJSON_Delete(data);
        return;
    }
    if (status == ST_OK) {
        cJSON_Delete(data);
        c->response = rpc_reply_new(id, "result", result ? result : cJSON_CreateNull());
    } else {
        int code = rpc_status_code(status);
        cJSON_Delete(result);
        c->response = rpc_reply_new(id, "error",
                                    rpc_error_object(code, message && *message ? message : rpc_code_message(code), data));
    }
    if (!c->response)
        c->ex->lost = true;
}

/* Answers call c with a protocol error (code outside the status mapping), printf-style message. */
static void answer_code(struct rpc_deferred *c, int code, const char *fmt, ...) PRINTF_LIKE(3, 4);
static void answer_code(struct rpc_deferred *c, int code, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cJSON *id = c->id;
    c->id = NULL;
    c->answered = true;
    if (c->notify) {
        cJSON_Delete(id);
        return;
    }
    c->response = rpc_reply_new(id, "error", rpc_error_object(code, msg, NULL));
    if (!c->response)
        c->ex->lost = true;
}

static int method_cmp(const void *key, const void *elem)
{
    return strcmp(key, ((const rpc_method *)elem)->name);
}

static const rpc_method *find_method(const rpc_server *s, const char *name)
{
    const rpc_method *m = s->n_methods ? bsearch(name, s->methods, s->n_methods, sizeof *m, method_cmp) : NULL;
    if (m && (m->flags & RPC_DEV) && !s->dev)
        return NULL;
    return m;
}

/* Returns: the position of name in m's params, or -1. */
static int param_index(const rpc_method *m, const char *name)
{
    for (int i = 0; m->params && m->params[i]; i++)
        if (strcmp(m->params[i], name) == 0)
            return i;
    return -1;
}

/* Turns the request's params (moved out of the request; NULL when absent) into the object handed
 * to the handler. Returns: ST_OK with *obj (the caller deletes it), ST_NOMEM, or ST_INVALID after
 * writing why into msg. params is consumed either way. */
static int map_params(const rpc_method *m, cJSON *params, cJSON **obj, char *msg, size_t msg_size)
{
    *obj = NULL;
    if (!params) {
        *obj = cJSON_CreateObject();
        return *obj ? ST_OK : ST_NOMEM;
    }
    if (cJSON_IsObject(params)) {
        uint64_t seen = 0;
        for (const cJSON *p = params->child; p; p = p->next) {
            int i = param_index(m, p->string);
            if (i < 0 || (seen >> i & 1)) {
                snprintf(msg, msg_size, "invalid params: %s param \"%.64s\"", i < 0 ? "unknown" : "duplicate",
                         p->string);
                cJSON_Delete(params);
                return ST_INVALID;
            }
            seen |= UINT64_C(1) << i;
        }
        *obj = params;
        return ST_OK;
    }
    int n = cJSON_GetArraySize(params);
    if (n > 0 && (!m->params || param_index(m, "") >= 0 || n > (int)RPC_MAX_PARAMS || !m->params[n - 1]))
        goto too_many;
    *obj = cJSON_CreateObject();
    for (int i = 0; *obj && i < n; i++) {
        cJSON *item = cJSON_DetachItemFromArray(params, 0);
        if (!cJSON_AddItemToObject(*obj, m->params[i], item)) {
            cJSON_Delete(item);
            cJSON_Delete(*obj);
            *obj = NULL;
        }
    }
    cJSON_Delete(params);
    return *obj ? ST_OK : ST_NOMEM;
too_many:
    cJSON_Delete(params);
    snprintf(msg, msg_size, "invalid params: %s takes at most %d params", m->name, param_count(m));
    return ST_INVALID;
}
