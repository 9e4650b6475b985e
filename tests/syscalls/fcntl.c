/* fcntl basics: F_DUPFD, F_GETFD/SETFD, F_GETFL/SETFL. */
#include "conformance.h"
#include <sys/resource.h>

int main(void)
{
	int fd = open(T("f"), O_RDWR | O_CREAT, 0644);
	SETUP(fd);

	CHECK_EQ(fcntl(fd, F_DUPFD, 20), 20, "dupfd_min");
	CHECK_EQ(fcntl(fd, F_DUPFD, 20), 21, "dupfd_next_free");
	CHECK_EQ(fcntl(20, F_GETFD), 0, "dupfd_no_cloexec");
	CHECK_EQ(fcntl(fd, F_DUPFD_CLOEXEC, 20), 22, "dupfd_cloexec");
	CHECK_EQ(fcntl(22, F_GETFD), FD_CLOEXEC, "dupfd_cloexec_set");
	int low = fcntl(fd, F_DUPFD, 0);
	CHECK(low >= 0 && low < 20, "dupfd_zero_lowest");
	close(low);
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	CHECK_ERR(fcntl(fd, F_DUPFD, (int)rl.rlim_cur), EINVAL, "dupfd_at_rlimit");
	CHECK_ERR(fcntl(fd, F_DUPFD, -1), EINVAL, "dupfd_negative");

	CHECK_EQ(fcntl(fd, F_SETFD, FD_CLOEXEC), 0, "setfd");
	CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC, "getfd_after_set");
	CHECK_EQ(fcntl(20, F_GETFD), 0, "setfd_is_per_descriptor");
	fcntl(fd, F_SETFD, 0);
	CHECK_EQ(fcntl(fd, F_GETFD), 0, "setfd_clear");

	int fl = fcntl(fd, F_GETFL);
	CHECK_EQ(fl & O_ACCMODE, O_RDWR, "getfl_accmode");
	CHECK(!(fl & O_APPEND), "getfl_no_append");
	CHECK(fl & 0100000, "getfl_largefile_on_64bit");
	CHECK_EQ(fcntl(fd, F_SETFL, fl | O_APPEND), 0, "setfl_append");
	CHECK(fcntl(fd, F_GETFL) & O_APPEND, "getfl_append");
	CHECK(fcntl(20, F_GETFL) & O_APPEND, "setfl_shared_by_dup");
	write(fd, "abc", 3);
	lseek(fd, 0, SEEK_SET);
	write(fd, "d", 1);
	char buf[8] = { 0 };
	pread(fd, buf, sizeof buf - 1, 0);
	CHECK_STR(buf, "abcd", "setfl_append_effective");
	/* The access mode cannot be changed with F_SETFL. */
	fcntl(fd, F_SETFL, O_RDONLY);
	CHECK_EQ(fcntl(fd, F_GETFL) & (O_ACCMODE | O_APPEND), O_RDWR, "setfl_ignores_accmode");
	int ro = open(T("f"), O_RDONLY);
	CHECK_EQ(fcntl(ro, F_GETFL) & O_ACCMODE, O_RDONLY, "getfl_rdonly");
	int wo = open(T("f"), O_WRONLY);
	CHECK_EQ(fcntl(wo, F_GETFL) & O_ACCMODE, O_WRONLY, "getfl_wronly");
	close(ro);
	close(wo);
	int nb = open(T("f"), O_RDONLY | O_NONBLOCK);
	CHECK(fcntl(nb, F_GETFL) & O_NONBLOCK, "getfl_nonblock");
	close(nb);

	CHECK_ERR(fcntl(9999, F_GETFD), EBADF, "getfd_ebadf");
	CHECK_ERR(fcntl(9999, F_GETFL), EBADF, "getfl_ebadf");
	CHECK_ERR(fcntl(9999, F_DUPFD, 0), EBADF, "dupfd_ebadf");
	CHECK_ERR(fcntl(fd, 12345), EINVAL, "bad_cmd");

	close(20);
	close(21);
	close(22);
	close(fd);
	return conf_exit();
}
