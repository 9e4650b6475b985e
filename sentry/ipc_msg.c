/*
 * SysV message queues (Linux's ipc/msg.c). Messages are copied into the
 * sentry's heap (charged to the IPC budget, ipc_charge) and queued in
 * order; a queue holds at most msg_qbytes bytes and msg_qbytes messages.
 * Senders that find no room and receivers that find no message sleep on
 * the queue's wait queue and look again at every change (a receiver is not
 * handed a message by the sender as Linux's pipelined_send does; which of
 * several sleepers gets it is up to the scheduler). As in Linux, both are
 * restarted after a signal only if no handler ran (-ERESTARTNOHAND).
 *
 * A queue's references (refs, under ipc_lock): the id table's while it has
 * an id, and one per sleeper; it is freed with the last.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "sentry/ipc_internal.h"
#include "sentry/mm.h"
#include "sentry/task.h"
#include "sentry/waitq.h"

#define MSG_NOERROR 010000
#define MSG_EXCEPT 020000
#define MSG_COPY 040000
#define MSG_STAT 11
#define MSG_INFO 12
#define MSG_STAT_ANY 13

struct msg {
	struct msg *next;
	long mtype;
	size_t size;
	char text[];
};

struct msg_queue {
	struct ipc_obj perm;       /* first: the id table points here */
	int64_t stime, rtime, ctime;
	uint64_t cbytes, qnum, qbytes;
	int lspid, lrpid;
	struct msg *head, **tail;
	struct waitq wq;           /* receivers wait for POLLIN, senders for POLLOUT */
	int refs;
};

struct ipc_ids ipc_msg_ids = { .max_idx = -1, .last_idx = -1 };
static uint64_t msg_bytes, msg_hdrs;   /* in every queue (MSG_INFO) */

static struct msg_queue *queue_of(struct ipc_obj *o)
{
	return (struct msg_queue *)o;
}

static void msg_free(struct msg *m)
{
	if (!m)
		return;
	pthread_mutex_lock(&ipc_lock);
	ipc_charge(-(int64_t)(sizeof(*m) + m->size));
	pthread_mutex_unlock(&ipc_lock);
	free(m);
}

/* A copy of m (MSG_COPY), charged like a queued message; 0 or -ENOMEM. */
static int msg_dup_locked(const struct msg *m, struct msg **out)
{
	size_t n = sizeof(*m) + m->size;
	if (ipc_charge(n))
		return -ENOMEM;
	*out = malloc(n);
	if (!*out) {
		ipc_charge(-(int64_t)n);
		return -ENOMEM;
	}
	memcpy(*out, m, n);
	(*out)->next = NULL;
	return 0;
}

static void queue_put_locked(struct msg_queue *q)
{
	if (--q->refs)
		return;
	waitq_destroy(&q->wq);
	ipc_charge(-(int64_t)sizeof(*q));
	free(q);
}

long ipc_msgget(struct task *t, int32_t key, int flags)
{
	pthread_mutex_lock(&ipc_lock);
	long rc;
	struct ipc_obj *o = ipc_findkey(&ipc_msg_ids, key);
	if (o)
		rc = (flags & IPC_CREAT) && (flags & IPC_EXCL) ? -EEXIST
		     : ipc_perms(&t->cred, o, flags) ?: o->id;
	else if (key != IPC_PRIVATE && !(flags & IPC_CREAT))
		rc = -ENOENT;
	else
		rc = ipc_charge(sizeof(struct msg_queue));
	if (rc || o)
		goto out;
	struct msg_queue *q = calloc(1, sizeof(*q));
	rc = q ? ipc_addid(&ipc_msg_ids, &q->perm, ipc_ns.msg_ctlmni, &t->cred, key, flags) : -ENOMEM;
	if (rc) {
		ipc_charge(-(int64_t)sizeof(*q));
		free(q);
		goto out;
	}
	q->ctime = ipc_now();
	q->qbytes = ipc_ns.msg_ctlmnb;
	q->tail = &q->head;
	q->refs = 1;
	waitq_init(&q->wq);
	rc = q->perm.id;
out:
	pthread_mutex_unlock(&ipc_lock);
	return rc;
}

/*
 * Sleep on q until it changes: 0 to look again, -ERESTARTNOHAND for a
 * signal. Called with ipc_lock held, which it drops and takes again; the
 * caller's reference keeps q.
 */
static int queue_wait_locked(struct msg_queue *q, struct waiter *w, bool *waiting, uint32_t events)
{
	int rc = 0;
	if (!*waiting) {
		/* Linked before the lock goes: no change after our look is missed. */
		waiter_init(w);
		*waiting = true;
		q->refs++;
		rc = waiter_add(w, &q->wq, events);
		if (rc)
			return rc;
	}
	pthread_mutex_unlock(&ipc_lock);
	rc = waiter_wait(w, NULL) == -EINTR ? -ERESTARTNOHAND : 0;
	waiter_reset(w);
	pthread_mutex_lock(&ipc_lock);
	return rc;
}

static void queue_wait_end(struct msg_queue *q, struct waiter *w, bool waiting)
{
	if (!waiting)
		return;
	waiter_destroy(w);
	pthread_mutex_lock(&ipc_lock);
	queue_put_locked(q);
	pthread_mutex_unlock(&ipc_lock);
}

long ipc_msgsnd(struct task *t, int id, gaddr_t msgp, size_t size, int flags)
{
	long mtype;
	if (mm_copy_in(t->mm, &mtype, msgp, sizeof(mtype)))
		return -EFAULT;
	if (size > (size_t)__atomic_load_n(&ipc_ns.msg_ctlmax, __ATOMIC_RELAXED) ||
	    (long)size < 0 || id < 0)
		return -EINVAL;
	if (mtype < 1)
		return -EINVAL;
	pthread_mutex_lock(&ipc_lock);
	int rc = ipc_charge(sizeof(struct msg) + size);
	pthread_mutex_unlock(&ipc_lock);
	if (rc)
		return rc;
	struct msg *m = malloc(sizeof(*m) + size);
	if (!m) {
		pthread_mutex_lock(&ipc_lock);
		ipc_charge(-(int64_t)(sizeof(*m) + size));
		pthread_mutex_unlock(&ipc_lock);
		return -ENOMEM;
	}
	m->next = NULL;
	m->mtype = mtype;
	m->size = size;
	if (mm_copy_in(t->mm, m->text, gaddr_add(msgp, sizeof(long)), size)) {
		msg_free(m);
		return -EFAULT;
	}
	struct waiter w;
	bool waiting = false;
	pthread_mutex_lock(&ipc_lock);
	struct ipc_obj *o = ipc_obtain(&ipc_msg_ids, id);
	struct msg_queue *q = o ? queue_of(o) : NULL;
	rc = o ? 0 : -EINVAL;
	while (!rc) {
		if (ipc_perms(&t->cred, o, S_IWUGO))
			rc = -EACCES;
		else if (q->perm.deleted)
			rc = -EIDRM;
		else if (size + q->cbytes <= q->qbytes && 1 + q->qnum <= q->qbytes)
			break;          /* Linux's msg_fits_inqueue */
		else if (flags & IPC_NOWAIT)
			rc = -EAGAIN;
		else
			rc = queue_wait_locked(q, &w, &waiting, POLLOUT);
	}
	if (!rc) {
		q->lspid = t->tg->tgid;
		q->stime = ipc_now();
		*q->tail = m;
		q->tail = &m->next;
		q->cbytes += size;
		q->qnum++;
		msg_bytes += size;
		msg_hdrs++;
		m = NULL;
		waitq_wake(&q->wq, POLLIN);
	}
	pthread_mutex_unlock(&ipc_lock);
	queue_wait_end(q, &w, waiting);
	msg_free(m);
	return rc;
}

enum { SEARCH_ANY, SEARCH_EQUAL, SEARCH_NOTEQUAL, SEARCH_LESSEQUAL, SEARCH_NUMBER };

/* Linux's find_msg: the link to the message to take, or NULL. *type may be lowered. */
static struct msg **find_msg_locked(struct msg_queue *q, long *type, int mode)
{
	struct msg **found = NULL;
	long count = 0;
	for (struct msg **p = &q->head; *p; p = &(*p)->next) {
		struct msg *m = *p;
		bool match = mode == SEARCH_ANY || mode == SEARCH_NUMBER ||
			     (mode == SEARCH_LESSEQUAL && m->mtype <= *type) ||
			     (mode == SEARCH_EQUAL && m->mtype == *type) ||
			     (mode == SEARCH_NOTEQUAL && m->mtype != *type);
		if (!match)
			continue;
		if (mode == SEARCH_LESSEQUAL && m->mtype != 1) {
			/* The lowest type wins: look on for one below it. */
			*type = m->mtype - 1;
			found = p;
		} else if (mode == SEARCH_NUMBER) {
			if (*type == count)
				return p;
		} else {
			return p;
		}
		count++;
	}
	return found;
}

long ipc_msgrcv(struct task *t, int id, gaddr_t msgp, size_t bufsz, long type, int flags)
{
	if (id < 0 || (long)bufsz < 0)
		return -EINVAL;
	size_t copy_max = 0;
	int mode;
	if (flags & MSG_COPY) {
		/* CONFIG_CHECKPOINT_RESTORE's peek: the type is the message's position. */
		if ((flags & MSG_EXCEPT) || !(flags & IPC_NOWAIT))
			return -EINVAL;
		copy_max = MIN(bufsz, (size_t)__atomic_load_n(&ipc_ns.msg_ctlmax, __ATOMIC_RELAXED));
		mode = SEARCH_NUMBER;
	} else if (type == 0) {
		mode = SEARCH_ANY;
	} else if (type < 0) {
		type = type == LONG_MIN ? LONG_MAX : -type;
		mode = SEARCH_LESSEQUAL;
	} else {
		mode = flags & MSG_EXCEPT ? SEARCH_NOTEQUAL : SEARCH_EQUAL;
	}
	struct waiter w;
	bool waiting = false;
	struct msg *m = NULL;
	pthread_mutex_lock(&ipc_lock);
	struct ipc_obj *o = ipc_obtain(&ipc_msg_ids, id);
	struct msg_queue *q = o ? queue_of(o) : NULL;
	long rc = o ? 0 : -EINVAL;
	while (!rc) {
		if (ipc_perms(&t->cred, o, S_IRUGO)) {
			rc = -EACCES;
			break;
		}
		if (q->perm.deleted) {
			rc = -EIDRM;
			break;
		}
		struct msg **p = find_msg_locked(q, &type, mode);
		if (p) {
			if (bufsz < (*p)->size && !(flags & MSG_NOERROR)) {
				rc = -E2BIG;
			} else if (flags & MSG_COPY) {
				/* Linux's copy_msg into a copy_max-byte message: EINVAL if larger. */
				rc = (*p)->size > copy_max ? -EINVAL : msg_dup_locked(*p, &m);
			} else {
				m = *p;
				*p = m->next;
				if (q->tail == &m->next)
					q->tail = p;
				q->qnum--;
				q->cbytes -= m->size;
				q->rtime = ipc_now();
				q->lrpid = t->tg->tgid;
				msg_bytes -= m->size;
				msg_hdrs--;
				waitq_wake(&q->wq, POLLOUT);
			}
			break;
		}
		if (flags & IPC_NOWAIT)
			rc = -ENOMSG;
		else
			rc = queue_wait_locked(q, &w, &waiting, POLLIN);
	}
	pthread_mutex_unlock(&ipc_lock);
	queue_wait_end(q, &w, waiting);
	if (rc)
		return rc;
	/* Taken off the queue already: a bad buffer loses the message, as in Linux. */
	size_t n = MIN(bufsz, m->size);
	if (mm_copy_out(t->mm, msgp, &m->mtype, sizeof(long)) ||
	    mm_copy_out(t->mm, gaddr_add(msgp, sizeof(long)), m->text, n))
		rc = -EFAULT;
	else
		rc = (long)n;
	msg_free(m);
	return rc;
}

/* struct msqid64_ds and struct msginfo as x86-64 lays them out. */
struct msqid64_ds {
	struct ipc64_perm perm;
	int64_t stime, rtime, ctime;
	uint64_t cbytes, qnum, qbytes;
	int32_t lspid, lrpid;
	uint64_t unused4, unused5;
};

struct msginfo {
	int32_t msgpool, msgmap, msgmax, msgmnb, msgmni, msgssz, msgtql;
	uint16_t msgseg;
};

static long msg_info(struct task *t, int cmd, gaddr_t buf)
{
	pthread_mutex_lock(&ipc_lock);
	struct msginfo in = {
		.msgmni = ipc_ns.msg_ctlmni, .msgmax = ipc_ns.msg_ctlmax, .msgmnb = ipc_ns.msg_ctlmnb,
		.msgssz = 16 /* MSGSSZ */, .msgseg = 0xffff /* MSGSEG */,
	};
	if (cmd == MSG_INFO) {
		in.msgpool = ipc_msg_ids.in_use;
		in.msgmap = (int32_t)MIN(msg_hdrs, (uint64_t)INT32_MAX);
		in.msgtql = (int32_t)MIN(msg_bytes, (uint64_t)INT32_MAX);
	} else {
		in.msgmap = 16384;        /* MSGMAP */
		in.msgpool = 512000;      /* MSGPOOL */
		in.msgtql = 16384;        /* MSGTQL */
	}
	int maxidx = MAX(ipc_get_maxidx(&ipc_msg_ids), 0);
	pthread_mutex_unlock(&ipc_lock);
	return mm_copy_out(t->mm, buf, &in, sizeof(in)) ? -EFAULT : maxidx;
}

static long msg_stat(struct task *t, int id, int cmd, gaddr_t buf)
{
	pthread_mutex_lock(&ipc_lock);
	struct ipc_obj *o;
	long rc = ipc_obtain_stat(&ipc_msg_ids, id, cmd, MSG_STAT_ANY, &t->cred, &o);
	struct msqid64_ds ds;
	memset(&ds, 0, sizeof(ds));
	if (!rc) {
		struct msg_queue *q = queue_of(o);
		ipc_fill_perm(&ds.perm, o);
		ds.stime = q->stime;
		ds.rtime = q->rtime;
		ds.ctime = q->ctime;
		ds.cbytes = q->cbytes;
		ds.qnum = q->qnum;
		ds.qbytes = q->qbytes;
		ds.lspid = q->lspid;
		ds.lrpid = q->lrpid;
		rc = cmd == IPC_STAT ? 0 : o->id;
	}
	pthread_mutex_unlock(&ipc_lock);
	if (rc < 0)
		return rc;
	return mm_copy_out(t->mm, buf, &ds, sizeof(ds)) ? -EFAULT : rc;
}

static long msg_down(struct task *t, int id, int cmd, const struct msqid64_ds *in)
{
	struct msg *drop = NULL;
	pthread_mutex_lock(&ipc_lock);
	struct ipc_obj *o = ipc_obtain(&ipc_msg_ids, id);
	long rc = !o ? -EINVAL : ipc_check_owner(&t->cred, o);
	struct msg_queue *q = o ? queue_of(o) : NULL;
	if (!rc && cmd == IPC_RMID) {
		/* Linux's freeque: sleepers see EIDRM, the messages go. */
		ipc_rmid(&ipc_msg_ids, o);
		drop = q->head;
		msg_bytes -= q->cbytes;
		msg_hdrs -= q->qnum;
		q->head = NULL;
		q->tail = &q->head;
		waitq_wake(&q->wq, ~0u);
		queue_put_locked(q);
	} else if (!rc) {
		if (in->qbytes > (uint64_t)ipc_ns.msg_ctlmnb && !cred_capable(&t->cred, CAP_SYS_RESOURCE))
			rc = -EPERM;
		else
			rc = ipc_update_perm(o, in->perm.uid, in->perm.gid, in->perm.mode);
		if (!rc) {
			q->qbytes = in->qbytes;
			q->ctime = ipc_now();
			/* Receivers check the new permissions, senders the new size. */
			waitq_wake(&q->wq, ~0u);
		}
	}
	pthread_mutex_unlock(&ipc_lock);
	while (drop) {
		struct msg *next = drop->next;
		msg_free(drop);
		drop = next;
	}
	return rc;
}

long ipc_msgctl(struct task *t, int id, int cmd, gaddr_t buf)
{
	if (id < 0 || cmd < 0)
		return -EINVAL;
	struct msqid64_ds in;
	switch (cmd) {
	case IPC_INFO:
	case MSG_INFO:
		return msg_info(t, cmd, buf);
	case IPC_STAT:
	case MSG_STAT:
	case MSG_STAT_ANY:
		return msg_stat(t, id, cmd, buf);
	case IPC_SET:
		if (mm_copy_in(t->mm, &in, buf, sizeof(in)))
			return -EFAULT;
		return msg_down(t, id, cmd, &in);
	case IPC_RMID:
		return msg_down(t, id, cmd, NULL);
	}
	return -EINVAL;
}

long ipc_msg_proc(char **out)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return -ENOMEM;
	fprintf(f, "       key      msqid perms      cbytes       qnum lspid lrpid   uid   gid  cuid  cgid"
		   "      stime      rtime      ctime\n");
	pthread_mutex_lock(&ipc_lock);
	for (int i = 0; i <= ipc_msg_ids.max_idx; i++) {
		struct ipc_obj *o = ipc_msg_ids.slots[i];
		if (!o)
			continue;
		struct msg_queue *q = queue_of(o);
		fprintf(f, "%10d %10d  %4o  %10lu %10lu %5u %5u %5u %5u %5u %5u %10ld %10ld %10ld\n",
			o->key, o->id, o->mode, (unsigned long)q->cbytes, (unsigned long)q->qnum,
			q->lspid, q->lrpid, o->uid, o->gid, o->cuid, o->cgid, (long)q->stime,
			(long)q->rtime, (long)q->ctime);
	}
	pthread_mutex_unlock(&ipc_lock);
	if (fclose(f)) {
		free(buf);
		return -ENOMEM;
	}
	*out = buf;
	return (long)len;
}
