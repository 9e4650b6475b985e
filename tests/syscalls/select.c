/* select and pselect6: readiness of pipes (read, write, hang-up), timeouts
 * and the remaining time select writes back, nfds limits (EINVAL), bad fds
 * (EBADF), pselect6's signal mask (a blocked signal does not interrupt; an
 * unblocked one gives EINTR), and exceptfds on a pipe (never set).
 */
#include "conformance.h"
#include <signal.h>
#include <sys/select.h>
#include <time.h>

static volatile int got_usr1;
static void on_usr1(int s)
{
	(void)s;
	got_usr1++;
}

static long long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

int main(void)
{
	int p[2];
	SETUP(pipe(p));
	fd_set r, w, e;
	struct timeval tv = { 0, 0 };

	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_SET(p[0], &r);
	FD_SET(p[1], &w);
	CHECK_EQ(select(p[1] + 1, &r, &w, NULL, &tv), 1, "only_write_end_ready");
	CHECK(!FD_ISSET(p[0], &r) && FD_ISSET(p[1], &w), "sets_rewritten");
	CHECK_EQ(write(p[1], "x", 1), 1, "write");
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	CHECK_EQ(select(p[0] + 1, &r, NULL, NULL, &tv), 1, "read_end_ready");
	FD_ZERO(&e);
	FD_SET(p[0], &e);
	CHECK_EQ(select(p[0] + 1, NULL, NULL, &e, &tv), 0, "no_exception_on_pipe");

	/* Timeout: the remaining time is written back (Linux). */
	char c;
	SETUP(read(p[0], &c, 1));
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	tv.tv_sec = 0;
	tv.tv_usec = 60000;
	long long t0 = now_ms();
	CHECK_EQ(select(p[0] + 1, &r, NULL, NULL, &tv), 0, "timeout");
	CHECK(now_ms() - t0 >= 55, "waited_the_timeout");
	CHECK(tv.tv_sec == 0 && tv.tv_usec == 0, "remaining_time_zero");
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	tv.tv_sec = 5;
	tv.tv_usec = 0;
	pid_t pid = fork();
	if (pid == 0) {
		usleep(50000);
		_exit(write(p[1], "y", 1) == 1 ? 0 : 1);
	}
	CHECK_EQ(select(p[0] + 1, &r, NULL, NULL, &tv), 1, "woken_by_writer");
	CHECK(tv.tv_sec < 5 && tv.tv_sec >= 3, "remaining_time_decreased");
	int st;
	SETUP(waitpid(pid, &st, 0));
	SETUP(read(p[0], &c, 1));

	/* Errors. */
	tv.tv_sec = 0;
	tv.tv_usec = 0;
	CHECK_ERR(select(-1, NULL, NULL, NULL, &tv), EINVAL, "negative_nfds_einval");
	int cfd;
	SETUP(cfd = dup(p[0]));
	close(cfd);
	FD_ZERO(&r);
	FD_SET(cfd, &r);
	CHECK_ERR(select(cfd + 1, &r, NULL, NULL, &tv), EBADF, "closed_fd_ebadf");
	struct timeval bad = { 0, -1 };
	FD_ZERO(&r);
	CHECK_ERR(select(1, &r, NULL, NULL, &bad), EINVAL, "negative_usec_einval");
	CHECK_ERR(syscall(SYS_select, 1, (fd_set *)8, NULL, NULL, &tv), EFAULT, "bad_set_efault");

	/* Hang-up: the read end of a pipe without writers is readable (EOF). */
	int q[2];
	SETUP(pipe(q));
	close(q[1]);
	FD_ZERO(&r);
	FD_SET(q[0], &r);
	CHECK_EQ(select(q[0] + 1, &r, NULL, NULL, &tv), 1, "eof_readable");

	/* pselect6: a blocked signal does not interrupt; an unblocked one does. */
	signal(SIGUSR1, on_usr1);
	sigset_t block, none;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigemptyset(&none);
	sigprocmask(SIG_BLOCK, &block, NULL);
	pid = fork();
	if (pid == 0) {
		usleep(50000);
		kill(getppid(), SIGUSR1);
		_exit(0);
	}
	struct timespec ts = { 0, 200 * 1000000 };
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	CHECK_EQ(pselect(p[0] + 1, &r, NULL, NULL, &ts, &block), 0, "blocked_signal_no_eintr");
	CHECK_EQ(got_usr1, 0, "handler_not_run_yet");
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	CHECK_ERR(pselect(p[0] + 1, &r, NULL, NULL, &ts, &none), EINTR, "unblocked_signal_eintr");
	CHECK_EQ(got_usr1, 1, "handler_ran_once");
	SETUP(waitpid(pid, &st, 0));
	return conf_exit();
}
