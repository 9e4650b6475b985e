/* Memory syscalls: mmap, munmap, mprotect, mremap, brk, madvise, msync, mlock and friends, mincore. */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include "fs/vfs.h"
#include "sentry/mm.h"
#include "sentry/task.h"
#include "sentry/usertrap.h"
#include "syscalls/table.h"

static bool file_is_dev_zero(struct file *f)
{
	struct stat st;
	return vfs_fstat(f, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 5);
}

/* Linux's can_do_mlock: a zero RLIMIT_MEMLOCK locks nothing without CAP_IPC_LOCK. */
static bool can_do_mlock(struct task *t)
{
	return __atomic_load_n(&t->tg->rlimits[RLIMIT_MEMLOCK].rlim_cur, __ATOMIC_RELAXED) != 0 ||
	       cred_capable(&t->cred, CAP_IPC_LOCK);
}

#define MAP_TYPE_MASK 0x0f
#define MAP_KNOWN_FLAGS (MAP_TYPE_MASK | MAP_FIXED | MAP_ANONYMOUS | MAP_32BIT | MAP_GROWSDOWN | \
			 MAP_DENYWRITE | MAP_EXECUTABLE | MAP_LOCKED | MAP_NORESERVE |           \
			 MAP_POPULATE | MAP_NONBLOCK | MAP_STACK | MAP_HUGETLB | MAP_SYNC |       \
			 MAP_FIXED_NOREPLACE | (0x3fU << 26) /* hugetlb size bits */)

/* mmap(2) */
long sys_mmap(struct task *t, const struct syscall_args *a)
{
	uint64_t addr = a->arg[0];
	uint64_t len = a->arg[1];
	int prot = (int)a->arg[2];
	int flags = (int)a->arg[3];
	int fd = (int)a->arg[4];
	uint64_t off = a->arg[5];

	int type = flags & MAP_TYPE_MASK;
	if (type != MAP_SHARED && type != MAP_PRIVATE && type != MAP_SHARED_VALIDATE)
		return -EINVAL;
	if (type == MAP_SHARED_VALIDATE && (flags & ~MAP_KNOWN_FLAGS))
		return -EOPNOTSUPP;
	if (type == MAP_SHARED_VALIDATE && (flags & MAP_SYNC))
		return -EOPNOTSUPP;    /* no DAX here */
	if (off & ~PAGE_MASK)
		return -EINVAL;
	if (len == 0)
		return -EINVAL;
	uint64_t plen = PAGE_ALIGN_UP(len);
	if (plen == 0 || plen > GUEST_TASK_SIZE)
		return -ENOMEM;
	bool fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE);
	if (fixed && (addr & ~PAGE_MASK))
		return -EINVAL;
	if (flags & MAP_HUGETLB)
		return -ENOMEM;        /* no huge pages are reserved, as on most hosts */
	/* Linux's do_mmap: MAP_LOCKED needs what mlock(2) needs. */
	if ((flags & MAP_LOCKED) && !can_do_mlock(t))
		return -EPERM;
	if (!fixed && (flags & MAP_32BIT) && !addr) {
		long hint = mm_find_free(t->mm, plen, 0x80000000ULL);
		if (hint < 0 || (uint64_t)hint < 0x40000000ULL)
			return -ENOMEM;
		addr = hint;
	}
	int vma_flags = (type != MAP_PRIVATE ? VMA_SHARED : 0) |
			(flags & MAP_GROWSDOWN ? VMA_GROWSDOWN : 0) |
			(flags & MAP_LOCKED ? VMA_LOCKED : 0) |
			((flags & (MAP_POPULATE | MAP_NONBLOCK)) == MAP_POPULATE ? VMA_POPULATE : 0);
	struct file *f = NULL;
	if (!(flags & MAP_ANONYMOUS)) {
		f = fdt_get_file(t->files, fd);
		if (!f)
			return -EBADF;
		if (file_flags(f) & O_PATH) {
			/* fdget: an O_PATH descriptor maps nothing. */
			file_put(f);
			return -EBADF;
		}
		if (file_is_dev_zero(f)) {
			/*
			 * Mapping /dev/zero is anonymous memory, as in Linux, after
			 * the same access checks as any file's; a shared one of a
			 * descriptor not open read-write can never become writable.
			 */
			int acc = file_flags(f) & O_ACCMODE;
			file_put(f);
			if (acc == O_WRONLY ||
			    (type != MAP_PRIVATE && (prot & PROT_WRITE) && acc != O_RDWR))
				return -EACCES;
			if (type != MAP_PRIVATE && acc != O_RDWR)
				vma_flags |= VMA_NOMAYWRITE;
			f = NULL;
			flags |= MAP_ANONYMOUS;
		}
	}
	if (f) {
		int acc = file_flags(f) & O_ACCMODE;
		long rc = 0;
		if (!file_mmappable(f))
			rc = -ENODEV;
		else if (acc == O_WRONLY)
			rc = -EACCES;
		else if (type != MAP_PRIVATE && (prot & PROT_WRITE) && acc != O_RDWR)
			rc = -EACCES;
		else if (off + plen < off)
			rc = -EOVERFLOW;
		/* file_mmap_ok: a regular file's pages end at MAX_LFS_FILESIZE. */
		else if (file_is_reg(f) && off / PAGE_SIZE > ((uint64_t)INT64_MAX - plen) / PAGE_SIZE)
			rc = -EOVERFLOW;
		if (rc) {
			file_put(f);
			return rc;
		}
	}
	if (fixed)
		usertrap_yield_range(t->mm, addr, plen);
	long ret = mm_map(t->mm, addr, plen, prot & (PROT_READ | PROT_WRITE | PROT_EXEC), vma_flags,
			  fixed, flags & MAP_FIXED_NOREPLACE, f, f ? off : 0);
	if (f)
		file_put(f);
	return ret;
}

/* munmap(2) */
long sys_munmap(struct task *t, const struct syscall_args *a)
{
	usertrap_yield_range(t->mm, a->arg[0], a->arg[1]);
	return mm_unmap(t->mm, a->arg[0], a->arg[1]);
}

/* mprotect(2) */
long sys_mprotect(struct task *t, const struct syscall_args *a)
{
	usertrap_yield_range(t->mm, a->arg[0], a->arg[1]);
	return mm_protect(t->mm, a->arg[0], a->arg[1], (int)a->arg[2]);
}

/*
 * Memory protection keys, as Linux on a CPU without PKU (OSPKE off), which
 * is what the guest sees through CPUID here: no key can be allocated or
 * freed (EINVAL), and pkey_mprotect is mprotect for key -1 only.
 */
long sys_pkey_mprotect(struct task *t, const struct syscall_args *a)
{
	if ((int)a->arg[3] != -1)
		return -EINVAL;
	usertrap_yield_range(t->mm, a->arg[0], a->arg[1]);
	return mm_protect(t->mm, a->arg[0], a->arg[1], (int)a->arg[2]);
}

long sys_pkey_alloc(struct task *t, const struct syscall_args *a)
{
	return -EINVAL;
}

long sys_pkey_free(struct task *t, const struct syscall_args *a)
{
	return -EINVAL;
}

/* mremap(2): old_address, old_size, new_size, flags, new_address. */
long sys_mremap(struct task *t, const struct syscall_args *a)
{
	usertrap_yield_range(t->mm, a->arg[0], a->arg[1]);
	usertrap_unpatch_range(t->mm, a->arg[0], PAGE_ALIGN_UP(a->arg[1]));
	if (a->arg[3] & MREMAP_FIXED)
		usertrap_yield_range(t->mm, a->arg[4], a->arg[2]);
	return mm_remap(t->mm, a->arg[0], a->arg[1], a->arg[2], (int)a->arg[3], a->arg[4]);
}

/* brk(2): the raw syscall returns the (possibly unchanged) break, never -errno. */
long sys_brk(struct task *t, const struct syscall_args *a)
{
	return mm_brk(t->mm, a->arg[0]);
}

/* madvise(2) */
long sys_madvise(struct task *t, const struct syscall_args *a)
{
	usertrap_yield_range(t->mm, a->arg[0], a->arg[1]);
	return mm_advise(t->mm, a->arg[0], a->arg[1], (int)a->arg[2]);
}

/*
 * msync(2): shared mappings map the file's own pages (tmpfs) or the host
 * file's cached ones (writable binds), which are written back here, for
 * MS_ASYNC too (Linux leaves that to its flusher threads). MS_INVALIDATE
 * has nothing to do: there are no other copies of the pages.
 */
long sys_msync(struct task *t, const struct syscall_args *a)
{
	uint64_t addr = a->arg[0];
	uint64_t len = a->arg[1];
	int flags = (int)a->arg[2];
	if (addr & ~PAGE_MASK)
		return -EINVAL;
	if (flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC))
		return -EINVAL;
	if ((flags & MS_ASYNC) && (flags & MS_SYNC))
		return -EINVAL;
	/* As Linux's PAGE_ALIGN, a length near 2^64 wraps to 0: nothing to do. */
	len = PAGE_ALIGN_UP(len);
	/* Every page in the range must be mapped (Linux: ENOMEM, after syncing the rest). */
	return mm_sync(t->mm, addr, len, flags & MS_SYNC);
}

/*
 * mlock(2), mlock2(2) (lock VMA_LOCKED, with VMA_LOCKONFAULT for
 * MLOCK_ONFAULT) and munlock(2) (0). As Linux, addr is rounded down and
 * the length grows by what that adds (no EINVAL for an unaligned addr),
 * then is rounded up (a length near 2^64 wraps to 0: nothing to do).
 * Pages are never swapped out here: a lock keeps nothing resident that
 * would not stay anyway, but it is counted and reported as Linux does.
 */
static long do_mlock(struct task *t, uint64_t addr, uint64_t len, int lock)
{
	if (lock && !can_do_mlock(t))
		return -EPERM;
	len = PAGE_ALIGN_UP(len + (addr & ~PAGE_MASK));
	addr &= PAGE_MASK;
	return mm_mlock(t->mm, addr, len, lock);
}

long sys_mlock(struct task *t, const struct syscall_args *a)
{
	return do_mlock(t, a->arg[0], a->arg[1], VMA_LOCKED);
}

long sys_mlock2(struct task *t, const struct syscall_args *a)
{
	int flags = (int)a->arg[2];
	if (flags & ~MLOCK_ONFAULT)
		return -EINVAL;
	return do_mlock(t, a->arg[0], a->arg[1], VMA_LOCKED | (flags & MLOCK_ONFAULT ? VMA_LOCKONFAULT : 0));
}

long sys_munlock(struct task *t, const struct syscall_args *a)
{
	return do_mlock(t, a->arg[0], a->arg[1], 0);
}

/* mlockall(2): flags is an int (the upper half of the register is ignored). */
long sys_mlockall(struct task *t, const struct syscall_args *a)
{
	int flags = (int)a->arg[0];
	if (!flags || (flags & ~(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)) || flags == MCL_ONFAULT)
		return -EINVAL;
	if (!can_do_mlock(t))
		return -EPERM;
	return mm_mlockall(t->mm, flags);
}

long sys_munlockall(struct task *t, const struct syscall_args *a)
{
	return mm_mlockall(t->mm, 0);
}

/* Linux's TASK_SIZE_MAX (4-level paging): access_ok's bound for mincore's range and vector. */
#define USER_ADDR_MAX 0x7ffffffff000ULL

/*
 * mincore(2): Linux checks addr's alignment (EINVAL), that the range and
 * the vector lie in user space (ENOMEM, EFAULT), then fills the vector in
 * batches of a page, one VMA at most each, so a hole ends the walk with
 * ENOMEM after the bytes before it were written.
 */
long sys_mincore(struct task *t, const struct syscall_args *a)
{
	uint64_t addr = a->arg[0];
	uint64_t len = a->arg[1];
	uint64_t vec = a->arg[2];
	if (addr & ~PAGE_MASK)
		return -EINVAL;
	if (len > USER_ADDR_MAX || addr > USER_ADDR_MAX - len)
		return -ENOMEM;
	uint64_t pages = len / PAGE_SIZE + (len % PAGE_SIZE != 0);
	if (vec > USER_ADDR_MAX - pages)
		return -EFAULT;
	uint8_t buf[PAGE_SIZE];
	while (pages) {
		long n = mm_mincore(t->mm, addr, MIN(pages, PAGE_SIZE), buf);
		if (n < 0)
			return n;
		if (mm_copy_out(t->mm, gaddr(vec), buf, n))
			return -EFAULT;
		pages -= n;
		vec += n;
		addr += n * PAGE_SIZE;
	}
	return 0;
}
