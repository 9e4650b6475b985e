/* AF_NETLINK NETLINK_ROUTE and the interface ioctls: socket creation,
 * sockaddr_nl bind/autobind/getsockname/getpeername, RTM_GETLINK,
 * RTM_GETADDR and RTM_GETROUTE dumps (NLM_F_MULTI, NLMSG_DONE, nlmsg_seq
 * and nlmsg_pid echoed), a GETLINK by index with NLM_F_ACK, NLMSG_ERROR
 * for unknown types, missing devices and unprivileged changes, SOL_NETLINK
 * options, and SIOCGIFCONF/SIOCGIFINDEX/SIOCGIFNAME/SIOCGIFFLAGS/
 * SIOCGIFADDR/SIOCGIFNETMASK/SIOCGIFMTU/SIOCGIFHWADDR on lo. Only
 * structure and lo are checked: other interfaces are host-specific. */
#include "conformance.h"
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <stdbool.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif

static int nl_open(void)
{
	return socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
}

static uint32_t nl_portid(int s)
{
	struct sockaddr_nl a;
	socklen_t l = sizeof a;
	memset(&a, 0, sizeof a);
	getsockname(s, (struct sockaddr *)&a, &l);
	return a.nl_pid;
}

/* Send a request: header + a family byte payload (rtgenmsg padded) or body. */
static int nl_send(int s, uint16_t type, uint16_t flags, uint32_t seq, const void *body,
		   size_t blen)
{
	char buf[512];
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	memset(buf, 0, sizeof buf);
	h->nlmsg_len = NLMSG_LENGTH(blen);
	h->nlmsg_type = type;
	h->nlmsg_flags = flags;
	h->nlmsg_seq = seq;
	memcpy(NLMSG_DATA(h), body, blen);
	struct sockaddr_nl k = { .nl_family = AF_NETLINK };
	return (int)sendto(s, buf, h->nlmsg_len, 0, (struct sockaddr *)&k, sizeof k);
}

static char rbuf[65536];

/* Receive one datagram (non-blocking after the first): its length. */
static long nl_recv(int s, int flags)
{
	return recv(s, rbuf, sizeof rbuf, flags);
}

/* Read a dump until NLMSG_DONE: counts of messages of type want; checks flags/seq/pid. */
struct dump_result {
	int count, done, bad_hdr, errors;
	int lo_index;
	bool lo_loopback, lo_127, lo_v6, has_ifname_lo;
};

static void scan_link(struct nlmsghdr *h, struct dump_result *r)
{
	struct ifinfomsg *ifi = NLMSG_DATA(h);
	int len = (int)IFLA_PAYLOAD(h);
	for (struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == IFLA_IFNAME && !strcmp(RTA_DATA(a), "lo")) {
			r->has_ifname_lo = true;
			r->lo_index = ifi->ifi_index;
			r->lo_loopback = (ifi->ifi_flags & IFF_LOOPBACK) && (ifi->ifi_flags & IFF_UP) &&
					 ifi->ifi_type == ARPHRD_LOOPBACK;
		}
	}
}

static void scan_addr(struct nlmsghdr *h, struct dump_result *r)
{
	struct ifaddrmsg *ifa = NLMSG_DATA(h);
	int len = (int)IFA_PAYLOAD(h);
	for (struct rtattr *a = IFA_RTA(ifa); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type != IFA_ADDRESS)
			continue;
		if (ifa->ifa_family == AF_INET && ifa->ifa_prefixlen == 8 &&
		    *(uint32_t *)RTA_DATA(a) == htonl(INADDR_LOOPBACK))
			r->lo_127 = true;
		if (ifa->ifa_family == AF_INET6 && ifa->ifa_prefixlen == 128 &&
		    IN6_IS_ADDR_LOOPBACK((struct in6_addr *)RTA_DATA(a)))
			r->lo_v6 = true;
	}
}

static struct dump_result nl_dump(int s, uint16_t type, int family, uint32_t seq)
{
	struct dump_result r = { 0 };
	struct rtgenmsg g = { .rtgen_family = (unsigned char)family };
	char body[sizeof(struct ifinfomsg)];
	memset(body, 0, sizeof body);
	memcpy(body, &g, sizeof g);
	if (nl_send(s, type, NLM_F_REQUEST | NLM_F_DUMP, seq, body, sizeof body) < 0) {
		r.errors++;
		return r;
	}
	uint32_t me = nl_portid(s);
	for (int rounds = 0; rounds < 64 && !r.done; rounds++) {
		long n = nl_recv(s, 0);
		if (n <= 0) {
			r.errors++;
			break;
		}
		int left = (int)n;
		for (struct nlmsghdr *h = (struct nlmsghdr *)rbuf; NLMSG_OK(h, left);
		     h = NLMSG_NEXT(h, left)) {
			if (h->nlmsg_seq != seq || h->nlmsg_pid != me || !(h->nlmsg_flags & NLM_F_MULTI))
				r.bad_hdr++;
			if (h->nlmsg_type == NLMSG_DONE) {
				r.done = 1;
				break;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				r.errors++;
				r.done = 1;
				break;
			}
			if (h->nlmsg_type == type - 2)   /* RTM_GETx -> RTM_NEWx */
				r.count++;
			if (h->nlmsg_type == RTM_NEWLINK)
				scan_link(h, &r);
			if (h->nlmsg_type == RTM_NEWADDR)
				scan_addr(h, &r);
		}
	}
	return r;
}

/* The NLMSG_ERROR answer to the last request: its error field, or 1 if none. */
static int nl_error(int s, uint32_t seq, uint32_t *flags_out, uint32_t *len_out)
{
	long n = nl_recv(s, MSG_DONTWAIT);
	if (n <= 0)
		return 1;
	struct nlmsghdr *h = (struct nlmsghdr *)rbuf;
	int left = (int)n;
	for (; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
		if (h->nlmsg_type == NLMSG_ERROR && h->nlmsg_seq == seq) {
			struct nlmsgerr *e = NLMSG_DATA(h);
			if (flags_out)
				*flags_out = h->nlmsg_flags;
			if (len_out)
				*len_out = h->nlmsg_len;
			return e->error;
		}
	}
	return 1;
}

static void test_create_bind(void)
{
	int s = nl_open();
	CHECK(s >= 0, "socket_raw");
	int d = socket(AF_NETLINK, SOCK_DGRAM, NETLINK_ROUTE);
	CHECK(d >= 0, "socket_dgram");
	int v = 0;
	socklen_t vl = sizeof v;
	CHECK_EQ(getsockopt(s, SOL_SOCKET, SO_DOMAIN, &v, &vl), 0, "so_domain_ok");
	CHECK_EQ(v, AF_NETLINK, "so_domain");
	vl = sizeof v;
	getsockopt(s, SOL_SOCKET, SO_PROTOCOL, &v, &vl);
	CHECK_EQ(v, NETLINK_ROUTE, "so_protocol");
	CHECK_ERR(socket(AF_NETLINK, SOCK_RAW, -1), EPROTONOSUPPORT, "protocol_negative");
	CHECK_ERR(socket(AF_NETLINK, SOCK_RAW, 32), EPROTONOSUPPORT, "protocol_too_big");
	CHECK_ERR(socket(AF_NETLINK, SOCK_SEQPACKET, 0), ESOCKTNOSUPPORT, "seqpacket");

	struct sockaddr_nl a;
	socklen_t l = sizeof a;
	memset(&a, 0xff, sizeof a);
	CHECK_EQ(getsockname(s, (struct sockaddr *)&a, &l), 0, "getsockname_unbound");
	CHECK(l == sizeof a && a.nl_family == AF_NETLINK && a.nl_pid == 0 && a.nl_groups == 0,
	      "getsockname_unbound_zero");

	struct sockaddr_nl b = { .nl_family = AF_NETLINK };
	CHECK_ERR(bind(s, (struct sockaddr *)&b, sizeof b - 1), EINVAL, "bind_short");
	b.nl_family = AF_INET;
	CHECK_ERR(bind(s, (struct sockaddr *)&b, sizeof b), EINVAL, "bind_family");
	b.nl_family = AF_NETLINK;
	CHECK_EQ(bind(s, (struct sockaddr *)&b, sizeof b), 0, "bind_autobind");
	CHECK_EQ(nl_portid(s), (uint32_t)getpid(), "autobind_is_pid");
	CHECK_EQ(bind(d, (struct sockaddr *)&b, sizeof b), 0, "bind_second");
	uint32_t p2 = nl_portid(d);
	CHECK(p2 != 0 && p2 != (uint32_t)getpid(), "autobind_second_differs");
	CHECK_ERR(bind(s, (struct sockaddr *)&b, sizeof b), EINVAL, "rebind_zero");
	b.nl_pid = (uint32_t)getpid();
	CHECK_EQ(bind(s, (struct sockaddr *)&b, sizeof b), 0, "rebind_same_pid");
	b.nl_pid = 12345;
	CHECK_ERR(bind(s, (struct sockaddr *)&b, sizeof b), EINVAL, "rebind_other_pid");
	int e = nl_open();
	b.nl_pid = (uint32_t)getpid();
	CHECK_ERR(bind(e, (struct sockaddr *)&b, sizeof b), EADDRINUSE, "bind_used_pid");
	b.nl_pid = 0x7654321;
	CHECK_EQ(bind(e, (struct sockaddr *)&b, sizeof b), 0, "bind_explicit_pid");
	CHECK_EQ(nl_portid(e), 0x7654321, "explicit_pid_kept");

	l = sizeof a;
	memset(&a, 0xff, sizeof a);
	CHECK_EQ(getpeername(s, (struct sockaddr *)&a, &l), 0, "getpeername_ok");
	CHECK(l == sizeof a && a.nl_family == AF_NETLINK && a.nl_pid == 0, "getpeername_kernel");

	int one = 1;
	CHECK_EQ(setsockopt(s, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one), 0, "ext_ack_set");
	v = 0;
	vl = sizeof v;
	CHECK_EQ(getsockopt(s, SOL_NETLINK, NETLINK_EXT_ACK, &v, &vl), 0, "ext_ack_get");
	CHECK_EQ(v, 1, "ext_ack_value");
	CHECK_ERR(setsockopt(s, SOL_NETLINK, 9999, &one, sizeof one), ENOPROTOOPT, "sol_netlink_unknown");
	close(s);
	close(d);
	close(e);

	/* An unbound socket is bound by its first send. */
	s = nl_open();
	char body[sizeof(struct ifinfomsg)] = { 0 };
	CHECK(nl_send(s, RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, 1, body, sizeof body) > 0,
	      "send_unbound");
	CHECK(nl_portid(s) != 0, "send_autobinds");
	close(s);
}

static void test_dumps(void)
{
	int s = nl_open();
	struct sockaddr_nl b = { .nl_family = AF_NETLINK };
	bind(s, (struct sockaddr *)&b, sizeof b);

	struct dump_result r = nl_dump(s, RTM_GETLINK, AF_UNSPEC, 100);
	CHECK(r.done && !r.errors, "getlink_done");
	CHECK(r.count >= 1, "getlink_count");
	CHECK_EQ(r.bad_hdr, 0, "getlink_headers");
	CHECK(r.has_ifname_lo && r.lo_loopback, "getlink_lo");
	CHECK_EQ(r.lo_index, if_nametoindex("lo"), "getlink_lo_index");

	r = nl_dump(s, RTM_GETADDR, AF_INET, 101);
	CHECK(r.done && !r.errors && r.bad_hdr == 0, "getaddr4_done");
	CHECK(r.lo_127 && !r.lo_v6, "getaddr4_lo");
	r = nl_dump(s, RTM_GETADDR, AF_INET6, 102);
	CHECK(r.done && !r.errors && r.bad_hdr == 0, "getaddr6_done");
	CHECK(r.lo_v6 && !r.lo_127, "getaddr6_lo");
	r = nl_dump(s, RTM_GETADDR, AF_UNSPEC, 103);
	CHECK(r.lo_127 && r.lo_v6, "getaddr_all");
	r = nl_dump(s, RTM_GETROUTE, AF_INET6, 104);
	CHECK(r.done && !r.errors && r.bad_hdr == 0 && r.count >= 1, "getroute6");
	r = nl_dump(s, RTM_GETROUTE, AF_INET, 105);
	CHECK(r.done && !r.errors && r.bad_hdr == 0, "getroute4");

	/* The source of an answer is the kernel; MSG_PEEK|MSG_TRUNC gives the size. */
	char body[sizeof(struct ifinfomsg)] = { 0 };
	nl_send(s, RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, 106, body, sizeof body);
	char tiny[4];
	long full = recv(s, tiny, sizeof tiny, MSG_PEEK | MSG_TRUNC);
	CHECK(full > (long)sizeof(struct nlmsghdr), "peek_trunc_size");
	struct sockaddr_nl from;
	socklen_t fl = sizeof from;
	memset(&from, 0xff, sizeof from);
	CHECK_EQ(recvfrom(s, rbuf, sizeof rbuf, 0, (struct sockaddr *)&from, &fl), full, "recv_full");
	CHECK(fl == sizeof from && from.nl_family == AF_NETLINK && from.nl_pid == 0 &&
	      from.nl_groups == 0, "recv_from_kernel");
	nl_recv(s, 0);                         /* NLMSG_DONE */
	CHECK_ERR(nl_recv(s, MSG_DONTWAIT), EAGAIN, "dump_drained");
	close(s);
}

static void test_requests(void)
{
	int s = nl_open();
	struct sockaddr_nl b = { .nl_family = AF_NETLINK };
	bind(s, (struct sockaddr *)&b, sizeof b);
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = (int)if_nametoindex("lo") };

	/* GETLINK by index with an ACK: the link, then NLMSG_ERROR 0 (capped). */
	nl_send(s, RTM_GETLINK, NLM_F_REQUEST | NLM_F_ACK, 200, &ifi, sizeof ifi);
	long n = nl_recv(s, MSG_DONTWAIT);
	struct nlmsghdr *h = (struct nlmsghdr *)rbuf;
	CHECK(n > 0 && h->nlmsg_type == RTM_NEWLINK && h->nlmsg_seq == 200 &&
	      !(h->nlmsg_flags & NLM_F_MULTI), "getlink_index");
	uint32_t fl = 0, len = 0;
	CHECK_EQ(nl_error(s, 200, &fl, &len), 0, "getlink_ack");
	CHECK(fl & NLM_F_CAPPED, "ack_capped");
	CHECK_EQ(len, NLMSG_LENGTH(sizeof(struct nlmsgerr)), "ack_len");

	ifi.ifi_index = 0x7ffffff0;
	nl_send(s, RTM_GETLINK, NLM_F_REQUEST, 201, &ifi, sizeof ifi);
	CHECK_EQ(nl_error(s, 201, &fl, &len), -ENODEV, "getlink_nodev");
	CHECK_EQ(len, NLMSG_LENGTH(sizeof(int)) + NLMSG_LENGTH(sizeof ifi), "error_echoes_request");
	CHECK(!(fl & NLM_F_CAPPED), "error_not_capped");

	int one = 1;
	setsockopt(s, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
	nl_send(s, RTM_GETLINK, NLM_F_REQUEST, 202, &ifi, sizeof ifi);
	CHECK_EQ(nl_error(s, 202, &fl, &len), -ENODEV, "cap_ack_error");
	CHECK(len == NLMSG_LENGTH(sizeof(struct nlmsgerr)) && (fl & NLM_F_CAPPED), "cap_ack_capped");
	one = 0;
	setsockopt(s, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);

	char body[sizeof(struct ifinfomsg)] = { 0 };
	nl_send(s, 0x7ff0, NLM_F_REQUEST | NLM_F_DUMP, 203, body, sizeof body);
	CHECK_EQ(nl_error(s, 203, NULL, NULL), -EOPNOTSUPP, "unknown_type");

	/* Without NLM_F_REQUEST nothing is answered. */
	nl_send(s, RTM_GETLINK, NLM_F_DUMP, 204, body, sizeof body);
	CHECK_ERR(nl_recv(s, MSG_DONTWAIT), EAGAIN, "no_request_flag");
	/* A control message (NLMSG_NOOP) with an ACK is acknowledged. */
	nl_send(s, NLMSG_NOOP, NLM_F_REQUEST | NLM_F_ACK, 205, body, 0);
	CHECK_EQ(nl_error(s, 205, NULL, NULL), 0, "noop_ack");
	/* A truncated header is ignored. */
	struct nlmsghdr bad = { .nlmsg_len = 4, .nlmsg_type = RTM_GETLINK, .nlmsg_flags = NLM_F_REQUEST };
	CHECK_EQ(send(s, &bad, sizeof bad, 0), sizeof bad, "short_len_sent");
	CHECK_ERR(nl_recv(s, MSG_DONTWAIT), EAGAIN, "short_len_ignored");

	/* Unicast to a user port that does not exist. */
	struct sockaddr_nl to = { .nl_family = AF_NETLINK, .nl_pid = 0x7ffffffe };
	CHECK_ERR(sendto(s, body, sizeof body, 0, (struct sockaddr *)&to, sizeof to), ECONNREFUSED,
		  "unicast_refused");
	to.nl_pid = 0;
	CHECK_ERR(sendto(s, body, sizeof body, 0, (struct sockaddr *)&to, sizeof to - 1), EINVAL,
		  "sendto_short_addr");

	/* Changes need CAP_NET_ADMIN: an unprivileged child gets EPERM. */
	pid_t pid = fork();
	if (pid == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(2);
		int c = nl_open();
		struct ifaddrmsg ifa = { .ifa_family = AF_INET, .ifa_prefixlen = 32,
					 .ifa_index = if_nametoindex("lo") };
		nl_send(c, RTM_NEWADDR, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE, 7, &ifa, sizeof ifa);
		_exit(nl_error(c, 7, NULL, NULL) == -EPERM ? 0 : 1);
	}
	int st = -1;
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "newaddr_unprivileged_eperm");
	close(s);
}

static void test_ioctls(void)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	int u = socket(AF_UNIX, SOCK_DGRAM, 0);
	struct ifreq r;
	memset(&r, 0, sizeof r);
	strcpy(r.ifr_name, "lo");
	CHECK_EQ(ioctl(s, SIOCGIFINDEX, &r), 0, "gifindex");
	int lo = r.ifr_ifindex;
	CHECK_EQ(lo, if_nametoindex("lo"), "gifindex_value");
	memset(&r, 0, sizeof r);
	r.ifr_ifindex = lo;
	CHECK_EQ(ioctl(s, SIOCGIFNAME, &r), 0, "gifname");
	CHECK_STR(r.ifr_name, "lo", "gifname_value");
	r.ifr_ifindex = 0x7ffffff0;
	CHECK_ERR(ioctl(s, SIOCGIFNAME, &r), ENODEV, "gifname_nodev");
	memset(&r, 0, sizeof r);
	strcpy(r.ifr_name, "lo");
	CHECK_EQ(ioctl(s, SIOCGIFFLAGS, &r), 0, "gifflags");
	CHECK((r.ifr_flags & (IFF_UP | IFF_LOOPBACK)) == (IFF_UP | IFF_LOOPBACK), "gifflags_lo");
	CHECK_EQ(ioctl(s, SIOCGIFMTU, &r), 0, "gifmtu");
	CHECK(r.ifr_mtu >= 1280, "gifmtu_value");
	CHECK_EQ(ioctl(s, SIOCGIFHWADDR, &r), 0, "gifhwaddr");
	CHECK_EQ(r.ifr_hwaddr.sa_family, ARPHRD_LOOPBACK, "gifhwaddr_type");
	memset(&r, 0, sizeof r);
	strcpy(r.ifr_name, "lo");
	CHECK_EQ(ioctl(s, SIOCGIFADDR, &r), 0, "gifaddr");
	struct sockaddr_in *sin = (struct sockaddr_in *)&r.ifr_addr;
	CHECK(sin->sin_family == AF_INET && sin->sin_addr.s_addr == htonl(INADDR_LOOPBACK),
	      "gifaddr_value");
	CHECK_EQ(ioctl(s, SIOCGIFNETMASK, &r), 0, "gifnetmask");
	CHECK_EQ(((struct sockaddr_in *)&r.ifr_netmask)->sin_addr.s_addr, htonl(0xff000000),
		 "gifnetmask_value");
	strcpy(r.ifr_name, "nosuchdev0");
	CHECK_ERR(ioctl(s, SIOCGIFINDEX, &r), ENODEV, "gifindex_nodev");
	CHECK_ERR(ioctl(s, SIOCGIFADDR, &r), ENODEV, "gifaddr_nodev");
	CHECK_ERR(ioctl(s, SIOCGIFINDEX, (void *)16), EFAULT, "gifindex_efault");
	/* Interface lookups work on any socket; the address ones are AF_INET's. */
	strcpy(r.ifr_name, "lo");
	CHECK_EQ(ioctl(u, SIOCGIFINDEX, &r), 0, "unix_gifindex");
	CHECK_ERR(ioctl(u, SIOCGIFADDR, &r), ENOTTY, "unix_gifaddr_enotty");

	struct ifconf ifc = { .ifc_len = 0, .ifc_buf = NULL };
	CHECK_EQ(ioctl(s, SIOCGIFCONF, &ifc), 0, "gifconf_size");
	CHECK(ifc.ifc_len >= (int)sizeof(struct ifreq) && ifc.ifc_len % sizeof(struct ifreq) == 0,
	      "gifconf_size_value");
	struct ifreq reqs[32];
	ifc.ifc_len = sizeof reqs;
	ifc.ifc_req = reqs;
	CHECK_EQ(ioctl(s, SIOCGIFCONF, &ifc), 0, "gifconf");
	bool found = false;
	for (int i = 0; i < ifc.ifc_len / (int)sizeof(struct ifreq); i++)
		if (!strcmp(reqs[i].ifr_name, "lo") &&
		    ((struct sockaddr_in *)&reqs[i].ifr_addr)->sin_addr.s_addr == htonl(INADDR_LOOPBACK))
			found = true;
	CHECK(found, "gifconf_lo");
	ifc.ifc_len = sizeof(struct ifreq) - 1;
	CHECK_EQ(ioctl(s, SIOCGIFCONF, &ifc), 0, "gifconf_short");
	CHECK_EQ(ifc.ifc_len, 0, "gifconf_short_whole_entries");
	close(s);
	close(u);
}

static void test_libc(void)
{
	struct if_nameindex *ni = if_nameindex();
	bool lo = false;
	for (struct if_nameindex *p = ni; p && p->if_index; p++)
		if (!strcmp(p->if_name, "lo"))
			lo = true;
	CHECK(ni && lo, "if_nameindex_lo");
	if (ni)
		if_freenameindex(ni);
	struct ifaddrs *ifa = NULL;
	CHECK_EQ(getifaddrs(&ifa), 0, "getifaddrs");
	bool v4 = false, v6 = false;
	for (struct ifaddrs *p = ifa; p; p = p->ifa_next) {
		if (strcmp(p->ifa_name, "lo") || !p->ifa_addr)
			continue;
		if (p->ifa_addr->sa_family == AF_INET)
			v4 = ((struct sockaddr_in *)p->ifa_addr)->sin_addr.s_addr == htonl(INADDR_LOOPBACK);
		if (p->ifa_addr->sa_family == AF_INET6)
			v6 = true;
	}
	CHECK(v4 && v6, "getifaddrs_lo");
	freeifaddrs(ifa);
}

int main(void)
{
	test_create_bind();
	test_dumps();
	test_requests();
	test_ioctls();
	test_libc();
	return conf_exit();
}
