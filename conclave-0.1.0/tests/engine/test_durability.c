/* SPDX-License-Identifier: MIT */
/* test_durability.c: with a loop (eng_attach), a block commits without waiting for the disk and its
 * receipts wait for a sync that covers it (engine/durability.c). ledger_sync_wal is wrapped (the
 * link's --wrap) so that each sync waits at a gate the test opens: the block is in the ledger while
 * the gate is shut and nobody has been answered; once it opens, the answer comes; closing the
 * engine answers what it held; a sync that fails stops the node without answering; and the log is
 * checkpointed by the sync thread (ledger_checkpoint, wrapped too, counts where it runs). */
#include <criterion/criterion.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>
#include "engine/engine.h"
#include "engine/genesis.h"
#include "ledger/ledger.h"
#include "tests/lib/engine_fixture.h"

static eng *e;
static struct event_base *base;
static int gate[2] = { -1, -1 };   /* a byte written to gate[1] lets one sync through */
static atomic_bool gated;          /* syncs wait at the gate (until the teardown) */
static atomic_bool fail_syncs;     /* the wrapped sync fails with EIO */

static atomic_int checkpoints, checkpoints_on_loop;
static pthread_t loop_thread;

int __real_ledger_sync_wal(int wal_fd);
int __wrap_ledger_sync_wal(int wal_fd);
int __real_ledger_checkpoint(ledger_checkpointer *c, int *frames_left);
int __wrap_ledger_checkpoint(ledger_checkpointer *c, int *frames_left);

int __wrap_ledger_checkpoint(ledger_checkpointer *c, int *frames_left)
{
    atomic_fetch_add(&checkpoints, 1);
    if (pthread_equal(pthread_self(), loop_thread))
        atomic_fetch_add(&checkpoints_on_loop, 1);
    return __real_ledger_checkpoint(c, frames_left);
}

int __wrap_ledger_sync_wal(int wal_fd)
{
    char c;
    if (atomic_load(&gated) && read(gate[0], &c, 1) != 1)
        return ST_IO;
    if (fail_syncs) {
        errno = EIO;
        return ST_IO;
    }
    return __real_ledger_sync_wal(wal_fd);
}

static void setup(void)
{
    char *genesis = eng_genesis_dev_json(NULL, NULL, NULL);
    cr_assert_not_null(genesis, "dev genesis");
    th_open_engine(&e, "durability", genesis);
    free(genesis);
    loop_thread = pthread_self();
    cr_assert_eq(pipe(gate), 0, "the gate");
    atomic_store(&gated, true);
    base = event_base_new();
    cr_assert_not_null(base, "a loop");
    cr_assert_eq(eng_attach(e, base), ST_OK, "attach");
}

static void teardown(void)
{
    /* a sync still waiting (a block the test did not wait for) goes through */
    atomic_store(&gated, false);
    cr_assert_eq(write(gate[1], "g", 1), 1, "release the gate");
    if (e)
        th_close_engine(e);
    event_base_free(base);
    close(gate[0]);
    close(gate[1]);
}

TestSuite(durability, .init = setup, .fini = teardown, .timeout = 30);

/* Runs the loop until o is answered or 10 s have passed. */
static void loop_until_answered(const th_outcome *o)
{
    static const struct timeval step = { 0, 50000 };
    for (int i = 0; i < 200 && o->calls == 0; i++) {
        event_base_loopexit(base, &step);
        event_base_dispatch(base);
    }
}

static void open_gate(void)
{
    cr_assert_eq(write(gate[1], "g", 1), 1, "open the gate once");
}

Test(durability, a_block_is_answered_only_once_a_sync_covers_it)
{
    th_outcome o = { 0 };
    uint64_t before = th_head_height(e);
    th_queue(e, 0, "Transfer", &o, "{\"to\":\"%s\",\"amount\":\"5\"}", th_dev_text(1));
    cr_assert_eq(eng_flush(e), ST_OK, "the block is made");
    cr_assert_eq(th_head_height(e), before + 1, "committed: in the ledger while its sync waits");
    static const struct timeval moment = { 0, 100000 };
    event_base_loopexit(base, &moment);
    event_base_dispatch(base);
    cr_assert_eq(o.calls, 0, "no answer before the sync");
    open_gate();
    loop_until_answered(&o);
    cr_assert_eq(o.calls, 1, "answered once the sync returned");
    cr_assert(o.status == ST_OK && o.success, "its receipt: %s %s", o.errmsg, o.error);
    cr_assert_eq(o.height, before + 1, "in that block");
    th_outcome_clear(&o);
}

Test(durability, closing_the_engine_answers_what_it_held)
{
    th_outcome o = { 0 };
    th_queue(e, 0, "Transfer", &o, "{\"to\":\"%s\",\"amount\":\"5\"}", th_dev_text(1));
    cr_assert_eq(eng_flush(e), ST_OK, "the block is made");
    cr_assert_eq(o.calls, 0, "held");
    open_gate();
    eng_close(e);
    e = NULL;
    cr_assert_eq(o.calls, 1, "answered when the engine closed");
    cr_assert(o.status == ST_OK && o.success, "its receipt");
    th_outcome_clear(&o);
}

Test(durability, a_failed_sync_stops_the_node_without_answering, .signal = SIGABRT)
{
    th_outcome o = { 0 };
    atomic_store(&fail_syncs, true);
    th_queue(e, 0, "Transfer", &o, "{\"to\":\"%s\",\"amount\":\"5\"}", th_dev_text(1));
    cr_assert_eq(eng_flush(e), ST_OK, "the block is made");
    open_gate();
    loop_until_answered(&o);
    cr_assert_fail("the node went on after a failed sync (answered %d times)", o.calls);
}

Test(durability, the_log_is_checkpointed_by_the_sync_thread)
{
    for (int i = 0; i < 33; i++) {
        th_outcome o = { 0 };
        th_queue(e, 0, "Transfer", &o, "{\"to\":\"%s\",\"amount\":\"5\"}", th_dev_text(1));
        cr_assert_eq(eng_flush(e), ST_OK, "block %d", i);
        th_forget_queued();
        open_gate();
        loop_until_answered(&o);
        cr_assert(o.calls == 1 && o.success, "block %d answered", i);
        th_outcome_clear(&o);
    }
    cr_assert_geq(atomic_load(&checkpoints), 1, "a checkpoint after 32 syncs");
    cr_assert_eq(atomic_load(&checkpoints_on_loop), 0, "none on the loop");
}
