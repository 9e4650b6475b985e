/*
 * read, write, readv, writev, pread64, pwrite64, preadv, pwritev,
 * preadv2, pwritev2, lseek. Guest buffers are translated to host iovecs
 * into the MemoryFile (mm_translate), so data moves without extra copies.
 */
#include <poll.h>
#include <stdlib.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
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
	/*
	 * rw_verify_area on the whole transfer (the VFS sees it piece by
	 * piece); a file of unsigned positions may run past 2^63 from below.
	 */
	if (pos && want > (uint64_t)(INT64_MAX - *pos) && !file_unsigned_offset(f))
		return -EINVAL;
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
			int64_t p = pos ? (int64_t)((uint64_t)*pos + (uint64_t)total) : 0;
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

/* The iovec array at uiov, clamped to MAX_RW_COUNT in total; *gv is the caller's to free. */
static long rw_import(struct task *t, uint64_t uiov, int iovcnt, struct giovec **gv)
{
	*gv = NULL;
	long r = mm_import_iovec(t->mm, gaddr(uiov), iovcnt, gv);
	if (r >= 0) {
		size_t left = (size_t)r;
		for (int i = 0; i < iovcnt; i++) {
			if ((*gv)[i].len > left)
				(*gv)[i].len = left;
			left -= (*gv)[i].len;
		}
	}
	return r;
}

static long rw_vec(struct task *t, int fd, uint64_t uiov, int iovcnt, int64_t *pos, bool write)
{
	struct file *f = fdt_get_file(t->files, fd);
	if (!f)
		return -EBADF;
	struct giovec *gv = NULL;
	long r = rw_import(t, uiov, iovcnt, &gv);
	if (r >= 0)
		r = do_rw(t, f, gv, iovcnt, pos, write);
	free(gv);
	file_put(f);
	return r;
}

/* ---- preadv2/pwritev2 flags (RWF_*) ---- */

#define RWF_HIPRI_ 0x01
#define RWF_DSYNC_ 0x02
#define RWF_SYNC_ 0x04
#define RWF_NOWAIT_ 0x08
#define RWF_APPEND_ 0x10
#define RWF_NOAPPEND_ 0x20
#define RWF_ATOMIC_ 0x40
#define RWF_DONTCACHE_ 0x80
#define RWF_NOSIGNAL_ 0x100
#define RWF_SUPPORTED_ 0x1ff
#define TMPFS_MAGIC_ 0x01021994

static bool file_on_tmpfs(struct file *f)
{
	struct statfs sfs;
	return vfs_fstatfs(f, &sfs) == 0 && sfs.f_type == TMPFS_MAGIC_;
}

/*
 * Linux's kiocb_set_rw_flags for the file kinds the sentry has. RWF_NOWAIT
 * needs FMODE_NOWAIT: regular files of disk file systems (reads; their
 * buffered writes refuse it: EOPNOTSUPP), pipes, sockets, eventfds and
 * other pollable files, /dev/null, zero, random and urandom; not tmpfs
 * files, terminals or other devices. RWF_DONTCACHE needs a disk file
 * system's regular file; RWF_ATOMIC an O_DIRECT file that supports it.
 */
static int rwf_check(struct file *f, const struct stat *st, int flags, bool write)
{
	if (flags & ~RWF_SUPPORTED_)
		return -EOPNOTSUPP;
	if ((flags & RWF_APPEND_) && (flags & RWF_NOAPPEND_))
		return -EINVAL;
	if (S_ISDIR(st->st_mode))
		return flags & ~RWF_HIPRI_ ? -EOPNOTSUPP : 0;   /* no read_iter: the loop path */
	bool reg = S_ISREG(st->st_mode);
	if (flags & RWF_NOWAIT_) {
		bool ok;
		if (reg) {
			ok = !write && !file_on_tmpfs(f);
		} else if (S_ISCHR(st->st_mode)) {
			unsigned maj = major(st->st_rdev), min = minor(st->st_rdev);
			ok = maj == 1 && (min == 3 || min == 5 || min == 8 || min == 9);
		} else {
			ok = S_ISFIFO(st->st_mode) || S_ISSOCK(st->st_mode) || file_has_poll(f);
		}
		if (!ok)
			return -EOPNOTSUPP;
	}
	if (flags & RWF_ATOMIC_)
		return -EOPNOTSUPP;
	if ((flags & RWF_DONTCACHE_) && (!reg || file_on_tmpfs(f)))
		return -EOPNOTSUPP;
	return 0;
}

/*
 * With RWF_NOWAIT, a pipe, socket or other pollable file that is not ready
 * gives EAGAIN instead of blocking. (Another reader could still take the
 * data between this check and the read; then the read waits as usual.)
 */
static int rwf_nowait_ready(struct file *f, const struct stat *st, bool write)
{
	if (S_ISREG(st->st_mode) || S_ISCHR(st->st_mode) || (file_flags(f) & O_NONBLOCK))
		return 0;
	uint32_t ev = vfs_poll(f, NULL);
	uint32_t want = write ? POLLOUT | POLLERR : POLLIN | POLLHUP | POLLERR;
	return ev & want ? 0 : -EAGAIN;
}

/*
 * preadv2/pwritev2 with flags: Linux's order of checks (ESPIPE, EBADF, the
 * iovec, a zero-length transfer, then the flags). RWF_APPEND writes a
 * regular file at its end; RWF_DSYNC/RWF_SYNC sync it after the write;
 * RWF_HIPRI, RWF_NOSIGNAL and RWF_NOAPPEND change nothing here (an O_APPEND
 * file still appends with RWF_NOAPPEND).
 */
static long rw_vec_flags(struct task *t, int fd, uint64_t uiov, int iovcnt, int64_t *pos,
			 bool write, int flags)
{
	struct file *f = fdt_get_file(t->files, fd);
	if (!f)
		return -EBADF;
	struct giovec *gv = NULL;
	long r;
	int fl = file_flags(f), acc = fl & O_ACCMODE;
	struct stat st;
	if (pos && vfs_lseek(f, 0, SEEK_CUR) == -ESPIPE) {
		r = -ESPIPE;
		goto out;
	}
	if ((fl & O_PATH) || acc == 3 || acc == (write ? O_RDONLY : O_WRONLY)) {
		r = -EBADF;
		goto out;
	}
	r = rw_import(t, uiov, iovcnt, &gv);
	if (r <= 0) {
		if (r == 0)
			r = do_rw(t, f, gv, iovcnt, pos, write);
		goto out;
	}
	r = vfs_fstat(f, &st);
	if (!r)
		r = rwf_check(f, &st, flags, write);
	if (!r && (flags & RWF_NOWAIT_))
		r = rwf_nowait_ready(f, &st, write);
	if (r)
		goto out;
	bool reg = S_ISREG(st.st_mode);
	if (write && reg && (flags & RWF_APPEND_) && !(fl & O_APPEND)) {
		/* Write at the end; through the file position, leave it after the data. */
		int64_t end = st.st_size, at = end;
		r = do_rw(t, f, gv, iovcnt, &at, true);
		if (!pos && r >= 0)
			vfs_lseek(f, end + r, SEEK_SET);
	} else {
		r = do_rw(t, f, gv, iovcnt, pos, write);
	}
	if (write && reg && r > 0 && (flags & (RWF_DSYNC_ | RWF_SYNC_))) {
		int rc = vfs_fsync(f);
		if (rc)
			r = rc;
	}
out:
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
	if (v2 && pos == -1)
		return flags ? rw_vec_flags(t, fd, uiov, iovcnt, NULL, write, flags)
			     : rw_vec(t, fd, uiov, iovcnt, NULL, write);
	if (pos < 0)
		return -EINVAL;
	return flags ? rw_vec_flags(t, fd, uiov, iovcnt, &pos, write, flags)
		     : rw_vec(t, fd, uiov, iovcnt, &pos, write);
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
	/*
	 * A position of /proc/PID/mem may be any 64-bit value, 2^64 - 512
	 * too: a restart code from it is a position (mem_llseek fails only
	 * with EINVAL).
	 */
	if (r < 0 && file_unsigned_offset(f))
		t->ret_is_value = true;
	file_put(f);
	return r;
}
