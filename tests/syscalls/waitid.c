/* waitid: P_PID, P_PGID, P_ALL and P_PIDFD; WEXITED, WSTOPPED, WCONTINUED,
 * WNOWAIT (the child stays waitable), WNOHANG (si_pid 0), the siginfo it
 * fills (si_signo SIGCHLD, si_code CLD_EXITED/KILLED/STOPPED/CONTINUED,
 * si_status, si_pid, si_uid), and the errors (EINVAL, ECHILD).
 */
#include "conformance.h"
#include <signal.h>
#include <sys/syscall.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

int main(void)
{
	siginfo_t si;
	CHECK_ERR(waitid(P_ALL, 0, &si, WEXITED), ECHILD, "no_children_echild");
	CHECK_ERR(waitid(P_ALL, 0, &si, 0), EINVAL, "no_options_einval");
	CHECK_ERR(waitid(7, 0, &si, WEXITED), EINVAL, "bad_idtype_einval");

	pid_t pid = fork();
	if (pid == 0)
		_exit(7);
	memset(&si, 0, sizeof si);
	CHECK_EQ(waitid(P_PID, pid, &si, WEXITED | WNOWAIT), 0, "wnowait");
	CHECK_EQ(si.si_pid, pid, "wnowait_si_pid");
	CHECK_EQ(si.si_code, CLD_EXITED, "cld_exited");
	CHECK_EQ(si.si_status, 7, "si_status_exit_code");
	CHECK_EQ(si.si_signo, SIGCHLD, "si_signo_sigchld");
	CHECK_EQ((long)si.si_uid, (long)getuid(), "si_uid");
	memset(&si, 0, sizeof si);
	CHECK_EQ(waitid(P_PID, pid, &si, WEXITED), 0, "reap_after_wnowait");
	CHECK_EQ(si.si_pid, pid, "reaped_same_child");
	CHECK_ERR(waitid(P_PID, pid, &si, WEXITED), ECHILD, "reaped_once");

	/* Killed, and WNOHANG with nothing to report. */
	pid = fork();
	if (pid == 0) {
		pause();
		_exit(0);
	}
	memset(&si, 0xff, sizeof si);
	CHECK_EQ(waitid(P_PID, pid, &si, WEXITED | WNOHANG), 0, "wnohang_running");
	CHECK_EQ(si.si_pid, 0, "wnohang_si_pid_zero");
	kill(pid, SIGKILL);
	CHECK_EQ(waitid(P_ALL, 0, &si, WEXITED), 0, "wait_killed");
	CHECK_EQ(si.si_code, CLD_KILLED, "cld_killed");
	CHECK_EQ(si.si_status, SIGKILL, "killed_by_sigkill");

	/* Stopped and continued. */
	pid = fork();
	if (pid == 0) {
		for (;;)
			pause();
	}
	kill(pid, SIGSTOP);
	CHECK_EQ(waitid(P_PID, pid, &si, WSTOPPED), 0, "wait_stopped");
	CHECK_EQ(si.si_code, CLD_STOPPED, "cld_stopped");
	CHECK_EQ(si.si_status, SIGSTOP, "stopped_by_sigstop");
	kill(pid, SIGCONT);
	CHECK_EQ(waitid(P_PID, pid, &si, WCONTINUED), 0, "wait_continued");
	CHECK_EQ(si.si_code, CLD_CONTINUED, "cld_continued");
	CHECK_EQ(si.si_status, SIGCONT, "continued_status");
	kill(pid, SIGKILL);
	CHECK_EQ(waitid(P_PID, pid, &si, WEXITED), 0, "reap_stopper");

	/* P_PGID: a child in its own group. */
	pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		usleep(50000);
		_exit(3);
	}
	setpgid(pid, pid);
	CHECK_EQ(waitid(P_PGID, pid, &si, WEXITED), 0, "wait_pgid");
	CHECK(si.si_pid == pid && si.si_status == 3, "pgid_child_reaped");

	/* P_PIDFD. */
	pid = fork();
	if (pid == 0)
		_exit(9);
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	CHECK(pfd >= 0, "pidfd_open");
	CHECK_EQ(waitid(P_PIDFD, pfd, &si, WEXITED), 0, "wait_pidfd");
	CHECK(si.si_pid == pid && si.si_status == 9, "pidfd_child_reaped");
	CHECK_ERR(waitid(P_PIDFD, 0, &si, WEXITED), EBADF, "pidfd_not_a_pidfd_ebadf");
	return conf_exit();
}
