/* Time: clock_gettime, clock_getres, gettimeofday, time, nanosleep, clock_nanosleep, times. */
#include <errno.h>
#include <string.h>
#include <sys/time.h>
#include <sys/times.h>
#include <time.h>
#include "sentry/futex.h"
#include "sentry/kernel_internal.h"
#include "sentry/mm.h"
#include "sentry/rusage.h"
#include "sentry/task.h"
#include "syscalls/table.h"

#define NSEC_PER_SEC 1000000000L

/*
 * Map a guest clock id to the host clock that serves it; -EINVAL if it is
 * none. CPU-time clocks are the guest's own (sentry/rusage.c), decoded
 * with cpu_clock_decode before this.
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
	}
	return -EINVAL;
}

static struct timespec ns_to_ts(uint64_t ns)
{
	return (struct timespec){ (time_t)(ns / NSEC_PER_SEC), (long)(ns % NSEC_PER_SEC) };
}

/* clock_gettime(2) */
long sys_clock_gettime(struct task *t, const struct syscall_args *a)
{
	int clk = (int)a->arg[0];
	struct timespec ts;
	struct cpu_clock cc;
	int rc = cpu_clock_decode(t, clk, &cc);
	if (rc < 0)
		return rc;
	if (rc == 0) {
		uint64_t ns;
		if (cpu_clock_read(&cc, &ns))
			return -EINVAL;
		ts = ns_to_ts(ns);
	} else {
		clockid_t host;
		if (guest_clock(clk, &host))
			return -EINVAL;
		clock_gettime(host, &ts);
	}
	return mm_copy_out(t->mm, gaddr(a->arg[1]), &ts, sizeof(ts));
}

/* clock_getres(2) */
long sys_clock_getres(struct task *t, const struct syscall_args *a)
{
	int clk = (int)a->arg[0];
	struct timespec ts;
	struct cpu_clock cc;
	int rc = cpu_clock_decode(t, clk, &cc);
	if (rc < 0)
		return rc;
	if (rc == 0) {
		cpu_clock_res(&cc, &ts);
	} else {
		clockid_t host;
		if (guest_clock(clk, &host))
			return -EINVAL;
		clock_getres(host, &ts);
	}
	if (!a->arg[1])
		return 0;
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

static long sleep_until(struct task *t, const struct timespec *deadline, int flags,
			uint64_t urem);

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
	return sleep_until(t, &deadline, flags, urem);
}

/*
 * Sleep until deadline (CLOCK_MONOTONIC). Interrupted, a relative sleep
 * writes the time left to urem and returns -ERESTART_RESTARTBLOCK: a
 * handler makes it -EINTR, a stop and continue (no handler) go on through
 * restart_syscall(2) to the same end, as Linux's hrtimer_nanosleep. An
 * absolute one restarts with its own arguments (-ERESTARTNOHAND).
 */
static long sleep_until(struct task *t, const struct timespec *deadline, int flags,
			uint64_t urem)
{
	int rc = task_sleep_until(t, deadline);
	if (rc != -EINTR)
		return rc;
	if (flags & TIMER_ABSTIME)
		return -ERESTARTNOHAND;
	if (urem) {
		struct timespec mono;
		clock_gettime(CLOCK_MONOTONIC, &mono);
		int64_t left = (deadline->tv_sec - mono.tv_sec) * NSEC_PER_SEC +
			       (deadline->tv_nsec - mono.tv_nsec);
		struct timespec rem = { 0, 0 };
		if (left > 0) {
			rem.tv_sec = left / NSEC_PER_SEC;
			rem.tv_nsec = left % NSEC_PER_SEC;
		}
		if (mm_copy_out(t->mm, gaddr(urem), &rem, sizeof(rem)))
			return -EFAULT;
	}
	t->restart_block.kind = RESTART_SLEEP;
	t->restart_block.end = *deadline;
	t->restart_block.urem = urem;
	return -ERESTART_RESTARTBLOCK;
}

/*
 * restart_syscall(2): the interrupted relative sleep or timed futex wait
 * goes on to the same end; without one, -EINTR (Linux's
 * do_no_restart_syscall).
 */
long sys_restart_syscall(struct task *t, const struct syscall_args *a)
{
	int kind = t->restart_block.kind;
	t->restart_block.kind = RESTART_NONE;
	struct timespec end = t->restart_block.end;
	if (kind == RESTART_SLEEP)
		return sleep_until(t, &end, 0, t->restart_block.urem);
	if (kind == RESTART_FUTEX)
		return futex_wait(t, gaddr(t->restart_block.uaddr), t->restart_block.flags,
				  t->restart_block.val, &end, t->restart_block.clock,
				  t->restart_block.bitset);
	return -EINTR;
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

/* How often a sleep on a CPU-time clock looks at the clock. */
#define CPU_SLEEP_POLL_NS 4000000L

/*
 * Sleep until a CPU-time clock reaches the request (absolute, or relative
 * to its value now), looking every few ms; a signal ends it with -EINTR.
 */
static long do_cpu_sleep(struct task *t, const struct cpu_clock *cc, int flags,
			 const struct timespec *req, uint64_t urem)
{
	uint64_t now, want = (uint64_t)req->tv_sec * NSEC_PER_SEC + (uint64_t)req->tv_nsec;
	if (cpu_clock_read(cc, &now))
		return -EINVAL;
	uint64_t end = (flags & TIMER_ABSTIME) ? want : now + want;
	while (now < end) {
		struct timespec mono;
		clock_gettime(CLOCK_MONOTONIC, &mono);
		uint64_t step = MIN(end - now, (uint64_t)CPU_SLEEP_POLL_NS);
		int64_t wake = mono.tv_sec * NSEC_PER_SEC + mono.tv_nsec + (int64_t)step;
		struct timespec deadline = { wake / NSEC_PER_SEC, wake % NSEC_PER_SEC };
		int rc = task_sleep_until(t, &deadline);
		if (cpu_clock_read(cc, &now))
			return -EINVAL;     /* the process or thread is gone */
		if (rc == -EINTR) {
			if (urem && !(flags & TIMER_ABSTIME)) {
				struct timespec rem = ns_to_ts(now < end ? end - now : 0);
				if (mm_copy_out(t->mm, gaddr(urem), &rem, sizeof(rem)))
					return -EFAULT;
			}
			return rc;
		}
	}
	return 0;
}

/* clock_nanosleep(2): clockid, flags, request, remain. Errors in Linux's order. */
long sys_clock_nanosleep(struct task *t, const struct syscall_args *a)
{
	int clk = (int)a->arg[0];
	int flags = (int)a->arg[1];
	clockid_t host = CLOCK_MONOTONIC;
	bool cpu = clk < 0 || clk == CLOCK_PROCESS_CPUTIME_ID;
	if (clk == CLOCK_THREAD_CPUTIME_ID)
		return -EOPNOTSUPP;    /* Linux cannot sleep on it */
	if (!cpu) {
		if (guest_clock(clk, &host))
			return -EINVAL;
		if (clk == CLOCK_MONOTONIC_RAW || clk == CLOCK_REALTIME_COARSE ||
		    clk == CLOCK_MONOTONIC_COARSE)
			return -EOPNOTSUPP;    /* what Linux answers for these clocks */
	}
	struct timespec req;
	int rc = copy_in_timespec(t, a->arg[2], &req);
	if (rc)
		return rc;
	if (!cpu)
		return do_sleep(t, host, flags & TIMER_ABSTIME, &req, a->arg[3]);
	struct cpu_clock cc;
	if (cpu_clock_decode(t, clk, &cc) != 0 || cc.tid == t->tid)
		return -EINVAL;        /* the caller's own thread clock included */
	return do_cpu_sleep(t, &cc, flags & TIMER_ABSTIME, &req, a->arg[3]);
}

static clock_t ns_to_ticks(uint64_t ns)
{
	return (clock_t)(ns / (NSEC_PER_SEC / 100));     /* USER_HZ */
}

/* times(2): the process's and its reaped children's CPU times; clock ticks since boot. */
long sys_times(struct task *t, const struct syscall_args *a)
{
	struct tms tms;
	struct cputime self;
	pthread_mutex_lock(&kernel.lock);
	cputime_group_locked(t->tg, &self);
	struct cputime kids = t->tg->cpu_children;
	pthread_mutex_unlock(&kernel.lock);
	tms.tms_utime = ns_to_ticks(self.user);
	tms.tms_stime = ns_to_ticks(self.sys);
	tms.tms_cutime = ns_to_ticks(kids.user);
	tms.tms_cstime = ns_to_ticks(kids.sys);
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
