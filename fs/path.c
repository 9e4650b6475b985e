/*
 * Path resolution, component by component, in the sentry: the task's root
 * and cwd, mount crossing, symlinks (absolute ones against the task's
 * root), ".." that never climbs above the root, ELOOP after 40 links,
 * ENAMETOOLONG, ENOTDIR and trailing slashes. All under vfs_lock.
 *
 * openat2's RESOLVE_* flags (nameidata.resolve) restrict it as Linux's
 * LOOKUP_* scoping does: NO_SYMLINKS and NO_MAGICLINKS refuse a link to
 * follow (ELOOP); NO_XDEV any mount crossing, up, down or by a jump
 * (EXDEV); BENEATH (rooted at the start) an absolute path or link, a ".."
 * above the start and any magic link (EXDEV); IN_ROOT (rooted at the
 * start) only magic links (EXDEV): "/" and ".." stop at the start.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/openat2.h>
#include "fs/vfs_internal.h"

struct walk {
	const struct nameidata *nd;
	int nlinks;                    /* symlinks followed so far */
};

static bool path_equal(const struct path *a, const struct path *b)
{
	return a->mnt == b->mnt && a->dentry == b->dentry;
}

/* Step into mounts stacked on p (replacing p's references); -EXDEV under RESOLVE_NO_XDEV. */
static int cross_mounts(struct walk *w, struct path *p)
{
	struct mount *m;
	while ((m = mount_lookup(p->mnt, p->dentry))) {
		if (w->nd->resolve & RESOLVE_NO_XDEV)
			return -EXDEV;
		dentry_get(m->root);
		dentry_put(p->dentry);
		p->mnt = m;
		p->dentry = m->root;
	}
	return 0;
}

/*
 * "..": never above the root, crossing mounts upwards (-EXDEV under
 * RESOLVE_NO_XDEV); at the root of a RESOLVE_BENEATH walk, -EXDEV.
 */
static int step_dotdot(struct walk *w, struct path *p)
{
	for (;;) {
		if (path_equal(p, &w->nd->root))
			return w->nd->resolve & RESOLVE_BENEATH ? -EXDEV : 0;
		if (p->dentry != p->mnt->root)
			break;
		if (!p->mnt->parent)
			return 0;        /* root of the tree: stay */
		if (w->nd->resolve & RESOLVE_NO_XDEV)
			return -EXDEV;
		struct dentry *mp = p->mnt->mountpoint;
		dentry_get(mp);
		dentry_put(p->dentry);
		p->dentry = mp;
		p->mnt = p->mnt->parent;
	}
	struct dentry *parent = p->dentry->parent;
	if (parent) {
		dentry_get(parent);
		dentry_put(p->dentry);
		p->dentry = parent;
	}
	return 0;
}

static int walk_path(struct walk *w, struct path *cur, const char *path, bool follow_last,
		     bool *trailing_out);

/*
 * cur is a symlink reached from dir. Replace cur with its resolution
 * (following the whole link text, final component included).
 */
static int follow_link(struct walk *w, struct path *dir, struct path *cur)
{
	int resolve = w->nd->resolve;
	if (++w->nlinks > VFS_MAXSYMLINKS || (resolve & RESOLVE_NO_SYMLINKS))
		return -ELOOP;
	struct dentry *d = cur->dentry;
	/* procfs magic links jump straight to an object. */
	if (d->inode->iops && d->inode->iops->get_link_path) {
		struct path target;
		int rc = d->inode->iops->get_link_path(d, &target.mnt, &target.dentry);
		if (rc == 0 && resolve) {
			rc = resolve & RESOLVE_NO_MAGICLINKS ? -ELOOP
			     : resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT) ? -EXDEV
			     : (resolve & RESOLVE_NO_XDEV) && target.mnt != cur->mnt ? -EXDEV : 0;
			if (rc) {
				path_put(&target);
				return rc;
			}
		}
		if (rc == 0) {
			path_put(cur);
			*cur = target;
			return 0;
		}
		if (rc != -ENOSYS)
			return rc;
	}
	if (!d->inode->iops || !d->inode->iops->readlink)
		return -EINVAL;
	char *buf = malloc(VFS_PATH_MAX);
	if (!buf)
		return -ENOMEM;
	long n = d->inode->iops->readlink(d, buf, VFS_PATH_MAX);
	if (n < 0) {
		free(buf);
		return (int)n;
	}
	if (n == 0 || n >= VFS_PATH_MAX) {
		free(buf);
		return n ? -ENAMETOOLONG : -ENOENT;
	}
	buf[n] = 0;
	struct path next;
	if (buf[0] == '/')
		next = w->nd->root;
	else
		next = *dir;
	path_get(&next);
	int rc = walk_path(w, &next, buf, true, NULL);
	free(buf);
	if (rc) {
		path_put(&next);
		return rc;
	}
	path_put(cur);
	*cur = next;
	return 0;
}

/*
 * Walk path from *cur (which holds references and is replaced by the
 * result). follow_last: follow a final symlink. *trailing_out: the path
 * ended with '/' (a final symlink is then always followed, as Linux does).
 */
static int walk_path(struct walk *w, struct path *cur, const char *path, bool follow_last,
		     bool *trailing_out)
{
	const char *s = path;
	if (*s == '/') {
		if ((w->nd->resolve & RESOLVE_BENEATH) ||
		    ((w->nd->resolve & RESOLVE_NO_XDEV) && cur->mnt != w->nd->root.mnt))
			return -EXDEV;
		path_put(cur);
		*cur = w->nd->root;
		path_get(cur);
		while (*s == '/')
			s++;
	}
	char name[VFS_NAME_MAX + 1];
	while (*s) {
		const char *e = s;
		while (*e && *e != '/')
			e++;
		size_t len = e - s;
		if (len > VFS_NAME_MAX)
			return -ENAMETOOLONG;
		memcpy(name, s, len);
		name[len] = 0;
		bool trailing = *e == '/';
		while (*e == '/')
			e++;
		bool last = *e == 0;
		s = e;

		struct inode *dir = cur->dentry->inode;
		if (!S_ISDIR(dir->mode))
			return -ENOTDIR;
		int rc = inode_permission(dir, w->nd->cred, MAY_EXEC);
		if (rc)
			return rc;
		if (!strcmp(name, "."))
			continue;
		if (!strcmp(name, "..")) {
			rc = step_dotdot(w, cur);
			if (rc)
				return rc;
			continue;
		}
		struct dentry *child;
		/*
		 * A scoped walk keeps the lock: its ".." checks (step_dotdot)
		 * need the directories it passed to stay where they are, which
		 * a rename while the lookup ran unlocked could break (Linux
		 * retries such a walk with -EAGAIN instead).
		 */
		if (w->nd->resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT))
			rc = dentry_lookup(cur->dentry, name, &child);
		else
			rc = vfs_walk_lookup(cur->dentry, name, &child);
		if (rc)
			return rc;
		struct path next = { cur->mnt, child };
		rc = cross_mounts(w, &next);
		if (rc) {
			path_put(&next);
			return rc;
		}
		if (S_ISLNK(next.dentry->inode->mode) && (!last || follow_last || trailing)) {
			rc = follow_link(w, cur, &next);
			if (rc) {
				path_put(&next);
				return rc;
			}
		}
		path_put(cur);
		*cur = next;
		if (last && trailing_out)
			*trailing_out = trailing;
	}
	return 0;
}

static int check_len(const char *path)
{
	size_t n = strnlen(path, VFS_PATH_MAX);
	if (n >= VFS_PATH_MAX)
		return -ENAMETOOLONG;
	return (int)n;
}

int vfs_walk_locked(const struct nameidata *nd, const char *path, int flags, struct path *out)
{
	int len = check_len(path);
	if (len < 0)
		return len;
	if (len == 0 && !(flags & LOOKUP_EMPTY))
		return -ENOENT;
	if (path[0] != '/' && !nd->start.dentry)
		return -ENOTDIR;     /* dirfd is not a directory */
	if (path[0] == '/' && (nd->resolve & RESOLVE_BENEATH))
		return -EXDEV;
	struct walk w = { nd, 0 };
	struct path cur = path[0] == '/' ? nd->root : nd->start;
	path_get(&cur);
	bool trailing = false;
	int rc = walk_path(&w, &cur, path, flags & LOOKUP_FOLLOW, &trailing);
	if (!rc && (trailing || (flags & LOOKUP_DIRECTORY)) && !S_ISDIR(cur.dentry->inode->mode))
		rc = -ENOTDIR;
	if (rc)
		path_put(&cur);
	else
		*out = cur;
	return rc;
}

int vfs_walk(const struct nameidata *nd, const char *path, int flags, struct path *out)
{
	vfs_lock();
	int rc = vfs_walk_locked(nd, path, flags, out);
	vfs_unlock();
	return rc;
}

int vfs_walk_parent(const struct nameidata *nd, const char *path, struct path *parent,
		    char *last, enum last_type *type, bool *trailing)
{
	int len = check_len(path);
	if (len < 0)
		return len;
	if (len == 0)
		return -ENOENT;
	if (path[0] != '/' && !nd->start.dentry)
		return -ENOTDIR;
	if (path[0] == '/' && (nd->resolve & RESOLVE_BENEATH))
		return -EXDEV;
	/* Split off the last component, ignoring trailing slashes. */
	int end = len;
	while (end > 0 && path[end - 1] == '/')
		end--;
	*trailing = end < len;
	if (end == 0) {
		*type = LAST_ROOT;
		last[0] = 0;
		vfs_lock();
		*parent = nd->root;
		path_get(parent);
		vfs_unlock();
		return 0;
	}
	int start = end;
	while (start > 0 && path[start - 1] != '/')
		start--;
	if (end - start > VFS_NAME_MAX)
		return -ENAMETOOLONG;
	memcpy(last, path + start, end - start);
	last[end - start] = 0;
	if (!strcmp(last, "."))
		*type = LAST_DOT;
	else if (!strcmp(last, ".."))
		*type = LAST_DOTDOT;
	else
		*type = LAST_NORM;

	char *dir = strndup(path, start);
	if (!dir)
		return -ENOMEM;
	vfs_lock();
	struct walk w = { nd, 0 };
	struct path cur = path[0] == '/' ? nd->root : nd->start;
	path_get(&cur);
	int rc = walk_path(&w, &cur, dir, true, NULL);
	free(dir);
	if (!rc && !S_ISDIR(cur.dentry->inode->mode))
		rc = -ENOTDIR;
	if (rc)
		path_put(&cur);
	else
		*parent = cur;
	vfs_unlock();
	return rc;
}

long vfs_path_string(const struct path *root, const struct path *p, char *buf, size_t cap)
{
	/* Build backwards from the end of a scratch buffer. */
	char *tmp = malloc(VFS_PATH_MAX);
	if (!tmp)
		return -ENOMEM;
	size_t pos = VFS_PATH_MAX;
	tmp[--pos] = 0;
	vfs_lock();
	struct path cur = *p;
	long rc = 0;
	while (!path_equal(&cur, root)) {
		if (cur.dentry == cur.mnt->root) {
			if (!cur.mnt->parent)
				break;      /* outside the root (chroot escapee): stop at "/" */
			cur.dentry = cur.mnt->mountpoint;
			cur.mnt = cur.mnt->parent;
			continue;
		}
		if (!cur.dentry->parent)
			break;
		size_t n = strlen(cur.dentry->name);
		if (n + 1 > pos) {
			rc = -ENAMETOOLONG;
			break;
		}
		pos -= n;
		memcpy(tmp + pos, cur.dentry->name, n);
		tmp[--pos] = '/';
		cur.dentry = cur.dentry->parent;
	}
	vfs_unlock();
	if (rc == 0) {
		if (tmp[pos] == 0)
			tmp[--pos] = '/';
		size_t len = VFS_PATH_MAX - 1 - pos;
		if (len + 1 > cap)
			rc = -ENAMETOOLONG;
		else {
			memcpy(buf, tmp + pos, len + 1);
			rc = (long)len;
		}
	}
	free(tmp);
	return rc;
}
