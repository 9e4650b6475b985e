/*
 * devpts: the file system at /dev/pts, and /dev/ptmx.
 *
 * One instance per sandbox (a guest mount of "devpts" shows the same one,
 * as for proc and sysfs). It holds the root (ino 1), "ptmx" (c 5:2, mode
 * 0000: Linux's ptmxmode=000, ino 2) and one "N" per pair whose master is
 * open (c 136:N, ino N+3, mode 0600 and owned by the fsuid/fsgid of the
 * process that opened /dev/ptmx: Linux's defaults, a devpts mounted without
 * gid= or mode=; glibc's grantpt changes nothing). Entries live in the
 * dentry cache of the root, as tmpfs names do: opening /dev/ptmx adds one,
 * the master's last close drops it (open slaves keep their dentry, shown
 * "(deleted)" as Linux's d_drop does).
 *
 * Indices are the lowest free number below PTY_MAX (ENOSPC beyond, as
 * kernel.pty.max); an index is reused once both sides have closed.
 *
 * Locks: devpts_lock protects ptys[] and tty.index_freed; taken under
 * vfs_lock, before tty.lock. Dentries and inodes: vfs_lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>
#include "fs/tty/tty_internal.h"
#include "sentry/task.h"

static pthread_mutex_t devpts_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tty *ptys[PTY_MAX];      /* by index; NULL: free */
static struct super_block *devpts_sb;  /* set once at boot */
static struct dentry *devpts_root;

static int devpts_setattr(struct dentry *d, const struct vfs_attr *a)
{
	struct inode *inode = d->inode;
	if (a->mask & ATTR_SIZE)
		return -EINVAL;
	if (a->mask & ATTR_MODE)
		inode->mode = (inode->mode & S_IFMT) | (a->mode & 07777);
	if (a->mask & ATTR_UID)
		inode->uid = a->uid;
	if (a->mask & ATTR_GID)
		inode->gid = a->gid;
	if (a->mask & ATTR_ATIME)
		inode->atime = a->atime;
	if (a->mask & ATTR_MTIME)
		inode->mtime = a->mtime;
	if (a->mask & ATTR_CTIME)
		inode->ctime = vfs_now();
	return 0;
}

/* Every name that exists is a cached dentry: anything else is not there. */
static int devpts_lookup(struct dentry *dir, const char *name, struct dentry **out)
{
	return -ENOENT;
}

static int devpts_readdir(struct dentry *d, vfs_emit_fn emit, void *ctx)
{
	for (struct dentry *c = d->children; c; c = c->next) {
		if (!c->inode)
			continue;
		if (emit(ctx, c->name, c->inode->ino, vfs_dtype(c->inode->mode)))
			return 0;
	}
	return 0;
}

static const struct inode_ops devpts_dir_iops = {
	.lookup = devpts_lookup,
	.readdir = devpts_readdir,
	.setattr = devpts_setattr,
};

static const struct inode_ops devpts_ptmx_iops = {
	.setattr = devpts_setattr,
};

/* open of /dev/pts/N: the inode's priv is the pair. vfs_lock held. */
static int devpts_slave_open(struct dentry *d, struct file *f)
{
	struct tty *tty = d->inode->priv;
	return tty ? pty_open_slave(tty, f) : -ENXIO;
}

static const struct inode_ops devpts_slave_iops = {
	.open = devpts_slave_open,
	.setattr = devpts_setattr,
};

/* The slave inode's reference on its pair goes with the inode. */
static void devpts_inode_destroy(struct inode *inode)
{
	tty_put(inode->priv);
	inode->priv = NULL;
}

struct mount *devpts_mount_locked(void)
{
	for (struct mount *m = mount_list(); m; m = m->next)
		if (m->sb == devpts_sb)
			return m;
	return NULL;
}

int devpts_new_pty(const struct cred *c, struct tty **out)
{
	if (!devpts_root)
		return -ENODEV;
	vfs_lock();                    /* order: vfs_lock, then devpts_lock */
	pthread_mutex_lock(&devpts_lock);
	int index = -1;
	for (int i = 0; i < PTY_MAX && index < 0; i++)
		if (!ptys[i])
			index = i;
	struct tty *tty = index >= 0 ? pty_alloc(index) : NULL;
	if (!tty) {
		pthread_mutex_unlock(&devpts_lock);
		vfs_unlock();
		return index < 0 ? -ENOSPC : -ENOMEM;
	}
	struct inode *inode = inode_alloc(devpts_sb, S_IFCHR | 0600, &devpts_slave_iops,
					  &pty_slave_fops);
	char name[16];
	snprintf(name, sizeof(name), "%d", index);
	struct dentry *d = inode ? dentry_alloc(devpts_root, name, inode) : NULL;
	if (!d) {
		if (inode)
			inode_put(inode);
		pthread_mutex_unlock(&devpts_lock);
		vfs_unlock();
		tty_put(tty);
		return -ENOMEM;
	}
	inode->ino = (uint64_t)index + 3;
	inode->rdev = makedev(PTS_MAJOR, index);
	inode->uid = c ? c->fsuid : 0;
	inode->gid = c ? c->fsgid : 0;
	inode->blksize = 1024;
	tty_get(tty);
	inode->priv = tty;
	inode->destroy = devpts_inode_destroy;
	dentry_add_cached(d);
	tty->slave_dentry = d;         /* our reference from dentry_alloc */
	ptys[index] = tty;
	pthread_mutex_unlock(&devpts_lock);
	vfs_unlock();
	*out = tty;
	return 0;
}

void devpts_remove_entry(struct tty *tty)
{
	vfs_lock();
	struct dentry *d = tty->slave_dentry;
	tty->slave_dentry = NULL;
	if (d) {
		d->dead = true;
		if (d->inode)
			d->inode->nlink = 0;
		dentry_drop(d);
		dentry_put(d);
	}
	vfs_unlock();
}

void devpts_free_index(struct tty *tty)
{
	pthread_mutex_lock(&devpts_lock);
	if (!tty->index_freed) {
		tty->index_freed = true;
		if (ptys[tty->index] == tty)
			ptys[tty->index] = NULL;
	}
	pthread_mutex_unlock(&devpts_lock);
}

uint64_t devpts_session_rdev(int sid, int *fg_pgrp)
{
	uint64_t rdev = 0;
	if (fg_pgrp)
		*fg_pgrp = -1;
	if (sid <= 0)
		return 0;
	pthread_mutex_lock(&devpts_lock);
	for (int i = 0; i < PTY_MAX && !rdev; i++) {
		struct tty *tty = ptys[i];
		if (!tty)
			continue;
		tty_lock(tty);
		if (tty->session == sid) {
			rdev = makedev(PTS_MAJOR, tty->index);
			if (fg_pgrp)
				*fg_pgrp = tty->pgrp ? tty->pgrp : -1;
		}
		tty_unlock(tty);
	}
	pthread_mutex_unlock(&devpts_lock);
	return rdev;
}

/* open of /dev/ptmx (devfs) or /dev/pts/ptmx: a new pair, f its master. vfs_lock held. */
static int ptmx_open(struct file *f)
{
	struct task *t = task_current();
	struct tty *tty;
	int rc = devpts_new_pty(t ? &t->cred : NULL, &tty);
	if (rc)
		return rc;
	tty_lock(tty);
	tty->masters = 1;
	tty->locked = true;            /* until unlockpt (TIOCSPTLCK 0) */
	tty_unlock(tty);
	f->priv = tty;                 /* the master's reference */
	f->fops = &pty_master_fops;
	return 0;
}

const struct file_ops ptmx_fops = {
	.open = ptmx_open,
	.unlocked = true,
	.stream = true,
};

int devpts_boot_mount(void)
{
	struct super_block *sb = sb_create("devpts", DEVPTS_SUPER_MAGIC);
	if (!sb)
		return -ENOMEM;
	vfs_lock();
	struct mount *devm = NULL;
	for (struct mount *m = mount_list(); m; m = m->next)
		if (!strcmp(m->sb->fstype, "devtmpfs"))
			devm = m;
	struct inode *ri = inode_alloc(sb, S_IFDIR | 0755, &devpts_dir_iops, NULL);
	struct dentry *root = ri ? dentry_alloc(NULL, "/", ri) : NULL;
	struct inode *pi = root ? inode_alloc(sb, S_IFCHR | 0000, &devpts_ptmx_iops, &ptmx_fops)
				: NULL;
	struct dentry *pd = pi ? dentry_alloc(root, "ptmx", pi) : NULL;
	struct dentry *mp = NULL;
	int rc = pd ? 0 : -ENOMEM;
	if (!rc && !devm)
		rc = -ENOENT;
	if (!rc)
		rc = dentry_lookup(devm->root, "pts", &mp);
	if (rc) {
		if (pd)
			dentry_put(pd);
		else if (pi)
			inode_put(pi);
		if (root)
			dentry_put(root);
		else if (ri)
			inode_put(ri);
		vfs_unlock();
		return rc;
	}
	ri->ino = 1;
	pi->ino = 2;
	pi->rdev = makedev(PTMX_MAJOR, 2);
	pi->blksize = ri->blksize = 1024;
	dentry_add_cached(pd);
	dentry_put(pd);
	devpts_sb = sb;
	devpts_root = root;            /* keeps its reference for the sandbox's life */
	vfs_unlock();
	struct mount *m = mount_create(sb, root, devm, mp, MS_NOSUID | MS_NOEXEC, "devpts");
	vfs_lock();
	dentry_put(mp);
	vfs_unlock();
	return m ? 0 : -ENOMEM;
}
