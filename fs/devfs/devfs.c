/*
 * devfs: a tmpfs holding the character devices null, zero, full, random
 * and urandom (Linux's numbers and 0666 modes), tty (5:0: the controlling
 * terminal, when `sandbox run` has one), the fd/stdin/stdout/stderr
 * symlinks into /proc/self/fd, the pts directory, and shm, on which a
 * tmpfs of its own is mounted (POSIX shm_open). Guests may create files
 * in it, charged to the tmpfs limit.
 */
#include <errno.h>
#include <fcntl.h>
#include <termios.h>
#include <unistd.h>
#include <sys/mount.h>
#include <string.h>
#include <sys/random.h>
#include <sys/sysmacros.h>
#include <linux/magic.h>
#include "fs/tmpfs/tmpfs_internal.h"
#include "sentry/task.h"

static ssize_t zero_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t off)
{
	size_t total = 0;
	for (int i = 0; i < iovcnt; i++) {
		memset(iov[i].iov_base, 0, iov[i].iov_len);
		total += iov[i].iov_len;
	}
	return (ssize_t)total;
}

static ssize_t null_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t off)
{
	return 0;
}

static ssize_t sink_write(struct file *f, const struct iovec *iov, int iovcnt, int64_t off)
{
	return (ssize_t)iov_total(iov, iovcnt);
}

static ssize_t full_write(struct file *f, const struct iovec *iov, int iovcnt, int64_t off)
{
	return -ENOSPC;     /* even for zero bytes, as Linux's write_full */
}

/* Linux's null/zero/full/random lseek: always succeeds at offset 0. */
static int64_t dev_llseek(struct file *f, int64_t off, int whence)
{
	return 0;
}

static ssize_t random_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t off)
{
	size_t total = 0;
	for (int i = 0; i < iovcnt; i++) {
		size_t done = 0;
		while (done < iov[i].iov_len) {
			ssize_t r = getrandom((char *)iov[i].iov_base + done, iov[i].iov_len - done, 0);
			if (r < 0) {
				if (errno == EINTR)
					continue;
				return total + done ? (ssize_t)(total + done) : -errno;
			}
			done += r;
		}
		total += done;
	}
	return (ssize_t)total;
}

static const struct file_ops null_fops = { .read = null_read, .write = sink_write,
					   .llseek = dev_llseek };
static const struct file_ops zero_fops = { .read = zero_read, .write = sink_write,
					   .llseek = dev_llseek };
static const struct file_ops full_fops = { .read = zero_read, .write = full_write,
					   .llseek = dev_llseek };
static const struct file_ops random_fops = { .read = random_read, .write = sink_write,
					     .llseek = dev_llseek };

/*
 * The controlling terminal: the sandbox's own, if one of the stdio fds it
 * was started with is the terminal of its session. It belongs to the
 * guest's first session (init's, sid 1); a process that called setsid()
 * has none, as on Linux until it acquires one.
 */
static struct file *ctty_file;
static uint64_t ctty_rdev;
static struct super_block *dev_sb;

#define INIT_SID 1

static void find_ctty(void)
{
	for (int fd = 0; fd < 3; fd++) {
		if (!isatty(fd) || tcgetsid(fd) != getsid(0))
			continue;
		int copy = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		if (copy < 0)
			return;
		ctty_file = vfs_host_fd_file(copy);
		if (!ctty_file) {
			close(copy);
			return;
		}
		/* Named /dev/pts/0 inside, as the donated stdio is. */
		ctty_rdev = makedev(136, 0);
		return;
	}
}

uint64_t devfs_ctty_rdev(int sid)
{
	uint64_t pty = tty_session_rdev(sid, NULL);    /* a pseudo-terminal (fs/tty/) */
	if (pty)
		return pty;
	return ctty_file && sid == INIT_SID ? ctty_rdev : 0;
}

/* open("/dev/tty"): a new description of the terminal, or ENXIO without one. */
static int tty_open(struct dentry *d, struct file *f)
{
	struct task *t = task_current();
	int rc = tty_open_ctty(f);     /* a pty its session acquired (fs/tty/) */
	if (rc != -ENXIO)
		return rc;
	if (!ctty_file || !t || t->tg->sid != INIT_SID || !ctty_file->fops->reopen)
		return -ENXIO;
	f->fops = ctty_file->fops;
	return ctty_file->fops->reopen(ctty_file, f);
}

static struct inode_ops tty_iops;

int devfs_mount_shm(void)
{
	struct mount *devm = mount_list();
	while (devm && devm->sb != dev_sb)
		devm = devm->next;
	if (!devm)
		return -ENOENT;
	struct super_block *sb = tmpfs_create_sb(vfs_tmpfs_limit, "tmpfs", TMPFS_MAGIC);
	if (!sb)
		return -ENOMEM;
	vfs_lock();
	struct dentry *root = tmpfs_make_root(sb, 01777, NULL), *mp = NULL;
	int rc = root ? dentry_lookup(devm->root, "shm", &mp) : -ENOMEM;
	vfs_unlock();
	if (!rc && !mount_create(sb, root, devm, mp, MS_NOSUID | MS_NODEV, "tmpfs"))
		rc = -ENOMEM;
	if (mp)
		dentry_put(mp);
	if (root)
		dentry_put(root);
	return rc;
}

int devfs_create(struct super_block **sbp, struct dentry **rootp)
{
	struct super_block *sb = tmpfs_create_sb(vfs_tmpfs_limit, "devtmpfs", TMPFS_MAGIC);
	if (!sb)
		return -ENOMEM;
	vfs_lock();
	struct dentry *root = tmpfs_make_root(sb, 0755, NULL);
	vfs_unlock();
	if (!root)
		return -ENOMEM;
	static const struct {
		const char *name;
		unsigned minor;
		const struct file_ops *fops;
	} devs[] = {
		{ "null", 3, &null_fops }, { "zero", 5, &zero_fops }, { "full", 7, &full_fops },
		{ "random", 8, &random_fops }, { "urandom", 9, &random_fops },
	};
	int rc = 0;
	for (size_t i = 0; i < ARRAY_SIZE(devs) && !rc; i++)
		rc = tmpfs_add_node(root, devs[i].name, S_IFCHR | 0666, makedev(1, devs[i].minor),
				    devs[i].fops, NULL);
	struct dentry *d;
	find_ctty();
	tty_iops = tmpfs_iops;
	tty_iops.open = tty_open;
	if (!rc && !(rc = tmpfs_add_node(root, "tty", S_IFCHR | 0666, makedev(5, 0), &null_fops,
					 &d))) {
		d->inode->iops = &tty_iops;
		dentry_put(d);
	}
	if (!rc && !(rc = tmpfs_add_dir(root, "shm", 01777, &d)))
		dentry_put(d);
	if (!rc && !(rc = tmpfs_add_dir(root, "pts", 0755, &d)))
		dentry_put(d);
	/* Pseudo-terminals (fs/tty/): each open of /dev/ptmx makes a pair. */
	if (!rc)
		rc = tmpfs_add_node(root, "ptmx", S_IFCHR | 0666, makedev(5, 2), &ptmx_fops, NULL);
	if (!rc)
		rc = tmpfs_add_symlink(root, "fd", "/proc/self/fd");
	if (!rc)
		rc = tmpfs_add_symlink(root, "stdin", "/proc/self/fd/0");
	if (!rc)
		rc = tmpfs_add_symlink(root, "stdout", "/proc/self/fd/1");
	if (!rc)
		rc = tmpfs_add_symlink(root, "stderr", "/proc/self/fd/2");
	if (rc) {
		dentry_put(root);
		return rc;
	}
	dev_sb = sb;
	*sbp = sb;
	*rootp = root;
	return 0;
}
