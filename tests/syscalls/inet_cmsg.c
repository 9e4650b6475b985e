/* IP-level options and control messages on loopback UDP: IP_PKTINFO,
 * IP_RECVTTL, IP_RECVTOS, IP_RECVORIGDSTADDR on receive (in Linux's
 * order), IP_TTL / IP_TOS socket options and sendmsg cmsgs, IP_PKTINFO on
 * send; IPv6's RFC 3542 set (IPV6_RECVPKTINFO, IPV6_RECVHOPLIMIT,
 * IPV6_RECVTCLASS, IPV6_RECVORIGDSTADDR, IPV6_UNICAST_HOPS, IPV6_TCLASS,
 * IPV6_HOPLIMIT / IPV6_TCLASS / IPV6_PKTINFO cmsgs), IPv4 datagrams on a
 * dual-stack socket, MSG_CTRUNC and MSG_PEEK, and the EINVAL/ENODEV
 * checks of bad cmsgs. */
#include "conformance.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

struct got {
	int n;                         /* cmsgs seen */
	int level[8], type[8];
	size_t len[8];
	unsigned char data[8][64];
	int flags;
	ssize_t rc;
};

static void recv_cmsgs(int fd, size_t ctlcap, int flags, struct got *g)
{
	char buf[64];
	union {
		char b[512];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { buf, sizeof buf };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctlcap ? ctl.b : NULL,
			     .msg_controllen = ctlcap };
	memset(g, 0, sizeof(*g));
	memset(ctl.b, 0, sizeof ctl.b);
	g->rc = recvmsg(fd, &mh, flags);
	g->flags = mh.msg_flags;
	if (g->rc < 0)
		return;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c && g->n < 8; c = CMSG_NXTHDR(&mh, c)) {
		g->level[g->n] = c->cmsg_level;
		g->type[g->n] = c->cmsg_type;
		g->len[g->n] = c->cmsg_len;
		size_t dl = c->cmsg_len - CMSG_LEN(0);
		memcpy(g->data[g->n], CMSG_DATA(c), dl < 64 ? dl : 64);
		g->n++;
	}
}

static int int_at(const struct got *g, int i)
{
	int v;
	memcpy(&v, g->data[i], sizeof v);
	return v;
}

/* sendmsg of "hi" to dst with one or two cmsgs (level, type, data of len bytes). */
static ssize_t send_cmsg(int fd, const void *dst, socklen_t dlen, int level, int type,
			 const void *data, size_t len, int level2, int type2, const void *data2,
			 size_t len2)
{
	union {
		char b[256];
		struct cmsghdr align;
	} ctl;
	memset(ctl.b, 0, sizeof ctl.b);
	struct iovec iov = { "hi", 2 };
	struct msghdr mh = { .msg_name = (void *)dst, .msg_namelen = dlen, .msg_iov = &iov,
			     .msg_iovlen = 1, .msg_control = ctl.b };
	struct cmsghdr *c = (struct cmsghdr *)ctl.b;
	c->cmsg_level = level;
	c->cmsg_type = type;
	c->cmsg_len = CMSG_LEN(len);
	memcpy(CMSG_DATA(c), data, len);
	mh.msg_controllen = CMSG_SPACE(len);
	if (data2) {
		c = (struct cmsghdr *)(ctl.b + CMSG_SPACE(len));
		c->cmsg_level = level2;
		c->cmsg_type = type2;
		c->cmsg_len = CMSG_LEN(len2);
		memcpy(CMSG_DATA(c), data2, len2);
		mh.msg_controllen += CMSG_SPACE(len2);
	}
	return sendmsg(fd, &mh, 0);
}

static int getint(int fd, int level, int name)
{
	int v = -12345;
	socklen_t l = sizeof v;
	if (getsockopt(fd, level, name, &v, &l))
		return -12345;
	return v;
}

static int setint(int fd, int level, int name, int v)
{
	return setsockopt(fd, level, name, &v, sizeof v);
}

static void test_ipv4(void)
{
	int r = socket(AF_INET, SOCK_DGRAM, 0), s = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001) };
	SETUP(bind(r, (struct sockaddr *)&a, sizeof a));
	socklen_t al = sizeof a;
	SETUP(getsockname(r, (struct sockaddr *)&a, &al));
	struct got g;

	/* Nothing asked: no control messages. */
	SETUP(sendto(s, "hi", 2, 0, (struct sockaddr *)&a, sizeof a));
	recv_cmsgs(r, 512, 0, &g);
	CHECK(g.rc == 2 && g.n == 0 && !(g.flags & MSG_CTRUNC), "v4_no_cmsgs");

	CHECK_EQ(getint(r, IPPROTO_IP, IP_PKTINFO), 0, "v4_pktinfo_default");
	CHECK_EQ(getint(s, IPPROTO_IP, IP_TTL), 64, "v4_ttl_default");
	CHECK_EQ(getint(s, IPPROTO_IP, IP_TOS), 0, "v4_tos_default");
	CHECK_EQ(setint(r, IPPROTO_IP, IP_PKTINFO, 1), 0, "v4_set_pktinfo");
	CHECK_EQ(setint(r, IPPROTO_IP, IP_RECVTTL, 1), 0, "v4_set_recvttl");
	CHECK_EQ(setint(r, IPPROTO_IP, IP_RECVTOS, 1), 0, "v4_set_recvtos");
	CHECK_EQ(setint(r, IPPROTO_IP, IP_RECVORIGDSTADDR, 1), 0, "v4_set_recvorigdstaddr");
	CHECK_EQ(getint(r, IPPROTO_IP, IP_PKTINFO), 1, "v4_pktinfo_get");
	CHECK_EQ(getint(r, IPPROTO_IP, IP_RECVTOS), 1, "v4_recvtos_get");

	/* Defaults: TTL 64, TOS 0; order PKTINFO, TTL, TOS, ORIGDSTADDR. */
	SETUP(sendto(s, "hi", 2, 0, (struct sockaddr *)&a, sizeof a));
	recv_cmsgs(r, 512, 0, &g);
	if (CHECK_EQ(g.n, 4, "v4_four_cmsgs")) {
		struct in_pktinfo pi;
		memcpy(&pi, g.data[0], sizeof pi);
		CHECK(g.level[0] == IPPROTO_IP && g.type[0] == IP_PKTINFO &&
		      g.len[0] == CMSG_LEN(sizeof pi), "v4_pktinfo_cmsg");
		CHECK(pi.ipi_ifindex == 1 && ntohl(pi.ipi_addr.s_addr) == 0x7f000001 &&
		      ntohl(pi.ipi_spec_dst.s_addr) == 0x7f000001, "v4_pktinfo_value");
		CHECK(g.type[1] == IP_TTL && g.len[1] == CMSG_LEN(sizeof(int)) &&
		      int_at(&g, 1) == 64, "v4_ttl_cmsg_default");
		CHECK(g.type[2] == IP_TOS && g.len[2] == CMSG_LEN(1) && g.data[2][0] == 0,
		      "v4_tos_cmsg_one_byte");
		struct sockaddr_in od;
		memcpy(&od, g.data[3], sizeof od);
		CHECK(g.type[3] == IP_ORIGDSTADDR && g.len[3] == CMSG_LEN(sizeof od) &&
		      od.sin_family == AF_INET && od.sin_port == a.sin_port &&
		      ntohl(od.sin_addr.s_addr) == 0x7f000001, "v4_origdstaddr_cmsg");
	}

	/* Socket options shape the datagram. */
	CHECK_EQ(setint(s, IPPROTO_IP, IP_TTL, 7), 0, "v4_set_ttl");
	CHECK_EQ(setint(s, IPPROTO_IP, IP_TOS, 0x10), 0, "v4_set_tos");
	CHECK_EQ(getint(s, IPPROTO_IP, IP_TOS), 0x10, "v4_tos_get");
	CHECK_ERR(setint(s, IPPROTO_IP, IP_TTL, 0), EINVAL, "v4_set_ttl_zero");
	CHECK_ERR(setint(s, IPPROTO_IP, IP_TTL, 256), EINVAL, "v4_set_ttl_256");
	SETUP(sendto(s, "hi", 2, 0, (struct sockaddr *)&a, sizeof a));
	recv_cmsgs(r, 512, MSG_PEEK, &g);
	CHECK(g.n == 4 && int_at(&g, 1) == 7 && g.data[2][0] == 0x10, "v4_sockopt_peek");
	recv_cmsgs(r, 512, 0, &g);
	CHECK(g.n == 4 && int_at(&g, 1) == 7 && g.data[2][0] == 0x10, "v4_sockopt_values");
	CHECK_EQ(setint(s, IPPROTO_IP, IP_TTL, -1), 0, "v4_set_ttl_default");
	CHECK_EQ(getint(s, IPPROTO_IP, IP_TTL), 64, "v4_ttl_back_to_default");

	/* sendmsg cmsgs override them: IP_TTL int, IP_TOS int or one byte. */
	int ttl = 3, tos = 0x20;
	unsigned char tos1 = 0x44;
	CHECK_EQ(send_cmsg(s, &a, sizeof a, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl, IPPROTO_IP,
			   IP_TOS, &tos, sizeof tos), 2, "v4_send_ttl_tos_cmsg");
	recv_cmsgs(r, 512, 0, &g);
	CHECK(g.n == 4 && int_at(&g, 1) == 3 && g.data[2][0] == 0x20, "v4_cmsg_values");
	CHECK_EQ(send_cmsg(s, &a, sizeof a, IPPROTO_IP, IP_TOS, &tos1, 1, 0, 0, NULL, 0), 2,
		 "v4_send_tos_byte");
	recv_cmsgs(r, 512, 0, &g);
	CHECK(g.n == 4 && int_at(&g, 1) == 64 && g.data[2][0] == 0x44, "v4_tos_byte_value");
	ttl = 0;
	CHECK_ERR(send_cmsg(s, &a, sizeof a, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl, 0, 0, NULL, 0),
		  EINVAL, "v4_send_ttl_zero");
	CHECK_ERR(send_cmsg(s, &a, sizeof a, IPPROTO_IP, IP_TTL, &tos1, 1, 0, 0, NULL, 0),
		  EINVAL, "v4_send_ttl_short");
	tos = 256;
	CHECK_ERR(send_cmsg(s, &a, sizeof a, IPPROTO_IP, IP_TOS, &tos, sizeof tos, 0, 0, NULL, 0),
		  EINVAL, "v4_send_tos_256");
	CHECK_ERR(send_cmsg(s, &a, sizeof a, IPPROTO_IP, 99, &tos, sizeof tos, 0, 0, NULL, 0),
		  EINVAL, "v4_send_unknown_type");
	CHECK_EQ(send_cmsg(s, &a, sizeof a, IPPROTO_IPV6, IPV6_HOPLIMIT, &tos, sizeof tos, 0, 0,
			   NULL, 0), 2, "v4_send_ipv6_cmsg_ignored");
	recv_cmsgs(r, 512, 0, &g);
	CHECK(g.rc == 2 && int_at(&g, 1) == 64, "v4_ipv6_cmsg_no_effect");

	/* IP_PKTINFO on send: a local source is taken, others ENETUNREACH, no such ifindex ENODEV. */
	struct in_pktinfo pi = { .ipi_spec_dst.s_addr = htonl(0x7f000001) };
	CHECK_EQ(send_cmsg(s, &a, sizeof a, IPPROTO_IP, IP_PKTINFO, &pi, sizeof pi, 0, 0, NULL, 0),
		 2, "v4_send_pktinfo");
	recv_cmsgs(r, 512, 0, &g);
	CHECK(g.rc == 2, "v4_send_pktinfo_recv");
	pi.ipi_spec_dst.s_addr = htonl(0xc0000201);
	CHECK_ERR(send_cmsg(s, &a, sizeof a, IPPROTO_IP, IP_PKTINFO, &pi, sizeof pi, 0, 0, NULL, 0),
		  ENETUNREACH, "v4_send_pktinfo_foreign_source");
	pi.ipi_spec_dst.s_addr = 0;
	pi.ipi_ifindex = 999;
	CHECK_ERR(send_cmsg(s, &a, sizeof a, IPPROTO_IP, IP_PKTINFO, &pi, sizeof pi, 0, 0, NULL, 0),
		  ENODEV, "v4_send_pktinfo_bad_ifindex");
	CHECK_ERR(send_cmsg(s, &a, sizeof a, IPPROTO_IP, IP_PKTINFO, &pi, sizeof pi - 1, 0, 0,
			    NULL, 0), EINVAL, "v4_send_pktinfo_short");

	/* Truncation: room for the first cmsg only. */
	SETUP(sendto(s, "hi", 2, 0, (struct sockaddr *)&a, sizeof a));
	recv_cmsgs(r, CMSG_SPACE(sizeof(struct in_pktinfo)) + 4, 0, &g);
	CHECK(g.n == 1 && g.type[0] == IP_PKTINFO && (g.flags & MSG_CTRUNC), "v4_ctrunc");
	SETUP(sendto(s, "hi", 2, 0, (struct sockaddr *)&a, sizeof a));
	recv_cmsgs(r, 0, 0, &g);
	CHECK(g.rc == 2 && g.n == 0 && (g.flags & MSG_CTRUNC), "v4_no_buffer_ctrunc");
	close(r);
	close(s);
}

static void test_ipv6(void)
{
	int r = socket(AF_INET6, SOCK_DGRAM, 0), s = socket(AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	SETUP(bind(r, (struct sockaddr *)&a, sizeof a));
	socklen_t al = sizeof a;
	SETUP(getsockname(r, (struct sockaddr *)&a, &al));
	struct got g;

	CHECK_EQ(getint(s, IPPROTO_IPV6, IPV6_UNICAST_HOPS), 64, "v6_hops_default");
	CHECK_EQ(getint(s, IPPROTO_IPV6, IPV6_MULTICAST_HOPS), 1, "v6_mcast_hops_default");
	CHECK_EQ(getint(s, IPPROTO_IPV6, IPV6_TCLASS), 0, "v6_tclass_default");
	CHECK_EQ(setint(r, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1), 0, "v6_set_recvpktinfo");
	CHECK_EQ(setint(r, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1), 0, "v6_set_recvhoplimit");
	CHECK_EQ(setint(r, IPPROTO_IPV6, IPV6_RECVTCLASS, 1), 0, "v6_set_recvtclass");
	CHECK_EQ(setint(r, IPPROTO_IPV6, IPV6_RECVORIGDSTADDR, 1), 0, "v6_set_recvorigdstaddr");
	CHECK_EQ(getint(r, IPPROTO_IPV6, IPV6_RECVHOPLIMIT), 1, "v6_recvhoplimit_get");
	char one = 1;
	CHECK_ERR(setsockopt(r, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, 1), EINVAL,
		  "v6_recvhoplimit_short");

	/* Order PKTINFO, HOPLIMIT, TCLASS, ORIGDSTADDR; defaults 64 and 0. */
	SETUP(sendto(s, "hi", 2, 0, (struct sockaddr *)&a, sizeof a));
	recv_cmsgs(r, 512, 0, &g);
	if (CHECK_EQ(g.n, 4, "v6_four_cmsgs")) {
		struct in6_pktinfo pi;
		memcpy(&pi, g.data[0], sizeof pi);
		CHECK(g.level[0] == IPPROTO_IPV6 && g.type[0] == IPV6_PKTINFO &&
		      g.len[0] == CMSG_LEN(sizeof pi) && pi.ipi6_ifindex == 1 &&
		      IN6_IS_ADDR_LOOPBACK(&pi.ipi6_addr), "v6_pktinfo_cmsg");
		CHECK(g.type[1] == IPV6_HOPLIMIT && g.len[1] == CMSG_LEN(sizeof(int)) &&
		      int_at(&g, 1) == 64, "v6_hoplimit_cmsg_default");
		CHECK(g.type[2] == IPV6_TCLASS && g.len[2] == CMSG_LEN(sizeof(int)) &&
		      int_at(&g, 2) == 0, "v6_tclass_cmsg_default");
		struct sockaddr_in6 od;
		memcpy(&od, g.data[3], sizeof od);
		CHECK(g.type[3] == IPV6_ORIGDSTADDR && g.len[3] == CMSG_LEN(sizeof od) &&
		      od.sin6_family == AF_INET6 && od.sin6_port == a.sin6_port &&
		      IN6_IS_ADDR_LOOPBACK(&od.sin6_addr), "v6_origdstaddr_cmsg");
	}

	/* Socket options. */
	CHECK_EQ(setint(s, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 9), 0, "v6_set_hops");
	CHECK_EQ(setint(s, IPPROTO_IPV6, IPV6_TCLASS, 0x28), 0, "v6_set_tclass");
	CHECK_ERR(setint(s, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 256), EINVAL, "v6_set_hops_256");
	CHECK_ERR(setint(s, IPPROTO_IPV6, IPV6_TCLASS, -2), EINVAL, "v6_set_tclass_minus2");
	CHECK_EQ(getint(s, IPPROTO_IPV6, IPV6_UNICAST_HOPS), 9, "v6_hops_get");
	CHECK_EQ(getint(s, IPPROTO_IPV6, IPV6_TCLASS), 0x28, "v6_tclass_get");
	SETUP(sendto(s, "hi", 2, 0, (struct sockaddr *)&a, sizeof a));
	recv_cmsgs(r, 512, 0, &g);
	CHECK(g.n == 4 && int_at(&g, 1) == 9 && int_at(&g, 2) == 0x28, "v6_sockopt_values");

	/* Cmsgs: IPV6_HOPLIMIT and IPV6_TCLASS, -1 meaning the socket's. */
	int hl = 2, tc = 5;
	CHECK_EQ(send_cmsg(s, &a, sizeof a, IPPROTO_IPV6, IPV6_TCLASS, &tc, sizeof tc,
			   IPPROTO_IPV6, IPV6_HOPLIMIT, &hl, sizeof hl), 2, "v6_send_cmsgs");
	recv_cmsgs(r, 512, 0, &g);
	CHECK(g.n == 4 && int_at(&g, 1) == 2 && int_at(&g, 2) == 5, "v6_cmsg_values");
	hl = -1;
	CHECK_EQ(send_cmsg(s, &a, sizeof a, IPPROTO_IPV6, IPV6_HOPLIMIT, &hl, sizeof hl, 0, 0,
			   NULL, 0), 2, "v6_send_hoplimit_minus1");
	recv_cmsgs(r, 512, 0, &g);
	CHECK(g.n == 4 && int_at(&g, 1) == 9, "v6_hoplimit_minus1_value");
	hl = 256;
	CHECK_ERR(send_cmsg(s, &a, sizeof a, IPPROTO_IPV6, IPV6_HOPLIMIT, &hl, sizeof hl, 0, 0,
			    NULL, 0), EINVAL, "v6_send_hoplimit_256");
	char odd[5] = { 0 };
	CHECK_ERR(send_cmsg(s, &a, sizeof a, IPPROTO_IPV6, IPV6_TCLASS, odd, sizeof odd, 0, 0,
			    NULL, 0), EINVAL, "v6_send_tclass_odd_size");
	CHECK_ERR(send_cmsg(s, &a, sizeof a, IPPROTO_IPV6, 99, &tc, sizeof tc, 0, 0, NULL, 0),
		  EINVAL, "v6_send_unknown_type");
	CHECK_EQ(send_cmsg(s, &a, sizeof a, IPPROTO_IP, IP_TTL, &tc, sizeof tc, 0, 0, NULL, 0), 2,
		 "v6_send_ip_cmsg_ignored");
	recv_cmsgs(r, 512, 0, &g);
	CHECK(g.n == 4 && int_at(&g, 1) == 9, "v6_ip_cmsg_no_effect");

	/* IPV6_PKTINFO on send. */
	struct in6_pktinfo pi = { .ipi6_addr = IN6ADDR_LOOPBACK_INIT };
	CHECK_EQ(send_cmsg(s, &a, sizeof a, IPPROTO_IPV6, IPV6_PKTINFO, &pi, sizeof pi, 0, 0, NULL,
			   0), 2, "v6_send_pktinfo");
	recv_cmsgs(r, 512, 0, &g);
	CHECK(g.rc == 2, "v6_send_pktinfo_recv");
	inet_pton(AF_INET6, "2001:db8::1", &pi.ipi6_addr);
	CHECK_ERR(send_cmsg(s, &a, sizeof a, IPPROTO_IPV6, IPV6_PKTINFO, &pi, sizeof pi, 0, 0,
			    NULL, 0), EINVAL, "v6_send_pktinfo_foreign_source");
	pi.ipi6_addr = in6addr_any;
	pi.ipi6_ifindex = 999;
	CHECK_ERR(send_cmsg(s, &a, sizeof a, IPPROTO_IPV6, IPV6_PKTINFO, &pi, sizeof pi, 0, 0,
			    NULL, 0), ENODEV, "v6_send_pktinfo_bad_ifindex");

	/* The RFC 3542 truncation cases: a header does not fit, or the second cmsg. */
	SETUP(sendto(s, "hi", 2, 0, (struct sockaddr *)&a, sizeof a));
	recv_cmsgs(r, CMSG_LEN(0) - 1, 0, &g);
	CHECK(g.rc == 2 && g.n == 0 && (g.flags & MSG_CTRUNC), "v6_ctrunc_no_header");
	SETUP(sendto(s, "hi", 2, 0, (struct sockaddr *)&a, sizeof a));
	recv_cmsgs(r, CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_LEN(0) + 1, 0, &g);
	CHECK(g.n == 2 && g.type[1] == IPV6_HOPLIMIT && g.len[1] == CMSG_LEN(0) + 1 &&
	      (g.flags & MSG_CTRUNC), "v6_ctrunc_in_data");
	close(s);

	/* An IPv4 datagram on a dual-stack socket: IPV6_PKTINFO (mapped), no hop limit; IP_RECVTTL works. */
	int d = socket(AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 any = { .sin6_family = AF_INET6 };
	SETUP(bind(d, (struct sockaddr *)&any, sizeof any));
	al = sizeof any;
	SETUP(getsockname(d, (struct sockaddr *)&any, &al));
	SETUP(setint(d, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1));
	SETUP(setint(d, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1));
	CHECK_EQ(setint(d, IPPROTO_IP, IP_RECVTTL, 1), 0, "dual_set_ip_recvttl");
	int s4 = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = any.sin6_port,
				  .sin_addr.s_addr = htonl(0x7f000001) };
	SETUP(setint(s4, IPPROTO_IP, IP_TTL, 33));
	SETUP(sendto(s4, "hi", 2, 0, (struct sockaddr *)&to, sizeof to));
	recv_cmsgs(d, 512, 0, &g);
	if (CHECK_EQ(g.n, 2, "dual_v4_two_cmsgs")) {
		struct in6_pktinfo p6;
		memcpy(&p6, g.data[0], sizeof p6);
		CHECK(g.level[0] == IPPROTO_IPV6 && g.type[0] == IPV6_PKTINFO &&
		      IN6_IS_ADDR_V4MAPPED(&p6.ipi6_addr) && p6.ipi6_ifindex == 1,
		      "dual_v4_pktinfo_mapped");
		CHECK(g.level[1] == IPPROTO_IP && g.type[1] == IP_TTL && int_at(&g, 1) == 33,
		      "dual_v4_ip_ttl");
	}
	close(s4);
	close(d);
	close(r);
}

int main(void)
{
	test_ipv4();
	test_ipv6();
	return conf_exit();
}
