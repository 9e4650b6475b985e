/*
 * Moving data between files inside the sentry: sendfile, splice, tee,
 * copy_file_range, and fallocate's generic checks. The checks follow
 * Linux's fs/read_write.c, fs/splice.c and fs/open.c in their order; the
 * data goes through a sentry bounce buffer (pipes: pipe_* helpers in
 * fs/pipe.c), never through the host.
 *
 * Pipe to file: the bytes are peeked, written, and only the written part
 * is consumed, so a failed write leaves the data in the pipe (Linux's
 * behaviour); a concurrent reader of the same pipe may race with this.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <linux/falloc.h>
#include "fs/vfs_internal.h"
#include "sentry/types.h"

#ifndef FALLOC_FL_WRITE_ZEROES
#define FALLOC_FL_WRITE_ZEROES 0x80
#endif
#define FALLOC_FL_MODE_MASK (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_COLLAPSE_RANGE | \
			     FALLOC_FL_ZERO_RANGE | FALLOC_FL_INSERT_RANGE | \
			     FALLOC_FL_UNSHARE_RANGE | FALLOC_FL_WRITE_ZEROES)
#define CHUNK (64 * 1024)
/* MAX_RW_COUNT: INT_MAX rounded down to a page. */
#define MAX_RW_COUNT (0x7ffff000UL)

static bool can_read(struct file *f)
{
	int acc = f->flags & O_ACCMODE;
	return !(f->flags & O_PATH) && (acc == O_RDONLY || acc == O_RDWR);
}

static bool can_write(struct file *f)
{
	int acc = f->flags & O_ACCMODE;
	return !(f->flags & O_PATH) && (acc == O_WRONLY || acc == O_RDWR);
}

/* Files that have no offset of their own to read or write at. */
static bool positionless(struct file *f)
{
	return !f->fops || f->fops->stream || f->fops->unlocked;
}

static int64_t file_pos(struct file *f)
{
	vfs_lock();
	int64_t p = f->pos;
	vfs_unlock();
	return p;
}

static void file_set_pos(struct file *f, int64_t pos)
{
	vfs_lock();
	f->pos = pos;
	vfs_unlock();
}

/* Read / write at *pos (advanced), or at the file's own position for stream files. */
static ssize_t read_at(struct file *f, void *buf, size_t len, int64_t *pos)
{
	struct iovec iov = { buf, len };
	if (positionless(f))
		return vfs_readv(f, &iov, 1, NULL);
	ssize_t n = vfs_readv(f, &iov, 1, pos);
	if (n > 0)
		*pos += n;
	return n;
}

static ssize_t write_at(struct file *f, const void *buf, size_t len, int64_t *pos)
{
	struct iovec iov = { (void *)buf, len };
	if (positionless(f))
		return vfs_writev(f, &iov, 1, NULL);
	ssize_t n = vfs_writev(f, &iov, 1, pos);
	if (n > 0)
		*pos += n;
	return n;
}

/* ---- fallocate ---- */

int vfs_fallocate(struct file *f, int mode, int64_t off, int64_t len)
{
	if (off < 0 || len <= 0)
		return -EINVAL;
	if (mode & ~(FALLOC_FL_MODE_MASK | FALLOC_FL_KEEP_SIZE))
		return -EOPNOTSUPP;
	switch (mode & FALLOC_FL_MODE_MASK) {
	case 0:
	case FALLOC_FL_UNSHARE_RANGE:
	case FALLOC_FL_ZERO_RANGE:
		break;
	case FALLOC_FL_PUNCH_HOLE:
		if (!(mode & FALLOC_FL_KEEP_SIZE))
			return -EOPNOTSUPP;
		break;
	case FALLOC_FL_COLLAPSE_RANGE:
	case FALLOC_FL_INSERT_RANGE:
	case FALLOC_FL_WRITE_ZEROES:
		if (mode & FALLOC_FL_KEEP_SIZE)
			return -EOPNOTSUPP;
		break;
	default:
		return -EOPNOTSUPP;
	}
	if (!can_write(f))
		return -EBADF;
	uint32_t type = f->inode->mode & S_IFMT;
	if (type == S_IFIFO)
		return -ESPIPE;
	if (type == S_IFDIR)
		return -EISDIR;
	if (type != S_IFREG && type != S_IFBLK)
		return -ENODEV;
	if (off > INT64_MAX - len)
		return -EFBIG;
	/* tmpfs (shmem_fallocate) knows only these. */
	if (!f->fops || !f->fops->fallocate || (mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE)))
		return -EOPNOTSUPP;
	vfs_lock();
	/* Growing the file past RLIMIT_FSIZE: EFBIG and SIGXFSZ (inode_newsize_ok). */
	uint64_t one = 1;
	if (!(mode & FALLOC_FL_KEEP_SIZE) && (uint64_t)(off + len) > f->inode->size &&
	    vfs_fsize_limit((uint64_t)(off + len) - 1, &one)) {
		vfs_unlock();
		return -EFBIG;
	}
	int rc = f->fops->fallocate(f, mode, (uint64_t)off, (uint64_t)len);
	vfs_unlock();
	if (!rc)
		fsnotify_modify(f);
	return rc;
}

/* ---- sendfile ---- */

/* One round from a file into a pipe (splice_file_to_pipe): at most the pipe's room. */
static long file_to_pipe(struct file *in, int64_t *pos, struct file *out, size_t len,
			 bool nonblock)
{
	long room = pipe_wait_ready(out, true, nonblock);
	if (room < 0)
		return room;
	size_t want = MIN(len, (size_t)room);
	char *buf = malloc(MIN(want, (size_t)CHUNK));
	if (!buf)
		return -ENOMEM;
	long total = 0;
	while ((size_t)total < want) {
		size_t n = MIN(want - total, (size_t)CHUNK);
		int64_t p = *pos;
		ssize_t r = read_at(in, buf, n, &p);
		if (r <= 0) {
			if (!total)
				total = r;
			break;
		}
		ssize_t w = pipe_push(out, buf, (size_t)r);
		if (w <= 0) {
			if (!total)
				total = w ? w : -EAGAIN;
			break;
		}
		/* Only what reached the pipe counts (the rest is read again next time). */
		*pos += w;
		total += w;
		if (w < r || (size_t)r < n)
			break;
	}
	free(buf);
	return total;
}

/* From a file to a non-pipe file (do_splice_direct), up to len bytes. */
static long file_to_file(struct file *in, int64_t *pos_in, struct file *out, int64_t *pos_out,
			 size_t len)
{
	char *buf = malloc(MIN(len, (size_t)CHUNK));
	if (!buf)
		return -ENOMEM;
	long total = 0;
	while ((size_t)total < len) {
		size_t n = MIN(len - total, (size_t)CHUNK);
		int64_t p = *pos_in;
		ssize_t r = read_at(in, buf, n, &p);
		if (r <= 0) {
			if (!total)
				total = r;
			break;
		}
		ssize_t w = write_at(out, buf, (size_t)r, pos_out);
		if (w <= 0) {
			if (!total)
				total = w;
			break;
		}
		*pos_in += w;
		total += w;
		if (w < r || (size_t)r < n)
			break;
	}
	free(buf);
	return total;
}

long vfs_sendfile(struct file *out, struct file *in, int64_t *pos, size_t count)
{
	if (!can_read(in))
		return -EBADF;
	int64_t p;
	if (pos) {
		if (positionless(in))
			return -ESPIPE;
		p = *pos;
	} else {
		p = file_pos(in);
	}
	if (p < 0)
		return -EINVAL;
	count = MIN(count, (size_t)MAX_RW_COUNT);
	if (!out || !can_write(out))
		return -EBADF;
	bool nonblock = in->flags & O_NONBLOCK;
	long rc;
	if (pipe_file(out)) {
		if (pipe_file(in) || S_ISDIR(in->inode->mode))
			return -EINVAL;
		if (!count)
			return 0;
		rc = file_to_pipe(in, &p, out, count, nonblock || (out->flags & O_NONBLOCK));
	} else {
		/* splice_direct_to_actor reads regular files (and block devices) only. */
		if (!S_ISREG(in->inode->mode) && !S_ISBLK(in->inode->mode))
			return -EINVAL;
		if (out->flags & O_APPEND)
			return -EINVAL;
		if (S_ISDIR(out->inode->mode))
			return -EINVAL;
		if (!count)
			return 0;
		int64_t op = file_pos(out);
		rc = file_to_file(in, &p, out, &op, count);
		if (rc > 0 && !positionless(out))
			file_set_pos(out, op);
	}
	if (rc > 0) {
		if (pos)
			*pos = p;
		else if (!positionless(in))
			file_set_pos(in, p);
	}
	return rc;
}

/* ---- splice, tee ---- */

/* From a pipe into a file (iter_file_splice_write): wait once, then move what is there. */
static long pipe_to_file(struct file *in, struct file *out, int64_t *pos, size_t len,
			 bool nonblock)
{
	long avail = pipe_wait_ready(in, false, nonblock);
	if (avail <= 0)
		return avail;
	char *buf = malloc(CHUNK);
	if (!buf)
		return -ENOMEM;
	long total = 0;
	while ((size_t)total < len) {
		size_t n = pipe_peek(in, buf, MIN(len - total, (size_t)CHUNK));
		if (!n)
			break;
		ssize_t w = write_at(out, buf, n, pos);
		if (w <= 0) {
			if (!total)
				total = w;
			break;
		}
		pipe_consume(in, (size_t)w);
		total += w;
		if ((size_t)w < n)
			break;
	}
	free(buf);
	return total;
}

long vfs_splice(struct file *in, int64_t *off_in, struct file *out, int64_t *off_out,
		size_t len, unsigned flags)
{
	if (!can_read(in) || !can_write(out))
		return -EBADF;
	bool ipipe = pipe_file(in), opipe = pipe_file(out);
	bool nonblock = flags & SPLICE_F_NONBLOCK;
	len = MIN(len, (size_t)MAX_RW_COUNT);
	if (ipipe && opipe) {
		if (off_in || off_out)
			return -ESPIPE;
		if (pipe_same(in, out))
			return -EINVAL;
		nonblock |= (in->flags | out->flags) & O_NONBLOCK;
		return pipe_link(in, out, len, nonblock, true);
	}
	if (ipipe) {
		if (off_in)
			return -ESPIPE;
		if (S_ISDIR(out->inode->mode))
			return -EINVAL;
		if (off_out && positionless(out))
			return -EINVAL;
		if (out->flags & O_APPEND)
			return -EINVAL;
		int64_t p = off_out ? *off_out : file_pos(out);
		if (p < 0)
			return -EINVAL;
		nonblock |= in->flags & O_NONBLOCK;
		long rc = pipe_to_file(in, out, &p, len, nonblock);
		if (rc > 0) {
			if (off_out)
				*off_out = p;
			else if (!positionless(out))
				file_set_pos(out, p);
		}
		return rc;
	}
	if (opipe) {
		if (off_out)
			return -ESPIPE;
		if (S_ISDIR(in->inode->mode))
			return -EINVAL;
		if (off_in && positionless(in))
			return -EINVAL;
		int64_t p = off_in ? *off_in : file_pos(in);
		if (p < 0)
			return -EINVAL;
		nonblock |= out->flags & O_NONBLOCK;
		long rc = file_to_pipe(in, &p, out, len, nonblock);
		if (rc > 0) {
			if (off_in)
				*off_in = p;
			else if (!positionless(in))
				file_set_pos(in, p);
		}
		return rc;
	}
	return -EINVAL;
}

long vfs_tee(struct file *in, struct file *out, size_t len, unsigned flags)
{
	if (!can_read(in) || !can_write(out))
		return -EBADF;
	if (!pipe_file(in) || !pipe_file(out) || pipe_same(in, out))
		return -EINVAL;
	bool nonblock = (flags & SPLICE_F_NONBLOCK) || ((in->flags | out->flags) & O_NONBLOCK);
	return pipe_link(in, out, MIN(len, (size_t)MAX_RW_COUNT), nonblock, false);
}

/* ---- copy_file_range ---- */

long vfs_copy_file_range(struct file *in, int64_t *off_in, struct file *out, int64_t *off_out,
			 size_t len, unsigned flags)
{
	if (flags)
		return -EINVAL;
	/* generic_copy_file_checks */
	if (S_ISDIR(in->inode->mode) || S_ISDIR(out->inode->mode))
		return -EISDIR;
	if (!S_ISREG(in->inode->mode) || !S_ISREG(out->inode->mode))
		return -EINVAL;
	if (!can_read(in) || !can_write(out) || (out->flags & O_APPEND))
		return -EBADF;
	int64_t pin = off_in ? *off_in : file_pos(in);
	int64_t pout = off_out ? *off_out : file_pos(out);
	len = MIN(len, (size_t)MAX_RW_COUNT);
	/* Linux compares as unsigned here: a negative offset usually "wraps" first. */
	if ((uint64_t)pin + len < (uint64_t)pin || (uint64_t)pout + len < (uint64_t)pout)
		return -EOVERFLOW;
	if (pin < 0 || pout < 0)
		return -EINVAL;
	vfs_lock();
	uint64_t size_in = in->inode->size;
	vfs_unlock();
	len = (uint64_t)pin >= size_in ? 0 : MIN(len, size_in - (uint64_t)pin);
	if (in->inode == out->inode && pout + (int64_t)len > pin && pout < pin + (int64_t)len)
		return -EINVAL;
	if (len == 0)
		return 0;
	if (in->inode->sb != out->inode->sb)
		return -EXDEV;
	long rc = file_to_file(in, &pin, out, &pout, len);
	if (rc > 0) {
		if (off_in)
			*off_in = pin;
		else
			file_set_pos(in, pin);
		if (off_out)
			*off_out = pout;
		else
			file_set_pos(out, pout);
	}
	return rc;
}

/* ---- vmsplice (syscalls/sys_splice.c) ---- */

long vfs_pipe_vmsplice_wait(struct file *f, bool to_pipe, bool nonblock)
{
	return pipe_wait_ready(f, to_pipe, nonblock);
}

long vfs_pipe_vmsplice_io(struct file *f, void *buf, size_t len, bool to_pipe)
{
	if (to_pipe)
		return pipe_push(f, buf, len);
	return (long)pipe_peek(f, buf, len);
}

void vfs_pipe_vmsplice_consume(struct file *f, size_t n)
{
	pipe_consume(f, n);
}
