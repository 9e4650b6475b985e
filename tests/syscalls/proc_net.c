/* /proc/net: dev, tcp, tcp6, udp, udp6, unix, route, if_inet6 and the
 * self/net link. Checks what holds on any Linux: header lines, field
 * counts and widths, that sockets the test opens appear with their own
 * addresses, ports, states, queues and inodes, and that lo's counters grow
 * with loopback traffic. Other sockets of the host (natively) are ignored. */
#include "conformance.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

static char buf[1 << 21];

static ssize_t slurp(const char *path)
{
	return read_file(path, buf, sizeof buf);
}

static const char *first_line_end(const char *s)
{
	const char *e = strchr(s, '\n');
	return e ? e : s + strlen(s);
}

/* The line of buf (after the header) whose fields 1 and 2 (local, remote) are local/remote. */
static char *find_sock(const char *local, const char *remote, char *line, size_t cap)
{
	for (const char *l = buf; *l; l = *first_line_end(l) ? first_line_end(l) + 1 : "") {
		char sl[32], lo[80], re[80];
		if (sscanf(l, "%31s %79s %79s", sl, lo, re) == 3 && !strcmp(lo, local) &&
		    (!remote || !strcmp(re, remote))) {
			size_t n = (size_t)(first_line_end(l) - l);
			n = n < cap - 1 ? n : cap - 1;
			memcpy(line, l, n);
			line[n] = 0;
			return line;
		}
	}
	return NULL;
}

struct inet_line {
	char local[80], remote[80];
	unsigned st, txq, rxq, uid;
	unsigned long long ino;
	int nfields;
};

static int parse_inet(const char *line, struct inet_line *p)
{
	char tr[32], retr[32];
	int timeout;
	if (sscanf(line, "%*s %79s %79s %x %x:%x %31s %31s %u %d %llu", p->local, p->remote, &p->st,
		   &p->txq, &p->rxq, tr, retr, &p->uid, &timeout, &p->ino) != 10)
		return -1;
	p->nfields = 0;
	for (const char *s = line; *s;) {
		while (*s == ' ')
			s++;
		if (!*s)
			break;
		p->nfields++;
		while (*s && *s != ' ')
			s++;
	}
	return 0;
}

static void ep4(char *out, uint32_t addr_net, uint16_t port)
{
	sprintf(out, "%08X:%04X", addr_net, port);
}

static void ep6(char *out, const struct in6_addr *a, uint16_t port)
{
	uint32_t w[4];
	memcpy(w, a->s6_addr, 16);
	sprintf(out, "%08X%08X%08X%08X:%04X", w[0], w[1], w[2], w[3], port);
}

static unsigned long long ino_of(int fd)
{
	struct stat st;
	return fstat(fd, &st) ? 0 : (unsigned long long)st.st_ino;
}

static uint16_t port_of(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return 0;
	return ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
					     : ((struct sockaddr_in6 *)&ss)->sin6_port);
}

/* Look a socket up in path's table, retrying briefly (loopback data may be in flight). */
static int lookup(const char *path, const char *local, const char *remote, struct inet_line *p,
		  unsigned want_rxq)
{
	char line[512];
	for (int i = 0; i < 100; i++) {
		if (slurp(path) < 0)
			return -1;
		if (find_sock(local, remote, line, sizeof(line)) && !parse_inet(line, p) &&
		    p->rxq >= want_rxq)
			return 0;
		usleep(10000);
	}
	return -1;
}

static int tcp4_listener(int *port)
{
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 7))
		return -1;
	*port = port_of(l);
	return l;
}

static int tcp4_connect(int port)
{
	int c = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof(a)))
		return -1;
	return c;
}

static void test_headers(void)
{
	static const struct { const char *path, *head; size_t width; } h[] = {
		{ "/proc/net/tcp", "  sl  local_address rem_address   st tx_queue rx_queue tr "
				   "tm->when retrnsmt   uid  timeout inode", 149 },
		{ "/proc/net/udp", "   sl  local_address rem_address   st tx_queue rx_queue tr "
				   "tm->when retrnsmt   uid  timeout inode ref pointer drops", 127 },
		{ "/proc/net/tcp6", "  sl  local_address                         remote_address    "
				    "                    st tx_queue rx_queue tr tm->when retrnsmt   "
				    "uid  timeout inode", 0 },
		{ "/proc/net/udp6", "  sl  local_address                         remote_address    "
				    "                    st tx_queue rx_queue tr tm->when retrnsmt   "
				    "uid  timeout inode ref pointer drops", 0 },
		{ "/proc/net/unix", "Num       RefCount Protocol Flags    Type St Inode Path", 0 },
		{ "/proc/net/route", "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\t"
				     "Mask\t\tMTU\tWindow\tIRTT", 127 },
	};
	for (size_t i = 0; i < sizeof(h) / sizeof(h[0]); i++) {
		char name[64];
		snprintf(name, sizeof(name), "header_%s", strrchr(h[i].path, '/') + 1);
		if (slurp(h[i].path) < 0) {
			conf_fail(name, "read %s: %s", h[i].path, conf_errname(errno));
			continue;
		}
		size_t n = strlen(h[i].head);
		const char *e = first_line_end(buf);
		bool ok = !strncmp(buf, h[i].head, n) && *e == '\n';
		/* Padded with spaces to the width, as seq_pad. */
		if (h[i].width)
			ok = ok && (size_t)(e - buf) == h[i].width &&
			     strspn(buf + n, " ") == h[i].width - n;
		else
			ok = ok && (size_t)(e - buf) == n;
		if (ok)
			conf_ok(name);
		else
			conf_fail(name, "%.*s", (int)(e - buf), buf);
	}
}

/* lo's rx/tx bytes and packets from /proc/net/dev; 0 or -1. */
static int lo_counters(unsigned long long v[4])
{
	if (slurp("/proc/net/dev") < 0)
		return -1;
	const char *l = strstr(buf, "\n    lo: ");
	unsigned long long f[16];
	if (!l || sscanf(l + 9, "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu "
			 "%llu %llu %llu %llu", &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6], &f[7],
			 &f[8], &f[9], &f[10], &f[11], &f[12], &f[13], &f[14], &f[15]) != 16)
		return -1;
	v[0] = f[0], v[1] = f[1], v[2] = f[8], v[3] = f[9];
	return 0;
}

static void test_dev(void)
{
	static const char head[] =
		"Inter-|   Receive                                                |  Transmit\n"
		" face |bytes    packets errs drop fifo frame compressed multicast|"
		"bytes    packets errs drop fifo colls carrier compressed\n";
	CHECK(slurp("/proc/net/dev") > 0 && !strncmp(buf, head, strlen(head)), "dev_header");
	unsigned long long before[4], after[4];
	if (!CHECK_EQ(lo_counters(before), 0, "dev_lo_line"))
		return;
	int port, l = tcp4_listener(&port);
	int c = l >= 0 ? tcp4_connect(port) : -1;
	int a = c >= 0 ? accept(l, NULL, NULL) : -1;
	static char data[20000];
	size_t got = 0;
	if (a >= 0 && write(c, data, sizeof(data)) == (ssize_t)sizeof(data))
		while (got < sizeof(data)) {
			ssize_t r = read(a, data, sizeof(data) - got);
			if (r <= 0)
				break;
			got += (size_t)r;
		}
	CHECK_EQ(got, sizeof(data), "dev_traffic");
	CHECK(lo_counters(after) == 0 && after[0] >= before[0] + sizeof(data) &&
	      after[1] > before[1] && after[2] >= before[2] + sizeof(data) && after[3] > before[3],
	      "dev_lo_counts_grow");
	close(a);
	close(c);
	close(l);
}

/* Whether a row of path (after the header) has inode ino. */
static bool has_inode(const char *path, unsigned long long ino)
{
	if (slurp(path) < 0)
		return false;
	for (const char *l = strchr(buf, '\n'); l && l[1]; l = strchr(l + 1, '\n')) {
		struct inet_line p;
		if (!parse_inet(l + 1, &p) && p.ino == ino)
			return true;
	}
	return false;
}

static void test_tcp(void)
{
	/* A TCP socket that is only bound is in no table Linux lists. */
	int b = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in ba = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	CHECK(b >= 0 && !bind(b, (struct sockaddr *)&ba, sizeof(ba)) &&
	      !has_inode("/proc/net/tcp", ino_of(b)), "tcp_bound_unlisted");
	close(b);

	int port, l = tcp4_listener(&port);
	if (!CHECK(l >= 0, "tcp_setup"))
		return;
	char local[80], remote[80];
	struct inet_line p;
	ep4(local, htonl(INADDR_LOOPBACK), port);
	if (CHECK_EQ(lookup("/proc/net/tcp", local, "00000000:0000", &p, 0), 0, "tcp_listener")) {
		CHECK_EQ(p.st, 0x0A, "tcp_listener_state");
		CHECK_EQ(p.ino, ino_of(l), "tcp_listener_inode");
		CHECK_EQ(p.uid, geteuid(), "tcp_listener_uid");
		CHECK_EQ(p.txq, 0, "tcp_listener_tx_queue");
		CHECK(p.nfields >= 12, "tcp_listener_fields");
	}
	int c = tcp4_connect(port);
	/* Before accept: the listener's rx_queue is its accept queue. */
	CHECK_EQ(lookup("/proc/net/tcp", local, "00000000:0000", &p, 1) == 0 && p.rxq == 1, 1,
		 "tcp_listener_accept_queue");
	int a = c >= 0 ? accept(l, NULL, NULL) : -1;
	if (!CHECK(a >= 0, "tcp_connect"))
		return;
	int cport = port_of(c);
	CHECK_EQ(write(c, "hello", 5), 5, "tcp_write");
	ep4(remote, htonl(INADDR_LOOPBACK), cport);
	/* The accepted end: its own inode, 5 unread bytes. */
	if (CHECK_EQ(lookup("/proc/net/tcp", local, remote, &p, 5), 0, "tcp_accepted")) {
		CHECK_EQ(p.st, 0x01, "tcp_accepted_state");
		CHECK_EQ(p.ino, ino_of(a), "tcp_accepted_inode");
		CHECK_EQ(p.rxq, 5, "tcp_accepted_rx_queue");
	}
	if (CHECK_EQ(lookup("/proc/net/tcp", remote, local, &p, 0), 0, "tcp_client")) {
		CHECK_EQ(p.st, 0x01, "tcp_client_state");
		CHECK_EQ(p.ino, ino_of(c), "tcp_client_inode");
	}
	/* After the client's close the accepted end waits for its own: CLOSE_WAIT. */
	close(c);
	bool seen = false;
	for (int i = 0; i < 100 && !seen; i++) {
		seen = !lookup("/proc/net/tcp", local, remote, &p, 0) && p.st == 0x08;
		if (!seen)
			usleep(10000);
	}
	CHECK(seen, "tcp_close_wait");
	close(a);
	close(l);
}

static void test_tcp6(void)
{
	/* A dual-stack listener on ::, and an IPv4 connection to it (v4-mapped in tcp6). */
	int l = socket(AF_INET6, SOCK_STREAM, 0);
	int off = 0;
	setsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_addr = in6addr_any };
	if (!CHECK(l >= 0 && !bind(l, (struct sockaddr *)&a6, sizeof(a6)) && !listen(l, 3),
		   "tcp6_setup"))
		return;
	int port = port_of(l);
	char local[80], remote[80];
	struct inet_line p;
	ep6(local, &in6addr_any, port);
	if (CHECK_EQ(lookup("/proc/net/tcp6", local, NULL, &p, 0), 0, "tcp6_listener")) {
		CHECK_EQ(p.st, 0x0A, "tcp6_listener_state");
		CHECK_EQ(p.ino, ino_of(l), "tcp6_listener_inode");
	}
	int c = tcp4_connect(port);
	int a = c >= 0 ? accept(l, NULL, NULL) : -1;
	if (!CHECK(a >= 0, "tcp6_v4_connect"))
		return;
	struct in6_addr mapped = { .s6_addr = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1 } };
	ep6(local, &mapped, port);
	ep6(remote, &mapped, port_of(c));
	if (CHECK_EQ(lookup("/proc/net/tcp6", local, remote, &p, 0), 0, "tcp6_v4mapped")) {
		CHECK_EQ(p.st, 0x01, "tcp6_v4mapped_state");
		CHECK_EQ(p.ino, ino_of(a), "tcp6_v4mapped_inode");
	}
	/* The client is an AF_INET socket: in tcp. */
	ep4(local, htonl(INADDR_LOOPBACK), port_of(c));
	CHECK_EQ(lookup("/proc/net/tcp", local, NULL, &p, 0) == 0 && p.ino == ino_of(c), 1,
		 "tcp6_client_in_tcp");
	close(c);
	close(a);
	close(l);
}

static void test_udp(void)
{
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (!CHECK(u >= 0 && !bind(u, (struct sockaddr *)&a, sizeof(a)), "udp_setup"))
		return;
	char local[80], remote[80];
	struct inet_line p;
	ep4(local, htonl(INADDR_LOOPBACK), port_of(u));
	if (CHECK_EQ(lookup("/proc/net/udp", local, "00000000:0000", &p, 0), 0, "udp_bound")) {
		CHECK_EQ(p.st, 0x07, "udp_bound_state");
		CHECK_EQ(p.ino, ino_of(u), "udp_bound_inode");
		CHECK_EQ(p.nfields, 13, "udp_fields");
	}
	/* Connected to itself: ESTABLISHED, and a datagram waits in its queue. */
	a.sin_port = htons(port_of(u));
	CHECK_OK(connect(u, (struct sockaddr *)&a, sizeof(a)), "udp_connect");
	CHECK_EQ(send(u, "abc", 3, 0), 3, "udp_send");
	ep4(remote, htonl(INADDR_LOOPBACK), port_of(u));
	if (CHECK_EQ(lookup("/proc/net/udp", local, remote, &p, 1), 0, "udp_connected")) {
		CHECK_EQ(p.st, 0x01, "udp_connected_state");
		CHECK(p.rxq >= 3, "udp_rx_queue");
	}
	close(u);

	int u6 = socket(AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_addr = in6addr_loopback };
	if (!CHECK(u6 >= 0 && !bind(u6, (struct sockaddr *)&a6, sizeof(a6)), "udp6_setup"))
		return;
	ep6(local, &in6addr_loopback, port_of(u6));
	ep6(remote, &in6addr_any, 0);
	if (CHECK_EQ(lookup("/proc/net/udp6", local, remote, &p, 0), 0, "udp6_bound")) {
		CHECK_EQ(p.st, 0x07, "udp6_bound_state");
		CHECK_EQ(p.ino, ino_of(u6), "udp6_bound_inode");
	}
	close(u6);
}

/* The /proc/net/unix line of inode ino: its fields after the inode, or NULL. */
static const char *unix_line(unsigned long long ino, unsigned *flags, unsigned *type,
			     unsigned *st, char *path, size_t cap)
{
	if (slurp("/proc/net/unix") < 0)
		return NULL;
	for (const char *l = strchr(buf, '\n'); l && l[1]; l = strchr(l + 1, '\n')) {
		unsigned long long i;
		unsigned ref, proto;
		int n = 0;
		if (sscanf(l + 1, "%*[0-9a-f]: %x %x %x %x %x %llu%n", &ref, &proto, flags, type, st,
			   &i, &n) == 6 && i == ino) {
			const char *e = first_line_end(l + 1 + n);
			const char *s = l + 1 + n;
			if (*s == ' ')
				s++;
			size_t len = (size_t)(e - s) < cap - 1 ? (size_t)(e - s) : cap - 1;
			memcpy(path, s, len);
			path[len] = 0;
			return path;
		}
	}
	return NULL;
}

static void test_unix(void)
{
	unsigned flags, type, st;
	char path[256];
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", T("sock"));
	if (!CHECK(l >= 0 && !bind(l, (struct sockaddr *)&a, sizeof(a)) && !listen(l, 2),
		   "unix_setup"))
		return;
	if (CHECK(unix_line(ino_of(l), &flags, &type, &st, path, sizeof(path)), "unix_listener")) {
		CHECK_EQ(flags, 0x10000, "unix_listener_acceptcon");
		CHECK_EQ(type, SOCK_STREAM, "unix_listener_type");
		CHECK_EQ(st, 1, "unix_listener_state");
		CHECK_STR(path, a.sun_path, "unix_listener_path");
	}
	/* An abstract name: '@' for the leading NUL. */
	int ab = socket(AF_UNIX, SOCK_DGRAM, 0);
	struct sockaddr_un an = { .sun_family = AF_UNIX };
	char name[64];
	int nlen = snprintf(name, sizeof(name), "conf-proc-net-%d", getpid());
	memcpy(an.sun_path + 1, name, (size_t)nlen);
	CHECK_OK(bind(ab, (struct sockaddr *)&an, offsetof(struct sockaddr_un, sun_path) + 1 + nlen),
		 "unix_abstract_bind");
	char want[80];
	snprintf(want, sizeof(want), "@%s", name);
	if (CHECK(unix_line(ino_of(ab), &flags, &type, &st, path, sizeof(path)), "unix_abstract")) {
		CHECK_EQ(type, SOCK_DGRAM, "unix_abstract_type");
		CHECK_STR(path, want, "unix_abstract_path");
	}
	/* A socketpair: both connected (SS_CONNECTED), no name. */
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), "unix_socketpair");
	if (CHECK(unix_line(ino_of(sv[1]), &flags, &type, &st, path, sizeof(path)), "unix_pair")) {
		CHECK_EQ(st, 3, "unix_pair_state");
		CHECK_EQ(type, SOCK_SEQPACKET, "unix_pair_type");
		CHECK_STR(path, "", "unix_pair_unnamed");
	}
	close(sv[0]);
	close(sv[1]);
	close(ab);
	close(l);
}

static void test_misc(void)
{
	char link[64];
	ssize_t n = readlink("/proc/net", link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = 0;
	CHECK_STR(link, "self/net", "net_is_self_net");
	struct stat st;
	CHECK(!lstat("/proc/self/net", &st) && S_ISDIR(st.st_mode), "self_net_dir");
	CHECK(!stat("/proc/self/net/tcp", &st) && S_ISREG(st.st_mode) && (st.st_mode & 0777) == 0444,
	      "self_net_tcp");
	CHECK(opendir("/proc/self/task") && !stat("/proc/thread-self/net/unix", &st), "thread_net");
	CHECK(slurp("/proc/net/if_inet6") > 0 &&
	      strstr(buf, "00000000000000000000000000000001 01 80 10 80       lo\n"), "if_inet6_lo");
	CHECK_ERR(open("/proc/net/nonexistent", O_RDONLY), ENOENT, "net_enoent");
}

int main(void)
{
	test_headers();
	test_dev();
	test_tcp();
	test_tcp6();
	test_udp();
	test_unix();
	test_misc();
	return conf_exit();
}
