/* Process groups and sessions: getpgrp/getpgid/getsid, setpgid from the
 * child and from the parent, inheritance over fork, setsid in a child (new
 * session and group, no way back), EPERM/ESRCH/EINVAL/EACCES cases, kill
 * and waitpid by group. The test's own group and session are never
 * changed. */
#include "conformance.h"
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>




static pid_t sleeper(void)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		conf_failures = 0; /* count only the child's own cases */
		conf_msleep(20000);
		_exit(0);
	}
	return pid;
}

/* A pid that is (almost certainly) not in use: a child's, after reaping. */
static pid_t dead_pid(void)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	reap(pid);
	return pid;
}

int main(void)
{
	struct rlimit nocore = { 0, 0 };
	setrlimit(RLIMIT_CORE, &nocore);
	pid_t me = getpid(), pg = getpgrp(), sid = getsid(0);
	pid_t pid, pid2;
	int st;

	/* ---- queries ---- */
	CHECK(pg > 0, "getpgrp_positive");
	CHECK_EQ(getpgid(0), pg, "getpgid_0_is_getpgrp");
	CHECK_EQ(getpgid(me), pg, "getpgid_self_is_getpgrp");
	CHECK_EQ(syscall(SYS_getpgrp), pg, "raw_getpgrp");
	/* 0 when the session leader lives in an ancestor pid namespace (CI
	 * runners start us that way). */
	CHECK(sid >= 0, "getsid_not_negative");
	CHECK_EQ(getsid(me), sid, "getsid_self");
	pid_t gone = dead_pid();
	CHECK_ERR(getpgid(gone), ESRCH, "getpgid_dead_pid_esrch");
	CHECK_ERR(getsid(gone), ESRCH, "getsid_dead_pid_esrch");
	CHECK_ERR(getpgid((pid_t)opaque(-1)), ESRCH, "getpgid_negative_esrch");
	CHECK_ERR(getpgid((pid_t)opaque(0x3fffffff)), ESRCH, "getpgid_huge_esrch");

	/* ---- setpgid argument checks (no change to us) ---- */
	CHECK_ERR(setpgid(0, (pid_t)opaque(-1)), EINVAL, "setpgid_negative_pgid_einval");
	CHECK_ERR(setpgid((pid_t)opaque(-1), 0), EINVAL, "setpgid_minus_1_einval");
	CHECK_ERR(setpgid(gone, 0), ESRCH, "setpgid_dead_pid_esrch");

	/* ---- a child inherits group and session ---- */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		conf_failures = 0; /* count only the child's own cases */
		CHECK_EQ(getpgrp(), pg, "child_inherits_pgrp");
		CHECK_EQ(getsid(0), sid, "child_inherits_session");
		CHECK_EQ(getpgid(getppid()), pg, "child_sees_parent_pgid");
		/* (In a child: a session leader, as the test may be, gets EPERM.) */
		CHECK_EQ(setpgid(0, pg), 0, "setpgid_to_own_group_ok");
		CHECK_EQ(getpgrp(), pg, "own_group_unchanged");
		CHECK_ERR(setpgid(0, gone), EPERM, "setpgid_nonexistent_group_eperm");
		CHECK_EQ(setpgid(0, 0), 0, "child_setpgid_0_0");
		CHECK_EQ(getpgrp(), getpid(), "child_is_group_leader");
		CHECK_EQ(getpgid(0), getpid(), "child_getpgid_0");
		CHECK_EQ(getsid(0), sid, "setpgid_keeps_session");
		CHECK_EQ(setpgid(0, 0), 0, "child_setpgid_again_ok");
		CHECK_ERR(setsid(), EPERM, "setsid_group_leader_eperm");
		CHECK_EQ(setpgid(0, pg), 0, "child_back_to_parent_group");
		CHECK_EQ(getpgrp(), pg, "child_back_in_parent_group");
		CHILD_DONE();
	}
	check_child_ok(pid, "child_group_cases");

	/* ---- setpgid from the parent ---- */
	pid = sleeper();
	CHECK_EQ(getpgid(pid), pg, "parent_sees_child_pgid");
	CHECK_EQ(setpgid(pid, pid), 0, "parent_setpgid_child");
	CHECK_EQ(getpgid(pid), pid, "parent_sees_new_child_pgid");
	pid2 = sleeper();
	CHECK_EQ(setpgid(pid2, pid), 0, "second_child_joins_group");
	CHECK_EQ(getpgid(pid2), pid, "second_child_pgid");
	CHECK_EQ(kill(-pid, 0), 0, "kill_group_signal_0");
	CHECK_EQ(waitpid(-pid, &st, WNOHANG), 0, "waitpid_group_running");
	CHECK_EQ(kill(-pid, SIGTERM), 0, "kill_group_sigterm");
	int killed = 0;
	for (int i = 0; i < 2; i++) {
		pid_t r = waitpid(-pid, &st, 0);
		killed += (r == pid || r == pid2) && WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM;
	}
	CHECK_EQ(killed, 2, "kill_group_kills_both");
	CHECK_ERR(kill(-pid, 0), ESRCH, "kill_empty_group_esrch");
	CHECK_ERR(killpg(pid, SIGTERM), ESRCH, "killpg_empty_group_esrch");
	CHECK_ERR(setpgid(pid, pid), ESRCH, "setpgid_reaped_child_esrch");

	/* A zombie group leader keeps the group alive for joining. */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		conf_failures = 0; /* count only the child's own cases */
		setpgid(0, 0);
		_exit(0);
	}
	setpgid(pid, pid);
	siginfo_t si;
	waitid(P_PID, pid, &si, WEXITED | WNOWAIT);
	pid2 = sleeper();
	CHECK_EQ(setpgid(pid2, pid), 0, "join_group_of_zombie_leader");
	CHECK_EQ(getpgid(pid), pid, "getpgid_zombie");
	kill(pid2, SIGKILL);
	reap(pid2);
	reap(pid);

	/* ---- sessions ---- */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		conf_failures = 0; /* count only the child's own cases */
		pid_t self = getpid();
		CHECK_EQ(setsid(), self, "setsid_returns_pid");
		CHECK_EQ(getsid(0), self, "getsid_after_setsid");
		CHECK_EQ(getpgrp(), self, "setsid_makes_group_leader");
		CHECK(getsid(getppid()) == sid, "parent_session_unchanged");
		CHECK_ERR(setsid(), EPERM, "setsid_twice_eperm");
		CHECK_ERR(setpgid(0, 0), EPERM, "session_leader_setpgid_eperm");
		CHECK_ERR(setpgid(0, pg), EPERM, "setpgid_other_session_group_eperm");
		/* A grandchild: same session, may make its own group, not a session. */
		fflush(stdout);
		pid_t g = fork();
		if (g == 0) {
			conf_failures = 0; /* count only the child's own cases */
			CHECK_EQ(getsid(0), self, "grandchild_in_new_session");
			CHECK_EQ(setpgid(0, 0), 0, "grandchild_own_group");
			CHECK_EQ(setpgid(0, self), 0, "grandchild_back_to_leader_group");
			CHECK_ERR(setpgid(0, pg), EPERM, "grandchild_cannot_join_old_session_group");
			CHILD_DONE();
		}
		check_child_ok(g, "grandchild_cases");
		CHILD_DONE();
	}
	check_child_ok(pid, "child_session_cases");

	/* Parent cannot move a child that is in another session. */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		conf_failures = 0; /* count only the child's own cases */
		setsid();
		conf_msleep(20000);
		_exit(0);
	}
	/* Wait until the child has made its session. */
	for (int i = 0; i < 300 && getsid(pid) != pid; i++)
		conf_msleep(10);
	CHECK_EQ(getsid(pid), pid, "child_session_visible_to_parent");
	CHECK_ERR(setpgid(pid, pg), EPERM, "setpgid_child_other_session_eperm");
	CHECK_ERR(setpgid(pid, pid), EPERM, "setpgid_session_leader_child_eperm");
	kill(pid, SIGKILL);
	reap(pid);

	/* Parent cannot move a child after it has exec'd (vfork: we resume
	 * once the exec has happened). */
	fflush(stdout);
	pid = vfork();
	if (pid == 0) {
		execl("/bin/sleep", "sleep", "20", (char *)NULL);
		_exit(127);
	}
	CHECK_ERR(setpgid(pid, pid), EACCES, "setpgid_after_exec_eacces");
	CHECK_EQ(getpgid(pid), pg, "execd_child_group_unchanged");
	kill(pid, SIGKILL);
	reap(pid);

	/* Not our child: a grandchild (its pid passed through shared memory). */
	volatile pid_t *shm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	SETUP(shm == MAP_FAILED ? -1 : 0);
	shm[0] = 0;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		conf_failures = 0; /* count only the child's own cases */
		pid_t g = sleeper();
		shm[0] = g;
		_exit(reap(g) == SIGKILL ? 0 : 1);
	}
	for (int i = 0; i < 300 && shm[0] == 0; i++)
		conf_msleep(10);
	pid2 = shm[0];
	CHECK(pid2 > 0, "grandchild_pid_known");
	if (pid2 > 0) {
		CHECK_ERR(setpgid(pid2, pid2), ESRCH, "setpgid_grandchild_esrch");
		CHECK_EQ(getpgid(pid2), pg, "getpgid_grandchild_any_process");
		CHECK_ERR(waitpid(pid2, &st, WNOHANG), ECHILD, "waitpid_grandchild_echild");
		kill(pid2, SIGKILL);
	}
	check_child_ok(pid, "grandchild_killed_and_reaped_by_child");
	munmap((void *)shm, 4096);

	CHECK_EQ(getpgrp(), pg, "own_group_still_unchanged");
	CHECK_EQ(getsid(0), sid, "own_session_still_unchanged");
	CHECK_ERR(waitpid(-1, &st, WNOHANG), ECHILD, "no_children_left");
	return conf_exit();
}
