/* Processes: fork, wait, kill, process groups (sentry/process.c). */
#ifndef SENTRY_PROCESS_H
#define SENTRY_PROCESS_H

#include <signal.h>
#include <sys/resource.h>
#include "sentry/types.h"

/* What clone/clone3/fork/vfork ask for, decoded. */
struct clone_request {
	uint64_t flags;         /* CLONE_* without the exit signal */
	int exit_signal;
	uint64_t stack;         /* the child's rsp, or 0 to keep the parent's */
	uint64_t parent_tid, child_tid, tls;
};

/* Create a child process of t; its tid or -errno (-EINVAL for unsupported flags). */
long process_clone(struct task *t, const struct clone_request *cr);

struct wait_result {
	int pid;
	int status;        /* wait(2) status word */
	int cld_code;      /* CLD_EXITED, CLD_KILLED, CLD_DUMPED */
	int cld_status;    /* exit code or signal, as siginfo's si_status */
	uint32_t cld_uid;
	struct rusage ru;  /* the child's and its reaped children's usage (wait4, waitid) */
};

/*
 * Wait for a child of t: idtype P_ALL/P_PID/P_PGID with id, Linux's
 * options (WNOHANG, WEXITED, WNOWAIT, __WALL, __WCLONE). Returns the pid,
 * 0 (WNOHANG, nothing ready), -ECHILD or -EINTR.
 */
long process_wait(struct task *t, int idtype, int id, int options, struct wait_result *res);

/*
 * kill(2) semantics for pid (>0, 0, -1, <-1), with Linux's permission
 * checks between the guest's users; 0 or -errno.
 */
int process_kill(struct task *t, int pid, int sig);

/*
 * Linux's ptrace_may_access(target, mode) for caller: always within one
 * thread group; else cred_ptrace_may_access (sentry/cred.h) with the
 * target's credentials and dumpability. mode is PTRACE_MODE_* (READ or
 * ATTACH, with FSCREDS or REALCREDS); no LSM (Yama) policy is applied.
 * process_vm_readv/writev use PTRACE_MODE_ATTACH_REALCREDS, as ptrace's
 * attach does. 0 or -EPERM.
 */
int task_ptrace_may_access(struct task *caller, struct task *target, unsigned mode);

/*
 * Linux's mm_access: target's address space for caller, if caller may
 * reach it in mode (PTRACE_MODE_*, checked against the MM's dumpability);
 * its own (a thread, a vfork child) needs no check. 0 with *mm a user's
 * reference (mm_put), -ESRCH when target has none (exiting), or -EACCES.
 */
int task_mm_access(struct task *caller, struct task *target, unsigned mode, struct mm **mm);

/* The tgid a pidfd fd of t names (syscalls/sys_pidfd.c), *nonblock its O_NONBLOCK; or -EBADF. */
int pidfd_fd_tgid(struct task *t, int fd, bool *nonblock);

/* rt_sigqueueinfo(2): send info (from the guest) to process pid; 0 or -errno. */
int process_sigqueue(struct task *t, int pid, int sig, const siginfo_t *info);

/*
 * tgkill(2) (tgid > 0), tkill(2) (tgid 0) and rt_tgsigqueueinfo(2) (info
 * from the guest; NULL: an SI_TKILL siginfo from t): a signal for thread
 * tid alone, run by that thread. 0 or -errno.
 */
int process_tgkill(struct task *t, int tgid, int tid, int sig, const siginfo_t *info);

/* setpgid(2), setsid(2), and the ids of pid (0: t's own). */
int process_setpgid(struct task *t, int pid, int pgid);
int process_setsid(struct task *t);
int process_get_ids(struct task *t, int pid, int *pgid, int *sid);

/* ---- terminal job control (for fs/tty/) ---- */
struct thread_group;
/* Send sig from the kernel (SI_KERNEL) to every live process of group pgid; 0 or -ESRCH. */
int process_signal_pgrp(int pgid, int sig);
/* Send sig from the kernel to live process tgid; 0 or -ESRCH. */
int process_signal_tgid(int tgid, int sig);
/* True if no live member of group pgid has a parent in another group of the same session. */
bool process_pgrp_orphaned(int pgid);
/* The session of process group id, else of the process or thread id; -ESRCH if none. */
int process_session_of(int id);
/* Call fn on every live process of session sid. Caller holds kernel.lock. */
void process_for_each_in_session_locked(int sid, void (*fn)(struct thread_group *tg, void *arg),
					void *arg);

/* Live processes in the sandbox (sysinfo). */
int process_count(void);

/* tgids of every process, live or zombie, ascending; the count (at most max). */
int process_list_tgids(int *buf, int max);
/* tgids of the children of process tgid (zombies included), ascending. */
int process_list_children(int tgid, int *buf, int max);

#endif
