/* The sentry library's face for the command-line programs (cmd/). */
#ifndef SENTRY_SENTRY_H
#define SENTRY_SENTRY_H

#include <stdbool.h>
#include <stdint.h>

/* What `sandbox run` asks for. */
/* A --mount: a host directory (bind) or a tmpfs at a guest path. */
struct sandbox_mount {
	bool tmpfs;                /* type=tmpfs (else type=bind) */
	const char *src;           /* bind: host directory */
	const char *dst;           /* absolute guest path */
	bool readonly;
	uint64_t size;             /* tmpfs size= in bytes (0: the default) */
};

struct sandbox_config {
	const char *rootfs;        /* host directory for "/"; NULL means "/" */
	char *const *argv;         /* the program and its arguments */
	char *const *envp;         /* the guest's environment */
	const char *cwd;           /* guest working directory; NULL means "/" */
	const char *strace_path;   /* NULL: no strace; "" or "-": stderr; else a host file */
	bool debug;
	struct sandbox_mount *mounts;
	size_t nmounts;
	uint64_t mem_limit;        /* --memory: bytes of guest memory and tmpfs (0: default) */
};

/* Exit statuses of `sandbox run` itself, as a shell would use them. */
#define SANDBOX_EXIT_USAGE 125
#define SANDBOX_EXIT_NOEXEC 126
#define SANDBOX_EXIT_NOTFOUND 127

/*
 * Run a program in a new sandbox and wait for its first process to end.
 * Returns the exit status for the CLI: the guest's exit code, 128+N if
 * signal N killed it, 127 if the program was not found, 126 if it could
 * not be executed, 125 if the sandbox itself could not start.
 */
int sandbox_run(const struct sandbox_config *cfg);

/* A size such as "512m", "2g", "4096" (k/m/g suffixes) in bytes; 0, or -1 if malformed or 0. */
int sandbox_parse_size(const char *s, uint64_t *out);

/* Write the syscall compatibility table (Markdown) to fd. */
void sandbox_write_compat(int fd);

#endif
