/*
 * Scheduling state: nice (getpriority/setpriority), policies and priorities
 * (sched_setscheduler & co, sched_setattr/getattr), sched_rr_get_interval,
 * CPU affinity, inheritance across fork and threads, /proc/PID/stat.
 * Runs as root natively: privileged changes are undone; unprivileged
 * rules are checked in children that drop to uid 65534.
 */
#include "conformance.h"
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <sys/resource.h>

#define X_SCHED_DEADLINE 6
#define X_RESET_ON_FORK 0x40000000

struct xattr {
	uint32_t size, policy;
	uint64_t flags;
	int32_t nice;
	uint32_t prio;
	uint64_t runtime, deadline, period;
	uint32_t util_min, util_max;
};

static long getprio_raw(int which, int who)
{
	return syscall(SYS_getpriority, which, who);
}

static long setattr(pid_t pid, struct xattr *a, unsigned flags)
{
	return syscall(SYS_sched_setattr, pid, a, flags);
}

static long getattr(pid_t pid, void *a, unsigned size, unsigned flags)
{
	return syscall(SYS_sched_getattr, pid, a, size, flags);
}

static int setsched(pid_t pid, int policy, int prio)
{
	struct sched_param sp = { .sched_priority = prio };
	return sched_setscheduler(pid, policy, &sp);
}

/*
 * Run fn in a child with RLIMIT_NICE and RLIMIT_RTPRIO set to nice_lim and
 * (soft 0, hard rt_lim), then uid/gid 65534 (no capabilities); its exit code is the result.
 */
static int as_nobody(int (*fn)(void *), void *arg, rlim_t nice_lim, rlim_t rt_lim)
{
	pid_t c = fork();
	if (c == 0) {
		struct rlimit n = { nice_lim, nice_lim }, r = { 0, rt_lim };
		if (setrlimit(RLIMIT_NICE, &n) || setrlimit(RLIMIT_RTPRIO, &r))
			_exit(101);
		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(100);
		_exit(fn(arg));
	}
	int st;
	if (waitpid(c, &st, 0) != c || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* Exit codes of the unprivileged children: 0 success, else the first failing step. */
static int nobody_nice(void *arg)
{
	pid_t parent = *(pid_t *)arg;
	if (setpriority(PRIO_PROCESS, 0, 5))
		return 2;                                   /* raising nice is free */
	if (setpriority(PRIO_PROCESS, 0, 4) != -1 || errno != EACCES)
		return 3;                                   /* lowering it is not */
	if (setpriority(PRIO_PROCESS, 0, 10))
		return 4;
	if (setpriority(PRIO_PROCESS, parent, 10) != -1 || errno != EPERM)
		return 5;                                   /* another user's process */
	if (getpriority(PRIO_PROCESS, 0) != 10)
		return 6;
	if (getpriority(PRIO_PROCESS, parent) != 0)
		return 7;                                   /* reading is allowed */
	return 0;
}

static int nobody_rlimit_nice(void *arg)
{
	if (setpriority(PRIO_PROCESS, 0, -5))
		return 2;
	if (setpriority(PRIO_PROCESS, 0, -6) != -1 || errno != EACCES)
		return 3;
	if (getpriority(PRIO_PROCESS, 0) != -5)
		return 4;
	return 0;
}

static int nobody_rt(void *arg)
{
	pid_t parent = *(pid_t *)arg;
	if (setsched(0, SCHED_FIFO, 1) != -1 || errno != EPERM)
		return 2;
	if (setsched(parent, SCHED_OTHER, 0) != -1 || errno != EPERM)
		return 3;                                   /* not the owner */
	struct rlimit rt = { 10, 20 };                      /* the soft limit up to the hard one */
	if (setrlimit(RLIMIT_RTPRIO, &rt))
		return 4;
	if (setsched(0, SCHED_FIFO, 5))
		return 5;
	if (setsched(0, SCHED_FIFO, 11) != -1 || errno != EPERM)
		return 6;
	if (setsched(0, SCHED_RR, 10))
		return 7;
	if (setsched(0, SCHED_OTHER | X_RESET_ON_FORK, 0))
		return 8;
	if (setsched(0, SCHED_OTHER, 0) != -1 || errno != EPERM)
		return 9;                                   /* cannot clear reset-on-fork */
	if (setsched(0, SCHED_IDLE | X_RESET_ON_FORK, 0))
		return 10;
	if (setsched(0, SCHED_OTHER | X_RESET_ON_FORK, 0) != -1 || errno != EPERM)
		return 11;                                  /* IDLE counts as nice 20 */
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (sched_setaffinity(parent, sizeof set, &set) != -1 || errno != EPERM)
		return 12;
	if (sched_setaffinity(0, sizeof set, &set))
		return 13;
	return 0;
}

struct thr {
	pid_t tid;
	int go, done;
};

static void *thread_fn(void *arg)
{
	struct thr *t = arg;
	t->tid = (pid_t)syscall(SYS_gettid);
	setpriority(PRIO_PROCESS, 0, 7);
	__atomic_store_n(&t->go, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&t->done, __ATOMIC_ACQUIRE))
		usleep(1000);
	return NULL;
}

/* Field n (1-based) of /proc/self/stat, or -9999. */
static long stat_field(int n)
{
	char buf[1024];
	if (read_file("/proc/self/stat", buf, sizeof buf) < 0)
		return -9999;
	char *p = strrchr(buf, ')');
	if (!p)
		return -9999;
	p += 2;                      /* field 3 */
	for (int i = 3; i < n; i++) {
		p = strchr(p, ' ');
		if (!p)
			return -9999;
		p++;
	}
	return strtol(p, NULL, 10);
}

int main(void)
{
	pid_t self = getpid();

	/* ---- nice ---- */
	CHECK_EQ(getprio_raw(PRIO_PROCESS, 0), 20, "raw_getpriority_is_20_minus_nice");
	CHECK_EQ(getpriority(PRIO_PROCESS, 0), 0, "nice_zero");
	CHECK_EQ(setpriority(PRIO_PROCESS, 0, 5), 0, "set_nice_5");
	CHECK_EQ(getpriority(PRIO_PROCESS, self), 5, "get_nice_by_pid");
	CHECK_EQ(getprio_raw(PRIO_PROCESS, 0), 15, "raw_after_set");
	CHECK_EQ(setpriority(PRIO_PROCESS, 0, 100), 0, "set_nice_clamped");
	CHECK_EQ(getpriority(PRIO_PROCESS, 0), 19, "nice_clamped_19");
	CHECK_EQ(setpriority(PRIO_PROCESS, 0, -100), 0, "set_nice_clamped_low");
	CHECK_EQ(getpriority(PRIO_PROCESS, 0), -20, "nice_clamped_minus20");
	CHECK_EQ(setpriority(PRIO_PROCESS, 0, 0), 0, "set_nice_back");
	{
		/* Process groups, in a group of our own. */
		pid_t c = fork();
		if (c == 0) {
			if (setpgid(0, 0))
				_exit(1);
			if (setpriority(PRIO_PGRP, 0, 6) || getpriority(PRIO_PGRP, 0) != 6)
				_exit(2);
			if (getpriority(PRIO_PROCESS, 0) != 6 || getpriority(PRIO_PGRP, getpid()) != 6)
				_exit(3);
			pid_t g = fork();
			if (g == 0) {
				setpriority(PRIO_PROCESS, 0, 9);
				pause();
				_exit(0);
			}
			while (getpriority(PRIO_PROCESS, g) != 9)
				usleep(1000);
			int r = getpriority(PRIO_PGRP, 0) == 6 ? 0 : 4;  /* the lowest nice */
			if (!r && (setpriority(PRIO_PGRP, 0, 2) || getpriority(PRIO_PROCESS, g) != 2))
				r = 5;
			kill(g, SIGKILL);
			waitpid(g, NULL, 0);
			_exit(r);
		}
		int st;
		waitpid(c, &st, 0);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "prio_pgrp");
	}
	CHECK_ERR(getpriority(3, 0), EINVAL, "which_invalid");
	CHECK_ERR(getpriority(-1, 0), EINVAL, "which_negative");
	CHECK_ERR(setpriority(3, 0, 0), EINVAL, "set_which_invalid");
	CHECK_ERR(getpriority(PRIO_PROCESS, 0x3ffffff0), ESRCH, "no_such_pid");
	CHECK_ERR(getpriority(PRIO_PROCESS, -5), ESRCH, "negative_pid");
	CHECK_ERR(setpriority(PRIO_PROCESS, 0x3ffffff0, 0), ESRCH, "set_no_such_pid");
	CHECK_ERR(getpriority(PRIO_PGRP, 0x3ffffff0), ESRCH, "no_such_pgrp");
	CHECK_ERR(getpriority(PRIO_USER, 54321), ESRCH, "no_such_user");
	CHECK_EQ(as_nobody(nobody_nice, &self, 0, 0), 0, "unprivileged_nice_rules");
	/* 101: raising the hard limits needs CAP_SYS_RESOURCE, which a container may lack. */
	int rn = as_nobody(nobody_rlimit_nice, NULL, 25, 0);
	CHECK(rn == 0 || rn == 101, "rlimit_nice");

	/* Nice is per thread. */
	{
		struct thr th = { 0 };
		pthread_t pt;
		SETUP(pthread_create(&pt, NULL, thread_fn, &th) == 0 ? 0 : -1);
		while (!__atomic_load_n(&th.go, __ATOMIC_ACQUIRE))
			usleep(1000);
		CHECK_EQ(getpriority(PRIO_PROCESS, th.tid), 7, "thread_own_nice");
		CHECK_EQ(getpriority(PRIO_PROCESS, 0), 0, "main_thread_nice_unchanged");
		CHECK_EQ(setpriority(PRIO_PROCESS, th.tid, 3), 0, "set_thread_by_tid");
		CHECK_EQ(getpriority(PRIO_PROCESS, th.tid), 3, "thread_nice_set");
		cpu_set_t one;
		CPU_ZERO(&one);
		CPU_SET(0, &one);
		CHECK_EQ(sched_setaffinity(th.tid, sizeof one, &one), 0, "thread_affinity_by_tid");
		cpu_set_t got;
		CPU_ZERO(&got);
		CHECK_EQ(sched_getaffinity(th.tid, sizeof got, &got), 0, "thread_getaffinity");
		CHECK(CPU_COUNT(&got) == 1 && CPU_ISSET(0, &got), "thread_affinity_applied");
		CHECK_EQ(sched_getaffinity(0, sizeof got, &got), 0, "main_getaffinity");
		CHECK(CPU_COUNT(&got) == sysconf(_SC_NPROCESSORS_ONLN), "main_affinity_unchanged");
		__atomic_store_n(&th.done, 1, __ATOMIC_RELEASE);
		pthread_join(pt, NULL);
	}

	/* ---- policies ---- */
	CHECK_EQ(sched_getscheduler(0), SCHED_OTHER, "policy_other");
	struct sched_param sp = { .sched_priority = 99 };
	CHECK_EQ(sched_getparam(0, &sp), 0, "getparam");
	CHECK_EQ(sp.sched_priority, 0, "getparam_zero");
	CHECK_EQ(sched_get_priority_min(SCHED_FIFO), 1, "min_fifo");
	CHECK_EQ(sched_get_priority_max(SCHED_FIFO), 99, "max_fifo");
	CHECK_EQ(sched_get_priority_min(SCHED_RR), 1, "min_rr");
	CHECK_EQ(sched_get_priority_max(SCHED_RR), 99, "max_rr");
	CHECK_EQ(sched_get_priority_min(SCHED_OTHER), 0, "min_other");
	CHECK_EQ(sched_get_priority_max(SCHED_BATCH), 0, "max_batch");
	CHECK_EQ(sched_get_priority_max(SCHED_IDLE), 0, "max_idle");
	CHECK_EQ(sched_get_priority_max(X_SCHED_DEADLINE), 0, "max_deadline");
	CHECK_ERR(sched_get_priority_max(4), EINVAL, "max_invalid");
	CHECK_ERR(sched_get_priority_min(-1), EINVAL, "min_invalid");

	struct timespec ts;
	CHECK_EQ(sched_rr_get_interval(0, &ts), 0, "rr_interval_other");
	CHECK(ts.tv_sec == 0 && ts.tv_nsec < 1000000000, "rr_interval_other_sane");
	CHECK_ERR(sched_rr_get_interval(-1, &ts), EINVAL, "rr_interval_negative");
	CHECK_ERR(sched_rr_get_interval(0x3ffffff0, &ts), ESRCH, "rr_interval_esrch");
	CHECK_ERR(syscall(SYS_sched_rr_get_interval, 0, (void *)8), EFAULT, "rr_interval_efault");

	CHECK_EQ(setsched(0, SCHED_FIFO, 10), 0, "set_fifo");
	CHECK_EQ(sched_getscheduler(0), SCHED_FIFO, "is_fifo");
	CHECK_EQ(sched_getparam(0, &sp), 0, "getparam_fifo");
	CHECK_EQ(sp.sched_priority, 10, "fifo_priority");
	CHECK_EQ(sched_rr_get_interval(0, &ts), 0, "rr_interval_fifo");
	CHECK(ts.tv_sec == 0 && ts.tv_nsec == 0, "fifo_interval_zero");
	sp.sched_priority = 20;
	CHECK_EQ(sched_setparam(0, &sp), 0, "setparam");
	CHECK_EQ(sched_getparam(0, &sp), 0, "getparam_after_setparam");
	CHECK_EQ(sp.sched_priority, 20, "setparam_priority");
	CHECK_EQ(stat_field(18), -21, "proc_stat_priority_rt");
	CHECK_EQ(stat_field(40), 20, "proc_stat_rt_priority");
	CHECK_EQ(stat_field(41), SCHED_FIFO, "proc_stat_policy");
	CHECK_EQ(setsched(0, SCHED_RR, 50), 0, "set_rr");
	CHECK_EQ(sched_rr_get_interval(0, &ts), 0, "rr_interval_rr");
	CHECK(ts.tv_sec == 0 && ts.tv_nsec == 100000000, "rr_interval_100ms");
	sp.sched_priority = 0;
	CHECK_ERR(sched_setparam(0, &sp), EINVAL, "setparam_rr_zero");
	CHECK_ERR(setsched(0, SCHED_OTHER, 5), EINVAL, "other_with_priority");
	CHECK_ERR(setsched(0, SCHED_FIFO, 0), EINVAL, "fifo_priority_zero");
	CHECK_ERR(setsched(0, SCHED_FIFO, 100), EINVAL, "fifo_priority_100");
	CHECK_ERR(setsched(0, SCHED_FIFO, -1), EINVAL, "fifo_priority_negative");
	CHECK_ERR(setsched(0, 4, 0), EINVAL, "policy_4");
	CHECK_ERR(setsched(0, -1, 0), EINVAL, "policy_negative");
	CHECK_ERR(setsched(-1, SCHED_OTHER, 0), EINVAL, "pid_negative");
	CHECK_ERR(setsched(0x3ffffff0, SCHED_OTHER, 0), ESRCH, "set_esrch");
	CHECK_ERR(syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, NULL), EINVAL, "param_null");
	CHECK_ERR(syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, (void *)8), EFAULT, "param_efault");
	CHECK_ERR(syscall(SYS_sched_getparam, 0, NULL), EINVAL, "getparam_null");
	CHECK_ERR(syscall(SYS_sched_getparam, 0, (void *)8), EFAULT, "getparam_efault");
	CHECK_ERR(sched_getscheduler(-1), EINVAL, "getscheduler_negative");
	CHECK_ERR(sched_getscheduler(0x3ffffff0), ESRCH, "getscheduler_esrch");
	CHECK_EQ(sched_getscheduler(0), SCHED_RR, "still_rr_after_errors");
	CHECK_EQ(setsched(0, SCHED_BATCH, 0), 0, "set_batch");
	CHECK_EQ(sched_getscheduler(0), SCHED_BATCH, "is_batch");
	CHECK_EQ(setsched(0, SCHED_IDLE, 0), 0, "set_idle");
	CHECK_EQ(sched_getscheduler(0), SCHED_IDLE, "is_idle");
	CHECK_EQ(setsched(0, SCHED_OTHER, 0), 0, "back_to_other");
	int rr = as_nobody(nobody_rt, &self, 0, 20);
	CHECK(rr == 0 || rr == 101, "unprivileged_policy_rules");

	/* Inheritance and SCHED_RESET_ON_FORK. */
	SETUP(setpriority(PRIO_PROCESS, 0, -3));
	SETUP(setsched(0, SCHED_BATCH, 0));
	{
		pid_t c = fork();
		if (c == 0)
			_exit(sched_getscheduler(0) == SCHED_BATCH && getpriority(PRIO_PROCESS, 0) == -3 ? 0 : 1);
		int st;
		waitpid(c, &st, 0);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "fork_inherits_policy_and_nice");
	}
	CHECK_EQ(setsched(0, SCHED_BATCH | X_RESET_ON_FORK, 0), 0, "set_reset_on_fork");
	CHECK_EQ(sched_getscheduler(0), SCHED_BATCH | X_RESET_ON_FORK, "getscheduler_reset_bit");
	{
		pid_t c = fork();
		if (c == 0)
			_exit(sched_getscheduler(0) == SCHED_BATCH && getpriority(PRIO_PROCESS, 0) == 0 ? 0 : 1);
		int st;
		waitpid(c, &st, 0);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "reset_on_fork_resets_negative_nice");
	}
	CHECK_EQ(setsched(0, SCHED_FIFO | X_RESET_ON_FORK, 30), 0, "set_fifo_reset");
	{
		pid_t c = fork();
		if (c == 0)
			_exit(sched_getscheduler(0) == SCHED_OTHER && getpriority(PRIO_PROCESS, 0) == 0 ? 0 : 1);
		int st;
		waitpid(c, &st, 0);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "reset_on_fork_rt_to_other");
	}
	CHECK_EQ(setsched(0, SCHED_OTHER, 0), 0, "clear_reset_root");
	CHECK_EQ(sched_getscheduler(0), SCHED_OTHER, "reset_bit_cleared");
	CHECK_EQ(getpriority(PRIO_PROCESS, 0), -3, "nice_kept_through_rt");
	CHECK_EQ(stat_field(18), 17, "proc_stat_priority");
	CHECK_EQ(stat_field(19), -3, "proc_stat_nice");
	CHECK_EQ(stat_field(41), 0, "proc_stat_policy_other");
	SETUP(setpriority(PRIO_PROCESS, 0, 0));

	/* ---- sched_setattr / sched_getattr ---- */
	struct xattr at;
	memset(&at, 0xff, sizeof at);
	CHECK_EQ(getattr(0, &at, sizeof at, 0), 0, "getattr");
	CHECK_EQ(at.size, 56, "getattr_size");
	CHECK_EQ(at.policy, SCHED_OTHER, "getattr_policy");
	CHECK_EQ(at.nice, 0, "getattr_nice");
	CHECK_EQ(at.prio, 0, "getattr_prio");
	CHECK(at.runtime > 0, "getattr_fair_slice");
	memset(&at, 0xff, sizeof at);
	CHECK_EQ(getattr(0, &at, 48, 0), 0, "getattr_ver0");
	CHECK_EQ(at.size, 48, "getattr_ver0_size");
	CHECK_EQ(at.util_min, 0xffffffffu, "getattr_ver0_short");
	{
		char big[128];
		memset(big, 0xff, sizeof big);
		CHECK_EQ(getattr(0, big, sizeof big, 0), 0, "getattr_bigger");
		CHECK_EQ(((struct xattr *)big)->size, 56, "getattr_bigger_size");
	}
	CHECK_ERR(getattr(0, &at, 47, 0), EINVAL, "getattr_small");
	CHECK_ERR(getattr(0, &at, 4097, 0), EINVAL, "getattr_huge");
	CHECK_ERR(getattr(0, &at, sizeof at, 1), EINVAL, "getattr_flags");
	CHECK_ERR(getattr(0, NULL, sizeof at, 0), EINVAL, "getattr_null");
	CHECK_ERR(getattr(-1, &at, sizeof at, 0), EINVAL, "getattr_negative_pid");
	CHECK_ERR(getattr(0x3ffffff0, &at, sizeof at, 0), ESRCH, "getattr_esrch");
	CHECK_ERR(getattr(0, (void *)8, sizeof at, 0), EFAULT, "getattr_efault");

	memset(&at, 0, sizeof at);
	at.size = sizeof at;
	at.policy = SCHED_OTHER;
	at.nice = 4;
	CHECK_EQ(setattr(0, &at, 0), 0, "setattr_nice");
	CHECK_EQ(getpriority(PRIO_PROCESS, 0), 4, "setattr_nice_applied");
	at.nice = -1000;
	CHECK_EQ(setattr(0, &at, 0), 0, "setattr_nice_clamped");
	CHECK_EQ(getpriority(PRIO_PROCESS, 0), -20, "setattr_nice_minus20");
	at.nice = 0;
	at.size = 0;                        /* 0 means the first version (48 bytes) */
	CHECK_EQ(setattr(0, &at, 0), 0, "setattr_size0");
	CHECK_EQ(getpriority(PRIO_PROCESS, 0), 0, "setattr_size0_applied");
	at.size = 40;
	CHECK_ERR(setattr(0, &at, 0), E2BIG, "setattr_small_e2big");
	CHECK_EQ(at.size, 56, "setattr_e2big_writes_size");
	at.size = 5000;
	CHECK_ERR(setattr(0, &at, 0), E2BIG, "setattr_huge_e2big");
	{
		char big[128];
		memset(big, 0, sizeof big);
		((struct xattr *)big)->size = sizeof big;
		CHECK_EQ(setattr(0, (struct xattr *)big, 0), 0, "setattr_bigger_zero_tail");
		big[100] = 1;
		CHECK_ERR(setattr(0, (struct xattr *)big, 0), E2BIG, "setattr_nonzero_tail");
	}
	memset(&at, 0, sizeof at);
	at.size = 48;
	CHECK_ERR(setattr(0, &at, 1), EINVAL, "setattr_flags");
	CHECK_ERR(setattr(-1, &at, 0), EINVAL, "setattr_negative_pid");
	CHECK_ERR(setattr(0, NULL, 0), EINVAL, "setattr_null");
	CHECK_ERR(setattr(0x3ffffff0, &at, 0), ESRCH, "setattr_esrch");
	CHECK_ERR(setattr(0, (void *)8, 0), EFAULT, "setattr_efault");
	at.policy = 0x80000000u;
	CHECK_ERR(setattr(0, &at, 0), EINVAL, "setattr_policy_negative");
	at.policy = 0;
	at.flags = 0x100;
	CHECK_ERR(setattr(0, &at, 0), EINVAL, "setattr_unknown_flag");
	at.flags = 0x20;                    /* UTIL_CLAMP_MIN needs the VER1 size */
	CHECK_ERR(setattr(0, &at, 0), EINVAL, "setattr_uclamp_ver0");
	at.flags = 0;
	at.policy = SCHED_FIFO;
	at.prio = 15;
	CHECK_EQ(setattr(0, &at, 0), 0, "setattr_fifo");
	memset(&at, 0xff, sizeof at);
	CHECK_EQ(getattr(0, &at, sizeof at, 0), 0, "getattr_fifo");
	CHECK(at.policy == SCHED_FIFO && at.prio == 15 && at.nice == 0 && at.runtime == 0,
	      "getattr_fifo_fields");
	memset(&at, 0, sizeof at);
	at.size = 48;
	at.flags = 0x08;                    /* KEEP_POLICY */
	at.prio = 25;
	CHECK_EQ(setattr(0, &at, 0), 0, "setattr_keep_policy");
	CHECK_EQ(sched_getscheduler(0), SCHED_FIFO, "keep_policy_fifo");
	CHECK_EQ(sched_getparam(0, &sp), 0, "keep_policy_getparam");
	CHECK_EQ(sp.sched_priority, 25, "keep_policy_priority");
	at.flags = 0x10;                    /* KEEP_PARAMS: priority 25 with SCHED_OTHER */
	at.policy = SCHED_OTHER;
	CHECK_ERR(setattr(0, &at, 0), EINVAL, "keep_params_other_einval");
	at.flags = 0;
	at.prio = 0;
	CHECK_EQ(setattr(0, &at, 0), 0, "setattr_back_to_other");

	/* SCHED_DEADLINE: parameters checked; a deadline task cannot fork. */
	memset(&at, 0, sizeof at);
	at.size = 48;
	at.policy = X_SCHED_DEADLINE;
	at.runtime = 10000000;
	at.deadline = 5000000;
	at.period = 100000000;
	CHECK_ERR(setattr(0, &at, 0), EINVAL, "deadline_runtime_gt_deadline");
	at.deadline = 30000000;
	at.period = 0;
	at.runtime = 100;
	CHECK_ERR(setattr(0, &at, 0), EINVAL, "deadline_runtime_tiny");
	at.runtime = 10000000;
	at.period = 100000000;
	if (setattr(0, &at, 0) == 0) {
		memset(&at, 0xff, sizeof at);
		CHECK_EQ(getattr(0, &at, sizeof at, 0), 0, "getattr_deadline");
		CHECK(at.policy == X_SCHED_DEADLINE && at.runtime == 10000000 &&
		      at.deadline == 30000000 && at.period == 100000000, "deadline_fields");
		CHECK_ERR(fork(), EAGAIN, "deadline_fork_eagain");
		memset(&at, 0, sizeof at);
		at.size = 48;
		CHECK_EQ(setattr(0, &at, 0), 0, "deadline_back_to_other");
	} else {
		CHECK(0, "set_deadline");
	}
	CHECK_EQ(sched_getscheduler(0), SCHED_OTHER, "final_policy_other");

	/* ---- affinity ---- */
	cpu_set_t all, one, got;
	CPU_ZERO(&all);
	SETUP(sched_getaffinity(0, sizeof all, &all));
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	CHECK_EQ(sched_setaffinity(0, sizeof one, &one), 0, "setaffinity_cpu0");
	CPU_ZERO(&got);
	CHECK_EQ(sched_getaffinity(0, sizeof got, &got), 0, "getaffinity_after_set");
	CHECK(CPU_COUNT(&got) == 1 && CPU_ISSET(0, &got), "affinity_is_cpu0");
	{
		pid_t c = fork();
		if (c == 0) {
			cpu_set_t s;
			CPU_ZERO(&s);
			sched_getaffinity(0, sizeof s, &s);
			_exit(CPU_COUNT(&s) == 1 && CPU_ISSET(0, &s) ? 0 : 1);
		}
		int st;
		waitpid(c, &st, 0);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "fork_inherits_affinity");
	}
	{
		cpu_set_t beyond;
		CPU_ZERO(&beyond);
		CPU_SET(CPU_SETSIZE - 1, &beyond);
		CHECK_ERR(sched_setaffinity(0, sizeof beyond, &beyond), EINVAL, "affinity_no_online_cpu");
		cpu_set_t none;
		CPU_ZERO(&none);
		CHECK_ERR(sched_setaffinity(0, sizeof none, &none), EINVAL, "affinity_empty");
		/* A short mask reads as zeros past its end. */
		unsigned long m = 1;
		CHECK_EQ(syscall(SYS_sched_setaffinity, 0, 0, &m), -1, "affinity_len0");
		CHECK_ERR(syscall(SYS_sched_setaffinity, 0, sizeof m, (void *)8), EFAULT, "setaffinity_efault");
		CHECK_ERR(sched_setaffinity(0x3ffffff0, sizeof one, &one), ESRCH, "setaffinity_esrch");
		CHECK_ERR(sched_getaffinity(0x3ffffff0, sizeof got, &got), ESRCH, "getaffinity_esrch");
	}
	CHECK_EQ(sched_setaffinity(0, sizeof all, &all), 0, "affinity_restore");
	CPU_ZERO(&got);
	SETUP(sched_getaffinity(0, sizeof got, &got));
	CHECK(CPU_EQUAL(&got, &all), "affinity_restored");
	return conf_exit();
}
