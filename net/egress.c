/*
 * The sandbox's way out (--net=sandbox) and in (--publish), and the egress
 * policy (--allow-net, --allow-host).
 *
 * Egress goes through a real TCP/IP stack: lwIP, whose packets libslirp
 * NATs onto host sockets, both in a separate, dynamically linked process
 * (build/sandbox-netstack, net/netstack/; started by net/netstack.c),
 * because Debian ships them only as shared libraries and build/sandbox is
 * static. A guest TCP connection to an address beyond loopback is checked
 * against the policy here; if allowed, an egress thread asks the netstack
 * for a connection (a channel: a socketpair with framed messages,
 * net/netstack/proto.h; lwIP's tcp_connect through slirp, which maps the
 * gateway alias 10.0.2.2 to the host's 127.0.0.1) and, once connected, the
 * guest socket is paired with an internal *proxy* socket of the connection
 * engine (net/stream.c). Two pump threads move bytes between the proxy and
 * the channel, so every guest-visible behaviour (blocking, poll,
 * SO_RCVTIMEO, half-close, reset) is the engine's own, and flow control is
 * the engine's send limit on one side and lwIP's windows on the other (the
 * netstack reads the channel only as lwIP's send buffer drains and opens
 * its receive window only once bytes are written to the channel). The
 * guest never holds a host fd, and the sentry holds no host socket for it.
 *
 * UDP is a channel per guest socket (an lwIP udp_pcb in the netstack),
 * made at its first datagram beyond loopback, closed with it; one shared
 * thread polls every channel and queues what comes back on the guest
 * socket (net/inet.c's inet_udp_deliver_locked), with the source the guest
 * sent to. Only replies from address:port pairs the socket sent to (its
 * EGRESS_UDP_TRACK most recent) get in, as through a NAT's connection
 * tracking; ICMP port unreachable comes back as a frame and becomes
 * ECONNREFUSED on a connected socket.
 *
 * DNS: 10.0.2.3:53 (UDP and TCP) is forwarded to an upstream resolver
 * (--dns IP[:PORT], default the first IPv4 nameserver of the host's
 * /etc/resolv.conf) without a policy rule, as slirp does; --dns none turns
 * it off. It keeps host sockets of the sentry's own (slirp reaches the
 * host's loopback only as 127.0.0.1, and resolvers often listen on
 * 127.0.0.53).
 *
 * --publish HOSTPORT:GUESTPORT: a listener on the host's 127.0.0.1:HOSTPORT
 * whose connections become guest loopback connections to GUESTPORT (from
 * 10.0.2.2, as slirp's host forwarding shows them), pumped the same way
 * between the proxy and the accepted host socket.
 *
 * ICMP echo from ping sockets (net/ping.c) rides the UDP machinery: a
 * netstack ping channel per socket, replies read by the same poll thread,
 * let in only from the addresses pinged.
 *
 * The policy is fixed at boot. Everything not allowed is refused, TCP with
 * ECONNREFUSED, UDP and ICMP with EPERM, and one log line per refused
 * destination; ICMP needs a rule without a port.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/errqueue.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include "net/net_internal.h"

#define EGRESS_CONNECT_TIMEOUT_S 20
#define EGRESS_GONE_CHECK_MS 1000      /* how often an idle pump checks for its guest */
#define EGRESS_GUEST_GONE (-2)         /* egress_out_recv: the guest closed its socket */
#define EGRESS_BUF (64 * 1024)
#define EGRESS_LOGGED_MAX 256
#define EGRESS_UDP_TRACK 64            /* destinations remembered per UDP socket */
#define EGRESS_UDP_BURST 64            /* datagrams read from one host socket per wake-up */
#define EGRESS_UDP_BUF 65536
#define EGRESS_UDP_MAX 512             /* egress UDP sockets at once (up to 2 sentry fds each) */
#define DNS_PORT 53

struct egress_rule {
	uint32_t net, mask;            /* host order */
	uint16_t port;                 /* 0: any */
};

static bool egress_on;
static struct egress_rule *rules;
static size_t nrules;

/* The DNS forwarder: 10.0.2.3:53 goes to dns_upstream (fixed at boot). */
static bool dns_on;
static struct sockaddr_in dns_upstream;

/* Destinations already logged as refused (under net_lock). */
static struct { uint32_t addr; uint16_t port; uint8_t proto; } logged[EGRESS_LOGGED_MAX];

/* What a refused destination is logged as. */
enum egress_proto { EGRESS_TCP, EGRESS_UDP, EGRESS_ICMP };
static const char *const egress_proto_name[] = { "tcp", "udp", "icmp" };
static size_t nlogged;

bool net_egress_enabled(void)
{
	return egress_on;
}

/* ---- the policy ---- */

/* "A.B.C.D[/N][:PORT]" */
static int rule_parse(const char *s, struct egress_rule *r)
{
	char buf[64];
	if (snprintf(buf, sizeof(buf), "%s", s) >= (int)sizeof(buf))
		return -1;
	r->port = 0;
	char *colon = strchr(buf, ':');
	if (colon) {
		*colon = 0;
		char *end;
		long p = strtol(colon + 1, &end, 10);
		if (!colon[1] || *end || p < 1 || p > 65535)
			return -1;
		r->port = (uint16_t)p;
	}
	int prefix = 32;
	char *slash = strchr(buf, '/');
	if (slash) {
		*slash = 0;
		char *end;
		long n = strtol(slash + 1, &end, 10);
		if (!slash[1] || *end || n < 0 || n > 32)
			return -1;
		prefix = (int)n;
	}
	struct in_addr a;
	if (inet_pton(AF_INET, buf, &a) != 1)
		return -1;
	r->mask = prefix ? 0xffffffffu << (32 - prefix) : 0;
	r->net = ntohl(a.s_addr) & r->mask;
	return 0;
}

static int rule_add(const struct egress_rule *r)
{
	struct egress_rule *p = realloc(rules, (nrules + 1) * sizeof(*p));
	if (!p)
		return -1;
	p[nrules++] = *r;
	rules = p;
	return 0;
}

/*
 * Whether the guest may reach addr:port (port -1: ICMP, which only rules
 * without a port allow). The gateway alias (the host's own
 * loopback) only through a rule that names it: a prefix of /24 or longer
 * containing it, so --allow-net 0.0.0.0/0 does not open the host's
 * loopback services. Other addresses of the sandbox's subnet lead nowhere.
 */
static bool egress_allowed(uint32_t addr, int port)
{
	bool gateway = addr == NET_GATEWAY_ADDR;
	if (!gateway && (addr & 0xffffff00u) == NET_PREFIX)
		return false;
	for (size_t i = 0; i < nrules; i++) {
		const struct egress_rule *r = &rules[i];
		if ((addr & r->mask) != r->net || (r->port && r->port != port))
			continue;
		if (gateway && r->mask < 0xffffff00u)
			continue;
		return true;
	}
	return false;
}

/* One line per refused destination: "tcp|udp A:P" or "icmp A". */
static void egress_log_refused_locked(enum egress_proto proto, uint32_t addr, uint16_t port)
{
	for (size_t i = 0; i < nlogged; i++)
		if (logged[i].addr == addr && logged[i].port == port && logged[i].proto == proto)
			return;
	if (nlogged < EGRESS_LOGGED_MAX) {
		logged[nlogged].addr = addr;
		logged[nlogged].port = port;
		logged[nlogged].proto = (uint8_t)proto;
		nlogged++;
	}
	struct in_addr a = { htonl(addr) };
	char s[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &a, s, sizeof(s));
	if (proto == EGRESS_ICMP)
		fprintf(stderr, "sandbox: egress refused by policy: icmp %s\n", s);
	else
		fprintf(stderr, "sandbox: egress refused by policy: %s %s:%u\n",
			egress_proto_name[proto], s, port);
}

/* How a destination leaves the sandbox. */
enum egress_route {
	ROUTE_REFUSED,                 /* by the policy (logged) */
	ROUTE_HOST,                    /* a host socket of the sentry's: the DNS forwarder */
	ROUTE_NETSTACK,                /* lwIP + slirp in the network-stack process */
};

/*
 * How the guest's addr:port leaves, and where to (*to): the DNS alias
 * through a host socket to the upstream resolver; what the policy allows
 * through the netstack to addr:port itself (slirp maps the gateway alias
 * to the host's loopback).
 */
static enum egress_route egress_route_locked(enum egress_proto proto, uint32_t addr,
					     uint16_t port, struct sockaddr_in *to)
{
	if (proto != EGRESS_ICMP && dns_on && addr == NET_DNS_ADDR && port == DNS_PORT) {
		*to = dns_upstream;
		return ROUTE_HOST;
	}
	if (!egress_allowed(addr, proto == EGRESS_ICMP ? -1 : port)) {
		egress_log_refused_locked(proto, addr, port);
		return ROUTE_REFUSED;
	}
	memset(to, 0, sizeof(*to));
	to->sin_family = AF_INET;
	to->sin_port = htons(port);
	to->sin_addr.s_addr = htonl(addr);
	return ROUTE_NETSTACK;
}

/* ---- pumping bytes between a proxy socket and the outside ---- */

/*
 * One proxied connection. Its outside end (fd) is either a host TCP socket
 * (the DNS forwarder, --publish) or a netstack channel (framed: struct
 * ns_frame before each message; egress through lwIP and slirp). The
 * egress_out_* helpers hide the difference from the pumps.
 */
struct egress_conn {
	struct sock *guest;            /* reference while connecting */
	struct sock *proxy;            /* reference (its "file" reference) */
	int fd;                        /* the outside end */
	bool framed;                   /* fd is a netstack channel */
	struct sockaddr_in to;         /* where fd connects (egress) */
	enum egress_route route;
};

/*
 * Bytes from the outside into buf: > 0, 0 at its FIN, -1 for a reset (or the
 * netstack gone), EGRESS_GUEST_GONE once the guest has closed its socket.
 */
static ssize_t egress_out_recv(struct egress_conn *c, char *buf, size_t len)
{
	for (;;) {
		ssize_t n;
		struct ns_frame f = { 0 };
		struct msghdr mh = { 0 };
		if (!c->framed) {
			n = recv(c->fd, buf, len, 0);
		} else {
			struct iovec iov[2] = { { &f, sizeof(f) }, { buf, len } };
			mh.msg_iov = iov;
			mh.msg_iovlen = 2;
			n = recvmsg(c->fd, &mh, 0);
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			/*
			 * Idle for EGRESS_GONE_CHECK_MS (the fd's SO_RCVTIMEO): a
			 * guest that half-closed and then closed its socket reads
			 * nothing more, so stop waiting for the outside.
			 */
			net_lock();
			bool gone = !c->proxy->peer || c->proxy->peer->dead;
			net_unlock();
			if (gone)
				return EGRESS_GUEST_GONE;
			continue;
		}
		if (!c->framed)
			return n < 0 ? -1 : n;
		if (n < (ssize_t)sizeof(f) || (mh.msg_flags & MSG_TRUNC))
			return -1;
		if (f.type == NS_DATA && n > (ssize_t)sizeof(f))
			return n - (ssize_t)sizeof(f);
		if (f.type == NS_FIN)
			return 0;
		if (f.type != NS_DATA)
			return -1;
	}
}

/* Send all of buf to the outside: 0, or -1 if it is gone. */
static int egress_out_send(struct egress_conn *c, const char *buf, size_t n)
{
	struct ns_frame f = { .type = NS_DATA };
	for (size_t off = 0; off < n;) {
		ssize_t w;
		if (c->framed) {
			size_t chunk = n - off < NS_MAX_PAYLOAD ? n - off : NS_MAX_PAYLOAD;
			struct iovec iov[2] = { { &f, sizeof(f) }, { (char *)buf + off, chunk } };
			struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
			w = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
			if (w > 0)
				w = (ssize_t)chunk;
		} else {
			w = send(c->fd, buf + off, n - off, MSG_NOSIGNAL);
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		off += (size_t)w;
	}
	return 0;
}

/* A control frame on a netstack channel (best effort: the channel may be gone). */
static void egress_out_frame(struct egress_conn *c, uint8_t type)
{
	struct ns_frame f = { .type = type };
	while (send(c->fd, &f, sizeof(f), MSG_NOSIGNAL) < 0 && errno == EINTR)
		;
}

/* The guest's FIN; gone: it closed the socket, nothing more is read either. */
static void egress_out_fin(struct egress_conn *c, bool gone)
{
	if (c->framed)
		egress_out_frame(c, NS_FIN);
	if (!c->framed || gone)
		shutdown(c->fd, gone ? SHUT_RDWR : SHUT_WR);
}

/* The guest reset the connection: reset the outside too. */
static void egress_out_reset(struct egress_conn *c)
{
	if (c->framed) {
		egress_out_frame(c, NS_RESET);
	} else {
		struct linger l = { 1, 0 };
		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	}
	shutdown(c->fd, SHUT_RDWR);
}

static void *egress_guest_to_host(void *arg)
{
	struct egress_conn *c = arg;
	char *buf = malloc(EGRESS_BUF);
	bool out_gone = false;
	for (;;) {
		if (!buf)
			break;
		struct iovec iov = { buf, EGRESS_BUF };
		struct net_msg m = { .iov = &iov, .iovcnt = 1 };
		long n = stream_recv(NULL, c->proxy, &m, 0, false);
		if (n == 0) {
			net_lock();
			bool gone = !c->proxy->peer || c->proxy->peer->dead;
			net_unlock();
			if (!out_gone)
				egress_out_fin(c, gone);
			break;
		}
		if (n < 0) {
			if (!out_gone)
				egress_out_reset(c);
			break;
		}
		/* The outside is gone: keep reading so the guest is not stuck, drop it. */
		if (!out_gone && egress_out_send(c, buf, (size_t)n))
			out_gone = true;
	}
	free(buf);
	return NULL;
}

/* Run both directions until both end, then close everything; frees c. */
static void egress_pump(struct egress_conn *c)
{
	/* egress_out_recv looks at its guest whenever the outside is silent this long. */
	struct timeval tv = { EGRESS_GONE_CHECK_MS / 1000, (EGRESS_GONE_CHECK_MS % 1000) * 1000 };
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	pthread_t tid;
	bool two = pthread_create(&tid, NULL, egress_guest_to_host, c) == 0;
	char *buf = malloc(EGRESS_BUF);
	while (two && buf) {
		ssize_t n = egress_out_recv(c, buf, EGRESS_BUF);
		if (n == EGRESS_GUEST_GONE) {
			shutdown(c->fd, SHUT_RDWR);
			break;
		}
		if (n <= 0) {
			net_lock();
			if (n == 0) {
				stream_shutdown_locked(c->proxy, SK_SEND_SHUTDOWN);
			} else {
				/* Reset from outside: the guest sees ECONNRESET now, not a FIN first. */
				stream_abort_locked(c->proxy);
			}
			net_unlock();
			if (n < 0)
				shutdown(c->fd, SHUT_RDWR);     /* a send blocked on it fails */
			break;
		}
		struct iovec iov = { buf, (size_t)n };
		if (stream_send(NULL, c->proxy, &iov, 1, NULL, MSG_NOSIGNAL, false) < 0) {
			shutdown(c->fd, SHUT_RDWR);    /* the guest is gone */
			break;
		}
	}
	free(buf);
	if (two)
		pthread_join(tid, NULL);
	close(c->fd);
	sock_release(c->proxy);
	free(c);
}

/* ---- egress: guest connect() to the outside ---- */

/* The DNS forwarder's TCP: a host socket of the sentry's. 0 or an errno. */
static int egress_connect_host(struct egress_conn *c)
{
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return errno;
	struct timeval tv = { EGRESS_CONNECT_TIMEOUT_S, 0 };
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	int one = 1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	int err = 0;
	while (connect(c->fd, (struct sockaddr *)&c->to, sizeof(c->to)) < 0) {
		if (errno == EINTR)
			continue;
		err = errno == EINPROGRESS || errno == EAGAIN ? ETIMEDOUT : errno;
		break;
	}
	struct timeval zero = { 0, 0 };
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &zero, sizeof(zero));
	return err;
}

/*
 * Everything else: a netstack channel, whose first frame says how lwIP's
 * connect through slirp went (the netstack gives up after
 * NS_TCP_CONNECT_TIMEOUT_S; we wait a little longer). 0 or an errno.
 */
static int egress_connect_netstack(struct egress_conn *c)
{
	int fd = netstack_open(NS_OPEN_TCP, ntohl(c->to.sin_addr.s_addr), ntohs(c->to.sin_port));
	if (fd < 0)
		return -fd;
	c->fd = fd;
	c->framed = true;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int rc;
	while ((rc = poll(&p, 1, (NS_TCP_CONNECT_TIMEOUT_S + 5) * 1000)) < 0 && errno == EINTR)
		;
	if (rc == 0)
		return ETIMEDOUT;
	struct ns_frame f = { 0 };
	ssize_t n;
	while ((n = recv(fd, &f, sizeof(f), 0)) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof(f) || f.type != NS_CONNECTED)
		return ENETUNREACH;            /* the netstack is gone */
	return f.err >= 0 && f.err < 4096 ? f.err : ECONNREFUSED;
}

static void *egress_connect_thread(void *arg)
{
	struct egress_conn *c = arg;
	int err = c->route == ROUTE_HOST ? egress_connect_host(c) : egress_connect_netstack(c);
	net_lock();
	struct sock *sk = c->guest;
	bool ok = !err && !sk->dead && sk->connecting;
	if (ok) {
		stream_pair_locked(sk, c->proxy);
		sk->connecting = false;
	} else if (!sk->dead && sk->connecting) {
		sk->connecting = false;
		sk->err = err ? err : ECONNREFUSED;
		sk->state = SK_CLOSED;
		sk->shutdown = SK_SHUTDOWN_MASK;
	}
	sk_wake(sk, ~0u);
	c->guest = NULL;
	sock_put_locked(sk);
	net_unlock();
	if (!ok) {
		if (c->fd >= 0)
			close(c->fd);
		sock_release(c->proxy);
		free(c);
		return NULL;
	}
	egress_pump(c);
	return NULL;
}

int egress_tcp_start_locked(struct sock *sk, uint32_t addr, uint16_t port)
{
	net_assert_locked();
	struct sockaddr_in to;
	enum egress_route route = egress_route_locked(EGRESS_TCP, addr, port, &to);
	if (route == ROUTE_REFUSED)
		return -ECONNREFUSED;
	struct egress_conn *c = calloc(1, sizeof(*c));
	struct sock *proxy = c ? inet_proxy_alloc() : NULL;
	if (!proxy) {
		free(c);
		return -ENOBUFS;
	}
	c->proxy = proxy;
	c->fd = -1;
	c->to = to;
	c->route = route;
	sock_get_locked(sk);
	c->guest = sk;
	sk->connecting = true;
	pthread_attr_t at;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	pthread_t tid;
	int rc = pthread_create(&tid, &at, egress_connect_thread, c);
	pthread_attr_destroy(&at);
	if (rc) {
		sk->connecting = false;
		sock_put_locked(sk);
		proxy->dead = true;
		sock_put_locked(proxy);
		free(c);
		return -ENOBUFS;
	}
	return 0;
}

/* ---- UDP egress: a netstack channel per guest socket, one thread polling them all ---- */

/*
 * The outside of one guest UDP socket that sent beyond loopback, made by
 * its first such send, in udp_socks until the socket is released (dead):
 * a netstack channel (NS_OPEN_UDP) for what the policy allows and, for the
 * DNS forwarder, a host UDP socket of the sentry's, each opened at the
 * first datagram that needs it. Only the poll thread closes them (under
 * net_lock) and frees the struct, so a sender holding net_lock and the poll
 * thread between two lock sections never see an fd closed or reused. All
 * fields: net_lock.
 */
struct egress_udp {
	struct egress_udp *next;       /* in udp_socks */
	struct sock *sk;               /* reference, dropped when the poll thread reaps us */
	int fd;                        /* the netstack channel, or -1 */
	int dns_fd;                    /* non-blocking host socket for the DNS forwarder, or -1 */
	bool ping;                     /* sk is a ping socket: fd is an NS_OPEN_PING channel */
	bool dead;                     /* the guest socket is released */
	/* Where the guest sent: its destination and where that went. */
	struct {
		uint32_t addr;         /* guest's view, host order */
		uint16_t port;
		bool dns;              /* through dns_fd (to is the upstream) */
		struct sockaddr_in to;
	} track[EGRESS_UDP_TRACK];
	unsigned ntrack, next_track;
};

static struct egress_udp *udp_socks;   /* net_lock */
static unsigned udp_nsocks;            /* in udp_socks, dead or not (net_lock) */
static int udp_wake_fd = -1;           /* eventfd: udp_socks or their fds changed */
static pthread_once_t udp_once = PTHREAD_ONCE_INIT;

static void egress_udp_wake(void)
{
	uint64_t one = 1;
	if (write(udp_wake_fd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is already non-zero, the thread will look. */
	}
}

/* Remember that addr:port (guest view) went to `to`; replies from there get in. */
static void egress_udp_track_locked(struct egress_udp *eu, uint32_t addr, uint16_t port, bool dns,
				    const struct sockaddr_in *to)
{
	for (unsigned i = 0; i < eu->ntrack; i++)
		if (eu->track[i].addr == addr && eu->track[i].port == port &&
		    eu->track[i].dns == dns &&
		    eu->track[i].to.sin_addr.s_addr == to->sin_addr.s_addr &&
		    eu->track[i].to.sin_port == to->sin_port)
			return;
	unsigned slot = eu->next_track;
	eu->next_track = (slot + 1) % EGRESS_UDP_TRACK;
	if (eu->ntrack < EGRESS_UDP_TRACK)
		eu->ntrack++;
	eu->track[slot].addr = addr;
	eu->track[slot].port = port;
	eu->track[slot].dns = dns;
	eu->track[slot].to = *to;
}

/* The guest's view of a reply's source, newest entry first; false: not a known peer. */
static bool egress_udp_untrack_locked(const struct egress_udp *eu, const struct sockaddr_in *from,
				      bool dns, uint32_t *addr, uint16_t *port)
{
	for (unsigned k = 1; k <= eu->ntrack; k++) {
		unsigned i = (eu->next_track + EGRESS_UDP_TRACK - k) % EGRESS_UDP_TRACK;
		if (eu->track[i].dns == dns &&
		    eu->track[i].to.sin_addr.s_addr == from->sin_addr.s_addr &&
		    eu->track[i].to.sin_port == from->sin_port) {
			*addr = eu->track[i].addr;
			*port = eu->track[i].port;
			return true;
		}
	}
	return false;
}

/* An ICMP error for what eu sent to `to`: pending on the guest socket if connected there. */
static void egress_udp_error(struct egress_udp *eu, const struct sockaddr_in *to, bool dns, int err)
{
	net_lock();
	uint32_t addr;
	uint16_t port;
	if (!eu->dead && egress_udp_untrack_locked(eu, to, dns, &addr, &port))
		inet_udp_error_locked(eu->sk, addr, port, err);
	net_unlock();
}

/* A datagram (or echo reply) for eu from `from`: queued on the guest socket if it is a known peer. */
static void egress_udp_deliver(struct egress_udp *eu, const struct sockaddr_in *from, bool dns,
			       const char *buf, size_t len)
{
	net_lock();
	uint32_t addr;
	uint16_t port;
	bool known = !eu->dead && egress_udp_untrack_locked(eu, from, dns, &addr, &port);
	if (known && eu->ping)
		ping_deliver_locked(eu->sk, addr, buf, len);
	else if (known)
		inet_udp_deliver_locked(eu->sk, addr, port, buf, len);
	net_unlock();
}

/*
 * ICMP errors for what the DNS host socket fd sent (IP_RECVERR): "port
 * unreachable" becomes ECONNREFUSED, as Linux reports hard errors to
 * connected UDP sockets.
 */
static void egress_udp_read_errors(struct egress_udp *eu, int fd)
{
	for (int k = 0; k < EGRESS_UDP_BURST; k++) {
		struct sockaddr_in dst;
		union {
			char buf[CMSG_SPACE(sizeof(struct sock_extended_err) +
					    sizeof(struct sockaddr_in))];
			struct cmsghdr align;
		} c;
		struct msghdr mh = {
			.msg_name = &dst, .msg_namelen = sizeof(dst),
			.msg_control = c.buf, .msg_controllen = sizeof(c.buf),
		};
		if (recvmsg(fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		if (mh.msg_namelen < sizeof(dst) || dst.sin_family != AF_INET)
			continue;
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
			struct sock_extended_err ee;
			if (cm->cmsg_level != SOL_IP || cm->cmsg_type != IP_RECVERR ||
			    cm->cmsg_len < CMSG_LEN(sizeof(ee)))
				continue;
			memcpy(&ee, CMSG_DATA(cm), sizeof(ee));
			if (ee.ee_origin == SO_EE_ORIGIN_ICMP && ee.ee_errno == ECONNREFUSED)
				egress_udp_error(eu, &dst, true, ECONNREFUSED);
		}
	}
}

/* Read what arrived on eu's DNS host socket fd and queue it on the guest socket. */
static void egress_udp_drain_host(struct egress_udp *eu, int fd, char *buf)
{
	for (int k = 0; k < EGRESS_UDP_BURST; k++) {
		struct sockaddr_in from;
		socklen_t fromlen = sizeof(from);
		ssize_t n = recvfrom(fd, buf, EGRESS_UDP_BUF, MSG_DONTWAIT,
				     (struct sockaddr *)&from, &fromlen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN) {
			/* The host socket's pending ICMP error: its queue says for whom. */
			egress_udp_read_errors(eu, fd);
			continue;
		}
		if (n < 0)
			return;
		if (fromlen < sizeof(from) || from.sin_family != AF_INET)
			continue;
		egress_udp_deliver(eu, &from, true, buf, (size_t)n);
	}
}

/* Read the frames on eu's netstack channel fd: datagrams and ICMP errors. */
static void egress_udp_drain_chan(struct egress_udp *eu, int fd, char *buf)
{
	for (int k = 0; k < EGRESS_UDP_BURST; k++) {
		struct ns_frame f = { 0 };
		struct iovec iov[2] = { { &f, sizeof(f) }, { buf, EGRESS_UDP_BUF } };
		struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
		ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			/* The netstack is gone: so is this way out (a later send says ENETUNREACH). */
			net_lock();
			if (eu->fd == fd) {
				close(fd);
				eu->fd = -1;
			}
			net_unlock();
			return;
		}
		if (n < (ssize_t)sizeof(f) || (mh.msg_flags & MSG_TRUNC))
			continue;
		struct sockaddr_in from = { .sin_family = AF_INET, .sin_port = htons(f.port),
					    .sin_addr.s_addr = f.addr };
		if (f.type == NS_DATA)
			egress_udp_deliver(eu, &from, false, buf, (size_t)n - sizeof(f));
		else if (f.type == NS_ERROR && f.err == ECONNREFUSED && !eu->ping)
			egress_udp_error(eu, &from, false, ECONNREFUSED);
	}
}

/* Close eu's fds and free it; net_lock held (the poll thread only). */
static void egress_udp_free_locked(struct egress_udp *eu)
{
	if (eu->fd >= 0)
		close(eu->fd);
	if (eu->dns_fd >= 0)
		close(eu->dns_fd);
	sock_put_locked(eu->sk);
	free(eu);
}

/*
 * The one thread behind every egress UDP socket: poll the channels and
 * host sockets (and the wake-up eventfd), queue what arrives, reap
 * released sockets. It touches no guest memory: data goes from its
 * buffer into a queue.
 */
static void *egress_udp_thread(void *arg)
{
	(void)arg;
	struct pollfd *pfd = NULL;
	struct egress_udp **eus = NULL;
	size_t cap = 0;
	char *buf = malloc(EGRESS_UDP_BUF);
	for (;;) {
		size_t n = 1;
		net_lock();
		size_t live = 0;
		for (struct egress_udp **pp = &udp_socks; *pp;) {
			struct egress_udp *eu = *pp;
			if (eu->dead) {
				*pp = eu->next;
				udp_nsocks--;
				egress_udp_free_locked(eu);
				continue;
			}
			live++;
			pp = &eu->next;
		}
		if (2 * live + 1 > cap) {
			struct pollfd *np = realloc(pfd, (2 * live + 1) * sizeof(*np));
			if (np)
				pfd = np;
			struct egress_udp **ne = realloc(eus, (2 * live + 1) * sizeof(*ne));
			if (ne)
				eus = ne;
			if (np && ne)
				cap = 2 * live + 1;
		}
		if (cap && buf) {
			for (struct egress_udp *eu = udp_socks; eu && n + 2 <= cap; eu = eu->next) {
				if (eu->fd >= 0) {
					pfd[n] = (struct pollfd){ .fd = eu->fd, .events = POLLIN };
					eus[n++] = eu;
				}
				if (eu->dns_fd >= 0) {
					pfd[n] = (struct pollfd){ .fd = eu->dns_fd, .events = POLLIN };
					eus[n++] = eu;
				}
			}
		}
		net_unlock();
		if (!cap || !buf) {
			usleep(100000);        /* out of memory: datagrams wait in the sockets */
			continue;
		}
		pfd[0] = (struct pollfd){ .fd = udp_wake_fd, .events = POLLIN };
		if (poll(pfd, n, -1) < 0)
			continue;
		if (pfd[0].revents) {
			uint64_t v;
			if (read(udp_wake_fd, &v, sizeof(v)) < 0) {
				/* EAGAIN: another wake-up consumed it */
			}
		}
		/* Only this thread closes the fds: the ones polled are still open. */
		for (size_t i = 1; i < n; i++) {
			if (!pfd[i].revents)
				continue;
			net_lock();
			bool dns = pfd[i].fd == eus[i]->dns_fd;
			net_unlock();
			if (!dns) {
				egress_udp_drain_chan(eus[i], pfd[i].fd, buf);
				continue;
			}
			if (pfd[i].revents & POLLERR)
				egress_udp_read_errors(eus[i], pfd[i].fd);
			egress_udp_drain_host(eus[i], pfd[i].fd, buf);
		}
	}
	return NULL;
}

static bool udp_thread_ok;

static void egress_udp_thread_start(void)
{
	udp_wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (udp_wake_fd < 0)
		return;
	pthread_attr_t at;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	pthread_t tid;
	udp_thread_ok = pthread_create(&tid, &at, egress_udp_thread, NULL) == 0;
	pthread_attr_destroy(&at);
}

/* sk's egress state, registered with the poll thread now (no fds yet); NULL: -ENOBUFS. */
static struct egress_udp *egress_udp_open_locked(struct sock *sk, bool ping)
{
	net_assert_locked();
	pthread_once(&udp_once, egress_udp_thread_start);
	if (!udp_thread_ok || udp_nsocks >= EGRESS_UDP_MAX)
		return NULL;
	struct egress_udp *eu = calloc(1, sizeof(*eu));
	if (!eu)
		return NULL;
	eu->fd = eu->dns_fd = -1;
	eu->ping = ping;
	udp_nsocks++;
	sock_get_locked(sk);
	eu->sk = sk;
	eu->next = udp_socks;
	udp_socks = eu;
	return eu;
}

/* The fd a datagram of this route leaves by, opened now if need be: fd or -errno. */
static int egress_udp_fd_locked(struct egress_udp *eu, enum egress_route route)
{
	int *fdp = route == ROUTE_HOST ? &eu->dns_fd : &eu->fd;
	if (*fdp >= 0)
		return *fdp;
	int fd;
	if (route == ROUTE_HOST) {
		fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0)
			return -ENOBUFS;
		int one = 1;
		setsockopt(fd, SOL_IP, IP_RECVERR, &one, sizeof(one));
	} else {
		fd = netstack_open(eu->ping ? NS_OPEN_PING : NS_OPEN_UDP, 0, 0);
		if (fd < 0)
			return fd;
	}
	*fdp = fd;
	egress_udp_wake();
	return fd;
}

/* One datagram as one frame on a netstack channel (flattened if the iovec is long). */
static ssize_t egress_udp_send_frame(int fd, uint32_t addr, uint16_t port, const struct iovec *iov,
				     int iovcnt, size_t len)
{
	struct ns_frame f = { .type = NS_DATA, .addr = htonl(addr), .port = port };
	struct iovec v[16];
	char *flat = NULL;
	int nv = 1;
	v[0] = (struct iovec){ &f, sizeof(f) };
	if (iovcnt < 16) {
		for (int i = 0; i < iovcnt; i++)
			v[nv++] = iov[i];
	} else {
		if (!(flat = malloc(len ? len : 1)))
			return -ENOBUFS;
		size_t off = 0;
		for (int i = 0; i < iovcnt; i++) {
			memcpy(flat + off, iov[i].iov_base, iov[i].iov_len);
			off += iov[i].iov_len;
		}
		v[nv++] = (struct iovec){ flat, len };
	}
	struct msghdr mh = { .msg_iov = v, .msg_iovlen = (size_t)nv };
	ssize_t n;
	do
		n = sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	int e = errno;
	free(flat);
	if (n >= 0 || e == EAGAIN || e == ENOBUFS)
		return 0;
	return e == EPIPE || e == ECONNRESET || e == ENOTCONN ? -ENETUNREACH : -e;
}

long egress_udp_send_locked(struct egress_udp **eup, struct sock *sk, uint32_t addr,
			    uint16_t port, const struct iovec *iov, int iovcnt, size_t len)
{
	net_assert_locked();
	struct sockaddr_in to;
	enum egress_route route = egress_route_locked(EGRESS_UDP, addr, port, &to);
	if (route == ROUTE_REFUSED)
		return -EPERM;
	struct egress_udp *eu = *eup;
	if (!eu && !(eu = *eup = egress_udp_open_locked(sk, false)))
		return -ENOBUFS;
	int fd = egress_udp_fd_locked(eu, route);
	if (fd < 0)
		return fd;
	egress_udp_track_locked(eu, addr, port, route == ROUTE_HOST, &to);
	netdev_account(true, false, false, false, len);
	/*
	 * Sent under net_lock so the socket cannot be released (and its fd
	 * closed by the poll thread) meanwhile; neither fd ever blocks. A full
	 * buffer drops the datagram, as a full device queue would.
	 */
	if (route == ROUTE_NETSTACK) {
		ssize_t rc = egress_udp_send_frame(fd, addr, port, iov, iovcnt, len);
		return rc < 0 ? rc : (long)len;
	}
	struct msghdr mh = {
		.msg_name = &to, .msg_namelen = sizeof(to),
		.msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)iovcnt,
	};
	ssize_t n;
	do
		n = sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno != EAGAIN && errno != ENOBUFS)
		return -errno;
	return (long)len;
}

long egress_ping_send_locked(struct egress_udp **eup, struct sock *sk, uint32_t addr,
			     const void *msg, size_t len)
{
	net_assert_locked();
	struct sockaddr_in to;
	if (egress_route_locked(EGRESS_ICMP, addr, 0, &to) == ROUTE_REFUSED)
		return -EPERM;
	struct egress_udp *eu = *eup;
	if (!eu && !(eu = *eup = egress_udp_open_locked(sk, true)))
		return -ENOBUFS;
	int fd = egress_udp_fd_locked(eu, ROUTE_NETSTACK);
	if (fd < 0)
		return fd;
	/* Replies are let in from the addresses pinged (the port is always 0). */
	egress_udp_track_locked(eu, addr, 0, false, &to);
	netdev_account(true, false, false, false, len);
	struct iovec iov = { (void *)msg, len };
	ssize_t rc = egress_udp_send_frame(fd, addr, 0, &iov, 1, len);
	return rc < 0 ? rc : 0;
}

void egress_udp_release_locked(struct egress_udp *eu)
{
	net_assert_locked();
	eu->dead = true;
	egress_udp_wake();
}

/* ---- --publish: host listeners forwarded into the guest ---- */

struct publish {
	int fd;                        /* host listener on 127.0.0.1:host_port */
	uint16_t host_port, guest_port;
};

static void *publish_conn_thread(void *arg)
{
	egress_pump(arg);
	return NULL;
}

static void *publish_thread(void *arg)
{
	struct publish *p = arg;
	for (;;) {
		int fd = accept4(p->fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE ||
			    errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
				if (errno != EINTR && errno != ECONNABORTED)
					usleep(100000);
				continue;
			}
			return NULL;
		}
		struct egress_conn *c = calloc(1, sizeof(*c));
		struct sock *proxy = c ? inet_proxy_alloc() : NULL;
		if (!proxy) {
			free(c);
			close(fd);
			continue;
		}
		c->fd = fd;
		c->proxy = proxy;
		net_lock();
		int rc = inet_proxy_connect_locked(proxy, NET_GATEWAY_ADDR, p->guest_port);
		net_unlock();
		pthread_t tid;
		pthread_attr_t at;
		pthread_attr_init(&at);
		pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
		if (rc || pthread_create(&tid, &at, publish_conn_thread, c)) {
			/* Nobody listens in the guest: the host client sees a reset. */
			struct linger l = { 1, 0 };
			setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
			close(fd);
			sock_release(proxy);
			free(c);
		}
		pthread_attr_destroy(&at);
	}
}

static int publish_parse(const char *s, uint16_t *host, uint16_t *guest)
{
	char *end;
	long h = strtol(s, &end, 10);
	if (end == s || *end != ':' || h < 1 || h > 65535)
		return -1;
	const char *g = end + 1;
	long gp = strtol(g, &end, 10);
	if (end == g || *end || gp < 1 || gp > 65535)
		return -1;
	*host = (uint16_t)h;
	*guest = (uint16_t)gp;
	return 0;
}

static int publish_start(const char *spec, char *err, size_t errlen)
{
	uint16_t hp, gp;
	if (publish_parse(spec, &hp, &gp)) {
		snprintf(err, errlen, "--publish %s: expected HOSTPORT:GUESTPORT", spec);
		return -1;
	}
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(hp) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 128)) {
		snprintf(err, errlen, "--publish %s: cannot listen on host 127.0.0.1:%u: %s", spec,
			 hp, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	struct publish *p = malloc(sizeof(*p));
	pthread_t tid;
	pthread_attr_t at;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	if (!p || (*p = (struct publish){ fd, hp, gp }, pthread_create(&tid, &at, publish_thread, p))) {
		snprintf(err, errlen, "--publish %s: cannot start its thread", spec);
		close(fd);
		free(p);
		pthread_attr_destroy(&at);
		return -1;
	}
	pthread_attr_destroy(&at);
	return 0;
}

/* ---- configuration ---- */

/* "A.B.C.D[:PORT]" (IPv4; port 53 by default) into dns_upstream. */
static int dns_parse(const char *s)
{
	char buf[64];
	if (snprintf(buf, sizeof(buf), "%s", s) >= (int)sizeof(buf))
		return -1;
	long port = DNS_PORT;
	char *colon = strchr(buf, ':');
	if (colon) {
		*colon = 0;
		char *end;
		port = strtol(colon + 1, &end, 10);
		if (!colon[1] || *end || port < 1 || port > 65535)
			return -1;
	}
	struct in_addr a;
	if (inet_pton(AF_INET, buf, &a) != 1)
		return -1;
	dns_upstream = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
					     .sin_addr = a };
	return 0;
}

/*
 * The host's resolver: the first IPv4 nameserver of /etc/resolv.conf; none
 * listed at all means glibc's default, 127.0.0.1. -1 if only IPv6 ones are
 * (the forwarder's host sockets are IPv4).
 */
static int dns_from_host(void)
{
	FILE *f = fopen("/etc/resolv.conf", "re");
	bool any = false;
	char line[512];
	while (f && fgets(line, sizeof(line), f)) {
		char word[16], addr[64];
		if (sscanf(line, " %15s %63s", word, addr) != 2 || strcmp(word, "nameserver"))
			continue;
		any = true;
		if (!strchr(addr, ':') && dns_parse(addr) == 0) {
			fclose(f);
			return 0;
		}
	}
	if (f)
		fclose(f);
	return any ? -1 : dns_parse("127.0.0.1");
}

static int dns_configure(const char *spec, char *err, size_t errlen)
{
	if (spec && strcmp(spec, "none") == 0)
		return 0;
	if (!spec) {
		if (dns_from_host() == 0)
			dns_on = true;
		else
			fprintf(stderr, "sandbox: no IPv4 nameserver in the host's /etc/resolv.conf: "
					"DNS at 10.0.2.3 is off (--dns IP[:PORT] sets one)\n");
		return 0;
	}
	if (dns_parse(spec)) {
		snprintf(err, errlen, "--dns %s: expected IP[:PORT] (IPv4) or none", spec);
		return -1;
	}
	dns_on = true;
	return 0;
}

int net_configure(const struct net_config *c, char *err, size_t errlen)
{
	if ((c->nallow_net || c->nallow_host || c->dns) && !c->egress) {
		snprintf(err, errlen, "--allow-net/--allow-host/--dns need --net=sandbox");
		return -1;
	}
	for (size_t i = 0; i < c->nallow_net; i++) {
		struct egress_rule r;
		if (rule_parse(c->allow_net[i], &r)) {
			snprintf(err, errlen, "--allow-net %s: expected CIDR[:PORT] (e.g. 10.0.2.2/32:8080)",
				 c->allow_net[i]);
			return -1;
		}
		if (rule_add(&r)) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	for (size_t i = 0; i < c->nallow_host; i++) {
		struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM }, *res;
		int rc = getaddrinfo(c->allow_host[i], NULL, &hints, &res);
		if (rc) {
			snprintf(err, errlen, "--allow-host %s: %s", c->allow_host[i], gai_strerror(rc));
			return -1;
		}
		for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
			struct sockaddr_in *sin = (struct sockaddr_in *)ai->ai_addr;
			struct egress_rule r = { ntohl(sin->sin_addr.s_addr), 0xffffffffu, 0 };
			/* A name for the host's loopback means the gateway alias. */
			if ((r.net >> 24) == 127)
				r.net = NET_GATEWAY_ADDR;
			if (rule_add(&r)) {
				freeaddrinfo(res);
				snprintf(err, errlen, "out of memory");
				return -1;
			}
		}
		freeaddrinfo(res);
	}
	if (c->egress) {
		if (dns_configure(c->dns, err, errlen) || netstack_start(err, errlen))
			return -1;
		egress_on = true;
		netdev_enable_eth0();
	}
	for (size_t i = 0; i < c->npublish; i++)
		if (publish_start(c->publish[i], err, errlen))
			return -1;
	return 0;
}
