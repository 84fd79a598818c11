/* SPDX-License-Identifier: MIT */
/* test_cors.c: conclaved --rpc-cors on a real node over loopback, spoken to in raw HTTP as a
 * browser would: preflights for POST / and GET /events from a listed origin answered with the
 * Access-Control-Allow-* headers, from another origin (or for another method or header) refused
 * with 403 and no CORS header, answers tagged for listed origins only, admin methods refused to a
 * cross-origin call even with the token, the origin a TLS reverse proxy on loopback forwards
 * (X-Forwarded-Proto, X-Forwarded-Host) taken as the node's own and the same headers ignored from
 * any other client, no CORS at all without the option, and malformed lists refused at start.
 * Every read waits on poll with a deadline. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include "rpc/rpc_int.h"
#include "tests/lib/node.h"

#define LISTED "http://app.example"
#define REPLY_MAX (256 * 1024) /* GET / answers the whole dashboard page */

static th_node node;

static void start_with_cors(void)
{
    static const char *const opts[] = { "--no-enclave", "--rpc-cors", LISTED ",https://other.example:8443", NULL };
    memset(&node, 0, sizeof node);
    node.options = opts;
    th_node_start(&node, false);
}

static void stop(void)
{
    th_node_cleanup(&node);
}

TestSuite(integration_cors, .init = start_with_cors, .fini = stop, .timeout = 60);

/* Sends request (with "Connection: close") and reads the whole answer into reply (REPLY_MAX).
 * until: stop reading once it appears (for a stream, which stays open), or NULL for the close.
 * Returns: the HTTP status. */
static int exchange(const char *request, char *reply, const char *until)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cr_assert_geq(fd, 0, "socket");
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)node.port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0, "connect");
    size_t len = strlen(request);
    cr_assert_eq(write(fd, request, len), (ssize_t)len, "send the request");
    size_t got = 0;
    for (;;) {
        reply[got] = '\0';
        if (until && strstr(reply, until))
            break;
        struct pollfd p = { .fd = fd, .events = POLLIN };
        cr_assert_eq(poll(&p, 1, 10000), 1, "an answer within 10 s; so far: %s", reply);
        ssize_t n = read(fd, reply + got, REPLY_MAX - 1 - got);
        cr_assert_geq(n, 0, "read");
        if (n == 0)
            break;
        got += (size_t)n;
        cr_assert_lt(got, REPLY_MAX - 1, "the answer fits");
    }
    close(fd);
    reply[got] = '\0';
    cr_assert_gt(got, 12, "a status line");
    return atoi(reply + 9);
}

static int preflight(const char *path, const char *origin, const char *method, const char *headers, char *reply)
{
    char req[512];
    snprintf(req, sizeof req,
             "OPTIONS %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nOrigin: %s\r\nAccess-Control-Request-Method: %s\r\n"
             "%s%s%sConnection: close\r\n\r\n",
             path, node.port, origin, method, headers ? "Access-Control-Request-Headers: " : "", headers ? headers : "",
             headers ? "\r\n" : "");
    return exchange(req, reply, NULL);
}

/* POSTs body to / with the Origin origin (NULL for none) and the bearer token (or none). */
static int post(const char *origin, const char *token, const char *body, char *reply)
{
    char req[1024];
    snprintf(req, sizeof req,
             "POST / HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n%s%s%s%s%s%sContent-Type: application/json\r\n"
             "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
             node.port, origin ? "Origin: " : "", origin ? origin : "", origin ? "\r\n" : "",
             token ? "Authorization: Bearer " : "", token ? token : "", token ? "\r\n" : "", strlen(body), body);
    return exchange(req, reply, NULL);
}

Test(integration_cors, a_preflight_from_a_listed_origin_is_answered)
{
    static char reply[REPLY_MAX];
    cr_assert_eq(preflight("/", LISTED, "POST", "content-type", reply), 204, "preflight of POST /: %s", reply);
    cr_assert(strstr(reply, "Access-Control-Allow-Origin: " LISTED "\r\n"), "names the origin: %s", reply);
    cr_assert(strstr(reply, "Access-Control-Allow-Methods: POST\r\n"), "the method: %s", reply);
    cr_assert(strstr(reply, "Access-Control-Allow-Headers: Content-Type, Last-Event-ID\r\n"), "the headers: %s", reply);
    cr_assert(strstr(reply, "Access-Control-Max-Age: 600\r\n"), "a max age: %s", reply);
    cr_assert(strstr(reply, "Vary: Origin\r\n"), "Vary: %s", reply);
    cr_assert_eq(preflight("/events", "https://other.example:8443", "GET", "Last-Event-ID", reply), 204,
                 "preflight of GET /events from the second origin: %s", reply);
    cr_assert(strstr(reply, "Access-Control-Allow-Origin: https://other.example:8443\r\n"), "%s", reply);
    cr_assert(strstr(reply, "Access-Control-Allow-Methods: GET\r\n"), "%s", reply);
}

Test(integration_cors, another_origin_method_or_header_is_refused_without_cors_headers)
{
    static char reply[REPLY_MAX];
    cr_assert_eq(preflight("/", "http://evil.example", "POST", "content-type", reply), 403, "%s", reply);
    cr_assert(strstr(reply, "not in conclaved --rpc-cors"), "says why: %s", reply);
    cr_assert_null(strstr(reply, "Access-Control-Allow"), "no CORS header: %s", reply);
    cr_assert_eq(preflight("/", "http://app.example.evil", "POST", NULL, reply), 403, "a longer name: %s", reply);
    cr_assert_eq(preflight("/", LISTED, "GET", NULL, reply), 403, "GET / is not for other sites: %s", reply);
    cr_assert(strstr(reply, "may only POST / or GET /events"), "says why: %s", reply);
    cr_assert_eq(preflight("/", LISTED, "POST", "content-type, authorization", reply), 403,
                 "the token header is never allowed cross-origin: %s", reply);
    cr_assert_eq(preflight("/events", LISTED, "POST", NULL, reply), 403, "events take GET: %s", reply);
    cr_assert_eq(preflight("/metrics", LISTED, "GET", NULL, reply), 405, "no CORS for /metrics: %s", reply);
}

Test(integration_cors, answers_are_tagged_for_listed_origins_only)
{
    static char reply[REPLY_MAX];
    static const char info[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"node_info\"}";
    cr_assert_eq(post(LISTED, NULL, info, reply), 200, "%s", reply);
    cr_assert(strstr(reply, "Access-Control-Allow-Origin: " LISTED "\r\n"), "tagged: %s", reply);
    cr_assert(strstr(reply, "Vary: Origin\r\n"), "Vary: %s", reply);
    cr_assert(strstr(reply, "\"chainId\""), "answered: %s", reply);
    cr_assert_eq(post("http://evil.example", NULL, info, reply), 200, "%s", reply);
    cr_assert_null(strstr(reply, "Access-Control-Allow-Origin"), "not tagged for another origin: %s", reply);

    char req[256];
    snprintf(req, sizeof req, "GET /events HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nOrigin: %s\r\n\r\n", node.port, LISTED);
    cr_assert_eq(exchange(req, reply, "\r\n\r\n"), 200, "%s", reply);
    cr_assert(strstr(reply, "text/event-stream"), "a stream: %s", reply);
    cr_assert(strstr(reply, "Access-Control-Allow-Origin: " LISTED "\r\n"), "tagged: %s", reply);

    /* the dashboard keeps its strict policy: it talks to this node only */
    snprintf(req, sizeof req, "GET / HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nConnection: close\r\n\r\n", node.port);
    cr_assert_eq(exchange(req, reply, "\r\n\r\n"), 200, "the page");
    cr_assert(strstr(reply, "Content-Security-Policy: default-src 'none'; script-src 'sha256-")
                  && strstr(reply, "connect-src 'self';"),
              "a strict policy: %.600s", reply);
}

Test(integration_cors, admin_methods_never_answer_a_cross_origin_call)
{
    static char reply[REPLY_MAX];
    static const char advance[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"admin_advanceTime\",\"params\":{\"seconds\":1}}";
    cr_assert_eq(post(LISTED, node.token, advance, reply), 200, "%s", reply);
    cr_assert(strstr(reply, "\"code\":-32004"), "refused to a listed origin, token and all: %s", reply);
    cr_assert_eq(post("null", node.token, advance, reply), 200, "%s", reply);
    cr_assert(strstr(reply, "\"code\":-32004"), "refused to an opaque origin: %s", reply);
    char own[64];
    snprintf(own, sizeof own, "http://127.0.0.1:%u", node.port);
    cr_assert_eq(post(own, node.token, advance, reply), 200, "%s", reply);
    cr_assert(strstr(reply, "\"result\""), "the node's own page may: %s", reply);
    cr_assert_eq(post(NULL, node.token, advance, reply), 200, "%s", reply);
    cr_assert(strstr(reply, "\"result\""), "a client without Origin may: %s", reply);
}

/* post() through a TLS reverse proxy on this machine: the proxy connects from loopback, keeps Host
 * as the node's address and says what the browser saw in X-Forwarded-Proto and X-Forwarded-Host
 * (each left out when NULL). */
static int post_forwarded(const char *origin, const char *proto, const char *forwarded_host, const char *body, char *reply)
{
    char req[1024];
    snprintf(req, sizeof req,
             "POST / HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nOrigin: %s\r\n%s%s%s%s%s%sAuthorization: Bearer %s\r\n"
             "Content-Type: application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
             node.port, origin, proto ? "X-Forwarded-Proto: " : "", proto ? proto : "", proto ? "\r\n" : "",
             forwarded_host ? "X-Forwarded-Host: " : "", forwarded_host ? forwarded_host : "", forwarded_host ? "\r\n" : "",
             node.token, strlen(body), body);
    return exchange(req, reply, NULL);
}

Test(integration_cors, behind_a_loopback_tls_proxy_the_forwarded_origin_is_the_node_s_own)
{
    static char reply[REPLY_MAX];
    static const char advance[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"admin_advanceTime\",\"params\":{\"seconds\":1}}";
    cr_assert_eq(post_forwarded("https://node.example", "https", "node.example", advance, reply), 200, "%s", reply);
    cr_assert(strstr(reply, "\"result\""), "the node's own page, served over https by the proxy: %s", reply);
    cr_assert_null(strstr(reply, "Access-Control-Allow-Origin"), "same-origin: no CORS header: %s", reply);
    cr_assert_eq(post_forwarded("HTTPS://Node.Example", "https", "node.example", advance, reply), 200, "%s", reply);
    cr_assert(strstr(reply, "\"result\""), "scheme and host without regard to case: %s", reply);
    char own[64];
    snprintf(own, sizeof own, "https://127.0.0.1:%u", node.port);
    cr_assert_eq(post_forwarded(own, "https", NULL, advance, reply), 200, "%s", reply);
    cr_assert(strstr(reply, "\"result\""), "X-Forwarded-Proto alone: https and the Host header: %s", reply);

    cr_assert_eq(post_forwarded("https://evil.example", "https", "node.example", advance, reply), 200, "%s", reply);
    cr_assert(strstr(reply, "\"code\":-32004"), "another site behind the same proxy is cross-origin: %s", reply);
    cr_assert_eq(post_forwarded("http://node.example", "https", "node.example", advance, reply), 200, "%s", reply);
    cr_assert(strstr(reply, "\"code\":-32004"), "the same host over another scheme is another origin: %s", reply);
    snprintf(own, sizeof own, "http://127.0.0.1:%u", node.port);
    cr_assert_eq(post_forwarded(own, "https", "node.example", advance, reply), 200, "%s", reply);
    cr_assert(strstr(reply, "\"code\":-32004"), "once forwarded, the Host header's origin is no longer its own: %s", reply);
    cr_assert_eq(post_forwarded("ftp://node.example", "ftp", "node.example", advance, reply), 200, "%s", reply);
    cr_assert(strstr(reply, "\"code\":-32004"), "a scheme other than http or https is never the node's: %s", reply);
}

Test(integration_cors, forwarded_headers_count_only_from_a_loopback_client)
{
    /* a remote client cannot be reached over loopback, so its connection record is made here: the
     * same headers that make a loopback proxy's request same-origin leave a remote one cross-origin */
    struct evhttp_request *req = evhttp_request_new(NULL, NULL);
    cr_assert_not_null(req, "a request");
    struct evkeyvalq *in = evhttp_request_get_input_headers(req);
    evhttp_add_header(in, "Host", "127.0.0.1:8645");
    evhttp_add_header(in, "Origin", "https://node.example");
    evhttp_add_header(in, "X-Forwarded-Proto", "https");
    evhttp_add_header(in, "X-Forwarded-Host", "node.example");
    struct rpc_conn remote = { 0 }, proxy = { 0 };
    struct sockaddr_in *r = (struct sockaddr_in *)&remote.peer, *p = (struct sockaddr_in *)&proxy.peer;
    r->sin_family = p->sin_family = AF_INET;
    r->sin_addr.s_addr = htonl(0xC0000201); /* 192.0.2.1, TEST-NET-1 */
    p->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert(!rpc_cors_cross_origin(&proxy, req), "from the proxy on loopback: same-origin");
    cr_assert(rpc_cors_cross_origin(&remote, req), "from 192.0.2.1 the forwarded headers are ignored: cross-origin");
    evhttp_request_free(req);
    cr_assert(rpc_cors_same_origin("http://127.0.0.1:8645", "127.0.0.1:8645", NULL, NULL), "no proxy: http and Host");
    cr_assert(!rpc_cors_same_origin("http://127.0.0.1:8645", NULL, NULL, NULL), "no Host: never the node's own");
}

TestSuite(integration_cors_off, .fini = stop, .timeout = 60);

Test(integration_cors_off, without_the_option_there_is_no_cors)
{
    static char reply[REPLY_MAX];
    static const char *const opts[] = { "--no-enclave", NULL };
    memset(&node, 0, sizeof node);
    node.options = opts;
    th_node_start(&node, false);
    cr_assert_eq(preflight("/", LISTED, "POST", "content-type", reply), 403, "%s", reply);
    cr_assert_null(strstr(reply, "Access-Control-Allow"), "no CORS header: %s", reply);
    cr_assert_null(strstr(reply, "Vary"), "nothing varies: %s", reply);
    char req[256];
    snprintf(req, sizeof req, "OPTIONS / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    cr_assert_eq(exchange(req, reply, NULL), 405, "an OPTIONS that is no preflight: %s", reply);
}

Test(integration_cors_off, a_malformed_origin_list_is_a_usage_error)
{
    static const char *const bad[] = { "", "http://a.example/", "ftp://a.example", "http://a.example,,http://b",
                                       "null", "http://a.example:123456", "http://", "http://a b" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *argv[] = { TEST_BUILDDIR "/conclaved", "--dev", "--rpc-cors", bad[i], NULL };
        cr_assert_eq(th_run(argv), 2, "'%s' is a usage error", bad[i]);
    }
}

Test(integration_cors_off, a_star_lets_every_origin_in_but_never_to_admin_methods)
{
    static char reply[REPLY_MAX];
    static const char *const opts[] = { "--no-enclave", "--rpc-cors", "*", NULL };
    memset(&node, 0, sizeof node);
    node.options = opts;
    th_node_start(&node, false);
    cr_assert_eq(preflight("/", "https://anyone.example", "POST", "content-type", reply), 204, "%s", reply);
    cr_assert(strstr(reply, "Access-Control-Allow-Origin: https://anyone.example\r\n"), "names the origin: %s", reply);
    static const char advance[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"admin_advanceTime\",\"params\":{\"seconds\":1}}";
    cr_assert_eq(post("https://anyone.example", node.token, advance, reply), 200, "%s", reply);
    cr_assert(strstr(reply, "Access-Control-Allow-Origin: https://anyone.example\r\n"), "tagged: %s", reply);
    cr_assert(strstr(reply, "\"code\":-32004"), "still no admin method: %s", reply);
}
