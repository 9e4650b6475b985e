/*
 * sandbox-netstack: the sandbox's user-space TCP/IP stack for egress.
 *
 * The sentry (net/netstack.c) starts this program once per sandbox under
 * --net=sandbox, dynamically linked because Debian ships lwIP and libslirp
 * only as shared libraries while the sentry is static. It runs lwIP with
 * one ethernet interface, 10.0.2.15/24 behind gateway 10.0.2.2 with the
 * sandbox's MAC, whose frames go to libslirp (slirp_input) and whose input
 * is what slirp sends (send_packet); slirp NATs them onto host sockets
 * without privileges (10.0.2.2 is the host's loopback). The sentry asks
 * for TCP connections, UDP sockets and ping sockets on the control socket
 * (fd 3) and moves their bytes over one socketpair each
 * (net/netstack/proto.h); the policy is the sentry's, already applied.
 *
 * One thread: poll() over the control socket, the channels and slirp's
 * sockets, then slirp's events, the channels' events, slirp's timers and
 * lwIP's timeouts. Frames slirp sends are queued and fed to lwIP from the
 * loop, never from inside slirp or lwIP, since neither is re-entrant
 * (lwIP's output calls slirp_input, which may answer at once).
 *
 * It exits when the control socket ends (the sentry is gone) and dies
 * with the thread that started it (PR_SET_PDEATHSIG, set before exec).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <libslirp.h>
#include "lwip/etharp.h"
#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/timeouts.h"
#include "netif/ethernet.h"
#include "net/netstack/netstack.h"

#define NS_RXQ 1024                    /* frames from slirp waiting for lwIP */
#define NS_RXQ_BYTES (4 << 20)         /* ... and their bytes */
/*
 * The link's MTU, slirp4netns's default (slirp's largest is 65521): a
 * datagram from the host up to 65492 bytes crosses it whole, and larger
 * ones in two fragments. At 1500, slirp cut anything over 1472 bytes into
 * fragments and lwIP reassembles at most IP_REASS_MAX_PBUFS (10) of them:
 * datagrams over 14792 bytes never arrived. TCP is unchanged: both stacks
 * keep lwIP's MSS (TCP_MSS, 1460).
 */
#define NS_MTU 65520
#define NS_FRAME_MAX (NS_MTU + 14)

static const uint8_t ns_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

static Slirp *slirp;
static struct netif ns_netif;
static struct ns_chan *chans;

/* Frames slirp sent, for lwIP (a ring; full: dropped, as a NIC's ring would). */
static struct pbuf *rxq[NS_RXQ];
static unsigned rxq_head, rxq_len;
static size_t rxq_bytes;

/* The poll set of one loop turn: ours first, then slirp's (add_poll). */
static struct pollfd *pfd;
static size_t npfd, cap_pfd;

int64_t ns_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ns_chan_add(struct ns_chan *ch)
{
	ch->next = chans;
	chans = ch;
}

int ns_send_frame(int fd, const struct ns_frame *f, const struct iovec *iov, int iovcnt)
{
	struct iovec v[1 + 64];
	if (iovcnt > 64)
		return -EINVAL;
	v[0] = (struct iovec){ (void *)f, sizeof(*f) };
	for (int i = 0; i < iovcnt; i++)
		v[1 + i] = iov[i];
	struct msghdr mh = { .msg_iov = v, .msg_iovlen = (size_t)iovcnt + 1 };
	for (;;) {
		if (sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0)
			return 0;
		if (errno != EINTR)
			return -errno;
	}
}

long ns_recv_frame(int fd, struct ns_frame *f, void *buf, size_t cap)
{
	memset(f, 0, sizeof(*f));      /* type 0: end of file */
	struct iovec v[2] = { { f, sizeof(*f) }, { buf, cap } };
	struct msghdr mh = { .msg_iov = v, .msg_iovlen = 2 };
	for (;;) {
		ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		/* A short or truncated frame is a protocol error: treat as the end. */
		if ((size_t)n < sizeof(*f) || (mh.msg_flags & MSG_TRUNC))
			return -EPROTO;
		return (long)((size_t)n - sizeof(*f));
	}
}

bool ns_dest_ok(uint32_t addr)
{
	uint32_t a = ntohl(addr);
	return (a >> 24) != 0 && (a >> 24) != 127 && a < 0xe0000000u &&
	       a != 0x0a00020fu && a != 0x0a0002ffu;
}

/* ---- the interface: lwIP <-> slirp ---- */

static err_t ns_linkoutput(struct netif *nif, struct pbuf *p)
{
	static uint8_t frame[NS_FRAME_MAX];
	if (p->tot_len > sizeof(frame))
		return ERR_IF;
	if (!p->next) {
		slirp_input(slirp, p->payload, p->tot_len);
	} else {
		pbuf_copy_partial(p, frame, p->tot_len, 0);
		slirp_input(slirp, frame, p->tot_len);
	}
	return ERR_OK;
}

static err_t ns_netif_init(struct netif *nif)
{
	nif->name[0] = 'e';
	nif->name[1] = 'n';
	nif->output = etharp_output;
	nif->linkoutput = ns_linkoutput;
	nif->mtu = NS_MTU;
	nif->hwaddr_len = ETH_HWADDR_LEN;
	memcpy(nif->hwaddr, ns_mac, sizeof(ns_mac));
	nif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
	return ERR_OK;
}

/* slirp -> lwIP: queued, fed to lwIP by ns_rx_drain from the loop. */
static ssize_t ns_slirp_send(const void *buf, size_t len, void *opaque)
{
	if (len > NS_FRAME_MAX || rxq_len == NS_RXQ || rxq_bytes + len > NS_RXQ_BYTES)
		return (ssize_t)len;
	struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_RAM);
	if (!p)
		return (ssize_t)len;
	pbuf_take(p, buf, (u16_t)len);
	rxq[(rxq_head + rxq_len++) % NS_RXQ] = p;
	rxq_bytes += len;
	return (ssize_t)len;
}

static void ns_rx_drain(void)
{
	while (rxq_len) {
		struct pbuf *p = rxq[rxq_head];
		rxq_head = (rxq_head + 1) % NS_RXQ;
		rxq_len--;
		rxq_bytes -= p->tot_len;
		if (ns_netif.input(p, &ns_netif) != ERR_OK)
			pbuf_free(p);
	}
}

/* ---- slirp's callbacks: clock, timers, polling ---- */

struct ns_timer {
	struct ns_timer *next;
	SlirpTimerCb cb;               /* NULL: an id timer (slirp_handle_timer) */
	SlirpTimerId id;
	void *cb_opaque;
	int64_t expire_ms;             /* -1: not armed */
};

static struct ns_timer *timers;

static int64_t ns_clock_get_ns(void *opaque)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void *ns_timer_add(SlirpTimerCb cb, SlirpTimerId id, void *cb_opaque)
{
	struct ns_timer *t = calloc(1, sizeof(*t));
	if (!t) {
		fprintf(stderr, "sandbox-netstack: out of memory\n");
		exit(1);
	}
	*t = (struct ns_timer){ timers, cb, id, cb_opaque, -1 };
	timers = t;
	return t;
}

static void *ns_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
	return ns_timer_add(cb, 0, cb_opaque);
}

static void *ns_timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque)
{
	return ns_timer_add(NULL, id, cb_opaque);
}

static void ns_timer_free(void *timer, void *opaque)
{
	for (struct ns_timer **pp = &timers; *pp; pp = &(*pp)->next)
		if (*pp == timer) {
			*pp = ((struct ns_timer *)timer)->next;
			free(timer);
			return;
		}
}

static void ns_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
	((struct ns_timer *)timer)->expire_ms = expire_ms;
}

static void ns_timers_run(void)
{
	int64_t now = ns_clock_get_ns(NULL) / 1000000;
	for (bool again = true; again;) {
		again = false;
		for (struct ns_timer *t = timers; t; t = t->next) {
			if (t->expire_ms < 0 || t->expire_ms > now)
				continue;
			t->expire_ms = -1;
			/* The callback may free or add timers: start over. */
			if (t->cb)
				t->cb(t->cb_opaque);
			else
				slirp_handle_timer(slirp, t->id, t->cb_opaque);
			again = true;
			break;
		}
	}
}

static void ns_pfd_reserve(size_t n)
{
	if (n <= cap_pfd)
		return;
	size_t cap = cap_pfd ? cap_pfd : 64;
	while (cap < n)
		cap *= 2;
	struct pollfd *p = realloc(pfd, cap * sizeof(*p));
	if (!p) {
		fprintf(stderr, "sandbox-netstack: out of memory\n");
		exit(1);
	}
	pfd = p;
	cap_pfd = cap;
}

static int ns_add_poll(int fd, int events, void *opaque)
{
	short ev = 0;
	if (events & SLIRP_POLL_IN)
		ev |= POLLIN;
	if (events & SLIRP_POLL_OUT)
		ev |= POLLOUT;
	if (events & SLIRP_POLL_PRI)
		ev |= POLLPRI;
	ns_pfd_reserve(npfd + 1);
	pfd[npfd] = (struct pollfd){ .fd = fd, .events = ev };
	return (int)npfd++;
}

static int ns_get_revents(int idx, void *opaque)
{
	if (idx < 0 || (size_t)idx >= npfd)
		return 0;
	short re = pfd[idx].revents;
	int ev = 0;
	if (re & POLLIN)
		ev |= SLIRP_POLL_IN;
	if (re & POLLOUT)
		ev |= SLIRP_POLL_OUT;
	if (re & POLLPRI)
		ev |= SLIRP_POLL_PRI;
	if (re & POLLERR)
		ev |= SLIRP_POLL_ERR;
	if (re & POLLHUP)
		ev |= SLIRP_POLL_HUP;
	return ev;
}

static void ns_guest_error(const char *msg, void *opaque)
{
	fprintf(stderr, "sandbox-netstack: slirp: %s\n", msg);
}

static void ns_noop_fd(int fd, void *opaque)
{
}

static void ns_notify(void *opaque)
{
}

static const SlirpCb ns_slirp_cb = {
	.send_packet = ns_slirp_send,
	.guest_error = ns_guest_error,
	.clock_get_ns = ns_clock_get_ns,
	.timer_new = ns_timer_new,
	.timer_free = ns_timer_free,
	.timer_mod = ns_timer_mod,
	.register_poll_fd = ns_noop_fd,
	.unregister_poll_fd = ns_noop_fd,
	.notify = ns_notify,
	.timer_new_opaque = ns_timer_new_opaque,
};

static void ns_slirp_start(void)
{
	SlirpConfig cfg = {
		.version = 4,
		.restricted = 0,
		.in_enabled = true,
		.in6_enabled = false,
		.disable_dns = true,   /* the sentry forwards 10.0.2.3:53 itself */
		.disable_dhcp = true,  /* lwIP's address is static */
		.if_mtu = NS_MTU,
		.if_mru = NS_MTU,
	};
	inet_pton(AF_INET, "10.0.2.0", &cfg.vnetwork);
	inet_pton(AF_INET, "255.255.255.0", &cfg.vnetmask);
	inet_pton(AF_INET, "10.0.2.2", &cfg.vhost);
	inet_pton(AF_INET, "10.0.2.3", &cfg.vnameserver);
	inet_pton(AF_INET, "10.0.2.15", &cfg.vdhcp_start);
	slirp = slirp_new(&cfg, &ns_slirp_cb, NULL);
	if (!slirp) {
		fprintf(stderr, "sandbox-netstack: slirp_new failed\n");
		exit(1);
	}
}

static void ns_lwip_start(void)
{
	lwip_init();
	ip4_addr_t ip, mask, gw;
	IP4_ADDR(&ip, 10, 0, 2, 15);
	IP4_ADDR(&mask, 255, 255, 255, 0);
	IP4_ADDR(&gw, 10, 0, 2, 2);
	if (!netif_add(&ns_netif, &ip, &mask, &gw, NULL, ns_netif_init, ethernet_input)) {
		fprintf(stderr, "sandbox-netstack: netif_add failed\n");
		exit(1);
	}
	netif_set_default(&ns_netif);
	netif_set_link_up(&ns_netif);
	netif_set_up(&ns_netif);
	ns_icmp_init();
}

/* ---- the control socket ---- */

/* One request: a struct ns_request and exactly one fd. false: the sentry is gone. */
static bool ns_control_read(void)
{
	struct ns_request rq;
	union {
		char buf[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} c;
	struct iovec iov = { &rq, sizeof(rq) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = c.buf, .msg_controllen = sizeof(c.buf) };
	ssize_t n = recvmsg(NS_CONTROL_FD, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return errno == EINTR || errno == EAGAIN;
	if (n == 0)
		return false;
	int fd = -1, extra = 0;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		size_t nfd = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < nfd; i++) {
			int f;
			memcpy(&f, CMSG_DATA(cm) + i * sizeof(int), sizeof(f));
			if (fd < 0)
				fd = f;
			else
				close(f), extra++;
		}
	}
	if (fd < 0)
		return true;
	if ((size_t)n != sizeof(rq) || extra || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		close(fd);
		return true;
	}
	switch (rq.op) {
	case NS_OPEN_TCP:
		ns_tcp_open(fd, rq.addr, rq.port);
		break;
	case NS_OPEN_UDP:
		ns_udp_open(fd);
		break;
	case NS_OPEN_PING:
		ns_ping_open(fd);
		break;
	default:
		close(fd);
	}
	return true;
}

/* ---- the loop ---- */

static void ns_reap(void)
{
	for (struct ns_chan **pp = &chans; *pp;) {
		struct ns_chan *ch = *pp;
		if (!ch->dead) {
			pp = &ch->next;
			continue;
		}
		*pp = ch->next;
		ch->destroy(ch);
	}
}

static void ns_deadlines(int64_t now)
{
	for (struct ns_chan *ch = chans; ch; ch = ch->next)
		if (!ch->dead && ch->deadline_ms && ch->deadline_ms <= now) {
			ch->deadline_ms = 0;
			ch->timeout(ch);
		}
}

/* Milliseconds until the nearest timer of lwIP, slirp or a channel (-1: none). */
static int ns_sleep_ms(uint32_t slirp_ms)
{
	int64_t now = ns_now_ms();
	int64_t t = slirp_ms;
	u32_t lw = sys_timeouts_sleeptime();
	if (lw != SYS_TIMEOUTS_SLEEPTIME_INFINITE && lw < t)
		t = lw;
	for (struct ns_timer *tm = timers; tm; tm = tm->next)
		if (tm->expire_ms >= 0 && tm->expire_ms - now < t)
			t = tm->expire_ms - now;
	for (struct ns_chan *ch = chans; ch; ch = ch->next)
		if (!ch->dead && ch->deadline_ms && ch->deadline_ms - now < t)
			t = ch->deadline_ms - now;
	return t < 0 ? 0 : (int)t;
}

static void ns_loop(void)
{
	struct ns_chan **owner = NULL;
	size_t cap_owner = 0;
	for (;;) {
		ns_rx_drain();
		ns_reap();
		npfd = 0;
		ns_pfd_reserve(1);
		pfd[npfd++] = (struct pollfd){ .fd = NS_CONTROL_FD, .events = POLLIN };
		for (struct ns_chan *ch = chans; ch; ch = ch->next) {
			ns_pfd_reserve(npfd + 1);
			if (npfd + 1 > cap_owner) {
				cap_owner = cap_pfd;
				owner = realloc(owner, cap_owner * sizeof(*owner));
				if (!owner) {
					fprintf(stderr, "sandbox-netstack: out of memory\n");
					exit(1);
				}
			}
			owner[npfd] = ch;
			short ev = ch->events(ch);
			pfd[npfd++] = ev == NS_CHAN_NOPOLL ? (struct pollfd){ .fd = -1 }
				: (struct pollfd){ .fd = ch->fd, .events = ev };
		}
		size_t nown = npfd;
		uint32_t slirp_ms = 60000;
		slirp_pollfds_fill(slirp, &slirp_ms, ns_add_poll, NULL);
		int rc = poll(pfd, npfd, ns_sleep_ms(slirp_ms));
		if (rc < 0 && errno != EINTR) {
			perror("sandbox-netstack: poll");
			exit(1);
		}
		if (rc < 0)
			for (size_t i = 0; i < npfd; i++)
				pfd[i].revents = 0;
		slirp_pollfds_poll(slirp, rc < 0, ns_get_revents, NULL);
		ns_rx_drain();
		if (pfd[0].revents & POLLIN) {
			for (int k = 0; k < 64; k++)
				if (!ns_control_read())
					exit(0);
		} else if (pfd[0].revents & (POLLHUP | POLLERR)) {
			exit(0);
		}
		for (size_t i = 1; i < nown; i++) {
			if (pfd[i].revents && !owner[i]->dead) {
				owner[i]->ready(owner[i], pfd[i].revents);
				ns_rx_drain();
			}
		}
		ns_timers_run();
		ns_deadlines(ns_now_ms());
		sys_check_timeouts();
	}
}

int main(int argc, char **argv)
{
	/* argv[1]: the sentry's pid; if it is already gone, so are we. */
	if (argc != 2 || getppid() != (pid_t)strtol(argv[1], NULL, 10))
		return 1;
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	signal(SIGPIPE, SIG_IGN);
	/* Two fds per connection (its channel, slirp's host socket): as many as allowed. */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	srand((unsigned)ns_clock_get_ns(NULL) ^ (unsigned)getpid());
	ns_slirp_start();
	ns_lwip_start();
	ns_loop();
	return 0;
}
