/*
 * SysV IPC internals shared by sentry/ipc*.c: the ids of each kind, the
 * common permission record, the namespace's limits and the lock.
 *
 * Locking: one mutex, ipc_lock, protects every IPC object, the id tables,
 * the undo lists and the limits. It is a leaf below the VFS and the MM:
 * taken under mm->lock and vfs_lock (a shmat VMA starting or ending calls
 * into ipc_shm.c with both held), so code holding it never touches guest
 * memory, the VFS or an MM. Wait queues (waitq.lock) are taken under it.
 */
#ifndef SENTRY_IPC_INTERNAL_H
#define SENTRY_IPC_INTERNAL_H

#include <pthread.h>
#include <stdint.h>
#include "sentry/cred.h"
#include "sentry/ipc.h"

/* Linux's uapi values (x86-64). */
#define IPC_CREAT 01000
#define IPC_EXCL 02000
#define IPC_NOWAIT 04000
#define IPC_PRIVATE 0
#define IPC_RMID 0
#define IPC_SET 1
#define IPC_STAT 2
#define IPC_INFO 3

/* Linux's IPCMNI (ipcmni_extend off): ids are seq * 32768 + index. */
#define IPC_MNI 32768
#define IPC_SEQ_SHIFT 15
#define IPC_SEQ_MAX (0x7fffffff >> IPC_SEQ_SHIFT)

/* Linux's permission shorthands (include/linux/stat.h). */
#define S_IRUGO 0444
#define S_IWUGO 0222
#define S_IXUGO 0111

#define CAP_IPC_OWNER 15
#define CAP_SYS_RESOURCE 24

extern pthread_mutex_t ipc_lock;

/* The kernel side of struct ipc_perm (Linux's kern_ipc_perm). */
struct ipc_obj {
	int32_t key;               /* IPC_PRIVATE once removed while in use */
	int id;
	uint16_t seq;
	uint32_t uid, gid, cuid, cgid;
	uint32_t mode;             /* S_IRWXUGO plus SHM_DEST, SHM_LOCKED */
	bool deleted;              /* removed: sleepers see EIDRM */
};

/* One kind's ids (Linux's struct ipc_ids), under ipc_lock. */
struct ipc_ids {
	struct ipc_obj **slots;    /* by index; grown as needed, at most IPC_MNI */
	int cap;
	int in_use;
	int max_idx;               /* highest index in use, -1 if none */
	int last_idx;              /* the last index handed out (Linux: seq moves on a wrap) */
	int next;                  /* idr_alloc_cyclic's cursor */
	uint16_t seq;
};

/* The namespace's limits (the /proc/sys/kernel values), under ipc_lock. */
struct ipc_limits {
	uint64_t shm_ctlmax, shm_ctlall;
	int shm_ctlmni;
	int sem_ctls[4];           /* SEMMSL, SEMMNS, SEMOPM, SEMMNI */
	int msg_ctlmax, msg_ctlmnb, msg_ctlmni;
};
extern struct ipc_limits ipc_ns;

#define SEMVMX 32767
#define SEMAEM SEMVMX

/* The object with key key, or NULL. */
struct ipc_obj *ipc_findkey(struct ipc_ids *ids, int32_t key);
/* The object named by id (index and sequence), or NULL (Linux: EINVAL). */
struct ipc_obj *ipc_obtain(struct ipc_ids *ids, int id);
/* The object at index idx (the *_STAT commands), or NULL. */
struct ipc_obj *ipc_obtain_idx(struct ipc_ids *ids, int idx);
/*
 * The object an IPC_STAT (id) or *_STAT / *_STAT_ANY (index) command names,
 * with read permission unless cmd is any_cmd, in *o; 0, -EINVAL or -EACCES.
 * Under ipc_lock.
 */
long ipc_obtain_stat(struct ipc_ids *ids, int id, int cmd, int any_cmd, const struct cred *c,
		     struct ipc_obj **o);
/*
 * Give o an id, its owner (the caller's euid/egid) and mode (flags'
 * permission bits); -ENOSPC past limit objects, -ENOMEM.
 */
int ipc_addid(struct ipc_ids *ids, struct ipc_obj *o, int limit, const struct cred *c,
	      int32_t key, int flags);
/* Take o out of ids (its id is free again); marks it deleted. */
void ipc_rmid(struct ipc_ids *ids, struct ipc_obj *o);
/* Linux's ipc_get_maxidx: the highest index in use, -1 if none. */
int ipc_get_maxidx(const struct ipc_ids *ids);

/* Linux's ipcperms: flag's permission bits (S_IRUGO...) against o; 0 or -EACCES. */
int ipc_perms(const struct cred *c, const struct ipc_obj *o, int flag);
/* IPC_SET/IPC_RMID: the caller owns or created o, or has CAP_SYS_ADMIN; 0 or -EPERM. */
int ipc_check_owner(const struct cred *c, const struct ipc_obj *o);
/* IPC_SET's new owner and mode (Linux's ipc_update_perm); 0 or -EINVAL. */
int ipc_update_perm(struct ipc_obj *o, uint32_t uid, uint32_t gid, uint32_t mode);

/* struct ipc64_perm as x86-64 lays it out. */
struct ipc64_perm {
	int32_t key;
	uint32_t uid, gid, cuid, cgid;
	uint32_t mode;
	uint16_t seq, pad2;
	uint64_t unused1, unused2;
};
void ipc_fill_perm(struct ipc64_perm *out, const struct ipc_obj *o);

/* CLOCK_REALTIME in seconds (the *_time fields). */
int64_t ipc_now(void);
/* The calling task's tgid (lpid, sempid...), 0 outside a task. */
int ipc_tgid(void);

/*
 * Sentry heap that IPC objects may use (semaphores, undo records, queued
 * messages), on top of Linux's own limits, so that a guest cannot exhaust
 * the sentry's memory: charge n bytes (0, or -ENOMEM over the budget) or
 * give them back (negative n). Under ipc_lock.
 */
int ipc_charge(int64_t n);

/* The kinds' ids and /proc text (ipc_shm.c, ipc_sem.c, ipc_msg.c). */
extern struct ipc_ids ipc_shm_ids, ipc_sem_ids, ipc_msg_ids;
long ipc_shm_proc(char **out);
long ipc_sem_proc(char **out);
long ipc_msg_proc(char **out);

#endif
