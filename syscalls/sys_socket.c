/*
 * The socket calls: socket, socketpair, bind, listen, accept, accept4,
 * connect, getsockname, getpeername, sendto, recvfrom, sendmsg, recvmsg,
 * sendmmsg, recvmmsg, shutdown, setsockopt, getsockopt (net/net.h).
 *
 * This layer owns guest memory: addresses, msghdrs, control buffers and
 * option values are copied in once and validated here, in Linux's order
 * (net/socket.c: move_addr_to_kernel, copy_msghdr_from_user...); data
 * buffers are translated into host iovecs over the MemoryFile. SIGPIPE
 * for a stream send that fails with EPIPE is raised here (MSG_NOSIGNAL).
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "net/net.h"
#include "sentry/kernel_internal.h"
#include "sentry/waitq.h"
#include "syscalls/sys_fs_util.h"

#ifndef MSG_CMSG_COMPAT
#define MSG_CMSG_COMPAT 0x80000000
#endif
#ifndef MSG_WAITFORONE
#define MSG_WAITFORONE 0x10000
#endif
/* Host control-buffer cap for recvmsg: far above what any message carries. */
#define RECV_CONTROL_CAP 65536
#define SOCKOPT_MAX 1024

/* The socket file at fd (a reference), -EBADF or -ENOTSOCK. */
static int sock_fd(struct task *t, int fd, struct file **out)
{
	struct file *f = fdt_get_file(t->files, fd);
	if (!f)
		return -EBADF;
	if (!net_is_socket(f)) {
		file_put(f);
		return -ENOTSOCK;
	}
	*out = f;
	return 0;
}

/* move_addr_to_kernel: 0..sizeof(sockaddr_storage) bytes. */
static int addr_in(struct task *t, uint64_t uaddr, int len, uint8_t *buf)
{
	if (len < 0 || len > NET_ADDR_MAX)
		return -EINVAL;
	memset(buf, 0, NET_ADDR_MAX + 1);
	if (len == 0)
		return 0;
	return mm_copy_in(t->mm, buf, gaddr(uaddr), (size_t)len);
}

/* move_addr_to_user: at most *ulen bytes of the address, then its full length. */
static int addr_out(struct task *t, const void *addr, uint32_t klen, uint64_t uaddr,
		    uint64_t ulen)
{
	int len;
	if (mm_copy_in(t->mm, &len, gaddr(ulen), sizeof(len)))
		return -EFAULT;
	if (len > (int)klen)
		len = (int)klen;
	if (len < 0)
		return -EINVAL;
	if (len && mm_copy_out(t->mm, gaddr(uaddr), addr, (size_t)len))
		return -EFAULT;
	int full = (int)klen;
	return mm_copy_out(t->mm, gaddr(ulen), &full, sizeof(full));
}

static void maybe_sigpipe(struct task *t, struct file *f, long rc, int flags)
{
	/* Stream sockets raise SIGPIPE; seqpacket and datagram sockets do not. */
	if (rc == -EPIPE && !(flags & MSG_NOSIGNAL) && net_sock_type(f) == SOCK_STREAM)
		process_signal(t->tg, SIGPIPE);
}

/* ---- data buffers ---- */

struct hiov {
	struct iovec *v;
	int n, cap;
};

static int hiov_push(struct hiov *h, const struct iovec *src, int n)
{
	if (h->n + n > h->cap) {
		int cap = MAX(h->cap * 2, h->n + n + 8);
		struct iovec *v = realloc(h->v, (size_t)cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		h->v = v;
		h->cap = cap;
	}
	memcpy(h->v + h->n, src, (size_t)n * sizeof(*src));
	h->n += n;
	return 0;
}

/*
 * Translate guest ranges into host iovecs. write: the sentry stores into
 * them (recv). A range that faults part-way ends the list there (a recv
 * fills what is valid; a stream send sends it); whole: every byte must be
 * valid (datagrams). -EFAULT if nothing is valid and something was asked.
 */
static long iov_translate(struct task *t, const struct giovec *gv, int n, bool write, bool whole,
			  struct hiov *out)
{
	long total = 0;
	for (int i = 0; i < n; i++) {
		gaddr_t addr = gv[i].base;
		size_t len = gv[i].len;
		while (len > 0) {
			struct iovec hv[16];
			int niov = 0;
			long got = mm_translate(t->mm, addr, len, write, hv, 16, &niov);
			if (got <= 0) {
				if (whole || total == 0)
					return -EFAULT;
				return total;
			}
			if (hiov_push(out, hv, niov))
				return -ENOMEM;
			total += got;
			addr = gaddr_add(addr, (uint64_t)got);
			len -= (size_t)got;
		}
	}
	return total;
}

/* ---- socket, socketpair ---- */

/* socket(2) */
long sys_socket(struct task *t, const struct syscall_args *a)
{
	int family = (int)a->arg[0];
	int type = (int)a->arg[1];
	int protocol = (int)a->arg[2];
	struct file *f;
	int rc = net_socket(t, family, type, protocol, &f);
	if (rc)
		return rc;
	int fd = fdt_install(t->files, f, (type & SOCK_CLOEXEC) ? FDT_CLOEXEC : 0, 0, fs_nofile(t));
	file_put(f);
	return fd;
}

/* socketpair(2) */
long sys_socketpair(struct task *t, const struct syscall_args *a)
{
	int family = (int)a->arg[0];
	int type = (int)a->arg[1];
	int protocol = (int)a->arg[2];
	uint64_t usv = a->arg[3];
	struct file *f[2];
	int rc = net_socketpair(t, family, type, protocol, f);
	if (rc)
		return rc;
	int fdfl = (type & SOCK_CLOEXEC) ? FDT_CLOEXEC : 0;
	int fds[2] = { -1, -1 };
	fds[0] = fdt_install(t->files, f[0], fdfl, 0, fs_nofile(t));
	if (fds[0] >= 0)
		fds[1] = fdt_install(t->files, f[1], fdfl, 0, fs_nofile(t));
	file_put(f[0]);
	file_put(f[1]);
	if (fds[1] < 0) {
		rc = fds[0] < 0 ? fds[0] : fds[1];
		if (fds[0] >= 0)
			fdt_close(t->files, fds[0]);
		return rc;
	}
	/* As pipe2: installed first, both closed again if the copy-out faults. */
	if (mm_copy_out(t->mm, gaddr(usv), fds, sizeof(fds))) {
		fdt_close(t->files, fds[0]);
		fdt_close(t->files, fds[1]);
		return -EFAULT;
	}
	return 0;
}

/* ---- addresses ---- */

/* bind(2) */
long sys_bind(struct task *t, const struct syscall_args *a)
{
	uint8_t addr[NET_ADDR_MAX + 1];
	struct file *f;
	int rc = sock_fd(t, (int)a->arg[0], &f);
	if (rc)
		return rc;
	rc = addr_in(t, a->arg[1], (int)a->arg[2], addr);
	if (!rc)
		rc = net_bind(t, f, addr, (uint32_t)a->arg[2]);
	file_put(f);
	return rc;
}

/* listen(2) */
long sys_listen(struct task *t, const struct syscall_args *a)
{
	struct file *f;
	int rc = sock_fd(t, (int)a->arg[0], &f);
	if (rc)
		return rc;
	rc = net_listen(f, (int)a->arg[1]);
	file_put(f);
	return rc;
}

/* connect(2): the address is copied in before the fd is known to be a socket (Linux). */
long sys_connect(struct task *t, const struct syscall_args *a)
{
	uint8_t addr[NET_ADDR_MAX + 1];
	struct file *f = fdt_get_file(t->files, (int)a->arg[0]);
	if (!f)
		return -EBADF;
	int rc = addr_in(t, a->arg[1], (int)a->arg[2], addr);
	if (!rc)
		rc = net_is_socket(f) ? net_connect(t, f, addr, (uint32_t)a->arg[2]) : -ENOTSOCK;
	file_put(f);
	return rc;
}

static long do_accept(struct task *t, int fd, uint64_t uaddr, uint64_t ulen, int flags)
{
	struct file *f;
	int rc = sock_fd(t, fd, &f);
	if (rc)
		return rc;
	uint8_t addr[NET_ADDR_MAX];
	uint32_t alen = 0;
	struct file *nf;
	rc = net_accept(t, f, flags, &nf, uaddr ? addr : NULL, &alen);
	file_put(f);
	if (rc)
		return rc;
	if (uaddr && (rc = addr_out(t, addr, alen, uaddr, ulen))) {
		file_put(nf);          /* the connection is dropped, as Linux's out_fd */
		return rc;
	}
	int nfd = fdt_install(t->files, nf, (flags & SOCK_CLOEXEC) ? FDT_CLOEXEC : 0, 0,
			      fs_nofile(t));
	file_put(nf);
	return nfd;
}

/* accept(2) */
long sys_accept(struct task *t, const struct syscall_args *a)
{
	return do_accept(t, (int)a->arg[0], a->arg[1], a->arg[2], 0);
}

/* accept4(2) */
long sys_accept4(struct task *t, const struct syscall_args *a)
{
	return do_accept(t, (int)a->arg[0], a->arg[1], a->arg[2], (int)a->arg[3]);
}

static long do_getname(struct task *t, const struct syscall_args *a, bool peer)
{
	struct file *f;
	int rc = sock_fd(t, (int)a->arg[0], &f);
	if (rc)
		return rc;
	uint8_t addr[NET_ADDR_MAX];
	uint32_t alen = 0;
	rc = net_getname(f, peer, addr, &alen);
	file_put(f);
	if (rc)
		return rc;
	return addr_out(t, addr, alen, a->arg[1], a->arg[2]);
}

/* getsockname(2) */
long sys_getsockname(struct task *t, const struct syscall_args *a)
{
	return do_getname(t, a, false);
}

/* getpeername(2) */
long sys_getpeername(struct task *t, const struct syscall_args *a)
{
	return do_getname(t, a, true);
}

/* shutdown(2) */
long sys_shutdown(struct task *t, const struct syscall_args *a)
{
	struct file *f;
	int rc = sock_fd(t, (int)a->arg[0], &f);
	if (rc)
		return rc;
	rc = net_shutdown(f, (int)a->arg[1]);
	file_put(f);
	return rc;
}

/* ---- options ---- */

/* setsockopt(2) */
long sys_setsockopt(struct task *t, const struct syscall_args *a)
{
	int level = (int)a->arg[1];
	int name = (int)a->arg[2];
	uint64_t uval = a->arg[3];
	int len = (int)a->arg[4];
	struct file *f;
	int rc = sock_fd(t, (int)a->arg[0], &f);
	if (rc)
		return rc;
	if (len < 0) {
		file_put(f);
		return -EINVAL;
	}
	uint8_t val[SOCKOPT_MAX];
	size_t n = MIN((size_t)len, sizeof(val));
	bool fault = n && mm_copy_in(t->mm, val, gaddr(uval), n);
	rc = net_setsockopt(t, f, level, name, fault ? NULL : val, (uint32_t)len);
	file_put(f);
	return rc;
}

/* getsockopt(2) */
long sys_getsockopt(struct task *t, const struct syscall_args *a)
{
	int level = (int)a->arg[1];
	int name = (int)a->arg[2];
	uint64_t uval = a->arg[3];
	uint64_t ulen = a->arg[4];
	struct file *f;
	int rc = sock_fd(t, (int)a->arg[0], &f);
	if (rc)
		return rc;
	int len;
	if (mm_copy_in(t->mm, &len, gaddr(ulen), sizeof(len))) {
		file_put(f);
		return -EFAULT;
	}
	uint8_t val[SOCKOPT_MAX];
	int n = len > (int)sizeof(val) ? (int)sizeof(val) : len;
	rc = net_getsockopt(t, f, level, name, val, &n);
	file_put(f);
	if (rc)
		return rc;
	if (n > 0 && mm_copy_out(t->mm, gaddr(uval), val, (size_t)n))
		return -EFAULT;
	return mm_copy_out(t->mm, gaddr(ulen), &n, sizeof(n));
}

/* ---- sendto, recvfrom ---- */

/* sendto(2) */
long sys_sendto(struct task *t, const struct syscall_args *a)
{
	uint64_t ubuf = a->arg[1];
	size_t len = MIN(a->arg[2], GUEST_MAX_RW_COUNT);
	int flags = (int)a->arg[3];
	uint64_t uaddr = a->arg[4];
	int alen = (int)a->arg[5];
	struct file *f;
	int rc = sock_fd(t, (int)a->arg[0], &f);
	if (rc)
		return rc;
	uint8_t addr[NET_ADDR_MAX + 1];
	struct hiov h = { 0 };
	long ret = 0;
	if (uaddr && (ret = addr_in(t, uaddr, alen, addr)))
		goto out;
	struct giovec gv = { gaddr(ubuf), len };
	ret = len ? iov_translate(t, &gv, 1, false, net_sock_type(f) != SOCK_STREAM, &h) : 0;
	if (ret < 0)
		goto out;
	struct net_msg m = { .iov = h.v, .iovcnt = h.n };
	if (uaddr) {
		m.name = addr;
		m.namelen = (uint32_t)alen;
	}
	ret = net_sendmsg(t, f, &m, flags);
	maybe_sigpipe(t, f, ret, flags);
out:
	free(h.v);
	file_put(f);
	return ret;
}

/* recvfrom(2) */
long sys_recvfrom(struct task *t, const struct syscall_args *a)
{
	uint64_t ubuf = a->arg[1];
	size_t len = MIN(a->arg[2], GUEST_MAX_RW_COUNT);
	int flags = (int)a->arg[3];
	uint64_t uaddr = a->arg[4];
	uint64_t ulen = a->arg[5];
	struct file *f;
	int rc = sock_fd(t, (int)a->arg[0], &f);
	if (rc)
		return rc;
	struct hiov h = { 0 };
	struct giovec gv = { gaddr(ubuf), len };
	long ret = len ? iov_translate(t, &gv, 1, true, false, &h) : 0;
	if (ret >= 0) {
		uint8_t addr[NET_ADDR_MAX];
		struct net_msg m = { .iov = h.v, .iovcnt = h.n, .name = uaddr ? addr : NULL };
		ret = net_recvmsg(t, f, &m, flags & ~MSG_CMSG_CLOEXEC);
		if (ret >= 0 && uaddr) {
			int r2 = addr_out(t, addr, m.namelen, uaddr, ulen);
			if (r2)
				ret = r2;
		}
	}
	free(h.v);
	file_put(f);
	return ret;
}

/* ---- sendmsg, recvmsg and their batches ---- */

/* copy_msghdr_from_user: the header, its name length clamp and iovec count check. */
static int msghdr_in(struct task *t, uint64_t umsg, struct msghdr *mh)
{
	if (mm_copy_in(t->mm, mh, gaddr(umsg), sizeof(*mh)))
		return -EFAULT;
	if ((int)mh->msg_namelen < 0)
		return -EINVAL;
	if (mh->msg_namelen > NET_ADDR_MAX)
		mh->msg_namelen = NET_ADDR_MAX;
	if (!mh->msg_name)
		mh->msg_namelen = 0;
	if (mh->msg_iovlen > GUEST_UIO_MAXIOV)
		return -EMSGSIZE;
	return 0;
}

static long do_sendmsg(struct task *t, struct file *f, uint64_t umsg, int flags)
{
	struct msghdr mh;
	int rc = msghdr_in(t, umsg, &mh);
	if (rc)
		return rc;
	uint8_t addr[NET_ADDR_MAX + 1];
	if (mh.msg_namelen && (rc = addr_in(t, (uint64_t)mh.msg_name, (int)mh.msg_namelen, addr)))
		return rc;
	struct giovec *gv = NULL;
	long total = mm_import_iovec(t->mm, gaddr((uint64_t)mh.msg_iov), (int)mh.msg_iovlen, &gv);
	if (total < 0)
		return total;
	struct hiov h = { 0 };
	void *ctl = NULL;
	long ret = iov_translate(t, gv, (int)mh.msg_iovlen, false, net_sock_type(f) != SOCK_STREAM,
				 &h);
	if (total == 0)
		ret = 0;
	if (ret < 0)
		goto out;
	if (mh.msg_controllen > INT32_MAX || mh.msg_controllen > NET_CONTROL_MAX) {
		ret = -ENOBUFS;
		goto out;
	}
	if (mh.msg_controllen) {
		ctl = malloc(mh.msg_controllen);
		if (!ctl) {
			ret = -ENOBUFS;
			goto out;
		}
		if (mm_copy_in(t->mm, ctl, gaddr((uint64_t)mh.msg_control), mh.msg_controllen)) {
			ret = -EFAULT;
			goto out;
		}
	}
	struct net_msg m = { .iov = h.v, .iovcnt = h.n, .control = ctl,
			     .controllen = mh.msg_controllen };
	if (mh.msg_namelen) {
		m.name = addr;
		m.namelen = mh.msg_namelen;
	}
	ret = net_sendmsg(t, f, &m, flags);
	maybe_sigpipe(t, f, ret, flags);
out:
	free(ctl);
	free(h.v);
	free(gv);
	return ret;
}

/* sendmsg(2) */
long sys_sendmsg(struct task *t, const struct syscall_args *a)
{
	int flags = (int)a->arg[2];
	if (flags & MSG_CMSG_COMPAT)
		return -EINVAL;
	struct file *f;
	int rc = sock_fd(t, (int)a->arg[0], &f);
	if (rc)
		return rc;
	long ret = do_sendmsg(t, f, a->arg[1], flags);
	file_put(f);
	return ret;
}

static long do_recvmsg(struct task *t, struct file *f, uint64_t umsg, int flags)
{
	struct msghdr mh;
	int rc = msghdr_in(t, umsg, &mh);
	if (rc)
		return rc;
	struct giovec *gv = NULL;
	long total = mm_import_iovec(t->mm, gaddr((uint64_t)mh.msg_iov), (int)mh.msg_iovlen, &gv);
	if (total < 0)
		return total;
	struct hiov h = { 0 };
	char *ctl = NULL;
	long ret = total ? iov_translate(t, gv, (int)mh.msg_iovlen, true, false, &h) : 0;
	if (ret < 0)
		goto out;
	size_t ctlcap = mh.msg_control ? MIN(mh.msg_controllen, (size_t)RECV_CONTROL_CAP) : 0;
	if (ctlcap && !(ctl = calloc(1, ctlcap))) {
		ret = -ENOMEM;
		goto out;
	}
	uint8_t addr[NET_ADDR_MAX];
	struct net_msg m = { .iov = h.v, .iovcnt = h.n, .name = mh.msg_name ? addr : NULL,
			     .control = ctl, .controllen = ctlcap };
	ret = net_recvmsg(t, f, &m, flags);
	if (ret < 0)
		goto out;
	if (mh.msg_name) {
		/* msg_namelen inside the guest's msghdr is the length word. */
		uint64_t ulen = umsg + offsetof(struct msghdr, msg_namelen);
		if ((rc = addr_out(t, addr, m.namelen, (uint64_t)mh.msg_name, ulen))) {
			ret = rc;
			goto out;
		}
	}
	int mflags = m.flags_out;
	uint64_t clen = m.controllen;
	if ((m.controllen && mm_copy_out(t->mm, gaddr((uint64_t)mh.msg_control), ctl, m.controllen)) ||
	    mm_copy_out(t->mm, gaddr(umsg + offsetof(struct msghdr, msg_flags)), &mflags,
			sizeof(mflags)) ||
	    mm_copy_out(t->mm, gaddr(umsg + offsetof(struct msghdr, msg_controllen)), &clen,
			sizeof(clen)))
		ret = -EFAULT;
out:
	free(ctl);
	free(h.v);
	free(gv);
	return ret;
}

/* recvmsg(2) */
long sys_recvmsg(struct task *t, const struct syscall_args *a)
{
	int flags = (int)a->arg[2];
	if (flags & MSG_CMSG_COMPAT)
		return -EINVAL;
	struct file *f;
	int rc = sock_fd(t, (int)a->arg[0], &f);
	if (rc)
		return rc;
	long ret = do_recvmsg(t, f, a->arg[1], flags);
	file_put(f);
	return ret;
}

/* sendmmsg(2): the count sent, or the first error if none was. */
long sys_sendmmsg(struct task *t, const struct syscall_args *a)
{
	uint64_t uvec = a->arg[1];
	unsigned vlen = (unsigned)a->arg[2];
	int flags = (int)a->arg[3];
	if (flags & MSG_CMSG_COMPAT)
		return -EINVAL;
	if (vlen > GUEST_UIO_MAXIOV)
		vlen = GUEST_UIO_MAXIOV;
	struct file *f;
	int rc = sock_fd(t, (int)a->arg[0], &f);
	if (rc)
		return rc;
	unsigned n = 0;
	long err = 0;
	while (n < vlen) {
		uint64_t entry = uvec + (uint64_t)n * sizeof(struct mmsghdr);
		err = do_sendmsg(t, f, entry, flags);
		if (err < 0)
			break;
		unsigned sent = (unsigned)err;
		if (mm_copy_out(t->mm, gaddr(entry + offsetof(struct mmsghdr, msg_len)), &sent,
				sizeof(sent))) {
			err = -EFAULT;
			break;
		}
		n++;
	}
	file_put(f);
	return n ? (long)n : err;
}

/* recvmmsg(2): the timeout is checked after each datagram only (as Linux). */
long sys_recvmmsg(struct task *t, const struct syscall_args *a)
{
	uint64_t uvec = a->arg[1];
	unsigned vlen = (unsigned)a->arg[2];
	int flags = (int)a->arg[3];
	uint64_t uts = a->arg[4];
	if (flags & MSG_CMSG_COMPAT)
		return -EINVAL;
	struct timespec ts, end = { 0 };
	if (uts) {
		if (mm_copy_in(t->mm, &ts, gaddr(uts), sizeof(ts)))
			return -EFAULT;
		if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000L)
			return -EINVAL;
		end = waitq_deadline_after((uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec);
	}
	if (vlen > GUEST_UIO_MAXIOV)
		vlen = GUEST_UIO_MAXIOV;
	struct file *f;
	int rc = sock_fd(t, (int)a->arg[0], &f);
	if (rc)
		return rc;
	unsigned n = 0;
	long err = 0;
	if (!(flags & MSG_ERRQUEUE)) {
		/* A pending socket error is returned before anything is read. */
		int e = 0, elen = sizeof(e);
		if (net_getsockopt(t, f, SOL_SOCKET, SO_ERROR, &e, &elen) == 0 && e) {
			file_put(f);
			return -e;
		}
	}
	while (n < vlen) {
		uint64_t entry = uvec + (uint64_t)n * sizeof(struct mmsghdr);
		err = do_recvmsg(t, f, entry, flags & ~MSG_WAITFORONE);
		if (err < 0)
			break;
		unsigned got = (unsigned)err;
		if (mm_copy_out(t->mm, gaddr(entry + offsetof(struct mmsghdr, msg_len)), &got,
				sizeof(got))) {
			err = -EFAULT;
			break;
		}
		n++;
		if (flags & MSG_WAITFORONE)
			flags |= MSG_DONTWAIT;
		if (uts) {
			struct timespec now;
			clock_gettime(CLOCK_MONOTONIC, &now);
			int64_t left = (end.tv_sec - now.tv_sec) * 1000000000LL + (end.tv_nsec - now.tv_nsec);
			if (left < 0)
				left = 0;
			ts.tv_sec = left / 1000000000LL;
			ts.tv_nsec = left % 1000000000LL;
			if (!left)
				break;
		}
	}
	file_put(f);
	if (n == 0)
		return err;
	if (uts && mm_copy_out(t->mm, gaddr(uts), &ts, sizeof(ts)))
		return -EFAULT;
	return n;
}
