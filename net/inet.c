/*
 * AF_INET and AF_INET6 on the sentry's own loopback: TCP (the connection
 * engine, net/stream.c) and UDP (net/dgram.c) between sockets of this
 * sandbox only. Nothing here reaches the host network: 127.0.0.0/8 and ::1
 * are the only local addresses (plus the wildcards), connecting or sending
 * anywhere else gives ENETUNREACH, binding to any other address
 * EADDRNOTAVAIL; under --net=sandbox, IPv4 TCP connections and UDP
 * datagrams beyond loopback go to net/egress.c (from eth0's 10.0.2.15).
 *
 * Addresses are kept as IPv6 (IPv4 as ::ffff:a.b.c.d) with a port. A
 * socket's bound address covers IPv4, IPv6 or both: an AF_INET6 socket
 * bound to :: without IPV6_V6ONLY also takes IPv4 (dual stack), which is
 * how `python3 -m http.server` listens. Port conflicts follow Linux:
 * overlapping addresses clash unless both sockets set SO_REUSEADDR (and,
 * for TCP, neither listens) or both set SO_REUSEPORT. Ephemeral ports come
 * from 32768-60999.
 *
 * TCP connect completes at once when the listener's backlog has room
 * (a non-blocking connect still says EINPROGRESS, as Linux on loopback);
 * otherwise the client waits on the listener's pending list until accept
 * makes room. State: net_lock, as everything in net/.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include "net/inet_internal.h"
#include "sentry/task.h"

#define CAP_NET_BIND_SERVICE 10
#define CAP_NET_RAW 13
#define CAP_NET_ADMIN 12
#define EPHEMERAL_LOW 32768
#define EPHEMERAL_HIGH 60999
#define IPPROTO_MPTCP_ 262
#define TCP_DEFAULT_SNDBUF 16384
#define TCP_DEFAULT_RCVBUF 131072
#define UDP4_MAX_PAYLOAD 65507
#define UDP6_MAX_PAYLOAD 65527

enum { SS_UNCONNECTED_, SS_CONNECTING_, SS_CONNECTED_ };

static struct inet_priv *inet_bound;
static unsigned inet_next_port;

static const struct sock_ops tcp_ops;
static const struct sock_ops udp_ops;

/* ---- addresses ---- */

static const struct in6_addr in6_any = IN6ADDR_ANY_INIT;
static const struct in6_addr in6_loop = IN6ADDR_LOOPBACK_INIT;

/* Addresses a bind may name here: wildcards, loopback, multicast and broadcast (v4). */
static bool ep_bindable(const struct in6_addr *a)
{
	if (ep_is_any(a) || ep_is_loopback(a))
		return true;
	if (ep_is_v4(a)) {
		uint32_t v = ep_v4(a);
		if (v == NET_GUEST_ADDR && net_egress_enabled())
			return true;           /* eth0's address */
		return (v >> 28) == 0xe || v == 0xffffffffu;
	}
	return IN6_IS_ADDR_MULTICAST(a);
}

static bool ep_equal(const struct inet_ep *x, const struct inet_ep *y)
{
	return x->port == y->port && !memcmp(&x->a, &y->a, sizeof(x->a));
}

/*
 * Parse a guest address for sk's family into ep. Returns 0, -EINVAL (too
 * short), -EAFNOSUPPORT (wrong family). unspec_ok: AF_UNSPEC counts as
 * AF_INET (bind of INADDR_ANY, sendto).
 */
int inet_ep_parse(const struct sock *sk, const void *addr, uint32_t len, struct inet_ep *ep,
		  bool unspec_ok)
{
	const struct sockaddr *sa = addr;
	if (sk->family == AF_INET) {
		struct sockaddr_in sin;
		if (len < sizeof(sin))
			return -EINVAL;
		memcpy(&sin, addr, sizeof(sin));
		if (sin.sin_family != AF_INET &&
		    !(unspec_ok && sin.sin_family == AF_UNSPEC))
			return -EAFNOSUPPORT;
		ep_set_v4(&ep->a, ntohl(sin.sin_addr.s_addr));
		ep->port = ntohs(sin.sin_port);
		return 0;
	}
	if (len >= sizeof(sa_family_t) && sa->sa_family == AF_INET && sk->udp &&
	    sk->protocol != IPPROTO_ICMPV6) {
		/* udpv6_sendmsg takes an AF_INET destination as its mapped form (ping6 does not). */
		struct sockaddr_in sin;
		if (len < sizeof(sin))
			return -EINVAL;
		memcpy(&sin, addr, sizeof(sin));
		ep_set_v4(&ep->a, ntohl(sin.sin_addr.s_addr));
		ep->port = ntohs(sin.sin_port);
		return 0;
	}
	struct sockaddr_in6 sin6;
	if (len < 24)                          /* SIN6_LEN_RFC2133 */
		return -EINVAL;
	memset(&sin6, 0, sizeof(sin6));
	memcpy(&sin6, addr, MIN(len, (uint32_t)sizeof(sin6)));
	if (sin6.sin6_family != AF_INET6)
		return -EAFNOSUPPORT;
	ep->a = sin6.sin6_addr;
	ep->port = ntohs(sin6.sin6_port);
	return 0;
}

void inet_ep_format(const struct sock *sk, const struct inet_ep *ep, struct sk_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (sk->family == AF_INET) {
		struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(ep->port) };
		sin.sin_addr.s_addr = htonl(ep_is_v4(&ep->a) ? ep_v4(&ep->a) : 0);
		memcpy(out->bytes, &sin, sizeof(sin));
		out->len = sizeof(sin);
	} else {
		struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(ep->port) };
		sin6.sin6_addr = ep->a;
		memcpy(out->bytes, &sin6, sizeof(sin6));
		out->len = sizeof(sin6);
	}
}

/* The source address towards dst for a socket bound to local (route: lo's prefsrc). */
static struct in6_addr ep_source(const struct in6_addr *local, const struct in6_addr *dst)
{
	if (!ep_is_any(local))
		return *local;
	struct in6_addr s;
	if (ep_is_v4(dst))
		ep_set_v4(&s, 0x7f000001);
	else
		s = in6_loop;
	return s;
}

/* ---- the port table ---- */

/* What a bound socket covers: 0 none, 1 the wildcard, 2 one address (in *a). */
static int cover_v4(const struct inet_priv *ip, uint32_t *a)
{
	const struct in6_addr *l = &ip->local.a;
	if (ep_is_v4(l)) {
		*a = ep_v4(l);
		return *a ? 2 : 1;
	}
	if (ip->sk->family == AF_INET6 && IN6_IS_ADDR_UNSPECIFIED(l) && !ip->v6only)
		return 1;
	return 0;
}

static int cover_v6(const struct inet_priv *ip, struct in6_addr *a)
{
	const struct in6_addr *l = &ip->local.a;
	if (ip->sk->family != AF_INET6 || ep_is_v4(l))
		return 0;
	*a = *l;
	return IN6_IS_ADDR_UNSPECIFIED(l) ? 1 : 2;
}

static bool addrs_overlap(const struct inet_priv *x, const struct inet_priv *y)
{
	uint32_t a4, b4;
	int ca = cover_v4(x, &a4), cb = cover_v4(y, &b4);
	if (ca && cb && (ca == 1 || cb == 1 || a4 == b4))
		return true;
	struct in6_addr a6, b6;
	ca = cover_v6(x, &a6);
	cb = cover_v6(y, &b6);
	return ca && cb && (ca == 1 || cb == 1 || !memcmp(&a6, &b6, sizeof(a6)));
}

/* Would ip, on port, clash with a socket already bound? (inet_csk_bind_conflict, udp_lib_lport_inuse) */
static bool port_conflict_locked(const struct inet_priv *ip, uint16_t port)
{
	const struct sock *sk = ip->sk;
	for (const struct inet_priv *o = inet_bound; o; o = o->next) {
		const struct sock *osk = o->sk;
		if (o == ip || osk->dead || osk->tcp != sk->tcp || o->local.port != port)
			continue;
		if (!addrs_overlap(ip, o))
			continue;
		if (sk->reuseport && osk->reuseport)
			continue;
		/* Both SO_REUSEADDR: fine unless the other one listens (TCP). */
		if (sk->reuseaddr && osk->reuseaddr && (!sk->tcp || osk->state != SK_LISTEN))
			continue;
		return true;
	}
	return false;
}

static bool port_used_locked(bool tcp, uint16_t port)
{
	for (const struct inet_priv *o = inet_bound; o; o = o->next)
		if (!o->sk->dead && o->sk->tcp == tcp && o->local.port == port)
			return true;
	return false;
}

static void inet_list_locked(struct inet_priv *ip)
{
	if (ip->listed)
		return;
	ip->next = inet_bound;
	inet_bound = ip;
	ip->listed = true;
}

static void inet_unlist_locked(struct inet_priv *ip)
{
	if (!ip->listed)
		return;
	for (struct inet_priv **pp = &inet_bound; *pp; pp = &(*pp)->next) {
		if (*pp == ip) {
			*pp = ip->next;
			break;
		}
	}
	ip->listed = false;
	ip->bound = false;
}

/* Take a port (0: an ephemeral one) for ip's local address; -EADDRINUSE. */
static int port_get_locked(struct inet_priv *ip, uint16_t port)
{
	if (port) {
		if (port_conflict_locked(ip, port))
			return -EADDRINUSE;
		ip->local.port = port;
		ip->autobound = false;
	} else {
		unsigned range = EPHEMERAL_HIGH - EPHEMERAL_LOW + 1;
		if (!inet_next_port)
			inet_next_port = (unsigned)(kernel_uptime_ns() >> 12) % range;
		unsigned i;
		for (i = 0; i < range; i++) {
			uint16_t p = (uint16_t)(EPHEMERAL_LOW + (inet_next_port++ % range));
			if (!port_used_locked(ip->sk->tcp, p)) {
				ip->local.port = p;
				break;
			}
		}
		if (i == range)
			return -EADDRINUSE;
		ip->autobound = true;
	}
	ip->bound = true;
	inet_list_locked(ip);
	return 0;
}

static int inet_autobind_locked(struct sock *sk)
{
	struct inet_priv *ip = inet_of(sk);
	if (ip->bound)
		return 0;
	return port_get_locked(ip, 0);
}

/* ---- creation ---- */

static struct sock *inet_alloc(int family, int type, int protocol)
{
	struct inet_priv *ip = calloc(1, sizeof(*ip));
	if (!ip)
		return NULL;
	bool tcp = type == SOCK_STREAM;
	struct sock *sk = sock_alloc(family, type, protocol, tcp ? &tcp_ops : &udp_ops);
	if (!sk) {
		free(ip);
		return NULL;
	}
	sk->tcp = tcp;
	sk->udp = !tcp;
	if (tcp) {
		sk->sndbuf = TCP_DEFAULT_SNDBUF;
		sk->rcvbuf = TCP_DEFAULT_RCVBUF;
	}
	ip->sk = sk;
	inet_opt_init(ip);
	if (family == AF_INET)
		ep_set_v4(&ip->local.a, 0);
	sk->fpriv = ip;
	return sk;
}

int inet_create(struct task *t, int family, int type, int protocol, struct sock **out)
{
	if (protocol < 0 || protocol >= 263)
		return -EINVAL;
	switch (type) {
	case SOCK_STREAM:
		if (protocol == 0)
			protocol = IPPROTO_TCP;
		if (protocol != IPPROTO_TCP && protocol != IPPROTO_MPTCP_)
			return -EPROTONOSUPPORT;
		break;
	case SOCK_DGRAM:
		if (protocol == 0)
			protocol = IPPROTO_UDP;
		/* Ping sockets: ICMP for AF_INET, ICMPv6 for AF_INET6 (the other one has no entry). */
		if ((family == AF_INET && protocol == IPPROTO_ICMP) ||
		    (family == AF_INET6 && protocol == IPPROTO_ICMPV6))
			return ping_create(t, family, protocol, out);
		if (protocol != IPPROTO_UDP && protocol != IPPROTO_UDPLITE)
			return -EPROTONOSUPPORT;
		break;
	case SOCK_RAW:
		/* inet_create: protocol 0 is no raw protocol; others want CAP_NET_RAW. */
		if (protocol == 0)
			return -EPROTONOSUPPORT;
		/*
		 * Raw ICMP is EPERM even with CAP_NET_RAW, as on a host that
		 * does not permit raw sockets: pingers that try a raw socket
		 * first (busybox ping) then fall back to a ping socket only
		 * on EPERM.
		 */
		if ((family == AF_INET && protocol == IPPROTO_ICMP) ||
		    (family == AF_INET6 && protocol == IPPROTO_ICMPV6))
			return -EPERM;
		return cred_capable(&t->cred, CAP_NET_RAW) ? -EPROTONOSUPPORT : -EPERM;
	default:
		return -ESOCKTNOSUPPORT;
	}
	struct sock *sk = inet_alloc(family, type, protocol);
	if (!sk)
		return -ENOMEM;
	*out = sk;
	return 0;
}

/* ---- bind ---- */

static int inet_bind(struct task *t, struct sock *sk, const void *addr, uint32_t len)
{
	struct inet_ep ep;
	int rc = inet_ep_parse(sk, addr, len, &ep, sk->family == AF_INET);
	if (rc)
		return rc;
	if (sk->family == AF_INET) {
		const struct sockaddr_in *sin = addr;
		if (sin->sin_family == AF_UNSPEC && !ep_is_any(&ep.a))
			return -EAFNOSUPPORT;
	}
	struct inet_priv *ip = inet_of(sk);
	bool v4 = sk->family == AF_INET;
	bool privileged = !ep.port || ep.port >= 1024 ||
			  cred_capable(&t->cred, CAP_NET_BIND_SERVICE);
	if (v4) {
		/* __inet_bind: address, then privilege, then state. */
		if (!ep_bindable(&ep.a))
			return -EADDRNOTAVAIL;
		if (!privileged)
			return -EACCES;
	} else {
		if (IN6_IS_ADDR_MULTICAST(&ep.a) && sk->tcp)
			return -EINVAL;
		if (!privileged)
			return -EACCES;
	}
	net_lock();
	if (sk->state != SK_UNCONNECTED || ip->bound || sk->connecting) {
		rc = -EINVAL;
	} else if (!v4 && ep_is_v4(&ep.a) && ip->v6only) {
		rc = -EINVAL;
	} else if (!ep_bindable(&ep.a)) {
		rc = -EADDRNOTAVAIL;
	} else {
		struct inet_ep saved = ip->local;
		bool saved_v6only = ip->v6only;
		ip->local.a = ep.a;
		/* A specific IPv6 address makes the socket IPv6-only (__inet6_bind). */
		if (!v4 && !ep_is_v4(&ep.a) && !IN6_IS_ADDR_UNSPECIFIED(&ep.a))
			ip->v6only = true;
		rc = port_get_locked(ip, ep.port);
		if (rc) {
			ip->local = saved;
			ip->v6only = saved_v6only;
		} else {
			ip->autobound = false;
		}
	}
	net_unlock();
	return rc;
}

int inet_getname_ep(struct sock *sk, bool peer, bool connected, struct sk_addr *out)
{
	struct inet_priv *ip = inet_of(sk);
	if (peer) {
		if (!connected)
			return -ENOTCONN;
		inet_ep_format(sk, &ip->remote, out);
		return 0;
	}
	struct inet_ep l = ip->local;
	if (!ip->bound)
		l.port = 0;
	inet_ep_format(sk, &l, out);
	return 0;
}

static int inet_getname_locked(struct sock *sk, bool peer, struct sk_addr *out)
{
	struct inet_priv *ip = inet_of(sk);
	return inet_getname_ep(sk, peer, ip->has_remote && !(sk->tcp && sk->state != SK_CONNECTED),
			       out);
}

/*
 * Resolve a destination: the any address means this host; loopback is
 * reachable, and under --net=sandbox (*external set) any other IPv4
 * address goes out through net/egress.c. external NULL: loopback only.
 */
static int ep_route_ext(const struct sock *sk, struct inet_ep *dst, bool *external)
{
	const struct inet_priv *ip = inet_of((struct sock *)sk);
	if (external)
		*external = false;
	if (ep_is_any(&dst->a)) {
		if (ep_is_v4(&dst->a) || sk->family == AF_INET)
			ep_set_v4(&dst->a, 0x7f000001);
		else
			dst->a = in6_loop;
	}
	if (sk->family == AF_INET6 && ep_is_v4(&dst->a) && ip->v6only)
		return -ENETUNREACH;
	if (!ep_is_loopback(&dst->a)) {
		uint32_t v = ep_is_v4(&dst->a) ? ep_v4(&dst->a) : 0;
		/* Multicast, broadcast and IPv6 have no route out of the sandbox. */
		if (!external || !net_egress_enabled() || !ep_is_v4(&dst->a) || (v >> 28) >= 0xe)
			return -ENETUNREACH;
		if (ip->bound && !ep_is_any(&ip->local.a) && ep_is_loopback(&ip->local.a))
			return -EINVAL;        /* a loopback-bound socket cannot leave (Linux: EINVAL) */
		*external = true;
		return 0;
	}
	/* A socket bound to one family's address cannot talk to the other's. */
	if (ip->bound && !ep_is_any(&ip->local.a) && ep_is_v4(&ip->local.a) != ep_is_v4(&dst->a))
		return -ENETUNREACH;
	return 0;
}

/* Does a socket bound like o receive for destination dst? */
static bool covers(const struct inet_priv *o, const struct in6_addr *dst, bool *exact)
{
	if (ep_is_v4(dst)) {
		uint32_t a;
		int c = cover_v4(o, &a);
		*exact = c == 2;
		return c == 1 || (c == 2 && a == ep_v4(dst));
	}
	struct in6_addr a;
	int c = cover_v6(o, &a);
	*exact = c == 2;
	return c == 1 || (c == 2 && !memcmp(&a, dst, sizeof(a)));
}

/* ---- TCP ---- */

static struct sock *tcp_find_listener_locked(const struct inet_ep *dst)
{
	struct sock *best = NULL;
	for (struct inet_priv *o = inet_bound; o; o = o->next) {
		bool exact;
		if (!o->sk->tcp || o->sk->dead || o->sk->state != SK_LISTEN ||
		    o->local.port != dst->port || !covers(o, &dst->a, &exact))
			continue;
		if (exact)
			return o->sk;
		if (!best)
			best = o->sk;
	}
	return best;
}

static int tcp_listen_locked(struct sock *sk, int backlog)
{
	struct inet_priv *ip = inet_of(sk);
	if (ip->ss != SS_UNCONNECTED_ || (sk->state != SK_UNCONNECTED && sk->state != SK_LISTEN))
		return -EINVAL;
	if (sk->state != SK_LISTEN) {
		if (!ip->bound) {
			int rc = port_get_locked(ip, 0);
			if (rc)
				return rc;
		} else if (port_conflict_locked(ip, ip->local.port)) {
			return -EADDRINUSE;
		}
	}
	return stream_listen_locked(sk, backlog);
}

static struct sock *tcp_child_locked(struct sock *listener)
{
	struct sock *child = inet_alloc(listener->family, listener->type, listener->protocol);
	if (!child)
		return NULL;
	struct inet_priv *lp = inet_of(listener), *cp = inet_of(child);
	/* sk_clone_lock: the child inherits the listener's options. */
	child->sndbuf = listener->sndbuf;
	child->rcvbuf = listener->rcvbuf;
	child->sndbuf_set = listener->sndbuf_set;
	child->keepalive = listener->keepalive;
	child->linger_on = listener->linger_on;
	child->linger = listener->linger;
	child->reuseaddr = listener->reuseaddr;
	child->rcvtimeo_us = listener->rcvtimeo_us;
	child->sndtimeo_us = listener->sndtimeo_us;
	child->rcvlowat = listener->rcvlowat;
	memcpy(cp->tcp_opt, lp->tcp_opt, sizeof(cp->tcp_opt));
	memcpy(cp->ip_opt, lp->ip_opt, sizeof(cp->ip_opt));
	memcpy(cp->ip6_opt, lp->ip6_opt, sizeof(cp->ip6_opt));
	cp->v6only = lp->v6only;
	cp->ss = SS_CONNECTED_;
	return child;
}

/* Connect client to listener now (room in the backlog): set both ends' addresses. */
static int tcp_establish_locked(struct task *t, struct sock *client, struct sock *listener,
				const struct inet_ep *dst)
{
	struct sock *child;
	int rc = stream_connect_locked(t, client, listener, true, &child);
	if (rc)
		return rc;
	struct inet_priv *cp = inet_of(client), *ch = inet_of(child);
	ch->local = *dst;
	ch->local.port = inet_of(listener)->local.port;
	ch->has_remote = true;
	ch->remote = cp->local;
	/* The child shares the listener's port (the bind bucket), without a table entry. */
	ch->bound = true;
	return 0;
}

static void tcp_pend_unlink_locked(struct sock *client)
{
	struct inet_priv *cp = inet_of(client);
	struct sock *l = cp->pend_listener;
	if (!l)
		return;
	struct inet_priv *lp = inet_of(l);
	for (struct sock **pp = &lp->pend_head; *pp; pp = &inet_of(*pp)->pend_next) {
		if (*pp == client) {
			*pp = cp->pend_next;
			sock_put_locked(client);
			break;
		}
	}
	cp->pend_next = NULL;
	cp->pend_listener = NULL;
	sock_put_locked(l);
}

/* accept() made room: the first waiting client gets its connection. */
static void tcp_accepted_locked(struct sock *listener)
{
	struct inet_priv *lp = inet_of(listener);
	while (lp->pend_head && listener->state == SK_LISTEN &&
	       listener->aq_len <= (unsigned)listener->backlog) {
		struct sock *client = lp->pend_head;
		struct inet_priv *cp = inet_of(client);
		sock_get_locked(client);
		tcp_pend_unlink_locked(client);
		if (!client->dead && client->connecting) {
			if (tcp_establish_locked(NULL, client, listener, &cp->remote)) {
				client->connecting = false;
				client->err = ECONNREFUSED;
				client->state = SK_CLOSED;
				client->shutdown = SK_SHUTDOWN_MASK;
			}
			sk_wake(client, ~0u);
			sk_wake_async(client, client->err ? POLLERR : POLLOUT);
		}
		sock_put_locked(client);
	}
}

/* The listener went away: its waiting clients are refused (their SYNs meet a RST). */
static void tcp_refuse_pending_locked(struct sock *listener)
{
	struct inet_priv *lp = inet_of(listener);
	while (lp->pend_head) {
		struct sock *client = lp->pend_head;
		sock_get_locked(client);
		tcp_pend_unlink_locked(client);
		client->connecting = false;
		client->err = ECONNREFUSED;
		client->state = SK_CLOSED;
		client->shutdown = SK_SHUTDOWN_MASK;
		sk_wake(client, ~0u);
		sk_wake_async(client, POLLERR);
		sock_put_locked(client);
	}
}

/* A refused connection attempt: nonblocking callers learn it from SO_ERROR. */
static int tcp_refused_locked(struct sock *sk, int err, bool nonblock)
{
	struct inet_priv *ip = inet_of(sk);
	ip->has_remote = false;
	if (ip->autobound) {
		inet_unlist_locked(ip);
		if (sk->family == AF_INET)
			ep_set_v4(&ip->local.a, 0);
		else
			ip->local.a = in6_any;
	}
	if (!nonblock)
		return -err;
	sk->err = err;
	sk->state = SK_CLOSED;
	sk->shutdown = SK_SHUTDOWN_MASK;
	ip->ss = SS_CONNECTING_;
	sk_wake(sk, ~0u);
	return -EINPROGRESS;
}

/* A connection beyond loopback (--net=sandbox): eth0's address, then net/egress.c. */
static int tcp_start_egress_locked(struct sock *sk, const struct inet_ep *dst, bool nonblock)
{
	struct inet_priv *ip = inet_of(sk);
	if (ep_is_any(&ip->local.a))
		ep_set_v4(&ip->local.a, NET_GUEST_ADDR);
	ip->has_remote = true;
	ip->remote = *dst;
	sk->err = 0;
	sk->shutdown = 0;
	sk->state = SK_UNCONNECTED;
	int rc = egress_tcp_start_locked(sk, ep_v4(&dst->a), dst->port);
	if (rc)
		return tcp_refused_locked(sk, -rc, nonblock);
	ip->ss = SS_CONNECTING_;
	return -EINPROGRESS;
}

struct sock *inet_proxy_alloc(void)
{
	struct sock *sk = inet_alloc(AF_INET, SOCK_STREAM, IPPROTO_TCP);
	if (sk)
		sk->proxy = true;
	return sk;
}

int inet_proxy_connect_locked(struct sock *proxy, uint32_t src_addr, uint16_t guest_port)
{
	static uint16_t next_port = EPHEMERAL_LOW;
	struct inet_priv *pp = inet_of(proxy);
	struct inet_ep dst;
	ep_set_v4(&dst.a, 0x7f000001);
	dst.port = guest_port;
	struct sock *l = tcp_find_listener_locked(&dst);
	if (!l || l->dead || l->aq_len > (unsigned)l->backlog)
		return -ECONNREFUSED;
	/* The source the guest sees: the gateway alias, a port of its own (in no table). */
	ep_set_v4(&pp->local.a, src_addr);
	pp->local.port = next_port;
	next_port = next_port >= EPHEMERAL_HIGH ? EPHEMERAL_LOW : next_port + 1;
	pp->has_remote = true;
	pp->remote = dst;
	int rc = tcp_establish_locked(NULL, proxy, l, &dst);
	if (!rc)
		pp->ss = SS_CONNECTED_;
	return rc;
}

/* Start a connection (inet_stream_connect's SS_UNCONNECTED case; net_lock held). */
static int tcp_start_connect_locked(struct task *t, struct sock *sk, const struct inet_ep *d,
				    bool nonblock)
{
	struct inet_priv *ip = inet_of(sk);
	struct inet_ep dst = *d;
	bool external;
	int rc = ep_route_ext(sk, &dst, &external);
	if (rc)
		return rc;
	if (!ip->bound && (rc = port_get_locked(ip, 0)))
		return rc;
	if (external)
		return tcp_start_egress_locked(sk, &dst, nonblock);
	if (ep_is_any(&ip->local.a)) {
		ip->local.a = ep_source(&ip->local.a, &dst.a);
		if (sk->family == AF_INET6 && !ep_is_v4(&dst.a))
			ip->local.a = in6_loop;
	}
	ip->has_remote = true;
	ip->remote = dst;
	sk->err = 0;
	sk->shutdown = 0;
	sk->state = SK_UNCONNECTED;
	struct sock *l = tcp_find_listener_locked(&dst);
	if (!l || l->dead) {
		/* A RST answers the SYN. */
		ip->has_remote = false;
		if (ip->autobound) {
			inet_unlist_locked(ip);
			if (sk->family == AF_INET)
				ep_set_v4(&ip->local.a, 0);
			else
				ip->local.a = in6_any;
		}
		if (!nonblock)
			return -ECONNREFUSED;
		sk->err = ECONNREFUSED;
		sk->state = SK_CLOSED;
		sk->shutdown = SK_SHUTDOWN_MASK;
		ip->ss = SS_CONNECTING_;
		sk_wake(sk, ~0u);
		return -EINPROGRESS;
	}
	ip->ss = SS_CONNECTING_;
	if (l->aq_len > (unsigned)l->backlog || inet_of(l)->pend_head) {
		/* The backlog is full: wait on the listener's pending list. */
		sk->connecting = true;
		sock_get_locked(l);
		ip->pend_listener = l;
		sock_get_locked(sk);
		struct sock **pp = &inet_of(l)->pend_head;
		while (*pp)
			pp = &inet_of(*pp)->pend_next;
		*pp = sk;
		ip->pend_next = NULL;
		return -EINPROGRESS;
	}
	rc = tcp_establish_locked(t, sk, l, &dst);
	if (rc)
		return rc;
	return -EINPROGRESS;
}

static int tcp_connect(struct task *t, struct sock *sk, const void *addr, uint32_t len,
		       bool nonblock)
{
	if (len < sizeof(sa_family_t))
		return -EINVAL;
	struct inet_priv *ip = inet_of(sk);
	if (((const struct sockaddr *)addr)->sa_family == AF_UNSPEC) {
		/* tcp_disconnect of an unconnected socket: nothing to undo. */
		net_lock();
		int rc = ip->ss == SS_UNCONNECTED_ && sk->state != SK_LISTEN ? 0 : -EISCONN;
		net_unlock();
		return rc;
	}
	struct inet_ep ep;
	int rc = 0;
	net_lock();
	switch (ip->ss) {
	case SS_CONNECTED_:
		net_unlock();
		return -EISCONN;
	case SS_CONNECTING_:
		rc = -EALREADY;
		break;
	default:
		if (sk->state != SK_UNCONNECTED && sk->state != SK_CLOSED) {
			net_unlock();
			return -EISCONN;
		}
		net_unlock();
		if ((rc = inet_ep_parse(sk, addr, len, &ep, false)))
			return rc;
		net_lock();
		if (ip->ss != SS_UNCONNECTED_ || sk->state == SK_LISTEN) {
			net_unlock();
			return ip->ss == SS_CONNECTED_ || sk->state == SK_LISTEN ? -EISCONN : -EALREADY;
		}
		rc = tcp_start_connect_locked(t, sk, &ep, nonblock);
		if (rc != -EINPROGRESS) {
			net_unlock();
			return rc;
		}
		if (nonblock) {
			/* Even when already connected: the next connect() reports 0. */
			net_unlock();
			return -EINPROGRESS;
		}
		break;
	}
	/* Wait for a connection in progress (inet_wait_for_connect). */
	if (sk->connecting) {
		if (nonblock) {
			net_unlock();
			return rc;
		}
		struct sk_wait w;
		sk_wait_init(&w, sk->sndtimeo_us);
		int wrc = 0;
		while (sk->connecting && !(wrc = sk_wait_locked(&w, sk)))
			;
		sk_wait_done(&w);
		if (sk->connecting) {
			net_unlock();
			return wrc == -EAGAIN ? -EINPROGRESS : wrc;
		}
	}
	if (sk->state != SK_CONNECTED) {
		/* Refused or reset: the pending error, else ECONNABORTED. */
		rc = sk->err ? -sk->err : -ECONNABORTED;
		sk->err = 0;
		ip->ss = SS_UNCONNECTED_;
		net_unlock();
		return rc;
	}
	ip->ss = SS_CONNECTED_;
	net_unlock();
	return 0;
}

static long tcp_sendmsg(struct task *t, struct sock *sk, struct net_msg *m, int flags,
			bool nonblock)
{
	if (m->control && m->controllen) {
		struct sk_control ctl;
		int rc = sk_control_parse(t, m->control, m->controllen, false, &ctl);
		if (rc)
			return rc;
	}
	/* A destination on a connected socket is ignored (tcp_sendmsg); MSG_OOB is sent inline. */
	return stream_send(t, sk, m->iov, m->iovcnt, NULL, flags, nonblock);
}

/* ---- UDP ---- */

static struct sock *udp_find_locked(const struct inet_ep *dst, const struct inet_ep *src)
{
	struct sock *best = NULL;
	int best_score = -1;
	for (struct inet_priv *o = inet_bound; o; o = o->next) {
		bool exact;
		if (!o->sk->udp || o->sk->dead || o->local.port != dst->port ||
		    !covers(o, &dst->a, &exact))
			continue;
		int score = exact ? 2 : 0;
		if (o->has_remote) {
			struct inet_ep r = o->remote;
			struct inet_ep s = *src;
			if (o->sk->family == AF_INET6 && ep_is_v4(&s.a) != ep_is_v4(&r.a))
				continue;
			if (!ep_equal(&r, &s))
				continue;
			score += 4;
		}
		if (score > best_score) {
			best = o->sk;
			best_score = score;
		}
	}
	return best;
}

/*
 * Queue a datagram from src on target (sender: sk, or target itself for
 * egress) with the IP header's fields pi, unless it does not fit target's
 * SO_RCVBUF: then it is dropped and the send still succeeds. Returns len
 * or -ENOMEM.
 */
static long udp_queue_locked(struct task *t, struct sock *sk, struct sock *target,
			     const struct iovec *iov, int iovcnt, size_t len,
			     const struct inet_ep *src, const struct sk_pktinfo *pi)
{
	if (target->rq_bytes + len + 256 * (target->rq_len + 1) > (size_t)target->rcvbuf ||
	    (target->shutdown & SK_RCV_SHUTDOWN))
		return (long)len;
	/* The source travels in its IPv6 form; the receiver formats it. */
	struct sk_addr from;
	memset(&from, 0, sizeof(from));
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(src->port),
				     .sin6_addr = src->a };
	memcpy(from.bytes, &sin6, sizeof(sin6));
	from.len = sizeof(sin6);
	return dgram_queue_locked(t, sk, target, iov, iovcnt, len, NULL, &from, pi);
}

static int udp_connect(struct task *t, struct sock *sk, const void *addr, uint32_t len,
		       bool nonblock)
{
	if (len < sizeof(sa_family_t))
		return -EINVAL;
	struct inet_priv *ip = inet_of(sk);
	if (((const struct sockaddr *)addr)->sa_family == AF_UNSPEC) {
		/* udp_disconnect: forget the peer, and an automatic port and source address. */
		net_lock();
		ip->has_remote = false;
		sk->remote.len = 0;
		if (ip->autobound) {
			inet_unlist_locked(ip);
			if (sk->family == AF_INET)
				ep_set_v4(&ip->local.a, 0);
			else
				ip->local.a = in6_any;
		}
		sk_wake(sk, ~0u);
		net_unlock();
		return 0;
	}
	struct inet_ep ep;
	int rc = inet_ep_parse(sk, addr, len, &ep, false);
	if (rc)
		return rc;
	net_lock();
	/*
	 * Beyond loopback (--net=sandbox) the source is eth0's address. The
	 * policy is not asked: Linux's UDP connect sends nothing, and
	 * "connect, then getsockname" is how programs learn their address;
	 * a refused destination fails at the first send (EPERM).
	 */
	bool external;
	if (!(rc = ep_route_ext(sk, &ep, &external)) && !(rc = inet_autobind_locked(sk))) {
		if (ep_is_any(&ip->local.a) && external) {
			ep_set_v4(&ip->local.a, NET_GUEST_ADDR);
		} else if (ep_is_any(&ip->local.a)) {
			ip->local.a = ep_source(&ip->local.a, &ep.a);
			if (sk->family == AF_INET6 && !ep_is_v4(&ep.a))
				ip->local.a = in6_loop;
		}
		ip->has_remote = true;
		ip->remote = ep;
		inet_ep_format(sk, &ep, &sk->remote);   /* the engine's "connected" test */
		sk->err = 0;
	}
	net_unlock();
	return rc;
}

static long udp_sendmsg(struct task *t, struct sock *sk, struct net_msg *m, int flags,
			bool nonblock)
{
	struct inet_priv *ip = inet_of(sk);
	size_t len = iov_total(m->iov, m->iovcnt);
	size_t max = sk->family == AF_INET ? UDP4_MAX_PAYLOAD : UDP6_MAX_PAYLOAD;
	if (len > 0xffff || len > max)
		return -EMSGSIZE;
	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	struct inet_ep dst;
	bool have_dst = m->name && m->namelen;
	if (have_dst) {
		int rc = inet_ep_parse(sk, m->name, m->namelen, &dst, true);
		if (rc)
			return rc;
		if (!dst.port)
			return -EINVAL;
	}
	net_lock();
	long rc;
	if (!have_dst) {
		if (!ip->has_remote) {
			net_unlock();
			return -EDESTADDRREQ;
		}
		dst = ip->remote;
	}
	/* The control messages are IPv4's or IPv6's by the datagram's family (udpv6_sendmsg). */
	struct inet_tx tx;
	bool v4 = sk->family == AF_INET || ep_is_v4(&dst.a);
	rc = inet_cmsg_send_locked(t, sk, m->control, m->control ? m->controllen : 0, v4, &tx);
	if (rc) {
		net_unlock();
		return rc;
	}
	bool external;
	if (sk->err) {
		rc = -sk->err;
		sk->err = 0;
	} else if (sk->shutdown & SK_SEND_SHUTDOWN) {
		rc = -EPIPE;
	} else if ((rc = ep_route_ext(sk, &dst, &external)) || (rc = inet_autobind_locked(sk))) {
	} else if (external) {
		rc = egress_udp_send_locked(&ip->egress, sk, ep_v4(&dst.a), dst.port, m->iov,
					    m->iovcnt, len);
	} else {
		struct inet_ep src = { ep_source(&ip->local.a, &dst.a), ip->local.port };
		if (tx.has_src && !ep_is_any(&tx.src))
			src.a = tx.src;        /* IP_PKTINFO's ipi_spec_dst, IPV6_PKTINFO's address */
		struct sock *target = udp_find_locked(&dst, &src);
		rc = (long)len;
		netdev_account(false, false, false, !ep_is_v4(&dst.a), len);
		if (!target) {
			/* ICMP port unreachable: an error for a connected sender only. */
			if (ip->has_remote && !have_dst) {
				sk->err = ECONNREFUSED;
				sk_wake(sk, POLLERR);
			}
		} else {
			struct sk_pktinfo pi;
			inet_pktinfo_locked(sk, &tx, &dst, &pi);
			rc = udp_queue_locked(t, sk, target, m->iov, m->iovcnt, len, &src, &pi);
		}
	}
	net_unlock();
	return rc;
}

void inet_udp_deliver_locked(struct sock *sk, uint32_t addr, uint16_t port, const void *buf,
			     size_t len)
{
	net_assert_locked();
	struct inet_priv *ip = inet_of(sk);
	if (sk->dead || !sk->udp)
		return;
	struct inet_ep src;
	ep_set_v4(&src.a, addr);
	src.port = port;
	/* A connected socket receives only from its peer (the lookup's 4-tuple match). */
	if (ip->has_remote && !ep_equal(&ip->remote, &src))
		return;
	/* What the host's reply looked like from eth0 (its TTL and TOS are not known here). */
	const struct netdev *eth0 = netdev_by_name("eth0");
	struct sk_pktinfo pi = { .valid = true, .v4 = true, .ttl = 64,
				 .ifindex = eth0 ? eth0->index : 0,
				 .dst_port = ip->local.port };
	ep_set_v4(&pi.dst, ep_is_any(&ip->local.a) ? NET_GUEST_ADDR : ep_v4(&ip->local.a));
	struct iovec iov = { (void *)buf, len };
	netdev_account(true, true, false, false, len);
	udp_queue_locked(NULL, sk, sk, &iov, 1, len, &src, &pi);
}

void inet_udp_error_locked(struct sock *sk, uint32_t addr, uint16_t port, int err)
{
	net_assert_locked();
	struct inet_priv *ip = inet_of(sk);
	struct inet_ep src;
	ep_set_v4(&src.a, addr);
	src.port = port;
	/* __udp4_lib_err without IP_RECVERR: hard errors reach connected sockets only. */
	if (sk->dead || !ip->has_remote || !ep_equal(&ip->remote, &src))
		return;
	sk->err = err;
	sk_wake(sk, POLLERR);
}

void inet_recv_name_locked(struct sock *sk, struct sk_addr *from)
{
	if (!from->len)
		return;
	struct sockaddr_in6 sin6;
	memcpy(&sin6, from->bytes, sizeof(sin6));
	struct inet_ep ep = { sin6.sin6_addr, ntohs(sin6.sin6_port) };
	inet_ep_format(sk, &ep, from);
}

/* ---- release ---- */

static void inet_unbind_locked(struct sock *sk)
{
	struct inet_priv *ip = inet_of(sk);
	tcp_pend_unlink_locked(sk);
	if (sk->tcp)
		tcp_refuse_pending_locked(sk);
	inet_egress_release_locked(ip);
	inet_unlist_locked(ip);
}

void inet_egress_release_locked(struct inet_priv *ip)
{
	if (ip->egress) {
		egress_udp_release_locked(ip->egress);
		ip->egress = NULL;
	}
}

void inet_destroy(struct sock *sk)
{
	free(sk->fpriv);
	sk->fpriv = NULL;
}

static const struct sock_ops tcp_ops = {
	.bind = inet_bind,
	.connect = tcp_connect,
	.listen_locked = tcp_listen_locked,
	.sendmsg = tcp_sendmsg,
	.getsockopt = inet_getsockopt,
	.setsockopt = inet_setsockopt,
	.getname_locked = inet_getname_locked,
	.accepted_locked = tcp_accepted_locked,
	.child_locked = tcp_child_locked,
	.unbind_locked = inet_unbind_locked,
	.destroy = inet_destroy,
};

static const struct sock_ops udp_ops = {
	.bind = inet_bind,
	.connect = udp_connect,
	.sendmsg = udp_sendmsg,
	.getsockopt = inet_getsockopt,
	.setsockopt = inet_setsockopt,
	.getname_locked = inet_getname_locked,
	.recv_name_locked = inet_recv_name_locked,
	.recv_cmsgs_locked = inet_recv_cmsgs_locked,
	.unbind_locked = inet_unbind_locked,
	.destroy = inet_destroy,
};
