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
 * --publish HOSTPORT:GUESTPORT: a listener on the host's 127.0.0.1:HOSTPORT
 * whose connections become guest loopback connections to GUESTPORT (from
 * 10.0.2.2, as slirp's host forwarding shows them), pumped the same way.
 *
 * The policy is fixed at boot. Everything not allowed is refused with
 * ECONNREFUSED and one log line per refused destination.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "net/net_internal.h"

#define EGRESS_CONNECT_TIMEOUT_S 20
#define EGRESS_BUF (64 * 1024)
#define EGRESS_LOGGED_MAX 256

struct egress_rule {
	uint32_t net, mask;            /* host order */
	uint16_t port;                 /* 0: any */
};

static bool egress_on;
static struct egress_rule *rules;
static size_t nrules;

/* Destinations already logged as refused (under net_lock). */
static struct { uint32_t addr; uint16_t port; } logged[EGRESS_LOGGED_MAX];
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

static void egress_log_refused_locked(const char *proto, uint32_t addr, uint16_t port)
{
	for (size_t i = 0; i < nlogged; i++)
		if (logged[i].addr == addr && logged[i].port == port)
			return;
	if (nlogged < EGRESS_LOGGED_MAX) {
		logged[nlogged].addr = addr;
		logged[nlogged].port = port;
		nlogged++;
	}
	struct in_addr a = { htonl(addr) };
	char s[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &a, s, sizeof(s));
	fprintf(stderr, "sandbox: egress refused by policy: %s %s:%u\n", proto, s, port);
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
	if (!egress_allowed(addr, port)) {
		egress_log_refused_locked("tcp", addr, port);
		return -ECONNREFUSED;
	}
	struct egress_conn *c = calloc(1, sizeof(*c));
	struct sock *proxy = c ? inet_proxy_alloc() : NULL;
	if (!proxy) {
		free(c);
		return -ENOBUFS;
	}
	c->proxy = proxy;
	c->fd = -1;
	c->host.sin_family = AF_INET;
	c->host.sin_port = htons(port);
	/* The gateway alias is the host itself, reached on its loopback. */
	c->host.sin_addr.s_addr = htonl(addr == NET_GATEWAY_ADDR ? INADDR_LOOPBACK : addr);
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

int net_configure(const struct net_config *c, char *err, size_t errlen)
{
	if ((c->nallow_net || c->nallow_host) && !c->egress) {
		snprintf(err, errlen, "--allow-net/--allow-host need --net=sandbox");
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
		egress_on = true;
		netdev_enable_eth0();
	}
	for (size_t i = 0; i < c->npublish; i++)
		if (publish_start(c->publish[i], err, errlen))
			return -1;
	return 0;
}
