/* poll, select, ppoll and pselect on pipes whose other end is in another
 * process: timeouts with nothing ready, wake-up on the child's write, POLLHUP
 * when the child's write end closes, POLLERR for a writer without reader,
 * POLLOUT after the child drains a full pipe, and a signal mask swapped in
 * by ppoll/pselect letting a child's signal interrupt with EINTR. */
#include "conformance.h"
#include <poll.h>
#include <signal.h>
#include <sys/select.h>
#include <time.h>

static volatile sig_atomic_t hits;

static void on_usr1(int sig)
{
	(void)sig;
	hits++;
}

/* A child that waits MS, writes one byte to WFD, waits MS, exits. */
static pid_t late_writer(int p[2], long ms)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		conf_msleep(ms);
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		conf_msleep(ms);
		_exit(0);
	}
	close(p[1]);
	return pid;
}

int main(void)
{
	int p[2];
	char c;

	/* poll: timeout, then the child's write, then POLLHUP at its exit. */
	SETUP(pipe(p));
	struct pollfd pfd = { p[0], POLLIN, 0 };
	double t0 = conf_now();
	CHECK_EQ(poll(&pfd, 1, 30), 0, "poll_timeout_nothing_ready");
	CHECK(conf_now() - t0 >= 0.029, "poll_waited_timeout");
	pid_t pid = late_writer(p, 50);
	CHECK_EQ(poll(&pfd, 1, 2000), 1, "poll_woken_by_child_write");
	CHECK_EQ(pfd.revents, POLLIN, "poll_revents_pollin");
	CHECK_EQ(read(p[0], &c, 1), 1, "poll_read_byte");
	pfd.revents = 0;
	CHECK_EQ(poll(&pfd, 1, 2000), 1, "poll_woken_by_child_exit");
	CHECK_EQ(pfd.revents, POLLHUP, "poll_revents_pollhup");
	check_child_ok(pid, "poll_child");
	close(p[0]);

	/* select: same sequence; the timeout is updated. */
	SETUP(pipe(p));
	fd_set rf;
	FD_ZERO(&rf);
	FD_SET(p[0], &rf);
	struct timeval tv = { 0, 30000 };
	CHECK_EQ(select(p[0] + 1, &rf, NULL, NULL, &tv), 0, "select_timeout");
	CHECK(tv.tv_sec == 0 && tv.tv_usec == 0, "select_timeout_zeroed");
	pid = late_writer(p, 50);
	FD_ZERO(&rf);
	FD_SET(p[0], &rf);
	tv.tv_sec = 2;
	tv.tv_usec = 0;
	CHECK_EQ(select(p[0] + 1, &rf, NULL, NULL, &tv), 1, "select_woken_by_child_write");
	CHECK(FD_ISSET(p[0], &rf), "select_fd_set");
	CHECK(tv.tv_sec == 1 && tv.tv_usec > 0, "select_timeout_reduced");
	CHECK_EQ(read(p[0], &c, 1), 1, "select_read_byte");
	FD_ZERO(&rf);
	FD_SET(p[0], &rf);
	CHECK_EQ(select(p[0] + 1, &rf, NULL, NULL, NULL), 1, "select_readable_at_eof");
	CHECK_EQ(read(p[0], &c, 1), 0, "select_eof_read_0");
	check_child_ok(pid, "select_child");
	close(p[0]);

	/* Writer side: full pipe not writable until the child drains it. */
	SETUP(pipe(p));
	SETUP(fcntl(p[1], F_SETFL, O_NONBLOCK));
	static char big[65536];
	while (write(p[1], big, sizeof big) > 0)
		;
	struct pollfd wfd = { p[1], POLLOUT, 0 };
	CHECK_EQ(poll(&wfd, 1, 0), 0, "full_pipe_not_writable");
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(p[1]);
		conf_msleep(50);
		static char rb[65536];
		ssize_t r = read(p[0], rb, sizeof rb);
		_exit(r > 0 ? 0 : 1);
	}
	CHECK_EQ(poll(&wfd, 1, 2000), 1, "pollout_after_child_drains");
	CHECK_EQ(wfd.revents, POLLOUT, "revents_pollout");
	check_child_ok(pid, "drain_child");
	/* The child's read end is gone; closing ours leaves no reader. */
	close(p[0]);
	wfd.revents = 0;
	CHECK_EQ(poll(&wfd, 1, 0), 1, "no_reader_poll_ready");
	CHECK_EQ(wfd.revents, POLLOUT | POLLERR, "no_reader_pollerr");
	fd_set wf;
	FD_ZERO(&wf);
	FD_SET(p[1], &wf);
	tv.tv_sec = 0;
	tv.tv_usec = 0;
	CHECK_EQ(select(p[1] + 1, NULL, &wf, NULL, &tv), 1, "no_reader_select_writable");
	close(p[1]);

	/* Many fds: only the one the child writes is ready. */
	int ps[4][2];
	struct pollfd many[4];
	for (int i = 0; i < 4; i++) {
		SETUP(pipe(ps[i]));
		many[i].fd = ps[i][0];
		many[i].events = POLLIN;
		many[i].revents = 0;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		conf_msleep(30);
		_exit(write(ps[2][1], "z", 1) == 1 ? 0 : 1);
	}
	CHECK_EQ(poll(many, 4, 2000), 1, "poll_many_one_ready");
	CHECK(many[2].revents == POLLIN && !many[0].revents && !many[1].revents && !many[3].revents,
	      "poll_many_right_fd");
	check_child_ok(pid, "many_child");
	for (int i = 0; i < 4; i++) {
		close(ps[i][0]);
		close(ps[i][1]);
	}

	/* ppoll/pselect: SIGUSR1 blocked except while waiting. */
	signal(SIGUSR1, on_usr1);
	sigset_t blk, old, empty;
	sigemptyset(&blk);
	sigemptyset(&empty);
	sigaddset(&blk, SIGUSR1);
	sigprocmask(SIG_BLOCK, &blk, &old);
	SETUP(pipe(p));
	pfd.fd = p[0];
	pfd.events = POLLIN;
	pid_t parent = getpid();
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		conf_msleep(50);
		kill(parent, SIGUSR1);
		_exit(0);
	}
	struct timespec two = { 2, 0 };
	hits = 0;
	CHECK_ERR(ppoll(&pfd, 1, &two, &empty), EINTR, "ppoll_eintr_by_child_signal");
	CHECK_EQ(hits, 1, "ppoll_handler_ran");
	sigset_t cur;
	sigprocmask(SIG_SETMASK, NULL, &cur);
	CHECK(sigismember(&cur, SIGUSR1), "ppoll_mask_restored");
	check_child_ok(pid, "ppoll_child");
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		conf_msleep(50);
		kill(parent, SIGUSR1);
		_exit(0);
	}
	FD_ZERO(&rf);
	FD_SET(p[0], &rf);
	hits = 0;
	CHECK_ERR(pselect(p[0] + 1, &rf, NULL, NULL, &two, &empty), EINTR, "pselect_eintr_by_child_signal");
	CHECK_EQ(hits, 1, "pselect_handler_ran");
	check_child_ok(pid, "pselect_child");
	/* With the mask kept, the signal stays pending and the timeout runs out. */
	kill(parent, SIGUSR1);
	struct timespec t20 = { 0, 20000000 };
	hits = 0;
	CHECK_EQ(ppoll(&pfd, 1, &t20, &blk), 0, "ppoll_blocked_signal_times_out");
	CHECK_EQ(hits, 0, "ppoll_blocked_no_handler");
	sigprocmask(SIG_SETMASK, &old, NULL);
	CHECK_EQ(hits, 1, "pending_delivered_after");
	close(p[0]);
	close(p[1]);
	signal(SIGUSR1, SIG_DFL);
	return conf_exit();
}
