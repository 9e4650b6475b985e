/*
 * The connection engine: SOCK_STREAM (AF_UNIX streams and loopback TCP)
 * and SOCK_SEQPACKET (AF_UNIX records), modelled on Linux's
 * net/unix/af_unix.c and, where TCP differs, net/ipv4/tcp.c.
 *
 * A connection is two sockets holding each other (sk->peer). Data a
 * socket sends is queued on its peer's receive queue as sk_msg records
 * charged to the sender's wmem; the sender blocks while wmem is at its
 * limit, and the reader's consumption uncharges it and wakes the sender.
 * A listening socket keeps connected children ("embryos", created by
 * connect) on its accept queue until accept() hands them out.
 *
 * Everything runs under net_lock; blocking calls sleep in sk_wait_locked,
 * which drops it. Linux's order of checks is kept (it decides errnos).
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include "net/net_internal.h"
#include "sentry/task.h"

/* Per-message bookkeeping charged to the sender beside the data (skb overhead). */
#define SK_MSG_OVERHEAD 256
/* A TCP connection's send limit unless SO_SNDBUF fixed it (Linux autotunes up to 4 MiB). */
#define TCP_SEND_LIMIT (1024 * 1024)
#define TCP_CHUNK (64 * 1024)

static void stream_drop_embryos_locked(struct sock *sk);

static size_t stream_limit(const struct sock *sk)
{
	if (sk->tcp && !sk->sndbuf_set)
		return TCP_SEND_LIMIT;
	return (size_t)sk->sndbuf;
}

static size_t stream_chunk(const struct sock *sk)
{
	if (sk->tcp)
		return TCP_CHUNK;
	/* unix_stream_sendmsg: "keep two messages in the pipe". */
	long c = sk->sndbuf / 2 - 64;
	return c > 0 ? (size_t)c : 1;
}

static bool stream_writable_locked(const struct sock *sk)
{
	if (sk->state == SK_LISTEN)
		return false;
	if (sk->tcp)
		return sk->wmem * 3 <= stream_limit(sk) * 2;
	return sk->wmem * 4 <= (size_t)sk->sndbuf;
}

void stream_pair_locked(struct sock *a, struct sock *b)
{
	sock_get_locked(b);
	a->peer = b;
	sock_get_locked(a);
	b->peer = a;
	a->state = b->state = SK_CONNECTED;
}

int stream_listen_locked(struct sock *sk, int backlog)
{
	if (sk->state != SK_UNCONNECTED && sk->state != SK_LISTEN)
		return -EINVAL;
	sk->backlog = backlog;
	sk->state = SK_LISTEN;
	sk_wake(sk, ~0u);      /* pollers and connectors waiting for backlog space */
	return 0;
}

/* unix_recvq_full: more embryos than the backlog. */
static bool accept_queue_full(const struct sock *l)
{
	return l->aq_len > (unsigned)l->backlog;
}

int stream_connect_locked(struct task *t, struct sock *client, struct sock *listener,
			  bool nonblock, struct sock **childp)
{
	struct sk_wait w;
	sk_wait_init(&w, client->sndtimeo_us);
	int rc;
	for (;;) {
		if (listener->state != SK_LISTEN || listener->dead ||
		    (listener->shutdown & SK_RCV_SHUTDOWN)) {
			rc = -ECONNREFUSED;
			break;
		}
		if (client->state == SK_CONNECTED) {
			rc = -EISCONN;
			break;
		}
		if (client->state != SK_UNCONNECTED) {
			rc = -EINVAL;
			break;
		}
		if (!accept_queue_full(listener)) {
			rc = 0;
			break;
		}
		if (nonblock) {
			rc = -EAGAIN;
			break;
		}
		/* unix_wait_for_peer: sleep on the listener until accept makes room. */
		if ((rc = sk_wait_locked(&w, listener)))
			break;
	}
	if (!rc) {
		struct sock *child = listener->ops->child_locked(listener);
		if (!child) {
			rc = -ENOMEM;
		} else {
			stream_pair_locked(client, child);
			client->connecting = false;
			child->uid = listener->uid;
			sock_list_locked(child);        /* an embryo: /proc/net shows it (inode 0) */
			if (client->family == AF_UNIX && t) {
				/* SO_PEERCRED: each end sees the other's credentials. */
				child->peercred = sk_cred_peer(t);
				child->peercred_set = true;
				client->peercred = listener->peercred;
				client->peercred_set = listener->peercred_set;
			}
			/* The queue's reference is the one child_locked returned. */
			if (listener->aq_tail)
				listener->aq_tail->aq_next = child;
			else
				listener->aq_head = child;
			listener->aq_tail = child;
			child->aq_next = NULL;
			listener->aq_len++;
			*childp = child;
			sk_wake(listener, POLLIN | POLLRDNORM);
			sk_wake(client, ~0u);
			if (client->tcp)
				sk_wake_async(client, POLLOUT);    /* tcp_finish_connect */
		}
	}
	sk_wait_done(&w);      /* unlinking takes only waitq.lock: fine under net_lock */
	return rc;
}

int stream_accept(struct sock *sk, bool nonblock, struct sock **out)
{
	struct sk_wait w;
	net_lock();
	sk_wait_init(&w, sk->rcvtimeo_us);
	int rc;
	for (;;) {
		if (sk->state != SK_LISTEN) {
			rc = -EINVAL;
			break;
		}
		struct sock *child = sk->aq_head;
		if (child) {
			sk->aq_head = child->aq_next;
			if (!sk->aq_head)
				sk->aq_tail = NULL;
			child->aq_next = NULL;
			sk->aq_len--;
			*out = child;          /* the queue's reference becomes the caller's */
			sk_wake(sk, POLLOUT);  /* room for a waiting connect */
			if (sk->ops->accepted_locked)
				sk->ops->accepted_locked(sk);
			rc = 0;
			break;
		}
		if (nonblock) {
			rc = -EAGAIN;
			break;
		}
		if ((rc = sk_wait_locked(&w, sk)))
			break;
	}
	net_unlock();
	sk_wait_done(&w);
	return rc;
}

/* ---- sending ---- */

/*
 * May sk send now? 0, or the error the call returns. Linux's order:
 * unix streams check their own shutdown before the pending error, TCP
 * the error first (sk_stream_error), seqpacket the state first.
 */
static int stream_send_check_locked(struct sock *sk, bool *reset_ok)
{
	*reset_ok = false;
	if (sk->tcp) {
		if (sk->connecting)
			return -EAGAIN;        /* still waiting for the listener's backlog */
		if (sk->state != SK_CONNECTED) {
			if (sk->err) {
				int e = sk->err;
				sk->err = 0;
				return -e;
			}
			return -EPIPE;
		}
		if (sk->err) {
			int e = sk->err;
			sk->err = 0;
			return -e;
		}
		if (sk->shutdown & SK_SEND_SHUTDOWN)
			return -EPIPE;
		/* The peer is gone: its stack answers this segment with a reset. */
		if (sk->peer->dead)
			*reset_ok = true;
		return 0;
	}
	if (sk->state != SK_CONNECTED || !sk->peer)
		return -ENOTCONN;
	if (sk->type == SOCK_STREAM && (sk->shutdown & SK_SEND_SHUTDOWN))
		return -EPIPE;
	if (sk->err) {
		int e = sk->err;
		sk->err = 0;
		return -e;
	}
	if (sk->shutdown & SK_SEND_SHUTDOWN)
		return -EPIPE;
	if (sk->peer->dead || (sk->peer->shutdown & SK_RCV_SHUTDOWN))
		return -EPIPE;
	return 0;
}

/* TCP: data sent to a closed peer is answered by a reset. */
static void tcp_reset_locked(struct sock *sk, int err)
{
	sk->err = err;
	sk->shutdown = SK_SHUTDOWN_MASK;
	sk->state = SK_CLOSED;
	sk_wake(sk, ~0u);
}

/*
 * A TCP segment of n bytes from sk to peer: lo's between two guest
 * sockets, eth0's when one end is an egress or --publish proxy (the proxy
 * sending is the outside arriving).
 */
static void stream_account(const struct sock *sk, const struct sock *peer, size_t n)
{
	bool v6 = sk->family == AF_INET6 && peer->family == AF_INET6;
	if ((sk->proxy || peer->proxy) && net_egress_enabled())
		netdev_account(true, sk->proxy, true, false, n);
	else
		netdev_account(false, false, true, v6, n);
}

long stream_send(struct task *t, struct sock *sk, const struct iovec *iov, int iovcnt,
		 struct sk_control *ctl, int flags, bool nonblock)
{
	size_t total = iov_total(iov, iovcnt);
	bool record = sk->type == SOCK_SEQPACKET;
	size_t sent = 0;
	long rc = 0;
	struct sk_wait w;
	net_lock();
	sk_wait_init(&w, sk->sndtimeo_us);
	if (record) {
		if (sk->state != SK_CONNECTED) {
			rc = -ENOTCONN;
			goto out;
		}
		if (total > (size_t)sk->sndbuf - 32) {
			rc = -EMSGSIZE;
			goto out;
		}
	}
	for (;;) {
		bool reset;
		rc = stream_send_check_locked(sk, &reset);
		if (rc)
			break;
		if (reset) {
			tcp_reset_locked(sk, EPIPE);
			sent = total;
			break;
		}
		if (!record && sent == total)
			break;                 /* a stream's empty send: nothing to queue */
		struct sock *peer = sk->peer;
		if (sk->wmem < stream_limit(sk)) {
			size_t n = record ? total : MIN(total - sent, stream_chunk(sk));
			struct sk_msg *m = sk_msg_alloc(n, NULL);
			if (!m) {
				rc = -ENOMEM;
				break;
			}
			iov_to_buf(iov, iovcnt, sent, m->data, n);
			if (ctl && ctl->files) {
				m->files = ctl->files;     /* SCM_RIGHTS ride on the first message */
				ctl->files = NULL;
			}
			if (sk->family == AF_UNIX &&
			    ((ctl && ctl->has_cred) || sk->passcred || peer->passcred)) {
				m->has_cred = true;
				m->cred = ctl && ctl->has_cred ? ctl->cred : sk_cred_scm(t);
			}
			sk_msg_charge_locked(m, sk, n + SK_MSG_OVERHEAD);
			sk_queue_push_locked(peer, m);
			if (sk->tcp)
				stream_account(sk, peer, n);
			sk_wake(peer, POLLIN | POLLRDNORM);
			sent += n;
			if (record || sent == total)
				break;
			continue;
		}
		if (nonblock) {
			rc = -EAGAIN;
			break;
		}
		if ((rc = sk_wait_locked(&w, sk)))
			break;
	}
out:
	net_unlock();
	sk_wait_done(&w);
	if (sent || (record && !rc))
		return (long)sent;
	(void)flags;
	return rc;
}

/* ---- receiving ---- */

static bool cred_eq(const struct sk_msg *m, const struct sk_rcv_ctl *c)
{
	if (m->has_cred != c->has_cred)
		return false;
	return !m->has_cred || (m->cred.pid == c->cred.pid && m->cred.uid == c->cred.uid &&
				m->cred.gid == c->cred.gid);
}

/* Consume n bytes of the head message m (uncharging the sender as it goes). */
static void consume_locked(struct sock *sk, struct sk_msg *m, size_t n)
{
	m->off += n;
	sk->rq_bytes -= n;
	if (m->sender && m->charge > SK_MSG_OVERHEAD) {
		size_t u = MIN(n, m->charge - SK_MSG_OVERHEAD);
		m->charge -= u;
		m->sender->wmem -= MIN(u, m->sender->wmem);
		sk_wake(m->sender, POLLOUT | POLLWRNORM | POLLWRBAND);
	}
}

/*
 * Copy from the queue into m's iovecs (skip bytes already there).
 * Returns the bytes copied; stops at a credentials change (SO_PASSCRED)
 * and after a message that carried files.
 */
static size_t stream_copy_locked(struct sock *sk, struct net_msg *m, size_t skip, size_t total,
				 bool peek, bool discard, struct sk_rcv_ctl *ctl, bool *check)
{
	size_t copied = 0;
	struct sk_msg *msg = sk->rq_head;
	while (msg && skip + copied < total) {
		if (sk->family == AF_UNIX && sk->passcred) {
			/* Never glue messages from different writers. */
			if (*check && !cred_eq(msg, ctl))
				break;
			if (!*check) {
				ctl->has_cred = msg->has_cred;
				ctl->cred = msg->cred;
				*check = true;
			}
		}
		size_t avail = msg->len - msg->off;
		size_t n = MIN(avail, total - skip - copied);
		if (!discard)
			iov_from_buf(m->iov, m->iovcnt, skip + copied, msg->data + msg->off, n);
		copied += n;
		bool files = msg->files != NULL;
		if (files)
			sk_rcv_take_locked(ctl, msg, peek);
		if (peek) {
			if (files)
				break;
			msg = msg->next;
			continue;
		}
		consume_locked(sk, msg, n);
		if (msg->off < msg->len)
			break;                 /* the caller's buffer is full */
		sk_msg_free_locked(sk_queue_pop_locked(sk));
		if (files)
			break;
		msg = sk->rq_head;
	}
	return copied;
}

static long seqpacket_recv(struct task *t, struct sock *sk, struct net_msg *m, int flags,
			   bool nonblock)
{
	size_t total = iov_total(m->iov, m->iovcnt);
	bool peek = flags & MSG_PEEK;
	struct sk_rcv_ctl ctl = { 0 };
	struct sk_addr from = { 0 };
	struct sk_wait w;
	long rc;
	net_lock();
	sk_wait_init(&w, sk->rcvtimeo_us);
	if (sk->state != SK_CONNECTED) {
		rc = -ENOTCONN;
		goto out;
	}
	for (;;) {
		struct sk_msg *msg = sk->rq_head;
		if (msg) {
			size_t len = msg->len - msg->off;
			size_t n = MIN(len, total);
			iov_from_buf(m->iov, m->iovcnt, 0, msg->data + msg->off, n);
			if (n < len)
				m->flags_out |= MSG_TRUNC;
			rc = (flags & MSG_TRUNC) ? (long)len : (long)n;
			sk_rcv_take_locked(&ctl, msg, peek);
			if (sk->peer && sk->peer->addr.len)
				from = sk->peer->addr;
			if (!peek)
				sk_msg_free_locked(sk_queue_pop_locked(sk));
			break;
		}
		if (sk->err) {
			rc = -sk->err;
			sk->err = 0;
			break;
		}
		if (sk->shutdown & SK_RCV_SHUTDOWN) {
			rc = 0;
			break;
		}
		if (nonblock) {
			rc = -EAGAIN;
			break;
		}
		if ((rc = sk_wait_locked(&w, sk)))
			break;
	}
out:;
	bool passcred = sk->passcred;
	net_unlock();
	sk_wait_done(&w);
	if (rc >= 0) {
		sk_copy_name(m, &from);
		sk_rcv_finish(t, passcred, m, &ctl, flags);
	} else {
		m->controllen = 0;
		if (ctl.files)
			sk_rcv_finish(t, false, &(struct net_msg){ 0 }, &ctl, 0);
	}
	return rc;
}

long stream_recv(struct task *t, struct sock *sk, struct net_msg *m, int flags, bool nonblock)
{
	if (sk->type == SOCK_SEQPACKET)
		return seqpacket_recv(t, sk, m, flags, nonblock);
	size_t total = iov_total(m->iov, m->iovcnt);
	bool peek = flags & MSG_PEEK;
	bool waitall = (flags & MSG_WAITALL) && !(flags & MSG_DONTWAIT);
	bool discard = sk->tcp && (flags & MSG_TRUNC);
	struct sk_rcv_ctl ctl = { 0 };
	struct sk_addr from = { 0 };
	struct sk_wait w;
	size_t copied = 0;
	long rc = 0;
	net_lock();
	sk_wait_init(&w, sk->rcvtimeo_us);
	if (sk->tcp ? (sk->state == SK_LISTEN || (sk->state == SK_UNCONNECTED && !sk->connecting))
		    : sk->state != SK_CONNECTED) {
		rc = sk->tcp ? -ENOTCONN : -EINVAL;
		goto out;
	}
	if (!total)
		goto out;
	size_t target = waitall ? total : MIN((size_t)sk->rcvlowat, total);
	bool check = false;
	for (;;) {
		if (peek) {
			/* Nothing is consumed: look from the start each time. */
			if (ctl.files) {
				net_defer_files(ctl.files);
				ctl.files = NULL;
			}
			check = false;
			copied = stream_copy_locked(sk, m, 0, total, true, discard, &ctl, &check);
		} else {
			copied += stream_copy_locked(sk, m, copied, total, false, discard, &ctl,
						     &check);
		}
		if (copied >= target || (copied && ctl.files))
			break;
		if (sk->err) {
			if (!copied)
				rc = -sk->err;
			sk->err = 0;
			break;
		}
		if (sk->shutdown & SK_RCV_SHUTDOWN)
			break;
		if (nonblock) {
			rc = -EAGAIN;
			break;
		}
		if ((rc = sk_wait_locked(&w, sk)))
			break;
		/* A credentials boundary found in the last round may be gone now. */
		if (!copied)
			check = false;
	}
	if (sk->family == AF_UNIX && sk->peer && sk->peer->addr.len)
		from = sk->peer->addr;
out:;
	bool passcred = sk->family == AF_UNIX && sk->passcred;
	net_unlock();
	sk_wait_done(&w);
	if (copied || !rc) {
		sk_copy_name(m, &from);
		sk_rcv_finish(t, passcred && copied, m, &ctl, flags);
		return (long)copied;
	}
	m->controllen = 0;
	if (ctl.files)
		sk_rcv_finish(t, false, &(struct net_msg){ 0 }, &ctl, 0);
	return rc;
}

/* ---- shutdown, release, poll ---- */

int stream_shutdown_locked(struct sock *sk, int how)
{
	if (sk->tcp) {
		if (sk->state != SK_CONNECTED && sk->state != SK_LISTEN) {
			/* inet_shutdown: TCP_CLOSE gives ENOTCONN but wakes pollers anyway. */
			sk->shutdown |= how;
			sk_wake(sk, ~0u);
			return -ENOTCONN;
		}
		if (sk->state == SK_LISTEN) {
			/* Shutting down a listener ends it (tcp_disconnect). */
			if (how & SK_RCV_SHUTDOWN) {
				stream_drop_embryos_locked(sk);
				sk->state = SK_UNCONNECTED;
				sk_wake(sk, ~0u);
			}
			return 0;
		}
	}
	sk->shutdown |= how;
	sk_wake(sk, ~0u);
	struct sock *peer = sk->peer;
	if (peer && sk->state == SK_CONNECTED && !peer->dead) {
		int peer_how = 0;
		if (how & SK_RCV_SHUTDOWN)
			peer_how |= sk->tcp ? 0 : SK_SEND_SHUTDOWN;
		if (how & SK_SEND_SHUTDOWN)
			peer_how |= SK_RCV_SHUTDOWN;
		peer->shutdown |= peer_how;
		sk_wake(peer, ~0u);
		/* unix_shutdown, tcp_fin: the peer hears a hangup, or an end of data. */
		if (peer->shutdown == SK_SHUTDOWN_MASK)
			sk_wake_async(peer, POLLHUP);
		else if (peer_how & SK_RCV_SHUTDOWN)
			sk_wake_async(peer, POLLIN);
	}
	return 0;
}

void stream_abort_locked(struct sock *sk)
{
	net_assert_locked();
	struct sock *peer = sk->peer;
	/* SO_LINGER 0: the reset holds when sk is released later, too. */
	sk->linger_on = true;
	sk->linger = 0;
	if (peer && sk->state == SK_CONNECTED && !peer->dead) {
		tcp_reset_locked(peer, ECONNRESET);
		sk_wake_async(peer, POLLERR);
	}
	sk->shutdown = SK_SHUTDOWN_MASK;
	sk_wake(sk, ~0u);
}

/* The end of one side of a connection (or of an embryo nobody accepted). */
static void stream_disconnect_locked(struct sock *sk, bool embryo)
{
	struct sock *peer = sk->peer;
	if (!peer)
		return;
	if (!peer->dead) {
		bool unread = sk->rq_head != NULL;
		if (sk->tcp) {
			/* Unread data, a refused embryo or SO_LINGER 0 make an abortive close. */
			if (unread || embryo || (sk->linger_on && sk->linger == 0))
				tcp_reset_locked(peer, ECONNRESET);
			else
				peer->shutdown |= SK_RCV_SHUTDOWN;     /* FIN */
		} else {
			peer->shutdown = SK_SHUTDOWN_MASK;
			if (unread || embryo)
				peer->err = ECONNRESET;
		}
		sk_wake(peer, ~0u);
		/* unix_release_sock: POLL_HUP; TCP: a reset's error, or the FIN. */
		if (!sk->tcp || (!peer->err && peer->shutdown == SK_SHUTDOWN_MASK))
			sk_wake_async(peer, POLLHUP);
		else
			sk_wake_async(peer, peer->err ? POLLERR : POLLIN);
	}
	sk->peer = NULL;
	sock_put_locked(peer);
}

/* A listener's connections nobody accepted are reset (unix_release_sock's embrion). */
static void stream_drop_embryos_locked(struct sock *sk)
{
	struct sock *child;
	while ((child = sk->aq_head)) {
		sk->aq_head = child->aq_next;
		child->aq_next = NULL;
		sk->aq_len--;
		child->dead = true;
		stream_disconnect_locked(child, true);
		sk_queue_purge_locked(child);
		if (child->ops->unbind_locked)
			child->ops->unbind_locked(child);
		sock_put_locked(child);
	}
	sk->aq_tail = NULL;
}

void stream_release_locked(struct sock *sk)
{
	if (sk->state == SK_LISTEN)
		stream_drop_embryos_locked(sk);
	stream_disconnect_locked(sk, false);
	sk_queue_purge_locked(sk);
	sk->shutdown = SK_SHUTDOWN_MASK;
	sk_wake(sk, ~0u);
}

uint32_t stream_poll_locked(struct sock *sk)
{
	uint32_t mask = 0;
	if (sk->state == SK_LISTEN)
		return sk->aq_head ? POLLIN | POLLRDNORM : 0;
	if (sk->tcp) {
		if (sk->connecting)
			return sk->err ? POLLERR : 0;  /* SYN_SENT */
		if (sk->shutdown == SK_SHUTDOWN_MASK || sk->state != SK_CONNECTED)
			mask |= POLLHUP;
		if (sk->shutdown & SK_RCV_SHUTDOWN)
			mask |= POLLIN | POLLRDNORM | POLLRDHUP;
		if (sk->rq_bytes >= (size_t)sk->rcvlowat || (sk->rq_bytes && sk->rcvlowat <= 1))
			mask |= POLLIN | POLLRDNORM;
		if (!(sk->shutdown & SK_SEND_SHUTDOWN)) {
			if (stream_writable_locked(sk))
				mask |= POLLOUT | POLLWRNORM;
		} else {
			mask |= POLLOUT | POLLWRNORM;
		}
		if (sk->err)
			mask |= POLLERR;
		return mask;
	}
	if (sk->err)
		mask |= POLLERR;
	if (sk->shutdown == SK_SHUTDOWN_MASK)
		mask |= POLLHUP;
	if (sk->shutdown & SK_RCV_SHUTDOWN)
		mask |= POLLRDHUP | POLLIN | POLLRDNORM;
	if (sk->rq_head)
		mask |= POLLIN | POLLRDNORM;
	if (sk->state != SK_CONNECTED)
		mask |= POLLHUP;
	if (stream_writable_locked(sk))
		mask |= POLLOUT | POLLWRNORM | POLLWRBAND;
	return mask;
}
