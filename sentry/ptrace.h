/*
 * ptrace(2) between guest tasks (sentry/ptrace.c). A ptrace stop is a
 * state of the sentry's task: the tracee's sentry thread parks in
 * ptrace_stop while its stub stays stopped under the sentry's own host
 * ptrace; no host ptrace relationship ever exists between stubs.
 */
#ifndef SENTRY_PTRACE_H
#define SENTRY_PTRACE_H

#include <signal.h>
#include "sentry/types.h"

struct wait_result;

/* task.pt.syscall: what a tracee does at its syscalls. */
#define PT_SYS_SYSCALL 1     /* PTRACE_SYSCALL: syscall-entry and syscall-exit stops */
#define PT_SYS_SYSEMU 2      /* PTRACE_SYSEMU: an entry stop, and the call is skipped */
#define PT_SYS_STEP 4        /* single-stepping: a SIGTRAP after the syscall */

/* ---- the tracee's side: called by its own sentry thread ---- */

/*
 * Around a traced syscall (task.pt.syscall set): the syscall-entry stop
 * (false: skip the call, as PTRACE_SYSEMU or an orig_rax of -1 ask), and
 * after the call (ran: it was not skipped) the syscall-exit stop and the
 * single-step trap.
 */
bool ptrace_syscall_enter(struct task *t);
void ptrace_syscall_exit(struct task *t, bool ran);

/*
 * Signal-delivery-stop for sig just dequeued with *info (which the tracer
 * may rewrite): the signal to deliver instead (0: suppressed, or requeued
 * because it is now blocked).
 */
int ptrace_signal_stop(struct task *t, int sig, siginfo_t *info);

/*
 * tg's group stop began or ended (kernel.lock held): its seized tracees
 * trap to tell their tracers, even from PTRACE_LISTEN (Linux's
 * JOBCTL_TRAP_NOTIFY).
 */
void ptrace_notify_group_locked(struct thread_group *tg);

/* Take a pending PTRACE_INTERRUPT (or seized start) trap: a PTRACE_EVENT_STOP. */
void ptrace_trap(struct task *t);

/*
 * t's process is group-stopped: -1 if t is not traced (it sleeps as
 * usual), 1 after t reported the stop to its tracer and was resumed, 0 if
 * it has reported this stop already (a tracee runs on when resumed).
 */
int ptrace_group_stop(struct task *t);

/* A synchronous fault in a traced task: queue it, forced, for a signal-delivery-stop. */
void ptrace_fault(struct task *t, int sig, int code, uint64_t addr);

/* After a successful execve: PTRACE_EVENT_EXEC, or the legacy SIGTRAP. */
void ptrace_exec(struct task *t, int old_tid);

/*
 * fork/clone/vfork: attach child c (not started yet) to t's tracer when
 * t's options or CLONE_PTRACE ask; the PTRACE_EVENT_* t must report (0: none).
 */
int ptrace_clone(struct task *t, struct task *c, uint64_t flags, int exit_signal);
/* The clone failed after ptrace_clone: c leaves its tracer. */
void ptrace_clone_abort(struct task *c);
/* Report event (PTRACE_EVENT_FORK...) with msg (the child's tid) to t's tracer. */
void ptrace_event(struct task *t, int event, uint64_t msg);

/* t is about to end: the PTRACE_EVENT_EXIT stop, when asked for. */
void ptrace_exit_stop(struct task *t);
/*
 * t has ended: as a tracer, its tracees are detached (or killed:
 * PTRACE_O_EXITKILL); as a tracee, its exit is left for the tracer's wait.
 */
void ptrace_task_exit(struct task *t);
/* Free what a task's ptrace state holds (at its last reference). */
void ptrace_task_release(struct task *t);
/* Initialise a new task's ptrace state. */
void ptrace_task_init(struct task *t);

/* ---- the tracer's side ---- */

/*
 * wait(2) for the tracees of waiter's process (kernel.lock held): 1 with
 * *res filled (a stop, or an exit, which unlinks the tracee unless WNOWAIT:
 * *drop is then a reference for the caller to put after unlocking), 0 if
 * none is ready. *any is set when some tracee matches idtype/id.
 */
int ptrace_wait_locked(struct task *waiter, int idtype, int id, int options,
		       struct wait_result *res, bool *any, struct task **drop);


/* ptrace(2): request on pid with addr and data; the result or -errno. */
long ptrace_request(struct task *t, long request, int pid, uint64_t addr, uint64_t data);

#endif
