/* SPDX-License-Identifier: MIT */
/* client.c: the blocking JSON-RPC client of rpc/client.h. Each client owns a private event_base and
 * one keep-alive evhttp connection, which evhttp reconnects by itself when the server closed it; a
 * request runs the private loop until its callback fires, and the connection timeout bounds that
 * wait, so every call returns. libevent has no unbounded wait, so "no limit" is a wait of five
 * years, as Bitcoin Core's bitcoin-cli does for -rpcclienttimeout=0. */
#include "rpc/client.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#define NO_LIMIT_SECS (5u * 31556952u) /* five average Gregorian years */

struct rpc_client {
    struct event_base *base;
    struct evhttp_connection *evcon;
    char *path;                      /* the URL's path, where rpc_client_call posts */
    char *host_header;               /* "host:port" */
    char *auth;                      /* "Bearer <token>", or NULL */
    double next_id;                  /* id of the next rpc_client_call */
};

/* What one request came back with. */
struct reply {
    bool done;
    bool failed;                     /* no HTTP answer (connection, timeout) or out of memory */
    bool timed_out;                  /* the failure was the timeout */
    int status;                      /* HTTP status */
    char *body;                      /* NUL-terminated; malloc'd */
};

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    return d ? memcpy(d, s, n) : NULL;
}

rpc_client *rpc_client_new(const char *url, const char *token, unsigned timeout_secs)
{
    struct evhttp_uri *uri = evhttp_uri_parse(url);
    rpc_client *c = calloc(1, sizeof *c);
    char host[256];
    if (!uri || !c)
        goto fail;
    const char *scheme = evhttp_uri_get_scheme(uri), *h = evhttp_uri_get_host(uri), *path = evhttp_uri_get_path(uri);
    int port = evhttp_uri_get_port(uri);
    if (!scheme || strcasecmp(scheme, "http") != 0 || !h || !*h || strlen(h) >= sizeof host)
        goto fail;
    if (port < 0)
        port = 80;
    if (port > 65535)
        goto fail;
    /* evhttp keeps an IPv6 literal's brackets; the resolver wants it bare */
    size_t hlen = strlen(h);
    if (h[0] == '[' && hlen >= 2 && h[hlen - 1] == ']')
        snprintf(host, sizeof host, "%.*s", (int)(hlen - 2), h + 1);
    else
        snprintf(host, sizeof host, "%s", h);
    char host_header[300];
    snprintf(host_header, sizeof host_header, "%s:%d", h, port);
    c->next_id = 1;
    if (!(c->path = dup_str(path && *path ? path : "/")) || !(c->host_header = dup_str(host_header)))
        goto fail;
    if (token && *token) {
        size_t n = strlen(token) + sizeof "Bearer ";
        if (!(c->auth = malloc(n)))
            goto fail;
        snprintf(c->auth, n, "Bearer %s", token);
    }
    if (!(c->base = event_base_new()) || !(c->evcon = evhttp_connection_base_new(c->base, NULL, host, (ev_uint16_t)port)))
        goto fail;
    evhttp_connection_set_timeout(c->evcon, (int)(timeout_secs && timeout_secs < NO_LIMIT_SECS ? timeout_secs
                                                                                               : NO_LIMIT_SECS));
    evhttp_uri_free(uri);
    return c;
fail:
    if (uri)
        evhttp_uri_free(uri);
    rpc_client_free(c);
    return NULL;
}

void rpc_client_free(rpc_client *c)
{
    if (!c)
        return;
    if (c->evcon)
        evhttp_connection_free(c->evcon);
    if (c->base)
        event_base_free(c->base);
    free(c->path);
    free(c->host_header);
    free(c->auth);
    free(c);
}

static void on_reply(struct evhttp_request *req, void *arg)
{
    struct reply *r = arg;
    r->done = true;
    r->status = req ? evhttp_request_get_response_code(req) : 0;
    if (r->status == 0) {
        r->failed = true;
        return;
    }
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t n = evbuffer_get_length(in);
    if (!(r->body = malloc(n + 1)) || evbuffer_remove(in, r->body, n) != (int)n) {
        r->failed = true;
        return;
    }
    r->body[n] = '\0';
}

/* Called by evhttp before on_reply when a request fails. */
static void on_error(enum evhttp_request_error error, void *arg)
{
    struct reply *r = arg;
    r->timed_out = error == EVREQ_HTTP_TIMEOUT;
}

/* Sends one request and runs the private loop until it is answered or has failed. */
static int request(rpc_client *c, enum evhttp_cmd_type cmd, const char *path, const char *body, size_t len,
                   int *http_status, char **response)
{
    struct reply r = { 0 };
    *http_status = 0;
    *response = NULL;
    struct evhttp_request *req = evhttp_request_new(on_reply, &r);
    if (!req)
        return RPC_NOMEM;
    evhttp_request_set_error_cb(req, on_error);
    struct evkeyvalq *headers = evhttp_request_get_output_headers(req);
    if (evhttp_add_header(headers, "Host", c->host_header) != 0 ||
        (c->auth && evhttp_add_header(headers, "Authorization", c->auth) != 0) ||
        (body && (evhttp_add_header(headers, "Content-Type", "application/json") != 0 ||
                  evbuffer_add(evhttp_request_get_output_buffer(req), body, len) != 0))) {
        evhttp_request_free(req);
        return RPC_NOMEM;
    }
    /* on a kept-alive connection, Nagle would hold the body back until the server's delayed ACK
     * of the headers (40 ms); a new connection gets the option on its next request */
    int fd = bufferevent_getfd(evhttp_connection_get_bufferevent(c->evcon));
    if (fd >= 0) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    /* evhttp owns req from here, and frees it even when this fails */
    if (evhttp_make_request(c->evcon, req, cmd, path) != 0)
        return RPC_IO;
    while (!r.done)
        if (event_base_loop(c->base, EVLOOP_ONCE) != 0)
            break;
    if (!r.done) /* the loop ran dry: do not leave &r behind in a queued request */
        evhttp_cancel_request(req);
    if (!r.done || r.failed) {
        free(r.body);
        return r.done && r.status ? RPC_NOMEM : r.timed_out ? RPC_LIMIT : RPC_IO;
    }
    *http_status = r.status;
    *response = r.body;
    return RPC_OK;
}

int rpc_client_post(rpc_client *c, const char *path, const char *body, size_t len, int *http_status,
                    char **response)
{
    return request(c, EVHTTP_REQ_POST, path, body, len, http_status, response);
}

int rpc_client_get(rpc_client *c, const char *path, int *http_status, char **response)
{
    return request(c, EVHTTP_REQ_GET, path, NULL, 0, http_status, response);
}

/* Takes the response of call id apart. An error may carry id null (the server could not read the
 * call, or refused the connection). Returns: RPC_OK with *result, RPC_INVALID with *error, RPC_IO when
 * text is not a JSON-RPC response to that call. */
static int unpack(const char *text, double id, cJSON **result, cJSON **error)
{
    cJSON *reply = cJSON_Parse(text);
    const cJSON *rid = cJSON_GetObjectItemCaseSensitive(reply, "id");
    int rc = RPC_IO;
    bool ours = cJSON_IsNumber(rid) && rid->valuedouble == id;
    if (cJSON_IsObject(reply) && (ours || cJSON_IsNull(rid))) {
        if (cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(reply, "error"))) {
            *error = cJSON_DetachItemFromObjectCaseSensitive(reply, "error");
            rc = RPC_INVALID;
        } else if (ours && (*result = cJSON_DetachItemFromObjectCaseSensitive(reply, "result"))) {
            rc = RPC_OK;
        }
    }
    cJSON_Delete(reply);
    return rc;
}

int rpc_client_call(rpc_client *c, const char *method, const cJSON *params, cJSON **result, cJSON **error)
{
    *result = NULL;
    *error = NULL;
    double id = c->next_id++;
    cJSON *call = cJSON_CreateObject(), *p = params ? cJSON_Duplicate(params, true) : NULL;
    char *text = NULL, *response = NULL;
    int rc = RPC_NOMEM, http_status;
    if (!call || (params && !p) || !cJSON_AddStringToObject(call, "jsonrpc", "2.0") ||
        !cJSON_AddNumberToObject(call, "id", id) || !cJSON_AddStringToObject(call, "method", method))
        goto out;
    if (p && !cJSON_AddItemToObject(call, "params", p))
        goto out;
    p = NULL;
    if (!(text = cJSON_PrintUnformatted(call)))
        goto out;
    rc = rpc_client_post(c, c->path, text, strlen(text), &http_status, &response);
    if (rc == RPC_OK)
        rc = unpack(response, id, result, error);
out:
    cJSON_Delete(p);
    cJSON_Delete(call);
    cJSON_free(text);
    free(response);
    return rc;
}
