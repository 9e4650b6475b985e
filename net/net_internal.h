/*
 * net/'s internal interface: the socket object, its receive queue, the
 * connection and datagram engines (net/stream.c, net/dgram.c) and the
 * family hooks (net/unix.c, net/inet.c). Only net/ includes this header.
 *
 * A socket is an open file (fs/vfs_internal.h's file_ops), so net/ is
 * built like a file system: it includes the VFS's internal header, as
 * fs/pipe.c does. See net/README.md for references, locks and waiting.
 */
#ifndef NET_NET_INTERNAL_H
#define NET_NET_INTERNAL_H

#include <netinet/in.h>
#include <pthread.h>
#include "fs/vfs_internal.h"
#include "net/net.h"
#include "net/netstack/proto.h"
#include "sentry/waitq.h"

#define SK_RCV_SHUTDOWN 1
#define SK_SEND_SHUTDOWN 2
#define SK_SHUTDOWN_MASK 3

/* Linux's limits and defaults (net.core.*, net.unix.*). */
#define SK_WMEM_MAX 212992
#define SK_RMEM_MAX 212992
#define SK_WMEM_DEFAULT 212992
#define SK_RMEM_DEFAULT 212992
#define SK_MIN_SNDBUF 4608
#define SK_MIN_RCVBUF 2304
#define SK_SOMAXCONN 4096
#define SK_UNIX_MAX_DGRAM_QLEN 10
#define SK_SCM_MAX_FD 253
/* Linux's HZ on the reference kernels: SO_RCVTIMEO rounds up to jiffies. */
#define SK_HZ 250

/*
 * The one lock of net/ (a mutex, not recursive). It protects every field
 * of every socket below (except the immutable family/type/protocol/ops),
 * the receive queues, the AF_UNIX and inet namespaces and the reference
 * counts. Held only for short non-blocking sections: never while sleeping
 * (blocking calls drop it in sk_wait_locked), never while taking vfs_lock
 * (order: vfs_lock -> net_lock -> waitq.lock -> waiter.mutex), and never
 * across file_put: files dropped under it are queued and put by
 * net_unlock() after the lock is released.
 */
void net_lock(void);
void net_unlock(void);
void net_assert_locked(void);

/* Credentials as SO_PEERCRED and SCM_CREDENTIALS carry them. */
struct sk_cred {
	int32_t pid;
	uint32_t uid, gid;
};

/* A socket address as the guest passes it (len 0: none / unbound). */
struct sk_addr {
	uint32_t len;
	union {
		uint8_t bytes[NET_ADDR_MAX];
		struct sockaddr sa;
		sa_family_t family;
	};
};

/* SCM_RIGHTS files in flight: one reference each. */
struct sk_files {
	struct sk_files *next;         /* net_unlock's deferred list */
	int n;
	struct file *f[];
};

/*
 * What an IP datagram's header said, for the receiver's IP-level control
 * messages (IP_PKTINFO, IP_TTL, IPV6_HOPLIMIT, IPV6_TCLASS...).
 */
struct sk_pktinfo {
	bool valid;                    /* an inet datagram */
	bool v4;                       /* an IPv4 packet (dst is v4-mapped) */
	uint8_t ttl;                   /* TTL / hop limit */
	uint8_t tos;                   /* TOS / traffic class */
	int ifindex;                   /* the interface it arrived on */
	struct in6_addr dst;           /* its destination address */
	uint16_t dst_port;             /* host order */
};

/*
 * One message (datagram, seqpacket record, or a stretch of a byte stream)
 * on a receive queue. It holds a reference on its sender, whose wmem
 * counts `charge` bytes until the message is consumed or purged.
 */
struct sk_msg {
	struct sk_msg *next;
	struct sock *sender;
	size_t charge;
	size_t len, off;               /* unread data is [off, len) */
	struct sk_files *files;        /* SCM_RIGHTS or NULL */
	bool has_cred;
	struct sk_cred cred;
	struct sk_addr *from;          /* datagrams: the source address, or NULL */
	struct sk_pktinfo pkt;         /* inet datagrams: the IP header's fields */
	char *data;                    /* in the same allocation */
};

enum sk_state {
	SK_UNCONNECTED,                /* new; datagram sockets stay here (peer: connected) */
	SK_LISTEN,
	SK_CONNECTED,                  /* stream/seqpacket with a peer (also after it closed) */
	SK_CLOSED,                     /* stream: connection reset or finished (TCP_CLOSE) */
};

struct sock;
struct sk_cmsg_out;

/* What differs between families and types. All hooks are optional unless noted. */
struct sock_ops {
	int (*bind)(struct task *t, struct sock *sk, const void *addr, uint32_t len);   /* required */
	int (*connect)(struct task *t, struct sock *sk, const void *addr, uint32_t len,
		       bool nonblock);                                              /* required */
	int (*listen_locked)(struct sock *sk, int backlog);
	long (*sendmsg)(struct task *t, struct sock *sk, struct net_msg *m, int flags,
			bool nonblock);                                             /* required */
	int (*getsockopt)(struct task *t, struct sock *sk, int level, int name, void *val,
			  uint32_t *len);
	int (*setsockopt)(struct task *t, struct sock *sk, int level, int name,
			  const void *val, uint32_t len);
	/* getsockname (peer false) / getpeername (peer true) (net_lock held). */
	int (*getname_locked)(struct sock *sk, bool peer, struct sk_addr *out);         /* required */
	/* Rewrite a datagram's source address for this receiver (inet: v4-mapped forms). */
	void (*recv_name_locked)(struct sock *sk, struct sk_addr *from);
	/* recvmsg of msg: the family's control messages into o (net_lock held). */
	void (*recv_cmsgs_locked)(struct sock *sk, const struct sk_msg *msg,
				  struct sk_cmsg_out *o);
	/* accept() took a child: room for a connection waiting on the backlog (net_lock held). */
	void (*accepted_locked)(struct sock *listener);
	/* A new socket of the same kind for an incoming connection (net_lock held). */
	struct sock *(*child_locked)(struct sock *listener);
	/* Drop the address and namespace entries (release; net_lock held). */
	void (*unbind_locked)(struct sock *sk);
	/* After the lock is dropped at release: free what needs vfs_lock (bound path). */
	void (*release_unlocked)(struct sock *sk);
	void (*destroy)(struct sock *sk);                     /* free family state */
	/* SIOCINQ/SIOCOUTQ are not the socket's (ENOTTY): Linux's ping_prot has no ioctl. */
	bool no_queue_ioctls;
	/* recvmsg with MSG_TRUNC returns what was copied, not the datagram's length (ping_recvmsg). */
	bool recv_trunc_copied;
};

/*
 * A socket. References: its file (one, dropped at release), its peer
 * (connected sockets hold each other), every message it sent that is
 * still queued, the listener's accept queue (embryos), a blocking call
 * waiting on it. All fields: net_lock.
 */
struct sock {
	int refs;
	int family, type, protocol;    /* immutable */
	const struct sock_ops *ops;    /* immutable */
	struct waitq wq;               /* readers, writers, acceptors, pollers */
	enum sk_state state;
	bool dead;                     /* released: no file any more */
	bool tcp;                      /* TCP semantics for the stream engine */
	bool connecting;               /* TCP: connect() waits for room in a listener's backlog */
	bool udp;                      /* UDP semantics for the datagram engine */
	int shutdown;                  /* SK_*_SHUTDOWN */
	int err;                       /* pending error for SO_ERROR and the next call */
	struct sock *peer;             /* reference, or NULL */

	/* The receive queue. */
	struct sk_msg *rq_head, *rq_tail;
	size_t rq_bytes;
	unsigned rq_len;
	size_t wmem;                   /* bytes this socket sent that sit in receive queues */

	/* Listening: embryos (connected children) waiting for accept. */
	int backlog;
	struct sock *aq_head, *aq_tail;
	unsigned aq_len;
	struct sock *aq_next;

	/* Addresses: the local one (len 0 while unbound) and, for inet, the remote one. */
	struct sk_addr addr;
	struct sk_addr remote;

	/* SOL_SOCKET options. */
	bool reuseaddr, reuseport, keepalive, passcred, broadcast, oobinline, linger_on;
	bool sndbuf_set;               /* SO_SNDBUF given: no autotuning */
	int linger;
	int sndbuf, rcvbuf;
	int rcvlowat;
	uint64_t rcvtimeo_us, sndtimeo_us;   /* 0: wait forever */
	struct sk_cred peercred;
	bool peercred_set;

	/* Family state. */
	void *fpriv;

	/*
	 * /proc/net: sockets with a file, and embryos, are on one list
	 * (sock_list_locked) until freed; ino and uid are their file's inode
	 * number and owner (an embryo: 0 and its listener's uid).
	 */
	struct sock *all_next, *all_prev;
	bool all_listed;
	uint64_t ino;
	uint32_t uid;
	bool proxy;                    /* egress / --publish proxy: its traffic is eth0's */
};

/* ---- objects (net/socket.c) ---- */

/* A new socket with one reference (for its file); NULL on -ENOMEM. */
struct sock *sock_alloc(int family, int type, int protocol, const struct sock_ops *ops);
void sock_get_locked(struct sock *sk);
/* Drop a reference; the last one frees the socket (its queue is empty by then). */
void sock_put_locked(struct sock *sk);
/* The end of a socket without (or after) its file: disconnect and drop the file's reference. */
void sock_release(struct sock *sk);
/* A new file for sk, consuming the caller's reference; O_NONBLOCK from flags. */
int sock_file_create(struct sock *sk, const struct cred *cred, int flags, struct file **out);
/* Put sk on the list /proc/net shows (once; net_lock held). */
void sock_list_locked(struct sock *sk);
/* The first socket of that list (then all_next), net_lock held. */
struct sock *sock_list_first_locked(void);
/* The socket behind a socket file (no reference), or NULL. */
struct sock *sock_of(struct file *f);

/* The caller's credentials as SO_PEERCRED reports them (tgid, euid, egid). */
struct sk_cred sk_cred_peer(struct task *t);
/* ... and as SCM_CREDENTIALS carries them by default (tgid, uid, gid). */
struct sk_cred sk_cred_scm(struct task *t);

/* Queue files for file_put after net_unlock (net_lock held). */
void net_defer_files(struct sk_files *files);

/* ---- messages and queues (net/socket.c) ---- */

/* A message with room for len bytes (and a source address when from != NULL). */
struct sk_msg *sk_msg_alloc(size_t len, const struct sk_addr *from);
/* Free m: uncharge and drop its sender, defer its files (net_lock held). */
void sk_msg_free_locked(struct sk_msg *m);
void sk_queue_push_locked(struct sock *sk, struct sk_msg *m);
/* Unlink the head message (net_lock held). */
struct sk_msg *sk_queue_pop_locked(struct sock *sk);
/* Free every queued message (release). */
void sk_queue_purge_locked(struct sock *sk);
/* Charge m to sender (a reference is taken). */
void sk_msg_charge_locked(struct sk_msg *m, struct sock *sender, size_t charge);

/*
 * Wake sk's queue for events (net_lock held or not). Owners of O_ASYNC
 * files on it are signalled too, except for ~0u (a state change), which
 * is signalled only through sk_wake_async: events POLLIN (POLL_IN),
 * POLLOUT (POLL_OUT), POLLERR (POLL_ERR) or POLLHUP (POLL_HUP).
 */
void sk_wake(struct sock *sk, uint32_t events);
void sk_wake_async(struct sock *sk, uint32_t events);

/* ---- control messages (net/socket.c) ---- */

struct sk_control {
	struct sk_files *files;        /* SCM_RIGHTS, or NULL */
	bool has_cred;                 /* SCM_CREDENTIALS given */
	struct sk_cred cred;
};
/*
 * Parse a sendmsg control buffer: SCM_RIGHTS and SCM_CREDENTIALS when
 * is_unix is true, else only validate (SOL_SOCKET cmsgs: -EINVAL).
 */
int sk_control_parse(struct task *t, const void *buf, size_t len, bool is_unix,
		     struct sk_control *out);
void sk_control_release(struct sk_control *c);

/* The output side of recvmsg's control buffer (Linux's put_cmsg rules). */
struct sk_cmsg_out {
	char *buf;
	size_t cap, used;
	int *flags;                    /* msg_flags: MSG_CTRUNC */
};
void sk_put_cmsg(struct sk_cmsg_out *o, int level, int type, const void *data, size_t len);
/* Install files in t's fd table and emit SCM_RIGHTS (scm_detach_fds); consumes files. */
void sk_put_rights(struct task *t, struct sk_cmsg_out *o, struct sk_files *files, bool cloexec);

/* ---- waiting (net/socket.c) ---- */

/*
 * A blocking call's wait: link on a socket's queue once, then sleep with
 * the call's deadline. Usage (net_lock held throughout):
 *     struct sk_wait w; sk_wait_init(&w, timeout_us);
 *     for (;;) { try; if done break; if ((rc = sk_wait_locked(&w, sk))) break; }
 *     ... net_unlock(); sk_wait_done(&w);
 * sk_wait_locked returns 0 (look again), -EAGAIN (deadline), -ERESTARTSYS
 * (a signal, no timeout set) or -EINTR (a signal with a timeout set), as
 * Linux's sock_intr_errno. `on` must stay referenced until sk_wait_done.
 */
struct sk_wait {
	struct waiter w;
	bool linked;
	bool has_deadline;
	struct timespec deadline;
};
void sk_wait_init(struct sk_wait *w, uint64_t timeout_us);
int sk_wait_locked(struct sk_wait *w, struct sock *on);
void sk_wait_done(struct sk_wait *w);

/* ---- the connection engine (net/stream.c): SOCK_STREAM and SOCK_SEQPACKET ---- */

/* Connect two new sockets to each other (socketpair). */
void stream_pair_locked(struct sock *a, struct sock *b);
int stream_listen_locked(struct sock *sk, int backlog);
/*
 * Queue a connection from client to listener: a child socket joins the
 * listener's accept queue, connected to client (*child, no reference, for
 * the family's address set-up). Blocks while the backlog is full (unless
 * nonblock). Called with net_lock held, references on both.
 */
int stream_connect_locked(struct task *t, struct sock *client, struct sock *listener,
			  bool nonblock, struct sock **child);
int stream_accept(struct sock *sk, bool nonblock, struct sock **out);
long stream_send(struct task *t, struct sock *sk, const struct iovec *iov, int iovcnt,
		 struct sk_control *ctl, int flags, bool nonblock);
long stream_recv(struct task *t, struct sock *sk, struct net_msg *m, int flags, bool nonblock);
/* shutdown(2) with how as SK_*_SHUTDOWN bits (SHUT_RD + 1...). */
int stream_shutdown_locked(struct sock *sk, int how);
/*
 * A reset from sk's side of a TCP connection, now (egress: the outside
 * reset it): the peer gets ECONNRESET at once, sk is shut down both ways.
 */
void stream_abort_locked(struct sock *sk);
void stream_release_locked(struct sock *sk);
uint32_t stream_poll_locked(struct sock *sk);

/* ---- the datagram engine (net/dgram.c) ---- */

/*
 * Queue one datagram of len bytes from sk on target's receive queue with
 * source address from (net_lock held). AF_UNIX: SCM data from ctl, and
 * the bytes are charged to sk; inet: the IP header's fields in pi (else
 * NULL). Returns len or -ENOMEM.
 */
long dgram_queue_locked(struct task *t, struct sock *sk, struct sock *target,
			const struct iovec *iov, int iovcnt, size_t len, struct sk_control *ctl,
			const struct sk_addr *from, const struct sk_pktinfo *pi);
/*
 * AF_UNIX datagram send to target (a reference held by the caller):
 * waits for sk's send buffer and for room in target's queue unless
 * nonblock; Linux's EPERM/ECONNREFUSED/EPIPE. from NULL: sk's address.
 */
long dgram_send(struct task *t, struct sock *sk, struct sock *target, const struct iovec *iov,
		int iovcnt, struct sk_control *ctl, const struct sk_addr *from, bool nonblock);
/* Connect (other != NULL, referenced by the caller) or disconnect (NULL) sk (net_lock held). */
void dgram_set_peer_locked(struct sock *sk, struct sock *other);
long dgram_recv(struct task *t, struct sock *sk, struct net_msg *m, int flags, bool nonblock);
int dgram_shutdown_locked(struct sock *sk, int how);
void dgram_release_locked(struct sock *sk);
uint32_t dgram_poll_locked(struct sock *sk);

/* Receive-side control data, taken under net_lock and emitted after it. */
struct sk_rcv_ctl {
	size_t used;                   /* control bytes the family wrote under net_lock */
	bool has_cred;
	struct sk_cred cred;
	struct sk_files *files;
};
/* Take msg's credentials and files (duplicated for MSG_PEEK); net_lock held. */
void sk_rcv_take_locked(struct sk_rcv_ctl *c, struct sk_msg *msg, bool peek);
/*
 * Without net_lock: emit SCM_CREDENTIALS (when passcred) and SCM_RIGHTS
 * into m->control after the c->used bytes already there (installing the
 * files in t's fd table; MSG_CMSG_CLOEXEC from flags) and set
 * m->controllen to the bytes used.
 */
void sk_rcv_finish(struct task *t, bool passcred, struct net_msg *m, struct sk_rcv_ctl *c,
		   int flags);
/* Set m's source address (recvmsg's msg_name): a's bytes and length. */
void sk_copy_name(struct net_msg *m, const struct sk_addr *a);

/* ---- families ---- */
int unix_create(struct task *t, int type, int protocol, struct sock **out);
int unix_socketpair(struct task *t, int type, int protocol, struct sock **a, struct sock **b);
int inet_create(struct task *t, int family, int type, int protocol, struct sock **out);
int netlink_create(struct task *t, int type, int protocol, struct sock **out);

/* An internal TCP socket (AF_INET, in no table) for egress and --publish; one reference. */
struct sock *inet_proxy_alloc(void);
/*
 * Connect proxy (from src_addr, host order) to the guest's TCP listener on
 * 127.0.0.1:guest_port now: 0, or -ECONNREFUSED (none, or its backlog is full).
 */
int inet_proxy_connect_locked(struct sock *proxy, uint32_t src_addr, uint16_t guest_port);

/* ---- egress (net/egress.c) ---- */

/*
 * A guest TCP connect to addr:port (IPv4, host order) beyond loopback:
 * -ECONNREFUSED if the policy refuses it (logged once), else 0 with
 * sk->connecting set until an egress thread connects it (or sets sk->err).
 */
int egress_tcp_start_locked(struct sock *sk, uint32_t addr, uint16_t port);

/* The host side of a guest UDP socket that sent beyond loopback (opaque). */
struct egress_udp;
/*
 * A guest UDP datagram from sk to addr:port (IPv4, host order) beyond
 * loopback (net_lock held): -EPERM if the policy refuses it (logged once);
 * else sent from sk's host socket (*eu, made on first use: -ENOBUFS if it
 * cannot be) and len returned (also when the host drops it), or the host's
 * -errno (ENETUNREACH...). Replies reach sk through inet_udp_deliver_locked.
 */
long egress_udp_send_locked(struct egress_udp **eu, struct sock *sk, uint32_t addr,
			    uint16_t port, const struct iovec *iov, int iovcnt, size_t len);
/* sk is released: its host socket is closed and its reference dropped soon (net_lock held). */
void egress_udp_release_locked(struct egress_udp *eu);
/*
 * An ICMP echo request (msg: the ICMP message, identifier and checksum
 * set) from ping socket sk to addr (IPv4, host order) beyond loopback
 * (net_lock held): -EPERM if the policy refuses it (rules without a port
 * allow ICMP; logged once), else sent through sk's own NS_OPEN_PING
 * channel (*eu, made on first use) and 0, or -ENOBUFS / -ENETUNREACH.
 * Replies from the addresses pinged reach sk through ping_deliver_locked.
 */
long egress_ping_send_locked(struct egress_udp **eu, struct sock *sk, uint32_t addr,
			     const void *msg, size_t len);
/* An ICMP echo reply from the outside for ping socket sk, from addr (host order); net_lock held. */
void ping_deliver_locked(struct sock *sk, uint32_t addr, const void *buf, size_t len);
/*
 * A datagram from the outside for UDP socket sk, from addr:port (the
 * guest's view, host order): queued as loopback UDP queues (dropped when
 * it does not fit SO_RCVBUF, or sk is connected elsewhere); net_lock held.
 */
void inet_udp_deliver_locked(struct sock *sk, uint32_t addr, uint16_t port, const void *buf,
			     size_t len);
/* An ICMP error (err: ECONNREFUSED) for what sk sent to addr:port: pending if connected there. */
void inet_udp_error_locked(struct sock *sk, uint32_t addr, uint16_t port, int err);

/* ---- the network-stack process (net/netstack.c) ---- */

/* Start build/sandbox-netstack (--net=sandbox): 0, or -1 with a message in err. */
int netstack_start(char *err, size_t errlen);
/*
 * A new channel to the netstack (net/netstack/proto.h): op with addr
 * (host order) and port for NS_OPEN_TCP. The sentry's end, a blocking
 * O_CLOEXEC SOCK_SEQPACKET socket, or -ENOBUFS / -ENETUNREACH (no netstack).
 * Never blocks.
 */
int netstack_open(enum ns_op op, uint32_t addr, uint16_t port);

/* ---- interfaces (net/netdev.c) ---- */

/* The --net=sandbox addresses (slirp's defaults), host byte order. */
#define NET_GUEST_ADDR 0x0a00020fu      /* 10.0.2.15 */
#define NET_GATEWAY_ADDR 0x0a000202u    /* 10.0.2.2: the host's alias */
#define NET_DNS_ADDR 0x0a000203u        /* 10.0.2.3 */
#define NET_PREFIX 0x0a000200u          /* 10.0.2.0/24 */

/* An interface of the sandbox (fixed at boot, read without locks). */
struct netdev {
	int index;
	const char *name;
	int type;                      /* ARPHRD_* */
	unsigned flags;                /* IFF_* */
	int mtu, txqlen;
	const char *qdisc;
	uint8_t operstate;             /* IF_OPER_* */
	uint8_t mac[6], brd[6];
	uint32_t addr4, brd4;          /* host order; 0: none */
	int prefix4, scope4;
	bool has_v6_loop;              /* ::1/128 */
};
/* An interface's traffic counters (/proc/net/dev, IFLA_STATS64). */
struct netdev_stats {
	uint64_t rx_bytes, rx_packets, tx_bytes, tx_packets;
};
/*
 * Count one packet of len bytes (payload; the headers Linux would add are
 * estimated here) on an interface: lo counts it both ways (it is sent and
 * received there), eth0 as received (rx true: from the outside to the
 * guest) or sent. tcp: a TCP segment, else a UDP or ICMP datagram; v6: an
 * IPv6 one. Lock-free (atomics): callable under any lock.
 */
void netdev_account(bool eth0, bool rx, bool tcp, bool v6, size_t len);
/* A snapshot of d's counters. */
void netdev_get_stats(const struct netdev *d, struct netdev_stats *out);
/* Add eth0 (--net=sandbox); before any guest runs. */
void netdev_enable_eth0(void);
int netdev_count(void);
/* The i-th interface (0 <= i < netdev_count()) or NULL. */
const struct netdev *netdev_get(int i);
const struct netdev *netdev_by_index(int index);
const struct netdev *netdev_by_name(const char *name);
/* The SIOCGIF* ioctls and SIOCGIFCONF on a socket of family; -ENOTTY for other commands. */
long netdev_ioctl(struct task *t, int family, unsigned cmd, uint64_t arg);

#endif
