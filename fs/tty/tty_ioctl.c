/*
 * Terminal ioctls and the terminal side of sessions and job control,
 * after Linux's tty_io.c, tty_ioctl.c, tty_jobctrl.c and pty.c.
 *
 * As in Linux, termios, window size and job-control requests on a master
 * act on its slave (tty_pair_get_tty / tty_mode_ioctl's real_tty); flow
 * control and flushes act on the side the descriptor is. A slave whose
 * master has closed answers every ioctl with EIO (TIOCSPGRP: ENOTTY).
 *
 * The controlling terminal of a process is thread_group.ctty (a tty
 * reference, kernel.lock); the terminal's session and foreground group
 * are tty.session/tty.pgrp (tty.lock). Lock order: tty.lock, then
 * kernel.lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/sysmacros.h>
#include "fs/tty/tty_internal.h"
#include "sentry/mm.h"
#include "sentry/process.h"
#include "sentry/task.h"

/* Requests <sys/ioctl.h> can only spell with the kernel's struct termios2. */
#define K_TCGETS2 0x802C542AU
#define K_TCSETS2 0x402C542BU
#define K_TCSETSW2 0x402C542CU
#define K_TCSETSF2 0x402C542DU
#define K_BOTHER 0010000
#define K_CBAUD 0010017
#define K_CBAUDEX 0010000
#define K_IBSHIFT 16
#define K_ADDRB 0x20000000
#define N_TTY 0
#define NR_LDISCS 31
#define CAP_CHECKPOINT_RESTORE 40
#define ENOIOCTLCMD 515                /* kernel-internal: "not mine, try the next layer" */

/* The kernel's struct termio (TCGETA...): 16-bit flags, 8 control characters. */
struct ktermio {
	uint16_t c_iflag, c_oflag, c_cflag, c_lflag;
	uint8_t c_line;
	uint8_t c_cc[8];
};

#define OPT_FLUSH 1
#define OPT_WAIT 2
#define OPT_V1 4                       /* struct termios */
#define OPT_TERMIO 8                   /* struct termio */

static bool readable(struct file *f)
{
	int acc = f->flags & O_ACCMODE;
	return acc == O_RDONLY || acc == O_RDWR;
}

/* ---- job control ---- */

static bool sig_ignored_locked(struct task *t, int sig)
{
	return ((t->sigmask >> (sig - 1)) & 1) ||
	       t->tg->actions[sig - 1].handler == (uint64_t)(uintptr_t)SIG_IGN;
}

int tty_check_change(struct tty *tty, int sig)
{
	struct task *t = task_current();
	if (!t)
		return 0;
	tty_lock(tty);
	int fg = tty->pgrp;
	tty_unlock(tty);
	pthread_mutex_lock(&kernel.lock);
	bool mine = t->tg->ctty == tty;
	int pg = t->tg->pgid;
	bool ignored = sig_ignored_locked(t, sig);
	pthread_mutex_unlock(&kernel.lock);
	if (!mine || !fg || pg == fg)
		return 0;
	if (ignored)
		return sig == SIGTTIN ? -EIO : 0;
	if (process_pgrp_orphaned(pg))
		return -EIO;
	process_signal_pgrp(pg, sig);
	return -ERESTARTSYS;
}

void tty_signal_fg_locked(struct tty *tty, int sig)
{
	if (tty->pgrp)
		process_signal_pgrp(tty->pgrp, sig);
}

/* __proc_set_tty: tg's session takes tty. tty.lock and kernel.lock held. */
static void set_ctty_locked(struct tty *tty, struct thread_group *tg)
{
	tty->session = tg->sid;
	tty->pgrp = tg->pgid;
	tty_get(tty);
	tty_put(tg->ctty);
	tg->ctty = tty;
	tg->tty_old_pgrp = 0;
}

static void clear_ctty_cb(struct thread_group *tg, void *arg)
{
	struct tty *only = arg;
	if (tg->ctty && (!only || tg->ctty == only)) {
		tty_put(tg->ctty);
		tg->ctty = NULL;
	}
}

/* session_clear_tty: every process of session sid loses its terminal. kernel.lock. */
static void session_clear_tty_locked(int sid)
{
	process_for_each_in_session_locked(sid, clear_ctty_cb, NULL);
}

void tty_open_set_ctty(struct tty *tty, struct file *f)
{
	struct task *t = task_current();
	/* Write-only opens never acquire (tty_open_proc_set_tty). */
	if (!t || !readable(f))
		return;
	tty_lock(tty);
	pthread_mutex_lock(&kernel.lock);
	struct thread_group *tg = t->tg;
	if (tg->session_leader && !tg->ctty && !tty->session && !tty->hungup)
		set_ctty_locked(tty, tg);
	pthread_mutex_unlock(&kernel.lock);
	tty_unlock(tty);
}

/* Linux's disassociate_ctty for a leader whose terminal is tty. */
static void disassociate(struct tty *tty, struct thread_group *tg, bool on_exit)
{
	tty_lock(tty);
	if (tty->pgrp) {
		process_signal_pgrp(tty->pgrp, SIGHUP);
		if (!on_exit)
			process_signal_pgrp(tty->pgrp, SIGCONT);
	}
	tty->session = tty->pgrp = 0;
	pthread_mutex_lock(&kernel.lock);
	tg->tty_old_pgrp = 0;
	session_clear_tty_locked(tg->sid);
	pthread_mutex_unlock(&kernel.lock);
	tty_unlock(tty);
}

void tty_session_exit(struct thread_group *tg)
{
	pthread_mutex_lock(&kernel.lock);
	if (!tg->session_leader) {
		pthread_mutex_unlock(&kernel.lock);
		return;
	}
	struct tty *tty = tg->ctty;
	if (tty)
		tty_get(tty);
	int old = tg->tty_old_pgrp;
	tg->tty_old_pgrp = 0;
	pthread_mutex_unlock(&kernel.lock);
	if (tty) {
		disassociate(tty, tg, true);
		tty_put(tty);
	} else if (old) {
		/* The terminal hung up earlier: its foreground group then. */
		process_signal_pgrp(old, SIGHUP);
		process_signal_pgrp(old, SIGCONT);
	}
}

struct hangup_arg {
	struct tty *tty;
	int sid, pgrp;
	bool leader;
};

static void hangup_cb(struct thread_group *tg, void *arg)
{
	struct hangup_arg *ha = arg;
	clear_ctty_cb(tg, ha->tty);
	if (tg->session_leader && tg->tgid == ha->sid) {
		tg->tty_old_pgrp = ha->pgrp;
		ha->leader = true;
	}
}

void tty_hangup_session(struct tty *tty, int session, int pgrp)
{
	struct hangup_arg ha = { tty, session, pgrp, false };
	pthread_mutex_lock(&kernel.lock);
	process_for_each_in_session_locked(session, hangup_cb, &ha);
	pthread_mutex_unlock(&kernel.lock);
	if (ha.leader) {
		process_signal_tgid(session, SIGHUP);
		process_signal_tgid(session, SIGCONT);
	}
}

uint64_t tty_session_rdev(int sid, int *fg_pgrp)
{
	return devpts_session_rdev(sid, fg_pgrp);
}

/* ---- termios ---- */

static const uint32_t baud_table[] = {
	0, 50, 75, 110, 134, 150, 200, 300, 600, 1200, 1800, 2400, 4800, 9600, 19200, 38400,
	57600, 115200, 230400, 460800, 500000, 576000, 921600, 1000000, 1152000, 1500000,
	2000000, 2500000, 3000000, 3500000, 4000000,
};

static uint32_t baud_of(uint32_t cbaud, uint32_t other)
{
	if (cbaud == K_BOTHER)
		return other;
	if (cbaud & K_CBAUDEX)
		cbaud = (cbaud & ~K_CBAUDEX) + 15;
	return cbaud < ARRAY_SIZE(baud_table) ? baud_table[cbaud] : 0;
}

/* tty_termios_baud_rate / tty_termios_input_baud_rate. */
static void termios_speeds(struct ktermios *k)
{
	uint32_t out = baud_of(k->c_cflag & K_CBAUD, k->c_ospeed);
	uint32_t icb = (k->c_cflag >> K_IBSHIFT) & K_CBAUD;
	k->c_ispeed = icb ? baud_of(icb, k->c_ispeed) : out;
	k->c_ospeed = out;
}

static long get_termios(struct tty *tty, struct task *t, uint64_t arg, size_t size)
{
	tty_lock(tty);
	struct ktermios k = tty->termios;
	tty_unlock(tty);
	return mm_copy_out(t->mm, gaddr(arg), &k, size);
}

static long get_termio(struct tty *tty, struct task *t, uint64_t arg)
{
	struct ktermio v;
	memset(&v, 0, sizeof(v));
	tty_lock(tty);
	v.c_iflag = (uint16_t)tty->termios.c_iflag;
	v.c_oflag = (uint16_t)tty->termios.c_oflag;
	v.c_cflag = (uint16_t)tty->termios.c_cflag;
	v.c_lflag = (uint16_t)tty->termios.c_lflag;
	v.c_line = tty->termios.c_line;
	memcpy(v.c_cc, tty->termios.c_cc, sizeof(v.c_cc));
	tty_unlock(tty);
	return mm_copy_out(t->mm, gaddr(arg), &v, sizeof(v));
}

/* tty_set_termios with the pty driver's set_termios (always CS8 and CREAD). */
static void apply_termios_locked(struct tty *tty, const struct ktermios *k)
{
	struct ktermios old = tty->termios;
	tty->termios = *k;
	tty->termios.c_cflag ^= (tty->termios.c_cflag ^ old.c_cflag) & K_ADDRB;
	tty->termios.c_cflag &= ~(CSIZE | PARENB);
	tty->termios.c_cflag |= CS8 | CREAD;
	n_tty_set_termios(tty, &old);
}

/* Linux's set_termios. */
static long set_termios(struct tty *tty, struct task *t, uint64_t arg, int opt)
{
	int rc = tty_check_change(tty, SIGTTOU);
	if (rc)
		return rc;
	tty_lock(tty);
	struct ktermios k = tty->termios;
	tty_unlock(tty);
	if (opt & OPT_TERMIO) {
		struct ktermio v;
		if ((rc = mm_copy_in(t->mm, &v, gaddr(arg), sizeof(v))))
			return rc;
		k.c_iflag = (k.c_iflag & 0xffff0000) | v.c_iflag;
		k.c_oflag = (k.c_oflag & 0xffff0000) | v.c_oflag;
		k.c_cflag = (k.c_cflag & 0xffff0000) | v.c_cflag;
		k.c_lflag = (k.c_lflag & 0xffff0000) | v.c_lflag;
		k.c_line = v.c_line;
		memcpy(k.c_cc, v.c_cc, sizeof(v.c_cc));
	} else {
		size_t size = (opt & OPT_V1) ? KTERMIOS_V1_SIZE : KTERMIOS_V2_SIZE;
		if ((rc = mm_copy_in(t->mm, &k, gaddr(arg), size)))
			return rc;
	}
	termios_speeds(&k);
	tty_lock(tty);
	/* A pty's output is never pending (chars_in_buffer is 0): nothing to wait for. */
	if (opt & OPT_FLUSH)
		n_tty_flush_input(tty);
	apply_termios_locked(tty, &k);
	tty_unlock(tty);
	return 0;
}

/* ---- sessions and process groups (tty_jobctrl_ioctl) ---- */

static long tiocsctty(struct tty *tty, struct file *f, struct task *t, long arg)
{
	long rc = 0;
	tty_lock(tty);
	pthread_mutex_lock(&kernel.lock);
	struct thread_group *tg = t->tg;
	if (tg->session_leader && tg->sid == tty->session)
		goto out;
	/* The caller must be a session leader without a terminal. */
	if (!tg->session_leader || tg->ctty) {
		rc = -EPERM;
		goto out;
	}
	if (tty->session) {
		/* Another session's terminal: only stolen with arg 1 and CAP_SYS_ADMIN. */
		if (arg == 1 && cred_capable(&t->cred, CAP_SYS_ADMIN)) {
			session_clear_tty_locked(tty->session);
		} else {
			rc = -EPERM;
			goto out;
		}
	}
	if (!readable(f) && !cred_capable(&t->cred, CAP_SYS_ADMIN)) {
		rc = -EPERM;
		goto out;
	}
	set_ctty_locked(tty, tg);
out:
	pthread_mutex_unlock(&kernel.lock);
	tty_unlock(tty);
	return rc;
}

static long tiocnotty(struct tty *tty, struct task *t, bool master)
{
	pthread_mutex_lock(&kernel.lock);
	struct thread_group *tg = t->tg;
	bool mine = !master && tg->ctty == tty;
	bool leader = tg->session_leader;
	pthread_mutex_unlock(&kernel.lock);
	if (!mine)
		return -ENOTTY;
	if (leader)
		disassociate(tty, tg, false);
	pthread_mutex_lock(&kernel.lock);
	clear_ctty_cb(tg, tty);
	pthread_mutex_unlock(&kernel.lock);
	return 0;
}

/* The caller's terminal is tty (for requests a slave answers only to its own session). */
static bool is_ctty(struct tty *tty, struct task *t)
{
	pthread_mutex_lock(&kernel.lock);
	bool mine = t->tg->ctty == tty;
	pthread_mutex_unlock(&kernel.lock);
	return mine;
}

static long tiocgpgrp(struct tty *tty, struct task *t, bool master, uint64_t arg)
{
	if (!master && !is_ctty(tty, t))
		return -ENOTTY;
	tty_lock(tty);
	int pgrp = tty->pgrp;
	tty_unlock(tty);
	return mm_copy_out(t->mm, gaddr(arg), &pgrp, sizeof(pgrp));
}

static long tiocgsid(struct tty *tty, struct task *t, bool master, uint64_t arg)
{
	if (!master && !is_ctty(tty, t))
		return -ENOTTY;
	tty_lock(tty);
	int sid = tty->session;
	tty_unlock(tty);
	if (!sid)
		return -ENOTTY;
	return mm_copy_out(t->mm, gaddr(arg), &sid, sizeof(sid));
}

static long tiocspgrp(struct tty *tty, struct task *t, uint64_t arg)
{
	int rc = tty_check_change(tty, SIGTTOU);
	if (rc == -EIO)
		return -ENOTTY;
	if (rc)
		return rc;
	tty_lock(tty);
	pthread_mutex_lock(&kernel.lock);
	bool ok = t->tg->ctty == tty && tty->session == t->tg->sid;
	int sid = t->tg->sid;
	pthread_mutex_unlock(&kernel.lock);
	tty_unlock(tty);
	if (!ok)
		return -ENOTTY;
	int pgrp;
	if ((rc = mm_copy_in(t->mm, &pgrp, gaddr(arg), sizeof(pgrp))))
		return rc;
	if (pgrp < 0)
		return -EINVAL;
	int psid = process_session_of(pgrp);
	if (psid < 0)
		return -ESRCH;
	if (psid != sid)
		return -EPERM;
	tty_lock(tty);
	tty->pgrp = pgrp;
	tty_unlock(tty);
	return 0;
}

/* ---- the pty master's own requests (pty_unix98_ioctl) ---- */

static long tiocgptpeer(struct tty *tty, struct task *t, int flags)
{
	vfs_lock();
	struct mount *m = devpts_mount_locked();
	struct path p = { m, tty->slave_dentry };
	struct file *f = NULL;
	int rc = m && p.dentry ? 0 : -EIO;
	if (!rc)
		rc = file_open_path(&p, flags & (O_ACCMODE | O_NONBLOCK | O_NOCTTY | O_APPEND |
						 O_LARGEFILE), &f);
	vfs_unlock();
	if (rc)
		return rc;
	int fd = fdt_install(t->files, f, (flags & O_CLOEXEC) ? FDT_CLOEXEC : 0, 0,
			     t->tg->rlimits[RLIMIT_NOFILE].rlim_cur);
	file_put(f);
	return fd;
}

static long master_ioctl(struct tty *tty, struct task *t, unsigned cmd, uint64_t arg)
{
	gaddr_t ga = gaddr(arg);
	int v, rc;
	switch (cmd) {
	case TIOCGPTN: {
		unsigned n = (unsigned)tty->index;
		return mm_copy_out(t->mm, ga, &n, sizeof(n));
	}
	case TIOCSPTLCK:
		if ((rc = mm_copy_in(t->mm, &v, ga, sizeof(v))))
			return rc;
		tty_lock(tty);
		tty->locked = v != 0;
		tty_unlock(tty);
		return 0;
	case TIOCGPTLCK:
		tty_lock(tty);
		v = tty->locked;
		tty_unlock(tty);
		return mm_copy_out(t->mm, ga, &v, sizeof(v));
	case TIOCPKT:
		if ((rc = mm_copy_in(t->mm, &v, ga, sizeof(v))))
			return rc;
		tty_lock(tty);
		if (v && !tty->packet)
			tty->pktstatus = 0;
		tty->packet = v != 0;
		tty_unlock(tty);
		return 0;
	case TIOCGPKT:
		tty_lock(tty);
		v = tty->packet;
		tty_unlock(tty);
		return mm_copy_out(t->mm, ga, &v, sizeof(v));
	case TIOCSIG:
		/* Signal the slave's foreground group (pty_signal). */
		if ((int)arg != SIGINT && (int)arg != SIGQUIT && (int)arg != SIGTSTP)
			return -EINVAL;
		tty_lock(tty);
		tty_signal_fg_locked(tty, (int)arg);
		tty_unlock(tty);
		return 0;
	case TIOCGPTPEER:
		return tiocgptpeer(tty, t, (int)arg);
	default:
		return -ENOIOCTLCMD;
	}
}

/* ---- flushing and flow control (n_tty_ioctl_helper) ---- */

/* TCIFLUSH: this side's input, flip buffer and line discipline. */
static void flush_input_locked(struct tty *tty, enum tty_side side)
{
	if (side == TTY_MASTER) {
		fifo_clear(&tty->out);
		tty_wake(tty, TTY_SLAVE, POLLOUT | POLLWRNORM);
	} else {
		fifo_clear(&tty->flip);
		n_tty_flush_input(tty);
		tty_wake(tty, TTY_MASTER, POLLOUT | POLLWRNORM);
	}
}

static long tcflsh(struct tty *tty, enum tty_side side, uint64_t arg)
{
	int rc = side == TTY_SLAVE ? tty_check_change(tty, SIGTTOU) : 0;
	if (rc)
		return rc;
	if (arg != TCIFLUSH && arg != TCOFLUSH && arg != TCIOFLUSH)
		return -EINVAL;
	tty_lock(tty);
	if (arg == TCIFLUSH || arg == TCIOFLUSH)
		flush_input_locked(tty, side);
	if (arg == TCOFLUSH || arg == TCIOFLUSH) {
		/* pty_flush_buffer: the other side's flip buffer only. */
		if (side == TTY_MASTER) {
			fifo_clear(&tty->flip);
			tty_wake(tty, TTY_MASTER, POLLOUT | POLLWRNORM);
		} else {
			tty_flush_master_flip_locked(tty);
		}
		if (side == TTY_SLAVE && tty->packet) {
			tty->pktstatus |= 2;   /* TIOCPKT_FLUSHWRITE */
			tty_wake(tty, TTY_MASTER, POLLIN | POLLPRI | POLLRDNORM);
		}
	}
	tty_unlock(tty);
	return 0;
}

/* tty_send_xchar: the character goes out unconditionally. */
static void send_xchar_locked(struct tty *tty, enum tty_side side, unsigned char c)
{
	if (side == TTY_SLAVE) {
		if (fifo_put(&tty->out, &c, 1))
			tty_wake(tty, TTY_MASTER, POLLIN | POLLRDNORM);
	} else if (fifo_put(&tty->flip, &c, 1)) {
		n_tty_receive_locked(tty);
	}
}

static long tcxonc(struct tty *tty, enum tty_side side, uint64_t arg)
{
	int rc = side == TTY_SLAVE ? tty_check_change(tty, SIGTTOU) : 0;
	if (rc)
		return rc;
	if (arg > TCION)
		return -EINVAL;
	tty_lock(tty);
	/* The master's termios is the standard one: ^S and ^Q. */
	unsigned char stop = side == TTY_SLAVE ? tty->termios.c_cc[VSTOP] : 023;
	unsigned char start = side == TTY_SLAVE ? tty->termios.c_cc[VSTART] : 021;
	switch (arg) {
	case TCOOFF:
		if (!tty->tco_stopped[side]) {
			tty->tco_stopped[side] = true;
			tty_stop_locked(tty, side);
		}
		break;
	case TCOON:
		if (tty->tco_stopped[side]) {
			tty->tco_stopped[side] = false;
			tty_start_locked(tty, side);
		}
		break;
	case TCIOFF:
		if (stop)
			send_xchar_locked(tty, side, stop);
		break;
	case TCION:
		if (start)
			send_xchar_locked(tty, side, start);
		break;
	}
	tty_unlock(tty);
	return 0;
}

/* ---- the entry point ---- */

long tty_ioctl(struct file *f, struct task *t, unsigned cmd, uint64_t arg)
{
	struct tty *tty = f->priv;
	bool master = tty_is_master(f);
	enum tty_side side = master ? TTY_MASTER : TTY_SLAVE;
	gaddr_t ga = gaddr(arg);
	int v, rc;
	if (!tty)
		return -ENOTTY;
	if (!master) {
		tty_lock(tty);
		bool hung = tty->hungup;
		tty_unlock(tty);
		if (hung)
			return cmd == TIOCSPGRP ? -ENOTTY : -EIO;   /* hung_up_tty_ioctl */
	}

	/* Common preparation: job control for line-control requests. */
	switch (cmd) {
	case TIOCSETD: case TIOCSBRK: case TIOCCBRK: case TCSBRK: case TCSBRKP:
		if (side == TTY_SLAVE && (rc = tty_check_change(tty, SIGTTOU)))
			return rc;
		break;
	}

	switch (cmd) {
	case TIOCSTI: {
		/* Push one byte into this side's input. */
		unsigned char c;
		if ((master || !is_ctty(tty, t)) && !cred_capable(&t->cred, CAP_SYS_ADMIN))
			return -EPERM;
		if ((rc = mm_copy_in(t->mm, &c, ga, 1)))
			return rc;
		tty_lock(tty);
		if (master) {
			if (fifo_put(&tty->out, &c, 1))
				tty_wake(tty, TTY_MASTER, POLLIN | POLLRDNORM);
		} else if (fifo_put(&tty->flip, &c, 1)) {
			n_tty_receive_locked(tty);
		}
		tty_unlock(tty);
		return 0;
	}
	case TIOCGWINSZ: {
		tty_lock(tty);
		struct winsize ws = tty->ws;
		tty_unlock(tty);
		return mm_copy_out(t->mm, ga, &ws, sizeof(ws));
	}
	case TIOCSWINSZ: {
		struct winsize ws;
		if ((rc = mm_copy_in(t->mm, &ws, ga, sizeof(ws))))
			return rc;
		tty_lock(tty);
		if (memcmp(&ws, &tty->ws, sizeof(ws))) {
			tty_signal_fg_locked(tty, SIGWINCH);
			tty->ws = ws;
		}
		tty_unlock(tty);
		return 0;
	}
	case TIOCCONS:
		if (master)
			return -EINVAL;
		/* Console redirection: nothing to redirect in a sandbox. */
		return cred_capable(&t->cred, CAP_SYS_ADMIN) ? 0 : -EPERM;
	case TIOCEXCL: case TIOCNXCL:
		tty_lock(tty);
		tty->exclusive[side] = cmd == TIOCEXCL;
		tty_unlock(tty);
		return 0;
	case TIOCGEXCL:
		tty_lock(tty);
		v = tty->exclusive[side];
		tty_unlock(tty);
		return mm_copy_out(t->mm, ga, &v, sizeof(v));
	case TIOCGETD:
		v = N_TTY;
		return mm_copy_out(t->mm, ga, &v, sizeof(v));
	case TIOCSETD:
		if ((rc = mm_copy_in(t->mm, &v, ga, sizeof(v))))
			return rc;
		/* Only N_TTY exists here (other disciplines are not registered). */
		return v == N_TTY ? 0 : -EINVAL;
	case TIOCVHANGUP:
		/* vhangup(2) of a pty: not supported; the capability check stands. */
		return cred_capable(&t->cred, CAP_SYS_ADMIN) ? 0 : -EPERM;
	case TIOCGDEV: {
		unsigned minor = (unsigned)tty->index;
		unsigned dev = (minor & 0xff) | (PTS_MAJOR << 8) | ((minor & ~0xffU) << 12);
		return mm_copy_out(t->mm, ga, &dev, sizeof(dev));
	}
	case TIOCSBRK: case TIOCCBRK: case TCSBRK: case TCSBRKP:
		return 0;                  /* a pty has no break, and no output to drain */
	case TCFLSH:
		return tcflsh(tty, side, arg);
	case TCXONC:
		return tcxonc(tty, side, arg);
	case TIOCNOTTY:
		return tiocnotty(tty, t, master);
	case TIOCSCTTY:
		return tiocsctty(tty, f, t, (long)arg);
	case TIOCGPGRP:
		return tiocgpgrp(tty, t, master, arg);
	case TIOCSPGRP:
		return tiocspgrp(tty, t, arg);
	case TIOCGSID:
		return tiocgsid(tty, t, master, arg);
	}

	if (master) {
		long r = master_ioctl(tty, t, cmd, arg);
		if (r != -ENOIOCTLCMD)
			return r;
	} else if (cmd == TIOCGPTPEER) {
		return -EIO;
	}

	/* The line discipline and tty_mode_ioctl. */
	switch (cmd) {
	case TIOCOUTQ:
		v = 0;                     /* a pty never holds output */
		return mm_copy_out(t->mm, ga, &v, sizeof(v));
	case TIOCINQ: {
		tty_lock(tty);
		unsigned n = master ? (unsigned)MIN(tty->out.len, N_TTY_BUF_SIZE - 1) : n_tty_inq(tty);
		tty_unlock(tty);
		return mm_copy_out(t->mm, ga, &n, sizeof(n));
	}
	case TCGETS:
		return get_termios(tty, t, arg, KTERMIOS_V1_SIZE);
	case K_TCGETS2:
		return get_termios(tty, t, arg, KTERMIOS_V2_SIZE);
	case TCSETS:
		return set_termios(tty, t, arg, OPT_V1);
	case TCSETSW:
		return set_termios(tty, t, arg, OPT_V1 | OPT_WAIT);
	case TCSETSF:
		return set_termios(tty, t, arg, OPT_V1 | OPT_WAIT | OPT_FLUSH);
	case K_TCSETS2:
		return set_termios(tty, t, arg, 0);
	case K_TCSETSW2:
		return set_termios(tty, t, arg, OPT_WAIT);
	case K_TCSETSF2:
		return set_termios(tty, t, arg, OPT_WAIT | OPT_FLUSH);
	case TCGETA:
		return get_termio(tty, t, arg);
	case TCSETA:
		return set_termios(tty, t, arg, OPT_TERMIO);
	case TCSETAW:
		return set_termios(tty, t, arg, OPT_TERMIO | OPT_WAIT);
	case TCSETAF:
		return set_termios(tty, t, arg, OPT_TERMIO | OPT_WAIT | OPT_FLUSH);
	case TIOCGLCKTRMIOS: {
		struct ktermios zero;
		memset(&zero, 0, sizeof(zero));    /* nothing is ever locked */
		return mm_copy_out(t->mm, ga, &zero, KTERMIOS_V1_SIZE);
	}
	case TIOCSLCKTRMIOS: {
		struct ktermios k;
		if (!cred_capable(&t->cred, CAP_SYS_ADMIN) &&
		    !cred_capable(&t->cred, CAP_CHECKPOINT_RESTORE))
			return -EPERM;
		return mm_copy_in(t->mm, &k, ga, KTERMIOS_V1_SIZE);   /* accepted, not enforced */
	}
	case TIOCGSOFTCAR:
		tty_lock(tty);
		v = (tty->termios.c_cflag & CLOCAL) ? 1 : 0;
		tty_unlock(tty);
		return mm_copy_out(t->mm, ga, &v, sizeof(v));
	case TIOCSSOFTCAR: {
		if ((rc = mm_copy_in(t->mm, &v, ga, sizeof(v))))
			return rc;
		tty_lock(tty);
		struct ktermios k = tty->termios;
		k.c_cflag = (k.c_cflag & ~CLOCAL) | (v ? CLOCAL : 0);
		apply_termios_locked(tty, &k);
		tty_unlock(tty);
		return 0;
	}
	default:
		return -ENOTTY;
	}
}
