/*
 * The control socket: how runtime commands reach a container's sentry
 * daemon. ROOT/ID/control.sock is a SOCK_SEQPACKET unix socket (one JSON
 * object per message, fds alongside with SCM_RIGHTS) in a 0700 directory,
 * so only the host user that made the container can talk to it.
 *
 *   {"op":"state"}                       -> {"status":"created"|"running"}
 *   {"op":"start"}                       -> {} (init runs)
 *   {"op":"kill","signal":N,"all":B}     -> {}
 *   {"op":"ps"}                          -> {"pids":[1,...]}
 *   {"op":"exec","process":{...}} + fds  -> {"pid":N} (+ the pty master), later {"exit":CODE}
 *       then, on the same connection:  {"op":"signal","signal":N} (no reply)
 *
 * Errors come back as {"error":"message"}. An exec connection is the
 * process's lifeline: when the client goes away before the process has
 * ended, the process is killed (the client is the host process that
 * stands for it; see oci_cmd_exec).
 *
 * Each connection is served by its own thread; each exec session has a
 * second thread waiting for the process's end.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "oci/oci.h"

#define MSG_MAX (1 << 20)      /* largest message (an exec's process with its env) */
#define MAX_FDS 64

/* The container's seccomp filter, for exec'd processes (set once, before serving). */
static const struct sandbox_seccomp *container_seccomp;

static int sock_addr(const char *path, struct sockaddr_un *sa, struct oci_error *err)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return oci_fail(err, "%s: socket path too long (%zu bytes at most)", path,
				sizeof(sa->sun_path) - 1);
	strcpy(sa->sun_path, path);
	return 0;
}

int oci_control_listen(const char *dir, struct oci_error *err)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/control.sock", dir);
	struct sockaddr_un sa;
	if (sock_addr(path, &sa, err))
		return -1;
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return oci_fail(err, "control socket: %s", strerror(errno));
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || chmod(path, 0600) || listen(fd, 64)) {
		int e = errno;
		close(fd);
		return oci_fail(err, "%s: %s", path, strerror(e));
	}
	return fd;
}

int oci_control_connect(const char *dir, struct oci_error *err)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/control.sock", dir);
	struct sockaddr_un sa;
	if (sock_addr(path, &sa, err))
		return -1;
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return oci_fail(err, "socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int e = errno;
		close(fd);
		if (e == ENOENT || e == ECONNREFUSED)
			return oci_fail(err, "container not running");
		return oci_fail(err, "%s: %s", path, strerror(e));
	}
	int sz = MSG_MAX + 4096;
	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz));
	return fd;
}

int oci_control_send(int fd, json_t *msg, const int *fds, int nfds, struct oci_error *err)
{
	char *text = json_dumps(msg, JSON_COMPACT);
	if (!text)
		return oci_fail(err, "out of memory");
	size_t len = strlen(text);
	if (len > MSG_MAX) {
		free(text);
		return oci_fail(err, "control message too large (%zu bytes)", len);
	}
	struct iovec iov = { text, len };
	union {
		char buf[CMSG_SPACE(MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (nfds > 0) {
		if (nfds > MAX_FDS) {
			free(text);
			return oci_fail(err, "too many fds to pass (%d)", nfds);
		}
		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
	}
	ssize_t n;
	do
		n = sendmsg(fd, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	free(text);
	if (n < 0)
		return oci_fail(err, "control socket: %s", strerror(errno));
	return 0;
}

/* Receive one message and its fds (at most max_fds kept, CLOEXEC); NULL on EOF/error. */
static json_t *recv_msg(int fd, int *fds, int max_fds, int *nfds, int timeout_ms,
			struct oci_error *err)
{
	*nfds = 0;
	if (timeout_ms >= 0) {
		struct pollfd p = { fd, POLLIN, 0 };
		int r;
		do
			r = poll(&p, 1, timeout_ms);
		while (r < 0 && errno == EINTR);
		if (r == 0) {
			oci_fail(err, "the sandbox did not answer in %d ms", timeout_ms);
			return NULL;
		}
	}
	char *buf = malloc(MSG_MAX + 1);
	if (!buf) {
		oci_fail(err, "out of memory");
		return NULL;
	}
	union {
		char b[CMSG_SPACE(MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { buf, MSG_MAX };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b,
			     .msg_controllen = sizeof(u.b) };
	ssize_t n;
	do
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	for (struct cmsghdr *c = n >= 0 ? CMSG_FIRSTHDR(&mh) : NULL; c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		int cnt = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		int *in = (int *)CMSG_DATA(c);
		for (int i = 0; i < cnt; i++) {
			if (*nfds < max_fds)
				fds[(*nfds)++] = in[i];
			else
				close(in[i]);
		}
	}
	if (n <= 0 || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		for (int i = 0; i < *nfds; i++)
			close(fds[i]);
		*nfds = 0;
		free(buf);
		oci_fail(err, n < 0 ? "control socket: %s" : n == 0 ? "the sandbox went away%s"
				     : "control message truncated%s", n < 0 ? strerror(errno) : "");
		return NULL;
	}
	buf[n] = 0;
	json_error_t je;
	json_t *j = json_loadb(buf, (size_t)n, JSON_DECODE_INT_AS_REAL, &je);
	free(buf);
	if (!json_is_object(j)) {
		json_decref(j);
		for (int i = 0; i < *nfds; i++)
			close(fds[i]);
		*nfds = 0;
		oci_fail(err, "malformed control message");
		return NULL;
	}
	return j;
}

json_t *oci_control_recv(int fd, int *passed_fd, int timeout_ms, struct oci_error *err)
{
	int fds[MAX_FDS], n;
	json_t *j = recv_msg(fd, fds, MAX_FDS, &n, timeout_ms, err);
	if (passed_fd)
		*passed_fd = n > 0 ? fds[0] : -1;
	for (int i = passed_fd ? 1 : 0; i < n; i++)
		close(fds[i]);
	return j;
}

json_t *oci_control_call(const char *dir, json_t *req, struct oci_error *err)
{
	int fd = oci_control_connect(dir, err);
	if (fd < 0)
		return NULL;
	json_t *rep = NULL;
	if (!oci_control_send(fd, req, NULL, 0, err))
		rep = oci_control_recv(fd, NULL, 10000, err);
	close(fd);
	const char *e = rep ? json_string_value(json_object_get(rep, "error")) : NULL;
	if (e) {
		oci_fail(err, "%s", e);
		json_decref(rep);
		return NULL;
	}
	return rep;
}

int oci_send_console(const char *socket_path, int master, const char *name,
		     struct oci_error *err)
{
	struct sockaddr_un sa;
	if (sock_addr(socket_path, &sa, err))
		return -1;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return oci_fail(err, "console socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int e = errno;
		close(fd);
		return oci_fail(err, "--console-socket %s: %s", socket_path, strerror(e));
	}
	/* As runc: the payload is the pty's name, the master goes alongside. */
	struct iovec iov = { (void *)name, strlen(name) };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	memset(&u, 0, sizeof(u));
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &master, sizeof(int));
	ssize_t n = sendmsg(fd, &mh, MSG_NOSIGNAL);
	int e = errno;
	close(fd);
	return n < 0 ? oci_fail(err, "--console-socket %s: %s", socket_path, strerror(e)) : 0;
}

/* ---- the daemon's side ---- */

static void reply_error(int fd, const char *msg)
{
	struct oci_error err;
	json_t *j = json_pack("{s:s}", "error", msg);
	if (j)
		oci_control_send(fd, j, NULL, 0, &err);
	json_decref(j);
}

static void reply_ok(int fd, json_t *j)
{
	struct oci_error err;
	if (!j)
		j = json_object();
	if (j)
		oci_control_send(fd, j, NULL, 0, &err);
	json_decref(j);
}

static void serve_kill(int fd, json_t *req)
{
	json_t *s = json_object_get(req, "signal");
	double d = json_is_number(s) ? json_number_value(s) : -1;
	if (!(d >= 0 && d <= 64) || d != (int)d) {
		reply_error(fd, "invalid signal");
		return;
	}
	if (!sandbox_init_started()) {
		/*
		 * A created container's init has not run: runc delivers the
		 * signal to its waiting init, which dies of it. Do the same by
		 * ending the sandbox for any fatal signal.
		 */
		int sig = (int)d;
		bool harmless = sig == 0 || sig == SIGCHLD || sig == SIGCONT || sig == SIGURG ||
				sig == SIGWINCH || sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN ||
				sig == SIGTTOU;
		reply_ok(fd, NULL);
		if (!harmless)
			_exit(128 + sig);
		return;
	}
	int rc = sandbox_signal(0, (int)d, json_is_true(json_object_get(req, "all")));
	if (rc == -ESRCH)
		reply_error(fd, "container not running");
	else if (rc)
		reply_error(fd, strerror(-rc));
	else
		reply_ok(fd, NULL);
}

static void serve_ps(int fd)
{
	static int pids[65536];
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	json_t *arr = json_array();
	pthread_mutex_lock(&lock);
	int n = sandbox_list_pids(pids, 65536);
	for (int i = 0; i < n && arr; i++)
		json_array_append_new(arr, json_integer(pids[i]));
	pthread_mutex_unlock(&lock);
	reply_ok(fd, json_pack("{s:o}", "pids", arr));
}

/* An exec session: the process, its connection, and the thread waiting for its end. */
struct exec_session {
	int fd;
	struct sandbox_proc *proc;
	pthread_t waiter;
};

static void *exec_wait(void *arg)
{
	struct exec_session *es = arg;
	int code = sandbox_proc_wait(es->proc);
	reply_ok(es->fd, json_pack("{s:i}", "exit", code));
	return NULL;
}

static void serve_exec(int fd, json_t *req, int *fds, int nfds)
{
	struct oci_error err;
	struct oci_process op;
	if (oci_process_parse(json_object_get(req, "process"), "process", &op, &err)) {
		reply_error(fd, err.msg);
		return;
	}
	struct sandbox_process sp;
	oci_process_to_sandbox(&op, &sp);
	sp.seccomp = container_seccomp;
	int master = -1, slave = -1;
	if (op.terminal) {
		struct winsize ws = { .ws_row = (unsigned short)op.console_height,
				      .ws_col = (unsigned short)op.console_width };
		if (openpty(&master, &slave, NULL, NULL, ws.ws_row ? &ws : NULL)) {
			reply_error(fd, "cannot allocate a terminal");
			oci_process_free(&op);
			return;
		}
		fcntl(master, F_SETFD, FD_CLOEXEC);
		fcntl(slave, F_SETFD, FD_CLOEXEC);
		sp.stdio[0] = sp.stdio[1] = sp.stdio[2] = slave;
		sp.extra_fds = fds;
		sp.nextra_fds = (size_t)nfds;
	} else {
		for (int i = 0; i < 3 && i < nfds; i++)
			sp.stdio[i] = fds[i];
		if (nfds > 3) {
			sp.extra_fds = fds + 3;
			sp.nextra_fds = (size_t)nfds - 3;
		}
	}
	char msg[1024];
	struct exec_session es = { .fd = fd };
	int rc = sandbox_exec(&sp, &es.proc, msg, sizeof(msg));
	oci_process_free(&op);
	if (slave >= 0)
		close(slave);
	if (rc) {
		if (master >= 0)
			close(master);
		reply_error(fd, msg);
		return;
	}
	json_t *rep = json_pack("{s:i}", "pid", sandbox_proc_pid(es.proc));
	if (rep)
		oci_control_send(fd, rep, master >= 0 ? &master : NULL, master >= 0 ? 1 : 0, &err);
	json_decref(rep);
	if (master >= 0)
		close(master);
	if (pthread_create(&es.waiter, NULL, exec_wait, &es)) {
		sandbox_proc_signal(es.proc, SIGKILL);
		reply_ok(fd, json_pack("{s:i}", "exit", sandbox_proc_wait(es.proc)));
		sandbox_proc_put(es.proc);
		return;
	}
	/* Signals from the host process that stands for it, until it goes away. */
	for (;;) {
		int got[MAX_FDS], n;
		json_t *m = recv_msg(fd, got, MAX_FDS, &n, -1, &err);
		for (int i = 0; i < n; i++)
			close(got[i]);
		if (!m)
			break;
		const char *o = json_string_value(json_object_get(m, "op"));
		json_t *s = json_object_get(m, "signal");
		if (o && !strcmp(o, "signal") && json_is_number(s)) {
			double d = json_number_value(s);
			if (d > 0 && d <= 64 && d == (int)d)
				sandbox_proc_signal(es.proc, (int)d);
		}
		json_decref(m);
	}
	/* The client is gone: so is the process (a no-op if it has ended). */
	sandbox_proc_signal(es.proc, SIGKILL);
	pthread_join(es.waiter, NULL);
	sandbox_proc_put(es.proc);
}

static void *serve_conn(void *arg)
{
	int fd = (int)(intptr_t)arg;
	struct oci_error err;
	int fds[MAX_FDS], nfds;
	json_t *req = recv_msg(fd, fds, MAX_FDS, &nfds, 30000, &err);
	const char *op = req ? json_string_value(json_object_get(req, "op")) : NULL;
	if (!req) {
		/* Nothing to answer. */
	} else if (!op) {
		reply_error(fd, "malformed request");
	} else if (!strcmp(op, "state")) {
		reply_ok(fd, json_pack("{s:s}", "status", sandbox_init_started() ? "running" : "created"));
	} else if (!strcmp(op, "start")) {
		int rc = sandbox_start_init();
		if (rc == -EALREADY)
			reply_error(fd, "cannot start an already running container");
		else if (rc)
			reply_error(fd, strerror(-rc));
		else
			reply_ok(fd, NULL);
	} else if (!strcmp(op, "kill")) {
		serve_kill(fd, req);
	} else if (!strcmp(op, "ps")) {
		serve_ps(fd);
	} else if (!strcmp(op, "exec")) {
		if (!sandbox_init_started())
			reply_error(fd, "cannot exec in a container that has not been started");
		else
			serve_exec(fd, req, fds, nfds);
	} else {
		reply_error(fd, "unknown request");
	}
	for (int i = 0; i < nfds; i++)
		close(fds[i]);
	json_decref(req);
	close(fd);
	return NULL;
}

static void *serve_loop(void *arg)
{
	int lfd = (int)(intptr_t)arg;
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE) {
				if (errno == EMFILE || errno == ENFILE)
					usleep(10000);
				continue;
			}
			return NULL;
		}
		pthread_t th;
		pthread_attr_t attr;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&th, &attr, serve_conn, (void *)(intptr_t)fd))
			close(fd);
		pthread_attr_destroy(&attr);
	}
}

int oci_control_serve(int listen_fd, const struct sandbox_seccomp *seccomp)
{
	container_seccomp = seccomp;
	pthread_t th;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	int rc = pthread_create(&th, &attr, serve_loop, (void *)(intptr_t)listen_fd);
	pthread_attr_destroy(&attr);
	return -rc;
}
