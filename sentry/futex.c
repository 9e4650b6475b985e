/*
 * Futexes. As Linux, a futex is named by a key: a FUTEX_PRIVATE_FLAG
 * operation by (address space, virtual address), so that a private wake
 * never reaches another process even on shared memory; a shared one by the
 * backing object and offset, which for us is the MemoryFile offset behind
 * the address (MAP_SHARED memory and tmpfs pages are the same offset in
 * every process; private memory has its own pages, copy-on-write broken
 * first). The two kinds never match each other, as in Linux. Waiters sit
 * in a hashed table of lists, each with its own condition variable.
 *
 * Lock order: task->sleep_lock, then a bucket lock, then mm->lock (taken
 * inside mm_futex_*). A waiter registers its condition on the task so that
 * a signal wakes it (task_wake_locked takes sleep_lock, then the bucket).
 */
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdlib.h>
#include "sentry/futex.h"
#include "sentry/mm_internal.h"
#include "sentry/signal.h"
#include "sentry/task.h"

#define NBUCKETS 256

/* space: the mm of a private futex, 0 for a shared one; where: the address or offset. */
struct futex_key {
	uintptr_t space;
	uint64_t where;
};

struct waiter {
	struct futex_key key;
	uint32_t bitset;
	bool woken;
	pthread_cond_t cond;
	struct waiter *next, *prev;
};

struct bucket {
	pthread_mutex_t lock;
	struct waiter head;    /* circular list sentinel */
};

static struct bucket buckets[NBUCKETS];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init_buckets(void)
{
	for (int i = 0; i < NBUCKETS; i++) {
		pthread_mutex_init(&buckets[i].lock, NULL);
		buckets[i].head.next = buckets[i].head.prev = &buckets[i].head;
	}
}

static struct bucket *bucket_of(struct futex_key key)
{
	pthread_once(&once, init_buckets);
	uint64_t h = ((key.where >> 2) ^ (key.space >> 4)) * 0x9E3779B97F4A7C15ULL;
	return &buckets[h >> 56];
}

static bool key_eq(struct futex_key a, struct futex_key b)
{
	return a.space == b.space && a.where == b.where;
}

static void list_add(struct bucket *b, struct waiter *w)
{
	w->next = &b->head;
	w->prev = b->head.prev;
	b->head.prev->next = w;
	b->head.prev = w;
}

static void list_del(struct waiter *w)
{
	w->prev->next = w->next;
	w->next->prev = w->prev;
	w->next = w->prev = w;
}

/*
 * The key (private: FUTEX_PRIVATE_FLAG in flags) and a host pointer to the
 * word; -EINVAL if misaligned, -EFAULT if unmapped.
 */
static int futex_key(struct task *t, gaddr_t addr, int flags, struct futex_key *key,
		     uint32_t **word)
{
	if (addr.v & 3)
		return -EINVAL;
	uint64_t off;
	int rc = mm_futex_key(t->mm, addr, &off, (void **)word);
	if (rc)
		return rc;
	if (flags & FUTEX_PRIVATE_FLAG)
		*key = (struct futex_key){ (uintptr_t)t->mm, addr.v };
	else
		*key = (struct futex_key){ 0, off };
	return 0;
}

long futex_wait(struct task *t, gaddr_t addr, int flags, uint32_t val,
		const struct timespec *deadline, clockid_t clock, uint32_t bitset)
{
	if (!bitset)
		return -EINVAL;
	struct futex_key key;
	uint32_t *word;
	int rc = futex_key(t, addr, flags, &key, &word);
	if (rc)
		return rc;
	struct bucket *b = bucket_of(key);
	struct waiter w = { .key = key, .bitset = bitset };
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, clock == CLOCK_REALTIME ? CLOCK_REALTIME : CLOCK_MONOTONIC);
	pthread_cond_init(&w.cond, &ca);
	pthread_condattr_destroy(&ca);
	/* Let a signal wake us: registered before the bucket lock (lock order). */
	pthread_mutex_lock(&t->sleep_lock);
	t->wait_cond = &w.cond;
	t->wait_mutex = &b->lock;
	pthread_mutex_unlock(&t->sleep_lock);
	pthread_mutex_lock(&b->lock);
	/* Compare under the bucket lock: a waker changes the word, then takes the lock. */
	if (__atomic_load_n(word, __ATOMIC_SEQ_CST) != val) {
		pthread_mutex_unlock(&b->lock);
		rc = -EAGAIN;
		goto out;
	}
	list_add(b, &w);
	rc = 0;
	while (!w.woken) {
		if (signal_pending(t)) {
			rc = deadline ? -ERESTART_RESTARTBLOCK : -ERESTARTSYS;
			if (deadline) {
				/* restart_syscall(2) waits on to the same deadline. */
				t->restart_block.kind = RESTART_FUTEX;
				t->restart_block.end = *deadline;
				t->restart_block.clock = clock;
				t->restart_block.uaddr = addr.v;
				t->restart_block.flags = flags;
				t->restart_block.val = val;
				t->restart_block.bitset = bitset;
			}
			break;
		}
		int e = deadline ? pthread_cond_timedwait(&w.cond, &b->lock, deadline)
				 : pthread_cond_wait(&w.cond, &b->lock);
		if (e == ETIMEDOUT && !w.woken) {
			rc = -ETIMEDOUT;
			break;
		}
	}
	if (!w.woken)
		list_del(&w);
	else
		rc = 0;
	pthread_mutex_unlock(&b->lock);
out:
	pthread_mutex_lock(&t->sleep_lock);
	t->wait_cond = NULL;
	t->wait_mutex = NULL;
	pthread_mutex_unlock(&t->sleep_lock);
	pthread_cond_destroy(&w.cond);
	return rc;
}

static int wake_locked(struct bucket *b, struct futex_key key, int n, uint32_t bitset)
{
	int woken = 0;
	for (struct waiter *w = b->head.next; w != &b->head && woken < n;) {
		struct waiter *next = w->next;
		if (key_eq(w->key, key) && (w->bitset & bitset)) {
			list_del(w);
			w->woken = true;
			pthread_cond_signal(&w->cond);
			woken++;
		}
		w = next;
	}
	return woken;
}

long futex_wake(struct task *t, gaddr_t addr, int flags, int n, uint32_t bitset)
{
	if (!bitset)
		return -EINVAL;
	struct futex_key key;
	uint32_t *word;
	int rc = futex_key(t, addr, flags, &key, &word);
	if (rc)
		return rc;
	if (n <= 0)
		return 0;
	struct bucket *b = bucket_of(key);
	pthread_mutex_lock(&b->lock);
	int woken = wake_locked(b, key, n, bitset);
	pthread_mutex_unlock(&b->lock);
	return woken;
}

static void lock_two(struct bucket *a, struct bucket *b)
{
	if (a == b) {
		pthread_mutex_lock(&a->lock);
	} else if (a < b) {
		pthread_mutex_lock(&a->lock);
		pthread_mutex_lock(&b->lock);
	} else {
		pthread_mutex_lock(&b->lock);
		pthread_mutex_lock(&a->lock);
	}
}

static void unlock_two(struct bucket *a, struct bucket *b)
{
	pthread_mutex_unlock(&a->lock);
	if (a != b)
		pthread_mutex_unlock(&b->lock);
}

long futex_requeue(struct task *t, gaddr_t addr, gaddr_t addr2, int flags, int nwake, int nmove,
		   bool cmp, uint32_t val)
{
	if (nwake < 0 || nmove < 0)
		return -EINVAL;
	struct futex_key k1, k2;
	uint32_t *w1, *w2;
	int rc = futex_key(t, addr, flags, &k1, &w1);
	if (!rc)
		rc = futex_key(t, addr2, flags, &k2, &w2);
	if (rc)
		return rc;
	struct bucket *b1 = bucket_of(k1), *b2 = bucket_of(k2);
	lock_two(b1, b2);
	if (cmp && __atomic_load_n(w1, __ATOMIC_SEQ_CST) != val) {
		unlock_two(b1, b2);
		return -EAGAIN;
	}
	int done = wake_locked(b1, k1, nwake, ~0U);
	int moved = 0;
	for (struct waiter *w = b1->head.next; w != &b1->head && moved < nmove;) {
		struct waiter *next = w->next;
		if (key_eq(w->key, k1)) {
			list_del(w);
			w->key = k2;
			list_add(b2, w);
			moved++;
		}
		w = next;
	}
	unlock_two(b1, b2);
	return done + moved;
}

long futex_wake_op(struct task *t, gaddr_t addr, gaddr_t addr2, int flags, int n, int n2,
		   uint32_t op)
{
	struct futex_key k1, k2;
	uint32_t *w1, *w2;
	int rc = futex_key(t, addr, flags, &k1, &w1);
	if (!rc)
		rc = futex_key(t, addr2, flags, &k2, &w2);
	if (rc)
		return rc;
	int opcode = (op >> 28) & 7, cmpop = (op >> 24) & 15;
	uint32_t oparg = (op >> 12) & 0xfff, cmparg = op & 0xfff;
	if (op & (8U << 28))
		oparg = oparg < 32 ? 1U << oparg : 0;
	if (opcode > 4 || cmpop > 5)
		return -ENOSYS;
	struct bucket *b1 = bucket_of(k1), *b2 = bucket_of(k2);
	lock_two(b1, b2);
	uint32_t old = __atomic_load_n(w2, __ATOMIC_SEQ_CST), nv;
	do {
		switch (opcode) {
		case 0: nv = oparg; break;
		case 1: nv = old + oparg; break;
		case 2: nv = old | oparg; break;
		case 3: nv = old & ~oparg; break;
		default: nv = old ^ oparg; break;
		}
	} while (!__atomic_compare_exchange_n(w2, &old, nv, false, __ATOMIC_SEQ_CST,
					      __ATOMIC_SEQ_CST));
	int woken = wake_locked(b1, k1, n, ~0U);
	bool hit;
	switch (cmpop) {
	case 0: hit = old == cmparg; break;
	case 1: hit = old != cmparg; break;
	case 2: hit = (int)old < (int)cmparg; break;
	case 3: hit = (int)old <= (int)cmparg; break;
	case 4: hit = (int)old > (int)cmparg; break;
	default: hit = (int)old >= (int)cmparg; break;
	}
	if (hit)
		woken += wake_locked(b2, k2, n2, ~0U);
	unlock_two(b1, b2);
	return woken;
}
