/* AF_UNIX control messages: SCM_RIGHTS (pipes, files with a shared offset,
 * sockets, across fork, several per message, MSG_CMSG_CLOEXEC, MSG_CTRUNC
 * when the buffer is short, MSG_PEEK duplicates, read(2) drops them, the
 * stream read stops after them, EBADF/EINVAL on bad input) and
 * SCM_CREDENTIALS with SO_PASSCRED (automatic, explicit, EPERM, ESRCH). */
#include "conformance.h"
#include <signal.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

/* Send one data byte and n fds. */
static ssize_t send_fds(int s, const int *fds, int n, const char *data, size_t len)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 300)];
	struct iovec iov = { (void *)data, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (n) {
		memset(cbuf, 0, sizeof cbuf);
		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * n);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * n);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
	}
	return sendmsg(s, &mh, 0);
}

/* Receive into buf; the fds found go to fds (up to max); *nfds their count. */
static ssize_t recv_fds(int s, char *buf, size_t len, int *fds, int max, int *nfds, int flags,
			size_t ctl_space, int *msg_flags)
{
	char cbuf[4096];
	struct iovec iov = { buf, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			     .msg_controllen = ctl_space };
	ssize_t r = recvmsg(s, &mh, flags);
	*nfds = 0;
	if (msg_flags)
		*msg_flags = mh.msg_flags;
	if (r < 0)
		return r;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		int n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (int i = 0; i < n && *nfds < max; i++)
			memcpy(&fds[(*nfds)++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
	}
	return r;
}

static void test_rights(void)
{
	int sv[2], p[2], fds[8], n, mf;
	char buf[64];
	SETUP(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	SETUP(pipe(p));
	/* A pipe's write end travels; writing through the copy reaches the pipe. */
	CHECK_EQ(send_fds(sv[0], &p[1], 1, "w", 1), 1, "rights_send_pipe");
	CHECK_EQ(recv_fds(sv[1], buf, sizeof buf, fds, 8, &n, 0, CMSG_SPACE(sizeof(int)), &mf), 1,
		 "rights_recv_pipe");
	CHECK_EQ(n, 1, "rights_one_fd");
	CHECK(fds[0] != p[1], "rights_new_number");
	CHECK_EQ(fcntl(fds[0], F_GETFD), 0, "rights_no_cloexec");
	CHECK_EQ(write(fds[0], "via", 3), 3, "rights_write_through_copy");
	CHECK_EQ(read(p[0], buf, sizeof buf), 3, "rights_data_arrives");
	close(fds[0]);

	/* MSG_CMSG_CLOEXEC */
	send_fds(sv[0], &p[1], 1, "w", 1);
	recv_fds(sv[1], buf, sizeof buf, fds, 8, &n, MSG_CMSG_CLOEXEC, CMSG_SPACE(sizeof(int)), &mf);
	CHECK_EQ(n, 1, "rights_cloexec_recv");
	CHECK_EQ(fcntl(fds[0], F_GETFD), FD_CLOEXEC, "rights_cloexec_set");
	CHECK(mf & MSG_CMSG_CLOEXEC, "rights_cloexec_in_msg_flags");
	close(fds[0]);

	/* A regular file: the same open file description (shared offset). */
	write_file(T("shared"), "0123456789");
	int f = open(T("shared"), O_RDONLY);
	send_fds(sv[0], &f, 1, "f", 1);
	recv_fds(sv[1], buf, sizeof buf, fds, 8, &n, 0, CMSG_SPACE(sizeof(int)), &mf);
	CHECK_EQ(n, 1, "rights_file_recv");
	lseek(fds[0], 4, SEEK_SET);
	CHECK_EQ(lseek(f, 0, SEEK_CUR), 4, "rights_file_shared_offset");
	close(fds[0]);

	/* Several fds in one message, in order. */
	int three[3] = { p[0], p[1], f };
	CHECK_EQ(send_fds(sv[0], three, 3, "3", 1), 1, "rights_send_three");
	recv_fds(sv[1], buf, sizeof buf, fds, 8, &n, 0, CMSG_SPACE(3 * sizeof(int)), &mf);
	CHECK_EQ(n, 3, "rights_recv_three");
	struct stat a, b;
	fstat(fds[2], &a);
	fstat(f, &b);
	CHECK(a.st_ino == b.st_ino && a.st_dev == b.st_dev, "rights_order_kept");
	for (int i = 0; i < n; i++)
		close(fds[i]);

	/* A short control buffer: what fits is installed, MSG_CTRUNC, the rest dropped. */
	send_fds(sv[0], three, 3, "3", 1);
	CHECK_EQ(recv_fds(sv[1], buf, sizeof buf, fds, 8, &n, 0, CMSG_LEN(sizeof(int)), &mf), 1,
		 "rights_ctrunc_recv");
	CHECK_EQ(n, 1, "rights_ctrunc_one_installed");
	CHECK(mf & MSG_CTRUNC, "rights_ctrunc_flag");
	close(fds[0]);
	send_fds(sv[0], three, 3, "3", 1);
	recv_fds(sv[1], buf, sizeof buf, fds, 8, &n, 0, 0, &mf);
	CHECK(n == 0 && (mf & MSG_CTRUNC), "rights_no_control_buffer_ctrunc");

	/* MSG_PEEK installs duplicates; the real receive installs again. */
	send_fds(sv[0], &p[1], 1, "p", 1);
	recv_fds(sv[1], buf, sizeof buf, fds, 8, &n, MSG_PEEK, CMSG_SPACE(sizeof(int)), &mf);
	CHECK_EQ(n, 1, "rights_peek_installs");
	int peeked = fds[0];
	recv_fds(sv[1], buf, sizeof buf, fds, 8, &n, 0, CMSG_SPACE(sizeof(int)), &mf);
	CHECK(n == 1 && fds[0] != peeked, "rights_recv_after_peek");
	close(peeked);
	close(fds[0]);

	/* The stream read stops after the data that carried fds. */
	send_fds(sv[0], &p[1], 1, "a", 1);
	write(sv[0], "bcd", 3);
	CHECK_EQ(recv_fds(sv[1], buf, sizeof buf, fds, 8, &n, 0, CMSG_SPACE(sizeof(int)), &mf), 1,
		 "rights_read_stops_after_fds");
	close(fds[0]);
	CHECK_EQ(read(sv[1], buf, sizeof buf), 3, "rights_rest_next_read");

	/* read(2) drops passed files: a pipe whose only reader travelled sees EPIPE. */
	int q[2];
	SETUP(pipe(q));
	send_fds(sv[0], &q[0], 1, "r", 1);
	close(q[0]);
	CHECK_EQ(read(sv[1], buf, sizeof buf), 1, "rights_plain_read");
	CHECK_ERR(write(q[1], "x", 1), EPIPE, "rights_plain_read_drops_files");
	close(q[1]);

	/* Errors: a bad fd, too many, a cmsg longer than the buffer. */
	int bad = 999;
	CHECK_ERR(send_fds(sv[0], &bad, 1, "x", 1), EBADF, "rights_ebadf");
	int many[254];
	for (int i = 0; i < 254; i++)
		many[i] = p[0];
	CHECK_ERR(send_fds(sv[0], many, 254, "x", 1), EINVAL, "rights_too_many_einval");
	CHECK_EQ(send_fds(sv[0], many, 253, "x", 1), 1, "rights_253_ok");
	recv_fds(sv[1], buf, sizeof buf, fds, 0, &n, 0, 0, &mf);
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { "x", 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			     .msg_controllen = sizeof cbuf };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = sizeof cbuf + 8;
	CHECK_ERR(sendmsg(sv[0], &mh, 0), EINVAL, "rights_cmsg_len_too_big");
	c->cmsg_len = CMSG_LEN(sizeof(int));
	c->cmsg_type = 77;
	CHECK_ERR(sendmsg(sv[0], &mh, 0), EINVAL, "cmsg_unknown_type_einval");
	c->cmsg_level = 12345;
	CHECK_EQ(sendmsg(sv[0], &mh, 0), 1, "cmsg_other_level_ignored");
	read(sv[1], buf, sizeof buf);
	mh.msg_controllen = 1 << 30;
	CHECK_ERR(sendmsg(sv[0], &mh, 0), ENOBUFS, "cmsg_controllen_enobufs");
	/* Zero bytes of stream data carry no fds (Linux sends nothing). */
	CHECK_EQ(send_fds(sv[0], &p[1], 1, "", 0), 0, "rights_empty_stream_send");

	/* Across processes: a child opens a file and sends it; a socket travels too. */
	int inner[2];
	SETUP(socketpair(AF_UNIX, SOCK_DGRAM, 0, inner));
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open(T("shared"), O_RDONLY);
		lseek(fd, 7, SEEK_SET);
		int two[2] = { fd, inner[1] };
		_exit(send_fds(sv[0], two, 2, "c", 1) == 1 ? 0 : 1);
	}
	check_child_ok(pid, "rights_child_sends");
	recv_fds(sv[1], buf, sizeof buf, fds, 8, &n, 0, CMSG_SPACE(2 * sizeof(int)), &mf);
	CHECK_EQ(n, 2, "rights_from_child");
	CHECK_EQ(lseek(fds[0], 0, SEEK_CUR), 7, "rights_child_file_offset");
	CHECK_EQ(send(fds[1], "sock", 4, 0), 4, "rights_passed_socket_works");
	CHECK_EQ(recv(inner[0], buf, sizeof buf, 0), 4, "rights_passed_socket_data");
	close(fds[0]);
	close(fds[1]);
	close(inner[0]);
	close(inner[1]);

	/* Datagrams carry fds too. */
	SETUP(socketpair(AF_UNIX, SOCK_DGRAM, 0, inner));
	CHECK_EQ(send_fds(inner[0], &p[1], 1, "d", 1), 1, "rights_dgram_send");
	recv_fds(inner[1], buf, sizeof buf, fds, 8, &n, 0, CMSG_SPACE(sizeof(int)), &mf);
	CHECK_EQ(n, 1, "rights_dgram_recv");
	close(fds[0]);
	close(inner[0]);
	close(inner[1]);
	close(p[0]);
	close(p[1]);
	close(f);
	close(sv[0]);
	close(sv[1]);
}

/* Receive one message and its SCM_CREDENTIALS; 1 if found. */
static int recv_creds(int s, struct ucred *uc, char *buf, size_t len, ssize_t *r)
{
	char cbuf[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(16 * sizeof(int))];
	struct iovec iov = { buf, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			     .msg_controllen = sizeof cbuf };
	*r = recvmsg(s, &mh, 0);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); *r >= 0 && c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
			memcpy(uc, CMSG_DATA(c), sizeof *uc);
			return 1;
		}
	}
	return 0;
}

static ssize_t send_creds(int s, pid_t pid, uid_t uid, gid_t gid)
{
	char cbuf[CMSG_SPACE(sizeof(struct ucred))];
	struct iovec iov = { "c", 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			     .msg_controllen = sizeof cbuf };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_CREDENTIALS;
	c->cmsg_len = CMSG_LEN(sizeof(struct ucred));
	struct ucred uc = { pid, uid, gid };
	memcpy(CMSG_DATA(c), &uc, sizeof uc);
	return sendmsg(s, &mh, 0);
}

static void test_credentials(void)
{
	int sv[2], one = 1;
	struct ucred uc;
	char buf[16];
	ssize_t r;
	SETUP(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	CHECK_EQ(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof one), 0, "passcred_set");
	int v;
	socklen_t vl = sizeof v;
	getsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &v, &vl);
	CHECK_EQ(v, 1, "passcred_get");
	send(sv[0], "x", 1, 0);
	CHECK(recv_creds(sv[1], &uc, buf, sizeof buf, &r), "passcred_creds_arrive");
	CHECK(uc.pid == getpid() && uc.uid == getuid() && uc.gid == getgid(), "passcred_values");
	/* Explicit credentials of our own. */
	CHECK_EQ(send_creds(sv[0], getpid(), getuid(), getgid()), 1, "scm_creds_explicit");
	CHECK(recv_creds(sv[1], &uc, buf, sizeof buf, &r) && uc.pid == getpid(), "scm_creds_explicit_recv");
	/* Without SO_PASSCRED nothing is reported. */
	int np[2];
	SETUP(socketpair(AF_UNIX, SOCK_STREAM, 0, np));
	send(np[0], "x", 1, 0);
	CHECK(!recv_creds(np[1], &uc, buf, sizeof buf, &r), "no_passcred_no_creds");
	CHECK_ERR(send_creds(np[0], getpid(), (uid_t)-1, getgid()), EINVAL, "scm_creds_invalid_uid");
	close(np[0]);
	close(np[1]);
	/* A pid that does not exist (root may name others): ESRCH. */
	if (geteuid() == 0)
		CHECK_ERR(send_creds(sv[0], 999999, 0, 0), ESRCH, "scm_creds_esrch");
	else
		conf_ok("scm_creds_esrch");
	/* An unprivileged process may not claim another pid or uid. */
	pid_t pid = fork();
	if (pid == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(3);
		if (send_creds(sv[0], getppid(), 65534, 65534) != -1 || errno != EPERM)
			_exit(1);
		if (send_creds(sv[0], getpid(), 0, 65534) != -1 || errno != EPERM)
			_exit(2);
		if (send_creds(sv[0], getpid(), 65534, 65534) != 1)
			_exit(4);
		_exit(0);
	}
	check_child_ok(pid, "scm_creds_eperm_unprivileged");
	CHECK(recv_creds(sv[1], &uc, buf, sizeof buf, &r) && uc.pid == pid && uc.uid == 65534,
	      "scm_creds_child_values");

	/* Stream reads never glue data of different writers when SO_PASSCRED is on. */
	int ss[2];
	SETUP(socketpair(AF_UNIX, SOCK_STREAM, 0, ss));
	setsockopt(ss[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
	write(ss[0], "par", 3);
	pid = fork();
	if (pid == 0)
		_exit(write(ss[0], "kid", 3) == 3 ? 0 : 1);
	check_child_ok(pid, "passcred_stream_child");
	CHECK(recv_creds(ss[1], &uc, buf, sizeof buf, &r) && r == 3 && uc.pid == getpid(),
	      "passcred_stream_first_writer");
	CHECK(recv_creds(ss[1], &uc, buf, sizeof buf, &r) && r == 3 && uc.pid == pid,
	      "passcred_stream_second_writer");
	close(ss[0]);
	close(ss[1]);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_rights();
	test_credentials();
	return conf_exit();
}
