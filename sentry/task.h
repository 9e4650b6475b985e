/*
 * Tasks (guest threads) and thread groups (guest processes), and the
 * kernel-wide state of one sandbox.
 */
#ifndef SENTRY_TASK_H
#define SENTRY_TASK_H

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include "sentry/types.h"
#include "sentry/cred.h"
#include "sentry/mm.h"
#include "platform/platform.h"

#define GUEST_NSIG 64

struct tty;

/* The guest's struct k_sigaction as rt_sigaction(2) passes it. */
struct guest_sigaction {
	uint64_t handler;
	uint64_t flags;
	uint64_t restorer;
	uint64_t mask;
};

/* CPU time in ns: running guest code (user) and the kernel's work for it (sys). */
struct cputime {
	uint64_t user, sys;
};

/*
 * A thread group (a guest process). Tasks hold a reference; the pid table
 * holds one while the group is alive or a zombie.
 */
struct thread_group {
	int tgid;
	int ppid;                          /* mirrors parent->tgid (0 for init) */
	int pgid, sid;
	int refs;                          /* protected by kernel.lock */
	struct guest_sigaction actions[GUEST_NSIG];   /* protected by kernel.lock */
	struct rlimit rlimits[RLIM_NLIMITS];
	struct file *exe;                  /* the executable, for /proc/PID/exe */
	bool exiting;
	int exit_status;                   /* wait(2) status word once exiting */
	int nr_threads;

	/* The process tree; all protected by kernel.lock. */
	struct thread_group *parent;       /* no reference: children are reparented first */
	int exit_signal;                   /* sent to the parent at exit (usually SIGCHLD) */
	bool zombie;                       /* exited; waits in the table to be reaped */
	bool execed;                       /* has called execve (setpgid: EACCES) */
	bool subreaper;                    /* PR_SET_CHILD_SUBREAPER */
	bool session_leader;               /* called setsid (init's session has no visible leader) */
	struct tty *ctty;                  /* controlling terminal: a reference (fs/tty), kernel.lock */
	int tty_old_pgrp;                  /* its foreground group when it hung up (for exit's SIGHUP) */
	uint32_t uid;                      /* real uid at exit, for waitid's si_uid */

	/* Signals sent to the process and not yet delivered (kernel.lock; read atomically). */
	uint64_t pending;                  /* bit n-1: signal n */
	siginfo_t pending_info[GUEST_NSIG];  /* the next instance of each pending signal */
	struct sigqueue *pending_more;     /* later instances of real-time signals, oldest first */
	int nr_queued;                     /* instances pending here and on its threads */
	struct waitq *signal_wq;           /* woken when a signal is queued (signalfd) */

	/* Job control (kernel.lock). */
	bool stopped;                      /* stopped by SIGSTOP/SIGTSTP/SIGTTIN/SIGTTOU */
	int stop_sig;
	bool stop_report;                  /* a stop not yet reported to wait(WUNTRACED) */
	bool cont_report;                  /* a continue not yet reported to wait(WCONTINUED) */
	uint32_t stop_seq;                 /* counts group stops (a tracee reports each once) */

	/* Tasks that threads of this process trace (sentry/ptrace.c; kernel.lock). */
	struct task *ptracees;             /* linked by task.pt.next; each holds a task reference */

	/* For /proc (kernel.lock). */
	int oom_score_adj;                 /* -1000..1000, inherited at fork */
	uint64_t start_ns;                 /* CLOCK_BOOTTIME when the process was created */
	char comm[16];                     /* the last thread's name, once a zombie */

	/* Resource usage (sentry/rusage.c; kernel.lock). */
	struct cputime cpu_exited;         /* threads that have ended */
	struct cputime cpu_children;       /* reaped children and their children */
	uint64_t maxrss_kb, children_maxrss_kb;
};

/*
 * A task's scheduling parameters (syscalls/sys_sched.c), virtual: the host
 * scheduling of the sentry's threads never changes. Per thread, as Linux;
 * kernel.lock. All zero is Linux's default (SCHED_NORMAL, nice 0, every CPU).
 */
struct task_sched {
	int nice;                          /* -20..19 (kept while an RT/DL policy is set) */
	int policy;                        /* SCHED_NORMAL 0, FIFO 1, RR 2, BATCH 3, IDLE 5, DEADLINE 6 */
	uint32_t rt_priority;              /* 1..99 for FIFO/RR, else 0 */
	bool reset_on_fork;                /* SCHED_RESET_ON_FORK */
	uint64_t slice;                    /* a fair task's custom slice in ns; 0: the default */
	uint64_t dl_runtime, dl_deadline, dl_period, dl_flags;   /* SCHED_DEADLINE */
	uint64_t cpus[16];                 /* affinity, bit n = CPU n; all zero: every CPU */
	/*
	 * ioprio_set(2)'s value (class << 13 | hint << 3 | level), kept in
	 * what Linux calls the task's io_context: it has none until the first
	 * ioprio_set, and ioprio_get reads 0 (IOPRIO_CLASS_NONE) until then.
	 * Nothing schedules I/O by it.
	 */
	bool io_context;
	uint16_t ioprio;
};

/*
 * What a new thread or process inherits (Linux's sched_fork): everything,
 * except that SCHED_RESET_ON_FORK gives it SCHED_NORMAL (nice 0 if the
 * parent's nice is negative or it is RT/DL). A SCHED_DEADLINE task cannot
 * fork otherwise: -EAGAIN.
 */
static inline int task_sched_fork(struct task_sched *c, const struct task_sched *p)
{
	*c = *p;
	if (c->reset_on_fork) {
		if (c->policy == 1 || c->policy == 2 || c->policy == 6) {
			c->policy = 0;
			c->nice = 0;
			c->rt_priority = 0;
			c->dl_runtime = c->dl_deadline = c->dl_period = c->dl_flags = 0;
		} else if (c->nice < 0) {
			c->nice = 0;
		}
		c->slice = 0;
		c->reset_on_fork = false;
	}
	return c->policy == 6 ? -EAGAIN : 0;
}

/*
 * Linux's copy_io: with CLONE_IO the new task shares the parent's
 * io_context (here it gets a copy: a later ioprio_set on one of them does
 * not reach the other); otherwise it gets a context of its own only if the
 * parent's class is RT, BE or IDLE (a class NONE value is not inherited).
 * Call after task_sched_fork.
 */
static inline void task_ioprio_fork(struct task_sched *c, const struct task_sched *p, bool clone_io)
{
	unsigned class = p->ioprio >> 13 & 7;
	c->io_context = p->io_context && (clone_io || (class >= 1 && class <= 3));
	c->ioprio = c->io_context ? p->ioprio : 0;
}

/*
 * A traced task's ptrace state (sentry/ptrace.c). Everything is under
 * kernel.lock, except `syscall`, which the tracee reads atomically at each
 * syscall (its one branch when untraced). While `stopped`, the tracee's
 * sentry thread sleeps in ptrace_stop and the tracer may read and change
 * its registers (task.regs) and the FPU snapshot in `fp`.
 */
struct task_ptrace {
	struct task *tracer;               /* NULL: not traced; no reference (it detaches first) */
	struct task *next;                 /* the next tracee of tracer->tg */
	unsigned options;                  /* PTRACE_O_* */
	bool seized;                       /* PTRACE_SEIZE (or auto-attached by a seized tracer) */
	int syscall;                       /* PT_SYS_*: stops to make at syscalls (atomic) */
	bool forced_tf;                    /* PTRACE_SINGLESTEP set the trap flag */
	bool stopped;                      /* in a ptrace stop the tracer has not resumed */
	bool report;                       /* a stop or an exit not yet reported to wait */
	bool listening;                    /* PTRACE_LISTEN: stopped until something happens */
	bool listen_group;                 /* the group was stopped when LISTEN began */
	uint64_t listen_sigs;              /* signals pending then (only new ones wake it) */
	bool trap;                         /* PTRACE_INTERRUPT (or a seized child's start) pending */
	bool exited;                       /* ended: the tracer's wait collects exit_status */
	int exit_status;
	int why;                           /* PT_STOP_*: what kind of stop */
	int code;                          /* wait status >> 8 for the stop */
	bool has_siginfo;
	siginfo_t siginfo;                 /* PTRACE_GETSIGINFO */
	uint64_t msg;                      /* PTRACE_GETEVENTMSG */
	int resume_sig;                    /* the signal the tracer resumed with */
	uint32_t stop_seq;                 /* the last group stop it reported */
	uint8_t *fp;                       /* the FPU state (XSAVE layout) at the stop */
	long fplen;
	bool fp_dirty;                     /* the tracer changed it: written back at resume */
	uint64_t dr[8];                    /* debug registers as POKEUSER left them (never armed) */
	pthread_cond_t cond;               /* with kernel.lock: the tracee waits in a stop */
};

#define TASK_ZAP_EXEC 1
#define TASK_ZAP_PTRACE 2

/* What a task is doing, for /proc/PID/status. */
enum task_state { TASK_RUNNING, TASK_SLEEPING, TASK_ZOMBIE };

/*
 * A guest thread. Created by the kernel, run by one sentry pthread (its
 * loop), freed when it has exited and nothing holds a reference.
 */
struct task {
	int tid;
	int refs;                          /* protected by kernel.lock */
	struct thread_group *tg;           /* holds a reference */
	struct mm *mm;                     /* holds a reference */
	struct fd_table *files;            /* holds a reference */
	struct fs_context *fs;             /* holds a reference */
	struct cred cred;
	char comm[16];                     /* written under kernel.lock (task_set_comm) */
	enum task_state state;             /* atomic: TASK_SLEEPING while in a syscall */
	uint64_t start_ns;                 /* CLOCK_BOOTTIME when the thread was created */

	/* Execution state, touched only by the task's own sentry thread. */
	struct plat_ctx *ctx;              /* set and cleared under kernel.lock (others sample it) */
	struct plat_seed *seed;            /* its stub forked from its creator's, until it runs */
	uint8_t *fp_init;                  /* its creator's FPU state, until it first runs (fp_len bytes) */
	long fp_len;
	struct guest_regs regs;
	pthread_t thread;

	/* CPU time (sentry/rusage.c; kernel.lock). */
	clockid_t sentry_clock;            /* the serving sentry thread's CPU clock, while ctx is set */
	bool cpu_folded;                   /* ended: its time is in tg->cpu_exited */
	struct cputime cpu_final;          /* its time when it ended */
	struct cputime cpu_seen;           /* the most it was reported at (kernel.lock) */

	uint64_t sigmask;                  /* blocked signals (bit n-1 = signal n) */
	/* Signals sent to this thread alone (tgkill, faults); like the group's, kernel.lock. */
	uint64_t pending;
	siginfo_t pending_info[GUEST_NSIG];
	struct sigqueue *pending_more;
	uint64_t clear_child_tid;
	uint64_t robust_list, robust_len;
	uint64_t rseq_addr;
	uint32_t rseq_len, rseq_sig;
	uint64_t altstack_sp, altstack_size;
	int altstack_flags;

	struct task_sched sched;           /* kernel.lock */
	/* set_mempolicy(2)'s policy (syscalls/sys_mempolicy.c): only the task's own thread. */
	struct mm_mempolicy mempolicy;

	bool strace;                       /* print each syscall */
	bool exited;
	int zapped;                        /* TASK_ZAP_EXEC: another thread's execve ends this one; */
	                                   /* TASK_ZAP_PTRACE: a ptrace trap to take (atomic) */
	bool exit_self;                    /* it ends by its own exit, exit_group or fatal signal */
	int exit_code;                     /* that exit's wait status (PTRACE_EVENT_EXIT's message) */
	struct task_ptrace pt;             /* ptrace: as a tracee */
	int pdeath_signal;                 /* PR_SET_PDEATHSIG */
	uint64_t last_fault_addr;          /* task_fault: the same fault resolved again and again */
	                                   /* since the last syscall (which sets it to UINT64_MAX) */
	int fault_repeats;
	/*
	 * personality(2)'s value (0: PER_LINUX), per thread, kept by fork and
	 * exec (which clears READ_IMPLIES_EXEC, as x86-64's SET_PERSONALITY
	 * does). ADDR_NO_RANDOMIZE fixes exec's layout; PER_LINUX32 makes
	 * uname say i686; the other flags are kept without effect.
	 */
	unsigned int personality;
	/*
	 * seccomp (sentry/seccomp.c): the mode (SECCOMP_MODE_DISABLED, _STRICT,
	 * _FILTER) and the filter chain, a reference. Changed under kernel.lock
	 * by the task's own thread or a sibling's SECCOMP_FILTER_FLAG_TSYNC (the
	 * chain before the mode); the task reads them atomically without it. A
	 * chain replaced by TSYNC is an ancestor of its replacement, so a run
	 * over the old one stays safe.
	 */
	int seccomp_mode;
	struct seccomp_filter *seccomp_filter;
	uint64_t timer_slack;              /* PR_SET_TIMERSLACK, ns (0: the default 50 us) */
	/* SEM_UNDO adjustments (sentry/ipc_sem.c): a reference, shared with CLONE_SYSVSEM, or NULL. */
	struct sem_undo_list *sem_undo;

	/* vfork: the parent waits until this child execs or exits. */
	bool vfork_pending;                /* protected by kernel.lock */

	/* Sleeping in the sentry (nanosleep): woken early by task_wake_locked. */
	pthread_mutex_t sleep_lock;        /* a leaf lock */
	pthread_cond_t sleep_cond;         /* CLOCK_MONOTONIC */
	bool wake_pending;                 /* protected by sleep_lock */
	/* A condition the task sleeps on elsewhere (futex), so a signal can wake it. */
	pthread_cond_t *wait_cond;         /* protected by sleep_lock */
	pthread_mutex_t *wait_mutex;

	/* A syscall's restart code, resolved when signals are delivered. */
	long restart;
	/*
	 * What restart_syscall(2) goes on with after -ERESTART_RESTARTBLOCK
	 * (Linux's restart_block): an interrupted relative sleep (its
	 * CLOCK_MONOTONIC end and where the time left goes) or timed futex
	 * wait (its absolute deadline on clock). Cleared when a handler runs
	 * or restart_syscall takes it.
	 */
	struct {
		enum { RESTART_NONE, RESTART_SLEEP, RESTART_FUTEX } kind;
		struct timespec end;
		clockid_t clock;
		uint64_t urem;                     /* RESTART_SLEEP */
		uint64_t uaddr;                    /* RESTART_FUTEX: futex_wait's arguments */
		int flags;
		uint32_t val, bitset;
	} restart_block;
	/*
	 * The syscall's result is a value even if it reads like a restart
	 * code (Linux's force_successful_syscall_return: lseek of
	 * /proc/PID/mem to 2^64 - 512). Cleared as the result is returned.
	 */
	bool ret_is_value;
	/* rt_sigsuspend's mask to restore after the handler (put in the frame). */
	uint64_t saved_sigmask;
	bool has_saved_sigmask;
	/* The syscall ran into RLIMIT_FSIZE (fs/file.c): SIGXFSZ follows its return. */
	bool raise_sigxfsz;
	/* The fault to report as a signal's siginfo (trapno, error, cr2). */
	uint64_t fault_addr;
};

/* Kernel-wide state of this sandbox (one sandbox per sentry process). */
struct kernel {
	pthread_mutex_t lock;              /* the pid table and refcounts above */
	char hostname[65];
	char domainname[65];
	uint64_t boot_ns;                  /* CLOCK_MONOTONIC at boot */
	uint64_t boot_realtime_ns;
	uint64_t mem_limit;                /* bytes the guest may use */
	int next_pid;
	int strace_fd;                     /* host fd for --strace output, or -1 */
	int exit_status;                   /* of the init process */
	uint64_t pids_max;                 /* most live tasks (OCI pids.limit); 0: no limit */
	/*
	 * The guest process group in the foreground of the host terminal the
	 * guest was handed (TIOCSPGRP on a host tty fd; fs/hostfd.c), which
	 * terminal signals the sentry receives are forwarded to. 0: not set
	 * (the group of pid 1).
	 */
	int host_tty_pgrp;
};

extern struct kernel kernel;

/* The task the calling sentry thread runs, or NULL outside a task loop. */
struct task *task_current(void);

/* Find a live task by guest tid, taking a reference; NULL if none. */
struct task *task_lookup(int tid);
void task_get(struct task *t);
void task_put(struct task *t);

/* Fill buf with the tgids of live thread groups, ascending; returns the count. */
int task_list_tgids(int *buf, int max);

/* Read the guest's argv area (NUL-separated) into buf; length or -errno. */
long task_read_cmdline(struct task *t, char *buf, size_t cap);

/* Read the guest's environment area into buf; length or -errno. */
long task_read_environ(struct task *t, char *buf, size_t cap);

/* ---- read-only views for /proc (fs/procfs) ---- */

/* What /proc shows of a process and one of its threads, copied under kernel.lock. */
struct task_info {
	int tid, tgid, ppid, pgid, sid;
	int nr_threads;
	char state;                        /* 'R', 'S', 'T' (stopped), 't' (traced) or 'Z' (zombie) */
	int tracer_pid;                    /* the tracer's tgid, or 0 */
	char comm[16];
	bool zombie;                       /* no live thread: no cred, mm, files or fs */
	bool execed;
	int exit_signal;
	int exit_status;                   /* wait(2) status word, for zombies */
	uint64_t start_ns;                 /* CLOCK_BOOTTIME at creation */
	struct cputime cpu;                /* the process's CPU time (all its threads) */
	struct cputime cpu_children;       /* of its reaped children */
	uint64_t sig_pending, sig_blocked, sig_ignored, sig_caught;   /* bit n-1: signal n */
	int oom_score_adj;
	struct task_sched sched;           /* the thread's (zero for zombies) */
	struct rlimit rlimits[RLIM_NLIMITS];
	uint32_t uid;                      /* real uid (zombies: at exit) */
	int seccomp_mode, seccomp_filters; /* the thread's (0 for zombies) */
	struct cred cred;                  /* live threads: a copy (cred_release it) */
};

/*
 * Find process tgid (live or zombie) and its thread tid (0: the leader, or
 * any live thread when the leader has gone), fill *info and return the
 * thread with a new reference in *tp (NULL for a zombie). 0, or -ENOENT
 * when there is no such process or tid is not one of its live threads.
 * Release with task_info_release.
 */
int task_get_info(int tgid, int tid, struct task_info *info, struct task **tp);
void task_info_release(struct task_info *info, struct task *t);

/* The tgid of the live thread tid, or -ENOENT. */
int task_tgid_of(int tid);

/* tids of the live threads of process tgid, ascending; the count (at most max). */
int task_list_tids(int tgid, int *buf, int max);

/*
 * t's address space, fd table and executable with a new reference, or
 * NULL once t has exited (or for the fd table, never had one).
 */
struct mm *task_get_mm(struct task *t);
struct fd_table *task_get_files(struct task *t);
struct file *task_get_exe(struct task *t);

/* Rename t (prctl(PR_SET_NAME), /proc/PID/comm): at most 15 bytes of name. */
void task_set_comm(struct task *t, const char *name, size_t len);

/* Set the oom_score_adj of t's process. */
void task_set_oom_score_adj(struct task *t, int adj);

/* Tasks now in the guest or runnable, tasks alive, and tasks ever created (/proc/stat). */
void kernel_task_counts(int *running, int *total, int *created);

/*
 * membarrier(2)'s barrier (platform/platform.h's plat_memory_barrier): a
 * full memory barrier on every CPU running guest code or serving it; 0 or
 * -ENOSYS where the host offers none (kernel_has_memory_barrier false).
 */
bool kernel_has_memory_barrier(void);
int kernel_memory_barrier(void);

/* Uptime in nanoseconds, as the guest's CLOCK_BOOTTIME reads it. */
uint64_t kernel_uptime_ns(void);

#endif
