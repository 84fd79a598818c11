/* SPDX-License-Identifier: MIT */
/* rpc_loop.c: a test's JSON-RPC server looping in a second thread (see rpc_loop.h). */
#include "tests/lib/rpc_loop.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <unistd.h>

static void on_command(evutil_socket_t fd, short what, void *arg)
{
    th_rpc_loop *l = arg;
    char c;
    (void)what;
    if (read(fd, &c, 1) == 1 && c != 'q' && l->on_command) {
        l->on_command(c);
        return;
    }
    event_base_loopbreak(l->base);
}

static void *loop(void *arg)
{
    th_rpc_loop *l = arg;
    event_base_dispatch(l->base);
    return NULL;
}

void th_rpc_loop_start(th_rpc_loop *l, const rpc_method *table, size_t n, const rpc_limits *limits,
                       const char *token, const char *name, rpc_errors_fn errors)
{
    signal(SIGPIPE, SIG_IGN);
    l->base = rpc_base_new();
    cr_assert_not_null(l->base, "rpc_base_new failed");
    l->server = rpc_server_new(l->base, table, n, NULL, limits, token, false);
    cr_assert_not_null(l->server, "rpc_server_new failed");
    if (name)
        rpc_server_set_name(l->server, name);
    rpc_server_set_errors(l->server, errors);
    cr_assert_eq(rpc_server_listen(l->server, "127.0.0.1:0", &l->port), RPC_OK, "cannot listen");
    cr_assert_neq(l->port, 0, "port 0 must be replaced by the bound port");
    cr_assert_eq(pipe(l->cmd), 0, "pipe failed");
    l->cmd_ev = event_new(l->base, l->cmd[0], EV_READ | EV_PERSIST, on_command, l);
    cr_assert(l->cmd_ev && event_add(l->cmd_ev, NULL) == 0, "cannot watch the command pipe");
    cr_assert_eq(pthread_create(&l->thread, NULL, loop, l), 0, "cannot start the server thread");
    l->running = true;
}

void th_rpc_loop_command(th_rpc_loop *l, char c)
{
    cr_assert_eq(write(l->cmd[1], &c, 1), 1, "cannot command the server");
}

void th_rpc_loop_stop(th_rpc_loop *l)
{
    if (!l->running)
        return;
    th_rpc_loop_command(l, 'q');
    pthread_join(l->thread, NULL);
    l->running = false;
    event_free(l->cmd_ev);
    rpc_server_free(l->server);
    event_base_free(l->base);
    close(l->cmd[0]);
    close(l->cmd[1]);
}
