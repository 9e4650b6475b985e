/* AF_UNIX SOCK_DGRAM: message boundaries, truncation (MSG_TRUNC in and out),
 * empty datagrams, sendto/recvfrom addresses (paths, abstract, unbound),
 * connect/disconnect (AF_UNSPEC), EPERM to a socket connected elsewhere,
 * ECONNREFUSED then ENOTCONN after the peer closes, the receive-queue limit
 * (EAGAIN, no POLLOUT), EMSGSIZE, SO_RCVTIMEO, FIONREAD, MSG_PEEK,
 * shutdown, sendmmsg/recvmmsg. */
#include "conformance.h"
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>

static short pollmask(int fd)
{
	struct pollfd p = { fd, POLLIN | POLLOUT | POLLRDHUP, 0 };
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

static int bound_dgram(const char *path)
{
	struct sockaddr_un a;
	socklen_t l = mkaddr(&a, path);
	int s = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&a, l))
		return -1;
	return s;
}

static void test_pair(void)
{
	int sv[2];
	char buf[64];
	SETUP(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	CHECK_EQ(pollmask(sv[0]), POLLOUT, "dgram_pair_poll_idle");
	CHECK_EQ(send(sv[0], "first", 5, 0), 5, "dgram_send1");
	CHECK_EQ(send(sv[0], "second", 6, 0), 6, "dgram_send2");
	CHECK_EQ(send(sv[0], "", 0, 0), 0, "dgram_send_empty");
	CHECK_EQ(pollmask(sv[1]), POLLIN | POLLOUT, "dgram_pair_poll_readable");
	int q = -1;
	CHECK_EQ(ioctl(sv[1], FIONREAD, &q), 0, "dgram_fionread");
	CHECK_EQ(q, 5, "dgram_fionread_next_size");
	CHECK_EQ(recv(sv[1], buf, sizeof buf, MSG_PEEK), 5, "dgram_peek");
	CHECK_EQ(recv(sv[1], buf, sizeof buf, 0), 5, "dgram_boundary1");
	CHECK(memcmp(buf, "first", 5) == 0, "dgram_data1");
	CHECK_EQ(read(sv[1], buf, sizeof buf), 6, "dgram_boundary2");
	CHECK_EQ(recv(sv[1], buf, sizeof buf, MSG_DONTWAIT), 0, "dgram_empty_datagram");
	CHECK_ERR(recv(sv[1], buf, sizeof buf, MSG_DONTWAIT), EAGAIN, "dgram_queue_empty");

	/* Truncation: the rest of the datagram is lost; MSG_TRUNC reports it. */
	send(sv[0], "0123456789", 10, 0);
	struct iovec iov = { buf, 4 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	CHECK_EQ(recvmsg(sv[1], &mh, 0), 4, "dgram_trunc_len");
	CHECK_EQ(mh.msg_flags, MSG_TRUNC, "dgram_trunc_flag");
	send(sv[0], "0123456789", 10, 0);
	CHECK_EQ(recv(sv[1], buf, 3, MSG_TRUNC), 10, "dgram_trunc_real_len");
	send(sv[0], "0123456789", 10, 0);
	CHECK_EQ(recv(sv[1], buf, 0, 0), 0, "dgram_zero_buffer_consumes");
	CHECK_ERR(recv(sv[1], buf, sizeof buf, MSG_DONTWAIT), EAGAIN, "dgram_zero_buffer_consumed");

	/* Scatter/gather keeps one datagram. */
	struct iovec two[2] = { { "ab", 2 }, { "cd", 2 } };
	struct msghdr smh = { .msg_iov = two, .msg_iovlen = 2 };
	CHECK_EQ(sendmsg(sv[0], &smh, 0), 4, "dgram_sendmsg_iov");
	CHECK_EQ(recv(sv[1], buf, sizeof buf, 0), 4, "dgram_gathered");

	/* SO_RCVTIMEO */
	struct timeval tv = { 0, 80000 };
	setsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	CHECK_ERR(recv(sv[1], buf, 1, 0), EAGAIN, "dgram_rcvtimeo");

	/* sendmmsg / recvmmsg */
	struct mmsghdr mm[3];
	struct iovec mi[3] = { { "a", 1 }, { "bb", 2 }, { "ccc", 3 } };
	memset(mm, 0, sizeof mm);
	for (int i = 0; i < 3; i++) {
		mm[i].msg_hdr.msg_iov = &mi[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	CHECK_EQ(sendmmsg(sv[0], mm, 3, 0), 3, "sendmmsg");
	CHECK(mm[0].msg_len == 1 && mm[1].msg_len == 2 && mm[2].msg_len == 3, "sendmmsg_lens");
	char rb[3][8];
	struct iovec ri[3];
	memset(mm, 0, sizeof mm);
	for (int i = 0; i < 3; i++) {
		ri[i].iov_base = rb[i];
		ri[i].iov_len = sizeof rb[i];
		mm[i].msg_hdr.msg_iov = &ri[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	CHECK_EQ(recvmmsg(sv[1], mm, 3, MSG_DONTWAIT, NULL), 3, "recvmmsg");
	CHECK(mm[0].msg_len == 1 && mm[1].msg_len == 2 && mm[2].msg_len == 3, "recvmmsg_lens");
	send(sv[0], "x", 1, 0);
	CHECK_EQ(recvmmsg(sv[1], mm, 3, MSG_WAITFORONE, NULL), 1, "recvmmsg_waitforone");
	CHECK_ERR(recvmmsg(sv[1], mm, 3, MSG_DONTWAIT, NULL), EAGAIN, "recvmmsg_empty_eagain");

	/* shutdown(SHUT_RD): a blocking receive returns 0, a non-blocking one EAGAIN. */
	CHECK_EQ(shutdown(sv[1], SHUT_RD), 0, "dgram_shut_rd");
	CHECK_EQ(pollmask(sv[1]), POLLIN | POLLOUT | POLLRDHUP, "dgram_shut_rd_poll");
	tv.tv_usec = 0;
	setsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	CHECK_EQ(recv(sv[1], buf, 1, 0), 0, "dgram_shut_rd_recv_zero");
	CHECK_ERR(recv(sv[1], buf, 1, MSG_DONTWAIT), EAGAIN, "dgram_shut_rd_nonblock");
	CHECK_ERR(send(sv[0], "z", 1, MSG_DONTWAIT), EPIPE, "dgram_send_to_shut_rd_peer_epipe");

	/* The peer closes: ECONNREFUSED once, then ENOTCONN; no SIGPIPE. */
	close(sv[1]);
	CHECK_EQ(pollmask(sv[0]), POLLOUT, "dgram_peer_closed_poll");
	CHECK_ERR(send(sv[0], "x", 1, 0), ECONNREFUSED, "dgram_peer_closed_econnrefused");
	CHECK_ERR(send(sv[0], "x", 1, 0), ENOTCONN, "dgram_peer_closed_then_enotconn");
	close(sv[0]);
}

static void test_addresses(void)
{
	struct sockaddr_un a, from;
	socklen_t al, fl;
	char buf[64];
	int r = bound_dgram(T("recv.sock"));
	CHECK(r >= 0, "dgram_bind");
	int s = socket(AF_UNIX, SOCK_DGRAM, 0);
	al = mkaddr(&a, T("recv.sock"));
	CHECK_ERR(send(s, "x", 1, 0), ENOTCONN, "dgram_send_no_peer");
	CHECK_EQ(sendto(s, "anon", 4, 0, (struct sockaddr *)&a, al), 4, "dgram_sendto_path");
	fl = sizeof from;
	memset(&from, 0x55, sizeof from);
	CHECK_EQ(recvfrom(r, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl), 4, "dgram_recvfrom");
	CHECK_EQ(fl, 0, "dgram_unbound_sender_namelen_zero");
	/* A bound sender is named. */
	int named = bound_dgram(T("sender.sock"));
	sendto(named, "hi", 2, 0, (struct sockaddr *)&a, al);
	fl = sizeof from;
	CHECK_EQ(recvfrom(r, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl), 2, "dgram_recvfrom_named");
	CHECK_EQ(fl, offsetof(struct sockaddr_un, sun_path) + strlen(T("sender.sock")) + 1,
		 "dgram_sender_namelen");
	CHECK_STR(from.sun_path, T("sender.sock"), "dgram_sender_path");
	/* recvmsg msg_name / msg_namelen */
	sendto(named, "hi", 2, 0, (struct sockaddr *)&a, al);
	struct iovec iov = { buf, sizeof buf };
	struct msghdr mh = { .msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov,
			     .msg_iovlen = 1 };
	CHECK_EQ(recvmsg(r, &mh, 0), 2, "dgram_recvmsg_name");
	CHECK_EQ(mh.msg_namelen, fl, "dgram_recvmsg_namelen");

	/* Errors of a destination. */
	struct sockaddr_un b;
	CHECK_ERR(sendto(s, "x", 1, 0, (struct sockaddr *)&b, mkaddr(&b, T("nope.sock"))), ENOENT,
		  "dgram_sendto_enoent");
	int st = socket(AF_UNIX, SOCK_STREAM, 0);
	bind(st, (struct sockaddr *)&b, mkaddr(&b, T("stream.sock")));
	CHECK_ERR(sendto(s, "x", 1, 0, (struct sockaddr *)&b, mkaddr(&b, T("stream.sock"))),
		  EPROTOTYPE, "dgram_sendto_stream_eprototype");
	close(st);
	memset(&b, 0, sizeof b);
	b.sun_family = AF_UNIX;
	strcpy(b.sun_path + 1, "conf-no-such-abstract");
	CHECK_ERR(sendto(s, "x", 1, 0, (struct sockaddr *)&b,
			 offsetof(struct sockaddr_un, sun_path) + 22),
		  ECONNREFUSED, "dgram_sendto_abstract_econnrefused");
	CHECK_ERR(sendto(s, "x", 1, 0, (struct sockaddr *)&b, 2), EINVAL, "dgram_sendto_short_addr");
	CHECK_ERR(listen(s, 1), EOPNOTSUPP, "dgram_listen_eopnotsupp");
	CHECK_ERR(accept(s, NULL, NULL), EOPNOTSUPP, "dgram_accept_eopnotsupp");

	/* connect: a default destination; a socket connected elsewhere refuses others. */
	CHECK_EQ(connect(s, (struct sockaddr *)&a, al), 0, "dgram_connect");
	CHECK_EQ(send(s, "via-peer", 8, 0), 8, "dgram_send_connected");
	CHECK_EQ(recv(r, buf, sizeof buf, 0), 8, "dgram_recv_connected");
	fl = sizeof from;
	CHECK_EQ(getpeername(s, (struct sockaddr *)&from, &fl), 0, "dgram_getpeername");
	CHECK_STR(from.sun_path, T("recv.sock"), "dgram_getpeername_path");
	struct sockaddr_un sa;
	socklen_t sal = mkaddr(&sa, T("sender.sock"));
	CHECK_EQ(connect(r, (struct sockaddr *)&sa, sal), 0, "dgram_connect_r_to_named");
	CHECK_ERR(send(s, "x", 1, 0), EPERM, "dgram_send_to_other_peer_eperm");
	struct sockaddr_un un = { .sun_family = AF_UNSPEC };
	CHECK_EQ(connect(r, (struct sockaddr *)&un, sizeof(sa_family_t)), 0, "dgram_disconnect");
	CHECK_EQ(send(s, "y", 1, 0), 1, "dgram_send_after_disconnect");
	CHECK_EQ(connect(s, (struct sockaddr *)&un, sizeof(sa_family_t)), 0, "dgram_disconnect_s");
	CHECK_ERR(send(s, "x", 1, 0), ENOTCONN, "dgram_disconnected_enotconn");
	fl = sizeof from;
	CHECK_ERR(getpeername(s, (struct sockaddr *)&from, &fl), ENOTCONN, "dgram_getpeername_enotconn");
	recv(r, buf, sizeof buf, MSG_DONTWAIT);

	/* EMSGSIZE: larger than the send buffer. */
	int sndbuf = 0;
	socklen_t ol = sizeof sndbuf;
	getsockopt(s, SOL_SOCKET, SO_SNDBUF, &sndbuf, &ol);
	static char big[1 << 20];
	CHECK_ERR(sendto(s, big, sndbuf, 0, (struct sockaddr *)&a, al), EMSGSIZE, "dgram_emsgsize");

	/* The receive queue limit: a receiver not connected to us holds 11, then EAGAIN. */
	int full = bound_dgram(T("full.sock"));
	struct sockaddr_un fa;
	socklen_t fal = mkaddr(&fa, T("full.sock"));
	int w = socket(AF_UNIX, SOCK_DGRAM, 0);
	connect(w, (struct sockaddr *)&fa, fal);
	int sent = 0;
	while (sent < 100 && send(w, "q", 1, MSG_DONTWAIT) == 1)
		sent++;
	int full_errno = errno;
	CHECK_EQ(sent, 11, "dgram_queue_limit");
	CHECK_EQ(full_errno, EAGAIN, "dgram_queue_full_eagain");
	CHECK_EQ(pollmask(w) & POLLOUT, 0, "dgram_queue_full_not_writable");
	recv(full, buf, sizeof buf, 0);
	CHECK(pollmask(w) & POLLOUT, "dgram_queue_room_writable");
	CHECK_EQ(send(w, "q", 1, MSG_DONTWAIT), 1, "dgram_queue_room_send");
	/* A blocked sender is woken when the receiver reads (another process). */
	pid_t pid = fork();
	if (pid == 0) {
		usleep(50000);
		char b2[8];
		_exit(recv(full, b2, sizeof b2, 0) == 1 ? 0 : 1);
	}
	CHECK_EQ(send(w, "q", 1, 0), 1, "dgram_blocked_send_woken");
	check_child_ok(pid, "dgram_reader_child");
	close(w);
	close(full);
	close(named);
	close(s);
	close(r);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_pair();
	test_addresses();
	return conf_exit();
}
