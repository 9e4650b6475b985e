/* memfd_create(2) (fs/memfd.c). */
#include <linux/memfd.h>
#include "syscalls/sys_fs_util.h"

#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
/* Linux's MFD_NAME_MAX_LEN (NAME_MAX - strlen("memfd:")). */
#define MFD_NAME_MAX_LEN 249

/* memfd_create(2) */
long sys_memfd_create(struct task *t, const struct syscall_args *a)
{
	uint64_t uname = a->arg[0];
	unsigned flags = (unsigned)a->arg[1];
	unsigned known = MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB | MFD_NOEXEC_SEAL | MFD_EXEC;
	/* The huge page size bits are only valid with MFD_HUGETLB. */
	if (!(flags & MFD_HUGETLB) ? (flags & ~known) != 0
				   : (flags & ~(known | ((unsigned)MFD_HUGE_MASK << MFD_HUGE_SHIFT))) != 0)
		return -EINVAL;
	if ((flags & MFD_EXEC) && (flags & MFD_NOEXEC_SEAL))
		return -EINVAL;
	/* No hugetlbfs in the sandbox (as a kernel without huge pages reserved). */
	if (flags & MFD_HUGETLB)
		return -EINVAL;
	char name[MFD_NAME_MAX_LEN + 2];
	long n = mm_copy_string_in(t->mm, gaddr(uname), name, sizeof(name));
	if (n == -ENAMETOOLONG)
		return -EINVAL;
	if (n < 0)
		return n;
	struct file *f;
	int rc = vfs_memfd_create(&t->cred, name, flags, &f);
	if (rc)
		return rc;
	int fd = fdt_install(t->files, f, (flags & MFD_CLOEXEC) ? FDT_CLOEXEC : 0, 0, fs_nofile(t));
	file_put(f);
	return fd;
}
