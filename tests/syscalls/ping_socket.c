/* ICMP echo ("ping") sockets: socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP) and
 * AF_INET6 + IPPROTO_ICMPV6. Creation follows net.ipv4.ping_group_range:
 * where none of our groups is in it (this host: "1 0") socket() must say
 * EACCES and the rest is skipped; where one is (the sandbox's default,
 * "0 2147483647") the whole file runs: protocol/family mismatches, bind
 * (EINVAL, EAFNOSUPPORT, EADDRNOTAVAIL, the identifier as the port,
 * EADDRINUSE once SO_REUSEADDR, on by default, is cleared; one table for
 * both families), send errors
 * (short, not an echo request, bad code, EDESTADDRREQ, EAFNOSUPPORT,
 * EMSGSIZE, MSG_OOB) and the identifier taken before them, echo on
 * loopback (reply type/code/identifier/sequence/payload/checksum, source =
 * the address pinged, port 0), MSG_PEEK, MSG_TRUNC (the copied length), MSG_DONTWAIT /
 * O_NONBLOCK EAGAIN, SO_RCVTIMEO, poll, IP_RECVTTL, connect/getpeername/
 * disconnect, ICMP_FILTER (raw only), SIOCINQ/SIOCOUTQ (ENOTTY: ping_prot
 * has no ioctl), IPv6 echo with its pseudo-header checksum. */
#include "conformance.h"
#include <arpa/inet.h>
#include <linux/icmp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#ifndef SIOCINQ
#define SIOCINQ FIONREAD
#endif
#ifndef SIOCOUTQ
#define SIOCOUTQ TIOCOUTQ
#endif

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

/* The local port (the echo identifier) of fd. */
static int ident_of(int fd)
{
	struct sockaddr_in6 a;
	socklen_t l = sizeof a;
	if (getsockname(fd, (struct sockaddr *)&a, &l))
		return -1;
	return ntohs(a.sin6_port);     /* sin_port is at the same offset */
}

/* Is one of our groups in /proc/sys/net/ipv4/ping_group_range? */
static int ping_allowed(void)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ping_group_range", "r");
	unsigned long lo = 1, hi = 0;
	if (f) {
		if (fscanf(f, "%lu %lu", &lo, &hi) != 2)
			lo = 1, hi = 0;
		fclose(f);
	}
	gid_t g[256];
	int n = getgroups(256, g);
	if (lo <= getegid() && getegid() <= hi)
		return 1;
	for (int i = 0; i < n; i++)
		if (lo <= g[i] && g[i] <= hi)
			return 1;
	return 0;
}

static uint16_t csum(const void *p, size_t n, uint32_t sum)
{
	const uint8_t *b = p;
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (n & 1)
		sum += (uint32_t)b[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* An echo request: type, code, identifier `id`, sequence `seq`, then payload. */
static size_t echo_msg(uint8_t *buf, int type, int code, int id, int seq, const char *payload)
{
	struct icmphdr h = { .type = type, .code = code };
	h.un.echo.id = htons(id);
	h.un.echo.sequence = htons(seq);
	memcpy(buf, &h, sizeof h);
	size_t n = strlen(payload);
	memcpy(buf + sizeof h, payload, n);
	return sizeof h + n;
}

static int ping4(void)
{
	return socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
}

static void test_refused(void)
{
	CHECK_ERR(socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP), EACCES, "v4_refused_by_group_range");
	CHECK_ERR(socket(AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6), EACCES,
		  "v6_refused_by_group_range");
	printf("skip %s: none of our groups is in net.ipv4.ping_group_range (the rest needs ping sockets)\n",
	       CONF_FILE);
}

static void test_create(void)
{
	int s = ping4();
	CHECK_OK(s, "create_v4");
	int v = 0;
	socklen_t l = sizeof v;
	getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &l);
	CHECK_EQ(v, SOCK_DGRAM, "so_type_dgram");
	getsockopt(s, SOL_SOCKET, SO_PROTOCOL, &v, &l);
	CHECK_EQ(v, IPPROTO_ICMP, "so_protocol_icmp");
	CHECK_EQ(ident_of(s), 0, "no_ident_before_bind");
	close(s);
	s = socket(AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6);
	CHECK_OK(s, "create_v6");
	v = 0;
	getsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &v, &l);
	CHECK_EQ(v, 1, "v6_ping_is_v6only");
	close(s);
	CHECK_ERR(socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMPV6), EPROTONOSUPPORT, "v4_icmpv6_proto");
	CHECK_ERR(socket(AF_INET6, SOCK_DGRAM, IPPROTO_ICMP), EPROTONOSUPPORT, "v6_icmp_proto");
}

static void test_bind(void)
{
	int s = ping4();
	struct sockaddr_in a = v4("127.0.0.1", 0);
	CHECK_ERR(bind(s, (struct sockaddr *)&a, 8), EINVAL, "bind_short");
	struct sockaddr_in b = v4("127.0.0.1", 0);
	b.sin_family = AF_INET6;
	CHECK_ERR(bind(s, (struct sockaddr *)&b, sizeof b), EAFNOSUPPORT, "bind_wrong_family");
	b = v4("127.0.0.1", 0);
	b.sin_family = AF_UNSPEC;
	CHECK_ERR(bind(s, (struct sockaddr *)&b, sizeof b), EAFNOSUPPORT, "bind_unspec_not_any");
	a = v4("192.0.2.1", 0);
	CHECK_ERR(bind(s, (struct sockaddr *)&a, sizeof a), EADDRNOTAVAIL, "bind_nonlocal");
	a = v4("224.0.0.1", 0);
	CHECK_ERR(bind(s, (struct sockaddr *)&a, sizeof a), EADDRNOTAVAIL, "bind_multicast");
	a = v4("127.0.0.1", 40123);
	CHECK_OK(bind(s, (struct sockaddr *)&a, sizeof a), "bind_ident");
	CHECK_EQ(ident_of(s), 40123, "ident_is_port");
	CHECK_ERR(bind(s, (struct sockaddr *)&a, sizeof a), EINVAL, "bind_twice");

	/* SO_REUSEADDR is on from the start (INET_PROTOSW_REUSE): identifiers are shared. */
	int t = ping4(), v = 0, zero = 0;
	socklen_t vl = sizeof v;
	getsockopt(t, SOL_SOCKET, SO_REUSEADDR, &v, &vl);
	CHECK_EQ(v, 1, "reuseaddr_default_on");
	setsockopt(t, SOL_SOCKET, SO_REUSEADDR, &zero, sizeof zero);
	a = v4("0.0.0.0", 40123);
	CHECK_ERR(bind(t, (struct sockaddr *)&a, sizeof a), EADDRINUSE, "ident_in_use");
	int u = socket(AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6);
	setsockopt(u, SOL_SOCKET, SO_REUSEADDR, &zero, sizeof zero);
	struct sockaddr_in6 a6 = v6("::", 40123);
	CHECK_ERR(bind(u, (struct sockaddr *)&a6, sizeof a6), EADDRINUSE, "ident_table_shared_v6");
	CHECK_ERR(bind(u, (struct sockaddr *)&a6, 24), EINVAL, "bind_v6_short");
	a6 = v6("::2", 0);
	CHECK_ERR(bind(u, (struct sockaddr *)&a6, sizeof a6), EADDRNOTAVAIL, "bind_v6_nonlocal");
	a6 = v6("ff02::1", 0);
	CHECK_ERR(bind(u, (struct sockaddr *)&a6, sizeof a6), EINVAL, "bind_v6_multicast");
	a6 = v6("::1", 0);
	CHECK_OK(bind(u, (struct sockaddr *)&a6, sizeof a6), "bind_v6_loopback_any_ident");
	CHECK(ident_of(u) > 0, "bind_zero_picks_ident");
	close(u);
	close(t);
	close(s);

	/* Both with the default SO_REUSEADDR: the identifier is shared. */
	int r1 = ping4(), r2 = socket(AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6);
	a = v4("127.0.0.1", 40124);
	CHECK_OK(bind(r1, (struct sockaddr *)&a, sizeof a), "reuse_bind_first");
	a6 = v6("::1", 40124);
	CHECK_OK(bind(r2, (struct sockaddr *)&a6, sizeof a6), "reuse_bind_second");
	close(r1);
	close(r2);
}

static void test_send_errors(void)
{
	int s = ping4();
	uint8_t m[70000];
	struct sockaddr_in to = v4("127.0.0.1", 0);
	size_t n = echo_msg(m, ICMP_ECHO, 0, 1, 1, "x");
	CHECK_ERR(sendto(s, m, 4, 0, (struct sockaddr *)&to, sizeof to), EINVAL, "send_short");
	/* inet_send_prepare: the identifier was taken before the checks. */
	CHECK(ident_of(s) > 0, "ident_taken_by_failed_send");
	n = echo_msg(m, ICMP_ECHOREPLY, 0, 1, 1, "x");
	CHECK_ERR(sendto(s, m, n, 0, (struct sockaddr *)&to, sizeof to), EINVAL, "send_reply_type");
	n = echo_msg(m, ICMP_ECHO, 1, 1, 1, "x");
	CHECK_ERR(sendto(s, m, n, 0, (struct sockaddr *)&to, sizeof to), EINVAL, "send_bad_code");
	n = echo_msg(m, ICMP_ECHO, 0, 1, 1, "x");
	CHECK_ERR(send(s, m, n, 0), EDESTADDRREQ, "send_unconnected");
	CHECK_ERR(sendto(s, m, n, 0, (struct sockaddr *)&to, 8), EINVAL, "send_short_name");
	struct sockaddr_in bad = to;
	bad.sin_family = AF_INET6;
	CHECK_ERR(sendto(s, m, n, 0, (struct sockaddr *)&bad, sizeof bad), EAFNOSUPPORT,
		  "send_wrong_family");
	bad.sin_family = AF_UNSPEC;
	CHECK_ERR(sendto(s, m, n, 0, (struct sockaddr *)&bad, sizeof bad), EAFNOSUPPORT,
		  "send_unspec_family");
	CHECK_ERR(sendto(s, m, n, MSG_OOB, (struct sockaddr *)&to, sizeof to), EOPNOTSUPP,
		  "send_oob");
	memset(m + 8, 'p', sizeof m - 8);
	CHECK_ERR(sendto(s, m, 65536, 0, (struct sockaddr *)&to, sizeof to), EMSGSIZE,
		  "send_over_64k");
	CHECK_ERR(sendto(s, m, 65516, 0, (struct sockaddr *)&to, sizeof to), EMSGSIZE,
		  "send_over_ip_packet");
	to = v4("127.255.255.255", 0);
	CHECK_ERR(sendto(s, m, n, 0, (struct sockaddr *)&to, sizeof to), EACCES,
		  "send_broadcast_needs_so_broadcast");
	int v = 1;
	CHECK_ERR(setsockopt(s, SOL_RAW, ICMP_FILTER, &v, sizeof v), ENOPROTOOPT,
		  "icmp_filter_is_raw_only");
	CHECK_ERR(ioctl(s, SIOCINQ, &v), ENOTTY, "siocinq_enotty");
	CHECK_ERR(ioctl(s, SIOCOUTQ, &v), ENOTTY, "siocoutq_enotty");
	CHECK_ERR(recv(s, m, sizeof m, MSG_OOB), EOPNOTSUPP, "recv_oob");
	CHECK_ERR(recv(s, m, sizeof m, MSG_ERRQUEUE), EAGAIN, "recv_errqueue_empty");
	close(s);
}

/* Receive one reply on s and check it answers (seq, payload) from `from`. */
static void check_reply(int s, int seq, const char *payload, const char *from, const char *tag)
{
	uint8_t r[256];
	char name[96];
	struct sockaddr_in src;
	socklen_t sl = sizeof src;
	memset(&src, 0xff, sizeof src);
	ssize_t n = recvfrom(s, r, sizeof r, 0, (struct sockaddr *)&src, &sl);
	snprintf(name, sizeof name, "%s_reply_len", tag);
	CHECK_EQ(n, (long)(8 + strlen(payload)), name);
	if (n < 8)
		return;
	struct icmphdr h;
	memcpy(&h, r, sizeof h);
	snprintf(name, sizeof name, "%s_reply_type_code", tag);
	CHECK_EQ(h.type << 8 | h.code, ICMP_ECHOREPLY << 8, name);
	snprintf(name, sizeof name, "%s_reply_id_is_ident", tag);
	CHECK_EQ(ntohs(h.un.echo.id), ident_of(s), name);
	snprintf(name, sizeof name, "%s_reply_seq", tag);
	CHECK_EQ(ntohs(h.un.echo.sequence), seq, name);
	snprintf(name, sizeof name, "%s_reply_payload", tag);
	CHECK(memcmp(r + 8, payload, strlen(payload)) == 0, name);
	snprintf(name, sizeof name, "%s_reply_checksum", tag);
	CHECK_EQ(csum(r, (size_t)n, 0), 0, name);
	char ip[32];
	inet_ntop(AF_INET, &src.sin_addr, ip, sizeof ip);
	snprintf(name, sizeof name, "%s_reply_source", tag);
	CHECK_STR(ip, from, name);
	snprintf(name, sizeof name, "%s_reply_port_and_len", tag);
	CHECK_EQ(ntohs(src.sin_port) << 8 | sl, sizeof src, name);
}

static void test_echo(void)
{
	int s = ping4();
	uint8_t m[128];
	struct sockaddr_in to = v4("127.0.0.1", 0);
	size_t n = echo_msg(m, ICMP_ECHO, 0, 0x1234, 7, "hello, echo");
	CHECK_EQ(sendto(s, m, n, 0, (struct sockaddr *)&to, sizeof to), (long)n, "send_echo");
	CHECK(ident_of(s) > 0 && ident_of(s) != 0x1234, "send_autobinds_own_ident");
	check_reply(s, 7, "hello, echo", "127.0.0.1", "lo");

	/* The reply comes from the address pinged; 0.0.0.0 is this host. */
	to = v4("127.0.0.5", 0);
	n = echo_msg(m, ICMP_ECHO, 0, 0, 8, "five");
	sendto(s, m, n, 0, (struct sockaddr *)&to, sizeof to);
	check_reply(s, 8, "five", "127.0.0.5", "lo5");
	to = v4("0.0.0.0", 0);
	n = echo_msg(m, ICMP_ECHO, 0, 0, 9, "zero");
	sendto(s, m, n, 0, (struct sockaddr *)&to, sizeof to);
	check_reply(s, 9, "zero", "127.0.0.1", "any");

	/* MSG_PEEK leaves it; MSG_TRUNC tells the real length. */
	to = v4("127.0.0.1", 0);
	n = echo_msg(m, ICMP_ECHO, 0, 0, 10, "peek");
	sendto(s, m, n, 0, (struct sockaddr *)&to, sizeof to);
	uint8_t r[64];
	CHECK_EQ(recv(s, r, sizeof r, MSG_PEEK), (long)n, "peek_len");
	/* ping_recvmsg: MSG_TRUNC returns what was copied, unlike UDP. */
	CHECK_EQ(recv(s, r, 4, MSG_TRUNC), 4, "trunc_returns_copied");
	CHECK_ERR(recv(s, r, sizeof r, MSG_DONTWAIT), EAGAIN, "dontwait_empty");
	struct pollfd p = { s, POLLIN | POLLOUT, 0 };
	CHECK_EQ(poll(&p, 1, 0), 1, "poll_ready");
	CHECK_EQ(p.revents, POLLOUT, "poll_writable_not_readable");
	n = echo_msg(m, ICMP_ECHO, 0, 0, 11, "poll");
	sendto(s, m, n, 0, (struct sockaddr *)&to, sizeof to);
	p.revents = 0;
	poll(&p, 1, 1000);
	CHECK_EQ(p.revents, POLLIN | POLLOUT, "poll_readable_after_reply");
	recv(s, r, sizeof r, 0);

	/* SO_RCVTIMEO: EAGAIN after the timeout. */
	struct timeval tv = { 0, 100000 };
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_ERR(recv(s, r, sizeof r, 0), EAGAIN, "rcvtimeo_eagain");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double dt = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	CHECK(dt >= 0.09 && dt < 2, "rcvtimeo_waited");

	/* IP_RECVTTL: the reply's TTL, 64. */
	int one = 1;
	setsockopt(s, IPPROTO_IP, IP_RECVTTL, &one, sizeof one);
	n = echo_msg(m, ICMP_ECHO, 0, 0, 12, "ttl");
	sendto(s, m, n, 0, (struct sockaddr *)&to, sizeof to);
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { r, sizeof r };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			     .msg_controllen = sizeof cbuf };
	CHECK_EQ(recvmsg(s, &mh, 0), (long)n, "recvttl_len");
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	int ttl = -1;
	if (c && c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL)
		memcpy(&ttl, CMSG_DATA(c), sizeof ttl);
	CHECK_EQ(ttl, 64, "recvttl_64");
	close(s);

	/* O_NONBLOCK. */
	s = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, IPPROTO_ICMP);
	CHECK_ERR(recv(s, r, sizeof r, 0), EAGAIN, "nonblock_empty");
	close(s);
}

static void test_bound_and_connected(void)
{
	/* A socket bound to 127.0.0.1 with its own identifier gets its replies. */
	int s = ping4();
	struct sockaddr_in a = v4("127.0.0.1", 40200);
	bind(s, (struct sockaddr *)&a, sizeof a);
	uint8_t m[64];
	struct sockaddr_in to = v4("127.0.0.3", 0);
	size_t n = echo_msg(m, ICMP_ECHO, 0, 99, 1, "bound");
	CHECK_EQ(sendto(s, m, n, 0, (struct sockaddr *)&to, sizeof to), (long)n, "bound_send");
	check_reply(s, 1, "bound", "127.0.0.3", "bound");
	close(s);

	s = ping4();
	to = v4("127.0.0.1", 0);
	CHECK_OK(connect(s, (struct sockaddr *)&to, sizeof to), "connect");
	int id = ident_of(s);
	CHECK(id > 0, "connect_autobinds");
	struct sockaddr_in me;
	socklen_t l = sizeof me;
	getsockname(s, (struct sockaddr *)&me, &l);
	CHECK_EQ(ntohl(me.sin_addr.s_addr), 0x7f000001, "connect_sets_source");
	struct sockaddr_in peer;
	l = sizeof peer;
	CHECK_ERR(getpeername(s, (struct sockaddr *)&peer, &l), ENOTCONN,
		  "getpeername_port0_enotconn");
	n = echo_msg(m, ICMP_ECHO, 0, 0, 2, "conn");
	CHECK_EQ(send(s, m, n, 0), (long)n, "connected_send");
	check_reply(s, 2, "conn", "127.0.0.1", "conn");
	to = v4("127.0.0.1", 77);
	connect(s, (struct sockaddr *)&to, sizeof to);
	l = sizeof peer;
	CHECK_OK(getpeername(s, (struct sockaddr *)&peer, &l), "getpeername_with_port");
	CHECK_EQ(ntohs(peer.sin_port), 77, "getpeername_port");
	struct sockaddr un = { .sa_family = AF_UNSPEC };
	CHECK_OK(connect(s, &un, sizeof un), "disconnect");
	CHECK_EQ(ident_of(s), 0, "disconnect_drops_auto_ident");
	CHECK_ERR(send(s, m, n, 0), EDESTADDRREQ, "send_after_disconnect");
	struct sockaddr_in6 w = v6("::1", 0);
	CHECK_ERR(connect(s, (struct sockaddr *)&w, sizeof w), EAFNOSUPPORT, "connect_wrong_family");
	CHECK_ERR(connect(s, (struct sockaddr *)&to, 8), EINVAL, "connect_short");
	close(s);
}

static void test_v6(void)
{
	int s = socket(AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6);
	uint8_t m[64], r[64];
	struct icmphdr h = { .type = 128 };     /* ICMPV6_ECHO_REQUEST */
	h.un.echo.sequence = htons(5);
	memcpy(m, &h, sizeof h);
	memcpy(m + 8, "six", 3);
	struct sockaddr_in6 to = v6("::1", 0);
	CHECK_ERR(sendto(s, m, 11, 0, (struct sockaddr *)&to, 24), EINVAL, "v6_send_short_name");
	struct sockaddr_in6 mapped = v6("::ffff:127.0.0.1", 0);
	CHECK_ERR(sendto(s, m, 11, 0, (struct sockaddr *)&mapped, sizeof mapped), EINVAL,
		  "v6_send_mapped");
	m[0] = ICMP_ECHO;
	CHECK_ERR(sendto(s, m, 11, 0, (struct sockaddr *)&to, sizeof to), EINVAL, "v6_send_v4_type");
	m[0] = 128;
	CHECK_EQ(sendto(s, m, 11, 0, (struct sockaddr *)&to, sizeof to), 11, "v6_send_echo");
	struct sockaddr_in6 src;
	socklen_t sl = sizeof src;
	CHECK_EQ(recvfrom(s, r, sizeof r, 0, (struct sockaddr *)&src, &sl), 11, "v6_reply_len");
	CHECK_EQ(r[0] << 8 | r[1], 129 << 8, "v6_reply_type_code");
	uint16_t id;
	memcpy(&id, r + 4, 2);
	CHECK_EQ(ntohs(id), ident_of(s), "v6_reply_ident");
	CHECK(memcmp(r + 8, "six", 3) == 0, "v6_reply_payload");
	CHECK(IN6_IS_ADDR_LOOPBACK(&src.sin6_addr) && src.sin6_port == 0, "v6_reply_source");
	/* The ICMPv6 checksum covers the pseudo-header ::1 -> ::1, length 11, next header 58. */
	uint8_t ph[40] = { 0 };
	ph[15] = 1;
	ph[31] = 1;
	ph[35] = 11;
	ph[39] = 58;
	uint32_t sum = 0;
	for (int i = 0; i < 40; i += 2)
		sum += (uint32_t)(ph[i] << 8 | ph[i + 1]);
	CHECK_EQ(csum(r, 11, sum), 0, "v6_reply_checksum");
	close(s);
}

int main(void)
{
	if (!ping_allowed()) {
		test_refused();
		return conf_exit();
	}
	test_create();
	test_bind();
	test_send_errors();
	test_echo();
	test_bound_and_connected();
	test_v6();
	return conf_exit();
}
