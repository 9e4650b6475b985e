/*
 * Signal-driven I/O: file owners and fasync lists (see sentry/fasync.h).
 * The signals follow Linux's send_sigio_to_task: with F_SETSIG a queued
 * siginfo (si_code the band's POLL_* code, si_band its poll bits, si_fd),
 * falling back to a plain SIGIO when a real-time signal cannot be queued;
 * without it SIGIO from the kernel (SI_KERNEL).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include "sentry/cred.h"
#include "sentry/fasync.h"
#include "sentry/kernel_internal.h"
#include "sentry/waitq.h"

static pthread_mutex_t fasync_lock = PTHREAD_MUTEX_INITIALIZER;

int fown_get(struct fown *o, int *type)
{
	pthread_mutex_lock(&fasync_lock);
	int id = o->id, ty = o->type;     /* never set: F_OWNER_TID 0, as Linux */
	pthread_mutex_unlock(&fasync_lock);
	if (type)
		*type = ty;
	return ty == F_OWNER_PGRP ? -id : id;
}

void fown_set(struct fown *o, int type, int id, const struct cred *cred, bool force)
{
	pthread_mutex_lock(&fasync_lock);
	if (force || !o->id) {
		o->type = type;
		o->id = id;
		o->uid = cred->uid;
		o->euid = cred->euid;
	}
	pthread_mutex_unlock(&fasync_lock);
}

int fown_get_sig(struct fown *o)
{
	pthread_mutex_lock(&fasync_lock);
	int s = o->signum;
	pthread_mutex_unlock(&fasync_lock);
	return s;
}

void fown_set_sig(struct fown *o, int sig)
{
	pthread_mutex_lock(&fasync_lock);
	o->signum = sig;
	pthread_mutex_unlock(&fasync_lock);
}

/* ---- sending ---- */

/* Linux's band_table: the poll bits si_band reports for each POLL_* code. */
static const long band_table[] = {
	POLLIN | POLLRDNORM,                    /* POLL_IN */
	POLLOUT | POLLWRNORM | POLLWRBAND,      /* POLL_OUT */
	POLLIN | POLLRDNORM | POLLMSG,          /* POLL_MSG */
	POLLERR,                                /* POLL_ERR */
	POLLPRI | POLLRDBAND,                   /* POLL_PRI */
	POLLHUP | POLLERR,                      /* POLL_HUP */
};

/* One signal to send: a copy of the owner taken under fasync_lock. */
struct sigio {
	struct fown own;
	int fd, band;
};

/* Signals whose own si_codes would make POLL_* ambiguous (sig_specific_sicodes). */
static bool sig_specific_sicodes(int sig)
{
	return sig == SIGILL || sig == SIGFPE || sig == SIGSEGV || sig == SIGBUS || sig == SIGTRAP ||
	       sig == SIGCHLD || sig == SIGPOLL || sig == SIGSYS;
}

/* Linux's sigio_perm: the owner's setter must be root or match t's real or saved uid. */
static bool sigio_perm(const struct task *t, const struct fown *o)
{
	const struct cred *c = &t->cred;
	return o->euid == 0 || o->euid == c->suid || o->euid == c->uid || o->uid == c->suid ||
	       o->uid == c->uid;
}

/* send_sigio_to_task: to t's thread alone (F_OWNER_TID) or its process. kernel.lock held. */
static void sigio_to_task_locked(struct task *t, const struct sigio *s, bool thread)
{
	if (!sigio_perm(t, &s->own))
		return;
	siginfo_t si;
	int sig = s->own.signum;
	if (sig) {
		memset(&si, 0, sizeof(si));
		si.si_signo = sig;
		si.si_code = sig != SIGPOLL && sig_specific_sicodes(sig) ? SI_SIGIO : s->band;
		si.si_band = band_table[s->band - POLL_IN];
		si.si_fd = s->fd;
		int rc = thread ? process_signal_thread_info_locked(t, sig, &si)
				: process_signal_info_locked(t->tg, sig, &si);
		if (rc == 0)
			return;
		/* The real-time queue is full: fall back on the plain SIGIO. */
	}
	memset(&si, 0, sizeof(si));
	si.si_signo = SIGIO;
	si.si_code = SI_KERNEL;
	if (thread)
		process_signal_thread_info_locked(t, SIGIO, &si);
	else
		process_signal_info_locked(t->tg, SIGIO, &si);
}

/* A walk of the task table for one signal: the processes already signalled. */
struct sigio_walk {
	const struct sigio *s;
	struct thread_group **done;
	size_t n, cap;
};

/*
 * Process-directed: once per process, through whichever of its live threads
 * comes first (its leader may have exited: Linux keeps a zombie leader in
 * the pid and group lists, so the process still gets the signal).
 */
static void sigio_process_locked(struct task *t, struct sigio_walk *w)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->done[i] == t->tg)
			return;
	if (w->n == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 8;
		struct thread_group **p = realloc(w->done, cap * sizeof(*p));
		if (!p)
			return;
		w->done = p;
		w->cap = cap;
	}
	w->done[w->n++] = t->tg;
	sigio_to_task_locked(t, w->s, false);
}

static void sigio_match_locked(struct task *t, void *arg)
{
	struct sigio_walk *w = arg;
	const struct sigio *s = w->s;
	if (t->exited || t->tg->zombie)
		return;
	switch (s->own.type) {
	case F_OWNER_TID:
		if (t->tid == s->own.id)
			sigio_to_task_locked(t, s, true);
		break;
	case F_OWNER_PGRP:
		/* Every process of the group, as Linux's PIDTYPE_PGID list. */
		if (t->tg->pgid == s->own.id)
			sigio_process_locked(t, w);
		break;
	default:
		/* A pid names a thread or a process; the whole process gets the signal. */
		if (t->tid == s->own.id || t->tg->tgid == s->own.id)
			sigio_process_locked(t, w);
		break;
	}
}

static void sigio_send(const struct sigio *s)
{
	if (!s->own.id || s->band < POLL_IN || s->band > POLL_HUP)
		return;
	struct sigio_walk w = { s, NULL, 0, 0 };
	pthread_mutex_lock(&kernel.lock);
	kernel_for_each_task_locked(sigio_match_locked, &w);
	pthread_mutex_unlock(&kernel.lock);
	free(w.done);
}

void fown_send(struct fown *o, int fd, int band)
{
	struct sigio s = { .fd = fd, .band = band };
	pthread_mutex_lock(&fasync_lock);
	s.own = *o;
	pthread_mutex_unlock(&fasync_lock);
	sigio_send(&s);
}

/* ---- fasync lists ---- */

int fasync_update(struct waitq *q, struct fown *o, int fd, uint32_t events, int change_band,
		  bool on)
{
	struct fasync_entry *fresh = on ? calloc(1, sizeof(*fresh)) : NULL;
	if (on && !fresh)
		return -ENOMEM;
	pthread_mutex_lock(&fasync_lock);
	struct fasync_entry **pp = &q->fasync;
	while (*pp && (*pp)->fown != o)
		pp = &(*pp)->next;
	struct fasync_entry *e = *pp;
	if (on) {
		if (!e) {
			e = fresh;
			fresh = NULL;
			e->fown = o;
			e->next = q->fasync;
			__atomic_store_n(&q->fasync, e, __ATOMIC_RELEASE);
		}
		e->fd = fd;
		e->events = events;
		e->change_band = change_band;
	} else if (e) {
		*pp = e->next;
		free(e);
	}
	pthread_mutex_unlock(&fasync_lock);
	free(fresh);
	return 0;
}

/* The POLL_* code a wake with events means for entry e, or 0. */
static int fasync_band(const struct fasync_entry *e, uint32_t events)
{
	if (events == ~0u)
		return e->change_band;
	uint32_t hit = events & e->events;
	if (hit & POLLHUP)
		return POLL_HUP;
	if (hit & (POLLIN | POLLRDNORM))
		return POLL_IN;
	if (hit & (POLLOUT | POLLWRNORM | POLLWRBAND))
		return POLL_OUT;
	if (hit & POLLPRI)
		return POLL_PRI;
	if (hit & POLLERR)
		return POLL_ERR;
	return 0;
}

void fasync_notify(struct waitq *q, uint32_t events)
{
	if (!__atomic_load_n(&q->fasync, __ATOMIC_ACQUIRE))
		return;
	struct sigio local[8], *v = local;
	size_t n = 0, cap = ARRAY_SIZE(local);
	pthread_mutex_lock(&fasync_lock);
	for (struct fasync_entry *e = q->fasync; e; e = e->next) {
		int band = fasync_band(e, events);
		if (!band || !e->fown->id)
			continue;
		if (n == cap) {
			/* Many owners on one object: grow (on failure the rest go unsignalled). */
			struct sigio *nv = malloc(2 * cap * sizeof(*nv));
			if (!nv)
				break;
			memcpy(nv, v, n * sizeof(*nv));
			if (v != local)
				free(v);
			v = nv;
			cap *= 2;
		}
		v[n++] = (struct sigio){ *e->fown, e->fd, band };
	}
	pthread_mutex_unlock(&fasync_lock);
	for (size_t i = 0; i < n; i++)
		sigio_send(&v[i]);
	if (v != local)
		free(v);
}

void fasync_queue_release(struct waitq *q)
{
	pthread_mutex_lock(&fasync_lock);
	struct fasync_entry *e = q->fasync;
	q->fasync = NULL;
	pthread_mutex_unlock(&fasync_lock);
	while (e) {
		struct fasync_entry *next = e->next;
		free(e);
		e = next;
	}
}
