/*
 * fs contexts: a task's root, cwd and umask, shared by CLONE_FS tasks.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/openat2.h>
#include "fs/vfs_internal.h"

/*
 * References: every task sharing it holds one. It holds references on the
 * root and cwd dentries. Its fields are protected by vfs_lock.
 */
struct fs_context {
	int refs;
	struct path root;
	struct path cwd;
	uint32_t umask;
};

struct fs_context *fsctx_create(const struct path *root)
{
	struct fs_context *fs = calloc(1, sizeof(*fs));
	if (!fs)
		return NULL;
	fs->refs = 1;
	fs->root = *root;
	path_get(root);
	fs->cwd = *root;
	path_get(root);
	fs->umask = 022;
	return fs;
}

void fsctx_get(struct fs_context *fs)
{
	__atomic_add_fetch(&fs->refs, 1, __ATOMIC_RELAXED);
}

void fsctx_put(struct fs_context *fs)
{
	if (!fs || __atomic_sub_fetch(&fs->refs, 1, __ATOMIC_ACQ_REL))
		return;
	vfs_lock();
	path_put(&fs->root);
	path_put(&fs->cwd);
	vfs_unlock();
	free(fs);
}

struct fs_context *fsctx_clone(struct fs_context *fs)
{
	vfs_lock();
	struct fs_context *n = fsctx_create(&fs->root);
	if (n) {
		path_put(&n->cwd);
		n->cwd = fs->cwd;
		path_get(&n->cwd);
		n->umask = fs->umask;
	}
	vfs_unlock();
	return n;
}

void fsctx_get_root(struct fs_context *fs, struct path *out)
{
	vfs_lock();
	*out = fs->root;
	path_get(out);
	vfs_unlock();
}

void fsctx_get_cwd(struct fs_context *fs, struct path *out)
{
	vfs_lock();
	*out = fs->cwd;
	path_get(out);
	vfs_unlock();
}

int fsctx_umask(struct fs_context *fs, int mask)
{
	vfs_lock();
	int old = fs->umask;
	if (mask >= 0)
		fs->umask = mask & 0777;
	vfs_unlock();
	return old;
}

/* Replace cwd (or root) by p, which must be a searchable directory. */
static int set_dir(struct fs_context *fs, const struct cred *cred, const struct path *p,
		   bool root)
{
	struct inode *inode = p->dentry->inode;
	if (!S_ISDIR(inode->mode))
		return -ENOTDIR;
	int rc = inode_permission(inode, cred, MAY_EXEC);
	if (rc)
		return rc;
	struct path *slot = root ? &fs->root : &fs->cwd;
	struct path old = *slot;
	*slot = *p;
	path_get(p);
	path_put(&old);
	return 0;
}

int fsctx_chdir(struct fs_context *fs, const struct cred *cred, const char *path)
{
	struct nameidata nd;
	vfs_lock();
	int rc = nd_init(&nd, fs, cred, NULL);
	struct path p;
	if (!rc)
		rc = vfs_walk(&nd, path, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &p);
	if (!rc) {
		rc = set_dir(fs, cred, &p, false);
		path_put(&p);
	}
	nd_release(&nd);
	vfs_unlock();
	return rc;
}

int vfs_fchdir(struct fs_context *fs, const struct cred *cred, struct file *f)
{
	if (!f->dentry)
		return -ENOTDIR;
	vfs_lock();
	struct path p = { f->mnt, f->dentry };
	int rc = set_dir(fs, cred, &p, false);
	vfs_unlock();
	return rc;
}

int vfs_chroot(struct fs_context *fs, const struct cred *cred, const char *path)
{
	if (!cred_capable(cred, 18 /* CAP_SYS_CHROOT */))
		return -EPERM;
	struct nameidata nd;
	vfs_lock();
	int rc = nd_init(&nd, fs, cred, NULL);
	struct path p;
	if (!rc)
		rc = vfs_walk(&nd, path, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &p);
	if (!rc) {
		rc = set_dir(fs, cred, &p, true);
		path_put(&p);
	}
	nd_release(&nd);
	vfs_unlock();
	return rc;
}

long vfs_getcwd(struct fs_context *fs, char *buf, size_t cap)
{
	vfs_lock();
	long rc;
	if (fs->cwd.dentry->dead) {
		rc = -ENOENT;     /* Linux prints "(unreachable)" variants; getcwd gives ENOENT */
	} else {
		rc = vfs_path_string(&fs->root, &fs->cwd, buf, cap);
	}
	vfs_unlock();
	return rc;
}

int nd_init(struct nameidata *nd, struct fs_context *fs, const struct cred *c, struct file *dirf)
{
	vfs_lock();
	nd->cred = c;
	nd->resolve = 0;
	nd->root = fs->root;
	path_get(&nd->root);
	if (dirf) {
		if (!dirf->dentry) {
			nd->start.mnt = NULL;
			nd->start.dentry = NULL;
		} else {
			nd->start.mnt = dirf->mnt;
			nd->start.dentry = dirf->dentry;
			path_get(&nd->start);
		}
	} else {
		nd->start = fs->cwd;
		path_get(&nd->start);
	}
	vfs_unlock();
	return 0;
}

void nd_scope(struct nameidata *nd, int resolve)
{
	nd->resolve = resolve;
	if (!(resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT)) || !nd->start.dentry)
		return;
	vfs_lock();
	path_put(&nd->root);
	nd->root = nd->start;
	path_get(&nd->root);
	vfs_unlock();
}

void nd_release(struct nameidata *nd)
{
	vfs_lock();
	path_put(&nd->root);
	path_put(&nd->start);
	vfs_unlock();
}
