/* mremap. */
#include "conformance.h"
#include <sys/mman.h>

int main(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	SETUP(p == MAP_FAILED ? -1 : 0);
	for (long i = 0; i < 2 * pg; i++)
		p[i] = (char)i;

	char *q;
	CHECK_OK(q = mremap(p, 2 * pg, 64 * pg, MREMAP_MAYMOVE), "grow_maymove");
	SETUP(q);
	int same = 1;
	for (long i = 0; i < 2 * pg; i++)
		same &= q[i] == (char)i;
	CHECK(same, "grow_keeps_content");
	CHECK(q[64 * pg - 1] == 0, "grow_new_part_zero");
	q[64 * pg - 1] = 5;

	char *s = mremap(q, 64 * pg, pg, 0);
	CHECK_EQ(s, q, "shrink_in_place");
	SETUP(s);
	CHECK(s[0] == 0 && s[1] == 1, "shrink_keeps_content");
	CHECK_ERR(mprotect(q + pg, pg, PROT_READ), ENOMEM, "shrink_unmaps_tail");
	munmap(s, pg);

	/* Growing without MAYMOVE fails if the next page is taken. */
	p = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK_ERR(mremap(p, pg, 2 * pg, 0), ENOMEM, "grow_blocked_enomem");
	/* ...and succeeds in place if it is free. */
	munmap(p + pg, 2 * pg);
	p[0] = 'k';
	q = mremap(p, pg, 3 * pg, 0);
	CHECK(q == p && q[0] == 'k', "grow_in_place");
	if (q != MAP_FAILED)
		q[3 * pg - 1] = 1;

	/* MREMAP_FIXED moves to a chosen address. */
	char *dst = mmap(NULL, 3 * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *f = mremap(p, 3 * pg, 3 * pg, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	CHECK(f == dst && f[0] == 'k', "fixed_move");
	CHECK_ERR(mprotect(p, pg, PROT_READ), ENOMEM, "fixed_move_old_unmapped");

	/* Errors. */
	CHECK_ERR(mremap(dst + 1, pg, 2 * pg, MREMAP_MAYMOVE), EINVAL, "unaligned_einval");
	CHECK_ERR(mremap(dst, pg, 2 * pg, 0x80), EINVAL, "bad_flags_einval");
	CHECK_ERR(mremap(dst, pg, 0, MREMAP_MAYMOVE), EINVAL, "new_size_zero_einval");
	CHECK_ERR(mremap(dst, pg, pg, MREMAP_FIXED, dst + 8 * pg), EINVAL, "fixed_without_maymove_einval");
	munmap(dst, 3 * pg);
	CHECK_ERR(mremap(dst, pg, 2 * pg, MREMAP_MAYMOVE), EFAULT, "unmapped_efault");

	/* After a fork, memory both sides wrote to grows and moves whole (apt's cache). */
	size_t big = 24 << 20;
	char *m = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (size_t o = 0; o < big; o += 4096)
		m[o] = (char)(o >> 12);
	pid_t pid = fork();
	if (pid == 0) {
		m[5 << 20] = 'c';
		_exit(0);
	}
	for (size_t o = 0; o < big; o += 3 << 20)
		m[o + 1] = 'p';         /* copy-on-write breaks here and there */
	char *g = mremap(m, big, big + (1 << 20), MREMAP_MAYMOVE);
	same = g != MAP_FAILED;
	for (size_t o = 0; same && o < big; o += 4096)
		same = g[o] == (char)(o >> 12) && (o % (3 << 20) || g[o + 1] == 'p');
	CHECK(same, "grow_after_fork_keeps_bytes");
	int st;
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st), "fork_child_exit");
	/* Two adjacent anonymous mappings alike are one mapping (Linux merges them). */
	char *a = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(a + 2 * pg, 2 * pg);
	char *b = mmap(a + 2 * pg, 2 * pg, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	a[0] = 'a';
	b[pg] = 'b';
	char *n = mremap(a, 4 * pg, 8 * pg, MREMAP_MAYMOVE);
	CHECK(n != MAP_FAILED && n[0] == 'a' && n[3 * pg] == 'b' && n[7 * pg] == 0,
	      "grow_over_two_adjacent_mappings");
	/* Different protections stay different mappings. */
	char *c = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	mprotect(c + pg, pg, PROT_READ);
	CHECK_ERR(mremap(c, 2 * pg, 4 * pg, MREMAP_MAYMOVE), EFAULT, "grow_over_two_protections_efault");
	return conf_exit();
}
