/* getrusage (SELF, CHILDREN, THREAD accepted, bad who EINVAL, EFAULT) and
 * prlimit/RLIMIT_NOFILE enforced in forked children: open, dup, pipe and
 * F_DUPFD fail once the limit is reached (EMFILE/EINVAL/EBADF), prlimit on
 * another process, soft above hard (EINVAL), raising the hard limit without
 * CAP_SYS_RESOURCE (EPERM), unknown pid (ESRCH), bad resource (EINVAL). */
#include "conformance.h"
#include <sys/resource.h>

int main(void)
{
	struct rusage ru;
	memset(&ru, 0xff, sizeof ru);
	CHECK_EQ(getrusage(RUSAGE_SELF, &ru), 0, "getrusage_self");
	CHECK(ru.ru_maxrss > 0, "self_maxrss_positive");
	CHECK(ru.ru_utime.tv_usec >= 0 && ru.ru_utime.tv_usec < 1000000, "self_utime_normalized");
	CHECK_EQ(getrusage(RUSAGE_CHILDREN, &ru), 0, "getrusage_children");
	CHECK_EQ(getrusage(RUSAGE_THREAD, &ru), 0, "getrusage_thread");
	CHECK_ERR(getrusage(opaque(5), &ru), EINVAL, "getrusage_bad_who_einval");
	CHECK_ERR(getrusage(opaque(-3), &ru), EINVAL, "getrusage_who_minus3_einval");
	CHECK_ERR(getrusage(RUSAGE_SELF, BAD_PTR), EFAULT, "getrusage_bad_ptr_efault");

	/* A reaped child that touched memory shows up in RUSAGE_CHILDREN. */
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		size_t n = 16 << 20;
		char *m = malloc(n);
		if (!m)
			_exit(1);
		for (size_t i = 0; i < n; i += 4096)
			m[i] = 1;
		_exit(0);
	}
	check_child_ok(pid, "rss_child");
	CHECK_EQ(getrusage(RUSAGE_CHILDREN, &ru), 0, "getrusage_children_after");
	CHECK(ru.ru_maxrss >= 16 * 1024, "children_maxrss_includes_child");

	/* RLIMIT_NOFILE lowered in a child. */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		conf_failures = 0;
		for (int fd = 3; fd < 64; fd++)
			close(fd);
		struct rlimit rl = { 8, 8 }, old;
		CHECK_EQ(prlimit(0, RLIMIT_NOFILE, &rl, &old), 0, "prlimit_lower_nofile");
		CHECK(old.rlim_cur >= 64, "old_limit_returned");
		int last = -1, n = 0;
		for (;;) {
			int fd = open("/dev/null", O_RDONLY);
			if (fd < 0)
				break;
			last = fd;
			n++;
		}
		CHECK_EQ(last, 7, "opens_up_to_limit_minus_1");
		CHECK_ERR(open("/dev/null", O_RDONLY), EMFILE, "open_at_limit_emfile");
		CHECK_ERR(dup(0), EMFILE, "dup_at_limit_emfile");
		int p[2];
		CHECK_ERR(pipe(p), EMFILE, "pipe_at_limit_emfile");
		CHECK_ERR(dup2(0, 8), EBADF, "dup2_beyond_limit_ebadf");
		CHECK_ERR(fcntl(0, F_DUPFD, 8), EINVAL, "f_dupfd_beyond_limit_einval");
		close(5);
		CHECK_EQ(open("/dev/null", O_RDONLY), 5, "open_after_close_reuses");
		close(6);
		CHECK_ERR(pipe(p), EMFILE, "pipe_needs_two_when_one_free");
		close(7);
		CHECK_EQ(pipe(p), 0, "pipe_ok_with_two_free");
		struct rlimit g;
		CHECK_EQ(getrlimit(RLIMIT_NOFILE, &g), 0, "getrlimit_after_prlimit");
		CHECK(g.rlim_cur == 8 && g.rlim_max == 8, "getrlimit_reads_back");
		CHECK_ERR(setrlimit(RLIMIT_NOFILE, &(struct rlimit){ 9, 8 }), EINVAL, "soft_above_hard_einval");
		CHILD_DONE();
	}
	check_child_ok(pid, "nofile_child");

	/* prlimit on another process: the parent sets a child's limit. */
	int go[2];
	SETUP(pipe(go));
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		char c;
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(2);
		struct rlimit g;
		getrlimit(RLIMIT_NOFILE, &g);
		_exit(g.rlim_cur == 20 && g.rlim_max == 30 ? 0 : 1);
	}
	close(go[0]);
	struct rlimit rl = { 20, 30 }, old;
	CHECK_EQ(prlimit(pid, RLIMIT_NOFILE, &rl, &old), 0, "prlimit_other_process");
	CHECK_EQ(prlimit(pid, RLIMIT_NOFILE, NULL, &old), 0, "prlimit_read_other");
	CHECK(old.rlim_cur == 20 && old.rlim_max == 30, "prlimit_other_reads_back");
	SETUP(write(go[1], "g", 1));
	close(go[1]);
	check_child_ok(pid, "child_sees_prlimit");
	CHECK_ERR(prlimit(999999999, RLIMIT_NOFILE, NULL, &old), ESRCH, "prlimit_unknown_pid_esrch");
	CHECK_ERR(prlimit(0, (enum __rlimit_resource)opaque(99), NULL, &old), EINVAL, "prlimit_bad_resource_einval");
	CHECK_ERR(prlimit(0, RLIMIT_NOFILE, &(struct rlimit){ 10, 5 }, NULL), EINVAL, "prlimit_soft_above_hard_einval");

	/* Without privilege the hard limit cannot be raised. */
	if (geteuid() == 0) {
		fflush(stdout);
		pid = fork();
		if (pid == 0) {
			conf_failures = 0;
			setrlimit(RLIMIT_NOFILE, &(struct rlimit){ 50, 100 });
			if (setresuid(1000, 1000, 1000) != 0)
				_exit(2);
			CHECK_ERR(setrlimit(RLIMIT_NOFILE, &(struct rlimit){ 50, 101 }), EPERM, "raise_hard_unprivileged_eperm");
			CHECK_EQ(setrlimit(RLIMIT_NOFILE, &(struct rlimit){ 100, 100 }), 0, "raise_soft_to_hard_ok");
			CHECK_EQ(setrlimit(RLIMIT_NOFILE, &(struct rlimit){ 40, 60 }), 0, "lower_hard_ok");
			CHECK_ERR(setrlimit(RLIMIT_NOFILE, &(struct rlimit){ 40, 61 }), EPERM, "raise_lowered_hard_eperm");
			CHILD_DONE();
		}
		check_child_ok(pid, "unprivileged_child");
	}
	return conf_exit();
}
