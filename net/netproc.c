/*
 * /proc/net: the sandbox's own interfaces and sockets in Linux's formats
 * (net/core/net-procfs.c dev_seq_show, net/ipv4/tcp_ipv4.c get_tcp4_sock,
 * net/ipv6/tcp_ipv6.c get_tcp6_sock, net/ipv4/udp.c udp4_format_sock,
 * net/ipv6/datagram.c __ip6_dgram_sock_seq_show, net/unix/af_unix.c
 * unix_seq_show, net/ipv4/fib_trie.c fib_route_seq_show, net/ipv6/
 * addrconf.c if6_seq_show, net/ipv4/proc.c). Never the host's.
 *
 * Kernel pointers (%pK) print as zeros, as Linux does for readers without
 * CAP_SYSLOG under kptr_restrict; timers and retransmissions are zero
 * (the sentry's loopback has none). Sockets are listed newest first.
 */
#include <errno.h>
#include <net/route.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include "net/inet_internal.h"

/* Linux's TCP states (include/net/tcp_states.h). */
enum {
	TCPS_ESTABLISHED = 1, TCPS_SYN_SENT, TCPS_SYN_RECV, TCPS_FIN_WAIT1, TCPS_FIN_WAIT2,
	TCPS_TIME_WAIT, TCPS_CLOSE, TCPS_CLOSE_WAIT, TCPS_LAST_ACK, TCPS_LISTEN, TCPS_CLOSING,
};

/* A growing text (the caller frees .p). */
struct ntext {
	char *p;
	size_t len, cap;
	bool oom;
};

static void nt_printf(struct ntext *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void nt_printf(struct ntext *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || b->oom)
		return;
	if (b->len + (size_t)n + 1 > b->cap) {
		size_t nc = b->cap ? b->cap : 4096;
		while (nc < b->len + (size_t)n + 1)
			nc *= 2;
		char *np = realloc(b->p, nc);
		if (!np) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = nc;
	}
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* seq_pad: spaces up to width characters since start, then a newline. */
static void nt_pad(struct ntext *b, size_t start, size_t width)
{
	size_t used = b->len - start;
	nt_printf(b, "%*s\n", used < width ? (int)(width - used) : 0, "");
}

/* ---- /proc/net/dev ---- */

static void show_dev(struct ntext *b)
{
	nt_printf(b, "Inter-|   Receive                                                |  Transmit\n"
		  " face |bytes    packets errs drop fifo frame compressed multicast|"
		  "bytes    packets errs drop fifo colls carrier compressed\n");
	for (int i = 0; i < netdev_count(); i++) {
		const struct netdev *d = netdev_get(i);
		struct netdev_stats s;
		netdev_get_stats(d, &s);
		nt_printf(b, "%6s: %7llu %7llu %4u %4u %4u %5u %10u %9u "
			  "%8llu %7llu %4u %4u %4u %5u %7u %10u\n",
			  d->name, (unsigned long long)s.rx_bytes, (unsigned long long)s.rx_packets,
			  0, 0, 0, 0, 0, 0, (unsigned long long)s.tx_bytes,
			  (unsigned long long)s.tx_packets, 0, 0, 0, 0, 0, 0);
	}
}

/* ---- inet sockets ---- */

/* The TCP state Linux would report for sk. */
static int tcp_state(const struct sock *sk)
{
	if (sk->state == SK_LISTEN)
		return TCPS_LISTEN;
	if (sk->connecting)
		return TCPS_SYN_SENT;
	if (sk->state != SK_CONNECTED)
		return TCPS_CLOSE;
	/* Loopback FINs are acknowledged at once: FIN_WAIT2, CLOSE_WAIT, then closed. */
	bool sent_fin = sk->shutdown & SK_SEND_SHUTDOWN;
	bool got_fin = (sk->shutdown & SK_RCV_SHUTDOWN) || !sk->peer || sk->peer->dead;
	if (sent_fin && got_fin)
		return TCPS_CLOSE;
	if (sent_fin)
		return TCPS_FIN_WAIT2;
	if (got_fin)
		return TCPS_CLOSE_WAIT;
	return TCPS_ESTABLISHED;
}

/* An endpoint as sk's /proc file prints it: "%08X:%04X" or 4 x "%08X" then ":%04X". */
static void put_ep(struct ntext *b, const struct sock *sk, const struct inet_ep *ep)
{
	uint32_t w[4];
	if (sk->family == AF_INET) {
		uint32_t a = htonl(ep_is_v4(&ep->a) ? ep_v4(&ep->a) : 0);
		nt_printf(b, "%08X:%04X", a, ep->port);
		return;
	}
	memcpy(w, ep->a.s6_addr, sizeof(w));       /* s6_addr32[], in memory order */
	nt_printf(b, "%08X%08X%08X%08X:%04X", w[0], w[1], w[2], w[3], ep->port);
}

/*
 * What Linux's tables hold: TCP listeners and connections (a closed or
 * merely bound socket is in no hash table), UDP sockets with a port.
 */
static bool inet_listed(struct sock *sk, int family, bool tcp)
{
	if (sk->dead || sk->family != family || sk->proxy)
		return false;
	if (tcp)
		return sk->tcp && tcp_state(sk) != TCPS_CLOSE;
	return sk->udp && sk->protocol == IPPROTO_UDP && inet_of(sk)->bound;
}

static void show_inet(struct ntext *b, int family, bool tcp)
{
	bool v4 = family == AF_INET;
	size_t start = b->len;
	if (tcp && v4) {
		nt_printf(b, "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when "
			  "retrnsmt   uid  timeout inode");
		nt_pad(b, start, 149);
	} else if (v4) {
		nt_printf(b, "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when "
			  "retrnsmt   uid  timeout inode ref pointer drops");
		nt_pad(b, start, 127);
	} else {
		nt_printf(b, "  sl  local_address                         remote_address                "
			  "        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode%s\n",
			  tcp ? "" : " ref pointer drops");
	}
	net_lock();
	int n = 0;
	for (struct sock *sk = sock_list_first_locked(); sk; sk = sk->all_next) {
		if (!inet_listed(sk, family, tcp))
			continue;
		struct inet_priv *ip = inet_of(sk);
		struct inet_ep local = ip->local, remote = { .port = 0 };
		if (!ip->bound)
			local.port = 0;
		if (v4)
			ep_set_v4(&remote.a, 0);
		if (ip->has_remote)
			remote = ip->remote;
		start = b->len;
		nt_printf(b, tcp ? "%4d: " : "%5d: ", n++);
		put_ep(b, sk, &local);
		nt_printf(b, " ");
		put_ep(b, sk, &remote);
		if (tcp) {
			int st = tcp_state(sk);
			bool listen = st == TCPS_LISTEN;
			/*
			 * A listener's rx_queue is its accept queue; tx_queue is
			 * unacknowledged data, none on the sentry's loopback.
			 */
			unsigned rxq = listen ? sk->aq_len : (unsigned)sk->rq_bytes;
			unsigned txq = 0;
			nt_printf(b, " %02X %08X:%08X %02X:%08lX %08X %5u %8d %llu %d %016llx "
				  "%lu %lu %u %u %d",
				  st, txq, rxq, 0, 0UL, 0, sk->uid, 0, (unsigned long long)sk->ino,
				  listen ? 1 : 2, 0ULL, listen ? 100UL : 20UL, listen ? 0UL : 4UL, 0,
				  10, listen ? 0 : -1);
		} else {
			int st = ip->has_remote ? TCPS_ESTABLISHED : TCPS_CLOSE;
			nt_printf(b, " %02X %08X:%08X %02X:%08lX %08X %5u %8d %llu %d %016llx %u",
				  st, (unsigned)sk->wmem, (unsigned)sk->rq_bytes, 0, 0UL, 0, sk->uid, 0,
				  (unsigned long long)sk->ino, 2, 0ULL, 0);
		}
		if (v4)
			nt_pad(b, start, tcp ? 149 : 127);
		else
			nt_printf(b, "\n");
	}
	net_unlock();
}

/* ---- AF_UNIX ---- */

#define UNIX_SO_ACCEPTCON (1 << 16)     /* __SO_ACCEPTCON */
enum { UNIX_SS_UNCONNECTED = 1, UNIX_SS_CONNECTING, UNIX_SS_CONNECTED, UNIX_SS_DISCONNECTING };

static void show_unix(struct ntext *b)
{
	nt_printf(b, "Num       RefCount Protocol Flags    Type St Inode Path\n");
	net_lock();
	for (struct sock *sk = sock_list_first_locked(); sk; sk = sk->all_next) {
		if (sk->dead || sk->family != AF_UNIX)
			continue;
		bool listen = sk->state == SK_LISTEN;
		bool established = sk->state == SK_CONNECTED ||
				   (sk->state == SK_UNCONNECTED && sk->peer);
		/* An embryo has no socket (file) yet: "connecting" in Linux's words. */
		int st = sk->ino ? (established ? UNIX_SS_CONNECTED : UNIX_SS_UNCONNECTED)
				 : (established ? UNIX_SS_CONNECTING : UNIX_SS_DISCONNECTING);
		nt_printf(b, "%016llx: %08X %08X %08X %04X %02X %5llu", 0ULL, 2, 0,
			  listen ? UNIX_SO_ACCEPTCON : 0, (unsigned)sk->type, st,
			  (unsigned long long)sk->ino);
		size_t off = offsetof(struct sockaddr_un, sun_path);
		if (sk->addr.len > off) {
			const char *path = (const char *)sk->addr.bytes + off;
			size_t len = sk->addr.len - off, i = 0;
			nt_printf(b, " ");
			if (path[0]) {
				len = strnlen(path, len);        /* the name without its NUL */
			} else {
				nt_printf(b, "@");
				i = 1;
			}
			for (; i < len; i++)
				nt_printf(b, "%c", path[i] ? path[i] : '@');
		}
		nt_printf(b, "\n");
	}
	net_unlock();
}

/* ---- routes and addresses ---- */

static void route_line(struct ntext *b, const char *dev, uint32_t dst, uint32_t gw, int flags,
		       uint32_t mask)
{
	size_t start = b->len;
	nt_printf(b, "%s\t%08X\t%08X\t%04X\t%d\t%u\t%d\t%08X\t%d\t%u\t%u", dev, htonl(dst),
		  htonl(gw), flags, 0, 0, 0, htonl(mask), 0, 0, 0);
	nt_pad(b, start, 127);
}

/* The main table, as netlink's RTM_GETROUTE dump gives it (lo's routes are in the local table). */
static void show_route(struct ntext *b)
{
	nt_printf(b, "%-127s\n", "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask"
		  "\t\tMTU\tWindow\tIRTT");
	const struct netdev *eth = netdev_by_name("eth0");
	if (!eth)
		return;
	uint32_t mask = eth->prefix4 ? ~0u << (32 - eth->prefix4) : 0;
	route_line(b, eth->name, 0, NET_GATEWAY_ADDR, RTF_UP | RTF_GATEWAY, 0);
	route_line(b, eth->name, eth->addr4 & mask, 0, RTF_UP, mask);
}

static void show_if_inet6(struct ntext *b)
{
	for (int i = 0; i < netdev_count(); i++) {
		const struct netdev *d = netdev_get(i);
		/* ::1/128, scope host (IFA_HOST 0x10), flags IFA_F_PERMANENT (0x80). */
		if (d->has_v6_loop)
			nt_printf(b, "%032x %02x %02x %02x %02x %8s\n", 1, d->index, 128, 0x10, 0x80,
				  d->name);
	}
}

long net_proc_text(enum net_proc_file which, char **out)
{
	struct ntext b = { 0 };
	switch (which) {
	case NET_PROC_DEV:
		show_dev(&b);
		break;
	case NET_PROC_TCP:
		show_inet(&b, AF_INET, true);
		break;
	case NET_PROC_TCP6:
		show_inet(&b, AF_INET6, true);
		break;
	case NET_PROC_UDP:
		show_inet(&b, AF_INET, false);
		break;
	case NET_PROC_UDP6:
		show_inet(&b, AF_INET6, false);
		break;
	case NET_PROC_UNIX:
		show_unix(&b);
		break;
	case NET_PROC_ROUTE:
		show_route(&b);
		break;
	case NET_PROC_IF_INET6:
		show_if_inet6(&b);
		break;
	default:
		return -EINVAL;
	}
	if (b.oom) {
		free(b.p);
		return -ENOMEM;
	}
	if (!b.p && !(b.p = calloc(1, 1)))
		return -ENOMEM;
	*out = b.p;
	return (long)b.len;
}
