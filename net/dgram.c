/*
 * The datagram engine: AF_UNIX SOCK_DGRAM (net/unix/af_unix.c's
 * unix_dgram_*) and the queueing half of loopback UDP (net/inet.c
 * decides where a UDP datagram goes).
 *
 * A datagram is one sk_msg on the receiver's queue, with the sender's
 * address. AF_UNIX senders are charged for their datagrams (SO_SNDBUF)
 * and wait when the receiver holds more than max_dgram_qlen (10) of them
 * and is not connected back to the sender; UDP never waits: a datagram
 * that does not fit the receiver's SO_RCVBUF is dropped.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include "net/net_internal.h"
#include "sentry/task.h"

#define DGRAM_MSG_OVERHEAD 256

static bool unix_recvq_full(const struct sock *other)
{
	return other->rq_len > SK_UNIX_MAX_DGRAM_QLEN;
}

long dgram_queue_locked(struct task *t, struct sock *sk, struct sock *target,
			const struct iovec *iov, int iovcnt, size_t len, struct sk_control *ctl,
			const struct sk_addr *from, const struct sk_pktinfo *pi)
{
	struct sk_msg *m = sk_msg_alloc(len, from);
	if (!m)
		return -ENOMEM;
	if (pi)
		m->pkt = *pi;
	iov_to_buf(iov, iovcnt, 0, m->data, len);
	if (sk->family == AF_UNIX) {
		if (ctl && ctl->files) {
			m->files = ctl->files;
			ctl->files = NULL;
		}
		if ((ctl && ctl->has_cred) || sk->passcred || target->passcred) {
			m->has_cred = true;
			m->cred = ctl && ctl->has_cred ? ctl->cred : sk_cred_scm(t);
		}
		sk_msg_charge_locked(m, sk, len + DGRAM_MSG_OVERHEAD);
	}
	sk_queue_push_locked(target, m);
	sk_wake(target, POLLIN | POLLRDNORM);
	return (long)len;
}

/* unix_dgram_disconnected: our queue is dropped when the peer goes away. */
static void unix_dgram_disconnected_locked(struct sock *sk, struct sock *old)
{
	if (!sk->rq_head)
		return;
	sk_queue_purge_locked(sk);
	sk_wake(sk, POLLOUT | POLLWRNORM);
	if (!old->dead && old->peer == sk) {
		old->err = ECONNRESET;
		sk_wake(old, POLLERR);
	}
}

void dgram_set_peer_locked(struct sock *sk, struct sock *other)
{
	struct sock *old = sk->peer;
	if (other)
		sock_get_locked(other);
	sk->peer = other;
	if (old) {
		if (old != other)
			unix_dgram_disconnected_locked(sk, old);
		sk_wake(old, POLLOUT | POLLWRNORM);     /* writers waiting for our queue */
		sock_put_locked(old);
	}
}

long dgram_send(struct task *t, struct sock *sk, struct sock *target, const struct iovec *iov,
		int iovcnt, struct sk_control *ctl, const struct sk_addr *from, bool nonblock)
{
	size_t len = iov_total(iov, iovcnt);
	struct sk_wait w;
	long rc;
	net_lock();
	sk_wait_init(&w, sk->sndtimeo_us);
	struct sock *waiting_on = NULL;
	for (;;) {
		/* sock_alloc_send_pskb: pending error, shutdown, our send buffer. */
		if (sk->err) {
			rc = -sk->err;
			sk->err = 0;
			break;
		}
		if (sk->shutdown & SK_SEND_SHUTDOWN) {
			rc = -EPIPE;
			break;
		}
		struct sock *wait_on = NULL;
		if (sk->wmem >= (size_t)sk->sndbuf) {
			wait_on = sk;
		} else {
			if (target->peer && target->peer != sk) {
				rc = -EPERM;           /* unix_may_send */
				break;
			}
			if (target->dead) {
				if (sk->peer == target) {
					dgram_set_peer_locked(sk, NULL);
					sk_wake(sk, ~0u);
				}
				rc = -ECONNREFUSED;
				break;
			}
			if (target->shutdown & SK_RCV_SHUTDOWN) {
				rc = -EPIPE;
				break;
			}
			if (target != sk && target->peer != sk && unix_recvq_full(target))
				wait_on = target;
		}
		if (!wait_on) {
			rc = dgram_queue_locked(t, sk, target, iov, iovcnt, len, ctl,
						from ? from : &sk->addr, NULL);
			break;
		}
		if (nonblock) {
			rc = -EAGAIN;
			break;
		}
		if (w.linked && waiting_on != wait_on) {
			/* The thing to wait for changed: link on the other queue. */
			sk_wait_done(&w);
			waiting_on = NULL;
		}
		waiting_on = wait_on;
		if ((rc = sk_wait_locked(&w, wait_on)))
			break;
	}
	sk_wait_done(&w);
	net_unlock();
	return rc;
}

long dgram_recv(struct task *t, struct sock *sk, struct net_msg *m, int flags, bool nonblock)
{
	size_t total = iov_total(m->iov, m->iovcnt);
	bool peek = flags & MSG_PEEK;
	struct sk_rcv_ctl ctl = { 0 };
	struct sk_addr from = { 0 };
	struct sk_wait w;
	long rc;
	net_lock();
	sk_wait_init(&w, sk->rcvtimeo_us);
	for (;;) {
		/* __skb_try_recv_datagram: the pending error comes before the data. */
		if (sk->err) {
			rc = -sk->err;
			sk->err = 0;
			break;
		}
		struct sk_msg *msg = sk->rq_head;
		if (msg) {
			size_t len = msg->len - msg->off;
			size_t n = MIN(len, total);
			iov_from_buf(m->iov, m->iovcnt, 0, msg->data + msg->off, n);
			if (n < len)
				m->flags_out |= MSG_TRUNC;
			rc = (flags & MSG_TRUNC) && !sk->ops->recv_trunc_copied ? (long)len : (long)n;
			if (msg->from)
				from = *msg->from;
			if (sk->ops->recv_cmsgs_locked && msg->pkt.valid) {
				/* ip_cmsg_recv & co. come before SCM data (inet has none). */
				struct sk_cmsg_out o = { m->control, m->control ? m->controllen : 0,
							 0, &m->flags_out };
				sk->ops->recv_cmsgs_locked(sk, msg, &o);
				ctl.used = o.used;
			}
			sk_rcv_take_locked(&ctl, msg, peek);
			if (!peek) {
				sk_msg_free_locked(sk_queue_pop_locked(sk));
				/* Writers waiting for room in our queue (unix peer_wait). */
				sk_wake(sk, POLLOUT | POLLWRNORM | POLLWRBAND);
			}
			break;
		}
		if (nonblock) {
			rc = -EAGAIN;
			break;
		}
		if (sk->shutdown & SK_RCV_SHUTDOWN) {
			rc = 0;
			break;
		}
		if ((rc = sk_wait_locked(&w, sk)))
			break;
	}
	bool passcred = sk->family == AF_UNIX && sk->passcred;
	if (rc >= 0 && sk->ops->recv_name_locked)
		sk->ops->recv_name_locked(sk, &from);
	sk_wait_done(&w);
	net_unlock();
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

int dgram_shutdown_locked(struct sock *sk, int how)
{
	sk->shutdown |= how;
	sk_wake(sk, ~0u);
	if (sk->udp && !sk->remote.len)
		return -ENOTCONN;              /* inet_shutdown of a TCP_CLOSE socket */
	return 0;
}

void dgram_release_locked(struct sock *sk)
{
	sk_queue_purge_locked(sk);
	if (sk->peer) {
		struct sock *p = sk->peer;
		sk->peer = NULL;
		sk_wake(p, ~0u);
		sock_put_locked(p);
	}
	sk->shutdown = SK_SHUTDOWN_MASK;
	sk_wake(sk, ~0u);
}

uint32_t dgram_poll_locked(struct sock *sk)
{
	uint32_t mask = 0;
	if (sk->err)
		mask |= POLLERR;
	if (sk->shutdown & SK_RCV_SHUTDOWN)
		mask |= POLLRDHUP | POLLIN | POLLRDNORM;
	if (sk->shutdown == SK_SHUTDOWN_MASK)
		mask |= POLLHUP;
	if (sk->rq_head)
		mask |= POLLIN | POLLRDNORM;
	bool writable;
	if (sk->udp) {
		writable = true;               /* loopback datagrams leave at once */
	} else {
		writable = sk->wmem * 4 <= (size_t)sk->sndbuf;
		struct sock *other = sk->peer;
		if (writable && other && !other->dead && other->peer != sk && unix_recvq_full(other))
			writable = false;
	}
	if (writable)
		mask |= POLLOUT | POLLWRNORM | POLLWRBAND;
	return mask;
}
