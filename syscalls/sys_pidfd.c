/*
 * pidfd: a file naming a guest process (pidfd_open, pidfd_send_signal,
 * pidfd_getfd). It is readable (POLLIN) once the process has exited, which
 * is what event loops (Python's asyncio child watcher, systemd-style
 * supervisors) poll for. The file holds a reference on the thread group, so
 * a signal sent through it never reaches a recycled pid.
 *
 * Waiting: one queue for all pidfds, woken whenever any process changes
 * state (process_wake_waiters_locked); spurious wakeups are allowed.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include "fs/vfs_internal.h"
#include "sentry/kernel_internal.h"
#include "sentry/process.h"
#include "sentry/waitq.h"
#include "syscalls/sys_fs_util.h"

#ifndef PIDFD_NONBLOCK
#define PIDFD_NONBLOCK O_NONBLOCK
#endif
#ifndef PIDFD_SIGNAL_THREAD
#define PIDFD_SIGNAL_THREAD (1UL << 0)
#define PIDFD_SIGNAL_THREAD_GROUP (1UL << 1)
#define PIDFD_SIGNAL_PROCESS_GROUP (1UL << 2)
#endif

struct pidfd {
	struct thread_group *tg;        /* a reference (taken under kernel.lock; tg_put locks) */
};

static struct waitq pidfd_wq;
static pthread_once_t pidfd_once = PTHREAD_ONCE_INIT;

static void pidfd_init(void)
{
	waitq_init(&pidfd_wq);
}

void pidfd_notify_locked(void)
{
	pthread_once(&pidfd_once, pidfd_init);
	waitq_wake(&pidfd_wq, POLLIN | POLLRDNORM);
}

static uint32_t pidfd_poll(struct file *f, struct waiter *w)
{
	struct pidfd *p = f->priv;
	pthread_once(&pidfd_once, pidfd_init);
	if (w)
		waiter_add(w, &pidfd_wq, ~0u);
	pthread_mutex_lock(&kernel.lock);
	bool exited = p->tg->zombie || p->tg->nr_threads == 0;
	pthread_mutex_unlock(&kernel.lock);
	return exited ? POLLIN | POLLRDNORM : 0;
}

static void pidfd_release(struct file *f)
{
	struct pidfd *p = f->priv;
	tg_put(p->tg);      /* takes kernel.lock itself */
	free(p);
}

static const struct file_ops pidfd_fops = {
	.poll = pidfd_poll,
	.release = pidfd_release,
	.unlocked = true,
	.stream = true,
};

/*
 * The thread group a pidfd names (no reference), or NULL if f is not a
 * pidfd. An open /proc/PID directory works too, as in Linux (the process
 * must still exist: its pid could be reused later, as with any pid).
 */
static struct thread_group *pidfd_tg(struct file *f)
{
	if (f->fops == &pidfd_fops)
		return ((struct pidfd *)f->priv)->tg;
	int pid = procfs_dir_pid(f);
	if (pid <= 0)
		return NULL;
	pthread_mutex_lock(&kernel.lock);
	struct thread_group *tg = process_find_locked(pid);
	pthread_mutex_unlock(&kernel.lock);
	return tg;
}

int pidfd_fd_tgid(struct task *t, int fd, bool *nonblock)
{
	struct file *f = fdt_get_file(t->files, fd);
	if (!f)
		return -EBADF;
	int rc = -EBADF;
	if (f->fops == &pidfd_fops) {
		pthread_mutex_lock(&kernel.lock);
		rc = ((struct pidfd *)f->priv)->tg->tgid;
		pthread_mutex_unlock(&kernel.lock);
		*nonblock = file_flags(f) & O_NONBLOCK;
	}
	file_put(f);
	return rc;
}

/* pidfd_open(2): pid, flags. */
long sys_pidfd_open(struct task *t, const struct syscall_args *a)
{
	int pid = (int)a->arg[0];
	unsigned flags = (unsigned)a->arg[1];
	if (flags & ~PIDFD_NONBLOCK)
		return -EINVAL;
	if (pid <= 0)
		return -EINVAL;
	struct pidfd *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	pthread_mutex_lock(&kernel.lock);
	struct thread_group *tg = process_find_locked(pid);
	long rc = 0;
	if (!tg) {
		/* A thread id (not a thread-group leader) is EINVAL; nothing at all is ESRCH. */
		struct task *th = NULL;
		pthread_mutex_unlock(&kernel.lock);
		th = task_lookup(pid);
		rc = th ? -EINVAL : -ESRCH;
		if (th)
			task_put(th);
		free(p);
		return rc;
	}
	tg->refs++;
	p->tg = tg;
	pthread_mutex_unlock(&kernel.lock);
	struct file *f = file_new_anon(&pidfd_fops, p, O_RDWR | (flags & O_NONBLOCK), "anon_inode:[pidfd]");
	if (!f) {
		tg_put(tg);
		free(p);
		return -ENOMEM;
	}
	/* Always close-on-exec, as Linux. */
	rc = fdt_install(t->files, f, FDT_CLOEXEC, 0, fs_nofile(t));
	file_put(f);
	return rc;
}

/* pidfd_send_signal(2): pidfd, sig, info, flags. */
long sys_pidfd_send_signal(struct task *t, const struct syscall_args *a)
{
	int sig = (int)a->arg[1];
	uint64_t uinfo = a->arg[2];
	unsigned flags = (unsigned)a->arg[3];
	/* Scope flags (Linux 6.9): at most one; the thread scope is the leader thread. */
	if (flags & ~(PIDFD_SIGNAL_THREAD | PIDFD_SIGNAL_THREAD_GROUP | PIDFD_SIGNAL_PROCESS_GROUP) ||
	    __builtin_popcount(flags) > 1)
		return -EINVAL;
	struct file *f = fdt_get_file(t->files, (int)a->arg[0]);
	if (!f)
		return -EBADF;
	struct thread_group *tg = pidfd_tg(f);
	long rc;
	if (!tg) {
		rc = -EBADF;
	} else if (sig < 0 || sig > GUEST_NSIG) {
		rc = -EINVAL;
	} else if (!uinfo) {
		/* As kill(2) on that process: its permission rules, SI_USER. */
		pthread_mutex_lock(&kernel.lock);
		bool gone = tg->zombie || tg->nr_threads == 0;
		int tgid = tg->tgid, pgid = tg->pgid;
		pthread_mutex_unlock(&kernel.lock);
		rc = gone ? -ESRCH
		     : flags == PIDFD_SIGNAL_THREAD ? process_tgkill(t, tgid, tgid, sig, NULL)
		     : flags == PIDFD_SIGNAL_PROCESS_GROUP ? process_kill(t, -pgid, sig)
		     : process_kill(t, tgid, sig);
	} else {
		/* As rt_sigqueueinfo(2) on that process (its EPERM rule for forged si_code). */
		siginfo_t info;
		pthread_mutex_lock(&kernel.lock);
		bool gone = tg->zombie || tg->nr_threads == 0;
		int tgid = tg->tgid;
		pthread_mutex_unlock(&kernel.lock);
		if (mm_copy_in(t->mm, &info, gaddr(uinfo), sizeof(info)))
			rc = -EFAULT;
		else if (info.si_signo != sig)
			rc = -EINVAL;
		else if (gone)
			rc = -ESRCH;
		else if (flags == PIDFD_SIGNAL_THREAD)
			rc = process_tgkill(t, tgid, tgid, sig, &info);
		else if (flags == PIDFD_SIGNAL_PROCESS_GROUP)
			rc = -EINVAL;   /* a siginfo for a whole group: not supported (docs/compat.md) */
		else
			rc = process_sigqueue(t, tgid, sig, &info);
	}
	file_put(f);
	return rc;
}

/* pidfd_getfd(2): pidfd, targetfd, flags: a duplicate of another process's fd. */
long sys_pidfd_getfd(struct task *t, const struct syscall_args *a)
{
	int target_fd = (int)a->arg[1];
	if (a->arg[2])
		return -EINVAL;
	struct file *f = fdt_get_file(t->files, (int)a->arg[0]);
	if (!f)
		return -EBADF;
	struct thread_group *tg = pidfd_tg(f);
	long rc = tg ? 0 : -EBADF;
	struct task *other = NULL;
	if (!rc) {
		pthread_mutex_lock(&kernel.lock);
		int tgid = tg->tgid;
		bool gone = tg->zombie || tg->nr_threads == 0;
		pthread_mutex_unlock(&kernel.lock);
		other = gone ? NULL : task_lookup(tgid);
		rc = other ? 0 : -ESRCH;
	}
	/* PTRACE_MODE_ATTACH: a process of another user needs CAP_SYS_PTRACE. */
	if (!rc && t->cred.euid != 0 && other->cred.uid != t->cred.euid)
		rc = -EPERM;
	if (!rc) {
		struct fd_table *files = task_get_files(other);
		struct file *g = files ? fdt_get_file(files, target_fd) : NULL;
		if (files)
			fdt_put(files);
		rc = g ? fdt_install(t->files, g, FDT_CLOEXEC, 0, fs_nofile(t)) : -EBADF;
		if (g)
			file_put(g);
	}
	if (other)
		task_put(other);
	file_put(f);
	return rc;
}
