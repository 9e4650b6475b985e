/*
 * getpid round trip: N raw syscall(SYS_getpid) in a loop, timed with
 * clock_gettime(CLOCK_MONOTONIC); prints the mean cost of one call in ns.
 *
 *   getpid [N]      (default 100000)
 *
 * Output: one line "getpid_ns <ns per call> calls <N>".
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000;
	if (n <= 0)
		n = 1;
	for (long i = 0; i < n / 10 + 1; i++) /* warm up */
		syscall(SYS_getpid);
	double t0 = now_ns();
	for (long i = 0; i < n; i++)
		syscall(SYS_getpid);
	double t1 = now_ns();
	printf("getpid_ns %.1f calls %ld\n", (t1 - t0) / n, n);
	return 0;
}
