/*
 * The runtime's commands: a container is one sentry daemon.
 *
 * create  checks the bundle, makes ROOT/ID, forks the daemon (setsid; its
 *         stdio becomes the container's), which boots the sandbox, loads
 *         the first process without running it, serves ROOT/ID/control.sock
 *         and says "ready" on a pipe; then state.json and --pid-file (the
 *         daemon's pid: the shim, a subreaper, inherits it and its exit
 *         status is the container's).
 * start   asks the daemon to let the first process run.
 * exec    hands a process and our stdio to the daemon; we (or, with
 *         --detach, a child we leave) stand for that process on the host:
 *         our exit status is its, signals we get are forwarded to it.
 * kill, ps, state, delete, list: ask the daemon or read the state.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "oci/oci.h"

#define KILL_WAIT_MS 5000

static void now_rfc3339(char *buf, size_t len)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%09ldZ", ts.tv_nsec);
}

static int mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, 0711) && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(buf, mode) && errno != EEXIST ? -1 : 0;
}

/* Write "PID" to path atomically (runc writes the pid file the same way). */
static int write_pid_file(const char *path, int pid, struct oci_error *err)
{
	if (!path)
		return 0;
	char tmp[PATH_MAX];
	const char *slash = strrchr(path, '/');
	if (slash)
		snprintf(tmp, sizeof(tmp), "%.*s/.%s.tmp", (int)(slash - path), path, slash + 1);
	else
		snprintf(tmp, sizeof(tmp), ".%s.tmp", path);
	FILE *f = fopen(tmp, "we");
	if (!f)
		return oci_fail(err, "--pid-file %s: %s", path, strerror(errno));
	fprintf(f, "%d", pid);
	if (fclose(f) || rename(tmp, path)) {
		int e = errno;
		unlink(tmp);
		return oci_fail(err, "--pid-file %s: %s", path, strerror(e));
	}
	return 0;
}

/* Wait until host pid is gone (or a zombie); false after timeout_ms. */
static bool wait_gone(int pid, uint64_t start, int timeout_ms)
{
	for (int waited = 0; waited <= timeout_ms; waited += 10) {
		uint64_t s = oci_pid_start(pid);
		if (!s || (start && s != start))
			return true;
		/* Our own child (run, or a failed create): reap it. */
		waitpid(pid, NULL, WNOHANG);
		usleep(10000);
	}
	return false;
}

/* Kill the daemon itself (its stubs die with it) and wait for it. */
static void kill_daemon(const struct oci_state *st)
{
	uint64_t start = oci_pid_start(st->pid);
	if (!start || (st->pid_start && start != st->pid_start))
		return;
	kill(st->pid, SIGKILL);
	wait_gone(st->pid, start, KILL_WAIT_MS);
}

/* ---- create ---- */

/* The sentry's mounts for config.json's (see docs/OCI.md for the mapping). */
static int plan_mounts(const struct oci_spec *spec, struct sandbox_mount **out, size_t *nout,
		       char ***dsts, struct oci_error *err)
{
	struct sandbox_mount *v = calloc(spec->nmounts + 1, sizeof(*v));
	char **owned = calloc(spec->nmounts + 1, sizeof(char *));
	if (!v || !owned) {
		free(v);
		free(owned);
		return oci_fail(err, "out of memory");
	}
	size_t n = 0;
	const unsigned long keep = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME |
				   MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME;
	for (size_t i = 0; i < spec->nmounts; i++) {
		const struct oci_mount *m = &spec->mounts[i];
		char *dst;
		if (asprintf(&dst, "%s%s", m->destination[0] == '/' ? "" : "/", m->destination) < 0)
			break;
		/* Trailing slashes would make a different-looking mountpoint name. */
		for (size_t l = strlen(dst); l > 1 && dst[l - 1] == '/'; l--)
			dst[l - 1] = 0;
		owned[i] = dst;
		struct sandbox_mount sm = { .dst = dst, .flags = m->flags & keep };
		const char *t = m->type;
		if (m->bind) {
			sm.src = m->source_abs;
			sm.readonly = m->flags & MS_RDONLY;
		} else if (!strcmp(t, "proc") && !strcmp(dst, "/proc")) {
			continue;      /* booted with the sentry's procfs there */
		} else if (!strcmp(t, "sysfs") && !strcmp(dst, "/sys")) {
			continue;
		} else if ((!strcmp(t, "tmpfs") || !strcmp(t, "devtmpfs")) && !strcmp(dst, "/dev")) {
			continue;      /* the sentry's devfs is /dev, device nodes and all */
		} else if (!strcmp(t, "devpts") && !strcmp(dst, "/dev/pts")) {
			continue;      /* served by devfs */
		} else if (!strcmp(t, "cgroup") || !strcmp(t, "cgroup2")) {
			/* No cgroup tree inside: an empty read-only directory. */
			sm.fstype = "tmpfs";
			sm.flags |= MS_RDONLY;
		} else {
			sm.fstype = !strcmp(t, "shm") ? "tmpfs" : t;
			sm.src = m->source;
			sm.data = m->data && m->data[0] ? m->data : NULL;
		}
		v[n++] = sm;
	}
	*out = v;
	*nout = n;
	*dsts = owned;
	return 0;
}

struct daemon_args {
	const struct oci_global *g;
	const struct oci_create_opts *o;
	const struct oci_spec *spec;
	const char *dir;
	bool use_pty;            /* terminal: true with a console socket */
	int ready;               /* pipe to the parent */
};

static __attribute__((noreturn)) void daemon_fail(int ready, const char *msg)
{
	size_t len = strlen(msg);
	ssize_t r = write(ready, msg, len ? len : 1);
	(void)r;
	_exit(1);
}

/* Close every fd from 3 up except those in keep[] (runc does the same before init). */
static void close_fds_except(const int *keep, int nkeep)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return;
	int dfd = dirfd(d);
	struct dirent *e;
	int fds[4096], n = 0;
	while ((e = readdir(d)) && n < 4096) {
		int fd = atoi(e->d_name);
		if (fd < 3 || fd == dfd || e->d_name[0] == '.')
			continue;
		bool k = false;
		for (int i = 0; i < nkeep; i++)
			k |= keep[i] == fd;
		if (!k)
			fds[n++] = fd;
	}
	closedir(d);
	for (int i = 0; i < n; i++)
		close(fds[i]);
}

/* The daemon: never returns. */
static void run_daemon(struct daemon_args *a)
{
	const struct oci_spec *spec = a->spec;
	const struct oci_create_opts *o = a->o;
	struct oci_error err;
	char msg[2048];
	setsid();
	int npreserve = o->preserve_fds > 0 ? o->preserve_fds : 0;
	int keep[1 + 1024];
	int nkeep = 0;
	keep[nkeep++] = a->ready;
	for (int i = 0; i < npreserve && nkeep < 1025; i++)
		keep[nkeep++] = 3 + i;
	close_fds_except(keep, nkeep);

	char logpath[PATH_MAX];
	snprintf(logpath, sizeof(logpath), "%s/sentry.log", a->dir);
	int logfd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (logfd < 0 || devnull < 0)
		daemon_fail(a->ready, "cannot open the sentry's log or /dev/null");

	int base = 3 + npreserve + 16;
	int stdio[3] = { -1, -1, -1 };
	int master = -1;
	if (a->use_pty) {
		int slave;
		struct winsize ws = { .ws_row = (unsigned short)spec->process.console_height,
				      .ws_col = (unsigned short)spec->process.console_width };
		if (openpty(&master, &slave, NULL, NULL, ws.ws_row ? &ws : NULL))
			daemon_fail(a->ready, "cannot allocate a terminal (openpty)");
		/*
		 * The terminal is the daemon's controlling terminal, so the guest's
		 * /dev/tty is it. ^C, ^\ and window size changes it signals to the
		 * daemon go to the guest's foreground group; job-control stops and
		 * hangups are ignored (the guest's job control is the sentry's own).
		 */
		ioctl(slave, TIOCSCTTY, 0);
		sandbox_forward_signals(true);
		signal(SIGHUP, SIG_IGN);
		signal(SIGTSTP, SIG_IGN);
		signal(SIGTTIN, SIG_IGN);
		signal(SIGTTOU, SIG_IGN);
		for (int i = 0; i < 3; i++)
			stdio[i] = fcntl(slave, F_DUPFD_CLOEXEC, base);
		close(slave);
		fcntl(master, F_SETFD, FD_CLOEXEC);
		/* devfs finds the controlling terminal among fds 0-2 at boot. */
		dup2(stdio[0], 0);
		dup2(stdio[1], 1);
	} else {
		for (int i = 0; i < 3; i++)
			stdio[i] = fcntl(i, F_GETFD) < 0 ? -1 : fcntl(i, F_DUPFD_CLOEXEC, base);
		dup2(devnull, 0);
		dup2(devnull, 1);
	}
	/* From here the sentry's own messages go to ROOT/ID/sentry.log, never the container's. */
	dup2(logfd, 2);

	int lfd = oci_control_listen(a->dir, &err);
	if (lfd < 0)
		daemon_fail(a->ready, err.msg);

	struct sandbox_mount *mounts = NULL;
	size_t nmounts = 0;
	char **dsts = NULL;
	if (plan_mounts(spec, &mounts, &nmounts, &dsts, &err))
		daemon_fail(a->ready, err.msg);
	struct sandbox_config cfg = {
		.rootfs = spec->root_path,
		.rootfs_readonly = spec->root_readonly,
		.debug = a->g->debug,
		.mounts = mounts,
		.nmounts = nmounts,
		.mem_limit = spec->memory_limit,
		.hostname = spec->hostname,
		.pids_max = spec->pids_limit,
	};
	if (sandbox_boot(&cfg, msg, sizeof(msg)))
		daemon_fail(a->ready, msg);
	struct sandbox_process p;
	oci_process_to_sandbox(&spec->process, &p);
	p.seccomp = spec->seccomp.enabled ? &spec->seccomp.prog : NULL;
	memcpy(p.stdio, stdio, sizeof(stdio));
	p.make_cwd = true;
	int extra[1024];
	for (int i = 0; i < npreserve && i < 1024; i++)
		extra[i] = 3 + i;
	p.extra_fds = extra;
	p.nextra_fds = (size_t)(npreserve < 1024 ? npreserve : 1024);
	if (sandbox_create_init(&p, msg, sizeof(msg)))
		daemon_fail(a->ready, msg);
	for (int i = 0; i < 3; i++)
		if (stdio[i] >= 0)
			close(stdio[i]);
	for (int i = 0; i < npreserve; i++)
		close(3 + i);
	if (a->use_pty) {
		char name[64] = "/dev/pts/0";
		if (oci_send_console(o->console_socket, master, name, &err))
			daemon_fail(a->ready, err.msg);
		close(master);
		dup2(devnull, 0);
		dup2(devnull, 1);
	}
	if (oci_control_serve(lfd, p.seccomp))
		daemon_fail(a->ready, "cannot start the control thread");
	if (write(a->ready, "K", 1) != 1)
		_exit(1);
	close(a->ready);
	int status = sandbox_wait();
	char sock[PATH_MAX];
	snprintf(sock, sizeof(sock), "%s/control.sock", a->dir);
	unlink(sock);
	_exit(status);
}

/*
 * create's work, shared with run: on success *st is the container's state
 * (saved) and the daemon's pid is st->pid; nothing is left behind on failure.
 */
static int do_create(const struct oci_global *g, const struct oci_create_opts *o,
		     bool foreground, struct oci_state *st, struct oci_error *err)
{
	memset(st, 0, sizeof(*st));
	if (!oci_valid_id(o->id))
		return oci_fail(err, "invalid container id \"%s\": use letters, digits, _ + - .",
				o->id ? o->id : "");
	char *bundle = realpath(o->bundle ? o->bundle : ".", NULL);
	if (!bundle)
		return oci_fail(err, "--bundle %s: %s", o->bundle ? o->bundle : ".", strerror(errno));
	struct oci_spec spec;
	int rc = -1;
	if (oci_spec_load(bundle, &spec, err))
		goto out_bundle;
	if (!spec.has_process) {
		oci_fail(err, "config.json: process: required to create a container");
		goto out_spec;
	}
	if (spec.seccomp.enabled)
		oci_log(g, "debug", "seccomp: a filter of %u instructions; %zu syscall names unknown "
			"to libseccomp ignored", spec.seccomp.prog.len, spec.seccomp.unknown_names);
	if (spec.hooks[OCI_HOOK_CREATE_CONTAINER].n || spec.hooks[OCI_HOOK_START_CONTAINER].n) {
		oci_fail(err, "config.json: hooks.%s: hooks that run inside the container are not "
			      "supported (the container's namespaces are the sentry's own)",
			 spec.hooks[OCI_HOOK_CREATE_CONTAINER].n ? "createContainer" : "startContainer");
		goto out_spec;
	}
	bool use_pty = spec.process.terminal && o->console_socket;
	if (spec.process.terminal && !o->console_socket && !foreground) {
		oci_fail(err, "cannot allocate tty if runc will detach without setting console socket");
		goto out_spec;
	}
	if (!spec.process.terminal && o->console_socket) {
		oci_fail(err, "cannot use console socket if runc will not detach or allocate tty");
		goto out_spec;
	}
	if (o->preserve_fds < 0 || o->preserve_fds > 1024) {
		oci_fail(err, "--preserve-fds %d: expected 0 to 1024", o->preserve_fds);
		goto out_spec;
	}
	if (mkdir_p(g->root, 0711)) {
		oci_fail(err, "--root %s: %s", g->root, strerror(errno));
		goto out_spec;
	}
	snprintf(st->id, sizeof(st->id), "%s", o->id);
	snprintf(st->dir, sizeof(st->dir), "%s/%s", g->root, o->id);
	snprintf(st->bundle, sizeof(st->bundle), "%s", bundle);
	if (mkdir(st->dir, 0700)) {
		if (errno == EEXIST)
			oci_fail(err, "container with id exists: %s", o->id);
		else
			oci_fail(err, "%s: %s", st->dir, strerror(errno));
		goto out_spec;
	}
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC)) {
		oci_fail(err, "pipe: %s", strerror(errno));
		goto out_dir;
	}
	/* Above the fds a --preserve-fds container gets. */
	int ready = fcntl(pipefd[1], F_DUPFD_CLOEXEC, 3 + (o->preserve_fds > 0 ? o->preserve_fds : 0));
	close(pipefd[1]);
	fflush(NULL);
	pid_t pid = ready < 0 ? -1 : fork();
	if (pid < 0) {
		oci_fail(err, "fork: %s", strerror(errno));
		close(pipefd[0]);
		if (ready >= 0)
			close(ready);
		goto out_dir;
	}
	if (pid == 0) {
		close(pipefd[0]);
		struct daemon_args a = { g, o, &spec, st->dir, use_pty, ready };
		run_daemon(&a);
	}
	close(ready);
	char msg[2048];
	size_t got = 0;
	for (;;) {
		ssize_t n = read(pipefd[0], msg + got, sizeof(msg) - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == sizeof(msg) - 1)
			break;
	}
	close(pipefd[0]);
	msg[got] = 0;
	if (got != 1 || msg[0] != 'K') {
		int status;
		waitpid(pid, &status, 0);
		oci_fail(err, "%s", got ? msg : "the sandbox exited while starting (see its log)");
		goto out_dir;
	}
	st->pid = pid;
	st->pid_start = oci_pid_start(pid);
	now_rfc3339(st->created, sizeof(st->created));
	st->annotations = spec.annotations ? json_incref(spec.annotations) : NULL;
	st->hooks = json_is_object(spec.hooks_json) ? json_incref(spec.hooks_json) : NULL;
	st->status = OCI_CREATED;
	if (oci_state_save(st, err))
		goto out_kill;
	json_t *sj = oci_state_json(st);
	int hr = oci_hooks_run(&spec.hooks[OCI_HOOK_PRESTART], "prestart", sj, err);
	if (!hr)
		hr = oci_hooks_run(&spec.hooks[OCI_HOOK_CREATE_RUNTIME], "createRuntime", sj, err);
	json_decref(sj);
	if (hr)
		goto out_kill;
	if (!foreground && write_pid_file(o->pid_file, pid, err))
		goto out_kill;
	rc = 0;
	goto out_spec;
out_kill:
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
out_dir:
	oci_state_remove(st->dir);
	oci_state_free(st);
out_spec:
	oci_spec_free(&spec);
out_bundle:
	free(bundle);
	return rc;
}

int oci_cmd_create(const struct oci_global *g, const struct oci_create_opts *o,
		   struct oci_error *err)
{
	struct oci_state st;
	if (do_create(g, o, false, &st, err))
		return -1;
	oci_log(g, "debug", "created container %s (sentry pid %d)", st.id, st.pid);
	oci_state_free(&st);
	return 0;
}

/* ---- start ---- */

/* The hooks of kind key from a saved hooks object (parsed; the caller frees). */
static int saved_hooks(const struct oci_state *st, struct oci_hook_list lists[OCI_HOOK_KINDS],
		       struct oci_error *err)
{
	return oci_hooks_parse(st->hooks, lists, err);
}

static int start_loaded(struct oci_state *st, struct oci_error *err)
{
	if (st->status == OCI_STOPPED)
		return oci_fail(err, "cannot start a container that has stopped");
	if (st->status == OCI_RUNNING)
		return oci_fail(err, "cannot start an already running container");
	json_t *req = json_pack("{s:s}", "op", "start");
	json_t *rep = oci_control_call(st->dir, req, err);
	json_decref(req);
	if (!rep)
		return -1;
	json_decref(rep);
	st->status = OCI_RUNNING;
	struct oci_hook_list hooks[OCI_HOOK_KINDS];
	if (saved_hooks(st, hooks, err))
		return 0;
	json_t *sj = oci_state_json(st);
	struct oci_error herr;
	/* As runc: a failing poststart hook is reported, the container runs on. */
	int rc = oci_hooks_run(&hooks[OCI_HOOK_POSTSTART], "poststart", sj, &herr);
	if (rc)
		fprintf(stderr, "%s: warning: %s\n", OCI_RUNTIME_NAME, herr.msg);
	json_decref(sj);
	oci_hooks_free(hooks);
	return 0;
}

int oci_cmd_start(const struct oci_global *g, const char *id, struct oci_error *err)
{
	struct oci_state st;
	if (oci_state_load(g, id, &st, err))
		return -1;
	int rc = start_loaded(&st, err);
	oci_state_free(&st);
	return rc;
}

/* ---- state, kill, delete, ps, list ---- */

int oci_cmd_state(const struct oci_global *g, const char *id, struct oci_error *err)
{
	struct oci_state st;
	if (oci_state_load(g, id, &st, err))
		return -1;
	json_t *j = oci_state_json(&st);
	char *s = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(j);
	oci_state_free(&st);
	if (!s)
		return oci_fail(err, "out of memory");
	printf("%s\n", s);
	free(s);
	return 0;
}

static int kill_loaded(const struct oci_state *st, int sig, bool all, struct oci_error *err)
{
	if (st->status == OCI_STOPPED)
		return oci_fail(err, "container not running");
	json_t *req = json_pack("{s:s, s:i, s:b}", "op", "kill", "signal", sig, "all", all);
	json_t *rep = oci_control_call(st->dir, req, err);
	json_decref(req);
	if (rep) {
		json_decref(rep);
		return 0;
	}
	uint64_t start = oci_pid_start(st->pid);
	if (!start || (st->pid_start && start != st->pid_start))
		return 0;      /* the signal ended it before the answer came back */
	if (sig == SIGKILL) {
		/* A daemon that does not answer can still be killed from the host. */
		kill_daemon(st);
		return 0;
	}
	return -1;
}

int oci_cmd_kill(const struct oci_global *g, const char *id, int sig, bool all,
		 struct oci_error *err)
{
	struct oci_state st;
	if (oci_state_load(g, id, &st, err))
		return -1;
	int rc = kill_loaded(&st, sig, all, err);
	oci_state_free(&st);
	return rc;
}

static void destroy_loaded(const struct oci_state *st)
{
	kill_daemon(st);
	struct oci_hook_list hooks[OCI_HOOK_KINDS];
	struct oci_error herr;
	if (!saved_hooks(st, hooks, &herr)) {
		struct oci_state copy = *st;
		copy.status = OCI_STOPPED;
		json_t *sj = oci_state_json(&copy);
		/* As runc: poststop failures are warnings; the container is gone either way. */
		if (oci_hooks_run(&hooks[OCI_HOOK_POSTSTOP], "poststop", sj, &herr))
			fprintf(stderr, "%s: warning: %s\n", OCI_RUNTIME_NAME, herr.msg);
		json_decref(sj);
		oci_hooks_free(hooks);
	}
	oci_state_remove(st->dir);
}

int oci_cmd_delete(const struct oci_global *g, const char *id, bool force, struct oci_error *err)
{
	struct oci_state st;
	if (oci_state_load(g, id, &st, err)) {
		/*
		 * runc: deleting what is not there succeeds with --force. A
		 * directory without state.json is a create that died half-way:
		 * --force removes what it left.
		 */
		if (force && oci_valid_id(id)) {
			char dir[PATH_MAX];
			snprintf(dir, sizeof(dir), "%s/%s", g->root, id);
			oci_state_remove(dir);
			return 0;
		}
		return -1;
	}
	int rc = 0;
	if ((st.status == OCI_RUNNING || st.status == OCI_CREATING) && !force)
		rc = oci_fail(err, "cannot delete container %s that is not stopped: %s", id,
			      oci_status_name(st.status));
	else
		destroy_loaded(&st);
	oci_state_free(&st);
	return rc;
}

static json_t *ps_pids(const struct oci_state *st, struct oci_error *err)
{
	json_t *req = json_pack("{s:s}", "op", "ps");
	json_t *rep = oci_control_call(st->dir, req, err);
	json_decref(req);
	json_t *pids = rep ? json_object_get(rep, "pids") : NULL;
	if (pids)
		json_incref(pids);
	json_decref(rep);
	return pids;
}

int oci_cmd_ps(const struct oci_global *g, const char *id, bool json, struct oci_error *err)
{
	struct oci_state st;
	if (oci_state_load(g, id, &st, err))
		return -1;
	json_t *pids = st.status == OCI_STOPPED ? json_array() : ps_pids(&st, err);
	oci_state_free(&st);
	if (!pids)
		return -1;
	size_t i;
	json_t *v;
	if (json) {
		/* Integers, as runc prints them (the control reply decodes them as reals). */
		printf("[");
		json_array_foreach(pids, i, v)
			printf("%s%d", i ? "," : "", (int)json_number_value(v));
		printf("]\n");
	} else {
		printf("PID\n");
		json_array_foreach(pids, i, v)
			printf("%d\n", (int)json_number_value(v));
	}
	json_decref(pids);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int oci_cmd_list(const struct oci_global *g, bool json, bool quiet, struct oci_error *err)
{
	DIR *d = opendir(g->root);
	char **ids = NULL;
	size_t n = 0;
	if (d) {
		struct dirent *e;
		while ((e = readdir(d))) {
			if (!oci_valid_id(e->d_name))
				continue;
			char **p = realloc(ids, (n + 1) * sizeof(char *));
			if (!p)
				break;
			ids = p;
			ids[n++] = strdup(e->d_name);
		}
		closedir(d);
	}
	if (n)
		qsort(ids, n, sizeof(char *), cmp_str);
	json_t *arr = json ? json_array() : NULL;
	if (!json && !quiet)
		printf("%-12s %-10s %-10s %-40s %-32s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED",
		       "OWNER");
	for (size_t i = 0; i < n; i++) {
		struct oci_state st;
		struct oci_error e2;
		if (!ids[i] || oci_state_load(g, ids[i], &st, &e2)) {
			free(ids[i]);
			continue;
		}
		/* The owner by uid (no NSS lookups in a static binary): root, or the number. */
		struct stat sb;
		char owner[32] = "root";
		if (stat(st.dir, &sb) == 0 && sb.st_uid != 0)
			snprintf(owner, sizeof(owner), "%u", sb.st_uid);
		int pid = st.status == OCI_STOPPED ? 0 : st.pid;
		if (quiet) {
			printf("%s\n", st.id);
		} else if (json) {
			json_t *o = oci_state_json(&st);
			json_object_set_new(o, "rootfs", json_string(""));
			json_object_set_new(o, "owner", json_string(owner));
			json_array_append_new(arr, o);
		} else {
			printf("%-12s %-10d %-10s %-40s %-32s %s\n", st.id, pid,
			       oci_status_name(st.status), st.bundle, st.created, owner);
		}
		oci_state_free(&st);
		free(ids[i]);
	}
	free(ids);
	if (json) {
		char *s = json_dumps(arr, JSON_COMPACT | JSON_PRESERVE_ORDER);
		printf("%s\n", s ? s : "[]");
		free(s);
		json_decref(arr);
	}
	(void)err;
	return 0;
}

/* ---- features, spec ---- */

int oci_cmd_features(struct oci_error *err)
{
	static const char features[] =
		"{\"ociVersionMin\":\"1.0.0\",\"ociVersionMax\":\"" OCI_SPEC_VERSION "\","
		"\"hooks\":[\"prestart\",\"createRuntime\",\"poststart\",\"poststop\"],"
		"\"mountOptions\":[\"async\",\"atime\",\"bind\",\"dev\",\"diratime\",\"dirsync\","
		"\"exec\",\"lazytime\",\"loud\",\"mand\",\"noatime\",\"nodev\",\"nodiratime\","
		"\"noexec\",\"nolazytime\",\"nomand\",\"norelatime\",\"nostrictatime\",\"nosuid\","
		"\"private\",\"rbind\",\"relatime\",\"remount\",\"ro\",\"rprivate\",\"rshared\","
		"\"rslave\",\"runbindable\",\"rw\",\"shared\",\"silent\",\"slave\",\"strictatime\","
		"\"suid\",\"sync\",\"tmpcopyup\",\"unbindable\"],"
		"\"linux\":{\"namespaces\":[\"cgroup\",\"ipc\",\"mount\",\"network\",\"pid\","
		"\"user\",\"uts\"],"
		"\"capabilities\":[\"CAP_CHOWN\",\"CAP_DAC_OVERRIDE\",\"CAP_DAC_READ_SEARCH\","
		"\"CAP_FOWNER\",\"CAP_FSETID\",\"CAP_KILL\",\"CAP_SETGID\",\"CAP_SETUID\","
		"\"CAP_SETPCAP\",\"CAP_NET_BIND_SERVICE\",\"CAP_NET_RAW\",\"CAP_SYS_CHROOT\","
		"\"CAP_SYS_ADMIN\",\"CAP_MKNOD\",\"CAP_AUDIT_WRITE\",\"CAP_SETFCAP\"],"
		"\"cgroup\":{\"v1\":false,\"v2\":false,\"systemd\":false,\"systemdUser\":false},"
		"\"apparmor\":{\"enabled\":false},"
		"\"selinux\":{\"enabled\":false}},"
		"\"annotations\":{\"io.github.sandbox.runtime\":\"sentry\","
		"\"org.opencontainers.runc.version\":\"" OCI_VERSION "\"}}";
	json_t *j = json_loads(features, 0, NULL);
	json_t *sc = oci_seccomp_features();
	if (j && sc)
		json_object_set(json_object_get(j, "linux"), "seccomp", sc);
	json_decref(sc);
	char *s = j && sc ? json_dumps(j, JSON_INDENT(4) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(j);
	if (!s)
		return oci_fail(err, "out of memory");
	printf("%s\n", s);
	free(s);
	return 0;
}

int oci_cmd_spec(const char *bundle, bool rootless, struct oci_error *err)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/config.json", bundle ? bundle : ".");
	if (access(path, F_OK) == 0)
		return oci_fail(err, "File %s exists. Remove it first", bundle ? path : "config.json");
	json_t *j = oci_spec_default(rootless);
	if (!j)
		return oci_fail(err, "out of memory");
	int rc = json_dump_file(j, path, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
	json_decref(j);
	if (rc)
		return oci_fail(err, "%s: %s", path, strerror(errno));
	return 0;
}

/* ---- run ---- */

int oci_cmd_run(const struct oci_global *g, const struct oci_create_opts *o, int *status,
		struct oci_error *err)
{
	*status = 0;
	/* Signals we forward are blocked from now: none is lost between fork and the loop. */
	sigset_t fwd, old;
	sigfillset(&fwd);
	sigdelset(&fwd, SIGKILL);
	sigdelset(&fwd, SIGSTOP);
	sigdelset(&fwd, SIGSEGV);
	sigdelset(&fwd, SIGBUS);
	sigdelset(&fwd, SIGFPE);
	sigdelset(&fwd, SIGILL);
	if (!o->detach)
		sigprocmask(SIG_BLOCK, &fwd, &old);
	struct oci_state st;
	if (do_create(g, o, !o->detach, &st, err)) {
		if (!o->detach)
			sigprocmask(SIG_SETMASK, &old, NULL);
		return -1;
	}
	if (start_loaded(&st, err)) {
		destroy_loaded(&st);
		oci_state_free(&st);
		return -1;
	}
	if (o->detach) {
		oci_state_free(&st);
		return 0;
	}
	if (write_pid_file(o->pid_file, st.pid, err)) {
		destroy_loaded(&st);
		oci_state_free(&st);
		return -1;
	}
	/* Foreground: forward signals to the container's init until it ends. */
	int sfd = signalfd(-1, &fwd, SFD_CLOEXEC);
	for (;;) {
		int ws;
		pid_t r = waitpid(st.pid, &ws, WNOHANG);
		if (r == st.pid) {
			*status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
			break;
		}
		if (r < 0 && errno != EINTR)
			break;
		struct pollfd p = { sfd, POLLIN, 0 };
		if (sfd < 0 || poll(&p, 1, 100) <= 0)
			continue;
		struct signalfd_siginfo si;
		if (read(sfd, &si, sizeof(si)) != sizeof(si))
			continue;
		if (si.ssi_signo == SIGCHLD || si.ssi_signo == SIGWINCH || si.ssi_signo == SIGPIPE)
			continue;
		struct oci_error kerr;
		kill_loaded(&st, (int)si.ssi_signo, false, &kerr);
	}
	if (sfd >= 0)
		close(sfd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	st.status = OCI_STOPPED;
	if (!o->keep)
		destroy_loaded(&st);
	oci_state_free(&st);
	return 0;
}

/* ---- exec ---- */

/* The process to exec: --process FILE, or the container's own with the command line's changes. */
static json_t *exec_process_json(const struct oci_state *st, const struct oci_exec_opts *o,
				 struct oci_error *err)
{
	json_t *proc;
	if (o->process_file) {
		json_error_t je;
		proc = json_load_file(o->process_file, JSON_DECODE_INT_AS_REAL, &je);
		if (!proc) {
			oci_fail(err, "--process %s: %s", o->process_file, je.text);
			return NULL;
		}
	} else {
		if (!o->args || !o->args[0]) {
			oci_fail(err, "exec: no command given (use --process FILE or ID COMMAND...)");
			return NULL;
		}
		struct oci_spec spec;
		json_t *base = NULL;
		if (!oci_spec_load(st->bundle, &spec, err)) {
			base = json_object_get(spec.json, "process");
			base = base ? json_deep_copy(base) : NULL;
			oci_spec_free(&spec);
		}
		proc = base ? base : json_pack("{s:s}", "cwd", "/");
		if (!proc) {
			oci_fail(err, "out of memory");
			return NULL;
		}
		json_t *args = json_array();
		for (char **a = o->args; *a; a++)
			json_array_append_new(args, json_string(*a));
		json_object_set_new(proc, "args", args);
		json_object_set_new(proc, "terminal", json_boolean(o->tty));
		if (o->cwd)
			json_object_set_new(proc, "cwd", json_string(o->cwd));
		if (o->env) {
			json_t *env = json_object_get(proc, "env");
			if (!json_is_array(env)) {
				env = json_array();
				json_object_set_new(proc, "env", env);
			}
			for (const char **e = o->env; *e; e++)
				json_array_append_new(env, json_string(*e));
		}
		if (o->user) {
			unsigned long uid, gid = 0;
			char *end;
			uid = strtoul(o->user, &end, 10);
			if (end == o->user || (*end && *end != ':') ||
			    (*end == ':' && (gid = strtoul(end + 1, &end, 10), *end))) {
				oci_fail(err, "--user %s: expected UID[:GID]", o->user);
				json_decref(proc);
				return NULL;
			}
			json_object_set_new(proc, "user", json_pack("{s:I, s:I}", "uid", (json_int_t)uid,
								    "gid", (json_int_t)gid));
		}
		if (o->additional_gids) {
			json_t *user = json_object_get(proc, "user");
			json_t *gids = json_array();
			for (const char **x = o->additional_gids; *x; x++)
				json_array_append_new(gids, json_integer(strtoll(*x, NULL, 10)));
			if (json_is_object(user))
				json_object_set_new(user, "additionalGids", gids);
			else
				json_decref(gids);
		}
		if (o->no_new_privs)
			json_object_set_new(proc, "noNewPrivileges", json_true());
		if (o->caps) {
			json_t *caps = json_object_get(proc, "capabilities");
			if (!json_is_object(caps)) {
				caps = json_object();
				json_object_set_new(proc, "capabilities", caps);
			}
			static const char *const sets[] = { "bounding", "effective", "permitted", NULL };
			for (int k = 0; sets[k]; k++) {
				json_t *s = json_object_get(caps, sets[k]);
				if (!json_is_array(s)) {
					s = json_array();
					json_object_set_new(caps, sets[k], s);
				}
				for (const char **c = o->caps; *c; c++)
					json_array_append_new(s, json_string(*c));
			}
		}
	}
	if (o->tty && o->process_file)
		json_object_set_new(proc, "terminal", json_true());
	struct oci_process check;
	if (oci_process_parse(proc, o->process_file ? "--process" : "process", &check, err)) {
		json_decref(proc);
		return NULL;
	}
	oci_process_free(&check);
	return proc;
}

/*
 * Stand for the guest process on the host until it ends: forward our
 * signals to it, exit with its status. Never returns.
 */
static void exec_representative(int conn, bool quiet_stdio)
{
	if (quiet_stdio) {
		int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (devnull >= 0) {
			dup2(devnull, 0);
			dup2(devnull, 1);
			dup2(devnull, 2);
			close(devnull);
		}
	}
	sigset_t all;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	int sfd = signalfd(-1, &all, SFD_CLOEXEC);
	for (;;) {
		struct pollfd p[2] = { { conn, POLLIN, 0 }, { sfd, POLLIN, 0 } };
		if (poll(p, sfd >= 0 ? 2 : 1, -1) < 0)
			continue;
		if (p[0].revents) {
			struct oci_error err;
			json_t *m = oci_control_recv(conn, NULL, 0, &err);
			if (!m)
				_exit(128 + SIGKILL);    /* the sandbox is gone, and the process with it */
			json_t *code = json_object_get(m, "exit");
			if (json_is_number(code))
				_exit((int)json_number_value(code) & 0xff);
			json_decref(m);
		}
		if (sfd >= 0 && (p[1].revents & POLLIN)) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) != sizeof(si))
				continue;
			int sig = (int)si.ssi_signo;
			if (sig == SIGCHLD || sig == SIGPIPE)
				continue;
			struct oci_error err;
			json_t *m = json_pack("{s:s, s:i}", "op", "signal", "signal", sig);
			if (m)
				oci_control_send(conn, m, NULL, 0, &err);
			json_decref(m);
		}
	}
}

int oci_cmd_exec(const struct oci_global *g, const struct oci_exec_opts *o, int *status,
		 struct oci_error *err)
{
	*status = 0;
	struct oci_state st;
	if (oci_state_load(g, o->id, &st, err))
		return -1;
	int rc = -1, conn = -1, master = -1;
	json_t *proc = NULL, *req = NULL, *rep = NULL;
	if (st.status == OCI_STOPPED) {
		oci_fail(err, "cannot exec in a stopped container");
		goto out;
	}
	if (st.status != OCI_RUNNING) {
		oci_fail(err, "cannot exec in a container that is %s", oci_status_name(st.status));
		goto out;
	}
	proc = exec_process_json(&st, o, err);
	if (!proc)
		goto out;
	bool terminal = json_is_true(json_object_get(proc, "terminal"));
	if (terminal && !o->console_socket) {
		if (o->detach) {
			oci_fail(err, "cannot allocate tty if runc will detach without setting console "
				      "socket");
			goto out;
		}
		/* Interactive use from a shell: the process gets our stdio as they are. */
		json_object_set_new(proc, "terminal", json_false());
		terminal = false;
	}
	if (!terminal && o->console_socket) {
		oci_fail(err, "cannot use console socket if runc will not detach or allocate tty");
		goto out;
	}
	int npreserve = o->preserve_fds > 0 ? o->preserve_fds : 0;
	int fds[64], nfds = 0;
	if (!terminal)
		for (int i = 0; i < 3; i++)
			fds[nfds++] = fcntl(i, F_GETFD) < 0 ? open("/dev/null", O_RDWR | O_CLOEXEC) : i;
	for (int i = 0; i < npreserve && nfds < 64; i++)
		fds[nfds++] = 3 + i;
	conn = oci_control_connect(st.dir, err);
	if (conn < 0)
		goto out;
	req = json_pack("{s:s, s:O}", "op", "exec", "process", proc);
	if (!req || oci_control_send(conn, req, fds, nfds, err))
		goto out;
	rep = oci_control_recv(conn, &master, 60000, err);
	if (!rep)
		goto out;
	const char *e = json_string_value(json_object_get(rep, "error"));
	if (e) {
		oci_fail(err, "exec failed: %s", e);
		goto out;
	}
	if (terminal) {
		if (master < 0) {
			oci_fail(err, "the sandbox sent no terminal");
			goto out;
		}
		if (oci_send_console(o->console_socket, master, "/dev/pts/1", err))
			goto out;
		close(master);
		master = -1;
	}
	oci_log(g, "debug", "exec in %s: guest pid %d", st.id,
		(int)json_number_value(json_object_get(rep, "pid")));
	if (o->detach) {
		fflush(NULL);
		pid_t child = fork();
		if (child < 0) {
			oci_fail(err, "fork: %s", strerror(errno));
			goto out;
		}
		if (child == 0)
			exec_representative(conn, true);
		if (write_pid_file(o->pid_file, child, err)) {
			kill(child, SIGKILL);
			goto out;
		}
		rc = 0;
		goto out;
	}
	if (write_pid_file(o->pid_file, getpid(), err))
		goto out;
	fflush(NULL);
	/* We stand for the process ourselves: this exits with its status. */
	exec_representative(conn, false);
	rc = 0;
out:
	if (master >= 0)
		close(master);
	if (conn >= 0)
		close(conn);
	json_decref(rep);
	json_decref(req);
	json_decref(proc);
	oci_state_free(&st);
	return rc;
}
