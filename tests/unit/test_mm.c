/* VMA operations and the checked guest-memory API. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include "sentry/memfile.h"
#include "sentry/mm.h"

static struct mm *mm;
#define RW (PROT_READ | PROT_WRITE)
#define A 0x10000000ULL
#define COW_TEST_CHUNK (2ULL << 20)

static void setup(void)
{
	cr_assert_eq(mf_init(), 0);
	mm = mm_create();
	cr_assert_not_null(mm);
}

static void teardown(void)
{
	mm_put(mm);
}

TestSuite(mm, .init = setup, .fini = teardown);

static long map(uint64_t addr, uint64_t len, int prot)
{
	return mm_map(mm, addr, len, prot, 0, true, false, NULL, 0);
}

Test(mm, fresh_anonymous_memory_is_zero_and_writable)
{
	cr_assert_eq(map(A, 3 * PAGE_SIZE, RW), (long)A);
	uint8_t buf[3 * 4096];
	cr_assert_eq(mm_copy_in(mm, buf, gaddr(A), sizeof(buf)), 0);
	for (size_t i = 0; i < sizeof(buf); i++)
		cr_assert_eq(buf[i], 0);
	cr_assert_eq(mm_copy_out(mm, gaddr(A + 100), "hello", 6), 0);
	char s[16];
	cr_assert_eq(mm_copy_string_in(mm, gaddr(A + 100), s, sizeof(s)), 5);
	cr_assert_str_eq(s, "hello");
}

Test(mm, unmapped_addresses_fault)
{
	char c;
	cr_assert_eq(mm_copy_in(mm, &c, gaddr(A), 1), -EFAULT);
	cr_assert_eq(mm_copy_out(mm, gaddr(0), "x", 1), -EFAULT);
	cr_assert_eq(mm_copy_string_in(mm, gaddr(A), &c, 1), -EFAULT);
}

Test(mm, munmap_in_the_middle_splits)
{
	cr_assert_eq(map(A, 3 * PAGE_SIZE, RW), (long)A);
	cr_assert_eq(mm_copy_out(mm, gaddr(A + 2 * PAGE_SIZE), "tail", 4), 0);
	cr_assert_eq(mm_unmap(mm, A + PAGE_SIZE, PAGE_SIZE), 0);
	char c[4];
	cr_assert_eq(mm_copy_in(mm, c, gaddr(A), 1), 0);
	cr_assert_eq(mm_copy_in(mm, c, gaddr(A + PAGE_SIZE), 1), -EFAULT);
	cr_assert_eq(mm_copy_in(mm, c, gaddr(A + 2 * PAGE_SIZE), 4), 0);
	cr_assert_eq(memcmp(c, "tail", 4), 0, "the right half keeps its bytes");
	/* A copy across the hole fails as a whole. */
	uint8_t big[3 * 4096];
	cr_assert_eq(mm_copy_in(mm, big, gaddr(A), sizeof(big)), -EFAULT);
}

Test(mm, munmap_validates_arguments)
{
	cr_assert_eq(mm_unmap(mm, A + 1, PAGE_SIZE), -EINVAL);
	cr_assert_eq(mm_unmap(mm, A, 0), -EINVAL);
	cr_assert_eq(mm_unmap(mm, A, PAGE_SIZE), 0, "unmapping a hole is fine");
}

Test(mm, mprotect_splits_and_enforces)
{
	cr_assert_eq(map(A, 3 * PAGE_SIZE, RW), (long)A);
	cr_assert_eq(mm_protect(mm, A + PAGE_SIZE, PAGE_SIZE, PROT_READ), 0);
	cr_assert_eq(mm_copy_out(mm, gaddr(A), "x", 1), 0);
	cr_assert_eq(mm_copy_out(mm, gaddr(A + PAGE_SIZE), "x", 1), -EFAULT);
	cr_assert_eq(mm_copy_out(mm, gaddr(A + 2 * PAGE_SIZE), "x", 1), 0);
	cr_assert_eq(mm_protect(mm, A, PAGE_SIZE, PROT_NONE), 0);
	char c;
	cr_assert_eq(mm_copy_in(mm, &c, gaddr(A), 1), -EFAULT);
	cr_assert_eq(mm_protect(mm, A, 5 * PAGE_SIZE, RW), -ENOMEM, "range with a hole");
	cr_assert_eq(mm_protect(mm, A + 3, PAGE_SIZE, RW), -EINVAL);
}

Test(mm, mempolicy_splits_at_the_range_and_skips_holes)
{
	cr_assert_eq(map(A, 4 * PAGE_SIZE, RW), (long)A);
	cr_assert_eq(map(A + 5 * PAGE_SIZE, PAGE_SIZE, RW), (long)(A + 5 * PAGE_SIZE));
	struct mm_mempolicy bind = { .mode = 2, .nodes = 1 }, pol;
	cr_assert_eq(mm_set_mempolicy(mm, A + PAGE_SIZE, A + 6 * PAGE_SIZE, &bind), 0);
	uint64_t at = A;
	cr_assert(mm_next_mempolicy(mm, &at, A + 1, &pol));
	cr_assert_eq(pol.mode, 0, "before the range: no policy");
	cr_assert_eq(at, A + PAGE_SIZE, "split at the start");
	cr_assert(mm_next_mempolicy(mm, &at, A + 6 * PAGE_SIZE, &pol));
	cr_assert(pol.mode == 2 && pol.nodes == 1);
	cr_assert_eq(at, A + 4 * PAGE_SIZE);
	cr_assert(mm_next_mempolicy(mm, &at, A + 6 * PAGE_SIZE, &pol), "past the hole");
	cr_assert_eq(pol.mode, 2);
	cr_assert_eq(at, A + 6 * PAGE_SIZE);
	cr_assert_not(mm_next_mempolicy(mm, &at, A + 7 * PAGE_SIZE, &pol));
	at = A + 4 * PAGE_SIZE;
	cr_assert_not(mm_next_mempolicy(mm, &at, A + 5 * PAGE_SIZE, &pol), "the hole");
	/* Kept when mprotect splits the VMA again. */
	cr_assert_eq(mm_protect(mm, A + 2 * PAGE_SIZE, PAGE_SIZE, PROT_READ), 0);
	at = A + 2 * PAGE_SIZE;
	cr_assert(mm_next_mempolicy(mm, &at, A + 3 * PAGE_SIZE, &pol));
	cr_assert_eq(pol.mode, 2);
	cr_assert_eq(at, A + 3 * PAGE_SIZE);
}

Test(mm, fixed_noreplace_refuses_overlap)
{
	cr_assert_eq(map(A, 2 * PAGE_SIZE, RW), (long)A);
	cr_assert_eq(mm_map(mm, A + PAGE_SIZE, 2 * PAGE_SIZE, RW, 0, true, true, NULL, 0), -EEXIST);
	cr_assert_eq(mm_map(mm, A + 2 * PAGE_SIZE, PAGE_SIZE, RW, 0, true, true, NULL, 0),
		     (long)(A + 2 * PAGE_SIZE));
}

Test(mm, map_fixed_replaces_contents)
{
	cr_assert_eq(map(A, PAGE_SIZE, RW), (long)A);
	cr_assert_eq(mm_copy_out(mm, gaddr(A), "old", 3), 0);
	cr_assert_eq(map(A, PAGE_SIZE, RW), (long)A);
	char c[3];
	cr_assert_eq(mm_copy_in(mm, c, gaddr(A), 3), 0);
	cr_assert_eq(c[0], 0, "MAP_FIXED gives fresh zero pages");
}

Test(mm, nonfixed_maps_pick_free_ranges_top_down)
{
	long a = mm_map(mm, 0, PAGE_SIZE, RW, 0, false, false, NULL, 0);
	long b = mm_map(mm, 0, PAGE_SIZE, RW, 0, false, false, NULL, 0);
	cr_assert_gt(a, 0);
	cr_assert_gt(b, 0);
	cr_assert_lt(b, a, "the second mapping goes below the first");
	cr_assert_lt((uint64_t)a + PAGE_SIZE, GUEST_TASK_SIZE + 1);
	cr_assert_eq(mm_map(mm, GUEST_TASK_SIZE, PAGE_SIZE, RW, 0, true, false, NULL, 0), -ENOMEM);
	cr_assert_eq(mm_map(mm, 0x1000, PAGE_SIZE, RW, 0, true, false, NULL, 0), -EPERM);
}

Test(mm, mremap_grows_and_keeps_content)
{
	cr_assert_eq(map(A, PAGE_SIZE, RW), (long)A);
	cr_assert_eq(mm_copy_out(mm, gaddr(A + 10), "keep", 4), 0);
	/* Something right after forces a move. */
	cr_assert_eq(map(A + PAGE_SIZE, PAGE_SIZE, RW), (long)(A + PAGE_SIZE));
	cr_assert_eq(mm_remap(mm, A, PAGE_SIZE, 4 * PAGE_SIZE, 0, 0), -ENOMEM);
	long n = mm_remap(mm, A, PAGE_SIZE, 4 * PAGE_SIZE, MREMAP_MAYMOVE, 0);
	cr_assert_gt(n, 0);
	cr_assert_neq(n, (long)A);
	char c[4];
	cr_assert_eq(mm_copy_in(mm, c, gaddr(n + 10), 4), 0);
	cr_assert_eq(memcmp(c, "keep", 4), 0);
	cr_assert_eq(mm_copy_in(mm, c, gaddr(A), 1), -EFAULT, "the old range is gone");
	cr_assert_eq(mm_copy_out(mm, gaddr(n + 3 * PAGE_SIZE), "x", 1), 0);
}

Test(mm, mremap_shrinks_in_place)
{
	cr_assert_eq(map(A, 4 * PAGE_SIZE, RW), (long)A);
	cr_assert_eq(mm_remap(mm, A, 4 * PAGE_SIZE, PAGE_SIZE, 0, 0), (long)A);
	char c;
	cr_assert_eq(mm_copy_in(mm, &c, gaddr(A + PAGE_SIZE), 1), -EFAULT);
	cr_assert_eq(mm_remap(mm, A, PAGE_SIZE, PAGE_SIZE, MREMAP_FIXED, A), -EINVAL);
}

Test(mm, brk_grows_and_shrinks)
{
	mm_set_brk_start(mm, A);
	cr_assert_eq(mm_brk(mm, 0), A);
	cr_assert_eq(mm_brk(mm, A + 10000), A + 10000);
	cr_assert_eq(mm_copy_out(mm, gaddr(A + 9999), "x", 1), 0);
	cr_assert_eq(mm_brk(mm, A + 100), A + 100);
	char c;
	cr_assert_eq(mm_copy_in(mm, &c, gaddr(A + 2 * PAGE_SIZE), 1), -EFAULT);
	cr_assert_eq(mm_brk(mm, A - PAGE_SIZE), A + 100, "below the start: unchanged");
	/* Growing into another mapping fails, leaving the break. */
	cr_assert_eq(map(A + 4 * PAGE_SIZE, PAGE_SIZE, RW), (long)(A + 4 * PAGE_SIZE));
	cr_assert_eq(mm_brk(mm, A + 8 * PAGE_SIZE), A + 100);
}

Test(mm, madvise_dontneed_zeroes_anonymous_memory)
{
	cr_assert_eq(map(A, PAGE_SIZE, RW), (long)A);
	cr_assert_eq(mm_copy_out(mm, gaddr(A), "data", 4), 0);
	cr_assert_eq(mm_advise(mm, A, PAGE_SIZE, MADV_DONTNEED), 0);
	char c[4];
	cr_assert_eq(mm_copy_in(mm, c, gaddr(A), 4), 0);
	cr_assert_eq(c[0], 0);
	cr_assert_eq(mm_advise(mm, A, PAGE_SIZE, 999), -EINVAL);
	cr_assert_eq(mm_advise(mm, A + 1, PAGE_SIZE, MADV_NORMAL), -EINVAL);
	cr_assert_eq(mm_advise(mm, A + 8 * PAGE_SIZE, PAGE_SIZE, MADV_NORMAL), -ENOMEM);
}

Test(mm, translate_stops_at_the_first_bad_page)
{
	cr_assert_eq(map(A, 2 * PAGE_SIZE, RW), (long)A);
	cr_assert_eq(mm_protect(mm, A + PAGE_SIZE, PAGE_SIZE, PROT_READ), 0);
	struct iovec iov[4];
	int n;
	cr_assert_eq(mm_translate(mm, gaddr(A + 100), 2 * PAGE_SIZE, true, iov, 4, &n),
		     (long)(PAGE_SIZE - 100), "writable part only");
	cr_assert_eq(mm_translate(mm, gaddr(A + 100), 2 * PAGE_SIZE - 100, false, iov, 4, &n),
		     (long)(2 * PAGE_SIZE - 100));
	cr_assert_eq(mm_translate(mm, gaddr(A + 2 * PAGE_SIZE), 10, false, iov, 4, &n), -EFAULT);
}

Test(mm, import_iovec_validates)
{
	cr_assert_eq(map(A, PAGE_SIZE, RW), (long)A);
	uint64_t raw[4] = { A, 10, A + 100, (uint64_t)-1 };
	cr_assert_eq(mm_copy_out(mm, gaddr(A + 1024), raw, sizeof(raw)), 0);
	struct giovec *v;
	cr_assert_eq(mm_import_iovec(mm, gaddr(A + 1024), 2, &v), -EINVAL, "negative length");
	raw[3] = 20;
	cr_assert_eq(mm_copy_out(mm, gaddr(A + 1024), raw, sizeof(raw)), 0);
	cr_assert_eq(mm_import_iovec(mm, gaddr(A + 1024), 2, &v), 30);
	free(v);
	cr_assert_eq(mm_import_iovec(mm, gaddr(A + 1024), 1025, &v), -EINVAL);
	cr_assert_eq(mm_import_iovec(mm, gaddr(A + 8 * PAGE_SIZE), 1, &v), -EFAULT);
}

Test(mm, maps_listing_names_stack)
{
	cr_assert_eq(mm_map(mm, A, PAGE_SIZE, RW, VMA_STACK, true, false, NULL, 0), (long)A);
	char *s;
	long n = mm_format_maps(mm, &s);
	cr_assert_gt(n, 0);
	cr_assert_not_null(strstr(s, "10000000-10001000 rw-p"));
	cr_assert_not_null(strstr(s, "[stack]"));
	free(s);
}

Test(mm, fork_copies_on_write)
{
	cr_assert_eq(map(A, 3 * COW_TEST_CHUNK, RW), (long)A);
	cr_assert_eq(mm_copy_out(mm, gaddr(A + 10), "parent", 7), 0);
	struct mm *child = mm_fork(mm);
	cr_assert_not_null(child);
	char buf[8];
	cr_assert_eq(mm_copy_in(child, buf, gaddr(A + 10), 7), 0);
	cr_assert_str_eq(buf, "parent", "the child starts with the parent's bytes");
	cr_assert_eq(mm_copy_out(child, gaddr(A + 10), "child!", 7), 0);
	cr_assert_eq(mm_copy_in(mm, buf, gaddr(A + 10), 7), 0);
	cr_assert_str_eq(buf, "parent", "a child's write stays in the child");
	cr_assert_eq(mm_copy_out(mm, gaddr(A + 2 * COW_TEST_CHUNK), "later", 6), 0);
	cr_assert_eq(mm_copy_in(child, buf, gaddr(A + 2 * COW_TEST_CHUNK), 6), 0);
	cr_assert_eq(buf[0], 0, "a parent's write after fork stays in the parent");
	cr_assert_eq(mm_copy_in(child, buf, gaddr(A + 10), 7), 0);
	cr_assert_str_eq(buf, "child!");
	mm_put(child);
	cr_assert_eq(mm_copy_in(mm, buf, gaddr(A + 10), 7), 0);
	cr_assert_str_eq(buf, "parent", "the parent keeps its pages after the child is gone");
	cr_assert_eq(mm_copy_out(mm, gaddr(A + 11), "X", 1), 0);
}

Test(mm, fork_keeps_shared_memory_shared)
{
	cr_assert_eq(mm_map(mm, A, PAGE_SIZE, RW, VMA_SHARED, true, false, NULL, 0), (long)A);
	struct mm *child = mm_fork(mm);
	cr_assert_not_null(child);
	cr_assert_eq(mm_copy_out(child, gaddr(A), "both", 5), 0);
	char buf[5];
	cr_assert_eq(mm_copy_in(mm, buf, gaddr(A), 5), 0);
	cr_assert_str_eq(buf, "both", "MAP_SHARED memory is shared after fork");
	mm_put(child);
}

/* Huge chunks: aligned, zero, readable and writable through the file, reusable once freed. */
Test(mm, memfile_huge_chunks)
{
	uint64_t a, b;
	int rc = mf_alloc_huge(&a);
	if (rc == -EOPNOTSUPP)
		cr_skip_test("no huge-page capable MemoryFile on this host");
	cr_assert_eq(rc, 0);
	cr_assert_eq(a % MF_HUGE_SIZE, 0);
	cr_assert_eq(mf_alloc_huge(&b), 0);
	cr_assert_eq(b % MF_HUGE_SIZE, 0);
	cr_assert_neq(a, b);
	cr_assert_eq(mf_resident(a, MF_HUGE_SIZE), MF_HUGE_SIZE, "populated at once");
	static char buf[8192];
	cr_assert_eq(mf_read(a + MF_HUGE_SIZE - sizeof(buf), buf, sizeof(buf)), 0);
	for (size_t i = 0; i < sizeof(buf); i++)
		cr_assert_eq(buf[i], 0);
	memset(buf, 'h', sizeof(buf));
	cr_assert_eq(mf_write(a + 4096, buf, sizeof(buf)), 0);
	cr_assert_eq(((char *)mf_ptr(a))[4096 + 100], 'h');
	/* Part of a chunk freed: the rest stays; the whole of it comes back as one chunk. */
	mf_free(a + MF_HUGE_SIZE / 2, MF_HUGE_SIZE / 2);
	cr_assert_eq(((char *)mf_ptr(a))[4096], 'h');
	mf_free(a, MF_HUGE_SIZE / 2);
	cr_assert_eq(mf_resident(a, MF_HUGE_SIZE), 0);
	uint64_t c;
	cr_assert_eq(mf_alloc_huge(&c), 0);
	cr_assert_eq(c, a, "first fit reuses the freed chunk");
	cr_assert_eq(((char *)mf_ptr(c))[4096], 0, "a reused chunk is zero");
	/* Ordinary allocations never come from the huge zone. */
	uint64_t o;
	cr_assert_eq(mf_alloc(MF_HUGE_SIZE, &o), 0);
	cr_assert(o + MF_HUGE_SIZE <= MIN(a, b));
	mf_free(o, MF_HUGE_SIZE);
	mf_free(b, MF_HUGE_SIZE);
	mf_free(c, MF_HUGE_SIZE);
}

/* A reader of a 150 KiB pattern that gives at most 10,000 bytes a call, or fails at fail_at. */
struct pattern_src {
	size_t size, fail_at;
	int calls;
};

static ssize_t pattern_pread(void *ctx, void *buf, size_t len, uint64_t pos)
{
	struct pattern_src *s = ctx;
	s->calls++;
	if (pos >= s->fail_at)
		return -EIO;
	if (pos >= s->size)
		return 0;
	size_t n = len < 10000 ? len : 10000;
	if (n > s->size - pos)
		n = s->size - pos;
	for (size_t i = 0; i < n; i++)
		((uint8_t *)buf)[i] = (uint8_t)((pos + i) * 7);
	return (ssize_t)n;
}

Test(mm, mf_fill_takes_short_reads_and_stops_at_end_of_file)
{
	uint64_t off;
	cr_assert_eq(mf_alloc(256 << 10, &off), 0);
	struct pattern_src s = { 150 << 10, SIZE_MAX, 0 };
	cr_assert_eq(mf_fill(off + 100, 200 << 10, pattern_pread, &s, 0), 150 << 10);
	const uint8_t *p = mf_ptr(off);
	for (size_t i = 0; i < (150 << 10); i++)
		cr_assert_eq(p[100 + i], (uint8_t)(i * 7), "byte %zu", i);
	for (size_t i = 100 + (150 << 10); i < (256 << 10); i++)
		cr_assert_eq(p[i], 0, "byte %zu past the end of the source", i);
	cr_assert_eq(p[99], 0);
	mf_free(off, 256 << 10);
}

Test(mm, mf_fill_reports_a_read_error)
{
	uint64_t off;
	cr_assert_eq(mf_alloc(128 << 10, &off), 0);
	struct pattern_src s = { 150 << 10, 20000, 0 };
	cr_assert_eq(mf_fill(off, 128 << 10, pattern_pread, &s, 0), -EIO);
	cr_assert_eq(s.calls, 3);
	mf_free(off, 128 << 10);
}

Test(mm, access_remote_stops_at_the_first_fault_and_wants_prot_read)
{
	cr_assert_eq(map(A, 3 * PAGE_SIZE, RW), (long)A);
	cr_assert_eq(mm_unmap(mm, A + PAGE_SIZE, PAGE_SIZE), 0);
	static uint8_t buf[2 * 4096];
	memset(buf, 7, sizeof(buf));
	/* A write up to the hole, then a read back, each counted to the byte. */
	cr_assert_eq(mm_access_remote(mm, A + PAGE_SIZE - 10, buf, 100, true), 10);
	memset(buf, 0, sizeof(buf));
	cr_assert_eq(mm_access_remote(mm, A + PAGE_SIZE - 10, buf, 100, false), 10);
	cr_assert_eq(buf[0], 7);
	cr_assert_eq(mm_access_remote(mm, A + PAGE_SIZE, buf, 1, false), 0);
	/* Write-only and exec-only pages: not readable to it; read-only: not writable. */
	cr_assert_eq(mm_protect(mm, A, PAGE_SIZE, PROT_WRITE), 0);
	cr_assert_eq(mm_access_remote(mm, A, buf, 8, false), 0);
	cr_assert_eq(mm_protect(mm, A, PAGE_SIZE, PROT_EXEC), 0);
	cr_assert_eq(mm_access_remote(mm, A, buf, 8, false), 0);
	cr_assert_eq(mm_protect(mm, A, PAGE_SIZE, PROT_READ), 0);
	cr_assert_eq(mm_access_remote(mm, A, buf, 8, false), 8);
	cr_assert_eq(mm_access_remote(mm, A, buf, 8, true), 0);
	/* The partial local copies agree with the checked ones. */
	cr_assert_eq(mm_copy_partial(mm, gaddr(A + PAGE_SIZE - 4), buf, 8, false), 4);
	cr_assert_eq(mm_copy_partial(mm, gaddr(A + 2 * PAGE_SIZE), buf, 8, true), 8);
	cr_assert_eq(mm_copy_partial(mm, gaddr(A), buf, 8, true), 0);
}

Test(mm, maps_snapshot_marks_what_linux_would_merge)
{
	cr_assert_eq(map(A, 4 * PAGE_SIZE, RW), (long)A);
	cr_assert_eq(mm_protect(mm, A + PAGE_SIZE, PAGE_SIZE, PROT_READ), 0);
	cr_assert_eq(mm_protect(mm, A + PAGE_SIZE, PAGE_SIZE, RW), 0);
	cr_assert_eq(map(A + 4 * PAGE_SIZE, PAGE_SIZE, PROT_READ), (long)(A + 4 * PAGE_SIZE));
	struct mm_vma_info *v;
	long n = mm_snapshot_vmas(mm, &v);
	cr_assert_geq(n, 2);
	int lines = 0;
	for (long i = 0; i < n; i++)
		lines += !v[i].joins_prev;
	cr_assert_eq(lines, 2, "one line for the rw pages, one for the read-only page");
	cr_assert_eq(v[n - 1].joins_prev, false);
	mm_vmas_free(v, n);
}

Test(mm, membarrier_registrations_are_kept_by_fork)
{
	cr_assert_eq(mm_membarrier_state(mm), 0);
	mm_membarrier_register(mm, MM_MEMBARRIER_PRIVATE_EXPEDITED);
	struct mm *child = mm_fork(mm);
	cr_assert_not_null(child);
	cr_assert_eq(mm_membarrier_state(child), MM_MEMBARRIER_PRIVATE_EXPEDITED);
	mm_put(child);
}

Test(mm, grab_keeps_the_structure_not_the_memory)
{
	struct mm *other = mm_create();
	cr_assert_not_null(other);
	cr_assert_eq(mm_map(other, A, PAGE_SIZE, RW, 0, true, false, NULL, 0), (long)A);
	mm_grab(other);
	cr_assert(mm_get_not_zero(other), "a user is left");
	mm_put(other);
	mm_put(other);         /* the last user: the address space is emptied */
	cr_assert_not(mm_get_not_zero(other), "no user comes back");
	mm_drop(other);        /* the structure goes with the grab */
}

Test(mm, forced_access_reads_reservations_as_zeros_and_backs_written_pages)
{
	cr_assert_eq(map(A, 64 * PAGE_SIZE, PROT_NONE), (long)A);
	uint8_t buf[16];
	memset(buf, 0xff, sizeof(buf));
	char c;
	cr_assert_eq(mm_copy_in(mm, &c, gaddr(A), 1), -EFAULT, "PROT_NONE to the guest's own copies");
	cr_assert_eq(mm_access_force(mm, A + 10 * PAGE_SIZE - 8, buf, 16, false), 16);
	for (size_t i = 0; i < sizeof(buf); i++)
		cr_assert_eq(buf[i], 0);
	cr_assert_eq(mm_access_force(mm, A + 10 * PAGE_SIZE - 2, "debug", 5, true), 5);
	cr_assert_eq(mm_access_force(mm, A + 10 * PAGE_SIZE - 2, buf, 5, false), 5);
	cr_assert_eq(memcmp(buf, "debug", 5), 0);
	cr_assert_eq(mm_copy_in(mm, &c, gaddr(A + 10 * PAGE_SIZE), 1), -EFAULT,
		     "written pages stay PROT_NONE");
	struct mm_vma_info *v;
	long n = mm_snapshot_vmas(mm, &v);
	uint64_t resident = 0;
	for (long i = 0; i < n; i++)
		resident += v[i].resident;
	mm_vmas_free(v, n);
	cr_assert_leq(resident, 2 * PAGE_SIZE, "only the two pages written got memory");
}
