/*
 * Extended attributes: setxattr, lsetxattr, fsetxattr, getxattr,
 * lgetxattr, fgetxattr, listxattr, llistxattr, flistxattr, removexattr,
 * lremovexattr, fremovexattr (fs/xattr.c). Arguments are checked in
 * Linux's order: flags, the name (ERANGE when empty or longer than 255),
 * the value size (E2BIG), then the path.
 */
#include <stdlib.h>
#include <sys/xattr.h>
#include "syscalls/sys_fs_util.h"

#define XATTR_NAME_MAX 255
#define XATTR_SIZE_MAX 65536
#define XATTR_LIST_MAX 65536

/* The object an xattr call names: a path (follow or not) or a descriptor. */
struct xattr_target {
	uint64_t upath;
	bool follow;
	int fd;                    /* used when upath is 0 */
};

static long copy_name(struct task *t, uint64_t uname, char *name)
{
	long n = mm_copy_string_in(t->mm, gaddr(uname), name, XATTR_NAME_MAX + 1);
	if (n == -ENAMETOOLONG || n == 0)
		return -ERANGE;
	return n < 0 ? n : 0;
}

static long xattr_run(struct task *t, const struct xattr_target *tg, struct vfs_xattr_req *req)
{
	if (tg->upath) {
		char path[GUEST_PATH_MAX];
		long n = fs_copy_path(t, tg->upath, path);
		if (n < 0)
			return n;
		return vfs_xattr_at(t->fs, &t->cred, path, tg->follow, req);
	}
	struct file *f = fdt_get_file(t->files, tg->fd);
	if (!f)
		return -EBADF;
	long rc = vfs_xattr_fd(f, &t->cred, req);
	file_put(f);
	return rc;
}

static long do_setxattr(struct task *t, const struct xattr_target *tg, uint64_t uname,
			uint64_t uvalue, size_t size, int flags)
{
	if (flags & ~(XATTR_CREATE | XATTR_REPLACE))
		return -EINVAL;
	char name[XATTR_NAME_MAX + 1];
	long rc = copy_name(t, uname, name);
	if (rc)
		return rc;
	if (size > XATTR_SIZE_MAX)
		return -E2BIG;
	void *value = NULL;
	if (size) {
		value = malloc(size);
		if (!value)
			return -ENOMEM;
		rc = mm_copy_in(t->mm, value, gaddr(uvalue), size);
		if (rc) {
			free(value);
			return rc;
		}
	}
	struct vfs_xattr_req req = { VFS_XATTR_SET, name, value, size, flags };
	rc = xattr_run(t, tg, &req);
	free(value);
	return rc;
}

static long do_getxattr(struct task *t, const struct xattr_target *tg, uint64_t uname,
			uint64_t uvalue, size_t size)
{
	char name[XATTR_NAME_MAX + 1];
	long rc = copy_name(t, uname, name);
	if (rc)
		return rc;
	if (size > XATTR_SIZE_MAX)
		size = XATTR_SIZE_MAX;
	void *value = size ? malloc(size) : NULL;
	if (size && !value)
		return -ENOMEM;
	struct vfs_xattr_req req = { VFS_XATTR_GET, name, value, size, 0 };
	rc = xattr_run(t, tg, &req);
	if (rc > 0 && size && mm_copy_out(t->mm, gaddr(uvalue), value, rc))
		rc = -EFAULT;
	else if (rc == -ERANGE && size >= XATTR_SIZE_MAX)
		rc = -E2BIG;
	free(value);
	return rc;
}

static long do_listxattr(struct task *t, const struct xattr_target *tg, uint64_t ulist,
			 size_t size)
{
	if (size > XATTR_LIST_MAX)
		size = XATTR_LIST_MAX;
	void *list = size ? malloc(size) : NULL;
	if (size && !list)
		return -ENOMEM;
	struct vfs_xattr_req req = { VFS_XATTR_LIST, NULL, list, size, 0 };
	long rc = xattr_run(t, tg, &req);
	if (rc > 0 && size && mm_copy_out(t->mm, gaddr(ulist), list, rc))
		rc = -EFAULT;
	else if (rc == -ERANGE && size >= XATTR_LIST_MAX)
		rc = -E2BIG;
	free(list);
	return rc;
}

static long do_removexattr(struct task *t, const struct xattr_target *tg, uint64_t uname)
{
	char name[XATTR_NAME_MAX + 1];
	long rc = copy_name(t, uname, name);
	if (rc)
		return rc;
	struct vfs_xattr_req req = { VFS_XATTR_REMOVE, name, NULL, 0, 0 };
	return xattr_run(t, tg, &req);
}

#define PATH_TARGET(follow_) (&(struct xattr_target){ a->arg[0], (follow_), -1 })
#define FD_TARGET (&(struct xattr_target){ 0, false, (int)a->arg[0] })

long sys_setxattr(struct task *t, const struct syscall_args *a)
{
	if (!a->arg[0])
		return -EFAULT;
	return do_setxattr(t, PATH_TARGET(true), a->arg[1], a->arg[2], a->arg[3], (int)a->arg[4]);
}

long sys_lsetxattr(struct task *t, const struct syscall_args *a)
{
	if (!a->arg[0])
		return -EFAULT;
	return do_setxattr(t, PATH_TARGET(false), a->arg[1], a->arg[2], a->arg[3], (int)a->arg[4]);
}

long sys_fsetxattr(struct task *t, const struct syscall_args *a)
{
	return do_setxattr(t, FD_TARGET, a->arg[1], a->arg[2], a->arg[3], (int)a->arg[4]);
}

long sys_getxattr(struct task *t, const struct syscall_args *a)
{
	if (!a->arg[0])
		return -EFAULT;
	return do_getxattr(t, PATH_TARGET(true), a->arg[1], a->arg[2], a->arg[3]);
}

long sys_lgetxattr(struct task *t, const struct syscall_args *a)
{
	if (!a->arg[0])
		return -EFAULT;
	return do_getxattr(t, PATH_TARGET(false), a->arg[1], a->arg[2], a->arg[3]);
}

long sys_fgetxattr(struct task *t, const struct syscall_args *a)
{
	return do_getxattr(t, FD_TARGET, a->arg[1], a->arg[2], a->arg[3]);
}

long sys_listxattr(struct task *t, const struct syscall_args *a)
{
	if (!a->arg[0])
		return -EFAULT;
	return do_listxattr(t, PATH_TARGET(true), a->arg[1], a->arg[2]);
}

long sys_llistxattr(struct task *t, const struct syscall_args *a)
{
	if (!a->arg[0])
		return -EFAULT;
	return do_listxattr(t, PATH_TARGET(false), a->arg[1], a->arg[2]);
}

long sys_flistxattr(struct task *t, const struct syscall_args *a)
{
	return do_listxattr(t, FD_TARGET, a->arg[1], a->arg[2]);
}

long sys_removexattr(struct task *t, const struct syscall_args *a)
{
	if (!a->arg[0])
		return -EFAULT;
	return do_removexattr(t, PATH_TARGET(true), a->arg[1]);
}

long sys_lremovexattr(struct task *t, const struct syscall_args *a)
{
	if (!a->arg[0])
		return -EFAULT;
	return do_removexattr(t, PATH_TARGET(false), a->arg[1]);
}

long sys_fremovexattr(struct task *t, const struct syscall_args *a)
{
	return do_removexattr(t, FD_TARGET, a->arg[1]);
}
