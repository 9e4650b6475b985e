/*
 * Advisory file locks, as Linux's fs/locks.c:
 *   - POSIX record locks (F_SETLK/F_SETLKW/F_GETLK): byte ranges owned by
 *     the descriptor table (Linux's current->files), so threads sharing
 *     it share the locks, a fork does not inherit them, and closing any
 *     descriptor of the file in that table drops them all;
 *   - OFD locks (F_OFD_*): the same ranges owned by the open file
 *     description, dropped with its last reference;
 *   - flock(2): whole-file locks owned by the open file description.
 * POSIX and OFD locks live in one list and conflict with each other;
 * flock locks are separate. Same-owner ranges are merged and split as in
 * posix_lock_inode. A blocked F_SETLKW records what it waits for, so the
 * simple deadlock cycles Linux detects give EDEADLK (posix_locks_deadlock).
 *
 * Locking: locks_mutex protects every lock context, the blocked list and
 * inode->locks. It is taken under vfs_lock (file release) or alone and
 * nothing is taken under it but waitq.lock. Sleepers wait on the
 * context's wait queue without any lock held; every change wakes them
 * (they look again). The context lives as long as its inode.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include "fs/vfs_internal.h"
#include "sentry/waitq.h"

#define OFFSET_MAX INT64_MAX
/* Linux's MAX_DEADLK_ITERATIONS. */
#define MAX_DEADLK_ITERATIONS 10

struct file_lock {
	const void *owner;             /* fd table (POSIX) or struct file (OFD) */
	bool ofd;
	short type;                    /* F_RDLCK or F_WRLCK */
	int64_t start, end;            /* inclusive; end OFFSET_MAX: to EOF and beyond */
	int pid;                       /* the setter's tgid (F_GETLK of a POSIX lock) */
	struct file_lock *next;
};

struct flock_holder {
	const struct file *owner;
	bool exclusive;
	struct flock_holder *next;
};

struct lock_ctx {
	struct file_lock *posix;       /* POSIX and OFD locks */
	struct flock_holder *flocks;
	struct waitq wq;               /* F_SETLKW and flock sleepers */
};

/* A POSIX F_SETLKW that sleeps: `owner` waits for a lock of `blocker`. */
struct blocked {
	const void *owner;
	const void *blocker;
	struct blocked *next;
};

static pthread_mutex_t locks_mutex = PTHREAD_MUTEX_INITIALIZER;
static struct blocked *blocked_list;
/* Lock records alive; a guest splitting ranges forever gets ENOLCK, not our memory. */
#define LOCKS_MAX (1 << 20)
static long nr_locks;

static struct lock_ctx *ctx_get_locked(struct inode *inode)
{
	if (inode->locks)
		return inode->locks;
	struct lock_ctx *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	waitq_init(&c->wq);
	__atomic_store_n(&inode->locks, c, __ATOMIC_RELEASE);
	return c;
}

void locks_inode_free(struct inode *inode)
{
	struct lock_ctx *c = inode->locks;
	if (!c)
		return;
	/* Every lock and sleeper holds a file, hence the inode: none are left. */
	while (c->posix) {
		struct file_lock *l = c->posix;
		c->posix = l->next;
		free(l);
		nr_locks--;
	}
	while (c->flocks) {
		struct flock_holder *h = c->flocks;
		c->flocks = h->next;
		free(h);
	}
	waitq_destroy(&c->wq);
	free(c);
	inode->locks = NULL;
}

/* ---- POSIX and OFD record locks ---- */

static bool ranges_overlap(const struct file_lock *a, int64_t start, int64_t end)
{
	return a->start <= end && start <= a->end;
}

static bool same_owner(const struct file_lock *l, const struct file_lock *req)
{
	return l->owner == req->owner && l->ofd == req->ofd;
}

static struct file_lock *find_conflict_locked(struct lock_ctx *c, const struct file_lock *req)
{
	for (struct file_lock *l = c->posix; l; l = l->next) {
		if (same_owner(l, req) || !ranges_overlap(l, req->start, req->end))
			continue;
		if (l->type == F_WRLCK || req->type == F_WRLCK)
			return l;
	}
	return NULL;
}

/* Linux's posix_locks_deadlock: would `owner` waiting on `blocker` close a cycle? */
static bool deadlock_locked(const void *owner, const void *blocker)
{
	for (int i = 0; i <= MAX_DEADLK_ITERATIONS; i++) {
		const struct blocked *b = blocked_list;
		while (b && b->owner != blocker)
			b = b->next;
		if (!b)
			return false;
		blocker = b->blocker;
		if (blocker == owner)
			return true;
	}
	return false;
}

static void unlink_lock(struct lock_ctx *c, struct file_lock *victim)
{
	for (struct file_lock **pp = &c->posix; *pp; pp = &(*pp)->next) {
		if (*pp == victim) {
			*pp = victim->next;
			free(victim);
			nr_locks--;
			return;
		}
	}
}

/*
 * Apply req (F_RDLCK, F_WRLCK or F_UNLCK) to req's owner's locks: merge
 * with adjacent or overlapping locks of the same type, cut the parts of
 * other-typed ones that it covers. No conflicts remain (checked).
 * At most two new records are needed (the request and one split tail);
 * they are allocated first so the list is never left half-changed.
 */
static int apply_locked(struct lock_ctx *c, const struct file_lock *req)
{
	if (nr_locks + 2 > LOCKS_MAX)
		return -ENOLCK;
	struct file_lock *nl = malloc(sizeof(*nl)), *split = malloc(sizeof(*split));
	if (!nl || !split) {
		free(nl);
		free(split);
		return -ENOLCK;
	}
	*nl = *req;
	bool changed = true;
	while (changed) {
		changed = false;
		for (struct file_lock *l = c->posix; l; l = l->next) {
			if (!same_owner(l, nl))
				continue;
			if (l->type == nl->type && nl->type != F_UNLCK) {
				bool adjacent = (l->end != OFFSET_MAX && l->end + 1 == nl->start) ||
						(nl->end != OFFSET_MAX && nl->end + 1 == l->start);
				if (!adjacent && !ranges_overlap(l, nl->start, nl->end))
					continue;
				nl->start = MIN(nl->start, l->start);
				nl->end = MAX(nl->end, l->end);
				unlink_lock(c, l);
				changed = true;
				break;
			}
			if (!ranges_overlap(l, nl->start, nl->end))
				continue;
			if (l->start < nl->start && l->end > nl->end) {
				/* nl punches a hole in l: l keeps the head, split the tail. */
				*split = *l;
				split->start = nl->end + 1;
				split->next = c->posix;
				c->posix = split;
				split = NULL;
				nr_locks++;
				l->end = nl->start - 1;
			} else if (l->start < nl->start) {
				l->end = nl->start - 1;
			} else if (l->end > nl->end) {
				l->start = nl->end + 1;
			} else {
				unlink_lock(c, l);
				changed = true;
				break;
			}
		}
	}
	free(split);
	if (nl->type == F_UNLCK) {
		free(nl);
	} else {
		nl->next = c->posix;
		c->posix = nl;
		nr_locks++;
	}
	return 0;
}

static void blocked_remove_locked(struct blocked *b)
{
	for (struct blocked **pp = &blocked_list; *pp; pp = &(*pp)->next) {
		if (*pp == b) {
			*pp = b->next;
			return;
		}
	}
}

/* Linux's flock64_to_posix_lock: the range in absolute offsets. */
static int flock_to_range(struct file *f, const struct flock *fl, struct file_lock *req)
{
	int64_t base;
	switch (fl->l_whence) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		vfs_lock();
		base = f->pos;
		vfs_unlock();
		break;
	case SEEK_END:
		vfs_lock();
		base = (int64_t)f->inode->size;
		vfs_unlock();
		break;
	default:
		return -EINVAL;
	}
	if (fl->l_start > OFFSET_MAX - base)
		return -EOVERFLOW;
	int64_t start = base + fl->l_start;
	if (start < 0)
		return -EINVAL;
	int64_t end;
	if (fl->l_len > 0) {
		if (fl->l_len - 1 > OFFSET_MAX - start)
			return -EOVERFLOW;
		end = start + fl->l_len - 1;
	} else if (fl->l_len < 0) {
		if (start + fl->l_len < 0)
			return -EINVAL;
		end = start - 1;
		start += fl->l_len;
	} else {
		end = OFFSET_MAX;
	}
	req->start = start;
	req->end = end;
	if (fl->l_type != F_RDLCK && fl->l_type != F_WRLCK && fl->l_type != F_UNLCK)
		return -EINVAL;
	req->type = fl->l_type;
	return 0;
}

static long record_getlk(struct file *f, const void *owner, bool ofd, struct flock *fl)
{
	if (fl->l_type != F_RDLCK && fl->l_type != F_WRLCK)
		return -EINVAL;
	struct file_lock req = { .owner = owner, .ofd = ofd };
	int rc = flock_to_range(f, fl, &req);
	if (rc)
		return rc;
	if (ofd && fl->l_pid != 0)
		return -EINVAL;
	pthread_mutex_lock(&locks_mutex);
	struct file_lock *l = f->inode->locks ? find_conflict_locked(f->inode->locks, &req) : NULL;
	if (!l) {
		fl->l_type = F_UNLCK;
	} else {
		fl->l_type = l->type;
		fl->l_whence = SEEK_SET;
		fl->l_start = l->start;
		fl->l_len = l->end == OFFSET_MAX ? 0 : l->end - l->start + 1;
		fl->l_pid = l->ofd ? -1 : l->pid;
	}
	pthread_mutex_unlock(&locks_mutex);
	return 0;
}

static long record_setlk(struct file *f, const void *owner, int pid, bool ofd, bool wait,
			 const struct flock *fl)
{
	struct file_lock req = { .owner = owner, .ofd = ofd, .pid = pid };
	int rc = flock_to_range(f, fl, &req);
	if (rc)
		return rc;
	int acc = file_flags(f) & O_ACCMODE;
	if (req.type == F_RDLCK && acc != O_RDONLY && acc != O_RDWR)
		return -EBADF;
	if (req.type == F_WRLCK && acc != O_WRONLY && acc != O_RDWR)
		return -EBADF;
	if (ofd && fl->l_pid != 0)
		return -EINVAL;
	struct inode *inode = f->inode;
	struct waiter w;
	struct blocked b = { .owner = owner };
	bool waiting = false, listed = false;
	for (;;) {
		if (waiting)
			waiter_reset(&w);
		pthread_mutex_lock(&locks_mutex);
		if (listed) {
			blocked_remove_locked(&b);
			listed = false;
		}
		struct lock_ctx *c = ctx_get_locked(inode);
		if (!c) {
			pthread_mutex_unlock(&locks_mutex);
			rc = -ENOLCK;
			break;
		}
		struct file_lock *l = req.type == F_UNLCK ? NULL : find_conflict_locked(c, &req);
		if (!l) {
			rc = apply_locked(c, &req);
			pthread_mutex_unlock(&locks_mutex);
			/* Unlocks and downgrades may let sleepers in. */
			waitq_wake(&c->wq, POLLIN);
			break;
		}
		if (!wait) {
			pthread_mutex_unlock(&locks_mutex);
			rc = -EAGAIN;
			break;
		}
		/* Linux cannot reason about OFD owners: only POSIX cycles give EDEADLK. */
		if (!ofd && !l->ofd && deadlock_locked(owner, l->owner)) {
			pthread_mutex_unlock(&locks_mutex);
			rc = -EDEADLK;
			break;
		}
		if (!waiting) {
			waiter_init(&w);
			waiting = true;
			rc = waiter_add(&w, &c->wq, POLLIN);
			pthread_mutex_unlock(&locks_mutex);
			if (rc)
				break;
			continue;      /* linked: look once more before sleeping */
		}
		if (!ofd && !l->ofd) {
			b.blocker = l->owner;
			b.next = blocked_list;
			blocked_list = &b;
			listed = true;
		}
		pthread_mutex_unlock(&locks_mutex);
		if (waiter_wait(&w, NULL) == -EINTR) {
			rc = -ERESTARTSYS;
			break;
		}
	}
	if (listed) {
		pthread_mutex_lock(&locks_mutex);
		blocked_remove_locked(&b);
		pthread_mutex_unlock(&locks_mutex);
	}
	if (waiting)
		waiter_destroy(&w);
	return rc;
}

long vfs_record_lock(struct file *f, struct fd_table *owner, int pid, int cmd, struct flock *fl)
{
	if (file_flags(f) & O_PATH)
		return -EBADF;
	switch (cmd) {
	case F_GETLK:
		return record_getlk(f, owner, false, fl);
	case F_OFD_GETLK:
		return record_getlk(f, f, true, fl);
	case F_SETLK:
	case F_SETLKW:
		return record_setlk(f, owner, pid, false, cmd == F_SETLKW, fl);
	case F_OFD_SETLK:
	case F_OFD_SETLKW:
		return record_setlk(f, f, pid, true, cmd == F_OFD_SETLKW, fl);
	}
	return -EINVAL;
}

/* Drop every lock of `owner` (and ofd kind) on the context; true if any went. */
static bool drop_owner_locked(struct lock_ctx *c, const void *owner, bool ofd)
{
	bool any = false;
	struct file_lock **pp = &c->posix;
	while (*pp) {
		struct file_lock *l = *pp;
		if (l->owner == owner && l->ofd == ofd) {
			*pp = l->next;
			free(l);
			nr_locks--;
			any = true;
		} else {
			pp = &l->next;
		}
	}
	return any;
}

void vfs_locks_close(struct file *f, struct fd_table *owner)
{
	struct inode *inode = f->inode;
	/* The context, once made, lives as long as the inode (f holds it). */
	if (!inode || !__atomic_load_n(&inode->locks, __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&locks_mutex);
	struct lock_ctx *c = inode->locks;
	bool any = c && drop_owner_locked(c, owner, false);
	pthread_mutex_unlock(&locks_mutex);
	if (any)
		waitq_wake(&c->wq, POLLIN);
}

/* ---- flock(2) ---- */

static bool flock_remove_locked(struct lock_ctx *c, const struct file *f)
{
	for (struct flock_holder **pp = &c->flocks; *pp; pp = &(*pp)->next) {
		if ((*pp)->owner == f) {
			struct flock_holder *h = *pp;
			*pp = h->next;
			free(h);
			return true;
		}
	}
	return false;
}

static bool flock_conflict_locked(struct lock_ctx *c, const struct file *f, bool exclusive)
{
	for (struct flock_holder *h = c->flocks; h; h = h->next)
		if (h->owner != f && (exclusive || h->exclusive))
			return true;
	return false;
}

void locks_release_file(struct file *f)
{
	struct inode *inode = f->inode;
	if (!inode || !inode->locks)
		return;
	pthread_mutex_lock(&locks_mutex);
	struct lock_ctx *c = inode->locks;
	bool any = flock_remove_locked(c, f);
	any |= drop_owner_locked(c, f, true);
	pthread_mutex_unlock(&locks_mutex);
	if (any)
		waitq_wake(&c->wq, POLLIN);
}

/*
 * Whole-file locks owned by the open file description. A blocking wait
 * sleeps on the context's queue and a signal ends it (-ERESTARTSYS, as
 * Linux's flock_lock_inode_wait).
 */
int vfs_flock(struct file *f, int op)
{
	bool nb = op & LOCK_NB;
	op &= ~LOCK_NB;
	if (op != LOCK_SH && op != LOCK_EX && op != LOCK_UN)
		return -EINVAL;
	if (f->flags & O_PATH)
		return -EBADF;
	struct inode *inode = f->inode;
	bool ex = op == LOCK_EX;
	struct waiter w;
	bool waiting = false;
	int rc;
	for (bool first = true;; first = false) {
		if (waiting)
			waiter_reset(&w);
		pthread_mutex_lock(&locks_mutex);
		struct lock_ctx *c = ctx_get_locked(inode);
		if (!c) {
			pthread_mutex_unlock(&locks_mutex);
			rc = -ENOLCK;
			break;
		}
		/* Unlocking and converting drop the old lock first, as Linux does. */
		bool dropped = first && flock_remove_locked(c, f);
		if (dropped)
			waitq_wake(&c->wq, POLLIN);
		if (op == LOCK_UN) {
			pthread_mutex_unlock(&locks_mutex);
			rc = 0;
			break;
		}
		if (!flock_conflict_locked(c, f, ex)) {
			struct flock_holder *h = malloc(sizeof(*h));
			rc = h ? 0 : -ENOLCK;
			if (h) {
				h->owner = f;
				h->exclusive = ex;
				h->next = c->flocks;
				c->flocks = h;
			}
			pthread_mutex_unlock(&locks_mutex);
			break;
		}
		if (nb) {
			pthread_mutex_unlock(&locks_mutex);
			rc = -EWOULDBLOCK;
			break;
		}
		if (!waiting) {
			waiter_init(&w);
			waiting = true;
			rc = waiter_add(&w, &c->wq, POLLIN);
			pthread_mutex_unlock(&locks_mutex);
			if (rc)
				break;
			continue;
		}
		pthread_mutex_unlock(&locks_mutex);
		if (waiter_wait(&w, NULL) == -EINTR) {
			rc = -ERESTARTSYS;
			break;
		}
	}
	if (waiting)
		waiter_destroy(&w);
	return rc;
}
