/*
 * Moving data between descriptors: sendfile, splice, tee,
 * copy_file_range (fs/splice.c), fallocate, sync_file_range. Offsets
 * passed by pointer are copied in once and written back as Linux does
 * (sendfile even on failure).
 */
#include <stdlib.h>
#include "syscalls/sys_fs_util.h"

#define SPLICE_F_ALL 0xf
#define SYNC_FILE_RANGE_ALL 0x7

/* A descriptor usable for I/O (Linux's fdget: O_PATH descriptors are not). */
static struct file *io_file(struct task *t, int fd)
{
	struct file *f = fdt_get_file(t->files, fd);
	if (f && (file_flags(f) & O_PATH)) {
		file_put(f);
		f = NULL;
	}
	return f;
}

/* sendfile(2) (x86-64's sendfile is sendfile64: a 64-bit offset). */
long sys_sendfile(struct task *t, const struct syscall_args *a)
{
	int out_fd = (int)a->arg[0], in_fd = (int)a->arg[1];
	uint64_t uoff = a->arg[2];
	size_t count = a->arg[3];
	int64_t pos = 0;
	if (uoff && mm_copy_in(t->mm, &pos, gaddr(uoff), sizeof(pos)))
		return -EFAULT;
	struct file *in = io_file(t, in_fd);
	if (!in)
		return -EBADF;
	struct file *out = io_file(t, out_fd);
	long rc = vfs_sendfile(out, in, uoff ? &pos : NULL, count);
	if (out)
		file_put(out);
	file_put(in);
	if (uoff && mm_copy_out(t->mm, gaddr(uoff), &pos, sizeof(pos)))
		return -EFAULT;
	return rc;
}

/* splice(2) */
long sys_splice(struct task *t, const struct syscall_args *a)
{
	int fd_in = (int)a->arg[0], fd_out = (int)a->arg[2];
	uint64_t uoff_in = a->arg[1], uoff_out = a->arg[3];
	size_t len = a->arg[4];
	unsigned flags = (unsigned)a->arg[5];
	if (!len)
		return 0;
	if (flags & ~SPLICE_F_ALL)
		return -EINVAL;
	struct file *in = io_file(t, fd_in);
	if (!in)
		return -EBADF;
	struct file *out = io_file(t, fd_out);
	if (!out) {
		file_put(in);
		return -EBADF;
	}
	long rc = 0;
	int64_t off_in = 0, off_out = 0;
	/* __do_splice: a pipe end with an offset is ESPIPE before the offsets are read. */
	if ((uoff_in && vfs_is_pipe(in)) || (uoff_out && vfs_is_pipe(out)))
		rc = -ESPIPE;
	else if ((uoff_in && mm_copy_in(t->mm, &off_in, gaddr(uoff_in), sizeof(off_in))) ||
		 (uoff_out && mm_copy_in(t->mm, &off_out, gaddr(uoff_out), sizeof(off_out))))
		rc = -EFAULT;
	if (!rc) {
		rc = vfs_splice(in, uoff_in ? &off_in : NULL, out, uoff_out ? &off_out : NULL, len,
				flags);
		if ((uoff_in && mm_copy_out(t->mm, gaddr(uoff_in), &off_in, sizeof(off_in))) ||
		    (uoff_out && mm_copy_out(t->mm, gaddr(uoff_out), &off_out, sizeof(off_out))))
			rc = -EFAULT;
	}
	file_put(out);
	file_put(in);
	return rc;
}

/* tee(2) */
long sys_tee(struct task *t, const struct syscall_args *a)
{
	int fd_in = (int)a->arg[0], fd_out = (int)a->arg[1];
	size_t len = a->arg[2];
	unsigned flags = (unsigned)a->arg[3];
	if (flags & ~SPLICE_F_ALL)
		return -EINVAL;
	if (!len)
		return 0;
	struct file *in = io_file(t, fd_in);
	if (!in)
		return -EBADF;
	struct file *out = io_file(t, fd_out);
	long rc = out ? vfs_tee(in, out, len, flags) : -EBADF;
	if (out)
		file_put(out);
	file_put(in);
	return rc;
}

/* copy_file_range(2) */
long sys_copy_file_range(struct task *t, const struct syscall_args *a)
{
	int fd_in = (int)a->arg[0], fd_out = (int)a->arg[2];
	uint64_t uoff_in = a->arg[1], uoff_out = a->arg[3];
	size_t len = a->arg[4];
	unsigned flags = (unsigned)a->arg[5];
	struct file *in = io_file(t, fd_in);
	if (!in)
		return -EBADF;
	struct file *out = io_file(t, fd_out);
	if (!out) {
		file_put(in);
		return -EBADF;
	}
	int64_t off_in = 0, off_out = 0;
	long rc = 0;
	if ((uoff_in && mm_copy_in(t->mm, &off_in, gaddr(uoff_in), sizeof(off_in))) ||
	    (uoff_out && mm_copy_in(t->mm, &off_out, gaddr(uoff_out), sizeof(off_out))))
		rc = -EFAULT;
	if (!rc) {
		rc = vfs_copy_file_range(in, uoff_in ? &off_in : NULL, out,
					 uoff_out ? &off_out : NULL, len, flags);
		if (rc > 0 && ((uoff_in && mm_copy_out(t->mm, gaddr(uoff_in), &off_in, sizeof(off_in))) ||
			       (uoff_out && mm_copy_out(t->mm, gaddr(uoff_out), &off_out,
							sizeof(off_out)))))
			rc = -EFAULT;
	}
	file_put(out);
	file_put(in);
	return rc;
}

/* fallocate(2) */
long sys_fallocate(struct task *t, const struct syscall_args *a)
{
	struct file *f = io_file(t, (int)a->arg[0]);
	if (!f)
		return -EBADF;
	long rc = vfs_fallocate(f, (int)a->arg[1], (int64_t)a->arg[2], (int64_t)a->arg[3]);
	file_put(f);
	return rc;
}

/* sync_file_range(2): nothing is persistent; the arguments are checked as Linux does. */
long sys_sync_file_range(struct task *t, const struct syscall_args *a)
{
	int64_t off = (int64_t)a->arg[1], nbytes = (int64_t)a->arg[2];
	unsigned flags = (unsigned)a->arg[3];
	if (flags & ~SYNC_FILE_RANGE_ALL)
		return -EINVAL;
	if (off < 0 || nbytes < 0 || off > INT64_MAX - nbytes)
		return -EINVAL;
	struct file *f = io_file(t, (int)a->arg[0]);
	if (!f)
		return -EBADF;
	struct stat st;
	long rc = vfs_fstat(f, &st);
	if (!rc && !S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode) && !S_ISDIR(st.st_mode) &&
	    !S_ISLNK(st.st_mode))
		rc = -ESPIPE;
	file_put(f);
	return rc;
}

/*
 * vmsplice(2): guest memory into a pipe (a write end) or out of one (a
 * read end), copied through a sentry buffer (Linux maps the pages; the
 * bytes seen are the same). One round, as Linux: up to the room in the
 * pipe, or the data there, waiting first unless non-blocking.
 */
long sys_vmsplice(struct task *t, const struct syscall_args *a)
{
	int fd = (int)a->arg[0];
	uint64_t uiov = a->arg[1];
	unsigned long nr = a->arg[2];
	unsigned flags = (unsigned)a->arg[3];
	if (flags & ~SPLICE_F_ALL)
		return -EINVAL;
	struct file *f = io_file(t, fd);
	if (!f)
		return -EBADF;
	int acc = file_flags(f) & O_ACCMODE;
	bool to_pipe = acc == O_WRONLY || acc == O_RDWR;
	long rc;
	struct giovec *gv = NULL;
	if (!to_pipe && acc != O_RDONLY) {
		rc = -EBADF;
		goto out;
	}
	if (nr > GUEST_UIO_MAXIOV) {
		rc = -EINVAL;
		goto out;
	}
	rc = nr ? mm_import_iovec(t->mm, gaddr(uiov), (int)nr, &gv) : 0;
	if (rc <= 0)
		goto out;
	size_t total = (size_t)rc;
	if (!vfs_is_pipe(f)) {
		rc = -EBADF;
		goto out;
	}
	bool nonblock = (flags & SPLICE_F_NONBLOCK) || (file_flags(f) & O_NONBLOCK);
	rc = vfs_pipe_vmsplice_wait(f, to_pipe, nonblock);
	if (rc <= 0)
		goto out;
	size_t want = MIN(total, (size_t)rc);
	char *buf = malloc(want);
	if (!buf) {
		rc = -ENOMEM;
		goto out;
	}
	size_t done = 0;
	if (to_pipe) {
		for (unsigned long i = 0; i < nr && done < want; i++) {
			size_t n = MIN(gv[i].len, want - done);
			if (n && mm_copy_in(t->mm, buf + done, gv[i].base, n))
				break;
			done += n;
		}
		rc = done ? vfs_pipe_vmsplice_io(f, buf, done, true) : -EFAULT;
	} else {
		rc = vfs_pipe_vmsplice_io(f, buf, want, false);   /* peeked, not consumed */
		size_t got = rc > 0 ? (size_t)rc : 0;
		for (unsigned long i = 0; i < nr && done < got; i++) {
			size_t n = MIN(gv[i].len, got - done);
			if (n && mm_copy_out(t->mm, gv[i].base, buf + done, n))
				break;
			done += n;
		}
		if (rc > 0) {
			vfs_pipe_vmsplice_consume(f, done);
			rc = done ? (long)done : -EFAULT;
		}
	}
	free(buf);
out:
	free(gv);
	file_put(f);
	return rc;
}
