/*
 * ptrace(2) for guest programs: one guest task traces another.
 *
 * The model is Linux's (kernel/ptrace.c, kernel/signal.c's ptrace_stop and
 * do_jobctl_trap; gVisor's kernel/ptrace.go has the same state machine).
 * A tracee is linked to its tracer (a task) and listed on the tracer's
 * process (tg->ptracees, each entry a task reference). A ptrace stop is a
 * state of the sentry's task, never of a host process: the tracee's sentry
 * thread records why it stopped (signal-delivery, group stop, syscall
 * entry or exit, an event, a PTRACE_INTERRUPT trap), wakes the tracer's
 * wait(2) and sends it SIGCHLD (CLD_TRAPPED), then sleeps on pt.cond until
 * the tracer resumes it, detaches, or SIGKILL (or an execve in another
 * thread, or the group's exit) ends the stop. Meanwhile its stub simply
 * stays stopped under the sentry's own host ptrace.
 *
 * While the tracee is parked, the tracer reads and writes its state under
 * kernel.lock: the registers (task.regs, which only the tracee's thread
 * touches otherwise), the siginfo and event message, and a snapshot of its
 * FPU state taken as it stopped (the host ptrace requests that read it
 * must come from the tracee's own sentry thread), written back when the
 * tracee resumes if the tracer changed it. Guest memory goes through the
 * tracee's MM (mm_access_force: copy-on-write for read-only private
 * mappings, as Linux's FOLL_FORCE). Nothing here runs on the untraced
 * path: a task without a tracer pays one branch per syscall
 * (task.pt.syscall) and nothing else.
 *
 * Single-stepping sets the trap flag in the guest's eflags; the host's
 * SIGTRAP (TRAP_TRACE) comes back as a fault that a traced task queues as
 * a signal. A syscall stepped over reports its trap at the syscall's end,
 * before the guest runs again, as Linux's user_single_step_report.
 *
 * Locking: everything in task.pt and tg->ptracees is under kernel.lock.
 * Guest memory (the tracer's and the tracee's) is never touched with
 * kernel.lock held.
 */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <elf.h>
#include "sentry/kernel_internal.h"
#include "sentry/log.h"
#include "sentry/mm.h"
#include "sentry/process.h"
#include "sentry/ptrace.h"
#include "sentry/signal.h"
#include "sentry/usertrap.h"

#define SIGBIT(s) (1ULL << ((s) - 1))
#define FPSTATE_MAX (16 * 1024)
#define FXSAVE_SIZE 512
#define TF_FLAG 0x100ULL
/* The eflags bits a tracer may change (Linux's FLAG_MASK). */
#define FLAG_MASK 0x50dd5ULL
#define AUDIT_ARCH_X86_64_ 0xc000003eU
#define CAP_SYS_PTRACE 19
#define USER_CS 0x33             /* __USER_CS: 64-bit user code */
#define USER_DS 0x2b             /* __USER_DS */
/* x86-64 struct user (asm/user_64.h; sys/user.h clashes with our PAGE_SIZE). */
#define USER_AREA_SIZE 928       /* the kernel's: u_debugreg, then error_code and fault_address */
#define USER_DEBUGREG_OFF 848

#ifndef PTRACE_EVENTMSG_SYSCALL_ENTRY
#define PTRACE_EVENTMSG_SYSCALL_ENTRY 1
#define PTRACE_EVENTMSG_SYSCALL_EXIT 2
#endif
#define PT_O_MASK (0xffU | PTRACE_O_EXITKILL | PTRACE_O_SUSPEND_SECCOMP)

/* task.pt.why */
enum {
	PT_STOP_SIGNAL = 1,   /* signal-delivery-stop */
	PT_STOP_GROUP,        /* group-stop */
	PT_STOP_TRAP,         /* PTRACE_INTERRUPT / seized start: PTRACE_EVENT_STOP */
	PT_STOP_SYSCALL_ENTRY,
	PT_STOP_SYSCALL_EXIT,
	PT_STOP_EVENT,        /* PTRACE_EVENT_FORK... */
	PT_STOP_EXIT,         /* PTRACE_EVENT_EXIT */
};

/* The layout of struct ptrace_syscall_info (linux/ptrace.h). */
struct guest_syscall_info {
	uint8_t op;
	uint8_t pad[3];
	uint32_t arch;
	uint64_t instruction_pointer;
	uint64_t stack_pointer;
	union {
		struct {
			uint64_t nr;
			uint64_t args[6];
		} entry;
		struct {
			int64_t rval;
			uint8_t is_error;
		} exit;
	};
};

void ptrace_task_init(struct task *t)
{
	pthread_cond_init(&t->pt.cond, NULL);
}

void ptrace_task_release(struct task *t)
{
	free(t->pt.fp);
	t->pt.fp = NULL;
	pthread_cond_destroy(&t->pt.cond);
}

static bool traced(struct task *t)
{
	return __atomic_load_n(&t->pt.tracer, __ATOMIC_ACQUIRE) != NULL;
}

/* ---- links ---- */

/* Make tracer trace t (kernel.lock): t joins the list of tracer's process, with a reference. */
static void link_locked(struct task *t, struct task *tracer, unsigned options, bool seized)
{
	uint8_t *fp = t->pt.fp;
	memset(&t->pt.tracer, 0, offsetof(struct task_ptrace, cond) - offsetof(struct task_ptrace, tracer));
	t->pt.fp = fp;
	t->pt.options = options;
	t->pt.seized = seized;
	t->pt.stop_seq = t->tg->stop_seq;
	if (t->tg->stopped)
		t->pt.stop_seq--;        /* a stopped task reports the stop to its new tracer */
	t->pt.next = tracer->tg->ptracees;
	tracer->tg->ptracees = t;
	t->refs++;
	__atomic_store_n(&t->pt.tracer, tracer, __ATOMIC_RELEASE);
}

/* Take t off its tracer's list (kernel.lock); the caller puts the list's reference. */
static void unlink_locked(struct task *t)
{
	struct task *tracer = t->pt.tracer;
	if (!tracer)
		return;
	for (struct task **pp = &tracer->tg->ptracees; *pp; pp = &(*pp)->pt.next) {
		if (*pp == t) {
			*pp = t->pt.next;
			break;
		}
	}
	t->pt.next = NULL;
	__atomic_store_n(&t->pt.syscall, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&t->pt.tracer, NULL, __ATOMIC_RELEASE);
}

/* Clear what a tracer leaves behind on a live tracee it lets go (kernel.lock). */
static void release_tracee_locked(struct task *t, int sig)
{
	/* Its registers are the tracer's to change only while it is stopped. */
	if (t->pt.forced_tf && t->pt.stopped) {
		t->regs.eflags &= ~TF_FLAG;
		t->pt.forced_tf = false;
	}
	t->pt.trap = false;
	__atomic_and_fetch(&t->zapped, ~TASK_ZAP_PTRACE, __ATOMIC_RELEASE);
	t->pt.listening = false;
	t->pt.report = false;
	if (t->pt.stopped) {
		t->pt.stopped = false;
		t->pt.resume_sig = sig;
	}
	unlink_locked(t);
	pthread_cond_broadcast(&t->pt.cond);
	task_wake_locked(t);
}

/* ---- stops ---- */

/* Tell the tracer of t that t stopped or ended (kernel.lock): SIGCHLD and wake its wait. */
static void notify_tracer_locked(struct task *t, int code, int status)
{
	struct task *tracer = t->pt.tracer;
	if (!tracer)
		return;
	struct thread_group *tg = tracer->tg;
	const struct guest_sigaction *act = &tg->actions[SIGCHLD - 1];
	/* Linux's do_notify_parent_cldstop: no SIGCHLD for a stop when the tracer says SA_NOCLDSTOP. */
	if (code != CLD_TRAPPED || (act->handler != (uint64_t)SIG_IGN && !(act->flags & SA_NOCLDSTOP))) {
		siginfo_t info;
		memset(&info, 0, sizeof(info));
		info.si_signo = SIGCHLD;
		info.si_code = code;
		info.si_pid = t->tid;
		info.si_uid = t->cred.uid;
		info.si_status = status;
		process_signal_info_locked(tg, SIGCHLD, &info);
	}
	process_wake_waiters_locked();
}

/* A stop ends without the tracer: SIGKILL, the group's exit, another thread's execve. */
static bool stop_aborted_locked(struct task *t, int why)
{
	if (__atomic_load_n(&t->zapped, __ATOMIC_ACQUIRE) & TASK_ZAP_EXEC)
		return true;
	if (!t->tg->exiting)
		return false;
	/* The exit stop of a task ending by itself holds until SIGKILL. */
	return why != PT_STOP_EXIT || t->tg->exit_status == SIGKILL;
}

/* A listening tracee wakes (and traps again) when its group stop changes or a new signal comes. */
static bool listen_woken_locked(struct task *t)
{
	if (t->pt.trap || (t->pt.listen_group && !t->tg->stopped))
		return true;
	return (signal_pending_set(t) & ~t->sigmask & ~t->pt.listen_sigs) != 0;
}

/*
 * Stop t for its tracer (t's own thread): why, the wait status code
 * (status >> 8), the siginfo GETSIGINFO shows (NULL: none; updated with
 * what the tracer set) and the event message. Returns the signal the
 * tracer resumed it with.
 */
static int ptrace_stop(struct task *t, int why, int code, siginfo_t *info, uint64_t msg)
{
	if (!t->pt.fp)
		t->pt.fp = malloc(FPSTATE_MAX);
	long fplen = t->pt.fp && t->ctx ? plat_ctx_get_fpstate(t->ctx, t->pt.fp, FPSTATE_MAX) : -1;
	pthread_mutex_lock(&kernel.lock);
	if (!t->pt.tracer || stop_aborted_locked(t, why)) {
		pthread_mutex_unlock(&kernel.lock);
		return 0;
	}
	t->pt.fplen = fplen;
	t->pt.fp_dirty = false;
	t->pt.why = why;
	t->pt.code = code;
	t->pt.has_siginfo = info != NULL;
	if (info)
		t->pt.siginfo = *info;
	t->pt.msg = msg;
	t->pt.resume_sig = 0;
	t->pt.stopped = true;
	t->pt.report = true;
	notify_tracer_locked(t, CLD_TRAPPED, code & 0x7f);
	for (;;) {
		if (!t->pt.stopped)
			break;
		if (stop_aborted_locked(t, why)) {
			t->pt.stopped = t->pt.report = t->pt.listening = false;
			break;
		}
		if (t->pt.listening && listen_woken_locked(t)) {
			/* Linux's JOBCTL_TRAP_NOTIFY: trap again to tell the tracer. */
			t->pt.stopped = t->pt.report = t->pt.listening = false;
			t->pt.trap = true;
			__atomic_or_fetch(&t->zapped, TASK_ZAP_PTRACE, __ATOMIC_RELEASE);
			break;
		}
		pthread_cond_wait(&t->pt.cond, &kernel.lock);
	}
	int sig = t->pt.resume_sig;
	t->pt.resume_sig = 0;
	if (info && t->pt.has_siginfo)
		*info = t->pt.siginfo;
	t->pt.has_siginfo = false;
	bool dirty = t->pt.fp_dirty && t->pt.fplen > 0;
	t->pt.fp_dirty = false;
	long len = t->pt.fplen;
	pthread_mutex_unlock(&kernel.lock);
	if (dirty && t->ctx)
		plat_ctx_set_fpstate(t->ctx, t->pt.fp, len);   /* a malformed state keeps the old one */
	return sig;
}

/* Linux's ptrace_do_notify: a SIGTRAP-family stop with its siginfo. */
static int stop_notify(struct task *t, int why, int signo, int code, uint64_t msg)
{
	siginfo_t info;
	memset(&info, 0, sizeof(info));
	info.si_signo = signo;
	info.si_code = code;
	info.si_pid = t->tid;
	info.si_uid = t->cred.uid;
	return ptrace_stop(t, why, code, &info, msg);
}

/* Send sig to t itself as the kernel does after a stop (send_sig with priv: SI_KERNEL). */
static void self_signal(struct task *t, int sig, int code)
{
	siginfo_t info;
	memset(&info, 0, sizeof(info));
	info.si_signo = sig;
	info.si_code = code;
	if (code == SI_USER)
		info.si_pid = t->tg->tgid, info.si_uid = t->cred.uid;
	pthread_mutex_lock(&kernel.lock);
	process_signal_thread_info_locked(t, sig, &info);
	pthread_mutex_unlock(&kernel.lock);
}

bool ptrace_syscall_enter(struct task *t)
{
	int mode = __atomic_load_n(&t->pt.syscall, __ATOMIC_ACQUIRE);
	if (!(mode & (PT_SYS_SYSCALL | PT_SYS_SYSEMU)))
		return true;
	t->regs.rax = -ENOSYS;      /* what the entry stop shows, as on Linux */
	int code = SIGTRAP | (t->pt.options & PTRACE_O_TRACESYSGOOD ? 0x80 : 0);
	int sig = stop_notify(t, PT_STOP_SYSCALL_ENTRY, SIGTRAP, code, PTRACE_EVENTMSG_SYSCALL_ENTRY);
	if (sig)
		self_signal(t, sig, SI_KERNEL);
	if (t->tg->exiting || (__atomic_load_n(&t->zapped, __ATOMIC_ACQUIRE) & TASK_ZAP_EXEC))
		return false;
	if (mode & PT_SYS_SYSEMU) {
		ptrace_syscall_exit(t, false);
		return false;
	}
	/* The tracer may have rewritten the number: -1 skips the call, leaving rax as it is. */
	return (int64_t)t->regs.orig_rax != -1;
}

void ptrace_syscall_exit(struct task *t, bool ran)
{
	if (t->exited)
		return;        /* exit and exit_group never return */
	int mode = __atomic_load_n(&t->pt.syscall, __ATOMIC_ACQUIRE);
	if (ran && (mode & PT_SYS_SYSCALL)) {
		int code = SIGTRAP | (t->pt.options & PTRACE_O_TRACESYSGOOD ? 0x80 : 0);
		int sig = stop_notify(t, PT_STOP_SYSCALL_EXIT, SIGTRAP, code, PTRACE_EVENTMSG_SYSCALL_EXIT);
		if (sig)
			self_signal(t, sig, SI_KERNEL);
		mode = __atomic_load_n(&t->pt.syscall, __ATOMIC_ACQUIRE);
	}
	if (mode & PT_SYS_STEP) {
		/* Linux's user_single_step_report: the step ends after the syscall. */
		siginfo_t info;
		memset(&info, 0, sizeof(info));
		info.si_signo = SIGTRAP;
		info.si_code = TRAP_BRKPT;
		signal_force(t, &info);
	}
}

int ptrace_signal_stop(struct task *t, int sig, siginfo_t *info)
{
	int nsig = ptrace_stop(t, PT_STOP_SIGNAL, sig, info, 0);
	if (!nsig)
		return 0;
	pthread_mutex_lock(&kernel.lock);
	if (nsig != info->si_signo) {
		/* Another signal than the one dequeued: it comes from the tracer. */
		memset(info, 0, sizeof(*info));
		info->si_signo = nsig;
		info->si_code = SI_USER;
		struct task *tracer = t->pt.tracer;
		info->si_pid = tracer ? tracer->tg->tgid : 0;
		info->si_uid = tracer ? tracer->cred.uid : 0;
	}
	if (t->sigmask & SIGBIT(nsig)) {
		/* Blocked now: it waits in the queue. */
		signal_queue_locked(t->tg, t, nsig, info);
		nsig = 0;
	}
	pthread_mutex_unlock(&kernel.lock);
	return nsig;
}

static void notify_cb(struct task *t, void *arg)
{
	if (t->tg != arg || !t->pt.tracer || !t->pt.seized || t->exited)
		return;
	t->pt.trap = true;
	__atomic_or_fetch(&t->zapped, TASK_ZAP_PTRACE, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&t->pt.cond);
	task_wake_locked(t);
}

void ptrace_notify_group_locked(struct thread_group *tg)
{
	kernel_for_each_task_locked(notify_cb, tg);
}

void ptrace_trap(struct task *t)
{
	pthread_mutex_lock(&kernel.lock);
	__atomic_and_fetch(&t->zapped, ~TASK_ZAP_PTRACE, __ATOMIC_RELEASE);
	bool trap = t->pt.trap && t->pt.tracer;
	t->pt.trap = false;
	int sig = SIGTRAP, why = PT_STOP_TRAP;
	if (trap && t->tg->stopped) {
		/* A trap during a group stop reports the stop (Linux's do_jobctl_trap). */
		sig = t->tg->stop_sig;
		why = PT_STOP_GROUP;
		t->pt.stop_seq = t->tg->stop_seq;
	}
	pthread_mutex_unlock(&kernel.lock);
	if (trap)
		stop_notify(t, why, sig, sig | PTRACE_EVENT_STOP << 8, 0);
}

int ptrace_group_stop(struct task *t)
{
	pthread_mutex_lock(&kernel.lock);
	if (!t->pt.tracer) {
		pthread_mutex_unlock(&kernel.lock);
		return -1;
	}
	if (t->pt.stop_seq == t->tg->stop_seq) {
		pthread_mutex_unlock(&kernel.lock);
		return 0;
	}
	t->pt.stop_seq = t->tg->stop_seq;
	/* This report is the notification the group stop's start asked for. */
	t->pt.trap = false;
	__atomic_and_fetch(&t->zapped, ~TASK_ZAP_PTRACE, __ATOMIC_RELEASE);
	int sig = t->tg->stop_sig;
	bool seized = t->pt.seized;
	pthread_mutex_unlock(&kernel.lock);
	if (seized)
		stop_notify(t, PT_STOP_GROUP, sig, sig | PTRACE_EVENT_STOP << 8, 0);
	else
		ptrace_stop(t, PT_STOP_GROUP, sig, NULL, 0);   /* no siginfo: GETSIGINFO says EINVAL */
	return 1;
}

void ptrace_fault(struct task *t, int sig, int code, uint64_t addr)
{
	siginfo_t info;
	memset(&info, 0, sizeof(info));
	info.si_signo = sig;
	info.si_code = code;
	info.si_addr = (void *)addr;
	t->fault_addr = addr;
	signal_force(t, &info);
}

void ptrace_event(struct task *t, int event, uint64_t msg)
{
	pthread_mutex_lock(&kernel.lock);
	bool on = t->pt.tracer && (t->pt.options & (1U << event));
	pthread_mutex_unlock(&kernel.lock);
	if (on)
		stop_notify(t, PT_STOP_EVENT, SIGTRAP, SIGTRAP | event << 8, msg);
}

void ptrace_exec(struct task *t, int old_tid)
{
	pthread_mutex_lock(&kernel.lock);
	bool on = t->pt.tracer != NULL, seized = t->pt.seized;
	unsigned opts = t->pt.options;
	pthread_mutex_unlock(&kernel.lock);
	if (!on)
		return;
	if (opts & PTRACE_O_TRACEEXEC)
		stop_notify(t, PT_STOP_EVENT, SIGTRAP, SIGTRAP | PTRACE_EVENT_EXEC << 8, old_tid);
	else if (!seized)
		self_signal(t, SIGTRAP, SI_USER);    /* the legacy post-exec SIGTRAP */
}

int ptrace_clone(struct task *t, struct task *c, uint64_t flags, int exit_signal)
{
	if (!traced(t) || (flags & CLONE_UNTRACED))
		return 0;
	int event = (flags & CLONE_VFORK) ? PTRACE_EVENT_VFORK
		    : exit_signal != SIGCHLD ? PTRACE_EVENT_CLONE : PTRACE_EVENT_FORK;
	pthread_mutex_lock(&kernel.lock);
	struct task *tracer = t->pt.tracer;
	if (!tracer || !(t->pt.options & (1U << event)))
		event = 0;
	if (tracer && (event || (flags & CLONE_PTRACE))) {
		link_locked(c, tracer, t->pt.options, t->pt.seized);
		if (c->pt.seized) {
			/* A seized child starts with a PTRACE_EVENT_STOP. */
			c->pt.trap = true;
			__atomic_or_fetch(&c->zapped, TASK_ZAP_PTRACE, __ATOMIC_RELEASE);
		} else {
			siginfo_t info;
			memset(&info, 0, sizeof(info));
			info.si_signo = SIGSTOP;
			info.si_code = SI_USER;
			signal_queue_locked(c->tg, c, SIGSTOP, &info);
		}
	}
	pthread_mutex_unlock(&kernel.lock);
	return event;
}

void ptrace_clone_abort(struct task *c)
{
	pthread_mutex_lock(&kernel.lock);
	bool linked = c->pt.tracer != NULL;
	unlink_locked(c);
	pthread_mutex_unlock(&kernel.lock);
	if (linked)
		task_put(c);
}

void ptrace_exit_stop(struct task *t)
{
	pthread_mutex_lock(&kernel.lock);
	bool on = t->pt.tracer && (t->pt.options & PTRACE_O_TRACEEXIT) && t->exit_self;
	uint64_t msg = t->tg->exiting ? t->tg->exit_status : t->exit_code;
	pthread_mutex_unlock(&kernel.lock);
	if (on)
		stop_notify(t, PT_STOP_EXIT, SIGTRAP, SIGTRAP | PTRACE_EVENT_EXIT << 8, msg);
}

void ptrace_task_exit(struct task *t)
{
	struct task *drop[64];
	int ndrop = 0;
	pthread_mutex_lock(&kernel.lock);
	/* As a tracer: let go of (or kill) every tracee it has. */
	for (struct task **pp = &t->tg->ptracees; *pp;) {
		struct task *c = *pp;
		if (c->pt.tracer != t) {
			pp = &c->pt.next;
			continue;
		}
		if (ndrop == (int)ARRAY_SIZE(drop) - 1) {     /* one slot stays for t itself */
			/* Many: drop what we have and go on (the list only shrinks). */
			pthread_mutex_unlock(&kernel.lock);
			for (int i = 0; i < ndrop; i++)
				task_put(drop[i]);
			ndrop = 0;
			pthread_mutex_lock(&kernel.lock);
			pp = &t->tg->ptracees;
			continue;
		}
		bool kill = (c->pt.options & PTRACE_O_EXITKILL) && !c->pt.exited;
		if (c->pt.exited)
			unlink_locked(c);
		else   /* a signal-delivery-stop delivers its signal after all */
			release_tracee_locked(c, c->pt.stopped && c->pt.why == PT_STOP_SIGNAL ? c->pt.code : 0);
		if (kill)
			process_signal_thread_info_locked(c, SIGKILL, &(siginfo_t){ .si_signo = SIGKILL,
									  .si_code = SI_KERNEL });
		drop[ndrop++] = c;
	}
	/* As a tracee: its tracer's wait collects the exit (unless it is its parent's zombie). */
	struct task *tracer = t->pt.tracer;
	if (tracer && !t->pt.exited) {
		int status = t->tg->exiting ? t->tg->exit_status : t->exit_code;
		bool leader_of_child = t->tid == t->tg->tgid && t->tg->parent == tracer->tg;
		if (leader_of_child) {
			unlink_locked(t);
			drop[ndrop++] = t;
		} else {
			t->pt.exited = true;
			t->pt.exit_status = status;
			t->pt.stopped = false;
			t->pt.report = true;
			notify_tracer_locked(t, WIFEXITED(status) ? CLD_EXITED : CLD_KILLED,
					     WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		}
	}
	pthread_mutex_unlock(&kernel.lock);
	for (int i = 0; i < ndrop; i++)
		task_put(drop[i]);
}

/* ---- wait ---- */

int ptrace_wait_locked(struct task *w, int idtype, int id, int options, struct wait_result *res,
		       bool *any, struct task **drop)
{
	*drop = NULL;
	for (struct task **pp = &w->tg->ptracees; *pp; pp = &(*pp)->pt.next) {
		struct task *c = *pp;
		if (idtype == P_PID && c->tid != id)
			continue;
		if (idtype == P_PGID && c->tg->pgid != (id ? id : w->tg->pgid))
			continue;
		*any = true;
		if (!c->pt.report)
			continue;
		if (c->pt.exited) {
			if (!(options & WEXITED))
				continue;
			int st = c->pt.exit_status;
			res->pid = c->tid;
			res->status = st;
			res->cld_uid = c->cred.uid;
			res->cld_code = WIFEXITED(st) ? CLD_EXITED : CLD_KILLED;
			res->cld_status = WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st);
			if (!(options & WNOWAIT)) {
				*pp = c->pt.next;
				c->pt.next = NULL;
				c->pt.report = false;
				__atomic_store_n(&c->pt.tracer, NULL, __ATOMIC_RELEASE);
				*drop = c;
			}
			return 1;
		}
		if (c->pt.stopped) {
			res->pid = c->tid;
			res->status = c->pt.code << 8 | 0x7f;
			res->cld_uid = c->cred.uid;
			res->cld_code = CLD_TRAPPED;
			res->cld_status = c->pt.code;
			if (!(options & WNOWAIT))
				c->pt.report = false;
			return 1;
		}
	}
	return 0;
}

/* ---- requests ---- */

/*
 * Linux's ptrace_may_access(PTRACE_MODE_ATTACH_REALCREDS) for a target in
 * another thread group (cred_ptrace_may_access, with the MM's
 * dumpability). Yama is taken as ptrace_scope 0. Under kernel.lock.
 */
static bool may_attach_locked(struct task *t, struct task *target)
{
	int dumpable = target->mm ? mm_dumpable(target->mm) : 1;
	return cred_ptrace_may_access(&t->cred, &target->cred, dumpable,
				      PTRACE_MODE_ATTACH_REALCREDS);
}

struct find_arg {
	int tid;
	struct task *found;
};

static void find_cb(struct task *t, void *arg)
{
	struct find_arg *fa = arg;
	if (t->tid == fa->tid && !t->exited)
		fa->found = t;
}

struct leader_arg {
	struct thread_group *tg;
	struct task *found;
};

/* A live thread of tg to stand for it: its leader if alive, else any. */
static void leader_cb(struct task *t, void *arg)
{
	struct leader_arg *la = arg;
	if (t->tg == la->tg && !t->exited && (!la->found || t->tid == la->tg->tgid))
		la->found = t;
}

/*
 * PTRACE_TRACEME: the parent traces t. Linux's tracer is the parent
 * thread that forked t (real_parent); the sentry keeps only the parent
 * process, so its leader (or, gone, another live thread) stands for it.
 */
static long ptrace_traceme(struct task *t)
{
	pthread_mutex_lock(&kernel.lock);
	long rc = -EPERM;
	struct thread_group *p = t->tg->parent;
	if (!t->pt.tracer && p && !p->zombie && !p->exiting) {
		struct leader_arg la = { p, NULL };
		kernel_for_each_task_locked(leader_cb, &la);
		if (la.found) {
			link_locked(t, la.found, 0, false);
			rc = 0;
		}
	}
	pthread_mutex_unlock(&kernel.lock);
	if (!rc)
		usertrap_forget(t->mm);  /* the tracer sees (and may break on) the original code */
	return rc;
}

static long ptrace_attach(struct task *t, bool seize, int pid, uint64_t addr, uint64_t flags)
{
	if (seize && (addr != 0 || (flags & ~(uint64_t)PT_O_MASK)))
		return -EIO;
	if (seize && (flags & PTRACE_O_SUSPEND_SECCOMP))
		return -EINVAL;     /* as Linux without CONFIG_CHECKPOINT_RESTORE */
	pthread_mutex_lock(&kernel.lock);
	struct find_arg fa = { pid, NULL };
	if (pid > 0)
		kernel_for_each_task_locked(find_cb, &fa);
	struct task *c = fa.found;
	long rc = 0;
	if (!c)
		rc = -ESRCH;
	else if (c->tg == t->tg)
		rc = -EPERM;     /* oneself's process; init may be traced, as in Linux */
	else if (!may_attach_locked(t, c))
		rc = -EPERM;
	else if (c->pt.tracer || c->tg->exiting)
		rc = -EPERM;
	if (rc) {
		pthread_mutex_unlock(&kernel.lock);
		return rc;
	}
	link_locked(c, t, seize ? (unsigned)flags : 0, seize);
	struct mm *mm = c->mm && mm_get_not_zero(c->mm) ? c->mm : NULL;
	if (!seize) {
		siginfo_t info;
		memset(&info, 0, sizeof(info));
		info.si_signo = SIGSTOP;
		info.si_code = SI_KERNEL;
		process_signal_thread_info_locked(c, SIGSTOP, &info);
	}
	/* Already group-stopped, it reports the stop to its tracer (link_locked). */
	task_wake_locked(c);
	pthread_mutex_unlock(&kernel.lock);
	if (mm) {
		usertrap_forget(mm);     /* the tracer sees (and may break on) the original code */
		mm_put(mm);
	}
	return 0;
}

/* The tracee pid of t, stopped unless any_state (kernel.lock held), or NULL. */
static struct task *tracee_locked(struct task *t, int pid, bool any_state)
{
	for (struct task *c = t->tg->ptracees; c; c = c->pt.next) {
		if (c->tid != pid || c->pt.tracer != t || c->pt.exited)
			continue;
		if (!any_state && (!c->pt.stopped || c->pt.listening))
			return NULL;
		return c;
	}
	return NULL;
}

static bool valid_signal(uint64_t sig)
{
	return sig <= GUEST_NSIG;
}

/* PTRACE_CONT, _SYSCALL, _SINGLESTEP, _SYSEMU(_SINGLESTEP): resume c (stopped; kernel.lock). */
static long resume_locked(struct task *c, long req, uint64_t data)
{
	if (!valid_signal(data))
		return -EIO;
	int mode = 0;
	bool step = req == PTRACE_SINGLESTEP || req == PTRACE_SYSEMU_SINGLESTEP;
	if (req == PTRACE_SYSCALL)
		mode = PT_SYS_SYSCALL;
	else if (req == PTRACE_SYSEMU || req == PTRACE_SYSEMU_SINGLESTEP)
		mode = PT_SYS_SYSEMU;
	if (step) {
		mode |= PT_SYS_STEP;
		if (!(c->regs.eflags & TF_FLAG)) {
			c->regs.eflags |= TF_FLAG;
			c->pt.forced_tf = true;
		}
	} else if (c->pt.forced_tf) {
		c->regs.eflags &= ~TF_FLAG;
		c->pt.forced_tf = false;
	}
	__atomic_store_n(&c->pt.syscall, mode, __ATOMIC_RELEASE);
	c->pt.resume_sig = (int)data;
	c->pt.stopped = false;
	c->pt.report = false;
	pthread_cond_broadcast(&c->pt.cond);
	return 0;
}

/*
 * getreg: the value of the user_regs_struct word at off (the trap flag we
 * set hidden). The segment registers are what every guest thread runs
 * with (64-bit user code and data; the platform never lets the guest
 * choose others), whatever task.regs holds before the thread first ran.
 */
static uint64_t getreg_locked(struct task *c, size_t off)
{
	uint64_t v;
	memcpy(&v, (const uint8_t *)&c->regs + off, 8);
	switch (off) {
	case offsetof(struct guest_regs, eflags):
		if (c->pt.forced_tf)
			v &= ~TF_FLAG;
		break;
	case offsetof(struct guest_regs, cs):
		v = USER_CS;
		break;
	case offsetof(struct guest_regs, ss):
		v = USER_DS;
		break;
	case offsetof(struct guest_regs, ds):
	case offsetof(struct guest_regs, es):
	case offsetof(struct guest_regs, fs):
	case offsetof(struct guest_regs, gs):
		v = 0;
		break;
	}
	return v;
}

/* putreg: Linux's checks per register; 0 or -EIO. */
static int putreg_locked(struct task *c, size_t off, uint64_t v)
{
	switch (off) {
	case offsetof(struct guest_regs, cs):
	case offsetof(struct guest_regs, ss):
	case offsetof(struct guest_regs, ds):
	case offsetof(struct guest_regs, es):
	case offsetof(struct guest_regs, fs):
	case offsetof(struct guest_regs, gs):
		/*
		 * The guest runs only 64-bit code with null data segments:
		 * writing back what getreg shows is fine, another value (a
		 * 32-bit cs) is refused where Linux would switch modes.
		 */
		if (v != getreg_locked(c, off))
			return -EIO;
		return 0;
	case offsetof(struct guest_regs, fs_base):
	case offsetof(struct guest_regs, gs_base):
		if (v >= GUEST_TASK_SIZE)
			return -EIO;
		break;
	case offsetof(struct guest_regs, eflags):
		/* Linux's set_flags: a TF the tracer writes is its own; ours stays while stepping. */
		if (v & TF_FLAG)
			c->pt.forced_tf = false;
		else if (c->pt.forced_tf)
			v |= TF_FLAG;
		v = (c->regs.eflags & ~FLAG_MASK) | (v & FLAG_MASK);
		break;
	}
	memcpy((uint8_t *)&c->regs + off, &v, 8);
	return 0;
}

static long setregs_locked(struct task *c, const struct guest_regs *r)
{
	for (size_t off = 0; off < sizeof(*r); off += 8) {
		uint64_t v;
		memcpy(&v, (const uint8_t *)r + off, 8);
		long rc = putreg_locked(c, off, v);
		if (rc)
			return rc;
	}
	return 0;
}

/* The FPU snapshot's first len bytes into buf (an initial state if there is none). */
static long get_fp_locked(struct task *c, void *buf, size_t len)
{
	memset(buf, 0, len);
	if (c->pt.fplen > 0 && c->pt.fp) {
		size_t n = MIN(len, (size_t)c->pt.fplen);
		memcpy(buf, c->pt.fp, n);
		return n;
	}
	/* FCW 0x37f and MXCSR 0x1f80: the state at process start. */
	uint16_t fcw = 0x37f;
	uint32_t mxcsr = 0x1f80;
	if (len >= 28) {
		memcpy(buf, &fcw, 2);
		memcpy((uint8_t *)buf + 24, &mxcsr, 4);
	}
	return MIN(len, FXSAVE_SIZE);
}

/* Write the legacy (FXSAVE) part, or the whole XSAVE area, of the snapshot. */
static long set_fp_locked(struct task *c, const void *buf, size_t len, bool xstate)
{
	if (c->pt.fplen <= 0 || !c->pt.fp)
		return -EIO;
	if (len > (size_t)c->pt.fplen)
		return -EINVAL;
	memcpy(c->pt.fp, buf, len);
	if (!xstate && c->pt.fplen >= FXSAVE_SIZE + 64) {
		/* The legacy area now holds the x87 and SSE state: say so in XSTATE_BV. */
		uint64_t bv;
		memcpy(&bv, c->pt.fp + FXSAVE_SIZE, 8);
		bv |= 3;
		memcpy(c->pt.fp + FXSAVE_SIZE, &bv, 8);
	}
	c->pt.fp_dirty = true;
	return 0;
}

static long syscall_info_locked(struct task *c, struct guest_syscall_info *si)
{
	memset(si, 0, sizeof(*si));
	si->arch = AUDIT_ARCH_X86_64_;
	si->instruction_pointer = c->regs.rip;
	si->stack_pointer = c->regs.rsp;
	bool sysgood = c->pt.has_siginfo && c->pt.siginfo.si_code == (SIGTRAP | 0x80);
	if (sysgood && c->pt.why == PT_STOP_SYSCALL_ENTRY) {
		si->op = PTRACE_SYSCALL_INFO_ENTRY;
		si->entry.nr = c->regs.orig_rax;
		si->entry.args[0] = c->regs.rdi;
		si->entry.args[1] = c->regs.rsi;
		si->entry.args[2] = c->regs.rdx;
		si->entry.args[3] = c->regs.r10;
		si->entry.args[4] = c->regs.r8;
		si->entry.args[5] = c->regs.r9;
		return offsetof(struct guest_syscall_info, entry.args) + sizeof(si->entry.args);
	}
	if (sysgood && c->pt.why == PT_STOP_SYSCALL_EXIT) {
		si->op = PTRACE_SYSCALL_INFO_EXIT;
		si->exit.rval = (int64_t)c->regs.rax;
		si->exit.is_error = si->exit.rval < 0 && si->exit.rval >= -4095;
		return offsetof(struct guest_syscall_info, exit.is_error) + 1;
	}
	si->op = PTRACE_SYSCALL_INFO_NONE;
	return offsetof(struct guest_syscall_info, entry);
}

/* PEEKUSER / POKEUSER: struct user's registers and debug registers. */
static long user_area_locked(struct task *c, uint64_t off, uint64_t *val, bool write)
{
	if ((off & 7) || off >= USER_AREA_SIZE)
		return -EIO;
	if (off < sizeof(struct guest_regs)) {
		if (write)
			return putreg_locked(c, off, *val);
		*val = getreg_locked(c, off);
		return 0;
	}
	size_t dr0 = USER_DEBUGREG_OFF;
	if (off >= dr0 && off < dr0 + 8 * 8) {
		int n = (off - dr0) / 8;
		if (!write) {
			*val = c->pt.dr[n];
			return 0;
		}
		/*
		 * Hardware breakpoints are not armed: addresses and a clear DR7
		 * (what a debugger writes when it uses none) are kept; enabling
		 * one is refused.
		 */
		if (n == 4 || n == 5)
			return -EIO;
		if (n < 4 && *val >= GUEST_TASK_SIZE)
			return -EIO;
		if (n == 7 && (*val & 0xff))
			return -EIO;
		c->pt.dr[n] = *val;
		return 0;
	}
	if (write)
		return -EIO;
	*val = 0;
	return 0;
}

/* Read or write the tracee's memory as a debugger does (through protections); bytes done. */
static long mem_access(struct task *c, uint64_t addr, void *buf, size_t len, bool write)
{
	struct mm *mm = task_get_mm(c);
	if (!mm)
		return -EIO;
	long n = mm_access_force(mm, addr, buf, len, write);
	mm_put(mm);
	return n;
}

static long regset_locked(struct task *c, bool set, uint64_t type, void *kbuf, size_t *len)
{
	switch (type) {
	case NT_PRSTATUS:
		if (*len % 8)
			return -EINVAL;
		*len = MIN(*len, sizeof(struct guest_regs));
		if (!set) {
			for (size_t off = 0; off < *len; off += 8) {
				uint64_t v = getreg_locked(c, off);
				memcpy((uint8_t *)kbuf + off, &v, 8);
			}
			return 0;
		}
		for (size_t off = 0; off < *len; off += 8) {
			uint64_t v;
			memcpy(&v, (uint8_t *)kbuf + off, 8);
			long rc = putreg_locked(c, off, v);
			if (rc)
				return rc;
		}
		return 0;
	case NT_PRFPREG:
		if (*len % 4)
			return -EINVAL;
		*len = MIN(*len, FXSAVE_SIZE);
		if (!set) {
			get_fp_locked(c, kbuf, *len);
			return 0;
		}
		return set_fp_locked(c, kbuf, *len, false);
	case NT_X86_XSTATE: {
		if (*len % 8)
			return -EINVAL;
		size_t size = c->pt.fplen > 0 ? (size_t)c->pt.fplen : FXSAVE_SIZE;
		*len = MIN(*len, size);
		if (!set) {
			get_fp_locked(c, kbuf, *len);
			return 0;
		}
		return set_fp_locked(c, kbuf, *len, true);
	}
	}
	return -EINVAL;
}

static long request_regset(struct task *t, struct task *c, bool set, uint64_t type, uint64_t uiov)
{
	struct { uint64_t base, len; } iov;
	if (mm_copy_in(t->mm, &iov, gaddr(uiov), sizeof(iov)))
		return -EFAULT;
	size_t len = MIN(iov.len, (uint64_t)FPSTATE_MAX);
	uint8_t *kbuf = calloc(1, FPSTATE_MAX);
	if (!kbuf)
		return -ENOMEM;
	long rc = 0;
	if (set && mm_copy_in(t->mm, kbuf, gaddr(iov.base), len))
		rc = -EFAULT;
	if (!rc) {
		pthread_mutex_lock(&kernel.lock);
		rc = c->pt.stopped ? regset_locked(c, set, type, kbuf, &len) : -ESRCH;
		pthread_mutex_unlock(&kernel.lock);
	}
	if (!rc && !set && mm_copy_out(t->mm, gaddr(iov.base), kbuf, len))
		rc = -EFAULT;
	iov.len = len;
	if (!rc && mm_copy_out(t->mm, gaddr(uiov + 8), &iov.len, 8))
		rc = -EFAULT;
	free(kbuf);
	return rc;
}

/* A request on a tracee that the tracer holds a reference to (c->pt.tracer was t). */
static long tracee_request(struct task *t, struct task *c, long req, uint64_t addr, uint64_t data)
{
	long rc = 0;
	uint64_t word;
	switch (req) {
	case PTRACE_PEEKTEXT:
	case PTRACE_PEEKDATA:
		if (mem_access(c, addr, &word, 8, false) != 8)
			return -EIO;
		return mm_copy_out(t->mm, gaddr(data), &word, 8) ? -EFAULT : 0;
	case PTRACE_POKETEXT:
	case PTRACE_POKEDATA:
		word = data;
		return mem_access(c, addr, &word, 8, true) == 8 ? 0 : -EIO;
	case PTRACE_PEEKUSER:
		pthread_mutex_lock(&kernel.lock);
		rc = user_area_locked(c, addr, &word, false);
		pthread_mutex_unlock(&kernel.lock);
		if (rc)
			return rc;
		return mm_copy_out(t->mm, gaddr(data), &word, 8) ? -EFAULT : 0;
	case PTRACE_POKEUSER:
		word = data;
		pthread_mutex_lock(&kernel.lock);
		rc = user_area_locked(c, addr, &word, true);
		pthread_mutex_unlock(&kernel.lock);
		return rc;
	case PTRACE_GETREGS: {
		struct guest_regs r;
		pthread_mutex_lock(&kernel.lock);
		for (size_t off = 0; off < sizeof(r); off += 8) {
			uint64_t v = getreg_locked(c, off);
			memcpy((uint8_t *)&r + off, &v, 8);
		}
		pthread_mutex_unlock(&kernel.lock);
		return mm_copy_out(t->mm, gaddr(data), &r, sizeof(r)) ? -EFAULT : 0;
	}
	case PTRACE_SETREGS: {
		struct guest_regs r;
		if (mm_copy_in(t->mm, &r, gaddr(data), sizeof(r)))
			return -EFAULT;
		pthread_mutex_lock(&kernel.lock);
		rc = setregs_locked(c, &r);
		pthread_mutex_unlock(&kernel.lock);
		return rc;
	}
	case PTRACE_GETFPREGS: {
		uint8_t fx[FXSAVE_SIZE];
		pthread_mutex_lock(&kernel.lock);
		get_fp_locked(c, fx, sizeof(fx));
		pthread_mutex_unlock(&kernel.lock);
		return mm_copy_out(t->mm, gaddr(data), fx, sizeof(fx)) ? -EFAULT : 0;
	}
	case PTRACE_SETFPREGS: {
		uint8_t fx[FXSAVE_SIZE];
		if (mm_copy_in(t->mm, fx, gaddr(data), sizeof(fx)))
			return -EFAULT;
		pthread_mutex_lock(&kernel.lock);
		rc = set_fp_locked(c, fx, sizeof(fx), false);
		pthread_mutex_unlock(&kernel.lock);
		return rc;
	}
	case PTRACE_GETREGSET:
	case PTRACE_SETREGSET:
		return request_regset(t, c, req == PTRACE_SETREGSET, addr, data);
	case PTRACE_GETSIGINFO: {
		siginfo_t si;
		pthread_mutex_lock(&kernel.lock);
		bool has = c->pt.has_siginfo;
		si = c->pt.siginfo;
		pthread_mutex_unlock(&kernel.lock);
		if (!has)
			return -EINVAL;
		return mm_copy_out(t->mm, gaddr(data), &si, sizeof(si)) ? -EFAULT : 0;
	}
	case PTRACE_SETSIGINFO: {
		siginfo_t si;
		if (mm_copy_in(t->mm, &si, gaddr(data), sizeof(si)))
			return -EFAULT;
		pthread_mutex_lock(&kernel.lock);
		rc = c->pt.has_siginfo ? 0 : -EINVAL;
		if (!rc)
			c->pt.siginfo = si;
		pthread_mutex_unlock(&kernel.lock);
		return rc;
	}
	case PTRACE_GETEVENTMSG:
		pthread_mutex_lock(&kernel.lock);
		word = c->pt.msg;
		pthread_mutex_unlock(&kernel.lock);
		return mm_copy_out(t->mm, gaddr(data), &word, 8) ? -EFAULT : 0;
	case PTRACE_GET_SYSCALL_INFO: {
		struct guest_syscall_info si;
		pthread_mutex_lock(&kernel.lock);
		long size = syscall_info_locked(c, &si);
		pthread_mutex_unlock(&kernel.lock);
		size_t n = MIN((uint64_t)size, addr);
		return mm_copy_out(t->mm, gaddr(data), &si, n) ? -EFAULT : size;
	}
	case PTRACE_GETSIGMASK:
	case PTRACE_SETSIGMASK:
		if (addr != 8)
			return -EINVAL;
		if (req == PTRACE_GETSIGMASK) {
			pthread_mutex_lock(&kernel.lock);
			word = c->sigmask;
			pthread_mutex_unlock(&kernel.lock);
			return mm_copy_out(t->mm, gaddr(data), &word, 8) ? -EFAULT : 0;
		}
		if (mm_copy_in(t->mm, &word, gaddr(data), 8))
			return -EFAULT;
		pthread_mutex_lock(&kernel.lock);
		c->sigmask = word & ~(SIGBIT(SIGKILL) | SIGBIT(SIGSTOP));
		pthread_mutex_unlock(&kernel.lock);
		return 0;
	case PTRACE_ARCH_PRCTL: {
		/* Linux's do_arch_prctl_64(child, code = data, arg = addr). */
		size_t off;
		switch (data) {
		case 0x1002: off = offsetof(struct guest_regs, fs_base); break;   /* ARCH_SET_FS */
		case 0x1001: off = offsetof(struct guest_regs, gs_base); break;   /* ARCH_SET_GS */
		case 0x1003: off = offsetof(struct guest_regs, fs_base); break;   /* ARCH_GET_FS */
		case 0x1004: off = offsetof(struct guest_regs, gs_base); break;   /* ARCH_GET_GS */
		default: return -EINVAL;
		}
		pthread_mutex_lock(&kernel.lock);
		if (data == 0x1001 || data == 0x1002)
			rc = addr >= GUEST_TASK_SIZE ? -EPERM : putreg_locked(c, off, addr);
		else
			word = getreg_locked(c, off);
		pthread_mutex_unlock(&kernel.lock);
		if (rc || data == 0x1001 || data == 0x1002)
			return rc;
		return mm_copy_out(t->mm, gaddr(addr), &word, 8) ? -EFAULT : 0;
	}
	case PTRACE_SETOPTIONS:
		if (data & ~(uint64_t)PT_O_MASK)
			return -EINVAL;
		if (data & PTRACE_O_SUSPEND_SECCOMP)
			return -EINVAL;     /* as Linux without CONFIG_CHECKPOINT_RESTORE */
		pthread_mutex_lock(&kernel.lock);
		c->pt.options = (unsigned)data;
		pthread_mutex_unlock(&kernel.lock);
		return 0;
	case PTRACE_CONT:
	case PTRACE_SYSCALL:
	case PTRACE_SINGLESTEP:
	case PTRACE_SYSEMU:
	case PTRACE_SYSEMU_SINGLESTEP:
		pthread_mutex_lock(&kernel.lock);
		rc = c->pt.stopped && c->pt.tracer == t ? resume_locked(c, req, data) : -ESRCH;
		pthread_mutex_unlock(&kernel.lock);
		return rc;
	case PTRACE_DETACH:
		if (!valid_signal(data))
			return -EIO;
		pthread_mutex_lock(&kernel.lock);
		rc = c->pt.tracer == t && c->pt.stopped && !c->pt.exited ? 0 : -ESRCH;
		if (!rc) {
			/* A signal-delivery-stop delivers the signal given; other stops ignore it. */
			release_tracee_locked(c, (int)data);
		}
		pthread_mutex_unlock(&kernel.lock);
		if (!rc)
			task_put(c);     /* the list's reference */
		return rc;
	case PTRACE_KILL: {
		pthread_mutex_lock(&kernel.lock);
		siginfo_t si;
		memset(&si, 0, sizeof(si));
		si.si_signo = SIGKILL;
		si.si_code = SI_KERNEL;
		process_signal_thread_info_locked(c, SIGKILL, &si);
		pthread_mutex_unlock(&kernel.lock);
		return 0;
	}
	case PTRACE_INTERRUPT:
		pthread_mutex_lock(&kernel.lock);
		rc = c->pt.seized ? 0 : -EIO;
		if (!rc) {
			c->pt.trap = true;
			__atomic_or_fetch(&c->zapped, TASK_ZAP_PTRACE, __ATOMIC_RELEASE);
			if (c->pt.listening) {
				/* It leaves LISTEN to take the trap. */
				c->pt.listening = false;
				c->pt.stopped = false;
				c->pt.report = false;
			}
			pthread_cond_broadcast(&c->pt.cond);
			task_wake_locked(c);
		}
		pthread_mutex_unlock(&kernel.lock);
		return rc;
	case PTRACE_LISTEN:
		pthread_mutex_lock(&kernel.lock);
		rc = -EIO;
		if (c->pt.seized && c->pt.has_siginfo && c->pt.siginfo.si_code >> 8 == PTRACE_EVENT_STOP &&
		    c->pt.stopped) {
			c->pt.listening = true;
			c->pt.listen_group = c->tg->stopped;
			/* Signals pending now do not wake it; new ones do. */
			c->pt.listen_sigs = signal_pending_set(c);
			c->pt.report = false;
			pthread_cond_broadcast(&c->pt.cond);
			rc = 0;
		}
		pthread_mutex_unlock(&kernel.lock);
		return rc;
	}
	return -EIO;
}

long ptrace_request(struct task *t, long req, int pid, uint64_t addr, uint64_t data)
{
	if (req == PTRACE_TRACEME)
		return ptrace_traceme(t);
	if (req == PTRACE_ATTACH || req == PTRACE_SEIZE)
		return ptrace_attach(t, req == PTRACE_SEIZE, pid, addr, data);
	pthread_mutex_lock(&kernel.lock);
	struct task *c = tracee_locked(t, pid, req == PTRACE_KILL || req == PTRACE_INTERRUPT);
	if (c)
		c->refs++;
	pthread_mutex_unlock(&kernel.lock);
	if (!c) {
		/* Linux finds the task first: an unknown pid is ESRCH whatever the request. */
		return -ESRCH;
	}
	long rc = tracee_request(t, c, req, addr, data);
	task_put(c);
	return rc;
}
