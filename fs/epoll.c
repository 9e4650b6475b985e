/*
 * epoll: an interest list of (fd, file, events, data). epoll_wait asks each
 * file for its ready mask (vfs_poll) and sleeps on all of their queues.
 * Edge-triggered items report only after their file woke them since the
 * last report: each item keeps a waiter permanently linked on its file's
 * queue, used as an "activity" flag. EPOLLONESHOT disables an item after
 * one report until EPOLL_CTL_MOD. EPOLLEXCLUSIVE is accepted (a wake may
 * reach more than one waiter: allowed, as spurious wakeups are).
 *
 * Nesting: an epoll file polled with a waiter links it on its own queue
 * and on every item's file, so activity inside wakes the outer epoll or
 * poll. Adding an epoll to an epoll checks Linux's limits: no loops and
 * at most EP_MAX_NESTS levels (ELOOP).
 *
 * Locks: ep->lock protects the item list; it is never held while sleeping.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include "fs/epoll.h"
#include "fs/vfs_internal.h"
#include "sentry/waitq.h"

struct ep_item {
	int fd;
	struct file *file;        /* a reference while registered */
	uint32_t events;
	uint64_t data;
	bool disabled;            /* EPOLLONESHOT fired */
	struct waiter activity;   /* linked on the file's queue: woken since last report? */
	struct ep_item *next;
};

struct epoll {
	pthread_mutex_t lock;
	struct ep_item *items;
	struct waitq wq;          /* for an epoll fd inside poll/select/epoll */
};

#define ALWAYS (EPOLLERR | EPOLLHUP)
#define EP_MAX_NESTS 4

static uint32_t ep_ready_locked(struct epoll *ep, struct waiter *w, struct epoll_event *out,
				int max, int *n)
{
	uint32_t any = 0;
	for (struct ep_item *it = ep->items; it; it = it->next) {
		if (it->disabled)
			continue;
		bool edge = it->events & EPOLLET;
		pthread_mutex_lock(&it->activity.mutex);
		bool woke = it->activity.fired;
		pthread_mutex_unlock(&it->activity.mutex);
		uint32_t mask = vfs_poll(it->file, w) & (it->events | ALWAYS);
		if (!mask)
			continue;
		/*
		 * Edge-triggered: only when the file changed since the last report
		 * (EPOLLWAKEUP, which the sentry does not honour otherwise, marks
		 * an item added or modified while already ready: reported once).
		 */
		if (edge && !woke && !(it->events & EPOLLWAKEUP))
			continue;
		any |= mask;
		if (out && *n < max) {
			out[*n].events = mask;
			out[*n].data.u64 = it->data;
			(*n)++;
			if (it->events & EPOLLONESHOT)
				it->disabled = true;
			it->events &= ~EPOLLWAKEUP;
			if (edge)
				waiter_reset(&it->activity);
		}
	}
	return any;
}

static uint32_t epoll_poll(struct file *f, struct waiter *w)
{
	struct epoll *ep = f->priv;
	if (w)
		waiter_add(w, &ep->wq, ~0u);
	pthread_mutex_lock(&ep->lock);
	int n = 0;
	/* With a waiter: also linked on the items' files (a nested epoll, or poll on it). */
	uint32_t any = ep_ready_locked(ep, w, NULL, 0, &n);
	pthread_mutex_unlock(&ep->lock);
	return any ? POLLIN | POLLRDNORM : 0;
}

static void epoll_release(struct file *f)
{
	struct epoll *ep = f->priv;
	struct ep_item *it = ep->items;
	while (it) {
		struct ep_item *next = it->next;
		waiter_destroy(&it->activity);
		file_put(it->file);
		free(it);
		it = next;
	}
	waitq_destroy(&ep->wq);
	pthread_mutex_destroy(&ep->lock);
	free(ep);
}

static const struct file_ops epoll_fops = {
	.release = epoll_release,
	.poll = epoll_poll,
	.unlocked = true,
	.stream = true,
};

bool file_is_epoll(struct file *f)
{
	return f->fops == &epoll_fops;
}

int vfs_epoll_create(int flags, struct file **out)
{
	struct epoll *ep = calloc(1, sizeof(*ep));
	if (!ep)
		return -ENOMEM;
	pthread_mutex_init(&ep->lock, NULL);
	waitq_init(&ep->wq);
	vfs_lock();
	struct inode *inode = inode_alloc(vfs_anon_sb(), 0600, NULL, &epoll_fops);
	vfs_unlock();
	struct file *f = inode ? file_alloc_anon(inode, &epoll_fops, ep, O_RDWR,
						 "anon_inode:[eventpoll]")
			       : NULL;
	if (inode) {
		vfs_lock();
		inode_put(inode);
		vfs_unlock();
	}
	if (!f) {
		waitq_destroy(&ep->wq);
		free(ep);
		return -ENOMEM;
	}
	*out = f;
	return 0;
}

/*
 * How deep the epoll nesting below ep goes (1: no epoll items), or -ELOOP if
 * it reaches `forbidden`. Locks one epoll at a time.
 */
static int ep_depth(struct epoll *ep, struct epoll *forbidden, int level)
{
	if (ep == forbidden || level > EP_MAX_NESTS + 1)
		return -ELOOP;
	struct file *kids[64];
	int nk = 0, deepest = 1;
	pthread_mutex_lock(&ep->lock);
	for (struct ep_item *it = ep->items; it; it = it->next) {
		if (file_is_epoll(it->file) && nk < (int)(sizeof(kids) / sizeof(kids[0]))) {
			file_get(it->file);
			kids[nk++] = it->file;
		}
	}
	pthread_mutex_unlock(&ep->lock);
	for (int i = 0; i < nk; i++) {
		int d = deepest < 0 ? deepest : ep_depth(kids[i]->priv, forbidden, level + 1);
		if (d < 0)
			deepest = d;
		else if (deepest >= 0 && d + 1 > deepest)
			deepest = d + 1;
		file_put(kids[i]);
	}
	return deepest;
}

int vfs_epoll_ctl(struct file *epf, int op, int fd, struct file *target, uint32_t events,
		  uint64_t data)
{
	struct epoll *ep = epf->priv;
	/* Unknown bits are ignored as Linux does; EPOLLEXCLUSIVE has its own rules. */
	if ((events & EPOLLEXCLUSIVE) && (op == EPOLL_CTL_MOD ||
	    (events & ~(EPOLLEXCLUSIVE | EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLET |
			EPOLLWAKEUP))))
		return -EINVAL;
	if (target == epf)
		return -EINVAL;
	if (file_is_epoll(target) && op == EPOLL_CTL_ADD) {
		/* No loops, and at most EP_MAX_NESTS epolls inside one another. */
		int d = ep_depth(target->priv, epf->priv, 1);
		if (d < 0 || d >= EP_MAX_NESTS + 1)
			return -ELOOP;
	}
	pthread_mutex_lock(&ep->lock);
	struct ep_item **pp = &ep->items, *it = NULL;
	for (; *pp; pp = &(*pp)->next) {
		if ((*pp)->fd == fd && (*pp)->file == target) {
			it = *pp;
			break;
		}
	}
	int rc = 0;
	switch (op) {
	case EPOLL_CTL_ADD:
		if (it) {
			rc = -EEXIST;
			break;
		}
		it = calloc(1, sizeof(*it));
		if (!it) {
			rc = -ENOMEM;
			break;
		}
		it->fd = fd;
		it->file = target;
		file_get(target);
		it->events = (events & ~EPOLLWAKEUP) | EPOLLWAKEUP;   /* first report pending */
		it->data = data;
		waiter_init(&it->activity);
		vfs_poll(target, &it->activity);
		it->next = ep->items;
		ep->items = it;
		break;
	case EPOLL_CTL_MOD:
		if (!it) {
			rc = -ENOENT;
			break;
		}
		if (it->events & EPOLLEXCLUSIVE) {
			rc = -EINVAL;
			break;
		}
		it->events = (events & ~EPOLLWAKEUP) | EPOLLWAKEUP;
		it->data = data;
		it->disabled = false;
		break;
	case EPOLL_CTL_DEL:
		if (!it) {
			rc = -ENOENT;
			break;
		}
		*pp = it->next;
		waiter_destroy(&it->activity);
		file_put(it->file);
		free(it);
		break;
	default:
		rc = -EINVAL;
	}
	pthread_mutex_unlock(&ep->lock);
	if (!rc)
		waitq_wake(&ep->wq, ~0u);
	return rc;
}


int vfs_epoll_wait(struct file *epf, struct epoll_event *out, int max,
		   const struct timespec *deadline)
{
	struct epoll *ep = epf->priv;
	struct waiter w;
	waiter_init(&w);
	int n;
	for (;;) {
		waiter_reset(&w);
		waiter_remove_all(&w);
		n = 0;
		pthread_mutex_lock(&ep->lock);
		ep_ready_locked(ep, &w, out, max, &n);
		pthread_mutex_unlock(&ep->lock);
		if (n)
			break;
		waiter_add(&w, &ep->wq, ~0u);    /* items added while we sleep */
		int rc = waiter_wait(&w, deadline);
		if (rc == -ETIMEDOUT) {
			n = 0;
			break;
		}
		if (rc == -EINTR) {
			n = -EINTR;
			break;
		}
	}
	waiter_destroy(&w);
	return n;
}
