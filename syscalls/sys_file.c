/*
 * Attributes: chmod, fchmod, fchmodat, chown, fchown, lchown, fchownat,
 * utimensat, utime, utimes, futimesat, truncate, ftruncate.
 */
#include <string.h>
#include <sys/time.h>
#include <utime.h>
#include "syscalls/sys_fs_util.h"

static long setattr_at(struct task *t, int dirfd, uint64_t upath, int flags,
		       const struct vfs_setattr *sa)
{
	char path[GUEST_PATH_MAX];
	long n = fs_copy_path(t, upath, path);
	if (n < 0)
		return n;
	struct file *dirf;
	int rc = fs_get_dirf(t, dirfd, path, &dirf);
	if (rc)
		return rc;
	rc = vfs_setattrat(t->fs, &t->cred, dirf, path, flags, sa);
	fs_put_dirf(dirf);
	return rc;
}

static long setattr_fd(struct task *t, int fd, const struct vfs_setattr *sa)
{
	struct file *f = fdt_get_file(t->files, fd);
	if (!f)
		return -EBADF;
	long rc = vfs_fsetattr(f, &t->cred, sa);
	file_put(f);
	return rc;
}

/* ---- chmod ---- */

long sys_chmod(struct task *t, const struct syscall_args *a)
{
	struct vfs_setattr sa = { .set_mode = true, .mode = (uint32_t)a->arg[1] & 07777 };
	return setattr_at(t, AT_FDCWD, a->arg[0], 0, &sa);
}

long sys_fchmod(struct task *t, const struct syscall_args *a)
{
	struct vfs_setattr sa = { .set_mode = true, .mode = (uint32_t)a->arg[1] & 07777 };
	return setattr_fd(t, (int)a->arg[0], &sa);
}

/* fchmodat(2): the raw syscall has no flags argument. */
/* fchmodat2(2) (Linux 6.6): fchmodat with flags; a symlink's mode is EOPNOTSUPP. */
long sys_fchmodat2(struct task *t, const struct syscall_args *a)
{
	int flags = (int)a->arg[3];
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	struct vfs_setattr sa = { .set_mode = true, .mode = (uint32_t)a->arg[2] & 07777 };
	return setattr_at(t, (int)a->arg[0], a->arg[1], flags, &sa);
}

/* fchmodat(2): fchmodat2 without flags (its fourth argument does not exist). */
long sys_fchmodat(struct task *t, const struct syscall_args *a)
{
	struct syscall_args b = *a;
	b.arg[3] = 0;
	return sys_fchmodat2(t, &b);
}

/* ---- chown ---- */

static void chown_attr(struct vfs_setattr *sa, uint64_t uid, uint64_t gid)
{
	memset(sa, 0, sizeof(*sa));
	if ((uint32_t)uid != (uint32_t)-1) {
		sa->set_uid = true;
		sa->uid = (uint32_t)uid;
	}
	if ((uint32_t)gid != (uint32_t)-1) {
		sa->set_gid = true;
		sa->gid = (uint32_t)gid;
	}
}

long sys_chown(struct task *t, const struct syscall_args *a)
{
	struct vfs_setattr sa;
	chown_attr(&sa, a->arg[1], a->arg[2]);
	return setattr_at(t, AT_FDCWD, a->arg[0], 0, &sa);
}

long sys_lchown(struct task *t, const struct syscall_args *a)
{
	struct vfs_setattr sa;
	chown_attr(&sa, a->arg[1], a->arg[2]);
	return setattr_at(t, AT_FDCWD, a->arg[0], AT_SYMLINK_NOFOLLOW, &sa);
}

long sys_fchown(struct task *t, const struct syscall_args *a)
{
	struct vfs_setattr sa;
	chown_attr(&sa, a->arg[1], a->arg[2]);
	return setattr_fd(t, (int)a->arg[0], &sa);
}

long sys_fchownat(struct task *t, const struct syscall_args *a)
{
	int flags = (int)a->arg[4];
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	struct vfs_setattr sa;
	chown_attr(&sa, a->arg[2], a->arg[3]);
	return setattr_at(t, (int)a->arg[0], a->arg[1], flags, &sa);
}

/* ---- times ---- */

static bool valid_nsec(long nsec)
{
	return (nsec >= 0 && nsec < 1000000000L) || nsec == UTIME_NOW || nsec == UTIME_OMIT;
}

/* utimensat(2); a NULL path operates on dirfd itself (futimens). */
long sys_utimensat(struct task *t, const struct syscall_args *a)
{
	int dirfd = (int)a->arg[0];
	uint64_t upath = a->arg[1];
	uint64_t utimes = a->arg[2];
	int flags = (int)a->arg[3];
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	struct vfs_setattr sa = { .set_times = true };
	if (utimes) {
		int rc = mm_copy_in(t->mm, sa.times, gaddr(utimes), sizeof(sa.times));
		if (rc)
			return rc;
		if (!valid_nsec(sa.times[0].tv_nsec) || !valid_nsec(sa.times[1].tv_nsec))
			return -EINVAL;
		if (sa.times[0].tv_nsec == UTIME_OMIT && sa.times[1].tv_nsec == UTIME_OMIT)
			return 0;
	} else {
		sa.times[0].tv_nsec = sa.times[1].tv_nsec = UTIME_NOW;
	}
	if (!upath) {
		if (dirfd == AT_FDCWD)
			return -EFAULT;
		return setattr_fd(t, dirfd, &sa);
	}
	return setattr_at(t, dirfd, upath, flags, &sa);
}

static long timevals_at(struct task *t, int dirfd, uint64_t upath, uint64_t utv)
{
	struct vfs_setattr sa = { .set_times = true };
	if (utv) {
		struct timeval tv[2];
		int rc = mm_copy_in(t->mm, tv, gaddr(utv), sizeof(tv));
		if (rc)
			return rc;
		for (int i = 0; i < 2; i++) {
			if (tv[i].tv_usec < 0 || tv[i].tv_usec >= 1000000)
				return -EINVAL;
			sa.times[i].tv_sec = tv[i].tv_sec;
			sa.times[i].tv_nsec = tv[i].tv_usec * 1000;
		}
	} else {
		sa.times[0].tv_nsec = sa.times[1].tv_nsec = UTIME_NOW;
	}
	return setattr_at(t, dirfd, upath, 0, &sa);
}

long sys_utimes(struct task *t, const struct syscall_args *a)
{
	return timevals_at(t, AT_FDCWD, a->arg[0], a->arg[1]);
}

long sys_futimesat(struct task *t, const struct syscall_args *a)
{
	return timevals_at(t, (int)a->arg[0], a->arg[1], a->arg[2]);
}

/* utime(2): struct utimbuf { time_t actime, modtime; } */
long sys_utime(struct task *t, const struct syscall_args *a)
{
	struct vfs_setattr sa = { .set_times = true };
	if (a->arg[1]) {
		struct utimbuf ub;
		int rc = mm_copy_in(t->mm, &ub, gaddr(a->arg[1]), sizeof(ub));
		if (rc)
			return rc;
		sa.times[0].tv_sec = ub.actime;
		sa.times[1].tv_sec = ub.modtime;
	} else {
		sa.times[0].tv_nsec = sa.times[1].tv_nsec = UTIME_NOW;
	}
	return setattr_at(t, AT_FDCWD, a->arg[0], 0, &sa);
}

/* ---- truncate ---- */

long sys_truncate(struct task *t, const struct syscall_args *a)
{
	int64_t len = (int64_t)a->arg[1];
	if (len < 0)
		return -EINVAL;
	struct vfs_setattr sa = { .set_size = true, .size = (uint64_t)len };
	return setattr_at(t, AT_FDCWD, a->arg[0], 0, &sa);
}

long sys_ftruncate(struct task *t, const struct syscall_args *a)
{
	int64_t len = (int64_t)a->arg[1];
	if (len < 0)
		return -EINVAL;
	struct vfs_setattr sa = { .set_size = true, .size = (uint64_t)len };
	return setattr_fd(t, (int)a->arg[0], &sa);
}
