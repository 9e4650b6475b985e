/* The vDSO: AT_SYSINFO_EHDR names an ELF image listed as [vdso] in
 * /proc/self/maps; clock_gettime/gettimeofday/time through it agree with
 * the raw syscalls, in the parent and in a forked child; it cannot be made
 * writable.
 */
#include "conformance.h"
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>

static long long ns(struct timespec t)
{
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* glibc's (vDSO) and the raw syscall's CLOCK_MONOTONIC agree within 1 s, in order. */
static int clocks_agree(void)
{
	struct timespec a, b, c;
	clock_gettime(CLOCK_MONOTONIC, &a);
	syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &b);
	clock_gettime(CLOCK_MONOTONIC, &c);
	return ns(a) <= ns(b) && ns(b) <= ns(c) && ns(c) - ns(a) < 1000000000LL;
}

int main(void)
{
	unsigned long v = getauxval(AT_SYSINFO_EHDR);
	CHECK(v != 0, "at_sysinfo_ehdr_present");
	if (!v)
		return conf_exit();
	CHECK(memcmp((void *)v, "\177ELF", 4) == 0, "vdso_is_elf");
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int listed = 0;
	while (f && fgets(line, sizeof line, f)) {
		unsigned long lo, hi;
		if (strstr(line, "[vdso]") && sscanf(line, "%lx-%lx", &lo, &hi) == 2 && lo <= v && v < hi)
			listed = 1;
	}
	if (f)
		fclose(f);
	CHECK(listed, "vdso_in_proc_maps");
	CHECK(clocks_agree(), "monotonic_agrees_with_syscall");
	struct timespec rt;
	struct timeval tv;
	clock_gettime(CLOCK_REALTIME, &rt);
	CHECK_EQ(gettimeofday(&tv, NULL), 0, "gettimeofday");
	CHECK(tv.tv_sec - rt.tv_sec <= 1 && tv.tv_sec >= rt.tv_sec, "gettimeofday_agrees");
	/* time() reads the coarse clock, which may lag by a tick. */
	time_t t = time(NULL);
	CHECK(t - rt.tv_sec <= 1 && t >= rt.tv_sec - 1, "time_agrees");
	char buf[4];
	int p[2];
	SETUP(pipe(p));
	CHECK_EQ(write(p[1], (void *)v, 4), 4, "write_from_vdso_memory");
	CHECK_EQ(read(p[0], buf, 4), 4, "read_back");
	CHECK(memcmp(buf, "\177ELF", 4) == 0, "vdso_bytes_through_pipe");
	CHECK_ERR(mprotect((void *)(v & ~4095UL), 4096, PROT_READ | PROT_WRITE), EINVAL,
		  "vdso_not_writable");
	pid_t pid = fork();
	if (pid == 0)
		_exit(clocks_agree() && getauxval(AT_SYSINFO_EHDR) == v ? 0 : 1);
	int st;
	SETUP(waitpid(pid, &st, 0));
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child_vdso_works");
	return conf_exit();
}
