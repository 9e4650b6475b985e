/* futex: WAIT value mismatch (EAGAIN), relative and absolute timeouts
 * (ETIMEDOUT), WAKE counts, REQUEUE and CMP_REQUEUE, WAKE_OP, the bitset
 * variants, argument errors, and a shared futex between a parent and a
 * forked child in MAP_SHARED|MAP_ANONYMOUS memory (which a private wake from
 * the other process does not reach). Waiters are threads that are given
 * 100 ms to block before they are woken. */
#include "conformance.h"
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sys/mman.h>
#include <time.h>

static long futex(void *uaddr, int op, unsigned val, const struct timespec *ts, void *uaddr2, unsigned val3)
{
	return syscall(SYS_futex, uaddr, op, val, ts, uaddr2, val3);
}

static int f1, f2;
static volatile int woken;

struct waiter {
	int *addr;
	int op;
	unsigned bitset;
	long ret;
	int err;
	pthread_t th;
};

static void *wait_thread(void *arg)
{
	struct waiter *w = arg;
	struct timespec ts = { 2, 0 };
	if (w->op == FUTEX_WAIT_BITSET_PRIVATE) {
		/* absolute: 2 s from now */
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += 2;
	}
	w->ret = futex(w->addr, w->op, 0, &ts, NULL, w->bitset);
	w->err = errno;
	__atomic_add_fetch(&woken, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void start(struct waiter *w, int *addr, int op, unsigned bitset)
{
	w->addr = addr;
	w->op = op;
	w->bitset = bitset;
	w->ret = -2;
	pthread_create(&w->th, NULL, wait_thread, w);
}

static int joined_ok(struct waiter *w, int n)
{
	int ok = 1;
	for (int i = 0; i < n; i++) {
		pthread_join(w[i].th, NULL);
		ok &= w[i].ret == 0;
	}
	return ok;
}

int main(void)
{
	struct timespec ts = { 0, 20000000 };
	int v = 5;

	CHECK_ERR(futex(&v, FUTEX_WAIT_PRIVATE, 4, NULL, NULL, 0), EAGAIN, "wait_mismatch_eagain");
	CHECK_ERR(futex(&v, FUTEX_WAIT, 4, NULL, NULL, 0), EAGAIN, "wait_shared_mismatch_eagain");
	CHECK_ERR(futex(&v, FUTEX_WAIT_PRIVATE, 5, &ts, NULL, 0), ETIMEDOUT, "wait_relative_timeout");
	struct timespec abs;
	clock_gettime(CLOCK_MONOTONIC, &abs);
	abs.tv_nsec += 20000000;
	if (abs.tv_nsec >= 1000000000) {
		abs.tv_sec++;
		abs.tv_nsec -= 1000000000;
	}
	CHECK_ERR(futex(&v, FUTEX_WAIT_BITSET_PRIVATE, 5, &abs, NULL, FUTEX_BITSET_MATCH_ANY), ETIMEDOUT,
		  "wait_bitset_absolute_timeout");
	clock_gettime(CLOCK_REALTIME, &abs);
	abs.tv_nsec = 0; /* in the past */
	CHECK_ERR(futex(&v, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 5, &abs, NULL, FUTEX_BITSET_MATCH_ANY),
		  ETIMEDOUT, "wait_bitset_realtime_past_timeout");
	CHECK_EQ(futex(&v, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), 0, "wake_no_waiters_0");

	/* Errors. */
	char buf[8] __attribute__((aligned(4)));
	CHECK_ERR(futex(buf + 1, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0), EINVAL, "wait_misaligned_einval");
	CHECK_ERR(futex(buf + 2, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), EINVAL, "wake_misaligned_einval");
	CHECK_ERR(futex(&v, FUTEX_WAIT_BITSET_PRIVATE, 5, &ts, NULL, 0), EINVAL, "wait_bitset_zero_einval");
	CHECK_ERR(futex(&v, FUTEX_WAKE_BITSET_PRIVATE, 1, NULL, NULL, 0), EINVAL, "wake_bitset_zero_einval");
	struct timespec badts = { 0, 1000000000 };
	CHECK_ERR(futex(&v, FUTEX_WAIT_PRIVATE, 5, &badts, NULL, 0), EINVAL, "wait_bad_timeout_einval");
	CHECK_ERR(futex(&v, 99, 0, NULL, NULL, 0), ENOSYS, "unknown_op_enosys");
	CHECK_ERR(futex(BAD_PTR, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0), EFAULT, "wait_bad_address_efault");
	CHECK_ERR(futex(&v, FUTEX_WAIT_PRIVATE | FUTEX_CLOCK_REALTIME, 5, &ts, NULL, 0), ENOSYS,
		  "wait_clock_realtime_enosys");

	/* WAKE counts: 3 waiters, wake 2, then the rest. */
	struct waiter w[3];
	f1 = 0;
	woken = 0;
	for (int i = 0; i < 3; i++)
		start(&w[i], &f1, FUTEX_WAIT_PRIVATE, 0);
	conf_msleep(100);
	CHECK_EQ(futex(&f1, FUTEX_WAKE_PRIVATE, 2, NULL, NULL, 0), 2, "wake_2_of_3");
	conf_msleep(50);
	CHECK_EQ(woken, 2, "two_woken");
	CHECK_EQ(futex(&f1, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0), 1, "wake_rest_1");
	CHECK(joined_ok(w, 3), "woken_waiters_return_0");

	/* REQUEUE: wake 1, move the rest to f2. */
	f1 = f2 = 0;
	for (int i = 0; i < 3; i++)
		start(&w[i], &f1, FUTEX_WAIT_PRIVATE, 0);
	conf_msleep(100);
	CHECK_EQ(futex(&f1, FUTEX_REQUEUE_PRIVATE, 1, (void *)(long)INT_MAX, &f2, 0), 3, "requeue_returns_woken_plus_moved");
	CHECK_EQ(futex(&f1, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0), 0, "requeue_left_none_on_f1");
	CHECK_EQ(futex(&f2, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0), 2, "requeue_moved_two_to_f2");
	CHECK(joined_ok(w, 3), "requeued_waiters_return_0");

	/* CMP_REQUEUE: mismatch -> EAGAIN; match wakes 0 and moves 1 of 2. */
	f1 = f2 = 0;
	for (int i = 0; i < 2; i++)
		start(&w[i], &f1, FUTEX_WAIT_PRIVATE, 0);
	conf_msleep(100);
	CHECK_ERR(futex(&f1, FUTEX_CMP_REQUEUE_PRIVATE, 0, (void *)1L, &f2, 7), EAGAIN, "cmp_requeue_mismatch_eagain");
	CHECK_EQ(futex(&f1, FUTEX_CMP_REQUEUE_PRIVATE, 0, (void *)1L, &f2, 0), 1, "cmp_requeue_moves_one");
	CHECK_EQ(futex(&f2, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0), 1, "cmp_requeue_one_on_f2");
	CHECK_EQ(futex(&f1, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0), 1, "cmp_requeue_one_left_on_f1");
	CHECK(joined_ok(w, 2), "cmp_requeue_waiters_return_0");
	CHECK_ERR(futex(&f1, FUTEX_CMP_REQUEUE_PRIVATE, 0, (void *)-1L, &f2, 0), EINVAL, "cmp_requeue_negative_einval");

	/* WAKE_OP: f2 += 1; wake on f1; wake on f2 too if old f2 == 0. */
	f1 = f2 = 0;
	CHECK_EQ(futex(&f1, FUTEX_WAKE_OP_PRIVATE, 1, (void *)1L, &f2, FUTEX_OP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_EQ, 0)), 0,
		 "wake_op_no_waiters");
	CHECK_EQ(f2, 1, "wake_op_applied_add");
	f2 = 0;
	start(&w[0], &f1, FUTEX_WAIT_PRIVATE, 0);
	start(&w[1], &f2, FUTEX_WAIT_PRIVATE, 0);
	conf_msleep(100);
	CHECK_EQ(futex(&f1, FUTEX_WAKE_OP_PRIVATE, 1, (void *)1L, &f2, FUTEX_OP(FUTEX_OP_SET, 9, FUTEX_OP_CMP_EQ, 0)), 2,
		 "wake_op_wakes_both");
	CHECK_EQ(f2, 9, "wake_op_applied_set");
	CHECK(joined_ok(w, 2), "wake_op_waiters_return_0");
	f1 = 0;
	f2 = 5;
	CHECK_EQ(futex(&f1, FUTEX_WAKE_OP_PRIVATE, 1, (void *)1L, &f2, FUTEX_OP(FUTEX_OP_OR, 2, FUTEX_OP_CMP_GT, 10)), 0,
		 "wake_op_cmp_false_no_wake");
	CHECK_EQ(f2, 7, "wake_op_applied_or");
	CHECK_ERR(futex(&f1, FUTEX_WAKE_OP_PRIVATE, 1, (void *)1L, &f2, 15u << 28), ENOSYS, "wake_op_bad_cmp_enosys");

	/* Bitsets: a wake with a disjoint mask wakes nobody. */
	f1 = 0;
	start(&w[0], &f1, FUTEX_WAIT_BITSET_PRIVATE, 0x1);
	conf_msleep(100);
	CHECK_EQ(futex(&f1, FUTEX_WAKE_BITSET_PRIVATE, 1, NULL, NULL, 0x2), 0, "wake_bitset_disjoint_0");
	CHECK_EQ(futex(&f1, FUTEX_WAKE_BITSET_PRIVATE, 1, NULL, NULL, 0x3), 1, "wake_bitset_overlap_1");
	CHECK(joined_ok(w, 1), "bitset_waiter_return_0");

	/* Shared futex between processes. */
	int *sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	SETUP(sh == MAP_FAILED ? -1 : 0);
	sh[0] = 0;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		struct timespec t2 = { 2, 0 };
		long r = futex(&sh[0], FUTEX_WAIT, 0, &t2, NULL, 0);
		_exit(r == 0 && sh[0] == 1 ? 0 : 1);
	}
	conf_msleep(100);
	CHECK_EQ(futex(&sh[0], FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), 0, "private_wake_misses_other_process");
	sh[0] = 1;
	CHECK_EQ(futex(&sh[0], FUTEX_WAKE, 1, NULL, NULL, 0), 1, "shared_wake_other_process");
	check_child_ok(pid, "shared_child_woken");

	/* And the other way: the child wakes the parent. */
	sh[1] = 0;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		conf_msleep(100);
		sh[1] = 1;
		_exit(futex(&sh[1], FUTEX_WAKE, 1, NULL, NULL, 0) == 1 ? 0 : 1);
	}
	struct timespec t2 = { 2, 0 };
	CHECK_EQ(futex(&sh[1], FUTEX_WAIT, 0, &t2, NULL, 0), 0, "parent_woken_by_child");
	check_child_ok(pid, "child_woke_parent");
	munmap(sh, 4096);
	return conf_exit();
}
