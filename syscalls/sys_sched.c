/*
 * Scheduling and randomness: nice values (getpriority/setpriority), policies
 * and priorities (sched_setscheduler & co, sched_setattr/getattr), I/O
 * priorities (ioprio_set/ioprio_get), CPU affinity, sched_yield, getcpu,
 * getrandom.
 *
 * Scheduling state is virtual and per thread (struct task_sched, under
 * kernel.lock): the guest sees and changes Linux's values with Linux's
 * checks and errors, while the host schedules the sentry's threads as it
 * always does. Inherited at clone (task_sched_fork). There is no
 * SCHED_DEADLINE admission control and no utilization clamping (as a kernel
 * without CONFIG_UCLAMP_TASK: EOPNOTSUPP).
 */
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <unistd.h>
#include "sentry/kernel_internal.h"
#include "sentry/mm.h"
#include "sentry/task.h"
#include "syscalls/table.h"

#define CAP_SYS_ADMIN_BIT 21
#define CAP_SYS_NICE_BIT 23
#define MIN_NICE (-20)
#define MAX_NICE 19
#define MAX_RT_PRIO 100

#define GUEST_SCHED_NORMAL 0
#define GUEST_SCHED_FIFO 1
#define GUEST_SCHED_RR 2
#define GUEST_SCHED_BATCH 3
#define GUEST_SCHED_IDLE 5
#define GUEST_SCHED_DEADLINE 6
#define GUEST_SCHED_RESET_ON_FORK 0x40000000
#define SETPARAM_POLICY (-1)

#define SCHED_FLAG_RESET_ON_FORK 0x01
#define SCHED_FLAG_RECLAIM 0x02
#define SCHED_FLAG_DL_OVERRUN 0x04
#define SCHED_FLAG_KEEP_POLICY 0x08
#define SCHED_FLAG_KEEP_PARAMS 0x10
#define SCHED_FLAG_UTIL_CLAMP 0x60
#define SCHED_FLAG_ALL 0x7f
#define SCHED_FLAG_SUGOV 0x10000000
#define SCHED_DL_FLAGS (SCHED_FLAG_RECLAIM | SCHED_FLAG_DL_OVERRUN | SCHED_FLAG_SUGOV)

#define SCHED_ATTR_SIZE_VER0 48
#define SCHED_ATTR_SIZE_VER1 56

/* SCHED_DEADLINE periods: sysctl kernel.sched_deadline_period_{min,max}_us. */
#define DL_PERIOD_MIN_NS (100ULL * 1000)
#define DL_PERIOD_MAX_NS ((1ULL << 22) * 1000)
#define RR_TIMESLICE_NS 100000000L

/* The guest's struct sched_attr (VER1, 56 bytes). */
struct guest_sched_attr {
	uint32_t size;
	uint32_t sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime;
	uint64_t sched_deadline;
	uint64_t sched_period;
	uint32_t sched_util_min;
	uint32_t sched_util_max;
};

/* The guest sees CPUs 0..n-1, n being the host's online CPU count. */
static int guest_ncpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 && n <= 1024 ? (int)n : 1;
}

/* Linux's cpumask_size() for nr_cpu_ids = n: whole longs. */
static size_t cpumask_bytes(int n)
{
	return ((size_t)(n + 63) / 64) * 8;
}

/* EEVDF's default slice: 0.7 ms scaled by 1 + log2(CPUs, at most 8). */
static uint64_t base_slice_ns(void)
{
	int n = guest_ncpus(), log = 0;
	if (n > 8)
		n = 8;
	while ((1 << (log + 1)) <= n)
		log++;
	return 700000ULL * (1 + log);
}

static bool rt_policy(int policy)
{
	return policy == GUEST_SCHED_FIFO || policy == GUEST_SCHED_RR;
}

static bool fair_policy(int policy)
{
	return policy == GUEST_SCHED_NORMAL || policy == GUEST_SCHED_BATCH;
}

static bool valid_policy(int policy)
{
	return fair_policy(policy) || rt_policy(policy) || policy == GUEST_SCHED_IDLE ||
	       policy == GUEST_SCHED_DEADLINE;
}

/*
 * The thread pid names, with a reference: 0 is t itself, else any live
 * thread by tid (Linux's find_task_by_vpid). NULL: -ESRCH.
 */
static struct task *sched_find_task(struct task *t, int pid)
{
	if (pid == 0) {
		task_get(t);
		return t;
	}
	return pid > 0 ? task_lookup(pid) : NULL;
}

static bool capable_nice(const struct task *t)
{
	return cred_capable(&t->cred, CAP_SYS_NICE_BIT);
}

/* RLIMIT_NICE allows p to reach nice (rlimit style: 20 - nice, 1..40). kernel.lock. */
static bool nice_within_rlimit_locked(const struct task *p, int nice)
{
	return (uint64_t)(20 - nice) <= (uint64_t)p->tg->rlimits[RLIMIT_NICE].rlim_cur;
}

/* Linux's check_same_owner: t's euid is p's euid or uid. kernel.lock. */
static bool same_owner_locked(const struct task *t, const struct task *p)
{
	return t->cred.euid == p->cred.euid || t->cred.euid == p->cred.uid;
}

/* ---- getpriority / setpriority ---- */

struct prio_walk {
	struct task *caller;
	int which, who;         /* who resolved: a tid, a pgid or a uid */
	bool set;
	int nice;
	long result;            /* get: the highest 20 - nice; set: Linux's error */
};

/* Linux's set_one_prio: the last failure wins; a success only clears -ESRCH. */
static void set_one_prio_locked(struct prio_walk *w, struct task *p)
{
	const struct cred *c = &w->caller->cred;
	if (p->cred.uid != c->euid && p->cred.euid != c->euid && !capable_nice(w->caller)) {
		w->result = -EPERM;
		return;
	}
	if (w->nice < p->sched.nice && !nice_within_rlimit_locked(p, w->nice) &&
	    !capable_nice(w->caller)) {
		w->result = -EACCES;
		return;
	}
	if (w->result == -ESRCH)
		w->result = 0;
	p->sched.nice = w->nice;
}

static void prio_visit_locked(struct task *p, void *arg)
{
	struct prio_walk *w = arg;
	if (p->exited)
		return;
	bool match = false;
	switch (w->which) {
	case PRIO_PROCESS:
		match = p->tid == w->who;
		break;
	case PRIO_PGRP:
		match = p->tg->pgid == w->who;
		break;
	case PRIO_USER:
		match = p->cred.uid == (uint32_t)w->who;
		break;
	}
	if (!match)
		return;
	if (w->set)
		set_one_prio_locked(w, p);
	else if (20 - p->sched.nice > w->result)
		w->result = 20 - p->sched.nice;
}

static long prio_walk(struct task *t, int which, int who, bool set, int nice)
{
	if (which < PRIO_PROCESS || which > PRIO_USER)
		return -EINVAL;
	struct prio_walk w = { t, which, who, set, nice, -ESRCH };
	pthread_mutex_lock(&kernel.lock);
	if (who == 0) {
		if (which == PRIO_PROCESS)
			w.who = t->tid;
		else if (which == PRIO_PGRP)
			w.who = t->tg->pgid;
		else
			w.who = (int)t->cred.uid;
	}
	/* Negative ids name nothing (a uid of -1 is not a valid user either). */
	if (w.who > 0 || which == PRIO_USER)
		kernel_for_each_task_locked(prio_visit_locked, &w);
	pthread_mutex_unlock(&kernel.lock);
	return w.result;
}

/* getpriority(2): the raw syscall returns 20 - nice (1..40), the highest of the matches. */
long sys_getpriority(struct task *t, const struct syscall_args *a)
{
	return prio_walk(t, (int)a->arg[0], (int)a->arg[1], false, 0);
}

/* setpriority(2): nice is clamped to -20..19. */
long sys_setpriority(struct task *t, const struct syscall_args *a)
{
	int nice = (int)a->arg[2];
	nice = nice < MIN_NICE ? MIN_NICE : nice > MAX_NICE ? MAX_NICE : nice;
	return prio_walk(t, (int)a->arg[0], (int)a->arg[1], true, nice);
}

/* ---- I/O priorities: ioprio_set / ioprio_get ---- */

#define IOPRIO_WHO_PROCESS 1
#define IOPRIO_WHO_PGRP 2
#define IOPRIO_WHO_USER 3

#define IOPRIO_CLASS_NONE 0
#define IOPRIO_CLASS_RT 1
#define IOPRIO_CLASS_BE 2
#define IOPRIO_CLASS_IDLE 3
#define IOPRIO_CLASS_SHIFT 13
#define IOPRIO_PRIO_CLASS(v) (((v) >> IOPRIO_CLASS_SHIFT) & 7)
/* Bits 3..12 are hints (Linux 6.5+), which nothing checks. */
#define IOPRIO_PRIO_LEVEL(v) ((v) & 7)

/*
 * Linux's ioprio_check_cap. The level is 3 bits, so RT and BE accept
 * whatever the other data bits say; NONE wants level 0; classes 4..7 are
 * invalid. RT takes CAP_SYS_ADMIN or CAP_SYS_NICE.
 */
static int ioprio_check(const struct task *t, int ioprio)
{
	switch (IOPRIO_PRIO_CLASS(ioprio)) {
	case IOPRIO_CLASS_RT:
		if (!cred_capable(&t->cred, CAP_SYS_ADMIN_BIT) && !capable_nice(t))
			return -EPERM;
		return 0;
	case IOPRIO_CLASS_BE:
	case IOPRIO_CLASS_IDLE:
		return 0;
	case IOPRIO_CLASS_NONE:
		return IOPRIO_PRIO_LEVEL(ioprio) ? -EINVAL : 0;
	default:
		return -EINVAL;
	}
}

/* What ioprio_get(IOPRIO_WHO_PROCESS) reads: the value set, or 0. kernel.lock. */
static int ioprio_raw_locked(const struct task *p)
{
	return p->sched.io_context ? p->sched.ioprio : 0;
}

/*
 * What ioprio_get reads for a process group or user (Linux's
 * __get_task_ioprio): class NONE stands for the CPU priority's class (RT
 * for FIFO, RR and DEADLINE, IDLE for SCHED_IDLE, else BE) at level
 * (nice + 20) / 5. kernel.lock.
 */
static int ioprio_effective_locked(const struct task *p)
{
	int prio = ioprio_raw_locked(p);
	if (IOPRIO_PRIO_CLASS(prio) != IOPRIO_CLASS_NONE)
		return prio;
	int class = IOPRIO_CLASS_BE;
	if (p->sched.policy == GUEST_SCHED_IDLE)
		class = IOPRIO_CLASS_IDLE;
	else if (rt_policy(p->sched.policy) || p->sched.policy == GUEST_SCHED_DEADLINE)
		class = IOPRIO_CLASS_RT;
	return class << IOPRIO_CLASS_SHIFT | (p->sched.nice + 20) / 5;
}

/* Linux's set_task_ioprio: t's uid or euid must be p's uid, or t has CAP_SYS_NICE. kernel.lock. */
static int ioprio_set_one_locked(struct task *t, struct task *p, int ioprio)
{
	if (p->cred.uid != t->cred.euid && p->cred.uid != t->cred.uid && !capable_nice(t))
		return -EPERM;
	p->sched.io_context = true;
	p->sched.ioprio = (uint16_t)ioprio;      /* an unsigned short in Linux's io_context */
	return 0;
}

struct ioprio_walk {
	struct task *caller;
	int which;
	uint32_t who;           /* resolved: a pgid or a uid */
	bool set;
	int ioprio;
	long result;            /* -ESRCH until a task matches */
};

static void ioprio_visit_locked(struct task *p, void *arg)
{
	struct ioprio_walk *w = arg;
	if (p->exited)
		return;
	if (w->which == IOPRIO_WHO_PGRP ? (uint32_t)p->tg->pgid != w->who : p->cred.uid != w->who)
		return;
	if (w->set) {
		/* Linux stops at the first task it may not change. */
		if (w->result == 0 || w->result == -ESRCH)
			w->result = ioprio_set_one_locked(w->caller, p, w->ioprio);
		return;
	}
	/* ioprio_best: the numerically lowest, so RT over BE over IDLE, then the level. */
	long prio = ioprio_effective_locked(p);
	if (w->result == -ESRCH || prio < w->result)
		w->result = prio;
}

/*
 * ioprio_set(2) and ioprio_get(2) on a process group or a user. who 0 is
 * the caller's group, or for ioprio_get the caller's uid; for ioprio_set
 * it is uid 0 (root): Linux makes who a uid before it looks at 0, and
 * matches tasks against that. A negative pgid and uid -1 name nothing.
 */
static long ioprio_walk(struct task *t, int which, int who, bool set, int ioprio)
{
	struct ioprio_walk w = { t, which, (uint32_t)who, set, ioprio, -ESRCH };
	pthread_mutex_lock(&kernel.lock);
	if (which == IOPRIO_WHO_PGRP && who == 0)
		w.who = (uint32_t)t->tg->pgid;
	else if (which == IOPRIO_WHO_USER && who == 0 && !set)
		w.who = t->cred.uid;
	bool none = which == IOPRIO_WHO_PGRP ? who < 0 : who == -1;
	if (!none)
		kernel_for_each_task_locked(ioprio_visit_locked, &w);
	pthread_mutex_unlock(&kernel.lock);
	return w.result;
}

/*
 * ioprio_set(2) (set: ioprio checked first, then who is looked up) and
 * ioprio_get(2): a thread's value as set (0 if never set); for a group or
 * a user, the best effective priority among its threads.
 */
static long ioprio_call(struct task *t, int which, int who, bool set, int ioprio)
{
	if (set) {
		int rc = ioprio_check(t, ioprio);
		if (rc)
			return rc;
	}
	if (which == IOPRIO_WHO_PGRP || which == IOPRIO_WHO_USER)
		return ioprio_walk(t, which, who, set, ioprio);
	if (which != IOPRIO_WHO_PROCESS)
		return -EINVAL;
	struct task *p = sched_find_task(t, who);
	if (!p)
		return -ESRCH;
	pthread_mutex_lock(&kernel.lock);
	long rc = set ? ioprio_set_one_locked(t, p, ioprio) : ioprio_raw_locked(p);
	pthread_mutex_unlock(&kernel.lock);
	task_put(p);
	return rc;
}

long sys_ioprio_set(struct task *t, const struct syscall_args *a)
{
	return ioprio_call(t, (int)a->arg[0], (int)a->arg[1], true, (int)a->arg[2]);
}

long sys_ioprio_get(struct task *t, const struct syscall_args *a)
{
	return ioprio_call(t, (int)a->arg[0], (int)a->arg[1], false, 0);
}

/* ---- policies and priorities ---- */

static bool mask_full_locked(const struct task_sched *s)
{
	int n = guest_ncpus();
	bool any = false;
	for (int i = 0; i < 16; i++)
		any |= s->cpus[i] != 0;
	if (!any)
		return true;
	for (int i = 0; i < n; i++)
		if (!(s->cpus[i / 64] >> (i % 64) & 1))
			return false;
	return true;
}

/* Linux's __checkparam_dl. */
static bool dl_params_valid(const struct guest_sched_attr *at)
{
	if (at->sched_flags & SCHED_FLAG_SUGOV)
		return true;
	if (at->sched_deadline == 0 || at->sched_runtime < (1ULL << 10))
		return false;
	if ((at->sched_deadline | at->sched_period) & (1ULL << 63))
		return false;
	uint64_t period = at->sched_period ? at->sched_period : at->sched_deadline;
	if (period < at->sched_deadline || at->sched_deadline < at->sched_runtime)
		return false;
	return period >= DL_PERIOD_MIN_NS && period <= DL_PERIOD_MAX_NS;
}

/* Linux's user_check_sched_setscheduler. kernel.lock. */
static int sched_user_check_locked(struct task *t, struct task *p, const struct guest_sched_attr *at,
				   int policy, bool reset)
{
	const struct task_sched *s = &p->sched;
	bool priv = false;
	if (fair_policy(policy) && at->sched_nice < s->nice &&
	    !nice_within_rlimit_locked(p, at->sched_nice))
		priv = true;
	if (rt_policy(policy)) {
		uint64_t rlim = p->tg->rlimits[RLIMIT_RTPRIO].rlim_cur;
		if (policy != s->policy && !rlim)
			priv = true;
		if (at->sched_priority > s->rt_priority && at->sched_priority > rlim)
			priv = true;
	}
	if (policy == GUEST_SCHED_DEADLINE)
		priv = true;
	if (s->policy == GUEST_SCHED_IDLE && policy != GUEST_SCHED_IDLE &&
	    !nice_within_rlimit_locked(p, s->nice))
		priv = true;
	if (!same_owner_locked(t, p))
		priv = true;
	if (s->reset_on_fork && !reset)
		priv = true;
	return priv && !capable_nice(t) ? -EPERM : 0;
}

static bool sched_unchanged_locked(const struct task_sched *s, const struct guest_sched_attr *at,
				   int policy)
{
	if (policy != s->policy)
		return false;
	if (fair_policy(policy))
		return at->sched_nice == s->nice &&
		       (at->sched_runtime ? at->sched_runtime : 0) == s->slice;
	if (rt_policy(policy))
		return at->sched_priority == s->rt_priority;
	if (policy == GUEST_SCHED_DEADLINE)
		return at->sched_runtime == s->dl_runtime && at->sched_deadline == s->dl_deadline &&
		       at->sched_period == s->dl_period &&
		       (at->sched_flags & SCHED_DL_FLAGS) == s->dl_flags;
	return true;
}

/*
 * Linux's __sched_setscheduler for a user request: at->sched_policy is
 * SETPARAM_POLICY (as an int) to keep the policy. kernel.lock.
 */
static int sched_set_locked(struct task *t, struct task *p, const struct guest_sched_attr *at)
{
	struct task_sched *s = &p->sched;
	int policy = (int)at->sched_policy;
	bool reset;
	if (policy < 0) {
		reset = s->reset_on_fork;
		policy = s->policy;
	} else {
		reset = at->sched_flags & SCHED_FLAG_RESET_ON_FORK;
		if (!valid_policy(policy))
			return -EINVAL;
	}
	if (at->sched_flags & ~(uint64_t)(SCHED_FLAG_ALL | SCHED_FLAG_SUGOV))
		return -EINVAL;
	if (at->sched_priority > MAX_RT_PRIO - 1)
		return -EINVAL;
	if ((policy == GUEST_SCHED_DEADLINE && !dl_params_valid(at)) ||
	    rt_policy(policy) != (at->sched_priority != 0))
		return -EINVAL;
	int rc = sched_user_check_locked(t, p, at, policy, reset);
	if (rc)
		return rc;
	if (at->sched_flags & SCHED_FLAG_SUGOV)
		return -EINVAL;
	if (at->sched_flags & SCHED_FLAG_UTIL_CLAMP)
		return -EOPNOTSUPP;        /* no utilization clamping (CONFIG_UCLAMP_TASK) */
	if (sched_unchanged_locked(s, at, policy)) {
		s->reset_on_fork = reset;
		return 0;
	}
	/* A deadline task must be allowed on every CPU of its root domain. */
	if (policy == GUEST_SCHED_DEADLINE && !mask_full_locked(s))
		return -EPERM;
	s->reset_on_fork = reset;
	if (at->sched_flags & SCHED_FLAG_KEEP_PARAMS)
		return 0;
	s->policy = policy;
	if (policy == GUEST_SCHED_DEADLINE) {
		s->dl_runtime = at->sched_runtime;
		s->dl_deadline = at->sched_deadline;
		s->dl_period = at->sched_period ? at->sched_period : at->sched_deadline;
		s->dl_flags = at->sched_flags & SCHED_DL_FLAGS;
	} else if (fair_policy(policy)) {
		s->nice = at->sched_nice;
		uint64_t r = at->sched_runtime;
		s->slice = !r ? 0 : r < 100000 ? 100000 : r > 100000000 ? 100000000 : r;
	}
	s->rt_priority = at->sched_priority;
	return 0;
}

/* Linux's get_params: what sched_getattr (and SCHED_FLAG_KEEP_PARAMS) reads. kernel.lock. */
static void sched_get_params_locked(const struct task_sched *s, struct guest_sched_attr *at)
{
	if (s->policy == GUEST_SCHED_DEADLINE) {
		at->sched_runtime = s->dl_runtime;
		at->sched_deadline = s->dl_deadline;
		at->sched_period = s->dl_period;
		at->sched_flags |= s->dl_flags;
		at->sched_priority = s->rt_priority;
	} else if (rt_policy(s->policy)) {
		at->sched_priority = s->rt_priority;
	} else {
		at->sched_nice = s->nice;
		at->sched_runtime = s->slice ? s->slice : base_slice_ns();
	}
}

/* sched_setscheduler(2) and sched_setparam(2) (policy SETPARAM_POLICY). */
static long do_sched_setscheduler(struct task *t, int pid, int policy, uint64_t uparam)
{
	if (!uparam || pid < 0)
		return -EINVAL;
	int prio;
	if (mm_copy_in(t->mm, &prio, gaddr(uparam), sizeof(prio)))
		return -EFAULT;
	struct task *p = sched_find_task(t, pid);
	if (!p)
		return -ESRCH;
	pthread_mutex_lock(&kernel.lock);
	struct guest_sched_attr at = {
		.sched_policy = (uint32_t)policy,
		.sched_priority = (uint32_t)prio,
		.sched_nice = p->sched.nice,
	};
	/* The legacy SCHED_RESET_ON_FORK bit in the policy. */
	if (policy != SETPARAM_POLICY && (policy & GUEST_SCHED_RESET_ON_FORK)) {
		at.sched_flags |= SCHED_FLAG_RESET_ON_FORK;
		at.sched_policy = (uint32_t)(policy & ~GUEST_SCHED_RESET_ON_FORK);
	}
	long rc = sched_set_locked(t, p, &at);
	pthread_mutex_unlock(&kernel.lock);
	task_put(p);
	return rc;
}

/* sched_setscheduler(2) */
long sys_sched_setscheduler(struct task *t, const struct syscall_args *a)
{
	int policy = (int)a->arg[1];
	if (policy < 0)
		return -EINVAL;
	return do_sched_setscheduler(t, (int)a->arg[0], policy, a->arg[2]);
}

/* sched_setparam(2) */
long sys_sched_setparam(struct task *t, const struct syscall_args *a)
{
	return do_sched_setscheduler(t, (int)a->arg[0], SETPARAM_POLICY, a->arg[1]);
}

/* sched_getscheduler(2): the policy, with SCHED_RESET_ON_FORK or'ed in. */
long sys_sched_getscheduler(struct task *t, const struct syscall_args *a)
{
	int pid = (int)a->arg[0];
	if (pid < 0)
		return -EINVAL;
	struct task *p = sched_find_task(t, pid);
	if (!p)
		return -ESRCH;
	pthread_mutex_lock(&kernel.lock);
	long rc = p->sched.policy | (p->sched.reset_on_fork ? GUEST_SCHED_RESET_ON_FORK : 0);
	pthread_mutex_unlock(&kernel.lock);
	task_put(p);
	return rc;
}

/* sched_getparam(2): the RT priority, 0 for other policies. */
long sys_sched_getparam(struct task *t, const struct syscall_args *a)
{
	int pid = (int)a->arg[0];
	uint64_t uparam = a->arg[1];
	if (!uparam || pid < 0)
		return -EINVAL;
	struct task *p = sched_find_task(t, pid);
	if (!p)
		return -ESRCH;
	pthread_mutex_lock(&kernel.lock);
	int prio = rt_policy(p->sched.policy) ? (int)p->sched.rt_priority : 0;
	pthread_mutex_unlock(&kernel.lock);
	task_put(p);
	return mm_copy_out(t->mm, gaddr(uparam), &prio, sizeof(prio)) ? -EFAULT : 0;
}

/*
 * Linux's sched_copy_attr: size 0 means VER0; below VER0 or above a page,
 * or non-zero bytes past what we know, is E2BIG with our size written back.
 */
static long sched_copy_attr_in(struct task *t, gaddr_t uattr, struct guest_sched_attr *at)
{
	memset(at, 0, sizeof(*at));
	uint32_t size;
	if (mm_copy_in(t->mm, &size, uattr, sizeof(size)))
		return -EFAULT;
	if (!size)
		size = SCHED_ATTR_SIZE_VER0;
	if (size < SCHED_ATTR_SIZE_VER0 || size > PAGE_SIZE)
		goto too_big;
	if (mm_copy_in(t->mm, at, uattr, MIN(size, sizeof(*at))))
		return -EFAULT;
	if (size > sizeof(*at)) {
		uint8_t rest[PAGE_SIZE];
		size_t n = size - sizeof(*at);
		if (mm_copy_in(t->mm, rest, gaddr_add(uattr, sizeof(*at)), n))
			return -EFAULT;
		for (size_t i = 0; i < n; i++)
			if (rest[i])
				goto too_big;
	}
	if ((at->sched_flags & SCHED_FLAG_UTIL_CLAMP) && size < SCHED_ATTR_SIZE_VER1)
		return -EINVAL;
	at->sched_nice = at->sched_nice < MIN_NICE ? MIN_NICE
			 : at->sched_nice > MAX_NICE ? MAX_NICE : at->sched_nice;
	return 0;
too_big:
	size = sizeof(*at);
	mm_copy_out(t->mm, uattr, &size, sizeof(size));
	return -E2BIG;
}

/* sched_setattr(2) */
long sys_sched_setattr(struct task *t, const struct syscall_args *a)
{
	int pid = (int)a->arg[0];
	uint64_t uattr = a->arg[1];
	unsigned flags = (unsigned)a->arg[2];
	if (!uattr || pid < 0 || flags)
		return -EINVAL;
	struct guest_sched_attr at;
	long rc = sched_copy_attr_in(t, gaddr(uattr), &at);
	if (rc)
		return rc;
	if ((int)at.sched_policy < 0)
		return -EINVAL;
	if (at.sched_flags & SCHED_FLAG_KEEP_POLICY)
		at.sched_policy = (uint32_t)SETPARAM_POLICY;
	struct task *p = sched_find_task(t, pid);
	if (!p)
		return -ESRCH;
	pthread_mutex_lock(&kernel.lock);
	if (at.sched_flags & SCHED_FLAG_KEEP_PARAMS)
		sched_get_params_locked(&p->sched, &at);
	rc = sched_set_locked(t, p, &at);
	pthread_mutex_unlock(&kernel.lock);
	task_put(p);
	return rc;
}

/*
 * sched_getattr(2): writes min(usize, 56) bytes with size set to that;
 * a larger buffer's tail is zeroed (as Linux 6.18 does).
 */
long sys_sched_getattr(struct task *t, const struct syscall_args *a)
{
	int pid = (int)a->arg[0];
	uint64_t uattr = a->arg[1];
	unsigned usize = (unsigned)a->arg[2], flags = (unsigned)a->arg[3];
	if (!uattr || pid < 0 || usize > PAGE_SIZE || usize < SCHED_ATTR_SIZE_VER0 || flags)
		return -EINVAL;
	struct task *p = sched_find_task(t, pid);
	if (!p)
		return -ESRCH;
	struct guest_sched_attr at = { 0 };
	pthread_mutex_lock(&kernel.lock);
	at.sched_policy = (uint32_t)p->sched.policy;
	if (p->sched.reset_on_fork)
		at.sched_flags |= SCHED_FLAG_RESET_ON_FORK;
	sched_get_params_locked(&p->sched, &at);
	at.sched_flags &= SCHED_FLAG_ALL;
	pthread_mutex_unlock(&kernel.lock);
	task_put(p);
	at.size = MIN(usize, (unsigned)sizeof(at));
	if (mm_copy_out(t->mm, gaddr(uattr), &at, at.size))
		return -EFAULT;
	if (usize > sizeof(at) &&
	    mm_zero_out(t->mm, gaddr_add(gaddr(uattr), sizeof(at)), usize - sizeof(at)))
		return -EFAULT;
	return 0;
}

/* sched_get_priority_max(2) */
long sys_sched_get_priority_max(struct task *t, const struct syscall_args *a)
{
	int policy = (int)a->arg[0];
	if (rt_policy(policy))
		return MAX_RT_PRIO - 1;
	return valid_policy(policy) ? 0 : -EINVAL;
}

/* sched_get_priority_min(2) */
long sys_sched_get_priority_min(struct task *t, const struct syscall_args *a)
{
	int policy = (int)a->arg[0];
	if (rt_policy(policy))
		return 1;
	return valid_policy(policy) ? 0 : -EINVAL;
}

/*
 * sched_rr_get_interval(2): SCHED_RR's 100 ms slice; 0 ("infinity") for
 * the others, as Linux rounds a fair task's sub-jiffy slice down.
 */
long sys_sched_rr_get_interval(struct task *t, const struct syscall_args *a)
{
	int pid = (int)a->arg[0];
	if (pid < 0)
		return -EINVAL;
	struct task *p = sched_find_task(t, pid);
	if (!p)
		return -ESRCH;
	pthread_mutex_lock(&kernel.lock);
	bool rr = p->sched.policy == GUEST_SCHED_RR;
	pthread_mutex_unlock(&kernel.lock);
	task_put(p);
	struct timespec ts = { 0, rr ? RR_TIMESLICE_NS : 0 };
	return mm_copy_out(t->mm, gaddr(a->arg[1]), &ts, sizeof(ts)) ? -EFAULT : 0;
}

/* ---- CPU affinity ---- */

/* p's affinity over the guest's CPUs into mask (cleared first). kernel.lock. */
static void affinity_get_locked(const struct task *p, uint64_t mask[16], int n)
{
	memset(mask, 0, 16 * sizeof(uint64_t));
	bool any = false;
	for (int i = 0; i < 16; i++)
		any |= p->sched.cpus[i] != 0;
	for (int i = 0; i < n; i++)
		if (!any || (p->sched.cpus[i / 64] >> (i % 64) & 1))
			mask[i / 64] |= 1ULL << (i % 64);
}

/* sched_getaffinity(2): the raw syscall returns the size of the mask written. */
long sys_sched_getaffinity(struct task *t, const struct syscall_args *a)
{
	int pid = (int)a->arg[0];
	uint32_t len = (uint32_t)a->arg[1];        /* unsigned int in Linux: len * 8 wraps */
	int n = guest_ncpus();
	if ((uint32_t)(len * 8) < (uint32_t)n || (len & 7))
		return -EINVAL;
	struct task *p = sched_find_task(t, pid);
	if (!p)
		return -ESRCH;
	uint64_t mask[16];
	pthread_mutex_lock(&kernel.lock);
	affinity_get_locked(p, mask, n);
	pthread_mutex_unlock(&kernel.lock);
	task_put(p);
	size_t out = MIN((size_t)len, cpumask_bytes(n));
	return mm_copy_out(t->mm, gaddr(a->arg[2]), mask, out) ? -EFAULT : (long)out;
}

/*
 * sched_setaffinity(2): the mask is stored per thread, intersected with the
 * guest's CPUs (EINVAL if nothing is left); the sentry places its threads
 * itself.
 */
long sys_sched_setaffinity(struct task *t, const struct syscall_args *a)
{
	int pid = (int)a->arg[0];
	uint32_t len = (uint32_t)a->arg[1];
	int n = guest_ncpus();
	size_t size = cpumask_bytes(n);
	uint64_t mask[16] = { 0 };
	/* Linux: a short mask reads as zeros past its end; a long one is cut. */
	if (mm_copy_in(t->mm, mask, gaddr(a->arg[2]), MIN((size_t)len, size)))
		return -EFAULT;
	struct task *p = sched_find_task(t, pid);
	if (!p)
		return -ESRCH;
	long rc = 0;
	pthread_mutex_lock(&kernel.lock);
	if (!same_owner_locked(t, p) && !capable_nice(t)) {
		rc = -EPERM;
		goto out;
	}
	bool any = false;
	for (int i = 0; i < 16; i++) {
		uint64_t valid = i * 64 >= n ? 0 : n - i * 64 >= 64 ? ~0ULL : (1ULL << (n - i * 64)) - 1;
		mask[i] &= valid;
		any |= mask[i] != 0;
	}
	if (!any) {
		rc = -EINVAL;
		goto out;
	}
	if (p->sched.policy == GUEST_SCHED_DEADLINE) {
		struct task_sched probe = p->sched;
		memcpy(probe.cpus, mask, sizeof(probe.cpus));
		if (!mask_full_locked(&probe)) {
			rc = -EBUSY;
			goto out;
		}
	}
	memcpy(p->sched.cpus, mask, sizeof(mask));
out:
	pthread_mutex_unlock(&kernel.lock);
	task_put(p);
	return rc;
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
