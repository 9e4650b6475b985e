/*
 * Signals: pending queues, delivery, frames, rt_sigreturn.
 *
 * Queues. A process (thread group) and each of its threads have a pending
 * set: a bit per signal, pending_info[n-1] with the siginfo of the next
 * instance of signal n, and pending_more, the later instances of real-time
 * signals (>= 32), oldest first. Standard signals coalesce (a second
 * instance is dropped, the first siginfo stands); real-time signals queue,
 * each with its own siginfo, up to RLIMIT_SIGPENDING instances per process
 * and its threads together (Linux counts per user).
 * kill/sigqueue target the process (any thread not blocking the signal
 * takes it); tgkill/tkill and faults target one thread. A thread takes its
 * own signals first, then the process's; lowest number first, synchronous
 * faults before the rest. Everything here is under kernel.lock; the bit
 * sets are also read atomically without it (signal_pending).
 *
 * Delivery. A handler runs on a Linux-layout rt_sigframe (pretcode,
 * ucontext with sigcontext and signal mask, siginfo, then the XSAVE area
 * with its _fpx_sw_bytes and trailing magic), built on the guest's stack
 * or its alternate stack, with the FPU reset to its initial state as Linux
 * does; rt_sigreturn restores it. Interrupted syscalls follow Linux's
 * restart rules (ERESTARTSYS with SA_RESTART, ERESTARTNOINTR,
 * ERESTARTNOHAND, ERESTART_RESTARTBLOCK: -EINTR for a handler, else
 * restart_syscall(2) with the task's restart block (a relative sleep's
 * or a timed futex wait's), or the call again as ERESTARTNOHAND without one).
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include "sentry/kernel_internal.h"
#include "sentry/log.h"
#include "sentry/mm.h"
#include "sentry/ptrace.h"
#include "sentry/signal.h"
#include "sentry/waitq.h"
#include <poll.h>

#define SIGBIT(s) (1ULL << ((s) - 1))
#define UNBLOCKABLE (SIGBIT(SIGKILL) | SIGBIT(SIGSTOP))
#define FP_XSTATE_MAGIC1 0x46505853U
#define FP_XSTATE_MAGIC2 0x46505845U
#define UC_FP_XSTATE 0x1
#define UC_SIGCONTEXT_SS 0x2
#define UC_STRICT_RESTORE_SS 0x4
#define FPSTATE_MAX (16 * 1024)
#define REDZONE 128
#define GUEST_MINSIGSTKSZ 2048
#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000
#endif
#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31)
#endif

/* The kernel's x86-64 frame layout (uapi sigcontext, ucontext, rt_sigframe). */
struct guest_sigcontext {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2;
	uint64_t fpstate;
	uint64_t reserved1[8];
};

struct guest_ucontext {
	uint64_t uc_flags;
	uint64_t uc_link;
	struct {
		uint64_t ss_sp;
		int32_t ss_flags;
		int32_t pad;
		uint64_t ss_size;
	} uc_stack;
	struct guest_sigcontext mc;
	uint64_t uc_sigmask;
};

struct guest_rt_sigframe {
	uint64_t pretcode;
	struct guest_ucontext uc;
	siginfo_t info;
};

_Static_assert(sizeof(struct guest_sigcontext) == 256, "sigcontext layout");
_Static_assert(sizeof(siginfo_t) == 128, "siginfo layout");

static bool sig_default_ignored(int sig)
{
	return sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH || sig == SIGCONT ||
	       sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

/* ---- pending queues ---- */

#define SIGRT_FIRST 32           /* the kernel's SIGRTMIN: from here on, signals queue */
#define SIGQUEUE_CAP 65536       /* instances per process, whatever RLIMIT_SIGPENDING says */
#define SYNC_SIGNALS (SIGBIT(SIGSEGV) | SIGBIT(SIGBUS) | SIGBIT(SIGILL) | SIGBIT(SIGTRAP) | \
		      SIGBIT(SIGFPE) | SIGBIT(SIGSYS))

/* A later instance of a pending real-time signal. */
struct sigqueue {
	struct sigqueue *next;
	siginfo_t info;
};

/*
 * One pending set: a thread group's or a task's fields. *more is a
 * circular list reached through its newest entry (so appending is O(1) and
 * the oldest is (*more)->next).
 */
struct sigpend {
	uint64_t *set;
	siginfo_t *info;
	struct sigqueue **more;
};

static struct sigpend pend_of_tg(struct thread_group *tg)
{
	return (struct sigpend){ &tg->pending, tg->pending_info, &tg->pending_more };
}

static struct sigpend pend_of_task(struct task *t)
{
	return (struct sigpend){ &t->pending, t->pending_info, &t->pending_more };
}

static int sigqueue_limit(const struct thread_group *tg)
{
	rlim_t l = tg->rlimits[RLIMIT_SIGPENDING].rlim_cur;
	return l < SIGQUEUE_CAP ? (int)l : SIGQUEUE_CAP;
}

/* Append to the circular list. */
static void more_append(struct sigqueue **more, struct sigqueue *q)
{
	if (*more) {
		q->next = (*more)->next;
		(*more)->next = q;
	} else {
		q->next = q;
	}
	*more = q;
}

/* Unlink and return the oldest entry for sig, or NULL. */
static struct sigqueue *more_take(struct sigqueue **more, int sig)
{
	struct sigqueue *tail = *more;
	if (!tail)
		return NULL;
	struct sigqueue *prev = tail;
	do {
		struct sigqueue *q = prev->next;
		if (q->info.si_signo == sig) {
			if (q == prev)
				*more = NULL;          /* the only entry */
			else {
				prev->next = q->next;
				if (q == tail)
					*more = prev;
			}
			return q;
		}
		prev = q;
	} while (prev != tail);
	return NULL;
}

/* Queue one instance of sig on p, counted on tg; 0, or -EAGAIN when the queue is full. */
static int pend_add_locked(struct sigpend p, struct thread_group *tg, int sig,
			   const siginfo_t *info)
{
	uint64_t bit = SIGBIT(sig);
	bool queued = *p.set & bit;
	if (queued && sig < SIGRT_FIRST)
		return 0;           /* standard signals coalesce: the first siginfo stands */
	if (tg->nr_queued >= sigqueue_limit(tg)) {
		/* As Linux: a queued real-time signal with data fails; kill()'s still marks it pending. */
		if (sig >= SIGRT_FIRST && info->si_code != SI_USER)
			return -EAGAIN;
		if (queued)
			return 0;
	}
	if (queued) {
		struct sigqueue *q = malloc(sizeof(*q));
		if (!q)
			return -EAGAIN;
		q->info = *info;
		q->info.si_signo = sig;
		more_append(p.more, q);
	} else {
		p.info[sig - 1] = *info;
		p.info[sig - 1].si_signo = sig;
		__atomic_or_fetch(p.set, bit, __ATOMIC_RELEASE);
	}
	tg->nr_queued++;
	return 0;
}

/* Take the next instance of pending signal sig from p into *out (may be NULL). */
static void pend_take_locked(struct sigpend p, struct thread_group *tg, int sig, siginfo_t *out)
{
	if (out)
		*out = p.info[sig - 1];
	tg->nr_queued--;
	struct sigqueue *q = sig >= SIGRT_FIRST ? more_take(p.more, sig) : NULL;
	if (q) {
		p.info[sig - 1] = q->info;
		free(q);
	} else {
		__atomic_and_fetch(p.set, ~SIGBIT(sig), __ATOMIC_RELEASE);
	}
}

/* Drop every instance of the signals in mask from p. */
static void pend_discard_locked(struct sigpend p, struct thread_group *tg, uint64_t mask)
{
	uint64_t hit;
	while ((hit = *p.set & mask))
		pend_take_locked(p, tg, __builtin_ctzll(hit) + 1, NULL);
}

/* The signal to take first among ready: a synchronous fault, else the lowest. */
static int next_signal(uint64_t ready)
{
	if (ready & SYNC_SIGNALS)
		ready &= SYNC_SIGNALS;
	return __builtin_ctzll(ready) + 1;
}

int signal_queue_locked(struct thread_group *tg, struct task *thread, int sig,
			const siginfo_t *info)
{
	int rc = pend_add_locked(thread ? pend_of_task(thread) : pend_of_tg(tg), tg, sig, info);
	if (!rc)
		waitq_wake(tg->signal_wq, POLLIN | POLLRDNORM);
	return rc;
}

struct discard_arg {
	struct thread_group *tg;
	uint64_t mask;
};

static void discard_thread_locked(struct task *t, void *arg)
{
	struct discard_arg *da = arg;
	if (t->tg == da->tg)
		pend_discard_locked(pend_of_task(t), t->tg, da->mask);
}

void signal_discard_locked(struct thread_group *tg, uint64_t mask)
{
	pend_discard_locked(pend_of_tg(tg), tg, mask);
	struct discard_arg da = { tg, mask };
	kernel_for_each_task_locked(discard_thread_locked, &da);
}

int signal_dequeue_locked(struct task *t, uint64_t mask, siginfo_t *info)
{
	uint64_t ready = t->pending & mask;
	if (ready) {
		int sig = next_signal(ready);
		pend_take_locked(pend_of_task(t), t->tg, sig, info);
		return sig;
	}
	ready = t->tg->pending & mask;
	if (ready) {
		int sig = next_signal(ready);
		pend_take_locked(pend_of_tg(t->tg), t->tg, sig, info);
		return sig;
	}
	return 0;
}

int signal_dequeue(struct task *t, uint64_t mask, siginfo_t *info)
{
	pthread_mutex_lock(&kernel.lock);
	int sig = signal_dequeue_locked(t, mask, info);
	pthread_mutex_unlock(&kernel.lock);
	return sig;
}

uint64_t signal_pending_set(struct task *t)
{
	return __atomic_load_n(&t->pending, __ATOMIC_ACQUIRE) |
	       __atomic_load_n(&t->tg->pending, __ATOMIC_ACQUIRE);
}

siginfo_t *signal_timer_queued_locked(struct thread_group *tg, int sig, int timerid)
{
	if (sig < 1 || sig > GUEST_NSIG || !(tg->pending & SIGBIT(sig)))
		return NULL;
	siginfo_t *info = &tg->pending_info[sig - 1];
	if (info->si_code == SI_TIMER && info->si_timerid == timerid)
		return info;
	struct sigqueue *tail = tg->pending_more;
	for (struct sigqueue *q = tail ? tail->next : NULL; q; q = q == tail ? NULL : q->next)
		if (q->info.si_signo == sig && q->info.si_code == SI_TIMER &&
		    q->info.si_timerid == timerid)
			return &q->info;
	return NULL;
}

static void more_free(struct sigqueue **more)
{
	struct sigqueue *tail = *more;
	if (!tail)
		return;
	struct sigqueue *q = tail->next;
	tail->next = NULL;
	while (q) {
		struct sigqueue *next = q->next;
		free(q);
		q = next;
	}
	*more = NULL;
}

void signal_release_task(struct task *t)
{
	pthread_mutex_lock(&kernel.lock);
	pend_discard_locked(pend_of_task(t), t->tg, ~0ULL);
	pthread_mutex_unlock(&kernel.lock);
}

void signal_release_group(struct thread_group *tg)
{
	more_free(&tg->pending_more);
	tg->pending = 0;
}

bool signal_pending(struct task *t)
{
	/* The group exiting, or an execve ending the other threads, ends every wait too. */
	return (signal_pending_set(t) & ~(t->sigmask & ~UNBLOCKABLE)) ||
	       __atomic_load_n(&t->tg->exiting, __ATOMIC_ACQUIRE) ||
	       __atomic_load_n(&t->zapped, __ATOMIC_ACQUIRE);
}

/* ---- alternate stack ---- */

/* Linux's on_sig_stack: never "on" an SS_AUTODISARM stack. */
static bool on_altstack(struct task *t, uint64_t sp)
{
	if (t->altstack_flags & SS_AUTODISARM)
		return false;
	return t->altstack_size && sp > t->altstack_sp && sp - t->altstack_sp <= t->altstack_size;
}

/* Linux's sas_ss_flags: SS_DISABLE, SS_ONSTACK, or 0 (usable, not on it). */
static int altstack_state(struct task *t, uint64_t sp)
{
	if (!t->altstack_size)
		return SS_DISABLE;
	return on_altstack(t, sp) ? SS_ONSTACK : 0;
}

int signal_altstack_flags(struct task *t, uint64_t sp)
{
	return altstack_state(t, sp) | (t->altstack_flags & SS_AUTODISARM);
}

int signal_altstack_set(struct task *t, uint64_t sp, uint64_t ss_sp, int flags, uint64_t size)
{
	if (on_altstack(t, sp))
		return -EPERM;
	int mode = flags & ~SS_AUTODISARM;
	if (mode != 0 && mode != SS_DISABLE && mode != SS_ONSTACK)
		return -EINVAL;
	if (mode == SS_DISABLE) {
		ss_sp = size = 0;
	} else if (size < GUEST_MINSIGSTKSZ) {
		return -ENOMEM;
	}
	t->altstack_sp = ss_sp;
	t->altstack_size = size;
	t->altstack_flags = flags;
	return 0;
}

/* Put the FPU back to its state at process start (Linux does for a handler). */
static void reset_fpstate(struct task *t, long fplen, uint32_t mxcsr_mask)
{
	uint8_t *init = calloc(1, fplen);
	if (!init)
		return;
	uint16_t fcw = 0x37f;
	uint32_t mxcsr = 0x1f80;
	memcpy(init + 0, &fcw, 2);
	memcpy(init + 24, &mxcsr, 4);
	memcpy(init + 28, &mxcsr_mask, 4);
	if (fplen >= 576) {
		uint64_t xstate_bv = 0x3;    /* x87 and SSE given here; the rest in its init state */
		memcpy(init + 512, &xstate_bv, 8);
	}
	plat_ctx_set_fpstate(t->ctx, init, fplen);    /* on failure the handler keeps the old state */
	free(init);
}

void signal_fpstate_reset(struct task *t)
{
	uint8_t *fp = t->ctx ? malloc(FPSTATE_MAX) : NULL;
	long len = fp ? plat_ctx_get_fpstate(t->ctx, fp, FPSTATE_MAX) : -ENOMEM;
	if (len >= 32) {
		uint32_t mxcsr_mask;
		memcpy(&mxcsr_mask, fp + 28, 4);
		reset_fpstate(t, len, mxcsr_mask);
	}
	free(fp);
}

void signal_fpstate_fork(struct task *c, struct task *t)
{
	c->fp_init = t->ctx ? malloc(FPSTATE_MAX) : NULL;
	c->fp_len = c->fp_init ? plat_ctx_get_fpstate(t->ctx, c->fp_init, FPSTATE_MAX) : -ENOMEM;
	uint8_t *fit = c->fp_len > 0 ? realloc(c->fp_init, (size_t)c->fp_len) : NULL;
	if (!fit)
		free(c->fp_init);       /* it then starts clean */
	c->fp_init = fit;
}

void signal_fpstate_start(struct task *t)
{
	if (!t->fp_init)
		return;
	plat_ctx_set_fpstate(t->ctx, t->fp_init, (size_t)t->fp_len);   /* else it starts clean */
	free(t->fp_init);
	t->fp_init = NULL;
}

/* Build the frame and point the registers at the handler; false if the frame cannot be written. */
static bool setup_frame(struct task *t, int sig, const siginfo_t *info,
			const struct guest_sigaction *act)
{
	struct guest_regs *r = &t->regs;
	if (!(act->flags & SA_RESTORER))
		return false;    /* x86-64 has no default restorer: Linux fails the frame too */
	uint8_t *fp = malloc(FPSTATE_MAX + 4);
	if (!fp)
		return false;
	long fplen = plat_ctx_get_fpstate(t->ctx, fp, FPSTATE_MAX);
	if (fplen < 512) {
		free(fp);
		return false;
	}
	uint64_t sp = r->rsp;
	if ((act->flags & SA_ONSTACK) && altstack_state(t, sp) == 0)
		sp = t->altstack_sp + t->altstack_size;   /* not on it yet: switch to it */
	else
		sp -= REDZONE;
	sp = (sp - (fplen + 4)) & ~63ULL;
	uint64_t fp_addr = sp;
	sp -= sizeof(struct guest_rt_sigframe);
	sp = (sp & ~15ULL) - 8;

	/* The XSAVE area with the software-reserved bytes that mark it as extended. */
	uint32_t sw[12] = { FP_XSTATE_MAGIC1, (uint32_t)fplen + 4 };
	uint64_t xfeatures;
	memcpy(&xfeatures, fp + 512, 8);
	memcpy(&sw[2], &xfeatures, 8);
	sw[4] = (uint32_t)fplen;
	memcpy(fp + 464, sw, sizeof(sw));
	uint32_t magic2 = FP_XSTATE_MAGIC2;
	memcpy(fp + fplen, &magic2, 4);

	struct guest_rt_sigframe f;
	memset(&f, 0, sizeof(f));
	f.pretcode = act->restorer;
	f.uc.uc_flags = UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
	f.uc.uc_stack.ss_sp = t->altstack_sp;
	f.uc.uc_stack.ss_size = t->altstack_size;
	f.uc.uc_stack.ss_flags = t->altstack_size ? t->altstack_flags : SS_DISABLE;
	struct guest_sigcontext *mc = &f.uc.mc;
	mc->r8 = r->r8; mc->r9 = r->r9; mc->r10 = r->r10; mc->r11 = r->r11;
	mc->r12 = r->r12; mc->r13 = r->r13; mc->r14 = r->r14; mc->r15 = r->r15;
	mc->rdi = r->rdi; mc->rsi = r->rsi; mc->rbp = r->rbp; mc->rbx = r->rbx;
	mc->rdx = r->rdx; mc->rax = r->rax; mc->rcx = r->rcx; mc->rsp = r->rsp;
	mc->rip = r->rip; mc->eflags = r->eflags;
	mc->cs = 0x33;
	mc->ss = 0x2b;
	uint64_t restore_mask = t->has_saved_sigmask ? t->saved_sigmask : t->sigmask;
	t->has_saved_sigmask = false;
	mc->oldmask = restore_mask;
	mc->cr2 = t->fault_addr;
	mc->fpstate = fp_addr;
	f.uc.uc_sigmask = restore_mask;
	f.info = *info;
	bool ok = mm_copy_out(t->mm, gaddr(fp_addr), fp, fplen + 4) == 0 &&
		  mm_copy_out(t->mm, gaddr(sp), &f, sizeof(f)) == 0;
	uint32_t mxcsr_mask;
	memcpy(&mxcsr_mask, fp + 28, 4);
	free(fp);
	if (!ok)
		return false;
	reset_fpstate(t, fplen, mxcsr_mask);

	r->rip = act->handler;
	r->rsp = sp;
	r->rdi = sig;
	r->rsi = sp + offsetof(struct guest_rt_sigframe, info);
	r->rdx = sp + offsetof(struct guest_rt_sigframe, uc);
	r->rax = 0;
	r->eflags &= ~(0x100ULL | 0x400ULL);    /* TF, DF clear in the handler */
	t->sigmask |= act->mask;
	if (!(act->flags & SA_NODEFER))
		t->sigmask |= SIGBIT(sig);
	t->sigmask &= ~UNBLOCKABLE;
	if ((t->altstack_flags & SS_AUTODISARM) && (act->flags & SA_ONSTACK)) {
		t->altstack_sp = t->altstack_size = 0;   /* the frame's uc_stack restores it */
		t->altstack_flags = SS_DISABLE;
	}
	return true;
}

static void restart_syscall(struct task *t)
{
	t->regs.rax = t->regs.orig_rax;
	t->regs.rip -= 2;    /* back onto the syscall instruction (2 bytes) */
}

/* Resolve a pending restart code now that we know whether a handler runs. */
static void resolve_restart(struct task *t, bool handler, uint64_t sa_flags)
{
	long code = t->restart;
	t->restart = 0;
	if (!handler && t->has_saved_sigmask) {
		t->sigmask = t->saved_sigmask;
		t->has_saved_sigmask = false;
	}
	if (!code)
		return;
	if (!handler && code == -ERESTART_RESTARTBLOCK && t->restart_block.kind != RESTART_NONE) {
		t->regs.rax = 219;      /* restart_syscall(2), which goes on from t's restart block */
		t->regs.rip -= 2;
		return;
	}
	if (!handler) {
		restart_syscall(t);
		return;
	}
	if (code == -ERESTARTNOINTR || (code == -ERESTARTSYS && (sa_flags & SA_RESTART)))
		restart_syscall(t);
	else
		t->regs.rax = -EINTR;
	t->restart_block.kind = RESTART_NONE;    /* a handler ran: nothing to go on with */
}

/* Killed by sig. No core is ever dumped, so the status has no core bit (WCOREDUMP). */
static void kill_with(struct task *t, int sig)
{
	task_exit_group(t, sig);
}

void signal_deliver(struct task *t)
{
	if (__atomic_load_n(&t->zapped, __ATOMIC_ACQUIRE) & TASK_ZAP_PTRACE)
		ptrace_trap(t);     /* PTRACE_INTERRUPT: before any signal, as Linux's get_signal */
	for (;;) {
		pthread_mutex_lock(&kernel.lock);
		struct thread_group *tg = t->tg;
		siginfo_t info;
		int sig = tg->exiting ? 0 : signal_dequeue_locked(t, ~(t->sigmask & ~UNBLOCKABLE), &info);
		if (!sig) {
			pthread_mutex_unlock(&kernel.lock);
			if (!tg->exiting)
				resolve_restart(t, false, 0);
			return;
		}
		if (t->pt.tracer) {
			/* Signal-delivery-stop: the tracer may change or suppress the signal. */
			pthread_mutex_unlock(&kernel.lock);
			sig = ptrace_signal_stop(t, sig, &info);
			if (!sig)
				continue;
			pthread_mutex_lock(&kernel.lock);
		}
		struct guest_sigaction act = tg->actions[sig - 1];
		if (act.handler > (uint64_t)SIG_IGN && (act.flags & SA_RESETHAND))
			memset(&tg->actions[sig - 1], 0, sizeof(act));
		pthread_mutex_unlock(&kernel.lock);

		if (act.handler == (uint64_t)SIG_IGN)
			continue;
		if (act.handler == (uint64_t)SIG_DFL) {
			if (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU) {
				pthread_mutex_lock(&kernel.lock);
				process_stop_locked(tg, sig);
				pthread_mutex_unlock(&kernel.lock);
				continue;     /* the task loop waits while the group is stopped */
			}
			if (sig_default_ignored(sig))
				continue;
			resolve_restart(t, false, 0);
			kill_with(t, sig);
			return;
		}
		resolve_restart(t, true, act.flags);
		if (!setup_frame(t, sig, &info, &act)) {
			/* Linux forces SIGSEGV when it cannot write the frame. */
			slog("pid %d: cannot deliver SIG%s (bad stack or no restorer): SIGSEGV", tg->tgid,
			     sigabbrev_np(sig) ? sigabbrev_np(sig) : "?");
			kill_with(t, SIGSEGV);
		}
		t->fault_addr = 0;
		return;
	}
}

bool signal_fault(struct task *t, int sig, int code, uint64_t addr)
{
	pthread_mutex_lock(&kernel.lock);
	struct guest_sigaction *act = &t->tg->actions[sig - 1];
	bool catchable = act->handler > (uint64_t)SIG_IGN && !(t->sigmask & SIGBIT(sig));
	if (catchable) {
		/* Thread-directed, and this fault's siginfo replaces an older one still pending. */
		siginfo_t info;
		memset(&info, 0, sizeof(info));
		info.si_signo = sig;
		info.si_code = code;
		info.si_addr = (void *)addr;
		if (t->pending & SIGBIT(sig))
			t->pending_info[sig - 1] = info;
		else
			pend_add_locked(pend_of_task(t), t->tg, sig, &info);
		t->fault_addr = addr;
	}
	pthread_mutex_unlock(&kernel.lock);
	return catchable;
}

void signal_force(struct task *t, const siginfo_t *info)
{
	int sig = info->si_signo;
	pthread_mutex_lock(&kernel.lock);
	struct guest_sigaction *act = &t->tg->actions[sig - 1];
	bool blocked = t->sigmask & SIGBIT(sig);
	if (blocked || act->handler == (uint64_t)SIG_IGN) {
		act->handler = (uint64_t)SIG_DFL;    /* flags and mask stay, as Linux */
		t->sigmask &= ~SIGBIT(sig);
	}
	signal_queue_locked(t->tg, t, sig, info);
	pthread_mutex_unlock(&kernel.lock);
}

long signal_return(struct task *t)
{
	struct guest_rt_sigframe f;
	uint64_t frame = t->regs.rsp - 8;    /* the handler's ret popped pretcode */
	if (mm_copy_in(t->mm, &f, gaddr(frame), sizeof(f))) {
		kill_with(t, SIGSEGV);
		return 0;
	}
	struct guest_sigcontext *mc = &f.uc.mc;
	struct guest_regs *r = &t->regs;
	r->r8 = mc->r8; r->r9 = mc->r9; r->r10 = mc->r10; r->r11 = mc->r11;
	r->r12 = mc->r12; r->r13 = mc->r13; r->r14 = mc->r14; r->r15 = mc->r15;
	r->rdi = mc->rdi; r->rsi = mc->rsi; r->rbp = mc->rbp; r->rbx = mc->rbx;
	r->rdx = mc->rdx; r->rax = mc->rax; r->rcx = mc->rcx; r->rsp = mc->rsp;
	r->rip = mc->rip;
	/* Only the flags user code may change (as Linux's FIX_EFLAGS). */
	r->eflags = (r->eflags & ~0x40dd5ULL) | (mc->eflags & 0x40dd5ULL);
	r->orig_rax = -1;     /* never restart what sigreturn returns to */
	t->restart = 0;
	t->sigmask = f.uc.uc_sigmask & ~UNBLOCKABLE;
	if (mc->fpstate) {
		uint8_t *fp = malloc(FPSTATE_MAX);
		uint32_t sw[12];
		long len = 512;
		if (fp && mm_copy_in(t->mm, sw, gaddr(mc->fpstate + 464), sizeof(sw)) == 0 &&
		    sw[0] == FP_XSTATE_MAGIC1 && sw[4] >= 512 && sw[4] <= FPSTATE_MAX)
			len = sw[4];
		if (!fp || mm_copy_in(t->mm, fp, gaddr(mc->fpstate), len) ||
		    plat_ctx_set_fpstate(t->ctx, fp, len)) {
			free(fp);
			kill_with(t, SIGSEGV);
			return 0;
		}
		free(fp);
	}
	/*
	 * uc_stack restores the alternate stack as sigaltstack would from the
	 * restored stack pointer (errors ignored, as Linux's restore_altstack).
	 */
	signal_altstack_set(t, r->rsp, f.uc.uc_stack.ss_sp, f.uc.uc_stack.ss_flags,
			    f.uc.uc_stack.ss_size);
	return r->rax;
}
