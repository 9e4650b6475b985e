/*
 * UDP and ICMP channels.
 *
 * UDP: one lwIP udp_pcb per guest UDP socket that sent beyond loopback,
 * bound to an ephemeral port of 10.0.2.15. NS_DATA frames from the sentry
 * are sent to their addr:port; datagrams that arrive become NS_DATA frames
 * with their source (dropped when the channel is full, as a full socket
 * buffer drops them). The sentry does the connection tracking.
 *
 * ICMP: one raw pcb sees every ICMP message lwIP receives. A port
 * unreachable quoting a datagram of one of our UDP pcbs becomes NS_ERROR
 * (ECONNREFUSED) on that channel; a destination unreachable quoting the
 * SYN of a connecting TCP pcb fails that connect (net/netstack/tcp.c);
 * an echo reply whose identifier belongs
 * to a ping channel goes to it (the identifier the guest chose restored).
 * Everything else is left to lwIP.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "lwip/inet_chksum.h"
#include "lwip/ip.h"
#include "lwip/icmp.h"
#include "lwip/raw.h"
#include "lwip/udp.h"
#include "net/netstack/netstack.h"

#define UDP_BURST 64                   /* frames taken from one channel per wake-up */
#define UDP_MAX_PAYLOAD (0xffff - 28)  /* what fits an IPv4 datagram */

struct ns_udp {
	struct ns_chan ch;
	struct udp_pcb *pcb;
	struct ns_udp *next_udp;       /* in udps */
};

struct ns_ping {
	struct ns_chan ch;
	uint16_t ident;                /* the identifier on the wire (ours, unique) */
	uint16_t guest_ident;          /* the one the guest's last request carried */
	struct ns_ping *next_ping;     /* in pings */
};

static struct ns_udp *udps;
static struct ns_ping *pings;
static struct raw_pcb *icmp_pcb;
static uint8_t *udp_buf;               /* one frame's payload */
static uint16_t next_ident;

static bool udp_buf_ready(void)
{
	if (!udp_buf)
		udp_buf = malloc(NS_MAX_PAYLOAD);
	return udp_buf != NULL;
}

/* Send a pbuf chain as one frame of type/addr/port; dropped if it does not fit now. */
static void chan_send_pbuf(int fd, struct ns_frame *f, struct pbuf *p)
{
	struct iovec iov[64];
	int n = 0;
	for (struct pbuf *q = p; q && n < 64; q = q->next)
		iov[n++] = (struct iovec){ q->payload, q->len };
	if (n == 64 && udp_buf_ready()) {
		pbuf_copy_partial(p, udp_buf, p->tot_len, 0);
		iov[0] = (struct iovec){ udp_buf, p->tot_len };
		n = 1;
	} else if (n == 64) {
		return;
	}
	ns_send_frame(fd, f, iov, n);
}

/* ---- UDP ---- */

static void udp_on_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr,
			u16_t port)
{
	struct ns_udp *u = arg;
	if (u && !u->ch.dead && IP_IS_V4(addr)) {
		struct ns_frame f = { .type = NS_DATA, .addr = ip4_addr_get_u32(ip_2_ip4(addr)),
				      .port = port };
		chan_send_pbuf(u->ch.fd, &f, p);
	}
	pbuf_free(p);
}

static short udp_events(struct ns_chan *ch)
{
	return POLLIN;
}

/*
 * Read up to UDP_BURST datagrams the sentry sent on ch and hand each
 * (payload in udp_buf, f.addr checked) to send; ends the channel at its
 * end of file.
 */
static void chan_read_datagrams(struct ns_chan *ch, long min_len,
				void (*send)(struct ns_chan *ch, const struct ns_frame *f, long n))
{
	if (!udp_buf_ready())
		return;
	for (int k = 0; k < UDP_BURST; k++) {
		struct ns_frame f;
		long n = ns_recv_frame(ch->fd, &f, udp_buf, NS_MAX_PAYLOAD);
		if (n == -EAGAIN)
			return;
		if (n < 0 || f.type == 0) {
			ch->dead = true;       /* the sentry closed the socket */
			return;
		}
		if (f.type != NS_DATA || n < min_len || n > UDP_MAX_PAYLOAD || !ns_dest_ok(f.addr))
			continue;
		send(ch, &f, n);
	}
}

static void udp_send_one(struct ns_chan *ch, const struct ns_frame *f, long n)
{
	struct ns_udp *u = (struct ns_udp *)ch;
	struct pbuf *p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)n, PBUF_RAM);
	if (!p)
		return;                /* dropped, as a full device queue would */
	pbuf_take(p, udp_buf, (u16_t)n);
	ip_addr_t dst;
	ip_addr_set_ip4_u32_val(dst, f->addr);
	udp_sendto(u->pcb, p, &dst, f->port);
	pbuf_free(p);
}

static void udp_ready(struct ns_chan *ch, short revents)
{
	chan_read_datagrams(ch, 0, udp_send_one);
}

static void udp_destroy(struct ns_chan *ch)
{
	struct ns_udp *u = (struct ns_udp *)ch;
	for (struct ns_udp **pp = &udps; *pp; pp = &(*pp)->next_udp)
		if (*pp == u) {
			*pp = u->next_udp;
			break;
		}
	udp_remove(u->pcb);
	close(ch->fd);
	free(u);
}

void ns_udp_open(int fd)
{
	struct ns_udp *u = calloc(1, sizeof(*u));
	struct udp_pcb *pcb = u ? udp_new_ip_type(IPADDR_TYPE_V4) : NULL;
	if (!pcb || udp_bind(pcb, IP4_ADDR_ANY, 0) != ERR_OK) {
		if (pcb)
			udp_remove(pcb);
		free(u);
		close(fd);                     /* the sentry sees the end: its sends are dropped */
		return;
	}
	u->ch = (struct ns_chan){ .fd = fd, .events = udp_events, .ready = udp_ready,
				  .destroy = udp_destroy };
	u->pcb = pcb;
	udp_recv(pcb, udp_on_recv, u);
	u->next_udp = udps;
	udps = u;
	ns_chan_add(&u->ch);
}

/* ---- ping ---- */

static short ping_events(struct ns_chan *ch)
{
	return POLLIN;
}

/* The guest's echo request (an ICMP message) to f->addr, with our identifier. */
static void ping_send_one(struct ns_chan *ch, const struct ns_frame *f, long n)
{
	struct ns_ping *pg = (struct ns_ping *)ch;
	struct icmp_echo_hdr *h = (struct icmp_echo_hdr *)udp_buf;
	if (h->type != ICMP_ECHO)
		return;
	pg->guest_ident = h->id;
	h->id = lwip_htons(pg->ident);
	h->chksum = 0;
	h->chksum = inet_chksum(udp_buf, (u16_t)n);
	struct pbuf *p = pbuf_alloc(PBUF_IP, (u16_t)n, PBUF_RAM);
	if (!p)
		return;
	pbuf_take(p, udp_buf, (u16_t)n);
	ip_addr_t dst;
	ip_addr_set_ip4_u32_val(dst, f->addr);
	raw_sendto(icmp_pcb, p, &dst);
	pbuf_free(p);
}

static void ping_ready(struct ns_chan *ch, short revents)
{
	chan_read_datagrams(ch, (long)sizeof(struct icmp_echo_hdr), ping_send_one);
}

static void ping_destroy(struct ns_chan *ch)
{
	struct ns_ping *pg = (struct ns_ping *)ch;
	for (struct ns_ping **pp = &pings; *pp; pp = &(*pp)->next_ping)
		if (*pp == pg) {
			*pp = pg->next_ping;
			break;
		}
	close(ch->fd);
	free(pg);
}

void ns_ping_open(int fd)
{
	struct ns_ping *pg = calloc(1, sizeof(*pg));
	if (!pg || !icmp_pcb) {
		free(pg);
		close(fd);
		return;
	}
	pg->ch = (struct ns_chan){ .fd = fd, .events = ping_events, .ready = ping_ready,
				   .destroy = ping_destroy };
	/* An identifier no other ping channel has. */
	for (bool taken = true; taken;) {
		pg->ident = ++next_ident;
		taken = false;
		for (struct ns_ping *o = pings; o; o = o->next_ping)
			taken |= o->ident == pg->ident;
	}
	pg->next_ping = pings;
	pings = pg;
	ns_chan_add(&pg->ch);
}

/* ---- the ICMP listener ---- */

/* An echo reply for a ping channel: handed over, and eaten (1). */
static u8_t icmp_echo_reply(struct pbuf *p, unsigned ihl, const ip_addr_t *src)
{
	struct icmp_echo_hdr h;
	if (p->tot_len < ihl + sizeof(h) || pbuf_copy_partial(p, &h, sizeof(h), (u16_t)ihl) != sizeof(h))
		return 0;
	for (struct ns_ping *pg = pings; pg; pg = pg->next_ping) {
		if (pg->ch.dead || lwip_ntohs(h.id) != pg->ident)
			continue;
		size_t len = p->tot_len - ihl;
		if (!udp_buf_ready() || len > NS_MAX_PAYLOAD)
			break;
		pbuf_copy_partial(p, udp_buf, (u16_t)len, (u16_t)ihl);
		struct icmp_echo_hdr *rh = (struct icmp_echo_hdr *)udp_buf;
		rh->id = pg->guest_ident;
		rh->chksum = 0;
		rh->chksum = inet_chksum(udp_buf, (u16_t)len);
		struct ns_frame f = { .type = NS_DATA, .addr = ip4_addr_get_u32(ip_2_ip4(src)) };
		struct iovec iov = { udp_buf, len };
		ns_send_frame(pg->ch.fd, &f, &iov, 1);
		pbuf_free(p);
		return 1;
	}
	return 0;
}

/*
 * A destination unreachable quoting one of our datagrams: for UDP, a port
 * unreachable becomes NS_ERROR on the socket's channel; for TCP, any code
 * fails a connect in progress.
 */
static void icmp_unreachable(struct pbuf *p, unsigned ihl, uint8_t code)
{
	uint8_t q[8 + 60 + 8];             /* ICMP header, quoted IP header, ports */
	u16_t n = pbuf_copy_partial(p, q, sizeof(q), (u16_t)ihl);
	if (n < 8 + 20 + 8)
		return;
	const uint8_t *ip = q + 8;
	unsigned qihl = (ip[0] & 0x0f) * 4u;
	if ((ip[0] >> 4) != 4 || qihl < 20 || n < 8 + qihl + 4)
		return;
	const uint8_t *ph = ip + qihl;
	uint16_t sport = (uint16_t)(ph[0] << 8 | ph[1]), dport = (uint16_t)(ph[2] << 8 | ph[3]);
	uint32_t daddr;
	memcpy(&daddr, ip + 16, 4);
	if (ip[9] == IP_PROTO_TCP) {
		int err = code == ICMP_DUR_NET ? ENETUNREACH :
			  code == ICMP_DUR_HOST ? EHOSTUNREACH : ECONNREFUSED;
		ns_tcp_icmp_error(sport, daddr, dport, err);
		return;
	}
	if (ip[9] != IP_PROTO_UDP || code != ICMP_DUR_PORT)
		return;
	for (struct ns_udp *u = udps; u; u = u->next_udp) {
		if (u->ch.dead || u->pcb->local_port != sport)
			continue;
		struct ns_frame f = { .type = NS_ERROR, .addr = daddr, .port = dport,
				      .err = ECONNREFUSED };
		ns_send_frame(u->ch.fd, &f, NULL, 0);
		return;
	}
}

static u8_t icmp_on_recv(void *arg, struct raw_pcb *pcb, struct pbuf *p, const ip_addr_t *addr)
{
	uint8_t vihl;
	if (!IP_IS_V4(addr) || pbuf_copy_partial(p, &vihl, 1, 0) != 1)
		return 0;
	unsigned ihl = (vihl & 0x0f) * 4u;
	uint8_t tc[2];
	if (pbuf_copy_partial(p, tc, 2, (u16_t)ihl) != 2)
		return 0;
	if (tc[0] == ICMP_ER)
		return icmp_echo_reply(p, ihl, addr);
	if (tc[0] == ICMP_DUR)
		icmp_unreachable(p, ihl, tc[1]);
	return 0;                      /* lwIP's own ICMP handling goes on */
}

void ns_icmp_init(void)
{
	icmp_pcb = raw_new_ip_type(IPADDR_TYPE_V4, IP_PROTO_ICMP);
	if (icmp_pcb)
		raw_recv(icmp_pcb, icmp_on_recv, NULL);
}
