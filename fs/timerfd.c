/*
 * timerfd: a timer whose expirations are read as a 64-bit count. The
 * sentry's timer thread counts them (callback) and wakes readers and
 * pollers through the file's wait queue.
 *
 * Lock order: the timer lock, then tfd->lock, then waitq locks.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include "fs/timerfd.h"
#include "fs/vfs_internal.h"
#include "sentry/timer.h"
#include "sentry/waitq.h"

struct timerfd {
	pthread_mutex_t lock;     /* ticks */
	uint64_t ticks;           /* expirations not yet read */
	struct ktimer *timer;
	struct waitq wq;
};

static void tfd_fire(void *arg, uint64_t count)
{
	struct timerfd *t = arg;
	pthread_mutex_lock(&t->lock);
	t->ticks += count;
	pthread_mutex_unlock(&t->lock);
	waitq_wake(&t->wq, POLLIN | POLLRDNORM);
}

static uint32_t tfd_poll(struct file *f, struct waiter *w)
{
	struct timerfd *t = f->priv;
	if (w)
		waiter_add(w, &t->wq, ~0u);
	pthread_mutex_lock(&t->lock);
	uint32_t m = t->ticks ? POLLIN | POLLRDNORM : 0;
	pthread_mutex_unlock(&t->lock);
	return m;
}

static ssize_t tfd_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t off)
{
	struct timerfd *t = f->priv;
	if (iov_total(iov, iovcnt) < 8)
		return -EINVAL;
	struct waiter w;
	bool waiting = false;
	ssize_t ret;
	for (;;) {
		if (waiting)
			waiter_reset(&w);
		pthread_mutex_lock(&t->lock);
		uint64_t n = t->ticks;
		t->ticks = 0;
		pthread_mutex_unlock(&t->lock);
		if (n) {
			iov_from_buf(iov, iovcnt, 0, &n, 8);
			ret = 8;
			break;
		}
		if ((ret = waitq_block_step(&t->wq, &w, &waiting, file_flags(f) & O_NONBLOCK, POLLIN)))
			break;
	}
	if (waiting)
		waiter_destroy(&w);
	return ret;
}

static void tfd_release(struct file *f)
{
	struct timerfd *t = f->priv;
	ktimer_destroy(t->timer);
	waitq_destroy(&t->wq);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

static const struct file_ops tfd_fops = {
	.read = tfd_read,
	.release = tfd_release,
	.poll = tfd_poll,
	.unlocked = true,
	.stream = true,
};

int vfs_timerfd_create(clockid_t clock, int flags, struct file **out)
{
	struct timerfd *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	pthread_mutex_init(&t->lock, NULL);
	waitq_init(&t->wq);
	t->timer = ktimer_create_cb(clock, tfd_fire, t);
	struct file *f = t->timer ? file_new_anon(&tfd_fops, t, O_RDWR | (flags & O_NONBLOCK),
						  "anon_inode:[timerfd]")
				  : NULL;
	if (!f) {
		if (t->timer)
			ktimer_destroy(t->timer);
		waitq_destroy(&t->wq);
		free(t);
		return -ENOMEM;
	}
	*out = f;
	return 0;
}

bool file_is_timerfd(struct file *f)
{
	return f->fops == &tfd_fops;
}

void vfs_timerfd_settime(struct file *f, int flags, int64_t value, int64_t interval,
			 int64_t *old_value, int64_t *old_interval)
{
	struct timerfd *t = f->priv;
	pthread_mutex_lock(&t->lock);
	t->ticks = 0;     /* re-arming discards unread expirations, as Linux */
	pthread_mutex_unlock(&t->lock);
	ktimer_set(t->timer, flags, value, interval, old_value, old_interval);
}

void vfs_timerfd_gettime(struct file *f, int64_t *value, int64_t *interval)
{
	struct timerfd *t = f->priv;
	ktimer_get(t->timer, value, interval);
}
