/* SPDX-License-Identifier: MIT */
/* rpc_loop.h: for tests of a JSON-RPC peer, an rpc_server of the test's own methods on 127.0.0.1 and
 * an ephemeral port, its event loop run in a second thread on an event_base of its own. The test
 * thread reaches it only through sockets and a command pipe, so no libevent object crosses threads
 * (no evthread_use_pthreads needed). Link with -pthread. */
#ifndef TESTS_RPC_LOOP_H
#define TESTS_RPC_LOOP_H

#include <event2/event.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include "rpc/rpc.h"

typedef struct th_rpc_loop {
    struct event_base *base;         /* the loop's; handlers may add events to it */
    rpc_server *server;
    struct event *cmd_ev;
    int cmd[2];                      /* pipe: the test thread writes commands, the loop reads them */
    pthread_t thread;
    bool running;
    unsigned port;                   /* the bound port */
    void (*on_command)(char c);      /* a command other than 'q', on the loop thread; NULL: none */
} th_rpc_loop;

/* Starts a server of the n methods of table (borrowed, sorted by name) with limits (NULL: the
 * defaults), the admin token (NULL: none) and the server name (NULL: the default), its errors mapped
 * by errors, listening on 127.0.0.1:0,
 * and its loop in a new thread. Set l->on_command before, if the test sends commands of its own.
 * Also ignores SIGPIPE (as conclaved does: a write to a closed peer must not kill the test). Aborts
 * the test on failure. */
void th_rpc_loop_start(th_rpc_loop *l, const rpc_method *table, size_t n, const rpc_limits *limits,
                       const char *token, const char *name, rpc_errors_fn errors);
/* Sends command c to the loop ('q' stops it). Aborts the test if the pipe refuses it. */
void th_rpc_loop_command(th_rpc_loop *l, char c);
/* Stops the loop (command 'q') and joins its thread, then frees the server with whatever calls are
 * still outstanding. Nothing to do if it does not run. */
void th_rpc_loop_stop(th_rpc_loop *l);

#endif
