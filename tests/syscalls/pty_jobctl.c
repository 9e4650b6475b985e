/* Pseudo-terminals: controlling terminals, sessions and job control
 * (TIOCSCTTY, TIOCNOTTY, TIOCGPGRP/TIOCSPGRP, TIOCGSID, /dev/tty, ISIG,
 * SIGWINCH, SIGTTIN/SIGTTOU, orphaned groups, hangup). Each scenario runs in
 * a child that makes its own session. */
#include "conformance.h"
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <termios.h>

static int m, s;
static char sname[64];

/* A new pair; the slave is opened O_NOCTTY. */
static void new_pair(void)
{
	m = posix_openpt(O_RDWR | O_NOCTTY);
	if (m < 0 || grantpt(m) || unlockpt(m) || (s = open(ptsname(m), O_RDWR | O_NOCTTY)) < 0) {
		conf_fail("setup", "pty pair (errno %s)", conf_errname(errno));
		exit(conf_exit());
	}
	snprintf(sname, sizeof(sname), "%s", ptsname(m));
}

/* In a child: a new session whose controlling terminal is a new pair's slave. */
static void leader_with_ctty(void)
{
	alarm(20);
	setsid();
	new_pair();
	if (ioctl(s, TIOCSCTTY, 0)) {
		conf_fail("setup", "TIOCSCTTY (errno %s)", conf_errname(errno));
		CHILD_DONE();
	}
}

/* Fork a process into a new group of its own (both sides set it: no race). */
static pid_t fork_group(void)
{
	pid_t pid = fork();
	if (pid == 0)
		setpgid(0, 0);
	else if (pid > 0)
		setpgid(pid, pid);
	return pid;
}

static int waitst(pid_t pid)
{
	int st;
	pid_t r;
	do
		r = waitpid(pid, &st, WUNTRACED);
	while (r < 0 && errno == EINTR);
	return r == pid ? st : -1;
}

static volatile sig_atomic_t got_sig;
static void on_sig(int sig) { got_sig = sig; }

static void catch(int sig)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sig;
	sigaction(sig, &sa, NULL);
}

static void ignore(int sig)
{
	signal(sig, SIG_IGN);
}

/* A background group member does op on the slave; its wait status. */
static int bg_status(void (*op)(void))
{
	pid_t g = fork_group();
	if (g == 0) {
		op();
		_exit(42);
	}
	int st = waitst(g);
	if (WIFSTOPPED(st)) {
		kill(g, SIGKILL);
		waitst(g);
	}
	return st;
}

static void op_read(void)
{
	char c;
	_exit(read(s, &c, 1) == -1 ? 100 + errno : 42);
}

static void op_write(void)
{
	_exit(write(s, "w", 1) == 1 ? 42 : 100 + errno);
}

static void op_tcsetattr(void)
{
	struct termios t;
	tcgetattr(s, &t);
	_exit(tcsetattr(s, TCSANOW, &t) == 0 ? 42 : 100 + errno);
}

static void op_read_ignored(void)
{
	ignore(SIGTTIN);
	op_read();
}

static void op_write_ignored(void)
{
	ignore(SIGTTOU);
	op_write();
}

static void op_tcsetattr_blocked(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTTOU);
	sigprocmask(SIG_BLOCK, &set, NULL);
	op_tcsetattr();
}

static int exited_with(int st, int code)
{
	return st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == code;
}

static int stopped_by(int st, int sig)
{
	return st != -1 && WIFSTOPPED(st) && WSTOPSIG(st) == sig;
}

static int killed_by(int st, int sig)
{
	return st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == sig;
}

/* Wait for one byte on fd (up to 3 s); -1 if none. */
static int read_byte(int fd)
{
	struct pollfd p = { fd, POLLIN, 0 };
	char c;
	if (poll(&p, 1, 3000) != 1 || read(fd, &c, 1) != 1)
		return -1;
	return (unsigned char)c;
}

int main(void)
{
	pid_t pid;
	int pg, sid;

	/* ---- acquiring a controlling terminal ---- */
	pid = fork();
	if (pid == 0) {
		leader_with_ctty();
		CHECK(ioctl(s, TIOCGSID, &sid) == 0 && sid == getpid(), "tiocgsid");
		CHECK(ioctl(s, TIOCGPGRP, &pg) == 0 && pg == getpgrp(), "tiocgpgrp_is_own_group");
		CHECK_EQ(tcgetsid(s), getpid(), "tcgetsid");
		CHECK(ioctl(m, TIOCGSID, &sid) == 0 && sid == getpid(), "tiocgsid_via_master");
		CHECK_EQ(ioctl(s, TIOCSCTTY, 0), 0, "tiocsctty_again_same_session");
		int t = open("/dev/tty", O_RDWR);
		CHECK_OK(t, "open_devtty");
		struct stat st;
		CHECK(fstat(t, &st) == 0 && st.st_rdev == makedev(5, 0), "devtty_rdev");
		CHECK_EQ(fcntl(t, F_GETFL) & (O_ACCMODE | O_NONBLOCK), O_RDWR, "devtty_flags");
		CHECK_EQ(write(t, "via tty\n", 8), 8, "write_devtty");
		char buf[64];
		ssize_t r = read(m, buf, sizeof(buf));
		CHECK(r == 9 && !memcmp(buf, "via tty\r\n", 9), "devtty_reaches_master");
		CHECK(ioctl(t, TIOCGSID, &sid) == 0 && sid == getpid(), "devtty_is_same_tty");
		char stat[512];
		unsigned long tty_nr = 0;
		if (read_file("/proc/self/stat", stat, sizeof(stat)) > 0) {
			char *p = strrchr(stat, ')');
			sscanf(p ? p + 2 : stat, "%*c %*d %*d %*d %lu", &tty_nr);
		}
		unsigned n = 0;
		ioctl(m, TIOCGPTN, &n);
		CHECK_EQ(tty_nr, (136UL << 8) | n, "proc_stat_tty_nr");
		/* A child inherits the terminal; a new session does not. */
		pid_t c = fork();
		if (c == 0) {
			int fd = open("/dev/tty", O_RDWR);
			int ok = fd >= 0;
			setsid();
			int fd2 = open("/dev/tty", O_RDWR);
			_exit(ok && fd2 == -1 && errno == ENXIO ? 0 : 1);
		}
		check_child_ok(c, "ctty_inherited_not_by_new_session");
		CHILD_DONE();
	}
	check_child_ok(pid, "leader_session");

	pid = fork();
	if (pid == 0) {
		/* Not a session leader: EPERM. */
		new_pair();
		CHECK_ERR(ioctl(s, TIOCSCTTY, 0), EPERM, "tiocsctty_not_leader_eperm");
		CHECK_ERR(ioctl(s, TIOCGPGRP, &pg), ENOTTY, "tiocgpgrp_not_ctty_enotty");
		CHECK_ERR(ioctl(s, TIOCGSID, &sid), ENOTTY, "tiocgsid_not_ctty_enotty");
		CHECK(ioctl(m, TIOCGPGRP, &pg) == 0 && pg == 0, "tiocgpgrp_master_no_session");
		CHECK_ERR(ioctl(m, TIOCGSID, &sid), ENOTTY, "tiocgsid_master_no_session");
		CHECK_ERR(ioctl(s, TIOCNOTTY), ENOTTY, "tiocnotty_not_ctty");
		pg = getpgrp();
		CHECK_ERR(ioctl(s, TIOCSPGRP, &pg), ENOTTY, "tiocspgrp_not_ctty");
		CHILD_DONE();
	}
	check_child_ok(pid, "not_leader");

	pid = fork();
	if (pid == 0) {
		/* open() without O_NOCTTY by a leader without a terminal acquires it. */
		setsid();
		new_pair();
		CHECK_ERR(ioctl(s, TIOCGSID, &sid), ENOTTY, "onocctty_open_does_not_acquire");
		int wr = open(sname, O_WRONLY);
		CHECK_ERR(ioctl(wr, TIOCGSID, &sid), ENOTTY, "write_only_open_does_not_acquire");
		int s2 = open(sname, O_RDWR);
		CHECK_OK(s2, "open_without_noctty");
		CHECK(ioctl(s2, TIOCGSID, &sid) == 0 && sid == getpid(), "open_acquires_ctty");
		/* A leader with a terminal cannot take another one. */
		int m2 = posix_openpt(O_RDWR | O_NOCTTY);
		grantpt(m2);
		unlockpt(m2);
		int s3 = open(ptsname(m2), O_RDWR);
		CHECK_ERR(ioctl(s3, TIOCGSID, &sid), ENOTTY, "second_open_does_not_acquire");
		CHECK_ERR(ioctl(s3, TIOCSCTTY, 0), EPERM, "tiocsctty_has_ctty_eperm");
		/* Another session cannot take this one. */
		pid_t c = fork();
		if (c == 0) {
			setsid();
			CHECK_ERR(ioctl(s2, TIOCSCTTY, 0), EPERM, "tiocsctty_other_session_eperm");
			if (geteuid() == 0) {
				CHECK_EQ(ioctl(s2, TIOCSCTTY, 1), 0, "tiocsctty_steal_as_root");
				CHECK(ioctl(s2, TIOCGSID, &sid) == 0 && sid == getpid(), "stolen");
			}
			CHILD_DONE();
		}
		check_child_ok(c, "other_session");
		if (geteuid() == 0) {
			/* The old session lost it. */
			CHECK_ERR(open("/dev/tty", O_RDWR), ENXIO, "stolen_from_session");
		}
		CHILD_DONE();
	}
	check_child_ok(pid, "open_acquires");

	/* ---- TIOCNOTTY ---- */
	pid = fork();
	if (pid == 0) {
		leader_with_ctty();
		ignore(SIGHUP);
		CHECK_ERR(ioctl(m, TIOCNOTTY), ENOTTY, "tiocnotty_master_enotty");
		CHECK_EQ(ioctl(s, TIOCNOTTY), 0, "tiocnotty");
		CHECK_ERR(open("/dev/tty", O_RDWR), ENXIO, "tiocnotty_devtty_enxio");
		CHECK_ERR(ioctl(s, TIOCGSID, &sid), ENOTTY, "tiocnotty_gsid_enotty");
		CHECK_ERR(ioctl(m, TIOCGSID, &sid), ENOTTY, "tiocnotty_tty_has_no_session");
		CHECK_EQ(ioctl(s, TIOCSCTTY, 0), 0, "tiocsctty_after_notty");
		CHILD_DONE();
	}
	check_child_ok(pid, "notty");

	/* ---- TIOCSPGRP ---- */
	pid = fork();
	if (pid == 0) {
		leader_with_ctty();
		/*
		 * The leader's own group is orphaned (its parent is in another
		 * session): from the background, SIGTTOU would make TIOCSPGRP
		 * fail with ENOTTY. Shells block it too.
		 */
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, SIGTTOU);
		sigprocmask(SIG_BLOCK, &set, NULL);
		pid_t g = fork_group();
		if (g == 0) {
			pause();
			_exit(0);
		}
		CHECK_EQ(tcsetpgrp(s, g), 0, "tcsetpgrp_child_group");
		CHECK_EQ(tcgetpgrp(s), g, "tcgetpgrp_child_group");
		CHECK(ioctl(m, TIOCGPGRP, &pg) == 0 && pg == g, "master_sees_fg_group");
		pg = -1;
		CHECK_ERR(ioctl(s, TIOCSPGRP, &pg), EINVAL, "tiocspgrp_negative_einval");
		pg = 999999;
		CHECK_ERR(ioctl(s, TIOCSPGRP, &pg), ESRCH, "tiocspgrp_no_such_esrch");
		pg = getpgid(getppid());
		CHECK_ERR(ioctl(s, TIOCSPGRP, &pg), EPERM, "tiocspgrp_other_session_eperm");
		CHECK_ERR(ioctl(s, TIOCSPGRP, BAD_PTR), EFAULT, "tiocspgrp_efault");
		CHECK_EQ(tcsetpgrp(s, getpgrp()), 0, "tcsetpgrp_own_group");
		kill(g, SIGKILL);
		waitst(g);
		CHILD_DONE();
	}
	check_child_ok(pid, "spgrp");

	/* ---- signals from the line discipline ---- */
	pid = fork();
	if (pid == 0) {
		leader_with_ctty();
		static const struct { const char *ch; int sig; const char *name; } keys[] = {
			{ "\003", SIGINT, "isig_intr_sigint" },
			{ "\034", SIGQUIT, "isig_quit_sigquit" },
		};
		for (size_t i = 0; i < 2; i++) {
			pid_t g = fork_group();
			if (g == 0) {
				for (;;)
					pause();
			}
			tcsetpgrp(s, g);
			write(m, keys[i].ch, 1);
			CHECK(killed_by(waitst(g), keys[i].sig), keys[i].name);
			ignore(SIGTTOU);
			tcsetpgrp(s, getpgrp());
			signal(SIGTTOU, SIG_DFL);
		}
		pid_t g = fork_group();
		if (g == 0) {
			for (;;)
				pause();
		}
		tcsetpgrp(s, g);
		write(m, "\032", 1);
		CHECK(stopped_by(waitst(g), SIGTSTP), "isig_susp_sigtstp");
		CHECK_ERR(ioctl(m, TIOCSIG, SIGKILL), EINVAL, "tiocsig_einval");
		kill(g, SIGCONT);
		CHECK_EQ(ioctl(m, TIOCSIG, SIGINT), 0, "tiocsig");
		CHECK(killed_by(waitst(g), SIGINT), "tiocsig_sigint");
		ignore(SIGTTOU);
		tcsetpgrp(s, getpgrp());
		signal(SIGTTOU, SIG_DFL);

		/* SIGWINCH to the foreground group when the size changes. */
		int pfd[2];
		pipe(pfd);
		g = fork_group();
		if (g == 0) {
			catch(SIGWINCH);
			ignore(SIGTTOU);
			tcsetpgrp(s, getpid());
			write(pfd[1], "r", 1);
			for (int i = 0; i < 300 && !got_sig; i++)
				usleep(10000);
			char c = got_sig ? 'W' : '-';
			write(pfd[1], &c, 1);
			_exit(0);
		}
		CHECK_EQ(read_byte(pfd[0]), 'r', "winch_child_ready");
		struct winsize ws = { 30, 100, 0, 0 };
		ioctl(m, TIOCSWINSZ, &ws);
		CHECK_EQ(read_byte(pfd[0]), 'W', "sigwinch_on_resize");
		waitst(g);
		CHILD_DONE();
	}
	check_child_ok(pid, "isig");

	/* ---- background groups: SIGTTIN, SIGTTOU ---- */
	pid = fork();
	if (pid == 0) {
		leader_with_ctty();
		CHECK(stopped_by(bg_status(op_read), SIGTTIN), "bg_read_sigttin");
		CHECK(exited_with(bg_status(op_read_ignored), 100 + EIO), "bg_read_ignored_eio");
		CHECK(exited_with(bg_status(op_write), 42), "bg_write_without_tostop");
		CHECK(stopped_by(bg_status(op_tcsetattr), SIGTTOU), "bg_tcsetattr_sigttou");
		CHECK(exited_with(bg_status(op_tcsetattr_blocked), 42), "bg_tcsetattr_blocked_ok");
		struct termios t;
		tcgetattr(s, &t);
		t.c_lflag |= TOSTOP;
		tcsetattr(s, TCSANOW, &t);
		CHECK(stopped_by(bg_status(op_write), SIGTTOU), "bg_write_tostop_sigttou");
		CHECK(exited_with(bg_status(op_write_ignored), 42), "bg_write_tostop_ignored_ok");
		/* A foreground read is fine. */
		write(m, "k\n", 2);
		char buf[8];
		CHECK_EQ(read(s, buf, sizeof(buf)), 2, "fg_read");

		/* An orphaned background group gets EIO instead of SIGTTIN. */
		int pfd[2];
		pipe(pfd);
		pid_t c = fork_group();
		if (c == 0) {
			pid_t parent = getpid();
			pid_t g2 = fork();
			if (g2 == 0) {
				while (getppid() == parent)
					usleep(10000);
				char ch;
				char res = read(s, &ch, 1) == -1 && errno == EIO ? 'E' : '?';
				write(pfd[1], &res, 1);
				_exit(0);
			}
			_exit(0);
		}
		waitst(c);
		CHECK_EQ(read_byte(pfd[0]), 'E', "orphaned_bg_read_eio");
		CHILD_DONE();
	}
	check_child_ok(pid, "background");

	/* ---- hangup: the master closes ---- */
	new_pair();
	int pfd[2];
	pipe(pfd);
	pid = fork();
	if (pid == 0) {
		alarm(20);
		close(m);
		setsid();
		catch(SIGHUP);
		if (ioctl(s, TIOCSCTTY, 0))
			_exit(2);
		write(pfd[1], "r", 1);
		for (int i = 0; i < 300 && got_sig != SIGHUP; i++)
			usleep(10000);
		CHECK_EQ(got_sig, SIGHUP, "hangup_sighup_leader");
		CHECK_ERR(open("/dev/tty", O_RDWR), ENXIO, "hangup_clears_ctty");
		char c;
		CHECK_EQ(read(s, &c, 1), 0, "hangup_slave_reads_eof");
		CHILD_DONE();
	}
	close(s);
	CHECK_EQ(read_byte(pfd[0]), 'r', "hangup_child_ready");
	close(m);
	check_child_ok(pid, "hangup");
	close(pfd[0]);
	close(pfd[1]);

	/* ---- the session leader exits: SIGHUP to the foreground group ---- */
	int ready[2];
	pipe(pfd);
	pipe(ready);
	pid = fork();
	if (pid == 0) {
		leader_with_ctty();
		pid_t g = fork_group();
		if (g == 0) {
			catch(SIGHUP);
			while (tcgetpgrp(s) != getpid())
				usleep(10000);
			write(ready[1], "r", 1);
			for (int i = 0; i < 300 && got_sig != SIGHUP; i++)
				usleep(10000);
			char c = got_sig == SIGHUP ? 'H' : '-';
			write(pfd[1], &c, 1);
			_exit(0);
		}
		tcsetpgrp(s, g);
		CHECK_EQ(read_byte(ready[0]), 'r', "leader_exit_fg_ready");
		CHILD_DONE();
	}
	check_child_ok(pid, "leader_exits");
	CHECK_EQ(read_byte(pfd[0]), 'H', "leader_exit_sighup_fg");
	return conf_exit();
}
