/*
 * Kernel-wide state of one sandbox: the pid table, time since boot, and
 * the wait for the first process to end.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "sentry/kernel_internal.h"

struct kernel kernel = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.hostname = "sandbox",
	.domainname = "(none)",
	.next_pid = 1,
	.strace_fd = -1,
};

static pthread_cond_t init_exit_cond = PTHREAD_COND_INITIALIZER;
static bool init_exited;

/* The pid table: every task that has not been reaped. Protected by kernel.lock. */
static struct task **table;
static size_t ntable, cap_table;

static __thread struct task *current;

struct task *task_current(void)
{
	return current;
}

void task_set_current(struct task *t)
{
	current = t;
}

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

void kernel_init(void)
{
	kernel.boot_ns = now_ns(CLOCK_MONOTONIC);
	kernel.boot_realtime_ns = now_ns(CLOCK_REALTIME);
}

bool kernel_has_memory_barrier(void)
{
	return plat_have_memory_barrier();
}

int kernel_memory_barrier(void)
{
	return plat_memory_barrier();
}

uint64_t kernel_uptime_ns(void)
{
	/*
	 * The guest's clocks are the host's (CLOCK_BOOTTIME included), so
	 * uptime follows CLOCK_BOOTTIME too: sysinfo, /proc/uptime and
	 * clock_gettime must agree.
	 */
	return now_ns(CLOCK_BOOTTIME);
}

int kernel_register_task(struct task *t)
{
	pthread_mutex_lock(&kernel.lock);
	if (ntable == cap_table) {
		size_t cap = cap_table ? cap_table * 2 : 64;
		struct task **p = realloc(table, cap * sizeof(*p));
		if (!p) {
			pthread_mutex_unlock(&kernel.lock);
			return -ENOMEM;
		}
		table = p;
		cap_table = cap;
	}
	if (!t->tid)
		t->tid = kernel.next_pid++;
	else if (t->tid >= kernel.next_pid)
		kernel.next_pid = t->tid + 1;
	table[ntable++] = t;
	t->refs++;
	pthread_mutex_unlock(&kernel.lock);
	return 0;
}

void kernel_unregister_task(struct task *t)
{
	pthread_mutex_lock(&kernel.lock);
	for (size_t i = 0; i < ntable; i++) {
		if (table[i] == t) {
			table[i] = table[--ntable];
			break;
		}
	}
	pthread_mutex_unlock(&kernel.lock);
	task_put(t);
}

void kernel_for_each_task_locked(void (*fn)(struct task *t, void *arg), void *arg)
{
	for (size_t i = 0; i < ntable; i++)
		fn(table[i], arg);
}

struct task *task_lookup(int tid)
{
	struct task *found = NULL;
	pthread_mutex_lock(&kernel.lock);
	for (size_t i = 0; i < ntable; i++) {
		if (table[i]->tid == tid && !table[i]->exited) {
			found = table[i];
			found->refs++;
			break;
		}
	}
	pthread_mutex_unlock(&kernel.lock);
	return found;
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

int task_list_tgids(int *buf, int max)
{
	int n = 0;
	pthread_mutex_lock(&kernel.lock);
	for (size_t i = 0; i < ntable && n < max; i++)
		if (table[i]->tid == table[i]->tg->tgid && !table[i]->exited)
			buf[n++] = table[i]->tid;
	pthread_mutex_unlock(&kernel.lock);
	qsort(buf, n, sizeof(int), cmp_int);
	return n;
}

int task_tgid_of(int tid)
{
	int tgid = -ENOENT;
	pthread_mutex_lock(&kernel.lock);
	for (size_t i = 0; i < ntable; i++)
		if (table[i]->tid == tid && !table[i]->exited)
			tgid = table[i]->tg->tgid;
	pthread_mutex_unlock(&kernel.lock);
	return tgid;
}

int task_list_tids(int tgid, int *buf, int max)
{
	int n = 0;
	pthread_mutex_lock(&kernel.lock);
	for (size_t i = 0; i < ntable && n < max; i++)
		if (table[i]->tg->tgid == tgid && !table[i]->exited)
			buf[n++] = table[i]->tid;
	pthread_mutex_unlock(&kernel.lock);
	qsort(buf, n, sizeof(int), cmp_int);
	return n;
}

void kernel_task_counts(int *running, int *total, int *created)
{
	int r = 0, n = 0;
	pthread_mutex_lock(&kernel.lock);
	for (size_t i = 0; i < ntable; i++) {
		if (table[i]->exited)
			continue;
		n++;
		r += __atomic_load_n(&table[i]->state, __ATOMIC_RELAXED) == TASK_RUNNING;
	}
	*created = kernel.next_pid - 1;
	pthread_mutex_unlock(&kernel.lock);
	*running = r;
	*total = n;
}

void kernel_init_exited(int status)
{
	pthread_mutex_lock(&kernel.lock);
	kernel.exit_status = status;
	init_exited = true;
	pthread_cond_broadcast(&init_exit_cond);
	pthread_mutex_unlock(&kernel.lock);
}

int kernel_wait_init(void)
{
	pthread_mutex_lock(&kernel.lock);
	while (!init_exited)
		pthread_cond_wait(&init_exit_cond, &kernel.lock);
	int st = kernel.exit_status;
	pthread_mutex_unlock(&kernel.lock);
	return st;
}
