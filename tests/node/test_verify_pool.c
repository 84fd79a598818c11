/* SPDX-License-Identifier: MIT */
/* test_verify_pool.c: the verification pool on a real libevent loop: jobs whose work takes uneven
 * time on four threads still come back in submission order, every done on the loop thread; the
 * jobs of one turn come back together, once all of them are worked; freeing the pool finishes
 * what is queued, in order (whatever a gate holds back); a thread count outside 1 to 256 is
 * refused; a gate holds back the job it refuses and every later one until verify_pool_resume; and
 * the jobs one done submits come back as a group of their own; a turn hands back about 100
 * results, whole groups, and wakes the loop again for the rest; pinned workers each run on one CPU
 * the process may use, two workers on two CPUs, and unpinned ones on all of them. */
#define _GNU_SOURCE /* pthread_getaffinity_np, sched_getaffinity, CPU_COUNT */
#include <criterion/criterion.h>
#include <pthread.h>
#include <sched.h>
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
    unsigned unworked_self;          /* dones that ran before their own job's work had returned */
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
    r->unworked_self += !atomic_load(&r->worked[j->index]);
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
    verify_pool *p = verify_pool_new(r->base, 4, false);
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
    verify_pool *p = verify_pool_new(r->base, 4, false);
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

Test(node_verify_pool, a_thread_count_outside_1_to_256_is_refused)
{
    struct event_base *base = event_base_new();
    cr_assert_not_null(base, "event base");
    cr_assert_null(verify_pool_new(base, 0, false), "no threads");
    cr_assert_null(verify_pool_new(base, VERIFY_POOL_MAX_THREADS + 1, false), "too many");
    cr_assert_geq(verify_pool_default_threads(), 1, "at least one by default");
    verify_pool_free(NULL);
    event_base_free(base);
}

/* Work that waits until the run's gate opens. */
static atomic_bool gate_open;

static void gated_work(void *arg)
{
    while (!atomic_load(&gate_open))
        sched_yield();
    work(arg);
}

/* A gate (verify_pool_set_gate) that lets through the jobs below gate_below. */
static unsigned gate_below;
static unsigned gate_asked;

static unsigned turns_ran;

static void count_ran(void *ctx)
{
    (void)ctx;
    turns_ran++;
}

static bool below_gate(void *ctx, verify_pool_done_fn fn, void *arg)
{
    (void)ctx;
    (void)fn;
    gate_asked++;
    return ((struct job *)arg)->index < gate_below;
}

Test(node_verify_pool, freeing_finishes_what_is_queued_in_order_whatever_a_gate_holds_back)
{
    struct run *r = run_new(JOBS);
    verify_pool *p = verify_pool_new(r->base, 2, false);
    cr_assert_not_null(p, "pool");
    gate_below = 0;
    verify_pool_set_gate(p, below_gate, count_ran, NULL);
    for (unsigned i = 0; i < JOBS; i++)
        submit(p, r, i);
    verify_pool_free(p); /* the loop never ran */
    expect_in_order(r);
    run_free(r);
}

Test(node_verify_pool, a_gate_holds_back_a_job_and_every_later_one_until_resumed, .timeout = 60)
{
    enum { N = 40 };
    struct run *r = run_new(N);
    verify_pool *p = verify_pool_new(r->base, 4, false);
    cr_assert_not_null(p, "pool");
    gate_below = N / 2;
    gate_asked = 0;
    turns_ran = 0;
    verify_pool_set_gate(p, below_gate, count_ran, NULL);
    for (unsigned i = 0; i < N; i++)
        submit(p, r, i);
    while (r->done < N / 2)
        cr_assert_eq(event_base_loop(r->base, EVLOOP_ONCE), 0, "a turn");
    cr_assert_eq(r->done, N / 2, "the jobs below the gate came back");
    cr_assert_geq(turns_ran, 1, "ran was told after the turns that ran dones");
    unsigned ran_before = turns_ran;
    for (unsigned i = 0; i < N; i++)
        while (!atomic_load(&r->worked[i]))
            sched_yield();
    unsigned asked = gate_asked;
    cr_assert_eq(event_base_loop(r->base, EVLOOP_NONBLOCK), 0, "a turn");
    cr_assert_eq(r->done, N / 2, "every job is worked, and the rest still waits");
    cr_assert_eq(verify_pool_pending(p), N / 2, "pending: the held jobs");
    gate_below = N;
    cr_assert_eq(event_base_loop(r->base, EVLOOP_NONBLOCK), 0, "a turn");
    cr_assert_eq(r->done, N / 2, "an open gate is not enough: nothing woke the loop");
    cr_assert_eq(gate_asked, asked, "nor was the gate asked again");
    cr_assert_eq(turns_ran, ran_before, "turns that ran no done tell nobody");
    verify_pool_resume(p);
    cr_assert_eq(event_base_dispatch(r->base), 0, "resumed: the loop hands back the rest");
    expect_in_order(r);
    cr_assert_eq(r->unworked_self, 0, "each done ran after its own work");
    cr_assert_eq(verify_pool_pending(p), 0, "nothing pending");
    verify_pool_free(p);
    run_free(r);
}


Test(node_verify_pool, a_backlog_comes_back_in_slices_of_whole_groups_a_turn, .timeout = 60)
{
    enum { GROUP = 60, GROUPS = 3 };
    struct run *r = run_new(GROUP * GROUPS);
    verify_pool *p = verify_pool_new(r->base, 2, false);
    cr_assert_not_null(p, "pool");
    atomic_store(&gate_open, false);
    for (unsigned g = 0; g < GROUPS; g++) {
        for (unsigned i = 0; i < GROUP; i++) {
            struct job *j = malloc(sizeof *j);
            cr_assert_not_null(j, "memory");
            *j = (struct job){ .run = r, .index = g * GROUP + i };
            cr_assert_eq(verify_pool_submit(p, gated_work, done, j), ST_OK, "job queued");
        }
        cr_assert_eq(event_base_loop(r->base, EVLOOP_NONBLOCK), 0, "a turn: the group is sealed");
    }
    atomic_store(&gate_open, true);
    for (unsigned i = 0; i < GROUP * GROUPS; i++)
        while (!atomic_load(&r->worked[i]))
            sched_yield();
    cr_assert_eq(event_base_loop(r->base, EVLOOP_ONCE), 0, "a turn");
    cr_assert_eq(r->done, 2 * GROUP, "the first turn: whole groups until 100 came back (%u)", r->done);
    cr_assert_eq(event_base_loop(r->base, EVLOOP_ONCE), 0, "a turn");
    expect_in_order(r);
    verify_pool_free(p);
    run_free(r);
}

/* Jobs 0 and 1 are submitted in one turn; 0's done submits job 2, 1's done job 3, whose work waits
 * for the gate that job 2's done opens: 2 must come back without waiting for 3. */
static verify_pool *chain_pool;

static void chain_submit(verify_pool *p, struct run *r, unsigned index, verify_pool_work_fn fn);

static void chain_done(void *arg)
{
    struct job *j = arg;
    struct run *r = j->run;
    unsigned index = j->index;
    done(arg);
    if (index == 0)
        chain_submit(chain_pool, r, 2, work);
    else if (index == 1)
        chain_submit(chain_pool, r, 3, gated_work);
    else if (index == 2)
        atomic_store(&gate_open, true);
}

static void chain_submit(verify_pool *p, struct run *r, unsigned index, verify_pool_work_fn fn)
{
    struct job *j = malloc(sizeof *j);
    cr_assert_not_null(j, "memory");
    *j = (struct job){ .run = r, .index = index };
    cr_assert_eq(verify_pool_submit(p, fn, chain_done, j), ST_OK, "job %u queued", index);
}

Test(node_verify_pool, the_jobs_a_done_submits_come_back_as_a_group_of_their_own, .timeout = 20)
{
    struct run *r = run_new(4);
    chain_pool = verify_pool_new(r->base, 2, false);
    cr_assert_not_null(chain_pool, "pool");
    atomic_store(&gate_open, false);
    chain_submit(chain_pool, r, 0, work);
    chain_submit(chain_pool, r, 1, work);
    cr_assert_eq(event_base_dispatch(r->base), 0, "the loop ran");
    cr_assert_eq(r->done, 4, "all four came back (job 2 did not wait for job 3)");
    cr_assert(r->order[2] == 2 && r->order[3] == 3, "in order");
    verify_pool_free(chain_pool);
    run_free(r);
}

/* Two jobs that wait for each other at a barrier, so that each of a pool's two workers runs one,
 * and note the CPUs their worker may run on. */
struct placed {
    pthread_barrier_t *both;
    cpu_set_t cpus;
    bool noted;
    unsigned *dones;
    struct event_base *base;
};

static void note_cpus(void *arg)
{
    struct placed *pl = arg;
    pthread_barrier_wait(pl->both);
    pl->noted = pthread_getaffinity_np(pthread_self(), sizeof pl->cpus, &pl->cpus) == 0;
}

static void placed_done(void *arg)
{
    struct placed *pl = arg;
    if (++*pl->dones == 2)
        event_base_loopbreak(pl->base);
}

/* Runs the two jobs on a pool of two workers, pinned or not; out: the CPUs each worker may use. */
static void place_two(bool pinned, struct placed pl[2])
{
    struct event_base *base = event_base_new();
    cr_assert_not_null(base, "event base");
    pthread_barrier_t both;
    cr_assert_eq(pthread_barrier_init(&both, NULL, 2), 0, "barrier");
    unsigned dones = 0;
    verify_pool *p = verify_pool_new(base, 2, pinned);
    cr_assert_not_null(p, "pool");
    for (int i = 0; i < 2; i++) {
        pl[i] = (struct placed){ .both = &both, .dones = &dones, .base = base };
        cr_assert_eq(verify_pool_submit(p, note_cpus, placed_done, &pl[i]), ST_OK, "job %d", i);
    }
    event_base_dispatch(base);
    verify_pool_free(p);
    pthread_barrier_destroy(&both);
    event_base_free(base);
    cr_assert(pl[0].noted && pl[1].noted, "each worker noted its CPUs");
}

Test(node_verify_pool, pinned_workers_each_run_on_one_cpu_of_their_own, .timeout = 30)
{
    cpu_set_t allowed;
    cr_assert_eq(sched_getaffinity(0, sizeof allowed, &allowed), 0, "the process's CPUs");
    struct placed pl[2];
    place_two(true, pl);
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(CPU_COUNT(&pl[i].cpus), 1, "worker %d pinned to one CPU", i);
        cpu_set_t within;
        CPU_AND(&within, &pl[i].cpus, &allowed);
        cr_assert_eq(CPU_COUNT(&within), 1, "worker %d on a CPU the process may use", i);
    }
    if (CPU_COUNT(&allowed) >= 2)
        cr_assert(!CPU_EQUAL(&pl[0].cpus, &pl[1].cpus), "the two workers on two CPUs");
    place_two(false, pl);
    for (int i = 0; i < 2; i++)
        cr_assert(CPU_EQUAL(&pl[i].cpus, &allowed), "unpinned, worker %d may use every CPU the process may", i);
}
