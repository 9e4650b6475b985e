/* sysinfo. */
#include "conformance.h"
#include <sys/sysinfo.h>
#include <time.h>

int main(void)
{
	struct sysinfo si;
	CHECK_EQ(sysinfo(&si), 0, "sysinfo");
	CHECK(si.uptime > 0, "uptime_positive");
	CHECK(si.totalram > 0, "totalram_positive");
	CHECK(si.mem_unit >= 1, "mem_unit");
	CHECK(si.freeram <= si.totalram, "freeram_le_totalram");
	CHECK(si.totalswap >= si.freeswap, "swap_consistent");
	CHECK(si.procs >= 1, "procs");
	CHECK((unsigned long long)si.totalram * si.mem_unit >= 16ULL << 20, "totalram_at_least_16mb");
	struct timespec bt;
	clock_gettime(CLOCK_BOOTTIME, &bt);
	CHECK(si.uptime <= bt.tv_sec + 2 && si.uptime + 2 >= bt.tv_sec, "uptime_matches_boottime");
	CHECK_ERR(syscall(SYS_sysinfo, BAD_PTR), EFAULT, "efault");
	CHECK(get_nprocs() >= 1, "get_nprocs");
	return conf_exit();
}
