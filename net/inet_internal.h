/*
 * What net/inet.c (addresses, ports, TCP and UDP), net/inet_opt.c
 * (IPPROTO_IP/IPPROTO_IPV6/IPPROTO_TCP options and IP-level control
 * messages) and net/ping.c (ICMP echo sockets) share. Only those files
 * include it. All state: net_lock.
 */
#ifndef NET_INET_INTERNAL_H
#define NET_INET_INTERNAL_H

#include <string.h>
#include "net/net_internal.h"

#define TCP_OPT_MAX 48
#define IP_OPT_MAX 80

/* An endpoint: an IPv6 address (IPv4 mapped) and a port in host order. */
struct inet_ep {
	struct in6_addr a;
	uint16_t port;
};

/* ---- addresses: IPv4 as ::ffff:a.b.c.d, host byte order in and out ---- */

static inline bool ep_is_v4(const struct in6_addr *a)
{
	return IN6_IS_ADDR_V4MAPPED(a);
}

static inline uint32_t ep_v4(const struct in6_addr *a)
{
	uint32_t v;
	memcpy(&v, &a->s6_addr[12], 4);
	return ntohl(v);
}

static inline void ep_set_v4(struct in6_addr *a, uint32_t host)
{
	memset(a, 0, sizeof(*a));
	a->s6_addr[10] = a->s6_addr[11] = 0xff;
	uint32_t n = htonl(host);
	memcpy(&a->s6_addr[12], &n, 4);
}

static inline bool ep_is_any(const struct in6_addr *a)
{
	return IN6_IS_ADDR_UNSPECIFIED(a) || (ep_is_v4(a) && ep_v4(a) == 0);
}

static inline bool ep_is_loopback(const struct in6_addr *a)
{
	if (ep_is_v4(a))
		return (ep_v4(a) >> 24) == 127;
	return IN6_IS_ADDR_LOOPBACK(a);
}

/*
 * Family state of an inet socket (TCP, UDP, ping). A ping socket's `local.port`
 * is its echo identifier, and it sits on net/ping.c's list (`next`,
 * `listed`), never on inet.c's port table.
 */
struct inet_priv {
	struct inet_priv *next;        /* in inet_bound */
	bool listed;
	struct sock *sk;
	int ss;                        /* the socket-level state (Linux's sock->state) */
	bool v6only;
	bool autobound;                /* the port came from autobind (ping: not from bind) */
	bool bind_addr;                /* ping: bind() named the address (SOCK_BINDADDR_LOCK) */
	bool bound;                    /* has a local port */
	struct inet_ep local;
	bool has_remote;
	struct inet_ep remote;
	struct sock *pend_listener;    /* connecting: the listener we wait on (reference) */
	struct sock *pend_next;        /* in the listener's pending list */
	struct sock *pend_head;        /* listener: connecting clients (a reference each) */
	/* Option values by name, as getsockopt reads them back (inet_opt_init's defaults). */
	int tcp_opt[TCP_OPT_MAX];
	int ip_opt[IP_OPT_MAX];        /* IP_TTL -1: the default (64) */
	int ip6_opt[IP_OPT_MAX];       /* IPV6_UNICAST_HOPS -1: the default (64) */
	struct egress_udp *egress;     /* UDP or ping that sent beyond loopback: its outside */
};

static inline struct inet_priv *inet_of(struct sock *sk)
{
	return sk->fpriv;
}

/* ---- net/inet.c ---- */

/* Format ep as sk's family sees it (sockaddr_in, or sockaddr_in6 with IPv4 mapped). */
void inet_ep_format(const struct sock *sk, const struct inet_ep *ep, struct sk_addr *out);
/*
 * getsockname/getpeername of an inet socket: the local endpoint (port 0
 * until bound), or the remote one, -ENOTCONN unless connected (the
 * protocol's own test).
 */
int inet_getname_ep(struct sock *sk, bool peer, bool connected, struct sk_addr *out);
/* recvmsg's source address: a queued sockaddr_in6 rewritten for sk's family (net_lock held). */
void inet_recv_name_locked(struct sock *sk, struct sk_addr *from);

/* ---- net/ping.c ---- */

/*
 * socket(family, SOCK_DGRAM, IPPROTO_ICMP / IPPROTO_ICMPV6): an ICMP echo
 * socket, or -EACCES when none of the caller's groups is in
 * net.ipv4.ping_group_range (ping_init_sock).
 */
int ping_create(struct task *t, int family, int protocol, struct sock **out);

/* ---- net/inet_opt.c ---- */

/* A new socket's option defaults (Linux's inet_create / inet6_create). */
void inet_opt_init(struct inet_priv *ip);
int inet_setsockopt(struct task *t, struct sock *sk, int level, int name, const void *val,
		    uint32_t len);
int inet_getsockopt(struct task *t, struct sock *sk, int level, int name, void *val,
		    uint32_t *len);

/* What a sendmsg's control messages ask of one datagram (Linux's ipcm_cookie / ipcm6_cookie). */
struct inet_tx {
	int ttl;                       /* IP_TTL / IPV6_HOPLIMIT; -1: the socket's */
	int tos;                       /* IP_TOS / IPV6_TCLASS; -1: the socket's */
	bool has_src;                  /* IP_PKTINFO / IPV6_PKTINFO named a source address */
	struct in6_addr src;
};
/*
 * Parse sendmsg's control buffer for a datagram from sk that is IPv4 (v4:
 * ip_cmsg_send, IPV6_PKTINFO allowed on AF_INET6 sockets) or IPv6
 * (ip6_datagram_send_ctl); net_lock held. Returns 0 or Linux's -EINVAL,
 * -ENODEV, -ENETUNREACH, -EPERM.
 */
int inet_cmsg_send_locked(struct task *t, struct sock *sk, const void *buf, size_t len, bool v4,
			  struct inet_tx *tx);
/* The IP header fields of a datagram from sk to dst with tx's overrides (net_lock held). */
void inet_pktinfo_locked(struct sock *sk, const struct inet_tx *tx, const struct inet_ep *dst,
			 struct sk_pktinfo *pi);
/* recvmsg: the IP-level control messages sk asked for, from msg's header fields (net_lock held). */
void inet_recv_cmsgs_locked(struct sock *sk, const struct sk_msg *msg, struct sk_cmsg_out *o);
/* A copied-in guest sockaddr of sk's family as an endpoint (see inet.c). */
int inet_ep_parse(const struct sock *sk, const void *addr, uint32_t len, struct inet_ep *ep,
		  bool unspec_ok);
/* Release ip's egress datagram channel, if it has one (net_lock held). */
void inet_egress_release_locked(struct inet_priv *ip);
/* sock_ops.destroy of inet and ping sockets: frees the inet_priv. */
void inet_destroy(struct sock *sk);

#endif
