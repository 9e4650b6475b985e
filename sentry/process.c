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
#include <sys/wait.h>
#include "fs/vfs.h"
#include "sentry/kernel_internal.h"
#include "sentry/log.h"
#include "sentry/mm.h"
#include "sentry/process.h"
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
	pthread_mutex_lock(&kernel.lock);
	tg->zombie = true;
	tg->uid = t->cred.uid;
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

/* ---- signals (default actions only, until handler delivery exists) ---- */

static bool sig_default_ignored(int sig)
{
	return sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH || sig == SIGCONT;
}

#define STOP_SIGNALS ((1ULL << (SIGSTOP - 1)) | (1ULL << (SIGTSTP - 1)) | \
		      (1ULL << (SIGTTIN - 1)) | (1ULL << (SIGTTOU - 1)))

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
	tg->stop_sig = sig;
	tg->stop_report = true;
	tg->cont_report = false;
	notify_parent_locked(tg, CLD_STOPPED, sig);
}

struct kill_arg {
	struct thread_group *tg;
};

static void wake_member_locked(struct task *t, void *arg)
{
	struct kill_arg *ka = arg;
	if (t->tg == ka->tg)
		task_wake_locked(t);
}

struct blocked_arg {
	struct thread_group *tg;
	int sig;
	bool blocked;
};

static void check_blocked_locked(struct task *t, void *arg)
{
	struct blocked_arg *ba = arg;
	if (t->tg == ba->tg && !t->exited && (t->sigmask & (1ULL << (ba->sig - 1))))
		ba->blocked = true;
}

int process_signal_info_locked(struct thread_group *tg, int sig, const siginfo_t *info)
{
	if (sig == 0 || tg->zombie || tg->exiting)
		return 0;
	uint64_t handler = tg->actions[sig - 1].handler;
	if (sig == SIGCONT && tg->stopped && (handler == (uint64_t)SIG_IGN ||
					      handler == (uint64_t)SIG_DFL)) {
		/* Continue even though the signal itself is then discarded. */
		__atomic_and_fetch(&tg->pending, ~STOP_SIGNALS, __ATOMIC_RELEASE);
		tg->stopped = false;
		tg->stop_report = false;
		tg->cont_report = true;
		notify_parent_locked(tg, CLD_CONTINUED, SIGCONT);
		struct kill_arg ka0 = { tg };
		kernel_for_each_task_locked(wake_member_locked, &ka0);
	}
	/*
	 * Ignored signals are discarded when sent, as in Linux, unless blocked:
	 * a blocked signal stays pending (for signalfd, sigwait, or a later
	 * change of disposition).
	 */
	if (sig != SIGKILL && (handler == (uint64_t)SIG_IGN ||
			       (handler == (uint64_t)SIG_DFL && sig_default_ignored(sig)))) {
		struct blocked_arg ba = { tg, sig, false };
		kernel_for_each_task_locked(check_blocked_locked, &ba);
		if (!ba.blocked)
			return 0;
	}
	if (sig == SIGCONT) {
		/* SIGCONT continues a stopped process whatever its disposition. */
		__atomic_and_fetch(&tg->pending, ~STOP_SIGNALS, __ATOMIC_RELEASE);
		if (tg->stopped) {
			tg->stopped = false;
			tg->stop_report = false;
			tg->cont_report = true;
			notify_parent_locked(tg, CLD_CONTINUED, SIGCONT);
		}
	} else if (STOP_SIGNALS & (1ULL << (sig - 1))) {
		__atomic_and_fetch(&tg->pending, ~(1ULL << (SIGCONT - 1)), __ATOMIC_RELEASE);
	}
	if (sig == SIGKILL) {
		tg->exiting = true;
		tg->exit_status = SIGKILL;
		tg->stopped = false;
	} else if (!(tg->pending & (1ULL << (sig - 1)))) {
		/* Standard signals do not queue twice: the first siginfo stands. */
		tg->pending_info[sig - 1] = *info;
		__atomic_or_fetch(&tg->pending, 1ULL << (sig - 1), __ATOMIC_RELEASE);
		waitq_wake(tg->signal_wq, POLLIN | POLLRDNORM);
	}
	struct kill_arg ka = { tg };
	kernel_for_each_task_locked(wake_member_locked, &ka);
	process_wake_waiters_locked();
	return 0;
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

int process_kill(struct task *t, int pid, int sig)
{
	if (sig < 0 || sig > GUEST_NSIG)
		return -EINVAL;
	siginfo_t info;
	memset(&info, 0, sizeof(info));
	info.si_signo = sig;
	info.si_code = SI_USER;
	info.si_pid = t->tg->tgid;
	info.si_uid = t->cred.uid;
	pthread_mutex_lock(&kernel.lock);
	int rc = -ESRCH;
	if (pid > 0) {
		struct thread_group *tg = process_find_locked(pid);
		if (tg && !tg->zombie)
			rc = process_signal_info_locked(tg, sig, &info);
		else if (tg)
			rc = 0;     /* a zombie can be signalled, to no effect */
	} else {
		int pgid = pid == 0 ? t->tg->pgid : -pid;
		/* Snapshot: signalling may not change the table, but be safe. */
		for (size_t i = 0; i < ntgs; i++) {
			struct thread_group *tg = tgs[i];
			if (tg->zombie)
				continue;
			bool hit = pid == -1 ? (tg->tgid != 1 && tg != t->tg) : tg->pgid == pgid;
			if (hit) {
				int r = process_signal_info_locked(tg, sig, &info);
				if (rc == -ESRCH || r == 0)
					rc = r;
			}
		}
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
	pthread_mutex_lock(&kernel.lock);
	for (;;) {
		bool any = false;
		struct thread_group *hit = NULL;
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
				if (!(options & WNOWAIT))
					c->stop_report = false;
				break;
			}
			if (!c->zombie && (options & WCONTINUED) && c->cont_report) {
				res->pid = c->tgid;
				res->status = 0xffff;
				res->cld_code = CLD_CONTINUED;
				res->cld_status = SIGCONT;
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
			if (!(options & WNOWAIT)) {
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
	return rc;
}

/* ---- fork ---- */

#define CLONE_SUPPORTED (CSIGNAL | CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | \
			 CLONE_VFORK | CLONE_PARENT | CLONE_SETTLS | CLONE_PARENT_SETTID |  \
			 CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | CLONE_SYSVSEM |        \
			 CLONE_DETACHED | CLONE_THREAD)

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
	c->strace = t->strace;
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
	return c->mm && c->files && c->fs ? 0 : -ENOMEM;
}

long process_clone(struct task *t, const struct clone_request *cr)
{
	int rc = clone_check_flags(cr->flags);
	if (rc)
		return rc;
	uint64_t flags = cr->flags;
	bool thread = flags & CLONE_THREAD;
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
		ctg->parent = (flags & CLONE_PARENT) ? t->tg->parent : t->tg;
		ctg->ppid = ctg->parent ? ctg->parent->tgid : 0;
		ctg->exe = t->tg->exe;
		if (ctg->exe)
			file_get(ctg->exe);
		pthread_mutex_unlock(&kernel.lock);
		ctg->exit_signal = cr->exit_signal;
	}
	rc = clone_resources(t, c, flags);
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
	if (!rc)
		rc = task_start_thread(c);
	if (rc) {
		kernel_unregister_task(c);
		task_put(c);
		return rc;
	}
	if (flags & CLONE_VFORK) {
		/* The parent sleeps until the child execs or exits. */
		pthread_mutex_lock(&kernel.lock);
		while (c->vfork_pending && !t->tg->exiting)
			pthread_cond_wait(&process_wait_cond, &kernel.lock);
		pthread_mutex_unlock(&kernel.lock);
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
		rc = t->tg->tgid;
	}
	pthread_mutex_unlock(&kernel.lock);
	return rc;
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
