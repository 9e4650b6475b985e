/*
 * Signal syscalls: dispositions and masks (rt_sigaction, rt_sigprocmask,
 * rt_sigpending), waiting (rt_sigsuspend, pause, rt_sigtimedwait),
 * sending to a thread or with a siginfo (tgkill, tkill, rt_sigqueueinfo,
 * rt_tgsigqueueinfo), sigaltstack and rt_sigreturn. Queues and delivery
 * are sentry/signal.c's; kill and permission checks sentry/process.c's.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include "sentry/kernel_internal.h"
#include "sentry/log.h"
#include "sentry/mm.h"
#include "sentry/process.h"
#include "sentry/signal.h"
#include "sentry/waitq.h"
#include "sentry/task.h"
#include "syscalls/table.h"

#define SIGBIT(s) (1ULL << ((s) - 1))
#define UNBLOCKABLE (SIGBIT(SIGKILL) | SIGBIT(SIGSTOP))

/* rt_sigaction(2): signum, act, oldact, sigsetsize. */
long sys_rt_sigaction(struct task *t, const struct syscall_args *a)
{
	int sig = (int)a->arg[0];
	gaddr_t uact = gaddr(a->arg[1]), uold = gaddr(a->arg[2]);
	if (a->arg[3] != 8)
		return -EINVAL;
	if (sig < 1 || sig > GUEST_NSIG)
		return -EINVAL;
	struct guest_sigaction act;
	if (uact.v) {
		if (sig == SIGKILL || sig == SIGSTOP)
			return -EINVAL;
		if (mm_copy_in(t->mm, &act, uact, sizeof(act)))
			return -EFAULT;
		act.mask &= ~UNBLOCKABLE;
	}
	pthread_mutex_lock(&kernel.lock);
	struct guest_sigaction old = t->tg->actions[sig - 1];
	if (uact.v) {
		t->tg->actions[sig - 1] = act;
		/* Now ignored: pending instances go, blocked or not, from every thread (Linux). */
		bool default_ignored = sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH ||
				       sig == SIGCONT;
		if (act.handler == (uint64_t)SIG_IGN ||
		    (act.handler == (uint64_t)SIG_DFL && default_ignored))
			signal_discard_locked(t->tg, SIGBIT(sig));
	}
	pthread_mutex_unlock(&kernel.lock);
	if (uold.v && mm_copy_out(t->mm, uold, &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

/* rt_sigprocmask(2): how, set, oldset, sigsetsize. */
long sys_rt_sigprocmask(struct task *t, const struct syscall_args *a)
{
	int how = (int)a->arg[0];
	gaddr_t uset = gaddr(a->arg[1]), uold = gaddr(a->arg[2]);
	if (a->arg[3] != 8)
		return -EINVAL;
	uint64_t old = t->sigmask, set = 0;
	if (uset.v) {
		if (mm_copy_in(t->mm, &set, uset, 8))
			return -EFAULT;
		switch (how) {
		case SIG_BLOCK:
			t->sigmask |= set;
			break;
		case SIG_UNBLOCK:
			t->sigmask &= ~set;
			break;
		case SIG_SETMASK:
			t->sigmask = set;
			break;
		default:
			return -EINVAL;
		}
		t->sigmask &= ~UNBLOCKABLE;
	}
	if (uold.v && mm_copy_out(t->mm, uold, &old, 8))
		return -EFAULT;
	return 0;
}

/* rt_sigpending(2): the pending signals that are blocked. */
long sys_rt_sigpending(struct task *t, const struct syscall_args *a)
{
	if (a->arg[1] > 8)
		return -EINVAL;
	uint64_t p = signal_pending_set(t) & t->sigmask;
	return mm_copy_out(t->mm, gaddr(a->arg[0]), &p, a->arg[1]);
}

/* Sleep with a temporary mask until a signal is delivered; the frame restores the old mask. */
static long suspend_with(struct task *t, uint64_t mask)
{
	t->saved_sigmask = t->sigmask;
	t->has_saved_sigmask = true;
	t->sigmask = mask & ~UNBLOCKABLE;
	task_sleep_until(t, NULL);
	return -ERESTARTNOHAND;
}

/* rt_sigsuspend(2) */
long sys_rt_sigsuspend(struct task *t, const struct syscall_args *a)
{
	if (a->arg[1] != 8)
		return -EINVAL;
	uint64_t mask;
	if (mm_copy_in(t->mm, &mask, gaddr(a->arg[0]), 8))
		return -EFAULT;
	return suspend_with(t, mask);
}

/* pause(2) */
long sys_pause(struct task *t, const struct syscall_args *a)
{
	return suspend_with(t, t->sigmask);
}

struct guest_stack_t {
	uint64_t ss_sp;
	int32_t ss_flags;
	int32_t pad;
	uint64_t ss_size;
};

/* sigaltstack(2): the reported flags are as of the caller's stack pointer. */
long sys_sigaltstack(struct task *t, const struct syscall_args *a)
{
	gaddr_t uss = gaddr(a->arg[0]), uold = gaddr(a->arg[1]);
	uint64_t sp = t->regs.rsp;
	struct guest_stack_t old = {
		.ss_sp = t->altstack_sp,
		.ss_flags = signal_altstack_flags(t, sp),
		.ss_size = t->altstack_size,
	};
	if (uss.v) {
		struct guest_stack_t ss;
		if (mm_copy_in(t->mm, &ss, uss, sizeof(ss)))
			return -EFAULT;
		int rc = signal_altstack_set(t, sp, ss.ss_sp, ss.ss_flags, ss.ss_size);
		if (rc)
			return rc;
	}
	if (uold.v && mm_copy_out(t->mm, uold, &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

/* tgkill(2): tgid, tid, sig. The thread itself runs the handler. */
long sys_tgkill(struct task *t, const struct syscall_args *a)
{
	int tgid = (int)a->arg[0], tid = (int)a->arg[1], sig = (int)a->arg[2];
	if (tgid <= 0 || tid <= 0)
		return -EINVAL;
	return process_tgkill(t, tgid, tid, sig, NULL);
}

/* tkill(2): tid, sig. */
long sys_tkill(struct task *t, const struct syscall_args *a)
{
	int tid = (int)a->arg[0], sig = (int)a->arg[1];
	if (tid <= 0)
		return -EINVAL;
	return process_tgkill(t, 0, tid, sig, NULL);
}

/* rt_sigqueueinfo(2): pid, sig, info (the guest's siginfo; si_signo is replaced by sig). */
long sys_rt_sigqueueinfo(struct task *t, const struct syscall_args *a)
{
	int pid = (int)a->arg[0], sig = (int)a->arg[1];
	siginfo_t info;
	if (mm_copy_in(t->mm, &info, gaddr(a->arg[2]), sizeof(info)))
		return -EFAULT;
	return process_sigqueue(t, pid, sig, &info);
}

/* rt_tgsigqueueinfo(2): tgid, tid, sig, info. */
long sys_rt_tgsigqueueinfo(struct task *t, const struct syscall_args *a)
{
	int tgid = (int)a->arg[0], tid = (int)a->arg[1], sig = (int)a->arg[2];
	siginfo_t info;
	if (mm_copy_in(t->mm, &info, gaddr(a->arg[3]), sizeof(info)))
		return -EFAULT;
	if (tgid <= 0 || tid <= 0)
		return -EINVAL;
	return process_tgkill(t, tgid, tid, sig, &info);
}

/* rt_sigreturn(2): the result is the restored rax. */
long sys_rt_sigreturn(struct task *t, const struct syscall_args *a)
{
	return signal_return(t);
}

/* rt_sigtimedwait(2): set, info, timeout, sigsetsize. */
long sys_rt_sigtimedwait(struct task *t, const struct syscall_args *a)
{
	if (a->arg[3] != 8)
		return -EINVAL;
	uint64_t set;
	if (mm_copy_in(t->mm, &set, gaddr(a->arg[0]), 8))
		return -EFAULT;
	set &= ~UNBLOCKABLE;
	struct timespec deadline, *dl = NULL;
	if (a->arg[2]) {
		struct timespec ts;
		if (mm_copy_in(t->mm, &ts, gaddr(a->arg[2]), sizeof(ts)))
			return -EFAULT;
		if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000L)
			return -EINVAL;
		deadline = waitq_deadline_after((uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec);
		dl = &deadline;
	}
	siginfo_t info;
	struct waiter w;
	waiter_init(&w);
	waiter_add(&w, t->tg->signal_wq, ~0u);
	/*
	 * As Linux, the awaited signals are unblocked while waiting, so a
	 * process-directed one wakes this thread, and taken here rather than
	 * by a handler; the mask is back before anything is delivered.
	 */
	uint64_t saved_mask = t->sigmask;
	t->sigmask &= ~set;
	long rc;
	for (;;) {
		waiter_reset(&w);
		int sig = signal_dequeue(t, set, &info);
		if (sig) {
			rc = sig;
			break;
		}
		int e = waiter_wait(&w, dl);
		if (e == -ETIMEDOUT || e == -EINTR) {
			sig = signal_dequeue(t, set, &info);
			/* else: timed out, or another signal (with a handler, or fatal) came */
			rc = sig ? sig : e == -ETIMEDOUT ? -EAGAIN : -EINTR;
			break;
		}
	}
	t->sigmask = saved_mask;
	waiter_destroy(&w);
	if (rc > 0 && a->arg[1] && mm_copy_out(t->mm, gaddr(a->arg[1]), &info, sizeof(info)))
		return -EFAULT;
	return rc;
}
