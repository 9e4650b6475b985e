/*
 * inet options and IP-level control messages: IPPROTO_TCP, IPPROTO_IP and
 * IPPROTO_IPV6 socket options (net/ipv4/ip_sockglue.c, net/ipv6/ipv6_sockglue.c),
 * sendmsg's IP_TTL/IP_TOS/IP_PKTINFO and RFC 3542 IPV6_HOPLIMIT/
 * IPV6_TCLASS/IPV6_PKTINFO control messages (ip_cmsg_send,
 * ip6_datagram_send_ctl), and recvmsg's IP_PKTINFO, IP_TTL, IP_TOS,
 * IP_ORIGDSTADDR, IPV6_PKTINFO, IPV6_HOPLIMIT, IPV6_TCLASS,
 * IPV6_ORIGDSTADDR (ip_cmsg_recv_offset, ip6_datagram_recv_ctl), in
 * Linux's order.
 *
 * A loopback datagram carries the header fields its sender's options and
 * cmsgs gave it (struct sk_pktinfo: TTL/hop limit, TOS/traffic class,
 * destination, interface), so the receiver sees what Linux's loopback
 * would deliver. Options with no effect on our loopback (IP_RECVERR,
 * IP_MTU_DISCOVER, IPV6_DONTFRAG...) are stored and read back. State:
 * net_lock.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include "net/inet_internal.h"
#include "sentry/task.h"

#define CAP_NET_RAW 13
#define INET_ECN_MASK 3
#define DEFAULT_TTL 64                 /* net.ipv4.ip_default_ttl, net.ipv6.conf.*.hop_limit */
#define LO_IFINDEX 1
#ifndef IPV6_FLOWINFO
#define IPV6_FLOWINFO 11           /* linux/in6.h */
#endif
#ifndef IP_PROTOCOL
#define IP_PROTOCOL 52
#endif

void inet_opt_init(struct inet_priv *ip)
{
	ip->ip_opt[IP_TTL] = -1;
	ip->ip_opt[IP_MULTICAST_TTL] = 1;
	ip->ip_opt[IP_MULTICAST_LOOP] = 1;
	ip->ip_opt[IP_MTU_DISCOVER] = IP_PMTUDISC_WANT;
	ip->ip6_opt[IPV6_UNICAST_HOPS] = -1;
	ip->ip6_opt[IPV6_MULTICAST_HOPS] = 1;  /* IPV6_DEFAULT_MCASTHOPS */
	ip->ip6_opt[IPV6_MULTICAST_LOOP] = 1;
	ip->ip6_opt[IPV6_MTU_DISCOVER] = IPV6_PMTUDISC_WANT;
}

/* ---- socket options ---- */

/* An int option (TCP, IPv6): at least an int, else -EINVAL; a faulted buffer -EFAULT. */
static int opt_int(const void *val, uint32_t len, int *v)
{
	if (len < sizeof(int))
		return -EINVAL;
	if (!val)
		return -EFAULT;
	memcpy(v, val, sizeof(int));
	return 0;
}

/* do_ip_setsockopt's int-or-byte value: an int, one unsigned byte, or 0 when optlen is 0. */
static int opt_int_or_byte(const void *val, uint32_t len, int *v)
{
	*v = 0;
	if (!len)
		return 0;
	if (!val)
		return -EFAULT;
	if (len >= sizeof(int))
		memcpy(v, val, sizeof(int));
	else
		*v = *(const unsigned char *)val;
	return 0;
}

static int tcp_opt_default(int name)
{
	switch (name) {
	case TCP_MAXSEG:
		return 536;
	case TCP_KEEPIDLE:
		return 7200;
	case TCP_KEEPINTVL:
		return 75;
	case TCP_KEEPCNT:
		return 9;
	case TCP_SYNCNT:
		return 6;
	case TCP_LINGER2:
		return 60;
	default:
		return 0;
	}
}

static bool tcp_opt_known(int name)
{
	switch (name) {
	case TCP_NODELAY: case TCP_MAXSEG: case TCP_CORK: case TCP_KEEPIDLE:
	case TCP_KEEPINTVL: case TCP_KEEPCNT: case TCP_SYNCNT: case TCP_LINGER2:
	case TCP_DEFER_ACCEPT: case TCP_WINDOW_CLAMP: case TCP_QUICKACK:
	case TCP_USER_TIMEOUT: case TCP_FASTOPEN: case TCP_NOTSENT_LOWAT:
	case TCP_FASTOPEN_CONNECT:
		return true;
	}
	return false;
}

static bool ip_opt_known(int name)
{
	switch (name) {
	case IP_TOS: case IP_TTL: case IP_HDRINCL: case IP_RECVOPTS: case IP_RETOPTS:
	case IP_PKTINFO: case IP_MTU_DISCOVER: case IP_RECVERR: case IP_RECVTTL:
	case IP_RECVTOS: case IP_FREEBIND: case IP_PASSSEC: case IP_RECVORIGDSTADDR:
	case IP_CHECKSUM: case IP_BIND_ADDRESS_NO_PORT: case IP_RECVFRAGSIZE:
	case IP_MULTICAST_TTL: case IP_MULTICAST_LOOP:
		return true;
	}
	return false;
}

/* Options that are flags: getsockopt reads 0 or 1 back. */
static bool ip_opt_bool(int name)
{
	switch (name) {
	case IP_RECVOPTS: case IP_RETOPTS: case IP_PKTINFO: case IP_RECVERR: case IP_RECVTTL:
	case IP_RECVTOS: case IP_FREEBIND: case IP_PASSSEC: case IP_RECVORIGDSTADDR:
	case IP_CHECKSUM: case IP_BIND_ADDRESS_NO_PORT: case IP_RECVFRAGSIZE:
	case IP_MULTICAST_LOOP:
		return true;
	}
	return false;
}

static bool ip6_opt_known(int name)
{
	switch (name) {
	case IPV6_V6ONLY: case IPV6_UNICAST_HOPS: case IPV6_MULTICAST_HOPS:
	case IPV6_MULTICAST_LOOP: case IPV6_RECVPKTINFO: case IPV6_2292PKTINFO:
	case IPV6_RECVHOPLIMIT: case IPV6_2292HOPLIMIT: case IPV6_TCLASS:
	case IPV6_RECVTCLASS: case IPV6_RECVERR: case IPV6_MTU_DISCOVER:
	case IPV6_RECVORIGDSTADDR: case IPV6_RECVRTHDR: case IPV6_RECVHOPOPTS:
	case IPV6_RECVDSTOPTS: case IPV6_RECVPATHMTU: case IPV6_DONTFRAG:
	case IPV6_FLOWINFO: case IPV6_RECVFRAGSIZE: case IPV6_FREEBIND:
		return true;
	}
	return false;
}

static int ip_setsockopt_locked(struct sock *sk, struct inet_priv *ip, int name, int v,
				uint32_t len)
{
	switch (name) {
	case IP_TOS:
		v &= 0xff;
		if (sk->type == SOCK_STREAM)   /* the ECN bits are TCP's own */
			v = (v & ~INET_ECN_MASK) | (ip->ip_opt[IP_TOS] & INET_ECN_MASK);
		break;
	case IP_TTL:
		if (len < 1 || (v != -1 && (v < 1 || v > 255)))
			return -EINVAL;
		break;
	case IP_HDRINCL:
		return -ENOPROTOOPT;           /* raw sockets only */
	case IP_MTU_DISCOVER:
		if (v < IP_PMTUDISC_DONT || v > IP_PMTUDISC_OMIT)
			return -EINVAL;
		break;
	case IP_MULTICAST_TTL:
		if (sk->type == SOCK_STREAM || len < 1)
			return -EINVAL;
		if (v == -1)
			v = 1;
		if (v < 0 || v > 255)
			return -EINVAL;
		break;
	case IP_MULTICAST_LOOP:
		if (len < 1)
			return -EINVAL;
		break;
	}
	ip->ip_opt[name] = ip_opt_bool(name) ? v != 0 : v;
	return 0;
}

static int ip6_setsockopt_locked(struct sock *sk, struct inet_priv *ip, int name, int v)
{
	switch (name) {
	case IPV6_V6ONLY:
		if (ip->bound)
			return -EINVAL;        /* only before bind (ipv6_setsockopt) */
		ip->v6only = v != 0;
		return 0;
	case IPV6_UNICAST_HOPS:
	case IPV6_MULTICAST_HOPS:
		if (v < -1 || v > 255)
			return -EINVAL;
		if (name == IPV6_MULTICAST_HOPS && v == -1)
			v = 1;
		ip->ip6_opt[name] = v;
		return 0;
	case IPV6_MULTICAST_LOOP:
		if (v != 0 && v != 1)
			return -EINVAL;
		break;
	case IPV6_TCLASS:
		if (v < -1 || v > 0xff)
			return -EINVAL;
		if (v == -1)
			v = 0;                 /* RFC 3542 6.5: the default traffic class */
		if (sk->type == SOCK_STREAM)
			v = (v & ~INET_ECN_MASK) | (ip->ip6_opt[IPV6_TCLASS] & INET_ECN_MASK);
		ip->ip6_opt[name] = v;
		return 0;
	case IPV6_MTU_DISCOVER:
		if (v < IPV6_PMTUDISC_DONT || v > IPV6_PMTUDISC_OMIT)
			return -EINVAL;
		ip->ip6_opt[name] = v;
		return 0;
	}
	ip->ip6_opt[name] = v != 0;
	return 0;
}

int inet_setsockopt(struct task *t, struct sock *sk, int level, int name, const void *val,
		    uint32_t len)
{
	struct inet_priv *ip = inet_of(sk);
	int v, rc;
	if (level == IPPROTO_TCP && sk->tcp) {
		if (!tcp_opt_known(name) || name >= TCP_OPT_MAX)
			return -ENOPROTOOPT;
		if ((rc = opt_int(val, len, &v)))
			return rc;
		if ((name == TCP_KEEPIDLE || name == TCP_KEEPINTVL) && (v < 1 || v > 32767))
			return -EINVAL;
		if (name == TCP_KEEPCNT && (v < 1 || v > 127))
			return -EINVAL;
		net_lock();
		ip->tcp_opt[name] = name == TCP_NODELAY || name == TCP_CORK ? !!v : v;
		net_unlock();
		return 0;
	}
	if (level == IPPROTO_IP) {
		if (!ip_opt_known(name) || name >= IP_OPT_MAX)
			return -ENOPROTOOPT;
		if ((rc = opt_int_or_byte(val, len, &v)))
			return rc;
		net_lock();
		rc = ip_setsockopt_locked(sk, ip, name, v, len);
		net_unlock();
		return rc;
	}
	if (level == IPPROTO_IPV6 && sk->family == AF_INET6) {
		if (!ip6_opt_known(name) || name >= IP_OPT_MAX)
			return -ENOPROTOOPT;
		if ((rc = opt_int(val, len, &v)))
			return rc;
		net_lock();
		rc = ip6_setsockopt_locked(sk, ip, name, v);
		net_unlock();
		return rc;
	}
	return -ENOPROTOOPT;
}

int inet_getsockopt(struct task *t, struct sock *sk, int level, int name, void *val,
		    uint32_t *len)
{
	struct inet_priv *ip = inet_of(sk);
	int v = 0;
	net_lock();
	int rc = 0;
	if (level == IPPROTO_TCP && sk->tcp) {
		if (name == TCP_INFO) {
			struct tcp_info ti;
			memset(&ti, 0, sizeof(ti));
			ti.tcpi_state = sk->state == SK_CONNECTED ? TCP_ESTABLISHED
				      : sk->state == SK_LISTEN ? TCP_LISTEN : TCP_CLOSE;
			net_unlock();
			uint32_t n = MIN(*len, (uint32_t)sizeof(ti));
			memcpy(val, &ti, n);
			*len = n;
			return 0;
		}
		if (!tcp_opt_known(name) || name >= TCP_OPT_MAX)
			rc = -ENOPROTOOPT;
		else if (name == TCP_MAXSEG && sk->state == SK_CONNECTED)
			v = 65483;                  /* the loopback MTU's MSS */
		else
			v = ip->tcp_opt[name] ? ip->tcp_opt[name] : tcp_opt_default(name);
	} else if (level == IPPROTO_IP) {
		if (!ip_opt_known(name) || name >= IP_OPT_MAX)
			rc = -ENOPROTOOPT;
		else if (name == IP_TTL)
			v = ip->ip_opt[name] > 0 ? ip->ip_opt[name] : DEFAULT_TTL;
		else
			v = ip->ip_opt[name];
	} else if (level == IPPROTO_IPV6 && sk->family == AF_INET6) {
		if (!ip6_opt_known(name) || name >= IP_OPT_MAX)
			rc = -ENOPROTOOPT;
		else if (name == IPV6_V6ONLY)
			v = ip->v6only;
		else if (name == IPV6_UNICAST_HOPS)
			v = ip->ip6_opt[name] >= 0 ? ip->ip6_opt[name] : DEFAULT_TTL;
		else
			v = ip->ip6_opt[name];
	} else {
		rc = -ENOPROTOOPT;
	}
	net_unlock();
	if (rc)
		return rc;
	uint32_t n = MIN(*len, (uint32_t)sizeof(int));
	memcpy(val, &v, n);
	*len = n;
	return 0;
}

/* ---- sendmsg control messages ---- */

static bool ip4_is_local(uint32_t a)
{
	return (a >> 24) == 127 || (a == NET_GUEST_ADDR && net_egress_enabled());
}

static void tx_set_src_v4(struct inet_tx *tx, uint32_t host)
{
	memset(&tx->src, 0, sizeof(tx->src));
	tx->src.s6_addr[10] = tx->src.s6_addr[11] = 0xff;
	uint32_t n = htonl(host);
	memcpy(&tx->src.s6_addr[12], &n, 4);
	tx->has_src = host != 0;
}

/* One cmsg of an IPv4 datagram (ip_cmsg_send). */
static int ip_cmsg_one(struct sock *sk, const struct cmsghdr *h, const char *data,
		       struct inet_tx *tx, int *oif)
{
	int val;
	if (sk->family == AF_INET6 && h->cmsg_level == IPPROTO_IPV6 &&
	    h->cmsg_type == IPV6_PKTINFO) {
		/* An AF_INET6 socket's mapped source for an IPv4 datagram. */
		struct in6_pktinfo pi;
		if (h->cmsg_len < CMSG_LEN(sizeof(pi)))
			return -EINVAL;
		memcpy(&pi, data, sizeof(pi));
		if (!IN6_IS_ADDR_V4MAPPED(&pi.ipi6_addr))
			return -EINVAL;
		if (pi.ipi6_ifindex)
			*oif = pi.ipi6_ifindex;
		uint32_t a;
		memcpy(&a, &pi.ipi6_addr.s6_addr[12], 4);
		tx_set_src_v4(tx, ntohl(a));
		return 0;
	}
	if (h->cmsg_level != IPPROTO_IP)
		return 0;
	switch (h->cmsg_type) {
	case IP_RETOPTS:
		/* IP options are not carried: only an empty list is accepted. */
		return h->cmsg_len == CMSG_LEN(0) ? 0 : -EINVAL;
	case IP_PKTINFO: {
		struct in_pktinfo pi;
		if (h->cmsg_len != CMSG_LEN(sizeof(pi)))
			return -EINVAL;
		memcpy(&pi, data, sizeof(pi));
		if (pi.ipi_ifindex)
			*oif = pi.ipi_ifindex;
		tx_set_src_v4(tx, ntohl(pi.ipi_spec_dst.s_addr));
		return 0;
	}
	case IP_TTL:
		if (h->cmsg_len != CMSG_LEN(sizeof(int)))
			return -EINVAL;
		memcpy(&val, data, sizeof(val));
		if (val < 1 || val > 255)
			return -EINVAL;
		tx->ttl = val;
		return 0;
	case IP_TOS:
		if (h->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(&val, data, sizeof(val));
		else if (h->cmsg_len == CMSG_LEN(1))
			val = *(const unsigned char *)data;
		else
			return -EINVAL;
		if (val < 0 || val > 255)
			return -EINVAL;
		tx->tos = val;
		return 0;
	case IP_PROTOCOL:
		/* Raw sockets' protocol; validated and unused by UDP, as Linux. */
		if (h->cmsg_len != CMSG_LEN(sizeof(int)))
			return -EINVAL;
		memcpy(&val, data, sizeof(val));
		return val < 1 || val > 255 ? -EINVAL : 0;
	}
	return -EINVAL;
}

/* An IPv6 extension header cmsg: length checks, then CAP_NET_RAW. */
static int ip6_cmsg_exthdr(struct task *t, const struct cmsghdr *h, const char *data)
{
	if (h->cmsg_len < CMSG_LEN(2))
		return -EINVAL;
	size_t len = ((size_t)(unsigned char)data[1] + 1) << 3;
	if (h->cmsg_len < CMSG_LEN(len))
		return -EINVAL;
	if (!cred_capable(&t->cred, CAP_NET_RAW))
		return -EPERM;
	return -EOPNOTSUPP;                    /* no extension headers on our loopback */
}

/* One cmsg of an IPv6 datagram (ip6_datagram_send_ctl). */
static int ip6_cmsg_one(struct task *t, const struct cmsghdr *h, const char *data,
			struct inet_tx *tx, int *oif)
{
	int val;
	if (h->cmsg_level != IPPROTO_IPV6)
		return 0;
	switch (h->cmsg_type) {
	case IPV6_PKTINFO:
	case IPV6_2292PKTINFO: {
		struct in6_pktinfo pi;
		if (h->cmsg_len < CMSG_LEN(sizeof(pi)))
			return -EINVAL;
		memcpy(&pi, data, sizeof(pi));
		if (pi.ipi6_ifindex) {
			if (*oif && (int)pi.ipi6_ifindex != *oif)
				return -EINVAL;
			*oif = pi.ipi6_ifindex;
		}
		if (*oif) {
			if (!netdev_by_index(*oif))
				return -ENODEV;
		} else if (IN6_IS_ADDR_LINKLOCAL(&pi.ipi6_addr)) {
			return -EINVAL;
		}
		if (!IN6_IS_ADDR_UNSPECIFIED(&pi.ipi6_addr)) {
			if (!IN6_IS_ADDR_LOOPBACK(&pi.ipi6_addr))
				return -EINVAL;        /* not an address of this host */
			tx->has_src = true;
			tx->src = pi.ipi6_addr;
		}
		return 0;
	}
	case IPV6_FLOWINFO:
		return h->cmsg_len < CMSG_LEN(4) ? -EINVAL : 0;
	case IPV6_2292HOPOPTS:
	case IPV6_HOPOPTS:
	case IPV6_2292DSTOPTS:
	case IPV6_DSTOPTS:
	case IPV6_RTHDRDSTOPTS:
		return ip6_cmsg_exthdr(t, h, data);
	case IPV6_2292RTHDR:
	case IPV6_RTHDR:
		return -EINVAL;                /* only Mobile IPv6's type 2 exists */
	case IPV6_2292HOPLIMIT:
	case IPV6_HOPLIMIT:
	case IPV6_TCLASS:
		if (h->cmsg_len != CMSG_LEN(sizeof(int)))
			return -EINVAL;
		memcpy(&val, data, sizeof(val));
		if (val < -1 || val > 0xff)
			return -EINVAL;
		if (h->cmsg_type == IPV6_TCLASS)
			tx->tos = val;
		else
			tx->ttl = val;
		return 0;
	case IPV6_DONTFRAG:
		if (h->cmsg_len != CMSG_LEN(sizeof(int)))
			return -EINVAL;
		memcpy(&val, data, sizeof(val));
		return val < 0 || val > 1 ? -EINVAL : 0;
	}
	return -EINVAL;
}

int inet_cmsg_send_locked(struct task *t, struct sock *sk, const void *buf, size_t len, bool v4,
			  struct inet_tx *tx)
{
	net_assert_locked();
	*tx = (struct inet_tx){ .ttl = -1, .tos = -1 };
	const char *p = buf;
	size_t off = 0;
	int oif = 0;
	while (p && len - off >= sizeof(struct cmsghdr)) {
		struct cmsghdr h;
		memcpy(&h, p + off, sizeof(h));
		if (h.cmsg_len < sizeof(h) || h.cmsg_len > len - off)
			return -EINVAL;                /* CMSG_OK */
		const char *data = p + off + CMSG_LEN(0);
		int rc;
		if (h.cmsg_level == SOL_SOCKET)
			rc = -EINVAL;          /* SCM_* are AF_UNIX's; SO_MARK & co. unsupported */
		else if (v4)
			rc = ip_cmsg_one(sk, &h, data, tx, &oif);
		else
			rc = ip6_cmsg_one(t, &h, data, tx, &oif);
		if (rc)
			return rc;
		off += CMSG_ALIGN(h.cmsg_len);
		if (off > len)
			break;
	}
	if (v4 && tx->has_src) {
		/* ip_route_output_key_hash_rcu's source checks, then the interface. */
		uint32_t a;
		memcpy(&a, &tx->src.s6_addr[12], 4);
		a = ntohl(a);
		if ((a >> 28) == 0xe || a == 0xffffffffu || (a >> 24) == 0)
			return -EINVAL;
		if (!ip4_is_local(a))
			return -ENETUNREACH;
	}
	if (v4 && oif && !netdev_by_index(oif))
		return -ENODEV;
	return 0;
}

void inet_pktinfo_locked(struct sock *sk, const struct inet_tx *tx, const struct inet_ep *dst,
			 struct sk_pktinfo *pi)
{
	struct inet_priv *ip = inet_of(sk);
	memset(pi, 0, sizeof(*pi));
	pi->valid = true;
	pi->v4 = IN6_IS_ADDR_V4MAPPED(&dst->a);
	int ttl, tos;
	if (pi->v4) {
		ttl = tx->ttl > 0 ? tx->ttl : ip->ip_opt[IP_TTL];
		tos = tx->tos >= 0 ? tx->tos : ip->ip_opt[IP_TOS];
	} else {
		ttl = tx->ttl >= 0 ? tx->ttl : ip->ip6_opt[IPV6_UNICAST_HOPS];
		tos = tx->tos >= 0 ? tx->tos : ip->ip6_opt[IPV6_TCLASS];
	}
	pi->ttl = (uint8_t)(ttl >= 0 ? ttl : DEFAULT_TTL);
	pi->tos = (uint8_t)tos;
	pi->ifindex = LO_IFINDEX;
	pi->dst = dst->a;
	pi->dst_port = dst->port;
}

/* ---- recvmsg control messages ---- */

static uint32_t pkt_dst_v4(const struct sk_pktinfo *pi)
{
	uint32_t a;
	memcpy(&a, &pi->dst.s6_addr[12], 4);
	return a;                              /* network order */
}

/* ip_cmsg_recv_offset: PKTINFO, TTL, TOS, (options: none), ORIGDSTADDR. */
static void ip_recv_cmsgs(const struct inet_priv *ip, const struct sk_pktinfo *pi,
			  struct sk_cmsg_out *o)
{
	if (ip->ip_opt[IP_PKTINFO]) {
		/* A local unicast destination is its own ipi_spec_dst (fib_compute_spec_dst). */
		struct in_pktinfo p = { .ipi_ifindex = pi->ifindex };
		p.ipi_spec_dst.s_addr = p.ipi_addr.s_addr = pkt_dst_v4(pi);
		sk_put_cmsg(o, IPPROTO_IP, IP_PKTINFO, &p, sizeof(p));
	}
	if (ip->ip_opt[IP_RECVTTL]) {
		int ttl = pi->ttl;
		sk_put_cmsg(o, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));
	}
	if (ip->ip_opt[IP_RECVTOS])
		sk_put_cmsg(o, IPPROTO_IP, IP_TOS, &pi->tos, 1);
	if (ip->ip_opt[IP_RECVORIGDSTADDR]) {
		struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(pi->dst_port) };
		sin.sin_addr.s_addr = pkt_dst_v4(pi);
		sk_put_cmsg(o, IPPROTO_IP, IP_ORIGDSTADDR, &sin, sizeof(sin));
	}
}

/* ip6_datagram_recv_specific_ctl: HOPLIMIT, TCLASS, the RFC 2292 forms, ORIGDSTADDR. */
static void ip6_recv_cmsgs(const struct inet_priv *ip, const struct sk_pktinfo *pi,
			   struct sk_cmsg_out *o)
{
	int hlim = pi->ttl, tclass = pi->tos;
	if (ip->ip6_opt[IPV6_RECVHOPLIMIT])
		sk_put_cmsg(o, IPPROTO_IPV6, IPV6_HOPLIMIT, &hlim, sizeof(hlim));
	if (ip->ip6_opt[IPV6_RECVTCLASS])
		sk_put_cmsg(o, IPPROTO_IPV6, IPV6_TCLASS, &tclass, sizeof(tclass));
	if (ip->ip6_opt[IPV6_2292PKTINFO]) {
		struct in6_pktinfo p = { .ipi6_addr = pi->dst, .ipi6_ifindex = pi->ifindex };
		sk_put_cmsg(o, IPPROTO_IPV6, IPV6_2292PKTINFO, &p, sizeof(p));
	}
	if (ip->ip6_opt[IPV6_2292HOPLIMIT])
		sk_put_cmsg(o, IPPROTO_IPV6, IPV6_2292HOPLIMIT, &hlim, sizeof(hlim));
	if (ip->ip6_opt[IPV6_RECVORIGDSTADDR]) {
		struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6,
					     .sin6_port = htons(pi->dst_port), .sin6_addr = pi->dst };
		sk_put_cmsg(o, IPPROTO_IPV6, IPV6_ORIGDSTADDR, &sin6, sizeof(sin6));
	}
}

void inet_recv_cmsgs_locked(struct sock *sk, const struct sk_msg *msg, struct sk_cmsg_out *o)
{
	net_assert_locked();
	const struct inet_priv *ip = inet_of(sk);
	const struct sk_pktinfo *pi = &msg->pkt;
	/* udpv6_recvmsg: the common IPV6_PKTINFO (mapped for IPv4), then per family. */
	if (sk->family == AF_INET6 && ip->ip6_opt[IPV6_RECVPKTINFO]) {
		struct in6_pktinfo p = { .ipi6_addr = pi->dst, .ipi6_ifindex = pi->ifindex };
		sk_put_cmsg(o, IPPROTO_IPV6, IPV6_PKTINFO, &p, sizeof(p));
	}
	if (pi->v4)
		ip_recv_cmsgs(ip, pi, o);
	else if (sk->family == AF_INET6)
		ip6_recv_cmsgs(ip, pi, o);
}
