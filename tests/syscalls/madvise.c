/* madvise. */
#include "conformance.h"
#include <sys/mman.h>

int main(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	SETUP(p == MAP_FAILED ? -1 : 0);
	memset(p, 'M', 4 * pg);

	CHECK_EQ(madvise(p + pg, 2 * pg, MADV_DONTNEED), 0, "dontneed");
	CHECK(p[pg] == 0 && p[3 * pg - 1] == 0, "dontneed_zeroes_anon");
	CHECK(p[0] == 'M' && p[3 * pg] == 'M', "dontneed_only_range");
	p[pg] = 'n';
	CHECK(p[pg] == 'n', "dontneed_page_usable");

	CHECK_EQ(madvise(p, 4 * pg, MADV_NORMAL), 0, "normal");
	CHECK_EQ(madvise(p, 4 * pg, MADV_RANDOM), 0, "random");
	CHECK_EQ(madvise(p, 4 * pg, MADV_SEQUENTIAL), 0, "sequential");
	CHECK_EQ(madvise(p, 4 * pg, MADV_WILLNEED), 0, "willneed");
	CHECK(p[0] == 'M', "hints_keep_content");
	CHECK_EQ(madvise(p, 0, MADV_DONTNEED), 0, "len_zero");

	CHECK_ERR(madvise(p, pg, 12345), EINVAL, "bad_advice");
	CHECK_ERR(madvise(p + 1, pg, MADV_NORMAL), EINVAL, "unaligned");
	munmap(p + 2 * pg, pg);
	CHECK_ERR(madvise(p, 4 * pg, MADV_NORMAL), ENOMEM, "range_with_hole_enomem");
	CHECK_ERR(madvise(p + 2 * pg, pg, MADV_DONTNEED), ENOMEM, "unmapped_enomem");
	munmap(p, 4 * pg);

	/* MADV_DONTNEED on a private file mapping drops our changes. */
	SETUP(write_file(T("f"), "file content"));
	int fd = open(T("f"), O_RDONLY);
	char *m = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	SETUP(m == MAP_FAILED ? -1 : 0);
	memcpy(m, "XXXX", 4);
	CHECK_EQ(madvise(m, pg, MADV_DONTNEED), 0, "dontneed_file");
	CHECK(memcmp(m, "file content", 12) == 0, "dontneed_file_reverts");
	munmap(m, pg);
	close(fd);
	return conf_exit();
}
