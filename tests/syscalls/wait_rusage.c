/* wait4/waitid rusage and RUSAGE_CHILDREN: a reaped child's CPU time (its
 * own and its reaped children's) comes back in wait4's and waitid's rusage
 * and joins the parent's getrusage(RUSAGE_CHILDREN) and times() cutime at
 * reap time; WNOWAIT and children reaped because SIGCHLD is ignored add
 * nothing.
 */
#include "conformance.h"
#include <signal.h>
#include <sys/resource.h>
#include <sys/times.h>
#include <time.h>

#define BURN_NS 50000000LL        /* each burning child: 50 ms of CPU */
#define MIN_US 20000LL            /* what a reaper must see at least */

static long long cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void burn(void)
{
	volatile unsigned long x = 0;
	long long start = cpu_ns();
	while (cpu_ns() - start < BURN_NS)
		for (int i = 0; i < 10000; i++)
			x += (unsigned long)i * 7;
}

static long long ru_us(const struct rusage *ru)
{
	return (ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) * 1000000LL + ru->ru_utime.tv_usec +
	       ru->ru_stime.tv_usec;
}

static long long children_us(void)
{
	struct rusage ru;
	getrusage(RUSAGE_CHILDREN, &ru);
	return ru_us(&ru);
}

/* A child that burns CPU (depth 0) or first forks, reaps a burning grandchild (depth 1). */
static pid_t spawn(int depth)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	if (depth > 0) {
		pid_t g = spawn(depth - 1);
		int st;
		if (g < 0 || waitpid(g, &st, 0) != g)
			_exit(2);
		_exit(0);
	}
	burn();
	_exit(0);
}

int main(void)
{
	long hz = sysconf(_SC_CLK_TCK);
	struct rusage ru;
	int st;

	/* wait4: the child's own CPU time; RUSAGE_CHILDREN and times() grow. */
	long long before = children_us();
	struct tms t0, t1;
	times(&t0);
	pid_t pid;
	SETUP(pid = spawn(0));
	memset(&ru, 0, sizeof ru);
	CHECK_EQ(wait4(pid, &st, 0, &ru), pid, "wait4_reaps");
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "wait4_status");
	CHECK(ru_us(&ru) >= MIN_US, "wait4_rusage_cpu");
	CHECK(ru.ru_maxrss > 0, "wait4_rusage_maxrss");
	CHECK(children_us() - before >= MIN_US, "rusage_children_grew");
	times(&t1);
	long long dticks = (long long)(t1.tms_cutime + t1.tms_cstime) -
			   (long long)(t0.tms_cutime + t0.tms_cstime);
	CHECK(dticks * 1000000LL / hz >= MIN_US, "times_cutime_grew");
	struct rusage kids;
	getrusage(RUSAGE_CHILDREN, &kids);
	CHECK(kids.ru_maxrss > 0, "rusage_children_maxrss");

	/* A grandchild's time reaches us through the child that reaped it. */
	before = children_us();
	SETUP(pid = spawn(1));
	memset(&ru, 0, sizeof ru);
	CHECK_EQ(wait4(pid, &st, 0, &ru), pid, "wait4_grandchild_reaps");
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "wait4_grandchild_status");
	CHECK(ru_us(&ru) >= MIN_US, "wait4_rusage_includes_grandchild");
	CHECK(children_us() - before >= MIN_US, "rusage_children_includes_grandchild");

	/* waitid: WNOWAIT reports without adding; the reaping call adds. */
	SETUP(pid = spawn(0));
	siginfo_t si;
	memset(&ru, 0, sizeof ru);
	CHECK_EQ(syscall(SYS_waitid, P_PID, pid, &si, WEXITED | WNOWAIT, &ru), 0, "waitid_nowait");
	CHECK(ru_us(&ru) >= MIN_US, "waitid_nowait_rusage");
	before = children_us();
	memset(&ru, 0, sizeof ru);
	CHECK_EQ(syscall(SYS_waitid, P_PID, pid, &si, WEXITED, &ru), 0, "waitid_reaps");
	CHECK(si.si_pid == pid && si.si_code == CLD_EXITED, "waitid_siginfo");
	CHECK(ru_us(&ru) >= MIN_US, "waitid_rusage_cpu");
	long long grew = children_us() - before;
	CHECK(grew >= MIN_US, "rusage_children_grew_at_reap");

	/* WNOHANG with nothing to report leaves the rusage alone. */
	SETUP(pid = fork());
	if (pid == 0) {
		pause();
		_exit(0);
	}
	memset(&ru, 0x5a, sizeof ru);
	CHECK_EQ(wait4(pid, &st, WNOHANG, &ru), 0, "wait4_wnohang_none");
	CHECK(ru.ru_maxrss == (long)0x5a5a5a5a5a5a5a5aLL, "wait4_wnohang_rusage_untouched");
	kill(pid, SIGKILL);
	CHECK_EQ(wait4(pid, &st, 0, NULL), pid, "wait4_killed");

	/* Children reaped because SIGCHLD is ignored count for nobody. */
	signal(SIGCHLD, SIG_IGN);
	before = children_us();
	SETUP(pid = spawn(0));
	CHECK_ERR(wait4(pid, &st, 0, &ru), ECHILD, "sigchld_ign_wait_echild");
	CHECK(children_us() - before < MIN_US, "sigchld_ign_not_counted");
	signal(SIGCHLD, SIG_DFL);

	CHECK_ERR(wait4(-1, &st, 0, (struct rusage *)8), ECHILD, "wait4_no_children");
	return conf_exit();
}
