/* ioctl(2): FIOCLEX/FIONCLEX/FIONBIO/FIOASYNC at the fd level, the rest to the file. */
#include <sys/ioctl.h>
#include "syscalls/sys_fs_util.h"

long sys_ioctl(struct task *t, const struct syscall_args *a)
{
	int fd = (int)a->arg[0];
	unsigned cmd = (unsigned)a->arg[1];
	uint64_t arg = a->arg[2];
	struct file *f = fdt_get_file(t->files, fd);
	if (!f)
		return -EBADF;
	long rc;
	switch (cmd) {
	case FIOCLEX:
		rc = fdt_set_flags(t->files, fd, FDT_CLOEXEC);
		break;
	case FIONCLEX:
		rc = fdt_set_flags(t->files, fd, 0);
		break;
	case FIONBIO: {
		int on;
		if (file_flags(f) & O_PATH) {
			rc = -EBADF;
			break;
		}
		rc = mm_copy_in(t->mm, &on, gaddr(arg), sizeof(on));
		if (!rc) {
			int fl = file_flags(f);
			file_set_status_flags(f, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
		}
		break;
	}
	case FIOASYNC: {
		/* Signal-driven I/O on or off (Linux's ioctl_fioasync). */
		int on;
		rc = mm_copy_in(t->mm, &on, gaddr(arg), sizeof(on));
		if (!rc)
			rc = vfs_fioasync(f, fd, on != 0);
		break;
	}
	case FIONREAD: {
		struct stat st;
		if (!(file_flags(f) & O_PATH) && vfs_fstat(f, &st) == 0 && S_ISREG(st.st_mode)) {
			int64_t pos = vfs_lseek(f, 0, SEEK_CUR);
			int n = pos >= 0 && st.st_size > pos ? (int)MIN(st.st_size - pos, INT32_MAX) : 0;
			rc = mm_copy_out(t->mm, gaddr(arg), &n, sizeof(n));
			break;
		}
		rc = vfs_ioctl(f, t, cmd, arg);
		break;
	}
	default:
		rc = vfs_ioctl(f, t, cmd, arg);
	}
	file_put(f);
	return rc;
}
