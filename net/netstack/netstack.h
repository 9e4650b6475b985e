/*
 * Internals of the network-stack process (build/sandbox-netstack): one
 * thread, one poll loop over the control socket, the channels and slirp's
 * host sockets. lwIP runs without its tcpip thread (lwip_init, our own
 * calls to sys_check_timeouts), so every lwIP call happens on this thread
 * and no lwIP lock is needed: the Debian port's core-locking check only
 * asserts once a tcpip thread has been marked, which never happens here.
 */
#ifndef NET_NETSTACK_NETSTACK_H
#define NET_NETSTACK_NETSTACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include "net/netstack/proto.h"

/*
 * One channel to the sentry (a TCP connection, a UDP socket, a ping
 * socket), on the loop's list from its creation until dead is set and the
 * loop reaps it (calling destroy, which closes fd and frees it). ready()
 * and timeout() may set dead; nothing else frees a channel.
 */
struct ns_chan {
	struct ns_chan *next;
	int fd;                        /* our end of the channel (non-blocking) */
	bool dead;
	int64_t deadline_ms;           /* 0: none; else timeout() runs once it passes */
	/*
	 * The poll events to wait for on fd, or NS_CHAN_NOPOLL: fd is not
	 * polled at all (nothing more to read or write on it). Events 0 is
	 * not that: poll reports POLLHUP on a closed channel whatever was
	 * asked, and the loop would spin.
	 */
	short (*events)(struct ns_chan *ch);
	void (*ready)(struct ns_chan *ch, short revents);
	void (*timeout)(struct ns_chan *ch);
	void (*destroy)(struct ns_chan *ch);
};

#define NS_CHAN_NOPOLL ((short)-1)

/* Put ch on the loop's list. */
void ns_chan_add(struct ns_chan *ch);

/*
 * Whether lwIP may send to addr (network order): not 0/8, loopback, our
 * own 10.0.2.15, the subnet's broadcast, multicast or beyond. The sentry
 * never asks for those; lwIP would loop them back through its tcpip
 * thread, which does not exist here (an assertion: the process dies).
 */
bool ns_dest_ok(uint32_t addr);

/* Milliseconds of CLOCK_MONOTONIC. */
int64_t ns_now_ms(void);

/* Send one frame (header and payload) without blocking: 0, or -errno (-EAGAIN: full). */
int ns_send_frame(int fd, const struct ns_frame *f, const struct iovec *iov, int iovcnt);

/* Receive one frame into f and buf (cap bytes): payload length, or -errno; at end of file 0 with f->type 0. */
long ns_recv_frame(int fd, struct ns_frame *f, void *buf, size_t cap);

/* The channel of a new TCP connection to addr:port (network order / host order). */
void ns_tcp_open(int fd, uint32_t addr, uint16_t port);

/* An ICMP unreachable (err) quoting a TCP segment from local_port to addr:port. */
void ns_tcp_icmp_error(uint16_t local_port, uint32_t addr, uint16_t port, int err);

/* The channel of a new UDP socket. */
void ns_udp_open(int fd);

/* The channel of a new ping socket. */
void ns_ping_open(int fd);

/* Start the ICMP listener (port unreachable for UDP, echo replies for ping). */
void ns_icmp_init(void);

#endif
