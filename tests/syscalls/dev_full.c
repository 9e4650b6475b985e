/* /dev/full. */
#include "conformance.h"
#include <sys/sysmacros.h>
#include <sys/uio.h>

int main(void)
{
	struct stat st;
	unsigned char buf[64];
	int fd;
	CHECK_OK(fd = open("/dev/full", O_RDWR), "open");
	CHECK_ERR(write(fd, "x", 1), ENOSPC, "write_enospc");
	CHECK_ERR(write(fd, buf, sizeof buf), ENOSPC, "write_64_enospc");
	struct iovec iov[2] = { { "ab", 2 }, { "c", 1 } };
	CHECK_ERR(writev(fd, iov, 2), ENOSPC, "writev_enospc");
	CHECK_ERR(pwrite(fd, "x", 1, 0), ENOSPC, "pwrite_enospc");
	memset(buf, 0xff, sizeof buf);
	CHECK_EQ(read(fd, buf, sizeof buf), sizeof buf, "read");
	CHECK(buf[0] == 0 && buf[63] == 0, "read_zeros");
	fstat(fd, &st);
	CHECK(S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 && minor(st.st_rdev) == 7, "chr_1_7");
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0, "lseek");
	close(fd);
	fd = open("/dev/full", O_WRONLY);
	CHECK_ERR(write(fd, "", 0), ENOSPC, "write_zero_len_enospc");
	close(fd);
	return conf_exit();
}
