/*
 * Futexes. flags is the futex(2) op's flag bits: with FUTEX_PRIVATE_FLAG a
 * futex is keyed by (address space, address), without it by the backing
 * MemoryFile offset (so shared memory works across processes).
 */
#ifndef SENTRY_FUTEX_H
#define SENTRY_FUTEX_H

#include <time.h>
#include "sentry/types.h"

/*
 * Block t while the 32-bit word at addr equals val, until a wake matching
 * bitset or the absolute deadline (clock, NULL: none). Returns 0 when
 * woken, -EAGAIN if the word differed, -ETIMEDOUT, -EFAULT, -EINVAL.
 */
long futex_wait(struct task *t, gaddr_t addr, int flags, uint32_t val,
		const struct timespec *deadline, clockid_t clock, uint32_t bitset);

/* Wake up to n waiters on addr whose bitset intersects; the number woken or -errno. */
long futex_wake(struct task *t, gaddr_t addr, int flags, int n, uint32_t bitset);

/*
 * Wake up to nwake waiters on addr and move up to nmove others to addr2.
 * With cmp, first check that the word at addr equals val (-EAGAIN if not).
 * Returns woken + moved, or -errno.
 */
long futex_requeue(struct task *t, gaddr_t addr, gaddr_t addr2, int flags, int nwake, int nmove,
		   bool cmp, uint32_t val);

/* FUTEX_WAKE_OP; returns the number woken or -errno. */
long futex_wake_op(struct task *t, gaddr_t addr, gaddr_t addr2, int flags, int n, int n2,
		   uint32_t op);

#endif
