/* SPDX-License-Identifier: MIT */
/* methods.h: conclaved's JSON-RPC method table (node/methods.c), built from one file of methods per
 * area (the node/m_ files). The server's app handle is the engine (eng *). Layer: node (conclaved, above engine and rpc). */
#ifndef RPC_METHODS_H
#define RPC_METHODS_H

#include <stddef.h>
#include "rpc/rpc.h"

/* conclaved's lines of GET /metrics (an rpc_metrics_fn; app is the engine). */
char *rpc_metrics_text(void *app);

/* The sorted table of every method. Out: *n its length. */
const rpc_method *rpc_methods(size_t *n);

#endif
