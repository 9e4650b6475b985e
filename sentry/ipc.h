/*
 * System V IPC: shared memory segments, semaphore sets and message queues
 * (sentry/ipc.c, ipc_shm.c, ipc_sem.c, ipc_msg.c). The sandbox is one
 * kernel instance, so it has one IPC namespace, as a gVisor sandbox does.
 * Every entry point takes the calling task and raw guest values; guest
 * memory is touched only through the mm_copy_* API.
 */
#ifndef SENTRY_IPC_H
#define SENTRY_IPC_H

#include <time.h>
#include "sentry/types.h"

/* shmget(2), shmat(2) (the attach address or -errno), shmdt(2), shmctl(2). */
long ipc_shmget(struct task *t, int32_t key, uint64_t size, int flags);
long ipc_shmat(struct task *t, int id, uint64_t addr, int flags);
long ipc_shmdt(struct task *t, uint64_t addr);
long ipc_shmctl(struct task *t, int id, int cmd, gaddr_t buf);

/*
 * semget(2), semctl(2) (arg: the union semun as passed, by value),
 * semtimedop(2) (timeout 0: semop, no timeout).
 */
long ipc_semget(struct task *t, int32_t key, int nsems, int flags);
long ipc_semctl(struct task *t, int id, int semnum, int cmd, uint64_t arg);
long ipc_semtimedop(struct task *t, int id, gaddr_t sops, size_t nsops, gaddr_t timeout);

/* msgget(2), msgsnd(2), msgrcv(2), msgctl(2). */
long ipc_msgget(struct task *t, int32_t key, int flags);
long ipc_msgsnd(struct task *t, int id, gaddr_t msgp, size_t size, int flags);
long ipc_msgrcv(struct task *t, int id, gaddr_t msgp, size_t size, long type, int flags);
long ipc_msgctl(struct task *t, int id, int cmd, gaddr_t buf);

/*
 * SEM_UNDO adjustments (Linux's sem_undo_list), a per-task reference:
 * clone shares the parent's with CLONE_SYSVSEM (making one if it has none)
 * and gives the child none otherwise. 0 or -ENOMEM.
 */
int ipc_sem_undo_fork(struct task *child, struct task *parent, bool share);
/*
 * The task ends (or gives its list up): drop its reference; the last one
 * applies the adjustments (Linux's exit_sem). Idempotent.
 */
void ipc_sem_undo_exit(struct task *t);

/* /proc/sysvipc/{shm,sem,msg}: Linux's text into a heap buffer; length or -ENOMEM. */
enum ipc_kind { IPC_KIND_SHM, IPC_KIND_SEM, IPC_KIND_MSG };
long ipc_proc_text(enum ipc_kind kind, char **out);

/*
 * The IPC sysctls of /proc/sys/kernel (shmmax, shmall, shmmni, sem, msgmax,
 * msgmnb, msgmni): ipc_sysctl_show writes the file's text into buf (cap
 * bytes) and returns its length; ipc_sysctl_write parses a new value,
 * returning len or -EINVAL. name unknown: -ENOENT.
 */
long ipc_sysctl_show(const char *name, char *buf, size_t cap);
long ipc_sysctl_write(const char *name, const char *buf, size_t len);

#endif
