/*
 * Open file descriptions: open, read/write with positions, lseek,
 * directory listing snapshots, fstat, file_path.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <poll.h>
#include "fs/vfs_internal.h"
#include "fs/epoll.h"
#include "fs/dnotify.h"
#include "fs/hostfs/hostfs.h"
#include "sentry/task.h"

/* ---- iovec helpers ---- */

size_t iov_total(const struct iovec *iov, int iovcnt)
{
	size_t n = 0;
	for (int i = 0; i < iovcnt; i++)
		n += iov[i].iov_len;
	return n;
}

size_t iov_from_buf(const struct iovec *iov, int iovcnt, size_t skip, const void *buf, size_t len)
{
	size_t done = 0;
	for (int i = 0; i < iovcnt && done < len; i++) {
		size_t l = iov[i].iov_len;
		if (skip >= l) {
			skip -= l;
			continue;
		}
		size_t n = MIN(l - skip, len - done);
		memcpy((char *)iov[i].iov_base + skip, (const char *)buf + done, n);
		done += n;
		skip = 0;
	}
	return done;
}

size_t iov_to_buf(const struct iovec *iov, int iovcnt, size_t skip, void *buf, size_t len)
{
	size_t done = 0;
	for (int i = 0; i < iovcnt && done < len; i++) {
		size_t l = iov[i].iov_len;
		if (skip >= l) {
			skip -= l;
			continue;
		}
		size_t n = MIN(l - skip, len - done);
		memcpy((char *)buf + done, (const char *)iov[i].iov_base + skip, n);
		done += n;
		skip = 0;
	}
	return done;
}

ssize_t vfs_read_text(const char *text, size_t len, const struct iovec *iov, int iovcnt,
		      int64_t off)
{
	if (off < 0)
		return -EINVAL;
	if ((uint64_t)off >= len)
		return 0;
	return (ssize_t)iov_from_buf(iov, iovcnt, 0, text + off, len - off);
}

/* ---- lifetime ---- */

static struct file *file_alloc(int flags)
{
	struct file *f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->refs = 1;
	f->flags = flags;
	pthread_mutex_init(&f->io_lock, NULL);
	return f;
}

void file_get(struct file *f)
{
	__atomic_add_fetch(&f->refs, 1, __ATOMIC_RELAXED);
}

static void free_dents(struct file *f)
{
	for (size_t i = 0; i < f->ndents; i++)
		free(f->dents[i].name);
	free(f->dents);
	f->dents = NULL;
	f->ndents = 0;
}

void file_put(struct file *f)
{
	if (!f)
		return;
	int left = __atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL);
	if (left && left == __atomic_load_n(&f->epoll_refs, __ATOMIC_ACQUIRE)) {
		/* Only epoll sets hold it: the guest closed it; they forget it (and put it). */
		epoll_forget_file(f);
		return;
	}
	if (left)
		return;
	vfs_lock();
	if (f->dentry && !(f->flags & O_PATH))
		fsnotify_close(f);
	locks_release_file(f);
	dnotify_file_gone(f);
	if ((f->flags & O_ASYNC) && f->fops && f->fops->fasync)
		f->fops->fasync(f, -1, false);
	if (f->fops && f->fops->release)
		f->fops->release(f);
	free_dents(f);
	if (f->dentry)
		dentry_put(f->dentry);
	inode_put(f->inode);
	vfs_unlock();
	free(f->anon_name);
	pthread_mutex_destroy(&f->io_lock);
	free(f);
}

int file_open_path(const struct path *p, int flags, struct file **out)
{
	struct file *f = file_alloc(flags);
	if (!f)
		return -ENOMEM;
	vfs_lock();
	f->mnt = p->mnt;
	f->dentry = p->dentry;
	dentry_get(p->dentry);
	f->inode = p->dentry->inode;
	inode_get(f->inode);
	f->fops = f->inode->fops;
	int rc = 0;
	struct file *orig = p->dentry->anon_file;
	if (orig) {
		/* A /proc/PID/fd link to a pipe, socket or host fd. */
		f->mnt = NULL;
		f->fops = orig->fops;
		if (orig->anon_name)
			f->anon_name = strdup(orig->anon_name);
		if (!(flags & O_PATH))
			rc = orig->fops && orig->fops->reopen ? orig->fops->reopen(orig, f) : -ENXIO;
	} else if (!(flags & O_PATH) && f->inode->iops && f->inode->iops->open) {
		rc = f->inode->iops->open(p->dentry, f);
	}
	/* The device's own open, unless the file system's open chose other fops. */
	if (!rc && !orig && !(flags & O_PATH) && f->fops && f->fops == f->inode->fops &&
	    f->fops->open)
		rc = f->fops->open(f);
	f->flags &= ~O_NOCTTY;         /* only the open sees it (Linux's do_dentry_open) */
	vfs_unlock();
	if (rc) {
		f->fops = NULL;
		file_put(f);
		return rc;
	}
	*out = f;
	return 0;
}

struct file *file_alloc_anon(struct inode *inode, const struct file_ops *fops, void *priv,
			     int flags, const char *name)
{
	struct file *f = file_alloc(flags);
	if (!f)
		return NULL;
	if (name && !(f->anon_name = strdup(name))) {
		free(f);
		return NULL;
	}
	inode_get(inode);
	f->inode = inode;
	f->fops = fops;
	f->priv = priv;
	return f;
}

static struct super_block *anon_sb;

struct file *file_new_anon(const struct file_ops *fops, void *priv, int flags, const char *name)
{
	vfs_lock();
	struct inode *inode = inode_alloc(vfs_anon_sb(), 0600, NULL, fops);
	vfs_unlock();
	if (!inode)
		return NULL;
	struct file *f = file_alloc_anon(inode, fops, priv, flags, name);
	vfs_lock();
	inode_put(inode);    /* the file holds its own reference */
	vfs_unlock();
	return f;
}

struct super_block *vfs_anon_sb(void)
{
	vfs_lock();
	if (!anon_sb)
		anon_sb = sb_create("anon_inodefs", 0x09041934);
	vfs_unlock();
	return anon_sb;
}

/* ---- attributes ---- */

int file_flags(struct file *f)
{
	return __atomic_load_n(&f->flags, __ATOMIC_RELAXED);
}

/*
 * Turn O_ASYNC on or off through the file's fasync operation; serialised so
 * that the flag and the fasync entry agree. Files without one never show
 * the flag: 0 for F_SETFL, -ENOTTY for FIOASYNC (`need_op`), as Linux.
 */
static pthread_mutex_t async_lock = PTHREAD_MUTEX_INITIALIZER;

static int file_set_async_locked(struct file *f, int fd, bool on, bool need_op)
{
	if (on == !!(file_flags(f) & O_ASYNC))
		return 0;
	/* Linux's setfl: only ->fasync sets the flag; without one it stays clear. */
	if (!f->fops || !f->fops->fasync)
		return need_op ? -ENOTTY : 0;
	int rc = f->fops->fasync(f, fd, on);
	if (rc)
		return rc;
	vfs_lock();
	f->flags = on ? f->flags | O_ASYNC : f->flags & ~O_ASYNC;
	vfs_unlock();
	return 0;
}

int vfs_set_status_flags(struct file *f, const struct cred *cred, int fd, int flags)
{
	if (f->flags & O_PATH)
		return -EBADF;
	/* Linux's setfl: O_NOATIME needs the owner (or CAP_FOWNER). */
	if ((flags & O_NOATIME) && !(f->flags & O_NOATIME) && cred->fsuid != f->inode->uid &&
	    !cred_capable(cred, CAP_FOWNER))
		return -EPERM;
	const int settable = O_APPEND | O_NONBLOCK | O_NOATIME;
	pthread_mutex_lock(&async_lock);
	/* ->fasync first: if it fails nothing changes (setfl). */
	int rc = file_set_async_locked(f, fd, flags & O_ASYNC, false);
	if (!rc) {
		vfs_lock();
		f->flags = (f->flags & ~settable) | (flags & settable);
		vfs_unlock();
	}
	pthread_mutex_unlock(&async_lock);
	return rc;
}

int vfs_fioasync(struct file *f, int fd, bool on)
{
	if (f->flags & O_PATH)
		return -EBADF;
	pthread_mutex_lock(&async_lock);
	int rc = file_set_async_locked(f, fd, on, true);
	pthread_mutex_unlock(&async_lock);
	return rc;
}

struct fown *file_fown(struct file *f)
{
	return &f->fown;
}

void file_set_status_flags(struct file *f, int flags)
{
	const int settable = O_APPEND | O_NONBLOCK;
	vfs_lock();
	f->flags = (f->flags & ~settable) | (flags & settable);
	vfs_unlock();
}

bool file_has_poll(struct file *f)
{
	return f->fops && f->fops->poll;
}

bool file_mmappable(struct file *f)
{
	return f->fops && f->fops->mmappable && S_ISREG(f->inode->mode);
}

bool file_unsigned_offset(struct file *f)
{
	return f->fops && f->fops->unsigned_offset;
}

int file_map_shared(struct file *f, bool writable)
{
	if (!f->fops || !f->fops->map_shared || !S_ISREG(f->inode->mode))
		return 0;
	vfs_lock();
	int rc = f->fops->map_shared(f, writable);
	vfs_unlock();
	return rc;
}

int file_host_fd(struct file *f)
{
	if (!f->fops || !f->fops->host_fd || !S_ISREG(f->inode->mode))
		return -1;
	vfs_lock();
	int fd = f->fops->host_fd(f);
	vfs_unlock();
	return fd;
}

int file_map_page(struct file *f, uint64_t pgoff, bool create, uint64_t *mf_off)
{
	vfs_lock();
	int rc = f->fops->map_page(f, pgoff, create, mf_off);
	vfs_unlock();
	return rc;
}

uint64_t file_map_next(struct file *f, uint64_t pgoff)
{
	if (!f->fops->map_next)
		return pgoff;
	vfs_lock();
	uint64_t r = f->fops->map_next(f, pgoff);
	vfs_unlock();
	return r;
}

void file_map_pin(struct file *f, int delta)
{
	vfs_lock();
	f->fops->map_pin(f, delta);
	vfs_unlock();
}

int file_map_sync(struct file *f, bool sync)
{
	if (!f->fops || !f->fops->map_sync)
		return 0;
	vfs_lock();
	int rc = f->fops->map_sync(f, sync);
	vfs_unlock();
	return rc;
}

int vfs_sync_all(void)
{
	return hostfs_rw_sync_all();
}

bool file_is_dir(struct file *f)
{
	return f->dentry && S_ISDIR(f->inode->mode);
}

bool file_is_reg(struct file *f)
{
	return f->inode && S_ISREG(f->inode->mode);
}

long file_path(struct file *f, char *buf, size_t cap)
{
	/* Pathless files, and files on no mount (memfds): their fixed name. */
	if (!f->dentry || !f->mnt) {
		const char *n = f->anon_name ? f->anon_name : "anon_inode:[unknown]";
		size_t len = strlen(n);
		if (len + 1 > cap)
			return -ENAMETOOLONG;
		memcpy(buf, n, len + 1);
		return (long)len;
	}
	struct path root;
	struct task *t = task_current();
	if (t && t->fs) {
		fsctx_get_root(t->fs, &root);
	} else {
		vfs_lock();
		struct mount *m = mount_list();
		root.mnt = m;
		root.dentry = m->root;
		path_get(&root);
		vfs_unlock();
	}
	struct path p = { f->mnt, f->dentry };
	long n = vfs_path_string(&root, &p, buf, cap);
	path_put(&root);
	if (n >= 0 && f->dentry->dead) {
		const char *suffix = " (deleted)";
		if ((size_t)n + strlen(suffix) + 1 > cap)
			return -ENAMETOOLONG;
		strcpy(buf + n, suffix);
		n += strlen(suffix);
	}
	return n;
}

void file_dev_ino(struct file *f, uint64_t *dev, uint64_t *ino)
{
	struct stat st;
	if (vfs_fstat(f, &st) == 0) {
		*dev = st.st_dev;
		*ino = st.st_ino;
	} else {
		*dev = *ino = 0;
	}
}

int vfs_fstat(struct file *f, struct stat *st)
{
	if (f->fops && f->fops->fstat)
		return f->fops->fstat(f, st);
	vfs_lock();
	if (f->dentry && f->inode->iops && f->inode->iops->refresh)
		f->inode->iops->refresh(f->dentry);
	inode_stat(f->inode, st);
	vfs_unlock();
	return 0;
}

/* ---- read / write ---- */

static int check_io(struct file *f, int accmode_forbidden)
{
	if (f->flags & O_PATH)
		return -EBADF;
	if ((f->flags & O_ACCMODE) == accmode_forbidden || (f->flags & O_ACCMODE) == 3)
		return -EBADF;
	if (f->dentry && S_ISDIR(f->inode->mode))
		return -EISDIR;
	return 0;
}

/*
 * rw_verify_area: a transfer that would carry the position past INT64_MAX
 * is EINVAL before anything moves (Linux's loff_t must stay positive);
 * with unsigned positions only one reaching 2^64 fails, EOVERFLOW.
 */
static int check_pos(struct file *f, int64_t pos, const struct iovec *iov, int iovcnt)
{
	uint64_t count = iov_total(iov, iovcnt);
	if (f->fops->unsigned_offset)
		return pos < 0 && count >= -(uint64_t)pos ? -EOVERFLOW : 0;
	if (pos < 0 || count > (uint64_t)(INT64_MAX - pos))
		return -EINVAL;
	return 0;
}

ssize_t vfs_readv(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos)
{
	int rc = check_io(f, O_WRONLY);
	if (rc)
		return rc;
	if (!f->fops || !f->fops->read)
		return -EINVAL;
	if (pos && f->fops->stream)
		return -ESPIPE;
	if (pos && (rc = check_pos(f, *pos, iov, iovcnt)))
		return rc;
	ssize_t n;
	if (f->fops->unlocked) {
		if (f->fops->stream || pos)
			return f->fops->read(f, iov, iovcnt, pos ? *pos : 0);
		pthread_mutex_lock(&f->io_lock);
		if ((rc = check_pos(f, f->pos, iov, iovcnt))) {
			pthread_mutex_unlock(&f->io_lock);
			return rc;
		}
		n = f->fops->read(f, iov, iovcnt, f->pos);
		if (n > 0)
			f->pos += n;
		pthread_mutex_unlock(&f->io_lock);
		return n;
	}
	vfs_lock();
	int64_t off = pos ? *pos : f->pos;
	if (!pos && !f->fops->stream && (rc = check_pos(f, off, iov, iovcnt))) {
		vfs_unlock();
		return rc;
	}
	n = f->fops->read(f, iov, iovcnt, off);
	if (n > 0 && !pos && !f->fops->stream)
		f->pos = off + n;
	if (n > 0 && f->dentry)
		fsnotify_access(f);
	vfs_unlock();
	return n;
}

/* The calling task's RLIMIT_FSIZE (RLIM_INFINITY outside a task). */
static uint64_t fsize_rlimit(void)
{
	struct task *t = task_current();
	return t ? t->tg->rlimits[RLIMIT_FSIZE].rlim_cur : RLIM_INFINITY;
}

int vfs_fsize_limit(uint64_t off, uint64_t *count)
{
	uint64_t limit = fsize_rlimit();
	if (limit == RLIM_INFINITY)
		return 0;
	struct task *t = task_current();
	if (off >= limit) {
		t->raise_sigxfsz = true;
		return -EFBIG;
	}
	if (*count > limit - off)
		*count = limit - off;
	return 0;
}

int iov_clip(const struct iovec *iov, int iovcnt, uint64_t max, struct iovec *buf, int bufcnt,
	     const struct iovec **out, int *outcnt, struct iovec **owned)
{
	*out = iov;
	*outcnt = iovcnt;
	*owned = NULL;
	uint64_t total = 0;
	for (int i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	if (total <= max)
		return 0;
	struct iovec *v = buf;
	if (iovcnt > bufcnt && !(v = *owned = malloc(iovcnt * sizeof(*v))))
		return -ENOMEM;
	int n = 0;
	for (; n < iovcnt && max; n++) {
		v[n] = iov[n];
		if (v[n].iov_len > max)
			v[n].iov_len = max;
		max -= v[n].iov_len;
	}
	*out = v;
	*outcnt = n;
	return 0;
}

/*
 * A write of iov at off to a regular file under RLIMIT_FSIZE: -EFBIG, or 0
 * with *out the part the limit allows (see iov_clip).
 */
static int fsize_clip(const struct iovec *iov, int iovcnt, uint64_t off, struct iovec *buf,
		      int bufcnt, const struct iovec **out, int *outcnt, struct iovec **owned)
{
	*out = iov;
	*outcnt = iovcnt;
	*owned = NULL;
	if (fsize_rlimit() == RLIM_INFINITY)
		return 0;               /* the common case: nothing to add up */
	uint64_t allowed = 0;
	for (int i = 0; i < iovcnt; i++)
		allowed += iov[i].iov_len;
	int rc = allowed ? vfs_fsize_limit(off, &allowed) : 0;
	return rc ? rc : iov_clip(iov, iovcnt, allowed, buf, bufcnt, out, outcnt, owned);
}

ssize_t vfs_writev(struct file *f, const struct iovec *iov, int iovcnt, int64_t *pos)
{
	int rc = check_io(f, O_RDONLY);
	if (rc)
		return rc;
	if (!f->fops || !f->fops->write)
		return -EINVAL;
	if (pos && f->fops->stream)
		return -ESPIPE;
	if (pos && (rc = check_pos(f, *pos, iov, iovcnt)))
		return rc;
	ssize_t n;
	if (f->fops->unlocked) {
		if (f->fops->stream || pos)
			return f->fops->write(f, iov, iovcnt, pos ? *pos : 0);
		pthread_mutex_lock(&f->io_lock);
		if ((rc = check_pos(f, f->pos, iov, iovcnt))) {
			pthread_mutex_unlock(&f->io_lock);
			return rc;
		}
		n = f->fops->write(f, iov, iovcnt, f->pos);
		if (n > 0)
			f->pos += n;
		pthread_mutex_unlock(&f->io_lock);
		return n;
	}
	vfs_lock();
	int64_t off = pos ? *pos : f->pos;
	/* Checked at the file position even when O_APPEND moves the write (as Linux). */
	if (!pos && !f->fops->stream && (rc = check_pos(f, off, iov, iovcnt))) {
		vfs_unlock();
		return rc;
	}
	/* Linux appends even for pwrite on an O_APPEND file. */
	if ((f->flags & O_APPEND) && !f->fops->stream)
		off = (int64_t)f->inode->size;
	struct iovec clipbuf[8], *owned = NULL;
	if (f->inode && S_ISREG(f->inode->mode) && !f->fops->stream) {
		rc = fsize_clip(iov, iovcnt, (uint64_t)off, clipbuf, 8, &iov, &iovcnt, &owned);
		if (rc) {
			vfs_unlock();
			return rc;
		}
	}
	n = f->fops->write(f, iov, iovcnt, off);
	free(owned);
	if (n > 0 && !pos && !f->fops->stream)
		f->pos = off + n;
	if (n > 0 && f->dentry)
		fsnotify_modify(f);
	vfs_unlock();
	return n;
}

ssize_t vfs_pread(struct file *f, void *buf, size_t len, uint64_t off)
{
	struct iovec iov = { buf, len };
	int64_t pos = (int64_t)off;
	if (f->fops && f->fops->stream)
		return vfs_readv(f, &iov, 1, NULL);
	/* The loader reads files opened O_RDONLY; the accmode check is fine. */
	return vfs_readv(f, &iov, 1, &pos);
}

ssize_t vfs_pread_cb(void *file, void *buf, size_t len, uint64_t off)
{
	return vfs_pread(file, buf, len, off);
}

/* ---- lseek ---- */

/* Only regular files have data/holes; one data extent unless the file knows its holes. */
int64_t vfs_lseek(struct file *f, int64_t off, int whence)
{
	if (f->flags & O_PATH)
		return -EBADF;
	if (f->fops && f->fops->llseek)
		return f->fops->llseek(f, off, whence);
	if ((f->fops && f->fops->stream) || (!f->fops && !f->dentry))
		return -ESPIPE;
	vfs_lock();
	int64_t size = (int64_t)f->inode->size;
	int64_t npos;
	int64_t rc = 0;
	switch (whence) {
	case SEEK_SET:
		npos = off;
		break;
	case SEEK_CUR:
		if (__builtin_add_overflow(f->pos, off, &npos))
			rc = -EOVERFLOW;
		break;
	case SEEK_END:
		if (__builtin_add_overflow(size, off, &npos))
			rc = -EOVERFLOW;
		break;
	case SEEK_DATA:
	case SEEK_HOLE:
		if (!S_ISREG(f->inode->mode))
			rc = -EINVAL;
		else if (off < 0 || off >= size)
			rc = -ENXIO;
		else if (f->fops && f->fops->seek_hole_data) {
			npos = f->fops->seek_hole_data(f, off, whence);
			if (npos < 0)
				rc = npos;
		} else
			npos = whence == SEEK_DATA ? off : size;
		break;
	default:
		rc = -EINVAL;
	}
	if (!rc && npos < 0)
		rc = -EINVAL;
	if (!rc) {
		if (S_ISDIR(f->inode->mode) && npos == 0)
			free_dents(f);
		f->pos = npos;
		rc = npos;
	}
	vfs_unlock();
	return rc;
}

/* ---- directories ---- */

struct snap_ctx {
	struct dir_entry_snap *v;
	size_t n, cap;
	int err;
};

static int snap_emit(void *ctx, const char *name, uint64_t ino, unsigned dtype)
{
	struct snap_ctx *s = ctx;
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 32;
		struct dir_entry_snap *v = realloc(s->v, nc * sizeof(*v));
		if (!v) {
			s->err = -ENOMEM;
			return 1;
		}
		s->v = v;
		s->cap = nc;
	}
	char *copy = strdup(name);
	if (!copy) {
		s->err = -ENOMEM;
		return 1;
	}
	s->v[s->n++] = (struct dir_entry_snap){ copy, ino, (unsigned char)dtype };
	return 0;
}

static int build_snapshot(struct file *f)
{
	struct snap_ctx s = { 0 };
	struct dentry *d = f->dentry;
	uint64_t pino = d->parent && d->parent->inode ? d->parent->inode->ino : f->inode->ino;
	/* At a mount root, ".." is the mountpoint's parent. */
	if (f->mnt && d == f->mnt->root && f->mnt->mountpoint && f->mnt->mountpoint->parent)
		pino = f->mnt->mountpoint->parent->inode->ino;
	snap_emit(&s, ".", f->inode->ino, DT_DIR);
	snap_emit(&s, "..", pino, DT_DIR);
	int rc = 0;
	if (!d->dead && f->inode->iops && f->inode->iops->readdir)
		rc = f->inode->iops->readdir(d, snap_emit, &s);
	if (!rc)
		rc = s.err;
	if (rc) {
		for (size_t i = 0; i < s.n; i++)
			free(s.v[i].name);
		free(s.v);
		return rc;
	}
	free_dents(f);
	f->dents = s.v;
	f->ndents = s.n;
	return 0;
}

int vfs_readdir(struct file *f, vfs_dirent_fn emit, void *ctx)
{
	if (f->flags & O_PATH)
		return -EBADF;
	if (!f->dentry || !S_ISDIR(f->inode->mode))
		return -ENOTDIR;
	vfs_lock();
	int rc = 0;
	if (f->dentry->dead) {
		vfs_unlock();
		return -ENOENT;
	}
	if (!f->dents || f->pos == 0)
		rc = build_snapshot(f);
	while (!rc && f->pos >= 0 && (size_t)f->pos < f->ndents) {
		struct dir_entry_snap *e = &f->dents[f->pos];
		if (emit(ctx, e->name, e->ino, f->pos + 1, e->dtype)) {
			rc = 1;
			break;
		}
		f->pos++;
	}
	if (rc >= 0) {
		inode_touch(f->inode, true, false, false);
		fsnotify_access(f);         /* iterate_dir: every call */
	}
	vfs_unlock();
	return rc;
}

/* ---- ioctl, fsync ---- */

long vfs_ioctl(struct file *f, struct task *t, unsigned cmd, uint64_t arg)
{
	if (f->flags & O_PATH)
		return -EBADF;
	if (!f->fops || !f->fops->ioctl)
		return -ENOTTY;
	if (f->fops->unlocked)
		return f->fops->ioctl(f, t, cmd, arg);
	vfs_lock();
	long rc = f->fops->ioctl(f, t, cmd, arg);
	vfs_unlock();
	return rc;
}

/*
 * fsync(2): nothing is persistent. Like Linux, files of file systems
 * (regular files, directories, symlinks: noop_fsync) succeed, others
 * without an fsync operation (pipes, sockets, most devices) give EINVAL.
 */
int vfs_fsync(struct file *f)
{
	if (f->flags & O_PATH)
		return -EBADF;
	if (f->fops && f->fops->fsync)
		return f->fops->fsync(f);
	/* Host fds report the host file's type (a redirected stdout may be a file). */
	struct stat st;
	if (vfs_fstat(f, &st))
		return -EINVAL;
	uint32_t type = st.st_mode & S_IFMT;
	if ((f->dentry || (f->fops && f->fops->unlocked)) &&
	    (type == S_IFREG || type == S_IFDIR || type == S_IFLNK))
		return 0;
	return -EINVAL;
}

/* ---- poll ---- */

uint32_t vfs_poll(struct file *f, struct waiter *w)
{
	if (f->flags & O_PATH)
		return POLLNVAL;
	if (f->fops && f->fops->poll)
		return f->fops->poll(f, w);
	/* Linux's DEFAULT_POLLMASK: regular files, directories, /dev/null... */
	return POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;
}
