/*
 * membarrier(2), with Linux 6.x's commands and checks
 * (kernel/sched/membarrier.c). Registrations live in the MM (shared by
 * CLONE_VM, copied by fork, gone at execve). The barrier is the
 * platform's (kernel_memory_barrier): on the ptrace platform the host's
 * MEMBARRIER_CMD_GLOBAL_EXPEDITED, which every stub registers for;
 * platform/ptrace/ptrace.c says why.
 *
 * The RSEQ commands are refused as a kernel without CONFIG_RSEQ refuses
 * them (EINVAL, and QUERY does not offer them): they promise to restart
 * the rseq critical sections of the threads they interrupt, and the
 * sentry never aborts a critical section (rseq(2) is registration only).
 * tcmalloc and glibc check QUERY or the registration and fall back.
 */
#include <errno.h>
#include "sentry/mm.h"
#include "sentry/task.h"
#include "syscalls/table.h"

/* include/uapi/linux/membarrier.h (6.3+; older build hosts lack the last ones). */
enum {
	MEMBARRIER_CMD_QUERY = 0,
	MEMBARRIER_CMD_GLOBAL = 1 << 0,
	MEMBARRIER_CMD_GLOBAL_EXPEDITED = 1 << 1,
	MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED = 1 << 2,
	MEMBARRIER_CMD_PRIVATE_EXPEDITED = 1 << 3,
	MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED = 1 << 4,
	MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE = 1 << 5,
	MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE = 1 << 6,
	MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ = 1 << 7,
	MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ = 1 << 8,
	MEMBARRIER_CMD_GET_REGISTRATIONS = 1 << 9,
};
#define MEMBARRIER_CMD_FLAG_CPU (1U << 0)

/* What QUERY reports: every command but the RSEQ pair. */
#define MEMBARRIER_SUPPORTED                                                                  \
	(MEMBARRIER_CMD_GLOBAL | MEMBARRIER_CMD_GLOBAL_EXPEDITED |                            \
	 MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED | MEMBARRIER_CMD_PRIVATE_EXPEDITED |        \
	 MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED | MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE | \
	 MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE | MEMBARRIER_CMD_GET_REGISTRATIONS)

/*
 * A private expedited barrier (plain or SYNC_CORE, state the registration
 * it needs): EPERM without it, as Linux. A process whose MM has no other
 * user needs no barrier (Linux returns at once too): its only thread is
 * the caller, which re-enters guest code through a context switch.
 */
static long private_expedited(struct task *t, int state)
{
	if (!(mm_membarrier_state(t->mm) & state))
		return -EPERM;
	if (mm_only_user(t->mm))
		return 0;
	return kernel_memory_barrier();
}

/* GET_REGISTRATIONS: the registration commands the MM has seen. */
static long registrations(struct mm *mm)
{
	int s = mm_membarrier_state(mm), r = 0;
	if (s & MM_MEMBARRIER_GLOBAL_EXPEDITED)
		r |= MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED;
	if (s & MM_MEMBARRIER_PRIVATE_EXPEDITED)
		r |= MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED;
	if (s & MM_MEMBARRIER_PRIVATE_EXPEDITED_SYNC_CORE)
		r |= MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE;
	return r;
}

/* membarrier(2): cmd, flags, cpu_id (only for the RSEQ command with MEMBARRIER_CMD_FLAG_CPU). */
long sys_membarrier(struct task *t, const struct syscall_args *a)
{
	int cmd = (int)a->arg[0];
	unsigned flags = (unsigned)a->arg[1];
	if (!kernel_has_memory_barrier())
		return -ENOSYS;          /* as a kernel without CONFIG_MEMBARRIER */
	/* Only the RSEQ command takes a flag (MEMBARRIER_CMD_FLAG_CPU). */
	if (cmd == MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ ? flags & ~MEMBARRIER_CMD_FLAG_CPU : flags)
		return -EINVAL;
	switch (cmd) {
	case MEMBARRIER_CMD_QUERY:
		return MEMBARRIER_SUPPORTED;
	case MEMBARRIER_CMD_GLOBAL:
	case MEMBARRIER_CMD_GLOBAL_EXPEDITED:
		/* Every guest thread is reached, registered or not: a superset is allowed. */
		return kernel_memory_barrier();
	case MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED:
		mm_membarrier_register(t->mm, MM_MEMBARRIER_GLOBAL_EXPEDITED);
		return 0;
	case MEMBARRIER_CMD_PRIVATE_EXPEDITED:
		return private_expedited(t, MM_MEMBARRIER_PRIVATE_EXPEDITED_READY);
	case MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED:
		mm_membarrier_register(t->mm, MM_MEMBARRIER_PRIVATE_EXPEDITED |
						      MM_MEMBARRIER_PRIVATE_EXPEDITED_READY);
		return 0;
	case MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE:
		return private_expedited(t, MM_MEMBARRIER_PRIVATE_EXPEDITED_SYNC_CORE);
	case MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE:
		/*
		 * Linux sets the plain private state bit too (so GET_REGISTRATIONS
		 * reports REGISTER_PRIVATE_EXPEDITED) but not its ready bit (so
		 * PRIVATE_EXPEDITED is still EPERM).
		 */
		mm_membarrier_register(t->mm, MM_MEMBARRIER_PRIVATE_EXPEDITED |
						      MM_MEMBARRIER_PRIVATE_EXPEDITED_SYNC_CORE);
		return 0;
	case MEMBARRIER_CMD_GET_REGISTRATIONS:
		return registrations(t->mm);
	default:
		/* The RSEQ pair included: see the top of the file. */
		return -EINVAL;
	}
}
