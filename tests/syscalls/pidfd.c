/* pidfd_open, pidfd_send_signal, pidfd_getfd: a pidfd polls readable when
 * its process exits, signals through it reach the process (with Linux's
 * siginfo rules), it is close-on-exec, and the errors (EINVAL, ESRCH,
 * EBADF, EPERM).
 */
#include "conformance.h"
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>

static int pidfd_open(pid_t pid, unsigned flags)
{
	return (int)syscall(SYS_pidfd_open, pid, flags);
}

static int pidfd_send_signal(int fd, int sig, siginfo_t *info, unsigned flags)
{
	return (int)syscall(SYS_pidfd_send_signal, fd, sig, info, flags);
}

int main(void)
{
	CHECK_ERR(pidfd_open(0, 0), EINVAL, "pid_0_einval");
	CHECK_ERR(pidfd_open(getpid(), 0x1), EINVAL, "bad_flags_einval");
	CHECK_ERR(pidfd_open(0x3fffffff, 0), ESRCH, "missing_pid_esrch");
	int self;
	SETUP(self = pidfd_open(getpid(), 0));
	CHECK_EQ(fcntl(self, F_GETFD), FD_CLOEXEC, "always_cloexec");
	struct pollfd p = { .fd = self, .events = POLLIN };
	CHECK_EQ(poll(&p, 1, 0), 0, "live_process_not_readable");
	CHECK_EQ(pidfd_send_signal(self, 0, NULL, 0), 0, "signal_0_probe");
	CHECK_ERR(pidfd_send_signal(self, 0, NULL, 0x100), EINVAL, "send_bad_flags_einval");
	CHECK_ERR(pidfd_send_signal(self, 0, NULL, 3), EINVAL, "send_two_scopes_einval");
	CHECK_ERR(pidfd_send_signal(0, 0, NULL, 0), EBADF, "send_not_pidfd_ebadf");
	CHECK_ERR(pidfd_send_signal(self, 65, NULL, 0), EINVAL, "send_bad_signal_einval");

	/* A child waiting for SIGUSR1, signalled through its pidfd with a value. */
	int pp[2];
	SETUP(pipe(pp));
	pid_t pid = fork();
	if (pid == 0) {
		sigset_t s;
		sigemptyset(&s);
		sigaddset(&s, SIGUSR1);
		sigprocmask(SIG_BLOCK, &s, NULL);
		if (write(pp[1], "r", 1) != 1)
			_exit(9);
		siginfo_t si;
		if (sigwaitinfo(&s, &si) != SIGUSR1)
			_exit(2);
		_exit(si.si_code == SI_QUEUE && si.si_value.sival_int == 77 ? 0 : 3);
	}
	char c;
	SETUP(read(pp[0], &c, 1));
	int fd;
	SETUP(fd = pidfd_open(pid, 0));
	siginfo_t info;
	memset(&info, 0, sizeof info);
	info.si_signo = SIGUSR1;
	info.si_code = SI_USER;
	CHECK_ERR(pidfd_send_signal(fd, SIGUSR1, &info, 0), EPERM, "forged_si_user_eperm");
	info.si_signo = SIGUSR2;
	info.si_code = SI_QUEUE;
	CHECK_ERR(pidfd_send_signal(fd, SIGUSR1, &info, 0), EINVAL, "signo_mismatch_einval");
	info.si_signo = SIGUSR1;
	info.si_value.sival_int = 77;
	info.si_pid = getpid();
	info.si_uid = getuid();
	CHECK_EQ(pidfd_send_signal(fd, SIGUSR1, &info, 0), 0, "send_si_queue");
	p.fd = fd;
	CHECK_EQ(poll(&p, 1, 5000), 1, "exit_makes_readable");
	CHECK_EQ(p.revents, POLLIN, "pollin_on_exit");
	int st;
	SETUP(waitpid(pid, &st, 0));
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child_saw_value");
	CHECK_ERR(pidfd_send_signal(fd, SIGTERM, NULL, 0), ESRCH, "reaped_esrch");
	CHECK_EQ(poll(&p, 1, 0), 1, "reaped_still_readable");

	/* kill through a pidfd, like kill(2). */
	pid = fork();
	if (pid == 0) {
		pause();
		_exit(0);
	}
	SETUP(fd = pidfd_open(pid, 0));
	CHECK_EQ(pidfd_send_signal(fd, SIGTERM, NULL, 0), 0, "send_sigterm");
	SETUP(waitpid(pid, &st, 0));
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM, "child_terminated");

	/* pidfd_getfd: a copy of the child's fd. */
	int sp[2];
	SETUP(pipe(sp));
	pid = fork();
	if (pid == 0) {
		int keep = dup2(sp[1], 40);
		close(sp[0]);
		close(sp[1]);
		if (keep != 40 || write(pp[1], "g", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(sp[1]);
	SETUP(read(pp[0], &c, 1));
	SETUP(fd = pidfd_open(pid, 0));
	int got = (int)syscall(SYS_pidfd_getfd, fd, 40, 0);
	CHECK(got >= 0, "getfd");
	CHECK_EQ(fcntl(got, F_GETFD), FD_CLOEXEC, "getfd_cloexec");
	CHECK_EQ(write(got, "z", 1), 1, "getfd_writes_childs_pipe");
	CHECK_EQ(read(sp[0], &c, 1), 1, "read_what_was_written");
	CHECK_ERR(syscall(SYS_pidfd_getfd, fd, 41, 0), EBADF, "getfd_missing_ebadf");
	CHECK_ERR(syscall(SYS_pidfd_getfd, fd, 40, 1), EINVAL, "getfd_flags_einval");
	kill(pid, SIGKILL);
	SETUP(waitpid(pid, &st, 0));
	return conf_exit();
}
