/*
 * Wait queues: how a sentry thread sleeps until an object (a pipe, a host
 * fd, ...) changes state, possibly on several objects at once (poll,
 * select) and with a deadline.
 *
 * An object owns a `struct waitq`. A sleeping thread owns a `struct waiter`
 * (usually on its stack) and links it onto one or more queues with
 * waiter_add(); each link records the events it cares about. The object
 * calls waitq_wake(q, events) after its state changed; every waiter linked
 * with a matching event is marked "fired" and its condition signalled.
 * The sleeper then re-checks the objects itself: a wake says "look again",
 * never "it is ready" (spurious wakes are allowed).
 *
 * The no-lost-wakeup protocol, for a caller that waits on condition C of
 * object O (C protected by O's lock):
 *     waiter_init(&w); waiter_add(&w, &O->wq, events);
 *     for (;;) {
 *             waiter_reset(&w);        // before looking at C
 *             lock O; if (C) break; unlock O;
 *             rc = waiter_wait(&w, deadline);   // returns at once if fired
 *             if (rc) break;                    // -ETIMEDOUT / -EINTR
 *     }
 *     waiter_destroy(&w);              // unlinks from every queue
 * The object changes C under its lock and calls waitq_wake (with or
 * without its lock held).
 *
 * Signals: waiter_wait, called on a task's sentry thread, registers the
 * waiter's condition as the task's wait_cond, so task_wake_locked (signal
 * delivery, group exit) wakes it, and it returns -EINTR once
 * signal_pending(t) is true. waitq_interrupt() does the same for any
 * sentry-internal reason.
 *
 * Lock order (outer first):
 *   kernel.lock -> task.sleep_lock -> waiter.mutex      (task_wake_locked)
 *   object lock (pipe.lock, ...) -> waitq.lock -> waiter.mutex
 * waiter.mutex is a leaf; waitq.lock is taken under object locks only, never
 * the other way round. No lock is held while waiter_wait sleeps except the
 * waiter's own mutex (inside the condition wait).
 */
#ifndef SENTRY_WAITQ_H
#define SENTRY_WAITQ_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>
#include "sentry/types.h"

struct waiter;
struct fasync_entry;

/* One link between a waiter and a queue. Private to waitq.c. */
struct waitq_entry {
	struct waitq_entry *qnext, *qprev;   /* in the queue (waitq.lock) */
	struct waitq_entry *wnext;           /* in the waiter's list (owner only) */
	struct waitq *q;
	struct waiter *w;
	uint32_t events;                     /* wake only for these (POLL* bits) */
};

/*
 * A queue of waiters on one object. `lock` protects the list. `fasync`
 * lists the files with O_ASYNC on the object (sentry/fasync.h), whose
 * owners every wake also signals; it is under fasync_lock, not `lock`.
 */
struct waitq {
	pthread_mutex_t lock;
	struct waitq_entry head;             /* circular list sentinel */
	struct fasync_entry *fasync;
};

/*
 * A sleeping thread. Owned by exactly one thread; the queues it is linked
 * on only touch `fired`/`revents` (under `mutex`).
 */
struct waiter {
	pthread_mutex_t mutex;               /* leaf: protects the three fields below */
	pthread_cond_t cond;                 /* CLOCK_MONOTONIC */
	bool fired;                          /* a queue woke us since waiter_reset */
	bool interrupted;                    /* waitq_interrupt: sticky */
	uint32_t revents;                    /* events of the wakes since waiter_reset */
	struct waitq_entry *entries;         /* links, owner thread only */
	/*
	 * Optional relay, called on every wake of this waiter (with the waking
	 * queue's lock held): an epoll item wakes its epoll's own queue, so an
	 * epoll inside poll or another epoll sees activity of its items.
	 */
	struct waitq *relay;
};

/*
 * One turn of a blocking file read/write loop that found nothing to do
 * yet: -EAGAIN if nonblock; the first time, initialise w, link it on q for
 * events and return 0 (look once more before sleeping, so no wake is
 * lost); later, sleep until woken (0: look again) or interrupted by a
 * signal (-ERESTARTSYS). The caller calls waiter_reset(w) at the top of
 * each turn once *waiting, and waiter_destroy(w) at the end if *waiting.
 */
int waitq_block_step(struct waitq *q, struct waiter *w, bool *waiting, bool nonblock,
		     uint32_t events);

/* Initialise / tear down a queue. waitq_destroy requires an empty queue. */
void waitq_init(struct waitq *q);
void waitq_destroy(struct waitq *q);

/*
 * Wake every waiter linked on q for any of `events` (POLL* bits), then
 * signal the owners of q's O_ASYNC files (fasync_notify, after dropping
 * q's lock: never call it with kernel.lock held on a queue that may have
 * such files).
 */
void waitq_wake(struct waitq *q, uint32_t events);

/* True if any waiter is linked on q (for objects that skip needless wakes). */
bool waitq_active(struct waitq *q);

void waiter_init(struct waiter *w);
/* waiter_remove_all, then free the waiter's resources. */
void waiter_destroy(struct waiter *w);

/* Link w onto q for `events`; 0 or -ENOMEM. */
int waiter_add(struct waiter *w, struct waitq *q, uint32_t events);

/* Unlink w from every queue it is on. */
void waiter_remove_all(struct waiter *w);

/* Forget earlier wakes (call before re-checking the objects). */
void waiter_reset(struct waiter *w);

/*
 * Sleep until a queue wakes w (0), the absolute CLOCK_MONOTONIC deadline
 * passes (-ETIMEDOUT; NULL: no deadline), or the calling task has a signal
 * to act on / w was interrupted (-EINTR). Returns 0 at once if w already
 * fired since the last waiter_reset.
 */
int waiter_wait(struct waiter *w, const struct timespec *deadline);

/*
 * Make w's current or next waiter_wait return -EINTR (sticky until
 * waiter_destroy). The caller must know w is alive: use it from w's own
 * thread, or under a lock that w's owner takes before destroying it.
 */
void waitq_interrupt(struct waiter *w);

/* The waiter the calling thread sleeps in right now, or NULL. */
struct waiter *waiter_current(void);

/* now(CLOCK_MONOTONIC) + ns, for deadlines. */
struct timespec waitq_deadline_after(uint64_t ns);

#endif
