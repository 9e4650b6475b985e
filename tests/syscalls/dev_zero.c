/* /dev/zero. */
#include "conformance.h"
#include <sys/mman.h>
#include <sys/sysmacros.h>

int main(void)
{
	struct stat st;
	static unsigned char buf[1 << 20];
	int fd;
	CHECK_OK(fd = open("/dev/zero", O_RDWR), "open");
	memset(buf, 0xff, sizeof buf);
	CHECK_EQ(read(fd, buf, 100), 100, "read");
	int z = 1;
	for (int i = 0; i < 100; i++)
		z &= buf[i] == 0;
	CHECK(z && buf[100] == 0xff, "read_zeros_exact_len");
	memset(buf, 0xff, sizeof buf);
	CHECK_EQ(read(fd, buf, sizeof buf), sizeof buf, "read_1mb");
	z = 1;
	for (size_t i = 0; i < sizeof buf; i++)
		z &= buf[i] == 0;
	CHECK(z, "read_1mb_zeros");
	CHECK_EQ(write(fd, "abc", 3), 3, "write");
	memset(buf, 0xff, 16);
	CHECK_EQ(pread(fd, buf, 16, 12345), 16, "pread");
	CHECK(buf[0] == 0 && buf[15] == 0, "pread_zeros");
	fstat(fd, &st);
	CHECK(S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 && minor(st.st_rdev) == 5, "chr_1_5");
	CHECK_ERR(read(fd, BAD_PTR, 16), EFAULT, "read_efault");
	long pg = sysconf(_SC_PAGESIZE);
	unsigned char *m;
	CHECK_OK(m = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0), "mmap_private");
	if (m != MAP_FAILED) {
		CHECK(m[0] == 0 && m[4 * pg - 1] == 0, "mmap_zeros");
		m[5] = 1;
		CHECK(m[5] == 1, "mmap_writable");
		munmap(m, 4 * pg);
	}
	close(fd);
	return conf_exit();
}
