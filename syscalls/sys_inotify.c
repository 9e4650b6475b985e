/* inotify_init, inotify_init1, inotify_add_watch, inotify_rm_watch (fs/inotify.c). */
#include <sys/inotify.h>
#include "syscalls/sys_fs_util.h"

static long do_inotify_init(struct task *t, int flags)
{
	if (flags & ~(IN_CLOEXEC | IN_NONBLOCK))
		return -EINVAL;
	struct file *f;
	int rc = vfs_inotify_create(flags & IN_NONBLOCK, &f);
	if (rc)
		return rc;
	int fd = fdt_install(t->files, f, (flags & IN_CLOEXEC) ? FDT_CLOEXEC : 0, 0, fs_nofile(t));
	file_put(f);
	return fd;
}

/* inotify_init1(2) */
long sys_inotify_init1(struct task *t, const struct syscall_args *a)
{
	return do_inotify_init(t, (int)a->arg[0]);
}

/* inotify_init(2) */
long sys_inotify_init(struct task *t, const struct syscall_args *a)
{
	return do_inotify_init(t, 0);
}

/* inotify_add_watch(2) */
long sys_inotify_add_watch(struct task *t, const struct syscall_args *a)
{
	int fd = (int)a->arg[0];
	uint64_t upath = a->arg[1];
	uint32_t mask = (uint32_t)a->arg[2];
	/* Linux checks the mask before the descriptor and the path. */
	if (!(mask & (IN_ALL_EVENTS | IN_UNMOUNT | IN_Q_OVERFLOW | IN_IGNORED | IN_ONLYDIR |
		      IN_DONT_FOLLOW | IN_EXCL_UNLINK | IN_MASK_CREATE | IN_MASK_ADD | IN_ISDIR |
		      IN_ONESHOT)))
		return -EINVAL;
	if ((mask & IN_MASK_ADD) && (mask & IN_MASK_CREATE))
		return -EINVAL;
	struct file *f = fdt_get_file(t->files, fd);
	if (!f)
		return -EBADF;
	char path[GUEST_PATH_MAX];
	long rc = fs_copy_path(t, upath, path);
	if (rc >= 0)
		rc = vfs_inotify_add_watch(f, t->fs, &t->cred, path, mask);
	file_put(f);
	return rc;
}

/* inotify_rm_watch(2) */
long sys_inotify_rm_watch(struct task *t, const struct syscall_args *a)
{
	struct file *f = fdt_get_file(t->files, (int)a->arg[0]);
	if (!f)
		return -EBADF;
	long rc = vfs_inotify_rm_watch(f, (int)a->arg[1]);
	file_put(f);
	return rc;
}
