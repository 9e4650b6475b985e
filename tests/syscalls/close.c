/* close: EBADF, double close, reuse of the number. */
#include "conformance.h"

int main(void)
{
	int fd = open(T("f"), O_RDWR | O_CREAT, 0644);
	SETUP(fd);
	CHECK_EQ(close(fd), 0, "close");
	CHECK_ERR(close(fd), EBADF, "double_close");
	CHECK_ERR(close(-1), EBADF, "close_negative");
	CHECK_ERR(close(100000), EBADF, "close_huge");
	CHECK_ERR(fcntl(fd, F_GETFD), EBADF, "closed_is_invalid");
	int fd2 = open(T("f"), O_RDONLY);
	CHECK_EQ(fd2, fd, "number_reused");
	/* Closing one dup leaves the other open. */
	int d = dup(fd2);
	close(fd2);
	char c;
	CHECK_EQ(read(d, &c, 1), 0, "dup_survives_close");
	close(d);
	/* close_range over a range closes all of them. */
	int a = open(T("f"), O_RDONLY), b = dup(a), e = dup(a);
	int lo = a < b ? a : b;
	lo = lo < e ? lo : e;
	int hi = a > b ? a : b;
	hi = hi > e ? hi : e;
	CHECK_EQ(syscall(SYS_close_range, lo, hi, 0), 0, "close_range");
	CHECK(fcntl(a, F_GETFD) == -1 && fcntl(b, F_GETFD) == -1 && fcntl(e, F_GETFD) == -1,
	      "close_range_closed");
	CHECK_ERR(syscall(SYS_close_range, 5, 4, 0), EINVAL, "close_range_inverted");
	return conf_exit();
}
