/* SPDX-License-Identifier: MIT */
/* dispatch.c: JSON-RPC 2.0 without a socket. A request body becomes an exchange: parse (on any
 * thread: rpc_body_parse), then for each call validate the envelope, find the method (bsearch over
 * the sorted table), authorize, map params to an object, run the handler, and keep its response in
 * the call's slot so that a batch answers in request order even when some calls are deferred. Invariants: the dispatcher owns
 * every cJSON tree it passes around (request, params, results, errors) and deletes each once, but
 * for params a handler took (rpc_take_params);
 * notifications never produce a response, invalid requests always do (id null if unusable). */
#include "rpc/rpc_int.h"

#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

cJSON *rpc_printed_number(double v)
{
    char text[24], *p = text + sizeof text;
    /* below 10^15, %1.15g (cJSON's format) prints an integer's digits; -0 keeps its sign there */
    if (v != floor(v) || fabs(v) >= 1e15 || (v == 0 && signbit(v)))
        return cJSON_CreateNumber(v);
    /* the digits by hand: snprintf's formatting machinery costs a thousand instructions a number */
    unsigned long long u = (unsigned long long)fabs(v);
    *--p = '\0';
    do
        *--p = (char)('0' + u % 10);
    while ((u /= 10) > 0);
    if (v < 0)
        *--p = '-';
    return cJSON_CreateRaw(p);
}

/* The id echoed: a number as rpc_printed_number prints it (the tree is printed only). */
static cJSON *printed_id(cJSON *id)
{
    if (!cJSON_IsNumber(id))
        return id;
    cJSON *copy = rpc_printed_number(id->valuedouble);
    if (!copy)
        return id; /* printed the slow way */
    cJSON_Delete(id);
    return copy;
}

cJSON *rpc_reply_new(cJSON *id, const char *key, cJSON *value)
{
    cJSON *r = value ? cJSON_CreateObject() : NULL;
    if (!id)
        id = cJSON_CreateNull();
    else
        id = printed_id(id);
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

/* Stores the answer of call c, taking its result and data: the result when code is 0, else the
 * error code with message. A notification's answer is dropped. The id stays with the call, to be
 * printed with the answer. */
static void store(struct rpc_deferred *c, int code, cJSON *result, const char *message, cJSON *data)
{
    c->answered = true;
    if (c->method)
        rpc_latency_observe(c->ex->server, c->method, &c->started);
    c->ex->server->rpc_calls++;
    if (code != 0)
        c->ex->server->rpc_errors++;
    if (c->notify) {
        cJSON_Delete(result);
        cJSON_Delete(data);
        return;
    }
    if (code == 0) {
        cJSON_Delete(data);
        c->value = result;
    } else {
        cJSON_Delete(result);
        c->error = true;
        if (!(c->value = rpc_error_object(code, message, data)))
            c->ex->lost = true;
    }
}

/* Answers call c with a handler's outcome: status RPC_OK with result, or the error the application
 * maps the failure status to, with message (NULL or empty for the code's generic one) and data. */
static void answer(struct rpc_deferred *c, int status, cJSON *result, const char *message, cJSON *data)
{
    const rpc_server *s = c->ex->server;
    int code = 0;
    const char *generic = NULL;
    if (status != RPC_OK && s->errors)
        code = s->errors(status, &generic);
    else if (status != RPC_OK)
        code = RPC_INTERNAL_ERROR;
    store(c, code, result, message && *message ? message : generic ? generic : rpc_code_message(code), data);
}

/* Answers call c with a protocol error (a code outside the status mapping), printf-style message. */
static void answer_code(struct rpc_deferred *c, int code, const char *fmt, ...) RPC_PRINTF_LIKE(3, 4);
static void answer_code(struct rpc_deferred *c, int code, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    store(c, code, NULL, msg, NULL);
}

/* Returns: the length of the longest prefix of s (valid UTF-8) of at most max bytes that ends
 * between two characters, so that a message quoting s in part stays UTF-8. */
static int utf8_prefix(const char *s, size_t max)
{
    size_t n = strnlen(s, max + 1);
    if (n > max)
        for (n = max; n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80; n--)
            ;
    return (int)n;
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

bool rpc_calls_stateless(const rpc_server *s, const cJSON *tree)
{
    const cJSON *call = cJSON_IsArray(tree) ? tree->child : tree;
    for (; call; call = cJSON_IsArray(tree) ? call->next : NULL) {
        const cJSON *method = cJSON_IsObject(call) ? cJSON_GetObjectItemCaseSensitive(call, "method") : NULL;
        const rpc_method *m = cJSON_IsString(method) ? find_method(s, method->valuestring) : NULL;
        if (m && !(m->flags & RPC_STATELESS))
            return false;
    }
    return true;
}

/* Returns: the position of name in m's params, or -1. */
static int param_index(const rpc_method *m, const char *name)
{
    for (int i = 0; m->params && m->params[i]; i++)
        if (strcmp(m->params[i], name) == 0)
            return i;
    return -1;
}

static int param_count(const rpc_method *m)
{
    int n = 0;
    while (m->params && m->params[n])
        n++;
    return n;
}

/* Whether m's param_docs, if any, describe each of its params and no more. */
static bool param_docs_match(const rpc_method *m)
{
    if (!m->param_docs)
        return true;
    int n = 0;
    while (m->param_docs[n])
        n++;
    return n == param_count(m);
}

bool rpc_table_valid(const rpc_method *methods, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!methods[i].name || !methods[i].fn || param_count(&methods[i]) > RPC_MAX_PARAMS ||
            !param_docs_match(&methods[i]) || strcmp(methods[i].name, RPC_DISCOVER) == 0 ||
            (i > 0 && strcmp(methods[i - 1].name, methods[i].name) >= 0))
            return false;
    return true;
}

/* Turns the request's params (moved out of the request; NULL when absent) into the object handed
 * to the handler; params is consumed either way. Returns: RPC_OK with *obj (the caller deletes it),
 * RPC_NOMEM, or RPC_INVALID after writing why into msg. */
static int map_params(const rpc_method *m, cJSON *params, cJSON **obj, char *msg, size_t msg_size)
{
    *obj = NULL;
    if (!params) {
        *obj = cJSON_CreateObject();
        return *obj ? RPC_OK : RPC_NOMEM;
    }
    if (cJSON_IsObject(params)) {
        uint64_t seen = 0; /* bit i: params[i] given; RPC_MAX_PARAMS keeps i below 64 */
        for (const cJSON *p = params->child; p; p = p->next) {
            int i = param_index(m, p->string);
            if (i < 0 || (seen >> i & 1)) {
                snprintf(msg, msg_size, "invalid params: %s param \"%.*s\"", i < 0 ? "unknown" : "duplicate",
                         utf8_prefix(p->string, 64), p->string);
                cJSON_Delete(params);
                return RPC_INVALID;
            }
            seen |= UINT64_C(1) << i;
        }
        *obj = params;
        return RPC_OK;
    }
    int n = cJSON_GetArraySize(params), max = param_count(m);
    if (n > max) {
        snprintf(msg, msg_size, "invalid params: %s takes at most %d positional params", m->name, max);
        cJSON_Delete(params);
        return RPC_INVALID;
    }
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
    return *obj ? RPC_OK : RPC_NOMEM;
}

/* The members of a call's request object that run_call reads: the first of each name, as
 * cJSON_GetObjectItemCaseSensitive finds it, in one pass instead of four walks of the members. */
struct envelope {
    cJSON *id, *version, *method, *params;
};

/* Returns: the slot of e that a member called name fills, or NULL for a name run_call ignores. */
static cJSON **envelope_slot(struct envelope *e, const char *name)
{
    switch (name[0]) {
    case 'i': return strcmp(name, "id") == 0 ? &e->id : NULL;
    case 'j': return strcmp(name, "jsonrpc") == 0 ? &e->version : NULL;
    case 'm': return strcmp(name, "method") == 0 ? &e->method : NULL;
    case 'p': return strcmp(name, "params") == 0 ? &e->params : NULL;
    default: return NULL;
    }
}

static void envelope_read(struct envelope *e, cJSON *req)
{
    *e = (struct envelope){ 0 };
    for (cJSON *m = req->child; m && m->string; m = m->next) {
        cJSON **slot = envelope_slot(e, m->string);
        if (slot && !*slot)
            *slot = m;
    }
}

/* Runs one call of ex from its request object req (which it may take members out of) and answers
 * it in slot c, unless the handler deferred it. */
static void run_call(rpc_exchange *ex, struct rpc_deferred *c, cJSON *req)
{
    rpc_server *s = ex->server;
    if (!cJSON_IsObject(req)) {
        answer_code(c, RPC_INVALID_REQUEST, "invalid request: not an object");
        return;
    }
    struct envelope env;
    envelope_read(&env, req);
    cJSON *id = env.id;
    if (id && !cJSON_IsString(id) && !cJSON_IsNumber(id) && !cJSON_IsNull(id)) {
        answer_code(c, RPC_INVALID_REQUEST, "invalid request: id must be a string, a number or null");
        return;
    }
    if (id)
        c->id = cJSON_DetachItemViaPointer(req, id);
    const cJSON *version = env.version, *method = env.method;
    cJSON *params = env.params;
    if (!cJSON_IsString(version) || strcmp(version->valuestring, "2.0") != 0) {
        answer_code(c, RPC_INVALID_REQUEST, "invalid request: jsonrpc must be \"2.0\"");
        return;
    }
    if (!cJSON_IsString(method)) {
        answer_code(c, RPC_INVALID_REQUEST, "invalid request: method must be a string");
        return;
    }
    if (params && !cJSON_IsObject(params) && !cJSON_IsArray(params)) {
        answer_code(c, RPC_INVALID_REQUEST, "invalid request: params must be an object or an array");
        return;
    }
    /* a well-formed call: from here on, one without id is a notification and gets no answer */
    c->notify = !id;
    if (strcmp(method->valuestring, RPC_DISCOVER) == 0) {
        if (params && cJSON_GetArraySize(params) > 0) {
            answer_code(c, RPC_INVALID_PARAMS, "invalid params: " RPC_DISCOVER " takes no params");
            return;
        }
        cJSON *doc = rpc_discover_document(s);
        answer(c, doc ? RPC_OK : RPC_NOMEM, doc, NULL, NULL);
        return;
    }
    const rpc_method *m = find_method(s, method->valuestring);
    if (!m) {
        answer_code(c, RPC_METHOD_NOT_FOUND, "method not found: %.*s", utf8_prefix(method->valuestring, 100),
                    method->valuestring);
        return;
    }
    if ((m->flags & RPC_ADMIN) && !ex->authorized) {
        store(c, RPC_E_UNAUTHORIZED, NULL, rpc_code_message(RPC_E_UNAUTHORIZED), NULL);
        return;
    }
    char msg[256];
    cJSON *obj;
    int rc = map_params(m, params ? cJSON_DetachItemViaPointer(req, params) : NULL, &obj, msg, sizeof msg);
    if (rc != RPC_OK) {
        int code = rc == RPC_INVALID ? RPC_INVALID_PARAMS : RPC_INTERNAL_ERROR;
        store(c, code, NULL, rc == RPC_INVALID ? msg : rpc_code_message(code), NULL);
        return;
    }
    struct rpc_ctx ctx = { .app = s->app, .server = s, .authorized = ex->authorized, .call = c, .params = obj };
    cJSON *result = NULL;
    c->method = m;
    clock_gettime(CLOCK_MONOTONIC, &c->started);
    rc = m->fn(&ctx, obj, &result);
    cJSON_Delete(ctx.params); /* NULL when the handler took it */
    if (c->deferred) {
        /* answered by rpc_deferred_finish, maybe already */
        cJSON_Delete(result);
        cJSON_Delete(ctx.errdata);
    } else if (rc == RPC_PENDING) {
        cJSON_Delete(result);
        cJSON_Delete(ctx.errdata);
        store(c, RPC_INTERNAL_ERROR, NULL, "internal error: the method cannot be deferred here", NULL);
    } else {
        answer(c, rc, result, ctx.errmsg, ctx.errdata);
    }
}

/* Returns: the length of the UTF-8 character at p (at most left bytes), or 0 if none starts there. */
static size_t utf8_char(const unsigned char *p, size_t left)
{
    size_t n = p[0] < 0x80 ? 1 : p[0] >= 0xC2 && p[0] <= 0xDF ? 2 : p[0] >= 0xE0 && p[0] <= 0xEF ? 3
                                                                 : p[0] >= 0xF0 && p[0] <= 0xF4 ? 4 : 0;
    if (n == 0 || n > left)
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    /* the second byte's range rules out overlong forms, surrogates and code points past U+10FFFF */
    if ((p[0] == 0xE0 && p[1] < 0xA0) || (p[0] == 0xED && p[1] > 0x9F) || (p[0] == 0xF0 && p[1] < 0x90)
        || (p[0] == 0xF4 && p[1] > 0x8F))
        return 0;
    return n;
}

/* The bytes check_text looks at one by one: NUL, '"', '\\' and every byte of a multi-byte UTF-8
 * character (0x80 and up); the rest (printable ASCII and controls but NUL) it passes over in a
 * tight loop, since they are most of a body. */
static const bool text_special[256] = { [0] = true, ['"'] = true, ['\\'] = true,
                                        [0x80 ... 0xFF] = true };

static enum rpc_body_text check_text(const char *body, size_t len)
{
    const unsigned char *p = (const unsigned char *)body;
    bool in_string = false, escaped = false; /* escaped: the character after a backslash */
    for (size_t i = 0; i < len;) {
        if (!text_special[p[i]]) {
            escaped = false;
            do
                i++;
            while (i < len && !text_special[p[i]]);
            continue;
        }
        size_t n = utf8_char(p + i, len - i);
        if (n == 0)
            return RPC_BODY_NOT_UTF8;
        if (p[i] == '\0')
            return RPC_BODY_RAW_NUL;
        if (escaped) {
            escaped = false;
        } else if (p[i] == '"') {
            in_string = !in_string;
        } else if (in_string && p[i] == '\\') {
            if (len - i >= 6 && memcmp(p + i + 1, "u0000", 5) == 0)
                return RPC_BODY_ESCAPED_NUL;
            escaped = true;
        }
        i += n;
    }
    return RPC_BODY_OK;
}

/* Returns: whether [p, end) holds only JSON whitespace. */
static bool blank(const char *p, const char *end)
{
    for (; p < end; p++)
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
            return false;
    return true;
}

void rpc_body_parse(struct rpc_parsed *out, const char *body, size_t len)
{
    const char *end = NULL;
    out->text = check_text(body, len);
    out->tree = out->text == RPC_BODY_OK ? cJSON_ParseWithLengthOpts(body, len, &end, false) : NULL;
    if (out->tree && !blank(end, body + len)) {
        cJSON_Delete(out->tree);
        out->tree = NULL;
    }
}

int rpc_exchange_start(rpc_server *s, struct rpc_parsed *parsed, bool authorized, rpc_finished_fn finished,
                       void *ctx, rpc_exchange **out)
{
    cJSON *tree = parsed->tree;
    *out = NULL;
    rpc_exchange *ex = calloc(1, sizeof *ex);
    if (!ex)
        return RPC_NOMEM;
    ex->server = s;
    ex->authorized = authorized;
    ex->finished = finished;
    ex->finished_ctx = ctx;
    ex->running = true;
    size_t n = tree && cJSON_IsArray(tree) ? (size_t)cJSON_GetArraySize(tree) : 1;
    ex->batch = tree && cJSON_IsArray(tree) && n > 0 && n <= s->limits.max_batch;
    /* anything but a batch within the limit has exactly one answer */
    ex->n_calls = ex->batch ? n : 1;
    ex->calls = calloc(ex->n_calls, sizeof *ex->calls);
    if (!ex->calls) {
        free(ex);
        return RPC_NOMEM;
    }
    for (size_t i = 0; i < ex->n_calls; i++)
        ex->calls[i].ex = ex;
    if (parsed->text == RPC_BODY_NOT_UTF8) {
        answer_code(&ex->calls[0], RPC_PARSE_ERROR, "parse error: the body is not UTF-8");
    } else if (parsed->text == RPC_BODY_RAW_NUL) {
        answer_code(&ex->calls[0], RPC_PARSE_ERROR, "parse error: the body holds a NUL byte");
    } else if (parsed->text == RPC_BODY_ESCAPED_NUL) {
        answer_code(&ex->calls[0], RPC_INVALID_REQUEST, "invalid request: a string holds the NUL character (\\u0000)");
    } else if (!tree) {
        answer_code(&ex->calls[0], RPC_PARSE_ERROR, "parse error");
    } else if (ex->batch) {
        size_t i = 0;
        cJSON *item;
        cJSON_ArrayForEach(item, tree)
            run_call(ex, &ex->calls[i++], item);
    } else if (!cJSON_IsArray(tree)) {
        run_call(ex, &ex->calls[0], tree);
    } else if (n == 0) {
        answer_code(&ex->calls[0], RPC_INVALID_REQUEST, "invalid request: empty batch");
    } else {
        answer_code(&ex->calls[0], RPC_INVALID_REQUEST, "invalid request: a batch of %zu calls exceeds the limit of %u",
                    n, s->limits.max_batch);
    }
    ex->running = false;
    *out = ex;
    return RPC_OK;
}

int rpc_exchange_run(rpc_server *s, const char *body, size_t len, bool authorized, rpc_finished_fn finished,
                     void *ctx, rpc_exchange **out)
{
    struct rpc_parsed parsed;
    rpc_body_parse(&parsed, body, len);
    int rc = rpc_exchange_start(s, &parsed, authorized, finished, ctx, out);
    cJSON_Delete(parsed.tree);
    return rc;
}

/* Prints call c's response: {"jsonrpc":"2.0","id":...,"result"|"error":...}, as cJSON prints the
 * object rpc_reply_new builds. */
static void print_response(struct json_text *out, const struct rpc_deferred *c)
{
    static const char head[] = "{\"jsonrpc\":\"2.0\",\"id\":";
    json_text_put(out, head, sizeof head - 1);
    if (c->id)
        json_text_print(out, c->id);
    else
        json_text_put(out, "null", 4);
    if (c->error)
        json_text_put(out, ",\"error\":", 9);
    else
        json_text_put(out, ",\"result\":", 10);
    if (c->value)
        json_text_print(out, c->value);
    else
        json_text_put(out, "null", 4);
    json_text_put(out, "}", 1);
}

int rpc_exchange_print(const rpc_exchange *ex, struct json_text *out, bool *any)
{
    *any = false;
    if (ex->lost)
        return RPC_NOMEM;
    for (size_t i = 0; i < ex->n_calls; i++) {
        const struct rpc_deferred *c = &ex->calls[i];
        if (c->notify || !c->answered)
            continue;
        json_text_put(out, ex->batch ? (*any ? "," : "[") : "", ex->batch ? 1 : 0);
        print_response(out, c);
        *any = true;
    }
    if (*any && ex->batch)
        json_text_put(out, "]", 1);
    return out->failed ? RPC_NOMEM : RPC_OK;
}

void rpc_exchange_free(rpc_exchange *ex)
{
    if (!ex)
        return;
    for (size_t i = 0; i < ex->n_calls; i++) {
        cJSON_Delete(ex->calls[i].id);
        cJSON_Delete(ex->calls[i].value);
    }
    free(ex->calls);
    free(ex);
}

int rpc_error(struct rpc_ctx *ctx, int status, cJSON *data, const char *fmt, ...)
{
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ctx->errmsg, sizeof ctx->errmsg, fmt, ap);
        va_end(ap);
    }
    if (data) {
        cJSON_Delete(ctx->errdata);
        ctx->errdata = data;
    }
    return status;
}

cJSON *rpc_take_params(struct rpc_ctx *ctx)
{
    cJSON *params = ctx->params;
    ctx->params = NULL;
    return params;
}

rpc_deferred *rpc_defer(struct rpc_ctx *ctx)
{
    struct rpc_deferred *c = ctx->call;
    if (!c->ex->finished)
        return NULL;
    if (!c->deferred) {
        c->deferred = true;
        c->ex->pending++;
    }
    return c;
}

void rpc_deferred_finish(rpc_deferred *d, int status, cJSON *result, cJSON *errdata, const char *errmsg)
{
    rpc_exchange *ex = d->ex;
    assert(d->deferred && !d->answered);
    answer(d, status, result, errmsg, errdata);
    ex->pending--;
    /* while its handlers still run, rpc_exchange_run's caller answers the exchange */
    if (ex->pending == 0 && !ex->running)
        ex->finished(ex, ex->finished_ctx);
}

char *rpc_handle_body(rpc_server *s, const char *body, size_t len, bool authorized)
{
    rpc_exchange *ex;
    struct json_text text = { 0 };
    char *reply = NULL;
    bool any;
    if (rpc_exchange_run(s, body, len, authorized, NULL, NULL, &ex) != RPC_OK)
        return NULL;
    if (rpc_exchange_print(ex, &text, &any) == RPC_OK && any)
        reply = json_text_take(&text);
    json_text_clear(&text);
    rpc_exchange_free(ex);
    return reply;
}
