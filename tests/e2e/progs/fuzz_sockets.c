/*
 * Socket fuzzer: N random socket calls (default 100,000) from a fixed seed,
 * on a pool of up to 64 descriptors: socket/socketpair in every family and
 * type (some unsupported), bind/connect/listen/accept4 to loopback, unix
 * paths, abstract names, netlink and garbage addresses of random lengths,
 * sendmsg/recvmsg/sendmmsg/recvmmsg with random iovecs (bad pointers, huge
 * lengths) and control messages (SCM_RIGHTS of pool fds, SCM_CREDENTIALS,
 * garbage cmsg lengths), setsockopt/getsockopt at random levels, names and
 * lengths, ioctls, shutdown, dup, close, poll. Every socket is non-blocking
 * and every receive uses MSG_DONTWAIT, so no call may block; SO_LINGER
 * times are 0 (close never waits). Descriptors 0-2 are never used.
 *
 *   fuzz_sockets --i-am-sandboxed [N [SEED]]
 *
 * Prints "calls N succeeded M" then "done". NEVER RUN THIS NATIVELY: as root, random
 * netlink messages can change the host's interfaces and routes. It refuses
 * to start unless it is pid 1 (the guest's pid in the sandbox).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/sockios.h>

#define POOL 64
#define BUF_SIZE (1u << 20)

static int pool[POOL];
static long succeeded;   /* calls that returned >= 0 */

/* Count a call's success; returns its result. */
static long T(long r)
{
	if (r >= 0)
		succeeded++;
	return r;
}
static uint64_t rng_state;
static char buf[BUF_SIZE] __attribute__((aligned(4096)));

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

static uint64_t below(uint64_t n)
{
	return rnd() % n;
}

/* A descriptor from the pool (often), or a number that is not one. */
static int any_fd(void)
{
	if (below(10) == 0) {
		static const int bad[] = { -1, 999, 100000, -100, POOL + 3 };  /* never stdio */
		return bad[below(sizeof(bad) / sizeof(bad[0]))];
	}
	return pool[below(POOL)];
}

static void keep(int fd)
{
	if (fd < 0)
		return;
	succeeded++;
	int slot = (int)below(POOL);
	if (pool[slot] >= 0)
		close(pool[slot]);
	pool[slot] = fd;
}

/* A pointer to use as a buffer: mostly valid, sometimes not. */
static void *any_ptr(void)
{
	switch (below(12)) {
	case 0: return NULL;
	case 1: return (void *)1;
	case 2: return (void *)0xdead0000000UL;
	case 3: return (void *)0x7ffffff00000UL;  /* the stub's page */
	case 4: return (void *)-4096L;
	case 5: return (void *)0x8000000000000000UL;  /* non-canonical */
	default: return buf + below(BUF_SIZE / 2);
	}
}

static size_t any_len(void)
{
	switch (below(8)) {
	case 0: return 0;
	case 1: return (size_t)-1;
	case 2: return 1UL << 31;
	case 3: return below(1 << 20);
	default: return below(512);
	}
}

/* Fill buf[0..) with an address of a random kind; returns its length (sometimes wrong). */
static socklen_t any_addr(void *out)
{
	char *a = out;
	memset(a, 0, 128);
	socklen_t len;
	switch (below(8)) {
	case 0: {
		struct sockaddr_un *u = out;
		u->sun_family = AF_UNIX;
		snprintf(u->sun_path, sizeof(u->sun_path), "/tmp/fz/s%d", (int)below(8));
		len = sizeof(*u);
		break;
	}
	case 1: {
		struct sockaddr_un *u = out;
		u->sun_family = AF_UNIX;
		u->sun_path[0] = 0;
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
				  (size_t)snprintf(u->sun_path + 1, sizeof(u->sun_path) - 1, "fz%d",
						   (int)below(8)));
		break;
	}
	case 2: case 3: {
		struct sockaddr_in *in = out;
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)(below(4) ? 41000 + below(8) : below(65536)));
		static const uint32_t ips[] = { 0x7f000001, 0, 0x7f000002, 0x0a000202, 0xa9fea9fe,
						0x08080808, 0xffffffff, 0xe0000001 };
		in->sin_addr.s_addr = htonl(ips[below(8)]);
		len = sizeof(*in);
		break;
	}
	case 4: {
		struct sockaddr_in6 *in6 = out;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)(41000 + below(8)));
		if (below(2))
			in6->sin6_addr.s6_addr[15] = 1;   /* ::1 */
		else if (below(2)) {
			in6->sin6_addr.s6_addr[10] = in6->sin6_addr.s6_addr[11] = 0xff;
			in6->sin6_addr.s6_addr[12] = 127;
			in6->sin6_addr.s6_addr[15] = 1;   /* ::ffff:127.0.0.1 */
		}
		in6->sin6_scope_id = (uint32_t)below(3);
		len = sizeof(*in6);
		break;
	}
	case 5: {
		struct sockaddr_nl *nl = out;
		nl->nl_family = AF_NETLINK;
		nl->nl_pid = (uint32_t)below(3);
		nl->nl_groups = (uint32_t)rnd();
		len = sizeof(*nl);
		break;
	}
	default:
		for (int i = 0; i < 128; i++)
			a[i] = (char)rnd();
		if (below(2))
			*(sa_family_t *)a = (sa_family_t)below(50);
		len = (socklen_t)below(130);
		break;
	}
	if (below(6) == 0)
		len = (socklen_t)(below(4) ? below(130) : rnd());
	return len;
}

static void new_socket(void)
{
	static const int fams[] = { AF_UNIX, AF_INET, AF_INET6, AF_NETLINK, AF_PACKET, AF_UNSPEC,
				    AF_BLUETOOTH, AF_ALG, AF_VSOCK, 99 };
	static const int types[] = { SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET, SOCK_RAW, SOCK_RDM, 11 };
	int fam = below(4) ? fams[below(4)] : fams[below(10)];
	int type = types[below(6)] | SOCK_NONBLOCK | (below(2) ? SOCK_CLOEXEC : 0);
	int proto = below(3) ? 0 : (int)below(300);
	if (below(2) && fam == AF_UNIX) {
		int sv[2];
		if (socketpair(fam, type, proto, sv) == 0) {
			keep(sv[0]);
			keep(sv[1]);
		}
		return;
	}
	keep(socket(fam, type, proto));
}

/* A control buffer: valid SCM_RIGHTS/SCM_CREDENTIALS, or garbage. */
static size_t any_control(char *c, size_t cap)
{
	memset(c, 0, cap);
	size_t used = 0;
	int n = (int)below(3);
	for (int i = 0; i < n; i++) {
		struct cmsghdr *h = (struct cmsghdr *)(c + used);
		if (below(2)) {
			int nfd = (int)below(5);
			if (used + CMSG_SPACE(nfd * sizeof(int)) > cap)
				break;
			h->cmsg_level = SOL_SOCKET;
			h->cmsg_type = SCM_RIGHTS;
			h->cmsg_len = CMSG_LEN(nfd * sizeof(int));
			for (int k = 0; k < nfd; k++)
				((int *)CMSG_DATA(h))[k] = any_fd();
			used += CMSG_SPACE(nfd * sizeof(int));
		} else {
			if (used + CMSG_SPACE(sizeof(struct ucred)) > cap)
				break;
			h->cmsg_level = SOL_SOCKET;
			h->cmsg_type = SCM_CREDENTIALS;
			h->cmsg_len = CMSG_LEN(sizeof(struct ucred));
			struct ucred cr = { below(2) ? getpid() : (pid_t)rnd(), (uid_t)below(2),
					    (gid_t)below(2) };
			memcpy(CMSG_DATA(h), &cr, sizeof(cr));
			used += CMSG_SPACE(sizeof(struct ucred));
		}
		if (below(8) == 0)
			h->cmsg_len = (size_t)rnd() % 4096;   /* lies about its length */
		if (below(16) == 0)
			h->cmsg_level = (int)below(300);
	}
	return below(8) ? used : (size_t)below(cap);
}

static void fill_iov(struct iovec *iov, int n)
{
	for (int i = 0; i < n; i++) {
		iov[i].iov_base = any_ptr();
		iov[i].iov_len = any_len();
	}
}

static void do_sendmsg(void)
{
	char name[128];
	char control[512];
	struct iovec iov[8];
	int niov = (int)below(9);
	fill_iov(iov, niov);
	struct msghdr m = { 0 };
	if (below(2)) {
		m.msg_namelen = any_addr(name);
		m.msg_name = below(10) ? (void *)name : any_ptr();
	}
	m.msg_iov = below(12) ? iov : any_ptr();
	m.msg_iovlen = below(12) ? (size_t)niov : (size_t)rnd();
	if (below(2)) {
		m.msg_controllen = any_control(control, sizeof(control));
		m.msg_control = below(12) ? (void *)control : any_ptr();
	}
	int flags = MSG_DONTWAIT | MSG_NOSIGNAL | (below(4) ? 0 : (int)(rnd() & ~MSG_WAITALL));
	T(sendmsg(any_fd(), below(30) ? &m : any_ptr(), flags | MSG_DONTWAIT));
}

static void close_received(struct msghdr *m, ssize_t r)
{
	if (r < 0 || !m->msg_control || (char *)m->msg_control < buf)
		return;
	for (struct cmsghdr *h = CMSG_FIRSTHDR(m); h; h = CMSG_NXTHDR(m, h)) {
		if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS)
			continue;
		int n = (int)((h->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		for (int k = 0; k < n; k++)
			keep(((int *)CMSG_DATA(h))[k]);
	}
}

static void do_recvmsg(void)
{
	static char control[512];
	char name[128];
	struct iovec iov[8];
	int niov = (int)below(9);
	fill_iov(iov, niov);
	struct msghdr m = { 0 };
	m.msg_name = below(3) ? (void *)name : any_ptr();
	m.msg_namelen = below(4) ? sizeof(name) : (socklen_t)rnd();
	m.msg_iov = below(12) ? iov : any_ptr();
	m.msg_iovlen = below(12) ? (size_t)niov : (size_t)rnd();
	if (below(2)) {
		m.msg_control = below(10) ? (void *)control : any_ptr();
		m.msg_controllen = below(4) ? sizeof(control) : below(64);
	}
	int flags = MSG_DONTWAIT | (below(3) ? 0 : (int)(rnd() & (MSG_PEEK | MSG_TRUNC | MSG_WAITALL |
								   MSG_CMSG_CLOEXEC | MSG_OOB |
								   MSG_ERRQUEUE)));
	ssize_t r = T(recvmsg(any_fd(), &m, flags));
	if (m.msg_control == control)
		close_received(&m, r);
}

static void do_mmsg(bool send)
{
	struct mmsghdr v[4];
	struct iovec iov[4];
	memset(v, 0, sizeof(v));
	fill_iov(iov, 4);
	for (int i = 0; i < 4; i++) {
		v[i].msg_hdr.msg_iov = &iov[i];
		v[i].msg_hdr.msg_iovlen = 1;
	}
	unsigned vlen = below(4) ? (unsigned)below(5) : (unsigned)rnd();
	if (send)
		T(sendmmsg(any_fd(), below(10) ? v : any_ptr(), vlen, MSG_DONTWAIT | MSG_NOSIGNAL));
	else {
		struct timespec ts = { 0, 0 };
		T(recvmmsg(any_fd(), below(10) ? v : any_ptr(), vlen, MSG_DONTWAIT,
			 below(2) ? &ts : NULL));
	}
}

static void do_sockopt(bool set)
{
	static const int levels[] = { SOL_SOCKET, IPPROTO_TCP, IPPROTO_IP, IPPROTO_IPV6, SOL_NETLINK,
				      IPPROTO_UDP, 0, 1000 };
	int level = levels[below(8)];
	int name = (int)below(80);
	char val[256];
	for (size_t i = 0; i < sizeof(val); i++)
		val[i] = (char)rnd();
	if (level == SOL_SOCKET && name == SO_LINGER) {
		struct linger l = { (int)below(2), 0 };   /* close never waits */
		memcpy(val, &l, sizeof(l));
	}
	if (level == SOL_SOCKET && (name == SO_RCVTIMEO || name == SO_SNDTIMEO)) {
		struct timeval tv = { 0, (long)below(1000) };
		memcpy(val, &tv, sizeof(tv));
	}
	if (set) {
		socklen_t len = below(4) ? (socklen_t)below(sizeof(val)) : (socklen_t)rnd();
		T(setsockopt(any_fd(), level, name, below(10) ? (void *)val : any_ptr(), len));
	} else {
		socklen_t len = below(4) ? (socklen_t)below(sizeof(val)) : (socklen_t)rnd();
		T(getsockopt(any_fd(), level, name, below(10) ? (void *)val : any_ptr(),
			   below(10) ? &len : any_ptr()));
	}
}

static void do_ioctl(void)
{
	static const unsigned long reqs[] = { FIONREAD, SIOCOUTQ, SIOCINQ, SIOCGIFCONF, SIOCGIFINDEX,
					      SIOCGIFADDR, SIOCGIFFLAGS, SIOCGIFNAME, SIOCGIFMTU,
					      SIOCGIFHWADDR, SIOCATMARK, FIOCLEX, FIONCLEX, SIOCSIFFLAGS,
					      0x89ff, 0x5401 /* TCGETS */ };
	unsigned long req = reqs[below(sizeof(reqs) / sizeof(reqs[0]))];
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), below(2) ? "lo" : "eth%d", (int)below(3));
	ifr.ifr_ifindex = (int)below(4);
	struct ifconf ifc = { .ifc_len = (int)below(200), .ifc_buf = below(4) ? buf : any_ptr() };
	void *arg = req == SIOCGIFCONF ? (void *)&ifc : (below(8) ? (void *)&ifr : any_ptr());
	T(ioctl(any_fd(), req, arg));
}

static void step(void)
{
	char addr[128];
	socklen_t len;
	int fd;
	switch (below(22)) {
	case 0: case 1: case 2:
		new_socket();
		break;
	case 3:
		len = any_addr(addr);
		T(bind(any_fd(), below(20) ? (void *)addr : any_ptr(), len));
		break;
	case 4: case 5:
		len = any_addr(addr);
		T(connect(any_fd(), below(20) ? (void *)addr : any_ptr(), len));
		break;
	case 6:
		T(listen(any_fd(), below(4) ? (int)below(8) : (int)rnd()));
		break;
	case 7:
		len = sizeof(addr);
		keep(accept4(any_fd(), below(3) ? (void *)addr : NULL, below(10) ? &len : any_ptr(),
			     SOCK_NONBLOCK | (below(2) ? SOCK_CLOEXEC : 0)));
		break;
	case 8: case 9: case 10:
		do_sendmsg();
		break;
	case 11: case 12:
		do_recvmsg();
		break;
	case 13:
		do_mmsg(below(2));
		break;
	case 14:
		do_sockopt(true);
		break;
	case 15:
		do_sockopt(false);
		break;
	case 16:
		T(shutdown(any_fd(), below(4) ? (int)below(3) : (int)rnd()));
		break;
	case 17:
		fd = (int)below(POOL);
		if (pool[fd] >= 0) {
			close(pool[fd]);
			pool[fd] = -1;
		}
		break;
	case 18:
		len = below(4) ? sizeof(addr) : (socklen_t)rnd();
		if (below(2))
			T(getsockname(any_fd(), below(10) ? (void *)addr : any_ptr(), below(10) ? &len : any_ptr()));
		else
			T(getpeername(any_fd(), below(10) ? (void *)addr : any_ptr(), below(10) ? &len : any_ptr()));
		break;
	case 19: {
		struct pollfd p[8];
		for (int i = 0; i < 8; i++)
			p[i] = (struct pollfd){ any_fd(), (short)rnd(), 0 };
		T(poll(p, 8, 0));
		break;
	}
	case 20:
		do_ioctl();
		break;
	default:
		fd = any_fd();
		if (below(2))
			keep(dup(fd));
		else if (below(2))
			T(write(fd, any_ptr(), any_len()));
		else
			T(read(fd, any_ptr(), below(4) ? below(4096) : any_len()));
		break;
	}
}

int main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--i-am-sandboxed") != 0 || getpid() != 1) {
		fprintf(stderr, "fuzz_sockets: refusing to run outside the sandbox\n");
		return 2;
	}
	long n = argc > 2 ? atol(argv[2]) : 100000;
	rng_state = argc > 3 ? strtoull(argv[3], NULL, 0) : 0x5eed5eed12345678ULL;
	if (rng_state == 0)
		rng_state = 1;
	signal(SIGPIPE, SIG_IGN);
	signal(SIGIO, SIG_IGN);
	signal(SIGURG, SIG_IGN);
	mkdir("/tmp/fz", 0777);
	for (int i = 0; i < POOL; i++)
		pool[i] = -1;
	/* The stdio descriptors stay out of the pool: they are the test's output. */
	for (long i = 0; i < n; i++) {
		step();
		/* Keep O_NONBLOCK on everything (an ioctl may have cleared it). */
		if (i % 64 == 0)
			for (int k = 0; k < POOL; k++)
				if (pool[k] >= 0)
					fcntl(pool[k], F_SETFL, O_NONBLOCK);
	}
	printf("calls %ld succeeded %ld\ndone\n", n, succeeded);
	return 0;
}
