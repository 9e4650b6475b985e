/* /dev/null. */
#include "conformance.h"
#include <sys/sysmacros.h>
#include <sys/uio.h>

int main(void)
{
	char buf[64];
	struct stat st;
	int fd;
	CHECK_OK(fd = open("/dev/null", O_RDWR), "open_rdwr");
	CHECK_EQ(read(fd, buf, sizeof buf), 0, "read_eof");
	CHECK_EQ(write(fd, "hello", 5), 5, "write");
	static char big[1 << 20];
	CHECK_EQ(write(fd, big, sizeof big), sizeof big, "write_1mb");
	struct iovec iov[2] = { { "ab", 2 }, { "cde", 3 } };
	CHECK_EQ(writev(fd, iov, 2), 5, "writev");
	CHECK_EQ(pread(fd, buf, 10, 100), 0, "pread_eof");
	CHECK_EQ(pwrite(fd, "x", 1, 100), 1, "pwrite");
	CHECK_EQ(lseek(fd, 1000, SEEK_SET), 0, "lseek_zero");
	CHECK_OK(fstat(fd, &st), "fstat");
	CHECK(S_ISCHR(st.st_mode), "is_chr");
	CHECK(major(st.st_rdev) == 1 && minor(st.st_rdev) == 3, "rdev_1_3");
	CHECK_EQ(st.st_size, 0, "size_zero");
	close(fd);
	CHECK_OK(stat("/dev/null", &st), "stat");
	CHECK_EQ(st.st_mode & 0777, 0666, "mode_0666");
	CHECK_EQ(access("/dev/null", R_OK | W_OK), 0, "access_rw");
	CHECK_OK(fd = open("/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644), "open_creat_trunc_existing");
	close(fd);
	fd = open("/dev/null", O_WRONLY | O_APPEND);
	CHECK_EQ(write(fd, "x", 1), 1, "write_append");
	close(fd);
	CHECK_ERR(open("/dev/null", O_RDONLY | O_DIRECTORY), ENOTDIR, "o_directory_enotdir");
	CHECK_ERR(open("/dev/null/x", O_RDONLY), ENOTDIR, "as_component_enotdir");
	return conf_exit();
}
