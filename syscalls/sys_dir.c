/*
 * Directories and names: getdents, getdents64, getcwd, chdir, fchdir,
 * chroot, mkdir, mkdirat, mknod, mknodat, rmdir, unlink, unlinkat, rename,
 * renameat, renameat2, symlink, symlinkat, link, linkat.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include "syscalls/sys_fs_util.h"

/* ---- getdents ---- */

struct dents_buf {
	char *buf;
	size_t cap, len;
	bool old_format;               /* getdents(2)'s struct linux_dirent */
};

static int dents_emit(void *ctx, const char *name, uint64_t ino, int64_t next_off, unsigned dtype)
{
	struct dents_buf *b = ctx;
	size_t nlen = strlen(name);
	if (b->old_format) {
		/* struct linux_dirent { ulong ino; ulong off; ushort reclen; char name[]; pad; type } */
		size_t reclen = (18 + nlen + 2 + 7) & ~7UL;
		if (b->len + reclen > b->cap)
			return 1;
		char *p = b->buf + b->len;
		memset(p, 0, reclen);
		memcpy(p, &ino, 8);
		memcpy(p + 8, &next_off, 8);
		uint16_t r = (uint16_t)reclen;
		memcpy(p + 16, &r, 2);
		memcpy(p + 18, name, nlen);
		p[reclen - 1] = (char)dtype;
		b->len += reclen;
		return 0;
	}
	/* struct linux_dirent64 { u64 ino; s64 off; u16 reclen; u8 type; char name[]; } */
	size_t reclen = (19 + nlen + 1 + 7) & ~7UL;
	if (b->len + reclen > b->cap)
		return 1;
	char *p = b->buf + b->len;
	memset(p, 0, reclen);
	memcpy(p, &ino, 8);
	memcpy(p + 8, &next_off, 8);
	uint16_t r = (uint16_t)reclen;
	memcpy(p + 16, &r, 2);
	p[18] = (char)dtype;
	memcpy(p + 19, name, nlen);
	b->len += reclen;
	return 0;
}

static long do_getdents(struct task *t, int fd, uint64_t ubuf, unsigned count, bool old)
{
	struct file *f = fdt_get_file(t->files, fd);
	if (!f)
		return -EBADF;
	struct dents_buf b = { NULL, MIN(count, 1U << 20), 0, old };
	long rc;
	if (!file_is_dir(f)) {
		rc = (file_flags(f) & O_PATH) ? -EBADF : -ENOTDIR;
		goto out;
	}
	b.buf = malloc(b.cap ? b.cap : 1);
	if (!b.buf) {
		rc = -ENOMEM;
		goto out;
	}
	rc = vfs_readdir(f, dents_emit, &b);
	if (rc < 0)
		goto out;
	/* rc 1: an entry is pending; if none fit the buffer is too small. */
	if (b.len == 0) {
		rc = rc == 1 ? -EINVAL : 0;
		goto out;
	}
	rc = mm_copy_out(t->mm, gaddr(ubuf), b.buf, b.len) ? -EFAULT : (long)b.len;
out:
	free(b.buf);
	file_put(f);
	return rc;
}

/* getdents64(2) */
long sys_getdents64(struct task *t, const struct syscall_args *a)
{
	return do_getdents(t, (int)a->arg[0], a->arg[1], (unsigned)a->arg[2], false);
}

/* getdents(2) */
long sys_getdents(struct task *t, const struct syscall_args *a)
{
	return do_getdents(t, (int)a->arg[0], a->arg[1], (unsigned)a->arg[2], true);
}

/* ---- cwd ---- */

/* getcwd(2): returns the length including the NUL, like the raw syscall. */
long sys_getcwd(struct task *t, const struct syscall_args *a)
{
	uint64_t ubuf = a->arg[0];
	size_t size = a->arg[1];
	char buf[GUEST_PATH_MAX];
	long n = vfs_getcwd(t->fs, buf, sizeof(buf));
	if (n < 0)
		return n;
	if ((size_t)n + 1 > size)
		return -ERANGE;
	int rc = mm_copy_out(t->mm, gaddr(ubuf), buf, n + 1);
	return rc ? rc : n + 1;
}

/* chdir(2) */
long sys_chdir(struct task *t, const struct syscall_args *a)
{
	char path[GUEST_PATH_MAX];
	long n = fs_copy_path(t, a->arg[0], path);
	if (n < 0)
		return n;
	return fsctx_chdir(t->fs, &t->cred, path);
}

/* fchdir(2) */
long sys_fchdir(struct task *t, const struct syscall_args *a)
{
	struct file *f = fdt_get_file(t->files, (int)a->arg[0]);
	if (!f)
		return -EBADF;
	int rc = vfs_fchdir(t->fs, &t->cred, f);
	file_put(f);
	return rc;
}

/* chroot(2): needs CAP_SYS_CHROOT. */
long sys_chroot(struct task *t, const struct syscall_args *a)
{
	char path[GUEST_PATH_MAX];
	long n = fs_copy_path(t, a->arg[0], path);
	if (n < 0)
		return n;
	return vfs_chroot(t->fs, &t->cred, path);
}

/* ---- create / remove ---- */

static long do_mkdirat(struct task *t, int dirfd, uint64_t upath, int mode)
{
	char path[GUEST_PATH_MAX];
	long n = fs_copy_path(t, upath, path);
	if (n < 0)
		return n;
	struct file *dirf;
	int rc = fs_get_dirf(t, dirfd, path, &dirf);
	if (rc)
		return rc;
	rc = vfs_mkdirat(t->fs, &t->cred, dirf, path, mode);
	fs_put_dirf(dirf);
	return rc;
}

long sys_mkdir(struct task *t, const struct syscall_args *a)
{
	return do_mkdirat(t, AT_FDCWD, a->arg[0], (int)a->arg[1]);
}

long sys_mkdirat(struct task *t, const struct syscall_args *a)
{
	return do_mkdirat(t, (int)a->arg[0], a->arg[1], (int)a->arg[2]);
}

/* mknod(2): regular files, FIFOs, socket nodes, devices (CAP_MKNOD; 0:0 whiteouts for anyone). */
static long do_mknodat(struct task *t, int dirfd, uint64_t upath, int mode, uint64_t dev)
{
	char path[GUEST_PATH_MAX];
	long n = fs_copy_path(t, upath, path);
	if (n < 0)
		return n;
	struct file *dirf;
	int rc = fs_get_dirf(t, dirfd, path, &dirf);
	if (rc)
		return rc;
	rc = vfs_mknodat(t->fs, &t->cred, dirf, path, mode, dev);
	fs_put_dirf(dirf);
	return rc;
}

long sys_mknod(struct task *t, const struct syscall_args *a)
{
	return do_mknodat(t, AT_FDCWD, a->arg[0], (int)a->arg[1], (unsigned)a->arg[2]);
}

long sys_mknodat(struct task *t, const struct syscall_args *a)
{
	return do_mknodat(t, (int)a->arg[0], a->arg[1], (int)a->arg[2], (unsigned)a->arg[3]);
}

static long do_unlinkat(struct task *t, int dirfd, uint64_t upath, int flags)
{
	if (flags & ~AT_REMOVEDIR)
		return -EINVAL;
	char path[GUEST_PATH_MAX];
	long n = fs_copy_path(t, upath, path);
	if (n < 0)
		return n;
	struct file *dirf;
	int rc = fs_get_dirf(t, dirfd, path, &dirf);
	if (rc)
		return rc;
	rc = vfs_unlinkat(t->fs, &t->cred, dirf, path, flags);
	fs_put_dirf(dirf);
	return rc;
}

long sys_rmdir(struct task *t, const struct syscall_args *a)
{
	return do_unlinkat(t, AT_FDCWD, a->arg[0], AT_REMOVEDIR);
}

long sys_unlink(struct task *t, const struct syscall_args *a)
{
	return do_unlinkat(t, AT_FDCWD, a->arg[0], 0);
}

long sys_unlinkat(struct task *t, const struct syscall_args *a)
{
	return do_unlinkat(t, (int)a->arg[0], a->arg[1], (int)a->arg[2]);
}

/* The two paths of rename and link: copied in, then their *at() directory files. */
struct two_paths {
	char oldp[GUEST_PATH_MAX], newp[GUEST_PATH_MAX];
	struct file *od, *nd;
};

static long two_paths_copy(struct task *t, uint64_t uold, uint64_t unew, struct two_paths *p)
{
	long n = fs_copy_path(t, uold, p->oldp);
	if (n >= 0)
		n = fs_copy_path(t, unew, p->newp);
	return n < 0 ? n : 0;
}

static long two_paths_dirs(struct task *t, int odirfd, int ndirfd, struct two_paths *p)
{
	int rc = fs_get_dirf(t, odirfd, p->oldp, &p->od);
	if (rc)
		return rc;
	rc = fs_get_dirf(t, ndirfd, p->newp, &p->nd);
	if (rc)
		fs_put_dirf(p->od);
	return rc;
}

static void two_paths_put(struct two_paths *p)
{
	fs_put_dirf(p->od);
	fs_put_dirf(p->nd);
}

static long do_renameat2(struct task *t, int odirfd, uint64_t uold, int ndirfd, uint64_t unew,
			 unsigned flags)
{
	struct two_paths p;
	long rc = two_paths_copy(t, uold, unew, &p);
	if (rc)
		return rc;
	if ((flags & RENAME_EXCHANGE) && (flags & RENAME_NOREPLACE))
		return -EINVAL;
	if ((rc = two_paths_dirs(t, odirfd, ndirfd, &p)))
		return rc;
	rc = vfs_renameat(t->fs, &t->cred, p.od, p.oldp, p.nd, p.newp, flags);
	two_paths_put(&p);
	return rc;
}

long sys_rename(struct task *t, const struct syscall_args *a)
{
	return do_renameat2(t, AT_FDCWD, a->arg[0], AT_FDCWD, a->arg[1], 0);
}

long sys_renameat(struct task *t, const struct syscall_args *a)
{
	return do_renameat2(t, (int)a->arg[0], a->arg[1], (int)a->arg[2], a->arg[3], 0);
}

/* renameat2(2): RENAME_NOREPLACE, RENAME_EXCHANGE, RENAME_WHITEOUT. */
long sys_renameat2(struct task *t, const struct syscall_args *a)
{
	return do_renameat2(t, (int)a->arg[0], a->arg[1], (int)a->arg[2], a->arg[3],
			    (unsigned)a->arg[4]);
}

static long do_symlinkat(struct task *t, uint64_t utarget, int dirfd, uint64_t upath)
{
	char target[GUEST_PATH_MAX], path[GUEST_PATH_MAX];
	long n = fs_copy_path(t, utarget, target);
	if (n < 0)
		return n;
	n = fs_copy_path(t, upath, path);
	if (n < 0)
		return n;
	struct file *dirf;
	int rc = fs_get_dirf(t, dirfd, path, &dirf);
	if (rc)
		return rc;
	rc = vfs_symlinkat(t->fs, &t->cred, target, dirf, path);
	fs_put_dirf(dirf);
	return rc;
}

long sys_symlink(struct task *t, const struct syscall_args *a)
{
	return do_symlinkat(t, a->arg[0], AT_FDCWD, a->arg[1]);
}

long sys_symlinkat(struct task *t, const struct syscall_args *a)
{
	return do_symlinkat(t, a->arg[0], (int)a->arg[1], a->arg[2]);
}

static long do_linkat(struct task *t, int odirfd, uint64_t uold, int ndirfd, uint64_t unew,
		      int flags)
{
	if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	struct two_paths p;
	long rc = two_paths_copy(t, uold, unew, &p);
	if (rc || (rc = two_paths_dirs(t, odirfd, ndirfd, &p)))
		return rc;
	rc = vfs_linkat(t->fs, &t->cred, p.od, p.oldp, p.nd, p.newp, flags);
	two_paths_put(&p);
	return rc;
}

long sys_link(struct task *t, const struct syscall_args *a)
{
	return do_linkat(t, AT_FDCWD, a->arg[0], AT_FDCWD, a->arg[1], 0);
}

long sys_linkat(struct task *t, const struct syscall_args *a)
{
	return do_linkat(t, (int)a->arg[0], a->arg[1], (int)a->arg[2], a->arg[3], (int)a->arg[4]);
}
