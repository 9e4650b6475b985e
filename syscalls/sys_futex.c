/* futex(2) */
#include <errno.h>
#include <linux/futex.h>
#include <time.h>
#include "sentry/futex.h"
#include "sentry/mm.h"
#include "sentry/task.h"
#include "syscalls/table.h"

static int read_timeout(struct task *t, uint64_t uaddr, bool absolute, clockid_t clock,
			struct timespec *deadline)
{
	struct timespec ts;
	if (mm_copy_in(t->mm, &ts, gaddr(uaddr), sizeof(ts)))
		return -EFAULT;
	if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000L)
		return -EINVAL;
	if (absolute) {
		*deadline = ts;
		return 0;
	}
	clock_gettime(clock, deadline);
	deadline->tv_sec += ts.tv_sec;
	deadline->tv_nsec += ts.tv_nsec;
	if (deadline->tv_nsec >= 1000000000L) {
		deadline->tv_sec++;
		deadline->tv_nsec -= 1000000000L;
	}
	return 0;
}

/* futex(2): uaddr, futex_op, val, timeout (or val2), uaddr2, val3. */
long sys_futex(struct task *t, const struct syscall_args *a)
{
	gaddr_t uaddr = gaddr(a->arg[0]);
	int op = (int)a->arg[1];
	uint32_t val = (uint32_t)a->arg[2];
	uint64_t utime = a->arg[3];
	gaddr_t uaddr2 = gaddr(a->arg[4]);
	uint32_t val3 = (uint32_t)a->arg[5];
	int cmd = op & FUTEX_CMD_MASK;
	bool realtime = op & FUTEX_CLOCK_REALTIME;
	clockid_t clock = realtime ? CLOCK_REALTIME : CLOCK_MONOTONIC;
	int flags = op & FUTEX_PRIVATE_FLAG;
	/* As Linux: only these take FUTEX_CLOCK_REALTIME (plain FUTEX_WAIT does not). */
	if (realtime && cmd != FUTEX_WAIT_BITSET && cmd != FUTEX_WAIT_REQUEUE_PI &&
	    cmd != FUTEX_LOCK_PI2)
		return -ENOSYS;
	struct timespec deadline;
	int rc;
	switch (cmd) {
	case FUTEX_WAIT:
	case FUTEX_WAIT_BITSET:
		if (cmd == FUTEX_WAIT)
			val3 = FUTEX_BITSET_MATCH_ANY;
		if (utime) {
			rc = read_timeout(t, utime, cmd == FUTEX_WAIT_BITSET, clock, &deadline);
			if (rc)
				return rc;
		}
		return futex_wait(t, uaddr, flags, val, utime ? &deadline : NULL, clock, val3);
	case FUTEX_WAKE:
		return futex_wake(t, uaddr, flags, (int)val, FUTEX_BITSET_MATCH_ANY);
	case FUTEX_WAKE_BITSET:
		return futex_wake(t, uaddr, flags, (int)val, val3);
	case FUTEX_REQUEUE:
		return futex_requeue(t, uaddr, uaddr2, flags, (int)val, (int)utime, false, 0);
	case FUTEX_CMP_REQUEUE:
		return futex_requeue(t, uaddr, uaddr2, flags, (int)val, (int)utime, true, val3);
	case FUTEX_WAKE_OP:
		return futex_wake_op(t, uaddr, uaddr2, flags, (int)val, (int)utime, val3);
	}
	/* Priority-inheritance futexes and FUTEX_FD are not supported. */
	return -ENOSYS;
}
