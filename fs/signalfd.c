/*
 * signalfd: read the caller's pending signals in a mask as
 * signalfd_siginfo records (usually signals the caller blocks). The queue
 * that wakes readers is the thread group's signal_wq.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include "fs/signalfd.h"
#include "fs/vfs_internal.h"
#include "sentry/signal.h"
#include "sentry/task.h"
#include "sentry/waitq.h"

struct signalfd {
	uint64_t mask;            /* atomic: signalfd4 on an existing fd changes it */
};

static uint64_t sfd_mask(struct file *f)
{
	struct signalfd *s = f->priv;
	return __atomic_load_n(&s->mask, __ATOMIC_ACQUIRE);
}

static uint32_t sfd_poll(struct file *f, struct waiter *w)
{
	struct task *t = task_current();
	if (!t)
		return 0;
	if (w)
		waiter_add(w, t->tg->signal_wq, ~0u);
	return (signal_pending_set(t) & sfd_mask(f)) ? POLLIN | POLLRDNORM : 0;
}

/* Move up to max pending signals in mask into out; the number moved. */
static int dequeue(struct task *t, uint64_t mask, struct signalfd_siginfo *out, int max)
{
	int n = 0;
	pthread_mutex_lock(&kernel.lock);
	while (n < max) {
		siginfo_t info;
		int sig = signal_dequeue_locked(t, mask, &info);
		if (!sig)
			break;
		const siginfo_t *si = &info;
		struct signalfd_siginfo *o = &out[n++];
		memset(o, 0, sizeof(*o));
		o->ssi_signo = sig;
		o->ssi_errno = si->si_errno;
		o->ssi_code = si->si_code;
		o->ssi_pid = si->si_pid;
		o->ssi_uid = si->si_uid;
		o->ssi_status = si->si_status;
		o->ssi_addr = (uint64_t)si->si_addr;
		if (si->si_code == SI_TIMER) {
			o->ssi_tid = si->si_timerid;
			o->ssi_overrun = si->si_overrun;
		}
		if (si->si_code < 0) {
			/* sigqueue, timers, tgkill: the value travels (Linux's SIL_RT/SIL_TIMER layouts). */
			o->ssi_int = si->si_value.sival_int;
			o->ssi_ptr = (uint64_t)si->si_value.sival_ptr;
		}
	}
	pthread_mutex_unlock(&kernel.lock);
	return n;
}

static ssize_t sfd_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t off)
{
	struct task *t = task_current();
	size_t total = iov_total(iov, iovcnt);
	int max = total / sizeof(struct signalfd_siginfo);
	if (!t || max == 0)
		return -EINVAL;
	if (max > 64)
		max = 64;
	struct signalfd_siginfo out[64];
	struct waiter w;
	bool waiting = false;
	ssize_t ret;
	for (;;) {
		if (waiting)
			waiter_reset(&w);
		int n = dequeue(t, sfd_mask(f), out, max);
		if (n) {
			iov_from_buf(iov, iovcnt, 0, out, n * sizeof(out[0]));
			ret = n * sizeof(out[0]);
			break;
		}
		if ((ret = waitq_block_step(t->tg->signal_wq, &w, &waiting, file_flags(f) & O_NONBLOCK,
					    POLLIN)))
			break;
	}
	if (waiting)
		waiter_destroy(&w);
	return ret;
}

static void sfd_release(struct file *f)
{
	free(f->priv);
}

static const struct file_ops sfd_fops = {
	.read = sfd_read,
	.release = sfd_release,
	.poll = sfd_poll,
	.unlocked = true,
	.stream = true,
};

int vfs_signalfd(struct file *existing, uint64_t mask, int flags, struct file **out)
{
	if (existing) {
		if (existing->fops != &sfd_fops)
			return -EINVAL;
		struct signalfd *s = existing->priv;
		__atomic_store_n(&s->mask, mask, __ATOMIC_RELEASE);
		return 0;
	}
	struct signalfd *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->mask = mask;
	struct file *f = file_new_anon(&sfd_fops, s, O_RDWR | (flags & O_NONBLOCK),
				       "anon_inode:[signalfd]");
	if (!f) {
		free(s);
		return -ENOMEM;
	}
	*out = f;
	return 0;
}
