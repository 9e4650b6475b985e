/*
 * The syscall table: one entry per x86-64 syscall number, with its name,
 * its handler, how strace prints its arguments and how well it is
 * supported. `--strace`, the unsupported-syscall log and docs/compat.md
 * all come from this one table.
 */
#ifndef SYSCALLS_TABLE_H
#define SYSCALLS_TABLE_H

#include "sentry/types.h"

#define SYSCALL_TABLE_SIZE 463   /* numbers 0..462 */

struct syscall_args {
	int nr;
	uint64_t arg[6];
};

/* A handler returns the value for rax: a result or -errno. */
typedef long (*syscall_fn)(struct task *t, const struct syscall_args *a);

enum syscall_support {
	SYS_NONE = 0,      /* no entry: number unused on x86-64 */
	SYS_FULL,          /* implemented with Linux's semantics */
	SYS_PARTIAL,       /* implemented; `note` says what is missing */
	SYS_ERROR,         /* deliberately fails with `err`; `note` says why */
};

struct syscall_entry {
	const char *name;
	syscall_fn fn;             /* NULL: returns -ENOSYS, logged once */
	enum syscall_support support;
	int err;                   /* SYS_ERROR: the -errno returned */
	const char *args;          /* strace argument kinds, comma separated */
	const char *note;
};

extern const struct syscall_entry syscall_table[SYSCALL_TABLE_SIZE];

/* Name of syscall nr ("syscall_NNN" for unknown numbers); never NULL. */
const char *syscall_name(int nr);

/* Run syscall a->nr for t: the handler's result, or -ENOSYS. */
long syscall_dispatch(struct task *t, const struct syscall_args *a);

/* strace: print one line for a finished syscall to the strace output. */
void strace_syscall(struct task *t, const struct syscall_args *a, long ret);

/* Print the compatibility table as Markdown (docs/compat.md) to fd. */
void syscall_table_write_markdown(int fd);

#endif
