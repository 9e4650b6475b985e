/*
 * The sentry's end of the network-stack process (build/sandbox-netstack,
 * net/netstack/): started once by net_configure under --net=sandbox, next
 * to the sentry's own executable, with one end of a SOCK_SEQPACKET control
 * socket as its fd 3. Egress (net/egress.c) asks it for a channel per TCP
 * connection, UDP socket or ping socket; the protocol is
 * net/netstack/proto.h.
 *
 * The process dies with the sentry: PR_SET_PDEATHSIG (SIGKILL) for the
 * thread that started it (the one that boots the sandbox and waits for it)
 * and, whatever happens, the end of file on the control socket, which
 * only the sentry holds (every sentry fd is O_CLOEXEC and the stubs close
 * all of theirs).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "net/net_internal.h"

static int ns_ctl = -1;                /* the control socket (fixed at boot) */

/* dirname(/proc/self/exe)/sandbox-netstack into path. */
static int netstack_path(char *path, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", path, len - 1);
	if (n <= 0)
		return -1;
	path[n] = 0;
	char *slash = strrchr(path, '/');
	if (!slash)
		return -1;
	slash[1] = 0;
	if (strlen(path) + sizeof("sandbox-netstack") > len)
		return -1;
	strcat(path, "sandbox-netstack");
	return 0;
}

int netstack_start(char *err, size_t errlen)
{
	char path[PATH_MAX];
	if (netstack_path(path, sizeof(path))) {
		snprintf(err, errlen, "--net=sandbox: cannot find the sandbox's own executable");
		return -1;
	}
	if (access(path, X_OK)) {
		snprintf(err, errlen, "--net=sandbox needs the network stack %s (built with the sandbox): %s",
			 path, strerror(errno));
		return -1;
	}
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
		snprintf(err, errlen, "--net=sandbox: socketpair: %s", strerror(errno));
		return -1;
	}
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	char ppid[24];
	snprintf(ppid, sizeof(ppid), "%d", (int)getpid());
	char *argv[] = { path, ppid, NULL };
	pid_t pid = fork();
	if (pid == 0) {
		/* Only async-signal-safe calls from here: the sentry has threads. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (devnull >= 0) {
			dup2(devnull, 0);
			dup2(devnull, 1);
		}
		if (sv[1] == NS_CONTROL_FD)
			fcntl(sv[1], F_SETFD, 0);
		else if (dup2(sv[1], NS_CONTROL_FD) < 0)
			_exit(127);
		syscall(SYS_close_range, NS_CONTROL_FD + 1, ~0U, 0);
		execve(path, argv, environ);   /* the host's, e.g. ASAN_OPTIONS */
		_exit(127);
	}
	int e = errno;
	close(sv[1]);
	if (devnull >= 0)
		close(devnull);
	if (pid < 0) {
		close(sv[0]);
		snprintf(err, errlen, "--net=sandbox: cannot start %s: %s", path, strerror(e));
		return -1;
	}
	ns_ctl = sv[0];
	return 0;
}

int netstack_open(enum ns_op op, uint32_t addr, uint16_t port)
{
	if (ns_ctl < 0)
		return -ENETUNREACH;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -ENOBUFS;               /* EMFILE, ENFILE, ENOMEM: out of host resources */
	struct ns_request rq = { .op = op, .addr = htonl(addr), .port = port };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} c;
	memset(&c, 0, sizeof(c));
	struct iovec iov = { &rq, sizeof(rq) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = c.buf, .msg_controllen = sizeof(c.buf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &sv[1], sizeof(int));
	ssize_t n;
	/* Never blocks: callers may hold net_lock; a full queue is ENOBUFS. */
	do
		n = sendmsg(ns_ctl, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	int e = errno;
	close(sv[1]);
	if (n < 0) {
		close(sv[0]);
		return e == EAGAIN ? -ENOBUFS : -ENETUNREACH;    /* EPIPE: the netstack is gone */
	}
	return sv[0];
}
