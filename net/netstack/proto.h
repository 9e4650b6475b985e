/*
 * The protocol between the sentry (net/egress.c) and its network-stack
 * process (build/sandbox-netstack, net/netstack/). Both ends are built from
 * this one header, so there is no versioning.
 *
 * The control socket (SOCK_SEQPACKET, the netstack's fd NS_CONTROL_FD)
 * carries only requests, sentry -> netstack: one struct ns_request per
 * message with exactly one fd (SCM_RIGHTS), the netstack's end of a fresh
 * SOCK_SEQPACKET socketpair that is the channel of one TCP connection, one
 * UDP socket or one ping socket. There are no replies on it: everything
 * about a channel travels on the channel as frames, one per message, a
 * struct ns_frame followed by the payload:
 *
 * TCP (NS_OPEN_TCP to addr:port):
 *   netstack -> sentry: NS_CONNECTED {err: 0 or ECONNREFUSED, ETIMEDOUT,
 *     ENETUNREACH...} first; then NS_DATA (payload), then NS_FIN (the peer
 *     sent FIN) or NS_RESET (the peer reset, or the stack gave up).
 *   sentry -> netstack: NS_DATA, NS_FIN (shutdown of the send side),
 *     NS_RESET (abort: the peer gets a RST).
 *   End of file on the channel (the other side closed it): the sentry has
 *   finished with the connection (the netstack closes its pcb; with
 *   unread data that is a reset, as close(2) on Linux) or the netstack is
 *   gone (the sentry treats it as a reset).
 * UDP (NS_OPEN_UDP): NS_DATA both ways with the peer in addr:port (sentry
 *   -> netstack: the destination; netstack -> sentry: the source);
 *   netstack -> sentry NS_ERROR {addr, port, err ECONNREFUSED}: an ICMP port
 *   unreachable for a datagram sent to addr:port.
 * Ping (NS_OPEN_PING): NS_DATA both ways, payload an ICMP message (echo
 *   request to addr / echo reply from addr); port unused.
 *
 * Addresses are IPv4 in network byte order, ports in host order. A DATA
 * payload is at most NS_MAX_PAYLOAD bytes. Either side drops a frame it
 * does not understand; the netstack closes a channel that misbehaves.
 */
#ifndef NET_NETSTACK_PROTO_H
#define NET_NETSTACK_PROTO_H

#include <stdint.h>

#define NS_CONTROL_FD 3                /* the control socket in the netstack */
#define NS_MAX_PAYLOAD 65536
#define NS_TCP_CONNECT_TIMEOUT_S 20    /* the netstack's SYN gives up: ETIMEDOUT */

enum ns_op {
	NS_OPEN_TCP = 1,
	NS_OPEN_UDP,
	NS_OPEN_PING,
};

struct ns_request {
	uint32_t op;                   /* enum ns_op */
	uint32_t addr;                 /* NS_OPEN_TCP: destination (network order) */
	uint16_t port;                 /* NS_OPEN_TCP: destination port */
	uint16_t pad;
};

enum ns_frame_type {
	NS_DATA = 1,
	NS_FIN,
	NS_RESET,
	NS_CONNECTED,
	NS_ERROR,
};

struct ns_frame {
	uint8_t type;                  /* enum ns_frame_type */
	uint8_t pad;
	uint16_t port;                 /* UDP: the peer's port */
	uint32_t addr;                 /* UDP, ping: the peer (network order) */
	int32_t err;                   /* NS_CONNECTED, NS_ERROR: a positive errno or 0 */
	uint32_t pad2;
};

#endif
