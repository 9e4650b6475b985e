/*
 * hostfs_rw: a writable host directory (or one host regular file) in the
 * guest's tree: `sandbox run --mount type=bind,src=HOST,dst=GUEST` without
 * `ro`, and OCI bind mounts. Every guest operation is done on the host at
 * once, relative to held O_PATH directory fds, one component at a time:
 *
 *   - A name is one component (no '/', ".", ".."), created, opened and
 *     stat'ed with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
 *     RESOLVE_NO_MAGICLINKS, O_NOFOLLOW) or *at(..., AT_SYMLINK_NOFOLLOW):
 *     a host symlink is never followed on the host. The guest sees it as a
 *     symlink and the VFS resolves its text in the guest's own tree.
 *   - Nothing stays stale: every lookup stats the host entry and revalidates
 *     the dentry made before for that name (same host device, inode and
 *     type: it is reused and its attributes refreshed; else a new one),
 *     readdir lists the host directory each time, stat and fstat ask the
 *     host. Dentries are kept (a per-directory table, pruned when idle) so
 *     that one host file is one dentry and inode while in use: mounts,
 *     flock, FIFOs and unix sockets are keyed by them.
 *   - Owners: a new host object is chowned to the guest's fsuid/fsgid (the
 *     directory's group in a set-group-ID directory). Where the host refuses
 *     (the sentry is not root), the guest's ids are kept in memory while the
 *     inode lives. Permission checks are the VFS's: the guest's credentials
 *     against the host's mode bits.
 *   - Device nodes are never made (EPERM) nor opened (EACCES). FIFOs and
 *     sockets are made on the host but served by the sentry (a FIFO joins
 *     guest processes only; a socket node is bound by guest sockets only).
 *   - mmap: MAP_PRIVATE gets the sentry's copy. MAP_SHARED maps the pages
 *     of a per-inode page cache in the MemoryFile (hostfs_rw_cache.c),
 *     filled from the host file on first touch and written back on msync,
 *     fsync/fdatasync, the end of the last writable mapping, and the
 *     sandbox's end. While it exists, reads and writes of the file through
 *     any description go through it too, so mappings and syscalls agree
 *     inside the sandbox. Changes the host makes to a mapped file are not
 *     seen by the mappings (and write-back overwrites them).
 *   - O_TMPFILE is the host's (linkat names it through its fd); extended
 *     attributes are not passed through (EOPNOTSUPP, as the VFS's default).
 *
 * Every operation runs under vfs_lock (the VFS calls them with it held).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>
#include <linux/openat2.h>
#include "fs/hostfs/hostfs.h"
#include "fs/hostfs/hostfs_rw_cache.h"

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

/* Cached dentries per mount before idle ones are pruned. */
#define HRW_CACHE_MIN 4096

/* Per super block (sb->priv); never freed, like the super block. */
struct hrw_sb {
	int root_dirfd;                /* file root: O_PATH fd of its host directory; else -1 */
	char *root_name;               /* file root: its name there */
	struct dentry *root;           /* the root dentry (the mount holds it) */
	size_t ncached, prune_at;      /* dentries in all tables; prune above prune_at */
};

/* A cached child: the table holds one dentry reference. */
struct hrw_entry {
	struct dentry *d;
	struct hrw_entry *next;
};

/*
 * Per inode (inode->priv), under vfs_lock. fd is an fd of the host object
 * itself: always for directories (O_PATH, the base of every *at call
 * beneath); for other files only once unlinked while in use (O_PATH, so
 * fchmod, fstat... still reach them) or made by O_TMPFILE (its O_RDWR fd).
 * The table maps names to cached child dentries. A regular file with
 * shared mappings has a page cache (created by its first MAP_SHARED, freed
 * after write-back when the last one ends).
 */
struct hrw_inode {
	int fd;
	dev_t hdev;
	ino_t hino;
	bool owner_set;                /* the host refused a chown: the guest's ids */
	uint32_t uid, gid;
	struct hrw_entry **buckets;
	size_t nbuckets, nentries;
	struct hrw_cache *cache;       /* shared mappings' pages, or NULL */
};

/* An open regular file (file->priv). */
struct hrw_file {
	int fd;                        /* host fd with the guest's access mode */
};

/* Where a host object is: dirfd + name, or its own fd (name "", AT_EMPTY_PATH). */
struct hloc {
	int dirfd;
	const char *name;
	int empty;                     /* AT_EMPTY_PATH or 0 */
};

static const struct inode_ops hrw_iops;
static const struct file_ops hrw_reg_fops, hrw_dir_fops;

static struct hrw_inode *hrw_node(struct inode *inode)
{
	return inode->priv;
}

static struct hrw_sb *hrw_sbi(struct super_block *sb)
{
	return sb->priv;
}

static bool valid_name(const char *name)
{
	return name[0] && !strchr(name, '/') && strcmp(name, ".") && strcmp(name, "..");
}

/* ---- host calls that never follow a symlink ---- */

static int hloc_get(struct dentry *d, struct hloc *l)
{
	struct hrw_inode *n = hrw_node(d->inode);
	if (n->fd >= 0) {
		*l = (struct hloc){ n->fd, "", AT_EMPTY_PATH };
		return 0;
	}
	if (d->dead)
		return -ENOENT;        /* unlinked and not in use: the name is someone else's */
	if (d->parent) {
		*l = (struct hloc){ hrw_node(d->parent->inode)->fd, d->name, 0 };
		return 0;
	}
	struct hrw_sb *s = hrw_sbi(d->inode->sb);
	*l = (struct hloc){ s->root_dirfd, s->root_name, 0 };
	return 0;
}

static int host_stat(const struct hloc *l, struct stat *st)
{
	return fstatat(l->dirfd, l->name, st, AT_SYMLINK_NOFOLLOW | l->empty) < 0 ? -errno : 0;
}

static int host_chown(const struct hloc *l, uid_t uid, gid_t gid)
{
	return fchownat(l->dirfd, l->name, uid, gid, AT_SYMLINK_NOFOLLOW | l->empty) < 0 ? -errno : 0;
}

/* A path through /proc/self/fd that reaches exactly the object fd names. */
static void fd_path(char *buf, size_t cap, int fd)
{
	snprintf(buf, cap, "/proc/self/fd/%d", fd);
}

static int host_chmod(const struct hloc *l, mode_t mode)
{
	int flags = l->empty ? AT_EMPTY_PATH : AT_SYMLINK_NOFOLLOW;
	if (syscall(SYS_fchmodat2, l->dirfd, l->name, mode, flags) == 0)
		return 0;
	if (errno != ENOSYS)
		return -errno;
	/* Before Linux 6.6: an O_PATH fd's /proc/self/fd link (glibc's lchmod does the same). */
	int fd = l->empty ? l->dirfd : hostfs_openat2(l->dirfd, l->name, O_PATH);
	if (fd < 0)
		return fd;
	struct stat st;
	int rc = fstat(fd, &st) < 0 ? -errno : S_ISLNK(st.st_mode) ? -EOPNOTSUPP : 0;
	if (!rc) {
		char p[48];
		fd_path(p, sizeof(p), fd);
		rc = chmod(p, mode) < 0 ? -errno : 0;
	}
	if (!l->empty)
		close(fd);
	return rc;
}

static int host_utimens(const struct hloc *l, const struct timespec ts[2])
{
	if (utimensat(l->dirfd, l->name, ts, AT_SYMLINK_NOFOLLOW | l->empty) == 0)
		return 0;
	if (errno != EINVAL || !l->empty)
		return -errno;
	/* Before Linux 5.8 utimensat has no AT_EMPTY_PATH. */
	char p[48];
	fd_path(p, sizeof(p), l->dirfd);
	return utimensat(AT_FDCWD, p, ts, 0) < 0 ? -errno : 0;
}

/* Open the object itself (never a symlink) with flags; a host fd or -errno. */
static int host_open(const struct hloc *l, int flags)
{
	if (!l->empty)
		return hostfs_openat2(l->dirfd, l->name, flags);
	char p[48];
	fd_path(p, sizeof(p), l->dirfd);
	int fd = open(p, flags | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* ---- inodes ---- */

static void apply_stat(struct inode *inode, const struct stat *st)
{
	struct hrw_inode *n = hrw_node(inode);
	n->hdev = st->st_dev;
	n->hino = st->st_ino;
	inode->ino = st->st_ino;
	inode->mode = st->st_mode;
	inode->nlink = st->st_nlink;
	inode->uid = n->owner_set ? n->uid : st->st_uid;
	inode->gid = n->owner_set ? n->gid : st->st_gid;
	inode->size = st->st_size;
	inode->blocks = st->st_blocks;
	inode->blksize = st->st_blksize;
	inode->rdev = st->st_rdev;
	inode->atime = st->st_atim;
	inode->mtime = st->st_mtim;
	inode->ctime = st->st_ctim;
}

static bool same_object(struct inode *inode, const struct stat *st)
{
	struct hrw_inode *n = hrw_node(inode);
	return n->hdev == st->st_dev && n->hino == st->st_ino &&
	       (inode->mode & S_IFMT) == (st->st_mode & S_IFMT);
}

/*
 * Is st (found at d's name) d's object? A file root follows its name: the
 * host may replace the file (an editor's rename, resolv.conf updates) and
 * the guest sees the new one, as it would after reopening it.
 */
static bool names_object(struct dentry *d, const struct stat *st)
{
	if (!d->parent && !d->dead && S_ISREG(d->inode->mode) && S_ISREG(st->st_mode))
		return true;
	return same_object(d->inode, st);
}

static void table_clear(struct inode *dir);

static void hrw_destroy(struct inode *inode)
{
	struct hrw_inode *n = inode->priv;
	if (!n)
		return;
	table_clear(inode);
	free(n->buckets);
	hrw_cache_destroy(n->cache);
	if (n->fd >= 0)
		close(n->fd);
	free(n);
	inode->priv = NULL;
}

/* A new inode from the host's stat; it takes fd (an O_PATH fd, or -1). NULL: -ENOMEM. */
static struct inode *new_inode(struct super_block *sb, const struct stat *st, int fd)
{
	struct hrw_inode *n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	const struct file_ops *fops = S_ISREG(st->st_mode) ? &hrw_reg_fops
				      : S_ISDIR(st->st_mode) ? &hrw_dir_fops : NULL;
	struct inode *inode = inode_alloc(sb, st->st_mode, &hrw_iops, fops);
	if (!inode) {
		free(n);
		return NULL;
	}
	n->fd = fd;
	inode->priv = n;
	inode->destroy = hrw_destroy;
	apply_stat(inode, st);
	return inode;
}

/* ---- the per-directory table of cached dentries ---- */

static size_t name_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (size_t)h;
}

/* The link that holds (or would hold) name's entry; NULL if the table is empty. */
static struct hrw_entry **table_slot(struct hrw_inode *dn, const char *name)
{
	if (!dn->nbuckets)
		return NULL;
	struct hrw_entry **pp = &dn->buckets[name_hash(name) & (dn->nbuckets - 1)];
	while (*pp && strcmp((*pp)->d->name, name))
		pp = &(*pp)->next;
	return pp;
}

static struct dentry *table_find(struct inode *dir, const char *name)
{
	struct hrw_entry **pp = table_slot(hrw_node(dir), name);
	return pp && *pp ? (*pp)->d : NULL;
}

static void entry_free(struct inode *dir, struct hrw_entry **pp)
{
	struct hrw_entry *e = *pp;
	*pp = e->next;
	hrw_node(dir)->nentries--;
	hrw_sbi(dir->sb)->ncached--;
	dentry_put(e->d);
	free(e);
}

/* Forget name's entry (dropping the table's reference). */
static void table_remove(struct inode *dir, const char *name)
{
	struct hrw_entry **pp = table_slot(hrw_node(dir), name);
	if (pp && *pp)
		entry_free(dir, pp);
}

/* Forget d's entry if it is the one cached for its name. */
static void table_forget(struct inode *dir, struct dentry *d)
{
	if (table_find(dir, d->name) == d)
		table_remove(dir, d->name);
}

static void table_clear(struct inode *dir)
{
	struct hrw_inode *dn = hrw_node(dir);
	for (size_t b = 0; b < dn->nbuckets; b++)
		while (dn->buckets[b])
			entry_free(dir, &dn->buckets[b]);
}

static void table_grow(struct hrw_inode *dn)
{
	size_t nb = dn->nbuckets ? dn->nbuckets * 2 : 16;
	struct hrw_entry **b = calloc(nb, sizeof(*b));
	if (!b)
		return;                /* keep the old size: only slower */
	for (size_t i = 0; i < dn->nbuckets; i++) {
		while (dn->buckets[i]) {
			struct hrw_entry *e = dn->buckets[i];
			dn->buckets[i] = e->next;
			size_t h = name_hash(e->d->name) & (nb - 1);
			e->next = b[h];
			b[h] = e;
		}
	}
	free(dn->buckets);
	dn->buckets = b;
	dn->nbuckets = nb;
}

/* Cache d under its name (replacing any entry); failure only loses the cache. */
static void table_insert(struct inode *dir, struct dentry *d)
{
	struct hrw_inode *dn = hrw_node(dir);
	table_remove(dir, d->name);
	if (dn->nentries >= dn->nbuckets)
		table_grow(dn);
	struct hrw_entry *e = malloc(sizeof(*e));
	if (!e || !dn->nbuckets) {
		free(e);
		return;
	}
	dentry_get(d);
	e->d = d;
	size_t h = name_hash(d->name) & (dn->nbuckets - 1);
	e->next = dn->buckets[h];
	dn->buckets[h] = e;
	dn->nentries++;
	hrw_sbi(dir->sb)->ncached++;
}

static bool prunable(struct dentry *d)
{
	return __atomic_load_n(&d->refs, __ATOMIC_ACQUIRE) == 1 && !d->mounted &&
	       __atomic_load_n(&d->inode->refs, __ATOMIC_ACQUIRE) == 1;
}

/*
 * Drop cached dentries nobody uses (only the table holds the dentry and
 * only the dentry its inode; no mount on it), deepest first so that a
 * directory whose children all went goes too. Iterative: the guest decides
 * how deep the tree is.
 */
static void prune_tree(struct dentry *top)
{
	struct frame {
		struct dentry *dir;
		size_t b;                      /* bucket */
		struct hrw_entry **pp;         /* current entry's link, NULL: start bucket b */
		bool descended;                /* the current entry's subtree was pruned */
	} *st = malloc(16 * sizeof(*st));
	size_t n = 0, cap = 16;
	if (!st)
		return;
	st[n++] = (struct frame){ top, 0, NULL, false };
	while (n) {
		struct frame *f = &st[n - 1];
		struct hrw_inode *dn = hrw_node(f->dir->inode);
		if (!f->pp) {
			if (f->b >= dn->nbuckets) {
				n--;
				continue;
			}
			f->pp = &dn->buckets[f->b];
		}
		struct hrw_entry *e = *f->pp;
		if (!e) {
			f->b++;
			f->pp = NULL;
			continue;
		}
		if (!f->descended && S_ISDIR(e->d->inode->mode) && hrw_node(e->d->inode)->nentries) {
			f->descended = true;
			if (n == cap) {
				struct frame *ns = realloc(st, 2 * cap * sizeof(*st));
				if (!ns)
					continue;  /* too deep for memory: leave this subtree */
				st = ns;
				cap *= 2;
				f = &st[n - 1];
			}
			st[n++] = (struct frame){ e->d, 0, NULL, false };
			continue;
		}
		f->descended = false;
		if (prunable(e->d))
			entry_free(f->dir->inode, f->pp);
		else
			f->pp = &e->next;
	}
	free(st);
}

static void maybe_prune(struct super_block *sb)
{
	struct hrw_sb *s = hrw_sbi(sb);
	if (s->ncached < s->prune_at || !s->root || !S_ISDIR(s->root->inode->mode))
		return;
	prune_tree(s->root);
	s->prune_at = MAX(HRW_CACHE_MIN, 2 * s->ncached);
}

/* A new cached dentry name in dir for the host object st (taking fd); one reference in *out. */
static int make_child(struct dentry *dir, const char *name, const struct stat *st, int fd,
		      struct dentry **out)
{
	struct inode *inode = new_inode(dir->inode->sb, st, fd);
	if (!inode) {
		if (fd >= 0)
			close(fd);
		return -ENOMEM;
	}
	struct dentry *d = dentry_alloc(dir, name, inode);
	if (!d) {
		inode_put(inode);
		return -ENOMEM;
	}
	table_insert(dir->inode, d);
	*out = d;
	return 0;
}

/* ---- lookup, readdir, readlink, statfs ---- */

static int hrw_lookup(struct dentry *dir, const char *name, struct dentry **out)
{
	struct hrw_inode *dn = hrw_node(dir->inode);
	if (!S_ISDIR(dir->inode->mode) || dn->fd < 0)
		return -ENOTDIR;
	if (!valid_name(name))
		return -ENOENT;
	maybe_prune(dir->inode->sb);
	struct stat st;
	if (fstatat(dn->fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		int e = errno;
		table_remove(dir->inode, name);
		return e == ENOTDIR ? -ENOENT : -e;
	}
	struct dentry *c = table_find(dir->inode, name);
	if (c && same_object(c->inode, &st)) {
		apply_stat(c->inode, &st);
		dentry_get(c);
		*out = c;
		return 0;
	}
	if (c) {
		/* The host replaced the entry: a new dentry; the old one's cache goes. */
		if (S_ISDIR(c->inode->mode))
			prune_tree(c);
		table_remove(dir->inode, name);
	}
	int fd = -1;
	if (S_ISDIR(st.st_mode)) {
		fd = hostfs_openat2(dn->fd, name, O_PATH | O_DIRECTORY);
		if (fd < 0)
			return fd == -EXDEV || fd == -ELOOP ? -ENOENT : fd;
		/* A host mountpoint of procfs, sysfs, devtmpfs... never shows through. */
		if (fstat(fd, &st) < 0 || (st.st_dev != dn->hdev && hostfs_hidden_fs(fd, st.st_dev))) {
			close(fd);
			return -ENOENT;
		}
	}
	return make_child(dir, name, &st, fd, out);
}

static int hrw_readdir(struct dentry *d, vfs_emit_fn emit, void *ctx)
{
	struct hrw_inode *n = hrw_node(d->inode);
	if (n->fd < 0 || !S_ISDIR(d->inode->mode))
		return -ENOTDIR;
	return hostfs_readdir_fd(n->fd, n->hdev, emit, ctx);
}

static long hrw_readlink(struct dentry *d, char *buf, size_t cap)
{
	struct hloc l;
	int rc = hloc_get(d, &l);
	if (rc)
		return rc;
	/* An unlinked symlink in use: readlinkat(fd, "") reads its O_PATH fd. */
	ssize_t r = readlinkat(l.dirfd, l.name, buf, cap);
	return r < 0 ? -errno : r;
}

static int hrw_statfs(struct dentry *d, struct statfs *st)
{
	struct hloc l;
	int rc = hloc_get(d, &l);
	if (rc)
		return rc;
	struct statfs hs;
	if (fstatfs(l.dirfd, &hs) < 0)
		return -errno;
	st->f_type = hs.f_type;
	st->f_bsize = hs.f_bsize;
	st->f_frsize = hs.f_frsize;
	st->f_blocks = hs.f_blocks;
	st->f_bfree = hs.f_bfree;
	st->f_bavail = hs.f_bavail;
	st->f_files = hs.f_files;
	st->f_ffree = hs.f_ffree;
	st->f_namelen = hs.f_namelen;
	return 0;
}

static void hrw_refresh(struct dentry *d)
{
	struct hloc l;
	struct stat st;
	if (hloc_get(d, &l) || host_stat(&l, &st))
		return;
	/* The name may now be another file's (changed on the host): keep what we had. */
	if (names_object(d, &st))
		apply_stat(d->inode, &st);
}

/* ---- creating names ---- */

static int check_create(struct dentry *dir, const char *name)
{
	if (dir->inode->sb->readonly)
		return -EROFS;
	if (!valid_name(name))
		return -EINVAL;
	if (hrw_node(dir->inode)->fd < 0)
		return -ENOTDIR;
	return 0;
}

/*
 * Finish a host object just made as name in dir: owner as Linux's
 * inode_init_owner (fsuid; fsgid unless dir is set-group-ID), the exact
 * mode (the sentry's umask must not apply twice), then a cached dentry
 * (reference in *out when out is given).
 */
static int finish_create(struct dentry *dir, const char *name, uint32_t mode,
			 const struct cred *c, struct dentry **out)
{
	struct hloc l = { hrw_node(dir->inode)->fd, name, 0 };
	struct stat st;
	int rc = host_stat(&l, &st);
	if (rc)
		return rc;
	uint32_t uid = c ? c->fsuid : 0, gid = c ? c->fsgid : 0;
	bool sgid_dir = dir->inode->mode & S_ISGID;
	bool owner_set = false;
	if (st.st_uid != uid || (!sgid_dir && st.st_gid != gid)) {
		if (host_chown(&l, uid, sgid_dir ? (gid_t)-1 : gid)) {
			/* The host refuses (the sentry is not root): the guest's ids live in memory. */
			owner_set = true;
			if (sgid_dir)
				gid = st.st_gid;
		}
	}
	if (!S_ISLNK(st.st_mode)) {
		/* chown cleared set-user-ID; the host's umask cut permission bits. */
		uint32_t want = (mode & 07777) | (S_ISDIR(st.st_mode) ? st.st_mode & S_ISGID : 0);
		if ((st.st_mode & 07777) != want) {
			rc = host_chmod(&l, want);
			if (rc)
				return rc;
		}
	}
	if ((rc = host_stat(&l, &st)))
		return rc;
	int fd = -1;
	if (S_ISDIR(st.st_mode)) {
		fd = hostfs_openat2(l.dirfd, name, O_PATH | O_DIRECTORY);
		if (fd < 0)
			return fd;
		if (fstat(fd, &st) < 0) {
			rc = -errno;
			close(fd);
			return rc;
		}
	}
	struct dentry *d;
	if ((rc = make_child(dir, name, &st, fd, &d)))
		return rc;
	if (owner_set) {
		struct hrw_inode *n = hrw_node(d->inode);
		n->owner_set = true;
		n->uid = uid;
		n->gid = gid;
		apply_stat(d->inode, &st);
	}
	if (out)
		*out = d;
	else
		dentry_put(d);
	return 0;
}

static int hrw_mknod(struct dentry *dir, const char *name, uint32_t mode, uint64_t rdev,
		     const struct cred *c, struct dentry **out)
{
	int rc = check_create(dir, name);
	if (rc)
		return rc;
	int dfd = hrw_node(dir->inode)->fd;
	uint32_t type = mode & S_IFMT;
	if (type == S_IFREG) {
		struct open_how how = {
			.flags = O_CREAT | O_EXCL | O_WRONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC,
			.mode = mode & 07777,
			.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS,
		};
		long fd = syscall(SYS_openat2, dfd, name, &how, sizeof(how));
		if (fd < 0)
			return -errno;
		close((int)fd);
	} else if (type == S_IFIFO || type == S_IFSOCK || (type == S_IFCHR && rdev == 0)) {
		/* 0:0 is a whiteout (RENAME_WHITEOUT, overlayfs): no device behind it. */
		if (mknodat(dfd, name, type | (mode & 07777), 0) < 0)
			return -errno;
	} else {
		return -EPERM;         /* device nodes are never made on the host */
	}
	return finish_create(dir, name, mode, c, out);
}

/* O_TMPFILE: the host's own unnamed file; linkat names it through its fd. */
static int hrw_tmpfile(struct dentry *dir, uint32_t mode, const struct cred *c,
		       struct dentry **out)
{
	if (dir->inode->sb->readonly)
		return -EROFS;
	struct open_how how = {
		.flags = O_TMPFILE | O_RDWR | O_CLOEXEC,
		.mode = mode & 07777,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS,
	};
	long r = syscall(SYS_openat2, hrw_node(dir->inode)->fd, ".", &how, sizeof(how));
	if (r < 0)
		return -errno;
	int fd = (int)r;
	struct stat st;
	uint32_t uid = c ? c->fsuid : 0, gid = c ? c->fsgid : 0;
	if (dir->inode->mode & S_ISGID)
		gid = dir->inode->gid;
	bool owner_set = fchown(fd, uid, gid) < 0;
	if (fchmod(fd, mode & 07777) < 0 || fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	struct inode *inode = new_inode(dir->inode->sb, &st, fd);
	if (!inode) {
		close(fd);
		return -ENOMEM;
	}
	if (owner_set) {
		struct hrw_inode *n = hrw_node(inode);
		n->owner_set = true;
		n->uid = uid;
		n->gid = gid;
		apply_stat(inode, &st);
	}
	char name[32];
	snprintf(name, sizeof(name), "#%llu", (unsigned long long)inode->ino);
	struct dentry *d = dentry_alloc(dir, name, inode);
	if (!d) {
		inode_put(inode);
		return -ENOMEM;
	}
	d->dead = true;
	*out = d;
	return 0;
}

static int hrw_mkdir(struct dentry *dir, const char *name, uint32_t mode, const struct cred *c)
{
	int rc = check_create(dir, name);
	if (rc)
		return rc;
	if (mkdirat(hrw_node(dir->inode)->fd, name, mode & 07777) < 0)
		return -errno;
	return finish_create(dir, name, S_IFDIR | mode, c, NULL);
}

static int hrw_symlink(struct dentry *dir, const char *name, const char *target,
		       const struct cred *c)
{
	int rc = check_create(dir, name);
	if (rc)
		return rc;
	if (symlinkat(target, hrw_node(dir->inode)->fd, name) < 0)
		return -errno;
	return finish_create(dir, name, S_IFLNK | 0777, c, NULL);
}

static int hrw_link(struct dentry *old, struct dentry *dir, const char *name)
{
	int rc = check_create(dir, name);
	if (rc)
		return rc;
	struct hloc l;
	if ((rc = hloc_get(old, &l)))
		return rc;
	int dfd = hrw_node(dir->inode)->fd;
	if (linkat(l.dirfd, l.name, dfd, name, l.empty) < 0)
		return -errno;
	/* The new name is the same inode, as in Linux. */
	struct stat st;
	struct hloc nl = { dfd, name, 0 };
	if (host_stat(&nl, &st) == 0 && same_object(old->inode, &st))
		apply_stat(old->inode, &st);
	inode_get(old->inode);
	struct dentry *d = dentry_alloc(dir, name, old->inode);
	if (!d) {
		inode_put(old->inode);
		return 0;              /* linked on the host; the next lookup finds it */
	}
	table_insert(dir->inode, d);
	dentry_put(d);
	return 0;
}

/* ---- removing names ---- */

/*
 * victim's name is about to go: if its inode is in use (open, mapped,
 * bound, another link), keep an O_PATH fd so fchmod, fstat... reach it.
 */
static void keep_in_use(struct dentry *dir, struct dentry *victim)
{
	struct hrw_inode *vn = hrw_node(victim->inode);
	if (vn->fd >= 0 || __atomic_load_n(&victim->inode->refs, __ATOMIC_ACQUIRE) <= 1)
		return;
	int fd = hostfs_openat2(hrw_node(dir->inode)->fd, victim->name, O_PATH);
	struct stat st;
	if (fd >= 0 && (fstat(fd, &st) < 0 || !same_object(victim->inode, &st))) {
		close(fd);
		fd = -1;
	}
	vn->fd = fd;
}

/* victim's name is gone from the host: it is dead; a directory's cache goes. */
static void victim_gone(struct dentry *dir, struct dentry *victim)
{
	struct inode *inode = victim->inode;
	struct hrw_inode *vn = hrw_node(inode);
	victim->dead = true;
	if (S_ISDIR(inode->mode)) {
		table_clear(inode);
		inode->nlink = 0;
	} else {
		struct stat st;
		struct hloc l = { vn->fd, "", AT_EMPTY_PATH };
		if (vn->fd >= 0 && host_stat(&l, &st) == 0)
			apply_stat(inode, &st);
		else if (inode->nlink)
			inode->nlink--;
	}
	table_forget(dir->inode, victim);
}

static int hrw_unlink(struct dentry *dir, struct dentry *victim)
{
	if (dir->inode->sb->readonly)
		return -EROFS;
	keep_in_use(dir, victim);
	if (unlinkat(hrw_node(dir->inode)->fd, victim->name, 0) < 0)
		return -errno;
	victim_gone(dir, victim);
	return 0;
}

static int hrw_rmdir(struct dentry *dir, struct dentry *victim)
{
	if (dir->inode->sb->readonly)
		return -EROFS;
	if (unlinkat(hrw_node(dir->inode)->fd, victim->name, AT_REMOVEDIR) < 0)
		return -errno;
	victim_gone(dir, victim);
	return 0;
}

static int hrw_rename(struct dentry *odir, struct dentry *old, struct dentry *ndir,
		      const char *newname, struct dentry *target)
{
	if (odir->inode->sb->readonly)
		return -EROFS;
	if (!valid_name(newname))
		return -EINVAL;
	if (target && !S_ISDIR(target->inode->mode))
		keep_in_use(ndir, target);
	if (renameat(hrw_node(odir->inode)->fd, old->name, hrw_node(ndir->inode)->fd, newname) < 0)
		return -errno;
	if (target)
		victim_gone(ndir, target);
	table_remove(ndir->inode, newname);
	/* Move the dentry itself (d_move) so open files, cwds and mounts follow it. */
	dentry_get(old);
	table_forget(odir->inode, old);
	char *nname = strdup(newname);
	if (nname) {
		free(old->name);
		old->name = nname;
		if (odir != ndir) {
			dentry_get(ndir);
			old->parent = ndir;
			dentry_put(odir);
		}
		table_insert(ndir->inode, old);
	} else {
		old->dead = true;      /* renamed on the host; the next lookup finds it */
	}
	dentry_put(old);
	return 0;
}

/* ---- attributes ---- */

static int hrw_setattr(struct dentry *d, const struct vfs_attr *a)
{
	struct inode *inode = d->inode;
	struct hrw_inode *n = hrw_node(inode);
	if (inode->sb->readonly)
		return -EROFS;
	struct hloc l;
	int rc = hloc_get(d, &l);
	if (rc)
		return rc;
	struct stat st;
	if (!l.empty && host_stat(&l, &st) == 0 && !names_object(d, &st))
		return -ESTALE;        /* the host put another file at the name (fchmod of an open file...) */
	if (a->mask & ATTR_SIZE) {
		int fd = host_open(&l, O_WRONLY | O_NONBLOCK);
		if (fd < 0)
			return fd == -ELOOP || fd == -EXDEV ? -ENOENT : fd;
		rc = ftruncate(fd, (off_t)a->size) < 0 ? -errno : 0;
		close(fd);
		if (rc)
			return rc;
		if (n->cache)
			hrw_cache_resize(n->cache, a->size);
	}
	if (a->mask & (ATTR_UID | ATTR_GID)) {
		uid_t uid = (a->mask & ATTR_UID) ? a->uid : (uid_t)-1;
		gid_t gid = (a->mask & ATTR_GID) ? a->gid : (gid_t)-1;
		rc = host_chown(&l, uid, gid);
		if (rc == -EPERM || rc == -EINVAL) {
			/* The host refuses (the sentry is not root): keep the guest's view in memory. */
			n->uid = (a->mask & ATTR_UID) ? a->uid : inode->uid;
			n->gid = (a->mask & ATTR_GID) ? a->gid : inode->gid;
			n->owner_set = true;
		} else if (rc) {
			return rc;
		} else {
			n->owner_set = false;
		}
	}
	if (a->mask & ATTR_MODE) {
		if ((rc = host_chmod(&l, a->mode & 07777)))
			return rc;
	}
	/* A truncate sets the times itself on the host (do_truncate's ATTR_MTIME). */
	if ((a->mask & (ATTR_ATIME | ATTR_MTIME)) && !(a->mask & ATTR_SIZE)) {
		struct timespec ts[2] = { { 0, UTIME_OMIT }, { 0, UTIME_OMIT } };
		if (a->mask & ATTR_ATIME)
			ts[0] = a->atime;
		if (a->mask & ATTR_MTIME)
			ts[1] = a->mtime;
		if ((rc = host_utimens(&l, ts)))
			return rc;
	}
	if (host_stat(&l, &st) == 0 && names_object(d, &st))
		apply_stat(inode, &st);
	else if (n->owner_set) {
		inode->uid = n->uid;
		inode->gid = n->gid;
	}
	return 0;
}

/* ---- open files ---- */

static int hrw_open(struct dentry *d, struct file *f)
{
	struct inode *inode = d->inode;
	switch (inode->mode & S_IFMT) {
	case S_IFREG:
		break;
	case S_IFDIR:
		return 0;
	case S_IFIFO:
		return pipe_fifo_open(inode, f);   /* served by the sentry, guests only */
	case S_IFSOCK:
		return -ENXIO;
	case S_IFLNK:
		return -ELOOP;
	case S_IFCHR:
		if (inode->rdev == 0)
			return -ENXIO;     /* a whiteout */
		return -EACCES;        /* host devices are never opened */
	default:
		return -EACCES;
	}
	int acc = f->flags & O_ACCMODE;
	if (acc != O_RDONLY && inode->sb->readonly)
		return -EROFS;
	struct hloc l;
	int rc = hloc_get(d, &l);
	if (rc)
		return rc;
	int fd = host_open(&l, acc | O_NONBLOCK | (f->flags & (O_SYNC | O_DSYNC)));
	if (fd < 0)
		return fd == -ELOOP || fd == -EXDEV ? -ENOENT : fd;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EACCES;
	}
	struct hrw_file *hf = malloc(sizeof(*hf));
	if (!hf) {
		close(fd);
		return -ENOMEM;
	}
	if (names_object(d, &st))
		apply_stat(inode, &st);
	hf->fd = fd;
	f->priv = hf;
	return 0;
}

static void hrw_release(struct file *f)
{
	struct hrw_file *hf = f->priv;
	if (!hf)
		return;
	close(hf->fd);
	free(hf);
	f->priv = NULL;
}

/* preadv/pwritev2 in IOV_MAX pieces; bytes moved (a short count stops) or -errno. */
static ssize_t host_rw(int fd, const struct iovec *iov, int iovcnt, int64_t off, bool write,
		       int rwf)
{
	ssize_t done = 0;
	while (iovcnt > 0) {
		int n = iovcnt > IOV_MAX ? IOV_MAX : iovcnt;
		size_t want = iov_total(iov, n);
		ssize_t r;
		do {
			r = write ? pwritev2(fd, iov, n, off + done, rwf) : preadv(fd, iov, n, off + done);
		} while (r < 0 && errno == EINTR);
		if (r < 0)
			return done ? done : -errno;
		done += r;
		if ((size_t)r < want)
			break;
		iov += n;
		iovcnt -= n;
	}
	return done;
}

static ssize_t hrw_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t off)
{
	struct hrw_file *hf = f->priv;
	if (!hf)
		return -EBADF;
	ssize_t n = host_rw(hf->fd, iov, iovcnt, off, false, 0);
	struct hrw_cache *c = hrw_node(f->inode)->cache;
	if (n > 0 && c)
		hrw_cache_after_read(c, iov, iovcnt, (uint64_t)off, (size_t)n);   /* mapped stores win */
	return n;
}

static ssize_t hrw_write(struct file *f, const struct iovec *iov, int iovcnt, int64_t off)
{
	struct hrw_file *hf = f->priv;
	struct inode *inode = f->inode;
	if (!hf)
		return -EBADF;
	if (inode->sb->readonly)
		return -EROFS;
	/* O_APPEND: the host appends atomically (other writers may share the file). */
	bool append = f->flags & O_APPEND;
	ssize_t n = host_rw(hf->fd, iov, iovcnt, off, true, append ? RWF_APPEND : 0);
	if (n > 0) {
		struct stat st;
		uint64_t woff = (uint64_t)off;
		if (append && fstat(hf->fd, &st) == 0 && same_object(inode, &st)) {
			apply_stat(inode, &st);
			woff = inode->size >= (uint64_t)n ? inode->size - (uint64_t)n : 0;
		} else if ((uint64_t)off + (uint64_t)n > inode->size) {
			inode->size = (uint64_t)off + (uint64_t)n;
		}
		inode_touch(inode, false, true, true);
		struct hrw_cache *c = hrw_node(inode)->cache;
		if (c)
			hrw_cache_after_write(c, iov, iovcnt, woff, (size_t)n);
	}
	return n;
}

static int hrw_fstat(struct file *f, struct stat *st)
{
	struct hrw_file *hf = f->priv;
	vfs_lock();
	struct stat hs;
	bool have = hf && fstat(hf->fd, &hs) == 0;
	if (have && same_object(f->inode, &hs))
		apply_stat(f->inode, &hs);
	else if (!hf && f->dentry)
		hrw_refresh(f->dentry);            /* O_PATH */
	inode_stat(f->inode, st);
	if (have && !same_object(f->inode, &hs)) {
		/* The inode names another object now (a file root's name moved on): this fd's own. */
		struct hrw_inode *n = hrw_node(f->inode);
		st->st_ino = hs.st_ino;
		st->st_mode = hs.st_mode;
		st->st_nlink = hs.st_nlink;
		st->st_uid = n->owner_set ? n->uid : hs.st_uid;
		st->st_gid = n->owner_set ? n->gid : hs.st_gid;
		st->st_size = hs.st_size;
		st->st_blocks = hs.st_blocks;
		st->st_blksize = hs.st_blksize;
		st->st_atim = hs.st_atim;
		st->st_mtim = hs.st_mtim;
		st->st_ctim = hs.st_ctim;
	}
	vfs_unlock();
	return 0;
}

/* fsync/fdatasync: the shared mappings' pages first, then the host's own. */
static int hrw_fsync(struct file *f)
{
	struct hrw_file *hf = f->priv;
	if (!hf)
		return -EBADF;
	vfs_lock();
	struct hrw_cache *c = hrw_node(f->inode)->cache;
	int rc = c ? hrw_cache_writeback(c) : 0;
	vfs_unlock();
	if (fsync(hf->fd) < 0 && !rc)
		rc = -errno;
	return rc;
}

/* lseek: SEEK_END at the host's size, SEEK_DATA/SEEK_HOLE as the host reports. */
static int64_t hrw_llseek(struct file *f, int64_t off, int whence)
{
	struct hrw_file *hf = f->priv;
	if (!hf)
		return -EBADF;
	vfs_lock();
	int64_t npos = 0, rc = 0;
	struct stat st;
	switch (whence) {
	case SEEK_SET:
		npos = off;
		break;
	case SEEK_CUR:
		if (__builtin_add_overflow(f->pos, off, &npos))
			rc = -EOVERFLOW;
		break;
	case SEEK_END:
		if (fstat(hf->fd, &st) < 0)
			rc = -errno;
		else if (__builtin_add_overflow((int64_t)st.st_size, off, &npos))
			rc = -EOVERFLOW;
		break;
	case SEEK_DATA:
	case SEEK_HOLE: {
		off_t r = lseek(hf->fd, off, whence);
		if (r < 0)
			rc = -errno;
		npos = r;
		break;
	}
	default:
		rc = -EINVAL;
	}
	if (!rc && npos < 0)
		rc = -EINVAL;
	if (!rc) {
		f->pos = npos;
		rc = npos;
	}
	vfs_unlock();
	return rc;
}

static int hrw_fallocate(struct file *f, int mode, uint64_t off, uint64_t len)
{
	struct hrw_file *hf = f->priv;
	if (!hf)
		return -EBADF;
	if (f->inode->sb->readonly)
		return -EROFS;
	struct hrw_cache *c = hrw_node(f->inode)->cache;
	bool moves = mode & (FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_INSERT_RANGE);
	if (c && moves) {
		/* The host moves the file's bytes: give it ours first, then read them again. */
		int rc = hrw_cache_writeback(c);
		if (rc)
			return rc;
	}
	if (fallocate(hf->fd, mode, (off_t)off, (off_t)len) < 0)
		return -errno;
	struct stat st;
	bool have = fstat(hf->fd, &st) == 0;
	if (have && same_object(f->inode, &st))
		apply_stat(f->inode, &st);
	if (c) {
		if (moves)
			hrw_cache_invalidate(c);
		else if (mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE))
			hrw_cache_zero(c, off, len);
		if (have)
			hrw_cache_resize(c, (uint64_t)st.st_size);
	}
	return 0;
}

/* ---- shared mappings (file_ops.map_*; vfs_lock held): the page cache ---- */

static bool open_for_writing(const struct file *f)
{
	return (f->flags & O_ACCMODE) != O_RDONLY;
}

/* Every MAP_SHARED maps the inode's cached pages (made here by the first one). */
static int hrw_map_shared(struct file *f, bool writable)
{
	(void)writable;        /* the access mode, not PROT_WRITE, decides (mprotect may add it) */
	struct hrw_file *hf = f->priv;
	struct hrw_inode *n = hrw_node(f->inode);
	if (!hf)
		return -EBADF;
	if (!n->cache) {
		struct stat st;
		if (fstat(hf->fd, &st) < 0)
			return -errno;
		int rc = hrw_cache_create(hf->fd, open_for_writing(f), (uint64_t)st.st_size, &n->cache);
		if (rc)
			return rc;
	} else if (open_for_writing(f)) {
		int rc = hrw_cache_make_writable(n->cache, hf->fd);
		if (rc)
			return rc;
	}
	return 1;
}

/*
 * The host file itself, unless shared mappings cache its pages (they may
 * hold writes the host file has not seen yet) or the fd cannot be read.
 */
static int hrw_host_fd(struct file *f)
{
	struct hrw_file *hf = f->priv;
	if (!hf || hrw_node(f->inode)->cache || (f->flags & O_ACCMODE) == O_WRONLY)
		return -1;
	return hf->fd;
}

static int hrw_map_page(struct file *f, uint64_t pgoff, bool create, uint64_t *mf_off)
{
	struct hrw_cache *c = hrw_node(f->inode)->cache;
	return c ? hrw_cache_page(c, pgoff, create, mf_off) : -ENXIO;
}

static uint64_t hrw_map_next(struct file *f, uint64_t pgoff)
{
	struct hrw_cache *c = hrw_node(f->inode)->cache;
	return c ? hrw_cache_next(c, pgoff) : UINT64_MAX;
}

/* The last mapping's end writes the pages back and frees them. */
static void hrw_map_pin(struct file *f, int delta)
{
	struct hrw_inode *n = hrw_node(f->inode);
	if (!n->cache && delta > 0 && hrw_map_shared(f, false) < 0)
		return;            /* no memory: the mapping's touches are SIGBUS */
	if (n->cache && hrw_cache_pin(n->cache, delta, open_for_writing(f))) {
		hrw_cache_destroy(n->cache);
		n->cache = NULL;
	}
}

/* msync: MS_ASYNC writes the pages to the host file, MS_SYNC makes them durable too. */
static int hrw_map_sync(struct file *f, bool sync)
{
	struct hrw_file *hf = f->priv;
	struct hrw_cache *c = hrw_node(f->inode)->cache;
	int rc = c ? hrw_cache_writeback(c) : 0;
	if (!rc && sync && hf && fdatasync(hf->fd) < 0)
		rc = -errno;
	return rc;
}

static int hrw_dir_fsync(struct file *f)
{
	struct hrw_inode *n = hrw_node(f->inode);
	int fd = hostfs_openat2(n->fd, ".", O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return fd;
	int rc = fsync(fd) < 0 ? -errno : 0;
	close(fd);
	return rc;
}

static const struct file_ops hrw_reg_fops = {
	.read = hrw_read,
	.write = hrw_write,
	.fstat = hrw_fstat,
	.release = hrw_release,
	.fsync = hrw_fsync,
	.llseek = hrw_llseek,
	.fallocate = hrw_fallocate,
	.map_shared = hrw_map_shared,
	.map_page = hrw_map_page,
	.map_next = hrw_map_next,
	.map_pin = hrw_map_pin,
	.map_sync = hrw_map_sync,
	.host_fd = hrw_host_fd,
	.mmappable = true,
};

static const struct file_ops hrw_dir_fops = {
	.fsync = hrw_dir_fsync,
};

static const struct inode_ops hrw_iops = {
	.lookup = hrw_lookup,
	.mknod = hrw_mknod,
	.tmpfile = hrw_tmpfile,
	.mkdir = hrw_mkdir,
	.symlink = hrw_symlink,
	.link = hrw_link,
	.unlink = hrw_unlink,
	.rmdir = hrw_rmdir,
	.rename = hrw_rename,
	.readlink = hrw_readlink,
	.setattr = hrw_setattr,
	.refresh = hrw_refresh,
	.open = hrw_open,
	.readdir = hrw_readdir,
	.statfs = hrw_statfs,
};

/* ---- the mount's root ---- */

/*
 * Open the root: a directory's own O_PATH fd, or for a regular file its
 * directory's fd and its name (*dirfd, *base). st receives its stat.
 */
static int open_root(const char *host_path, int *fd, int *dirfd, char **base, struct stat *st)
{
	char *real = realpath(host_path, NULL);
	if (!real)
		return -errno;
	int rc = 0;
	if (stat(real, st) < 0) {
		rc = -errno;
	} else if (S_ISDIR(st->st_mode)) {
		*fd = open(real, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (*fd < 0 || fstat(*fd, st) < 0)
			rc = -errno;
		else if (hostfs_hidden_fs(*fd, st->st_dev))
			rc = -EACCES;      /* host /proc, /sys, /dev... are never passed through */
	} else if (S_ISREG(st->st_mode)) {
		char *slash = strrchr(real, '/');
		*base = strdup(slash + 1);
		if (slash == real)
			slash[1] = 0;
		else
			*slash = 0;
		*dirfd = open(real, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (!*base)
			rc = -ENOMEM;
		else if (*dirfd < 0 || fstatat(*dirfd, *base, st, AT_SYMLINK_NOFOLLOW) < 0)
			rc = -errno;
		else if (!S_ISREG(st->st_mode))
			rc = -EINVAL;
	} else {
		rc = -EINVAL;
	}
	free(real);
	return rc;
}

int hostfs_rw_create_root(const char *host_path, bool readonly, struct super_block **sbp,
			  struct dentry **rootp)
{
	int fd = -1, dirfd = -1;
	char *base = NULL;
	struct stat st;
	struct statfs sf = { 0 };
	struct hrw_sb *s = NULL;
	struct super_block *sb = NULL;
	int rc = open_root(host_path, &fd, &dirfd, &base, &st);
	if (!rc && fstatfs(fd >= 0 ? fd : dirfd, &sf) < 0)
		rc = -errno;
	if (!rc && !(s = calloc(1, sizeof(*s))))
		rc = -ENOMEM;
	if (!rc && !(sb = sb_create("hostfs", (uint32_t)sf.f_type)))
		rc = -ENOMEM;
	if (rc) {
		if (fd >= 0)
			close(fd);
		if (dirfd >= 0)
			close(dirfd);
		free(base);
		free(s);
		return rc;
	}
	s->root_dirfd = dirfd;
	s->root_name = base;
	s->prune_at = HRW_CACHE_MIN;
	sb->priv = s;
	sb->readonly = readonly;
	vfs_lock();
	struct inode *inode = new_inode(sb, &st, fd);
	struct dentry *root = inode ? dentry_alloc(NULL, base ? base : "/", inode) : NULL;
	if (!inode && fd >= 0)
		close(fd);
	if (inode && !root)
		inode_put(inode);
	s->root = root;
	vfs_unlock();
	if (!root)
		return -ENOMEM;
	*sbp = sb;
	*rootp = root;
	return 0;
}
