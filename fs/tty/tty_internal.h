/*
 * Terminals inside the sentry: pseudo-terminal pairs (/dev/ptmx and the
 * devpts file system at /dev/pts), Linux's N_TTY line discipline, and the
 * terminal side of sessions and job control. fs/tty/ only; the rest of
 * the sentry sees struct tty through fs/vfs.h.
 *
 * One `struct tty` is one pair, as Linux's two tty_structs (master and
 * slave) linked together. Only the slave has a line discipline that does
 * anything: the master's termios is raw and cannot be changed from user
 * space (TCSETS on a master changes the slave, as Linux's tty_mode_ioctl),
 * so the master's input is a plain byte queue.
 *
 *   master write -> flip (64 KiB) -> N_TTY receive (the slave's termios:
 *       ISIG, ICRNL, canonical editing, echo) -> read_buf (4 KiB) -> slave read
 *   slave write -> OPOST processing -> out (64 KiB) <- echoes; -> master read
 *
 * References (`refs`, atomic): every open master or slave description
 * (files opened through /dev/ptmx, /dev/pts/N, /dev/tty, TIOCGPTPEER),
 * the slave's devpts inode, and every process whose controlling terminal
 * it is (thread_group.ctty). The last reference frees only memory, so
 * tty_put is safe under any lock.
 *
 * Locks: tty.lock protects everything below it in the struct. Order:
 *   vfs_lock -> devpts_lock -> tty.lock -> kernel.lock -> waitq.lock
 * tty.lock is never held while sleeping; signals to process groups
 * (ISIG, SIGWINCH, SIGTTOU...) are sent with it held (kernel.lock nests
 * inside it), and nothing takes tty.lock with kernel.lock held.
 */
#ifndef FS_TTY_TTY_INTERNAL_H
#define FS_TTY_TTY_INTERNAL_H

#include <pthread.h>
#include <sys/ioctl.h>
#include <termios.h>
#include "fs/vfs_internal.h"

#define N_TTY_BUF_SIZE 4096            /* the line discipline's read buffer */
#define TTY_FLIP_SIZE 65536            /* Linux's TTYB_DEFAULT_MEM_LIMIT */
#define TTY_OUT_SIZE 65536
#define PTY_MAX 3072                   /* kernel.pty.max minus the reserve */

#define PTMX_MAJOR 5                   /* /dev/tty is 5:0, /dev/ptmx 5:2 */
#define PTS_MAJOR 136                  /* UNIX98_PTY_SLAVE_MAJOR */
#define DEVPTS_SUPER_MAGIC 0x1cd1

/* The kernel's termios (struct termios2 layout; TCGETS moves the first 36 bytes). */
#define KNCCS 19
struct ktermios {
	uint32_t c_iflag, c_oflag, c_cflag, c_lflag;
	uint8_t c_line;
	uint8_t c_cc[KNCCS];
	uint32_t c_ispeed, c_ospeed;
};
#define KTERMIOS_V1_SIZE 36            /* struct termios (TCGETS) */
#define KTERMIOS_V2_SIZE 44            /* struct termios2 (TCGETS2) */

/* A byte FIFO; the buffer is allocated on first use. */
struct tty_fifo {
	unsigned char *buf;
	size_t cap, head, len;             /* data at [head, head+len) modulo cap */
};

enum tty_side { TTY_MASTER = 0, TTY_SLAVE = 1 };

struct tty {
	int refs;                          /* atomic; see above */
	int index;                         /* N of /dev/pts/N */
	pthread_mutex_t lock;
	struct waitq wq[2];                /* [TTY_MASTER], [TTY_SLAVE]: readers, writers, pollers */
	uint32_t pend[2];                  /* wakes to send at tty_unlock */

	struct ktermios termios;           /* the slave's */
	struct winsize ws;

	/* N_TTY state of the slave (Linux's n_tty_data). */
	unsigned char read_buf[N_TTY_BUF_SIZE];
	uint64_t read_flags[N_TTY_BUF_SIZE / 64];   /* line ends (canonical) */
	size_t read_head, read_tail, canon_head, line_start;
	bool lnext, erasing, push;
	unsigned column, canon_column;

	struct tty_fifo flip;              /* master writes not yet received */
	struct tty_fifo out;               /* slave output and echoes: the master's input */
	bool in_receive;                   /* inside n_tty_receive_locked (one "batch") */
	size_t echo_batch;                 /* echo bytes of this batch, at the tail of out */

	/* Flow control, per side (^S/^Q on the slave, TCXONC). */
	bool stopped[2], tco_stopped[2];
	bool exclusive[2];                 /* TIOCEXCL (slave opens fail with EBUSY) */
	bool packet;                       /* TIOCPKT on the master */
	uint8_t pktstatus;

	/* Life cycle. */
	int masters, slaves;               /* open descriptions of each side */
	bool locked;                       /* TIOCSPTLCK: slave opens fail with EIO */
	bool hungup;                       /* the master closed: slave files are dead */
	bool slave_closed;                 /* TTY_OTHER_CLOSED on the master */
	bool index_freed;

	/* Job control: the session owning it and its foreground group (0: none). */
	int session, pgrp;

	struct dentry *slave_dentry;       /* /dev/pts/N (reference) while the master is open */
};

/* ---- pty.c ---- */
/* A new pair numbered index (one reference), not yet open on either side. */
struct tty *pty_alloc(int index);
extern const struct file_ops pty_master_fops, pty_slave_fops;
void tty_lock(struct tty *tty);
/* Unlock, then send the wakes recorded in tty->pend. */
void tty_unlock(struct tty *tty);
/* Record a wake of side's queue for events (sent at tty_unlock). */
static inline void tty_wake(struct tty *tty, enum tty_side side, uint32_t events)
{
	tty->pend[side] |= events;
}
struct tty *tty_of(struct file *f);
bool tty_is_master(struct file *f);
/* Open the slave side on f (devpts node, /dev/tty, TIOCGPTPEER); 0 or -errno. */
int pty_open_slave(struct tty *tty, struct file *f);

/* ---- n_tty.c (tty.lock held) ---- */
void n_tty_init_termios(struct ktermios *t);
/* Move what the line discipline can take from the flip buffer into read_buf. */
void n_tty_receive_locked(struct tty *tty);
/* Data for a slave read now (poll: honour VMIN as Linux's input_available_p). */
bool n_tty_input_available(struct tty *tty, bool poll);
/*
 * Copy input to iov at *done (bounded by total). Canonical: at most one
 * line; returns true when the read must end now. Non-canonical: what is
 * there; returns false.
 */
bool n_tty_read_locked(struct tty *tty, const struct iovec *iov, int iovcnt, size_t *done,
		       size_t total);
/* Slave output: process (OPOST) and queue for the master; bytes of buf taken. */
size_t n_tty_write_locked(struct tty *tty, const unsigned char *buf, size_t len);
/* TIOCINQ of the slave. */
unsigned n_tty_inq(struct tty *tty);
/* Forget the slave's pending input (ldisc flush_buffer). */
void n_tty_flush_input(struct tty *tty);
/* The termios changed from old (ldisc set_termios). */
void n_tty_set_termios(struct tty *tty, const struct ktermios *old);
/* Start / stop output of side (flow control). */
void tty_start_locked(struct tty *tty, enum tty_side side);
void tty_stop_locked(struct tty *tty, enum tty_side side);
/* Free bytes in a FIFO / append; fifo_put needs room. */
size_t fifo_space(const struct tty_fifo *q);
bool fifo_put(struct tty_fifo *q, const void *p, size_t n);
size_t fifo_get(struct tty_fifo *q, const struct iovec *iov, int iovcnt, size_t skip, size_t n);
void fifo_clear(struct tty_fifo *q);
/*
 * Linux flushes "the master's input" (pty_flush_buffer) by emptying its
 * flip buffer only: what the master's line discipline already holds (up
 * to N_TTY_BUF_SIZE - 1 bytes) stays. out models both: keep its oldest
 * N_TTY_BUF_SIZE - 1 bytes.
 */
void tty_flush_master_flip_locked(struct tty *tty);
void fifo_free(struct tty_fifo *q);

/* ---- tty_ioctl.c ---- */
long tty_ioctl(struct file *f, struct task *t, unsigned cmd, uint64_t arg);
/*
 * Linux's __tty_check_change for the caller on tty: 0 (go on), -EIO, or
 * -ERESTARTSYS after sending sig to the caller's (background) group.
 */
int tty_check_change(struct tty *tty, int sig);
/* A leader without a terminal opens tty without O_NOCTTY: it becomes the controlling one. */
void tty_open_set_ctty(struct tty *tty, struct file *f);
/* The master closed: SIGHUP/SIGCONT to the session leader, the session loses its terminal. */
void tty_hangup_session(struct tty *tty, int session, int pgrp);
/* Send sig to the foreground process group of tty (tty.lock held). */
void tty_signal_fg_locked(struct tty *tty, int sig);

/* ---- devpts.c ---- */
/* A new pair with a /dev/pts entry (under vfs_lock); one reference. */
int devpts_new_pty(const struct cred *c, struct tty **out);
/* Remove tty's /dev/pts entry (master closed; vfs_lock held). */
void devpts_remove_entry(struct tty *tty);
/* Both sides closed: the index may be reused. */
void devpts_free_index(struct tty *tty);
/* The devpts mount /dev/pts/N files are opened on (for TIOCGPTPEER), or NULL. vfs_lock. */
struct mount *devpts_mount_locked(void);
/* The slave device of session sid's terminal (and its foreground group), or 0. */
uint64_t devpts_session_rdev(int sid, int *fg_pgrp);
/* ptmx_fops, tty_open_ctty: fs/vfs_internal.h. */

#endif
