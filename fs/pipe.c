/*
 * Anonymous pipes (pipe(2), pipe2(2)), modelled on Linux's fs/pipe.c.
 *
 * A pipe is a ring of `nslots` page-sized buffers (16 by default: 64 KiB),
 * each holding one page of data at [off, off+len). As in Linux:
 *  - a write first tries to append its last partial page (len % 4096
 *    bytes, when nonzero) to the newest buffer if that buffer is not a
 *    packet and has room; the rest goes into new buffers, a page each.
 *    So a write of <= PIPE_BUF (4096) bytes lands in one buffer: atomic.
 *  - O_DIRECT on the write end (pipe2 O_DIRECT) makes every new buffer a
 *    packet: a read returns at most one packet, and the part of it that
 *    does not fit the reader's buffer is discarded. Packets never merge.
 *  - F_SETPIPE_SZ rounds up to a power-of-two number of pages, refuses
 *    to shrink below the buffers in use (EBUSY).
 * Data lives in sentry heap pages, copied from/to the caller's host iovecs
 * (guest memory translated into the MemoryFile).
 *
 * References: every open file description of the pipe (both ends, and
 * reopens through /proc/PID/fd) holds one on `struct pipe`; the pipe holds
 * one on its inode (pipefs: S_IFIFO, st_ino unique). The counts of readers
 * and writers follow the open descriptions: the last file_put of an end
 * (pipe_release) drops the count and wakes the other side.
 *
 * Locks: pipe.lock protects the ring, counts and times. Order:
 * vfs_lock (file_put -> release) -> pipe.lock -> waitq.lock -> waiter.mutex.
 * pipe.lock is never held while sleeping: a blocked reader or writer
 * sleeps in waiter_wait on pipe.wq (sentry/waitq.h) and re-checks.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include "fs/vfs_internal.h"
#include "sentry/mm.h"
#include "sentry/task.h"

#define PIPE_DEF_SLOTS 16
/* /proc/sys/fs/pipe-max-size (Linux's default, 1 MiB). */
#define PIPE_MAX_SIZE (1024 * 1024)
#define PIPEFS_MAGIC 0x50495045

struct pipe_buf {
	char *page;                    /* PAGE_SIZE bytes, owned */
	uint32_t off, len;
	bool packet;                   /* written in O_DIRECT mode */
};

struct pipe {
	int refs;                      /* open descriptions; atomic */
	pthread_mutex_t lock;          /* everything below */
	struct waitq wq;               /* readers, writers and pollers */
	struct pipe_buf *bufs;         /* ring of nslots */
	unsigned nslots, tail, used;   /* used buffers from tail on */
	size_t bytes;                  /* data bytes in the ring (FIONREAD) */
	unsigned readers, writers;     /* open descriptions per end */
	unsigned r_counter, w_counter; /* named FIFO: opens of each end so far (fifo_open) */
	bool named;                    /* a named FIFO: inode->fifo points here (vfs_lock) */
	char *spare;                   /* one freed page kept for the next write */
	struct inode *inode;           /* holds a reference */
	struct timespec atime, mtime;  /* last read / last write */
};

static const struct file_ops pipe_fops;
static const struct file_ops fifo_fops;

static struct timespec pipe_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	return ts;
}

static struct pipe *pipe_of(struct file *f)
{
	return f->fops == &pipe_fops || f->fops == &fifo_fops ? f->priv : NULL;
}

static void pipe_get(struct pipe *p)
{
	__atomic_add_fetch(&p->refs, 1, __ATOMIC_RELAXED);
}

static void pipe_put(struct pipe *p)
{
	if (__atomic_sub_fetch(&p->refs, 1, __ATOMIC_ACQ_REL))
		return;
	/* A named FIFO's pipe lives while it is open (Linux's inode->i_pipe); vfs_lock held. */
	if (p->named && p->inode->fifo == p)
		p->inode->fifo = NULL;
	for (unsigned i = 0; i < p->used; i++)
		free(p->bufs[(p->tail + i) % p->nslots].page);
	free(p->bufs);
	free(p->spare);
	waitq_destroy(&p->wq);
	pthread_mutex_destroy(&p->lock);
	inode_put(p->inode);
	free(p);
}

/* ---- the ring (pipe.lock held) ---- */

static struct pipe_buf *ring_at(struct pipe *p, unsigned i)
{
	return &p->bufs[(p->tail + i) % p->nslots];
}

static void ring_pop_locked(struct pipe *p)
{
	struct pipe_buf *b = ring_at(p, 0);
	if (!p->spare)
		p->spare = b->page;
	else
		free(b->page);
	b->page = NULL;
	p->tail = (p->tail + 1) % p->nslots;
	p->used--;
}

static char *page_alloc_locked(struct pipe *p)
{
	char *pg = p->spare;
	if (pg) {
		p->spare = NULL;
		return pg;
	}
	return malloc(PAGE_SIZE);
}

/* Move up to total bytes into iov (one packet at most); bytes moved. */
static size_t pipe_read_locked(struct pipe *p, const struct iovec *iov, int iovcnt, size_t total)
{
	size_t done = 0;
	while (done < total && p->used) {
		struct pipe_buf *b = ring_at(p, 0);
		size_t n = MIN((size_t)b->len, total - done);
		iov_from_buf(iov, iovcnt, done, b->page + b->off, n);
		done += n;
		b->off += n;
		b->len -= n;
		p->bytes -= n;
		bool packet = b->packet;
		if (packet) {
			/* The rest of a packet that did not fit is discarded (Linux). */
			p->bytes -= b->len;
			b->len = 0;
		}
		if (!b->len)
			ring_pop_locked(p);
		if (packet)
			break;
	}
	return done;
}

/*
 * Append iov[skip, total) to the ring while buffers are free. `merge`
 * allows the first chunk (the write's len % PAGE_SIZE bytes) to join the
 * newest buffer. Returns the bytes taken, or -ENOMEM if none.
 */
static ssize_t pipe_write_locked(struct pipe *p, const struct iovec *iov, int iovcnt,
				 size_t skip, size_t total, bool packet, bool merge)
{
	size_t done = 0;
	size_t chars = total & (PAGE_SIZE - 1);
	if (merge && chars && p->used) {
		struct pipe_buf *b = ring_at(p, p->used - 1);
		if (!b->packet && b->off + b->len + chars <= PAGE_SIZE) {
			iov_to_buf(iov, iovcnt, skip, b->page + b->off + b->len, chars);
			b->len += chars;
			done = chars;
		}
	}
	while (skip + done < total && p->used < p->nslots) {
		char *pg = page_alloc_locked(p);
		if (!pg)
			return done ? (ssize_t)done : -ENOMEM;
		size_t n = MIN(PAGE_SIZE, total - skip - done);
		iov_to_buf(iov, iovcnt, skip + done, pg, n);
		struct pipe_buf *b = ring_at(p, p->used);
		*b = (struct pipe_buf){ pg, 0, (uint32_t)n, packet };
		p->used++;
		done += n;
	}
	p->bytes += done;
	return (ssize_t)done;
}

/* ---- file operations ---- */

static bool file_readable(struct file *f)
{
	int acc = f->flags & O_ACCMODE;
	return acc == O_RDONLY || acc == O_RDWR;
}

static bool file_writable(struct file *f)
{
	int acc = f->flags & O_ACCMODE;
	return acc == O_WRONLY || acc == O_RDWR;
}

/* Link w on the pipe's queue on first use; 0 or -ENOMEM. */
static int pipe_wait_prepare(struct pipe *p, struct waiter *w, bool *waiting, uint32_t events)
{
	waiter_init(w);
	*waiting = true;
	return waiter_add(w, &p->wq, events);
}

static ssize_t pipe_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t off)
{
	struct pipe *p = f->priv;
	size_t total = iov_total(iov, iovcnt);
	if (!total)
		return 0;
	struct waiter w;
	bool waiting = false;
	ssize_t ret;
	for (;;) {
		if (waiting)
			waiter_reset(&w);
		pthread_mutex_lock(&p->lock);
		size_t n = pipe_read_locked(p, iov, iovcnt, total);
		bool writers = p->writers > 0;
		if (n)
			p->atime = pipe_now();
		pthread_mutex_unlock(&p->lock);
		if (n) {
			waitq_wake(&p->wq, POLLOUT | POLLWRNORM);
			ret = (ssize_t)n;
			break;
		}
		if (!writers) {
			ret = 0;                       /* EOF */
			break;
		}
		if (file_flags(f) & O_NONBLOCK) {
			ret = -EAGAIN;
			break;
		}
		if (!waiting) {
			/* Link first, then look again: no wake can be lost in between. */
			if ((ret = pipe_wait_prepare(p, &w, &waiting, POLLIN | POLLHUP)))
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

static ssize_t pipe_write(struct file *f, const struct iovec *iov, int iovcnt, int64_t off)
{
	struct pipe *p = f->priv;
	size_t total = iov_total(iov, iovcnt);
	if (!total)
		return 0;                              /* even without readers (Linux) */
	bool packet = file_flags(f) & O_DIRECT;
	struct waiter w;
	bool waiting = false;
	bool merge = true;
	size_t done = 0;
	ssize_t ret;
	for (;;) {
		if (waiting)
			waiter_reset(&w);
		pthread_mutex_lock(&p->lock);
		if (!p->readers) {
			pthread_mutex_unlock(&p->lock);
			ret = done ? (ssize_t)done : -EPIPE;
			break;
		}
		ssize_t n = pipe_write_locked(p, iov, iovcnt, done, total, packet, merge);
		merge = false;
		if (n > 0)
			p->mtime = pipe_now();
		pthread_mutex_unlock(&p->lock);
		if (n < 0) {
			ret = done ? (ssize_t)done : n;
			break;
		}
		if (n > 0) {
			done += (size_t)n;
			waitq_wake(&p->wq, POLLIN | POLLRDNORM);
		}
		if (done == total) {
			ret = (ssize_t)done;
			break;
		}
		if (file_flags(f) & O_NONBLOCK) {
			ret = done ? (ssize_t)done : -EAGAIN;
			break;
		}
		if (!waiting) {
			if ((ret = pipe_wait_prepare(p, &w, &waiting, POLLOUT | POLLERR)))
				break;
			continue;
		}
		if (waiter_wait(&w, NULL) == -EINTR) {
			ret = done ? (ssize_t)done : -ERESTARTSYS;
			break;
		}
	}
	if (waiting)
		waiter_destroy(&w);
	return ret;
}

static uint32_t pipe_poll(struct file *f, struct waiter *w)
{
	struct pipe *p = f->priv;
	if (!p)
		return POLLNVAL;
	if (w)
		waiter_add(w, &p->wq, ~0u);
	uint32_t mask = 0;
	pthread_mutex_lock(&p->lock);
	if (file_readable(f)) {
		if (p->used)
			mask |= POLLIN | POLLRDNORM;
		/* A FIFO reader that never saw a writer gets no POLLHUP (Linux's f_pipe). */
		if (!p->writers && !(f->fops == &fifo_fops && f->pos == (int64_t)p->w_counter + 1))
			mask |= POLLHUP;
	}
	if (file_writable(f)) {
		if (p->used < p->nslots)
			mask |= POLLOUT | POLLWRNORM;
		if (!p->readers)
			mask |= POLLERR;
	}
	pthread_mutex_unlock(&p->lock);
	return mask;
}

static long pipe_ioctl(struct file *f, struct task *t, unsigned cmd, uint64_t arg)
{
	struct pipe *p = f->priv;
	if (cmd != FIONREAD || !p)
		return -ENOTTY;
	pthread_mutex_lock(&p->lock);
	int n = (int)p->bytes;
	pthread_mutex_unlock(&p->lock);
	return mm_copy_out(t->mm, gaddr(arg), &n, sizeof(n));
}

static int pipe_fstat(struct file *f, struct stat *st)
{
	struct pipe *p = f->priv;
	vfs_lock();
	inode_stat(p ? p->inode : f->inode, st);
	vfs_unlock();
	if (p) {
		pthread_mutex_lock(&p->lock);
		st->st_atim = p->atime;
		st->st_mtim = st->st_ctim = p->mtime;
		pthread_mutex_unlock(&p->lock);
	}
	return 0;
}

/* The last reference to one open end: drop its count and wake the other side. */
static void pipe_release(struct file *f)
{
	struct pipe *p = f->priv;
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	if (file_readable(f))
		p->readers--;
	if (file_writable(f))
		p->writers--;
	pthread_mutex_unlock(&p->lock);
	waitq_wake(&p->wq, ~0u);
	f->priv = NULL;
	pipe_put(p);
}

/*
 * open("/proc/PID/fd/N") of a pipe: a new description of the same pipe
 * (Linux's fifo_open). Linux blocks an O_RDONLY open until a writer
 * exists and an O_WRONLY one until a reader does; this runs under
 * vfs_lock and cannot sleep, so it never blocks (documented difference).
 * O_WRONLY|O_NONBLOCK without readers gives ENXIO as in Linux.
 */
static int pipe_reopen(struct file *orig, struct file *f)
{
	struct pipe *p = pipe_of(orig);
	if (!p)
		return -ENXIO;
	pthread_mutex_lock(&p->lock);
	if ((f->flags & O_ACCMODE) == O_WRONLY && !p->readers && (f->flags & O_NONBLOCK)) {
		pthread_mutex_unlock(&p->lock);
		return -ENXIO;
	}
	if (file_readable(f))
		p->readers++;
	if (file_writable(f))
		p->writers++;
	pthread_mutex_unlock(&p->lock);
	pipe_get(p);
	f->priv = p;
	waitq_wake(&p->wq, ~0u);
	return 0;
}

/*
 * O_ASYNC (Linux's pipe_fasync): a read end is signalled POLL_IN when data
 * arrives or a writer goes, a write end POLL_OUT when room is made or a
 * reader goes.
 */
static int pipe_fasync(struct file *f, int fd, bool on)
{
	struct pipe *p = f->priv;
	uint32_t events = 0;
	int change = 0;
	if (file_writable(f)) {
		events |= POLLOUT | POLLWRNORM;
		change = POLL_OUT;
	}
	if (file_readable(f)) {
		events |= POLLIN | POLLRDNORM;
		change = POLL_IN;
	}
	return fasync_update(&p->wq, file_fown(f), fd, events, change, on);
}

static const struct file_ops pipe_fops = {
	.read = pipe_read,
	.write = pipe_write,
	.ioctl = pipe_ioctl,
	.fstat = pipe_fstat,
	.release = pipe_release,
	.reopen = pipe_reopen,
	.poll = pipe_poll,
	.fasync = pipe_fasync,
	.unlocked = true,
	.stream = true,
};

/*
 * A named FIFO (mknod S_IFIFO): the same pipe, but fstat shows the file
 * system's inode, and open may wait for the other end (vfs_fifo_open_wait).
 */
static const struct file_ops fifo_fops = {
	.read = pipe_read,
	.write = pipe_write,
	.ioctl = pipe_ioctl,
	.release = pipe_release,
	.poll = pipe_poll,
	.fasync = pipe_fasync,
	.unlocked = true,
	.stream = true,
};

/* ---- splice, tee, sendfile (fs/splice.c) ---- */

bool pipe_file(struct file *f)
{
	return pipe_of(f) != NULL;
}

bool vfs_is_pipe(struct file *f)
{
	return pipe_of(f) != NULL;
}

bool pipe_same(struct file *a, struct file *b)
{
	return pipe_of(a) == pipe_of(b);
}

/*
 * Wait until the pipe of f has data (want_room false) or a free buffer
 * (true). Returns the bytes readable / the room in bytes, 0 at EOF (no
 * data and no writers), -EPIPE (no readers), -EAGAIN when nonblock, or
 * -ERESTARTSYS on a signal.
 */
long pipe_wait_ready(struct file *f, bool want_room, bool nonblock)
{
	struct pipe *p = pipe_of(f);
	struct waiter w;
	bool waiting = false;
	long ret;
	for (;;) {
		if (waiting)
			waiter_reset(&w);
		pthread_mutex_lock(&p->lock);
		if (want_room) {
			if (!p->readers)
				ret = -EPIPE;
			else
				ret = (long)(p->nslots - p->used) * PAGE_SIZE;
		} else {
			ret = p->bytes ? (long)p->bytes : (p->writers ? 0 : -1);
		}
		pthread_mutex_unlock(&p->lock);
		if (ret == -1) {
			ret = 0;               /* EOF */
			break;
		}
		if (ret != 0)
			break;
		if (nonblock) {
			ret = -EAGAIN;
			break;
		}
		if (!waiting) {
			waiter_init(&w);
			waiting = true;
			if ((ret = waiter_add(&w, &p->wq, want_room ? POLLOUT | POLLERR
								     : POLLIN | POLLHUP)))
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

/* Copy up to len bytes from the front of f's pipe without consuming them. */
size_t pipe_peek(struct file *f, void *buf, size_t len)
{
	struct pipe *p = pipe_of(f);
	size_t done = 0;
	pthread_mutex_lock(&p->lock);
	for (unsigned i = 0; i < p->used && done < len; i++) {
		struct pipe_buf *b = ring_at(p, i);
		size_t n = MIN((size_t)b->len, len - done);
		memcpy((char *)buf + done, b->page + b->off, n);
		done += n;
	}
	pthread_mutex_unlock(&p->lock);
	return done;
}

/* Drop n bytes (at most what is there) from the front of f's pipe. */
void pipe_consume(struct file *f, size_t n)
{
	struct pipe *p = pipe_of(f);
	pthread_mutex_lock(&p->lock);
	while (n && p->used) {
		struct pipe_buf *b = ring_at(p, 0);
		size_t k = MIN((size_t)b->len, n);
		b->off += k;
		b->len -= k;
		p->bytes -= k;
		n -= k;
		if (!b->len)
			ring_pop_locked(p);
	}
	p->atime = pipe_now();
	pthread_mutex_unlock(&p->lock);
	waitq_wake(&p->wq, POLLOUT | POLLWRNORM);
}

/* Append up to len bytes to f's pipe without waiting; bytes taken or -errno. */
ssize_t pipe_push(struct file *f, const void *buf, size_t len)
{
	struct pipe *p = pipe_of(f);
	struct iovec iov = { (void *)buf, len };
	pthread_mutex_lock(&p->lock);
	if (!p->readers) {
		pthread_mutex_unlock(&p->lock);
		return -EPIPE;
	}
	ssize_t n = pipe_write_locked(p, &iov, 1, 0, len, file_flags(f) & O_DIRECT, true);
	if (n > 0)
		p->mtime = pipe_now();
	pthread_mutex_unlock(&p->lock);
	if (n > 0)
		waitq_wake(&p->wq, POLLIN | POLLRDNORM);
	return n;
}

/*
 * tee (move false) and splice between pipes (move true): copy or move up
 * to len bytes buffer by buffer from in's pipe to out's, as Linux's
 * link_pipe / splice_pipe_to_pipe. Both pipes are locked, in address order.
 */
long pipe_link(struct file *in, struct file *out, size_t len, bool nonblock, bool move)
{
	struct pipe *ip = pipe_of(in), *op = pipe_of(out);
	for (;;) {
		long r = pipe_wait_ready(in, false, nonblock);
		if (r <= 0)
			return r;
		r = pipe_wait_ready(out, true, nonblock);
		if (r < 0)
			return r;
		struct pipe *first = ip < op ? ip : op, *second = ip < op ? op : ip;
		pthread_mutex_lock(&first->lock);
		pthread_mutex_lock(&second->lock);
		size_t done = 0;
		long ret = 0;
		for (unsigned i = 0; done < len && i < ip->used;) {
			if (!op->readers) {
				ret = -EPIPE;
				break;
			}
			if (op->used == op->nslots)
				break;
			struct pipe_buf *b = ring_at(ip, i);
			size_t n = MIN((size_t)b->len, len - done);
			char *pg = page_alloc_locked(op);
			if (!pg) {
				ret = -ENOMEM;
				break;
			}
			memcpy(pg, b->page + b->off, n);
			*ring_at(op, op->used) = (struct pipe_buf){ pg, 0, (uint32_t)n, b->packet };
			op->used++;
			op->bytes += n;
			done += n;
			if (move) {
				b->off += n;
				b->len -= n;
				ip->bytes -= n;
				if (!b->len)
					ring_pop_locked(ip);
			} else {
				i++;
			}
		}
		if (done) {
			op->mtime = pipe_now();
			if (move)
				ip->atime = pipe_now();
		}
		pthread_mutex_unlock(&second->lock);
		pthread_mutex_unlock(&first->lock);
		if (done) {
			waitq_wake(&op->wq, POLLIN | POLLRDNORM);
			if (move)
				waitq_wake(&ip->wq, POLLOUT | POLLWRNORM);
			return (long)done;
		}
		if (ret)
			return ret;
		if (nonblock)
			return -EAGAIN;
		/* Raced with another reader or writer: wait again. */
	}
}

/* ---- creation and fcntl ---- */

static struct super_block *pipefs_sb;
static pthread_once_t pipefs_once = PTHREAD_ONCE_INIT;

static void pipefs_init(void)
{
	pipefs_sb = sb_create("pipefs", PIPEFS_MAGIC);
}

static struct pipe *pipe_alloc(const struct cred *cred)
{
	pthread_once(&pipefs_once, pipefs_init);
	if (!pipefs_sb)
		return NULL;
	struct pipe *p = calloc(1, sizeof(*p));
	struct pipe_buf *bufs = calloc(PIPE_DEF_SLOTS, sizeof(*bufs));
	vfs_lock();
	struct inode *inode = p && bufs ? inode_alloc(pipefs_sb, S_IFIFO | 0600, NULL, &pipe_fops)
					: NULL;
	vfs_unlock();
	if (!inode) {
		free(bufs);
		free(p);
		return NULL;
	}
	inode->uid = cred ? cred->fsuid : 0;
	inode->gid = cred ? cred->fsgid : 0;
	p->inode = inode;
	p->bufs = bufs;
	p->nslots = PIPE_DEF_SLOTS;
	p->atime = p->mtime = inode->mtime;
	pthread_mutex_init(&p->lock, NULL);
	waitq_init(&p->wq);
	return p;
}

/*
 * Open of a named FIFO (Linux's fifo_open), under vfs_lock: join the
 * inode's pipe (made at the first open) as a reader and/or writer. The
 * wait for the other end happens after vfs_lock is dropped
 * (vfs_fifo_open_wait); the counter to wait on is kept in f->pos, which a
 * pipe does not use: reader: w_counter + 1 if it must wait (no writer yet),
 * writer: r_counter + 1 if it must wait (no reader yet), else 0.
 */
int pipe_fifo_open(struct inode *inode, struct file *f)
{
	struct pipe *p = inode->fifo;
	if (!p) {
		p = pipe_alloc(NULL);
		if (!p)
			return -ENOMEM;
		/* The pipe holds the FIFO's inode instead of a pipefs one. */
		inode_put(p->inode);
		inode_get(inode);
		p->inode = inode;
		p->named = true;
		inode->fifo = p;
	}
	int acc = f->flags & O_ACCMODE;
	pthread_mutex_lock(&p->lock);
	f->pos = 0;
	if (acc == O_RDONLY) {
		p->r_counter++;
		p->readers++;
		/* Wait for a writer only if none is there yet (a blocked writer counts). */
		if (!p->writers)
			f->pos = (int64_t)p->w_counter + 1;
	} else if (acc == O_WRONLY) {
		if ((f->flags & O_NONBLOCK) && !p->readers) {
			pthread_mutex_unlock(&p->lock);
			if (!p->refs)
				pipe_put((pipe_get(p), p));
			return -ENXIO;
		}
		p->w_counter++;
		p->writers++;
		if (!p->readers)
			f->pos = (int64_t)p->r_counter + 1;
	} else if (acc == O_RDWR) {
		p->readers++;
		p->writers++;
		p->r_counter++;
		p->w_counter++;
	} else {
		pthread_mutex_unlock(&p->lock);
		if (!p->refs)
			pipe_put((pipe_get(p), p));
		return -EINVAL;
	}
	pthread_mutex_unlock(&p->lock);
	pipe_get(p);
	f->priv = p;
	f->fops = &fifo_fops;
	waitq_wake(&p->wq, ~0u);
	return 0;
}

int vfs_fifo_open_wait(struct file *f)
{
	if (f->fops != &fifo_fops || !f->priv)
		return 0;
	struct pipe *p = f->priv;
	int acc = f->flags & O_ACCMODE;
	if (acc == O_RDWR || f->pos == 0 || (acc == O_RDONLY && (f->flags & O_NONBLOCK)))
		return 0;
	unsigned want = (unsigned)(f->pos - 1);
	struct waiter w;
	waiter_init(&w);
	int rc = waiter_add(&w, &p->wq, ~0u);
	while (!rc) {
		waiter_reset(&w);
		pthread_mutex_lock(&p->lock);
		bool partner = acc == O_RDONLY ? p->w_counter != want : p->r_counter != want;
		pthread_mutex_unlock(&p->lock);
		if (partner)
			break;
		if (waiter_wait(&w, NULL) == -EINTR)
			rc = -ERESTARTSYS;
	}
	waiter_destroy(&w);
	return rc;
}

int vfs_pipe_create(const struct cred *cred, int flags, struct file **rd, struct file **wr)
{
	struct pipe *p = pipe_alloc(cred);
	if (!p)
		return -ENOMEM;
	char name[32];
	snprintf(name, sizeof(name), "pipe:[%llu]", (unsigned long long)p->inode->ino);
	/* As Linux's create_pipe_files: O_DIRECT only on the write end. */
	struct file *r = file_alloc_anon(p->inode, &pipe_fops, p, O_RDONLY | (flags & O_NONBLOCK),
					 name);
	struct file *w = file_alloc_anon(p->inode, &pipe_fops, p,
					 O_WRONLY | (flags & (O_NONBLOCK | O_DIRECT)), name);
	if (!r || !w) {
		/* Release the ends that exist without counting them as pipe ends. */
		if (r) {
			r->fops = NULL;
			file_put(r);
		}
		if (w) {
			w->fops = NULL;
			file_put(w);
		}
		p->refs = 1;
		vfs_lock();
		pipe_put(p);
		vfs_unlock();
		return -ENOMEM;
	}
	p->refs = 2;
	p->readers = p->writers = 1;
	*rd = r;
	*wr = w;
	return 0;
}

/* Linux's round_pipe_size: a power-of-two number of pages; 0 if too large. */
static uint64_t pipe_round_size(unsigned int size)
{
	if (size > (1U << 31))
		return 0;
	if (size < PAGE_SIZE)
		return PAGE_SIZE;
	uint64_t n = PAGE_SIZE;
	while (n < size)
		n <<= 1;
	return n;
}

static long pipe_set_size(struct pipe *p, unsigned int arg)
{
	uint64_t size = pipe_round_size(arg);
	if (!size)
		return -EINVAL;
	unsigned nslots = (unsigned)(size / PAGE_SIZE);
	pthread_mutex_lock(&p->lock);
	/*
	 * Beyond pipe-max-size Linux wants CAP_SYS_RESOURCE. The guest's root
	 * would have it; the sandbox still refuses (EPERM): pipe pages are
	 * sentry memory, and 1 MiB per pipe is the bound (documented).
	 */
	if (nslots > p->nslots && size > PIPE_MAX_SIZE) {
		pthread_mutex_unlock(&p->lock);
		return -EPERM;
	}
	if (nslots < p->used) {
		pthread_mutex_unlock(&p->lock);
		return -EBUSY;
	}
	struct pipe_buf *bufs = calloc(nslots, sizeof(*bufs));
	if (!bufs) {
		pthread_mutex_unlock(&p->lock);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < p->used; i++)
		bufs[i] = *ring_at(p, i);
	free(p->bufs);
	p->bufs = bufs;
	p->nslots = nslots;
	p->tail = 0;
	pthread_mutex_unlock(&p->lock);
	waitq_wake(&p->wq, POLLOUT | POLLWRNORM);
	return (long)size;
}

long vfs_pipe_fcntl(struct file *f, int cmd, uint64_t arg)
{
	struct pipe *p = pipe_of(f);
	if (!p)
		return -EBADF;
	switch (cmd) {
	case F_GETPIPE_SZ: {
		pthread_mutex_lock(&p->lock);
		long n = (long)p->nslots * (long)PAGE_SIZE;
		pthread_mutex_unlock(&p->lock);
		return n;
	}
	case F_SETPIPE_SZ:
		/* The kernel takes the size as an unsigned int. */
		return pipe_set_size(p, (unsigned int)arg);
	default:
		return -EINVAL;
	}
}
