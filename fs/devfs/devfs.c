/*
 * devfs: a tmpfs holding the character devices null, zero, full, random
 * and urandom (Linux's numbers and 0666 modes), the fd/stdin/stdout/stderr
 * symlinks into /proc/self/fd, and the shm and pts directories. Guests may
 * create files in it (e.g. /dev/shm), charged to the tmpfs limit.
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <sys/sysmacros.h>
#include <linux/magic.h>
#include "fs/tmpfs/tmpfs_internal.h"

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
	if (!rc && !(rc = tmpfs_add_dir(root, "shm", 01777, &d)))
		dentry_put(d);
	if (!rc && !(rc = tmpfs_add_dir(root, "pts", 0755, &d)))
		dentry_put(d);
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
	*sbp = sb;
	*rootp = root;
	return 0;
}
