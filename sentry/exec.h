/* execve: replace a task's program. */
#ifndef SENTRY_EXEC_H
#define SENTRY_EXEC_H

#include "sentry/types.h"

/* Linux's limits on execve arguments. */
#define EXEC_MAX_ARG_STRLEN (32 * 4096)
#define EXEC_MAX_ARG_STRINGS 0x7fffffff

/*
 * Load the program at path (resolved in t's fs context) with argv and envp
 * (host arrays, NULL terminated) into a fresh address space and make it
 * t's: new MM, registers at the entry point, close-on-exec fds closed,
 * caught signals reset. On error t is unchanged. Returns 0 or -errno
 * (-ENOENT, -EACCES, -ENOEXEC, -ELOOP for #! nesting, -E2BIG, -ENOMEM...).
 */
int exec_program(struct task *t, const char *path, char *const argv[], char *const envp[]);

#endif
