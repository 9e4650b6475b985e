/* Signal delivery: pending sets, frames on the guest stack, rt_sigreturn. */
#ifndef SENTRY_SIGNAL_H
#define SENTRY_SIGNAL_H

#include <signal.h>
#include "sentry/types.h"

struct thread_group;

/*
 * True if t has a signal to act on now (unblocked and pending), or must
 * leave whatever it waits for: its group is exiting, or another thread's
 * execve ends it.
 */
bool signal_pending(struct task *t);

/* Signals pending for t: its own and its process's (bit n-1: signal n). */
uint64_t signal_pending_set(struct task *t);

/*
 * Queue one instance of sig with info on process tg (thread NULL: any
 * thread may take it) or on one of its threads; wakes signal_wq but no
 * task (the sender picks whom to wake). Standard signals coalesce,
 * real-time ones queue. 0, or -EAGAIN when RLIMIT_SIGPENDING is reached
 * (real-time signals with data only). Caller holds kernel.lock and has
 * already applied the disposition (ignored signals are not queued).
 */
int signal_queue_locked(struct thread_group *tg, struct task *thread, int sig,
			const siginfo_t *info);

/* Drop every pending instance of the signals in mask from tg and all its threads. kernel.lock. */
void signal_discard_locked(struct thread_group *tg, uint64_t mask);

/*
 * Take the next pending signal of t in mask (t's own first, then its
 * process's; lowest number first): its number with *info filled, or 0.
 */
int signal_dequeue(struct task *t, uint64_t mask, siginfo_t *info);
int signal_dequeue_locked(struct task *t, uint64_t mask, siginfo_t *info);

/*
 * The queued, undelivered siginfo that POSIX timer timerid sent as sig to
 * process tg (editable: si_overrun), or NULL. Caller holds kernel.lock.
 */
siginfo_t *signal_timer_queued_locked(struct thread_group *tg, int sig, int timerid);

/* Free what is still queued: a task's (at its last reference), a group's (at its end). */
void signal_release_task(struct task *t);
/*
 * The FPU state (x87, SSE, AVX...: the XSAVE image) across clone, fork and
 * execve, as Linux keeps it. execve resets it to its state at process
 * start (signal_fpstate_reset, the task's own thread). A new task starts
 * with its creator's: signal_fpstate_fork copies it at the clone (the
 * creator's thread), signal_fpstate_start gives it to the new task once
 * its stub exists, before it first runs (its own thread).
 */
void signal_fpstate_reset(struct task *t);
void signal_fpstate_fork(struct task *c, struct task *t);
void signal_fpstate_start(struct task *t);
void signal_release_group(struct thread_group *tg);

/*
 * sigaltstack(2) on t's alternate stack, sp being the guest's stack
 * pointer: the flags to report (SS_DISABLE, SS_ONSTACK, SS_AUTODISARM),
 * and a change: 0, -EPERM while on the stack, -EINVAL, -ENOMEM.
 */
int signal_altstack_flags(struct task *t, uint64_t sp);
int signal_altstack_set(struct task *t, uint64_t sp, uint64_t ss_sp, int flags, uint64_t size);

/*
 * At the boundary back to the guest: resolve a pending restart code, then
 * deliver the first deliverable signal (run its handler on a new frame, or
 * take its default action). Called by the task loop only.
 */
void signal_deliver(struct task *t);

/*
 * A synchronous fault in guest code (SIGSEGV, SIGBUS...): delivered to the
 * guest's handler when it has one and the signal is not blocked; otherwise
 * it kills the process (returns false: the caller reports the crash).
 */
bool signal_fault(struct task *t, int sig, int code, uint64_t addr);

/*
 * Force info->si_signo on thread t, as Linux's force_sig_info: if t blocks
 * it or its process ignores it, it is unblocked and its action reset to
 * the default first. Queued to t (a pending standard signal stands).
 */
void signal_force(struct task *t, const siginfo_t *info);

/* rt_sigreturn(2): restore the frame at the guest's stack pointer. */
long signal_return(struct task *t);

#endif
