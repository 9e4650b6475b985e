/*
 * AF_NETLINK, NETLINK_ROUTE (and NETLINK_SOCK_DIAG, which answers as a
 * kernel without its diag modules: ENOENT) only: the requests glibc (getifaddrs,
 * if_nameindex, getaddrinfo's AI_ADDRCONFIG) and iproute2 (`ip link`,
 * `ip addr`, `ip route`) make, answered from the sandbox's own interface
 * table (net/netdev.c). A request is served synchronously inside sendmsg,
 * as Linux's netlink_rcv_skb does: the answers are queued on the sender's
 * own receive queue as datagrams from the kernel (nl_pid 0) and read back
 * with the datagram engine (net/dgram.c). A dump is one datagram with
 * every entry (NLM_F_MULTI) and a second with NLMSG_DONE, as Linux sends
 * them for a short dump. Requests that would change the configuration are
 * refused as for a caller without CAP_NET_ADMIN (EPERM); unknown types
 * give EOPNOTSUPP. No multicast events are ever sent (joining a group is
 * accepted).
 */
#include <errno.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_addr.h>
#include "net/net_internal.h"
#include "sentry/task.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_GET_STRICT_CHK
#define NETLINK_GET_STRICT_CHK 12
#endif
#define CAP_NET_ADMIN 12
#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000
#endif
#define NL_OPT_MAX 16
/* Linux's autobind: the tgid first, then -4096, -4097... */
#define NL_ROVER_START (-4096)

/* Family state of a netlink socket. */
struct nl_priv {
	struct nl_priv *next;          /* in nl_bound */
	struct sock *sk;
	bool bound;
	uint32_t portid;
	uint32_t groups;
	uint32_t dst_portid, dst_groups;
	int opt[NL_OPT_MAX];           /* SOL_NETLINK flags, by option number */
};

static struct nl_priv *nl_bound;
static int32_t nl_rover = NL_ROVER_START;
static const struct sock_ops nl_ops;

static struct nl_priv *nl_of(struct sock *sk)
{
	return sk->fpriv;
}

/* ---- answers ---- */

struct nlbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void *nlb_reserve(struct nlbuf *b, size_t n)
{
	size_t need = b->len + NLMSG_ALIGN(n);
	if (b->oom)
		return NULL;
	if (need > b->cap) {
		size_t cap = MAX(need, b->cap * 2 + 1024);
		char *p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return NULL;
		}
		b->p = p;
		b->cap = cap;
	}
	void *at = b->p + b->len;
	memset(at, 0, NLMSG_ALIGN(n));
	b->len = need;
	return at;
}

/* Start a message; returns its offset (the header is fixed up by nlb_end). */
static size_t nlb_begin(struct nlbuf *b, uint16_t type, uint16_t flags, uint32_t seq,
			uint32_t pid, const void *fixed, size_t flen)
{
	size_t off = b->len;
	struct nlmsghdr *h = nlb_reserve(b, NLMSG_HDRLEN);
	if (h) {
		h->nlmsg_type = type;
		h->nlmsg_flags = flags;
		h->nlmsg_seq = seq;
		h->nlmsg_pid = pid;
	}
	void *body = nlb_reserve(b, flen);
	if (body && flen)
		memcpy(body, fixed, flen);
	return off;
}

static void nlb_end(struct nlbuf *b, size_t off)
{
	if (b->oom)
		return;
	struct nlmsghdr *h = (struct nlmsghdr *)(b->p + off);
	h->nlmsg_len = (uint32_t)(b->len - off);
}

static void nla_put(struct nlbuf *b, uint16_t type, const void *data, size_t len)
{
	struct rtattr *a = nlb_reserve(b, RTA_LENGTH(len));
	if (!a)
		return;
	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
}

static void nla_u32(struct nlbuf *b, uint16_t type, uint32_t v)
{
	nla_put(b, type, &v, sizeof(v));
}

static void nla_u8(struct nlbuf *b, uint16_t type, uint8_t v)
{
	nla_put(b, type, &v, sizeof(v));
}

static void nla_str(struct nlbuf *b, uint16_t type, const char *s)
{
	nla_put(b, type, s, strlen(s) + 1);
}

/* One RTM_NEWLINK for d. */
static void nl_fill_link(struct nlbuf *b, const struct netdev *d, uint16_t flags, uint32_t seq,
			 uint32_t pid)
{
	struct ifinfomsg ifi = {
		.ifi_family = AF_UNSPEC, .ifi_type = (unsigned short)d->type,
		.ifi_index = d->index, .ifi_flags = d->flags | IFF_LOWER_UP,
	};
	size_t off = nlb_begin(b, RTM_NEWLINK, flags, seq, pid, &ifi, sizeof(ifi));
	nla_str(b, IFLA_IFNAME, d->name);
	nla_u32(b, IFLA_TXQLEN, (uint32_t)d->txqlen);
	nla_u8(b, IFLA_OPERSTATE, d->operstate);
	nla_u8(b, IFLA_LINKMODE, 0);
	nla_u32(b, IFLA_MTU, (uint32_t)d->mtu);
	nla_u32(b, IFLA_MIN_MTU, d->type == ARPHRD_ETHER ? 68 : 0);
	nla_u32(b, IFLA_MAX_MTU, d->type == ARPHRD_ETHER ? 65535 : 0);
	nla_u32(b, IFLA_GROUP, 0);
	nla_u32(b, IFLA_PROMISCUITY, 0);
	nla_u32(b, IFLA_NUM_TX_QUEUES, 1);
	nla_u32(b, IFLA_NUM_RX_QUEUES, 1);
	nla_u8(b, IFLA_CARRIER, 1);
	nla_str(b, IFLA_QDISC, d->qdisc);
	nla_u32(b, IFLA_CARRIER_CHANGES, 0);
	nla_put(b, IFLA_ADDRESS, d->mac, 6);
	nla_put(b, IFLA_BROADCAST, d->brd, 6);
	struct netdev_stats st;
	netdev_get_stats(d, &st);
	struct rtnl_link_stats64 s64;
	memset(&s64, 0, sizeof(s64));
	s64.rx_bytes = st.rx_bytes;
	s64.rx_packets = st.rx_packets;
	s64.tx_bytes = st.tx_bytes;
	s64.tx_packets = st.tx_packets;
	nla_put(b, IFLA_STATS64, &s64, sizeof(s64));
	struct rtnl_link_stats s;
	memset(&s, 0, sizeof(s));
	s.rx_bytes = (uint32_t)st.rx_bytes;
	s.rx_packets = (uint32_t)st.rx_packets;
	s.tx_bytes = (uint32_t)st.tx_bytes;
	s.tx_packets = (uint32_t)st.tx_packets;
	nla_put(b, IFLA_STATS, &s, sizeof(s));
	nlb_end(b, off);
}

static void nl_fill_addr4(struct nlbuf *b, const struct netdev *d, uint16_t flags, uint32_t seq,
			  uint32_t pid)
{
	struct ifaddrmsg ifa = {
		.ifa_family = AF_INET, .ifa_prefixlen = (unsigned char)d->prefix4,
		.ifa_flags = IFA_F_PERMANENT, .ifa_scope = (unsigned char)d->scope4,
		.ifa_index = (unsigned)d->index,
	};
	size_t off = nlb_begin(b, RTM_NEWADDR, flags, seq, pid, &ifa, sizeof(ifa));
	uint32_t a = htonl(d->addr4);
	nla_put(b, IFA_ADDRESS, &a, 4);
	nla_put(b, IFA_LOCAL, &a, 4);
	if (d->brd4) {
		uint32_t br = htonl(d->brd4);
		nla_put(b, IFA_BROADCAST, &br, 4);
	}
	nla_str(b, IFA_LABEL, d->name);
	nla_u32(b, IFA_FLAGS, IFA_F_PERMANENT);
	struct ifa_cacheinfo ci = { .ifa_prefered = 0xffffffffu, .ifa_valid = 0xffffffffu };
	nla_put(b, IFA_CACHEINFO, &ci, sizeof(ci));
	nlb_end(b, off);
}

static void nl_fill_addr6(struct nlbuf *b, const struct netdev *d, uint16_t flags, uint32_t seq,
			  uint32_t pid)
{
	struct ifaddrmsg ifa = {
		.ifa_family = AF_INET6, .ifa_prefixlen = 128, .ifa_flags = IFA_F_PERMANENT,
		.ifa_scope = RT_SCOPE_HOST, .ifa_index = (unsigned)d->index,
	};
	size_t off = nlb_begin(b, RTM_NEWADDR, flags, seq, pid, &ifa, sizeof(ifa));
	struct in6_addr lo = IN6ADDR_LOOPBACK_INIT;
	nla_put(b, IFA_ADDRESS, &lo, sizeof(lo));
	struct ifa_cacheinfo ci = { .ifa_prefered = 0xffffffffu, .ifa_valid = 0xffffffffu };
	nla_put(b, IFA_CACHEINFO, &ci, sizeof(ci));
	nla_u32(b, IFA_FLAGS, IFA_F_PERMANENT);
	nlb_end(b, off);
}

/* One IPv4 route of the main table. */
static void nl_fill_route4(struct nlbuf *b, uint16_t flags, uint32_t seq, uint32_t pid,
			   uint32_t dst, int dst_len, uint32_t gw, uint32_t src, int oif)
{
	struct rtmsg rt = {
		.rtm_family = AF_INET, .rtm_dst_len = (unsigned char)dst_len,
		.rtm_table = RT_TABLE_MAIN, .rtm_protocol = gw ? RTPROT_BOOT : RTPROT_KERNEL,
		.rtm_scope = gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK, .rtm_type = RTN_UNICAST,
	};
	size_t off = nlb_begin(b, RTM_NEWROUTE, flags, seq, pid, &rt, sizeof(rt));
	nla_u32(b, RTA_TABLE, RT_TABLE_MAIN);
	if (dst_len) {
		uint32_t d = htonl(dst);
		nla_put(b, RTA_DST, &d, 4);
	}
	if (src) {
		uint32_t s = htonl(src);
		nla_put(b, RTA_PREFSRC, &s, 4);
	}
	if (gw) {
		uint32_t g = htonl(gw);
		nla_put(b, RTA_GATEWAY, &g, 4);
	}
	nla_u32(b, RTA_OIF, (uint32_t)oif);
	nlb_end(b, off);
}

static void nl_fill_route6_lo(struct nlbuf *b, uint16_t flags, uint32_t seq, uint32_t pid)
{
	struct rtmsg rt = {
		.rtm_family = AF_INET6, .rtm_dst_len = 128, .rtm_table = RT_TABLE_MAIN,
		.rtm_protocol = RTPROT_KERNEL, .rtm_scope = RT_SCOPE_UNIVERSE,
		.rtm_type = RTN_UNICAST,
	};
	size_t off = nlb_begin(b, RTM_NEWROUTE, flags, seq, pid, &rt, sizeof(rt));
	nla_u32(b, RTA_TABLE, RT_TABLE_MAIN);
	struct in6_addr lo = IN6ADDR_LOOPBACK_INIT;
	nla_put(b, RTA_DST, &lo, sizeof(lo));
	nla_u32(b, RTA_PRIORITY, 256);
	nla_u32(b, RTA_OIF, 1);
	uint8_t pref = 0;                      /* ICMPV6_ROUTER_PREF_MEDIUM */
	nla_put(b, RTA_PREF, &pref, 1);
	nlb_end(b, off);
}

/* The dumps. family: AF_UNSPEC for all, else that family's entries. */
static void nl_dump_links(struct nlbuf *b, uint32_t seq, uint32_t pid)
{
	for (int i = 0; i < netdev_count(); i++)
		nl_fill_link(b, netdev_get(i), NLM_F_MULTI, seq, pid);
}

static void nl_dump_addrs(struct nlbuf *b, int family, int index, uint32_t seq, uint32_t pid)
{
	for (int i = 0; i < netdev_count(); i++) {
		const struct netdev *d = netdev_get(i);
		if ((family == AF_UNSPEC || family == AF_INET) && d->addr4 &&
		    (!index || index == d->index))
			nl_fill_addr4(b, d, NLM_F_MULTI, seq, pid);
	}
	for (int i = 0; i < netdev_count(); i++) {
		const struct netdev *d = netdev_get(i);
		if ((family == AF_UNSPEC || family == AF_INET6) && d->has_v6_loop &&
		    (!index || index == d->index))
			nl_fill_addr6(b, d, NLM_F_MULTI, seq, pid);
	}
}

static void nl_dump_routes(struct nlbuf *b, int family, uint32_t seq, uint32_t pid)
{
	const struct netdev *eth = netdev_by_name("eth0");
	if ((family == AF_UNSPEC || family == AF_INET) && eth) {
		nl_fill_route4(b, NLM_F_MULTI, seq, pid, 0, 0, NET_GATEWAY_ADDR, 0, eth->index);
		nl_fill_route4(b, NLM_F_MULTI, seq, pid, eth->addr4 & 0xffffff00u, eth->prefix4, 0,
			       eth->addr4, eth->index);
	}
	if (family == AF_UNSPEC || family == AF_INET6)
		nl_fill_route6_lo(b, NLM_F_MULTI, seq, pid);
}

/* NLMSG_ERROR for req (error 0: an ACK): the request echoed unless NETLINK_CAP_ACK. */
static void nl_put_ack(struct nlbuf *b, struct nl_priv *np, const struct nlmsghdr *req, int error)
{
	bool capped = np->opt[NETLINK_CAP_ACK] || !error;
	size_t echo = capped ? sizeof(*req) : req->nlmsg_len;
	struct nlmsgerr e = { .error = error };
	size_t off = nlb_begin(b, NLMSG_ERROR, capped ? NLM_F_CAPPED : 0, req->nlmsg_seq,
			       np->portid, &e, sizeof(e.error));
	void *m = nlb_reserve(b, echo);
	if (m)
		memcpy(m, req, echo);
	nlb_end(b, off);
}

static void nl_put_done(struct nlbuf *b, uint32_t seq, uint32_t pid)
{
	int zero = 0;
	size_t off = nlb_begin(b, NLMSG_DONE, NLM_F_MULTI, seq, pid, &zero, sizeof(zero));
	nlb_end(b, off);
}

/* Queue b (one datagram) on sk from the kernel; b is consumed. */
static int nl_deliver_locked(struct sock *sk, struct nlbuf *b)
{
	if (b->oom) {
		free(b->p);
		return -ENOMEM;
	}
	if (!b->len)
		return 0;
	if (sk->rq_bytes + b->len > (size_t)sk->rcvbuf) {
		/* An overrun: the answer is lost and the reader learns it (netlink_overrun). */
		free(b->p);
		*b = (struct nlbuf){ 0 };
		sk->err = ENOBUFS;
		sk_wake(sk, POLLERR);
		return -ENOBUFS;
	}
	struct sk_addr from = { .len = sizeof(struct sockaddr_nl) };
	struct sockaddr_nl snl = { .nl_family = AF_NETLINK };
	memcpy(from.bytes, &snl, sizeof(snl));
	struct sk_msg *m = sk_msg_alloc(b->len, &from);
	if (!m) {
		free(b->p);
		return -ENOMEM;
	}
	memcpy(m->data, b->p, b->len);
	free(b->p);
	*b = (struct nlbuf){ 0 };
	sk_queue_push_locked(sk, m);
	sk_wake(sk, POLLIN | POLLRDNORM);
	return 0;
}

/* rtnetlink_rcv_msg for one request; an error (< 0) becomes NLMSG_ERROR. */
static int nl_route_request(struct task *t, struct sock *sk, const struct nlmsghdr *h)
{
	struct nl_priv *np = nl_of(sk);
	int type = h->nlmsg_type;
	size_t plen = h->nlmsg_len - NLMSG_HDRLEN;
	const char *payload = (const char *)h + NLMSG_HDRLEN;
	if (type > RTM_MAX)
		return -EOPNOTSUPP;
	/* All messages carry at least the family byte; shorter ones are ignored. */
	if (plen < sizeof(struct rtgenmsg))
		return 0;
	int kind = (type - RTM_BASE) & 3;      /* 0 new, 1 del, 2 get, 3 set */
	if (kind != 2)
		return cred_capable(&t->cred, CAP_NET_ADMIN) ? -EOPNOTSUPP : -EPERM;
	int family = (unsigned char)payload[0];
	bool dump = (h->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
	struct nlbuf b = { 0 };
	switch (type) {
	case RTM_GETLINK:
		if (dump) {
			nl_dump_links(&b, h->nlmsg_seq, np->portid);
			break;
		}
		{
			/* rtnl_getlink: by index, else by IFLA_IFNAME. */
			struct ifinfomsg ifi;
			if (plen < sizeof(ifi))
				return -EINVAL;
			memcpy(&ifi, payload, sizeof(ifi));
			const struct netdev *d = NULL;
			if (ifi.ifi_index > 0) {
				d = netdev_by_index(ifi.ifi_index);
			} else {
				size_t off = NLMSG_ALIGN(sizeof(ifi));
				while (off + sizeof(struct rtattr) <= plen) {
					struct rtattr a;
					memcpy(&a, payload + off, sizeof(a));
					if (a.rta_len < sizeof(a) || off + a.rta_len > plen)
						break;
					if (a.rta_type == IFLA_IFNAME) {
						char name[IFNAMSIZ] = { 0 };
						size_t n = MIN((size_t)a.rta_len - sizeof(a),
							       (size_t)IFNAMSIZ - 1);
						memcpy(name, payload + off + sizeof(a), n);
						d = netdev_by_name(name);
						break;
					}
					off += RTA_ALIGN(a.rta_len);
				}
				if (!d && off + sizeof(struct rtattr) > plen)
					return -EINVAL;
			}
			if (!d)
				return -ENODEV;
			nl_fill_link(&b, d, 0, h->nlmsg_seq, np->portid);
		}
		break;
	case RTM_GETADDR:
		if (!dump)
			return -EOPNOTSUPP;
		{
			int index = 0;
			if (np->opt[NETLINK_GET_STRICT_CHK] && plen >= sizeof(struct ifaddrmsg)) {
				struct ifaddrmsg ifa;
				memcpy(&ifa, payload, sizeof(ifa));
				index = (int)ifa.ifa_index;
			}
			nl_dump_addrs(&b, family, index, h->nlmsg_seq, np->portid);
		}
		break;
	case RTM_GETROUTE:
		if (!dump)
			return -EOPNOTSUPP;    /* route lookups (`ip route get`) are not served */
		nl_dump_routes(&b, family, h->nlmsg_seq, np->portid);
		break;
	default:
		/* Neighbours, rules, qdiscs...: an empty dump, as on a host with none. */
		if (!dump)
			return -EOPNOTSUPP;
		break;
	}
	int rc = 0;
	if (dump) {
		if ((rc = nl_deliver_locked(sk, &b)))
			return rc;
		nl_put_done(&b, h->nlmsg_seq, np->portid);
	}
	rc = nl_deliver_locked(sk, &b);
	return rc ? rc : 1;                    /* 1: answered */
}

/*
 * NETLINK_SOCK_DIAG (sock_diag_rcv_msg) as on a kernel without the diag
 * modules for any family: ss and friends then read /proc/net instead.
 */
static int nl_diag_request(const struct nlmsghdr *h)
{
	enum { TCPDIAG_GETSOCK_ = 18, DCCPDIAG_GETSOCK_ = 19, SOCK_DIAG_BY_FAMILY_ = 20,
	       SOCK_DESTROY_ = 21, AF_MAX_ = 46 };
	const unsigned char *payload = (const unsigned char *)h + NLMSG_HDRLEN;
	switch (h->nlmsg_type) {
	case TCPDIAG_GETSOCK_:
	case DCCPDIAG_GETSOCK_:
		return -EOPNOTSUPP;            /* no inet_diag compat handler */
	case SOCK_DIAG_BY_FAMILY_:
	case SOCK_DESTROY_:
		/* __sock_diag_cmd: a sock_diag_req (family, protocol), then the family's handler. */
		if (h->nlmsg_len < NLMSG_HDRLEN + 2 || payload[0] >= AF_MAX_)
			return -EINVAL;
		return -ENOENT;
	default:
		return -EINVAL;
	}
}

/* netlink_rcv_skb over a sendmsg's data. */
static void nl_rcv_locked(struct task *t, struct sock *sk, const char *data, size_t len)
{
	struct nl_priv *np = nl_of(sk);
	size_t off = 0;
	while (len - off >= NLMSG_HDRLEN) {
		struct nlmsghdr h;
		memcpy(&h, data + off, sizeof(h));
		if (h.nlmsg_len < NLMSG_HDRLEN || h.nlmsg_len > len - off)
			return;
		/* Aligned copy for the handler. */
		struct nlmsghdr *req = malloc(h.nlmsg_len);
		if (!req)
			return;
		memcpy(req, data + off, h.nlmsg_len);
		int err = 0;
		bool answered = false;
		if (h.nlmsg_flags & NLM_F_REQUEST) {
			if (h.nlmsg_type >= NLMSG_MIN_TYPE) {
				int rc = sk->protocol == NETLINK_SOCK_DIAG ? nl_diag_request(req)
									  : nl_route_request(t, sk, req);
				if (rc < 0)
					err = rc;
				answered = rc > 0 && (h.nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
			}
			if (err || ((h.nlmsg_flags & NLM_F_ACK) && !answered)) {
				struct nlbuf b = { 0 };
				nl_put_ack(&b, np, req, err);
				nl_deliver_locked(sk, &b);
			}
		}
		free(req);
		size_t step = NLMSG_ALIGN(h.nlmsg_len);
		if (step > len - off)
			break;
		off += step;
	}
}

/* ---- binding ---- */

static bool nl_portid_used_locked(uint32_t portid)
{
	for (struct nl_priv *o = nl_bound; o; o = o->next)
		if (o->portid == portid)
			return true;
	return false;
}

static int nl_insert_locked(struct nl_priv *np, uint32_t portid)
{
	if (np->bound)
		return np->portid == portid ? 0 : -EINVAL;
	if (nl_portid_used_locked(portid))
		return -EADDRINUSE;
	np->portid = portid;
	np->bound = true;
	np->next = nl_bound;
	nl_bound = np;
	return 0;
}

static int nl_autobind_locked(struct task *t, struct nl_priv *np)
{
	if (np->bound)
		return 0;
	uint32_t want = t ? (uint32_t)t->tg->tgid : 0;
	if (want && !nl_portid_used_locked(want))
		return nl_insert_locked(np, want);
	for (int tries = 0; tries < 1 << 20; tries++) {
		uint32_t p = (uint32_t)nl_rover--;
		if (nl_rover > NL_ROVER_START)
			nl_rover = NL_ROVER_START;
		if (!nl_portid_used_locked(p))
			return nl_insert_locked(np, p);
	}
	return -EBUSY;
}

static int nl_parse_addr(const void *addr, uint32_t len, struct sockaddr_nl *out)
{
	if (len < sizeof(*out))
		return -EINVAL;
	memcpy(out, addr, sizeof(*out));
	if (out->nl_family != AF_NETLINK)
		return -EINVAL;
	return 0;
}

static int nl_bind(struct task *t, struct sock *sk, const void *addr, uint32_t len)
{
	struct sockaddr_nl snl;
	int rc = nl_parse_addr(addr, len, &snl);
	if (rc)
		return rc;
	struct nl_priv *np = nl_of(sk);
	net_lock();
	if (np->bound && snl.nl_pid != np->portid)
		rc = -EINVAL;
	else if (snl.nl_pid)
		rc = nl_insert_locked(np, snl.nl_pid);
	else
		rc = nl_autobind_locked(t, np);
	if (!rc)
		np->groups = snl.nl_groups;    /* route groups: readable without privilege */
	net_unlock();
	return rc;
}

static int nl_connect(struct task *t, struct sock *sk, const void *addr, uint32_t len,
		      bool nonblock)
{
	if (len < sizeof(sa_family_t))
		return -EINVAL;
	struct nl_priv *np = nl_of(sk);
	const struct sockaddr *sa = addr;
	net_lock();
	int rc = 0;
	if (sa->sa_family == AF_UNSPEC) {
		np->dst_portid = np->dst_groups = 0;
	} else {
		struct sockaddr_nl snl;
		if (!(rc = nl_parse_addr(addr, len, &snl))) {
			if (snl.nl_groups && !cred_capable(&t->cred, CAP_NET_ADMIN))
				rc = -EPERM;
			else if (!(rc = nl_autobind_locked(t, np))) {
				np->dst_portid = snl.nl_pid;
				np->dst_groups = snl.nl_groups;
			}
		}
	}
	net_unlock();
	return rc;
}

static int nl_getname_locked(struct sock *sk, bool peer, struct sk_addr *out)
{
	struct nl_priv *np = nl_of(sk);
	struct sockaddr_nl snl = { .nl_family = AF_NETLINK };
	if (peer) {
		snl.nl_pid = np->dst_portid;
		snl.nl_groups = np->dst_groups;
	} else {
		snl.nl_pid = np->portid;
		snl.nl_groups = np->groups;
	}
	memset(out, 0, sizeof(*out));
	memcpy(out->bytes, &snl, sizeof(snl));
	out->len = sizeof(snl);
	return 0;
}

static long nl_sendmsg(struct task *t, struct sock *sk, struct net_msg *m, int flags,
		       bool nonblock)
{
	struct nl_priv *np = nl_of(sk);
	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	uint32_t dst_pid = 0;
	if (m->name && m->namelen) {
		struct sockaddr_nl snl;
		int rc = nl_parse_addr(m->name, m->namelen, &snl);
		if (rc)
			return rc;
		if (snl.nl_groups && !cred_capable(&t->cred, CAP_NET_ADMIN))
			return -EPERM;
		dst_pid = snl.nl_pid;
	} else {
		net_lock();
		dst_pid = np->dst_portid;
		net_unlock();
	}
	if (m->control && m->controllen) {
		struct sk_control ctl;
		int rc = sk_control_parse(t, m->control, m->controllen, true, &ctl);
		if (rc)
			return rc;
		sk_control_release(&ctl);
	}
	size_t len = iov_total(m->iov, m->iovcnt);
	net_lock();
	int rc = nl_autobind_locked(t, np);
	if (!rc && len > (size_t)sk->sndbuf - 32)
		rc = -EMSGSIZE;
	if (!rc && dst_pid)
		rc = -ECONNREFUSED;            /* unicast to another user socket: not served */
	net_unlock();
	if (rc)
		return rc;
	char *data = malloc(len ? len : 1);
	if (!data)
		return -ENOMEM;
	iov_to_buf(m->iov, m->iovcnt, 0, data, len);
	net_lock();
	nl_rcv_locked(t, sk, data, len);
	net_unlock();
	free(data);
	return (long)len;
}

/* ---- options (SOL_NETLINK) ---- */

static int nl_setsockopt(struct task *t, struct sock *sk, int level, int name, const void *val,
			 uint32_t len)
{
	if (level != SOL_NETLINK)
		return -ENOPROTOOPT;
	int v = 0;
	if (len >= sizeof(int)) {
		if (!val)
			return -EFAULT;
		memcpy(&v, val, sizeof(v));
	}
	switch (name) {
	case NETLINK_ADD_MEMBERSHIP:
	case NETLINK_DROP_MEMBERSHIP:
		if (len < sizeof(int))
			return -EINVAL;
		if (v < 0 || v > 32)
			return -EINVAL;
		return 0;                      /* no events are ever sent */
	case NETLINK_PKTINFO:
	case NETLINK_BROADCAST_ERROR:
	case NETLINK_NO_ENOBUFS:
	case NETLINK_CAP_ACK:
	case NETLINK_EXT_ACK:
	case NETLINK_GET_STRICT_CHK:
	case NETLINK_LISTEN_ALL_NSID:
		if (len < sizeof(int))
			return -EINVAL;
		net_lock();
		nl_of(sk)->opt[name] = v != 0;
		net_unlock();
		return 0;
	default:
		return -ENOPROTOOPT;
	}
}

static int nl_getsockopt(struct task *t, struct sock *sk, int level, int name, void *val,
			 uint32_t *len)
{
	if (level != SOL_NETLINK)
		return -ENOPROTOOPT;
	switch (name) {
	case NETLINK_PKTINFO:
	case NETLINK_BROADCAST_ERROR:
	case NETLINK_NO_ENOBUFS:
	case NETLINK_CAP_ACK:
	case NETLINK_EXT_ACK:
	case NETLINK_GET_STRICT_CHK:
	case NETLINK_LISTEN_ALL_NSID: {
		if (*len < sizeof(int))
			return -EINVAL;
		net_lock();
		int v = nl_of(sk)->opt[name];
		net_unlock();
		memcpy(val, &v, sizeof(v));
		*len = sizeof(int);
		return 0;
	}
	default:
		return -ENOPROTOOPT;
	}
}

static void nl_unbind_locked(struct sock *sk)
{
	struct nl_priv *np = nl_of(sk);
	for (struct nl_priv **pp = &nl_bound; *pp; pp = &(*pp)->next) {
		if (*pp == np) {
			*pp = np->next;
			break;
		}
	}
	np->bound = false;
}

static void nl_destroy(struct sock *sk)
{
	free(sk->fpriv);
	sk->fpriv = NULL;
}

static const struct sock_ops nl_ops = {
	.bind = nl_bind,
	.connect = nl_connect,
	.sendmsg = nl_sendmsg,
	.getsockopt = nl_getsockopt,
	.setsockopt = nl_setsockopt,
	.getname_locked = nl_getname_locked,
	.unbind_locked = nl_unbind_locked,
	.destroy = nl_destroy,
};

int netlink_create(struct task *t, int type, int protocol, struct sock **out)
{
	if (type != SOCK_DGRAM && type != SOCK_RAW)
		return -ESOCKTNOSUPPORT;
	if (protocol < 0 || protocol >= 32)
		return -EPROTONOSUPPORT;
	if (protocol != NETLINK_ROUTE && protocol != NETLINK_SOCK_DIAG)
		return -EPROTONOSUPPORT;       /* the other netlink families are not served */
	struct nl_priv *np = calloc(1, sizeof(*np));
	if (!np)
		return -ENOMEM;
	struct sock *sk = sock_alloc(AF_NETLINK, type, protocol, &nl_ops);
	if (!sk) {
		free(np);
		return -ENOMEM;
	}
	/* Linux's netlink sockets start with 32 KiB buffers (netlink_sock's defaults). */
	np->sk = sk;
	sk->fpriv = np;
	*out = sk;
	return 0;
}
