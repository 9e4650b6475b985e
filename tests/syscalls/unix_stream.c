/* AF_UNIX SOCK_STREAM and SOCK_SEQPACKET: socketpair, bind/listen/connect/
 * accept on paths and in the abstract namespace, autobind, backlog, names,
 * half-close and close (EOF, EPIPE/SIGPIPE, ECONNRESET), poll/epoll masks,
 * MSG_PEEK/DONTWAIT/WAITALL/NOSIGNAL, SO_RCVTIMEO, signals (EINTR and
 * SA_RESTART), FIONREAD/SIOCOUTQ, SO_PEERCRED, large transfers across fork. */
#include "conformance.h"
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <linux/sockios.h>
#include <time.h>

static int sigpipes;
static void on_sigpipe(int s)
{
	sigpipes++;
}

static void on_alarm(int s)
{
}

/* SIGALRM in ms milliseconds, handler with or without SA_RESTART. */
static void alarm_ms(int ms, int restart)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = { { 0, 0 }, { 0, ms * 1000 } };
	setitimer(ITIMER_REAL, &it, NULL);
}

static short pollmask(int fd)
{
	struct pollfd p = { fd, POLLIN | POLLOUT | POLLRDHUP | POLLPRI, 0 };
	poll(&p, 1, 0);
	return p.revents;
}

static socklen_t mkaddr(struct sockaddr_un *a, const char *path)
{
	memset(a, 0, sizeof *a);
	a->sun_family = AF_UNIX;
	strcpy(a->sun_path, path);
	return offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1;
}

/* An abstract name: "\0" + name, length without a terminator. */
static socklen_t mkabstract(struct sockaddr_un *a, const char *name)
{
	memset(a, 0, sizeof *a);
	a->sun_family = AF_UNIX;
	memcpy(a->sun_path + 1, name, strlen(name));
	return offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name);
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

static int listener(const char *path, int type, int backlog)
{
	struct sockaddr_un a;
	socklen_t len = mkaddr(&a, path);
	int s = socket(AF_UNIX, type, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&a, len) || listen(s, backlog))
		return -1;
	return s;
}

static int connect_to(const char *path, int type)
{
	struct sockaddr_un a;
	socklen_t len = mkaddr(&a, path);
	int s = socket(AF_UNIX, type, 0);
	if (s < 0)
		return -1;
	if (connect(s, (struct sockaddr *)&a, len)) {
		int e = errno;
		close(s);
		errno = e;
		return -1;
	}
	return s;
}

static void test_socketpair(void)
{
	int sv[2];
	char buf[64];
	SETUP(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	CHECK_EQ(write(sv[0], "ping", 4), 4, "pair_write");
	CHECK_EQ(read(sv[1], buf, sizeof buf), 4, "pair_read");
	CHECK(memcmp(buf, "ping", 4) == 0, "pair_data");
	CHECK_EQ(send(sv[1], "pong!", 5, 0), 5, "pair_send_back");
	CHECK_EQ(recv(sv[0], buf, sizeof buf, 0), 5, "pair_recv_back");
	CHECK_EQ(fcntl(sv[0], F_GETFL) & O_ACCMODE, O_RDWR, "pair_rdwr");
	CHECK_EQ(fcntl(sv[0], F_GETFD), 0, "pair_no_cloexec");
	struct stat st;
	CHECK_EQ(fstat(sv[0], &st), 0, "pair_fstat");
	CHECK(S_ISSOCK(st.st_mode), "pair_fstat_is_sock");
	CHECK_EQ(st.st_mode & 0777, 0777, "pair_fstat_mode");
	char link[64], lpath[64];
	snprintf(lpath, sizeof lpath, "/proc/self/fd/%d", sv[0]);
	ssize_t n = readlink(lpath, link, sizeof link - 1);
	link[n > 0 ? n : 0] = 0;
	CHECK(strncmp(link, "socket:[", 8) == 0, "pair_proc_fd_link");
	CHECK_ERR(open(lpath, O_RDWR), ENXIO, "pair_reopen_enxio");
	CHECK_ERR(lseek(sv[0], 0, SEEK_SET), ESPIPE, "pair_lseek_espipe");
	CHECK_ERR(pread(sv[0], buf, 1, 0), ESPIPE, "pair_pread_espipe");
	CHECK_EQ(read(sv[0], buf, 0), 0, "pair_read_zero");

	/* Non-blocking reads. */
	CHECK_ERR(recv(sv[0], buf, 1, MSG_DONTWAIT), EAGAIN, "pair_dontwait_eagain");
	CHECK_EQ(pollmask(sv[0]), POLLOUT, "pair_poll_idle");
	write(sv[1], "ab", 2);
	CHECK_EQ(pollmask(sv[0]), POLLIN | POLLOUT, "pair_poll_readable");
	int q = -1;
	CHECK_EQ(ioctl(sv[0], FIONREAD, &q), 0, "pair_fionread");
	CHECK_EQ(q, 2, "pair_fionread_value");
	CHECK_EQ(ioctl(sv[1], SIOCOUTQ, &q), 0, "pair_siocoutq");
	CHECK(q > 0, "pair_siocoutq_pending");
	CHECK_EQ(recv(sv[0], buf, 1, MSG_PEEK), 1, "pair_peek");
	CHECK_EQ(buf[0], 'a', "pair_peek_data");
	CHECK_EQ(read(sv[0], buf, 10), 2, "pair_read_after_peek");
	CHECK_EQ(ioctl(sv[1], SIOCOUTQ, &q), 0, "pair_siocoutq2");
	CHECK_EQ(q, 0, "pair_siocoutq_drained");

	/* Writes merge in a stream; MSG_PEEK spans them. */
	write(sv[1], "abc", 3);
	write(sv[1], "def", 3);
	CHECK_EQ(recv(sv[0], buf, sizeof buf, MSG_PEEK), 6, "stream_peek_spans");
	CHECK_EQ(read(sv[0], buf, sizeof buf), 6, "stream_writes_merge");
	CHECK(memcmp(buf, "abcdef", 6) == 0, "stream_merge_data");

	/* SO_PEERCRED on a pair: our own credentials. */
	struct ucred uc;
	socklen_t ul = sizeof uc;
	CHECK_EQ(getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &uc, &ul), 0, "pair_peercred");
	CHECK(uc.pid == getpid() && uc.uid == geteuid() && uc.gid == getegid(),
	      "pair_peercred_values");
	int v;
	socklen_t vl = sizeof v;
	getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, &vl);
	CHECK_EQ(v, SOCK_STREAM, "pair_so_type");
	getsockopt(sv[0], SOL_SOCKET, SO_DOMAIN, &v, &vl);
	CHECK_EQ(v, AF_UNIX, "pair_so_domain");
	getsockopt(sv[0], SOL_SOCKET, SO_PROTOCOL, &v, &vl);
	CHECK_EQ(v, 0, "pair_so_protocol");
	getsockopt(sv[0], SOL_SOCKET, SO_ACCEPTCONN, &v, &vl);
	CHECK_EQ(v, 0, "pair_so_acceptconn");
	struct sockaddr_un a;
	socklen_t al = sizeof a;
	CHECK_EQ(getsockname(sv[0], (struct sockaddr *)&a, &al), 0, "pair_getsockname");
	CHECK_EQ(al, sizeof(sa_family_t), "pair_getsockname_len");
	al = sizeof a;
	CHECK_EQ(getpeername(sv[0], (struct sockaddr *)&a, &al), 0, "pair_getpeername");
	CHECK_EQ(al, sizeof(sa_family_t), "pair_getpeername_len");
	close(sv[0]);
	close(sv[1]);

	SETUP(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv));
	CHECK_EQ(fcntl(sv[0], F_GETFD), FD_CLOEXEC, "pair_cloexec");
	CHECK(fcntl(sv[1], F_GETFL) & O_NONBLOCK, "pair_nonblock");
	CHECK_ERR(read(sv[0], buf, 1), EAGAIN, "pair_nonblock_eagain");
	/* Fill the stream: a non-blocking writer stops with EAGAIN, then not writable. */
	static char big[65536];
	long total = 0;
	for (;;) {
		ssize_t w = write(sv[0], big, sizeof big);
		if (w < 0)
			break;
		total += w;
	}
	CHECK(errno == EAGAIN && total > 0, "pair_fill_eagain");
	CHECK_EQ(pollmask(sv[0]) & POLLOUT, 0, "pair_full_not_writable");
	long drained = 0;
	for (;;) {
		ssize_t r = read(sv[1], big, sizeof big);
		if (r <= 0)
			break;
		drained += r;
	}
	CHECK_EQ(drained, total, "pair_drain_all");
	CHECK(pollmask(sv[0]) & POLLOUT, "pair_writable_after_drain");
	close(sv[0]);
	close(sv[1]);
}

static void test_close_and_shutdown(void)
{
	int sv[2];
	char buf[16];
	/* shutdown(SHUT_WR): the peer reads the data, then EOF; RDHUP in poll and epoll. */
	SETUP(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	write(sv[0], "xy", 2);
	CHECK_EQ(shutdown(sv[0], SHUT_WR), 0, "shut_wr");
	CHECK_EQ(pollmask(sv[1]), POLLIN | POLLOUT | POLLRDHUP, "shut_wr_peer_poll");
	CHECK_EQ(pollmask(sv[0]), POLLOUT, "shut_wr_self_poll");
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP | EPOLLET };
	epoll_ctl(ep, EPOLL_CTL_ADD, sv[1], &ev);
	struct epoll_event out;
	CHECK_EQ(epoll_wait(ep, &out, 1, 0), 1, "shut_wr_epoll");
	CHECK_EQ(out.events, EPOLLIN | EPOLLRDHUP, "shut_wr_epoll_events");
	close(ep);
	CHECK_EQ(read(sv[1], buf, sizeof buf), 2, "shut_wr_data_first");
	CHECK_EQ(read(sv[1], buf, sizeof buf), 0, "shut_wr_then_eof");
	CHECK_ERR(send(sv[0], "z", 1, MSG_NOSIGNAL), EPIPE, "shut_wr_send_epipe");
	CHECK_EQ(write(sv[1], "back", 4), 4, "shut_wr_other_way_open");
	CHECK_EQ(read(sv[0], buf, sizeof buf), 4, "shut_wr_other_way_read");
	CHECK_EQ(shutdown(sv[0], SHUT_RD), 0, "shut_rd");
	CHECK_EQ(pollmask(sv[0]), POLLIN | POLLOUT | POLLRDHUP | POLLHUP, "shut_rdwr_poll");
	CHECK_ERR(shutdown(sv[0], 3), EINVAL, "shutdown_bad_how");
	close(sv[0]);
	close(sv[1]);

	/* The peer closes: EOF, then EPIPE with SIGPIPE unless MSG_NOSIGNAL. */
	signal(SIGPIPE, on_sigpipe);
	SETUP(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	write(sv[0], "abc", 3);
	close(sv[0]);
	CHECK_EQ(pollmask(sv[1]), POLLIN | POLLOUT | POLLRDHUP | POLLHUP, "closed_peer_poll");
	CHECK_EQ(read(sv[1], buf, sizeof buf), 3, "closed_peer_data");
	CHECK_EQ(read(sv[1], buf, sizeof buf), 0, "closed_peer_eof");
	sigpipes = 0;
	CHECK_ERR(write(sv[1], "x", 1), EPIPE, "closed_peer_write_epipe");
	CHECK_EQ(sigpipes, 1, "closed_peer_write_sigpipe");
	CHECK_ERR(send(sv[1], "x", 1, 0), EPIPE, "closed_peer_send_epipe");
	CHECK_EQ(sigpipes, 2, "closed_peer_send_sigpipe");
	CHECK_ERR(send(sv[1], "x", 1, MSG_NOSIGNAL), EPIPE, "closed_peer_nosignal");
	CHECK_EQ(sigpipes, 2, "closed_peer_nosignal_no_signal");
	close(sv[1]);

	/* Closing with unread data resets the peer: ECONNRESET once, then EOF. */
	SETUP(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	write(sv[1], "unread", 6);
	close(sv[0]);
	CHECK_EQ(pollmask(sv[1]), POLLIN | POLLOUT | POLLRDHUP | POLLHUP | POLLERR, "reset_poll");
	CHECK_ERR(read(sv[1], buf, sizeof buf), ECONNRESET, "reset_read_econnreset");
	CHECK_EQ(read(sv[1], buf, sizeof buf), 0, "reset_then_eof");
	close(sv[1]);

	SETUP(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	write(sv[1], "unread", 6);
	close(sv[0]);
	int err = 0;
	socklen_t el = sizeof err;
	CHECK_EQ(getsockopt(sv[1], SOL_SOCKET, SO_ERROR, &err, &el), 0, "reset_so_error");
	CHECK_EQ(err, ECONNRESET, "reset_so_error_value");
	CHECK_EQ(getsockopt(sv[1], SOL_SOCKET, SO_ERROR, &err, &el), 0, "reset_so_error2");
	CHECK_EQ(err, 0, "reset_so_error_cleared");
	close(sv[1]);
	signal(SIGPIPE, SIG_IGN);
}

static void test_path_sockets(void)
{
	struct sockaddr_un a, b;
	socklen_t al, bl;
	char buf[64];
	const char *path = T("srv.sock");
	int l = listener(path, SOCK_STREAM, 5);
	CHECK(l >= 0, "path_listen");
	struct stat st;
	CHECK_EQ(stat(path, &st), 0, "path_node_exists");
	CHECK(S_ISSOCK(st.st_mode), "path_node_is_socket");
	int v;
	socklen_t vl = sizeof v;
	getsockopt(l, SOL_SOCKET, SO_ACCEPTCONN, &v, &vl);
	CHECK_EQ(v, 1, "path_acceptconn");
	CHECK_EQ(pollmask(l), 0, "listener_poll_idle");
	al = sizeof a;
	CHECK_EQ(getsockname(l, (struct sockaddr *)&a, &al), 0, "path_getsockname");
	CHECK_EQ(al, offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1, "path_getsockname_len");
	CHECK_STR(a.sun_path, path, "path_getsockname_path");
	CHECK_ERR(getpeername(l, (struct sockaddr *)&a, &al), ENOTCONN, "listener_getpeername");

	int c = connect_to(path, SOCK_STREAM);
	CHECK(c >= 0, "path_connect");
	CHECK_EQ(pollmask(l), POLLIN, "listener_poll_pending");
	/* The client can write before the server accepts. */
	CHECK_EQ(write(c, "early", 5), 5, "path_write_before_accept");
	bl = sizeof b;
	memset(&b, 0x55, sizeof b);
	int s = accept(l, (struct sockaddr *)&b, &bl);
	CHECK(s >= 0, "path_accept");
	CHECK_EQ(bl, sizeof(sa_family_t), "accept_unbound_peer_len");
	CHECK_EQ(b.sun_family, AF_UNIX, "accept_peer_family");
	CHECK_EQ(read(s, buf, sizeof buf), 5, "path_read_early");
	al = sizeof a;
	CHECK_EQ(getsockname(s, (struct sockaddr *)&a, &al), 0, "accepted_getsockname");
	CHECK_STR(a.sun_path, path, "accepted_named_like_listener");
	al = sizeof a;
	CHECK_EQ(getpeername(c, (struct sockaddr *)&a, &al), 0, "client_getpeername");
	CHECK_STR(a.sun_path, path, "client_peer_is_path");
	/* A short buffer gets the truncated name and the full length. */
	al = 4;
	memset(&a, 0, sizeof a);
	CHECK_EQ(getpeername(c, (struct sockaddr *)&a, &al), 0, "getpeername_short");
	CHECK_EQ(al, offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1, "getpeername_full_len");
	CHECK(a.sun_path[0] == path[0] && a.sun_path[2] == 0, "getpeername_truncated");
	al = (socklen_t)-1;
	CHECK_ERR(getpeername(c, (struct sockaddr *)&a, &al), EINVAL, "getpeername_negative_len");
	CHECK_ERR(getsockname(c, (struct sockaddr *)&a, BAD_PTR), EFAULT, "getsockname_bad_len_ptr");
	CHECK_EQ(write(s, "reply", 5), 5, "path_server_write");
	al = sizeof a;
	CHECK_EQ(recvfrom(c, buf, sizeof buf, 0, (struct sockaddr *)&a, &al), 5, "path_recvfrom");
	struct ucred uc;
	socklen_t ul = sizeof uc;
	CHECK_EQ(getsockopt(s, SOL_SOCKET, SO_PEERCRED, &uc, &ul), 0, "accepted_peercred");
	CHECK_EQ(uc.pid, getpid(), "accepted_peercred_pid");
	CHECK_EQ(getsockopt(c, SOL_SOCKET, SO_PEERCRED, &uc, &ul), 0, "client_peercred");
	CHECK_EQ(uc.pid, getpid(), "client_peercred_pid");

	/* Connect errors. */
	CHECK_ERR(connect(c, (struct sockaddr *)&a, mkaddr(&a, path)), EISCONN, "connect_twice_eisconn");
	CHECK_ERR(connect(l, (struct sockaddr *)&a, mkaddr(&a, path)), EINVAL, "connect_listener_einval");
	CHECK_ERR(connect_to(T("nonexistent.sock"), SOCK_STREAM), ENOENT, "connect_enoent");
	write_file(T("regular"), "x");
	CHECK_ERR(connect_to(T("regular"), SOCK_STREAM), ECONNREFUSED, "connect_regular_file");
	CHECK_ERR(connect_to(T("regular/x"), SOCK_STREAM), ENOTDIR, "connect_enotdir");
	CHECK_ERR(connect_to(path, SOCK_DGRAM), EPROTOTYPE, "connect_wrong_type");
	CHECK_ERR(connect_to(path, SOCK_SEQPACKET), EPROTOTYPE, "connect_seqpacket_to_stream");
	int unl = socket(AF_UNIX, SOCK_STREAM, 0);
	mkaddr(&a, T("notlistening.sock"));
	bind(unl, (struct sockaddr *)&a, sizeof a);
	CHECK_ERR(connect_to(T("notlistening.sock"), SOCK_STREAM), ECONNREFUSED, "connect_not_listening");
	close(unl);
	CHECK_ERR(connect_to(T("notlistening.sock"), SOCK_STREAM), ECONNREFUSED, "connect_closed_socket_node");
	CHECK_EQ(mknod(T("mknod.sock"), S_IFSOCK | 0666, 0), 0, "mknod_socket_node");
	CHECK_ERR(connect_to(T("mknod.sock"), SOCK_STREAM), ECONNREFUSED, "connect_mknod_node");

	/* Bind errors. */
	int x = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_ERR(bind(x, (struct sockaddr *)&a, mkaddr(&a, path)), EADDRINUSE, "bind_path_exists");
	CHECK_ERR(bind(x, (struct sockaddr *)&a, mkaddr(&a, T("nodir/x.sock"))), ENOENT, "bind_enoent");
	CHECK_ERR(bind(x, (struct sockaddr *)&a, sizeof a + 1), EINVAL, "bind_too_long");
	CHECK_ERR(bind(x, (struct sockaddr *)&a, 1), EINVAL, "bind_too_short");
	a.sun_family = AF_INET;
	CHECK_ERR(bind(x, (struct sockaddr *)&a, sizeof a), EINVAL, "bind_wrong_family");
	CHECK_ERR(listen(x, 1), EINVAL, "listen_unbound_einval");
	CHECK_ERR(accept(x, NULL, NULL), EINVAL, "accept_not_listening");
	CHECK_ERR(recv(x, buf, 1, 0), EINVAL, "recv_unconnected_einval");
	CHECK_ERR(send(x, buf, 1, 0), ENOTCONN, "send_unconnected_enotconn");
	CHECK_ERR(sendto(x, buf, 1, 0, (struct sockaddr *)&a, mkaddr(&a, path)), EOPNOTSUPP,
		  "sendto_addr_unconnected");
	CHECK_ERR(sendto(c, buf, 1, 0, (struct sockaddr *)&a, mkaddr(&a, path)), EISCONN,
		  "sendto_addr_connected");
	CHECK_ERR(getpeername(x, (struct sockaddr *)&a, &al), ENOTCONN, "getpeername_enotconn");
	CHECK_EQ(bind(x, (struct sockaddr *)&a, mkaddr(&a, T("second.sock"))), 0, "bind_second");
	CHECK_ERR(bind(x, (struct sockaddr *)&a, mkaddr(&a, T("third.sock"))), EINVAL, "bind_twice_einval");
	CHECK_ERR(access(T("third.sock"), F_OK), ENOENT, "bind_twice_no_node_left");
	/* bind(2) with just the family on a bound socket: 0 (unix_autobind). */
	CHECK_EQ(bind(x, (struct sockaddr *)&a, sizeof(sa_family_t)), 0, "autobind_bound_noop");
	close(x);

	/* The node outlives the socket: unlink to reuse the name. */
	close(s);
	close(c);
	close(l);
	CHECK_ERR(connect_to(path, SOCK_STREAM), ECONNREFUSED, "connect_after_listener_closed");
	unlink(path);
	CHECK_ERR(connect_to(path, SOCK_STREAM), ENOENT, "connect_after_unlink");
	l = listener(path, SOCK_STREAM, 5);
	CHECK(l >= 0, "rebind_after_unlink");
	/* Bound path unlinked while listening: the name is gone, the socket lives. */
	unlink(path);
	CHECK_ERR(connect_to(path, SOCK_STREAM), ENOENT, "connect_unlinked_listener");
	close(l);

	/* A listener that closes with pending connections resets them. */
	l = listener(path, SOCK_STREAM, 5);
	c = connect_to(path, SOCK_STREAM);
	close(l);
	CHECK_ERR(read(c, buf, 1), ECONNRESET, "pending_reset_by_listener_close");
	CHECK_EQ(read(c, buf, 1), 0, "pending_reset_then_eof");
	close(c);
	unlink(path);
}

static void test_abstract_and_autobind(void)
{
	struct sockaddr_un a, b;
	socklen_t al, bl;
	char name[32];
	snprintf(name, sizeof name, "conf-unix-%d", getpid());
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	al = mkabstract(&a, name);
	CHECK_EQ(bind(l, (struct sockaddr *)&a, al), 0, "abstract_bind");
	CHECK_EQ(listen(l, 4), 0, "abstract_listen");
	int y = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_ERR(bind(y, (struct sockaddr *)&a, al), EADDRINUSE, "abstract_in_use");
	close(y);
	bl = sizeof b;
	CHECK_EQ(getsockname(l, (struct sockaddr *)&b, &bl), 0, "abstract_getsockname");
	CHECK_EQ(bl, al, "abstract_getsockname_len");
	CHECK(memcmp(&a, &b, al) == 0, "abstract_getsockname_name");
	int c = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_EQ(connect(c, (struct sockaddr *)&a, al), 0, "abstract_connect");
	/* A different length is a different name. */
	int d = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_ERR(connect(d, (struct sockaddr *)&a, al + 1), ECONNREFUSED, "abstract_len_matters");
	close(d);
	int s = accept(l, NULL, NULL);
	CHECK(s >= 0, "abstract_accept");
	close(s);
	close(c);
	close(l);
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_ERR(connect(c, (struct sockaddr *)&a, al), ECONNREFUSED, "abstract_gone_after_close");
	close(c);

	/* Autobind: bind with only the family gives "\0" + 5 hex digits. */
	int ab = socket(AF_UNIX, SOCK_DGRAM, 0);
	memset(&a, 0, sizeof a);
	a.sun_family = AF_UNIX;
	CHECK_EQ(bind(ab, (struct sockaddr *)&a, sizeof(sa_family_t)), 0, "autobind");
	al = sizeof a;
	CHECK_EQ(getsockname(ab, (struct sockaddr *)&a, &al), 0, "autobind_getsockname");
	CHECK_EQ(al, offsetof(struct sockaddr_un, sun_path) + 6, "autobind_len");
	int hex = a.sun_path[0] == 0;
	for (int i = 1; i < 6; i++)
		hex = hex && strchr("0123456789abcdef", a.sun_path[i]) != NULL;
	CHECK(hex, "autobind_name_format");
	close(ab);
}

static void test_backlog_and_blocking(void)
{
	const char *path = T("backlog.sock");
	int l = listener(path, SOCK_STREAM, 1);
	struct sockaddr_un a;
	socklen_t al = mkaddr(&a, path);
	/* backlog 1: two connections fit (Linux's "more than backlog" test), the third waits. */
	int c1 = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	int c2 = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	int c3 = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	CHECK_EQ(connect(c1, (struct sockaddr *)&a, al), 0, "backlog_first");
	CHECK_EQ(connect(c2, (struct sockaddr *)&a, al), 0, "backlog_second");
	CHECK_ERR(connect(c3, (struct sockaddr *)&a, al), EAGAIN, "backlog_full_eagain");
	int s1 = accept(l, NULL, NULL);
	CHECK(s1 >= 0, "backlog_accept_one");
	CHECK_EQ(connect(c3, (struct sockaddr *)&a, al), 0, "backlog_room_again");
	/* A blocking connect on a full backlog times out with SO_SNDTIMEO. */
	int c4 = socket(AF_UNIX, SOCK_STREAM, 0);
	struct timeval tv = { 0, 100000 };
	setsockopt(c4, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_ERR(connect(c4, (struct sockaddr *)&a, al), EAGAIN, "backlog_connect_timeout");
	CHECK(ms_since(&t0) >= 90, "backlog_connect_waited");
	int nb = accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	CHECK(nb >= 0, "accept4_flags");
	CHECK(fcntl(nb, F_GETFL) & O_NONBLOCK, "accept4_nonblock");
	CHECK_EQ(fcntl(nb, F_GETFD), FD_CLOEXEC, "accept4_cloexec");
	CHECK_ERR(accept4(l, NULL, NULL, 0x1234), EINVAL, "accept4_bad_flags");
	close(nb);
	int s3 = accept(l, NULL, NULL);
	CHECK(s3 >= 0, "backlog_accept_third");
	fcntl(l, F_SETFL, O_NONBLOCK);
	CHECK_ERR(accept(l, NULL, NULL), EAGAIN, "accept_nonblock_eagain");
	fcntl(l, F_SETFL, 0);
	/* SO_RCVTIMEO bounds accept. */
	setsockopt(l, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	CHECK_ERR(accept(l, NULL, NULL), EAGAIN, "accept_rcvtimeo");
	close(c1);
	close(c2);
	close(c3);
	close(c4);
	close(s1);
	close(s3);

	/* A blocking accept is woken by a connect from another process. */
	tv.tv_usec = 0;
	setsockopt(l, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	pid_t pid = fork();
	if (pid == 0) {
		usleep(50000);
		int c = connect_to(path, SOCK_STREAM);
		if (c < 0)
			_exit(1);
		char buf[8];
		_exit(write(c, "child", 5) == 5 && read(c, buf, 8) == 2 ? 0 : 2);
	}
	int s = accept(l, NULL, NULL);
	CHECK(s >= 0, "accept_blocks_until_connect");
	char buf[16];
	CHECK_EQ(read(s, buf, sizeof buf), 5, "accept_cross_process_data");
	struct ucred uc;
	socklen_t ul = sizeof uc;
	getsockopt(s, SOL_SOCKET, SO_PEERCRED, &uc, &ul);
	CHECK_EQ(uc.pid, pid, "peercred_is_child_pid");
	write(s, "ok", 2);
	check_child_ok(pid, "accept_child");
	close(s);
	close(l);
	unlink(path);
}

static void test_timeouts_and_signals(void)
{
	int sv[2];
	char buf[16];
	SETUP(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	struct timeval tv = { 0, 100000 };
	CHECK_EQ(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0, "set_rcvtimeo");
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_ERR(read(sv[0], buf, 1), EAGAIN, "rcvtimeo_eagain");
	long el = ms_since(&t0);
	CHECK(el >= 90 && el < 2000, "rcvtimeo_waited");
	/* A signal interrupts a timed wait with EINTR even with SA_RESTART. */
	tv.tv_sec = 5;
	setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	alarm_ms(50, 1);
	CHECK_ERR(read(sv[0], buf, 1), EINTR, "rcvtimeo_signal_eintr");
	tv.tv_sec = 0;
	tv.tv_usec = 0;
	setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	/* Without a timeout: EINTR without SA_RESTART... */
	alarm_ms(50, 0);
	CHECK_ERR(recv(sv[0], buf, 1, 0), EINTR, "recv_signal_eintr");
	/* ...and restarted with it (the data comes from a child later). */
	pid_t pid = fork();
	if (pid == 0) {
		usleep(200000);
		_exit(write(sv[1], "late", 4) == 4 ? 0 : 1);
	}
	alarm_ms(50, 1);
	CHECK_EQ(recv(sv[0], buf, 4, MSG_WAITALL), 4, "recv_sa_restart_restarts");
	check_child_ok(pid, "restart_child");

	/* MSG_WAITALL collects pieces written at different times. */
	pid = fork();
	if (pid == 0) {
		for (int i = 0; i < 4; i++) {
			usleep(20000);
			if (write(sv[1], "abc", 3) != 3)
				_exit(1);
		}
		_exit(0);
	}
	CHECK_EQ(recv(sv[0], buf, 12, MSG_WAITALL), 12, "waitall_collects");
	check_child_ok(pid, "waitall_child");
	/* Without it, a read returns what is there. */
	write(sv[1], "abc", 3);
	CHECK_EQ(recv(sv[0], buf, 12, 0), 3, "no_waitall_short");
	close(sv[0]);
	close(sv[1]);
}

static void test_big_transfer(void)
{
	int sv[2];
	SETUP(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	const long total = 4 << 20;
	pid_t pid = fork();
	if (pid == 0) {
		close(sv[0]);
		static unsigned char buf[100000];
		long sent = 0;
		while (sent < total) {
			size_t n = sizeof buf;
			if ((long)n > total - sent)
				n = total - sent;
			for (size_t i = 0; i < n; i++)
				buf[i] = (unsigned char)((sent + i) * 7);
			ssize_t w = write(sv[1], buf, n);
			if (w <= 0)
				_exit(1);
			sent += w;
		}
		_exit(0);
	}
	close(sv[1]);
	static unsigned char rb[65536];
	long got = 0;
	int bad = 0;
	for (;;) {
		ssize_t r = read(sv[0], rb, sizeof rb);
		if (r <= 0)
			break;
		for (ssize_t i = 0; i < r; i++)
			if (rb[i] != (unsigned char)((got + i) * 7))
				bad++;
		got += r;
	}
	CHECK_EQ(got, total, "big_transfer_bytes");
	CHECK_EQ(bad, 0, "big_transfer_content");
	check_child_ok(pid, "big_transfer_child");
	close(sv[0]);
}

static void test_seqpacket(void)
{
	int sv[2];
	char buf[64];
	SETUP(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv));
	CHECK_EQ(send(sv[0], "one", 3, 0), 3, "seqpacket_send1");
	CHECK_EQ(send(sv[0], "second", 6, 0), 6, "seqpacket_send2");
	CHECK_EQ(recv(sv[1], buf, sizeof buf, 0), 3, "seqpacket_boundary1");
	CHECK_EQ(recv(sv[1], buf, sizeof buf, 0), 6, "seqpacket_boundary2");
	send(sv[0], "truncated", 9, 0);
	struct iovec iov = { buf, 4 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	CHECK_EQ(recvmsg(sv[1], &mh, 0), 4, "seqpacket_trunc_len");
	CHECK(mh.msg_flags & MSG_TRUNC, "seqpacket_msg_trunc_flag");
	CHECK_ERR(recv(sv[1], buf, sizeof buf, MSG_DONTWAIT), EAGAIN, "seqpacket_rest_discarded");
	send(sv[0], "truncated", 9, 0);
	CHECK_EQ(recv(sv[1], buf, 2, MSG_TRUNC), 9, "seqpacket_msg_trunc_real_len");
	int s = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	CHECK_ERR(send(s, "x", 1, 0), ENOTCONN, "seqpacket_send_unconnected");
	CHECK_ERR(recv(s, buf, 1, 0), ENOTCONN, "seqpacket_recv_unconnected");
	CHECK_EQ(pollmask(s), POLLOUT | POLLHUP, "seqpacket_fresh_poll");
	close(s);
	/* Peer closed: EOF, and EPIPE without SIGPIPE. */
	signal(SIGPIPE, on_sigpipe);
	sigpipes = 0;
	close(sv[0]);
	CHECK_EQ(pollmask(sv[1]), POLLIN | POLLOUT | POLLRDHUP | POLLHUP, "seqpacket_closed_poll");
	CHECK_EQ(recv(sv[1], buf, sizeof buf, 0), 0, "seqpacket_eof");
	CHECK_EQ(recv(sv[1], buf, sizeof buf, MSG_DONTWAIT), 0, "seqpacket_eof_nonblock");
	CHECK_ERR(send(sv[1], "x", 1, 0), EPIPE, "seqpacket_epipe");
	CHECK_EQ(sigpipes, 0, "seqpacket_no_sigpipe");
	signal(SIGPIPE, SIG_IGN);
	close(sv[1]);

	/* seqpacket over a path. */
	const char *path = T("seq.sock");
	int l = listener(path, SOCK_SEQPACKET, 2);
	int c = connect_to(path, SOCK_SEQPACKET);
	CHECK(c >= 0, "seqpacket_path_connect");
	int a = accept(l, NULL, NULL);
	CHECK(a >= 0, "seqpacket_accept");
	send(c, "rec", 3, 0);
	CHECK_EQ(read(a, buf, sizeof buf), 3, "seqpacket_path_read");
	close(a);
	close(c);
	close(l);
	unlink(path);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_socketpair();
	test_close_and_shutdown();
	test_path_sockets();
	test_abstract_and_autobind();
	test_backlog_and_blocking();
	test_timeouts_and_signals();
	test_big_transfer();
	test_seqpacket();
	return conf_exit();
}
