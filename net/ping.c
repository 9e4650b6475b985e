/*
 * ICMP echo ("ping") sockets: socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP)
 * and socket(AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6), as Linux's
 * net/ipv4/ping.c and net/ipv6/ping.c serve them, so ping(8) works without
 * raw sockets.
 *
 * Creation needs the caller's effective or a supplementary group in
 * net.ipv4.ping_group_range (both families, as Linux), which is the
 * sandbox's own: "0 2147483647" by default (what Docker sets in its
 * containers), shown and set at /proc/sys/net/ipv4/ping_group_range.
 *
 * The "port" of a ping socket is its echo identifier: bind() takes one (0:
 * the next free one after the last given, from a random start, as
 * ping_get_port), and a socket without one gets one at its first send or
 * connect. Sockets share an identifier while both keep SO_REUSEADDR, which
 * is on from the start (INET_PROTOSW_REUSE). The guest writes
 * whole ICMP messages (header and payload) and only echo requests with code
 * 0 are accepted; the sentry writes the identifier and the checksum. Replies
 * are delivered, ICMP header and payload without the IP header, to the
 * newest socket with that identifier bound to the reply's destination (or
 * to the wildcard), with the replier as source address (port 0).
 *
 * Loopback: echo requests to 127.0.0.0/8 (0.0.0.0 is 127.0.0.1) and ::1
 * are answered here at once, as Linux's icmp_echo answers on lo: from the
 * address pinged, TTL / hop limit 64, the request's TOS. Under
 * --net=sandbox, IPv4 requests beyond loopback go through the policy
 * (net/egress.c: rules without a port allow ICMP) to the socket's own
 * netstack channel (NS_OPEN_PING), and replies come back through the
 * egress poll thread (ping_deliver_locked). Elsewhere: ENETUNREACH.
 *
 * The socket is an inet socket for everything else (struct inet_priv:
 * IP-level options and control messages from net/inet_opt.c) and uses the
 * datagram engine (net/dgram.c) for its receive queue, with UDP's
 * behaviour (sk->udp: sends never wait, a full SO_RCVBUF drops). It is on
 * ping_socks, never on inet.c's port table. State: net_lock.
 */
#include <errno.h>
#include <netinet/icmp6.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "net/inet_internal.h"
#include "sentry/task.h"

#define PING_HDR_LEN 8                 /* struct icmphdr / struct icmp6_hdr */
#define PING4_MAX_LEN (0xffff - 20)    /* ip_append_data: what fits an IPv4 packet */
#define PING6_MAX_LEN (0xffff - 40)    /* ip6_append_data */
#define ICMP_EXT_ECHO_ 42              /* RFC 8335 probes: sent, never answered here */
#define ICMPV6_EXT_ECHO_REQUEST_ 160
#define PING_REPLY_TTL 64
#define LO_IFINDEX 1
#define GID_T_MAX_ 4294967294u         /* the sysctl's limit ((gid_t)~0U - 1) */

/* Sockets with an identifier, newest first (ping_lookup finds the newest). */
static struct inet_priv *ping_socks;
static uint16_t ping_rover;            /* the last identifier given out */
static bool ping_rover_set;            /* random at first use, as each netns's */
/* net.ipv4.ping_group_range (net_lock). */
static uint32_t ping_gid_low = 0, ping_gid_high = 2147483647;

static const struct sock_ops ping_ops;

/* ---- net.ipv4.ping_group_range ---- */

int net_ping_group_range_show(char *buf, size_t cap)
{
	net_lock();
	int n = snprintf(buf, cap, "%u\t%u\n", ping_gid_low, ping_gid_high);
	net_unlock();
	return n;
}

/* proc_get_long: [-]digits (base 0), followed by a blank or the end. */
static int sysctl_get_ulong(const char **p, const char *end, unsigned long *val, bool *neg)
{
	char tmp[23];
	size_t n = 0;
	*neg = false;
	if (*p < end && **p == '-') {
		*neg = true;
		(*p)++;
	}
	while (*p + n < end && n < sizeof(tmp) - 1 && (*p)[n] != ' ' && (*p)[n] != '\t' &&
	       (*p)[n] != '\n' && (*p)[n])
		n++;
	if (!n || n == sizeof(tmp) - 1 || (*p)[0] < '0' || (*p)[0] > '9')
		return -EINVAL;
	memcpy(tmp, *p, n);
	tmp[n] = 0;
	char *e;
	errno = 0;
	*val = strtoul(tmp, &e, 0);
	if (*e || errno)
		return -EINVAL;
	*p += n;
	return 0;
}

long net_ping_group_range_write(const char *buf, size_t len)
{
	/* ipv4_ping_group_range: proc_doulongvec_minmax over two values, 0..GID_T_MAX. */
	unsigned long v[2];
	net_lock();
	v[0] = ping_gid_low;
	v[1] = ping_gid_high;
	net_unlock();
	const char *p = buf, *end = buf + len;
	int got = 0;
	for (; got < 2; got++) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\n'))
			p++;
		if (p == end || !*p)
			break;
		bool neg;
		if (sysctl_get_ulong(&p, end, &v[got], &neg) || neg || v[got] > GID_T_MAX_)
			return -EINVAL;
	}
	if (!got)
		return -EINVAL;
	net_lock();
	if (v[1] < v[0]) {
		ping_gid_low = 1;              /* an empty range: "1 0" */
		ping_gid_high = 0;
	} else {
		ping_gid_low = (uint32_t)v[0];
		ping_gid_high = (uint32_t)v[1];
	}
	net_unlock();
	return (long)len;
}

/* ping_init_sock: the effective group or a supplementary one in the range. */
static bool ping_group_allowed(const struct cred *c)
{
	net_lock();
	uint32_t low = ping_gid_low, high = ping_gid_high;
	net_unlock();
	if (low <= c->egid && c->egid <= high)
		return true;
	for (uint32_t i = 0; i < c->ngroups; i++)
		if (low <= c->groups[i] && c->groups[i] <= high)
			return true;
	return false;
}

/* ---- checksums ---- */

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

/* Set the checksum of ICMP message m (ICMPv6: with the pseudo-header of src -> dst). */
static void ping_checksum(uint8_t *m, size_t len, bool v4, const struct in6_addr *src,
			  const struct in6_addr *dst)
{
	m[2] = m[3] = 0;
	uint32_t sum = 0;
	if (!v4) {
		uint8_t ph[8] = { (uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8),
				  (uint8_t)len, 0, 0, 0, IPPROTO_ICMPV6 };
		sum = csum_add(sum, src->s6_addr, 16);
		sum = csum_add(sum, dst->s6_addr, 16);
		sum = csum_add(sum, ph, sizeof(ph));
	}
	uint16_t c = csum_fold(csum_add(sum, m, len));
	memcpy(m + 2, &c, 2);
}

/* ---- identifiers ---- */

static bool ping_ident_taken_locked(uint16_t ident)
{
	for (const struct inet_priv *o = ping_socks; o; o = o->next)
		if (!o->sk->dead && o->local.port == ident)
			return true;
	return false;
}

/* ping_get_port: take ident (0: the next free one); -EADDRINUSE. */
static int ping_get_ident_locked(struct inet_priv *ip, uint16_t ident)
{
	if (!ident) {
		if (!ping_rover_set) {
			ping_rover = (uint16_t)(kernel_uptime_ns() >> 10);
			ping_rover_set = true;
		}
		uint16_t cand = (uint16_t)(ping_rover + 1);
		unsigned i;
		for (i = 0; i < 65536; i++, cand++) {
			if (!cand)
				cand++;                /* never 0 */
			if (!ping_ident_taken_locked(cand))
				break;
		}
		if (i == 65536)
			return -EADDRINUSE;
		ping_rover = ident = cand;
	} else {
		/* Shared while both keep SO_REUSEADDR (on by default here, as Linux's sk_reuse). */
		for (const struct inet_priv *o = ping_socks; o; o = o->next)
			if (o != ip && !o->sk->dead && o->local.port == ident &&
			    (!o->sk->reuseaddr || !ip->sk->reuseaddr))
				return -EADDRINUSE;
	}
	ip->local.port = ident;
	ip->bound = true;
	if (!ip->listed) {
		ip->next = ping_socks;
		ping_socks = ip;
		ip->listed = true;
	}
	return 0;
}

/* ping_unhash: the identifier goes. */
static void ping_unhash_locked(struct inet_priv *ip)
{
	if (ip->listed) {
		for (struct inet_priv **pp = &ping_socks; *pp; pp = &(*pp)->next)
			if (*pp == ip) {
				*pp = ip->next;
				break;
			}
	}
	ip->listed = false;
	ip->bound = false;
	ip->local.port = 0;
}

/* inet_send_prepare / inet_dgram_connect: a socket without an identifier gets one (-EAGAIN). */
static int ping_autobind_locked(struct inet_priv *ip)
{
	if (ip->bound)
		return 0;
	if (ping_get_ident_locked(ip, 0))
		return -EAGAIN;
	ip->autobound = true;
	return 0;
}

/* ---- creation, bind, names ---- */

int ping_create(struct task *t, int family, int protocol, struct sock **out)
{
	if (!ping_group_allowed(&t->cred))
		return -EACCES;
	struct inet_priv *ip = calloc(1, sizeof(*ip));
	struct sock *sk = ip ? sock_alloc(family, SOCK_DGRAM, protocol, &ping_ops) : NULL;
	if (!sk) {
		free(ip);
		return -ENOMEM;
	}
	sk->udp = true;                        /* the datagram engine's UDP behaviour */
	sk->reuseaddr = true;                  /* INET_PROTOSW_REUSE: identifiers are shared */
	ip->sk = sk;
	inet_opt_init(ip);
	if (family == AF_INET)
		ep_set_v4(&ip->local.a, 0);
	else
		ip->v6only = true;             /* ping_init_sock */
	sk->fpriv = ip;
	*out = sk;
	return 0;
}

static bool ping_v4_is_local(uint32_t a)
{
	return (a >> 24) == 127 || (a == NET_GUEST_ADDR && net_egress_enabled());
}

static bool ping_v4_is_bcast(uint32_t a)
{
	return a == 0xffffffffu || a == 0x7fffffffu ||
	       (a == (NET_PREFIX | 0xff) && net_egress_enabled());
}

/* ping_check_bind_addr for AF_INET: the address into *a. */
static int ping_check_bind4(struct sock *sk, const void *addr, uint32_t len, struct in6_addr *a)
{
	struct sockaddr_in sin;
	if (len < sizeof(sin))
		return -EINVAL;
	memcpy(&sin, addr, sizeof(sin));
	uint32_t v = ntohl(sin.sin_addr.s_addr);
	if (sin.sin_family != AF_INET && !(sin.sin_family == AF_UNSPEC && v == 0))
		return -EAFNOSUPPORT;
	ep_set_v4(a, v);
	if (v == 0)
		return 0;
	net_lock();
	bool freebind = inet_of(sk)->ip_opt[IP_FREEBIND] != 0;
	net_unlock();
	if ((v >> 28) == 0xe || ping_v4_is_bcast(v) || (!ping_v4_is_local(v) && !freebind))
		return -EADDRNOTAVAIL;
	return 0;
}

/* ping_check_bind_addr for AF_INET6: ::, or ::1 (the only local IPv6 address). */
static int ping_check_bind6(struct sock *sk, const void *addr, uint32_t len, struct in6_addr *a)
{
	struct sockaddr_in6 sin6;
	if (len < sizeof(sin6))
		return -EINVAL;
	memcpy(&sin6, addr, sizeof(sin6));
	if (sin6.sin6_family != AF_INET6)
		return -EAFNOSUPPORT;
	*a = sin6.sin6_addr;
	if (IN6_IS_ADDR_UNSPECIFIED(a))
		return 0;
	/* Multicast and v4-mapped are not unicast; link-local needs a scope (ipv6_addr_type). */
	bool scoped = IN6_IS_ADDR_LINKLOCAL(a);
	if (IN6_IS_ADDR_MULTICAST(a) || IN6_IS_ADDR_V4MAPPED(a) || (scoped && !sin6.sin6_scope_id))
		return -EINVAL;
	const struct netdev *dev = NULL;
	if (sin6.sin6_scope_id && !(dev = netdev_by_index((int)sin6.sin6_scope_id)))
		return -ENODEV;
	net_lock();
	bool freebind = inet_of(sk)->ip6_opt[IPV6_FREEBIND] != 0;
	net_unlock();
	bool local = IN6_IS_ADDR_LOOPBACK(a) && (!dev || dev->index == LO_IFINDEX);
	if (!local && !freebind)
		return -EADDRNOTAVAIL;
	return 0;
}

static int ping_bind(struct task *t, struct sock *sk, const void *addr, uint32_t len)
{
	struct in6_addr a;
	int rc = sk->family == AF_INET ? ping_check_bind4(sk, addr, len, &a)
				       : ping_check_bind6(sk, addr, len, &a);
	if (rc)
		return rc;
	/* sin_port and sin6_port are at the same offset. */
	uint16_t ident = ntohs(((const struct sockaddr_in *)addr)->sin_port);
	struct inet_priv *ip = inet_of(sk);
	net_lock();
	if (ip->bound) {
		rc = -EINVAL;
	} else if (!(rc = ping_get_ident_locked(ip, ident))) {
		ip->local.a = a;
		ip->autobound = ident == 0;    /* no SOCK_BINDPORT_LOCK: a disconnect drops it */
		ip->bind_addr = !ep_is_any(&a);
		ip->has_remote = false;
		sk->remote.len = 0;
	}
	net_unlock();
	return rc;
}

static int ping_getname_locked(struct sock *sk, bool peer, struct sk_addr *out)
{
	struct inet_priv *ip = inet_of(sk);
	/* inet_getname: no destination port is "not connected", and pings have none. */
	return inet_getname_ep(sk, peer, ip->has_remote && ip->remote.port, out);
}

/* ---- routes ---- */

/*
 * Where an echo request to *dst (the any address becomes loopback for
 * IPv4) goes: 0 and *external false for loopback, *external true beyond
 * it (--net=sandbox, IPv4), or -ENETUNREACH / -EACCES (a broadcast without
 * SO_BROADCAST) / -EINVAL (a loopback-bound socket cannot leave).
 */
static int ping_route_locked(struct sock *sk, struct in6_addr *dst, bool *external)
{
	struct inet_priv *ip = inet_of(sk);
	*external = false;
	if (!ep_is_v4(dst))
		return IN6_IS_ADDR_LOOPBACK(dst) ? 0 : -ENETUNREACH;
	uint32_t v = ep_v4(dst);
	if (v == 0)
		ep_set_v4(dst, v = 0x7f000001);    /* ip_route_output: 0.0.0.0 is this host */
	if (v == 0x7fffffffu && !sk->broadcast)
		return -EACCES;                /* lo's broadcast address (RTCF_BROADCAST) */
	if ((v >> 24) == 127)
		return 0;
	if (!net_egress_enabled() || (v >> 28) >= 0xe || v == 0xffffffffu)
		return -ENETUNREACH;
	if (!ep_is_any(&ip->local.a) && ep_is_loopback(&ip->local.a))
		return -EINVAL;
	*external = true;
	return 0;
}

/* The source of a request to dst: the bound (or connected) address, else the route's. */
static struct in6_addr ping_source_locked(struct sock *sk, const struct in6_addr *dst,
					  bool external)
{
	struct inet_priv *ip = inet_of(sk);
	struct in6_addr s = ip->local.a;
	if (ep_is_any(&s)) {
		if (!ep_is_v4(dst))
			s = (struct in6_addr)IN6ADDR_LOOPBACK_INIT;
		else
			ep_set_v4(&s, external ? NET_GUEST_ADDR : 0x7f000001);
	}
	return s;
}

/* ---- connect ---- */

/* __udp_disconnect: forget the peer, and what bind() did not fix. */
static void ping_disconnect_locked(struct sock *sk)
{
	struct inet_priv *ip = inet_of(sk);
	ip->has_remote = false;
	sk->remote.len = 0;
	if (!ip->bind_addr) {
		if (sk->family == AF_INET)
			ep_set_v4(&ip->local.a, 0);
		else
			ip->local.a = (struct in6_addr)IN6ADDR_ANY_INIT;
	}
	if (ip->autobound)
		ping_unhash_locked(ip);
	sk_wake(sk, ~0u);
}

/* The destination of a connect (ip4_datagram_connect, ip6_datagram_connect_v6_only). */
static int ping_parse_connect(struct sock *sk, const void *addr, uint32_t len, struct inet_ep *ep)
{
	int rc = inet_ep_parse(sk, addr, len, ep, false);
	if (rc || sk->family == AF_INET)
		return rc;
	if (IN6_IS_ADDR_UNSPECIFIED(&ep->a))
		ep->a = (struct in6_addr)IN6ADDR_LOOPBACK_INIT;   /* connect to :: is ::1 */
	if (IN6_IS_ADDR_V4MAPPED(&ep->a))
		return -ENETUNREACH;           /* the socket is IPv6-only */
	struct sockaddr_in6 sin6;
	memset(&sin6, 0, sizeof(sin6));
	memcpy(&sin6, addr, MIN(len, (uint32_t)sizeof(sin6)));
	if (IN6_IS_ADDR_LINKLOCAL(&ep->a) && !sin6.sin6_scope_id)
		return -EINVAL;                /* a link-local peer needs an interface */
	return 0;
}

static int ping_connect(struct task *t, struct sock *sk, const void *addr, uint32_t len,
			bool nonblock)
{
	if (len < sizeof(sa_family_t))
		return -EINVAL;
	struct inet_priv *ip = inet_of(sk);
	net_lock();
	int rc;
	if (((const struct sockaddr *)addr)->sa_family == AF_UNSPEC) {
		ping_disconnect_locked(sk);
		rc = 0;
	} else if (!(rc = ping_autobind_locked(ip))) {
		struct inet_ep ep;
		bool external;
		if (!(rc = ping_parse_connect(sk, addr, len, &ep)) &&
		    !(rc = ping_route_locked(sk, &ep.a, &external))) {
			/* The source becomes the socket's receive address (inet_rcv_saddr). */
			ip->local.a = ping_source_locked(sk, &ep.a, external);
			ip->has_remote = true;
			ip->remote = ep;
			inet_ep_format(sk, &ep, &sk->remote);
			sk->err = 0;
		}
	}
	net_unlock();
	return rc;
}

/* ---- sending and receiving ---- */

/* ping_supported: what a ping socket may send. */
static bool ping_supported(int family, uint8_t type, uint8_t code)
{
	if (code)
		return false;
	if (family == AF_INET)
		return type == ICMP_ECHO || type == ICMP_EXT_ECHO_;
	return type == ICMP6_ECHO_REQUEST || type == ICMPV6_EXT_ECHO_REQUEST_;
}

/* Queue an echo reply (ICMP message m) on sk from src, unless SO_RCVBUF is full. */
static void ping_queue_locked(struct sock *sk, const struct in6_addr *src, const void *m,
			      size_t len, const struct sk_pktinfo *pi)
{
	if (sk->rq_bytes + len + 256 * (sk->rq_len + 1) > (size_t)sk->rcvbuf ||
	    (sk->shutdown & SK_RCV_SHUTDOWN))
		return;                        /* dropped, as sock_queue_rcv_skb drops */
	struct sk_addr from;
	memset(&from, 0, sizeof(from));
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_addr = *src };
	memcpy(from.bytes, &sin6, sizeof(sin6));
	from.len = sizeof(sin6);
	struct iovec iov = { (void *)m, len };
	dgram_queue_locked(NULL, sk, sk, &iov, 1, len, NULL, &from, pi);
}

/* ping_lookup: the newest socket of ident bound to dst or to the wildcard. */
static struct sock *ping_lookup_locked(bool v4, uint16_t ident, const struct in6_addr *dst)
{
	for (struct inet_priv *o = ping_socks; o; o = o->next) {
		struct sock *osk = o->sk;
		if (osk->dead || o->local.port != ident || (osk->family == AF_INET) != v4)
			continue;
		if (!ep_is_any(&o->local.a) && memcmp(&o->local.a, dst, sizeof(*dst)))
			continue;
		return osk;
	}
	return NULL;
}

/*
 * icmp_echo on lo: the request m from src to dst is answered from dst, and
 * the reply goes to whichever ping socket it matches. Extended echo
 * (RFC 8335) is not answered (net.ipv4.icmp_echo_enable_probe 0), nor is
 * lo's broadcast address (icmp_echo_ignore_broadcasts 1).
 */
static void ping_loopback_reply_locked(struct sock *sk, uint8_t *m, size_t len,
				       const struct in6_addr *src, const struct in6_addr *dst,
				       const struct inet_tx *tx)
{
	bool v4 = ep_is_v4(dst);
	netdev_account(false, false, false, !v4, len);         /* the request, on lo */
	if (m[0] != (v4 ? ICMP_ECHO : ICMP6_ECHO_REQUEST) || (v4 && ep_v4(dst) == 0x7fffffffu))
		return;
	uint16_t ident;
	memcpy(&ident, m + 4, 2);
	struct sock *target = ping_lookup_locked(v4, ntohs(ident), src);
	if (!target)
		return;
	m[0] = v4 ? ICMP_ECHOREPLY : ICMP6_ECHO_REPLY;
	ping_checksum(m, len, v4, dst, src);
	/* The reply's header: TTL 64, the request's TOS (icmp_reply), to src on lo. */
	struct sk_pktinfo pi;
	inet_pktinfo_locked(sk, tx, &(struct inet_ep){ *src, 0 }, &pi);
	pi.ttl = PING_REPLY_TTL;
	netdev_account(false, false, false, !v4, len);         /* the reply */
	ping_queue_locked(target, dst, m, len, &pi);
}

void ping_deliver_locked(struct sock *sk, uint32_t addr, const void *buf, size_t len)
{
	net_assert_locked();
	struct inet_priv *ip = inet_of(sk);
	const uint8_t *m = buf;
	/*
	 * Only real echo replies (code 0): slirp reflects an ICMP error its
	 * host socket got (a port unreachable) as "type 0, code 3" quoting
	 * another packet, which is no reply to anything the guest sent.
	 */
	if (sk->dead || sk->ops != &ping_ops || sk->family != AF_INET || len < PING_HDR_LEN ||
	    m[0] != ICMP_ECHOREPLY || m[1] != 0 || !ip->bound)
		return;
	uint16_t ident;
	memcpy(&ident, m + 4, 2);
	/* Still this socket's identifier and address (it may have been disconnected since). */
	if (ntohs(ident) != ip->local.port ||
	    (!ep_is_any(&ip->local.a) && ep_v4(&ip->local.a) != NET_GUEST_ADDR))
		return;
	const struct netdev *eth0 = netdev_by_name("eth0");
	struct sk_pktinfo pi = { .valid = true, .v4 = true, .ttl = PING_REPLY_TTL,
				 .ifindex = eth0 ? eth0->index : 0 };
	ep_set_v4(&pi.dst, NET_GUEST_ADDR);
	struct in6_addr src;
	ep_set_v4(&src, addr);
	netdev_account(true, true, false, false, len);
	ping_queue_locked(sk, &src, m, len, &pi);
}

/* The destination of a send (ping_v4_sendmsg, ping_v6_sendmsg): 0 or Linux's -errno. */
static int ping_parse_dest(struct sock *sk, const void *name, uint32_t len, struct in6_addr *a)
{
	if (sk->family == AF_INET) {
		struct sockaddr_in sin;
		if (len < sizeof(sin))
			return -EINVAL;
		memcpy(&sin, name, sizeof(sin));
		if (sin.sin_family != AF_INET)
			return -EAFNOSUPPORT;
		ep_set_v4(a, ntohl(sin.sin_addr.s_addr));
		return 0;
	}
	struct sockaddr_in6 sin6;
	if (len < sizeof(sin6))
		return -EINVAL;
	memcpy(&sin6, name, sizeof(sin6));
	if (sin6.sin6_family != AF_INET6)
		return -EAFNOSUPPORT;
	*a = sin6.sin6_addr;
	if (IN6_IS_ADDR_V4MAPPED(a) || (IN6_IS_ADDR_LINKLOCAL(a) && !sin6.sin6_scope_id))
		return -EINVAL;
	return 0;
}

/*
 * The request msg (len bytes, the guest's) to dst, after the checks of
 * ping_v4_sendmsg / ping_v6_sendmsg that need the socket: the route, the
 * size, a pending error, shutdown. Then the identifier and checksum, and
 * off it goes: answered here (loopback) or through egress. 0 or -errno.
 */
static long ping_send_locked(struct sock *sk, uint8_t *msg, size_t len, struct in6_addr *dst,
			     const struct inet_tx *tx)
{
	struct inet_priv *ip = inet_of(sk);
	bool v4 = sk->family == AF_INET, external;
	long rc;
	if (!v4 && IN6_IS_ADDR_UNSPECIFIED(dst))
		return -ENETUNREACH;           /* no route to :: (connect() alone makes it ::1) */
	if ((rc = ping_route_locked(sk, dst, &external)))
		return rc;
	if (len > (v4 ? PING4_MAX_LEN : PING6_MAX_LEN))
		return -EMSGSIZE;
	if (sk->err) {
		rc = -sk->err;                 /* sock_alloc_send_skb: a pending error, shutdown */
		sk->err = 0;
		return rc;
	}
	if (sk->shutdown & SK_SEND_SHUTDOWN)
		return -EPIPE;
	struct in6_addr src = ping_source_locked(sk, dst, external);
	if (tx->has_src && !ep_is_any(&tx->src))
		src = tx->src;                 /* IP_PKTINFO's ipi_spec_dst, IPV6_PKTINFO's address */
	uint16_t ident = htons(ip->local.port);
	memcpy(msg + 4, &ident, 2);
	ping_checksum(msg, len, v4, &src, dst);
	if (external)
		return egress_ping_send_locked(&ip->egress, sk, ep_v4(dst), msg, len);
	ping_loopback_reply_locked(sk, msg, len, &src, dst, tx);
	return 0;
}

static long ping_sendmsg(struct task *t, struct sock *sk, struct net_msg *m, int flags,
			 bool nonblock)
{
	struct inet_priv *ip = inet_of(sk);
	size_t len = iov_total(m->iov, m->iovcnt);
	/* inet_send_prepare: the identifier comes before any check. */
	net_lock();
	long rc = ping_autobind_locked(ip);
	net_unlock();
	if (rc)
		return rc;
	/* ping_common_sendmsg */
	if (len > 0xffff)
		return -EMSGSIZE;
	if (len < PING_HDR_LEN)
		return -EINVAL;
	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	uint8_t *msg = malloc(len);
	if (!msg)
		return -ENOBUFS;
	/* Copied once: the guest may change its buffer meanwhile. */
	iov_to_buf(m->iov, m->iovcnt, 0, msg, len);
	struct in6_addr dst;
	if (!ping_supported(sk->family, msg[0], msg[1]))
		rc = -EINVAL;
	else if (m->name)
		rc = ping_parse_dest(sk, m->name, m->namelen, &dst);
	if (rc) {
		free(msg);
		return rc;
	}
	net_lock();
	struct inet_tx tx;
	if (!m->name && !ip->has_remote)
		rc = -EDESTADDRREQ;
	else if (!m->name)
		dst = ip->remote.a;
	if (!rc)
		rc = inet_cmsg_send_locked(t, sk, m->control, m->control ? m->controllen : 0,
					   sk->family == AF_INET, &tx);
	if (!rc)
		rc = ping_send_locked(sk, msg, len, &dst, &tx);
	net_unlock();
	free(msg);
	return rc ? rc : (long)len;
}

/* ---- release ---- */

static void ping_unbind_locked(struct sock *sk)
{
	struct inet_priv *ip = inet_of(sk);
	inet_egress_release_locked(ip);
	ping_unhash_locked(ip);
}

static const struct sock_ops ping_ops = {
	.bind = ping_bind,
	.connect = ping_connect,
	.sendmsg = ping_sendmsg,
	.getsockopt = inet_getsockopt,
	.setsockopt = inet_setsockopt,
	.getname_locked = ping_getname_locked,
	.recv_name_locked = inet_recv_name_locked,
	.recv_cmsgs_locked = inet_recv_cmsgs_locked,
	.unbind_locked = ping_unbind_locked,
	.destroy = inet_destroy,
	.no_queue_ioctls = true,
	.recv_trunc_copied = true,
};
