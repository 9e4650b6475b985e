/* wait4/waitpid/waitid: ECHILD and WNOHANG, status decoding for exits and
 * signals, pid selectors (pid, -1, 0, -pgid; P_PID, P_ALL, P_PGID),
 * WNOWAIT, siginfo contents, rusage, __WALL, invalid options, zombies seen
 * once, SIGCHLD ignored (automatic reaping). No signal handlers run. */
#include "conformance.h"
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

/* Forks a child that _exits with CODE after MS milliseconds. */
static pid_t child_exit(int code, long ms)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		if (ms)
			conf_msleep(ms);
		_exit(code);
	}
	return pid;
}

/* Forks a child that sleeps until killed (at most 20 s). */
static pid_t child_sleeper(void)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		conf_msleep(20000);
		_exit(0);
	}
	return pid;
}


/* Waits (without reaping) until PID is a zombie: waitid WNOWAIT. */
static int wait_zombie(pid_t pid)
{
	siginfo_t si;
	memset(&si, 0, sizeof si);
	return waitid(P_PID, pid, &si, WEXITED | WNOWAIT) == 0 && si.si_pid == pid;
}

int main(void)
{
	struct rlimit nocore = { 0, 0 };
	setrlimit(RLIMIT_CORE, &nocore);
	int st;
	siginfo_t si;
	pid_t pid, p2;

	/* ---- no children ---- */
	CHECK_ERR(wait(&st), ECHILD, "wait_no_children_echild");
	CHECK_ERR(waitpid(-1, &st, 0), ECHILD, "waitpid_any_no_children_echild");
	CHECK_ERR(waitpid(-1, &st, WNOHANG), ECHILD, "waitpid_wnohang_no_children_echild");
	CHECK_ERR(waitpid(0, &st, 0), ECHILD, "waitpid_0_no_children_echild");
	CHECK_ERR(waitpid(getpid(), &st, 0), ECHILD, "waitpid_self_echild");
	CHECK_ERR(waitid(P_ALL, 0, &si, WEXITED), ECHILD, "waitid_all_no_children_echild");
	CHECK_ERR(waitid(P_PID, getpid(), &si, WEXITED | WNOHANG), ECHILD, "waitid_pid_not_child_echild");

	/* ---- invalid arguments ---- */
	CHECK_ERR(wait4(-1, &st, WNOWAIT, NULL), EINVAL, "wait4_wnowait_einval");
	CHECK_ERR(wait4(-1, &st, 0x100, NULL), EINVAL, "wait4_unknown_option_einval");
	CHECK_ERR(waitid(P_ALL, 0, &si, 0), EINVAL, "waitid_no_state_einval");
	CHECK_ERR(waitid(P_ALL, 0, &si, WNOHANG), EINVAL, "waitid_wnohang_only_einval");
	CHECK_ERR(waitid((idtype_t)opaque(42), 0, &si, WEXITED), EINVAL, "waitid_bad_idtype_einval");
	CHECK_ERR(waitid(P_PID, 0, &si, WEXITED), EINVAL, "waitid_pid_0_einval");
	CHECK_ERR(waitid(P_PGID, (id_t)opaque(-1), &si, WEXITED), EINVAL, "waitid_negative_pgid_einval");

	/* ---- WNOHANG with a running child ---- */
	pid = child_sleeper();
	CHECK_EQ(waitpid(pid, &st, WNOHANG), 0, "waitpid_wnohang_running_0");
	CHECK_EQ(waitpid(-1, &st, WNOHANG), 0, "waitpid_any_wnohang_running_0");
	CHECK_EQ(wait4(pid, &st, WNOHANG, NULL), 0, "wait4_wnohang_running_0");
	memset(&si, 0x5a, sizeof si);
	CHECK_EQ(waitid(P_PID, pid, &si, WEXITED | WNOHANG), 0, "waitid_wnohang_running_0");
	CHECK(si.si_pid == 0 && si.si_signo == 0, "waitid_wnohang_zeroes_siginfo");
	CHECK_EQ(kill(pid, SIGKILL), 0, "kill_sleeper");
	st = reap(pid);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "sleeper_killed");

	/* ---- exit statuses ---- */
	static const int codes[] = { 0, 1, 2, 42, 128, 254, 255 };
	for (size_t i = 0; i < sizeof codes / sizeof *codes; i++) {
		char name[64];
		pid = child_exit(codes[i], 0);
		st = -1;
		CHECK_EQ(waitpid(pid, &st, 0), pid, (snprintf(name, sizeof name, "waitpid_exit_%d", codes[i]), name));
		snprintf(name, sizeof name, "wifexited_wexitstatus_%d", codes[i]);
		CHECK(WIFEXITED(st) && !WIFSIGNALED(st) && WEXITSTATUS(st) == codes[i], name);
		snprintf(name, sizeof name, "raw_status_exit_%d", codes[i]);
		CHECK_EQ(st, codes[i] << 8, name);
	}

	/* A child that exits later: the blocking wait sleeps until then. */
	pid = child_exit(9, 100);
	CHECK_EQ(waitpid(pid, &st, 0), pid, "blocking_wait_returns_pid");
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 9, "blocking_wait_status");

	/* Status pointer NULL is accepted. */
	pid = child_exit(3, 0);
	CHECK_EQ(waitpid(pid, NULL, 0), pid, "waitpid_null_status");

	/* ---- killed children ---- */
	pid = child_sleeper();
	CHECK_EQ(kill(pid, SIGKILL), 0, "kill_sigkill");
	CHECK_EQ(waitpid(pid, &st, 0), pid, "waitpid_sigkill");
	CHECK(WIFSIGNALED(st) && !WIFEXITED(st) && WTERMSIG(st) == SIGKILL, "wifsignaled_sigkill");
	CHECK_EQ(st, SIGKILL, "raw_status_sigkill");

	pid = child_sleeper();
	CHECK_EQ(kill(pid, SIGTERM), 0, "kill_sigterm");
	CHECK_EQ(waitpid(pid, &st, 0), pid, "waitpid_sigterm");
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM, "wifsignaled_sigterm");
	CHECK_EQ(st, SIGTERM, "raw_status_sigterm");

	fflush(stdout);
	pid = fork();
	if (pid == 0)
		abort();
	CHECK_EQ(waitpid(pid, &st, 0), pid, "waitpid_abort");
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT, "wifsignaled_sigabrt");
	CHECK_EQ(st & 0x7f, SIGABRT, "raw_status_sigabrt");

	/* ---- wait4 with rusage ---- */
	pid = child_exit(4, 0);
	struct rusage ru;
	memset(&ru, 0xff, sizeof ru);
	CHECK_EQ(wait4(pid, &st, 0, &ru), pid, "wait4_rusage");
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 4, "wait4_rusage_status");
	CHECK(ru.ru_utime.tv_usec >= 0 && ru.ru_utime.tv_usec < 1000000 && ru.ru_stime.tv_usec >= 0 &&
	      ru.ru_stime.tv_usec < 1000000, "wait4_rusage_filled");
	pid = child_exit(5, 0);
	CHECK_EQ(wait4(-1, &st, 0, NULL), pid, "wait4_any_null_rusage");

	/* ---- selectors ---- */
	pid = child_exit(11, 0);
	p2 = child_exit(12, 50);
	CHECK_EQ(waitpid(p2, &st, 0), p2, "waitpid_specific_skips_other");
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 12, "waitpid_specific_status");
	CHECK_EQ(waitpid(-1, &st, 0), pid, "waitpid_any_gets_remaining");
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 11, "waitpid_any_status");

	pid = child_exit(13, 0);
	CHECK_EQ(waitpid(0, &st, 0), pid, "waitpid_0_same_group");

	/* A child in its own group: waitpid(-pgid) and waitpid(0). */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		conf_msleep(50);
		_exit(14);
	}
	setpgid(pid, pid);
	CHECK_ERR(waitpid(0, &st, WNOHANG), ECHILD, "waitpid_0_only_other_group_echild");
	CHECK_ERR(waitpid(-getpgrp() - 100000, &st, WNOHANG), ECHILD, "waitpid_neg_unknown_group_echild");
	CHECK_EQ(waitpid(-pid, &st, 0), pid, "waitpid_neg_pgid");
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 14, "waitpid_neg_pgid_status");

	/* ---- waitid ---- */
	pid = child_exit(15, 0);
	memset(&si, 0, sizeof si);
	CHECK_EQ(waitid(P_PID, pid, &si, WEXITED), 0, "waitid_p_pid");
	CHECK_EQ(si.si_signo, SIGCHLD, "waitid_si_signo_sigchld");
	CHECK_EQ(si.si_pid, pid, "waitid_si_pid");
	CHECK_EQ(si.si_uid, getuid(), "waitid_si_uid");
	CHECK_EQ(si.si_code, CLD_EXITED, "waitid_si_code_cld_exited");
	CHECK_EQ(si.si_status, 15, "waitid_si_status_exit_code");
	CHECK_ERR(waitid(P_PID, pid, &si, WEXITED), ECHILD, "waitid_reaped_echild");

	pid = child_exit(16, 0);
	memset(&si, 0, sizeof si);
	CHECK_EQ(waitid(P_ALL, 0, &si, WEXITED), 0, "waitid_p_all");
	CHECK(si.si_pid == pid && si.si_status == 16 && si.si_code == CLD_EXITED, "waitid_p_all_info");

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		_exit(17);
	}
	setpgid(pid, pid);
	p2 = child_exit(18, 0); /* in our group: not matched by P_PGID pid */
	memset(&si, 0, sizeof si);
	CHECK_EQ(waitid(P_PGID, pid, &si, WEXITED), 0, "waitid_p_pgid");
	CHECK(si.si_pid == pid && si.si_status == 17, "waitid_p_pgid_info");
	memset(&si, 0, sizeof si);
	CHECK_EQ(waitid(P_PGID, 0, &si, WEXITED), 0, "waitid_p_pgid_0_own_group");
	CHECK(si.si_pid == p2 && si.si_status == 18, "waitid_p_pgid_0_info");

	pid = child_sleeper();
	kill(pid, SIGKILL);
	memset(&si, 0, sizeof si);
	CHECK_EQ(waitid(P_PID, pid, &si, WEXITED), 0, "waitid_killed");
	CHECK_EQ(si.si_code, CLD_KILLED, "waitid_si_code_cld_killed");
	CHECK_EQ(si.si_status, SIGKILL, "waitid_si_status_sigkill");

	pid = child_sleeper();
	kill(pid, SIGTERM);
	memset(&si, 0, sizeof si);
	CHECK_EQ(waitid(P_PID, pid, &si, WEXITED), 0, "waitid_sigterm");
	CHECK(si.si_code == CLD_KILLED && si.si_status == SIGTERM, "waitid_sigterm_info");

	fflush(stdout);
	pid = fork();
	if (pid == 0)
		abort();
	memset(&si, 0, sizeof si);
	CHECK_EQ(waitid(P_PID, pid, &si, WEXITED), 0, "waitid_abort");
	CHECK((si.si_code == CLD_KILLED || si.si_code == CLD_DUMPED) && si.si_status == SIGABRT,
	      "waitid_abort_info");

	/* Raw waitid with a NULL infop still reaps. */
	pid = child_exit(19, 0);
	CHECK_EQ(syscall(SYS_waitid, P_PID, pid, NULL, WEXITED, NULL), 0, "waitid_null_infop");
	CHECK_ERR(waitpid(pid, &st, WNOHANG), ECHILD, "waitid_null_infop_reaped");
	/* Raw waitid with rusage. */
	pid = child_exit(20, 0);
	memset(&si, 0, sizeof si);
	CHECK_EQ(syscall(SYS_waitid, P_PID, pid, &si, WEXITED, &ru), 0, "waitid_rusage");
	CHECK_EQ(si.si_status, 20, "waitid_rusage_status");

	/* ---- WNOWAIT: the zombie stays ---- */
	pid = child_exit(21, 0);
	memset(&si, 0, sizeof si);
	CHECK_EQ(waitid(P_PID, pid, &si, WEXITED | WNOWAIT), 0, "wnowait_first");
	CHECK(si.si_pid == pid && si.si_status == 21, "wnowait_first_info");
	memset(&si, 0, sizeof si);
	CHECK_EQ(waitid(P_ALL, 0, &si, WEXITED | WNOWAIT), 0, "wnowait_second");
	CHECK(si.si_pid == pid && si.si_status == 21, "wnowait_second_info");
	CHECK_EQ(kill(pid, 0), 0, "zombie_exists_for_kill");
	CHECK_EQ(kill(pid, SIGKILL), 0, "kill_zombie_ok");
	CHECK_EQ(waitpid(pid, &st, 0), pid, "zombie_reaped");
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 21, "zombie_status_unchanged");
	CHECK_ERR(waitpid(pid, &st, 0), ECHILD, "zombie_reaped_only_once");
	CHECK_ERR(waitpid(pid, &st, WNOHANG), ECHILD, "zombie_gone_wnohang");
	CHECK_ERR(kill(pid, 0), ESRCH, "reaped_pid_esrch");

	/* Several zombies, each reaped exactly once. */
	pid_t kids[5];
	for (int i = 0; i < 5; i++)
		kids[i] = child_exit(30 + i, 0);
	for (int i = 0; i < 5; i++)
		wait_zombie(kids[i]);
	int seen = 0, good = 0;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		for (int i = 0; i < 5; i++)
			if (kids[i] == pid) {
				good += WIFEXITED(st) && WEXITSTATUS(st) == 30 + i;
				kids[i] = -2;
			}
		seen++;
	}
	CHECK_EQ(seen, 5, "five_zombies_reaped_once_each");
	CHECK_EQ(good, 5, "five_zombies_statuses");
	CHECK_ERR(waitpid(-1, &st, WNOHANG), ECHILD, "no_zombies_left");

	/* __WALL sees ordinary children; __WCLONE alone does not. */
	pid = child_exit(22, 0);
	wait_zombie(pid);
	CHECK_ERR(waitpid(pid, &st, __WCLONE | WNOHANG), ECHILD, "wclone_ignores_normal_child");
	CHECK_EQ(waitpid(pid, &st, __WALL), pid, "wall_sees_normal_child");

	/* ---- SIGCHLD ignored: children are reaped automatically ---- */
	signal(SIGCHLD, SIG_IGN);
	pid = child_exit(23, 0);
	p2 = child_exit(24, 50);
	CHECK_ERR(waitpid(-1, &st, 0), ECHILD, "sigchld_ign_wait_echild");
	CHECK_ERR(kill(pid, 0), ESRCH, "sigchld_ign_no_zombie");
	CHECK_ERR(kill(p2, 0), ESRCH, "sigchld_ign_no_zombie_late_child");
	signal(SIGCHLD, SIG_DFL);

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sa.sa_flags = SA_NOCLDWAIT;
	sigaction(SIGCHLD, &sa, NULL);
	pid = child_exit(25, 20);
	CHECK_ERR(waitpid(pid, &st, 0), ECHILD, "sa_nocldwait_wait_echild");
	sa.sa_flags = 0;
	sigaction(SIGCHLD, &sa, NULL);
	pid = child_exit(26, 0);
	CHECK_EQ(waitpid(pid, &st, 0), pid, "sigchld_default_again_zombie");

	CHECK_ERR(waitpid(-1, &st, WNOHANG), ECHILD, "no_children_left");
	return conf_exit();
}
