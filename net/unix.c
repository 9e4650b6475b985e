/*
 * AF_UNIX: SOCK_STREAM, SOCK_DGRAM and SOCK_SEQPACKET (Linux's
 * net/unix/af_unix.c). This file owns the addresses: bind to a path
 * (an S_IFSOCK node in the sentry VFS, fs/socknode.c), the abstract
 * namespace (sun_path[0] == 0, private to this sandbox), autobind
 * ("\0" + five hex digits), and the lookups connect/sendto make. Data
 * moves through the engines (net/stream.c, net/dgram.c).
 *
 * The namespace is one list of bound sockets (unix_bound), under
 * net_lock. A path-bound socket holds its node's path (dentry and mount
 * references) until release; the list is keyed by the node's inode,
 * which that path keeps alive.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include "fs/socknode.h"
#include "net/net_internal.h"
#include "sentry/task.h"

#define UNIX_PATH_OFF offsetof(struct sockaddr_un, sun_path)

/* Family state of an AF_UNIX socket. */
struct unix_priv {
	struct unix_priv *next;        /* in unix_bound (net_lock) */
	struct sock *sk;
	bool listed;
	struct path path;              /* the bound node (references), or {0} */
	struct inode *node;            /* its inode: the lookup key (no reference of its own) */
};

static struct unix_priv *unix_bound;
static unsigned unix_ordernum;

static const struct sock_ops unix_stream_ops;
static const struct sock_ops unix_dgram_ops;

static struct unix_priv *unix_of(struct sock *sk)
{
	return sk->fpriv;
}

static struct sock *unix_alloc(int type)
{
	struct unix_priv *u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	struct sock *sk = sock_alloc(AF_UNIX, type, 0,
				     type == SOCK_DGRAM ? &unix_dgram_ops : &unix_stream_ops);
	if (!sk) {
		free(u);
		return NULL;
	}
	u->sk = sk;
	sk->fpriv = u;
	return sk;
}

int unix_create(struct task *t, int type, int protocol, struct sock **out)
{
	if (protocol && protocol != AF_UNIX)
		return -EPROTONOSUPPORT;
	switch (type) {
	case SOCK_STREAM:
	case SOCK_SEQPACKET:
	case SOCK_DGRAM:
		break;
	case SOCK_RAW:
		type = SOCK_DGRAM;     /* unix_create: SOCK_RAW is SOCK_DGRAM */
		break;
	default:
		return -ESOCKTNOSUPPORT;
	}
	struct sock *sk = unix_alloc(type);
	if (!sk)
		return -ENOMEM;
	*out = sk;
	return 0;
}

int unix_socketpair(struct task *t, int type, int protocol, struct sock **a, struct sock **b)
{
	int rc = unix_create(t, type, protocol, a);
	if (rc)
		return rc;
	rc = unix_create(t, type, protocol, b);
	net_lock();
	if (rc) {
		(*a)->dead = true;
		sock_put_locked(*a);
		net_unlock();
		return rc;
	}
	if ((*a)->type == SOCK_DGRAM) {
		dgram_set_peer_locked(*a, *b);
		dgram_set_peer_locked(*b, *a);
	} else {
		stream_pair_locked(*a, *b);
	}
	(*a)->peercred = (*b)->peercred = sk_cred_peer(t);
	(*a)->peercred_set = (*b)->peercred_set = true;
	net_unlock();
	return 0;
}

/* ---- addresses and the namespace ---- */

/* unix_validate_addr: a family and at least one byte of name, at most sockaddr_un. */
static int unix_validate(const void *addr, uint32_t len)
{
	if (len <= UNIX_PATH_OFF || len > sizeof(struct sockaddr_un))
		return -EINVAL;
	if (((const struct sockaddr *)addr)->sa_family != AF_UNIX)
		return -EINVAL;
	return 0;
}

/*
 * The canonical address of a guest sockaddr_un (already validated): a path
 * name ends at its first NUL (unix_mkname_bsd), an abstract one is all len
 * bytes. *path is set for path names.
 */
static void unix_mkname(const void *addr, uint32_t len, struct sk_addr *out, const char **path)
{
	memset(out, 0, sizeof(*out));
	memcpy(out->bytes, addr, len);
	const char *name = (const char *)out->bytes + UNIX_PATH_OFF;
	if (name[0]) {
		/* bytes[len] is inside the buffer (NET_ADDR_MAX > sizeof(sockaddr_un)). */
		out->bytes[len] = 0;
		out->len = (uint32_t)(UNIX_PATH_OFF + strlen(name) + 1);
		*path = name;
	} else {
		out->len = len;
		*path = NULL;
	}
}

static void unix_list_locked(struct unix_priv *u)
{
	u->next = unix_bound;
	unix_bound = u;
	u->listed = true;
}

static void unix_unlist_locked(struct unix_priv *u)
{
	if (!u->listed)
		return;
	for (struct unix_priv **pp = &unix_bound; *pp; pp = &(*pp)->next) {
		if (*pp == u) {
			*pp = u->next;
			break;
		}
	}
	u->listed = false;
}

static struct sock *unix_find_abstract_locked(const struct sk_addr *a)
{
	for (struct unix_priv *u = unix_bound; u; u = u->next)
		if (!u->node && !u->sk->dead && u->sk->addr.len == a->len &&
		    !memcmp(u->sk->addr.bytes, a->bytes, a->len))
			return u->sk;
	return NULL;
}

static struct sock *unix_find_node_locked(struct inode *node)
{
	for (struct unix_priv *u = unix_bound; u; u = u->next)
		if (u->node == node && !u->sk->dead)
			return u->sk;
	return NULL;
}

/* unix_autobind: an abstract "\0xxxxx" name nobody holds (net_lock held). */
static int unix_autobind_locked(struct sock *sk)
{
	if (sk->addr.len)
		return 0;
	struct sk_addr a;
	memset(&a, 0, sizeof(a));
	a.family = AF_UNIX;
	a.len = UNIX_PATH_OFF + 6;
	if (!unix_ordernum)
		unix_ordernum = (unsigned)(kernel_uptime_ns() >> 10) & 0xfffff;
	for (unsigned tries = 0; tries <= 0xfffff; tries++) {
		unix_ordernum = (unix_ordernum + 1) & 0xfffff;
		char name[8];
		snprintf(name, sizeof(name), "%05x", unix_ordernum);
		memcpy(a.bytes + UNIX_PATH_OFF + 1, name, 5);
		if (!unix_find_abstract_locked(&a)) {
			sk->addr = a;
			unix_list_locked(unix_of(sk));
			return 0;
		}
	}
	return -ENOSPC;
}

static int unix_bind(struct task *t, struct sock *sk, const void *addr, uint32_t len)
{
	if (len == UNIX_PATH_OFF && ((const struct sockaddr *)addr)->sa_family == AF_UNIX) {
		net_lock();
		int rc = unix_autobind_locked(sk);
		net_unlock();
		return rc;
	}
	int rc = unix_validate(addr, len);
	if (rc)
		return rc;
	struct sk_addr a;
	const char *path;
	unix_mkname(addr, len, &a, &path);
	struct unix_priv *u = unix_of(sk);
	if (!path) {
		net_lock();
		if (sk->addr.len)
			rc = -EINVAL;
		else if (unix_find_abstract_locked(&a))
			rc = -EADDRINUSE;
		else {
			sk->addr = a;
			unix_list_locked(u);
		}
		net_unlock();
		return rc;
	}
	/* Create the node first (its errors come first), as unix_bind_bsd. */
	struct path p;
	rc = vfs_socket_bind(t->fs, &t->cred, path, &p);
	if (rc)
		return rc;
	net_lock();
	if (sk->addr.len) {
		net_unlock();
		vfs_socket_put(&p, NULL);
		vfs_unlinkat(t->fs, &t->cred, NULL, path, 0);
		return -EINVAL;
	}
	sk->addr = a;
	u->path = p;
	u->node = p.dentry->inode;
	unix_list_locked(u);
	net_unlock();
	return 0;
}

/*
 * unix_find_other: the socket named by a guest address, with a reference
 * (net_lock not held: a path resolves through the VFS).
 */
static int unix_find_other(struct task *t, struct sock *sk, const void *addr, uint32_t len,
			   struct sock **out)
{
	struct sk_addr a;
	const char *path;
	unix_mkname(addr, len, &a, &path);
	struct inode *node = NULL;
	if (path) {
		int rc = vfs_socket_find(t->fs, &t->cred, path, &node);
		if (rc)
			return rc;
	}
	int rc = 0;
	net_lock();
	struct sock *other = path ? unix_find_node_locked(node) : unix_find_abstract_locked(&a);
	if (!other)
		rc = -ECONNREFUSED;
	else if (other->type != sk->type)
		rc = -EPROTOTYPE;
	else
		sock_get_locked(other);
	net_unlock();
	if (node)
		vfs_socket_put(NULL, node);
	if (!rc)
		*out = other;
	return rc;
}

static void unix_drop_ref(struct sock *sk)
{
	net_lock();
	sock_put_locked(sk);
	net_unlock();
}

static int unix_getname_locked(struct sock *sk, bool peer, struct sk_addr *out)
{
	struct sock *s = sk;
	if (peer) {
		s = sk->peer;
		if (!s)
			return -ENOTCONN;
	}
	if (s->addr.len) {
		*out = s->addr;
	} else {
		memset(out, 0, sizeof(*out));
		out->family = AF_UNIX;
		out->len = UNIX_PATH_OFF;
	}
	return 0;
}

/* ---- connection-oriented (SOCK_STREAM, SOCK_SEQPACKET) ---- */

static int unix_listen_locked(struct sock *sk, int backlog)
{
	if (!sk->addr.len)
		return -EINVAL;        /* no listens on an unbound socket */
	int rc = stream_listen_locked(sk, backlog);
	if (!rc) {
		struct task *t = task_current();
		if (t) {
			sk->peercred = sk_cred_peer(t);
			sk->peercred_set = true;
		}
	}
	return rc;
}

static struct sock *unix_child_locked(struct sock *listener)
{
	struct sock *child = unix_alloc(listener->type);
	if (!child)
		return NULL;
	child->addr = listener->addr;  /* the accepted socket is named like its listener */
	return child;
}

static int unix_stream_connect(struct task *t, struct sock *sk, const void *addr, uint32_t len,
			       bool nonblock)
{
	int rc = unix_validate(addr, len);
	if (rc)
		return rc;
	net_lock();
	if (sk->passcred)
		unix_autobind_locked(sk);
	net_unlock();
	struct sock *other;
	if ((rc = unix_find_other(t, sk, addr, len, &other)))
		return rc;
	net_lock();
	struct sock *child;
	rc = stream_connect_locked(t, sk, other, nonblock, &child);
	sock_put_locked(other);
	net_unlock();
	return rc;
}

/* The errors the control buffer gives come before the state's (scm_send first). */
static int unix_parse_control(struct task *t, struct net_msg *m, struct sk_control *ctl)
{
	memset(ctl, 0, sizeof(*ctl));
	if (!m->control || !m->controllen)
		return 0;
	return sk_control_parse(t, m->control, m->controllen, true, ctl);
}

static long unix_stream_sendmsg(struct task *t, struct sock *sk, struct net_msg *m, int flags,
				bool nonblock)
{
	struct sk_control ctl;
	if (sk->type == SOCK_SEQPACKET) {
		/* unix_seqpacket_sendmsg: the pending error and the state come first. */
		net_lock();
		int err = sk->err;
		sk->err = 0;
		bool connected = sk->state == SK_CONNECTED;
		net_unlock();
		if (err)
			return -err;
		if (!connected)
			return -ENOTCONN;
	}
	long rc = unix_parse_control(t, m, &ctl);
	if (rc)
		return rc;
	if (flags & MSG_OOB) {
		rc = -EOPNOTSUPP;
	} else if (sk->type == SOCK_STREAM && m->name && m->namelen) {
		net_lock();
		rc = sk->state == SK_CONNECTED ? -EISCONN : -EOPNOTSUPP;
		net_unlock();
	} else {
		rc = stream_send(t, sk, m->iov, m->iovcnt, &ctl, flags, nonblock);
	}
	sk_control_release(&ctl);
	return rc;
}

/* ---- datagrams ---- */

static int unix_dgram_connect(struct task *t, struct sock *sk, const void *addr, uint32_t len,
			      bool nonblock)
{
	if (len < sizeof(sa_family_t))
		return -EINVAL;
	struct sock *other = NULL;
	if (((const struct sockaddr *)addr)->sa_family != AF_UNSPEC) {
		int rc = unix_validate(addr, len);
		if (rc)
			return rc;
		net_lock();
		if (sk->passcred)
			unix_autobind_locked(sk);
		net_unlock();
		if ((rc = unix_find_other(t, sk, addr, len, &other)))
			return rc;
	}
	int rc = 0;
	net_lock();
	if (other && other->peer && other->peer != sk)
		rc = -EPERM;           /* unix_may_send */
	else
		dgram_set_peer_locked(sk, other);
	sk_wake(sk, ~0u);
	if (other)
		sock_put_locked(other);
	net_unlock();
	return rc;
}

static long unix_dgram_sendmsg(struct task *t, struct sock *sk, struct net_msg *m, int flags,
			       bool nonblock)
{
	struct sk_control ctl;
	long rc = unix_parse_control(t, m, &ctl);
	if (rc)
		return rc;
	struct sock *target = NULL;
	size_t len = iov_total(m->iov, m->iovcnt);
	if (flags & MSG_OOB) {
		rc = -EOPNOTSUPP;
		goto out;
	}
	if (m->name && m->namelen) {
		if ((rc = unix_validate(m->name, m->namelen)))
			goto out;
	} else {
		net_lock();
		target = sk->peer;
		if (target)
			sock_get_locked(target);
		net_unlock();
		if (!target) {
			rc = -ENOTCONN;
			goto out;
		}
	}
	net_lock();
	if (sk->passcred)
		unix_autobind_locked(sk);
	bool too_big = len > (size_t)sk->sndbuf - 32;
	net_unlock();
	if (too_big) {
		rc = -EMSGSIZE;
		goto out;
	}
	if (!target && (rc = unix_find_other(t, sk, m->name, m->namelen, &target)))
		goto out;
	rc = dgram_send(t, sk, target, m->iov, m->iovcnt, &ctl, NULL, nonblock);
out:
	if (target)
		unix_drop_ref(target);
	sk_control_release(&ctl);
	return rc;
}

/* ---- release ---- */

static void unix_unbind_locked(struct sock *sk)
{
	unix_unlist_locked(unix_of(sk));
}

static void unix_release_unlocked(struct sock *sk)
{
	struct unix_priv *u = unix_of(sk);
	if (u->path.dentry) {
		struct path p = u->path;
		u->path.dentry = NULL;
		u->node = NULL;
		vfs_socket_put(&p, NULL);
	}
}

static void unix_destroy(struct sock *sk)
{
	free(sk->fpriv);
	sk->fpriv = NULL;
}

static const struct sock_ops unix_stream_ops = {
	.bind = unix_bind,
	.connect = unix_stream_connect,
	.listen_locked = unix_listen_locked,
	.sendmsg = unix_stream_sendmsg,
	.getname_locked = unix_getname_locked,
	.child_locked = unix_child_locked,
	.unbind_locked = unix_unbind_locked,
	.release_unlocked = unix_release_unlocked,
	.destroy = unix_destroy,
};

static const struct sock_ops unix_dgram_ops = {
	.bind = unix_bind,
	.connect = unix_dgram_connect,
	.sendmsg = unix_dgram_sendmsg,
	.getname_locked = unix_getname_locked,
	.unbind_locked = unix_unbind_locked,
	.release_unlocked = unix_release_unlocked,
	.destroy = unix_destroy,
};
