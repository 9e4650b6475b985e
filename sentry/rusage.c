/*
 * Resource usage. A guest thread's CPU time is what the platform measured
 * for its context (the host's CPU clocks of the stubs it ran in: user time
 * is the guest's own instructions, system time the host kernel's traps and
 * faults for it) plus the CPU time of the sentry thread serving it, counted
 * as system time: that is the kernel's work on the guest's behalf. A
 * process adds its live threads to the total of those that ended; a parent
 * gets a child's totals (its own and its reaped children's) when it reaps
 * it with wait4/waitid, as Linux's wait_task_zombie: a child reaped
 * because its parent ignores SIGCHLD counts for nobody.
 *
 * Locking: everything here is under kernel.lock (then the platform's leaf
 * lock inside plat_ctx_cpu_time). t->ctx is set and cleared under
 * kernel.lock so that a sampler never sees a released context.
 */
#include <errno.h>
#include <string.h>
#include "sentry/kernel_internal.h"
#include "sentry/mm.h"
#include "sentry/rusage.h"

#define NS 1000000000ULL

static uint64_t clock_ns(clockid_t c)
{
	struct timespec ts;
	if (clock_gettime(c, &ts) < 0)
		return 0;
	return (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec;
}

static void cputime_add(struct cputime *a, const struct cputime *b)
{
	a->user += b->user;
	a->sys += b->sys;
}

static void cputime_task_locked(struct task *t, struct cputime *c)
{
	if (t->cpu_folded) {
		*c = t->cpu_final;
		return;
	}
	c->user = c->sys = 0;
	if (t->ctx) {
		plat_ctx_cpu_time(t->ctx, &c->user, &c->sys);
		uint64_t sentry = clock_ns(t->sentry_clock), wait = plat_ctx_wait_cpu_ns(t->ctx);
		c->sys += sentry > wait ? sentry - wait : 0;
	}
	/*
	 * What the platform subtracts for its own spinning is estimated (wall
	 * time spun, not CPU time): never let a clock go back because of it.
	 */
	if (c->user < t->cpu_seen.user)
		c->user = t->cpu_seen.user;
	if (c->sys < t->cpu_seen.sys)
		c->sys = t->cpu_seen.sys;
	t->cpu_seen = *c;
}

void cputime_task(struct task *t, struct cputime *c)
{
	pthread_mutex_lock(&kernel.lock);
	cputime_task_locked(t, c);
	pthread_mutex_unlock(&kernel.lock);
}

struct sum_arg {
	struct thread_group *tg;
	struct cputime *sum;
};

static void sum_live_locked(struct task *t, void *arg)
{
	struct sum_arg *sa = arg;
	if (t->tg != sa->tg || t->cpu_folded)
		return;
	struct cputime c;
	cputime_task_locked(t, &c);
	cputime_add(sa->sum, &c);
}

void cputime_group_locked(struct thread_group *tg, struct cputime *c)
{
	*c = tg->cpu_exited;
	struct sum_arg sa = { tg, c };
	kernel_for_each_task_locked(sum_live_locked, &sa);
}

void rusage_task_attach(struct task *t, struct plat_ctx *ctx)
{
	clockid_t clk;
	bool have_clock = pthread_getcpuclockid(pthread_self(), &clk) == 0;
	pthread_mutex_lock(&kernel.lock);
	t->sentry_clock = have_clock ? clk : CLOCK_THREAD_CPUTIME_ID;
	t->ctx = ctx;
	pthread_mutex_unlock(&kernel.lock);
}

struct plat_ctx *rusage_task_detach(struct task *t)
{
	pthread_mutex_lock(&kernel.lock);
	struct plat_ctx *ctx = t->ctx;
	t->ctx = NULL;
	pthread_mutex_unlock(&kernel.lock);
	return ctx;
}

void rusage_task_exit_locked(struct task *t)
{
	if (t->cpu_folded)
		return;
	cputime_task_locked(t, &t->cpu_final);
	t->cpu_folded = true;
	cputime_add(&t->tg->cpu_exited, &t->cpu_final);
}

/* Resident set of mm in KiB (unless fresh, possibly a few moments old: mm_rss). */
static uint64_t mm_rss_kb(struct mm *mm, bool fresh)
{
	return mm ? mm_rss(mm, fresh) >> 10 : 0;
}

void rusage_group_exit(struct task *t, struct mm *mm)
{
	uint64_t rss = mm_rss_kb(mm, true);
	pthread_mutex_lock(&kernel.lock);
	struct thread_group *tg = t->tg;
	tg->maxrss_kb = MAX(tg->maxrss_kb, rss);
	pthread_mutex_unlock(&kernel.lock);
}

static struct timeval ns_to_tv(uint64_t ns)
{
	return (struct timeval){ (time_t)(ns / NS), (suseconds_t)(ns % NS / 1000) };
}

/* Linux's getrusage(p, RUSAGE_BOTH): the process and its reaped children together. */
void rusage_wait_locked(struct thread_group *c, struct rusage *ru)
{
	struct cputime sum;
	cputime_group_locked(c, &sum);
	cputime_add(&sum, &c->cpu_children);
	memset(ru, 0, sizeof(*ru));
	ru->ru_utime = ns_to_tv(sum.user);
	ru->ru_stime = ns_to_tv(sum.sys);
	ru->ru_maxrss = (long)MAX(c->maxrss_kb, c->children_maxrss_kb);
}

void rusage_reap_locked(struct thread_group *p, struct thread_group *c)
{
	struct cputime sum;
	cputime_group_locked(c, &sum);
	cputime_add(&p->cpu_children, &sum);
	cputime_add(&p->cpu_children, &c->cpu_children);
	uint64_t m = MAX(c->maxrss_kb, c->children_maxrss_kb);
	p->children_maxrss_kb = MAX(p->children_maxrss_kb, m);
}

int rusage_get(struct task *t, int who, struct rusage *ru)
{
	if (who != RUSAGE_SELF && who != RUSAGE_CHILDREN && who != RUSAGE_THREAD)
		return -EINVAL;
	memset(ru, 0, sizeof(*ru));
	uint64_t rss = who == RUSAGE_CHILDREN ? 0 : mm_rss_kb(t->mm, false);
	struct thread_group *tg = t->tg;
	struct cputime c;
	pthread_mutex_lock(&kernel.lock);
	tg->maxrss_kb = MAX(tg->maxrss_kb, rss);
	if (who == RUSAGE_CHILDREN) {
		c = tg->cpu_children;
		ru->ru_maxrss = (long)tg->children_maxrss_kb;
	} else {
		if (who == RUSAGE_SELF)
			cputime_group_locked(tg, &c);
		else
			cputime_task_locked(t, &c);
		ru->ru_maxrss = (long)tg->maxrss_kb;
	}
	pthread_mutex_unlock(&kernel.lock);
	ru->ru_utime = ns_to_tv(c.user);
	ru->ru_stime = ns_to_tv(c.sys);
	return 0;
}

/* ---- CPU-time clocks ---- */

struct find_arg {
	int tid;
	struct task *found;
};

static void find_tid_locked(struct task *t, void *arg)
{
	struct find_arg *fa = arg;
	if (t->tid == fa->tid && !fa->found)
		fa->found = t;
}

static struct task *find_task_locked(int tid)
{
	struct task *cur = task_current();
	if (cur && cur->tid == tid)
		return cur;
	struct find_arg fa = { tid, NULL };
	kernel_for_each_task_locked(find_tid_locked, &fa);
	return fa.found;
}

int cpu_clock_decode(struct task *t, clockid_t clk, struct cpu_clock *c)
{
	if (clk == CLOCK_PROCESS_CPUTIME_ID || clk == CLOCK_THREAD_CPUTIME_ID) {
		*c = (struct cpu_clock){ CPUCLOCK_SCHED, t->tg->tgid,
					 clk == CLOCK_THREAD_CPUTIME_ID ? t->tid : 0 };
		return 0;
	}
	if (clk >= 0)
		return 1;
	/* Linux's encoding: ~pid << 3, bit 2 per-thread, bits 0-1 the kind (3: a clock fd). */
	int which = clk & 3;
	bool thread = clk & 4;
	int pid = ~(clk >> 3);
	if (which == 3 || pid < 0)
		return -EINVAL;
	if (pid == 0) {
		*c = (struct cpu_clock){ which, t->tg->tgid, thread ? t->tid : 0 };
		return 0;
	}
	int rc = -EINVAL;
	pthread_mutex_lock(&kernel.lock);
	if (thread) {
		/* Only the threads of the caller's own process. */
		struct task *o = find_task_locked(pid);
		if (o && o->tg == t->tg) {
			*c = (struct cpu_clock){ which, t->tg->tgid, pid };
			rc = 0;
		}
	} else if (pid == t->tid || process_find_locked(pid)) {
		/* A process by its pid (a zombie too), or the caller's by its own tid. */
		*c = (struct cpu_clock){ which, pid == t->tid ? t->tg->tgid : pid, 0 };
		rc = 0;
	}
	pthread_mutex_unlock(&kernel.lock);
	return rc;
}

int cpu_clock_read(const struct cpu_clock *c, uint64_t *ns)
{
	struct cputime v;
	int rc = 0;
	pthread_mutex_lock(&kernel.lock);
	if (c->tid) {
		struct task *o = find_task_locked(c->tid);
		if (o && o->tg->tgid == c->tgid)
			cputime_task_locked(o, &v);
		else
			rc = -EINVAL;
	} else {
		struct thread_group *tg = process_find_locked(c->tgid);
		if (tg)
			cputime_group_locked(tg, &v);
		else
			rc = -EINVAL;
	}
	pthread_mutex_unlock(&kernel.lock);
	if (!rc)
		*ns = c->which == CPUCLOCK_VIRT ? v.user : v.user + v.sys;
	return rc;
}

void cpu_clock_res(const struct cpu_clock *c, struct timespec *res)
{
	*res = (struct timespec){ 0, 1 };
	if (c->which != CPUCLOCK_SCHED) {
		/* Tick-sampled, as the host's: its process PROF clock's resolution. */
		clockid_t host = (clockid_t)(~0U << 3 | CPUCLOCK_PROF);   /* pid 0: the sentry */
		if (clock_getres(host, res) < 0)
			*res = (struct timespec){ 0, 4000000 };
	}
}
