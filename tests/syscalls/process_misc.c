/* Reparenting of orphans to a child subreaper (this test), parent-death
 * signals, kill (existence checks, default actions, ESRCH/EINVAL, zombies),
 * getrusage(RUSAGE_CHILDREN), prctl PR_SET_NAME/PR_GET_NAME over fork and
 * exec, PR_SET_PDEATHSIG/PR_GET_PDEATHSIG, PR_SET/GET_CHILD_SUBREAPER,
 * sched_yield. The test never depends on what pid 1 does. */
#include "conformance.h"
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>




/* Polls (every ms) until *P != 0 or 3 s pass. */
static int wait_nonzero(volatile int *p)
{
	double end = conf_now() + 3;
	while (!*p && conf_now() < end)
		conf_msleep(1);
	return *p != 0;
}

static pid_t sleeper(void)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		conf_msleep(20000);
		_exit(0);
	}
	return pid;
}

int main(void)
{
	struct rlimit nocore = { 0, 0 };
	setrlimit(RLIMIT_CORE, &nocore);
	pid_t me = getpid(), pid, pid2;
	int st, v;
	volatile int *shm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	SETUP(shm == MAP_FAILED ? -1 : 0);

	/* ---- prctl basics ---- */
	v = -1;
	CHECK_EQ(prctl(PR_GET_CHILD_SUBREAPER, &v), 0, "get_subreaper");
	CHECK_EQ(v, 0, "subreaper_default_off");
	CHECK_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0, "set_subreaper");
	CHECK_EQ(prctl(PR_GET_CHILD_SUBREAPER, &v), 0, "get_subreaper_again");
	CHECK_EQ(v, 1, "subreaper_on");

	char name[32];
	CHECK_EQ(prctl(PR_SET_NAME, "conf-misc"), 0, "set_name");
	memset(name, 'x', sizeof name);
	CHECK_EQ(prctl(PR_GET_NAME, name), 0, "get_name");
	CHECK_STR(name, "conf-misc", "name_read_back");
	CHECK_EQ(prctl(PR_SET_NAME, "a-very-long-process-name-here"), 0, "set_long_name");
	prctl(PR_GET_NAME, name);
	CHECK_STR(name, "a-very-long-pro", "long_name_truncated_to_15");
	CHECK_EQ(prctl(PR_SET_NAME, ""), 0, "set_empty_name");
	prctl(PR_GET_NAME, name);
	CHECK_STR(name, "", "empty_name_read_back");
	CHECK_ERR(prctl(PR_SET_NAME, BAD_PTR), EFAULT, "set_name_bad_ptr_efault");
	CHECK_ERR(prctl(PR_GET_NAME, BAD_PTR), EFAULT, "get_name_bad_ptr_efault");
	prctl(PR_SET_NAME, "conf-misc");

	CHECK_EQ(prctl(PR_GET_PDEATHSIG, &v), 0, "get_pdeathsig");
	CHECK_EQ(prctl(PR_SET_PDEATHSIG, SIGUSR2), 0, "set_pdeathsig");
	v = -1;
	prctl(PR_GET_PDEATHSIG, &v);
	CHECK_EQ(v, SIGUSR2, "pdeathsig_read_back");
	CHECK_ERR(prctl(PR_SET_PDEATHSIG, 65), EINVAL, "set_pdeathsig_bad_signal_einval");
	CHECK_ERR(prctl(0x7fff1234), EINVAL, "prctl_unknown_option_einval");

	/* Name and pdeathsig over fork: the name is kept, pdeathsig cleared. */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		conf_failures = 0;
		char n2[32];
		prctl(PR_GET_NAME, n2);
		CHECK_STR(n2, "conf-misc", "child_inherits_name");
		int d = -1;
		prctl(PR_GET_PDEATHSIG, &d);
		CHECK_EQ(d, 0, "child_pdeathsig_cleared");
		int sr = -1;
		prctl(PR_GET_CHILD_SUBREAPER, &sr);
		CHECK_EQ(sr, 0, "child_subreaper_not_inherited");
		prctl(PR_SET_NAME, "conf-child");
		CHILD_DONE();
	}
	check_child_ok(pid, "child_prctl_cases");
	prctl(PR_GET_NAME, name);
	CHECK_STR(name, "conf-misc", "child_name_not_in_parent");
	prctl(PR_SET_PDEATHSIG, 0);

	/* ---- sched_yield ---- */
	CHECK_EQ(sched_yield(), 0, "sched_yield");
	CHECK_EQ(syscall(SYS_sched_yield), 0, "raw_sched_yield");

	/* ---- kill ---- */
	CHECK_EQ(kill(me, 0), 0, "kill_self_signal_0");
	CHECK_EQ(kill(0, 0), 0, "kill_own_group_signal_0");
	CHECK_ERR(kill((pid_t)opaque(0x3fffffff), 0), ESRCH, "kill_huge_pid_esrch");
	CHECK_ERR(kill((pid_t)opaque(0x3fffffff), SIGKILL), ESRCH, "kill_huge_pid_sigkill_esrch");
	CHECK_ERR(kill(me, 65), EINVAL, "kill_bad_signal_einval");
	CHECK_ERR(kill(me, -1), EINVAL, "kill_negative_signal_einval");

	pid = sleeper();
	CHECK_EQ(kill(pid, 0), 0, "kill_child_signal_0");
	CHECK_ERR(kill(pid, 65), EINVAL, "kill_child_bad_signal_einval");
	CHECK_EQ(kill(pid, SIGTERM), 0, "kill_child_sigterm");
	st = reap(pid);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM, "child_sigterm_default_terminates");
	CHECK_ERR(kill(pid, 0), ESRCH, "kill_reaped_child_esrch");

	pid = sleeper();
	CHECK_EQ(kill(pid, SIGKILL), 0, "kill_child_sigkill");
	st = reap(pid);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "child_sigkill_terminates");

	/* A child ignoring SIGTERM survives it (ignored signals are dropped). */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		signal(SIGTERM, SIG_IGN);
		shm[0] = 1;
		conf_msleep(20000);
		_exit(0);
	}
	CHECK(wait_nonzero(&shm[0]), "ignoring_child_ready");
	CHECK_EQ(kill(pid, SIGTERM), 0, "kill_ignoring_child_sigterm");
	conf_msleep(30);
	CHECK_EQ(waitpid(pid, &st, WNOHANG), 0, "ignoring_child_survives_sigterm");
	CHECK_EQ(kill(pid, SIGKILL), 0, "kill_ignoring_child_sigkill");
	st = reap(pid);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "ignoring_child_killed_by_sigkill");
	shm[0] = 0;

	/* SIGCHLD/SIGURG/SIGWINCH/SIGCONT to a child: default ignore. */
	pid = sleeper();
	CHECK_EQ(kill(pid, SIGCHLD), 0, "kill_child_sigchld");
	CHECK_EQ(kill(pid, SIGURG), 0, "kill_child_sigurg");
	CHECK_EQ(kill(pid, SIGWINCH), 0, "kill_child_sigwinch");
	CHECK_EQ(kill(pid, SIGCONT), 0, "kill_child_sigcont");
	conf_msleep(30);
	CHECK_EQ(waitpid(pid, &st, WNOHANG), 0, "child_survives_default_ignored");
	kill(pid, SIGKILL);
	reap(pid);

	/* A zombie accepts signals (they do nothing). */
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(8);
	siginfo_t si;
	waitid(P_PID, pid, &si, WEXITED | WNOWAIT);
	CHECK_EQ(kill(pid, 0), 0, "kill_zombie_signal_0");
	CHECK_EQ(kill(pid, SIGTERM), 0, "kill_zombie_sigterm");
	st = reap(pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 8, "zombie_status_kept_after_kill");

	/* ---- getrusage ---- */
	struct rusage ru;
	memset(&ru, 0xff, sizeof ru);
	CHECK_EQ(getrusage(RUSAGE_CHILDREN, &ru), 0, "getrusage_children");
	CHECK(ru.ru_utime.tv_sec >= 0 && ru.ru_utime.tv_usec >= 0 && ru.ru_utime.tv_usec < 1000000,
	      "getrusage_children_sane");
	CHECK_EQ(getrusage(RUSAGE_SELF, &ru), 0, "getrusage_self");
	CHECK_ERR(getrusage((int)opaque(42), &ru), EINVAL, "getrusage_bad_who_einval");
	CHECK_ERR(getrusage(RUSAGE_CHILDREN, BAD_PTR), EFAULT, "getrusage_bad_ptr_efault");
	/* A child's own RUSAGE_CHILDREN starts empty. */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct rusage r2;
		getrusage(RUSAGE_CHILDREN, &r2);
		_exit(r2.ru_utime.tv_sec == 0 && r2.ru_stime.tv_sec == 0 ? 0 : 1);
	}
	check_child_ok(pid, "child_rusage_children_empty");

	/* ---- reparenting to the subreaper ---- */
	/* A child forks a grandchild and exits; the grandchild sees its parent
	 * change to us and exits 0 if so (1 if not within 3 s). */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		pid_t first = getpid(); /* the grandchild's parent */
		fflush(stdout);
		pid_t g = fork();
		if (g == 0) {
			double end = conf_now() + 3;
			while (getppid() == first && conf_now() < end)
				conf_msleep(1);
			_exit(getppid() == me ? 0 : getppid() == first ? 1 : 2);
		}
		_exit(g > 0 ? 0 : 3);
	}
	st = reap(pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "orphaning_parent_exited");
	pid2 = waitpid(-1, &st, 0);
	CHECK(pid2 > 0 && pid2 != pid, "orphan_reaped_by_subreaper");
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "orphan_getppid_is_subreaper");
	CHECK_ERR(waitpid(-1, &st, WNOHANG), ECHILD, "orphan_reaped_once");

	/* An orphan that is already a zombie when its parent dies. */
	shm[1] = 0;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		pid_t g = fork();
		if (g == 0)
			_exit(44);
		siginfo_t s2;
		waitid(P_PID, g, &s2, WEXITED | WNOWAIT); /* g is a zombie now */
		shm[1] = g;
		_exit(0);
	}
	reap(pid);
	pid2 = shm[1];
	CHECK(pid2 > 0, "zombie_orphan_pid_known");
	CHECK_EQ(waitpid(pid2, &st, 0), pid2, "zombie_orphan_reparented");
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 44, "zombie_orphan_status");

	/* Deeper: the orphan's own child stays its child. */
	shm[2] = shm[3] = 0;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		pid_t g = fork();
		if (g == 0) {
			pid_t gg = fork();
			if (gg == 0) {
				conf_msleep(20000);
				_exit(0);
			}
			shm[2] = gg;
			/* wait until reparented, then check our child is still ours */
			double end = conf_now() + 3;
			while (getppid() != me && conf_now() < end)
				conf_msleep(1);
			shm[3] = getppid() == me ? 1 : 2;
			int s3 = reap(gg);
			_exit(WIFSIGNALED(s3) && WTERMSIG(s3) == SIGKILL ? 0 : 1);
		}
		shm[4] = g;
		_exit(0);
	}
	reap(pid);
	CHECK(wait_nonzero(&shm[3]), "middle_orphan_reports");
	CHECK_EQ(shm[3], 1, "middle_orphan_reparented");
	pid2 = shm[2];
	CHECK_ERR(waitpid(pid2, &st, WNOHANG), ECHILD, "great_grandchild_not_ours");
	kill(pid2, SIGKILL);
	CHECK_EQ(waitpid(shm[4], &st, 0), shm[4], "middle_orphan_reaped_by_us");
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "middle_orphan_reaped_its_child");

	/* ---- parent-death signal ---- */
	/* The grandchild asks for SIGKILL when its parent dies; the parent
	 * exits once the request is made; we reap the killed grandchild. */
	shm[5] = 0;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		pid_t g = fork();
		if (g == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			shm[5] = 1;
			conf_msleep(5000);
			_exit(0); /* not killed */
		}
		double end = conf_now() + 3;
		while (!shm[5] && conf_now() < end)
			conf_msleep(1);
		_exit(0);
	}
	reap(pid);
	double t0 = conf_now();
	pid2 = waitpid(-1, &st, 0);
	CHECK(pid2 > 0 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "pdeathsig_sigkill_on_parent_exit");
	CHECK(conf_now() - t0 < 2, "pdeathsig_prompt");

	/* pdeathsig SIGTERM, ignored by the grandchild: it survives. */
	shm[6] = 0;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		pid_t g = fork();
		if (g == 0) {
			signal(SIGTERM, SIG_IGN);
			prctl(PR_SET_PDEATHSIG, SIGTERM);
			shm[6] = 1;
			double end = conf_now() + 3;
			while (getppid() != me && conf_now() < end)
				conf_msleep(1);
			_exit(getppid() == me ? 0 : 1);
		}
		double end = conf_now() + 3;
		while (!shm[6] && conf_now() < end)
			conf_msleep(1);
		_exit(0);
	}
	reap(pid);
	pid2 = waitpid(-1, &st, 0);
	CHECK(pid2 > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "pdeathsig_ignored_survives");

	/* Turning the subreaper off again. */
	CHECK_EQ(prctl(PR_SET_CHILD_SUBREAPER, 0), 0, "unset_subreaper");
	prctl(PR_GET_CHILD_SUBREAPER, &v);
	CHECK_EQ(v, 0, "subreaper_off");

	CHECK_ERR(waitpid(-1, &st, WNOHANG), ECHILD, "no_children_left");
	munmap((void *)shm, 4096);
	return conf_exit();
}
