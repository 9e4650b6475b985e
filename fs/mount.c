/*
 * Mounts made after boot: the CLI's --mount (host directories and tmpfs
 * instances) and the guest's mount(2)/umount2(2) for tmpfs, proc, sysfs and
 * bind mounts within its own tree.
 *
 * A mount is never freed (fs/README.md): umount unlinks it from the global
 * list, so lookups stop crossing into it, while open files and working
 * directories inside keep their (mount, dentry) pairs valid.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <linux/magic.h>

#ifndef MQUEUE_MAGIC
#define MQUEUE_MAGIC 0x19800202
#endif
#include "fs/vfs_internal.h"
#include "fs/hostfs/hostfs.h"
#include "sentry/cred.h"

/* Mount flags the guest may ask for and we honour (the rest: EINVAL). */
#define MNT_PER_MOUNT (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | \
		       MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME | MS_LAZYTIME)
#define MNT_PROPAGATION (MS_SHARED | MS_PRIVATE | MS_SLAVE | MS_UNBINDABLE)

/* Parse a size for tmpfs ("size=" option, --mount size=): N, Nk, Nm, Ng, or N%. */
int vfs_parse_size(const char *s, uint64_t total, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (end == s || errno)
		return -EINVAL;
	uint64_t mult = 1;
	switch (*end) {
	case 'k': case 'K': mult = 1ULL << 10; end++; break;
	case 'm': case 'M': mult = 1ULL << 20; end++; break;
	case 'g': case 'G': mult = 1ULL << 30; end++; break;
	case '%':
		if (v > 100)
			return -EINVAL;
		*out = total / 100 * v;
		return end[1] ? -EINVAL : 0;
	}
	if (*end || (v && mult > UINT64_MAX / v))
		return -EINVAL;
	*out = v * mult;
	return 0;
}

/* A new tmpfs instance (empty root directory of mode). */
static int make_tmpfs(uint64_t limit, uint32_t mode, const char *fstype, uint32_t magic,
		      struct super_block **sbp, struct dentry **rootp)
{
	struct super_block *sb = tmpfs_create_sb(limit, fstype, magic);
	if (!sb)
		return -ENOMEM;
	vfs_lock();
	struct dentry *root = tmpfs_make_root(sb, mode, NULL);
	vfs_unlock();
	if (!root)
		return -ENOMEM;
	*sbp = sb;
	*rootp = root;
	return 0;
}

/* The first mount of file-system type fstype (proc, sysfs): its sb and root. */
static struct mount *find_mount_of_type(const char *fstype)
{
	for (struct mount *m = mount_list(); m; m = m->next)
		if (strcmp(m->sb->fstype, fstype) == 0)
			return m;
	return NULL;
}

/* Stack a new mount of (sb, root) on the directory at target. */
static int attach(const struct path *target, struct super_block *sb, struct dentry *root,
		  int flags, const char *source)
{
	char *src = strdup(source ? source : "none");
	if (!src)
		return -ENOMEM;
	struct mount *m = mount_create(sb, root, target->mnt, target->dentry, flags, src);
	if (!m) {
		free(src);
		return -ENOMEM;
	}
	return 0;
}

/* mkdir -p for a mountpoint named on the command line (as root, in the guest's tree). */
static int make_dirs(struct fs_context *fs, const struct cred *cred, const char *path)
{
	char buf[VFS_PATH_MAX];
	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1;; p++) {
		if (*p == '/' || *p == 0) {
			char c = *p;
			*p = 0;
			int rc = vfs_mkdirat(fs, cred, NULL, buf, 0755);
			if (rc && rc != -EEXIST)
				return rc;
			*p = c;
			if (!c)
				return 0;
		}
	}
}

static int resolve_dir(struct fs_context *fs, const struct cred *cred, const char *path,
		       int lookup, struct path *out)
{
	struct nameidata nd;
	int rc = nd_init(&nd, fs, cred, NULL);
	if (rc)
		return rc;
	rc = vfs_walk(&nd, path, lookup, out);
	nd_release(&nd);
	return rc;
}

/*
 * A writable host directory or regular file on target (a directory or a
 * file to match): the host object itself, writes reach the host
 * (fs/hostfs/hostfs_rw.c).
 */
static int mount_host_rw(const struct path *target, const struct vfs_cli_mount *cm)
{
	struct super_block *sb;
	struct dentry *root;
	int rc = hostfs_rw_create_root(cm->host_src, cm->readonly, &sb, &root);
	if (rc)
		return rc;
	vfs_lock();
	if (S_ISDIR(root->inode->mode) != S_ISDIR(target->dentry->inode->mode))
		rc = S_ISDIR(root->inode->mode) ? -ENOTDIR : -EISDIR;
	else
		rc = attach(target, sb, root, cm->readonly ? MS_RDONLY : 0, cm->host_src);
	vfs_unlock();
	dentry_put(root);
	return rc;
}

/*
 * A host file on a guest path (OCI bundles bind /etc/hosts and the like):
 * the overlay of the file's host directory, mounted by its entry for the
 * file alone on an empty file made at dst.
 */
static int mount_host_file(struct fs_context *fs, const struct cred *root,
			   const struct vfs_cli_mount *cm)
{
	char dir[VFS_PATH_MAX], host_dir[VFS_PATH_MAX];
	if (snprintf(dir, sizeof(dir), "%s", cm->dst) >= (int)sizeof(dir) ||
	    snprintf(host_dir, sizeof(host_dir), "%s", cm->host_src) >= (int)sizeof(host_dir))
		return -ENAMETOOLONG;
	char *slash = strrchr(dir, '/');
	*slash = 0;
	int rc = dir[0] ? make_dirs(fs, root, dir) : 0;
	if (rc)
		return rc;
	struct file *f;
	rc = vfs_openat(fs, root, NULL, cm->dst, O_RDONLY | O_CREAT, 0644, &f);
	if (rc)
		return rc;
	file_put(f);
	struct path target;
	rc = resolve_dir(fs, root, cm->dst, LOOKUP_FOLLOW, &target);
	if (rc)
		return rc;
	if (!cm->readonly) {
		rc = mount_host_rw(&target, cm);
		path_put(&target);
		return rc;
	}
	slash = strrchr(host_dir, '/');
	const char *base = slash ? slash + 1 : host_dir;
	if (slash == host_dir)
		host_dir[1] = 0;
	else if (slash)
		*slash = 0;
	struct super_block *sb;
	struct dentry *droot, *file = NULL;
	rc = overlay_create_root(slash ? host_dir : ".", cm->size ? cm->size : vfs_tmpfs_limit, &sb,
				 &droot);
	if (!rc) {
		vfs_lock();
		rc = dentry_lookup(droot, base, &file);
		if (!rc && S_ISDIR(file->inode->mode))
			rc = -EISDIR;
		if (!rc && S_ISDIR(target.dentry->inode->mode))
			rc = -EISDIR;
		if (!rc)
			rc = attach(&target, sb, file, cm->readonly ? MS_RDONLY : 0, cm->host_src);
		if (file)
			dentry_put(file);
		vfs_unlock();
		dentry_put(droot);
	}
	path_put(&target);
	return rc;
}

int vfs_mount_cli(struct fs_context *fs, const struct vfs_cli_mount *cm)
{
	struct cred root;
	cred_init_root(&root);
	if (cm->dst[0] != '/')
		return -EINVAL;
	struct stat st;
	if (cm->host_src && stat(cm->host_src, &st) == 0 && !S_ISDIR(st.st_mode)) {
		if (!S_ISREG(st.st_mode))
			return -EINVAL;
		return mount_host_file(fs, &root, cm);
	}
	int rc = make_dirs(fs, &root, cm->dst);
	if (rc)
		return rc;
	struct path target;
	rc = resolve_dir(fs, &root, cm->dst, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &target);
	if (rc)
		return rc;
	if (cm->host_src && !cm->readonly) {
		rc = mount_host_rw(&target, cm);
		path_put(&target);
		return rc;
	}
	struct super_block *sb;
	struct dentry *mroot;
	if (cm->host_src) {
		/* Read-only: the host directory under an overlay, MS_RDONLY. */
		rc = overlay_create_root(cm->host_src, cm->size ? cm->size : vfs_tmpfs_limit, &sb, &mroot);
	} else {
		rc = make_tmpfs(cm->size ? cm->size : vfs_tmpfs_limit, 01777, "tmpfs", TMPFS_MAGIC, &sb,
				&mroot);
	}
	if (!rc) {
		vfs_lock();
		rc = attach(&target, sb, mroot, cm->readonly ? MS_RDONLY : 0,
			    cm->host_src ? cm->host_src : "tmpfs");
		vfs_unlock();
		dentry_put(mroot);
	}
	path_put(&target);
	return rc;
}

/* Options of a guest tmpfs mount: size=, mode=, uid=, gid=, nr_inodes=... */
static int tmpfs_options(const char *data, uint64_t *size, uint32_t *mode)
{
	if (!data)
		return 0;
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s", data);
	char *save = NULL;
	for (char *opt = strtok_r(buf, ",", &save); opt; opt = strtok_r(NULL, ",", &save)) {
		if (strncmp(opt, "size=", 5) == 0) {
			if (vfs_parse_size(opt + 5, vfs_tmpfs_limit, size))
				return -EINVAL;
			if (*size > vfs_tmpfs_limit)
				*size = vfs_tmpfs_limit;    /* never more than the sandbox holds */
		} else if (strncmp(opt, "mode=", 5) == 0) {
			char *end;
			unsigned long m = strtoul(opt + 5, &end, 8);
			if (*end || m > 07777)
				return -EINVAL;
			*mode = (uint32_t)m;
		} else if (strncmp(opt, "uid=", 4) == 0 || strncmp(opt, "gid=", 4) == 0 ||
			   strncmp(opt, "nr_inodes=", 10) == 0 || strncmp(opt, "nr_blocks=", 10) == 0 ||
			   strncmp(opt, "huge=", 5) == 0 || strncmp(opt, "mpol=", 5) == 0 ||
			   strcmp(opt, "inode64") == 0 || strcmp(opt, "inode32") == 0 ||
			   strcmp(opt, "noswap") == 0) {
			/* Accepted: nothing here depends on them. */
		} else if (!strcmp(opt, "rw") || !strcmp(opt, "ro") || !strcmp(opt, "nosuid") ||
			   !strcmp(opt, "nodev") || !strcmp(opt, "noexec") || !strcmp(opt, "relatime")) {
			/* Flags spelled as options (some tools pass both). */
		} else {
			return -EINVAL;     /* tmpfs rejects unknown options */
		}
	}
	return 0;
}

static void set_mount_flags(struct mount *m, unsigned long flags)
{
	m->flags = (int)(flags & MNT_PER_MOUNT);
}

/* Is p the root of a mount (the place a umount or remount names)? */
static struct mount *mount_at_root(const struct path *p)
{
	return p->mnt && p->mnt->root == p->dentry ? p->mnt : NULL;
}

int vfs_mount(struct fs_context *fs, const struct cred *cred, const char *source,
	      const char *target, const char *fstype, unsigned long flags, const char *data)
{
	/* The magic number old callers put in the high bits. */
	if ((flags & 0xffff0000UL) == 0xC0ED0000UL)
		flags &= 0xffff;
	struct path tp;
	int rc = resolve_dir(fs, cred, target, LOOKUP_FOLLOW, &tp);
	if (rc)
		return rc;
	/* As Linux: the target is resolved first, then the capability checked. */
	if (!cred_capable(cred, CAP_SYS_ADMIN)) {
		path_put(&tp);
		return -EPERM;
	}
	vfs_lock();
	struct mount *m = mount_at_root(&tp);
	if (flags & MNT_PROPAGATION) {
		/* One mount namespace, nothing propagates: only the target is checked. */
		rc = (flags & ~(MNT_PROPAGATION | MS_REC | MS_SILENT)) ? -EINVAL : m ? 0 : -EINVAL;
	} else if (flags & MS_REMOUNT) {
		if (!m)
			rc = -EINVAL;
		else if (flags & ~(MNT_PER_MOUNT | MS_REMOUNT | MS_BIND | MS_SILENT | MS_REC))
			rc = -EINVAL;
		else
			set_mount_flags(m, flags);
	} else if (flags & MS_MOVE) {
		rc = -EINVAL;       /* moving mounts: not supported (docs/compat.md) */
	} else if (flags & MS_BIND) {
		struct path sp;
		rc = source ? resolve_dir(fs, cred, source, LOOKUP_FOLLOW, &sp) : -EFAULT;
		if (!rc) {
			if (S_ISDIR(sp.dentry->inode->mode) != S_ISDIR(tp.dentry->inode->mode))
				rc = S_ISDIR(sp.dentry->inode->mode) ? -ENOTDIR : -EISDIR;
			else if (!S_ISDIR(sp.dentry->inode->mode))
				rc = -EINVAL;   /* file bind mounts: not supported (docs/compat.md) */
			else
				rc = attach(&tp, sp.mnt->sb, sp.dentry, sp.mnt->flags, sp.mnt->source);
			path_put(&sp);
		}
	} else if (!S_ISDIR(tp.dentry->inode->mode)) {
		rc = -ENOTDIR;
	} else if (!fstype) {
		rc = -EINVAL;
	} else if (flags & ~(MNT_PER_MOUNT | MS_SILENT)) {
		rc = -EINVAL;
	} else if (strcmp(fstype, "tmpfs") == 0 || strcmp(fstype, "mqueue") == 0) {
		uint64_t size = vfs_tmpfs_limit;
		uint32_t mode = 01777;
		rc = strcmp(fstype, "tmpfs") == 0 ? tmpfs_options(data, &size, &mode) : 0;
		struct super_block *sb;
		struct dentry *root;
		if (!rc)
			rc = make_tmpfs(size, mode, fstype,
					strcmp(fstype, "tmpfs") == 0 ? TMPFS_MAGIC : MQUEUE_MAGIC, &sb, &root);
		if (!rc) {
			rc = attach(&tp, sb, root, (int)(flags & MNT_PER_MOUNT), source);
			dentry_put(root);
		}
	} else if (strcmp(fstype, "proc") == 0 || strcmp(fstype, "sysfs") == 0 ||
		   strcmp(fstype, "devpts") == 0) {
		/* One instance of each per sandbox: a new mount shows the same tree. */
		struct mount *src = find_mount_of_type(fstype);
		rc = src ? attach(&tp, src->sb, src->root, (int)(flags & MNT_PER_MOUNT), source) : -ENODEV;
	} else {
		rc = -ENODEV;
	}
	vfs_unlock();
	path_put(&tp);
	return rc;
}

static bool has_children(struct mount *m)
{
	for (struct mount *c = mount_list(); c; c = c->next)
		if (c->parent == m)
			return true;
	return false;
}

int vfs_umount(struct fs_context *fs, const struct cred *cred, const char *target, int flags)
{
	if (flags & ~(MNT_FORCE | MNT_DETACH | MNT_EXPIRE | UMOUNT_NOFOLLOW))
		return -EINVAL;
	if ((flags & MNT_EXPIRE) && (flags & (MNT_FORCE | MNT_DETACH)))
		return -EINVAL;
	struct path tp;
	int rc = resolve_dir(fs, cred, target, (flags & UMOUNT_NOFOLLOW) ? 0 : LOOKUP_FOLLOW, &tp);
	if (rc)
		return rc;
	if (!cred_capable(cred, CAP_SYS_ADMIN)) {
		path_put(&tp);
		return -EPERM;
	}
	vfs_lock();
	struct mount *m = mount_at_root(&tp);
	if (!m)
		rc = -EINVAL;           /* not a mount point */
	else if (!m->parent)
		rc = -EBUSY;            /* the root */
	else if (flags & MNT_EXPIRE)
		rc = -EAGAIN;           /* first call only marks it, as Linux */
	else if (has_children(m) && !(flags & MNT_DETACH))
		rc = -EBUSY;
	else
		mount_detach(m);
	vfs_unlock();
	path_put(&tp);
	return rc;
}
