/* Helpers shared by the file syscall handlers (syscalls/sys_*.c of the fs area). */
#ifndef SYSCALLS_SYS_FS_UTIL_H
#define SYSCALLS_SYS_FS_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include "fs/vfs.h"
#include "sentry/mm.h"
#include "sentry/task.h"
#include "syscalls/table.h"

#define GUEST_PATH_MAX 4096

/* Copy a guest path into buf (GUEST_PATH_MAX bytes); length or -EFAULT/-ENAMETOOLONG. */
static inline long fs_copy_path(struct task *t, uint64_t addr, char *buf)
{
	if (!addr)
		return -EFAULT;
	return mm_copy_string_in(t->mm, gaddr(addr), buf, GUEST_PATH_MAX);
}

static inline uint64_t fs_nofile(struct task *t)
{
	return t->tg->rlimits[RLIMIT_NOFILE].rlim_cur;
}

/*
 * The directory file for an *at() call: NULL for AT_FDCWD or absolute
 * paths (no reference), else the file with a reference (*out), or -EBADF.
 */
static inline int fs_get_dirf(struct task *t, int dirfd, const char *path, struct file **out)
{
	*out = NULL;
	if (path && path[0] == '/')
		return 0;
	if (dirfd == AT_FDCWD)
		return 0;
	struct file *f = fdt_get_file(t->files, dirfd);
	if (!f)
		return -EBADF;
	*out = f;
	return 0;
}

static inline void fs_put_dirf(struct file *f)
{
	if (f)
		file_put(f);
}

#endif
