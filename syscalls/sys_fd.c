/*
 * Descriptor-level calls: open, openat, openat2, creat, close, close_range, dup,
 * dup2, dup3, fcntl, flock, fadvise64, umask, fsync, fdatasync, sync,
 * syncfs.
 */
#include <limits.h>
#include <sys/file.h>
#include <linux/close_range.h>
#include <linux/fadvise.h>
#include <linux/openat2.h>
#include "syscalls/sys_fs_util.h"
#include "sentry/process.h"
#include "fs/dnotify.h"
#include "sentry/fasync.h"

/* struct open_how's first size (flags, mode, resolve). */
#define OPEN_HOW_SIZE_VER0 24

/* The kernel's O_LARGEFILE (glibc defines O_LARGEFILE as 0 on x86-64). */
#define KERNEL_O_LARGEFILE 0100000

/*
 * Open upath from dirfd under openat2's resolve flags (0 for the older
 * calls) and install the file. A scoped lookup (RESOLVE_BENEATH,
 * RESOLVE_IN_ROOT) starts at dirfd even for an absolute path.
 */
static long do_openat2(struct task *t, int dirfd, uint64_t upath, int flags, int mode,
		       int resolve)
{
	char path[GUEST_PATH_MAX];
	long n = fs_copy_path(t, upath, path);
	if (n < 0)
		return n;
	bool scoped = resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT);
	struct file *dirf;
	int rc = fs_get_dirf(t, dirfd, scoped ? NULL : path, &dirf);
	if (rc)
		return rc;
	struct file *f;
	rc = vfs_openat2(t->fs, &t->cred, dirf, path, flags, mode, resolve, &f);
	fs_put_dirf(dirf);
	if (rc)
		return rc;
	int fd = fdt_install(t->files, f, (flags & O_CLOEXEC) ? FDT_CLOEXEC : 0, 0, fs_nofile(t));
	file_put(f);
	return fd;
}

static long do_openat(struct task *t, int dirfd, uint64_t upath, int flags, int mode)
{
	/* Linux forces O_LARGEFILE on 64-bit; F_GETFL shows it. */
	return do_openat2(t, dirfd, upath, flags | KERNEL_O_LARGEFILE, mode, 0);
}

/* open(2) */
long sys_open(struct task *t, const struct syscall_args *a)
{
	return do_openat(t, AT_FDCWD, a->arg[0], (int)a->arg[1], (int)a->arg[2]);
}

/* openat(2) */
long sys_openat(struct task *t, const struct syscall_args *a)
{
	return do_openat(t, (int)a->arg[0], a->arg[1], (int)a->arg[2], (int)a->arg[3]);
}

/*
 * openat2(2): the flags, mode and resolve of a struct open_how, checked in
 * full (openat ignores unknown flags; openat2 refuses them), in Linux's
 * order: the struct (size, trailing bytes), the flags, then the path.
 */
long sys_openat2(struct task *t, const struct syscall_args *a)
{
	int dirfd = (int)a->arg[0];
	uint64_t upath = a->arg[1], uhow = a->arg[2], usize = a->arg[3];
	if (usize < OPEN_HOW_SIZE_VER0)
		return -EINVAL;
	if (usize > PAGE_SIZE)
		return -E2BIG;
	struct open_how how;
	if (mm_copy_in(t->mm, &how, gaddr(uhow), sizeof(how)))
		return -EFAULT;
	/* Bytes past the struct this kernel knows must be zero (copy_struct_from_user). */
	for (uint64_t off = sizeof(how); off < usize; off += 64) {
		uint8_t tail[64];
		uint64_t n = MIN(sizeof(tail), usize - off);
		if (mm_copy_in(t->mm, tail, gaddr(uhow + off), n))
			return -EFAULT;
		for (uint64_t i = 0; i < n; i++)
			if (tail[i])
				return -E2BIG;
	}
	const uint64_t valid = O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND |
			       O_NONBLOCK | O_DSYNC | O_SYNC | FASYNC | O_DIRECT | KERNEL_O_LARGEFILE |
			       O_DIRECTORY | O_NOFOLLOW | O_NOATIME | O_CLOEXEC | O_PATH | O_TMPFILE;
	if ((how.flags & ~valid) || (how.resolve & ~(uint64_t)(RESOLVE_NO_XDEV |
	    RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH | RESOLVE_IN_ROOT |
	    RESOLVE_CACHED)))
		return -EINVAL;
	if ((how.resolve & RESOLVE_BENEATH) && (how.resolve & RESOLVE_IN_ROOT))
		return -EINVAL;
	int flags = (int)how.flags;
	bool creates = (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
	if (creates ? (how.mode & ~(uint64_t)07777) : how.mode != 0)
		return -EINVAL;
	if ((flags & O_PATH) && (flags & ~(O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)))
		return -EINVAL;
	/* No lookup here ever blocks; only creating or truncating cannot be cached. */
	if ((how.resolve & RESOLVE_CACHED) && (flags & (O_TRUNC | O_CREAT | O_TMPFILE)))
		return -EAGAIN;
	if (!(flags & O_PATH))
		flags |= KERNEL_O_LARGEFILE;
	return do_openat2(t, dirfd, upath, flags, (int)how.mode, (int)how.resolve);
}

/* creat(2) */
long sys_creat(struct task *t, const struct syscall_args *a)
{
	return do_openat(t, AT_FDCWD, a->arg[0], O_CREAT | O_WRONLY | O_TRUNC, (int)a->arg[1]);
}

/* close(2) */
long sys_close(struct task *t, const struct syscall_args *a)
{
	return fdt_close(t->files, (int)a->arg[0]);
}

/*
 * close_range(2). CLOSE_RANGE_UNSHARE is accepted but the table stays
 * shared with CLONE_FILES siblings (it would need the task layer).
 */
long sys_close_range(struct task *t, const struct syscall_args *a)
{
	unsigned first = (unsigned)a->arg[0];
	unsigned last = (unsigned)a->arg[1];
	unsigned flags = (unsigned)a->arg[2];
	if (flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC))
		return -EINVAL;
	if (first > last)
		return -EINVAL;
	return fdt_close_range(t->files, first, last, flags & CLOSE_RANGE_CLOEXEC);
}

/* dup(2) */
long sys_dup(struct task *t, const struct syscall_args *a)
{
	struct file *f = fdt_get_file(t->files, (int)a->arg[0]);
	if (!f)
		return -EBADF;
	int fd = fdt_install(t->files, f, 0, 0, fs_nofile(t));
	file_put(f);
	return fd;
}

static long do_dup3(struct task *t, int oldfd, int newfd, int flags)
{
	if (flags & ~O_CLOEXEC)
		return -EINVAL;
	if (oldfd == newfd)
		return -EINVAL;
	struct file *f = fdt_get_file(t->files, oldfd);
	if (!f)
		return -EBADF;
	if (newfd < 0 || (uint64_t)newfd >= fs_nofile(t)) {
		file_put(f);
		return -EBADF;
	}
	int rc = fdt_install_at(t->files, newfd, f, (flags & O_CLOEXEC) ? FDT_CLOEXEC : 0,
				fs_nofile(t));
	file_put(f);
	return rc;
}

/* dup2(2): same fd returns it if valid. */
long sys_dup2(struct task *t, const struct syscall_args *a)
{
	int oldfd = (int)a->arg[0];
	int newfd = (int)a->arg[1];
	if (oldfd == newfd) {
		struct file *f = fdt_get_file(t->files, oldfd);
		if (!f)
			return -EBADF;
		file_put(f);
		return newfd;
	}
	return do_dup3(t, oldfd, newfd, 0);
}

/* dup3(2) */
long sys_dup3(struct task *t, const struct syscall_args *a)
{
	return do_dup3(t, (int)a->arg[0], (int)a->arg[1], (int)a->arg[2]);
}

/* fcntl's record-lock commands: struct flock in, and out for F_GETLK. */
static long do_record_lock(struct task *t, struct file *f, int cmd, uint64_t arg)
{
	struct flock fl;
	int rc = mm_copy_in(t->mm, &fl, gaddr(arg), sizeof(fl));
	if (rc)
		return rc;
	long r = vfs_record_lock(f, t->files, t->tg->tgid, cmd, &fl);
	if (r == 0 && (cmd == F_GETLK || cmd == F_OFD_GETLK))
		r = mm_copy_out(t->mm, gaddr(arg), &fl, sizeof(fl));
	return r;
}

/* Does pid (a thread or process id; a process group id if group) exist? */
static bool owner_exists(int id, bool group)
{
	if (group)
		return process_signal_pgrp(id, 0) == 0;
	if (process_signal_tgid(id, 0) == 0)
		return true;
	struct task *th = task_lookup(id);
	if (th)
		task_put(th);
	return th != NULL;
}

/*
 * F_SETOWN(_EX), F_GETOWN(_EX), F_SETSIG, F_GETSIG: who gets the file's
 * signals (O_ASYNC, dnotify) and which (Linux's f_setown, f_setown_ex...).
 */
static long do_owner(struct task *t, struct file *f, int cmd, uint64_t arg)
{
	struct fown *o = file_fown(f);
	struct f_owner_ex ex;
	int type, who;
	switch (cmd) {
	case F_GETOWN:
		return fown_get(o, NULL);
	case F_GETSIG:
		return fown_get_sig(o);
	case F_SETSIG:
		if (arg > 64)
			return -EINVAL;
		fown_set_sig(o, (int)arg);
		return 0;
	case F_GETOWN_EX: {
		int id = fown_get(o, &type);
		ex.type = type;
		ex.pid = id < 0 ? -id : id;
		return mm_copy_out(t->mm, gaddr(arg), &ex, sizeof(ex));
	}
	case F_SETOWN_EX:
		if (mm_copy_in(t->mm, &ex, gaddr(arg), sizeof(ex)))
			return -EFAULT;
		if (ex.type != F_OWNER_TID && ex.type != F_OWNER_PID && ex.type != F_OWNER_PGRP)
			return -EINVAL;
		if (ex.pid < 0)
			return -ESRCH;     /* find_vpid finds no negative pid */
		type = ex.type;
		who = ex.pid;
		break;
	default:
		/* F_SETOWN: a process (> 0) or process group (< 0), or 0 for none. */
		who = (int)arg;
		if (who == INT_MIN)
			return -EINVAL;
		type = who < 0 ? F_OWNER_PGRP : F_OWNER_PID;
		who = who < 0 ? -who : who;
		break;
	}
	if (who && !owner_exists(who, type == F_OWNER_PGRP))
		return -ESRCH;
	fown_set(o, type, who, &t->cred, true);
	return 0;
}

/* Linux's check_fcntl_cmd: what an O_PATH descriptor allows. */
static bool fcntl_path_ok(int cmd)
{
	return cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC || cmd == F_GETFD || cmd == F_SETFD ||
	       cmd == F_GETFL;
}

/* fcntl(2) */
long sys_fcntl(struct task *t, const struct syscall_args *a)
{
	int fd = (int)a->arg[0];
	int cmd = (int)a->arg[1];
	uint64_t arg = a->arg[2];
	struct file *f = fdt_get_file(t->files, fd);
	if (!f)
		return -EBADF;
	if ((file_flags(f) & O_PATH) && !fcntl_path_ok(cmd)) {
		file_put(f);
		return -EBADF;
	}
	long rc;
	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		if ((int)arg < 0 || (uint64_t)(int)arg >= fs_nofile(t))
			rc = -EINVAL;
		else
			rc = fdt_install(t->files, f, cmd == F_DUPFD_CLOEXEC ? FDT_CLOEXEC : 0,
					 (int)arg, fs_nofile(t));
		break;
	case F_GETFD:
		rc = fdt_get_flags(t->files, fd);
		break;
	case F_SETFD:
		rc = fdt_set_flags(t->files, fd, (arg & FD_CLOEXEC) ? FDT_CLOEXEC : 0);
		break;
	case F_GETFL:
		rc = file_flags(f);
		break;
	case F_SETFL:
		rc = vfs_set_status_flags(f, &t->cred, fd, (int)arg);
		break;
	case F_GETLK: case F_SETLK: case F_SETLKW:
	case F_OFD_GETLK: case F_OFD_SETLK: case F_OFD_SETLKW:
		rc = do_record_lock(t, f, cmd, arg);
		break;
	case F_SETOWN:
	case F_SETOWN_EX:
	case F_GETOWN:
	case F_GETOWN_EX:
	case F_SETSIG:
	case F_GETSIG:
		rc = do_owner(t, f, cmd, arg);
		break;
	case F_NOTIFY:
		rc = vfs_dnotify(f, &t->cred, fd, t->tg->tgid, arg);
		break;
	case F_GETLEASE:
		/* No leases are ever granted. */
		rc = F_UNLCK;
		break;
	case F_SETLEASE:
		/* Like a file system without lease support (simple_nosetlease). */
		rc = -EINVAL;
		break;
	case F_ADD_SEALS:
	case F_GET_SEALS:
		rc = vfs_memfd_seals(f, cmd, (unsigned)arg);
		break;
	case F_GETPIPE_SZ:
	case F_SETPIPE_SZ:
		rc = vfs_pipe_fcntl(f, cmd, arg);
		break;
	default:
		rc = -EINVAL;
	}
	file_put(f);
	return rc;
}

/* flock(2): advisory whole-file locks per open file description. */
long sys_flock(struct task *t, const struct syscall_args *a)
{
	struct file *f = fdt_get_file(t->files, (int)a->arg[0]);
	if (!f)
		return -EBADF;
	long rc = vfs_flock(f, (int)a->arg[1]);
	file_put(f);
	return rc;
}

/* fadvise64(2): validated, then ignored (advice only). */
long sys_fadvise64(struct task *t, const struct syscall_args *a)
{
	int fd = (int)a->arg[0];
	int64_t len = (int64_t)a->arg[2];
	int advice = (int)a->arg[3];
	struct file *f = fdt_get_file(t->files, fd);
	if (!f)
		return -EBADF;
	long rc = 0;
	struct stat st;
	if (advice < POSIX_FADV_NORMAL || advice > POSIX_FADV_NOREUSE || len < 0)
		rc = -EINVAL;
	else if (vfs_fstat(f, &st) == 0 && S_ISFIFO(st.st_mode))
		rc = -ESPIPE;
	file_put(f);
	return rc;
}

/*
 * readahead(2): the sentry's files are memory or the host's page cache, so
 * there is nothing to start; Linux's checks: a descriptor open for reading
 * (EBADF), of a regular file (EINVAL).
 */
long sys_readahead(struct task *t, const struct syscall_args *a)
{
	struct file *f = fdt_get_file(t->files, (int)a->arg[0]);
	if (!f)
		return -EBADF;
	long rc = 0;
	struct stat st;
	int fl = file_flags(f);
	if ((fl & O_PATH) || (fl & O_ACCMODE) == O_WRONLY)
		rc = -EBADF;
	else if (vfs_fstat(f, &st) != 0 || !S_ISREG(st.st_mode))
		rc = -EINVAL;
	file_put(f);
	return rc;
}

/* umask(2) */
long sys_umask(struct task *t, const struct syscall_args *a)
{
	return fsctx_umask(t->fs, (int)(a->arg[0] & 0777));
}

static long fd_sync(struct task *t, int fd)
{
	struct file *f = fdt_get_file(t->files, fd);
	if (!f)
		return -EBADF;
	long rc = vfs_fsync(f);
	file_put(f);
	return rc;
}

/* fsync(2), fdatasync(2): nothing is persistent; validate the fd. */
long sys_fsync(struct task *t, const struct syscall_args *a)
{
	return fd_sync(t, (int)a->arg[0]);
}

long sys_fdatasync(struct task *t, const struct syscall_args *a)
{
	return fd_sync(t, (int)a->arg[0]);
}

/* sync(2) */
long sys_sync(struct task *t, const struct syscall_args *a)
{
	return 0;
}

/* syncfs(2) */
long sys_syncfs(struct task *t, const struct syscall_args *a)
{
	struct file *f = fdt_get_file(t->files, (int)a->arg[0]);
	if (!f)
		return -EBADF;
	/* fdget: an O_PATH descriptor is not enough. */
	long rc = (file_flags(f) & O_PATH) ? -EBADF : 0;
	file_put(f);
	return rc;
}
