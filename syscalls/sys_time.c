/* Time: clock_gettime, clock_getres, gettimeofday, time, nanosleep, clock_nanosleep, times. */
#include <errno.h>
#include <string.h>
#include <sys/time.h>
#include <sys/times.h>
#include <time.h>
#include "sentry/kernel_internal.h"
#include "sentry/mm.h"
#include "sentry/task.h"
#include "syscalls/table.h"

#define NSEC_PER_SEC 1000000000L

/*
 * Map a guest clock id to the host clock that serves it. CPU-time clocks
 * of other processes (negative ids) are not supported yet: -EINVAL.
 */
static int guest_clock(int clk, clockid_t *host)
{
	switch (clk) {
	case CLOCK_REALTIME: case CLOCK_MONOTONIC: case CLOCK_MONOTONIC_RAW:
	case CLOCK_REALTIME_COARSE: case CLOCK_MONOTONIC_COARSE: case CLOCK_BOOTTIME:
	case CLOCK_TAI:
		*host = clk;
		return 0;
	case CLOCK_REALTIME_ALARM:
		*host = CLOCK_REALTIME;
		return 0;
	case CLOCK_BOOTTIME_ALARM:
		*host = CLOCK_BOOTTIME;
		return 0;
	case CLOCK_PROCESS_CPUTIME_ID: case CLOCK_THREAD_CPUTIME_ID:
		/* The sentry thread serving the task: an approximation of the guest's CPU time. */
		*host = CLOCK_THREAD_CPUTIME_ID;
		return 0;
	}
	return -EINVAL;
}

/* clock_gettime(2) */
long sys_clock_gettime(struct task *t, const struct syscall_args *a)
{
	clockid_t host;
	if (guest_clock((int)a->arg[0], &host))
		return -EINVAL;
	struct timespec ts;
	clock_gettime(host, &ts);
	return mm_copy_out(t->mm, gaddr(a->arg[1]), &ts, sizeof(ts));
}

/* clock_getres(2) */
long sys_clock_getres(struct task *t, const struct syscall_args *a)
{
	clockid_t host;
	if (guest_clock((int)a->arg[0], &host))
		return -EINVAL;
	if (!a->arg[1])
		return 0;
	struct timespec ts;
	clock_getres(host, &ts);
	return mm_copy_out(t->mm, gaddr(a->arg[1]), &ts, sizeof(ts));
}

/* gettimeofday(2): the timezone is always UTC with no DST. */
long sys_gettimeofday(struct task *t, const struct syscall_args *a)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	if (a->arg[0] && mm_copy_out(t->mm, gaddr(a->arg[0]), &tv, sizeof(tv)))
		return -EFAULT;
	struct timezone tz = { 0, 0 };
	if (a->arg[1] && mm_copy_out(t->mm, gaddr(a->arg[1]), &tz, sizeof(tz)))
		return -EFAULT;
	return 0;
}

/* time(2) */
long sys_time(struct task *t, const struct syscall_args *a)
{
	time_t now = time(NULL);
	if (a->arg[0] && mm_copy_out(t->mm, gaddr(a->arg[0]), &now, sizeof(now)))
		return -EFAULT;
	return now;
}

static int copy_in_timespec(struct task *t, uint64_t addr, struct timespec *ts)
{
	if (mm_copy_in(t->mm, ts, gaddr(addr), sizeof(*ts)))
		return -EFAULT;
	if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= NSEC_PER_SEC)
		return -EINVAL;
	return 0;
}

/*
 * Sleep on this task's own condition so that a signal (kill) ends the sleep
 * early with -EINTR. Absolute CLOCK_REALTIME deadlines are converted to
 * CLOCK_MONOTONIC once (a clock change during the sleep is not followed).
 */
static long do_sleep(struct task *t, clockid_t host, int flags, const struct timespec *req,
		     uint64_t urem)
{
	struct timespec now, mono, deadline;
	clock_gettime(CLOCK_MONOTONIC, &mono);
	int64_t ns;
	if (flags & TIMER_ABSTIME) {
		clock_gettime(host, &now);
		ns = (req->tv_sec - now.tv_sec) * NSEC_PER_SEC + (req->tv_nsec - now.tv_nsec);
		if (ns <= 0)
			return 0;
	} else {
		ns = req->tv_sec * NSEC_PER_SEC + req->tv_nsec;
	}
	int64_t end = mono.tv_sec * NSEC_PER_SEC + mono.tv_nsec + ns;
	deadline.tv_sec = end / NSEC_PER_SEC;
	deadline.tv_nsec = end % NSEC_PER_SEC;
	int rc = task_sleep_until(t, &deadline);
	if (rc == -EINTR && urem && !(flags & TIMER_ABSTIME)) {
		clock_gettime(CLOCK_MONOTONIC, &mono);
		int64_t left = end - (mono.tv_sec * NSEC_PER_SEC + mono.tv_nsec);
		struct timespec rem = { 0, 0 };
		if (left > 0) {
			rem.tv_sec = left / NSEC_PER_SEC;
			rem.tv_nsec = left % NSEC_PER_SEC;
		}
		if (mm_copy_out(t->mm, gaddr(urem), &rem, sizeof(rem)))
			return -EFAULT;
	}
	return rc;
}

/* nanosleep(2) */
long sys_nanosleep(struct task *t, const struct syscall_args *a)
{
	struct timespec req;
	int rc = copy_in_timespec(t, a->arg[0], &req);
	if (rc)
		return rc;
	return do_sleep(t, CLOCK_MONOTONIC, 0, &req, a->arg[1]);
}

/* clock_nanosleep(2): clockid, flags, request, remain. */
long sys_clock_nanosleep(struct task *t, const struct syscall_args *a)
{
	int clk = (int)a->arg[0];
	int flags = (int)a->arg[1];
	clockid_t host;
	if (guest_clock(clk, &host))
		return -EINVAL;
	if (clk == CLOCK_THREAD_CPUTIME_ID || clk == CLOCK_PROCESS_CPUTIME_ID ||
	    clk == CLOCK_MONOTONIC_RAW ||
	    clk == CLOCK_REALTIME_COARSE || clk == CLOCK_MONOTONIC_COARSE)
		return -EOPNOTSUPP;    /* what Linux answers for these clocks */
	struct timespec req;
	int rc = copy_in_timespec(t, a->arg[2], &req);
	if (rc)
		return rc;
	return do_sleep(t, host, flags & TIMER_ABSTIME, &req, a->arg[3]);
}

/* times(2): CPU times are not accounted yet (zeros); returns clock ticks since boot. */
long sys_times(struct task *t, const struct syscall_args *a)
{
	struct tms tms;
	memset(&tms, 0, sizeof(tms));
	if (a->arg[0] && mm_copy_out(t->mm, gaddr(a->arg[0]), &tms, sizeof(tms)))
		return -EFAULT;
	return (long)(kernel_uptime_ns() / 10000000ULL) + 1;
}

/*
 * clock_settime(2): validated as Linux does (EINVAL for clocks that cannot
 * be set, EFAULT/EINVAL for the time), then refused: the guest shares the
 * host's clock and may not move it.
 */
long sys_clock_settime(struct task *t, const struct syscall_args *a)
{
	int clk = (int)a->arg[0];
	clockid_t host;
	if (guest_clock(clk, &host) || clk != CLOCK_REALTIME)
		return -EINVAL;
	struct timespec ts;
	int rc = copy_in_timespec(t, a->arg[1], &ts);
	if (rc)
		return rc;
	return -EPERM;
}
