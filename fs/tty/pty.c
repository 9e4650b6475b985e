/*
 * Pseudo-terminal pairs: opening each side, read, write, poll, close and
 * hangup (Linux's drivers/tty/pty.c with the tty_io.c parts they use).
 *
 * Master: a description made by opening /dev/ptmx (or /dev/pts/ptmx).
 * Its reads take the slave's output; EIO once no slave is open (after the
 * data is drained), as Linux's TTY_OTHER_CLOSED; before the first slave
 * open a read simply waits. Its writes go through the slave's line
 * discipline.
 * Slave: /dev/pts/N, TIOCGPTPEER or /dev/tty. Opening fails with EIO
 * while the pair is locked (TIOCSPTLCK) or the master has closed.
 * Closing the master hangs the slave up (Linux's tty_vhangup): a read in
 * progress ends with EIO, later reads return 0, writes and ioctls give EIO,
 * poll reports POLLHUP|POLLERR; the session leader gets SIGHUP and SIGCONT
 * and the session loses its controlling terminal.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include "fs/tty/tty_internal.h"
#include "sentry/task.h"

void tty_lock(struct tty *tty)
{
	pthread_mutex_lock(&tty->lock);
}

void tty_unlock(struct tty *tty)
{
	uint32_t m = tty->pend[TTY_MASTER], s = tty->pend[TTY_SLAVE];
	tty->pend[TTY_MASTER] = tty->pend[TTY_SLAVE] = 0;
	pthread_mutex_unlock(&tty->lock);
	if (m)
		waitq_wake(&tty->wq[TTY_MASTER], m);
	if (s)
		waitq_wake(&tty->wq[TTY_SLAVE], s);
}

void tty_get(struct tty *tty)
{
	__atomic_add_fetch(&tty->refs, 1, __ATOMIC_RELAXED);
}

void tty_put(struct tty *tty)
{
	if (!tty || __atomic_sub_fetch(&tty->refs, 1, __ATOMIC_ACQ_REL))
		return;
	/* Nothing but memory: callers may hold kernel.lock or vfs_lock. */
	fifo_free(&tty->flip);
	fifo_free(&tty->out);
	waitq_destroy(&tty->wq[TTY_MASTER]);
	waitq_destroy(&tty->wq[TTY_SLAVE]);
	pthread_mutex_destroy(&tty->lock);
	free(tty);
}

struct tty *pty_alloc(int index)
{
	struct tty *tty = calloc(1, sizeof(*tty));
	if (!tty)
		return NULL;
	tty->refs = 1;
	tty->index = index;
	pthread_mutex_init(&tty->lock, NULL);
	waitq_init(&tty->wq[TTY_MASTER]);
	waitq_init(&tty->wq[TTY_SLAVE]);
	n_tty_init_termios(&tty->termios);
	tty->flip.cap = TTY_FLIP_SIZE;
	tty->out.cap = TTY_OUT_SIZE;
	return tty;
}

struct tty *tty_of(struct file *f)
{
	return f->fops == &pty_master_fops || f->fops == &pty_slave_fops ? f->priv : NULL;
}

bool tty_is_master(struct file *f)
{
	return f->fops == &pty_master_fops;
}

static bool nonblock(struct file *f)
{
	return file_flags(f) & O_NONBLOCK;
}

/* Start waiting on side's queue: link w first, then look again (waitq.h). */
static int wait_prepare(struct tty *tty, enum tty_side side, struct waiter *w, bool *waiting)
{
	waiter_init(w);
	*waiting = true;
	return waiter_add(w, &tty->wq[side], ~0u);
}

/* ---- opening ---- */

int pty_open_slave(struct tty *tty, struct file *f)
{
	struct task *t = task_current();
	tty_lock(tty);
	int rc = 0;
	/* tty_reopen's exclusive check comes before pty_open's EIO. */
	if (tty->exclusive[TTY_SLAVE] && !(t && cred_capable(&t->cred, CAP_SYS_ADMIN)))
		rc = -EBUSY;
	else if (tty->hungup || tty->locked)
		rc = -EIO;
	if (!rc) {
		tty->slaves++;
		tty->slave_closed = false;
		tty_wake(tty, TTY_MASTER, POLLOUT | POLLWRNORM);
	}
	tty_unlock(tty);
	if (rc)
		return rc;
	tty_get(tty);
	f->priv = tty;
	f->fops = &pty_slave_fops;
	if (!(f->flags & O_NOCTTY))
		tty_open_set_ctty(tty, f);
	return 0;
}

int tty_open_ctty(struct file *f)
{
	struct task *t = task_current();
	if (!t)
		return -ENXIO;
	pthread_mutex_lock(&kernel.lock);
	struct tty *tty = t->tg->ctty;
	if (tty)
		tty_get(tty);
	pthread_mutex_unlock(&kernel.lock);
	if (!tty)
		return -ENXIO;
	/* The caller already has it as its terminal: no O_NOCTTY question. */
	int rc = pty_open_slave(tty, f);
	tty_put(tty);
	return rc;
}

/* ---- closing ---- */

static void pty_master_release(struct file *f)
{
	struct tty *tty = f->priv;
	if (!tty)
		return;
	tty_lock(tty);
	bool last = --tty->masters == 0;
	int session = 0, pgrp = 0;
	if (last) {
		tty->hungup = true;
		tty->packet = false;
		session = tty->session;
		pgrp = tty->pgrp;
		tty->session = tty->pgrp = 0;
		tty_wake(tty, TTY_MASTER, ~0u);
		tty_wake(tty, TTY_SLAVE, ~0u);
	}
	bool both = tty->masters == 0 && tty->slaves == 0;
	tty_unlock(tty);
	if (last) {
		devpts_remove_entry(tty);
		if (session)
			tty_hangup_session(tty, session, pgrp);
	}
	if (both)
		devpts_free_index(tty);
	f->priv = NULL;
	tty_put(tty);
}

static void pty_slave_release(struct file *f)
{
	struct tty *tty = f->priv;
	if (!tty)
		return;
	tty_lock(tty);
	if (--tty->slaves == 0 && !tty->hungup) {
		tty->slave_closed = true;
		tty_wake(tty, TTY_MASTER, ~0u);
	}
	bool both = tty->masters == 0 && tty->slaves == 0;
	tty_unlock(tty);
	if (both)
		devpts_free_index(tty);
	f->priv = NULL;
	tty_put(tty);
}

/* ---- reading ---- */

static ssize_t pty_master_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t off)
{
	struct tty *tty = f->priv;
	size_t total = iov_total(iov, iovcnt);
	if (!total)
		return 0;
	struct waiter w;
	bool waiting = false;
	ssize_t ret;
	for (;;) {
		if (waiting)
			waiter_reset(&w);
		tty_lock(tty);
		if (tty->packet && tty->pktstatus) {
			/* Packet mode: a status byte alone. */
			iov_from_buf(iov, iovcnt, 0, &tty->pktstatus, 1);
			tty->pktstatus = 0;
			tty_unlock(tty);
			ret = 1;
			break;
		}
		if (tty->out.len) {
			size_t done = 0;
			if (tty->packet) {
				static const unsigned char data = 0;     /* TIOCPKT_DATA */
				iov_from_buf(iov, iovcnt, 0, &data, 1);
				done = 1;
			}
			done += fifo_get(&tty->out, iov, iovcnt, done, total - done);
			tty_wake(tty, TTY_SLAVE, POLLOUT | POLLWRNORM);
			tty_unlock(tty);
			ret = (ssize_t)done;
			break;
		}
		bool closed = tty->slave_closed;
		tty_unlock(tty);
		if (closed) {
			ret = -EIO;
			break;
		}
		if (nonblock(f)) {
			ret = -EAGAIN;
			break;
		}
		if (!waiting) {
			if ((ret = wait_prepare(tty, TTY_MASTER, &w, &waiting)))
				break;
			continue;
		}
		if (waiter_wait(&w, NULL) == -EINTR) {
			ret = -ERESTARTSYS;
			break;
		}
	}
	if (waiting)
		waiter_destroy(&w);
	return ret;
}

/* Linux's n_tty_read for the slave: canonical lines, or VMIN/VTIME. */
static ssize_t pty_slave_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t off)
{
	struct tty *tty = f->priv;
	tty_lock(tty);
	bool hung = tty->hungup;
	tty_unlock(tty);
	if (hung)
		return 0;                  /* hung_up_tty_read */
	int rc = tty_check_change(tty, SIGTTIN);
	if (rc)
		return rc;
	size_t total = iov_total(iov, iovcnt);
	if (!total)
		return 0;

	/* VMIN/VTIME as they are when the read starts. */
	size_t minimum = 0;
	uint64_t inter_ns = 0;         /* VMIN > 0 and VTIME > 0: timer after each byte */
	bool timed = false, expired = false;
	struct timespec deadline;
	tty_lock(tty);
	if (!(tty->termios.c_lflag & ICANON)) {
		minimum = tty->termios.c_cc[VMIN];
		uint64_t vtime = tty->termios.c_cc[VTIME] * 100000000ULL;
		if (minimum) {
			inter_ns = vtime;
		} else {
			minimum = 1;
			if (vtime) {
				deadline = waitq_deadline_after(vtime);
				timed = true;
			} else {
				expired = true;
			}
		}
	}
	tty_unlock(tty);

	struct waiter w;
	bool waiting = false;
	size_t done = 0;
	ssize_t ret = 0;
	for (;;) {
		if (waiting)
			waiter_reset(&w);
		tty_lock(tty);
		if (!n_tty_input_available(tty, false)) {
			/* Hung up while we waited: Linux's TTY_OTHER_CLOSED gives EIO. */
			int err = tty->hungup ? -EIO : expired ? 1 : nonblock(f) ? -EAGAIN : 0;
			tty_unlock(tty);
			if (err) {
				ret = err < 0 ? err : 0;
				break;
			}
			if (!waiting) {
				if ((ret = wait_prepare(tty, TTY_SLAVE, &w, &waiting)))
					break;
				continue;
			}
			int r = waiter_wait(&w, timed ? &deadline : NULL);
			if (r == -EINTR) {
				ret = -ERESTARTSYS;
				break;
			}
			if (r == -ETIMEDOUT)
				expired = true;
			continue;
		}
		bool end = n_tty_read_locked(tty, iov, iovcnt, &done, total);
		/* Room was freed: the line discipline takes more of the master's writes. */
		n_tty_receive_locked(tty);
		tty_unlock(tty);
		if (end || done >= total || done >= minimum)
			break;
		if (inter_ns) {
			deadline = waitq_deadline_after(inter_ns);
			timed = true;
			expired = false;
		}
	}
	if (waiting)
		waiter_destroy(&w);
	return done ? (ssize_t)done : ret;
}

/* ---- writing ---- */

/*
 * Feed iov[done, total) to `take` in pieces until it stops accepting;
 * returns the bytes taken in this call.
 */
static size_t feed(struct tty *tty, const struct iovec *iov, int iovcnt, size_t done, size_t total,
		   size_t (*take)(struct tty *, const unsigned char *, size_t))
{
	unsigned char buf[1024];
	size_t moved = 0;
	while (done + moved < total) {
		size_t k = iov_to_buf(iov, iovcnt, done + moved, buf, MIN(sizeof(buf), total - done - moved));
		size_t n = take(tty, buf, k);
		moved += n;
		if (n < k)
			break;
	}
	return moved;
}

/* A master write: into the flip buffer, then through the slave's line discipline. */
static size_t master_take(struct tty *tty, const unsigned char *buf, size_t len)
{
	size_t n = tty->stopped[TTY_MASTER] ? 0 : MIN(len, fifo_space(&tty->flip));
	if (n && !fifo_put(&tty->flip, buf, n))
		n = 0;
	if (n)
		n_tty_receive_locked(tty);
	return n;
}

static ssize_t pty_write_common(struct file *f, const struct iovec *iov, int iovcnt,
				enum tty_side side)
{
	struct tty *tty = f->priv;
	size_t total = iov_total(iov, iovcnt);
	if (side == TTY_SLAVE) {
		tty_lock(tty);
		bool hung = tty->hungup, tostop = tty->termios.c_lflag & TOSTOP;
		tty_unlock(tty);
		if (hung)
			return -EIO;       /* hung_up_tty_write */
		if (tostop) {
			int rc = tty_check_change(tty, SIGTTOU);
			if (rc)
				return rc;
		}
	}
	if (!total)
		return 0;
	struct waiter w;
	bool waiting = false;
	size_t done = 0;
	ssize_t ret = 0;
	for (;;) {
		if (waiting)
			waiter_reset(&w);
		tty_lock(tty);
		if (side == TTY_SLAVE && tty->hungup) {
			tty_unlock(tty);
			ret = -EIO;
			break;
		}
		done += feed(tty, iov, iovcnt, done, total,
			     side == TTY_MASTER ? master_take : n_tty_write_locked);
		tty_unlock(tty);
		if (done == total)
			break;
		if (nonblock(f)) {
			ret = -EAGAIN;
			break;
		}
		if (!waiting) {
			if ((ret = wait_prepare(tty, side, &w, &waiting)))
				break;
			continue;
		}
		if (waiter_wait(&w, NULL) == -EINTR) {
			ret = -ERESTARTSYS;
			break;
		}
	}
	if (waiting)
		waiter_destroy(&w);
	return done ? (ssize_t)done : ret;
}

static ssize_t pty_master_write(struct file *f, const struct iovec *iov, int iovcnt, int64_t off)
{
	return pty_write_common(f, iov, iovcnt, TTY_MASTER);
}

static ssize_t pty_slave_write(struct file *f, const struct iovec *iov, int iovcnt, int64_t off)
{
	return pty_write_common(f, iov, iovcnt, TTY_SLAVE);
}

/* ---- poll (Linux's n_tty_poll; hung_up_tty_poll for a hung slave) ---- */

static uint32_t pty_master_poll(struct file *f, struct waiter *w)
{
	struct tty *tty = f->priv;
	if (!tty)
		return POLLNVAL;
	if (w)
		waiter_add(w, &tty->wq[TTY_MASTER], ~0u);
	uint32_t mask = 0;
	tty_lock(tty);
	if (tty->out.len)
		mask |= POLLIN | POLLRDNORM;
	if (tty->packet && tty->pktstatus)
		mask |= POLLPRI | POLLIN | POLLRDNORM;
	if (tty->slave_closed)
		mask |= POLLHUP;
	if (!tty->stopped[TTY_MASTER] && fifo_space(&tty->flip))
		mask |= POLLOUT | POLLWRNORM;
	tty_unlock(tty);
	return mask;
}

static uint32_t pty_slave_poll(struct file *f, struct waiter *w)
{
	struct tty *tty = f->priv;
	if (!tty)
		return POLLNVAL;
	if (w)
		waiter_add(w, &tty->wq[TTY_SLAVE], ~0u);
	uint32_t mask = 0;
	tty_lock(tty);
	if (tty->hungup) {
		mask = POLLIN | POLLOUT | POLLERR | POLLHUP | POLLRDNORM | POLLWRNORM;
	} else {
		if (n_tty_input_available(tty, true))
			mask |= POLLIN | POLLRDNORM;
		if (!tty->stopped[TTY_SLAVE] && fifo_space(&tty->out))
			mask |= POLLOUT | POLLWRNORM;
	}
	tty_unlock(tty);
	return mask;
}

/*
 * O_ASYNC (Linux's tty_fasync): POLL_IN when input can be read, POLL_OUT
 * when output has room, POLL_HUP at a close or hangup. Turned on without an
 * owner, the owner becomes the terminal's foreground group (the slave of a
 * controlling terminal) or else the caller's process.
 */
static int pty_fasync(struct file *f, int fd, bool on, int side)
{
	struct tty *tty = tty_of(f);
	uint32_t events = POLLIN | POLLRDNORM | POLLPRI | POLLOUT | POLLWRNORM;
	int rc = fasync_update(&tty->wq[side], file_fown(f), fd, events, POLL_HUP, on);
	struct task *t = task_current();
	if (rc || !on || !t)
		return rc;
	tty_lock(tty);
	int pgrp = side == TTY_SLAVE ? tty->pgrp : 0;
	tty_unlock(tty);
	if (pgrp)
		fown_set(file_fown(f), F_OWNER_PGRP, pgrp, &t->cred, false);
	else
		fown_set(file_fown(f), F_OWNER_PID, t->tg->tgid, &t->cred, false);
	return 0;
}

static int pty_master_fasync(struct file *f, int fd, bool on)
{
	return pty_fasync(f, fd, on, TTY_MASTER);
}

static int pty_slave_fasync(struct file *f, int fd, bool on)
{
	return pty_fasync(f, fd, on, TTY_SLAVE);
}

const struct file_ops pty_master_fops = {
	.read = pty_master_read,
	.write = pty_master_write,
	.ioctl = tty_ioctl,
	.poll = pty_master_poll,
	.release = pty_master_release,
	.fasync = pty_master_fasync,
	.unlocked = true,
	.stream = true,
};

const struct file_ops pty_slave_fops = {
	.read = pty_slave_read,
	.write = pty_slave_write,
	.ioctl = tty_ioctl,
	.poll = pty_slave_poll,
	.release = pty_slave_release,
	.fasync = pty_slave_fasync,
	.unlocked = true,
	.stream = true,
};
