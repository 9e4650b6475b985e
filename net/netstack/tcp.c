/*
 * TCP channels: one lwIP tcp_pcb per guest connection, its bytes moved
 * to and from the sentry's channel with flow control both ways.
 *
 * Peer -> sentry: lwIP's recv callback queues pbuf chains on rxq; they
 * are written to the channel as NS_DATA frames while it has room, and
 * only then tcp_recved() opens lwIP's window again, so a guest that does
 * not read closes the window toward the peer. The peer's FIN or reset
 * becomes NS_FIN / NS_RESET after the data before it.
 * Sentry -> peer: one frame at a time into txbuf, handed to tcp_write()
 * as tcp_sndbuf() allows; the channel is not read again until all of it
 * is taken, so a full send buffer toward the peer stops the sentry's pump.
 * NS_FIN: tcp_shutdown(tx) once the data before it is taken; NS_RESET:
 * tcp_abort().
 *
 * The pcb is ours until we tcp_close()/tcp_abort() it or lwIP's err
 * callback reports it freed; t->pcb is NULL from then on. The channel
 * lives until the sentry closes its end (end of file).
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "lwip/tcp.h"
#include "net/netstack/netstack.h"

#define TCP_RXQ 256                    /* pbuf chains waiting for the channel */
#define TCP_FRAME_MAX 61440            /* payload of one frame toward the sentry */

struct ns_tcp {
	struct ns_chan ch;
	struct ns_tcp *next_tcp;       /* in tcps */
	struct tcp_pcb *pcb;           /* NULL once closed, aborted or freed by lwIP */
	bool connected;                /* NS_CONNECTED sent */
	bool rx_end;                   /* the peer's FIN (or reset) seen */
	bool rx_reset;                 /* ... and it was a reset */
	bool rx_end_sent;              /* NS_FIN / NS_RESET written to the channel */
	bool want_out;                 /* the channel was full */
	bool tx_fin;                   /* the sentry's NS_FIN read */
	bool tx_shut;                  /* tcp_shutdown(tx) done */
	bool sentry_eof;               /* the sentry closed its end */
	bool close_pending;            /* tcp_close from the loop, not inside a callback */
	int abort_errno;               /* why we aborted a connecting pcb */
	struct pbuf *rxq[TCP_RXQ];
	unsigned rxq_head, rxq_len;
	uint8_t *txbuf;                /* NS_MAX_PAYLOAD bytes, or more after a drain */
	size_t txcap, txlen, txoff;
};

static struct ns_tcp *tcps;

static int tcp_errno(err_t err)
{
	switch (err) {
	case ERR_RST:
		return ECONNREFUSED;
	case ERR_RTE:
		return ENETUNREACH;
	case ERR_MEM:
	case ERR_BUF:
		return ENOBUFS;
	case ERR_ABRT:
	case ERR_CLSD:
		return ECONNABORTED;
	default:
		return EHOSTUNREACH;
	}
}

/* Forget the pcb: no callback reaches t from now on. */
static struct tcp_pcb *tcp_detach(struct ns_tcp *t)
{
	struct tcp_pcb *pcb = t->pcb;
	t->pcb = NULL;
	if (pcb) {
		tcp_arg(pcb, NULL);
		tcp_recv(pcb, NULL);
		tcp_sent(pcb, NULL);
		tcp_err(pcb, NULL);
	}
	return pcb;
}

static void tcp_chan_abort(struct ns_tcp *t)
{
	struct tcp_pcb *pcb = tcp_detach(t);
	if (pcb)
		tcp_abort(pcb);
}

/* Close the pcb gracefully (our FIN if not yet sent); abort if lwIP cannot. */
static void tcp_chan_close(struct ns_tcp *t)
{
	struct tcp_pcb *pcb = tcp_detach(t);
	if (pcb && tcp_close(pcb) != ERR_OK)
		tcp_abort(pcb);
}

static void tcp_reply(struct ns_tcp *t, int err)
{
	struct ns_frame f = { .type = NS_CONNECTED, .err = err };
	ns_send_frame(t->ch.fd, &f, NULL, 0);  /* the channel is empty: it fits */
	t->connected = true;
}

/*
 * Both directions done: lwIP may finish the connection (TIME_WAIT...) on
 * its own. Closing inside one of lwIP's callbacks could free the pcb under
 * lwIP's feet, so it waits for the loop (tcp_idle).
 */
static void tcp_maybe_release(struct ns_tcp *t)
{
	if (t->pcb && t->rx_end && t->tx_shut && !t->rxq_len)
		t->close_pending = true;
}

/* Write queued peer data to the channel; then the peer's FIN or reset. */
static void tcp_flush_rx(struct ns_tcp *t)
{
	t->want_out = false;
	while (t->rxq_len) {
		if (t->sentry_eof) {
			pbuf_free(t->rxq[t->rxq_head]);
			t->rxq_head = (t->rxq_head + 1) % TCP_RXQ;
			t->rxq_len--;
			continue;
		}
		struct iovec iov[64];
		int n = 0;
		size_t total = 0;
		for (unsigned k = 0; k < t->rxq_len && n < 64; k++) {
			struct pbuf *chain = t->rxq[(t->rxq_head + k) % TCP_RXQ];
			for (struct pbuf *q = chain; q && n < 64; q = q->next) {
				size_t len = q->len;
				if (total + len > TCP_FRAME_MAX)
					len = TCP_FRAME_MAX - total;
				if (!len)
					break;
				iov[n++] = (struct iovec){ q->payload, len };
				total += len;
			}
			if (total >= TCP_FRAME_MAX)
				break;
		}
		struct ns_frame f = { .type = NS_DATA };
		int rc = ns_send_frame(t->ch.fd, &f, iov, n);
		if (rc == -EAGAIN) {
			t->want_out = true;
			return;
		}
		if (rc < 0) {
			t->sentry_eof = true;          /* EPIPE: the sentry is gone */
			continue;
		}
		/* Free what went; give lwIP the window back. */
		size_t left = total;
		while (left) {
			struct pbuf *chain = t->rxq[t->rxq_head];
			size_t take = left < chain->tot_len ? left : chain->tot_len;
			if (take == chain->tot_len) {
				pbuf_free(chain);
				t->rxq_head = (t->rxq_head + 1) % TCP_RXQ;
				t->rxq_len--;
			} else {
				t->rxq[t->rxq_head] = pbuf_free_header(chain, (u16_t)take);
			}
			left -= take;
		}
		for (size_t done = 0; t->pcb && done < total;) {
			u16_t step = total - done > 0xffff ? 0xffff : (u16_t)(total - done);
			tcp_recved(t->pcb, step);
			done += step;
		}
	}
	if (t->rx_end && !t->rx_end_sent && !t->sentry_eof) {
		struct ns_frame f = { .type = t->rx_reset ? NS_RESET : NS_FIN };
		int rc = ns_send_frame(t->ch.fd, &f, NULL, 0);
		if (rc == -EAGAIN) {
			t->want_out = true;
			return;
		}
		t->rx_end_sent = true;
	}
	tcp_maybe_release(t);
}

/* Hand txbuf to lwIP as far as its send buffer allows; then the FIN. */
static void tcp_push_tx(struct ns_tcp *t)
{
	if (!t->pcb)
		return;
	bool wrote = false;
	while (t->txoff < t->txlen) {
		size_t room = tcp_sndbuf(t->pcb);
		if (!room || tcp_sndqueuelen(t->pcb) >= TCP_SND_QUEUELEN - 2)
			break;
		size_t n = t->txlen - t->txoff;
		if (n > room)
			n = room;
		if (n > 0xffff)
			n = 0xffff;
		err_t err = tcp_write(t->pcb, t->txbuf + t->txoff, (u16_t)n,
				      TCP_WRITE_FLAG_COPY | (n < t->txlen - t->txoff ? TCP_WRITE_FLAG_MORE : 0));
		if (err == ERR_MEM)
			break;
		if (err != ERR_OK) {
			/* Not writable any more (lwIP's state says so): drop it. */
			t->txoff = t->txlen;
			break;
		}
		t->txoff += n;
		wrote = true;
	}
	if (t->txoff == t->txlen) {
		t->txoff = t->txlen = 0;
		if (t->sentry_eof) {
			t->close_pending = true;       /* our FIN, if not yet sent */
			return;
		}
		if (t->tx_fin && !t->tx_shut) {
			t->tx_shut = true;
			tcp_shutdown(t->pcb, 0, 1);    /* sends the FIN, keeps the pcb ours */
			wrote = false;
		}
	}
	if (wrote && t->pcb)
		tcp_output(t->pcb);
	tcp_maybe_release(t);
}

/* ---- lwIP's callbacks ---- */

static err_t tcp_on_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct ns_tcp *t = arg;
	if (!t)
		return ERR_OK;
	t->ch.deadline_ms = 0;
	tcp_reply(t, 0);
	return ERR_OK;
}

static err_t tcp_on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct ns_tcp *t = arg;
	if (!t) {
		if (p)
			pbuf_free(p);
		return ERR_OK;
	}
	if (!p) {
		t->rx_end = true;
		tcp_flush_rx(t);
		return ERR_OK;
	}
	if (t->sentry_eof) {
		/* Nobody reads any more: take it and drop it. */
		tcp_recved(pcb, p->tot_len);
		pbuf_free(p);
		return ERR_OK;
	}
	if (t->rxq_len == TCP_RXQ)
		return ERR_MEM;        /* lwIP keeps it and offers it again */
	t->rxq[(t->rxq_head + t->rxq_len++) % TCP_RXQ] = p;
	if (!t->want_out)
		tcp_flush_rx(t);
	return ERR_OK;
}

static err_t tcp_on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	struct ns_tcp *t = arg;
	if (t)
		tcp_push_tx(t);
	return ERR_OK;
}

/* The pcb is already freed: a reset from the peer, or lwIP gave up. */
static void tcp_on_err(void *arg, err_t err)
{
	struct ns_tcp *t = arg;
	if (!t)
		return;
	t->pcb = NULL;
	if (!t->connected) {
		tcp_reply(t, t->abort_errno ? t->abort_errno : tcp_errno(err));
		t->rx_end = t->rx_end_sent = true;
		return;
	}
	t->txoff = t->txlen = 0;
	if (!t->rx_end) {
		t->rx_end = t->rx_reset = true;
		tcp_flush_rx(t);
	}
}

/* ---- the channel ---- */

static short tcp_events(struct ns_chan *ch)
{
	struct ns_tcp *t = (struct ns_tcp *)ch;
	if (t->close_pending) {
		t->close_pending = false;
		tcp_chan_close(t);
	}
	if (t->sentry_eof && !t->pcb) {
		ch->dead = true;
		return NS_CHAN_NOPOLL;
	}
	/*
	 * The sentry hung up and its frames are read: what is left (txbuf
	 * waiting for lwIP's window, our FIN) moves on lwIP's callbacks and
	 * timers, and the closed channel would only report POLLHUP.
	 */
	if (t->sentry_eof)
		return NS_CHAN_NOPOLL;
	short ev = 0;
	if (t->want_out)
		ev |= POLLOUT;
	/* A new frame only once the last one is taken. */
	if (t->connected && !t->sentry_eof && t->txoff == t->txlen && !t->tx_fin)
		ev |= POLLIN;
	return ev;
}

/* Make room for cap more bytes after txlen. */
static bool tcp_tx_reserve(struct ns_tcp *t, size_t more)
{
	if (t->txlen + more <= t->txcap)
		return true;
	size_t cap = t->txlen + more;
	uint8_t *b = realloc(t->txbuf, cap);
	if (!b)
		return false;
	t->txbuf = b;
	t->txcap = cap;
	return true;
}

/*
 * Read frames from the sentry. Normally one, when txbuf is empty; once the
 * sentry has hung up (POLLHUP) everything left, so a reset behind data
 * still gets through (what is left is bounded by the channel's buffer).
 */
static void tcp_read_frames(struct ns_tcp *t, bool drain)
{
	for (;;) {
		if (t->sentry_eof || t->tx_fin || (!drain && t->txoff != t->txlen))
			return;
		if (!tcp_tx_reserve(t, NS_MAX_PAYLOAD)) {
			tcp_chan_abort(t);
			t->sentry_eof = true;
			return;
		}
		struct ns_frame f;
		long n = ns_recv_frame(t->ch.fd, &f, t->txbuf + t->txlen, NS_MAX_PAYLOAD);
		if (n == -EAGAIN)
			return;
		if (n < 0 || (n == 0 && f.type == 0)) {
			/* End of file (or garbage): the sentry is done with us. */
			t->sentry_eof = true;
			return;
		}
		switch (f.type) {
		case NS_DATA:
			if (t->pcb)            /* else reset meanwhile: nowhere to go */
				t->txlen += (size_t)n;
			break;
		case NS_FIN:
			t->tx_fin = true;
			break;
		case NS_RESET:
			/*
			 * What the guest sent before its reset goes out first, as
			 * Linux transmits a send at once, before a later close
			 * with SO_LINGER 0 resets; what lwIP cannot take is lost.
			 */
			tcp_push_tx(t);
			t->txoff = t->txlen = 0;
			tcp_chan_abort(t);
			t->rx_end = t->rx_end_sent = true;
			t->sentry_eof = true;
			return;
		default:
			break;
		}
		if (!drain)
			return;
	}
}

static void tcp_ready(struct ns_chan *ch, short revents)
{
	struct ns_tcp *t = (struct ns_tcp *)ch;
	if (revents & POLLOUT)
		tcp_flush_rx(t);
	if (revents & (POLLHUP | POLLERR)) {
		tcp_read_frames(t, true);
		t->sentry_eof = true;
	} else if (revents & POLLIN) {
		tcp_read_frames(t, false);
	}
	if (t->sentry_eof) {
		/* Drop what the sentry will not read; send what it left, then close. */
		tcp_flush_rx(t);
		if (!t->connected)
			tcp_chan_abort(t);
	}
	tcp_push_tx(t);
}

static void tcp_timeout(struct ns_chan *ch)
{
	struct ns_tcp *t = (struct ns_tcp *)ch;
	if (t->connected || !t->pcb)
		return;
	/* tcp_abort calls tcp_on_err, which replies. */
	t->abort_errno = ETIMEDOUT;
	tcp_abort(t->pcb);
}

/*
 * An ICMP destination unreachable quoting our SYN: the connect fails with
 * err at once, as Linux fails a connection in SYN_SENT (tcp_v4_err); later
 * ones are ignored, as lwIP and Linux treat them as soft errors.
 */
void ns_tcp_icmp_error(uint16_t local_port, uint32_t addr, uint16_t port, int err)
{
	for (struct ns_tcp *t = tcps; t; t = t->next_tcp) {
		if (t->ch.dead || t->connected || !t->pcb || t->pcb->local_port != local_port ||
		    t->pcb->remote_port != port || ip4_addr_get_u32(ip_2_ip4(&t->pcb->remote_ip)) != addr)
			continue;
		t->abort_errno = err;
		tcp_abort(t->pcb);             /* tcp_on_err replies */
		return;
	}
}

static void tcp_destroy(struct ns_chan *ch)
{
	struct ns_tcp *t = (struct ns_tcp *)ch;
	for (struct ns_tcp **pp = &tcps; *pp; pp = &(*pp)->next_tcp)
		if (*pp == t) {
			*pp = t->next_tcp;
			break;
		}
	tcp_chan_abort(t);
	while (t->rxq_len) {
		pbuf_free(t->rxq[t->rxq_head]);
		t->rxq_head = (t->rxq_head + 1) % TCP_RXQ;
		t->rxq_len--;
	}
	close(ch->fd);
	free(t->txbuf);
	free(t);
}

void ns_tcp_open(int fd, uint32_t addr, uint16_t port)
{
	struct ns_tcp *t = calloc(1, sizeof(*t));
	struct tcp_pcb *pcb = t && ns_dest_ok(addr) ? tcp_new_ip_type(IPADDR_TYPE_V4) : NULL;
	if (!pcb) {
		struct ns_frame f = { .type = NS_CONNECTED,
				      .err = ns_dest_ok(addr) ? ENOBUFS : ENETUNREACH };
		ns_send_frame(fd, &f, NULL, 0);
		close(fd);
		free(t);
		return;
	}
	t->ch = (struct ns_chan){ .fd = fd, .events = tcp_events, .ready = tcp_ready,
				  .timeout = tcp_timeout, .destroy = tcp_destroy };
	t->pcb = pcb;
	tcp_arg(pcb, t);
	tcp_recv(pcb, tcp_on_recv);
	tcp_sent(pcb, tcp_on_sent);
	tcp_err(pcb, tcp_on_err);
	tcp_nagle_disable(pcb);
	ns_chan_add(&t->ch);
	t->next_tcp = tcps;
	tcps = t;
	ip_addr_t dst;
	ip_addr_set_ip4_u32_val(dst, addr);
	err_t err = tcp_connect(pcb, &dst, port, tcp_on_connected);
	if (err != ERR_OK) {
		tcp_chan_abort(t);
		tcp_reply(t, tcp_errno(err));
		t->rx_end = t->rx_end_sent = true;
		return;
	}
	t->ch.deadline_ms = ns_now_ms() + NS_TCP_CONNECT_TIMEOUT_S * 1000;
}
