/* eventfd(2), eventfd2(2) (fs/eventfd.c). */
#include <sys/eventfd.h>
#include "syscalls/sys_fs_util.h"

/* Declared here until fs/vfs.h settles: a new eventfd file. */
int vfs_eventfd_create(uint64_t initval, int flags, struct file **out);

static long do_eventfd(struct task *t, unsigned initval, int flags)
{
	if (flags & ~(EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE))
		return -EINVAL;
	struct file *f;
	int rc = vfs_eventfd_create(initval, flags, &f);
	if (rc)
		return rc;
	int fd = fdt_install(t->files, f, (flags & EFD_CLOEXEC) ? FDT_CLOEXEC : 0, 0, fs_nofile(t));
	file_put(f);
	return fd;
}

/* eventfd2(2) */
long sys_eventfd2(struct task *t, const struct syscall_args *a)
{
	return do_eventfd(t, (unsigned)a->arg[0], (int)a->arg[1]);
}

/* eventfd(2) */
long sys_eventfd(struct task *t, const struct syscall_args *a)
{
	return do_eventfd(t, (unsigned)a->arg[0], 0);
}
