/*
 * Tasks (guest threads) and thread groups (guest processes), and the
 * kernel-wide state of one sandbox.
 */
#ifndef SENTRY_TASK_H
#define SENTRY_TASK_H

#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include "sentry/types.h"
#include "sentry/cred.h"
#include "platform/platform.h"

#define GUEST_NSIG 64

/* The guest's struct k_sigaction as rt_sigaction(2) passes it. */
struct guest_sigaction {
	uint64_t handler;
	uint64_t flags;
	uint64_t restorer;
	uint64_t mask;
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
	uint32_t uid;                      /* real uid at exit, for waitid's si_uid */

	/* Signals sent to the process and not yet delivered (kernel.lock; read atomically). */
	uint64_t pending;                  /* bit n-1: signal n */
	siginfo_t pending_info[GUEST_NSIG];
	struct waitq *signal_wq;           /* woken when a signal is queued (signalfd) */

	/* Job control (kernel.lock). */
	bool stopped;                      /* stopped by SIGSTOP/SIGTSTP/SIGTTIN/SIGTTOU */
	int stop_sig;
	bool stop_report;                  /* a stop not yet reported to wait(WUNTRACED) */
	bool cont_report;                  /* a continue not yet reported to wait(WCONTINUED) */
};

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
	char comm[16];
	enum task_state state;

	/* Execution state, touched only by the task's own sentry thread. */
	struct plat_ctx *ctx;
	struct guest_regs regs;
	pthread_t thread;

	uint64_t sigmask;                  /* blocked signals (bit n-1 = signal n) */
	uint64_t clear_child_tid;
	uint64_t robust_list, robust_len;
	uint64_t rseq_addr;
	uint32_t rseq_len, rseq_sig;
	uint64_t altstack_sp, altstack_size;
	int altstack_flags;

	bool strace;                       /* print each syscall */
	bool exited;
	bool zapped;                       /* another thread's execve ends this one */
	int pdeath_signal;                 /* PR_SET_PDEATHSIG */

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
	/* rt_sigsuspend's mask to restore after the handler (put in the frame). */
	uint64_t saved_sigmask;
	bool has_saved_sigmask;
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

/* Render /proc/PID/status into a heap buffer (*out); length or -ENOMEM. */
long task_format_status(struct task *t, char **out);

/* Uptime in nanoseconds, as the guest's CLOCK_BOOTTIME reads it. */
uint64_t kernel_uptime_ns(void);

#endif
