/* SPDX-License-Identifier: MIT */
/* test_metrics.c: GET /metrics of a real conclaved --dev: the latency histogram of each method
 * called, the block commit and the settlement histograms count what happened (calls, blocks, an
 * epoch settled by the enclave) with cumulative buckets that end at the count; and the Grafana
 * dashboard in docs/grafana parses and queries only metrics the node serves. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/lib/node.h"
#include "tests/lib/testhelp.h"

static th_node *const node = &th_suite_node;

TestSuite(integration_metrics, .init = th_suite_node_start, .fini = th_suite_node_stop, .timeout = 90);

/* The node's GET /metrics (caller frees). */
static char *metrics(void)
{
    int http;
    char *text = NULL;
    cr_assert_eq(rpc_client_get(node->client, "/metrics", &http, &text), RPC_OK, "GET /metrics");
    cr_assert_eq(http, 200, "GET /metrics: %d", http);
    return text;
}

/* Returns: the value of the sample series (name with its labels, exactly as written), asserting it
 * is there. */
static double sample(const char *text, const char *series)
{
    size_t n = strlen(series);
    for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
        if (strncmp(line, series, n) == 0 && line[n] == ' ')
            return strtod(line + n + 1, NULL);
    cr_assert_fail("%s in GET /metrics:\n%s", series, text);
    return 0;
}

/* Whether a sample line of metric name (with labels or not) is in text. */
static bool has_metric(const char *text, const char *name)
{
    size_t n = strlen(name);
    for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
        if (strncmp(line, name, n) == 0 && (line[n] == ' ' || line[n] == '{'))
            return true;
    return false;
}

/* Asserts that histogram name (labels: the labels before le, with their trailing comma, or "")
 * has cumulative buckets ending at its count, and returns the count. */
static double histogram_count(const char *text, const char *name, const char *labels)
{
    static const char *const bounds[] = { "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1",
                                          "0.25",   "0.5",   "1",      "2.5",   "5",    "10",    "+Inf" };
    char series[256];
    double before = 0;
    for (size_t i = 0; i < sizeof bounds / sizeof bounds[0]; i++) {
        snprintf(series, sizeof series, "%s_bucket{%sle=\"%s\"}", name, labels, bounds[i]);
        double v = sample(text, series);
        cr_assert_geq(v, before, "%s is cumulative", series);
        before = v;
    }
    size_t len = strlen(labels);
    char bare[128];
    snprintf(bare, sizeof bare, "%.*s", len ? (int)len - 1 : 0, labels);
    snprintf(series, sizeof series, len ? "%s_count{%s}" : "%s_count%s", name, bare);
    double count = sample(text, series);
    cr_assert_eq(before, count, "%s: the +Inf bucket is the count", name);
    snprintf(series, sizeof series, len ? "%s_sum{%s}" : "%s_sum%s", name, bare);
    cr_assert_geq(sample(text, series), 0, "%s has a sum", name);
    return count;
}

Test(integration_metrics, histograms_count_calls_blocks_and_settlements)
{
    char *text = metrics();
    double info_before = has_metric(text, "conclave_rpc_request_seconds_count{method=\"node_info\"")
                             ? sample(text, "conclave_rpc_request_seconds_count{method=\"node_info\"}")
                             : 0;
    free(text);
    for (int i = 0; i < 3; i++)
        cJSON_Delete(th_call(node, "node_info", NULL));
    th_send_done(node, 0, "Transfer", "{\"to\":\"%s\",\"amount\":\"1\"}", th_addr(1));
    th_node_advance(node, 3601); /* past the first epoch, which the enclave settles */

    text = metrics();
    cr_assert_eq(histogram_count(text, "conclave_rpc_request_seconds", "method=\"node_info\","), info_before + 3,
                 "three more node_info calls");
    cr_assert_geq(histogram_count(text, "conclave_rpc_request_seconds", "method=\"tx_send\","), 1, "a tx_send");
    cr_assert_eq(histogram_count(text, "conclave_block_commit_seconds", ""), sample(text, "conclave_blocks_total"),
                 "every block committed is timed");
    cr_assert_geq(sample(text, "conclave_blocks_total"), 1, "a block at least");
    cr_assert_geq(histogram_count(text, "conclave_settlement_seconds", ""), 1, "the epoch's settlement is timed");
    cr_assert_null(strstr(text, "method=\"ledger_audit\""), "a method never called has no series");
    free(text);
}

/* Adds to names (a NUL-separated list at *at, up to end) every conclave_ metric the expr strings
 * under item name. */
static void collect_metrics(const cJSON *item, char *names, size_t *at, size_t size)
{
    if (cJSON_IsString(item) && item->string && strcmp(item->string, "expr") == 0) {
        for (const char *p = strstr(item->valuestring, "conclave_"); p; p = strstr(p, "conclave_")) {
            size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789_");
            cr_assert_lt(*at + n + 1, size, "names fit");
            memcpy(names + *at, p, n);
            names[*at + n] = '\0';
            *at += n + 1;
            p += n;
        }
    }
    const cJSON *child;
    cJSON_ArrayForEach(child, item)
    collect_metrics(child, names, at, size);
}

Test(integration_metrics, the_grafana_dashboard_queries_only_metrics_the_node_serves)
{
    cJSON_Delete(th_call(node, "node_info", NULL)); /* so a method has a latency series */
    char *json = th_read_file(TEST_SRCDIR "/docs/grafana/conclave.json", NULL);
    cr_assert_not_null(json, "docs/grafana/conclave.json");
    cJSON *dashboard = cJSON_Parse(json);
    cr_assert_not_null(dashboard, "the dashboard parses as JSON");
    cr_assert(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(dashboard, "panels")), "it has panels");
    static char names[16384];
    size_t at = 0;
    collect_metrics(dashboard, names, &at, sizeof names);
    char *text = metrics();
    unsigned queried = 0;
    bool latency = false, commit = false, settlement = false;
    for (size_t i = 0; i < at; i += strlen(names + i) + 1) {
        cr_assert(has_metric(text, names + i), "the dashboard queries %s, which GET /metrics serves", names + i);
        latency |= strcmp(names + i, "conclave_rpc_request_seconds_bucket") == 0;
        commit |= strcmp(names + i, "conclave_block_commit_seconds_bucket") == 0;
        settlement |= strcmp(names + i, "conclave_settlement_seconds_bucket") == 0;
        queried++;
    }
    cr_assert_geq(queried, 10, "the dashboard's queries were found (%u)", queried);
    cr_assert(latency && commit && settlement, "it charts the latency, block commit and settlement histograms");
    free(text);
    cJSON_Delete(dashboard);
    free(json);
}
