/* epoll basics: create/ctl errors, level- and edge-triggered readiness,
 * EPOLLONESHOT and re-arming with EPOLL_CTL_MOD, EPOLLRDHUP/EPOLLHUP on a
 * pipe whose writer closed, data passed back, timeouts, maxevents rules,
 * epoll_pwait with a signal mask.
 */
#include "conformance.h"
#include <signal.h>
#include <sys/epoll.h>
#include <time.h>

static int ctl(int ep, int op, int fd, uint32_t ev, uint64_t data)
{
	struct epoll_event e = { .events = ev, .data.u64 = data };
	return epoll_ctl(ep, op, fd, &e);
}

static long long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

int main(void)
{
	int ep, p[2], devnull;
	CHECK_ERR(epoll_create(0), EINVAL, "create_size_0_einval");
	CHECK_ERR(epoll_create1(0x1234), EINVAL, "create1_bad_flags_einval");
	SETUP(ep = epoll_create1(EPOLL_CLOEXEC));
	CHECK_EQ(fcntl(ep, F_GETFD), FD_CLOEXEC, "create1_cloexec");
	SETUP(pipe(p));
	SETUP(devnull = open("/dev/null", O_RDONLY));
	int reg;
	SETUP(reg = open(T("f"), O_RDWR | O_CREAT, 0600));

	/* ---- ctl errors ---- */
	CHECK_ERR(ctl(ep, EPOLL_CTL_ADD, 9999, EPOLLIN, 0), EBADF, "add_bad_fd_ebadf");
	CHECK_ERR(ctl(p[0], EPOLL_CTL_ADD, p[1], EPOLLIN, 0), EINVAL, "ctl_on_non_epoll_einval");
	CHECK_ERR(ctl(ep, EPOLL_CTL_ADD, reg, EPOLLIN, 0), EPERM, "regular_file_eperm");
	CHECK_ERR(ctl(ep, EPOLL_CTL_MOD, p[0], EPOLLIN, 0), ENOENT, "mod_missing_enoent");
	CHECK_ERR(ctl(ep, EPOLL_CTL_DEL, p[0], EPOLLIN, 0), ENOENT, "del_missing_enoent");
	CHECK_ERR(ctl(ep, 42, p[0], EPOLLIN, 0), EINVAL, "bad_op_einval");
	CHECK_EQ(ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN, 7), 0, "add_pipe");
	CHECK_ERR(ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN, 7), EEXIST, "add_twice_eexist");
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, p[1], (struct epoll_event *)8), EFAULT, "add_bad_event_efault");

	struct epoll_event ev[8];
	CHECK_ERR(epoll_wait(ep, ev, 0, 0), EINVAL, "maxevents_0_einval");
	CHECK_ERR(epoll_wait(p[0], ev, 1, 0), EINVAL, "wait_on_non_epoll_einval");
	CHECK_EQ(epoll_wait(ep, ev, 8, 0), 0, "nothing_ready");
	long long t0 = now_ms();
	CHECK_EQ(epoll_wait(ep, ev, 8, 50), 0, "timeout_expires");
	CHECK(now_ms() - t0 >= 45, "timeout_waited");

	/* ---- level-triggered ---- */
	CHECK_EQ(write(p[1], "ab", 2), 2, "write");
	CHECK_EQ(epoll_wait(ep, ev, 8, 0), 1, "lt_ready");
	CHECK_EQ(ev[0].events, EPOLLIN, "lt_events");
	CHECK_EQ(ev[0].data.u64, 7, "lt_data");
	CHECK_EQ(epoll_wait(ep, ev, 8, 0), 1, "lt_still_ready");

	/* ---- edge-triggered ---- */
	CHECK_EQ(ctl(ep, EPOLL_CTL_MOD, p[0], EPOLLIN | EPOLLET, 8), 0, "mod_to_et");
	CHECK_EQ(epoll_wait(ep, ev, 8, 0), 1, "et_reports_after_mod");
	CHECK_EQ(epoll_wait(ep, ev, 8, 0), 0, "et_quiet_without_change");
	CHECK_EQ(write(p[1], "c", 1), 1, "write_more");
	CHECK_EQ(epoll_wait(ep, ev, 8, 0), 1, "et_reports_new_data");
	CHECK_EQ(ev[0].data.u64, 8, "et_data");
	char buf[8];
	CHECK_EQ(read(p[0], buf, sizeof buf), 3, "drain");

	/* ---- oneshot ---- */
	CHECK_EQ(ctl(ep, EPOLL_CTL_MOD, p[0], EPOLLIN | EPOLLONESHOT, 9), 0, "mod_oneshot");
	CHECK_EQ(write(p[1], "d", 1), 1, "write_oneshot");
	CHECK_EQ(epoll_wait(ep, ev, 8, 0), 1, "oneshot_fires");
	CHECK_EQ(epoll_wait(ep, ev, 8, 0), 0, "oneshot_disabled");
	CHECK_EQ(ctl(ep, EPOLL_CTL_MOD, p[0], EPOLLIN | EPOLLONESHOT, 10), 0, "oneshot_rearm");
	CHECK_EQ(epoll_wait(ep, ev, 8, 0), 1, "oneshot_fires_again");
	CHECK_EQ(ev[0].data.u64, 10, "rearm_data");
	CHECK_EQ(read(p[0], buf, sizeof buf), 1, "drain_oneshot");

	/* ---- several fds, maxevents ---- */
	CHECK_EQ(ctl(ep, EPOLL_CTL_MOD, p[0], EPOLLIN, 1), 0, "mod_plain");
	CHECK_EQ(ctl(ep, EPOLL_CTL_ADD, p[1], EPOLLOUT, 2), 0, "add_write_end");
	CHECK_ERR(ctl(ep, EPOLL_CTL_ADD, devnull, EPOLLIN, 3), EPERM, "dev_null_eperm");
	CHECK_EQ(write(p[1], "e", 1), 1, "write_for_two");
	CHECK_EQ(epoll_wait(ep, ev, 8, 0), 2, "two_ready");
	CHECK_EQ(epoll_wait(ep, ev, 1, 0), 1, "maxevents_1");
	CHECK_EQ(read(p[0], buf, sizeof buf), 1, "drain_two");

	/* ---- hang-up ---- */
	CHECK_EQ(ctl(ep, EPOLL_CTL_DEL, p[1], 0, 0), 0, "del_write_end");
	CHECK_EQ(ctl(ep, EPOLL_CTL_MOD, p[0], EPOLLIN | EPOLLRDHUP, 1), 0, "mod_rdhup");
	close(p[1]);
	CHECK_EQ(epoll_wait(ep, ev, 8, 0), 1, "hup_ready");
	CHECK_EQ(ev[0].events, EPOLLHUP, "pipe_hup_events");

	/* ---- a closed fd leaves the set ---- */
	close(p[0]);
	CHECK_EQ(epoll_wait(ep, ev, 8, 0), 0, "closed_fd_removed");

	/* ---- epoll_pwait blocks a signal while waiting ---- */
	sigset_t block;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	CHECK_EQ(epoll_pwait(ep, ev, 8, 0, &block), 0, "pwait_with_mask");
	CHECK_ERR(syscall(SYS_epoll_pwait, ep, ev, 8, 0, &block, 4), EINVAL, "pwait_bad_sigsetsize_einval");
	return conf_exit();
}
