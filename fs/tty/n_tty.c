/*
 * N_TTY: the line discipline of a pseudo-terminal's slave side, after
 * Linux's drivers/tty/n_tty.c (same buffer size, same canonical-mode
 * bookkeeping, same echo and output processing), minus what a pty never
 * sees (parity and break errors). Everything here runs with tty.lock held.
 *
 * Input: bytes the master wrote wait in the flip buffer; the receive loop
 * moves them into the 4 KiB read_buf as room allows, applying the slave's
 * termios: ISTRIP/IUCLC, IXON (^S/^Q), ISIG (^C/^\/^Z signal the
 * foreground group and flush unless NOFLSH), ICRNL/INLCR/IGNCR, and in
 * canonical mode ERASE/WERASE/KILL/LNEXT/REPRINT/EOF/EOL/EOL2 with line
 * ends marked in read_flags (an EOF is stored as a 0 byte with its flag
 * set and never copied out). Echoes are written at once, through output
 * processing, into the master's input (`out`).
 *
 * Linux queues echoes in an echo buffer and flushes them at the end of
 * each received chunk; we write them immediately, which only differs when
 * the master's input is full (Linux keeps them pending, we drop them).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include "fs/tty/tty_internal.h"

#define MASK(x) ((x) & (N_TTY_BUF_SIZE - 1))
#define I_(tty, f) ((tty)->termios.c_iflag & (f))
#define O_(tty, f) ((tty)->termios.c_oflag & (f))
#define L_(tty, f) ((tty)->termios.c_lflag & (f))
#define CC(tty, i) ((tty)->termios.c_cc[i])
#define DISABLED_CHAR 0                /* _POSIX_VDISABLE; also the EOF marker */
#define ECHO_OP_START 0xff

/* TIOCPKT status bits (asm-generic/ioctls.h). */
#define PKT_FLUSHREAD 1
#define PKT_FLUSHWRITE 2
#define PKT_STOP 4
#define PKT_START 8
#define PKT_NOSTOP 16
#define PKT_DOSTOP 32

/* ---- the kernel's Latin-1 ctype (lib/ctype.c), which tty code uses ---- */

static bool k_iscntrl(unsigned char c)
{
	return c < 32 || c == 127 || (c >= 128 && c < 160);
}

static bool k_isupper(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 192 && c <= 222 && c != 215);
}

static bool k_islower(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 223 && c != 247);
}

static bool k_isalnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || k_isupper(c) || k_islower(c);
}

static unsigned char k_tolower(unsigned char c)
{
	return k_isupper(c) ? c + ('a' - 'A') : c;
}

static unsigned char k_toupper(unsigned char c)
{
	return k_islower(c) ? c - ('a' - 'A') : c;
}

static bool is_continuation(struct tty *tty, unsigned char c)
{
	return I_(tty, IUTF8) && (c & 0xc0) == 0x80;
}

/* ---- byte FIFOs ---- */

size_t fifo_space(const struct tty_fifo *q)
{
	return q->cap - q->len;
}

bool fifo_put(struct tty_fifo *q, const void *p, size_t n)
{
	if (n > fifo_space(q))
		return false;
	if (!q->buf && n && !(q->buf = malloc(q->cap)))
		return false;
	const unsigned char *s = p;
	while (n) {
		size_t at = (q->head + q->len) % q->cap;
		size_t k = MIN(n, q->cap - at);
		memcpy(q->buf + at, s, k);
		q->len += k;
		s += k;
		n -= k;
	}
	return true;
}

size_t fifo_get(struct tty_fifo *q, const struct iovec *iov, int iovcnt, size_t skip, size_t n)
{
	n = MIN(n, q->len);
	size_t done = 0;
	while (done < n) {
		size_t k = MIN(n - done, q->cap - q->head);
		if (iov)
			iov_from_buf(iov, iovcnt, skip + done, q->buf + q->head, k);
		q->head = (q->head + k) % q->cap;
		q->len -= k;
		done += k;
	}
	if (!q->len)
		q->head = 0;
	return done;
}

static int fifo_pop(struct tty_fifo *q)
{
	if (!q->len)
		return -1;
	unsigned char c = q->buf[q->head];
	q->head = (q->head + 1) % q->cap;
	if (!--q->len)
		q->head = 0;
	return c;
}

void fifo_clear(struct tty_fifo *q)
{
	q->head = q->len = 0;
}

/* Drop the newest bytes so that len remain. */
static void fifo_truncate(struct tty_fifo *q, size_t len)
{
	if (len < q->len)
		q->len = len;
	if (!q->len)
		q->head = 0;
}

void tty_flush_master_flip_locked(struct tty *tty)
{
	fifo_truncate(&tty->out, N_TTY_BUF_SIZE - 1);
	tty_wake(tty, TTY_SLAVE, POLLOUT | POLLWRNORM);
}

void fifo_free(struct tty_fifo *q)
{
	free(q->buf);
	q->buf = NULL;
	q->head = q->len = 0;
}

/* ---- termios ---- */

void n_tty_init_termios(struct ktermios *t)
{
	/* Linux's tty_std_termios with the pts driver's c_cflag (no HUPCL). */
	static const uint8_t init_cc[KNCCS] = {
		[VINTR] = 003, [VQUIT] = 034, [VERASE] = 0177, [VKILL] = 025, [VEOF] = 004,
		[VTIME] = 0, [VMIN] = 1, [VSTART] = 021, [VSTOP] = 023, [VSUSP] = 032,
		[VREPRINT] = 022, [VDISCARD] = 017, [VWERASE] = 027, [VLNEXT] = 026,
	};
	memset(t, 0, sizeof(*t));
	t->c_iflag = ICRNL | IXON;
	t->c_oflag = OPOST | ONLCR;
	t->c_cflag = B38400 | CS8 | CREAD;
	t->c_lflag = ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN;
	memcpy(t->c_cc, init_cc, sizeof(init_cc));
	t->c_ispeed = t->c_ospeed = 38400;
}

/* ---- the read buffer ---- */

static unsigned char read_buf(struct tty *tty, size_t i)
{
	return tty->read_buf[MASK(i)];
}

static void put_tty_queue(struct tty *tty, unsigned char c)
{
	tty->read_buf[MASK(tty->read_head)] = c;
	tty->read_head++;
}

static void flag_set(struct tty *tty, size_t i)
{
	tty->read_flags[MASK(i) / 64] |= 1ULL << (MASK(i) % 64);
}

static void flag_clear(struct tty *tty, size_t i)
{
	tty->read_flags[MASK(i) / 64] &= ~(1ULL << (MASK(i) % 64));
}

static bool flag_test(struct tty *tty, size_t i)
{
	return (tty->read_flags[MASK(i) / 64] >> (MASK(i) % 64)) & 1;
}

static bool icanon(struct tty *tty)
{
	return L_(tty, ICANON) && !L_(tty, EXTPROC);
}

/* Linux's reset_buffer_flags. */
static void reset_buffer(struct tty *tty)
{
	tty->read_head = tty->read_tail = tty->canon_head = tty->line_start = 0;
	tty->erasing = false;
	tty->push = false;
	memset(tty->read_flags, 0, sizeof(tty->read_flags));
}

void n_tty_flush_input(struct tty *tty)
{
	reset_buffer(tty);
	if (tty->packet) {
		tty->pktstatus |= PKT_FLUSHREAD;
		tty_wake(tty, TTY_MASTER, POLLIN | POLLPRI | POLLRDNORM);
	}
	tty_wake(tty, TTY_MASTER, POLLOUT | POLLWRNORM);
}

/* ---- output processing (OPOST) into the master's input ---- */

static void out_put(struct tty *tty, const void *p, size_t n)
{
	if (!fifo_put(&tty->out, p, n))
		return;
	if (tty->in_receive)
		tty->echo_batch += n;
	tty_wake(tty, TTY_MASTER, POLLIN | POLLRDNORM);
}

/* Linux's do_output_char: bytes of `space` used (0: dropped by ONOCR), -1 if no room. */
static int do_output_char(struct tty *tty, unsigned char c, size_t space)
{
	if (!space)
		return -1;
	switch (c) {
	case '\n':
		if (O_(tty, ONLRET))
			tty->column = 0;
		if (O_(tty, ONLCR)) {
			if (space < 2)
				return -1;
			tty->canon_column = tty->column = 0;
			out_put(tty, "\r\n", 2);
			return 2;
		}
		tty->canon_column = tty->column;
		break;
	case '\r':
		if (O_(tty, ONOCR) && tty->column == 0)
			return 0;
		if (O_(tty, OCRNL)) {
			c = '\n';
			if (O_(tty, ONLRET))
				tty->canon_column = tty->column = 0;
			break;
		}
		tty->canon_column = tty->column = 0;
		break;
	case '\t': {
		unsigned spaces = 8 - (tty->column & 7);
		if ((tty->termios.c_oflag & TABDLY) == XTABS) {
			if (space < spaces)
				return -1;
			tty->column += spaces;
			out_put(tty, "        ", spaces);
			return (int)spaces;
		}
		tty->column += spaces;
		break;
	}
	case '\b':
		if (tty->column > 0)
			tty->column--;
		break;
	default:
		if (!k_iscntrl(c)) {
			if (O_(tty, OLCUC))
				c = k_toupper(c);
			if (!is_continuation(tty, c))
				tty->column++;
		}
		break;
	}
	out_put(tty, &c, 1);
	return 1;
}

size_t n_tty_write_locked(struct tty *tty, const unsigned char *buf, size_t len)
{
	size_t space = tty->stopped[TTY_SLAVE] ? 0 : fifo_space(&tty->out);
	if (!O_(tty, OPOST)) {
		size_t n = MIN(len, space);
		if (n)
			out_put(tty, buf, n);
		return n;
	}
	size_t i;
	for (i = 0; i < len; i++) {
		int r = do_output_char(tty, buf[i], space);
		if (r < 0)
			break;
		space -= (size_t)r;
	}
	return i;
}

/* ---- echoes ---- */

/* echo_char_raw: one byte, through output processing when OPOST is set. */
static void echo_raw(struct tty *tty, unsigned char c)
{
	size_t space = fifo_space(&tty->out);
	if (c == ECHO_OP_START) {
		/* An escaped op-start byte: echoed literally (Linux). */
		if (space) {
			out_put(tty, &c, 1);
			tty->column++;
		}
	} else if (O_(tty, OPOST)) {
		do_output_char(tty, c, space);
	} else if (space) {
		out_put(tty, &c, 1);
	}
}

/* echo_char: control characters as "^X" under ECHOCTL. */
static void echo_char(struct tty *tty, unsigned char c)
{
	if (c != ECHO_OP_START && L_(tty, ECHOCTL) && k_iscntrl(c) && c != '\t') {
		if (fifo_space(&tty->out) >= 2) {
			unsigned char pair[2] = { '^', (unsigned char)(c ^ 0100) };
			out_put(tty, pair, 2);
			tty->column += 2;
		}
		return;
	}
	echo_raw(tty, c);
}

static void finish_erasing(struct tty *tty)
{
	if (tty->erasing) {
		echo_raw(tty, '/');
		tty->erasing = false;
	}
}

static void echo_set_canon_col(struct tty *tty)
{
	tty->canon_column = tty->column;
}

/* Back over a tab: to the previous tab stop counted from the canonical column. */
static void echo_erase_tab(struct tty *tty, unsigned num_chars, bool after_tab)
{
	unsigned n = (num_chars & 7) + (after_tab ? 0 : tty->canon_column);
	unsigned bs = 8 - (n & 7);
	if (fifo_space(&tty->out) < bs)
		return;
	while (bs--) {
		out_put(tty, "\b", 1);
		if (tty->column > 0)
			tty->column--;
	}
}

/* ---- canonical editing ---- */

/* Linux's eraser(): ERASE, WERASE or KILL. */
static void eraser(struct tty *tty, unsigned char c)
{
	enum { ERASE, WERASE, KILL } kill_type;
	if (tty->read_head == tty->canon_head)
		return;
	if (c == CC(tty, VERASE)) {
		kill_type = ERASE;
	} else if (c == CC(tty, VWERASE)) {
		kill_type = WERASE;
	} else {
		if (!L_(tty, ECHO)) {
			tty->read_head = tty->canon_head;
			return;
		}
		if (!L_(tty, ECHOK) || !L_(tty, ECHOKE) || !L_(tty, ECHOE)) {
			tty->read_head = tty->canon_head;
			finish_erasing(tty);
			echo_char(tty, CC(tty, VKILL));
			/* A newline if ECHOK is on and ECHOKE is off. */
			if (L_(tty, ECHOK))
				echo_raw(tty, '\n');
			return;
		}
		kill_type = KILL;
	}
	int seen_alnums = 0;
	while (MASK(tty->read_head) != MASK(tty->canon_head)) {
		size_t head = tty->read_head;
		/* Erase one possibly multibyte character. */
		do {
			head--;
			c = read_buf(tty, head);
		} while (is_continuation(tty, c) && MASK(head) != MASK(tty->canon_head));
		/* Do not partially erase. */
		if (is_continuation(tty, c))
			break;
		if (kill_type == WERASE) {
			/* BSD's ALTWERASE. */
			if (k_isalnum(c) || c == '_')
				seen_alnums++;
			else if (seen_alnums)
				break;
		}
		size_t cnt = tty->read_head - head;
		tty->read_head = head;
		if (L_(tty, ECHO)) {
			if (L_(tty, ECHOPRT)) {
				if (!tty->erasing) {
					echo_raw(tty, '\\');
					tty->erasing = true;
				}
				echo_char(tty, c);
				while (--cnt > 0) {
					head++;
					echo_raw(tty, read_buf(tty, head));
					if (tty->column > 0)
						tty->column--;
				}
			} else if (kill_type == ERASE && !L_(tty, ECHOE)) {
				echo_char(tty, CC(tty, VERASE));
			} else if (c == '\t') {
				unsigned num_chars = 0;
				bool after_tab = false;
				size_t tail = tty->read_head;
				/* Columns used since the start of input or the previous tab. */
				while (MASK(tail) != MASK(tty->canon_head)) {
					tail--;
					c = read_buf(tty, tail);
					if (c == '\t') {
						after_tab = true;
						break;
					} else if (k_iscntrl(c)) {
						if (L_(tty, ECHOCTL))
							num_chars += 2;
					} else if (!is_continuation(tty, c)) {
						num_chars++;
					}
				}
				echo_erase_tab(tty, num_chars, after_tab);
			} else {
				if (k_iscntrl(c) && L_(tty, ECHOCTL)) {
					echo_raw(tty, '\b');
					echo_raw(tty, ' ');
					echo_raw(tty, '\b');
				}
				if (!k_iscntrl(c) || L_(tty, ECHOCTL)) {
					echo_raw(tty, '\b');
					echo_raw(tty, ' ');
					echo_raw(tty, '\b');
				}
			}
		}
		if (kill_type == ERASE)
			break;
	}
	if (tty->read_head == tty->canon_head && L_(tty, ECHO))
		finish_erasing(tty);
}

/* ---- receiving ---- */

/* Linux's char_map: characters n_tty_receive_char_special must see. */
static bool is_special(struct tty *tty, unsigned char c)
{
	if (c == DISABLED_CHAR)
		return false;
	if (c == '\r' && (I_(tty, IGNCR) || I_(tty, ICRNL)))
		return true;
	if (c == '\n' && I_(tty, INLCR))
		return true;
	if (L_(tty, ICANON)) {
		if (c == CC(tty, VERASE) || c == CC(tty, VKILL) || c == CC(tty, VEOF) || c == '\n' ||
		    c == CC(tty, VEOL))
			return true;
		if (L_(tty, IEXTEN)) {
			if (c == CC(tty, VWERASE) || c == CC(tty, VLNEXT) || c == CC(tty, VEOL2))
				return true;
			if (L_(tty, ECHO) && c == CC(tty, VREPRINT))
				return true;
		}
	}
	if (I_(tty, IXON) && (c == CC(tty, VSTART) || c == CC(tty, VSTOP)))
		return true;
	if (L_(tty, ISIG) && (c == CC(tty, VINTR) || c == CC(tty, VQUIT) || c == CC(tty, VSUSP)))
		return true;
	return false;
}

void tty_stop_locked(struct tty *tty, enum tty_side side)
{
	if (tty->stopped[side])
		return;
	tty->stopped[side] = true;
	if (side == TTY_SLAVE && tty->packet) {
		tty->pktstatus = (tty->pktstatus & ~PKT_START) | PKT_STOP;
		tty_wake(tty, TTY_MASTER, POLLIN | POLLPRI | POLLRDNORM);
	}
}

void tty_start_locked(struct tty *tty, enum tty_side side)
{
	if (!tty->stopped[side] || tty->tco_stopped[side])
		return;
	tty->stopped[side] = false;
	if (side == TTY_SLAVE && tty->packet) {
		tty->pktstatus = (tty->pktstatus & ~PKT_STOP) | PKT_START;
		tty_wake(tty, TTY_MASTER, POLLIN | POLLPRI | POLLRDNORM);
	}
	tty_wake(tty, side, POLLOUT | POLLWRNORM);
}

static void receive_signal_char(struct tty *tty, int sig, unsigned char c)
{
	tty_signal_fg_locked(tty, sig);
	if (!L_(tty, NOFLSH)) {
		/*
		 * Linux's isig: drop the echoes of this batch (not yet flushed
		 * to the master), the master's flip buffer, then our input.
		 */
		fifo_truncate(&tty->out, tty->out.len - MIN(tty->echo_batch, tty->out.len));
		tty->echo_batch = 0;
		tty_flush_master_flip_locked(tty);
		if (tty->packet)
			tty->pktstatus |= PKT_FLUSHWRITE;
		n_tty_flush_input(tty);
	}
	if (I_(tty, IXON))
		tty_start_locked(tty, TTY_SLAVE);
	if (L_(tty, ECHO))
		echo_char(tty, c);
}

/* n_tty_receive_char: an ordinary character. */
static void receive_char(struct tty *tty, unsigned char c)
{
	if (tty->stopped[TTY_SLAVE] && !tty->tco_stopped[TTY_SLAVE] && I_(tty, IXON) &&
	    I_(tty, IXANY))
		tty_start_locked(tty, TTY_SLAVE);
	if (L_(tty, ECHO)) {
		finish_erasing(tty);
		if (tty->canon_head == tty->read_head)
			echo_set_canon_col(tty);
		echo_char(tty, c);
	}
	if (c == 0377 && I_(tty, PARMRK))
		put_tty_queue(tty, c);
	put_tty_queue(tty, c);
}

static void handle_newline(struct tty *tty, unsigned char c)
{
	flag_set(tty, tty->read_head);
	put_tty_queue(tty, c);
	tty->canon_head = tty->read_head;
	tty_wake(tty, TTY_SLAVE, POLLIN | POLLRDNORM);
}

/* n_tty_receive_char_special. */
static void receive_special(struct tty *tty, unsigned char c)
{
	if (I_(tty, IXON) && (c == CC(tty, VSTART) || c == CC(tty, VSTOP))) {
		if (c == CC(tty, VSTART))
			tty_start_locked(tty, TTY_SLAVE);
		else
			tty_stop_locked(tty, TTY_SLAVE);
		return;
	}
	if (L_(tty, ISIG)) {
		if (c == CC(tty, VINTR)) {
			receive_signal_char(tty, SIGINT, c);
			return;
		}
		if (c == CC(tty, VQUIT)) {
			receive_signal_char(tty, SIGQUIT, c);
			return;
		}
		if (c == CC(tty, VSUSP)) {
			receive_signal_char(tty, SIGTSTP, c);
			return;
		}
	}
	if (tty->stopped[TTY_SLAVE] && !tty->tco_stopped[TTY_SLAVE] && I_(tty, IXON) &&
	    I_(tty, IXANY))
		tty_start_locked(tty, TTY_SLAVE);
	if (c == '\r') {
		if (I_(tty, IGNCR))
			return;
		if (I_(tty, ICRNL))
			c = '\n';
	} else if (c == '\n' && I_(tty, INLCR)) {
		c = '\r';
	}
	if (icanon(tty)) {
		if (c == CC(tty, VERASE) || c == CC(tty, VKILL) ||
		    (c == CC(tty, VWERASE) && L_(tty, IEXTEN))) {
			eraser(tty, c);
			return;
		}
		if (c == CC(tty, VLNEXT) && L_(tty, IEXTEN)) {
			tty->lnext = true;
			if (L_(tty, ECHO)) {
				finish_erasing(tty);
				if (L_(tty, ECHOCTL)) {
					echo_raw(tty, '^');
					echo_raw(tty, '\b');
				}
			}
			return;
		}
		if (c == CC(tty, VREPRINT) && L_(tty, ECHO) && L_(tty, IEXTEN)) {
			finish_erasing(tty);
			echo_char(tty, c);
			echo_raw(tty, '\n');
			for (size_t tail = tty->canon_head; MASK(tail) != MASK(tty->read_head); tail++)
				echo_char(tty, read_buf(tty, tail));
			return;
		}
		if (c == '\n') {
			if (L_(tty, ECHO) || L_(tty, ECHONL))
				echo_raw(tty, '\n');
			handle_newline(tty, c);
			return;
		}
		if (c == CC(tty, VEOF)) {
			handle_newline(tty, DISABLED_CHAR);
			return;
		}
		if (c == CC(tty, VEOL) || (c == CC(tty, VEOL2) && L_(tty, IEXTEN))) {
			if (L_(tty, ECHO)) {
				if (tty->canon_head == tty->read_head)
					echo_set_canon_col(tty);
				echo_char(tty, c);
			}
			if (c == 0377 && I_(tty, PARMRK))
				put_tty_queue(tty, c);
			handle_newline(tty, c);
			return;
		}
	}
	if (L_(tty, ECHO)) {
		finish_erasing(tty);
		if (c == '\n') {
			echo_raw(tty, '\n');
		} else {
			if (tty->canon_head == tty->read_head)
				echo_set_canon_col(tty);
			echo_char(tty, c);
		}
	}
	if (c == 0377 && I_(tty, PARMRK))
		put_tty_queue(tty, c);
	put_tty_queue(tty, c);
}

static void receive_one(struct tty *tty, unsigned char c)
{
	if (tty->lnext) {
		tty->lnext = false;
		if (I_(tty, ISTRIP))
			c &= 0x7f;
		if (I_(tty, IUCLC) && L_(tty, IEXTEN))
			c = k_tolower(c);
		receive_char(tty, c);
		return;
	}
	if (I_(tty, ISTRIP))
		c &= 0x7f;
	if (I_(tty, IUCLC) && L_(tty, IEXTEN))
		c = k_tolower(c);
	if (L_(tty, EXTPROC)) {
		put_tty_queue(tty, c);
		return;
	}
	if (is_special(tty, c))
		receive_special(tty, c);
	else
		receive_char(tty, c);
}

void n_tty_receive_locked(struct tty *tty)
{
	bool moved = false;
	tty->in_receive = true;
	tty->echo_batch = 0;
	while (tty->flip.len) {
		/*
		 * Linux's room computation: PARMRK may triple each byte; in
		 * canonical mode with no complete line, characters keep coming
		 * (each overwriting the last) so that erase and newline work.
		 */
		long room = N_TTY_BUF_SIZE - (long)(tty->read_head - tty->read_tail);
		if (I_(tty, PARMRK))
			room = (room + 2) / 3;
		room--;
		if (room <= 0) {
			bool overflow = icanon(tty) && tty->canon_head == tty->read_tail;
			if (overflow && room < 0)
				tty->read_head--;
			room = overflow;
		}
		if (!room)
			break;
		for (long n = MIN(room, (long)tty->flip.len); n > 0; n--)
			receive_one(tty, (unsigned char)fifo_pop(&tty->flip));
		moved = true;
	}
	tty->in_receive = false;
	if (moved) {
		tty_wake(tty, TTY_MASTER, POLLOUT | POLLWRNORM);
		if (!icanon(tty) && tty->read_head != tty->read_tail)
			tty_wake(tty, TTY_SLAVE, POLLIN | POLLRDNORM);
	}
}

/* ---- reading ---- */

bool n_tty_input_available(struct tty *tty, bool poll)
{
	if (icanon(tty))
		return tty->canon_head != tty->read_tail;
	size_t amt = poll && !CC(tty, VTIME) && CC(tty, VMIN) ? CC(tty, VMIN) : 1;
	return tty->read_head - tty->read_tail >= amt;
}

/* Copy n bytes from the read buffer at read_tail into iov at skip. */
static void copy_out(struct tty *tty, const struct iovec *iov, int iovcnt, size_t skip, size_t n)
{
	size_t tail = tty->read_tail;
	while (n) {
		size_t k = MIN(n, N_TTY_BUF_SIZE - MASK(tail));
		iov_from_buf(iov, iovcnt, skip, tty->read_buf + MASK(tail), k);
		skip += k;
		tail += k;
		n -= k;
	}
}

/* The caller's buffer is full: skip the EOF marker ending the line, if next. */
static void canon_skip_eof(struct tty *tty)
{
	size_t tail = tty->read_tail;
	if (tail == tty->canon_head || !flag_test(tty, tail) || read_buf(tty, tail) != DISABLED_CHAR)
		return;
	flag_clear(tty, tail);
	tty->read_tail++;
}

bool n_tty_read_locked(struct tty *tty, const struct iovec *iov, int iovcnt, size_t *done,
		       size_t total)
{
	size_t nr = total - *done;
	if (!icanon(tty)) {
		size_t n = MIN(tty->read_head - tty->read_tail, nr);
		copy_out(tty, iov, iovcnt, *done, n);
		tty->read_tail += n;
		*done += n;
		return false;
	}
	if (!nr) {
		canon_skip_eof(tty);
		return true;
	}
	size_t n = MIN(nr, tty->canon_head - tty->read_tail);
	size_t i;
	bool found = false;
	for (i = 0; i < n; i++)
		if (flag_test(tty, tty->read_tail + i)) {
			found = true;
			break;
		}
	size_t eol = tty->read_tail + i;
	size_t consumed = i + found;
	size_t copy = found && read_buf(tty, eol) == DISABLED_CHAR ? i : consumed;
	copy_out(tty, iov, iovcnt, *done, copy);
	*done += copy;
	if (found)
		flag_clear(tty, eol);
	tty->read_tail += consumed;
	if (found) {
		if (!tty->push)
			tty->line_start = tty->read_tail;
		else
			tty->push = false;
	} else if (tty->read_tail != tty->canon_head) {
		/* The caller's buffer is full before the end of the line. */
		canon_skip_eof(tty);
	}
	/* A canonical read returns after one copy (Linux: minimum 0). */
	return true;
}

unsigned n_tty_inq(struct tty *tty)
{
	if (!icanon(tty))
		return (unsigned)(tty->read_head - tty->read_tail);
	size_t nr = tty->canon_head - tty->read_tail;
	for (size_t tail = tty->read_tail; tail != tty->canon_head; tail++)
		if (flag_test(tty, tail) && read_buf(tty, tail) == DISABLED_CHAR)
			nr--;
	return (unsigned)nr;
}

/* ---- termios changes ---- */

void n_tty_set_termios(struct tty *tty, const struct ktermios *old)
{
	if ((old->c_lflag ^ tty->termios.c_lflag) & (ICANON | EXTPROC)) {
		memset(tty->read_flags, 0, sizeof(tty->read_flags));
		tty->line_start = tty->read_tail;
		if (!L_(tty, ICANON) || tty->read_head == tty->read_tail) {
			tty->canon_head = tty->read_tail;
			tty->push = false;
		} else {
			/* Pending input becomes one line. */
			flag_set(tty, tty->read_head - 1);
			tty->canon_head = tty->read_head;
			tty->push = true;
		}
		tty->erasing = false;
		tty->lnext = false;
	}
	/* Clearing IXON restarts output stopped by ^S. */
	if (!I_(tty, IXON) && (old->c_iflag & IXON) && !tty->tco_stopped[TTY_SLAVE])
		tty_start_locked(tty, TTY_SLAVE);
	/* Packet mode reports whether ^S/^Q now control output (pty_set_termios). */
	if (tty->packet) {
		bool was = (old->c_iflag & IXON) && old->c_cc[VSTOP] == 023 && old->c_cc[VSTART] == 021;
		bool now = I_(tty, IXON) && CC(tty, VSTOP) == 023 && CC(tty, VSTART) == 021;
		if (was != now) {
			tty->pktstatus = (tty->pktstatus & ~(PKT_NOSTOP | PKT_DOSTOP)) |
					 (now ? PKT_DOSTOP : PKT_NOSTOP);
			tty_wake(tty, TTY_MASTER, POLLIN | POLLPRI | POLLRDNORM);
		}
	}
	/* The change may make the tty ready for I/O. */
	n_tty_receive_locked(tty);
	tty_wake(tty, TTY_SLAVE, POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM);
	tty_wake(tty, TTY_MASTER, POLLOUT | POLLWRNORM);
}
