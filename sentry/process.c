/*
 * Processes: the process table (live and zombie thread groups), fork and
 * vfork, exit with zombies and reparenting, wait4/waitid, and signals with
 * their default actions.
 *
 * Locking: kernel.lock protects the table, every thread group's tree
 * fields (parent, zombie, exit_status...) and vfork_pending. wait4/waitid
 * and vfork parents sleep on process_wait_cond with kernel.lock.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include "fs/vfs.h"
#include "sentry/ipc.h"
#include "sentry/kernel_internal.h"
#include "sentry/log.h"
#include "sentry/mm.h"
#include "sentry/process.h"
#include "sentry/ptrace.h"
#include "sentry/rusage.h"
#include "sentry/seccomp.h"
#include "sentry/signal.h"
#include "sentry/waitq.h"
#include <poll.h>

pthread_cond_t process_wait_cond = PTHREAD_COND_INITIALIZER;

static struct thread_group **tgs;
static size_t ntgs, cap_tgs;

int process_register(struct thread_group *tg)
{
	pthread_mutex_lock(&kernel.lock);
	if (ntgs == cap_tgs) {
		size_t cap = cap_tgs ? cap_tgs * 2 : 64;
		struct thread_group **p = realloc(tgs, cap * sizeof(*p));
		if (!p) {
			pthread_mutex_unlock(&kernel.lock);
			return -ENOMEM;
		}
		tgs = p;
		cap_tgs = cap;
	}
	tgs[ntgs++] = tg;
	tg->refs++;
	if (!tg->start_ns)
		tg->start_ns = kernel_uptime_ns();
	pthread_mutex_unlock(&kernel.lock);
	return 0;
}

struct thread_group *process_find_locked(int tgid)
{
	for (size_t i = 0; i < ntgs; i++)
		if (tgs[i]->tgid == tgid)
			return tgs[i];
	return NULL;
}

void process_wake_waiters_locked(void)
{
	pthread_cond_broadcast(&process_wait_cond);
	pidfd_notify_locked();     /* pidfds poll readable once their process exits */
}

/* Remove tg from the table; the caller drops the table's reference. */
static void unlink_locked(struct thread_group *tg)
{
	for (size_t i = 0; i < ntgs; i++) {
		if (tgs[i] == tg) {
			tgs[i] = tgs[--ntgs];
			return;
		}
	}
}

static bool ignores_children(const struct thread_group *p)
{
	const struct guest_sigaction *a = &p->actions[SIGCHLD - 1];
	return a->handler == (uint64_t)SIG_IGN || (a->flags & SA_NOCLDWAIT);
}

/* The group orphans of tg go to: the nearest subreaper ancestor, else init. */
static struct thread_group *reaper_for_locked(struct thread_group *tg)
{
	for (struct thread_group *a = tg->parent; a; a = a->parent)
		if (a->subreaper && !a->zombie)
			return a;
	struct thread_group *init = process_find_locked(1);
	return init != tg ? init : NULL;
}

struct pdeath_arg {
	struct thread_group *dead;
};

static void send_pdeath_locked(struct task *t, void *arg)
{
	struct pdeath_arg *pa = arg;
	if (t->pdeath_signal && t->tg->parent == pa->dead)
		process_signal_locked(t->tg, t->pdeath_signal);
}

void process_exit(struct task *t)
{
	struct thread_group *tg = t->tg, *drop = NULL;
	/* A session leader's exit hangs up its terminal's foreground group. */
	tty_session_exit(tg);
	pthread_mutex_lock(&kernel.lock);
	struct tty *ctty = tg->ctty;
	tg->ctty = NULL;
	tg->zombie = true;
	tg->uid = t->cred.uid;
	signal_discard_locked(tg, ~0ULL);    /* nothing will take them now */
	memcpy(tg->comm, t->comm, sizeof(tg->comm));
	struct pdeath_arg pa = { tg };
	kernel_for_each_task_locked(send_pdeath_locked, &pa);
	struct thread_group *reaper = reaper_for_locked(tg);
	for (size_t i = 0; i < ntgs; i++) {
		struct thread_group *c = tgs[i];
		if (c->parent != tg)
			continue;
		c->parent = reaper;
		c->ppid = reaper ? reaper->tgid : 0;
	}
	struct thread_group *p = tg->parent;
	if (p && tg->exit_signal > 0 && tg->exit_signal <= GUEST_NSIG) {
		/* Tell the parent (SIGCHLD, or the clone's exit signal). */
		siginfo_t info;
		memset(&info, 0, sizeof(info));
		info.si_signo = tg->exit_signal;
		int st = tg->exit_status;
		info.si_code = WIFEXITED(st) ? CLD_EXITED : CLD_KILLED;
		info.si_pid = tg->tgid;
		info.si_uid = tg->uid;
		info.si_status = WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st);
		process_signal_info_locked(p, tg->exit_signal, &info);
	}
	if (!p || ignores_children(p)) {
		/* Nobody will wait for it: reaped at once. */
		unlink_locked(tg);
		drop = tg;
	}
	process_wake_waiters_locked();
	pthread_mutex_unlock(&kernel.lock);
	tty_put(ctty);
	if (drop)
		tg_put(drop);
}

void process_vfork_release(struct task *t)
{
	pthread_mutex_lock(&kernel.lock);
	if (t->vfork_pending) {
		t->vfork_pending = false;
		process_wake_waiters_locked();
	}
	pthread_mutex_unlock(&kernel.lock);
}

/* ---- signals: sending, permission checks, job control ---- */

#define SIGBIT(s) (1ULL << ((s) - 1))

/* Ignored when the disposition is SIG_DFL (stop signals stop: they are not ignored here). */
static bool sig_default_ignored(int sig)
{
	return sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH || sig == SIGCONT;
}

#define STOP_SIGNALS (SIGBIT(SIGSTOP) | SIGBIT(SIGTSTP) | SIGBIT(SIGTTIN) | SIGBIT(SIGTTOU))

/* Tell tg's parent that tg stopped or continued (unless it asked not to know). */
static void notify_parent_locked(struct thread_group *tg, int code, int status)
{
	struct thread_group *p = tg->parent;
	if (!p)
		return;
	process_wake_waiters_locked();
	if (p->actions[SIGCHLD - 1].flags & SA_NOCLDSTOP)
		return;
	siginfo_t info;
	memset(&info, 0, sizeof(info));
	info.si_signo = SIGCHLD;
	info.si_code = code;
	info.si_pid = tg->tgid;
	info.si_status = status;
	process_signal_info_locked(p, SIGCHLD, &info);
}

void process_stop_locked(struct thread_group *tg, int sig)
{
	if (tg->stopped || tg->exiting)
		return;
	tg->stopped = true;
	tg->stop_seq++;
	tg->stop_sig = sig;
	tg->stop_report = true;
	tg->cont_report = false;
	notify_parent_locked(tg, CLD_STOPPED, sig);
	ptrace_notify_group_locked(tg);
}

struct wake_arg {
	struct thread_group *tg;
	uint64_t unless_blocked;           /* wake only the threads not blocking these (0: all) */
};

static void wake_member_locked(struct task *t, void *arg)
{
	struct wake_arg *wa = arg;
	if (t->tg == wa->tg && !(t->sigmask & wa->unless_blocked))
		task_wake_locked(t);
}

static void wake_group_locked(struct thread_group *tg, uint64_t unless_blocked)
{
	struct wake_arg wa = { tg, unless_blocked };
	kernel_for_each_task_locked(wake_member_locked, &wa);
}

struct find_arg {
	int tid;
	struct thread_group *tg;           /* when set: any live thread of tg if tid is not found */
	struct task *found, *any;
};

static void find_task_cb(struct task *t, void *arg)
{
	struct find_arg *fa = arg;
	if (t->exited)
		return;
	if (t->tid == fa->tid)
		fa->found = t;
	else if (fa->tg && t->tg == fa->tg && !fa->any)
		fa->any = t;
}

/* The live task tid, or NULL. Caller holds kernel.lock. */
static struct task *find_task_locked(int tid)
{
	struct find_arg fa = { tid, NULL, NULL, NULL };
	kernel_for_each_task_locked(find_task_cb, &fa);
	return fa.found;
}

/*
 * The thread that stands for tg in checks (Linux uses the task the pid
 * names): its leader, else any live thread; NULL for a zombie.
 */
static struct task *group_leader_locked(struct thread_group *tg)
{
	struct find_arg fa = { tg->tgid, tg, NULL, NULL };
	kernel_for_each_task_locked(find_task_cb, &fa);
	return fa.found && fa.found->tg == tg ? fa.found : fa.any;
}

/*
 * Queue sig on tg (thread NULL) or one of its threads, applying the
 * disposition and job control first (Linux's prepare_signal), then wake a
 * thread that can take it.
 */
static int send_locked(struct thread_group *tg, struct task *thread, int sig,
		       const siginfo_t *info)
{
	if (sig == 0 || tg->zombie || tg->exiting)
		return 0;
	uint64_t bit = SIGBIT(sig);
	if (sig == SIGCONT) {
		/* SIGCONT continues a stopped process whatever its disposition. */
		signal_discard_locked(tg, STOP_SIGNALS);
		if (tg->stopped) {
			tg->stopped = false;
			tg->stop_report = false;
			tg->cont_report = true;
			notify_parent_locked(tg, CLD_CONTINUED, SIGCONT);
			wake_group_locked(tg, 0);
			ptrace_notify_group_locked(tg);
		}
	} else if (bit & STOP_SIGNALS) {
		signal_discard_locked(tg, SIGBIT(SIGCONT));
	}
	if (sig == SIGKILL) {
		tg->exiting = true;
		tg->exit_status = SIGKILL;
		tg->stopped = false;
		wake_group_locked(tg, 0);
		process_wake_waiters_locked();
		return 0;
	}
	/*
	 * Ignored signals are discarded when sent, as in Linux, unless the
	 * target thread blocks them: a blocked signal stays pending (for
	 * signalfd, sigwait, or a later change of disposition).
	 */
	uint64_t handler = tg->actions[sig - 1].handler;
	if (handler == (uint64_t)SIG_IGN || (handler == (uint64_t)SIG_DFL && sig_default_ignored(sig))) {
		/* A tracer sees even ignored signals (Linux's sig_ignored). */
		struct task *who = thread ? thread : group_leader_locked(tg);
		if (!who || !(who->sigmask & bit || who->pt.tracer))
			return 0;
	}
	int rc = signal_queue_locked(tg, thread, sig, info);
	if (rc)
		return rc;
	if (thread)
		task_wake_locked(thread);
	else
		wake_group_locked(tg, bit);    /* any thread not blocking it may take it */
	process_wake_waiters_locked();
	return 0;
}

int process_signal_info_locked(struct thread_group *tg, int sig, const siginfo_t *info)
{
	return send_locked(tg, NULL, sig, info);
}

int process_signal_thread_info_locked(struct task *thread, int sig, const siginfo_t *info)
{
	return send_locked(thread->tg, thread, sig, info);
}

int process_signal_locked(struct thread_group *tg, int sig)
{
	siginfo_t info;
	memset(&info, 0, sizeof(info));
	info.si_signo = sig;
	info.si_code = SI_KERNEL;
	return process_signal_info_locked(tg, sig, &info);
}

int process_signal(struct thread_group *tg, int sig)
{
	pthread_mutex_lock(&kernel.lock);
	int rc = process_signal_locked(tg, sig);
	pthread_mutex_unlock(&kernel.lock);
	return rc;
}

/*
 * Linux's check_kill_permission: may t send sig to process tg (whose
 * thread who, if any, the sender named)? Within the process always; else
 * the sender's real or effective uid must be the target's real or saved
 * uid, or the sender has CAP_KILL; SIGCONT is allowed within the session.
 * Signals the kernel itself generates (si_code > 0) are not checked.
 */
static bool kill_permitted_locked(struct task *t, struct thread_group *tg, struct task *who,
				  int sig, const siginfo_t *info)
{
	if (info->si_code > 0 || tg == t->tg)
		return true;
	const struct cred *c = &t->cred;
	if (cred_capable(c, CAP_KILL))
		return true;
	if (!who)
		who = group_leader_locked(tg);
	uint32_t uid = who ? who->cred.uid : tg->uid, suid = who ? who->cred.suid : tg->uid;
	if (c->euid == suid || c->euid == uid || c->uid == suid || c->uid == uid)
		return true;
	return sig == SIGCONT && tg->sid == t->tg->sid;
}

int task_ptrace_may_access(struct task *caller, struct task *target, unsigned mode)
{
	if (caller->tg == target->tg)
		return 0;
	/*
	 * kernel.lock: /proc and the other checks read other tasks' credentials
	 * under it, and it keeps target->mm. Dumpability is the MM's (Linux's
	 * mm->flags); a target without one (exiting) skips that test, as there.
	 */
	pthread_mutex_lock(&kernel.lock);
	int dumpable = target->mm ? mm_dumpable(target->mm) : 1;
	bool ok = cred_ptrace_may_access(&caller->cred, &target->cred, dumpable, mode);
	pthread_mutex_unlock(&kernel.lock);
	return ok ? 0 : -EPERM;
}

int task_mm_access(struct task *caller, struct task *target, unsigned mode, struct mm **out)
{
	*out = NULL;
	/* kernel.lock keeps target->mm and the credentials it is checked with together (exec). */
	pthread_mutex_lock(&kernel.lock);
	struct mm *mm = target->mm;
	int rc = mm ? 0 : -ESRCH;
	if (mm && mm != caller->mm && caller->tg != target->tg &&
	    !cred_ptrace_may_access(&caller->cred, &target->cred, mm_dumpable(mm), mode))
		rc = -EACCES;
	if (!rc) {
		mm_get(mm);
		*out = mm;
	}
	pthread_mutex_unlock(&kernel.lock);
	return rc;
}

/* Send to one process after the checks (Linux: once it is found); sig 0 only probes. */
static int kill_one_locked(struct task *t, struct thread_group *tg, struct task *who, int sig,
			   const siginfo_t *info)
{
	if (sig < 0 || sig > GUEST_NSIG)
		return -EINVAL;
	if (!kill_permitted_locked(t, tg, who, sig, info))
		return -EPERM;
	if (!sig || tg->zombie)
		return 0;     /* a zombie can be signalled, to no effect */
	return send_locked(tg, NULL, sig, info);
}

/* The process pid names: its tgid, or (as Linux) the tid of one of its threads. */
static struct thread_group *find_target_locked(int pid, struct task **who)
{
	*who = NULL;
	struct thread_group *tg = process_find_locked(pid);
	if (tg)
		return tg;
	*who = find_task_locked(pid);
	return *who ? (*who)->tg : NULL;
}

static int kill_info(struct task *t, int pid, int sig, const siginfo_t *info)
{
	pthread_mutex_lock(&kernel.lock);
	int rc = -ESRCH;
	if (pid > 0) {
		struct task *who;
		struct thread_group *tg = find_target_locked(pid, &who);
		if (tg)
			rc = kill_one_locked(t, tg, who, sig, info);
	} else if (pid == -1) {
		/* Every process but init and the caller's; EPERM alone is not an error (Linux). */
		int count = 0, last = 0;
		for (size_t i = 0; i < ntgs; i++) {
			struct thread_group *tg = tgs[i];
			if (tg->zombie || tg->tgid == 1 || tg == t->tg)
				continue;
			int r = kill_one_locked(t, tg, NULL, sig, info);
			count++;
			if (r != -EPERM)
				last = r;
		}
		rc = count ? last : -ESRCH;
	} else {
		int pgid = pid == 0 ? t->tg->pgid : -pid;
		bool success = false;
		for (size_t i = 0; i < ntgs; i++) {
			struct thread_group *tg = tgs[i];
			if (tg->zombie || tg->pgid != pgid)
				continue;
			int r = kill_one_locked(t, tg, NULL, sig, info);
			success |= r == 0;
			rc = r;
		}
		if (success)
			rc = 0;
	}
	pthread_mutex_unlock(&kernel.lock);
	return rc;
}

static void sender_info(struct task *t, siginfo_t *info, int sig, int code)
{
	memset(info, 0, sizeof(*info));
	info->si_signo = sig;
	info->si_code = code;
	info->si_pid = t->tg->tgid;
	info->si_uid = t->cred.uid;
}

int process_kill(struct task *t, int pid, int sig)
{
	if (pid == INT32_MIN)
		return -ESRCH;    /* -pid would overflow (Linux) */
	siginfo_t info;
	sender_info(t, &info, sig, SI_USER);
	return kill_info(t, pid, sig, &info);
}

int process_sigqueue(struct task *t, int pid, int sig, const siginfo_t *uinfo)
{
	/* Nobody may pose as the kernel or as kill()/tgkill() towards another process (Linux). */
	if ((uinfo->si_code >= 0 || uinfo->si_code == SI_TKILL) && pid != t->tid)
		return -EPERM;
	if (pid <= 0)
		return -ESRCH;    /* no process groups for sigqueue */
	siginfo_t info = *uinfo;
	info.si_signo = sig;
	return kill_info(t, pid, sig, &info);
}

int process_tgkill(struct task *t, int tgid, int tid, int sig, const siginfo_t *uinfo)
{
	siginfo_t info;
	if (uinfo) {
		if ((uinfo->si_code >= 0 || uinfo->si_code == SI_TKILL) && tid != t->tid)
			return -EPERM;
		info = *uinfo;
		info.si_signo = sig;
	} else {
		sender_info(t, &info, sig, SI_TKILL);
	}
	pthread_mutex_lock(&kernel.lock);
	int rc = -ESRCH;
	struct task *target = find_task_locked(tid);
	if (target && (tgid <= 0 || target->tg->tgid == tgid)) {
		if (sig < 0 || sig > GUEST_NSIG)
			rc = -EINVAL;
		else
			rc = kill_permitted_locked(t, target->tg, target, sig, &info) ? 0 : -EPERM;
		if (!rc && sig)
			rc = send_locked(target->tg, target, sig, &info);
	}
	pthread_mutex_unlock(&kernel.lock);
	return rc;
}

/* ---- wait ---- */

static bool wait_matches(const struct thread_group *c, int idtype, int id, int options,
			 const struct thread_group *me)
{
	switch (idtype) {
	case P_PID:
		if (c->tgid != id)
			return false;
		break;
	case P_PGID:
		if (c->pgid != (id ? id : me->pgid))
			return false;
		break;
	default:
		break;
	}
	/* __WCLONE selects children that report with a signal other than SIGCHLD. */
	if (options & __WALL)
		return true;
	bool clone_child = c->exit_signal != SIGCHLD;
	return (options & __WCLONE) ? clone_child : !clone_child;
}

long process_wait(struct task *t, int idtype, int id, int options, struct wait_result *res)
{
	memset(res, 0, sizeof(*res));
	struct thread_group *reap = NULL;
	long rc;
	struct task *drop = NULL;
	pthread_mutex_lock(&kernel.lock);
	for (;;) {
		bool any = false;
		struct thread_group *hit = NULL;
		/* Tracees first: their stops and exits (children or not, threads too). */
		if (ptrace_wait_locked(t, idtype, id, options, res, &any, &drop)) {
			rc = res->pid;
			break;
		}
		for (size_t i = 0; i < ntgs; i++) {
			struct thread_group *c = tgs[i];
			if (c->parent != t->tg || !wait_matches(c, idtype, id, options, t->tg))
				continue;
			any = true;
			if (c->zombie && (options & WEXITED)) {
				hit = c;
				break;
			}
			if (!c->zombie && (options & WSTOPPED) && c->stopped && c->stop_report) {
				res->pid = c->tgid;
				res->status = (c->stop_sig << 8) | 0x7f;
				res->cld_code = CLD_STOPPED;
				res->cld_status = c->stop_sig;
				rusage_wait_locked(c, &res->ru);
				if (!(options & WNOWAIT))
					c->stop_report = false;
				break;
			}
			if (!c->zombie && (options & WCONTINUED) && c->cont_report) {
				res->pid = c->tgid;
				res->status = 0xffff;
				res->cld_code = CLD_CONTINUED;
				res->cld_status = SIGCONT;
				rusage_wait_locked(c, &res->ru);
				if (!(options & WNOWAIT))
					c->cont_report = false;
				break;
			}
		}
		if (!hit && res->pid) {
			rc = res->pid;
			break;
		}
		if (hit) {
			int st = hit->exit_status;
			res->pid = hit->tgid;
			res->status = st;
			res->cld_uid = hit->uid;
			if (WIFEXITED(st)) {
				res->cld_code = CLD_EXITED;
				res->cld_status = WEXITSTATUS(st);
			} else {
				res->cld_code = WCOREDUMP(st) ? CLD_DUMPED : CLD_KILLED;
				res->cld_status = WTERMSIG(st);
			}
			rusage_wait_locked(hit, &res->ru);
			if (!(options & WNOWAIT)) {
				rusage_reap_locked(t->tg, hit);
				unlink_locked(hit);
				reap = hit;
			}
			rc = res->pid;
			break;
		}
		if (!any) {
			rc = -ECHILD;
			break;
		}
		if (options & WNOHANG) {
			rc = 0;
			break;
		}
		if (signal_pending(t)) {
			rc = -ERESTARTSYS;
			break;
		}
		pthread_cond_wait(&process_wait_cond, &kernel.lock);
	}
	pthread_mutex_unlock(&kernel.lock);
	if (reap)
		tg_put(reap);
	if (drop)
		task_put(drop);
	return rc;
}

/* ---- fork ---- */

/*
 * CLONE_PTRACE and CLONE_UNTRACED only say whether a tracer follows the
 * child, and CLONE_IO shares an I/O scheduling context (of which only the
 * I/O priority exists here: task_ioprio_fork): with no tracing and no I/O
 * scheduler in the sentry, Linux's behaviour for them is to do nothing
 * more (LeakSanitizer clones its tracer thread CLONE_UNTRACED).
 */
#define CLONE_SUPPORTED (CSIGNAL | CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | \
			 CLONE_PTRACE | CLONE_VFORK | CLONE_PARENT | CLONE_SETTLS |         \
			 CLONE_PARENT_SETTID | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID |  \
			 CLONE_SYSVSEM | CLONE_DETACHED | CLONE_UNTRACED | CLONE_THREAD |   \
			 CLONE_IO)

static int clone_check_flags(uint64_t flags)
{
	/* Linux's own consistency rules first, in its order. */
	if ((flags & (CLONE_NEWNS | CLONE_FS)) == (CLONE_NEWNS | CLONE_FS))
		return -EINVAL;
	if ((flags & (CLONE_NEWUSER | CLONE_FS)) == (CLONE_NEWUSER | CLONE_FS))
		return -EINVAL;
	if ((flags & CLONE_THREAD) && !(flags & CLONE_SIGHAND))
		return -EINVAL;
	if ((flags & CLONE_SIGHAND) && !(flags & CLONE_VM))
		return -EINVAL;
	/*
	 * What the sentry does not support yet fails loudly: signal handlers
	 * shared between processes, namespaces, pidfds. Logged once.
	 */
	bool shared_sighand = (flags & CLONE_SIGHAND) && !(flags & CLONE_THREAD);
	if ((flags & ~(uint64_t)CLONE_SUPPORTED) || shared_sighand) {
		static int logged;
		if (!__atomic_exchange_n(&logged, 1, __ATOMIC_RELAXED))
			slog("clone flags 0x%lx not supported yet (shared signal handlers without "
			     "CLONE_THREAD, namespaces, pidfds): EINVAL", (unsigned long)flags);
		return -EINVAL;
	}
	return 0;
}

/* Share or copy what a new task gets from t; 0 or -ENOMEM. */
static int clone_resources(struct task *t, struct task *c, uint64_t flags)
{
	int rc = cred_copy(&c->cred, &t->cred);
	memcpy(c->comm, t->comm, sizeof(c->comm));
	c->sigmask = t->sigmask;
	c->personality = t->personality;
	c->timer_slack = t->timer_slack;
	c->strace = t->strace;
	pthread_mutex_lock(&kernel.lock);
	if (!rc)
		rc = task_sched_fork(&c->sched, &t->sched);     /* -EAGAIN: SCHED_DEADLINE */
	task_ioprio_fork(&c->sched, &t->sched, flags & CLONE_IO);
	pthread_mutex_unlock(&kernel.lock);
	c->mempolicy = t->mempolicy;
	seccomp_task_fork(c, t);     /* threads and processes alike */
	if (!(flags & CLONE_VM)) {
		/* A new address space keeps the alternate stack; a shared one does not. */
		c->altstack_sp = t->altstack_sp;
		c->altstack_size = t->altstack_size;
		c->altstack_flags = t->altstack_flags;
	}
	if (rc)
		return rc;
	if (flags & CLONE_VM) {
		mm_get(t->mm);
		c->mm = t->mm;
	} else {
		c->mm = mm_fork(t->mm);
	}
	if (flags & CLONE_FILES) {
		fdt_get(t->files);
		c->files = t->files;
	} else {
		c->files = fdt_clone(t->files);
	}
	if (flags & CLONE_FS) {
		fsctx_get(t->fs);
		c->fs = t->fs;
	} else {
		c->fs = fsctx_clone(t->fs);
	}
	/* SysV semaphore undo list: shared with CLONE_SYSVSEM, none otherwise. */
	if (ipc_sem_undo_fork(c, t, flags & CLONE_SYSVSEM))
		return -ENOMEM;
	return c->mm && c->files && c->fs ? 0 : -ENOMEM;
}

long process_clone(struct task *t, const struct clone_request *cr)
{
	int rc = clone_check_flags(cr->flags);
	if (rc)
		return rc;
	uint64_t flags = cr->flags;
	bool thread = flags & CLONE_THREAD;
	if (kernel.pids_max) {
		/* The pids cgroup controller's answer: a full group makes fork fail with EAGAIN. */
		int running, total, created;
		kernel_task_counts(&running, &total, &created);
		if ((uint64_t)total >= kernel.pids_max)
			return -EAGAIN;
	}
	struct task *c = thread ? task_alloc_thread(t->tg) : task_alloc();
	if (!c)
		return -ENOMEM;
	struct thread_group *ctg = c->tg;
	if (!thread) {
		pthread_mutex_lock(&kernel.lock);
		memcpy(ctg->actions, t->tg->actions, sizeof(ctg->actions));
		memcpy(ctg->rlimits, t->tg->rlimits, sizeof(ctg->rlimits));
		ctg->pgid = t->tg->pgid;
		ctg->sid = t->tg->sid;
		ctg->ctty = t->tg->ctty;
		if (ctg->ctty)
			tty_get(ctg->ctty);
		ctg->oom_score_adj = t->tg->oom_score_adj;
		ctg->parent = (flags & CLONE_PARENT) ? t->tg->parent : t->tg;
		ctg->ppid = ctg->parent ? ctg->parent->tgid : 0;
		ctg->exe = t->tg->exe;
		if (ctg->exe)
			file_get(ctg->exe);
		pthread_mutex_unlock(&kernel.lock);
		ctg->exit_signal = cr->exit_signal;
	}
	rc = clone_resources(t, c, flags);
	/*
	 * A forked child whose memory mirrors its parent's gets a fork of the
	 * parent's stub (no replay), made before anything changes the child's
	 * memory (CLONE_CHILD_SETTID's write below).
	 */
	uint64_t since;
	if (!rc && !(flags & CLONE_VM) && t->ctx && mm_fork_mirrors(c->mm, &since))
		c->seed = plat_ctx_seed(t->ctx, mm_platform_as(c->mm), &since);
	/*
	 * Its stack is the first thing a child writes: its own copy comes
	 * with its first mapping changes (CLONE_CHILD_SETTID's below, or the
	 * replay), not after a fault.
	 */
	if (!rc && !(flags & CLONE_VM))
		mm_fork_prebreak(c->mm, (cr->stack ? cr->stack : t->regs.rsp) - 1);
	signal_fpstate_fork(c, t);
	c->regs = t->regs;
	c->regs.rax = 0;
	if (cr->stack)
		c->regs.rsp = cr->stack;
	if (flags & CLONE_SETTLS) {
		if (cr->tls >= GUEST_TASK_SIZE)
			rc = rc ? rc : -EPERM;
		c->regs.fs_base = cr->tls;
	}
	if (!rc)
		rc = kernel_register_task(c);    /* assigns the tid */
	if (rc) {
		if (thread) {
			pthread_mutex_lock(&kernel.lock);
			ctg->nr_threads--;
			pthread_mutex_unlock(&kernel.lock);
		}
		plat_seed_drop(c->seed);
		c->seed = NULL;
		task_put(c);
		return rc;
	}
	if (!thread)
		ctg->tgid = c->tid;
	if (flags & CLONE_CHILD_SETTID)
		mm_copy_out(c->mm, gaddr(cr->child_tid), &c->tid, sizeof(c->tid));
	if (flags & CLONE_CHILD_CLEARTID)
		c->clear_child_tid = cr->child_tid;
	if (flags & CLONE_PARENT_SETTID)
		mm_copy_out(t->mm, gaddr(cr->parent_tid), &c->tid, sizeof(c->tid));
	c->vfork_pending = flags & CLONE_VFORK;
	int tid = c->tid;
	rc = thread ? 0 : process_register(ctg);
	/* A traced parent's tracer may follow the child: attached before it runs. */
	int event = rc ? 0 : ptrace_clone(t, c, flags, cr->exit_signal);
	/* A child in this address space gets a fork of this thread's stub (no replay). */
	if (!rc && (flags & CLONE_VM) && t->ctx)
		c->seed = plat_ctx_seed(t->ctx, mm_platform_as(t->mm), NULL);
	if (!rc)
		rc = task_start_thread(c);
	if (rc) {
		plat_seed_drop(c->seed);
		c->seed = NULL;
		ptrace_clone_abort(c);
		kernel_unregister_task(c);
		task_put(c);
		return rc;
	}
	if (event)
		ptrace_event(t, event, tid);
	if (flags & CLONE_VFORK) {
		/* The parent sleeps until the child execs or exits. */
		pthread_mutex_lock(&kernel.lock);
		while (c->vfork_pending && !t->tg->exiting)
			pthread_cond_wait(&process_wait_cond, &kernel.lock);
		pthread_mutex_unlock(&kernel.lock);
		ptrace_event(t, PTRACE_EVENT_VFORK_DONE, tid);
	}
	task_put(c);
	return tid;
}

/* ---- process groups and sessions ---- */

int process_setpgid(struct task *t, int pid, int pgid)
{
	if (pgid < 0)
		return -EINVAL;
	pthread_mutex_lock(&kernel.lock);
	int rc = 0;
	struct thread_group *tg = pid == 0 ? t->tg : process_find_locked(pid);
	if (!tg || tg->zombie || (tg != t->tg && tg->parent != t->tg)) {
		rc = -ESRCH;
		goto out;
	}
	if (tg != t->tg && tg->execed) {
		rc = -EACCES;
		goto out;
	}
	if (tg->session_leader || (tg != t->tg && tg->sid != t->tg->sid)) {
		rc = -EPERM;
		goto out;
	}
	if (pgid == 0)
		pgid = tg->tgid;
	if (pgid != tg->tgid) {
		bool found = false;
		/* A group lives while any member does, zombies included. */
		for (size_t i = 0; i < ntgs; i++)
			if (tgs[i]->pgid == pgid && tgs[i]->sid == t->tg->sid)
				found = true;
		if (!found) {
			rc = -EPERM;
			goto out;
		}
	}
	tg->pgid = pgid;
out:
	pthread_mutex_unlock(&kernel.lock);
	return rc;
}

int process_setsid(struct task *t)
{
	struct tty *old_tty = NULL;
	pthread_mutex_lock(&kernel.lock);
	int rc;
	bool leader = false;
	for (size_t i = 0; i < ntgs; i++)
		if (!tgs[i]->zombie && tgs[i]->pgid == t->tg->tgid)
			leader = true;
	if (leader) {
		rc = -EPERM;
	} else {
		t->tg->sid = t->tg->pgid = t->tg->tgid;
		t->tg->session_leader = true;
		old_tty = t->tg->ctty;         /* a new session has no terminal */
		t->tg->ctty = NULL;
		t->tg->tty_old_pgrp = 0;
		rc = t->tg->tgid;
	}
	pthread_mutex_unlock(&kernel.lock);
	tty_put(old_tty);
	return rc;
}

/* ---- terminal job control (fs/tty/) ---- */

int process_signal_pgrp(int pgid, int sig)
{
	int rc = -ESRCH;
	pthread_mutex_lock(&kernel.lock);
	for (size_t i = 0; i < ntgs && pgid > 0; i++) {
		if (!tgs[i]->zombie && tgs[i]->pgid == pgid) {
			process_signal_locked(tgs[i], sig);
			rc = 0;
		}
	}
	pthread_mutex_unlock(&kernel.lock);
	return rc;
}

int process_signal_tgid(int tgid, int sig)
{
	pthread_mutex_lock(&kernel.lock);
	struct thread_group *tg = process_find_locked(tgid);
	int rc = tg && !tg->zombie ? process_signal_locked(tg, sig) : -ESRCH;
	pthread_mutex_unlock(&kernel.lock);
	return rc;
}

/*
 * Linux's will_become_orphaned_pgrp. Unlike Linux, children of pid 1 count:
 * the sandbox's pid 1 is a namespace's init, not the global one.
 */
bool process_pgrp_orphaned(int pgid)
{
	bool orphaned = true;
	pthread_mutex_lock(&kernel.lock);
	for (size_t i = 0; i < ntgs && orphaned; i++) {
		struct thread_group *tg = tgs[i], *p = tg->parent;
		if (tg->pgid == pgid && !tg->zombie && p && p->pgid != pgid && p->sid == tg->sid)
			orphaned = false;
	}
	pthread_mutex_unlock(&kernel.lock);
	return orphaned;
}

int process_session_of(int id)
{
	int sid = -ESRCH;
	pthread_mutex_lock(&kernel.lock);
	for (size_t i = 0; i < ntgs && sid < 0 && id > 0; i++)
		if (tgs[i]->pgid == id)
			sid = tgs[i]->sid;
	struct thread_group *tg = sid < 0 ? process_find_locked(id) : NULL;
	if (tg)
		sid = tg->sid;
	pthread_mutex_unlock(&kernel.lock);
	if (sid < 0 && id > 0) {
		/* Any thread id names a pid too (find_vpid). */
		int tgid = task_tgid_of(id);
		pthread_mutex_lock(&kernel.lock);
		tg = tgid > 0 ? process_find_locked(tgid) : NULL;
		if (tg)
			sid = tg->sid;
		pthread_mutex_unlock(&kernel.lock);
	}
	return sid;
}

void process_for_each_in_session_locked(int sid, void (*fn)(struct thread_group *tg, void *arg),
					void *arg)
{
	for (size_t i = 0; i < ntgs; i++)
		if (!tgs[i]->zombie && tgs[i]->sid == sid)
			fn(tgs[i], arg);
}

int process_get_ids(struct task *t, int pid, int *pgid, int *sid)
{
	pthread_mutex_lock(&kernel.lock);
	struct thread_group *tg = pid == 0 ? t->tg : process_find_locked(pid);
	int rc = tg ? 0 : -ESRCH;
	if (tg) {
		*pgid = tg->pgid;
		*sid = tg->sid;
	}
	pthread_mutex_unlock(&kernel.lock);
	return rc;
}

int process_count(void)
{
	pthread_mutex_lock(&kernel.lock);
	int n = 0;
	for (size_t i = 0; i < ntgs; i++)
		n += !tgs[i]->zombie;
	pthread_mutex_unlock(&kernel.lock);
	return n;
}

static int cmp_tgid(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* tgids of the processes whose parent is tgid (any process if tgid < 0). */
static int list_tgids(int parent, int *buf, int max)
{
	int n = 0;
	pthread_mutex_lock(&kernel.lock);
	for (size_t i = 0; i < ntgs && n < max; i++)
		if (parent < 0 || (tgs[i]->parent && tgs[i]->parent->tgid == parent))
			buf[n++] = tgs[i]->tgid;
	pthread_mutex_unlock(&kernel.lock);
	qsort(buf, n, sizeof(int), cmp_tgid);
	return n;
}

int process_list_tgids(int *buf, int max)
{
	return list_tgids(-1, buf, max);
}

int process_list_children(int tgid, int *buf, int max)
{
	return list_tgids(tgid, buf, max);
}

/* ---- /proc views ---- */

struct find_thread {
	struct thread_group *tg;
	int tid;
	struct task *exact, *any;
};

static void find_thread_locked(struct task *t, void *arg)
{
	struct find_thread *ft = arg;
	if (t->tg != ft->tg || t->exited)
		return;
	if (t->tid == ft->tid)
		ft->exact = t;
	else if (!ft->any)
		ft->any = t;
}

static char task_state_locked(struct task *t, struct thread_group *tg)
{
	if (!t || tg->zombie)
		return 'Z';
	if (t->pt.stopped)
		return 't';
	if (tg->stopped)
		return 'T';
	if (t == task_current())
		return 'R';
	return __atomic_load_n(&t->state, __ATOMIC_RELAXED) == TASK_SLEEPING ? 'S' : 'R';
}

int task_get_info(int tgid, int tid, struct task_info *info, struct task **tp)
{
	memset(info, 0, sizeof(*info));
	*tp = NULL;
	pthread_mutex_lock(&kernel.lock);
	struct thread_group *tg = process_find_locked(tgid);
	struct find_thread ft = { tg, tid ? tid : tgid, NULL, NULL };
	if (tg)
		kernel_for_each_task_locked(find_thread_locked, &ft);
	struct task *t = tid ? ft.exact : ft.exact ? ft.exact : ft.any;
	if (!tg || (tid && !t)) {
		pthread_mutex_unlock(&kernel.lock);
		return -ENOENT;
	}
	info->tid = t ? t->tid : tgid;
	info->tgid = tgid;
	info->ppid = tg->ppid;
	info->pgid = tg->pgid;
	info->sid = tg->sid;
	info->nr_threads = t ? tg->nr_threads : 0;
	info->state = task_state_locked(t, tg);
	info->tracer_pid = t && t->pt.tracer ? t->pt.tracer->tg->tgid : 0;
	info->zombie = !t;
	memcpy(info->comm, t ? t->comm : tg->comm, sizeof(info->comm));
	info->comm[sizeof(info->comm) - 1] = 0;
	info->execed = tg->execed;
	info->exit_signal = tg->exit_signal;
	info->exit_status = tg->exit_status;
	info->start_ns = t ? t->start_ns : tg->start_ns;
	cputime_group_locked(tg, &info->cpu);
	info->cpu_children = tg->cpu_children;
	info->sig_pending = tg->pending;
	info->sig_blocked = t ? t->sigmask : 0;
	for (int i = 0; i < GUEST_NSIG; i++) {
		uint64_t h = tg->actions[i].handler;
		if (h == (uint64_t)SIG_IGN)
			info->sig_ignored |= 1ULL << i;
		else if (h != (uint64_t)SIG_DFL)
			info->sig_caught |= 1ULL << i;
	}
	info->oom_score_adj = tg->oom_score_adj;
	if (t)
		info->sched = t->sched;
	memcpy(info->rlimits, tg->rlimits, sizeof(info->rlimits));
	info->uid = t ? t->cred.uid : tg->uid;
	info->seccomp_mode = t ? t->seccomp_mode : 0;
	info->seccomp_filters = t ? seccomp_filter_count(t->seccomp_filter) : 0;
	int rc = 0;
	if (t) {
		rc = cred_copy(&info->cred, &t->cred);
		t->refs++;
		*tp = t;
	}
	pthread_mutex_unlock(&kernel.lock);
	if (rc) {
		task_info_release(info, *tp);
		*tp = NULL;
	}
	return rc;
}

void task_info_release(struct task_info *info, struct task *t)
{
	cred_release(&info->cred);
	if (t)
		task_put(t);
}
