/* epoll_create, epoll_create1, epoll_ctl, epoll_wait, epoll_pwait, epoll_pwait2 (fs/epoll.c). */
#include <limits.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/sysmacros.h>
#include "fs/epoll.h"
#include "sentry/waitq.h"
#include "syscalls/sys_fs_util.h"

#define EP_MAX_EVENTS (INT_MAX / (int)sizeof(struct epoll_event))

static long do_create(struct task *t, int flags)
{
	if (flags & ~EPOLL_CLOEXEC)
		return -EINVAL;
	struct file *f;
	int rc = vfs_epoll_create(flags, &f);
	if (rc)
		return rc;
	int fd = fdt_install(t->files, f, (flags & EPOLL_CLOEXEC) ? FDT_CLOEXEC : 0, 0, fs_nofile(t));
	file_put(f);
	return fd;
}

/* epoll_create(2): size is only checked to be positive. */
long sys_epoll_create(struct task *t, const struct syscall_args *a)
{
	if ((int)a->arg[0] <= 0)
		return -EINVAL;
	return do_create(t, 0);
}

/* epoll_create1(2) */
long sys_epoll_create1(struct task *t, const struct syscall_args *a)
{
	return do_create(t, (int)a->arg[0]);
}

/* epoll_ctl(2): epfd, op, fd, event. */
long sys_epoll_ctl(struct task *t, const struct syscall_args *a)
{
	int epfd = (int)a->arg[0], op = (int)a->arg[1], fd = (int)a->arg[2];
	struct epoll_event ev = { 0 };
	if (op != EPOLL_CTL_DEL && mm_copy_in(t->mm, &ev, gaddr(a->arg[3]), sizeof(ev)))
		return -EFAULT;
	struct file *ep = fdt_get_file(t->files, epfd);
	if (!ep)
		return -EBADF;
	struct file *target = fdt_get_file(t->files, fd);
	long rc = 0;
	if (!target)
		rc = -EBADF;
	else if (!file_is_epoll(ep) || fd == epfd)
		rc = -EINVAL;
	else {
		/*
		 * Files without a poll method are always ready and Linux refuses
		 * them: regular files, directories, /dev/null and its kin (but the
		 * random devices poll).
		 */
		struct stat st;
		if (vfs_fstat(target, &st) == 0 &&
		    (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) ||
		     (S_ISCHR(st.st_mode) && !file_has_poll(target) &&
		      st.st_rdev != makedev(1, 8) && st.st_rdev != makedev(1, 9))))
			rc = -EPERM;
	}
	if (!rc)
		rc = vfs_epoll_ctl(ep, op, fd, target, ev.events, ev.data.u64);
	if (target)
		file_put(target);
	file_put(ep);
	return rc;
}

static long do_wait(struct task *t, int epfd, uint64_t uevents, int max,
		    const struct timespec *deadline)
{
	if (max <= 0 || max > EP_MAX_EVENTS)
		return -EINVAL;
	struct file *ep = fdt_get_file(t->files, epfd);
	if (!ep)
		return -EBADF;
	if (!file_is_epoll(ep)) {
		file_put(ep);
		return -EINVAL;
	}
	/* Room for every registered item (no more can be ready), at most maxevents. */
	int items = vfs_epoll_size(ep);
	int cap = max < items ? max : (items > 0 ? items : 1);
	struct epoll_event *out = calloc(cap, sizeof(*out));
	long n = out ? vfs_epoll_wait(ep, out, cap, deadline) : -ENOMEM;
	file_put(ep);
	if (n > 0 && mm_copy_out(t->mm, gaddr(uevents), out, n * sizeof(*out)))
		n = -EFAULT;
	free(out);
	return n == -EINTR ? -EINTR : n;
}

static long wait_ms(struct task *t, const struct syscall_args *a, int timeout)
{
	struct timespec dl;
	if (timeout >= 0)
		dl = waitq_deadline_after((uint64_t)timeout * 1000000ULL);
	return do_wait(t, (int)a->arg[0], a->arg[1], (int)a->arg[2], timeout >= 0 ? &dl : NULL);
}

/* epoll_wait(2) */
long sys_epoll_wait(struct task *t, const struct syscall_args *a)
{
	return wait_ms(t, a, (int)a->arg[3]);
}

/* Run a wait with a temporary signal mask (epoll_pwait, epoll_pwait2). */
static long with_sigmask(struct task *t, uint64_t umask, uint64_t size, const struct syscall_args *a,
			 long (*fn)(struct task *, const struct syscall_args *))
{
	if (!umask)
		return fn(t, a);
	if (size != 8)
		return -EINVAL;
	uint64_t mask;
	if (mm_copy_in(t->mm, &mask, gaddr(umask), 8))
		return -EFAULT;
	uint64_t old = t->sigmask;
	t->sigmask = mask & ~((1ULL << (SIGKILL - 1)) | (1ULL << (SIGSTOP - 1)));
	long rc = fn(t, a);
	if (rc == -EINTR) {
		/* The handler runs with the caller's mask restored by its frame. */
		t->saved_sigmask = old;
		t->has_saved_sigmask = true;
	} else {
		t->sigmask = old;
	}
	return rc;
}

static long pwait_body(struct task *t, const struct syscall_args *a)
{
	return wait_ms(t, a, (int)a->arg[3]);
}

/* epoll_pwait(2): epfd, events, maxevents, timeout, sigmask, sigsetsize. */
long sys_epoll_pwait(struct task *t, const struct syscall_args *a)
{
	return with_sigmask(t, a->arg[4], a->arg[5], a, pwait_body);
}

static long pwait2_body(struct task *t, const struct syscall_args *a)
{
	if (!a->arg[3])
		return do_wait(t, (int)a->arg[0], a->arg[1], (int)a->arg[2], NULL);
	struct timespec ts;
	if (mm_copy_in(t->mm, &ts, gaddr(a->arg[3]), sizeof(ts)))
		return -EFAULT;
	if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000L)
		return -EINVAL;
	struct timespec dl = waitq_deadline_after((uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec);
	return do_wait(t, (int)a->arg[0], a->arg[1], (int)a->arg[2], &dl);
}

/* epoll_pwait2(2): the timeout is a timespec. */
long sys_epoll_pwait2(struct task *t, const struct syscall_args *a)
{
	return with_sigmask(t, a->arg[4], a->arg[5], a, pwait2_body);
}
