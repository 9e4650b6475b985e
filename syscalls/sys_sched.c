/* Scheduling and randomness: sched_getaffinity & co, sched_yield, getcpu, getrandom. */
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/random.h>
#include <sys/uio.h>
#include <unistd.h>
#include "sentry/mm.h"
#include "sentry/task.h"
#include "syscalls/table.h"

/* The guest sees CPUs 0..n-1, n being the host's online CPU count. */
static int guest_ncpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 && n <= 1024 ? (int)n : 1;
}

static bool pid_is_self(struct task *t, int pid)
{
	return pid == 0 || pid == t->tid || pid == t->tg->tgid;
}

/* sched_getaffinity(2): the raw syscall returns the size of the mask written. */
long sys_sched_getaffinity(struct task *t, const struct syscall_args *a)
{
	int pid = (int)a->arg[0];
	uint64_t len = a->arg[1];
	int n = guest_ncpus();
	size_t need = ((n + 63) / 64) * 8;
	if (len * 8 < (uint64_t)n || (len & 7))
		return -EINVAL;
	if (pid < 0)
		return -ESRCH;
	if (!pid_is_self(t, pid))
		return -ESRCH;
	uint8_t mask[128] = { 0 };
	for (int i = 0; i < n; i++)
		mask[i / 8] |= 1 << (i % 8);
	size_t out = MIN(len, need);
	return mm_copy_out(t->mm, gaddr(a->arg[2]), mask, out) ? -EFAULT : (long)out;
}

/* sched_setaffinity(2): validated; the sentry does its own placement. */
long sys_sched_setaffinity(struct task *t, const struct syscall_args *a)
{
	int pid = (int)a->arg[0];
	uint64_t len = a->arg[1];
	if (pid < 0 || !pid_is_self(t, pid))
		return -ESRCH;
	uint8_t mask[128] = { 0 };
	if (mm_copy_in(t->mm, mask, gaddr(a->arg[2]), MIN(len, sizeof(mask))))
		return -EFAULT;
	int n = guest_ncpus();
	for (int i = 0; i < n; i++)
		if (mask[i / 8] & (1 << (i % 8)))
			return 0;
	return -EINVAL;
}

/* sched_yield(2) */
long sys_sched_yield(struct task *t, const struct syscall_args *a)
{
	sched_yield();
	return 0;
}

/* getcpu(2): cpu, node, tcache (ignored). */
long sys_getcpu(struct task *t, const struct syscall_args *a)
{
	int c = sched_getcpu();
	uint32_t cpu = c >= 0 ? (uint32_t)c % guest_ncpus() : 0, node = 0;
	if (a->arg[0] && mm_copy_out(t->mm, gaddr(a->arg[0]), &cpu, 4))
		return -EFAULT;
	if (a->arg[1] && mm_copy_out(t->mm, gaddr(a->arg[1]), &node, 4))
		return -EFAULT;
	return 0;
}

#ifndef GRND_INSECURE
#define GRND_INSECURE 0x0004
#endif

/* getrandom(2): straight from the host's generator into guest memory. */
long sys_getrandom(struct task *t, const struct syscall_args *a)
{
	gaddr_t buf = gaddr(a->arg[0]);
	size_t len = a->arg[1];
	unsigned flags = (unsigned)a->arg[2];
	if (flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE))
		return -EINVAL;
	if ((flags & GRND_INSECURE) && (flags & GRND_RANDOM))
		return -EINVAL;
	if (len > GUEST_MAX_RW_COUNT)
		len = GUEST_MAX_RW_COUNT;
	size_t done = 0;
	while (done < len) {
		struct iovec iov[16];
		int n;
		long got = mm_translate(t->mm, gaddr_add(buf, done), len - done, true, iov, 16, &n);
		if (got < 0)
			return done ? (long)done : got;
		for (int i = 0; i < n; i++) {
			size_t off = 0;
			while (off < iov[i].iov_len) {
				ssize_t r = getrandom((char *)iov[i].iov_base + off, iov[i].iov_len - off, 0);
				if (r < 0) {
					if (errno == EINTR)
						continue;
					return done ? (long)done : -errno;
				}
				off += r;
			}
			done += iov[i].iov_len;
		}
	}
	return done;
}
