/* Socket errors and options: socket(2)/socketpair(2) argument checks per
 * family/type/protocol (EAFNOSUPPORT, ESOCKTNOSUPPORT, EPROTONOSUPPORT,
 * EINVAL, EPERM for raw and packet sockets without CAP_NET_RAW), EBADF and
 * ENOTSOCK for every socket call, address and length checks (EINVAL,
 * EFAULT, in Linux's order), msghdr checks (EMSGSIZE, ENOBUFS), SOL_SOCKET
 * options (ENOPROTOOPT, EINVAL, EFAULT, EDOM, buffer doubling and minimums,
 * SO_LINGER, timeouts, booleans), ioctls on sockets. */
#include "conformance.h"
#include <netinet/in.h>
#include <signal.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <termios.h>

static void close_if(int fd)
{
	if (fd >= 0)
		close(fd);
}

static void test_create(void)
{
	int sv[2];
	CHECK_ERR(socket(-1, SOCK_STREAM, 0), EAFNOSUPPORT, "family_negative");
	CHECK_ERR(socket(46, SOCK_STREAM, 0), EAFNOSUPPORT, "family_too_big");
	CHECK_ERR(socket(1000, SOCK_STREAM, 0), EAFNOSUPPORT, "family_huge");
	CHECK_ERR(socket(AF_AX25, SOCK_DGRAM, 0), EAFNOSUPPORT, "family_ax25");
	CHECK_ERR(socket(AF_APPLETALK, SOCK_DGRAM, 0), EAFNOSUPPORT, "family_appletalk");
	CHECK_ERR(socket(AF_BLUETOOTH, SOCK_STREAM, 0), EAFNOSUPPORT, "family_bluetooth");
	CHECK_ERR(socket(AF_ALG, SOCK_SEQPACKET, 0), EAFNOSUPPORT, "family_alg");
	CHECK_ERR(socket(AF_UNIX, 11, 0), EINVAL, "type_too_big");
	CHECK_ERR(socket(AF_UNIX, -1, 0), EINVAL, "type_negative_flags");
	CHECK_ERR(socket(AF_UNIX, SOCK_STREAM | 0x40000, 0), EINVAL, "type_bad_flag");
	CHECK_ERR(socket(AF_UNIX, SOCK_RDM, 0), ESOCKTNOSUPPORT, "unix_rdm");
	CHECK_ERR(socket(AF_UNIX, SOCK_STREAM, 2), EPROTONOSUPPORT, "unix_protocol");
	int s = socket(AF_UNIX, SOCK_STREAM, AF_UNIX);
	CHECK(s >= 0, "unix_protocol_pf_unix");
	close_if(s);
	s = socket(AF_UNIX, SOCK_RAW, 0);
	CHECK(s >= 0, "unix_raw_is_dgram");
	int v = 0;
	socklen_t vl = sizeof v;
	getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &vl);
	CHECK_EQ(v, SOCK_DGRAM, "unix_raw_so_type");
	close_if(s);
	CHECK_ERR(socket(AF_INET, SOCK_SEQPACKET, 0), ESOCKTNOSUPPORT, "inet_seqpacket");
	CHECK_ERR(socket(AF_INET, SOCK_RDM, 0), ESOCKTNOSUPPORT, "inet_rdm");
	CHECK_ERR(socket(AF_INET, SOCK_STREAM, IPPROTO_UDP), EPROTONOSUPPORT, "inet_stream_udp");
	CHECK_ERR(socket(AF_INET, SOCK_DGRAM, IPPROTO_TCP), EPROTONOSUPPORT, "inet_dgram_tcp");
	CHECK_ERR(socket(AF_INET6, SOCK_STREAM, IPPROTO_UDP), EPROTONOSUPPORT, "inet6_stream_udp");
	CHECK_ERR(socket(AF_INET, SOCK_STREAM, 300), EINVAL, "inet_protocol_too_big");
	CHECK_ERR(socket(AF_INET, SOCK_STREAM, -1), EINVAL, "inet_protocol_negative");
	CHECK_ERR(socket(AF_INET, SOCK_RAW, 0), EPROTONOSUPPORT, "inet_raw_protocol_zero");
	CHECK_ERR(socket(AF_PACKET, SOCK_STREAM, 0), ESOCKTNOSUPPORT, "packet_stream");
	CHECK_ERR(socket(AF_NETLINK, SOCK_STREAM, 0), ESOCKTNOSUPPORT, "netlink_stream");

	CHECK_ERR(socketpair(AF_INET, SOCK_STREAM, 0, sv), EOPNOTSUPP, "socketpair_inet");
	CHECK_ERR(socketpair(AF_INET6, SOCK_DGRAM, 0, sv), EOPNOTSUPP, "socketpair_inet6");
	CHECK_ERR(socketpair(AF_INET, SOCK_SEQPACKET, 0, sv), ESOCKTNOSUPPORT, "socketpair_inet_seqpacket");
	CHECK_ERR(socketpair(99, SOCK_STREAM, 0, sv), EAFNOSUPPORT, "socketpair_bad_family");
	CHECK_ERR(socketpair(AF_UNIX, SOCK_STREAM | 0x40000, 0, sv), EINVAL, "socketpair_bad_flag");
	CHECK_ERR(socketpair(AF_UNIX, SOCK_STREAM, 0, BAD_PTR), EFAULT, "socketpair_efault");

	/* Without CAP_NET_RAW: raw inet and packet sockets are refused. */
	pid_t pid = fork();
	if (pid == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(10);
		errno = 0;
		if (socket(AF_INET, SOCK_RAW, IPPROTO_ICMP) != -1 || errno != EPERM)
			_exit(1);
		if (socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6) != -1 || errno != EPERM)
			_exit(2);
		if (socket(AF_PACKET, SOCK_RAW, 0) != -1 || errno != EPERM)
			_exit(3);
		if (socket(AF_PACKET, SOCK_DGRAM, 0) != -1 || errno != EPERM)
			_exit(4);
		_exit(0);
	}
	check_child_ok(pid, "raw_and_packet_eperm_unprivileged");
}

static void test_not_a_socket(void)
{
	int p[2];
	char buf[8];
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	socklen_t al = sizeof a;
	int v;
	socklen_t vl = sizeof v;
	struct msghdr mh = { 0 };
	SETUP(pipe(p));
	int fd = p[0];
	CHECK_ERR(bind(fd, (struct sockaddr *)&a, sizeof a), ENOTSOCK, "bind_enotsock");
	CHECK_ERR(bind(fd, BAD_PTR, sizeof a), ENOTSOCK, "bind_enotsock_before_efault");
	CHECK_ERR(listen(fd, 1), ENOTSOCK, "listen_enotsock");
	CHECK_ERR(accept(fd, NULL, NULL), ENOTSOCK, "accept_enotsock");
	CHECK_ERR(connect(fd, (struct sockaddr *)&a, sizeof a), ENOTSOCK, "connect_enotsock");
	CHECK_ERR(connect(fd, BAD_PTR, sizeof a), EFAULT, "connect_efault_before_enotsock");
	CHECK_ERR(getsockname(fd, (struct sockaddr *)&a, &al), ENOTSOCK, "getsockname_enotsock");
	CHECK_ERR(getpeername(fd, (struct sockaddr *)&a, &al), ENOTSOCK, "getpeername_enotsock");
	CHECK_ERR(send(fd, "x", 1, 0), ENOTSOCK, "send_enotsock");
	CHECK_ERR(recv(fd, buf, 1, 0), ENOTSOCK, "recv_enotsock");
	CHECK_ERR(sendmsg(fd, &mh, 0), ENOTSOCK, "sendmsg_enotsock");
	CHECK_ERR(recvmsg(fd, &mh, 0), ENOTSOCK, "recvmsg_enotsock");
	CHECK_ERR(shutdown(fd, SHUT_RD), ENOTSOCK, "shutdown_enotsock");
	CHECK_ERR(getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &vl), ENOTSOCK, "getsockopt_enotsock");
	CHECK_ERR(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &v, sizeof v), ENOTSOCK, "setsockopt_enotsock");
	CHECK_ERR(sendmmsg(fd, NULL, 0, 0), ENOTSOCK, "sendmmsg_enotsock");
	CHECK_ERR(recvmmsg(fd, NULL, 0, 0, NULL), ENOTSOCK, "recvmmsg_enotsock");
	close(p[0]);
	close(p[1]);
	int bad = 1000;
	CHECK_ERR(bind(bad, (struct sockaddr *)&a, sizeof a), EBADF, "bind_ebadf");
	CHECK_ERR(connect(bad, (struct sockaddr *)&a, sizeof a), EBADF, "connect_ebadf");
	CHECK_ERR(accept4(bad, NULL, NULL, 0), EBADF, "accept4_ebadf");
	CHECK_ERR(send(bad, "x", 1, 0), EBADF, "send_ebadf");
	CHECK_ERR(recvfrom(bad, buf, 1, 0, NULL, NULL), EBADF, "recvfrom_ebadf");
	CHECK_ERR(shutdown(bad, SHUT_RD), EBADF, "shutdown_ebadf");
	CHECK_ERR(getsockopt(bad, SOL_SOCKET, SO_TYPE, &v, &vl), EBADF, "getsockopt_ebadf");
	CHECK_ERR(setsockopt(bad, SOL_SOCKET, SO_TYPE, &v, -1), EBADF, "setsockopt_ebadf_first");
}

static void test_addresses_and_msghdr(void)
{
	int sv[2];
	char buf[8];
	struct sockaddr_un a;
	SETUP(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	int s = socket(AF_UNIX, SOCK_DGRAM, 0);
	CHECK_ERR(connect(s, (struct sockaddr *)&a, 200), EINVAL, "connect_addrlen_too_big");
	CHECK_ERR(connect(s, (struct sockaddr *)&a, -1), EINVAL, "connect_addrlen_negative");
	CHECK_ERR(connect(s, BAD_PTR, 20), EFAULT, "connect_addr_efault");
	CHECK_ERR(bind(s, BAD_PTR, 20), EFAULT, "bind_addr_efault");
	CHECK_ERR(sendto(s, "x", 1, 0, BAD_PTR, 20), EFAULT, "sendto_addr_efault");
	CHECK_ERR(sendto(s, "x", 1, 0, (struct sockaddr *)&a, 129), EINVAL, "sendto_addrlen_too_big");
	CHECK_ERR(send(sv[0], BAD_PTR, 4, 0), EFAULT, "send_buf_efault");
	send(sv[0], "abcd", 4, 0);
	socklen_t al = sizeof a;
	CHECK_ERR(recvfrom(sv[1], buf, sizeof buf, 0, (struct sockaddr *)&a, BAD_PTR), EFAULT,
		  "recvfrom_addrlen_efault");

	struct iovec iov = { buf, sizeof buf };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1025 };
	CHECK_ERR(sendmsg(sv[0], &mh, 0), EMSGSIZE, "sendmsg_iovlen_emsgsize");
	CHECK_ERR(recvmsg(sv[1], &mh, 0), EMSGSIZE, "recvmsg_iovlen_emsgsize");
	mh.msg_iovlen = 1;
	CHECK_ERR(recvmsg(sv[1], &mh, 0x80000000), EINVAL, "recvmsg_cmsg_compat_einval");
	CHECK_ERR(sendmsg(sv[0], &mh, 0x80000000), EINVAL, "sendmsg_cmsg_compat_einval");
	CHECK_ERR(sendmsg(sv[0], BAD_PTR, 0), EFAULT, "sendmsg_msghdr_efault");
	mh.msg_namelen = (socklen_t)-1;
	mh.msg_name = &a;
	CHECK_ERR(sendmsg(sv[0], &mh, 0), EINVAL, "sendmsg_namelen_negative");
	mh.msg_name = NULL;
	mh.msg_namelen = 0;
	char ctl[64];
	mh.msg_control = ctl;
	mh.msg_controllen = 0x80000000UL;
	CHECK_ERR(sendmsg(sv[0], &mh, 0), ENOBUFS, "sendmsg_controllen_enobufs");
	mh.msg_control = BAD_PTR;
	mh.msg_controllen = 32;
	CHECK_ERR(sendmsg(sv[0], &mh, 0), EFAULT, "sendmsg_control_efault");
	/* A control buffer shorter than a cmsghdr holds no messages. */
	mh.msg_control = ctl;
	mh.msg_controllen = 8;
	CHECK_EQ(sendmsg(sv[0], &mh, MSG_DONTWAIT), sizeof buf, "sendmsg_tiny_control_ignored");
	/* recvmsg reports the flags and the control length it used. */
	mh.msg_controllen = sizeof ctl;
	mh.msg_flags = -1;
	/* The datagram the faulting recvfrom took is gone: this is the 8-byte one. */
	CHECK_EQ(recvmsg(sv[1], &mh, 0), 8, "recvmsg_basic");
	CHECK_EQ(mh.msg_flags, 0, "recvmsg_flags_zero");
	CHECK_EQ(mh.msg_controllen, 0, "recvmsg_controllen_zero");
	CHECK_EQ(sendmmsg(sv[0], BAD_PTR, 1, 0), -1, "sendmmsg_efault");
	CHECK_ERR(accept4(s, NULL, NULL, 0x12345678), EINVAL, "accept4_bad_flags");
	CHECK_ERR(shutdown(s, -1), EINVAL, "shutdown_negative");
	(void)al;
	close(s);
	close(sv[0]);
	close(sv[1]);
}

static void test_options(void)
{
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	int v;
	socklen_t vl = sizeof v;
	CHECK_ERR(getsockopt(s, SOL_SOCKET, 9999, &v, &vl), ENOPROTOOPT, "getsockopt_unknown");
	CHECK_ERR(setsockopt(s, SOL_SOCKET, 9999, &v, sizeof v), ENOPROTOOPT, "setsockopt_unknown");
	CHECK_ERR(setsockopt(s, SOL_SOCKET, SO_TYPE, &v, sizeof v), ENOPROTOOPT, "setsockopt_so_type");
	CHECK_ERR(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, 2), EINVAL, "setsockopt_short_len");
	CHECK_ERR(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, BAD_PTR, 4), EFAULT, "setsockopt_efault");
	CHECK_ERR(getsockopt(s, SOL_SOCKET, SO_TYPE, BAD_PTR, &vl), EFAULT, "getsockopt_efault");
	CHECK_ERR(getsockopt(s, SOL_SOCKET, SO_TYPE, &v, BAD_PTR), EFAULT, "getsockopt_len_efault");
	vl = (socklen_t)-1;
	CHECK_ERR(getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &vl), EINVAL, "getsockopt_negative_len");
	CHECK_ERR(getsockopt(s, IPPROTO_TCP, 1, &v, &vl), EOPNOTSUPP, "unix_getsockopt_other_level");
	CHECK_ERR(setsockopt(s, IPPROTO_IP, 1, &v, sizeof v), EOPNOTSUPP, "unix_setsockopt_other_level");
	/* A short buffer gets the first bytes of an int option. */
	v = 0x7f7f7f7f;
	vl = 2;
	CHECK_EQ(getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &vl), 0, "getsockopt_short_buffer");
	CHECK(vl == 2 && v == 0x7f7f0001, "getsockopt_short_buffer_partial");

	/* Booleans read back as 0/1. */
	CHECK_ERR(setsockopt(s, SOL_SOCKET, SO_NO_CHECK, &v, -1), EINVAL, "setsockopt_negative_len");
	v = 1;
	CHECK_ERR(setsockopt(s, SOL_SOCKET, SO_REUSEPORT, &v, sizeof v), EOPNOTSUPP, "unix_reuseport_eopnotsupp");
	int opts[] = { SO_REUSEADDR, SO_KEEPALIVE, SO_PASSCRED, SO_BROADCAST };
	const char *names[] = { "reuseaddr", "keepalive", "passcred", "broadcast" };
	for (unsigned i = 0; i < sizeof opts / sizeof opts[0]; i++) {
		char name[64];
		v = 42;
		setsockopt(s, SOL_SOCKET, opts[i], &v, sizeof v);
		vl = sizeof v;
		v = -1;
		getsockopt(s, SOL_SOCKET, opts[i], &v, &vl);
		snprintf(name, sizeof name, "bool_%s_on", names[i]);
		CHECK_EQ(v, 1, name);
		v = 0;
		setsockopt(s, SOL_SOCKET, opts[i], &v, sizeof v);
		vl = sizeof v;
		v = -1;
		getsockopt(s, SOL_SOCKET, opts[i], &v, &vl);
		snprintf(name, sizeof name, "bool_%s_off", names[i]);
		CHECK_EQ(v, 0, name);
	}

	/* SO_SNDBUF / SO_RCVBUF: doubled, with minimums. */
	v = 10000;
	CHECK_EQ(setsockopt(s, SOL_SOCKET, SO_SNDBUF, &v, sizeof v), 0, "set_sndbuf");
	vl = sizeof v;
	getsockopt(s, SOL_SOCKET, SO_SNDBUF, &v, &vl);
	CHECK_EQ(v, 20000, "sndbuf_doubled");
	v = 1;
	setsockopt(s, SOL_SOCKET, SO_SNDBUF, &v, sizeof v);
	getsockopt(s, SOL_SOCKET, SO_SNDBUF, &v, &vl);
	CHECK_EQ(v, 4608, "sndbuf_minimum");
	v = 7000;
	setsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, sizeof v);
	getsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, &vl);
	CHECK_EQ(v, 14000, "rcvbuf_doubled");
	v = 0;
	setsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, sizeof v);
	getsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, &vl);
	CHECK_EQ(v, 2304, "rcvbuf_minimum");

	/* SO_LINGER */
	struct linger lg = { 1, 7 };
	CHECK_EQ(setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg), 0, "set_linger");
	CHECK_ERR(setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, 4), EINVAL, "set_linger_short");
	memset(&lg, 0, sizeof lg);
	vl = sizeof lg;
	CHECK_EQ(getsockopt(s, SOL_SOCKET, SO_LINGER, &lg, &vl), 0, "get_linger");
	CHECK(vl == sizeof lg && lg.l_onoff == 1 && lg.l_linger == 7, "linger_values");

	/* Timeouts: 0/0 means forever, bad microseconds EDOM, values read back. */
	struct timeval tv = { 1, 500000 };
	CHECK_EQ(setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0, "set_rcvtimeo");
	memset(&tv, 0, sizeof tv);
	vl = sizeof tv;
	CHECK_EQ(getsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, &vl), 0, "get_rcvtimeo");
	CHECK(vl == sizeof tv && tv.tv_sec == 1 && tv.tv_usec == 500000, "rcvtimeo_value");
	tv.tv_usec = 1000000;
	CHECK_ERR(setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv), EDOM, "sndtimeo_edom");
	CHECK_ERR(setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, 8), EINVAL, "sndtimeo_short");
	tv.tv_sec = 0;
	tv.tv_usec = 0;
	setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	tv.tv_sec = 9;
	getsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, &vl);
	CHECK(tv.tv_sec == 0 && tv.tv_usec == 0, "sndtimeo_forever");

	v = -1;
	vl = sizeof v;
	CHECK_EQ(getsockopt(s, SOL_SOCKET, SO_ERROR, &v, &vl), 0, "so_error");
	CHECK_EQ(v, 0, "so_error_none");
	struct ucred uc;
	vl = sizeof uc;
	CHECK_EQ(getsockopt(s, SOL_SOCKET, SO_PEERCRED, &uc, &vl), 0, "peercred_unconnected");
	CHECK(uc.pid == 0 && uc.uid == (uid_t)-1 && uc.gid == (gid_t)-1, "peercred_unconnected_values");

	/* ioctls */
	struct termios tio;
	CHECK_ERR(ioctl(s, TCGETS, &tio), ENOTTY, "ioctl_tcgets_enotty");
	CHECK_EQ(isatty(s), 0, "isatty_socket");
	v = 1;
	CHECK_EQ(ioctl(s, FIONBIO, &v), 0, "ioctl_fionbio");
	CHECK(fcntl(s, F_GETFL) & O_NONBLOCK, "fionbio_sets_nonblock");
	int q;
	CHECK_EQ(ioctl(s, FIONREAD, &q), 0, "fionread_unconnected");
	CHECK_ERR(ioctl(s, FIONREAD, BAD_PTR), EFAULT, "fionread_efault");
	close(s);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_create();
	test_not_a_socket();
	test_addresses_and_msghdr();
	test_options();
	return conf_exit();
}
