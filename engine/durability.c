/* SPDX-License-Identifier: MIT */
/* durability.c: blocks made durable off the event loop (pipelined group commit). With a loop
 * (eng_attach) and a WAL database, a block's COMMIT returns without waiting for the disk
 * (ledger_defer_sync) and the block is held here with its items; a thread of its own runs
 * fdatasync on the write-ahead log, one sync covering every block committed before it began, and
 * wakes the loop through a pipe; only then do the held blocks' receipts go out and their events
 * reach the listener, in block order. Meanwhile the loop reads, checks and applies the next block,
 * so the disk's latency overlaps the next block's work instead of stopping the node. The same thread
 * checkpoints the log into the database every CHECKPOINT_EVERY syncs on a connection of its own
 * (ledger_checkpointer, PASSIVE), so that no COMMIT on the loop ever runs a checkpoint.
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

#define CHECKPOINT_EVERY 32

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
        if (d->checkpointer && ++d->syncs_since_checkpoint >= CHECKPOINT_EVERY) {
            d->syncs_since_checkpoint = 0;
            pthread_mutex_unlock(&d->mu);
            if (ledger_checkpoint(d->checkpointer, NULL) != ST_OK)
                fprintf(stderr, "conclaved: a checkpoint failed; the next one tries again\n");
            pthread_mutex_lock(&d->mu);
        }
    }
    pthread_mutex_unlock(&d->mu);
    return NULL;
}

/* Sends out, in order, every held block the syncs so far have made durable. */
static void release_synced(eng *e)
{
    eng_durability *d = &e->durability;
    pthread_mutex_lock(&d->mu);
    uint64_t synced = d->synced;
    int err = d->sync_errno;
    pthread_mutex_unlock(&d->mu);
    while (d->head && d->head->seq <= synced) {
        struct eng_held *h = d->head;
        d->head = h->next;
        if (!d->head)
            d->tail = NULL;
        eng_deliver_block(e, h->items, h->tick, h->settlement, true);
        free(h);
    }
    if (err && d->head) {
        fprintf(stderr, "conclaved: the ledger could not be made durable (fdatasync: %s); stopping without answering "
                        "the blocks that were not\n", strerror(err));
        abort();
    }
}

static void wake_cb(evutil_socket_t fd, short what, void *arg)
{
    char buf[64];
    while (read(fd, buf, sizeof buf) > 0)
        ;
    release_synced(arg);
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
    /* without a checkpointer, commits keep checkpointing on the loop as before */
    if (ledger_checkpointer_open(e->ledger, &d->checkpointer) != ST_OK)
        d->checkpointer = NULL;
    pthread_mutex_init(&d->mu, NULL);
    pthread_cond_init(&d->cv, NULL);
    if (pthread_create(&d->thread, NULL, sync_main, d) != 0) {
        pthread_cond_destroy(&d->cv);
        pthread_mutex_destroy(&d->mu);
        ledger_checkpointer_close(e->ledger, d->checkpointer);
        d->checkpointer = NULL;
        goto fail;
    }
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
    pthread_mutex_unlock(&d->mu);
    pthread_join(d->thread, NULL);
    release_synced(e); /* the thread synced everything held before it ended */
    ledger_checkpointer_close(e->ledger, d->checkpointer);
    d->checkpointer = NULL;
    event_free(d->wake_ev);
    close(d->wake[0]);
    close(d->wake[1]);
    close(d->wal_fd);
    d->wal_fd = -1;
    pthread_cond_destroy(&d->cv);
    pthread_mutex_destroy(&d->mu);
    d->on = false;
}
