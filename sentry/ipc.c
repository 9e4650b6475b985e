/*
 * SysV IPC: what the three kinds share (Linux's ipc/util.c, ipc/ipc_sysctl.c):
 * ids, keys, permissions, the namespace's limits and their sysctls, and
 * /proc/sysvipc. The kinds themselves are ipc_shm.c, ipc_sem.c and
 * ipc_msg.c; the lock and the objects' layout are in ipc_internal.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "sentry/ipc_internal.h"
#include "sentry/task.h"

pthread_mutex_t ipc_lock = PTHREAD_MUTEX_INITIALIZER;

/* Linux's defaults (include/uapi/linux/shm.h, sem.h, msg.h) */
struct ipc_limits ipc_ns = {
	.shm_ctlmax = UINT64_MAX - (1ULL << 24),     /* SHMMAX */
	.shm_ctlall = UINT64_MAX - (1ULL << 24),     /* SHMALL */
	.shm_ctlmni = 4096,                          /* SHMMNI */
	.sem_ctls = { 32000, 1024000000, 500, 32000 },  /* SEMMSL, SEMMNS, SEMOPM, SEMMNI */
	.msg_ctlmax = 8192,                          /* MSGMAX */
	.msg_ctlmnb = 16384,                         /* MSGMNB */
	.msg_ctlmni = 32000,                         /* MSGMNI */
};

/*
 * Sentry heap for semaphores, undo records and queued messages. Linux
 * bounds these by its kernel memory only; the sentry keeps them in its own
 * heap, so they get a budget of their own: a guest at Linux's limits
 * (32,000 queues of 16 KiB) would otherwise hold half a GiB of it.
 */
#define IPC_HEAP_BUDGET (64ULL << 20)
static uint64_t ipc_heap_used;

int ipc_charge(int64_t n)
{
	if (n > 0 && ipc_heap_used + (uint64_t)n > IPC_HEAP_BUDGET)
		return -ENOMEM;
	ipc_heap_used += n;
	return 0;
}

int64_t ipc_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec;
}

int ipc_tgid(void)
{
	struct task *t = task_current();
	return t ? t->tg->tgid : 0;
}

/* ---- ids ---- */

struct ipc_obj *ipc_findkey(struct ipc_ids *ids, int32_t key)
{
	if (key == IPC_PRIVATE)
		return NULL;
	for (int i = 0; i <= ids->max_idx; i++)
		if (ids->slots[i] && ids->slots[i]->key == key)
			return ids->slots[i];
	return NULL;
}

struct ipc_obj *ipc_obtain_idx(struct ipc_ids *ids, int idx)
{
	return idx >= 0 && idx < ids->cap ? ids->slots[idx] : NULL;
}

struct ipc_obj *ipc_obtain(struct ipc_ids *ids, int id)
{
	if (id < 0)
		return NULL;
	struct ipc_obj *o = ipc_obtain_idx(ids, id & (IPC_MNI - 1));
	return o && o->id == id ? o : NULL;
}

long ipc_obtain_stat(struct ipc_ids *ids, int id, int cmd, int any_cmd, const struct cred *c,
		     struct ipc_obj **o)
{
	*o = cmd == IPC_STAT ? ipc_obtain(ids, id) : ipc_obtain_idx(ids, id & (IPC_MNI - 1));
	return !*o ? -EINVAL : cmd == any_cmd ? 0 : ipc_perms(c, *o, S_IRUGO);
}

/* The first free index in [from, end), or -1. */
static int free_slot(const struct ipc_ids *ids, int from, int end)
{
	for (int i = from; i < end; i++)
		if (i >= ids->cap || !ids->slots[i])
			return i;
	return -1;
}

int ipc_addid(struct ipc_ids *ids, struct ipc_obj *o, int limit, const struct cred *c,
	      int32_t key, int flags)
{
	if (limit > IPC_MNI)
		limit = IPC_MNI;
	if (ids->in_use >= limit)
		return -ENOSPC;
	/* Linux's ipc_idr_alloc: cyclic over a range that grows with the ids in use. */
	int end = MAX(ids->in_use * 3 / 2, 64);
	end = MIN(end, IPC_MNI);
	int idx = free_slot(ids, ids->next < end ? ids->next : end, end);
	if (idx < 0)
		idx = free_slot(ids, 0, end);
	if (idx < 0)
		return -ENOSPC;
	if (idx >= ids->cap) {
		int cap = MIN(MAX(ids->cap * 2, 64), IPC_MNI);
		while (cap <= idx)
			cap *= 2;
		struct ipc_obj **s = realloc(ids->slots, cap * sizeof(*s));
		if (!s)
			return -ENOMEM;
		memset(s + ids->cap, 0, (cap - ids->cap) * sizeof(*s));
		ids->slots = s;
		ids->cap = cap;
	}
	if (idx <= ids->last_idx && ++ids->seq >= IPC_SEQ_MAX)
		ids->seq = 0;
	ids->last_idx = idx;
	ids->next = idx + 1;
	ids->slots[idx] = o;
	ids->in_use++;
	if (idx > ids->max_idx)
		ids->max_idx = idx;
	o->seq = ids->seq;
	o->id = (o->seq << IPC_SEQ_SHIFT) + idx;
	o->key = key;
	o->uid = o->cuid = c->euid;
	o->gid = o->cgid = c->egid;
	o->mode = flags & 0777;
	o->deleted = false;
	return 0;
}

void ipc_rmid(struct ipc_ids *ids, struct ipc_obj *o)
{
	int idx = o->id & (IPC_MNI - 1);
	ids->slots[idx] = NULL;
	ids->in_use--;
	while (ids->max_idx >= 0 && !ids->slots[ids->max_idx])
		ids->max_idx--;
	o->deleted = true;
}

int ipc_get_maxidx(const struct ipc_ids *ids)
{
	if (ids->in_use == 0)
		return -1;
	if (ids->in_use == IPC_MNI)
		return IPC_MNI - 1;
	return ids->max_idx;
}

/* ---- permissions ---- */

int ipc_perms(const struct cred *c, const struct ipc_obj *o, int flag)
{
	int requested = (flag >> 6) | (flag >> 3) | flag;
	int granted = o->mode;
	if (c->euid == o->cuid || c->euid == o->uid)
		granted >>= 6;
	else if (cred_in_group(c, o->cgid) || cred_in_group(c, o->gid))
		granted >>= 3;
	if ((requested & ~granted & 0007) && !cred_capable(c, CAP_IPC_OWNER))
		return -EACCES;
	return 0;
}

int ipc_check_owner(const struct cred *c, const struct ipc_obj *o)
{
	if (c->euid == o->cuid || c->euid == o->uid || cred_capable(c, CAP_SYS_ADMIN))
		return 0;
	return -EPERM;
}

int ipc_update_perm(struct ipc_obj *o, uint32_t uid, uint32_t gid, uint32_t mode)
{
	/* make_kuid of (uid_t)-1 is invalid: Linux refuses it. */
	if (uid == UINT32_MAX || gid == UINT32_MAX)
		return -EINVAL;
	o->uid = uid;
	o->gid = gid;
	o->mode = (o->mode & ~0777u) | (mode & 0777);
	return 0;
}

void ipc_fill_perm(struct ipc64_perm *out, const struct ipc_obj *o)
{
	memset(out, 0, sizeof(*out));
	out->key = o->key;
	out->uid = o->uid;
	out->gid = o->gid;
	out->cuid = o->cuid;
	out->cgid = o->cgid;
	out->mode = o->mode;
	out->seq = o->seq;
}

/* ---- /proc/sysvipc and /proc/sys/kernel ---- */

long ipc_proc_text(enum ipc_kind kind, char **out)
{
	switch (kind) {
	case IPC_KIND_SHM:
		return ipc_shm_proc(out);
	case IPC_KIND_SEM:
		return ipc_sem_proc(out);
	case IPC_KIND_MSG:
		return ipc_msg_proc(out);
	}
	return -EINVAL;
}

long ipc_sysctl_show(const char *name, char *buf, size_t cap)
{
	int n;
	pthread_mutex_lock(&ipc_lock);
	if (!strcmp(name, "shmmax"))
		n = snprintf(buf, cap, "%lu\n", (unsigned long)ipc_ns.shm_ctlmax);
	else if (!strcmp(name, "shmall"))
		n = snprintf(buf, cap, "%lu\n", (unsigned long)ipc_ns.shm_ctlall);
	else if (!strcmp(name, "shmmni"))
		n = snprintf(buf, cap, "%d\n", ipc_ns.shm_ctlmni);
	else if (!strcmp(name, "sem"))
		n = snprintf(buf, cap, "%d\t%d\t%d\t%d\n", ipc_ns.sem_ctls[0], ipc_ns.sem_ctls[1],
			     ipc_ns.sem_ctls[2], ipc_ns.sem_ctls[3]);
	else if (!strcmp(name, "msgmax"))
		n = snprintf(buf, cap, "%d\n", ipc_ns.msg_ctlmax);
	else if (!strcmp(name, "msgmnb"))
		n = snprintf(buf, cap, "%d\n", ipc_ns.msg_ctlmnb);
	else if (!strcmp(name, "msgmni"))
		n = snprintf(buf, cap, "%d\n", ipc_ns.msg_ctlmni);
	else
		n = -ENOENT;
	pthread_mutex_unlock(&ipc_lock);
	if (n < 0)
		return n;
	return (long)MIN((size_t)n, cap ? cap - 1 : 0);
}

/*
 * Up to max numbers separated by blanks (proc_dointvec's and
 * proc_doulongvec's input); the count, or -EINVAL for anything else.
 */
static int parse_numbers(const char *buf, size_t len, uint64_t *v, bool *neg, int max)
{
	char tmp[128];
	if (len >= sizeof(tmp))
		return -EINVAL;
	memcpy(tmp, buf, len);
	tmp[len] = 0;
	int n = 0;
	char *p = tmp;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (!*p)
			break;
		if (n == max)
			return -EINVAL;
		neg[n] = *p == '-';
		if (*p == '-' || *p == '+')
			p++;
		if (*p < '0' || *p > '9')
			return -EINVAL;
		char *end;
		errno = 0;
		v[n] = strtoull(p, &end, 10);
		if (errno || (*end && *end != ' ' && *end != '\t' && *end != '\n'))
			return -EINVAL;
		n++;
		p = end;
	}
	return n;
}

/* One int within [lo, hi] (proc_dointvec_minmax). */
static bool int_in(uint64_t v, bool neg, int64_t lo, int64_t hi)
{
	if (v > INT32_MAX + (uint64_t)neg)
		return false;
	int64_t x = neg ? -(int64_t)v : (int64_t)v;
	return x >= lo && x <= hi;
}

long ipc_sysctl_write(const char *name, const char *buf, size_t len)
{
	uint64_t v[4];
	bool neg[4];
	bool sem = !strcmp(name, "sem");
	int n = parse_numbers(buf, len, v, neg, sem ? 4 : 1);
	if (n < 0)
		return n;
	if (n == 0)
		return (long)len;      /* only blanks: nothing changes */
	long rc = (long)len;
	pthread_mutex_lock(&ipc_lock);
	if (!strcmp(name, "shmmax") || !strcmp(name, "shmall")) {
		/* proc_doulongvec_minmax: any unsigned long, no minus sign. */
		if (neg[0])
			rc = -EINVAL;
		else if (!strcmp(name, "shmmax"))
			ipc_ns.shm_ctlmax = v[0];
		else
			ipc_ns.shm_ctlall = v[0];
	} else if (!strcmp(name, "shmmni") || !strcmp(name, "msgmni")) {
		if (!int_in(v[0], neg[0], 0, IPC_MNI))
			rc = -EINVAL;
		else if (!strcmp(name, "shmmni"))
			ipc_ns.shm_ctlmni = (int)v[0];
		else
			ipc_ns.msg_ctlmni = (int)v[0];
	} else if (!strcmp(name, "msgmax") || !strcmp(name, "msgmnb")) {
		if (!int_in(v[0], neg[0], 0, INT32_MAX))
			rc = -EINVAL;
		else if (!strcmp(name, "msgmax"))
			ipc_ns.msg_ctlmax = (int)v[0];
		else
			ipc_ns.msg_ctlmnb = (int)v[0];
	} else if (sem) {
		/* Linux's proc_ipc_sem_dointvec: the values given, SEMMNI within 0..IPCMNI. */
		int nv[4];
		memcpy(nv, ipc_ns.sem_ctls, sizeof(nv));
		for (int i = 0; i < n; i++) {
			if (!int_in(v[i], neg[i], INT32_MIN, INT32_MAX)) {
				rc = -EINVAL;
				break;
			}
			nv[i] = neg[i] ? -(int)v[i] : (int)v[i];
		}
		if (rc >= 0 && (nv[3] < 0 || nv[3] > IPC_MNI))
			rc = -EINVAL;
		if (rc >= 0)
			memcpy(ipc_ns.sem_ctls, nv, sizeof(nv));
	} else {
		rc = -ENOENT;
	}
	pthread_mutex_unlock(&ipc_lock);
	return rc;
}
