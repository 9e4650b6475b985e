/*
 * net/: the sentry's sockets. The face for syscalls/sys_socket.c.
 *
 * Every socket is a sentry object behind an open file (S_IFSOCK inode on
 * the sentry's sockfs). Families: AF_UNIX (stream, datagram, seqpacket),
 * AF_INET/AF_INET6 TCP, UDP and ICMP echo (ping sockets) on the sentry's
 * own loopback (127.0.0.0/8 and ::1) plus TCP, UDP and ICMP echo egress
 * under --net=sandbox's policy and a DNS
 * forwarder at 10.0.2.3 (net/egress.c),
 * and AF_NETLINK NETLINK_ROUTE. See net/README.md.
 *
 * Addresses, option values and control messages are host buffers: the
 * syscall layer copies them in and out of guest memory. Data moves through
 * host iovecs (guest memory translated into the MemoryFile). Every
 * function returns 0 / a non-negative value, or -errno (Linux's); blocking
 * calls may return -ERESTARTSYS (no SO_RCVTIMEO/SO_SNDTIMEO set) or -EINTR.
 */
#ifndef NET_NET_H
#define NET_NET_H

#include <sys/socket.h>
#include <sys/uio.h>
#include "sentry/types.h"

/* The largest socket address any family accepts (sockaddr_storage). */
#define NET_ADDR_MAX 128
/* Linux's cap on msg_controllen the kernel copies (optmem_max). */
#define NET_CONTROL_MAX 131072

/* True if f is a socket (other socket calls give -ENOTSOCK otherwise). */
bool net_is_socket(struct file *f);

/*
 * socket(2): a new socket of (family, type & SOCK_TYPE_MASK, protocol)
 * with O_NONBLOCK when type has SOCK_NONBLOCK. *out holds one reference.
 */
int net_socket(struct task *t, int family, int type, int protocol, struct file **out);

/* socketpair(2): two connected sockets (AF_UNIX only; others -EOPNOTSUPP). */
int net_socketpair(struct task *t, int family, int type, int protocol, struct file *out[2]);

/* bind(2) with the address in a host buffer (len validated by the caller: 0..NET_ADDR_MAX). */
int net_bind(struct task *t, struct file *f, const void *addr, uint32_t len);

/* listen(2). */
int net_listen(struct file *f, int backlog);

/*
 * accept4(2): the next connection (blocking unless the socket or flags ask
 * otherwise). flags: SOCK_NONBLOCK for the new file (SOCK_CLOEXEC is the
 * caller's). The peer's address goes to addr (NET_ADDR_MAX bytes) and its
 * full length to *addrlen.
 */
int net_accept(struct task *t, struct file *f, int flags, struct file **out, void *addr,
	       uint32_t *addrlen);

/* connect(2). */
int net_connect(struct task *t, struct file *f, const void *addr, uint32_t len);

/* getsockname(2) (peer false) / getpeername(2) (peer true): NET_ADDR_MAX bytes. */
int net_getname(struct file *f, bool peer, void *addr, uint32_t *addrlen);

/* shutdown(2). */
int net_shutdown(struct file *f, int how);

/*
 * setsockopt(2): val holds len bytes, or is NULL when the guest's buffer
 * faulted (the option's own checks run first, then -EFAULT).
 */
int net_setsockopt(struct task *t, struct file *f, int level, int name, const void *val,
		   uint32_t len);
/* getsockopt(2): *len is the buffer size in (may be negative: -EINVAL) and the result size out. */
int net_getsockopt(struct task *t, struct file *f, int level, int name, void *val, int *len);

/* The socket's type (SOCK_STREAM...), or -ENOTSOCK. */
int net_sock_type(struct file *f);

/* One sendmsg/recvmsg in host terms. */
struct net_msg {
	const struct iovec *iov;       /* host iovecs (guest memory) */
	int iovcnt;
	void *name;                    /* send: destination or NULL; recv: NET_ADDR_MAX buffer or NULL */
	uint32_t namelen;              /* send: its length; recv: the source's full length */
	void *control;                 /* send: cmsgs in; recv: a buffer for cmsgs out */
	size_t controllen;             /* send: bytes; recv: capacity in, bytes used out */
	int flags_out;                 /* recv: MSG_TRUNC, MSG_CTRUNC, MSG_EOR... */
};

/*
 * sendmsg(2) / recvmsg(2) with MSG_* flags. recvmsg installs received
 * SCM_RIGHTS files in t's fd table (MSG_CMSG_CLOEXEC honoured). A send
 * that fails with -EPIPE leaves SIGPIPE to the caller (MSG_NOSIGNAL).
 */
long net_sendmsg(struct task *t, struct file *f, struct net_msg *m, int flags);
long net_recvmsg(struct task *t, struct file *f, struct net_msg *m, int flags);

/* The sandbox's network, fixed at boot before any guest runs (net/egress.c). */
struct net_config {
	bool egress;                   /* --net=sandbox: eth0, TCP/UDP egress under the policy */
	const char *const *allow_net;  /* CIDR[:PORT] rules */
	size_t nallow_net;
	const char *const *allow_host; /* host names, resolved on the host now (/32 rules) */
	size_t nallow_host;
	const char *const *publish;    /* HOSTPORT:GUESTPORT */
	size_t npublish;
	const char *dns;               /* --dns IP[:PORT] or "none"; NULL: the host's resolver */
};

/* Apply c: interfaces, policy, published ports (listeners start now). 0 or -1 and err. */
int net_configure(const struct net_config *c, char *err, size_t errlen);

/* net.ipv4.ping_group_range as /proc/sys shows it ("LOW\tHIGH\n") into buf; its length. */
int net_ping_group_range_show(char *buf, size_t cap);
/*
 * A write of /proc/sys/net/ipv4/ping_group_range (ipv4_ping_group_range):
 * one or two gids (0..4294967294, the second the high end); a high end
 * below the low one leaves nobody allowed ("1 0"). len, or -EINVAL.
 */
long net_ping_group_range_write(const char *buf, size_t len);

/* The files of /proc/net the sandbox serves (net/netproc.c). */
enum net_proc_file {
	NET_PROC_DEV, NET_PROC_TCP, NET_PROC_TCP6, NET_PROC_UDP, NET_PROC_UDP6, NET_PROC_UNIX,
	NET_PROC_ROUTE, NET_PROC_IF_INET6,
};
/* The text of one /proc/net file in Linux's format (*out malloc'd): its length, or -ENOMEM. */
long net_proc_text(enum net_proc_file which, char **out);

/* Whether --net=sandbox is on (eth0 exists, /etc/resolv.conf names the DNS alias). */
bool net_egress_enabled(void);

#endif
