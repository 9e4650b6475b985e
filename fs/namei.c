/*
 * Path-based operations: open, create, mkdir, unlink, rename, links,
 * stat, access, setattr, statfs, flock. The generic checks (permissions,
 * read-only mounts, names, sticky directories) are here; the file systems
 * only do the work.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <linux/fs.h>
#include <linux/openat2.h>
#include "fs/vfs_internal.h"

#ifndef ST_VALID
#define ST_VALID 0x0020
#endif

static bool path_readonly(const struct path *p)
{
	return (p->mnt->flags & MS_RDONLY) || p->mnt->sb->readonly;
}

/*
 * A lookup from dirf (or the cwd) under openat2's RESOLVE_* flags (0:
 * none), for a caller that holds vfs_lock at most once and keeps nothing
 * but references across the walk: if it holds it once, the walk's cold
 * lookups may drop it for their host calls (vfs_walk_locked). So stat,
 * statx and open without O_CREAT take the lock once for the whole call.
 */
static int lookup_held(struct fs_context *fs, const struct cred *cred, struct file *dirf,
		       const char *path, int flags, int resolve, struct path *out)
{
	struct nameidata nd;
	nd_init(&nd, fs, cred, dirf);
	nd_scope(&nd, resolve);
	int rc = vfs_walk_locked(&nd, path, flags, out);
	nd_release(&nd);
	return rc;
}

static int lookup_scoped(struct fs_context *fs, const struct cred *cred, struct file *dirf,
			 const char *path, int flags, int resolve, struct path *out)
{
	vfs_lock();
	int rc = lookup_held(fs, cred, dirf, path, flags, resolve, out);
	vfs_unlock();
	return rc;
}

static int lookup_at(struct fs_context *fs, const struct cred *cred, struct file *dirf,
		     const char *path, int flags, struct path *out)
{
	return lookup_scoped(fs, cred, dirf, path, flags, 0, out);
}

/* A parent-walk with its own nameidata; the caller holds vfs_lock. */
struct parent_walk {
	struct path parent;
	char last[VFS_NAME_MAX + 1];
	enum last_type type;
	bool trailing;
};

static int walk_parent_scoped(struct fs_context *fs, const struct cred *cred, struct file *dirf,
			      const char *path, int resolve, struct parent_walk *pw)
{
	struct nameidata nd;
	nd_init(&nd, fs, cred, dirf);
	nd_scope(&nd, resolve);
	int rc = vfs_walk_parent(&nd, path, &pw->parent, pw->last, &pw->type, &pw->trailing);
	nd_release(&nd);
	return rc;
}

static int walk_parent_at(struct fs_context *fs, const struct cred *cred, struct file *dirf,
			  const char *path, struct parent_walk *pw)
{
	return walk_parent_scoped(fs, cred, dirf, path, 0, pw);
}

/* May cred create or delete entries in dir? */
static int may_modify_dir(const struct path *dir, const struct cred *cred)
{
	int rc = inode_permission(dir->dentry->inode, cred, MAY_WRITE | MAY_EXEC);
	if (rc)
		return rc;
	if (path_readonly(dir))
		return -EROFS;
	if (dir->dentry->dead)
		return -ENOENT;
	return 0;
}

/* The sticky-directory rule for deleting or renaming victim. */
static int check_sticky(struct inode *dir, struct inode *victim, const struct cred *cred)
{
	if (!(dir->mode & S_ISVTX))
		return 0;
	if (cred->fsuid == dir->uid || cred->fsuid == victim->uid)
		return 0;
	return cred_capable(cred, CAP_FOWNER) ? 0 : -EPERM;
}

/* ---- open ---- */

static int open_check_perm(const struct path *p, const struct cred *cred, int flags)
{
	struct inode *inode = p->dentry->inode;
	int acc = flags & O_ACCMODE;
	if (flags & O_PATH)
		return 0;
	if (S_ISDIR(inode->mode) && (acc != O_RDONLY || (flags & O_TRUNC)))
		return -EISDIR;
	if ((flags & O_DIRECTORY) && !S_ISDIR(inode->mode))
		return -ENOTDIR;
	int may = 0;
	if (acc == O_RDONLY || acc == O_RDWR)
		may |= MAY_READ;
	if (acc == O_WRONLY || acc == O_RDWR || (flags & O_TRUNC))
		may |= MAY_WRITE;
	int rc = inode_permission(inode, cred, may);
	if (rc)
		return rc;
	if ((may & MAY_WRITE) && path_readonly(p) &&
	    (S_ISREG(inode->mode) || S_ISDIR(inode->mode) || S_ISLNK(inode->mode)))
		return -EROFS;
	/* may_open: O_NOATIME is for the owner (or CAP_FOWNER). */
	if ((flags & O_NOATIME) && cred->fsuid != inode->uid && !cred_capable(cred, CAP_FOWNER))
		return -EPERM;
	return 0;
}

/*
 * open(O_TMPFILE): an unnamed regular file in the directory `path`
 * (Linux's do_tmpfile). Without O_EXCL, linkat may give it a name later.
 */
static int open_tmpfile(struct fs_context *fs, const struct cred *cred, struct file *dirf,
			const char *path, int flags, int mode, int resolve, struct file **out)
{
	struct path dir;
	int rc = lookup_scoped(fs, cred, dirf, path, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, resolve, &dir);
	if (rc)
		return rc;
	struct inode *di = dir.dentry->inode;
	struct dentry *d = NULL;
	if (path_readonly(&dir))
		rc = -EROFS;
	else if ((rc = inode_permission(di, cred, MAY_WRITE | MAY_EXEC)))
		;
	else if (dir.dentry->dead)
		rc = -ENOENT;
	else if (!di->iops || !di->iops->tmpfile)
		rc = -EOPNOTSUPP;
	else
		rc = di->iops->tmpfile(dir.dentry, S_IFREG | (mode & 07777 & ~fsctx_umask(fs, -1)),
				       cred, &d);
	if (!rc) {
		d->inode->linkable = !(flags & O_EXCL);
		struct path p = { dir.mnt, d };
		rc = file_open_path(&p, flags & ~(020000000 | O_DIRECTORY | O_EXCL | O_NOCTTY | O_TRUNC), out);
		dentry_put(d);
	}
	path_put(&dir);
	return rc;
}

static int do_truncate(struct dentry *d, uint64_t size)
{
	struct inode *inode = d->inode;
	if (!S_ISREG(inode->mode))
		return 0;      /* O_TRUNC on devices and fifos is ignored */
	if (!inode->iops || !inode->iops->setattr)
		return -EINVAL;
	struct vfs_attr a = { .mask = ATTR_SIZE | ATTR_MTIME | ATTR_CTIME, .size = size };
	a.mtime = vfs_now();
	int rc = inode->iops->setattr(d, &a);
	if (!rc)
		fsnotify_setattr(d, a.mask);
	return rc;
}

#define CREATE_LINK_DEPTH 40

/*
 * open(O_CREAT) of a dangling symlink: open its target with the same
 * flags, relative to the link's directory. The depth bounds link chains
 * (ELOOP after 40, as path resolution).
 */
static int create_through_link(struct fs_context *fs, const struct cred *cred,
			       const struct path *dir, struct dentry *link, int flags, int mode,
			       struct file **out)
{
	static __thread int depth;
	if (depth >= CREATE_LINK_DEPTH)
		return -ELOOP;
	char *target = malloc(VFS_PATH_MAX);
	char *full = malloc(2 * VFS_PATH_MAX);
	int rc = (!target || !full) ? -ENOMEM : 0;
	long n = 0;
	if (!rc) {
		n = link->inode->iops && link->inode->iops->readlink
		    ? link->inode->iops->readlink(link, target, VFS_PATH_MAX - 1) : -EINVAL;
		rc = n < 0 ? (int)n : 0;
	}
	if (!rc) {
		target[n] = 0;
		if (target[0] == '/') {
			snprintf(full, 2 * VFS_PATH_MAX, "%s", target);
		} else {
			/* Relative to the link's directory, named from the task's root. */
			struct path root;
			fsctx_get_root(fs, &root);
			long m = vfs_path_string(&root, dir, full, VFS_PATH_MAX);
			path_put(&root);
			rc = m < 0 ? (int)m : 0;
			if (!rc)
				snprintf(full + m, 2 * VFS_PATH_MAX - m, "/%s", target);
		}
	}
	if (!rc) {
		depth++;
		rc = vfs_openat(fs, cred, NULL, full, flags, mode, out);
		depth--;
	}
	free(target);
	free(full);
	return rc;
}

int vfs_openat(struct fs_context *fs, const struct cred *cred, struct file *dirf,
	       const char *path, int flags, int mode, struct file **out)
{
	return vfs_openat2(fs, cred, dirf, path, flags, mode, 0, out);
}

int vfs_openat2(struct fs_context *fs, const struct cred *cred, struct file *dirf,
		const char *path, int flags, int mode, int resolve, struct file **out)
{
	/* The kernel's __O_TMPFILE bit (glibc's __O_TMPFILE includes O_DIRECTORY). */
	if (flags & 020000000) {
		/* build_open_flags: O_TMPFILE needs O_DIRECTORY, write access and no O_CREAT. */
		if ((flags & (020000000 | O_DIRECTORY | O_CREAT)) != (020000000 | O_DIRECTORY) ||
		    (flags & O_ACCMODE) == O_RDONLY)
			return -EINVAL;
		vfs_lock();
		int rc = open_tmpfile(fs, cred, dirf, path, flags, mode, resolve, out);
		vfs_unlock();
		return rc;
	}
	if ((flags & O_DIRECTORY) && (flags & O_CREAT))
		return -EINVAL;        /* Linux 6.4+ */
	if (flags & O_PATH)
		flags &= O_PATH | O_CLOEXEC | O_DIRECTORY | O_NOFOLLOW;
	bool created = false;
	struct path p;
	int rc;
	vfs_lock();
	if (!(flags & O_CREAT)) {
		int lf = (flags & O_NOFOLLOW) ? 0 : LOOKUP_FOLLOW;
		if (flags & O_DIRECTORY)
			lf |= LOOKUP_DIRECTORY;
		rc = lookup_held(fs, cred, dirf, path, lf, resolve, &p);
		if (rc)
			goto out;
	} else {
		struct parent_walk pw;
		rc = walk_parent_scoped(fs, cred, dirf, path, resolve, &pw);
		if (rc)
			goto out;
		if (pw.type != LAST_NORM) {
			path_put(&pw.parent);
			rc = -EISDIR;
			goto out;
		}
		struct dentry *d;
		rc = inode_permission(pw.parent.dentry->inode, cred, MAY_EXEC);
		if (!rc)
			rc = dentry_lookup(pw.parent.dentry, pw.last, &d);
		if (rc == -ENOENT) {
			if (pw.trailing) {
				rc = -EISDIR;
			} else if (!(rc = may_modify_dir(&pw.parent, cred))) {
				struct inode *dir = pw.parent.dentry->inode;
				uint32_t m = S_IFREG | (mode & 07777 & ~fsctx_umask(fs, -1));
				rc = dir->iops && dir->iops->mknod
				     ? dir->iops->mknod(pw.parent.dentry, pw.last, m, 0, cred, &d)
				     : -EPERM;
				if (!rc) {
					created = true;
					p.mnt = pw.parent.mnt;
					p.dentry = d;
				}
			}
			path_put(&pw.parent);
			if (rc)
				goto out;
		} else if (rc) {
			path_put(&pw.parent);
			goto out;
		} else {
			if (flags & O_EXCL) {
				dentry_put(d);
				path_put(&pw.parent);
				rc = -EEXIST;
				goto out;
			}
			/* Exists: resolve again with the ordinary rules (mounts, links). */
			rc = lookup_scoped(fs, cred, dirf, path,
					   (flags & O_NOFOLLOW) ? 0 : LOOKUP_FOLLOW, resolve, &p);
			if (rc == -ENOENT && S_ISLNK(d->inode->mode) && !(flags & O_NOFOLLOW)) {
				/*
				 * A dangling symlink: O_CREAT creates its target, as Linux
				 * does; the target is named from the task's root, which a
				 * scoped openat2 may not reach: refused there (EXDEV).
				 */
				rc = resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT | RESOLVE_NO_XDEV)
				     ? -EXDEV : create_through_link(fs, cred, &pw.parent, d, flags, mode, out);
				path_put(&pw.parent);
				dentry_put(d);
				goto out;
			}
			path_put(&pw.parent);
			dentry_put(d);
			if (rc)
				goto out;
			if (S_ISDIR(p.dentry->inode->mode)) {
				path_put(&p);
				rc = -EISDIR;
				goto out;
			}
		}
	}
	if (!created) {
		if (S_ISLNK(p.dentry->inode->mode) && !(flags & O_PATH)) {
			path_put(&p);
			rc = -ELOOP;
			goto out;
		}
		rc = open_check_perm(&p, cred, flags);
		if (!rc && (flags & O_TRUNC) && !(flags & O_PATH) && (flags & O_ACCMODE) != O_RDONLY)
			rc = do_truncate(p.dentry, 0);
		if (rc) {
			path_put(&p);
			goto out;
		}
	}
	rc = file_open_path(&p, flags & ~(O_CREAT | O_EXCL | O_TRUNC), out);
	if (!rc && created)
		fsnotify_create(p.dentry->parent, p.dentry->name, false);
	if (!rc)
		fsnotify_open(*out);
	path_put(&p);
out:
	vfs_unlock();
	/* A named FIFO may wait for its other end, without the VFS lock. */
	if (!rc && (rc = vfs_fifo_open_wait(*out)))
		file_put(*out);
	return rc;
}

int vfs_open_exec(struct fs_context *fs, const struct cred *cred, const char *path,
		  struct file **out)
{
	struct path p;
	vfs_lock();
	int rc = lookup_at(fs, cred, NULL, path, LOOKUP_FOLLOW, &p);
	if (!rc) {
		struct inode *inode = p.dentry->inode;
		if (!S_ISREG(inode->mode) || (p.mnt->flags & MS_NOEXEC))
			rc = -EACCES;
		else
			rc = inode_permission(inode, cred, MAY_EXEC);
		if (!rc)
			rc = file_open_path(&p, O_RDONLY, out);
		path_put(&p);
	}
	vfs_unlock();
	return rc;
}

/* ---- create ---- */

/*
 * A new name at pw (mknod, mkdir, symlink, link): 0 if it is free and cred
 * may create it in the parent; else -EEXIST, or the permission's or the
 * lookup's error, in Linux's order. vfs_lock held.
 */
static int may_create_name(struct parent_walk *pw, const struct cred *cred)
{
	if (pw->type != LAST_NORM)
		return -EEXIST;
	int rc = inode_permission(pw->parent.dentry->inode, cred, MAY_EXEC);
	if (rc)
		return rc;
	struct dentry *d;
	rc = dentry_lookup(pw->parent.dentry, pw->last, &d);
	if (rc == 0) {
		dentry_put(d);
		return -EEXIST;
	}
	return rc == -ENOENT ? may_modify_dir(&pw->parent, cred) : rc;
}

int vfs_mknodat(struct fs_context *fs, const struct cred *cred, struct file *dirf,
		const char *path, int mode, uint64_t dev)
{
	uint32_t type = mode & S_IFMT;
	if (type == 0)
		type = S_IFREG;
	if (type != S_IFREG && type != S_IFCHR && type != S_IFBLK && type != S_IFIFO &&
	    type != S_IFSOCK)
		return -EINVAL;
	/* Whiteouts (0:0 character devices) need no privilege since Linux 5.8. */
	bool whiteout = type == S_IFCHR && dev == 0;
	if ((type == S_IFCHR || type == S_IFBLK) && !whiteout && !cred_capable(cred, CAP_MKNOD))
		return -EPERM;
	struct parent_walk pw;
	vfs_lock();
	int rc = walk_parent_at(fs, cred, dirf, path, &pw);
	if (rc)
		goto out;
	struct dentry *d;
	struct inode *dir = pw.parent.dentry->inode;
	rc = may_create_name(&pw, cred);
	if (!rc && pw.trailing)
		rc = -ENOENT;
	if (!rc) {
		uint32_t m = type | (mode & 07777 & ~fsctx_umask(fs, -1));
		rc = dir->iops && dir->iops->mknod
		     ? dir->iops->mknod(pw.parent.dentry, pw.last, m, dev, cred, &d) : -EPERM;
		if (!rc) {
			fsnotify_create(pw.parent.dentry, pw.last, false);
			dentry_put(d);
		}
	}
	path_put(&pw.parent);
out:
	vfs_unlock();
	return rc;
}

int vfs_mkdirat(struct fs_context *fs, const struct cred *cred, struct file *dirf,
		const char *path, int mode)
{
	struct parent_walk pw;
	vfs_lock();
	int rc = walk_parent_at(fs, cred, dirf, path, &pw);
	if (rc)
		goto out;
	struct inode *dir = pw.parent.dentry->inode;
	rc = may_create_name(&pw, cred);
	if (!rc)
		rc = dir->iops && dir->iops->mkdir
		     ? dir->iops->mkdir(pw.parent.dentry, pw.last,
					mode & 07777 & ~fsctx_umask(fs, -1), cred)
		     : -EPERM;
	if (!rc)
		fsnotify_create(pw.parent.dentry, pw.last, true);
	path_put(&pw.parent);
out:
	vfs_unlock();
	return rc;
}

int vfs_symlinkat(struct fs_context *fs, const struct cred *cred, const char *target,
		  struct file *dirf, const char *path)
{
	if (!target[0])
		return -ENOENT;
	struct parent_walk pw;
	vfs_lock();
	int rc = walk_parent_at(fs, cred, dirf, path, &pw);
	if (rc)
		goto out;
	struct inode *dir = pw.parent.dentry->inode;
	rc = may_create_name(&pw, cred);
	if (!rc && pw.trailing)
		rc = -ENOENT;
	if (!rc)
		rc = dir->iops && dir->iops->symlink
		     ? dir->iops->symlink(pw.parent.dentry, pw.last, target, cred) : -EPERM;
	if (!rc)
		fsnotify_create(pw.parent.dentry, pw.last, false);
	path_put(&pw.parent);
out:
	vfs_unlock();
	return rc;
}

int vfs_linkat(struct fs_context *fs, const struct cred *cred, struct file *odirf,
	       const char *oldpath, struct file *ndirf, const char *newpath, int at_flags)
{
	struct path old;
	vfs_lock();
	int lf = (at_flags & AT_SYMLINK_FOLLOW) ? LOOKUP_FOLLOW : 0;
	if (at_flags & AT_EMPTY_PATH)
		lf |= LOOKUP_EMPTY;
	int rc = lookup_at(fs, cred, odirf, oldpath, lf, &old);
	if (rc)
		goto out;
	if (S_ISDIR(old.dentry->inode->mode)) {
		rc = -EPERM;
		goto out_old;
	}
	/* vfs_link: an unlinked file comes back only if O_TMPFILE made it linkable. */
	struct inode *oinode = old.dentry->inode;
	bool relink = oinode->nlink == 0;
	if (relink && !oinode->linkable) {
		rc = -ENOENT;
		goto out_old;
	}
	struct parent_walk pw;
	rc = walk_parent_at(fs, cred, ndirf, newpath, &pw);
	if (rc)
		goto out_old;
	struct inode *dir = pw.parent.dentry->inode;
	rc = may_create_name(&pw, cred);
	if (!rc && pw.parent.mnt != old.mnt)
		rc = -EXDEV;
	if (!rc && pw.trailing)
		rc = -ENOENT;
	if (!rc)
		rc = dir->iops && dir->iops->link
		     ? dir->iops->link(old.dentry, pw.parent.dentry, pw.last) : -EPERM;
	if (!rc) {
		if (relink)
			oinode->linkable = false;
		fsnotify_link_count(oinode);
		fsnotify_create(pw.parent.dentry, pw.last, false);
	}
	path_put(&pw.parent);
out_old:
	path_put(&old);
out:
	vfs_unlock();
	return rc;
}

/* ---- delete ---- */

int vfs_unlinkat(struct fs_context *fs, const struct cred *cred, struct file *dirf,
		 const char *path, int at_flags)
{
	bool rmdir = at_flags & AT_REMOVEDIR;
	struct parent_walk pw;
	vfs_lock();
	int rc = walk_parent_at(fs, cred, dirf, path, &pw);
	if (rc)
		goto out;
	struct dentry *d = NULL;
	if (pw.type == LAST_DOT) {
		rc = rmdir ? -EINVAL : -EISDIR;
	} else if (pw.type == LAST_DOTDOT) {
		rc = rmdir ? -ENOTEMPTY : -EISDIR;
	} else if (pw.type == LAST_ROOT) {
		rc = rmdir ? -EBUSY : -EISDIR;
	} else if ((rc = inode_permission(pw.parent.dentry->inode, cred, MAY_EXEC))) {
	} else if (!(rc = dentry_lookup(pw.parent.dentry, pw.last, &d))) {
		struct inode *inode = d->inode;
		struct inode *dir = pw.parent.dentry->inode;
		if (rmdir && !S_ISDIR(inode->mode))
			rc = -ENOTDIR;
		else if (!rmdir && S_ISDIR(inode->mode))
			rc = -EISDIR;
		else if (!rmdir && pw.trailing)
			rc = -ENOTDIR;
		else if ((rc = may_modify_dir(&pw.parent, cred))) {
		} else if ((rc = check_sticky(dir, inode, cred))) {
		} else if (d->mounted && mount_lookup(pw.parent.mnt, d)) {
			rc = -EBUSY;
		} else if (rmdir) {
			rc = dir->iops && dir->iops->rmdir ? dir->iops->rmdir(pw.parent.dentry, d)
							   : -EPERM;
		} else {
			rc = dir->iops && dir->iops->unlink ? dir->iops->unlink(pw.parent.dentry, d)
							    : -EPERM;
			if (!rc)
				fsnotify_link_count(inode);
		}
		/* The victim's IN_DELETE_SELF (when it goes) comes before the parent's IN_DELETE. */
		dentry_put(d);
		if (!rc)
			fsnotify_delete(pw.parent.dentry, pw.last, rmdir);
	}
	path_put(&pw.parent);
out:
	vfs_unlock();
	return rc;
}

/* ---- rename ---- */

static bool is_ancestor(struct dentry *anc, struct dentry *d)
{
	for (; d; d = d->parent)
		if (d == anc)
			return true;
	return false;
}

/*
 * RENAME_EXCHANGE as three renames through a temporary name in the old
 * directory. The VFS lock is held throughout, so no guest sees the middle
 * states; a failure rolls back what was done.
 */
static int rename_exchange(struct parent_walk *ow, struct dentry *od, struct parent_walk *nw,
			   struct dentry *nd)
{
	static unsigned long counter;
	char tmp[64];
	struct dentry *probe;
	do {
		snprintf(tmp, sizeof(tmp), ".sandbox-exchange-%lu", ++counter);
	} while (dentry_lookup(ow->parent.dentry, tmp, &probe) == 0 && (dentry_put(probe), 1));
	struct dentry *odir = ow->parent.dentry, *ndir = nw->parent.dentry;
	int rc = odir->inode->iops->rename(odir, od, odir, tmp, NULL);
	if (rc)
		return rc;
	rc = ndir->inode->iops->rename(ndir, nd, odir, ow->last, NULL);
	if (rc) {
		odir->inode->iops->rename(odir, od, odir, ow->last, NULL);
		return rc;
	}
	rc = odir->inode->iops->rename(odir, od, ndir, nw->last, NULL);
	if (rc) {
		odir->inode->iops->rename(odir, nd, ndir, nw->last, NULL);
		odir->inode->iops->rename(odir, od, odir, ow->last, NULL);
	}
	return rc;
}

int vfs_renameat(struct fs_context *fs, const struct cred *cred, struct file *odirf,
		 const char *oldpath, struct file *ndirf, const char *newpath, unsigned flags)
{
	if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT))
		return -EINVAL;
	if ((flags & (RENAME_NOREPLACE | RENAME_WHITEOUT)) && (flags & RENAME_EXCHANGE))
		return -EINVAL;
	bool exchange = flags & RENAME_EXCHANGE;
	struct parent_walk ow, nw;
	vfs_lock();
	int rc = walk_parent_at(fs, cred, odirf, oldpath, &ow);
	if (rc)
		goto out;
	rc = walk_parent_at(fs, cred, ndirf, newpath, &nw);
	if (rc)
		goto out_ow;
	struct dentry *od = NULL, *nd = NULL;
	if (ow.type != LAST_NORM || nw.type != LAST_NORM) {
		rc = -EBUSY;     /* ".", ".." or "/" at either end */
		goto out_nw;
	}
	if ((rc = inode_permission(ow.parent.dentry->inode, cred, MAY_EXEC)) ||
	    (rc = inode_permission(nw.parent.dentry->inode, cred, MAY_EXEC)))
		goto out_nw;
	rc = dentry_lookup(ow.parent.dentry, ow.last, &od);
	if (rc)
		goto out_nw;
	rc = dentry_lookup(nw.parent.dentry, nw.last, &nd);
	if (rc == -ENOENT && !exchange) {
		nd = NULL;
		rc = 0;
	} else if (rc) {
		goto out_od;
	}
	struct inode *oi = od->inode;
	if ((ow.trailing || nw.trailing) && !S_ISDIR(oi->mode)) {
		rc = -ENOTDIR;
		goto out_nd;
	}
	if (ow.parent.mnt != nw.parent.mnt) {
		rc = -EXDEV;
		goto out_nd;
	}
	if (nd && (flags & RENAME_NOREPLACE)) {
		rc = -EEXIST;
		goto out_nd;
	}
	if (nd && nd->inode == oi) {
		rc = 0;      /* the same file: nothing to do (POSIX) */
		goto out_nd;
	}
	if (nd && !exchange) {
		if (S_ISDIR(oi->mode) && !S_ISDIR(nd->inode->mode)) {
			rc = -ENOTDIR;
			goto out_nd;
		}
		if (!S_ISDIR(oi->mode) && S_ISDIR(nd->inode->mode)) {
			rc = -EISDIR;
			goto out_nd;
		}
	}
	if (S_ISDIR(oi->mode) && is_ancestor(od, nw.parent.dentry)) {
		rc = -EINVAL;
		goto out_nd;
	}
	if (nd && is_ancestor(nd, ow.parent.dentry)) {
		rc = exchange ? -EINVAL : -ENOTEMPTY;
		goto out_nd;
	}
	if ((rc = may_modify_dir(&ow.parent, cred)) || (rc = may_modify_dir(&nw.parent, cred)))
		goto out_nd;
	if ((rc = check_sticky(ow.parent.dentry->inode, oi, cred)))
		goto out_nd;
	if (nd && (rc = check_sticky(nw.parent.dentry->inode, nd->inode, cred)))
		goto out_nd;
	/* Moving a directory to a new parent rewrites its "..": needs write on it. */
	if (S_ISDIR(oi->mode) && ow.parent.dentry != nw.parent.dentry &&
	    (rc = inode_permission(oi, cred, MAY_WRITE)))
		goto out_nd;
	if (exchange && S_ISDIR(nd->inode->mode) && ow.parent.dentry != nw.parent.dentry &&
	    (rc = inode_permission(nd->inode, cred, MAY_WRITE)))
		goto out_nd;
	if ((od->mounted && mount_lookup(ow.parent.mnt, od)) ||
	    (nd && nd->mounted && mount_lookup(nw.parent.mnt, nd))) {
		rc = -EBUSY;
		goto out_nd;
	}
	struct inode *odir = ow.parent.dentry->inode;
	if (!odir->iops || !odir->iops->rename || !nw.parent.dentry->inode->iops ||
	    !nw.parent.dentry->inode->iops->rename)
		rc = -EPERM;
	else if ((flags & RENAME_WHITEOUT) && !odir->iops->mknod)
		rc = -EINVAL;
	else if (exchange)
		rc = rename_exchange(&ow, od, &nw, nd);
	else
		rc = odir->iops->rename(ow.parent.dentry, od, nw.parent.dentry, nw.last, nd);
	if (!rc && (flags & RENAME_WHITEOUT)) {
		/* The old name becomes a whiteout (shmem_whiteout); best effort after the move. */
		struct dentry *wd;
		if (!odir->iops->mknod(ow.parent.dentry, ow.last, S_IFCHR, 0, cred, &wd))
			dentry_put(wd);
	}
	if (!rc) {
		if (nd && !exchange)
			fsnotify_link_count(nd->inode);
		fsnotify_move(ow.parent.dentry, ow.last, nw.parent.dentry, nw.last, oi,
			      S_ISDIR(oi->mode));
		if (exchange)
			fsnotify_move(nw.parent.dentry, nw.last, ow.parent.dentry, ow.last,
				      nd->inode, S_ISDIR(nd->inode->mode));
	}
out_nd:
	if (nd)
		dentry_put(nd);
out_od:
	dentry_put(od);
out_nw:
	path_put(&nw.parent);
out_ow:
	path_put(&ow.parent);
out:
	vfs_unlock();
	return rc;
}

/* ---- read-only queries ---- */

long vfs_readlinkat(struct fs_context *fs, const struct cred *cred, struct file *dirf,
		    const char *path, char *buf, size_t cap)
{
	struct path p;
	vfs_lock();
	long rc;
	if (!path[0] && dirf && !dirf->dentry) {
		rc = -ENOENT;
		goto out;
	}
	rc = lookup_at(fs, cred, dirf, path, LOOKUP_EMPTY, &p);
	if (rc)
		goto out;
	struct inode *inode = p.dentry->inode;
	if (!S_ISLNK(inode->mode) || !inode->iops || !inode->iops->readlink)
		rc = -EINVAL;
	else
		rc = inode->iops->readlink(p.dentry, buf, cap);
	if (rc >= 0)
		inode_touch(inode, true, false, false);
	path_put(&p);
out:
	vfs_unlock();
	return rc;
}

int vfs_statat(struct fs_context *fs, const struct cred *cred, struct file *dirf,
	       const char *path, int at_flags, struct stat *st)
{
	if (!path[0] && (at_flags & AT_EMPTY_PATH) && dirf)
		return vfs_fstat(dirf, st);
	int lf = (at_flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW;
	if (at_flags & AT_EMPTY_PATH)
		lf |= LOOKUP_EMPTY;
	struct path p;
	vfs_lock();
	int rc = lookup_held(fs, cred, dirf, path, lf, 0, &p);
	if (!rc) {
		struct inode *inode = p.dentry->inode;
		if (inode->iops && inode->iops->refresh)
			inode->iops->refresh(p.dentry);
		inode_stat(inode, st);
		path_put(&p);
	}
	vfs_unlock();
	return rc;
}

static void fill_extra(struct inode *inode, struct mount *mnt, struct statx_timestamp *btime,
		       uint64_t *mnt_id)
{
	btime->tv_sec = inode->btime.tv_sec;
	btime->tv_nsec = inode->btime.tv_nsec;
	*mnt_id = 0;
	int id = 20;
	for (struct mount *m = mount_list(); m; m = m->next, id++)
		if (m == mnt)
			*mnt_id = id;
}

int vfs_fstatx_extra(struct file *f, struct statx_timestamp *btime, uint64_t *mnt_id)
{
	vfs_lock();
	fill_extra(f->inode, f->mnt, btime, mnt_id);
	vfs_unlock();
	return 0;
}

int vfs_statx_extra(struct fs_context *fs, const struct cred *cred, struct file *dirf,
		    const char *path, int at_flags, struct statx_timestamp *btime,
		    uint64_t *mnt_id)
{
	if (!path[0] && (at_flags & AT_EMPTY_PATH) && dirf)
		return vfs_fstatx_extra(dirf, btime, mnt_id);
	int lf = (at_flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW;
	if (at_flags & AT_EMPTY_PATH)
		lf |= LOOKUP_EMPTY;
	struct path p;
	vfs_lock();
	int rc = lookup_held(fs, cred, dirf, path, lf, 0, &p);
	if (!rc) {
		fill_extra(p.dentry->inode, p.mnt, btime, mnt_id);
		path_put(&p);
	}
	vfs_unlock();
	return rc;
}

int vfs_accessat(struct fs_context *fs, const struct cred *cred, struct file *dirf,
		 const char *path, int mode, int at_flags)
{
	if (mode & ~(R_OK | W_OK | X_OK))
		return -EINVAL;
	struct cred real = *cred;
	if (!(at_flags & AT_EACCESS)) {
		/* access(2) checks with the real ids; a non-root real uid has no caps. */
		real.fsuid = cred->uid;
		real.fsgid = cred->gid;
		if (cred->uid != 0)
			real.cap_effective = 0;
		else
			real.cap_effective = cred->cap_permitted;
	}
	int lf = (at_flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW;
	if (at_flags & AT_EMPTY_PATH)
		lf |= LOOKUP_EMPTY;
	struct path p;
	vfs_lock();
	int rc;
	if (!path[0] && (at_flags & AT_EMPTY_PATH) && dirf && !dirf->dentry) {
		rc = inode_permission(dirf->inode, &real, mode);
		goto out;
	}
	rc = lookup_at(fs, &real, dirf, path, lf, &p);
	if (rc)
		goto out;
	struct inode *inode = p.dentry->inode;
	if (mode)
		rc = inode_permission(inode, &real, mode);
	if (!rc && (mode & W_OK) && path_readonly(&p) &&
	    (S_ISREG(inode->mode) || S_ISDIR(inode->mode) || S_ISLNK(inode->mode)))
		rc = -EROFS;
	path_put(&p);
out:
	vfs_unlock();
	return rc;
}

/* ---- setattr ---- */

static bool is_owner(struct inode *inode, const struct cred *cred)
{
	return cred->fsuid == inode->uid || cred_capable(cred, CAP_FOWNER);
}

static int do_setattr(struct dentry *d, struct mount *mnt, const struct cred *cred,
		      const struct vfs_setattr *sa, bool via_fd_write)
{
	struct inode *inode = d->inode;
	struct vfs_attr a = { 0 };
	bool ro = (mnt && ((mnt->flags & MS_RDONLY) || mnt->sb->readonly)) ||
		  (!mnt && inode->sb && inode->sb->readonly);
	/* Linux 6.6's notify_change: a symlink's mode cannot change (after the mount's EROFS). */
	if (sa->set_mode && S_ISLNK(inode->mode))
		return ro ? -EROFS : -EOPNOTSUPP;
	if (sa->set_size) {
		if (S_ISDIR(inode->mode))
			return -EISDIR;
		if (!S_ISREG(inode->mode))
			return -EINVAL;
		if (!via_fd_write) {
			int rc = inode_permission(inode, cred, MAY_WRITE);
			if (rc)
				return rc;
		}
		if (ro)
			return -EROFS;
		/* inode_newsize_ok: growing past RLIMIT_FSIZE is EFBIG and SIGXFSZ. */
		uint64_t one = 1;
		if (sa->size > inode->size && vfs_fsize_limit(sa->size - 1, &one))
			return -EFBIG;
		a.mask |= ATTR_SIZE | ATTR_MTIME | ATTR_CTIME;
		a.size = sa->size;
		a.mtime = vfs_now();
	}
	if (sa->set_mode) {
		if (ro)
			return -EROFS;
		if (!is_owner(inode, cred))
			return -EPERM;
		uint32_t mode = sa->mode & 07777;
		if (!S_ISDIR(inode->mode) && !cred_in_group(cred, inode->gid) &&
		    !cred_capable(cred, CAP_FSETID))
			mode &= ~S_ISGID;
		a.mask |= ATTR_MODE | ATTR_CTIME;
		a.mode = (inode->mode & S_IFMT) | mode;
	}
	if (sa->set_uid || sa->set_gid) {
		if (ro)
			return -EROFS;
		bool uid_change = sa->set_uid && sa->uid != inode->uid;
		bool gid_change = sa->set_gid && sa->gid != inode->gid;
		if (uid_change && !cred_capable(cred, CAP_CHOWN))
			return -EPERM;
		if (gid_change && !cred_capable(cred, CAP_CHOWN) &&
		    !(cred->fsuid == inode->uid && cred_in_group(cred, sa->gid)))
			return -EPERM;
		if (sa->set_uid && !uid_change && !gid_change && cred->fsuid != inode->uid &&
		    !cred_capable(cred, CAP_CHOWN))
			return -EPERM;
		a.mask |= ATTR_CTIME;
		if (sa->set_uid) {
			a.mask |= ATTR_UID;
			a.uid = sa->uid;
		}
		if (sa->set_gid) {
			a.mask |= ATTR_GID;
			a.gid = sa->gid;
		}
		/* chown clears set-user-ID and set-group-ID (if group-executable). */
		if (!S_ISDIR(inode->mode) && (inode->mode & (S_ISUID | S_ISGID))) {
			uint32_t m = a.mask & ATTR_MODE ? a.mode : inode->mode;
			m &= ~S_ISUID;
			if (m & S_IXGRP)
				m &= ~S_ISGID;
			a.mask |= ATTR_MODE;
			a.mode = m;
		}
	}
	if (sa->set_times) {
		if (ro)
			return -EROFS;
		bool now_only = (sa->times[0].tv_nsec == UTIME_NOW || sa->times[0].tv_nsec == UTIME_OMIT) &&
				(sa->times[1].tv_nsec == UTIME_NOW || sa->times[1].tv_nsec == UTIME_OMIT);
		if (!is_owner(inode, cred)) {
			if (!now_only)
				return -EPERM;
			if (!via_fd_write && inode_permission(inode, cred, MAY_WRITE))
				return -EACCES;
		}
		struct timespec now = vfs_now();
		for (int i = 0; i < 2; i++) {
			if (sa->times[i].tv_nsec == UTIME_OMIT)
				continue;
			struct timespec ts = sa->times[i].tv_nsec == UTIME_NOW ? now : sa->times[i];
			if (i == 0) {
				a.mask |= ATTR_ATIME;
				a.atime = ts;
			} else {
				a.mask |= ATTR_MTIME;
				a.mtime = ts;
			}
		}
		a.mask |= ATTR_CTIME;
	}
	if (!a.mask)
		return 0;
	if (!inode->iops || !inode->iops->setattr)
		return -EPERM;
	int rc = inode->iops->setattr(d, &a);
	if (!rc)
		fsnotify_setattr(d, a.mask);
	return rc;
}

int vfs_setattrat(struct fs_context *fs, const struct cred *cred, struct file *dirf,
		  const char *path, int at_flags, const struct vfs_setattr *sa)
{
	/*
	 * The fd's own file, by path as Linux's LOOKUP_EMPTY does: an O_PATH
	 * descriptor names it too, and its open mode does not matter.
	 */
	if (!path[0] && (at_flags & AT_EMPTY_PATH) && dirf && dirf->dentry) {
		vfs_lock();
		int rc = do_setattr(dirf->dentry, dirf->mnt, cred, sa, false);
		vfs_unlock();
		return rc;
	}
	if (!path[0] && (at_flags & AT_EMPTY_PATH) && dirf)
		return vfs_fsetattr(dirf, cred, sa);
	int lf = (at_flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW;
	if (at_flags & AT_EMPTY_PATH)
		lf |= LOOKUP_EMPTY;
	struct path p;
	vfs_lock();
	int rc = lookup_at(fs, cred, dirf, path, lf, &p);
	if (!rc) {
		rc = do_setattr(p.dentry, p.mnt, cred, sa, false);
		path_put(&p);
	}
	vfs_unlock();
	return rc;
}

int vfs_fsetattr(struct file *f, const struct cred *cred, const struct vfs_setattr *sa)
{
	if (f->flags & O_PATH)
		return -EBADF;
	if (sa->set_size && (f->flags & O_ACCMODE) == O_RDONLY)
		return -EINVAL;
	if (!f->dentry) {
		/* Pipes, sockets, host fds: only times / mode succeed silently. */
		return sa->set_size ? -EINVAL : 0;
	}
	vfs_lock();
	bool writable = (f->flags & O_ACCMODE) != O_RDONLY;
	int rc = do_setattr(f->dentry, f->mnt, cred, sa, writable);
	vfs_unlock();
	return rc;
}

/* ---- statfs ---- */

static int statfs_dentry(struct dentry *d, struct mount *mnt, struct statfs *st)
{
	memset(st, 0, sizeof(*st));
	struct inode *inode = d->inode;
	struct super_block *sb = inode->sb;
	st->f_bsize = 4096;
	st->f_frsize = 4096;
	st->f_namelen = VFS_NAME_MAX;
	st->f_type = sb ? sb->magic : 0;
	if (sb && sb->bytes_limit) {
		st->f_blocks = sb->bytes_limit / 4096;
		uint64_t used = (sb->bytes_used + 4095) / 4096;
		st->f_bfree = st->f_bavail = st->f_blocks > used ? st->f_blocks - used : 0;
		st->f_files = sb_max_inodes(sb);
		st->f_ffree = st->f_files > sb->inodes ? st->f_files - sb->inodes : 0;
	}
	if (sb)
		st->f_fsid.__val[0] = (int)sb->dev;
	if (mnt) {
		if ((mnt->flags & MS_RDONLY) || sb->readonly)
			st->f_flags |= ST_RDONLY;
		if (mnt->flags & MS_NOSUID)
			st->f_flags |= ST_NOSUID;
		if (mnt->flags & MS_NODEV)
			st->f_flags |= ST_NODEV;
		if (mnt->flags & MS_NOEXEC)
			st->f_flags |= ST_NOEXEC;
	}
	st->f_flags |= ST_VALID;
	if (inode->iops && inode->iops->statfs)
		return inode->iops->statfs(d, st);
	return 0;
}

int vfs_statfsat(struct fs_context *fs, const struct cred *cred, const char *path,
		 struct statfs *st)
{
	struct path p;
	vfs_lock();
	int rc = lookup_at(fs, cred, NULL, path, LOOKUP_FOLLOW, &p);
	if (!rc) {
		rc = statfs_dentry(p.dentry, p.mnt, st);
		path_put(&p);
	}
	vfs_unlock();
	return rc;
}

int vfs_fstatfs(struct file *f, struct statfs *st)
{
	vfs_lock();
	int rc;
	if (f->dentry) {
		rc = statfs_dentry(f->dentry, f->mnt, st);
	} else {
		memset(st, 0, sizeof(*st));
		st->f_type = f->inode->sb ? f->inode->sb->magic : 0;
		st->f_bsize = 4096;
		st->f_namelen = VFS_NAME_MAX;
		rc = 0;
	}
	vfs_unlock();
	return rc;
}
