/* SPDX-License-Identifier: MIT */
/* test_durability.c: with a loop (eng_attach), a block commits without waiting for the disk and its
 * receipts wait for a sync that covers it (engine/durability.c). ledger_sync_wal is wrapped (the
 * link's --wrap) so that each sync waits at a gate the test opens: the block is in the ledger while
 * the gate is shut and nobody has been answered; once it opens, the answer comes; closing the
 * engine answers what it held; a sync that fails stops the node without answering; the log is
 * checkpointed off the loop (ledger_checkpoint, wrapped too, counts where it runs and may wait at a
 * gate of its own); and under a steady stream of blocks the log stays near its limit: blocks pause
 * at the limit until a checkpoint has copied it all, and the next block starts it again; a quiet
 * node has its log copied so that the next block starts it again (not once it is short); and a block
 * left open for a feeder's transactions (eng_set_feeder) closes once the block before it is durable. */
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
#include "tests/lib/testhelp.h"

static eng *e;
static struct event_base *base;
static int gate[2] = { -1, -1 };   /* a byte written to gate[1] lets one sync through */
static atomic_bool gated;          /* syncs wait at the gate (until the teardown) */
static atomic_bool fail_syncs;     /* the wrapped sync fails with EIO */

static atomic_int checkpoints, checkpoints_on_loop;
static int checkpoint_gate[2] = { -1, -1 };  /* a byte written to [1] lets one checkpoint through */
static atomic_bool checkpoints_gated;
static pthread_t loop_thread;

int __real_ledger_sync_wal(int wal_fd);
int __wrap_ledger_sync_wal(int wal_fd);
int __real_ledger_checkpoint(ledger_checkpointer *c, int *frames_left);
int __wrap_ledger_checkpoint(ledger_checkpointer *c, int *frames_left);

int __wrap_ledger_checkpoint(ledger_checkpointer *c, int *frames_left)
{
    char b;
    if (atomic_load(&checkpoints_gated) && read(checkpoint_gate[0], &b, 1) != 1)
        return ST_DB;
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
    cr_assert_eq(pipe(checkpoint_gate), 0, "the checkpoints' gate");
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
    atomic_store(&checkpoints_gated, false);
    cr_assert_eq(write(checkpoint_gate[1], "gg", 2), 2, "release the checkpoints' gate");
    if (e)
        th_close_engine(e);
    event_base_free(base);
    close(gate[0]);
    close(gate[1]);
    close(checkpoint_gate[0]);
    close(checkpoint_gate[1]);
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

/* A feeder (eng_set_feeder) with one transaction always still coming. */
static size_t one_coming(void *ctx)
{
    (void)ctx;
    return 1;
}

Test(durability, a_block_left_open_closes_once_the_block_before_it_is_durable)
{
    th_outcome first = { 0 }, second = { 0 };
    uint64_t before = th_head_height(e);
    eng_set_feeder(e, &(eng_feeder){ .pending = one_coming });
    th_queue(e, 0, "Transfer", &first, "{\"to\":\"%s\",\"amount\":\"5\"}", th_dev_text(1));
    cr_assert_eq(event_base_loop(base, EVLOOP_NONBLOCK), 0, "a turn");
    cr_assert(!eng_block_open(e), "closed: it holds as many as are coming, and no sync is in flight");
    cr_assert_eq(th_head_height(e), before + 1, "committed, its sync waiting at the gate");
    th_queue(e, 1, "Transfer", &second, "{\"to\":\"%s\",\"amount\":\"5\"}", th_dev_text(2));
    cr_assert_eq(event_base_loop(base, EVLOOP_NONBLOCK), 0, "a turn");
    cr_assert(eng_block_open(e), "the next block stays open while the one before it syncs");
    open_gate();
    loop_until_answered(&first);
    cr_assert(first.success && first.height == before + 1, "the first answered: %s", first.error);
    cr_assert_eq(event_base_loop(base, EVLOOP_NONBLOCK), 0, "a turn");
    cr_assert(!eng_block_open(e), "closed once the first was durable");
    cr_assert_eq(th_head_height(e), before + 2, "committed");
    open_gate();
    loop_until_answered(&second);
    cr_assert(second.success && second.height == before + 2, "the second answered: %s", second.error);
    eng_set_feeder(e, NULL);
    th_outcome_clear(&first);
    th_outcome_clear(&second);
}

Test(durability, closing_the_engine_answers_what_it_held)
{
    th_outcome o = { 0 };
    th_queue(e, 0, "Transfer", &o, "{\"to\":\"%s\",\"amount\":\"5\"}", th_dev_text(1));
    cr_assert_eq(eng_flush(e), ST_OK, "the block is made");
    cr_assert_eq(o.calls, 0, "held");
    open_gate();
    th_close_engine(e);
    e = NULL;
    cr_assert_eq(o.calls, 1, "answered when the engine closed");
    cr_assert(o.status == ST_OK && o.success, "its receipt");
    th_outcome_clear(&o);
}

/* The node's abort leaves no teardown: the data directory goes first (th_rmtree is not
 * async-signal-safe, which a process that is ending anyway can afford). */
static void remove_dir_and_abort(int sig)
{
    th_rmtree(th_dir());
    signal(sig, SIG_DFL);
    raise(sig);
}

Test(durability, a_failed_sync_stops_the_node_without_answering, .signal = SIGABRT)
{
    th_outcome o = { 0 };
    signal(SIGABRT, remove_dir_and_abort);
    atomic_store(&fail_syncs, true);
    th_queue(e, 0, "Transfer", &o, "{\"to\":\"%s\",\"amount\":\"5\"}", th_dev_text(1));
    cr_assert_eq(eng_flush(e), ST_OK, "the block is made");
    open_gate();
    loop_until_answered(&o);
    cr_assert_fail("the node went on after a failed sync (answered %d times)", o.calls);
}

/* Closes the setup's engine and opens one tuned as cfg says (its log's limit, its quiet moment),
 * on the same loop. */
static void reopen_tuned(const eng_config *cfg)
{
    th_close_engine(e);
    char *genesis = eng_genesis_dev_json(NULL, NULL, NULL);
    cr_assert_not_null(genesis, "dev genesis");
    th_open_engine_tuned(&e, "durability-log", genesis, cfg);
    free(genesis);
    cr_assert_eq(eng_attach(e, base), ST_OK, "attach");
}

static void reopen_with_log_limit(unsigned limit)
{
    reopen_tuned(&(eng_config){ .log_limit = limit });
}

/* Queues a transfer through the loop (the producer makes its block), lets its sync through and
 * waits for the answer. */
static void transfer_answered(int i)
{
    th_outcome o = { 0 };
    th_queue(e, 0, "Transfer", &o, "{\"to\":\"%s\",\"amount\":\"5\"}", th_dev_text(1));
    th_forget_queued();
    open_gate();
    loop_until_answered(&o);
    cr_assert(o.calls == 1 && o.success, "transfer %d answered: %s %s", i, o.errmsg, o.error);
    th_outcome_clear(&o);
}

Test(durability, blocks_pause_at_the_logs_limit_until_a_checkpoint_copied_it_all)
{
    reopen_with_log_limit(64);
    atomic_store(&checkpoints_gated, true);
    ledger *l = eng_ledger(e);
    int i = 0;
    while (ledger_wal_frames(l) < 64) {
        cr_assert_lt(i, 200, "the log reaches 64 frames");
        transfer_answered(i++);
    }
    unsigned frames = ledger_wal_frames(l);
    uint64_t height = th_head_height(e);
    th_outcome o = { 0 };
    th_queue(e, 0, "Transfer", &o, "{\"to\":\"%s\",\"amount\":\"5\"}", th_dev_text(1));
    th_forget_queued();
    open_gate();
    static const struct timeval moment = { 0, 100000 };
    event_base_loopexit(base, &moment);
    event_base_dispatch(base);
    cr_assert_eq(th_head_height(e), height, "no block while the checkpoint waits");
    cr_assert_eq(o.calls, 0, "not answered");
    atomic_store(&checkpoints_gated, false);
    cr_assert_eq(write(checkpoint_gate[1], "gg", 2), 2, "let the checkpoints through");
    loop_until_answered(&o);
    cr_assert(o.calls == 1 && o.success, "answered once the checkpoint is done: %s %s", o.errmsg, o.error);
    th_outcome_clear(&o);
    cr_assert_eq(th_head_height(e), height + 1, "its block");
    cr_assert_lt(ledger_wal_frames(l), frames, "the block started the log again (%u frames, %u before)",
                 ledger_wal_frames(l), frames);
}

Test(durability, the_log_stays_near_its_limit_under_a_stream_of_blocks)
{
    reopen_with_log_limit(64);
    ledger *l = eng_ledger(e);
    unsigned most = 0, restarts = 0, last = 0;
    for (int i = 0; i < 60; i++) {
        transfer_answered(i);
        unsigned frames = ledger_wal_frames(l);
        restarts += frames < last;
        last = frames;
        if (i > 0) /* the first block's log holds the new chain's first blocks too */
            most = frames > most ? frames : most;
    }
    cr_assert_geq(restarts, 1, "the log started again");
    cr_assert_lt(most, 64 + 32, "at most the limit and a block (%u frames)", most);
    cr_assert_geq(atomic_load(&checkpoints), 1, "checkpointed");
    cr_assert_eq(atomic_load(&checkpoints_on_loop), 0, "none on the loop");
}

/* Runs the loop for about ms milliseconds or until checkpoints has grown past before. */
static void loop_until_checkpointed(int before, int ms)
{
    static const struct timeval step = { 0, 10000 };
    for (int i = 0; i < ms / 10 && atomic_load(&checkpoints) == before; i++) {
        event_base_loopexit(base, &step);
        event_base_dispatch(base);
    }
}

Test(durability, a_quiet_node_has_its_log_copied_so_that_the_next_block_starts_it_again)
{
    /* checkpoints as the log grows, each 512 frames; a quiet one from 128 */
    reopen_tuned(&(eng_config){ .log_limit = 8192, .quiet_ms = 20 });
    ledger *l = eng_ledger(e);
    transfer_answered(0); /* the new chain's first blocks and this one: more than 128 frames, fewer than 512 */
    unsigned frames = ledger_wal_frames(l);
    cr_assert(frames >= 128 && frames < 512, "the log holds %u frames", frames);
    loop_until_checkpointed(0, 10000);
    cr_assert_eq(atomic_load(&checkpoints), 1, "a quiet node checkpointed its log (%u frames)", frames);
    transfer_answered(1);
    unsigned restarted = ledger_wal_frames(l);
    cr_assert_lt(restarted, frames, "the next block started the log again (%u frames, %u before)", restarted, frames);
    cr_assert_lt(restarted, 128, "a block's frames");
    loop_until_checkpointed(1, 200);
    cr_assert_eq(atomic_load(&checkpoints), 1, "not again for a log of %u frames", restarted);
    cr_assert_eq(atomic_load(&checkpoints_on_loop), 0, "none on the loop");
}
