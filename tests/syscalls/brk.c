/* brk/sbrk.  Results are collected first and printed at the end, so that
 * stdio's own allocations cannot move the break in between. */
#include "conformance.h"

int main(void)
{
	conf_ok("stdout_ready"); /* allocates stdout's buffer before we begin */
	long pg = sysconf(_SC_PAGESIZE);
	char *cur = (char *)syscall(SYS_brk, 0);
	char *cur2 = (char *)syscall(SYS_brk, 0);
	char *grown = (char *)syscall(SYS_brk, cur + 64 * pg);
	int zero = 1;
	for (char *c = cur; c < cur + 64 * pg; c += 97)
		zero &= *c == 0;
	memset(cur, 'B', 64 * pg);
	int content = cur[0] == 'B' && cur[64 * pg - 1] == 'B';
	char *now = (char *)syscall(SYS_brk, 0);
	char *shrunk = (char *)syscall(SYS_brk, cur + pg);
	char *regrown = (char *)syscall(SYS_brk, cur + 4 * pg);
	int kept = cur[0] == 'B' && cur[pg - 1] == 'B';
	int rezero = cur[pg] == 0 && cur[4 * pg - 1] == 0;
	char *low = (char *)syscall(SYS_brk, (void *)4096);
	char *after_low = (char *)syscall(SYS_brk, 0);
	/* Unaligned requests are allowed; the break is reported as asked. */
	char *odd = (char *)syscall(SYS_brk, cur + 4 * pg + 123);
	odd[-1] = 1;
	char *back = (char *)syscall(SYS_brk, cur);

	/* glibc sbrk on top of that. */
	void *s0 = sbrk(0);
	void *s1 = sbrk(8 * pg);
	void *s2 = sbrk(0);
	memset(s1, 'S', 8 * pg);
	void *s3 = sbrk(-4 * pg);
	void *s4 = sbrk(0);
	char *kern = (char *)syscall(SYS_brk, 0);

	CHECK(cur != NULL && cur2 == cur, "query_stable");
	CHECK(grown == cur + 64 * pg, "grow");
	CHECK(zero, "grow_zero_filled");
	CHECK(content, "grow_read_write");
	CHECK(now == grown, "query_after_grow");
	CHECK(shrunk == cur + pg, "shrink");
	CHECK(regrown == cur + 4 * pg, "regrow");
	CHECK(kept, "shrink_keeps_low_part");
	CHECK(rezero, "regrow_is_zeroed");
	CHECK(low == regrown && after_low == regrown, "too_low_returns_current");
	CHECK(odd == cur + 4 * pg + 123, "unaligned_break");
	CHECK(back == cur, "shrink_to_start");
	CHECK(s0 == cur && s1 == s0, "sbrk_grow_returns_old");
	CHECK(s2 == (char *)s0 + 8 * pg, "sbrk_query_after_grow");
	CHECK(s3 == s2 && s4 == (char *)s0 + 4 * pg, "sbrk_shrink");
	CHECK(kern == s4, "sbrk_matches_kernel");
	return conf_exit();
}
