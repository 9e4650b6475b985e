/*
 * The sentry library's face for the command-line programs (cmd/) and the
 * OCI runtime (oci/).
 *
 * One sandbox per host process: boot it (sandbox_boot), create its first
 * process (sandbox_create_init), let that run (sandbox_start_init) and wait
 * for it (sandbox_wait). `sandbox run` does all four at once (sandbox_run);
 * the OCI runtime's `create` stops after the second and `start` does the
 * third, so the container's process exists but runs only when asked.
 */
#ifndef SENTRY_SENTRY_H
#define SENTRY_SENTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A mount made at boot. A host directory or file (bind), a tmpfs with a
 * size, or (fstype set) a guest file system mounted as mount(2) would.
 */
struct sandbox_mount {
	bool tmpfs;                /* type=tmpfs (else type=bind unless fstype) */
	const char *src;           /* bind: host directory or file */
	const char *dst;           /* absolute guest path (created if missing) */
	bool readonly;
	uint64_t size;             /* tmpfs size= in bytes (0: the default) */
	const char *fstype;        /* proc, sysfs, tmpfs, mqueue...: mount(2) of this type */
	unsigned long flags;       /* MS_* flags (fstype mounts; nosuid/nodev/noexec of binds) */
	const char *data;          /* fstype mounts: the options string (NULL: none) */
	char *owned;               /* what the strings point into (freed with the config), or NULL */
};

/* A resource limit to set on a process (setrlimit's resource numbers). */
struct sandbox_rlimit {
	int resource;
	uint64_t soft, hard;
};

struct sock_filter;

/*
 * A seccomp filter for a new process (an OCI profile compiled by the
 * runtime): installed as if the process had called
 * seccomp(SECCOMP_SET_MODE_FILTER) after its credentials are set and
 * before its first instruction, so every syscall it makes goes through it
 * (and loading its program fails if the filter refuses execve). The
 * program is checked as seccomp(2) checks one.
 */
struct sandbox_seccomp {
	const struct sock_filter *insns;
	unsigned short len;
	bool log;                  /* SECCOMP_FILTER_FLAG_LOG */
};

/* A guest process to create: program, environment, credentials and stdio. */
struct sandbox_process {
	char *const *argv;         /* the program (searched in the guest's PATH) and arguments */
	char *const *envp;         /* the guest's environment */
	const char *cwd;           /* guest working directory; NULL: "/" */
	bool make_cwd;             /* create cwd (as root) if missing, as runc does */
	bool has_user;             /* else uid/gid 0 */
	uint32_t uid, gid;
	const uint32_t *groups;    /* supplementary groups */
	size_t ngroups;
	bool has_caps;             /* else every capability for uid 0, none for others */
	uint64_t cap_effective, cap_permitted, cap_inheritable, cap_bounding;
	int umask;                 /* -1: the default (022) */
	const struct sandbox_rlimit *rlimits;
	size_t nrlimits;
	bool has_oom_score_adj;
	int oom_score_adj;
	bool no_new_privs;         /* PR_SET_NO_NEW_PRIVS from the start */
	const struct sandbox_seccomp *seccomp;   /* NULL: no filter */
	int stdio[3];              /* host fds donated as guest fds 0-2 (-1: closed); duplicated */
	const int *extra_fds;      /* host fds donated as guest fds 3, 4...; duplicated */
	size_t nextra_fds;
};

/* What `sandbox run` asks for, and the sandbox-wide part of an OCI bundle. */
struct sandbox_config {
	const char *rootfs;        /* host directory for "/"; NULL means "/" */
	bool rootfs_readonly;      /* "/" itself mounted read-only */
	char *const *argv;         /* sandbox_run: the program and its arguments */
	char *const *envp;         /* sandbox_run: the guest's environment */
	const char *cwd;           /* sandbox_run: guest working directory; NULL means "/" */
	const char *strace_path;   /* NULL: no strace; "" or "-": stderr; else a host file */
	bool debug;
	struct sandbox_mount *mounts;
	size_t nmounts;
	uint64_t mem_limit;        /* --memory: bytes of guest memory and tmpfs (0: default) */
	const char *hostname;      /* NULL: "sandbox" */
	uint64_t pids_max;         /* most guest threads at once (0: no limit); fork gets EAGAIN */
	bool net_egress;           /* --net=sandbox (else --net=none: loopback only) */
	const char *const *allow_net;   /* --allow-net CIDR[:PORT] */
	size_t nallow_net;
	const char *const *allow_host;  /* --allow-host NAME */
	size_t nallow_host;
	const char *const *publish;     /* --publish HOSTPORT:GUESTPORT */
	size_t npublish;
	const char *dns;                /* --dns IP[:PORT] or "none"; NULL: the host's resolver */
	const char *platform;           /* --platform systrap|ptrace; NULL: $SANDBOX_PLATFORM, else the best */
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

/*
 * Forward signals the host sends this process to the guest (sentry/sandbox.c
 * says which and where). Call before the sandbox starts any thread.
 * terminal_only: just SIGINT, SIGQUIT and SIGWINCH, with a container init's
 * protection (the OCI daemon, whose terminal is the container's); else also
 * SIGTERM, SIGHUP, SIGUSR1 and SIGUSR2, delivered even to an init without
 * a handler (`sandbox run`, which calls this itself).
 */
void sandbox_forward_signals(bool terminal_only);

/*
 * Boot this process's sandbox: MemoryFile, platform, VFS with cfg's root
 * and mounts, hostname and limits. 0, or an exit status (125) with a
 * message naming the failing part in err.
 */
int sandbox_boot(const struct sandbox_config *cfg, char *err, size_t errlen);

/*
 * Create the first process (guest pid 1) and load its program, without
 * running it. 0, or an exit status (125/126/127) with a message in err.
 */
int sandbox_create_init(const struct sandbox_process *p, char *err, size_t errlen);

/* Let the first process run; 0, or -EALREADY if it was started before, -errno. */
int sandbox_start_init(void);

/* Whether sandbox_start_init has run. */
bool sandbox_init_started(void);

/* Wait for the first process to end: its exit code, or 128+N for signal N. */
int sandbox_wait(void);

/*
 * Signal guest process pid (0: the first process) from outside the sandbox,
 * or every guest process if all. As from an ancestor pid namespace, the
 * first process only gets SIGKILL, SIGSTOP and signals it handles.
 * 0 or -errno (-ESRCH: no such process, -EINVAL: bad signal).
 */
int sandbox_signal(int pid, int sig, bool all);

/* The guest pids of live processes, ascending, into buf; their number. */
int sandbox_list_pids(int *buf, int max);

/* A process started by sandbox_exec, held until sandbox_proc_put. */
struct sandbox_proc;

/*
 * Start another process in the running sandbox (same VFS, pids, network):
 * a session leader with no parent, as `runc exec` makes. 0 and *out (its
 * guest pid is sandbox_proc_pid), or an exit status with a message in err.
 */
int sandbox_exec(const struct sandbox_process *p, struct sandbox_proc **out,
		 char *err, size_t errlen);
int sandbox_proc_pid(const struct sandbox_proc *sp);
/* Wait for it to end: its exit code, or 128+N if signal N killed it. */
int sandbox_proc_wait(struct sandbox_proc *sp);
/* Send it a signal (as from outside); 0 or -errno. */
int sandbox_proc_signal(struct sandbox_proc *sp, int sig);
void sandbox_proc_put(struct sandbox_proc *sp);

/* A size such as "512m", "2g", "4096" (k/m/g suffixes) in bytes; 0, or -1 if malformed or 0. */
int sandbox_parse_size(const char *s, uint64_t *out);

/* Write the syscall compatibility table (Markdown) to fd. */
void sandbox_write_compat(int fd);

#endif
