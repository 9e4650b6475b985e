/* signalfd: reading blocked signals as signalfd_siginfo (ssi_signo,
 * ssi_code, ssi_pid, ssi_uid, ssi_int for sigqueue), SFD_NONBLOCK (EAGAIN),
 * size rules (EINVAL below one record), several records per read, updating
 * the mask through the same fd, poll readiness, errors (EINVAL flags,
 * EINVAL non-signalfd, EBADF).
 */
#include "conformance.h"
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>

int main(void)
{
	sigset_t m;
	sigemptyset(&m);
	sigaddset(&m, SIGUSR1);
	sigaddset(&m, SIGUSR2);
	sigprocmask(SIG_BLOCK, &m, NULL);
	CHECK_ERR(signalfd(-1, &m, 0x1234), EINVAL, "bad_flags_einval");
	CHECK_ERR(signalfd(999, &m, 0), EBADF, "bad_fd_ebadf");
	int fd;
	SETUP(fd = signalfd(-1, &m, SFD_NONBLOCK | SFD_CLOEXEC));
	CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC, "cloexec");
	struct signalfd_siginfo si[4];
	CHECK_ERR(read(fd, si, sizeof si), EAGAIN, "empty_eagain");
	CHECK_ERR(read(fd, si, sizeof si[0] - 1), EINVAL, "short_read_einval");
	struct pollfd p = { .fd = fd, .events = POLLIN };
	CHECK_EQ(poll(&p, 1, 0), 0, "poll_empty");

	kill(getpid(), SIGUSR1);
	union sigval v = { .sival_int = 1234 };
	SETUP(sigqueue(getpid(), SIGUSR2, v));
	CHECK_EQ(poll(&p, 1, 0), 1, "poll_ready");
	CHECK_EQ(read(fd, si, sizeof si), (long)(2 * sizeof si[0]), "two_records");
	CHECK_EQ(si[0].ssi_signo, SIGUSR1, "first_usr1");
	CHECK_EQ(si[0].ssi_code, SI_USER, "kill_si_user");
	CHECK_EQ(si[0].ssi_pid, (uint32_t)getpid(), "ssi_pid");
	CHECK_EQ(si[0].ssi_uid, (uint32_t)getuid(), "ssi_uid");
	CHECK_EQ(si[1].ssi_signo, SIGUSR2, "second_usr2");
	CHECK_EQ(si[1].ssi_code, SI_QUEUE, "sigqueue_si_queue");
	CHECK_EQ(si[1].ssi_int, 1234, "ssi_int");
	sigset_t pend;
	sigpending(&pend);
	CHECK(!sigismember(&pend, SIGUSR1) && !sigismember(&pend, SIGUSR2), "consumed_from_pending");

	/* Narrow the mask through the same fd: SIGUSR2 no longer read. */
	sigset_t only1;
	sigemptyset(&only1);
	sigaddset(&only1, SIGUSR1);
	CHECK_EQ(signalfd(fd, &only1, 0), fd, "update_mask_same_fd");
	kill(getpid(), SIGUSR2);
	CHECK_ERR(read(fd, si, sizeof si), EAGAIN, "usr2_not_in_mask");
	sigpending(&pend);
	CHECK(sigismember(&pend, SIGUSR2), "usr2_still_pending");
	int p2[2];
	SETUP(pipe(p2));
	CHECK_ERR(signalfd(p2[0], &m, 0), EINVAL, "update_non_signalfd_einval");

	/* A blocking read waits for a signal sent by another process. */
	int bfd;
	SETUP(bfd = signalfd(-1, &only1, 0));
	pid_t pid = fork();
	if (pid == 0) {
		usleep(50000);
		kill(getppid(), SIGUSR1);
		_exit(0);
	}
	CHECK_EQ(read(bfd, si, sizeof si[0]), (long)sizeof si[0], "blocking_read");
	CHECK_EQ(si[0].ssi_pid, (uint32_t)pid, "sender_pid");
	int st;
	SETUP(waitpid(pid, &st, 0));
	return conf_exit();
}
