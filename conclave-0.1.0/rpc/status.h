/* SPDX-License-Identifier: MIT */
/* status.h: what the functions of rpc/ return, and the attribute macros its headers use. rpc/ is a
 * transport library and keeps its own small set of results. They are numbered as the same failures
 * of the application's status enum, so a caller may compare with either; the application checks
 * that where it composes the two (node/errors.c). A handler's failures are the application's own
 * statuses, which it maps to JSON-RPC errors (rpc_server_set_errors in rpc.h). Layer: rpc. */
#ifndef RPC_STATUS_H
#define RPC_STATUS_H

enum rpc_status {
    RPC_OK = 0,
    RPC_NOMEM = 1,                   /* out of memory */
    RPC_INVALID = 2,                 /* a bad argument; rpc_client_call: the server answered with an error */
    RPC_LIMIT = 11,                  /* rpc_client_*: no answer within the timeout */
    RPC_IO = 12,                     /* a socket failed, or no connection */
    RPC_PENDING = 13                 /* a handler's: the call was deferred with rpc_defer() */
};

#if defined(__GNUC__)
#define RPC_WARN_UNUSED __attribute__((warn_unused_result))
#define RPC_NONNULL(...) __attribute__((nonnull(__VA_ARGS__)))
#define RPC_PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#else
#define RPC_WARN_UNUSED
#define RPC_NONNULL(...)
#define RPC_PRINTF_LIKE(f, a)
#endif

#endif
