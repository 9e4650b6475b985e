/* getrlimit/setrlimit/prlimit64. */
#include "conformance.h"
#include <sys/resource.h>

int main(void)
{
	struct rlimit rl, orig, got;
	CHECK_EQ(getrlimit(RLIMIT_NOFILE, &orig), 0, "getrlimit_nofile");
	CHECK(orig.rlim_cur <= orig.rlim_max && orig.rlim_cur >= 16, "nofile_sane");
	struct rlimit64 p;
	CHECK_EQ(syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &p), 0, "prlimit64_get");
	CHECK(p.rlim_cur == orig.rlim_cur && p.rlim_max == orig.rlim_max, "prlimit64_matches");
	CHECK_EQ(syscall(SYS_prlimit64, getpid(), RLIMIT_NOFILE, NULL, &p), 0, "prlimit64_self_pid");
	CHECK_EQ(getrlimit(RLIMIT_STACK, &got), 0, "getrlimit_stack");
	CHECK_EQ(getrlimit(RLIMIT_AS, &got), 0, "getrlimit_as");

	/* Lower the soft NOFILE limit and watch open() hit EMFILE. */
	int fd = open(T("f"), O_RDWR | O_CREAT, 0644);
	SETUP(fd);
	rl.rlim_cur = 16;
	rl.rlim_max = orig.rlim_max;
	CHECK_EQ(setrlimit(RLIMIT_NOFILE, &rl), 0, "setrlimit_lower_soft");
	getrlimit(RLIMIT_NOFILE, &got);
	CHECK(got.rlim_cur == 16 && got.rlim_max == orig.rlim_max, "setrlimit_read_back");
	int fds[32], n = 0, last = 0, lasterr = 0;
	for (int i = 0; i < 32; i++) {
		int f = open(T("f"), O_RDONLY);
		if (f < 0) {
			lasterr = errno;
			break;
		}
		fds[n++] = f;
		last = f;
	}
	CHECK_EQ(lasterr, EMFILE, "open_emfile");
	CHECK_EQ(last, 15, "highest_fd_is_limit_minus_one");
	CHECK_ERR(dup(fd), EMFILE, "dup_emfile");
	CHECK_ERR(fcntl(fd, F_DUPFD, 0), EMFILE, "dupfd_emfile");
	CHECK_ERR(dup2(fd, 16), EBADF, "dup2_beyond_limit_ebadf");
	for (int i = 0; i < n; i++)
		close(fds[i]);
	CHECK_OK(fd = dup(fd), "dup_after_close");
	close(fd);

	rl.rlim_cur = orig.rlim_max;
	rl.rlim_max = orig.rlim_max;
	CHECK_EQ(setrlimit(RLIMIT_NOFILE, &rl), 0, "setrlimit_raise_soft_to_hard");
	rl.rlim_cur = 100;
	rl.rlim_max = 50;
	CHECK_ERR(setrlimit(RLIMIT_NOFILE, &rl), EINVAL, "soft_above_hard_einval");
	struct rlimit64 np = { 64, orig.rlim_max }, old;
	CHECK_EQ(syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, &np, &old), 0, "prlimit64_set_and_get");
	CHECK(old.rlim_cur == orig.rlim_max, "prlimit64_old_value");
	getrlimit(RLIMIT_NOFILE, &got);
	CHECK_EQ(got.rlim_cur, 64, "prlimit64_new_value");
	CHECK_ERR(syscall(SYS_prlimit64, 0, 999, NULL, &p), EINVAL, "bad_resource");
	CHECK_ERR(getrlimit(999, &got), EINVAL, "getrlimit_bad_resource");
	CHECK_ERR(syscall(SYS_getrlimit, RLIMIT_NOFILE, BAD_PTR), EFAULT, "getrlimit_efault");
	setrlimit(RLIMIT_NOFILE, &orig);
	return conf_exit();
}
