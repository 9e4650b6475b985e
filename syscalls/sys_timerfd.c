/* timerfd_create, timerfd_settime, timerfd_gettime (fs/timerfd.c). */
#include <sys/timerfd.h>
#include "fs/timerfd.h"
#include "syscalls/sys_fs_util.h"

#define NS 1000000000LL

/* timerfd_create(2) */
long sys_timerfd_create(struct task *t, const struct syscall_args *a)
{
	int clock = (int)a->arg[0], flags = (int)a->arg[1];
	if (flags & ~(TFD_CLOEXEC | TFD_NONBLOCK))
		return -EINVAL;
	if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC && clock != CLOCK_BOOTTIME &&
	    clock != CLOCK_REALTIME_ALARM && clock != CLOCK_BOOTTIME_ALARM)
		return -EINVAL;
	clockid_t host = clock == CLOCK_REALTIME_ALARM ? CLOCK_REALTIME
			 : clock == CLOCK_BOOTTIME_ALARM ? CLOCK_BOOTTIME : clock;
	struct file *f;
	int rc = vfs_timerfd_create(host, flags, &f);
	if (rc)
		return rc;
	int fd = fdt_install(t->files, f, (flags & TFD_CLOEXEC) ? FDT_CLOEXEC : 0, 0, fs_nofile(t));
	file_put(f);
	return fd;
}

static int its_in(struct task *t, uint64_t addr, int64_t *value, int64_t *interval)
{
	struct itimerspec its;
	if (mm_copy_in(t->mm, &its, gaddr(addr), sizeof(its)))
		return -EFAULT;
	if (its.it_value.tv_sec < 0 || its.it_value.tv_nsec < 0 || its.it_value.tv_nsec >= NS ||
	    its.it_interval.tv_sec < 0 || its.it_interval.tv_nsec < 0 || its.it_interval.tv_nsec >= NS)
		return -EINVAL;
	*value = its.it_value.tv_sec * NS + its.it_value.tv_nsec;
	*interval = its.it_interval.tv_sec * NS + its.it_interval.tv_nsec;
	return 0;
}

static int its_out(struct task *t, uint64_t addr, int64_t value, int64_t interval)
{
	struct itimerspec its = { { interval / NS, interval % NS }, { value / NS, value % NS } };
	return mm_copy_out(t->mm, gaddr(addr), &its, sizeof(its));
}

static struct file *get_timerfd(struct task *t, int fd, long *rc)
{
	struct file *f = fdt_get_file(t->files, fd);
	*rc = 0;
	if (!f)
		*rc = -EBADF;
	else if (!file_is_timerfd(f)) {
		file_put(f);
		f = NULL;
		*rc = -EINVAL;
	}
	return f;
}

/* timerfd_settime(2): fd, flags, new, old. */
long sys_timerfd_settime(struct task *t, const struct syscall_args *a)
{
	int flags = (int)a->arg[1];
	if (flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET))
		return -EINVAL;
	int64_t value, interval, ov, oi;
	long rc;
	struct file *f = get_timerfd(t, (int)a->arg[0], &rc);
	if (!f)
		return rc;
	rc = its_in(t, a->arg[2], &value, &interval);
	if (!rc) {
		vfs_timerfd_settime(f, (flags & TFD_TIMER_ABSTIME) ? TIMER_ABSTIME : 0, value, interval,
				    &ov, &oi);
		if (a->arg[3] && its_out(t, a->arg[3], ov, oi))
			rc = -EFAULT;
	}
	file_put(f);
	return rc;
}

/* timerfd_gettime(2) */
long sys_timerfd_gettime(struct task *t, const struct syscall_args *a)
{
	long rc;
	struct file *f = get_timerfd(t, (int)a->arg[0], &rc);
	if (!f)
		return rc;
	int64_t v, i;
	vfs_timerfd_gettime(f, &v, &i);
	file_put(f);
	return its_out(t, a->arg[1], v, i) ? -EFAULT : 0;
}
