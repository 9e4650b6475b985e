/*
 * The sandbox's way out (--net=sandbox) and in (--publish), and the egress
 * policy (--allow-net, --allow-host).
 *
 * Egress is a socket-level NAT in the sentry, the same thing slirp does
 * for TCP: a guest TCP connection to an address beyond loopback is checked
 * against the policy; if allowed, an egress thread opens a host socket to
 * it (the gateway alias 10.0.2.2 means the host's 127.0.0.1) and, once
 * connected, the guest socket is paired with an internal *proxy* socket of
 * the connection engine (net/stream.c). Two pump threads move bytes between
 * the proxy and the host socket, so every guest-visible behaviour
 * (blocking, poll, SO_RCVTIMEO, half-close, reset) is the engine's own, and
 * flow control is the engine's send limit. The guest never holds a host
 * fd. Why not lwIP + libslirp: Debian ships both only as shared libraries
 * (no liblwip.a / libslirp.a) while build/sandbox is linked statically;
 * and for TCP, lwIP + slirp would turn the guest's byte stream into
 * packets only for slirp to turn them back into a host socket's stream.
 * See net/README.md.
 *
 * UDP is the same NAT per datagram: a guest UDP socket that sends beyond
 * loopback gets a host UDP socket of its own (made at its first such send,
 * closed with it); the datagram is sent there, and one shared thread polls
 * every such host socket and queues what comes back on the guest socket
 * (net/inet.c's inet_udp_deliver_locked), with the source the guest sent
 * to. Only replies from host address:port pairs the socket sent to (its
 * EGRESS_UDP_TRACK most recent) get in, as through a NAT's connection
 * tracking.
 *
 * DNS: 10.0.2.3:53 (UDP and TCP) is forwarded to an upstream resolver
 * (--dns IP[:PORT], default the first IPv4 nameserver of the host's
 * /etc/resolv.conf) without a policy rule, as slirp does; --dns none turns
 * it off.
 *
 * --publish HOSTPORT:GUESTPORT: a listener on the host's 127.0.0.1:HOSTPORT
 * whose connections become guest loopback connections to GUESTPORT (from
 * 10.0.2.2, as slirp's host forwarding shows them), pumped the same way.
 *
 * The policy is fixed at boot. Everything not allowed is refused, TCP with
 * ECONNREFUSED and UDP with EPERM, and one log line per refused destination.
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
#define EGRESS_BUF (64 * 1024)
#define EGRESS_LOGGED_MAX 256
#define EGRESS_UDP_TRACK 64            /* destinations remembered per UDP socket */
#define EGRESS_UDP_BURST 64            /* datagrams read from one host socket per wake-up */
#define EGRESS_UDP_BUF 65536
#define EGRESS_UDP_MAX 512             /* host UDP sockets at once (the sentry's fds) */
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
static struct { uint32_t addr; uint16_t port; bool udp; } logged[EGRESS_LOGGED_MAX];
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
 * Whether the guest may reach addr:port. The gateway alias (the host's own
 * loopback) only through a rule that names it: a prefix of /24 or longer
 * containing it, so --allow-net 0.0.0.0/0 does not open the host's
 * loopback services. Other addresses of the sandbox's subnet lead nowhere.
 */
static bool egress_allowed(uint32_t addr, uint16_t port)
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

static void egress_log_refused_locked(bool udp, uint32_t addr, uint16_t port)
{
	for (size_t i = 0; i < nlogged; i++)
		if (logged[i].addr == addr && logged[i].port == port && logged[i].udp == udp)
			return;
	if (nlogged < EGRESS_LOGGED_MAX) {
		logged[nlogged].addr = addr;
		logged[nlogged].port = port;
		logged[nlogged].udp = udp;
		nlogged++;
	}
	struct in_addr a = { htonl(addr) };
	char s[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &a, s, sizeof(s));
	fprintf(stderr, "sandbox: egress refused by policy: %s %s:%u\n", udp ? "udp" : "tcp", s,
		port);
}

/*
 * Where the guest's addr:port is on the host: the DNS alias goes to the
 * upstream resolver, the gateway alias to the host's own loopback, others
 * to themselves. False (and logged) if the policy refuses it.
 */
static bool egress_route_locked(bool udp, uint32_t addr, uint16_t port, struct sockaddr_in *host)
{
	if (dns_on && addr == NET_DNS_ADDR && port == DNS_PORT) {
		*host = dns_upstream;
		return true;
	}
	if (!egress_allowed(addr, port)) {
		egress_log_refused_locked(udp, addr, port);
		return false;
	}
	memset(host, 0, sizeof(*host));
	host->sin_family = AF_INET;
	host->sin_port = htons(port);
	host->sin_addr.s_addr = htonl(addr == NET_GATEWAY_ADDR ? INADDR_LOOPBACK : addr);
	return true;
}

/* ---- pumping bytes between a proxy socket and a host socket ---- */

struct egress_conn {
	struct sock *guest;            /* reference while connecting */
	struct sock *proxy;            /* reference (its "file" reference) */
	int fd;                        /* the host socket */
	struct sockaddr_in host;       /* where fd connects (egress) */
};

static void *egress_guest_to_host(void *arg)
{
	struct egress_conn *c = arg;
	char *buf = malloc(EGRESS_BUF);
	for (;;) {
		if (!buf)
			break;
		struct iovec iov = { buf, EGRESS_BUF };
		struct net_msg m = { .iov = &iov, .iovcnt = 1 };
		long n = stream_recv(NULL, c->proxy, &m, 0, false);
		if (n == 0) {
			/* The guest's FIN; if it closed the socket, nothing more is read either. */
			net_lock();
			bool gone = !c->proxy->peer || c->proxy->peer->dead;
			net_unlock();
			shutdown(c->fd, gone ? SHUT_RDWR : SHUT_WR);
			break;
		}
		if (n < 0) {
			/* Reset by the guest: reset the host side too (SO_LINGER 0). */
			struct linger l = { 1, 0 };
			setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
			shutdown(c->fd, SHUT_RDWR);
			break;
		}
		for (long off = 0; off < n;) {
			ssize_t w = send(c->fd, buf + off, (size_t)(n - off), MSG_NOSIGNAL);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				off = -1;
				break;
			}
			off += w;
		}
	}
	free(buf);
	return NULL;
}

/* Run both directions until both end, then close everything; frees c. */
static void egress_pump(struct egress_conn *c)
{
	pthread_t tid;
	bool two = pthread_create(&tid, NULL, egress_guest_to_host, c) == 0;
	char *buf = malloc(EGRESS_BUF);
	while (two && buf) {
		ssize_t n = recv(c->fd, buf, EGRESS_BUF, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			net_lock();
			if (n == 0) {
				stream_shutdown_locked(c->proxy, SK_SEND_SHUTDOWN);
			} else {
				/* Reset by the host: the guest sees a reset when the proxy goes. */
				c->proxy->linger_on = true;
				c->proxy->linger = 0;
				stream_shutdown_locked(c->proxy, SK_SHUTDOWN_MASK);
			}
			net_unlock();
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

static void *egress_connect_thread(void *arg)
{
	struct egress_conn *c = arg;
	int err = 0;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		err = errno;
	} else {
		struct timeval tv = { EGRESS_CONNECT_TIMEOUT_S, 0 };
		setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		int one = 1;
		setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		while (connect(c->fd, (struct sockaddr *)&c->host, sizeof(c->host)) < 0) {
			if (errno == EINTR)
				continue;
			err = errno == EINPROGRESS || errno == EAGAIN ? ETIMEDOUT : errno;
			break;
		}
		struct timeval zero = { 0, 0 };
		setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &zero, sizeof(zero));
	}
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
	struct sockaddr_in host;
	if (!egress_route_locked(false, addr, port, &host))
		return -ECONNREFUSED;
	struct egress_conn *c = calloc(1, sizeof(*c));
	struct sock *proxy = c ? inet_proxy_alloc() : NULL;
	if (!proxy) {
		free(c);
		return -ENOBUFS;
	}
	c->proxy = proxy;
	c->fd = -1;
	c->host = host;
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

/* ---- UDP egress: a host socket per guest socket, one thread polling them all ---- */

/*
 * The host side of one guest UDP socket that sent beyond loopback. Made
 * by the socket's first such send, in udp_socks until the socket is
 * released (dead); only the poll thread closes fd and frees it, so a
 * sender holding net_lock and the poll thread between two lock sections
 * never see the fd closed or reused. All fields: net_lock (fd is fixed).
 */
struct egress_udp {
	struct egress_udp *next;       /* in udp_socks */
	struct sock *sk;               /* reference, dropped when the poll thread reaps us */
	int fd;                        /* non-blocking host AF_INET datagram socket */
	bool dead;                     /* the guest socket is released */
	/* Where the guest sent: its destination and what it became on the host. */
	struct {
		uint32_t addr;         /* guest's view, host order */
		uint16_t port;
		struct sockaddr_in host;
	} track[EGRESS_UDP_TRACK];
	unsigned ntrack, next_track;
};

static struct egress_udp *udp_socks;   /* net_lock */
static unsigned udp_nsocks;            /* in udp_socks, dead or not (net_lock) */
static int udp_wake_fd = -1;           /* eventfd: udp_socks changed */
static pthread_once_t udp_once = PTHREAD_ONCE_INIT;

static void egress_udp_wake(void)
{
	uint64_t one = 1;
	if (write(udp_wake_fd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is already non-zero, the thread will look. */
	}
}

/* Remember that addr:port (guest view) went to host; replies from there get in. */
static void egress_udp_track_locked(struct egress_udp *eu, uint32_t addr, uint16_t port,
				    const struct sockaddr_in *host)
{
	for (unsigned i = 0; i < eu->ntrack; i++)
		if (eu->track[i].addr == addr && eu->track[i].port == port &&
		    eu->track[i].host.sin_addr.s_addr == host->sin_addr.s_addr &&
		    eu->track[i].host.sin_port == host->sin_port)
			return;
	unsigned slot = eu->next_track;
	eu->next_track = (slot + 1) % EGRESS_UDP_TRACK;
	if (eu->ntrack < EGRESS_UDP_TRACK)
		eu->ntrack++;
	eu->track[slot].addr = addr;
	eu->track[slot].port = port;
	eu->track[slot].host = *host;
}

/* The guest's view of a reply's source, newest entry first; false: not a known peer. */
static bool egress_udp_untrack_locked(const struct egress_udp *eu, const struct sockaddr_in *from,
				      uint32_t *addr, uint16_t *port)
{
	for (unsigned k = 1; k <= eu->ntrack; k++) {
		unsigned i = (eu->next_track + EGRESS_UDP_TRACK - k) % EGRESS_UDP_TRACK;
		if (eu->track[i].host.sin_addr.s_addr == from->sin_addr.s_addr &&
		    eu->track[i].host.sin_port == from->sin_port) {
			*addr = eu->track[i].addr;
			*port = eu->track[i].port;
			return true;
		}
	}
	return false;
}

/*
 * ICMP errors for what eu sent (IP_RECVERR): "port unreachable" from a
 * destination the guest socket is connected to becomes its pending
 * ECONNREFUSED, as Linux reports hard errors to connected UDP sockets.
 */
static void egress_udp_read_errors(struct egress_udp *eu)
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
		if (recvmsg(eu->fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) {
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
			if (ee.ee_origin != SO_EE_ORIGIN_ICMP || ee.ee_errno != ECONNREFUSED)
				continue;
			net_lock();
			uint32_t addr;
			uint16_t port;
			if (!eu->dead && egress_udp_untrack_locked(eu, &dst, &addr, &port))
				inet_udp_error_locked(eu->sk, addr, port, ECONNREFUSED);
			net_unlock();
		}
	}
}

/* Read what arrived on eu's host socket and queue it on the guest socket. */
static void egress_udp_drain(struct egress_udp *eu, char *buf)
{
	for (int k = 0; k < EGRESS_UDP_BURST; k++) {
		struct sockaddr_in from;
		socklen_t fromlen = sizeof(from);
		ssize_t n = recvfrom(eu->fd, buf, EGRESS_UDP_BUF, MSG_DONTWAIT,
				     (struct sockaddr *)&from, &fromlen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN) {
			/* The host socket's pending ICMP error: its queue says for whom. */
			egress_udp_read_errors(eu);
			continue;
		}
		if (n < 0)
			return;
		if (fromlen < sizeof(from) || from.sin_family != AF_INET)
			continue;
		net_lock();
		uint32_t addr;
		uint16_t port;
		if (!eu->dead && egress_udp_untrack_locked(eu, &from, &addr, &port))
			inet_udp_deliver_locked(eu->sk, addr, port, buf, (size_t)n);
		net_unlock();
	}
}

/*
 * The one thread behind every egress UDP socket: poll the host sockets
 * (and the wake-up eventfd), queue what arrives, reap released sockets.
 * It touches no guest memory: data goes from its buffer into a queue.
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
				close(eu->fd);
				sock_put_locked(eu->sk);
				free(eu);
				continue;
			}
			live++;
			pp = &eu->next;
		}
		if (live + 1 > cap) {
			struct pollfd *np = realloc(pfd, (live + 1) * sizeof(*np));
			if (np)
				pfd = np;
			struct egress_udp **ne = realloc(eus, (live + 1) * sizeof(*ne));
			if (ne)
				eus = ne;
			if (np && ne)
				cap = live + 1;
		}
		if (cap && buf) {
			for (struct egress_udp *eu = udp_socks; eu && n < cap; eu = eu->next) {
				pfd[n] = (struct pollfd){ .fd = eu->fd, .events = POLLIN };
				eus[n++] = eu;
			}
		}
		net_unlock();
		if (!cap || !buf) {
			usleep(100000);        /* out of memory: datagrams wait in the host sockets */
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
		for (size_t i = 1; i < n; i++) {
			if (pfd[i].revents & POLLERR)
				egress_udp_read_errors(eus[i]);
			if (pfd[i].revents)
				egress_udp_drain(eus[i], buf);
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

/* sk's host socket, made and registered with the poll thread now; NULL: -ENOBUFS. */
static struct egress_udp *egress_udp_open_locked(struct sock *sk)
{
	net_assert_locked();
	pthread_once(&udp_once, egress_udp_thread_start);
	if (!udp_thread_ok || udp_nsocks >= EGRESS_UDP_MAX)
		return NULL;
	struct egress_udp *eu = calloc(1, sizeof(*eu));
	if (!eu)
		return NULL;
	eu->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (eu->fd < 0) {
		free(eu);
		return NULL;
	}
	int one = 1;
	setsockopt(eu->fd, SOL_IP, IP_RECVERR, &one, sizeof(one));
	udp_nsocks++;
	sock_get_locked(sk);
	eu->sk = sk;
	eu->next = udp_socks;
	udp_socks = eu;
	egress_udp_wake();
	return eu;
}

long egress_udp_send_locked(struct egress_udp **eup, struct sock *sk, uint32_t addr,
			    uint16_t port, const struct iovec *iov, int iovcnt, size_t len)
{
	net_assert_locked();
	struct sockaddr_in host;
	if (!egress_route_locked(true, addr, port, &host))
		return -EPERM;
	struct egress_udp *eu = *eup;
	if (!eu && !(eu = *eup = egress_udp_open_locked(sk)))
		return -ENOBUFS;
	egress_udp_track_locked(eu, addr, port, &host);
	/*
	 * Sent under net_lock so the socket cannot be released (and its fd
	 * closed by the poll thread) meanwhile; the host socket never blocks.
	 */
	struct msghdr mh = {
		.msg_name = &host, .msg_namelen = sizeof(host),
		.msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)iovcnt,
	};
	ssize_t n;
	do
		n = sendmsg(eu->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno != EAGAIN && errno != ENOBUFS)
		return -errno;
	/* A full host send buffer drops the datagram, as a full device queue would. */
	return (long)len;
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
		if (dns_configure(c->dns, err, errlen))
			return -1;
		egress_on = true;
		netdev_enable_eth0();
	}
	for (size_t i = 0; i < c->npublish; i++)
		if (publish_start(c->publish[i], err, errlen))
			return -1;
	return 0;
}
