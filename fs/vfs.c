/*
 * VFS core objects: the lock, super blocks, inodes, dentries, mounts,
 * permission checks, and vfs_boot which builds the mount tree.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/sysmacros.h>
#include <linux/magic.h>
#include "fs/vfs_internal.h"
#include "sentry/log.h"

static pthread_mutex_t vfs_mutex = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;

/*
 * The lock is held for one path walk or one namespace operation: about a
 * microsecond warm, a few with a cold lookup's host syscalls. A thread
 * that finds it taken spins up to VFS_LOCK_SPIN_NS before it sleeps: a
 * sleeper woken from another CPU takes ~40 us on these VMs, far longer
 * than the hold, and the threads of one guest process (git's index
 * preload, a thread pool) walk paths together. Four threads of cold
 * fstatat's: 17.7 ms before, 12.2 ms spinning.
 */
#define VFS_LOCK_SPIN_NS 20000

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* How many times this thread holds vfs_lock, and the directory a path walk looks in. */
static __thread int vfs_depth;
static __thread struct dentry *vfs_walk_dir;

static void vfs_acquire(void)
{
	if (pthread_mutex_trylock(&vfs_mutex) == 0)
		return;
	uint64_t end = mono_ns() + VFS_LOCK_SPIN_NS;
	do {
		for (int i = 0; i < 16; i++)
			__builtin_ia32_pause();
		if (pthread_mutex_trylock(&vfs_mutex) == 0)
			return;
	} while (mono_ns() < end);
	pthread_mutex_lock(&vfs_mutex);
}

void vfs_lock(void)
{
	vfs_acquire();
	vfs_depth++;
}

void vfs_unlock(void)
{
	vfs_depth--;
	pthread_mutex_unlock(&vfs_mutex);
}

int vfs_walk_lookup(struct dentry *dir, const char *name, struct dentry **out)
{
	vfs_walk_dir = dir;
	int rc = dentry_lookup(dir, name, out);
	vfs_walk_dir = NULL;
	return rc;
}

bool vfs_unlock_for_lookup(struct dentry *dir)
{
	if (dir != vfs_walk_dir || vfs_depth != 1)
		return false;
	vfs_walk_dir = NULL;
	vfs_unlock();
	return true;
}

struct timespec vfs_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ts;
}

/* ---- super blocks ---- */

static uint64_t next_dev_minor = 1;

struct super_block *sb_create(const char *fstype, uint32_t magic)
{
	struct super_block *sb = calloc(1, sizeof(*sb));
	if (!sb)
		return NULL;
	sb->fstype = fstype;
	sb->magic = magic;
	vfs_lock();
	/* Anonymous block devices, like Linux's set_anon_super: major 0. */
	sb->dev = makedev(0, 32 + next_dev_minor++);
	vfs_unlock();
	sb->next_ino = 2;
	return sb;
}

/* ---- inodes ---- */

struct inode *inode_alloc(struct super_block *sb, uint32_t mode, const struct inode_ops *iops,
			  const struct file_ops *fops)
{
	struct inode *inode = calloc(1, sizeof(*inode));
	if (!inode)
		return NULL;
	inode->refs = 1;
	inode->sb = sb;
	inode->mode = mode;
	inode->nlink = S_ISDIR(mode) ? 2 : 1;
	inode->blksize = 4096;
	inode->iops = iops;
	inode->fops = fops;
	inode->atime = inode->mtime = inode->ctime = inode->btime = vfs_now();
	if (sb) {
		inode->ino = sb->next_ino++;
		sb->inodes++;
	}
	return inode;
}

void inode_get(struct inode *inode)
{
	__atomic_add_fetch(&inode->refs, 1, __ATOMIC_RELAXED);
}

void inode_put(struct inode *inode)
{
	if (!inode || __atomic_sub_fetch(&inode->refs, 1, __ATOMIC_ACQ_REL))
		return;
	if (inode->marks)
		inotify_inode_gone(inode);
	if (inode->destroy)
		inode->destroy(inode);
	locks_inode_free(inode);
	xattr_inode_free(inode);
	if (inode->sb)
		inode->sb->inodes--;
	free(inode);
}

void inode_touch(struct inode *inode, bool atime, bool mtime, bool ctime)
{
	struct timespec now = vfs_now();
	if (atime)
		inode->atime = now;
	if (mtime)
		inode->mtime = now;
	if (ctime)
		inode->ctime = now;
}

int inode_permission(struct inode *inode, const struct cred *c, int may)
{
	uint32_t mode = inode->mode;
	unsigned bits;
	if (c->fsuid == inode->uid)
		bits = (mode >> 6) & 7;
	else if (cred_in_group(c, inode->gid))
		bits = (mode >> 3) & 7;
	else
		bits = mode & 7;
	if ((bits & may) == (unsigned)may)
		return 0;
	/* CAP_DAC_OVERRIDE: anything but executing a file with no x bit. */
	if (cred_capable(c, CAP_DAC_OVERRIDE)) {
		if (!(may & MAY_EXEC) || S_ISDIR(mode) || (mode & 0111))
			return 0;
	}
	if (cred_capable(c, CAP_DAC_READ_SEARCH)) {
		if (may == MAY_READ || (S_ISDIR(mode) && !(may & MAY_WRITE)))
			return 0;
	}
	return -EACCES;
}

void inode_stat(struct inode *inode, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_dev = inode->sb ? inode->sb->dev : 0;
	st->st_ino = inode->ino;
	st->st_mode = inode->mode;
	st->st_nlink = inode->nlink;
	st->st_uid = inode->uid;
	st->st_gid = inode->gid;
	st->st_rdev = inode->rdev;
	st->st_size = inode->size;
	st->st_blksize = inode->blksize;
	st->st_blocks = inode->blocks;
	st->st_atim = inode->atime;
	st->st_mtim = inode->mtime;
	st->st_ctim = inode->ctime;
}

unsigned vfs_dtype(uint32_t mode)
{
	return (mode & S_IFMT) >> 12;
}

/* ---- dentries ---- */

#define DCHILD_INDEX_MIN 32

struct dchild_index {
	uint32_t mask;                 /* buckets - 1 (a power of two) */
	struct dentry **buckets;
};

struct dentry *dentry_alloc(struct dentry *parent, const char *name, struct inode *inode)
{
	struct dentry *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->name = strdup(name);
	if (!d->name) {
		free(d);
		return NULL;
	}
	d->refs = 1;
	d->parent = parent;
	if (parent)
		dentry_get(parent);
	d->inode = inode;     /* takes over the caller's inode reference */
	return d;
}

void dentry_get(struct dentry *d)
{
	__atomic_add_fetch(&d->refs, 1, __ATOMIC_RELAXED);
}

void dentry_put(struct dentry *d)
{
	while (d && !__atomic_sub_fetch(&d->refs, 1, __ATOMIC_ACQ_REL)) {
		struct dentry *parent = d->parent;
		if (d->anon_file)
			file_put(d->anon_file);
		inode_put(d->inode);
		if (d->index) {
			free(d->index->buckets);
			free(d->index);
		}
		free(d->name);
		free(d);
		d = parent;
	}
}

/* ---- the children index (see struct dentry) ---- */

static uint32_t name_hash(const char *name)
{
	uint32_t h = 2166136261u;      /* FNV-1a */
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h;
}

/* (Re)build dir's index with room for its children; false if out of memory (it scans then). */
static bool index_build(struct dentry *dir, uint32_t nbuckets)
{
	struct dentry **b = calloc(nbuckets, sizeof(*b));
	struct dchild_index *ix = dir->index ? dir->index : calloc(1, sizeof(*ix));
	if (!b || !ix) {
		free(b);
		if (ix != dir->index)
			free(ix);
		return false;
	}
	free(ix->buckets);
	ix->buckets = b;
	ix->mask = nbuckets - 1;
	for (struct dentry *c = dir->children; c; c = c->next) {
		c->hnext = b[c->hash & ix->mask];
		b[c->hash & ix->mask] = c;
	}
	dir->index = ix;
	return true;
}

void dentry_add_cached(struct dentry *d)
{
	struct dentry *p = d->parent;
	dentry_get(d);
	d->cached = true;
	d->hash = name_hash(d->name);
	d->next = p->children;
	if (d->next)
		d->next->pprev = &d->next;
	d->pprev = &p->children;
	p->children = d;
	p->nchildren++;
	struct dchild_index *ix = p->index;
	/* Build or double the index (which then holds d too); if that fails, keep the old one. */
	if (p->nchildren >= DCHILD_INDEX_MIN && (!ix || p->nchildren > 2 * (ix->mask + 1)) &&
	    index_build(p, ix ? 2 * (ix->mask + 1) : 2 * DCHILD_INDEX_MIN))
		return;
	if (ix) {
		d->hnext = ix->buckets[d->hash & ix->mask];
		ix->buckets[d->hash & ix->mask] = d;
	}
}

void dentry_drop(struct dentry *d)
{
	if (!d->cached)
		return;
	struct dentry *p = d->parent;
	*d->pprev = d->next;
	if (d->next)
		d->next->pprev = d->pprev;
	if (p->index) {
		struct dentry **pp = &p->index->buckets[d->hash & p->index->mask];
		while (*pp && *pp != d)
			pp = &(*pp)->hnext;
		if (*pp)
			*pp = d->hnext;
	}
	p->nchildren--;
	d->cached = false;
	d->next = d->hnext = NULL;
	d->pprev = NULL;
	dentry_put(d);
}

struct dentry *dentry_find_child(struct dentry *dir, const char *name)
{
	if (dir->index) {
		uint32_t h = name_hash(name);
		for (struct dentry *c = dir->index->buckets[h & dir->index->mask]; c; c = c->hnext)
			if (c->hash == h && !strcmp(c->name, name))
				return c;
		return NULL;
	}
	for (struct dentry *c = dir->children; c; c = c->next)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

int dentry_lookup_cached(struct dentry *dir, const char *name, struct dentry **out)
{
	struct dentry *c = dentry_find_child(dir, name);
	if (!c)
		return 1;
	if (!c->inode)
		return -ENOENT;
	dentry_get(c);
	*out = c;
	return 0;
}

int dentry_lookup(struct dentry *dir, const char *name, struct dentry **out)
{
	int rc = dentry_lookup_cached(dir, name, out);
	if (rc <= 0)
		return rc;
	if (!dir->inode || !S_ISDIR(dir->inode->mode))
		return -ENOTDIR;
	if (dir->dead)
		return -ENOENT;
	if (!dir->inode->iops || !dir->inode->iops->lookup)
		return -ENOENT;
	return dir->inode->iops->lookup(dir, name, out);
}

/* ---- mounts ---- */

static struct mount *mounts;

struct mount *mount_create(struct super_block *sb, struct dentry *root, struct mount *parent,
			   struct dentry *mountpoint, int flags, const char *source)
{
	struct mount *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->sb = sb;
	m->root = root;
	dentry_get(root);
	m->parent = parent;
	m->mountpoint = mountpoint;
	if (mountpoint) {
		dentry_get(mountpoint);
		mountpoint->mounted++;
	}
	m->flags = flags;
	m->source = source;
	vfs_lock();
	/* Append so /proc/mounts lists in mount order. */
	struct mount **pp = &mounts;
	while (*pp)
		pp = &(*pp)->next;
	*pp = m;
	vfs_unlock();
	return m;
}

struct mount *mount_lookup(struct mount *mnt, struct dentry *d)
{
	if (!d->mounted)
		return NULL;
	struct mount *found = NULL;
	/* The last mount stacked on a dentry wins. */
	for (struct mount *m = mounts; m; m = m->next)
		if (m->parent == mnt && m->mountpoint == d)
			found = m;
	return found;
}

struct mount *mount_list(void)
{
	return mounts;
}

void mount_detach(struct mount *m)
{
	/* Mounts stacked inside go first (MNT_DETACH takes the subtree). */
	for (bool again = true; again;) {
		again = false;
		for (struct mount *c = mounts; c; c = c->next) {
			if (c->parent == m) {
				mount_detach(c);
				again = true;
				break;
			}
		}
	}
	for (struct mount **pp = &mounts; *pp; pp = &(*pp)->next) {
		if (*pp == m) {
			*pp = m->next;
			break;
		}
	}
	m->next = NULL;
	if (m->mountpoint)
		m->mountpoint->mounted--;
}

void path_get(const struct path *p)
{
	if (p->dentry)
		dentry_get(p->dentry);
}

void path_put(struct path *p)
{
	if (p->dentry)
		dentry_put(p->dentry);
	p->dentry = NULL;
	p->mnt = NULL;
}

/* ---- boot ---- */

struct fs_context *fsctx_create(const struct path *root);

/* Find or create directory name under the root mount for a mountpoint. */
static int ensure_mountpoint(struct dentry *root, const char *name, struct dentry **out)
{
	int rc = dentry_lookup(root, name, out);
	if (rc == 0) {
		if (!S_ISDIR((*out)->inode->mode)) {
			dentry_put(*out);
			return -ENOTDIR;
		}
		return 0;
	}
	if (rc != -ENOENT)
		return rc;
	struct cred c;
	cred_init_root(&c);
	/*
	 * The host's /proc, /sys, /dev are hidden by hostfs, so the mountpoint
	 * is made in the upper layer; keep the root's visible attributes as
	 * the host shows them (the host root does have these entries).
	 */
	struct inode saved = *root->inode;
	rc = root->inode->iops->mkdir(root, name, 0755, &c);
	root->inode->nlink = saved.nlink;
	root->inode->size = saved.size;
	root->inode->mtime = saved.mtime;
	root->inode->ctime = saved.ctime;
	if (rc)
		return rc;
	return dentry_lookup(root, name, out);
}

static int mount_at(struct mount *rootm, const char *name,
		    int (*create)(struct super_block **, struct dentry **), int flags,
		    const char *source)
{
	struct super_block *sb;
	struct dentry *root, *mp;
	int rc = create(&sb, &root);
	if (rc)
		return rc;
	vfs_lock();
	rc = ensure_mountpoint(rootm->root, name, &mp);
	vfs_unlock();
	if (rc) {
		dentry_put(root);
		return rc;
	}
	struct mount *m = mount_create(sb, root, rootm, mp, flags, source);
	dentry_put(mp);
	dentry_put(root);
	return m ? 0 : -ENOMEM;
}

/* Host fds for hostfs directories: raise the soft RLIMIT_NOFILE to the hard one. */
static void raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

uint64_t vfs_tmpfs_limit = 1ULL << 30;

int vfs_boot(const struct vfs_boot_config *cfg, struct fs_context **out)
{
	raise_nofile();
	if (cfg->tmpfs_limit)
		vfs_tmpfs_limit = cfg->tmpfs_limit;
	struct super_block *sb;
	struct dentry *root;
	const char *rootfs = cfg->rootfs ? cfg->rootfs : "/";
	int rc = overlay_create_root(rootfs, vfs_tmpfs_limit, &sb, &root);
	if (rc)
		return rc;
	struct mount *rootm = mount_create(sb, root, NULL, NULL, 0, "overlay");
	dentry_put(root);
	if (!rootm)
		return -ENOMEM;
	rc = mount_at(rootm, "proc", procfs_create, MS_NOSUID | MS_NODEV | MS_NOEXEC, "proc");
	if (!rc)
		rc = mount_at(rootm, "dev", devfs_create, MS_NOSUID, "devtmpfs");
	if (!rc)
		rc = devpts_boot_mount();
	if (!rc)
		rc = devfs_mount_shm();
	if (!rc)
		rc = mount_at(rootm, "sys", sysfs_create, MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY,
			      "sysfs");
	if (rc)
		return rc;
	struct path rp = { rootm, rootm->root };
	struct fs_context *fs = fsctx_create(&rp);
	if (!fs)
		return -ENOMEM;
	*out = fs;
	return 0;
}
