/*
 * Extended attributes, as Linux's fs/xattr.c over tmpfs's simple_xattr
 * store. File systems whose super block sets `xattr` (tmpfs, the overlay,
 * devtmpfs) keep "user.", "trusted." and "security." attributes in memory
 * on the inode; on the overlay that is the metadata copy-up (the lower
 * file's host attributes are not shown). Other file systems answer
 * EOPNOTSUPP (list: empty), after the same permission checks as Linux:
 *   - trusted.*: CAP_SYS_ADMIN, else EPERM (write) / ENODATA (read), and
 *     hidden from listxattr;
 *   - security.*: anyone reads; writing needs CAP_SYS_ADMIN (commoncap);
 *   - user.*: regular files and directories only (else EPERM / ENODATA),
 *     sticky directories only by their owner, then the mode bits.
 * All under vfs_lock.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/xattr.h>
#include "fs/vfs_internal.h"

#define XATTR_SIZE_MAX 65536
#define XATTR_LIST_MAX 65536

struct vfs_xattr {
	struct vfs_xattr *next;
	char *name;
	size_t size;
	char value[];
};

/*
 * Attribute memory is charged to the file system's byte limit (as tmpfs
 * charges its inode space), so a guest cannot grow the sentry without
 * bound: the name, the value and a little bookkeeping.
 */
static uint64_t xattr_cost(const char *name, size_t size)
{
	return sizeof(struct vfs_xattr) + strlen(name) + 1 + size;
}

static void xattr_free(struct inode *inode, struct vfs_xattr *x)
{
	uint64_t cost = xattr_cost(x->name, x->size);
	if (inode->sb)
		inode->sb->bytes_used -= MIN(cost, inode->sb->bytes_used);
	free(x->name);
	free(x);
}

void xattr_inode_free(struct inode *inode)
{
	while (inode->xattrs) {
		struct vfs_xattr *x = inode->xattrs;
		inode->xattrs = x->next;
		xattr_free(inode, x);
	}
}

static bool has_prefix(const char *name, const char *prefix)
{
	return strncmp(name, prefix, strlen(prefix)) == 0;
}

static bool is_owner_or_capable(struct inode *inode, const struct cred *cred)
{
	return cred->fsuid == inode->uid || cred_capable(cred, CAP_FOWNER);
}

/* Linux's xattr_permission and the commoncap LSM hook for security.*. */
static int xattr_permission(struct inode *inode, const struct cred *cred, const char *name,
			    bool write)
{
	if (has_prefix(name, "security.")) {
		if (write && strcmp(name, "security.capability") != 0 &&
		    !cred_capable(cred, CAP_SYS_ADMIN))
			return -EPERM;
		return 0;
	}
	if (has_prefix(name, "system."))
		return 0;
	if (has_prefix(name, "trusted.")) {
		if (!cred_capable(cred, CAP_SYS_ADMIN))
			return write ? -EPERM : -ENODATA;
		return 0;
	}
	if (has_prefix(name, "user.")) {
		if (!S_ISREG(inode->mode) && !S_ISDIR(inode->mode))
			return write ? -EPERM : -ENODATA;
		if (S_ISDIR(inode->mode) && (inode->mode & S_ISVTX) && write &&
		    !is_owner_or_capable(inode, cred))
			return -EPERM;
	}
	return inode_permission(inode, cred, write ? MAY_WRITE : MAY_READ);
}

/* xattr_resolve_name: the namespaces the in-memory store has handlers for. */
static int xattr_resolve(struct inode *inode, const char *name)
{
	if (!inode->sb || !inode->sb->xattr)
		return -EOPNOTSUPP;
	static const char *const prefixes[] = { "user.", "trusted.", "security." };
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		if (has_prefix(name, prefixes[i]))
			return name[strlen(prefixes[i])] ? 0 : -EINVAL;
	}
	return -EOPNOTSUPP;
}

static struct vfs_xattr **xattr_find(struct inode *inode, const char *name)
{
	struct vfs_xattr **pp = &inode->xattrs;
	while (*pp && strcmp((*pp)->name, name) != 0)
		pp = &(*pp)->next;
	return pp;
}

static bool xattr_readonly(struct mount *mnt, struct inode *inode)
{
	if (mnt)
		return (mnt->flags & MS_RDONLY) || mnt->sb->readonly;
	return inode->sb && inode->sb->readonly;
}

static long vfs_xattr_op(struct vfs_xattr_req *req, struct mount *mnt, struct dentry *d,
		  const struct cred *cred)
{
	struct inode *inode = d->inode;
	long rc;
	vfs_lock();
	switch (req->op) {
	case VFS_XATTR_GET: {
		if ((rc = xattr_permission(inode, cred, req->name, false)) ||
		    (rc = xattr_resolve(inode, req->name)))
			break;
		struct vfs_xattr *x = *xattr_find(inode, req->name);
		if (!x)
			rc = -ENODATA;
		else if (req->size && x->size > req->size)
			rc = -ERANGE;
		else {
			if (req->size)
				memcpy(req->buf, x->value, x->size);
			rc = (long)x->size;
		}
		break;
	}
	case VFS_XATTR_SET:
	case VFS_XATTR_REMOVE: {
		bool set = req->op == VFS_XATTR_SET;
		if (xattr_readonly(mnt, inode)) {
			rc = -EROFS;
			break;
		}
		if ((rc = xattr_permission(inode, cred, req->name, true)) ||
		    (rc = xattr_resolve(inode, req->name)))
			break;
		struct vfs_xattr **pp = xattr_find(inode, req->name);
		if (!set) {
			if (!*pp) {
				rc = -ENODATA;
				break;
			}
			struct vfs_xattr *x = *pp;
			*pp = x->next;
			xattr_free(inode, x);
		} else {
			if (*pp && (req->flags & XATTR_CREATE)) {
				rc = -EEXIST;
				break;
			}
			if (!*pp && (req->flags & XATTR_REPLACE)) {
				rc = -ENODATA;
				break;
			}
			struct super_block *sb = inode->sb;
			uint64_t cost = xattr_cost(req->name, req->size);
			uint64_t freed = *pp ? xattr_cost((*pp)->name, (*pp)->size) : 0;
			if (sb->bytes_limit && sb->bytes_used + cost > sb->bytes_limit + freed) {
				rc = -ENOSPC;
				break;
			}
			struct vfs_xattr *x = malloc(sizeof(*x) + req->size);
			char *name = strdup(req->name);
			if (!x || !name) {
				free(x);
				free(name);
				rc = -ENOSPC;
				break;
			}
			x->name = name;
			x->size = req->size;
			if (req->size)
				memcpy(x->value, req->buf, req->size);
			sb->bytes_used += cost;
			if (*pp) {
				struct vfs_xattr *old = *pp;
				x->next = old->next;
				*pp = x;
				xattr_free(inode, old);
			} else {
				x->next = NULL;
				*pp = x;
			}
		}
		inode->ctime = vfs_now();
		fsnotify_xattr(d);
		rc = 0;
		break;
	}
	case VFS_XATTR_LIST: {
		/* simple_xattr_list: trusted.* only for CAP_SYS_ADMIN; no permission check. */
		bool trusted = cred_capable(cred, CAP_SYS_ADMIN);
		size_t total = 0;
		rc = 0;
		for (struct vfs_xattr *x = inode->xattrs; x; x = x->next) {
			if (!trusted && has_prefix(x->name, "trusted."))
				continue;
			size_t n = strlen(x->name) + 1;
			if (req->size) {
				if (total + n > req->size) {
					rc = -ERANGE;
					break;
				}
				memcpy((char *)req->buf + total, x->name, n);
			}
			total += n;
		}
		if (!rc)
			rc = (long)total;
		break;
	}
	default:
		rc = -EINVAL;
	}
	vfs_unlock();
	return rc;
}

long vfs_xattr_at(struct fs_context *fs, const struct cred *cred, const char *path, bool follow,
		  struct vfs_xattr_req *req)
{
	struct nameidata nd;
	nd_init(&nd, fs, cred, NULL);
	struct path p;
	vfs_lock();
	long rc = vfs_walk(&nd, path, follow ? LOOKUP_FOLLOW : 0, &p);
	if (!rc) {
		rc = vfs_xattr_op(req, p.mnt, p.dentry, cred);
		path_put(&p);
	}
	vfs_unlock();
	nd_release(&nd);
	return rc;
}

long vfs_xattr_fd(struct file *f, const struct cred *cred, struct vfs_xattr_req *req)
{
	if (f->flags & O_PATH)
		return -EBADF;
	if (f->dentry)
		return vfs_xattr_op(req, f->mnt, f->dentry, cred);
	/* Pathless files (pipes, sockets, anon inodes): a dentry-less view of the inode. */
	struct dentry tmp = { .inode = f->inode, .name = (char *)"" , .dead = true };
	return vfs_xattr_op(req, NULL, &tmp, cred);
}
