/* SPDX-License-Identifier: MIT */
/* node.h: for integration tests, a real conclaved of this build started on a free loopback port
 * with a temporary data directory, spoken to over JSON-RPC, and stopped by its PID. Waiting is
 * event-driven and bounded (poll on the daemon's stdout and on a pidfd), never a sleep. */
#ifndef TESTS_NODE_H
#define TESTS_NODE_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "rpc/client.h"

typedef struct th_node {
    pid_t pid;                  /* 0 when not running */
    unsigned port;
    char datadir[128];
    char url[64];
    char token[80];             /* the admin cookie */
    rpc_client *client;         /* with the admin token */
} th_node;

/* Starts conclaved --dev on 127.0.0.1:0; a new temporary data directory unless keep_datadir (then
 * the one in n->datadir is reused, as after a restart). Aborts the test on failure. */
void th_node_start(th_node *n, bool keep_datadir);
/* Sends sig to the node and waits (at most 20 s) for it to exit. Returns its exit status as
 * waitpid gives it. */
int th_node_stop(th_node *n, int sig);
/* Stops the node if it runs (SIGKILL) and removes the data directory. */
void th_node_cleanup(th_node *n);

/* Calls method with params given as JSON text (NULL for none). Returns the whole response object
 * (caller owns; cJSON_Delete). Aborts the test on transport failure. */
cJSON *th_call(th_node *n, const char *method, const char *params_json);
/* POSTs a raw body. Out: *http_status. Returns the response body (caller frees), "" if empty. */
char *th_post(th_node *n, const char *body, int *http_status);

/* The JSON params of a Transfer signed by dev account `from` to dev account `to`. Caller frees. */
char *th_transfer_params(unsigned from, unsigned to, const char *amount, uint64_t nonce, uint64_t chain_id);
/* The EIP-55 address of dev account i. */
void th_dev_address(char out[43], unsigned i);

#endif
