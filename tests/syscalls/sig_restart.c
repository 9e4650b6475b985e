/* SA_RESTART: a blocking pipe read interrupted by a handled signal is
 * restarted with SA_RESTART and fails with EINTR without it; the same for
 * write to a full pipe and wait4. A signal that is ignored or blocked does not
 * interrupt. The signal comes from a forked child; the data after it. */
#include "conformance.h"
#include <linux/futex.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/uio.h>
#include <time.h>

static volatile sig_atomic_t hits;

static void on_usr1(int sig)
{
	(void)sig;
	hits++;
}

/* A child that sends SIGUSR1 to the parent after 40 ms, then (if WFD >= 0)
 * writes one byte to WFD after 40 ms more, then exits after 40 ms more. */
static pid_t signaller(int wfd, int rfd_close)
{
	pid_t parent = getpid();
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		if (rfd_close >= 0)
			close(rfd_close);
		conf_msleep_full(40);
		kill(parent, SIGUSR1);
		conf_msleep_full(40);
		if (wfd >= 0 && write(wfd, "x", 1) != 1)
			_exit(1);
		conf_msleep_full(40);
		_exit(0);
	}
	return pid;
}

/*
 * A stop and a continue (no handler) interrupt no timed wait: a relative
 * nanosleep goes on to its end and returns 0 (Linux: restart_syscall with
 * the sleep's restart block), a futex wait with a timeout ends in
 * ETIMEDOUT, never EINTR.
 */
static void stop_continue(void)
{
	struct timespec t0, t1;
	for (int which = 0; which < 2; which++) {
		pid_t pid = fork();
		if (pid == 0) {
			static int word;
			struct timespec ts = { 0, 600 * 1000000L };
			long r;
			clock_gettime(CLOCK_MONOTONIC, &t0);
			if (which == 0)
				r = nanosleep(&ts, NULL);
			else
				r = syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0);
			int e = errno;
			clock_gettime(CLOCK_MONOTONIC, &t1);
			long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
			if (which == 0)
				_exit(r == 0 && ms >= 590 ? 0 : 1);
			_exit(r == -1 && e == ETIMEDOUT && ms >= 590 ? 0 : 2);
		}
		SETUP(pid);
		conf_msleep_full(100);
		CHECK_EQ(kill(pid, SIGSTOP), 0, "stop_timed_wait_child");
		conf_msleep_full(100);
		CHECK_EQ(kill(pid, SIGCONT), 0, "cont_timed_wait_child");
		int st = 0;
		CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      which == 0 ? "nanosleep_goes_on_after_stop_continue"
				 : "futex_timeout_not_eintr_after_stop_continue");
	}
}

int main(void)
{
	int p[2];
	char c;

	/* read, SA_RESTART: the handler runs and read returns the byte. */
	SETUP(pipe(p));
	SETUP(conf_set_handler(SIGUSR1, on_usr1, SA_RESTART));
	hits = 0;
	pid_t pid = signaller(p[1], p[0]);
	CHECK_EQ(read(p[0], &c, 1), 1, "read_restarted_with_sa_restart");
	CHECK_EQ(hits, 1, "read_restart_handler_ran");
	check_child_ok(pid, "read_restart_child");
	close(p[0]);
	close(p[1]);

	/* read without SA_RESTART: EINTR. */
	SETUP(pipe(p));
	SETUP(conf_set_handler(SIGUSR1, on_usr1, 0));
	hits = 0;
	pid = signaller(p[1], p[0]);
	CHECK_ERR(read(p[0], &c, 1), EINTR, "read_eintr_without_sa_restart");
	CHECK_EQ(hits, 1, "read_eintr_handler_ran");
	CHECK_EQ(read(p[0], &c, 1), 1, "read_after_eintr_gets_data");
	check_child_ok(pid, "read_eintr_child");
	close(p[0]);
	close(p[1]);

	/* readv, same rule. */
	SETUP(pipe(p));
	hits = 0;
	pid = signaller(p[1], p[0]);
	struct iovec iov = { &c, 1 };
	CHECK_ERR(readv(p[0], &iov, 1), EINTR, "readv_eintr_without_sa_restart");
	check_child_ok(pid, "readv_child");
	close(p[0]);
	close(p[1]);

	/* write to a full pipe without SA_RESTART: EINTR (nothing written). */
	SETUP(pipe(p));
	SETUP(fcntl(p[1], F_SETFL, O_NONBLOCK));
	static char big[65536];
	long filled = 0;
	ssize_t w;
	while ((w = write(p[1], big, sizeof big)) > 0)
		filled += w;
	SETUP(fcntl(p[1], F_SETFL, 0));
	hits = 0;
	pid = signaller(-1, -1);
	CHECK_ERR(write(p[1], big, 1), EINTR, "write_full_pipe_eintr");
	CHECK_EQ(hits, 1, "write_eintr_handler_ran");
	check_child_ok(pid, "write_eintr_child");

	/* Full-pipe write with SA_RESTART: the child drains after the signal. */
	SETUP(conf_set_handler(SIGUSR1, on_usr1, SA_RESTART));
	hits = 0;
	pid_t parent = getpid();
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		conf_msleep_full(40);
		kill(parent, SIGUSR1);
		conf_msleep_full(40);
		long got = 0;
		while (got < filled + 1) {
			ssize_t r = read(p[0], big, sizeof big);
			if (r <= 0)
				_exit(1);
			got += r;
		}
		_exit(0);
	}
	CHECK_EQ(write(p[1], big, 1), 1, "write_full_pipe_restarted");
	CHECK_EQ(hits, 1, "write_restart_handler_ran");
	check_child_ok(pid, "write_restart_child");
	close(p[0]);
	close(p[1]);

	/* wait4: restarted with SA_RESTART, EINTR without. */
	int st;
	hits = 0;
	pid = signaller(-1, -1);
	CHECK_EQ(waitpid(pid, &st, 0), pid, "waitpid_restarted_with_sa_restart");
	CHECK_EQ(hits, 1, "waitpid_restart_handler_ran");
	SETUP(conf_set_handler(SIGUSR1, on_usr1, 0));
	hits = 0;
	pid = signaller(-1, -1);
	CHECK_ERR(waitpid(pid, &st, 0), EINTR, "waitpid_eintr_without_sa_restart");
	check_child_ok(pid, "waitpid_eintr_child");

	/* An ignored signal does not interrupt the read. */
	SETUP(pipe(p));
	signal(SIGUSR1, SIG_IGN);
	pid = signaller(p[1], p[0]);
	CHECK_EQ(read(p[0], &c, 1), 1, "ignored_signal_no_eintr");
	check_child_ok(pid, "ignored_child");
	close(p[0]);
	close(p[1]);

	/* A blocked signal does not interrupt; it is pending afterwards. */
	SETUP(pipe(p));
	SETUP(conf_set_handler(SIGUSR1, on_usr1, 0));
	sigset_t s, old;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	sigprocmask(SIG_BLOCK, &s, &old);
	hits = 0;
	pid = signaller(p[1], p[0]);
	CHECK_EQ(read(p[0], &c, 1), 1, "blocked_signal_no_eintr");
	sigset_t pend;
	sigpending(&pend);
	CHECK(sigismember(&pend, SIGUSR1), "blocked_signal_pending");
	CHECK_EQ(hits, 0, "blocked_handler_not_run");
	sigprocmask(SIG_SETMASK, &old, NULL);
	CHECK_EQ(hits, 1, "blocked_handler_runs_on_unblock");
	check_child_ok(pid, "blocked_child");
	close(p[0]);
	close(p[1]);

	signal(SIGUSR1, SIG_DFL);
	stop_continue();
	return conf_exit();
}
