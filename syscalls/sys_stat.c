/*
 * Queries: fstat, stat, lstat, newfstatat, statx, statfs, fstatfs,
 * readlink, readlinkat, access, faccessat, faccessat2 (the xattr family is
 * in sys_xattr.c).
 */
#include <string.h>
#include <sys/sysmacros.h>
#include "syscalls/sys_fs_util.h"

#ifndef AT_STATX_SYNC_TYPE
#define AT_STATX_SYNC_TYPE 0x6000
#endif

/* fstat(2) */
long sys_fstat(struct task *t, const struct syscall_args *a)
{
	struct file *f = fdt_get_file(t->files, (int)a->arg[0]);
	if (!f)
		return -EBADF;
	struct stat st;
	int rc = vfs_fstat(f, &st);
	file_put(f);
	if (rc)
		return rc;
	return mm_copy_out(t->mm, gaddr(a->arg[1]), &st, sizeof(st));
}

static long do_fstatat(struct task *t, int dirfd, uint64_t upath, uint64_t ubuf, int flags)
{
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT))
		return -EINVAL;
	char path[GUEST_PATH_MAX];
	long n = fs_copy_path(t, upath, path);
	if (n < 0)
		return n;
	struct file *dirf;
	int rc = fs_get_dirf(t, dirfd, path, &dirf);
	if (rc)
		return rc;
	struct stat st;
	rc = vfs_statat(t->fs, &t->cred, dirf, path, flags, &st);
	fs_put_dirf(dirf);
	if (rc)
		return rc;
	return mm_copy_out(t->mm, gaddr(ubuf), &st, sizeof(st));
}

/* stat(2) */
long sys_stat(struct task *t, const struct syscall_args *a)
{
	return do_fstatat(t, AT_FDCWD, a->arg[0], a->arg[1], 0);
}

/* lstat(2) */
long sys_lstat(struct task *t, const struct syscall_args *a)
{
	return do_fstatat(t, AT_FDCWD, a->arg[0], a->arg[1], AT_SYMLINK_NOFOLLOW);
}

/* newfstatat(2) */
long sys_newfstatat(struct task *t, const struct syscall_args *a)
{
	return do_fstatat(t, (int)a->arg[0], a->arg[1], a->arg[2], (int)a->arg[3]);
}

/* statx(2): basic stats, birth time and mount id. */
long sys_statx(struct task *t, const struct syscall_args *a)
{
	int dirfd = (int)a->arg[0];
	uint64_t upath = a->arg[1];
	int flags = (int)a->arg[2];
	unsigned mask = (unsigned)a->arg[3];
	uint64_t ubuf = a->arg[4];
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE))
		return -EINVAL;
	if ((flags & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE)
		return -EINVAL;
	if (mask & STATX__RESERVED)
		return -EINVAL;
	char path[GUEST_PATH_MAX];
	long n = fs_copy_path(t, upath, path);
	if (n < 0)
		return n;
	struct file *dirf;
	int rc = fs_get_dirf(t, dirfd, path, &dirf);
	if (rc)
		return rc;
	int vflags = flags & (AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH);
	struct stat st;
	struct statx_timestamp btime = { 0 };
	uint64_t mnt_id = 0;
	rc = vfs_statat(t->fs, &t->cred, dirf, path, vflags, &st);
	if (!rc)
		rc = vfs_statx_extra(t->fs, &t->cred, dirf, path, vflags, &btime, &mnt_id);
	fs_put_dirf(dirf);
	if (rc)
		return rc;
	struct statx sx;
	memset(&sx, 0, sizeof(sx));
	sx.stx_mask = STATX_BASIC_STATS | STATX_MNT_ID | (btime.tv_sec ? STATX_BTIME : 0);
	sx.stx_blksize = st.st_blksize;
	sx.stx_nlink = st.st_nlink;
	sx.stx_uid = st.st_uid;
	sx.stx_gid = st.st_gid;
	sx.stx_mode = st.st_mode;
	sx.stx_ino = st.st_ino;
	sx.stx_size = st.st_size;
	sx.stx_blocks = st.st_blocks;
	sx.stx_atime = (struct statx_timestamp){ st.st_atim.tv_sec, (uint32_t)st.st_atim.tv_nsec };
	sx.stx_mtime = (struct statx_timestamp){ st.st_mtim.tv_sec, (uint32_t)st.st_mtim.tv_nsec };
	sx.stx_ctime = (struct statx_timestamp){ st.st_ctim.tv_sec, (uint32_t)st.st_ctim.tv_nsec };
	sx.stx_btime = btime;
	sx.stx_rdev_major = major(st.st_rdev);
	sx.stx_rdev_minor = minor(st.st_rdev);
	sx.stx_dev_major = major(st.st_dev);
	sx.stx_dev_minor = minor(st.st_dev);
	sx.stx_mnt_id = mnt_id;
	return mm_copy_out(t->mm, gaddr(ubuf), &sx, sizeof(sx));
}

/* statfs(2) */
long sys_statfs(struct task *t, const struct syscall_args *a)
{
	char path[GUEST_PATH_MAX];
	long n = fs_copy_path(t, a->arg[0], path);
	if (n < 0)
		return n;
	struct statfs st;
	int rc = vfs_statfsat(t->fs, &t->cred, path, &st);
	if (rc)
		return rc;
	return mm_copy_out(t->mm, gaddr(a->arg[1]), &st, sizeof(st));
}

/* fstatfs(2) */
long sys_fstatfs(struct task *t, const struct syscall_args *a)
{
	struct file *f = fdt_get_file(t->files, (int)a->arg[0]);
	if (!f)
		return -EBADF;
	struct statfs st;
	int rc = vfs_fstatfs(f, &st);
	file_put(f);
	if (rc)
		return rc;
	return mm_copy_out(t->mm, gaddr(a->arg[1]), &st, sizeof(st));
}

static long do_readlinkat(struct task *t, int dirfd, uint64_t upath, uint64_t ubuf, int bufsiz)
{
	if (bufsiz <= 0)
		return -EINVAL;
	char path[GUEST_PATH_MAX];
	long n = fs_copy_path(t, upath, path);
	if (n < 0)
		return n;
	struct file *dirf;
	int rc = fs_get_dirf(t, dirfd, path, &dirf);
	if (rc)
		return rc;
	char buf[GUEST_PATH_MAX];
	long len = vfs_readlinkat(t->fs, &t->cred, dirf, path, buf, sizeof(buf));
	fs_put_dirf(dirf);
	if (len < 0)
		return len;
	len = MIN(len, bufsiz);
	rc = mm_copy_out(t->mm, gaddr(ubuf), buf, len);
	return rc ? rc : len;
}

/* readlink(2) */
long sys_readlink(struct task *t, const struct syscall_args *a)
{
	return do_readlinkat(t, AT_FDCWD, a->arg[0], a->arg[1], (int)a->arg[2]);
}

/* readlinkat(2) */
long sys_readlinkat(struct task *t, const struct syscall_args *a)
{
	return do_readlinkat(t, (int)a->arg[0], a->arg[1], a->arg[2], (int)a->arg[3]);
}

static long do_faccessat(struct task *t, int dirfd, uint64_t upath, int mode, int flags)
{
	if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	if (mode & ~(R_OK | W_OK | X_OK))
		return -EINVAL;
	char path[GUEST_PATH_MAX];
	long n = fs_copy_path(t, upath, path);
	if (n < 0)
		return n;
	struct file *dirf;
	int rc = fs_get_dirf(t, dirfd, path, &dirf);
	if (rc)
		return rc;
	rc = vfs_accessat(t->fs, &t->cred, dirf, path, mode, flags);
	fs_put_dirf(dirf);
	return rc;
}

/* access(2) */
long sys_access(struct task *t, const struct syscall_args *a)
{
	return do_faccessat(t, AT_FDCWD, a->arg[0], (int)a->arg[1], 0);
}

/* faccessat(2): the raw syscall has no flags argument. */
long sys_faccessat(struct task *t, const struct syscall_args *a)
{
	return do_faccessat(t, (int)a->arg[0], a->arg[1], (int)a->arg[2], 0);
}

/* faccessat2(2) */
long sys_faccessat2(struct task *t, const struct syscall_args *a)
{
	return do_faccessat(t, (int)a->arg[0], a->arg[1], (int)a->arg[2], (int)a->arg[3]);
}
