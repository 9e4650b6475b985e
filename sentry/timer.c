/*
 * Timers. One sentry thread sleeps until the earliest armed timer expires
 * and sends its signal; periodic timers are re-armed (missed periods count
 * as overruns). Deadlines are kept on CLOCK_MONOTONIC; an absolute
 * CLOCK_REALTIME deadline is converted when set.
 *
 * CPU-time timers (ITIMER_VIRTUAL, ITIMER_PROF, POSIX timers on CPU
 * clocks) keep their deadline on their CPU clock (sentry/rusage.c); while
 * one is armed the thread samples the clocks every CPU_POLL_NS.
 *
 * Lock order: tm.lock, then kernel.lock (taken to send a signal or read a
 * CPU clock).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include "sentry/kernel_internal.h"
#include "sentry/rusage.h"
#include "sentry/timer.h"

#define NS 1000000000LL
#define ITIMER_ID (-1)           /* ITIMER_REAL */
#define CALLBACK_ID (-2)         /* timerfd */
#define ITIMER_VIRT_ID (-3)
#define ITIMER_PROF_ID (-4)
#define TIMERS_PER_PROCESS 4096
#define CPU_POLL_NS 4000000LL    /* CPU clocks are sampled this often (Linux's 250 Hz tick) */

struct ktimer {
	struct thread_group *tg;    /* no reference: timers are released at exit */
	int id;                     /* POSIX timer id (>= 0), or one of the *_ID above */
	clockid_t clock;
	bool cpu;                   /* on the CPU clock cc: deadline is that clock's ns */
	struct cpu_clock cc;
	int sig;
	bool notify;                /* SIGEV_NONE: no signal */
	union sigval value;
	int64_t deadline;           /* CLOCK_MONOTONIC (or CPU clock) ns; 0: disarmed */
	int64_t interval;
	int overrun;                /* expirations folded into the queued signal */
	int last_overrun;           /* overrun of the last delivered signal */
	bool queued;                /* our siginfo was queued and may not be delivered yet */
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

/*
 * The siginfo of k's signal if it is still queued on its process (sent by
 * k and not delivered yet), else NULL. Caller holds kernel.lock.
 */
static siginfo_t *queued_info_locked(struct ktimer *k)
{
	struct thread_group *tg = k->tg;
	uint64_t bit = 1ULL << (k->sig - 1);
	if (!(__atomic_load_n(&tg->pending, __ATOMIC_ACQUIRE) & bit))
		return NULL;
	siginfo_t *info = &tg->pending_info[k->sig - 1];
	if (info->si_code != SI_TIMER || info->si_timerid != k->id)
		return NULL;
	return info;
}

/*
 * Overruns, as Linux: while a POSIX timer's signal is queued, further
 * expirations only add to the queued siginfo's si_overrun; once it is
 * delivered that count is what timer_getoverrun reports. Delivery is
 * noticed lazily here. Caller holds tm.lock and kernel.lock.
 */
static void overrun_sync_locked(struct ktimer *k)
{
	if (k->queued && !queued_info_locked(k)) {
		k->queued = false;
		k->last_overrun = k->overrun;
		k->overrun = 0;
	}
}

static int clamp_overrun(int64_t n)
{
	return n > 0x7fffffff ? 0x7fffffff : (int)n;
}

static void fire_locked(struct ktimer *k, int64_t now)
{
	int64_t missed = 0;
	if (k->interval > 0) {
		missed = (now - k->deadline) / k->interval;
		k->deadline += (missed + 1) * k->interval;
	} else {
		k->deadline = 0;
	}
	if (k->fn) {
		k->fn(k->fn_arg, (uint64_t)missed + 1);
		return;
	}
	if (!k->notify)
		return;
	siginfo_t info;
	memset(&info, 0, sizeof(info));
	info.si_signo = k->sig;
	pthread_mutex_lock(&kernel.lock);
	if (k->id < 0) {
		info.si_code = SI_KERNEL;   /* setitimer's timers, as Linux's SEND_SIG_PRIV */
		process_signal_info_locked(k->tg, k->sig, &info);
		pthread_mutex_unlock(&kernel.lock);
		return;
	}
	overrun_sync_locked(k);
	siginfo_t *queued = k->queued ? queued_info_locked(k) : NULL;
	if (queued) {
		k->overrun = clamp_overrun((int64_t)k->overrun + missed + 1);
		queued->si_overrun = k->overrun;
	} else {
		k->overrun = clamp_overrun(missed);
		info.si_code = SI_TIMER;
		info.si_timerid = k->id;
		info.si_overrun = k->overrun;
		info.si_value = k->value;
		process_signal_info_locked(k->tg, k->sig, &info);
		k->queued = queued_info_locked(k) != NULL;
		if (!k->queued) {
			/* Discarded (ignored) or merged into another sender's signal. */
			k->last_overrun = k->overrun;
			k->overrun = 0;
		}
	}
	pthread_mutex_unlock(&kernel.lock);
}

/* A timer's clock now: CLOCK_MONOTONIC, or its CPU clock (-1 if its target is gone). */
static int64_t clock_now(const struct ktimer *k)
{
	if (!k->cpu)
		return now_ns(CLOCK_MONOTONIC);
	uint64_t ns;
	if (cpu_clock_read(&k->cc, &ns))
		return -1;
	return (int64_t)ns;
}

static void *timer_thread(void *arg)
{
	pthread_mutex_lock(&tm.lock);
	for (;;) {
		int64_t now = now_ns(CLOCK_MONOTONIC), next = 0;
		bool poll = false;
		for (struct ktimer *k = tm.head; k; k = k->next) {
			if (k->cpu) {
				if (!k->deadline)
					continue;
				poll = true;
				int64_t c = clock_now(k);
				if (c >= 0 && c >= k->deadline)
					fire_locked(k, c);
				continue;
			}
			if (k->deadline && k->deadline <= now)
				fire_locked(k, now);
			if (k->deadline && (!next || k->deadline < next))
				next = k->deadline;
		}
		if (poll && (!next || next > now + CPU_POLL_NS))
			next = now + CPU_POLL_NS;
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
	int64_t left = 0;
	if (k->deadline) {
		int64_t now = clock_now(k);
		left = now < 0 ? 0 : k->deadline - now;
	}
	/* An expired-but-not-yet-fired timer still reads as about to fire. */
	*value = k->deadline ? (left > 0 ? left : 1) : 0;
	*interval = k->interval;
}

static void arm_locked(struct ktimer *k, int flags, int64_t value, int64_t interval)
{
	k->interval = interval;
	if (!value) {
		k->deadline = 0;
	} else if (k->cpu) {
		int64_t now = clock_now(k);
		k->deadline = (flags & TIMER_ABSTIME) ? value : (now < 0 ? 0 : now) + value;
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

int timer_itimer(struct thread_group *tg, int which, const int64_t *value_ns,
		 const int64_t *interval_ns, int64_t *old_value_ns, int64_t *old_interval_ns)
{
	static const struct { int id, sig, kind; } kinds[] = {
		[ITIMER_REAL] = { ITIMER_ID, SIGALRM, -1 },
		[ITIMER_VIRTUAL] = { ITIMER_VIRT_ID, SIGVTALRM, CPUCLOCK_VIRT },
		[ITIMER_PROF] = { ITIMER_PROF_ID, SIGPROF, CPUCLOCK_PROF },
	};
	if (which < 0 || which > ITIMER_PROF)
		return -EINVAL;
	pthread_mutex_lock(&tm.lock);
	int rc = 0;
	struct ktimer *k = find_locked(tg, kinds[which].id);
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
			*k = (struct ktimer){ .tg = tg, .id = kinds[which].id, .clock = CLOCK_MONOTONIC,
					      .sig = kinds[which].sig, .notify = true, .next = tm.head };
			if (kinds[which].kind >= 0) {
				k->cpu = true;
				k->cc = (struct cpu_clock){ kinds[which].kind, tg->tgid, 0 };
			}
			tm.head = k;
		}
		if (k)
			arm_locked(k, 0, *value_ns, *interval_ns);
	}
out:
	pthread_mutex_unlock(&tm.lock);
	return rc;
}

int timer_itimer_real(struct thread_group *tg, const int64_t *value_ns, const int64_t *interval_ns,
		      int64_t *old_value_ns, int64_t *old_interval_ns)
{
	return timer_itimer(tg, ITIMER_REAL, value_ns, interval_ns, old_value_ns, old_interval_ns);
}

int timer_posix_create(struct thread_group *tg, clockid_t clock, const struct cpu_clock *cpu,
		       int sig, bool notify, union sigval value)
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
		if (cpu) {
			k->cpu = true;
			k->cc = *cpu;
		}
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
		/* As Linux's common_timer_set: overruns start again. */
		k->overrun = k->last_overrun = 0;
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
	int rc = -EINVAL;
	if (k) {
		pthread_mutex_lock(&kernel.lock);
		overrun_sync_locked(k);
		pthread_mutex_unlock(&kernel.lock);
		rc = k->last_overrun;
	}
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
		if (k->tg == tg && (!posix_only || k->id >= 0)) {
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
		*k = (struct ktimer){ .id = CALLBACK_ID, .clock = clock, .fn = fn, .fn_arg = arg,
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
