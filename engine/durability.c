/* SPDX-License-Identifier: MIT */
/* durability.c: blocks made durable off the event loop (pipelined group commit). With a loop
 * (eng_attach) and a WAL database, a block's COMMIT returns without waiting for the disk
 * (ledger_defer_sync) and the block is held here with its items; a thread of its own runs
 * fdatasync on the write-ahead log, one sync covering every block committed before it began, and
 * wakes the loop through a pipe; only then do the held blocks' receipts go out and their events
 * reach the listener, in block order. Meanwhile the loop reads, checks and applies the next block,
 * so the disk's latency overlaps the next block's work instead of stopping the node. A second thread
 * checkpoints the log into the database on a connection of its own (ledger_checkpointer, PASSIVE)
 * each time the log has grown by a sixteenth of the engine's log_limit, so that no COMMIT on the
 * loop ever runs a checkpoint and no sync waits for one. SQLite starts the log again from its
 * beginning only at a COMMIT that finds it all copied, which a steady stream of blocks may never
 * leave time for: once the log holds log_limit frames, blocks pause (eng_durability_paused; the loop
 * goes on reading and verifying) while that thread copies the rest, and the next block restarts
 * the log, so its file stays near that size instead of growing for as long as the load lasts. Once
 * the node has been quiet for a moment (eng_config.quiet_ms) with a fair part of the log not yet
 * copied, that thread copies it, so that a burst to come starts with the log again instead of
 * pausing in it.
 *
 * Nothing acknowledged is lost: a receipt goes out only after a sync that started after its
 * block's COMMIT returned. Reads may see a block a moment before it is durable (it survives the
 * process dying, but not yet a power loss). A sync that fails cannot be retried safely (the kernel
 * may have dropped the pages): the node stops without answering the blocks it held. Without a
 * loop (tests, replay, benches) or on a database that is not WAL, every COMMIT syncs as before. */
#define _GNU_SOURCE /* pthread_setname_np */
#include "engine/engine_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A committed block whose receipts wait for its sync. */
struct eng_held {
    uint64_t seq;
    eng_item *items, *tick, *settlement;
    struct eng_held *next;
};

static void *sync_main(void *arg)
{
    eng_durability *d = arg;
    pthread_setname_np(pthread_self(), "durability"); /* for top -H, perf and bench_tx; a failure changes nothing */
    pthread_mutex_lock(&d->mu);
    for (;;) {
        while (!d->stop && d->synced == d->requested)
            pthread_cond_wait(&d->cv, &d->mu);
        if (d->synced == d->requested)
            break;
        uint64_t target = d->requested;
        pthread_mutex_unlock(&d->mu);
        int rc = ledger_sync_wal(d->wal_fd);
        int err = errno;
        pthread_mutex_lock(&d->mu);
        if (rc == ST_OK)
            d->synced = target;
        else
            d->sync_errno = err ? err : EIO;
        ssize_t w = write(d->wake[1], "s", 1);
        (void)w; /* a full pipe already holds a wake-up */
        if (rc != ST_OK)
            break;
    }
    pthread_mutex_unlock(&d->mu);
    return NULL;
}

/* The checkpoints' thread: copies the log into the database when asked, on a connection of its own,
 * while the loop goes on; a failure is only reported (the next checkpoint tries again). A checkpoint
 * the loop paused for is answered through the wake-up pipe. */
static void *checkpoint_main(void *arg)
{
    eng_durability *d = arg;
    pthread_setname_np(pthread_self(), "checkpoint");
    pthread_mutex_lock(&d->mu);
    for (;;) {
        while (!d->stop && !d->checkpoint_wanted)
            pthread_cond_wait(&d->checkpoint_cv, &d->mu);
        if (!d->checkpoint_wanted)
            break;
        d->checkpoint_wanted = false;
        bool paused_for = d->checkpoint_asked;
        pthread_mutex_unlock(&d->mu);
        if (ledger_checkpoint(d->checkpointer, NULL) != ST_OK)
            fprintf(stderr, "conclaved: a checkpoint failed; the next one tries again\n");
        pthread_mutex_lock(&d->mu);
        if (paused_for) {
            d->checkpoint_asked = false;
            ssize_t w = write(d->wake[1], "c", 1);
            (void)w;
        }
    }
    pthread_mutex_unlock(&d->mu);
    return NULL;
}

/* Asks the checkpoints' thread for a checkpoint; paused: the loop writes nothing until it is done. */
static void want_checkpoint(eng_durability *d, bool paused)
{
    pthread_mutex_lock(&d->mu);
    d->checkpoint_wanted = true;
    if (paused)
        d->checkpoint_asked = true;
    pthread_cond_signal(&d->checkpoint_cv);
    pthread_mutex_unlock(&d->mu);
}

/* Sends out, in order, every held block the syncs so far have made durable. */
static void release_synced(eng *e)
{
    eng_durability *d = &e->durability;
    pthread_mutex_lock(&d->mu);
    uint64_t synced = d->synced;
    int err = d->sync_errno;
    pthread_mutex_unlock(&d->mu);
    bool delivered = false;
    while (d->head && d->head->seq <= synced) {
        struct eng_held *h = d->head;
        d->head = h->next;
        if (!d->head)
            d->tail = NULL;
        eng_deliver_block(e, h->items, h->tick, h->settlement, true);
        free(h);
        delivered = true;
    }
    if (delivered && d->quiet_ev) {
        const struct timeval quiet = { e->quiet_ms / 1000, (e->quiet_ms % 1000) * 1000 };
        event_add(d->quiet_ev, &quiet); /* a block answered since: the quiet starts again */
    }
    if (err && d->head) {
        fprintf(stderr, "conclaved: the ledger could not be made durable (fdatasync: %s); stopping without answering "
                        "the blocks that were not\n", strerror(err));
        abort();
    }
}

/* Once the asked checkpoint is done, blocks go on. */
static void resume_blocks(eng *e)
{
    eng_durability *d = &e->durability;
    if (!d->paused)
        return;
    pthread_mutex_lock(&d->mu);
    bool done = !d->checkpoint_asked;
    pthread_mutex_unlock(&d->mu);
    if (!done)
        return;
    d->paused = false;
    if (e->queue_head && e->produce_ev)
        event_active(e->produce_ev, 0, 0);
}

static void wake_cb(evutil_socket_t fd, short what, void *arg)
{
    char buf[64];
    while (read(fd, buf, sizeof buf) > 0)
        ;
    eng *e = arg;
    release_synced(e);
    resume_blocks(e);
    /* the open block may close now that the one before it is durable (building_done) */
    if (e->building.open && e->produce_ev)
        event_active(e->produce_ev, 0, 0);
}

bool eng_durability_syncing(const eng *e)
{
    return e->durability.head != NULL;
}

bool eng_durability_paused(eng *e)
{
    eng_durability *d = &e->durability;
    if (!d->checkpointer)
        return false;
    if (d->paused)
        return true;
    if (d->frames_seen < d->pause_at)
        return false;
    /* should the log not start again (another connection reading from it), the next pause waits
     * for as many frames more */
    d->pause_at = d->frames_seen + d->log_limit;
    d->paused = true;
    want_checkpoint(d, true);
    return true;
}

/* quiet_ms after the last answered block: if none is held, open, queued or being verified, and
 * the log holds at least a 64th of its limit not yet asked to be copied, asks for a checkpoint, so
 * that the next block finds the log copied and starts it again, rather than a burst to come pausing
 * at the limit. The threshold keeps a lightly loaded node from checkpointing after every block. */
static void quiet_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    eng *e = arg;
    eng_durability *d = &e->durability;
    bool coming = e->queue_head || e->building.open || (e->feeder.pending && e->feeder.pending(e->feeder.ctx) > 0);
    if (d->head || coming || d->paused || d->frames_seen < d->log_limit / 64 || d->frames_seen == d->checkpointed_at)
        return;
    d->checkpointed_at = d->frames_seen;
    want_checkpoint(d, false);
}

/* After a COMMIT: notes the log's length, and asks for a checkpoint each sixteenth of the limit it
 * grew by, so that the database keeps up with the log and little is left to copy when blocks pause
 * (a checkpoint that ends before the loop's next block lets that block start the log again, without
 * a pause). */
static void note_commit(eng *e)
{
    eng_durability *d = &e->durability;
    unsigned frames = ledger_wal_frames(e->ledger);
    if (frames < d->frames_seen) { /* the log started again */
        d->pause_at = d->log_limit;
        d->checkpointed_at = 0;
    }
    d->frames_seen = frames;
    if (frames - d->checkpointed_at >= d->log_limit / 16) {
        d->checkpointed_at = frames;
        want_checkpoint(d, false);
    }
}

int eng_durability_start(eng *e)
{
    eng_durability *d = &e->durability;
    int rc = ledger_defer_sync(e->ledger, &d->wal_fd);
    if (rc == ST_INVALID)
        return ST_OK; /* not WAL (":memory:"): every COMMIT syncs */
    if (rc != ST_OK)
        return rc;
    d->wake[0] = d->wake[1] = -1;
    rc = ST_NOMEM;
    if (pipe(d->wake) != 0)
        goto fail;
    for (int i = 0; i < 2; i++)
        if (fcntl(d->wake[i], F_SETFD, FD_CLOEXEC) != 0 || fcntl(d->wake[i], F_SETFL, O_NONBLOCK) != 0)
            goto fail;
    if (!(d->wake_ev = event_new(e->base, d->wake[0], EV_READ | EV_PERSIST, wake_cb, e)) || event_add(d->wake_ev, NULL) != 0)
        goto fail;
    pthread_mutex_init(&d->mu, NULL);
    pthread_cond_init(&d->cv, NULL);
    pthread_cond_init(&d->checkpoint_cv, NULL);
    if (pthread_create(&d->thread, NULL, sync_main, d) != 0) {
        pthread_cond_destroy(&d->checkpoint_cv);
        pthread_cond_destroy(&d->cv);
        pthread_mutex_destroy(&d->mu);
        goto fail;
    }
    /* without a checkpointer (or its thread), commits keep checkpointing on the loop as before */
    if (ledger_checkpointer_open(e->ledger, &d->checkpointer) == ST_OK
        && pthread_create(&d->checkpoint_thread, NULL, checkpoint_main, d) != 0) {
        ledger_checkpointer_close(e->ledger, d->checkpointer);
        d->checkpointer = NULL;
    }
    /* without it, only the checkpoints as the log grows */
    if (d->checkpointer)
        d->quiet_ev = evtimer_new(e->base, quiet_cb, e);
    d->log_limit = d->pause_at = e->log_limit;
    d->on = true;
    return ST_OK;
fail:
    /* the ledger stays in deferred mode with wal_fd open: the producer syncs at every block */
    if (d->wake_ev)
        event_free(d->wake_ev);
    d->wake_ev = NULL;
    for (int i = 0; i < 2; i++)
        if (d->wake[i] >= 0)
            close(d->wake[i]);
    return rc;
}

int eng_durability_hold(eng *e, eng_item *items, eng_item *tick, eng_item *settlement)
{
    eng_durability *d = &e->durability;
    struct eng_held *h = malloc(sizeof *h);
    if (!h)
        return ST_NOMEM;
    *h = (struct eng_held){ .seq = ++d->committed, .items = items, .tick = tick, .settlement = settlement };
    if (d->tail)
        d->tail->next = h;
    else
        d->head = h;
    d->tail = h;
    pthread_mutex_lock(&d->mu);
    d->requested = h->seq;
    pthread_cond_signal(&d->cv);
    pthread_mutex_unlock(&d->mu);
    if (d->checkpointer)
        note_commit(e);
    return ST_OK;
}

void eng_durability_stop(eng *e)
{
    eng_durability *d = &e->durability;
    if (!d->on) {
        if (d->wal_fd >= 0)
            close(d->wal_fd);
        d->wal_fd = -1;
        return;
    }
    pthread_mutex_lock(&d->mu);
    d->stop = true;
    pthread_cond_signal(&d->cv);
    pthread_cond_signal(&d->checkpoint_cv);
    pthread_mutex_unlock(&d->mu);
    pthread_join(d->thread, NULL);
    release_synced(e); /* the thread synced everything held before it ended */
    if (d->checkpointer) {
        pthread_join(d->checkpoint_thread, NULL);
        ledger_checkpointer_close(e->ledger, d->checkpointer);
        d->checkpointer = NULL;
    }
    if (d->quiet_ev)
        event_free(d->quiet_ev);
    d->quiet_ev = NULL;
    event_free(d->wake_ev);
    close(d->wake[0]);
    close(d->wake[1]);
    close(d->wal_fd);
    d->wal_fd = -1;
    pthread_cond_destroy(&d->checkpoint_cv);
    pthread_cond_destroy(&d->cv);
    pthread_mutex_destroy(&d->mu);
    d->on = false;
}
