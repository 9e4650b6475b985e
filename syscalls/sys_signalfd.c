/* signalfd(2), signalfd4(2) (fs/signalfd.c). */
#include <signal.h>
#include <sys/signalfd.h>
#include "fs/signalfd.h"
#include "syscalls/sys_fs_util.h"

static long do_signalfd(struct task *t, int fd, uint64_t umask, uint64_t size, int flags)
{
	if (flags & ~(SFD_CLOEXEC | SFD_NONBLOCK))
		return -EINVAL;
	if (size != 8)
		return -EINVAL;
	uint64_t mask;
	if (mm_copy_in(t->mm, &mask, gaddr(umask), 8))
		return -EFAULT;
	mask &= ~((1ULL << (SIGKILL - 1)) | (1ULL << (SIGSTOP - 1)));
	if (fd != -1) {
		struct file *f = fdt_get_file(t->files, fd);
		if (!f)
			return -EBADF;
		int rc = vfs_signalfd(f, mask, flags, NULL);
		file_put(f);
		return rc ? rc : fd;
	}
	struct file *f;
	int rc = vfs_signalfd(NULL, mask, flags, &f);
	if (rc)
		return rc;
	int nfd = fdt_install(t->files, f, (flags & SFD_CLOEXEC) ? FDT_CLOEXEC : 0, 0, fs_nofile(t));
	file_put(f);
	return nfd;
}

/* signalfd4(2) */
long sys_signalfd4(struct task *t, const struct syscall_args *a)
{
	return do_signalfd(t, (int)a->arg[0], a->arg[1], a->arg[2], (int)a->arg[3]);
}

/* signalfd(2) */
long sys_signalfd(struct task *t, const struct syscall_args *a)
{
	return do_signalfd(t, (int)a->arg[0], a->arg[1], a->arg[2], 0);
}
