/* mmap/munmap/mprotect on anonymous memory. */
#include "conformance.h"
#include <sys/mman.h>

static long pg;
static int probe_fd;

/* 1 if ADDR is readable (write(2) from it succeeds), 0 on EFAULT. */
static int readable(void *addr)
{
	return pwrite(probe_fd, addr, 1, 0) == 1;
}

/* 1 if [addr, addr+len) is fully mapped (mprotect does not say ENOMEM). */
static int mapped(void *addr, size_t len, int prot)
{
	return mprotect(addr, len, prot) == 0;
}

int main(void)
{
	pg = sysconf(_SC_PAGESIZE);
	probe_fd = open(T("probe"), O_RDWR | O_CREAT, 0600);
	SETUP(probe_fd);

	char *p;
	CHECK_OK(p = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), "anon_rw");
	SETUP(p);
	CHECK(((uintptr_t)p & (pg - 1)) == 0, "anon_page_aligned");
	int zero = 1;
	for (long i = 0; i < 4 * pg; i++)
		zero &= p[i] == 0;
	CHECK(zero, "anon_zero_filled");
	memset(p, 'A', 4 * pg);
	CHECK(p[0] == 'A' && p[4 * pg - 1] == 'A', "anon_write_read");

	/* MAP_FIXED replaces part of an existing mapping with fresh zero pages. */
	char *q = mmap(p + pg, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECK_EQ(q, p + pg, "fixed_at_address");
	SETUP(q);
	CHECK(q[0] == 0 && q[pg - 1] == 0, "fixed_replaces_with_zero");
	CHECK(p[0] == 'A' && p[2 * pg] == 'A', "fixed_neighbours_intact");
	CHECK_ERR(mmap(p, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0), EEXIST,
		  "fixed_noreplace_eexist");

	/* munmap of the middle page leaves a hole. */
	CHECK_EQ(munmap(p + 2 * pg, pg), 0, "munmap_middle");
	CHECK(!mapped(p + 2 * pg, pg, PROT_READ | PROT_WRITE), "munmap_middle_unmapped");
	CHECK_ERR(mprotect(p, 4 * pg, PROT_READ | PROT_WRITE), ENOMEM, "mprotect_across_hole");
	CHECK(p[3 * pg] == 'A' && p[pg] == 0, "munmap_middle_neighbours");
	CHECK_EQ(munmap(p + 2 * pg, pg), 0, "munmap_hole_ok");
	CHECK_EQ(munmap(p, 4 * pg), 0, "munmap_across_hole");
	CHECK(!mapped(p, pg, PROT_READ), "munmap_all_unmapped");
	CHECK_ERR(munmap(p + 1, pg), EINVAL, "munmap_unaligned");
	CHECK_ERR(munmap(p, 0), EINVAL, "munmap_len_zero");

	/* PROT_NONE: not readable; mprotect makes it usable. */
	char *n;
	CHECK_OK(n = mmap(NULL, 2 * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), "prot_none_map");
	SETUP(n);
	CHECK(!readable(n), "prot_none_unreadable");
	CHECK_EQ(mprotect(n, pg, PROT_READ | PROT_WRITE), 0, "mprotect_rw");
	CHECK(readable(n) && n[0] == 0, "mprotect_rw_readable");
	n[10] = 'x';
	CHECK(!readable(n + pg), "mprotect_only_first_page");
	CHECK_EQ(mprotect(n, pg, PROT_READ), 0, "mprotect_ro");
	CHECK(n[10] == 'x', "mprotect_ro_keeps_content");
	/* The kernel cannot write into read-only memory either. */
	CHECK_ERR(pread(probe_fd, n, 1, 0), EFAULT, "read_into_readonly_efault");
	CHECK_ERR(mprotect(n + 1, pg, PROT_READ), EINVAL, "mprotect_unaligned");
	CHECK_ERR(mprotect(n, pg, 0x1000), EINVAL, "mprotect_bad_prot");
	/* Protection keys: key -1 is plain mprotect; a key never allocated (15)
	 * and bad pkey_alloc flags are EINVAL, with or without PKU. */
	CHECK_EQ(syscall(SYS_pkey_mprotect, n, pg, PROT_READ | PROT_WRITE, -1), 0,
		 "pkey_mprotect_minus_one");
	n[11] = 'y';
	CHECK_ERR(syscall(SYS_pkey_mprotect, n, pg, PROT_READ, 15), EINVAL, "pkey_mprotect_unallocated");
	CHECK_ERR(syscall(SYS_pkey_free, 15), EINVAL, "pkey_free_unallocated");
	CHECK_ERR(syscall(SYS_pkey_alloc, 1, 0), EINVAL, "pkey_alloc_bad_flags");
	CHECK_EQ(mprotect(n, pg, PROT_READ), 0, "mprotect_ro_again");
	munmap(n, 2 * pg);
	CHECK_ERR(mprotect(n, pg, PROT_READ), ENOMEM, "mprotect_unmapped");

	/* Argument errors. */
	CHECK_ERR(mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), EINVAL, "len_zero_einval");
	CHECK_ERR(mmap((char *)opaque((long)p) + 1, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0),
		  EINVAL, "fixed_unaligned_einval");
	CHECK_ERR(mmap(NULL, pg, PROT_READ, MAP_ANONYMOUS, -1, 0), EINVAL, "no_private_or_shared_einval");
	CHECK_ERR(mmap(NULL, pg, PROT_READ, MAP_PRIVATE, -1, 0), EBADF, "file_fd_minus_one_ebadf");
	CHECK_ERR(mmap(NULL, pg, PROT_READ, MAP_PRIVATE, 9999, 0), EBADF, "file_bad_fd_ebadf");
	CHECK_ERR(mmap(NULL, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 1), EINVAL, "unaligned_offset_einval");
	CHECK_ERR(mmap(NULL, (size_t)-4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), ENOMEM, "huge_len_enomem");

	/* A hint is only a hint, but the result must be usable. */
	char *h;
	CHECK_OK(h = mmap((void *)0x200000000000, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
		 "hint_address");
	if (h != MAP_FAILED) {
		h[0] = 1;
		munmap(h, pg);
	}

	/* A large sparse mapping. */
	char *big;
	CHECK_OK(big = mmap(NULL, 256UL << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
		 "large_256mb");
	if (big != MAP_FAILED) {
		for (long i = 0; i < (256L << 20); i += 16L << 20)
			big[i] = (char)(i >> 20);
		int okb = 1;
		for (long i = 0; i < (256L << 20); i += 16L << 20)
			okb &= big[i] == (char)(i >> 20) && big[i + 1] == 0;
		CHECK(okb, "large_sparse_touch");
		CHECK_EQ(munmap(big, 256UL << 20), 0, "large_munmap");
	}
	/* /dev/zero: anonymous memory, with a file's access checks. */
	int zro = open("/dev/zero", O_RDONLY), zwo = open("/dev/zero", O_WRONLY);
	SETUP(zro);
	SETUP(zwo);
	char *z = mmap(NULL, pg, PROT_READ, MAP_SHARED, zro, 0);
	if (CHECK_OK(z, "dev_zero_shared_readonly_fd")) {
		CHECK_ERR(mprotect(z, pg, PROT_READ | PROT_WRITE), EACCES, "dev_zero_shared_ro_mprotect_eacces");
		munmap(z, pg);
	}
	CHECK_ERR(mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, zro, 0), EACCES,
		  "dev_zero_shared_write_ro_fd_eacces");
	CHECK_ERR(mmap(NULL, pg, PROT_READ, MAP_PRIVATE, zwo, 0), EACCES, "dev_zero_wronly_fd_eacces");
	z = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, zro, 0);
	if (CHECK_OK(z, "dev_zero_private_write")) {
		z[5] = 1;
		CHECK(z[5] == 1 && z[6] == 0, "dev_zero_private_is_anonymous");
		munmap(z, pg);
	}
	close(zro);
	close(zwo);
	close(probe_fd);
	return conf_exit();
}
