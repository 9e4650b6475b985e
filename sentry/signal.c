/*
 * Signal delivery. A handler runs on a Linux-layout rt_sigframe (pretcode,
 * ucontext with sigcontext and signal mask, siginfo, then the XSAVE area
 * with its _fpx_sw_bytes and trailing magic), built on the guest's stack
 * or its alternate stack; rt_sigreturn restores it. Interrupted syscalls
 * follow Linux's restart rules (ERESTARTSYS with SA_RESTART, ERESTARTNOINTR,
 * ERESTARTNOHAND, ERESTART_RESTARTBLOCK treated as ERESTARTNOHAND).
 *
 * Pending signals are per process (one thread per process for now) and
 * protected by kernel.lock.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include "sentry/kernel_internal.h"
#include "sentry/log.h"
#include "sentry/mm.h"
#include "sentry/signal.h"

#define SIGBIT(s) (1ULL << ((s) - 1))
#define UNBLOCKABLE (SIGBIT(SIGKILL) | SIGBIT(SIGSTOP))
#define FP_XSTATE_MAGIC1 0x46505853U
#define FP_XSTATE_MAGIC2 0x46505845U
#define UC_FP_XSTATE 0x1
#define UC_SIGCONTEXT_SS 0x2
#define UC_STRICT_RESTORE_SS 0x4
#define FPSTATE_MAX (16 * 1024)
#define REDZONE 128
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


bool signal_pending(struct task *t)
{
	uint64_t p = __atomic_load_n(&t->tg->pending, __ATOMIC_ACQUIRE);
	return (p & ~(t->sigmask & ~UNBLOCKABLE)) || __atomic_load_n(&t->tg->exiting, __ATOMIC_ACQUIRE);
}

static bool on_altstack(struct task *t, uint64_t sp)
{
	return t->altstack_size && sp > t->altstack_sp && sp <= t->altstack_sp + t->altstack_size;
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
	bool was_on = on_altstack(t, sp);
	if ((act->flags & SA_ONSTACK) && t->altstack_size && !(t->altstack_flags & SS_DISABLE) &&
	    !was_on)
		sp = t->altstack_sp + t->altstack_size;
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
	f.uc.uc_stack.ss_flags = t->altstack_size ? (was_on ? SS_ONSTACK : t->altstack_flags)
						 : SS_DISABLE;
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
	free(fp);
	if (!ok)
		return false;

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
		t->altstack_sp = t->altstack_size = 0;
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
	if (!handler) {
		restart_syscall(t);
		return;
	}
	if (code == -ERESTARTNOINTR || (code == -ERESTARTSYS && (sa_flags & SA_RESTART)))
		restart_syscall(t);
	else
		t->regs.rax = -EINTR;
}

/* Killed by sig. No core is ever dumped, so the status has no core bit (WCOREDUMP). */
static void kill_with(struct task *t, int sig)
{
	task_exit_group(t, sig);
}

void signal_deliver(struct task *t)
{
	for (;;) {
		pthread_mutex_lock(&kernel.lock);
		struct thread_group *tg = t->tg;
		uint64_t ready = tg->pending & ~(t->sigmask & ~UNBLOCKABLE);
		if (!ready || tg->exiting) {
			pthread_mutex_unlock(&kernel.lock);
			if (!tg->exiting)
				resolve_restart(t, false, 0);
			return;
		}
		int sig = __builtin_ctzll(ready) + 1;
		__atomic_and_fetch(&tg->pending, ~SIGBIT(sig), __ATOMIC_RELEASE);
		siginfo_t info = tg->pending_info[sig - 1];
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
		siginfo_t *info = &t->tg->pending_info[sig - 1];
		memset(info, 0, sizeof(*info));
		info->si_signo = sig;
		info->si_code = code;
		info->si_addr = (void *)addr;
		__atomic_or_fetch(&t->tg->pending, SIGBIT(sig), __ATOMIC_RELEASE);
		t->fault_addr = addr;
	}
	pthread_mutex_unlock(&kernel.lock);
	return catchable;
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
	/* uc_stack restores the alternate stack as sigaltstack would (errors ignored, as Linux). */
	if (!(f.uc.uc_stack.ss_flags & SS_DISABLE) && f.uc.uc_stack.ss_size >= 2048 &&
	    !(f.uc.uc_stack.ss_flags & ~(SS_AUTODISARM | SS_ONSTACK))) {
		t->altstack_sp = f.uc.uc_stack.ss_sp;
		t->altstack_size = f.uc.uc_stack.ss_size;
		t->altstack_flags = f.uc.uc_stack.ss_flags & SS_AUTODISARM;
	}
	return r->rax;
}
