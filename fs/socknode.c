/*
 * Socket inodes for AF_UNIX (net/unix.c): bind(2) creates an S_IFSOCK
 * node at a path, connect(2)/sendto(2) resolve a path to the node. The
 * VFS only names the node; which socket is bound to it is net/'s table
 * (keyed by the inode). Linux: unix_bind_bsd and unix_find_bsd.
 */
#include <errno.h>
#include <sys/mount.h>
#include "fs/socknode.h"
#include "fs/vfs_internal.h"

int vfs_socket_bind(struct fs_context *fs, const struct cred *cred, const char *path,
		    struct path *out)
{
	struct nameidata nd;
	struct path parent;
	char last[VFS_NAME_MAX + 1];
	enum last_type type;
	bool trailing;
	vfs_lock();
	nd_init(&nd, fs, cred, NULL);
	int rc = vfs_walk_parent(&nd, path, &parent, last, &type, &trailing);
	nd_release(&nd);
	if (rc)
		goto out;
	struct dentry *d = NULL;
	struct inode *dir = parent.dentry->inode;
	if (type != LAST_NORM) {
		rc = -EEXIST;
	} else if ((rc = inode_permission(dir, cred, MAY_EXEC))) {
	} else if ((rc = dentry_lookup(parent.dentry, last, &d)) == 0) {
		dentry_put(d);
		rc = -EEXIST;
	} else if (rc == -ENOENT) {
		rc = inode_permission(dir, cred, MAY_WRITE | MAY_EXEC);
		if (!rc && ((parent.mnt->flags & MS_RDONLY) || parent.mnt->sb->readonly))
			rc = -EROFS;
		if (!rc && parent.dentry->dead)
			rc = -ENOENT;
		if (!rc && trailing)
			rc = -ENOENT;
		if (!rc && !(dir->iops && dir->iops->mknod))
			rc = -EPERM;
		if (!rc) {
			/* The socket inode's 0777 under the umask (unix_bind_bsd). */
			uint32_t mode = S_IFSOCK | (0777 & ~fsctx_umask(fs, -1));
			rc = dir->iops->mknod(parent.dentry, last, mode, 0, cred, &d);
		}
		if (!rc) {
			out->mnt = parent.mnt;
			out->dentry = d;       /* mknod's reference becomes the caller's */
		}
	}
	path_put(&parent);
out:
	vfs_unlock();
	return rc == -EEXIST ? -EADDRINUSE : rc;
}

int vfs_socket_find(struct fs_context *fs, const struct cred *cred, const char *path,
		    struct inode **out)
{
	struct nameidata nd;
	struct path p;
	vfs_lock();
	nd_init(&nd, fs, cred, NULL);
	int rc = vfs_walk(&nd, path, LOOKUP_FOLLOW, &p);
	nd_release(&nd);
	if (!rc) {
		struct inode *inode = p.dentry->inode;
		rc = inode_permission(inode, cred, MAY_WRITE);
		if (!rc && !S_ISSOCK(inode->mode))
			rc = -ECONNREFUSED;
		if (!rc) {
			inode_get(inode);
			*out = inode;
		}
		path_put(&p);
	}
	vfs_unlock();
	return rc;
}

void vfs_socket_put(struct path *p, struct inode *inode)
{
	vfs_lock();
	if (p && p->dentry)
		path_put(p);
	if (inode)
		inode_put(inode);
	vfs_unlock();
}
