/*
 * process_vm_readv(2), process_vm_writev(2): copy between the caller's
 * memory and another process's, as Linux's mm/process_vm_access.c.
 *
 * The target's memory is reached through its MM (mm_access_remote: no
 * FOLL_FORCE, so a read needs PROT_READ and a write PROT_WRITE) and the
 * caller's through its own; the bytes pass through a buffer of the
 * sentry's, so no two MM locks are ever held at once (two processes
 * copying from each other cannot deadlock). The target's MM is held by a
 * reference for the whole call, as Linux's mm_access holds one: it stays
 * valid if the target exits meanwhile.
 */
#include <errno.h>
#include <stdlib.h>
#include "sentry/cred.h"
#include "sentry/mm.h"
#include "sentry/process.h"
#include "sentry/task.h"
#include "syscalls/table.h"

/* Linux's TASK_SIZE_MAX on x86-64 (4-level paging): access_ok's limit. */
#define USER_ADDR_MAX 0x7ffffffff000ULL
/* How much one step moves through the sentry's buffer. */
#define PVM_CHUNK (64 * 1024)

struct raw_iovec {
	uint64_t base, len;
};

/*
 * Linux's iovec_from_user: n (at most UIO_MAXIOV, else EINVAL) iovecs
 * copied in (EFAULT), each length at most SSIZE_MAX (EINVAL). *out is a
 * heap array (NULL when n is 0); 0 or -errno.
 */
static int iovecs_from_user(struct mm *mm, gaddr_t uvec, unsigned long n, struct raw_iovec **out)
{
	*out = NULL;
	if (n == 0)
		return 0;
	if (n > GUEST_UIO_MAXIOV)
		return -EINVAL;
	struct raw_iovec *v = malloc(n * sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (mm_copy_in(mm, v, uvec, n * sizeof(*v))) {
		free(v);
		return -EFAULT;
	}
	for (unsigned long i = 0; i < n; i++) {
		if ((int64_t)v[i].len < 0) {
			free(v);
			return -EINVAL;
		}
	}
	*out = v;
	return 0;
}

/* access_ok: [base, base+len) lies below the top of the user address space. */
static bool user_range_ok(uint64_t base, uint64_t len)
{
	return base + len >= base && base + len <= USER_ADDR_MAX;
}

/*
 * Linux's import_iovec for the caller's side: iovecs_from_user, then each
 * range must pass access_ok (EFAULT: checked before anything moves, unlike
 * the remote ranges), and the total is clamped to MAX_RW_COUNT. Returns
 * the total (lengths clamped in place) or -errno.
 */
static long import_local(struct mm *mm, gaddr_t uvec, unsigned n, struct raw_iovec **out)
{
	int rc = iovecs_from_user(mm, uvec, n, out);
	if (rc)
		return rc;
	struct raw_iovec *v = *out;
	uint64_t total = 0;
	for (unsigned i = 0; i < n; i++) {
		uint64_t len = v[i].len;
		/* One iovec is clamped before the check (import_ubuf), several after. */
		if (n == 1 && len > GUEST_MAX_RW_COUNT)
			len = GUEST_MAX_RW_COUNT;
		if (!user_range_ok(v[i].base, len)) {
			free(v);
			*out = NULL;
			return -EFAULT;
		}
		if (len > GUEST_MAX_RW_COUNT - total)
			len = GUEST_MAX_RW_COUNT - total;
		v[i].len = len;
		total += len;
	}
	return (long)total;
}

/* The caller's side of the copy: its iovecs and where the next byte goes. */
struct local_iter {
	struct mm *mm;
	struct raw_iovec *v;
	unsigned n, i;
	uint64_t off;                   /* into v[i] */
	uint64_t left;                  /* bytes left in all of them */
};

/*
 * Move up to len bytes between buf and the caller's memory at the
 * iterator (to_guest: into it). Returns the bytes moved; fewer than
 * min(len, left) means the caller's memory faulted there (the iterator
 * stays at the fault, as Linux's iov_iter does).
 */
static size_t local_copy(struct local_iter *it, uint8_t *buf, size_t len, bool to_guest)
{
	size_t done = 0;
	while (done < len && it->left) {
		struct raw_iovec *v = &it->v[it->i];
		if (it->off == v->len) {
			it->i++;
			it->off = 0;
			continue;
		}
		size_t k = MIN(len - done, v->len - it->off);
		gaddr_t a = gaddr(v->base + it->off);
		size_t got = mm_copy_partial(it->mm, a, buf + done, k, to_guest);
		done += got;
		it->off += got;
		it->left -= got;
		if (got < k)
			break;
	}
	return done;
}

/*
 * One remote iovec, as Linux's process_vm_rw_single_vec: its bytes move
 * in order until it ends, the caller's iovecs are full (or empty), or
 * either side faults. *copied grows by what reached its destination.
 * 0, or -EFAULT when a fault stopped it.
 */
static int copy_one_remote(struct mm *remote, uint64_t addr, uint64_t len, struct local_iter *it,
			   uint8_t *buf, bool write, uint64_t *copied)
{
	while (len && it->left) {
		size_t want = MIN(MIN(len, it->left), PVM_CHUNK);
		size_t n;
		if (write) {
			/* Linux pins the remote pages first, then reads the caller's bytes into them. */
			size_t have = local_copy(it, buf, want, false);
			n = mm_access_remote(remote, addr, buf, have, true);
			*copied += n;
			if (n < want)
				return -EFAULT;
		} else {
			size_t got = mm_access_remote(remote, addr, buf, want, false);
			n = local_copy(it, buf, got, true);
			*copied += n;
			if (n < want)
				return -EFAULT;
		}
		addr += n;
		len -= n;
	}
	return 0;
}

static long process_vm_rw(struct task *t, const struct syscall_args *a, bool write)
{
	/* The raw ABI: pid_t, then unsigned longs; import_iovec takes the local count as unsigned. */
	int pid = (int)a->arg[0];
	gaddr_t lvec = gaddr(a->arg[1]);
	unsigned liovcnt = (unsigned)a->arg[2];
	gaddr_t rvec = gaddr(a->arg[3]);
	unsigned long riovcnt = a->arg[4];
	unsigned long flags = a->arg[5];

	if (flags != 0)
		return -EINVAL;
	struct raw_iovec *lv, *rv = NULL;
	long total = import_local(t->mm, lvec, liovcnt, &lv);
	if (total <= 0) {
		free(lv);
		return total;           /* nothing to move: 0 before the pid is even looked at */
	}
	long rc = iovecs_from_user(t->mm, rvec, riovcnt, &rv);
	if (rc)
		goto out;
	/* No remote byte at all: 0, again before the pid is looked at. */
	bool any = false;
	for (unsigned long i = 0; i < riovcnt; i++)
		any |= rv[i].len != 0;
	if (!any)
		goto out;

	rc = -ESRCH;
	struct task *target = pid > 0 ? task_lookup(pid) : NULL;
	if (!target)
		goto out;
	/* Linux's mm_access: one's own MM (a CLONE_VM sibling too) needs no permission. */
	struct mm *remote = task_get_mm(target);
	if (remote && remote != t->mm &&
	    task_ptrace_may_access(t, target, PTRACE_MODE_ATTACH_REALCREDS)) {
		rc = -EPERM;
	} else if (remote) {
		uint8_t *buf = malloc(MIN((uint64_t)total, PVM_CHUNK));
		if (!buf) {
			rc = -ENOMEM;
		} else {
			struct local_iter it = { t->mm, lv, liovcnt, 0, 0, (uint64_t)total };
			uint64_t copied = 0;
			int err = 0;
			for (unsigned long i = 0; i < riovcnt && it.left && !err; i++)
				err = copy_one_remote(remote, rv[i].base, rv[i].len, &it, buf, write,
						      &copied);
			free(buf);
			/* Any bytes moved are the result; the error only when none did. */
			rc = copied ? (long)copied : err;
		}
	}
	mm_put(remote);
	task_put(target);
out:
	free(lv);
	free(rv);
	return rc;
}

/* process_vm_readv(2): from the target's (remote) ranges into the caller's (local) ones. */
long sys_process_vm_readv(struct task *t, const struct syscall_args *a)
{
	return process_vm_rw(t, a, false);
}

/* process_vm_writev(2): from the caller's ranges into the target's. */
long sys_process_vm_writev(struct task *t, const struct syscall_args *a)
{
	return process_vm_rw(t, a, true);
}
