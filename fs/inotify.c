/*
 * inotify (inotify_init1, inotify_add_watch, inotify_rm_watch), after
 * Linux's fs/notify/inotify. An instance is an anonymous file holding an
 * event queue; a watch ("mark") links an instance to an inode. The VFS
 * reports changes through the fsnotify_* hooks (fs/vfs_internal.h):
 * an event on an inode goes to its own marks and, with the entry's name,
 * to the marks of the directory it is in (the parent's event first, as
 * fsnotify_handle_event orders them).
 *
 * Where we differ: marks hold no inode reference; when an inode is freed
 * its marks end (IN_DELETE_SELF if it was unlinked, then IN_IGNORED).
 * tmpfs and overlay inodes live while they have a name or an open file,
 * so this is Linux's behaviour for them; inodes that are not cached
 * (procfs) lose their watches when dropped.
 *
 * Locks: marks (inode->marks, inst->marks) are protected by vfs_lock.
 * inst->lock protects the event queue; it is taken under vfs_lock or
 * alone (read, poll), and only waitq.lock is taken under it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include "fs/dnotify.h"
#include "fs/vfs_internal.h"
#include "sentry/mm.h"
#include "sentry/task.h"
#include "sentry/waitq.h"

/* /proc/sys/fs/inotify defaults. */
#define INOTIFY_MAX_QUEUED 16384
#define INOTIFY_MAX_WATCHES 8192

#define IN_ALL_FLAGS (IN_ALL_EVENTS | IN_UNMOUNT | IN_Q_OVERFLOW | IN_IGNORED | IN_ONLYDIR | \
		      IN_DONT_FOLLOW | IN_EXCL_UNLINK | IN_MASK_CREATE | IN_MASK_ADD | IN_ISDIR | \
		      IN_ONESHOT)

struct inotify_ev {
	struct inotify_ev *next;
	int wd;
	uint32_t mask, cookie;
	uint32_t len;                  /* name bytes in the record, padded (0: no name) */
	char name[];
};

struct inotify_inst {
	pthread_mutex_t lock;          /* the queue below */
	struct waitq wq;
	struct inotify_ev *head, *tail;
	size_t nevents, bytes;
	bool overflowed;               /* an IN_Q_OVERFLOW is queued */
	/* vfs_lock: */
	struct inotify_mark *marks;
	int next_wd, nmarks;
};

struct inotify_mark {
	struct inotify_inst *inst;
	struct inode *inode;           /* no reference: see the top comment */
	int wd;
	uint32_t mask;
	struct inotify_mark *inode_next, *inst_next;
};

/* Marks alive anywhere: the hooks return at once when there are none. */
static int active_marks;
/* Instances alive: fs.inotify.max_user_instances (128), for the whole sandbox. */
#define INOTIFY_MAX_INSTANCES 128
static int instances;
static uint32_t next_cookie;

static const struct file_ops inotify_fops;

/* ---- the queue ---- */

static size_t ev_size(const struct inotify_ev *e)
{
	return sizeof(struct inotify_event) + e->len;
}

static void queue_locked(struct inotify_inst *in, struct inotify_ev *e)
{
	if (in->tail)
		in->tail->next = e;
	else
		in->head = e;
	in->tail = e;
	in->nevents++;
	in->bytes += ev_size(e);
}

static void inst_queue(struct inotify_inst *in, int wd, uint32_t mask, uint32_t cookie,
		       const char *name)
{
	size_t nlen = name ? strlen(name) : 0;
	/* The name is NUL terminated and padded to the record size (16). */
	uint32_t len = name ? (uint32_t)((nlen + 1 + 15) & ~15UL) : 0;
	pthread_mutex_lock(&in->lock);
	/* inotify_merge: an event identical to the last one queued is dropped. */
	struct inotify_ev *t = in->tail;
	if (t && t->wd == wd && t->mask == mask && t->cookie == cookie &&
	    ((!name && !t->len) || (name && t->len && strcmp(t->name, name) == 0))) {
		pthread_mutex_unlock(&in->lock);
		return;
	}
	struct inotify_ev *e = NULL;
	if (in->nevents < INOTIFY_MAX_QUEUED)
		e = calloc(1, sizeof(*e) + len);
	if (!e) {
		if (!in->overflowed && (e = calloc(1, sizeof(*e)))) {
			e->wd = -1;
			e->mask = IN_Q_OVERFLOW;
			in->overflowed = true;
			queue_locked(in, e);
		}
		pthread_mutex_unlock(&in->lock);
		waitq_wake(&in->wq, POLLIN | POLLRDNORM);
		return;
	}
	e->wd = wd;
	e->mask = mask;
	e->cookie = cookie;
	e->len = len;
	if (name)
		memcpy(e->name, name, nlen);
	queue_locked(in, e);
	pthread_mutex_unlock(&in->lock);
	waitq_wake(&in->wq, POLLIN | POLLRDNORM);
}

/* ---- marks (vfs_lock held) ---- */

static void mark_unlink(struct inotify_mark *m)
{
	for (struct inotify_mark **pp = &m->inode->marks; *pp; pp = &(*pp)->inode_next) {
		if (*pp == m) {
			*pp = m->inode_next;
			break;
		}
	}
	for (struct inotify_mark **pp = &m->inst->marks; *pp; pp = &(*pp)->inst_next) {
		if (*pp == m) {
			*pp = m->inst_next;
			break;
		}
	}
	m->inst->nmarks--;
	__atomic_sub_fetch(&active_marks, 1, __ATOMIC_RELAXED);
}

/* End a watch: IN_IGNORED, then free it. */
static void mark_destroy(struct inotify_mark *m)
{
	mark_unlink(m);
	inst_queue(m->inst, m->wd, IN_IGNORED, 0, NULL);
	free(m);
}

/* Deliver mask (IN_ISDIR already folded in) to the marks of inode. */
static void notify_marks(struct inode *inode, uint32_t mask, uint32_t cookie, const char *name)
{
	struct inotify_mark *m = inode->marks;
	while (m) {
		struct inotify_mark *next = m->inode_next;
		if (m->mask & mask & IN_ALL_EVENTS) {
			inst_queue(m->inst, m->wd, mask, cookie, name);
			if (m->mask & IN_ONESHOT)
				mark_destroy(m);
		}
		m = next;
	}
}

static bool active(void)
{
	return __atomic_load_n(&active_marks, __ATOMIC_RELAXED) > 0 || dnotify_active();
}

/* An event on d's inode: the parent directory's watches (with the name), then its own. */
static void notify_dentry(struct dentry *d, uint32_t mask)
{
	struct inode *inode = d->inode;
	if (!inode)
		return;
	if (S_ISDIR(inode->mode))
		mask |= IN_ISDIR;
	if (d->parent && d->parent->inode && !d->dead) {
		if (d->parent->inode->marks)
			notify_marks(d->parent->inode, mask, 0, d->name);
		dnotify_event(d->parent->inode, mask);
	}
	if (inode->marks)
		notify_marks(inode, mask, 0, NULL);
}

/* ---- hooks (vfs_lock held) ---- */

void fsnotify_create(struct dentry *dir, const char *name, bool isdir)
{
	if (active() && dir && dir->inode && dir->inode->marks)
		notify_marks(dir->inode, IN_CREATE | (isdir ? IN_ISDIR : 0), 0, name);
	if (dir)
		dnotify_event(dir->inode, IN_CREATE);
}

void fsnotify_delete(struct dentry *dir, const char *name, bool isdir)
{
	if (active() && dir && dir->inode && dir->inode->marks)
		notify_marks(dir->inode, IN_DELETE | (isdir ? IN_ISDIR : 0), 0, name);
	if (dir)
		dnotify_event(dir->inode, IN_DELETE);
}

void fsnotify_link_count(struct inode *inode)
{
	if (active() && inode && inode->marks)
		notify_marks(inode, IN_ATTRIB | (S_ISDIR(inode->mode) ? IN_ISDIR : 0), 0, NULL);
}

void fsnotify_move(struct dentry *odir, const char *oname, struct dentry *ndir,
		   const char *nname, struct inode *moved, bool isdir)
{
	if (!active())
		return;
	uint32_t dirbit = isdir ? IN_ISDIR : 0;
	uint32_t cookie = __atomic_add_fetch(&next_cookie, 1, __ATOMIC_RELAXED);
	if (odir->inode->marks)
		notify_marks(odir->inode, IN_MOVED_FROM | dirbit, cookie, oname);
	if (ndir->inode->marks)
		notify_marks(ndir->inode, IN_MOVED_TO | dirbit, cookie, nname);
	dnotify_event(odir->inode, IN_MOVED_FROM);
	if (ndir->inode != odir->inode)
		dnotify_event(ndir->inode, IN_MOVED_TO);
	if (moved && moved->marks)
		notify_marks(moved, IN_MOVE_SELF | dirbit, 0, NULL);
}

void fsnotify_setattr(struct dentry *d, unsigned attr_mask)
{
	if (!active())
		return;
	uint32_t mask = 0;
	if (attr_mask & (ATTR_UID | ATTR_GID | ATTR_MODE))
		mask |= IN_ATTRIB;
	if (attr_mask & ATTR_SIZE)
		mask |= IN_MODIFY;
	/* Both times: a utimes call (fsnotify_change). */
	if ((attr_mask & (ATTR_ATIME | ATTR_MTIME)) == (ATTR_ATIME | ATTR_MTIME))
		mask |= IN_ATTRIB;
	else if (attr_mask & ATTR_ATIME)
		mask |= IN_ACCESS;
	else if (attr_mask & ATTR_MTIME)
		mask |= IN_MODIFY;
	if (mask)
		notify_dentry(d, mask);
}

void fsnotify_xattr(struct dentry *d)
{
	if (active())
		notify_dentry(d, IN_ATTRIB);
}

static void notify_file(struct file *f, uint32_t mask)
{
	if (!active() || !f->dentry || (f->flags & O_PATH))
		return;
	vfs_lock();
	notify_dentry(f->dentry, mask);
	vfs_unlock();
}

void fsnotify_open(struct file *f)
{
	notify_file(f, IN_OPEN);
}

void fsnotify_access(struct file *f)
{
	notify_file(f, IN_ACCESS);
}

void fsnotify_modify(struct file *f)
{
	notify_file(f, IN_MODIFY);
}

void fsnotify_close(struct file *f)
{
	int acc = f->flags & O_ACCMODE;
	notify_file(f, acc == O_WRONLY || acc == O_RDWR ? IN_CLOSE_WRITE : IN_CLOSE_NOWRITE);
}

void inotify_inode_gone(struct inode *inode)
{
	vfs_lock();
	while (inode->marks) {
		struct inotify_mark *m = inode->marks;
		if (inode->nlink == 0 && (m->mask & IN_DELETE_SELF))
			inst_queue(m->inst, m->wd,
				   IN_DELETE_SELF | (S_ISDIR(inode->mode) ? IN_ISDIR : 0), 0, NULL);
		mark_destroy(m);
	}
	vfs_unlock();
}

/* ---- the file ---- */

static ssize_t inotify_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t off)
{
	struct inotify_inst *in = f->priv;
	size_t cap = iov_total(iov, iovcnt);
	struct waiter w;
	bool waiting = false;
	ssize_t ret;
	for (;;) {
		if (waiting)
			waiter_reset(&w);
		size_t done = 0;
		ret = 0;
		pthread_mutex_lock(&in->lock);
		while (in->head) {
			struct inotify_ev *e = in->head;
			size_t sz = ev_size(e);
			if (sz > cap - done) {
				/* get_one_event: not even the first event fits. */
				if (!done)
					ret = -EINVAL;
				break;
			}
			struct inotify_event hdr = { e->wd, e->mask, e->cookie, e->len };
			iov_from_buf(iov, iovcnt, done, &hdr, sizeof(hdr));
			if (e->len)
				iov_from_buf(iov, iovcnt, done + sizeof(hdr), e->name, e->len);
			done += sz;
			in->head = e->next;
			if (!in->head)
				in->tail = NULL;
			in->nevents--;
			in->bytes -= sz;
			if (e->mask == IN_Q_OVERFLOW)
				in->overflowed = false;
			free(e);
		}
		pthread_mutex_unlock(&in->lock);
		if (done) {
			ret = (ssize_t)done;
			break;
		}
		if (ret)
			break;
		if ((ret = waitq_block_step(&in->wq, &w, &waiting, file_flags(f) & O_NONBLOCK, POLLIN)))
			break;
	}
	if (waiting)
		waiter_destroy(&w);
	return ret;
}

static uint32_t inotify_poll(struct file *f, struct waiter *w)
{
	struct inotify_inst *in = f->priv;
	if (w)
		waiter_add(w, &in->wq, ~0u);
	pthread_mutex_lock(&in->lock);
	uint32_t m = in->head ? POLLIN | POLLRDNORM : 0;
	pthread_mutex_unlock(&in->lock);
	return m;
}

static long inotify_ioctl(struct file *f, struct task *t, unsigned cmd, uint64_t arg)
{
	struct inotify_inst *in = f->priv;
	if (cmd != FIONREAD)
		return -EINVAL;        /* inotify_ioctl: anything else is EINVAL */
	pthread_mutex_lock(&in->lock);
	int n = (int)in->bytes;
	pthread_mutex_unlock(&in->lock);
	return mm_copy_out(t->mm, gaddr(arg), &n, sizeof(n));
}

/* The last reference (vfs_lock held by file_put): end every watch, free the queue. */
static void inotify_release(struct file *f)
{
	struct inotify_inst *in = f->priv;
	vfs_lock();
	while (in->marks) {
		struct inotify_mark *m = in->marks;
		mark_unlink(m);
		free(m);
	}
	vfs_unlock();
	while (in->head) {
		struct inotify_ev *e = in->head;
		in->head = e->next;
		free(e);
	}
	waitq_destroy(&in->wq);
	pthread_mutex_destroy(&in->lock);
	free(in);
	__atomic_sub_fetch(&instances, 1, __ATOMIC_RELAXED);
}

/* O_ASYNC (fsnotify_fasync): POLL_IN when an event is queued. */
static int inotify_fasync(struct file *f, int fd, bool on)
{
	struct inotify_inst *in = f->priv;
	return fasync_update(&in->wq, file_fown(f), fd, POLLIN | POLLRDNORM, POLL_IN, on);
}

static const struct file_ops inotify_fops = {
	.read = inotify_read,
	.ioctl = inotify_ioctl,
	.release = inotify_release,
	.poll = inotify_poll,
	.fasync = inotify_fasync,
	.unlocked = true,
	.stream = true,
};

int vfs_inotify_create(int flags, struct file **out)
{
	if (__atomic_add_fetch(&instances, 1, __ATOMIC_RELAXED) > INOTIFY_MAX_INSTANCES) {
		__atomic_sub_fetch(&instances, 1, __ATOMIC_RELAXED);
		return -EMFILE;
	}
	struct inotify_inst *in = calloc(1, sizeof(*in));
	if (!in) {
		__atomic_sub_fetch(&instances, 1, __ATOMIC_RELAXED);
		return -ENOMEM;
	}
	pthread_mutex_init(&in->lock, NULL);
	waitq_init(&in->wq);
	in->next_wd = 1;
	struct file *f = file_new_anon(&inotify_fops, in, O_RDONLY | (flags & O_NONBLOCK),
				       "anon_inode:inotify");
	if (!f) {
		waitq_destroy(&in->wq);
		pthread_mutex_destroy(&in->lock);
		free(in);
		__atomic_sub_fetch(&instances, 1, __ATOMIC_RELAXED);
		return -ENOMEM;
	}
	*out = f;
	return 0;
}

int vfs_inotify_add_watch(struct file *f, struct fs_context *fs, const struct cred *cred,
			  const char *path, uint32_t mask)
{
	if (!(mask & IN_ALL_FLAGS))
		return -EINVAL;
	if ((mask & IN_MASK_ADD) && (mask & IN_MASK_CREATE))
		return -EINVAL;
	if (f->fops != &inotify_fops)
		return -EINVAL;
	struct inotify_inst *in = f->priv;
	int lf = (mask & IN_DONT_FOLLOW) ? 0 : LOOKUP_FOLLOW;
	if (mask & IN_ONLYDIR)
		lf |= LOOKUP_DIRECTORY;
	struct nameidata nd;
	nd_init(&nd, fs, cred, NULL);
	vfs_lock();
	struct path p;
	int rc = vfs_walk(&nd, path, lf, &p);
	if (rc)
		goto out;
	struct inode *inode = p.dentry->inode;
	rc = inode_permission(inode, cred, MAY_READ);
	if (rc)
		goto out_path;
	uint32_t want = mask & (IN_ALL_EVENTS | IN_ONESHOT | IN_EXCL_UNLINK);
	struct inotify_mark *m = inode->marks;
	while (m && m->inst != in)
		m = m->inode_next;
	if (m) {
		if (mask & IN_MASK_CREATE) {
			rc = -EEXIST;
		} else {
			m->mask = (mask & IN_MASK_ADD) ? m->mask | want : want;
			rc = m->wd;
		}
		goto out_path;
	}
	if (in->nmarks >= INOTIFY_MAX_WATCHES) {
		rc = -ENOSPC;
		goto out_path;
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		rc = -ENOMEM;
		goto out_path;
	}
	m->inst = in;
	m->inode = inode;
	m->wd = in->next_wd++;
	m->mask = want;
	m->inode_next = inode->marks;
	inode->marks = m;
	m->inst_next = in->marks;
	in->marks = m;
	in->nmarks++;
	__atomic_add_fetch(&active_marks, 1, __ATOMIC_RELAXED);
	rc = m->wd;
out_path:
	path_put(&p);
out:
	vfs_unlock();
	nd_release(&nd);
	return rc;
}

int vfs_inotify_rm_watch(struct file *f, int wd)
{
	if (f->fops != &inotify_fops)
		return -EINVAL;
	struct inotify_inst *in = f->priv;
	vfs_lock();
	struct inotify_mark *m = in->marks;
	while (m && m->wd != wd)
		m = m->inst_next;
	int rc = -EINVAL;
	if (m) {
		mark_destroy(m);
		rc = 0;
	}
	vfs_unlock();
	return rc;
}
