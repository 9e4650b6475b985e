/* timerfd: create flags, settime/gettime (relative, absolute, interval),
 * expiration counts, disarm, TFD_NONBLOCK (EAGAIN), poll, errors.
 */
#include "conformance.h"
#include <poll.h>
#include <sys/timerfd.h>
#include <time.h>

int main(void)
{
	int fd;
	CHECK_ERR(timerfd_create(12345, 0), EINVAL, "bad_clock_einval");
	CHECK_ERR(timerfd_create(CLOCK_MONOTONIC, 0x4000), EINVAL, "bad_flags_einval");
	SETUP(fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
	CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC, "cloexec");
	uint64_t n;
	CHECK_ERR(read(fd, &n, 8), EAGAIN, "unarmed_eagain");
	CHECK_ERR(read(fd, &n, 4), EINVAL, "short_read_einval");
	struct itimerspec its = { { 0, 0 }, { 0, 20 * 1000000 } }, old, cur;
	CHECK_EQ(timerfd_settime(fd, 0, &its, &old), 0, "arm_relative");
	CHECK_EQ(old.it_value.tv_sec + old.it_value.tv_nsec, 0, "old_was_disarmed");
	CHECK_EQ(timerfd_gettime(fd, &cur), 0, "gettime");
	CHECK(cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 20000000,
	      "remaining_in_range");
	struct pollfd p = { .fd = fd, .events = POLLIN };
	CHECK_EQ(poll(&p, 1, 2000), 1, "poll_fires");
	CHECK_EQ(read(fd, &n, 8), 8, "read_expirations");
	CHECK_EQ(n, 1, "one_expiration");
	CHECK_ERR(read(fd, &n, 8), EAGAIN, "consumed");

	/* Interval: several expirations accumulate. */
	struct itimerspec iv = { { 0, 5 * 1000000 }, { 0, 5 * 1000000 } };
	CHECK_EQ(timerfd_settime(fd, 0, &iv, NULL), 0, "arm_interval");
	usleep(60000);
	CHECK_EQ(read(fd, &n, 8), 8, "read_interval");
	CHECK(n >= 3, "several_expirations");
	struct itimerspec off = { { 0, 0 }, { 0, 0 } };
	CHECK_EQ(timerfd_settime(fd, 0, &off, &old), 0, "disarm");
	CHECK_EQ(old.it_interval.tv_nsec, 5 * 1000000, "old_interval_reported");
	CHECK_EQ(timerfd_gettime(fd, &cur), 0, "gettime_disarmed");
	CHECK_EQ(cur.it_value.tv_sec + cur.it_value.tv_nsec, 0, "disarmed_value_zero");

	/* Absolute time in the past fires at once. */
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	struct itimerspec ab = { { 0, 0 }, { now.tv_sec - 1, 0 } };
	CHECK_EQ(timerfd_settime(fd, TFD_TIMER_ABSTIME, &ab, NULL), 0, "arm_abs_past");
	CHECK_EQ(poll(&p, 1, 1000), 1, "abs_past_fires");
	CHECK_EQ(read(fd, &n, 8), 8, "read_abs");

	/* Errors. */
	struct itimerspec bad = { { 0, 0 }, { 0, 1000000000 } };
	CHECK_ERR(timerfd_settime(fd, 0, &bad, NULL), EINVAL, "nsec_too_big_einval");
	CHECK_ERR(timerfd_settime(fd, 0x100, &its, NULL), EINVAL, "bad_settime_flags_einval");
	CHECK_ERR(timerfd_settime(0, 0, &its, NULL), EINVAL, "not_a_timerfd_einval");
	CHECK_ERR(timerfd_gettime(fd, (struct itimerspec *)8), EFAULT, "gettime_efault");
	CHECK_ERR(timerfd_settime(999, 0, &its, NULL), EBADF, "bad_fd_ebadf");

	/* Blocking read waits for the expiration. */
	int bfd;
	SETUP(bfd = timerfd_create(CLOCK_REALTIME, 0));
	struct itimerspec b = { { 0, 0 }, { 0, 30 * 1000000 } };
	CHECK_EQ(timerfd_settime(bfd, 0, &b, NULL), 0, "arm_blocking");
	CHECK_EQ(read(bfd, &n, 8), 8, "blocking_read");
	CHECK_EQ(n, 1, "blocking_one");
	return conf_exit();
}
