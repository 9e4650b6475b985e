/*
 * read, write, readv, writev, pread64, pwrite64, preadv, pwritev,
 * preadv2, pwritev2, lseek. Guest buffers are translated to host iovecs
 * into the MemoryFile (mm_translate), so data moves without extra copies.
 */
#include <stdlib.h>
#include "syscalls/sys_fs_util.h"

#define RW_MAXIOV 64

/*
 * Move data between f and the guest ranges gv[0..n). pos NULL: the file
 * position. Partial progress returns the count.
 */
static long do_rw(struct task *t, struct file *f, const struct giovec *gv, int n, int64_t *pos,
		  bool write)
{
	long total = 0;
	size_t want = 0;
	for (int i = 0; i < n; i++)
		want += gv[i].len;
	if (want == 0) {
		/* Zero-length transfers still report EBADF / EISDIR / EINVAL. */
		ssize_t r = write ? vfs_writev(f, NULL, 0, pos) : vfs_readv(f, NULL, 0, pos);
		return r < 0 ? r : 0;
	}
	for (int i = 0; i < n; i++) {
		gaddr_t addr = gv[i].base;
		size_t len = gv[i].len;
		while (len > 0) {
			struct iovec hv[RW_MAXIOV];
			int niov = 0;
			/* Reading into the guest stores into its memory: write=true. */
			long got = mm_translate(t->mm, addr, len, !write, hv, RW_MAXIOV, &niov);
			if (got < 0)
				return total ? total : got;
			int64_t p = pos ? *pos + total : 0;
			ssize_t r = write ? vfs_writev(f, hv, niov, pos ? &p : NULL)
					  : vfs_readv(f, hv, niov, pos ? &p : NULL);
			if (r < 0)
				return total ? total : r;
			total += r;
			if (r < got)
				return total;
			addr = gaddr_add(addr, got);
			len -= got;
		}
	}
	return total;
}

static long rw_one(struct task *t, int fd, uint64_t buf, size_t count, int64_t *pos, bool write)
{
	struct file *f = fdt_get_file(t->files, fd);
	if (!f)
		return -EBADF;
	if (count > GUEST_MAX_RW_COUNT)
		count = GUEST_MAX_RW_COUNT;
	struct giovec gv = { gaddr(buf), count };
	long r = do_rw(t, f, &gv, 1, pos, write);
	file_put(f);
	return r;
}

static long rw_vec(struct task *t, int fd, uint64_t uiov, int iovcnt, int64_t *pos, bool write)
{
	struct file *f = fdt_get_file(t->files, fd);
	if (!f)
		return -EBADF;
	struct giovec *gv = NULL;
	long r = mm_import_iovec(t->mm, gaddr(uiov), iovcnt, &gv);
	if (r >= 0) {
		/* Apply the MAX_RW_COUNT clamp the importer computed. */
		size_t left = (size_t)r;
		for (int i = 0; i < iovcnt; i++) {
			if (gv[i].len > left)
				gv[i].len = left;
			left -= gv[i].len;
		}
		r = do_rw(t, f, gv, iovcnt, pos, write);
	}
	free(gv);
	file_put(f);
	return r;
}

/* read(2) */
long sys_read(struct task *t, const struct syscall_args *a)
{
	return rw_one(t, (int)a->arg[0], a->arg[1], a->arg[2], NULL, false);
}

/* write(2) */
long sys_write(struct task *t, const struct syscall_args *a)
{
	return rw_one(t, (int)a->arg[0], a->arg[1], a->arg[2], NULL, true);
}

/* pread64(2) */
long sys_pread64(struct task *t, const struct syscall_args *a)
{
	int64_t pos = (int64_t)a->arg[3];
	if (pos < 0)
		return -EINVAL;
	return rw_one(t, (int)a->arg[0], a->arg[1], a->arg[2], &pos, false);
}

/* pwrite64(2) */
long sys_pwrite64(struct task *t, const struct syscall_args *a)
{
	int64_t pos = (int64_t)a->arg[3];
	if (pos < 0)
		return -EINVAL;
	return rw_one(t, (int)a->arg[0], a->arg[1], a->arg[2], &pos, true);
}

/* readv(2) */
long sys_readv(struct task *t, const struct syscall_args *a)
{
	return rw_vec(t, (int)a->arg[0], a->arg[1], (int)a->arg[2], NULL, false);
}

/* writev(2) */
long sys_writev(struct task *t, const struct syscall_args *a)
{
	return rw_vec(t, (int)a->arg[0], a->arg[1], (int)a->arg[2], NULL, true);
}

/*
 * preadv(2)/pwritev(2): the raw ABI passes the offset as (pos_l, pos_h);
 * on x86-64 pos_l holds all 64 bits and pos_h is ignored (pos_from_hilo).
 */
static long prw_vec(struct task *t, const struct syscall_args *a, bool write, bool v2)
{
	int fd = (int)a->arg[0];
	uint64_t uiov = a->arg[1];
	int iovcnt = (int)a->arg[2];
	int64_t pos = (int64_t)a->arg[3];
	int flags = v2 ? (int)a->arg[5] : 0;
	if (flags)
		return -EOPNOTSUPP;    /* RWF_* flags: not yet */
	if (v2 && pos == -1)
		return rw_vec(t, fd, uiov, iovcnt, NULL, write);
	if (pos < 0)
		return -EINVAL;
	return rw_vec(t, fd, uiov, iovcnt, &pos, write);
}

long sys_preadv(struct task *t, const struct syscall_args *a)
{
	return prw_vec(t, a, false, false);
}

long sys_pwritev(struct task *t, const struct syscall_args *a)
{
	return prw_vec(t, a, true, false);
}

long sys_preadv2(struct task *t, const struct syscall_args *a)
{
	return prw_vec(t, a, false, true);
}

long sys_pwritev2(struct task *t, const struct syscall_args *a)
{
	return prw_vec(t, a, true, true);
}

/* lseek(2) */
long sys_lseek(struct task *t, const struct syscall_args *a)
{
	int fd = (int)a->arg[0];
	int64_t off = (int64_t)a->arg[1];
	int whence = (int)a->arg[2];
	struct file *f = fdt_get_file(t->files, fd);
	if (!f)
		return -EBADF;
	int64_t r = vfs_lseek(f, off, whence);
	file_put(f);
	return r;
}
