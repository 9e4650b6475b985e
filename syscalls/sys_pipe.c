/* pipe(2), pipe2(2): anonymous pipes (fs/pipe.c). */
#include "syscalls/sys_fs_util.h"

/* O_NOTIFICATION_PIPE (watch queues) is O_EXCL. */
#define PIPE_O_NOTIFICATION_PIPE O_EXCL

static long do_pipe2(struct task *t, uint64_t ufds, int flags)
{
	if (flags & PIPE_O_NOTIFICATION_PIPE)
		return -ENOPKG;        /* as a kernel without CONFIG_WATCH_QUEUE */
	if (flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT))
		return -EINVAL;
	struct file *rd, *wr;
	int rc = vfs_pipe_create(&t->cred, flags, &rd, &wr);
	if (rc)
		return rc;
	int fdfl = (flags & O_CLOEXEC) ? FDT_CLOEXEC : 0;
	int fds[2] = { -1, -1 };
	fds[0] = fdt_install(t->files, rd, fdfl, 0, fs_nofile(t));
	if (fds[0] >= 0)
		fds[1] = fdt_install(t->files, wr, fdfl, 0, fs_nofile(t));
	file_put(rd);
	file_put(wr);
	if (fds[1] < 0) {
		rc = fds[0] < 0 ? fds[0] : fds[1];
		if (fds[0] >= 0)
			fdt_close(t->files, fds[0]);
		return rc;
	}
	/*
	 * Linux reserves both fds, copies them out, and installs the files
	 * only if that worked. We install first and close both on -EFAULT:
	 * the same result, except that another thread could glimpse the fds.
	 */
	if (mm_copy_out(t->mm, gaddr(ufds), fds, sizeof(fds))) {
		fdt_close(t->files, fds[0]);
		fdt_close(t->files, fds[1]);
		return -EFAULT;
	}
	return 0;
}

/* pipe(2) */
long sys_pipe(struct task *t, const struct syscall_args *a)
{
	return do_pipe2(t, a->arg[0], 0);
}

/* pipe2(2) */
long sys_pipe2(struct task *t, const struct syscall_args *a)
{
	return do_pipe2(t, a->arg[0], (int)a->arg[1]);
}
