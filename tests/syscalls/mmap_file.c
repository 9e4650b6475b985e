/* File-backed MAP_PRIVATE mappings. */
#include "conformance.h"
#include <sys/mman.h>

int main(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t size = 2 * pg + 100;
	char *data = malloc(size);
	for (size_t i = 0; i < size; i++)
		data[i] = (char)('a' + i % 26);
	int fd = open(T("f"), O_RDWR | O_CREAT, 0644);
	SETUP(fd);
	SETUP(write(fd, data, size));

	char *m;
	CHECK_OK(m = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0), "map_private_ro");
	SETUP(m);
	CHECK(memcmp(m, data, size) == 0, "sees_content");
	int zero = 1;
	for (long i = size; i < 3 * pg; i++)
		zero &= m[i] == 0;
	CHECK(zero, "tail_of_last_page_zero");
	munmap(m, size);

	m = mmap(NULL, pg, PROT_READ, MAP_PRIVATE, fd, pg);
	CHECK(m != MAP_FAILED && memcmp(m, data + pg, pg) == 0, "offset_mapping");
	munmap(m, pg);

	CHECK_OK(m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0), "map_private_rw");
	SETUP(m);
	memcpy(m, "CHANGED", 7);
	m[2 * pg] = '!';
	CHECK(memcmp(m, "CHANGED", 7) == 0 && m[2 * pg] == '!', "private_write_visible_in_map");
	char buf[8] = { 0 };
	pread(fd, buf, 7, 0);
	CHECK(memcmp(buf, data, 7) == 0, "private_write_not_in_file");
	pread(fd, buf, 1, 2 * pg);
	CHECK(buf[0] == data[2 * pg], "private_write_not_in_file_page3");
	/* A second private mapping does not see the first one's writes. */
	char *m2 = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	CHECK(m2 != MAP_FAILED && memcmp(m2, data, 7) == 0, "private_maps_independent");
	munmap(m2, size);
	munmap(m, size);

	/* The mapping outlives the descriptor. */
	int fd2 = open(T("f"), O_RDONLY);
	m = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd2, 0);
	close(fd2);
	CHECK(m != MAP_FAILED && memcmp(m, data, size) == 0, "survives_close");
	munmap(m, size);

	/* PROT_WRITE on a read-only fd is fine for MAP_PRIVATE. */
	fd2 = open(T("f"), O_RDONLY);
	CHECK_OK(m = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd2, 0), "private_write_on_rdonly_fd");
	if (m != MAP_FAILED) {
		m[0] = 'Z';
		munmap(m, pg);
	}
	close(fd2);

	/* Errors. */
	int wo = open(T("f"), O_WRONLY);
	CHECK_ERR(mmap(NULL, pg, PROT_READ, MAP_PRIVATE, wo, 0), EACCES, "wronly_fd_eacces");
	close(wo);
	CHECK_ERR(mmap(NULL, pg, PROT_READ, MAP_PRIVATE, fd, 100), EINVAL, "unaligned_offset_einval");
	int dfd = open(conf_tmpdir(), O_RDONLY | O_DIRECTORY);
	CHECK_ERR(mmap(NULL, pg, PROT_READ, MAP_PRIVATE, dfd, 0), ENODEV, "directory_enodev");
	close(dfd);
	CHECK_ERR(mmap(NULL, 0, PROT_READ, MAP_PRIVATE, fd, 0), EINVAL, "len_zero_einval");

	/* MAP_FIXED file mapping over anonymous memory. */
	char *a = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(a, 'X', 2 * pg);
	m = mmap(a + pg, pg, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0);
	CHECK(m == a + pg && memcmp(m, data, pg) == 0 && a[0] == 'X', "fixed_file_over_anon");
	munmap(a, 2 * pg);

	close(fd);
	free(data);
	return conf_exit();
}
