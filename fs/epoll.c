/*
 * epoll: an interest list of (fd, file, events, data). epoll_wait asks each
 * file for its ready mask (vfs_poll) and sleeps on all of their queues.
 * Edge-triggered items report only after their file woke them since the
 * last report: each item keeps a waiter permanently linked on its file's
 * queue, used as an "activity" flag. EPOLLONESHOT disables an item after
 * one report until EPOLL_CTL_MOD. EPOLLEXCLUSIVE is accepted (a wake may
 * reach more than one waiter: allowed, as spurious wakeups are).
 *
 * Nesting: each item's activity waiter relays its wakes to the epoll's own
 * queue (waiter.relay), so activity inside wakes an outer epoll or poll
 * linked there. Adding an epoll to an epoll checks Linux's limits: no loops and
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
	struct epoll *next_ep, *prev_ep;   /* all epoll sets (all_lock) */
};

/* Every epoll set, for epoll_forget_file. all_lock is taken before any ep->lock. */
static pthread_mutex_t all_lock = PTHREAD_MUTEX_INITIALIZER;
static struct epoll *all_eps;

/* Drop an item's hold on its file; call with no epoll lock held. */
static void item_free(struct ep_item *it)
{
	waiter_destroy(&it->activity);
	__atomic_sub_fetch(&it->file->epoll_refs, 1, __ATOMIC_ACQ_REL);
	file_put(it->file);
	free(it);
}

void epoll_forget_file(struct file *f)
{
	struct ep_item *gone = NULL;
	pthread_mutex_lock(&all_lock);
	for (struct epoll *ep = all_eps; ep; ep = ep->next_ep) {
		pthread_mutex_lock(&ep->lock);
		for (struct ep_item **pp = &ep->items; *pp;) {
			struct ep_item *it = *pp;
			if (it->file == f) {
				*pp = it->next;
				it->next = gone;
				gone = it;
			} else {
				pp = &it->next;
			}
		}
		pthread_mutex_unlock(&ep->lock);
	}
	pthread_mutex_unlock(&all_lock);
	while (gone) {
		struct ep_item *next = gone->next;
		item_free(gone);
		gone = next;
	}
}

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
	uint32_t any = ep_ready_locked(ep, NULL, NULL, 0, &n);
	pthread_mutex_unlock(&ep->lock);
	return any ? POLLIN | POLLRDNORM : 0;
}

static void epoll_release(struct file *f)
{
	struct epoll *ep = f->priv;
	pthread_mutex_lock(&all_lock);
	if (ep->prev_ep)
		ep->prev_ep->next_ep = ep->next_ep;
	else
		all_eps = ep->next_ep;
	if (ep->next_ep)
		ep->next_ep->prev_ep = ep->prev_ep;
	pthread_mutex_lock(&ep->lock);
	struct ep_item *it = ep->items;
	ep->items = NULL;
	pthread_mutex_unlock(&ep->lock);
	pthread_mutex_unlock(&all_lock);
	while (it) {
		struct ep_item *next = it->next;
		item_free(it);
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

int vfs_epoll_size(struct file *epf)
{
	struct epoll *ep = epf->priv;
	int n = 0;
	pthread_mutex_lock(&ep->lock);
	for (struct ep_item *it = ep->items; it; it = it->next)
		n++;
	pthread_mutex_unlock(&ep->lock);
	return n;
}

int vfs_epoll_create(int flags, struct file **out)
{
	struct epoll *ep = calloc(1, sizeof(*ep));
	if (!ep)
		return -ENOMEM;
	pthread_mutex_init(&ep->lock, NULL);
	waitq_init(&ep->wq);
	struct file *f = file_new_anon(&epoll_fops, ep, O_RDWR, "anon_inode:[eventpoll]");
	if (!f) {
		waitq_destroy(&ep->wq);
		free(ep);
		return -ENOMEM;
	}
	pthread_mutex_lock(&all_lock);
	ep->next_ep = all_eps;
	if (all_eps)
		all_eps->prev_ep = ep;
	all_eps = ep;
	pthread_mutex_unlock(&all_lock);
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
		__atomic_add_fetch(&target->epoll_refs, 1, __ATOMIC_ACQ_REL);
		it->events = (events & ~EPOLLWAKEUP) | EPOLLWAKEUP;   /* first report pending */
		it->data = data;
		waiter_init(&it->activity);
		it->activity.relay = &ep->wq;
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
		break;
	default:
		rc = -EINVAL;
	}
	pthread_mutex_unlock(&ep->lock);
	if (!rc && op == EPOLL_CTL_DEL)
		item_free(it);     /* outside ep->lock: its file_put may reach epoll_forget_file */
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
