/* Timers: alarm, setitimer, getitimer, timer_create and friends. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include "sentry/mm.h"
#include "sentry/rusage.h"
#include "sentry/task.h"
#include "sentry/timer.h"
#include "syscalls/table.h"

#define NS 1000000000LL

static int tv_to_ns(const struct timeval *tv, int64_t *ns)
{
	if (tv->tv_sec < 0 || tv->tv_usec < 0 || tv->tv_usec >= 1000000)
		return -EINVAL;
	*ns = tv->tv_sec * NS + tv->tv_usec * 1000LL;
	return 0;
}

static struct timeval ns_to_tv(int64_t ns)
{
	/* Round up to a whole microsecond, as Linux reports a live timer. */
	int64_t us = (ns + 999) / 1000;
	return (struct timeval){ us / 1000000, us % 1000000 };
}

static int ts_to_ns(const struct timespec *ts, int64_t *ns)
{
	if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= NS)
		return -EINVAL;
	*ns = ts->tv_sec * NS + ts->tv_nsec;
	return 0;
}

static struct timespec ns_to_ts(int64_t ns)
{
	return (struct timespec){ ns / NS, ns % NS };
}

/*
 * setitimer(2): ITIMER_REAL, ITIMER_VIRTUAL and ITIMER_PROF (CPU time,
 * sampled every few ms). A NULL new value disarms, as Linux still allows.
 */
long sys_setitimer(struct task *t, const struct syscall_args *a)
{
	int which = (int)a->arg[0];
	struct itimerval nv;
	int64_t val = 0, intv = 0, oval, ointv;
	if (a->arg[1]) {
		if (mm_copy_in(t->mm, &nv, gaddr(a->arg[1]), sizeof(nv)))
			return -EFAULT;
		int rc = tv_to_ns(&nv.it_value, &val);
		if (!rc)
			rc = tv_to_ns(&nv.it_interval, &intv);
		if (rc)
			return rc;
	}
	int rc = timer_itimer(t->tg, which, &val, &intv, &oval, &ointv);
	if (rc)
		return rc;
	if (a->arg[2]) {
		struct itimerval ov = { ns_to_tv(ointv), ns_to_tv(oval) };
		if (mm_copy_out(t->mm, gaddr(a->arg[2]), &ov, sizeof(ov)))
			return -EFAULT;
	}
	return 0;
}

/* getitimer(2) */
long sys_getitimer(struct task *t, const struct syscall_args *a)
{
	int64_t oval = 0, ointv = 0;
	int rc = timer_itimer(t->tg, (int)a->arg[0], NULL, NULL, &oval, &ointv);
	if (rc)
		return rc;
	struct itimerval ov = { ns_to_tv(ointv), ns_to_tv(oval) };
	return mm_copy_out(t->mm, gaddr(a->arg[1]), &ov, sizeof(ov));
}

/* alarm(2): the seconds left on the previous alarm (rounded, at least 1 if any). */
long sys_alarm(struct task *t, const struct syscall_args *a)
{
	unsigned secs = (unsigned)a->arg[0];
	int64_t val = (int64_t)secs * NS, intv = 0, oval, ointv;
	timer_itimer_real(t->tg, &val, &intv, &oval, &ointv);
	if (!oval)
		return 0;
	long left = (oval + NS / 2) / NS;
	return left ? left : 1;
}

struct guest_sigevent {
	union sigval value;
	int32_t signo;
	int32_t notify;
	int32_t tid;
	int32_t pad[11];
};

/* timer_create(2): clockid, sevp, timerid. */
long sys_timer_create(struct task *t, const struct syscall_args *a)
{
	clockid_t clock = (clockid_t)a->arg[0];
	struct cpu_clock cc;
	int crc = cpu_clock_decode(t, clock, &cc);
	if (crc < 0)
		return crc;
	if (crc == 1 && clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC &&
	    clock != CLOCK_BOOTTIME && clock != CLOCK_REALTIME_ALARM &&
	    clock != CLOCK_BOOTTIME_ALARM && clock != CLOCK_TAI)
		return -EINVAL;
	const struct cpu_clock *cpu = crc == 0 ? &cc : NULL;
	clockid_t host = clock == CLOCK_REALTIME_ALARM ? CLOCK_REALTIME
			 : clock == CLOCK_BOOTTIME_ALARM ? CLOCK_BOOTTIME : clock;
	struct guest_sigevent ev = { .signo = SIGALRM, .notify = SIGEV_SIGNAL };
	bool have_ev = a->arg[1] != 0;
	if (have_ev && mm_copy_in(t->mm, &ev, gaddr(a->arg[1]), sizeof(ev)))
		return -EFAULT;
	switch (ev.notify) {
	case SIGEV_NONE:
		break;
	case SIGEV_SIGNAL:
	case SIGEV_THREAD_ID:
		if (ev.signo < 1 || ev.signo > GUEST_NSIG)
			return -EINVAL;
		break;
	default:
		return -EINVAL;     /* SIGEV_THREAD is glibc's, built on SIGEV_THREAD_ID */
	}
	if (ev.notify == SIGEV_THREAD_ID) {
		struct task *target = task_lookup(ev.tid);
		bool ok = target && target->tg == t->tg;
		if (target)
			task_put(target);
		if (!ok)
			return -EINVAL;
	}
	int id = timer_posix_create(t->tg, host, cpu, ev.signo, ev.notify != SIGEV_NONE, ev.value);
	if (id < 0)
		return id;
	if (!have_ev) {
		/* The default sigevent carries the timer id as its value. */
		union sigval v = { .sival_int = id };
		timer_posix_delete(t->tg, id);
		id = timer_posix_create(t->tg, host, cpu, SIGALRM, true, v);
		if (id < 0)
			return id;
	}
	int32_t out = id;
	if (mm_copy_out(t->mm, gaddr(a->arg[2]), &out, sizeof(out))) {
		timer_posix_delete(t->tg, id);
		return -EFAULT;
	}
	return 0;
}

/* timer_settime(2): timerid, flags, new, old. */
long sys_timer_settime(struct task *t, const struct syscall_args *a)
{
	int id = (int)a->arg[0];
	int flags = (int)a->arg[1];
	if (flags & ~TIMER_ABSTIME)
		return -EINVAL;
	if (!a->arg[2])
		return -EINVAL;     /* Linux checks this before copying */
	struct itimerspec nv;
	if (mm_copy_in(t->mm, &nv, gaddr(a->arg[2]), sizeof(nv)))
		return -EFAULT;
	int64_t val, intv, oval, ointv;
	int rc = ts_to_ns(&nv.it_value, &val);
	if (!rc)
		rc = ts_to_ns(&nv.it_interval, &intv);
	if (!rc)
		rc = timer_posix_set(t->tg, id, flags, val, intv, &oval, &ointv);
	if (rc)
		return rc;
	if (a->arg[3]) {
		struct itimerspec ov = { ns_to_ts(ointv), ns_to_ts(oval) };
		if (mm_copy_out(t->mm, gaddr(a->arg[3]), &ov, sizeof(ov)))
			return -EFAULT;
	}
	return 0;
}

/* timer_gettime(2) */
long sys_timer_gettime(struct task *t, const struct syscall_args *a)
{
	int64_t val, intv;
	int rc = timer_posix_get(t->tg, (int)a->arg[0], &val, &intv);
	if (rc)
		return rc;
	struct itimerspec ov = { ns_to_ts(intv), ns_to_ts(val) };
	return mm_copy_out(t->mm, gaddr(a->arg[1]), &ov, sizeof(ov));
}

/* timer_getoverrun(2) */
long sys_timer_getoverrun(struct task *t, const struct syscall_args *a)
{
	return timer_posix_overrun(t->tg, (int)a->arg[0]);
}

/* timer_delete(2) */
long sys_timer_delete(struct task *t, const struct syscall_args *a)
{
	return timer_posix_delete(t->tg, (int)a->arg[0]);
}
