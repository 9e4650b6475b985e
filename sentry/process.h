/* Processes: fork, wait, kill, process groups (sentry/process.c). */
#ifndef SENTRY_PROCESS_H
#define SENTRY_PROCESS_H

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
};

/*
 * Wait for a child of t: idtype P_ALL/P_PID/P_PGID with id, Linux's
 * options (WNOHANG, WEXITED, WNOWAIT, __WALL, __WCLONE). Returns the pid,
 * 0 (WNOHANG, nothing ready), -ECHILD or -EINTR.
 */
long process_wait(struct task *t, int idtype, int id, int options, struct wait_result *res);

/* kill(2) semantics for pid (>0, 0, -1, <-1); 0 or -errno. */
int process_kill(struct task *t, int pid, int sig);

/* setpgid(2), setsid(2), and the ids of pid (0: t's own). */
int process_setpgid(struct task *t, int pid, int pgid);
int process_setsid(struct task *t);
int process_get_ids(struct task *t, int pid, int *pgid, int *sid);

/* Live processes in the sandbox (sysinfo). */
int process_count(void);

#endif
