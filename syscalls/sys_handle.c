/*
 * name_to_handle_at(2) and open_by_handle_at(2): file handles are refused.
 * Our file systems have no export operations, so name_to_handle_at gives
 * EOPNOTSUPP after the path is checked, and no handle the guest can hold
 * names anything here: open_by_handle_at checks what Linux checks (the
 * handle's header, the anchor descriptor, CAP_DAC_READ_SEARCH) and then
 * answers ESTALE, Linux's answer for an unknown handle. A handle never
 * bypasses path permission checks (the "shocker" escape).
 */
#include "syscalls/sys_fs_util.h"

#define MAX_HANDLE_SZ 128
#ifndef AT_HANDLE_FID
#define AT_HANDLE_FID 0x200
#endif
#ifndef AT_HANDLE_MNT_ID_UNIQUE
#define AT_HANDLE_MNT_ID_UNIQUE 0x001
#endif

/* name_to_handle_at(2) */
long sys_name_to_handle_at(struct task *t, const struct syscall_args *a)
{
	int dirfd = (int)a->arg[0];
	int flags = (int)a->arg[4];
	if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH | AT_HANDLE_FID | AT_HANDLE_MNT_ID_UNIQUE))
		return -EINVAL;
	char path[GUEST_PATH_MAX];
	long n = fs_copy_path(t, a->arg[1], path);
	if (n < 0)
		return n;
	struct file *dirf;
	int rc = fs_get_dirf(t, dirfd, path, &dirf);
	if (rc)
		return rc;
	struct stat st;
	int at = (flags & AT_SYMLINK_FOLLOW) ? 0 : AT_SYMLINK_NOFOLLOW;
	rc = vfs_statat(t->fs, &t->cred, dirf, path, at | (flags & AT_EMPTY_PATH), &st);
	fs_put_dirf(dirf);
	return rc ? rc : -EOPNOTSUPP;
}

/* open_by_handle_at(2): Linux 6.x checks the handle, then the anchor, then the caller. */
long sys_open_by_handle_at(struct task *t, const struct syscall_args *a)
{
	int mountfd = (int)a->arg[0];
	struct { uint32_t handle_bytes; int32_t handle_type; } fh;
	if (mm_copy_in(t->mm, &fh, gaddr(a->arg[1]), sizeof(fh)))
		return -EFAULT;
	if (fh.handle_bytes == 0 || fh.handle_bytes > MAX_HANDLE_SZ || fh.handle_type < 0)
		return -EINVAL;
	if (mountfd != AT_FDCWD) {
		struct file *f = fdt_get_file(t->files, mountfd);
		if (!f)
			return -EBADF;
		file_put(f);
	}
	if (!cred_capable(&t->cred, CAP_DAC_READ_SEARCH))
		return -EPERM;
	return -ESTALE;
}
