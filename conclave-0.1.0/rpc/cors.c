/* SPDX-License-Identifier: MIT */
/* cors.c: cross-origin requests (CORS) for POST / and GET /events. The server keeps the origins it
 * was given (rpc_server_set_cors); a request whose Origin is one of them (or any, with "*") gets
 * Access-Control-Allow-Origin naming it, and its preflight is answered; any other origin gets no
 * CORS header, and its preflight 403. A request is cross-origin when it carries an Origin that is
 * not "http://" followed by its own Host header (behind a TLS reverse proxy on this machine, the
 * scheme and host the proxy forwards): such a request never reaches admin methods. */
#define _GNU_SOURCE /* strncasecmp */
#include "rpc/rpc_int.h"

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CORS_MAX_AGE "600" /* seconds a browser may keep a preflight's answer */
#define CORS_HEADERS "Content-Type, Last-Event-ID" /* the request headers a cross-origin call may set */

/* Returns: whether s[0..len) is "http://host[:port]" or "https://host[:port]" with a host of
 * letters, digits, '.' and '-' or a bracketed IPv6 address, and a port of 1 to 5 digits. */
static bool origin_valid(const char *s, size_t len)
{
    size_t scheme = len > 7 && strncmp(s, "http://", 7) == 0 ? 7 : len > 8 && strncmp(s, "https://", 8) == 0 ? 8 : 0;
    if (!scheme)
        return false;
    const char *p = s + scheme, *end = s + len;
    if (*p == '[') {
        const char *close = memchr(p, ']', (size_t)(end - p));
        if (!close || close == p + 1)
            return false;
        for (const char *q = p + 1; q < close; q++)
            if (!strchr("0123456789abcdefABCDEF:.", *q))
                return false;
        p = close + 1;
    } else {
        const char *host = p;
        while (p < end && (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-", *p)))
            p++;
        if (p == host)
            return false;
    }
    if (p == end)
        return true;
    if (*p++ != ':' || end - p < 1 || end - p > 5)
        return false;
    for (; p < end; p++)
        if (*p < '0' || *p > '9')
            return false;
    return true;
}

bool rpc_cors_list_valid(const char *origins)
{
    size_t len = strlen(origins);
    if (len == 0 || len >= RPC_CORS_MAX)
        return false;
    for (const char *p = origins;;) {
        size_t n = strcspn(p, ",");
        if (!(n == 1 && *p == '*') && !origin_valid(p, n))
            return false;
        if (!p[n])
            return true;
        p += n + 1;
    }
}

int rpc_server_set_cors(rpc_server *s, const char *origins)
{
    if (!rpc_cors_list_valid(origins))
        return RPC_INVALID;
    memcpy(s->cors, origins, strlen(origins) + 1);
    return RPC_OK;
}

bool rpc_cors_same_origin(const char *origin, const char *host, const char *forwarded_proto,
                          const char *forwarded_host)
{
    const char *scheme = forwarded_proto ? forwarded_proto : "http", *authority = forwarded_host ? forwarded_host : host;
    if (!authority || (strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0))
        return false;
    size_t n = strlen(scheme);
    return strncasecmp(origin, scheme, n) == 0 && strncmp(origin + n, "://", 3) == 0
           && strcasecmp(origin + n + 3, authority) == 0;
}

bool rpc_cors_cross_origin(const struct rpc_conn *c, struct evhttp_request *req)
{
    struct evkeyvalq *in = evhttp_request_get_input_headers(req);
    const char *origin = evhttp_find_header(in, "Origin"), *host = evhttp_find_header(in, "Host");
    if (!origin)
        return false;
    /* only the reverse proxy on this machine says what the browser saw; anyone else could claim it */
    bool proxied = rpc_conn_loopback(c);
    return !rpc_cors_same_origin(origin, host, proxied ? evhttp_find_header(in, "X-Forwarded-Proto") : NULL,
                                 proxied ? evhttp_find_header(in, "X-Forwarded-Host") : NULL);
}

/* Returns: whether origin is one of the server's CORS origins (compared without regard to case, as
 * browsers write scheme and host in lower case), or the list is "*". */
static bool origin_listed(const rpc_server *s, const char *origin)
{
    size_t len = strlen(origin);
    for (const char *p = s->cors; *p;) {
        size_t n = strcspn(p, ",");
        if ((n == 1 && *p == '*') || (n == len && strncasecmp(p, origin, n) == 0))
            return true;
        p += n + (p[n] == ',');
    }
    return false;
}

bool rpc_cors_tag(const rpc_server *s, const struct rpc_conn *c, struct evhttp_request *req)
{
    if (!s->cors[0])
        return false;
    const char *origin = evhttp_find_header(evhttp_request_get_input_headers(req), "Origin");
    struct evkeyvalq *out = evhttp_request_get_output_headers(req);
    evhttp_add_header(out, "Vary", "Origin");
    if (!origin || !rpc_cors_cross_origin(c, req) || !origin_listed(s, origin))
        return false;
    evhttp_add_header(out, "Access-Control-Allow-Origin", origin);
    return true;
}

/* Returns: whether every name of the comma-separated list is a header CORS_HEADERS names. */
static bool headers_allowed(const char *list)
{
    while (*list) {
        list += strspn(list, " \t,");
        size_t n = strcspn(list, " \t,");
        if (n && !(n == 12 && strncasecmp(list, "content-type", n) == 0)
            && !(n == 13 && strncasecmp(list, "last-event-id", n) == 0))
            return false;
        list += n;
    }
    return true;
}

bool rpc_cors_preflight(struct evhttp_request *req, const char *method, bool tagged, enum rpc_fault *fault)
{
    struct evkeyvalq *in = evhttp_request_get_input_headers(req);
    const char *want = evhttp_find_header(in, "Access-Control-Request-Method");
    const char *headers = evhttp_find_header(in, "Access-Control-Request-Headers");
    if (!tagged) {
        *fault = RPC_FAULT_ORIGIN;
        return false;
    }
    if (strcmp(want, method) != 0 || (headers && !headers_allowed(headers))) {
        *fault = RPC_FAULT_CORS_REQUEST;
        return false;
    }
    struct evkeyvalq *out = evhttp_request_get_output_headers(req);
    evhttp_add_header(out, "Access-Control-Allow-Methods", method);
    evhttp_add_header(out, "Access-Control-Allow-Headers", CORS_HEADERS);
    evhttp_add_header(out, "Access-Control-Max-Age", CORS_MAX_AGE);
    return true;
}
