/*
 * SysV shared memory (Linux's ipc/shm.c). A segment's pages are a tmpfs
 * file in the MemoryFile (fs/sysv_shm.c), made as they are first touched,
 * like MAP_SHARED memory of a tmpfs file; shmat maps an attach file over
 * it with mm_map, so fork, exec, exit, mprotect, munmap and mremap treat
 * attachments as the shared file mappings they are. Each VMA of an
 * attachment that starts or ends reports to shm_pin, which keeps
 * shm_nattch, shm_atime/dtime and shm_lpid as Linux's shm_open/shm_close
 * (a split VMA counts twice, as in Linux), and destroys a segment marked
 * SHM_DEST at its last detach.
 *
 * A segment's references (refs, under ipc_lock): the id table's while it
 * has an id, and one per attach file (which holds the segment's file too).
 * It is freed, and its file put, with the last.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include "fs/vfs.h"
#include "sentry/ipc_internal.h"
#include "sentry/mm.h"
#include "sentry/task.h"

#define SHM_RDONLY 010000
#define SHM_RND 020000
#define SHM_REMAP 040000
#define SHM_EXEC 0100000
#define SHM_HUGETLB 04000
#define SHM_NORESERVE 010000
#define SHM_DEST 01000
#define SHM_LOCKED 02000
#define SHM_LOCK 11
#define SHM_UNLOCK 12
#define SHM_STAT 13
#define SHM_INFO 14
#define SHM_STAT_ANY 15
#define SHMMIN 1
#define SHMLBA PAGE_SIZE

struct shm_seg {
	struct ipc_obj perm;       /* first: the id table points here */
	uint64_t size;
	int64_t atime, dtime, ctime;
	int cpid, lpid;
	uint64_t nattch;
	struct file *file;         /* the pages (a reference) */
	int refs;
};

struct ipc_ids ipc_shm_ids = { .max_idx = -1, .last_idx = -1 };
static uint64_t shm_tot;       /* pages of every segment with an id (SHMALL) */

static struct shm_seg *seg_of(struct ipc_obj *o)
{
	return (struct shm_seg *)o;
}

static uint64_t seg_pages(const struct shm_seg *s)
{
	return (s->size + PAGE_SIZE - 1) / PAGE_SIZE;
}

/* Drop a reference; the segment's file if it was the last (put it after unlocking). */
static struct file *seg_put_locked(struct shm_seg *s)
{
	if (--s->refs)
		return NULL;
	struct file *f = s->file;
	free(s);
	return f;
}

/* Linux's shm_destroy: the id goes, and with it the table's reference. */
static struct file *seg_destroy_locked(struct shm_seg *s)
{
	ipc_rmid(&ipc_shm_ids, &s->perm);
	shm_tot -= seg_pages(s);
	return seg_put_locked(s);
}

static bool seg_may_destroy(const struct shm_seg *s)
{
	return s->nattch == 0 && (s->perm.mode & SHM_DEST);
}

/* A VMA of an attachment starts (+1) or ends (-1): Linux's shm_open and shm_close. */
static void shm_pin(void *owner, int delta)
{
	struct shm_seg *s = owner;
	struct file *put = NULL;
	pthread_mutex_lock(&ipc_lock);
	s->lpid = ipc_tgid();
	if (delta > 0) {
		s->atime = ipc_now();
		s->nattch += delta;
	} else {
		s->dtime = ipc_now();
		s->nattch += delta;
		if (!s->perm.deleted && seg_may_destroy(s))
			put = seg_destroy_locked(s);
	}
	pthread_mutex_unlock(&ipc_lock);
	file_put(put);   /* never the last reference: the attach file holds one */
}

static void shm_attach_release(void *owner)
{
	pthread_mutex_lock(&ipc_lock);
	struct file *put = seg_put_locked(owner);
	pthread_mutex_unlock(&ipc_lock);
	file_put(put);
}

static const struct vfs_shm_ops shm_ops = { shm_pin, shm_attach_release };

long ipc_shmget(struct task *t, int32_t key, uint64_t size, int flags)
{
	struct file *file = NULL;
	long rc;
	for (;;) {
		pthread_mutex_lock(&ipc_lock);
		struct ipc_obj *o = ipc_findkey(&ipc_shm_ids, key);
		if (o) {
			/* Linux's ipcget_public, in its order. */
			if ((flags & IPC_CREAT) && (flags & IPC_EXCL))
				rc = -EEXIST;
			else if (seg_of(o)->size < size)
				rc = -EINVAL;
			else
				rc = ipc_perms(&t->cred, o, flags) ?: o->id;
			break;
		}
		if (key != IPC_PRIVATE && !(flags & IPC_CREAT)) {
			rc = -ENOENT;
			break;
		}
		/* Linux's newseg. */
		uint64_t pages = (size + PAGE_SIZE - 1) / PAGE_SIZE;
		if (size < SHMMIN || size > ipc_ns.shm_ctlmax) {
			rc = -EINVAL;
			break;
		}
		if (pages * PAGE_SIZE < size || shm_tot + pages < shm_tot ||
		    shm_tot + pages > ipc_ns.shm_ctlall) {
			rc = -ENOSPC;
			break;
		}
		if (flags & SHM_HUGETLB) {
			/* No huge pages are reserved in the sandbox (a host with nr_hugepages 0). */
			rc = cred_capable(&t->cred, CAP_IPC_LOCK) ? -ENOMEM : -EPERM;
			break;
		}
		/*
		 * Linux charges the segment to the overcommit heuristic unless
		 * SHM_NORESERVE: more than the whole memory fails.
		 */
		if (!(flags & SHM_NORESERVE) && kernel.mem_limit && size > kernel.mem_limit) {
			rc = -ENOMEM;
			break;
		}
		if (!file) {
			/* The file is made without ipc_lock (the VFS lock comes first); then look again. */
			pthread_mutex_unlock(&ipc_lock);
			int r = vfs_shm_create((uint32_t)key, size, &file);
			if (r)
				return r;
			continue;
		}
		struct shm_seg *s = calloc(1, sizeof(*s));
		if (!s) {
			rc = -ENOMEM;
			break;
		}
		rc = ipc_addid(&ipc_shm_ids, &s->perm, ipc_ns.shm_ctlmni, &t->cred, key, flags);
		if (rc) {
			free(s);
			break;
		}
		s->size = size;
		s->ctime = ipc_now();
		s->cpid = t->tg->tgid;
		s->file = file;
		s->refs = 1;
		file_get(file);    /* ours, to number it after unlocking */
		shm_tot += pages;
		rc = s->perm.id;
		pthread_mutex_unlock(&ipc_lock);
		vfs_shm_set_ino(file, (uint64_t)rc);
		file_put(file);
		return rc;
	}
	pthread_mutex_unlock(&ipc_lock);
	file_put(file);
	return rc;
}

long ipc_shmat(struct task *t, int id, uint64_t addr, int flags)
{
	if (id < 0)
		return -EINVAL;
	bool fixed = addr != 0, remap = flags & SHM_REMAP;
	if (addr & (SHMLBA - 1)) {
		if (!(flags & SHM_RND))
			return -EINVAL;
		addr &= ~(SHMLBA - 1);
		/* Rounded down to 0: no address to remap at. */
		if (!addr && remap)
			return -EINVAL;
	} else if (!addr && remap) {
		return -EINVAL;
	}
	bool rdonly = flags & SHM_RDONLY;
	int prot = rdonly ? PROT_READ : PROT_READ | PROT_WRITE;
	int acc = rdonly ? S_IRUGO : S_IRUGO | S_IWUGO;
	if (flags & SHM_EXEC) {
		prot |= PROT_EXEC;
		acc |= S_IXUGO;
	}
	pthread_mutex_lock(&ipc_lock);
	struct ipc_obj *o = ipc_obtain(&ipc_shm_ids, id);
	int rc = !o ? -EINVAL : ipc_perms(&t->cred, o, acc);
	struct shm_seg *s = rc ? NULL : seg_of(o);
	if (s) {
		/* As Linux: counted attached while mapping, so IPC_RMID meanwhile cannot destroy it. */
		s->nattch++;
		s->refs++;     /* the attach file's */
	}
	pthread_mutex_unlock(&ipc_lock);
	if (rc)
		return rc;
	struct file *af = NULL;
	long r = vfs_shm_attach(s->file, rdonly, &shm_ops, s, &af);
	if (r) {
		shm_attach_release(s);
	} else {
		uint64_t len = PAGE_ALIGN_UP(s->size);
		if (fixed && !remap && addr + len < addr)
			r = -EINVAL;
		else
			r = mm_map(t->mm, addr, len, prot, VMA_SHARED, fixed, fixed && !remap, af, 0);
		/* Linux refuses an attach over existing mappings unless SHM_REMAP. */
		if (r == -EEXIST)
			r = -EINVAL;
		file_put(af);
	}
	struct file *put = NULL;
	pthread_mutex_lock(&ipc_lock);
	s->nattch--;
	if (!s->perm.deleted && seg_may_destroy(s))
		put = seg_destroy_locked(s);
	pthread_mutex_unlock(&ipc_lock);
	file_put(put);
	return r;
}

long ipc_shmdt(struct task *t, uint64_t addr)
{
	return mm_shm_detach(t->mm, addr);
}

/* struct shmid64_ds, struct shminfo64 and struct shm_info as x86-64 lays them out. */
struct shmid64_ds {
	struct ipc64_perm perm;
	uint64_t segsz;
	int64_t atime, dtime, ctime;
	int32_t cpid, lpid;
	uint64_t nattch, unused4, unused5;
};

struct shminfo64 {
	uint64_t shmmax, shmmin, shmmni, shmseg, shmall, unused[4];
};

struct shm_info {
	int32_t used_ids, pad;
	uint64_t shm_tot, shm_rss, shm_swp, swap_attempts, swap_successes;
};

/* The files of every segment with an id (references), for counting pages without ipc_lock. */
static int snapshot_files_locked(struct file ***out)
{
	struct file **v = calloc(ipc_shm_ids.in_use ? ipc_shm_ids.in_use : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	int n = 0;
	for (int i = 0; i <= ipc_shm_ids.max_idx; i++) {
		struct ipc_obj *o = ipc_shm_ids.slots[i];
		if (o) {
			v[n] = seg_of(o)->file;
			file_get(v[n++]);
		}
	}
	*out = v;
	return n;
}

static long shm_info(struct task *t, int cmd, gaddr_t buf)
{
	pthread_mutex_lock(&ipc_lock);
	int maxidx = MAX(ipc_get_maxidx(&ipc_shm_ids), 0);
	if (cmd == IPC_INFO) {
		struct shminfo64 in = {
			.shmmax = ipc_ns.shm_ctlmax, .shmmin = SHMMIN, .shmmni = ipc_ns.shm_ctlmni,
			.shmseg = 4096 /* SHMSEG */, .shmall = ipc_ns.shm_ctlall,
		};
		pthread_mutex_unlock(&ipc_lock);
		return mm_copy_out(t->mm, buf, &in, sizeof(in)) ?: maxidx;
	}
	struct shm_info in = { .used_ids = ipc_shm_ids.in_use, .shm_tot = shm_tot };
	struct file **files;
	int n = snapshot_files_locked(&files);
	pthread_mutex_unlock(&ipc_lock);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		in.shm_rss += vfs_shm_resident(files[i]);
		file_put(files[i]);
	}
	free(files);
	return mm_copy_out(t->mm, buf, &in, sizeof(in)) ?: maxidx;
}

static long shm_stat(struct task *t, int id, int cmd, gaddr_t buf)
{
	pthread_mutex_lock(&ipc_lock);
	struct ipc_obj *o;
	long rc = ipc_obtain_stat(&ipc_shm_ids, id, cmd, SHM_STAT_ANY, &t->cred, &o);
	struct shmid64_ds ds;
	memset(&ds, 0, sizeof(ds));
	if (!rc) {
		struct shm_seg *s = seg_of(o);
		ipc_fill_perm(&ds.perm, o);
		ds.segsz = s->size;
		ds.atime = s->atime;
		ds.dtime = s->dtime;
		ds.ctime = s->ctime;
		ds.cpid = s->cpid;
		ds.lpid = s->lpid;
		ds.nattch = s->nattch;
		rc = cmd == IPC_STAT ? 0 : o->id;
	}
	pthread_mutex_unlock(&ipc_lock);
	if (rc < 0)
		return rc;
	return mm_copy_out(t->mm, buf, &ds, sizeof(ds)) ?: rc;
}

/* IPC_SET (in: the guest's shmid64_ds) and IPC_RMID: Linux's shmctl_down. */
static long shm_down(struct task *t, int id, int cmd, const struct shmid64_ds *in)
{
	struct file *put = NULL;
	pthread_mutex_lock(&ipc_lock);
	struct ipc_obj *o = ipc_obtain(&ipc_shm_ids, id);
	long rc = !o ? -EINVAL : ipc_check_owner(&t->cred, o);
	if (!rc && cmd == IPC_RMID) {
		struct shm_seg *s = seg_of(o);
		if (s->nattch) {
			/* Destroyed at the last detach; no shmget finds it meanwhile. */
			o->mode |= SHM_DEST;
			o->key = IPC_PRIVATE;
		} else {
			put = seg_destroy_locked(s);
		}
	} else if (!rc) {
		rc = ipc_update_perm(o, in->perm.uid, in->perm.gid, in->perm.mode);
		if (!rc)
			seg_of(o)->ctime = ipc_now();
	}
	pthread_mutex_unlock(&ipc_lock);
	file_put(put);
	return rc;
}

/* SHM_LOCK/SHM_UNLOCK: only the flag; nothing is ever swapped out in the sandbox. */
static long shm_lock(struct task *t, int id, int cmd)
{
	pthread_mutex_lock(&ipc_lock);
	struct ipc_obj *o = ipc_obtain(&ipc_shm_ids, id);
	long rc = o ? 0 : -EINVAL;
	if (!rc && !cred_capable(&t->cred, CAP_IPC_LOCK)) {
		uint64_t limit = __atomic_load_n(&t->tg->rlimits[RLIMIT_MEMLOCK].rlim_cur, __ATOMIC_RELAXED);
		if (t->cred.euid != o->uid && t->cred.euid != o->cuid)
			rc = -EPERM;
		else if (cmd == SHM_LOCK && limit == 0)
			rc = -EPERM;
		else if (cmd == SHM_LOCK && !(o->mode & SHM_LOCKED) && limit != RLIM_INFINITY &&
			 seg_pages(seg_of(o)) > limit / PAGE_SIZE)
			rc = -ENOMEM;     /* Linux's user_shm_lock (this segment alone counted) */
	}
	if (!rc && cmd == SHM_LOCK)
		o->mode |= SHM_LOCKED;
	else if (!rc)
		o->mode &= ~SHM_LOCKED;
	pthread_mutex_unlock(&ipc_lock);
	return rc;
}

long ipc_shmctl(struct task *t, int id, int cmd, gaddr_t buf)
{
	if (cmd < 0 || id < 0)
		return -EINVAL;
	struct shmid64_ds in;
	switch (cmd) {
	case IPC_INFO:
	case SHM_INFO:
		return shm_info(t, cmd, buf);
	case IPC_STAT:
	case SHM_STAT:
	case SHM_STAT_ANY:
		return shm_stat(t, id, cmd, buf);
	case IPC_SET:
		if (mm_copy_in(t->mm, &in, buf, sizeof(in)))
			return -EFAULT;
		return shm_down(t, id, cmd, &in);
	case IPC_RMID:
		return shm_down(t, id, cmd, NULL);
	case SHM_LOCK:
	case SHM_UNLOCK:
		return shm_lock(t, id, cmd);
	}
	return -EINVAL;
}

/* One /proc/sysvipc/shm line's values, copied under ipc_lock. */
struct shm_row {
	struct ipc_obj perm;
	uint64_t size, nattch;
	int cpid, lpid;
	int64_t atime, dtime, ctime;
	struct file *file;
};

long ipc_shm_proc(char **out)
{
	pthread_mutex_lock(&ipc_lock);
	int n = 0;
	struct shm_row *rows = calloc(ipc_shm_ids.in_use ? ipc_shm_ids.in_use : 1, sizeof(*rows));
	for (int i = 0; rows && i <= ipc_shm_ids.max_idx; i++) {
		struct ipc_obj *o = ipc_shm_ids.slots[i];
		if (!o)
			continue;
		struct shm_seg *s = seg_of(o);
		rows[n] = (struct shm_row){ *o, s->size, s->nattch, s->cpid, s->lpid,
					    s->atime, s->dtime, s->ctime, s->file };
		file_get(s->file);
		n++;
	}
	pthread_mutex_unlock(&ipc_lock);
	if (!rows)
		return -ENOMEM;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (f)
		fprintf(f, "       key      shmid perms                  size  cpid  lpid nattch   uid   gid"
			   "  cuid  cgid      atime      dtime      ctime                   rss"
			   "                  swap\n");
	for (int i = 0; i < n; i++) {
		const struct shm_row *r = &rows[i];
		uint64_t rss = vfs_shm_resident(r->file) * PAGE_SIZE;
		if (f)
			fprintf(f, "%10d %10d  %4o %21lu %5u %5u  %5lu %5u %5u %5u %5u %10ld %10ld %10ld "
				   "%21lu %21lu\n",
				r->perm.key, r->perm.id, r->perm.mode, (unsigned long)r->size, r->cpid,
				r->lpid, (unsigned long)r->nattch, r->perm.uid, r->perm.gid,
				r->perm.cuid, r->perm.cgid, (long)r->atime, (long)r->dtime,
				(long)r->ctime, (unsigned long)rss, 0UL);
		file_put(r->file);
	}
	free(rows);
	if (!f || fclose(f)) {
		free(buf);
		return -ENOMEM;
	}
	*out = buf;
	return (long)len;
}
