/*
 * Host fd files: the stdin/stdout/stderr that `sandbox run` donates to the
 * guest. Reads and writes go to the host fd (a terminal read may block the
 * sentry thread: these ops run without vfs_lock). Terminal ioctls are
 * served from a fixed list; job control ioctls answer with the guest's own
 * process group and never reach the host.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <termios.h>
#include <unistd.h>
#include "fs/vfs_internal.h"
#include "sentry/mm.h"
#include "sentry/task.h"

/* The kernel's struct termios (asm-generic): what TCGETS moves. */
#define KTERMIOS_SIZE 36

struct hostfd {
	int fd;                        /* owned; O_CLOEXEC */
};

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

static ssize_t hostfd_write(struct file *f, const struct iovec *iov, int iovcnt, int64_t off)
{
	int rc = wait_ready(f, POLLOUT);
	if (rc)
		return rc;
	ssize_t r;
	do
		r = writev(hostfd_fd(f), iov, iovcnt);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
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
		int pgid = t->tg->pgid;
		return mm_copy_out(t->mm, ga, &pgid, sizeof(pgid));
	}
	case TIOCSPGRP: {
		if (!isatty(fd))
			return -ENOTTY;
		int pgid;
		if ((rc = mm_copy_in(t->mm, &pgid, ga, sizeof(pgid))))
			return rc;
		return pgid < 0 ? -EINVAL : 0;     /* the guest's pgid is all there is */
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

static void hostfd_release(struct file *f)
{
	struct hostfd *h = f->priv;
	if (h) {
		close(h->fd);
		free(h);
	}
}

static int hostfd_reopen(struct file *orig, struct file *f)
{
	struct hostfd *h = malloc(sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->fd = fcntl(hostfd_fd(orig), F_DUPFD_CLOEXEC, 3);
	if (h->fd < 0) {
		free(h);
		return -EMFILE;
	}
	f->priv = h;
	return 0;
}

static const struct file_ops hostfd_fops = {
	.reopen = hostfd_reopen,
	.read = hostfd_read,
	.write = hostfd_write,
	.ioctl = hostfd_ioctl,
	.fstat = hostfd_fstat,
	.llseek = hostfd_llseek,
	.release = hostfd_release,
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
	struct hostfd *h = malloc(sizeof(*h));
	if (!inode || !h) {
		free(h);
		if (inode)
			inode_put(inode);
		return NULL;
	}
	h->fd = hostfd;
	char name[32];
	strcpy(name, isatty(hostfd) ? "/dev/pts/0" : S_ISFIFO(mode) ? "pipe:[1]" : "/dev/stdio");
	struct file *f = file_alloc_anon(inode, &hostfd_fops, h,
					 fl & (O_ACCMODE | O_APPEND), name);
	inode_put(inode);
	if (!f) {
		free(h);
		return NULL;
	}
	return f;
}
