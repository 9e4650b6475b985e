/* Signal-driven I/O (O_ASYNC): F_SETFL O_ASYNC and FIOASYNC (read back by
 * F_GETFL), SIGIO to the F_SETOWN owner when a pipe, socketpair, unix or
 * TCP listener, pseudo-terminal or inotify instance becomes readable or
 * writable or hangs up; F_SETSIG signals with si_code POLL_*, si_band and
 * si_fd; plain SIGIO with SI_KERNEL; no owner, no signal; a process group
 * owner in another process; a thread owner (F_OWNER_TID); a terminal
 * taking the caller as owner; eventfd and regular files (no fasync in
 * Linux: F_SETFL ignores O_ASYNC, FIOASYNC gives ENOTTY).
 */
#include "conformance.h"
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>

#define RTSIG (SIGRTMIN + 1)

struct ev {
	int signo, code, fd;
	long band;
};
static struct ev evs[64];
static volatile int nev;

static void on_sig(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (nev < 64)
		evs[nev] = (struct ev){ sig, si->si_code, si->si_fd, si->si_band };
	nev++;
}

/* An event of signal sig for fd with code (fd -1, code 0: any). */
static int got(int sig, int fd, int code)
{
	for (int i = 0; i < nev && i < 64; i++)
		if (evs[i].signo == sig && (fd < 0 || evs[i].fd == fd) && (!code || evs[i].code == code))
			return 1;
	return 0;
}

/* got(), waiting up to a second: some signals come from Linux's work queues. */
static int wait_got(int sig, int fd, int code)
{
	for (int i = 0; i < 100 && !got(sig, fd, code); i++)
		usleep(10000);
	return got(sig, fd, code);
}

static long band_of(int sig, int fd, int code)
{
	for (int i = 0; i < nev && i < 64; i++)
		if (evs[i].signo == sig && evs[i].fd == fd && evs[i].code == code)
			return evs[i].band;
	return -1;
}

/* O_ASYNC, owner us, F_SETSIG sig (0: plain SIGIO) on fd. */
static int async_on(int fd, int sig)
{
	if (fcntl(fd, F_SETOWN, getpid()) < 0 || fcntl(fd, F_SETSIG, sig) < 0)
		return -1;
	return fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_ASYNC);
}

static int fioasync(int fd, int on)
{
	return ioctl(fd, FIOASYNC, &on);
}

static void test_pipe(void)
{
	int p[2];
	char c;
	SETUP(pipe(p));
	/* No owner: the flag is set, nothing is sent. */
	CHECK_EQ(fcntl(p[0], F_SETFL, O_ASYNC), 0, "pipe_setfl_async");
	CHECK(fcntl(p[0], F_GETFL) & O_ASYNC, "pipe_getfl_async");
	nev = 0;
	CHECK_EQ(write(p[1], "a", 1), 1, "pipe_write_no_owner");
	CHECK_EQ(nev, 0, "pipe_no_owner_no_signal");
	CHECK_EQ(read(p[0], &c, 1), 1, "pipe_read_no_owner");

	/* Owner, plain SIGIO: SI_KERNEL. */
	CHECK_EQ(fcntl(p[0], F_SETOWN, getpid()), 0, "pipe_setown");
	nev = 0;
	CHECK_EQ(write(p[1], "a", 1), 1, "pipe_write_sigio");
	CHECK(got(SIGIO, -1, SI_KERNEL), "pipe_sigio_si_kernel");
	CHECK_EQ(read(p[0], &c, 1), 1, "pipe_read_sigio");

	/* F_SETSIG: POLL_IN with si_band and si_fd. */
	CHECK_EQ(fcntl(p[0], F_SETSIG, RTSIG), 0, "pipe_setsig");
	nev = 0;
	CHECK_EQ(write(p[1], "a", 1), 1, "pipe_write_setsig");
	CHECK(got(RTSIG, p[0], POLL_IN), "pipe_poll_in");
	CHECK_EQ(band_of(RTSIG, p[0], POLL_IN), POLLIN | POLLRDNORM, "pipe_poll_in_band");
	CHECK(!got(SIGIO, -1, 0), "pipe_setsig_no_sigio");

	/* The write end hears POLL_OUT when a read makes room. */
	CHECK_EQ(async_on(p[1], RTSIG), 0, "pipe_writer_async");
	nev = 0;
	CHECK_EQ(read(p[0], &c, 1), 1, "pipe_read_setsig");
	CHECK(got(RTSIG, p[1], POLL_OUT), "pipe_poll_out");
	CHECK_EQ(band_of(RTSIG, p[1], POLL_OUT), POLLOUT | POLLWRNORM | POLLWRBAND,
		 "pipe_poll_out_band");

	/* O_ASYNC off: nothing more. */
	CHECK_EQ(fcntl(p[0], F_SETFL, 0), 0, "pipe_setfl_off");
	CHECK(!(fcntl(p[0], F_GETFL) & O_ASYNC), "pipe_getfl_off");
	CHECK_EQ(fcntl(p[1], F_SETFL, O_WRONLY), 0, "pipe_writer_off");
	nev = 0;
	CHECK_EQ(write(p[1], "a", 1), 1, "pipe_write_off");
	CHECK_EQ(read(p[0], &c, 1), 1, "pipe_read_off");
	CHECK_EQ(nev, 0, "pipe_off_no_signal");

	/* FIOASYNC turns it on too; closing the writer is POLL_IN for the reader. */
	CHECK_EQ(fioasync(p[0], 1), 0, "pipe_fioasync_on");
	CHECK(fcntl(p[0], F_GETFL) & O_ASYNC, "pipe_fioasync_getfl");
	nev = 0;
	close(p[1]);
	CHECK(got(RTSIG, p[0], POLL_IN), "pipe_close_writer_poll_in");
	CHECK_EQ(fioasync(p[0], 0), 0, "pipe_fioasync_off");
	CHECK(!(fcntl(p[0], F_GETFL) & O_ASYNC), "pipe_fioasync_off_getfl");
	close(p[0]);
}

static void test_socketpair(void)
{
	int sv[2];
	char buf[8];
	SETUP(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	CHECK_EQ(fcntl(sv[1], F_SETOWN, getpid()), 0, "sock_setown");
	CHECK_EQ(fcntl(sv[1], F_SETSIG, RTSIG), 0, "sock_setsig");
	CHECK_EQ(fioasync(sv[1], 1), 0, "sock_fioasync");
	CHECK(fcntl(sv[1], F_GETFL) & O_ASYNC, "sock_fioasync_getfl");
	nev = 0;
	CHECK_EQ(write(sv[0], "hi", 2), 2, "sock_write");
	CHECK(got(RTSIG, sv[1], POLL_IN), "sock_poll_in");
	CHECK_EQ(read(sv[1], buf, sizeof buf), 2, "sock_read");
	nev = 0;
	close(sv[0]);
	CHECK(got(RTSIG, sv[1], POLL_HUP), "sock_peer_close_poll_hup");
	CHECK_EQ(band_of(RTSIG, sv[1], POLL_HUP), POLLHUP | POLLERR, "sock_poll_hup_band");
	close(sv[1]);

	/* F_SETFL O_ASYNC on a socket, and plain SIGIO. */
	SETUP(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	CHECK_EQ(async_on(sv[1], 0), 0, "dgram_setfl_async");
	nev = 0;
	CHECK_EQ(send(sv[0], "x", 1, 0), 1, "dgram_send");
	CHECK(got(SIGIO, -1, SI_KERNEL), "dgram_sigio");
	close(sv[0]);
	close(sv[1]);
}

static void test_listeners(void)
{
	/* A unix listener hears POLL_IN when a connection arrives. */
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	snprintf(un.sun_path + 1, sizeof un.sun_path - 1, "fasync-%d", getpid());
	socklen_t ulen = offsetof(struct sockaddr_un, sun_path) + 1 + strlen(un.sun_path + 1);
	SETUP(bind(l, (struct sockaddr *)&un, ulen));
	SETUP(listen(l, 4));
	CHECK_EQ(async_on(l, RTSIG), 0, "unix_listener_async");
	int c = socket(AF_UNIX, SOCK_STREAM, 0);
	nev = 0;
	CHECK_EQ(connect(c, (struct sockaddr *)&un, ulen), 0, "unix_connect");
	CHECK(got(RTSIG, l, POLL_IN), "unix_listener_poll_in");
	int a = accept(l, NULL, NULL);
	CHECK(a >= 0, "unix_accept");
	close(a);
	close(c);
	close(l);

	/* A TCP listener on loopback too. */
	l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in in = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t ilen = sizeof in;
	SETUP(bind(l, (struct sockaddr *)&in, ilen));
	SETUP(getsockname(l, (struct sockaddr *)&in, &ilen));
	SETUP(listen(l, 4));
	CHECK_EQ(async_on(l, RTSIG), 0, "tcp_listener_async");
	c = socket(AF_INET, SOCK_STREAM, 0);
	nev = 0;
	CHECK_EQ(connect(c, (struct sockaddr *)&in, ilen), 0, "tcp_connect");
	CHECK(wait_got(RTSIG, l, POLL_IN), "tcp_listener_poll_in");
	a = accept(l, NULL, NULL);
	CHECK(a >= 0, "tcp_accept");
	CHECK_EQ(async_on(a, RTSIG), 0, "tcp_conn_async");
	nev = 0;
	CHECK_EQ(write(c, "z", 1), 1, "tcp_write");
	CHECK(wait_got(RTSIG, a, POLL_IN), "tcp_conn_poll_in");
	close(a);
	close(c);
	close(l);
}

static void test_pty(void)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	if (m < 0 || grantpt(m) || unlockpt(m)) {
		conf_fail("pty_setup", "no pseudo-terminal");
		return;
	}
	int s = open(ptsname(m), O_RDWR | O_NOCTTY);
	SETUP(s);
	/* Linux's tty_fasync: O_ASYNC without an owner makes the caller the owner. */
	CHECK_EQ(fcntl(m, F_GETOWN), 0, "pty_no_owner");
	CHECK_EQ(fcntl(m, F_SETSIG, RTSIG), 0, "pty_master_setsig");
	CHECK_EQ(fcntl(m, F_SETFL, fcntl(m, F_GETFL) | O_ASYNC), 0, "pty_master_async");
	CHECK_EQ(fcntl(m, F_GETOWN), getpid(), "pty_async_sets_owner");
	CHECK_EQ(fcntl(s, F_SETSIG, RTSIG), 0, "pty_slave_setsig");
	CHECK_EQ(fioasync(s, 1), 0, "pty_slave_fioasync");
	CHECK_EQ(fcntl(s, F_GETOWN), getpid(), "pty_slave_owner");
	nev = 0;
	CHECK_EQ(write(m, "x\n", 2), 2, "pty_master_write");
	CHECK(wait_got(RTSIG, s, POLL_IN), "pty_slave_poll_in");
	char buf[16];
	CHECK_EQ(read(s, buf, sizeof buf), 2, "pty_slave_read");
	nev = 0;
	CHECK_EQ(write(s, "y", 1), 1, "pty_slave_write");
	CHECK(wait_got(RTSIG, m, POLL_IN), "pty_master_poll_in");
	close(s);
	close(m);
}

static void test_eventfd_inotify(void)
{
	/* eventfd has no fasync in Linux: F_SETFL ignores O_ASYNC, nothing is sent. */
	int e = eventfd(0, 0);
	SETUP(e);
	CHECK_EQ(async_on(e, RTSIG), 0, "eventfd_setfl_async");
	CHECK(!(fcntl(e, F_GETFL) & O_ASYNC), "eventfd_getfl_no_async");
	nev = 0;
	uint64_t one = 1;
	CHECK_EQ(write(e, &one, 8), 8, "eventfd_write");
	CHECK_EQ(nev, 0, "eventfd_no_signal");
	CHECK_ERR(fioasync(e, 1), ENOTTY, "eventfd_fioasync_enotty");
	CHECK_EQ(fioasync(e, 0), 0, "eventfd_fioasync_off_unchanged");
	close(e);

	int in = inotify_init1(0);
	SETUP(in);
	SETUP(inotify_add_watch(in, conf_tmpdir(), IN_CREATE));
	CHECK_EQ(async_on(in, RTSIG), 0, "inotify_async");
	nev = 0;
	close(open(T("created"), O_CREAT | O_WRONLY, 0600));
	CHECK(got(RTSIG, in, POLL_IN), "inotify_poll_in");
	close(in);

	/* A regular file has no fasync either; FIOASYNC is ENOTTY. */
	int f = open(T("reg"), O_CREAT | O_RDWR, 0600);
	SETUP(f);
	CHECK_EQ(fcntl(f, F_SETFL, O_ASYNC), 0, "regular_setfl_async");
	CHECK(!(fcntl(f, F_GETFL) & O_ASYNC), "regular_getfl_no_async");
	CHECK_ERR(fioasync(f, 1), ENOTTY, "regular_fioasync_enotty");
	close(f);
}

/* A process group owner: a child in its own group waits for SIGIO. */
static void test_pgrp(void)
{
	int p[2], go[2];
	SETUP(pipe(p));
	SETUP(pipe(go));
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGIO);
	sigprocmask(SIG_BLOCK, &set, NULL);
	pid_t pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		close(go[1]);
		char c;
		if (read(go[0], &c, 1) != 1)
			_exit(3);
		struct timespec ts = { 5, 0 };
		siginfo_t si;
		_exit(sigtimedwait(&set, &si, &ts) == SIGIO && si.si_code == SI_KERNEL ? 0 : 1);
	}
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	setpgid(pid, pid);
	close(go[0]);
	CHECK_EQ(fcntl(p[0], F_SETOWN, -pid), 0, "pgrp_setown");
	CHECK_EQ(fcntl(p[0], F_GETOWN), -pid, "pgrp_getown");
	struct f_owner_ex ex;
	CHECK_EQ(fcntl(p[0], F_GETOWN_EX, &ex), 0, "pgrp_getown_ex");
	CHECK(ex.type == F_OWNER_PGRP && ex.pid == pid, "pgrp_getown_ex_type");
	CHECK_EQ(fcntl(p[0], F_SETFL, O_ASYNC), 0, "pgrp_async");
	CHECK_EQ(write(go[1], "g", 1), 1, "pgrp_go");
	usleep(100000);
	nev = 0;
	CHECK_EQ(write(p[1], "a", 1), 1, "pgrp_write");
	int st;
	CHECK_EQ(waitpid(pid, &st, 0), pid, "pgrp_child_reaped");
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "pgrp_child_got_sigio");
	CHECK_EQ(nev, 0, "pgrp_not_ours");
	close(p[0]);
	close(p[1]);
	close(go[1]);
}

/* A thread owner (F_OWNER_TID): only that thread can take the signal. */
static int tid_fd;
static volatile int tid_ready;
static pid_t thread_tid;

static void *tid_thread(void *arg)
{
	(void)arg;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, RTSIG + 1);
	thread_tid = (pid_t)syscall(SYS_gettid);
	tid_ready = 1;
	struct timespec ts = { 5, 0 };
	siginfo_t si;
	int sig = sigtimedwait(&set, &si, &ts);
	return (void *)(long)(sig == RTSIG + 1 && si.si_fd == tid_fd && si.si_code == POLL_IN);
}

static void test_tid(void)
{
	int p[2];
	SETUP(pipe(p));
	tid_fd = p[0];
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, RTSIG + 1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	pthread_t th;
	if (pthread_create(&th, NULL, tid_thread, NULL)) {
		conf_fail("tid_setup", "pthread_create");
		return;
	}
	while (!tid_ready)
		usleep(1000);
	struct f_owner_ex ex = { F_OWNER_TID, thread_tid };
	CHECK_EQ(fcntl(p[0], F_SETOWN_EX, &ex), 0, "tid_setown_ex");
	memset(&ex, 0, sizeof ex);
	CHECK_EQ(fcntl(p[0], F_GETOWN_EX, &ex), 0, "tid_getown_ex");
	CHECK(ex.type == F_OWNER_TID && ex.pid == thread_tid, "tid_getown_ex_type");
	CHECK_EQ(fcntl(p[0], F_SETSIG, RTSIG + 1), 0, "tid_setsig");
	CHECK_EQ(fcntl(p[0], F_SETFL, O_ASYNC), 0, "tid_async");
	CHECK_EQ(write(p[1], "a", 1), 1, "tid_write");
	void *ok;
	pthread_join(th, &ok);
	CHECK(ok != NULL, "tid_thread_got_signal");
	sigset_t pend;
	sigpending(&pend);
	CHECK(!sigismember(&pend, RTSIG + 1), "tid_not_pending_for_process");
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	close(p[0]);
	close(p[1]);
}

/*
 * The owner process's main thread has exited (pthread_exit): the process
 * is still there and its other threads take the SIGIO (Linux keeps the
 * zombie leader in its pid and process group lists).
 */
static int leader_pipe[2];

static void *leader_gone_thread(void *arg)
{
	(void)arg;
	usleep(100000);      /* the main thread has exited */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGIO);
	if (write(leader_pipe[1], "a", 1) != 1)
		_exit(3);
	struct timespec ts = { 5, 0 };
	siginfo_t si;
	_exit(sigtimedwait(&set, &si, &ts) == SIGIO ? 0 : 1);
}

static void test_leader_gone(int owner_type)
{
	const char *name = owner_type == F_OWNER_PGRP ? "leader_gone_pgrp_sigio"
						       : "leader_gone_pid_sigio";
	pid_t pid = fork();
	if (pid == 0) {
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, SIGIO);
		sigprocmask(SIG_BLOCK, &set, NULL);
		setpgid(0, 0);
		struct f_owner_ex ex = { owner_type, getpid() };
		pthread_t th;
		if (pipe(leader_pipe) || fcntl(leader_pipe[0], F_SETOWN_EX, &ex) ||
		    fcntl(leader_pipe[0], F_SETFL, O_ASYNC) ||
		    pthread_create(&th, NULL, leader_gone_thread, NULL))
			_exit(2);
		pthread_exit(NULL);
	}
	int st;
	CHECK_EQ(waitpid(pid, &st, 0), pid, "leader_gone_reaped");
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, name);
}

int main(void)
{
	struct sigaction sa = { .sa_sigaction = on_sig, .sa_flags = SA_SIGINFO | SA_RESTART };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGIO, &sa, NULL);
	sigaction(RTSIG, &sa, NULL);

	test_pipe();
	test_socketpair();
	test_listeners();
	test_pty();
	test_eventfd_inotify();
	test_pgrp();
	test_tid();
	test_leader_gone(F_OWNER_PID);
	test_leader_gone(F_OWNER_PGRP);
	CHECK_ERR(fcntl(0x7fff, F_SETFL, O_ASYNC), EBADF, "setfl_ebadf");
	CHECK_ERR(fcntl(1, F_SETOWN, INT_MIN), EINVAL, "setown_int_min");
	struct f_owner_ex neg = { F_OWNER_PID, -5 };
	CHECK_ERR(fcntl(1, F_SETOWN_EX, &neg), ESRCH, "setown_ex_negative_esrch");
	return conf_exit();
}
