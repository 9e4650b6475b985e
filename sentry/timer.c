/*
 * Timers. One sentry thread sleeps until the earliest armed timer expires
 * and sends its signal; periodic timers are re-armed (missed periods count
 * as overruns). Deadlines are kept on CLOCK_MONOTONIC; an absolute
 * CLOCK_REALTIME deadline is converted when set.
 *
 * Lock order: tm.lock, then kernel.lock (taken to send a signal).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "sentry/kernel_internal.h"
#include "sentry/timer.h"

#define NS 1000000000LL
#define ITIMER_ID (-1)
#define TIMERS_PER_PROCESS 4096

struct ktimer {
	struct thread_group *tg;    /* no reference: timers are released at exit */
	int id;                     /* POSIX timer id, or ITIMER_ID */
	clockid_t clock;
	int sig;
	bool notify;                /* SIGEV_NONE: no signal */
	union sigval value;
	int64_t deadline;           /* CLOCK_MONOTONIC ns; 0: disarmed */
	int64_t interval;
	int overrun, last_overrun;
	void (*fn)(void *arg, uint64_t count);   /* a callback timer (timerfd) instead of a signal */
	void *fn_arg;
	struct ktimer *next;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;        /* CLOCK_MONOTONIC: the earliest deadline changed */
	struct ktimer *head;
	bool started;
} tm = { .lock = PTHREAD_MUTEX_INITIALIZER };

static int64_t now_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return ts.tv_sec * NS + ts.tv_nsec;
}

static void fire_locked(struct ktimer *k, int64_t now)
{
	if (k->interval > 0) {
		int64_t late = now - k->deadline;
		int64_t missed = late / k->interval;
		k->overrun = missed > 0x7fffffff ? 0x7fffffff : (int)missed;
		k->deadline += (missed + 1) * k->interval;
	} else {
		k->overrun = 0;
		k->deadline = 0;
	}
	k->last_overrun = k->overrun;
	if (k->fn) {
		k->fn(k->fn_arg, (uint64_t)k->overrun + 1);
		return;
	}
	if (!k->notify)
		return;
	siginfo_t info;
	memset(&info, 0, sizeof(info));
	info.si_signo = k->sig;
	if (k->id == ITIMER_ID) {
		info.si_code = SI_KERNEL;
	} else {
		info.si_code = SI_TIMER;
		info.si_timerid = k->id;
		info.si_overrun = k->overrun;
		info.si_value = k->value;
	}
	pthread_mutex_lock(&kernel.lock);
	process_signal_info_locked(k->tg, k->sig, &info);
	pthread_mutex_unlock(&kernel.lock);
}

static void *timer_thread(void *arg)
{
	pthread_mutex_lock(&tm.lock);
	for (;;) {
		int64_t now = now_ns(CLOCK_MONOTONIC), next = 0;
		for (struct ktimer *k = tm.head; k; k = k->next) {
			if (k->deadline && k->deadline <= now)
				fire_locked(k, now);
			if (k->deadline && (!next || k->deadline < next))
				next = k->deadline;
		}
		if (next) {
			struct timespec ts = { next / NS, next % NS };
			pthread_cond_timedwait(&tm.cond, &tm.lock, &ts);
		} else {
			pthread_cond_wait(&tm.cond, &tm.lock);
		}
	}
	return NULL;
}

/* Start the timer thread on first use. Called with tm.lock held. */
static int start_locked(void)
{
	if (tm.started)
		return 0;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&tm.cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_t th;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	int rc = pthread_create(&th, &attr, timer_thread, NULL);
	pthread_attr_destroy(&attr);
	if (rc)
		return -rc;
	tm.started = true;
	return 0;
}

static struct ktimer *find_locked(struct thread_group *tg, int id)
{
	for (struct ktimer *k = tm.head; k; k = k->next)
		if (k->tg == tg && k->id == id)
			return k;
	return NULL;
}

static void read_locked(const struct ktimer *k, int64_t *value, int64_t *interval)
{
	int64_t left = k->deadline ? k->deadline - now_ns(CLOCK_MONOTONIC) : 0;
	/* An expired-but-not-yet-fired timer still reads as about to fire. */
	*value = k->deadline ? (left > 0 ? left : 1) : 0;
	*interval = k->interval;
}

static void arm_locked(struct ktimer *k, int flags, int64_t value, int64_t interval)
{
	k->interval = interval;
	if (!value) {
		k->deadline = 0;
	} else if (flags & TIMER_ABSTIME) {
		int64_t delta = value - now_ns(k->clock);
		k->deadline = now_ns(CLOCK_MONOTONIC) + (delta > 0 ? delta : 0);
		if (!k->deadline)
			k->deadline = 1;
	} else {
		k->deadline = now_ns(CLOCK_MONOTONIC) + value;
	}
	pthread_cond_broadcast(&tm.cond);
}

int timer_itimer_real(struct thread_group *tg, const int64_t *value_ns, const int64_t *interval_ns,
		      int64_t *old_value_ns, int64_t *old_interval_ns)
{
	pthread_mutex_lock(&tm.lock);
	int rc = 0;
	struct ktimer *k = find_locked(tg, ITIMER_ID);
	if (old_value_ns) {
		if (k)
			read_locked(k, old_value_ns, old_interval_ns);
		else
			*old_value_ns = *old_interval_ns = 0;
	}
	if (value_ns) {
		if (!k && *value_ns) {
			rc = start_locked();
			k = rc ? NULL : calloc(1, sizeof(*k));
			if (!k) {
				rc = rc ? rc : -ENOMEM;
				goto out;
			}
			*k = (struct ktimer){ .tg = tg, .id = ITIMER_ID, .clock = CLOCK_MONOTONIC,
					      .sig = SIGALRM, .notify = true, .next = tm.head };
			tm.head = k;
		}
		if (k)
			arm_locked(k, 0, *value_ns, *interval_ns);
	}
out:
	pthread_mutex_unlock(&tm.lock);
	return rc;
}

int timer_posix_create(struct thread_group *tg, clockid_t clock, int sig, bool notify,
		       union sigval value)
{
	pthread_mutex_lock(&tm.lock);
	int rc = start_locked();
	int id = 0;
	while (!rc && find_locked(tg, id))
		id++;
	if (!rc && id >= TIMERS_PER_PROCESS)
		rc = -EAGAIN;
	struct ktimer *k = rc ? NULL : calloc(1, sizeof(*k));
	if (!rc && !k)
		rc = -ENOMEM;
	if (!rc) {
		*k = (struct ktimer){ .tg = tg, .id = id, .clock = clock, .sig = sig,
				      .notify = notify, .value = value, .next = tm.head };
		tm.head = k;
	}
	pthread_mutex_unlock(&tm.lock);
	return rc ? rc : id;
}

int timer_posix_set(struct thread_group *tg, int id, int flags, int64_t value_ns,
		    int64_t interval_ns, int64_t *old_value_ns, int64_t *old_interval_ns)
{
	pthread_mutex_lock(&tm.lock);
	struct ktimer *k = id >= 0 ? find_locked(tg, id) : NULL;
	if (k) {
		if (old_value_ns)
			read_locked(k, old_value_ns, old_interval_ns);
		arm_locked(k, flags, value_ns, interval_ns);
	}
	pthread_mutex_unlock(&tm.lock);
	return k ? 0 : -EINVAL;
}

int timer_posix_get(struct thread_group *tg, int id, int64_t *value_ns, int64_t *interval_ns)
{
	pthread_mutex_lock(&tm.lock);
	struct ktimer *k = id >= 0 ? find_locked(tg, id) : NULL;
	if (k)
		read_locked(k, value_ns, interval_ns);
	pthread_mutex_unlock(&tm.lock);
	return k ? 0 : -EINVAL;
}

int timer_posix_overrun(struct thread_group *tg, int id)
{
	pthread_mutex_lock(&tm.lock);
	struct ktimer *k = id >= 0 ? find_locked(tg, id) : NULL;
	int rc = k ? k->last_overrun : -EINVAL;
	pthread_mutex_unlock(&tm.lock);
	return rc;
}

int timer_posix_delete(struct thread_group *tg, int id)
{
	pthread_mutex_lock(&tm.lock);
	int rc = -EINVAL;
	for (struct ktimer **pp = &tm.head; *pp; pp = &(*pp)->next) {
		struct ktimer *k = *pp;
		if (id >= 0 && k->tg == tg && k->id == id) {
			*pp = k->next;
			free(k);
			rc = 0;
			break;
		}
	}
	pthread_mutex_unlock(&tm.lock);
	return rc;
}

void timer_release(struct thread_group *tg, bool posix_only)
{
	pthread_mutex_lock(&tm.lock);
	for (struct ktimer **pp = &tm.head; *pp;) {
		struct ktimer *k = *pp;
		if (k->tg == tg && (!posix_only || k->id != ITIMER_ID)) {
			*pp = k->next;
			free(k);
		} else {
			pp = &k->next;
		}
	}
	pthread_mutex_unlock(&tm.lock);
}

struct ktimer *ktimer_create_cb(clockid_t clock, void (*fn)(void *arg, uint64_t count), void *arg)
{
	pthread_mutex_lock(&tm.lock);
	struct ktimer *k = start_locked() ? NULL : calloc(1, sizeof(*k));
	if (k) {
		*k = (struct ktimer){ .id = ITIMER_ID - 1, .clock = clock, .fn = fn, .fn_arg = arg,
				      .next = tm.head };
		tm.head = k;
	}
	pthread_mutex_unlock(&tm.lock);
	return k;
}

void ktimer_set(struct ktimer *k, int flags, int64_t value_ns, int64_t interval_ns,
		int64_t *old_value_ns, int64_t *old_interval_ns)
{
	pthread_mutex_lock(&tm.lock);
	if (old_value_ns)
		read_locked(k, old_value_ns, old_interval_ns);
	arm_locked(k, flags, value_ns, interval_ns);
	pthread_mutex_unlock(&tm.lock);
}

void ktimer_get(struct ktimer *k, int64_t *value_ns, int64_t *interval_ns)
{
	pthread_mutex_lock(&tm.lock);
	read_locked(k, value_ns, interval_ns);
	pthread_mutex_unlock(&tm.lock);
}

void ktimer_destroy(struct ktimer *k)
{
	pthread_mutex_lock(&tm.lock);
	for (struct ktimer **pp = &tm.head; *pp; pp = &(*pp)->next) {
		if (*pp == k) {
			*pp = k->next;
			break;
		}
	}
	pthread_mutex_unlock(&tm.lock);
	free(k);
}
