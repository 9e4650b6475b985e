/* sched_getaffinity/sched_yield. */
#include "conformance.h"
#include <sched.h>

int main(void)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CHECK_EQ(sched_getaffinity(0, sizeof set, &set), 0, "getaffinity");
	int n = CPU_COUNT(&set);
	CHECK(n >= 1, "at_least_one_cpu");
	CHECK_EQ(sched_getaffinity(getpid(), sizeof set, &set), 0, "getaffinity_self_pid");
	/* The raw syscall returns the number of bytes written: a multiple of
	 * sizeof(long), at most the buffer size. */
	long r = syscall(SYS_sched_getaffinity, 0, sizeof set, &set);
	CHECK(r > 0 && r <= (long)sizeof set && r % sizeof(long) == 0, "raw_returns_size");
	CHECK_ERR(syscall(SYS_sched_getaffinity, 0, 0, &set), EINVAL, "size_zero_einval");
	CHECK_ERR(syscall(SYS_sched_getaffinity, 0, 4, &set), EINVAL, "size_not_long_multiple_einval");
	CHECK_ERR(syscall(SYS_sched_getaffinity, 0, sizeof set, BAD_PTR), EFAULT, "efault");
	CHECK_ERR(syscall(SYS_sched_getaffinity, -1, sizeof set, &set), ESRCH, "bad_pid_esrch");
	/* Setting the same mask back is allowed. */
	CHECK_EQ(sched_setaffinity(0, sizeof set, &set), 0, "setaffinity_same");
	CHECK_EQ(sched_yield(), 0, "yield");
	CHECK(sysconf(_SC_NPROCESSORS_ONLN) >= n, "online_cpus_ge_affinity");
	return conf_exit();
}
