/*
 * Resource usage: the CPU time of guest threads and processes (from the
 * platform's per-context accounting plus the serving sentry thread), the
 * CPU-time clocks built on it, peak resident set sizes, getrusage.
 */
#ifndef SENTRY_RUSAGE_H
#define SENTRY_RUSAGE_H

#include <sys/resource.h>
#include <time.h>
#include "sentry/task.h"

/* Linux's CPU clock kinds (CPUCLOCK_WHICH of a clock id). */
#define CPUCLOCK_PROF 0        /* user + system */
#define CPUCLOCK_VIRT 1        /* user only */
#define CPUCLOCK_SCHED 2       /* user + system, precise */

/* A CPU-time clock, decoded: a process (tid 0) or one thread of it. */
struct cpu_clock {
	int which;             /* CPUCLOCK_* */
	int tgid;
	int tid;               /* a thread clock, or 0 */
};

/*
 * Decode clock id clk as a CPU-time clock that t may read:
 * CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID, or Linux's encoded
 * pid/tid clocks (clock_getcpuclockid, pthread_getcpuclockid). 0 if it is
 * one, -EINVAL if it is invalid or names no process or thread t may see
 * (thread clocks: t's own process only), 1 if clk is not a CPU clock.
 */
int cpu_clock_decode(struct task *t, clockid_t clk, struct cpu_clock *c);

/* The current value of a decoded CPU clock in ns; -EINVAL if its target is gone. */
int cpu_clock_read(const struct cpu_clock *c, uint64_t *ns);

/* The clock's resolution (1 ns for CPUCLOCK_SCHED, a tick for the others). */
void cpu_clock_res(const struct cpu_clock *c, struct timespec *res);

/* CPU time of one thread, and of a process (live threads and ended ones). */
void cputime_task(struct task *t, struct cputime *c);
void cputime_group_locked(struct thread_group *tg, struct cputime *c);   /* kernel.lock */

/*
 * The task's sentry thread starts running it with ctx (its own thread,
 * before the first switch), and stops: rusage_task_detach returns the
 * context for the caller to release.
 */
void rusage_task_attach(struct task *t, struct plat_ctx *ctx);
struct plat_ctx *rusage_task_detach(struct task *t);

/* t's thread is ending: its CPU time goes to its group. Caller holds kernel.lock. */
void rusage_task_exit_locked(struct task *t);

/* t was its process's last thread (mm: its address space, still held): record the peak RSS. */
void rusage_group_exit(struct task *t, struct mm *mm);

/*
 * What wait4/waitid report for child c: its CPU time and its reaped
 * children's, the larger peak RSS of the two (the counters are zero).
 * Caller holds kernel.lock.
 */
void rusage_wait_locked(struct thread_group *c, struct rusage *ru);

/* p reaps zombie c: c's totals and its children's join p's children (kernel.lock). */
void rusage_reap_locked(struct thread_group *p, struct thread_group *c);

/* getrusage(2) for who (RUSAGE_SELF, RUSAGE_CHILDREN, RUSAGE_THREAD); 0 or -EINVAL. */
int rusage_get(struct task *t, int who, struct rusage *ru);

#endif
