/*
 * Host fd files: the stdin/stdout/stderr that `sandbox run` donates to the
 * guest. Reads and writes go to the host fd (a terminal read may block the
 * sentry thread: these ops run without vfs_lock). Terminal ioctls are
 * served from a fixed list; job control ioctls answer with the guest's own
 * process group and never reach the host.
 *
 * Waiting (poll/select) on a host fd: a host fd cannot sit on a sentry
 * wait queue, so one notifier thread (started on first use) sleeps in
 * epoll_wait(2) on every host fd a guest waits on, each registered
 * EPOLLONESHOT for the events that were *not* ready when the guest
 * polled (so an always-writable terminal polled for input does not fire
 * at once, over and over). When one fires, the thread wakes that file's
 * waitq and the registration stays disarmed until the next poll re-arms
 * it. Waiters thus only ever sleep on their condition variable: signals
 * (task_wake_locked) and deadlines behave as for pipes, with no polling
 * loop and no per-waiter thread. epoll_ctl checks readiness when it arms,
 * so a change between the zero-timeout host poll and the arm is not lost.
 * gVisor's fdnotifier does the same.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <termios.h>
#include <unistd.h>
#include "fs/vfs_internal.h"
#include "sentry/mm.h"
#include "sentry/process.h"
#include "sentry/task.h"

/* The kernel's struct termios (asm-generic): what TCGETS moves. */
#define KTERMIOS_SIZE 36

struct hostfd {
	int fd;                        /* owned; O_CLOEXEC */
	struct waitq wq;               /* guests polling this fd */
	uint64_t id;                   /* notifier registration (0: none) */
};

/*
 * The notifier. `lock` protects the table and the epoll registrations; it
 * is taken before a hostfd's waitq lock (the thread wakes under it, so a
 * released hostfd, removed under it, is never touched after free).
 */
static struct {
	pthread_mutex_t lock;
	pthread_once_t once;
	int epfd;                      /* -1 if the notifier could not start */
	uint64_t next_id;
	struct hostfd **tab;           /* registered hostfds */
	size_t n, cap;
} notifier = { .lock = PTHREAD_MUTEX_INITIALIZER, .once = PTHREAD_ONCE_INIT, .epfd = -1 };

static struct hostfd *notifier_find_locked(uint64_t id, size_t *idx)
{
	for (size_t i = 0; i < notifier.n; i++)
		if (notifier.tab[i]->id == id) {
			if (idx)
				*idx = i;
			return notifier.tab[i];
		}
	return NULL;
}

static void *notifier_main(void *arg)
{
	for (;;) {
		struct epoll_event ev[16];
		int n = epoll_wait(notifier.epfd, ev, 16, -1);
		if (n < 0)
			continue;          /* EINTR: the sentry's own signals */
		pthread_mutex_lock(&notifier.lock);
		for (int i = 0; i < n; i++) {
			struct hostfd *h = notifier_find_locked(ev[i].data.u64, NULL);
			/* EPOLL* and POLL* bits have the same values. */
			if (h)
				waitq_wake(&h->wq, ev[i].events);
		}
		pthread_mutex_unlock(&notifier.lock);
	}
	return NULL;
}

static void notifier_start(void)
{
	notifier.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (notifier.epfd < 0)
		return;
	/* The thread takes no signals: the task threads own them. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_t th;
	if (pthread_create(&th, NULL, notifier_main, NULL) == 0) {
		pthread_detach(th);
	} else {
		close(notifier.epfd);
		notifier.epfd = -1;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* Room for one more registration; false on -ENOMEM. */
static bool notifier_reserve_locked(void)
{
	if (notifier.n < notifier.cap)
		return true;
	size_t cap = notifier.cap ? notifier.cap * 2 : 8;
	struct hostfd **tab = realloc(notifier.tab, cap * sizeof(*tab));
	if (!tab)
		return false;
	notifier.tab = tab;
	notifier.cap = cap;
	return true;
}

/* Arm a one-shot wake of h's waitq for `events`. */
static void notifier_arm(struct hostfd *h, uint32_t events)
{
	pthread_once(&notifier.once, notifier_start);
	if (notifier.epfd < 0)
		return;
	pthread_mutex_lock(&notifier.lock);
	struct epoll_event ev = { .events = events | EPOLLONESHOT };
	if (h->id) {
		ev.data.u64 = h->id;
		epoll_ctl(notifier.epfd, EPOLL_CTL_MOD, h->fd, &ev);
	} else if (notifier_reserve_locked()) {
		ev.data.u64 = ++notifier.next_id;
		/* Regular files refuse epoll (EPERM); they are always ready anyway. */
		if (epoll_ctl(notifier.epfd, EPOLL_CTL_ADD, h->fd, &ev) == 0) {
			h->id = ev.data.u64;
			notifier.tab[notifier.n++] = h;
		}
	}
	pthread_mutex_unlock(&notifier.lock);
}

static void notifier_forget(struct hostfd *h)
{
	if (!h->id)
		return;
	pthread_mutex_lock(&notifier.lock);
	size_t i;
	if (notifier_find_locked(h->id, &i)) {
		epoll_ctl(notifier.epfd, EPOLL_CTL_DEL, h->fd, NULL);
		notifier.tab[i] = notifier.tab[--notifier.n];
	}
	h->id = 0;
	pthread_mutex_unlock(&notifier.lock);
}

static struct hostfd *hostfd_new(int fd)
{
	struct hostfd *h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->fd = fd;
	waitq_init(&h->wq);
	return h;
}

static int hostfd_fd(struct file *f)
{
	return ((struct hostfd *)f->priv)->fd;
}

/* Emulated O_NONBLOCK: the host fd itself is shared and stays blocking. */
static int wait_ready(struct file *f, short ev)
{
	if (!(file_flags(f) & O_NONBLOCK))
		return 0;
	struct pollfd p = { hostfd_fd(f), ev, 0 };
	int r = poll(&p, 1, 0);
	if (r == 0)
		return -EAGAIN;
	return 0;
}

static ssize_t hostfd_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t off)
{
	int rc = wait_ready(f, POLLIN);
	if (rc)
		return rc;
	ssize_t r;
	do
		r = readv(hostfd_fd(f), iov, iovcnt);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

/*
 * RLIMIT_FSIZE for a host regular file (stdout redirected to a file): the
 * position is the host fd's. 0 with *count clipped, or -EFBIG (SIGXFSZ).
 */
static int hostfd_fsize_limit(struct file *f, uint64_t *count)
{
	struct task *t = task_current();
	if (!S_ISREG(f->inode->mode) || !t || !*count ||
	    t->tg->rlimits[RLIMIT_FSIZE].rlim_cur == RLIM_INFINITY)
		return 0;
	int fd = hostfd_fd(f), fl = fcntl(fd, F_GETFL);
	struct stat st;
	off_t pos = fl >= 0 && (fl & O_APPEND) ? (fstat(fd, &st) ? -1 : st.st_size)
					       : lseek(fd, 0, SEEK_CUR);
	return pos < 0 ? 0 : vfs_fsize_limit((uint64_t)pos, count);
}

static ssize_t hostfd_write(struct file *f, const struct iovec *iov, int iovcnt, int64_t off)
{
	int rc = wait_ready(f, POLLOUT);
	if (rc)
		return rc;
	uint64_t total = iov_total(iov, iovcnt), allowed = total;
	if ((rc = hostfd_fsize_limit(f, &allowed)))
		return rc;
	struct iovec buf[8], *clipped = NULL;
	if (allowed < total && (rc = iov_clip(iov, iovcnt, allowed, buf, 8, &iov, &iovcnt, &clipped)))
		return rc;
	ssize_t r;
	do
		r = writev(hostfd_fd(f), iov, iovcnt);
	while (r < 0 && errno == EINTR);
	int err = errno;
	free(clipped);
	return r < 0 ? -err : r;
}

static int hostfd_fstat(struct file *f, struct stat *st)
{
	if (fstat(hostfd_fd(f), st) < 0)
		return -errno;
	st->st_dev = f->inode->sb ? f->inode->sb->dev : 0;
	return 0;
}

static int64_t hostfd_llseek(struct file *f, int64_t off, int whence)
{
	if (whence != SEEK_SET && whence != SEEK_CUR && whence != SEEK_END &&
	    whence != SEEK_DATA && whence != SEEK_HOLE)
		return -EINVAL;
	off_t r = lseek(hostfd_fd(f), off, whence);
	return r < 0 ? -errno : r;
}

static long hostfd_ioctl(struct file *f, struct task *t, unsigned cmd, uint64_t arg)
{
	int fd = hostfd_fd(f);
	gaddr_t ga = gaddr(arg);
	unsigned char buf[64];
	int rc;
	switch (cmd) {
	case TCGETS:
		if (ioctl(fd, TCGETS, buf) < 0)
			return -errno;
		return mm_copy_out(t->mm, ga, buf, KTERMIOS_SIZE);
	case TCSETS: case TCSETSW: case TCSETSF:
		if (!isatty(fd))
			return -ENOTTY;
		if ((rc = mm_copy_in(t->mm, buf, ga, KTERMIOS_SIZE)))
			return rc;
		if (ioctl(fd, cmd, buf) < 0)
			return -errno;
		return 0;
	case TIOCGWINSZ: {
		struct winsize ws;
		if (ioctl(fd, TIOCGWINSZ, &ws) < 0)
			return -errno;
		return mm_copy_out(t->mm, ga, &ws, sizeof(ws));
	}
	case TIOCSWINSZ: {
		struct winsize ws;
		if (!isatty(fd))
			return -ENOTTY;
		if ((rc = mm_copy_in(t->mm, &ws, ga, sizeof(ws))))
			return rc;
		return ioctl(fd, TIOCSWINSZ, &ws) < 0 ? -errno : 0;
	}
	case TIOCGPGRP: {
		if (!isatty(fd))
			return -ENOTTY;
		/* The group the guest made foreground; before any, the caller's own. */
		pthread_mutex_lock(&kernel.lock);
		int pgid = kernel.host_tty_pgrp ? kernel.host_tty_pgrp : t->tg->pgid;
		pthread_mutex_unlock(&kernel.lock);
		return mm_copy_out(t->mm, ga, &pgid, sizeof(pgid));
	}
	case TIOCSPGRP: {
		if (!isatty(fd))
			return -ENOTTY;
		int pgid;
		if ((rc = mm_copy_in(t->mm, &pgid, ga, sizeof(pgid))))
			return rc;
		if (pgid < 0)
			return -EINVAL;
		/* Linux's tiocspgrp: the group must exist, in the caller's session. */
		int sid = process_session_of(pgid);
		if (sid < 0)
			return -ESRCH;
		pthread_mutex_lock(&kernel.lock);
		rc = sid == t->tg->sid ? 0 : -EPERM;
		if (!rc)
			kernel.host_tty_pgrp = pgid;
		pthread_mutex_unlock(&kernel.lock);
		return rc;
	}
	case FIONREAD: {
		int n = 0;
		if (ioctl(fd, FIONREAD, &n) < 0)
			return -errno;
		return mm_copy_out(t->mm, ga, &n, sizeof(n));
	}
	case FIONBIO: {
		int on;
		if ((rc = mm_copy_in(t->mm, &on, ga, sizeof(on))))
			return rc;
		int fl = file_flags(f);
		file_set_status_flags(f, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
		return 0;
	}
	default:
		return -ENOTTY;
	}
}

static uint32_t hostfd_poll(struct file *f, struct waiter *w)
{
	struct hostfd *h = f->priv;
	if (!h)
		return POLLNVAL;
	if (w)
		waiter_add(w, &h->wq, ~0u);
	const uint32_t all = POLLIN | POLLOUT | POLLPRI | POLLRDHUP;
	struct pollfd p = { h->fd, (short)all, 0 };
	int r;
	do
		r = poll(&p, 1, 0);
	while (r < 0 && errno == EINTR);
	uint32_t mask = r > 0 ? (uint16_t)p.revents : 0;
	if (mask & POLLNVAL)
		mask = POLLERR;    /* our own fd is never invalid; report an error */
	/* Wait for what is not ready yet; HUP and ERR always end a poll. */
	if (w && (all & ~mask) && !(mask & (POLLHUP | POLLERR)))
		notifier_arm(h, all & ~mask);
	return mask;
}

static void hostfd_release(struct file *f)
{
	struct hostfd *h = f->priv;
	if (h) {
		notifier_forget(h);
		close(h->fd);
		waitq_destroy(&h->wq);
		free(h);
	}
}

static int hostfd_reopen(struct file *orig, struct file *f)
{
	int fd = fcntl(hostfd_fd(orig), F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return -EMFILE;
	struct hostfd *h = hostfd_new(fd);
	if (!h) {
		close(fd);
		return -ENOMEM;
	}
	f->priv = h;
	return 0;
}

/* O_ASYNC would need the host to signal the sentry: refused rather than ignored. */
static int hostfd_fasync(struct file *f, int fd, bool on)
{
	return on ? -EINVAL : 0;
}

static const struct file_ops hostfd_fops = {
	.reopen = hostfd_reopen,
	.read = hostfd_read,
	.write = hostfd_write,
	.ioctl = hostfd_ioctl,
	.fstat = hostfd_fstat,
	.llseek = hostfd_llseek,
	.poll = hostfd_poll,
	.release = hostfd_release,
	.fasync = hostfd_fasync,
	.unlocked = true,
	.stream = true,
};

struct file *vfs_host_fd_file(int hostfd)
{
	int fl = fcntl(hostfd, F_GETFL);
	if (fl < 0)
		fl = O_RDWR;
	struct super_block *sb = vfs_anon_sb();
	if (!sb)
		return NULL;
	struct stat st;
	uint32_t mode = fstat(hostfd, &st) == 0 ? st.st_mode : (S_IFCHR | 0620);
	vfs_lock();
	struct inode *inode = inode_alloc(sb, mode, NULL, &hostfd_fops);
	vfs_unlock();
	struct hostfd *h = hostfd_new(hostfd);
	if (!inode || !h) {
		if (h)
			waitq_destroy(&h->wq);
		free(h);
		if (inode)
			inode_put(inode);
		return NULL;
	}
	char name[32];
	strcpy(name, isatty(hostfd) ? "/dev/pts/0" : S_ISFIFO(mode) ? "pipe:[1]" : "/dev/stdio");
	struct file *f = file_alloc_anon(inode, &hostfd_fops, h,
					 fl & (O_ACCMODE | O_APPEND), name);
	inode_put(inode);
	if (!f) {
		waitq_destroy(&h->wq);
		free(h);
		return NULL;
	}
	return f;
}
