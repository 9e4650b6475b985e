/* nanosleep/clock_nanosleep (raw, so errors are errno). */
#include "conformance.h"
#include <time.h>

static long long now_ns(clockid_t c)
{
	struct timespec t;
	clock_gettime(c, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(void)
{
	struct timespec req = { 0, 50 * 1000 * 1000 }, rem = { 99, 99 };
	long long t0 = now_ns(CLOCK_MONOTONIC);
	CHECK_EQ(syscall(SYS_nanosleep, &req, &rem), 0, "nanosleep");
	long long el = now_ns(CLOCK_MONOTONIC) - t0;
	CHECK(el >= 50 * 1000 * 1000LL, "slept_at_least");
	CHECK(el < 10 * 1000 * 1000 * 1000LL, "slept_not_forever");
	struct timespec zero = { 0, 0 };
	CHECK_EQ(syscall(SYS_nanosleep, &zero, NULL), 0, "zero_sleep");

	struct timespec bad = { 0, 1000000000 };
	CHECK_ERR(syscall(SYS_nanosleep, &bad, NULL), EINVAL, "nsec_too_big");
	struct timespec negn = { 0, -1 };
	CHECK_ERR(syscall(SYS_nanosleep, &negn, NULL), EINVAL, "nsec_negative");
	struct timespec negs = { -1, 0 };
	CHECK_ERR(syscall(SYS_nanosleep, &negs, NULL), EINVAL, "sec_negative");
	CHECK_ERR(syscall(SYS_nanosleep, BAD_PTR, NULL), EFAULT, "efault");

	req.tv_nsec = 20 * 1000 * 1000;
	t0 = now_ns(CLOCK_MONOTONIC);
	CHECK_EQ(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &req, NULL), 0, "clock_nanosleep_rel");
	CHECK(now_ns(CLOCK_MONOTONIC) - t0 >= 20 * 1000 * 1000LL, "clock_nanosleep_rel_slept");
	struct timespec abs;
	clock_gettime(CLOCK_MONOTONIC, &abs);
	abs.tv_nsec += 30 * 1000 * 1000;
	if (abs.tv_nsec >= 1000000000) {
		abs.tv_sec++;
		abs.tv_nsec -= 1000000000;
	}
	CHECK_EQ(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, NULL), 0, "clock_nanosleep_abs");
	CHECK(now_ns(CLOCK_MONOTONIC) >= abs.tv_sec * 1000000000LL + abs.tv_nsec, "clock_nanosleep_abs_reached");
	struct timespec past = { 1, 0 };
	t0 = now_ns(CLOCK_MONOTONIC);
	CHECK_EQ(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &past, NULL), 0, "abs_in_past");
	CHECK(now_ns(CLOCK_MONOTONIC) - t0 < 1000 * 1000 * 1000LL, "abs_in_past_immediate");
	CHECK_EQ(syscall(SYS_clock_nanosleep, CLOCK_REALTIME, 0, &zero, NULL), 0, "clock_nanosleep_realtime");
	CHECK_ERR(syscall(SYS_clock_nanosleep, 12345, 0, &req, NULL), EINVAL, "clock_nanosleep_bad_clock");
	CHECK_ERR(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &bad, NULL), EINVAL, "clock_nanosleep_bad_nsec");
	/* Linux refuses to sleep on the calling thread's own CPU clock. */
	CHECK_ERR(syscall(SYS_clock_nanosleep, CLOCK_THREAD_CPUTIME_ID, 0, &req, NULL), EOPNOTSUPP,
		  "clock_nanosleep_thread_cputime");
	/* glibc's wrapper returns the error number instead of setting errno. */
	CHECK_EQ(clock_nanosleep(12345, 0, &req, NULL), EINVAL, "glibc_clock_nanosleep_returns_error");
	return conf_exit();
}
