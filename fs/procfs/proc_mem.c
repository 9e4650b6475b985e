/*
 * /proc/PID/mem and /proc/PID/task/TID/mem (Linux's mem_open, mem_rw and
 * mem_lseek in fs/proc/base.c): a process's memory at its own addresses,
 * the file position being the address.
 *
 * The open checks PTRACE_MODE_ATTACH_FSCREDS (credentials and the MM's
 * dumpability; none for the caller's own address space), once: the file
 * then holds that address space's structure (mm_grab), not its memory.
 * Each read or write takes a user's reference for its duration
 * (mm_get_not_zero), so once the process has exited or exec'd, and no
 * one else (a vfork parent) uses that address space, they move 0 bytes,
 * as Linux's. Access is a debugger's (mm_access_force, Linux's
 * FOLL_FORCE): through protections, copy-on-write into read-only private
 * mappings, refused for shared mappings that are not writable; a transfer
 * stops at the first page it cannot reach and returns the bytes before
 * it, or EIO if there are none.
 *
 * Positions are unsigned 64-bit values (FMODE_UNSIGNED_OFFSET): lseek
 * sets any (SEEK_SET, SEEK_CUR, wrapping; other whence values EINVAL),
 * read and write may start above 2^63 (EOVERFLOW only when the count
 * reaches 2^64, fs/file.c's check_pos). No mmap (ENODEV), no poll
 * (always ready), no ioctl.
 */
#include <errno.h>
#include <stdint.h>
#include <unistd.h>
#include "fs/procfs/procfs_internal.h"
#include "sentry/mm.h"
#include "sentry/process.h"

/* One piece of a transfer, as Linux's bounce page: guest memory is not locked across both copies. */
#define MEM_CHUNK 4096

static ssize_t mem_rw(struct file *f, const struct iovec *iov, int iovcnt, int64_t off,
		      bool write)
{
	struct mm *mm = f->priv;
	size_t total = iov_total(iov, iovcnt);
	if (!mm || total == 0 || !mm_get_not_zero(mm))
		return 0;
	uint64_t addr = (uint64_t)off;
	size_t done = 0;
	char buf[MEM_CHUNK];
	while (done < total) {
		size_t n = MIN(total - done, sizeof(buf));
		if (write)
			iov_to_buf(iov, iovcnt, done, buf, n);
		long got = mm_access_force(mm, addr + done, buf, n, write);
		if (got <= 0)
			break;
		if (!write)
			iov_from_buf(iov, iovcnt, done, buf, (size_t)got);
		done += (size_t)got;
		if ((size_t)got < n)
			break;            /* the next byte is out of reach */
	}
	mm_put(mm);
	return done ? (ssize_t)done : -EIO;
}

static ssize_t mem_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t off)
{
	return mem_rw(f, iov, iovcnt, off, false);
}

static ssize_t mem_write(struct file *f, const struct iovec *iov, int iovcnt, int64_t off)
{
	return mem_rw(f, iov, iovcnt, off, true);
}

static int64_t mem_llseek(struct file *f, int64_t off, int whence)
{
	pthread_mutex_lock(&f->io_lock);      /* what guards positions of unlocked files */
	int64_t rc;
	switch (whence) {
	case SEEK_SET:
		rc = f->pos = off;
		break;
	case SEEK_CUR:
		rc = f->pos = (int64_t)((uint64_t)f->pos + (uint64_t)off);
		break;
	default:
		rc = -EINVAL;
	}
	pthread_mutex_unlock(&f->io_lock);
	return rc;
}

static void mem_release(struct file *f)
{
	mm_drop(f->priv);
}

/* Unlocked: a copy takes the target's mm->lock, never under vfs_lock (see procfs.c). */
static const struct file_ops proc_mem_fops = {
	.read = mem_read,
	.write = mem_write,
	.llseek = mem_llseek,
	.release = mem_release,
	.unlocked = true,
	.unsigned_offset = true,
};

int proc_mem_open(struct proc_target *pt, struct file *f)
{
	struct task *cur = task_current();
	if (!cur || !pt->t)
		return -ESRCH;                /* a zombie has no address space (Linux: ESRCH) */
	struct mm *mm;
	int rc = task_mm_access(cur, pt->t, PTRACE_MODE_ATTACH_FSCREDS, &mm);
	if (rc)
		return rc;
	mm_grab(mm);
	mm_put(mm);
	f->fops = &proc_mem_fops;
	f->priv = mm;
	return 0;
}
