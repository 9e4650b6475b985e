/* /dev/urandom and /dev/random. */
#include "conformance.h"
#include <sys/sysmacros.h>

int main(void)
{
	struct stat st;
	unsigned char a[64] = { 0 }, b[64] = { 0 };
	int fd;
	CHECK_OK(fd = open("/dev/urandom", O_RDONLY), "open");
	CHECK_EQ(read(fd, a, sizeof a), sizeof a, "read");
	CHECK_EQ(read(fd, b, sizeof b), sizeof b, "read_again");
	int nz = 0;
	for (size_t i = 0; i < sizeof a; i++)
		nz |= a[i];
	CHECK(nz, "not_all_zero");
	CHECK(memcmp(a, b, sizeof a) != 0, "reads_differ");
	static unsigned char big[1 << 20];
	ssize_t got = 0;
	while (got < (ssize_t)sizeof big) {
		ssize_t r = read(fd, big + got, sizeof big - got);
		if (r <= 0)
			break;
		got += r;
	}
	CHECK_EQ(got, sizeof big, "read_1mb");
	fstat(fd, &st);
	CHECK(S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 && minor(st.st_rdev) == 9, "chr_1_9");
	CHECK_ERR(read(fd, BAD_PTR, 16), EFAULT, "read_efault");
	close(fd);

	fd = open("/dev/urandom", O_WRONLY);
	CHECK_EQ(write(fd, "entropy!", 8), 8, "write_accepted");
	close(fd);

	CHECK_OK(fd = open("/dev/random", O_RDONLY | O_NONBLOCK), "open_random");
	CHECK_EQ(read(fd, a, 16), 16, "read_random");
	fstat(fd, &st);
	CHECK(S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 && minor(st.st_rdev) == 8, "random_chr_1_8");
	close(fd);
	return conf_exit();
}
