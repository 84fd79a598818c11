/* SPDX-License-Identifier: MIT */
/* test_methods.h: the JSON-RPC handlers that both rpc suites serve (tests/rpc/test_methods.c). */
#ifndef TESTS_RPC_TEST_METHODS_H
#define TESTS_RPC_TEST_METHODS_H

#include "rpc/rpc.h"

/* Answers params.a + params.b; ST_INVALID unless both are numbers. */
int test_m_add(struct rpc_ctx *ctx, const cJSON *params, cJSON **result);
/* Answers the params object it was given. */
int test_m_echo(struct rpc_ctx *ctx, const cJSON *params, cJSON **result);

#endif
