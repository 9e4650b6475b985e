/*
 * SysV semaphores (Linux's ipc/sem.c). A semop's operations are applied in
 * order and rolled back if one cannot be (Linux's perform_atomic_semop_slow,
 * which gives the same result as its fast path): all or nothing, under
 * ipc_lock. A semop that must wait sleeps on its set's wait queue and
 * tries again at every change of the set (a wake means "look again"),
 * instead of Linux's hand-off from the waker; it notes which operation
 * blocked it, which GETNCNT and GETZCNT count, as Linux does since 3.x.
 *
 * SEM_UNDO records (Linux's sem_undo) are per (undo list, set): a task
 * holds a reference on its undo list (CLONE_SYSVSEM shares it), and the
 * last reference applies the adjustments, clamped to 0..SEMVMX.
 *
 * A set's references (refs, under ipc_lock): the id table's while it has
 * an id, and one per sleeper; it is freed with the last.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "sentry/ipc_internal.h"
#include "sentry/mm.h"
#include "sentry/task.h"
#include "sentry/waitq.h"

#define SEM_UNDO 0x1000
#define GETPID 11
#define GETVAL 12
#define GETALL 13
#define GETNCNT 14
#define GETZCNT 15
#define SETVAL 16
#define SETALL 17
#define SEM_STAT 18
#define SEM_INFO 19
#define SEM_STAT_ANY 20

struct sem {
	int semval;
	int sempid;
	int64_t otime;
};

/* A semop asleep on a set, and the operation that blocked it. */
struct sem_sleeper {
	struct sem_sleeper *next, *prev;
	int semnum;
	bool zero;                 /* waits for zero (GETZCNT), else for an increase (GETNCNT) */
};

struct sem_undo;

struct sem_array {
	struct ipc_obj perm;       /* first: the id table points here */
	int nsems;
	int64_t ctime;
	int refs;
	struct waitq wq;           /* sleeping semops: woken at every change */
	struct sem_sleeper sleepers;   /* circular list sentinel */
	struct sem_undo *undos;    /* the undo records for this set (Linux's list_id) */
	struct sem sems[];
};

struct sem_undo_list {
	int refs;                  /* the tasks that share it (CLONE_SYSVSEM) */
	struct sem_undo *head;
};

struct sem_undo {
	struct sem_undo *next_proc;            /* in the undo list */
	struct sem_undo *next_id, **pprev_id;  /* in the set's list */
	struct sem_undo_list *list;
	struct sem_array *arr;
	short semadj[];
};

/* struct sembuf */
struct sembuf {
	uint16_t sem_num;
	int16_t sem_op;
	int16_t sem_flg;
};

struct ipc_ids ipc_sem_ids = { .max_idx = -1, .last_idx = -1 };
static int64_t used_sems;      /* semaphores in every set (SEMMNS) */

static struct sem_array *arr_of(struct ipc_obj *o)
{
	return (struct sem_array *)o;
}

static size_t arr_bytes(int nsems)
{
	return sizeof(struct sem_array) + (size_t)nsems * sizeof(struct sem);
}

static size_t undo_bytes(int nsems)
{
	return sizeof(struct sem_undo) + (size_t)nsems * sizeof(short);
}

static void arr_put_locked(struct sem_array *a)
{
	if (--a->refs)
		return;
	waitq_destroy(&a->wq);
	ipc_charge(-(int64_t)arr_bytes(a->nsems));
	free(a);
}

static void undo_unlink_locked(struct sem_undo *un)
{
	*un->pprev_id = un->next_id;
	if (un->next_id)
		un->next_id->pprev_id = un->pprev_id;
	for (struct sem_undo **p = &un->list->head; *p; p = &(*p)->next_proc) {
		if (*p == un) {
			*p = un->next_proc;
			break;
		}
	}
	ipc_charge(-(int64_t)undo_bytes(un->arr->nsems));
	free(un);
}

/* Linux's freeary: the id goes, sleepers get EIDRM, undo records vanish. */
static void arr_remove_locked(struct sem_array *a)
{
	ipc_rmid(&ipc_sem_ids, &a->perm);
	used_sems -= a->nsems;
	while (a->undos)
		undo_unlink_locked(a->undos);
	waitq_wake(&a->wq, ~0u);
	arr_put_locked(a);
}

long ipc_semget(struct task *t, int32_t key, int nsems, int flags)
{
	pthread_mutex_lock(&ipc_lock);
	long rc;
	struct ipc_obj *o = NULL;
	if (nsems < 0 || nsems > ipc_ns.sem_ctls[0])
		rc = -EINVAL;
	else if ((o = ipc_findkey(&ipc_sem_ids, key)))
		rc = (flags & IPC_CREAT) && (flags & IPC_EXCL) ? -EEXIST
		     : nsems > arr_of(o)->nsems ? -EINVAL
		     : ipc_perms(&t->cred, o, flags) ?: o->id;
	else if (key != IPC_PRIVATE && !(flags & IPC_CREAT))
		rc = -ENOENT;
	else if (nsems == 0)
		rc = -EINVAL;
	else if (used_sems + nsems > ipc_ns.sem_ctls[1])
		rc = -ENOSPC;
	else
		rc = ipc_charge(arr_bytes(nsems));
	if (rc || o)
		goto out;
	struct sem_array *a = calloc(1, arr_bytes(nsems));
	if (!a) {
		ipc_charge(-(int64_t)arr_bytes(nsems));
		rc = -ENOMEM;
		goto out;
	}
	rc = ipc_addid(&ipc_sem_ids, &a->perm, ipc_ns.sem_ctls[3], &t->cred, key, flags);
	if (rc) {
		ipc_charge(-(int64_t)arr_bytes(nsems));
		free(a);
		goto out;
	}
	a->nsems = nsems;
	a->ctime = ipc_now();
	a->refs = 1;
	waitq_init(&a->wq);
	a->sleepers.next = a->sleepers.prev = &a->sleepers;
	used_sems += nsems;
	rc = a->perm.id;
out:
	pthread_mutex_unlock(&ipc_lock);
	return rc;
}

/* ---- semop ---- */

/* The caller's undo record for a, made if needed (Linux's find_alloc_undo); NULL: -ENOMEM. */
static struct sem_undo *undo_find_alloc_locked(struct task *t, struct sem_array *a)
{
	struct sem_undo_list *ul = t->sem_undo;
	if (!ul) {
		if (ipc_charge(sizeof(*ul)))
			return NULL;
		ul = calloc(1, sizeof(*ul));
		if (!ul) {
			ipc_charge(-(int64_t)sizeof(*ul));
			return NULL;
		}
		ul->refs = 1;
		t->sem_undo = ul;
	}
	for (struct sem_undo *un = ul->head; un; un = un->next_proc)
		if (un->arr == a)
			return un;
	if (ipc_charge(undo_bytes(a->nsems)))
		return NULL;
	struct sem_undo *un = calloc(1, undo_bytes(a->nsems));
	if (!un) {
		ipc_charge(-(int64_t)undo_bytes(a->nsems));
		return NULL;
	}
	un->list = ul;
	un->arr = a;
	un->next_proc = ul->head;
	ul->head = un;
	un->next_id = a->undos;
	if (a->undos)
		a->undos->pprev_id = &un->next_id;
	un->pprev_id = &a->undos;
	a->undos = un;
	return un;
}

/*
 * Apply sops to a in order, all or none (Linux's perform_atomic_semop_slow):
 * 0 when done, 1 when the operation *blocking must wait, -EAGAIN when it
 * would wait but has IPC_NOWAIT, -ERANGE past SEMVMX or the undo range.
 */
static int semop_try_locked(struct sem_array *a, const struct sembuf *sops, size_t nsops,
			    struct sem_undo *un, const struct sembuf **blocking)
{
	size_t i;
	int result = 0;
	for (i = 0; i < nsops; i++) {
		const struct sembuf *sop = &sops[i];
		struct sem *s = &a->sems[sop->sem_num];
		int v = s->semval;
		if ((sop->sem_op == 0 && v) || v + sop->sem_op < 0) {
			*blocking = sop;
			result = (sop->sem_flg & IPC_NOWAIT) ? -EAGAIN : 1;
			break;
		}
		v += sop->sem_op;
		if (v > SEMVMX) {
			result = -ERANGE;
			break;
		}
		if (sop->sem_flg & SEM_UNDO) {
			int undo = un->semadj[sop->sem_num] - sop->sem_op;
			if (undo < -SEMAEM - 1 || undo > SEMAEM) {
				result = -ERANGE;
				break;
			}
			un->semadj[sop->sem_num] = (short)undo;
		}
		s->semval = v;
	}
	if (result) {
		while (i-- > 0) {
			a->sems[sops[i].sem_num].semval -= sops[i].sem_op;
			if (sops[i].sem_flg & SEM_UNDO)
				un->semadj[sops[i].sem_num] += sops[i].sem_op;
		}
		return result;
	}
	int pid = ipc_tgid();
	for (i = 0; i < nsops; i++)
		a->sems[sops[i].sem_num].sempid = pid;
	/* Linux's set_semotime: the first operation's semaphore. */
	a->sems[sops[0].sem_num].otime = ipc_now();
	return 0;
}

static int read_timeout(struct task *t, gaddr_t utimeout, struct timespec *ts)
{
	return mm_copy_in(t->mm, ts, utimeout, sizeof(*ts)) ? -EFAULT : 0;
}

long ipc_semtimedop(struct task *t, int id, gaddr_t usops, size_t nsops, gaddr_t utimeout)
{
	struct timespec ts, deadline;
	/* semtimedop copies its timeout first of all (ksys_semtimedop). */
	if (utimeout.v && read_timeout(t, utimeout, &ts))
		return -EFAULT;
	if (nsops < 1 || id < 0)
		return -EINVAL;
	if (nsops > (size_t)__atomic_load_n(&ipc_ns.sem_ctls[2], __ATOMIC_RELAXED))
		return -E2BIG;
	/*
	 * SEMOPM is the guest root's to raise (up to INT_MAX, or -1 meaning no
	 * limit at all): Linux's kvmalloc_array then refuses an array over
	 * INT_MAX bytes (ENOMEM) rather than allocate up to 24 GiB; so do we.
	 */
	if (nsops > INT32_MAX / sizeof(struct sembuf))
		return -ENOMEM;
	struct sembuf *sops = malloc(nsops * sizeof(*sops));
	if (!sops)
		return -ENOMEM;
	if (mm_copy_in(t->mm, sops, usops, nsops * sizeof(*sops))) {
		free(sops);
		return -EFAULT;
	}
	if (utimeout.v) {
		if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000L) {
			free(sops);
			return -EINVAL;
		}
		deadline = waitq_deadline_after(ts.tv_sec >= INT64_MAX / 1000000000LL
						? UINT64_MAX
						: (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec);
	}
	int max = 0;
	bool undos = false, alter = false;
	for (size_t i = 0; i < nsops; i++) {
		max = MAX(max, sops[i].sem_num);
		undos |= sops[i].sem_flg & SEM_UNDO;
		alter |= sops[i].sem_op != 0;
	}
	long rc;
	pthread_mutex_lock(&ipc_lock);
	struct ipc_obj *o = ipc_obtain(&ipc_sem_ids, id);
	struct sem_array *a = o ? arr_of(o) : NULL;
	struct sem_undo *un = NULL;
	const struct sembuf *blocking = NULL;
	if (!a)
		rc = -EINVAL;
	else if (max >= a->nsems)
		rc = -EFBIG;
	else if (ipc_perms(&t->cred, o, alter ? S_IWUGO : S_IRUGO))
		rc = -EACCES;
	else if (undos && !(un = undo_find_alloc_locked(t, a)))
		rc = -ENOMEM;
	else
		rc = semop_try_locked(a, sops, nsops, un, &blocking);
	if (rc == 0 && alter)
		waitq_wake(&a->wq, ~0u);
	if (rc != 1) {
		pthread_mutex_unlock(&ipc_lock);
		free(sops);
		return rc;
	}
	/* Sleep until the set changes, then try again (see the top of the file). */
	struct sem_sleeper sl = { .semnum = blocking->sem_num, .zero = blocking->sem_op == 0 };
	sl.next = &a->sleepers;
	sl.prev = a->sleepers.prev;
	a->sleepers.prev->next = &sl;
	a->sleepers.prev = &sl;
	a->refs++;
	struct waiter w;
	waiter_init(&w);
	rc = waiter_add(&w, &a->wq, ~0u);
	pthread_mutex_unlock(&ipc_lock);
	while (rc == 1 || rc == 0) {
		rc = waiter_wait(&w, utimeout.v ? &deadline : NULL);
		waiter_reset(&w);
		pthread_mutex_lock(&ipc_lock);
		if (a->perm.deleted) {
			rc = -EIDRM;
		} else if (rc == 0) {
			rc = semop_try_locked(a, sops, nsops, un, &blocking);
			if (rc == 0 && alter)
				waitq_wake(&a->wq, ~0u);
			if (rc == 1) {
				sl.semnum = blocking->sem_num;
				sl.zero = blocking->sem_op == 0;
			}
		} else if (rc == -ETIMEDOUT) {
			rc = -EAGAIN;
		}
		/* -EINTR stays: semop is never restarted after a signal, SA_RESTART or not. */
		pthread_mutex_unlock(&ipc_lock);
		if (rc == 1)
			rc = 0;      /* go on sleeping */
		else
			break;
	}
	waiter_destroy(&w);
	pthread_mutex_lock(&ipc_lock);
	sl.prev->next = sl.next;
	sl.next->prev = sl.prev;
	arr_put_locked(a);
	pthread_mutex_unlock(&ipc_lock);
	free(sops);
	return rc;
}

/* ---- semctl ---- */

struct semid64_ds {
	struct ipc64_perm perm;
	int64_t otime;
	uint64_t unused1;
	int64_t ctime;
	uint64_t unused2;
	uint64_t nsems, unused3, unused4;
};

struct seminfo {
	int32_t semmap, semmni, semmns, semmnu, semmsl, semopm, semume, semusz, semvmx, semaem;
};

static long sem_info(struct task *t, int cmd, gaddr_t buf)
{
	pthread_mutex_lock(&ipc_lock);
	struct seminfo in = {
		.semmni = ipc_ns.sem_ctls[3], .semmns = ipc_ns.sem_ctls[1],
		.semmsl = ipc_ns.sem_ctls[0], .semopm = ipc_ns.sem_ctls[2],
		.semvmx = SEMVMX, .semmnu = 1024000000 /* SEMMNU */, .semmap = 1024000000 /* SEMMAP */,
		.semume = 500 /* SEMUME */,
	};
	if (cmd == SEM_INFO) {
		in.semusz = ipc_sem_ids.in_use;
		in.semaem = (int32_t)used_sems;
	} else {
		in.semusz = 20;           /* SEMUSZ */
		in.semaem = SEMAEM;
	}
	int maxidx = MAX(ipc_get_maxidx(&ipc_sem_ids), 0);
	pthread_mutex_unlock(&ipc_lock);
	return mm_copy_out(t->mm, buf, &in, sizeof(in)) ? -EFAULT : maxidx;
}

static int64_t arr_otime(const struct sem_array *a)
{
	int64_t m = 0;
	for (int i = 0; i < a->nsems; i++)
		m = MAX(m, a->sems[i].otime);
	return m;
}

static long sem_stat(struct task *t, int id, int cmd, gaddr_t buf)
{
	pthread_mutex_lock(&ipc_lock);
	struct ipc_obj *o;
	long rc = ipc_obtain_stat(&ipc_sem_ids, id, cmd, SEM_STAT_ANY, &t->cred, &o);
	struct semid64_ds ds;
	memset(&ds, 0, sizeof(ds));
	if (!rc) {
		ipc_fill_perm(&ds.perm, o);
		ds.otime = arr_otime(arr_of(o));
		ds.ctime = arr_of(o)->ctime;
		ds.nsems = arr_of(o)->nsems;
		rc = cmd == IPC_STAT ? 0 : o->id;
	}
	pthread_mutex_unlock(&ipc_lock);
	if (rc < 0)
		return rc;
	return mm_copy_out(t->mm, buf, &ds, sizeof(ds)) ? -EFAULT : rc;
}

/* Linux's count_semcnt: sleepers blocked by an operation on semnum of that kind. */
static int count_sleepers_locked(struct sem_array *a, int semnum, bool zero)
{
	int n = 0;
	for (struct sem_sleeper *s = a->sleepers.next; s != &a->sleepers; s = s->next)
		n += s->semnum == semnum && s->zero == zero;
	return n;
}

/* A change by SETVAL/SETALL: undo records of the values forget them, sleepers look again. */
static void arr_changed_locked(struct sem_array *a, int semnum)
{
	for (struct sem_undo *un = a->undos; un; un = un->next_id) {
		if (semnum >= 0)
			un->semadj[semnum] = 0;
		else
			memset(un->semadj, 0, a->nsems * sizeof(short));
	}
	a->ctime = ipc_now();
	waitq_wake(&a->wq, ~0u);
}

static long sem_setall(struct task *t, int id, gaddr_t buf)
{
	pthread_mutex_lock(&ipc_lock);
	struct ipc_obj *o = ipc_obtain(&ipc_sem_ids, id);
	long rc = !o ? -EINVAL : ipc_perms(&t->cred, o, S_IWUGO);
	if (rc) {
		pthread_mutex_unlock(&ipc_lock);
		return rc;
	}
	struct sem_array *a = arr_of(o);
	a->refs++;
	pthread_mutex_unlock(&ipc_lock);
	uint16_t *v = malloc(a->nsems * sizeof(*v));
	if (!v)
		rc = -ENOMEM;
	else if (mm_copy_in(t->mm, v, buf, a->nsems * sizeof(*v)))
		rc = -EFAULT;
	for (int i = 0; !rc && i < a->nsems; i++)
		if (v[i] > SEMVMX)
			rc = -ERANGE;
	pthread_mutex_lock(&ipc_lock);
	if (!rc && a->perm.deleted)
		rc = -EIDRM;
	if (!rc) {
		int pid = ipc_tgid();
		for (int i = 0; i < a->nsems; i++) {
			a->sems[i].semval = v[i];
			a->sems[i].sempid = pid;
		}
		arr_changed_locked(a, -1);
	}
	arr_put_locked(a);
	pthread_mutex_unlock(&ipc_lock);
	free(v);
	return rc;
}

static long sem_getall(struct task *t, int id, gaddr_t buf)
{
	pthread_mutex_lock(&ipc_lock);
	struct ipc_obj *o = ipc_obtain(&ipc_sem_ids, id);
	long rc = !o ? -EINVAL : ipc_perms(&t->cred, o, S_IRUGO);
	uint16_t *v = NULL;
	int n = 0;
	if (!rc) {
		n = arr_of(o)->nsems;
		v = malloc(n * sizeof(*v));
		if (!v)
			rc = -ENOMEM;
		for (int i = 0; v && i < n; i++)
			v[i] = (uint16_t)arr_of(o)->sems[i].semval;
	}
	pthread_mutex_unlock(&ipc_lock);
	if (!rc && mm_copy_out(t->mm, buf, v, n * sizeof(*v)))
		rc = -EFAULT;
	free(v);
	return rc;
}

/* GETVAL, GETPID, GETNCNT, GETZCNT, SETVAL. */
static long sem_one(struct task *t, int id, int semnum, int cmd, int val)
{
	if (cmd == SETVAL && (val > SEMVMX || val < 0))
		return -ERANGE;
	pthread_mutex_lock(&ipc_lock);
	struct ipc_obj *o = ipc_obtain(&ipc_sem_ids, id);
	struct sem_array *a = o ? arr_of(o) : NULL;
	long rc;
	/* SETVAL checks the index before the permission, the others after (Linux's order). */
	if (!a)
		rc = -EINVAL;
	else if (cmd == SETVAL && (semnum < 0 || semnum >= a->nsems))
		rc = -EINVAL;
	else if (ipc_perms(&t->cred, o, cmd == SETVAL ? S_IWUGO : S_IRUGO))
		rc = -EACCES;
	else if (semnum < 0 || semnum >= a->nsems)
		rc = -EINVAL;
	else if (cmd == GETVAL)
		rc = a->sems[semnum].semval;
	else if (cmd == GETPID)
		rc = a->sems[semnum].sempid;
	else if (cmd == GETNCNT || cmd == GETZCNT)
		rc = count_sleepers_locked(a, semnum, cmd == GETZCNT);
	else {
		a->sems[semnum].semval = val;
		a->sems[semnum].sempid = ipc_tgid();
		arr_changed_locked(a, semnum);
		rc = 0;
	}
	pthread_mutex_unlock(&ipc_lock);
	return rc;
}

static long sem_down(struct task *t, int id, int cmd, const struct semid64_ds *in)
{
	pthread_mutex_lock(&ipc_lock);
	struct ipc_obj *o = ipc_obtain(&ipc_sem_ids, id);
	long rc = !o ? -EINVAL : ipc_check_owner(&t->cred, o);
	if (!rc && cmd == IPC_RMID) {
		arr_remove_locked(arr_of(o));
	} else if (!rc) {
		rc = ipc_update_perm(o, in->perm.uid, in->perm.gid, in->perm.mode);
		if (!rc)
			arr_of(o)->ctime = ipc_now();
	}
	pthread_mutex_unlock(&ipc_lock);
	return rc;
}

long ipc_semctl(struct task *t, int id, int semnum, int cmd, uint64_t arg)
{
	if (id < 0)
		return -EINVAL;
	gaddr_t p = gaddr(arg);
	struct semid64_ds in;
	switch (cmd) {
	case IPC_INFO:
	case SEM_INFO:
		return sem_info(t, cmd, p);
	case IPC_STAT:
	case SEM_STAT:
	case SEM_STAT_ANY:
		return sem_stat(t, id, cmd, p);
	case GETALL:
		return sem_getall(t, id, p);
	case SETALL:
		return sem_setall(t, id, p);
	case GETVAL:
	case GETPID:
	case GETNCNT:
	case GETZCNT:
		return sem_one(t, id, semnum, cmd, 0);
	case SETVAL:
		/* union semun by value: the int is the low half on little-endian x86-64. */
		return sem_one(t, id, semnum, cmd, (int)(uint32_t)arg);
	case IPC_SET:
		if (mm_copy_in(t->mm, &in, p, sizeof(in)))
			return -EFAULT;
		return sem_down(t, id, cmd, &in);
	case IPC_RMID:
		return sem_down(t, id, cmd, NULL);
	}
	return -EINVAL;
}

/* ---- undo lists ---- */

int ipc_sem_undo_fork(struct task *child, struct task *parent, bool share)
{
	child->sem_undo = NULL;
	if (!share)
		return 0;
	pthread_mutex_lock(&ipc_lock);
	struct sem_undo_list *ul = parent->sem_undo;
	int rc = 0;
	if (!ul && !(rc = ipc_charge(sizeof(*ul)))) {
		/* Linux's get_undo_list: made now, so that both share it from the start. */
		ul = calloc(1, sizeof(*ul));
		if (ul) {
			ul->refs = 1;
			parent->sem_undo = ul;
		} else {
			ipc_charge(-(int64_t)sizeof(*ul));
			rc = -ENOMEM;
		}
	}
	if (ul) {
		ul->refs++;
		child->sem_undo = ul;
	}
	pthread_mutex_unlock(&ipc_lock);
	return rc;
}

void ipc_sem_undo_exit(struct task *t)
{
	struct sem_undo_list *ul = t->sem_undo;
	if (!ul)
		return;
	t->sem_undo = NULL;
	pthread_mutex_lock(&ipc_lock);
	if (--ul->refs == 0) {
		/* Linux's exit_sem: every adjustment, clamped to 0..SEMVMX. */
		int pid = ipc_tgid();
		while (ul->head) {
			struct sem_undo *un = ul->head;
			struct sem_array *a = un->arr;
			for (int i = 0; i < a->nsems; i++) {
				if (!un->semadj[i])
					continue;
				int v = a->sems[i].semval + un->semadj[i];
				a->sems[i].semval = MAX(0, MIN(v, SEMVMX));
				a->sems[i].sempid = pid;
			}
			a->sems[0].otime = ipc_now();
			waitq_wake(&a->wq, ~0u);
			undo_unlink_locked(un);
		}
		free(ul);
		ipc_charge(-(int64_t)sizeof(*ul));
	}
	pthread_mutex_unlock(&ipc_lock);
}

/* ---- /proc/sysvipc/sem ---- */

long ipc_sem_proc(char **out)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return -ENOMEM;
	fprintf(f, "       key      semid perms      nsems   uid   gid  cuid  cgid      otime      ctime\n");
	pthread_mutex_lock(&ipc_lock);
	for (int i = 0; i <= ipc_sem_ids.max_idx; i++) {
		struct ipc_obj *o = ipc_sem_ids.slots[i];
		if (!o)
			continue;
		struct sem_array *a = arr_of(o);
		fprintf(f, "%10d %10d  %4o %10u %5u %5u %5u %5u %10ld %10ld\n", o->key, o->id, o->mode,
			a->nsems, o->uid, o->gid, o->cuid, o->cgid, (long)arr_otime(a), (long)a->ctime);
	}
	pthread_mutex_unlock(&ipc_lock);
	if (fclose(f)) {
		free(buf);
		return -ENOMEM;
	}
	*out = buf;
	return (long)len;
}
