/*
 * eventfd: a 64-bit counter behind a file (eventfd(2)). Readers sleep while
 * it is zero, writers while adding would pass 0xfffffffffffffffe; both on
 * the object's wait queue, so poll, select and epoll see it too.
 *
 * Lock order: ev->lock, then waitq.lock (waitq_wake may also run unlocked).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#define EFD_SEMAPHORE 1
#include "fs/vfs_internal.h"
#include "sentry/waitq.h"

#define EVENTFD_MAX 0xfffffffffffffffeULL

struct eventfd {
	pthread_mutex_t lock;     /* count */
	uint64_t count;
	bool semaphore;
	struct waitq wq;
};

static uint32_t eventfd_mask_locked(struct eventfd *ev)
{
	uint32_t m = 0;
	if (ev->count > 0)
		m |= POLLIN | POLLRDNORM;
	if (ev->count < EVENTFD_MAX)
		m |= POLLOUT | POLLWRNORM;
	return m;
}

static uint32_t eventfd_poll(struct file *f, struct waiter *w)
{
	struct eventfd *ev = f->priv;
	if (w)
		waiter_add(w, &ev->wq, ~0u);
	pthread_mutex_lock(&ev->lock);
	uint32_t m = eventfd_mask_locked(ev);
	pthread_mutex_unlock(&ev->lock);
	return m;
}

/*
 * Run step (under ev->lock) until it stops returning -EAGAIN, sleeping on
 * the queue in between unless the file is non-blocking.
 */
static ssize_t eventfd_wait(struct file *f, struct eventfd *ev, uint32_t events,
			    ssize_t (*step)(struct eventfd *ev, void *arg), void *arg)
{
	struct waiter w;
	bool waiting = false;
	ssize_t ret;
	for (;;) {
		if (waiting)
			waiter_reset(&w);
		pthread_mutex_lock(&ev->lock);
		ret = step(ev, arg);
		pthread_mutex_unlock(&ev->lock);
		if (ret != -EAGAIN)
			break;
		ret = waitq_block_step(&ev->wq, &w, &waiting, file_flags(f) & O_NONBLOCK, events);
		if (ret)
			break;
	}
	if (waiting)
		waiter_destroy(&w);
	return ret;
}

static ssize_t take_step(struct eventfd *ev, void *arg)
{
	uint64_t *out = arg;
	if (ev->count == 0)
		return -EAGAIN;
	*out = ev->semaphore ? 1 : ev->count;
	ev->count -= *out;
	return 8;
}

static ssize_t add_step(struct eventfd *ev, void *arg)
{
	uint64_t v = *(uint64_t *)arg;
	if (v > EVENTFD_MAX - ev->count)
		return -EAGAIN;
	ev->count += v;
	return 8;
}

static ssize_t efd_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t off)
{
	struct eventfd *ev = f->priv;
	if (iov_total(iov, iovcnt) < 8)
		return -EINVAL;
	uint64_t v = 0;
	ssize_t ret = eventfd_wait(f, ev, POLLIN, take_step, &v);
	if (ret == 8) {
		iov_from_buf(iov, iovcnt, 0, &v, 8);
		waitq_wake(&ev->wq, POLLOUT | POLLWRNORM);
	}
	return ret;
}

static ssize_t efd_write(struct file *f, const struct iovec *iov, int iovcnt, int64_t off)
{
	struct eventfd *ev = f->priv;
	if (iov_total(iov, iovcnt) < 8)
		return -EINVAL;
	uint64_t v;
	iov_to_buf(iov, iovcnt, 0, &v, 8);
	if (v == ~0ULL)
		return -EINVAL;
	ssize_t ret = eventfd_wait(f, ev, POLLOUT, add_step, &v);
	if (ret == 8 && v)
		waitq_wake(&ev->wq, POLLIN | POLLRDNORM);
	return ret;
}

static void eventfd_release(struct file *f)
{
	struct eventfd *ev = f->priv;
	waitq_destroy(&ev->wq);
	pthread_mutex_destroy(&ev->lock);
	free(ev);
}

static const struct file_ops eventfd_fops = {
	.read = efd_read,
	.write = efd_write,
	.release = eventfd_release,
	.poll = eventfd_poll,
	.unlocked = true,
	.stream = true,
};

int vfs_eventfd_create(uint64_t initval, int flags, struct file **out)
{
	struct eventfd *ev = calloc(1, sizeof(*ev));
	if (!ev)
		return -ENOMEM;
	pthread_mutex_init(&ev->lock, NULL);
	waitq_init(&ev->wq);
	ev->count = initval;
	ev->semaphore = flags & EFD_SEMAPHORE;
	struct file *f = file_new_anon(&eventfd_fops, ev, O_RDWR | (flags & O_NONBLOCK),
				       "anon_inode:[eventfd]");
	if (!f) {
		waitq_destroy(&ev->wq);
		free(ev);
		return -ENOMEM;
	}
	*out = f;
	return 0;
}
