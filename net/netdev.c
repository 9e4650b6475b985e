/*
 * The sandbox's network interfaces, as netlink (net/netlink.c) and the
 * SIOCGIF* ioctls report them: `lo` always (127.0.0.1/8 and ::1), and
 * `eth0` under --net=sandbox (10.0.2.15/24, default route via 10.0.2.2,
 * slirp's addresses). The table is fixed at boot (net_configure) and read
 * without locks afterwards; nothing here can be changed by the guest
 * (SIOCSIF*: EPERM, as for a caller without CAP_NET_ADMIN).
 */
#include <errno.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/sockios.h>
#include "net/net_internal.h"
#include "sentry/mm.h"
#include "sentry/task.h"

static struct netdev netdevs[2] = {
	{
		.index = 1, .name = "lo", .type = ARPHRD_LOOPBACK,
		.flags = IFF_UP | IFF_LOOPBACK | IFF_RUNNING, .mtu = 65536, .txqlen = 1000,
		.qdisc = "noqueue", .operstate = 0 /* IF_OPER_UNKNOWN */,
		.addr4 = 0x7f000001, .prefix4 = 8, .scope4 = 254 /* RT_SCOPE_HOST */, .has_v6_loop = true,
	},
	{
		.index = 2, .name = "eth0", .type = ARPHRD_ETHER,
		.flags = IFF_UP | IFF_BROADCAST | IFF_RUNNING | IFF_MULTICAST, .mtu = 1500,
		.txqlen = 1000, .qdisc = "pfifo_fast", .operstate = 6 /* IF_OPER_UP */,
		.mac = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 },
		.brd = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
		.addr4 = NET_GUEST_ADDR, .prefix4 = 24, .brd4 = NET_GUEST_ADDR | 0xff, .scope4 = 0,
	},
};
static int nnetdevs = 1;

/* Counters by table index (lo, eth0), updated with atomics. */
static uint64_t netdev_counters[2][4];   /* rx_bytes, rx_packets, tx_bytes, tx_packets */

void netdev_account(bool eth0, bool rx, bool tcp, bool v6, size_t len)
{
	/*
	 * Linux counts whole frames: an Ethernet header (lo has one too), the
	 * IP header and TCP's with its timestamp option, or UDP's / ICMP's.
	 */
	uint64_t bytes = len + 14 + (v6 ? 40 : 20) + (tcp ? 32 : 8);
	uint64_t *c = netdev_counters[eth0 ? 1 : 0];
	if (eth0 ? rx : true) {
		__atomic_add_fetch(&c[0], bytes, __ATOMIC_RELAXED);
		__atomic_add_fetch(&c[1], 1, __ATOMIC_RELAXED);
	}
	if (eth0 ? !rx : true) {
		__atomic_add_fetch(&c[2], bytes, __ATOMIC_RELAXED);
		__atomic_add_fetch(&c[3], 1, __ATOMIC_RELAXED);
	}
}

void netdev_get_stats(const struct netdev *d, struct netdev_stats *out)
{
	const uint64_t *c = netdev_counters[d == &netdevs[1] ? 1 : 0];
	out->rx_bytes = __atomic_load_n(&c[0], __ATOMIC_RELAXED);
	out->rx_packets = __atomic_load_n(&c[1], __ATOMIC_RELAXED);
	out->tx_bytes = __atomic_load_n(&c[2], __ATOMIC_RELAXED);
	out->tx_packets = __atomic_load_n(&c[3], __ATOMIC_RELAXED);
}

void netdev_enable_eth0(void)
{
	nnetdevs = 2;
}

int netdev_count(void)
{
	return nnetdevs;
}

const struct netdev *netdev_get(int i)
{
	return i >= 0 && i < nnetdevs ? &netdevs[i] : NULL;
}

const struct netdev *netdev_by_index(int index)
{
	for (int i = 0; i < nnetdevs; i++)
		if (netdevs[i].index == index)
			return &netdevs[i];
	return NULL;
}

const struct netdev *netdev_by_name(const char *name)
{
	for (int i = 0; i < nnetdevs; i++)
		if (!strcmp(netdevs[i].name, name))
			return &netdevs[i];
	return NULL;
}

/* ---- ioctls (Linux's dev_ioctl, devinet_ioctl, dev_ifconf) ---- */

static void sin_put(struct sockaddr *sa, uint32_t host)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	sin.sin_addr.s_addr = htonl(host);
	memcpy(sa, &sin, sizeof(sin));
}

static uint32_t prefix_mask(int prefix)
{
	return prefix ? 0xffffffffu << (32 - prefix) : 0;
}

/* SIOCGIFCONF: one ifreq per interface with an IPv4 address, whole entries only. */
static long netdev_ifconf(struct task *t, uint64_t arg)
{
	struct ifconf ifc;
	if (mm_copy_in(t->mm, &ifc, gaddr(arg), sizeof(ifc)))
		return -EFAULT;
	int len = ifc.ifc_len, used = 0;
	uint64_t buf = (uint64_t)(uintptr_t)ifc.ifc_buf;
	for (int i = 0; i < nnetdevs; i++) {
		if (!netdevs[i].addr4)
			continue;
		if (buf) {
			if (len - used < (int)sizeof(struct ifreq))
				break;
			struct ifreq r;
			memset(&r, 0, sizeof(r));
			snprintf(r.ifr_name, IFNAMSIZ, "%s", netdevs[i].name);
			sin_put(&r.ifr_addr, netdevs[i].addr4);
			if (mm_copy_out(t->mm, gaddr(buf + (uint64_t)used), &r, sizeof(r)))
				return -EFAULT;
		}
		used += (int)sizeof(struct ifreq);
	}
	ifc.ifc_len = used;
	return mm_copy_out(t->mm, gaddr(arg), &ifc.ifc_len, sizeof(ifc.ifc_len));
}

long netdev_ioctl(struct task *t, int family, unsigned cmd, uint64_t arg)
{
	switch (cmd) {
	case SIOCGIFCONF:
		return netdev_ifconf(t, arg);
	case SIOCGIFNAME: case SIOCGIFINDEX: case SIOCGIFFLAGS: case SIOCGIFMTU:
	case SIOCGIFHWADDR: case SIOCGIFTXQLEN: case SIOCGIFMETRIC: case SIOCGIFMAP:
		break;
	case SIOCGIFADDR: case SIOCGIFNETMASK: case SIOCGIFBRDADDR: case SIOCGIFDSTADDR:
		if (family != AF_INET)
			return -ENOTTY;        /* devinet_ioctl is AF_INET's */
		break;
	case SIOCSIFFLAGS: case SIOCSIFMTU: case SIOCSIFHWADDR: case SIOCSIFNAME:
	case SIOCSIFMETRIC: case SIOCSIFTXQLEN: case SIOCSIFMAP:
		return -EPERM;
	case SIOCSIFADDR: case SIOCSIFNETMASK: case SIOCSIFBRDADDR: case SIOCSIFDSTADDR:
		return family == AF_INET ? -EPERM : -ENOTTY;
	default:
		return -ENOTTY;
	}
	struct ifreq r;
	if (mm_copy_in(t->mm, &r, gaddr(arg), sizeof(r)))
		return -EFAULT;
	const struct netdev *d;
	if (cmd == SIOCGIFNAME) {
		if (!(d = netdev_by_index(r.ifr_ifindex)))
			return -ENODEV;
		memset(r.ifr_name, 0, IFNAMSIZ);
		snprintf(r.ifr_name, IFNAMSIZ, "%s", d->name);
		return mm_copy_out(t->mm, gaddr(arg), &r, sizeof(r));
	}
	r.ifr_name[IFNAMSIZ - 1] = 0;
	if (!(d = netdev_by_name(r.ifr_name)))
		return -ENODEV;
	memset(&r.ifr_ifru, 0, sizeof(r.ifr_ifru));
	switch (cmd) {
	case SIOCGIFINDEX:
		r.ifr_ifindex = d->index;
		break;
	case SIOCGIFFLAGS:
		r.ifr_flags = (short)d->flags;
		break;
	case SIOCGIFMTU:
		r.ifr_mtu = d->mtu;
		break;
	case SIOCGIFTXQLEN:
		r.ifr_qlen = d->txqlen;
		break;
	case SIOCGIFMETRIC:
		r.ifr_metric = 0;
		break;
	case SIOCGIFMAP:
		break;
	case SIOCGIFHWADDR:
		r.ifr_hwaddr.sa_family = (sa_family_t)d->type;
		memcpy(r.ifr_hwaddr.sa_data, d->mac, 6);
		break;
	case SIOCGIFADDR:
	case SIOCGIFNETMASK:
	case SIOCGIFBRDADDR:
	case SIOCGIFDSTADDR:
		if (!d->addr4)
			return -EADDRNOTAVAIL;
		if (cmd == SIOCGIFADDR)
			sin_put(&r.ifr_addr, d->addr4);
		else if (cmd == SIOCGIFNETMASK)
			sin_put(&r.ifr_netmask, prefix_mask(d->prefix4));
		else if (cmd == SIOCGIFBRDADDR)
			sin_put(&r.ifr_broadaddr, d->brd4);
		else
			sin_put(&r.ifr_dstaddr, d->addr4);    /* not point-to-point: the local address */
		break;
	}
	return mm_copy_out(t->mm, gaddr(arg), &r, sizeof(r));
}
