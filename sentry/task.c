/*
 * Tasks: each guest thread is run by its own sentry pthread, which loops
 * run guest -> event -> serve -> run guest. Only that thread touches the
 * task's registers and platform context.
 */
#include <capstone/capstone.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "fs/vfs.h"
#include "sentry/kernel_internal.h"
#include "sentry/futex.h"
#include "sentry/ipc.h"
#include "sentry/log.h"
#include "sentry/memfile.h"
#include "sentry/rusage.h"
#include "sentry/usertrap.h"
#include "sentry/seccomp.h"
#include "sentry/signal.h"
#include "sentry/timer.h"
#include "sentry/waitq.h"
#include "sentry/mm.h"
#include "sentry/mm_internal.h"
#include "sentry/ptrace.h"
#include "syscalls/table.h"

static struct task *task_alloc_common(struct thread_group *tg)
{
	struct task *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->refs = 1;
	t->tg = tg;
	pthread_mutex_init(&t->sleep_lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&t->sleep_cond, &ca);
	pthread_condattr_destroy(&ca);
	t->altstack_flags = SS_DISABLE;
	t->start_ns = kernel_uptime_ns();
	ptrace_task_init(t);
	return t;
}

struct task *task_alloc_thread(struct thread_group *tg)
{
	struct task *t = task_alloc_common(tg);
	if (!t)
		return NULL;
	pthread_mutex_lock(&kernel.lock);
	tg->refs++;
	tg->nr_threads++;
	pthread_mutex_unlock(&kernel.lock);
	return t;
}

struct task *task_alloc(void)
{
	struct thread_group *tg = calloc(1, sizeof(*tg));
	struct task *t = tg ? task_alloc_common(tg) : NULL;
	if (!t) {
		free(tg);
		return NULL;
	}
	tg->refs = 1;
	tg->nr_threads = 1;
	tg->exit_signal = SIGCHLD;
	tg->signal_wq = malloc(sizeof(*tg->signal_wq));
	if (!tg->signal_wq) {
		free(t);
		free(tg);
		return NULL;
	}
	waitq_init(tg->signal_wq);
	for (int i = 0; i < RLIM_NLIMITS; i++)
		getrlimit(i, &tg->rlimits[i]);
	tg->rlimits[RLIMIT_NOFILE].rlim_cur = 1024;
	if (tg->rlimits[RLIMIT_NOFILE].rlim_max < 1024 ||
	    tg->rlimits[RLIMIT_NOFILE].rlim_max > 1048576)
		tg->rlimits[RLIMIT_NOFILE].rlim_max = 1048576;
	return t;
}

void task_get(struct task *t)
{
	pthread_mutex_lock(&kernel.lock);
	t->refs++;
	pthread_mutex_unlock(&kernel.lock);
}

void tg_put(struct thread_group *tg)
{
	pthread_mutex_lock(&kernel.lock);
	bool last = --tg->refs == 0;
	pthread_mutex_unlock(&kernel.lock);
	if (!last)
		return;
	if (tg->exe)
		file_put(tg->exe);
	tty_put(tg->ctty);
	signal_release_group(tg);
	waitq_destroy(tg->signal_wq);
	free(tg->signal_wq);
	free(tg);
}

void task_put(struct task *t)
{
	pthread_mutex_lock(&kernel.lock);
	bool last = --t->refs == 0;
	pthread_mutex_unlock(&kernel.lock);
	if (!last)
		return;
	if (t->mm)
		mm_put(t->mm);
	if (t->files)
		fdt_put(t->files);
	if (t->fs)
		fsctx_put(t->fs);
	cred_release(&t->cred);
	ipc_sem_undo_exit(t);     /* a task that never ran (clone failed) */
	seccomp_task_release(t);
	signal_release_task(t);
	ptrace_task_release(t);
	tg_put(t->tg);
	pthread_mutex_destroy(&t->sleep_lock);
	pthread_cond_destroy(&t->sleep_cond);
	free(t->fp_init);
	free(t);
}

void task_wake_locked(struct task *t)
{
	if (t->ctx)
		plat_ctx_interrupt(t->ctx);
	pthread_mutex_lock(&t->sleep_lock);
	t->wake_pending = true;
	pthread_cond_broadcast(&t->sleep_cond);
	if (t->wait_cond) {
		pthread_mutex_lock(t->wait_mutex);
		pthread_cond_broadcast(t->wait_cond);
		pthread_mutex_unlock(t->wait_mutex);
	}
	pthread_mutex_unlock(&t->sleep_lock);
	pthread_cond_broadcast(&t->pt.cond);     /* out of a ptrace stop (kernel.lock is held) */
}

int task_sleep_until(struct task *t, const struct timespec *deadline)
{
	int rc = 0;
	pthread_mutex_lock(&t->sleep_lock);
	/* A wake only makes us look again: blocked signals do not end the sleep. */
	while (!signal_pending(t)) {
		t->wake_pending = false;
		int e = deadline ? pthread_cond_timedwait(&t->sleep_cond, &t->sleep_lock, deadline)
				 : pthread_cond_wait(&t->sleep_cond, &t->sleep_lock);
		if (e == ETIMEDOUT && !signal_pending(t)) {
			pthread_mutex_unlock(&t->sleep_lock);
			return 0;
		}
	}
	rc = -EINTR;
	pthread_mutex_unlock(&t->sleep_lock);
	return rc;
}


static const char *fault_code_name(int signo, int code)
{
	switch (signo) {
	case SIGSEGV:
		return code == SEGV_MAPERR ? "SEGV_MAPERR" : code == SEGV_ACCERR ? "SEGV_ACCERR" : "SEGV";
	case SIGBUS:
		return code == BUS_ADRALN ? "BUS_ADRALN" : code == BUS_ADRERR ? "BUS_ADRERR" : "BUS";
	case SIGILL:
		return code == ILL_ILLOPC ? "ILL_ILLOPC" : code == ILL_ILLOPN ? "ILL_ILLOPN"
		       : code == ILL_PRVOPC ? "ILL_PRVOPC" : "ILL";
	case SIGFPE:
		return code == FPE_INTDIV ? "FPE_INTDIV" : code == FPE_INTOVF ? "FPE_INTOVF" : "FPE";
	case SIGTRAP:
		return code == 0x80 ? "SI_KERNEL" : code == TRAP_BRKPT ? "TRAP_BRKPT" : "TRAP";
	}
	return "?";
}

/* Decode the instruction at rip with capstone, for the one-line fault report. */
static void describe_insn(struct task *t, uint64_t rip, char *out, size_t cap)
{
	uint8_t code[16];
	size_t n = sizeof(code);
	while (n > 0 && mm_copy_in(t->mm, code, gaddr(rip), n) != 0)
		n--;
	snprintf(out, cap, "(instruction not readable)");
	if (n == 0)
		return;
	csh h;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &h) != CS_ERR_OK)
		return;
	cs_insn *insn;
	if (cs_disasm(h, code, n, rip, 1, &insn) == 1) {
		snprintf(out, cap, "%.31s %.159s", insn->mnemonic, insn->op_str);
		cs_free(insn, 1);
	} else {
		snprintf(out, cap, "(undecodable bytes %02x %02x %02x %02x)", code[0],
			 n > 1 ? code[1] : 0, n > 2 ? code[2] : 0, n > 3 ? code[3] : 0);
	}
	cs_close(&h);
}

static void task_fault(struct task *t, const struct plat_event *ev)
{
	/*
	 * A write to a copy-on-write page, or a first touch of a file page not
	 * read in yet (shared file pages are not even mapped in the stub until
	 * then): fix the mapping and run the guest again.
	 */
	int signo = ev->signo, code = ev->si_code;
	if (signo == SIGSEGV && (code == SEGV_ACCERR || code == SEGV_MAPERR)) {
		int r = mm_handle_fault(t->mm, ev->addr, true);
		/*
		 * Resolved: run again (but a fault that never goes away is a real
		 * one). Repeats count since the last syscall: the same address
		 * faulting after a munmap and a new mmap is a new fault.
		 */
		t->fault_repeats = ev->addr == t->last_fault_addr ? t->fault_repeats + 1 : 0;
		t->last_fault_addr = ev->addr;
		/* A fault nothing explains gets a few retries (queued stub changes), not 1000. */
		if ((r == 0 && t->fault_repeats < 1000) ||
		    (r == MM_FAULT_UNEXPLAINED && t->fault_repeats < 3))
			return;
		if (r == SIGBUS) {
			signo = SIGBUS;     /* past the end of a shared mapping's file */
			code = BUS_ADRERR;
		} else if (code == SEGV_MAPERR && mm_range_mapped(t->mm, ev->addr, 1)) {
			code = SEGV_ACCERR; /* a VMA the stub leaves unmapped (PROT_NONE) */
		}
	}
	if (__atomic_load_n(&t->pt.tracer, __ATOMIC_ACQUIRE)) {
		ptrace_fault(t, signo, code, ev->addr);   /* its tracer sees it first */
		return;
	}
	if (signal_fault(t, signo, code, ev->addr))
		return;     /* the guest's handler runs at the next delivery */
	char insn[320];
	describe_insn(t, t->regs.rip, insn, sizeof(insn));
	slog("pid %d (%s) killed by SIG%s (%s, address 0x%lx) at 0x%lx: %s", t->tg->tgid, t->comm,
	     sigabbrev_np(signo) ? sigabbrev_np(signo) : "?",
	     fault_code_name(signo, code), ev->addr, t->regs.rip, insn);
	/* The default action; no core is dumped, so no core bit in the status. */
	task_exit_group(t, signo);
}

/* Writes that fail with EPIPE also raise SIGPIPE (pipes; sockets decide for themselves). */
static bool raises_sigpipe(int nr)
{
	switch (nr) {
	case 1: case 18: case 20: case 40: case 275: case 276: case 278: case 296: case 328:
		return true;   /* write, pwrite64, writev, sendfile, splice, tee, vmsplice, pwritev(2) */
	}
	return false;
}

struct mm_set {
	struct mm **v;
	size_t n, cap;
};

static void collect_mm_locked(struct task *t, void *arg)
{
	struct mm_set *s = arg;
	if (!t->mm || t->exited)
		return;
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i] == t->mm)
			return;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct mm **p = realloc(s->v, cap * sizeof(*p));
		if (!p)
			return;
		s->v = p;
		s->cap = cap;
	}
	mm_get(t->mm);
	s->v[s->n++] = t->mm;
}

/* A mapped file lost pages: no stub may reach them any more (see mm_request_resync). */
static void resync_all_mms(void)
{
	struct mm_set s = { 0 };
	pthread_mutex_lock(&kernel.lock);
	kernel_for_each_task_locked(collect_mm_locked, &s);
	pthread_mutex_unlock(&kernel.lock);
	for (size_t i = 0; i < s.n; i++) {
		mm_resync_shared_files(s.v[i]);
		mm_put(s.v[i]);
	}
	free(s.v);
}

static inline __attribute__((always_inline)) void task_syscall_run(struct task *t)
{
	struct syscall_args a;
	/* Linux treats the number as a 32-bit int; x32 numbers fall outside the table. */
	a.nr = (int)(uint32_t)t->regs.orig_rax;
	a.arg[0] = t->regs.rdi;
	a.arg[1] = t->regs.rsi;
	a.arg[2] = t->regs.rdx;
	a.arg[3] = t->regs.r10;
	a.arg[4] = t->regs.r8;
	a.arg[5] = t->regs.r9;
	if (__builtin_expect(__atomic_load_n(&t->seccomp_mode, __ATOMIC_RELAXED), 0)) {
		long skipped;
		if (!seccomp_syscall_check(t, &a, &skipped)) {
			if (t->strace && !t->exited)
				strace_syscall(t, &a, skipped);
			t->regs.rax = skipped;
			return;
		}
	}
	/* For /proc: a task inside the sentry is most likely waiting for something. */
	__atomic_store_n(&t->state, TASK_SLEEPING, __ATOMIC_RELAXED);
	long ret = syscall_dispatch(t, &a);
	__atomic_store_n(&t->state, TASK_RUNNING, __ATOMIC_RELAXED);
	if (mm_resync_requested())
		resync_all_mms();
	/* Restart codes never reach the guest: signal delivery resolves them. */
	if ((ret == -ERESTARTSYS || ret == -ERESTARTNOINTR || ret == -ERESTARTNOHAND ||
	     ret == -ERESTART_RESTARTBLOCK) && !t->ret_is_value) {
		t->restart = ret;
		t->regs.rax = ret;     /* what a tracer's syscall-exit stop shows; delivery resets it */
		if (t->strace)
			strace_syscall(t, &a, -EINTR);
		return;
	}
	t->ret_is_value = false;
	if (t->strace)
		strace_syscall(t, &a, ret);
	if (a.nr == 15 /* rt_sigreturn */)
		return;     /* the registers were restored from the frame */
	if (ret == -EPIPE && raises_sigpipe(a.nr))
		process_signal(t->tg, SIGPIPE);
	if (t->raise_sigxfsz) {
		/* Linux's send_sig(SIGXFSZ, current, 0): to the thread, as from itself. */
		t->raise_sigxfsz = false;
		siginfo_t info;
		memset(&info, 0, sizeof(info));
		info.si_signo = SIGXFSZ;
		info.si_code = SI_USER;
		info.si_pid = t->tg->tgid;
		info.si_uid = t->cred.uid;
		pthread_mutex_lock(&kernel.lock);
		process_signal_thread_info_locked(t, SIGXFSZ, &info);
		pthread_mutex_unlock(&kernel.lock);
	}
	t->regs.rax = ret;
}

static __attribute__((noinline)) void task_syscall_traced(struct task *t)
{
	bool run = ptrace_syscall_enter(t);
	if (run)
		task_syscall_run(t);
	ptrace_syscall_exit(t, run);
}

static void task_syscall(struct task *t)
{
	/* The one branch ptrace costs a task that nobody traces. */
	if (__builtin_expect(__atomic_load_n(&t->pt.syscall, __ATOMIC_RELAXED), 0)) {
		task_syscall_traced(t);
		return;
	}
	task_syscall_run(t);
}

static void task_syscall32(struct task *t)
{
	static int logged;
	/* A 32-bit entry is never interpreted as a 64-bit call. */
	if (!__atomic_exchange_n(&logged, 1, __ATOMIC_RELAXED))
		slog("pid %d: 32-bit syscall %lu (int 0x80) refused: ENOSYS", t->tg->tgid,
		     t->regs.orig_rax);
	if (t->strace) {
		char line[128];
		int n = snprintf(line, sizeof(line), "[pid %d] int80_syscall_%lu(...) = -1 ENOSYS\n",
				 t->tid, t->regs.orig_rax);
		if (kernel.strace_fd >= 0 && write(kernel.strace_fd, line, n) < 0)
			(void)0;
	}
	t->regs.rax = -ENOSYS;
}

struct wake_arg {
	struct thread_group *tg;
};

static void wake_sibling_locked(struct task *t, void *arg)
{
	struct wake_arg *wa = arg;
	if (t->tg == wa->tg)
		task_wake_locked(t);
}

void task_exit_group(struct task *t, int status)
{
	pthread_mutex_lock(&kernel.lock);
	t->exit_self = true;
	t->exit_code = status;
	if (!t->tg->exiting) {
		t->tg->exiting = true;
		t->tg->exit_status = status;
	}
	/* Every other thread of the group leaves its loop at the next boundary. */
	struct wake_arg wa = { t->tg };
	kernel_for_each_task_locked(wake_sibling_locked, &wa);
	pthread_mutex_unlock(&kernel.lock);
	t->exited = true;
}

void task_exit_thread(struct task *t, int status)
{
	pthread_mutex_lock(&kernel.lock);
	bool last = t->tg->nr_threads <= 1;
	pthread_mutex_unlock(&kernel.lock);
	if (last) {
		task_exit_group(t, status);
	} else {
		t->exit_self = true;
		t->exit_code = status;
		t->exited = true;
	}
}

#define ROBUST_LIST_LIMIT 2048
#define FUTEX_WAITERS_BIT 0x80000000U
#define FUTEX_OWNER_DIED_BIT 0x40000000U
#define FUTEX_TID_BITS 0x3fffffffU

/* Mark one robust futex of a dying thread: owner died, wake a waiter. */
static void robust_release(struct task *t, uint64_t entry, int64_t offset)
{
	uint64_t key;
	void *host;
	gaddr_t word = gaddr(entry + offset);
	if ((word.v & 3) || mm_futex_key(t->mm, word, &key, &host))
		return;
	uint32_t *p = host, old = __atomic_load_n(p, __ATOMIC_SEQ_CST), nv;
	do {
		if ((old & FUTEX_TID_BITS) != (uint32_t)t->tid)
			return;
		nv = (old & FUTEX_WAITERS_BIT) | FUTEX_OWNER_DIED_BIT;
	} while (!__atomic_compare_exchange_n(p, &old, nv, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
	if (old & FUTEX_WAITERS_BIT)
		futex_wake(t, word, 0 /* shared, as Linux */, 1, ~0U);
}

/*
 * A thread's robust futex list (set_robust_list), walked at its exit as
 * Linux's exit_robust_list: every lock it still holds is marked
 * FUTEX_OWNER_DIED so that waiters do not sleep forever.
 */
static void robust_list_exit(struct task *t)
{
	struct { uint64_t next; int64_t offset; uint64_t pending; } head;
	if (!t->robust_list || !t->mm || mm_copy_in(t->mm, &head, gaddr(t->robust_list), sizeof(head)))
		return;
	uint64_t entry = head.next;
	for (int n = 0; entry && entry != t->robust_list && n < ROBUST_LIST_LIMIT; n++) {
		uint64_t next;
		if (mm_copy_in(t->mm, &next, gaddr(entry & ~1ULL), 8))
			break;
		if (entry != head.pending)
			robust_release(t, entry & ~1ULL, head.offset);
		entry = next;
	}
	if (head.pending)
		robust_release(t, head.pending & ~1ULL, head.offset);
}

static void task_finish(struct task *t)
{
	ptrace_exit_stop(t);
	robust_list_exit(t);
	ipc_sem_undo_exit(t);     /* SEM_UNDO adjustments, when the last sharer ends */
	/* CLONE_CHILD_CLEARTID: zero the tid word and wake a joiner (pthread_join). */
	if (t->clear_child_tid && t->mm) {
		uint32_t zero = 0;
		if (mm_copy_out(t->mm, gaddr(t->clear_child_tid), &zero, sizeof(zero)) == 0)
			futex_wake(t, gaddr(t->clear_child_tid), 0 /* shared */, 1, ~0U);
	}
	pthread_mutex_lock(&kernel.lock);
	bool last = --t->tg->nr_threads == 0;
	rusage_task_exit_locked(t);     /* its CPU time goes to the process */
	pthread_mutex_unlock(&kernel.lock);
	bool init = last && t->tg->tgid == 1;
	/* The address space goes when its last user does (stubs are traced per thread). */
	pthread_mutex_lock(&kernel.lock);     /* against /proc's task_get_mm/files */
	struct mm *mm = t->mm;
	t->mm = NULL;
	struct fd_table *files = t->files;
	t->files = NULL;
	pthread_mutex_unlock(&kernel.lock);
	if (last && !init)
		rusage_group_exit(t, mm);   /* peak RSS; totals to the parent */
	/*
	 * Its stub goes before its hold on the address space: the last
	 * thread's mm_put frees the platform's side of it, which a stub
	 * released later would still be listed on.
	 */
	plat_ctx_release(rusage_task_detach(t));
	if (init)
		mf_shutdown();   /* the first process's end is the sandbox's end */
	mm_put(mm);
	if (init)
		vfs_sync_all();  /* other processes' shared mappings reach their host files */
	if (files)
		fdt_put(files);
	process_vfork_release(t);
	if (init) {
		kernel_init_exited(t->tg->exit_status);
		return;     /* the sandbox is ending: nothing more to tidy */
	}
	ptrace_task_exit(t);
	if (last) {
		timer_release(t->tg, false);
		process_exit(t);
	}
	kernel_unregister_task(t);
}

static void *task_run(struct task *t, struct plat_ctx *ctx)
{
	task_set_current(t);
	rusage_task_attach(t, ctx);
	if (!t->ctx) {
		slog("pid %d: cannot create an execution context", t->tid);
		task_exit_group(t, SIGKILL);
	}
	if (t->seed) {
		/* Its creator forked its stub (plat_ctx_seed); on a failure attach makes one. */
		struct plat_seed *seed = t->seed;
		t->seed = NULL;
		if (t->ctx && t->mm) {
			int rc = plat_ctx_adopt(t->ctx, mm_platform_as(t->mm), seed);
			if (rc)
				sdebug("pid %d: no stub from its creator's: %s", t->tid, strerror(-rc));
		} else {
			plat_seed_drop(seed);
		}
	}
	while (!t->exited) {
		if (__atomic_load_n(&t->zapped, __ATOMIC_ACQUIRE) & TASK_ZAP_EXEC)
			break;
		if (t->restart || signal_pending(t)) {
			signal_deliver(t);
			if (t->tg->exiting)
				break;
		}
		if (__atomic_load_n(&t->tg->stopped, __ATOMIC_ACQUIRE)) {
			/* A tracee reports the stop to its tracer, then runs when resumed. */
			int traced = ptrace_group_stop(t);
			if (traced > 0)
				continue;
			if (traced < 0) {
				/* Job-control stop: sleep until SIGCONT (or SIGKILL, or a tracer) arrives. */
				pthread_mutex_lock(&t->sleep_lock);
				while (__atomic_load_n(&t->tg->stopped, __ATOMIC_ACQUIRE) && !t->tg->exiting &&
				       !__atomic_load_n(&t->pt.tracer, __ATOMIC_ACQUIRE))
					pthread_cond_wait(&t->sleep_cond, &t->sleep_lock);
				pthread_mutex_unlock(&t->sleep_lock);
				continue;
			}
		}
		struct plat_event ev;
		struct plat_as *as = mm_platform_as(t->mm);
		int rc = plat_ctx_attach(t->ctx, as);
		if (rc == 1)
			rc = mm_replay(t->mm, t->ctx);
		if (!rc && t->fp_init)
			signal_fpstate_start(t);
		if (!rc)
			rc = plat_ctx_switch(t->ctx, as, &t->regs, &ev);
		if (rc) {
			slog("pid %d: platform failure: %s", t->tid, strerror(-rc));
			task_exit_group(t, SIGKILL);
			break;
		}
		sdebug("pid %d: event %d sig %d rip 0x%lx nr %ld", t->tid, ev.kind, ev.signo,
		       t->regs.rip, (long)t->regs.orig_rax);
		if (ev.kind == PLAT_EV_SYSCALL || ev.kind == PLAT_EV_SYSCALL32)
			t->last_fault_addr = UINT64_MAX;   /* the guest moved on: a later fault is new */
		switch (ev.kind) {
		case PLAT_EV_SYSCALL:
			if (ev.patchable)
				usertrap_syscall(t);
			task_syscall(t);
			break;
		case PLAT_EV_SYSCALL32:
			task_syscall32(t);
			break;
		case PLAT_EV_FAULT:
			if ((ev.signo == SIGILL || ev.signo == SIGTRAP) &&
			    usertrap_fault(t, ev.signo) == USERTRAP_SYSCALL) {
				t->last_fault_addr = UINT64_MAX;
				task_syscall(t);
				break;
			}
			task_fault(t, &ev);
			break;
		case PLAT_EV_INTERRUPT:
			usertrap_leave_entry(t);
			break;
		case PLAT_EV_DIED:
			/*
			 * Its host process was killed from outside: the host's OOM
			 * killer under the sandbox's memory cgroup (sentry/memcg.c)
			 * or an administrator. On Linux that process dies of
			 * SIGKILL; so does this one, and the others go on.
			 */
			sdebug("pid %d: its host process was killed (out of memory?): SIGKILL",
			       t->tid);
			task_exit_group(t, SIGKILL);
			break;
		}
		if (t->tg->exiting || (__atomic_load_n(&t->zapped, __ATOMIC_ACQUIRE) & TASK_ZAP_EXEC))
			t->exited = true;
	}
	task_finish(t);
	return NULL;
}

static void *task_thread(void *arg)
{
	crash_thread_init();
	return task_run(arg, plat_ctx_create());
}

/*
 * The first task's thread, started at boot (task_prestart): it makes its
 * context and stub while the sentry still loads the program, then waits
 * for the task (the first task_start_thread hands it over).
 */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool started, taken;
	struct task *task;
} early = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER };

static void *early_thread(void *arg)
{
	crash_thread_init();
	struct plat_ctx *ctx = plat_ctx_create();
	if (ctx)
		plat_ctx_prepare(ctx);      /* on failure the first attach makes the stub */
	pthread_mutex_lock(&early.lock);
	while (!early.task)
		pthread_cond_wait(&early.cond, &early.lock);
	struct task *t = early.task;
	pthread_mutex_unlock(&early.lock);
	return task_run(t, ctx);
}

void task_prestart(void)
{
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_t th;
	pthread_mutex_lock(&early.lock);
	if (!early.started && pthread_create(&th, &attr, early_thread, NULL) == 0)
		early.started = true;
	pthread_mutex_unlock(&early.lock);
	pthread_attr_destroy(&attr);
}

int task_start(struct task *t)
{
	int rc = kernel_register_task(t);
	if (rc)
		return rc;
	t->tg->tgid = t->tid;
	rc = process_register(t->tg);
	if (!rc)
		rc = task_start_thread(t);
	if (rc)
		kernel_unregister_task(t);
	return rc;
}

int task_start_thread(struct task *t)
{
	int rc;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	/* The thread's own reference, dropped by kernel_unregister_task at its end. */
	pthread_mutex_lock(&early.lock);
	bool handed = early.started && !early.taken;
	if (handed) {
		early.taken = true;
		early.task = t;
		pthread_cond_signal(&early.cond);
	}
	pthread_mutex_unlock(&early.lock);
	if (handed) {
		pthread_attr_destroy(&attr);
		return 0;
	}
	rc = pthread_create(&t->thread, &attr, task_thread, t);
	pthread_attr_destroy(&attr);
	return -rc;
}

/* ---- /proc helpers ---- */

static long read_area(struct task *t, uint64_t start, uint64_t end, char *buf, size_t cap)
{
	if (!t->mm || end <= start)
		return 0;
	size_t n = MIN(end - start, cap);
	int rc = mm_copy_in(t->mm, buf, gaddr(start), n);
	return rc ? rc : (long)n;
}

long task_read_cmdline(struct task *t, char *buf, size_t cap)
{
	if (!t->mm)
		return 0;
	struct mm_layout l;
	mm_get_layout(t->mm, &l);
	return read_area(t, l.arg_start, l.arg_end, buf, cap);
}

long task_read_environ(struct task *t, char *buf, size_t cap)
{
	if (!t->mm)
		return 0;
	struct mm_layout l;
	mm_get_layout(t->mm, &l);
	return read_area(t, l.env_start, l.env_end, buf, cap);
}

struct mm *task_get_mm(struct task *t)
{
	pthread_mutex_lock(&kernel.lock);
	struct mm *mm = t->mm;
	if (mm)
		mm_get(mm);
	pthread_mutex_unlock(&kernel.lock);
	return mm;
}

struct fd_table *task_get_files(struct task *t)
{
	pthread_mutex_lock(&kernel.lock);
	struct fd_table *files = t->files;
	if (files)
		fdt_get(files);
	pthread_mutex_unlock(&kernel.lock);
	return files;
}

struct file *task_get_exe(struct task *t)
{
	pthread_mutex_lock(&kernel.lock);
	struct file *f = t->exited ? NULL : t->tg->exe;
	if (f)
		file_get(f);
	pthread_mutex_unlock(&kernel.lock);
	return f;
}

void task_set_comm(struct task *t, const char *name, size_t len)
{
	pthread_mutex_lock(&kernel.lock);
	memset(t->comm, 0, sizeof(t->comm));
	memcpy(t->comm, name, MIN(len, sizeof(t->comm) - 1));
	pthread_mutex_unlock(&kernel.lock);
}

void task_set_oom_score_adj(struct task *t, int adj)
{
	pthread_mutex_lock(&kernel.lock);
	t->tg->oom_score_adj = adj;
	pthread_mutex_unlock(&kernel.lock);
}

struct zap_arg {
	struct task *keep;
};

static void zap_locked(struct task *t, void *arg)
{
	struct zap_arg *za = arg;
	if (t->tg == za->keep->tg && t != za->keep && !t->exited) {
		__atomic_or_fetch(&t->zapped, TASK_ZAP_EXEC, __ATOMIC_RELEASE);
		task_wake_locked(t);
	}
}

void task_zap_other_threads(struct task *t)
{
	struct zap_arg za = { t };
	for (;;) {
		pthread_mutex_lock(&kernel.lock);
		int n = t->tg->nr_threads;
		if (n > 1)
			kernel_for_each_task_locked(zap_locked, &za);
		pthread_mutex_unlock(&kernel.lock);
		if (n <= 1)
			return;
		/* The others leave at their next boundary; a blocked one is woken above. */
		struct timespec ms = { 0, 1000000 };
		nanosleep(&ms, NULL);
	}
}
