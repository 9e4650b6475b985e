/*
 * Wait queues (see sentry/waitq.h for the protocol and the lock order).
 */
#include <errno.h>
#include <stdlib.h>
#include "sentry/fasync.h"
#include "sentry/signal.h"
#include "sentry/task.h"
#include "sentry/waitq.h"

/* The waiter this thread sleeps in (for waiter_current). */
static __thread struct waiter *current_waiter;

void waitq_init(struct waitq *q)
{
	pthread_mutex_init(&q->lock, NULL);
	q->head.qnext = q->head.qprev = &q->head;
	q->fasync = NULL;
}

void waitq_destroy(struct waitq *q)
{
	/* Every waiter holds a reference on the object it waits on: none left. */
	if (q->head.qnext != &q->head)
		abort();
	fasync_queue_release(q);
	pthread_mutex_destroy(&q->lock);
}

static void waiter_fire(struct waiter *w, uint32_t events)
{
	pthread_mutex_lock(&w->mutex);
	w->fired = true;
	w->revents |= events;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->mutex);
	/* Lock order: the waking queue, then the relay's (epoll nesting is loop-free). */
	if (w->relay)
		waitq_wake(w->relay, ~0u);
}

void waitq_wake(struct waitq *q, uint32_t events)
{
	pthread_mutex_lock(&q->lock);
	for (struct waitq_entry *e = q->head.qnext; e != &q->head; e = e->qnext)
		if (e->events & events)
			waiter_fire(e->w, events & e->events);
	pthread_mutex_unlock(&q->lock);
	fasync_notify(q, events);
}

bool waitq_active(struct waitq *q)
{
	pthread_mutex_lock(&q->lock);
	bool active = q->head.qnext != &q->head;
	pthread_mutex_unlock(&q->lock);
	return active;
}

void waiter_init(struct waiter *w)
{
	pthread_mutex_init(&w->mutex, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cond, &ca);
	pthread_condattr_destroy(&ca);
	w->fired = false;
	w->interrupted = false;
	w->revents = 0;
	w->relay = NULL;
	w->entries = NULL;
}

void waiter_destroy(struct waiter *w)
{
	waiter_remove_all(w);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->mutex);
}

int waiter_add(struct waiter *w, struct waitq *q, uint32_t events)
{
	struct waitq_entry *e = malloc(sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->q = q;
	e->w = w;
	e->events = events;
	e->wnext = w->entries;
	w->entries = e;
	pthread_mutex_lock(&q->lock);
	e->qnext = &q->head;
	e->qprev = q->head.qprev;
	q->head.qprev->qnext = e;
	q->head.qprev = e;
	pthread_mutex_unlock(&q->lock);
	return 0;
}

void waiter_remove_all(struct waiter *w)
{
	struct waitq_entry *e = w->entries;
	while (e) {
		struct waitq_entry *next = e->wnext;
		pthread_mutex_lock(&e->q->lock);
		e->qprev->qnext = e->qnext;
		e->qnext->qprev = e->qprev;
		pthread_mutex_unlock(&e->q->lock);
		free(e);
		e = next;
	}
	w->entries = NULL;
}

int waitq_block_step(struct waitq *q, struct waiter *w, bool *waiting, bool nonblock,
		     uint32_t events)
{
	if (nonblock)
		return -EAGAIN;
	if (!*waiting) {
		waiter_init(w);
		*waiting = true;
		return waiter_add(w, q, events);
	}
	return waiter_wait(w, NULL) == -EINTR ? -ERESTARTSYS : 0;
}

void waiter_reset(struct waiter *w)
{
	pthread_mutex_lock(&w->mutex);
	w->fired = false;
	w->revents = 0;
	pthread_mutex_unlock(&w->mutex);
}

/* Let task_wake_locked (signals, group exit) reach w; NULL w unregisters. */
static void task_register_wait(struct task *t, struct waiter *w)
{
	pthread_mutex_lock(&t->sleep_lock);
	t->wait_cond = w ? &w->cond : NULL;
	t->wait_mutex = w ? &w->mutex : NULL;
	pthread_mutex_unlock(&t->sleep_lock);
}

int waiter_wait(struct waiter *w, const struct timespec *deadline)
{
	struct task *t = task_current();
	/* waitq_deadline_after saturates: so far away is no deadline at all. */
	if (deadline && deadline->tv_sec >= INT64_MAX / 2)
		deadline = NULL;
	if (t)
		task_register_wait(t, w);
	current_waiter = w;
	int rc = 0;
	pthread_mutex_lock(&w->mutex);
	while (!w->fired) {
		/* Checked under w->mutex: a waker sets its flag, then takes the mutex. */
		if (w->interrupted || (t && signal_pending(t))) {
			rc = -EINTR;
			break;
		}
		int e = deadline ? pthread_cond_timedwait(&w->cond, &w->mutex, deadline)
				 : pthread_cond_wait(&w->cond, &w->mutex);
		if (e == ETIMEDOUT && !w->fired) {
			rc = -ETIMEDOUT;
			break;
		}
	}
	pthread_mutex_unlock(&w->mutex);
	current_waiter = NULL;
	if (t)
		task_register_wait(t, NULL);
	return rc;
}

void waitq_interrupt(struct waiter *w)
{
	pthread_mutex_lock(&w->mutex);
	w->interrupted = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->mutex);
}

struct waiter *waiter_current(void)
{
	return current_waiter;
}

struct timespec waitq_deadline_after(uint64_t ns)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t sec = ns / 1000000000ULL;
	ts.tv_nsec += (long)(ns % 1000000000ULL);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_nsec -= 1000000000L;
		sec++;
	}
	/* Saturate: a huge timeout is forever for practical purposes. */
	if (sec > (uint64_t)INT64_MAX - (uint64_t)ts.tv_sec)
		ts.tv_sec = INT64_MAX;
	else
		ts.tv_sec += (time_t)sec;
	return ts;
}
