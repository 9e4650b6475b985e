/* mlock, mlock2, munlock, mlockall, munlockall, MAP_LOCKED and mincore. */
#include "conformance.h"
#include <sys/mman.h>
#include <sys/resource.h>

#ifndef MLOCK_ONFAULT
#define MLOCK_ONFAULT 1
#endif
#ifndef MCL_ONFAULT
#define MCL_ONFAULT 4
#endif

static long pg;

static long mlock2_(void *addr, size_t len, int flags)
{
	return syscall(SYS_mlock2, addr, len, flags);
}

static long mincore_(void *addr, size_t len, void *vec)
{
	return syscall(SYS_mincore, addr, len, vec);
}

/* A field of /proc/self/status in kB, or -1. */
static long status_kb(const char *field)
{
	char buf[8192];
	if (read_file("/proc/self/status", buf, sizeof(buf)) < 0)
		return -1;
	size_t n = strlen(field);
	for (char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (strncmp(l, field, n) == 0 && l[n] == ':')
			return strtol(l + n + 1, NULL, 10);
	return -1;
}

/* The smaps entry of the VMA starting at p: its "Locked:" kB, and whether VmFlags has "lo". */
static long smaps_locked(void *p, int *lo)
{
	static char buf[1 << 20];
	if (read_file("/proc/self/smaps", buf, sizeof(buf)) < 0)
		return -1;
	char head[32];
	snprintf(head, sizeof(head), "%lx-", (unsigned long)p);
	char *e = strstr(buf, head);
	if (!e || (e != buf && e[-1] != '\n'))
		return -1;
	char *lk = strstr(e, "\nLocked:");
	char *fl = strstr(e, "\nVmFlags:");
	if (!lk || !fl)
		return -1;
	char *end = strchr(fl + 1, '\n');
	*lo = end && memmem(fl, end - fl, " lo", 3) != NULL;
	return strtol(lk + 8, NULL, 10);
}

static char *map_anon(size_t len, int prot, int flags)
{
	char *p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static void test_mincore(void)
{
	unsigned char v[8];
	char *p = map_anon(4 * pg, PROT_READ | PROT_WRITE, 0);
	SETUP(p ? 0 : -1);
	CHECK_ERR(mincore_(p + 1, pg, v), EINVAL, "mincore_unaligned_einval");
	CHECK_ERR(mincore_(p + 1, 0, NULL), EINVAL, "mincore_unaligned_len0_einval");
	CHECK_EQ(mincore_(p, 0, NULL), 0, "mincore_len0");
	memset(v, 7, sizeof(v));
	CHECK_EQ(mincore_(p, 4 * pg, v), 0, "mincore_fresh");
	CHECK(v[0] == 0 && v[1] == 0 && v[2] == 0 && v[3] == 0, "mincore_fresh_not_resident");
	CHECK(v[4] == 7, "mincore_writes_only_its_bytes");
	p[0] = 1;
	p[2 * pg + 5] = 1;
	CHECK_EQ(mincore_(p, 4 * pg - 100, v), 0, "mincore_len_rounded_up");
	CHECK(v[0] == 1 && v[1] == 0 && v[2] == 1 && v[3] == 0, "mincore_touched_resident");
	CHECK_EQ(madvise(p, pg, MADV_DONTNEED), 0, "mincore_dontneed");
	CHECK_EQ(mincore_(p, pg, v), 0, "mincore_after_dontneed");
	CHECK(v[0] == 0, "mincore_dontneed_not_resident");
	CHECK_ERR(mincore_(p, pg, NULL), EFAULT, "mincore_null_vec_efault");
	CHECK_ERR(mincore_(p, pg, (void *)-1L), EFAULT, "mincore_kernel_vec_efault");
	CHECK_ERR(mincore_(p, pg, BAD_PTR), EFAULT, "mincore_bad_vec_efault");
	CHECK_ERR(mincore_(p, (size_t)-1, v), ENOMEM, "mincore_huge_len_enomem");
	CHECK_ERR(mincore_((void *)0x7ffffffff000, 2 * pg, v), ENOMEM, "mincore_past_user_space_enomem");
	munmap(p + 3 * pg, pg);
	CHECK_ERR(mincore_(p + 3 * pg, pg, v), ENOMEM, "mincore_unmapped_enomem");
	memset(v, 7, sizeof(v));
	CHECK_ERR(mincore_(p, 4 * pg, v), ENOMEM, "mincore_hole_enomem");
	CHECK(v[2] == 1, "mincore_hole_fills_before");
	/* An unmapped range is ENOMEM before the vector is looked at. */
	CHECK_ERR(mincore_(p + 3 * pg, pg, NULL), ENOMEM, "mincore_unmapped_before_efault");
	munmap(p, 3 * pg);

	char *q = map_anon(3 * pg, PROT_READ | PROT_WRITE, MAP_POPULATE);
	SETUP(q ? 0 : -1);
	CHECK_EQ(mincore_(q, 3 * pg, v), 0, "mincore_populate");
	CHECK(v[0] == 1 && v[1] == 1 && v[2] == 1, "mincore_populate_resident");
	munmap(q, 3 * pg);

	q = map_anon(2 * pg, PROT_NONE, 0);
	SETUP(q ? 0 : -1);
	CHECK_EQ(mincore_(q, 2 * pg, v), 0, "mincore_prot_none");
	CHECK(v[0] == 0 && v[1] == 0, "mincore_prot_none_not_resident");
	munmap(q, 2 * pg);

	/* A file read before is in the page cache. */
	int fd = open(T("f"), O_RDWR | O_CREAT | O_TRUNC, 0600);
	SETUP(fd);
	char buf[8192];
	memset(buf, 'x', sizeof(buf));
	SETUP(write(fd, buf, sizeof(buf)));
	SETUP(pread(fd, buf, sizeof(buf), 0));
	char *m = mmap(NULL, 2 * pg, PROT_READ, MAP_PRIVATE, fd, 0);
	SETUP(m == MAP_FAILED ? -1 : 0);
	CHECK_EQ(mincore_(m, 2 * pg, v), 0, "mincore_file");
	CHECK(v[0] == 1 && v[1] == 1, "mincore_file_read_resident");
	munmap(m, 2 * pg);
	m = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	SETUP(m == MAP_FAILED ? -1 : 0);
	m[0] = 'y';
	CHECK_EQ(mincore_(m, 2 * pg, v), 0, "mincore_shared_file");
	CHECK(v[0] == 1 && v[1] == 1, "mincore_shared_file_resident");
	munmap(m, 2 * pg);
	close(fd);

	/* Shared anonymous memory: resident once written. */
	m = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	SETUP(m == MAP_FAILED ? -1 : 0);
	m[pg] = 1;
	CHECK_EQ(mincore_(m, 2 * pg, v), 0, "mincore_shared_anon");
	CHECK(v[0] == 0 && v[1] == 1, "mincore_shared_anon_resident");
	munmap(m, 2 * pg);
}

static void test_mlock(void)
{
	unsigned char v[8];
	long base = status_kb("VmLck");
	CHECK_EQ(base, 0, "vmlck_starts_zero");
	char *p = map_anon(4 * pg, PROT_READ | PROT_WRITE, 0);
	SETUP(p ? 0 : -1);
	CHECK_EQ(mlock(p, 2 * pg), 0, "mlock");
	CHECK_EQ(status_kb("VmLck"), 2 * pg / 1024, "mlock_vmlck");
	CHECK_EQ(mincore_(p, 3 * pg, v), 0, "mlock_mincore");
	CHECK(v[0] == 1 && v[1] == 1 && v[2] == 0, "mlock_populates");
	int lo = 0;
	CHECK_EQ(smaps_locked(p, &lo), 2 * pg / 1024, "mlock_smaps_locked");
	CHECK(lo, "mlock_smaps_vmflags_lo");
	CHECK_EQ(mlock(p, 2 * pg), 0, "mlock_again");
	CHECK_EQ(status_kb("VmLck"), 2 * pg / 1024, "mlock_again_not_counted_twice");
	CHECK_EQ(munlock(p, 2 * pg), 0, "munlock");
	CHECK_EQ(status_kb("VmLck"), 0, "munlock_vmlck");
	CHECK_EQ(smaps_locked(p, &lo), 0, "munlock_smaps_locked");

	/* An unaligned address: rounded down, the length grows by the offset. */
	CHECK_EQ(mlock(p + 1, pg), 0, "mlock_unaligned");
	CHECK_EQ(status_kb("VmLck"), 2 * pg / 1024, "mlock_unaligned_two_pages");
	CHECK_EQ(munlock(p + pg + 1, 1), 0, "munlock_unaligned");
	CHECK_EQ(status_kb("VmLck"), pg / 1024, "munlock_unaligned_one_page");
	CHECK_EQ(munlock(p, 4 * pg), 0, "munlock_all_of_it");
	CHECK_EQ(mlock(p, 0), 0, "mlock_len0");
	CHECK_EQ(munlock(p, 0), 0, "munlock_len0");
	CHECK_ERR(mlock((void *)8, 0), ENOMEM, "mlock_len0_unaligned_page_zero_enomem");
	CHECK_EQ(mlock(p, (size_t)-1), 0, "mlock_len_wraps_to_zero");
	CHECK_ERR(mlock(p, (size_t)-2 * pg), EINVAL, "mlock_range_wraps_einval");

	/* A hole: the part before it is locked, the call says ENOMEM. */
	munmap(p + 2 * pg, pg);
	CHECK_ERR(mlock(p + pg, 3 * pg), ENOMEM, "mlock_hole_enomem");
	CHECK_EQ(status_kb("VmLck"), pg / 1024, "mlock_hole_locks_before");
	CHECK_ERR(mlock(p + 2 * pg, pg), ENOMEM, "mlock_unmapped_enomem");
	CHECK_ERR(munlock(p, 4 * pg), ENOMEM, "munlock_hole_enomem");
	CHECK_EQ(status_kb("VmLck"), 0, "munlock_hole_unlocks_before");
	CHECK_ERR(munlock(p + 2 * pg, pg), ENOMEM, "munlock_unmapped_enomem");

	/* PROT_NONE: locked, but cannot be faulted in. */
	char *n = map_anon(2 * pg, PROT_NONE, 0);
	SETUP(n ? 0 : -1);
	CHECK_ERR(mlock(n, 2 * pg), ENOMEM, "mlock_prot_none_enomem");
	CHECK_EQ(status_kb("VmLck"), 2 * pg / 1024, "mlock_prot_none_counted");
	CHECK_EQ(munlock(n, 2 * pg), 0, "munlock_prot_none");
	munmap(n, 2 * pg);

	/* Unmapping a locked range drops the lock. */
	CHECK_EQ(mlock(p, 2 * pg), 0, "mlock_then_unmap");
	munmap(p, 2 * pg);
	CHECK_EQ(status_kb("VmLck"), 0, "munmap_unlocks");
	munmap(p + 3 * pg, pg);

	/* mlock2 */
	p = map_anon(2 * pg, PROT_READ | PROT_WRITE, 0);
	SETUP(p ? 0 : -1);
	CHECK_ERR(mlock2_(p, pg, 2), EINVAL, "mlock2_bad_flags_einval");
	CHECK_ERR(mlock2_(p, pg, -1), EINVAL, "mlock2_all_flags_einval");
	CHECK_EQ(mlock2_(p, 2 * pg, 0), 0, "mlock2_plain");
	CHECK_EQ(munlock(p, 2 * pg), 0, "mlock2_munlock");
	munmap(p, 2 * pg);
	p = map_anon(2 * pg, PROT_READ | PROT_WRITE, 0);
	SETUP(p ? 0 : -1);
	CHECK_EQ(mlock2_(p, 2 * pg, MLOCK_ONFAULT), 0, "mlock2_onfault");
	CHECK_EQ(status_kb("VmLck"), 2 * pg / 1024, "mlock2_onfault_counted");
	CHECK_EQ(mincore_(p, 2 * pg, v), 0, "mlock2_onfault_mincore");
	CHECK(v[0] == 0 && v[1] == 0, "mlock2_onfault_not_populated");
	CHECK_EQ(munlock(p, 2 * pg), 0, "mlock2_onfault_munlock");
	CHECK_EQ(status_kb("VmLck"), 0, "mlock2_onfault_unlocked");

	/* MAP_LOCKED */
	char *l = map_anon(2 * pg, PROT_READ | PROT_WRITE, MAP_LOCKED);
	CHECK(l != NULL, "map_locked");
	CHECK_EQ(status_kb("VmLck"), 2 * pg / 1024, "map_locked_counted");
	CHECK_EQ(mincore_(l, 2 * pg, v), 0, "map_locked_mincore");
	CHECK(v[0] == 1 && v[1] == 1, "map_locked_populated");
	/* A locked mapping that grows stays locked. */
	char *g = mremap(l, 2 * pg, 4 * pg, MREMAP_MAYMOVE);
	CHECK(g != MAP_FAILED, "mremap_locked_grow");
	CHECK_EQ(status_kb("VmLck"), 4 * pg / 1024, "mremap_locked_grow_counted");
	munmap(g, 4 * pg);
	CHECK_EQ(status_kb("VmLck"), 0, "map_locked_unmapped");

	/* Locks are not inherited. */
	CHECK_EQ(mlock(p, 2 * pg), 0, "fork_parent_mlock");
	pid_t pid = fork();
	if (pid == 0) {
		CHECK_EQ(status_kb("VmLck"), 0, "fork_child_not_locked");
		CHECK(p[0] == 0, "fork_child_reads_locked_memory");
		CHILD_DONE();
	}
	check_child_ok(pid, "fork_child");
	CHECK_EQ(status_kb("VmLck"), 2 * pg / 1024, "fork_parent_still_locked");
	CHECK_EQ(munlock(p, 2 * pg), 0, "fork_parent_munlock");
	munmap(p, 2 * pg);
}

static void test_mlockall(void)
{
	unsigned char v[4];
	CHECK_ERR(mlockall(0), EINVAL, "mlockall_zero_einval");
	CHECK_ERR(mlockall(MCL_ONFAULT), EINVAL, "mlockall_onfault_only_einval");
	CHECK_ERR(mlockall(8), EINVAL, "mlockall_unknown_einval");
	CHECK_ERR(mlockall(MCL_CURRENT | 8), EINVAL, "mlockall_unknown_bit_einval");

	CHECK_EQ(mlockall(MCL_FUTURE), 0, "mlockall_future");
	CHECK_EQ(status_kb("VmLck"), 0, "mlockall_future_locks_nothing_now");
	char *p = map_anon(2 * pg, PROT_READ | PROT_WRITE, 0);
	SETUP(p ? 0 : -1);
	CHECK_EQ(status_kb("VmLck"), 2 * pg / 1024, "mlockall_future_new_mapping_locked");
	CHECK_EQ(mincore_(p, 2 * pg, v), 0, "mlockall_future_mincore");
	CHECK(v[0] == 1 && v[1] == 1, "mlockall_future_populated");
	pid_t pid = fork();
	if (pid == 0) {
		char *c = map_anon(pg, PROT_READ | PROT_WRITE, 0);
		CHECK(c != NULL, "fork_child_map");
		CHECK_EQ(status_kb("VmLck"), 0, "fork_child_no_mcl_future");
		CHILD_DONE();
	}
	check_child_ok(pid, "fork_mcl_future_child");
	CHECK_EQ(munlockall(), 0, "munlockall");
	CHECK_EQ(status_kb("VmLck"), 0, "munlockall_vmlck");
	char *q = map_anon(pg, PROT_READ | PROT_WRITE, 0);
	SETUP(q ? 0 : -1);
	CHECK_EQ(status_kb("VmLck"), 0, "munlockall_ends_mcl_future");
	munmap(q, pg);

	CHECK_EQ(mlockall(MCL_CURRENT | MCL_ONFAULT), 0, "mlockall_current_onfault");
	long all = status_kb("VmLck");
	CHECK(all >= 2 * pg / 1024, "mlockall_current_locks_mappings");
	q = map_anon(pg, PROT_READ | PROT_WRITE, 0);
	SETUP(q ? 0 : -1);
	CHECK_EQ(status_kb("VmLck"), all, "mlockall_current_not_future");
	munmap(q, pg);
	CHECK_EQ(mlockall(MCL_CURRENT | MCL_FUTURE), 0, "mlockall_current_future");
	q = map_anon(pg, PROT_READ | PROT_WRITE, 0);
	SETUP(q ? 0 : -1);
	CHECK(status_kb("VmLck") > all, "mlockall_current_future_new_mapping");
	/* MCL_CURRENT alone ends MCL_FUTURE, as in Linux. */
	CHECK_EQ(mlockall(MCL_CURRENT), 0, "mlockall_current");
	munmap(q, pg);
	all = status_kb("VmLck");
	q = map_anon(pg, PROT_READ | PROT_WRITE, 0);
	SETUP(q ? 0 : -1);
	CHECK_EQ(status_kb("VmLck"), all, "mlockall_current_drops_future");
	munmap(q, pg);
	CHECK_EQ(munlockall(), 0, "munlockall_again");
	CHECK_EQ(status_kb("VmLck"), 0, "munlockall_again_vmlck");
	munmap(p, 2 * pg);
}

/* A child without CAP_IPC_LOCK under RLIMIT_MEMLOCK lim. */
static void drop_privileges(rlim_t lim)
{
	struct rlimit rl = { lim, lim };
	SETUP(setrlimit(RLIMIT_MEMLOCK, &rl));
	SETUP(setuid(65534));
}

static void test_limits(void)
{
	char *p = map_anon(4 * pg, PROT_READ | PROT_WRITE, 0);
	SETUP(p ? 0 : -1);
	pid_t pid = fork();
	if (pid == 0) {
		drop_privileges(0);
		CHECK_ERR(mlock(p, pg), EPERM, "limit0_mlock_eperm");
		CHECK_ERR(mlock(p, 0), EPERM, "limit0_mlock_len0_eperm");
		CHECK_ERR(mlock2_(p, pg, 2), EINVAL, "limit0_mlock2_flags_before_eperm");
		CHECK_ERR(mlock2_(p, pg, 0), EPERM, "limit0_mlock2_eperm");
		CHECK_ERR(mlockall(MCL_FUTURE), EPERM, "limit0_mlockall_eperm");
		CHECK_ERR(mlockall(0), EINVAL, "limit0_mlockall_flags_before_eperm");
		CHECK_ERR(mmap(NULL, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0),
			  EPERM, "limit0_map_locked_eperm");
		CHECK_EQ(munlock(p, pg), 0, "limit0_munlock_ok");
		CHECK_EQ(munlockall(), 0, "limit0_munlockall_ok");
		CHILD_DONE();
	}
	check_child_ok(pid, "limit0_child");

	pid = fork();
	if (pid == 0) {
		drop_privileges(pg);
		CHECK_ERR(mlock(p, 2 * pg), ENOMEM, "limit1_mlock_two_enomem");
		CHECK_EQ(status_kb("VmLck"), 0, "limit1_nothing_locked");
		CHECK_EQ(mlock(p, pg), 0, "limit1_mlock_one");
		CHECK_EQ(mlock(p, pg), 0, "limit1_relock_same");
		CHECK_EQ(mlock(p, 0), 0, "limit1_len0");
		CHECK_ERR(mlock(p + pg, pg), ENOMEM, "limit1_mlock_another_enomem");
		CHECK_ERR(mlock2_(p + pg, pg, MLOCK_ONFAULT), ENOMEM, "limit1_mlock2_onfault_enomem");
		CHECK_ERR(mlockall(MCL_CURRENT), ENOMEM, "limit1_mlockall_current_enomem");
		CHECK_EQ(status_kb("VmLck"), pg / 1024, "limit1_vmlck");
		CHECK_ERR(mmap(NULL, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0),
			  EAGAIN, "limit1_map_locked_eagain");
		CHECK_EQ(mlockall(MCL_FUTURE), 0, "limit1_mlockall_future");
		CHECK_ERR(mmap(NULL, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), EAGAIN,
			  "limit1_future_mmap_eagain");
		void *brk0 = sbrk(0);
		CHECK_ERR((long)sbrk(pg), ENOMEM, "limit1_future_brk_enomem");
		CHECK(sbrk(0) == brk0, "limit1_future_brk_unchanged");
		CHECK_EQ(munlockall(), 0, "limit1_munlockall");
		/* A locked VMA may not grow past the limit. */
		char *q = map_anon(pg, PROT_READ | PROT_WRITE, 0);
		SETUP(q ? 0 : -1);
		CHECK_EQ(mlock(q, pg), 0, "limit1_mlock_for_mremap");
		CHECK_ERR(mremap(q, pg, 2 * pg, MREMAP_MAYMOVE), EAGAIN, "limit1_mremap_locked_eagain");
		CHECK_EQ(munlock(q, pg), 0, "limit1_munlock_for_mremap");
		CHECK(mremap(q, pg, 2 * pg, MREMAP_MAYMOVE) != MAP_FAILED, "limit1_mremap_unlocked_ok");
		CHILD_DONE();
	}
	check_child_ok(pid, "limit1_child");
	munmap(p, 4 * pg);
}

int main(void)
{
	pg = sysconf(_SC_PAGESIZE);
	test_mincore();
	test_mlock();
	test_mlockall();
	test_limits();
	return conf_exit();
}
