/* clock_gettime/clock_getres/gettimeofday/time. */
#include "conformance.h"
#include <sys/time.h>
#include <time.h>

static long long ns(struct timespec t)
{
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(void)
{
	struct timespec a, b, res;
	int mono = 1;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < 1000; i++) {
		clock_gettime(CLOCK_MONOTONIC, &b);
		if (ns(b) < ns(a))
			mono = 0;
		a = b;
	}
	CHECK(mono, "monotonic_non_decreasing");
	CHECK_EQ(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &a), 0, "raw_monotonic");
	clock_gettime(CLOCK_MONOTONIC, &b);
	CHECK(ns(b) >= ns(a), "raw_and_vdso_agree_on_order");
	CHECK(a.tv_nsec >= 0 && a.tv_nsec < 1000000000, "nsec_in_range");

	struct timeval tv;
	clock_gettime(CLOCK_REALTIME, &a);
	gettimeofday(&tv, NULL);
	long long d = tv.tv_sec * 1000000000LL + tv.tv_usec * 1000LL - ns(a);
	CHECK(d > -1000000000LL && d < 1000000000LL, "realtime_close_to_gettimeofday");
	CHECK(a.tv_sec > 1600000000, "realtime_after_2020");
	time_t t = time(NULL);
	CHECK(t >= a.tv_sec - 1 && t <= a.tv_sec + 2, "time_matches");
	CHECK_EQ(syscall(SYS_gettimeofday, &tv, NULL), 0, "raw_gettimeofday");
	CHECK(tv.tv_usec >= 0 && tv.tv_usec < 1000000, "usec_in_range");

	CHECK_EQ(clock_gettime(CLOCK_BOOTTIME, &a), 0, "boottime");
	clock_gettime(CLOCK_MONOTONIC, &b);
	CHECK(a.tv_sec + 1 >= b.tv_sec, "boottime_not_behind_monotonic");
	CHECK_EQ(clock_gettime(CLOCK_MONOTONIC_RAW, &a), 0, "monotonic_raw");
	CHECK_EQ(clock_gettime(CLOCK_REALTIME_COARSE, &a), 0, "realtime_coarse");
	CHECK_EQ(clock_gettime(CLOCK_MONOTONIC_COARSE, &a), 0, "monotonic_coarse");
	CHECK_EQ(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a), 0, "process_cputime");
	CHECK_EQ(clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a), 0, "thread_cputime");
	/* CPU time grows while we spin. */
	volatile unsigned long x = 0;
	for (unsigned long i = 0; i < 20000000; i++)
		x += i;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
	CHECK(ns(b) > ns(a), "cputime_advances");

	CHECK_EQ(clock_getres(CLOCK_MONOTONIC, &res), 0, "getres_monotonic");
	CHECK(res.tv_sec == 0 && res.tv_nsec > 0 && res.tv_nsec <= 10000000, "getres_monotonic_value");
	CHECK_EQ(clock_getres(CLOCK_REALTIME, &res), 0, "getres_realtime");
	CHECK_EQ(syscall(SYS_clock_getres, CLOCK_REALTIME, NULL), 0, "getres_null_ok");

	CHECK_ERR(syscall(SYS_clock_gettime, 12345, &a), EINVAL, "bad_clock_einval");
	CHECK_ERR(syscall(SYS_clock_gettime, -100, &a), EINVAL, "negative_clock_einval");
	CHECK_ERR(syscall(SYS_clock_getres, 12345, &res), EINVAL, "getres_bad_clock");
	CHECK_ERR(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, BAD_PTR), EFAULT, "raw_efault");
	/* Setting the clock needs CAP_SYS_TIME; with a bad clock it is EINVAL. */
	CHECK_ERR(syscall(SYS_clock_settime, CLOCK_MONOTONIC, &a), EINVAL, "settime_monotonic_einval");
	return conf_exit();
}
