/* TCP and UDP on loopback (AF_INET, AF_INET6): names, ephemeral ports,
 * EADDRINUSE and SO_REUSEADDR/SO_REUSEPORT, EADDRNOTAVAIL, non-blocking
 * connect (EINPROGRESS, EALREADY-free completion, EISCONN), ECONNREFUSED
 * (blocking, non-blocking with SO_ERROR, then ECONNABORTED), backlog,
 * half-close, close (EOF, first write then EPIPE, reset by unread data or
 * SO_LINGER 0), dual stack and IPV6_V6ONLY, TCP options, UDP datagrams,
 * EDESTADDRREQ, EMSGSIZE, connected UDP and the ICMP ECONNREFUSED. */
#include "conformance.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

static short pollmask(int fd)
{
	struct pollfd p = { fd, POLLIN | POLLOUT | POLLRDHUP, 0 };
	poll(&p, 1, 0);
	return p.revents;
}

static struct sockaddr_in v4(const char *ip, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	inet_pton(AF_INET, ip, &a.sin_addr);
	return a;
}

static struct sockaddr_in6 v6(const char *ip, int port)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
	inet_pton(AF_INET6, ip, &a.sin6_addr);
	return a;
}

static int port_of(int fd)
{
	struct sockaddr_in6 a;
	socklen_t l = sizeof a;
	if (getsockname(fd, (struct sockaddr *)&a, &l))
		return -1;
	return ntohs(a.sin6_port);     /* sin_port is at the same offset */
}

/* A TCP listener on 127.0.0.1, ephemeral port. */
static int tcp_listener(int backlog)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = v4("127.0.0.1", 0);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) || listen(s, backlog))
		return -1;
	return s;
}

static int tcp_connect(int port)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = v4("127.0.0.1", port);
	if (connect(s, (struct sockaddr *)&a, sizeof a)) {
		close(s);
		return -1;
	}
	return s;
}

/* A port nobody listens on: bound, then closed. */
static int closed_port(int type)
{
	int s = socket(AF_INET, type, 0);
	struct sockaddr_in a = v4("127.0.0.1", 0);
	bind(s, (struct sockaddr *)&a, sizeof a);
	int p = port_of(s);
	close(s);
	return p;
}

static void test_tcp_basics(void)
{
	char buf[64];
	int l = tcp_listener(8);
	CHECK(l >= 0, "tcp_listen");
	int port = port_of(l);
	CHECK(port > 0, "tcp_ephemeral_port");
	int v;
	socklen_t vl = sizeof v;
	getsockopt(l, SOL_SOCKET, SO_PROTOCOL, &v, &vl);
	CHECK_EQ(v, IPPROTO_TCP, "tcp_so_protocol");
	getsockopt(l, SOL_SOCKET, SO_ACCEPTCONN, &v, &vl);
	CHECK_EQ(v, 1, "tcp_acceptconn");
	CHECK_EQ(pollmask(l), 0, "tcp_listener_poll_idle");
	int c = tcp_connect(port);
	CHECK(c >= 0, "tcp_connect");
	CHECK_EQ(pollmask(l), POLLIN, "tcp_listener_poll_pending");
	struct sockaddr_in pa, ca, sa;
	socklen_t pl = sizeof pa;
	int s = accept(l, (struct sockaddr *)&pa, &pl);
	CHECK(s >= 0, "tcp_accept");
	CHECK_EQ(pl, sizeof pa, "tcp_accept_addrlen");
	socklen_t cl = sizeof ca;
	getsockname(c, (struct sockaddr *)&ca, &cl);
	CHECK(pa.sin_port == ca.sin_port && pa.sin_addr.s_addr == ca.sin_addr.s_addr,
	      "tcp_accept_peer_is_client");
	CHECK_EQ(ntohl(ca.sin_addr.s_addr), 0x7f000001, "tcp_client_local_addr");
	socklen_t sl = sizeof sa;
	getpeername(c, (struct sockaddr *)&sa, &sl);
	CHECK_EQ(ntohs(sa.sin_port), port, "tcp_client_peer_port");
	sl = sizeof sa;
	getsockname(s, (struct sockaddr *)&sa, &sl);
	CHECK_EQ(ntohs(sa.sin_port), port, "tcp_accepted_local_port");
	CHECK_EQ(write(c, "hello", 5), 5, "tcp_write");
	int q = -1;
	usleep(10000);
	CHECK_EQ(ioctl(s, FIONREAD, &q), 0, "tcp_fionread");
	CHECK_EQ(q, 5, "tcp_fionread_value");
	struct sockaddr_in from;
	socklen_t fl = sizeof from;
	CHECK_EQ(recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl), 5, "tcp_recvfrom");
	CHECK_EQ(fl, 0, "tcp_recvfrom_no_address");
	CHECK_EQ(pollmask(c), POLLOUT, "tcp_connected_poll");
	v = 1;
	CHECK_EQ(setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &v, sizeof v), 0, "tcp_nodelay_set");
	v = 0;
	vl = sizeof v;
	getsockopt(c, IPPROTO_TCP, TCP_NODELAY, &v, &vl);
	CHECK_EQ(v, 1, "tcp_nodelay_get");
	CHECK_ERR(getsockopt(c, IPPROTO_TCP, 9999, &v, &vl), ENOPROTOOPT, "tcp_unknown_option");
	struct ucred uc;
	socklen_t ul = sizeof uc;
	getsockopt(s, SOL_SOCKET, SO_PEERCRED, &uc, &ul);
	CHECK(uc.pid == 0 && uc.uid == (uid_t)-1, "tcp_no_peercred");

	/* Errors of the states. */
	struct sockaddr_in a = v4("127.0.0.1", port);
	CHECK_ERR(connect(c, (struct sockaddr *)&a, sizeof a), EISCONN, "tcp_connect_twice");
	CHECK_ERR(connect(l, (struct sockaddr *)&a, sizeof a), EISCONN, "tcp_connect_listener");
	CHECK_ERR(listen(c, 1), EINVAL, "tcp_listen_connected");
	CHECK_ERR(accept(c, NULL, NULL), EINVAL, "tcp_accept_not_listening");
	CHECK_ERR(bind(c, (struct sockaddr *)&a, sizeof a), EINVAL, "tcp_bind_connected");
	int u = socket(AF_INET, SOCK_STREAM, 0);
	CHECK_ERR(recv(u, buf, 1, 0), ENOTCONN, "tcp_recv_unconnected");
	CHECK_ERR(send(u, "x", 1, MSG_NOSIGNAL), EPIPE, "tcp_send_unconnected_epipe");
	CHECK_ERR(getpeername(u, (struct sockaddr *)&a, &pl), ENOTCONN, "tcp_getpeername_unconnected");
	CHECK_ERR(shutdown(u, SHUT_RDWR), ENOTCONN, "tcp_shutdown_unconnected");
	/* The failed shutdown still shut the socket down (inet_shutdown). */
	CHECK_EQ(pollmask(u), POLLIN | POLLOUT | POLLHUP | POLLRDHUP, "tcp_shutdown_unconnected_poll");
	close(u);
	u = socket(AF_INET, SOCK_STREAM, 0);
	CHECK_EQ(pollmask(u), POLLOUT | POLLHUP, "tcp_fresh_poll");
	sl = sizeof sa;
	getsockname(u, (struct sockaddr *)&sa, &sl);
	CHECK(sl == sizeof sa && sa.sin_port == 0 && sa.sin_addr.s_addr == 0, "tcp_unbound_name");
	struct sockaddr_in6 six = v6("::1", port);
	CHECK_ERR(connect(u, (struct sockaddr *)&six, sizeof six), EAFNOSUPPORT, "tcp_v4_connect_v6_addr");
	CHECK_ERR(connect(u, (struct sockaddr *)&a, sizeof a - 1), EINVAL, "tcp_connect_short_addr");
	struct sockaddr_in far = v4("10.1.2.3", 0);
	CHECK_ERR(bind(u, (struct sockaddr *)&far, sizeof far), EADDRNOTAVAIL, "tcp_bind_eaddrnotavail");
	close(u);

	/* Half-close: the other side reads EOF after the data and can still write. */
	write(c, "last", 4);
	CHECK_EQ(shutdown(c, SHUT_WR), 0, "tcp_shut_wr");
	usleep(10000);
	CHECK_EQ(pollmask(s), POLLIN | POLLOUT | POLLRDHUP, "tcp_half_closed_poll");
	CHECK_EQ(read(s, buf, sizeof buf), 4, "tcp_half_close_data");
	CHECK_EQ(read(s, buf, sizeof buf), 0, "tcp_half_close_eof");
	CHECK_EQ(write(s, "back", 4), 4, "tcp_half_close_reverse_write");
	CHECK_EQ(read(c, buf, sizeof buf), 4, "tcp_half_close_reverse_read");
	CHECK_ERR(send(c, "x", 1, MSG_NOSIGNAL), EPIPE, "tcp_send_after_shut_wr");

	/* The peer closes: EOF; the first write goes out, the reset makes the next EPIPE. */
	close(s);
	usleep(10000);
	CHECK_EQ(read(c, buf, sizeof buf), 0, "tcp_peer_closed_eof");
	close(c);

	c = tcp_connect(port);
	s = accept(l, NULL, NULL);
	close(s);
	usleep(10000);
	CHECK_EQ(pollmask(c), POLLIN | POLLOUT | POLLRDHUP, "tcp_fin_poll");
	CHECK_EQ(send(c, "x", 1, MSG_NOSIGNAL), 1, "tcp_first_write_after_close");
	usleep(10000);
	CHECK_EQ(pollmask(c), POLLIN | POLLOUT | POLLRDHUP | POLLERR | POLLHUP, "tcp_reset_poll");
	CHECK_ERR(send(c, "x", 1, MSG_NOSIGNAL), EPIPE, "tcp_write_after_reset");
	CHECK_ERR(send(c, "x", 1, MSG_NOSIGNAL), EPIPE, "tcp_write_after_reset_again");
	CHECK_EQ(read(c, buf, sizeof buf), 0, "tcp_read_after_reset");
	pl = sizeof a;
	CHECK_ERR(getpeername(c, (struct sockaddr *)&a, &pl), ENOTCONN, "tcp_getpeername_after_reset");
	close(c);

	/* Unread data at close, or SO_LINGER 0, reset the peer. */
	c = tcp_connect(port);
	s = accept(l, NULL, NULL);
	write(c, "unread", 6);
	usleep(10000);
	close(s);
	usleep(10000);
	CHECK_ERR(read(c, buf, sizeof buf), ECONNRESET, "tcp_reset_by_unread");
	close(c);
	c = tcp_connect(port);
	s = accept(l, NULL, NULL);
	struct linger lg = { 1, 0 };
	setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	close(s);
	usleep(10000);
	CHECK_ERR(read(c, buf, sizeof buf), ECONNRESET, "tcp_reset_by_linger_zero");
	close(c);

	/* A big transfer across fork. */
	c = tcp_connect(port);
	s = accept(l, NULL, NULL);
	const long total = 3 << 20;
	pid_t pid = fork();
	if (pid == 0) {
		static char b[50000];
		long sent = 0;
		for (; sent < total;) {
			for (int i = 0; i < (int)sizeof b; i++)
				b[i] = (char)((sent + i) % 251);
			long n = total - sent < (long)sizeof b ? total - sent : (long)sizeof b;
			ssize_t w = write(c, b, n);
			if (w <= 0)
				_exit(1);
			sent += w;
		}
		_exit(0);
	}
	close(c);
	static char rb[65536];
	long got = 0, bad = 0;
	for (;;) {
		ssize_t r = read(s, rb, sizeof rb);
		if (r <= 0)
			break;
		for (ssize_t i = 0; i < r; i++)
			bad += rb[i] != (char)((got + i) % 251);
		got += r;
	}
	CHECK_EQ(got, total, "tcp_big_transfer");
	CHECK_EQ(bad, 0, "tcp_big_transfer_content");
	check_child_ok(pid, "tcp_big_transfer_child");
	close(s);
	close(l);
}

static void test_tcp_connect_modes(void)
{
	char buf[8];
	int l = tcp_listener(0);
	int port = port_of(l);
	struct sockaddr_in a = v4("127.0.0.1", port);
	/* Non-blocking: EINPROGRESS even on loopback, then 0 once, then EISCONN. */
	int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	CHECK_ERR(connect(c, (struct sockaddr *)&a, sizeof a), EINPROGRESS, "nb_connect_einprogress");
	struct pollfd p = { c, POLLOUT, 0 };
	CHECK_EQ(poll(&p, 1, 5000), 1, "nb_connect_poll_writable");
	CHECK_EQ(connect(c, (struct sockaddr *)&a, sizeof a), 0, "nb_connect_again_zero");
	CHECK_ERR(connect(c, (struct sockaddr *)&a, sizeof a), EISCONN, "nb_connect_then_eisconn");
	/* listen(0): one connection fits; the next waits until accept makes room. */
	int c2 = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	CHECK_ERR(connect(c2, (struct sockaddr *)&a, sizeof a), EINPROGRESS, "backlog_full_einprogress");
	usleep(20000);
	CHECK_EQ(pollmask(c2), 0, "backlog_full_pending_poll");
	int s = accept(l, NULL, NULL);
	CHECK(s >= 0, "backlog_accept_first");
	p.fd = c2;
	CHECK_EQ(poll(&p, 1, 5000), 1, "backlog_pending_completes");
	int s2 = accept(l, NULL, NULL);
	CHECK(s2 >= 0, "backlog_accept_second");
	CHECK_EQ(write(c2, "ok", 2), 2, "backlog_pending_write");
	CHECK_EQ(read(s2, buf, sizeof buf), 2, "backlog_pending_read");
	close(c);
	close(c2);
	close(s);
	close(s2);
	close(l);

	/* Refused: blocking ECONNREFUSED; non-blocking through SO_ERROR, then ECONNABORTED. */
	int port2 = closed_port(SOCK_STREAM);
	a = v4("127.0.0.1", port2);
	c = socket(AF_INET, SOCK_STREAM, 0);
	CHECK_ERR(connect(c, (struct sockaddr *)&a, sizeof a), ECONNREFUSED, "connect_refused");
	CHECK_ERR(connect(c, (struct sockaddr *)&a, sizeof a), ECONNREFUSED, "connect_refused_again");
	close(c);
	c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	CHECK_ERR(connect(c, (struct sockaddr *)&a, sizeof a), EINPROGRESS, "nb_refused_einprogress");
	usleep(10000);
	CHECK_EQ(pollmask(c), POLLIN | POLLOUT | POLLERR | POLLHUP | POLLRDHUP, "nb_refused_poll");
	int err = 0;
	socklen_t el = sizeof err;
	getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &el);
	CHECK_EQ(err, ECONNREFUSED, "nb_refused_so_error");
	CHECK_ERR(connect(c, (struct sockaddr *)&a, sizeof a), ECONNABORTED, "nb_refused_then_econnaborted");
	close(c);
}

static void test_tcp_ports(void)
{
	int one = 1;
	int a = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = v4("127.0.0.1", 0);
	bind(a, (struct sockaddr *)&sa, sizeof sa);
	int port = port_of(a);
	sa = v4("127.0.0.1", port);
	int b = socket(AF_INET, SOCK_STREAM, 0);
	CHECK_ERR(bind(b, (struct sockaddr *)&sa, sizeof sa), EADDRINUSE, "tcp_eaddrinuse");
	struct sockaddr_in any = v4("0.0.0.0", port);
	CHECK_ERR(bind(b, (struct sockaddr *)&any, sizeof any), EADDRINUSE, "tcp_eaddrinuse_wildcard");
	CHECK_ERR(bind(a, (struct sockaddr *)&sa, sizeof sa), EINVAL, "tcp_bind_twice");
	close(a);
	close(b);
	/* SO_REUSEADDR on both: fine until one listens. */
	a = socket(AF_INET, SOCK_STREAM, 0);
	b = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(a, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	setsockopt(b, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	CHECK_EQ(bind(a, (struct sockaddr *)&sa, sizeof sa), 0, "reuseaddr_first");
	CHECK_EQ(bind(b, (struct sockaddr *)&sa, sizeof sa), 0, "reuseaddr_second");
	CHECK_EQ(listen(a, 1), 0, "reuseaddr_listen_first");
	CHECK_ERR(listen(b, 1), EADDRINUSE, "reuseaddr_listen_second_eaddrinuse");
	int c = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(c, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	CHECK_ERR(bind(c, (struct sockaddr *)&sa, sizeof sa), EADDRINUSE, "reuseaddr_vs_listener");
	close(a);
	close(b);
	close(c);
	/* SO_REUSEPORT on both: both may listen. */
	a = socket(AF_INET, SOCK_STREAM, 0);
	b = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(a, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
	setsockopt(b, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
	CHECK_EQ(bind(a, (struct sockaddr *)&sa, sizeof sa), 0, "reuseport_first");
	CHECK_EQ(bind(b, (struct sockaddr *)&sa, sizeof sa), 0, "reuseport_second");
	CHECK_EQ(listen(a, 1), 0, "reuseport_listen_a");
	CHECK_EQ(listen(b, 1), 0, "reuseport_listen_b");
	close(a);
	close(b);
	/* The port is free again after close (no connection, no TIME_WAIT). */
	a = socket(AF_INET, SOCK_STREAM, 0);
	CHECK_EQ(bind(a, (struct sockaddr *)&sa, sizeof sa), 0, "port_free_after_close");
	/* Two addresses of 127/8 are distinct. */
	struct sockaddr_in other = v4("127.0.0.2", port);
	b = socket(AF_INET, SOCK_STREAM, 0);
	CHECK_EQ(bind(b, (struct sockaddr *)&other, sizeof other), 0, "bind_other_loopback_addr");
	close(a);
	close(b);
}

static void test_dual_stack(void)
{
	int zero = 0, one = 1;
	char buf[8];
	int l = socket(AF_INET6, SOCK_STREAM, 0);
	setsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
	struct sockaddr_in6 any = v6("::", 0);
	CHECK_EQ(bind(l, (struct sockaddr *)&any, sizeof any), 0, "v6_bind_any");
	CHECK_EQ(listen(l, 4), 0, "v6_listen");
	int port = port_of(l);
	CHECK_ERR(setsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one), EINVAL, "v6only_after_bind");
	/* An IPv4 client reaches it; the peer is v4-mapped. */
	int c = tcp_connect(port);
	CHECK(c >= 0, "dual_stack_v4_connect");
	struct sockaddr_in6 pa;
	socklen_t pl = sizeof pa;
	int s = accept(l, (struct sockaddr *)&pa, &pl);
	CHECK(s >= 0 && pl == sizeof pa && pa.sin6_family == AF_INET6, "dual_stack_accept_v6_name");
	CHECK(IN6_IS_ADDR_V4MAPPED(&pa.sin6_addr), "dual_stack_peer_v4_mapped");
	write(c, "v4", 2);
	CHECK_EQ(read(s, buf, sizeof buf), 2, "dual_stack_data");
	close(c);
	close(s);
	int c6 = socket(AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 lo6 = v6("::1", port);
	CHECK_EQ(connect(c6, (struct sockaddr *)&lo6, sizeof lo6), 0, "v6_connect_loopback");
	s = accept(l, (struct sockaddr *)&pa, &pl);
	CHECK(s >= 0 && IN6_IS_ADDR_LOOPBACK(&pa.sin6_addr), "v6_peer_is_loopback");
	close(s);
	close(c6);
	/* A v4 socket on the same port clashes with the dual-stack one. */
	int b4 = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a4 = v4("127.0.0.1", port);
	CHECK_ERR(bind(b4, (struct sockaddr *)&a4, sizeof a4), EADDRINUSE, "dual_stack_blocks_v4");
	close(b4);
	close(l);

	/* IPV6_V6ONLY: v4 clients are refused, and a v4 socket may share the port. */
	l = socket(AF_INET6, SOCK_STREAM, 0);
	setsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	int v = 0;
	socklen_t vl = sizeof v;
	getsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &v, &vl);
	CHECK_EQ(v, 1, "v6only_get");
	bind(l, (struct sockaddr *)&any, sizeof any);
	listen(l, 4);
	port = port_of(l);
	CHECK_ERR(tcp_connect(port), ECONNREFUSED, "v6only_refuses_v4");
	b4 = socket(AF_INET, SOCK_STREAM, 0);
	a4 = v4("0.0.0.0", port);
	CHECK_EQ(bind(b4, (struct sockaddr *)&a4, sizeof a4), 0, "v6only_shares_port_with_v4");
	close(b4);
	close(l);
	int s6 = socket(AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 short6 = v6("::1", 0);
	CHECK_ERR(bind(s6, (struct sockaddr *)&short6, 20), EINVAL, "v6_bind_short");
	struct sockaddr_in wrong = v4("127.0.0.1", 0);
	CHECK_ERR(bind(s6, (struct sockaddr *)&wrong, 28), EAFNOSUPPORT, "v6_bind_v4_family");
	close(s6);
}

static void test_udp(void)
{
	char buf[128];
	int r = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = v4("127.0.0.1", 0);
	CHECK_EQ(bind(r, (struct sockaddr *)&a, sizeof a), 0, "udp_bind");
	int port = port_of(r);
	a = v4("127.0.0.1", port);
	int v;
	socklen_t vl = sizeof v;
	getsockopt(r, SOL_SOCKET, SO_PROTOCOL, &v, &vl);
	CHECK_EQ(v, IPPROTO_UDP, "udp_so_protocol");
	CHECK_EQ(pollmask(r), POLLOUT, "udp_poll_idle");
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	CHECK_ERR(send(s, "x", 1, 0), EDESTADDRREQ, "udp_send_edestaddrreq");
	CHECK_EQ(sendto(s, "one", 3, 0, (struct sockaddr *)&a, sizeof a), 3, "udp_sendto");
	struct sockaddr_in sn;
	socklen_t snl = sizeof sn;
	getsockname(s, (struct sockaddr *)&sn, &snl);
	CHECK(sn.sin_port != 0 && sn.sin_addr.s_addr == 0, "udp_autobind_any");
	sendto(s, "two", 3, 0, (struct sockaddr *)&a, sizeof a);
	usleep(10000);
	CHECK_EQ(pollmask(r), POLLIN | POLLOUT, "udp_poll_readable");
	int q = -1;
	CHECK_EQ(ioctl(r, FIONREAD, &q), 0, "udp_fionread");
	CHECK_EQ(q, 3, "udp_fionread_value");
	struct sockaddr_in from;
	socklen_t fl = sizeof from;
	CHECK_EQ(recvfrom(r, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl), 3, "udp_recvfrom");
	CHECK(fl == sizeof from && from.sin_port == sn.sin_port &&
	      ntohl(from.sin_addr.s_addr) == 0x7f000001, "udp_source_address");
	CHECK_EQ(recv(r, buf, 1, MSG_TRUNC), 3, "udp_msg_trunc");
	static char big[70000];
	CHECK_ERR(sendto(s, big, 65508, 0, (struct sockaddr *)&a, sizeof a), EMSGSIZE, "udp_emsgsize");
	CHECK_EQ(sendto(s, big, 65507, 0, (struct sockaddr *)&a, sizeof a), 65507, "udp_max_payload");
	CHECK_EQ(recv(r, big, sizeof big, 0), 65507, "udp_max_payload_recv");
	struct sockaddr_in zero = v4("127.0.0.1", 0);
	CHECK_ERR(sendto(s, "x", 1, 0, (struct sockaddr *)&zero, sizeof zero), EINVAL, "udp_sendto_port_zero");
	CHECK_ERR(listen(s, 1), EOPNOTSUPP, "udp_listen");
	CHECK_ERR(shutdown(s, SHUT_RD), ENOTCONN, "udp_shutdown_unconnected");
	close(s);

	/* Connected UDP: the default destination; a closed port answers ECONNREFUSED later. */
	s = socket(AF_INET, SOCK_DGRAM, 0);
	CHECK_EQ(connect(s, (struct sockaddr *)&a, sizeof a), 0, "udp_connect");
	snl = sizeof sn;
	getsockname(s, (struct sockaddr *)&sn, &snl);
	CHECK_EQ(ntohl(sn.sin_addr.s_addr), 0x7f000001, "udp_connect_sets_source");
	CHECK_EQ(send(s, "c", 1, 0), 1, "udp_send_connected");
	CHECK_EQ(recv(r, buf, sizeof buf, 0), 1, "udp_recv_from_connected");
	struct sockaddr_in un = { .sin_family = AF_UNSPEC };
	CHECK_EQ(connect(s, (struct sockaddr *)&un, sizeof un), 0, "udp_disconnect");
	CHECK_ERR(send(s, "x", 1, 0), EDESTADDRREQ, "udp_disconnected_edestaddrreq");
	struct sockaddr_in gone = v4("127.0.0.1", closed_port(SOCK_DGRAM));
	connect(s, (struct sockaddr *)&gone, sizeof gone);
	CHECK_EQ(send(s, "x", 1, 0), 1, "udp_send_to_closed_port");
	usleep(10000);
	CHECK_EQ(pollmask(s), POLLOUT | POLLERR, "udp_refused_poll");
	CHECK_ERR(send(s, "x", 1, 0), ECONNREFUSED, "udp_then_econnrefused");
	CHECK_ERR(recv(s, buf, 1, MSG_DONTWAIT), EAGAIN, "udp_error_consumed");
	close(s);
	close(r);

	/* IPv6 UDP, and a dual-stack receiver getting an IPv4 datagram. */
	int r6 = socket(AF_INET6, SOCK_DGRAM, 0);
	int zero6 = 0;
	setsockopt(r6, IPPROTO_IPV6, IPV6_V6ONLY, &zero6, sizeof zero6);
	struct sockaddr_in6 any6 = v6("::", 0);
	bind(r6, (struct sockaddr *)&any6, sizeof any6);
	int port6 = port_of(r6);
	int s4 = socket(AF_INET, SOCK_DGRAM, 0);
	a = v4("127.0.0.1", port6);
	sendto(s4, "v4", 2, 0, (struct sockaddr *)&a, sizeof a);
	struct sockaddr_in6 f6;
	socklen_t f6l = sizeof f6;
	CHECK_EQ(recvfrom(r6, buf, sizeof buf, 0, (struct sockaddr *)&f6, &f6l), 2, "udp_dual_stack_recv");
	CHECK(f6l == sizeof f6 && IN6_IS_ADDR_V4MAPPED(&f6.sin6_addr), "udp_dual_stack_v4_mapped_source");
	int s6 = socket(AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 lo6 = v6("::1", port6);
	CHECK_EQ(sendto(s6, "v6", 2, 0, (struct sockaddr *)&lo6, sizeof lo6), 2, "udp_v6_sendto");
	f6l = sizeof f6;
	CHECK_EQ(recvfrom(r6, buf, sizeof buf, 0, (struct sockaddr *)&f6, &f6l), 2, "udp_v6_recv");
	CHECK(IN6_IS_ADDR_LOOPBACK(&f6.sin6_addr), "udp_v6_source_loopback");
	close(s4);
	close(s6);
	close(r6);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_tcp_basics();
	test_tcp_connect_modes();
	test_tcp_ports();
	test_dual_stack();
	test_udp();
	return conf_exit();
}
