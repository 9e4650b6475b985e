/* pread64/pwrite64. */
#include "conformance.h"

int main(void)
{
	char buf[32];
	int fd = open(T("f"), O_RDWR | O_CREAT, 0644);
	SETUP(fd);
	write(fd, "0123456789", 10);
	lseek(fd, 4, SEEK_SET);

	memset(buf, 0, sizeof buf);
	CHECK_EQ(pread(fd, buf, 3, 1), 3, "pread");
	CHECK_STR(buf, "123", "pread_content");
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 4, "pread_keeps_offset");
	CHECK_EQ(pread(fd, buf, 10, 8), 2, "pread_short");
	CHECK_EQ(pread(fd, buf, 10, 10), 0, "pread_at_eof");
	CHECK_EQ(pread(fd, buf, 10, 1000), 0, "pread_past_eof");

	CHECK_EQ(pwrite(fd, "ab", 2, 0), 2, "pwrite");
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 4, "pwrite_keeps_offset");
	CHECK_EQ(pwrite(fd, "Z", 1, 15), 1, "pwrite_past_eof");
	struct stat st;
	fstat(fd, &st);
	CHECK_EQ(st.st_size, 16, "pwrite_extends");
	memset(buf, 1, sizeof buf);
	pread(fd, buf, 16, 0);
	CHECK(memcmp(buf, "ab23456789\0\0\0\0\0Z", 16) == 0, "pwrite_hole_zero");

	CHECK_ERR(pread(fd, buf, 1, -1), EINVAL, "pread_neg_offset");
	CHECK_ERR(pwrite(fd, "x", 1, -1), EINVAL, "pwrite_neg_offset");
	CHECK_ERR(pread(fd, BAD_PTR, 4, 0), EFAULT, "pread_efault");
	CHECK_ERR(pwrite(fd, BAD_PTR, 4, 0), EFAULT, "pwrite_efault");
	CHECK_ERR(pread(9999, buf, 1, 0), EBADF, "pread_ebadf");
	CHECK_ERR(pwrite(9999, buf, 1, 0), EBADF, "pwrite_ebadf");
	int dfd = open(conf_tmpdir(), O_RDONLY | O_DIRECTORY);
	CHECK_ERR(pread(dfd, buf, 1, 0), EISDIR, "pread_dir");
	close(dfd);

	int ro = open(T("f"), O_RDONLY);
	CHECK_ERR(pwrite(ro, "x", 1, 0), EBADF, "pwrite_rdonly");
	close(ro);

	/* With O_APPEND, Linux pwrite appends regardless of the offset. */
	int ap = open(T("f"), O_WRONLY | O_APPEND);
	CHECK_EQ(pwrite(ap, "E", 1, 0), 1, "pwrite_append");
	fstat(ap, &st);
	CHECK_EQ(st.st_size, 17, "pwrite_append_at_end");
	close(ap);

	close(fd);
	return conf_exit();
}
