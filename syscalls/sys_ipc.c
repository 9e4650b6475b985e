/*
 * System V IPC: shmget, shmat, shmdt, shmctl, semget, semop, semtimedop,
 * semctl, msgget, msgsnd, msgrcv, msgctl. The arguments are decoded here;
 * sentry/ipc*.c does the work (see sentry/ipc.h).
 */
#include <errno.h>
#include "sentry/ipc.h"
#include "sentry/task.h"
#include "sentry/usertrap.h"
#include "syscalls/table.h"

/* shmget(2): key_t key, size_t size, int shmflg. */
long sys_shmget(struct task *t, const struct syscall_args *a)
{
	return ipc_shmget(t, (int32_t)a->arg[0], a->arg[1], (int)a->arg[2]);
}

/* shmat(2): int shmid, const void *shmaddr, int shmflg; returns the address. */
long sys_shmat(struct task *t, const struct syscall_args *a)
{
	if (a->arg[1])
		usertrap_yield_range(t->mm, a->arg[1] & PAGE_MASK, 1ULL << 30);   /* any segment size */
	return ipc_shmat(t, (int)a->arg[0], a->arg[1], (int)a->arg[2]);
}

/* shmdt(2): const void *shmaddr. */
long sys_shmdt(struct task *t, const struct syscall_args *a)
{
	return ipc_shmdt(t, a->arg[0]);
}

/* shmctl(2): int shmid, int cmd, struct shmid_ds *buf (x86-64: always the IPC_64 layout). */
long sys_shmctl(struct task *t, const struct syscall_args *a)
{
	return ipc_shmctl(t, (int)a->arg[0], (int)a->arg[1], gaddr(a->arg[2]));
}

/* semget(2): key_t key, int nsems, int semflg. */
long sys_semget(struct task *t, const struct syscall_args *a)
{
	return ipc_semget(t, (int32_t)a->arg[0], (int)a->arg[1], (int)a->arg[2]);
}

/* semop(2): int semid, struct sembuf *sops, unsigned nsops. */
long sys_semop(struct task *t, const struct syscall_args *a)
{
	return ipc_semtimedop(t, (int)a->arg[0], gaddr(a->arg[1]), (unsigned)a->arg[2], gaddr(0));
}

/* semtimedop(2): semop's arguments and a relative struct timespec * (NULL: none). */
long sys_semtimedop(struct task *t, const struct syscall_args *a)
{
	return ipc_semtimedop(t, (int)a->arg[0], gaddr(a->arg[1]), (unsigned)a->arg[2],
			      gaddr(a->arg[3]));
}

/* semctl(2): int semid, int semnum, int cmd, union semun arg (passed by value). */
long sys_semctl(struct task *t, const struct syscall_args *a)
{
	return ipc_semctl(t, (int)a->arg[0], (int)a->arg[1], (int)a->arg[2], a->arg[3]);
}

/* msgget(2): key_t key, int msgflg. */
long sys_msgget(struct task *t, const struct syscall_args *a)
{
	return ipc_msgget(t, (int32_t)a->arg[0], (int)a->arg[1]);
}

/* msgsnd(2): int msqid, const struct msgbuf *msgp, size_t msgsz, int msgflg. */
long sys_msgsnd(struct task *t, const struct syscall_args *a)
{
	return ipc_msgsnd(t, (int)a->arg[0], gaddr(a->arg[1]), a->arg[2], (int)a->arg[3]);
}

/* msgrcv(2): int msqid, struct msgbuf *msgp, size_t msgsz, long msgtyp, int msgflg. */
long sys_msgrcv(struct task *t, const struct syscall_args *a)
{
	return ipc_msgrcv(t, (int)a->arg[0], gaddr(a->arg[1]), a->arg[2], (long)a->arg[3],
			  (int)a->arg[4]);
}

/* msgctl(2): int msqid, int cmd, struct msqid_ds *buf. */
long sys_msgctl(struct task *t, const struct syscall_args *a)
{
	return ipc_msgctl(t, (int)a->arg[0], (int)a->arg[1], gaddr(a->arg[2]));
}
