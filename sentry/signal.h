/* Signal delivery: pending sets, frames on the guest stack, rt_sigreturn. */
#ifndef SENTRY_SIGNAL_H
#define SENTRY_SIGNAL_H

#include <signal.h>
#include "sentry/types.h"

/* True if t has a signal to act on now (unblocked and pending, or its group is exiting). */
bool signal_pending(struct task *t);

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

/* rt_sigreturn(2): restore the frame at the guest's stack pointer. */
long signal_return(struct task *t);

#endif
