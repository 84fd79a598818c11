/* SPDX-License-Identifier: MIT */
/* verify_pool.c: worker threads for CPU-bound work, with results handed back to the loop in
 * submission order. Jobs sit in one FIFO list under a mutex: workers claim the oldest unclaimed job,
 * run its work outside the lock and count it worked in its group. The jobs submitted during one
 * turn of the loop (one HTTP request's batch, or the calls of every connection read in that turn)
 * form a group,
 * sealed by an event that runs once the turn's callbacks have returned, and so do the jobs one done
 * callback submits (an offloaded body's calls: each request's own); the loop takes whole groups
 * from the head, once every job of the group and of all groups before it is worked, and runs their
 * done callbacks together (whole groups until about VERIFY_POOL_TURN_JOBS a turn), so what the
 * engine receives from one request lands in one block. The worker that completes the head group
 * writes the eventfd (once until the loop has drained). A gate (verify_pool_set_gate) may hold the
 * results back at a job whose done may not run yet, until verify_pool_resume. The workers run at
 * nice 19, each pinned to a CPU of its own when asked (the i-th worker to the i-th CPU the process
 * may use, around again past the last): left to it, Linux's wake-up placement put both workers of
 * a 2-CPU machine on one CPU, the second waiting there while the other CPU idled (a sched_switch
 * trace of bench_gov: ~9 % of both CPUs idle in its first votes, ~4 % pinned).
 * Workers block every signal: the loop thread keeps receiving them. */
#include "node/verify_pool.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>

#define VERIFY_NICE 19 /* the workers' nice value: they run on what the other threads leave */
/* The dones a turn of the loop runs before the rest waits for its next turn (whole groups: at
 * least one, however large), so that a backlog of verified work is handed back in slices with the
 * loop's other work (answers, reads, the block producer's steps) between them. */
#define VERIFY_POOL_TURN_JOBS 100

struct job {
    verify_pool_work_fn work;
    verify_pool_done_fn done;
    void *arg;
    struct group *group;
    struct job *next;
};

/* The jobs submitted in one turn of the loop: consecutive in the job list. */
struct group {
    unsigned jobs;                   /* how many */
    unsigned unworked;               /* of which work has not returned */
    bool sealed;                     /* the turn is over: no job joins any more */
    struct group *next;
};

struct verify_pool {
    struct event *wake_ev;           /* readable eventfd: a worked group waits at the head */
    struct event *seal_ev;           /* active while a group is open: seals it after the turn */
    int wake_fd;
    pthread_mutex_t lock;
    pthread_cond_t work_ready;
    struct job *head, *tail;         /* every queued job, oldest first */
    struct job *unclaimed;           /* the oldest job no worker has taken, or NULL */
    struct group *groups, *groups_tail; /* every group with jobs queued, oldest first */
    struct group *open;              /* the group this turn's jobs join, or NULL */
    bool wake_sent;                  /* the eventfd was written since the loop last drained */
    bool stopping;
    verify_pool_gate_fn gate;        /* verify_pool_set_gate, or NULL */
    void (*ran)(void *ctx);          /* verify_pool_set_gate, or NULL */
    void *gate_ctx;
    unsigned long pending;           /* jobs submitted whose done has not run (loop thread) */
    unsigned n_threads;
    pthread_t *threads;
    bool pinned;                     /* each worker pinned to one of cpus */
    cpu_set_t cpus;                  /* the CPUs the process may use, when pinned */
    unsigned pinned_workers;         /* under lock: workers that took their CPU */
};

unsigned verify_pool_default_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        return 1;
    return n > (long)VERIFY_POOL_MAX_THREADS ? VERIFY_POOL_MAX_THREADS : (unsigned)n;
}

static void wake_loop(verify_pool *p)
{
    uint64_t one = 1;
    ssize_t w;
    do
        w = write(p->wake_fd, &one, sizeof one);
    while (w < 0 && errno == EINTR);
    /* EAGAIN means the counter is already non-zero: the loop is woken anyway */
}

/* Whether the oldest group is sealed and every job of it worked: the loop may take it (under lock). */
static bool head_group_worked(const verify_pool *p)
{
    return p->groups && p->groups->sealed && p->groups->unworked == 0;
}

/* Pins the calling thread to the (nth modulo their count)-th CPU of cpus; a failure leaves it
 * where the kernel puts it. */
static void pin_to(const cpu_set_t *cpus, unsigned nth)
{
    unsigned count = (unsigned)CPU_COUNT(cpus), seen = 0;
    if (count == 0)
        return;
    nth %= count;
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
        if (!CPU_ISSET(cpu, cpus) || seen++ != nth)
            continue;
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(cpu, &one);
        (void)pthread_setaffinity_np(pthread_self(), sizeof one, &one);
        return;
    }
}

static void *worker_main(void *arg)
{
    verify_pool *p = arg;
    pthread_setname_np(pthread_self(), "verify"); /* for top -H and perf; a failure changes nothing */
    /* below the loop (and the durability thread, and a client on the same cores): what is verified
     * waits for the loop anyway, while the loop's blocks, syncs and answers are what the clients
     * wait for. Linux's nice is a thread's own; a failure changes nothing. */
    (void)setpriority(PRIO_PROCESS, (id_t)gettid(), VERIFY_NICE);
    pthread_mutex_lock(&p->lock);
    if (p->pinned)
        pin_to(&p->cpus, p->pinned_workers++);
    for (;;) {
        while (!p->stopping && !p->unclaimed)
            pthread_cond_wait(&p->work_ready, &p->lock);
        if (p->stopping)
            break;
        struct job *j = p->unclaimed;
        p->unclaimed = j->next;
        pthread_mutex_unlock(&p->lock);
        j->work(j->arg);
        pthread_mutex_lock(&p->lock);
        struct group *g = j->group;
        if (--g->unworked == 0 && g->sealed && g == p->groups && !p->wake_sent) {
            p->wake_sent = true;
            wake_loop(p);
        }
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

/* Seals the open group: the jobs submitted so far in this turn are complete once worked. */
static void seal_open(verify_pool *p)
{
    if (!p->open)
        return;
    pthread_mutex_lock(&p->lock);
    p->open->sealed = true;
    p->open = NULL;
    pthread_mutex_unlock(&p->lock);
}

/* Runs, oldest first, the done callbacks of the jobs of the worked groups at the head, until a
 * group is not worked yet, or the gate holds a job back, or turn_jobs have run and a group is
 * complete (the loop is then woken for the rest), and frees them. A group leaves the head
 * once its last job has run: the next group is then the head that a worker completing it wakes
 * the loop for. The jobs one done submits (an offloaded request's calls) form a group of their
 * own, so each request's calls come back as soon as they are worked rather than with those of
 * every request done in the same turn. */
static void deliver_worked(verify_pool *p, unsigned long turn_jobs)
{
    bool between_groups = true;
    for (unsigned long delivered = 0;; delivered++) {
        pthread_mutex_lock(&p->lock);
        struct job *j = p->head;
        bool held = !head_group_worked(p) || (p->gate && !p->gate(p->gate_ctx, j->done, j->arg));
        bool sliced = !held && delivered >= turn_jobs && between_groups;
        if (held || sliced) {
            /* sliced: a whole group is the unit, and the rest waits for the loop's next turn */
            p->wake_sent = sliced;
            pthread_mutex_unlock(&p->lock);
            if (sliced)
                wake_loop(p);
            if (delivered > 0 && p->ran)
                p->ran(p->gate_ctx);
            return;
        }
        p->head = j->next;
        if (!p->head)
            p->tail = NULL;
        struct group *g = j->group;
        if ((between_groups = --g->jobs == 0)) {
            p->groups = g->next;
            if (!p->groups)
                p->groups_tail = NULL;
            free(g);
        }
        pthread_mutex_unlock(&p->lock);
        j->done(j->arg);
        seal_open(p);
        free(j);
        p->pending--;
    }
}

/* The turn that opened a group is over: the group is complete once its jobs are worked. A group
 * sealed by a done may already be worked: no worker wakes the loop for it, so it is taken here. */
static void on_seal(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    seal_open(arg);
    deliver_worked(arg, VERIFY_POOL_TURN_JOBS);
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
    verify_pool *p = arg;
    uint64_t count;
    (void)what;
    if (read(fd, &count, sizeof count) < 0 && errno != EAGAIN)
        return;
    deliver_worked(p, VERIFY_POOL_TURN_JOBS);
}

/* Stops and joins the first started threads. */
static void stop_threads(verify_pool *p, unsigned started)
{
    pthread_mutex_lock(&p->lock);
    p->stopping = true;
    pthread_cond_broadcast(&p->work_ready);
    pthread_mutex_unlock(&p->lock);
    for (unsigned i = 0; i < started; i++)
        pthread_join(p->threads[i], NULL);
}

verify_pool *verify_pool_new(struct event_base *base, unsigned threads, bool pinned)
{
    if (threads < 1 || threads > VERIFY_POOL_MAX_THREADS)
        return NULL;
    verify_pool *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->wake_fd = -1;
    p->n_threads = threads;
    p->pinned = pinned && sched_getaffinity(0, sizeof p->cpus, &p->cpus) == 0;
    unsigned started = 0;
    sigset_t all, old;
    bool locks = false;
    if (!(p->threads = calloc(threads, sizeof *p->threads)))
        goto fail;
    if (pthread_mutex_init(&p->lock, NULL) != 0)
        goto fail;
    if (pthread_cond_init(&p->work_ready, NULL) != 0) {
        pthread_mutex_destroy(&p->lock);
        goto fail;
    }
    locks = true;
    if ((p->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0)
        goto fail;
    if (!(p->wake_ev = event_new(base, p->wake_fd, EV_READ | EV_PERSIST, on_wake, p))
        || event_add(p->wake_ev, NULL) != 0 || !(p->seal_ev = event_new(base, -1, 0, on_seal, p)))
        goto fail;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    while (started < threads && pthread_create(&p->threads[started], NULL, worker_main, p) == 0)
        started++;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (started == threads)
        return p;
fail:
    if (locks) {
        stop_threads(p, started);
        pthread_cond_destroy(&p->work_ready);
        pthread_mutex_destroy(&p->lock);
    }
    if (p->wake_ev)
        event_free(p->wake_ev);
    if (p->seal_ev)
        event_free(p->seal_ev);
    if (p->wake_fd >= 0)
        close(p->wake_fd);
    free(p->threads);
    free(p);
    return NULL;
}

int verify_pool_submit(verify_pool *p, verify_pool_work_fn work, verify_pool_done_fn done, void *arg)
{
    struct job *j = calloc(1, sizeof *j);
    struct group *g = p->open ? NULL : calloc(1, sizeof *g);
    if (!j || (!p->open && !g)) {
        free(j);
        free(g);
        return ST_NOMEM;
    }
    pthread_mutex_lock(&p->lock);
    if (g) {
        if (p->groups_tail)
            p->groups_tail->next = g;
        else
            p->groups = g;
        p->groups_tail = g;
        p->open = g;
        event_active(p->seal_ev, 0, 0);
    }
    *j = (struct job){ .work = work, .done = done, .arg = arg, .group = p->open };
    p->open->jobs++;
    p->open->unworked++;
    if (p->tail)
        p->tail->next = j;
    else
        p->head = j;
    p->tail = j;
    if (!p->unclaimed)
        p->unclaimed = j;
    pthread_cond_signal(&p->work_ready);
    pthread_mutex_unlock(&p->lock);
    p->pending++;
    return ST_OK;
}

void verify_pool_set_gate(verify_pool *p, verify_pool_gate_fn gate, void (*ran)(void *ctx), void *ctx)
{
    pthread_mutex_lock(&p->lock);
    p->gate = gate;
    p->ran = ran;
    p->gate_ctx = ctx;
    pthread_mutex_unlock(&p->lock);
}

void verify_pool_resume(verify_pool *p)
{
    pthread_mutex_lock(&p->lock);
    bool ready = head_group_worked(p) && !p->wake_sent;
    if (ready)
        p->wake_sent = true;
    pthread_mutex_unlock(&p->lock);
    if (ready)
        wake_loop(p);
}

unsigned long verify_pool_pending(const verify_pool *p)
{
    return p->pending;
}

void verify_pool_free(verify_pool *p)
{
    if (!p)
        return;
    stop_threads(p, p->n_threads);
    /* the threads are gone: what they did not claim is worked here, and all is delivered in order */
    for (struct job *j = p->unclaimed; j; j = j->next) {
        j->work(j->arg);
        j->group->unworked--;
    }
    for (struct group *g = p->groups; g; g = g->next)
        g->sealed = true;
    p->gate = NULL;
    p->ran = NULL;
    deliver_worked(p, ULONG_MAX);
    event_free(p->wake_ev);
    event_free(p->seal_ev);
    close(p->wake_fd);
    pthread_cond_destroy(&p->work_ready);
    pthread_mutex_destroy(&p->lock);
    free(p->threads);
    free(p);
}
