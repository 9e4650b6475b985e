/*
 * poll, ppoll, select, pselect6, with Linux's fs/select.c semantics.
 *
 * Every call copies its arguments in once, validates them in Linux's
 * order, then runs one engine (poll_run): a first pass that asks each file
 * for its ready mask (vfs_poll) and links one waiter on every file's wait
 * queue, then sleeps in waiter_wait (woken by the files, a signal, or the
 * deadline) and re-scans without re-linking. The file references taken
 * in the first pass are kept until the end: a waiter is never linked on
 * the queue of a file that may be freed. (So an fd closed by another
 * thread during the wait keeps being polled as the file it was; Linux
 * would report POLLNVAL/nothing for it on its next pass.)
 *
 * Interrupted calls return -ERESTARTNOHAND (Linux: poll with a timeout
 * uses a restart block that resumes with the time left; ours restarts
 * with the original timeout when no handler runs). select/pselect6/ppoll
 * write the time left back first, as Linux, so their restarts resume.
 */
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include "sentry/waitq.h"
#include "syscalls/sys_fs_util.h"

#define POLLIN_SET (POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR)
#define POLLOUT_SET (POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR)
#define POLLEX_SET (POLLPRI)

#define SIG_UNBLOCKABLE ((1ULL << (SIGKILL - 1)) | (1ULL << (SIGSTOP - 1)))
#define NSEC_PER_SEC 1000000000LL

/* The guest's struct timespec / struct timeval (x86-64). */
struct guest_ts {
	int64_t sec, nsec;
};

/* ---- timeouts ---- */

/* A call's timeout: none (infinite), zero (one pass), or an absolute deadline. */
struct poll_timeout {
	bool infinite;
	bool zero;
	struct timespec deadline;      /* CLOCK_MONOTONIC */
};

/* Linux's poll_select_set_timeout: -EINVAL unless 0 <= nsec < 1e9 and sec >= 0. */
static int timeout_set(struct poll_timeout *to, int64_t sec, int64_t nsec)
{
	if (sec < 0 || nsec < 0 || nsec >= NSEC_PER_SEC)
		return -EINVAL;
	to->infinite = false;
	to->zero = !sec && !nsec;
	if (!to->zero) {
		uint64_t ns = (uint64_t)sec > UINT64_MAX / NSEC_PER_SEC / 2
				      ? UINT64_MAX / 2
				      : (uint64_t)sec * NSEC_PER_SEC + (uint64_t)nsec;
		to->deadline = waitq_deadline_after(ns);
	}
	return 0;
}

/* Time left until the deadline (zero once it passed). */
static struct guest_ts timeout_left(const struct poll_timeout *to)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	int64_t sec = to->deadline.tv_sec - now.tv_sec;
	int64_t nsec = to->deadline.tv_nsec - now.tv_nsec;
	if (nsec < 0) {
		nsec += NSEC_PER_SEC;
		sec--;
	}
	if (sec < 0)
		sec = nsec = 0;
	return (struct guest_ts){ sec, nsec };
}

/*
 * Linux's poll_select_finish: write the time left back to the guest's
 * timespec (or timeval) unless the timeout was infinite or zero. A guest
 * whose timeout is read-only gets no update and no restart (-EINTR).
 */
static long timeout_finish(struct task *t, const struct poll_timeout *to, uint64_t uaddr,
			   bool timeval, long ret)
{
	if (!uaddr || to->infinite || to->zero)
		return ret;
	struct guest_ts left = timeout_left(to);
	if (timeval)
		left.nsec /= 1000;
	if (mm_copy_out(t->mm, gaddr(uaddr), &left, sizeof(left)) == 0)
		return ret;
	return ret == -ERESTARTNOHAND ? -EINTR : ret;
}

/* ---- temporary signal masks (ppoll, pselect6) ---- */

/* Linux's set_user_sigmask: install mask until the call ends (or a handler runs). */
static int sigmask_set(struct task *t, uint64_t umask, uint64_t size)
{
	if (!umask)
		return 0;
	if (size != 8)
		return -EINVAL;
	uint64_t mask;
	if (mm_copy_in(t->mm, &mask, gaddr(umask), sizeof(mask)))
		return -EFAULT;
	t->saved_sigmask = t->sigmask;
	t->has_saved_sigmask = true;
	t->sigmask = mask & ~SIG_UNBLOCKABLE;
	return 0;
}

/*
 * Linux's restore_saved_sigmask_unless(ret == -ERESTARTNOHAND): when a
 * signal interrupted the call, the temporary mask stays until it is
 * delivered (the frame then restores the saved one).
 */
static void sigmask_finish(struct task *t, uint64_t umask, long ret)
{
	if (!umask || ret == -ERESTARTNOHAND || !t->has_saved_sigmask)
		return;
	t->sigmask = t->saved_sigmask;
	t->has_saved_sigmask = false;
}

/* ---- the engine ---- */

/* One pass over the call's fds; w non-NULL on the first pass only. Ready count or -errno. */
typedef long (*poll_scan_fn)(struct task *t, void *ctx, struct waiter *w);

static long poll_run(struct task *t, poll_scan_fn scan, void *ctx, const struct poll_timeout *to)
{
	if (to->zero)
		return scan(t, ctx, NULL);
	struct waiter w;
	waiter_init(&w);
	long n = scan(t, ctx, &w);
	while (n == 0) {
		int rc = waiter_wait(&w, to->infinite ? NULL : &to->deadline);
		if (rc == -EINTR) {
			n = -ERESTARTNOHAND;
			break;
		}
		waiter_reset(&w);
		n = scan(t, ctx, NULL);
		if (rc == -ETIMEDOUT)
			break;         /* Linux also scans once more after the timeout */
	}
	waiter_destroy(&w);
	return n;
}

/* ---- poll, ppoll ---- */

struct poll_ctx {
	struct pollfd *fds;
	struct file **files;           /* references from the first pass */
	unsigned nfds;
	bool looked_up;
};

static long poll_scan(struct task *t, void *ctx, struct waiter *w)
{
	struct poll_ctx *c = ctx;
	long count = 0;
	for (unsigned i = 0; i < c->nfds; i++) {
		struct pollfd *p = &c->fds[i];
		p->revents = 0;
		if (p->fd < 0)
			continue;
		if (!c->looked_up)
			c->files[i] = fdt_get_file(t->files, p->fd);
		uint32_t mask = c->files[i] ? vfs_poll(c->files[i], w) : POLLNVAL;
		/* POLLERR and POLLHUP are always reported; POLLNVAL too. */
		mask &= (uint16_t)p->events | POLLERR | POLLHUP | POLLNVAL;
		p->revents = (short)mask;
		if (mask)
			count++;
	}
	c->looked_up = true;
	return count;
}

/* Linux's do_sys_poll: after the nfds check, copy in, poll, write revents back. */
static long do_poll(struct task *t, uint64_t ufds, unsigned nfds, const struct poll_timeout *to)
{
	if (nfds > t->tg->rlimits[RLIMIT_NOFILE].rlim_cur)
		return -EINVAL;
	struct poll_ctx c = { .nfds = nfds };
	c.fds = calloc(nfds ? nfds : 1, sizeof(*c.fds));
	c.files = calloc(nfds ? nfds : 1, sizeof(*c.files));
	long ret;
	if (!c.fds || !c.files) {
		ret = -ENOMEM;
		goto out;
	}
	if (nfds && mm_copy_in(t->mm, c.fds, gaddr(ufds), (size_t)nfds * sizeof(*c.fds))) {
		ret = -EFAULT;
		goto out;
	}
	ret = poll_run(t, poll_scan, &c, to);
	/* Linux writes every revents back, even when interrupted. */
	for (unsigned i = 0; i < nfds; i++) {
		uint64_t at = ufds + (uint64_t)i * sizeof(struct pollfd) +
			      offsetof(struct pollfd, revents);
		if (mm_copy_out(t->mm, gaddr(at), &c.fds[i].revents, sizeof(short))) {
			ret = -EFAULT;
			break;
		}
	}
out:
	if (c.files)
		for (unsigned i = 0; i < nfds; i++)
			if (c.files[i])
				file_put(c.files[i]);
	free(c.files);
	free(c.fds);
	return ret;
}

/* poll(2): a negative timeout waits forever. */
long sys_poll(struct task *t, const struct syscall_args *a)
{
	uint64_t ufds = a->arg[0];
	unsigned nfds = (unsigned)a->arg[1];
	int timeout_ms = (int)a->arg[2];
	struct poll_timeout to = { .infinite = true };
	if (timeout_ms >= 0)
		timeout_set(&to, timeout_ms / 1000, (int64_t)(timeout_ms % 1000) * 1000000);
	return do_poll(t, ufds, nfds, &to);
}

/* ppoll(2): raw ABI (fds, nfds, tsp, sigmask, sigsetsize); tsp is updated. */
long sys_ppoll(struct task *t, const struct syscall_args *a)
{
	uint64_t ufds = a->arg[0];
	unsigned nfds = (unsigned)a->arg[1];
	uint64_t utsp = a->arg[2];
	uint64_t umask = a->arg[3];
	uint64_t sigsetsize = a->arg[4];
	struct poll_timeout to = { .infinite = true };
	if (utsp) {
		struct guest_ts ts;
		if (mm_copy_in(t->mm, &ts, gaddr(utsp), sizeof(ts)))
			return -EFAULT;
		int rc = timeout_set(&to, ts.sec, ts.nsec);
		if (rc)
			return rc;
	}
	int rc = sigmask_set(t, umask, sigsetsize);
	if (rc)
		return rc;
	long ret = do_poll(t, ufds, nfds, &to);
	sigmask_finish(t, umask, ret);
	return timeout_finish(t, &to, utsp, false, ret);
}

/* ---- select, pselect6 ---- */

struct select_ctx {
	int n;
	uint64_t *in, *out, *ex;       /* the guest's sets (zero if NULL) */
	uint64_t *rin, *rout, *rex;    /* results */
	struct file **files;           /* n entries, references from the first pass */
	bool looked_up;
};

static bool bit_test(const uint64_t *s, int i)
{
	return (s[i / 64] >> (i % 64)) & 1;
}

static void bit_set(uint64_t *s, int i)
{
	s[i / 64] |= 1ULL << (i % 64);
}

/* Linux's max_select_fd: every fd named in a set must be open (else -EBADF). */
static int select_lookup(struct task *t, struct select_ctx *c)
{
	for (int i = 0; i < c->n; i++) {
		if (!bit_test(c->in, i) && !bit_test(c->out, i) && !bit_test(c->ex, i))
			continue;
		c->files[i] = fdt_get_file(t->files, i);
		if (!c->files[i])
			return -EBADF;
	}
	c->looked_up = true;
	return 0;
}

static long select_scan(struct task *t, void *ctx, struct waiter *w)
{
	struct select_ctx *c = ctx;
	size_t words = ((size_t)c->n + 63) / 64;
	memset(c->rin, 0, words * 8);
	memset(c->rout, 0, words * 8);
	memset(c->rex, 0, words * 8);
	long count = 0;
	for (int i = 0; i < c->n; i++) {
		if (!c->files[i])
			continue;
		uint32_t mask = vfs_poll(c->files[i], w);
		if (mask & POLLNVAL)
			mask = 0;      /* O_PATH: open but never ready (Linux 6.x) */
		if (bit_test(c->in, i) && (mask & POLLIN_SET)) {
			bit_set(c->rin, i);
			count++;
		}
		if (bit_test(c->out, i) && (mask & POLLOUT_SET)) {
			bit_set(c->rout, i);
			count++;
		}
		if (bit_test(c->ex, i) && (mask & POLLEX_SET)) {
			bit_set(c->rex, i);
			count++;
		}
	}
	return count;
}

/* Linux's core_sys_select, after the timeout has been read. */
static long do_select(struct task *t, int n, uint64_t uin, uint64_t uout, uint64_t uex,
		      const struct poll_timeout *to)
{
	if (n < 0)
		return -EINVAL;
	/* Linux caps nfds at the fd table's size, never fails for a large one. */
	int cap = fdt_capacity(t->files);
	if (n > cap)
		n = cap;
	size_t words = ((size_t)n + 63) / 64;
	struct select_ctx c = { .n = n };
	uint64_t *sets = calloc(6 * (words ? words : 1), 8);
	c.files = calloc(n ? n : 1, sizeof(*c.files));
	long ret;
	if (!sets || !c.files) {
		ret = -ENOMEM;
		goto out;
	}
	size_t w1 = words ? words : 1;
	c.in = sets;
	c.out = sets + w1;
	c.ex = sets + 2 * w1;
	c.rin = sets + 3 * w1;
	c.rout = sets + 4 * w1;
	c.rex = sets + 5 * w1;
	size_t bytes = words * 8;
	if ((uin && mm_copy_in(t->mm, c.in, gaddr(uin), bytes)) ||
	    (uout && mm_copy_in(t->mm, c.out, gaddr(uout), bytes)) ||
	    (uex && mm_copy_in(t->mm, c.ex, gaddr(uex), bytes))) {
		ret = -EFAULT;
		goto out;
	}
	ret = select_lookup(t, &c);
	if (ret)
		goto out;
	ret = poll_run(t, select_scan, &c, to);
	if (ret < 0)
		goto out;      /* the sets are left as they were */
	if ((uin && mm_copy_out(t->mm, gaddr(uin), c.rin, bytes)) ||
	    (uout && mm_copy_out(t->mm, gaddr(uout), c.rout, bytes)) ||
	    (uex && mm_copy_out(t->mm, gaddr(uex), c.rex, bytes)))
		ret = -EFAULT;
out:
	if (c.files)
		for (int i = 0; i < n; i++)
			if (c.files[i])
				file_put(c.files[i]);
	free(c.files);
	free(sets);
	return ret;
}

/* select(2): the timeval is normalised as Linux does, and updated with the time left. */
long sys_select(struct task *t, const struct syscall_args *a)
{
	int n = (int)a->arg[0];
	uint64_t uin = a->arg[1], uout = a->arg[2], uex = a->arg[3];
	uint64_t utv = a->arg[4];
	struct poll_timeout to = { .infinite = true };
	if (utv) {
		struct guest_ts tv;    /* tv_sec, tv_usec */
		if (mm_copy_in(t->mm, &tv, gaddr(utv), sizeof(tv)))
			return -EFAULT;
		/* Linux: sec + usec / 1e6, (usec % 1e6) * 1000; a negative part is EINVAL. */
		int rc = timeout_set(&to, tv.sec + tv.nsec / 1000000, (tv.nsec % 1000000) * 1000);
		if (rc)
			return rc;
	}
	long ret = do_select(t, n, uin, uout, uex, &to);
	return timeout_finish(t, &to, utv, true, ret);
}

/*
 * pselect6(2): the raw ABI's sixth argument points to a pair
 * { const sigset_t *ss; size_t ss_len; } (glibc builds it).
 */
long sys_pselect6(struct task *t, const struct syscall_args *a)
{
	int n = (int)a->arg[0];
	uint64_t uin = a->arg[1], uout = a->arg[2], uex = a->arg[3];
	uint64_t utsp = a->arg[4];
	uint64_t usig = a->arg[5];
	struct {
		uint64_t ss;
		uint64_t ss_len;
	} pack = { 0, 0 };
	if (usig && mm_copy_in(t->mm, &pack, gaddr(usig), sizeof(pack)))
		return -EFAULT;
	struct poll_timeout to = { .infinite = true };
	if (utsp) {
		struct guest_ts ts;
		if (mm_copy_in(t->mm, &ts, gaddr(utsp), sizeof(ts)))
			return -EFAULT;
		int rc = timeout_set(&to, ts.sec, ts.nsec);
		if (rc)
			return rc;
	}
	int rc = sigmask_set(t, pack.ss, pack.ss_len);
	if (rc)
		return rc;
	long ret = do_select(t, n, uin, uout, uex, &to);
	sigmask_finish(t, pack.ss, ret);
	return timeout_finish(t, &to, utsp, false, ret);
}
