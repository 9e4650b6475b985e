/*
 * The generic socket layer: socket objects behind files (sockfs), the net
 * lock and its deferred file puts, receive-queue messages, control
 * messages (SCM_RIGHTS, SCM_CREDENTIALS), blocking waits with
 * SO_RCVTIMEO/SO_SNDTIMEO, SOL_SOCKET options, and the net_* calls the
 * syscall layer makes (net/net.h), which dispatch to the family's ops.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/sockios.h>
#include "net/net_internal.h"
#include "sentry/fasync.h"
#include "sentry/mm.h"
#include "sentry/task.h"

#define SOCKFS_MAGIC 0x534F434B
#define SK_TIMEO_INF UINT64_MAX

#ifndef SO_RCVTIMEO_NEW
#define SO_RCVTIMEO_NEW 66
#define SO_SNDTIMEO_NEW 67
#endif
#define SO_RCVTIMEO_OLD 20
#define SO_SNDTIMEO_OLD 21
#define CAP_SETGID 6
#define CAP_SETUID 7
#define CAP_NET_ADMIN 12

/* ---- the lock and deferred file puts ---- */

static pthread_mutex_t net_mutex = PTHREAD_MUTEX_INITIALIZER;
static __thread bool net_held;
/* Files dropped under the lock by this thread, put by net_unlock. */
static __thread struct sk_files *net_deferred;

void net_lock(void)
{
	pthread_mutex_lock(&net_mutex);
	net_held = true;
}

void net_unlock(void)
{
	struct sk_files *list = net_deferred;
	net_deferred = NULL;
	net_held = false;
	pthread_mutex_unlock(&net_mutex);
	/* A put file may be a socket whose release takes the lock again. */
	while (list) {
		struct sk_files *next = list->next;
		for (int i = 0; i < list->n; i++)
			file_put(list->f[i]);
		free(list);
		list = next;
	}
}

void net_assert_locked(void)
{
	if (!net_held)
		abort();
}

void net_defer_files(struct sk_files *files)
{
	net_assert_locked();
	if (!files)
		return;
	files->next = net_deferred;
	net_deferred = files;
}

/* ---- socket objects ---- */

static const struct file_ops sock_fops;
static struct super_block *sockfs_sb;
static pthread_once_t sockfs_once = PTHREAD_ONCE_INIT;

static void sockfs_init(void)
{
	vfs_lock();
	sockfs_sb = sb_create("sockfs", SOCKFS_MAGIC);
	/*
	 * Inode numbers in the range a booted Linux hands out (get_next_ino):
	 * net-tools' netstat -p ignores "socket:[N]" links shorter than 11
	 * characters, i.e. inodes below 100.
	 */
	if (sockfs_sb)
		sockfs_sb->next_ino = 10000;
	vfs_unlock();
}

struct sock *sock_alloc(int family, int type, int protocol, const struct sock_ops *ops)
{
	struct sock *sk = calloc(1, sizeof(*sk));
	if (!sk)
		return NULL;
	sk->refs = 1;
	sk->family = family;
	sk->type = type;
	sk->protocol = protocol;
	sk->ops = ops;
	sk->state = SK_UNCONNECTED;
	sk->sndbuf = SK_WMEM_DEFAULT;
	sk->rcvbuf = SK_RMEM_DEFAULT;
	sk->rcvlowat = 1;
	sk->rcvtimeo_us = sk->sndtimeo_us = SK_TIMEO_INF;
	sk->peercred = (struct sk_cred){ 0, (uint32_t)-1, (uint32_t)-1 };
	waitq_init(&sk->wq);
	return sk;
}

/* Every socket /proc/net lists (net_lock). */
static struct sock *sock_all;

void sock_list_locked(struct sock *sk)
{
	net_assert_locked();
	if (sk->all_listed)
		return;
	sk->all_listed = true;
	sk->all_prev = NULL;
	sk->all_next = sock_all;
	if (sock_all)
		sock_all->all_prev = sk;
	sock_all = sk;
}

struct sock *sock_list_first_locked(void)
{
	net_assert_locked();
	return sock_all;
}

static void sock_unlist_locked(struct sock *sk)
{
	if (!sk->all_listed)
		return;
	if (sk->all_prev)
		sk->all_prev->all_next = sk->all_next;
	else
		sock_all = sk->all_next;
	if (sk->all_next)
		sk->all_next->all_prev = sk->all_prev;
	sk->all_listed = false;
}

void sock_get_locked(struct sock *sk)
{
	net_assert_locked();
	sk->refs++;
}

void sock_put_locked(struct sock *sk)
{
	net_assert_locked();
	if (--sk->refs)
		return;
	/* Released sockets have purged their queues; embryos die through release too. */
	sk_queue_purge_locked(sk);
	if (sk->peer) {
		struct sock *p = sk->peer;
		sk->peer = NULL;
		sock_put_locked(p);
	}
	sock_unlist_locked(sk);
	if (sk->ops->destroy)
		sk->ops->destroy(sk);
	waitq_destroy(&sk->wq);
	free(sk);
}

struct sock *sock_of(struct file *f)
{
	return f && f->fops == &sock_fops ? f->priv : NULL;
}

bool net_is_socket(struct file *f)
{
	return sock_of(f) != NULL;
}

static bool sk_is_stream(const struct sock *sk)
{
	return sk->type == SOCK_STREAM || sk->type == SOCK_SEQPACKET;
}

/* The end of a socket: its file was released (or it never got one). */
void sock_release(struct sock *sk)
{
	net_lock();
	sk->dead = true;
	if (sk_is_stream(sk))
		stream_release_locked(sk);
	else
		dgram_release_locked(sk);
	if (sk->ops->unbind_locked)
		sk->ops->unbind_locked(sk);
	net_unlock();
	if (sk->ops->release_unlocked)
		sk->ops->release_unlocked(sk);
	net_lock();
	sock_put_locked(sk);
	net_unlock();
}

int sock_file_create(struct sock *sk, const struct cred *cred, int flags, struct file **out)
{
	pthread_once(&sockfs_once, sockfs_init);
	struct inode *inode = NULL;
	if (sockfs_sb) {
		vfs_lock();
		inode = inode_alloc(sockfs_sb, S_IFSOCK | 0777, NULL, &sock_fops);
		vfs_unlock();
	}
	if (!inode) {
		sock_release(sk);
		return -ENOMEM;
	}
	inode->uid = cred->fsuid;
	inode->gid = cred->fsgid;
	net_lock();
	sk->ino = inode->ino;
	sk->uid = cred->fsuid;
	sock_list_locked(sk);
	net_unlock();
	char name[40];
	snprintf(name, sizeof(name), "socket:[%llu]", (unsigned long long)inode->ino);
	struct file *f = file_alloc_anon(inode, &sock_fops, sk, O_RDWR | (flags & O_NONBLOCK), name);
	vfs_lock();
	inode_put(inode);      /* the file holds its own reference */
	vfs_unlock();
	if (!f) {
		sock_release(sk);
		return -ENOMEM;
	}
	*out = f;
	return 0;
}

struct sk_cred sk_cred_peer(struct task *t)
{
	return (struct sk_cred){ t->tg->tgid, t->cred.euid, t->cred.egid };
}

struct sk_cred sk_cred_scm(struct task *t)
{
	return (struct sk_cred){ t->tg->tgid, t->cred.uid, t->cred.gid };
}

void sk_wake(struct sock *sk, uint32_t events)
{
	waitq_wake(&sk->wq, events);
}

void sk_wake_async(struct sock *sk, uint32_t events)
{
	fasync_notify(&sk->wq, events);
}

/* ---- messages ---- */

struct sk_msg *sk_msg_alloc(size_t len, const struct sk_addr *from)
{
	size_t extra = from ? sizeof(struct sk_addr) : 0;
	struct sk_msg *m = malloc(sizeof(*m) + extra + len);
	if (!m)
		return NULL;
	memset(m, 0, sizeof(*m));
	char *p = (char *)(m + 1);
	if (from) {
		m->from = (struct sk_addr *)p;
		m->from->len = from->len;
		memcpy(m->from->bytes, from->bytes, MIN(from->len, (uint32_t)NET_ADDR_MAX));
		p += extra;
	}
	m->data = p;
	m->len = len;
	return m;
}

void sk_msg_charge_locked(struct sk_msg *m, struct sock *sender, size_t charge)
{
	sock_get_locked(sender);
	m->sender = sender;
	m->charge = charge;
	sender->wmem += charge;
}

void sk_msg_free_locked(struct sk_msg *m)
{
	net_assert_locked();
	if (m->sender) {
		struct sock *s = m->sender;
		s->wmem -= MIN(m->charge, s->wmem);
		sk_wake(s, POLLOUT | POLLWRNORM | POLLWRBAND);
		sock_put_locked(s);
	}
	net_defer_files(m->files);
	free(m);
}

void sk_queue_push_locked(struct sock *sk, struct sk_msg *m)
{
	m->next = NULL;
	if (sk->rq_tail)
		sk->rq_tail->next = m;
	else
		sk->rq_head = m;
	sk->rq_tail = m;
	sk->rq_bytes += m->len - m->off;
	sk->rq_len++;
}

struct sk_msg *sk_queue_pop_locked(struct sock *sk)
{
	struct sk_msg *m = sk->rq_head;
	if (!m)
		return NULL;
	sk->rq_head = m->next;
	if (!sk->rq_head)
		sk->rq_tail = NULL;
	sk->rq_bytes -= m->len - m->off;
	sk->rq_len--;
	return m;
}

void sk_queue_purge_locked(struct sock *sk)
{
	struct sk_msg *m;
	while ((m = sk_queue_pop_locked(sk)))
		sk_msg_free_locked(m);
}

/* ---- control messages ---- */

static void sk_files_put_now(struct sk_files *files)
{
	if (!files)
		return;
	for (int i = 0; i < files->n; i++)
		file_put(files->f[i]);
	free(files);
}

void sk_control_release(struct sk_control *c)
{
	sk_files_put_now(c->files);
	c->files = NULL;
}

/* Linux's scm_check_creds, plus the pid lookup of __scm_send. */
static int sk_check_creds(struct task *t, const struct ucred *uc)
{
	const struct cred *c = &t->cred;
	if (uc->uid == (uid_t)-1 || uc->gid == (gid_t)-1)
		return -EINVAL;
	bool pid_ok = uc->pid == t->tg->tgid || cred_capable(c, CAP_SYS_ADMIN);
	bool uid_ok = uc->uid == c->uid || uc->uid == c->euid || uc->uid == c->suid ||
		      cred_capable(c, CAP_SETUID);
	bool gid_ok = uc->gid == c->gid || uc->gid == c->egid || uc->gid == c->sgid ||
		      cred_capable(c, CAP_SETGID);
	if (!pid_ok || !uid_ok || !gid_ok)
		return -EPERM;
	if (uc->pid != t->tg->tgid) {
		struct task *other = uc->pid > 0 ? task_lookup(uc->pid) : NULL;
		if (!other)
			return -ESRCH;
		task_put(other);
	}
	return 0;
}

static int sk_rights_add(struct task *t, struct sk_control *out, const char *data, int n)
{
	int have = out->files ? out->files->n : 0;
	if (have + n > SK_SCM_MAX_FD)
		return -EINVAL;
	if (!out->files) {
		out->files = calloc(1, sizeof(struct sk_files) + SK_SCM_MAX_FD * sizeof(struct file *));
		if (!out->files)
			return -ENOMEM;
	}
	for (int i = 0; i < n; i++) {
		int fd;
		memcpy(&fd, data + i * sizeof(int), sizeof(int));
		struct file *f = fd >= 0 ? fdt_get_file(t->files, fd) : NULL;
		if (!f)
			return -EBADF;
		out->files->f[out->files->n++] = f;
	}
	return 0;
}

int sk_control_parse(struct task *t, const void *buf, size_t len, bool is_unix,
		     struct sk_control *out)
{
	memset(out, 0, sizeof(*out));
	const char *p = buf;
	size_t off = 0;
	int rc = 0;
	while (!rc && len - off >= sizeof(struct cmsghdr)) {
		struct cmsghdr h;
		memcpy(&h, p + off, sizeof(h));
		if (h.cmsg_len < sizeof(struct cmsghdr) || h.cmsg_len > len - off) {
			rc = -EINVAL;
			break;
		}
		const char *data = p + off + CMSG_LEN(0);
		size_t dlen = h.cmsg_len - CMSG_LEN(0);
		if (h.cmsg_level == SOL_SOCKET) {
			if (!is_unix) {
				rc = -EINVAL;          /* sock_cmsg_send: SCM_* are AF_UNIX's */
			} else if (h.cmsg_type == SCM_RIGHTS) {
				int n = (int)(dlen / sizeof(int));
				if (n > 0)
					rc = sk_rights_add(t, out, data, n);
			} else if (h.cmsg_type == SCM_CREDENTIALS) {
				struct ucred uc;
				if (h.cmsg_len != CMSG_LEN(sizeof(uc))) {
					rc = -EINVAL;
					break;
				}
				memcpy(&uc, data, sizeof(uc));
				rc = sk_check_creds(t, &uc);
				if (!rc) {
					out->has_cred = true;
					out->cred = (struct sk_cred){ uc.pid, uc.uid, uc.gid };
				}
			} else {
				rc = -EINVAL;
			}
		}
		/* Other levels (IPPROTO_IP...) are the protocol's; ignored here. */
		off += CMSG_ALIGN(h.cmsg_len);
		if (off > len)
			break;
	}
	if (rc)
		sk_control_release(out);
	return rc;
}

void sk_put_cmsg(struct sk_cmsg_out *o, int level, int type, const void *data, size_t len)
{
	size_t left = o->cap - o->used;
	if (!o->buf || left < sizeof(struct cmsghdr)) {
		*o->flags |= MSG_CTRUNC;
		return;
	}
	size_t cmlen = CMSG_LEN(len);
	if (left < cmlen) {
		*o->flags |= MSG_CTRUNC;
		cmlen = left;
	}
	struct cmsghdr h = { .cmsg_len = cmlen, .cmsg_level = level, .cmsg_type = type };
	memcpy(o->buf + o->used, &h, sizeof(h));
	memcpy(o->buf + o->used + CMSG_LEN(0), data, MIN(cmlen - sizeof(h), len));
	o->used += MIN(CMSG_SPACE(len), left);
}

void sk_put_rights(struct task *t, struct sk_cmsg_out *o, struct sk_files *files, bool cloexec)
{
	size_t left = o->buf ? o->cap - o->used : 0;
	int fdmax = left <= sizeof(struct cmsghdr) ? 0
			: (int)((left - sizeof(struct cmsghdr)) / sizeof(int));
	fdmax = MIN(fdmax, files->n);
	uint64_t nofile = t->tg->rlimits[RLIMIT_NOFILE].rlim_cur;
	int i;
	for (i = 0; i < fdmax; i++) {
		int fd = fdt_install(t->files, files->f[i], cloexec ? FDT_CLOEXEC : 0, 0, nofile);
		if (fd < 0)
			break;
		memcpy(o->buf + o->used + CMSG_LEN(0) + i * sizeof(int), &fd, sizeof(int));
	}
	if (i > 0) {
		struct cmsghdr h = { .cmsg_len = CMSG_LEN(i * sizeof(int)), .cmsg_level = SOL_SOCKET,
				     .cmsg_type = SCM_RIGHTS };
		memcpy(o->buf + o->used, &h, sizeof(h));
		o->used += MIN(CMSG_SPACE(i * sizeof(int)), left);
	}
	if (i < files->n || (files->n && fdmax <= 0))
		*o->flags |= MSG_CTRUNC;
	sk_files_put_now(files);
}

/* Duplicate a file list (MSG_PEEK of SCM_RIGHTS: the files stay queued). */
static struct sk_files *sk_files_dup(struct sk_files *src)
{
	struct sk_files *c = malloc(sizeof(*c) + src->n * sizeof(struct file *));
	if (!c)
		return NULL;
	c->next = NULL;
	c->n = src->n;
	for (int i = 0; i < src->n; i++) {
		file_get(src->f[i]);
		c->f[i] = src->f[i];
	}
	return c;
}

void sk_copy_name(struct net_msg *m, const struct sk_addr *a)
{
	if (!m->name)
		return;
	m->namelen = a ? a->len : 0;
	if (a && a->len)
		memcpy(m->name, a->bytes, MIN(a->len, (uint32_t)NET_ADDR_MAX));
}

void sk_rcv_take_locked(struct sk_rcv_ctl *c, struct sk_msg *msg, bool peek)
{
	if (msg->has_cred && !c->has_cred) {
		c->has_cred = true;
		c->cred = msg->cred;
	}
	if (msg->files && !c->files) {
		if (peek) {
			c->files = sk_files_dup(msg->files);
		} else {
			c->files = msg->files;
			msg->files = NULL;
		}
	}
}

void sk_rcv_finish(struct task *t, bool passcred, struct net_msg *m, struct sk_rcv_ctl *c,
		   int flags)
{
	struct sk_cmsg_out o = { m->control, m->control ? m->controllen : 0, c->used,
				 &m->flags_out };
	if (passcred) {
		/* A message queued before SO_PASSCRED carries none: zeros, as Linux's empty skb cb. */
		struct ucred uc = { 0, 0, 0 };
		if (c->has_cred)
			uc = (struct ucred){ c->cred.pid, c->cred.uid, c->cred.gid };
		sk_put_cmsg(&o, SOL_SOCKET, SCM_CREDENTIALS, &uc, sizeof(uc));
	}
	if (c->files) {
		if (m->control) {
			sk_put_rights(t, &o, c->files, flags & MSG_CMSG_CLOEXEC);
		} else {
			/* No control buffer (or read(2)): the files are dropped (scm_recv). */
			m->flags_out |= MSG_CTRUNC;
			sk_files_put_now(c->files);
		}
		c->files = NULL;
	}
	m->controllen = o.used;
}

/* ---- waiting ---- */

void sk_wait_init(struct sk_wait *w, uint64_t timeout_us)
{
	w->linked = false;
	w->has_deadline = timeout_us != SK_TIMEO_INF;
	if (w->has_deadline)
		w->deadline = waitq_deadline_after(timeout_us * 1000);
}

int sk_wait_locked(struct sk_wait *w, struct sock *on)
{
	if (!w->linked) {
		waiter_init(&w->w);
		w->linked = true;
		if (waiter_add(&w->w, &on->wq, ~0u))
			return -ENOMEM;
		return 0;                      /* linked: look once more before sleeping */
	}
	net_unlock();
	int rc = waiter_wait(&w->w, w->has_deadline ? &w->deadline : NULL);
	net_lock();
	waiter_reset(&w->w);
	if (rc == -ETIMEDOUT)
		return -EAGAIN;
	if (rc == -EINTR)
		return w->has_deadline ? -EINTR : -ERESTARTSYS;
	return 0;
}

void sk_wait_done(struct sk_wait *w)
{
	if (w->linked)
		waiter_destroy(&w->w);
	w->linked = false;
}

/* ---- file operations ---- */

static bool sk_nonblock(struct file *f, int flags)
{
	return (file_flags(f) & O_NONBLOCK) || (flags & MSG_DONTWAIT);
}

static long sock_do_recv(struct task *t, struct sock *sk, struct net_msg *m, int flags,
			 bool nonblock)
{
	if (sk_is_stream(sk))
		return stream_recv(t, sk, m, flags, nonblock);
	return dgram_recv(t, sk, m, flags, nonblock);
}

static ssize_t sock_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t off)
{
	struct sock *sk = f->priv;
	/* sock_read_iter: an empty read returns 0 at once (SysV behaviour). */
	if (!iov_total(iov, iovcnt))
		return 0;
	struct net_msg m = { .iov = iov, .iovcnt = iovcnt };
	return sock_do_recv(task_current(), sk, &m, 0, sk_nonblock(f, 0));
}

static ssize_t sock_write(struct file *f, const struct iovec *iov, int iovcnt, int64_t off)
{
	struct sock *sk = f->priv;
	struct net_msg m = { .iov = iov, .iovcnt = iovcnt };
	return sk->ops->sendmsg(task_current(), sk, &m, 0, sk_nonblock(f, 0));
}

static uint32_t sock_poll(struct file *f, struct waiter *w)
{
	struct sock *sk = f->priv;
	if (!sk)
		return POLLNVAL;
	if (w)
		waiter_add(w, &sk->wq, ~0u);
	net_lock();
	uint32_t mask = sk_is_stream(sk) ? stream_poll_locked(sk) : dgram_poll_locked(sk);
	net_unlock();
	return mask;
}

static long sock_ioctl(struct file *f, struct task *t, unsigned cmd, uint64_t arg)
{
	struct sock *sk = f->priv;
	int amount = 0;
	long rc = 0;
	if (sk->ops->no_queue_ioctls && (cmd == SIOCINQ || cmd == SIOCOUTQ))
		return netdev_ioctl(t, sk->family, cmd, arg);
	switch (cmd) {
	case SIOCINQ:                          /* = FIONREAD */
		net_lock();
		if (sk->state == SK_LISTEN)
			rc = -EINVAL;
		else if (sk_is_stream(sk))
			amount = (int)MIN(sk->rq_bytes, (size_t)INT32_MAX);
		else if (sk->rq_head)
			amount = (int)(sk->rq_head->len - sk->rq_head->off);
		net_unlock();
		break;
	case SIOCOUTQ:
		net_lock();
		if (sk->tcp && sk->state == SK_LISTEN)
			rc = -EINVAL;
		else if (sk->family == AF_UNIX)
			amount = (int)MIN(sk->wmem, (size_t)INT32_MAX);
		/* inet on loopback: the peer has the data, so nothing is unacknowledged. */
		net_unlock();
		break;
	default:
		/* sock_do_ioctl: what the family does not know goes to dev_ioctl. */
		return netdev_ioctl(t, sk->family, cmd, arg);
	}
	if (rc)
		return rc;
	return mm_copy_out(t->mm, gaddr(arg), &amount, sizeof(amount));
}

static void sock_file_release(struct file *f)
{
	struct sock *sk = f->priv;
	if (!sk)
		return;
	f->priv = NULL;
	sock_release(sk);
}

/*
 * O_ASYNC (sock_fasync): data (POLL_IN), room (POLL_OUT), errors (POLL_ERR)
 * through the socket's wakes; state changes signal only where the engines
 * call sk_wake_async, as Linux's sk_wake_async calls (a peer's close or
 * shutdown, a TCP connection's end).
 */
static int sock_fasync(struct file *f, int fd, bool on)
{
	struct sock *sk = f->priv;
	if (!sk)
		return 0;
	uint32_t events = POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM | POLLWRBAND | POLLERR |
			  POLLHUP;
	return fasync_update(&sk->wq, file_fown(f), fd, events, 0, on);
}

static const struct file_ops sock_fops = {
	.read = sock_read,
	.write = sock_write,
	.ioctl = sock_ioctl,
	.release = sock_file_release,
	.poll = sock_poll,
	.fasync = sock_fasync,
	.unlocked = true,
	.stream = true,
};

/* ---- SOL_SOCKET options ---- */

/* Linux's sock_set_timeout: jiffies (SK_HZ), rounded up; 0/0 means forever. */
static int sk_set_timeout(uint64_t *timeo, const void *val, uint32_t len)
{
	struct timeval tv;
	if (len < sizeof(tv))
		return -EINVAL;
	if (!val)
		return -EFAULT;
	memcpy(&tv, val, sizeof(tv));
	if (tv.tv_usec < 0 || tv.tv_usec >= 1000000)
		return -EDOM;
	if (tv.tv_sec < 0) {
		*timeo = 0;                    /* Linux: a negative time means "do not wait" */
		return 0;
	}
	if (tv.tv_sec == 0 && tv.tv_usec == 0) {
		*timeo = SK_TIMEO_INF;
		return 0;
	}
	uint64_t per = 1000000 / SK_HZ;
	uint64_t jiffies = (uint64_t)tv.tv_sec * SK_HZ + ((uint64_t)tv.tv_usec + per - 1) / per;
	*timeo = (uint64_t)tv.tv_sec > (UINT32_MAX / SK_HZ) ? SK_TIMEO_INF : jiffies * per;
	return 0;
}

static void sk_get_timeout(uint64_t timeo, struct timeval *tv)
{
	if (timeo == SK_TIMEO_INF) {
		tv->tv_sec = tv->tv_usec = 0;
		return;
	}
	tv->tv_sec = (time_t)(timeo / 1000000);
	tv->tv_usec = (suseconds_t)(timeo % 1000000);
}

static int sk_setsockopt_socket(struct task *t, struct sock *sk, int name, const void *val,
				uint32_t len)
{
	if (name == SO_BINDTODEVICE) {
		char dev[16] = { 0 };
		if (len && !val)
			return -EFAULT;
		memcpy(dev, val, MIN(len, (uint32_t)sizeof(dev) - 1));
		return !dev[0] || !strcmp(dev, "lo") ? 0 : -ENODEV;
	}
	if (len < sizeof(int))
		return -EINVAL;
	if (!val)
		return -EFAULT;
	int v;
	memcpy(&v, val, sizeof(v));
	bool on = v != 0;
	int rc = 0;
	net_lock();
	switch (name) {
	case SO_DEBUG:
	case SO_DONTROUTE:
	case SO_NO_CHECK:
	case SO_BSDCOMPAT:
	case SO_TIMESTAMP:
	case SO_TIMESTAMPNS:
	case SO_TIMESTAMPING:
	case SO_RXQ_OVFL:
	case SO_WIFI_STATUS:
	case SO_SELECT_ERR_QUEUE:
	case SO_BUSY_POLL:
	case SO_INCOMING_CPU:
	case SO_ZEROCOPY:
	case SO_PASSSEC:
		break;                         /* accepted; nothing in the sandbox depends on them */
	case SO_REUSEADDR:
		sk->reuseaddr = on;
		break;
	case SO_REUSEPORT:
		if (on && sk->family != AF_INET && sk->family != AF_INET6)
			rc = -EOPNOTSUPP;
		else
			sk->reuseport = on;
		break;
	case SO_KEEPALIVE:
		sk->keepalive = on;
		break;
	case SO_BROADCAST:
		sk->broadcast = on;
		break;
	case SO_OOBINLINE:
		sk->oobinline = on;
		break;
	case SO_PASSCRED:
		sk->passcred = on;
		break;
	case SO_PRIORITY:
		if ((v < 0 || v > 6) && !cred_capable(&t->cred, CAP_NET_ADMIN))
			rc = -EPERM;
		break;
	case SO_MARK:
		if (!cred_capable(&t->cred, CAP_NET_ADMIN))
			rc = -EPERM;
		break;
	case SO_SNDBUF:
	case SO_SNDBUFFORCE: {
		uint32_t u = (uint32_t)v;
		if (name == SO_SNDBUFFORCE && !cred_capable(&t->cred, CAP_NET_ADMIN)) {
			rc = -EPERM;
			break;
		}
		if (name == SO_SNDBUF)
			u = MIN(u, (uint32_t)SK_WMEM_MAX);
		else if (v < 0)
			u = 0;
		u = MIN(u, (uint32_t)(INT32_MAX / 2));
		sk->sndbuf = MAX((int)u * 2, SK_MIN_SNDBUF);
		sk->sndbuf_set = true;
		sk_wake(sk, POLLOUT | POLLWRNORM);
		break;
	}
	case SO_RCVBUF:
	case SO_RCVBUFFORCE: {
		uint32_t u = (uint32_t)v;
		if (name == SO_RCVBUFFORCE && !cred_capable(&t->cred, CAP_NET_ADMIN)) {
			rc = -EPERM;
			break;
		}
		if (name == SO_RCVBUF)
			u = MIN(u, (uint32_t)SK_RMEM_MAX);
		else if (v < 0)
			u = 0;
		u = MIN(u, (uint32_t)(INT32_MAX / 2));
		sk->rcvbuf = MAX((int)u * 2, SK_MIN_RCVBUF);
		break;
	}
	case SO_LINGER: {
		struct linger l;
		if (len < sizeof(l)) {
			rc = -EINVAL;
			break;
		}
		memcpy(&l, val, sizeof(l));
		if (!l.l_onoff) {
			sk->linger_on = false;
		} else {
			sk->linger_on = true;
			sk->linger = l.l_linger < 0 ? 0 : l.l_linger;
		}
		break;
	}
	case SO_RCVLOWAT:
		sk->rcvlowat = v < 0 ? INT32_MAX : (v ? v : 1);
		sk_wake(sk, POLLIN);
		break;
	case SO_RCVTIMEO_OLD:
	case SO_RCVTIMEO_NEW:
		rc = sk_set_timeout(&sk->rcvtimeo_us, val, len);
		break;
	case SO_SNDTIMEO_OLD:
	case SO_SNDTIMEO_NEW:
		rc = sk_set_timeout(&sk->sndtimeo_us, val, len);
		break;
	default:
		rc = -ENOPROTOOPT;
	}
	net_unlock();
	return rc;
}

static int sk_getsockopt_socket(struct task *t, struct sock *sk, int name, void *val,
				uint32_t *len)
{
	union {
		int i;
		struct linger l;
		struct timeval tv;
		struct ucred uc;
		uint8_t addr[NET_ADDR_MAX];
	} v;
	uint32_t lv = sizeof(int);
	memset(&v, 0, sizeof(v));
	int rc = 0;
	net_lock();
	switch (name) {
	case SO_TYPE:
		v.i = sk->type;
		break;
	case SO_DOMAIN:
		v.i = sk->family;
		break;
	case SO_PROTOCOL:
		v.i = sk->protocol;
		break;
	case SO_ERROR:
		v.i = sk->err;
		sk->err = 0;
		break;
	case SO_ACCEPTCONN:
		v.i = sk->state == SK_LISTEN;
		break;
	case SO_REUSEADDR:
		v.i = sk->reuseaddr;
		break;
	case SO_REUSEPORT:
		v.i = sk->reuseport;
		break;
	case SO_KEEPALIVE:
		v.i = sk->keepalive;
		break;
	case SO_BROADCAST:
		v.i = sk->broadcast;
		break;
	case SO_OOBINLINE:
		v.i = sk->oobinline;
		break;
	case SO_PASSCRED:
		v.i = sk->passcred;
		break;
	case SO_SNDBUF:
		v.i = sk->sndbuf;
		break;
	case SO_RCVBUF:
		v.i = sk->rcvbuf;
		break;
	case SO_RCVLOWAT:
		v.i = sk->rcvlowat;
		break;
	case SO_SNDLOWAT:
		v.i = 1;
		break;
	case SO_DEBUG:
	case SO_DONTROUTE:
	case SO_PRIORITY:
	case SO_MARK:
	case SO_NO_CHECK:
	case SO_TIMESTAMP:
	case SO_TIMESTAMPNS:
	case SO_BSDCOMPAT:
		v.i = 0;
		break;
	case SO_LINGER:
		lv = sizeof(v.l);
		v.l.l_onoff = sk->linger_on;
		v.l.l_linger = sk->linger;
		break;
	case SO_RCVTIMEO_OLD:
	case SO_RCVTIMEO_NEW:
		lv = sizeof(v.tv);
		sk_get_timeout(sk->rcvtimeo_us, &v.tv);
		break;
	case SO_SNDTIMEO_OLD:
	case SO_SNDTIMEO_NEW:
		lv = sizeof(v.tv);
		sk_get_timeout(sk->sndtimeo_us, &v.tv);
		break;
	case SO_PEERCRED:
		lv = sizeof(v.uc);
		v.uc.pid = sk->peercred.pid;
		v.uc.uid = sk->peercred.uid;
		v.uc.gid = sk->peercred.gid;
		break;
	default:
		rc = -ENOPROTOOPT;
	}
	net_unlock();
	(void)t;
	if (rc)
		return rc;
	uint32_t n = MIN(*len, lv);
	memcpy(val, &v, n);
	*len = n;
	return 0;
}

/* ---- the calls (net/net.h) ---- */

#define SOCK_TYPE_MASK 0xf
#define SK_AF_MAX 46
#define SK_SOCK_MAX 11
#define CAP_NET_RAW 13

static int sk_create(struct task *t, int family, int type, int protocol, struct sock **out)
{
	if (family < 0 || family >= SK_AF_MAX)
		return -EAFNOSUPPORT;
	if (type < 0 || type >= SK_SOCK_MAX)
		return -EINVAL;
	switch (family) {
	case AF_UNIX:
		return unix_create(t, type, protocol, out);
	case AF_INET:
	case AF_INET6:
		return inet_create(t, family, type, protocol, out);
	case AF_PACKET:
		/* packet_create wants CAP_NET_RAW; the sandbox has no devices to tap. */
		if (type != SOCK_DGRAM && type != SOCK_RAW && type != SOCK_PACKET)
			return -ESOCKTNOSUPPORT;
		return cred_capable(&t->cred, CAP_NET_RAW) ? -EAFNOSUPPORT : -EPERM;
	case AF_NETLINK:
		return netlink_create(t, type, protocol, out);
	default:
		return -EAFNOSUPPORT;
	}
}

int net_socket(struct task *t, int family, int type, int protocol, struct file **out)
{
	int flags = type & ~SOCK_TYPE_MASK;
	if (flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK))
		return -EINVAL;
	struct sock *sk;
	int rc = sk_create(t, family, type & SOCK_TYPE_MASK, protocol, &sk);
	if (rc)
		return rc;
	return sock_file_create(sk, &t->cred, (flags & SOCK_NONBLOCK) ? O_NONBLOCK : 0, out);
}

int net_socketpair(struct task *t, int family, int type, int protocol, struct file *out[2])
{
	int flags = type & ~SOCK_TYPE_MASK;
	if (flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK))
		return -EINVAL;
	type &= SOCK_TYPE_MASK;
	if (family != AF_UNIX) {
		/* Create as Linux does (its errors come first), then sock_no_socketpair. */
		struct sock *sk;
		int rc = sk_create(t, family, type, protocol, &sk);
		if (rc)
			return rc;
		net_lock();
		sk->dead = true;
		sock_put_locked(sk);
		net_unlock();
		return -EOPNOTSUPP;
	}
	struct sock *a, *b;
	int rc = unix_socketpair(t, type, protocol, &a, &b);
	if (rc)
		return rc;
	int fl = (flags & SOCK_NONBLOCK) ? O_NONBLOCK : 0;
	net_lock();
	sock_get_locked(b);        /* b survives a's failure below until we drop this */
	net_unlock();
	rc = sock_file_create(a, &t->cred, fl, &out[0]);
	if (rc) {
		sock_release(b);       /* its file reference, never used */
		net_lock();
		sock_put_locked(b);
		net_unlock();
		return rc;
	}
	rc = sock_file_create(b, &t->cred, fl, &out[1]);
	net_lock();
	sock_put_locked(b);
	net_unlock();
	if (rc) {
		file_put(out[0]);
		return rc;
	}
	return 0;
}

int net_bind(struct task *t, struct file *f, const void *addr, uint32_t len)
{
	struct sock *sk = sock_of(f);
	if (!sk)
		return -ENOTSOCK;
	return sk->ops->bind(t, sk, addr, len);
}

int net_listen(struct file *f, int backlog)
{
	struct sock *sk = sock_of(f);
	if (!sk)
		return -ENOTSOCK;
	/* __sys_listen: a backlog above somaxconn (negative ones too) is somaxconn. */
	if ((unsigned)backlog > SK_SOMAXCONN)
		backlog = SK_SOMAXCONN;
	if (!sk->ops->listen_locked)
		return -EOPNOTSUPP;
	net_lock();
	int rc = sk->ops->listen_locked(sk, backlog);
	net_unlock();
	return rc;
}

int net_accept(struct task *t, struct file *f, int flags, struct file **out, void *addr,
	       uint32_t *addrlen)
{
	struct sock *sk = sock_of(f);
	if (!sk)
		return -ENOTSOCK;
	if (flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK))
		return -EINVAL;
	if (!sk_is_stream(sk))
		return -EOPNOTSUPP;
	struct sock *child;
	int rc = stream_accept(sk, sk_nonblock(f, 0), &child);
	if (rc)
		return rc;
	if (addr) {
		struct sk_addr a;
		net_lock();
		if (sk->ops->getname_locked(child, true, &a))
			a.len = 0;
		net_unlock();
		memcpy(addr, a.bytes, MIN(a.len, (uint32_t)NET_ADDR_MAX));
		*addrlen = a.len;
	}
	return sock_file_create(child, &t->cred, (flags & SOCK_NONBLOCK) ? O_NONBLOCK : 0, out);
}

int net_connect(struct task *t, struct file *f, const void *addr, uint32_t len)
{
	struct sock *sk = sock_of(f);
	if (!sk)
		return -ENOTSOCK;
	return sk->ops->connect(t, sk, addr, len, sk_nonblock(f, 0));
}

int net_getname(struct file *f, bool peer, void *addr, uint32_t *addrlen)
{
	struct sock *sk = sock_of(f);
	if (!sk)
		return -ENOTSOCK;
	struct sk_addr a;
	net_lock();
	int rc = sk->ops->getname_locked(sk, peer, &a);
	net_unlock();
	if (rc)
		return rc;
	memcpy(addr, a.bytes, MIN(a.len, (uint32_t)NET_ADDR_MAX));
	*addrlen = a.len;
	return 0;
}

int net_shutdown(struct file *f, int how)
{
	struct sock *sk = sock_of(f);
	if (!sk)
		return -ENOTSOCK;
	if (how < SHUT_RD || how > SHUT_RDWR)
		return -EINVAL;
	net_lock();
	int rc = sk_is_stream(sk) ? stream_shutdown_locked(sk, how + 1)
				  : dgram_shutdown_locked(sk, how + 1);
	net_unlock();
	return rc;
}

int net_setsockopt(struct task *t, struct file *f, int level, int name, const void *val,
		   uint32_t len)
{
	struct sock *sk = sock_of(f);
	if (!sk)
		return -ENOTSOCK;
	if (level == SOL_SOCKET)
		return sk_setsockopt_socket(t, sk, name, val, len);
	if (!sk->ops->setsockopt)
		return -EOPNOTSUPP;
	return sk->ops->setsockopt(t, sk, level, name, val, len);
}

int net_getsockopt(struct task *t, struct file *f, int level, int name, void *val, int *len)
{
	struct sock *sk = sock_of(f);
	if (!sk)
		return -ENOTSOCK;
	if (level != SOL_SOCKET && !sk->ops->getsockopt)
		return -EOPNOTSUPP;
	if (*len < 0)
		return -EINVAL;
	uint32_t n = (uint32_t)*len;
	int rc = level == SOL_SOCKET ? sk_getsockopt_socket(t, sk, name, val, &n)
				     : sk->ops->getsockopt(t, sk, level, name, val, &n);
	if (!rc)
		*len = (int)n;
	return rc;
}

int net_sock_type(struct file *f)
{
	struct sock *sk = sock_of(f);
	return sk ? sk->type : -ENOTSOCK;
}

long net_sendmsg(struct task *t, struct file *f, struct net_msg *m, int flags)
{
	struct sock *sk = sock_of(f);
	if (!sk)
		return -ENOTSOCK;
	return sk->ops->sendmsg(t, sk, m, flags, sk_nonblock(f, flags));
}

long net_recvmsg(struct task *t, struct file *f, struct net_msg *m, int flags)
{
	struct sock *sk = sock_of(f);
	if (!sk)
		return -ENOTSOCK;
	m->flags_out = flags & MSG_CMSG_CLOEXEC;
	if (flags & MSG_OOB) {
		m->controllen = 0;
		return sk_is_stream(sk) && sk->family != AF_UNIX ? -EINVAL : -EOPNOTSUPP;
	}
	if ((flags & MSG_ERRQUEUE) && sk->family != AF_UNIX) {
		m->controllen = 0;
		return -EAGAIN;                /* the error queue is always empty */
	}
	return sock_do_recv(t, sk, m, flags, sk_nonblock(f, flags));
}
