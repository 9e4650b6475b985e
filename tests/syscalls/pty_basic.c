/* Pseudo-terminals: /dev/ptmx, /dev/pts, the pty ioctls, data flow, poll, close and hangup. */
#include "conformance.h"
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <termios.h>

/* The devpts mode= option of /dev/pts (Linux's default 0600 without one). */
static unsigned devpts_mode(void)
{
	char buf[8192];
	unsigned mode = 0600;
	if (read_file("/proc/self/mounts", buf, sizeof(buf)) < 0)
		return mode;
	for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n")) {
		if (!strstr(l, " /dev/pts devpts "))
			continue;
		char *m = strstr(l, ",mode=");
		if (m)
			mode = (unsigned)strtoul(m + 6, NULL, 8);
	}
	return mode;
}

static int devpts_has_gid_option(void)
{
	char buf[8192];
	if (read_file("/proc/self/mounts", buf, sizeof(buf)) < 0)
		return 0;
	for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n"))
		if (strstr(l, " /dev/pts devpts ") && strstr(l, ",gid="))
			return 1;
	return 0;
}

static int dir_has(const char *dir, const char *name)
{
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	struct dirent *e;
	int found = 0;
	while ((e = readdir(d)))
		if (!strcmp(e->d_name, name))
			found = 1;
	closedir(d);
	return found;
}

static short pollev(int fd, short events)
{
	struct pollfd p = { fd, events, 0 };
	return poll(&p, 1, 0) < 0 ? -1 : p.revents;
}

/*
 * Read until want bytes arrived (or 2 s without more): Linux moves pty data
 * and echoes through a work queue, so one read may see only part of it.
 */
static ssize_t read_want(int fd, char *buf, size_t cap, size_t want)
{
	size_t got = 0;
	while (got < want) {
		struct pollfd p = { fd, POLLIN, 0 };
		if (poll(&p, 1, 2000) != 1 || !(p.revents & POLLIN))
			break;
		ssize_t k = read(fd, buf + got, cap - got);
		if (k <= 0)
			return got ? (ssize_t)got : k;
		got += (size_t)k;
	}
	return (ssize_t)got;
}

/* A new unlocked pair: master (O_NONBLOCK if asked) and slave, both O_NOCTTY. */
static int new_pair(int *m, int *s, int mflags)
{
	*m = posix_openpt(O_RDWR | O_NOCTTY | mflags);
	if (*m < 0 || grantpt(*m) || unlockpt(*m))
		return -1;
	*s = open(ptsname(*m), O_RDWR | O_NOCTTY);
	return *s < 0 ? -1 : 0;
}

static void on_alarm(int sig) { (void)sig; }

int main(void)
{
	char buf[256], name[64];
	struct stat st, st2;

	/* ---- /dev/ptmx and the pts node ---- */
	int m = open("/dev/ptmx", O_RDWR | O_NOCTTY);
	SETUP(m);
	CHECK(fstat(m, &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) == 5 &&
	      minor(st.st_rdev) == 2, "master_is_ptmx");
	CHECK(isatty(m), "isatty_master");
	unsigned n = 999999;
	CHECK_EQ(ioctl(m, TIOCGPTN, &n), 0, "tiocgptn");
	snprintf(name, sizeof(name), "/dev/pts/%u", n);
	CHECK_STR(ptsname(m), name, "ptsname");
	CHECK(stat(name, &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) == 136 &&
	      minor(st.st_rdev) == n, "pts_node_rdev");
	CHECK_EQ(st.st_mode & 07777, devpts_mode(), "pts_node_mode");
	CHECK_EQ(st.st_uid, geteuid(), "pts_node_uid");
	if (!devpts_has_gid_option())
		CHECK_EQ(st.st_gid, getegid(), "pts_node_gid");
	CHECK_EQ(st.st_ino, n + 3, "pts_node_ino");
	char num[16];
	snprintf(num, sizeof(num), "%u", n);
	CHECK_EQ(dir_has("/dev/pts", num), 1, "readdir_lists_slave");
	CHECK_EQ(dir_has("/dev/pts", "ptmx"), 1, "readdir_lists_ptmx");
	CHECK(stat("/dev/pts/ptmx", &st2) == 0 && S_ISCHR(st2.st_mode) && st2.st_rdev == makedev(5, 2) &&
	      (st2.st_mode & 07777) == 0, "pts_ptmx_node");
	struct statfs sfs;
	CHECK(statfs("/dev/pts", &sfs) == 0 && sfs.f_type == 0x1cd1, "devpts_statfs_magic");

	/* Locked until unlockpt. */
	int lk = -1;
	CHECK_EQ(ioctl(m, TIOCGPTLCK, &lk) == 0 ? lk : -1, 1, "locked_at_open");
	CHECK_ERR(open(name, O_RDWR | O_NOCTTY), EIO, "open_locked_slave_eio");
	CHECK_ERR(ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY), EIO, "ptpeer_locked_eio");
	CHECK_EQ(grantpt(m), 0, "grantpt");
	CHECK_EQ(unlockpt(m), 0, "unlockpt");
	CHECK_EQ(ioctl(m, TIOCGPTLCK, &lk) == 0 ? lk : -1, 0, "unlocked");
	CHECK_ERR(ioctl(m, TIOCSPTLCK, BAD_PTR), EFAULT, "sptlck_efault");

	/* Before any slave open, a master read waits (no EIO). */
	fcntl(m, F_SETFL, O_NONBLOCK);
	CHECK_ERR(read(m, buf, sizeof(buf)), EAGAIN, "master_read_before_slave_eagain");
	CHECK_EQ(pollev(m, POLLIN | POLLOUT), POLLOUT, "master_poll_before_slave");
	fcntl(m, F_SETFL, 0);

	int s = open(name, O_RDWR | O_NOCTTY);
	CHECK_OK(s, "open_slave");
	CHECK(isatty(s), "isatty_slave");
	CHECK_STR(ttyname(s), name, "ttyname_slave");
	CHECK_ERR(ioctl(s, TIOCGPTN, &n), ENOTTY, "tiocgptn_slave_enotty");
	CHECK_ERR(ioctl(s, TIOCGPTPEER, O_RDWR), EIO, "ptpeer_slave_eio");
	int peer = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	CHECK_OK(peer, "tiocgptpeer");
	CHECK(fstat(peer, &st2) == 0 && fstat(s, &st) == 0 && st.st_rdev == st2.st_rdev &&
	      st.st_ino == st2.st_ino, "ptpeer_same_slave");
	CHECK_EQ(fcntl(peer, F_GETFD), FD_CLOEXEC, "ptpeer_cloexec");
	CHECK_STR(ttyname(peer), name, "ttyname_ptpeer");
	CHECK_ERR(lseek(m, 0, SEEK_SET), ESPIPE, "lseek_master_espipe");
	CHECK_ERR(pread(s, buf, 1, 0), ESPIPE, "pread_slave_espipe");
	int outq = -1;
	CHECK(ioctl(s, TIOCOUTQ, &outq) == 0 && outq == 0, "tiocoutq_zero");

	/* ---- data ---- */
	CHECK_EQ(write(s, "hello\n", 6), 6, "slave_write");
	CHECK_EQ(pollev(m, POLLIN), POLLIN, "master_pollin");
	ssize_t r = read_want(m, buf, sizeof(buf), 7);
	CHECK(r == 7 && !memcmp(buf, "hello\r\n", 7), "master_reads_onlcr");
	CHECK_EQ(pollev(s, POLLIN), 0, "slave_no_input");
	CHECK_EQ(write(m, "abc", 3), 3, "master_write_partial_line");
	int inq = -1;
	CHECK(ioctl(s, FIONREAD, &inq) == 0 && inq == 0, "fionread_partial_line");
	CHECK_EQ(pollev(s, POLLIN), 0, "slave_poll_partial_line");
	CHECK_EQ(write(m, "\n", 1), 1, "master_write_newline");
	/* (Linux receives asynchronously; a poll that finds input first pushes it through.) */
	pollev(s, POLLIN);
	CHECK(ioctl(s, FIONREAD, &inq) == 0 && inq == 4, "fionread_line");
	CHECK_EQ(pollev(s, POLLIN), POLLIN, "slave_pollin");
	r = read(s, buf, sizeof(buf));
	CHECK(r == 4 && !memcmp(buf, "abc\n", 4), "slave_reads_line");
	r = read_want(m, buf, sizeof(buf), 5);
	CHECK(r == 5 && !memcmp(buf, "abc\r\n", 5), "master_reads_echo");
	/* readv across iovecs, writev. */
	struct iovec wv[2] = { { "one ", 4 }, { "two\n", 4 } };
	CHECK_EQ(writev(m, wv, 2), 8, "master_writev");
	char a[3], b[16];
	struct iovec rv[2] = { { a, 3 }, { b, sizeof(b) } };
	r = readv(s, rv, 2);
	CHECK(r == 8 && !memcmp(a, "one", 3) && !memcmp(b, " two\n", 5), "slave_readv");
	read(m, buf, sizeof(buf));

	/* Non-blocking: EAGAIN on both sides. */
	fcntl(m, F_SETFL, O_NONBLOCK);
	fcntl(s, F_SETFL, O_NONBLOCK);
	CHECK_ERR(read(m, buf, sizeof(buf)), EAGAIN, "master_read_eagain");
	CHECK_ERR(read(s, buf, sizeof(buf)), EAGAIN, "slave_read_eagain");
	CHECK_EQ(read(s, buf, 0), 0, "slave_read_zero");
	fcntl(s, F_SETFL, 0);

	/* epoll on the master. */
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = m }, out;
	CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, m, &ev), 0, "epoll_add_master");
	CHECK_EQ(epoll_wait(ep, &out, 1, 0), 0, "epoll_master_idle");
	write(s, "x", 1);
	CHECK(epoll_wait(ep, &out, 1, 1000) == 1 && (out.events & EPOLLIN), "epoll_master_ready");
	read(m, buf, sizeof(buf));
	close(ep);

	/* A blocking read ends with EINTR when a handler without SA_RESTART runs. */
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	alarm(1);
	CHECK_ERR(read(s, buf, sizeof(buf)), EINTR, "slave_read_eintr");
	alarm(0);

	/* Slave writes fill the master's input: then EAGAIN, not loss. */
	fcntl(s, F_SETFL, O_NONBLOCK);
	struct termios t;
	tcgetattr(s, &t);
	cfmakeraw(&t);
	tcsetattr(s, TCSANOW, &t);
	static char big[4096];
	memset(big, 'z', sizeof(big));
	size_t wrote = 0;
	for (int i = 0; i < 1000; i++) {
		r = write(s, big, sizeof(big));
		if (r < 0)
			break;
		wrote += r;
	}
	CHECK(r < 0 && errno == EAGAIN && wrote >= 4096, "slave_write_fills_eagain");
	/* Linux moves the slave's output to the master through a work queue,
	 * which can free room just after EAGAIN: write until full and still full. */
	for (int tries = 0; tries < 50 && pollev(s, POLLOUT); tries++) {
		usleep(10000);
		while ((r = write(s, big, sizeof(big))) > 0)
			wrote += r;
	}
	CHECK_EQ(pollev(s, POLLOUT), 0, "slave_pollout_full");
	size_t got = 0;
	for (int idle = 0; got < wrote && idle < 100;) {
		r = read(m, buf, sizeof(buf));
		if (r > 0) {
			got += r;
			idle = 0;
		} else {
			usleep(10000);   /* the rest may still be in the work queue */
			idle++;
		}
	}
	CHECK_EQ(got, wrote, "master_reads_all_written");
	CHECK_EQ(pollev(s, POLLOUT), POLLOUT, "slave_pollout_again");
	fcntl(s, F_SETFL, 0);

	/* ---- closing the slaves: the master reads what is left, then EIO ---- */
	CHECK_EQ(write(s, "bye", 3), 3, "slave_write_before_close");
	close(s);
	close(peer);
	r = read_want(m, buf, sizeof(buf), 3);
	CHECK(r == 3 && !memcmp(buf, "bye", 3), "master_drains_after_slave_close");
	CHECK_ERR(read(m, buf, sizeof(buf)), EIO, "master_read_eio_after_slave_close");
	CHECK_EQ(pollev(m, POLLIN | POLLOUT), POLLOUT | POLLHUP, "master_pollhup_after_slave_close");
	CHECK_EQ(write(m, "q", 1), 1, "master_write_after_slave_close");
	s = open(name, O_RDWR | O_NOCTTY);
	CHECK_OK(s, "slave_reopen");
	CHECK_EQ(pollev(m, POLLIN | POLLOUT), POLLOUT, "master_no_hup_after_reopen");

	/* ---- closing the master hangs the slave up ---- */
	fcntl(m, F_SETFL, 0);
	CHECK_EQ(tcflush(s, TCIFLUSH), 0, "tcflush_slave_input");
	pid_t pid = fork();
	if (pid == 0) {
		/* Blocked in read when the master closes: EIO (TTY_OTHER_CLOSED). */
		close(m);
		char c;
		ssize_t rr = read(s, &c, 1);
		_exit(rr == -1 && errno == EIO ? 0 : 10 + (int)rr);
	}
	usleep(300000);
	close(m);
	check_child_ok(pid, "blocked_slave_read_eio_on_hangup");
	CHECK_EQ(read(s, buf, sizeof(buf)), 0, "hung_slave_read_eof");
	CHECK_ERR(write(s, "x", 1), EIO, "hung_slave_write_eio");
	CHECK_EQ(pollev(s, POLLIN | POLLOUT), POLLIN | POLLOUT | POLLERR | POLLHUP, "hung_slave_poll");
	CHECK_ERR(tcgetattr(s, &t), EIO, "hung_slave_ioctl_eio");
	int pg = 0;
	CHECK_ERR(ioctl(s, TIOCSPGRP, &pg), ENOTTY, "hung_slave_tiocspgrp_enotty");
	CHECK_ERR(stat(name, &st), ENOENT, "pts_node_gone");
	CHECK_EQ(dir_has("/dev/pts", num), 0, "readdir_drops_slave");
	CHECK(fstat(s, &st) == 0 && S_ISCHR(st.st_mode), "hung_slave_fstat");
	close(s);

	/* /dev/pts/ptmx opens a new pair too. */
	int m2 = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY);
	CHECK_OK(m2, "open_pts_ptmx");
	unsigned n2 = 0;
	CHECK_EQ(ioctl(m2, TIOCGPTN, &n2), 0, "pts_ptmx_tiocgptn");
	close(m2);

	/* An ordinary file is no terminal; the pair's ioctls give ENOTTY there. */
	int nf = open("/dev/null", O_RDWR);
	CHECK_ERR(ioctl(nf, TIOCGPTN, &n), ENOTTY, "tiocgptn_devnull_enotty");
	close(nf);

	/* Many pairs at once, each its own number. */
	int ms[8], ss[8], ok = 1;
	unsigned seen[8];
	for (int i = 0; i < 8; i++) {
		if (new_pair(&ms[i], &ss[i], 0) || ioctl(ms[i], TIOCGPTN, &seen[i]))
			ok = 0;
		for (int j = 0; ok && j < i; j++)
			if (seen[j] == seen[i])
				ok = 0;
	}
	CHECK(ok, "eight_pairs_distinct");
	for (int i = 0; i < 8; i++) {
		write(ms[i], "p\n", 2);
		r = read(ss[i], buf, sizeof(buf));
		if (r != 2)
			ok = 0;
		close(ms[i]);
		close(ss[i]);
	}
	CHECK(ok, "eight_pairs_independent");

	/* /dev/tty: ENXIO without a controlling terminal (a new session has none). */
	pid = fork();
	if (pid == 0) {
		setsid();
		int fd = open("/dev/tty", O_RDWR);
		_exit(fd == -1 && errno == ENXIO ? 0 : 1);
	}
	check_child_ok(pid, "devtty_enxio_without_ctty");
	return conf_exit();
}
