/* SPDX-License-Identifier: MIT */
/* test_verify_pool.c: the verification pool on a real libevent loop: jobs whose work takes uneven
 * time on four threads still come back in submission order, every done on the loop thread; the
 * jobs of one turn come back together, once all of them are worked; freeing the pool finishes
 * what is queued, in order; and a thread count outside 1 to 256 is refused. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include "node/verify_pool.h"

#define JOBS 400

struct run {
    struct event_base *base;
    pthread_t loop_thread;
    unsigned order[JOBS];            /* the indexes in the order their done ran */
    unsigned done;
    bool off_loop;                   /* some done ran on another thread */
    atomic_bool worked[JOBS];
    unsigned unworked_at_done;       /* jobs of the run not yet worked when some done ran */
    unsigned total;
};

struct job {
    struct run *run;
    unsigned index;
};

/* Uneven CPU work, so that later jobs often finish before earlier ones. */
static void work(void *arg)
{
    struct job *j = arg;
    volatile unsigned sink = 0;
    unsigned spins = (j->index * 7919u % 97u) * 2000u;
    for (unsigned i = 0; i < spins; i++)
        sink += i;
    atomic_store(&j->run->worked[j->index], true);
}

static void done(void *arg)
{
    struct job *j = arg;
    struct run *r = j->run;
    for (unsigned i = 0; i < r->total; i++)
        r->unworked_at_done += !atomic_load(&r->worked[i]);
    r->off_loop |= !pthread_equal(pthread_self(), r->loop_thread);
    r->order[r->done++] = j->index;
    if (r->done == r->total)
        event_base_loopbreak(r->base);
    free(j);
}

static void submit(verify_pool *p, struct run *r, unsigned index)
{
    struct job *j = malloc(sizeof *j);
    cr_assert_not_null(j, "memory");
    *j = (struct job){ .run = r, .index = index };
    cr_assert_eq(verify_pool_submit(p, work, done, j), ST_OK, "job %u queued", index);
}

static void expect_in_order(const struct run *r)
{
    cr_assert_eq(r->done, r->total, "every job came back (%u of %u)", r->done, r->total);
    for (unsigned i = 0; i < r->total; i++)
        cr_assert_eq(r->order[i], i, "job %u came back in place %u", r->order[i], i);
    cr_assert(!r->off_loop, "every done ran on the loop thread");
}

static struct run *run_new(unsigned total)
{
    struct run *r = calloc(1, sizeof *r);
    cr_assert_not_null(r, "memory");
    r->base = event_base_new();
    cr_assert_not_null(r->base, "event base");
    r->loop_thread = pthread_self();
    r->total = total;
    return r;
}

static void run_free(struct run *r)
{
    event_base_free(r->base);
    free(r);
}

/* Submits one job per loop turn, from a timer of zero delay that re-arms itself. */
struct feeder {
    verify_pool *pool;
    struct run *run;
    struct event *ev;
    unsigned next;
};

static void feed(evutil_socket_t fd, short what, void *arg)
{
    struct feeder *f = arg;
    (void)fd;
    (void)what;
    submit(f->pool, f->run, f->next++);
    if (f->next < f->run->total)
        event_active(f->ev, 0, 0);
}

Test(node_verify_pool, jobs_of_uneven_length_come_back_in_submission_order_on_the_loop, .timeout = 60)
{
    struct run *r = run_new(JOBS);
    verify_pool *p = verify_pool_new(r->base, 4);
    cr_assert_not_null(p, "pool");
    struct feeder f = { .pool = p, .run = r };
    f.ev = event_new(r->base, -1, 0, feed, &f);
    cr_assert_not_null(f.ev, "feeder");
    event_active(f.ev, 0, 0);
    cr_assert_eq(event_base_dispatch(r->base), 0, "the loop ran");
    expect_in_order(r);
    cr_assert_eq(verify_pool_pending(p), 0, "nothing pending");
    event_free(f.ev);
    verify_pool_free(p);
    run_free(r);
}

Test(node_verify_pool, the_jobs_of_one_turn_come_back_together, .timeout = 60)
{
    struct run *r = run_new(JOBS);
    verify_pool *p = verify_pool_new(r->base, 4);
    cr_assert_not_null(p, "pool");
    for (unsigned i = 0; i < JOBS; i++)
        submit(p, r, i);
    cr_assert_eq(verify_pool_pending(p), JOBS, "all pending");
    cr_assert_eq(event_base_dispatch(r->base), 0, "the loop ran");
    expect_in_order(r);
    cr_assert_eq(r->unworked_at_done, 0, "no done ran before every job of its turn was worked");
    verify_pool_free(p);
    run_free(r);
}

Test(node_verify_pool, freeing_finishes_what_is_queued_in_order)
{
    struct run *r = run_new(JOBS);
    verify_pool *p = verify_pool_new(r->base, 2);
    cr_assert_not_null(p, "pool");
    for (unsigned i = 0; i < JOBS; i++)
        submit(p, r, i);
    verify_pool_free(p); /* the loop never ran */
    expect_in_order(r);
    run_free(r);
}

Test(node_verify_pool, a_thread_count_outside_1_to_256_is_refused)
{
    struct event_base *base = event_base_new();
    cr_assert_not_null(base, "event base");
    cr_assert_null(verify_pool_new(base, 0), "no threads");
    cr_assert_null(verify_pool_new(base, VERIFY_POOL_MAX_THREADS + 1), "too many");
    cr_assert_geq(verify_pool_default_threads(), 1, "at least one by default");
    verify_pool_free(NULL);
    event_base_free(base);
}
