/* dup/dup2/dup3. */
#include "conformance.h"
#include <sys/resource.h>

int main(void)
{
	int fd = open(T("f"), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	SETUP(fd);
	write(fd, "abcdef", 6);

	int d = dup(fd);
	CHECK(d >= 0 && d != fd, "dup");
	CHECK_EQ(fcntl(d, F_GETFD), 0, "dup_clears_cloexec");
	lseek(fd, 2, SEEK_SET);
	CHECK_EQ(lseek(d, 0, SEEK_CUR), 2, "dup_shares_offset");
	int fl = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, fl | O_APPEND);
	CHECK(fcntl(d, F_GETFL) & O_APPEND, "dup_shares_status_flags");
	fcntl(fd, F_SETFL, fl);
	CHECK_ERR(dup(9999), EBADF, "dup_ebadf");

	CHECK_EQ(dup2(fd, 50), 50, "dup2");
	CHECK_EQ(lseek(50, 0, SEEK_CUR), 2, "dup2_shares_offset");
	CHECK_EQ(fcntl(50, F_GETFD), 0, "dup2_clears_cloexec");
	/* dup2 onto an open descriptor closes it silently. */
	int other = open(T("g"), O_RDWR | O_CREAT, 0644);
	CHECK_EQ(dup2(fd, other), other, "dup2_replace");
	CHECK_EQ(lseek(other, 0, SEEK_CUR), 2, "dup2_replace_refers_new");
	CHECK_EQ(dup2(fd, fd), fd, "dup2_same");
	CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC, "dup2_same_keeps_cloexec");
	CHECK_ERR(dup2(9999, 51), EBADF, "dup2_bad_old");
	CHECK_ERR(dup2(9999, 9999), EBADF, "dup2_same_bad");
	CHECK_ERR(dup2(fd, -1), EBADF, "dup2_negative_new");
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	CHECK_ERR(dup2(fd, (int)rl.rlim_cur), EBADF, "dup2_new_at_rlimit");

	CHECK_EQ(dup3(fd, 60, O_CLOEXEC), 60, "dup3_cloexec");
	CHECK_EQ(fcntl(60, F_GETFD), FD_CLOEXEC, "dup3_cloexec_set");
	CHECK_EQ(dup3(fd, 61, 0), 61, "dup3_noflags");
	CHECK_EQ(fcntl(61, F_GETFD), 0, "dup3_cloexec_clear");
	CHECK_ERR(dup3(fd, fd, 0), EINVAL, "dup3_same_fd");
	CHECK_ERR(dup3(fd, 62, O_APPEND), EINVAL, "dup3_bad_flags");
	CHECK_ERR(dup3(9999, 62, 0), EBADF, "dup3_bad_old");

	close(d);
	close(50);
	close(60);
	close(61);
	close(other);
	close(fd);
	return conf_exit();
}
