/* mount(2) and umount2(2): the sentry's own mount tree (fs/mount.c). */
#include <sys/mount.h>
#include "syscalls/sys_fs_util.h"

/* An optional guest string (fstype, source, data) into buf; 0, or -errno. */
static long copy_opt_string(struct task *t, uint64_t addr, char *buf, size_t cap, const char **out)
{
	*out = NULL;
	if (!addr)
		return 0;
	long n = mm_copy_string_in(t->mm, gaddr(addr), buf, cap);
	if (n < 0)
		return n;
	*out = buf;
	return 0;
}

/* mount(2): source, target, filesystemtype, mountflags, data. */
long sys_mount(struct task *t, const struct syscall_args *a)
{
	static __thread char source[GUEST_PATH_MAX], target[GUEST_PATH_MAX], fstype[256], data[4096];
	const char *src, *type, *opts;
	unsigned long flags = a->arg[3];
	long rc = fs_copy_path(t, a->arg[1], target);
	if (rc < 0)
		return rc;
	rc = copy_opt_string(t, a->arg[0], source, sizeof(source), &src);
	if (!rc)
		rc = copy_opt_string(t, a->arg[2], fstype, sizeof(fstype), &type);
	/* Data is a string only for file systems that take one; bind/remount ignore it. */
	if (!rc && !(flags & (MS_BIND | MS_REMOUNT | MS_MOVE)))
		rc = copy_opt_string(t, a->arg[4], data, sizeof(data), &opts);
	else
		opts = NULL;
	if (rc)
		return rc == -ENAMETOOLONG ? -EINVAL : rc;
	return vfs_mount(t->fs, &t->cred, src, target, type, flags, opts);
}

/* umount2(2): target, flags. */
long sys_umount2(struct task *t, const struct syscall_args *a)
{
	char target[GUEST_PATH_MAX];
	long rc = fs_copy_path(t, a->arg[0], target);
	if (rc < 0)
		return rc;
	return vfs_umount(t->fs, &t->cred, target, (int)a->arg[1]);
}
