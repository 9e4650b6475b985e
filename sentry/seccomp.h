/*
 * seccomp(2) for guests: a classic-BPF checker and interpreter, the
 * refcounted filter chains tasks carry, and the check before each syscall.
 */
#ifndef SENTRY_SECCOMP_H
#define SENTRY_SECCOMP_H

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stdint.h>
#include "sentry/types.h"

struct syscall_args;

/* The guest's struct seccomp_data: what a filter's BPF_LD|BPF_W|BPF_ABS reads. */
_Static_assert(sizeof(struct seccomp_data) == 64, "seccomp_data layout");

/*
 * One installed filter. Immutable once made; chains are newest first, each
 * filter holding a reference to the one before it. Tasks hold a reference
 * to the newest filter of their chain (task->seccomp_filter); a filter dies
 * with its last reference.
 */
struct seccomp_filter;

/*
 * Check a classic-BPF program as Linux's bpf_check_classic and
 * seccomp_check_filter do: 0 if it may be installed, else -EINVAL.
 */
int seccomp_check(const struct sock_filter *insns, unsigned len);

/* Run a checked program over d: the 32-bit action it returns. */
uint32_t seccomp_run(const struct sock_filter *insns, unsigned len, const struct seccomp_data *d);

/*
 * A new filter for the checked program insns (copied) on top of prev
 * (which gains a reference; may be NULL); NULL on -ENOMEM.
 */
struct seccomp_filter *seccomp_filter_new(const struct sock_filter *insns, unsigned len,
					  struct seccomp_filter *prev, bool log);
struct seccomp_filter *seccomp_filter_get(struct seccomp_filter *f);
void seccomp_filter_put(struct seccomp_filter *f);

/* The number of filters in the chain f (0 for NULL). */
int seccomp_filter_count(const struct seccomp_filter *f);

/* Run every filter of the chain f over d: the action with the highest precedence. */
uint32_t seccomp_filter_run(const struct seccomp_filter *f, const struct seccomp_data *d);

/*
 * The check before a 64-bit syscall of a task in strict or filter mode:
 * true if the syscall runs; false if it is skipped, with *ret the value
 * for rax (the task may have been killed: t->exited, or a SIGSYS queued).
 */
bool seccomp_syscall_check(struct task *t, const struct syscall_args *a, long *ret);

/*
 * seccomp(2)'s operations for t (op, flags, args as the syscall takes
 * them; prctl(PR_SET_SECCOMP) comes here with flags 0): the result or -errno.
 */
long seccomp_op(struct task *t, unsigned op, unsigned flags, gaddr_t args);

/*
 * Install a filter on t as if t had called seccomp(SECCOMP_SET_MODE_FILTER)
 * itself, without the no_new_privs/CAP_SYS_ADMIN check: the runtime puts
 * it there (an OCI profile) before t first runs. 0, -EINVAL if the program
 * fails the checker or t is in strict mode, -ENOMEM.
 */
int seccomp_install(struct task *t, const struct sock_filter *insns, unsigned len, bool log);

/*
 * The action t's filters take on syscall nr with args (six, or NULL for
 * zeros), as seccomp_syscall_check would run them, without acting on it.
 */
uint32_t seccomp_task_action(struct task *t, int nr, const uint64_t *args);

/* Copy t's seccomp state (mode, chain) to a new task c: fork and clone. */
void seccomp_task_fork(struct task *c, struct task *t);

/* Drop t's chain (the task is being freed). */
void seccomp_task_release(struct task *t);

#endif
