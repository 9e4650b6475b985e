/* read/write: short reads, EOF, EBADF, EFAULT, EISDIR. */
#include "conformance.h"

int main(void)
{
	char buf[64];
	int fd = open(T("f"), O_RDWR | O_CREAT, 0644);
	SETUP(fd);

	CHECK_EQ(write(fd, "0123456789", 10), 10, "write");
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 10, "write_advances_offset");
	CHECK_EQ(write(fd, "", 0), 0, "write_zero");
	CHECK_EQ(read(fd, buf, sizeof buf), 0, "read_at_eof");
	lseek(fd, 0, SEEK_SET);
	CHECK_EQ(read(fd, buf, 4), 4, "read_partial");
	CHECK(memcmp(buf, "0123", 4) == 0, "read_partial_content");
	CHECK_EQ(read(fd, buf, sizeof buf), 6, "read_short_at_end");
	CHECK(memcmp(buf, "456789", 6) == 0, "read_short_content");
	CHECK_EQ(read(fd, buf, 0), 0, "read_zero");

	/* Overwrite in the middle. */
	lseek(fd, 2, SEEK_SET);
	write(fd, "AB", 2);
	lseek(fd, 0, SEEK_SET);
	memset(buf, 0, sizeof buf);
	read(fd, buf, sizeof buf);
	CHECK_STR(buf, "01AB456789", "overwrite_middle");

	/* Writing past EOF leaves a hole of zeros. */
	lseek(fd, 20, SEEK_SET);
	write(fd, "Z", 1);
	lseek(fd, 10, SEEK_SET);
	memset(buf, 1, sizeof buf);
	CHECK_EQ(read(fd, buf, 20), 11, "read_hole_len");
	int zeros = 1;
	for (int i = 0; i < 10; i++)
		zeros &= buf[i] == 0;
	CHECK(zeros && buf[10] == 'Z', "hole_reads_zero");

	/* Large write and read back. */
	static char big[1 << 20], big2[1 << 20];
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (char)(i * 7 + 3);
	int fd2 = open(T("big"), O_RDWR | O_CREAT, 0644);
	size_t done = 0;
	while (done < sizeof big) {
		ssize_t w = write(fd2, big + done, sizeof big - done);
		if (w <= 0)
			break;
		done += w;
	}
	CHECK_EQ(done, sizeof big, "big_write");
	lseek(fd2, 0, SEEK_SET);
	done = 0;
	while (done < sizeof big2) {
		ssize_t r = read(fd2, big2 + done, sizeof big2 - done);
		if (r <= 0)
			break;
		done += r;
	}
	CHECK(done == sizeof big && memcmp(big, big2, sizeof big) == 0, "big_roundtrip");
	close(fd2);

	/* Errors. */
	CHECK_ERR(read(-1, buf, 1), EBADF, "read_ebadf_neg");
	CHECK_ERR(read(9999, buf, 1), EBADF, "read_ebadf");
	CHECK_ERR(write(9999, buf, 1), EBADF, "write_ebadf");
	lseek(fd, 0, SEEK_SET);
	CHECK_ERR(read(fd, BAD_PTR, 4), EFAULT, "read_efault");
	CHECK_ERR(write(fd, BAD_PTR, 4), EFAULT, "write_efault");
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 0, "efault_keeps_offset");
	int dfd = open(conf_tmpdir(), O_RDONLY | O_DIRECTORY);
	CHECK_ERR(read(dfd, buf, sizeof buf), EISDIR, "read_dir_eisdir");
	close(dfd);
	close(fd);
	CHECK_ERR(read(fd, buf, 1), EBADF, "read_closed");

	/* Two descriptors for the same file have independent offsets. */
	int a = open(T("f"), O_RDONLY), b = open(T("f"), O_RDONLY);
	char c1, c2;
	read(a, &c1, 1);
	read(a, &c1, 1);
	read(b, &c2, 1);
	CHECK(c1 == '1' && c2 == '0', "independent_offsets");
	close(a);
	close(b);

	return conf_exit();
}
