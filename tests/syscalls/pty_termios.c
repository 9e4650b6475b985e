/* Pseudo-terminals: termios, the N_TTY line discipline (canonical editing, echo,
 * input and output processing, VMIN/VTIME), flow control, flushes, window size. */
#include "conformance.h"
#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>

/* The kernel's struct termios2 (TCGETS2), which glibc's headers cannot name with <termios.h>. */
struct ktermios2 {
	unsigned c_iflag, c_oflag, c_cflag, c_lflag;
	unsigned char c_line, c_cc[19];
	unsigned c_ispeed, c_ospeed;
};
#define K_TCGETS2 0x802C542AU

static int m, s;

static void new_pair(void)
{
	m = posix_openpt(O_RDWR | O_NOCTTY);
	if (m < 0 || grantpt(m) || unlockpt(m) || (s = open(ptsname(m), O_RDWR | O_NOCTTY)) < 0) {
		conf_fail("setup", "pty pair (errno %s)", conf_errname(errno));
		exit(conf_exit());
	}
}

static void close_pair(void)
{
	close(m);
	close(s);
}

/* Everything readable from fd until it has been quiet for 100 ms. */
static const char *slurp(int fd)
{
	static char buf[16384];
	size_t n = 0;
	struct pollfd p = { fd, POLLIN, 0 };
	while (n < sizeof(buf) - 1 && poll(&p, 1, 100) == 1 && (p.revents & POLLIN)) {
		ssize_t r = read(fd, buf + n, sizeof(buf) - 1 - n);
		if (r <= 0)
			break;
		n += r;
	}
	buf[n] = 0;
	return buf;
}

/* One read of the slave (waits up to a second for input). */
static const char *sread(void)
{
	static char buf[8192];
	struct pollfd p = { s, POLLIN, 0 };
	poll(&p, 1, 1000);
	ssize_t r = read(s, buf, sizeof(buf) - 1);
	buf[r < 0 ? 0 : r] = 0;
	return buf;
}

/* s with control characters spelled out, for readable failures. */
static const char *esc(const char *str)
{
	static char bufs[4][2048];
	static int i;
	char *o = bufs[i++ % 4], *e = o + sizeof(bufs[0]) - 8;
	for (; *str && o < e; str++) {
		unsigned char c = (unsigned char)*str;
		if (c == '\\') {
			*o++ = '\\';
			*o++ = '\\';
		} else if (c < 32 || c >= 127) {
			o += sprintf(o, "\\x%02x", c);
		} else {
			*o++ = (char)c;
		}
	}
	*o = 0;
	return bufs[(i - 1) % 4];
}
#define CHECK_BYTES(got, want, name) CHECK_STR(esc(got), esc(want), name)

/* Linux receives asynchronously: wait a little and let a poll push pending input through. */
static void settle(void)
{
	struct pollfd p = { s, POLLIN, 0 };
	usleep(50000);
	poll(&p, 1, 0);
}

static void feed(const char *str)
{
	write(m, str, strlen(str));
}

static void set_lflag(tcflag_t on, tcflag_t off)
{
	struct termios t;
	tcgetattr(s, &t);
	t.c_lflag = (t.c_lflag | on) & ~off;
	tcsetattr(s, TCSANOW, &t);
}

static void set_flags(tcflag_t *which_on, int sel, tcflag_t on, tcflag_t off)
{
	(void)which_on;
	struct termios t;
	tcgetattr(s, &t);
	tcflag_t *f = sel == 0 ? &t.c_iflag : sel == 1 ? &t.c_oflag : &t.c_lflag;
	*f = (*f | on) & ~off;
	tcsetattr(s, TCSANOW, &t);
}
#define SET_I(on, off) set_flags(NULL, 0, on, off)
#define SET_O(on, off) set_flags(NULL, 1, on, off)

static void set_cc(int i, cc_t v)
{
	struct termios t;
	tcgetattr(s, &t);
	t.c_cc[i] = v;
	tcsetattr(s, TCSANOW, &t);
}

static void noncanon(int vmin, int vtime)
{
	struct termios t;
	tcgetattr(s, &t);
	t.c_lflag &= ~(ICANON | ECHO);
	t.c_cc[VMIN] = vmin;
	t.c_cc[VTIME] = vtime;
	tcsetattr(s, TCSANOW, &t);
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

int main(void)
{
	struct termios t, t2;
	new_pair();

	/* ---- defaults: Linux's tty_std_termios for a pts ---- */
	CHECK_EQ(tcgetattr(s, &t), 0, "tcgetattr");
	CHECK_EQ(t.c_iflag, ICRNL | IXON, "default_iflag");
	CHECK_EQ(t.c_oflag, OPOST | ONLCR, "default_oflag");
	CHECK_EQ(t.c_cflag, B38400 | CS8 | CREAD, "default_cflag");
	CHECK_EQ(t.c_lflag, ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN,
		 "default_lflag");
	static const unsigned char cc[17] = { 3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15,
					      23, 22, 0 };
	CHECK(!memcmp(t.c_cc, cc, sizeof(cc)), "default_cc");
	CHECK_EQ(cfgetospeed(&t), B38400, "default_ospeed");
	struct ktermios2 k2;
	CHECK(ioctl(s, K_TCGETS2, &k2) == 0 && k2.c_ispeed == 38400 && k2.c_ospeed == 38400,
	      "tcgets2_speeds");
	CHECK(tcgetattr(m, &t2) == 0 && t2.c_lflag == t.c_lflag && t2.c_iflag == t.c_iflag,
	      "master_tcgets_is_slaves");

	/* TCSETS on the master sets the slave's; a pty keeps CS8|CREAD and drops PARENB. */
	t2.c_lflag &= ~ECHO;
	CHECK_EQ(tcsetattr(m, TCSANOW, &t2), 0, "tcsetattr_master");
	CHECK(tcgetattr(s, &t) == 0 && !(t.c_lflag & ECHO), "master_set_reaches_slave");
	t.c_cflag = (t.c_cflag & ~CSIZE) | CS7 | PARENB;
	/* (glibc's tcsetattr reports the refusal as EINVAL; the ioctl succeeds.) */
	CHECK_ERR(tcsetattr(s, TCSANOW, &t), EINVAL, "tcsetattr_cs7_glibc_einval");
	CHECK_EQ(ioctl(s, TCSETS, &t), 0, "tcsets_cs7");
	CHECK(tcgetattr(s, &t) == 0 && (t.c_cflag & CSIZE) == CS8 && !(t.c_cflag & PARENB) &&
	      (t.c_cflag & CREAD), "pty_forces_cs8");
	cfsetospeed(&t, B9600);
	cfsetispeed(&t, B9600);
	tcsetattr(s, TCSANOW, &t);
	CHECK(tcgetattr(s, &t) == 0 && cfgetospeed(&t) == B9600, "speed_roundtrip");
	CHECK(ioctl(s, K_TCGETS2, &k2) == 0 && k2.c_ospeed == 9600 && k2.c_ispeed == 9600,
	      "tcgets2_speed_9600");
	CHECK_ERR(ioctl(s, TCGETS, BAD_PTR), EFAULT, "tcgets_efault");
	CHECK_ERR(ioctl(s, TCSETS, BAD_PTR), EFAULT, "tcsets_efault");
	CHECK_ERR(ioctl(s, TIOCGWINSZ, BAD_PTR), EFAULT, "tiocgwinsz_efault");
	close_pair();

	/* ---- canonical mode and echo ---- */
	new_pair();
	feed("ab\n");
	CHECK_BYTES(sread(), "ab\n", "canon_line");
	CHECK_BYTES(slurp(m), "ab\r\n", "echo_line");
	feed("abx\177c\n");
	CHECK_BYTES(sread(), "abc\n", "erase");
	CHECK_BYTES(slurp(m), "abx\b \bc\r\n", "echo_erase");
	feed("abc\025xy\n");
	CHECK_BYTES(sread(), "xy\n", "kill");
	CHECK_BYTES(slurp(m), "abc\b \b\b \b\b \bxy\r\n", "echo_kill_echoke");
	feed("foo bar\027baz\n");
	CHECK_BYTES(sread(), "foo baz\n", "werase");
	CHECK_BYTES(slurp(m), "foo bar\b \b\b \b\b \bbaz\r\n", "echo_werase");
	feed("\001\n");
	CHECK_BYTES(sread(), "\001\n", "ctrl_char_data");
	CHECK_BYTES(slurp(m), "^A\r\n", "echoctl");
	feed("a\tb\177\177c\n");
	CHECK_BYTES(sread(), "ac\n", "erase_tab");
	/* "\b \b" for the b, then back from column 8 to column 1. */
	CHECK_BYTES(slurp(m), "a\tb\b \b" "\b\b\b\b\b\b\b" "c\r\n", "echo_erase_tab");
	feed("\026\003\n");
	CHECK_BYTES(sread(), "\003\n", "lnext_literal");
	CHECK_BYTES(slurp(m), "^\b^C\r\n", "echo_lnext");
	feed("ab\022");
	CHECK_BYTES(slurp(m), "ab^R\r\nab", "reprint");
	feed("\n");
	CHECK_BYTES(sread(), "ab\n", "reprint_line");
	slurp(m);

	/* EOF: a partial line without its EOF; EOF alone reads 0. */
	feed("abc\004");
	CHECK_BYTES(sread(), "abc", "eof_ends_line");
	feed("\004");
	char c;
	CHECK_EQ(read(s, &c, 1), 0, "eof_reads_zero");
	/* A buffer filled exactly by the line skips its EOF. */
	feed("xy\004");
	char two[2];
	CHECK(read(s, two, 2) == 2 && two[0] == 'x', "eof_exact_fit");
	fcntl(s, F_SETFL, O_NONBLOCK);
	CHECK_ERR(read(s, &c, 1), EAGAIN, "eof_exact_fit_skipped");
	/* A short buffer takes the line in pieces. */
	feed("hello\n");
	usleep(50000);
	char three[3];
	CHECK(read(s, three, 3) == 3 && !memcmp(three, "hel", 3), "canon_partial_read");
	CHECK_BYTES(sread(), "lo\n", "canon_rest_of_line");
	/* A partial line is not readable; FIONREAD counts complete lines. */
	feed("ab\ncd");
	settle();
	int inq = -1;
	CHECK(ioctl(s, TIOCINQ, &inq) == 0 && inq == 3, "tiocinq_canon");
	CHECK_BYTES(sread(), "ab\n", "canon_one_line_per_read");
	CHECK_ERR(read(s, &c, 1), EAGAIN, "partial_line_not_readable");
	feed("\n");
	CHECK_BYTES(sread(), "cd\n", "line_completed");
	fcntl(s, F_SETFL, 0);
	slurp(m);

	set_cc(VEOL, ';');
	feed("ab;");
	CHECK_BYTES(sread(), "ab;", "veol");
	set_cc(VEOL, 0);
	slurp(m);

	set_lflag(0, ECHOE);
	feed("ab\177\n");
	CHECK_BYTES(sread(), "a\n", "erase_noechoe");
	CHECK_BYTES(slurp(m), "ab^?\r\n", "echo_erase_noechoe");
	set_lflag(ECHOE, ECHOKE);
	feed("ab\025\n");
	CHECK_BYTES(sread(), "\n", "kill_noechoke");
	CHECK_BYTES(slurp(m), "ab^U\r\n\r\n", "echo_kill_echok");
	set_lflag(ECHONL, ECHO);
	feed("ab\n");
	CHECK_BYTES(sread(), "ab\n", "noecho_line");
	CHECK_BYTES(slurp(m), "\r\n", "echonl");
	set_lflag(0, ECHONL);
	feed("ab\n");
	sread();
	CHECK_BYTES(slurp(m), "", "noecho");
	close_pair();

	/* ---- input processing ---- */
	new_pair();
	set_lflag(0, ECHO);
	feed("a\r");
	CHECK_BYTES(sread(), "a\n", "icrnl");
	SET_I(IGNCR, 0);
	feed("a\rb\n");
	CHECK_BYTES(sread(), "ab\n", "igncr");
	SET_I(IUCLC, IGNCR);
	feed("AbC\n");
	CHECK_BYTES(sread(), "abc\n", "iuclc");
	SET_I(ISTRIP, IUCLC);
	feed("\xe1\n");
	CHECK_BYTES(sread(), "a\n", "istrip");
	SET_I(INLCR, ISTRIP | ICRNL);
	noncanon(1, 0);
	feed("a\n");
	CHECK_BYTES(slurp(s), "a\r", "inlcr");
	SET_I(0, INLCR);
	set_lflag(0, ISIG);
	feed("\003\034\032");
	CHECK_BYTES(slurp(s), "\003\034\032", "noisig_chars_are_data");
	close_pair();

	/* ---- output processing ---- */
	new_pair();
	write(s, "a\nb", 3);
	CHECK_BYTES(slurp(m), "a\r\nb", "onlcr");
	SET_O(0, OPOST);
	write(s, "a\nb", 3);
	CHECK_BYTES(slurp(m), "a\nb", "no_opost");
	SET_O(OPOST | OCRNL, ONLCR);
	write(s, "a\rb", 3);
	CHECK_BYTES(slurp(m), "a\nb", "ocrnl");
	SET_O(0, OCRNL);
	write(s, "\r", 1);                  /* back to column 0 */
	slurp(m);
	SET_O(ONOCR, 0);
	write(s, "\rab\r", 4);
	CHECK_BYTES(slurp(m), "ab\r", "onocr");
	SET_O(OLCUC, ONOCR);
	write(s, "ab1", 3);
	CHECK_BYTES(slurp(m), "AB1", "olcuc");
	SET_O(XTABS, OLCUC);
	write(s, "\rx\ty", 4);
	CHECK_BYTES(slurp(m), "\rx       y", "xtabs");
	close_pair();

	/* ---- non-canonical reads: VMIN and VTIME ---- */
	new_pair();
	noncanon(0, 0);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_EQ(read(s, &c, 1), 0, "vmin0_vtime0_returns_0");
	CHECK(ms_since(&t0) < 100, "vmin0_vtime0_immediate");
	noncanon(0, 2);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_EQ(read(s, &c, 1), 0, "vtime_timeout_returns_0");
	CHECK(ms_since(&t0) >= 150, "vtime_waits");
	feed("q");
	CHECK_EQ(read(s, &c, 1), 1, "vtime_data");
	noncanon(2, 0);
	feed("a");
	usleep(50000);
	struct pollfd p = { s, POLLIN, 0 };
	CHECK_EQ(poll(&p, 1, 0), 0, "vmin_poll_not_ready");
	feed("b");
	CHECK_EQ(poll(&p, 1, 1000), 1, "vmin_poll_ready");
	char buf[64];
	CHECK_EQ(read(s, buf, sizeof(buf)), 2, "vmin_read");
	noncanon(4, 1);
	feed("ab");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_EQ(read(s, buf, sizeof(buf)), 2, "vmin_vtime_interbyte_timeout");
	noncanon(1, 0);
	feed("xyz");
	usleep(50000);
	CHECK_EQ(read(s, buf, sizeof(buf)), 3, "raw_read_available");
	CHECK(ioctl(s, FIONREAD, &inq) == 0 && inq == 0, "fionread_empty");
	feed("12345");
	settle();
	CHECK(ioctl(s, FIONREAD, &inq) == 0 && inq == 5, "fionread_raw");
	CHECK_EQ(read(s, buf, 2), 2, "raw_read_short");
	CHECK_EQ(read(s, buf, sizeof(buf)), 3, "raw_read_rest");

	/* Switching modes: a partial line becomes readable without ICANON. */
	set_lflag(ICANON, 0);
	feed("part");
	usleep(50000);
	fcntl(s, F_SETFL, O_NONBLOCK);
	CHECK_ERR(read(s, buf, sizeof(buf)), EAGAIN, "canon_partial_waits");
	set_lflag(0, ICANON);
	CHECK_EQ(read(s, buf, sizeof(buf)), 4, "noncanon_gets_partial");
	feed("rest");
	usleep(50000);
	set_lflag(ICANON, 0);
	CHECK_EQ(read(s, buf, sizeof(buf)), 4, "canon_pushes_pending");
	fcntl(s, F_SETFL, 0);
	close_pair();

	/* ---- flow control and flushes ---- */
	new_pair();
	fcntl(s, F_SETFL, O_NONBLOCK);
	feed("\023");                        /* ^S */
	usleep(50000);
	CHECK_ERR(write(s, "x", 1), EAGAIN, "ixon_stop");
	p = (struct pollfd){ s, POLLOUT, 0 };
	CHECK_EQ(poll(&p, 1, 0), 0, "ixon_stop_no_pollout");
	feed("\021");                        /* ^Q */
	usleep(50000);
	CHECK_EQ(write(s, "x", 1), 1, "ixon_start");
	CHECK_BYTES(slurp(m), "x", "ixon_output_after_start");
	SET_I(IXANY, 0);
	feed("\023");
	usleep(50000);
	CHECK_ERR(write(s, "y", 1), EAGAIN, "ixany_stop");
	feed("k");
	usleep(50000);
	CHECK_EQ(write(s, "y", 1), 1, "ixany_any_char_starts");
	slurp(m);
	CHECK_EQ(tcflow(s, TCOOFF), 0, "tcooff");
	CHECK_ERR(write(s, "z", 1), EAGAIN, "tcooff_stops");
	CHECK_EQ(tcflow(s, TCOON), 0, "tcoon");
	CHECK_EQ(write(s, "z", 1), 1, "tcoon_starts");
	CHECK_BYTES(slurp(m), "z", "tcoon_output");
	CHECK_EQ(tcflow(s, TCIOFF), 0, "tcioff");
	CHECK_BYTES(slurp(m), "\023", "tcioff_sends_stop_char");
	CHECK_ERR(ioctl(s, TCXONC, 7), EINVAL, "tcxonc_einval");
	fcntl(s, F_SETFL, 0);
	slurp(s);

	feed("abc\n");
	usleep(50000);
	CHECK_EQ(tcflush(s, TCIFLUSH), 0, "tcflush_iflush");
	fcntl(s, F_SETFL, O_NONBLOCK);
	CHECK_ERR(read(s, buf, sizeof(buf)), EAGAIN, "iflush_discards_input");
	slurp(m);
	write(s, "out", 3);
	usleep(50000);
	/* Only the master's flip buffer goes: its line discipline keeps what it has. */
	CHECK_EQ(tcflush(s, TCOFLUSH), 0, "tcflush_oflush");
	CHECK_BYTES(slurp(m), "out", "oflush_keeps_master_ldisc");
	write(s, "out", 3);
	CHECK_EQ(tcflush(m, TCIFLUSH), 0, "tcflush_master_iflush");
	CHECK_BYTES(slurp(m), "", "master_iflush_discards");
	CHECK_ERR(tcflush(s, 99), EINVAL, "tcflush_einval");
	feed("def\n");
	usleep(50000);
	tcgetattr(s, &t);
	CHECK_EQ(tcsetattr(s, TCSAFLUSH, &t), 0, "tcsaflush");
	CHECK_ERR(read(s, buf, sizeof(buf)), EAGAIN, "tcsaflush_discards_input");
	fcntl(s, F_SETFL, 0);
	slurp(m);
	CHECK_EQ(tcdrain(s), 0, "tcdrain");
	CHECK_EQ(tcsendbreak(s, 0), 0, "tcsendbreak");
	close_pair();

	/*
	 * ^C with ISIG and no foreground group: no signal, but input is
	 * flushed, and the echoes of the same write; earlier echoes the
	 * master already holds stay.
	 */
	new_pair();
	feed("abc\003def\n");
	CHECK_BYTES(sread(), "def\n", "intr_flushes_input");
	CHECK_BYTES(slurp(m), "^Cdef\r\n", "intr_flushes_batch_echo");
	feed("abc");
	usleep(50000);
	feed("\003");
	CHECK_BYTES(slurp(m), "abc^C", "intr_keeps_delivered_echo");
	fcntl(s, F_SETFL, O_NONBLOCK);
	feed("\n");
	CHECK_BYTES(sread(), "\n", "intr_flushed_partial_line");
	slurp(m);
	set_lflag(NOFLSH, 0);
	feed("xy\003\n");
	CHECK_BYTES(sread(), "xy\n", "noflsh_keeps_input");
	CHECK_BYTES(slurp(m), "xy^C\r\n", "noflsh_echo");
	fcntl(s, F_SETFL, 0);
	close_pair();

	/* A canonical line longer than the buffer keeps 4095 bytes and its newline. */
	new_pair();
	set_lflag(0, ECHO);
	static char big[5000];
	memset(big, 'a', sizeof(big));
	fcntl(m, F_SETFL, O_NONBLOCK);
	CHECK_EQ(write(m, big, sizeof(big)), (long)sizeof(big), "long_line_written");
	feed("\n");
	usleep(100000);
	static char rbuf[8192];
	ssize_t r = read(s, rbuf, sizeof(rbuf));
	CHECK(r == 4096 && rbuf[4095] == '\n' && rbuf[4094] == 'a', "long_line_truncated");
	close_pair();

	/* ---- window size ---- */
	new_pair();
	struct winsize ws = { 1, 1, 1, 1 };
	CHECK(ioctl(s, TIOCGWINSZ, &ws) == 0 && ws.ws_row == 0 && ws.ws_col == 0, "winsize_default");
	ws = (struct winsize){ 24, 80, 640, 480 };
	CHECK_EQ(ioctl(m, TIOCSWINSZ, &ws), 0, "tiocswinsz_master");
	struct winsize w2;
	CHECK(ioctl(s, TIOCGWINSZ, &w2) == 0 && w2.ws_row == 24 && w2.ws_col == 80 &&
	      w2.ws_xpixel == 640, "winsize_seen_by_slave");
	ws.ws_row = 50;
	CHECK_EQ(ioctl(s, TIOCSWINSZ, &ws), 0, "tiocswinsz_slave");
	CHECK(ioctl(m, TIOCGWINSZ, &w2) == 0 && w2.ws_row == 50, "winsize_seen_by_master");

	/* ---- packet mode ---- */
	int one = 1;
	CHECK_EQ(ioctl(m, TIOCPKT, &one), 0, "tiocpkt");
	int pk = 0;
	CHECK(ioctl(m, TIOCGPKT, &pk) == 0 && pk == 1, "tiocgpkt");
	write(s, "x", 1);
	usleep(50000);
	r = read(m, buf, sizeof(buf));
	CHECK(r == 2 && buf[0] == 0 && buf[1] == 'x', "packet_data");
	tcflush(s, TCIFLUSH);
	usleep(50000);
	r = read(m, buf, sizeof(buf));
	CHECK(r == 1 && buf[0] == TIOCPKT_FLUSHREAD, "packet_flushread_status");
	close_pair();
	return conf_exit();
}
