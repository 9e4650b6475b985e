/*
 * The OCI runtime: runc's command line over the sentry (cmd/runc.c parses
 * the arguments and calls these). A container is one sandbox: `create`
 * forks a sentry daemon that boots the bundle and holds its first process
 * until `start`; later commands reach it through a unix socket in the
 * state directory (oci/control.c). See docs/OCI.md.
 *
 * Functions return 0, or -1 with a message in struct oci_error (the CLI
 * prints it once and logs it in runc's format). Exit statuses of a
 * container's processes come back through `*status` arguments.
 */
#ifndef OCI_OCI_H
#define OCI_OCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "sentry/sentry.h"

#define OCI_RUNTIME_NAME "sandbox-runc"
#define OCI_VERSION "0.1.0"
#define OCI_SPEC_VERSION "1.1.0"

/* An error: a message naming the input (`config.json: process.args: ...`). */
struct oci_error {
	char msg[2048];
};

/* Fill err and return -1. */
int oci_fail(struct oci_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* runc's global flags. */
struct oci_global {
	const char *root;          /* --root: state directories (default /run/sandbox) */
	const char *log;           /* --log FILE (NULL: stderr only) */
	bool log_json;             /* --log-format json */
	bool debug;
	bool systemd_cgroup;       /* accepted, no effect: the sentry is the cgroup */
};

/* Log one message at level ("error", "warning", "info", "debug") to --log. */
void oci_log(const struct oci_global *g, const char *level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- config.json (oci/spec.c) ---- */

/* A JSON string without NUL bytes (into *out, pointing into v); 0 or -1 naming `what`. */
int oci_json_string(json_t *v, const char *what, const char **out, struct oci_error *err);
/*
 * A whole number 0..max (numbers are doubles: 2^64-1 and above read as
 * UINT64_MAX when max is; above 2^53 the nearest double); 0 or -1.
 */
int oci_json_u64(json_t *v, const char *what, uint64_t max, uint64_t *out, struct oci_error *err);

/*
 * linux.seccomp compiled by libseccomp into the classic-BPF program the
 * sentry installs on each container process (oci/seccomp.c).
 */
struct oci_seccomp {
	bool enabled;              /* false: no profile (or an empty one) */
	struct sandbox_seccomp prog;   /* prog.insns owned */
	size_t unknown_names;      /* syscall names libseccomp does not know (skipped) */
};

/*
 * Compile linux.seccomp (v: the member, or NULL) as runc would; 0, or -1
 * with a message naming the field (linux.seccomp.syscalls[2].action...).
 */
int oci_seccomp_compile(json_t *v, struct oci_seccomp *out, struct oci_error *err);
void oci_seccomp_free(struct oci_seccomp *sc);
/* `features`' linux.seccomp: the actions, operators, architectures and flags known. */
json_t *oci_seccomp_features(void);

struct oci_hook {
	const char *path;
	const char **args;         /* NULL-terminated (NULL: just the path) */
	const char **env;          /* NULL-terminated, or NULL */
	int timeout;               /* seconds, 0: none */
};

struct oci_hook_list {
	struct oci_hook *v;
	size_t n;
};

enum oci_hook_kind {
	OCI_HOOK_PRESTART, OCI_HOOK_CREATE_RUNTIME, OCI_HOOK_CREATE_CONTAINER,
	OCI_HOOK_START_CONTAINER, OCI_HOOK_POSTSTART, OCI_HOOK_POSTSTOP, OCI_HOOK_KINDS
};

/* A process: config.json's "process", or `exec --process FILE`. Strings point into json. */
struct oci_process {
	bool terminal;
	const char **args;         /* NULL-terminated, at least one */
	const char **env;          /* NULL-terminated */
	const char *cwd;
	uint32_t uid, gid;
	uint32_t *groups;
	size_t ngroups;
	int umask;                 /* -1: unset */
	bool has_caps;
	uint64_t cap_effective, cap_permitted, cap_inheritable, cap_bounding;
	struct sandbox_rlimit *rlimits;
	size_t nrlimits;
	bool no_new_privileges;
	bool has_oom_score_adj;
	int oom_score_adj;
	unsigned console_height, console_width;   /* consoleSize (0: unset) */
};

struct oci_mount {
	const char *destination;
	const char *type;          /* "bind", "tmpfs", "proc"... */
	const char *source;        /* absolute host path for binds */
	char *source_abs;          /* owned: source resolved against the bundle */
	unsigned long flags;       /* MS_* from options */
	char *data;                /* owned: the options that are not flags, comma-joined */
	bool bind;
};

struct oci_spec {
	json_t *json;              /* the parsed document; every string below points into it */
	const char *bundle;        /* absolute bundle directory */
	bool has_process;
	struct oci_process process;
	char *root_path;           /* owned: absolute */
	bool root_readonly;
	const char *hostname;
	struct oci_mount *mounts;
	size_t nmounts;
	uint64_t memory_limit;     /* linux.resources.memory.limit (0: none) */
	uint64_t pids_limit;       /* linux.resources.pids.limit (0: none) */
	struct oci_seccomp seccomp;   /* linux.seccomp */
	struct oci_hook_list hooks[OCI_HOOK_KINDS];
	json_t *annotations;       /* borrowed from json, or NULL */
	json_t *hooks_json;        /* borrowed from json, or NULL */
};

/* Parse and check bundle/config.json; 0, or -1 with a message naming the field (spec freed). */
int oci_spec_load(const char *bundle, struct oci_spec *spec, struct oci_error *err);
void oci_spec_free(struct oci_spec *spec);

/* Parse a process object (`exec --process`); `what` names it in messages. 0 or -1. */
int oci_process_parse(json_t *obj, const char *what, struct oci_process *p,
		      struct oci_error *err);
void oci_process_free(struct oci_process *p);
/* The sentry's view of p (pointing into p), with stdio -1 (the caller sets them). */
void oci_process_to_sandbox(const struct oci_process *p, struct sandbox_process *sp);

/* Parse a hooks object into lists (each list owns its arrays). */
int oci_hooks_parse(json_t *hooks, struct oci_hook_list lists[OCI_HOOK_KINDS],
		    struct oci_error *err);
void oci_hooks_free(struct oci_hook_list lists[OCI_HOOK_KINDS]);

/* The default config.json of `spec` (runc's), as a new JSON object. */
json_t *oci_spec_default(bool rootless);

/* A signal by name ("TERM", "SIGTERM", "SIGRTMIN+2") or number; -1 if unknown. */
int oci_parse_signal(const char *s);

/* ---- state (oci/state.c) ---- */

enum oci_status { OCI_CREATING, OCI_CREATED, OCI_RUNNING, OCI_STOPPED };

struct oci_state {
	char id[256];
	char dir[3072];            /* ROOT/ID (room for a file name in PATH_MAX) */
	int pid;                   /* the sentry daemon (host pid) */
	uint64_t pid_start;        /* its start time (/proc/PID/stat field 22), against pid reuse */
	char bundle[4096];
	char created[64];          /* RFC 3339 */
	json_t *annotations;       /* owned, or NULL */
	json_t *hooks;             /* owned: config.json's hooks (for start and delete), or NULL */
	enum oci_status status;    /* from the sentry (control socket) or /proc */
};

/* A container id as runc allows it: [A-Za-z0-9_+.-]+, not "." or "..". */
bool oci_valid_id(const char *id);

/* Load ROOT/ID/state.json and find the status; -1 "container ID does not exist". */
int oci_state_load(const struct oci_global *g, const char *id, struct oci_state *st,
		   struct oci_error *err);
void oci_state_free(struct oci_state *st);
/* Write state.json atomically. */
int oci_state_save(const struct oci_state *st, struct oci_error *err);
/* The OCI state JSON of `state` and of hooks' stdin (a new object). */
json_t *oci_state_json(const struct oci_state *st);
const char *oci_status_name(enum oci_status s);
/* Remove ROOT/ID and everything in it. */
void oci_state_remove(const char *dir);
/* Start time of host pid (clock ticks since boot), 0 if it is gone or a zombie. */
uint64_t oci_pid_start(int pid);

/* ---- talking to the sentry daemon (oci/control.c) ---- */

/*
 * The daemon's side: listen on ROOT/ID/control.sock (before boot) and
 * serve it from a thread (after boot). Requests: start, state, kill, ps,
 * exec (with stdio fds), signal (to an exec'd process). Exec'd processes
 * get the container's seccomp filter (NULL: none; it must outlive the
 * daemon's serving), as runc's exec does.
 */
int oci_control_listen(const char *dir, struct oci_error *err);
int oci_control_serve(int listen_fd, const struct sandbox_seccomp *seccomp);

/* The client's side: one request and its reply. fds (n of them) go with the request. */
int oci_control_connect(const char *dir, struct oci_error *err);
int oci_control_send(int fd, json_t *msg, const int *fds, int nfds, struct oci_error *err);
/* Receive one message (NULL on EOF or error; the error says which); one fd in *fd if sent. */
json_t *oci_control_recv(int fd, int *passed_fd, int timeout_ms, struct oci_error *err);
/* Request and reply in one; the reply's "error" member becomes an error. */
json_t *oci_control_call(const char *dir, json_t *req, struct oci_error *err);

/* Send a pty master over a console socket (runc's --console-socket protocol). */
int oci_send_console(const char *socket_path, int master, const char *name,
		     struct oci_error *err);

/* ---- hooks (oci/hooks.c) ---- */

/* Run each hook on the host with the state JSON on its stdin; -1 at the first failure. */
int oci_hooks_run(const struct oci_hook_list *list, const char *kind, json_t *state,
		  struct oci_error *err);

/* ---- commands (oci/container.c) ---- */

struct oci_create_opts {
	const char *id;
	const char *bundle;        /* default "." */
	const char *pid_file;
	const char *console_socket;
	int preserve_fds;          /* extra fds 3.. to hand to the container */
	bool detach;               /* run: do not wait */
	bool keep;                 /* run: keep the state after exit */
};

int oci_cmd_create(const struct oci_global *g, const struct oci_create_opts *o,
		   struct oci_error *err);
int oci_cmd_start(const struct oci_global *g, const char *id, struct oci_error *err);
/* run: create + start; *status is the container's exit status when not detached. */
int oci_cmd_run(const struct oci_global *g, const struct oci_create_opts *o, int *status,
		struct oci_error *err);
int oci_cmd_state(const struct oci_global *g, const char *id, struct oci_error *err);
int oci_cmd_kill(const struct oci_global *g, const char *id, int sig, bool all,
		 struct oci_error *err);
int oci_cmd_delete(const struct oci_global *g, const char *id, bool force, struct oci_error *err);
int oci_cmd_ps(const struct oci_global *g, const char *id, bool json, struct oci_error *err);
int oci_cmd_list(const struct oci_global *g, bool json, bool quiet, struct oci_error *err);
int oci_cmd_features(struct oci_error *err);
int oci_cmd_spec(const char *bundle, bool rootless, struct oci_error *err);

struct oci_exec_opts {
	const char *id;
	const char *process_file;  /* --process */
	char **args;               /* or the command after the id */
	const char *cwd;
	const char **env;          /* --env K=V (NULL-terminated, may be NULL) */
	const char *user;          /* --user UID[:GID] */
	const char **additional_gids;
	const char **caps;         /* --cap CAP_X, added */
	bool tty;
	bool no_new_privs;
	bool detach;
	const char *pid_file;
	const char *console_socket;
	int preserve_fds;
};

/* exec: *status is the process's exit status when not detached. */
int oci_cmd_exec(const struct oci_global *g, const struct oci_exec_opts *o, int *status,
		 struct oci_error *err);

#endif
