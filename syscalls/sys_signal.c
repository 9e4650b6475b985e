/*
 * Signal bookkeeping: rt_sigaction, rt_sigprocmask, rt_sigpending,
 * sigaltstack. Delivery to guest handlers comes with the signals work.
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
#define GUEST_MINSIGSTKSZ 2048
#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31)
#endif

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
	if (uact.v)
		t->tg->actions[sig - 1] = act;
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
	uint64_t p = __atomic_load_n(&t->tg->pending, __ATOMIC_ACQUIRE) & t->sigmask;
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

/* sigaltstack(2) */
long sys_sigaltstack(struct task *t, const struct syscall_args *a)
{
	gaddr_t uss = gaddr(a->arg[0]), uold = gaddr(a->arg[1]);
	struct guest_stack_t old = {
		.ss_sp = t->altstack_sp, .ss_flags = t->altstack_flags, .ss_size = t->altstack_size,
	};
	if (uss.v) {
		struct guest_stack_t ss;
		if (mm_copy_in(t->mm, &ss, uss, sizeof(ss)))
			return -EFAULT;
		int mode = ss.ss_flags & ~SS_AUTODISARM;
		if (mode != 0 && mode != SS_DISABLE && mode != SS_ONSTACK)
			return -EINVAL;
		if (mode == SS_DISABLE) {
			t->altstack_sp = t->altstack_size = 0;
			t->altstack_flags = SS_DISABLE;
		} else {
			if (ss.ss_size < GUEST_MINSIGSTKSZ)
				return -ENOMEM;
			t->altstack_sp = ss.ss_sp;
			t->altstack_size = ss.ss_size;
			t->altstack_flags = ss.ss_flags & SS_AUTODISARM;
		}
	}
	if (uold.v && mm_copy_out(t->mm, uold, &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

/* Signal thread tid (of thread group tgid, or any when tgid is 0). */
static long signal_thread(struct task *t, int tgid, int tid, int sig)
{
	struct task *target = task_lookup(tid);
	if (!target)
		return -ESRCH;
	long rc = -ESRCH;
	if (!tgid || target->tg->tgid == tgid) {
		/* Delivered to the process: any of its threads may run the handler. */
		rc = process_kill(t, target->tg->tgid, sig);
	}
	task_put(target);
	return rc;
}

/* tgkill(2) */
long sys_tgkill(struct task *t, const struct syscall_args *a)
{
	int tgid = (int)a->arg[0], tid = (int)a->arg[1], sig = (int)a->arg[2];
	if (tgid <= 0 || tid <= 0 || sig < 0 || sig > GUEST_NSIG)
		return -EINVAL;
	return signal_thread(t, tgid, tid, sig);
}

/* tkill(2) */
long sys_tkill(struct task *t, const struct syscall_args *a)
{
	int tid = (int)a->arg[0], sig = (int)a->arg[1];
	if (tid <= 0 || sig < 0 || sig > GUEST_NSIG)
		return -EINVAL;
	return signal_thread(t, 0, tid, sig);
}

/* rt_sigreturn(2): the result is the restored rax. */
long sys_rt_sigreturn(struct task *t, const struct syscall_args *a)
{
	return signal_return(t);
}

/* Take the lowest pending signal in set, if any; its number (0: none). */
static int dequeue_signal(struct task *t, uint64_t set, siginfo_t *info)
{
	pthread_mutex_lock(&kernel.lock);
	uint64_t ready = t->tg->pending & set;
	int sig = 0;
	if (ready) {
		sig = __builtin_ctzll(ready) + 1;
		__atomic_and_fetch(&t->tg->pending, ~(1ULL << (sig - 1)), __ATOMIC_RELEASE);
		*info = t->tg->pending_info[sig - 1];
	}
	pthread_mutex_unlock(&kernel.lock);
	return sig;
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
	long rc;
	for (;;) {
		waiter_reset(&w);
		int sig = dequeue_signal(t, set, &info);
		if (sig) {
			rc = sig;
			break;
		}
		int e = waiter_wait(&w, dl);
		if (e == -ETIMEDOUT) {
			rc = -EAGAIN;
			break;
		}
		if (e == -EINTR) {
			rc = -EINTR;   /* another signal, with a handler or fatal */
			break;
		}
	}
	waiter_destroy(&w);
	if (rc > 0 && a->arg[1] && mm_copy_out(t->mm, gaddr(a->arg[1]), &info, sizeof(info)))
		return -EFAULT;
	return rc;
}
