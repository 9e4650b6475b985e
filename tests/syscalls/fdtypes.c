/* eventfd, timerfd, signalfd and epoll: counters, timers, signals and readiness as files. */
#include "conformance.h"
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>

static int ready(int fd, int ms)
{
	struct pollfd p = { fd, POLLIN, 0 };
	return poll(&p, 1, ms);
}

static void test_eventfd(void)
{
	uint64_t v;
	int fd = eventfd(3, EFD_NONBLOCK | EFD_CLOEXEC);
	CHECK(fd >= 0, "eventfd_create");
	CHECK_EQ(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC, "eventfd_cloexec");
	CHECK_EQ(read(fd, &v, 8), 8, "eventfd_read");
	CHECK_EQ(v, 3, "eventfd_initval");
	CHECK_ERR(read(fd, &v, 8), EAGAIN, "eventfd_empty_eagain");
	CHECK_ERR(read(fd, &v, 4), EINVAL, "eventfd_short_read_einval");
	v = 5;
	CHECK_EQ(write(fd, &v, 8), 8, "eventfd_write");
	CHECK_EQ(ready(fd, 0), 1, "eventfd_poll_ready");
	v = ~0ULL;
	CHECK_ERR(write(fd, &v, 8), EINVAL, "eventfd_write_max_einval");
	v = 0xfffffffffffffffeULL;
	CHECK_ERR(write(fd, &v, 8), EAGAIN, "eventfd_overflow_eagain");
	close(fd);
	fd = eventfd(2, EFD_SEMAPHORE);
	CHECK(fd >= 0, "eventfd_semaphore");
	CHECK_EQ(read(fd, &v, 8), 8, "eventfd_sem_read1");
	CHECK_EQ(v, 1, "eventfd_sem_value");
	close(fd);
	CHECK_ERR(eventfd(0, 0x4000000), EINVAL, "eventfd_bad_flags_einval");
}

static void test_timerfd(void)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	CHECK(fd >= 0, "timerfd_create");
	uint64_t n;
	CHECK_ERR(read(fd, &n, 8), EAGAIN, "timerfd_unarmed_eagain");
	struct itimerspec its = { { 0, 10000000 }, { 0, 20000000 } };
	CHECK_OK(timerfd_settime(fd, 0, &its, NULL), "timerfd_settime");
	struct itimerspec cur;
	CHECK_OK(timerfd_gettime(fd, &cur), "timerfd_gettime");
	CHECK_EQ(cur.it_interval.tv_nsec, 10000000, "timerfd_interval_reads_back");
	CHECK_EQ(ready(fd, 2000), 1, "timerfd_fires");
	CHECK_EQ(read(fd, &n, 8), 8, "timerfd_read");
	CHECK(n >= 1, "timerfd_count_positive");
	its.it_value.tv_nsec = -1;
	CHECK_ERR(timerfd_settime(fd, 0, &its, NULL), EINVAL, "timerfd_bad_time_einval");
	CHECK_ERR(timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0), EINVAL, "timerfd_bad_clock_einval");
	CHECK_ERR(timerfd_settime(0, 0, &its, NULL), EINVAL, "timerfd_settime_not_timerfd_einval");
	close(fd);
}

static void test_signalfd(void)
{
	sigset_t m;
	sigemptyset(&m);
	sigaddset(&m, SIGUSR2);
	sigprocmask(SIG_BLOCK, &m, NULL);
	int fd = signalfd(-1, &m, SFD_NONBLOCK);
	CHECK(fd >= 0, "signalfd_create");
	struct signalfd_siginfo si;
	CHECK_ERR(read(fd, &si, sizeof(si)), EAGAIN, "signalfd_nothing_eagain");
	CHECK_ERR(read(fd, &si, 8), EINVAL, "signalfd_short_read_einval");
	kill(getpid(), SIGUSR2);
	CHECK_EQ(ready(fd, 0), 1, "signalfd_poll_ready");
	CHECK_EQ(read(fd, &si, sizeof(si)), (ssize_t)sizeof(si), "signalfd_read");
	CHECK_EQ(si.ssi_signo, SIGUSR2, "signalfd_signo");
	CHECK_EQ(si.ssi_pid, (uint32_t)getpid(), "signalfd_sender_pid");
	CHECK_ERR(syscall(SYS_signalfd4, -1, &m, 4, 0), EINVAL, "signalfd_bad_size_einval");
	close(fd);
	sigprocmask(SIG_UNBLOCK, &m, NULL);
}

static void test_epoll(void)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	CHECK(ep >= 0, "epoll_create1");
	CHECK_ERR(epoll_create(0), EINVAL, "epoll_create_size0_einval");
	int p[2];
	SETUP(pipe(p));
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 42 }, out[4];
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev), "epoll_add");
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev), EEXIST, "epoll_add_twice_eexist");
	CHECK_EQ(epoll_wait(ep, out, 4, 0), 0, "epoll_nothing_ready");
	SETUP(write(p[1], "x", 1));
	CHECK_EQ(epoll_wait(ep, out, 4, 1000), 1, "epoll_ready");
	CHECK_EQ(out[0].data.u64, 42, "epoll_data");
	CHECK_EQ(epoll_wait(ep, out, 4, 0), 1, "epoll_level_triggered_again");
	ev.events = EPOLLIN | EPOLLET;
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev), "epoll_mod_et");
	CHECK_EQ(epoll_wait(ep, out, 4, 0), 1, "epoll_et_first");
	CHECK_EQ(epoll_wait(ep, out, 4, 0), 0, "epoll_et_no_repeat");
	SETUP(write(p[1], "y", 1));
	CHECK_EQ(epoll_wait(ep, out, 4, 0), 1, "epoll_et_new_data");
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL), "epoll_del");
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL), ENOENT, "epoll_del_twice_enoent");
	CHECK_ERR(epoll_wait(ep, out, 0, 0), EINVAL, "epoll_wait_maxevents0_einval");
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev), EINVAL, "epoll_add_self_einval");
	int file = open("/proc/self/exe", O_RDONLY);
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, file, &ev), EPERM, "epoll_regular_file_eperm");
	CHECK_ERR(epoll_wait(p[0], out, 4, 0), EINVAL, "epoll_wait_not_epoll_einval");
	close(file);
	close(p[0]);
	close(p[1]);
	close(ep);
}

int main(void)
{
	test_eventfd();
	test_timerfd();
	test_signalfd();
	test_epoll();
	return conf_exit();
}
